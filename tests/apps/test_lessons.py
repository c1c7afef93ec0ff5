"""Lessons: every file parses, every step's state is one the page accepts, every goal can be met by training the
step's set-up headlessly, and a broken file is one clear error naming the file and the line."""

from __future__ import annotations

import pytest

from apps.lessons import (
    GOAL_NAMES, HIDE_GROUPS, LESSON_DIR, LESSONS, Goal, LessonError, goal_state, load_lesson, load_lessons, step_state,
)
from apps.playground_app import PlaygroundApp
from apps.settings import PlaygroundSettings

MAX_TRAINING_STEPS = 1500  # the bound within which every goal must be met
STEPS = [(name, k) for name, lesson in LESSONS.items() for k in range(len(lesson.steps))]


def test_the_lessons_are_there_in_order():
    assert len(LESSONS) >= 6
    assert list(LESSONS)[:2] == ["bloch", "reuploading"]
    for lesson in LESSONS.values():
        assert lesson.title and 1 <= len(lesson.steps) <= 20
        for step in lesson.steps:
            sentences = [s for s in step.text.replace("?", ".").replace("!", ".").split(". ") if s.strip()]
            assert 2 <= len(sentences) <= 5, (lesson.name, step.title, len(sentences))
            assert set(step.hide) <= set(HIDE_GROUPS)
            assert "<" not in step.text and "`" not in step.text  # plain text: nothing to render as markup


@pytest.mark.parametrize("name, index", STEPS)
def test_every_step_gives_a_state_the_page_takes(name, index):
    values, hidden = step_state(LESSONS[name], index)
    settings = PlaygroundSettings()
    settings.param.update(values)
    for key, value in values.items():
        assert getattr(settings, key) == value, (name, index, key)


def _train_until(goal: Goal, app: PlaygroundApp) -> dict:
    trainer = app.session._trainer
    spec = trainer.classifier.spec
    state = {}
    while trainer.n_steps <= MAX_TRAINING_STEPS:
        scores = trainer.evaluate()
        state = goal_state(step=trainer.n_steps, epoch=trainer.epoch, loss=scores["train_loss"],
                           train_accuracy=scores["train_accuracy"], test_accuracy=scores["test_accuracy"],
                           n_layers=spec.n_layers, n_qubits=spec.n_qubits)
        if goal.met(state):
            return state
        for _ in range(10):
            trainer.step()
    raise AssertionError(f"goal {goal.text!r} not met within {MAX_TRAINING_STEPS} steps; last {state}")


@pytest.mark.parametrize("name, index", [(n, k) for n, k in STEPS if LESSONS[n].steps[k].goal is not None])
def test_every_goal_is_met_by_training_its_set_up(name, index):
    lesson = LESSONS[name]
    step = lesson.steps[index]
    values, _ = step_state(lesson, index)
    app = PlaygroundApp()
    app._apply_values({**values, **step.solution})
    app.start()
    state = _train_until(step.goal, app)
    assert step.goal.met(state)


def test_a_goal_is_met_only_when_every_condition_holds():
    goal = Goal.parse("test_accuracy >= 0.9 and n_layers <= 3", "text")
    base = dict(step=10, epoch=1, loss=0.1, train_accuracy=0.9, test_accuracy=0.95, n_layers=3, n_qubits=1)
    assert goal.met(goal_state(**base))
    assert not goal.met(goal_state(**{**base, "n_layers": 4}))
    assert not goal.met(goal_state(**{**base, "test_accuracy": float("nan")}))
    assert set(goal_state(**base)) == set(GOAL_NAMES)


GOOD = """# A lesson
A summary.

## First step
settings: dataset=moons&n_layers=2
hide: editor
goal: step >= 3
goal-text: Press Step three times.

One sentence here. Another one there.
"""


@pytest.mark.parametrize("mangle, line, fragment", [
    (lambda t: t.replace("# A lesson\n", ""), 1, "'# title'"),
    (lambda t: t.replace("dataset=moons", "dataset=nowhere"), 5, "dataset"),
    (lambda t: t.replace("n_layers=2", "n_layers=999"), 5, "out of range"),
    (lambda t: t.replace("hide: editor", "hide: editor, everything"), 6, "hide"),
    (lambda t: t.replace("step >= 3", "__import__('os') >= 3"), 7, "goal"),
    (lambda t: t.replace("step >= 3", "steps >= 3"), 7, "goal"),
    (lambda t: t.replace("goal-text: Press Step three times.\n", ""), 7, "goal-text"),
    (lambda t: t.replace("One sentence here. Another one there.\n", ""), 4, "text"),
    (lambda t: t.replace("hide: editor", "colour: red"), 6, "colour"),
    (lambda t: t + "### a third-level heading\n", 11, "heading"),
    (lambda t: t.replace("dataset=moons", "dataset=moons&playing=1"), 5, "playing"),
])
def test_a_broken_lesson_is_one_error_naming_the_file_and_line(tmp_path, mangle, line, fragment):
    good = tmp_path / "9-sample.md"
    good.write_text(GOOD, encoding="utf-8")
    lesson = load_lesson(good)
    assert lesson.name == "sample" and lesson.steps[0].goal.conditions == (("step", ">=", 3.0),)
    bad = tmp_path / "9-broken.md"
    bad.write_text(mangle(GOOD), encoding="utf-8")
    with pytest.raises(LessonError) as err:
        load_lesson(bad)
    message = str(err.value)
    assert message.startswith(f"9-broken.md, line {line}:") and fragment in message, message
    assert "\n" not in message


def test_a_lesson_directory_is_read_in_the_order_of_its_numbers(tmp_path):
    for number, name in ((10, "late"), (2, "early")):
        (tmp_path / f"{number}-{name}.md").write_text(GOOD, encoding="utf-8")
    assert list(load_lessons(tmp_path)) == ["early", "late"]
    assert {p.name for p in LESSON_DIR.glob("*.md")} and all(p.suffix == ".md" for p in LESSON_DIR.iterdir())


# ------------------------------------------------------------------ on the page
def _page(query: str = "") -> PlaygroundApp:
    from urllib.parse import parse_qs

    args = {k: [v[-1].encode()] for k, v in parse_qs(query, keep_blank_values=True).items()}
    return PlaygroundApp(args).start()


def test_a_lesson_link_opens_its_step_with_its_groups_hidden():
    app = _page("lesson=bloch&step=2")
    panel = app.lesson_panel
    assert (panel.lesson, panel.step_index, panel.n_steps) == ("bloch", 1, 3)
    assert panel.step_title == LESSONS["bloch"].steps[1].title and not panel.goal_met
    hidden = {name for name, group in app._groups.items() if not group.visible}
    assert hidden == set(LESSONS["bloch"].steps[1].hide)
    assert app.settings.n_layers == 1 and app.settings.dataset == "circle"  # step 1's settings carry over
    assert app._address().endswith("lesson=bloch&step=2")
    assert not app._notice.visible


@pytest.mark.parametrize("query, fragment", [
    ("lesson=nowhere", "lesson: 'nowhere' is not one of"),
    ("lesson=bloch&step=99", "step: expected 1..3"),
    ("lesson=bloch&step=<b>", "step: expected 1..3"),
    ("step=2", "only a lesson has steps"),
])
def test_a_bad_lesson_address_is_one_escaped_notice_and_a_working_page(query, fragment):
    app = _page(query)
    assert app._notice.visible and fragment.replace("'", "&#x27;").replace("<", "&lt;") in app._notice.object
    assert "<b>" not in app._notice.object
    assert app.session.frame is not None and app.session.frame.error is None
    assert app.lesson_panel.step_index == 0


def test_walking_a_lesson_meets_goals_and_finishes():
    app = _page()
    app.lesson_panel.choice = "reuploading"
    app.lesson_panel.param.trigger("start")
    assert app.lesson_panel.lesson == "reuploading" and app.settings.n_layers == 1
    app.session._trainer.run(160)
    app.settings.step = True
    assert app.lesson_panel.goal_met and "Goal met" in app.lesson_panel.goal.object
    app.lesson_panel.param.trigger("next")
    assert app.lesson_panel.step_index == 1 and not app.lesson_panel.goal_met and app.session.frame.n_steps == 0
    assert app.lesson_panel.show_button.visible
    app.lesson_panel.param.trigger("show_me")
    assert app.settings.n_layers == 2
    app.session._trainer.run(300)
    app.settings.step = True
    assert app.lesson_panel.goal_met
    app.lesson_panel.param.trigger("previous")
    assert app.lesson_panel.step_index == 0 and app.settings.n_layers == 1  # the step's state again
    app.lesson_panel.param.trigger("next")
    app.lesson_panel.param.trigger("next")  # Finish
    assert app._lesson is None and "Lesson finished" in app._notice.object
    assert all(group.visible for group in app._groups.values())
    assert "lesson=" not in app._address()


def test_back_and_forward_follow_the_lesson_steps():
    app = _page("lesson=bloch")
    first = "?" + app._address()
    app.lesson_panel.param.trigger("next")
    assert app.lesson_panel.step_index == 1
    app._on_navigate(first)
    assert app.lesson_panel.step_index == 0 and app._lesson.name == "bloch"
    app._on_navigate("?n_layers=3")
    assert app._lesson is None and app.lesson_panel.lesson == "" and app.settings.n_layers == 3


def test_the_lesson_files_ship_with_the_package():
    import tomllib

    root = LESSON_DIR.parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "assets.lessons" in config["packages"]
    shipped = {p.resolve() for g in config["package-data"]["assets.lessons"] for p in LESSON_DIR.glob(g)}
    assert shipped == {p.resolve() for p in LESSON_DIR.glob("*.md")} and len(shipped) == len(LESSONS)
