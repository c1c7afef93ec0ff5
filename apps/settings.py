"""Every user setting of the playground as one flat, bounded object that round-trips through the URL."""

from __future__ import annotations

import math
from typing import Any, Mapping

import param

from playground.classifier import COSTS, STRATEGIES
from playground.datasets import DATASETS
from playground.optim import OPTIMIZERS
from playground.trainer import INIT_METHODS

__all__ = [
    "PlaygroundSettings",
    "ENTANGLERS",
    "LEARNING_RATES",
    "BATCH_SIZES",
    "MAX_POINTS",
    "MAX_STEPS_PER_FRAME",
    "MAX_RESOLUTION",
    "MIN_RESOLUTION",
    "QUERY_KEYS",
    "parse_query",
    "to_query",
]

MAX_POINTS = 2000
"""Bound on the number of points of one session (train + test)."""
MAX_STEPS_PER_FRAME = 50
MIN_RESOLUTION, MAX_RESOLUTION = 20, 200
MAX_QUERY_VALUE_CHARS = 40

# value -> (gate, pattern) of CircuitSpec.with_entanglers
ENTANGLERS: dict[str, tuple[str, str]] = {
    "none": ("none", "chain"),
    "cz-chain": ("cz", "chain"),
    "cz-alternating": ("cz", "alternating"),
    "cz-ring": ("cz", "ring"),
    "cnot-chain": ("cnot", "chain"),
    "cnot-ring": ("cnot", "ring"),
}
_ENTANGLER_LABELS = {
    "No entangler": "none",
    "CZ chain": "cz-chain",
    "CZ alternating (paper)": "cz-alternating",
    "CZ ring": "cz-ring",
    "CNOT chain": "cnot-chain",
    "CNOT ring": "cnot-ring",
}
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2000)


class PlaygroundSettings(param.Parameterized):
    """What one person chose on the page. Bounds here are the server's bounds: nothing outside them is computed."""

    # -- data
    dataset = param.Selector(default="circle", objects=list(DATASETS), doc="Dataset id from the registry.")
    n_samples = param.Integer(default=400, bounds=(20, MAX_POINTS), doc="Points drawn in all (train + test).")
    test_fraction = param.Number(default=0.5, bounds=(0.1, 0.9), step=0.05, doc="Share of the points kept for testing.")
    noise = param.Number(default=0.0, bounds=(0.0, 0.5), step=0.01, doc="Std. dev. of the jitter added to every point.")
    seed = param.Integer(default=30, bounds=(0, 2**31 - 1), doc="Seed of the data and of the starting parameters.")
    show_test = param.Boolean(default=True, doc="Draw the test points.")
    regenerate = param.Event(doc="Draw a new set of points (new seed).")

    # -- model
    n_qubits = param.Integer(default=1, bounds=(1, 4), doc="Qubits (wires).")
    n_layers = param.Integer(default=4, bounds=(1, 15), doc="Layers: how often the data is re-uploaded.")
    entangler = param.Selector(default="cz-chain", objects=_ENTANGLER_LABELS, doc="Two-qubit gates after each layer but the last.")
    encoding = param.Selector(default="compressed", objects={"Compressed U(θ + w∘x)": "compressed", "Original U(θ)·U(x)": "original"}, doc="The paper's two layer forms.")
    cost = param.Selector(default="fidelity", objects=list(COSTS), doc="Cost function.")
    readout = param.Selector(default="state", objects=list(STRATEGIES), doc="How several qubits are read out.")
    init = param.Selector(default="uniform", objects=list(INIT_METHODS), doc="Starting parameters.")

    # -- training
    playing = param.Boolean(default=False, doc="Train continuously.")
    step = param.Event(doc="Exactly one optimizer update.")
    reset = param.Event(doc="Back to step 0 with the same starting parameters.")
    optimizer = param.Selector(default="adam", objects=list(OPTIMIZERS), doc="Optimizer.")
    learning_rate = param.Selector(default=0.05, objects=list(LEARNING_RATES), doc="Learning rate (L-BFGS ignores it).")
    batch_size = param.Selector(default=32, objects=list(BATCH_SIZES), doc="Points per update (Adam, SGD).")
    steps_per_frame = param.Integer(default=5, bounds=(1, MAX_STEPS_PER_FRAME), doc="Training steps between two pictures.")
    resolution = param.Integer(default=100, bounds=(MIN_RESOLUTION, MAX_RESOLUTION), step=10, doc="Pixels per side of the decision-boundary grid.")

    @property
    def n_test(self) -> int:
        return int(round(self.n_samples * self.test_fraction))

    @property
    def n_train(self) -> int:
        return self.n_samples - self.n_test


# What the URL may set (the flat, shareable state); events and view toggles are left out on purpose.
QUERY_KEYS = (
    "dataset", "n_samples", "test_fraction", "noise", "seed", "n_qubits", "n_layers", "entangler", "encoding",
    "cost", "readout", "init", "optimizer", "learning_rate", "batch_size", "steps_per_frame", "resolution", "playing",
)


def _shown(raw: str) -> str:
    """A short, repr-quoted form of a user value for a notice (callers still HTML-escape it)."""
    text = raw if len(raw) <= 20 else raw[:17] + "..."
    return repr(text)


def _choices(p: param.Selector) -> list:
    objs = p.objects
    return list(objs.values()) if isinstance(objs, dict) else list(objs)


def parse_query(args: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Validate URL query arguments into setting values, clamping out-of-range numbers.

    Parameters
    ----------
    args : mapping of str to list of bytes or str
        As Bokeh's ``session_context.request.arguments`` (``pn.state.session_args``); the last value wins.

    Returns
    -------
    values : dict
        Setting name → value, each within the bounds of :class:`PlaygroundSettings`.
    notices : list of str
        Plain-text messages about ignored or adjusted values (not HTML: escape before display).

    Example
    -------
    >>> parse_query({"n_qubits": [b"999"], "dataset": [b"moons"]})
    ({'n_qubits': 4, 'dataset': 'moons'}, ["n_qubits: '999' is out of range; using 4."])
    """
    values: dict[str, Any] = {}
    notices: list[str] = []
    params = PlaygroundSettings.param
    for key, raw_list in args.items():
        if not isinstance(key, str) or len(key) > MAX_QUERY_VALUE_CHARS:
            notices.append("An unreadable URL setting was ignored.")
            continue
        if key not in QUERY_KEYS:
            if key.startswith("bokeh-") or key.startswith("_"):
                continue  # the server's own arguments
            notices.append(f"Unknown URL setting {_shown(key)} ignored.")
            continue
        raw = raw_list[-1] if isinstance(raw_list, (list, tuple)) and raw_list else raw_list
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        raw = str(raw).strip()
        if len(raw) > MAX_QUERY_VALUE_CHARS:
            notices.append(f"{key}: value too long; ignored.")
            continue
        p = params[key]
        if isinstance(p, param.Boolean):
            if raw.lower() in ("1", "true", "yes", "on"):
                values[key] = True
            elif raw.lower() in ("0", "false", "no", "off"):
                values[key] = False
            else:
                notices.append(f"{key}: expected 0 or 1, got {_shown(raw)}; ignored.")
        elif isinstance(p, param.Selector):
            choices = _choices(p)
            if all(isinstance(c, str) for c in choices):
                if raw in choices:
                    values[key] = raw
                else:
                    notices.append(f"{key}: {_shown(raw)} is not one of {', '.join(choices)}; ignored.")
                continue
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                notices.append(f"{key}: expected a number, got {_shown(raw)}; ignored.")
                continue
            nearest = min(choices, key=lambda c: abs(math.log(c) - math.log(max(number, 1e-9))))
            if nearest != number:
                notices.append(f"{key}: {_shown(raw)} is not offered; using {nearest}.")
            values[key] = nearest
        else:  # Integer / Number with bounds
            lo, hi = p.bounds
            is_int = isinstance(p, param.Integer)
            try:
                number = int(raw) if is_int else float(raw)
            except ValueError:
                number = None
            if number is None or (not is_int and not math.isfinite(number)):
                notices.append(f"{key}: expected {'an integer' if is_int else 'a number'}, got {_shown(raw)}; ignored.")
                continue
            clamped = min(max(number, lo), hi)
            if clamped != number:
                notices.append(f"{key}: {_shown(raw)} is out of range; using {clamped}.")
            values[key] = clamped
    return values, notices


def to_query(settings: PlaygroundSettings) -> str:
    """The shareable query string of ``settings`` (only values that differ from the defaults)."""
    from urllib.parse import urlencode

    out = {}
    for key in QUERY_KEYS:
        value = getattr(settings, key)
        if value != settings.param[key].default:
            out[key] = int(value) if isinstance(value, bool) else value
    return urlencode(out)
