"""Immutable, validated, JSON-serialisable description of a data re-uploading circuit.

A :class:`CircuitSpec` computes nothing (the simulator does that). It is a grid of *slots*, one per layer and
qubit, each holding a short sequence of gates, plus an entangler after every layer. Every gate carries a ``uid``
that survives edits, so a parameter vector can follow the circuit through live edits
(:func:`playground.params.carry_parameters`).

Gate kinds
----------
``compressed``
    The paper's block U(θ + w∘x): three trainable angles θ and one trainable weight per feature.
``original``
    The paper's original form U(θ)·U(x): a fixed encoding rotation U(x) followed by a trainable U(θ).
``rx`` / ``ry`` / ``rz``
    A single-axis rotation whose angle is ``trainable`` (a constant θ), ``feature`` (w·x_k + b, both
    trainable), ``data`` (x_k itself, nothing trainable) or ``fixed`` (a constant ``value``).

The SU(2) rotation of three angles follows the authors' code: U(a₀, a₁, a₂) = RZ(−a₁)·RY(a₀)·RZ(−a₂), i.e.
PennyLane's ``qml.Rot(-a2, a0, -a1)``, so feature x₁ drives the polar (RY) angle.

Inputs with more than three features: a ``compressed`` or ``original`` gate applies one U per piece of three
features (x₁..x₃, x₄..x₆, ...; the last piece zero-padded), one after another, as in the paper.

Example
-------
>>> spec = CircuitSpec.paper(n_qubits=2, n_layers=3, entangled=True)
>>> spec.n_layers, spec.n_qubits
(3, 2)
>>> CircuitSpec.from_json(spec.to_json()) == spec
True
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator, Sequence

__all__ = [
    "SpecError",
    "GateSpec",
    "EntanglerSpec",
    "LayerSpec",
    "CircuitSpec",
    "GATE_KINDS",
    "ANGLE_MODES",
    "ENTANGLER_GATES",
    "ENTANGLER_PATTERNS",
    "MAX_QUBITS",
    "MAX_LAYERS",
    "MAX_FEATURES",
    "MAX_GATES_PER_SLOT",
    "SPEC_FORMAT",
    "SPEC_VERSION",
]

MAX_QUBITS = 6
MAX_LAYERS = 20
MAX_FEATURES = 8
MAX_GATES_PER_SLOT = 6
MAX_UID = 10**6
SPEC_FORMAT = "reuploading-playground/circuit"
SPEC_VERSION = 1

GATE_KINDS = ("compressed", "original", "rx", "ry", "rz")
ANGLE_MODES = ("trainable", "feature", "data", "fixed")
ENTANGLER_GATES = ("none", "cz", "cnot")
ENTANGLER_PATTERNS = ("chain", "ring", "alternating", "pairs")


class SpecError(ValueError):
    """A circuit description that cannot be built; the message names the field."""


def _fail(where: str, expected: str, got: Any) -> SpecError:
    shown = repr(got)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return SpecError(f"{where}: expected {expected}, got {shown}")


def _check_int(where: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(where, f"an integer in {lo}..{hi}", value)
    return value


def _check_choice(where: str, value: Any, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise _fail(where, "one of " + ", ".join(choices), value)
    return value


def n_pieces(n_features: int) -> int:
    """Number of three-feature pieces a ``compressed``/``original`` gate applies for ``n_features`` inputs."""
    return max(1, math.ceil(n_features / 3))


# --------------------------------------------------------------------------------------------------- gates


@dataclass(frozen=True)
class GateSpec:
    """One gate in a slot.

    Parameters
    ----------
    kind : str
        One of :data:`GATE_KINDS`.
    angle : str
        For ``rx``/``ry``/``rz``: one of :data:`ANGLE_MODES`. Ignored (kept ``"trainable"``) otherwise.
    feature : int
        For angle modes ``feature`` and ``data``: the 0-based input feature k.
    value : float
        For angle mode ``fixed``: the angle in radians.
    uid : int or None
        Identity that survives edits; ``None`` lets :class:`CircuitSpec` assign a fresh one.

    Fields the angle mode does not use (``value`` unless ``fixed``, ``feature`` unless ``feature``/``data``)
    are reset to their defaults.
    """

    kind: str = "compressed"
    angle: str = "trainable"
    feature: int = 0
    value: float = 0.0
    uid: int | None = None

    def __post_init__(self) -> None:
        _check_choice("kind", self.kind, GATE_KINDS)
        _check_choice("angle", self.angle, ANGLE_MODES)
        if self.kind in ("compressed", "original") and (self.angle != "trainable" or self.feature or self.value):
            raise SpecError(
                f"angle: expected the default for a {self.kind!r} gate (its angles are θ + w∘x), "
                f"got angle={self.angle!r}, feature={self.feature!r}, value={self.value!r}"
            )
        _check_int("feature", self.feature, 0, MAX_FEATURES - 1)
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)) or not math.isfinite(self.value):
            raise _fail("value", "a finite number (radians)", self.value)
        if abs(self.value) > 1e3:
            raise _fail("value", "an angle of magnitude at most 1000 rad", self.value)
        # Fields the angle mode does not read are normalised, so equal gates serialise equally.
        object.__setattr__(self, "value", float(self.value) if self.angle == "fixed" else 0.0)
        if self.angle not in ("feature", "data"):
            object.__setattr__(self, "feature", 0)
        if self.uid is not None:
            _check_int("uid", self.uid, 0, MAX_UID)

    # -- convenience constructors, so tests read like circuits
    @classmethod
    def rot(cls, kind: str, angle: str = "trainable", feature: int = 0, value: float = 0.0) -> "GateSpec":
        """A single-axis rotation: ``GateSpec.rot("ry", "feature", feature=1)``."""
        return cls(kind=kind, angle=angle, feature=feature, value=value)

    def n_params(self, n_features: int) -> int:
        """Number of trainable parameters of this gate for inputs of ``n_features`` features."""
        if self.kind == "compressed":
            return 3 * n_pieces(n_features) + n_features
        if self.kind == "original":
            return 3 * n_pieces(n_features)
        return {"trainable": 1, "feature": 2, "data": 0, "fixed": 0}[self.angle]

    def without_uid(self) -> "GateSpec":
        return replace(self, uid=None)

    @property
    def label(self) -> str:
        """Short text form: ``U(θ+w∘x)``, ``U(θ)U(x)``, ``RY(θ)``, ``RX(w·x2+b)``, ``RZ(x1)``, ``RY(0.5)``."""
        if self.kind == "compressed":
            return "U(θ+w∘x)"
        if self.kind == "original":
            return "U(θ)U(x)"
        axis = self.kind.upper()
        k = self.feature + 1
        arg = {"trainable": "θ", "feature": f"w·x{k}+b", "data": f"x{k}", "fixed": f"{self.value:.3g}"}[self.angle]
        return f"{axis}({arg})"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind in ("rx", "ry", "rz"):
            out["angle"] = self.angle
            if self.angle in ("feature", "data"):
                out["feature"] = self.feature
            if self.angle == "fixed":
                out["value"] = self.value
        if self.uid is not None:
            out["uid"] = self.uid
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "gate") -> "GateSpec":
        if not isinstance(data, dict):
            raise _fail(where, "an object such as {\"kind\": \"compressed\"}", data)
        unknown = set(data) - {"kind", "angle", "feature", "value", "uid"}
        if unknown:
            raise _fail(where, "only the keys kind, angle, feature, value, uid", sorted(unknown)[0])
        try:
            return cls(**data)
        except SpecError as err:
            raise SpecError(f"{where}.{err}") from None


# ----------------------------------------------------------------------------------------------- entanglers


@dataclass(frozen=True)
class EntanglerSpec:
    """Two-qubit gates applied after a layer.

    Parameters
    ----------
    gate : str
        ``none``, ``cz`` or ``cnot``.
    pattern : str
        ``chain`` (0–1, 1–2, ...), ``ring`` (chain plus (n−1)–0), ``alternating`` (the paper's: pairs (0,1),
        (2,3), ... after odd-numbered layers and (1,2), (3,4), ..., (n−1,0) after even-numbered ones, counting
        layers from 1) or ``pairs`` (the explicit ``pairs``).
    pairs : tuple of (int, int)
        For ``pairs``: (control, target) wire pairs; for CZ the order does not matter.
    """

    gate: str = "none"
    pattern: str = "chain"
    pairs: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        _check_choice("gate", self.gate, ENTANGLER_GATES)
        _check_choice("pattern", self.pattern, ENTANGLER_PATTERNS)
        if not isinstance(self.pairs, (tuple, list)):
            raise _fail("pairs", "a list of [control, target] pairs", self.pairs)
        pairs = []
        for i, pair in enumerate(self.pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise _fail(f"pairs[{i}]", "a pair [control, target]", pair)
            a = _check_int(f"pairs[{i}][0]", pair[0], 0, MAX_QUBITS - 1)
            b = _check_int(f"pairs[{i}][1]", pair[1], 0, MAX_QUBITS - 1)
            if a == b:
                raise _fail(f"pairs[{i}]", "two different wires", list(pair))
            pairs.append((a, b))
        if len(pairs) > 64:
            raise _fail("pairs", "at most 64 pairs", len(pairs))
        if self.pattern != "pairs" and pairs:
            raise _fail("pairs", f"no explicit pairs with pattern {self.pattern!r}", [list(p) for p in pairs])
        object.__setattr__(self, "pairs", tuple(pairs))
        if self.gate == "none":  # no gates: the pattern means nothing, keep one canonical form
            object.__setattr__(self, "pattern", "chain")
            object.__setattr__(self, "pairs", ())

    @property
    def active(self) -> bool:
        return self.gate != "none"

    def resolve(self, n_qubits: int, layer_index: int) -> tuple[tuple[int, int], ...]:
        """The (control, target) pairs applied after layer ``layer_index`` (0-based) on ``n_qubits`` wires."""
        if self.gate == "none" or n_qubits < 2:
            return ()
        if self.pattern == "chain":
            return tuple((q, q + 1) for q in range(n_qubits - 1))
        if self.pattern == "ring":
            pairs = [(q, q + 1) for q in range(n_qubits - 1)]
            if n_qubits > 2:
                pairs.append((n_qubits - 1, 0))
            return tuple(pairs)
        if self.pattern == "alternating":
            if layer_index % 2 == 0:  # layers 1, 3, 5, ... counting from 1
                return tuple((q, q + 1) for q in range(0, n_qubits - 1, 2))
            pairs = [(q, q + 1) for q in range(1, n_qubits - 1, 2)]
            if n_qubits % 2 == 0 or n_qubits == 3:
                pairs.append((0, n_qubits - 1))
            return tuple(pairs)
        return tuple(p for p in self.pairs if p[0] < n_qubits and p[1] < n_qubits)

    @property
    def label(self) -> str:
        if self.gate == "none":
            return "none"
        if self.pattern == "pairs":
            return f"{self.gate.upper()} " + " ".join(f"{a}→{b}" for a, b in self.pairs)
        return f"{self.gate.upper()} {self.pattern}"

    def to_dict(self) -> dict[str, Any]:
        if self.gate == "none":
            return {"gate": "none"}
        out: dict[str, Any] = {"gate": self.gate, "pattern": self.pattern}
        if self.pattern == "pairs":
            out["pairs"] = [list(p) for p in self.pairs]
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "entangler") -> "EntanglerSpec":
        if not isinstance(data, dict):
            raise _fail(where, "an object such as {\"gate\": \"cz\", \"pattern\": \"chain\"}", data)
        unknown = set(data) - {"gate", "pattern", "pairs"}
        if unknown:
            raise _fail(where, "only the keys gate, pattern, pairs", sorted(unknown)[0])
        try:
            data = dict(data)
            if "pairs" in data and isinstance(data["pairs"], list):
                data["pairs"] = tuple(tuple(p) if isinstance(p, list) else p for p in data["pairs"])
            return cls(**data)
        except SpecError as err:
            raise SpecError(f"{where}.{err}") from None


NO_ENTANGLER = EntanglerSpec()


# --------------------------------------------------------------------------------------------------- layers


@dataclass(frozen=True)
class LayerSpec:
    """One layer: a slot (a tuple of gates, possibly empty) per qubit, then an entangler."""

    slots: tuple[tuple[GateSpec, ...], ...]
    entangler: EntanglerSpec = NO_ENTANGLER

    def __post_init__(self) -> None:
        if not isinstance(self.slots, (tuple, list)):
            raise _fail("slots", "a list with one list of gates per qubit", self.slots)
        slots = []
        for q, slot in enumerate(self.slots):
            if isinstance(slot, GateSpec):
                slot = (slot,)
            if not isinstance(slot, (tuple, list)):
                raise _fail(f"slots[{q}]", "a list of gates", slot)
            if len(slot) > MAX_GATES_PER_SLOT:
                raise _fail(f"slots[{q}]", f"at most {MAX_GATES_PER_SLOT} gates", len(slot))
            for i, gate in enumerate(slot):
                if not isinstance(gate, GateSpec):
                    raise _fail(f"slots[{q}][{i}]", "a GateSpec", gate)
            slots.append(tuple(slot))
        object.__setattr__(self, "slots", tuple(slots))
        if not isinstance(self.entangler, EntanglerSpec):
            raise _fail("entangler", "an EntanglerSpec", self.entangler)

    @classmethod
    def uniform(cls, n_qubits: int, gate: GateSpec | None = None, entangler: EntanglerSpec = NO_ENTANGLER) -> "LayerSpec":
        gate = GateSpec() if gate is None else gate.without_uid()
        return cls(tuple((gate,) for _ in range(n_qubits)), entangler)

    def gates(self) -> Iterator[tuple[int, int, GateSpec]]:
        """Yield (qubit, position in slot, gate)."""
        for q, slot in enumerate(self.slots):
            for i, gate in enumerate(slot):
                yield q, i, gate

    def to_dict(self) -> dict[str, Any]:
        return {"slots": [[g.to_dict() for g in slot] for slot in self.slots], "entangler": self.entangler.to_dict()}

    @classmethod
    def from_dict(cls, data: Any, where: str = "layer") -> "LayerSpec":
        if not isinstance(data, dict):
            raise _fail(where, "an object with keys slots and entangler", data)
        unknown = set(data) - {"slots", "entangler"}
        if unknown:
            raise _fail(where, "only the keys slots, entangler", sorted(unknown)[0])
        slots = data.get("slots")
        if not isinstance(slots, list):
            raise _fail(f"{where}.slots", "a list with one list of gates per qubit", slots)
        if len(slots) > MAX_QUBITS:
            raise _fail(f"{where}.slots", f"at most {MAX_QUBITS} qubits", len(slots))
        parsed = []
        for q, slot in enumerate(slots):
            if not isinstance(slot, list):
                raise _fail(f"{where}.slots[{q}]", "a list of gates", slot)
            if len(slot) > MAX_GATES_PER_SLOT:
                raise _fail(f"{where}.slots[{q}]", f"at most {MAX_GATES_PER_SLOT} gates", len(slot))
            parsed.append(tuple(GateSpec.from_dict(g, f"{where}.slots[{q}][{i}]") for i, g in enumerate(slot)))
        ent = EntanglerSpec.from_dict(data.get("entangler", {"gate": "none"}), f"{where}.entangler")
        return cls(tuple(parsed), ent)


# --------------------------------------------------------------------------------------------------- circuit


@dataclass(frozen=True)
class CircuitSpec:
    """A data re-uploading circuit: ``n_qubits`` wires, ``n_features`` inputs, a tuple of layers.

    Gates without a ``uid`` get fresh ones on construction; uids must be unique. Edits (``with_*``,
    ``insert_layer``, ...) return new specs and keep the uid of every gate they do not touch.
    """

    n_qubits: int
    layers: tuple[LayerSpec, ...]
    n_features: int = 2

    def __post_init__(self) -> None:
        _check_int("n_qubits", self.n_qubits, 1, MAX_QUBITS)
        _check_int("n_features", self.n_features, 1, MAX_FEATURES)
        if not isinstance(self.layers, (tuple, list)):
            raise _fail("layers", "a list of layers", self.layers)
        if not 1 <= len(self.layers) <= MAX_LAYERS:
            raise _fail("n_layers", f"an integer in 1..{MAX_LAYERS}", len(self.layers))
        seen: set[int] = set()
        for li, layer in enumerate(self.layers):
            if not isinstance(layer, LayerSpec):
                raise _fail(f"layers[{li}]", "a LayerSpec", layer)
            if len(layer.slots) != self.n_qubits:
                raise _fail(f"layers[{li}].slots", f"{self.n_qubits} slots (one per qubit)", len(layer.slots))
            for q, i, gate in layer.gates():
                where = f"layers[{li}].slots[{q}][{i}]"
                if gate.angle in ("feature", "data") and gate.feature >= self.n_features:
                    raise _fail(f"{where}.feature", f"a feature index in 0..{self.n_features - 1}", gate.feature)
                if gate.uid is not None:
                    if gate.uid in seen:
                        raise _fail(f"{where}.uid", "a uid used by no other gate", gate.uid)
                    seen.add(gate.uid)
            for pi, (a, b) in enumerate(layer.entangler.pairs):
                if a >= self.n_qubits or b >= self.n_qubits:
                    raise _fail(f"layers[{li}].entangler.pairs[{pi}]", f"wires in 0..{self.n_qubits - 1}", [a, b])
        # Assign fresh uids to gates without one, in reading order.
        next_uid = max(seen, default=-1) + 1
        layers = []
        for layer in self.layers:
            slots = []
            for slot in layer.slots:
                new_slot = []
                for gate in slot:
                    if gate.uid is None:
                        if next_uid > MAX_UID:
                            raise _fail("uid", f"at most {MAX_UID}", next_uid)
                        gate = replace(gate, uid=next_uid)
                        next_uid += 1
                    new_slot.append(gate)
                slots.append(tuple(new_slot))
            layers.append(LayerSpec(tuple(slots), layer.entangler))
        object.__setattr__(self, "layers", tuple(layers))

    # ------------------------------------------------------------------ properties
    @property
    def n_layers(self) -> int:
        return len(self.layers)

    def gates(self) -> Iterator[tuple[int, int, int, GateSpec]]:
        """Yield (layer, qubit, position in slot, gate) in application order within each layer."""
        for li, layer in enumerate(self.layers):
            for q, i, gate in layer.gates():
                yield li, q, i, gate

    @property
    def n_params(self) -> int:
        """Total number of trainable circuit parameters."""
        return sum(g.n_params(self.n_features) for *_, g in self.gates())

    def entangler_pairs(self, layer_index: int) -> tuple[tuple[int, int], ...]:
        return self.layers[layer_index].entangler.resolve(self.n_qubits, layer_index)

    def uses_entanglement(self) -> bool:
        return any(self.entangler_pairs(i) for i in range(self.n_layers))

    def find(self, uid: int) -> tuple[int, int, int]:
        """(layer, qubit, position) of the gate with this uid."""
        for li, q, i, g in self.gates():
            if g.uid == uid:
                return li, q, i
        raise KeyError(uid)

    def _fresh(self) -> Iterator[int]:
        start = max((g.uid for *_, g in self.gates()), default=-1) + 1
        return iter(range(start, MAX_UID + 1))

    # ------------------------------------------------------------------ named constructors
    @classmethod
    def paper(cls, n_qubits: int = 1, n_layers: int = 4, *, entangled: bool = False, n_features: int = 2) -> "CircuitSpec":
        """The paper's architectures: ``compressed`` blocks on every qubit in every layer.

        With ``entangled``: 2 qubits get CZ(0,1) after every layer but the last; 4 (or more) qubits the paper's
        alternating CZ pairs, none after the last layer.
        """
        _check_int("n_qubits", n_qubits, 1, MAX_QUBITS)
        _check_int("n_layers", n_layers, 1, MAX_LAYERS)
        if entangled and n_qubits < 2:
            raise _fail("n_qubits", "at least 2 qubits for an entangled circuit", n_qubits)
        pattern = "chain" if n_qubits == 2 else "alternating"
        ent = EntanglerSpec("cz", pattern) if entangled else NO_ENTANGLER
        layers = [LayerSpec.uniform(n_qubits, entangler=ent if i < n_layers - 1 else NO_ENTANGLER) for i in range(n_layers)]
        return cls(n_qubits, tuple(layers), n_features)

    @classmethod
    def paper_code(cls, n_qubits: int = 1, n_layers: int = 4, *, entangled: bool = False, n_features: int = 2) -> "CircuitSpec":
        """The circuits of the authors' code: :meth:`paper` for up to three features; for four (``hypersphere``),
        the code's two rotations per slot with two features each, U(θ₀ + α₀x₁, θ₁ + α₁x₂, θ₂) then
        U(θ₃ + α₂x₃, θ₄ + α₃x₄, θ₅), where the paper's text splits the input into pieces of three.

        Each rotation U(a₀, a₁, a₂) = RZ(−a₁)·RY(a₀)·RZ(−a₂) is written as three single-axis gates applied in
        order: ``rz`` trainable (−θ₂), ``ry`` feature (w·x + b with w = α₀, b = θ₀), ``rz`` feature (w = −α₁,
        b = −θ₁); :func:`playground.paper.paper_start` fills them in that order. Ten parameters per slot, as the
        code's six angles and four weights.
        """
        spec = cls.paper(n_qubits, n_layers, entangled=entangled, n_features=n_features)
        if n_features <= 3:
            return spec
        if n_features != 4:
            raise _fail("n_features", "at most 4 (the authors' code handles 2, 3 and 4 features)", n_features)
        slot = (
            GateSpec.rot("rz"), GateSpec.rot("ry", "feature", 0), GateSpec.rot("rz", "feature", 1),
            GateSpec.rot("rz"), GateSpec.rot("ry", "feature", 2), GateSpec.rot("rz", "feature", 3),
        )
        layers = [LayerSpec(tuple(slot for _ in range(n_qubits)), layer.entangler) for layer in spec.layers]
        return cls(n_qubits, tuple(layers), n_features)

    @classmethod
    def original(cls, n_qubits: int = 1, n_layers: int = 4, *, n_features: int = 2) -> "CircuitSpec":
        """The paper's original form U(θ)·U(x) in every slot."""
        _check_int("n_layers", n_layers, 1, MAX_LAYERS)
        layers = [LayerSpec.uniform(n_qubits, GateSpec("original")) for _ in range(n_layers)]
        return cls(n_qubits, tuple(layers), n_features)

    @classmethod
    def pennylane_tutorial(cls, n_layers: int = 3) -> "CircuitSpec":
        """PennyLane's "Data-reuploading classifier" demo: per layer ``Rot(x₁, x₂, 0)`` then ``Rot(θ₁, θ₂, θ₃)``.

        ``qml.Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ)``, so each layer is RZ(x₁), RY(x₂), then RZ(θ₁), RY(θ₂), RZ(θ₃),
        with no data weights, on one qubit.
        """
        _check_int("n_layers", n_layers, 1, MAX_LAYERS)
        slot = (
            GateSpec("rz", "data", feature=0),
            GateSpec("ry", "data", feature=1),
            GateSpec("rz"),
            GateSpec("ry"),
            GateSpec("rz"),
        )
        return cls(1, tuple(LayerSpec((slot,)) for _ in range(n_layers)), 2)

    @classmethod
    def empty(cls, n_qubits: int = 1, n_layers: int = 1, *, n_features: int = 2) -> "CircuitSpec":
        """A circuit with every slot empty (nothing trainable yet)."""
        _check_int("n_qubits", n_qubits, 1, MAX_QUBITS)
        _check_int("n_layers", n_layers, 1, MAX_LAYERS)
        return cls(n_qubits, tuple(LayerSpec(tuple(() for _ in range(n_qubits))) for _ in range(n_layers)), n_features)

    # ------------------------------------------------------------------ edits (each returns a new spec)
    def _with_layers(self, layers: Iterable[LayerSpec], n_qubits: int | None = None) -> "CircuitSpec":
        return CircuitSpec(self.n_qubits if n_qubits is None else n_qubits, tuple(layers), self.n_features)

    def _check_layer_index(self, index: int, *, allow_end: bool = False) -> int:
        hi = self.n_layers if allow_end else self.n_layers - 1
        return _check_int("layer", index, 0, hi)

    def with_slot(self, layer: int, qubit: int, gates: GateSpec | Sequence[GateSpec] | None) -> "CircuitSpec":
        """Replace the gates of one slot (``None`` or ``()`` empties it). New gates get fresh uids."""
        self._check_layer_index(layer)
        _check_int("qubit", qubit, 0, self.n_qubits - 1)
        if gates is None:
            gates = ()
        elif isinstance(gates, GateSpec):
            gates = (gates,)
        if not isinstance(gates, (tuple, list)) or not all(isinstance(g, GateSpec) for g in gates):
            raise _fail("gates", "a GateSpec, a list of GateSpecs, or None", gates)
        if len(gates) > MAX_GATES_PER_SLOT:
            raise _fail("gates", f"at most {MAX_GATES_PER_SLOT} gates in a slot", len(gates))
        fresh = self._fresh()
        new = tuple(g if g.uid is not None and self._has_uid_at(g.uid, layer, qubit) else replace(g, uid=next(fresh)) for g in gates)
        slots = list(self.layers[layer].slots)
        slots[qubit] = new
        layers = list(self.layers)
        layers[layer] = LayerSpec(tuple(slots), self.layers[layer].entangler)
        return self._with_layers(layers)

    def _has_uid_at(self, uid: int, layer: int, qubit: int) -> bool:
        return any(g.uid == uid for g in self.layers[layer].slots[qubit])

    def with_gate(self, layer: int, qubit: int, gate: GateSpec | None) -> "CircuitSpec":
        """Set a slot to a single gate (or empty it with ``None``)."""
        if gate is not None and not isinstance(gate, GateSpec):
            raise _fail("gate", "a GateSpec or None", gate)
        return self.with_slot(layer, qubit, None if gate is None else (gate.without_uid(),))

    def with_entangler(self, layer: int, entangler: EntanglerSpec) -> "CircuitSpec":
        """Replace the entangler after one layer."""
        self._check_layer_index(layer)
        layers = list(self.layers)
        layers[layer] = LayerSpec(self.layers[layer].slots, entangler)
        return self._with_layers(layers)

    def with_entanglers(self, gate: str, pattern: str = "chain", *, skip_last: bool = True) -> "CircuitSpec":
        """Set the same entangler after every layer (but the last, with ``skip_last``, as the paper does)."""
        ent = EntanglerSpec(gate, pattern)
        layers = [
            LayerSpec(l.slots, NO_ENTANGLER if (skip_last and i == self.n_layers - 1) else ent)
            for i, l in enumerate(self.layers)
        ]
        return self._with_layers(layers)

    def insert_layer(self, index: int, layer: LayerSpec | None = None) -> "CircuitSpec":
        """Insert a layer before position ``index`` (``n_layers`` appends). Default: a compressed block per qubit."""
        self._check_layer_index(index, allow_end=True)
        if self.n_layers >= MAX_LAYERS:
            raise _fail("n_layers", f"at most {MAX_LAYERS} layers", self.n_layers + 1)
        if layer is None:
            layer = LayerSpec.uniform(self.n_qubits)
        layer = self._fresh_copy(layer)
        layers = list(self.layers)
        layers.insert(index, layer)
        return self._with_layers(layers)

    def _fresh_copy(self, layer: LayerSpec) -> LayerSpec:
        return LayerSpec(tuple(tuple(g.without_uid() for g in slot) for slot in layer.slots), layer.entangler)

    def remove_layer(self, index: int) -> "CircuitSpec":
        """Remove one layer (a circuit keeps at least one)."""
        self._check_layer_index(index)
        if self.n_layers == 1:
            raise SpecError("n_layers: expected at least 1 layer to remain, got 0")
        return self._with_layers(self.layers[:index] + self.layers[index + 1 :])

    def duplicate_layer(self, index: int) -> "CircuitSpec":
        """Insert a copy of layer ``index`` right after it (its gates get fresh uids)."""
        self._check_layer_index(index)
        return self.insert_layer(index + 1, self.layers[index])

    def move_layer(self, source: int, target: int) -> "CircuitSpec":
        """Move layer ``source`` to position ``target`` (both 0-based, in the current numbering)."""
        self._check_layer_index(source)
        self._check_layer_index(target)
        layers = list(self.layers)
        layers.insert(target, layers.pop(source))
        return self._with_layers(layers)

    def with_n_layers(self, n_layers: int) -> "CircuitSpec":
        """Grow (copying the last layer's gate kinds and entangler) or shrink (from the end) to ``n_layers``."""
        _check_int("n_layers", n_layers, 1, MAX_LAYERS)
        spec = self
        while spec.n_layers > n_layers:
            spec = spec.remove_layer(spec.n_layers - 1)
        while spec.n_layers < n_layers:
            spec = spec.insert_layer(spec.n_layers, spec.layers[-1])
        return spec

    def with_n_qubits(self, n_qubits: int, gate: GateSpec | None = None) -> "CircuitSpec":
        """Add wires (each slot gets ``gate``, by default a compressed block) or remove wires from the bottom.

        Explicit entangler pairs that touch a removed wire are dropped.
        """
        _check_int("n_qubits", n_qubits, 1, MAX_QUBITS)
        gate = GateSpec() if gate is None else gate.without_uid()
        layers = []
        for layer in self.layers:
            slots = layer.slots[:n_qubits] + tuple((gate,) for _ in range(n_qubits - len(layer.slots)))
            ent = layer.entangler
            if ent.pattern == "pairs":
                kept = tuple(p for p in ent.pairs if max(p) < n_qubits)
                ent = EntanglerSpec(ent.gate, "pairs", kept) if kept else NO_ENTANGLER
            layers.append(LayerSpec(slots, ent))
        return self._with_layers(layers, n_qubits)

    def with_n_features(self, n_features: int) -> "CircuitSpec":
        """Re-target the circuit to inputs of ``n_features`` features.

        Single-axis gates that read a feature that no longer exists read feature ``k mod n_features`` instead.
        Compressed/original blocks adapt by themselves (their parameter count changes with ``n_features``).
        """
        _check_int("n_features", n_features, 1, MAX_FEATURES)
        layers = [
            LayerSpec(
                tuple(
                    tuple(replace(g, feature=g.feature % n_features) if g.angle in ("feature", "data") else g for g in slot)
                    for slot in layer.slots
                ),
                layer.entangler,
            )
            for layer in self.layers
        ]
        return CircuitSpec(self.n_qubits, tuple(layers), n_features)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SPEC_FORMAT,
            "version": SPEC_VERSION,
            "n_qubits": self.n_qubits,
            "n_features": self.n_features,
            "layers": [layer.to_dict() for layer in self.layers],
        }

    def to_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("separators", (",", ":"))
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: Any) -> "CircuitSpec":
        """Build from :meth:`to_dict` output; every problem is a :class:`SpecError` naming the field."""
        if not isinstance(data, dict):
            raise _fail("circuit", "a JSON object", data)
        unknown = set(data) - {"format", "version", "n_qubits", "n_features", "layers"}
        if unknown:
            raise _fail("circuit", "only the keys format, version, n_qubits, n_features, layers", sorted(unknown)[0])
        if data.get("format", SPEC_FORMAT) != SPEC_FORMAT:
            raise _fail("format", repr(SPEC_FORMAT), data.get("format"))
        version = data.get("version", SPEC_VERSION)
        if version != SPEC_VERSION:
            raise _fail("version", f"{SPEC_VERSION} (this program reads circuit format version {SPEC_VERSION})", version)
        n_qubits = _check_int("n_qubits", data.get("n_qubits"), 1, MAX_QUBITS)
        n_features = _check_int("n_features", data.get("n_features", 2), 1, MAX_FEATURES)
        layers = data.get("layers")
        if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_LAYERS:
            raise _fail("layers", f"a list of 1..{MAX_LAYERS} layers", layers if not isinstance(layers, list) else len(layers))
        parsed = tuple(LayerSpec.from_dict(layer, f"layers[{i}]") for i, layer in enumerate(layers))
        return cls(n_qubits, parsed, n_features)

    @classmethod
    def from_json(cls, text: str | bytes) -> "CircuitSpec":
        try:
            data = json.loads(text)
        except (ValueError, TypeError) as err:
            raise SpecError(f"circuit: expected JSON text, got a parse error ({err})") from None
        return cls.from_dict(data)

    # ------------------------------------------------------------------ text form
    def describe(self) -> str:
        """A multi-line text drawing: one row per qubit, one column per layer."""
        rows = []
        for q in range(self.n_qubits):
            cells = [" ".join(g.label for g in layer.slots[q]) or "—" for layer in self.layers]
            rows.append(f"q{q}: " + " | ".join(cells))
        ents = [layer.entangler.label for layer in self.layers]
        if any(e != "none" for e in ents):
            rows.append("ent: " + " | ".join(ents))
        return "\n".join(rows)
