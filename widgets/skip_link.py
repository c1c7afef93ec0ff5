"""A "skip to the controls" link: the page's first Tab stop, hidden until it has the focus."""

from __future__ import annotations

import param
from panel.custom import JSComponent

from .static_files import read_static, static_path

__all__ = ["SkipLink"]


class SkipLink(JSComponent):
    """A link that moves the keyboard's focus to the first control of the component with CSS class ``target``
    (give that widget ``css_classes=[target]``), past everything before it.

    Example
    -------
    >>> import panel as pn
    >>> play = pn.widgets.Button(label="Play", css_classes=["pg-play"])
    >>> pn.Column(SkipLink(target="pg-play"), "a long sidebar …", play)  # doctest: +ELLIPSIS
    Column...
    """

    label = param.String(default="Skip to the controls", doc="The link's text.")
    target = param.String(default="pg-play", regex=r"^[A-Za-z][A-Za-z0-9_-]*$", doc="CSS class of the destination.")

    _esm = static_path("skip_link.js")
    _stylesheets = [read_static("skip_link.css")]
