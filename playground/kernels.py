"""Numba backend: fused, point-blocked kernels for the forward pass, the exact gradient and the product grid.

Same operations and shapes as :mod:`playground.simulator` (the NumPy reference), organised for speed:

* **Point blocks.** Points are processed in blocks small enough that the block's whole state (real and imaginary
  parts as separate ``(2**Q, B)`` arrays, points innermost) stays in the L1/L2 cache while *every* gate of the
  circuit is applied to it; the inner loops run over the points of the block, so LLVM vectorises them.
* **Closed-form rotations.** ``Rot(φ, θ, ω)`` is the SU(2) matrix ``[[α, −β*], [β, α*]]`` with
  ``α = e^{−i(φ+ω)/2} cos(θ/2)`` and ``β = e^{−i(φ−ω)/2} sin(θ/2)``; the three half-angle combinations are affine
  in the features, so they come from one small coefficient table per parameter vector.
* **Trigonometry.** A branch-free sine/cosine (Cody–Waite reduction and the fdlibm polynomials, accurate to about
  one ulp) that LLVM vectorises; ``math.sin`` does not vectorise without SVML. On a product grid each angle is
  ``c + g_x·x + g_y·y``, so ``e^{iα}`` is an x-table times a y-table: trigonometry on ``nx + ny`` values only.
* **Gradient.** The adjoint sweep reads all three angle derivatives of a rotation from three inner products
  ⟨λ|X|ψ⟩, ⟨λ|Y|ψ⟩, ⟨λ|Z|ψ⟩ at the rotation's output (the generators of the peeled-off factors are Bloch-rotated
  Paulis), in the same pass that undoes the whole rotation with U† on ψ and λ; see :func:`_sweep_back`.
* **One fused training kernel** (:func:`loss_and_grad`): forward, the classifier's read-out and cost, the
  adjoint and the sweep back, block by block, so a training step costs one call.

One thread per call (no ``parallel=True``): several sessions share a server. Every kernel is compiled with
``cache=True``; :func:`warm_up` compiles every signature the app uses.
"""

from __future__ import annotations

import math

import numpy as np

try:
    from numba import njit
except Exception as err:  # noqa: BLE001 - any failure to load Numba means "no Numba backend"
    raise ImportError(f"playground.kernels needs Numba ({err})") from err

from .program import OP_CNOT, OP_CZ, OP_LAYER, OP_ROT, Program
from .simulator import ForwardResult

__all__ = ["forward", "backward", "grid", "loss_and_grad", "readout", "warm_up", "COST_CODES"]

# Fast-math flags: contraction into FMAs and signed-zero freedom. Not 'reassoc' (it would let LLVM fold the
# Cody–Waite reduction in _sincos back into one inexact subtraction) and not 'nnan'/'ninf' (the read-out compares
# fidelities with a threshold, and NaN inputs must stay NaN).
_FM = {"nsz", "contract", "arcp"}
# Reductions over points (the chain rule into the angle-coefficient table) may reassociate.
_FM_SUM = {"nsz", "contract", "arcp", "reassoc"}

# Cost codes of the fused training kernel (classifier.COSTS order).
COST_CODES = {"fidelity": 0, "weighted_fidelity": 1, "cross_entropy": 2}
_EPS = 1e-12  # classifier._EPS

# Bytes of block state to aim for: it should sit in L1/L2 while the whole circuit runs over it; the training
# kernel also keeps 8 coefficients per rotation and point for the sweep back.
_STATE_BUDGET = 256 * 1024
_CACHE_BUDGET = 4 * 1024 * 1024
_GRID_BUDGET = 128 * 1024
_CARVE_FROM = 256 * 1024  # bytes of output above which _outputs staggers the arrays in one buffer

# --------------------------------------------------------------------------------------------- sine / cosine
# π/2 split in three pieces (fdlibm's pio2_1, pio2_2, pio2_2t; the first two have 33-bit mantissas), so k·piece
# is exact for |k| < 2**20 and the reduced argument keeps full precision up to |x| = _TRIG_LIMIT.
_INV_PIO2 = 6.36619772367581382433e-01
_PIO2_1 = 1.57079632673412561417e00
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_3 = 2.02226624879595063154e-21
_TRIG_LIMIT = 1.0e5  # beyond this the scalar libm routines take over
_S1, _S2, _S3 = -1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04
_S4, _S5, _S6 = 2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10
_C1, _C2, _C3 = 4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05
_C4, _C5, _C6 = -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11


@njit(cache=True, nogil=True, fastmath=_FM)
def _sincos(h, c, s, n):
    """c[:n], s[:n] = cos(h[:n]), sin(h[:n]) — branch-free so the loop vectorises."""
    big = 0
    for p in range(n):
        x = h[p]
        k = math.floor(x * _INV_PIO2 + 0.5)
        r = ((x - k * _PIO2_1) - k * _PIO2_2) - k * _PIO2_3
        z = r * r
        sp = r + r * z * (_S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))))
        cp = 1.0 - (0.5 * z - z * z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * _C6))))))
        q = np.int64(k) & 3
        odd = (q & 1) != 0
        sv = cp if odd else sp
        cv = sp if odd else cp
        s[p] = -sv if (q & 2) != 0 else sv
        c[p] = -cv if ((q + 1) & 2) != 0 else cv
        big += abs(x) > _TRIG_LIMIT
    if big:
        for p in range(n):
            if abs(h[p]) > _TRIG_LIMIT:
                c[p] = math.cos(h[p])
                s[p] = math.sin(h[p])


# --------------------------------------------------------------------------------------------- angle tables
@njit(cache=True, nogil=True, fastmath=_FM)
def _half_angle_table(params, const, t_rot, t_slot, t_param, t_feat, t_coeff, n_rot, n_features):
    """Half-angle combinations of every rotation as an affine table over the features.

    Returns ``H`` of shape (n_features + 1, 3R): column ``3r + j`` holds, for j = 0, 1, 2, the coefficients
    (constant first) of ``(φ+ω)/2``, ``θ/2`` and ``(φ−ω)/2`` of rotation ``r``.
    """
    G = np.zeros((n_features + 1, 3 * n_rot))
    for t in range(t_rot.shape[0]):
        v = t_coeff[t] * (params[t_param[t]] if t_param[t] >= 0 else 1.0)
        G[t_feat[t], 3 * t_rot[t] + t_slot[t]] += v
    for r in range(n_rot):
        for j in range(3):
            G[0, 3 * r + j] += const[r, j]
    H = np.empty_like(G)
    for f in range(n_features + 1):
        for r in range(n_rot):
            phi, theta, omega = G[f, 3 * r], G[f, 3 * r + 1], G[f, 3 * r + 2]
            H[f, 3 * r] = 0.5 * (phi + omega)
            H[f, 3 * r + 1] = 0.5 * theta
            H[f, 3 * r + 2] = 0.5 * (phi - omega)
    return H


@njit(cache=True, nogil=True, fastmath=_FM)
def _rot_trig(H, Xt, p0, nb, r, h, T):
    """Rows of ``T`` (6, B) ← cos, sin of the three half-angle combinations of rotation ``r`` for points p0..p0+nb.

    Combinations that do not depend on the features are filled with one constant; (φ−ω)/2 is derived from
    (φ+ω)/2 by a constant rotation when their feature parts are equal or opposite (φ or ω constant, as in the
    paper's block on two features), which saves a third of the trigonometry there.
    """
    n_features = Xt.shape[0]
    for j in range(3):
        k = 3 * r + j
        c0 = H[0, k]
        cj = T[2 * j]
        sj = T[2 * j + 1]
        constant = True
        same = j == 2
        opposite = j == 2
        for f in range(1, n_features + 1):
            g = H[f, k]
            constant = constant and g == 0.0
            same = same and g == H[f, k - 2]
            opposite = opposite and g == -H[f, k - 2]
        if constant:
            cv = math.cos(c0)
            sv = math.sin(c0)
            for p in range(nb):
                cj[p] = cv
                sj[p] = sv
        elif same or opposite:
            # hd = (c_hd ∓ c_hs) ± hs:  e^{i·hd} = e^{i(c_hd ∓ c_hs)} · e^{±i·hs}
            sign = 1.0 if same else -1.0
            shift = c0 - sign * H[0, k - 2]
            cv = math.cos(shift)
            sv = math.sin(shift)
            cs = T[0]
            ss = T[1]
            for p in range(nb):
                cj[p] = cv * cs[p] - sign * sv * ss[p]
                sj[p] = sv * cs[p] + sign * cv * ss[p]
        else:
            for p in range(nb):
                h[p] = c0
            for f in range(n_features):
                g = H[f + 1, k]
                if g != 0.0:
                    xf = Xt[f, p0:]
                    for p in range(nb):
                        h[p] += g * xf[p]
            _sincos(h, cj, sj, nb)


@njit(cache=True, nogil=True, fastmath=_FM)
def _su2_from_trig(T, U, nb):
    """U rows (α_re, α_im, β_re, β_im) from the trig rows (cos hs, sin hs, cos ht, sin ht, cos hd, sin hd)."""
    cs, ss, ct, st, cd, sd = T[0], T[1], T[2], T[3], T[4], T[5]
    ar, ai, br, bi = U[0], U[1], U[2], U[3]
    for p in range(nb):
        ar[p] = cs[p] * ct[p]
        ai[p] = -ss[p] * ct[p]
        br[p] = cd[p] * st[p]
        bi[p] = -sd[p] * st[p]


# --------------------------------------------------------------------------------------------- gates on a block
@njit(cache=True, nogil=True, fastmath=_FM)
def _apply_su2(sr, si, nq, q, ar, ai, br, bi, nb):
    """[[α, −β*], [β, α*]] on wire ``q`` of a block state (real part ``sr``, imaginary ``si``, shape (2**Q, B))."""
    st = 1 << (nq - 1 - q)
    dim = 1 << nq
    for hi in range(0, dim, 2 * st):
        for lo in range(st):
            i0 = hi + lo
            xr = sr[i0]
            xi = si[i0]
            yr = sr[i0 + st]
            yi = si[i0 + st]
            for p in range(nb):
                a0r = xr[p]
                a0i = xi[p]
                a1r = yr[p]
                a1i = yi[p]
                ur = ar[p]
                ui = ai[p]
                vr = br[p]
                vi = bi[p]
                xr[p] = ur * a0r - ui * a0i - vr * a1r - vi * a1i
                xi[p] = ur * a0i + ui * a0r - vr * a1i + vi * a1r
                yr[p] = vr * a0r - vi * a0i + ur * a1r + ui * a1i
                yi[p] = vr * a0i + vi * a0r + ur * a1i - ui * a1r


@njit(cache=True, nogil=True, fastmath=_FM)
def _apply_2q(sr, si, nq, code, a, b, nb):
    """CZ (a ±1 diagonal) or CNOT (control a, target b: a row permutation); both are their own inverses."""
    ma = 1 << (nq - 1 - a)
    mb = 1 << (nq - 1 - b)
    for i in range(1 << nq):
        if code == OP_CZ and (i & ma) != 0 and (i & mb) != 0:
            _negate(sr[i], nb)
            _negate(si[i], nb)
        elif code == OP_CNOT and (i & ma) != 0 and (i & mb) == 0:
            _swap(sr[i], sr[i + mb], nb)
            _swap(si[i], si[i + mb], nb)


@njit(cache=True, nogil=True, fastmath=_FM)
def _negate(x, nb):
    for p in range(nb):
        x[p] = -x[p]


@njit(cache=True, nogil=True, fastmath=_FM)
def _swap(x, y, nb):
    for p in range(nb):
        t = x[p]
        x[p] = y[p]
        y[p] = t


@njit(cache=True, nogil=True, fastmath=_FM)
def _bloch(sr, si, nq, nb, out):
    """out[q, k, :nb] ← Bloch vector component k of wire q's reduced state, for every point of the block."""
    dim = 1 << nq
    for q in range(nq):
        st = 1 << (nq - 1 - q)
        bx = out[q, 0]
        by = out[q, 1]
        bz = out[q, 2]
        for p in range(nb):
            bx[p] = 0.0
            by[p] = 0.0
            bz[p] = 0.0
        for hi in range(0, dim, 2 * st):
            for lo in range(st):
                i0 = hi + lo
                xr = sr[i0]
                xi = si[i0]
                yr = sr[i0 + st]
                yi = si[i0 + st]
                for p in range(nb):
                    bx[p] += xr[p] * yr[p] + xi[p] * yi[p]
                    by[p] += xr[p] * yi[p] - xi[p] * yr[p]
                    bz[p] += xr[p] * xr[p] + xi[p] * xi[p] - yr[p] * yr[p] - yi[p] * yi[p]
        for p in range(nb):
            bx[p] *= 2.0
            by[p] *= 2.0


@njit(cache=True, nogil=True, fastmath=_FM)
def _init_block(sr, si, nb):
    for i in range(sr.shape[0]):
        for p in range(nb):
            sr[i, p] = 0.0
            si[i, p] = 0.0
    for p in range(nb):
        sr[0, p] = 1.0


@njit(cache=True, nogil=True, fastmath=_FM)
def _store_transposed(buf, K, nb, out, o0):
    """out[o0 + p·K + i] = buf[i, p] for i < K, p < nb: from points-innermost to the points-outermost layout the
    API returns. A literal K in each branch lets LLVM vectorise the transpose (4–10× faster than a loop over a
    run-time K)."""
    if K == 1:
        for p in range(nb):
            out[o0 + p] = buf[0, p]
    elif K == 2:
        for p in range(nb):
            for i in range(2):
                out[o0 + p * 2 + i] = buf[i, p]
    elif K == 3:
        for p in range(nb):
            for i in range(3):
                out[o0 + p * 3 + i] = buf[i, p]
    elif K == 4:
        for p in range(nb):
            for i in range(4):
                out[o0 + p * 4 + i] = buf[i, p]
    elif K == 6:
        for p in range(nb):
            for i in range(6):
                out[o0 + p * 6 + i] = buf[i, p]
    elif K == 8:
        for p in range(nb):
            for i in range(8):
                out[o0 + p * 8 + i] = buf[i, p]
    elif K == 9:
        for p in range(nb):
            for i in range(9):
                out[o0 + p * 9 + i] = buf[i, p]
    elif K == 12:
        for p in range(nb):
            for i in range(12):
                out[o0 + p * 12 + i] = buf[i, p]
    elif K == 15:
        for p in range(nb):
            for i in range(15):
                out[o0 + p * 15 + i] = buf[i, p]
    elif K == 16:
        for p in range(nb):
            for i in range(16):
                out[o0 + p * 16 + i] = buf[i, p]
    elif K == 18:
        for p in range(nb):
            for i in range(18):
                out[o0 + p * 18 + i] = buf[i, p]
    elif K == 32:
        for p in range(nb):
            for i in range(32):
                out[o0 + p * 32 + i] = buf[i, p]
    elif K == 64:
        for p in range(nb):
            for i in range(64):
                out[o0 + p * 64 + i] = buf[i, p]
    else:
        for p in range(nb):
            for i in range(K):
                out[o0 + p * K + i] = buf[i, p]


@njit(cache=True, nogil=True, fastmath=_FM)
def _probs_rows(sr, si, nb, out):
    """out[i, :nb] = |ψ_i|² for every basis row i."""
    for i in range(sr.shape[0]):
        a = sr[i]
        b = si[i]
        c = out[i]
        for p in range(nb):
            c[p] = a[p] * a[p] + b[p] * b[p]


def _block_size(n_points: int, state_bytes_per_point: int, cache_bytes_per_point: int = 0, *,
                budget: int | None = None, cap: int = 512) -> int:
    """Points per block: the block's state fits ``budget`` bytes (default ``_STATE_BUDGET``) and its per-rotation
    cache ``_CACHE_BUDGET`` (16..``cap`` points), with the points split evenly between blocks."""
    size = (_STATE_BUDGET if budget is None else budget) // max(state_bytes_per_point, 1)
    if cache_bytes_per_point:
        size = min(size, _CACHE_BUDGET // cache_bytes_per_point)
    size = max(16, min(cap, size))
    n_blocks = max(1, -(-n_points // size))
    return max(1, -(-n_points // n_blocks))


def _outputs(*specs) -> tuple[np.ndarray, ...]:
    """Fresh arrays of the given (shape, dtype); large ones carved from one buffer at staggered offsets.

    Separately allocated large arrays tend to start at the same offset within a 4 KiB page; a kernel that
    streams through several of them in step then suffers 4K-aliasing stalls (measured: 2× on the read-out).
    Small outputs (a training batch's) are allocated plainly: carving costs more than it saves there.
    """
    sizes = [math.prod(shape) * np.dtype(dtype).itemsize for shape, dtype in specs]
    if sum(sizes) < _CARVE_FROM:
        return tuple(np.empty(shape, dtype) for shape, dtype in specs)
    offsets, pos = [], 0
    for k, size in enumerate(sizes):
        pos = -(-pos // 4096) * 4096 + (k * 1088) % 4096  # array k starts 17·k cache lines into a page
        offsets.append(pos)
        pos += size
    buf = np.empty(pos + 64, dtype=np.uint8)
    return tuple(
        buf[off : off + size].view(dtype).reshape(shape) for (shape, dtype), off, size in zip(specs, offsets, sizes)
    )


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


# --------------------------------------------------------------------------------------------- training step
@njit(cache=True, nogil=True, fastmath=_FM)
def _readout_block(pr, pi, nq, nb, p0, y, cost, basis, labels, targets, weights, inv_p, bl, qfb, fb, sb, db, dqb,
                   fid, qf, scores, proba, d_w):
    """Classifier.readout_from and Classifier.loss_from for one block, vectorised over its points.

    Writes the read-out rows p0..p0+nb of fid, qf, scores (weighted cost), proba; leaves ∂L/∂fid in ``db``
    (C, B) and ∂L/∂qf in ``dqb`` (C, Q, B) (weighted cost); adds into d_w; returns the block's summed loss.
    """
    C = labels.shape[0]
    _bloch(pr, pi, nq, nb, bl)
    for c in range(C):
        l0, l1, l2 = labels[c, 0], labels[c, 1], labels[c, 2]
        f = fb[c]
        for p in range(nb):
            f[p] = 0.0
        for q in range(nq):
            v = qfb[c, q]
            bx, by, bz = bl[q, 0], bl[q, 1], bl[q, 2]
            for p in range(nb):
                v[p] = 0.5 * (1.0 + (bx[p] * l0 + by[p] * l1 + bz[p] * l2))
                f[p] += v[p]
        if basis:
            xr, xi = pr[c], pi[c]
            for p in range(nb):
                f[p] = xr[p] * xr[p] + xi[p] * xi[p]
        else:
            for p in range(nb):
                f[p] = f[p] / nq
        if cost == 1:
            s = sb[c]
            for p in range(nb):
                s[p] = 0.0
            for q in range(nq):
                w = weights[c, q]
                v = qfb[c, q]
                for p in range(nb):
                    s[p] += v[p] * w
    # proba = pos / Σ pos (uniform when Σ pos ≤ ε), pos = max(scores, 0) for the weighted cost, else fid
    src = sb if cost == 1 else fb
    tot = db[0]  # scratch; db is overwritten below
    for p in range(nb):
        tot[p] = 0.0
    for c in range(C):
        s = src[c]
        for p in range(nb):
            tot[p] += (s[p] if s[p] > 0.0 else 0.0) if cost == 1 else s[p]
    for p in range(nb):
        t = tot[p]
        g = p0 + p
        for c in range(C):
            pos = src[c, p]
            if cost == 1:
                pos = pos if pos > 0.0 else 0.0
            proba[g, c] = pos / max(t, _EPS) if t > _EPS else 1.0 / C
            fid[g, c] = fb[c, p]
            if cost == 1:
                scores[g, c] = sb[c, p]
            for q in range(nq):
                qf[g, c, q] = qfb[c, q, p]
    loss = 0.0
    if cost == 0:  # 1 − √F_y
        for c in range(C):
            d = db[c]
            for p in range(nb):
                d[p] = 0.0
        for p in range(nb):
            yp = y[p0 + p]
            fy = fb[yp, p]
            root = math.sqrt(max(fy, _EPS))
            loss += 1.0 - root
            db[yp, p] = (-0.5 / root if fy > _EPS else 0.0) * inv_p
    elif cost == 2:  # −log(F_y / Σ F)
        for p in range(nb):
            yp = y[p0 + p]
            t = 0.0
            for c in range(C):
                t += max(fb[c, p], _EPS)
            fy = fb[yp, p]
            f_y = max(fy, _EPS)
            loss += math.log(t) - math.log(f_y)
            for c in range(C):
                db[c, p] = (1.0 / t if fb[c, p] > _EPS else 0.0) * inv_p
            db[yp, p] -= (1.0 / f_y if fy > _EPS else 0.0) * inv_p
    else:  # ½ Σ_c (scores_c − target_c)²
        for c in range(C):
            d = db[c]
            for p in range(nb):
                d[p] = 0.0
        for p in range(nb):
            yp = y[p0 + p]
            ssq = 0.0
            for c in range(C):
                resid = sb[c, p] - targets[yp, c]
                ssq += resid * resid
                d_sc = resid * inv_p
                for q in range(nq):
                    dqb[c, q, p] = d_sc * weights[c, q]
                    d_w[c, q] += d_sc * qfb[c, q, p]
            loss += 0.5 * ssq
    return loss


@njit(cache=True, nogil=True, fastmath=_FM)
def _adjoint_block(pr, pi, lr, li, nq, nb, cost, basis, labels, db, dqb, dbl):
    """λ = ∂L/∂ψ* for the block (simulator.readout_adjoint) from ∂L/∂fid ``db`` and ∂L/∂qf ``dqb``."""
    dim = 1 << nq
    C = labels.shape[0]
    for i in range(dim):
        a = lr[i]
        b = li[i]
        for p in range(nb):
            a[p] = 0.0
            b[p] = 0.0
    if basis:  # ∂|ψ_c|²/∂ψ_c* = ψ_c
        for c in range(C):
            d, xr, xi, a, b = db[c], pr[c], pi[c], lr[c], li[c]
            for p in range(nb):
                a[p] = d[p] * xr[p]
                b[p] = d[p] * xi[p]
        return
    # ∂L/∂bloch[q, k] = ½ Σ_c (∂L/∂fid_c / Q + ∂L/∂qf_{c,q}) · label_c[k]
    for q in range(nq):
        for k in range(3):
            g = dbl[q, k]
            for p in range(nb):
                g[p] = 0.0
            for c in range(C):
                lab = 0.5 * labels[c, k]
                d = db[c]
                if cost == 1:
                    e = dqb[c, q]
                    for p in range(nb):
                        g[p] += (d[p] / nq + e[p]) * lab
                else:
                    for p in range(nb):
                        g[p] += (d[p] / nq) * lab
    for q in range(nq):
        st = 1 << (nq - 1 - q)
        gx, gy, gz = dbl[q, 0], dbl[q, 1], dbl[q, 2]
        for hi in range(0, dim, 2 * st):
            for lo in range(st):
                i0 = hi + lo
                x0r, x0i, x1r, x1i = pr[i0], pi[i0], pr[i0 + st], pi[i0 + st]
                m0r, m0i, m1r, m1i = lr[i0], li[i0], lr[i0 + st], li[i0 + st]
                for p in range(nb):
                    # l0 += gz·a0 + (gx − i·gy)·a1 ; l1 += (gx + i·gy)·a0 − gz·a1
                    m0r[p] += gz[p] * x0r[p] + gx[p] * x1r[p] + gy[p] * x1i[p]
                    m0i[p] += gz[p] * x0i[p] + gx[p] * x1i[p] - gy[p] * x1r[p]
                    m1r[p] += gx[p] * x0r[p] - gy[p] * x0i[p] - gz[p] * x1r[p]
                    m1i[p] += gx[p] * x0i[p] + gy[p] * x0r[p] - gz[p] * x1i[p]


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


@njit(cache=True, nogil=True, fastmath=_FM)
def _readout_kernel(probs, bloch, labels, basis, weighted, weights, qf, fid, scores, proba):
    """Classifier.readout_from for P points: probs (P, 2**Q), bloch (P, Q, 3) in; qf (P, C, Q), fid (P, C),
    scores (P, C) (weighted cost), proba (P, C) out. Memory-bound; two loop shapes, the faster for each case."""
    C = labels.shape[0]
    nq = bloch.shape[1]
    n_points = probs.shape[0]
    if nq == 1 and C == 2 and not weighted and not basis:  # one qubit, two classes: a loop LLVM vectorises
        bf = bloch.reshape(-1)
        qff = qf.reshape(-1)
        ff = fid.reshape(-1)
        prf = proba.reshape(-1)
        l00, l01, l02 = labels[0, 0], labels[0, 1], labels[0, 2]
        l10, l11, l12 = labels[1, 0], labels[1, 1], labels[1, 2]
        for p in range(n_points):
            bx = np.float64(bf[3 * p])
            by = np.float64(bf[3 * p + 1])
            bz = np.float64(bf[3 * p + 2])
            v0 = 0.5 * (1.0 + (bx * l00 + by * l01 + bz * l02))
            v1 = 0.5 * (1.0 + (bx * l10 + by * l11 + bz * l12))
            qff[2 * p] = v0
            qff[2 * p + 1] = v1
            ff[2 * p] = v0
            ff[2 * p + 1] = v1
            t = v0 + v1
            ok = t > _EPS
            inv = 1.0 / (t if ok else 1.0)
            prf[2 * p] = v0 * inv if ok else 0.5
            prf[2 * p + 1] = v1 * inv if ok else 0.5
        return
    if nq == 2 and C == 2 and not weighted:  # the common 2-qubit two-class case, vectorised
        pf = probs.reshape(-1)
        bf = bloch.reshape(-1)
        qff = qf.reshape(-1)
        ff = fid.reshape(-1)
        prf = proba.reshape(-1)
        dim = probs.shape[1]
        l00, l01, l02 = labels[0, 0], labels[0, 1], labels[0, 2]
        l10, l11, l12 = labels[1, 0], labels[1, 1], labels[1, 2]
        for p in range(n_points):
            bx = np.float64(bf[6 * p + 0])
            by = np.float64(bf[6 * p + 1])
            bz = np.float64(bf[6 * p + 2])
            u0 = 0.5 * (1.0 + (bx * l00 + by * l01 + bz * l02))
            v0 = 0.5 * (1.0 + (bx * l10 + by * l11 + bz * l12))
            qff[4 * p + 0] = u0
            qff[4 * p + 2] = v0
            bx = np.float64(bf[6 * p + 3])
            by = np.float64(bf[6 * p + 4])
            bz = np.float64(bf[6 * p + 5])
            u1 = 0.5 * (1.0 + (bx * l00 + by * l01 + bz * l02))
            v1 = 0.5 * (1.0 + (bx * l10 + by * l11 + bz * l12))
            qff[4 * p + 1] = u1
            qff[4 * p + 3] = v1
            if basis:
                f0 = np.float64(pf[dim * p])
                f1 = np.float64(pf[dim * p + 1])
            else:
                f0 = (u0 + u1) / 2
                f1 = (v0 + v1) / 2
            ff[2 * p] = f0
            ff[2 * p + 1] = f1
            f0 = np.float64(ff[2 * p])  # as stored (float32 for basis read-outs of a float32 grid)
            f1 = np.float64(ff[2 * p + 1])
            t = f0 + f1
            ok = t > _EPS
            inv = 1.0 / (t if ok else 1.0)
            prf[2 * p] = f0 * inv if ok else 0.5
            prf[2 * p + 1] = f1 * inv if ok else 0.5
        return
    if nq == 4 and C == 2 and not weighted:  # the common 4-qubit two-class case, vectorised
        pf = probs.reshape(-1)
        bf = bloch.reshape(-1)
        qff = qf.reshape(-1)
        ff = fid.reshape(-1)
        prf = proba.reshape(-1)
        dim = probs.shape[1]
        l00, l01, l02 = labels[0, 0], labels[0, 1], labels[0, 2]
        l10, l11, l12 = labels[1, 0], labels[1, 1], labels[1, 2]
        for p in range(n_points):
            bx = np.float64(bf[12 * p + 0])
            by = np.float64(bf[12 * p + 1])
            bz = np.float64(bf[12 * p + 2])
            u0 = 0.5 * (1.0 + (bx * l00 + by * l01 + bz * l02))
            v0 = 0.5 * (1.0 + (bx * l10 + by * l11 + bz * l12))
            qff[8 * p + 0] = u0
            qff[8 * p + 4] = v0
            bx = np.float64(bf[12 * p + 3])
            by = np.float64(bf[12 * p + 4])
            bz = np.float64(bf[12 * p + 5])
            u1 = 0.5 * (1.0 + (bx * l00 + by * l01 + bz * l02))
            v1 = 0.5 * (1.0 + (bx * l10 + by * l11 + bz * l12))
            qff[8 * p + 1] = u1
            qff[8 * p + 5] = v1
            bx = np.float64(bf[12 * p + 6])
            by = np.float64(bf[12 * p + 7])
            bz = np.float64(bf[12 * p + 8])
            u2 = 0.5 * (1.0 + (bx * l00 + by * l01 + bz * l02))
            v2 = 0.5 * (1.0 + (bx * l10 + by * l11 + bz * l12))
            qff[8 * p + 2] = u2
            qff[8 * p + 6] = v2
            bx = np.float64(bf[12 * p + 9])
            by = np.float64(bf[12 * p + 10])
            bz = np.float64(bf[12 * p + 11])
            u3 = 0.5 * (1.0 + (bx * l00 + by * l01 + bz * l02))
            v3 = 0.5 * (1.0 + (bx * l10 + by * l11 + bz * l12))
            qff[8 * p + 3] = u3
            qff[8 * p + 7] = v3
            if basis:
                f0 = np.float64(pf[dim * p])
                f1 = np.float64(pf[dim * p + 1])
            else:
                f0 = (u0 + u1 + u2 + u3) / 4
                f1 = (v0 + v1 + v2 + v3) / 4
            ff[2 * p] = f0
            ff[2 * p + 1] = f1
            f0 = np.float64(ff[2 * p])  # as stored (float32 for basis read-outs of a float32 grid)
            f1 = np.float64(ff[2 * p + 1])
            t = f0 + f1
            ok = t > _EPS
            inv = 1.0 / (t if ok else 1.0)
            prf[2 * p] = f0 * inv if ok else 0.5
            prf[2 * p + 1] = f1 * inv if ok else 0.5
        return
    if nq == 1 and not weighted:  # flat indexing: ~1.4× faster here, ~1.3× slower for more qubits (measured)
        pf = probs.reshape(-1)
        bf = bloch.reshape(-1)
        qff = qf.reshape(-1)
        ff = fid.reshape(-1)
        prf = proba.reshape(-1)
        dim = probs.shape[1]
        for p in range(n_points):
            o = p * C
            total = 0.0
            for c in range(C):
                v = 0.5 * (1.0 + (np.float64(bf[3 * p]) * labels[c, 0] + np.float64(bf[3 * p + 1]) * labels[c, 1]
                                  + np.float64(bf[3 * p + 2]) * labels[c, 2]))
                qff[o + c] = v
                ff[o + c] = pf[p * dim + c] if basis else v
                total += ff[o + c]
            if total > _EPS:
                inv = 1.0 / total  # one division per point, not C (within an ulp of NumPy's pos / total)
                for c in range(C):
                    prf[o + c] = ff[o + c] * inv
            else:
                for c in range(C):
                    prf[o + c] = 1.0 / C
        return
    for p in range(n_points):
        total = 0.0
        for c in range(C):
            l0, l1, l2 = labels[c, 0], labels[c, 1], labels[c, 2]
            acc = 0.0
            sc = 0.0
            for q in range(nq):
                v = 0.5 * (1.0 + (np.float64(bloch[p, q, 0]) * l0 + np.float64(bloch[p, q, 1]) * l1
                                  + np.float64(bloch[p, q, 2]) * l2))
                qf[p, c, q] = v
                acc += v
                sc += v * weights[c, q]
            if basis:
                fid[p, c] = probs[p, c]
            else:
                fid[p, c] = acc / nq
            if weighted:
                scores[p, c] = sc
                total += sc if sc > 0.0 else 0.0
            else:
                total += fid[p, c]
        inv = 1.0 / total if total > _EPS else 0.0
        for c in range(C):
            if weighted:
                pos = scores[p, c] if scores[p, c] > 0.0 else 0.0
            else:
                pos = np.float64(fid[p, c])
            proba[p, c] = pos * inv if total > _EPS else 1.0 / C


# --------------------------------------------------------------------------------------------- product grid
@njit(cache=True, nogil=True, fastmath=_FM)
def _grid_tables(H, base, wx, wy, xs, ys):
    """e^{i·h} of every half-angle combination h split as x-table (3R, nx) times y-table (3R, ny), in float32.

    Each combination is affine in the features, h = c0 + g_x·x + g_y·y, so e^{i·h} = e^{i(c0 + g_x·x)}·e^{i·g_y·y}:
    the x-table carries the constant part (including the features held at ``base``).
    """
    n_features = H.shape[0] - 1
    K = H.shape[1]
    nx = xs.shape[0]
    ny = ys.shape[0]
    txr = np.empty((K, nx), np.float32)
    txi = np.empty((K, nx), np.float32)
    tyr = np.empty((K, ny), np.float32)
    tyi = np.empty((K, ny), np.float32)
    n = max(nx, ny)
    h = np.empty(n)
    c = np.empty(n)
    s = np.empty(n)
    for k in range(K):
        c0 = H[0, k]
        for f in range(n_features):
            if f != wx and f != wy:
                c0 += H[f + 1, k] * base[f]
        gx = H[wx + 1, k] if wx >= 0 else 0.0
        gy = H[wy + 1, k] if wy >= 0 else 0.0
        for i in range(nx):
            h[i] = c0 + gx * xs[i]
        _sincos(h, c, s, nx)
        for i in range(nx):
            txr[k, i] = c[i]
            txi[k, i] = s[i]
        for i in range(ny):
            h[i] = gy * ys[i]
        _sincos(h, c, s, ny)
        for i in range(ny):
            tyr[k, i] = c[i]
            tyi[k, i] = s[i]
    return txr, txi, tyr, tyi


@njit(cache=True, nogil=True, fastmath=_FM)
def _grid_coeffs(txr, txi, tyr, tyi, k, ix, iy, U, off, n):
    """α, β of one rotation (half-angle rows k..k+2 of the tables) for ``n`` consecutive points of grid row ``iy``
    from column ``ix``, written to U[:, off:off + n]: each e^{i·h} is an x-table entry times the row's y-factor."""
    yr_s, yi_s = tyr[k, iy], tyi[k, iy]
    yr_t, yi_t = tyr[k + 1, iy], tyi[k + 1, iy]
    yr_d, yi_d = tyr[k + 2, iy], tyi[k + 2, iy]
    xsr = txr[k, ix:]
    xsi = txi[k, ix:]
    xtr = txr[k + 1, ix:]
    xti = txi[k + 1, ix:]
    xdr = txr[k + 2, ix:]
    xdi = txi[k + 2, ix:]
    ar = U[0, off:]
    ai = U[1, off:]
    br = U[2, off:]
    bi = U[3, off:]
    for p in range(n):
        cs = xsr[p] * yr_s - xsi[p] * yi_s
        ss = xsr[p] * yi_s + xsi[p] * yr_s
        ct = xtr[p] * yr_t - xti[p] * yi_t
        st = xtr[p] * yi_t + xti[p] * yr_t
        cd = xdr[p] * yr_d - xdi[p] * yi_d
        sd = xdr[p] * yi_d + xdi[p] * yr_d
        ar[p] = cs * ct
        ai[p] = -ss * ct
        br[p] = cd * st
        bi[p] = -sd * st


@njit(cache=True, nogil=True, fastmath=_FM)
def _grid_coeffs_split(txr, txi, tyr, tyi, k, ix, iy, U, off, n):
    """:func:`_grid_coeffs` when (φ±ω)/2 do not vary along x and θ/2 not along y (the paper's block: θ carries
    x₁, ω carries x₂): e^{−i(φ±ω)/2} are constants of the row segment and cos, sin(θ/2) come straight from the
    x-table, so a point costs four multiplies."""
    cs = txr[k, ix] * tyr[k, iy] - txi[k, ix] * tyi[k, iy]
    ss = txr[k, ix] * tyi[k, iy] + txi[k, ix] * tyr[k, iy]
    cd = txr[k + 2, ix] * tyr[k + 2, iy] - txi[k + 2, ix] * tyi[k + 2, iy]
    sd = txr[k + 2, ix] * tyi[k + 2, iy] + txi[k + 2, ix] * tyr[k + 2, iy]
    xtr = txr[k + 1, ix:]
    xti = txi[k + 1, ix:]
    ar = U[0, off:]
    ai = U[1, off:]
    br = U[2, off:]
    bi = U[3, off:]
    for p in range(n):
        ar[p] = cs * xtr[p]
        ai[p] = -ss * xtr[p]
        br[p] = cd * xti[p]
        bi[p] = -sd * xti[p]


@njit(cache=True, nogil=True, fastmath=_FM)
def _grid_block_coeffs(txr, txi, tyr, tyi, k, split, g0, nb, nx, U):
    """U[:, :nb] for the block of grid points g0..g0+nb (row-major), one row segment at a time."""
    g = g0
    while g < g0 + nb:
        iy = g // nx
        ix = g - iy * nx
        n = min(nx - ix, g0 + nb - g)
        if split:
            _grid_coeffs_split(txr, txi, tyr, tyi, k, ix, iy, U, g - g0, n)
        else:
            _grid_coeffs(txr, txi, tyr, tyi, k, ix, iy, U, g - g0, n)
        g += n


@njit(cache=True, nogil=True, fastmath=_FM)
def _apply_su2_fresh(sr, si, nq, q, ar, ai, br, bi, nb, skip):
    """:func:`_apply_su2` on a wire still in |0⟩ (the |1⟩ half of each pair is zero): a1 ← β·a0, a0 ← α·a0.

    Pairs whose index has a bit of ``skip`` set (other wires still in |0⟩) hold zeros and are left alone.
    """
    st = 1 << (nq - 1 - q)
    dim = 1 << nq
    for hi in range(0, dim, 2 * st):  # (a `continue` over all indices instead stops LLVM vectorising: 4× slower)
        for lo in range(st):
            i0 = hi + lo
            if (i0 & skip) == 0:
                xr = sr[i0]
                xi = si[i0]
                yr = sr[i0 + st]
                yi = si[i0 + st]
                for p in range(nb):
                    a0r = xr[p]
                    a0i = xi[p]
                    xr[p] = ar[p] * a0r - ai[p] * a0i
                    xi[p] = ar[p] * a0i + ai[p] * a0r
                    yr[p] = br[p] * a0r - bi[p] * a0i
                    yi[p] = br[p] * a0i + bi[p] * a0r


@njit(cache=True, nogil=True, fastmath=_FM)
def _grid_kernel(ops, rot_qubit, H, base, wx, wy, xs, ys, nq, B, probs, bloch):
    """The model on the grid xs × ys; ``probs`` (ny·nx·2**Q,) and ``bloch`` (ny·nx·Q·3,) are the flat outputs.

    A block is B consecutive points of the row-major (y, x) grid, possibly spanning several rows. A wire's first
    rotation, while it is still |0⟩, costs half (:func:`_apply_su2_fresh`), and only on the amplitudes the wires
    touched so far can have made nonzero.
    """
    txr, txi, tyr, tyi = _grid_tables(H, base, wx, wy, xs, ys)
    nx = xs.shape[0]
    n_total = nx * ys.shape[0]
    dim = 1 << nq
    n_rot = rot_qubit.shape[0]
    split = np.zeros(n_rot, np.bool_)  # rotations for _grid_coeffs_split
    for r in range(n_rot):
        gx_s = H[wx + 1, 3 * r] if wx >= 0 else 0.0
        gx_d = H[wx + 1, 3 * r + 2] if wx >= 0 else 0.0
        gy_t = H[wy + 1, 3 * r + 1] if wy >= 0 else 0.0
        split[r] = gx_s == 0.0 and gx_d == 0.0 and gy_t == 0.0
    sr = np.empty((dim, B), np.float32)
    si = np.empty((dim, B), np.float32)
    U = np.empty((4, B), np.float32)
    bl = np.empty((nq, 3, B), np.float32)
    bl3 = bl.reshape((3 * nq, B))
    pb = np.empty((dim, B), np.float32)
    for g0 in range(0, n_total, B):
        nb = min(B, n_total - g0)
        _init_block(sr, si, nb)
        active = 0  # basis-index bits of the wires that may be out of |0⟩
        for o in range(ops.shape[0]):
            code = ops[o, 0]
            if code == OP_ROT:
                r = ops[o, 1]
                _grid_block_coeffs(txr, txi, tyr, tyi, 3 * r, split[r], g0, nb, nx, U)
                q = rot_qubit[r]
                m = 1 << (nq - 1 - q)
                if active & m:
                    _apply_su2(sr, si, nq, q, U[0], U[1], U[2], U[3], nb)
                else:
                    _apply_su2_fresh(sr, si, nq, q, U[0], U[1], U[2], U[3], nb, (dim - 1) & ~(active | m))
                    active |= m
            elif code != OP_LAYER:
                ma = 1 << (nq - 1 - ops[o, 1])
                mb = 1 << (nq - 1 - ops[o, 2])
                if active & ma and (code == OP_CNOT or active & mb):  # else it only meets zeros
                    _apply_2q(sr, si, nq, code, ops[o, 1], ops[o, 2], nb)
                    active |= mb
        _bloch(sr, si, nq, nb, bl)
        _store_transposed(bl3, 3 * nq, nb, bloch, g0 * 3 * nq)
        _probs_rows(sr, si, nb, pb)
        _store_transposed(pb, dim, nb, probs, g0 * dim)


# --------------------------------------------------------------------------------------------- Python API
def _arr(a, dtype) -> np.ndarray:
    """C-contiguous, writable array of ``dtype`` (read-only arrays are a separate Numba type: one more compile)."""
    a = np.ascontiguousarray(a, dtype=dtype)
    return a if a.flags.writeable else a.copy()


def _f64(a) -> np.ndarray:
    """``a`` itself when it is C-contiguous float64 (read-only included: the classifier's cached label tables)."""
    return a if isinstance(a, np.ndarray) and a.dtype == np.float64 and a.flags.c_contiguous else _arr(a, np.float64)


def _program_arrays(program: Program):
    p = program
    return p.ops, p.rot_qubit, p.t_rot, p.t_slot, p.t_param, p.t_feat, p.t_coeff


def _table(program: Program, params) -> np.ndarray:
    params = np.asarray(params, dtype=np.float64)
    if params.shape != (program.n_params,):
        raise ValueError(f"params: expected shape ({program.n_params},), got {params.shape}")
    return _half_angle_table(
        _arr(params, np.float64), program.const, program.t_rot, program.t_slot, program.t_param,
        program.t_feat, program.t_coeff, program.n_rot, program.n_features,
    )


def _features(program: Program, X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != program.n_features:
        raise ValueError(f"X: expected shape (P, {program.n_features}), got {X.shape}")
    return _arr(X, np.float64)


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


def grid(
    program: Program, params: np.ndarray, xs: np.ndarray, ys: np.ndarray, *, base: np.ndarray, axes: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Same as ``engine.grid`` (float32): probabilities (ny, nx, 2**Q) and Bloch vectors (ny, nx, Q, 3)."""
    H = _table(program, params)
    F = program.n_features
    xs = _arr(np.ravel(xs), np.float64)
    ys = _arr(np.ravel(ys), np.float64)
    base = _arr(np.ravel(base), np.float64)
    if base.shape != (F,):
        raise ValueError(f"base: expected shape ({F},), got {base.shape}")
    # As engine.grid's NumPy path: feature axes[0] ← x where it exists, then axes[1] ← y (which wins a tie).
    wy = _axis(axes[1], F)
    wx = _axis(axes[0], F)
    if wx == wy:
        wx = -1
    Q = program.n_qubits
    dim = 2**Q
    nx, ny = len(xs), len(ys)
    probs, bloch = _outputs(((ny * nx * dim,), np.float32), ((ny * nx * Q * 3,), np.float32))
    if nx and ny:
        B = _block_size(nx * ny, 2 * dim * 4, budget=_GRID_BUDGET, cap=1024)
        _grid_kernel(program.ops, program.rot_qubit, H, base, wx, wy, xs, ys, Q, B, probs, bloch)
    return probs.reshape(ny, nx, dim), bloch.reshape(ny, nx, Q, 3)


def _axis(axis, n_features: int) -> int:
    axis = int(axis)
    if axis >= n_features:
        return -1
    if axis < -n_features:
        raise IndexError(f"axes: feature {axis} is out of range for {n_features} features")
    return axis % n_features


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


def readout(probs: np.ndarray, bloch: np.ndarray, *, labels: np.ndarray, basis: bool, weights: np.ndarray | None):
    """``Classifier.readout_from`` in one compiled pass, with the same dtypes.

    ``probs`` of shape (P, 2**Q) and ``bloch`` of shape (P, Q, 3) (float32 or float64), ``labels`` of shape (C, 3),
    ``weights`` of shape (C, Q) or None. Returns (fidelities (P, C), qubit_fidelities (P, C, Q), scores (P, C),
    proba (P, C)); fidelities follow the dtype of ``probs`` when ``basis``, the others are float64 except proba,
    which follows the fidelities unless weighted.
    """
    real = np.float32 if probs.dtype == np.float32 and bloch.dtype == np.float32 else np.float64
    probs = _arr(probs, real)
    bloch = _arr(bloch, real)
    P, Q = bloch.shape[0], bloch.shape[1]
    C = labels.shape[0]
    weighted = weights is not None
    w = _arr(weights, np.float64) if weighted else np.zeros((C, Q))
    fid_dtype = real if basis else np.float64
    qf, fid, proba, scores = _outputs(
        ((P, C, Q), np.float64), ((P, C), fid_dtype), ((P, C), np.float64 if weighted else fid_dtype),
        ((P, C) if weighted else (0, C), np.float64),
    )
    if not weighted:
        scores = fid
    _readout_kernel(probs, bloch, _f64(labels), bool(basis), weighted, w, qf, fid, scores, proba)
    return fid, qf, scores, proba


def warm_up() -> None:
    """Compile (or load from the on-disk cache) every kernel signature the app uses, through the same calls the
    app makes (engine, classifier, trainer read-outs) on a tiny entangled circuit, in single and double precision.

    A server calls this once at start: a cold compile takes tens of seconds of CPU, a cached start well under one.
    """
    from . import engine
    from .classifier import Classifier
    from .spec import CircuitSpec, EntanglerSpec, GateSpec, LayerSpec

    spec = CircuitSpec(
        2,
        (
            LayerSpec(((GateSpec("compressed"),), (GateSpec.rot("rx", "feature", 1),)), EntanglerSpec("cz", "chain")),
            LayerSpec(((GateSpec.rot("ry"),), (GateSpec("original"),)), EntanglerSpec("cnot", "ring")),
        ),
        2,
    )
    X = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])
    y = np.array([0, 1, 0])
    xs = np.linspace(-1.0, 1.0, 3)
    for cost in ("fidelity", "weighted_fidelity", "cross_entropy"):
        for strategy in ("state", "focused"):
            for one_qubit in (False, True):
                clf = Classifier(spec.with_n_qubits(1) if one_qubit else spec, 2, cost, strategy)
                params = np.linspace(0.1, 0.9, clf.n_params)
                theta, weights = clf.split(params)
                clf.loss_and_grad(params, X, y, backend="numba")
                for single in (False, True):
                    out = engine.forward(clf.program, theta, X, record_layers=single, single=single, backend="numba")
                    clf.readout_from(out.probs, out.bloch, weights)
                probs, bloch = engine.grid(clf.program, theta, xs, xs, backend="numba")
                clf.readout_from(probs.reshape(9, -1), bloch.reshape(9, *bloch.shape[2:]), weights)
    prog = Classifier(spec).program
    params = np.linspace(0.1, 0.9, prog.n_params)
    out = forward(prog, params, X, record_layers=False, dtype=np.complex128)
    backward(prog, params, X, out.state, out.state)
