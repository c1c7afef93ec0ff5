"""Decision boundary view: every class's region in its own colour, shaded by confidence, with the points on top."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import panel as pn
import param
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, HoverTool
from bokeh.plotting import figure

from .announcer import TextSummary
from .boundary_lines import boundary_segments
from .describe import SUMMARY_INTERVAL, describe_boundary
from .design import calm_plot
from .static_files import read_static
from .style import (
    CLASS_COLORS, CLASS_MARKERS, MARKER_ANGLES, MAX_CLASSES, MISCLASSIFIED_COLOR, OUTLINE_COLOR, class_swatch_svg,
    proba_to_rgba,
)

__all__ = ["BoundaryFrame", "DecisionBoundaryView", "DRAWING_TITLE"]

_LEGEND_CSS = read_static("decision_boundary_legend.css")

_FID_COLUMNS = tuple(f"f{c}" for c in range(MAX_CLASSES))  # fidelity with each label state, for the hover
_TRAIN_COLUMNS = ("x", "y", "label", "pred", "color", "marker", "angle") + _FID_COLUMNS
_TEST_COLUMNS = ("x", "y", "label", "pred", "color", "marker", "angle")
# Test markers at full size up to this many test points; beyond, smaller (∝ 1/√M) so the boundary stays visible
# under a large test set (the paper's draw has 4000 test points).
_FULL_SIZE_TEST_POINTS = 800
_TEST_SIZE, _TEST_LINE, _TEST_RING = 8.0, 1.0, 12.0
# Short enough for one line over the default 460-pixel plot; the class a click adds is chosen next to the plot.
DRAWING_TITLE = "Click to add; click a point to remove"  # short: it fits a phone-sized plot


@dataclass(frozen=True)
class BoundaryFrame:
    """What one frame changes in the view (built off the document thread by :meth:`DecisionBoundaryView.prepare`).

    Attributes
    ----------
    image : ndarray of shape (ny, nx), uint32 — packed RGBA pixels, row 0 at the bottom
    extent : (x0, y0, dw, dh) — where the image lies in data coordinates
    train_pred : ndarray of shape (P,), int — predicted class of each training point
    train_fidelities : ndarray of shape (P, C), float32 — fidelity of each point's state with each label state
    test_pred : ndarray of shape (M,), int
    lines : (x, y) float32 arrays — the decision boundary's line: its segments, each followed by a NaN gap
    proba, grid_x, grid_y : the snapshot's class probabilities on the grid, for the text summary (not copied)
    train_accuracy, test_accuracy : float — for the text summary
    """

    image: np.ndarray
    extent: tuple[float, float, float, float]
    train_pred: np.ndarray
    train_fidelities: np.ndarray
    test_pred: np.ndarray
    lines: tuple = ()
    proba: np.ndarray | None = None
    grid_x: np.ndarray | None = None
    grid_y: np.ndarray | None = None
    train_accuracy: float = float("nan")
    test_accuracy: float = float("nan")


def _polyline(x0, y0, x1, y1) -> tuple[np.ndarray, np.ndarray]:
    """Segments as one line for Bokeh's ``line`` glyph: start, end and a NaN gap for each."""
    gap = np.full_like(x0, np.nan)
    return np.stack([x0, x1, gap], axis=1).ravel(), np.stack([y0, y1, gap], axis=1).ravel()


def _train_tooltips(n_classes: int) -> list[tuple[str, str]]:
    fids = " · ".join(f"@f{c}{{0.00}}" for c in range(n_classes))
    return [("training point", "(@x{0.00}, @y{0.00})"), ("label", "@label"), ("predicted", "@pred"),
            ("fidelities", fids)]


def _style_columns(y: np.ndarray) -> dict:
    """Per-point colour, marker and marker angle of each class label."""
    y = np.asarray(y, dtype=np.int64) % MAX_CLASSES
    return {
        "color": np.asarray(CLASS_COLORS, dtype=object)[y],
        "marker": np.asarray(CLASS_MARKERS, dtype=object)[y],
        "angle": np.asarray(MARKER_ANGLES)[y],
    }


class DecisionBoundaryView(pn.viewable.Viewer):
    """A Bokeh figure with the model's class regions (``image_rgba``) and the data on top.

    Classes differ by colour *and* marker; misclassified points get a dark ring; test points are drawn pale.
    Per frame the image changes, and the predictions when they change (``source.data.update``); the figure is
    built once.

    A click (or a touch tap) inside the square sets ``tap`` to its data coordinates; :meth:`nearest_point` says
    which training point, if any, lies under it. What a tap means (add a point, remove one) is the app's decision.

    Example
    -------
    >>> view = DecisionBoundaryView()
    >>> view.set_points(train.X, train.y, test.X, test.y, n_classes=2)      # doctest: +SKIP
    >>> view.update(snapshot)                                               # doctest: +SKIP
    >>> view.param.watch(lambda e: print(e.new, view.nearest_point(*e.new)), "tap")  # doctest: +SKIP
    """

    name_prefix = param.String(default="", constant=True, doc=(
        "Put before the name of every Bokeh model of this view, so that a second view on the same page (a pinned "
        "run) has names of its own, e.g. 'pinned-'."))
    show_test = param.Boolean(default=True, doc="Draw the test points (pale markers).")
    size = param.Integer(default=460, bounds=(200, 1200), doc="Width and height of the plot in pixels.")
    n_classes = param.Integer(default=2, bounds=(2, MAX_CLASSES), constant=True, doc="Classes shown in the legend.")
    tap = param.Tuple(
        default=None, allow_None=True, length=2,
        doc="Data coordinates (x, y) of the last click or tap inside [-1, 1]²; watchers are called on every tap, "
            "even one at the same place as the last.",
    )
    large = param.Boolean(default=False, doc="Projector mode: larger markers, thicker rings and larger axis text.")
    drawing = param.Boolean(default=False, doc="The person is drawing points: the title says what a click does.")

    def __init__(self, **params):
        super().__init__(**params)
        empty_img = np.zeros((1, 1), dtype=np.uint32)
        prefix = self.name_prefix
        self.image_source = ColumnDataSource(
            data={"image": [empty_img], "x": [-1.0], "y": [-1.0], "dw": [2.0], "dh": [2.0]},
            name=prefix + "boundary-image",
        )
        self.train_source = ColumnDataSource(data={k: [] for k in _TRAIN_COLUMNS}, name=prefix + "boundary-train")
        self.test_source = ColumnDataSource(data={k: [] for k in _TEST_COLUMNS}, name=prefix + "boundary-test")
        self.wrong_source = ColumnDataSource(data={"x": [], "y": []}, name=prefix + "boundary-wrong")
        self.test_wrong_source = ColumnDataSource(data={"x": [], "y": []}, name=prefix + "boundary-test-wrong")
        self.line_source = ColumnDataSource(data={"x": [], "y": []}, name=prefix + "boundary-line")
        self._train_X = np.empty((0, 2))
        self._test_X = np.empty((0, 2))
        self._train_y = np.empty(0, dtype=np.int64)
        self._test_y = np.empty(0, dtype=np.int64)
        self._shown_pred: np.ndarray | None = None
        self._shown_test_pred: np.ndarray | None = None
        self._points_title = ""
        self.figure = calm_plot(self._build_figure())
        self.figure.on_event(Tap, self._on_tap)
        self.param.watch(lambda e: self._show_title(), "drawing")
        self.param.watch(self._resize, "size")
        self.param.watch(self._emphasise, "large")
        self._show_title()
        self._pane = pn.pane.Bokeh(self.figure, sizing_mode="fixed", margin=(0, 12, 0, 0))
        self.legend = pn.pane.HTML("", stylesheets=[_LEGEND_CSS], margin=(0, 10, 4, 30), width=self.size - 30,
                                   styles={"max-width": "calc(100vw - 90px)"},
                                   name=prefix + "boundary-legend")
        self._set_legend(self.n_classes)
        # What the picture shows, in words, for screen readers (not drawn); refreshed at most every few seconds.
        self.summary = TextSummary(name=prefix + "boundary-summary", margin=0)
        self._summary_time = -math.inf

    def _emphasise(self, event=None) -> None:
        """Projector mode: markers half as large again, thicker rings, axis text of at least 20 px."""
        k = 1.5 if self.large else 1.0
        self._train_renderer.glyph.update(size=10 * k, line_width=1.0 * k)
        self._wrong_train.glyph.update(size=16 * k, line_width=2.0 * k)
        self._line_renderer.glyph.line_width = 2.0 * k
        for ax in (self.figure.xaxis, self.figure.yaxis):
            ax.axis_label_text_font_size = "22px" if self.large else "15px"
            ax.major_label_text_font_size = "20px" if self.large else "13px"

    def _resize(self, event) -> None:
        """A new ``size`` (a phone, a projector): the same figure, redrawn at that size."""
        self.figure.width = self.size
        self.figure.height = self.size + 10
        self._pane.param.update(width=self.size, height=self.size + 10)
        self.legend.width = self.size - 30

    # ------------------------------------------------------------------ construction (once)
    def _build_figure(self):
        s = self.size
        prefix = self.name_prefix
        fig = figure(
            width=s,
            height=s + 10,
            x_range=(-1.0, 1.0),
            y_range=(-1.0, 1.0),
            tools="pan,wheel_zoom,reset,save",
            toolbar_location="above",
            match_aspect=True,
            title="",
            name=prefix + "decision-boundary",
        )
        fig.toolbar.autohide = True
        fig.title.text_font_size = "15px"
        fig.xaxis.axis_label = "x₁"
        fig.yaxis.axis_label = "x₂"
        for ax in (fig.xaxis, fig.yaxis):
            ax.axis_label_text_font_size = "15px"
            ax.major_label_text_font_size = "13px"
        fig.grid.visible = False
        fig.background_fill_color = "#ffffff"
        fig.image_rgba(image="image", x="x", y="y", dw="dw", dh="dh", source=self.image_source, level="image")
        # The boundary as a dark line: it stands out (≥ 3 : 1) from every class's region, on a washed-out projector too.
        # One line broken by NaN gaps: the browser strokes it once per frame, not once per segment.
        self._line_renderer = fig.line("x", "y", source=self.line_source, line_color=OUTLINE_COLOR, line_width=2.0,
                                       line_alpha=0.9, name=prefix + "boundary-lines")

        # One renderer per point set, colour/marker/angle per point: a frame re-renders three glyphs, not fourteen.
        # Test points: pale, with the dark outline every point has (it stands out on every region).
        self._test_renderer = fig.scatter(
            "x", "y", source=self.test_source, marker="marker", angle="angle", size=_TEST_SIZE, fill_color="color",
            fill_alpha=0.4, line_color=OUTLINE_COLOR, line_width=_TEST_LINE, name=prefix + "test-points",
        )
        self._wrong_test = fig.scatter(
            "x", "y", source=self.test_wrong_source, marker="circle", size=_TEST_RING, fill_alpha=0.0,
            line_color=MISCLASSIFIED_COLOR, line_width=1.0, line_alpha=0.55, name=prefix + "test-wrong",
        )
        self._train_renderer = fig.scatter(
            "x", "y", source=self.train_source, marker="marker", angle="angle", size=10, fill_color="color",
            line_color=OUTLINE_COLOR, line_width=1.0, name=prefix + "train-points",
        )
        self._wrong_train = fig.scatter(
            "x", "y", source=self.wrong_source, marker="circle", size=16, fill_alpha=0.0,
            line_color=MISCLASSIFIED_COLOR, line_width=2.0, name=prefix + "train-wrong",
        )
        hover = HoverTool(
            renderers=[self._train_renderer],
            tooltips=_train_tooltips(2),
        )
        test_hover = HoverTool(
            renderers=[self._test_renderer],
            tooltips=[("test point", "(@x{0.00}, @y{0.00})"), ("label", "@label"), ("predicted", "@pred")],
        )
        fig.add_tools(hover, test_hover)
        self._hover = hover
        self._watch_show_test()
        self.param.watch(lambda e: self._watch_show_test(), "show_test")
        return fig

    def _watch_show_test(self):
        self._test_renderer.visible = self.show_test
        self._wrong_test.visible = self.show_test

    def _set_legend(self, n_classes: int) -> None:
        # An HTML legend: Bokeh's canvas legend is repainted with the plot on every frame, this one never is.
        items = "".join(
            f'<span class="item">{class_swatch_svg(c)}class {c}</span>' for c in range(n_classes)
        )
        items += '<span class="item"><span class="sym ring">◯</span>misclassified</span>'
        if len(self._test_y):
            items += '<span class="item"><span class="sym hollow">○</span>test points: pale</span>'
        self.legend.object = f'<div class="legend" aria-label="legend">{items}</div>'

    # ------------------------------------------------------------------ data (when the points change)
    def set_points(self, train_X, train_y, test_X=None, test_y=None, *, n_classes: int, n_features: int = 2) -> None:
        """Show a new set of points; predictions start empty until the next :meth:`apply`.

        ``train_X`` of shape (P, n_features), ``train_y`` (P,); ``test_X`` (M, n_features), ``test_y`` (M,).
        Only the first two features are drawn; with more, the boundary is the slice where the others are 0.
        """
        train_X = np.asarray(train_X, dtype=float)
        self._train_y = np.asarray(train_y, dtype=np.int64)
        P = len(self._train_y)
        self._train_X = np.column_stack([train_X[:, 0], train_X[:, 1] if train_X.shape[1] > 1 else np.zeros(P)])
        self.train_source.data = {
            "x": self._train_X[:, 0], "y": self._train_X[:, 1], "label": self._train_y,
            "pred": np.full(P, -1, dtype=np.int64), **_style_columns(self._train_y),
            **{k: np.full(P, np.nan, dtype=np.float32) for k in _FID_COLUMNS},
        }
        if test_X is None or test_y is None or len(test_y) == 0:
            self._test_y = np.empty(0, dtype=np.int64)
            self._test_X = np.empty((0, 2))
            self.test_source.data = {k: [] for k in _TEST_COLUMNS}
        else:
            test_X = np.asarray(test_X, dtype=float)
            self._test_y = np.asarray(test_y, dtype=np.int64)
            M = len(self._test_y)
            self._test_X = np.column_stack([test_X[:, 0], test_X[:, 1] if test_X.shape[1] > 1 else np.zeros(M)])
            self.test_source.data = {
                "x": self._test_X[:, 0], "y": self._test_X[:, 1], "label": self._test_y,
                "pred": np.full(M, -1, dtype=np.int64), **_style_columns(self._test_y),
            }
        scale = min(1.0, (_FULL_SIZE_TEST_POINTS / max(len(self._test_y), 1)) ** 0.5)
        self._test_renderer.glyph.update(size=max(3.0, _TEST_SIZE * scale), line_width=max(0.8, _TEST_LINE * scale))
        self._wrong_test.glyph.size = max(5.0, _TEST_RING * scale)
        self.wrong_source.data = {"x": [], "y": []}
        self.test_wrong_source.data = {"x": [], "y": []}
        self._shown_pred = self._shown_test_pred = None
        with param.edit_constant(self):
            self.n_classes = int(n_classes)
        self._hover.tooltips = _train_tooltips(int(n_classes))
        self._set_legend(int(n_classes))
        title = ""
        if n_features > 2:
            rest = ", ".join(f"x{chr(0x2080 + k + 1)}" for k in range(2, n_features))
            title = f"The slice at {rest} = 0 of a {n_features}-D problem"
        self._points_title = title
        self._show_title()

    def _show_title(self) -> None:
        self.figure.title.text = DRAWING_TITLE if self.drawing else self._points_title

    # ------------------------------------------------------------------ clicks
    def _on_tap(self, event: Tap) -> None:
        x, y = event.x, event.y
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            return
        if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):  # on the margin, or panned off the square
            return
        value = (float(x), float(y))
        if value == self.tap:
            self.param.trigger("tap")  # a second tap at the same place is a second tap (e.g. add, then remove)
        else:
            self.tap = value

    def nearest_point(self, x: float, y: float, radius: float = 0.04) -> int | None:
        """The index of the training point nearest to (x, y) within ``radius``, or None.

        Indices are rows of the ``train_X`` last given to :meth:`set_points` (its first two features); distances
        are Euclidean in data units (0.04 is about 8 pixels on the default 460-pixel plot). Of points at the same
        distance, the first wins.

        Examples
        --------
        >>> view = DecisionBoundaryView()
        >>> view.set_points([[0.0, 0.0], [0.5, 0.5]], [0, 1], n_classes=2)
        >>> view.nearest_point(0.49, 0.52), view.nearest_point(0.25, 0.25)
        (1, None)
        """
        if len(self._train_X) == 0:
            return None
        d2 = np.sum((self._train_X - np.array([x, y], dtype=float)) ** 2, axis=1)
        i = int(np.argmin(d2))
        return i if d2[i] <= radius * radius else None

    # ------------------------------------------------------------------ per frame
    @staticmethod
    def prepare(snapshot) -> BoundaryFrame:
        """Turn a :class:`~playground.trainer.TrainerSnapshot` into a :class:`BoundaryFrame` (thread-safe, numpy only)."""
        image = proba_to_rgba(snapshot.grid_proba)
        gx, gy = np.asarray(snapshot.grid_x), np.asarray(snapshot.grid_y)
        dx = (gx[-1] - gx[0]) / max(len(gx) - 1, 1)
        dy = (gy[-1] - gy[0]) / max(len(gy) - 1, 1)
        extent = (float(gx[0] - dx / 2), float(gy[0] - dy / 2), float(gx[-1] - gx[0] + dx), float(gy[-1] - gy[0] + dy))
        return BoundaryFrame(
            image=image,
            extent=extent,
            train_pred=np.asarray(snapshot.train_pred, dtype=np.int64),
            train_fidelities=np.asarray(snapshot.train_fidelities, dtype=np.float32),
            test_pred=np.asarray(snapshot.test_pred, dtype=np.int64),
            lines=_polyline(*boundary_segments(snapshot.grid_proba, gx, gy)),
            proba=snapshot.grid_proba, grid_x=gx, grid_y=gy,
            train_accuracy=float(snapshot.train_accuracy), test_accuracy=float(snapshot.test_accuracy),
        )

    def apply(self, frame: BoundaryFrame, *, details: bool = True) -> None:
        """Patch the sources with one frame (document thread).

        The image always changes. Predictions and rings are sent only when a prediction changed; the fidelities
        for the hover only with ``details`` (the app sends details a few times a second while playing, and on every frame
        when paused), so a frame mostly costs the browser one image.
        """
        x0, y0, dw, dh = frame.extent
        self.image_source.data.update(image=[frame.image], x=[x0], y=[y0], dw=[dw], dh=[dh])
        if frame.lines:
            self.line_source.data = {"x": frame.lines[0], "y": frame.lines[1]}
        now = time.monotonic()
        if details and frame.proba is not None and now - self._summary_time >= SUMMARY_INTERVAL:
            self._summary_time = now
            text = describe_boundary(frame.proba, frame.grid_x, frame.grid_y, test_accuracy=frame.test_accuracy,
                                     train_accuracy=frame.train_accuracy, n_test=len(self._test_y))
            self.summary.text = text
        if len(frame.train_pred) == len(self._train_y):
            changed = self._shown_pred is None or not np.array_equal(frame.train_pred, self._shown_pred)
            if changed:
                wrong = frame.train_pred != self._train_y
                self.wrong_source.data = {"x": self._train_X[wrong, 0], "y": self._train_X[wrong, 1]}
                self._shown_pred = frame.train_pred
            update = {"pred": frame.train_pred} if changed else {}
            if details:
                fid = frame.train_fidelities
                update.update({f"f{c}": fid[:, c] for c in range(min(fid.shape[1], MAX_CLASSES))})
            if update:
                self.train_source.data.update(**update)
        if len(self._test_y) and len(frame.test_pred) == len(self._test_y):
            if self._shown_test_pred is None or not np.array_equal(frame.test_pred, self._shown_test_pred):
                wrong = frame.test_pred != self._test_y
                self.test_wrong_source.data = {"x": self._test_X[wrong, 0], "y": self._test_X[wrong, 1]}
                self.test_source.data.update(pred=frame.test_pred)
                self._shown_test_pred = frame.test_pred

    def update(self, snapshot, *, show_test: bool | None = None) -> None:
        """Convenience for scripts and tests: :meth:`prepare` then :meth:`apply` on the current points."""
        if show_test is not None:
            self.show_test = show_test
        self.apply(self.prepare(snapshot))

    def __panel__(self):
        return pn.Column(self._pane, self.legend, self.summary, margin=0)
