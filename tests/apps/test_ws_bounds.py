"""What a raw websocket client can set on a real server: refused or put back within bounds, one log line each,
no traceback, and the other sessions never notice.

The server is ``python -m apps.serve`` in a subprocess; the clients speak the Bokeh protocol directly
(:mod:`benchmarks.raw_bokeh`), so they can send what the page's own script never would.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # benchmarks/ is part of the repository, not of the installed package

from apps.input_bounds import MAX_MESSAGE_BYTES, MAX_TEXT_CHARS, MAX_UPLOAD_CHARS  # noqa: E402
from apps.settings import LEARNING_RATES  # noqa: E402
from playground.experiment import MAX_BYTES  # noqa: E402
from benchmarks.raw_bokeh import RawSession, SessionClosed, changes_of, decode_value, open_session  # noqa: E402

pytestmark = pytest.mark.server

SERVER_START_TIMEOUT = 180  # a fresh checkout compiles the Numba kernels first
REPLY_TIMEOUT = 10.0  # generous: the machine may be busy; the replies come in well under a second
SLIDER, SELECT, SPINNER, TEXT = "Slider", "panel.models.widgets.CustomSelect", "Spinner", "panel.models.widgets.TextInput"
BUTTON = "panel.models.widgets.Button"

# (Bokeh type, widget title, a value no page sends): the server must keep its own value and send it back.
OUT_OF_BOUNDS = [
    (SLIDER, "Qubits", 50),
    (SLIDER, "Qubits", -math.inf),
    (SLIDER, "Layers", 10_000),
    (SLIDER, "Picture resolution (pixels per side)", 100_000),
    (SLIDER, "Speed (steps per frame)", 10**9),
    (SLIDER, "Number of points (train + test)", 10**9),
    (SLIDER, "Noise", 5.0),
    (SLIDER, "Noise", math.nan),
    (SLIDER, "Share of points for testing", 2.0),
    (SLIDER, "Classes to draw", 10**6),
    (SELECT, "Learning rate", "1e300"),
    (SELECT, "Learning rate", "nan"),
    (SELECT, "Optimizer", "adam; rm -rf /"),
    (SELECT, "Entangler (2+ qubits)", "cz-everything"),
    (SPINNER, "x₁", 1e300),
    (SPINNER, "x₂", math.nan),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """``python -m apps.serve`` on a free port, its log in a file."""

    def __init__(self, log_path: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "apps.serve", "--port", str(self.port), "--no-browser",
             "--allow-websocket-origin", f"127.0.0.1:{self.port}", "--test-endpoints"],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not self.alive():
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app server exited with {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the app server did not answer /liveness within {SERVER_START_TIMEOUT} s")
            time.sleep(0.3)

    def alive(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/liveness", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = _Server(tmp_path_factory.mktemp("ws-bounds") / "server.log")
    yield srv
    srv.stop()


def _run(coro, timeout: float = 120.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def _assert_clean_log(server: _Server) -> None:
    log = server.log()
    assert "Traceback" not in log, f"the server logged a traceback:\n{log[-3000:]}"
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert not errors, f"the server logged errors: {errors[:5]}"


async def _reply(session: RawSession, model_id: str, attr: str = "value"):
    """The next value the server sends for ``attr`` of ``model_id``."""
    message = await session.read_until(lambda m: (model_id, attr) in changes_of(m), REPLY_TIMEOUT)
    return changes_of(message)[(model_id, attr)]


async def _error_reply(session: RawSession, msgid: str) -> str:
    """The text of the server's ERROR answer to message ``msgid``."""
    message = await session.read_until(lambda m: m.msgtype == "ERROR" and m.header.get("reqid") == msgid, REPLY_TIMEOUT)
    return message.json().get("text", "")


def _steps_in(message, status_id: str) -> int | None:
    data = changes_of(message).get((status_id, "data"))
    return int(data["n_steps"][0]) if isinstance(data, dict) and data.get("n_steps") else None


async def _step(session: RawSession) -> None:
    """Press Step and wait for the page's step counter to change (``TimeoutError`` if it does not)."""
    status = session.find_model("run-status-values")
    before = int(session.attribute(status, "data")["n_steps"][0])
    await session.click(session.find_model(type=BUTTON, label="Step"))
    await session.read_until(lambda m: (_steps_in(m, status) or before) > before, REPLY_TIMEOUT)


def _image_shape(message, image_id: str) -> list | None:
    """The shape of the decision-boundary image a frame sends (None if ``message`` has none)."""
    data = changes_of(message).get((image_id, "data"))
    return data["image"][0].get("shape") if isinstance(data, dict) and data.get("image") else None


# ------------------------------------------------------------------------------------------ tests

def test_out_of_bounds_values_are_put_back_and_the_settings_stay_in_bounds(server):
    async def attack():
        victim = await open_session(server.url)
        bystander = await open_session(server.url)
        log_start = len(server.log())
        for kind, title, bad in OUT_OF_BOUNDS:
            widget = victim.find_model(type=kind, title=title)
            kept = victim.attribute(widget, "value")
            await victim.set(widget, "value", bad)
            answer = await _reply(victim, widget)
            assert answer == kept, f"{title}: sent {bad!r}, the server kept {answer!r} instead of {kept!r}"
        await victim.drain(0.5)
        refusals = [line for line in server.log()[log_start:].splitlines() if "refused a change from a browser" in line]
        assert len(refusals) == len(OUT_OF_BOUNDS), refusals  # one plain line per refused value

        # What the session computes: the address it writes after a good change lists every setting that differs
        # from the defaults, so none of the refused values got in; a step draws a 100 x 100 picture.
        url_state = victim.find_model(type="UrlState1")
        await victim.set(victim.find_model(type=SLIDER, title="Layers"), "value", 5)
        assert await _reply(victim, url_state, "search") == "?n_layers=5"
        image = victim.find_model("boundary-image")
        await victim.click(victim.find_model(type=BUTTON, label="Step"))
        frame = await victim.read_until(lambda m: m.msgtype == "PATCH-DOC" and _image_shape(m, image), REPLY_TIMEOUT)
        assert _image_shape(frame, image) == [100, 100]

        await _step(bystander)
        await victim.close()
        await bystander.close()

    _run(attack())
    assert server.alive()
    _assert_clean_log(server)


def test_values_of_the_wrong_type_are_refused(server):
    async def attack():
        victim = await open_session(server.url)
        qubits = victim.find_model(type=SLIDER, title="Qubits")
        rate = victim.find_model(type=SELECT, title="Learning rate")
        text = await _error_reply(victim, await victim.set(qubits, "value", "three"))
        assert "expected a value of type Real" in text
        await victim.set(rate, "value", 1e300)  # a number where the select's text belongs
        assert await _reply(victim, rate) == "0.05"
        await victim.set(rate, "value", {"rate": [0.1]})
        assert await _reply(victim, rate) == "0.05"
        text = await _error_reply(victim, await victim.set("p-no-such-model", "value", 3))
        assert "p-no-such-model" in text
        await victim.set(rate, "value", str(LEARNING_RATES[-1]))  # a good value is still taken
        assert await _reply(victim, victim.find_model(type="UrlState1"), "search") == "?learning_rate=1.0"
        await _step(victim)
        await victim.close()

    _run(attack())
    assert server.alive()
    _assert_clean_log(server)


def test_oversized_text_and_bytes_are_refused(server):
    async def attack():
        victim = await open_session(server.url)
        link = victim.find_model(type=TEXT, title="Share link")
        await victim.set(link, "value", "x" * (MAX_TEXT_CHARS + 1))
        assert len(await _reply(victim, link)) < 1000  # the link the server made, sent back
        # A gzip bomb: 4 kB on the wire, 40 MB once inflated.
        bomb = base64.b64encode(gzip.compress(b"\0" * 40_000_000)).decode()
        text = await _error_reply(victim, await victim.set(link, "value", {"type": "bytes", "data": bomb}))
        assert "once inflated" in text
        upload = victim.find_model(type="FileInput")
        oversized = "A" * (MAX_UPLOAD_CHARS + 4)
        assert len(oversized) + 1000 < MAX_MESSAGE_BYTES  # within the message bound: this refusal is the gate's
        await victim.set(upload, "value", oversized)
        await victim.drain(1.0)
        await _step(victim)
        await victim.close()

    start = len(server.log())
    _run(attack())
    log = server.log()[start:]
    assert "refused a change from a browser to TextInput 'Share link'" in log
    assert "refused a change from a browser to FileInput" in log and f"expected at most {MAX_UPLOAD_CHARS}" in log
    assert server.alive()
    _assert_clean_log(server)


def test_absurd_links_from_the_page_script_are_refused(server):
    async def attack():
        victim = await open_session(server.url)
        url_state = victim.find_model(type="panel.models.esm.ReactiveESM", name="UrlState")
        qubits = victim.find_model(type=SLIDER, title="Qubits")

        async def navigate(search: str) -> None:  # what the page's script sends on Back and Forward
            await victim.event("data_event", {"model": {"id": url_state}, "data": {"search": search}})

        await navigate("?n_qubits=3&circuit=c1." + "A" * 30_000)
        seen: dict = {}

        def notice_and_qubits(m) -> bool:
            if "could not be read" in m.content and "16000 characters" in m.content:  # the link's own bound
                seen["notice"] = True
            seen.update({"qubits": v for k, v in changes_of(m).items() if k == (qubits, "value")})
            return "notice" in seen and "qubits" in seen

        await victim.read_until(notice_and_qubits, REPLY_TIMEOUT)
        assert seen["qubits"] == 3  # the rest of the address still applies
        await navigate("?drawing=1&points=d1." + "B" * 30_000)
        await victim.read_until(lambda m: "drawn points in this link could not be read" in m.content, REPLY_TIMEOUT)
        await navigate("?n_qubits=2&" + "x" * (MAX_TEXT_CHARS + 1))  # longer than any text a page sends
        assert not any((qubits, "value") in changes_of(m) for m in await victim.drain(1.0))  # refused whole
        await navigate("?n_qubits=2")  # and a good address is still followed
        assert await _reply(victim, qubits) == 2
        await _step(victim)
        await victim.close()

    start = len(server.log())
    _run(attack())
    assert "refused a 'data_event' event from a browser for UrlState" in server.log()[start:]
    assert server.alive()
    _assert_clean_log(server)


def test_experiment_files_are_opened_or_refused_with_a_reason(server):
    from apps.playground_app import PlaygroundApp

    app = PlaygroundApp({"n_layers": [b"7"], "noise": [b"0.1"]}).start()
    app.settings.step = True
    good = app.make_file("experiment").encode()
    too_large = good + b" " * (MAX_BYTES + 1 - len(good))  # valid JSON, one byte over an experiment file's bound

    async def upload():
        victim = await open_session(server.url)
        upload = victim.find_model(type="FileInput")
        layers = victim.find_model(type=SLIDER, title="Layers")

        async def send(data: bytes, name: str) -> None:  # what the page's file input sends
            await victim.patch(*[{"kind": "ModelChanged", "model": {"id": upload}, "attr": attr, "new": value}
                                 for attr, value in (("mime_type", "application/json"), ("filename", name),
                                                     ("value", base64.b64encode(data).decode()))])

        await send(good, "run.json")
        assert await _reply(victim, layers) == 7
        await send(too_large, "big.json")
        await victim.read_until(lambda m: f"Could not open big.json: experiment: expected at most {MAX_BYTES} bytes"
                                in m.content, REPLY_TIMEOUT)
        await victim.close()

    _run(upload())
    _assert_clean_log(server)


@pytest.mark.parametrize("header, metadata, content", [
    ("{not json", "{}", "{}"),
    ('{"msgid": "x1", "msgtype": "NO-SUCH-TYPE"}', "{}", "{}"),
    ('{"msgid": "x2"}', "{}", "{}"),
    ('{"msgid": "x3", "msgtype": "PATCH-DOC"}', "{}", '{"events": [{"kind": "NoSuchEvent"}]}'),
    ('{"msgid": "x4", "msgtype": "PATCH-DOC"}', "{}", "[1, 2"),
], ids=["garbage-json", "unknown-msgtype", "no-msgtype", "unknown-event", "truncated-content"])
def test_malformed_messages_concern_only_their_connection(server, header, metadata, content):
    async def attack():
        bystander = await open_session(server.url)
        attacker = await open_session(server.url)
        await attacker.send_raw(header, metadata, content)
        assert await _answer(attacker) in ("closed", "error")
        await _step(bystander)
        await bystander.close()
        await attacker.close()

    _run(attack())
    assert server.alive()
    _assert_clean_log(server)


async def _answer(session: RawSession) -> str:
    """How the server answered a bad message: ``closed`` the connection or sent an ``error`` back."""
    try:
        await session.read_until(lambda m: m.msgtype == "ERROR", REPLY_TIMEOUT)
    except SessionClosed:
        return "closed"
    return "error"


def test_a_30_mb_message_is_refused_and_the_server_carries_on(server):
    async def attack():
        bystander = await open_session(server.url)
        attacker = await open_session(server.url)
        rate = attacker.find_model(type=SELECT, title="Learning rate")
        huge = '{"events": [{"kind": "ModelChanged", "model": {"id": "%s"}, "attr": "value", "new": "%s"}]}' % (
            rate, "9" * 30_000_000)
        try:
            await attacker.send_raw('{"msgid": "big", "msgtype": "PATCH-DOC"}', "{}", huge)
        except SessionClosed:  # the server may close before the last bytes are written
            pass
        # Tornado refuses it as its length arrives, before reading it whole, and drops the connection (its close
        # frame, 1009 "message too big", may not get through before that).
        assert await attacker.wait_closed(REPLY_TIMEOUT) in (None, 1009)
        await _step(bystander)
        await bystander.close()

    _run(attack())
    assert server.alive()
    _assert_clean_log(server)
