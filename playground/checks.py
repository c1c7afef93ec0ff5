"""Input checks shared by the science core: every failure is one line "field: expected ..., got ..."."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["show", "fail", "is_int", "is_number", "check_int", "check_number", "check_bool", "check_vector",
           "check_keys"]


def show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def fail(where: str, expected: str, got: Any, error: type[ValueError] = ValueError) -> ValueError:
    """The error for ``where``: "where: expected ..., got ..." (``got`` shown briefly)."""
    return error(f"{where}: expected {expected}, got {show(got)}")


def is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_int(where: str, value: Any, lo: int, hi: int, error: type[ValueError] = ValueError) -> int:
    if not is_int(value) or not lo <= value <= hi:
        raise fail(where, f"an integer in {lo}..{hi}", value, error)
    return int(value)


def check_number(where: str, value: Any, lo: float = -math.inf, hi: float = math.inf, what: str | None = None,
                 error: type[ValueError] = ValueError) -> float:
    """A finite number in [lo, hi] as a float; integers too large for a float fail like any other bad value."""
    ok = is_number(value)
    if ok:
        try:
            value_f = float(value)
        except OverflowError:
            ok = False
        else:
            ok = math.isfinite(value_f) and lo <= value_f <= hi
    if not ok:
        if what is None:
            what = "a finite number" if (lo, hi) == (-math.inf, math.inf) else f"a number in [{lo:g}, {hi:g}]"
        raise fail(where, what, value, error)
    return value_f


def check_bool(where: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise fail(where, "true or false", value)
    return bool(value)


def check_vector(where: str, value: Any, n: int) -> np.ndarray:
    """A list of exactly ``n`` finite numbers as a new float64 array of shape (n,) (exact for JSON floats)."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise fail(where, f"a list of {n} finite numbers", value)
    for i, v in enumerate(value):
        if not is_number(v):
            raise fail(f"{where}[{i}]", "a finite number", v)
        if is_int(v):
            try:
                float(v)
            except OverflowError:
                raise fail(f"{where}[{i}]", "a finite number", v) from None
    arr = np.array(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise fail(f"{where}[{i}]", "a finite number", value[i])
    return arr


def check_keys(where: str, data: Any, keys: tuple[str, ...]) -> dict:
    """``data`` must be a dict with exactly ``keys``."""
    if not isinstance(data, dict):
        raise fail(where, "an object with the keys " + ", ".join(keys), data)
    unknown = sorted(str(k) for k in data if k not in keys)
    if unknown:
        raise ValueError(f"{where}: expected only the keys {', '.join(keys)}, got {unknown[0]!r}")
    for k in keys:
        if k not in data:
            raise ValueError(f"{where}.{k}: expected a value, got none (the key is missing)")
    return data
