"""The simulator against PennyLane default.qubit: states, Bloch vectors and gradients, on every backend."""

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

from playground import engine
from playground.classifier import Classifier
from playground.program import compile_spec
from playground.simulator import readout_adjoint
from playground.spec import CircuitSpec, EntanglerSpec, GateSpec, LayerSpec

from pl_reference import apply_spec, pl_states

BACKENDS = engine.available_backends()
KINDS = ["compressed", "original", "rx", "ry", "rz"]
MODES = ["trainable", "feature", "data", "fixed"]


def random_spec(rng: np.random.Generator, n_qubits: int, n_features: int, n_layers: int) -> CircuitSpec:
    layers = []
    for _ in range(n_layers):
        slots = []
        for _ in range(n_qubits):
            gates = []
            for _ in range(rng.integers(0, 4)):
                kind = KINDS[rng.integers(len(KINDS))]
                if kind in ("compressed", "original"):
                    gates.append(GateSpec(kind))
                else:
                    gates.append(GateSpec(kind, MODES[rng.integers(4)], feature=int(rng.integers(n_features)), value=float(rng.normal())))
            slots.append(tuple(gates))
        gate = ["none", "cz", "cnot"][rng.integers(3)]
        pattern = ["chain", "ring", "alternating", "pairs"][rng.integers(4)]
        pairs = ()
        if pattern == "pairs" and n_qubits > 1:
            pairs = tuple(tuple(int(w) for w in rng.choice(n_qubits, 2, replace=False)) for _ in range(rng.integers(1, 4)))
        elif pattern == "pairs":
            pattern = "chain"
        layers.append(LayerSpec(tuple(slots), EntanglerSpec(gate, pattern, pairs)))
    return CircuitSpec(n_qubits, tuple(layers), n_features)


def _cases(n_per_qubit=8):
    rng = np.random.default_rng(2024)
    out = []
    for q in (1, 2, 3, 4):
        for i in range(n_per_qubit):
            out.append(random_spec(rng, q, int(rng.integers(1, 6)), int(rng.integers(1, 4))))
    return out


CASES = _cases()


def test_random_specs_cover_every_gate_kind_mode_and_entangler():
    seen = set()
    for spec in CASES:
        for li, layer in enumerate(spec.layers):
            for *_, g in layer.gates():
                seen.add((g.kind, g.angle if g.kind in ("rx", "ry", "rz") else "-"))
            if spec.entangler_pairs(li):
                seen.add((layer.entangler.gate, layer.entangler.pattern))
    wanted = {("compressed", "-"), ("original", "-")}
    wanted |= {(k, m) for k in ("rx", "ry", "rz") for m in MODES}
    wanted |= {(g, p) for g in ("cz", "cnot") for p in ("chain", "ring", "alternating", "pairs")}
    assert wanted <= seen, wanted - seen
    assert any(s.n_features > 3 for s in CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_states_match_pennylane(backend, case):
    spec = CASES[case]
    prog = compile_spec(spec)
    rng = np.random.default_rng(case)
    params = rng.normal(size=prog.n_params)
    X = rng.uniform(-1, 1, (4, spec.n_features))
    out = engine.forward(prog, params, X, backend=backend)
    ref = pl_states(spec, params, X)
    assert np.max(np.abs(out.state.T - ref)) <= 1e-10
    assert np.allclose(out.probs, np.abs(ref) ** 2, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n_qubits", [1, 2, 3, 4])
def test_bloch_vectors_are_reduced_states(backend, n_qubits):
    spec = CircuitSpec.paper(n_qubits, 3, entangled=n_qubits > 1)
    prog = compile_spec(spec)
    rng = np.random.default_rng(n_qubits)
    params = rng.normal(size=prog.n_params)
    X = rng.uniform(-1, 1, (5, 2))
    out = engine.forward(prog, params, X, record_layers=True, backend=backend)
    dev = qml.device("default.qubit", wires=n_qubits)

    @qml.qnode(dev)
    def expvals(x):
        apply_spec(spec, params, x)
        return [qml.expval(P(w)) for w in range(n_qubits) for P in (qml.PauliX, qml.PauliY, qml.PauliZ)]

    ref = np.array([np.array(expvals(x)).reshape(n_qubits, 3) for x in X])
    assert np.max(np.abs(out.bloch - ref)) <= 1e-10
    assert np.allclose(out.layers[-1].transpose(1, 0, 2), out.bloch, atol=1e-12)
    assert np.allclose(out.layers[0][..., 2], 1.0)  # |0⟩ before the first layer
    lengths = np.linalg.norm(out.bloch, axis=-1)
    assert np.all(lengths <= 1 + 1e-12)
    if n_qubits > 1:
        assert lengths.min() < 0.999  # entangled: reduced states lie inside the ball


@pytest.mark.parametrize("backend", BACKENDS)
def test_known_answers(backend):
    # RY(π)|0⟩ = |1⟩; RX(π/2)|0⟩ points to −y; CNOT after RY(π) on the control flips the target.
    for gate, expected in [(GateSpec("ry", "fixed", value=np.pi), [0, 0, -1]), (GateSpec("rx", "fixed", value=np.pi / 2), [0, -1, 0])]:
        prog = compile_spec(CircuitSpec(1, (LayerSpec(((gate,),)),)))
        out = engine.forward(prog, np.zeros(0), np.zeros((1, 2)), backend=backend)
        assert np.allclose(out.bloch[0, 0], expected, atol=1e-12)
    spec = CircuitSpec(2, (LayerSpec(((GateSpec("ry", "fixed", value=np.pi),), ()), EntanglerSpec("cnot", "pairs", ((0, 1),))),))
    out = engine.forward(compile_spec(spec), np.zeros(0), np.zeros((1, 2)), backend=backend)
    assert np.allclose(out.probs[0], [0, 0, 0, 1], atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", [i for i in range(0, len(CASES), 2) if CASES[i].n_params > 0])
def test_gradients_match_pennylane_autograd(backend, case):
    """d/dθ of L = Σ_p Σ_i c_pi |ψ_pi|² + Σ_p Σ_q k_pq · r_pq (random c, k): probabilities and Bloch read-outs."""
    spec = CASES[case]
    prog = compile_spec(spec)
    rng = np.random.default_rng(100 + case)
    params = rng.normal(size=prog.n_params)
    X = rng.uniform(-1, 1, (3, spec.n_features))
    Q = spec.n_qubits
    c = rng.normal(size=(3, 2**Q))
    k = rng.normal(size=(3, Q, 3))
    fwd = engine.forward(prog, params, X, backend=backend)
    grad = engine.gradient(prog, params, X, fwd, c, k, backend=backend)

    dev = qml.device("default.qubit", wires=Q)

    @qml.qnode(dev, interface="autograd", diff_method="backprop")
    def readouts(p, x):
        apply_spec(spec, p, x)
        return [qml.probs(wires=range(Q))] + [qml.expval(P(w)) for w in range(Q) for P in (qml.PauliX, qml.PauliY, qml.PauliZ)]

    def loss(p):
        total = 0.0
        for i, x in enumerate(X):
            out = readouts(p, x)
            total = total + pnp.sum(out[0] * c[i])
            for j, e in enumerate(out[1:]):
                total = total + e * k[i].reshape(-1)[j]
        return total

    ref = qml.grad(loss)(pnp.array(params, requires_grad=True))
    assert np.max(np.abs(grad - ref)) <= 1e-9


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "spec",
    [CircuitSpec.paper(1, 4), CircuitSpec.paper(2, 3, entangled=True), CircuitSpec.paper(4, 2, entangled=True, n_features=4), CircuitSpec.pennylane_tutorial(2)]
    + CASES[1::5],
    ids=lambda s: f"{s.n_qubits}q{s.n_layers}L{s.n_features}f",
)
@pytest.mark.parametrize("cost", ["fidelity", "weighted_fidelity", "cross_entropy"])
def test_classifier_gradient_matches_central_differences(backend, spec, cost):
    n_classes = 3
    strategy = "focused" if 2**spec.n_qubits < n_classes else "state"
    clf = Classifier(spec, n_classes, cost, strategy)
    rng = np.random.default_rng(7)
    params = rng.normal(size=clf.n_params)
    X = rng.uniform(-1, 1, (6, spec.n_features))
    y = rng.integers(0, n_classes, 6)
    _, grad, _ = clf.loss_and_grad(params, X, y, backend=backend)
    assert np.max(np.abs(grad - central_differences(lambda p: clf.loss(p, X, y), params))) <= 1e-7


def central_differences(f, x, h=1e-5):
    """Fourth-order central differences: (8[f(x+h) − f(x−h)] − [f(x+2h) − f(x−2h)]) / 12h, truncation O(h⁴)."""
    out = np.empty_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (8 * (f(x + e) - f(x - e)) - (f(x + 2 * e) - f(x - 2 * e))) / (12 * h)
    return out


def test_readout_adjoint_is_the_wirtinger_derivative():
    # L(ψ) = Σ_i c_i |ψ_i|² + k·r  ⇒ λ = ∂L/∂ψ*; check dL = 2 Re⟨λ|dψ⟩ for a random perturbation.
    rng = np.random.default_rng(3)
    Q, P = 3, 2
    psi = rng.normal(size=(2**Q, P)) + 1j * rng.normal(size=(2**Q, P))
    c = rng.normal(size=(P, 2**Q))
    k = rng.normal(size=(P, Q, 3))
    from playground.simulator import bloch_of

    def L(s):
        return np.sum(c * (np.abs(s) ** 2).T) + np.sum(k * bloch_of(s, Q))

    lam = readout_adjoint(psi, Q, c, k)
    d = 1e-7 * (rng.normal(size=psi.shape) + 1j * rng.normal(size=psi.shape))
    assert np.isclose(L(psi + d) - L(psi - d), 2 * 2 * np.real(np.vdot(lam, d)), rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_grid_equals_forward_on_the_meshgrid(backend):
    spec = CircuitSpec.paper(2, 3, entangled=True, n_features=3)
    prog = compile_spec(spec)
    params = np.random.default_rng(5).normal(size=prog.n_params)
    xs, ys = np.linspace(-1, 1, 7), np.linspace(-0.5, 0.9, 5)
    base = np.array([0.0, 0.0, 0.3])
    probs, bloch = engine.grid(prog, params, xs, ys, base=base, backend=backend)
    gx, gy = np.meshgrid(xs, ys)
    X = np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, 0.3)], axis=1)
    ref = engine.forward(prog, params, X, backend="numpy")
    assert probs.shape == (5, 7, 4) and bloch.shape == (5, 7, 2, 3)
    assert np.allclose(probs.reshape(35, 4), ref.probs, atol=1e-5)
    assert np.allclose(bloch.reshape(35, 2, 3), ref.bloch, atol=1e-5)
