"""Real-browser tests of the BlochSphere widget: drawing, dragging, live updates, hover and selection."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from panel_server import launch_chromium, record_problems, serve_panel_file

pytestmark = pytest.mark.ui

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "test-artifacts" / "ui" / "bloch_widget.png"

# Two spheres: pure states with label states and layer paths, and reduced states of entangled qubits (inside
# the ball). "Next frame" pushes new states from Python the way the app does during training.
APP = textwrap.dedent('''
    import numpy as np
    import panel as pn

    from widgets.bloch import BlochSphere

    pn.extension()

    def towards(theta, phi):
        return np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], axis=-1)

    def frame(step, rng):
        n, k = 240, 5
        classes = np.arange(n) % 2
        theta = np.where(classes == 0, 0.55, np.pi - 0.55) + 0.35 * rng.normal(size=n)
        phi = rng.uniform(0, 2 * np.pi, n) + 0.4 * step
        final = towards(np.abs(theta), phi)
        start = towards(np.full(n, 0.0) + 1e-9, phi)
        # each trajectory bends from |0> towards its final state in k steps: a stand-in for the layers
        t = np.linspace(0.0, 1.0, k)[None, :, None]
        mid = start[:, None, :] * (1 - t) + final[:, None, :] * t
        paths = mid / np.linalg.norm(mid, axis=-1, keepdims=True)
        return final, classes, paths

    rng = np.random.default_rng(7)
    points, classes, paths = frame(0, rng)
    pure = BlochSphere(points=points, classes=classes, paths=paths, path_stride=4,
                       label_states=[[0, 0, 1], [0, 0, -1]], class_names=["inside", "outside"],
                       title="qubit 0", size=420)

    m = 180
    mixed_classes = np.arange(m) % 3
    directions = towards(rng.uniform(0.3, 2.8, m), rng.uniform(0, 2 * np.pi, m))
    radius = rng.uniform(0.25, 0.85, m)[:, None]
    mixed = BlochSphere(points=radius * directions, classes=mixed_classes,
                        label_states=[[0, 0, 1], [0.942, 0, -0.333], [-0.471, 0.816, -0.333]],
                        title="qubit 1 (entangled)", size=420)

    step = {"n": 0}

    def next_frame(event):
        step["n"] += 1
        pts, cls, pth = frame(step["n"], rng)
        pure.update(points=pts, paths=pth, title=f"qubit 0 \\u00b7 step {step['n']}")

    button = pn.widgets.Button(name="Next frame", button_type="primary")
    button.on_click(next_frame)
    selected = pn.pane.Str(pn.bind(lambda s: f"selected: {s}", pure.param.selected))
    pn.Column(pn.Row(pure, mixed), pn.Row(button, selected)).servable(title="Bloch sphere widget")
''')

COUNT_PIXELS = """c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let k = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) k++;
    return k;
}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with serve_panel_file(APP, "bloch_app", tmp_path_factory.mktemp("bloch_app")) as (url, _log):
        yield url


@pytest.fixture(scope="module")
def chromium(playwright):
    with launch_chromium(playwright) as browser:
        yield browser


@pytest.fixture
def loaded(chromium, app_url):
    """The test page, loaded, with every console error and failed request recorded."""
    page = chromium.new_page(viewport={"width": 900, "height": 560})
    problems = record_problems(page, app_url)
    page.goto(app_url)
    canvases = page.locator("canvas[role=img]")
    canvases.first.wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('*')].some(e => e.shadowRoot)"  # Panel renders in shadow DOM
    )
    for i in range(2):
        _wait_drawn(canvases.nth(i))
    yield page, canvases, problems
    page.close()


def _wait_drawn(canvas, timeout_s=15):
    deadline = time.monotonic() + timeout_s
    while canvas.evaluate(COUNT_PIXELS) == 0:
        assert time.monotonic() < deadline, "the canvas stayed blank"
        time.sleep(0.05)


def _snapshot(canvas):
    return canvas.evaluate("c => c.toDataURL()")


def _wait_changed(canvas, before, timeout_s=10):
    deadline = time.monotonic() + timeout_s
    while (now := _snapshot(canvas)) == before:
        assert time.monotonic() < deadline, "the drawing did not change"
        time.sleep(0.05)
    return now


def test_page_draws_both_spheres_offline_without_errors(loaded):
    page, canvases, problems = loaded
    assert canvases.count() == 2
    labels = [canvases.nth(i).get_attribute("aria-label") for i in range(2)]
    assert labels[0] == "Bloch sphere, qubit 0: 240 states, 2 classes, 2 label states, layer-by-layer paths"
    assert labels[1] == "Bloch sphere, qubit 1 (entangled): 180 states, 3 classes, 3 label states"
    for i in range(2):
        c = canvases.nth(i)
        size = c.evaluate("c => c.width * c.height")
        assert c.evaluate(COUNT_PIXELS) > 0.2 * size  # the ball alone covers ~40 % of the square
    page.wait_for_timeout(300)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert problems == []


def test_drag_rotates_and_double_click_resets(loaded):
    page, canvases, problems = loaded
    canvas = canvases.first
    page.mouse.move(5, 5)
    initial = _snapshot(canvas)
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x + 9 * k, y + 4 * k)
    page.mouse.up()
    rotated = _wait_changed(canvas, initial)
    assert rotated != initial
    page.mouse.dblclick(x + 90, y + 40)
    page.mouse.move(5, 5)  # leave the canvas so that no hover ring is drawn
    deadline = time.monotonic() + 5
    while _snapshot(canvas) != initial:
        assert time.monotonic() < deadline, "double-click did not restore the default view"
        time.sleep(0.05)
    assert problems == []


def test_python_update_redraws(loaded):
    page, canvases, problems = loaded
    canvas = canvases.first
    page.mouse.move(5, 5)
    before = _snapshot(canvas)
    page.get_by_role("button", name="Next frame").click()
    _wait_changed(canvas, before)
    deadline = time.monotonic() + 5
    while "step 1" not in (canvas.get_attribute("aria-label") or ""):
        assert time.monotonic() < deadline, canvas.get_attribute("aria-label")
        time.sleep(0.05)
    assert problems == []


# the first state drawn within 100 px of the canvas centre, so that the pointer lands on the ball
NEAR_CENTRE = """c => {
    for (let i = 0; ; i++) {
        const p = c.blochScreenPosition(i);
        if (p === null) return null;
        if (Math.hypot(p[0] - c.clientWidth / 2, p[1] - c.clientHeight / 2) < 100) return [i, p[0], p[1]];
    }
}"""


def test_hover_shows_tooltip_and_click_selects(loaded):
    page, canvases, problems = loaded
    canvas = canvases.nth(1)
    box = canvas.bounding_box()
    _, x, y = canvas.evaluate(NEAR_CENTRE)
    page.mouse.move(box["x"] + x, box["y"] + y)
    tooltip = page.locator("[role=tooltip]").nth(1)  # the second sphere's
    tooltip.wait_for(state="visible", timeout=5000)
    lines = tooltip.inner_text().splitlines()
    assert lines[0].startswith("state ") and "class " in lines[0]
    assert lines[1].startswith("x ") and " y " in lines[1] and " z " in lines[1]
    assert lines[2].startswith("|r| 0.")  # a state inside the ball
    page.mouse.move(5, 5)
    tooltip.wait_for(state="hidden", timeout=5000)

    canvas = canvases.first
    box = canvas.bounding_box()
    _, x, y = canvas.evaluate(NEAR_CENTRE)
    page.mouse.click(box["x"] + x, box["y"] + y)
    deadline = time.monotonic() + 5
    while "selected" not in (label := canvas.get_attribute("aria-label")):
        assert time.monotonic() < deadline, f"the click selected nothing: {label}"
        time.sleep(0.05)
    index = int(label.split("state ")[-1].split()[0])
    page.get_by_text(f"selected: {index}").wait_for(timeout=5000)  # the browser told Python
    assert problems == []
