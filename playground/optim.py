"""Optimizers that keep their state across steps: Adam, SGD with momentum, and L-BFGS with exact gradients.

Each optimizer's :meth:`step` performs exactly one update of the parameter vector it is handed, given a function
that returns ``(loss, gradient)`` at any point (only L-BFGS's line search calls it more than once). Their state
arrays can follow a parameter vector through a circuit edit with :meth:`remap`, and travel exactly (bit for bit)
as plain JSON-able data with :meth:`state_dict` and :meth:`load_state`.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable

import numpy as np

from .checks import check_bool as _check_bool
from .checks import check_int as _check_int
from .checks import check_keys as _check_keys
from .checks import check_number as _check_number
from .checks import check_vector as _check_vector
from .checks import fail as _fail
from .checks import show as _show

__all__ = ["Optimizer", "Adam", "SGD", "LBFGS", "OPTIMIZERS", "make_optimizer"]

LossGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]

MAX_LEARNING_RATE = 10.0
MAX_LBFGS_HISTORY = 1000
MAX_LBFGS_EVALS = 1000
MAX_COUNT = 10**9


def _plain(arr: np.ndarray | None) -> list[float] | None:
    """A float64 array as a list of Python floats (exact), or None."""
    return None if arr is None else np.asarray(arr, dtype=np.float64).tolist()


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

    # ------------------------------------------------------------------ exact state as plain data
    _STATE_KEYS: tuple[str, ...] = ()

    def state_dict(self) -> dict:
        """Everything the next :meth:`step` depends on, as JSON-able plain values.

        Returns
        -------
        dict — ``name`` (str), ``learning_rate`` (float), the hyper-parameters, and the state arrays as lists of
        floats of length n_params (None before the first step). Floats are Python floats, so a JSON round trip
        (and :meth:`load_state`) gives back the same float64 values bit for bit.
        """
        return {"name": self.name, "learning_rate": float(self.learning_rate), **self._state()}

    def load_state(self, state: dict, n_params: int) -> None:
        """Replace hyper-parameters and state with ``state`` (as made by :meth:`state_dict`).

        Parameters
        ----------
        state : dict — as :meth:`state_dict` returns it (possibly after a JSON round trip); ``name`` must be this
            optimizer's
        n_params : int — length every state array must have

        Every field is checked first (keys, types, lengths, finite numbers, bounds, L-BFGS pairs at most
        ``history``); on any problem a ValueError with one line "field: expected ..., got ..." is raised and nothing
        changes.
        """
        where = "optimizer"
        _check_keys(where, state, ("name", "learning_rate") + self._STATE_KEYS)
        if state["name"] != self.name:
            raise _fail(f"{where}.name", repr(self.name), state["name"])
        n = _check_int("n_params", n_params, 0, MAX_COUNT)
        what = f"a number in (0, {MAX_LEARNING_RATE:g}]"
        lr = _check_number(f"{where}.learning_rate", state["learning_rate"], 0.0, MAX_LEARNING_RATE, what)
        attrs = {"learning_rate": lr}
        if lr <= 0:
            raise _fail(f"{where}.learning_rate", what, state["learning_rate"])
        attrs.update(self._parse(state, n, where))
        for k, v in attrs.items():
            setattr(self, k, v)

    def _state(self) -> dict:
        return {}

    def _parse(self, state: dict, n: int, where: str) -> dict:
        """Checked attribute values from ``state`` (only read, never assigned here)."""
        return {}

    @staticmethod
    def _opt_vector(where: str, value: Any, n: int) -> np.ndarray | None:
        return None if value is None else _check_vector(where, value, n)

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

    _STATE_KEYS = ("momentum", "velocity")

    def _state(self):
        return {"momentum": float(self.momentum), "velocity": _plain(self.velocity)}

    def _parse(self, state, n, where):
        momentum = _check_number(f"{where}.momentum", state["momentum"], 0.0, 1.0)
        return {"momentum": momentum, "velocity": self._opt_vector(f"{where}.velocity", state["velocity"], n)}


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

    _STATE_KEYS = ("beta1", "beta2", "eps", "m", "v", "t")

    def _state(self):
        return {
            "beta1": float(self.beta1),
            "beta2": float(self.beta2),
            "eps": float(self.eps),
            "m": _plain(self.m),
            "v": _plain(self.v),
            "t": int(self.t),
        }

    def _parse(self, state, n, where):
        beta1 = _check_number(f"{where}.beta1", state["beta1"], 0.0, 1.0, "a number in [0, 1)")
        beta2 = _check_number(f"{where}.beta2", state["beta2"], 0.0, 1.0, "a number in [0, 1)")
        for key, beta in (("beta1", beta1), ("beta2", beta2)):
            if beta >= 1.0:
                raise _fail(f"{where}.{key}", "a number in [0, 1)", state[key])
        eps = _check_number(f"{where}.eps", state["eps"], 0.0, 1.0, "a number in (0, 1]")
        if eps <= 0:
            raise _fail(f"{where}.eps", "a number in (0, 1]", state["eps"])
        m = self._opt_vector(f"{where}.m", state["m"], n)
        v = self._opt_vector(f"{where}.v", state["v"], n)
        if (m is None) != (v is None):
            raise ValueError(f"{where}.v: expected null exactly when {where}.m is null, got {_show(state['v'])}")
        if v is not None and np.any(v < 0):
            raise _fail(f"{where}.v", "non-negative numbers (second moments)", float(v[np.argmax(v < 0)]))
        t = _check_int(f"{where}.t", state["t"], 0, MAX_COUNT)
        return {"beta1": beta1, "beta2": beta2, "eps": eps, "m": m, "v": v, "t": t}


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

    _STATE_KEYS = ("history", "max_evals", "pairs", "last", "converged")

    def _state(self):
        """``pairs``: list of [s, y, rho] (oldest first); ``last``: [params, loss, gradient] of the last accepted point."""
        last = None
        if self._last is not None:
            x, loss, grad = self._last
            last = [_plain(x), float(loss), _plain(grad)]
        return {
            "history": int(self.history),
            "max_evals": int(self.max_evals),
            "pairs": [[_plain(s), _plain(y), float(rho)] for s, y, rho in self.pairs],
            "last": last,
            "converged": bool(self.converged),
        }

    def _parse(self, state, n, where):
        history = _check_int(f"{where}.history", state["history"], 1, MAX_LBFGS_HISTORY)
        max_evals = _check_int(f"{where}.max_evals", state["max_evals"], 1, MAX_LBFGS_EVALS)
        raw_pairs = state["pairs"]
        if not isinstance(raw_pairs, (list, tuple)) or len(raw_pairs) > history:
            raise _fail(f"{where}.pairs", f"a list of at most {history} [s, y, rho] (optimizer.history)", raw_pairs)
        pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=history)
        for i, pair in enumerate(raw_pairs):
            at = f"{where}.pairs[{i}]"
            if not isinstance(pair, (list, tuple)) or len(pair) != 3:
                raise _fail(at, "a list [s, y, rho]", pair)
            s_vec = _check_vector(f"{at}[0]", pair[0], n)
            y_vec = _check_vector(f"{at}[1]", pair[1], n)
            rho = _check_number(f"{at}[2]", pair[2], 0.0, what="a positive finite number")
            if rho <= 0:
                raise _fail(f"{at}[2]", "a positive finite number", pair[2])
            pairs.append((s_vec, y_vec, rho))
        last = state["last"]
        if last is not None:
            if not isinstance(last, (list, tuple)) or len(last) != 3:
                raise _fail(f"{where}.last", "null or a list [params, loss, gradient]", last)
            last = (
                _check_vector(f"{where}.last[0]", last[0], n),
                _check_number(f"{where}.last[1]", last[1]),
                _check_vector(f"{where}.last[2]", last[2], n),
            )
        converged = _check_bool(f"{where}.converged", state["converged"])
        return {"history": history, "max_evals": max_evals, "pairs": pairs, "_last": last, "converged": converged}


OPTIMIZERS = {"adam": Adam, "sgd": SGD, "lbfgs": LBFGS}


def make_optimizer(name: str, learning_rate: float | None = None) -> Optimizer:
    """Build an optimizer by name (``adam``, ``sgd``, ``lbfgs``)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {name!r}")
    cls = OPTIMIZERS[name]
    return cls() if learning_rate is None else cls(learning_rate=learning_rate)
