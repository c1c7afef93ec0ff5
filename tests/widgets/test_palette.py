"""The class colours work on a washed-out projector and for colour-blind students: contrast with white, contrast of
the outlines and boundary line with every region, and distinct colours as seen with deuteranopia and protanopia
(Machado, Oliveira & Fernandes 2009, severity 1)."""

from __future__ import annotations

import inspect
import itertools
import re

import pytest

from widgets.colour import DEUTERANOPIA, PROTANOPIA, contrast_ratio as contrast, delta_e, tint
from widgets.static_files import read_static
from widgets.style import CLASS_COLORS, OUTLINE_COLOR, proba_to_rgba

REGION_MAX_ALPHA = inspect.signature(proba_to_rgba).parameters["max_alpha"].default  # the strongest region


def test_the_formulas_give_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#E69F00", "#ffffff") == pytest.approx(2.25, abs=0.01)  # axe's figure for the old orange
    assert delta_e("#0072B2", "#0072B2", DEUTERANOPIA) == 0.0
    assert delta_e("#ff0000", "#00ff00", DEUTERANOPIA) < 0.4 * delta_e("#ff0000", "#00ff00")  # red–green fades


@pytest.mark.parametrize("color", CLASS_COLORS)
def test_every_class_colour_has_3_to_1_on_white(color):
    assert contrast(color, "#ffffff") >= 3.0


def test_outlines_and_the_boundary_line_stand_out_on_every_region():
    for color in CLASS_COLORS:
        assert contrast(OUTLINE_COLOR, tint(color, REGION_MAX_ALPHA)) >= 3.0
        assert contrast(OUTLINE_COLOR, "#ffffff") >= 4.5


@pytest.mark.parametrize("vision", [None, DEUTERANOPIA, PROTANOPIA], ids=["typical", "deuteranopia", "protanopia"])
def test_the_first_three_classes_stay_far_apart(vision):
    for a, b in itertools.combinations(CLASS_COLORS[:3], 2):
        assert delta_e(a, b, vision) >= 40, (a, b)
    assert delta_e(CLASS_COLORS[0], CLASS_COLORS[1], vision) >= 80  # the two classes of most problems


def test_the_play_button_is_dark_enough_for_white_text():
    css = read_static("play_button.css")
    for rule in re.findall(r"\.bk-btn-success[^{]*\{([^}]*)\}", css):
        background = re.search(r"background-color:\s*(#[0-9a-fA-F]{6})", rule).group(1)
        assert contrast(background, "#ffffff") >= 4.5, background
