"""Keyboard shortcuts for the page (Space, S, R, N) and the "?" button that lists them."""

from __future__ import annotations

from typing import Any, Callable

import param
from panel.custom import JSComponent

from .static_files import read_static, static_path

__all__ = ["COMMANDS", "KeyboardShortcuts"]

COMMANDS = ("play", "step", "reset", "next")  # Space, S, R, N


class KeyboardShortcuts(JSComponent):
    """Listens for the page's shortcut keys and reports each as a command; shows a "?" button with the list.

    The browser ignores the keys while the person types in a field (and Space on a focused button, which presses
    it). Nothing from the browser is trusted: a message that is not one of :data:`COMMANDS` is dropped.

    Example
    -------
    >>> keys = KeyboardShortcuts(on_command=lambda command: print("pressed", command))
    >>> keys._handle_msg({"command": "step"})
    pressed step
    >>> keys._handle_msg({"command": "rm -rf"})  # ignored
    """

    pressed = param.Integer(default=0, bounds=(0, None), doc="Shortcuts obeyed so far (for tests and logs).")

    _esm = static_path("keyboard.js")
    _stylesheets = [read_static("keyboard.css")]

    def __init__(self, on_command: Callable[[str], None] | None = None, **params):
        params.setdefault("width", 44)
        params.setdefault("height", 44)
        super().__init__(**params)
        self._on_command = on_command

    def _handle_msg(self, data: Any) -> None:
        command = data.get("command") if isinstance(data, dict) else None
        if command not in COMMANDS:
            return
        self.pressed += 1
        if self._on_command is not None:
            self._on_command(command)
