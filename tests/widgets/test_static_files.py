"""Browser code and stylesheets live in their own files (linted by ESLint), and every one of them ships."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import tomllib
from pathlib import Path

import pytest
from panel.custom import ReactiveESM

import widgets
from widgets.static_files import STATIC_DIR, read_static, static_path

ROOT = Path(__file__).resolve().parents[2]
PY_DIRS = ("widgets", "apps")
MAX_LINES = 10
#: Where a file name in a module of each package is looked up (widgets/static_files.py, apps/playground_app.py).
STATIC_DIRS = {"widgets": ROOT / "widgets" / "static", "apps": ROOT / "assets"}
# A file's name, or (as a Panel design writes it, relative to its module) "static/" and the name.
_FILE_NAME = re.compile(r"^(?:static/)?[\w.-]+\.(?:js|css)$")


def _python_files():
    return sorted(p for d in PY_DIRS for p in (ROOT / d).rglob("*.py"))


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                if isinstance(first.value.value, str):
                    ids.add(id(first.value))
    return ids


def _looks_like_browser_code(text: str) -> bool:
    return "{" in text and (";" in text or any(word in text for word in ("function", "=>", ":host", "export ")))


def embedded_browser_code(source: str) -> list[tuple[int, int]]:
    """(line, number of lines) of every string in ``source`` longer than MAX_LINES lines that looks like JS or
    CSS; docstrings do not count."""
    tree = ast.parse(source)
    skip = _docstring_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # an f-string: its literal parts, placeholders as {}
            skip.update(id(v) for v in node.values)
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
        else:
            continue
        n_lines = text.strip("\n").count("\n") + 1
        if n_lines > MAX_LINES and _looks_like_browser_code(text):
            found.append((node.lineno, n_lines))
    return found


def test_the_check_finds_javascript_and_css_in_a_string_but_not_a_docstring():
    body = "\n".join(f"  x{i} = {i};" for i in range(MAX_LINES))
    js = f'_ESM = """\nexport function render({{ model, el }}) {{\n{body}\n}}\n"""\n'
    css = '_CSS = f"""\n' + "\n".join(f".c{i} {{{{ width: {{W}}px; }}}}" for i in range(MAX_LINES + 1)) + '\n"""\n'
    doc = 'def f():\n    """' + "\n".join(f"    a {{b}}; c => {i}" for i in range(MAX_LINES + 5)) + '\n    """\n'
    short = '_JS = """\nconst a = () => { return 1; };\n"""\n'
    assert embedded_browser_code(js) == [(1, MAX_LINES + 2)]
    assert embedded_browser_code(css) == [(1, MAX_LINES + 1)]
    assert embedded_browser_code(doc) == []
    assert embedded_browser_code(short) == []


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_long_javascript_or_css_in_python(path):
    found = embedded_browser_code(path.read_text(encoding="utf-8"))
    assert not found, (f"{path.relative_to(ROOT)}: JavaScript/CSS strings of more than {MAX_LINES} lines at "
                       f"(line, lines) {found}; put them in a .js/.css file (see widgets/static_files.py)")


def _referenced_files() -> dict[Path, list[str]]:
    """Every .js/.css file name written in a module of widgets/ or apps/, resolved → the modules naming it."""
    refs: dict[Path, list[str]] = {}
    for path in _python_files():
        package = path.relative_to(ROOT).parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _FILE_NAME.match(node.value):
                name = node.value.removeprefix("static/")
                refs.setdefault(STATIC_DIRS[package] / name, []).append(str(path.relative_to(ROOT)))
    return refs


def _package_data() -> set[Path]:
    """The files the [tool.setuptools.package-data] globs of pyproject.toml select (as setuptools globs them)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    shipped = set()
    for package, globs in config["package-data"].items():
        assert package in config["packages"], f"package-data for {package!r}, which is not in packages"
        base = ROOT / package.replace(".", "/")
        shipped |= {p.resolve() for g in globs for p in base.glob(g) if p.is_file()}
    return shipped


def test_every_referenced_static_file_exists_and_ships_as_package_data():
    refs = _referenced_files()
    assert STATIC_DIR / "bloch.js" in refs and ROOT / "assets" / "playground.css" in refs  # the scan sees them
    shipped = _package_data()
    for path, modules in refs.items():
        assert path.is_file(), f"{path.relative_to(ROOT)} (named in {modules}) does not exist"
        assert path.resolve() in shipped, (
            f"{path.relative_to(ROOT)} is not selected by [tool.setuptools.package-data] in pyproject.toml")


def test_every_static_file_is_used():
    refs = _referenced_files()
    files = [p for p in STATIC_DIR.iterdir() if p.is_file()]
    files += [p for p in (ROOT / "assets").iterdir() if p.suffix in (".js", ".css")]
    unused = sorted(str(p.relative_to(ROOT)) for p in files if p not in refs)
    assert not unused, f"files no module names: {unused}"


def _esm_components():
    for info in pkgutil.iter_modules(widgets.__path__, "widgets."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ReactiveESM) and cls.__module__ == module.__name__ and "_esm" in vars(cls):
                yield cls


def test_components_take_their_esm_from_a_static_file_that_panel_inlines():
    components = list(_esm_components())
    assert {c.__name__ for c in components} >= {"BlochSphere", "CircuitCanvas", "UrlState"}
    for cls in components:
        assert isinstance(cls._esm, Path) and cls._esm.parent == STATIC_DIR and cls._esm.is_file(), cls
        esm = cls._render_esm(True)  # what Panel puts in the page: the file's text, not a URL
        assert esm == cls._esm.read_text(encoding="utf-8") and "export function render(" in esm, cls


def test_circuit_row_height_is_the_same_in_python_and_javascript():
    from widgets.circuit_editor import ROW_H

    match = re.search(r"^const ROW_H = (\d+),", read_static("circuit_editor.js"), re.M)
    assert match and int(match.group(1)) == ROW_H


def test_a_missing_static_file_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no_such_file.js"):
        static_path("no_such_file.js")
