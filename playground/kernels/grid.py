"""The model on a product grid (the decision-boundary image), its rotations from x- and y-tables."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..program import OP_CNOT, OP_LAYER, OP_ROT, Program
from .blocks import _apply_2q, _apply_su2, _bloch, _init_block, _probs_rows, _store_transposed
from .common import _FM, _GRID_BUDGET, _arr, _block_size, _outputs
from .trig import _sincos, _table


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
