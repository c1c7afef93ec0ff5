"""Label states, read-outs, costs and predictions."""

import itertools

import numpy as np
import pytest

from playground.classifier import Classifier, label_bloch_vectors, label_states
from playground.spec import CircuitSpec, GateSpec, LayerSpec, SpecError


@pytest.mark.parametrize(
    "n_classes, overlaps",
    [(2, {0.0}), (3, {0.25}), (4, {1 / 3}), (6, {0.0, 0.5})],
)
def test_label_states_are_maximally_orthogonal(n_classes, overlaps):
    states = label_states(n_classes)
    assert np.allclose(np.linalg.norm(states, axis=1), 1)
    got = {round(abs(np.vdot(a, b)) ** 2, 10) for a, b in itertools.combinations(states, 2)}
    assert got == {round(o, 10) for o in overlaps}
    assert np.allclose(states[0], [1, 0])  # class 0 is |0⟩


def test_label_state_vectors_match_bloch_vectors():
    for c in range(2, 7):
        states, vecs = label_states(c), label_bloch_vectors(c)
        x = 2 * np.real(np.conj(states[:, 0]) * states[:, 1])
        y = 2 * np.imag(np.conj(states[:, 0]) * states[:, 1])
        z = np.abs(states[:, 0]) ** 2 - np.abs(states[:, 1]) ** 2
        assert np.allclose(np.stack([x, y, z], 1), vecs)


def test_fidelities_from_states_by_hand():
    # RY(a)|0⟩ has fidelity cos²(a/2) with |0⟩ and sin²(a/2) with |1⟩.
    a = 1.1
    spec = CircuitSpec(1, (LayerSpec(((GateSpec("ry", "fixed", value=a),),)),))
    r = Classifier(spec, 2, "fidelity").readout(np.zeros(0), np.zeros((1, 2)))
    assert np.allclose(r.fidelities[0], [np.cos(a / 2) ** 2, np.sin(a / 2) ** 2])
    assert np.allclose(r.proba.sum(axis=1), 1)
    assert r.predictions[0] == 0


def test_fidelity_cost_is_one_minus_overlap_as_in_the_authors_code():
    a = 2.0
    spec = CircuitSpec(1, (LayerSpec(((GateSpec("ry", "fixed", value=a),),)),))
    clf = Classifier(spec, 2, "fidelity")
    X = np.zeros((2, 2))
    assert np.isclose(clf.loss(np.zeros(0), X, np.array([0, 1])), np.mean([1 - abs(np.cos(a / 2)), 1 - abs(np.sin(a / 2))]))


def test_weighted_fidelity_cost_by_hand():
    spec = CircuitSpec.paper(2, 1)
    clf = Classifier(spec, 3, "weighted_fidelity")
    rng = np.random.default_rng(0)
    params = rng.normal(size=clf.n_params)
    X = rng.uniform(-1, 1, (4, 2))
    y = np.array([0, 1, 2, 1])
    r = clf.readout(params, X)
    _, w = clf.split(params)
    scores = np.einsum("pcq,cq->pc", r.qubit_fidelities, w)
    targets = np.full((4, 3), 0.25)
    targets[np.arange(4), y] = 1
    assert np.isclose(clf.loss(params, X, y), 0.5 * np.mean(np.sum((scores - targets) ** 2, axis=1)))
    assert np.array_equal(clf.predict(params, X), np.argmax(scores, axis=1))


def test_state_strategy_uses_basis_states_on_several_qubits():
    # X on wire 1 only: |01⟩ = basis state 1 → class 1 with certainty under 'state'.
    spec = CircuitSpec(2, (LayerSpec(((), (GateSpec("rx", "fixed", value=np.pi),))),))
    clf = Classifier(spec, 4, "fidelity", "state")
    r = clf.readout(np.zeros(0), np.zeros((1, 2)))
    assert np.allclose(r.fidelities[0], [0, 1, 0, 0])
    focused = Classifier(spec, 2, "fidelity", "focused").readout(np.zeros(0), np.zeros((1, 2)))
    assert np.allclose(focused.fidelities[0], [0.5, 0.5])  # wire 0 says |0⟩, wire 1 says |1⟩


def test_cross_entropy_is_log_loss_of_normalised_fidelities():
    clf = Classifier(CircuitSpec.paper(1, 2), 3, "cross_entropy")
    rng = np.random.default_rng(1)
    p = rng.normal(size=clf.n_params)
    X = rng.uniform(-1, 1, (5, 2))
    y = rng.integers(0, 3, 5)
    r = clf.readout(p, X)
    expected = -np.mean(np.log(r.fidelities[np.arange(5), y] / r.fidelities.sum(1)))
    assert np.isclose(clf.loss(p, X, y), expected)
    assert np.allclose(clf.predict_proba(p, X), r.fidelities / r.fidelities.sum(1, keepdims=True))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_classes=7), "n_classes: expected an integer in 2..6, got 7"),
        (dict(cost="hinge"), "cost: expected one of fidelity, weighted_fidelity, cross_entropy, got 'hinge'"),
        (dict(strategy="x"), "strategy: expected one of state, focused, got 'x'"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(SpecError, match=message):
        Classifier(CircuitSpec.paper(1, 1), **kwargs)


def test_state_strategy_needs_enough_basis_states():
    with pytest.raises(SpecError, match="strategy: expected 'focused' for 5 classes on 2 qubits"):
        Classifier(CircuitSpec.paper(2, 1), 5, "fidelity", "state")


def test_initialisations():
    clf = Classifier(CircuitSpec.paper(2, 3), 2, "weighted_fidelity")
    rng = np.random.default_rng(0)
    uni = clf.initial_params(rng, "uniform")
    assert np.all((uni[: clf.n_circuit_params] >= 0) & (uni[: clf.n_circuit_params] < 1))
    assert np.all(uni[clf.n_circuit_params :] == 1)  # class weights start at 1
    assert np.all(clf.initial_params(rng, "zeros")[: clf.n_circuit_params] == 0)
    assert np.std(clf.initial_params(rng, "small")[: clf.n_circuit_params]) < 0.3
    with pytest.raises(SpecError, match="init: expected one of uniform, small, zeros"):
        clf.initial_params(rng, "he")
