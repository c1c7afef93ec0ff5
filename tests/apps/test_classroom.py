"""Class links: the chosen groups are left out of the students' page, and what they hold cannot be changed there."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from apps.classroom import CLASS_GROUPS, decode_class, encode_class, locked_settings
from apps.playground_app import PlaygroundApp
from apps.settings import PlaygroundSettings


def _page(query: str = "") -> PlaygroundApp:
    args = {k: [v[-1].encode()] for k, v in parse_qs(query.lstrip("?"), keep_blank_values=True).items()}
    return PlaygroundApp(args).start()


def _class_query(teacher_query: str, hidden: list[str]) -> str:
    teacher = _page(teacher_query)
    teacher.class_link.hidden = hidden
    return urlparse(teacher.class_link.link).query


def _titles(app: PlaygroundApp) -> set[str]:
    return {o.title for o in app._layout.select(lambda o: hasattr(o, "title") and isinstance(o.title, str)) if o.title}


def test_the_token_carries_the_hidden_groups_and_the_locked_values():
    s = PlaygroundSettings(n_layers=3, cost="weighted_fidelity", optimizer="sgd", dataset="moons")
    link, notices = decode_class(encode_class(["training", "model", "nowhere"], s))
    assert not notices and link.hidden == ("model", "training")
    assert link.values == {"cost": "weighted_fidelity", "optimizer": "sgd"}
    assert set(locked_settings(("model", "training"))) == {"cost", "readout", "init", "optimizer", "learning_rate",
                                                            "batch_size", "steps_per_frame", "resolution"}
    assert "circuit" in locked_settings(("model", "editor")) and "circuit" not in locked_settings(("editor",))


def test_a_students_page_leaves_the_hidden_groups_out_and_a_teachers_page_offers_the_card():
    teacher = _page()
    assert "For a class" in _titles(teacher) and teacher.class_link.link == "Tick what to hide first."
    query = _class_query("n_layers=3", ["editor", "model", "share", "gallery", "header", "explanations"])
    student = _page(query)
    titles = _titles(student)
    assert {"Data", "Training", "Decision boundary", "Loss and accuracy"} <= titles
    assert not {"Model", "Share and save", "Gallery: start from…", "For a class", "What does this show?"} & titles
    assert not any(t.startswith("Circuit") for t in titles)
    assert "Quantum re-uploading playground" not in str(student._layout.objects[0])
    assert student.editor not in list(student._layout.select(type(student.editor)))
    assert "class=cl1." in student._address() and not student._notice.visible


def test_nothing_on_the_page_changes_a_locked_setting():
    query = _class_query("n_layers=3&cost=weighted_fidelity&optimizer=sgd", ["model", "editor", "training"])
    app = _page(query)
    assert (app.settings.n_layers, app.settings.cost, app.settings.optimizer) == (3, "weighted_fidelity", "sgd")
    app.load_gallery("paper-2q")  # a gallery entry sets the circuit and the cost
    app.start_lesson("reuploading")  # a lesson step sets n_layers, the optimizer and more
    app._on_navigate("?n_layers=9&optimizer=adam")  # Back / Forward
    other = _page("n_layers=7&cost=fidelity")
    app.load_file(other.make_file("experiment").encode(), "run.json")  # a file
    assert (app.settings.n_layers, app.settings.n_qubits, app.settings.cost, app.settings.optimizer) == (
        3, 1, "weighted_fidelity", "sgd")
    assert app.session._trainer.classifier.spec.n_layers == 3
    app.settings.dataset = "spiral"  # what the link leaves open still changes
    assert app.session._trainer.train.name == "spiral"


def test_the_address_cannot_change_a_locked_setting():
    query = _class_query("n_layers=3&cost=weighted_fidelity", ["model", "editor"])
    app = _page(query.replace("n_layers=3", "n_layers=9") + "&cost=fidelity&init=zeros")
    assert (app.settings.n_layers, app.settings.cost, app.settings.init) == (3, "weighted_fidelity", "uniform")
    assert "cost, init, n_layers: set by the class link" in app._notice.object


@pytest.mark.parametrize("token", ["cl1.@@@", "nonsense", "cl1." + "A" * 5000, "cl1.aGlkZT1ldmVyeXRoaW5n"])
def test_a_bad_class_token_is_one_notice_and_the_whole_page(token):
    app = _page(f"class={token}&n_layers=2")
    assert app._notice.visible and "class" in app._notice.object
    assert "For a class" in _titles(app) or "unknown group" in app._notice.object
    assert app.settings.n_layers == 2 and app.session.frame.error is None


def test_every_group_can_be_hidden_and_the_page_still_trains():
    query = _class_query("", list(CLASS_GROUPS))
    app = _page(query)
    app.settings.step = True
    assert app.session.frame.n_steps == 1 and app.session.frame.error is None
