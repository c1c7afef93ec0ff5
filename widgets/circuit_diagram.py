"""Read-only circuit diagram: qubit wires × layers, a box per gate and the entanglers, drawn as escaped SVG."""

from __future__ import annotations

from html import escape

import panel as pn
import param

from playground.spec import CircuitSpec, GateSpec

__all__ = ["CircuitDiagram", "circuit_svg", "gate_text"]

BOX_W, BOX_H = 46, 32
GAP = 8            # between gates of one slot
ENT_W = 22         # per entangler sub-column
WIRE_DY = 52       # between wires
LEFT = 62          # room for "q0 |0⟩"
TOP = 30           # room for the layer numbers
RIGHT = 54         # room for the read-out symbol

_GATE_FILL = {"compressed": "#E8F1FA", "original": "#EAF6EF", "rx": "#FBEFE3", "ry": "#FBEFE3", "rz": "#F3ECF7"}
_GATE_LINE = {"compressed": "#0072B2", "original": "#009E73", "rx": "#D55E00", "ry": "#D55E00", "rz": "#CC79A7"}


def gate_text(gate: GateSpec) -> tuple[str, str]:
    """(big text, small text) drawn in a gate's box: ``("U", "θ+w∘x")``, ``("RY", "x1")``, ..."""
    if gate.kind == "compressed":
        return "U", "θ+w∘x"
    if gate.kind == "original":
        return "U", "θ · x"
    k = gate.feature + 1
    arg = {"trainable": "θ", "feature": f"w·x{k}+b", "data": f"x{k}", "fixed": f"{gate.value:.3g}"}[gate.angle]
    return gate.kind.upper(), arg


def pack_pairs(pairs) -> list[int]:
    """Sub-column of each two-qubit gate so that gates whose wire spans overlap never share one."""
    columns: list[list[tuple[int, int]]] = []
    out = []
    for a, b in pairs:
        lo, hi = min(a, b), max(a, b)
        for i, spans in enumerate(columns):
            if all(hi < s_lo or lo > s_hi for s_lo, s_hi in spans):
                spans.append((lo, hi))
                out.append(i)
                break
        else:
            columns.append([(lo, hi)])
            out.append(len(columns) - 1)
    return out


def circuit_svg(spec: CircuitSpec, *, max_width: int | None = None) -> str:
    """The circuit as a standalone SVG string; every piece of text is HTML-escaped.

    Parameters
    ----------
    spec : CircuitSpec
    max_width : int or None
        Scale the drawing down to at most this many pixels wide (None keeps its natural size).

    Example
    -------
    >>> svg = circuit_svg(CircuitSpec.paper(2, 3, entangled=True))
    >>> svg.count('class="gate"')
    6
    """
    if not isinstance(spec, CircuitSpec):
        raise TypeError(f"spec: expected a CircuitSpec, got {type(spec).__name__}")
    Q, L = spec.n_qubits, spec.n_layers
    wire_y = [TOP + 18 + q * WIRE_DY for q in range(Q)]
    parts: list[str] = []
    headers: list[str] = []
    x = LEFT + 10
    for li, layer in enumerate(spec.layers):
        n_gates = max((len(slot) for slot in layer.slots), default=0)
        slot_w = max(1, n_gates) * BOX_W + max(0, n_gates - 1) * GAP
        x0 = x
        for q, slot in enumerate(layer.slots):
            gx = x
            for g in slot:
                big, small = gate_text(g)
                title = f"layer {li + 1}, qubit {q}: {g.label}"
                y = wire_y[q] - BOX_H / 2
                parts.append(
                    f'<g class="gate"><title>{escape(title)}</title>'
                    f'<rect x="{gx}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="5" '
                    f'fill="{_GATE_FILL[g.kind]}" stroke="{_GATE_LINE[g.kind]}" stroke-width="1.6"/>'
                    f'<text x="{gx + BOX_W / 2}" y="{wire_y[q] - 1}" class="big">{escape(big)}</text>'
                    f'<text x="{gx + BOX_W / 2}" y="{wire_y[q] + 11}" class="small">{escape(small)}</text></g>'
                )
                gx += BOX_W + GAP
        headers.append(f'<text x="{x0 + slot_w / 2}" y="{TOP - 10}" class="layer">{li + 1}</text>')
        x += slot_w + GAP
        pairs = spec.entangler_pairs(li)
        if pairs:
            cols = pack_pairs(pairs)
            gate = layer.entangler.gate
            for (a, b), col in zip(pairs, cols):
                ex = x + col * ENT_W + ENT_W / 2
                ya, yb = wire_y[a], wire_y[b]
                title = f"after layer {li + 1}: {gate.upper()} on qubits {a} and {b}"
                piece = [f'<g class="entangler"><title>{escape(title)}</title>',
                         f'<line x1="{ex}" y1="{ya}" x2="{ex}" y2="{yb}" stroke="#14171f" stroke-width="2"/>',
                         f'<circle cx="{ex}" cy="{ya}" r="5" fill="#14171f"/>']
                if gate == "cnot":
                    piece.append(f'<circle cx="{ex}" cy="{yb}" r="9" fill="white" stroke="#14171f" stroke-width="2"/>'
                                 f'<line x1="{ex - 9}" y1="{yb}" x2="{ex + 9}" y2="{yb}" stroke="#14171f" stroke-width="2"/>'
                                 f'<line x1="{ex}" y1="{yb - 9}" x2="{ex}" y2="{yb + 9}" stroke="#14171f" stroke-width="2"/>')
                else:
                    piece.append(f'<circle cx="{ex}" cy="{yb}" r="5" fill="#14171f"/>')
                piece.append("</g>")
                parts.append("".join(piece))
            x += (max(cols) + 1) * ENT_W + GAP
    end = x + 6
    width = end + RIGHT
    height = wire_y[-1] + 30
    wires = "".join(
        f'<line x1="{LEFT}" y1="{y}" x2="{end}" y2="{y}" stroke="#6b7280" stroke-width="1.5"/>'
        f'<text x="{LEFT - 8}" y="{y + 5}" class="wire">q{q} |0⟩</text>'
        for q, y in enumerate(wire_y)
    )
    meters = "".join(
        f'<g class="readout"><rect x="{end}" y="{y - 13}" width="30" height="26" rx="4" fill="white" stroke="#6b7280"/>'
        f'<path d="M{end + 6} {y + 6} A 9 9 0 0 1 {end + 24} {y + 6}" fill="none" stroke="#6b7280" stroke-width="1.5"/>'
        f'<line x1="{end + 15}" y1="{y + 7}" x2="{end + 22}" y2="{y - 7}" stroke="#6b7280" stroke-width="1.5"/></g>'
        for y in wire_y
    )
    n_ent = sum(1 for li in range(L) if spec.entangler_pairs(li))
    summary = (f"Circuit diagram: {Q} qubit{'s' if Q > 1 else ''}, {L} layer{'s' if L > 1 else ''}, "
               f"{spec.n_params} trainable parameters, entanglers after {n_ent} layer{'s' if n_ent != 1 else ''}")
    scale = 1.0 if max_width is None or width <= max_width else max_width / width
    style = (
        "<style>text{font-family:'DejaVu Sans','Segoe UI',system-ui,sans-serif;fill:#14171f}"
        ".big{font-size:max(14px,var(--pg-min-font,0px));font-weight:600;text-anchor:middle}.small{font-size:9.5px;text-anchor:middle;fill:#374151}"
        ".layer{font-size:max(12px,var(--pg-min-font,0px));text-anchor:middle;fill:#6b7280}.wire{font-size:max(13px,var(--pg-min-font,0px));text-anchor:end}</style>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(summary)}" '
        f'width="{int(width * scale)}" height="{int(height * scale)}" viewBox="0 0 {width} {height}" '
        f'style="max-width:100%;height:auto">'
        f"<title>{escape(summary)}</title>{style}"
        f'<text x="{LEFT - 8}" y="{TOP - 10}" class="layer" style="text-anchor:end">layer</text>'
        + wires + "".join(headers) + "".join(parts) + meters + "</svg>"
    )


class CircuitDiagram(pn.viewable.Viewer):
    """The current model as a read-only diagram (an editor comes later and can replace this view).

    Hover a gate for its full form, e.g. ``layer 2, qubit 0: U(θ+w∘x)``.
    """

    spec = param.ClassSelector(class_=CircuitSpec, default=None, allow_None=True, doc="The circuit shown.")
    max_width = param.Integer(default=None, allow_None=True, bounds=(100, 4000), doc="Scale down to this width.")

    def __init__(self, **params):
        super().__init__(**params)
        self._pane = pn.pane.HTML("", sizing_mode="stretch_width", styles={"overflow-x": "auto"}, name="circuit-diagram")
        self._render()
        self.param.watch(lambda e: self._render(), ["spec", "max_width"])

    @property
    def svg(self) -> str:
        return self._pane.object

    def _render(self) -> None:
        self._pane.object = "" if self.spec is None else circuit_svg(self.spec, max_width=self.max_width)

    def __panel__(self):
        return self._pane
