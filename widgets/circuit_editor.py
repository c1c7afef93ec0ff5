"""Circuit editor: qubit wires × layers of gate slots, edited by click, drag or keyboard, with undo and redo."""

from __future__ import annotations

from html import escape
from typing import Any, Callable, Sequence

import numpy as np
import panel as pn
import param
from panel.custom import JSComponent

from playground.program import compile_spec
from playground.spec import (
    MAX_LAYERS,
    MAX_QUBITS,
    CircuitSpec,
    EntanglerSpec,
    GateSpec,
    LayerSpec,
    SpecError,
    n_pieces,
)

from widgets.circuit_diagram import pack_pairs  # the same column packing as the read-only diagram
from widgets.static_files import read_static, static_path

__all__ = ["CircuitEditor", "gate_formula", "slot_name", "editor_view"]

ROW_H = 64  # px per qubit wire; equal to ROW_H in static/circuit_editor.js, which draws the entanglers on this pitch


def _num(value: float) -> str:
    """Three significant digits with a true minus sign: ``-0.8`` → ``"−0.8"``."""
    return f"{float(value):.3g}".replace("-", "−")


def _nums(values: Sequence[float]) -> str:
    return ", ".join(_num(v) for v in values)


def gate_formula(gate: GateSpec, values: np.ndarray | None = None, n_features: int = 2) -> str:
    """One gate's angle formula, with its current trained values when ``values`` is given.

    Parameters
    ----------
    gate : GateSpec
    values : ndarray of shape (gate.n_params(n_features),) or None
        The gate's slice of the parameter vector (see ``compile_spec(spec).gate_slices``), laid out as the
        compiler reads it: ``compressed`` — 3 θ per three-feature piece, then one w per feature; ``original`` —
        3 θ per piece; ``rx``/``ry``/``rz`` — θ (trainable) or (w, b) (feature). A slice of the wrong length
        counts as missing.
    n_features : int

    Example
    -------
    >>> gate_formula(GateSpec("compressed"), np.array([0.12, -0.8, 1.3, 2.1, 0.4]))
    'U(θ + w∘x) with θ = (0.12, −0.8, 1.3), w = (2.1, 0.4)'
    """
    n = gate.n_params(n_features)
    if values is not None:
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if values.shape != (n,):
            values = None
    if gate.kind in ("compressed", "original"):
        head = "U(θ + w∘x)" if gate.kind == "compressed" else "U(θ)·U(x)"
        if values is None:
            return f"{head}: {n} trainable parameters (values not available yet)"
        pieces = n_pieces(n_features)
        theta = "; ".join(_nums(values[3 * c: 3 * c + 3]) for c in range(pieces))
        text = f"{head} with θ = ({theta})"
        if gate.kind == "compressed":
            text += f", w = ({_nums(values[3 * pieces:])})"
        return text
    axis = gate.kind.upper()
    k = gate.feature + 1
    if gate.angle == "data":
        return f"{axis}(x{k}): the angle is the input feature x{k}, nothing trainable"
    if gate.angle == "fixed":
        return f"{axis}({_num(gate.value)}): a fixed angle of {_num(gate.value)} rad, nothing trainable"
    head, names = (f"{axis}(θ)", ("θ",)) if gate.angle == "trainable" else (f"{axis}(w·x{k} + b)", ("w", "b"))
    if values is None:
        return f"{head}: {n} trainable parameter{'s' if n > 1 else ''} (values not available yet)"
    return f"{head} with " + ", ".join(f"{name} = {_num(v)}" for name, v in zip(names, values))


def slot_name(spec: CircuitSpec, layer: int, qubit: int) -> str:
    """Accessible name of a slot, layers counted from 1 and qubits from 0: ``"Layer 2, qubit 1: RY(θ)"``."""
    gates = spec.layers[layer].slots[qubit]
    return f"Layer {layer + 1}, qubit {qubit}: " + (", ".join(g.label for g in gates) or "empty")


def _entangler_name(spec: CircuitSpec, layer: int) -> str:
    ent = spec.layers[layer].entangler
    pairs = spec.entangler_pairs(layer)
    text = f"Entangler after layer {layer + 1}: {ent.label}"
    if ent.active and ent.pattern != "pairs":
        sep = "→" if ent.gate == "cnot" else "–"
        text += " (" + (", ".join(f"{a}{sep}{b}" for a, b in pairs) or "no pairs on this many wires") + ")"
    return text


def editor_view(spec: CircuitSpec) -> dict[str, Any]:
    """The plain-data picture of ``spec`` the browser side draws: labels, kinds, names and entangler pairs.

    Every string in it is plain text; the browser puts it in the page with ``textContent`` only.
    """
    layers = []
    for li, layer in enumerate(spec.layers):
        pairs = spec.entangler_pairs(li)
        cols = pack_pairs(pairs)
        ent = layer.entangler
        layers.append({
            "slots": [
                {"name": slot_name(spec, li, q), "gates": [{"label": g.label, "kind": g.kind, "uid": g.uid} for g in slot]}
                for q, slot in enumerate(layer.slots)
            ],
            "entangler": {
                "gate": ent.gate, "pattern": ent.pattern, "pairs": [list(p) for p in ent.pairs], "label": ent.label,
                "resolved": [[a, b, c] for (a, b), c in zip(pairs, cols)], "n_cols": max(cols, default=-1) + 1,
                "name": _entangler_name(spec, li),
            },
        })
    q, n = spec.n_qubits, spec.n_layers
    return {
        "n_qubits": q, "n_layers": n, "n_features": spec.n_features, "n_params": spec.n_params, "layers": layers,
        "summary": f"{q} qubit{'s' if q > 1 else ''} · {n} layer{'s' if n > 1 else ''} · "
                   f"{spec.n_params} trainable parameter{'s' if spec.n_params != 1 else ''}",
    }


# ------------------------------------------------------------------------------------------ browser side

_CSS = read_static("circuit_editor.css")


class CircuitCanvas(JSComponent):
    """The drawn part of :class:`CircuitEditor`: it shows ``view`` and sends what the user asks for as messages.

    It holds no circuit state of its own; every request goes to the editor, which answers by updating ``view``.
    """

    view = param.Dict(default={}, doc="Output of editor_view plus the editor's limits and undo/redo flags.")
    selection = param.List(default=[], doc='[] | ["slot", layer, qubit] | ["entangler", layer].')
    hover = param.Dict(default={}, doc="{layer, qubit, text}: the formula of the slot under the pointer.")
    inspect = param.Dict(default={}, doc="{layer, qubit, text}: the formula of the selected slot.")

    _esm = static_path("circuit_editor.js")  # Panel inlines the file into the page
    _stylesheets = [_CSS]

    def __init__(self, on_message: Callable[[Any], None], **params):
        super().__init__(**params)
        self._on_message = on_message

    def _handle_msg(self, data: Any) -> None:
        self._on_message(data)


class _BadMessage(Exception):
    """A request from the page that does not have the expected shape."""


def _int_field(msg: dict, name: str, *, allow_none: bool = False) -> int | None:
    value = msg.get(name)
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadMessage(f"{name}: expected an integer, got {value!r:.40}")
    return value


class CircuitEditor(pn.viewable.Viewer):
    """Edit a :class:`~playground.spec.CircuitSpec` as qubit wires × layers, like Quirk's circuit editor.

    Every edit sets ``spec`` to a new, validated spec (the app watches ``spec``); an edit that would break the
    circuit or the editor's limits leaves ``spec`` alone and says why in ``status``. Edits keep the ``uid`` of
    every gate they do not touch, so trained parameters follow the circuit. Any change of ``spec`` — from the
    page, a method or the app — can be undone.

    In the page: click a slot, then a gate in the palette (or drag a gate onto a slot); the small buttons above
    each layer move, duplicate or remove it (or drag its title onto another layer); click the gap after a layer
    to choose its entangler (none, CZ/CNOT as chain, ring, alternating or explicit control→target pairs).
    Hover or focus a gate for its angle formula with the current trained values from ``params``. Keyboard: Tab
    reaches every control; on a slot, arrows move between slots, Enter selects it and then cycles the gate
    kind, Delete empties it, C/O/X/Y/Z set a kind; Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo and redo.

    Example
    -------
    >>> editor = CircuitEditor(spec=CircuitSpec.empty(1, 1), new_gate=None)
    >>> editor.set_qubits(2) and editor.add_layer()
    True
    >>> editor.set_gate(0, 0, GateSpec("compressed"))
    True
    >>> print(editor.spec.describe())
    q0: U(θ+w∘x) | —
    q1: — | —
    >>> editor.remove_layer(0) and editor.remove_layer(0)
    False
    >>> editor.status
    "Can't remove layer 1: n_layers: expected at least 1 layer to remain, got 0"
    """

    spec = param.ClassSelector(class_=CircuitSpec, default=CircuitSpec.paper(), doc="The circuit being edited.")
    params = param.Array(default=None, allow_None=True, doc=(
        "Current trained parameters, ndarray of shape (compile_spec(spec).n_params,), or None. Only the hover "
        "text reads it, so updating it every training step is cheap. A vector of another length is ignored."))
    max_qubits = param.Integer(default=4, bounds=(1, MAX_QUBITS), doc="The editor adds no wires beyond this.")
    max_layers = param.Integer(default=15, bounds=(1, MAX_LAYERS), doc="The editor adds no layers beyond this.")
    new_gate = param.ClassSelector(class_=GateSpec, default=GateSpec(), allow_None=True, doc=(
        "The gate put in every slot of an added layer or wire (default: the paper's compressed block); None "
        "leaves them empty."))
    selected = param.Tuple(default=None, allow_None=True, length=2, doc="The selected slot (layer, qubit), or None.")
    selected_entangler = param.Integer(default=None, allow_None=True, doc="The layer whose entangler is selected.")
    status = param.String(default="", doc=(
        "Why the last edit did not happen (plain text, shown escaped); '' after a good one."))
    show_text = param.Boolean(default=False, doc="Also show the circuit's text form (CircuitSpec.describe) below.")
    history_limit = param.Integer(default=200, bounds=(1, None), doc="How many steps undo remembers.")
    can_undo = param.Boolean(default=False, constant=True, doc="Whether undo() has something to undo.")
    can_redo = param.Boolean(default=False, constant=True, doc="Whether redo() has something to redo.")

    def __init__(self, **params):
        super().__init__(**params)
        self._history: list[CircuitSpec] = []  # older specs, newest last
        self._future: list[CircuitSpec] = []  # undone specs, next redo last
        self._replaying = False
        self._hover: tuple[int, int] | None = None
        self._handlers: dict[str, Callable[[dict], None]] = {
            "select": lambda m: self.select(_int_field(m, "layer"), _int_field(m, "qubit")),
            "select_entangler": lambda m: self.select_entangler(_int_field(m, "layer")),
            "deselect": lambda m: self.clear_selection(),
            "apply": lambda m: self.apply_to_selection(self._gate_field(m)),
            "set_gate": lambda m: self.set_gate(_int_field(m, "layer"), _int_field(m, "qubit"), self._gate_field(m)),
            "add_layer": lambda m: self.add_layer(_int_field(m, "index", allow_none=True)),
            "remove_layer": lambda m: self.remove_layer(_int_field(m, "index")),
            "duplicate_layer": lambda m: self.duplicate_layer(_int_field(m, "index")),
            "move_layer": lambda m: self.move_layer(_int_field(m, "source"), _int_field(m, "target")),
            "set_qubits": lambda m: self.set_qubits(_int_field(m, "n")),
            "set_entangler": lambda m: self.set_entangler(_int_field(m, "layer"), self._entangler_field(m)),
            "undo": lambda m: self.undo(),
            "redo": lambda m: self.redo(),
            "hover": self._msg_hover,
        }
        self._canvas = CircuitCanvas(self._on_message, sizing_mode="stretch_width", margin=(0, 0))
        self._status_pane = pn.pane.HTML("", sizing_mode="stretch_width", margin=(4, 0, 0, 0))
        self._text_pane = pn.pane.HTML("", sizing_mode="stretch_width", margin=(4, 0, 0, 0), visible=self.show_text)
        self._layout = pn.Column(self._canvas, self._status_pane, self._text_pane, sizing_mode="stretch_width")
        self.param.watch(self._on_spec, "spec")
        self.param.watch(lambda *_: self._sync_view(), ["max_qubits", "max_layers"])
        self.param.watch(lambda *_: self._refresh_formulas(), "params")
        self.param.watch(lambda *_: self._sync_selection(), ["selected", "selected_entangler"])
        self.param.watch(lambda *_: self._render_status(), "status")
        self.param.watch(lambda *_: self._render_text(), "show_text")
        self._sync_view()
        self._sync_selection()
        self._render_status()
        self._render_text()

    def __panel__(self):
        return self._layout

    # ------------------------------------------------------------------ edits (the page calls these too)
    def set_gate(self, layer: int, qubit: int, gate: GateSpec | None) -> bool:
        """Put ``gate`` (a fresh uid) alone in slot (``layer``, ``qubit``), or empty it with ``None``.

        Setting a slot to the single gate it already holds changes nothing, so its trained values survive.
        Returns whether ``spec`` changed.
        """
        where = f"set layer {self._layer_no(layer)}, qubit {qubit!r:.12}"
        if gate is not None and not isinstance(gate, GateSpec):
            self.status = f"Can't {where}: expected a GateSpec or None, got {gate!r:.60}"
            return False
        current = self.spec.layers[layer].slots[qubit] if self._in_range(layer, qubit) else None
        if gate is None:
            unchanged = not current
        else:
            unchanged = len(current or ()) == 1 and current[0].without_uid() == gate.without_uid()
        if current is not None and unchanged:
            self.status = ""
            return False
        return self._edit(where, lambda s: s.with_gate(layer, qubit, gate))

    def set_slot(self, layer: int, qubit: int, gates: Sequence[GateSpec] | None) -> bool:
        """Replace every gate of one slot (up to ``MAX_GATES_PER_SLOT``); returns whether ``spec`` changed."""
        if isinstance(gates, GateSpec):
            gates = (gates,)
        where = f"set the gates of layer {self._layer_no(layer)}, qubit {qubit!r:.12}"
        if gates is not None and not all(isinstance(g, GateSpec) for g in gates):
            # CircuitSpec.with_slot reads .uid before LayerSpec checks the types, so check here
            self.status = f"Can't {where}: expected GateSpec objects, got {list(gates)!r:.60}"
            return False
        fresh = None if gates is None else tuple(g.without_uid() for g in gates)
        return self._edit(where, lambda s: s.with_slot(layer, qubit, fresh))

    def add_layer(self, index: int | None = None) -> bool:
        """Insert a layer of ``new_gate`` slots before ``index`` (None: at the end); returns whether it happened."""
        n = self.spec.n_layers
        if n >= self.max_layers:
            self.status = f"Can't add a layer: this editor allows at most {self.max_layers} layers."
            return False
        index = n if index is None else index
        layer = self._new_layer(self.spec.n_qubits)
        return self._edit("add a layer", lambda s: s.insert_layer(index, layer), lambda k: k + (k >= index))

    def remove_layer(self, index: int) -> bool:
        """Remove layer ``index`` (0-based); the last remaining layer stays."""
        return self._edit(f"remove layer {self._layer_no(index)}", lambda s: s.remove_layer(index),
                          lambda k: None if k == index else k - (k > index))

    def duplicate_layer(self, index: int) -> bool:
        """Insert a copy of layer ``index`` right after it (new uids for the copies)."""
        if self.spec.n_layers >= self.max_layers:
            self.status = (f"Can't duplicate layer {self._layer_no(index)}: "
                           f"this editor allows at most {self.max_layers} layers.")
            return False
        return self._edit(f"duplicate layer {self._layer_no(index)}", lambda s: s.duplicate_layer(index),
                          lambda k: k + (k > index))

    def move_layer(self, source: int, target: int) -> bool:
        """Move layer ``source`` to position ``target`` (0-based, current numbering); gates keep their uids."""
        if source == target and isinstance(source, int) and 0 <= source < self.spec.n_layers:
            self.status = ""
            return False
        relayer = None
        if self._in_range(source, 0) and self._in_range(target, 0):  # else move_layer says why not
            order = list(range(self.spec.n_layers))  # order[new position] = old position
            order.insert(target, order.pop(source))
            relayer = order.index
        return self._edit(f"move layer {self._layer_no(source)} to position {self._layer_no(target)}",
                          lambda s: s.move_layer(source, target), relayer)

    def set_qubits(self, n_qubits: int) -> bool:
        """Grow (new slots get ``new_gate``) or shrink (from the bottom wire) to ``n_qubits`` wires."""
        current = self.spec.n_qubits
        if isinstance(n_qubits, int) and not isinstance(n_qubits, bool):
            if n_qubits > current and n_qubits > self.max_qubits:
                self.status = f"Can't add a qubit: this editor allows at most {self.max_qubits} qubits."
                return False
            if n_qubits < 1:
                self.status = "Can't remove the last qubit: a circuit needs at least 1 wire."
                return False
            if n_qubits == current:
                self.status = ""
                return False

        def resize(spec: CircuitSpec) -> CircuitSpec:
            gate = self.new_gate if self.new_gate is not None else GateSpec()
            out = spec.with_n_qubits(n_qubits, gate)
            if self.new_gate is None:
                for li in range(out.n_layers):
                    for q in range(current, n_qubits):
                        out = out.with_slot(li, q, None)
            return out

        if not isinstance(n_qubits, int) or isinstance(n_qubits, bool):
            verb = "change the number of qubits"
        else:
            verb = "add a qubit" if n_qubits > current else "remove a qubit"
        return self._edit(verb, resize)

    def add_qubit(self) -> bool:
        """One more wire at the bottom."""
        return self.set_qubits(self.spec.n_qubits + 1)

    def remove_qubit(self) -> bool:
        """Drop the bottom wire (its gates and any explicit entangler pairs that touch it)."""
        return self.set_qubits(self.spec.n_qubits - 1)

    def set_entangler(self, layer: int, entangler: EntanglerSpec) -> bool:
        """Set the two-qubit gates after ``layer``; pairs must name existing wires."""
        return self._edit(f"set the entangler after layer {self._layer_no(layer)}",
                          lambda s: s.with_entangler(layer, entangler))

    def load_json(self, text: str | bytes) -> bool:
        """Replace the circuit with one read from JSON text (a file, a link); a bad text only sets ``status``."""
        return self._edit("load this circuit", lambda s: CircuitSpec.from_json(text))

    def undo(self) -> bool:
        """Go back to the spec before the last change; returns whether there was one."""
        if not self._history:
            self.status = "Nothing to undo."
            return False
        self._future.append(self.spec)
        self._replay(self._history.pop())
        return True

    def redo(self) -> bool:
        """Re-apply the last undone change; any new edit clears what can be redone."""
        if not self._future:
            self.status = "Nothing to redo."
            return False
        self._history.append(self.spec)
        self._replay(self._future.pop())
        return True

    # ------------------------------------------------------------------ selection
    def select(self, layer: int, qubit: int) -> bool:
        """Select a slot: a palette choice (:meth:`apply_to_selection`) then edits it."""
        if not self._in_range(layer, qubit):
            self.status = f"Can't select layer {layer!r:.12}, qubit {qubit!r:.12}: no such slot."
            return False
        self.param.update(selected=(layer, qubit), selected_entangler=None)
        return True

    def select_entangler(self, layer: int) -> bool:
        """Select the entangler after ``layer`` (the page then shows its controls)."""
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < self.spec.n_layers:
            self.status = f"Can't select the entangler after layer {layer!r:.12}: no such layer."
            return False
        self.param.update(selected=None, selected_entangler=layer)
        return True

    def clear_selection(self) -> None:
        self.param.update(selected=None, selected_entangler=None)

    def apply_to_selection(self, gate: GateSpec | None) -> bool:
        """What a palette click does: put ``gate`` (or nothing) in the selected slot."""
        if self.selected is None:
            self.status = "Select a slot first (click a gate box in the circuit), or drag the gate onto a slot."
            return False
        return self.set_gate(*self.selected, gate)

    # ------------------------------------------------------------------ read-outs
    def hover_text(self, layer: int, qubit: int) -> str:
        """The slot's name and each gate's formula with its current trained values (plain text, one line each)."""
        spec = self.spec
        gates = spec.layers[layer].slots[qubit]
        head = f"Layer {layer + 1}, qubit {qubit}"
        if not gates:
            return f"{head}: empty — select it and pick a gate, or drag one here"
        lines = [gate_formula(g, self._gate_values(g), spec.n_features) for g in gates]
        return head + "\n" + "\n".join(lines)

    def slot_name(self, layer: int, qubit: int) -> str:
        """Accessible name of a slot button, e.g. ``"Layer 2, qubit 1: RY(θ)"``."""
        return slot_name(self.spec, layer, qubit)

    @property
    def status_html(self) -> str:
        """The HTML the status pane shows: ``status``, escaped."""
        return self._status_pane.object

    # ------------------------------------------------------------------ internals
    def _edit(self, what: str, make: Callable[[CircuitSpec], CircuitSpec],
              relayer: Callable[[int], int | None] | None = None) -> bool:
        """Set ``spec`` to ``make(spec)``, or say why not. ``relayer`` maps a layer's old index to its new one
        (None: gone), so a selection stays on the same layer when layers are inserted, removed or moved."""
        try:
            new = make(self.spec)
        except SpecError as err:
            self.status = f"Can't {what}: {err}"
            return False
        self.status = ""
        if new == self.spec:
            return False
        changes: dict[str, Any] = {"spec": new}  # _on_spec records the old spec for undo
        if relayer is not None and self.selected is not None:
            layer = relayer(self.selected[0])
            changes["selected"] = None if layer is None else (layer, self.selected[1])
        if relayer is not None and self.selected_entangler is not None:
            changes["selected_entangler"] = relayer(self.selected_entangler)
        self.param.update(**changes)
        return True

    def _replay(self, spec: CircuitSpec) -> None:
        self._replaying = True
        try:
            self.status = ""
            self.spec = spec
        finally:
            self._replaying = False

    def _on_spec(self, event: param.parameterized.Event) -> None:
        if not self._replaying and event.old is not None and event.old != event.new:
            self._history.append(event.old)
            del self._history[: max(0, len(self._history) - self.history_limit)]
            self._future.clear()
        with param.edit_constant(self):
            self.param.update(can_undo=bool(self._history), can_redo=bool(self._future))
        spec = self.spec
        if self.selected is not None and not self._in_range(*self.selected):
            self.selected = None
        if self.selected_entangler is not None and self.selected_entangler >= spec.n_layers:
            self.selected_entangler = None
        if self._hover is not None and not self._in_range(*self._hover):
            self._hover = None
        self._sync_view()
        self._render_text()
        self._refresh_formulas()

    def _sync_view(self) -> None:
        view = editor_view(self.spec)
        view.update(max_qubits=self.max_qubits, max_layers=self.max_layers,
                    can_undo=bool(self._history), can_redo=bool(self._future))
        self._canvas.view = view

    def _sync_selection(self) -> None:
        if self.selected is not None:
            self._canvas.selection = ["slot", *self.selected]
        elif self.selected_entangler is not None:
            self._canvas.selection = ["entangler", self.selected_entangler]
        else:
            self._canvas.selection = []
        self._refresh_formulas()

    def _refresh_formulas(self) -> None:
        """Recompute only the (at most two) formulas on show: cheap enough for every training step."""
        if self._hover is not None:
            layer, qubit = self._hover
            self._canvas.hover = {"layer": layer, "qubit": qubit, "text": self.hover_text(layer, qubit)}
        if self.selected is not None and self._in_range(*self.selected):
            layer, qubit = self.selected
            self._canvas.inspect = {"layer": layer, "qubit": qubit, "text": self._formulas_only(layer, qubit)}

    def _formulas_only(self, layer: int, qubit: int) -> str:
        gates = self.spec.layers[layer].slots[qubit]
        if not gates:
            return "empty"
        return "\n".join(gate_formula(g, self._gate_values(g), self.spec.n_features) for g in gates)

    def _gate_values(self, gate: GateSpec) -> np.ndarray | None:
        if self.params is None:
            return None
        program = compile_spec(self.spec)
        values = np.asarray(self.params).reshape(-1)
        if values.shape != (program.n_params,) or gate.uid not in program.gate_slices:
            return None
        offset, size = program.gate_slices[gate.uid]
        return values[offset: offset + size]

    def _render_status(self) -> None:
        self._status_pane.object = (
            '<div role="status" aria-live="polite" style="min-height:1.4em;color:#9a3412;font-size:max(14px,var(--pg-min-font,0px))">'
            f"{escape(self.status)}</div>"
        )

    def _render_text(self) -> None:
        self._text_pane.visible = self.show_text
        if self.show_text:
            self._text_pane.object = (
                '<pre aria-label="Circuit text" style="margin:0;padding:8px 10px;background:#f8f9fb;'
                'border:1px solid #e1e5eb;border-radius:8px;font-size:max(13px,var(--pg-min-font,0px));line-height:1.5;white-space:pre;'
                f'overflow-x:auto">{escape(self.spec.describe())}</pre>'
            )

    def _new_layer(self, n_qubits: int) -> LayerSpec:
        if self.new_gate is None:
            return LayerSpec(tuple(() for _ in range(n_qubits)))
        return LayerSpec.uniform(n_qubits, self.new_gate)

    def _in_range(self, layer: Any, qubit: Any) -> bool:
        ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (layer, qubit))
        return ints and 0 <= layer < self.spec.n_layers and 0 <= qubit < self.spec.n_qubits

    @staticmethod
    def _layer_no(index: Any) -> str:
        return str(index + 1) if isinstance(index, int) and not isinstance(index, bool) else repr(index)[:12]

    # ------------------------------------------------------------------ messages from the page
    def _on_message(self, msg: Any) -> None:
        kind = msg.get("type") if isinstance(msg, dict) else None
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            self.status = "Ignored a request the editor does not know."
            return
        try:
            handler(msg)
        except _BadMessage as err:
            self.status = f"Ignored a malformed request: {err}"

    @staticmethod
    def _gate_field(msg: dict) -> GateSpec | None:
        data = msg.get("gate")
        if data is None:
            return None
        try:
            return GateSpec.from_dict(data)
        except SpecError as err:
            raise _BadMessage(str(err)) from None

    @staticmethod
    def _entangler_field(msg: dict) -> EntanglerSpec:
        try:
            return EntanglerSpec.from_dict(msg.get("entangler"))
        except SpecError as err:
            raise _BadMessage(str(err)) from None

    def _msg_hover(self, msg: dict) -> None:
        layer = _int_field(msg, "layer", allow_none=True)
        qubit = _int_field(msg, "qubit", allow_none=True)
        self._hover = (layer, qubit) if self._in_range(layer, qubit) else None
        if self._hover is None:
            self._canvas.hover = {}
        self._refresh_formulas()
