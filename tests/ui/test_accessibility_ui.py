"""No accessibility violation (axe-core, WCAG 2.0/2.1 A and AA) in any state a person reaches, at a laptop's
1366×768 and a phone's 390×844; each run's states and counts go to ``test-artifacts/ui/axe-<flow>-<size>.json``.

Where a violation comes from Panel or Bokeh, the fix is on our side (a stylesheet, a label, another widget); no
rule is ever turned off here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app_page import AppPage, PageProblems
from axe_check import describe, run_axe

from apps.classroom import encode_class
from apps.settings import PlaygroundSettings

pytestmark = pytest.mark.ui

SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"


def _open_collapsed_cards(page) -> None:
    """Open every card that starts closed: "For a class" and each "What does this show?"."""
    page.get_by_text("For a class", exact=True).click()
    explain = page.get_by_text("What does this show?", exact=True)
    for i in range(explain.count()):
        explain.nth(i).click()


def _main(app: AppPage, phone: bool):
    page = app.page
    app.open()
    yield "fresh page"
    app.button("▶ Play").click()
    app.wait_until(lambda: app.number("epoch") >= 2, timeout=30, what="training to run")
    yield "while training"
    app.button("❚❚ Pause").click()
    if phone:
        app.button("☰ Settings and data").click()
        page.get_by_text("Gallery: start from…", exact=True).wait_for(timeout=10_000)
    _open_collapsed_cards(page)
    app.button("Show as a table").click()
    page.get_by_text("Loss and accuracy by epoch", exact=False).wait_for(timeout=10_000)
    yield "paused, every card open, the curves as a table" + (", settings drawer open" if phone else "")
    app.button("Keyboard shortcuts").click()
    page.get_by_test_id("shortcuts-dialog").wait_for(timeout=5_000)
    yield "keyboard shortcut list"
    page.keyboard.press("Escape")
    app.button("Pin for comparison").click()
    page.get_by_text("Pinned for comparison", exact=True).wait_for(timeout=20_000)
    yield "compare: a pinned run beside the live one"


def _lesson(app: AppPage, phone: bool):
    app.open("lesson=reuploading")
    app.page.get_by_test_id("shortcuts-button").wait_for(timeout=30_000)  # the N key listens once it is drawn
    yield "lesson view"
    app.page.keyboard.press("n")
    app.wait_until(lambda: "step=2" in app.page.url, timeout=15, what="the lesson's next step")
    app.button("Show me").click()
    app.button("▶ Play").click()
    app.wait_until(lambda: "Goal met" in app.page.get_by_test_id("live-region").inner_text(), timeout=90,
                   what="the lesson's goal to be met")
    app.button("❚❚ Pause").click()
    yield "lesson view, second step, goal met"


def _class_link(app: AppPage, phone: bool):
    token = encode_class(["gallery", "model", "training", "editor", "share", "header"], PlaygroundSettings())
    app.open(f"class={token}")
    yield "class link with controls hidden"


def _projector(app: AppPage, phone: bool):
    app.open("projector=1")
    yield "projector mode"


def _drawing_and_notice(app: AppPage, phone: bool):
    app.open("n_layers=banana")
    app.page.get_by_role("alert").wait_for(timeout=10_000)
    if phone:
        app.button("☰ Settings and data").click()
    app.button("✎ Draw your own points").click()
    app.button("Clear the plane").wait_for(timeout=10_000)
    yield "drawing mode, with a notice about a bad address"


def _explore(app: AppPage, phone: bool):
    page = app.page
    page.goto(f"{app.server.url}/explore")
    page.get_by_text("Every configuration of circle", exact=False).first.wait_for(timeout=60_000)
    yield "explore: the paper grid as heat maps, a box plot and a table"
    page.get_by_role("combobox", name="Each cell shows").select_option("Best of 20 − the paper")
    page.get_by_role("combobox", name="Dataset").select_option("annulus")
    page.get_by_text("Every configuration of annulus", exact=False).first.wait_for(timeout=20_000)
    yield "explore: another dataset, differences from the paper"
    page.get_by_label("Open a sweep table (.csv)").set_input_files(
        files=[{"name": "not-a-sweep.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}])
    page.get_by_text("nothing changed", exact=False).first.wait_for(timeout=20_000)
    yield "explore: a refused upload's message"


FLOWS = {"main": _main, "lesson": _lesson, "class": _class_link, "projector": _projector, "drawing": _drawing_and_notice,
         "explore": _explore}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("flow", FLOWS)
def test_no_accessibility_violation_in_any_state(browser, app_server, request, flow, size):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    request.addfinalizer(context.close)  # even when the test fails: an open tab would hold its session
    page = context.new_page()
    app = AppPage(page, app_server, PageProblems(page, app_server.url))
    report, failures = [], []
    for state in FLOWS[flow](app, size == "phone"):
        result = run_axe(page)
        report.append({"state": state, "checked": result["checked"], "rules": result["rules"],
                       "violations": [v["id"] for v in result["violations"]], "incomplete": result["incomplete"]})
        if result["violations"]:
            failures.append(f"[{state}]\n{describe(result['violations'])}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{flow}-{size}.json").write_text(json.dumps(
        {"flow": flow, "size": f"{width}x{height}", "axe": result["version"], "states": report}, indent=1))
    page.screenshot(path=str(ARTIFACTS / f"axe-{flow}-{size}.png"), full_page=False)
    assert report and all(r["checked"] > 50 for r in report), report  # axe looked at the page, not at nothing
    assert not failures, "accessibility violations:\n" + "\n\n".join(failures)
    app.problems.assert_clean()
