"""Compact, URL-safe text forms of a circuit, trained parameters and drawn points, for share links.

A circuit travels as ``c1.`` + base64url(deflate(compact JSON of :meth:`CircuitSpec.to_dict`)), parameters as
``p1.`` + base64url(deflate(little-endian float64 bytes)), a training checkpoint as ``k1.`` + base64url(deflate(compact
JSON of :meth:`~playground.trainer.Trainer.checkpoint`)), points drawn on the plane as ``d1.`` + base64url(deflate(
12-bit coordinates and one byte per label), see :func:`encode_points`). The decoders bound every size before and
after inflating (a link cannot make the server allocate more than :data:`MAX_INFLATED` bytes) and raise
:class:`LinkError` with one clear line on anything malformed.

Example
-------
>>> from playground.spec import CircuitSpec
>>> spec = CircuitSpec.paper(2, 3, entangled=True)
>>> text = encode_circuit(spec)
>>> text.startswith("c1.") and decode_circuit(text) == spec
True
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

import numpy as np

from .datasets import MAX_CLASSES, MAX_DRAWN, DatasetError, drawn_dataset
from .spec import CircuitSpec, SpecError

__all__ = [
    "LinkError",
    "encode_circuit",
    "decode_circuit",
    "encode_params",
    "decode_params",
    "encode_checkpoint",
    "decode_checkpoint",
    "encode_points",
    "decode_points",
    "quantise_points",
    "POINT_STEP",
    "MAX_LINK_CHARS",
    "MAX_INFLATED",
]

MAX_LINK_CHARS = 16_000  # one encoded value; browsers and proxies handle URLs of a few tens of kB
MAX_INFLATED = 256_000  # bytes after inflating: a 20-layer, 6-qubit circuit of full slots is ~60 kB of JSON
MAX_PARAMS = 20_000
_CIRCUIT_PREFIX = "c1."
_PARAMS_PREFIX = "p1."
_CHECKPOINT_PREFIX = "k1."
_POINTS_PREFIX = "d1."  # "p1." is taken by the parameters
_POINT_CODES = 4000  # a coordinate v in [-1, 1] travels as the integer round((v + 1) * 2000) in 0..4000 (12 bits)
POINT_STEP = 2.0 / _POINT_CODES
"""Spacing of the grid that drawn points are rounded to in a link: 0.0005 (a ninth of a pixel on a 460-pixel plot)."""


class LinkError(ValueError):
    """A share-link value that cannot be read; the message says which and why."""


def _pack(raw: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")


def _unpack(text: str, prefix: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise LinkError(f"{what}: expected text, got {type(text).__name__}")
    if len(text) > MAX_LINK_CHARS:
        raise LinkError(f"{what}: expected at most {MAX_LINK_CHARS} characters, got {len(text)}")
    if not text.startswith(prefix):
        raise LinkError(f"{what}: expected a value starting with {prefix!r} (this program's link format 1)")
    body = text[len(prefix) :]
    try:
        packed = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise LinkError(f"{what}: expected base64url text, got characters outside it") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(packed, MAX_INFLATED + 1)
    except zlib.error:
        raise LinkError(f"{what}: the value is damaged (it does not inflate)") from None
    if len(raw) > MAX_INFLATED or inflater.unconsumed_tail:
        raise LinkError(f"{what}: expected at most {MAX_INFLATED} bytes once inflated")
    if not inflater.eof:
        raise LinkError(f"{what}: the value is cut short")
    return raw


def encode_circuit(spec: CircuitSpec) -> str:
    """The circuit as a URL-safe string (uids included, so parameters can follow it)."""
    return _CIRCUIT_PREFIX + _pack(spec.to_json().encode("utf-8"))


def decode_circuit(text: str) -> CircuitSpec:
    """Inverse of :func:`encode_circuit`; every problem is a :class:`LinkError` naming the field."""
    raw = _unpack(text, _CIRCUIT_PREFIX, "circuit")
    try:
        return CircuitSpec.from_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LinkError("circuit: expected UTF-8 JSON inside the value") from None
    except SpecError as err:
        raise LinkError(f"circuit: {err}") from None
    except RecursionError:
        raise LinkError("circuit: the JSON is nested too deeply") from None


def encode_params(params: np.ndarray) -> str:
    """Parameters (a 1-D array of finite numbers) as a URL-safe string, exact to the last bit."""
    arr = np.asarray(params, dtype="<f8")
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise LinkError("params: expected a 1-D array of finite numbers")
    return _PARAMS_PREFIX + _pack(arr.tobytes())


def decode_params(text: str, n_params: int | None = None) -> np.ndarray:
    """Inverse of :func:`encode_params`; with ``n_params``, the count must match."""
    raw = _unpack(text, _PARAMS_PREFIX, "params")
    if len(raw) % 8:
        raise LinkError("params: the value is damaged (not a whole number of float64 values)")
    arr = np.frombuffer(raw, dtype="<f8").astype(np.float64)
    if len(arr) > MAX_PARAMS:
        raise LinkError(f"params: expected at most {MAX_PARAMS} numbers, got {len(arr)}")
    if not np.all(np.isfinite(arr)):
        raise LinkError("params: expected finite numbers, got NaN or infinity")
    if n_params is not None and len(arr) != n_params:
        raise LinkError(f"params: expected {n_params} numbers for this circuit, got {len(arr)}")
    return arr


def encode_checkpoint(state: dict) -> str:
    """A training checkpoint (:meth:`~playground.trainer.Trainer.checkpoint`) as a URL-safe string, bit-exact.

    Raises :class:`LinkError` when ``state`` is not plain JSON data (NaN and infinities included) or when the value
    would be longer than a link can carry (:data:`MAX_LINK_CHARS`; keep fewer history rows).
    """
    if not isinstance(state, dict):
        raise LinkError(f"checkpoint: expected an object, got {type(state).__name__}")
    try:
        raw = json.dumps(state, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as err:
        raise LinkError(f"checkpoint: expected plain JSON data with finite numbers ({err})") from None
    if len(raw) > MAX_INFLATED:
        raise LinkError(f"checkpoint: expected at most {MAX_INFLATED} bytes of JSON, got {len(raw)}")
    text = _CHECKPOINT_PREFIX + _pack(raw)
    if len(text) > MAX_LINK_CHARS:
        raise LinkError(f"checkpoint: expected at most {MAX_LINK_CHARS} characters once encoded, got {len(text)}")
    return text


def _no_constant(name: str):
    raise LinkError(f"checkpoint: expected finite numbers, got {name}")


def _no_duplicates(pairs: list) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise LinkError(f"checkpoint: expected each key once per object, got {key!r} twice")
        out[key] = value
    return out


def decode_checkpoint(text: str) -> dict:
    """Inverse of :func:`encode_checkpoint`: the checkpoint as plain data (a dict).

    Only the form is checked here (a JSON object, no NaN or infinities, no duplicate keys, bounded sizes); the
    fields are checked by :meth:`~playground.trainer.Trainer.restore`. Every problem is a :class:`LinkError`.
    """
    raw = _unpack(text, _CHECKPOINT_PREFIX, "checkpoint")
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except LinkError:
        raise
    except UnicodeDecodeError:
        raise LinkError("checkpoint: expected UTF-8 JSON inside the value") from None
    except RecursionError:
        raise LinkError("checkpoint: the JSON is nested too deeply") from None
    except ValueError as err:  # JSONDecodeError, or an integer with too many digits
        reason = getattr(err, "msg", None) or str(err).splitlines()[0]
        raise LinkError(f"checkpoint: expected JSON inside the value, got invalid JSON ({reason})") from None
    if not isinstance(value, dict):
        raise LinkError(f"checkpoint: expected a JSON object, got {type(value).__name__}")
    return value


def quantise_points(X) -> np.ndarray:
    """Round coordinates in [-1, 1] to the grid a link carries (:data:`POINT_STEP` = 0.0005).

    Rounding twice changes nothing, so points rounded when they are drawn are exactly the points their link gives
    back: ``quantise_points(X)`` equals ``decode_points(encode_points(X, y))[0]``.

    Parameters
    ----------
    X : array_like of shape (n, 2)
        Coordinates within [-1, 1] (not checked here; :func:`encode_points` checks them).

    Returns
    -------
    ndarray of shape (n, 2)
        A new float64 array, every value ``k / 2000 - 1`` for an integer ``k`` in 0..4000.

    Examples
    --------
    >>> X = quantise_points([[0.12345, -1.0]])
    >>> X.round(6).tolist(), bool(np.array_equal(quantise_points(X), X))
    ([[0.1235, -1.0]], True)
    """
    return _from_codes(_to_codes(np.asarray(X, dtype=np.float64)))


def _to_codes(X: np.ndarray) -> np.ndarray:
    return np.rint((X + 1.0) * (_POINT_CODES / 2)).astype(np.int64)


def _from_codes(codes: np.ndarray) -> np.ndarray:
    # The exact inverse of _to_codes on the grid: k / 2000 - 1 rounds back to k (its error is ~1e-16 of a step).
    return codes / (_POINT_CODES / 2) - 1.0


def encode_points(X, y) -> str:
    """Points drawn on the plane as a URL-safe string: ``d1.`` + base64url(deflate(raw bytes)).

    The raw bytes are, for n points, 3n bytes of coordinates (point by point: x then y, each the 12-bit integer
    ``round((v + 1) * 2000)`` in 0..4000, big-endian, so each coordinate is rounded to :data:`POINT_STEP` =
    0.0005), then n bytes of labels. 300 points spread uniformly over the square, which deflate can hardly shrink,
    take about 1,400 characters with two classes and 1,570 with six; clustered points take fewer.

    Parameters
    ----------
    X : array_like of shape (n, 2)
        Coordinates within [-1, 1], ``0 <= n <= MAX_DRAWN``.
    y : array_like of int of shape (n,)
        Labels in ``0 .. MAX_CLASSES - 1``.

    Returns
    -------
    str
        The link value. ``decode_points`` gives back ``quantise_points(X)`` and ``y`` exactly, so encoding the
        decoded points again gives the same string.

    Raises
    ------
    LinkError
        When the points do not pass :func:`~playground.datasets.drawn_dataset` (``"points: X: expected ..."``).

    Examples
    --------
    >>> text = encode_points([[0.5, -0.25], [-1.0, 1.0]], [1, 0])
    >>> X, y = decode_points(text)
    >>> text.startswith("d1."), X.tolist(), y.tolist()
    (True, [[0.5, -0.25], [-1.0, 1.0]], [1, 0])
    """
    try:
        ds = drawn_dataset(X, y)
    except DatasetError as err:
        raise LinkError(f"points: {err}") from None
    codes = _to_codes(ds.X)
    x, v = codes[:, 0], codes[:, 1]
    packed = np.stack([x >> 4, ((x & 0xF) << 4) | (v >> 8), v & 0xFF], axis=1).astype(np.uint8)
    return _POINTS_PREFIX + _pack(packed.tobytes() + ds.y.astype(np.uint8).tobytes())


def decode_points(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`encode_points`: ``(X, y)``, X of shape (n, 2) on the 0.0005 grid, y of shape (n,) (int64).

    The points pass :func:`~playground.datasets.drawn_dataset` (n at most ``MAX_DRAWN``, coordinates within
    [-1, 1], labels in ``0 .. MAX_CLASSES - 1``); every problem is a :class:`LinkError` with one line.
    """
    raw = _unpack(text, _POINTS_PREFIX, "points")
    if len(raw) % 4:
        raise LinkError("points: the value is damaged (not a whole number of points, 4 bytes each)")
    n = len(raw) // 4
    if n > MAX_DRAWN:
        raise LinkError(f"points: expected at most {MAX_DRAWN} points, got {n}")
    data = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    packed, y = data[: 3 * n].reshape(n, 3), data[3 * n :]
    codes = np.stack([(packed[:, 0] << 4) | (packed[:, 1] >> 4), ((packed[:, 1] & 0xF) << 8) | packed[:, 2]], axis=1)
    bad = (codes > _POINT_CODES).any(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise LinkError(f"points: expected coordinate codes in 0..{_POINT_CODES} (within [-1, 1]), got "
                        f"{codes[i].tolist()} (point {i})")
    bad = y >= MAX_CLASSES
    if bad.any():
        i = int(np.argmax(bad))
        raise LinkError(f"points: expected labels in 0..{MAX_CLASSES - 1}, got {int(y[i])} (point {i})")
    try:
        ds = drawn_dataset(_from_codes(codes), y)
    except DatasetError as err:  # cannot happen after the checks above; kept so the message stays a LinkError
        raise LinkError(f"points: {err}") from None
    return ds.X, ds.y
