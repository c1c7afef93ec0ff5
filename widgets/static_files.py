"""The widgets' browser code and stylesheets: files in ``widgets/static/``, shipped as package data.

Panel ``JSComponent`` classes take :func:`static_path` as ``_esm`` (Panel reads the file and inlines it into the
page; under ``panel serve --dev`` it also reloads it when it changes). Bokeh ``CustomJS`` bodies and stylesheets
take :func:`read_static`, called once when the widget's module is imported.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC_DIR", "static_path", "read_static"]

STATIC_DIR = Path(__file__).resolve().parent / "static"


def static_path(name: str) -> Path:
    """The absolute path of ``widgets/static/<name>``; raise FileNotFoundError if it is missing."""
    path = STATIC_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: a file of the widgets package is missing (package data not installed?)")
    return path


def read_static(name: str) -> str:
    """The text of ``widgets/static/<name>`` (UTF-8)."""
    return static_path(name).read_text(encoding="utf-8")
