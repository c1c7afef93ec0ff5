"""Frame clock: through tiny Bokeh models the browser reports which frame it has painted and whether its tab is
hidden."""

from __future__ import annotations

import panel as pn
import param
from bokeh.document import Document
from bokeh.models import ColumnDataSource, CustomJS, Spacer

from .static_files import read_static

__all__ = ["FrameClock"]

# When frame N arrives, wait for the animation frame that paints it, then report N back. The server keeps at
# most a couple of frames ahead of this, so a slow browser (a projector laptop) is never buried under a queue of
# frames, and a hidden tab, whose animation frames stop, stops asking for work.
_ACK_JS = read_static("frame_clock_ack.callback.js")
# Once the page is ready: report the tab's visibility now and at every change (not per frame).
_VISIBILITY_JS = read_static("frame_clock_visibility.callback.js")


class FrameClock(pn.viewable.Viewer):
    """``frame`` is set by the server with each frame it sends; the browser sets ``shown`` once it painted it.

    The numbers travel in the ``tags`` of data sources that nothing draws (a change to a layout model would
    make the browser lay out the whole page again), and a ``CustomJS`` callback sends the acknowledgement: one
    small property change each way per frame, no Panel round trip. A third source carries rare news, ``hidden``:
    the browser's tab was hidden or shown (reported once :meth:`watch_visibility` is attached to the document).

    Example
    -------
    >>> clock = FrameClock()
    >>> clock.frame = 3          # sent along with frame 3
    >>> clock.shown              # the browser answers 3 after painting it  # doctest: +SKIP
    """

    frame = param.Integer(default=0, bounds=(0, None), doc="Serial number of the latest frame sent.")
    shown = param.Integer(default=0, bounds=(0, None), doc="Serial number of the latest frame the browser painted.")
    hidden = param.Boolean(default=False, doc="The browser's tab is hidden (another tab in front, a minimised window).")

    def __init__(self, **params):
        super().__init__(**params)
        self._sent = ColumnDataSource(tags=[0], name="frame-clock-frame")
        self._ack = ColumnDataSource(tags=[0], name="frame-clock-shown")
        self._hidden = ColumnDataSource(tags=[0], name="frame-clock-hidden")
        self._sent.js_on_change("tags", CustomJS(args={"ack": self._ack}, code=_ACK_JS))
        self._ack.on_change("tags", self._on_ack)
        self._hidden.on_change("tags", self._on_hidden)
        self.param.watch(lambda e: setattr(self._sent, "tags", [int(e.new)]), "frame")
        # An empty spacer that never changes keeps the sources in the document.
        holder = Spacer(width=0, height=0, tags=[self._sent, self._ack, self._hidden], name="frame-clock")
        self._pane = pn.pane.Bokeh(holder, width=0, height=0, margin=0)

    def watch_visibility(self, doc: Document) -> None:
        """Have the page report its tab's visibility into :attr:`hidden` once ``doc`` is ready in the browser."""
        doc.js_on_event("document_ready", CustomJS(args={"hidden": self._hidden}, code=_VISIBILITY_JS))

    def _on_ack(self, attr, old, new) -> None:
        if new:
            self.shown = max(self.shown, int(new[0]))

    def _on_hidden(self, attr, old, new) -> None:
        if new:
            self.hidden = bool(new[0])

    def __panel__(self):
        return self._pane
