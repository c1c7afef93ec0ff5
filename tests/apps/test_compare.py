"""Compare: a pinned run stays beside the live one, and both travel in the link."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from apps.compare import MAX_PIN_CHARS, decode_pin, encode_pin
from apps.playground_app import PlaygroundApp


def _page(query: str = "") -> PlaygroundApp:
    args = {k: [v[-1].encode()] for k, v in parse_qs(query.lstrip("?"), keep_blank_values=True).items()}
    return PlaygroundApp(args).start()


def _steps(app: PlaygroundApp, n: int) -> None:
    for _ in range(n):
        app.settings.step = True


def test_pin_then_change_layers_and_both_panels_show_their_own_numbers_and_travel_in_the_link():
    app = _page("n_layers=1&learning_rate=0.1")
    _steps(app, 8)
    app.pin()
    pinned = app.pin_status.object
    assert app._pin_card.visible and "1 qubit · 1 layer · fidelity · circle" in pinned and ">8<" in pinned
    app.settings.n_layers = 6
    _steps(app, 8)
    assert app.pin_status.object == pinned  # the pinned run does not move
    live = app.session.frame
    assert f">{live.test_accuracy:.3f}<" not in pinned
    address = app._address()
    assert "pin=pin1." in address and "n_layers=6" in address
    other = _page(address)
    assert other._pin_card.visible and other.pin_status.object == pinned
    assert other.settings.n_layers == 6
    image = other.pin_boundary.image_source.data["image"][0]
    assert image.tobytes() == app.pin_boundary.image_source.data["image"][0].tobytes()
    app.unpin()
    assert not app._pin_card.visible and "pin=" not in app._address()


@pytest.mark.parametrize("token", ["pin1.@@", "nonsense", "pin1." + "A" * (MAX_PIN_CHARS + 1),
                                   encode_pin("n_layers=banana"), encode_pin("n_layers=2&k=k1.broken")])
def test_a_bad_pinned_run_is_one_notice_and_the_live_page(token):
    app = _page(f"pin={token}&n_layers=2")
    assert "pinned run" in app._notice.object and not app._pin_card.visible
    assert app.settings.n_layers == 2 and app.session.frame.error is None


def test_the_token_round_trips_and_refuses_a_deflate_bomb():
    assert decode_pin(encode_pin("n_layers=3&cost=fidelity")) == ("n_layers=3&cost=fidelity", [])
    query, notices = decode_pin(encode_pin("x" * 200_000))
    assert query is None and notices
