"""Compact, URL-safe text forms of a circuit and of trained parameters, for share links.

A circuit travels as ``c1.`` + base64url(deflate(compact JSON of :meth:`CircuitSpec.to_dict`)), parameters as
``p1.`` + base64url(deflate(little-endian float64 bytes)), a training checkpoint as ``k1.`` + base64url(deflate(compact
JSON of :meth:`~playground.trainer.Trainer.checkpoint`)). The decoders bound every size before and after
inflating (a link cannot make the server allocate more than :data:`MAX_INFLATED` bytes) and raise
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

from .spec import CircuitSpec, SpecError

__all__ = [
    "LinkError",
    "encode_circuit",
    "decode_circuit",
    "encode_params",
    "decode_params",
    "encode_checkpoint",
    "decode_checkpoint",
    "MAX_LINK_CHARS",
    "MAX_INFLATED",
]

MAX_LINK_CHARS = 16_000  # one encoded value; browsers and proxies handle URLs of a few tens of kB
MAX_INFLATED = 256_000  # bytes after inflating: a 20-layer, 6-qubit circuit of full slots is ~60 kB of JSON
MAX_PARAMS = 20_000
_CIRCUIT_PREFIX = "c1."
_PARAMS_PREFIX = "p1."
_CHECKPOINT_PREFIX = "k1."


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
