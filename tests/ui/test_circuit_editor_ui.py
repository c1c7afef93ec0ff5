"""Real-browser tests of the CircuitEditor: build a circuit by clicking, by keyboard and by dragging; undo."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from panel_server import launch_chromium, record_problems, serve_panel_file

pytestmark = pytest.mark.ui

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "test-artifacts" / "ui" / "circuit_editor.png"
U = "U(θ+w∘x)"

# Only the editor, starting from one empty slot; added layers and wires start empty too, so every gate in the
# tests below was put there by the test.
APP = textwrap.dedent('''
    import panel as pn

    from playground.spec import CircuitSpec
    from widgets.circuit_editor import CircuitEditor

    pn.extension()
    editor = CircuitEditor(spec=CircuitSpec.empty(1, 1), new_gate=None, show_text=True)
    pn.Column(editor, width=1000, margin=(10, 16)).servable(title="Circuit editor")
''')


@pytest.fixture(scope="module")
def editor_url(tmp_path_factory):
    with serve_panel_file(APP, "circuit_editor_app", tmp_path_factory.mktemp("circuit_editor_app")) as (url, log):
        yield url
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log


@pytest.fixture(scope="module")
def editor_browser(playwright):
    with launch_chromium(playwright) as browser:
        yield browser


@pytest.fixture
def editor_page(editor_browser, editor_url):
    """A fresh session of the test page; every console error and failed or off-site request is recorded."""
    page = editor_browser.new_page(viewport={"width": 1040, "height": 720})
    problems = record_problems(page, editor_url)
    page.goto(editor_url)
    slot(page, 1, 0, "empty").wait_for(timeout=30_000)
    yield page, problems
    page.close()


def slot(page, layer: int, qubit: int, content: str):
    return page.get_by_role("button", name=f"Layer {layer}, qubit {qubit}: {content}", exact=True)


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def circuit_text(page) -> str:
    return page.get_by_label("Circuit text").inner_text().strip()


def wait_text(page, expected: str, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while (now := circuit_text(page)) != expected:
        assert time.monotonic() < deadline, f"circuit text stayed {now!r}, expected {expected!r}"
        page.wait_for_timeout(50)


def focused_name(page) -> str | None:
    """Accessible name (aria-label) of the element with focus, looking through the shadow roots."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        return el ? el.getAttribute('aria-label') : null;
    }""")


def wait_focus(page, name: str, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while (now := focused_name(page)) != name:
        assert time.monotonic() < deadline, f"focus stayed on {now!r}, expected {name!r}"
        page.wait_for_timeout(50)


def test_build_a_two_by_two_circuit_by_clicking_then_undo(editor_page):
    page, problems = editor_page
    assert circuit_text(page) == "q0: —"

    button(page, "Add qubit").click()
    slot(page, 1, 1, "empty").wait_for()
    button(page, "Add layer").click()
    slot(page, 2, 1, "empty").wait_for()
    wait_text(page, "q0: — | —\nq1: — | —")

    for layer, qubit in [(1, 0), (1, 1), (2, 0)]:
        slot(page, layer, qubit, "empty").click()
        button(page, f"Gate {U}").click()
        slot(page, layer, qubit, U).wait_for()

    # a CNOT pair after layer 1, turned round to control 1 → target 0
    button(page, "Entangler after layer 1: none").click()
    button(page, "CNOT").click()
    button(page, "Entangler after layer 1: CNOT chain (0→1)").wait_for()
    button(page, "Pairs").click()
    button(page, "Flip pair 0 → 1").click()
    button(page, "Entangler after layer 1: CNOT 1→0").wait_for()

    slot(page, 2, 1, "empty").click()
    button(page, f"Gate {U}").click()
    wait_text(page, f"q0: {U} | {U}\nq1: {U} | {U}\nent: CNOT 1→0 | none")
    assert page.get_by_role("group", name="Circuit: 2 qubits · 2 layers · 20 trainable parameters").is_visible()

    page.mouse.move(0, 0)
    page.wait_for_timeout(200)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    button(page, "Undo").click()
    wait_text(page, f"q0: {U} | {U}\nq1: {U} | —\nent: CNOT 1→0 | none")
    slot(page, 2, 1, "empty").wait_for()
    button(page, "Redo").click()
    wait_text(page, f"q0: {U} | {U}\nq1: {U} | {U}\nent: CNOT 1→0 | none")
    assert problems == []


def test_impossible_edit_says_why(editor_page):
    page, problems = editor_page
    remove = button(page, "Remove layer 1")
    assert remove.get_attribute("aria-disabled") == "true"  # dimmed, yet a click says why not
    remove.click(force=True)
    status = page.get_by_role("status")
    status.filter(has_text="Can't remove layer 1").wait_for()
    assert "expected at least 1 layer to remain" in status.inner_text()
    assert circuit_text(page) == "q0: —"
    assert problems == []


def test_keyboard_only(editor_page):
    page, problems = editor_page
    button(page, "Add qubit").focus()
    page.keyboard.press("Enter")
    slot(page, 1, 1, "empty").wait_for()

    slot(page, 1, 0, "empty").focus()
    page.keyboard.press("Enter")  # selects the slot ...
    page.get_by_text("Selected: layer 1, qubit 0").wait_for()
    page.keyboard.press("Enter")  # ... and the next Enter cycles its kind
    wait_focus(page, f"Layer 1, qubit 0: {U}")
    page.keyboard.press("y")
    wait_focus(page, "Layer 1, qubit 0: RY(θ)")
    page.keyboard.press("ArrowDown")
    wait_focus(page, "Layer 1, qubit 1: empty")
    page.keyboard.press("x")
    wait_focus(page, "Layer 1, qubit 1: RX(θ)")
    page.keyboard.press("Delete")
    wait_focus(page, "Layer 1, qubit 1: empty")
    wait_text(page, "q0: RY(θ)\nq1: —")

    page.keyboard.press("Control+z")
    wait_text(page, "q0: RY(θ)\nq1: RX(θ)")
    page.keyboard.press("Control+Shift+z")
    wait_text(page, "q0: RY(θ)\nq1: —")

    page.keyboard.press("Tab")  # after the last slot of a layer comes its entangler
    wait_focus(page, "Entangler after layer 1: none")
    page.keyboard.press("Enter")
    button(page, "CZ").focus()
    page.keyboard.press("Enter")
    wait_text(page, "q0: RY(θ)\nq1: —\nent: CZ chain")
    assert problems == []


def test_drag_a_gate_onto_a_slot_and_hover_for_its_formula(editor_page):
    page, problems = editor_page
    page.get_by_label("Rotation angle").select_option("feature")
    chip = button(page, "Gate RY(w·x1+b)")
    chip.drag_to(slot(page, 1, 0, "empty"))
    wait_text(page, "q0: RY(w·x1+b)")

    slot(page, 1, 0, "RY(w·x1+b)").hover()
    tip = page.get_by_role("tooltip")
    tip.filter(has_text="RY(w·x1 + b): 2 trainable parameters").wait_for()
    assert tip.inner_text().startswith("Layer 1, qubit 0")
    assert problems == []


def test_layer_buttons_and_dragging_a_layer(editor_page):
    page, problems = editor_page
    button(page, "Add layer").click()
    slot(page, 2, 0, "empty").click()
    button(page, "Gate RY(θ)").click()
    wait_text(page, "q0: — | RY(θ)")

    button(page, "Move layer 2 left").click()
    wait_text(page, "q0: RY(θ) | —")
    wait_focus(page, "Move layer 1 left")  # focus follows the moved layer

    page.get_by_text("Layer 1", exact=True).drag_to(page.get_by_role("group", name="Layer 2", exact=True))
    wait_text(page, "q0: — | RY(θ)")

    button(page, "Duplicate layer 2").click()
    wait_text(page, "q0: — | RY(θ) | RY(θ)")
    button(page, "Remove layer 1").click()
    wait_text(page, "q0: RY(θ) | RY(θ)")
    assert problems == []
