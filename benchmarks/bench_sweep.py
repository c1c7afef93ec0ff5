"""How ``playground sweep`` scales: runs per second on Dask with 1 and 2 worker processes, and the parallel efficiency.

A fixed grid of 100 runs, the paper's kind of run: ``circle``; 1 and 2 qubits; 1-5 layers; both fidelity costs;
5 seeds; one L-BFGS start each (``--restarts 1``), 200 training and 1000 test points. Measured in the same run:

* ``a shell loop of playground train``: what one does without a sweep tool, a new interpreter per run (timed on
  the first 10 runs of the grid; the rate is runs per second of those);
* ``serial``: the grid one run after another in this process (``playground sweep --serial``);
* ``dask, 1 worker`` and ``dask, 2 workers``: a :class:`~distributed.LocalCluster` of that many worker processes,
  one thread each. The cluster is started, and every worker has made one warm-up run (its kernels loaded), before
  the clock starts; the clock stops when the last row is on disk.

Parallel efficiency = (runs/s with 2 workers) / (2 × runs/s with 1 worker). Not a timed test: it prints figures.
Usage: ``python benchmarks/bench_sweep.py [--json FILE] [--seeds N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from playground.sweep import ResultsTable, expand, local_cluster, run_one, run_sweep, train_argv

GRID = dict(dataset="circle", qubits=[1, 2], layers="1-5", cost=["fidelity", "weighted_fidelity"], optimizer="lbfgs",
            restarts=1, train_size=200, test_size=1000)


def _dask_rate(sweep, workers: int, folder: str) -> tuple[float, float, int]:
    """(runs per second, seconds, workers that made runs) on a warmed-up local cluster of ``workers`` processes."""
    from distributed import Client

    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        addresses = sorted(client.scheduler_info()["workers"])
        warm = [client.submit(run_one, sweep.runs[0], workers=[a], pure=False, key=f"warm-{a}") for a in addresses]
        client.gather(warm)
        path = os.path.join(folder, f"dask{workers}.csv")
        t0 = time.perf_counter()
        report = run_sweep(sweep, path, client=client, progress=False)
        seconds = time.perf_counter() - t0
    assert report.errors == 0, "a run failed"
    used = len({row["worker"] for row in ResultsTable(path).read()})
    return len(sweep) / seconds, seconds, used


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per setting (default 5: 100 runs)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    sweep = expand([dict(GRID, seed=f"0-{args.seeds - 1}")])
    print(f"machine: {os.cpu_count()} CPUs; grid of {len(sweep)} runs", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        for settings in sweep.runs[:10]:
            subprocess.run([sys.executable, "-m", "playground.cli", "train", *train_argv(settings), "--json"],
                           check=True, capture_output=True)
        loop_rate = 10 / (time.perf_counter() - t0)
        run_one(sweep.runs[0])  # this process's kernels, as the workers' warm-up run
        t0 = time.perf_counter()
        serial = run_sweep(sweep, os.path.join(folder, "serial.csv"), serial=True, progress=False)
        serial_s = time.perf_counter() - t0
        assert serial.errors == 0
        one_rate, one_s, _ = _dask_rate(sweep, 1, folder)
        two_rate, two_s, used = _dask_rate(sweep, 2, folder)
    efficiency = two_rate / (2 * one_rate)
    figures = dict(runs=len(sweep), cpus=os.cpu_count(), shell_loop_runs_per_s=loop_rate, serial_runs_per_s=len(sweep) / serial_s,
                   serial_s=serial_s, dask1_runs_per_s=one_rate, dask1_s=one_s, dask2_runs_per_s=two_rate,
                   dask2_s=two_s, dask2_workers_used=used, speedup=two_rate / one_rate, efficiency=efficiency)
    print("| how | runs/s | seconds for the grid |")
    print("|---|---|---|")
    print(f"| a shell loop of playground train (first 10 runs) | {loop_rate:.2f} | {len(sweep) / loop_rate:.0f} (estimated) |")
    print(f"| serial, in one process | {figures['serial_runs_per_s']:.2f} | {serial_s:.1f} |")
    print(f"| dask, 1 worker | {one_rate:.2f} | {one_s:.1f} |")
    print(f"| dask, 2 workers | {two_rate:.2f} | {two_s:.1f} |")
    print(f"speed-up with 2 workers: {figures['speedup']:.2f}x; parallel efficiency {efficiency:.2f} "
          f"(target >= 0.8); both workers made runs: {'yes' if used == 2 else 'NO'}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
