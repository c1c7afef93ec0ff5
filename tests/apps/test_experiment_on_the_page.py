"""The page as a save file, without a browser: circuit ↔ settings, address bar, Back, share links with the trained
model, experiment files, exports and the gallery."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pytest
from hypothesis import given, settings as hyp_settings
from hypothesis import strategies as st

from apps.gallery import GALLERY
from apps.playground_app import PlaygroundApp
from apps.settings import PlaygroundSettings, circuit_from_shape, parse_query, shape_of, to_query
from playground.experiment import Experiment
from playground.links import encode_checkpoint
from playground.spec import CircuitSpec, EntanglerSpec, GateSpec
from widgets.url_state import UrlState


def _load(name: str):
    path = Path(__file__).resolve().parents[1] / "playground" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_{name}_for_apps", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SPEC_TESTS = _load("test_spec")  # the edit strategy of the spec's own property test


def _query(text: str) -> dict:
    return {k: [v[-1].encode()] for k, v in parse_qs(text.lstrip("?"), keep_blank_values=True).items()}


def _app(query: str = "") -> PlaygroundApp:
    return PlaygroundApp(_query(query)).start()


def _picture(app: PlaygroundApp) -> tuple:
    f = app.session.frame
    return (f.n_steps, f.loss, f.train_accuracy, f.test_accuracy, f.boundary.image.tobytes(),
            f.snapshot.train_pred.tobytes())


# ------------------------------------------------------------------ the circuit is a setting


def test_shape_settings_edit_the_circuit_and_keep_untouched_gates():
    s = PlaygroundSettings()
    uids = [g.uid for *_, g in s.circuit.gates()]
    s.n_layers = 6
    assert s.circuit.n_layers == 6 and [g.uid for *_, g in s.circuit.gates()][:4] == uids
    s.n_qubits = 3
    assert s.circuit.n_qubits == 3 and s.circuit.entangler_pairs(0) == ((0, 1), (1, 2))  # CZ chain
    s.entangler = "cnot-ring"
    assert s.circuit.layers[0].entangler == EntanglerSpec("cnot", "ring") and not s.circuit.entangler_pairs(5)
    s.encoding = "original"
    assert {g.kind for *_, g in s.circuit.gates()} == {"original"}
    s.dataset = "sphere"  # 3 features
    assert s.circuit.n_features == 3


def test_the_shape_settings_follow_an_edited_circuit():
    s = PlaygroundSettings(n_qubits=2)
    s.circuit = s.circuit.with_gate(0, 1, GateSpec("ry")).insert_layer(0)
    assert (s.n_qubits, s.n_layers, s.encoding) == (2, 5, "custom")
    s.circuit = s.circuit.with_entangler(1, EntanglerSpec("cnot", "pairs", ((1, 0),)))
    assert s.entangler == "custom"
    before = s.circuit
    s.n_layers = 3  # a custom entangler or encoding is left as it is, the layers are cut from the end
    assert s.circuit.layers[:3] == before.layers[:3]


@pytest.mark.parametrize("entangler", ["none", "cz-chain", "cz-alternating", "cz-ring", "cnot-chain", "cnot-ring"])
def test_shape_of_reads_back_what_circuit_from_shape_builds(entangler):
    circuit = circuit_from_shape(None, 3, 4, entangler, "compressed", 2)
    assert shape_of(circuit) == {"n_qubits": 3, "n_layers": 4, "encoding": "compressed", "entangler": entangler}


@hyp_settings(max_examples=80, deadline=None)
@given(st.lists(SPEC_TESTS._edit, max_size=10))
def test_any_edited_circuit_round_trips_through_the_address(edits):
    spec = CircuitSpec.paper(2, 3)
    for edit in edits:
        spec = SPEC_TESTS._apply(spec, edit)
    spec = spec.with_n_qubits(min(spec.n_qubits, 4)).with_n_layers(min(spec.n_layers, 15))
    s = PlaygroundSettings(circuit=spec)
    values, notices = parse_query(_query(to_query(s)))
    assert not notices
    t = PlaygroundSettings()
    t.param.update({k: v for k, v in values.items() if k != "circuit"})
    if "circuit" in values:
        t.circuit = values["circuit"]
        assert t.circuit == spec  # exactly, uids included (parameters follow gates by uid)
    else:  # the short form: the shape settings rebuild the same circuit
        assert t.circuit.describe() == spec.describe() and t.circuit.n_params == spec.n_params


# ------------------------------------------------------------------ edits reach the running model


def test_an_edit_applies_to_the_running_model_and_keeps_trained_gates():
    app = _app("n_layers=3")
    for _ in range(5):
        app.settings.step = True
    trainer = app.session._trainer
    program = trainer.classifier.program
    kept = {uid: trainer.params[o:o + n].copy() for uid, (o, n) in program.gate_slices.items()}
    touched = app.editor.spec.layers[1].slots[0][0].uid
    assert app.editor.set_gate(1, 0, GateSpec("ry"))
    trainer = app.session._trainer
    assert trainer.n_steps == 5 and trainer.classifier.spec == app.editor.spec == app.settings.circuit
    for uid, (o, n) in trainer.classifier.program.gate_slices.items():
        if uid in kept:
            assert np.array_equal(trainer.params[o:o + n], kept[uid])
    assert touched not in trainer.classifier.program.gate_slices
    assert app.session.frame.model_spec == app.editor.spec
    assert app.editor.params is not None and len(app.editor.params) == app.editor.spec.n_params


def test_reset_after_an_edit_starts_where_a_fresh_page_from_the_link_starts():
    app = _app("n_layers=3&seed=7")
    for _ in range(4):
        app.settings.step = True
    app.editor.add_layer()
    app.editor.set_gate(0, 0, GateSpec("rx", "feature", feature=1))
    app.settings.reset = True
    fresh = _app(app.url.search)
    assert fresh.settings.circuit == app.settings.circuit
    assert np.array_equal(fresh.session._trainer.params, app.session._trainer.params)
    assert _picture(fresh) == _picture(app)
    for _ in range(3):
        app.settings.step = True
        fresh.settings.step = True
    assert _picture(fresh) == _picture(app)  # the same curve


# ------------------------------------------------------------------ the address bar and Back


def test_every_edit_is_a_pushed_history_entry_and_sliders_merge():
    app = _app()
    serial = app.url.serial
    app.editor.add_layer()
    assert (app.url.mode, app.url.serial) == ("push", serial + 1) and app.url.search == "?n_layers=5"
    app.editor.set_gate(0, 0, None)
    assert app.url.mode == "push" and "circuit=c1." in app.url.search
    app.settings.learning_rate = 0.1
    assert app.url.mode == "auto" and "learning_rate=0.1" in app.url.search
    app.settings.playing = True  # playing is not part of the address
    assert "playing" not in app.url.search


def test_back_applies_the_older_address_without_pushing():
    app = _app("n_layers=3")
    first = app.url.search or "?n_layers=3"
    app.editor.set_gate(1, 0, GateSpec("rz"))
    after_edit = app.url.search
    serial = app.url.serial
    app.url._handle_msg({"search": first})  # what the browser reports on Back
    assert app.settings.circuit.describe() == CircuitSpec.paper(1, 3).describe()
    assert app.session._trainer.classifier.spec == app.settings.circuit
    assert app.url.serial == serial  # nothing new was written: the address already says this
    app.url._handle_msg({"search": after_edit})  # Forward
    assert app.settings.circuit.layers[1].slots[0][0].kind == "rz"
    assert app.url.mode in ("replace", "push") and app.url.serial == serial


def test_back_to_an_address_without_a_setting_restores_its_default():
    app = _app("learning_rate=0.3&dataset=moons")
    app.url._handle_msg({"search": "?dataset=moons"})
    assert app.settings.learning_rate == PlaygroundSettings.param.learning_rate.default
    assert app.settings.dataset == "moons"


@pytest.mark.parametrize("message", [None, 3, [], {"search": 5}, {"search": "?" + "a" * 50_000},
                                     {"base": "javascript:alert(1)"}, {"base": "http://x/<script>"}])
def test_url_state_ignores_malformed_messages(message):
    seen = []
    url = UrlState(on_navigate=seen.append)
    url._handle_msg(message)
    assert seen == [] and url.base == ""


def test_url_state_takes_a_page_address_as_the_link_base():
    url = UrlState()
    url._handle_msg({"base": "https://example.org/playground"})
    assert url.link("n_layers=5") == "https://example.org/playground?n_layers=5"


# ------------------------------------------------------------------ links with the trained model


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "lbfgs"])
def test_a_link_with_the_trained_model_continues_bit_for_bit(optimizer):
    app = _app(f"n_qubits=2&n_layers=3&entangler=cnot-chain&optimizer={optimizer}&batch_size=16&cost=weighted_fidelity")
    for _ in range(7):
        app.settings.step = True
    app.editor.set_gate(2, 1, GateSpec("ry"))  # an edit mid-run: the checkpoint carries that too
    for _ in range(2):
        app.settings.step = True
    app.share.with_model = True
    link = app.share.link
    assert "&k=k1." in link
    other = _app(link)
    assert other._notice.visible is False
    assert _picture(other) == _picture(app)
    assert np.array_equal(other.session.frame.snapshot.history["step"][-1:], [9])
    for _ in range(3):
        app.settings.step = True
        other.settings.step = True
        assert _picture(other) == _picture(app)


def test_the_link_follows_the_model_while_paused_and_falls_back_when_too_large():
    app = _app("n_layers=2")
    app.share.with_model = True
    first = app.share.link
    app.settings.step = True
    assert app.share.link != first and "k=k1." in app.share.link
    app.share.with_model = False
    assert "k=" not in app.share.link

    big = _app("n_qubits=4&n_layers=15&optimizer=lbfgs")  # L-BFGS keeps 10 pairs of 1200-number vectors
    for _ in range(12):
        big.settings.step = True
    big.share.with_model = True
    assert "k=" not in big.share.link and "too large for a link" in big.share.message


@pytest.mark.parametrize("k", ["k1.AAAA", "k1." + "A" * 20_000, "x", encode_checkpoint({"version": 1})])
def test_a_broken_model_in_a_link_is_reported_and_the_page_starts_from_the_seed(k):
    app = _app(f"n_layers=2&k={k}")
    reference = _app("n_layers=2")
    assert app._notice.visible and "trained model" in app._notice.object
    assert _picture(app) == _picture(reference)


def test_a_model_from_another_circuit_is_refused():
    src = _app("n_layers=3")
    src.share.with_model = True
    k = parse_qs(src.share.link.split("?", 1)[1])["k"][0]
    app = _app(f"n_layers=4&k={k}")
    assert "does not fit" in app._notice.object and app.session.frame.n_steps == 0


# ------------------------------------------------------------------ files and exports


def test_every_export_is_made_for_a_multi_qubit_weighted_model():
    app = _app("dataset=moons&n_qubits=2&n_layers=2&cost=weighted_fidelity&entangler=cnot-ring")
    for _ in range(3):
        app.settings.step = True
    exp = Experiment.from_json(app.make_file("experiment"))
    assert exp.metrics.steps == 3 and exp.cost == "weighted_fidelity"
    assert np.array_equal(exp.params, app.session._trainer.params)
    assert exp.metrics.train_accuracy == pytest.approx(app.session.frame.train_accuracy)
    assert "import pennylane" in app.make_file("pennylane")
    assert "(nn.Module)" in app.make_file("torch")
    qasm = app.make_file("qasm")
    assert qasm.startswith("OPENQASM 3.0;") and "qubit[2] q;" in qasm
    rows = app.make_file("history").splitlines()
    assert rows[0] == "step,epoch,loss,train_loss,train_accuracy,test_accuracy" and len(rows) == 5
    with pytest.raises(ValueError, match="unknown export"):
        app.make_file("exe")


def test_the_download_buttons_deliver_the_files():
    app = _app()
    for kind, button in app.share.downloads.items():
        data = button.callback().read()
        assert data and data.decode("utf-8") == app.make_file(kind)


def test_an_experiment_file_reopens_the_same_run():
    src = _app("dataset=spiral&n_qubits=2&n_layers=4&noise=0.05&seed=11&learning_rate=0.1&batch_size=16")
    for _ in range(6):
        src.settings.step = True
    src.editor.set_gate(0, 1, GateSpec("rx"))
    text = src.make_file("experiment")
    app = _app()
    app.load_file(text.encode(), "run.json")
    assert app.share.message == "Opened run.json with its trained parameters."
    assert app.settings.circuit == src.settings.circuit
    for key in ("dataset", "n_samples", "test_fraction", "noise", "seed", "learning_rate", "batch_size", "cost"):
        assert getattr(app.settings, key) == getattr(src.settings, key), key
    assert np.array_equal(app.session._trainer.params, src.session._trainer.params)
    assert app.session.frame.boundary.image.tobytes() == src.session.frame.boundary.image.tobytes()


def _valid_file() -> dict:
    src = _app()
    return json.loads(src.make_file("experiment"))


@pytest.mark.parametrize("mangle, message", [
    (lambda d: "{not json", "parse error"),
    (lambda d: dict(d, format="other"), "format"),
    (lambda d: dict(d, params=[0.0]), "params"),
    (lambda d: {**d, "data": {**d["data"], "n_train": 5000}}, "points in all"),
    (lambda d: {**d, "data": {**d["data"], "n_train": 1990, "n_test": 10}}, "test share"),
    (lambda d: {**d, "circuit": CircuitSpec.paper(6, 2).to_dict(), "params": None, "metrics": None},
     "at most 4 qubits"),
    (lambda d: {**d, "data": {"dataset": "csv", **{k: v for k, v in d["data"].items() if k != "dataset"}}},
     "data"),
])
def test_a_bad_file_changes_nothing_and_says_why(mangle, message):
    app = _app("n_layers=2")
    app.settings.step = True
    before = (_picture(app), app.settings.param.values(), app.url.serial)
    data = mangle(_valid_file())
    app.load_file((data if isinstance(data, str) else json.dumps(data)).encode(), "bad.json")
    assert message in app._notice.object and "Nothing was changed" in app._notice.object
    assert (_picture(app), app.settings.param.values(), app.url.serial) == before


def test_an_uploaded_file_name_is_escaped():
    app = _app()
    app.load_file(b"{", "<img src=x onerror=alert(1)>.json")
    assert "<img" not in app._notice.object and "&lt;img" in app._notice.object


# ------------------------------------------------------------------ gallery


@pytest.mark.parametrize("key", list(GALLERY))
def test_every_gallery_entry_loads_and_trains(key):
    app = _app("n_layers=2&dataset=moons")
    app.load_gallery(key)
    entry = GALLERY[key]
    assert app.settings.circuit.describe() == entry.circuit().describe()
    assert app.session._trainer.classifier.spec == app.settings.circuit
    app.settings.step = True
    assert app.session.frame.error is None and app.session.frame.n_steps == 1
    assert app.url.mode == "push"
    assert entry.title in app._gallery_text.object


def test_the_one_layer_entry_cannot_learn_the_circle_but_four_layers_can():
    accuracy = {}
    for key in ("one-layer", "paper-1q"):
        app = _app("steps_per_frame=50")
        app.load_gallery(key)
        trainer = app.session._trainer
        trainer.run(150)
        accuracy[key] = trainer.evaluate()["test_accuracy"]
    assert accuracy["one-layer"] < 0.75 < 0.85 < accuracy["paper-1q"]


# ------------------------------------------------------------------ the paper's own points and start
def test_the_papers_points_and_start_on_the_page_travel_in_files_and_links():
    from playground.paper import paper_draw, paper_start

    app = _app("paper_draw=1&init=paper&optimizer=lbfgs&n_layers=2")
    trainer = app.session._trainer
    train, test = paper_draw("circle")
    assert np.array_equal(trainer.train.X, train.X) and trainer.test.n_samples == 4000
    assert np.array_equal(trainer.params, paper_start("circle", app.settings.circuit))
    assert not app._notice.visible
    for _ in range(3):
        app.settings.step = True
    data = json.loads(app.make_file("experiment"))
    assert data["data"]["paper_draw"] is True and data["training"]["init"] == "paper"
    assert "paper_draw=1" in app.share.link
    other = _app()
    other.load_file(app.make_file("experiment").encode(), "paper.json")
    assert other.settings.paper_draw and other.settings.init == "paper"
    assert np.array_equal(other.session._trainer.params, app.session._trainer.params)
    assert _picture(other)[2:] == _picture(app)[2:]  # same accuracies, boundary and predictions
    linked = _app(app.share.link.split("?", 1)[1])
    assert linked.settings.paper_draw and np.array_equal(linked.session._trainer.train.X, train.X)


def test_the_papers_points_and_start_elsewhere_say_so_and_fall_back():
    app = _app("dataset=moons&paper_draw=1")
    assert app.settings.paper_draw is False and "paper_draw" in app._notice.object
    app = _app("dataset=moons&init=paper")
    assert app.session._trainer.init == "uniform" and "starting values exist only for" in app._notice.object
    assert json.loads(app.make_file("experiment"))["training"]["init"] == "uniform"
    app = _app("paper_draw=1")
    app.settings.dataset = "moons"  # another problem: back to the page's own draw
    assert app.settings.paper_draw is False and app.session._trainer.train.n_samples < 400


def test_the_paper_draw_checkbox_shows_for_paper_problems_and_fixes_the_draw_settings():
    from widgets.controls import DataControls

    s = PlaygroundSettings()
    data = DataControls(settings=s)
    assert data.paper_draw.visible and not data.noise.disabled
    data.paper_draw.value = True
    assert s.paper_draw and data.noise.disabled and data.n_samples.disabled and data.regenerate.disabled
    s.dataset = "spiral"
    assert not data.paper_draw.visible and not s.paper_draw and not data.noise.disabled
