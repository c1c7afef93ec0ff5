"""A headless Bokeh client: one session of a served page over its websocket, its document as plain JSON.

It speaks the Bokeh server protocol as a browser does (GET the page for its session token, open ``/ws`` with the
subprotocols ``["bokeh", token]``, read the ACK, pull the document, say ``document_ready``) but draws nothing. The
app benchmark uses it to hold many sessions open; the tests use it to send what no browser would (values out of
bounds, malformed messages) and to read what the server sends back.

Example
-------
>>> async def demo(url):  # doctest: +SKIP
...     session = await open_session(url, "n_qubits=2")
...     slider = session.find_model(type="Slider", title="Qubits")
...     await session.set(slider, "value", 50)
...     changed = await session.read_until(lambda m: (slider, "value") in changes_of(m), timeout=5)
...     print(changes_of(changed)[(slider, "value")])  # the server's answer: the value it kept
...     await session.close()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

__all__ = [
    "RawSession",
    "ProtocolMessage",
    "SessionClosed",
    "open_session",
    "page_token",
    "find_model_id",
    "iter_models",
    "encode_value",
    "decode_value",
    "changes_of",
]

DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024  # what this client accepts from the server


class SessionClosed(ConnectionError):
    """The server closed the websocket (``code`` and ``reason`` as it sent them, None when it sent none)."""

    def __init__(self, code: int | None, reason: str | None):
        super().__init__(f"the server closed the websocket (code {code}, reason {reason!r})")
        self.code, self.reason = code, reason


@dataclass(frozen=True)
class ProtocolMessage:
    """One Bokeh protocol message as received: the parsed header, the metadata and content texts, binary buffers."""

    header: dict
    metadata: str
    content: str
    buffers: tuple = ()

    @property
    def msgtype(self) -> str | None:
        return self.header.get("msgtype")

    def json(self) -> Any:
        """The content, parsed."""
        return json.loads(self.content)


# ------------------------------------------------------------------------------------------ document JSON

def iter_models(node: Any) -> Iterator[dict]:
    """Every serialized model (``{"type": "object", "name": ..., "id": ..., "attributes": {...}}``) in ``node``."""
    stack = [node]  # depth first, in the order of the JSON text
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("type") == "object" and "id" in item:
                yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def find_model_id(node: Any, name: str) -> str | None:
    """The id of the model whose ``name`` attribute is ``name`` in a serialized Bokeh document (None if absent)."""
    for model in iter_models(node):
        attributes = model.get("attributes")
        if isinstance(attributes, dict) and attributes.get("name") == name:
            return model["id"]
    return None


def encode_value(value: Any) -> Any:
    """``value`` in Bokeh's wire form: non-finite floats become ``{"type": "number", "value": "nan"}`` and the like."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"type": "number", "value": "nan" if math.isnan(value) else ("+inf" if value > 0 else "-inf")}
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    return value


def decode_value(value: Any) -> Any:
    """Plain Python values from Bokeh's wire form: maps become dicts, ``number`` reps floats, ``ref``\\ s their id.

    Binary arrays (``ndarray`` over a buffer) are left as their representation: this client never needs them.
    """
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("type")
    if kind == "map":
        return {decode_value(k) if not isinstance(k, list) else tuple(k): decode_value(v)
                for k, v in value.get("entries", [])}
    if kind == "number":
        number = value.get("value")
        return float(number) if isinstance(number, str) else number
    if kind in ("array", "set"):
        return [decode_value(v) for v in value.get("entries", [])]
    if kind == "ref" or (kind is None and set(value) == {"id"}):
        return value.get("id")
    if kind == "object" and "id" in value:
        return value["id"]
    if kind is None:
        return {k: decode_value(v) for k, v in value.items()}
    return value


def changes_of(message: ProtocolMessage | None) -> dict[tuple[str, str], Any]:
    """``(model id, attribute) → new value`` of every ``ModelChanged`` event in a PATCH-DOC message, and of every
    ``ColumnDataChanged`` (a data source's changed columns, as a dict), decoded; later events win."""
    if message is None or message.msgtype != "PATCH-DOC":
        return {}
    out: dict[tuple[str, str], Any] = {}
    for event in message.json().get("events", []):
        kind = event.get("kind")
        if kind in ("ModelChanged", "ColumnDataChanged"):
            model = event.get("model") or {}
            new = event.get("new") if kind == "ModelChanged" else event.get("data")
            out[(model.get("id"), event.get("attr"))] = decode_value(new)
    return out


def page_token(html: str) -> str:
    """The session token a served Bokeh page embeds (its websocket subprotocol); ``ValueError`` if there is none."""
    match = re.search(r'"token":\s*"([^"]+)"', html) or re.search(r"token\s*=\s*'([^']+)'", html)
    if match is None:
        raise ValueError("no session token in the page")
    return match.group(1)


# ------------------------------------------------------------------------------------------ the session

@dataclass
class RawSession:
    """One open session. Messages the server sends arrive through :meth:`read`; nothing is read in the background.

    ``doc`` is the pulled document (``PULL-DOC-REPLY`` content) when :func:`open_session` pulled it; ``models``
    indexes its models by id (type name and attributes as first serialized).
    """

    conn: Any
    url: str
    token: str
    doc: dict | None = None
    models: dict[str, dict] = field(default_factory=dict)
    frames: int = 0
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _clock: tuple[str | None, str | None] = (None, None)
    _next: Any = None  # the socket read in progress (a future), kept across timeouts
    _fragments: list = field(default_factory=list)  # of the message being read

    # -------------------------------------------------------------- receiving
    async def read(self, timeout: float | None = None) -> ProtocolMessage | None:
        """The next whole message (None once the server has closed the connection); ``TimeoutError`` after
        ``timeout`` seconds without one. Fragments read before a timeout are kept for the next call."""
        async def one() -> ProtocolMessage | None:
            while True:
                parts = self._fragments
                if len(parts) >= 3:
                    head = json.loads(parts[0])
                    if len(parts) >= 3 + 2 * int(head.get("num_buffers", 0) or 0):
                        self._fragments = []
                        rest = parts[3:]
                        return ProtocolMessage(head, parts[1], parts[2], tuple(zip(rest[::2], rest[1::2])))
                # One read of the socket at a time, never cancelled: a timeout leaves it pending for the next call
                # (cancelling it could drop a fragment that was arriving, and every later message would be misread).
                if self._next is None:
                    self._next = asyncio.ensure_future(self.conn.read_message())
                fragment = await asyncio.shield(self._next)
                self._next = None
                if fragment is None:
                    return None
                parts.append(fragment)

        if timeout is None:
            return await one()
        return await asyncio.wait_for(one(), timeout)

    async def read_until(self, predicate: Callable[[ProtocolMessage], bool], timeout: float) -> ProtocolMessage:
        """Read until a message satisfies ``predicate``; frames of the page's frame clock are acknowledged on the way
        (as a browser does, so the server keeps sending). ``TimeoutError`` after ``timeout`` seconds,
        :class:`SessionClosed` if the server closes the connection first."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching message within {timeout} s")
            message = await self.read(left)
            if message is None:
                raise SessionClosed(self.close_code, self.close_reason)
            await self.acknowledge_frames(message)
            if predicate(message):
                return message

    async def drain(self, seconds: float) -> list[ProtocolMessage]:
        """Every message that arrives within ``seconds`` (frames acknowledged); stops early if the server closes."""
        out: list[ProtocolMessage] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await self.read(left)
            except (asyncio.TimeoutError, TimeoutError):
                break
            if message is None:
                break
            await self.acknowledge_frames(message)
            out.append(message)
        return out

    @property
    def close_code(self) -> int | None:
        return getattr(self.conn, "close_code", None)

    @property
    def close_reason(self) -> str | None:
        return getattr(self.conn, "close_reason", None)

    # -------------------------------------------------------------- sending
    async def send_raw(self, header: Any, metadata: Any = "{}", content: Any = "{}") -> None:
        """Send three fragments exactly as given (str or bytes as they are; anything else as JSON).

        :class:`SessionClosed` if the server closes the connection before they are written (then
        :meth:`wait_closed` gives its close code).
        """
        from tornado.iostream import StreamClosedError
        from tornado.websocket import WebSocketClosedError

        try:
            for part in (header, metadata, content):
                if isinstance(part, bytes):
                    await self.conn.write_message(part, binary=True)
                else:
                    await self.conn.write_message(part if isinstance(part, str) else json.dumps(part))
        except (WebSocketClosedError, StreamClosedError):
            raise SessionClosed(self.close_code, self.close_reason) from None

    async def wait_closed(self, timeout: float) -> int | None:
        """Read (and drop) what is left until the server has closed the connection; its close code.

        ``TimeoutError`` if it is still open after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if await self.read(left) is None:
                return self.close_code
        raise TimeoutError(f"the connection is still open after {timeout} s")

    async def send(self, msgtype: str, content: Any, *, metadata: Any = None) -> str:
        """Send one well-formed message; returns its ``msgid``."""
        msgid = f"raw{next(self._ids)}"
        await self.send_raw({"msgid": msgid, "msgtype": msgtype}, metadata if metadata is not None else {}, content)
        return msgid

    async def patch(self, *events: dict) -> str:
        """A ``PATCH-DOC`` with these document events."""
        return await self.send("PATCH-DOC", {"events": list(events)})

    async def set(self, model_id: str, attr: str, value: Any) -> str:
        """Change one property of one model, as a browser widget does (``ModelChanged``)."""
        return await self.patch({"kind": "ModelChanged", "model": {"id": model_id}, "attr": attr,
                                 "new": encode_value(value)})

    async def event(self, name: str, values: dict | None = None) -> str:
        """Send a Bokeh UI event (``button_click``, ``tap``, ``document_ready``…); model refs as ``{"id": ...}``."""
        entries = [[k, encode_value(v)] for k, v in (values or {}).items()]
        return await self.patch({"kind": "MessageSent", "msg_type": "bokeh_event", "msg_data": {
            "type": "event", "name": name, "values": {"type": "map", "entries": entries}}})

    async def click(self, button_id: str) -> str:
        """Press a button (its ``button_click`` event)."""
        return await self.event("button_click", {"model": {"id": button_id}})

    async def close(self, timeout: float = 5.0) -> None:
        """Close the websocket and wait (up to ``timeout`` s) until the server has seen it close, as a tab does."""
        self.conn.close()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                pending = self._next if self._next is not None else asyncio.ensure_future(self.conn.read_message())
                self._next = None
                if await asyncio.wait_for(pending, deadline - time.monotonic()) is None:
                    break
        except (asyncio.TimeoutError, TimeoutError, Exception):  # noqa: BLE001 - closing: nothing left to read
            pass

    # -------------------------------------------------------------- the document
    def models_of_type(self, type_name: str) -> list[dict]:
        """The serialized models of Bokeh type ``type_name`` (e.g. ``"Slider"``), in the order of the document JSON."""
        return [m for m in self.models.values() if m.get("name") == type_name]

    def find_model(self, name: str | None = None, *, type: str | None = None, **attributes: Any) -> str:
        """The id of the one model with this ``name`` attribute, Bokeh ``type`` and attribute values.

        ``LookupError`` when none or several match (say more to pick one).
        """
        if name is not None:
            attributes["name"] = name
        hits = [m["id"] for m in self.models.values()
                if (type is None or m.get("name") == type)
                and all(m.get("attributes", {}).get(k) == v for k, v in attributes.items())]
        if len(hits) != 1:
            raise LookupError(f"expected one model with type={type!r} and {attributes!r}, found {len(hits)}")
        return hits[0]

    def attribute(self, model_id: str, attr: str) -> Any:
        """An attribute of a model as the pulled document had it (decoded)."""
        return decode_value(self.models[model_id].get("attributes", {}).get(attr))

    # -------------------------------------------------------------- the page's frame clock
    def watch_frames(self, frame_name: str = "frame-clock-frame", shown_name: str = "frame-clock-shown") -> None:
        """Acknowledge the page's frames (the data sources ``frame_name`` → ``shown_name``) like a browser that
        paints each at once, so that a paced server keeps sending them; :attr:`frames` counts them."""
        self._clock = (find_model_id(self.doc, frame_name), find_model_id(self.doc, shown_name))

    async def acknowledge_frames(self, message: ProtocolMessage) -> None:
        """Answer each frame in ``message`` (a no-op without :meth:`watch_frames` or for other messages)."""
        frame_id, shown_id = self._clock
        if frame_id is None or message.msgtype != "PATCH-DOC" or frame_id not in message.content:
            return
        for event in message.json().get("events", []):
            if event.get("kind") == "ModelChanged" and event.get("model", {}).get("id") == frame_id:
                self.frames += 1
                await self.patch({"kind": "ModelChanged", "model": {"id": shown_id}, "attr": "tags",
                                  "new": event["new"]})


async def open_session(url: str, query: str = "", *, origin: str | None = None, pull: bool = True,
                       ready: bool = True, frames: bool = True, timeout: float = 60.0,
                       max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, cookies: dict | None = None) -> RawSession:
    """Open one session of the page at ``url`` (``http://host:port``, with ``query`` without its ``?``).

    Parameters
    ----------
    origin : str or None
        The ``Origin`` header of the websocket request (default: ``url``, as the page's own script sends).
    pull : bool
        Pull the document (``PULL-DOC-REQ``) and index its models.
    ready : bool
        Then send ``document_ready``, as a browser does once it has rendered the page (Panel's ``onload``).
    frames : bool
        Acknowledge the page's frames (:meth:`RawSession.watch_frames`) while reading.
    cookies : dict or None
        A cookie jar (name → value), updated from the page's ``Set-Cookie`` and sent with the page and websocket
        requests, as a browser does: through ``deploy/nginx.conf`` its route cookie keeps them on one process.
    """
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.websocket import websocket_connect

    page = f"{url}/?{query}" if query else f"{url}/"
    jar = cookies if cookies is not None else {}  # a load balancer's route cookie goes back with the websocket

    def cookie_header() -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}

    response = await AsyncHTTPClient().fetch(page, request_timeout=timeout, headers=cookie_header())
    for line in response.headers.get_list("Set-Cookie"):
        name, _, rest = line.partition("=")
        value = rest.split(";", 1)[0]
        if value:
            jar[name.strip()] = value
        else:
            jar.pop(name.strip(), None)
    html = response.body.decode()
    token = page_token(html)
    ws_url = url.replace("http", "ws", 1) + "/ws"
    conn = await websocket_connect(HTTPRequest(ws_url, headers={"Origin": origin or url, **cookie_header()},
                                               request_timeout=timeout),
                                   subprotocols=["bokeh", token], max_message_size=max_message_size)
    session = RawSession(conn=conn, url=url, token=token)
    ack = await session.read(timeout)  # the server reads nothing before it has sent its ACK
    if ack is None or ack.msgtype != "ACK":
        raise RuntimeError(f"expected the server's ACK, got {ack!r:.200}")
    if pull:
        await session.send("PULL-DOC-REQ", {})
        reply = await session.read_until(lambda m: m.msgtype == "PULL-DOC-REPLY", timeout)
        session.doc = reply.json()
        session.models = {m["id"]: m for m in iter_models(session.doc)}
        if frames:
            session.watch_frames()
    if ready:
        await session.event("document_ready")
    return session
