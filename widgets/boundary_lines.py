"""Decision-boundary lines from a grid of class probabilities, by vectorised marching squares, as segments for
Bokeh's ``segment`` glyph."""

from __future__ import annotations

import numpy as np

__all__ = ["boundary_segments"]

_MAX_CLASSES = 6


# Marching squares. Cell corners a ↙, b ↘, c ↗, d ↖ are bits 1, 2, 4, 8 of a cell's case when inside (f > 0);
# edges 0 bottom (a→b), 1 right (b→c), 2 top (d→c), 3 left (a→d) run from corner _START to corner _END.
_START = np.array([0, 1, 3, 0])
_END = np.array([1, 2, 2, 3])
_DX = np.array([0, 1, 1, 0])  # column and row offsets of the corners from a
_DY = np.array([0, 0, 1, 1])


def _case_edges() -> tuple[np.ndarray, np.ndarray]:
    """First and last crossed edge of every case (the only two, except in the saddles 5 and 10)."""
    bits = (np.arange(16)[:, None] >> np.arange(4)) & 1  # (case, corner)
    crossed = bits[:, _START] != bits[:, _END]  # (case, edge)
    return crossed.argmax(axis=1), 3 - crossed[:, ::-1].argmax(axis=1)


_FIRST, _LAST = _case_edges()


def _class_margins(grid_proba: np.ndarray) -> list[np.ndarray]:
    """``f_c = p_c − max_{k≠c} p_k`` of every class that needs a contour (only class 0 for two classes)."""
    q = np.ascontiguousarray(np.moveaxis(grid_proba, 2, 0))  # (C, ny, nx) planes
    n = len(q)
    if n == 2:
        return [q[0] - q[1]]
    prefix, suffix = [q[0]], [q[-1]]  # running maxima from either end; np.maximum keeps NaN
    for c in range(1, n - 1):
        prefix.append(np.maximum(prefix[-1], q[c]))
        suffix.insert(0, np.maximum(suffix[0], q[n - 1 - c]))
    others = [suffix[0]] + [np.maximum(prefix[c - 1], suffix[c]) for c in range(1, n - 1)] + [prefix[-1]]
    return [q[c] - others[c] for c in range(n)]


def _contour(f: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Zero contour of ``f`` (ny, nx) as an (n, 4) array of rows (x0, y0, x1, y1)."""
    nx = f.shape[1]
    inside = f > 0
    h = inside[:, :-1] != inside[:, 1:]  # crossed horizontal and vertical edges
    v = inside[:-1] != inside[1:]
    i, j = np.divmod(np.flatnonzero(h[:-1] | h[1:] | v[:, :-1] | v[:, 1:]), nx - 1)
    ff = f.ravel()
    k = i * nx + j  # flat index of corner a
    fa, fb, fc, fd = ff[k], ff[k + 1], ff[k + nx + 1], ff[k + nx]
    case = (fa > 0) | (fb > 0) << 1 | (fc > 0) << 2 | (fd > 0) << 3
    total = fa + fb + fc + fd
    keep = np.isfinite(total)  # no boundary in a cell with a NaN corner
    i, j, k, case, total = i[keep], j[keep], k[keep], case[keep], total[keep]
    first, last = _FIRST[case], _LAST[case]
    saddle = np.flatnonzero((case == 5) | (case == 10))
    if saddle.size:
        # Two segments; the cell-centre average decides whether corners a and c or b and d are cut off.
        cut_ac = (case[saddle] == 5) != (total[saddle] > 0)
        first[saddle], last[saddle] = np.where(cut_ac, 3, 0), np.where(cut_ac, 0, 1)
        i, j, k = (np.concatenate([a, a[saddle]]) for a in (i, j, k))
        first = np.concatenate([first, np.where(cut_ac, 1, 2)])
        last = np.concatenate([last, np.where(cut_ac, 2, 3)])
    edge = np.concatenate([first, last])
    i, j, k = np.tile(i, 2), np.tile(j, 2), np.tile(k, 2)
    s, e = _START[edge], _END[edge]
    fs, fe = ff[k + _DY[s] * nx + _DX[s]], ff[k + _DY[e] * nx + _DX[e]]
    t = fs / (fs - fe)  # the ends of a crossed edge differ in sign, so fs ≠ fe
    xs, ys = gx[j + _DX[s]], gy[i + _DY[s]]
    x = xs + t * (gx[j + _DX[e]] - xs)
    y = ys + t * (gy[i + _DY[e]] - ys)
    m = len(first)
    return np.stack([x[:m], y[:m], x[m:], y[m:]], axis=1)


def _drop_duplicates(seg: np.ndarray) -> np.ndarray:
    """Rows of the float32 array ``seg`` (n, 4) without bit-for-bit repeats."""
    words = seg.view(np.uint64)  # (n, 2): a row's 16 bytes
    order = np.lexsort((words[:, 1], words[:, 0]))
    w = words[order]
    return seg[order[np.r_[True, (w[1:] != w[:-1]).any(axis=1)]]]


def boundary_segments(
    grid_proba: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Line segments that trace where the most likely class changes.

    Parameters
    ----------
    grid_proba : ndarray of shape (ny, nx, C)
        Class probabilities, row ``i`` at ``grid_y[i]`` and column ``j`` at ``grid_x[j]``; 1 ≤ C ≤ 6.
    grid_x, grid_y : ndarray of shape (nx,) and (ny,)
        Increasing coordinates of the pixel centres.

    Returns
    -------
    x0, y0, x1, y1 : ndarray of shape (n,), float32
        Segment ends. Class c's region is bounded by the zero contour of ``p_c − max_{k≠c} p_k``, linearly
        interpolated along the cell edges; with two classes only class 0's contour is drawn (both coincide),
        with more each class's, exact duplicates dropped. Cells with a NaN corner have no boundary; one class or a
        grid smaller than 2 × 2 gives empty arrays.

    Examples
    --------
    With ``xs = np.linspace(-1, 1, 101)`` and ``p1`` a disc of radius 0.5,
    ``boundary_segments(np.stack([1 - p1, p1], -1), xs, xs)`` gives segments along the circle, ready for
    ``figure.segment(x0, y0, x1, y1)``.
    """
    p = np.asarray(grid_proba)
    p = p if p.dtype in (np.float32, np.float64) else p.astype(np.float64)
    gx = np.asarray(grid_x, dtype=np.float64)
    gy = np.asarray(grid_y, dtype=np.float64)
    if p.ndim != 3 or not 1 <= p.shape[2] <= _MAX_CLASSES:
        raise ValueError(f"grid_proba: expected shape (ny, nx, C) with 1 ≤ C ≤ {_MAX_CLASSES}, got {p.shape}")
    if gx.shape != (p.shape[1],) or gy.shape != (p.shape[0],):
        raise ValueError(
            f"grid_x and grid_y: expected shapes ({p.shape[1]},) and ({p.shape[0]},) to match grid_proba "
            f"{p.shape}, got {gx.shape} and {gy.shape}"
        )
    if p.shape[2] == 1 or p.shape[0] < 2 or p.shape[1] < 2:
        seg = np.empty((0, 4), dtype=np.float32)
    else:
        seg = np.concatenate([_contour(f, gx, gy) for f in _class_margins(p)]).astype(np.float32)
        if p.shape[2] > 2:  # neighbouring classes trace their shared border twice, bit for bit
            seg = _drop_duplicates(seg)
    return tuple(np.ascontiguousarray(seg[:, k]) for k in range(4))
