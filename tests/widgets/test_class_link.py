"""The "For a class" card: the ticks and ``hidden`` follow each other; the link is whatever the app writes."""

from widgets.class_link import ClassLinkControls


def test_ticks_and_hidden_follow_each_other():
    card = ClassLinkControls(options={"Model": "model", "Data": "data"})
    card.boxes.value = ["model"]
    assert card.hidden == ["model"]
    card.hidden = ["data", "model"]
    assert card.boxes.value == ["data", "model"]
    card.link = "http://x/?class=cl1.abc"
    assert card.link_box.value == "http://x/?class=cl1.abc"
