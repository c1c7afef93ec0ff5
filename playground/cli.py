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

from .classifier import COSTS, STRATEGIES
from .datasets import DATASETS, MAX_CLASSES, MAX_SAMPLES, DatasetError, load_csv
from .experiment import (
    CSV_DATASET,
    MAX_EPOCHS,
    MAX_RESTARTS,
    MAX_SEED,
    SCORE_BACKEND,
    DataSpec,
    Experiment,
    ExperimentError,
    TrainingSpec,
    load_experiment,
)
from .optim import OPTIMIZERS
from .paper import PAPER_SIZES
from .spec import MAX_LAYERS, MAX_QUBITS, CircuitSpec, SpecError
from .trainer import INIT_METHODS, MAX_BATCH_SIZE

__all__ = ["main", "build_parser"]

PAPER_SEED = 30
PAPER_TRAIN = 200
PAPER_TEST = 4000
DEFAULT_EPOCHS = {"adam": 30, "sgd": 30, "lbfgs": 1000}
DEFAULT_RESTARTS = {"adam": 1, "sgd": 1, "lbfgs": 20}
CSV_TRAIN_FRACTION = 0.7


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``playground: error: ...`` and status 2, no usage block."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"playground: error: {message} (see '{self.prog} --help')\n")


def _fail(message: str) -> int:
    print(f"playground: error: {message}", file=sys.stderr)
    return 2


# ------------------------------------------------------------------------------------------------ flag types


def _int_in(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"expected an integer in {lo}..{hi}, got {text[:40]!r}")
        return value

    return parse


def _float_in(lo: float, hi: float, *, open_lo: bool = False):
    bounds = f"({lo:g}, {hi:g}]" if open_lo else f"[{lo:g}, {hi:g}]"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not (lo < value if open_lo else lo <= value) or value > hi:
            raise argparse.ArgumentTypeError(f"expected a number in {bounds}, got {text[:40]!r}")
        return value

    return parse


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
    t.add_argument("--dataset", metavar="NAME", choices=[*DATASETS, CSV_DATASET],
                   help=f"one of {', '.join(DATASETS)}; or csv with --csv FILE")
    t.add_argument("--csv", metavar="FILE", help="train on your own data: feature columns, then a label column")
    t.add_argument("--qubits", type=_int_in(1, MAX_QUBITS), required=True, metavar="Q", help=f"number of qubits, 1..{MAX_QUBITS}")
    t.add_argument("--layers", type=_int_in(1, MAX_LAYERS), required=True, metavar="L", help=f"number of layers, 1..{MAX_LAYERS}")
    t.add_argument("--entangle", action="store_true",
                   help="CZ entanglers between layers (2 qubits: CZ(0,1); 4+: the paper's alternating pairs)")
    t.add_argument("--cost", choices=COSTS, default="fidelity", help="cost function (default fidelity)")
    t.add_argument("--strategy", choices=STRATEGIES, default="state",
                   help="read-out on several qubits: state (basis states |c>) or focused (every qubit; default state)")
    t.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="adam", help="optimizer (default adam)")
    t.add_argument("--learning-rate", type=_float_in(0.0, 10.0, open_lo=True), default=None, metavar="LR",
                   help="step size for adam/sgd (default: the optimizer's, adam 0.05, sgd 0.1)")
    t.add_argument("--batch-size", type=_int_in(1, MAX_BATCH_SIZE), default=32, metavar="B",
                   help=f"points per adam/sgd update, 1..{MAX_BATCH_SIZE} (default 32)")
    t.add_argument("--init", choices=INIT_METHODS, default="uniform",
                   help=("initial parameters: uniform [0, 1) as the authors, small N(0, 0.1²), zeros, or paper: the "
                         "very values the authors' code starts from (a paper problem, one start)"))
    t.add_argument("--epochs", type=_int_in(1, MAX_EPOCHS), default=None, metavar="E",
                   help=(f"epochs per start for adam/sgd (default {DEFAULT_EPOCHS['adam']}); for lbfgs the most "
                         f"iterations per start (default {DEFAULT_EPOCHS['lbfgs']}, stops early once converged)"))
    t.add_argument("--restarts", type=_int_in(1, MAX_RESTARTS), default=None, metavar="R",
                   help=(f"independent starts, keeping the best fit of the *training* set (highest training accuracy, "
                         f"ties to the lower loss); the test set "
                         f"plays no part in the choice. Default {DEFAULT_RESTARTS['adam']} for adam/sgd and "
                         f"{DEFAULT_RESTARTS['lbfgs']} for lbfgs: a single L-BFGS run per setting (as in the paper) "
                         f"often lands in a local minimum"))
    t.add_argument("--seed", type=_int_in(0, MAX_SEED), default=PAPER_SEED, metavar="S",
                   help=f"seed of the data draw and of the first training start (default {PAPER_SEED}, the paper's)")
    t.add_argument("--paper-draw", action="store_true",
                   help=("the authors' own points (NumPy's legacy generator seeded with 30): the first 200 to "
                         "train (sphere 500, hypersphere 1000), the next 4000 to test; a paper problem only. "
                         "--seed then seeds the training starts only. With it, or --init paper, the circuit is the "
                         "authors' code's (for hypersphere: two rotations of two features each per layer)"))
    t.add_argument("--train-size", type=_int_in(1, MAX_SAMPLES), default=None, metavar="N",
                   help=f"training points (default {PAPER_TRAIN}; with --csv {CSV_TRAIN_FRACTION * 100:.0f}%% of the rows)")
    t.add_argument("--test-size", type=_int_in(0, MAX_SAMPLES - 1), default=None, metavar="M",
                   help=f"test points (default {PAPER_TEST}; with --csv the remaining rows)")
    t.add_argument("--noise", type=_float_in(0.0, 1.0), default=0.0, metavar="X",
                   help="Gaussian jitter of the points, in [0, 1] (default 0)")
    t.add_argument("--classes", type=_int_in(2, MAX_CLASSES), default=None, metavar="C",
                   help="number of classes for spiral and blobs")
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
    s.add_argument("--port", type=_int_in(1, 65535), default=5006, metavar="P", help="port (default 5006)")
    s.add_argument("--address", default="127.0.0.1", metavar="A", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    s.add_argument("--num-procs", type=_int_in(1, 64), default=1, metavar="N",
                   help="N server processes on ports P .. P+N-1, for a load balancer with sticky sessions "
                        "(deploy/nginx.conf; default 1)")
    s.add_argument("--behind-proxy", action="store_true",
                   help="trust a reverse proxy's X-Forwarded-For header for visitors' addresses (only behind one)")
    s.set_defaults(func=_cmd_serve)
    return parser


# ------------------------------------------------------------------------------------------------ helpers


def _data_from_args(args) -> DataSpec:
    """The data settings of ``playground train``; CSV data are shuffled with ``--seed`` and embedded."""
    dataset = args.dataset
    if args.csv is not None:
        if args.paper_draw:
            raise ValueError("--paper-draw: expected a paper problem with --dataset, not --csv")
        if dataset not in (None, CSV_DATASET):
            raise ValueError(f"--csv: expected no --dataset or --dataset csv, got --dataset {dataset}")
        if args.noise:
            raise ValueError(f"--noise: expected 0 with --csv (uploaded points are used as they are), got {args.noise:g}")
        if args.classes is not None:
            raise ValueError("--classes: expected nothing with --csv (the labels give the classes)")
        full = load_csv(args.csv, name=os.path.basename(args.csv)[:200] or "csv")
        n = full.n_samples
        n_train = args.train_size if args.train_size is not None else max(1, min(n, round(CSV_TRAIN_FRACTION * n)))
        n_test = args.test_size if args.test_size is not None else n - n_train
        if n_train + n_test > n:
            raise ValueError(f"--train-size + --test-size: expected at most {n} (the rows of {args.csv}), got {n_train + n_test}")
        order = np.random.default_rng(args.seed).permutation(n)
        train = full.subset(order[:n_train])
        test = full.subset(order[n_train : n_train + n_test])
        return DataSpec.embedded(train, test, seed=args.seed)
    if dataset is None:
        raise ValueError("--dataset: expected one of " + ", ".join(DATASETS) + " (or --csv FILE), got nothing")
    if dataset == CSV_DATASET:
        raise ValueError("--csv: expected a CSV file with --dataset csv, got none")
    if args.paper_draw:
        for flag, given in (("--train-size", args.train_size is not None), ("--test-size", args.test_size is not None),
                            ("--noise", bool(args.noise)), ("--classes", args.classes is not None)):
            if given:
                raise ValueError(f"{flag}: expected nothing with --paper-draw (the authors' draw fixes it)")
        if dataset not in PAPER_SIZES:
            raise ValueError(f"--paper-draw: expected one of the paper's problems ({', '.join(PAPER_SIZES)}), "
                             f"got --dataset {dataset}")
        return DataSpec.paper(dataset)
    n_train = PAPER_TRAIN if args.train_size is None else args.train_size
    n_test = PAPER_TEST if args.test_size is None else args.test_size
    if n_train + n_test > MAX_SAMPLES:
        raise ValueError(f"--train-size + --test-size: expected at most {MAX_SAMPLES}, got {n_train + n_test}")
    return DataSpec(dataset, n_train, n_test, noise=args.noise, seed=args.seed, n_classes=args.classes)


def _summary(exp: Experiment, metrics) -> dict[str, Any]:
    """Settings and metrics of an experiment as one flat JSON-ready dict."""
    t = exp.training
    return {
        "dataset": exp.data.dataset,
        "n_qubits": exp.spec.n_qubits,
        "n_layers": exp.spec.n_layers,
        "entangled": exp.spec.uses_entanglement(),
        "n_features": exp.spec.n_features,
        "n_classes": exp.n_classes,
        "n_params": exp.build_classifier().n_params,
        "cost": exp.cost,
        "strategy": exp.strategy,
        "optimizer": t.optimizer,
        "learning_rate": t.learning_rate,
        "batch_size": t.batch_size,
        "init": t.init,
        "seed": t.seed,
        "kept_seed": t.kept_seed,
        "epochs": t.epochs,
        "restarts": t.restarts,
        "n_train": exp.data.n_train,
        "n_test": exp.data.n_test,
        "noise": exp.data.noise,
        "paper_draw": exp.data.paper_draw,
        "steps": metrics.steps,
        "train_accuracy": metrics.train_accuracy,
        "test_accuracy": metrics.test_accuracy,
        "final_loss": metrics.final_loss,
        "seconds": metrics.seconds,
    }


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
    data = _data_from_args(args)
    # The authors' own experiment runs the authors' own circuit (it differs from the paper's text for 4 features).
    circuit = CircuitSpec.paper_code if (args.paper_draw or args.init == "paper") else CircuitSpec.paper
    spec = circuit(args.qubits, args.layers, entangled=args.entangle, n_features=data.n_features)
    restarts = args.restarts if args.restarts is not None else DEFAULT_RESTARTS[args.optimizer]
    if args.init == "paper":
        if args.restarts not in (None, 1):
            raise ValueError(f"--restarts: expected 1 with --init paper (the authors' start is one point), "
                             f"got {args.restarts}")
        restarts = 1
    training = TrainingSpec(
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        seed=args.seed,
        init=args.init,
        epochs=args.epochs if args.epochs is not None else DEFAULT_EPOCHS[args.optimizer],
        restarts=restarts,
    )
    exp = Experiment(spec, data, cost=args.cost, strategy=args.strategy, training=training)
    trained, _ = exp.fit()
    saved = None
    if args.save is not None:
        _write_text(args.save, trained.to_json())
        saved = args.save
    summary = dict(_summary(trained, trained.metrics), saved=saved)
    if args.json:
        _print_json(summary)
    else:
        print(_table([summary]))
        if saved:
            print(f"saved: {saved}")
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
                _summary(exp, metrics),
                saved_metrics=None if exp.metrics is None else exp.metrics.to_dict(),
                matches_saved=matches,
                predictions=r.predictions.tolist(),
                probabilities=r.proba.tolist(),
            )
        )
    else:
        print(_table([_summary(exp, metrics)]))
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
        return _fail("expected a command: train, evaluate, export, bench, warmup or serve (see 'playground --help')")
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
