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
  Paulis), in the same pass that undoes the whole rotation with U† on ψ and λ; see :func:`.gradient._sweep_back`.
* **One fused training kernel** (:func:`.training.loss_and_grad`): forward, the classifier's read-out and cost, the
  adjoint and the sweep back, block by block, so a training step costs one call.

One thread per call (no ``parallel=True``): several sessions share a server. Every kernel is compiled with
``cache=True``; :func:`playground.warmup.warm_up` compiles every signature the app uses.

One concern per module: :mod:`.trig` (sine/cosine, half-angle tables), :mod:`.blocks` (gates and measurements on a
block of states), :mod:`.forward`, :mod:`.gradient` (the adjoint sweep), :mod:`.readout` (read-out, cost and their
adjoint), :mod:`.training` (the fused step), :mod:`.grid` (the product grid), :mod:`.common` (shared settings).
"""

from __future__ import annotations

try:
    import numba  # noqa: F401
except Exception as err:  # noqa: BLE001 - any failure to load Numba means "no Numba backend"
    raise ImportError(f"playground.kernels needs Numba ({err})") from err

from .common import COST_CODES
from .forward import forward
from .gradient import backward
from .grid import grid
from .readout import readout
from .training import loss_and_grad

__all__ = ["forward", "backward", "grid", "loss_and_grad", "readout", "COST_CODES"]
