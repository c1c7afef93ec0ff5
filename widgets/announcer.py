"""Text for screen readers only: a polite live region that is read out when it changes, and a plot's summary in
words. Both are JSComponents whose text is one string property: a change sends that string and nothing else (an
HTML pane would re-send its stylesheets, and Bokeh would re-scan the whole document on every change)."""

from __future__ import annotations

import param
from panel.custom import JSComponent

from .static_files import read_static, static_path

__all__ = ["Announcer", "TextSummary"]


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


class TextSummary(JSComponent):
    """A plot's summary in words (a paragraph that screen readers read in page order; not drawn).

    Example
    -------
    >>> TextSummary(text="Decision boundary: 93 % of test points on the right side.").text[:17]
    'Decision boundary'
    """

    text = param.String(default="", doc="The summary (plain text; the browser sets it as text, not HTML).")

    _esm = static_path("text_summary.js")
    _stylesheets = [read_static("announcer.css")]
