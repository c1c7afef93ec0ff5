"""Lesson panel: shows what it is given (escaped), marks the goal, and reports its buttons; no lesson logic."""

from widgets.lesson_panel import LessonPanel


def _panel(**kw):
    panel = LessonPanel(options={"a": "First <lesson>", "b": "Second"})
    panel.param.update(lesson="a", lesson_title="First <lesson>", step_index=0, n_steps=2, step_title="Step & one",
                       text="Press <Step>.", goal_text="Press Step once.", **kw)
    return panel


def test_nothing_but_the_picker_without_a_lesson():
    panel = LessonPanel(options={"a": "First", "b": "Second"})
    assert not panel._step_view.visible and panel.choice == "a"
    assert list(panel.picker.options) == ["First", "Second"]


def test_the_step_is_shown_escaped_with_an_open_goal():
    panel = _panel()
    assert panel._step_view.visible
    assert "First &lt;lesson&gt;" in panel.heading.object and "step 1 of 2" in panel.heading.object
    assert "Step &amp; one" in panel.heading.object and "Press &lt;Step&gt;." in panel.body.object
    assert 'aria-live="polite"' in panel.goal.object and "goal open" in panel.goal.object
    assert panel.back_button.disabled and panel.next_button.label == "Next ▶"


def test_a_met_goal_says_so_and_the_last_step_finishes():
    panel = _panel(goal_met=True)
    assert "goal met" in panel.goal.object and "Goal met" in panel.goal.object and "Press Next." in panel.goal.object
    panel.step_index = 1
    assert panel.next_button.label == "Finish ✓" and "Press Finish." in panel.goal.object
    assert not panel.back_button.disabled


def test_the_buttons_report_their_events():
    panel = _panel(has_solution=True)
    seen = []
    for event in ("start", "next", "previous", "show_me", "leave"):
        panel.param.watch(lambda e, event=event: seen.append(event), event)
    assert panel.show_button.visible
    for button in (panel.start_button, panel.next_button, panel.back_button, panel.show_button, panel.leave_button):
        button.clicks += 1
    assert seen == ["start", "next", "previous", "show_me", "leave"]
    panel.picker.value = "b"
    assert panel.choice == "b"
    panel.choice = "a"  # the app opened another lesson: the picker shows it
    assert panel.picker.value == "a"
