"""Views of a sweep's summary: accuracy heat maps (layers × qubits) with a tap to pick a cell, box plots over seeds,
and an HTML table. Each view patches its own Bokeh data sources; the Explore page (``apps/explore.py``) feeds them
plain lists and dicts."""

from __future__ import annotations

import math
from html import escape
from typing import Any, Callable, Sequence

import numpy as np
import panel as pn
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, FactorRange, HoverTool, Range1d
from bokeh.palettes import RdBu11, Viridis256
from bokeh.plotting import figure
from bokeh.transform import jitter

from .design import calm_plot

__all__ = ["HeatMapView", "BoxPlotView", "results_table_html", "colour_of"]

_FONT = "max(13px, var(--pg-min-font, 0px))"


_DIVERGING = tuple(reversed(RdBu11))  # red: below, white: equal, blue: above


def colour_of(value: float | None, lo: float | None, hi: float = 1.0) -> tuple[str, str]:
    """A cell's fill and a readable text colour on it: Viridis from ``lo`` (dark) to ``hi`` (yellow), or with
    ``lo=None`` a difference on a diverging scale (red below 0, white at 0, blue above; ±0.1 and beyond saturate)."""
    if value is None or not math.isfinite(value):
        return "#e6e6e6", "#444444"
    if lo is None:
        t = min(1.0, max(0.0, 0.5 + value / 0.2))
        fill = _DIVERGING[int(round(t * (len(_DIVERGING) - 1)))]
    else:
        t = 0.0 if hi <= lo else min(1.0, max(0.0, (value - lo) / (hi - lo)))
        fill = Viridis256[int(round(t * 255))]
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return fill, ("#000000" if luminance > 0.45 else "#ffffff")


class HeatMapView:
    """One facet: a value per (layers, qubits) cell, written in the cell; a tap on a cell calls ``on_pick``.

    ``update(cells, lo)`` takes dicts with ``layers``, ``qubits``, ``value`` (or None), ``tip`` (hover text) and
    ``key`` (anything: handed back to ``on_pick``). ``select(key)`` outlines one cell (or none).
    """

    def __init__(self, title: str, on_pick: Callable[[Any], None], *, name: str | None = None, width: int = 340,
                 height: int = 210):
        self.title = title
        self._on_pick = on_pick
        self._keys: dict[tuple[str, str], Any] = {}
        self.source = ColumnDataSource(dict(x=[], y=[], label=[], fill=[], ink=[], tip=[]))
        self.selection = ColumnDataSource(dict(x=[], y=[]))
        fig = figure(title=title, x_range=FactorRange(), y_range=FactorRange(), width=width, height=height,
                     toolbar_location=None, tools="", x_axis_label="layers", y_axis_label="qubits", name=name)
        fig.rect("x", "y", 1, 1, source=self.source, fill_color="fill", line_color="#ffffff", line_width=1)
        fig.rect("x", "y", 0.94, 0.9, source=self.selection, fill_alpha=0, line_color="#d62728", line_width=3)
        fig.text("x", "y", text="label", source=self.source, text_align="center", text_baseline="middle",
                 text_color="ink", text_font_size="12px")
        fig.add_tools(HoverTool(tooltips="@tip", renderers=[fig.renderers[0]]))
        fig.grid.visible = False
        fig.axis.major_tick_line_color = None
        fig.axis.axis_line_color = None
        fig.title.text_font_size = "14px"
        fig.on_event(Tap, self._tap)
        self.figure = calm_plot(fig)
        self.pane = pn.pane.Bokeh(self.figure, margin=(4, 6))

    def update(self, cells: Sequence[dict[str, Any]], lo: float | None) -> None:
        layers = sorted({c["layers"] for c in cells})
        qubits = sorted({c["qubits"] for c in cells})
        self.figure.x_range.factors = [str(v) for v in layers]
        self.figure.y_range.factors = [str(v) for v in qubits]
        data: dict[str, list] = dict(x=[], y=[], label=[], fill=[], ink=[], tip=[])
        self._keys = {}
        for c in cells:
            x, y = str(c["layers"]), str(c["qubits"])
            fill, ink = colour_of(c["value"], lo)
            data["x"].append(x)
            data["y"].append(y)
            data["label"].append("–" if c["value"] is None else (f"{c['value']:+.2f}" if lo is None else f"{c['value']:.2f}"))
            data["fill"].append(fill)
            data["ink"].append(ink)
            data["tip"].append(c["tip"])
            self._keys[(x, y)] = c["key"]
        self.source.data = data

    def select(self, key: Any) -> None:
        cell = next((xy for xy, k in self._keys.items() if k == key), None)
        self.selection.data = dict(x=[cell[0]], y=[cell[1]]) if cell else dict(x=[], y=[])

    def _tap(self, event) -> None:
        xs, ys = self.figure.x_range.factors, self.figure.y_range.factors
        if event.x is None or event.y is None:
            return
        i, j = int(math.floor(event.x)), int(math.floor(event.y))
        if 0 <= i < len(xs) and 0 <= j < len(ys):
            key = self._keys.get((xs[i], ys[j]))
            if key is not None:
                self._on_pick(key)


class BoxPlotView:
    """Test accuracy over seeds for each number of layers of one configuration: a box (quartiles), whiskers (the
    extremes), every run as a dot, and the best-of run and the paper's figure as markers."""

    def __init__(self, *, width: int = 600, height: int = 300):
        self.boxes = ColumnDataSource(dict(x=[], q1=[], q2=[], q3=[], lo=[], hi=[]))
        self.dots = ColumnDataSource(dict(x=[], y=[]))
        self.best = ColumnDataSource(dict(x=[], y=[]))
        self.paper = ColumnDataSource(dict(x=[], y=[]))
        fig = figure(x_range=FactorRange(), y_range=Range1d(0, 1.01), height=height, toolbar_location=None, tools="",
                     x_axis_label="layers", y_axis_label="test accuracy", sizing_mode="stretch_width",
                     name="explore-boxes")
        fig.segment("x", "lo", "x", "hi", source=self.boxes, line_color="#555555", line_width=1.5)
        fig.vbar("x", 0.5, "q3", "q1", source=self.boxes, fill_color="#9ecae1", line_color="#2b5d8a",
                 legend_label="single starts: quartiles")
        fig.rect("x", "q2", 0.5, 0.002, source=self.boxes, line_color="#08306b", line_width=2, fill_alpha=0)
        fig.scatter(jitter("x", width=0.35, range=fig.x_range), "y", source=self.dots, size=6, color="#08306b",
                    alpha=0.6, legend_label="one start")
        fig.scatter("x", "y", source=self.best, size=13, marker="star", color="#2ca02c", line_color="#114411",
                    legend_label="best of 20")
        fig.scatter("x", "y", source=self.paper, size=12, marker="diamond", color="#d62728", line_color="#5a0f10",
                    legend_label="paper")
        fig.add_tools(HoverTool(tooltips=[("layers", "@x"), ("accuracy", "@y{0.000}")],
                                renderers=[fig.renderers[3], fig.renderers[4], fig.renderers[5]]))
        fig.legend.label_text_font_size = "12px"
        fig.legend.ncols = 2
        fig.legend.padding = 4
        fig.legend.spacing = 2
        fig.add_layout(fig.legend[0], "above")
        fig.title.text_font_size = "14px"
        self.figure = calm_plot(fig)
        self.pane = pn.pane.Bokeh(self.figure, margin=(4, 6), sizing_mode="stretch_width", min_width=300,
                                  max_width=width)

    def update(self, title: str, by_layers: dict[int, dict[str, Any]]) -> None:
        """``by_layers``: layers → ``{"runs": [accuracies], "best_of": float | None, "paper": float | None}``."""
        layers = sorted(by_layers)
        factors = [str(v) for v in layers]
        boxes: dict[str, list] = dict(x=[], q1=[], q2=[], q3=[], lo=[], hi=[])
        dots: dict[str, list] = dict(x=[], y=[])
        best: dict[str, list] = dict(x=[], y=[])
        paper: dict[str, list] = dict(x=[], y=[])
        low = 1.0
        for v, x in zip(layers, factors):
            entry = by_layers[v]
            runs = np.asarray(entry.get("runs") or [], float)
            if runs.size:
                q1, q2, q3 = np.percentile(runs, [25, 50, 75])
                for key, value in zip(boxes, (x, q1, q2, q3, runs.min(), runs.max())):
                    boxes[key].append(value)
                dots["x"] += [x] * runs.size
                dots["y"] += [float(y) for y in runs]
                low = min(low, float(runs.min()))
            for source, key in ((best, "best_of"), (paper, "paper")):
                if entry.get(key) is not None:
                    source["x"].append(x)
                    source["y"].append(float(entry[key]))
                    low = min(low, float(entry[key]))
        self.figure.title.text = title
        self.figure.x_range.factors = factors
        self.figure.y_range.start = max(0.0, math.floor(low * 10) / 10 - 0.05)
        self.boxes.data, self.dots.data, self.best.data, self.paper.data = boxes, dots, best, paper


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:.{digits}f}"


def results_table_html(rows: Sequence[dict[str, Any]], *, caption: str, selected: Any = None) -> str:
    """An accessible HTML table of configurations (every value escaped); each row links to the playground.

    ``rows``: dicts with ``key``, ``config`` (text), ``layers``, ``runs``, ``mean``, ``std``, ``median``,
    ``best_of``, ``paper`` and ``href`` (a relative link).
    """
    head = ("<tr><th scope='col'>configuration</th><th scope='col'>layers</th><th scope='col'>paper</th>"
            "<th scope='col'>mean ± sd (starts)</th><th scope='col'>median</th><th scope='col'>best of 20</th>"
            "<th scope='col'>open</th></tr>")
    body = []
    for r in rows:
        spread = "–" if r["mean"] is None else (
            f"{r['mean']:.3f}" + (f" ± {r['std']:.3f}" if r["std"] is not None else "") + f" ({r['runs']})")
        mark = " class='pg-selected'" if selected is not None and r["key"] == selected else ""
        body.append(
            f"<tr{mark}><th scope='row'>{escape(r['config'])}</th><td>{int(r['layers'])}</td><td>{_fmt(r['paper'], 2)}</td>"
            f"<td>{escape(spread)}</td><td>{_fmt(r['median'])}</td><td>{_fmt(r['best_of'])}</td>"
            f"<td><a href='{escape(r['href'], quote=True)}' target='_blank' rel='noopener'>"
            f"open<span class='pg-sr'> {escape(r['config'])}, {int(r['layers'])} layers</span></a></td></tr>")
    return (f"<div class='pg-table-wrap' tabindex='0' role='region' aria-label='{escape(caption, quote=True)}'>"
            f"<table class='pg-results'><caption>{escape(caption)}</caption><thead>{head}</thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")
