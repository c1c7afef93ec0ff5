"""CircuitDiagram: the SVG drawn from a spec (gates, entanglers, escaping)."""

import xml.etree.ElementTree as ET

import pytest

from playground.spec import CircuitSpec, GateSpec
from widgets.circuit_diagram import CircuitDiagram, circuit_svg, gate_text

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(svg):
    return ET.fromstring(svg)  # well-formed XML: every text was escaped


def test_one_box_per_gate_and_one_mark_per_entangler():
    spec = CircuitSpec.paper(4, 3, entangled=True)
    root = _parse(circuit_svg(spec))
    gates = root.findall(".//s:g[@class='gate']", NS)
    ents = root.findall(".//s:g[@class='entangler']", NS)
    assert len(gates) == 12
    assert len(ents) == sum(len(spec.entangler_pairs(i)) for i in range(3)) == 4
    assert "4 qubits, 3 layers" in root.get("aria-label")


def test_cnot_draws_a_target_and_cz_two_dots():
    cz = _parse(circuit_svg(CircuitSpec.paper(2, 2).with_entanglers("cz", "chain")))
    cx = _parse(circuit_svg(CircuitSpec.paper(2, 2).with_entanglers("cnot", "chain")))
    ent_cz = cz.find(".//s:g[@class='entangler']", NS)
    ent_cx = cx.find(".//s:g[@class='entangler']", NS)
    assert len(ent_cz.findall("s:circle", NS)) == 2
    assert len(ent_cx.findall("s:line", NS)) == 3  # the wire and the ⊕'s two strokes
    assert "CNOT on qubits 0 and 1" in ent_cx.find("s:title", NS).text


def test_gate_titles_give_the_full_gate():
    spec = CircuitSpec.pennylane_tutorial(1)
    root = _parse(circuit_svg(spec))
    titles = [g.find("s:title", NS).text for g in root.findall(".//s:g[@class='gate']", NS)]
    assert titles[0] == "layer 1, qubit 0: RZ(x1)"
    assert gate_text(GateSpec("ry", "feature", feature=1)) == ("RY", "w·x2+b")
    assert gate_text(GateSpec("compressed")) == ("U", "θ+w∘x")


def test_overlapping_ring_pairs_get_their_own_columns():
    spec = CircuitSpec.paper(4, 2).with_entanglers("cz", "ring", skip_last=False)
    root = _parse(circuit_svg(spec))
    xs = [float(g.find("s:line", NS).get("x1")) for g in root.findall(".//s:g[@class='entangler']", NS)]
    # (0,1) and (2,3) can share a column; (1,2) and (3,0) overlap them
    assert len(set(xs)) < len(xs) and len(set(xs)) >= 2


def test_text_is_escaped():
    root = _parse(circuit_svg(CircuitSpec.paper(1, 1)))
    assert root.find("s:title", NS).text.startswith("Circuit diagram")
    svg = circuit_svg(CircuitSpec.paper(1, 1))
    assert "<script" not in svg


def test_max_width_scales_down_only():
    small = _parse(circuit_svg(CircuitSpec.paper(1, 1), max_width=2000))
    big = _parse(circuit_svg(CircuitSpec.paper(1, 15), max_width=300))
    assert int(big.get("width")) <= 300
    assert small.get("viewBox").split()[2] == small.get("width")


def test_widget_follows_its_spec():
    view = CircuitDiagram()
    assert view.svg == ""
    view.spec = CircuitSpec.paper(2, 5)
    assert "2 qubits, 5 layers" in view.svg
    with pytest.raises(TypeError):
        circuit_svg("not a spec")
