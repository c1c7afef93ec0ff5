"""The "For a class" card: tick what to hide, copy a link that opens the page that way."""

from __future__ import annotations

import panel as pn
import param

from .controls import _W  # the sidebar's widget width
from .static_files import read_static

__all__ = ["ClassLinkControls"]

_COPY_JS = read_static("share_copy.callback.js")


class ClassLinkControls(pn.viewable.Viewer):
    """Checkboxes for the groups a class link hides, and the link (which the app writes into ``link``)."""

    options = param.Dict(default={}, doc="Label shown → group name, in order.")
    hidden = param.List(default=[], item_type=str, doc="The group names ticked.")
    link = param.String(default="", doc="The class link (plain text).")

    def __init__(self, **params):
        super().__init__(**params)
        self.boxes = pn.widgets.CheckBoxGroup(options=self.options, value=list(self.hidden), inline=False, width=_W)
        self.boxes.param.watch(lambda e: setattr(self, "hidden", list(e.new)), "value")
        self.param.watch(lambda e: setattr(self.boxes, "value", list(e.new)), "hidden")
        self.link_box = pn.widgets.TextInput.from_param(self.param.link, label="Class link", width=_W,
                                                        stylesheets=[":host input{font-size:max(12px,var(--pg-min-font,0px))}"])
        self.copy = pn.widgets.Button(label="Copy", color="primary", width=90)
        self.copy.js_on_click(args={"source": self.link_box, "button": self.copy}, code=_COPY_JS)

    def dispose(self) -> None:
        """Forget the Copy button's browser callback when the page's session ends: Panel keeps each widget's
        ``js_on_click`` callbacks in a process-wide registry whose entries hold the widget itself, so without this a
        closed tab's widgets (and everything they reach) would stay in memory for good."""
        from panel.links import Callback

        Callback.registry.pop(self.copy, None)

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML('<div style="font-size:max(14px,var(--pg-min-font,0px))">Hide these on the students\' page; what they hide cannot be '
                         "changed there:</div>", margin=(4, 10)),
            self.boxes, self.link_box, self.copy, margin=(0, 0),
        )
