"""Viewport: the window size the browser reports, checked before it is believed."""

import pytest

from widgets.viewport import Viewport


def test_a_report_sets_the_window_size():
    v = Viewport()
    v._handle_msg({"width": 390, "height": 844})
    assert (v.window_width, v.window_height) == (390, 844)


@pytest.mark.parametrize("msg", [{"width": True, "height": 844}, {"width": -5, "height": 800}, {"width": "390"},
                                 {"width": 10**9, "height": 800}, {"width": 390.5, "height": 800}, "390", None])
def test_a_bad_report_changes_nothing(msg):
    v = Viewport()
    v._handle_msg(msg)
    assert (v.window_width, v.window_height) == (0, 0)
