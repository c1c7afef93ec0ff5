"""Admission control: a cap on open and on training sessions per process, the idle policy, and the "full" page.

A public demo or a class of a hundred students can ask more of one server process than it can give. Three limits
keep it answering everyone it has let in:

* at most ``PLAYGROUND_MAX_SESSIONS`` sessions (tabs) at once: a visitor past the cap gets a small static page
  (HTTP 503, ``Retry-After``) that tries again by itself, before any Bokeh session is made for them;
* at most ``PLAYGROUND_MAX_PLAYING`` of them training at once: past that, Play answers with a notice and the run
  stays paused;
* a tab with no input from its person for ``PLAYGROUND_IDLE_MINUTES`` pauses, and after
  ``PLAYGROUND_RELEASE_MINUTES`` its session is closed, which frees its memory and its place.

:func:`install` puts :class:`AdmittingDocHandler` in place of Panel's page handler (``apps.serve`` calls it before
the server starts). The one :class:`Admission` of the process (:func:`admission`) holds counts only, never a
session's data; it reads the open and playing sessions from the frame pool's counters.

Example
-------
>>> policy = AdmissionPolicy.from_env({"PLAYGROUND_MAX_SESSIONS": "2"})
>>> policy.max_sessions, policy.max_playing
(2, 40)
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import string
import threading
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Callable, Mapping

from panel.io.server import DocHandler

from .workers import FramePool, frame_pool

__all__ = [
    "AdmissionPolicy", "Admission", "SessionTicket", "IdleClock", "RefusalLog", "AdmittingDocHandler", "admission",
    "install", "full_page", "close_connections", "DEFAULT_MAX_SESSIONS", "DEFAULT_MAX_PLAYING",
    "DEFAULT_IDLE_MINUTES", "DEFAULT_RELEASE_MINUTES", "DEFAULT_RETRY_SECONDS",
]

log = logging.getLogger("playground.apps")

# Sessions one process serves at once. A first guess, to be sized from `benchmarks/` (sessions per server).
DEFAULT_MAX_SESSIONS = 60
DEFAULT_MAX_PLAYING = 40  # of those, training at the same time
DEFAULT_IDLE_MINUTES = 10.0  # without input: training pauses
DEFAULT_RELEASE_MINUTES = 30.0  # without input: the session is closed
DEFAULT_RETRY_SECONDS = 60  # the "full" page tries again after about this long
REFUSAL_LOG_SECONDS = 10.0  # at most one log line per kind of refusal in this time

_ASSETS = Path(__file__).resolve().parent.parent / "assets"
_FULL_PAGE = string.Template((_ASSETS / "full.html").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------- the policy
@dataclass(frozen=True)
class AdmissionPolicy:
    """The limits, read once per process from the environment (:meth:`from_env`).

    Parameters
    ----------
    max_sessions : int
        Sessions open or starting at once; one more visitor gets the "full" page.
    max_playing : int
        Sessions training at once; one more Play gets a notice instead.
    idle_minutes : float
        Minutes without input after which training pauses; 0 never pauses.
    release_minutes : float
        Minutes without input after which the session is closed; 0 never closes it.
    retry_seconds : int
        The "full" page's ``Retry-After`` and the mean wait before it tries again by itself.
    """

    max_sessions: int = DEFAULT_MAX_SESSIONS
    max_playing: int = DEFAULT_MAX_PLAYING
    idle_minutes: float = DEFAULT_IDLE_MINUTES
    release_minutes: float = DEFAULT_RELEASE_MINUTES
    retry_seconds: int = DEFAULT_RETRY_SECONDS

    # (environment variable, field, kind, lowest, highest)
    _ENV = (
        ("PLAYGROUND_MAX_SESSIONS", "max_sessions", int, 1, 100_000),
        ("PLAYGROUND_MAX_PLAYING", "max_playing", int, 1, 100_000),
        ("PLAYGROUND_IDLE_MINUTES", "idle_minutes", float, 0.0, 24 * 60.0),
        ("PLAYGROUND_RELEASE_MINUTES", "release_minutes", float, 0.0, 7 * 24 * 60.0),
        ("PLAYGROUND_RETRY_SECONDS", "retry_seconds", int, 1, 3600),
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "AdmissionPolicy":
        """The policy of ``environ`` (default ``os.environ``); a bad value logs one WARNING line and keeps the default.

        Minutes may be fractions (``PLAYGROUND_IDLE_MINUTES=0.1`` is six seconds).
        """
        environ = os.environ if environ is None else environ
        values = {}
        for name, field, kind, lo, hi in cls._ENV:
            default = getattr(cls, field)
            raw = environ.get(name)
            if raw is None or not raw.strip():
                continue
            value = _parse_number(raw, kind)
            if value is None or not lo <= value <= hi:
                what = "a whole number" if kind is int else "a number"
                log.warning("%s: expected %s in %s..%s, got %r; using the default, %s", name, what, _plain(lo),
                            _plain(hi), raw if len(raw) <= 40 else raw[:40] + "…", _plain(default))
                continue
            values[field] = value
        return cls(**values)

    @property
    def idle_seconds(self) -> float:
        return 60.0 * self.idle_minutes

    @property
    def release_seconds(self) -> float:
        return 60.0 * self.release_minutes

    def describe(self) -> str:
        """The policy in one line, for the server log."""
        idle = f"pause after {_plain(self.idle_minutes)} min" if self.idle_minutes else "no idle pause"
        release = f"close after {_plain(self.release_minutes)} min" if self.release_minutes else "never close"
        return (f"at most {self.max_sessions} sessions, {self.max_playing} of them training; without input: {idle}, "
                f"{release}; a full server asks visitors to retry in {self.retry_seconds} s")


def _parse_number(raw: str, kind: type) -> float | int | None:
    try:
        value = kind(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _plain(value: float) -> str:
    """``10.0`` → ``10``, ``0.05`` → ``0.05``."""
    return f"{value:g}"


# ---------------------------------------------------------------------------------------------------- refusals
class RefusalLog:
    """Log refusals at INFO level, one line at most every ``interval`` seconds, with how many there were since the
    last line: a crowd at the door makes a handful of lines, not one per request.

    Parameters
    ----------
    what : str
        What is refused ("visitors turned away (server full)").
    interval : float
        Seconds between two lines at least.
    clock : callable
        Monotonic seconds (tests pass their own).
    """

    def __init__(self, what: str, interval: float = REFUSAL_LOG_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.what = what
        self.interval = interval
        self._clock = clock
        self._count = 0
        self._detail = ""
        self._next = -math.inf
        self._flush_due = False
        self.lines = 0  # lines written so far

    def refused(self, detail: str) -> None:
        """Count one refusal; ``detail`` (the state that caused it) goes into the next line."""
        self._count += 1
        self._detail = detail
        now = self._clock()
        if now >= self._next:
            self._write(now)
        elif not self._flush_due:
            # The last refusals of a burst are reported too, once the interval is over (on the server's event loop).
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no event loop (a test, a script): the next refusal reports them
                return
            self._flush_due = True
            loop.call_later(self._next - now, self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        if self._count:
            self._write(self._clock())

    def _write(self, now: float) -> None:
        log.info("admission: %s: %d in the last %s s (%s)", self.what, self._count, _plain(self.interval), self._detail)
        self._count = 0
        self._next = now + self.interval
        self.lines += 1


# ---------------------------------------------------------------------------------------------------- the counts
class Admission:
    """Whether one more session may open, and whether one more may play.

    Sessions are counted from the frame pool (``sessions_open``: started and not yet closed) plus those created
    whose page has not loaded yet (:class:`SessionTicket`) plus page requests between the check and the session's
    creation, so that a burst of requests cannot overshoot the cap.

    Parameters
    ----------
    policy : AdmissionPolicy
    pool : FramePool
        The process's pool, whose counters say how many sessions are open and playing.
    """

    def __init__(self, policy: AdmissionPolicy, pool: FramePool):
        self.policy = policy
        self.pool = pool
        self._lock = threading.Lock()
        self._reserved = 0
        self._unstarted = 0
        self.turned_away = RefusalLog("visitors turned away (server full)")
        self.play_refused = RefusalLog("Play presses refused (too many training)")

    def sessions(self) -> int:
        """Sessions open, created but not started, and being created."""
        with self._lock:
            return self.pool.stats()["sessions_open"] + self._unstarted + self._reserved

    def reserve(self) -> bool:
        """Take a place for a page request (True), or refuse it (False) when the server is full.

        A True answer must be followed by :meth:`unreserve` once the session has been created (or has failed to).
        """
        with self._lock:
            taken = self.pool.stats()["sessions_open"] + self._unstarted + self._reserved
            if taken < self.policy.max_sessions:
                self._reserved += 1
                return True
        self.turned_away.refused(f"{taken} of {self.policy.max_sessions} sessions open or starting")
        return False

    def unreserve(self) -> None:
        with self._lock:
            self._reserved = max(0, self._reserved - 1)

    def ticket(self) -> "SessionTicket":
        """Count a session that was just created and has not started yet (its page is still loading)."""
        return SessionTicket(self)

    def play_refusal(self) -> str:
        """``''`` when one more session may start training, else the plain-text notice for its person."""
        playing = int(self.pool.stats()["sessions_playing"])
        if playing < self.policy.max_playing:
            return ""
        self.play_refused.refused(f"{playing} of {self.policy.max_playing} sessions training")
        people = "1 person is" if playing == 1 else f"{playing} people are"
        return f"The server is busy: {people} training right now. Press Play again in a minute."

    def _ticket_changed(self, delta: int) -> None:
        with self._lock:
            self._unstarted = max(0, self._unstarted + delta)


class SessionTicket:
    """One created session until it starts or ends: it counts towards :meth:`Admission.sessions` until then."""

    def __init__(self, owner: Admission):
        self._owner = owner
        self._waiting = True
        owner._ticket_changed(+1)

    def started(self) -> None:
        """The session started: the pool counts it from now on (idempotent)."""
        self._settle()

    def ended(self) -> None:
        """The session ended, started or not (idempotent)."""
        self._settle()

    def _settle(self) -> None:
        if self._waiting:
            self._waiting = False
            self._owner._ticket_changed(-1)


# ---------------------------------------------------------------------------------------------------- idle sessions
class IdleClock:
    """Time since a person's last input, and what is due: a pause after ``idle_s``, a release after ``release_s``.

    Example
    -------
    >>> t = [0.0]
    >>> clock = IdleClock(600, 1800, now=lambda: t[0])
    >>> t[0] = 601; clock.poll()[0]
    'pause'
    >>> t[0] = 1801; clock.poll()[0]
    'release'
    """

    def __init__(self, idle_s: float, release_s: float, *, now: Callable[[], float] = time.monotonic):
        self.idle_s = float(idle_s)
        self.release_s = float(release_s)
        self._now = now
        self._last = now()
        self._paused = False

    @property
    def enabled(self) -> bool:
        return bool(self.idle_s or self.release_s)

    def touch(self) -> None:
        """The person did something."""
        self._last = self._now()
        self._paused = False

    def quiet_seconds(self) -> float:
        return self._now() - self._last

    def poll(self) -> tuple[str | None, float]:
        """What is due now: ``"pause"`` (once per quiet spell), ``"release"`` or None; and the seconds until the next
        thing may be due (``inf`` when nothing will be)."""
        quiet = self.quiet_seconds()
        if self.release_s and quiet >= self.release_s:
            return "release", math.inf
        due = None
        if self.idle_s and not self._paused and quiet >= self.idle_s:
            self._paused, due = True, "pause"
        ahead = [t - quiet for t in (self.idle_s if not self._paused else 0.0, self.release_s) if t and t > quiet]
        return due, min(ahead, default=math.inf)


# ---------------------------------------------------------------------------------------------------- the page door
def full_page(retry_url: str, retry_seconds: int) -> str:
    """The "playground is full" page: plain HTML and CSS with a tiny script that tries again after about
    ``retry_seconds`` (with jitter, so that a crowd does not come back at once), a ``<noscript>`` refresh, and a
    "Try again now" link to ``retry_url`` (the page's own path and query: class and lesson links keep their
    settings)."""
    when = "in about a minute" if 45 <= retry_seconds <= 90 else f"in about {retry_seconds} seconds"
    return _FULL_PAGE.substitute(retry_url=escape(retry_url, quote=True), retry_seconds=int(retry_seconds),
                                 retry_when=escape(when))


def _own_url(path: str, query: str) -> str:
    """The request's own address on this host (never another host: a path that starts with ``//`` is not one)."""
    path = path if path.startswith("/") and not path.startswith("//") else "/"
    return path + (f"?{query}" if query else "")


class AdmittingDocHandler(DocHandler):
    """Panel's page handler with a door: past the session cap it answers the "full" page (HTTP 503, no Bokeh
    session is made); otherwise it serves the playground as usual."""

    _refused = False

    async def get(self, *args, **kwargs):
        door = admission()
        if not door.reserve():
            self._refused = True
            seconds = door.policy.retry_seconds
            self.set_status(503)
            self.set_header("Retry-After", str(seconds))
            self.set_header("Cache-Control", "no-store")
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.finish(full_page(_own_url(self.request.path, self.request.query), seconds))
            return
        try:
            await super().get(*args, **kwargs)
        finally:
            door.unreserve()  # the session exists now (and holds a ticket), or was never made

    def _log(self) -> None:
        # Tornado's access log writes every 503 as an ERROR line; a refusal is counted by Admission.turned_away
        # instead (one INFO line per burst). Tornado keeps `_log` for handlers that log their own requests.
        if not self._refused:
            super()._log()


def install() -> AdmissionPolicy:
    """Serve every application's page route with :class:`AdmittingDocHandler` (idempotent; before the server
    starts) and log the policy once. Returns the policy in force.

    Bokeh builds its routes from ``bokeh.server.urls.per_app_patterns`` (Panel puts its own page handler there);
    its ``extra_patterns`` come after the applications' routes, so a handler for ``/`` there would never be
    reached. Replacing the page handler in that list is how the door comes before any session is made.
    """
    from bokeh.server.urls import per_app_patterns

    found = False
    for i, pattern in enumerate(per_app_patterns):
        if isinstance(pattern[1], type) and issubclass(pattern[1], DocHandler):
            found = True
            if pattern[1] is not AdmittingDocHandler:
                per_app_patterns[i] = (pattern[0], AdmittingDocHandler, *pattern[2:])
    if not found:
        raise RuntimeError("admission: Panel's page handler is not among Bokeh's per-application routes")
    policy = admission().policy
    log.info("admission: %s", policy.describe())
    return policy


def close_connections(doc, reason: str) -> int:
    """Close the browser connections of ``doc``'s session; the server then discards the session within its unused
    lifetime (``apps.serve.SERVER_SETTINGS``). Returns how many were closed.

    Bokeh has no public call that ends a session from the server; this uses the session's connections and their
    websocket handlers, the same attributes Panel uses to write to a session (``panel/io/document.py``).
    """
    context = getattr(doc, "session_context", None)
    session = getattr(context, "session", None)
    closed = 0
    for connection in list(getattr(session, "_subscribed_connections", ())):
        socket = getattr(connection, "_socket", None)
        if socket is not None:
            socket.close(1000, reason)
            closed += 1
    return closed


# ---------------------------------------------------------------------------------------------------- the process's one
_ADMISSION: Admission | None = None
_ADMISSION_LOCK = threading.Lock()


def admission() -> Admission:
    """The process's admission control, made on first use from the environment and the process's frame pool."""
    global _ADMISSION
    with _ADMISSION_LOCK:
        if _ADMISSION is None:
            _ADMISSION = Admission(AdmissionPolicy.from_env(), frame_pool())
        return _ADMISSION
