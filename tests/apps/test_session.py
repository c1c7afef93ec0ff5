"""PlaygroundSession without a browser: settings → trainer, frames, bounds, failures, scheduling."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from apps.session import Frame, FrameRequest, PlaygroundSession
from apps.settings import MAX_STEPS_PER_FRAME, PlaygroundSettings
from apps.workers import FramePool
from playground.spec import CircuitSpec


def _session(**values):
    s = PlaygroundSettings(**values)
    sess = PlaygroundSession(s)  # no pool: every frame is computed synchronously
    sess.start()
    return s, sess


def test_first_frame_has_the_snapshot_and_the_points():
    s, sess = _session(n_samples=100, test_fraction=0.3)
    f = sess.frame
    assert isinstance(f, Frame) and f.error is None
    assert f.n_steps == 0 and f.points is not None and f.spec is not None
    assert f.points.train.n_samples == 70 and f.points.test.n_samples == 30
    assert f.snapshot.grid_proba.shape == (100, 100, 2)
    assert f.boundary.image.shape == (100, 100)
    assert f.layers.layer_bloch.shape == (5, 1, 70, 3)
    assert np.isfinite(f.test_accuracy)  # step 0 is recorded, so the page shows a number at once


def test_step_is_exactly_one_update():
    s, sess = _session()
    s.step = True
    assert sess.frame.n_steps == 1
    s.step = True
    assert sess.frame.n_steps == 2
    assert sess.frame.points is None  # unchanged points are not sent again


def test_step_while_playing_pauses_then_steps_once():
    s, sess = _session(steps_per_frame=5)
    s.playing = True  # synchronous: one playing frame of 5 steps
    n = sess.frame.n_steps
    s.step = True
    assert not s.playing
    assert sess.frame.n_steps == n + 1


def test_playing_frame_takes_steps_per_frame_steps():
    s, sess = _session(steps_per_frame=7)
    s.param.update(playing=True)
    sess.request_frame()
    assert sess.frame.n_steps in (7, 14)  # the watcher's frame and this one; never anything else


def test_layers_change_keeps_parameters_and_history():
    s, sess = _session(n_layers=3)
    for _ in range(5):
        s.step = True
    before = sess._trainer.params.copy()
    s.n_layers = 5
    t = sess._trainer
    assert t.classifier.spec.n_layers == 5
    assert t.n_steps == 5  # the run goes on
    per_layer = 5  # compressed block on 2 features: 3 angles + 2 weights
    assert np.allclose(t.params[: 3 * per_layer], before[: 3 * per_layer])
    assert sess.frame.spec.n_layers == 5
    assert sess.frame.layers.layer_bloch.shape[0] == 6


def test_qubits_and_entangler_change_the_classifier():
    s, sess = _session()
    s.param.update(n_qubits=2, entangler="cnot-ring")
    spec = sess._trainer.classifier.spec
    assert spec.n_qubits == 2 and spec.uses_entanglement()
    assert sess.frame.snapshot.final_bloch.shape[1] == 2
    s.entangler = "none"
    assert not sess._trainer.classifier.spec.uses_entanglement()


def test_optimizer_learning_rate_and_batch_reach_the_trainer():
    s, sess = _session()
    s.optimizer = "sgd"
    s.learning_rate = 0.3
    s.batch_size = 8
    t = sess._trainer
    assert t.optimizer.name == "sgd" and t.optimizer.learning_rate == 0.3 and t.batch_size == 8


def test_reset_returns_to_the_same_start():
    s, sess = _session()
    image0 = sess.frame.boundary.image.copy()
    for _ in range(3):
        s.step = True
    assert not np.array_equal(sess.frame.boundary.image, image0)
    s.reset = True
    assert sess.frame.n_steps == 0 and sess.frame.epoch == 0
    assert np.array_equal(sess.frame.boundary.image, image0)


def test_dataset_change_starts_over_and_sends_points():
    s, sess = _session()
    s.step = True
    s.dataset = "squares"
    f = sess.frame
    assert f.n_steps == 0 and f.points.train.n_classes == 4 and f.n_classes == 4
    assert f.snapshot.grid_proba.shape[2] == 4


def test_noise_change_keeps_training_on_new_points():
    s, sess = _session()
    s.step = True
    x0 = sess._trainer.train.X.copy()
    s.noise = 0.2
    assert sess.frame.points is not None and sess.frame.n_steps == 1
    assert not np.allclose(sess._trainer.train.X, x0)


def test_regenerate_draws_a_new_seed_from_the_sessions_own_generator():
    s, sess = _session()
    seeds = set()
    for _ in range(3):
        s.regenerate = True
        seeds.add(s.seed)
    assert len(seeds) == 3 and sess.frame.points is not None


def test_too_many_classes_for_basis_states_fall_back_with_a_notice():
    s, sess = _session(dataset="squares", n_qubits=2)
    s.n_qubits = 1
    assert sess._trainer.classifier.n_classes == 4
    s.param.update(n_qubits=2, dataset="blobs")  # 3 classes on 2 qubits is fine
    assert sess.notice == "" or "classes" in sess.notice


def test_bad_request_values_are_clamped():
    s, sess = _session()
    values = dict(sess._capture().settings, n_samples=10**9, resolution=10**6, circuit=CircuitSpec.paper(6, 20),
                  noise=5.0, test_fraction=2.0, batch_size=10**9)
    frame = sess.compute_frame(FrameRequest(values, frozenset({"dataset"}), 10**6))
    assert frame.error is None
    assert frame.n_steps == MAX_STEPS_PER_FRAME
    assert frame.snapshot.grid_proba.shape[0] == 200
    assert frame.spec.n_layers == 15 and frame.spec.n_qubits == 4
    assert frame.points.train.n_samples + frame.points.test.n_samples == 2000


def test_a_failing_frame_shows_a_notice_and_pauses(monkeypatch):
    s, sess = _session()
    s.playing = False

    def boom(*a, **k):
        raise RuntimeError("kaboom <b>")

    monkeypatch.setattr(sess._trainer, "step", boom)
    s.playing = True
    assert not s.playing
    assert "went wrong" in sess.notice and "kaboom" not in sess.notice  # no internals, no traceback
    monkeypatch.undo()
    s.step = True
    assert sess.frame.error is None


def test_sessions_share_nothing():
    s1, a = _session()
    s2, b = _session()
    assert a._trainer is not b._trainer and a._rng is not b._rng
    s1.n_layers = 6
    s1.step = True
    assert b._trainer.classifier.spec.n_layers == 4 and b._trainer.n_steps == 0


def test_closed_session_computes_nothing():
    s, sess = _session()
    n = sess.frames_applied
    sess.close()
    s.step = True
    s.n_layers = 7
    assert sess.frames_applied == n and sess.closed


class FakeDoc:
    """Stands in for a Bokeh document: next-tick callbacks run when the test pumps them."""

    session_context = None

    def __init__(self):
        self.callbacks = []
        self.lock = threading.Lock()

    def add_next_tick_callback(self, cb):
        with self.lock:
            self.callbacks.append(cb)

    def add_timeout_callback(self, cb, ms):
        with self.lock:
            self.callbacks.append(cb)

    def remove_timeout_callback(self, cb):
        pass

    def pump(self, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                cbs, self.callbacks = self.callbacks, []
            for cb in cbs:
                cb()
            if cbs:
                return len(cbs)
            time.sleep(0.005)
        raise AssertionError("no callback arrived")


def test_pool_frames_never_overlap_and_requests_coalesce():
    pool = FramePool(2)
    s = PlaygroundSettings()
    sess = PlaygroundSession(s, pool=pool)
    doc = FakeDoc()
    sess.start(doc)
    assert sess.in_flight
    for n in range(4, 9):  # five changes while the first frame is computing: one more frame, not five
        s.n_layers = n
    assert pool.stats()["frames_in_flight"] <= 1
    doc.pump()
    assert sess.in_flight  # the coalesced follow-up frame
    doc.pump()
    assert not sess.in_flight
    assert sess.frames_applied == 2
    assert sess.frame.snapshot.layer_bloch.shape[0] == 9
    assert pool.stats()["sessions_open"] == 1
    sess.close()
    assert pool.stats()["sessions_open"] == 0


def test_playing_with_a_pool_keeps_one_frame_in_flight():
    pool = FramePool(1)
    s = PlaygroundSettings(steps_per_frame=2)
    sess = PlaygroundSession(s, pool=pool)
    doc = FakeDoc()
    sess.start(doc)
    doc.pump()
    s.playing = True
    seen = []
    for _ in range(10):  # frame callbacks alternate with the pacing timeout
        assert pool.stats()["frames_in_flight"] <= 1
        doc.pump()
        seen.append(sess.frame.n_steps)
    assert seen == sorted(seen) and seen[-1] >= 8
    sess.close()
    time.sleep(0.2)
    assert pool.stats()["frames_in_flight"] == 0


class TornDownDoc(FakeDoc):
    """Once ``torn_down``, a document the server is destroying: its callback manager is gone, as in Bokeh."""

    torn_down = False

    def add_timeout_callback(self, cb, ms):
        super().add_timeout_callback(cb, ms)
        return cb  # a handle, as Bokeh returns one

    def remove_timeout_callback(self, cb):
        if self.torn_down:
            raise AttributeError("'DocumentCallbackManager' object has no attribute '_change_callbacks'")


def _pump_until_a_timeout_is_pending(sess, doc, rounds=40):
    for _ in range(rounds):
        if sess._timeout_handle is not None:
            return
        doc.pump()
    raise AssertionError("no pacing timeout was scheduled")


def test_closing_with_the_document_gone_leaves_the_document_alone():
    pool = FramePool(1)
    for document_gone in (False, True):
        s = PlaygroundSettings(steps_per_frame=1, playing=True)
        sess = PlaygroundSession(s, pool=pool)
        doc = TornDownDoc()
        sess.start(doc)
        _pump_until_a_timeout_is_pending(sess, doc)
        doc.torn_down = True
        if not document_gone:
            with pytest.raises(AttributeError):
                sess.close()  # what the session-destroyed hook used to do: it fails on a torn-down document
            continue
        sess.close(document_gone=True)
        assert sess.closed and pool.stats()["sessions_open"] == 0
        for cb in list(doc.callbacks):  # a callback the document still runs finds the session closed
            cb()
        assert sess.frames_applied <= 2 and pool.stats()["frames_in_flight"] == 0
    pool.shutdown()


def test_pool_checks_its_size():
    with pytest.raises(ValueError, match="max_workers"):
        FramePool(0)


def test_pool_runs_waited_for_frames_before_playback_frames():
    pool = FramePool(1)
    gate = threading.Event()
    order = []
    pool.submit(gate.wait, priority=FramePool.PLAYING)  # keeps the only worker busy while the queue fills
    futures = [pool.submit(order.append, "playing-1", priority=FramePool.PLAYING),
               pool.submit(order.append, "playing-2", priority=FramePool.PLAYING),
               pool.submit(order.append, "click", priority=FramePool.INTERACTIVE)]
    gate.set()
    for f in futures:
        f.result(5)
    assert order == ["click", "playing-1", "playing-2"]
    assert pool.stats()["frames_in_flight"] == 0
    pool.shutdown()


def test_pool_hands_errors_to_the_future():
    pool = FramePool(1)
    fut = pool.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        fut.result(5)
    assert pool.submit(lambda: 7).result(5) == 7
    pool.shutdown()


def test_a_session_that_never_started_leaves_the_counters_alone():
    pool = FramePool(1)
    sess = PlaygroundSession(PlaygroundSettings(), pool=pool)
    sess.close()  # the tab went away before the page was ready
    assert pool.stats()["sessions_open"] == 0 and pool.stats()["sessions_total"] == 0
    pool.shutdown()


def test_playing_sessions_share_the_machine():
    pool = FramePool(1)
    pool._cpus = 2
    sessions = [PlaygroundSession(PlaygroundSettings(), pool=pool) for _ in range(3)]
    for sess in sessions:
        sess.start(FakeDoc())
    assert pool.min_frame_interval() == 0.0  # nobody plays
    for sess in sessions:
        sess.settings.playing = True
    assert pool.stats()["sessions_playing"] == 3
    deadline = time.time() + 10
    while pool.stats()["frames_in_flight"] and time.time() < deadline:  # the sessions' first frames
        time.sleep(0.01)
    with pool._lock:  # known costs instead of the measured ones
        pool._worker_cost, pool._document_cost, pool._document_wall = 0.006, 0.004, 0.002
    # three sessions at 10 ms of CPU per frame within 75 % of two CPUs: one frame each per 20 ms at most
    assert pool.min_frame_interval() == pytest.approx(3 * 0.010 / 1.5)
    for _ in range(100):  # a busy event loop: 20 ms per frame there, and it may be half busy with frames
        pool.record_document_time(0.004, 0.020)
    assert pool.min_frame_interval() == pytest.approx(3 * 0.020 / 0.5, rel=1e-3)
    sessions[0].settings.playing = False
    sessions[1].close()
    sessions[1].close()
    assert pool.stats()["sessions_playing"] == 1
    pool.shutdown()


def test_a_crowd_training_leaves_more_of_the_machine_for_clicks():
    pool = FramePool(1)
    pool._cpus = 2
    with pool._lock:
        pool._worker_cost, pool._document_cost, pool._document_wall = 0.006, 0.004, 0.002
    for _ in range(FramePool.CROWD):
        pool.playing_changed(True)
    small = pool.min_frame_interval()
    assert small == pytest.approx(FramePool.CROWD * 0.010 / (FramePool.CPU_SHARE * 2))
    pool.playing_changed(True)  # one more: a crowd
    crowd = pool.min_frame_interval()
    assert crowd == pytest.approx((FramePool.CROWD + 1) * 0.010 / (FramePool.CROWD_CPU_SHARE * 2))
    assert FramePool.CROWD_CPU_SHARE < FramePool.CPU_SHARE and FramePool.CROWD_LOOP_SHARE < FramePool.LOOP_SHARE
    pool.shutdown()
