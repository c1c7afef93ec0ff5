"""The playground page: one settings object, one session and one set of views per browser tab.

Serve it with ``playground serve`` (see :mod:`apps.serve`) or ``panel serve apps/playground_app.py``; with the
latter, add ``--check-unused-sessions 1000 --unused-session-lifetime 3000`` so that a closed tab's session (and
its training) is released within seconds, as ``playground serve`` does.
URL query arguments (``?dataset=moons&n_qubits=2&n_layers=8&resolution=150&playing=1``) preset the settings;
they are validated and clamped on the server, and every adjustment is shown as a notice.
"""

from __future__ import annotations

import logging
import time
from html import escape
from pathlib import Path

import numpy as np
import panel as pn
from bokeh.models import CustomJS

from widgets.bloch import BlochSphere
from widgets.circuit_diagram import CircuitDiagram
from widgets.controls import DataControls, ModelControls, PlaybackControls, TrainingControls
from widgets.decision_boundary import DecisionBoundaryView
from widgets.frame_clock import FrameClock
from widgets.layers import LayerView
from widgets.metrics import MetricsView
from widgets.run_status import RunStatus
from widgets.style import BLOCH_MARKERS, CLASS_COLORS

from apps.session import Frame, PlaygroundSession
from apps.settings import PlaygroundSettings, parse_query
from apps.workers import FramePool, frame_pool

__all__ = ["PlaygroundApp", "create_app", "PAGE_CSS", "TITLE"]

log = logging.getLogger("playground.apps")

TITLE = "Quantum re-uploading playground"
# Views other than the boundary and the numbers refresh at most this often while playing (seconds).
DETAIL_INTERVAL = 0.2
_DETAIL_VIEWS = ("metrics", "spheres", "layers")
_CSS_FILE = Path(__file__).resolve().parent.parent / "assets" / "playground.css"
PAGE_CSS = _CSS_FILE.read_text(encoding="utf-8")  # shipped as package data (pyproject: assets); never optional

_CARD_CSS = """
:host { background: #ffffff; border-radius: 10px; box-shadow: 0 1px 3px rgba(20, 23, 31, 0.12); }
.card-header { background: #ffffff !important; border-bottom: 1px solid #e5e7eb; }
.card-title, .card-title h3 { font-size: 17px !important; font-weight: 600; color: #14171f; margin: 4px 2px; }
"""
_NOTICE_CSS = """
.notice { background: #FFF4D6; border: 1px solid #E0B84C; border-radius: 8px; padding: 8px 12px; font-size: 15px;
          color: #3d2e00; max-width: 900px; }
"""
_HEADER_CSS = """
h1 { font-size: 24px; margin: 0; font-weight: 650; color: #ffffff; }
p { margin: 2px 0 0 0; color: #dbe4f0; font-size: 14px; }
"""


# Bokeh's slider handles carry role="slider" but no name; give each the text of its visible label ("Layers: 4"
# → "Layers") so that screen readers (and tests) can find them by name. Runs once the page has rendered, and
# again shortly after for views drawn late.
_NAME_SLIDERS_JS = """
function nameSliders() {
  const stack = [document];
  while (stack.length) {
    const root = stack.pop();
    for (const handle of root.querySelectorAll('[role="slider"]:not([aria-label])')) {
      const title = root.querySelector('.bk-slider-title');
      if (title && title.textContent) handle.setAttribute('aria-label', title.textContent.split(':')[0].trim());
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) stack.push(el.shadowRoot);
  }
}
nameSliders();
setTimeout(nameSliders, 500);
setTimeout(nameSliders, 2000);
"""


def _card(title: str, *objects, **kw) -> pn.Card:
    kw.setdefault("margin", (6, 6))
    return pn.Card(*objects, title=title, collapsible=kw.pop("collapsible", False), stylesheets=[_CARD_CSS],
                   header_background="#ffffff", **kw)


def _unit_ball(v: np.ndarray) -> np.ndarray:
    """Bloch vectors with float rounding clipped so that |r| <= 1 holds exactly."""
    v = np.asarray(v, dtype=np.float32)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1.0)


class PlaygroundApp(pn.viewable.Viewer):
    """Everything one tab shows. Data flows one way: settings → session → frame → views."""

    def __init__(self, query: dict | None = None, *, pool: FramePool | None = None, **params):
        super().__init__(**params)
        self.settings = PlaygroundSettings()
        values, notices = parse_query(query or {})
        autoplay = values.pop("playing", False)
        self.settings.param.update(values)
        self.session = PlaygroundSession(self.settings, pool=pool)

        self.status = RunStatus()
        self.boundary = DecisionBoundaryView(show_test=self.settings.show_test, size=420)
        self.metrics = MetricsView(width=240, height=220)
        self.layers = LayerView(sphere_size=300, mosaic_width=600)
        self.diagram = CircuitDiagram()
        self.clock = FrameClock()
        self.clock.param.watch(lambda e: self.session.acknowledge(e.new), "shown")
        self._spheres: list[BlochSphere] = []
        self._spheres_box = pn.FlexBox(sizing_mode="stretch_width", margin=(0, 0), gap="4px")
        self._train_y = np.empty(0, dtype=np.int64)
        self._detail_time = {v: 0.0 for v in _DETAIL_VIEWS}
        self._last_frame_time = 0.0
        self._notices = {"url": " ".join(notices), "session": ""}
        self._notice = pn.pane.HTML("", stylesheets=[_NOTICE_CSS], visible=False, margin=(4, 10), name="notice")
        self._show_notices()

        self.settings.param.watch(lambda e: setattr(self.boundary, "show_test", e.new), "show_test")
        self.session.param.watch(self._on_frame, "frame")
        self.session.param.watch(lambda e: self._show_notices(session=e.new), "notice")
        # What the URL changed stays on screen until the person starts training.
        self.settings.param.watch(lambda e: self._show_notices(url="") if e.new else None, "playing")
        self._layout = self._build_layout()
        self._autoplay = autoplay

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "PlaygroundApp":
        """Start computing frames: at once without a server, or once the browser has rendered the page.

        Served, the first frame waits for Panel's ``onload`` (the page's ``document_ready``): changes made to
        plain Bokeh models before the page is ready would not reach it, and a page that never connects costs
        nothing.
        """
        doc = pn.state.curdoc
        served = doc is not None and doc.session_context is not None
        if not served:
            self._begin(None)
            return self
        self.session.enable_browser_pacing()
        pn.state.on_session_destroyed(lambda ctx: self.session.close())
        doc.js_on_event("document_ready", CustomJS(code=_NAME_SLIDERS_JS))
        pn.state.onload(lambda: self._begin(doc))
        return self

    def _begin(self, doc) -> None:
        self.session.start(doc)
        if self._autoplay:
            self.settings.playing = True

    # ------------------------------------------------------------------ frame → views (document thread)
    def _on_frame(self, event) -> None:
        frame: Frame = event.new
        if frame is None or frame.snapshot is None:
            return
        now = time.monotonic()
        if frame.points is not None or frame.spec is not None or not self.settings.playing:
            due = list(_DETAIL_VIEWS)
        else:
            # While playing, the boundary and the numbers change every frame; the other views take turns, the
            # stalest first, so that one frame never costs the browser every view at once.
            stale = sorted((self._detail_time[v], v) for v in _DETAIL_VIEWS if now - self._detail_time[v] >= DETAIL_INTERVAL)
            period = now - self._last_frame_time
            due = [v for _, v in stale[: (1 if period < 0.08 else len(stale))]]
        self._last_frame_time = now
        with pn.io.hold():
            if frame.points is not None:
                tr, te = frame.points.train, frame.points.test
                self._train_y = tr.y
                self.boundary.set_points(tr.X, tr.y, te.X, te.y, n_classes=tr.n_classes, n_features=tr.n_features)
            if frame.spec is not None:
                self.diagram.spec = frame.spec
            self.boundary.apply(frame.boundary, details="metrics" in due)
            if "metrics" in due:
                self.metrics.update(frame.snapshot.history)
            if "layers" in due:
                self.layers.apply(frame.layers)
            if "spheres" in due:
                self._update_spheres(frame)
            self.status.param.update(
                epoch=frame.epoch, n_steps=frame.n_steps, loss=frame.loss,
                train_accuracy=frame.train_accuracy, test_accuracy=frame.test_accuracy,
            )
            if frame.serial:
                self.clock.frame = frame.serial
        for v in due:
            self._detail_time[v] = now

    def _update_spheres(self, frame: Frame) -> None:
        snap = frame.snapshot
        final = snap.final_bloch  # (P, Q, 3)
        Q = final.shape[1]
        if len(self._spheres) != Q:
            size = {1: 300, 2: 238, 3: 160, 4: 238}[min(Q, 4)]
            self._spheres = [
                BlochSphere(size=size, palette=list(CLASS_COLORS), markers=list(BLOCH_MARKERS),
                            title=f"qubit {q}" if Q > 1 else "final states", show_legend=(q == 0))
                for q in range(Q)
            ]
            self._spheres_box.objects = self._spheres
        labels = None if frame.uses_basis_states else _unit_ball(snap.label_bloch)
        for q, sphere in enumerate(self._spheres):
            sphere.update(points=_unit_ball(final[:, q]), classes=self._train_y, paths=None)
            if sphere.label_states is not None or labels is not None:
                sphere.label_states = labels

    def _show_notices(self, **changed: str) -> None:
        self._notices.update(changed)
        text = " ".join(t for t in self._notices.values() if t)
        # Plain text from the URL or the server: always escaped before it becomes HTML.
        self._notice.object = f'<div class="notice" role="alert">{escape(text)}</div>' if text else ""
        self._notice.visible = bool(text)

    # ------------------------------------------------------------------ layout
    def _build_layout(self):
        s = self.settings
        header = pn.pane.HTML(
            f"<h1>{escape(TITLE)}</h1><p>Train a data re-uploading quantum classifier (Pérez-Salinas et al., 2020) "
            "and watch it learn.</p>",
            stylesheets=[_HEADER_CSS], margin=(10, 16),
        )
        header_bar = pn.Row(header, styles={"background": "#1f3a5f"}, sizing_mode="stretch_width", margin=0)
        sidebar = pn.Column(
            _card("Data", DataControls(settings=s), collapsible=True),
            _card("Model", ModelControls(settings=s), collapsible=True),
            _card("Training", TrainingControls(settings=s), collapsible=True),
            width=300, margin=(0, 0),
        )
        toolbar = pn.Row(PlaybackControls(settings=s), self.status, align="center", margin=(8, 10))
        toolbar_card = pn.Card(pn.Column(toolbar, self._notice, margin=0), hide_header=True, stylesheets=[_CARD_CSS],
                               margin=(6, 6), sizing_mode="stretch_width")
        right = pn.Column(
            _card("Loss and accuracy", self.metrics, width=500),
            _card("Final states on the Bloch sphere", self._spheres_box, width=500),
            margin=0,
        )
        # A wrapping grid: side by side on a wide screen, one under the other on a narrow one or a projector.
        grid = pn.FlexBox(
            _card("Decision boundary", self.boundary),
            right,
            _card("Layer by layer", self.layers),
            _card("Circuit", self.diagram, sizing_mode="stretch_width"),
            flex_wrap="wrap", align_items="flex-start", sizing_mode="stretch_width", margin=0,
        )
        views = pn.Column(toolbar_card, grid, self.clock, sizing_mode="stretch_width", margin=0)
        return pn.Column(header_bar, pn.Row(sidebar, views, margin=(6, 6), sizing_mode="stretch_width"), margin=0,
                         sizing_mode="stretch_width")

    def __panel__(self):
        return self._layout


def create_app() -> pn.viewable.Viewable:
    """Build and start the page for the current session (the server calls this once per tab)."""
    query = dict(pn.state.session_args) if pn.state.curdoc is not None and pn.state.curdoc.session_context else {}
    app = PlaygroundApp(query, pool=frame_pool())
    app.start()
    return app


def _serve_resources_locally() -> None:
    """Make every stylesheet URL point at this server, also for components built later in frame callbacks.

    Panel picks CDN or server URLs from Bokeh's ``resources`` setting when a component is created; outside the
    page request (in a callback) that falls back to the CDN, which classrooms without internet cannot reach.
    """
    from bokeh.settings import settings as bokeh_settings

    bokeh_settings.resources.set_value("server")


_serve_resources_locally()
pn.extension(raw_css=[PAGE_CSS] if PAGE_CSS else [], notifications=False)

if __name__.startswith("bokeh"):  # `panel serve apps/playground_app.py`
    create_app().servable(title=TITLE)
