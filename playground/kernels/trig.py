"""Branch-free, vectorisable sine and cosine, and the rotations' half-angle tables."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..program import Program
from .common import _FM, _arr

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


def _table(program: Program, params) -> np.ndarray:
    params = np.asarray(params, dtype=np.float64)
    if params.shape != (program.n_params,):
        raise ValueError(f"params: expected shape ({program.n_params},), got {params.shape}")
    return _half_angle_table(
        _arr(params, np.float64), program.const, program.t_rot, program.t_slot, program.t_param,
        program.t_feat, program.t_coeff, program.n_rot, program.n_features,
    )
