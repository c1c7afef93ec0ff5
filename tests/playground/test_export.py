"""Tests for playground.export: the PennyLane script, the PyTorch module and OpenQASM 3 reproduce the model."""

import ast
import contextlib
import io
import json
import os
import subprocess
import sys
import types
import zlib
from importlib.util import find_spec
from dataclasses import replace

import numpy as np
import openqasm3
import pennylane as qml
import pytest

from playground import engine
from playground.classifier import label_bloch_vectors
from playground.cli import main
from playground.datasets import load_csv
from playground.experiment import DataSpec, Experiment, TrainingSpec
from playground.export import (
    MAX_EXPORT_POINTS,
    ExportError,
    evaluation_points,
    to_openqasm3,
    to_pennylane_script,
    to_torch_module,
)
from playground.spec import CircuitSpec, EntanglerSpec, GateSpec, LayerSpec

from pl_reference import pl_states
from qasm_reference import bloch_vectors as _bloch, simulate_qasm

if find_spec("torch") is not None:
    import torch

HAS_TORCH = find_spec("torch") is not None  # the test environment installs torch; TestTorchModule fails without it
G = GateSpec


def every_gate_spec_4_features() -> CircuitSpec:
    """Three qubits, four features (two pieces per block): every gate kind and entangler form."""
    layers = (
        LayerSpec(
            (
                (G("compressed"), G.rot("ry", "feature", feature=3)),
                (G("original"), G.rot("rz", "data", feature=2)),
                (G.rot("rx"), G.rot("rx", "fixed", value=0.3), G.rot("ry", "data", feature=0)),
            ),
            EntanglerSpec("cnot", "ring"),
        ),
        LayerSpec(
            ((G.rot("rz", "feature", feature=1),), (G("compressed"),), ()),
            EntanglerSpec("cz", "pairs", ((0, 2),)),
        ),
        LayerSpec(
            ((G("original"),), (G.rot("ry", "fixed", value=-1.1), G.rot("rz")), (G("compressed"),)),
            EntanglerSpec("cnot", "pairs", ((2, 0), (1, 0))),
        ),
        LayerSpec(
            ((G.rot("rx", "feature", feature=2),), (G.rot("ry"),), (G.rot("rx", "data", feature=3),)),
            EntanglerSpec("cz", "alternating"),
        ),
    )
    return CircuitSpec(3, layers, 4)


def every_gate_spec_2_features() -> CircuitSpec:
    """Two qubits, two features, with CNOT chains and a data-free rotation."""
    layers = (
        LayerSpec(
            ((G("compressed"), G.rot("rz", "fixed", value=0.7)), (G("original"), G.rot("rx", "feature", feature=1))),
            EntanglerSpec("cnot", "chain"),
        ),
        LayerSpec(
            ((G.rot("ry", "data", feature=1), G.rot("rx")), (G("compressed"),)),
            EntanglerSpec("cnot", "pairs", ((1, 0),)),
        ),
    )
    return CircuitSpec(2, layers, 2)


# name: (spec, data, cost, strategy)
CASES = {
    "1q-fidelity": (CircuitSpec.paper(1, 3), DataSpec("circle", 40, 60, seed=30), "fidelity", "state"),
    "2q-entangled-weighted": (
        CircuitSpec.paper(2, 3, entangled=True), DataSpec("circle", 40, 60, seed=1), "weighted_fidelity", "state",
    ),
    "4q-entangled-cross-entropy-focused": (
        CircuitSpec.paper(4, 2, entangled=True), DataSpec("circle", 40, 60, seed=2), "cross_entropy", "focused",
    ),
    "4q-entangled-4-classes-basis-states": (
        CircuitSpec.paper(4, 3, entangled=True), DataSpec("squares", 40, 60, seed=3), "fidelity", "state",
    ),
    "2q-4-features-pieces": (
        CircuitSpec.paper(2, 2, n_features=4), DataSpec("hypersphere", 40, 60, seed=4), "fidelity", "state",
    ),
    "1q-3-classes-cross-entropy": (CircuitSpec.paper(1, 3), DataSpec("annulus", 40, 60, seed=5), "cross_entropy", "state"),
    "every-gate-4-features-weighted": (
        every_gate_spec_4_features(), DataSpec("hypersphere", 40, 60, seed=6), "weighted_fidelity", "focused",
    ),
    "every-gate-4-classes-basis-states": (
        every_gate_spec_2_features(), DataSpec("blobs", 40, 60, seed=7, n_classes=4), "cross_entropy", "state",
    ),
    "every-gate-6-classes-focused": (
        every_gate_spec_2_features(), DataSpec("blobs", 40, 60, seed=8, n_classes=6), "fidelity", "focused",
    ),
}


def make_case(name: str) -> Experiment:
    """A 'trained' experiment: parameters spread over [-3, 3] (more generic than a short training run)."""
    spec, data, cost, strategy = CASES[name]
    exp = Experiment(spec, data, cost=cost, strategy=strategy, training=TrainingSpec(epochs=1))
    n = exp.build_classifier().n_params
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    exp = replace(exp, params=rng.uniform(-3, 3, n))
    return replace(exp, metrics=exp.score())


def evaluate_json(path) -> dict:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["evaluate", str(path), "--json"])
    assert rc == 0
    return json.loads(buf.getvalue())


def run_script(path, *args) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, str(path), *map(str, args)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout)
    assert set(out) == {"predictions", "probabilities"}
    return out


@pytest.fixture(scope="module", params=list(CASES))
def case(request, tmp_path_factory):
    """(experiment, evaluate --json output, {"pennylane": output, "torch": output}) for each case.

    Both exports run as scripts in their own processes, side by side.
    """
    folder = tmp_path_factory.mktemp(request.param)
    exp = make_case(request.param)
    path = folder / "run.json"
    path.write_text(exp.to_json(), encoding="utf-8")
    evaluated = evaluate_json(path)
    scripts = {"pennylane": folder / "model_pl.py"}
    scripts["pennylane"].write_text(to_pennylane_script(exp), encoding="utf-8")
    if HAS_TORCH:
        scripts["torch"] = folder / "model_torch.py"
        scripts["torch"].write_text(to_torch_module(exp), encoding="utf-8")
    outputs = run_scripts(scripts)
    return exp, evaluated, outputs


def run_scripts(scripts: dict) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = {
        k: subprocess.Popen([sys.executable, str(p)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for k, p in scripts.items()
    }
    outputs = {}
    for k, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        outputs[k] = json.loads(out)
        assert set(outputs[k]) == {"predictions", "probabilities"}
    return outputs


def assert_same_output(got: dict, want: dict) -> None:
    assert got["predictions"] == want["predictions"]
    p, q = np.array(got["probabilities"]), np.array(want["probabilities"])
    assert p.shape == q.shape
    assert np.max(np.abs(p - q)) <= 1e-8


# ------------------------------------------------------------------------------------------------ PennyLane


class TestPennyLaneScript:
    def test_script_matches_evaluate(self, case):
        exp, evaluated, outputs = case
        assert len(outputs["pennylane"]["predictions"]) == exp.data.n_test
        assert_same_output(outputs["pennylane"], evaluated)

    def test_script_imports_only_pennylane_numpy_json_sys(self):
        src = to_pennylane_script(make_case("every-gate-4-features-weighted"))
        assert _imports(src) == {"json", "sys", "numpy", "pennylane"}

    def test_script_names_every_trained_value(self):
        exp = make_case("every-gate-4-features-weighted")
        src = to_pennylane_script(exp)
        ns = _exec_module_level(src)
        theta, weights = exp.build_classifier().split(exp.params)
        # the named arrays, read in spec order, are exactly the circuit parameters
        names = [n for n in ns if n[:1] == "L" and n.split("_")[-1] in ("THETA", "W", "B")]
        flat = np.concatenate([np.atleast_1d(ns[n]) for n in names])
        assert np.array_equal(flat, theta)
        assert np.array_equal(ns["CLASS_WEIGHTS"], weights)
        assert "# layer 1, qubit 0, gate 2: RY(w * x4 + b), feature" in src
        assert "qml.CNOT(wires=[2, 0])" in src and "qml.CZ(wires=[0, 2])" in src

    def test_qnode_state_matches_the_independent_reference(self):
        """The script's gates, without its read-out, give the states of tests/pl_reference.py."""
        exp = make_case("every-gate-4-features-weighted")
        ns = _exec_module_level(to_pennylane_script(exp))
        theta, _ = exp.build_classifier().split(exp.params)
        X = evaluation_points(exp)[:5]
        want = pl_states(exp.spec, theta, X)
        with qml.queuing.AnnotatedQueue() as queue:
            ns["circuit"].func(X)  # the script's gates, queued
        ops = qml.tape.QuantumScript.from_queue(queue).operations
        tape = qml.tape.QuantumScript(ops, [qml.state()])
        dev = qml.device("default.qubit", wires=exp.spec.n_qubits)
        got = np.asarray(qml.execute([tape], dev)[0])
        assert np.allclose(got, want, atol=1e-12)

    def test_script_reads_points_from_a_file(self, tmp_path):
        exp = make_case("2q-entangled-weighted")
        script = tmp_path / "model.py"
        script.write_text(to_pennylane_script(exp), encoding="utf-8")
        points = [[0.1, -0.2], [0.9, 0.9], [-1.0, 0.0]]
        (tmp_path / "points.json").write_text(json.dumps(points))
        out = run_script(script, tmp_path / "points.json")
        r = exp.build_classifier().readout(exp.params, np.array(points))
        assert out["predictions"] == r.predictions.tolist()
        assert np.max(np.abs(np.array(out["probabilities"]) - r.proba)) <= 1e-8

    def test_at_most_5000_points_are_embedded(self, tmp_path):
        exp = make_case("1q-fidelity")
        exp = replace(exp, data=DataSpec("circle", 10, 6000, seed=0), metrics=None)
        X = evaluation_points(exp)
        assert X.shape == (MAX_EXPORT_POINTS, 2)
        assert np.array_equal(X, exp.build_data()[1].X[:MAX_EXPORT_POINTS])
        path = tmp_path / "run.json"
        path.write_text(exp.to_json())
        evaluated = evaluate_json(path)
        assert len(evaluated["predictions"]) == MAX_EXPORT_POINTS
        script = tmp_path / "model.py"
        script.write_text(to_pennylane_script(exp))
        assert_same_output(run_script(script), evaluated)

    def test_without_test_set_the_training_points_are_embedded(self):
        exp = make_case("1q-fidelity")
        exp = replace(exp, data=DataSpec("circle", 30, 0, seed=0), metrics=None)
        assert np.array_equal(evaluation_points(exp), exp.build_data()[0].X)

    def test_explicit_points(self):
        exp = make_case("1q-fidelity")
        ns = _exec_module_level(to_pennylane_script(exp, points=[[0.5, 0.25]]))
        assert np.array_equal(ns["POINTS"], [[0.5, 0.25]])

    def test_user_text_never_reaches_the_code(self, tmp_path):
        """A CSV file name is data, not code: nothing of it is written into the script."""
        evil = 'x"""\nimport os; os.remove("important")\n"""'
        text = "a,b,label\n" + "".join(f"{i},{i % 3},{'p' if i % 2 else 'q'}\n" for i in range(20))
        full = load_csv(text, name=evil)
        data = DataSpec.embedded(full.subset(slice(0, 15)), full.subset(slice(15, 20)))
        exp = Experiment(CircuitSpec.paper(1, 2), data, training=TrainingSpec(epochs=1)).fit()[0]
        for src in (to_pennylane_script(exp), to_torch_module(exp)):
            assert "important" not in src and "import os" not in src
            ast.parse(src)

    def test_errors(self):
        exp = make_case("1q-fidelity")
        with pytest.raises(ExportError, match="^params: expected trained parameters"):
            to_pennylane_script(replace(exp, params=None, metrics=None))
        with pytest.raises(ExportError, match=r"^points: expected shape \(P, 2\)"):
            to_pennylane_script(exp, points=np.zeros((3, 3)))
        with pytest.raises(ExportError, match="^points: expected shape"):
            to_pennylane_script(exp, points=np.zeros((MAX_EXPORT_POINTS + 1, 2)))
        with pytest.raises(ExportError, match="^points: expected finite numbers"):
            to_torch_module(exp, points=[[np.nan, 0.0]])
        with pytest.raises(ExportError, match="^experiment: expected an Experiment"):
            to_pennylane_script(exp.spec)


# ------------------------------------------------------------------------------------------------ PyTorch

def _load_torch_module(src: str):
    mod = types.ModuleType("exported_model")
    exec(compile(src, "exported_model.py", "exec"), mod.__dict__)
    return mod


class TestTorchModule:
    def test_main_matches_evaluate(self, case):
        _, evaluated, outputs = case
        assert_same_output(outputs["torch"], evaluated)

    def test_imports_only_torch_numpy_json_sys(self):
        assert _imports(to_torch_module(make_case("every-gate-4-features-weighted"))) == {"json", "sys", "numpy", "torch"}

    @pytest.mark.parametrize("name", list(CASES))
    def test_parameters_and_gradient_match_the_classifier(self, name):
        """nn.Parameters in registration order are the flat parameter vector; autograd gives our exact gradient."""
        exp = make_case(name)
        mod = _load_torch_module(to_torch_module(exp))
        model = mod.ReuploadingClassifier()
        assert isinstance(model, torch.nn.Module)
        flat = torch.cat([p.reshape(-1) for p in model.parameters()]).detach().numpy()
        assert np.array_equal(flat, exp.params)

        clf = exp.build_classifier()
        train, _ = exp.build_data()
        X, y = train.X[:25], train.y[:25]
        loss_ref, grad_ref, readout = clf.loss_and_grad(exp.params, X, y)

        r = model.readout(torch.from_numpy(X))
        yt = torch.from_numpy(y)
        rows = torch.arange(len(y))
        if exp.cost == "fidelity":
            loss = torch.mean(1.0 - torch.sqrt(r["fidelities"][rows, yt]))
        elif exp.cost == "cross_entropy":
            f = r["fidelities"]
            loss = torch.mean(torch.log(f.sum(dim=1)) - torch.log(f[rows, yt]))
        else:
            n = label_bloch_vectors(exp.n_classes)
            targets = torch.from_numpy(0.5 * (1.0 + n @ n.T))[yt]
            loss = 0.5 * torch.mean(torch.sum((r["scores"] - targets) ** 2, dim=1))
        loss.backward()
        grad = torch.cat([p.grad.reshape(-1) for p in model.parameters()]).numpy()
        assert abs(loss.item() - loss_ref) <= 1e-12
        assert np.allclose(grad, grad_ref, atol=1e-10, rtol=0)
        assert np.allclose(r["probabilities"].detach().numpy(), readout.proba, atol=1e-12)
        assert torch.equal(model(torch.from_numpy(X)), r["probabilities"])

    def test_forward_accepts_float32_and_lists(self):
        exp = make_case("1q-fidelity")
        model = _load_torch_module(to_torch_module(exp)).ReuploadingClassifier()
        p = model(torch.tensor([[0.1, 0.2]], dtype=torch.float32)).detach().numpy()
        want = exp.build_classifier().predict_proba(exp.params, np.array([[0.1, 0.2]], dtype=np.float32))
        assert p.shape == (1, 2) and np.allclose(p, want, atol=1e-12)


# ------------------------------------------------------------------------------------------------ OpenQASM 3

class TestOpenQASM3:
    @pytest.mark.parametrize("name", list(CASES))
    def test_interpreted_qasm_gives_our_state(self, name):
        exp = make_case(name)
        clf = exp.build_classifier()
        theta, weights = clf.split(exp.params)
        for x in evaluation_points(exp)[:3]:
            text = to_openqasm3(exp.spec, theta, x)
            got = simulate_qasm(text)
            ours = engine.forward(clf.program, theta, x[None, :]).state[:, 0]
            assert abs(abs(np.vdot(got, ours)) - 1.0) <= 1e-10  # equal up to a global phase
            assert np.allclose(np.abs(got) ** 2, np.abs(ours) ** 2, atol=1e-12)
            # and therefore the same fidelities: compare through the classifier's read-out
            bloch = _bloch(got, exp.spec.n_qubits)
            r_qasm = clf.readout_from((np.abs(got) ** 2)[None, :], bloch[None], weights)
            r_ours = clf.readout(exp.params, x[None, :])
            assert np.allclose(r_qasm.fidelities, r_ours.fidelities, atol=1e-12)

    @pytest.mark.parametrize("name", ["2q-entangled-weighted", "every-gate-4-features-weighted"])
    def test_pennylane_from_qasm3_gives_our_state(self, name):
        exp = make_case(name)
        clf = exp.build_classifier()
        theta, _ = clf.split(exp.params)
        x = evaluation_points(exp)[0]
        # PennyLane's interpreter has its own gate set and rejects `include`: drop that line for it
        text = to_openqasm3(exp.spec, theta, x).replace('include "stdgates.inc";\n', "")
        Q = exp.spec.n_qubits
        dev = qml.device("default.qubit", wires=[f"q[{i}]" for i in range(Q)])

        @qml.qnode(dev)
        def circuit():
            qml.from_qasm3(text)()
            return qml.state()

        got = np.asarray(circuit())
        ours = engine.forward(clf.program, theta, x[None, :]).state[:, 0]
        assert abs(abs(np.vdot(got, ours)) - 1.0) <= 1e-10

    def test_layout(self):
        exp = make_case("every-gate-4-features-weighted")
        theta, _ = exp.build_classifier().split(exp.params)
        text = to_openqasm3(exp.spec, theta, [0.1, 0.2, -0.3, 0.4])
        lines = text.splitlines()
        assert lines[0] == "OPENQASM 3.0;"
        assert lines[1] == 'include "stdgates.inc";'
        assert "qubit[3] q;" in lines
        body = [l.split("(")[0].split(" ")[0] for l in lines if l and not l.startswith(("//", "OPENQASM", "include", "qubit"))]
        assert set(body) <= {"rx", "ry", "rz", "cz", "cx"}
        assert {"rx", "ry", "rz", "cz", "cx"} <= set(body)
        assert text.isascii()

    def test_measure_option_parses(self):
        exp = make_case("2q-entangled-weighted")
        theta, _ = exp.build_classifier().split(exp.params)
        text = to_openqasm3(exp.spec, theta, [0.1, 0.2], measure=True)
        assert text.rstrip().endswith("c = measure q;")
        openqasm3.parse(text)

    def test_errors(self):
        spec = CircuitSpec.paper(1, 2)
        with pytest.raises(ExportError, match="^params: expected 10 numbers"):
            to_openqasm3(spec, np.zeros(12), [0.0, 0.0])
        with pytest.raises(ExportError, match="^x: expected 2 finite numbers"):
            to_openqasm3(spec, np.zeros(10), [0.0, 0.0, 0.0])
        with pytest.raises(ExportError, match="^x: expected 2 finite numbers"):
            to_openqasm3(spec, np.zeros(10), [np.inf, 0.0])
        with pytest.raises(ExportError, match="^params: expected finite numbers"):
            to_openqasm3(spec, np.full(10, np.nan), [0.0, 0.0])


# ------------------------------------------------------------------------------------------------ helpers


def _imports(src: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


def _exec_module_level(src: str) -> dict:
    ns: dict = {"__name__": "exported"}
    exec(compile(src, "exported.py", "exec"), ns)
    return ns


