"""The authors' exact draw: their points (class counts pinned to the authors' own run), their starting parameters
(checked against an independent construction of their circuit), and both through the trainer, experiment files
and the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from playground import engine
from playground.classifier import Classifier
from playground.cli import main
from playground.datasets import DATASETS, DatasetError, make_train_test
from playground.experiment import DataSpec, Experiment, ExperimentError, TrainingSpec
from playground.paper import PAPER_SIZES, PaperStartError, paper_draw, paper_start
from playground.spec import CircuitSpec, GateSpec
from playground.trainer import Trainer

# Test-set class counts of the authors' seed-30 draw, labelled by the paper's rules (counted independently).
AUTHORS_TEST_COUNTS = {
    "circle": [2064, 1936],
    "three_circles": [995, 810, 1415, 780],
    "squares": [1002, 1005, 971, 1022],
    "wavy_lines": [1238, 752, 750, 1260],
    "hypersphere": [3494, 506],
    "sphere": [2053, 1947],
}


# ------------------------------------------------------------------ the points
@pytest.mark.parametrize("name", list(AUTHORS_TEST_COUNTS))
def test_the_draw_has_the_authors_class_counts(name):
    train, test = paper_draw(name)
    assert train.n_samples == {"sphere": 500, "hypersphere": 1000}.get(name, 200)
    assert test.n_samples == 4000
    assert train.n_features == DATASETS[name].n_features
    assert np.bincount(test.y, minlength=train.n_classes).tolist() == AUTHORS_TEST_COUNTS[name]


def test_the_first_three_circle_points_are_the_authors():
    train, _ = paper_draw("circle")
    assert train.X[:3].tolist() == [
        [0.28828707213666993, -0.23850302072976692],
        [0.3260958106713372, -0.6726985477944933],
        [0.9252156273486374, -0.3066763192404687],
    ]
    assert train.y[:3].tolist() == [1, 1, 0]


def test_every_paper_problem_has_a_draw_and_no_other():
    assert set(PAPER_SIZES) == {name for name, info in DATASETS.items() if info.paper}
    for name in PAPER_SIZES:
        train, test = paper_draw(name)
        assert np.array_equal(train.y, DATASETS[name].rule(train.X))
        assert np.all(np.abs(np.concatenate([train.X, test.X])) <= 1.0)
    with pytest.raises(DatasetError, match="paper's problems"):
        paper_draw("moons")


def test_the_draw_differs_from_this_projects_own_seed_30_draw_and_leaves_numpy_alone():
    state = np.random.get_state()
    train, _ = paper_draw("circle")
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    ours, _ = make_train_test("circle", 200, 4000, seed=30)
    assert not np.array_equal(ours.X, train.X)


# ------------------------------------------------------------------ the starting parameters
def _authors_u3(a0, a1, a2):
    """The authors' QuantumState.U3: [[c e^{i(a1+a2)/2}, −s e^{i(a1−a2)/2}], [s e^{−i(a1−a2)/2}, c e^{−i(a1+a2)/2}]]."""
    c, s = np.cos(a0 / 2), np.sin(a0 / 2)
    return np.array([[c * np.exp(1j * (a1 + a2) / 2), -s * np.exp(1j * (a1 - a2) / 2)],
                     [s * np.exp(-1j * (a1 - a2) / 2), c * np.exp(-1j * (a1 + a2) / 2)]])


def _authors_bloch(theta, alpha, x):
    """Each qubit's Bloch vector in the authors' unentangled circuit (circuitery.code_coords): angles θ + α∘x with
    x padded with zeros; with four features, U3(θ0 + α0x1, θ1 + α1x2, θ2) then U3(θ3 + α2x3, θ4 + α3x4, θ5)."""
    Q, L, d = alpha.shape
    out = []
    for q in range(Q):
        psi = np.array([1.0, 0.0], dtype=complex)
        for layer in range(L):
            t, a = theta[q, layer], alpha[q, layer]
            if d == 4:
                angles = [t[:3] + [a[0] * x[0], a[1] * x[1], 0.0], t[3:] + [a[2] * x[2], a[3] * x[3], 0.0]]
            else:
                angles = [t + np.concatenate([a * x, np.zeros(3 - d)])]
            for angle in angles:
                psi = _authors_u3(*angle) @ psi
        rho = np.outer(psi, psi.conj())
        out.append([2 * rho[0, 1].real, -2 * rho[0, 1].imag, (rho[0, 0] - rho[1, 1]).real])
    return np.array(out)


@pytest.mark.parametrize("name, n_qubits, n_layers", [
    ("circle", 1, 3), ("squares", 2, 2), ("sphere", 2, 3), ("hypersphere", 1, 2), ("hypersphere", 2, 3),
])
def test_the_start_is_the_authors_circuit_at_their_first_draw_after_the_data(name, n_qubits, n_layers):
    d = DATASETS[name].n_features
    n_train, n_test = PAPER_SIZES[name]
    generator = np.random.RandomState(30)  # the authors' stream, replayed independently of the module
    generator.rand(n_train + n_test, d)
    theta = generator.rand(n_qubits, n_layers, 6 if d == 4 else 3)
    alpha = generator.rand(n_qubits, n_layers, d)
    spec = CircuitSpec.paper_code(n_qubits, n_layers, n_features=d)
    params = paper_start(name, spec)
    assert params.shape == (spec.n_params,)
    train, _ = paper_draw(name)
    clf = Classifier(spec, DATASETS[name].default_n_classes)
    out = engine.forward(clf.program, params, train.X[:25], backend="numpy")
    for p in range(25):
        # the authors' qubit q is our wire Q − 1 − q
        assert np.allclose(out.bloch[p, ::-1], _authors_bloch(theta, alpha, train.X[p]), atol=1e-12)


def test_the_start_is_refused_where_the_paper_has_none():
    with pytest.raises(PaperStartError, match="paper's problems"):
        paper_start("moons", CircuitSpec.paper(1, 2))
    with pytest.raises(PaperStartError, match="the authors' circuit"):
        paper_start("hypersphere", CircuitSpec.paper(1, 2, n_features=4))  # the paper's text: pieces of three
    with pytest.raises(PaperStartError, match="for 2 features"):
        paper_start("circle", CircuitSpec.paper(1, 2, n_features=3))
    edited = CircuitSpec.paper(1, 2).with_slot(1, 0, (GateSpec.rot("ry"),))
    with pytest.raises(PaperStartError, match="layer 2 on qubit 0"):
        paper_start("circle", edited)


# ------------------------------------------------------------------ the trainer and experiment files
def test_a_trainer_with_the_paper_init_starts_there_and_resets_there():
    train, test = paper_draw("circle")
    spec = CircuitSpec.paper(1, 4)
    clf = Classifier(spec, 2, "weighted_fidelity")
    trainer = Trainer(clf, train, test, optimizer="adam", init="paper", seed=5)
    theta, weights = clf.split(trainer.params)
    assert np.array_equal(theta, paper_start("circle", spec)) and np.all(weights == 1.0)
    assert np.array_equal(trainer.start_params(clf), trainer.params)
    for _ in range(3):
        trainer.step()
    trainer.reset()
    assert np.array_equal(trainer.params, trainer.initial_params)
    assert np.array_equal(clf.split(trainer.params)[0], paper_start("circle", spec))
    # an edit the paper never ran: untouched gates keep their values, the new one starts uniform
    edited = spec.with_n_layers(5)
    trainer.set_classifier(Classifier(edited, 2, "weighted_fidelity"))
    assert np.array_equal(trainer.params[:20], paper_start("circle", spec))
    with pytest.raises(PaperStartError):
        Trainer(clf, *make_train_test("moons", 50, 50, seed=1), init="paper")


def test_an_experiment_with_the_paper_draw_round_trips_and_rebuilds_the_points():
    exp = Experiment(CircuitSpec.paper(1, 2), DataSpec.paper("circle"),
                     training=TrainingSpec(optimizer="lbfgs", init="paper", epochs=50, restarts=1, seed=30))
    trained, _ = exp.fit()
    again = Experiment.from_json(trained.to_json())
    assert again == trained and again.data.paper_draw and json.loads(trained.to_json())["data"]["paper_draw"] is True
    train, test = again.build_data()
    assert np.array_equal(train.X, paper_draw("circle")[0].X) and test.n_samples == 4000
    assert again.score() == trained.metrics
    plain = json.loads(Experiment(CircuitSpec.paper(1, 2), DataSpec("circle", 20, 20, seed=1)).to_json())
    assert "paper_draw" not in plain["data"]  # files of this project's own draws are written as before


@pytest.mark.parametrize("make, field", [
    (lambda: DataSpec("circle", 100, 4000, seed=30, paper_draw=True), "data.n_train"),
    (lambda: DataSpec("circle", 200, 4000, noise=0.1, seed=30, paper_draw=True), "data.noise"),
    (lambda: DataSpec("circle", 200, 4000, seed=7, paper_draw=True), "data.seed"),
    (lambda: DataSpec("moons", 200, 4000, seed=30, paper_draw=True), "data.dataset"),
    (lambda: DataSpec("circle", 200, 4000, seed=30, paper_draw="yes"), "data.paper_draw"),
    (lambda: TrainingSpec(init="paper", restarts=3), "training.restarts"),
    (lambda: Experiment(CircuitSpec.paper(1, 2, n_features=4), DataSpec.paper("hypersphere"),
                        training=TrainingSpec(init="paper")), "training.init"),
    (lambda: Experiment(CircuitSpec.paper(1, 2).with_slot(0, 0, None), DataSpec.paper("circle"),
                        training=TrainingSpec(init="paper")), "training.init"),
])
def test_inconsistent_paper_settings_are_one_clear_error(make, field):
    with pytest.raises(ExperimentError, match=field.replace(".", r"\.")):
        make()


# ------------------------------------------------------------------ the command line
def test_the_command_line_runs_the_papers_experiment(capsys):
    rc = main(["train", "--dataset", "circle", "--qubits", "1", "--layers", "2", "--cost", "fidelity",
               "--optimizer", "lbfgs", "--paper-draw", "--init", "paper", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert (out["n_train"], out["n_test"], out["paper_draw"], out["init"], out["restarts"]) == (200, 4000, True, "paper", 1)
    assert abs(out["test_accuracy"] - 0.85) < 0.02  # the paper's Table 1 cell (χ²_f, 1 qubit, 2 layers)


@pytest.mark.parametrize("extra, fragment", [
    (["--paper-draw", "--train-size", "100"], "--train-size"),
    (["--paper-draw", "--noise", "0.1"], "--noise"),
    (["--init", "paper", "--restarts", "5"], "--restarts"),
])
def test_the_command_line_refuses_what_the_paper_draw_fixes(capsys, extra, fragment):
    rc = main(["train", "--dataset", "circle", "--qubits", "1", "--layers", "1", "--epochs", "1", *extra])
    err = capsys.readouterr().err
    assert rc == 2 and fragment in err and len(err.strip().splitlines()) == 1


def test_the_command_line_runs_the_authors_hypersphere_circuit_from_their_start(capsys):
    rc = main(["train", "--dataset", "hypersphere", "--qubits", "2", "--layers", "1", "--cost", "weighted_fidelity",
               "--optimizer", "adam", "--epochs", "1", "--paper-draw", "--init", "paper", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and (out["n_train"], out["n_params"]) == (1000, 2 * 10 + 2 * 2)


def test_the_command_line_refuses_the_paper_draw_of_another_dataset(capsys):
    rc = main(["train", "--dataset", "moons", "--qubits", "1", "--layers", "1", "--paper-draw"])
    err = capsys.readouterr().err
    assert rc == 2 and "paper's problems" in err
