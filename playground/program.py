"""Compile a CircuitSpec into flat arrays the simulator runs: rotations with affine angles, and entanglers.

Every single-qubit gate becomes one or more general rotations ``Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ)`` (PennyLane's
convention). Each of the three angles of rotation ``r`` is affine in the input::

    angle[r, j](x) = const[r, j] + Σ_t coeff[t] · p[param[t]] · f[feat[t]](x)

over the terms ``t`` that target ``(r, j)``, with ``f[0] = 1`` and ``f[k] = x_k`` (1-based) and ``p[-1] = 1``
(a term with no parameter, e.g. a data-only encoding angle). Because the map is linear in the features, all
angles of a batch are one small matrix product ``F @ G(p)`` (see :meth:`Program.angle_matrix`), and on a
product grid they split into an x-part and a y-part.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .spec import CircuitSpec, GateSpec, n_pieces

__all__ = ["Program", "compile_spec", "OP_ROT", "OP_CZ", "OP_CNOT", "OP_LAYER"]

OP_ROT = 0  # apply rotation a
OP_CZ = 1  # CZ between wires a, b
OP_CNOT = 2  # CNOT control a, target b
OP_LAYER = 3  # end of layer a: record Bloch vectors here

_HALF_PI = np.pi / 2


@dataclass(frozen=True, eq=False)
class Program:
    """A compiled circuit. Arrays are read-only; shapes use R rotations, T terms, I instructions.

    Attributes
    ----------
    n_qubits, n_features, n_params, n_layers : int
    rot_qubit : ndarray of shape (R,), int64
    const : ndarray of shape (R, 3), float64 — constant part of (φ, θ, ω)
    t_rot, t_slot, t_param, t_feat : ndarray of shape (T,), int64 — which angle, which parameter (−1: none),
        which feature (0: the constant 1, k: x_k)
    t_coeff : ndarray of shape (T,), float64
    ops : ndarray of shape (I, 3), int64 — (opcode, a, b) in application order
    gate_slices : dict uid -> (offset, size) into the parameter vector
    """

    n_qubits: int
    n_features: int
    n_params: int
    n_layers: int
    rot_qubit: np.ndarray
    const: np.ndarray
    t_rot: np.ndarray
    t_slot: np.ndarray
    t_param: np.ndarray
    t_feat: np.ndarray
    t_coeff: np.ndarray
    ops: np.ndarray
    gate_slices: dict

    @property
    def n_rot(self) -> int:
        return len(self.rot_qubit)

    @property
    def dim(self) -> int:
        return 2**self.n_qubits

    def angle_matrix(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split the angles into ``const`` of shape (R*3,) and ``G`` of shape (n_features + 1, R*3).

        For a batch ``X`` of shape (P, n_features), the angles are ``const + [1, X] @ G`` of shape (P, R*3),
        ordered rotation-major: column ``3*r + j`` is angle ``j`` (φ, θ, ω) of rotation ``r``.
        """
        params = np.asarray(params, dtype=np.float64)
        if params.shape != (self.n_params,):
            raise ValueError(f"params: expected shape ({self.n_params},), got {params.shape}")
        p_ext = np.append(params, 1.0)
        G = np.zeros((self.n_features + 1, self.n_rot * 3))
        np.add.at(G, (self.t_feat, self.t_rot * 3 + self.t_slot), self.t_coeff * p_ext[self.t_param])
        return self.const.reshape(-1).copy(), G

    def angles(self, params: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Angles of every rotation for every point: ndarray of shape (P, R, 3)."""
        const, G = self.angle_matrix(params)
        X = np.asarray(X, dtype=np.float64)
        A = const + G[0] + X @ G[1:]
        return A.reshape(len(X), self.n_rot, 3)

    def param_gradient(self, dG: np.ndarray) -> np.ndarray:
        """Chain rule from d(loss)/dG of shape (n_features + 1, R*3) to d(loss)/dparams of shape (n_params,)."""
        mask = self.t_param >= 0
        contrib = self.t_coeff[mask] * dG[self.t_feat[mask], self.t_rot[mask] * 3 + self.t_slot[mask]]
        return np.bincount(self.t_param[mask], weights=contrib, minlength=self.n_params)

    def layer_gate_range(self) -> list[tuple[int, int]]:
        """(first, end) indices into ``ops`` of each layer's instructions, layer markers excluded."""
        out, start = [], 0
        for i, (code, _, _) in enumerate(self.ops):
            if code == OP_LAYER:
                out.append((start, i))
                start = i + 1
        return out


class _Builder:
    def __init__(self) -> None:
        self.rot_qubit: list[int] = []
        self.const: list[list[float]] = []
        self.terms: list[tuple[int, int, int, int, float]] = []
        self.ops: list[tuple[int, int, int]] = []

    def rot(self, qubit: int, const=(0.0, 0.0, 0.0)) -> int:
        r = len(self.rot_qubit)
        self.rot_qubit.append(qubit)
        self.const.append(list(const))
        self.ops.append((OP_ROT, r, 0))
        return r

    def term(self, r: int, slot: int, param: int, feat: int, coeff: float) -> None:
        self.terms.append((r, slot, param, feat, coeff))


# The authors' U(a0, a1, a2) = RZ(-a1) RY(a0) RZ(-a2) = Rot(phi=-a2, theta=a0, omega=-a1):
# for each authors' angle index, the Rot slot it lands in and its sign.
_AUTHORS_SLOT = ((1, 1.0), (2, -1.0), (0, -1.0))
# Single-axis gates as Rot: RZ(a) = Rot(a, 0, 0); RY(a) = Rot(0, a, 0); RX(a) = RZ(-π/2) RY(a) RZ(π/2) = Rot(π/2, a, -π/2).
_AXIS = {"rz": (0, (0.0, 0.0, 0.0)), "ry": (1, (0.0, 0.0, 0.0)), "rx": (1, (_HALF_PI, 0.0, -_HALF_PI))}


def _emit_gate(b: _Builder, gate: GateSpec, qubit: int, offset: int, n_features: int) -> None:
    if gate.kind in ("compressed", "original"):
        n_chunks = n_pieces(n_features)
        theta0 = offset
        w0 = offset + 3 * n_chunks
        for c in range(n_chunks):
            feats = [3 * c + j for j in range(3)]
            if gate.kind == "original":
                # U(x) first: a data-only rotation, no parameters.
                r = b.rot(qubit)
                for j, k in enumerate(feats):
                    if k < n_features:
                        slot, sign = _AUTHORS_SLOT[j]
                        b.term(r, slot, -1, k + 1, sign)
            r = b.rot(qubit)
            for j, k in enumerate(feats):
                slot, sign = _AUTHORS_SLOT[j]
                b.term(r, slot, theta0 + 3 * c + j, 0, sign)
                if gate.kind == "compressed" and k < n_features:
                    b.term(r, slot, w0 + k, k + 1, sign)
        return
    slot, const = _AXIS[gate.kind]
    if gate.angle == "fixed":
        const = list(const)
        const[slot] += gate.value
        b.rot(qubit, const)
        return
    r = b.rot(qubit, const)
    if gate.angle == "trainable":
        b.term(r, slot, offset, 0, 1.0)
    elif gate.angle == "feature":
        b.term(r, slot, offset, gate.feature + 1, 1.0)  # w · x_k
        b.term(r, slot, offset + 1, 0, 1.0)  # + b
    else:  # data
        b.term(r, slot, -1, gate.feature + 1, 1.0)


@lru_cache(maxsize=256)
def compile_spec(spec: CircuitSpec) -> Program:
    """Compile ``spec`` (cached: specs are immutable and hashable)."""
    b = _Builder()
    gate_slices: dict[int, tuple[int, int]] = {}
    offset = 0
    for li, layer in enumerate(spec.layers):
        for q, _, gate in layer.gates():
            size = gate.n_params(spec.n_features)
            gate_slices[gate.uid] = (offset, size)
            _emit_gate(b, gate, q, offset, spec.n_features)
            offset += size
        code = OP_CZ if layer.entangler.gate == "cz" else OP_CNOT
        for a, c in spec.entangler_pairs(li):
            b.ops.append((code, a, c))
        b.ops.append((OP_LAYER, li, 0))

    def arr(values, dtype, shape):
        out = np.array(values, dtype=dtype).reshape(shape)
        out.setflags(write=False)
        return out

    terms = np.array(b.terms, dtype=np.float64).reshape(-1, 5)
    return Program(
        n_qubits=spec.n_qubits,
        n_features=spec.n_features,
        n_params=offset,
        n_layers=spec.n_layers,
        rot_qubit=arr(b.rot_qubit, np.int64, (-1,)),
        const=arr(b.const, np.float64, (-1, 3)),
        t_rot=arr(terms[:, 0], np.int64, (-1,)),
        t_slot=arr(terms[:, 1], np.int64, (-1,)),
        t_param=arr(terms[:, 2], np.int64, (-1,)),
        t_feat=arr(terms[:, 3], np.int64, (-1,)),
        t_coeff=arr(terms[:, 4], np.float64, (-1,)),
        ops=arr(b.ops, np.int64, (-1, 3)),
        gate_slices=gate_slices,
    )
