"""Drawing your own data in a real browser: clicks add points of the chosen class, the model learns them, the link
reopens them; on a touch screen a tap adds a point."""

from __future__ import annotations

import re

import numpy as np
import pytest

from app_page import AppPage, PageProblems

pytestmark = pytest.mark.ui

_FRAME = """() => {
  const m = Bokeh.documents[0].get_model_by_name('decision-boundary');
  const v = Bokeh.index.find_one(m);
  const r = v.canvas_view.el.getBoundingClientRect();
  const b = v.frame.bbox;
  return [r.x + b.x0, r.y + b.y0, b.x1 - b.x0, b.y1 - b.y0]; }"""


def _to_screen(app, x: float, y: float) -> tuple[float, float]:
    left, top, width, height = app.page.evaluate(_FRAME)
    return left + (x + 1) / 2 * width, top + (1 - (y + 1) / 2) * height


def _points(app) -> int:
    return app.source_length("boundary-train")


def _plot(app):
    app.page.locator("canvas").first  # noqa: B018 (the page has canvases once the views are drawn)
    app.page.evaluate("""() => { const m = Bokeh.documents[0].get_model_by_name('decision-boundary');
                               Bokeh.index.find_one(m).canvas_view.el.scrollIntoView({block: 'center'}); }""")
    app.page.wait_for_timeout(300)


def test_draw_twenty_points_train_and_reopen_them_from_the_link(app):
    page = app.page
    app.open("n_layers=3&learning_rate=0.1")
    page.get_by_role("button", name="✎ Draw your own points").click()
    app.wait_until(lambda: _points(app) == 0 and "drawing=1" in page.url, timeout=20, what="an empty plane")
    assert page.get_by_role("button", name="Clear the plane").is_visible()
    rng = np.random.default_rng(3)
    for i in range(20):
        cls = i % 2
        page.get_by_role("button", name=f"class {cls}", exact=True).click()
        x, y = (-0.75 + 0.5 * cls + rng.uniform(-0.15, 0.15), rng.uniform(-0.8, 0.8))
        _plot(app)
        sx, sy = _to_screen(app, x, y)
        page.mouse.click(sx, sy)
        app.wait_until(lambda n=i + 1: _points(app) == n, timeout=10, what=f"point {i + 1}")
    assert "points=d1." in page.url
    page.screenshot(path=str(app.server.log_path.parent / "drawing_twenty_points.png"), full_page=False)
    app.button("Play").click()
    app.wait_until(lambda: app.number("train-accuracy") >= 0.9, timeout=60, interval=0.5,
                   what="the boundary to separate the drawn classes")
    app.button("Pause").click()
    address = page.url
    other = page.context.new_page()
    other_app = AppPage(other, app.server, PageProblems(other, app.server.url))
    other_app.open(address.split("?", 1)[1])
    assert _points(other_app) == 20
    assert other_app.source_hash("boundary-train", "x") == app.source_hash("boundary-train", "x")
    assert other_app.source_hash("boundary-train", "label") == app.source_hash("boundary-train", "label")
    other_app.problems.assert_clean()
    other.close()
    # a click on a point removes it
    first = page.evaluate("() => Bokeh.documents[0].get_model_by_name('boundary-train').data.x[0]"), \
        page.evaluate("() => Bokeh.documents[0].get_model_by_name('boundary-train').data.y[0]")
    _plot(app)
    page.mouse.click(*_to_screen(app, *first))
    app.wait_until(lambda: _points(app) == 19, timeout=10, what="the point to go")


def test_a_tap_on_a_phone_adds_a_point(browser, app_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        app = AppPage(page, app_server, PageProblems(page, app_server.url))
        page.goto(f"{app_server.url}/?drawing=1")  # an empty plane: no first points to wait for
        page.get_by_test_id("step").wait_for(timeout=60_000)
        # the page lays itself out for the phone once the browser has reported its width: tap after that
        app.wait_until(lambda: page.evaluate(
            "() => { const m = window.Bokeh && Bokeh.documents[0] && Bokeh.documents[0]"
            ".get_model_by_name('decision-boundary'); return !!m && m.width < 390 "
            "&& document.documentElement.scrollWidth <= window.innerWidth; }"), what="the plot laid out for a phone")
        assert _points(app) == 0
        _plot(app)
        page.wait_for_timeout(500)
        page.touchscreen.tap(*_to_screen(app, 0.2, -0.3))
        app.wait_until(lambda: _points(app) == 1, timeout=10, what="a tapped point")
        x = page.evaluate("() => Bokeh.documents[0].get_model_by_name('boundary-train').data.x[0]")
        assert abs(x - 0.2) < 0.05
        assert re.search(r"points=d1\.", page.url)
        page.screenshot(path=str(app_server.log_path.parent / "drawing_phone_tap.png"), full_page=False)
        app.problems.assert_clean()
    finally:
        context.close()  # a tab left open would hold its session and disturb the tests after this one
