"""Lesson panel: a lesson picker, then the current step's text, its goal and whether it is met, with Next and Back.

The panel shows what it is given and reports clicks; what a step sets up and when a goal is met is decided by the
app (:mod:`apps.lessons`). Every text is escaped. The goal line is a polite live region, so a screen reader
announces "Goal met" when it happens.
"""

from __future__ import annotations

from html import escape

import panel as pn
import param

from .static_files import read_static

__all__ = ["LessonPanel"]

_CSS = read_static("lesson_panel.css")


class LessonPanel(pn.viewable.Viewer):
    """Pick a lesson and walk through its steps.

    Example
    -------
    >>> panel = LessonPanel(options={"bloch": "One qubit, one ball"})
    >>> panel.param.update(lesson="bloch", step_title="A point on a ball", step_index=0, n_steps=3,
    ...                    text="Press Step.", goal_text="Press Step once.")
    """

    options = param.Dict(default={}, doc="Lesson name → title, in order.")
    lesson = param.String(default="", doc="The lesson shown ('' for none).")
    lesson_title = param.String(default="", doc="Its title.")
    step_index = param.Integer(default=0, bounds=(0, None), doc="The step shown, from 0.")
    n_steps = param.Integer(default=0, bounds=(0, None), doc="Steps of the lesson.")
    step_title = param.String(default="", doc="The step's title.")
    text = param.String(default="", doc="The step's text (plain; escaped when shown).")
    goal_text = param.String(default="", doc="The goal in words ('' when the step has none).")
    goal_met = param.Boolean(default=False, doc="Whether the goal is met.")
    has_solution = param.Boolean(default=False, doc="Whether 'Show me' can set the goal's solution.")
    start = param.Event(doc="The picker's Start: begin the lesson chosen in ``choice``.")
    choice = param.String(default="", doc="The lesson chosen in the picker.")
    next = param.Event(doc="Go to the next step (Finish on the last one).")
    previous = param.Event(doc="Go back one step.")
    show_me = param.Event(doc="Apply the step's solution.")
    leave = param.Event(doc="Leave the lesson.")

    def __init__(self, **params):
        super().__init__(**params)
        names = list(self.options)
        self.choice = self.choice or (names[0] if names else "")
        self.picker = pn.widgets.Select(label="Lesson", options={t: n for n, t in self.options.items()},
                                        value=self.choice or None, width=300, margin=(4, 8))
        self.picker.param.watch(lambda e: setattr(self, "choice", e.new or ""), "value")
        self.param.watch(lambda e: setattr(self.picker, "value", e.new) if e.new in self.options else None, "choice")
        self.start_button = pn.widgets.Button(label="Start lesson", color="primary", width=130, margin=(22, 8, 4, 4))
        self.start_button.on_click(lambda e: self.param.trigger("start"))
        self.heading = pn.pane.HTML("", margin=(0, 8), name="lesson-heading", stylesheets=[_CSS])
        self.body = pn.pane.HTML("", margin=(0, 8), name="lesson-text", stylesheets=[_CSS], sizing_mode="stretch_width")
        self.goal = pn.pane.HTML("", margin=(0, 8), name="lesson-goal", stylesheets=[_CSS], sizing_mode="stretch_width")
        self.back_button = pn.widgets.Button(label="◀ Back", width=100, margin=(4, 4))
        self.next_button = pn.widgets.Button(label="Next ▶", color="primary", width=120, margin=(4, 4))
        self.show_button = pn.widgets.Button(label="Show me", width=110, margin=(4, 4))
        self.leave_button = pn.widgets.Button(label="Leave lesson", width=130, margin=(4, 4))
        for button, event in ((self.back_button, "previous"), (self.next_button, "next"),
                              (self.show_button, "show_me"), (self.leave_button, "leave")):
            button.on_click(lambda e, event=event: self.param.trigger(event))
        self.buttons = pn.FlexBox(self.back_button, self.next_button, self.show_button, self.leave_button,
                                  flex_wrap="wrap", margin=(0, 4))
        self._step_view = pn.Column(self.heading, self.body, self.goal, self.buttons, margin=0,
                                    sizing_mode="stretch_width")
        self.param.watch(self._render, ["lesson", "lesson_title", "step_index", "n_steps", "step_title", "text",
                                        "goal_text", "goal_met", "has_solution"])
        self._render()

    def _render(self, *events) -> None:
        active = bool(self.lesson)
        self._step_view.visible = active
        if not active:
            return
        last = self.step_index + 1 >= self.n_steps
        self.heading.object = (
            f'<div class="lesson-head"><span class="lesson-title">{escape(self.lesson_title)}</span>'
            f'<span class="lesson-count">step {self.step_index + 1} of {self.n_steps}</span></div>'
            f'<h2 class="step-title">{escape(self.step_title)}</h2>'
        )
        self.body.object = f'<p class="step-text">{escape(self.text)}</p>'
        if self.goal_text:
            state = "met" if self.goal_met else "open"
            mark = "✓ Goal met: " if self.goal_met else "Goal: "
            after = " " + ("Press Finish." if last else "Press Next.") if self.goal_met else ""
            self.goal.object = (f'<div class="goal {state}" role="status" aria-live="polite">'
                                f'<b>{mark}</b>{escape(self.goal_text)}{escape(after)}</div>')
        else:
            self.goal.object = '<div class="goal none" role="status" aria-live="polite"></div>'
        self.back_button.disabled = self.step_index == 0
        self.next_button.label = "Finish ✓" if last else "Next ▶"
        self.next_button.color = "primary" if (self.goal_met or not self.goal_text) else "default"
        self.show_button.visible = self.has_solution and not self.goal_met

    def __panel__(self):
        return pn.Column(
            pn.FlexBox(self.picker, self.start_button, flex_wrap="wrap", margin=0),
            self._step_view,
            margin=0, sizing_mode="stretch_width",
        )
