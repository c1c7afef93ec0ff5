"""A polite live region: text that a screen reader reads out when it changes, without being drawn."""

from __future__ import annotations

import param
from panel.custom import JSComponent

from .static_files import read_static, static_path

__all__ = ["Announcer", "SCREEN_READER_ONLY_CSS"]

# For any component that screen readers should read and the screen should not show (the plots' text summaries).
SCREEN_READER_ONLY_CSS = read_static("announcer.css")


class Announcer(JSComponent):
    """Set ``text`` and a screen reader says it (politely: after what it is saying now).

    Example
    -------
    >>> announcer = Announcer()
    >>> announcer.text = "Epoch 3: loss 0.412, train accuracy 81 %, test accuracy 79 %."
    """

    text = param.String(default="", doc="What the region says (plain text; the browser sets it as text, not HTML).")

    _esm = static_path("announcer.js")
    _stylesheets = [read_static("announcer.css")]
