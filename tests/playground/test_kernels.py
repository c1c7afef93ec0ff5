"""The Numba backend against the NumPy reference and PennyLane: states, layers, gradients, the grid, the fused
classifier kernels, and the benchmark's report."""

import importlib
import json
import math
import sys
import zlib

import numpy as np
import pytest

from playground import kernels  # noqa: E402  (Numba is a dependency; a missing one must fail, not skip)
from playground.kernels import trig  # noqa: E402

from playground import engine, simulator, warmup  # noqa: E402
from playground.classifier import COSTS, STRATEGIES, Classifier  # noqa: E402
from playground.program import compile_spec  # noqa: E402
from playground.spec import CircuitSpec, EntanglerSpec, GateSpec, LayerSpec  # noqa: E402

from pl_reference import pl_states  # noqa: E402

KINDS = ["compressed", "original", "rx", "ry", "rz"]
MODES = ["trainable", "feature", "data", "fixed"]
ENTANGLERS = [(g, p) for g in ("cz", "cnot") for p in ("chain", "ring", "alternating", "pairs")]


def random_spec(rng: np.random.Generator, n_qubits: int, n_features: int, n_layers: int) -> CircuitSpec:
    """Up to four gates per slot (empty slots too) of every kind and angle mode, a random entangler per layer."""
    layers = []
    for _ in range(n_layers):
        slots = []
        for _ in range(n_qubits):
            gates = []
            for _ in range(rng.integers(0, 5)):
                kind = KINDS[rng.integers(len(KINDS))]
                if kind in ("compressed", "original"):
                    gates.append(GateSpec(kind))
                else:
                    mode = MODES[rng.integers(len(MODES))]
                    gates.append(GateSpec(kind, mode, feature=int(rng.integers(n_features)), value=float(rng.normal())))
            slots.append(tuple(gates))
        gate, pattern = ENTANGLERS[rng.integers(len(ENTANGLERS))] if rng.random() < 0.8 else ("none", "chain")
        pairs = ()
        if pattern == "pairs":
            if n_qubits > 1:
                n_pairs = rng.integers(1, 4)
                pairs = tuple(tuple(int(w) for w in rng.choice(n_qubits, 2, replace=False)) for _ in range(n_pairs))
            else:
                pattern = "chain"
        layers.append(LayerSpec(tuple(slots), EntanglerSpec(gate, pattern, pairs)))
    return CircuitSpec(n_qubits, tuple(layers), n_features)


def _cases(per_qubit_count: int = 7) -> list[CircuitSpec]:
    rng = np.random.default_rng(31)
    out = []
    for n_qubits in (1, 2, 3, 4):
        for i in range(per_qubit_count):
            out.append(random_spec(rng, n_qubits, 1 + (i % 5), int(rng.integers(1, 4))))
    return out


CASES = _cases()
PAPER = [
    CircuitSpec.paper(1, 5),
    CircuitSpec.paper(2, 4, entangled=True),
    CircuitSpec.paper(4, 3, entangled=True),
    CircuitSpec.paper(3, 2, n_features=5),
    CircuitSpec.original(2, 2, n_features=4),
    CircuitSpec.pennylane_tutorial(2),
]


def _case_id(spec: CircuitSpec) -> str:
    return f"{spec.n_qubits}q{spec.n_layers}L{spec.n_features}f"


def _inputs(spec: CircuitSpec, seed: int, n_points: int = 9):
    rng = np.random.default_rng(seed)
    prog = compile_spec(spec)
    return prog, rng.normal(size=prog.n_params), rng.uniform(-1.5, 1.5, (n_points, spec.n_features))


# ------------------------------------------------------------------------------------------------ coverage
def test_cases_cover_every_gate_kind_mode_entangler_and_size():
    seen = set()
    for spec in CASES:
        for li, layer in enumerate(spec.layers):
            for slot in layer.slots:
                seen.add(("slot size", min(len(slot), 2)))
                for g in slot:
                    seen.add((g.kind, g.angle if g.kind in ("rx", "ry", "rz") else "-"))
            if spec.entangler_pairs(li):
                seen.add((layer.entangler.gate, layer.entangler.pattern))
    wanted = {("compressed", "-"), ("original", "-"), ("slot size", 0), ("slot size", 2)}
    wanted |= {(k, m) for k in ("rx", "ry", "rz") for m in MODES}
    wanted |= set(ENTANGLERS)
    assert wanted <= seen, wanted - seen
    assert {s.n_qubits for s in CASES} == {1, 2, 3, 4}
    assert {s.n_features for s in CASES} == {1, 2, 3, 4, 5}


# ------------------------------------------------------------------------------------------------ forward
@pytest.mark.parametrize("case", range(len(CASES)))
def test_states_match_numpy_and_pennylane(case):
    spec = CASES[case]
    prog, params, X = _inputs(spec, case, n_points=4)
    out = kernels.forward(prog, params, X, record_layers=False, dtype=np.complex128)
    ref = simulator.forward(prog, params, X)
    assert out.state.dtype == np.complex128 and out.state.shape == (2**spec.n_qubits, len(X))
    assert np.max(np.abs(out.state - ref.state)) <= 1e-10
    assert np.max(np.abs(out.state.T - pl_states(spec, params, X))) <= 1e-10
    assert np.max(np.abs(out.probs - ref.probs)) <= 1e-12
    assert np.max(np.abs(out.bloch - ref.bloch)) <= 1e-10
    assert out.layers is None


@pytest.mark.parametrize("spec", CASES[::3] + PAPER, ids=_case_id)
def test_recorded_layers_equal_numpy(spec):
    prog, params, X = _inputs(spec, 11, n_points=37)
    out = kernels.forward(prog, params, X, record_layers=True, dtype=np.complex128)
    ref = simulator.forward(prog, params, X, record_layers=True)
    assert out.layers.shape == ref.layers.shape == (spec.n_layers + 1, spec.n_qubits, len(X), 3)
    assert np.max(np.abs(out.layers - ref.layers)) <= 1e-10
    single = kernels.forward(prog, params, X, record_layers=True, dtype=np.complex64)
    assert single.state.dtype == np.complex64
    assert single.probs.dtype == single.bloch.dtype == single.layers.dtype == np.float32
    assert np.max(np.abs(single.layers - ref.layers)) <= 1e-5
    assert np.max(np.abs(single.state - ref.state)) <= 1e-5


def test_many_points_span_several_blocks():
    spec = CircuitSpec.paper(3, 4, entangled=True, n_features=3)
    prog, params, X = _inputs(spec, 5, n_points=1237)
    out = kernels.forward(prog, params, X, record_layers=True, dtype=np.complex128)
    ref = simulator.forward(prog, params, X, record_layers=True)
    assert np.max(np.abs(out.state - ref.state)) <= 1e-10
    assert np.max(np.abs(out.layers - ref.layers)) <= 1e-10


def test_inputs_are_checked():
    prog, params, X = _inputs(CircuitSpec.paper(1, 2), 0)
    with pytest.raises(ValueError, match="params"):
        kernels.forward(prog, params[:-1], X, record_layers=False, dtype=np.complex128)
    with pytest.raises(ValueError, match="X"):
        kernels.forward(prog, params, X[:, :1], record_layers=False, dtype=np.complex128)
    with pytest.raises(ValueError, match="dtype"):
        kernels.forward(prog, params, X, record_layers=False, dtype=np.float64)


# ------------------------------------------------------------------------------------------------ gradients
@pytest.mark.parametrize("case", [i for i in range(len(CASES)) if compile_spec(CASES[i]).n_params > 0])
def test_backward_matches_numpy(case):
    spec = CASES[case]
    prog, params, X = _inputs(spec, 100 + case, n_points=6)
    rng = np.random.default_rng(case)
    state = simulator.forward(prog, params, X).state
    lam = rng.normal(size=state.shape) + 1j * rng.normal(size=state.shape)
    got = kernels.backward(prog, params, X, state, lam)
    assert got.shape == (prog.n_params,)
    assert np.max(np.abs(got - simulator.backward(prog, params, X, state, lam))) <= 1e-10


def central_differences(f, x, h=1e-5):
    """Fourth-order central differences (truncation O(h⁴))."""
    out = np.empty_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (8 * (f(x + e) - f(x - e)) - (f(x + 2 * e) - f(x - 2 * e))) / (12 * h)
    return out


def _classifier(spec: CircuitSpec, n_classes: int, cost: str, strategy: str) -> Classifier:
    # Every case here is a valid model (1 qubit reads single-qubit label states; 2+ qubits have ≥ 4 basis states).
    return Classifier(spec, n_classes, cost, strategy)


@pytest.mark.parametrize("spec", PAPER + CASES[2::4], ids=_case_id)
@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_fused_training_kernel_matches_numpy_and_finite_differences(spec, cost, strategy):
    n_classes = 3
    clf = _classifier(spec, n_classes, cost, strategy)
    rng = np.random.default_rng(zlib.crc32(f"{spec.describe()} {cost} {strategy}".encode()))
    params = rng.normal(size=clf.n_params)
    X = rng.uniform(-1, 1, (7, spec.n_features))
    y = rng.integers(0, n_classes, 7)
    loss, grad, r = clf.loss_and_grad(params, X, y, backend="numba")
    loss_np, grad_np, r_np = clf.loss_and_grad(params, X, y, backend="numpy")
    assert abs(loss - loss_np) <= 1e-12 * max(1.0, abs(loss_np))
    assert np.max(np.abs(grad - grad_np)) <= 1e-10
    for field in ("fidelities", "qubit_fidelities", "scores", "proba"):
        a, b = getattr(r, field), getattr(r_np, field)
        assert a.shape == b.shape and a.dtype == b.dtype
        assert np.max(np.abs(a - b)) <= 1e-12
    fd = central_differences(lambda p: clf.loss_and_grad(p, X, y, backend="numba")[0], params)
    assert np.max(np.abs(grad - fd)) <= 1e-7


def test_fused_kernels_belong_to_the_numba_backend():
    assert engine.has_fused_kernels("numba") and not engine.has_fused_kernels("numpy")
    clf = Classifier(CircuitSpec.paper(1, 2), 2)
    with pytest.raises(ValueError, match="backend"):
        engine.loss_and_grad(
            clf.program, np.zeros(clf.n_params), np.zeros((2, 2)), np.zeros(2, int), cost="fidelity", basis=False,
            labels=np.eye(2, 3), targets=np.eye(2), weights=None, backend="numpy",
        )


def test_fused_training_rejects_bad_labels_like_numpy():
    clf = Classifier(CircuitSpec.paper(1, 2), 2)
    X = np.zeros((3, 2))
    for backend in ("numba", "numpy"):
        with pytest.raises(IndexError):
            clf.loss_and_grad(np.zeros(clf.n_params), X, np.array([0, 1, 2]), backend=backend)


# ------------------------------------------------------------------------------------------------ read-out
@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("single", [False, True])
def test_compiled_readout_equals_numpy(monkeypatch, cost, strategy, single):
    clf = _classifier(CircuitSpec.paper(2, 3, entangled=True), 4, cost, strategy)
    rng = np.random.default_rng(3)
    params = rng.normal(size=clf.n_params)
    theta, weights = clf.split(params)
    out = engine.forward(clf.program, theta, rng.uniform(-1, 1, (50, 2)), single=single, backend="numba")
    got = clf.readout_from(out.probs, out.bloch, weights)
    monkeypatch.setenv("PLAYGROUND_BACKEND", "numpy")
    ref = clf.readout_from(out.probs, out.bloch, weights)
    for field in ("fidelities", "qubit_fidelities", "scores", "proba"):
        a, b = getattr(got, field), getattr(ref, field)
        assert a.shape == b.shape and a.dtype == b.dtype, field
        assert np.max(np.abs(a - b)) <= (1e-6 if single else 1e-14), field


# ------------------------------------------------------------------------------------------------ grid
@pytest.mark.parametrize(
    "spec, axes, base",
    [
        (CircuitSpec.paper(1, 5), (0, 1), None),
        (CircuitSpec.paper(2, 3, entangled=True, n_features=3), (0, 1), [0.0, 0.0, 0.3]),
        (CircuitSpec.paper(3, 2, entangled=True, n_features=4), (2, 0), [0.2, -0.4, 0.0, 0.7]),
        (CircuitSpec.paper(2, 2, n_features=1), (0, 1), None),  # the y axis has no feature: rows repeat
        (CASES[9], (0, 1), None),
        (CASES[20], (1, 0), None),
        (CASES[26], (0, 1), None),
    ],
    ids=lambda v: _case_id(v) if isinstance(v, CircuitSpec) else str(v),
)
def test_grid_equals_forward_on_the_meshgrid(spec, axes, base):
    prog, params, _ = _inputs(spec, 17)
    xs, ys = np.linspace(-1, 1, 23), np.linspace(-0.5, 0.9, 9)
    base_arr = np.zeros(spec.n_features) if base is None else np.asarray(base)
    probs, bloch = kernels.grid(prog, params, xs, ys, base=base_arr, axes=axes)
    Q = spec.n_qubits
    assert probs.shape == (9, 23, 2**Q) and bloch.shape == (9, 23, Q, 3)
    assert probs.dtype == bloch.dtype == np.float32
    X = np.tile(base_arr, (xs.size * ys.size, 1))
    gx, gy = np.meshgrid(xs, ys)
    if spec.n_features > axes[0]:
        X[:, axes[0]] = gx.ravel()
    if spec.n_features > axes[1]:
        X[:, axes[1]] = gy.ravel()
    ref = kernels.forward(prog, params, X, record_layers=False, dtype=np.complex64)
    assert np.max(np.abs(probs.reshape(-1, 2**Q) - ref.probs)) <= 1e-5
    assert np.max(np.abs(bloch.reshape(-1, Q, 3) - ref.bloch)) <= 1e-5
    exact = simulator.forward(prog, params, X)
    assert np.max(np.abs(probs.reshape(-1, 2**Q) - exact.probs)) <= 1e-5
    # and engine.grid's NumPy path agrees
    np_probs, _ = engine.grid(prog, params, xs, ys, base=base_arr, axes=axes, backend="numpy")
    assert np.max(np.abs(probs - np_probs)) <= 1e-5


def test_grid_spanning_rows_and_blocks():
    spec = CircuitSpec.paper(4, 3, entangled=True)
    prog, params, _ = _inputs(spec, 8)
    xs, ys = np.linspace(-1, 1, 301), np.linspace(-1, 1, 7)  # blocks cross row ends and split rows
    probs, bloch = kernels.grid(prog, params, xs, ys, base=np.zeros(2), axes=(0, 1))
    gx, gy = np.meshgrid(xs, ys)
    ref = simulator.forward(prog, params, np.stack([gx.ravel(), gy.ravel()], axis=1))
    assert np.max(np.abs(probs.reshape(-1, 16) - ref.probs)) <= 1e-5
    assert np.max(np.abs(bloch.reshape(-1, 4, 3) - ref.bloch)) <= 1e-5


# ------------------------------------------------------------------------------------------------ pieces
def test_sincos_is_accurate_everywhere():
    rng = np.random.default_rng(0)
    edges = [0.0, -0.0, np.pi / 4, 1e5, -1e5, 3e8]  # 1e5 and beyond: the libm fallback
    x = np.concatenate([rng.uniform(-20, 20, 5000), rng.uniform(-1e6, 1e6, 200), edges])
    c, s = np.empty_like(x), np.empty_like(x)
    trig._sincos(x, c, s, len(x))
    assert np.max(np.abs(c - np.cos(x))) <= 5e-16
    assert np.max(np.abs(s - np.sin(x))) <= 5e-16
    bad = np.array([np.nan, np.inf, -np.inf])
    c, s = np.empty(3), np.empty(3)
    trig._sincos(bad, c, s, 3)
    assert np.all(np.isnan(c)) and np.all(np.isnan(s))


def test_no_numba_means_import_error(monkeypatch):
    """engine falls back to NumPy when this package cannot be imported; it must raise ImportError then, and the
    warm-up must say there is nothing to compile."""
    for name in [m for m in sys.modules if m == "playground.kernels" or m.startswith("playground.kernels.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "numba", None)
    with pytest.raises(ImportError, match="needs Numba"):
        importlib.import_module("playground.kernels")
    monkeypatch.setattr(engine, "_numba_module", lambda: None)
    assert engine.available_backends() == ("numpy",)
    assert warmup.warm_up() is False


def test_warm_up_runs():
    assert warmup.warm_up() is True


# ------------------------------------------------------------------------------------------------ benchmark
def test_bench_quick_reports_documented_keys():
    from playground import bench

    results = bench.run_benchmarks(quick=True, pennylane=False)
    json.dumps(results)  # JSON-serialisable
    assert results["backend"] in engine.available_backends()
    assert {"cpu", "numpy", "numba"} <= set(results["machine"])
    assert [(r["q"], r["layers"]) for r in results["rows"]] == list(bench.CASES)
    for row in results["rows"]:
        for key in ("train", "grid100", "grid200"):
            assert math.isfinite(row[f"{key}_ms"]) and 0 < row[f"{key}_min_ms"] <= row[f"{key}_ms"]
        assert "pl_train_ms" not in row
    floor = results["floor"]
    for key in ("flops", "matmul_gflops", "floor_ms", "grid200_ms", "floor_ratio"):
        assert floor[key] > 0
    assert results["floor_ms"] == floor["floor_ms"] and results["floor_ratio"] == floor["floor_ratio"]
    # 4 qubits × 15 layers of the paper's block on 2 features: 60 rotations × 8 pairs × 28 flops per point
    assert floor["flops"] == 200 * 200 * 60 * 8 * 28
    assert results["targets"]["ratio_met"] is None
    assert isinstance(results["targets"]["floor_met"], bool)
    text = bench.format_report(results)
    assert "1 × 5" in text and "4 × 15" in text and "floor" in text
