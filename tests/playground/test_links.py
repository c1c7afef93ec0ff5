"""Share-link codec: exact round trips, bounded decoding, one clear error for every malformed value."""

import base64
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.classifier import Classifier
from playground.links import (
    MAX_INFLATED,
    MAX_LINK_CHARS,
    LinkError,
    decode_circuit,
    decode_params,
    encode_circuit,
    encode_params,
)
from playground.spec import CircuitSpec, EntanglerSpec, GateSpec, LayerSpec

from test_spec import _apply, _edit


def test_round_trips_are_exact_and_url_safe():
    spec = CircuitSpec(
        2,
        (
            LayerSpec(((GateSpec("rx", "feature", feature=1), GateSpec("ry", "fixed", value=0.1 + 0.2)), (GateSpec("original"),)), EntanglerSpec("cnot", "pairs", ((1, 0),))),
            LayerSpec.uniform(2, entangler=EntanglerSpec("cz", "ring")),
        ),
    )
    text = encode_circuit(spec)
    assert set(text[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_circuit(text) == spec
    params = np.random.default_rng(0).normal(size=Classifier(spec).n_params) * 1e3
    assert np.array_equal(decode_params(encode_params(params), len(params)), params)


def test_a_paper_circuit_link_is_short():
    assert len(encode_circuit(CircuitSpec.paper(4, 15, entangled=True))) < 600  # 60 gates, uids included


@settings(max_examples=120, deadline=None)
@given(st.lists(_edit, max_size=12))
def test_any_edit_sequence_round_trips_through_the_link(edits):
    spec = CircuitSpec.paper(2, 3)
    for edit in edits:
        spec = _apply(spec, edit)
    assert decode_circuit(encode_circuit(spec)) == spec


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "text, message",
    [
        ("x" * (MAX_LINK_CHARS + 1), f"circuit: expected at most {MAX_LINK_CHARS} characters"),
        ("c2.abc", "circuit: expected a value starting with 'c1.'"),
        ("c1.!!!!", "circuit: expected base64url text"),
        ("c1." + _b64(b"not deflated"), "circuit: the value is damaged"),
        ("c1." + _b64(zlib.compress(b"{}")[:-3]), "circuit: the value is cut short"),
        ("c1." + _b64(zlib.compress(b"\xff\xfe")), "circuit: expected UTF-8 JSON"),
        ("c1." + _b64(zlib.compress(b"[1, 2")), "circuit: circuit: expected JSON text"),
        ("c1." + _b64(zlib.compress(b'{"n_qubits": 9, "layers": []}')), "circuit: n_qubits: expected an integer in 1..6, got 9"),
        ("c1." + _b64(zlib.compress(b"[" * 100_000 + b"]" * 100_000)), "circuit:"),
        ("c1." + _b64(zlib.compress(b" " * (MAX_INFLATED + 10), 9)), f"circuit: expected at most {MAX_INFLATED} bytes once inflated"),
    ],
)
def test_malformed_circuits_get_one_clear_error(text, message):
    with pytest.raises(LinkError) as err:
        decode_circuit(text)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "text, n, message",
    [
        (encode_params(np.zeros(5)), 6, "params: expected 6 numbers for this circuit, got 5"),
        ("p1." + _b64(zlib.compress(b"1234567")), None, "params: the value is damaged"),
        ("p1." + _b64(zlib.compress(np.array([np.nan]).tobytes())), None, "params: expected finite numbers"),
        ("c1." + encode_params(np.zeros(2))[3:], None, "params: expected a value starting with 'p1.'"),
    ],
)
def test_malformed_params_get_one_clear_error(text, n, message):
    with pytest.raises(LinkError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_params(text, n)


def test_encoding_rejects_non_finite_parameters():
    with pytest.raises(LinkError, match="params: expected a 1-D array of finite numbers"):
        encode_params(np.array([1.0, np.inf]))
