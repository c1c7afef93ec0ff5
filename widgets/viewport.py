"""Viewport: the browser reports its window's size, so that the page can lay itself out for a phone or a projector."""

from __future__ import annotations

from typing import Any

import param
from panel.custom import JSComponent

from .static_files import static_path

__all__ = ["Viewport"]


class Viewport(JSComponent):
    """``window_width`` and ``window_height`` of the browser window in CSS pixels, as last reported (0 before the
    first report). (Not ``width``/``height``: those size the component itself.)

    Nothing from the browser is trusted: a report outside 100..20000 pixels, or not a whole number, is ignored.

    Example
    -------
    >>> viewport = Viewport()
    >>> viewport.param.watch(lambda e: print("now", e.new, "px wide"), "window_width")  # doctest: +ELLIPSIS
    Watcher(...)
    """

    window_width = param.Integer(default=0, bounds=(0, 20000), doc="Window width in CSS pixels (0: not reported yet).")
    window_height = param.Integer(default=0, bounds=(0, 20000), doc="Window height in CSS pixels (0: not reported yet).")

    _esm = static_path("viewport.js")

    def _handle_msg(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        w, h = data.get("width"), data.get("height")
        if all(isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 20000 for v in (w, h)):
            self.param.update(window_width=w, window_height=h)
