"""The classifier's read-out and cost on a block and their adjoint, and the read-out of a whole batch."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .blocks import _bloch
from .common import _EPS, _FM, _arr, _f64, _outputs


# --------------------------------------------------------------------------------------------- one block
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


# --------------------------------------------------------------------------------------------- a batch
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
