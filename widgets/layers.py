"""Layer-by-layer view: a heat map per qubit and layer, and every point's path on the Bloch sphere."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource, LabelSet
from bokeh.plotting import figure

from .announcer import TextSummary
from .bloch import BlochSphere
from .describe import SUMMARY_INTERVAL, describe_bloch
from .design import calm_plot
from .style import BLOCH_MARKERS, CLASS_COLORS, diverging_rgba, pack_rgba

__all__ = ["LayerFrame", "LayerView", "layer_mosaic", "TILE_GAP"]

TILE_GAP = 3  # transparent pixels between thumbnails


def layer_mosaic(layer_maps: np.ndarray, *, gap: int = TILE_GAP) -> np.ndarray:
    """Tile the per-layer heat maps into one image: a column per layer, a row per qubit (qubit 0 on top).

    Parameters
    ----------
    layer_maps : ndarray of shape (L + 1, Q, m, m)
        ⟨Z⟩ of each qubit after each layer on an m×m grid (row 0 = lowest x₂), values in [-1, 1].

    Returns
    -------
    ndarray of shape (Q·m + (Q−1)·gap, (L+1)·m + L·gap), uint32
        Packed RGBA, row 0 at the bottom (Bokeh's image order); gaps are transparent. ⟨Z⟩ = +1 (|0⟩, class 0's
        label state for two classes) takes class 0's colour, −1 class 1's.
    """
    maps = np.asarray(layer_maps, dtype=np.float32)
    if maps.ndim != 4 or maps.shape[2] != maps.shape[3]:
        raise ValueError(f"layer_maps: expected shape (L + 1, Q, m, m), got {maps.shape}")
    n_cols, n_rows, m, _ = maps.shape
    rgba = diverging_rgba(maps)  # (L+1, Q, m, m, 4)
    H = n_rows * m + (n_rows - 1) * gap
    W = n_cols * m + (n_cols - 1) * gap
    out = np.zeros((H, W, 4), dtype=np.uint8)
    for q in range(n_rows):
        r0 = (n_rows - 1 - q) * (m + gap)  # qubit 0 in the top row of the picture
        for j in range(n_cols):
            c0 = j * (m + gap)
            out[r0 : r0 + m, c0 : c0 + m] = rgba[j, q]
    return pack_rgba(out)


@dataclass(frozen=True)
class LayerFrame:
    """One frame of the layer view (built off the document thread by :meth:`LayerView.prepare`).

    Attributes
    ----------
    mosaic : ndarray of shape (H, W), uint32 — see :func:`layer_mosaic`
    tile : int — pixels per thumbnail side (m)
    layer_bloch : ndarray of shape (L + 1, Q, P, 3), float32 — every training point after every layer
    classes : ndarray of shape (P,) — the points' labels
    label_bloch : ndarray of shape (C, 3)
    """

    mosaic: np.ndarray
    tile: int
    layer_bloch: np.ndarray
    classes: np.ndarray
    label_bloch: np.ndarray

    @property
    def n_layers(self) -> int:
        return self.layer_bloch.shape[0] - 1

    @property
    def n_qubits(self) -> int:
        return self.layer_bloch.shape[1]


class LayerView(pn.viewable.Viewer):
    """Heat-map thumbnails (one per qubit and layer, like TensorFlow Playground's neurons), a layer slider and
    a Bloch sphere with each training point's path from the input state up to the chosen layer.

    Click a thumbnail or move the slider to choose the layer; with several qubits, choose the qubit too.
    """

    layer = param.Integer(default=0, bounds=(0, 15), doc="Layer shown on the sphere (0 = before the first layer).")
    qubit = param.Selector(default=0, objects={"qubit 0": 0}, doc="Qubit shown on the sphere.")
    sphere_size = param.Integer(default=300, bounds=(160, 800), doc="Size of the Bloch sphere in pixels.")
    mosaic_width = param.Integer(default=560, bounds=(200, 1600), doc="Width of the thumbnail strip in pixels.")

    def __init__(self, **params):
        super().__init__(**params)
        self._frame: LayerFrame | None = None
        self._follow_last = True  # keep showing the last layer while the circuit grows
        self._geometry = None
        self.mosaic_source = ColumnDataSource(
            data={"image": [np.zeros((1, 1), dtype=np.uint32)], "x": [0.0], "y": [0.0], "dw": [1.0], "dh": [1.0]},
            name="layer-mosaic",
        )
        self.columns_source = ColumnDataSource(data={"left": [], "right": [], "bottom": [], "top": [], "text": [], "tx": [], "ty": []}, name="layer-columns")
        self.rows_source = ColumnDataSource(data={"text": [], "tx": [], "ty": []}, name="layer-rows")
        self.highlight_source = ColumnDataSource(data={"left": [0.0], "right": [0.0], "bottom": [0.0], "top": [0.0]})
        self.figure = calm_plot(self._build_figure())
        self.sphere = BlochSphere(
            size=self.sphere_size, title="after layer 0", palette=list(CLASS_COLORS), markers=list(BLOCH_MARKERS),
            show_legend=False,
        )
        self.summary = TextSummary(name="layers-summary", margin=0)
        self._summary_time, self._summary_shown = -math.inf, None
        self._slider = pn.widgets.IntSlider.from_param(self.param.layer, label="Layer", width=260)
        self._qubit_picker = pn.widgets.RadioButtonGroup.from_param(
            self.param.qubit, name="Qubit", color="light", visible=False
        )
        self.param.watch(self._refresh_sphere, ["layer", "qubit"])
        self.param.watch(self._on_layer, ["layer"])
        self.param.watch(self._resize, ["mosaic_width", "sphere_size"])
        self._caption = pn.pane.HTML(  # at most the strip's width, and within a phone's screen
            "<div style='font-size:max(14px,var(--pg-min-font,0px));color:#374151;max-width:min(540px, calc(100vw - 80px))'>Each square is the "
            "input square "
            "[−1, 1]², coloured by ⟨Z⟩ of one qubit (rows) after one layer (columns): "
            f"<span style='display:inline-block;width:12px;height:12px;background:{CLASS_COLORS[0]};"
            "vertical-align:-1px;border:1px solid #1A1A1A' aria-hidden='true'></span> <b>|0⟩</b> to "
            f"<span style='display:inline-block;width:12px;height:12px;background:{CLASS_COLORS[1]};"
            "vertical-align:-1px;border:1px solid #1A1A1A' aria-hidden='true'></span> <b>|1⟩</b>. "
            "Click a column to follow the points there on the sphere.</div>",
            margin=(4, 10),
        )

    def _resize(self, *events) -> None:
        """New sizes (a phone, a projector): the sphere and the strip of maps are redrawn at them."""
        self.sphere.size = self.sphere_size
        if self._geometry is not None:
            geometry, self._geometry = self._geometry, None
            self._set_geometry(*geometry)

    # ------------------------------------------------------------------ construction (once)
    def _build_figure(self):
        fig = figure(
            frame_width=self.mosaic_width - 50, frame_height=100, tools="tap,save", toolbar_location="right",
            x_range=(0, 1), y_range=(0, 1), name="layer-maps",
        )
        fig.toolbar.autohide = True  # the save (PNG) button shows when the pointer is over the maps
        fig.axis.visible = False
        fig.grid.visible = False
        fig.outline_line_color = None
        fig.min_border_left = 40
        fig.min_border_top = 8
        fig.image_rgba(image="image", x="x", y="y", dw="dw", dh="dh", source=self.mosaic_source)
        fig.quad(left="left", right="right", bottom="bottom", top="top", source=self.columns_source,
                 fill_alpha=0.0, line_alpha=0.0, nonselection_fill_alpha=0.0, nonselection_line_alpha=0.0,
                 selection_fill_alpha=0.0, selection_line_alpha=0.0)
        fig.quad(left="left", right="right", bottom="bottom", top="top", source=self.highlight_source,
                 fill_alpha=0.0, line_color="#14171f", line_width=2.5)
        fig.add_layout(LabelSet(x="tx", y="ty", text="text", source=self.columns_source, text_align="center",
                                text_font_size="12px", text_color="#333"))
        fig.add_layout(LabelSet(x="tx", y="ty", text="text", source=self.rows_source, text_align="right",
                                text_baseline="middle", text_font_size="12px", text_color="#333"))
        self.columns_source.selected.on_change("indices", self._on_tap)
        return fig

    def _set_geometry(self, n_layers: int, n_qubits: int, tile: int) -> None:
        if self._geometry == (n_layers, n_qubits, tile):
            return
        self._geometry = (n_layers, n_qubits, tile)
        g = TILE_GAP
        W = (n_layers + 1) * tile + n_layers * g
        H = n_qubits * tile + (n_qubits - 1) * g
        top_pad = 0.75 * tile  # room for the column labels
        self.figure.x_range.start, self.figure.x_range.end = -3.0, W + 3.0
        self.figure.y_range.start, self.figure.y_range.end = -3.0, H + top_pad
        # Square pixels: the frame's aspect ratio is the data's; thumbnails at most ~3.4 screen px per map pixel,
        # and the strip no wider than the view nor taller than the sphere beside it.
        data_w, data_h = W + 6.0, H + top_pad + 3.0
        scale = min(3.4, (self.mosaic_width - 50) / data_w, (self.sphere_size - 20) / data_h)
        self.figure.frame_width = int(round(data_w * scale))
        self.figure.frame_height = int(round(data_h * scale))
        self.mosaic_source.data.update(x=[0.0], y=[0.0], dw=[float(W)], dh=[float(H)])
        lefts = [j * (tile + g) for j in range(n_layers + 1)]
        self.columns_source.data = {
            "left": [float(x) for x in lefts], "right": [float(x + tile) for x in lefts],
            "bottom": [0.0] * (n_layers + 1), "top": [float(H)] * (n_layers + 1),
            "text": ["in"] + [str(j) for j in range(1, n_layers + 1)],
            "tx": [x + tile / 2 for x in lefts], "ty": [H + 0.25 * tile] * (n_layers + 1),
        }
        self.rows_source.data = {
            "text": [f"q{q}" for q in range(n_qubits)],
            "tx": [-4.0] * n_qubits,
            "ty": [(n_qubits - 1 - q) * (tile + g) + tile / 2 for q in range(n_qubits)],
        }
        self.param["layer"].bounds = (0, n_layers)
        self._qubit_picker.visible = n_qubits > 1
        self.param.qubit.objects = {f"qubit {q}": q for q in range(n_qubits)}
        if self.qubit >= n_qubits:
            self.qubit = 0
        if self._follow_last or self.layer > n_layers:
            self.layer = n_layers
        self._slider.end = n_layers
        self._move_highlight()

    def _move_highlight(self) -> None:
        if self._geometry is None:
            return
        n_layers, n_qubits, tile = self._geometry
        j = min(self.layer, n_layers)
        left = j * (tile + TILE_GAP)
        H = n_qubits * tile + (n_qubits - 1) * TILE_GAP
        self.highlight_source.data = {"left": [left - 1.5], "right": [left + tile + 1.5], "bottom": [-1.5], "top": [H + 1.5]}

    def _on_tap(self, attr, old, new) -> None:
        if new:
            self.layer = int(new[0])
            self.columns_source.selected.indices = []

    def _on_layer(self, event) -> None:
        if self._geometry is not None:
            self._follow_last = event.new >= self._geometry[0]
        self._move_highlight()

    # ------------------------------------------------------------------ per frame
    @staticmethod
    def prepare(snapshot, classes: np.ndarray) -> LayerFrame:
        """Thread-safe, numpy only: the mosaic image and the arrays the sphere needs."""
        maps = np.asarray(snapshot.layer_maps)
        return LayerFrame(
            mosaic=layer_mosaic(maps),
            tile=int(maps.shape[-1]),
            layer_bloch=np.asarray(snapshot.layer_bloch, dtype=np.float32),
            classes=np.asarray(classes, dtype=np.int64),
            label_bloch=np.asarray(snapshot.label_bloch, dtype=float),
        )

    def apply(self, frame: LayerFrame) -> None:
        """Patch the thumbnails and redraw the sphere (document thread)."""
        self._frame = frame
        self._set_geometry(frame.n_layers, frame.n_qubits, frame.tile)
        self.mosaic_source.data.update(image=[frame.mosaic])
        self._refresh_sphere()

    def update(self, snapshot, classes) -> None:
        """Convenience for scripts and tests: :meth:`prepare` then :meth:`apply`."""
        self.apply(self.prepare(snapshot, classes))

    def _refresh_sphere(self, *_) -> None:
        f = self._frame
        if f is None:
            return
        k = min(self.layer, f.n_layers)
        q = min(int(self.qubit), f.n_qubits - 1)
        points = f.layer_bloch[k, q]                                # (P, 3)
        paths = np.ascontiguousarray(f.layer_bloch[: k + 1, q].transpose(1, 0, 2))  # (P, k + 1, 3)
        where = "the input state" if k == 0 else f"layer {k}"
        title = f"qubit {q} after {where}" if f.n_qubits > 1 else f"after {where}"
        if k == 0:
            title = f"qubit {q}: input state |0⟩" if f.n_qubits > 1 else "input state |0⟩"
        # Clip float32 rounding so every vector stays a valid Bloch vector (|r| <= 1).
        norms = np.linalg.norm(points, axis=1, keepdims=True)
        points = points / np.maximum(norms, 1.0)
        pnorms = np.linalg.norm(paths, axis=2, keepdims=True)
        paths = paths / np.maximum(pnorms, 1.0)
        self.sphere.update(points=points, classes=f.classes, paths=paths, label_states=f.label_bloch, title=title)
        # The sphere in words, for screen readers: at once for another layer or qubit, else every few seconds.
        now, shown = time.monotonic(), (k, q)
        if shown != self._summary_shown or now - self._summary_time >= SUMMARY_INTERVAL:
            self._summary_time, self._summary_shown = now, shown
            self.summary.text = describe_bloch(points, f.classes, title=f"Layer by layer, {title}")

    def __panel__(self):
        controls = pn.Row(self._slider, self._qubit_picker, margin=(0, 0))
        maps = pn.Column(self._caption, self.figure, margin=(0, 0))
        return pn.Column(controls, pn.FlexBox(maps, self.sphere, flex_wrap="wrap", margin=(0, 0)), self.summary,
                         margin=(0, 0))
