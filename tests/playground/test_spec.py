"""CircuitSpec: validation, named constructors, edits with uid carry-over, JSON round trips."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.classifier import Classifier
from playground.spec import (
    MAX_LAYERS,
    CircuitSpec,
    EntanglerSpec,
    GateSpec,
    LayerSpec,
    SpecError,
)
from playground.trainer import carry_parameters, parameter_index_map

# ---------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "build, field",
    [
        (lambda: CircuitSpec.paper(n_qubits=7), "n_qubits: expected an integer in 1..6, got 7"),
        (lambda: CircuitSpec.paper(n_qubits=0), "n_qubits: expected an integer in 1..6, got 0"),
        (lambda: CircuitSpec.paper(n_layers=21), "n_layers: expected an integer in 1..20, got 21"),
        (lambda: CircuitSpec.paper(n_layers=True), "n_layers: expected an integer in 1..20, got True"),
        (lambda: CircuitSpec.paper(1, 2, entangled=True), "n_qubits: expected at least 2 qubits"),
        (lambda: CircuitSpec.paper(1, 2, n_features=9), "n_features: expected an integer in 1..8, got 9"),
        (lambda: GateSpec("foo"), "kind: expected one of compressed, original, rx, ry, rz, got 'foo'"),
        (lambda: GateSpec("rx", "sideways"), "angle: expected one of trainable, feature, data, fixed"),
        (lambda: GateSpec("rx", "fixed", value=float("nan")), "value: expected a finite number"),
        (lambda: GateSpec("compressed", "fixed"), "angle: expected the default for a 'compressed' gate"),
        (lambda: EntanglerSpec("cz", "pairs", ((0, 0),)), "pairs[0]: expected two different wires"),
        (lambda: EntanglerSpec("swap"), "gate: expected one of none, cz, cnot, got 'swap'"),
        (lambda: EntanglerSpec("cz", "chain", ((0, 1),)), "pairs: expected no explicit pairs with pattern 'chain'"),
    ],
)
def test_construction_errors_name_the_field(build, field):
    with pytest.raises(SpecError) as err:
        build()
    assert field in str(err.value)


def test_slot_count_must_match_qubits():
    with pytest.raises(SpecError, match=r"layers\[0\].slots: expected 2 slots \(one per qubit\), got 1"):
        CircuitSpec(2, (LayerSpec(((GateSpec(),),)),))


def test_feature_index_must_exist():
    layer = LayerSpec(((GateSpec("ry", "feature", feature=2),),))
    with pytest.raises(SpecError, match=r"layers\[0\].slots\[0\]\[0\].feature: expected a feature index in 0..1, got 2"):
        CircuitSpec(1, (layer,), n_features=2)


def test_entangler_pairs_must_be_on_existing_wires():
    layer = LayerSpec(((GateSpec(),), (GateSpec(),)), EntanglerSpec("cnot", "pairs", ((0, 3),)))
    with pytest.raises(SpecError, match=r"entangler.pairs\[0\]: expected wires in 0..1"):
        CircuitSpec(2, (layer,))


def test_duplicate_uids_are_rejected():
    layer = LayerSpec(((GateSpec(uid=4),), (GateSpec(uid=4),)))
    with pytest.raises(SpecError, match="uid: expected a uid used by no other gate, got 4"):
        CircuitSpec(2, (layer,))


def test_uids_are_assigned_in_reading_order_and_unique():
    spec = CircuitSpec.paper(3, 4)
    uids = [g.uid for *_, g in spec.gates()]
    assert uids == list(range(12))


# ---------------------------------------------------------------------------------------------- constructors


def test_paper_architectures_entanglers():
    two = CircuitSpec.paper(2, 3, entangled=True)
    assert [two.entangler_pairs(i) for i in range(3)] == [((0, 1),), ((0, 1),), ()]
    four = CircuitSpec.paper(4, 4, entangled=True)
    assert [set(four.entangler_pairs(i)) for i in range(4)] == [
        {(0, 1), (2, 3)},
        {(1, 2), (0, 3)},
        {(0, 1), (2, 3)},
        set(),
    ]
    assert not CircuitSpec.paper(4, 4).uses_entanglement()


def test_parameter_counts():
    # compressed: 3 θ per 3-feature piece + one w per feature; original: 3 θ per piece
    assert CircuitSpec.paper(1, 5).n_params == 5 * (3 + 2)
    assert CircuitSpec.paper(2, 2, n_features=4).n_params == 2 * 2 * (6 + 4)
    assert CircuitSpec.original(1, 3, n_features=2).n_params == 9
    assert CircuitSpec.pennylane_tutorial(3).n_params == 9
    assert CircuitSpec.empty(2, 3).n_params == 0


def test_describe_reads_like_the_circuit():
    text = CircuitSpec.paper(2, 2, entangled=True).describe()
    assert text.splitlines()[0] == "q0: U(θ+w∘x) | U(θ+w∘x)"
    assert "ent: CZ chain | none" in text


# ---------------------------------------------------------------------------------------------- edits


def test_edits_return_new_specs_and_keep_untouched_uids():
    spec = CircuitSpec.paper(2, 3)
    edited = spec.with_gate(1, 0, GateSpec("ry", "feature", feature=1))
    assert spec.layers[1].slots[0][0].kind == "compressed"  # the original is unchanged
    before = {(li, q): g.uid for li, q, _, g in spec.gates()}
    after = {(li, q): g.uid for li, q, _, g in edited.gates()}
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {(1, 0)}
    assert after[(1, 0)] not in before.values()


def test_insert_remove_move_duplicate_layers():
    spec = CircuitSpec.paper(1, 3)
    uids = [g.uid for *_, g in spec.gates()]
    ins = spec.insert_layer(1)
    assert [g.uid for *_, g in ins.gates()][0] == uids[0]
    assert [g.uid for *_, g in ins.gates()][2:] == uids[1:]
    assert spec.remove_layer(0).n_layers == 2
    assert [g.uid for *_, g in spec.move_layer(0, 2).gates()] == [uids[1], uids[2], uids[0]]
    dup = spec.duplicate_layer(0)
    assert dup.n_layers == 4 and dup.layers[1].slots[0][0].uid not in uids
    with pytest.raises(SpecError, match="expected at least 1 layer to remain"):
        CircuitSpec.paper(1, 1).remove_layer(0)
    with pytest.raises(SpecError, match="n_layers: expected at most 20 layers"):
        CircuitSpec.paper(1, MAX_LAYERS).insert_layer(0)
    with pytest.raises(SpecError, match="layer: expected an integer in 0..2, got 3"):
        spec.remove_layer(3)


def test_qubit_and_feature_edits():
    spec = CircuitSpec(2, (LayerSpec(((GateSpec("rx", "data", feature=3),), (GateSpec(),)), EntanglerSpec("cnot", "pairs", ((1, 0),))),), n_features=4)
    three = spec.with_n_qubits(3)
    assert three.n_qubits == 3 and three.layers[0].slots[2][0].kind == "compressed"
    one = spec.with_n_qubits(1)
    assert one.layers[0].entangler.gate == "none"  # the pair touched a removed wire
    two_feat = spec.with_n_features(2)
    assert two_feat.layers[0].slots[0][0].feature == 1  # 3 mod 2
    assert two_feat.layers[0].slots[0][0].uid == spec.layers[0].slots[0][0].uid


def test_with_n_layers_grows_like_the_last_layer_and_shrinks_from_the_end():
    spec = CircuitSpec.pennylane_tutorial(2)
    grown = spec.with_n_layers(4)
    assert grown.n_layers == 4 and [g.kind for g in grown.layers[3].slots[0]] == ["rz", "ry", "rz", "ry", "rz"]
    assert grown.with_n_layers(2).layers == tuple(grown.layers[:2])


def test_parameter_map_keeps_values_of_untouched_gates():
    old = Classifier(CircuitSpec.paper(2, 3, entangled=True), 2, "weighted_fidelity")
    new_spec = old.spec.with_gate(1, 1, GateSpec("rz")).insert_layer(0)
    new = Classifier(new_spec, 2, "weighted_fidelity")
    old_params = np.arange(old.n_params, dtype=float)
    fill = np.full(new.n_params, -1.0)
    carried = carry_parameters(old, old_params, new, fill)
    index = parameter_index_map(old, new)
    for uid, (off, size) in new.program.gate_slices.items():
        if uid in old.program.gate_slices:
            o_off, _ = old.program.gate_slices[uid]
            assert np.array_equal(carried[off : off + size], old_params[o_off : o_off + size])
        else:
            assert np.all(carried[off : off + size] == -1.0)
    assert np.array_equal(carried[new.n_circuit_params :], old_params[old.n_circuit_params :])  # class weights
    assert (index >= 0).sum() == old.n_params - 5  # only the replaced compressed gate (5 params) is lost


# ---------------------------------------------------------------------------------------------- JSON


def test_json_round_trip_and_format():
    spec = CircuitSpec(
        3,
        (
            LayerSpec(((GateSpec("rx", "feature", feature=1), GateSpec("ry", "fixed", value=0.25)), (), (GateSpec("original"),)), EntanglerSpec("cnot", "pairs", ((2, 0),))),
            LayerSpec(((GateSpec("rz", "data"),), (GateSpec(),), (GateSpec(),)), EntanglerSpec("cz", "ring")),
        ),
    )
    data = json.loads(spec.to_json())
    assert data["format"] == "reuploading-playground/circuit" and data["version"] == 1
    assert CircuitSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda d: d.update(version=2), "version: expected 1"),
        (lambda d: d.update(n_qubits="2"), "n_qubits: expected an integer in 1..6, got '2'"),
        (lambda d: d.update(layers=[]), "layers: expected a list of 1..20 layers, got 0"),
        (lambda d: d["layers"][0]["slots"][0][0].update(kind="toffoli"), "layers[0].slots[0][0].kind: expected one of"),
        (lambda d: d["layers"][0]["slots"][0][0].update(evil="<script>"), "layers[0].slots[0][0]: expected only the keys"),
        (lambda d: d["layers"][0]["entangler"].update(pairs=[[0, 1]]), "layers[0].entangler.pairs: expected no explicit pairs"),
        (lambda d: d.update(extra=1), "circuit: expected only the keys"),
        (lambda d: d.update(format="other"), "format: expected"),
    ],
)
def test_malformed_json_gets_one_clear_error(mangle, message):
    data = json.loads(CircuitSpec.paper(2, 2, entangled=True).to_json())
    mangle(data)
    with pytest.raises(SpecError) as err:
        CircuitSpec.from_dict(data)
    assert message in str(err.value)


def test_non_json_text_is_a_spec_error():
    with pytest.raises(SpecError, match="expected JSON text"):
        CircuitSpec.from_json("{not json")


# ---------------------------------------------------------------------------------------------- properties

_gates = st.one_of(
    st.just(GateSpec("compressed")),
    st.just(GateSpec("original")),
    st.builds(
        GateSpec,
        kind=st.sampled_from(["rx", "ry", "rz"]),
        angle=st.sampled_from(["trainable", "feature", "data", "fixed"]),
        feature=st.integers(0, 1),
        value=st.floats(-6.3, 6.3, allow_nan=False),
    ),
)
_edit = st.one_of(
    st.tuples(st.just("gate"), st.integers(0, 30), st.integers(0, 5), st.one_of(st.none(), _gates)),
    st.tuples(st.just("insert"), st.integers(0, 30)),
    st.tuples(st.just("remove"), st.integers(0, 30)),
    st.tuples(st.just("duplicate"), st.integers(0, 30)),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 30)),
    st.tuples(st.just("qubits"), st.integers(1, 6)),
    st.tuples(st.just("layers"), st.integers(1, 20)),
    st.tuples(
        st.just("entangler"),
        st.integers(0, 30),
        st.sampled_from(["none", "cz", "cnot"]),
        st.sampled_from(["chain", "ring", "alternating"]),
    ),
)


def _apply(spec: CircuitSpec, edit) -> CircuitSpec:
    kind, *args = edit
    L, Q = spec.n_layers, spec.n_qubits
    if kind == "gate":
        return spec.with_gate(args[0] % L, args[1] % Q, args[2])
    if kind == "insert":
        return spec.insert_layer(args[0] % (L + 1)) if L < MAX_LAYERS else spec
    if kind == "remove":
        return spec.remove_layer(args[0] % L) if L > 1 else spec
    if kind == "duplicate":
        return spec.duplicate_layer(args[0] % L) if L < MAX_LAYERS else spec
    if kind == "move":
        return spec.move_layer(args[0] % L, args[1] % L)
    if kind == "qubits":
        return spec.with_n_qubits(args[0])
    if kind == "layers":
        return spec.with_n_layers(args[0])
    return spec.with_entangler(args[0] % L, EntanglerSpec(args[1], args[2]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_edit, max_size=12))
def test_any_edit_sequence_gives_a_valid_spec_that_round_trips(edits):
    spec = CircuitSpec.paper(2, 3)
    old_clf = Classifier(spec)
    params = np.random.default_rng(0).random(old_clf.n_params)
    for edit in edits:
        new = _apply(spec, edit)
        new_clf = Classifier(new)
        params = carry_parameters(old_clf, params, new_clf, np.zeros(new_clf.n_params))
        # Gates kept by uid keep their values.
        for uid, (off, size) in new_clf.program.gate_slices.items():
            if uid in old_clf.program.gate_slices and old_clf.program.gate_slices[uid][1] == size:
                assert len(params[off : off + size]) == size
        spec, old_clf = new, new_clf
    uids = [g.uid for *_, g in spec.gates()]
    assert len(uids) == len(set(uids))
    assert CircuitSpec.from_json(spec.to_json()) == spec
    assert len(params) == Classifier(spec).n_params


def test_slot_edits_reject_non_gates():
    spec = CircuitSpec.paper(1, 2)
    with pytest.raises(SpecError, match="gate: expected a GateSpec or None, got 'ry'"):
        spec.with_gate(0, 0, "ry")
    with pytest.raises(SpecError, match="gates: expected a GateSpec, a list of GateSpecs, or None"):
        spec.with_slot(0, 0, [GateSpec(), 3])
    with pytest.raises(SpecError, match="gates: expected at most 6 gates in a slot, got 7"):
        spec.with_slot(0, 0, [GateSpec("rx")] * 7)
