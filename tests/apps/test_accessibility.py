"""What the page says to a screen reader and does for a keyboard, without a server: the live region's reports, the
shortcuts, the plots' text summaries and the curves as a table."""

from __future__ import annotations

import math

import pytest

import apps.playground_app as playground_app
from apps.playground_app import PlaygroundApp, progress_text
from apps.session import Frame


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = _Clock()
    monkeypatch.setattr(playground_app.time, "monotonic", c)
    return c


def test_progress_text_names_every_figure_and_what_is_missing():
    text = progress_text(Frame(n_steps=40, epoch=5, loss=0.1234, train_accuracy=0.714, test_accuracy=0.66))
    assert text == "epoch 5, step 40, loss 0.123, train accuracy 71 %, test accuracy 66 %."
    assert progress_text(Frame()) == "epoch 0, step 0, loss not measured, train accuracy not measured."


def test_the_first_frame_says_nothing_and_a_step_a_reset_and_a_pause_are_reported(clock):
    app = PlaygroundApp().start()
    assert app.announcer.text == ""  # opening the page is not news
    app.shortcut("step")
    assert app.status.n_steps == 1 and app.announcer.text.startswith("Step: epoch 0, step 1, loss ")
    app.shortcut("reset")
    assert app.status.n_steps == 0 and app.announcer.text.startswith("Reset: epoch 0, step 0")
    app.settings.playing = True  # without a server, a frame of training comes at once
    app.settings.playing = False
    assert app.status.n_steps > 0
    assert app.announcer.text.startswith(f"Paused: epoch {app.status.epoch}, step {app.status.n_steps}, loss ")


def test_a_frame_that_arrives_after_the_pause_is_announced_as_the_pause(clock):
    app = PlaygroundApp().start()
    app.settings.playing = True
    app.session._in_flight = True  # served, a frame computed while playing can still be on its way
    app.settings.playing = False
    app.session._in_flight = False
    assert app.announcer.text.startswith("Paused: ")
    last = app.session.frame
    late = Frame(n_steps=last.n_steps + 5, epoch=last.epoch, loss=0.25, train_accuracy=0.5, test_accuracy=0.5)
    app._announce(late, clock())
    assert app.announcer.text.startswith(f"Paused: epoch {last.epoch}, step {last.n_steps + 5}, loss 0.250")
    app.shortcut("step")
    assert app.announcer.text.startswith("Step: ")  # only that one frame


def test_while_training_the_live_region_speaks_at_most_every_few_seconds(clock):
    app = PlaygroundApp().start()
    app.settings.playing = True  # without a server, a frame comes each time one is asked for
    said = []
    for _ in range(12):
        clock.now += 1.0
        app.session.request_frame()
        if app.announcer.text not in said:
            said.append(app.announcer.text)
    assert len(said) == math.ceil(12 / playground_app.ANNOUNCE_INTERVAL)
    assert all(t.startswith("Training: epoch ") for t in said)


def test_shortcuts_play_pause_step_reset_and_next_lesson_step():
    app = PlaygroundApp({"lesson": [b"bloch"]}).start()
    app.shortcut("play")
    assert app.settings.playing
    app.shortcut("play")
    assert not app.settings.playing
    before = app.status.n_steps
    app.shortcut("step"), app.shortcut("step")
    assert app.status.n_steps == before + 2
    app.shortcut("reset")
    assert app.status.n_steps == 0
    assert app._lesson_index == 0
    app.shortcut("next")
    assert app._lesson_index == 1
    app.keys._handle_msg({"command": "next"})  # the browser's message takes the same path
    assert app._lesson_index == 2 and app.keys.pressed == 1


def test_next_does_nothing_without_a_lesson():
    app = PlaygroundApp().start()
    app.shortcut("next")
    assert app._lesson is None and app.status.n_steps == 0


def test_goal_met_is_announced():
    app = PlaygroundApp({"lesson": [b"bloch"]}).start()
    lesson = app._lesson
    goal = lesson.steps[0].goal
    for _ in range(200):
        if app.lesson_panel.goal_met:
            break
        app.shortcut("step")
    assert app.lesson_panel.goal_met
    assert app.announcer.text == f"Goal met: {goal.text}"


def test_every_plot_has_a_text_summary():
    app = PlaygroundApp({"n_qubits": [b"2"]}).start()
    boundary = app.boundary.summary.text
    assert boundary.startswith("Decision boundary: ") and "of test points on the right side" in boundary
    assert " covers " in boundary
    spheres = app._spheres_summary.text
    assert "Bloch sphere of qubit 0: class 0 " in spheres and "Bloch sphere of qubit 1: " in spheres
    assert app.layers.summary.text.startswith("Layer by layer, qubit 0 after layer ")
    app.layers.layer = 1  # another layer is described at once
    assert "after layer 1: class 0 states average" in app.layers.summary.text


def test_the_curves_show_as_a_table_on_request():
    app = PlaygroundApp().start()
    for _ in range(3):
        app.shortcut("step")
    assert not app.curve_table.visible and app.metrics_box.visible
    app.curve_table_toggle.value = True
    assert app.curve_table.visible and not app.metrics_box.visible
    table = app.curve_table.object
    assert "<caption>Loss and accuracy by epoch" in table and table.count("<tr>") == 1 + 4  # header + steps 0..3
    app.shortcut("step")
    assert app.curve_table.object.count("<tr>") == 1 + 5  # it follows training while shown
    app.curve_table_toggle.value = False
    assert app.metrics_box.visible and not app.curve_table.visible
