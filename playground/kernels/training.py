"""The fused training step: forward, read-out, cost, adjoint and sweep back, block by block, in one call."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..program import OP_LAYER, OP_ROT, Program
from .blocks import _apply_2q, _apply_su2, _init_block
from .common import _FM, COST_CODES, _arr, _block_size, _f64, _features, _outputs
from .gradient import _param_grad, _rot_cache, _sweep_back
from .readout import _adjoint_block, _readout_block
from .trig import _half_angle_table, _rot_trig


@njit(cache=True, nogil=True, fastmath=_FM)
def _train_kernel(
    ops, rot_qubit, const, t_rot, t_slot, t_param, t_feat, t_coeff, params, X, y, nq, B,
    cost, basis, labels, targets, weights, fid, qf, scores, proba, grad, d_w,
):
    """Forward, read-out, cost, adjoint and sweep back for a batch; mirrors Classifier.loss_and_grad.

    Fills fid (P, C), qf (P, C, Q), scores (P, C) (weighted cost only), proba (P, C), grad (n_circuit_params,),
    d_w (C, Q) (weighted cost only) and returns the mean loss, or −1 if a label is outside 0..C−1.
    """
    n_points = X.shape[0]
    n_rot = rot_qubit.shape[0]
    dim = 1 << nq
    C = labels.shape[0]
    for p in range(n_points):
        if y[p] < 0 or y[p] >= C:
            return -1.0
    H = _half_angle_table(params, const, t_rot, t_slot, t_param, t_feat, t_coeff, n_rot, X.shape[1])
    grad[:] = 0.0
    d_w[:] = 0.0
    Xt = np.ascontiguousarray(X.T)
    pr = np.empty((dim, B))
    pi = np.empty((dim, B))
    lr = np.empty((dim, B))
    li = np.empty((dim, B))
    T = np.empty((6, B))
    V = np.empty((max(n_rot, 1), 8, B))
    h = np.empty(B)
    zI = np.empty(B)
    xI = np.empty(B)
    yI = np.empty(B)
    dA = np.empty((3, B))
    bl = np.empty((nq, 3, B))
    qfb = np.empty((C, nq, B))
    fb = np.empty((C, B))
    sb = np.empty((C, B))
    db = np.empty((C, B))
    dqb = np.zeros((C, nq, B))
    dbl = np.empty((nq, 3, B))
    dG = np.zeros(H.shape)
    inv_p = 1.0 / n_points
    loss = 0.0
    for p0 in range(0, n_points, B):
        nb = min(B, n_points - p0)
        _init_block(pr, pi, nb)
        for o in range(ops.shape[0]):
            code = ops[o, 0]
            if code == OP_ROT:
                r = ops[o, 1]
                Vr = V[r]
                _rot_trig(H, Xt, p0, nb, r, h, T)
                _rot_cache(T, Vr, nb)
                _apply_su2(pr, pi, nq, rot_qubit[r], Vr[0], Vr[1], Vr[2], Vr[3], nb)
            elif code != OP_LAYER:
                _apply_2q(pr, pi, nq, code, ops[o, 1], ops[o, 2], nb)
        loss += _readout_block(
            pr, pi, nq, nb, p0, y, cost, basis, labels, targets, weights, inv_p, bl, qfb, fb, sb, db, dqb,
            fid, qf, scores, proba, d_w,
        )
        _adjoint_block(pr, pi, lr, li, nq, nb, cost, basis, labels, db, dqb, dbl)
        _sweep_back(ops, rot_qubit, Xt, p0, nb, nq, pr, pi, lr, li, V, dG, zI, xI, yI, dA)
    _param_grad(dG, t_rot, t_slot, t_param, t_feat, t_coeff, grad)
    return loss * inv_p


def loss_and_grad(
    program: Program,
    params: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    *,
    cost: str,
    basis: bool,
    labels: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray | None,
):
    """One fused training evaluation in double precision; mirrors ``Classifier.loss_and_grad``.

    ``labels`` of shape (C, 3) are the label Bloch vectors, ``targets`` of shape (C, C) the weighted cost's
    targets, ``weights`` of shape (C, Q) the class weights (weighted cost only), ``basis`` whether class c is read
    as the basis state |c⟩. Returns ``(loss, circuit gradient (n_params,), d_w (C, Q) or None, fidelities (P, C),
    qubit_fidelities (P, C, Q), scores (P, C), proba (P, C))``.

    This is the per-frame call of a training session, so it keeps to a handful of NumPy calls: the angle table,
    the label check and the zeroing of the gradient happen inside the kernel.
    """
    params = _arr(params, np.float64)
    if params.shape != (program.n_params,):
        raise ValueError(f"params: expected shape ({program.n_params},), got {params.shape}")
    X = _features(program, X)
    P, Q = X.shape[0], program.n_qubits
    y = _arr(y, np.int64)
    if y.shape != (P,):
        raise ValueError(f"y: expected shape ({P},), got {y.shape}")
    C = labels.shape[0]
    code = COST_CODES[cost]
    weighted = code == 1
    w = np.zeros((C, Q)) if weights is None else _arr(weights, np.float64)
    fid, qf, proba, scores, grad, d_w = _outputs(
        ((P, C), np.float64), ((P, C, Q), np.float64), ((P, C), np.float64),
        ((P, C) if weighted else (0, C), np.float64), ((program.n_params,), np.float64), ((C, Q), np.float64),
    )
    if not weighted:
        scores = fid
    B = _block_size(P, 4 * 2**Q * 8, 8 * program.n_rot * 8)
    loss = _train_kernel(
        program.ops, program.rot_qubit, program.const, program.t_rot, program.t_slot, program.t_param,
        program.t_feat, program.t_coeff, params, X, y, Q, B, code, bool(basis), _f64(labels), _f64(targets), w,
        fid, qf, scores, proba, grad, d_w,
    )
    if loss == -1.0:  # the kernel's signal for a label outside 0..C−1 (a loss is never below −1e-15)
        raise IndexError(f"y: expected class labels in 0..{C - 1}, got {y.min()}..{y.max()}")
    return float(loss), grad, (d_w if weighted else None), fid, qf, scores, proba
