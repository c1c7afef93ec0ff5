"""Settings the kernels share: fast-math flags, cost codes, block sizes, output buffers and argument checks."""

from __future__ import annotations

import math

import numpy as np

from ..program import Program


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


def _features(program: Program, X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != program.n_features:
        raise ValueError(f"X: expected shape (P, {program.n_features}), got {X.shape}")
    return _arr(X, np.float64)
