"""The forward pass: final states, probabilities, Bloch vectors and the per-layer Bloch paths."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..program import OP_LAYER, OP_ROT, Program
from ..simulator import ForwardResult
from .blocks import _apply_2q, _apply_su2, _bloch, _init_block, _probs_rows, _store_transposed
from .common import _FM, _block_size, _features, _outputs
from .trig import _rot_trig, _su2_from_trig, _table


# --------------------------------------------------------------------------------------------- forward
@njit(cache=True, nogil=True, fastmath=_FM)
def _forward_kernel(ops, rot_qubit, H, X, nq, B, state, probs, bloch, layers, record):
    """simulator.forward block by block: fills state (2**Q, P), probs (P, 2**Q), bloch (P, Q, 3) and, when
    ``record``, layers (L + 1, Q, P, 3), in the precision of the outputs (trigonometry always in float64)."""
    n_points = X.shape[0]
    dim = 1 << nq
    Xt = np.ascontiguousarray(X.T)
    real = probs.dtype
    sr = np.empty((dim, B), real)
    si = np.empty((dim, B), real)
    U = np.empty((4, B), real)
    T = np.empty((6, B))
    h = np.empty(B)
    bl = np.empty((nq, 3, B), real)
    pb = np.empty((dim, B), real)
    for p0 in range(0, n_points, B):
        nb = min(B, n_points - p0)
        _init_block(sr, si, nb)
        if record:
            _bloch(sr, si, nq, nb, bl)
            for q in range(nq):
                _store_transposed(bl[q], 3, nb, layers[0, q].reshape(-1), 3 * p0)
        for o in range(ops.shape[0]):
            code = ops[o, 0]
            if code == OP_ROT:
                r = ops[o, 1]
                _rot_trig(H, Xt, p0, nb, r, h, T)
                _su2_from_trig(T, U, nb)
                _apply_su2(sr, si, nq, rot_qubit[r], U[0], U[1], U[2], U[3], nb)
            elif code == OP_LAYER:
                if record:
                    _bloch(sr, si, nq, nb, bl)
                    a = ops[o, 1] + 1
                    for q in range(nq):
                        _store_transposed(bl[q], 3, nb, layers[a, q].reshape(-1), 3 * p0)
            else:
                _apply_2q(sr, si, nq, code, ops[o, 1], ops[o, 2], nb)
        _bloch(sr, si, nq, nb, bl)
        _store_transposed(bl.reshape((3 * nq, B)), 3 * nq, nb, bloch.reshape(-1), 3 * nq * p0)
        _probs_rows(sr, si, nb, pb)
        _store_transposed(pb, dim, nb, probs.reshape(-1), dim * p0)
        for i in range(dim):
            a = sr[i]
            b = si[i]
            out = state[i, p0:]
            for p in range(nb):
                out[p] = a[p] + 1j * b[p]


def forward(
    program: Program, params: np.ndarray, X: np.ndarray, *, record_layers: bool = False, dtype=np.complex128
) -> ForwardResult:
    """Same as :func:`playground.simulator.forward` (complex64 or complex128), with the fused point-blocked kernel."""
    dtype = np.dtype(dtype)
    if dtype not in (np.complex64, np.complex128):
        raise ValueError(f"dtype: expected complex64 or complex128, got {dtype}")
    real = np.float32 if dtype == np.complex64 else np.float64
    H = _table(program, params)
    X = _features(program, X)
    P, Q = X.shape[0], program.n_qubits
    dim = 2**Q
    state, probs, bloch, layers = _outputs(
        ((dim, P), dtype), ((P, dim), real), ((P, Q, 3), real),
        ((program.n_layers + 1, Q, P, 3) if record_layers else (1, 1, 1, 3), real),
    )
    B = _block_size(P, 2 * dim * np.dtype(real).itemsize)
    _forward_kernel(program.ops, program.rot_qubit, H, X, Q, B, state, probs, bloch, layers, bool(record_layers))
    return ForwardResult(state=state, probs=probs, bloch=bloch, layers=layers if record_layers else None)
