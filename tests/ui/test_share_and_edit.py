"""The playground page as a save file: edit the circuit live, share the exact run as a link, go Back, survive a
mangled link, and take the model away as files that agree with the page."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from panel_server import record_problems
from playground.experiment import Experiment

pytestmark = pytest.mark.ui

U = "U(θ+w∘x)"


def _load_qasm_reference():
    path = Path(__file__).resolve().parents[1] / "playground" / "qasm_reference.py"
    spec = importlib.util.spec_from_file_location("qasm_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


QASM = _load_qasm_reference()


def slot(page, layer: int, qubit: int, content: str):
    return page.get_by_role("button", name=f"Layer {layer}, qubit {qubit}: {content}", exact=True)


def exact_button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def summary(page, text: str):
    return page.get_by_role("group", name=f"Circuit: {text}")


def query_of(url: str) -> dict:
    return parse_qs(urlparse(url).query)


def wait_url(app, predicate, what: str):
    return app.wait_until(lambda: predicate(app.page.url), 10, what=what)


def share_link(app) -> str:
    return app.page.get_by_label("Share link").input_value()


def page_state(app) -> dict:
    """What the page shows: the counters and a hash of every pixel of the boundary and of each point's class."""
    return {
        "step": app.number("step"), "loss": app.page.get_by_test_id("loss").inner_text(),
        "train": app.page.get_by_test_id("train-accuracy").inner_text(),
        "test": app.page.get_by_test_id("test-accuracy").inner_text(),
        "image": app.source_hash("boundary-image", "image"),
        "pred": app.source_hash("boundary-train", "pred"),
    }


def settle(app, steps: float) -> dict:
    """The page's state once it shows step ``steps`` and stops changing."""
    app.wait_until(lambda: app.number("step") == steps, 30, what=f"step {steps}")
    last, same = None, 0
    while same < 3:
        app.page.wait_for_timeout(150)
        state = page_state(app)
        same = same + 1 if state == last else 0
        last = state
    return last


def test_build_from_empty_train_share_and_continue(app, page, browser):
    app.open()
    page.get_by_role("button", name="Empty circuit: build your own").click()
    summary(page, "1 qubit · 1 layer · 0 trainable parameters").wait_for()
    slot(page, 1, 0, "empty").wait_for()

    # Build two layers on two qubits, clicking only: new wires and layers come with the paper's block in each
    # slot; the empty first slot gets one from the palette, and one slot becomes a trainable RY.
    exact_button(page, "Add qubit").click()
    slot(page, 1, 1, U).wait_for()
    exact_button(page, "Add layer").click()
    slot(page, 2, 1, U).wait_for()
    slot(page, 1, 0, "empty").click()
    exact_button(page, f"Gate {U}").click()
    slot(page, 1, 0, U).wait_for()
    slot(page, 2, 1, U).click()
    exact_button(page, "Gate RY(θ)").click()
    slot(page, 2, 1, "RY(θ)").wait_for()
    exact_button(page, "Entangler after layer 1: none").click()
    exact_button(page, "CZ").click()
    exact_button(page, "Entangler after layer 1: CZ chain (0–1)").wait_for()
    summary(page, "2 qubits · 2 layers · 16 trainable parameters").wait_for()
    # the sidebar follows the circuit; the address bar holds it
    assert page.get_by_text("Qubits: 2").is_visible() and page.get_by_text("Layers: 2").is_visible()
    wait_url(app, lambda u: "circuit" in query_of(u), "the circuit in the address bar")

    # train it (the circuit is live: the model on the page is the one just built)
    app.button("Play").click()
    app.wait_until(lambda: app.number("step") >= 60, 60, what="60 training steps")
    app.button("Pause").click()
    first_loss = float(page.get_by_test_id("loss").inner_text())
    assert first_loss < 0.5

    page.get_by_role("checkbox", name="Include the trained model").check()
    link = app.wait_until(lambda: "k=k1." in (text := share_link(app)) and text, 20, what="a link with the model")
    here = settle(app, app.number("step"))
    assert link.startswith(app.server.url) and "circuit=c1." in link
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.server.url)
    exact_button(page, "Copy").click()
    exact_button(page, "Copied ✓").wait_for()
    assert page.evaluate("() => navigator.clipboard.readText()") == link

    # a fresh page from the link: the same picture ...
    other_page = browser.new_page(viewport={"width": 1440, "height": 900})
    other_problems = record_problems(other_page, app.server.url + "/")
    try:
        other_page.goto(link)
        other = type(app)(other_page, app.server, app.problems)
        other_page.get_by_test_id("step").wait_for(timeout=60_000)
        other.wait_for_frame()
        summary(other_page, "2 qubits · 2 layers · 16 trainable parameters").wait_for()
        there = settle(other, here["step"])
        assert there == here

        # ... and the same next training step, bit for bit on screen
        app.button("Step").click()
        other.button("Step").click()
        assert settle(app, here["step"] + 1) == settle(other, here["step"] + 1)
        other_page.screenshot(path=str(app.server.log_path.parent / "shared_link_page.png"), full_page=True)
    finally:
        other_page.close()
    assert other_problems == []


def test_back_undoes_the_last_edit(app, page):
    app.open("n_layers=3")
    summary(page, "1 qubit · 3 layers · 15 trainable parameters").wait_for()
    exact_button(page, "Add layer").click()
    summary(page, "1 qubit · 4 layers · 20 trainable parameters").wait_for()
    wait_url(app, lambda u: "n_layers" not in query_of(u), "4 layers (the default: no n_layers in the address)")
    url_4 = page.url
    slot(page, 2, 0, U).click()
    exact_button(page, "Gate RX(θ)").click()
    slot(page, 2, 0, "RX(θ)").wait_for()
    summary(page, "1 qubit · 4 layers · 16 trainable parameters").wait_for()
    wait_url(app, lambda u: u != url_4, "the edit in the address bar")

    page.go_back()
    slot(page, 2, 0, U).wait_for()  # the gate edit is undone, in the circuit ...
    summary(page, "1 qubit · 4 layers · 20 trainable parameters").wait_for()
    assert page.url == url_4
    app.button("Step").click()  # ... and in the model that trains
    app.wait_until(lambda: app.number("step") == 1, 20, what="one step")
    assert page.get_by_text("Layers: 4").is_visible()

    page.go_back()
    summary(page, "1 qubit · 3 layers · 15 trainable parameters").wait_for()
    page.go_forward()
    summary(page, "1 qubit · 4 layers · 20 trainable parameters").wait_for()


def test_hand_mangled_link_shows_a_notice_and_a_working_page(app, page):
    app.open("dataset=moons&circuit=c1.eNq1jUsOwjAMBe_idRC0CJBylapCoXVDROqUfJCgyt1xxBrKp"
             "&n_layers=many&k=k1.%3Cscript%3E&seed=-5")
    notice = page.get_by_role("alert")
    notice.wait_for()
    text = notice.inner_text()
    assert "circuit" in text and "n_layers" in text and "trained model" in text and "seed" in text
    assert "<script>" not in notice.inner_html()
    summary(page, "1 qubit · 4 layers · 20 trainable parameters").wait_for()  # the default circuit
    app.button("Step").click()
    app.wait_until(lambda: app.number("step") == 1, 20, what="one step")
    # the address bar no longer carries what was ignored
    wait_url(app, lambda u: "circuit" not in query_of(u) and "n_layers" not in query_of(u), "a cleaned address")


def _download(page, label: str) -> bytes:
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name=label).click()
    return open(info.value.path(), "rb").read()


def _page_predictions(app) -> tuple[np.ndarray, np.ndarray]:
    """The training points and the class the page shows each of them as."""
    data = app.page.evaluate("""() => { const d = Bokeh.documents[0].get_model_by_name('boundary-train').data;
                                        return {x: Array.from(d.x), y: Array.from(d.y), pred: Array.from(d.pred)}; }""")
    return np.column_stack([data["x"], data["y"]]), np.array(data["pred"])


def test_files_and_exports_agree_with_the_page(app, page, tmp_path):
    app.open("dataset=moons&n_qubits=2&n_layers=3&entangler=cnot-ring&cost=weighted_fidelity")
    for _ in range(4):
        app.button("Step").click()
    settle(app, 4)
    X, shown = _page_predictions(app)

    # the experiment file: the page's model, scored as the page scores it
    exp = Experiment.from_json(_download(page, "Experiment (.json)"))
    assert exp.metrics.steps == 4 and exp.spec.n_qubits == 2 and exp.spec.uses_entanglement()
    assert exp.metrics.train_accuracy == pytest.approx(float(page.get_by_test_id("train-accuracy").inner_text()), abs=6e-4)

    # the PennyLane script runs and predicts what the page shows
    script = tmp_path / "model.py"
    script.write_bytes(_download(page, "PennyLane script (.py)"))
    points = tmp_path / "points.json"
    points.write_text(json.dumps(X.tolist()))
    out = subprocess.run([sys.executable, str(script), str(points)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert np.array_equal(np.array(json.loads(out.stdout)["predictions"]), shown)

    # OpenQASM 3 bound to a training point, parsed by the reference parser and simulated on its own
    i = int(np.argmax(np.abs(X[:, 0] - X[:, 1])))
    for label, value in (("x₁", X[i, 0]), ("x₂", X[i, 1])):
        box = page.get_by_label(label, exact=True)
        box.fill(repr(float(value)))
        box.press("Enter")
    page.wait_for_timeout(300)
    qasm = _download(page, "OpenQASM 3 (.qasm)").decode()
    header = qasm.replace("\n// ", " ")  # the comment header wraps its lines
    bound = json.loads(header.split("bound to x = ", 1)[1].split("]", 1)[0] + "]")
    assert np.allclose(bound, X[i], rtol=0, atol=1e-12)  # the point typed in on the page
    state = QASM.simulate_qasm(qasm)  # openqasm3.parse, then each gate of the AST applied with NumPy
    clf = exp.build_classifier()
    weights = clf.split(exp.params)[1]
    r = clf.readout_from((np.abs(state) ** 2)[None, :], QASM.bloch_vectors(state, 2)[None], weights)
    assert r.predictions[0] == shown[i]
    assert np.allclose(r.fidelities, clf.readout(exp.params, X[i : i + 1]).fidelities, atol=1e-10)

    # the history as CSV: a header and one row per recorded step
    rows = _download(page, "Training history (.csv)").decode().strip().splitlines()
    assert rows[0] == "step,epoch,loss,train_loss,train_accuracy,test_accuracy" and len(rows) == 1 + 5

    # a broken file changes nothing and says why
    before = page_state(app)
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "reuploading-playground/experiment", "version": 1, "circuit": 3}')
    page.get_by_label("Open an experiment file").set_input_files(str(bad))
    page.get_by_role("alert").filter(has_text="Could not open broken.json").wait_for()
    assert page_state(app) == before

    # the good file, opened in a fresh session, shows the same model
    good = tmp_path / "run.json"
    good.write_text(exp.to_json())
    app.open()
    page.get_by_label("Open an experiment file").set_input_files(str(good))
    summary(page, "2 qubits · 3 layers · 30 trainable parameters").wait_for()
    app.wait_until(lambda: np.array_equal(_page_predictions(app)[1], shown), 20, what="the file's predictions")
    assert "moons" in page.url


def test_every_view_saves_a_png(app, page):
    app.open("n_qubits=2&n_layers=2")
    png = b"\x89PNG\r\n\x1a\n"
    spheres = page.get_by_role("button", name="Save this sphere as a PNG picture")
    assert spheres.count() == 3  # the final state of each qubit, and the layer view's sphere
    with page.expect_download(timeout=30_000) as info:
        spheres.first.click()
    assert info.value.suggested_filename == "qubit_0.png"
    assert open(info.value.path(), "rb").read(8) == png
