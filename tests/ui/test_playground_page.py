"""The playground in a real browser: what only a browser shows (loading, live training, controls, sessions)."""

from __future__ import annotations

import re
import time

import pytest

from playground.datasets import DATASETS
from widgets.dataset_picker import DISPLAY_NAMES

pytestmark = pytest.mark.ui


def test_page_loads_with_every_control_and_no_error(app):
    app.open()
    page = app.page
    for name in ("Play", "Step", "Reset", "Regenerate points"):
        assert app.button(name).count() == 1, name
    for name in DATASETS:
        assert page.get_by_role("button", name=DISPLAY_NAMES[name], exact=True).count() == 1, name
    for label in ("Qubits", "Layers", "Noise", "Speed (steps per frame)", "Optimizer", "Learning rate", "Batch size",
                  "Entangler (2+ qubits)", "Encoding", "Cost", "Initialisation"):
        assert page.get_by_text(label, exact=False).count() >= 1, label
    app.wait_until(lambda: page.locator('[role="slider"]:not([aria-label])').count() == 0, timeout=10,
                   what="every slider to have an accessible name")
    assert page.get_by_role("slider", name="Qubits", exact=True).count() == 1
    assert page.get_by_test_id("step").inner_text() == "0"
    assert page.get_by_test_id("epoch").inner_text() == "0"
    assert page.get_by_role("group", name=re.compile("^Circuit: 1 qubit · 4 layers")).count() == 1
    assert app.source_length("boundary-image") == 1
    assert app.source_length("boundary-train") == 200
    assert page.locator("canvas[aria-label^='Bloch sphere']").count() >= 2  # final states and layer by layer
    app.page.wait_for_timeout(500)
    app.problems.assert_clean()


def test_play_on_circle_reaches_test_accuracy_above_0_85(app):
    app.open("dataset=circle&n_qubits=1&n_layers=4")
    app.button("Play").click()
    t0 = time.time()
    seen = []

    def accurate():
        seen.append(app.number("test-accuracy"))
        return seen[-1] > 0.85

    app.wait_until(accurate, timeout=60, interval=0.5, what="test accuracy above 0.85")
    assert seen[-1] > 0.85
    assert time.time() - t0 < 60
    assert app.button("Pause").count() == 1
    app.button("Pause").click()


def test_step_advances_exactly_one_step(app):
    app.open()
    assert app.number("step") == 0
    app.button("Step").click()
    app.wait_until(lambda: app.number("step") == 1, what="step 1")
    app.page.wait_for_timeout(700)
    assert app.number("step") == 1
    app.button("Step").click()
    app.wait_until(lambda: app.number("step") == 2, what="step 2")
    app.page.wait_for_timeout(700)
    assert app.number("step") == 2


def test_reset_returns_to_epoch_zero_and_the_same_picture(app):
    app.open("n_layers=3")
    start = app.source_hash("boundary-image", "image")
    start_pred = app.source_hash("boundary-train", "pred")
    app.button("Play").click()
    app.wait_until(lambda: app.number("epoch") >= 5, timeout=30, what="epoch 5")
    app.button("Pause").click()
    app.page.wait_for_timeout(400)
    assert app.source_hash("boundary-image", "image") != start
    app.button("Reset").click()
    app.wait_until(lambda: app.number("step") == 0 and app.number("epoch") == 0, what="step 0")
    app.wait_until(lambda: app.source_hash("boundary-image", "image") == start, timeout=10, what="the starting picture")
    assert app.source_hash("boundary-train", "pred") == start_pred


def test_switching_dataset_redraws_the_points(app):
    app.open()
    before = app.source_hash("boundary-train", "x")
    labels_before = app.source_hash("boundary-train", "label")
    app.page.get_by_role("button", name="spiral", exact=True).click()
    app.wait_until(lambda: app.source_hash("boundary-train", "x") != before, what="new points")
    assert app.source_hash("boundary-train", "label") != labels_before
    assert app.number("step") == 0
    # moons has two classes on two interleaving half circles: every point lies in its band
    app.page.get_by_role("button", name="moons", exact=True).click()
    app.wait_until(
        lambda: app.page.evaluate(
            "() => { const y = Bokeh.documents[0].get_model_by_name('boundary-train').data.y;"
            " return Array.from(y).every(v => Math.abs(v) <= 0.6); }"),
        what="the moons points",
    )


def test_changing_layers_mid_training_keeps_training(app):
    app.open("n_layers=4")
    app.button("Play").click()
    app.wait_until(lambda: app.number("step") >= 20, what="20 steps")
    handle = app.page.get_by_role("slider", name="Layers", exact=True)
    handle.focus()
    handle.press("ArrowRight")
    handle.press("ArrowRight")
    app.wait_until(
        lambda: app.page.get_by_role("group", name=re.compile("^Circuit: 1 qubit · 6 layers")).count() == 1,
        what="the 6-layer circuit",
    )
    after_change = app.number("step")
    assert after_change >= 20  # the run went on from where it was, it did not restart
    app.wait_until(lambda: app.number("step") >= after_change + 20, what="training to go on")
    assert app.button("Pause").count() == 1
    app.button("Pause").click()


def test_closed_tab_releases_its_session(app, browser):
    app.open()
    # Earlier tests' tabs are closed already; wait until their sessions are gone and only this page's is left.
    app.wait_until(lambda: app.server.stats()["sessions_open"] == 1, timeout=15, what="only this page's session")
    baseline = 1
    context = browser.new_context()
    other = context.new_page()
    other.goto(f"{app.server.url}/?playing=1")
    other.get_by_test_id("step").wait_for(timeout=60_000)
    app.wait_until(lambda: app.server.stats()["sessions_open"] == baseline + 1, what="a second session")
    time.sleep(1.0)
    frames = app.server.stats()["frames_done"]
    time.sleep(1.0)
    assert app.server.stats()["frames_done"] > frames, "the second tab should be training"
    context.close()
    app.wait_until(lambda: app.server.stats()["sessions_open"] == baseline, timeout=15, interval=0.25,
                   what="the closed tab's session to be destroyed")
    stats = app.server.stats()
    time.sleep(1.0)
    # only this test's own (paused) page remains: no frames are computed any more
    assert app.server.stats()["frames_done"] == stats["frames_done"]


def test_url_values_are_clamped_with_an_escaped_notice(app):
    app.open("n_qubits=999&n_layers=0&dataset=%3Cscript%3Ealert(1)%3C/script%3E&resolution=5")
    notice = app.page.get_by_role("alert")
    notice.wait_for()
    text = notice.inner_text()
    assert "n_qubits" in text and "using 4" in text
    assert "n_layers" in text and "using 1" in text
    assert "<script>" in text  # shown as text ...
    assert app.page.locator("script:text('alert(1)')").count() == 0  # ... never as markup
    assert app.page.get_by_role("group", name=re.compile("^Circuit: 4 qubits · 1 layer ")).count() == 1
    assert app.page.get_by_role("slider").count() > 0


def test_hovering_a_point_shows_its_details(app):
    app.open()
    app.page.evaluate("""() => { const m = Bokeh.documents[0].get_model_by_name('decision-boundary');
                               Bokeh.index.find_one(m).canvas_view.el.scrollIntoView({block: 'center'}); }""")
    app.page.wait_for_timeout(300)  # the plot may start below the fold: hover where it is on screen
    spot = app.page.evaluate("""() => {
        const doc = Bokeh.documents[0];
        const view = Bokeh.index.find_one(doc.get_model_by_name('decision-boundary'));
        const src = doc.get_model_by_name('boundary-train');
        const x = src.data.x[0], y = src.data.y[0];
        const rect = view.canvas_view.el.getBoundingClientRect();
        return {px: rect.left + view.frame.x_scale.compute(x), py: rect.top + view.frame.y_scale.compute(y),
                x, y, label: src.data.label[0], pred: src.data.pred[0]};
    }""")
    app.page.mouse.move(spot["px"], spot["py"])
    coords = f"({spot['x']:.2f}, {spot['y']:.2f})"
    tooltip = app.page.get_by_text(coords, exact=True)
    tooltip.first.wait_for(timeout=5000)
    text = tooltip.first.locator("xpath=ancestor::div[contains(string(.), 'fidelities')][1]").inner_text()
    assert "training point" in text and "label" in text and "predicted" in text
    fid = re.search(r"fidelities:?\s*([0-9.]+) · ([0-9.]+)", text)
    assert fid and abs(float(fid.group(1)) + float(fid.group(2)) - 1.0) < 0.02  # two classes: the two fidelities sum to 1


def test_the_papers_own_points_by_clicking(app):
    app.open("dataset=circle&n_layers=2&optimizer=lbfgs")
    page = app.page
    box = page.get_by_role("checkbox", name="The paper's own points (its seed-30 draw)")
    assert box.count() == 1 and not box.is_checked()
    box.check()
    app.wait_until(lambda: app.source_length("boundary-train") == 200 and app.source_length("boundary-test") == 4000,
                   timeout=30, what="the authors' 200 + 4000 points")
    app.wait_until(lambda: "paper_draw=1" in page.url, timeout=10, what="the choice in the address")
    # the draw settings do not apply to a fixed draw: their sliders are disabled
    noise = page.get_by_role("slider", name="Noise", exact=True).locator("xpath=ancestor::div[contains(@class, 'noUi-target')]")
    assert noise.get_attribute("disabled") is not None
    page.get_by_role("combobox", name="Initialisation").select_option("paper")
    app.wait_until(lambda: "init=paper" in page.url, timeout=10, what="the initialisation in the address")
    for _ in range(30):  # L-BFGS from the authors' start: the paper's Table 1 cell is 0.85 for two layers
        app.button("Step").click()
    app.wait_until(lambda: app.number("step") >= 20, timeout=30, what="twenty L-BFGS steps")
    app.wait_until(lambda: app.number("test-accuracy") > 0.8, timeout=30, what="test accuracy above 0.8")
    page.get_by_role("button", name="spiral", exact=True).click()  # not a paper problem: the box goes away
    app.wait_until(lambda: box.count() == 0 or not box.is_visible(), timeout=10, what="the box to hide")
    app.wait_until(lambda: "dataset=spiral" in page.url, timeout=10, what="the new dataset in the address")
    assert "paper_draw" not in page.url


def test_each_view_explains_itself_one_click_away(app):
    from apps.explanations import EXPLANATIONS

    app.open()
    page = app.page
    toggles = page.get_by_text("What does this show?")
    assert toggles.count() == 4
    first_words = EXPLANATIONS["boundary"].text[:40]
    assert not page.get_by_text(first_words).is_visible()  # collapsed by default
    toggles.first.click()
    app.wait_until(lambda: page.get_by_text(first_words).is_visible(), timeout=10, what="the explanation to open")
    page.get_by_text(first_words).scroll_into_view_if_needed()
    page.screenshot(path=str(app.server.log_path.parent / "explanation_open.png"), full_page=False)
