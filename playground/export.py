"""Export a trained experiment: a standalone PennyLane script, a PyTorch module, or OpenQASM 3 for one input.

Every exporter reads the gates straight from the :class:`~playground.spec.CircuitSpec` (not from the compiled
program the simulator runs), so an export that agrees with the simulator is an independent check of both.

Conventions shared by all three
-------------------------------
* The authors' SU(2) rotation U(a₀, a₁, a₂) = RZ(−a₁)·RY(a₀)·RZ(−a₂) = ``qml.Rot(-a2, a0, -a1)``; in time order
  RZ(−a₂) first, then RY(a₀), then RZ(−a₁).
* ``compressed``: one U(θ + w∘x) per piece of three features (x₁..x₃, x₄..x₆, ...; the last piece zero-padded, so
  a padded angle is θ alone). Parameters: θ (3 per piece), then w (one per feature).
* ``original``: per piece U(x) then U(θ). Parameters: θ (3 per piece).
* ``rx``/``ry``/``rz``: angle θ (``trainable``), w·x_k + b (``feature``, parameters w then b), x_k (``data``) or a
  constant (``fixed``).
* After each layer, the entangler's resolved pairs (``spec.entangler_pairs(layer)``): CZ, or CNOT (control, target).
* Wire 0 is the most significant bit of a basis index, as in PennyLane.

Example
-------
>>> from playground.experiment import Experiment, DataSpec, TrainingSpec
>>> from playground.spec import CircuitSpec
>>> exp, _ = Experiment(CircuitSpec.paper(1, 2), DataSpec("circle", 20, 10, seed=30),
...                     training=TrainingSpec(epochs=1)).fit()
>>> script = to_pennylane_script(exp)          # python script.py  ->  {"predictions": [...], ...}
>>> qasm = to_openqasm3(exp.spec, exp.params, [0.1, -0.2])
>>> qasm.splitlines()[0]
'OPENQASM 3.0;'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from . import __version__
from .classifier import label_bloch_vectors, label_states
from .experiment import Experiment
from .spec import CircuitSpec, GateSpec, n_pieces

__all__ = [
    "ExportError",
    "MAX_EXPORT_POINTS",
    "evaluation_points",
    "to_pennylane_script",
    "to_torch_module",
    "to_openqasm3",
    "TARGETS",
]

MAX_EXPORT_POINTS = 5000
"""Most evaluation points embedded in an exported script."""

TARGETS = ("pennylane", "torch", "qasm")


class ExportError(ValueError):
    """An experiment or input that cannot be exported; the message names the field."""


# ------------------------------------------------------------------------------------------------ the walk


@dataclass(frozen=True)
class _Gate:
    layer: int  # 0-based
    qubit: int
    position: int  # 0-based position in its slot
    gate: GateSpec
    params: np.ndarray  # this gate's slice of the circuit parameters
    n_theta: int  # compressed/original: number of θ angles (3 per piece) at the start of ``params``

    @property
    def name(self) -> str:
        """Identifier stem: layer counted from 1, wire from 0, position in the slot from 1 (``L1_Q0_G1``)."""
        return f"L{self.layer + 1}_Q{self.qubit}_G{self.position + 1}"

    @property
    def where(self) -> str:
        return f"layer {self.layer + 1}, qubit {self.qubit}, gate {self.position + 1}"


def _walk(spec: CircuitSpec, params: np.ndarray) -> Iterator[tuple[int, list[_Gate], str, tuple[tuple[int, int], ...]]]:
    """Yield (layer, its gates in application order, entangler gate, resolved pairs) straight from the spec."""
    d = spec.n_features
    offset = 0
    for li, layer in enumerate(spec.layers):
        gates = []
        for q, i, gate in layer.gates():
            n = gate.n_params(d)
            n_theta = 3 * n_pieces(d) if gate.kind in ("compressed", "original") else 0
            gates.append(_Gate(li, q, i, gate, params[offset : offset + n], n_theta))
            offset += n
        yield li, gates, layer.entangler.gate, spec.entangler_pairs(li)
    assert offset == len(params)


def _circuit_params(spec: CircuitSpec, params) -> np.ndarray:
    p = np.asarray(params, dtype=np.float64)
    if p.ndim != 1 or len(p) != spec.n_params:
        raise ExportError(f"params: expected {spec.n_params} numbers (the circuit's), got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ExportError("params: expected finite numbers, got NaN or infinity")
    return p


def _describe_gate(g: GateSpec) -> str:
    """ASCII description of a gate for comments."""
    if g.kind == "compressed":
        return "compressed U(theta + w*x)"
    if g.kind == "original":
        return "original U(theta) U(x)"
    axis = g.kind.upper()
    k = g.feature + 1
    return {
        "trainable": f"{axis}(theta), trainable",
        "feature": f"{axis}(w * x{k} + b), feature",
        "data": f"{axis}(x{k}), data",
        "fixed": f"{axis}({g.value!r}), fixed",
    }[g.angle]


def _f(v: float) -> str:
    """Exact, round-tripping text of a float."""
    return repr(float(v))


def _vec(values) -> str:
    return "[" + ", ".join(_f(v) for v in np.asarray(values, dtype=np.float64).ravel()) + "]"


def _mat(rows) -> str:
    return "[" + ", ".join(_vec(r) for r in np.asarray(rows, dtype=np.float64)) + "]"


def _complex_rows(rows) -> str:
    return "[" + ", ".join("[" + ", ".join(repr(complex(z)) for z in r) + "]" for r in rows) + "]"


# ------------------------------------------------------------------------------------------------ points


def evaluation_points(experiment: Experiment, data=None) -> np.ndarray:
    """The points an export embeds by default: the test set's first :data:`MAX_EXPORT_POINTS` points (the
    training set's when there is no test set), ndarray of shape (P, n_features).

    ``data`` (train, test) skips rebuilding the datasets.
    """
    train, test = experiment.build_data() if data is None else data
    source = test if test.n_samples else train
    return source.X[:MAX_EXPORT_POINTS].copy()


def _check_points(points, n_features: int) -> np.ndarray:
    try:
        X = np.array(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExportError(f"points: expected an array of numbers of shape (P, {n_features}), got {type(points).__name__}") from None
    if X.ndim == 1 and X.size == n_features:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != n_features or not 1 <= X.shape[0] <= MAX_EXPORT_POINTS:
        raise ExportError(f"points: expected shape (P, {n_features}) with 1 <= P <= {MAX_EXPORT_POINTS}, got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ExportError("points: expected finite numbers, got NaN or infinity")
    return X


def _prepare(experiment: Experiment, points) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    if not isinstance(experiment, Experiment):
        raise ExportError(f"experiment: expected an Experiment, got {type(experiment).__name__}")
    if experiment.params is None:
        raise ExportError("params: expected trained parameters, got null (train the experiment first)")
    clf = experiment.build_classifier()
    theta, weights = clf.split(experiment.params)
    X = evaluation_points(experiment) if points is None else points
    return theta, weights, _check_points(X, experiment.spec.n_features)


def _header_facts(experiment: Experiment, n_points: int) -> list[str]:
    spec = experiment.spec
    clf = experiment.build_classifier()
    return [
        f"Generated by reuploading-playground {__version__}.",
        f"Dataset {experiment.data.dataset!r}: {spec.n_features} feature(s), {experiment.n_classes} classes.",
        f"Circuit: {spec.n_qubits} qubit(s), {spec.n_layers} layer(s), {clf.n_circuit_params} circuit parameters.",
        f"Model: cost {experiment.cost!r}, read-out strategy {experiment.strategy!r}"
        + (" (computational basis states |c>)." if clf.uses_basis_states else " (single-qubit label states)."),
        f"Embedded evaluation points: {n_points}.",
    ]


_READOUT_DOC = '''\
Read-out (as playground.classifier.Classifier.readout_from):
  F[c, q]   = <l_c| rho_q |l_c>, rho_q the reduced state of wire q, l_c the label state of class c;
  fidelity  = probs[:, :C] (basis-state read-out on several qubits) or mean over wires of F[c, q];
  scores    = sum_q CLASS_WEIGHTS[c, q] F[c, q] for the weighted_fidelity cost, the fidelities otherwise;
  proba     = clip(scores, 0) normalised to sum 1 (uniform if the sum is below 1e-12);
  prediction = argmax of scores.'''


# ------------------------------------------------------------------------------------------------ PennyLane


def _pl_gate_lines(g: _Gate) -> list[str]:
    """Module-level parameter definitions for one gate (none for data and fixed rotations)."""
    gate, p, n = g.gate, g.params, g.name
    lines = [f"# {g.where}: {_describe_gate(gate)}"]
    if gate.kind in ("compressed", "original"):
        lines.append(f"{n}_THETA = np.array({_vec(p[: g.n_theta])})  # theta, 3 angles per 3-feature piece")
        if gate.kind == "compressed":
            lines.append(f"{n}_W = np.array({_vec(p[g.n_theta :])})  # w, one weight per feature")
    elif gate.angle == "trainable":
        lines.append(f"{n}_THETA = {_f(p[0])}")
    elif gate.angle == "feature":
        lines.append(f"{n}_W = {_f(p[0])}")
        lines.append(f"{n}_B = {_f(p[1])}")
    else:
        return []
    return lines


def _pl_call(g: _Gate) -> str:
    gate, n, w = g.gate, g.name, g.qubit
    if gate.kind == "compressed":
        return f"compressed({n}_THETA, {n}_W, x, wire={w})"
    if gate.kind == "original":
        return f"original({n}_THETA, x, wire={w})"
    op = {"rx": "qml.RX", "ry": "qml.RY", "rz": "qml.RZ"}[gate.kind]
    k = gate.feature
    angle = {
        "trainable": f"{n}_THETA",
        "feature": f"{n}_W * x[:, {k}] + {n}_B",
        "data": f"x[:, {k}]",
        "fixed": _f(gate.value),
    }[gate.angle]
    return f"{op}({angle}, wires={w})"


def to_pennylane_script(experiment: Experiment, points=None) -> str:
    """Source of a self-contained Python script that rebuilds the trained model as a PennyLane QNode.

    The script imports only ``pennylane``, ``numpy``, ``json`` and ``sys``; it defines one named array per gate
    (``L<layer>_Q<wire>_G<position>_THETA`` ...), the label states, the class weights (weighted fidelity), a
    ``default.qubit`` QNode over a batch of points (parameter broadcasting), and the read-out. Run as
    ``python script.py`` it prints ``{"predictions": [...], "probabilities": [[...], ...]}`` for the embedded
    points; ``python script.py points.json`` does the same for a JSON list of points.

    Parameters
    ----------
    experiment : Experiment — with trained ``params``
    points : array_like of shape (P, n_features) or None — points to embed (at most 5000); default
        :func:`evaluation_points`

    Returns
    -------
    str — Python source
    """
    theta, weights, X = _prepare(experiment, points)
    spec = experiment.spec
    clf = experiment.build_classifier()
    C, Q, d = experiment.n_classes, spec.n_qubits, spec.n_features
    facts = _header_facts(experiment, len(X))

    out: list[str] = ['"""A trained data re-uploading classifier (Perez-Salinas et al., Quantum 4, 226, 2020) as a PennyLane QNode.', ""]
    out += facts
    out += [
        "",
        "Usage:  python THIS_FILE.py               prints predictions for the embedded points",
        "        python THIS_FILE.py points.json   ... for a JSON list of points [[x1, x2, ...], ...]",
        'Output: one JSON object {"predictions": [...], "probabilities": [[...], ...]}.',
        "",
        "Gates: the authors' SU(2) rotation U(a0, a1, a2) = RZ(-a1) RY(a0) RZ(-a2) = qml.Rot(-a2, a0, -a1).",
        "'compressed' applies U(theta + w * x) per piece of 3 features (the last piece zero-padded); 'original'",
        "applies U(x) then U(theta) per piece. Parameter names are L<layer>_Q<wire>_G<gate>: layers and gates",
        "counted from 1, wires from 0. Wire 0 is the most significant bit of a basis-state index.",
        "",
        *_READOUT_DOC.splitlines(),
        '"""',
        "",
        "import json",
        "import sys",
        "",
        "import numpy as np",
        "import pennylane as qml",
        "",
        f"N_QUBITS = {Q}",
        f"N_FEATURES = {d}",
        f"N_CLASSES = {C}",
        f"COST = {experiment.cost!r}",
        f"STRATEGY = {experiment.strategy!r}",
        f"READ_BASIS_STATES = {clf.uses_basis_states!r}  # fidelity of class c = probability of basis state |c>",
        "",
        "# ---------------------------------------------------------------- trained parameters, one name per gate",
    ]
    layers = list(_walk(spec, theta))
    for _, gates, _, _ in layers:
        for g in gates:
            out += _pl_gate_lines(g)
    out += [
        "",
        "# Class weights alpha of shape (N_CLASSES, N_QUBITS) (weighted_fidelity only).",
        f"CLASS_WEIGHTS = np.array({_mat(weights)})" if weights is not None else "CLASS_WEIGHTS = None",
        "",
        "# Label states |l_c> of shape (N_CLASSES, 2); their Bloch vectors:",
    ]
    for c, b in enumerate(label_bloch_vectors(C)):
        out.append(f"#   class {c}: ({b[0]:+.4f}, {b[1]:+.4f}, {b[2]:+.4f})")
    out += [
        f"LABEL_STATES = np.array({_complex_rows(label_states(C))})",
        "",
        f"# Evaluation points of shape ({len(X)}, N_FEATURES).",
        f"POINTS = np.array({_mat(X)})",
        "",
        "",
        "def U(a0, a1, a2, wire):",
        '    """The authors\' SU(2) rotation RZ(-a1) RY(a0) RZ(-a2)."""',
        "    qml.Rot(-a2, a0, -a1, wires=wire)",
        "",
        "",
        "def feature(x, k):",
        '    """Column k of the batch x of shape (P, N_FEATURES); 0 beyond the last feature (zero padding)."""',
        "    return x[:, k] if k < N_FEATURES else 0.0",
        "",
        "",
        "def compressed(theta, w, x, wire):",
        '    """U(theta + w * x) for each piece of three features."""',
        "    for c in range(len(theta) // 3):",
        "        U(*[theta[3 * c + j] + (w[3 * c + j] * feature(x, 3 * c + j) if 3 * c + j < N_FEATURES else 0.0) for j in range(3)], wire)",
        "",
        "",
        "def original(theta, x, wire):",
        '    """U(x) then U(theta) for each piece of three features."""',
        "    for c in range(len(theta) // 3):",
        "        U(*[feature(x, 3 * c + j) for j in range(3)], wire)",
        "        U(*theta[3 * c : 3 * c + 3], wire)",
        "",
        "",
        'dev = qml.device("default.qubit", wires=N_QUBITS)',
        "",
        "",
        "@qml.qnode(dev)",
        "def circuit(x):",
        '    """x of shape (P, N_FEATURES) -> [probs (P, 2**N_QUBITS), rho_0 (P, 2, 2), ..., rho_{Q-1}]."""',
    ]
    for li, gates, ent_gate, pairs in layers:
        out.append(f"    # layer {li + 1}")
        for g in gates:
            out.append(f"    {_pl_call(g)}  # {g.where}: {_describe_gate(g.gate)}")
        for a, b in pairs:
            op = "qml.CZ" if ent_gate == "cz" else "qml.CNOT"
            out.append(f"    {op}(wires=[{a}, {b}])")
        if not gates and not pairs:
            out.append("    pass  # (empty layer)")
    out += [
        "    return [qml.probs(wires=range(N_QUBITS))] + [qml.density_matrix(wires=[q]) for q in range(N_QUBITS)]",
        "",
        "",
        "def readout(X, chunk=2048):",
        '    """Fidelities, scores, probabilities (P, N_CLASSES) and predictions (P,) for points X (P, N_FEATURES)."""',
        "    X = np.asarray(X, dtype=np.float64).reshape(-1, N_FEATURES)",
        "    probs, rhos = [], []",
        "    for start in range(0, len(X), chunk):",
        "        x = X[start : start + chunk]",
        "        res = circuit(x)",
        "        # a circuit that reads no feature is not broadcast: repeat its single result",
        "        probs.append(np.broadcast_to(np.reshape(res[0], (-1, 2**N_QUBITS)), (len(x), 2**N_QUBITS)))",
        "        rhos.append(np.stack([np.broadcast_to(np.reshape(r, (-1, 2, 2)), (len(x), 2, 2)) for r in res[1:]], axis=1))",
        "    probs = np.concatenate(probs)",
        "    rhos = np.concatenate(rhos)  # (P, N_QUBITS, 2, 2)",
        '    qubit_fid = np.einsum("ci,pqij,cj->pcq", LABEL_STATES.conj(), rhos, LABEL_STATES).real',
        "    fid = probs[:, :N_CLASSES] if READ_BASIS_STATES else qubit_fid.mean(axis=2)",
        '    if COST == "weighted_fidelity":',
        '        scores = np.einsum("pcq,cq->pc", qubit_fid, CLASS_WEIGHTS)',
        "        pos = np.clip(scores, 0.0, None)",
        "    else:",
        "        scores = pos = fid",
        "    total = pos.sum(axis=1, keepdims=True)",
        "    proba = np.where(total > 1e-12, pos / np.maximum(total, 1e-12), 1.0 / N_CLASSES)",
        '    return {"fidelities": fid, "scores": scores, "probabilities": proba, "predictions": np.argmax(scores, axis=1)}',
        "",
        "",
        'if __name__ == "__main__":',
        "    if len(sys.argv) > 1:",
        "        with open(sys.argv[1]) as fh:",
        "            X = np.array(json.load(fh), dtype=np.float64)",
        "    else:",
        "        X = POINTS",
        "    r = readout(X)",
        '    print(json.dumps({"predictions": r["predictions"].tolist(), "probabilities": r["probabilities"].tolist()}))',
        "",
    ]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ PyTorch


def _torch_param_lines(g: _Gate) -> list[str]:
    gate, p, n = g.gate, g.params, g.name.lower()
    t = "torch.tensor({}, dtype=torch.float64)"
    lines = [f"        # {g.where}: {_describe_gate(gate)}"]
    if gate.kind in ("compressed", "original"):
        k = g.n_theta
        lines.append(f"        self.{n}_theta = nn.Parameter({t.format(_vec(p[:k]))})")
        if gate.kind == "compressed":
            lines.append(f"        self.{n}_w = nn.Parameter({t.format(_vec(p[k:]))})")
    elif gate.angle == "trainable":
        lines.append(f"        self.{n}_theta = nn.Parameter({t.format(_f(p[0]))})")
    elif gate.angle == "feature":
        lines.append(f"        self.{n}_w = nn.Parameter({t.format(_f(p[0]))})")
        lines.append(f"        self.{n}_b = nn.Parameter({t.format(_f(p[1]))})")
    else:
        return []
    return lines


def _torch_call(g: _Gate) -> str:
    gate, n, w = g.gate, "self." + g.name.lower(), g.qubit
    if gate.kind == "compressed":
        return f"state = self.compressed(state, {n}_theta, {n}_w, x, {w})"
    if gate.kind == "original":
        return f"state = self.original(state, {n}_theta, x, {w})"
    k = gate.feature
    angle = {
        "trainable": f"{n}_theta",
        "feature": f"{n}_w * x[:, {k}] + {n}_b",
        "data": f"x[:, {k}]",
        "fixed": _f(gate.value),
    }[gate.angle]
    return f'state = self.rotate(state, "{gate.kind}", {angle}, {w})'


def to_torch_module(experiment: Experiment, points=None) -> str:
    """Source of a file defining ``ReuploadingClassifier(torch.nn.Module)`` with the trained parameters.

    The module simulates the circuit as a complex128 state vector of shape (P, 2, ..., 2) (differentiable end to
    end); every trained value is an ``nn.Parameter`` named after its gate (``l1_q0_g1_theta`` ...), class weights
    included. ``forward(x)`` maps points of shape (P, n_features) to class probabilities of shape (P, C);
    ``readout(x)`` also gives fidelities, scores and predictions. Run as a script it prints the same JSON as
    :func:`to_pennylane_script`. Needs only ``torch`` and ``numpy``.

    Parameters
    ----------
    experiment : Experiment — with trained ``params``
    points : array_like of shape (P, n_features) or None — points for ``__main__``; default
        :func:`evaluation_points`
    """
    theta, weights, X = _prepare(experiment, points)
    spec = experiment.spec
    clf = experiment.build_classifier()
    C, Q, d = experiment.n_classes, spec.n_qubits, spec.n_features
    layers = list(_walk(spec, theta))

    out: list[str] = ['"""A trained data re-uploading classifier (Perez-Salinas et al., Quantum 4, 226, 2020) as a PyTorch module.', ""]
    out += _header_facts(experiment, len(X))
    out += [
        "",
        "Usage:  model = ReuploadingClassifier(); proba = model(torch.tensor(points))   # (P, N_CLASSES), differentiable",
        "        python THIS_FILE.py [points.json]   prints {\"predictions\": [...], \"probabilities\": [[...], ...]}",
        "",
        "Gates: the authors' SU(2) rotation U(a0, a1, a2) = RZ(-a1) RY(a0) RZ(-a2), i.e. RZ(-a2) first in time.",
        "'compressed' applies U(theta + w * x) per piece of 3 features (the last piece zero-padded); 'original'",
        "applies U(x) then U(theta) per piece. Parameters are named l<layer>_q<wire>_g<gate>_...: layers and gates",
        "counted from 1, wires from 0. The state has shape (P, 2, ..., 2), dimension 1 + q for wire q.",
        "",
        *_READOUT_DOC.splitlines(),
        '"""',
        "",
        "import json",
        "import sys",
        "",
        "import numpy as np",
        "import torch",
        "from torch import nn",
        "",
        f"N_QUBITS = {Q}",
        f"N_FEATURES = {d}",
        f"N_CLASSES = {C}",
        f"COST = {experiment.cost!r}",
        f"STRATEGY = {experiment.strategy!r}",
        f"READ_BASIS_STATES = {clf.uses_basis_states!r}  # fidelity of class c = probability of basis state |c>",
        "",
        "# Label states |l_c> of shape (N_CLASSES, 2).",
        f"LABEL_STATES = {_complex_rows(label_states(C))}",
        "",
        f"# Evaluation points of shape ({len(X)}, N_FEATURES).",
        f"POINTS = {_mat(X)}",
        "",
        "",
        "def _angle(a, P):",
        '    """An angle (a number or a tensor of shape () or (P,)) as a float64 tensor of shape (P,)."""',
        "    return torch.as_tensor(a, dtype=torch.float64).expand(P)",
        "",
        "",
        "def _matrix(kind, a):",
        '    """Rotation matrices of shape (P, 2, 2), complex128, for angles a of shape (P,)."""',
        "    c, s = torch.cos(a / 2), torch.sin(a / 2)",
        "    z = torch.zeros_like(a)",
        '    if kind == "rz":  # diag(exp(-i a/2), exp(i a/2))',
        "        rows = [[torch.complex(c, -s), torch.complex(z, z)], [torch.complex(z, z), torch.complex(c, s)]]",
        '    elif kind == "ry":',
        "        rows = [[torch.complex(c, z), torch.complex(-s, z)], [torch.complex(s, z), torch.complex(c, z)]]",
        '    else:  # "rx"',
        "        rows = [[torch.complex(c, z), torch.complex(z, -s)], [torch.complex(z, -s), torch.complex(c, z)]]",
        "    return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)",
        "",
        "",
        "class ReuploadingClassifier(nn.Module):",
        '    """The trained classifier: forward(x of shape (P, N_FEATURES)) -> class probabilities (P, N_CLASSES)."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
    ]
    n_defs = 0
    for _, gates, _, _ in layers:
        for g in gates:
            lines = _torch_param_lines(g)
            out += lines
            n_defs += bool(lines)
    if weights is not None:
        out += [
            "        # class weights alpha of shape (N_CLASSES, N_QUBITS)",
            f"        self.class_weights = nn.Parameter(torch.tensor({_mat(weights)}, dtype=torch.float64))",
        ]
    else:
        out.append("        self.class_weights = None")
    out += [
        '        self.register_buffer("label_states", torch.tensor(LABEL_STATES, dtype=torch.complex128))',
        "",
        "    # ------------------------------------------------------------ gates on a state of shape (P, 2, ..., 2)",
        "    @staticmethod",
        "    def apply(state, m, wire):",
        '        """Apply matrices m of shape (P, 2, 2) to one wire."""',
        "        s = state.movedim(wire + 1, -1)",
        '        s = torch.einsum("pij,p...j->p...i", m, s)',
        "        return s.movedim(-1, wire + 1)",
        "",
        "    def rotate(self, state, kind, angle, wire):",
        "        return self.apply(state, _matrix(kind, _angle(angle, state.shape[0])), wire)",
        "",
        "    def U(self, state, a0, a1, a2, wire):",
        '        """The authors\' SU(2) rotation RZ(-a1) RY(a0) RZ(-a2): RZ(-a2) acts first."""',
        '        state = self.rotate(state, "rz", -_angle(a2, state.shape[0]), wire)',
        '        state = self.rotate(state, "ry", a0, wire)',
        '        return self.rotate(state, "rz", -_angle(a1, state.shape[0]), wire)',
        "",
        "    @staticmethod",
        "    def feature(x, k):",
        "        return x[:, k] if k < N_FEATURES else torch.zeros(x.shape[0], dtype=torch.float64)",
        "",
        "    def compressed(self, state, theta, w, x, wire):",
        '        """U(theta + w * x) for each piece of three features."""',
        "        for c in range(theta.shape[0] // 3):",
        "            a = [theta[3 * c + j] + (w[3 * c + j] * x[:, 3 * c + j] if 3 * c + j < N_FEATURES else 0.0) for j in range(3)]",
        "            state = self.U(state, *a, wire)",
        "        return state",
        "",
        "    def original(self, state, theta, x, wire):",
        '        """U(x) then U(theta) for each piece of three features."""',
        "        for c in range(theta.shape[0] // 3):",
        "            state = self.U(state, *[self.feature(x, 3 * c + j) for j in range(3)], wire)",
        "            state = self.U(state, theta[3 * c], theta[3 * c + 1], theta[3 * c + 2], wire)",
        "        return state",
        "",
        "    @staticmethod",
        "    def cz(state, a, b):",
        "        sign = torch.ones([2] * N_QUBITS, dtype=torch.complex128)",
        "        index = [slice(None)] * N_QUBITS",
        "        index[a], index[b] = 1, 1",
        "        sign[tuple(index)] = -1",
        "        return state * sign",
        "",
        "    @staticmethod",
        "    def cnot(state, control, target):",
        "        s0, s1 = state.select(control + 1, 0), state.select(control + 1, 1)",
        "        s1 = s1.flip(target if target > control else target + 1)  # flip the target where control is 1",
        "        return torch.stack([s0, s1], dim=control + 1)",
        "",
        "    # ------------------------------------------------------------ the circuit",
        "    def circuit(self, x):",
        '        """Final states of shape (P, 2, ..., 2) for points x of shape (P, N_FEATURES)."""',
        "        state = torch.zeros((x.shape[0],) + (2,) * N_QUBITS, dtype=torch.complex128)",
        "        state[(slice(None),) + (0,) * N_QUBITS] = 1.0",
    ]
    for li, gates, ent_gate, pairs in layers:
        out.append(f"        # layer {li + 1}")
        for g in gates:
            out.append(f"        {_torch_call(g)}  # {g.where}")
        for a, b in pairs:
            out.append(f"        state = self.{'cz' if ent_gate == 'cz' else 'cnot'}(state, {a}, {b})")
    out += [
        "        return state",
        "",
        "    def readout(self, x):",
        '        """Dict of fidelities, scores, probabilities (P, N_CLASSES) and predictions (P,)."""',
        "        x = torch.as_tensor(x, dtype=torch.float64).reshape(-1, N_FEATURES)",
        "        P = x.shape[0]",
        "        state = self.circuit(x)",
        "        probs = (state.abs() ** 2).reshape(P, -1)",
        "        L = self.label_states",
        "        qubit_fid = []",
        "        for q in range(N_QUBITS):",
        "            s = state.movedim(q + 1, 1).reshape(P, 2, -1)",
        '            rho = torch.einsum("pir,pjr->pij", s, s.conj())',
        '            qubit_fid.append(torch.einsum("ci,pij,cj->pc", L.conj(), rho, L).real)',
        "        qubit_fid = torch.stack(qubit_fid, dim=2)  # (P, N_CLASSES, N_QUBITS)",
        "        fid = probs[:, :N_CLASSES] if READ_BASIS_STATES else qubit_fid.mean(dim=2)",
        '        if COST == "weighted_fidelity":',
        '            scores = torch.einsum("pcq,cq->pc", qubit_fid, self.class_weights)',
        "            pos = scores.clamp(min=0.0)",
        "        else:",
        "            scores = pos = fid",
        "        total = pos.sum(dim=1, keepdim=True)",
        "        proba = torch.where(total > 1e-12, pos / total.clamp(min=1e-12), torch.full_like(pos, 1.0 / N_CLASSES))",
        '        return {"fidelities": fid, "scores": scores, "probabilities": proba, "predictions": scores.argmax(dim=1)}',
        "",
        "    def forward(self, x):",
        '        """Class probabilities of shape (P, N_CLASSES)."""',
        '        return self.readout(x)["probabilities"]',
        "",
        "    def predict(self, x):",
        '        return self.readout(x)["predictions"]',
        "",
        "",
        'if __name__ == "__main__":',
        "    if len(sys.argv) > 1:",
        "        with open(sys.argv[1]) as fh:",
        "            X = np.array(json.load(fh), dtype=np.float64)",
        "    else:",
        "        X = np.array(POINTS, dtype=np.float64)",
        "    model = ReuploadingClassifier()",
        "    with torch.no_grad():",
        "        r = model.readout(torch.from_numpy(X))",
        '    print(json.dumps({"predictions": r["predictions"].tolist(), "probabilities": r["probabilities"].tolist()}))',
        "",
    ]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ OpenQASM 3


def _u_angles(a0: float, a1: float, a2: float) -> list[tuple[str, float]]:
    """The authors' U(a0, a1, a2) in time order: rz(-a2), ry(a0), rz(-a1)."""
    return [("rz", -a2), ("ry", a0), ("rz", -a1)]


def to_openqasm3(spec: CircuitSpec, params, x, *, measure: bool = False) -> str:
    """OpenQASM 3 text of the circuit bound to one input point (every angle a number).

    Parameters
    ----------
    spec : CircuitSpec
    params : array_like of shape (spec.n_params,) — the circuit's parameters (without class weights; see
        :meth:`~playground.classifier.Classifier.split`)
    x : array_like of shape (spec.n_features,) — the input point
    measure : bool — append ``bit[Q] c; c = measure q;``

    Returns
    -------
    str — ``OPENQASM 3.0;``, ``include "stdgates.inc";``, ``qubit[Q] q;``, then ``rz``/``ry``/``rx`` rotations
    (each U as rz·ry·rz) and ``cz``/``cx`` entanglers, in time order. Wire 0 is ``q[0]``.
    """
    if not isinstance(spec, CircuitSpec):
        raise ExportError(f"spec: expected a CircuitSpec, got {type(spec).__name__}")
    p = _circuit_params(spec, params)
    xs = np.asarray(x, dtype=np.float64).ravel() if np.ndim(x) else np.array([np.nan])
    if xs.shape != (spec.n_features,) or not np.all(np.isfinite(xs)):
        raise ExportError(f"x: expected {spec.n_features} finite numbers, got {np.ravel(x).tolist() if np.ndim(x) else x!r}")
    d = spec.n_features
    lines = [
        "OPENQASM 3.0;",
        'include "stdgates.inc";',
        f"// Data re-uploading classifier (reuploading-playground {__version__}): {spec.n_qubits} qubit(s),",
        f"// {spec.n_layers} layer(s), bound to x = [{', '.join(_f(v) for v in xs)}].",
        "// Each U(a0, a1, a2) = RZ(-a1) RY(a0) RZ(-a2) is written in time order: rz(-a2); ry(a0); rz(-a1).",
        f"qubit[{spec.n_qubits}] q;",
    ]

    def emit(ops: list[tuple[str, float]], wire: int) -> None:
        for name, angle in ops:
            lines.append(f"{name}({_f(angle)}) q[{wire}];")

    def feat(k: int) -> float:
        return float(xs[k]) if k < d else 0.0

    for li, gates, ent_gate, pairs in _walk(spec, p):
        lines.append(f"// layer {li + 1}")
        for g in gates:
            gate, gp, w = g.gate, g.params, g.qubit
            lines.append(f"// {g.where}: {_describe_gate(gate)}")
            if gate.kind in ("compressed", "original"):
                k_theta = g.n_theta
                th, wt = gp[:k_theta], gp[k_theta:]
                for c in range(k_theta // 3):
                    ks = [3 * c + j for j in range(3)]
                    if gate.kind == "original":
                        emit(_u_angles(*[feat(k) for k in ks]), w)
                        emit(_u_angles(*th[3 * c : 3 * c + 3]), w)
                    else:
                        a = [th[k] + (wt[k] * xs[k] if k < d else 0.0) for k in ks]
                        emit(_u_angles(*a), w)
                continue
            angle = {
                "trainable": lambda: gp[0],
                "feature": lambda: gp[0] * xs[gate.feature] + gp[1],
                "data": lambda: xs[gate.feature],
                "fixed": lambda: gate.value,
            }[gate.angle]()
            emit([(gate.kind, angle)], w)
        for a, b in pairs:
            lines.append(f"{'cz' if ent_gate == 'cz' else 'cx'} q[{a}], q[{b}];")
    if measure:
        lines += [f"bit[{spec.n_qubits}] c;", "c = measure q;"]
    return "\n".join(lines) + "\n"
