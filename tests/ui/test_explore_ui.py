"""The Explore page in a real browser: the built-in paper grid as heat maps; a click on a cell picks it and its link
opens the playground with that configuration (read back from the playground's own controls); no console errors.
Screenshots at a projector's, a laptop's and a phone's size land in ``test-artifacts/ui/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_page import AppPage, PageProblems

from apps.explore import heatmap_name

pytestmark = pytest.mark.ui

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
SIZES = {"projector": (1024, 768), "laptop": (1366, 768), "phone": (390, 844)}

_HEATMAP = """(name) => {
  const m = Bokeh.documents[0].get_model_by_name(name);
  if (m === null) return null;
  const v = Bokeh.index.find_one(m);
  if (!v) return null;
  const r = v.canvas_view.el.getBoundingClientRect();
  const b = v.frame.bbox;
  const cells = m.renderers[0].data_source.data.x.length;
  return {left: r.x + b.x0, top: r.y + b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0, cells,
          xs: m.x_range.factors, ys: m.y_range.factors}; }"""


def open_explore(page, server) -> None:
    page.goto(f"{server.url}/explore")
    page.get_by_text("Every configuration of circle", exact=False).first.wait_for(timeout=60_000)


def heatmap(page, name: str) -> dict:
    page.evaluate("""(name) => { const m = Bokeh.documents[0].get_model_by_name(name);
                   Bokeh.index.find_one(m).canvas_view.el.scrollIntoView({block: 'center'}); }""", name)
    page.wait_for_timeout(300)
    return page.evaluate(_HEATMAP, name)


def click_cell(page, name: str, layers: str, qubits: str) -> None:
    h = heatmap(page, name)
    i, j = h["xs"].index(layers), h["ys"].index(qubits)
    x = h["left"] + (i + 0.5) / len(h["xs"]) * h["width"]
    y = h["top"] + (1 - (j + 0.5) / len(h["ys"])) * h["height"]
    page.mouse.click(x, y)


def test_paper_grid_heat_maps_and_a_cell_opens_the_playground(page, app_server):
    problems = PageProblems(page, app_server.url)
    page.set_viewport_size({"width": 1366, "height": 768})
    open_explore(page, app_server)
    # the four facets are drawn, each with its cells
    facets = {(c, e): heatmap(page, heatmap_name(c, e)) for c in ("fidelity", "weighted_fidelity") for e in (False, True)}
    assert all(f is not None for f in facets.values()), facets
    assert [facets[k]["cells"] for k in sorted(facets)] == [16, 7, 24, 14]  # Table 1's published cells
    page.get_by_role("combobox", name="Dataset").select_option("annulus")
    page.get_by_text("Every configuration of annulus", exact=False).first.wait_for(timeout=20_000)
    name = heatmap_name("weighted_fidelity", True)
    click_cell(page, name, "4", "2")
    text = page.get_by_test_id("cell-figures")
    page.get_by_text("χ²_wf 2q ent, 4 layers.", exact=False).first.wait_for(timeout=20_000)
    assert "annulus, χ²_wf 2q ent, 4 layers." in text.inner_text() and "The paper: 0.96." in text.inner_text()
    page.screenshot(path=str(ARTIFACTS / "explore_cell_picked.png"), full_page=False)
    link = page.get_by_test_id("open-in-playground")
    href = link.get_attribute("href")
    assert href.startswith("./?") and "paper_draw=1" in href and "dataset=annulus" in href
    with page.context.expect_page() as opened:
        link.click()
    playground = opened.value
    other = AppPage(playground, app_server, PageProblems(playground, app_server.url))
    playground.get_by_test_id("step").wait_for(timeout=60_000)
    other.wait_for_frame()
    # the playground's own controls show the configuration
    assert playground.get_by_role("slider", name="Qubits", exact=True).get_attribute("aria-valuenow") in ("2", "2.0")
    assert playground.get_by_role("slider", name="Layers", exact=True).get_attribute("aria-valuenow") in ("4", "4.0")
    assert playground.get_by_role("combobox", name="Cost").input_value() == "weighted_fidelity"
    assert playground.get_by_role("combobox", name="Optimizer").input_value() == "lbfgs"
    assert playground.get_by_role("combobox", name="Entangler (2+ qubits)").input_value() == "CZ chain"
    assert playground.get_by_label("The paper's own points (its seed-30 draw)").is_checked()
    assert "dataset=annulus" in playground.url
    playground.screenshot(path=str(ARTIFACTS / "explore_opened_in_playground.png"), full_page=False)
    other.problems.assert_clean()
    playground.close()
    problems.assert_clean()


@pytest.mark.parametrize("size", SIZES)
def test_explore_page_at_three_sizes(browser, app_server, request, size):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    request.addfinalizer(context.close)
    page = context.new_page()
    problems = PageProblems(page, app_server.url)
    open_explore(page, app_server)
    h = heatmap(page, heatmap_name("weighted_fidelity", False))
    assert h is not None and h["cells"] == 24
    # nothing wider than the screen: the page does not scroll sideways
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow} px wider than a {width} px screen"
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"explore_{size}.png"), full_page=True)
    problems.assert_clean()
