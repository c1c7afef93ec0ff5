"""What a screen reader hears (the live region while training, the plots' text summaries, the curves as a table),
the page seen with deuteranopia and protanopia, and reduced motion. Screenshots of each go to test-artifacts/ui."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from app_page import DEEP_ELEMENTS, AppPage, PageProblems

from apps.playground_app import ANNOUNCE_INTERVAL
from widgets.colour import DEUTERANOPIA, PROTANOPIA, delta_e

pytestmark = pytest.mark.ui

# Every piece of text that is there for screen readers only, in page order (inside shadow roots too).
_SCREEN_READER_TEXT = f"""() => {{
  {DEEP_ELEMENTS}
  const out = [];
  for (const el of deepElements()) {{
    if (el.matches('[data-testid="live-region"]')) out.push('Live region: ' + el.textContent);
    else if (el.tagName === 'P' && /^(Decision boundary|Bloch sphere of|Layer by layer)/.test(el.textContent))
      out.push(el.textContent);
  }}
  return out;
}}"""

# Draw that text where a sighted reader can see it, for the screenshot.
_SHOW_TEXT = """(lines) => {
  const box = document.createElement('div');
  box.id = 'screen-reader-view';
  box.style.cssText = 'position:fixed;left:12px;right:12px;bottom:12px;z-index:10000;background:#fff;color:#14171f;' +
    'border:3px solid #0b5a8a;border-radius:8px;padding:10px 14px;font:15px/1.45 system-ui,sans-serif;';
  const title = document.createElement('strong');
  title.textContent = 'What a screen reader hears (text that is not drawn on the page):';
  box.append(title);
  for (const line of lines) { const p = document.createElement('p'); p.style.margin = '4px 0'; p.textContent = line; box.append(p); }
  document.body.append(box);
}"""


def test_the_live_region_reports_training_every_few_seconds_and_the_plots_have_summaries(app):
    page = app.page
    app.open("dataset=annulus&n_layers=5")
    region = page.get_by_test_id("live-region")
    assert region.get_attribute("aria-live") == "polite" and region.get_attribute("role") == "status"
    page.get_by_test_id("shortcuts-button").wait_for(timeout=30_000)  # the shortcuts listen once it is drawn
    page.keyboard.press(" ")
    changes, last, start = [], region.inner_text(), time.monotonic()
    while time.monotonic() - start < 2 * ANNOUNCE_INTERVAL + 2:
        text = region.inner_text()
        if text != last:
            changes.append((time.monotonic(), text))
            last = text
        page.wait_for_timeout(100)
    assert len(changes) >= 2, changes
    for _, text in changes:
        assert text.startswith("Training: epoch ") and " loss " in text and "train accuracy" in text, text
        assert "test accuracy" in text
    gaps = [b[0] - a[0] for a, b in zip(changes, changes[1:])]
    assert min(gaps) >= ANNOUNCE_INTERVAL - 1.0, gaps  # at most every few seconds, not every frame
    lines = page.evaluate(_SCREEN_READER_TEXT)  # still training
    assert any(line.startswith("Live region: Training: epoch ") for line in lines), lines
    assert any(line.startswith("Decision boundary: ") and "of test points on the right side" in line for line in lines)
    assert any(line.startswith("Bloch sphere of qubit 0: class 0 states average (x, y, z) = (") for line in lines)
    assert any(line.startswith("Layer by layer, after layer 5: class 0 states average") for line in lines), lines
    page.evaluate(_SHOW_TEXT, lines)
    page.screenshot(path=str(app.server.log_path.parent / "screen_reader_view.png"))
    page.evaluate("() => document.getElementById('screen-reader-view').remove()")
    page.keyboard.press(" ")
    app.wait_until(lambda: region.inner_text().startswith("Paused: epoch "), timeout=10, what="the pause announced")


def test_the_curves_as_a_table(app):
    page = app.page
    app.open()
    page.get_by_test_id("shortcuts-button").wait_for(timeout=30_000)
    for _ in range(3):
        page.keyboard.press("s")
    app.wait_until(lambda: app.number("step") == 3, timeout=15, what="three steps")
    app.button("Show as a table").click()
    table = page.locator("table").filter(has_text="Loss and accuracy by epoch")
    table.wait_for(timeout=10_000)
    assert table.locator("th[scope=col]").count() == 4 and table.locator("tr").count() == 1 + 4
    table.screenshot(path=str(app.server.log_path.parent / "curves_as_a_table.png"))


_FILTER = """([name, matrix]) => {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', '0'); svg.setAttribute('height', '0'); svg.style.position = 'absolute';
  const filter = document.createElementNS(ns, 'filter');
  filter.id = name;
  filter.setAttribute('color-interpolation-filters', 'linearRGB');
  const m = document.createElementNS(ns, 'feColorMatrix');
  m.setAttribute('type', 'matrix');
  m.setAttribute('values', matrix);
  filter.append(m); svg.append(filter); document.body.append(svg);
  document.documentElement.style.filter = `url(#${name})`;
}"""


def _matrix(m) -> str:
    return " ".join(" ".join(f"{v:.6f}" for v in row) + " 0 0" for row in m) + " 0 0 0 1 0"


def _swatch_colours(page, n: int) -> list[tuple[int, int, int]]:
    """The colour at the centre of each class swatch of the boundary's legend, as drawn on the screen."""
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    boxes = page.evaluate(f"""(n) => {{ {DEEP_ELEMENTS}
      return deepElements().filter(el => el.matches('.legend svg.swatch')).slice(0, n)
        .map(s => {{ const r = s.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }}); }}""", n)
    assert len(boxes) == n, boxes
    return [shot.getpixel((round(x), round(y))) for x, y in boxes]


@pytest.mark.parametrize("name, vision", [("deuteranopia", DEUTERANOPIA), ("protanopia", PROTANOPIA)])
def test_classes_stay_apart_as_seen_with_colour_blindness(app, name, vision):
    page = app.page
    app.open("dataset=three_circles&n_layers=6")
    legend = page.get_by_text("class 2", exact=True).first
    legend.scroll_into_view_if_needed()
    typical = _swatch_colours(page, 3)
    page.evaluate(_FILTER, [name, _matrix(vision)])
    page.wait_for_timeout(300)
    seen = _swatch_colours(page, 3)
    assert seen != typical  # the filter is on
    for a in range(3):
        for b in range(a + 1, 3):
            assert delta_e(seen[a], seen[b]) >= 30, (name, a, b, seen)
    # The boundary, its legend and the curves in view: scroll so that the legend sits near the bottom.
    page.evaluate(f"""() => {{ {DEEP_ELEMENTS}
      const swatch = deepElements().find(el => el.matches('.legend svg.swatch'));
      window.scrollBy(0, swatch.getBoundingClientRect().top - window.innerHeight + 80); }}""")
    page.wait_for_timeout(300)
    page.screenshot(path=str(app.server.log_path.parent / f"colour_blind_{name}.png"))


_MOVING = f"""() => {{
  {DEEP_ELEMENTS}
  return deepElements().filter(el => {{
    const cs = getComputedStyle(el);
    return cs.transitionDuration.split(',').some(d => parseFloat(d) > 0) ||
           (cs.animationName !== 'none' && cs.animationDuration.split(',').some(d => parseFloat(d) > 0));
  }}).map(el => String(el.className).slice(0, 60));
}}"""


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_reduced_motion_stops_every_transition_and_training_still_draws(browser, app_server, request, motion):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, reduced_motion=motion)
    request.addfinalizer(context.close)
    page = context.new_page()
    app = AppPage(page, app_server, PageProblems(page, app_server.url))
    app.open()
    page.get_by_test_id("shortcuts-button").wait_for(timeout=30_000)
    moving = page.evaluate(_MOVING)
    if motion == "no-preference":
        assert moving, "nothing moves even without the preference: the check below would prove nothing"
        return
    assert moving == []
    before = app.source_hash("boundary-image", "image")
    page.keyboard.press(" ")
    app.wait_until(lambda: app.source_hash("boundary-image", "image") != before, timeout=20,
                   what="training to redraw the boundary")
    page.keyboard.press(" ")
    app.problems.assert_clean()
