"""Reproduce the paper's Table 1 (`circle`, one qubit) with the `playground train` command, beside the paper.

Runs, for each cost and number of layers, exactly::

    playground train --dataset circle --qubits 1 --cost COST --optimizer lbfgs --seed 30 \
        --train-size 200 --test-size 4000 --layers L --json

and prints a Markdown table: our test accuracy, the paper's, the bar (paper − 0.02) and the seconds each run took.
Exit status 1 if any cell misses its bar. Usage: ``python benchmarks/reproduce_circle.py [--layers 2 3 ...]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

PAPER = {  # Pérez-Salinas et al., Quantum 4, 226 (2020), Table 1, one qubit
    "fidelity": {1: 0.50, 2: 0.85, 3: 0.85, 4: 0.90, 5: 0.89, 6: 0.92, 8: 0.93, 10: 0.95},
    "weighted_fidelity": {1: 0.50, 2: 0.94, 3: 0.94, 4: 0.94, 5: 0.96, 6: 0.95, 8: 0.97, 10: 0.96},
}


def run(cost: str, layers: int) -> dict:
    cmd = [
        sys.executable, "-m", "playground.cli", "train", "--dataset", "circle", "--qubits", "1", "--cost", cost,
        "--optimizer", "lbfgs", "--seed", "30", "--train-size", "200", "--test-size", "4000",
        "--layers", str(layers), "--json",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, nargs="+", default=[2, 3, 4, 5, 6, 8, 10])
    args = parser.parse_args(argv)
    rows, ok = [], True
    for layers in args.layers:
        cells = [str(layers)]
        for cost in ("fidelity", "weighted_fidelity"):
            res = run(cost, layers)
            paper = PAPER[cost][layers]
            met = res["test_accuracy"] >= paper - 0.02 and res["seconds"] < 60
            ok &= met
            cells += [f"{res['test_accuracy']:.3f}", f"{paper:.2f}", f"{res['seconds']:.1f} s", "✓" if met else "✗"]
        rows.append("| " + " | ".join(cells) + " |")
        print(rows[-1], file=sys.stderr, flush=True)
    print("| layers | χ²_f ours | χ²_f paper | time | ≥ paper − 0.02 | χ²_wf ours | χ²_wf paper | time | ≥ paper − 0.02 |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
