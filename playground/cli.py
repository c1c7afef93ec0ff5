"""The ``playground`` command: train, evaluate, export, benchmark and serve data re-uploading classifiers.

Examples
--------
The paper's protocol for ``circle`` (seed 30, the first 200 points to train, the next 4000 to test)::

    playground train --dataset circle --qubits 1 --layers 4 --cost fidelity --optimizer lbfgs --save run.json
    playground evaluate run.json --json
    playground export run.json --to pennylane -o model.py && python model.py

Bad flags, files or values exit with status 2 and one line on stderr (``playground: error: ...``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import time
from typing import Any, Sequence

import numpy as np

from .datasets import DatasetError
from .experiment import SCORE_BACKEND, ExperimentError, load_experiment
from .runs import add_train_arguments, int_in, summary, train_summary
from .spec import SpecError
from .sweep import FIELDS as SWEEP_FIELDS

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``playground: error: ...`` and status 2, no usage block."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"playground: error: {message} (see '{self.prog} --help')\n")


def _fail(message: str) -> int:
    print(f"playground: error: {message}", file=sys.stderr)
    return 2


# ------------------------------------------------------------------------------------------------ flag types


def _point(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(v) for v in values) or len(values) > 64:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers such as 0.1,-0.5, got {text[:40]!r}")
    return values


# ------------------------------------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="playground",
        description="Data re-uploading quantum classifiers (Pérez-Salinas et al., Quantum 4, 226, 2020).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    # ---- train
    t = sub.add_parser(
        "train",
        help="train a classifier on a dataset and print its accuracy",
        description=(
            "Train one classifier. The data are drawn as in the paper: one set from seed S, the first N points "
            "to train, the next M to test (make_train_test). The circuit is the paper's: a compressed block "
            "U(θ + w∘x) on every qubit in every layer, with the paper's CZ entanglers under --entangle."
        ),
    )
    add_train_arguments(t)
    t.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    t.add_argument("--save", metavar="FILE", help="write the experiment (settings, parameters, results) as JSON")
    t.set_defaults(func=_cmd_train)

    # ---- evaluate
    e = sub.add_parser(
        "evaluate",
        help="re-score a saved experiment",
        description=(
            "Reload an experiment, rebuild its data and model, and re-score it with the saved parameters. The "
            "metrics must equal the saved ones (exit status 1 if they do not). With --json, also the predictions "
            "and probabilities for the points a PennyLane export embeds (the test set, at most 5000 points)."
        ),
    )
    e.add_argument("file", metavar="FILE", help="an experiment file (playground train --save)")
    e.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    e.set_defaults(func=_cmd_evaluate)

    # ---- export
    x = sub.add_parser(
        "export",
        help="export a saved experiment as a PennyLane script, a PyTorch module or OpenQASM 3",
        description=(
            "pennylane: a standalone script (QNode on default.qubit) that prints predictions for the embedded "
            "points; torch: a file defining ReuploadingClassifier(torch.nn.Module); qasm: the circuit bound to one "
            "input point (--point, or the first test point)."
        ),
    )
    x.add_argument("file", metavar="FILE", help="an experiment file (playground train --save)")
    x.add_argument("--to", choices=("pennylane", "torch", "qasm"), required=True, help="export format")
    x.add_argument("-o", "--output", metavar="OUT", default="-", help="output file (default -: standard output)")
    x.add_argument("--point", type=_point, action="append", metavar="X1,X2,...",
                   help=("an input point; repeat to embed several (pennylane/torch); qasm takes exactly one. Write "
                         "--point=-0.5,0.2 when the first value is negative"))
    x.set_defaults(func=_cmd_export)

    # ---- sweep
    sw = sub.add_parser(
        "sweep",
        help="many training runs over a grid of settings, on Dask, into one table",
        description=(
            "Run playground train over a grid (the product of the values given to each setting flag, and/or a "
            "sweep file with grid, grids, runs and base) on Dask: a local cluster of one worker process per core "
            "by default, or an existing cluster with --scheduler. Each finished run appends one row to the CSV "
            "table --out (every setting, train/test accuracy, final loss, steps, seconds, worker; a run that "
            "fails is a row with its error). Run the same command again to resume: rows already in the table "
            "are skipped. Integer settings take ranges such as 1-10; yes/no settings take yes, no or both."
        ),
    )
    sw.add_argument("file", nargs="?", metavar="FILE", help="a sweep file (.json, .toml, .yaml): grid, grids, runs, base")
    grid = sw.add_argument_group("settings (each takes one or more values; the sweep is their product)")
    for key, (flag, _kind) in SWEEP_FIELDS.items():
        grid.add_argument(flag, dest=f"grid_{key}", nargs="+", metavar="V", default=None)
    sw.add_argument("--preset", choices=("paper",), default=None,
                    help="paper: every published cell of the paper's Tables 1-4 on the authors' points, 10 single "
                         "starts (seeds 0-9) and the best of 20 starts")
    sw.add_argument("-o", "--out", metavar="TABLE", help="the results table (CSV), appended to and resumed from")
    sw.add_argument("--workers", type=int_in(1, 1024), default=None, metavar="N",
                    help="worker processes of the local cluster (default: one per core)")
    sw.add_argument("--scheduler", metavar="ADDRESS", default=None,
                    help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (see 'dask scheduler')")
    sw.add_argument("--serial", action="store_true", help="no Dask: the runs one after another in this process")
    sw.add_argument("--retry-errors", action="store_true", help="make the runs whose rows are errors again")
    sw.add_argument("--dry-run", action="store_true", help="print how many runs there are, and the first commands")
    sw.add_argument("--no-progress", action="store_true", help="no progress bar")
    sw.add_argument("--dashboard", action="store_true", help="the local cluster's Dask dashboard on port 8787")
    sw.set_defaults(func=_cmd_sweep)

    # ---- bench
    b = sub.add_parser("bench", help="time the simulator against PennyLane and report")
    b.add_argument("--json", action="store_true", help="print the results as JSON")
    b.add_argument("--quick", action="store_true", help="a short run")
    b.set_defaults(func=_cmd_bench)

    # ---- warmup
    w = sub.add_parser(
        "warmup",
        help="compile the fast kernels now (a server or an image build does this once, not the first visitor)",
        description="Compile, or load from Numba's on-disk cache, every kernel signature the playground uses.",
    )
    w.set_defaults(func=_cmd_warmup)

    # ---- serve
    s = sub.add_parser("serve", help="start the browser playground")
    s.add_argument("--port", type=int_in(1, 65535), default=5006, metavar="P", help="port (default 5006)")
    s.add_argument("--address", default="127.0.0.1", metavar="A", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    s.add_argument("--num-procs", type=int_in(1, 64), default=1, metavar="N",
                   help="N server processes on ports P .. P+N-1, for a load balancer with sticky sessions "
                        "(deploy/nginx.conf; default 1)")
    s.add_argument("--behind-proxy", action="store_true",
                   help="trust a reverse proxy's X-Forwarded-For header for visitors' addresses (only behind one)")
    s.set_defaults(func=_cmd_serve)
    return parser


# ------------------------------------------------------------------------------------------------ helpers


def _table(rows: Sequence[dict[str, Any]]) -> str:
    cols = [
        ("dataset", "dataset", "{}"),
        ("qubits", "n_qubits", "{}"),
        ("layers", "n_layers", "{}"),
        ("ent", "entangled", "{}"),
        ("cost", "cost", "{}"),
        ("optimizer", "optimizer", "{}"),
        ("steps", "steps", "{}"),
        ("train acc", "train_accuracy", "{:.4f}"),
        ("test acc", "test_accuracy", "{:.4f}"),
        ("final loss", "final_loss", "{:.6g}"),
        ("seconds", "seconds", "{:.2f}"),
    ]
    cells = [[h for h, _, _ in cols]]
    for row in rows:
        line = []
        for _, key, fmt in cols:
            v = row[key]
            line.append("-" if v is None else ("yes" if v is True else "no" if v is False else fmt.format(v)))
        cells.append(line)
    widths = [max(len(r[i]) for r in cells) for i in range(len(cols))]
    out = []
    for r in cells:
        out.append("  ".join(c.ljust(w) if i < 6 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(out)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, allow_nan=False))


def _check_writable(path: str, flag: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{flag}: expected a file in an existing folder, got {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{flag}: expected a file name, got the folder {path!r}")


def _write_text(path: str, text: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# ------------------------------------------------------------------------------------------------ commands


def _cmd_train(args) -> int:
    if args.save is not None:
        _check_writable(args.save, "--save")
    result, trained = train_summary(args)
    saved = None
    if args.save is not None:
        _write_text(args.save, trained.to_json())
        saved = args.save
    result = dict(result, saved=saved)
    if args.json:
        _print_json(result)
    else:
        print(_table([result]))
        if saved:
            print(f"saved: {saved}")
    return 0


def _cmd_sweep(args) -> int:
    import signal

    from .sweep import expand, load_sweep, run_sweep, train_argv

    override = {key: getattr(args, f"grid_{key}") for key in SWEEP_FIELDS if getattr(args, f"grid_{key}") is not None}
    given = sum(x is not None for x in (args.file, args.preset))
    if given > 1:
        raise ValueError("sweep: expected a sweep file or --preset, not both")
    if args.workers is not None and (args.scheduler or args.serial):
        raise ValueError("--workers: sizes the local cluster; expected no --scheduler or --serial with it")
    if args.scheduler and args.serial:
        raise ValueError("--serial: expected no --scheduler with it")
    if args.preset == "paper":
        from .paper_tables import paper_sweep

        sweep = paper_sweep(override=override)
    elif args.file is not None:
        sweep = load_sweep(args.file, override=override)
    else:
        sweep = expand([], override=override)
    note = f" ({sweep.skipped} entangled one-qubit combinations left out)" if sweep.skipped else ""
    if args.dry_run:
        print(f"{len(sweep)} runs{note}")
        for settings in sweep.runs[:5]:
            print("  playground train " + " ".join(train_argv(settings)) + " --json")
        if len(sweep) > 5:
            print(f"  ... and {len(sweep) - 5} more")
        return 0
    if not args.out:
        raise ValueError("--out: expected the results table to write (a .csv file)")

    def stop(signum, frame):  # SIGTERM: stop like Ctrl-C, so the workers are shut down and the table closed
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        report = run_sweep(sweep, args.out, workers=args.workers, scheduler=args.scheduler,
                           retry_errors=args.retry_errors, progress=not args.no_progress, serial=args.serial)
    except KeyboardInterrupt:
        print(f"sweep: stopped; the finished runs are in {args.out}: run the same command again to go on",
              file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    errors = f", {report.errors} failed (see the error column)" if report.errors else ""
    print(f"sweep: {report.done} runs made{errors}, {report.already} already in {args.out}; "
          f"{report.total} in all{note}; {report.seconds:.1f} s on {len(report.workers)} worker(s)", file=sys.stderr)
    return 0


def _cmd_evaluate(args) -> int:
    from .export import evaluation_points

    exp = load_experiment(args.file)
    if exp.params is None:
        raise ExperimentError("params: expected trained parameters, got null (nothing to evaluate)")
    data = exp.build_data()
    metrics = exp.score(data)
    matches = exp.metrics is None or exp.metrics.same_scores(metrics)
    if args.json:
        X = evaluation_points(exp, data)
        r = exp.build_classifier().readout(exp.params, X, backend=SCORE_BACKEND)
        _print_json(
            dict(
                summary(exp, metrics),
                saved_metrics=None if exp.metrics is None else exp.metrics.to_dict(),
                matches_saved=matches,
                predictions=r.predictions.tolist(),
                probabilities=r.proba.tolist(),
            )
        )
    else:
        print(_table([summary(exp, metrics)]))
        print(("matches saved metrics: " + ("yes" if matches else "NO")) if exp.metrics else "no saved metrics")
    if not matches:
        print(
            f"playground: error: {args.file}: the recomputed metrics differ from the saved ones "
            f"(saved {exp.metrics.to_dict()}, recomputed {metrics.to_dict()})",
            file=sys.stderr,
        )
        return 1
    return 0


def _cmd_export(args) -> int:
    from .export import evaluation_points, to_openqasm3, to_pennylane_script, to_torch_module

    if args.output != "-":
        _check_writable(args.output, "-o")
    exp = load_experiment(args.file)
    if exp.params is None:
        raise ExperimentError("params: expected trained parameters, got null (nothing to export)")
    d = exp.spec.n_features
    for p in args.point or []:
        if len(p) != d:
            raise ValueError(f"--point: expected {d} numbers (the model's features), got {len(p)}")
    if args.to == "qasm":
        if args.point and len(args.point) > 1:
            raise ValueError(f"--point: expected one point for qasm, got {len(args.point)}")
        x = args.point[0] if args.point else evaluation_points(exp)[0]
        text = to_openqasm3(exp.spec, exp.build_classifier().split(exp.params)[0], x)
    else:
        make = to_pennylane_script if args.to == "pennylane" else to_torch_module
        text = make(exp, None if not args.point else np.array(args.point))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        _write_text(args.output, text)
        print(f"wrote {args.output} ({args.to})", file=sys.stderr)
    return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    return str(value)


def _cmd_bench(args) -> int:
    try:
        bench = importlib.import_module("playground.bench")  # lazy: pulls in PennyLane and timing code
    except ModuleNotFoundError as err:
        if err.name == "playground.bench":
            return _fail("bench: the benchmark module (playground/bench.py) is not installed")
        return _fail(f"bench: needs the package {err.name!r}; install it first")
    results = bench.run_benchmarks(quick=args.quick)
    if args.json:
        print(json.dumps(results, default=_jsonable))
    else:
        print(bench.format_report(results))
    return 0


def _cmd_warmup(args) -> int:
    from .warmup import warm_up

    t0 = time.perf_counter()
    if not warm_up():
        print("warmup: Numba is not available; the NumPy backend needs no compiling", file=sys.stderr)
        return 0
    print(f"kernels ready in {time.perf_counter() - t0:.1f} s")
    return 0


def _cmd_serve(args) -> int:
    try:
        from apps.serve import serve  # lazy: the UI stack (panel, bokeh) stays out of every other command
    except ModuleNotFoundError as err:
        if err.name in ("apps", "apps.serve"):
            return _fail("serve: the app (apps/serve.py) is not installed")
        return _fail(f"serve: needs the package {err.name!r}; install it first")
    if args.num_procs > 1:
        if args.port + args.num_procs - 1 > 65535:
            return _fail(f"serve: --port {args.port} leaves no room for {args.num_procs} consecutive ports")
        import logging

        from apps.procs import serve_many

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        return serve_many(args.num_procs, args.port, address=args.address, behind_proxy=args.behind_proxy)
    serve(port=args.port, show=not args.no_browser, address=args.address, behind_proxy=args.behind_proxy)
    return 0


# ------------------------------------------------------------------------------------------------ entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 evaluate mismatch, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a bad flag (2, message already printed)
        return exit_.code if isinstance(exit_.code, int) else 2
    if not getattr(args, "func", None):
        return _fail("expected a command: train, sweep, evaluate, export, bench, warmup or serve (see 'playground --help')")
    try:
        return args.func(args)
    except (SpecError, DatasetError, ExperimentError, ValueError) as err:
        return _fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
    except BrokenPipeError:  # e.g. `playground export ... | head`: stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as err:
        where = err.filename if err.filename is not None else "file"
        return _fail(f"{where}: {err.strerror or err}")
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
