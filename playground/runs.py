"""One training run from ``playground train``'s flags: the flags themselves, the data and circuit they name, and
the run's JSON summary.

``playground train`` (:mod:`playground.cli`) and ``playground sweep`` (:mod:`playground.sweep`) both make their
runs here, so a sweep's row and the command's ``--json`` output agree to the bit.
"""

from __future__ import annotations

import argparse
import math
import os
from typing import Any

import numpy as np

from .classifier import COSTS, STRATEGIES
from .datasets import DATASETS, MAX_CLASSES, MAX_SAMPLES, load_csv
from .experiment import CSV_DATASET, MAX_EPOCHS, MAX_RESTARTS, MAX_SEED, DataSpec, Experiment, TrainingSpec
from .optim import OPTIMIZERS
from .paper import PAPER_SIZES
from .spec import MAX_LAYERS, MAX_QUBITS, CircuitSpec
from .trainer import INIT_METHODS, MAX_BATCH_SIZE

__all__ = [
    "PAPER_SEED", "PAPER_TRAIN", "PAPER_TEST", "DEFAULT_EPOCHS", "DEFAULT_RESTARTS", "CSV_TRAIN_FRACTION",
    "int_in", "float_in", "add_train_arguments", "train_parser", "data_from_args", "summary", "train_summary",
]

PAPER_SEED = 30
PAPER_TRAIN = 200
PAPER_TEST = 4000
DEFAULT_EPOCHS = {"adam": 30, "sgd": 30, "lbfgs": 1000}
DEFAULT_RESTARTS = {"adam": 1, "sgd": 1, "lbfgs": 20}
CSV_TRAIN_FRACTION = 0.7


class _RaisingParser(argparse.ArgumentParser):
    """A parser whose errors raise ValueError (one line) instead of printing usage and exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise ValueError(message)


# ------------------------------------------------------------------------------------------------ flag types


def int_in(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"expected an integer in {lo}..{hi}, got {text[:40]!r}")
        return value

    return parse


def float_in(lo: float, hi: float, *, open_lo: bool = False):
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


# ------------------------------------------------------------------------------------------------ the flags


def add_train_arguments(t: argparse.ArgumentParser) -> None:
    """The flags of ``playground train`` (without ``--json`` and ``--save``)."""
    t.add_argument("--dataset", metavar="NAME", choices=[*DATASETS, CSV_DATASET],
                   help=f"one of {', '.join(DATASETS)}; or csv with --csv FILE")
    t.add_argument("--csv", metavar="FILE", help="train on your own data: feature columns, then a label column")
    t.add_argument("--qubits", type=int_in(1, MAX_QUBITS), required=True, metavar="Q", help=f"number of qubits, 1..{MAX_QUBITS}")
    t.add_argument("--layers", type=int_in(1, MAX_LAYERS), required=True, metavar="L", help=f"number of layers, 1..{MAX_LAYERS}")
    t.add_argument("--entangle", action="store_true",
                   help="CZ entanglers between layers (2 qubits: CZ(0,1); 4+: the paper's alternating pairs)")
    t.add_argument("--cost", choices=COSTS, default="fidelity", help="cost function (default fidelity)")
    t.add_argument("--strategy", choices=STRATEGIES, default="state",
                   help="read-out on several qubits: state (basis states |c>) or focused (every qubit; default state)")
    t.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="adam", help="optimizer (default adam)")
    t.add_argument("--learning-rate", type=float_in(0.0, 10.0, open_lo=True), default=None, metavar="LR",
                   help="step size for adam/sgd (default: the optimizer's, adam 0.05, sgd 0.1)")
    t.add_argument("--batch-size", type=int_in(1, MAX_BATCH_SIZE), default=32, metavar="B",
                   help=f"points per adam/sgd update, 1..{MAX_BATCH_SIZE} (default 32)")
    t.add_argument("--init", choices=INIT_METHODS, default="uniform",
                   help=("initial parameters: uniform [0, 1) as the authors, small N(0, 0.1²), zeros, or paper: the "
                         "very values the authors' code starts from (a paper problem, one start)"))
    t.add_argument("--epochs", type=int_in(1, MAX_EPOCHS), default=None, metavar="E",
                   help=(f"epochs per start for adam/sgd (default {DEFAULT_EPOCHS['adam']}); for lbfgs the most "
                         f"iterations per start (default {DEFAULT_EPOCHS['lbfgs']}, stops early once converged)"))
    t.add_argument("--restarts", type=int_in(1, MAX_RESTARTS), default=None, metavar="R",
                   help=(f"independent starts, keeping the best fit of the *training* set (highest training accuracy, "
                         f"ties to the lower loss); the test set "
                         f"plays no part in the choice. Default {DEFAULT_RESTARTS['adam']} for adam/sgd and "
                         f"{DEFAULT_RESTARTS['lbfgs']} for lbfgs: a single L-BFGS run per setting (as in the paper) "
                         f"often lands in a local minimum"))
    t.add_argument("--seed", type=int_in(0, MAX_SEED), default=PAPER_SEED, metavar="S",
                   help=f"seed of the data draw and of the first training start (default {PAPER_SEED}, the paper's)")
    t.add_argument("--paper-draw", action="store_true",
                   help=("the authors' own points (NumPy's legacy generator seeded with 30): the first 200 to "
                         "train (sphere 500, hypersphere 1000), the next 4000 to test; a paper problem only. "
                         "--seed then seeds the training starts only. With it, or --init paper, the circuit is the "
                         "authors' code's (for hypersphere: two rotations of two features each per layer)"))
    t.add_argument("--train-size", type=int_in(1, MAX_SAMPLES), default=None, metavar="N",
                   help=f"training points (default {PAPER_TRAIN}; with --csv {CSV_TRAIN_FRACTION * 100:.0f}%% of the rows)")
    t.add_argument("--test-size", type=int_in(0, MAX_SAMPLES - 1), default=None, metavar="M",
                   help=f"test points (default {PAPER_TEST}; with --csv the remaining rows)")
    t.add_argument("--noise", type=float_in(0.0, 1.0), default=0.0, metavar="X",
                   help="Gaussian jitter of the points, in [0, 1] (default 0)")
    t.add_argument("--classes", type=int_in(2, MAX_CLASSES), default=None, metavar="C",
                   help="number of classes for spiral and blobs")

def train_parser() -> argparse.ArgumentParser:
    """A parser of ``playground train``'s flags whose errors raise ValueError (for sweeps: many runs, no exit)."""
    parser = _RaisingParser(prog="playground train", add_help=False)
    add_train_arguments(parser)
    parser.add_argument("--json", action="store_true")
    return parser


# ------------------------------------------------------------------------------------------------ one run


def data_from_args(args) -> DataSpec:
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


def summary(exp: Experiment, metrics) -> dict[str, Any]:
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

def train_summary(args) -> tuple[dict[str, Any], Experiment]:
    """Make the run that ``playground train`` makes for parsed ``args``: its JSON summary and the trained experiment.

    ``playground sweep`` calls this for every run, so a sweep's row and ``playground train --json`` agree.
    """
    data = data_from_args(args)
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
    return summary(trained, trained.metrics), trained
