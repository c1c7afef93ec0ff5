"""Server-side bounds on what a browser's messages can set: a refused value costs one log line and is put back.

Every widget of the page can be set by anyone who speaks the Bokeh protocol, not only by the page's own script:
a raw client can send ``n_qubits=50``, a learning rate the select does not offer, NaN, a string of megabytes, or a
value of the wrong type. The bounds themselves live where the values land (the typed, bounded params of
:class:`~apps.settings.PlaygroundSettings` and of each widget); this module makes their refusals cheap and visible
instead of noisy:

* **One gate for every component.** :func:`install` routes each change and each event a browser sends to a Panel
  component (``Syncable._process_events`` / ``_process_bokeh_event``, where Panel applies them) through one check.
  Before anything is applied, :func:`check_value` refuses non-finite numbers, integers beyond what a browser can
  hold, text longer than :data:`MAX_TEXT_CHARS` (an upload's content: :data:`MAX_UPLOAD_CHARS`) and containers
  larger than :data:`MAX_ITEMS` items or deeper than :data:`MAX_DEPTH`. Then a value that a param refuses
  (``ValueError``, ``TypeError``, ``LookupError``, ``ArithmeticError``: out of bounds, not among a select's options,
  not convertible) is refused as a whole. Either way the component's models are set back to the value the server
  kept, so the page shows the truth, and the log gets one WARNING line instead of Panel's and Tornado's tracebacks.
* **Bytes inflate within a bound.** Bokeh decodes a ``{"type": "bytes"}`` value of a message by gunzipping it
  whole, so a few megabytes on the wire could become gigabytes in memory; here it inflates to at most
  :data:`MAX_INFLATED_BYTES` or is refused.
* **A patch the document cannot apply** (an unknown model id, a value of the wrong type for a Bokeh property) is
  answered by Bokeh with an ERROR message; its log line loses the traceback and the message's text, and Bokeh's
  report of a header without a message type (the header's whole text, at ERROR level) is dropped: the refusal of
  the connection is logged where it is closed.

Refusal lines are rate-limited (:data:`LOG_BURST` per :data:`LOG_WINDOW` seconds, the rest counted), so a client
cannot fill the disk through the log. Only the sending session is concerned: nothing here is shared between
sessions except the counters of that limit.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import functools
import logging
import math
import threading
import time
import zlib
from typing import Any, Iterable

import numpy as np
import param

from playground.experiment import MAX_BYTES

__all__ = [
    "InputRefused",
    "check_value",
    "install",
    "installed",
    "MAX_TEXT_CHARS",
    "MAX_UPLOAD_CHARS",
    "MAX_MESSAGE_BYTES",
    "MAX_ITEMS",
    "MAX_DEPTH",
    "MAX_BROWSER_INT",
    "MAX_INFLATED_BYTES",
    "REFUSED_ERRORS",
]

log = logging.getLogger("playground.apps")

#: The longest text one value from a browser may be: the address bar's query (widgets.url_state, 40 000 characters)
#: and a share link with a model in it fit with room to spare.
MAX_TEXT_CHARS = 100_000
#: The text (base64) of one upload. An experiment file is at most :data:`playground.experiment.MAX_BYTES` (5 MB,
#: 6.67 MB as base64); the bound is higher so that a somewhat larger file still reaches the app, which says why it
#: cannot be opened.
MAX_UPLOAD_CHARS = 8 * 1024 * 1024
#: The largest websocket message the server should accept (``websocket_max_message_size`` of the Bokeh server): one
#: upload at its bound plus the message's envelope (the event around it, the file's name and type).
MAX_MESSAGE_BYTES = MAX_UPLOAD_CHARS + 64 * 1024
#: Items of all lists and dicts of one value together (the circuit editor's picture of 15 layers is ~1 000).
MAX_ITEMS = 20_000
#: Nesting of one value's lists and dicts.
MAX_DEPTH = 24
#: The largest integer a browser's JavaScript holds exactly (Number.MAX_SAFE_INTEGER); larger ones are not from a page.
MAX_BROWSER_INT = 2**53 - 1
#: Bytes a ``{"type": "bytes"}`` value of a message may inflate to.
MAX_INFLATED_BYTES = MAX_BYTES
#: What a param or a widget raises when it refuses a value: such a failure refuses the browser's change.
REFUSED_ERRORS = (ValueError, TypeError, LookupError, ArithmeticError)
LOG_BURST, LOG_WINDOW = 30, 10.0

_SKIPPED_EVENT_FIELDS = ("model", "origin", "_model_id")


class InputRefused(ValueError):
    """A value from a browser that the server does not take; the message says why in one line."""


# ------------------------------------------------------------------------------------------ the value check

def check_value(value: Any, *, max_chars: int = MAX_TEXT_CHARS) -> None:
    """Refuse a value no page of this app sends, before any of it is used.

    Parameters
    ----------
    value : any
        As Bokeh decoded it from a message: None, bool, int, float, str, bytes, list, dict, ndarray or a model.
    max_chars : int
        The longest text (or bytes) allowed anywhere in ``value``.

    Raises
    ------
    InputRefused
        For a NaN or infinite number, an integer beyond :data:`MAX_BROWSER_INT`, a text longer than ``max_chars``,
        more than :data:`MAX_ITEMS` items in all or nesting deeper than :data:`MAX_DEPTH`.

    Examples
    --------
    >>> check_value({"layer": 2, "qubit": 0})
    >>> check_value(float("nan"))
    Traceback (most recent call last):
    ...
    apps.input_bounds.InputRefused: expected a finite number, got nan
    """
    items = [MAX_ITEMS]

    def walk(v: Any, depth: int) -> None:
        if v is None or isinstance(v, bool):
            return
        if isinstance(v, float):
            if not math.isfinite(v):
                raise InputRefused(f"expected a finite number, got {v}")
        elif isinstance(v, int):
            if abs(v) > MAX_BROWSER_INT:
                raise InputRefused(f"expected an integer of at most {MAX_BROWSER_INT}, got one of {v.bit_length()} bits")
        elif isinstance(v, (str, bytes, bytearray, memoryview)):
            if len(v) > max_chars:
                raise InputRefused(f"expected at most {max_chars} characters, got {len(v)}")
        elif isinstance(v, np.ndarray):
            count(v.size)
            if v.dtype.kind == "f" and not np.all(np.isfinite(v)):
                raise InputRefused("expected finite numbers, got NaN or infinity in an array")
            if v.dtype.kind == "O":
                for item in v.ravel():
                    walk(item, depth + 1)
        elif isinstance(v, dict):
            nest(depth)
            count(len(v))
            for key, item in v.items():
                walk(key, depth + 1)
                walk(item, depth + 1)
        elif isinstance(v, (list, tuple, set, frozenset)):
            nest(depth)
            count(len(v))
            for item in v:
                walk(item, depth + 1)

    def nest(depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise InputRefused(f"expected at most {MAX_DEPTH} levels of nesting")

    def count(n: int) -> None:
        items[0] -= n
        if items[0] < 0:
            raise InputRefused(f"expected at most {MAX_ITEMS} items in one value")

    walk(value, 0)


def _limit(obj: Any, attr: str) -> int:
    """The longest text ``attr`` of ``obj`` may carry: an upload's content is a whole (base64) file."""
    from panel.widgets import FileInput

    return MAX_UPLOAD_CHARS if isinstance(obj, FileInput) and attr == "value" else MAX_TEXT_CHARS


# ------------------------------------------------------------------------------------------ logging

class _RefusalLog:
    """One WARNING line per refusal; beyond :data:`LOG_BURST` lines in :data:`LOG_WINDOW` seconds the rest are
    counted and the count is reported with the next line written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: list[float] = []
        self._skipped = 0

    def admit(self) -> tuple[bool, int]:
        """Whether a line may be written now, and how many were held back before it."""
        now = time.monotonic()
        with self._lock:
            self._times = [t for t in self._times if now - t < LOG_WINDOW]
            if len(self._times) >= LOG_BURST:
                self._skipped += 1
                return False, 0
            self._times.append(now)
            skipped, self._skipped = self._skipped, 0
            return True, skipped

    def __call__(self, text: str) -> None:
        ok, skipped = self.admit()
        if ok:
            more = f" ({skipped} more refusals were not logged)" if skipped else ""
            log.warning("%s%s", text, more)


_refusal_log = _RefusalLog()


def _shown(value: Any) -> str:
    """A short form of a client's value for the log (never the whole of a long one)."""
    if isinstance(value, (str, bytes, bytearray)):
        text = repr(value[:40])
        return text + f"... ({len(value)} characters)" if len(value) > 40 else text
    if isinstance(value, (list, tuple, dict, set, np.ndarray)):
        size = value.size if isinstance(value, np.ndarray) else len(value)
        return f"<{type(value).__name__} of {size} items>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reason(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:200]}"


def _component(obj: Any) -> str:
    name = getattr(obj, "name", "")
    return f"{type(obj).__name__} {name!r}" if isinstance(name, str) and name else type(obj).__name__


_in_gate = contextvars.ContextVar("playground_input_gate", default=False)


class _GateTracebacks(logging.Filter):
    """On ``panel.reactive``: while the gate handles a browser's change, Panel's own report of a refused value
    (a traceback) is dropped; the gate writes the one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_in_gate.get() and record.exc_info and isinstance(record.exc_info[1], REFUSED_ERRORS))


class _PatchRefusals(logging.Filter):
    """On ``bokeh.server.protocol_handler``: a message the document cannot apply becomes one WARNING line
    (message type and error) instead of the message's whole text and a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or not isinstance(record.args, tuple) or len(record.args) != 2:
            return True
        message, err = record.args
        ok, skipped = _refusal_log.admit()
        if not ok:
            return False
        msgtype = getattr(message, "msgtype", "?")
        more = f" ({skipped} more refusals were not logged)" if skipped else ""
        record.msg = "refused a %s message the document cannot apply (%s)%s"
        record.args = (msgtype, _reason(err) if isinstance(err, BaseException) else _shown(err), more)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


class _HeaderReports(logging.Filter):
    """On ``bokeh.protocol``: Bokeh reports a header without a ``msgtype`` at ERROR level with the header's whole
    text, then refuses the message, and the connection's refusal is logged where it is closed; the report is
    dropped so that a bad message costs one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Bad header with no msgtype")


# ------------------------------------------------------------------------------------------ the gate

def _put_back(obj: Any, attrs: Iterable[str]) -> None:
    """Send the component's kept values of ``attrs`` (Bokeh property names) to its models again: the browser that
    sent a refused value shows the value the server kept. Event params are never re-sent (that would fire them)."""
    renamed = {prop: name for name, prop in getattr(obj, "_rename", {}).items() if prop}
    names = []
    for attr in attrs:
        name = renamed.get(attr, attr)
        if name in obj.param and not isinstance(obj.param[name], param.Event) and name not in names:
            names.append(name)
    if not names or not getattr(obj, "_models", None):
        return
    events = [param.parameterized.Event(what="value", name=n, obj=obj, cls=type(obj), old=getattr(obj, n),
                                        new=getattr(obj, n), type="triggered") for n in names]
    try:
        obj._param_change(*events)
    except REFUSED_ERRORS as err:  # the page keeps what it shows; the kept value is still the server's
        log.debug("could not re-send %s of %s: %s", names, _component(obj), err)


def _refuse_change(obj: Any, events: dict, err: BaseException) -> None:
    changes = ", ".join(f"{attr}={_shown(value)}" for attr, value in events.items())
    _refusal_log(f"refused a change from a browser to {_component(obj)} ({changes[:300]}): {_reason(err)}")
    _put_back(obj, list(events))


def _refuse_event(obj: Any, event: Any, err: BaseException) -> None:
    name = getattr(event, "event_name", type(event).__name__)
    _refusal_log(f"refused a {name!r} event from a browser for {_component(obj)}: {_reason(err)}")


def _event_values(event: Any) -> dict:
    return {k: v for k, v in vars(event).items() if k not in _SKIPPED_EVENT_FIELDS}


def _gated_process_events(original):
    @functools.wraps(original)
    def process_events(self, events: dict) -> None:
        if _in_gate.get():  # a change applied while the gate handles another one (a linked component)
            return original(self, events)
        try:
            for attr, value in events.items():
                check_value(value, max_chars=_limit(self, attr))
        except InputRefused as err:
            _refuse_change(self, dict(events), err)
            return None
        snapshot = dict(events)
        token = _in_gate.set(True)
        try:
            return original(self, events)
        except REFUSED_ERRORS as err:
            _refuse_change(self, snapshot, err)
            return None
        finally:
            _in_gate.reset(token)

    process_events._playground_gate = True
    return process_events


def _gated_process_bokeh_event(original):
    @functools.wraps(original)
    def process_bokeh_event(self, doc, event) -> None:
        if _in_gate.get():
            return original(self, doc, event)
        try:
            check_value(_event_values(event))
        except InputRefused as err:
            _refuse_event(self, event, err)
            return None
        token = _in_gate.set(True)
        try:
            return original(self, doc, event)
        except REFUSED_ERRORS as err:
            _refuse_event(self, event, err)
            return None
        finally:
            _in_gate.reset(token)

    process_bokeh_event._playground_gate = True
    return process_bokeh_event


def _bounded_bytes(rep: dict, decoder) -> Any:
    """Bokeh's decoding of ``{"type": "bytes", "data": ...}``, with the gzip path inflating within a bound."""
    from bokeh.core.serialization import Deserializer

    data = rep.get("data")
    if not isinstance(data, str):  # a binary buffer of the message: already bounded by the message size
        return Deserializer._decode_bytes(decoder, rep)
    try:
        packed = base64.b64decode(data, validate=True)
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing, as Bokeh's encoder writes it
        raw = inflater.decompress(packed, MAX_INFLATED_BYTES + 1)
    except (binascii.Error, zlib.error) as err:
        decoder.error(f"bytes: expected base64 of gzip data ({err})")
    if len(raw) > MAX_INFLATED_BYTES or inflater.unconsumed_tail:
        decoder.error(f"bytes: expected at most {MAX_INFLATED_BYTES} bytes once inflated")
    if not inflater.eof:
        decoder.error("bytes: the gzip data is cut short")
    return raw


_install_lock = threading.Lock()


def installed() -> bool:
    """Whether :func:`install` has put the gate in place in this process."""
    from panel.reactive import Syncable

    return getattr(Syncable._process_events, "_playground_gate", False)


def install() -> None:
    """Put the gate in place for every Panel component of this process (idempotent; before sessions open).

    The apps call it when they build a page, so ``panel serve apps/playground_app.py`` is covered as well as
    ``playground serve``.
    """
    from bokeh.core.serialization import Deserializer
    from panel.reactive import Syncable

    with _install_lock:
        if installed():
            return
        Syncable._process_events = _gated_process_events(Syncable._process_events)
        Syncable._process_bokeh_event = _gated_process_bokeh_event(Syncable._process_bokeh_event)
        logging.getLogger("panel.reactive").addFilter(_GateTracebacks())
        logging.getLogger("bokeh.server.protocol_handler").addFilter(_PatchRefusals())
        logging.getLogger("bokeh.protocol").addFilter(_HeaderReports())
        if "bytes" not in Deserializer._decoders:
            Deserializer.register("bytes", _bounded_bytes)
