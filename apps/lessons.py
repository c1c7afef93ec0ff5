"""Guided lessons: Markdown files under ``assets/lessons/``, parsed into steps that set up the page and check a goal.

A lesson is data, not code. Each file holds one lesson::

    # One qubit, one ball                      <- the title
    A state of one qubit is a point on a ball.  <- a summary paragraph (optional)

    ## A point on a ball                         <- one step per second-level heading
    settings: dataset=circle&n_layers=1&init=zeros    <- a partial page state, as in the address bar
    hide: editor, model                          <- groups to hide while the step is shown (optional)
    goal: step >= 5                              <- what the page checks live (optional)
    goal-text: Press Step five times.            <- the goal in words (required with a goal)
    solution: n_layers=2                         <- what a student changes to meet it (optional; the tests and
                                                    the page's "Show me" apply it)

    Two to four plain sentences: what to do and what to look at.

A step's ``settings`` apply on top of the earlier steps' (and of the page's defaults), so opening step K of a
lesson gives the same page as walking to it. ``settings`` is validated by the page's own URL parser (:func:`apps.settings.parse_query`): a value the page
would clamp or ignore is an error here. A goal is conditions joined by ``and``, each ``NAME OP NUMBER`` with a
name from :data:`GOAL_NAMES` and an operator from ``>= <= > < ==``; nothing in a lesson file is evaluated as
code. :func:`load_lesson` reports a broken file as one :class:`LessonError` naming the file and the line.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import parse_qs

from .settings import parse_query

__all__ = [
    "Goal", "Lesson", "LessonError", "LessonStep", "LESSONS", "LESSON_DIR", "HIDE_GROUPS", "GOAL_NAMES",
    "load_lesson", "load_lessons", "step_state", "goal_state",
]

LESSON_DIR = Path(__file__).resolve().parent.parent / "assets" / "lessons"
#: What a goal can look at: the page's numbers and the circuit's shape.
GOAL_NAMES = ("test_accuracy", "train_accuracy", "loss", "step", "epoch", "n_layers", "n_qubits")
#: The page's control and view groups a step (or a class link) can hide.
HIDE_GROUPS = ("gallery", "data", "model", "training", "share", "editor", "boundary", "curves", "spheres", "layers")
MAX_STEPS = 20
MAX_TEXT_CHARS = 1200
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}
_CONDITION = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
_KEYS = ("settings", "hide", "goal", "goal-text", "solution")


class LessonError(ValueError):
    """A lesson file that cannot be used: the message names the file and the line."""


@dataclass(frozen=True)
class Goal:
    """Conditions that must all hold, e.g. ``test_accuracy >= 0.9 and n_layers <= 3``; ``text`` says it in words."""

    conditions: tuple[tuple[str, str, float], ...]
    text: str

    @classmethod
    def parse(cls, source: str, text: str) -> "Goal":
        conditions = []
        for part in source.split(" and "):
            match = _CONDITION.match(part)
            if not match:
                raise ValueError(f"goal: expected conditions like 'test_accuracy >= 0.9' joined by 'and', got {part.strip()!r}")
            name, op, number = match.groups()
            if name not in GOAL_NAMES:
                raise ValueError(f"goal: expected a name among {', '.join(GOAL_NAMES)}, got {name!r}")
            conditions.append((name, op, float(number)))
        return cls(tuple(conditions), text)

    def met(self, state: Mapping[str, float]) -> bool:
        """Whether every condition holds for ``state`` (name → number); a missing or NaN number never meets one."""
        for name, op, number in self.conditions:
            value = state.get(name)
            if value is None or (isinstance(value, float) and math.isnan(value)) or not _OPS[op](value, number):
                return False
        return True


@dataclass(frozen=True)
class LessonStep:
    """One step: its title, the page state it sets, the groups it hides, its text and its goal (or None)."""

    title: str
    settings: dict
    hide: tuple[str, ...]
    text: str
    goal: Goal | None
    solution: dict  # settings that meet the goal from this step's state (may be empty)


@dataclass(frozen=True)
class Lesson:
    name: str  # the file's stem: ``?lesson=NAME``
    title: str
    summary: str
    steps: tuple[LessonStep, ...]


def _fail(path: Path, line: int, message: str) -> LessonError:
    return LessonError(f"{path.name}, line {line}: {message}")


def _settings(query: str) -> dict:
    args = parse_qs(query, keep_blank_values=True, strict_parsing=False)
    values, notices = parse_query({k: [v[-1]] for k, v in args.items()})
    if notices:
        raise ValueError("settings: " + " ".join(notices))
    if "playing" in values:
        raise ValueError("settings: a step does not start training by itself (no 'playing')")
    return values


def _hide(source: str) -> tuple[str, ...]:
    groups = tuple(g.strip() for g in source.split(",") if g.strip())
    for g in groups:
        if g not in HIDE_GROUPS:
            raise ValueError(f"hide: expected groups among {', '.join(HIDE_GROUPS)}, got {g!r}")
    return groups


def _step(path: Path, line: int, title: str, keys: dict, text_lines: list[str]) -> LessonStep:
    try:
        settings = _settings(keys.get("settings", ("", 0))[0])
        hide = _hide(keys.get("hide", ("", 0))[0])
        goal = None
        if "goal" in keys:
            if "goal-text" not in keys:
                raise ValueError("goal-text: expected the goal in words after a goal")
            goal = Goal.parse(keys["goal"][0], keys["goal-text"][0])
        elif "goal-text" in keys:
            raise ValueError("goal: expected a goal before its goal-text")
        solution = _settings(keys.get("solution", ("", 0))[0]) if "solution" in keys else {}
        if solution and goal is None:
            raise ValueError("solution: expected a goal for the solution to meet")
    except ValueError as err:
        key = str(err).split(":", 1)[0]
        where = keys.get(key) or keys.get("goal" if key.startswith("goal") else key) or (None, line)
        raise _fail(path, where[1], str(err)) from None
    text = " ".join(" ".join(text_lines).split())
    if not text:
        raise _fail(path, line, f"step {title!r}: expected two to four sentences of text")
    if len(text) > MAX_TEXT_CHARS:
        raise _fail(path, line, f"step {title!r}: expected at most {MAX_TEXT_CHARS} characters of text, got {len(text)}")
    return LessonStep(title, settings, hide, text, goal, solution)


def load_lesson(path: str | Path) -> Lesson:
    """Parse one lesson file; :class:`LessonError` names the file and the line of the first problem."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise LessonError(f"{path.name}: cannot be read ({err})") from None
    title, summary, steps = None, [], []
    current = None  # (line, title, keys, text lines)
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if line.startswith("## "):
            if title is None:
                raise _fail(path, number, "expected the lesson's '# title' before its first step")
            if current:
                steps.append(_step(path, *current))
            current = (number, line[3:].strip(), {}, [])
        elif line.startswith("# "):
            if title is not None:
                raise _fail(path, number, "expected one '# title' per lesson, got a second one")
            title = line[2:].strip()
        elif line.startswith("#"):
            raise _fail(path, number, "expected '# title' or '## step title', got another heading")
        elif current is None:
            if title is None and line:
                raise _fail(path, number, "expected the lesson's '# title' first")
            summary.append(line)
        else:
            _, _, keys, text = current
            key, sep, value = line.partition(":")
            if not text and sep and key.strip() in _KEYS and line[:1] not in (" ", "\t"):
                if key.strip() in keys:
                    raise _fail(path, number, f"{key.strip()}: given twice in one step")
                keys[key.strip()] = (value.strip(), number)
            elif not text and sep and re.fullmatch(r"[a-z-]+", key.strip()):
                raise _fail(path, number, f"expected one of {', '.join(_KEYS)} before the step's text, got {key.strip()!r}")
            else:
                text.append(line)
    if current:
        steps.append(_step(path, *current))
    if title is None:
        raise _fail(path, 1, "expected a '# title' line")
    if not steps:
        raise _fail(path, len(lines) or 1, "expected at least one '## step'")
    if len(steps) > MAX_STEPS:
        raise _fail(path, len(lines), f"expected at most {MAX_STEPS} steps, got {len(steps)}")
    name = re.sub(r"^\d+-", "", path.stem)  # "1-bloch.md" is the lesson "bloch"; the number orders the files
    if not re.fullmatch(r"[a-z0-9-]{1,40}", name):
        raise _fail(path, 1, f"expected a file name like '1-bloch.md' (lower-case letters, digits, '-'), got {path.name!r}")
    return Lesson(name, title, " ".join(" ".join(summary).split()), tuple(steps))


def load_lessons(directory: str | Path = LESSON_DIR) -> dict[str, Lesson]:
    """Every ``*.md`` lesson of ``directory``, in the order of the numbers their file names start with."""
    def order(path: Path):
        match = re.match(r"^(\d+)-", path.name)
        return (int(match.group(1)) if match else 10**6, path.name)

    lessons = [load_lesson(p) for p in sorted(Path(directory).glob("*.md"), key=order)]
    names = [lesson.name for lesson in lessons]
    for name in names:
        if names.count(name) > 1:
            raise LessonError(f"{name}: two lesson files have this name")
    return {lesson.name: lesson for lesson in lessons}


LESSONS: dict[str, Lesson] = load_lessons()
"""The lessons shipped with the playground (``assets/lessons/``), loaded once at import."""


def step_state(lesson: Lesson, index: int) -> tuple[dict, tuple[str, ...]]:
    """The page state of step ``index`` (0-based): the settings of steps 0..index applied in order, and the groups
    that step hides."""
    if not 0 <= index < len(lesson.steps):
        raise IndexError(f"step: expected 1..{len(lesson.steps)} for lesson {lesson.name!r}, got {index + 1}")
    values: dict = {}
    for step in lesson.steps[: index + 1]:
        values.update(step.settings)
    return values, lesson.steps[index].hide


def goal_state(*, step: int, epoch: int, loss: float, train_accuracy: float, test_accuracy: float,
               n_layers: int, n_qubits: int) -> dict[str, float]:
    """The numbers a goal looks at (:data:`GOAL_NAMES`), from what the page shows."""
    return {"step": step, "epoch": epoch, "loss": loss, "train_accuracy": train_accuracy,
            "test_accuracy": test_accuracy, "n_layers": n_layers, "n_qubits": n_qubits}
