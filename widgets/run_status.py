"""Run status: epoch, step, loss and accuracies in large type, each with a stable test id and aria-label."""

from __future__ import annotations

import math
import uuid
from html import escape

import panel as pn
import param
from bokeh.models import ColumnDataSource, CustomJS, Div, InlineStyleSheet

from .static_files import read_static

__all__ = ["RunStatus", "STATUS_FIELDS"]

_CSS = read_static("run_status.css")

# (param, test id, label, decimals or None for an integer)
STATUS_FIELDS = (
    ("epoch", "epoch", "Epoch", None),
    ("n_steps", "step", "Step", None),
    ("loss", "loss", "Loss", 3),
    ("train_accuracy", "train-accuracy", "Train accuracy", 3),
    ("test_accuracy", "test-accuracy", "Test accuracy", 3),
)

# The numbers are written into the spans in place: replacing the Div's text instead would make the browser
# lay out the whole page again on every frame.
_UPDATE_JS = read_static("run_status_update.callback.js")


def _fmt(x: float, digits: int | None) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return str(int(round(x))) if digits is None else f"{x:.{digits}f}"


class RunStatus(pn.viewable.Viewer):
    """The numbers of the latest frame. Tests read them by ``data-testid`` (``epoch``, ``step``, ``loss``,
    ``train-accuracy``, ``test-accuracy``).

    The values travel in a one-row data source (:attr:`source`); a ``CustomJS`` callback writes them into the
    spans of a static ``Div``, so a frame costs one tiny message and no page layout.
    """

    epoch = param.Integer(default=0, bounds=(0, None))
    n_steps = param.Integer(default=0, bounds=(0, None))
    loss = param.Number(default=math.nan, allow_None=True)
    train_accuracy = param.Number(default=math.nan, allow_None=True)
    test_accuracy = param.Number(default=math.nan, allow_None=True)

    def __init__(self, **params):
        super().__init__(**params)
        self._status_id = uuid.uuid4().hex  # finds this widget's spans in the page (several tabs, several widgets)
        self.source = ColumnDataSource(data=self._row(), name="run-status-values")
        self.div = Div(text=self._html(), stylesheets=[InlineStyleSheet(css=_CSS)], name="run-status",
                       tags=[self.source])
        fields = [[key, testid, digits] for key, testid, _, digits in STATUS_FIELDS]
        self.source.js_on_change("data", CustomJS(args={"fields": fields, "status_id": self._status_id}, code=_UPDATE_JS))
        self._pane = pn.pane.Bokeh(self.div, margin=(0, 10))
        self.param.watch(self._render, [f[0] for f in STATUS_FIELDS])

    def _row(self) -> dict:
        return {key: [float(getattr(self, key)) if getattr(self, key) is not None else math.nan]
                for key, *_ in STATUS_FIELDS}

    def _render(self, *events) -> None:
        self.source.data = self._row()

    def text(self, testid: str) -> str:
        """What the page shows for ``testid`` (the same formatting as the browser's)."""
        for key, tid, _, digits in STATUS_FIELDS:
            if tid == testid:
                return _fmt(getattr(self, key), digits)
        raise KeyError(testid)

    def _html(self) -> str:
        items = "".join(
            f'<div class="item"><span class="label">{escape(label)}</span>'
            f'<span class="value{" test" if testid == "test-accuracy" else ""}" data-testid="{testid}" '
            f'aria-label="{escape(label)}">{escape(self.text(testid))}</span></div>'
            for key, testid, label, _ in STATUS_FIELDS
        )
        return f'<div class="status" role="status" aria-live="off" data-status-id="{self._status_id}">{items}</div>'
    def __panel__(self):
        return self._pane
