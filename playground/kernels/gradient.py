"""The exact gradient: the adjoint sweep back through the circuit, three derivatives per rotation in one pass."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..program import OP_LAYER, OP_ROT, Program
from .blocks import _apply_2q
from .common import _FM, _FM_SUM, _arr, _block_size, _features, _program_arrays
from .trig import _rot_trig, _su2_from_trig, _table


# --------------------------------------------------------------------------------------------- backward
@njit(cache=True, nogil=True, fastmath=_FM)
def _rot_cache(T, V, nb):
    """V rows for the sweep back: α_re, α_im, β_re, β_im (as _su2_from_trig), cos ω, sin ω, cos θ, sin θ."""
    _su2_from_trig(T, V, nb)
    cs, ss, ct, st, cd, sd = T[0], T[1], T[2], T[3], T[4], T[5]
    cw, sw, cth, sth = V[4], V[5], V[6], V[7]
    for p in range(nb):
        # ω = hs − hd, θ = 2·ht
        cw[p] = cs[p] * cd[p] + ss[p] * sd[p]
        sw[p] = ss[p] * cd[p] - cs[p] * sd[p]
        cth[p] = ct[p] * ct[p] - st[p] * st[p]
        sth[p] = 2.0 * st[p] * ct[p]


@njit(cache=True, nogil=True, fastmath=_FM)
def _undo_rotation(pr, pi, lr, li, nq, q, ar, ai, br, bi, zI, xI, yI, nb):
    """Per point Im⟨λ|Z_q|ψ⟩, Im⟨λ|X_q|ψ⟩, Im⟨λ|Y_q|ψ⟩ into zI, xI, yI; then ψ ← U†ψ and λ ← U†λ.

    One pass over the pairs of wire ``q`` does both (ψ and λ are read once), U = [[α, −β*], [β, α*]].
    """
    st = 1 << (nq - 1 - q)
    dim = 1 << nq
    for p in range(nb):
        zI[p] = 0.0
        xI[p] = 0.0
        yI[p] = 0.0
    for hi in range(0, dim, 2 * st):
        for lo in range(st):
            i0 = hi + lo
            p0r = pr[i0]
            p0i = pi[i0]
            p1r = pr[i0 + st]
            p1i = pi[i0 + st]
            l0r = lr[i0]
            l0i = li[i0]
            l1r = lr[i0 + st]
            l1i = li[i0 + st]
            for p in range(nb):
                a0r = p0r[p]
                a0i = p0i[p]
                a1r = p1r[p]
                a1i = p1i[p]
                b0r = l0r[p]
                b0i = l0i[p]
                b1r = l1r[p]
                b1i = l1i[p]
                # Im(conj(l)·ψ) = l_re ψ_im − l_im ψ_re ; Re(conj(l)·ψ) = l_re ψ_re + l_im ψ_im
                zI[p] += (b0r * a0i - b0i * a0r) - (b1r * a1i - b1i * a1r)
                xI[p] += (b0r * a1i - b0i * a1r) + (b1r * a0i - b1i * a0r)
                yI[p] += (b1r * a0r + b1i * a0i) - (b0r * a1r + b0i * a1i)
                ur = ar[p]
                ui = ai[p]
                vr = br[p]
                vi = bi[p]
                # U† = [[α*, β*], [−β, α]]
                p0r[p] = ur * a0r + ui * a0i + vr * a1r + vi * a1i
                p0i[p] = ur * a0i - ui * a0r + vr * a1i - vi * a1r
                p1r[p] = ur * a1r - ui * a1i - vr * a0r + vi * a0i
                p1i[p] = ur * a1i + ui * a1r - vr * a0i - vi * a0r
                l0r[p] = ur * b0r + ui * b0i + vr * b1r + vi * b1i
                l0i[p] = ur * b0i - ui * b0r + vr * b1i - vi * b1r
                l1r[p] = ur * b1r - ui * b1i - vr * b0r + vi * b0i
                l1i[p] = ur * b1i + ui * b1r - vr * b0i - vi * b0r


@njit(cache=True, nogil=True, fastmath=_FM_SUM)
def _accumulate_dG(dG, k, d, Xt, p0, nb):
    """dG[:, k] += Σ_p [1, x_p]·d[p] over the block's points."""
    acc = 0.0
    for p in range(nb):
        acc += d[p]
    dG[0, k] += acc
    for f in range(Xt.shape[0]):
        xf = Xt[f, p0:]
        acc = 0.0
        for p in range(nb):
            acc += xf[p] * d[p]
        dG[f + 1, k] += acc


@njit(cache=True, nogil=True, fastmath=_FM)
def _sweep_back(ops, rot_qubit, Xt, p0, nb, nq, pr, pi, lr, li, V, dG, zI, xI, yI, dA):
    """Run the circuit backwards on one block from the final ψ and the adjoint λ, adding dL/d(angles) into dG.

    ``V`` of shape (R, 8, B) holds each rotation's cached coefficients (:func:`_rot_cache`). For
    Rot = RZ(ω)·RY(θ)·RZ(φ), with ψ and λ at its output, each angle's derivative is Im⟨λ|G|ψ⟩ with G the
    generator of its factor carried to the output: Z for ω, RZ(ω)·Y·RZ(ω)† = cos ω·Y − sin ω·X for θ, and the
    Bloch-rotated n·σ, n = (sin θ cos ω, sin θ sin ω, cos θ), for φ. So three inner products per rotation give
    all three derivatives, read in the same pass that undoes the rotation.
    """
    for o in range(ops.shape[0] - 1, -1, -1):
        code = ops[o, 0]
        if code == OP_ROT:
            r = ops[o, 1]
            Vr = V[r]
            _undo_rotation(pr, pi, lr, li, nq, rot_qubit[r], Vr[0], Vr[1], Vr[2], Vr[3], zI, xI, yI, nb)
            cw, sw, cth, sth = Vr[4], Vr[5], Vr[6], Vr[7]
            dphi, dtheta, domega = dA[0], dA[1], dA[2]
            for p in range(nb):
                domega[p] = zI[p]
                dtheta[p] = cw[p] * yI[p] - sw[p] * xI[p]
                dphi[p] = sth[p] * (cw[p] * xI[p] + sw[p] * yI[p]) + cth[p] * zI[p]
            _accumulate_dG(dG, 3 * r, dphi, Xt, p0, nb)
            _accumulate_dG(dG, 3 * r + 1, dtheta, Xt, p0, nb)
            _accumulate_dG(dG, 3 * r + 2, domega, Xt, p0, nb)
        elif code != OP_LAYER:
            _apply_2q(pr, pi, nq, code, ops[o, 1], ops[o, 2], nb)
            _apply_2q(lr, li, nq, code, ops[o, 1], ops[o, 2], nb)


@njit(cache=True, nogil=True, fastmath=_FM)
def _param_grad(dG, t_rot, t_slot, t_param, t_feat, t_coeff, grad):
    """Chain rule from the angle-coefficient table to the parameters (Program.param_gradient)."""
    for t in range(t_rot.shape[0]):
        j = t_param[t]
        if j >= 0:
            grad[j] += t_coeff[t] * dG[t_feat[t], 3 * t_rot[t] + t_slot[t]]


@njit(cache=True, nogil=True, fastmath=_FM)
def _backward_kernel(ops, rot_qubit, t_rot, t_slot, t_param, t_feat, t_coeff, H, X, nq, B, state, lam, grad):
    """simulator.backward block by block from the final state and adjoint (2**Q, P): adds into grad."""
    n_points = X.shape[0]
    n_rot = rot_qubit.shape[0]
    dim = 1 << nq
    Xt = np.ascontiguousarray(X.T)
    pr = np.empty((dim, B))
    pi = np.empty((dim, B))
    lr = np.empty((dim, B))
    li = np.empty((dim, B))
    T = np.empty((6, B))
    V = np.empty((n_rot, 8, B))
    h = np.empty(B)
    zI = np.empty(B)
    xI = np.empty(B)
    yI = np.empty(B)
    dA = np.empty((3, B))
    dG = np.zeros(H.shape)
    for p0 in range(0, n_points, B):
        nb = min(B, n_points - p0)
        for r in range(n_rot):
            _rot_trig(H, Xt, p0, nb, r, h, T)
            _rot_cache(T, V[r], nb)
        for i in range(dim):
            for p in range(nb):
                v = state[i, p0 + p]
                pr[i, p] = v.real
                pi[i, p] = v.imag
                v = lam[i, p0 + p]
                lr[i, p] = v.real
                li[i, p] = v.imag
        _sweep_back(ops, rot_qubit, Xt, p0, nb, nq, pr, pi, lr, li, V, dG, zI, xI, yI, dA)
    _param_grad(dG, t_rot, t_slot, t_param, t_feat, t_coeff, grad)


def backward(program: Program, params: np.ndarray, X: np.ndarray, state: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Same as :func:`playground.simulator.backward`: d(loss)/d(params) of shape (n_params,)."""
    H = _table(program, params)
    X = _features(program, X)
    dim, P = 2**program.n_qubits, X.shape[0]
    state = _arr(state, np.complex128)
    lam = _arr(lam, np.complex128)
    if state.shape != (dim, P) or lam.shape != (dim, P):
        raise ValueError(f"state, lam: expected shape ({dim}, {P}), got {state.shape} and {lam.shape}")
    grad = np.zeros(program.n_params)
    B = _block_size(P, 4 * dim * 8, 8 * program.n_rot * 8)
    _backward_kernel(*_program_arrays(program), H, X, program.n_qubits, B, state, lam, grad)
    return grad
