"""Optimizers that keep their state across steps: Adam, SGD with momentum, and L-BFGS with exact gradients.

Each optimizer's :meth:`step` performs exactly one update of the parameter vector it is handed, given a function
that returns ``(loss, gradient)`` at any point (only L-BFGS's line search calls it more than once). Their state
arrays can follow a parameter vector through a circuit edit with :meth:`remap`.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

import numpy as np

__all__ = ["Optimizer", "Adam", "SGD", "LBFGS", "OPTIMIZERS", "make_optimizer"]

LossGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


class Optimizer:
    """Base class: one long-lived object per training run."""

    name = "base"
    full_batch = False

    def __init__(self, learning_rate: float = 0.05) -> None:
        self.learning_rate = float(learning_rate)

    def step(self, params: np.ndarray, loss_grad: LossGrad) -> tuple[np.ndarray, float]:
        """Return (new parameters, loss at the old parameters)."""
        raise NotImplementedError

    def remap(self, index: np.ndarray) -> None:
        """Follow a parameter edit: new entry i takes old entry ``index[i]`` (−1: a new parameter, state 0)."""

    @staticmethod
    def _take(arr: np.ndarray | None, index: np.ndarray) -> np.ndarray | None:
        if arr is None:
            return None
        out = np.zeros(len(index))
        keep = index >= 0
        out[keep] = arr[index[keep]]
        return out


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum: v ← μv − η∇L, θ ← θ + v."""

    name = "sgd"

    def __init__(self, learning_rate: float = 0.1, momentum: float = 0.9) -> None:
        super().__init__(learning_rate)
        self.momentum = float(momentum)
        self.velocity: np.ndarray | None = None

    def step(self, params, loss_grad):
        loss, grad = loss_grad(params)
        if self.velocity is None or len(self.velocity) != len(params):
            self.velocity = np.zeros_like(params)
        self.velocity = self.momentum * self.velocity - self.learning_rate * grad
        return params + self.velocity, loss

    def remap(self, index):
        self.velocity = self._take(self.velocity, index)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction; its moments persist across steps and hyper-parameter changes."""

    name = "adam"

    def __init__(self, learning_rate: float = 0.05, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(learning_rate)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None
        self.t = 0

    def step(self, params, loss_grad):
        loss, grad = loss_grad(params)
        if self.m is None or len(self.m) != len(params):
            self.m, self.v, self.t = np.zeros_like(params), np.zeros_like(params), 0
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad**2
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        return params - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps), loss

    def remap(self, index):
        self.m = self._take(self.m, index)
        self.v = self._take(self.v, index)


class LBFGS(Optimizer):
    """Full-batch limited-memory BFGS (two-loop recursion, ``history`` pairs) with a backtracking line search.

    ``learning_rate`` is not used: the step length comes from the line search (Armijo condition, first trial 1).
    One :meth:`step` is one quasi-Newton iteration, which may evaluate the loss a few times.
    """

    name = "lbfgs"
    full_batch = True

    def __init__(self, learning_rate: float = 1.0, history: int = 10, max_evals: int = 25) -> None:
        super().__init__(learning_rate)
        self.history = history
        self.max_evals = max_evals
        self.pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=history)
        self._last: tuple[np.ndarray, float, np.ndarray] | None = None
        self.converged = False

    def _direction(self, grad: np.ndarray) -> np.ndarray:
        q = grad.copy()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            a = rho * (s @ q)
            alphas.append(a)
            q -= a * y
        if self.pairs:
            s, y, _ = self.pairs[-1]
            q *= (s @ y) / (y @ y)
        else:
            q *= min(1.0, 1.0 / max(np.linalg.norm(grad), 1e-12))
        for (s, y, rho), a in zip(self.pairs, reversed(alphas)):
            b = rho * (y @ q)
            q += s * (a - b)
        return -q

    def step(self, params, loss_grad):
        if self._last is not None and np.array_equal(self._last[0], params):
            loss, grad = self._last[1], self._last[2]
        else:
            loss, grad = loss_grad(params)
        if not np.all(np.isfinite(grad)) or np.linalg.norm(grad) < 1e-10:
            self.converged = True
            return params, loss
        d = self._direction(grad)
        slope = grad @ d
        if slope >= 0:  # not a descent direction: forget the curvature pairs and use steepest descent
            self.pairs.clear()
            d = -grad * min(1.0, 1.0 / max(np.linalg.norm(grad), 1e-12))
            slope = grad @ d
        t = 1.0
        for _ in range(self.max_evals):
            new = params + t * d
            new_loss, new_grad = loss_grad(new)
            if np.isfinite(new_loss) and new_loss <= loss + 1e-4 * t * slope:
                break
            t *= 0.5
        else:
            self.converged = True
            return params, loss
        s, yv = new - params, new_grad - grad
        sy = s @ yv
        if sy > 1e-12:
            self.pairs.append((s, yv, 1.0 / sy))
        self.converged = abs(loss - new_loss) <= 1e-12 * max(1.0, abs(loss))
        self._last = (new, new_loss, new_grad)
        return new, loss

    def remap(self, index):
        self.pairs.clear()
        self._last = None
        self.converged = False


OPTIMIZERS = {"adam": Adam, "sgd": SGD, "lbfgs": LBFGS}


def make_optimizer(name: str, learning_rate: float | None = None) -> Optimizer:
    """Build an optimizer by name (``adam``, ``sgd``, ``lbfgs``)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {name!r}")
    cls = OPTIMIZERS[name]
    return cls() if learning_rate is None else cls(learning_rate=learning_rate)
