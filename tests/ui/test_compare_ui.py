"""Compare in a real browser: pin, change the layers, both panels show their own numbers; the link reopens both."""

from __future__ import annotations

import pytest

from app_page import AppPage, PageProblems

pytestmark = pytest.mark.ui


def test_pin_change_layers_and_reopen_both(app):
    page = app.page
    app.open("n_layers=1&learning_rate=0.1")
    for _ in range(6):
        app.button("Step").click()
    app.wait_until(lambda: app.number("step") == 6, timeout=20, what="six steps")
    page.get_by_role("button", name="Pin for comparison").click()
    pinned = page.get_by_test_id("pinned-test-accuracy")
    app.wait_until(lambda: pinned.count() == 1 and pinned.is_visible(), timeout=10, what="the pinned panel")
    app.wait_until(lambda: "pin=pin1." in page.url, timeout=20, what="the pinned run in the address")
    pinned_numbers = (pinned.inner_text(), page.get_by_test_id("pinned-step").inner_text())
    layers = page.get_by_role("slider", name="Layers", exact=True)
    layers.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    app.wait_until(lambda: "n_layers=5" in page.url, timeout=10, what="five layers")
    for _ in range(6):
        app.button("Step").click()
    app.wait_until(lambda: app.number("step") == 12, timeout=20, what="six more steps, on five layers")
    app.wait_until(lambda: page.get_by_test_id("test-accuracy").inner_text() != pinned_numbers[0], timeout=20,
                   what="different numbers in the two panels")
    assert (pinned.inner_text(), page.get_by_test_id("pinned-step").inner_text()) == pinned_numbers
    page.get_by_test_id("pinned-test-accuracy").scroll_into_view_if_needed()
    page.screenshot(path=str(app.server.log_path.parent / "compare_two_runs.png"), full_page=False)
    address = page.url
    other = page.context.new_page()
    reopened = AppPage(other, app.server, PageProblems(other, app.server.url))
    reopened.open(address.split("?", 1)[1])
    assert other.get_by_test_id("pinned-test-accuracy").inner_text() == pinned_numbers[0]
    assert other.get_by_test_id("pinned-step").inner_text() == pinned_numbers[1]
    assert other.get_by_role("slider", name="Layers", exact=True).get_attribute("aria-valuenow") in ("5", "5.0")
    reopened.problems.assert_clean()
    other.close()
