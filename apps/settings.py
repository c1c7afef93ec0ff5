"""Every user setting of the playground as one flat, bounded object that round-trips through the URL.

The circuit is one of the settings. The sidebar's shape settings (``n_qubits``, ``n_layers``, ``entangler``,
``encoding``) are shortcuts that edit it, and they follow it when the circuit editor changes it, so the two
never disagree: :class:`PlaygroundSettings` keeps them in step itself.
"""

from __future__ import annotations

import math
from typing import Any, Mapping
from urllib.parse import urlencode

import param

from playground.classifier import COSTS, STRATEGIES
from playground.datasets import DATASETS, DatasetError, drawn_dataset
from playground.links import LinkError, decode_circuit, decode_points, encode_circuit
from playground.optim import OPTIMIZERS
from playground.spec import CircuitSpec, GateSpec
from playground.trainer import INIT_METHODS

__all__ = [
    "PlaygroundSettings",
    "ENTANGLERS",
    "LEARNING_RATES",
    "BATCH_SIZES",
    "MAX_POINTS",
    "MAX_STEPS_PER_FRAME",
    "MAX_RESOLUTION",
    "MIN_RESOLUTION",
    "MAX_QUBITS",
    "MAX_LAYERS",
    "QUERY_KEYS",
    "SHAPE_KEYS",
    "parse_query",
    "query_text",
    "to_query",
    "circuit_from_shape",
    "shape_of",
]

MAX_POINTS = 2000
"""Bound on the number of points of one session (train + test)."""
MAX_STEPS_PER_FRAME = 50
MIN_RESOLUTION, MAX_RESOLUTION = 20, 200
MAX_QUERY_VALUE_CHARS = 40
MAX_QUBITS, MAX_LAYERS = 4, 15
CUSTOM = "custom"

# value -> (gate, pattern) of CircuitSpec.with_entanglers
ENTANGLERS: dict[str, tuple[str, str]] = {
    "none": ("none", "chain"),
    "cz-chain": ("cz", "chain"),
    "cz-alternating": ("cz", "alternating"),
    "cz-ring": ("cz", "ring"),
    "cnot-chain": ("cnot", "chain"),
    "cnot-ring": ("cnot", "ring"),
}
_ENTANGLER_LABELS = {
    "No entangler": "none",
    "CZ chain": "cz-chain",
    "CZ alternating (paper)": "cz-alternating",
    "CZ ring": "cz-ring",
    "CNOT chain": "cnot-chain",
    "CNOT ring": "cnot-ring",
    "Custom (set in the circuit)": CUSTOM,
}
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2000)


class PlaygroundSettings(param.Parameterized):
    """What one person chose on the page. Bounds here are the server's bounds: nothing outside them is computed."""

    # -- data
    dataset = param.Selector(default="circle", objects=list(DATASETS), doc="Dataset id from the registry.")
    n_samples = param.Integer(default=400, bounds=(20, MAX_POINTS), doc="Points drawn in all (train + test).")
    test_fraction = param.Number(default=0.5, bounds=(0.1, 0.9), step=0.05, doc="Share of the points kept for testing.")
    noise = param.Number(default=0.0, bounds=(0.0, 0.5), step=0.01, doc="Std. dev. of the jitter added to every point.")
    seed = param.Integer(default=30, bounds=(0, 2**31 - 1), doc="Seed of the data and of the starting parameters.")
    drawing = param.Boolean(default=False, doc=(
        "Train on points drawn on the plane (``points``) instead of a dataset: click the decision boundary to add "
        "a point of the chosen class, click a point to remove it."))
    points = param.String(default="", doc="The drawn points, as a d1. code (playground.links.encode_points).")
    draw_classes = param.Integer(default=2, bounds=(2, 6), doc="Classes of the drawn points.")
    draw_class = param.Integer(default=0, bounds=(0, 5), doc="The class a click adds.")
    clear_points = param.Event(doc="Remove every drawn point.")
    paper_draw = param.Boolean(default=False, doc=(
        "The authors' own points for a paper problem (their seed-30 draw: 200 training and 4000 test points; "
        "sphere 500, hypersphere 1000 training points); the point count, split, noise and seed of the data then "
        "do not apply (the seed still starts the parameters)."))
    show_test = param.Boolean(default=True, doc="Draw the test points.")
    regenerate = param.Event(doc="Draw a new set of points (new seed).")

    # -- model
    circuit = param.ClassSelector(class_=CircuitSpec, default=CircuitSpec.paper(1, 4), doc=(
        "The circuit. The four shape settings below edit it; the circuit editor edits it gate by gate."))
    n_qubits = param.Integer(default=1, bounds=(1, MAX_QUBITS), doc="Qubits (wires).")
    n_layers = param.Integer(default=4, bounds=(1, MAX_LAYERS), doc="Layers: how often the data is re-uploaded.")
    entangler = param.Selector(default="cz-chain", objects=_ENTANGLER_LABELS, doc=(
        "Two-qubit gates after each layer but the last ('custom' when the circuit sets them layer by layer)."))
    encoding = param.Selector(default="compressed", objects={
        "Compressed U(θ + w∘x)": "compressed", "Original U(θ)·U(x)": "original", "Custom (set in the circuit)": CUSTOM,
    }, doc="The paper's two layer forms in every slot ('custom' when the circuit mixes gates).")
    cost = param.Selector(default="fidelity", objects=list(COSTS), doc="Cost function.")
    readout = param.Selector(default="state", objects=list(STRATEGIES), doc="How several qubits are read out.")
    init = param.Selector(default="uniform", objects=list(INIT_METHODS), doc="Starting parameters.")

    # -- training
    playing = param.Boolean(default=False, doc="Train continuously.")
    step = param.Event(doc="Exactly one optimizer update.")
    reset = param.Event(doc="Back to step 0 with the same starting parameters.")
    optimizer = param.Selector(default="adam", objects=list(OPTIMIZERS), doc="Optimizer.")
    learning_rate = param.Selector(default=0.05, objects=list(LEARNING_RATES), doc="Learning rate (L-BFGS ignores it).")
    batch_size = param.Selector(default=32, objects=list(BATCH_SIZES), doc="Points per update (Adam, SGD).")
    steps_per_frame = param.Integer(default=5, bounds=(1, MAX_STEPS_PER_FRAME), doc="Training steps between two pictures.")
    projector = param.Boolean(default=False, doc=(
        "Projector mode: large type (at least 20 px), thick lines, large markers and large views, for a room."))
    resolution = param.Integer(default=100, bounds=(MIN_RESOLUTION, MAX_RESOLUTION), step=10, doc="Pixels per side of the decision-boundary grid.")

    def __init__(self, **params):
        circuit = params.pop("circuit", None)
        super().__init__(**params)
        self._syncing = False
        n_features = DATASETS[self.dataset].n_features
        if circuit is None:
            circuit = circuit_from_shape(None, self.n_qubits, self.n_layers, self.entangler, self.encoding, n_features)
        self.circuit = fit_circuit(circuit, n_features)
        self.param.watch(self._on_shape, list(SHAPE_KEYS))
        self.param.watch(self._on_dataset, "dataset")
        self.param.watch(self._on_circuit, "circuit")
        self._on_circuit(None)

    def _on_shape(self, *events) -> None:
        if self._syncing:
            return
        self.circuit = circuit_from_shape(
            self.circuit, self.n_qubits, self.n_layers, self.entangler, self.encoding, self.circuit.n_features)

    def _on_dataset(self, event) -> None:
        if self.paper_draw and not DATASETS[self.dataset].paper:
            self.paper_draw = False  # only the paper's problems have the authors' draw
        n_features = DATASETS[self.dataset].n_features
        if n_features != self.circuit.n_features:
            self.circuit = self.circuit.with_n_features(n_features)

    def _on_circuit(self, event) -> None:
        """Let the shape settings show the circuit (without editing it back)."""
        shape = shape_of(self.circuit, self.entangler)
        changed = {k: v for k, v in shape.items() if getattr(self, k) != v}
        if changed:
            self._syncing = True
            try:
                self.param.update(changed)
            finally:
                self._syncing = False

    @property
    def n_test(self) -> int:
        return int(round(self.n_samples * self.test_fraction))

    @property
    def n_train(self) -> int:
        return self.n_samples - self.n_test


SHAPE_KEYS = ("n_qubits", "n_layers", "entangler", "encoding")
# What the URL may set (the flat, shareable state); events and view toggles are left out on purpose.
QUERY_KEYS = (
    "dataset", "n_samples", "test_fraction", "noise", "seed", "paper_draw", "drawing", "points", "draw_classes",
    *SHAPE_KEYS, "circuit",
    "cost", "readout", "init", "optimizer", "learning_rate", "batch_size", "steps_per_frame", "resolution", "projector",
    "playing",
)
_LONG_KEYS = {"circuit", "points"}  # encoded values (playground.links bounds their length itself)


def fit_circuit(circuit: CircuitSpec, n_features: int) -> CircuitSpec:
    """``circuit`` within the page's bounds: at most MAX_QUBITS wires and MAX_LAYERS layers, for the data's features."""
    if circuit.n_qubits > MAX_QUBITS:
        circuit = circuit.with_n_qubits(MAX_QUBITS)
    if circuit.n_layers > MAX_LAYERS:
        circuit = circuit.with_n_layers(MAX_LAYERS)
    if circuit.n_features != n_features:
        circuit = circuit.with_n_features(n_features)
    return circuit


def _encoding_of(circuit: CircuitSpec) -> str:
    kinds = {g.kind for *_, g in circuit.gates()}
    full = all(len(slot) == 1 for layer in circuit.layers for slot in layer.slots)
    if full and kinds in ({"compressed"}, {"original"}):
        return kinds.pop()
    return CUSTOM


def _with_entangler_setting(circuit: CircuitSpec, entangler: str) -> CircuitSpec:
    gate, pattern = ENTANGLERS[entangler]
    if circuit.n_qubits == 1 or gate == "none":
        return circuit.with_entanglers("none")
    return circuit.with_entanglers(gate, pattern)


def circuit_from_shape(current: CircuitSpec | None, n_qubits: int, n_layers: int, entangler: str, encoding: str,
                       n_features: int) -> CircuitSpec:
    """The circuit the shape settings ask for, made from ``current`` by as small an edit as possible.

    Growing or shrinking keeps every untouched gate (its uid, so its trained values); a new encoding rebuilds
    every slot; a ``custom`` entangler or encoding leaves those parts of ``current`` as they are.
    """
    if current is None or current.n_features != n_features or (encoding != CUSTOM and _encoding_of(current) != encoding):
        build = CircuitSpec.original if encoding == "original" else CircuitSpec.paper
        spec = build(n_qubits, n_layers, n_features=n_features)
        if current is not None and entangler == CUSTOM:
            entangler = "none"
    else:
        kind = encoding if encoding != CUSTOM else "compressed"
        spec = current.with_n_qubits(n_qubits, GateSpec(kind)).with_n_layers(n_layers)
    if entangler == CUSTOM:
        return spec
    return _with_entangler_setting(spec, entangler)


def shape_of(circuit: CircuitSpec, entangler: str = "none") -> dict[str, Any]:
    """The shape settings that describe ``circuit`` (``entangler`` is kept on one wire, where none applies)."""
    shape = {"n_qubits": circuit.n_qubits, "n_layers": circuit.n_layers, "encoding": _encoding_of(circuit)}
    if circuit.n_qubits > 1 or circuit.uses_entanglement():
        shape["entangler"] = CUSTOM
        for value in ENTANGLERS:
            if _with_entangler_setting(circuit, value) == circuit:
                shape["entangler"] = value
                break
    else:
        shape["entangler"] = entangler
    return shape


def query_text(raw) -> str:
    """One URL value as text: the last of repeated values, decoded as UTF-8 (bad bytes replaced), stripped."""
    value = raw[-1] if isinstance(raw, (list, tuple)) and raw else raw
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).strip()


def _shown(raw: str) -> str:
    """A short, repr-quoted form of a user value for a notice (callers still HTML-escape it)."""
    text = raw if len(raw) <= 20 else raw[:17] + "..."
    return repr(text)


def _choices(p: param.Selector) -> list:
    objs = p.objects
    return list(objs.values()) if isinstance(objs, dict) else list(objs)


def parse_query(args: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Validate URL query arguments into setting values, clamping out-of-range numbers.

    Parameters
    ----------
    args : mapping of str to list of bytes or str
        As Bokeh's ``session_context.request.arguments`` (``pn.state.session_args``); the last value wins.

    Returns
    -------
    values : dict
        Setting name → value, each within the bounds of :class:`PlaygroundSettings`.
    notices : list of str
        Plain-text messages about ignored or adjusted values (not HTML: escape before display).

    Example
    -------
    >>> parse_query({"n_qubits": [b"999"], "dataset": [b"moons"]})
    ({'n_qubits': 4, 'dataset': 'moons'}, ["n_qubits: '999' is out of range; using 4."])
    """
    values: dict[str, Any] = {}
    notices: list[str] = []
    params = PlaygroundSettings.param
    for key, raw_list in args.items():
        if not isinstance(key, str) or len(key) > MAX_QUERY_VALUE_CHARS:
            notices.append("An unreadable URL setting was ignored.")
            continue
        if key not in QUERY_KEYS:
            if key.startswith("bokeh-") or key.startswith("_"):
                continue  # the server's own arguments
            notices.append(f"Unknown URL setting {_shown(key)} ignored.")
            continue
        raw = query_text(raw_list)
        if key == "points":
            try:
                X, y = decode_points(raw)
                drawn_dataset(X, y)
            except (LinkError, DatasetError) as err:
                notices.append(f"The drawn points in this link could not be read ({err}); starting from an empty plane.")
                continue
            values[key] = raw
            continue
        if key in _LONG_KEYS:
            try:
                circuit = decode_circuit(raw)
            except LinkError as err:
                notices.append(f"The circuit in this link could not be read ({err}); using the default circuit.")
                continue
            if circuit.n_qubits > MAX_QUBITS or circuit.n_layers > MAX_LAYERS:
                notices.append(f"circuit: this page allows at most {MAX_QUBITS} qubits and {MAX_LAYERS} layers; "
                               "the circuit was cut down to fit.")
                circuit = fit_circuit(circuit, circuit.n_features)
            values[key] = circuit
            continue
        if len(raw) > MAX_QUERY_VALUE_CHARS:
            notices.append(f"{key}: value too long; ignored.")
            continue
        p = params[key]
        if isinstance(p, param.Boolean):
            if raw.lower() in ("1", "true", "yes", "on"):
                values[key] = True
            elif raw.lower() in ("0", "false", "no", "off"):
                values[key] = False
            else:
                notices.append(f"{key}: expected 0 or 1, got {_shown(raw)}; ignored.")
        elif isinstance(p, param.Selector):
            choices = _choices(p)
            if all(isinstance(c, str) for c in choices):
                if raw in choices:
                    values[key] = raw
                else:
                    notices.append(f"{key}: {_shown(raw)} is not one of {', '.join(choices)}; ignored.")
                continue
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                notices.append(f"{key}: expected a number, got {_shown(raw)}; ignored.")
                continue
            nearest = min(choices, key=lambda c: abs(math.log(c) - math.log(max(number, 1e-9))))
            if nearest != number:
                notices.append(f"{key}: {_shown(raw)} is not offered; using {nearest}.")
            values[key] = nearest
        else:  # Integer / Number with bounds
            lo, hi = p.bounds
            is_int = isinstance(p, param.Integer)
            try:
                number = int(raw) if is_int else float(raw)
            except ValueError:
                number = None
            if number is None or (not is_int and not math.isfinite(number)):
                notices.append(f"{key}: expected {'an integer' if is_int else 'a number'}, got {_shown(raw)}; ignored.")
                continue
            clamped = min(max(number, lo), hi)
            if clamped != number:
                notices.append(f"{key}: {_shown(raw)} is out of range; using {clamped}.")
            values[key] = clamped
    if values.get("paper_draw") and not DATASETS[values.get("dataset", params["dataset"].default)].paper:
        del values["paper_draw"]
        notices.append("paper_draw: only the paper's nine problems have the authors' own points; ignored.")
    return values, notices


def _without_uids(circuit: CircuitSpec) -> dict:
    data = circuit.to_dict()
    for layer in data["layers"]:
        for slot in layer["slots"]:
            for gate in slot:
                gate.pop("uid", None)
    return data


def to_query(settings: PlaygroundSettings, *, skip: tuple[str, ...] = ("playing",)) -> str:
    """The shareable query string of ``settings`` (only values that differ from the defaults).

    The circuit travels as ``circuit=c1.…`` (see :mod:`playground.links`) unless the shape settings alone
    rebuild it, in which case the link keeps the short, readable ``n_layers=…`` form.
    """
    out: dict[str, Any] = {}
    circuit = settings.circuit
    rebuilt = circuit_from_shape(None, settings.n_qubits, settings.n_layers, settings.entangler, settings.encoding,
                                 circuit.n_features) if CUSTOM not in (settings.entangler, settings.encoding) else None
    by_shape = rebuilt is not None and _without_uids(rebuilt) == _without_uids(circuit)
    for key in QUERY_KEYS:
        if key in skip or (not by_shape and key in SHAPE_KEYS):
            continue
        if key == "circuit":
            if not by_shape:
                out[key] = encode_circuit(circuit)
            continue
        value = getattr(settings, key)
        if value != settings.param[key].default:
            out[key] = int(value) if isinstance(value, bool) else value
    return urlencode(out)
