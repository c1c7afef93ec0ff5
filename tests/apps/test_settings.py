"""URL query → settings: validated, clamped, and every adjustment reported."""

import pytest

from apps.settings import PlaygroundSettings, parse_query, to_query


def test_valid_values_pass():
    values, notices = parse_query({"dataset": [b"moons"], "n_qubits": [b"2"], "n_layers": [b"8"],
                                   "resolution": [b"150"], "playing": [b"1"], "noise": [b"0.1"]})
    assert values == {"dataset": "moons", "n_qubits": 2, "n_layers": 8, "resolution": 150, "playing": True, "noise": 0.1}
    assert notices == []


@pytest.mark.parametrize("key,raw,expected", [
    ("n_qubits", b"999", 4), ("n_qubits", b"-1", 1), ("n_layers", b"0", 1), ("resolution", b"5", 20),
    ("resolution", b"100000", 200), ("steps_per_frame", b"1000", 50), ("n_samples", b"99999999", 2000),
])
def test_out_of_range_numbers_are_clamped_with_a_notice(key, raw, expected):
    values, notices = parse_query({key: [raw]})
    assert values[key] == expected
    assert len(notices) == 1 and key in notices[0] and str(expected) in notices[0]


@pytest.mark.parametrize("args", [
    {"n_qubits": [b"9" * 5000]}, {"n_qubits": [b"two"]}, {"noise": [b"nan"]}, {"noise": [b"inf"]},
    {"dataset": [b"<script>"]}, {"entangler": [b"cz-everything"]}, {"playing": [b"maybe"]},
])
def test_unusable_values_are_ignored_with_a_notice(args):
    values, notices = parse_query(args)
    assert values == {} and len(notices) == 1


def test_unknown_keys_are_reported_but_server_arguments_are_not():
    values, notices = parse_query({"evil": [b"1"], "bokeh-session-id": [b"abc"]})
    assert values == {} and len(notices) == 1 and "evil" in notices[0]


def test_learning_rate_snaps_to_an_offered_value():
    values, notices = parse_query({"learning_rate": [b"0.04"]})
    assert values["learning_rate"] == 0.05 and notices


def test_long_values_are_shortened_in_notices():
    _, notices = parse_query({"dataset": [b"a" * 39]})
    assert "a" * 30 not in notices[0]


def test_clamped_values_are_valid_settings():
    values, _ = parse_query({k: [b"100000"] for k in ("n_qubits", "n_layers", "resolution", "n_samples", "seed")})
    PlaygroundSettings(**values)  # no bound is violated


def test_to_query_round_trips():
    s = PlaygroundSettings(dataset="spiral", n_layers=9, learning_rate=0.1)
    from urllib.parse import parse_qs

    values, notices = parse_query({k: [v[0].encode()] for k, v in parse_qs(to_query(s)).items()})
    assert values == {"dataset": "spiral", "n_layers": 9, "learning_rate": 0.1} and not notices
