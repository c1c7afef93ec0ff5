"""One long-lived training run: parameters, optimizer state, history, and numpy snapshots for the views.

Example
-------
>>> from playground.spec import CircuitSpec
>>> from playground.classifier import Classifier
>>> from playground.datasets import make_train_test
>>> train, test = make_train_test("circle", 100, 200, seed=1)
>>> t = Trainer(Classifier(CircuitSpec.paper(1, 3)), train, test, optimizer="adam", seed=0)
>>> _ = t.step()          # exactly one update
>>> t.n_steps
1
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import engine
from .classifier import Classifier, label_bloch_vectors
from .datasets import Dataset
from .checks import check_int as _check_int
from .checks import check_keys as _check_keys
from .checks import check_number as _check_number
from .checks import check_vector as _check_vector
from .checks import fail as _fail
from .checks import is_int as _is_int
from .optim import MAX_COUNT, OPTIMIZERS, Optimizer, make_optimizer
from .paper import PaperStartError, paper_start

__all__ = [
    "Trainer",
    "TrainerSnapshot",
    "parameter_index_map",
    "carry_parameters",
    "fit_best",
    "thin_history",
    "restart_seeds",
    "INIT_METHODS",
    "HISTORY_FIELDS",
    "MAX_BATCH_SIZE",
    "CHECKPOINT_VERSION",
    "CHECKPOINT_KEYS",
    "MAX_HISTORY_ROWS",
]

INIT_METHODS = ("uniform", "small", "zeros", "paper")
MAX_BATCH_SIZE = 20_000
HISTORY_FIELDS = ("step", "epoch", "loss", "train_loss", "train_accuracy", "test_accuracy")
MAX_HISTORY_ROWS = 100_001
CHECKPOINT_VERSION = 1
CHECKPOINT_KEYS = (
    "version",
    "params",
    "optimizer",
    "batch_size",
    "n_train",
    "n_steps",
    "epoch",
    "cursor",
    "last_loss",
    "rng",
    "order_rng",
    "history",
)
_PCG64_KEYS = ("bit_generator", "state", "has_uint32", "uinteger")


def parameter_index_map(old: Classifier, new: Classifier) -> np.ndarray:
    """For each parameter of ``new``, the index of the same parameter in ``old``, or −1 if it is new.

    Circuit parameters follow their gate's ``uid`` (same size required); class weights carry over when the
    number of classes and qubits is unchanged.
    """
    index = np.full(new.n_params, -1, dtype=np.int64)
    old_slices = old.program.gate_slices
    for uid, (off, size) in new.program.gate_slices.items():
        if uid in old_slices and old_slices[uid][1] == size:
            index[off : off + size] = np.arange(old_slices[uid][0], old_slices[uid][0] + size)
    if new.n_weights and old.n_weights == new.n_weights and old.n_classes == new.n_classes:
        index[new.n_circuit_params :] = np.arange(old.n_circuit_params, old.n_params)
    return index


def carry_parameters(old: Classifier, old_params: np.ndarray, new: Classifier, fill: np.ndarray) -> np.ndarray:
    """Parameters for ``new``: values of untouched gates from ``old_params``, the rest from ``fill``."""
    index = parameter_index_map(old, new)
    out = np.array(fill, dtype=np.float64, copy=True)
    keep = index >= 0
    out[keep] = np.asarray(old_params)[index[keep]]
    return out


@dataclass(frozen=True)
class TrainerSnapshot:
    """Plain numpy arrays for the views; P = training points, M = test points, C = classes, Q = qubits, L = layers.

    Attributes
    ----------
    n_steps, epoch : int
    loss, train_accuracy, test_accuracy : float — the latest recorded values (NaN before any record)
    history : dict of ndarray of shape (H,) — keys ``step``, ``epoch``, ``loss`` (mini-batch), ``train_loss``,
        ``train_accuracy``, ``test_accuracy``
    params : ndarray of shape (n_params,)
    grid_x : ndarray of shape (nx,); grid_y : ndarray of shape (ny,)
    grid_proba : ndarray of shape (ny, nx, C), float32 — class probabilities on the grid (row i ↔ grid_y[i])
    train_proba : ndarray of shape (P, C); train_pred : ndarray of shape (P,)
    train_fidelities : ndarray of shape (P, C)
    test_pred : ndarray of shape (M,)
    final_bloch : ndarray of shape (P, Q, 3) — each qubit's reduced final state of every training point
    layer_bloch : ndarray of shape (L + 1, Q, P, 3), float32 — before the first layer (index 0) and after each
    layer_maps : ndarray of shape (L + 1, Q, m, m), float32 — ⟨Z⟩ of each qubit after each layer on an m×m grid
    label_bloch : ndarray of shape (C, 3) — Bloch vectors of the label states
    """

    n_steps: int
    epoch: int
    loss: float
    train_accuracy: float
    test_accuracy: float
    history: dict
    params: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    grid_proba: np.ndarray
    train_proba: np.ndarray
    train_pred: np.ndarray
    train_fidelities: np.ndarray
    test_pred: np.ndarray
    final_bloch: np.ndarray
    layer_bloch: np.ndarray
    layer_maps: np.ndarray
    label_bloch: np.ndarray


class Trainer:
    """A training run that keeps its parameters and optimizer state across :meth:`step` calls.

    Parameters
    ----------
    classifier : Classifier
    train, test : Dataset (``test`` may be None)
    optimizer : str — ``adam``, ``sgd`` or ``lbfgs`` (full batch)
    learning_rate : float or None — the optimizer's default when None
    batch_size : int — points per update for Adam and SGD
    seed : int — seeds this run's own generator (initial parameters and batch order); nothing global is touched
    init : str — ``uniform`` in [0, 1) (the authors' distribution), ``small`` N(0, 0.1²), ``zeros``, or ``paper``:
        the very values the authors' code starts from for the training set's problem and this circuit
        (:func:`playground.paper.paper_start`; a paper problem and the paper's circuits only). Gates added later by
        an edit start uniform under ``paper``.
    params : ndarray or None — explicit starting parameters
    """

    def __init__(
        self,
        classifier: Classifier,
        train: Dataset,
        test: Dataset | None = None,
        *,
        optimizer: str = "adam",
        learning_rate: float | None = None,
        batch_size: int = 32,
        seed: int = 0,
        init: str = "uniform",
        params: np.ndarray | None = None,
        backend: str | None = None,
    ) -> None:
        if init not in INIT_METHODS:
            raise ValueError(f"init: expected one of {', '.join(INIT_METHODS)}, got {init!r}")
        if train.n_features != classifier.spec.n_features:
            raise ValueError(f"train: expected {classifier.spec.n_features} features, got {train.n_features}")
        if train.n_classes > classifier.n_classes:
            raise ValueError(f"train: expected at most {classifier.n_classes} classes, got {train.n_classes}")
        self.classifier = classifier
        self.train = train
        self.test = test
        self.seed = int(seed)
        self.init = init
        self.backend = backend
        self._rng = np.random.default_rng(self.seed)
        self.params = self._draw_start(classifier, self._rng) if params is None else np.array(params, dtype=float)
        if self.params.shape != (classifier.n_params,):
            raise ValueError(f"params: expected shape ({classifier.n_params},), got {self.params.shape}")
        self.initial_params = self.params.copy()
        self.batch_size = self._check_batch(batch_size)
        self.optimizer: Optimizer = make_optimizer(optimizer, learning_rate)
        self._order = np.empty(0, dtype=np.int64)
        self._order_rng: dict | None = None  # the generator's state just before it drew ``_order``
        self._cursor = 0
        self.n_steps = 0
        self.epoch = 0
        self.history: dict[str, list] = {k: [] for k in HISTORY_FIELDS}
        self._last_loss = float("nan")

    def _draw_start(self, classifier: Classifier, rng: np.random.Generator) -> np.ndarray:
        if self.init == "paper":  # fixed values: the generator is not used
            theta = paper_start(self.train.name, classifier.spec)
            return np.concatenate([theta, np.ones(classifier.n_weights)])
        return classifier.initial_params(rng, self.init)

    def start_params(self, classifier: Classifier) -> np.ndarray:
        """The parameters a fresh run with this trainer's seed and ``init`` gives ``classifier`` at step 0.

        Raises :class:`~playground.paper.PaperStartError` (a ValueError) when ``init`` is ``paper`` and
        ``classifier`` is not one of the paper's circuits.
        """
        return self._draw_start(classifier, np.random.default_rng(self.seed))

    # ------------------------------------------------------------------ settings that change mid-run
    @staticmethod
    def _check_batch(batch_size) -> int:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size: expected an integer in 1..{MAX_BATCH_SIZE}, got {batch_size!r}")
        return int(batch_size)

    def set_batch_size(self, batch_size: int) -> None:
        self.batch_size = self._check_batch(batch_size)

    def set_learning_rate(self, learning_rate: float) -> None:
        lr = float(learning_rate)
        if not (np.isfinite(lr) and 0 < lr <= 10):
            raise ValueError(f"learning_rate: expected a number in (0, 10], got {learning_rate!r}")
        self.optimizer.learning_rate = lr

    def set_optimizer(self, name: str, learning_rate: float | None = None) -> None:
        """Switch optimizer; the parameters stay, the new optimizer starts with empty state."""
        if name == self.optimizer.name:
            if learning_rate is not None:
                self.set_learning_rate(learning_rate)
            return
        self.optimizer = make_optimizer(name, learning_rate)

    def set_classifier(self, classifier: Classifier) -> None:
        """Swap in an edited model; parameters (and optimizer state) of untouched gates carry over."""
        if classifier.spec.n_features != self.train.n_features:
            raise ValueError(f"classifier: expected {self.train.n_features} features, got {classifier.spec.n_features}")
        index = parameter_index_map(self.classifier, classifier)
        try:
            fresh = self._draw_start(classifier, self._rng)
        except PaperStartError:  # an edited circuit the paper never ran: its new gates start uniform
            fresh = classifier.initial_params(self._rng, "uniform")
        self.params = carry_parameters(self.classifier, self.params, classifier, fresh)
        self.initial_params = carry_parameters(self.classifier, self.initial_params, classifier, fresh)
        self.optimizer.remap(index)
        self.classifier = classifier

    def set_params(self, params: np.ndarray) -> None:
        """Jump to other parameters (opened from a file): the optimizer starts afresh, and history rows of the
        current step, measured at old parameters, are dropped so that the next :meth:`record` describes these."""
        params = np.array(params, dtype=float)
        if params.shape != self.params.shape or not np.all(np.isfinite(params)):
            raise ValueError(f"params: expected {self.params.size} finite numbers, got shape {params.shape}")
        self.params = params
        self.optimizer = make_optimizer(self.optimizer.name, self.optimizer.learning_rate)
        while self.history["step"] and self.history["step"][-1] == self.n_steps:
            for values in self.history.values():
                values.pop()

    def set_data(self, train: Dataset, test: Dataset | None) -> None:
        """New points (same number of features); parameters and optimizer state stay."""
        if train.n_features != self.classifier.spec.n_features:
            raise ValueError(f"train: expected {self.classifier.spec.n_features} features, got {train.n_features}")
        self.train, self.test = train, test
        self._order = np.empty(0, dtype=np.int64)
        self._order_rng = None
        self._cursor = 0

    def reset(self) -> None:
        """Back to step 0 with the same starting parameters and the same batch order."""
        self._rng = np.random.default_rng(self.seed)
        if self.init != "paper":  # keep the generator where __init__ left it (``paper`` does not draw)
            self.classifier.initial_params(self._rng, self.init)
        self.params = self.initial_params.copy()
        self.optimizer = make_optimizer(self.optimizer.name, self.optimizer.learning_rate)
        self._order = np.empty(0, dtype=np.int64)
        self._order_rng = None
        self._cursor = 0
        self.n_steps = 0
        self.epoch = 0
        self.history = {k: [] for k in HISTORY_FIELDS}
        self._last_loss = float("nan")

    # ------------------------------------------------------------------ training
    def _next_batch(self) -> np.ndarray:
        n = self.train.n_samples
        if self.optimizer.full_batch or self.batch_size >= n:
            self.epoch += 1
            return np.arange(n)
        if self._cursor >= len(self._order):
            self._order_rng = self._rng.bit_generator.state  # lets a checkpoint redraw this order instead of storing it
            self._order = self._rng.permutation(n)
            self._cursor = 0
        idx = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += self.batch_size
        if self._cursor >= n:
            self.epoch += 1
        return idx

    def step(self) -> float:
        """Exactly one optimizer update; returns the loss of the batch it used (before the update)."""
        idx = self._next_batch()
        X, y = self.train.X[idx], self.train.y[idx]
        clf, backend = self.classifier, self.backend

        def loss_grad(p):
            loss, grad, _ = clf.loss_and_grad(p, X, y, backend=backend)
            return loss, grad

        self.params, loss = self.optimizer.step(self.params, loss_grad)
        self.n_steps += 1
        self._last_loss = float(loss)
        return self._last_loss

    @property
    def steps_per_epoch(self) -> int:
        if self.optimizer.full_batch:
            return 1
        return max(1, -(-self.train.n_samples // self.batch_size))

    def evaluate(self) -> dict:
        """Full training loss and accuracy, and test accuracy, at the current parameters."""
        clf = self.classifier
        if self.train.n_samples == 0:  # nothing drawn yet: no number to report
            train_loss = train_acc = float("nan")
        else:
            r = clf.readout(self.params, self.train.X, backend=self.backend)
            train_loss = clf.loss_from(r, self.train.y, clf.split(self.params)[1])[0]
            train_acc = float(np.mean(r.predictions == self.train.y))
        test_acc = float("nan")
        if self.test is not None and self.test.n_samples:
            test_acc = clf.accuracy(self.params, self.test.X, self.test.y)
        return {"train_loss": train_loss, "train_accuracy": train_acc, "test_accuracy": test_acc}

    def record(self) -> dict:
        """Evaluate and append one row to the history."""
        row = {"step": self.n_steps, "epoch": self.epoch, "loss": self._last_loss, **self.evaluate()}
        if np.isnan(row["loss"]):
            row["loss"] = row["train_loss"]
        for k in HISTORY_FIELDS:
            self.history[k].append(row[k])
        return row

    def run(self, epochs: int, *, record_every_epoch: bool = True) -> dict:
        """Train for ``epochs`` epochs (L-BFGS: iterations, stopping early once converged); returns the last record."""
        target = self.epoch + int(epochs)
        while self.epoch < target:
            before = self.epoch
            self.step()
            if record_every_epoch and self.epoch != before:
                self.record()
            if getattr(self.optimizer, "converged", False):
                break
        return self.record() if not self.history["step"] or self.history["step"][-1] != self.n_steps else {
            k: self.history[k][-1] for k in HISTORY_FIELDS
        }

    # ------------------------------------------------------------------ exact checkpoints
    def checkpoint(self, *, max_history_rows: int = 400) -> dict:
        """Everything the next :meth:`step` depends on, as JSON-able plain data (see :meth:`restore`).

        Parameters
        ----------
        max_history_rows : int — the history is thinned to at most this many rows (evenly spaced, first and last
            kept); at least 2

        Returns
        -------
        dict with the keys of :data:`CHECKPOINT_KEYS`:
            ``version`` (int), ``params`` (list of n_params floats), ``optimizer`` (:meth:`Optimizer.state_dict`),
            ``batch_size``, ``n_train`` (training points), ``n_steps``, ``epoch``, ``cursor`` (ints),
            ``last_loss`` (float, or None for NaN), ``rng`` (the PCG64 state of the run's generator now),
            ``order_rng`` (its state just before it drew the batch order still in use, or None when no order is in
            use: the order itself is redrawn, not stored), ``history`` (dict of lists of H ≤ max_history_rows
            values, None for NaN).

        Floats are Python floats and the generator states plain (big) ints, so ``json.dumps`` / ``json.loads``
        keeps every value exact; :meth:`restore` of the result continues bit for bit.
        """
        if isinstance(max_history_rows, bool) or not isinstance(max_history_rows, (int, np.integer)) or not (
            2 <= max_history_rows <= MAX_HISTORY_ROWS
        ):
            raise _fail("max_history_rows", f"an integer in 2..{MAX_HISTORY_ROWS}", max_history_rows)
        in_use = self._cursor < len(self._order)
        if in_use and self._order_rng is None:  # an order set from outside _next_batch cannot be redrawn
            raise ValueError("checkpoint: expected a batch order drawn by this trainer, got one set from outside")
        history = {}
        for k, vals in thin_history(self.history, int(max_history_rows)).items():
            history[k] = [int(v) for v in vals] if k in ("step", "epoch") else [_json_float(v) for v in vals]
        return {
            "version": CHECKPOINT_VERSION,
            "params": np.asarray(self.params, dtype=np.float64).tolist(),
            "optimizer": self.optimizer.state_dict(),
            "batch_size": int(self.batch_size),
            "n_train": int(self.train.n_samples),
            "n_steps": int(self.n_steps),
            "epoch": int(self.epoch),
            "cursor": int(self._cursor) if in_use else 0,
            "last_loss": _json_float(self._last_loss),
            "rng": _plain_pcg64(self._rng.bit_generator.state),
            "order_rng": _plain_pcg64(self._order_rng) if in_use else None,
            "history": history,
        }

    def restore(self, state: dict) -> None:
        """Continue from a :meth:`checkpoint`, bit for bit: the next :meth:`step` gives the checkpointed trainer's.

        The next steps' losses and parameters equal those the checkpointed trainer would get.

        Parameters
        ----------
        state : dict — as :meth:`checkpoint` returns it (possibly after a JSON round trip). It must fit this
            trainer's classifier (``params`` of length n_params) and training set (``n_train`` points); the
            optimizer it names (one of :data:`~playground.optim.OPTIMIZERS`) replaces the current one, and its
            batch size, counters, generator, batch order and history replace this trainer's. The seed, ``init``
            and starting parameters stay this trainer's (so :meth:`reset` goes back to this trainer's start).

        Everything is checked and built first: on any problem a ValueError with one line "field: expected ...,
        got ..." is raised and the trainer is unchanged.
        """
        _check_keys("checkpoint", state, CHECKPOINT_KEYS)
        if not (_is_int(state["version"]) and state["version"] == CHECKPOINT_VERSION):
            raise _fail("version", str(CHECKPOINT_VERSION), state["version"])
        n_params = self.classifier.n_params
        params = _check_vector("params", state["params"], n_params)
        opt_state = state["optimizer"]
        name = opt_state.get("name") if isinstance(opt_state, dict) else opt_state
        if not isinstance(name, str) or name not in OPTIMIZERS:
            raise _fail("optimizer.name", "one of " + ", ".join(OPTIMIZERS), name)
        optimizer = OPTIMIZERS[name]()
        optimizer.load_state(opt_state, n_params)
        batch_size = self._check_batch(state["batch_size"])
        n_train = self.train.n_samples
        if not (_is_int(state["n_train"]) and state["n_train"] == n_train):
            raise _fail("n_train", f"{n_train} (this trainer's training points)", state["n_train"])
        n_steps = _check_int("n_steps", state["n_steps"], 0, MAX_COUNT)
        epoch = _check_int("epoch", state["epoch"], 0, MAX_COUNT)
        cursor = _check_int("cursor", state["cursor"], 0, n_train)
        last_loss = math.nan
        if state["last_loss"] is not None:
            last_loss = _check_number("last_loss", state["last_loss"], what="null or a finite number")
        rng_state = _check_pcg64("rng", state["rng"])
        order_rng = None if state["order_rng"] is None else _check_pcg64("order_rng", state["order_rng"])
        if order_rng is not None and cursor >= n_train:
            raise _fail("cursor", f"an integer in 0..{n_train - 1} while a batch order is in use (order_rng)", cursor)
        history = _check_history(state["history"])
        bit_generator = np.random.PCG64(0)
        rng = np.random.Generator(bit_generator)
        order = np.empty(0, dtype=np.int64)
        if order_rng is not None:
            bit_generator.state = order_rng
            order = rng.permutation(n_train)
        bit_generator.state = rng_state
        # everything is checked and built: assign
        self.params = params
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.n_steps, self.epoch, self._cursor = n_steps, epoch, cursor
        self._last_loss = last_loss
        self._rng, self._order, self._order_rng = rng, order, order_rng
        self.history = history

    # ------------------------------------------------------------------ views
    def snapshot(self, resolution: int = 100, *, map_resolution: int = 24, extent: tuple[float, float] = (-1.0, 1.0)) -> TrainerSnapshot:
        """Everything the views draw, as plain arrays (see :class:`TrainerSnapshot`)."""
        resolution = int(np.clip(resolution, 2, 400))
        map_resolution = int(np.clip(map_resolution, 2, 64))
        clf = self.classifier
        theta, weights = clf.split(self.params)
        prog = clf.program
        xs = np.linspace(extent[0], extent[1], resolution)
        probs, bloch = engine.grid(prog, theta, xs, xs, backend=self.backend)
        ny, nx = probs.shape[:2]
        grid_r = clf.readout_from(probs.reshape(ny * nx, -1), bloch.reshape(ny * nx, *bloch.shape[2:]), weights)
        fwd = engine.forward(prog, theta, self.train.X, record_layers=True, single=True, backend=self.backend)
        train_r = clf.readout_from(fwd.probs, fwd.bloch, weights)
        ms = np.linspace(extent[0], extent[1], map_resolution)
        mx, my = np.meshgrid(ms, ms)
        Xm = np.zeros((map_resolution**2, prog.n_features))
        Xm[:, 0] = mx.ravel()
        if prog.n_features > 1:
            Xm[:, 1] = my.ravel()
        maps = engine.forward(prog, theta, Xm, record_layers=True, single=True, backend=self.backend).layers
        layer_maps = maps[..., 2].reshape(prog.n_layers + 1, prog.n_qubits, map_resolution, map_resolution)
        test_pred = np.empty(0, dtype=np.int64)
        if self.test is not None and self.test.n_samples:
            test_pred = clf.predict(self.params, self.test.X)
        h = {k: np.asarray(v, dtype=float) for k, v in self.history.items()}
        last = (lambda k: float(h[k][-1]) if len(h[k]) else float("nan"))
        return TrainerSnapshot(
            n_steps=self.n_steps,
            epoch=self.epoch,
            loss=last("loss"),
            train_accuracy=last("train_accuracy"),
            test_accuracy=last("test_accuracy"),
            history=h,
            params=self.params.copy(),
            grid_x=xs,
            grid_y=xs.copy(),
            grid_proba=grid_r.proba.reshape(ny, nx, -1).astype(np.float32),
            train_proba=train_r.proba,
            train_pred=train_r.predictions,
            train_fidelities=train_r.fidelities,
            test_pred=test_pred,
            final_bloch=fwd.bloch,
            layer_bloch=fwd.layers.astype(np.float32),
            layer_maps=layer_maps.astype(np.float32),
            label_bloch=label_bloch_vectors(clf.n_classes),
        )


def _json_float(value) -> float | None:
    """A float for JSON: NaN and infinities (not available) become None."""
    value = float(value)
    return value if math.isfinite(value) else None


def thin_history(history: dict[str, list], max_rows: int) -> dict[str, list]:
    """Keep at most ``max_rows`` rows, evenly spaced, always the first and the last."""
    n = len(history["step"])
    if n <= max_rows:
        return {k: list(v) for k, v in history.items()}
    keep = np.unique(np.round(np.linspace(0, n - 1, max_rows)).astype(np.int64))
    return {k: [v[i] for i in keep] for k, v in history.items()}


def _plain_pcg64(state: dict) -> dict:
    """A PCG64 ``bit_generator.state`` as a fresh dict of plain ints (big ints: JSON carries them exactly)."""
    inner = state["state"]
    return {
        "bit_generator": str(state["bit_generator"]),
        "state": {"state": int(inner["state"]), "inc": int(inner["inc"])},
        "has_uint32": int(state["has_uint32"]),
        "uinteger": int(state["uinteger"]),
    }


def _check_pcg64(where: str, value: Any) -> dict:
    """A PCG64 generator state rebuilt from checked plain ints (nothing of ``value`` reaches numpy)."""
    _check_keys(where, value, _PCG64_KEYS)
    if not (isinstance(value["bit_generator"], str) and value["bit_generator"] == "PCG64"):
        raise _fail(f"{where}.bit_generator", "'PCG64'", value["bit_generator"])
    inner = _check_keys(f"{where}.state", value["state"], ("state", "inc"))
    top = 2**128 - 1
    if not (type(inner["state"]) is int and 0 <= inner["state"] <= top):
        raise _fail(f"{where}.state.state", "an integer in 0..2**128-1", inner["state"])
    if not (type(inner["inc"]) is int and 0 < inner["inc"] <= top and inner["inc"] % 2 == 1):
        raise _fail(f"{where}.state.inc", "an odd integer in 1..2**128-1", inner["inc"])
    has_uint32 = _check_int(f"{where}.has_uint32", value["has_uint32"], 0, 1)
    uinteger = _check_int(f"{where}.uinteger", value["uinteger"], 0, 2**32 - 1)
    return {
        "bit_generator": "PCG64",
        "state": {"state": int(inner["state"]), "inc": int(inner["inc"])},
        "has_uint32": has_uint32,
        "uinteger": uinteger,
    }


def _check_history(value: Any) -> dict[str, list]:
    """Checked history lists (None → NaN); ``step`` and ``epoch`` are non-negative integers."""
    _check_keys("history", value, HISTORY_FIELDS)
    n = len(value["step"]) if isinstance(value["step"], (list, tuple)) else -1
    out: dict[str, list] = {}
    for key in HISTORY_FIELDS:
        values = value[key]
        if not isinstance(values, (list, tuple)) or len(values) > MAX_HISTORY_ROWS:
            raise _fail(f"history.{key}", f"a list of at most {MAX_HISTORY_ROWS} values", values)
        if len(values) != n:
            raise _fail(f"history.{key}", f"{n} values (as history.step)", values)
        if key in ("step", "epoch"):
            out[key] = [_check_int(f"history.{key}[{i}]", v, 0, MAX_COUNT) for i, v in enumerate(values)]
        else:
            lo, hi = (0.0, 1.0) if key.endswith("accuracy") else (-math.inf, math.inf)
            what = "null or a number in [0, 1]" if key.endswith("accuracy") else "null or a finite number"
            out[key] = [
                math.nan if v is None else _check_number(f"history.{key}[{i}]", v, lo, hi, what) for i, v in enumerate(values)
            ]
    return out


def restart_seeds(seed: int, restarts: int) -> list[int]:
    """Seeds of ``restarts`` independent starts; the first is ``seed`` itself, so one restart is a plain run."""
    if restarts < 1:
        raise ValueError(f"restarts: expected an integer >= 1, got {restarts!r}")
    children = np.random.SeedSequence(seed).spawn(restarts - 1)
    return [int(seed)] + [int(c.generate_state(1)[0]) for c in children]


def fit_best(make_trainer, seed: int, restarts: int, epochs: int) -> tuple["Trainer", list[dict]]:
    """Train ``restarts`` runs (``make_trainer(seed)`` builds each) and keep the best fit of the *training* set.

    "Best" is the highest training accuracy, ties broken by the lower training loss. The test set plays no part
    in the choice. Why accuracy first: with a few hundred points the lowest-loss restart is sometimes a sharper
    fit that classifies worse (on ``circle`` with two layers, one start in twenty reaches a lower fidelity cost
    but 5 points less accuracy on the training set and 5 less on the test set). Returns the kept trainer and
    every run's last record.
    """
    best, best_key, records = None, None, []
    for s in restart_seeds(seed, restarts):
        trainer = make_trainer(s)
        rec = trainer.run(epochs, record_every_epoch=False)
        records.append(dict(rec, seed=s))
        key = (-rec["train_accuracy"], rec["train_loss"])
        if best is None or key < best_key:
            best, best_key = trainer, key
    return best, records
