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

__all__ = ["CircuitEditor", "gate_formula", "slot_name", "editor_view"]

ROW_H = 64  # px per qubit wire; the JavaScript draws the entanglers on the same pitch


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

_CSS = """
:host { display: block; }
.ce { position: relative; color: #14171f; font-size: 14px;
      font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
.ce button { font: inherit; color: inherit; }
.ce button:focus-visible, .ce select:focus-visible, .ce input:focus-visible {
  outline: 3px solid #56B4E9; outline-offset: 2px; }
.ce-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; padding: 4px 0 8px 0; }
.ce-group { display: inline-flex; align-items: center; gap: 6px; }
.ce-caption { color: #4b5563; font-size: 13px; }
.ce-count { min-width: 1.4em; text-align: center; font-weight: 600; }
.ce-summary { margin-left: auto; color: #4b5563; font-size: 13px; }
.ce-sep { width: 1px; height: 26px; background: #d6dae1; margin: 0 4px; }
.ce-btn { display: inline-flex; align-items: center; gap: 6px; height: 32px; padding: 0 11px; cursor: pointer;
          border: 1px solid #c3c9d3; border-radius: 6px; background: #fff; white-space: nowrap; }
.ce-btn.icon { padding: 0 7px; }
.ce-btn:hover { background: #f1f4f8; }
.ce-btn[aria-disabled="true"], .ce-op[aria-disabled="true"] { opacity: .42; cursor: not-allowed; }
.ce-btn[aria-pressed="true"] { background: #0072B2; border-color: #0072B2; color: #fff; }
.ce-btn svg, .ce-op svg { width: 16px; height: 16px; flex: none; }
.ce-palette { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; padding: 8px 10px; margin-bottom: 8px;
              border: 1px solid #e1e5eb; border-radius: 8px; background: #f8f9fb; }
.ce-chip { height: 36px; padding: 0 11px; border-width: 1.6px; border-style: solid; border-radius: 6px; cursor: grab;
           font-weight: 600; font-size: 13px; white-space: nowrap; }
.ce-chip:hover { filter: brightness(.96); box-shadow: 0 1px 3px rgba(0,0,0,.15); }
.ce-chip.empty { background: #fff; border: 1.6px dashed #8a93a3; color: #4b5563; }
.ce-field { display: inline-flex; align-items: center; gap: 5px; color: #4b5563; font-size: 13px; }
.ce-field select, .ce-field input { height: 30px; border: 1px solid #c3c9d3; border-radius: 5px; background: #fff;
                                     font: inherit; color: #14171f; padding: 0 4px; }
.ce-field input { width: 64px; }
.ce-field[hidden] { display: none; }
.k-compressed { background: #E8F1FA; border-color: #0072B2; }
.k-original { background: #EAF6EF; border-color: #009E73; }
.k-rx, .k-ry { background: #FBEFE3; border-color: #D55E00; }
.k-rz { background: #F3ECF7; border-color: #CC79A7; }
.ce-gridwrap { overflow-x: auto; padding: 6px 8px 10px 4px; border: 1px solid #e1e5eb; border-radius: 8px;
               background: #fff; }
.ce-grid { display: grid; width: max-content; }
.ce-cell { position: relative; display: flex; align-items: center; justify-content: center; }
.ce-wire::before { content: ""; position: absolute; left: 0; right: 0; top: 50%; height: 2px; margin-top: -1px;
                   background: #7b8494; }
.ce-corner { align-self: end; justify-content: flex-start; padding: 0 0 8px 6px; color: #6b7280; font-size: 12px; }
.ce-wirelabel { justify-content: flex-start; gap: 6px; padding-left: 6px; font-weight: 600;
                position: sticky; left: 0; z-index: 2; background: #fff; }
.ce-wirelabel .ket { font-weight: 400; color: #4b5563; }
.ce-wirelabel .line { flex: 1; height: 2px; background: #7b8494; }
.ce-head { display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 3px;
           padding: 2px 4px; border-radius: 6px; }
.ce-head.drop { background: rgba(0,158,115,.12); box-shadow: inset 0 0 0 2px #009E73; }
.ce-head-title { font-size: 12px; font-weight: 600; color: #4b5563; cursor: grab; user-select: none; }
.ce-ops { display: flex; gap: 1px; }
.ce-op { width: 24px; height: 22px; padding: 0; border: 1px solid transparent; border-radius: 4px; cursor: pointer;
         background: transparent; color: #4b5563; display: flex; align-items: center; justify-content: center; }
.ce-op svg { width: 14px; height: 14px; }
.ce-op:hover { background: #eef1f5; border-color: #d6dae1; }
.ce-slot { position: relative; z-index: 1; display: flex; gap: 4px; align-items: center; justify-content: center;
           min-width: 56px; height: 50px; margin: 0 8px; padding: 4px 5px; cursor: pointer;
           border: 2px solid transparent; border-radius: 8px; background: transparent; }
.ce-slot:hover { background: rgba(0,114,178,.06); border-color: rgba(0,114,178,.28); }
.ce-slot.selected { border-color: #0072B2; background: rgba(0,114,178,.12); }
.ce-slot.drop { border: 2px dashed #009E73; background: rgba(0,158,115,.10); }
.ce-gate { display: inline-flex; align-items: center; height: 36px; padding: 0 8px; border-width: 1.6px; border-style: solid;
           border-radius: 5px; font-size: 13px; font-weight: 600; white-space: nowrap; }
.ce-empty { width: 34px; height: 34px; border: 1.5px dashed #9aa3b2; border-radius: 5px; background: #fff;
            color: #8a93a3; display: flex; align-items: center; justify-content: center; font-size: 18px; }
.ce-ent { position: relative; z-index: 1; display: block; width: 100%; height: 100%; padding: 0; border: 0;
          border-radius: 6px; background: transparent; cursor: pointer; }
.ce-ent svg { display: block; }
.ce-ent:hover { background: rgba(0,0,0,.045); }
.ce-ent.selected { background: rgba(0,114,178,.10); box-shadow: inset 0 0 0 2px #0072B2; }
.ce-ent .hint { opacity: .55; }
.ce-ent:hover .hint, .ce-ent:focus-visible .hint, .ce-ent.selected .hint { opacity: 1; }
.ce-readout { justify-content: flex-start; }
.ce-readout .line { width: 10px; height: 2px; background: #7b8494; }
.ce-inspector { min-height: 40px; margin-top: 8px; padding: 8px 10px; border-radius: 8px; background: #f8f9fb;
                border: 1px solid #e1e5eb; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; }
.ce-insp-title { font-weight: 600; }
.ce-insp-text { white-space: pre-line; color: #1f2937; }
.ce-hint { color: #4b5563; font-size: 13px; }
.ce-pairs { display: inline-flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.ce-pair { display: inline-flex; align-items: center; gap: 2px; padding: 2px 2px 2px 8px; border-radius: 14px;
           background: #fff; border: 1px solid #c3c9d3; font-weight: 600; }
.ce-tip { position: absolute; z-index: 10; max-width: 460px; padding: 7px 10px; border-radius: 6px;
          background: #1f2937; color: #fff; font-size: 13px; line-height: 1.4; white-space: pre-line;
          pointer-events: none; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
.ce-tip[hidden] { display: none; }
"""

_ESM = r"""
const SVGNS = "http://www.w3.org/2000/svg";
const ROW_H = __ROW_H__, HEAD_H = 58, LABEL_W = 78, READ_W = 50;
const ENT_COL_W = 22, ENT_PAD = 14, ENT_MIN_W = 34;
const GATE_MIME = "application/x-circuit-gate", LAYER_MIME = "application/x-circuit-layer";
const CYCLE = ["compressed", "original", "rx", "ry", "rz", null];
const KEY_KINDS = {c: "compressed", o: "original", x: "rx", y: "ry", z: "rz"};

// Every piece of text goes in with textContent / setAttribute: nothing here ever parses HTML.
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}
const ICONS = {
  undo: "M6 4 3 7l3 3M3.5 7H10a3.5 3.5 0 0 1 0 7H7",
  redo: "M10 4l3 3-3 3M12.5 7H6a3.5 3.5 0 0 0 0 7h3",
  left: "M10 3 5 8l5 5", right: "M6 3l5 5-5 5",
  plus: "M8 3v10M3 8h10", minus: "M3 8h10", remove: "M4 4l8 8M12 4l-8 8",
  dup: "M5.5 5.5h7v7h-7zM3.5 10.5v-7h7", flip: "M5 2v12M2.5 4.5 5 2l2.5 2.5M11 14V2M8.5 11.5 11 14l2.5-2.5",
};
function icon(name) {
  return s("svg", {viewBox: "0 0 16 16", "aria-hidden": "true", focusable: "false"},
           s("path", {d: ICONS[name], fill: "none", stroke: "currentColor", "stroke-width": 1.7,
                      "stroke-linecap": "round", "stroke-linejoin": "round"}));
}
function fmt3(v) { return String(Number(Number(v).toPrecision(3))).replace("-", "−"); }
function gateLabel(g) {
  if (g === null) return "empty";
  if (g.kind === "compressed") return "U(θ+w∘x)";
  if (g.kind === "original") return "U(θ)U(x)";
  const k = (g.feature || 0) + 1;
  const arg = {trainable: "θ", feature: `w·x${k}+b`, data: `x${k}`, fixed: fmt3(g.value || 0)}[g.angle];
  return `${g.kind.toUpperCase()}(${arg})`;
}

export function render({ model }) {
  const pal = {angle: "trainable", feature: 0, value: 0.5};
  let pendingFocus = null, hoverKey = null, hoverEl = null, scheduled = false, nFeatures = -1;
  const send = (msg) => model.send_msg(msg);
  const view = () => model.view || {};
  const sel = () => model.selection || [];

  const root = h("div", {class: "ce"});
  root.addEventListener("keydown", (e) => {
    const tag = (e.target && e.target.tagName) || "";
    if (["INPUT", "SELECT", "TEXTAREA"].includes(tag)) return;  // leave their own undo alone
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (key === "z" || key === "y")) {
      e.preventDefault();
      send({type: key === "y" || e.shiftKey ? "redo" : "undo"});
    } else if (e.key === "Escape" && sel().length) {
      send({type: "deselect"});
    }
  });

  // ---------------------------------------------------------------- toolbar
  function button(label, attrs, iconName, onclick, text = null) {
    const b = h("button", {type: "button", class: "ce-btn" + (text === "" ? " icon" : ""), "aria-label": label,
                           title: attrs.title || label, "data-key": attrs.key, onclick}, iconName ? icon(iconName) : null);
    if (text !== "") b.append(h("span", {text: text === null ? label : text}));
    return b;
  }
  const undoBtn = button("Undo", {key: "undo", title: "Undo (Ctrl+Z)"}, "undo", () => send({type: "undo"}));
  const redoBtn = button("Redo", {key: "redo", title: "Redo (Ctrl+Shift+Z)"}, "redo", () => send({type: "redo"}));
  const qMinus = button("Remove qubit", {key: "qminus", title: "Remove the last qubit wire"}, "minus",
                        () => send({type: "set_qubits", n: view().n_qubits - 1}), "");
  const qPlus = button("Add qubit", {key: "qplus", title: "Add a qubit wire"}, "plus",
                       () => send({type: "set_qubits", n: view().n_qubits + 1}), "");
  const qCount = h("span", {class: "ce-count"});
  const addLayer = button("Add layer", {key: "addlayer", title: "Add a layer at the end"}, "plus",
                          () => send({type: "add_layer"}));
  const summary = h("span", {class: "ce-summary", "aria-live": "polite"});
  const toolbar = h("div", {class: "ce-bar", role: "toolbar", "aria-label": "Circuit edits"},
    undoBtn, redoBtn, h("span", {class: "ce-sep"}),
    h("span", {class: "ce-group"}, h("span", {class: "ce-caption", text: "Qubits"}), qMinus, qCount, qPlus),
    h("span", {class: "ce-sep"}), addLayer, summary);

  // ---------------------------------------------------------------- palette
  function paletteGate(kind) {
    if (kind === null) return null;
    if (kind === "compressed" || kind === "original") return {kind};
    const g = {kind, angle: pal.angle};
    if (pal.angle === "feature" || pal.angle === "data") g.feature = pal.feature;
    if (pal.angle === "fixed") g.value = pal.value;
    return g;
  }
  const chips = [];
  for (const kind of CYCLE) {
    const chip = h("button", {type: "button", class: "ce-chip " + (kind ? "k-" + kind : "empty"), draggable: "true",
                              title: kind ? "Put this gate in the selected slot, or drag it onto a slot"
                                          : "Empty the selected slot, or drag onto a slot",
                              "data-key": "chip:" + kind});
    chip.addEventListener("click", () => send({type: "apply", gate: paletteGate(kind)}));
    chip.addEventListener("dragstart", (e) => {
      e.dataTransfer.setData(GATE_MIME, JSON.stringify({gate: paletteGate(kind)}));
      e.dataTransfer.setData("text/plain", gateLabel(paletteGate(kind)));
      e.dataTransfer.effectAllowed = "copy";
    });
    chips.push([kind, chip]);
  }
  const angleSel = h("select", {"aria-label": "Rotation angle", "data-key": "pal:angle"},
    h("option", {value: "trainable", text: "θ (trainable)"}), h("option", {value: "feature", text: "w·xₖ+b (feature)"}),
    h("option", {value: "data", text: "xₖ (data)"}), h("option", {value: "fixed", text: "fixed value"}));
  const featSel = h("select", {"aria-label": "Feature k", "data-key": "pal:feature"});
  const valueIn = h("input", {type: "number", step: "0.1", min: "-1000", max: "1000", value: String(pal.value),
                              "aria-label": "Fixed angle in radians", "data-key": "pal:value"});
  const featField = h("label", {class: "ce-field"}, h("span", {text: "feature"}), featSel);
  const valueField = h("label", {class: "ce-field"}, h("span", {text: "rad"}), valueIn);
  angleSel.addEventListener("change", () => { pal.angle = angleSel.value; updatePalette(); });
  featSel.addEventListener("change", () => { pal.feature = Number(featSel.value); updatePalette(); });
  valueIn.addEventListener("input", () => {
    const v = Number(valueIn.value);
    if (Number.isFinite(v)) { pal.value = v; updatePalette(); }
  });
  const palette = h("div", {class: "ce-palette", role: "group", "aria-label": "Gate palette"},
    h("span", {class: "ce-caption", text: "Gates"}), ...chips.map(([, c]) => c), h("span", {class: "ce-sep"}),
    h("label", {class: "ce-field"}, h("span", {text: "R angle"}), angleSel), featField, valueField);

  function updatePalette() {
    const nf = view().n_features || 1;
    if (nf !== nFeatures) {
      nFeatures = nf;
      pal.feature = Math.min(pal.feature, nf - 1);
      featSel.replaceChildren(...Array.from({length: nf}, (_, k) => h("option", {value: String(k), text: `x${k + 1}`})));
      featSel.value = String(pal.feature);
    }
    featField.hidden = !(pal.angle === "feature" || pal.angle === "data");
    valueField.hidden = pal.angle !== "fixed";
    for (const [kind, chip] of chips) {
      const label = gateLabel(paletteGate(kind));
      chip.textContent = kind ? label : "∅ Empty";
      chip.setAttribute("aria-label", kind ? `Gate ${label}` : "Gate empty");
    }
  }

  // ---------------------------------------------------------------- grid
  const gridWrap = h("div", {class: "ce-gridwrap"});
  const inspector = h("div", {class: "ce-inspector", "aria-live": "polite"});
  const tip = h("div", {class: "ce-tip", role: "tooltip", id: "ce-tip", hidden: true});
  root.append(toolbar, palette, gridWrap, inspector, tip);

  const at = (row, col, el, rowSpan = 1) => {
    el.style.gridRow = rowSpan > 1 ? `${row} / span ${rowSpan}` : String(row);
    el.style.gridColumn = String(col);
    return el;
  };
  // One wire has no pairs to draw: keep the (still clickable) entangler gap narrow.
  const entWidth = (ent) => view().n_qubits < 2 ? 18 : Math.max(ENT_MIN_W, ent.n_cols * ENT_COL_W + ENT_PAD);
  const isSelSlot = (li, q) => sel()[0] === "slot" && sel()[1] === li && sel()[2] === q;
  const isSelEnt = (li) => sel()[0] === "entangler" && sel()[1] === li;
  const focusKey = (key) => {
    const el = root.querySelector(`[data-key="${key}"]`);
    if (el) { el.focus(); return true; }
    return false;
  };

  function acceptDrop(el, mime, onDrop) {
    el.addEventListener("dragover", (e) => {
      if (!e.dataTransfer.types.includes(mime)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = mime === GATE_MIME ? "copy" : "move";
      el.classList.add("drop");
    });
    el.addEventListener("dragleave", () => el.classList.remove("drop"));
    el.addEventListener("drop", (e) => {
      el.classList.remove("drop");
      const data = e.dataTransfer.getData(mime);
      if (!data) return;
      e.preventDefault();
      onDrop(data);
    });
  }

  function slotButton(v, li, q) {
    const slot = v.layers[li].slots[q];
    const key = `slot:${li}:${q}`;
    const b = h("button", {type: "button", class: "ce-slot" + (isSelSlot(li, q) ? " selected" : ""),
                           "aria-label": slot.name, "aria-pressed": isSelSlot(li, q) ? "true" : "false",
                           "aria-describedby": "ce-tip", "data-key": key});
    if (slot.gates.length === 0) b.append(h("span", {class: "ce-empty", "aria-hidden": "true", text: "+"}));
    for (const g of slot.gates) b.append(h("span", {class: `ce-gate k-${g.kind}`, text: g.label}));
    b.addEventListener("click", () => send({type: "select", layer: li, qubit: q}));
    b.addEventListener("keydown", (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const moves = {ArrowLeft: [li - 1, q], ArrowRight: [li + 1, q], ArrowUp: [li, q - 1], ArrowDown: [li, q + 1]};
      if (e.key in moves) {
        e.preventDefault();
        const [l2, q2] = moves[e.key];
        focusKey(`slot:${l2}:${q2}`);
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (!isSelSlot(li, q)) { send({type: "select", layer: li, qubit: q}); return; }
        const cur = slot.gates.length ? slot.gates[0].kind : null;
        const next = CYCLE[(CYCLE.indexOf(cur) + 1) % CYCLE.length];
        pendingFocus = key;
        send({type: "set_gate", layer: li, qubit: q, gate: paletteGate(next)});
      } else if (e.key === "Delete" || e.key === "Backspace") {
        e.preventDefault();
        pendingFocus = key;
        send({type: "set_gate", layer: li, qubit: q, gate: null});
      } else if (!e.shiftKey && e.key in KEY_KINDS) {
        e.preventDefault();
        pendingFocus = key;
        send({type: "set_gate", layer: li, qubit: q, gate: paletteGate(KEY_KINDS[e.key])});
      }
    });
    b.addEventListener("mouseenter", () => showTip(b, key, li, q));
    b.addEventListener("mouseleave", () => hideTip(key));
    b.addEventListener("focus", () => showTip(b, key, li, q));
    b.addEventListener("blur", () => hideTip(key));
    acceptDrop(b, GATE_MIME, (data) => {
      const gate = JSON.parse(data).gate;
      send({type: "set_gate", layer: li, qubit: q, gate});
    });
    return b;
  }

  function entButton(v, li) {
    const ent = v.layers[li].entangler, Q = v.n_qubits, W = entWidth(ent), H = Q * ROW_H;
    const svg = s("svg", {width: W, height: H, viewBox: `0 0 ${W} ${H}`, "aria-hidden": "true"});
    for (let q = 0; q < Q; q++) {
      const y = (q + 0.5) * ROW_H;
      svg.append(s("line", {x1: 0, y1: y, x2: W, y2: y, stroke: "#7b8494", "stroke-width": 2}));
    }
    const x0 = (W - ent.n_cols * ENT_COL_W) / 2 + ENT_COL_W / 2;
    for (const [a, b, col] of ent.resolved) {
      const x = x0 + col * ENT_COL_W, ya = (a + 0.5) * ROW_H, yb = (b + 0.5) * ROW_H;
      const g = s("g", {});
      g.append(s("line", {x1: x, y1: ya, x2: x, y2: yb, stroke: "#14171f", "stroke-width": 2}));
      g.append(s("circle", {cx: x, cy: ya, r: 5.5, fill: "#14171f"}));
      if (ent.gate === "cnot") {
        g.append(s("circle", {cx: x, cy: yb, r: 9, fill: "#fff", stroke: "#14171f", "stroke-width": 2}));
        g.append(s("line", {x1: x - 9, y1: yb, x2: x + 9, y2: yb, stroke: "#14171f", "stroke-width": 2}));
        g.append(s("line", {x1: x, y1: yb - 9, x2: x, y2: yb + 9, stroke: "#14171f", "stroke-width": 2}));
      } else {
        g.append(s("circle", {cx: x, cy: yb, r: 5.5, fill: "#14171f"}));
      }
      svg.append(g);
    }
    if (!ent.resolved.length && Q > 1) {
      const y = Q * ROW_H / 2, cx = W / 2;
      const hint = s("g", {class: "hint"});
      hint.append(s("circle", {cx, cy: y, r: 8, fill: "#fff", stroke: "#9aa3b2", "stroke-width": 1.4,
                               "stroke-dasharray": "2.5 2"}));
      hint.append(s("path", {d: `M${cx - 4} ${y}h8M${cx} ${y - 4}v8`, stroke: "#6b7280", "stroke-width": 1.4}));
      svg.append(hint);
    }
    const key = `ent:${li}`;
    const b = h("button", {type: "button", class: "ce-ent" + (isSelEnt(li) ? " selected" : ""), "data-key": key,
                           "aria-label": ent.name, "aria-pressed": isSelEnt(li) ? "true" : "false",
                           title: ent.name + " — click to edit"}, svg);
    b.addEventListener("click", () => send({type: "select_entangler", layer: li}));
    b.addEventListener("keydown", (e) => {
      if (e.key === "Delete" || e.key === "Backspace") {
        e.preventDefault();
        pendingFocus = key;
        send({type: "set_entangler", layer: li, entangler: {gate: "none"}});
      }
    });
    return b;
  }

  function layerHead(v, li) {
    const L = v.layers.length;
    const op = (name, label, iconName, disabled, msg, focusAfter) => {
      const b = h("button", {type: "button", class: "ce-op", "aria-label": label, title: label,
                             "data-key": `op:${li}:${name}`, "aria-disabled": disabled ? "true" : "false"}, icon(iconName));
      b.addEventListener("click", () => { pendingFocus = focusAfter; send(msg); });
      return b;
    };
    const n = li + 1;
    const title = h("span", {class: "ce-head-title", text: `Layer ${n}`, draggable: "true",
                             title: "Drag onto another layer to move this one"});
    title.addEventListener("dragstart", (e) => {
      e.dataTransfer.setData(LAYER_MIME, String(li));
      e.dataTransfer.setData("text/plain", `Layer ${n}`);
      e.dataTransfer.effectAllowed = "move";
    });
    const head = h("div", {class: "ce-head", role: "group", "aria-label": `Layer ${n}`}, title,
      h("div", {class: "ce-ops"},
        op("left", `Move layer ${n} left`, "left", li === 0, {type: "move_layer", source: li, target: li - 1},
           `op:${Math.max(li - 1, 0)}:left`),
        op("right", `Move layer ${n} right`, "right", li === L - 1, {type: "move_layer", source: li, target: li + 1},
           `op:${Math.min(li + 1, L - 1)}:right`),
        op("dup", `Duplicate layer ${n}`, "dup", L >= v.max_layers, {type: "duplicate_layer", index: li}, `op:${li}:dup`),
        op("remove", `Remove layer ${n}`, "remove", L <= 1, {type: "remove_layer", index: li},
           `op:${Math.min(li, L - 2)}:remove`)));
    acceptDrop(head, LAYER_MIME, (data) => send({type: "move_layer", source: Number(data), target: li}));
    return head;
  }

  function renderGrid(v) {
    const Q = v.n_qubits, L = v.layers.length;
    const cols = [`${LABEL_W}px`];
    for (const layer of v.layers) cols.push("max-content", `${entWidth(layer.entangler)}px`);
    cols.push(`${READ_W}px`);
    const grid = h("div", {class: "ce-grid", role: "group", "aria-label": "Circuit: " + v.summary});
    grid.style.gridTemplateColumns = cols.join(" ");
    grid.style.gridTemplateRows = `${HEAD_H}px repeat(${Q}, ${ROW_H}px)`;
    
    for (let q = 0; q < Q; q++) {
      grid.append(at(q + 2, 1, h("div", {class: "ce-cell ce-wirelabel"},
        h("span", {text: `q${q}`}), h("span", {class: "ket", text: "|0⟩"}), h("span", {class: "line"}))));
    }
    for (let li = 0; li < L; li++) {
      const c = 2 + 2 * li;
      grid.append(at(1, c, layerHead(v, li)));
      for (let q = 0; q < Q; q++) grid.append(at(q + 2, c, h("div", {class: "ce-cell ce-wire"}, slotButton(v, li, q))));
      grid.append(at(2, c + 1, h("div", {class: "ce-cell"}, entButton(v, li)), Q));
    }
    for (let q = 0; q < Q; q++) {
      const y = 13;
      const meter = s("svg", {width: 30, height: 26, viewBox: "0 0 30 26", "aria-hidden": "true"},
        s("rect", {x: 1, y: 1, width: 28, height: 24, rx: 4, fill: "#fff", stroke: "#7b8494", "stroke-width": 1.5}),
        s("path", {d: "M7 19A8 8 0 0 1 23 19", fill: "none", stroke: "#7b8494", "stroke-width": 1.5}),
        s("line", {x1: 15, y1: 19, x2: 21, y2: 7, stroke: "#7b8494", "stroke-width": 1.5}));
      grid.append(at(q + 2, 2 + 2 * L, h("div", {class: "ce-cell ce-readout", title: `measure ⟨Z⟩ of qubit ${q}`},
                                           h("span", {class: "line"}), meter)));
    }
    gridWrap.replaceChildren(grid);
  }

  // ---------------------------------------------------------------- inspector
  function renderInspector(v) {
    const [what, li, q] = sel();
    if (what === "slot" && v.layers[li] && v.layers[li].slots[q]) {
      const text = model.inspect && model.inspect.layer === li && model.inspect.qubit === q ? model.inspect.text : "";
      inspector.replaceChildren(
        h("span", {class: "ce-insp-title", text: `Selected: layer ${li + 1}, qubit ${q}`}),
        h("span", {class: "ce-insp-text", "data-role": "inspect", text}),
        h("span", {class: "ce-hint", text: "Pick a gate above · Enter cycles kinds · Delete empties · Esc deselects"}));
    } else if (what === "entangler" && v.layers[li]) {
      inspector.replaceChildren(...entanglerEditor(v, li));
    } else {
      inspector.replaceChildren(h("span", {class: "ce-hint",
        text: "Click a slot, then a gate in the palette — or drag a gate onto a slot. Click the gap after a layer " +
              "to set its entangler. Keys: arrows move between slots, Enter selects / cycles kinds, Delete empties, " +
              "C/O/X/Y/Z set a kind, Ctrl+Z / Ctrl+Shift+Z undo / redo."}));
    }
  }

  function entanglerEditor(v, li) {
    const ent = v.layers[li].entangler, Q = v.n_qubits;
    const setEnt = (e, focus) => { pendingFocus = focus; send({type: "set_entangler", layer: li, entangler: e}); };
    const seg = (group, value, label, pressed, onclick, disabled = false) => {
      const b = h("button", {type: "button", class: "ce-btn", "aria-pressed": pressed ? "true" : "false",
                             "aria-label": label, "data-key": `ent-${group}:${value}`,
                             "aria-disabled": disabled ? "true" : "false"}, h("span", {text: label}));
      b.addEventListener("click", () => { if (!disabled) onclick(); });
      return b;
    };
    const pairsOf = () => ent.pattern === "pairs" ? ent.pairs : ent.resolved.map(([a, b]) => [a, b]);
    const gates = [["none", "None"], ["cz", "CZ"], ["cnot", "CNOT"]].map(([g, label]) =>
      seg("gate", g, label, ent.gate === g, () => setEnt(
        g === "none" ? {gate: "none"} : {gate: g, pattern: ent.pattern, pairs: ent.pattern === "pairs" ? ent.pairs : []},
        `ent-gate:${g}`)));
    const patterns = [["chain", "Chain"], ["ring", "Ring"], ["alternating", "Alternating"], ["pairs", "Pairs"]].map(
      ([p, label]) => seg("pattern", p, label, ent.gate !== "none" && ent.pattern === p,
        () => setEnt({gate: ent.gate, pattern: p, pairs: p === "pairs" ? pairsOf() : []}, `ent-pattern:${p}`),
        ent.gate === "none"));
    const out = [
      h("span", {class: "ce-insp-title", text: `After layer ${li + 1}`}),
      h("span", {class: "ce-group", role: "group", "aria-label": "Entangling gate"}, ...gates),
      h("span", {class: "ce-group", role: "group", "aria-label": "Entangler pattern"}, ...patterns),
    ];
    if (ent.gate !== "none" && ent.pattern === "pairs") {
      const arrow = ent.gate === "cnot" ? "→" : "–";
      const chipsEl = h("span", {class: "ce-pairs", role: "group", "aria-label": "Pairs (control → target)"});
      ent.pairs.forEach(([a, b], i) => {
        const rest = ent.pairs.filter((_, j) => j !== i);
        const chip = h("span", {class: "ce-pair"}, h("span", {text: `${a} ${arrow} ${b}`}));
        if (ent.gate === "cnot") {
          const flip = h("button", {type: "button", class: "ce-op", "aria-label": `Flip pair ${a} → ${b}`,
                                    title: "Swap control and target", "data-key": `pair-flip:${i}`}, icon("flip"));
          flip.addEventListener("click", () => setEnt({gate: ent.gate, pattern: "pairs",
            pairs: ent.pairs.map((p, j) => j === i ? [p[1], p[0]] : p)}, `pair-flip:${i}`));
          chip.append(flip);
        }
        const rm = h("button", {type: "button", class: "ce-op", "aria-label": `Remove pair ${a} ${arrow} ${b}`,
                                title: "Remove this pair", "data-key": `pair-rm:${i}`}, icon("remove"));
        rm.addEventListener("click", () => setEnt({gate: ent.gate, pattern: "pairs", pairs: rest}, "pair-add"));
        chip.append(rm);
        chipsEl.append(chip);
      });
      if (!ent.pairs.length) chipsEl.append(h("span", {class: "ce-hint", text: "no pairs yet"}));
      const wireSel = (label, value, key) => {
        const el = h("select", {"aria-label": label, "data-key": key},
          ...Array.from({length: Q}, (_, q) => h("option", {value: String(q), text: `q${q}`})));
        el.value = String(value);
        return el;
      };
      const ctl = wireSel(ent.gate === "cnot" ? "Control wire" : "First wire", 0, "pair-a");
      const tgt = wireSel(ent.gate === "cnot" ? "Target wire" : "Second wire", Math.min(1, Q - 1), "pair-b");
      const add = h("button", {type: "button", class: "ce-btn", "aria-label": "Add pair", "data-key": "pair-add"},
                    icon("plus"), h("span", {text: "Add pair"}));
      add.addEventListener("click", () => setEnt({gate: ent.gate, pattern: "pairs",
        pairs: [...ent.pairs, [Number(ctl.value), Number(tgt.value)]]}, "pair-add"));
      out.push(chipsEl, h("span", {class: "ce-group"},
        h("label", {class: "ce-field"}, h("span", {text: ent.gate === "cnot" ? "control" : "wire"}), ctl),
        h("label", {class: "ce-field"}, h("span", {text: ent.gate === "cnot" ? "target" : "wire"}), tgt), add));
    } else if (ent.gate !== "none") {
      out.push(h("span", {class: "ce-hint", text: ent.resolved.length
        ? "Pairs: " + ent.resolved.map(([a, b]) => `${a}${ent.gate === "cnot" ? "→" : "–"}${b}`).join(", ")
        : "No pairs on this many wires"}));
    }
    return out;
  }

  // ---------------------------------------------------------------- tooltip
  function placeTip(el) {
    const r = el.getBoundingClientRect(), rr = root.getBoundingClientRect();
    tip.hidden = false;
    const left = Math.max(0, Math.min(r.left - rr.left, rr.width - tip.offsetWidth));
    tip.style.left = `${left}px`;
    tip.style.top = `${r.bottom - rr.top + 6}px`;
  }
  function showTip(el, key, li, q) {
    hoverKey = key; hoverEl = el;
    const hv = model.hover || {};
    tip.textContent = hv.layer === li && hv.qubit === q && hv.text ? hv.text : el.getAttribute("aria-label");
    placeTip(el);
    send({type: "hover", layer: li, qubit: q});
  }
  function hideTip(key) {
    if (hoverKey !== key) return;
    hoverKey = null; hoverEl = null; tip.hidden = true;
    send({type: "hover", layer: null, qubit: null});
  }
  function updateTip() {
    const hv = model.hover || {};
    if (hoverKey && hoverKey === `slot:${hv.layer}:${hv.qubit}` && hv.text) {
      tip.textContent = hv.text;
      if (hoverEl && hoverEl.isConnected) placeTip(hoverEl);
    }
  }

  // ---------------------------------------------------------------- state → page
  function renderAll() {
    scheduled = false;
    const v = view();
    if (!v.layers) return;
    const rootNode = root.getRootNode();
    const active = rootNode && rootNode.activeElement;
    const activeKey = active && root.contains(active) ? active.getAttribute("data-key") : null;
    undoBtn.setAttribute("aria-disabled", v.can_undo ? "false" : "true");
    redoBtn.setAttribute("aria-disabled", v.can_redo ? "false" : "true");
    qMinus.setAttribute("aria-disabled", v.n_qubits <= 1 ? "true" : "false");
    qPlus.setAttribute("aria-disabled", v.n_qubits >= v.max_qubits ? "true" : "false");
    addLayer.setAttribute("aria-disabled", v.n_layers >= v.max_layers ? "true" : "false");
    qCount.textContent = String(v.n_qubits);
    summary.textContent = v.summary;
    updatePalette();
    renderGrid(v);
    renderInspector(v);
    // Keep keyboard users where they were (or where their edit moved things); never pull focus in from
    // outside the editor.
    const target = pendingFocus;
    pendingFocus = null;
    if (activeKey && !(target && focusKey(target)) && !root.contains(rootNode.activeElement)) {
      focusKey(activeKey) || (activeKey.startsWith("op:") && focusKey(`slot:${activeKey.split(":")[1]}:0`));
    }
    if (hoverKey) {
      const el = root.querySelector(`[data-key="${hoverKey}"]`);
      if (el) { hoverEl = el; placeTip(el); } else { hoverKey = null; hoverEl = null; tip.hidden = true; }
    }
  }
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(renderAll);
  }
  model.on("view", schedule);
  model.on("selection", schedule);
  model.on("hover", updateTip);
  model.on("inspect", () => {
    const el = inspector.querySelector('[data-role="inspect"]');
    const [what, li, q] = sel();
    if (el && what === "slot" && model.inspect.layer === li && model.inspect.qubit === q) el.textContent = model.inspect.text;
  });
  renderAll();
  return root;
}
""".replace("__ROW_H__", str(ROW_H))


class CircuitCanvas(JSComponent):
    """The drawn part of :class:`CircuitEditor`: it shows ``view`` and sends what the user asks for as messages.

    It holds no circuit state of its own; every request goes to the editor, which answers by updating ``view``.
    """

    view = param.Dict(default={}, doc="Output of editor_view plus the editor's limits and undo/redo flags.")
    selection = param.List(default=[], doc='[] | ["slot", layer, qubit] | ["entangler", layer].')
    hover = param.Dict(default={}, doc="{layer, qubit, text}: the formula of the slot under the pointer.")
    inspect = param.Dict(default={}, doc="{layer, qubit, text}: the formula of the selected slot.")

    _esm = _ESM
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
            '<div role="status" aria-live="polite" style="min-height:1.4em;color:#9a3412;font-size:14px">'
            f"{escape(self.status)}</div>"
        )

    def _render_text(self) -> None:
        self._text_pane.visible = self.show_text
        if self.show_text:
            self._text_pane.object = (
                '<pre aria-label="Circuit text" style="margin:0;padding:8px 10px;background:#f8f9fb;'
                'border:1px solid #e1e5eb;border-radius:8px;font-size:13px;line-height:1.5;white-space:pre;'
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
