"""Gates and measurements on a block of points' states (real and imaginary parts, points innermost)."""

from __future__ import annotations

from numba import njit

from ..program import OP_CNOT, OP_CZ
from .common import _FM


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
