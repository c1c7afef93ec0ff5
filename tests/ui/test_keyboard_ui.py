"""Nothing but keys: the skip link, a dataset, a layer, play, pause, step and reset; the shortcut list; shortcuts
that stay quiet while the person types; and a focused control that shows its focus."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.ui

# The element that really has the focus (inside shadow roots): its tag, text and accessible label.
_FOCUSED = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  if (!a || a === document.body) return null;
  return {tag: a.tagName, text: (a.textContent || '').trim().slice(0, 60), label: a.getAttribute('aria-label') || '',
          outline: getComputedStyle(a).outlineStyle !== 'none' || getComputedStyle(a).boxShadow !== 'none'};
}"""


def _focused(page) -> dict | None:
    return page.evaluate(_FOCUSED)


def _move_focus_to(page, name: str, key: str = "Tab", limit: int = 150) -> dict:
    """Press ``key`` until the focused element's text or label starts with ``name``."""
    for _ in range(limit):
        page.keyboard.press(key)
        now = _focused(page)
        if now and (now["text"].startswith(name) or now["label"].startswith(name)):
            return now
    raise AssertionError(f"{limit} presses of {key} never reached {name!r} (last: {_focused(page)})")


def test_a_dataset_a_layer_play_pause_step_and_reset_with_nothing_but_keys(app):
    page = app.page
    app.open()
    page.keyboard.press("Tab")
    first = _focused(page)
    assert first and first["text"] == "Skip to the controls", first
    page.keyboard.press("Enter")
    assert _focused(page)["text"] == "▶ Play"  # past the whole sidebar in one key
    _move_focus_to(page, "3 circles", key="Shift+Tab")
    page.keyboard.press("Enter")
    app.wait_until(lambda: "dataset=three_circles" in page.url, timeout=15, what="the dataset from the keyboard")
    _move_focus_to(page, "Add layer")
    page.keyboard.press("Enter")
    app.wait_until(lambda: "n_layers=5" in page.url, timeout=15, what="a fifth layer from the keyboard")
    focused = _move_focus_to(page, "▶ Play", key="Shift+Tab")
    assert focused["outline"], "the focused Play button shows no focus ring"
    page.screenshot(path=str(app.server.log_path.parent / "keyboard_focused_play.png"))
    page.keyboard.press("Enter")  # a focused button takes Enter (and Space) as a press
    app.wait_until(lambda: app.number("epoch") >= 2, timeout=30, what="training started from the keyboard")
    page.keyboard.press("Enter")
    app.wait_until(lambda: _focused(page)["text"] == "▶ Play", timeout=10, what="the pause")
    paused_at = app.number("step")
    page.keyboard.press("s")
    app.wait_until(lambda: app.number("step") == paused_at + 1, timeout=10, what="S to take one step")
    page.keyboard.press("r")
    app.wait_until(lambda: app.number("step") == 0, timeout=10, what="R to reset")
    page.keyboard.press("?")
    dialog = page.get_by_test_id("shortcuts-dialog")
    dialog.wait_for(timeout=5_000)
    for row in ("Play or pause training", "One training step", "Reset training to step 0",
                "Next step of the open lesson"):
        assert dialog.get_by_text(row).is_visible()
    page.screenshot(path=str(app.server.log_path.parent / "keyboard_shortcut_list.png"))
    page.keyboard.press("Escape")
    app.wait_until(lambda: not dialog.is_visible(), timeout=5, what="Esc to close the list")
    assert _focused(page)["label"] == "Keyboard shortcuts"  # the focus goes back where it was


def _keys_ready(page) -> None:
    """The shortcuts listen once their component is drawn (its "?" button shows)."""
    page.get_by_test_id("shortcuts-button").wait_for(timeout=30_000)


def test_space_plays_and_pauses_when_no_control_has_the_focus(app):
    page = app.page
    app.open()
    _keys_ready(page)
    page.keyboard.press(" ")
    app.wait_until(lambda: app.number("epoch") >= 1, timeout=30, what="Space to start training")
    page.keyboard.press(" ")
    app.wait_until(lambda: app.button("▶ Play").count() == 1, timeout=10, what="Space to pause")


def test_shortcuts_do_nothing_while_typing_in_a_field(app):
    page = app.page
    app.open()
    _keys_ready(page)
    box = page.get_by_role("textbox", name="Share link")
    box.focus()
    for key in ("s", "r", " ", "n", "?"):
        page.keyboard.press(key)
    page.wait_for_timeout(800)
    assert app.number("step") == 0 and app.button("▶ Play").count() == 1
    assert not page.get_by_test_id("shortcuts-dialog").is_visible()


def test_n_goes_to_the_next_lesson_step(app):
    page = app.page
    app.open("lesson=bloch")
    _keys_ready(page)
    page.keyboard.press("n")
    app.wait_until(lambda: "step=2" in page.url, timeout=15, what="N to open the lesson's second step")
