"""One browser tab's training run: settings in, numpy frames out, computed in the shared worker pool."""

from __future__ import annotations

import logging
import math
import time
import traceback
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import param

from playground.classifier import Classifier
from playground.datasets import Dataset, drawn_dataset, make_train_test
from playground.links import LinkError, decode_points
from playground.paper import PAPER_SIZES, PaperStartError, paper_draw
from playground.spec import CircuitSpec
from playground.trainer import MAX_BATCH_SIZE, Trainer, TrainerSnapshot
from widgets.decision_boundary import BoundaryFrame, DecisionBoundaryView
from widgets.layers import LayerFrame, LayerView

from .settings import MAX_POINTS, MAX_RESOLUTION, MAX_STEPS_PER_FRAME, MIN_RESOLUTION, PlaygroundSettings, fit_circuit
from .workers import FramePool

__all__ = ["PlaygroundSession", "Frame", "FrameRequest", "DataPoints"]

log = logging.getLogger("playground.apps")

MAP_RESOLUTION = 24
LINK_HISTORY_ROWS = 60  # rows of the loss curve a "with the trained model" link carries (each ~100 characters)
BROWSER_TIMEOUT_MS = 1000
FRAMES_AHEAD = 2  # frames sent but not yet painted by the browser, at most, before the next one is computed
DIVERGED = "Training diverged (the parameters became infinite or NaN) — press Reset to start again."
# What each setting invalidates; settings missing here only affect how a frame is drawn or paced.
_CHANGE_KIND = {
    "dataset": "dataset",
    "n_samples": "data",
    "test_fraction": "data",
    "noise": "data",
    "seed": "data",
    "paper_draw": "data",
    "drawing": "dataset",  # a drawn plane has its own classes: a new model
    "draw_classes": "dataset",
    "points": "data",  # a point more or less: the model and its optimizer state carry on
    "circuit": "model",  # the shape settings (n_qubits, n_layers, ...) act through the circuit
    "cost": "model",
    "readout": "model",
    "init": "init",
    "optimizer": "optimizer",
    "learning_rate": "learning_rate",
    "batch_size": "batch_size",
    "resolution": "view",
}


@dataclass(frozen=True)
class FrameRequest:
    """Everything a worker needs, captured on the document thread: plain values only."""

    settings: dict
    changes: frozenset
    n_steps: int
    interactive: bool = True  # someone waits for this frame (a click, a changed setting), not just playback
    load: tuple | None = None  # ("checkpoint", dict) or ("params", ndarray): applied after the changes
    checkpoint: bool = False  # put the trainer's checkpoint in the frame (for a share link)


@dataclass(frozen=True)
class DataPoints:
    """The points on screen, sent with a frame only when they changed."""

    train: Dataset
    test: Dataset


@dataclass(frozen=True)
class Frame:
    """One picture of the run, ready for the views (arrays only; nothing here is shared with the worker)."""

    n_steps: int = 0
    epoch: int = 0
    loss: float = math.nan
    train_accuracy: float = math.nan
    test_accuracy: float = math.nan
    snapshot: TrainerSnapshot | None = None
    boundary: BoundaryFrame | None = None
    layers: LayerFrame | None = None
    points: DataPoints | None = None
    spec: CircuitSpec | None = None
    model_spec: CircuitSpec | None = None  # the circuit the parameters of this frame belong to (always set)
    circuit_params: np.ndarray | None = None  # of shape (model_spec's n_params,): θ of the circuit, for hover text
    checkpoint: dict | None = None  # Trainer.checkpoint(), when the request asked for it
    n_classes: int = 2
    strategy: str = "state"  # the read-out in use (it may fall back from the setting; see _make_classifier)
    paper_draw: bool = False  # the points are the authors' own draw (the setting, for a paper problem)
    init: str = "uniform"  # the initialisation in use (``paper`` falls back to ``uniform`` where it has no values)
    uses_basis_states: bool = False
    notices: tuple = ()
    error: str | None = None
    compute_ms: float = 0.0
    serial: int = 0


class PlaygroundSession(param.Parameterized):
    """Owns one :class:`~playground.trainer.Trainer` and turns setting changes into frames.

    Data flows one way: ``settings`` (watched on the document thread) → pending changes → a
    :class:`FrameRequest` → a worker applies the changes to the trainer, trains, takes a snapshot and prepares
    the view payloads → :attr:`frame` is set on the document thread, where views patch their sources. The trainer
    is only ever touched by the one frame in flight, so it needs no lock.

    Parameters
    ----------
    settings : PlaygroundSettings
    pool : FramePool or None
        The shared pool; ``None`` computes frames synchronously in the caller (tests, scripts).
    """

    frame = param.ClassSelector(class_=Frame, default=None, allow_None=True, doc=(
        "The latest frame with a picture (document thread). A frame that failed (``error``: it has no picture) leaves "
        "it as it was, so the views keep the last good picture, and sets notice instead."))
    notice = param.String(default="", doc="Plain-text message for the person at the page ('' when all is well).")
    max_fps = param.Number(default=60.0, bounds=(1.0, 120.0), doc="Upper bound on frames per second while playing.")
    checkpoints = param.Boolean(default=False, doc=(
        "Put the trainer's checkpoint in every frame computed while paused (for a live 'with the trained model' link)."))
    play_gate = param.Callable(default=None, allow_None=True, doc=(
        "Asked when the run is about to play (admission control): returns '' to let it, or the plain-text reason it "
        "may not; then the run stays paused, nothing is computed, and notice says why."))

    def __init__(self, settings: PlaygroundSettings, *, pool: FramePool | None = None, **params):
        super().__init__(**params)
        self.settings = settings
        self.pool = pool
        self._rng = np.random.default_rng()  # this tab's own generator (new seeds on "regenerate")
        self._trainer: Trainer | None = None
        self._spec: CircuitSpec | None = None
        self._pending: set[str] = {"dataset"}
        self._pending_steps = 0
        self._pending_load: tuple | None = None
        self._pending_checkpoint = False
        self._in_flight = False
        self._again = False
        self._closed = False
        self._started = False
        self._counted_playing = False
        self._doc = None
        self._last_submit = 0.0
        self._serial = 0
        self._timeout_handle = None
        self._paced = False           # wait for the browser to paint a frame before computing the one after next
        self._applied_serial = 0
        self._shown_serial = 0
        self._waiting_for_browser = False
        self.frames_applied = 0
        self._failure = ""  # the notice of the last failed frame, until a good frame replaces it
        settings.param.watch(self._on_setting, list(_CHANGE_KIND))
        settings.param.watch(self._on_playing, ["playing"])
        settings.param.watch(self._on_event, ["step", "reset", "regenerate"])

    # ------------------------------------------------------------------ lifecycle (document thread)
    def start(self, doc=None) -> None:
        """Attach to a Bokeh document (or none, for synchronous use) and compute the first frame."""
        if self._started or self._closed:
            return
        self._started = True
        self._doc = doc
        if self.pool is not None:
            self.pool.session_opened()
        self._count_playing(self.settings.playing)
        self.request_frame()

    def close(self, *, document_gone: bool = False) -> None:
        """Stop for good: the frame in flight finishes its current step and is dropped (idempotent).

        ``document_gone``: the tab's document is being torn down (the server's session-destroyed hook); its pending
        callbacks go with it, and removing one from it then fails, so the timer is only forgotten.
        """
        if self._closed:
            return
        self._count_playing(False)
        self._closed = True
        if self.pool is not None and self._started:
            self.pool.session_closed()
        if document_gone:
            self._timeout_handle = None
            self._doc = None
        else:
            self._clear_timer()

    def _clear_timer(self) -> None:
        if self._doc is not None and self._timeout_handle is not None:
            try:
                self._doc.remove_timeout_callback(self._timeout_handle)
            except ValueError:  # it already ran
                pass
        self._timeout_handle = None

    def enable_browser_pacing(self) -> None:
        """Pace frames by the browser's acknowledgements (:meth:`acknowledge`); the app turns this on when served."""
        self._paced = True

    def acknowledge(self, serial: int) -> None:
        """The browser painted frame ``serial`` (document thread). A browser cannot have painted a frame it was not
        sent: a larger number (a client's own, not a page's) counts as the latest frame sent, so pacing holds."""
        self._shown_serial = max(self._shown_serial, min(int(serial), self._applied_serial))
        if self._waiting_for_browser and self._applied_serial - self._shown_serial <= FRAMES_AHEAD:
            self._waiting_for_browser = False
            self._clear_timer()
            if self.settings.playing and not self._in_flight:
                self._schedule_next()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def in_flight(self) -> bool:
        return self._in_flight

    # ------------------------------------------------------------------ settings → pending changes
    def _on_setting(self, *events) -> None:
        for e in events:
            self._pending.add(_CHANGE_KIND[e.name])
        self.request_frame()

    def _on_playing(self, event) -> None:
        if event.new and self._play_refused():
            return
        self._count_playing(bool(event.new))
        if event.new:
            self.notice = ""
            self.request_frame()
        else:
            self._clear_timer()  # no paced frame after a pause
            self._waiting_for_browser = False

    def _play_refused(self) -> bool:
        """Ask :attr:`play_gate` whether the run may start playing; when it may not, say why and pause it again."""
        reason = self.play_gate() if self.play_gate is not None and self._started and not self._closed else ""
        if not reason:
            return False
        self.notice = reason
        if self._doc is None:
            self.settings.playing = False
        else:  # after every watcher has seen this change: a change made inside one would reach the others out of order
            self._doc.add_next_tick_callback(partial(setattr, self.settings, "playing", False))
        return True

    def _count_playing(self, playing: bool) -> None:
        """Keep the pool's count of playing sessions right (it shares the machine between them)."""
        playing = playing and self._started and not self._closed
        if self.pool is not None and playing != self._counted_playing:
            self.pool.playing_changed(playing)
            self._counted_playing = playing

    def _on_event(self, *events) -> None:
        for e in events:
            if e.name == "step":
                if self.settings.playing:
                    self.settings.playing = False
                self._pending_steps += 1
            elif e.name == "reset":
                self._pending.add("reset")
                self._pending_steps = 0
            elif e.name == "regenerate":
                # Changing the seed triggers _on_setting ("data"); the run keeps its parameters.
                self.settings.seed = int(self._rng.integers(0, 2**31 - 1))
                return
        self.request_frame()

    def load(self, *, checkpoint: dict | None = None, params: np.ndarray | None = None) -> None:
        """Continue from a shared checkpoint (:meth:`Trainer.checkpoint`) or from given parameters.

        Applied in the next frame, after any pending setting changes; if it does not fit the model, the run
        keeps its own parameters and :attr:`notice` says so.
        """
        if checkpoint is not None:
            self._pending_load = ("checkpoint", checkpoint)
        elif params is not None:
            self._pending_load = ("params", np.array(params, dtype=np.float64))
        self.request_frame()

    def request_checkpoint(self) -> None:
        """Ask for the trainer's checkpoint: it arrives in the next frame's ``checkpoint``."""
        self._pending_checkpoint = True
        self.request_frame()

    # ------------------------------------------------------------------ scheduling
    def request_frame(self) -> None:
        """Ask for a frame now; while one is in flight, ask for exactly one more after it (never a queue)."""
        if self._closed or not self._started:
            return
        if self._in_flight:
            self._again = True
            return
        self._submit()

    def _capture(self) -> FrameRequest:
        s = self.settings
        values = {name: getattr(s, name) for name in s.param
                  if name not in ("name", "step", "reset", "regenerate", "clear_points")}
        interactive = bool(self._pending or self._pending_steps or self._pending_load or self._pending_checkpoint
                           or not s.playing)
        if s.playing:
            n_steps = int(min(max(s.steps_per_frame, 1), MAX_STEPS_PER_FRAME))
        else:
            n_steps = min(self._pending_steps, MAX_STEPS_PER_FRAME)
        self._pending_steps = 0
        changes = frozenset(self._pending)
        self._pending = set()
        load, self._pending_load = self._pending_load, None
        checkpoint, self._pending_checkpoint = self._pending_checkpoint or (self.checkpoints and not s.playing), False
        return FrameRequest(settings=values, changes=changes, n_steps=n_steps, interactive=interactive, load=load,
                            checkpoint=checkpoint)

    def _submit(self) -> None:
        self._clear_timer()
        self._waiting_for_browser = False
        if self._closed or self._in_flight:
            return
        request = self._capture()
        self._in_flight = True
        self._again = False
        self._last_submit = time.perf_counter()
        if self.pool is None:
            self._on_frame(self._run(request))
        else:
            priority = FramePool.INTERACTIVE if request.interactive else FramePool.PLAYING
            self.pool.submit(self._run_and_deliver, request, priority=priority)

    def _run_and_deliver(self, request: FrameRequest) -> None:  # worker thread
        frame = self._run(request)
        doc = self._doc
        if self._closed or doc is None:
            self._in_flight = False
            return
        try:
            doc.add_next_tick_callback(partial(self._on_frame, frame))
        except Exception:  # the document is gone (tab closed between two checks)
            self._in_flight = False

    def _on_frame(self, frame: Frame) -> None:  # document thread
        self._in_flight = False
        if self._closed:
            return
        self.frames_applied += 1
        if frame.serial:
            self._applied_serial = frame.serial
        t0, w0 = time.thread_time(), time.perf_counter()
        if not frame.error:
            try:
                self.frame = frame
            except Exception:
                log.exception("a view failed to draw a frame")
                frame = Frame(error="A view could not draw this frame.")
        if self.pool is not None:
            self.pool.record_document_time(time.thread_time() - t0, time.perf_counter() - w0)
        if frame.error:
            self.notice = self._failure = frame.error
            if self.settings.playing:
                self.settings.playing = False
        elif frame.notices:
            self.notice = " ".join(frame.notices)
        elif self._failure and self.notice == self._failure:
            self.notice = ""  # a good frame again (after Reset): the failure is over
        if not frame.error:
            self._failure = ""
        if self._again or self._pending or self._pending_steps or self._pending_load or self._pending_checkpoint:
            self._submit()
        elif self.settings.playing:
            self._schedule_next()

    def _schedule_next(self) -> None:
        if self._doc is None:
            return
        self._clear_timer()
        if self._paced and self._applied_serial - self._shown_serial > FRAMES_AHEAD:
            # The browser has not painted the previous frame yet: wait for it (a hidden tab never does, so go on
            # at one frame per second after a while).
            self._waiting_for_browser = True
            self._timeout_handle = self._doc.add_timeout_callback(self._browser_timeout, BROWSER_TIMEOUT_MS)
            return
        interval = 1.0 / self.max_fps
        if self.pool is not None:
            interval = max(interval, self.pool.min_frame_interval())
        wait = interval - (time.perf_counter() - self._last_submit)
        if wait <= 0.002:
            self._submit()
        else:
            self._timeout_handle = self._doc.add_timeout_callback(self._submit, int(wait * 1000))

    def _browser_timeout(self) -> None:
        self._timeout_handle = None
        if self._waiting_for_browser:
            self._waiting_for_browser = False
            if self.settings.playing:
                self._submit()

    # ------------------------------------------------------------------ the work (worker thread)
    def _run(self, request: FrameRequest) -> Frame:
        t0 = time.perf_counter()
        try:
            frame = self.compute_frame(request)
        except Exception as err:  # one session's failure must not reach the server or the other tabs
            log.error("frame failed: %s\n%s", err, traceback.format_exc())
            frame = Frame(error=f"Something went wrong while training ({type(err).__name__}); training paused. "
                          "Try other settings or press Reset.")
        return _with_time(frame, (time.perf_counter() - t0) * 1000.0)

    def compute_frame(self, request: FrameRequest) -> Frame:
        """Apply the request's changes to the trainer, train ``n_steps`` steps and build the frame."""
        s = request.settings
        changes = set(request.changes)
        notices: list[str] = []
        points = None
        spec_changed = False
        if self._trainer is None or "dataset" in changes:
            train, test = self._make_data(s, notices)
            self._spec = fit_circuit(s["circuit"], train.n_features)
            clf = self._make_classifier(s, self._spec, train.n_classes, notices)
            self._trainer = self._make_trainer(s, clf, train, test, notices)
            points, spec_changed = DataPoints(train, test), True
            changes -= {"data", "model", "init", "optimizer", "learning_rate", "batch_size", "reset"}
        trainer = self._trainer
        if "data" in changes:
            train, test = self._make_data(s, notices)
            trainer.set_data(train, test)
            points = DataPoints(train, test)
        if "model" in changes:
            spec = fit_circuit(s["circuit"], trainer.train.n_features)
            clf = self._make_classifier(s, spec, trainer.train.n_classes, notices)
            trainer.set_classifier(clf)
            # Reset (and a fresh page opened from the link) starts this circuit where the seed starts it; the
            # running parameters of untouched gates carried over above.
            try:
                trainer.initial_params = trainer.start_params(clf)
            except PaperStartError:  # an edit the paper never ran: its new gates start uniform
                trainer.initial_params = clf.initial_params(np.random.default_rng(trainer.seed), "uniform")
                notices.append("The paper's starting values exist only for the authors' own circuits; Reset starts "
                               "this circuit from uniform values.")
            self._spec, spec_changed = spec, True
        if "init" in changes:
            self._trainer = trainer = self._make_trainer(s, trainer.classifier, trainer.train, trainer.test, notices)
        if "optimizer" in changes:
            trainer.set_optimizer(s["optimizer"], float(s["learning_rate"]))
        if "learning_rate" in changes:
            trainer.set_learning_rate(float(s["learning_rate"]))
        if "batch_size" in changes:
            trainer.set_batch_size(_clamp_int(s["batch_size"], 1, MAX_BATCH_SIZE))
        if "reset" in changes:
            trainer.reset()
        loaded = request.load is not None and self._apply_load(trainer, request.load, notices)
        n_steps = _clamp_int(request.n_steps, 0, MAX_STEPS_PER_FRAME)
        if trainer.train.n_samples == 0:  # an empty drawn plane: nothing to learn from yet
            n_steps = 0
        # A run whose parameters or loss stop being finite numbers cannot go on (L-BFGS or a large learning rate on
        # some settings): it stops with a notice and no picture, so the views keep the last good one; Reset recovers.
        diverged = not np.all(np.isfinite(trainer.params))
        for _ in range(n_steps):
            if self._closed:
                return Frame()
            if diverged:
                break
            loss = trainer.step()
            diverged = not (math.isfinite(loss) and np.all(np.isfinite(trainer.params)))
        if diverged:
            return Frame(n_steps=trainer.n_steps, epoch=trainer.epoch, model_spec=self._spec, error=DIVERGED)
        if n_steps or not trainer.history["step"] or points is not None or spec_changed or "reset" in changes or (
                loaded and trainer.history["step"][-1] != trainer.n_steps):
            trainer.record()
        resolution = _clamp_int(s["resolution"], MIN_RESOLUTION, MAX_RESOLUTION)
        snap = trainer.snapshot(resolution, map_resolution=MAP_RESOLUTION)
        if not np.all(np.isfinite(snap.grid_proba)):  # finite parameters, yet a picture of NaN: no picture either
            return Frame(n_steps=trainer.n_steps, epoch=trainer.epoch, model_spec=self._spec, error=DIVERGED)
        self._serial += 1
        return Frame(
            n_steps=snap.n_steps,
            epoch=snap.epoch,
            loss=snap.loss,
            train_accuracy=snap.train_accuracy,
            test_accuracy=snap.test_accuracy,
            snapshot=snap,
            boundary=DecisionBoundaryView.prepare(snap),
            layers=LayerView.prepare(snap, trainer.train.y),
            points=points,
            spec=self._spec if spec_changed or loaded else None,
            model_spec=self._spec,
            circuit_params=trainer.classifier.split(trainer.params)[0].copy(),
            checkpoint=trainer.checkpoint(max_history_rows=LINK_HISTORY_ROWS) if request.checkpoint else None,
            n_classes=trainer.classifier.n_classes,
            strategy=trainer.classifier.strategy,
            uses_basis_states=trainer.classifier.uses_basis_states,
            paper_draw=self._paper_draw(s),
            init=trainer.init,
            notices=tuple(notices),
            serial=self._serial,
        )

    @staticmethod
    def _apply_load(trainer: Trainer, load: tuple, notices: list[str]) -> bool:
        kind, value = load
        if kind == "checkpoint":
            try:
                trainer.restore(value)
            except ValueError as err:
                notices.append(f"The trained model in this link does not fit its settings ({err}); "
                               "starting from the seed instead.")
                return False
            return True
        params = np.asarray(value, dtype=np.float64)
        if params.shape != trainer.params.shape or not np.all(np.isfinite(params)):
            notices.append(f"The trained parameters do not fit this model (expected {trainer.params.size} numbers, "
                           f"got {params.size}); starting from the seed instead.")
            return False
        trainer.set_params(params)  # fresh optimizer state; the numbers shown are measured anew
        return True

    # ------------------------------------------------------------------ builders (bounded)
    @staticmethod
    def _paper_draw(s: dict) -> bool:
        return bool(s.get("paper_draw")) and s["dataset"] in PAPER_SIZES

    @classmethod
    def _make_data(cls, s: dict, notices: list[str]) -> tuple[Dataset, Dataset]:
        if s.get("drawing"):  # every drawn point trains; there is no test set
            try:
                X, y = decode_points(s["points"]) if s["points"] else (np.empty((0, 2)), np.empty(0, dtype=np.int64))
                n_classes = max(int(s["draw_classes"]), int(y.max()) + 1 if len(y) else 2)
                train = drawn_dataset(X, y, n_classes=n_classes)
            except (LinkError, ValueError) as err:
                notices.append(f"The drawn points could not be used ({err}); starting from an empty plane.")
                train = drawn_dataset(np.empty((0, 2)), np.empty(0, dtype=np.int64), n_classes=int(s["draw_classes"]))
            return train, train.subset(slice(0, 0))
        if cls._paper_draw(s):  # a fixed draw of the paper's sizes (at most 5000 points)
            return paper_draw(s["dataset"])
        if s.get("paper_draw"):
            notices.append(f"Only the paper's nine problems have the authors' own points; {s['dataset']} is drawn "
                           "with the settings above.")
        n = _clamp_int(s["n_samples"], 20, MAX_POINTS)
        frac = min(max(float(s["test_fraction"]), 0.1), 0.9)
        n_test = int(round(n * frac))
        noise = min(max(float(s["noise"]), 0.0), 0.5)
        return make_train_test(s["dataset"], n - n_test, n_test, noise=noise, seed=int(s["seed"]))

    @staticmethod
    def _make_classifier(s: dict, spec: CircuitSpec, n_classes: int, notices: list[str]) -> Classifier:
        strategy = s["readout"]
        if strategy == "state" and s["cost"] != "weighted_fidelity" and spec.n_qubits > 1 and 2**spec.n_qubits < n_classes:
            notices.append(f"{n_classes} classes need more basis states than {spec.n_qubits} qubits have: "
                           "reading out each qubit ('focused') instead.")
            strategy = "focused"
        return Classifier(spec, n_classes=n_classes, cost=s["cost"], strategy=strategy)

    @staticmethod
    def _make_trainer(s: dict, clf: Classifier, train: Dataset, test: Dataset | None, notices: list[str]) -> Trainer:
        def make(init: str) -> Trainer:
            return Trainer(
                clf, train, test,
                optimizer=s["optimizer"],
                learning_rate=float(s["learning_rate"]),
                batch_size=_clamp_int(s["batch_size"], 1, MAX_BATCH_SIZE),
                seed=int(s["seed"]),
                init=init,
            )

        if s["init"] == "paper":
            try:
                return make("paper")
            except PaperStartError:
                notices.append("The paper's starting values exist only for its nine problems and the authors' "
                               "circuits (one U(θ+w∘x) gate per slot; for hypersphere, the code's two rotations per "
                               "slot); starting from uniform values instead.")
                return make("uniform")
        return make(s["init"])


def _clamp_int(value: Any, lo: int, hi: int) -> int:
    return int(min(max(int(value), lo), hi))


def _with_time(frame: Frame, ms: float) -> Frame:
    return replace(frame, compute_ms=ms)
