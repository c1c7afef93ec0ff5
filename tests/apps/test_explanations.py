"""Every view has a plain-words explanation with its formula, collapsed beside it, one click away."""

from __future__ import annotations

from html import escape

import pytest

from apps.explanations import EXPLANATIONS, VIEWS, load_explanations
from apps.playground_app import PlaygroundApp


def test_every_view_has_its_explanation_collapsed_beside_it():
    app = PlaygroundApp().start()
    cards = {c.name: c for c in app._layout.select(lambda o: getattr(o, "name", "").startswith("explain-"))}
    assert set(cards) == {f"explain-{v}" for v in VIEWS}
    for view in VIEWS:
        card = cards[f"explain-{view}"]
        assert card.collapsed and card.title == "What does this show?"
        assert card in app._groups[view].objects  # inside the view's own card: hidden with it
        html = card.objects[0].object
        assert escape(EXPLANATIONS[view].text) in html and escape(EXPLANATIONS[view].formula) in html
        sentences = EXPLANATIONS[view].text.count(". ") + 1
        assert 2 <= sentences <= 5 and "<" not in EXPLANATIONS[view].text


FULL = "".join(f"## {v}\nWords about {v}. More words.\nformula: f({v})\n" for v in VIEWS)


@pytest.mark.parametrize("text, fragment", [
    ("## boundary\nWords.\nformula: f\n", "expected a section for curves"),
    (FULL.replace("formula: f(curves)\n", ""), "section curves: expected the text, then one 'formula:' line last"),
    (FULL.replace("## layers", "## nowhere"), "'nowhere'"),
    (FULL.replace("## layers", "## boundary"), "line 10"),
])
def test_a_broken_explanations_file_is_one_clear_error(tmp_path, text, fragment):
    path = tmp_path / "explanations.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_explanations(path)
    assert fragment in str(err.value)
    assert len(load_explanations(_write(tmp_path, FULL))) == len(VIEWS)


def _write(tmp_path, text):
    path = tmp_path / "good.md"
    path.write_text(text, encoding="utf-8")
    return path
