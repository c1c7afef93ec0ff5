// Browser side of widgets.circuit_editor.CircuitCanvas (its Panel `_esm`: an ES module exporting render).
// ROW_H must equal ROW_H in widgets/circuit_editor.py (tests/widgets/test_static_files.py checks it).
const SVGNS = "http://www.w3.org/2000/svg";
const ROW_H = 64, HEAD_H = 58, LABEL_W = 78, READ_W = 50;
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
