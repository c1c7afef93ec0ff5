"""What a stranger on the internet may send a public playground, and the check that the server held.

Four kinds of input, each a list of named cases: malformed addresses (:data:`ADDRESSES`), malformed websocket
messages (:func:`ws_messages`), forged, replayed and wrongly-originated connections (:func:`connection_cases`), and
malformed experiment files sent through the page's upload (:data:`FILES`). :func:`run_hostile_pass` sends every case
to a running server and, after each, checks that it *held*: the server still answers, another session (the probe)
still answers a Step click within :data:`PROBE_LIMIT_S`, and no markup the page renders carries an unescaped tag
from the input (every payload that could become a tag carries the marker ``pgx``). The server's log is checked for
tracebacks by the caller, once the pass is over. The reliability benchmark and the test suite both run it.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import html
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .raw_bokeh import RawSession, SessionClosed, iter_models, open_session

__all__ = ["ADDRESSES", "FILES", "Outcome", "Probe", "connection_cases", "ws_messages", "run_hostile_pass",
           "unescaped_tags", "PROBE_LIMIT_S"]

PROBE_LIMIT_S = 5.0
XSS = '<b class="pgx">x</b>'
IMG = "<img src=x onerror=pgx()>"
SCRIPT = "<script>pgx()</script>"
SVG = "'\"><svg onload=pgx()>"
_TAG = re.compile(r"<[^<>]*pgx|<script\b[^>]*>[^<]*pgx", re.I)  # a tag, or a script, made from the input
_MARKUP_TYPES = ("Div", "Paragraph", "panel.models.markup.HTML", "bokeh.models.dom.HTML", "panel.models.markup.JSON")


def _q(text: str) -> str:
    return urllib.request.quote(text, safe="")


# ------------------------------------------------------------------------------------------ addresses (paths + queries)
ADDRESSES: list[tuple[str, str]] = [
    ("qubits far too many", "/?n_qubits=50"),
    ("qubits negative", "/?n_qubits=-1"),
    ("qubits 1e9", "/?n_qubits=1e9"),
    ("qubits NaN", "/?n_qubits=NaN"),
    ("qubits inf", "/?n_qubits=inf"),
    ("qubits NUL", "/?n_qubits=%00"),
    ("layers 10000", "/?n_layers=10000"),
    ("layers 0", "/?n_layers=0"),
    ("grid 100000", "/?resolution=100000"),
    ("grid negative", "/?resolution=-5"),
    ("learning rate 1e300", "/?learning_rate=1e300"),
    ("learning rate NaN", "/?learning_rate=nan"),
    ("batch 0", "/?batch_size=0"),
    ("steps per frame 1e9", "/?steps_per_frame=1000000000"),
    ("points 1e9", "/?n_samples=1000000000"),
    ("noise 1e9", "/?noise=1e9"),
    ("test fraction 2", "/?test_fraction=2"),
    ("seed negative", "/?seed=-1"),
    ("seed 20 digits", "/?seed=99999999999999999999"),
    ("dataset markup", "/?dataset=" + _q(XSS)),
    ("dataset path", "/?dataset=../../etc/passwd"),
    ("optimizer eval", "/?optimizer=eval"),
    ("cost NUL", "/?cost=%00"),
    ("readout dunder", "/?readout=__class__"),
    ("entangler svg", "/?entangler=" + _q(SVG)),
    ("encoding custom, circuit {}", "/?encoding=custom&circuit=%7B%7D"),
    ("circuit 5000 chars", "/?circuit=" + "A" * 5000),
    ("circuit script", "/?circuit=" + _q(SCRIPT)),
    ("circuit bad code", "/?circuit=c1.%2F%2F%2F%2F"),
    ("points junk", "/?drawing=1&points=d1.AAAA"),
    ("points 10000 chars", "/?drawing=1&points=d1." + "z" * 10000),
    ("draw classes 100", "/?drawing=1&draw_classes=100"),
    ("draw class -3", "/?drawing=1&draw_class=-3"),
    ("checkpoint junk", "/?k=" + base64.urlsafe_b64encode(b"\x00\xff" * 40).decode()),
    ("checkpoint bad utf-8", "/?k=%ff%fe"),
    ("class link markup", "/?class=" + _q(IMG)),
    ("pin junk", "/?pin=" + _q(IMG)),
    ("lesson markup", "/?lesson=" + _q(XSS)),
    ("lesson step -5", "/?lesson=first-steps&step=-5"),
    ("lesson step 1e9", "/?lesson=first-steps&step=1000000000"),
    ("step letters", "/?step=abc"),
    ("playing maybe", "/?playing=maybe"),
    ("show_test markup", "/?show_test=" + _q(SCRIPT)),
    ("projector 2", "/?projector=2"),
    ("paper start on a drawn plane", "/?init=paper&drawing=1"),
    ("the largest model, playing", "/?playing=1&n_qubits=4&n_layers=15&resolution=200&steps_per_frame=50"),
    ("3000-character key", "/?" + "a" * 3000 + "=1"),
    ("bad percent escape", "/?%ZZ=1&n_qubits=%G1"),
    ("one key 50 times", "/?" + "&".join(["n_qubits=2"] * 50)),
    ("empty keys", "/?=&=&&=1"),
    ("right-to-left override", "/?dataset=%E2%80%AEelcric"),
    ("emoji", "/?dataset=%F0%9F%92%A9"),
    ("query of 20000 characters", "/?x=" + "y" * 20000),
    ("dot-dot path", "/%2e%2e/%2e%2e/etc/passwd"),
    ("static dot-dot", "/static/../../../etc/passwd"),
    ("websocket path by GET", "/ws"),
    ("autoload with a javascript: URL", "/autoload.js?bokeh-absolute-url=javascript:pgx()"),
    ("metadata", "/metadata"),
    ("unknown path", "/admin"),
    ("liveness with a query", "/liveness?x=" + _q(XSS)),
]


# ------------------------------------------------------------------------------------------ experiment files
def _experiment(**changes: Any) -> dict:
    base = {
        "format": "reuploading-playground/experiment", "version": 1,
        "circuit": {"n_qubits": 1, "n_layers": 2, "n_features": 2},
        "model": {"n_classes": 2, "cost": "fidelity", "strategy": "state"},
        "data": {"dataset": "circle", "n_train": 200, "n_test": 400, "noise": 0.0, "seed": 30, "n_classes": None},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "batch_size": 32, "seed": 30, "init": "uniform",
                     "epochs": 10, "restarts": 1, "kept_seed": 30},
        "params": None, "history": None, "metrics": None,
    }
    for path, value in changes.items():
        node = base
        *parents, leaf = path.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return base


def _js(obj: Any) -> bytes:
    return json.dumps(obj).encode()


FILES: list[tuple[str, str, bytes]] = [  # (case, file name, content)
    ("empty", "empty.json", b""),
    ("not JSON", "notes.json", b"this is not JSON"),
    ("random bytes", "noise.json", bytes(range(256)) * 8),
    ("gzip", "run.json.gz", gzip.compress(b'{"format": 1}')),
    ("UTF-16", "utf16.json", '{"format": "x"}'.encode("utf-16")),
    ("a JSON list", "list.json", b"[1, 2, 3]"),
    ("a JSON string", "string.json", b'"experiment"'),
    ("an empty object", "empty-object.json", b"{}"),
    ("wrong format tag", "wrong.json", _js(_experiment(format="something/else"))),
    ("version 99", "v99.json", _js(_experiment(version=99))),
    ("50 qubits", "big.json", _js(_experiment(circuit__n_qubits=50))),
    ("10000 layers", "deep.json", _js(_experiment(circuit__n_layers=10000))),
    ("learning rate 1e300", "lr.json", _js(_experiment(training__learning_rate=1e300))),
    ("infinite number", "inf.json", _js(_experiment()).replace(b'"noise": 0.0', b'"noise": 1e999')),
    ("NaN parameters", "nan.json", _js(_experiment(params=["NaN"] * 4))),
    ("a million parameters", "many.json", _js(_experiment(params=[0.1] * 1_000_000))),
    ("nested 100000 deep", "nested.json", b"[" * 100_000 + b"]" * 100_000),
    ("6 MB", "huge.json", b'{"pad": "' + b"x" * 6_000_000 + b'"}'),
    ("markup in the file name", IMG + ".json", b"{}"),
    ("markup in the dataset", "xss.json", _js(_experiment(data__dataset=SCRIPT))),
    ("markup in a CSV name", "csv.json", _js(_experiment(data__dataset="csv", data__name=XSS))),
    ("negative sizes", "neg.json", _js(_experiment(data__n_train=-5))),
    ("unknown key", "extra.json", _js({**_experiment(), "__proto__": {"admin": True}})),
    ("trailing garbage", "tail.json", _js(_experiment()) + b"}}}"),
    ("file name 5000 characters", "a" * 5000 + ".json", b"{}"),
]


# ------------------------------------------------------------------------------------------ websocket messages
class _NoDocument:
    """Stands in for a session when only the cases' names are wanted."""

    @staticmethod
    def models_of_type(type_name: str) -> list:
        return []


def ws_messages(attacker: RawSession) -> list[tuple[str, Callable[[RawSession], Awaitable[None]]]]:
    """Malformed or hostile messages for the attacker's own session (model ids from its own document)."""
    slider = next((m["id"] for m in attacker.models_of_type("Slider")), "p0")
    source = next((m["id"] for m in attacker.models_of_type("ColumnDataSource")), "p0")
    div = next((m["id"] for m in attacker.models_of_type("Div")), "p0")

    def raw(*parts: Any):
        async def send(s: RawSession) -> None:
            await s.send_raw(*parts)
        return send

    def patch(*events: dict):
        async def send(s: RawSession) -> None:
            await s.patch(*events)
        return send

    def changed(model: str, attr: str, new: Any) -> dict:
        return {"kind": "ModelChanged", "model": {"id": model}, "attr": attr, "new": new}

    async def big(s: RawSession) -> None:
        await s.send_raw({"msgid": "big", "msgtype": "PATCH-DOC"}, {}, "x" * (30 * 1024 * 1024))

    async def many_pulls(s: RawSession) -> None:
        for _ in range(50):
            await s.send("PULL-DOC-REQ", {})

    async def many_ready(s: RawSession) -> None:
        for _ in range(100):
            await s.event("document_ready")

    async def binary_first(s: RawSession) -> None:
        await s.conn.write_message(b"\x00\x01\x02", binary=True)

    deep = "[" * 50_000 + "]" * 50_000
    return [
        ("plain text", raw("hello", "there", "server")),
        ("binary first fragment", binary_first),
        ("header not JSON", raw("{not json", "{}", "{}")),
        ("header a list", raw("[]", "{}", "{}")),
        ("header without msgtype", raw({"msgid": "a"}, {}, {})),
        ("unknown msgtype", raw({"msgid": "a", "msgtype": "EVIL"}, {}, {})),
        ("server's msgtype", raw({"msgid": "a", "msgtype": "PULL-DOC-REPLY"}, {}, {"doc": {}})),
        ("content not JSON", raw({"msgid": "a", "msgtype": "PATCH-DOC"}, {}, "{{{")),
        ("events not a list", patch({"kind": "ModelChanged"})),
        ("unknown event kind", patch({"kind": "RootAdded", "model": {"id": "p1"}})),
        ("unknown model id", patch(changed("no-such-model", "value", 1))),
        ("unknown attribute", patch(changed(slider, "no_such_attr", 1))),
        ("slider value a string", patch(changed(slider, "value", "fifty"))),
        ("slider value 1e308", patch(changed(slider, "value", 1e308))),
        ("slider bounds moved", patch(changed(slider, "end", 10_000), changed(slider, "value", 10_000))),
        ("markup into a Div", patch(changed(div, "text", SCRIPT))),
        ("a data source's columns replaced", patch(changed(source, "data", {"type": "map", "entries": [["x", list(range(100_000))]]}))),
        ("nested 50000 deep", raw({"msgid": "a", "msgtype": "PATCH-DOC"}, {}, '{"events": ' + deep + "}")),
        ("buffers promised, never sent", raw({"msgid": "a", "msgtype": "PATCH-DOC", "num_buffers": 5}, {}, {"events": []})),
        ("negative buffer count", raw({"msgid": "a", "msgtype": "PATCH-DOC", "num_buffers": -1}, {}, {"events": []})),
        ("a client-pushed document", raw({"msgid": "a", "msgtype": "PUSH-DOC"}, {}, {"doc": {"roots": []}})),
        ("50 document pulls at once", many_pulls),
        ("100 document_ready events", many_ready),
        ("a 30 MB message", big),
    ]


# ------------------------------------------------------------------------------------------ checks
def unescaped_tags(models: dict[str, dict], events: list[dict] | None = None) -> list[str]:
    """Markup the page would render that holds a tag made from hostile input (a tag containing ``pgx``).

    ``models``: id → serialized model (a pulled document); ``events``: later ``ModelChanged`` events to apply.
    Panel's HTML model sends its HTML escaped once more (the browser unescapes it before rendering), so its text
    is unescaped once before the check.
    """
    texts: dict[str, tuple[str, str]] = {}
    for mid, model in models.items():
        if model.get("name") in _MARKUP_TYPES:
            text = (model.get("attributes") or {}).get("text")
            if isinstance(text, str):
                texts[mid] = (model["name"], text)
    for event in events or ():
        mid = (event.get("model") or {}).get("id")
        if event.get("kind") == "ModelChanged" and event.get("attr") == "text" and mid in models \
                and models[mid].get("name") in _MARKUP_TYPES and isinstance(event.get("new"), str):
            texts[mid] = (models[mid]["name"], event["new"])
    found = []
    for mid, (kind, text) in texts.items():
        rendered = html.unescape(text) if kind.startswith("panel.models.markup") else text
        if _TAG.search(rendered):
            found.append(f"{kind} {mid}: {rendered[:160]!r}")
    return found


class Probe:
    """Another visitor's session, paused: :meth:`responsive` presses its Step button and waits for the frame of that
    step to arrive."""

    def __init__(self, session: RawSession):
        self.session = session
        self.step_button = session.find_model(type="panel.models.widgets.Button", label="Step")
        self.frame = session.find_model("frame-clock-frame")  # its tags change with every frame the server sends
        self.latencies: list[float] = []

    @classmethod
    async def open(cls, url: str) -> "Probe":
        return cls(await open_session(url))

    async def responsive(self, timeout: float = PROBE_LIMIT_S) -> float:
        """Seconds from the click to the step's frame; ``TimeoutError`` past ``timeout``."""
        t0 = time.perf_counter()
        await self.session.click(self.step_button)
        await self.session.read_until(lambda m: (self.frame, "tags") in _changes(m), timeout)
        self.latencies.append(time.perf_counter() - t0)
        return self.latencies[-1]


def _changes(message) -> set:
    if message.msgtype != "PATCH-DOC":
        return set()
    return {((e.get("model") or {}).get("id"), e.get("attr")) for e in message.json().get("events", [])
            if e.get("kind") == "ModelChanged"}


@dataclass
class Outcome:
    kind: str
    case: str
    held: bool
    detail: str = ""


def _get(url: str, timeout: float = 30.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


async def _alive(url: str) -> bool:
    status, _ = await asyncio.to_thread(_get, f"{url}/liveness", 10.0)
    return status == 200


async def _held(url: str, probe: Probe, kind: str, case: str, problems: list[str]) -> Outcome:
    if not await _alive(url):
        problems.append("the server stopped answering /liveness")
    try:
        await probe.responsive()
    except (TimeoutError, asyncio.TimeoutError, SessionClosed) as err:
        problems.append(f"the probe session did not answer a Step ({type(err).__name__})")
    return Outcome(kind, case, not problems, "; ".join(problems))


async def _check_address(url: str, path: str, probe: Probe) -> list[str]:
    problems: list[str] = []
    status, body = await asyncio.to_thread(_get, url + path)
    if status >= 500:
        problems.append(f"HTTP {status}")
    if _TAG.search(body) and path.startswith("/?"):
        problems.append("the page's HTML holds a tag from the address")
    if status == 200 and path.startswith("/?"):
        session = await open_session(url, path[2:])
        try:
            messages = await session.drain(1.0)
            events = [e for m in messages if m.msgtype == "PATCH-DOC" for e in m.json().get("events", [])]
            problems += unescaped_tags(session.models, events)
        finally:
            await session.close()
    return problems


async def _check_file(url: str, name: str, content: bytes) -> list[str]:
    problems: list[str] = []
    session = await open_session(url)
    try:
        upload = session.find_model(type="FileInput")
        await session.drain(0.5)
        await session.patch(
            {"kind": "ModelChanged", "model": {"id": upload}, "attr": "mime_type", "new": "application/json"},
            {"kind": "ModelChanged", "model": {"id": upload}, "attr": "filename", "new": name},
            {"kind": "ModelChanged", "model": {"id": upload}, "attr": "value",
             "new": base64.b64encode(content).decode()})
        messages = await session.drain(1.5)
        events = [e for m in messages if m.msgtype == "PATCH-DOC" for e in m.json().get("events", [])]
        problems += unescaped_tags(session.models, events)
    except SessionClosed:
        pass  # the server refused the message (too large): that is holding
    finally:
        await session.close()
    return problems


async def run_hostile_pass(url: str, *, secret_key: str | None = None, kinds: tuple[str, ...] = (
        "address", "websocket", "connection", "file"), select: Callable[[str, str], bool] | None = None,
        log: Callable[[str], None] = lambda s: None) -> list[Outcome]:
    """Send every case of ``kinds`` (those ``select(kind, case)`` keeps, when given) to the server at ``url``; one
    :class:`Outcome` per case, in order. ``secret_key``: the server's, for the expired-token case."""
    keep = select or (lambda kind, case: True)
    probe = await Probe.open(url)
    out: list[Outcome] = []
    try:
        if "address" in kinds:
            for case, path in ADDRESSES:
                if not keep("address", case):
                    continue
                problems = await _check_address(url, path, probe)
                out.append(await _held(url, probe, "address", case, problems))
        if "websocket" in kinds:
            names = [case for case, _ in ws_messages(_NoDocument())]
            for index, name in enumerate(names):
                if not keep("websocket", name):
                    continue
                problems: list[str] = []
                attacker = await open_session(url)
                case, send = ws_messages(attacker)[index]
                try:
                    await send(attacker)
                    await attacker.drain(0.5)
                except (SessionClosed, OSError):
                    pass  # the server closed the attacker's connection: refused
                finally:
                    await attacker.close()
                out.append(await _held(url, probe, "websocket", case, problems))
        if "connection" in kinds:
            for case, attempt, must_refuse in connection_cases(url, secret_key):
                if not keep("connection", case):
                    continue
                problems = []
                accepted = await attempt()
                if accepted and must_refuse:
                    problems.append("the server accepted it")
                outcome = await _held(url, probe, "connection", case, problems)
                if not must_refuse:
                    outcome.detail = outcome.detail or ("accepted (the same visitor's own session)" if accepted
                                                        else "refused")
                out.append(outcome)
        if "file" in kinds:
            for case, name, content in FILES:
                if not keep("file", case):
                    continue
                problems = await _check_file(url, name, content)
                out.append(await _held(url, probe, "file", case, problems))
                log(f"file {case}: {'held' if out[-1].held else out[-1].detail}")
    finally:
        await probe.session.close()
    return out


# ------------------------------------------------------------------------------------------ connections
def connection_cases(url: str, secret_key: str | None) -> list[tuple[str, Callable[[], Awaitable[bool]], bool]]:
    """Websocket connections: (case, attempt, must the server refuse it). Each attempt returns True if the server
    accepted the connection (sent its ACK). A replayed token is the token's own holder coming back (Bokeh lets a
    page reconnect to its session while its token lasts): the server need not refuse it, only hold."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import WebSocketClosedError, websocket_connect

    ws_url = url.replace("http", "ws", 1) + "/ws"

    async def attempt(token: str | None, origin: str | None = url, subprotocols: list[str] | None = None) -> bool:
        headers = {"Origin": origin} if origin is not None else {}
        protocols = subprotocols if subprotocols is not None else ["bokeh", token]
        try:
            conn = await websocket_connect(HTTPRequest(ws_url, headers=headers, request_timeout=10),
                                           subprotocols=protocols)
        except (HTTPClientError, OSError, WebSocketClosedError):
            return False
        try:
            first = await asyncio.wait_for(conn.read_message(), 3)
            return first is not None and "ACK" in first
        except (asyncio.TimeoutError, TimeoutError):
            return False
        finally:
            conn.close()

    async def live_token() -> str:
        session = await open_session(url)
        await session.close()
        return session.token

    def forged(payload: dict, key: bytes) -> str:
        import hashlib
        import hmac

        body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        sig = base64.urlsafe_b64encode(hmac.new(key, body.encode(), hashlib.sha256).digest()).decode().rstrip("=")
        return f"{body}.{sig}"

    async def replay_closed() -> bool:
        token = await live_token()
        await asyncio.sleep(6.0)  # the closed session is destroyed meanwhile
        return await attempt(token)

    async def replay_live() -> bool:
        session = await open_session(url)
        try:
            return await attempt(session.token)
        finally:
            await session.close()

    future = int(time.time()) + 300
    cases: list[tuple[str, Callable[[], Awaitable[bool]], bool]] = [
        ("random token", lambda: attempt("abcdef"), True),
        ("token of undecodable bytes", lambda: attempt(base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode()), True),
        ("token not ASCII", lambda: attempt("cl\xe9\xff"), True),
        ("token of 100000 characters", lambda: attempt("a" * 100_000), True),
        ("well-formed token, forged signature", lambda: attempt(
            forged({"session_id": "x" * 44, "session_expiry": future}, b"not the server's key")), True),
        ("no token", lambda: attempt(None, subprotocols=["bokeh"]), True),
        ("three subprotocols", lambda: attempt(None, subprotocols=["bokeh", "a", "b"]), True),
        ("wrong subprotocol", lambda: attempt(None, subprotocols=["chat", "a"]), True),
        ("wrong Origin", lambda: _with_live_token(live_token, lambda t: attempt(t, origin="http://evil.example")), True),
        ("no Origin", lambda: _with_live_token(live_token, lambda t: attempt(t, origin=None)), True),
        ("Origin null", lambda: _with_live_token(live_token, lambda t: attempt(t, origin="null")), True),
        ("replayed token of a live session", replay_live, False),
        ("replayed token of a closed session", replay_closed, False),
    ]
    if secret_key:
        key = secret_key.encode()
        cases.append(("expired token signed with the server's key", lambda: attempt(
            _signed_token(key, expiry=int(time.time()) - 10)), True))
    return cases


async def _with_live_token(make: Callable[[], Awaitable[str]], use: Callable[[str], Awaitable[bool]]) -> bool:
    return await use(await make())


def _signed_token(key: bytes, *, expiry: int) -> str:
    """A token as Bokeh signs it, with this expiry (for an expired-token case: only the server's owner can sign)."""
    from bokeh.util.token import generate_jwt_token, generate_session_id

    session_id = generate_session_id(secret_key=key, signed=True)
    return generate_jwt_token(session_id, secret_key=key, signed=True, expiration=expiry - int(time.time()))
