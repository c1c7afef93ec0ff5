"""Starting circuits for lessons: the paper's architectures, PennyLane's tutorial circuit, and one that must fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from playground.spec import CircuitSpec

__all__ = ["GalleryEntry", "GALLERY"]


@dataclass(frozen=True)
class GalleryEntry:
    """One starting point: a circuit, the settings it goes with, and what it teaches (plain text)."""

    key: str
    title: str
    lesson: str
    build: Callable[[], CircuitSpec]
    settings: dict[str, Any] = field(default_factory=dict)

    def circuit(self) -> CircuitSpec:
        return self.build()


_PAPER = "Pérez-Salinas et al. (2020)"

GALLERY: dict[str, GalleryEntry] = {e.key: e for e in (
    GalleryEntry(
        "paper-1q", "Paper: 1 qubit, 4 layers",
        f"The single-qubit classifier of {_PAPER}: the same point is uploaded in every layer, and four layers "
        "are enough to carve the circle out (about 90% test accuracy).",
        lambda: CircuitSpec.paper(1, 4),
        {"dataset": "circle", "cost": "fidelity", "readout": "state"},
    ),
    GalleryEntry(
        "paper-2q", "Paper: 2 qubits, no entanglement",
        "Two independent qubits, each uploading the point in every layer; the read-out combines them.",
        lambda: CircuitSpec.paper(2, 4),
        {"dataset": "circle", "cost": "weighted_fidelity", "readout": "state"},
    ),
    GalleryEntry(
        "paper-2q-ent", "Paper: 2 qubits, entangled",
        "The same two qubits with a CZ after every layer but the last, as in the paper's entangled rows: compare "
        "its curve with the one without entanglement.",
        lambda: CircuitSpec.paper(2, 4, entangled=True),
        {"dataset": "circle", "cost": "weighted_fidelity", "readout": "state"},
    ),
    GalleryEntry(
        "paper-4q", "Paper: 4 qubits, no entanglement",
        "Four qubits in parallel on the three-circles problem (four classes, one basis state each).",
        lambda: CircuitSpec.paper(4, 4),
        {"dataset": "three_circles", "cost": "weighted_fidelity", "readout": "state"},
    ),
    GalleryEntry(
        "paper-4q-ent", "Paper: 4 qubits, entangled",
        "The paper's 4-qubit layout: CZ gates on alternating pairs of wires after every layer but the last.",
        lambda: CircuitSpec.paper(4, 4, entangled=True),
        {"dataset": "three_circles", "cost": "weighted_fidelity", "readout": "state"},
    ),
    GalleryEntry(
        "pennylane", "PennyLane tutorial circuit",
        "PennyLane's data re-uploading demo: per layer Rot(x₁, x₂, 0) then a trainable Rot(θ₁, θ₂, θ₃), with no "
        "data weights. Hover a gate to see its formula.",
        lambda: CircuitSpec.pennylane_tutorial(3),
        {"dataset": "circle", "cost": "fidelity", "readout": "state"},
    ),
    GalleryEntry(
        "one-layer", "One layer on the circle (cannot succeed)",
        "With one layer the point is uploaded only once: the state is one rotation whose angles move linearly "
        "with x, so the boundary is a set of straight bands and a closed circle is out of reach. Press Play and "
        "watch it stall; then add a layer and watch the boundary bend.",
        lambda: CircuitSpec.paper(1, 1),
        {"dataset": "circle", "cost": "fidelity", "readout": "state"},
    ),
    GalleryEntry(
        "empty", "Empty circuit: build your own",
        "One wire, one empty layer. Click a slot, then a gate in the palette (or drag a gate onto a slot); add "
        "layers and qubits with the buttons above the circuit.",
        lambda: CircuitSpec.empty(1, 1),
        {"dataset": "circle", "cost": "fidelity", "readout": "state"},
    ),
)}
