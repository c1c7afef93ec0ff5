"""Batched state-vector simulator with an exact reverse-mode gradient (pure NumPy reference backend).

The state of P points on Q qubits is an array of shape (2**Q, P): points innermost, so every gate is a few
element-wise operations on contiguous rows. Wire 0 is the most significant bit of the basis index, as in
PennyLane. The backward pass runs the circuit in reverse, undoing each gate on the state (U†) while carrying the
adjoint λ = ∂L/∂ψ*, and collects each rotation angle's derivative 2·Re⟨λ|∂U/∂α|ψ⟩; nothing is differenced.

Example
-------
>>> import numpy as np
>>> from playground.spec import CircuitSpec
>>> from playground.program import compile_spec
>>> prog = compile_spec(CircuitSpec.paper(n_qubits=1, n_layers=2))
>>> out = forward(prog, np.zeros(prog.n_params), np.zeros((3, 2)))
>>> out.probs.shape, out.bloch.shape
((3, 2), (3, 1, 3))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .program import OP_CZ, OP_LAYER, OP_ROT, Program

__all__ = ["ForwardResult", "forward", "backward", "bloch_of", "rot_matrices", "initial_state"]


@dataclass(frozen=True)
class ForwardResult:
    """What one forward pass yields.

    Attributes
    ----------
    state : ndarray of shape (2**Q, P), complex — final states, points innermost
    probs : ndarray of shape (P, 2**Q) — computational-basis probabilities
    bloch : ndarray of shape (P, Q, 3) — Bloch vector (⟨X⟩, ⟨Y⟩, ⟨Z⟩) of each qubit's reduced final state
    layers : ndarray of shape (L + 1, Q, P, 3) or None — Bloch vectors before the first layer (index 0) and
        after each layer's entangler (index l), when ``record_layers`` was asked for
    """

    state: np.ndarray
    probs: np.ndarray
    bloch: np.ndarray
    layers: np.ndarray | None


def initial_state(n_qubits: int, n_points: int, dtype=np.complex128) -> np.ndarray:
    state = np.zeros((2**n_qubits, n_points), dtype=dtype)
    state[0] = 1.0
    return state


def rot_matrices(angles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Entries of Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ) for angles of shape (..., 3): four arrays of shape (...)."""
    phi, theta, omega = angles[..., 0], angles[..., 1], angles[..., 2]
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    e_sum = np.exp(-0.5j * (phi + omega))
    e_dif = np.exp(-0.5j * (phi - omega))
    return e_sum * c, -np.conj(e_dif) * s, e_dif * s, np.conj(e_sum) * c


def _pair_view(state: np.ndarray, n_qubits: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    v = state.reshape(2**q, 2, 2 ** (n_qubits - q - 1), state.shape[-1])
    return v[:, 0], v[:, 1]


def _apply_1q(state, n_qubits, q, u00, u01, u10, u11) -> None:
    a0, a1 = _pair_view(state, n_qubits, q)
    b0 = u00 * a0 + u01 * a1
    a1[...] = u10 * a0 + u11 * a1
    a0[...] = b0


def _apply_rz(state, n_qubits, q, angle) -> None:
    a0, a1 = _pair_view(state, n_qubits, q)
    e = np.exp(-0.5j * angle)
    a0 *= e
    a1 *= np.conj(e)


def _apply_ry(state, n_qubits, q, angle) -> None:
    a0, a1 = _pair_view(state, n_qubits, q)
    c, s = np.cos(angle / 2), np.sin(angle / 2)
    b0 = c * a0 - s * a1
    a1[...] = s * a0 + c * a1
    a0[...] = b0


def _basis_bits(n_qubits: int) -> np.ndarray:
    """bits[i, q] = value of wire q in basis state i (wire 0 most significant)."""
    idx = np.arange(2**n_qubits)
    return (idx[:, None] >> (n_qubits - 1 - np.arange(n_qubits))[None, :]) & 1


def _apply_2q(state, n_qubits, code, a, b) -> None:
    bits = _basis_bits(n_qubits)
    if code == OP_CZ:
        mask = (bits[:, a] & bits[:, b]).astype(bool)
        state[mask] *= -1
    else:  # CNOT: swap amplitudes of pairs differing in the target where control is 1
        sel = np.nonzero((bits[:, a] == 1) & (bits[:, b] == 0))[0]
        partner = sel + (1 << (n_qubits - 1 - b))
        state[[*sel, *partner]] = state[[*partner, *sel]]


def bloch_of(state: np.ndarray, n_qubits: int) -> np.ndarray:
    """Bloch vectors of every qubit's reduced state: ndarray of shape (P, Q, 3) from a state (2**Q, P)."""
    out = np.empty((state.shape[-1], n_qubits, 3), dtype=state.real.dtype)
    for q in range(n_qubits):
        a0, a1 = _pair_view(state, n_qubits, q)
        cross = np.sum(np.conj(a0) * a1, axis=(0, 1))
        out[:, q, 0] = 2 * cross.real
        out[:, q, 1] = 2 * cross.imag
        out[:, q, 2] = np.sum(np.abs(a0) ** 2 - np.abs(a1) ** 2, axis=(0, 1))
    return out


def forward(
    program: Program,
    params: np.ndarray,
    X: np.ndarray,
    *,
    record_layers: bool = False,
    dtype=np.complex128,
) -> ForwardResult:
    """Run the circuit on every point of ``X`` (shape (P, n_features)) from |0…0⟩."""
    X = np.asarray(X, dtype=np.float64)
    P, n = len(X), program.n_qubits
    u = rot_matrices(program.angles(params, X))  # four arrays of shape (P, R)
    u = [np.ascontiguousarray(m.T.astype(dtype)) for m in u]  # (R, P)
    state = initial_state(n, P, dtype)
    layers = None
    if record_layers:
        layers = np.empty((program.n_layers + 1, n, P, 3), dtype=state.real.dtype)
        layers[0] = bloch_of(state, n).transpose(1, 0, 2)
    for code, a, b in program.ops:
        if code == OP_ROT:
            _apply_1q(state, n, program.rot_qubit[a], u[0][a], u[1][a], u[2][a], u[3][a])
        elif code == OP_LAYER:
            if record_layers:
                layers[a + 1] = bloch_of(state, n).transpose(1, 0, 2)
        else:
            _apply_2q(state, n, code, a, b)
    probs = (np.abs(state) ** 2).T
    return ForwardResult(state=state, probs=probs, bloch=bloch_of(state, n), layers=layers)


def readout_adjoint(state: np.ndarray, n_qubits: int, d_probs: np.ndarray | None, d_bloch: np.ndarray | None) -> np.ndarray:
    """λ = ∂L/∂ψ* of shape (2**Q, P), given ∂L/∂probs of shape (P, 2**Q) and ∂L/∂bloch of shape (P, Q, 3)."""
    lam = np.zeros_like(state)
    if d_probs is not None:
        lam += d_probs.T * state  # ∂|ψ_i|²/∂ψ_i* = ψ_i
    if d_bloch is not None:
        for q in range(n_qubits):
            a0, a1 = _pair_view(state, n_qubits, q)
            l0, l1 = _pair_view(lam, n_qubits, q)
            gx, gy, gz = d_bloch[:, q, 0], d_bloch[:, q, 1], d_bloch[:, q, 2]
            # Σ_k g_k σ_k acting on wire q: [[gz, gx − i·gy], [gx + i·gy, −gz]]
            l0 += gz * a0 + (gx - 1j * gy) * a1
            l1 += (gx + 1j * gy) * a0 - gz * a1
    return lam


def backward(program: Program, params: np.ndarray, X: np.ndarray, state: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Exact gradient d(loss)/d(params) of shape (n_params,), from final ``state`` and adjoint ``lam`` (2**Q, P)."""
    X = np.asarray(X, dtype=np.float64)
    n = program.n_qubits
    psi, lam = state.copy(), lam.copy()
    A = program.angles(params, X)  # (P, R, 3)
    dA = np.zeros_like(A)
    for code, a, b in program.ops[::-1]:
        if code == OP_ROT:
            q = program.rot_qubit[a]
            phi, theta, omega = A[:, a, 0], A[:, a, 1], A[:, a, 2]
            # Rot = RZ(ω) RY(θ) RZ(φ): peel the factors off from the left, each time reading its angle's
            # derivative Im⟨λ|G|ψ⟩ with G the factor's Pauli generator.
            dA[:, a, 2] = _im_inner_z(lam, psi, n, q)
            _apply_rz(psi, n, q, -omega)
            _apply_rz(lam, n, q, -omega)
            dA[:, a, 1] = _im_inner_y(lam, psi, n, q)
            _apply_ry(psi, n, q, -theta)
            _apply_ry(lam, n, q, -theta)
            dA[:, a, 0] = _im_inner_z(lam, psi, n, q)
            _apply_rz(psi, n, q, -phi)
            _apply_rz(lam, n, q, -phi)
        elif code != OP_LAYER:
            _apply_2q(psi, n, code, a, b)  # CZ and CNOT are their own inverses
            _apply_2q(lam, n, code, a, b)
    F = np.concatenate([np.ones((len(X), 1)), X], axis=1)
    dG = F.T @ dA.reshape(len(X), -1)
    return program.param_gradient(dG)


def _im_inner_z(lam, psi, n, q) -> np.ndarray:
    l0, l1 = _pair_view(lam, n, q)
    p0, p1 = _pair_view(psi, n, q)
    return np.sum(np.conj(l0) * p0 - np.conj(l1) * p1, axis=(0, 1)).imag


def _im_inner_y(lam, psi, n, q) -> np.ndarray:
    # Y = [[0, −i], [i, 0]]: ⟨λ|Yψ⟩ = −i·λ0*ψ1 + i·λ1*ψ0
    l0, l1 = _pair_view(lam, n, q)
    p0, p1 = _pair_view(psi, n, q)
    return np.sum(-1j * np.conj(l0) * p1 + 1j * np.conj(l1) * p0, axis=(0, 1)).imag
