"""CONTRIBUTING.md's "add a dataset" recipe, followed literally on a throwaway copy of the repository, gives a
working dataset: in the registry, in its tests, on the command line and on the page."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "CONTRIBUTING.md"
_STEP = re.compile(r"<!-- recipe: (?P<how>.+?) -->\s*```python\n(?P<code>.*?)```", re.S)
_CHECK = re.compile(r"<!-- recipe: check -->\s*```bash\n(?P<code>.*?)```", re.S)


def _section(name: str) -> str:
    match = re.search(rf"^## Recipe: {re.escape(name)}\n(.*?)(?=^## )", GUIDE.read_text(encoding="utf-8"), re.S | re.M)
    assert match, f"CONTRIBUTING.md has no '## Recipe: {name}' section"
    return match.group(1)


def recipe_checks(section: str) -> list[list[str]]:
    """The commands of the section's check step, each as the argument list to run with this Python."""
    commands = []
    for block in _CHECK.finditer(_section(section)):
        for line in block.group("code").strip().splitlines():
            program, *args = shlex.split(line)
            if program.endswith("/python"):
                commands.append(args)
            else:
                assert program.endswith("playground"), f"a check runs python or playground, got {line!r}"
                commands.append(["-m", "playground.cli", *args])
    return commands


def recipe_steps(section: str) -> list[tuple[str, dict[str, str], str]]:
    """The machine-readable steps of one ``## Recipe`` section: (file, {op: anchor}, code)."""
    steps = []
    for step in _STEP.finditer(_section(section)):
        file, *ops = [part.strip() for part in step.group("how").split(" | ")]
        how = {}
        for op in ops:
            name, _, anchor = op.partition(": ")
            how[name] = anchor
        steps.append((file, how, step.group("code")))
    return steps


def apply_step(text: str, how: dict[str, str], code: str) -> str:
    """Do what one step says: insert ``code`` before a line (searching from an ``after`` line), replace a text, or
    append; an anchor that is missing or ambiguous is an error, as it would be for a person."""
    if "append" in how:
        return text + code
    if "replace" in how:
        old = how["replace"]
        assert text.count(old) == 1, f"expected the text {old!r} once, found it {text.count(old)} times"
        return text.replace(old, code.rstrip("\n"))
    lines = text.split("\n")
    start = 0
    if "after" in how:
        found = [i for i, line in enumerate(lines) if how["after"] in line]
        assert len(found) == 1, f"expected one line with {how['after']!r}, found {len(found)}"
        start = found[0] + 1
    anchor = how["before"]
    at = next((i for i in range(start, len(lines)) if lines[i] == anchor or lines[i].startswith(anchor)), None)
    assert at is not None, f"no line starting with {anchor!r}"
    return "\n".join(lines[:at] + code.rstrip("\n").split("\n") + lines[at:])


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PLAYGROUND_BACKEND")}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_recipe_is_written_as_steps_on_the_files_it_names():
    steps = recipe_steps("add a dataset")
    assert [file for file, _, _ in steps] == [
        "playground/datasets.py", "playground/datasets.py", "widgets/dataset_picker.py",
        "tests/playground/test_datasets.py", "tests/playground/test_datasets.py",
    ]


def test_a_broken_anchor_is_an_error():
    with pytest.raises(AssertionError, match="no line starting"):
        apply_step("a\nb\n", {"before": "def nowhere("}, "x\n")
    with pytest.raises(AssertionError, match="once"):
        apply_step("x x", {"replace": "x"}, "y\n")


def test_following_the_add_a_dataset_recipe_gives_a_working_dataset(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "test-artifacts", ".hypothesis", ".pytest_cache", "*.egg-info"))
    for file, how, code in recipe_steps("add a dataset"):
        path = copy / file
        path.write_text(apply_step(path.read_text(encoding="utf-8"), how, code), encoding="utf-8")

    # Step 6, "Check it", as written; then more of the same in detail, and the page's URL and thumbnails.
    checks = recipe_checks("add a dataset")
    assert len(checks) == 2
    for args in checks:
        done = _run(args, copy)
        assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    tests = _run(["-m", "pytest", "tests/playground/test_datasets.py", "tests/widgets/test_dataset_picker.py", "-q",
                  "-p", "no:cacheprovider", "-k", "checkerboard or registry"], copy)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
    passed = int(re.search(r"(\d+) passed", tests.stdout).group(1))
    assert passed >= 3 and " failed" not in tests.stdout, tests.stdout[-2000:]
    assert "PASSED tests/playground/test_datasets.py::test_checkerboard_alternates_between_neighbouring_squares" in _run(
        ["-m", "pytest", "tests/playground/test_datasets.py", "-q", "-p", "no:cacheprovider", "-rA", "-k",
         "checkerboard_alternates"], copy).stdout

    page = _run(["-c", (
        "from apps.settings import parse_query\n"
        "from widgets.dataset_picker import DatasetPicker\n"
        "values, notices = parse_query({'dataset': [b'checkerboard']})\n"
        "assert values['dataset'] == 'checkerboard' and not notices, (values, notices)\n"
        "picker = DatasetPicker()\n"
        "assert picker.buttons['checkerboard'].label == 'checkerboard'\n"
        "picker.buttons['checkerboard'].clicks += 1\n"
        "assert picker.value == 'checkerboard', picker.value\n"
        "print('page ok')\n"
    )], copy)
    assert page.returncode == 0 and "page ok" in page.stdout, page.stderr[-2000:]

    # The copy, not the installed project, was tested: the original registry has no checkerboard.
    from playground.datasets import DATASETS

    assert "checkerboard" not in DATASETS
