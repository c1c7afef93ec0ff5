"""The page's design: Panel's native look, plus one stylesheet in every component (reduced motion, and fixes that
a page-level stylesheet cannot make inside the components' shadow roots)."""

from __future__ import annotations

from bokeh.models import InlineStyleSheet
from panel.theme import Native
from panel.theme.base import Inherit
from panel.viewable import Viewable

__all__ = ["PlaygroundDesign", "calm_plot"]

# A Bokeh plot is not a Panel component: the design's stylesheet does not reach its toolbar, which fades in and out.
_CALM_PLOT_CSS = "@media (prefers-reduced-motion: reduce) { :host, :host(.bk-hidden) { transition: none !important; } }"


class PlaygroundDesign(Native):
    """Native, with ``static/every_component.css`` in every component (one shared stylesheet, served by URL).

    Example
    -------
    >>> import panel as pn
    >>> pn.config.design = PlaygroundDesign
    """

    modifiers = {Viewable: {"stylesheets": [Inherit, "static/every_component.css"]}}


def calm_plot(fig):
    """Give a Bokeh figure the reduced-motion rule (its toolbar then appears and hides without fading); returns it."""
    fig.toolbar.stylesheets = [*fig.toolbar.stylesheets, InlineStyleSheet(css=_CALM_PLOT_CSS)]
    return fig
