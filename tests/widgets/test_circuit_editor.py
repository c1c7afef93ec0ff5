"""CircuitEditor without a browser: edits, refusals, undo/redo, hover formulas, escaping and the page's requests."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.program import compile_spec
from playground.spec import CircuitSpec, EntanglerSpec, GateSpec, LayerSpec
from widgets.circuit_editor import CircuitEditor, editor_view, gate_formula, slot_name

U = GateSpec("compressed")
RY = GateSpec("ry")


def uids(spec: CircuitSpec) -> dict[tuple[int, int, int], int]:
    return {(li, q, i): g.uid for li, q, i, g in spec.gates()}


def layer_uids(spec: CircuitSpec, li: int) -> list[int]:
    return [g.uid for _, _, g in spec.layers[li].gates()]


@pytest.fixture
def editor():
    """Two qubits, three layers of compressed blocks, CZ chain after the first two layers."""
    spec = CircuitSpec.paper(2, 3, entangled=True)
    return CircuitEditor(spec=spec)


# ------------------------------------------------------------------------------------------------ edits


def test_set_gate_replaces_one_slot_and_keeps_every_other_uid(editor):
    before = editor.spec
    assert editor.set_gate(1, 0, GateSpec("ry", "feature", feature=1)) is True
    after = editor.spec
    assert after is not before
    assert after.layers[1].slots[0][0].label == "RY(w·x2+b)"
    assert after.layers[1].slots[0][0].uid not in uids(before).values()
    old, new = uids(before), uids(after)
    assert {k: v for k, v in old.items() if k[:2] != (1, 0)} == {k: v for k, v in new.items() if k[:2] != (1, 0)}
    assert editor.status == ""


def test_set_gate_none_empties_and_setting_the_same_gate_keeps_its_trained_identity(editor):
    before = editor.spec
    assert editor.set_gate(0, 1, U) is False  # already a compressed block: nothing to do, uid survives
    assert editor.spec is before and not editor.can_undo
    assert editor.set_gate(0, 1, None) is True
    assert editor.spec.layers[0].slots[1] == ()
    assert editor.spec.describe().splitlines()[1].startswith("q1: — |")


def test_add_layer_appends_or_inserts_a_layer_of_new_gate(editor):
    before = editor.spec
    assert editor.add_layer() is True
    assert editor.spec.n_layers == 4
    assert [g.kind for _, _, g in editor.spec.layers[3].gates()] == ["compressed", "compressed"]
    assert [layer_uids(editor.spec, i) for i in range(3)] == [layer_uids(before, i) for i in range(3)]

    editor.new_gate = None
    assert editor.add_layer(0) is True
    assert editor.spec.layers[0].slots == ((), ())
    assert layer_uids(editor.spec, 1) == layer_uids(before, 0)

    editor.new_gate = GateSpec("rx", "data", feature=1)
    editor.add_layer(2)
    assert [g.label for _, _, g in editor.spec.layers[2].gates()] == ["RX(x2)", "RX(x2)"]


def test_remove_duplicate_and_move_layers_keep_uids(editor):
    before = editor.spec
    lu = [layer_uids(before, i) for i in range(3)]

    assert editor.remove_layer(1) is True
    assert [layer_uids(editor.spec, i) for i in range(2)] == [lu[0], lu[2]]

    assert editor.duplicate_layer(0) is True
    spec = editor.spec
    assert spec.n_layers == 3
    assert layer_uids(spec, 0) == lu[0] and layer_uids(spec, 2) == lu[2]
    assert not set(layer_uids(spec, 1)) & set(sum(lu, []))  # the copy has fresh uids
    assert spec.layers[1].entangler == spec.layers[0].entangler

    assert editor.move_layer(2, 0) is True
    assert layer_uids(editor.spec, 0) == lu[2] and layer_uids(editor.spec, 1) == lu[0]
    assert editor.move_layer(1, 1) is False  # no-op: no history entry for it
    assert editor.spec.n_layers == 3


def test_set_qubits_grows_with_new_gate_or_empty_slots_and_shrinks_from_the_bottom():
    editor = CircuitEditor(spec=CircuitSpec.paper(2, 2), max_qubits=4)
    before = editor.spec
    assert editor.add_qubit() is True
    assert editor.spec.n_qubits == 3
    assert all(editor.spec.layers[i].slots[2][0].kind == "compressed" for i in range(2))
    assert {k: v for k, v in uids(editor.spec).items() if k[1] < 2} == uids(before)

    editor.new_gate = None
    assert editor.set_qubits(4) is True
    assert all(editor.spec.layers[i].slots[3] == () for i in range(2))

    assert editor.remove_qubit() and editor.set_qubits(2)
    assert uids(editor.spec) == uids(before)


def test_set_entangler_with_cnot_pairs_keeps_direction(editor):
    ent = EntanglerSpec("cnot", "pairs", ((1, 0),))
    assert editor.set_entangler(2, ent) is True
    assert editor.spec.layers[2].entangler == ent
    assert editor.spec.entangler_pairs(2) == ((1, 0),)
    assert uids(editor.spec) == uids(CircuitSpec.paper(2, 3, entangled=True))
    assert editor.set_entangler(0, EntanglerSpec()) is True
    assert editor.spec.describe().splitlines()[-1] == "ent: none | CZ chain | CNOT 1→0"


def test_removing_a_wire_drops_explicit_pairs_that_touch_it():
    editor = CircuitEditor(spec=CircuitSpec.paper(3, 1).with_entangler(0, EntanglerSpec("cnot", "pairs", ((0, 2), (1, 0)))))
    editor.remove_qubit()
    assert editor.spec.layers[0].entangler.pairs == ((1, 0),)


# --------------------------------------------------------------------------------------- refused edits


@pytest.mark.parametrize(
    "setup, edit, reason",
    [
        (dict(spec=CircuitSpec.paper(1, 1)), lambda e: e.remove_layer(0), "expected at least 1 layer to remain"),
        (dict(spec=CircuitSpec.paper(1, 2), max_layers=2), lambda e: e.add_layer(), "at most 2 layers"),
        (dict(spec=CircuitSpec.paper(1, 2), max_layers=2), lambda e: e.duplicate_layer(0), "at most 2 layers"),
        (dict(spec=CircuitSpec.paper(6, 20), max_layers=20, max_qubits=6), lambda e: e.add_layer(), "at most 20 layers"),
        (dict(spec=CircuitSpec.paper(2, 1), max_qubits=2), lambda e: e.add_qubit(), "at most 2 qubits"),
        (dict(spec=CircuitSpec.paper(4, 1)), lambda e: e.set_qubits(5), "at most 4 qubits"),
        (dict(spec=CircuitSpec.paper(1, 1)), lambda e: e.remove_qubit(), "at least 1 wire"),
        (dict(spec=CircuitSpec.paper(2, 2)),
         lambda e: e.set_entangler(0, EntanglerSpec("cnot", "pairs", ((0, 3),))), "wires in 0..1, got [0, 3]"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.set_gate(2, 0, U), "layer: expected an integer in 0..1, got 2"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.set_gate(0, 2, U), "qubit: expected an integer in 0..1, got 2"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.set_gate(0, 0, GateSpec("rx", "data", feature=2)),
         "feature: expected a feature index in 0..1, got 2"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.move_layer(0, 5), "expected an integer in 0..1, got 5"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.set_gate(0, 0, "ry"), "expected a GateSpec or None, got 'ry'"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.set_slot(0, 0, [RY] * 7), "at most 6 gates"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.set_entangler(0, "cz"), "expected an EntanglerSpec"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.load_json("{not json"), "expected JSON text"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.undo(), "Nothing to undo"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.redo(), "Nothing to redo"),
        (dict(spec=CircuitSpec.paper(2, 2)), lambda e: e.apply_to_selection(RY), "Select a slot first"),
    ],
)
def test_impossible_edits_leave_spec_alone_and_say_why(setup, edit, reason):
    editor = CircuitEditor(**setup)
    before = editor.spec
    assert edit(editor) is False
    assert editor.spec is before
    assert reason in editor.status
    assert not editor.can_undo


def test_a_good_edit_clears_the_last_refusal(editor):
    editor.move_layer(0, 9)
    assert editor.status.startswith("Can't move layer 1")
    editor.add_layer()
    assert editor.status == ""


# ------------------------------------------------------------------------------------------ undo / redo


def test_undo_and_redo_restore_exact_specs_over_several_edits(editor):
    seen = [editor.spec]
    editor.set_gate(0, 0, RY)
    seen.append(editor.spec)
    editor.add_layer(1)
    seen.append(editor.spec)
    editor.set_entangler(0, EntanglerSpec("cnot", "ring"))
    seen.append(editor.spec)
    editor.move_layer(0, 3)
    seen.append(editor.spec)
    editor.set_qubits(3)
    seen.append(editor.spec)
    assert editor.can_undo and not editor.can_redo

    for expected in reversed(seen[:-1]):
        assert editor.undo() is True
        assert editor.spec == expected and uids(editor.spec) == uids(expected)
    assert not editor.can_undo and editor.can_redo
    assert editor.undo() is False

    for expected in seen[1:]:
        assert editor.redo() is True
        assert editor.spec == expected
    assert not editor.can_redo

    editor.undo()
    editor.undo()
    editor.remove_layer(0)  # a new edit forgets what could be redone
    assert not editor.can_redo
    editor.undo()
    assert editor.spec == seen[-3]


def test_a_spec_set_from_outside_can_be_undone(editor):
    before = editor.spec
    editor.spec = CircuitSpec.pennylane_tutorial(2)
    assert editor.undo() and editor.spec == before


def test_history_is_bounded():
    editor = CircuitEditor(spec=CircuitSpec.paper(1, 1), history_limit=3)
    for kind in ("rx", "ry", "rz", "rx", "ry"):
        editor.set_gate(0, 0, GateSpec(kind))
    assert sum(editor.undo() for _ in range(10)) == 3
    assert editor.spec.layers[0].slots[0][0].kind == "ry"


_EDITS = st.one_of(
    st.tuples(st.just("set_gate"), st.integers(0, 4), st.integers(0, 3),
              st.sampled_from([None, U, RY, GateSpec("original"), GateSpec("rz", "fixed", value=0.5)])),
    st.tuples(st.just("add_layer"), st.one_of(st.none(), st.integers(0, 4))),
    st.tuples(st.just("remove_layer"), st.integers(0, 4)),
    st.tuples(st.just("duplicate_layer"), st.integers(0, 4)),
    st.tuples(st.just("move_layer"), st.integers(0, 4), st.integers(0, 4)),
    st.tuples(st.just("set_qubits"), st.integers(0, 5)),
    st.tuples(st.just("set_entangler"), st.integers(0, 4),
              st.sampled_from([EntanglerSpec(), EntanglerSpec("cz", "ring"),
                               EntanglerSpec("cnot", "pairs", ((2, 0),))])),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_EDITS, max_size=12))
def test_any_edit_sequence_undoes_and_redoes_exactly(edits):
    editor = CircuitEditor(spec=CircuitSpec.paper(2, 2), max_qubits=4, max_layers=4)
    states = [editor.spec]
    for name, *args in edits:
        changed = getattr(editor, name)(*args)
        assert changed == (editor.spec is not states[-1])
        if changed:
            states.append(editor.spec)
        else:
            assert editor.spec is states[-1]
        assert editor.spec.n_qubits <= 4 and editor.spec.n_layers <= 4
    for expected in reversed(states[:-1]):
        editor.undo()
        assert editor.spec == expected
    assert not editor.can_undo
    for expected in states[1:]:
        editor.redo()
        assert editor.spec == expected


# -------------------------------------------------------------------------------------- hover formulas


def test_gate_formula_reads_the_compiled_layout():
    assert gate_formula(U, np.array([0.12, -0.8, 1.3, 2.1, 0.4])) == "U(θ + w∘x) with θ = (0.12, −0.8, 1.3), w = (2.1, 0.4)"
    four = np.arange(10) / 10  # 4 features: two pieces of three angles, then four weights
    assert gate_formula(U, four, 4) == "U(θ + w∘x) with θ = (0, 0.1, 0.2; 0.3, 0.4, 0.5), w = (0.6, 0.7, 0.8, 0.9)"
    assert gate_formula(GateSpec("original"), np.array([1.0, 2, 3])) == "U(θ)·U(x) with θ = (1, 2, 3)"
    assert gate_formula(GateSpec("rx", "feature", feature=1), np.array([2.1, -0.3])) == "RX(w·x2 + b) with w = 2.1, b = −0.3"
    assert gate_formula(RY, np.array([0.25])) == "RY(θ) with θ = 0.25"
    assert "nothing trainable" in gate_formula(GateSpec("rz", "data", feature=0), np.array([]))
    assert gate_formula(GateSpec("rz", "fixed", value=-0.5)).startswith("RZ(−0.5): a fixed angle of −0.5 rad")
    assert gate_formula(U, None) == "U(θ + w∘x): 5 trainable parameters (values not available yet)"
    assert gate_formula(U, np.zeros(3)).endswith("(values not available yet)")  # a slice of the wrong size


def test_hover_text_shows_the_trained_values_of_that_gate():
    spec = CircuitSpec.paper(2, 2).with_gate(1, 1, GateSpec("ry", "feature", feature=0))
    editor = CircuitEditor(spec=spec)
    program = compile_spec(spec)
    params = np.round(np.arange(program.n_params) * 0.1 - 2, 2)
    editor.params = params
    uid = spec.layers[1].slots[1][0].uid
    offset, size = program.gate_slices[uid]
    w, b = params[offset: offset + size]
    text = editor.hover_text(1, 1)
    assert text.splitlines()[0] == "Layer 2, qubit 1"
    assert f"RY(w·x1 + b) with w = {w:.3g}, b = {b:.3g}".replace("-", "−") in text
    first = editor.hover_text(0, 0)
    o0, s0 = program.gate_slices[spec.layers[0].slots[0][0].uid]
    assert o0 == 0 and s0 == 5
    assert "θ = (−2, −1.9, −1.8), w = (−1.7, −1.6)" in first

    editor.params = np.zeros(program.n_params + 1)  # out of step with the spec: no wrong numbers
    assert "values not available" in editor.hover_text(1, 1)
    assert editor.hover_text(0, 0) != first


def test_params_updates_touch_only_the_formulas_on_show(editor):
    canvas = editor._canvas
    view = canvas.view
    n = editor.spec.n_params
    editor.params = np.ones(n)
    assert canvas.view is view and canvas.hover == {}  # nothing hovered: nothing sent
    editor._on_message({"type": "hover", "layer": 1, "qubit": 0})
    assert "θ = (1, 1, 1)" in canvas.hover["text"]
    editor.select(2, 1)
    editor.params = np.full(n, 0.5)
    assert canvas.view is view
    assert "θ = (0.5, 0.5, 0.5)" in canvas.hover["text"] and (canvas.hover["layer"], canvas.hover["qubit"]) == (1, 0)
    assert canvas.inspect == {"layer": 2, "qubit": 1, "text": "U(θ + w∘x) with θ = (0.5, 0.5, 0.5), w = (0.5, 0.5)"}
    editor._on_message({"type": "hover", "layer": None, "qubit": None})
    assert canvas.hover == {}


# ------------------------------------------------------------------------------------- what the page gets


def test_view_names_every_slot_and_draws_entanglers_with_direction():
    spec = CircuitSpec.paper(3, 2).with_gate(1, 2, RY).with_gate(0, 1, None)
    spec = spec.with_entangler(0, EntanglerSpec("cnot", "pairs", ((2, 0), (0, 1))))
    view = editor_view(spec)
    assert view["layers"][1]["slots"][2]["name"] == "Layer 2, qubit 2: RY(θ)" == slot_name(spec, 1, 2)
    assert view["layers"][0]["slots"][1] == {"name": "Layer 1, qubit 1: empty", "gates": []}
    ent = view["layers"][0]["entangler"]
    # (2, 0) spans every wire, so (0, 1) needs a second sub-column
    assert ent["resolved"] == [[2, 0, 0], [0, 1, 1]] and ent["n_cols"] == 2
    assert ent["name"] == "Entangler after layer 1: CNOT 2→0 0→1"
    assert view["layers"][1]["entangler"]["name"] == "Entangler after layer 2: none"
    assert view["summary"] == f"3 qubits · 2 layers · {spec.n_params} trainable parameters"
    chain = editor_view(CircuitSpec.paper(3, 1).with_entanglers("cz", "ring", skip_last=False))
    assert chain["layers"][0]["entangler"]["name"] == "Entangler after layer 1: CZ ring (0–1, 1–2, 2–0)"


def test_the_editor_renders_to_bokeh_models_with_its_state(editor):
    root = editor.__panel__().get_root()
    model = editor._canvas._models[root.ref["id"]][0]
    assert model.data.view["n_layers"] == 3
    editor.set_gate(0, 0, RY)
    model = editor._canvas._models[root.ref["id"]][0]
    assert model.data.view["layers"][0]["slots"][0]["name"] == "Layer 1, qubit 0: RY(θ)"
    assert model.data.view["can_undo"] is True and model.data.view["max_qubits"] == 4


def test_status_and_circuit_text_are_escaped():
    editor = CircuitEditor(spec=CircuitSpec.paper(1, 1), show_text=True)
    evil = '{"n_qubits": "<img src=x onerror=alert(1)>", "layers": []}'
    assert editor.load_json(evil) is False
    assert "<img src=x" in editor.status  # the message quotes what it got ...
    html = editor.status_html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html  # ... but the page sees text
    assert html.count("<") == 2  # only the status div's own tags

    editor._on_message({"type": "<script>alert(1)</script>"})
    assert "<script>" not in editor.status_html
    editor._on_message({"type": "set_gate", "layer": "<b>0</b>", "qubit": 0, "gate": None})
    assert "<b>" in editor.status and "<b>" not in editor.status_html

    pre = editor._text_pane.object
    assert pre.startswith('<pre aria-label="Circuit text"') and pre.count("<") == 2
    assert "q0: U(θ+w∘x)" in pre


def test_load_json_replaces_the_circuit_undoably(editor):
    before = editor.spec
    other = CircuitSpec.pennylane_tutorial(2)
    assert editor.load_json(other.to_json()) is True
    assert editor.spec == other
    editor.undo()
    assert editor.spec == before


def test_clicking_a_slot_then_a_palette_gate_edits_that_slot(editor):
    """What a click on a slot and then on a palette chip sends, as the page sends it."""
    before = editor.spec
    editor._canvas._handle_msg({"type": "select", "layer": 2, "qubit": 1})
    assert editor.selected == (2, 1)
    assert editor._canvas.selection == ["slot", 2, 1]
    editor._canvas._handle_msg({"type": "apply", "gate": {"kind": "rx", "angle": "feature", "feature": 1}})
    assert editor.spec.layers[2].slots[1][0].label == "RX(w·x2+b)"
    assert uids(editor.spec).items() - uids(before).items() == {((2, 1, 0), editor.spec.layers[2].slots[1][0].uid)}
    editor._canvas._handle_msg({"type": "apply", "gate": None})  # the "Empty" chip
    assert editor.spec.layers[2].slots[1] == ()
    assert editor._canvas.view["layers"][2]["slots"][1]["name"] == "Layer 3, qubit 1: empty"


def test_dropping_a_gate_and_the_layer_and_entangler_controls(editor):
    send = editor._canvas._handle_msg
    send({"type": "set_gate", "layer": 0, "qubit": 1, "gate": {"kind": "rz", "angle": "fixed", "value": 0.5}})
    assert editor.spec.layers[0].slots[1][0].label == "RZ(0.5)"
    lu = layer_uids(editor.spec, 0)
    send({"type": "move_layer", "source": 0, "target": 2})
    assert layer_uids(editor.spec, 2) == lu
    send({"type": "duplicate_layer", "index": 2})
    send({"type": "remove_layer", "index": 0})
    send({"type": "add_layer"})
    assert editor.spec.n_layers == 4
    send({"type": "set_qubits", "n": 3})
    assert editor.spec.n_qubits == 3
    previous = editor.spec.entangler_pairs(1)
    send({"type": "select_entangler", "layer": 1})
    assert editor.selected is None and editor._canvas.selection == ["entangler", 1]
    send({"type": "set_entangler", "layer": 1, "entangler": {"gate": "cnot", "pattern": "pairs", "pairs": [[2, 1]]}})
    assert editor.spec.entangler_pairs(1) == ((2, 1),)
    send({"type": "set_entangler", "layer": 1, "entangler": {"gate": "cnot", "pattern": "pairs", "pairs": [[1, 1]]}})
    assert "two different wires" in editor.status and editor.spec.entangler_pairs(1) == ((2, 1),)
    send({"type": "undo"})
    assert editor.spec.entangler_pairs(1) == previous != ((2, 1),)
    send({"type": "redo"})
    assert editor.spec.entangler_pairs(1) == ((2, 1),)
    send({"type": "deselect"})
    assert editor._canvas.selection == []


@pytest.mark.parametrize("msg", [None, [], {"type": "warp"}, {"type": ["undo"]}, {"type": "select", "layer": True, "qubit": 0},
                                 {"type": "set_gate", "layer": 0, "qubit": 0, "gate": {"kind": "swap"}},
                                 {"type": "set_entangler", "layer": 0, "entangler": "cz"}])
def test_malformed_requests_change_nothing(editor, msg):
    before = editor.spec
    editor._on_message(msg)
    assert editor.spec is before and editor.status


def test_selection_stays_on_its_layer_through_layer_edits_and_goes_with_it(editor):
    editor.select(2, 1)
    editor.move_layer(2, 0)
    assert editor.selected == (0, 1)
    editor.move_layer(1, 2)  # another layer moves: the selected one keeps its place
    assert editor.selected == (0, 1)
    editor.add_layer(0)
    assert editor.selected == (1, 1)
    editor.duplicate_layer(0)
    assert editor.selected == (2, 1) and editor._canvas.selection == ["slot", 2, 1]
    editor.select_entangler(3)
    editor.remove_layer(1)
    assert editor.selected_entangler == 2 and editor._canvas.selection == ["entangler", 2]
    editor.select(2, 1)
    editor.remove_layer(2)
    assert editor.selected is None and editor._canvas.selection == []
    editor.select(1, 1)
    editor.set_qubits(1)  # its wire is gone
    assert editor.selected is None
    assert editor.select(5, 0) is False and "no such slot" in editor.status


def test_each_editor_has_its_own_widgets_and_history():
    a, b = CircuitEditor(), CircuitEditor()
    a.add_layer()
    assert a._canvas is not b._canvas and a.can_undo and not b.can_undo


def test_layer_spec_with_several_gates_shows_them_all():
    spec = CircuitSpec.pennylane_tutorial(1)
    editor = CircuitEditor(spec=spec)
    assert editor.slot_name(0, 0) == "Layer 1, qubit 0: RZ(x1), RY(x2), RZ(θ), RY(θ), RZ(θ)"
    assert len(editor.hover_text(0, 0).splitlines()) == 6
    assert editor.set_slot(0, 0, [RY, GateSpec("rz")]) is True
    assert [g.label for g in editor.spec.layers[0].slots[0]] == ["RY(θ)", "RZ(θ)"]
    assert isinstance(editor.spec.layers[0], LayerSpec)
