"""The hostile-input pass of ``benchmarks/bench_reliability.py`` against a real server, on a sample of its cases
(the benchmark sends them all): after each, the server still answers, another visitor's Step still answers, and
nothing from the input reaches the page's markup unescaped; the log holds no traceback, and each refused connection
costs one line."""

from __future__ import annotations

import asyncio
import re
import secrets
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from apps.hardening import MAX_TOKEN_CHARS, token_refusal  # noqa: E402
from benchmarks.hostile import ADDRESSES, FILES, connection_cases, run_hostile_pass, unescaped_tags, ws_messages  # noqa: E402
from benchmarks.serving import PlaygroundServer  # noqa: E402

SAMPLE = {
    "address": {"qubits far too many", "grid 100000", "learning rate NaN", "dataset markup", "circuit script",
                "class link markup", "lesson markup", "checkpoint bad utf-8", "query of 20000 characters",
                "autoload with a javascript: URL"},
    "websocket": {"plain text", "header not JSON", "unknown msgtype", "unknown model id", "slider value a string",
                  "nested 50000 deep", "buffers promised, never sent", "a client-pushed document", "a 30 MB message"},
    "connection": None,  # all of them
    "file": {"not JSON", "nested 100000 deep", "6 MB", "markup in the file name", "markup in a CSV name",
             "NaN parameters"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with PlaygroundServer(tmp_path_factory.mktemp("hostile") / "server.log") as s:
        yield s


def _run(server, kind: str):
    wanted = SAMPLE[kind]
    outcomes = asyncio.run(run_hostile_pass(server.url, secret_key=server.env["BOKEH_SECRET_KEY"], kinds=(kind,),
                                            select=lambda k, case: wanted is None or case in wanted))
    assert len(outcomes) == (len(wanted) if wanted is not None else len(connection_cases(server.url, "k")))
    failed = [o for o in outcomes if not o.held]
    assert not failed, failed
    log = server.log_text()
    assert "Traceback" not in log, log[log.index("Traceback") - 300:][:3000]
    return outcomes, log


def test_the_sample_names_real_cases():
    names = {"address": {c for c, _ in ADDRESSES}, "file": {c for c, _, _ in FILES},
             "websocket": {c for c, _ in ws_messages(type("D", (), {"models_of_type": staticmethod(lambda t: [])})())}}
    for kind, cases in names.items():
        assert SAMPLE[kind] <= cases, SAMPLE[kind] - cases
    assert len(ADDRESSES) >= 50 and len(FILES) >= 20 and len(names["websocket"]) >= 20


def test_malformed_addresses_held(server):
    _run(server, "address")


def test_malformed_websocket_messages_held(server):
    _, log = _run(server, "websocket")
    assert re.search(r"WARNING refused an unreadable websocket message \(JSONDecodeError\)", log)


def test_forged_replayed_and_foreign_connections_held(server):
    outcomes, log = _run(server, "connection")
    assert {o.case for o in outcomes} >= {"random token", "wrong Origin", "expired token signed with the server's key",
                                          "replayed token of a closed session"}
    # One line per refused connection, naming the reason.
    assert "refused a websocket with a session token with an invalid signature" in log
    assert "refused a websocket with a session token that is not ASCII" in log
    assert "refused a websocket with an expired session token" in log
    assert "refused a websocket request without an Origin" in log


def test_malformed_experiment_files_held(server):
    _run(server, "file")


# ---------------------------------------------------------------------------------------------- the checks themselves

def test_token_refusal_names_every_kind_of_bad_token():
    key = b"k" * 32
    assert token_refusal(None, secret_key=key, signed=True) == "no session token"
    assert "characters" in token_refusal("a" * (MAX_TOKEN_CHARS + 1), secret_key=key, signed=True)
    assert "not ASCII" in token_refusal("cl\xe9", secret_key=key, signed=True)
    assert "cannot be decoded" in token_refusal("\x00\x01", secret_key=key, signed=True) or \
        "invalid signature" in token_refusal("\x00\x01", secret_key=key, signed=True)
    assert "invalid signature" in token_refusal("abc.def", secret_key=key, signed=True) or \
        "cannot be decoded" in token_refusal("abc.def", secret_key=key, signed=True)
    from bokeh.util.token import generate_jwt_token, generate_session_id

    sid = generate_session_id(secret_key=key, signed=True)
    good = generate_jwt_token(sid, secret_key=key, signed=True, expiration=300)
    assert token_refusal(good, secret_key=key, signed=True) is None
    expired = generate_jwt_token(sid, secret_key=key, signed=True, expiration=-5)
    assert token_refusal(expired, secret_key=key, signed=True) == "an expired session token"
    assert "invalid signature" in token_refusal(good, secret_key=b"x" * 32, signed=True)
    # A share link with a trained model makes a long token (it carries the page's query): it is a good one.
    long_token = generate_jwt_token(sid, secret_key=key, signed=True, expiration=300,
                                    extra_payload={"arguments": {"k": ["k1." + secrets.token_urlsafe(36_000)]}})
    assert len(long_token) > 40_000 and token_refusal(long_token, secret_key=key, signed=True) is None


def test_unescaped_tags_sees_a_tag_and_not_its_escaped_text():
    models = {"a": {"name": "Div", "id": "a", "attributes": {"text": 'ok <b class="pgx">x</b>'}},
              "b": {"name": "panel.models.markup.HTML", "id": "b", "attributes": {"text": "&lt;img src=x onerror=pgx()&gt;"}},
              "c": {"name": "panel.models.markup.HTML", "id": "c", "attributes": {"text": "&amp;lt;b class=pgx&amp;gt;"}}}
    found = unescaped_tags(models)
    assert len(found) == 2 and found[0].startswith("Div a") and found[1].startswith("panel.models.markup.HTML b")
    events = [{"kind": "ModelChanged", "model": {"id": "c"}, "attr": "text", "new": "&lt;script&gt;pgx()"}]
    assert any(f.startswith("panel.models.markup.HTML c") for f in unescaped_tags(models, events))
