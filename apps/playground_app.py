"""The playground page: one settings object, one session and one set of views per browser tab.

Serve it with ``playground serve`` (see :mod:`apps.serve`) or ``panel serve apps/playground_app.py``; with the
latter, add ``--check-unused-sessions 1000 --unused-session-lifetime 3000`` so that a closed tab's session (and
its training) is released within seconds, as ``playground serve`` does.
URL query arguments (``?dataset=moons&n_qubits=2&n_layers=8&resolution=150&playing=1``) preset the settings;
they are validated and clamped on the server, and every adjustment is shown as a notice. The page keeps its
whole state in the address bar (the circuit as ``circuit=c1.…``), one history entry per edit, so Back undoes an
edit and the address is a share link; ``k=k1.…`` adds an exact checkpoint of the trained model.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import time
from contextlib import contextmanager
from dataclasses import replace
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import panel as pn
from bokeh.models import CustomJS

from playground.datasets import DATASETS
from playground.datasets import MAX_DRAWN, drawn_dataset, to_csv
from playground.experiment import DataSpec, Experiment, ExperimentError, TrainingSpec, file_history
from playground.export import to_openqasm3, to_pennylane_script, to_torch_module
from playground.links import LinkError, decode_checkpoint, decode_points, encode_checkpoint, encode_points, quantise_points
from playground.optim import make_optimizer
from playground.trainer import HISTORY_FIELDS
from widgets.announcer import Announcer, TextSummary
from widgets.bloch import BlochSphere
from widgets.circuit_editor import CircuitEditor
from widgets.class_link import ClassLinkControls
from widgets.controls import DataControls, ModelControls, PlaybackControls, TrainingControls
from widgets.decision_boundary import DecisionBoundaryView
from widgets.describe import SUMMARY_INTERVAL, curve_table_html, describe_bloch
from widgets.frame_clock import FrameClock
from widgets.layers import LayerView
from widgets.lesson_panel import LessonPanel
from widgets.metrics import MetricsView
from widgets.run_status import RunStatus
from widgets.share import ShareControls
from widgets.design import PlaygroundDesign
from widgets.keyboard import KeyboardShortcuts
from widgets.skip_link import SkipLink
from widgets.style import BLOCH_MARKERS, CLASS_COLORS
from widgets.url_state import UrlState
from widgets.viewport import Viewport

from apps.admission import Admission, IdleClock, close_connections
from apps.admission import admission as server_admission
from apps.classroom import CLASS_GROUPS, GROUP_LABELS, decode_class, encode_class
from apps.compare import decode_pin, encode_pin, pinned_frame
from apps import input_bounds
from apps.explanations import EXPLANATIONS
from apps.gallery import GALLERY, GalleryEntry
from apps.lessons import LESSONS, Lesson, goal_state, step_state
from apps.session import Frame, PlaygroundSession
from apps.settings import (
    BATCH_SIZES, LEARNING_RATES, MAX_LAYERS, MAX_POINTS, MAX_QUBITS, QUERY_KEYS, PlaygroundSettings, parse_query,
    query_text, to_query,
)
from apps.workers import FramePool, frame_pool

__all__ = ["PlaygroundApp", "create_app", "PAGE_CSS", "TITLE"]

log = logging.getLogger("playground.apps")

TITLE = "Quantum re-uploading playground"
# Views other than the boundary and the numbers refresh at most this often while playing (seconds).
DETAIL_INTERVAL = 0.2
# While training, the live region says how it goes at most this often (seconds): a screen reader keeps up.
ANNOUNCE_INTERVAL = 5.0
# The idle clock is looked at least this often (seconds): a closed tab's document is freed at most this long after.
IDLE_CHECK_S = 5.0
# A released page gets its message this long before the server closes its connection (milliseconds).
RELEASE_GRACE_MS = 1500
_DETAIL_VIEWS = ("metrics", "spheres", "layers")
_TOO_LARGE = ("This model's state is too large for a link: the link has the settings and circuit only. "
              "Download the experiment file instead.")
# The page's stylesheets and script live in `assets/`, shipped as package data (pyproject: assets); never optional.
_ASSETS = Path(__file__).resolve().parent.parent / "assets"
_CSS_FILE = _ASSETS / "playground.css"
PAGE_CSS = _CSS_FILE.read_text(encoding="utf-8")


def _asset_text(name: str) -> str:
    """The text of ``assets/<name>``, read once when this module is imported."""
    return (_ASSETS / name).read_text(encoding="utf-8")


_CARD_CSS = _asset_text("card.css")
_NOTICE_CSS = _asset_text("notice.css")
_TABLE_CSS = _asset_text("curve_table.css")
_HEADER_CSS = _asset_text("header.css")
_EXPLAIN_CSS = _asset_text("explain.css")
_EXPLAIN_CARD_CSS = _asset_text("explain_card.css")

# Bokeh's slider handles carry role="slider" but no name; give each the text of its visible label ("Layers: 4"
# → "Layers") so that screen readers (and tests) can find them by name. A checkbox's text sits beside it, not in
# a <label>: name the box after it and let a click on the text toggle the box, as a label would. Runs once the
# page has rendered, and again shortly after for views drawn late.
_NAME_SLIDERS_JS = _asset_text("name_sliders.callback.js")


def _card(title: str, *objects, **kw) -> pn.Card:
    kw.setdefault("margin", (6, 6))
    return pn.Card(*objects, title=title, collapsible=kw.pop("collapsible", False), stylesheets=[_CARD_CSS],
                   header_background="#ffffff", **kw)


def _some(*objects) -> list:
    return [o for o in objects if o is not None]


def _explain(view: str, width: int) -> pn.Card:
    """A view's explanation, collapsed, as wide as the view: one click on "What does this show?" opens it."""
    e = EXPLANATIONS[view]
    body = pn.pane.HTML(f'<div class="explain"><p>{escape(e.text)}</p><p class="formula">{escape(e.formula)}</p></div>',
                        stylesheets=[_EXPLAIN_CSS], width=width - 20, margin=(0, 4))
    return pn.Card(body, title="What does this show?", collapsed=True, collapsible=True, width=width,
                   margin=(4, 6), name=f"explain-{view}", stylesheets=[_EXPLAIN_CARD_CSS])


def _unit_ball(v: np.ndarray) -> np.ndarray:
    """Bloch vectors with float rounding clipped so that |r| <= 1 holds exactly."""
    v = np.asarray(v, dtype=np.float32)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1.0)


class PlaygroundApp(pn.viewable.Viewer):
    """Everything one tab shows. Data flows one way: settings → session → frame → views."""

    def __init__(self, query: dict | None = None, *, pool: FramePool | None = None,
                 admission: Admission | None = None, **params):
        super().__init__(**params)
        self.settings = PlaygroundSettings()
        query = dict(query or {})
        checkpoint, notices = _read_checkpoint(query.pop("k", None))
        self._class, class_notices = decode_class(query.pop("class", None))
        pin_query, pin_notices = decode_pin(query.pop("pin", None))
        class_notices += pin_notices
        self._lesson, self._lesson_index, lesson_notices = _read_lesson(query.pop("lesson", None), query.pop("step", None))
        values, url_notices = parse_query(query)
        notices += class_notices + lesson_notices + url_notices
        autoplay = values.pop("playing", False)
        if self._lesson is not None:  # the step's state, then what the address adds to it
            values = {**step_state(self._lesson, self._lesson_index)[0], **values}
        defaults = {k: self.settings.param[k].default for k in self._class.locked if k != "circuit"}
        overridden = sorted(k for k in values if k in self._class.locked
                            and values[k] != self._class.values.get(k, defaults.get(k, values[k])))
        if overridden:
            notices.append(f"{', '.join(overridden)}: set by the class link; the address cannot change "
                           f"{'it' if len(overridden) == 1 else 'them'}.")
        self._apply_values(values)
        self._apply_values(self._class.values, locked_too=True)
        self.session = PlaygroundSession(self.settings, pool=pool)
        # Admission control (served): a cap on sessions training at once, and the idle pause and release.
        self.admission = admission
        if admission is not None:
            self.session.play_gate = admission.play_refusal
        policy = admission.policy if admission is not None else None
        self._idle = IdleClock(policy.idle_seconds if policy else 0.0, policy.release_seconds if policy else 0.0)
        self._idle_handle = None
        self._ticket = None
        self._pausing_by_itself = False
        self._released = False
        if checkpoint is not None:
            self.session.load(checkpoint=checkpoint)

        self.status = RunStatus()
        self.boundary = DecisionBoundaryView(show_test=self.settings.show_test, size=420)
        self.metrics = MetricsView(width=240, height=220)
        self.layers = LayerView(sphere_size=300, mosaic_width=600)
        self.editor = CircuitEditor(spec=self.settings.circuit, max_qubits=MAX_QUBITS, max_layers=MAX_LAYERS)
        self.url = UrlState(on_navigate=self._on_navigate)
        self.share = ShareControls(make_file=self.make_file, load_file=self.load_file)
        self.gallery_buttons = [self._gallery_button(entry) for entry in GALLERY.values()]
        self._gallery_text = pn.pane.HTML("", width=266, margin=(4, 10))
        # Compare: a pinned run beside the live one (its boundary, curves and numbers), rebuilt from ``pin=``.
        self.pin_boundary = DecisionBoundaryView(show_test=self.settings.show_test, size=300, name_prefix="pinned-")
        self.pin_metrics = MetricsView(width=200, height=150, name_prefix="pinned-")
        self.pin_status = pn.pane.HTML("", margin=(0, 8), name="pinned-status")
        self.pin_button = pn.widgets.Button(label="Pin for comparison", width=190, height=44, margin=(0, 4),
                                            color="primary", variant="outline",
                                            stylesheets=[":host .bk-btn{font-size:max(16px,var(--pg-min-font,0px))}"],
                                            description="Keep this run's picture beside the live one")
        self.pin_button.on_click(lambda e: self.pin())
        self.unpin_button = pn.widgets.Button(label="Unpin", width=90, margin=(4, 8))
        self.unpin_button.on_click(lambda e: self.unpin())
        self._pin_token: str | None = None
        self._pin_query: str | None = None  # the live address being pinned, until its checkpoint arrives
        # A phone: the controls fold into a drawer and the views take the screen's width.
        self.viewport = Viewport()
        self.drawer = pn.widgets.Toggle(label="☰ Settings and data", value=False, visible=False, height=44,
                                        sizing_mode="stretch_width", margin=(6, 6))
        self.class_link = ClassLinkControls(options={GROUP_LABELS[g]: g for g in CLASS_GROUPS})
        self.class_link.param.watch(lambda e: self._update_link(), "hidden")
        self.lesson_panel = LessonPanel(options={name: lesson.title for name, lesson in LESSONS.items()})
        self.lesson_panel.param.watch(lambda e: self.start_lesson(self.lesson_panel.choice), "start")
        self.lesson_panel.param.watch(lambda e: self.next_step(), "next")
        self.lesson_panel.param.watch(lambda e: self.enter_step(self._lesson_index - 1), "previous")
        self.lesson_panel.param.watch(lambda e: self.show_solution(), "show_me")
        self.lesson_panel.param.watch(lambda e: self.leave_lesson(), "leave")
        # Keyboard and screen readers: shortcuts, a link past the sidebar, and a live region that tells progress.
        self.keys = KeyboardShortcuts(on_command=self.shortcut, margin=(0, 4))
        self.skip_link = SkipLink(target="pg-play")
        self.announcer = Announcer()
        self._announced_at = -math.inf
        self._announced_step: int | None = None
        self._pause_pending = False
        # The spheres in words (for screen readers), and the curves as a table (for anyone who asks).
        self._spheres_summary = TextSummary(name="spheres-summary", margin=0)
        self._spheres_summary_time = -math.inf
        self.curve_table_toggle = pn.widgets.Toggle(label="Show as a table", value=False, width=150, margin=(0, 10))
        self.curve_table = pn.pane.HTML("", visible=False, name="curve-table", stylesheets=[_TABLE_CSS],
                                        sizing_mode="stretch_width", margin=(4, 10))
        self._history = None
        self._table_time = -math.inf
        self.curve_table_toggle.param.watch(self._show_curve_table, "value")
        self.clock = FrameClock()
        self.clock.param.watch(lambda e: self.session.acknowledge(e.new), "shown")
        self._spheres: list[BlochSphere] = []
        self._spheres_box = pn.FlexBox(sizing_mode="stretch_width", margin=(0, 0), gap="4px")
        self._train_y = np.empty(0, dtype=np.int64)
        self._detail_time = {v: 0.0 for v in _DETAIL_VIEWS}
        self._last_frame_time = 0.0
        self._notices = {"url": " ".join(notices), "session": "", "file": "", "lesson": "", "pause": ""}
        self._url_notices = bool(notices)
        self._url_mode: str | None = None  # the strongest write asked for since the last one
        self._url_scheduled = False
        self._url_live = False  # the address bar is written only once the page is up
        self._edit_mode = "auto"
        self._url_batch = 0
        self._doc = None
        self._notice = pn.pane.HTML("", stylesheets=[_NOTICE_CSS], visible=False, margin=(4, 10), name="notice")
        self._show_notices()

        self.settings.param.watch(lambda e: setattr(self.boundary, "show_test", e.new), "show_test")
        self.settings.param.watch(lambda e: self._project(), "projector")
        # Drawing: a tap on the boundary adds a point of the chosen class, or removes the point under it.
        self.boundary.drawing = self.settings.drawing
        self.settings.param.watch(lambda e: setattr(self.boundary, "drawing", e.new), "drawing")
        self.boundary.param.watch(self._on_tap, "tap")
        self.settings.param.watch(lambda e: self._set_points(np.empty((0, 2)), np.empty(0, dtype=np.int64)),
                                  "clear_points")
        # The circuit editor and the settings hold the same circuit; an edit in either shows in both.
        self.editor.param.watch(self._on_editor_spec, "spec")
        self.settings.param.watch(self._on_settings_circuit, "circuit")
        self.settings.param.watch(self._on_url_setting, [k for k in QUERY_KEYS if k != "playing"])
        self.share.param.watch(self._on_with_model, "with_model")
        self.url.param.watch(lambda e: self._update_link(), "base")
        self.settings.param.watch(self._on_pause, "playing")
        self.session.param.watch(self._on_frame, "frame")
        self.session.param.watch(lambda e: self._show_notices(session=e.new), "notice")
        # What the URL changed, and why training paused by itself, stay on screen until the person starts training.
        self.settings.param.watch(lambda e: self._show_notices(url="", pause="") if e.new else None, "playing")
        self.clock.param.watch(lambda e: self._soon(self._on_hidden) if e.new else None, "hidden")
        self._layout = self._build_layout()
        self._watch_input()
        self._narrow = False
        self.viewport.param.watch(lambda e: self._fit_soon(), "window_width")
        self.drawer.param.watch(lambda e: self._fit(self.viewport.window_width), "value")
        self._project()
        self._autoplay = autoplay
        if pin_query is not None:
            frame, pinned, pin_notices = pinned_frame(pin_query)
            if frame is None:
                self._notices["url"] = " ".join(t for t in (self._notices["url"], *pin_notices) if t)
                self._show_notices()
            else:
                self._pin_token = encode_pin(pin_query)
                self._show_pin(frame, pinned, frame.points.train, frame.points.test)
        if self._lesson is not None:
            self._show_step()

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
        pn.state.on_session_destroyed(lambda ctx: self.session.close(document_gone=True))
        if self.admission is not None:  # counted as a session until it starts (or its page never connects)
            self._ticket = self.admission.ticket()
        pn.state.on_session_destroyed(lambda ctx: self._session_gone())
        self.clock.watch_visibility(doc)
        doc.js_on_event("document_ready", CustomJS(code=_NAME_SLIDERS_JS))
        pn.state.onload(lambda: self._begin(doc))
        return self

    def _begin(self, doc) -> None:
        self._doc = doc
        self.session.start(doc)
        if self._ticket is not None:
            self._ticket.started()
        self._idle.touch()
        self._schedule_idle_check(self._idle.poll()[1])
        self._url_live = True
        if self._url_notices:  # the address bar drops what was ignored or clamped
            self._request_url("replace")
        self._update_link()
        if self._autoplay:
            self.settings.playing = True
        if self.clock.hidden:  # the page opened in a background tab, and said so before it started
            self._on_hidden()

    # ------------------------------------------------------------------ idle, hidden and released (admission)
    def _watch_input(self) -> None:
        """Every change a person makes is input for the idle clock: settings (Play, Step, Reset, every control, the
        circuit editor, drawing, the keyboard), lessons, sharing and the page's own buttons. Not input: the frame
        clock's acknowledgements, the browser's reports of its size and visibility, and the pauses the page makes by
        itself."""
        def touch(*events) -> None:
            if not self._pausing_by_itself:
                self._idle.touch()

        self.settings.param.watch(touch, [name for name in self.settings.param if name != "name"])
        self.lesson_panel.param.watch(touch, ["start", "choice", "next", "previous", "show_me", "leave"])
        self.share.param.watch(touch, ["with_model", "point_x1", "point_x2"])
        self.class_link.param.watch(touch, ["hidden"])
        self.boundary.param.watch(touch, ["tap"])
        for widget in (self.curve_table_toggle, self.drawer):
            widget.param.watch(touch, ["value"])
        for button in (self.pin_button, self.unpin_button, *self.gallery_buttons):
            button.param.watch(touch, ["clicks"])

    def _soon(self, fn) -> None:
        """Run ``fn`` on the document's own turn when served (a message from the browser arrives outside it, where
        changes to the page would not all reach it), else at once."""
        doc = self._doc
        if doc is not None and doc.session_context is not None:
            doc.add_next_tick_callback(fn)
        else:
            fn()

    def _pause_by_itself(self, reason: str) -> None:
        """Pause training for a reason that is not the person's (no input for long, a hidden tab) and say why in the
        notice; such a pause is not input, and nothing is computed until the person presses Play."""
        if not self.settings.playing or self._released:
            return
        self._pausing_by_itself = True
        try:
            self.settings.playing = False
        finally:
            self._pausing_by_itself = False
        self._show_notices(pause=reason)

    def _on_hidden(self) -> None:
        """The tab was hidden: a tab nobody sees trains nothing."""
        if self.clock.hidden:
            self._pause_by_itself("Paused while the tab was hidden — press Play to continue.")

    def _schedule_idle_check(self, seconds: float) -> None:
        if self._doc is None or self._released or not math.isfinite(seconds):
            return
        # One timer at a time: input moves the deadline, and a check that comes early sets the next one. Never a
        # long one: asyncio keeps a cancelled timer (and the context it holds, this tab's document with it) until
        # its time comes, so a closed tab's memory would wait for a ten-minute timer.
        seconds = min(seconds, IDLE_CHECK_S)
        self._idle_handle = self._doc.add_timeout_callback(self._check_idle, max(50, int(1000 * seconds) + 20))

    def _check_idle(self) -> None:
        """What the time without input asks for: pause training (once), or release the session."""
        self._idle_handle = None
        if self._released or self.session.closed:
            return
        due, wait = self._idle.poll()
        if due == "release":
            self.release()
            return
        if due == "pause":
            self._pause_by_itself(f"Paused after {_minutes(self._idle.idle_s / 60)} without input — press Play to "
                                  "continue.")
        self._schedule_idle_check(wait)

    def release(self) -> None:
        """Close this tab's session after a long time without input: its training stops, its place and memory on
        the server are freed, and the page says so and how to come back (a reload, with the settings of the
        address). The server closes the connection a moment later, once the page has the message; Panel serves
        pages with Bokeh's reconnection off (``pn.config.reconnect``, False by default), so the page stays as it is
        and opens no new session."""
        if self._released:
            return
        self._released = True
        self._stop_idle_check()
        self.session.close()
        if self._ticket is not None:
            self._ticket.ended()
        minutes = _minutes(self._idle.release_s / 60)
        message = pn.pane.HTML(
            '<div class="notice" role="alert"><p><b>This page was closed to make room for others.</b></p>'
            f"<p>Nothing was done on it for {escape(minutes)}, so the server let its place go. "
            '<a href="">Reload the page</a> to start again: the settings in the address are kept.</p></div>',
            stylesheets=[_NOTICE_CSS], margin=(12, 16), name="released")
        self.skip_link.visible = False
        self._body.visible = False
        self._layout.append(message)
        doc = self._doc
        if doc is not None and doc.session_context is not None:
            doc.add_timeout_callback(lambda: close_connections(doc, "closed after a long time without input"),
                                     RELEASE_GRACE_MS)
        log.info("released a session after %s without input", minutes)

    def _stop_idle_check(self) -> None:
        if self._doc is not None and self._idle_handle is not None:
            try:
                self._doc.remove_timeout_callback(self._idle_handle)
            except ValueError:  # it already ran
                pass
        self._idle_handle = None

    def _session_gone(self) -> None:
        """The server destroyed this tab's session (closed tab, released page): its timers went with its document."""
        self._idle_handle = None
        self._released = True
        self.share.dispose()
        self.class_link.dispose()
        if self._ticket is not None:
            self._ticket.ended()

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
            if frame.model_spec is not None and frame.model_spec == self.editor.spec and "metrics" in due:
                self.editor.params = frame.circuit_params
            self.boundary.apply(frame.boundary, details="metrics" in due)
            if "metrics" in due:
                self.metrics.update(frame.snapshot.history)
                self._history = frame.snapshot.history
                if self.curve_table.visible and (now - self._table_time >= SUMMARY_INTERVAL or not self.settings.playing):
                    self._table_time = now  # an HTML pane's change costs the document a re-scan: not every frame
                    self.curve_table.object = _scrolling_table(self._history)
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
            self._announce(frame, now)
            self._check_goal(frame)  # after the progress report: "Goal met" is the news of this frame
        if frame.checkpoint is not None and self._pin_query is not None:
            try:
                self._pin_token = encode_pin(f"{self._pin_query}&k={_checkpoint_text(frame.checkpoint)}")
            except LinkError:  # a model too large for a link: the pin stays on this page only
                self._show_notices(file="This model is too large to travel in a link: the pinned run stays on this "
                                        "page only.")
            self._pin_query = None
            self._request_url("replace")
        for v in due:
            self._detail_time[v] = now
        if frame.checkpoint is not None and self.share.with_model:
            self._update_link(frame.checkpoint)

    def _announce(self, frame: Frame, now: float) -> None:
        """Tell a screen reader how training goes: every few seconds while playing, at once after a step, a reset or
        a pause (never on the page's first frame)."""
        first = self._announced_step is None
        if self.settings.playing:
            if now - self._announced_at < ANNOUNCE_INTERVAL:
                return
            prefix = "Training"
        elif frame.n_steps == self._announced_step or first:
            self._announced_step, self._pause_pending = frame.n_steps, False
            return
        elif self._pause_pending:
            prefix = "Paused"
        else:
            prefix = "Reset" if frame.n_steps == 0 else "Step"
        self._pause_pending = False
        self._announced_at, self._announced_step = now, frame.n_steps
        self.announcer.text = f"{prefix}: {progress_text(frame)}"

    def shortcut(self, command: str) -> None:
        """A keyboard shortcut: ``play`` (toggles), ``step``, ``reset``, or ``next`` (the open lesson's next step)."""
        if command == "play":
            self.settings.playing = not self.settings.playing
        elif command in ("step", "reset"):
            self.settings.param.trigger(command)
        elif command == "next" and self._lesson is not None and "lessons" not in self._class.hidden:
            self.next_step()

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
        now = time.monotonic()
        if now - self._spheres_summary_time >= SUMMARY_INTERVAL or not self.settings.playing:
            self._spheres_summary_time = now
            self._spheres_summary.text = " ".join(
                describe_bloch(final[:, q], self._train_y, title=f"Bloch sphere of qubit {q}") for q in range(Q))

    def _show_curve_table(self, event) -> None:
        """The curves, or the same numbers as a table (a screen reader reads a table, not a plot)."""
        self.metrics_box.visible = not event.new
        self.curve_table.visible = event.new
        if event.new and self._history is not None:
            self.curve_table.object = _scrolling_table(self._history)

    def _show_notices(self, **changed: str) -> None:
        self._notices.update(changed)
        text = " ".join(t for t in self._notices.values() if t)
        # Plain text from the URL or the server: always escaped before it becomes HTML.
        self._notice.object = f'<div class="notice" role="alert">{escape(text)}</div>' if text else ""
        self._notice.visible = bool(text)

    # ------------------------------------------------------------------ the circuit, the address bar and links
    def _apply_values(self, values: dict, *, locked_too: bool = False) -> None:
        """Set validated setting values; a circuit goes last, so that it wins over the shape settings. Settings a
        class link locks are left alone (everything on the page that sets values comes through here)."""
        values = {k: v for k, v in values.items() if locked_too or k not in self._class.locked}
        circuit = values.pop("circuit", None)
        self.settings.param.update(values)
        if circuit is not None:
            self.settings.circuit = circuit.with_n_features(self.settings.circuit.n_features)

    @contextmanager
    def _one_entry(self, mode: str = "push"):
        """Changes made inside make one address-bar write (one history entry with ``push``: Back undoes them);
        the outermost block sets the mode."""
        outermost = not self._url_batch
        if outermost:
            self._edit_mode = mode
        self._url_batch += 1
        try:
            yield
        finally:
            self._url_batch -= 1
            if outermost:
                self._edit_mode = "auto"
                if self._url_mode is not None:
                    self._request_url(self._url_mode)

    def _on_editor_spec(self, event) -> None:
        if event.new != self.settings.circuit:
            with self._one_entry("push"):  # one history entry per edit: Back undoes it
                self.settings.circuit = event.new

    def _on_settings_circuit(self, event) -> None:
        if event.new != self.editor.spec:
            self.editor.spec = event.new

    def _on_url_setting(self, *events) -> None:
        self._request_url(self._edit_mode)

    def _request_url(self, mode: str) -> None:
        """Write the state to the address bar once the current change is complete (next tick, when served)."""
        if not self._url_live:
            return
        rank = {"auto": 0, "push": 1, "replace": 2}
        if self._url_mode is None or rank[mode] > rank[self._url_mode]:
            self._url_mode = mode
        if self._url_batch:
            return  # written once the batch ends
        if self._doc is None:
            self._flush_url()
        elif not self._url_scheduled:
            self._url_scheduled = True
            self._doc.add_next_tick_callback(self._flush_url)

    def _address(self) -> str:
        """The page's query string: the settings, and the lesson step when one is open."""
        parts = [to_query(self.settings)]
        if self._lesson is not None:
            parts.append(f"lesson={self._lesson.name}&step={self._lesson_index + 1}")
        if self._class:
            parts.append(f"class={self._class.token}")
        if self._pin_token is not None:
            parts.append(f"pin={self._pin_token}")
        return "&".join(p for p in parts if p)

    def _flush_url(self) -> None:
        mode, self._url_mode, self._url_scheduled = self._url_mode or "auto", None, False
        query = self._address()
        if ("?" + query if query else "") != self.url.search:  # the same address twice is one entry
            self.url.show(query, mode=mode)
        self._update_link(query=query)

    def _on_navigate(self, search: str) -> None:
        """Back or Forward: apply the state of that address (defaults for what it leaves out), pushing nothing."""
        args = {k: v for k, v in parse_qs(search.lstrip("?"), keep_blank_values=True).items() if k not in ("k",)}
        lesson, index, lesson_notices = _read_lesson(args.pop("lesson", None), args.pop("step", None))
        self._lesson, self._lesson_index = lesson, index
        self._show_step()
        values, notices = parse_query(args)
        notices = lesson_notices + notices
        values.pop("playing", None)
        full = {k: self.settings.param[k].default for k in QUERY_KEYS if k not in ("playing", "circuit")}
        full.update(values)
        with self._one_entry("replace"):  # the address already says this: rewrite, never push
            self._apply_values(full)
        self._show_notices(url=" ".join(notices))

    def _update_link(self, checkpoint: dict | None = None, *, query: str | None = None) -> None:
        """The share link: the address (``query``, computed when not given), plus the checkpoint when asked for."""
        if query is None:
            query = self._address()
        if not self._class:
            token = encode_class(self.class_link.hidden, self.settings) if self.class_link.hidden else ""
            self.class_link.link = self.url.link("?" + "&".join(p for p in (query, token and f"class={token}") if p)) \
                if token else "Tick what to hide first."
        if self.share.with_model:
            if checkpoint is None:
                return  # the next paused frame brings one
            try:
                k = _checkpoint_text(checkpoint)
            except LinkError:  # even without its curve, a big model's optimizer state does not fit a link
                self.share.message = _TOO_LARGE
                k = None
            if k is not None:
                query = f"{query}&k={k}" if query else f"k={k}"
                if self.share.message == _TOO_LARGE:
                    self.share.message = ""
        self.share.link = self.url.link("?" + query if query else "")

    def _on_with_model(self, event) -> None:
        self.session.checkpoints = bool(event.new)
        if event.new:
            self.share.link = "Making the link…" if self.settings.playing else self.share.link
            self.session.request_checkpoint()
        else:
            self._update_link()

    def _on_pause(self, event) -> None:
        frame = self.session.frame
        if not event.new and frame is not None and self._announced_step is not None:
            self._announced_at, self._announced_step = time.monotonic(), frame.n_steps
            self.announcer.text = f"Paused: {progress_text(frame)}"
            # A frame computed before the pause may still arrive: it is the pause's, not a step's.
            self._pause_pending = self.session.in_flight
        if not event.new and self.share.with_model:
            self.session.request_checkpoint()

    # ------------------------------------------------------------------ screen sizes
    NARROW = 760  # CSS pixels: below this the controls fold into a drawer and the views take the full width

    def _fit_soon(self) -> None:
        """The browser reported its size: lay the page out on the document's own turn (a message from the browser
        arrives outside it, where changes to the layout would not all reach the page)."""
        doc = self._doc or pn.state.curdoc
        if doc is not None and doc.session_context is not None:
            doc.add_next_tick_callback(lambda: self._fit(self.viewport.window_width))
        else:
            self._fit(self.viewport.window_width)

    def _project(self) -> None:
        """Projector mode on or off: type of at least 20 px everywhere (CSS variables reach inside every widget),
        thick lines, large markers and large views."""
        on = bool(self.settings.projector)
        self._layout.styles = {"--bokeh-font-size": "20px", "--pg-min-font": "20px"} if on else {}
        for view in (self.boundary, self.pin_boundary, self.metrics, self.pin_metrics):
            view.large = on
        if self._sidebar is not None:  # room for the dataset names and labels in large type
            self._sidebar.width = 360 if on else 300
        self._fit(self.viewport.window_width or 1366)

    def _fit(self, width: int) -> None:
        """Lay the page out for a window ``width`` pixels wide (the browser reports it; 0 before it does)."""
        if not width:
            return
        narrow = width < self.NARROW
        room = max(260, width - 24)  # the views' width on a narrow screen, inside the page margins
        sidebar = self._sidebar
        self.drawer.visible = narrow and sidebar is not None
        if sidebar is not None:
            if narrow and sidebar in self._body.objects:
                self._body.objects = [self._views]
            if narrow:
                inside = sidebar in self._views.objects
                if self.drawer.value and not inside:
                    self._views.insert(1, sidebar)
                elif not self.drawer.value and inside:
                    self._views.remove(sidebar)
            elif sidebar not in self._body.objects:
                if sidebar in self._views.objects:
                    self._views.remove(sidebar)
                self._body.objects = [sidebar, self._views]
        big = bool(self.settings.projector)
        self.boundary.size = min(560 if big else 420, room - 40) if narrow else (560 if big else 420)
        self.pin_boundary.size = min(300, room - 40) if narrow else 300
        self.layers.mosaic_width = max(200, room - 30) if narrow else 600
        self.layers.sphere_size = min(300, room - 40) if narrow else 300
        for name, width_wide in (("curves", 620 if big else 500), ("spheres", 500)):
            if name in self._groups:
                self._groups[name].width = room if narrow else width_wide
        self._pin_card.width = room if narrow else 440
        for view, card in self._explain_cards.items():
            wide = {"boundary": self.boundary.size, "curves": 470, "spheres": 470, "layers": 600}[view]
            card.width = min(wide, room - 20) if narrow else wide
            card.objects[0].width = card.width - 20
        self._narrow = narrow

    # ------------------------------------------------------------------ compare
    def pin(self) -> None:
        """Keep the run on screen beside the live one; its exact model follows in the next frame's checkpoint."""
        frame, trainer = self.session.frame, self.session._trainer
        if frame is None or frame.snapshot is None or trainer is None:
            return
        self._show_pin(frame, self.settings, trainer.train, trainer.test)
        self._pin_query = to_query(self.settings, skip=("playing",))
        self.session.request_checkpoint()

    def unpin(self) -> None:
        self._pin_token = self._pin_query = None
        self._pin_card.visible = False
        self._request_url("push")

    def _show_pin(self, frame: Frame, settings: PlaygroundSettings, train, test) -> None:
        spec = frame.model_spec
        test = test if test is not None else train.subset(slice(0, 0))
        self.pin_boundary.set_points(train.X, train.y, test.X, test.y, n_classes=frame.n_classes,
                                     n_features=train.n_features)
        self.pin_boundary.apply(frame.boundary)
        self.pin_metrics.update(frame.snapshot.history)

        def number(v, digits):
            return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"

        what = (f"{spec.n_qubits} qubit{'s' if spec.n_qubits > 1 else ''} · {spec.n_layers} "
                f"layer{'s' if spec.n_layers > 1 else ''} · {settings.cost} · {settings.dataset if not settings.drawing else 'drawn points'}")
        self.pin_status.object = (
            f'<div class="pinned" style="font-size:max(15px,var(--pg-min-font,0px));line-height:1.5"><b>{escape(what)}</b><br>'
            f'step <span data-testid="pinned-step">{frame.n_steps}</span> · loss {number(frame.loss, 3)} · '
            f'train <span data-testid="pinned-train-accuracy">{number(frame.train_accuracy, 3)}</span> · '
            f'test <span data-testid="pinned-test-accuracy">{number(frame.test_accuracy, 3)}</span></div>')
        self._pin_card.visible = True

    # ------------------------------------------------------------------ drawing
    def _drawn(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.settings.points:
            return np.empty((0, 2)), np.empty(0, dtype=np.int64)
        return decode_points(self.settings.points)  # validated when it was set

    def _on_tap(self, event) -> None:
        if not self.settings.drawing or event.new is None:
            return
        x, y = event.new
        X, labels = self._drawn()
        hit = self.boundary.nearest_point(x, y)
        if hit is not None and hit < len(X):
            X, labels = np.delete(X, hit, axis=0), np.delete(labels, hit)
        elif len(X) >= MAX_DRAWN:
            self._show_notices(file=f"At most {MAX_DRAWN} points can be drawn; click a point to remove it first.")
            return
        else:
            X = np.vstack([X, quantise_points(np.array([[x, y]]))])
            labels = np.append(labels, min(self.settings.draw_class, self.settings.draw_classes - 1))
        self._set_points(X, labels)

    def _set_points(self, X: np.ndarray, labels: np.ndarray) -> None:
        """The drawn points become ``X``, ``labels`` (one history entry; the model trains on them at once)."""
        try:
            drawn_dataset(X, labels)
        except ValueError as err:  # cannot happen for points made here; a message, nothing lost
            self._show_notices(file=f"These points cannot be used: {err}")
            return
        self._show_notices(file="")
        with self._one_entry("push"):
            self.settings.points = encode_points(X, labels) if len(X) else ""

    # ------------------------------------------------------------------ lessons
    def start_lesson(self, name: str) -> None:
        """Open lesson ``name`` at its first step."""
        if name not in LESSONS:
            self._show_notices(lesson=f"There is no lesson {name!r}.")
            return
        self._lesson = LESSONS[name]
        self.enter_step(0)

    def enter_step(self, index: int) -> None:
        """Set up step ``index`` of the open lesson: its settings (one history entry), training reset and paused."""
        if self._lesson is None or not 0 <= index < len(self._lesson.steps):
            return
        values, _ = step_state(self._lesson, index)
        self.settings.playing = False
        with self._one_entry("push"):
            self._lesson_index = index
            self._apply_values(values)
            self.settings.reset = True
            self._request_url("push")  # a new step is a new address even when no setting changed
        self._show_step()

    def next_step(self) -> None:
        if self._lesson is None:
            return
        if self._lesson_index + 1 < len(self._lesson.steps):
            self.enter_step(self._lesson_index + 1)
        else:
            title = self._lesson.title
            self.leave_lesson()
            self._show_notices(lesson=f"Lesson finished: {title}. Pick another one, or keep exploring.")

    def show_solution(self) -> None:
        """Apply the settings that meet the step's goal (the step's "Show me")."""
        if self._lesson is None:
            return
        solution = self._lesson.steps[self._lesson_index].solution
        if solution:
            with self._one_entry("push"):
                self._apply_values(solution)

    def leave_lesson(self) -> None:
        self._lesson, self._lesson_index = None, 0
        self._show_step()
        self._request_url("push")

    def _show_step(self) -> None:
        """The panel and the hidden groups follow the open lesson step (or show everything without one)."""
        lesson, panel = self._lesson, self.lesson_panel
        self._show_notices(lesson="")
        if lesson is None:
            panel.param.update(lesson="", goal_met=False)
            hidden = ()
        else:
            step = lesson.steps[self._lesson_index]
            hidden = step.hide
            panel.param.update(
                lesson=lesson.name, lesson_title=lesson.title, step_index=self._lesson_index,
                n_steps=len(lesson.steps), step_title=step.title, text=step.text,
                goal_text=step.goal.text if step.goal else "", goal_met=False, has_solution=bool(step.solution),
            )
            panel.choice = lesson.name
        for name, group in getattr(self, "_groups", {}).items():
            group.visible = name not in hidden

    def _check_goal(self, frame: Frame) -> None:
        if self._lesson is None or self.lesson_panel.goal_met or frame.model_spec is None:
            return
        goal = self._lesson.steps[self._lesson_index].goal
        if goal is None:
            return
        state = goal_state(step=frame.n_steps, epoch=frame.epoch, loss=frame.loss,
                           train_accuracy=frame.train_accuracy, test_accuracy=frame.test_accuracy,
                           n_layers=frame.model_spec.n_layers, n_qubits=frame.model_spec.n_qubits)
        if goal.met(state):
            self.lesson_panel.goal_met = True
            self.announcer.text = f"Goal met: {goal.text}"
            self._announced_at = time.monotonic()  # the next progress report waits, so that this one is heard

    # ------------------------------------------------------------------ gallery
    def _gallery_button(self, entry: GalleryEntry) -> pn.widgets.Button:
        button = pn.widgets.Button(label=entry.title, color="light", width=266, description=entry.lesson,
                                   stylesheets=[":host .bk-btn{justify-content:flex-start;text-align:left;"
                                                "white-space:normal;font-size:max(14px,var(--pg-min-font,0px))}"])
        button.on_click(lambda event, key=entry.key: self.load_gallery(key))
        return button

    def load_gallery(self, key: str) -> None:
        """Start from a gallery entry: its settings, then its circuit (one history entry), training paused."""
        entry = GALLERY[key]
        self.settings.playing = False
        with self._one_entry("push"):
            self._apply_values({**entry.settings, "circuit": entry.circuit()})
            self.settings.reset = True
        self._gallery_text.object = (f'<div style="font-size:max(14px,var(--pg-min-font,0px));line-height:1.4"><b>{escape(entry.title)}</b><br>'
                                     f"{escape(entry.lesson)}</div>")
        self._show_notices(file="")

    # ------------------------------------------------------------------ files and exports
    def experiment(self) -> Experiment:
        """The run on screen as an :class:`~playground.experiment.Experiment` (the ``playground train --save`` format)."""
        frame, s = self.session.frame, self.settings
        if frame is None or frame.snapshot is None or frame.model_spec is None:
            raise ValueError("nothing has been computed yet")
        snap = frame.snapshot
        if not np.all(np.isfinite(snap.params)):
            raise ValueError("the parameters are not finite numbers (training diverged; press Reset)")
        if frame.paper_draw:
            data = DataSpec.paper(s.dataset)
        elif s.drawing:
            train = self.session._trainer.train if self.session._trainer is not None else None
            if train is None or train.n_samples == 0:
                raise ValueError("there are no drawn points yet")
            data = DataSpec.embedded(train, train.subset(slice(0, 0)))
        else:
            data = DataSpec(s.dataset, s.n_train, s.n_test, noise=float(s.noise), seed=int(s.seed))
        training = TrainingSpec(optimizer=s.optimizer, learning_rate=float(s.learning_rate), batch_size=int(s.batch_size),
                                seed=int(s.seed), init=frame.init, epochs=max(1, int(frame.epoch)), restarts=1,
                                kept_seed=int(s.seed))
        exp = Experiment(spec=frame.model_spec, data=data, n_classes=frame.n_classes, cost=s.cost,
                         strategy=frame.strategy, training=training, params=snap.params,
                         history=file_history(snap.history))
        scores = exp.score()
        return replace(exp, metrics=replace(scores, steps=int(frame.n_steps)))

    def make_file(self, kind: str) -> str:
        """The text of one export (see :data:`widgets.share.EXPORTS`); ``ValueError`` says why not."""
        exp = self.experiment()
        if kind == "experiment":
            return exp.to_json()
        if kind == "pennylane":
            return to_pennylane_script(exp)
        if kind == "torch":
            return to_torch_module(exp)
        if kind == "qasm":
            x = np.zeros(exp.spec.n_features)
            x[:2] = (self.share.point_x1, self.share.point_x2)[: min(2, exp.spec.n_features)]
            theta = exp.build_classifier().split(exp.params)[0]  # the circuit's angles (no class weights)
            return to_openqasm3(exp.spec, theta, x)
        if kind == "points":
            trainer = self.session._trainer
            if trainer is None or trainer.train.n_samples == 0:
                raise ValueError("there are no training points yet")
            return to_csv(trainer.train)
        if kind == "history":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(HISTORY_FIELDS)
            for row in zip(*(exp.history[k] for k in HISTORY_FIELDS)):
                writer.writerow(["" if isinstance(v, float) and math.isnan(v) else v for v in row])
            return out.getvalue()
        raise ValueError(f"unknown export {kind!r}")

    def load_file(self, data: bytes, filename: str = "the file") -> None:
        """Open an experiment file: everything is checked first; a bad file changes nothing and says why."""
        try:
            values, params = _experiment_values(Experiment.from_json(data))
        except (ExperimentError, ValueError) as err:
            self._show_notices(file=f"Could not open {filename}: {err}. Nothing was changed.")
            self.share.message = f"Could not open {filename}: {err}"
            return
        self.settings.playing = False
        with self._one_entry("push"):
            self._apply_values(values)
        if params is not None:
            self.session.load(params=params)
        self._show_notices(file="")
        self.share.message = f"Opened {filename}" + (" with its trained parameters." if params is not None else ".")

    # ------------------------------------------------------------------ layout
    def _build_layout(self):
        s = self.settings
        hidden = set(self._class.hidden)  # a class link leaves these out of the page: nothing there to change
        self._explain_cards = {}
        self.metrics_box = pn.Column(self.metrics, margin=0)

        def explain(view, width):
            if "explanations" in hidden:
                return None
            self._explain_cards[view] = card = _explain(view, width)
            return card

        makers = {
            "gallery": lambda: _card("Gallery: start from…", pn.Column(*self.gallery_buttons, self._gallery_text,
                                                                       margin=(0, 0)), collapsible=True),
            "data": lambda: _card("Data", DataControls(settings=s), collapsible=True),
            "model": lambda: _card("Model", ModelControls(settings=s), collapsible=True),
            "training": lambda: _card("Training", TrainingControls(settings=s), collapsible=True),
            "share": lambda: _card("Share and save", self.share, collapsible=True),
            "curves": lambda: _card("Loss and accuracy", self.curve_table_toggle, self.metrics_box, self.curve_table,
                                    *_some(explain("curves", 470)), width=500),
            "spheres": lambda: _card("Final states on the Bloch sphere", self._spheres_box, self._spheres_summary,
                                     *_some(explain("spheres", 470)), width=500),
            "boundary": lambda: _card("Decision boundary", self.boundary, *_some(explain("boundary", self.boundary.size))),
            "pinned": lambda: _card("Pinned for comparison", self.pin_status, self.pin_boundary, self.pin_metrics,
                                    self.unpin_button, width=440, visible=False),
            "layers": lambda: _card("Layer by layer", self.layers, *_some(explain("layers", 600))),
            "editor": lambda: _card("Circuit: click a slot, then a gate (or drag a gate onto a slot)", self.editor,
                                    sizing_mode="stretch_width"),
        }
        groups = {name: make() for name, make in makers.items() if name not in hidden}
        self._pin_card = groups.pop("pinned") if "pinned" in groups else pn.Column(visible=False)
        self._groups = groups
        sidebar_cards = [groups[g] for g in ("gallery", "data", "model", "training", "share") if g in groups]
        if not self._class:  # a teacher's page: make a class link (a student's page has no use for it)
            sidebar_cards.append(_card("For a class", self.class_link, collapsible=True, collapsed=True))
        sidebar = pn.Column(*sidebar_cards, width=300, margin=(0, 0))
        # Wraps on a narrow screen (a projector at 1024 px): the numbers go under the buttons, never off the edge.
        projector = pn.widgets.Toggle.from_param(s.param.projector, label="Projector", width=120, height=44,
                                                 margin=(0, 4))
        toolbar = pn.FlexBox(PlaybackControls(settings=s), *([] if "boundary" in hidden else [self.pin_button]),
                             projector, self.keys,
                             self.status, flex_wrap="wrap", align_items="center", gap="8px", margin=(8, 10),
                             sizing_mode="stretch_width")
        toolbar_card = pn.Card(pn.Column(toolbar, self._notice, self.announcer, margin=0), hide_header=True, stylesheets=[_CARD_CSS],
                               margin=(6, 6), sizing_mode="stretch_width")
        right = pn.Column(*[groups[g] for g in ("curves", "spheres") if g in groups], margin=0)
        # A wrapping grid: side by side on a wide screen, one under the other on a narrow one or a projector.
        grid = pn.FlexBox(*[v for v in (groups.get("boundary"), self._pin_card, right, groups.get("layers"))
                            if v is not None],
                          flex_wrap="wrap", align_items="flex-start", sizing_mode="stretch_width", margin=0)
        lessons = None if "lessons" in hidden else pn.Card(
            self.lesson_panel, title="Lessons", collapsible=False, stylesheets=[_CARD_CSS], margin=(6, 6),
            sizing_mode="stretch_width")
        views = pn.Column(*[v for v in (self.drawer, toolbar_card, lessons, groups.get("editor"), grid, self.clock,
                                        self.url, self.viewport) if v is not None],
                          sizing_mode="stretch_width", margin=0)
        body = pn.Row(*([sidebar] if sidebar_cards else []), views, margin=(6, 6), sizing_mode="stretch_width")
        self._sidebar, self._views, self._body = (sidebar if sidebar_cards else None), views, body
        if "header" in hidden:
            return pn.Column(self.skip_link, body, margin=0, sizing_mode="stretch_width")
        header = pn.pane.HTML(
            f"<h1>{escape(TITLE)}</h1><p>Train a data re-uploading quantum classifier (Pérez-Salinas et al., 2020) "
            "and watch it learn. <a href='./explore'>Explore many runs</a></p>",
            stylesheets=[_HEADER_CSS], margin=(10, 16),
        )
        header_bar = pn.Row(header, styles={"background": "#1f3a5f"}, sizing_mode="stretch_width", margin=0)
        return pn.Column(self.skip_link, header_bar, body, margin=0, sizing_mode="stretch_width")

    def __panel__(self):
        return self._layout


def _scrolling_table(history: dict) -> str:
    """The curves' table in a box that scrolls, and that the keyboard can reach to scroll it."""
    return (f'<div class="scroll" tabindex="0" role="region" aria-label="Loss and accuracy as a table">'
            f"{curve_table_html(history)}</div>")


def progress_text(frame: Frame) -> str:
    """One sentence on a frame's progress, for the live region: epoch, step, loss and the accuracies."""
    def percent(value: float) -> str:
        return "not measured" if not math.isfinite(value) else f"{round(100 * value)} %"
    loss = "not measured" if not math.isfinite(frame.loss) else f"{frame.loss:.3f}"
    text = (f"epoch {frame.epoch}, step {frame.n_steps}, loss {loss}, "
            f"train accuracy {percent(frame.train_accuracy)}")
    if math.isfinite(frame.test_accuracy):
        text += f", test accuracy {percent(frame.test_accuracy)}"
    return text + "."


def _read_lesson(raw_lesson, raw_step) -> tuple[Lesson | None, int, list[str]]:
    """``?lesson=NAME&step=K`` (K from 1) → the lesson, the 0-based step and notices; bad values are ignored."""
    if raw_lesson is None:
        return None, 0, ([] if raw_step is None else ["step: only a lesson has steps; ignored."])
    name = query_text(raw_lesson)
    if name not in LESSONS:
        shown = name if len(name) <= 40 else name[:40] + "…"
        return None, 0, [f"lesson: {shown!r} is not one of {', '.join(LESSONS)}; ignored."]
    lesson = LESSONS[name]
    if raw_step is None:
        return lesson, 0, []
    step = query_text(raw_step)
    if not step.isdigit() or not 1 <= int(step) <= len(lesson.steps):
        shown = step if len(step) <= 40 else step[:40] + "…"
        return lesson, 0, [f"step: expected 1..{len(lesson.steps)} for this lesson, got {shown!r}; starting at step 1."]
    return lesson, int(step) - 1, []


def _checkpoint_text(checkpoint: dict) -> str:
    """A checkpoint as a ``k=`` value; a long curve is cut to its last row first (the link stays bounded)."""
    try:
        return encode_checkpoint(checkpoint)
    except LinkError:
        short = dict(checkpoint, history={key: rows[-1:] for key, rows in checkpoint["history"].items()})
        return encode_checkpoint(short)


def _read_checkpoint(raw) -> tuple[dict | None, list[str]]:
    """The ``k`` URL value: a checkpoint dict, or None and a notice."""
    if raw is None:
        return None, []
    try:
        return decode_checkpoint(query_text(raw)), []
    except LinkError as err:
        return None, [f"The trained model in this link could not be read ({err}); starting from the seed instead."]


def _experiment_values(exp: Experiment) -> tuple[dict, np.ndarray | None]:
    """Setting values (and parameters) that reproduce ``exp`` on the page; ``ValueError`` if the page can't."""
    d = exp.data
    if d.custom is not None:
        train, test = d.custom
        if train.name != "drawn" or test.n_samples or train.n_features != 2 or train.n_samples > MAX_DRAWN:
            raise ValueError("its points are embedded (CSV) data, which the page does not show yet; "
                             "use `playground evaluate` instead")
        drawn_dataset(train.X, train.y, n_classes=train.n_classes)  # ValueError if they are not points of the plane
        values = {"drawing": True, "draw_classes": min(max(train.n_classes, 2), 6),
                  "points": encode_points(quantise_points(train.X), train.y), "seed": int(exp.training.seed),
                  **_model_values(exp)}
        return values, None if exp.params is None else np.array(exp.params)
    t = exp.training
    if d.paper_draw:  # the authors' fixed draw: the page's own draw settings stay as they are
        return {
            "dataset": d.dataset, "paper_draw": True, "seed": int(t.seed), **_model_values(exp),
        }, None if exp.params is None else np.array(exp.params)
    n = d.n_train + d.n_test
    if not 20 <= n <= MAX_POINTS:
        raise ValueError(f"data: expected 20..{MAX_POINTS} points in all for the page, got {n}")
    fraction = d.n_test / n
    if not 0.1 <= fraction <= 0.9:
        raise ValueError(f"data: expected a test share in 0.1..0.9 for the page, got {fraction:.3g}")
    if d.noise > 0.5:
        raise ValueError(f"data.noise: expected at most 0.5 for the page, got {d.noise}")
    if d.n_classes is not None and d.n_classes != DATASETS[d.dataset].default_n_classes:
        raise ValueError("data.n_classes: the page draws each dataset with its default number of classes")
    values = {
        "drawing": False, "dataset": d.dataset, "paper_draw": False, "n_samples": n, "test_fraction": fraction, "noise": float(d.noise),
        "seed": int(d.seed), **_model_values(exp),
    }
    return values, None if exp.params is None else np.array(exp.params)


def _model_values(exp: Experiment) -> dict:
    """The model and training settings of ``exp`` as page settings; ``ValueError`` if the page can't show them."""
    d = exp.data
    if exp.n_classes != d.data_n_classes:
        raise ValueError(f"model.n_classes: expected {d.data_n_classes} (the classes of the data) for the page, "
                         f"got {exp.n_classes}")
    if exp.spec.n_qubits > MAX_QUBITS or exp.spec.n_layers > MAX_LAYERS:
        raise ValueError(f"circuit: the page allows at most {MAX_QUBITS} qubits and {MAX_LAYERS} layers")
    t = exp.training
    lr = t.learning_rate if t.learning_rate is not None else make_optimizer(t.optimizer).learning_rate
    return {
        "cost": exp.cost, "readout": exp.strategy, "init": t.init, "optimizer": t.optimizer,
        "learning_rate": min(LEARNING_RATES, key=lambda v: abs(math.log(v) - math.log(lr))),
        "batch_size": min(BATCH_SIZES, key=lambda v: abs(v - t.batch_size)),
        "circuit": exp.spec,
    }


def _minutes(minutes: float) -> str:
    """``10`` → ``10 minutes``, ``1`` → ``1 minute``, ``0.1`` → ``0.1 minutes``."""
    return f"{minutes:g} minute{'' if minutes == 1 else 's'}"


def create_app() -> pn.viewable.Viewable:
    """Build and start the page for the current session (the server calls this once per tab)."""
    input_bounds.install()  # what a browser's messages set is checked on the server (idempotent)
    query = dict(pn.state.session_args) if pn.state.curdoc is not None and pn.state.curdoc.session_context else {}
    if pn.state.curdoc is not None:
        # A phone lays the page out at its own width (without this it pretends to be a 980 px desktop and zooms out).
        pn.state.curdoc.template = _PAGE_TEMPLATE
    app = PlaygroundApp(query, pool=frame_pool(), admission=server_admission())
    app.start()
    return app


_PAGE_TEMPLATE = """{% block preamble %}{{ super() }}
<meta name="viewport" content="width=device-width, initial-scale=1, minimum-scale=1">{% endblock %}"""


def _serve_resources_locally() -> None:
    """Make every stylesheet URL point at this server, also for components built later in frame callbacks.

    Panel picks CDN or server URLs from Bokeh's ``resources`` setting when a component is created; outside the
    page request (in a callback) that falls back to the CDN, which classrooms without internet cannot reach.
    """
    from bokeh.settings import settings as bokeh_settings

    bokeh_settings.resources.set_value("server")


_serve_resources_locally()
pn.extension(raw_css=[PAGE_CSS] if PAGE_CSS else [], notifications=False, design=PlaygroundDesign)

if __name__.startswith("bokeh"):  # `panel serve apps/playground_app.py`
    create_app().servable(title=TITLE)
