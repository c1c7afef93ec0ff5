"""Address bar ↔ server: write the page's state into the URL as history entries, and hear Back and Forward."""

from __future__ import annotations

import re
from typing import Any, Callable

import param
from panel.custom import JSComponent

from .static_files import static_path

__all__ = ["UrlState", "MAX_SEARCH_CHARS"]

_BASE = re.compile(r"^https?://[^\s?#\"'<>]+$")
#: The longest query string the browser side reports back (a circuit link is a few hundred characters).
MAX_SEARCH_CHARS = 40_000


class UrlState(JSComponent):
    """Keeps the address bar in step with the server and reports Back/Forward.

    Call :meth:`show` with a query string; when the person goes Back or Forward, ``on_navigate`` is called
    (on the document thread) with the query string the browser now shows, which the app applies without
    writing a new entry. Nothing from the browser is trusted: the query string is length-checked here and
    parsed by the app's validator.

    Example
    -------
    >>> url = UrlState(on_navigate=lambda search: print("back to", search))
    >>> url.show("?n_layers=5", mode="push")
    """

    search = param.String(default=None, allow_None=True, doc=(
        "The query string the page shows ('' or starting with '?'); None until this object first writes it."))
    mode = param.Selector(default="auto", objects=["push", "replace", "auto"], doc="How the next write is made.")
    merge_ms = param.Integer(default=800, bounds=(0, 60_000), doc="'auto' writes within this long of a push replace it.")
    serial = param.Integer(default=0, doc="Bumped with every write, so that the browser applies it.")
    base = param.String(default="", doc="The page's address without the query (http(s)://host/path), once known.")

    _esm = static_path("url_state.js")  # Panel inlines the file into the page

    def __init__(self, on_navigate: Callable[[str], None] | None = None, **params):
        params.setdefault("width", 0)
        params.setdefault("height", 0)
        params.setdefault("margin", 0)
        super().__init__(**params)
        self._on_navigate = on_navigate

    def show(self, search: str, *, mode: str = "auto") -> None:
        """Put ``search`` (``"?a=1&b=2"``, or ``""``) in the address bar."""
        if search and not search.startswith("?"):
            search = "?" + search
        self.param.update(search=search, mode=mode, serial=self.serial + 1)

    def link(self, search: str) -> str:
        """The full address of the page with ``search`` (relative while the browser has not said where it is)."""
        if search and not search.startswith("?"):
            search = "?" + search
        return (self.base or "") + search

    def _handle_msg(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        base = data.get("base")
        if isinstance(base, str) and len(base) <= 2000 and _BASE.match(base):
            self.base = base
            return
        search = data.get("search")
        if not isinstance(search, str) or len(search) > MAX_SEARCH_CHARS:
            return
        self.search = search  # what the page shows now; a later show() of the same text writes nothing
        if self._on_navigate is not None:
            self._on_navigate(search)
