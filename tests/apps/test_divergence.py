"""A run that diverges (NaN or infinite parameters or loss) stops with a notice, keeps its last good picture, and
Reset recovers it. Divergence is forced by replacing one optimizer step, so every test is deterministic."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from apps.playground_app import PlaygroundApp
from apps.session import DIVERGED, PlaygroundSession
from apps.settings import PlaygroundSettings


def _session(**values):
    s = PlaygroundSettings(**values)
    sess = PlaygroundSession(s)  # no pool: every frame is computed synchronously
    sess.start()
    return s, sess


def _diverge(trainer, *, params=np.nan, loss=0.5):
    """Make the trainer's next optimizer step return ``params`` everywhere and the batch loss ``loss``."""
    def step(p, loss_grad):
        return np.full_like(p, params), loss

    trainer.optimizer.step = step  # on this optimizer object only: Reset builds a new one


@pytest.mark.parametrize("params, loss", [(np.nan, 0.5), (np.inf, 0.5), (-np.inf, 0.5), (0.1, np.nan), (0.1, np.inf)])
def test_a_diverged_step_stops_the_run_with_a_notice(params, loss):
    s, sess = _session(steps_per_frame=5)
    s.step = True
    good = sess.frame
    assert good.n_steps == 1 and good.error is None
    _diverge(sess._trainer, params=params, loss=loss)
    s.playing = True  # synchronous: one playing frame, which diverges on its first step
    assert not s.playing
    assert sess.notice == DIVERGED
    assert "press Reset" in sess.notice
    assert sess.frame is good  # no new picture: the views keep the last good one
    assert np.all(np.isfinite(sess.frame.snapshot.params))
    assert sess._trainer.n_steps == 2  # it stopped at the step that diverged, not after the frame's five


def test_stepping_a_diverged_run_trains_nothing_and_says_so_again():
    s, sess = _session()
    good = sess.frame
    _diverge(sess._trainer)
    s.step = True
    assert sess.notice == DIVERGED
    n = sess._trainer.n_steps
    s.playing = True  # Play clears the notice; the next frame finds the run still diverged
    assert not s.playing and sess.notice == DIVERGED
    s.step = True
    assert sess._trainer.n_steps == n  # nothing is computed from NaN parameters
    assert sess.frame is good


def test_reset_recovers_a_diverged_run():
    s, sess = _session()
    start = sess._trainer.initial_params.copy()
    _diverge(sess._trainer)
    s.step = True
    assert sess.notice == DIVERGED
    s.reset = True
    assert sess.notice == ""
    assert sess.frame.error is None and sess.frame.n_steps == 0
    assert np.array_equal(sess._trainer.params, start)
    s.step = True  # and it trains again (the optimizer was rebuilt by Reset)
    assert sess.frame.n_steps == 1 and np.all(np.isfinite(sess._trainer.params))
    assert sess.notice == ""


def test_a_picture_of_nan_is_not_shown(monkeypatch):
    s, sess = _session()
    good = sess.frame
    trainer = sess._trainer
    snapshot = trainer.snapshot

    def nan_picture(*args, **kwargs):
        snap = snapshot(*args, **kwargs)
        return replace(snap, grid_proba=np.full_like(snap.grid_proba, np.nan))

    monkeypatch.setattr(trainer, "snapshot", nan_picture)
    s.step = True
    assert sess.notice == DIVERGED and sess.frame is good


def test_the_page_keeps_its_last_good_picture_and_says_why():
    app = PlaygroundApp().start()
    app.settings.step = True
    image = app.boundary.image_source.data["image"][0].copy()
    curve = list(app.metrics.source.data["loss"])
    assert app.status.n_steps == 1 and not app._notice.visible
    _diverge(app.session._trainer)
    app.settings.playing = True
    assert not app.settings.playing
    assert np.array_equal(app.boundary.image_source.data["image"][0], image)
    assert list(app.metrics.source.data["loss"]) == curve
    assert app.status.n_steps == 1 and np.isfinite(app.status.loss)
    assert app._notice.visible and "Training diverged" in app._notice.object
    assert "press Reset to start again" in app._notice.object
    exp = app.experiment()  # the file is the run on screen: its last good, finite parameters
    assert np.all(np.isfinite(exp.params))
    app.settings.reset = True
    assert app.status.n_steps == 0 and not app._notice.visible
    assert not np.array_equal(app.boundary.image_source.data["image"][0], image)
