"""Admission control without a browser: the policy from the environment, the counts behind the session cap, the
rate-limited log, the "full" page, the cap on training sessions, and the idle pause, release and hidden-tab pause."""

from __future__ import annotations

import logging
import math
import re

import pytest

from apps.admission import (
    DEFAULT_IDLE_MINUTES, DEFAULT_MAX_PLAYING, DEFAULT_MAX_SESSIONS, DEFAULT_RELEASE_MINUTES, DEFAULT_RETRY_SECONDS,
    Admission, AdmissionPolicy, IdleClock, RefusalLog, _own_url, full_page,
)
from apps.playground_app import PlaygroundApp
from apps.session import PlaygroundSession
from apps.settings import PlaygroundSettings


class CountingPool:
    """The two counters of :class:`apps.workers.FramePool` that admission reads, set by hand."""

    def __init__(self, open_: int = 0, playing: int = 0):
        self.open, self.playing = open_, playing

    def stats(self) -> dict:
        return {"sessions_open": self.open, "sessions_playing": self.playing}


class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------------------------------------- the policy
def test_policy_defaults_without_environment():
    policy = AdmissionPolicy.from_env({})
    assert (policy.max_sessions, policy.max_playing) == (DEFAULT_MAX_SESSIONS, DEFAULT_MAX_PLAYING)
    assert (policy.idle_minutes, policy.release_minutes) == (DEFAULT_IDLE_MINUTES, DEFAULT_RELEASE_MINUTES)
    assert policy.retry_seconds == DEFAULT_RETRY_SECONDS == 60
    assert (DEFAULT_MAX_SESSIONS, DEFAULT_IDLE_MINUTES, DEFAULT_RELEASE_MINUTES) == (60, 10, 30)


def test_policy_reads_every_variable_and_minutes_may_be_fractions(caplog):
    env = {"PLAYGROUND_MAX_SESSIONS": "2", "PLAYGROUND_MAX_PLAYING": " 1 ", "PLAYGROUND_IDLE_MINUTES": "0.05",
           "PLAYGROUND_RELEASE_MINUTES": "0", "PLAYGROUND_RETRY_SECONDS": "5"}
    with caplog.at_level(logging.WARNING, logger="playground.apps"):
        policy = AdmissionPolicy.from_env(env)
    assert policy == AdmissionPolicy(max_sessions=2, max_playing=1, idle_minutes=0.05, release_minutes=0.0,
                                     retry_seconds=5)
    assert policy.idle_seconds == pytest.approx(3.0) and policy.release_seconds == 0.0
    assert not caplog.records


@pytest.mark.parametrize("name, raw", [
    ("PLAYGROUND_MAX_SESSIONS", "lots"), ("PLAYGROUND_MAX_SESSIONS", "0"), ("PLAYGROUND_MAX_SESSIONS", "2.5"),
    ("PLAYGROUND_MAX_PLAYING", "-1"), ("PLAYGROUND_MAX_PLAYING", "nan"),
    ("PLAYGROUND_IDLE_MINUTES", "ten"), ("PLAYGROUND_IDLE_MINUTES", "-1"), ("PLAYGROUND_IDLE_MINUTES", "inf"),
    ("PLAYGROUND_RELEASE_MINUTES", "1e9"), ("PLAYGROUND_RETRY_SECONDS", "0"), ("PLAYGROUND_RETRY_SECONDS", "1.5"),
])
def test_a_bad_value_logs_one_line_and_keeps_the_default(caplog, name, raw):
    with caplog.at_level(logging.WARNING, logger="playground.apps"):
        policy = AdmissionPolicy.from_env({name: raw})
    assert policy == AdmissionPolicy()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{name}: expected") and repr(raw) in lines[0] and "using the default" in lines[0]
    assert caplog.records[0].levelno == logging.WARNING


def test_an_empty_value_is_the_default_without_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="playground.apps"):
        assert AdmissionPolicy.from_env({"PLAYGROUND_MAX_SESSIONS": "  "}) == AdmissionPolicy()
    assert not caplog.records


# ---------------------------------------------------------------------------------------------- the counts
def test_a_burst_of_page_requests_cannot_overshoot_the_cap():
    pool = CountingPool()
    door = Admission(AdmissionPolicy(max_sessions=2), pool)
    assert door.reserve() and door.reserve()  # two requests in flight, no session made yet
    assert not door.reserve()  # a third one is turned away at once
    door.unreserve()
    ticket = door.ticket()  # that request's session exists, its page is loading
    door.unreserve()
    assert door.sessions() == 2 - 1  # one ticket; the other request's session was never made
    assert door.reserve()
    door.unreserve()
    second = door.ticket()
    assert door.sessions() == 2 and not door.reserve()
    pool.open += 1  # the first page loaded: the pool counts it from now on
    ticket.started()
    ticket.started()
    assert door.sessions() == 2
    second.ended()  # its page never connected
    second.ended()
    assert door.sessions() == 1 and door.reserve()


def test_the_play_gate_refuses_past_the_cap_with_a_plain_notice():
    pool = CountingPool(playing=1)
    door = Admission(AdmissionPolicy(max_playing=2), pool)
    assert door.play_refusal() == ""
    pool.playing = 2
    assert door.play_refusal() == ("The server is busy: 2 people are training right now. "
                                   "Press Play again in a minute.")
    door = Admission(AdmissionPolicy(max_playing=1), CountingPool(playing=1))
    assert door.play_refusal().startswith("The server is busy: 1 person is training right now.")


def test_refusals_make_one_log_line_per_interval_with_their_count(caplog):
    clock = FakeTime()
    refusals = RefusalLog("visitors turned away (server full)", interval=10.0, clock=clock)
    with caplog.at_level(logging.INFO, logger="playground.apps"):
        for _ in range(5):
            refusals.refused("2 of 2 sessions open or starting")
            clock.now += 1.0
        assert refusals.lines == 1  # the first refusal at once, the next four wait
        clock.now += 10.0
        refusals.refused("2 of 2 sessions open or starting")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "admission: visitors turned away (server full): 1 in the last 10 s (2 of 2 sessions open or starting)",
        "admission: visitors turned away (server full): 5 in the last 10 s (2 of 2 sessions open or starting)",
    ]


# ---------------------------------------------------------------------------------------------- the "full" page
def test_the_full_page_is_plain_accessible_html_that_retries_the_same_address():
    html = full_page("/?dataset=moons&class=c1.x<script>", 60)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert re.search(r"<title>[^<]*full[^<]*</title>", html)
    assert re.search(r"<h1>The playground is full right now</h1>", html)
    assert "tries again by itself\n    in about a minute" in html
    assert '<a class="again" href="/?dataset=moons&amp;class=c1.x&lt;script&gt;">Try again now</a>' in html
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in html
    assert 'data-retry="60"' in html and "location.reload()" in html
    assert "<script>" not in html.split("</main>")[0]  # the address is text, never markup
    assert not re.search(r"<script[^>]*src|<link|https?://|//[a-z]", html)  # nothing loaded from anywhere
    assert "in about 5 seconds" in full_page("/", 5)


@pytest.mark.parametrize("path, query, url", [
    ("/", "", "/"), ("/", "n_layers=3&lesson=basics", "/?n_layers=3&lesson=basics"),
    ("//evil.example/", "a=1", "/?a=1"), ("", "", "/"),
])
def test_the_retry_address_stays_on_this_host(path, query, url):
    assert _own_url(path, query) == url


# ---------------------------------------------------------------------------------------------- Play past the cap
def test_a_refused_play_stays_paused_and_computes_nothing():
    settings = PlaygroundSettings()
    session = PlaygroundSession(settings)  # no pool: frames are computed synchronously
    reasons = ["The server is busy."]
    session.play_gate = lambda: reasons[0]
    session.start()
    applied, steps = session.frames_applied, session.frame.n_steps
    settings.playing = True
    assert not settings.playing and session.notice == "The server is busy."
    assert session.frames_applied == applied and session.frame.n_steps == steps
    reasons[0] = ""
    settings.playing = True
    assert settings.playing and session.notice == "" and session.frame.n_steps > steps


def test_the_page_says_the_server_is_busy_and_plays_once_there_is_room():
    pool = CountingPool(playing=1)
    app = PlaygroundApp(admission=Admission(AdmissionPolicy(max_playing=1), pool)).start()
    app.settings.playing = True
    assert not app.settings.playing and app.status.n_steps == 0
    assert app._notice.visible
    assert "The server is busy: 1 person is training right now. Press Play again in a minute." in app._notice.object
    pool.playing = 0
    app.settings.playing = True
    assert app.settings.playing and "busy" not in app._notice.object and app.status.n_steps > 0


# ---------------------------------------------------------------------------------------------- idle and hidden
def test_the_idle_clock_pauses_once_then_releases():
    clock = FakeTime()
    idle = IdleClock(600, 1800, now=clock)
    assert idle.poll() == (None, 600)
    clock.now += 601
    assert idle.poll() == ("pause", pytest.approx(1199))
    assert idle.poll()[0] is None  # once per quiet spell
    clock.now += 1200
    assert idle.poll() == ("release", math.inf)
    idle.touch()
    assert idle.poll() == (None, 600)
    assert IdleClock(0, 0, now=clock).poll() == (None, math.inf) and not IdleClock(0, 0).enabled


def _idle_app(clock: FakeTime, **policy) -> PlaygroundApp:
    pool = CountingPool()
    app = PlaygroundApp(admission=Admission(AdmissionPolicy(**policy), pool)).start()
    app._idle = IdleClock(app._idle.idle_s, app._idle.release_s, now=clock)
    return app


def test_no_input_for_the_idle_time_pauses_training_with_a_notice():
    clock = FakeTime()
    app = _idle_app(clock, idle_minutes=10, release_minutes=30)
    app.settings.playing = True
    clock.now += 599
    app._check_idle()
    assert app.settings.playing and not app._notice.visible
    app.settings.n_layers = 5  # input: the quiet spell starts again
    clock.now += 599
    app._check_idle()
    assert app.settings.playing
    clock.now += 2
    app._check_idle()
    assert not app.settings.playing
    assert "Paused after 10 minutes without input — press Play to continue." in app._notice.object
    assert app._idle.quiet_seconds() >= 600  # the page's own pause is not input
    app.settings.playing = True  # the person is back
    assert not app._notice.visible and app._idle.quiet_seconds() == 0


def test_a_longer_quiet_spell_releases_the_session():
    clock = FakeTime()
    app = _idle_app(clock, idle_minutes=10, release_minutes=30)
    app.settings.playing = True
    clock.now += 30 * 60 + 1
    app._check_idle()
    assert app.session.closed and app._released and not app._body.visible
    message = app._layout.objects[-1]
    assert message.name == "released" and 'role="alert"' in message.object
    assert "This page was closed to make room for others." in message.object
    assert "Nothing was done on it for 30 minutes" in message.object and ">Reload the page</a>" in message.object
    steps = app.status.n_steps
    app.settings.step = True  # nothing runs any more
    assert app.status.n_steps == steps


def test_idle_pause_and_release_can_be_turned_off():
    clock = FakeTime()
    app = _idle_app(clock, idle_minutes=0, release_minutes=0)
    app.settings.playing = True
    clock.now += 10**6
    app._check_idle()
    assert app.settings.playing and not app._released


def test_a_hidden_tab_pauses_training_and_says_why():
    app = PlaygroundApp().start()
    app.settings.playing = True
    app.clock.hidden = True
    assert not app.settings.playing
    assert "Paused while the tab was hidden — press Play to continue." in app._notice.object
    app.clock.hidden = False  # shown again: it stays paused until the person presses Play
    assert not app.settings.playing and app._notice.visible
    app.settings.playing = True
    assert app.settings.playing and not app._notice.visible
