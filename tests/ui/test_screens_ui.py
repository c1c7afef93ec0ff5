"""The page fits every screen: a phone (390×844, touch), a projector (1024×768), a laptop (1366×768) and a wide
screen (1920×1080) with no horizontal scroll; on a phone the controls fold into a drawer."""

from __future__ import annotations

import pytest

from app_page import AppPage, PageProblems

pytestmark = pytest.mark.ui

SCREENS = [(390, 844, True), (1024, 768, False), (1366, 768, False), (1920, 1080, False)]


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def _inside(page, locator, width) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1


@pytest.mark.parametrize("width, height, phone", SCREENS)
def test_the_page_fits_the_screen(browser, app_server, request, width, height, phone):
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=phone, is_mobile=phone)
    request.addfinalizer(context.close)  # even when the test fails: an open tab would hold its session
    page = context.new_page()
    app = AppPage(page, app_server, PageProblems(page, app_server.url))
    app.open()
    app.wait_until(lambda: _no_horizontal_scroll(page), timeout=15, what=f"no horizontal scroll at {width} px")
    page.screenshot(path=str(app_server.log_path.parent / f"screen_{width}x{height}.png"), full_page=False)
    play = app.button("Play")
    assert _inside(page, play, width) and _inside(page, page.get_by_test_id("test-accuracy"), width)
    canvas = page.locator("canvas").first
    page.evaluate("""() => { const m = Bokeh.documents[0].get_model_by_name('decision-boundary');
                           Bokeh.index.find_one(m).canvas_view.el.scrollIntoView({block: 'center'}); }""")
    box = page.evaluate("""() => { const m = Bokeh.documents[0].get_model_by_name('decision-boundary');
                                 const r = Bokeh.index.find_one(m).canvas_view.el.getBoundingClientRect();
                                 return [r.left, r.right]; }""")
    assert box[0] >= 0 and box[1] <= width + 1, box
    assert canvas.count() >= 1
    drawer = page.get_by_role("button", name="☰ Settings and data")
    if phone:
        assert play.bounding_box()["y"] < height  # Play is on the first screen
        assert not page.get_by_text("Data", exact=True).first.is_visible()
        drawer.click()
        app.wait_until(lambda: page.get_by_text("Data", exact=True).first.is_visible(), timeout=10,
                       what="the controls to open")
        app.wait_until(lambda: _no_horizontal_scroll(page), timeout=10, what="the open drawer to fit")
        page.screenshot(path=str(app_server.log_path.parent / "screen_phone_drawer.png"), full_page=False)
    else:
        assert drawer.count() == 0 or not drawer.is_visible()
        assert page.get_by_text("Data", exact=True).first.is_visible()
    app.problems.assert_clean()
