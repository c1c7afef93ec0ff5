"""A saved run: circuit, model, data and training settings, trained parameters and results, as versioned JSON.

An :class:`Experiment` holds everything needed to rebuild a run: the circuit (:class:`~playground.spec.CircuitSpec`),
the model settings (number of classes, cost, read-out strategy), the data settings (:class:`DataSpec`: a registry
dataset with its sizes, noise and seed, or embedded points for uploaded CSV data), the training settings
(:class:`TrainingSpec`), the trained parameters, the history and the final metrics. The command line's
``--save``/``evaluate``, the app's download/upload and its share links all use this one format.

JSON format (version 1)
-----------------------
One object; every key below is required unless marked optional, and no other key is accepted::

    {
      "format": "reuploading-playground/experiment",
      "version": 1,
      "circuit": {...},                       # CircuitSpec.to_dict()
      "model": {"n_classes": 2, "cost": "fidelity", "strategy": "state"},
      "data": {"dataset": "circle", "n_train": 200, "n_test": 4000, "noise": 0.0, "seed": 30,
               "n_classes": null},            # n_classes: the dataset's class option (null: its default);
                                              # optional "paper_draw": true for the authors' own points
      "training": {"optimizer": "lbfgs", "learning_rate": 1.0, "batch_size": 32, "seed": 30,
                   "init": "uniform", "epochs": 1000, "restarts": 20, "kept_seed": 2913582210},
      "params": [0.12, ...],                  # null before training; else exactly Classifier.n_params numbers
      "history": {"step": [...], "epoch": [...], "loss": [...], "train_loss": [...],
                  "train_accuracy": [...], "test_accuracy": [...]},    # equal lengths; null = not available
      "metrics": {"train_accuracy": 0.955, "test_accuracy": 0.93875, "final_loss": 0.051,
                  "steps": 812, "seconds": 3.2}    # null before training; test_accuracy/seconds may be null
    }

For uploaded data, ``"dataset": "csv"`` and ``data`` also holds the points themselves: ``"name"`` (a label),
``"class_names"`` (one string per class), ``"X_train"``/``"X_test"`` (lists of rows of ``n_features`` numbers in
[-1, 1]) and ``"y_train"``/``"y_test"`` (integer labels); ``n_train``/``n_test`` equal their lengths, ``noise`` is
0 and ``seed`` is the seed that split the file (or null). ``"paper_draw": true`` (a paper problem only) takes
the authors' own points (:func:`playground.paper.paper_draw`): ``n_train``/``n_test`` are then the authors' sizes,
``noise`` 0 and ``seed`` 30, and ``training.init`` may be ``"paper"``, the authors' starting parameters (with
``restarts`` 1: it is one fixed start).

``training.seed`` is the seed of the first start; with several restarts (:func:`playground.trainer.fit_best`),
``training.kept_seed`` is the seed of the start that was kept, so ``make_trainer(kept_seed).run(epochs)``
reproduces ``params`` (on the same simulator backend). ``metrics.final_loss`` is the cost on the whole training
set at ``params`` (not the last mini-batch's). The metrics are computed on the NumPy reference backend, and are
exactly what :meth:`Experiment.score` recomputes from the file.

Every number is finite (``null`` stands for "not available" where allowed); the text is UTF-8 JSON of at most
:data:`MAX_BYTES` bytes. Reading checks everything and raises :class:`ExperimentError` with one line naming the
field: ``"params: expected 23 numbers, got 21"``.

Example
-------
>>> from playground.spec import CircuitSpec
>>> exp = Experiment(CircuitSpec.paper(1, 2), DataSpec("circle", 50, 100, seed=30),
...                  training=TrainingSpec("adam", epochs=2, seed=1))
>>> trained, _ = exp.fit()
>>> Experiment.from_json(trained.to_json()) == trained
True
>>> trained.score() == trained.metrics
True
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from .checks import check_int, check_number, fail
from .checks import is_int as _is_int
from .checks import is_number as _is_number
from .classifier import COSTS, STRATEGIES, Classifier
from .datasets import DATASETS, MAX_CLASSES, MAX_FEATURES, MAX_SAMPLES, Dataset, DatasetError, make_train_test
from .optim import OPTIMIZERS
from .paper import PAPER_SEED, PAPER_SIZES, PaperStartError, paper_draw, paper_start
from .spec import CircuitSpec, SpecError
from .trainer import HISTORY_FIELDS, INIT_METHODS, MAX_BATCH_SIZE, Trainer, fit_best, thin_history

__all__ = [
    "Experiment",
    "ExperimentError",
    "DataSpec",
    "TrainingSpec",
    "Metrics",
    "load_experiment",
    "file_history",
    "EXPERIMENT_FORMAT",
    "EXPERIMENT_VERSION",
    "MAX_BYTES",
    "MAX_EPOCHS",
    "MAX_RESTARTS",
    "MAX_SEED",
    "MAX_HISTORY_ROWS",
    "CSV_DATASET",
    "SCORE_BACKEND",
]

EXPERIMENT_FORMAT = "reuploading-playground/experiment"
EXPERIMENT_VERSION = 1
MAX_BYTES = 5_000_000
"""Largest experiment file, in bytes of UTF-8 JSON (5 MB)."""
MAX_EPOCHS = 100_000
MAX_RESTARTS = 100
MAX_SEED = 2**32 - 1
MAX_HISTORY_ROWS = 100_001
MAX_LEARNING_RATE = 10.0
MAX_NAME_CHARS = 200
SCORE_BACKEND = "numpy"
"""The simulator backend that scores saved experiments (always available, the same everywhere)."""
CSV_DATASET = "csv"
"""The ``data.dataset`` value of uploaded data, whose points are embedded in the experiment."""


class ExperimentError(ValueError):
    """An experiment that cannot be read or built; the one-line message names the field."""


# ------------------------------------------------------------------------------------------------ checks


def _fail(where: str, expected: str, got: Any) -> ExperimentError:
    return fail(where, expected, got, ExperimentError)


def _int(where: str, value: Any, lo: int, hi: int) -> int:
    return check_int(where, value, lo, hi, ExperimentError)


def _opt_int(where: str, value: Any, lo: int, hi: int) -> int | None:
    return None if value is None else _int(where, value, lo, hi)


def _number(where: str, value: Any, lo: float = -math.inf, hi: float = math.inf, what: str | None = None) -> float:
    return check_number(where, value, lo, hi, what, ExperimentError)


def _choice(where: str, value: Any, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise _fail(where, "one of " + ", ".join(choices), value)
    return value


def _keys(where: str, data: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(data, dict):
        raise _fail(where, "a JSON object", data)
    allowed = required + optional
    unknown = sorted(k for k in data if k not in allowed)
    if unknown:
        raise ExperimentError(f"{where}: expected only the keys {', '.join(allowed)}, got {unknown[0]!r}")
    for k in required:
        if k not in data:
            raise ExperimentError(f"{where}.{k}: expected a value, got none (the key is missing)")
    return data


def _json_number(value: float) -> float | None:
    """NaN (not available) is written as null."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


# ------------------------------------------------------------------------------------------------ data


@dataclass(frozen=True, eq=False)
class DataSpec:
    """How to get the points: a registry dataset drawn with a seed, or embedded (uploaded) data.

    Parameters
    ----------
    dataset : str
        A key of :data:`playground.datasets.DATASETS`, or ``"csv"`` for embedded data.
    n_train, n_test : int
        Sizes of the training and test sets (``make_train_test``'s split; for ``csv``: the embedded sets').
    noise : float
        The dataset's jitter, in [0, 1]; 0 for ``csv``.
    seed : int or None
        Seed of the draw (required for registry datasets, so a run can be rebuilt); for ``csv`` the seed that
        shuffled the file before splitting, for the record (or None).
    n_classes : int or None
        The dataset's class-count option (``spiral``, ``blobs``); None for its default.
    custom : tuple of (Dataset, Dataset) or None
        For ``csv`` only: the (train, test) sets themselves.
    paper_draw : bool
        The authors' own points (:func:`playground.paper.paper_draw`) instead of this project's draw; a paper
        problem only, with the authors' sizes, no noise, seed 30 and the default classes.

    Two data specs are equal when their JSON forms are.
    """

    dataset: str
    n_train: int
    n_test: int
    noise: float = 0.0
    seed: int | None = None
    n_classes: int | None = None
    custom: tuple[Dataset, Dataset] | None = None
    paper_draw: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.dataset, str) or (self.dataset != CSV_DATASET and self.dataset not in DATASETS):
            raise _fail("data.dataset", "one of " + ", ".join([*DATASETS, CSV_DATASET]), self.dataset)
        if not isinstance(self.paper_draw, bool):
            raise _fail("data.paper_draw", "true or false", self.paper_draw)
        if self.paper_draw:
            self._check_paper_draw()
        n_train = _int("data.n_train", self.n_train, 1, MAX_SAMPLES)
        n_test = _int("data.n_test", self.n_test, 0, MAX_SAMPLES - 1)
        if n_train + n_test > MAX_SAMPLES:
            raise _fail("data.n_train + data.n_test", f"at most {MAX_SAMPLES}", n_train + n_test)
        noise = _number("data.noise", self.noise, 0.0, 1.0)
        seed = _opt_int("data.seed", self.seed, 0, MAX_SEED)
        if self.dataset == CSV_DATASET:
            self._check_custom(n_train, n_test, noise)
            n_classes = self.custom[0].n_classes
            if self.n_classes is not None and self.n_classes != n_classes:
                raise _fail("data.n_classes", f"null or {n_classes} (the number of class names)", self.n_classes)
            opt_classes = None if self.n_classes is None else n_classes
        else:
            if self.custom is not None:
                raise _fail("data.custom", f"no embedded points for dataset {self.dataset!r}", "embedded points")
            if seed is None:
                raise _fail("data.seed", f"an integer in 0..{MAX_SEED} (a drawn dataset needs its seed)", None)
            info = DATASETS[self.dataset]
            lo, hi = info.class_range
            if self.n_classes is not None and (not _is_int(self.n_classes) or not lo <= self.n_classes <= hi):
                expected = f"null or {lo}" if lo == hi else f"null or an integer in {lo}..{hi}"
                raise _fail("data.n_classes", f"{expected} for {self.dataset!r}", self.n_classes)
            opt_classes = None if self.n_classes is None else int(self.n_classes)
        object.__setattr__(self, "n_train", n_train)
        object.__setattr__(self, "n_test", n_test)
        object.__setattr__(self, "noise", noise)
        object.__setattr__(self, "seed", seed)
        object.__setattr__(self, "n_classes", opt_classes)

    def _check_paper_draw(self) -> None:
        if self.dataset not in PAPER_SIZES:
            raise _fail("data.dataset", "one of the paper's problems (" + ", ".join(PAPER_SIZES) + ") for the paper's "
                        "draw", self.dataset)
        n_train, n_test = PAPER_SIZES[self.dataset]
        for key, want in (("n_train", n_train), ("n_test", n_test), ("noise", 0.0), ("seed", PAPER_SEED),
                          ("n_classes", None)):
            got = getattr(self, key)
            if got != want or (want is None) != (got is None):
                raise _fail(f"data.{key}", f"{'null' if want is None else want} with the paper's draw", got)

    def _check_custom(self, n_train: int, n_test: int, noise: float) -> None:
        custom = self.custom
        if not isinstance(custom, tuple) or len(custom) != 2 or not all(isinstance(d, Dataset) for d in custom):
            raise _fail("data.custom", "a (train, test) pair of Datasets for dataset 'csv'", custom)
        train, test = custom
        if noise != 0.0:
            raise _fail("data.noise", "0 for embedded data", noise)
        if train.n_samples != n_train:
            raise _fail("data.n_train", f"{train.n_samples} (the rows of X_train)", n_train)
        if test.n_samples != n_test:
            raise _fail("data.n_test", f"{test.n_samples} (the rows of X_test)", n_test)
        if test.n_features != train.n_features:
            raise _fail("data.X_test", f"rows of {train.n_features} numbers, as X_train", test.n_features)
        if test.class_names != train.class_names:
            raise _fail("data.class_names", "the same class names for train and test", list(test.class_names))
        if len(train.name) > MAX_NAME_CHARS:
            raise _fail("data.name", f"a string of at most {MAX_NAME_CHARS} characters", len(train.name))

    # ------------------------------------------------------------------ derived
    @property
    def n_features(self) -> int:
        return self.custom[0].n_features if self.custom else DATASETS[self.dataset].n_features

    @property
    def data_n_classes(self) -> int:
        """The number of classes of the data (the option resolved to the dataset's default)."""
        if self.custom:
            return self.custom[0].n_classes
        return self.n_classes if self.n_classes is not None else DATASETS[self.dataset].default_n_classes

    def build(self) -> tuple[Dataset, Dataset]:
        """The (train, test) datasets: ``make_train_test(dataset, n_train, n_test, noise=, seed=, n_classes=)``."""
        if self.custom:
            return self.custom
        if self.paper_draw:
            return paper_draw(self.dataset)
        try:
            return make_train_test(
                self.dataset, self.n_train, self.n_test, noise=self.noise, seed=self.seed, n_classes=self.n_classes
            )
        except DatasetError as err:  # cannot happen after __post_init__, but keep the message prefixed
            raise ExperimentError(f"data.{err}") from None

    @classmethod
    def paper(cls, dataset: str) -> "DataSpec":
        """The authors' own points for one of the paper's problems: ``DataSpec.paper("circle")``."""
        if dataset not in PAPER_SIZES:
            raise _fail("data.dataset", "one of the paper's problems (" + ", ".join(PAPER_SIZES) + ") for the paper's "
                        "draw", dataset)
        n_train, n_test = PAPER_SIZES[dataset]
        return cls(dataset, n_train, n_test, 0.0, PAPER_SEED, None, None, True)

    @classmethod
    def embedded(cls, train: Dataset, test: Dataset, *, seed: int | None = None) -> "DataSpec":
        """Data spec for uploaded points: ``DataSpec.embedded(train, test)`` (dataset ``"csv"``)."""
        return cls(CSV_DATASET, train.n_samples, test.n_samples, 0.0, seed, None, (train, test))

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dataset": self.dataset,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "noise": self.noise,
            "seed": self.seed,
            "n_classes": self.n_classes,
        }
        if self.paper_draw:  # written only when set, so files of this project's own draws read as before
            out["paper_draw"] = True
        if self.custom:
            train, test = self.custom
            out["name"] = train.name
            out["class_names"] = list(train.class_names)
            out["X_train"] = train.X.tolist()
            out["y_train"] = train.y.tolist()
            out["X_test"] = test.X.tolist()
            out["y_test"] = test.y.tolist()
        return out

    @classmethod
    def from_dict(cls, data: Any) -> "DataSpec":
        base = ("dataset", "n_train", "n_test", "noise", "seed", "n_classes")
        embedded = ("name", "class_names", "X_train", "y_train", "X_test", "y_test")
        is_csv = isinstance(data, dict) and data.get("dataset") == CSV_DATASET
        data = _keys("data", data, base + embedded if is_csv else base, () if is_csv else ("paper_draw",))
        custom = None
        if is_csv:
            name = data["name"]
            if not isinstance(name, str) or len(name) > MAX_NAME_CHARS:
                raise _fail("data.name", f"a string of at most {MAX_NAME_CHARS} characters", name)
            names = data["class_names"]
            if (
                not isinstance(names, list)
                or not 2 <= len(names) <= MAX_CLASSES
                or not all(isinstance(c, str) and 0 < len(c) <= MAX_NAME_CHARS for c in names)
            ):
                raise _fail("data.class_names", f"a list of 2..{MAX_CLASSES} non-empty strings", names)
            n_classes = len(names)
            X_train = _points("data.X_train", data["X_train"], None)
            if len(X_train) == 0:
                raise _fail("data.X_train", "at least one row", data["X_train"])
            X_test = _points("data.X_test", data["X_test"], X_train.shape[1])
            y_train = _labels("data.y_train", data["y_train"], len(X_train), n_classes)
            y_test = _labels("data.y_test", data["y_test"], len(X_test), n_classes)
            try:
                custom = (
                    Dataset(X_train, y_train, n_classes, name, tuple(names)),
                    Dataset(X_test, y_test, n_classes, name, tuple(names)),
                )
            except DatasetError as err:
                raise ExperimentError(f"data.{err}") from None
        return cls(
            dataset=data["dataset"],
            n_train=data["n_train"],
            n_test=data["n_test"],
            noise=data["noise"],
            seed=data["seed"],
            n_classes=data["n_classes"],
            custom=custom,
            paper_draw=data.get("paper_draw", False),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataSpec) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


def _points(where: str, rows: Any, n_features: int | None) -> np.ndarray:
    """Rows of numbers in [-1, 1] as an array of shape (n, n_features), checked cell by cell."""
    if not isinstance(rows, list) or len(rows) > MAX_SAMPLES:
        raise _fail(where, f"a list of at most {MAX_SAMPLES} rows", rows)
    width = n_features
    for i, row in enumerate(rows):
        if width is None and isinstance(row, list):
            width = len(row)
        if not isinstance(row, list) or len(row) != width or not 1 <= len(row) <= MAX_FEATURES:
            expected = f"a row of {width} numbers" if width else f"a row of 1..{MAX_FEATURES} numbers"
            raise _fail(f"{where}[{i}]", expected, row)
        for j, v in enumerate(row):
            if not _is_number(v) or not -1.0 <= v <= 1.0:
                raise _fail(f"{where}[{i}][{j}]", "a number in [-1, 1]", v)
    return np.array(rows, dtype=np.float64).reshape(len(rows), width or (n_features or 1))


def _labels(where: str, labels: Any, n: int, n_classes: int) -> np.ndarray:
    if not isinstance(labels, list) or len(labels) != n:
        raise _fail(where, f"a list of {n} labels (one per row)", labels)
    for i, v in enumerate(labels):
        if not _is_int(v) or not 0 <= v < n_classes:
            raise _fail(f"{where}[{i}]", f"an integer label in 0..{n_classes - 1}", v)
    return np.array(labels, dtype=np.int64)


# ------------------------------------------------------------------------------------------------ training


@dataclass(frozen=True)
class TrainingSpec:
    """How the parameters were (or will be) trained.

    Parameters
    ----------
    optimizer : str — ``adam``, ``sgd`` or ``lbfgs``
    learning_rate : float or None — None for the optimizer's default; in (0, 10]
    batch_size : int — points per update for Adam and SGD, in 1..20000
    seed : int — seed of the first start (initial parameters and batch order)
    init : str — ``uniform``, ``small``, ``zeros`` or ``paper`` (the authors' starting parameters; ``restarts`` 1)
    epochs : int — epochs per start (L-BFGS: iterations, stopping early on convergence), in 1..100000
    restarts : int — independent starts; the best training fit is kept (highest training accuracy, then lowest
        training loss), in 1..100
    kept_seed : int or None — the seed of the start that produced the parameters (None before training)
    """

    optimizer: str = "adam"
    learning_rate: float | None = None
    batch_size: int = 32
    seed: int = 0
    init: str = "uniform"
    epochs: int = 30
    restarts: int = 1
    kept_seed: int | None = None

    def __post_init__(self) -> None:
        _choice("training.optimizer", self.optimizer, tuple(OPTIMIZERS))
        if self.learning_rate is not None:
            lr = _number("training.learning_rate", self.learning_rate, what="a number in (0, 10]")
            if not 0.0 < lr <= MAX_LEARNING_RATE:
                raise _fail("training.learning_rate", "null or a number in (0, 10]", self.learning_rate)
            object.__setattr__(self, "learning_rate", lr)
        object.__setattr__(self, "batch_size", _int("training.batch_size", self.batch_size, 1, MAX_BATCH_SIZE))
        object.__setattr__(self, "seed", _int("training.seed", self.seed, 0, MAX_SEED))
        _choice("training.init", self.init, INIT_METHODS)
        object.__setattr__(self, "epochs", _int("training.epochs", self.epochs, 1, MAX_EPOCHS))
        object.__setattr__(self, "restarts", _int("training.restarts", self.restarts, 1, MAX_RESTARTS))
        if self.init == "paper" and self.restarts != 1:
            raise _fail("training.restarts", "1 with init 'paper' (the authors' start is one fixed point)", self.restarts)
        object.__setattr__(self, "kept_seed", _opt_int("training.kept_seed", self.kept_seed, 0, MAX_SEED))

    def to_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "init": self.init,
            "epochs": self.epochs,
            "restarts": self.restarts,
            "kept_seed": self.kept_seed,
        }

    @classmethod
    def from_dict(cls, data: Any) -> "TrainingSpec":
        keys = ("optimizer", "learning_rate", "batch_size", "seed", "init", "epochs", "restarts", "kept_seed")
        data = _keys("training", data, keys)
        return cls(**{k: data[k] for k in keys})


# ------------------------------------------------------------------------------------------------ metrics


@dataclass(frozen=True)
class Metrics:
    """Final results of a run.

    Parameters
    ----------
    train_accuracy : float — fraction of training points classified correctly
    test_accuracy : float or None — the same on the test set (None without test points)
    final_loss : float — the cost on the whole training set
    steps : int — optimizer updates of the kept run
    seconds : float or None — wall time of the whole training (all restarts); not reproducible, for the record
    """

    train_accuracy: float
    test_accuracy: float | None
    final_loss: float
    steps: int = 0
    seconds: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "train_accuracy", _number("metrics.train_accuracy", self.train_accuracy, 0.0, 1.0))
        if self.test_accuracy is not None:
            object.__setattr__(self, "test_accuracy", _number("metrics.test_accuracy", self.test_accuracy, 0.0, 1.0))
        object.__setattr__(self, "final_loss", _number("metrics.final_loss", self.final_loss))
        object.__setattr__(self, "steps", _int("metrics.steps", self.steps, 0, 10**9))
        if self.seconds is not None:
            object.__setattr__(self, "seconds", _number("metrics.seconds", self.seconds, 0.0, 1e9))

    def to_dict(self) -> dict[str, Any]:
        return {
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "final_loss": self.final_loss,
            "steps": self.steps,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: Any) -> "Metrics":
        keys = ("train_accuracy", "test_accuracy", "final_loss", "steps", "seconds")
        data = _keys("metrics", data, keys)
        return cls(**{k: data[k] for k in keys})

    def same_scores(self, other: "Metrics") -> bool:
        """True when the reproducible fields (accuracies and loss) are identical, bit for bit."""
        return (self.train_accuracy, self.test_accuracy, self.final_loss) == (
            other.train_accuracy,
            other.test_accuracy,
            other.final_loss,
        )


# ------------------------------------------------------------------------------------------------ history


def _check_history(history: Any) -> dict[str, list]:
    if history is None:
        return {k: [] for k in HISTORY_FIELDS}
    if not isinstance(history, dict):
        raise _fail("history", "an object of lists keyed " + ", ".join(HISTORY_FIELDS), history)
    _keys("history", history, HISTORY_FIELDS)
    n = len(history["step"]) if isinstance(history["step"], (list, tuple, np.ndarray)) else -1
    out: dict[str, list] = {}
    for key in HISTORY_FIELDS:
        values = history[key]
        if isinstance(values, np.ndarray):
            values = values.tolist()
        if not isinstance(values, (list, tuple)) or len(values) > MAX_HISTORY_ROWS:
            raise _fail(f"history.{key}", f"a list of at most {MAX_HISTORY_ROWS} values", values)
        if len(values) != n:
            raise _fail(f"history.{key}", f"{n} values (as history.step)", len(values))
        clean = []
        for i, v in enumerate(values):
            where = f"history.{key}[{i}]"
            if key in ("step", "epoch"):
                clean.append(_int(where, v, 0, 10**9))
            elif v is None or (isinstance(v, float) and math.isnan(v)):
                clean.append(math.nan)
            elif key.endswith("accuracy"):
                clean.append(_number(where, v, 0.0, 1.0, "null or a number in [0, 1]"))
            else:
                clean.append(_number(where, v, what="null or a finite number"))
        out[key] = clean
    return out


def file_history(history: dict, max_rows: int = 10_000) -> dict[str, list]:
    """A run's history (dict of lists or arrays of shape (H,), keys ``HISTORY_FIELDS``) as an experiment file keeps
    it: at most ``max_rows`` rows, plain ints and floats, and a value that is not finite (a diverged mini-batch
    loss) as NaN, "not available" (null in the file)."""
    rows = thin_history({k: history[k] for k in HISTORY_FIELDS}, max_rows)
    return {k: [int(v) for v in vals] if k in ("step", "epoch") else
            [float(v) if math.isfinite(v) else math.nan for v in vals] for k, vals in rows.items()}


# ------------------------------------------------------------------------------------------------ experiment


@dataclass(frozen=True, eq=False)
class Experiment:
    """Everything needed to rebuild a run, and its results.

    Parameters
    ----------
    spec : CircuitSpec
    data : DataSpec
    n_classes : int or None — label states of the model; None takes the data's number of classes
    cost : str — ``fidelity``, ``weighted_fidelity`` or ``cross_entropy``
    strategy : str — ``state`` or ``focused`` read-out (see :class:`~playground.classifier.Classifier`)
    training : TrainingSpec
    params : ndarray of shape (n_params,) or None — trained parameters (read-only copy), None before training
    history : dict of list — as :attr:`playground.trainer.Trainer.history` (NaN where not available)
    metrics : Metrics or None — None before training

    Two experiments are equal when their JSON forms are.
    """

    spec: CircuitSpec
    data: DataSpec
    n_classes: int | None = None
    cost: str = "fidelity"
    strategy: str = "state"
    training: TrainingSpec = field(default_factory=TrainingSpec)
    params: np.ndarray | None = None
    history: dict | None = None
    metrics: Metrics | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.spec, CircuitSpec):
            raise _fail("circuit", "a CircuitSpec", self.spec)
        if not isinstance(self.data, DataSpec):
            raise _fail("data", "a DataSpec", self.data)
        if not isinstance(self.training, TrainingSpec):
            raise _fail("training", "a TrainingSpec", self.training)
        if self.metrics is not None and not isinstance(self.metrics, Metrics):
            raise _fail("metrics", "a Metrics or None", self.metrics)
        data_classes = self.data.data_n_classes
        n_classes = data_classes if self.n_classes is None else _int("model.n_classes", self.n_classes, 2, MAX_CLASSES)
        if n_classes < data_classes:
            raise _fail("model.n_classes", f"at least {data_classes} (the classes of the data)", n_classes)
        object.__setattr__(self, "n_classes", n_classes)
        _choice("model.cost", self.cost, COSTS)
        _choice("model.strategy", self.strategy, STRATEGIES)
        if self.spec.n_features != self.data.n_features:
            raise _fail(
                "circuit.n_features", f"{self.data.n_features} (the features of dataset {self.data.dataset!r})",
                self.spec.n_features,
            )
        clf = self.build_classifier()
        if self.training.init == "paper":
            try:
                paper_start(self.data.dataset, self.spec)
            except PaperStartError as err:
                raise ExperimentError(f"training.{err}") from None
        if self.params is not None:
            params = self.params
            if isinstance(params, np.ndarray):
                if params.ndim != 1 or not np.issubdtype(params.dtype, np.number) or np.iscomplexobj(params):
                    raise _fail("params", f"a list of {clf.n_params} numbers", params)
                params = params.tolist()
            if not isinstance(params, (list, tuple)):
                raise _fail("params", f"a list of {clf.n_params} numbers", params)
            if len(params) != clf.n_params:
                raise ExperimentError(f"params: expected {clf.n_params} numbers, got {len(params)}")
            for i, v in enumerate(params):
                _number(f"params[{i}]", v)
            arr = np.array(params, dtype=np.float64)
            arr.setflags(write=False)
            object.__setattr__(self, "params", arr)
        object.__setattr__(self, "history", _check_history(self.history))
        if self.metrics is not None and self.params is None:
            raise ExperimentError("metrics: expected null when params is null (no trained model to score)")

    # ------------------------------------------------------------------ builders
    def build_classifier(self) -> Classifier:
        """The model: ``Classifier(spec, n_classes, cost, strategy)``."""
        try:
            return Classifier(self.spec, self.n_classes, self.cost, self.strategy)
        except SpecError as err:
            raise ExperimentError(f"model.{err}") from None

    def build_data(self) -> tuple[Dataset, Dataset]:
        """The (train, test) datasets, rebuilt from the data settings (see :meth:`DataSpec.build`)."""
        return self.data.build()

    def make_trainer(
        self,
        seed: int | None = None,
        *,
        data: tuple[Dataset, Dataset] | None = None,
        resume: bool = False,
        backend: str | None = None,
    ) -> Trainer:
        """A fresh :class:`~playground.trainer.Trainer` with these settings.

        ``seed`` defaults to ``training.seed``; ``data`` (train, test) skips rebuilding the points; ``resume``
        starts from the saved parameters instead of a new initialisation.
        """
        train, test = self.build_data() if data is None else data
        if resume and self.params is None:
            raise ExperimentError("params: expected trained parameters to resume from, got null")
        t = self.training
        return Trainer(
            self.build_classifier(),
            train,
            test,
            optimizer=t.optimizer,
            learning_rate=t.learning_rate,
            batch_size=t.batch_size,
            seed=t.seed if seed is None else seed,
            init=t.init,
            params=self.params if resume else None,
            backend=backend,
        )

    def fit(
        self, *, data: tuple[Dataset, Dataset] | None = None, clock: Callable[[], float] = time.perf_counter
    ) -> tuple["Experiment", list[dict]]:
        """Train with the training settings (``fit_best`` over ``restarts`` starts); returns the trained
        experiment and every start's last record."""
        data = self.build_data() if data is None else data
        t = self.training
        start = clock()
        best, records = fit_best(lambda s: self.make_trainer(s, data=data), t.seed, t.restarts, t.epochs)
        seconds = clock() - start
        trained = Experiment.from_trainer(
            best, self.data, epochs=t.epochs, restarts=t.restarts, seed=t.seed, seconds=seconds, check_data=False
        )
        return trained, records

    @classmethod
    def from_trainer(
        cls,
        trainer: Trainer,
        data: DataSpec,
        *,
        epochs: int,
        restarts: int = 1,
        seed: int | None = None,
        seconds: float | None = None,
        max_history_rows: int = 10_000,
        check_data: bool = True,
    ) -> "Experiment":
        """Capture a trained :class:`~playground.trainer.Trainer`.

        Parameters
        ----------
        trainer : Trainer — its classifier, optimizer settings, seed, parameters and history are taken
        data : DataSpec — the settings that produced ``trainer.train`` and ``trainer.test``
        epochs, restarts : int — the training settings of the run
        seed : int or None — the first start's seed when the trainer is one of several restarts (default: its own)
        seconds : float or None — wall time, for the record
        max_history_rows : int — longer histories are thinned evenly (first and last rows kept)
        check_data : bool — check that ``data`` rebuilds exactly the trainer's points (so the file reproduces)
        """
        if check_data:
            train, test = data.build()
            t_test = trainer.test
            same = np.array_equal(train.X, trainer.train.X) and np.array_equal(train.y, trainer.train.y)
            if t_test is None:
                same = same and test.n_samples == 0
            else:
                same = same and np.array_equal(test.X, t_test.X) and np.array_equal(test.y, t_test.y)
            if not same:
                raise ExperimentError("data: expected the settings that produced the trainer's points, got others")
        if not np.all(np.isfinite(trainer.params)):
            raise ExperimentError(
                "params: expected finite numbers, got NaN or infinity (training diverged; try a smaller learning rate)"
            )
        clf = trainer.classifier
        history = file_history(trainer.history, max_history_rows)
        training = TrainingSpec(
            optimizer=trainer.optimizer.name,
            learning_rate=trainer.optimizer.learning_rate,
            batch_size=trainer.batch_size,
            seed=trainer.seed if seed is None else seed,
            init=trainer.init,
            epochs=epochs,
            restarts=restarts,
            kept_seed=trainer.seed,
        )
        exp = cls(
            spec=clf.spec,
            data=data,
            n_classes=clf.n_classes,
            cost=clf.cost,
            strategy=clf.strategy,
            training=training,
            params=trainer.params.copy(),
            history=history,
        )
        test = trainer.test if trainer.test is not None else trainer.train.subset(slice(0, 0))
        scores = exp.score((trainer.train, test))
        return replace(exp, metrics=replace(scores, steps=trainer.n_steps, seconds=seconds))

    def score(self, data: tuple[Dataset, Dataset] | None = None, *, backend: str = SCORE_BACKEND) -> Metrics:
        """Recompute the metrics at ``params`` (``steps`` and ``seconds`` copied from the saved metrics).

        The arithmetic of :meth:`playground.trainer.Trainer.evaluate`, on the NumPy reference backend by default:
        the compiled backend may differ from it in the last bits, and a file must score identically wherever it
        is read, so saved metrics and :meth:`score` always use the same one (:meth:`Metrics.same_scores`).
        """
        if self.params is None:
            raise ExperimentError("params: expected trained parameters, got null (train the experiment first)")
        train, test = self.build_data() if data is None else data
        clf = self.build_classifier()
        r = clf.readout(self.params, train.X, backend=backend)
        final_loss = clf.loss_from(r, train.y, clf.split(self.params)[1])[0]
        train_acc = float(np.mean(r.predictions == train.y))
        test_acc = None
        if test.n_samples:
            test_acc = float(np.mean(clf.readout(self.params, test.X, backend=backend).predictions == test.y))
        steps = self.metrics.steps if self.metrics else 0
        seconds = self.metrics.seconds if self.metrics else None
        return Metrics(train_acc, test_acc, float(final_loss), steps, seconds)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """The JSON object (plain Python values; NaN in the history written as None)."""
        return {
            "format": EXPERIMENT_FORMAT,
            "version": EXPERIMENT_VERSION,
            "circuit": self.spec.to_dict(),
            "model": {"n_classes": self.n_classes, "cost": self.cost, "strategy": self.strategy},
            "data": self.data.to_dict(),
            "training": self.training.to_dict(),
            "params": None if self.params is None else self.params.tolist(),
            "history": {k: [_json_number(v) for v in vals] for k, vals in self.history.items()},
            "metrics": None if self.metrics is None else self.metrics.to_dict(),
        }

    def to_json(self, *, compact: bool = False) -> str:
        """UTF-8 JSON text: sections one per line (``compact``: one line, for links).

        Raises :class:`ExperimentError` if the text would exceed :data:`MAX_BYTES` (so a written file always
        loads back).
        """
        d = self.to_dict()

        def dump(value: Any) -> str:
            return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))

        if compact:
            text = dump(d)
        else:
            lines = []
            for key, value in d.items():
                if isinstance(value, dict) and key != "circuit":
                    inner = ",\n".join(f"    {dump(k)}: {dump(v)}" for k, v in value.items())
                    lines.append(f"  {dump(key)}: {{\n{inner}\n  }}" if value else f"  {dump(key)}: {{}}")
                else:
                    lines.append(f"  {dump(key)}: {dump(value)}")
            text = "{\n" + ",\n".join(lines) + "\n}\n"
        size = len(text.encode("utf-8"))
        if size > MAX_BYTES:
            raise ExperimentError(
                f"experiment: expected at most {MAX_BYTES} bytes of JSON, got {size} "
                f"(history rows: {len(self.history['step'])}; embedded points: {self.data.n_train + self.data.n_test})"
            )
        return text

    @classmethod
    def from_dict(cls, data: Any) -> "Experiment":
        """Build from :meth:`to_dict` output, checking everything (:class:`ExperimentError` names the field)."""
        if not isinstance(data, dict):
            raise _fail("experiment", "a JSON object", data)
        if data.get("format") != EXPERIMENT_FORMAT:
            raise _fail("format", repr(EXPERIMENT_FORMAT), data.get("format"))
        if data.get("version") != EXPERIMENT_VERSION or not _is_int(data.get("version")):
            raise _fail(
                "version",
                f"{EXPERIMENT_VERSION} (this program reads experiment format version {EXPERIMENT_VERSION})",
                data.get("version"),
            )
        keys = ("format", "version", "circuit", "model", "data", "training", "params", "history", "metrics")
        _keys("experiment", data, keys)
        try:
            spec = CircuitSpec.from_dict(data["circuit"])
        except SpecError as err:
            raise ExperimentError(f"circuit.{err}") from None
        model = _keys("model", data["model"], ("n_classes", "cost", "strategy"))
        metrics = None if data["metrics"] is None else Metrics.from_dict(data["metrics"])
        params = data["params"]
        if params is not None and not isinstance(params, list):
            raise _fail("params", "null or a list of numbers", params)
        exp = cls(
            spec=spec,
            data=DataSpec.from_dict(data["data"]),
            n_classes=_int("model.n_classes", model["n_classes"], 2, MAX_CLASSES),
            cost=model["cost"],
            strategy=model["strategy"],
            training=TrainingSpec.from_dict(data["training"]),
            params=params,
            history=data["history"],
            metrics=metrics,
        )
        return exp

    @classmethod
    def from_json(cls, text: str | bytes) -> "Experiment":
        """Parse and check experiment JSON (at most :data:`MAX_BYTES` bytes of UTF-8)."""
        if isinstance(text, str):
            try:
                raw = text.encode("utf-8")
            except UnicodeEncodeError as err:
                raise ExperimentError(f"experiment: expected UTF-8 text, got an unencodable character at {err.start}") from None
        elif isinstance(text, (bytes, bytearray, memoryview)):
            raw = bytes(text)
        else:
            raise _fail("experiment", "JSON text (str or bytes)", type(text).__name__)
        if len(raw) > MAX_BYTES:
            raise ExperimentError(f"experiment: expected at most {MAX_BYTES} bytes, got {len(raw)}")
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ExperimentError(
                f"experiment: expected UTF-8 text, got byte 0x{raw[err.start]:02x} at offset {err.start}"
            ) from None
        return cls.from_dict(_parse_json(decoded))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Experiment) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise ExperimentError(f"experiment: expected each key once per object, got {k!r} twice")
        out[k] = v
    return out


def _parse_json(text: str) -> Any:
    try:
        # NaN/Infinity parse to floats so that the field checks can name where they are.
        return json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=float)
    except json.JSONDecodeError as err:
        raise ExperimentError(
            f"experiment: expected JSON text, got a parse error at line {err.lineno} column {err.colno} ({err.msg})"
        ) from None
    except RecursionError:
        raise ExperimentError("experiment: expected JSON text, got nesting too deep to read") from None
    except ValueError as err:  # e.g. an integer with too many digits
        if isinstance(err, ExperimentError):
            raise
        raise ExperimentError(f"experiment: expected JSON text, got {err}") from None


def load_experiment(path: str | os.PathLike) -> Experiment:
    """Read and check an experiment file (at most :data:`MAX_BYTES` bytes of UTF-8 JSON).

    Raises :class:`ExperimentError` for a bad file and :class:`OSError` if it cannot be read.
    """
    path = os.fspath(path)
    size = os.stat(path).st_size
    if size > MAX_BYTES:
        raise ExperimentError(f"experiment: expected a file of at most {MAX_BYTES} bytes (5 MB), got {size}")
    with open(path, "rb") as fh:
        raw = fh.read(MAX_BYTES + 1)
    return Experiment.from_json(raw)
