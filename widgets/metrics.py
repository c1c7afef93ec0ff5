"""Loss and accuracy curves that grow by streaming new rows into one Bokeh data source."""

from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource, DataRange1d, Range1d
from bokeh.plotting import figure

from .design import calm_plot
from .static_files import read_static

__all__ = ["MetricsView", "HISTORY_COLUMNS", "MAX_ROWS"]

HISTORY_COLUMNS = ("step", "epoch", "loss", "train_loss", "train_accuracy", "test_accuracy")
MAX_ROWS = 20_000  # rows kept in the browser; older ones roll off

_LEGEND_CSS = read_static("metrics_legend.css")


def _legend(items) -> str:
    spans = "".join(
        f'<span class="item"><span class="line" style="border-top:3px {style} {color}"></span>{label}</span>'
        for color, style, label in items
    )
    return f'<div class="legend">{spans}</div>'


class MetricsView(pn.viewable.Viewer):
    """Two small plots sharing the step axis: loss (mini-batch and full training set) and train/test accuracy.

    :meth:`update` streams only the rows the browser has not seen; a history that shrank or changed its past
    (reset, new run) replaces the data.
    """

    name_prefix = param.String(default="", constant=True, doc=(
        "Put before the name of every Bokeh model of this view, so that a second view on the same page (a pinned "
        "run) has names of its own, e.g. 'pinned-'."))
    width = param.Integer(default=420, bounds=(200, 1600), doc="Width of each plot in pixels.")
    height = param.Integer(default=200, bounds=(100, 800), doc="Height of each plot in pixels.")
    large = param.Boolean(default=False, doc="Projector mode: thicker lines and larger text.")

    def __init__(self, **params):
        super().__init__(**params)
        self.source = ColumnDataSource(data={k: np.empty(0) for k in HISTORY_COLUMNS},
                                       name=self.name_prefix + "metrics-history")
        self._rows = 0
        self._last_step = None
        self._first_step = None
        self.loss_figure, self.accuracy_figure = self._build()
        self.param.watch(self._emphasise, "large")

    def _emphasise(self, event=None) -> None:
        k = 2.0 if self.large else 1.0
        for fig in (self.loss_figure, self.accuracy_figure):
            for renderer in fig.renderers:
                renderer.glyph.line_width = (1.5 if renderer.name.endswith("batch-loss") else 2.5) * k
            fig.title.text_font_size = "22px" if self.large else "14px"
            for ax in (fig.xaxis, fig.yaxis):
                ax.axis_label_text_font_size = "20px" if self.large else "13px"
                ax.major_label_text_font_size = "20px" if self.large else "12px"

    def _style(self, fig, title, y_label):
        fig.title.text = title
        fig.title.text_font_size = "14px"
        fig.xaxis.axis_label = "step"
        fig.yaxis.axis_label = y_label
        for ax in (fig.xaxis, fig.yaxis):
            ax.axis_label_text_font_size = "13px"
            ax.major_label_text_font_size = "12px"
        fig.toolbar.autohide = True
        fig.xaxis.ticker.desired_num_ticks = 4

    def _build(self):
        # Costs and steps are never negative: anchoring both ranges at 0 keeps the first frames readable.
        p = self.name_prefix
        loss = figure(width=self.width, height=self.height, tools="pan,wheel_zoom,reset,save", name=p + "loss-plot",
                      x_range=DataRange1d(start=0, min_interval=10), y_range=DataRange1d(start=0))
        acc = figure(width=self.width, height=self.height, tools="pan,wheel_zoom,reset,save", x_range=loss.x_range,
                     y_range=Range1d(0.0, 1.02), name=p + "accuracy-plot")
        calm_plot(loss), calm_plot(acc)
        self._style(loss, "Loss", "cost")
        loss.line("step", "loss", source=self.source, color="#9aa3ad", line_width=1.5, name=p + "batch-loss")
        loss.line("step", "train_loss", source=self.source, color="#14171f", line_width=2.5, name=p + "train-loss")
        self._style(acc, "Accuracy", "fraction correct")
        acc.line("step", "train_accuracy", source=self.source, color="#0072B2", line_width=2.5,
                 name=p + "train-accuracy")
        acc.line("step", "test_accuracy", source=self.source, color="#D55E00", line_width=2.5, line_dash="dashed",
                 name=p + "test-accuracy")
        return loss, acc

    def update(self, history: dict) -> None:
        """Show ``history`` (dict of arrays of shape (H,), keys :data:`HISTORY_COLUMNS`); document thread."""
        h = {k: np.asarray(history.get(k, ()), dtype=float) for k in HISTORY_COLUMNS}
        n = len(h["step"])
        if n and any(len(v) != n for v in h.values()):
            raise ValueError(f"history: expected arrays of one length, got { {k: len(v) for k, v in h.items()} }")
        same_past = (
            self._rows <= n
            and (self._rows == 0 or (h["step"][self._rows - 1] == self._last_step and h["step"][0] == self._first_step))
        )
        if not same_past or self._rows == 0 or n - self._rows > MAX_ROWS:
            keep = slice(max(0, n - MAX_ROWS), n)
            self.source.data = {k: v[keep] for k, v in h.items()}
        elif n > self._rows:
            self.source.stream({k: v[self._rows :] for k, v in h.items()}, rollover=MAX_ROWS)
        self._rows = n
        self._last_step = h["step"][-1] if n else None
        self._first_step = h["step"][0] if n else None

    def __panel__(self):
        # HTML legends: a Bokeh legend is measured and repainted with its plot on every update.
        loss_legend = pn.pane.HTML(_legend([("#14171f", "solid", "training set"), ("#9aa3ad", "solid", "mini-batch")]),
                                   stylesheets=[_LEGEND_CSS], margin=(0, 0, 0, 50))
        acc_legend = pn.pane.HTML(_legend([("#0072B2", "solid", "train"), ("#D55E00", "dashed", "test")]),
                                  stylesheets=[_LEGEND_CSS], margin=(0, 0, 0, 50))
        # Side by side where there is room, one under the other on a phone.
        return pn.FlexBox(pn.Column(self.loss_figure, loss_legend, margin=0),
                          pn.Column(self.accuracy_figure, acc_legend, margin=0), flex_wrap="wrap", margin=(0, 0))
