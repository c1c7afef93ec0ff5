"""Compare two runs: a pinned run travels in the address as ``pin=pin1.<token>`` and is rebuilt from it.

The token is the pinned run's own address (its settings and, as ``k=``, an exact checkpoint of its model, the
format of a share link with the trained model), deflated and URL-safe base64-encoded, bounded before and after
inflating. :func:`pinned_frame` recomputes the pinned run's picture from it: one frame, on its own session.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from urllib.parse import parse_qs

from playground.links import LinkError, decode_checkpoint

from .session import Frame, PlaygroundSession
from .settings import PlaygroundSettings, parse_query, query_text

__all__ = ["MAX_PIN_CHARS", "decode_pin", "encode_pin", "pinned_frame"]

_PREFIX = "pin1."
MAX_PIN_CHARS = 24_000  # a checkpoint link is at most ~16 kB; deflated and encoded it stays well below this
_MAX_QUERY = 64_000


def encode_pin(query: str) -> str:
    """``pin1.`` + the pinned run's address, deflated and URL-safe base64 encoded."""
    packed = base64.urlsafe_b64encode(zlib.compress(query.encode("utf-8"), 9)).decode("ascii").rstrip("=")
    return _PREFIX + packed


def decode_pin(raw) -> tuple[str | None, list[str]]:
    """A ``pin=`` value → the pinned run's address (or None) and plain-text notices."""
    if raw is None:
        return None, []
    text = query_text(raw)
    bad = ["The pinned run in this link could not be read; showing the live run only."]
    if not text.startswith(_PREFIX) or len(text) > MAX_PIN_CHARS:
        return None, bad
    body = text[len(_PREFIX):]
    try:
        packed = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
        inflater = zlib.decompressobj()
        query = inflater.decompress(packed, _MAX_QUERY + 1)
        if len(query) > _MAX_QUERY or inflater.unconsumed_tail or not inflater.eof:
            return None, bad
        return query.decode("utf-8"), []
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        return None, bad


def pinned_frame(query: str) -> tuple[Frame | None, PlaygroundSettings | None, list[str]]:
    """Rebuild a pinned run from its address: the frame its model shows, its settings, and notices."""
    args = parse_qs(query, keep_blank_values=True)
    raw_k = args.pop("k", [None])[-1]
    values, notices = parse_query({k: [v[-1]] for k, v in args.items()})
    if notices:
        return None, None, ["The pinned run's settings could not be read; showing the live run only."]
    values.pop("playing", None)
    settings = PlaygroundSettings()
    circuit = values.pop("circuit", None)
    settings.param.update(values)
    if circuit is not None:
        settings.circuit = circuit.with_n_features(settings.circuit.n_features)
    session = PlaygroundSession(settings)
    if raw_k:
        try:
            session.load(checkpoint=decode_checkpoint(raw_k))
        except LinkError:
            return None, None, ["The pinned run's model could not be read; showing the live run only."]
    session.start()  # no pool, no document: the frame is computed here, once
    frame = session.frame
    session.close()
    if frame is None or frame.error or session.notice:
        return None, None, ["The pinned run could not be rebuilt; showing the live run only."]
    return frame, settings, []
