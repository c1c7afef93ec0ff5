"""Projector mode: large type (at least 20 px for every piece of text on the page), no horizontal scroll, and
all the main views on the page, at 1024×768 and 1920×1080."""

from __future__ import annotations

import pytest

from app_page import DEEP_ELEMENTS, AppPage, PageProblems

pytestmark = pytest.mark.ui

# Every visible element that holds text of its own, in the page and inside every widget's shadow root.
_SMALLEST_TEXT = f"""() => {{
  {DEEP_ELEMENTS}
  const out = [];
  for (const el of deepElements()) {{
    if (['STYLE', 'SCRIPT', 'svg', 'SVG'].includes(el.tagName) || el.closest('svg')) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden' || cs.display === 'none') continue;
    out.push([parseFloat(cs.fontSize), el.textContent.trim().slice(0, 40)]);
  }}
  out.sort((a, b) => a[0] - b[0]);
  return out.slice(0, 5);
}}"""


@pytest.mark.parametrize("width, height", [(1024, 768), (1920, 1080)])
def test_projector_mode_is_large_and_fits(browser, app_server, request, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    request.addfinalizer(context.close)  # even when the test fails: an open tab would hold its session
    page = context.new_page()
    app = AppPage(page, app_server, PageProblems(page, app_server.url))
    app.open("projector=1")
    app.wait_until(lambda: page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"),
                   timeout=15, what="no horizontal scroll")
    smallest = page.evaluate(_SMALLEST_TEXT)
    assert smallest and smallest[0][0] >= 20, smallest
    for name in ("decision-boundary", "loss-plot", "accuracy-plot", "layer-maps"):
        assert page.evaluate(f"() => !!Bokeh.documents[0].get_model_by_name('{name}')"), name
    assert page.locator("canvas[aria-label^='Bloch sphere']").count() >= 2
    assert page.evaluate("""() => Bokeh.documents[0].get_model_by_name('decision-boundary').width""") >= 500
    page.screenshot(path=str(app_server.log_path.parent / f"projector_{width}x{height}.png"), full_page=False)
    app.problems.assert_clean()


def test_the_projector_toggle_switches_the_page_and_the_address(app):
    app.open()
    page = app.page
    page.get_by_role("button", name="Projector").click()
    app.wait_until(lambda: "projector=1" in page.url, timeout=10, what="projector mode in the address")
    app.wait_until(lambda: page.evaluate(_SMALLEST_TEXT)[0][0] >= 20, timeout=10, what="large type")
