"""Trainer and optimizers: one update per step, persistent state, determinism, live changes, snapshots."""

import subprocess
import sys

import numpy as np
import pytest

from playground.classifier import Classifier
from playground.datasets import make_train_test
from playground.optim import LBFGS, SGD, Adam, make_optimizer
from playground.spec import CircuitSpec, GateSpec
from playground.trainer import Trainer, fit_best, restart_seeds


@pytest.fixture(scope="module")
def data():
    return make_train_test("circle", 120, 300, seed=3)


def make(data, **kw):
    spec = kw.pop("spec", CircuitSpec.paper(1, 3))
    cost = kw.pop("cost", "fidelity")
    return Trainer(Classifier(spec, 2, cost), *data, **kw)


def quadratic(p):
    return float(np.sum((p - 3.0) ** 2)), 2 * (p - 3.0)


def test_optimizers_minimise_a_quadratic():
    for opt, steps in [(Adam(0.3), 300), (SGD(0.05, 0.9), 300), (LBFGS(), 10)]:
        p = np.zeros(4)
        for _ in range(steps):
            p, _ = opt.step(p, quadratic)
        assert np.allclose(p, 3.0, atol=1e-3), opt.name


def test_adam_state_persists_between_steps():
    opt = Adam(0.1)
    p, _ = opt.step(np.zeros(2), quadratic)
    m1 = opt.m.copy()
    p, _ = opt.step(p, quadratic)
    assert opt.t == 2 and not np.allclose(opt.m, (1 - 0.9) * 2 * (p - 3.0))
    assert np.all(np.abs(opt.m) > np.abs(m1))  # momentum accumulated, not restarted


def test_make_optimizer_rejects_unknown_names():
    with pytest.raises(ValueError, match="optimizer: expected one of adam, sgd, lbfgs, got 'rmsprop'"):
        make_optimizer("rmsprop")


def test_step_is_exactly_one_update(data):
    t = make(data, batch_size=10, optimizer="sgd", learning_rate=0.1)
    calls = []
    original = t.classifier.loss_and_grad

    def counting(*a, **k):
        calls.append(len(a[1]))
        return original(*a, **k)

    object.__setattr__(t.classifier, "loss_and_grad", counting)
    before = t.params.copy()
    t.step()
    assert calls == [10] and t.n_steps == 1
    assert not np.allclose(before, t.params)
    assert t.epoch == 0
    for _ in range(11):
        t.step()
    assert t.epoch == 1  # 120 points / 10 per batch = 12 steps per epoch


def test_deterministic_for_a_seed(data):
    runs = []
    for _ in range(2):
        t = make(data, seed=11, batch_size=16)
        for _ in range(15):
            t.step()
        runs.append(t.params)
    assert np.array_equal(*runs)
    other = make(data, seed=12, batch_size=16)
    assert not np.array_equal(other.params, make(data, seed=11).params)


def test_training_touches_no_global_random_state(data):
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    t = make(data, seed=5)
    for _ in range(5):
        t.step()
    t.snapshot(resolution=10)
    assert np.array_equal(np.random.get_state()[1], state)


def test_hyperparameters_change_mid_run_without_losing_parameters(data):
    t = make(data, batch_size=8)
    for _ in range(5):
        t.step()
    params, m = t.params.copy(), t.optimizer.m.copy()
    t.set_learning_rate(0.2)
    t.set_batch_size(30)
    assert np.array_equal(t.params, params) and np.array_equal(t.optimizer.m, m)
    t.set_optimizer("lbfgs")
    assert np.array_equal(t.params, params) and t.optimizer.name == "lbfgs"
    loss_before = t.evaluate()["train_loss"]
    t.step()
    assert t.evaluate()["train_loss"] < loss_before
    with pytest.raises(ValueError, match="batch_size: expected an integer in 1..20000, got 0"):
        t.set_batch_size(0)
    with pytest.raises(ValueError, match="learning_rate: expected a number in"):
        t.set_learning_rate(float("nan"))


def test_reset_returns_to_the_same_start_and_the_same_run(data):
    t = make(data, batch_size=16, seed=9)
    start = t.params.copy()
    first = [t.step() for _ in range(6)]
    t.record()
    t.reset()
    assert t.n_steps == 0 and t.epoch == 0 and t.history["step"] == []
    assert np.array_equal(t.params, start)
    again = [t.step() for _ in range(6)]
    assert first == again


def test_edit_mid_run_keeps_trained_values_of_untouched_gates(data):
    t = make(data, spec=CircuitSpec.paper(2, 3), batch_size=20)
    for _ in range(5):
        t.step()
    old = t.classifier
    params = t.params.copy()
    edited = old.spec.with_gate(2, 1, GateSpec("ry")).with_n_layers(4)
    t.set_classifier(Classifier(edited, 2, "fidelity"))
    for uid, (off, size) in t.classifier.program.gate_slices.items():
        if uid in old.program.gate_slices:
            o, _ = old.program.gate_slices[uid]
            assert np.array_equal(t.params[off : off + size], params[o : o + size])
    assert len(t.optimizer.m) == t.classifier.n_params  # Adam moments followed the edit
    t.step()
    assert t.n_steps == 6


def test_lbfgs_is_full_batch_and_learns_circle(data):
    t = make(data, optimizer="lbfgs", cost="weighted_fidelity", spec=CircuitSpec.paper(1, 4), seed=30)
    rec = t.run(200, record_every_epoch=False)
    assert t.epoch == t.n_steps  # one full-batch iteration per step
    assert rec["test_accuracy"] > 0.85


def test_history_and_snapshot_shapes(data):
    t = make(data, spec=CircuitSpec.paper(2, 3, entangled=True), batch_size=30)
    t.run(2)
    s = t.snapshot(resolution=20, map_resolution=8)
    P, M = data[0].n_samples, data[1].n_samples
    assert s.grid_proba.shape == (20, 20, 2) and s.grid_proba.dtype == np.float32
    assert np.allclose(s.grid_proba.sum(-1), 1, atol=1e-5)
    assert s.train_pred.shape == (P,) and s.test_pred.shape == (M,)
    assert s.final_bloch.shape == (P, 2, 3)
    assert s.layer_bloch.shape == (4, 2, P, 3)
    assert s.layer_maps.shape == (4, 2, 8, 8)
    assert s.label_bloch.shape == (2, 3)
    assert len(s.history["step"]) == 2 and s.epoch == 2
    assert s.test_accuracy == t.history["test_accuracy"][-1]
    # The grid agrees with predict() at the grid points.
    gx, gy = np.meshgrid(s.grid_x, s.grid_y)
    pred = t.classifier.predict(t.params, np.stack([gx.ravel(), gy.ravel()], 1))
    assert np.mean(np.argmax(s.grid_proba, -1).ravel() == pred) > 0.99


def test_restarts_keep_the_best_training_fit(data):
    seeds = restart_seeds(30, 6)
    assert seeds[0] == 30 and len(set(seeds)) == 6
    assert restart_seeds(30, 3) == seeds[:3]  # more restarts extend the same sequence
    best, records = fit_best(lambda s: make(data, optimizer="lbfgs", seed=s), 30, 6, 30)
    key = lambda r: (-r["train_accuracy"], r["train_loss"])
    assert min(records, key=key)["seed"] == best.seed
    assert best.history["train_accuracy"][-1] == max(r["train_accuracy"] for r in records)
    with pytest.raises(ValueError, match="restarts: expected an integer >= 1"):
        restart_seeds(1, 0)


def test_import_playground_loads_no_ui_library():
    code = "import sys, playground, playground.trainer, playground.engine, playground.cli; " \
        "bad = [m for m in ('panel', 'bokeh', 'holoviews') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_set_params_starts_the_optimizer_afresh_and_drops_rows_measured_at_old_parameters():
    train, test = make_train_test("circle", 60, 60, seed=3)
    clf = Classifier(CircuitSpec.paper(1, 3), 2)
    trainer = Trainer(clf, train, test, optimizer="adam", seed=1)
    trainer.record()
    trainer.step()
    trainer.step()
    trainer.record()
    trainer.record()
    assert trainer.optimizer.state_dict() != make_optimizer("adam").state_dict()
    other = Trainer(clf, train, test, optimizer="adam", seed=2)
    other.run(5)
    trainer.set_params(other.params)
    assert trainer.history["step"] == [0] and np.array_equal(trainer.params, other.params)
    assert trainer.optimizer.name == "adam" and trainer.optimizer.state_dict() == make_optimizer("adam").state_dict()
    assert trainer.record()["train_accuracy"] == other.evaluate()["train_accuracy"]
    with pytest.raises(ValueError, match="params"):
        trainer.set_params(np.full(clf.n_params, np.nan))
