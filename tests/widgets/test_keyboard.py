"""The keyboard shortcuts' Python side, the skip link and the live region: only known commands pass, and the
browser code names the same keys."""

from __future__ import annotations

import re

import pytest

from widgets.announcer import Announcer, TextSummary
from widgets.keyboard import COMMANDS, KeyboardShortcuts
from widgets.skip_link import SkipLink
from widgets.static_files import read_static


def test_known_commands_reach_the_app_and_are_counted():
    got = []
    keys = KeyboardShortcuts(on_command=got.append)
    for command in COMMANDS:
        keys._handle_msg({"command": command})
    assert got == list(COMMANDS) and keys.pressed == len(COMMANDS)


@pytest.mark.parametrize("message", [None, "play", ["play"], {}, {"command": "PLAY"}, {"command": "eval"},
                                     {"command": 1}, {"key": "play"}, {"command": ["play"]}])
def test_anything_else_from_the_browser_is_dropped(message):
    got = []
    keys = KeyboardShortcuts(on_command=got.append)
    keys._handle_msg(message)
    assert got == [] and keys.pressed == 0


def test_the_browser_maps_space_s_r_n_to_the_same_commands():
    js = read_static("keyboard.js")
    assert 'const KEYS = { " ": "play", s: "step", r: "reset", n: "next" };' in js
    assert set(re.findall(r': "(\w+)"', js.split("const KEYS = ")[1].split(";")[0])) == set(COMMANDS)
    for key in ("Space", "S", "R", "N", "?", "Esc"):  # the list the "?" button shows
        assert f'["{key}", ' in js


def test_skip_link_target_must_be_a_class_name():
    assert SkipLink(target="pg-play").target == "pg-play"
    with pytest.raises(ValueError):
        SkipLink(target='x"><script>')


def test_the_live_region_is_polite_and_set_as_text():
    js = read_static("announcer.js")
    assert 'setAttribute("aria-live", "polite")' in js and 'setAttribute("role", "status")' in js
    assert "textContent = model.text" in js and "innerHTML" not in js
    assert Announcer(text="Epoch 1").text == "Epoch 1"


def test_a_plot_summary_is_set_as_text():
    js = read_static("text_summary.js")
    assert "summary.textContent = model.text" in js and "innerHTML" not in js
    assert TextSummary(text="Decision boundary: 1 %").text == "Decision boundary: 1 %"
