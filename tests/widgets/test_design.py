"""The page's design puts one stylesheet (reduced motion, fixes inside shadow roots) in every component."""

from __future__ import annotations

import panel as pn
from bokeh.plotting import figure

from widgets.design import PlaygroundDesign, calm_plot
from widgets.static_files import read_static


def test_every_component_gets_the_stylesheet():
    modifiers, _ = PlaygroundDesign._resolve_modifiers(pn.widgets.FloatInput, PlaygroundDesign._themes["default"])
    sheets = [str(s) for s in modifiers["stylesheets"]]
    assert any("every_component.css" in s or "prefers-reduced-motion" in s for s in sheets), sheets
    assert any("native.css" in s for s in sheets)  # Panel's own look stays


def test_the_stylesheet_stops_motion_and_hides_the_nameless_spinner_arrows():
    css = read_static("every_component.css")
    assert "@media (prefers-reduced-motion: reduce)" in css and "transition: none !important" in css
    assert ".bk-spin-btn { display: none !important; }" in css and "bk-spin-wrapper" not in css


def test_calm_plot_gives_the_toolbar_the_reduced_motion_rule():
    fig = calm_plot(figure())
    assert any("prefers-reduced-motion" in s.css for s in fig.toolbar.stylesheets)
