"""Backend dispatch: the fast compiled kernels when Numba is available, the NumPy reference otherwise.

Both backends implement the same three operations with the same shapes, and the test suite runs every
correctness test against each available backend. Choose one with ``backend="numpy"``/``"numba"`` per call, or
process-wide with the environment variable ``PLAYGROUND_BACKEND``.
"""

from __future__ import annotations

import os

import numpy as np

from . import simulator
from .program import Program
from .simulator import ForwardResult

__all__ = [
    "available_backends",
    "default_backend",
    "forward",
    "gradient",
    "grid",
    "has_fused_kernels",
    "loss_and_grad",
    "readout",
]


def _numba_module():
    try:
        from . import kernels
    except ImportError:  # Numba missing or broken: the NumPy reference still works
        return None
    return kernels


def available_backends() -> tuple[str, ...]:
    return ("numpy", "numba") if _numba_module() is not None else ("numpy",)


def default_backend() -> str:
    wanted = os.environ.get("PLAYGROUND_BACKEND", "").strip().lower()
    if wanted in ("numpy", "numba") and wanted in available_backends():
        return wanted
    return available_backends()[-1]


def _resolve(backend: str | None) -> str:
    if backend is None:
        return default_backend()
    if backend not in ("numpy", "numba"):
        raise ValueError(f"backend: expected 'numpy' or 'numba', got {backend!r}")
    if backend not in available_backends():
        raise ValueError("backend: 'numba' was asked for but Numba could not be imported")
    return backend


def forward(
    program: Program,
    params: np.ndarray,
    X: np.ndarray,
    *,
    record_layers: bool = False,
    single: bool = False,
    backend: str | None = None,
) -> ForwardResult:
    """Final states, probabilities and Bloch vectors of every point of ``X`` (shape (P, n_features)).

    ``single`` runs in single precision (complex64), ample for display; the default is double precision.
    """
    dtype = np.complex64 if single else np.complex128
    if _resolve(backend) == "numba":
        return _numba_module().forward(program, params, X, record_layers=record_layers, dtype=dtype)
    return simulator.forward(program, params, X, record_layers=record_layers, dtype=dtype)


def gradient(
    program: Program,
    params: np.ndarray,
    X: np.ndarray,
    fwd: ForwardResult,
    d_probs: np.ndarray | None,
    d_bloch: np.ndarray | None,
    *,
    backend: str | None = None,
) -> np.ndarray:
    """Exact d(loss)/d(params) of shape (n_params,) given the loss's derivatives w.r.t. the read-outs.

    ``d_probs`` of shape (P, 2**Q) and ``d_bloch`` of shape (P, Q, 3) (either may be None) are ∂L/∂probs and
    ∂L/∂bloch for the forward pass ``fwd``.
    """
    lam = simulator.readout_adjoint(fwd.state, program.n_qubits, d_probs, d_bloch)
    if _resolve(backend) == "numba":
        return _numba_module().backward(program, params, X, fwd.state, lam)
    return simulator.backward(program, params, X, fwd.state, lam)


def grid(
    program: Program,
    params: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    *,
    base: np.ndarray | None = None,
    axes: tuple[int, int] = (0, 1),
    backend: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The model on the product grid ``xs`` × ``ys`` in single precision.

    Feature ``axes[0]`` takes the values ``xs`` (shape (nx,)), feature ``axes[1]`` the values ``ys`` (shape
    (ny,)); every other feature is held at ``base`` (default 0). Returns probabilities of shape (ny, nx, 2**Q)
    and final Bloch vectors of shape (ny, nx, Q, 3), row ``i`` being ``ys[i]`` (image order).
    """
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    if base is None:
        base = np.zeros(program.n_features)
    if _resolve(backend) == "numba":
        return _numba_module().grid(program, params, xs, ys, base=np.asarray(base, float), axes=axes)
    X = np.tile(np.asarray(base, dtype=np.float64), (len(xs) * len(ys), 1))
    gx, gy = np.meshgrid(xs, ys)
    if program.n_features > axes[0]:
        X[:, axes[0]] = gx.ravel()
    if program.n_features > axes[1]:
        X[:, axes[1]] = gy.ravel()
    out = simulator.forward(program, params, X, dtype=np.complex64)
    Q = program.n_qubits
    return out.probs.reshape(len(ys), len(xs), -1), out.bloch.reshape(len(ys), len(xs), Q, 3)


def has_fused_kernels(backend: str | None = None) -> bool:
    """Whether ``backend`` has the compiled classifier kernels :func:`loss_and_grad` and :func:`readout`."""
    return _resolve(backend) == "numba"


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
    backend: str | None = None,
):
    """A classifier's cost, exact gradient and read-out in one fused call (backends where
    :func:`has_fused_kernels` holds); ``Classifier.loss_and_grad`` uses it and defines the arguments.

    Returns ``(loss, circuit gradient of shape (n_params,), d_weights of shape (C, Q) or None, fidelities (P, C),
    qubit_fidelities (P, C, Q), scores (P, C), proba (P, C))``.
    """
    if not has_fused_kernels(backend):
        raise ValueError(f"backend: {_resolve(backend)!r} has no fused classifier kernels")
    return _numba_module().loss_and_grad(
        program, params, X, y, cost=cost, basis=basis, labels=labels, targets=targets, weights=weights
    )


def readout(
    probs: np.ndarray,
    bloch: np.ndarray,
    *,
    labels: np.ndarray,
    basis: bool,
    weights: np.ndarray | None,
    backend: str | None = None,
):
    """``Classifier.readout_from`` in one compiled pass (backends where :func:`has_fused_kernels` holds).

    Returns ``(fidelities (P, C), qubit_fidelities (P, C, Q), scores (P, C), proba (P, C))``.
    """
    if not has_fused_kernels(backend):
        raise ValueError(f"backend: {_resolve(backend)!r} has no fused classifier kernels")
    return _numba_module().readout(probs, bloch, labels=labels, basis=basis, weights=weights)
