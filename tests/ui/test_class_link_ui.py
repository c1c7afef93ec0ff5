"""A class link in a real browser: exactly the chosen groups are gone, and neither the keyboard nor the address bar
changes what they hold."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from apps.classroom import decode_class

pytestmark = pytest.mark.ui

CARDS = ["Gallery: start from…", "Data", "Model", "Training", "Share and save", "Lessons", "Decision boundary",
         "Loss and accuracy", "Final states on the Bloch sphere", "Layer by layer"]


def _visible_cards(page) -> set[str]:
    return {title for title in CARDS if page.get_by_text(title, exact=True).first.is_visible()}


def test_a_class_link_hides_exactly_the_chosen_groups_and_locks_them(app):
    page = app.page
    app.open("n_layers=3&cost=weighted_fidelity")
    page.get_by_text("For a class", exact=True).click()
    box = page.get_by_role("textbox", name="Class link")
    for label in ("Model", "Circuit editor", "Gallery", "Share and save"):
        before = box.input_value()
        page.get_by_role("checkbox", name=label, exact=True).check()
        app.wait_until(lambda: box.input_value() != before, timeout=10, what=f"the link to follow the tick of {label}")
    link = box.input_value()
    hidden, _ = decode_class(parse_qs(urlparse(link).query)["class"])
    assert set(hidden.hidden) == {"model", "editor", "gallery", "share"}
    assert urlparse(link).hostname == "127.0.0.1"

    app.open(urlparse(link).query)
    assert _visible_cards(page) == set(CARDS) - {"Model", "Gallery: start from…", "Share and save"}
    assert page.get_by_text("Circuit: click a slot").count() == 0 and page.get_by_text("For a class").count() == 0
    # the keyboard: Tab through the whole page and never reach a control of a hidden group
    names = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        names.add(page.evaluate("""() => { let e = document.activeElement;
            while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
            return e ? (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 40) : ''; }"""))
    assert "Layers" not in names and "Qubits" not in names and not any(n.startswith("Cost") for n in names)
    assert "Noise" in names  # the data controls are still there and reachable
    # the address bar: a student changes a locked value in the link
    app.open(urlparse(link).query.replace("n_layers=3", "n_layers=9") + "&cost=fidelity")
    notice = page.locator(".notice").first
    assert "set by the class link" in notice.inner_text()
    app.wait_until(lambda: "n_layers=3" in page.url and "n_layers=9" not in page.url, timeout=10,
                   what="the address to show the locked value")
    page.screenshot(path=str(app.server.log_path.parent / "class_link_student.png"), full_page=False)
