"""Class links: a teacher's link that hides chosen groups of the page and locks the settings those groups hold.

A class link is the page's address plus ``class=cl1.<token>``; the token (URL-safe base64 of a short query string)
names the hidden groups and carries the values of the locked settings. A page opened from it:

* leaves the hidden groups out of the page altogether (nothing to click, nothing for the keyboard to reach, and
  no widget the browser could change);
* takes the locked settings from the token only: a locked setting in the rest of the address (typed by a student)
  is ignored with a notice, and nothing on the page (a lesson, the gallery, a file, Back and Forward) changes it.

It is a classroom convenience, not a security boundary: anyone can make a new class link.

Groups and what they lock: ``data`` (the dataset and its draw), ``model`` (cost, read-out, initialisation),
``training`` (optimizer, learning rate, batch size, speed, resolution); the circuit is locked when both
``editor`` and ``model`` are hidden (with one of them shown, students still shape the circuit there). The other
groups (``gallery``, ``lessons``, ``share``, ``editor`` alone, the views, ``header``, ``explanations``) only hide.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs, urlencode

from .lessons import HIDE_GROUPS
from .settings import PlaygroundSettings, parse_query, query_text, to_query

__all__ = ["CLASS_GROUPS", "GROUP_LABELS", "ClassLink", "decode_class", "encode_class", "locked_settings",
           "MAX_CLASS_CHARS"]

#: Everything a class link can hide: the lesson groups, the lesson card, and for embedding the header and the
#: explanations under the views.
CLASS_GROUPS = (*HIDE_GROUPS, "lessons", "header", "explanations")
GROUP_LABELS = {
    "gallery": "Gallery", "data": "Data", "model": "Model", "training": "Training", "share": "Share and save",
    "editor": "Circuit editor", "boundary": "Decision boundary", "curves": "Loss and accuracy",
    "spheres": "Bloch spheres", "layers": "Layer by layer", "lessons": "Lessons",
    "header": "Header (for embedding)", "explanations": "Explanations (for embedding)",
}
_LOCKS = {
    "data": ("dataset", "n_samples", "test_fraction", "noise", "seed", "paper_draw"),
    "model": ("cost", "readout", "init"),
    "training": ("optimizer", "learning_rate", "batch_size", "steps_per_frame", "resolution"),
}
_PREFIX = "cl1."
MAX_CLASS_CHARS = 4000


class ClassLink:
    """The hidden groups and locked values of an open class link (empty when the page has none)."""

    def __init__(self, hidden: tuple[str, ...] = (), values: dict | None = None, token: str = ""):
        self.hidden = tuple(hidden)
        self.token = token  # the class= value, kept in the page's address
        self.locked = locked_settings(self.hidden)
        self.values = {k: v for k, v in (values or {}).items() if k in self.locked}

    def __bool__(self) -> bool:
        return bool(self.hidden)


def locked_settings(hidden) -> tuple[str, ...]:
    """The setting names a class link hiding ``hidden`` locks."""
    names = [name for group in hidden for name in _LOCKS.get(group, ())]
    if "editor" in hidden and "model" in hidden:
        names += ["circuit", "n_qubits", "n_layers", "entangler", "encoding"]
    return tuple(dict.fromkeys(names))


def encode_class(hidden, settings: PlaygroundSettings) -> str:
    """The ``class=`` value hiding ``hidden`` (groups of :data:`CLASS_GROUPS`) and locking ``settings``' values."""
    hidden = [g for g in CLASS_GROUPS if g in set(hidden)]
    locked = locked_settings(hidden)
    query = parse_qs(to_query(settings, skip=("playing",)), keep_blank_values=True)
    if "circuit" in locked and "circuit" not in query:  # the circuit travels by its shape: lock those values
        query.update({k: [str(getattr(settings, k))] for k in ("n_qubits", "n_layers", "entangler", "encoding")})
    values = {k: v[-1] for k, v in query.items() if k in locked}
    text = urlencode({"hide": ",".join(hidden), **values})
    return _PREFIX + base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_class(raw) -> tuple[ClassLink, list[str]]:
    """A ``class=`` value → the class link and notices (plain text); a malformed one gives no class link."""
    if raw is None:
        return ClassLink(), []
    text = query_text(raw)
    bad = ["The class settings in this link could not be read; showing the whole page."]
    if not text.startswith(_PREFIX) or len(text) > MAX_CLASS_CHARS:
        return ClassLink(), bad
    body = text[len(_PREFIX):]
    try:
        query = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return ClassLink(), bad
    args = parse_qs(query, keep_blank_values=True)
    groups = [g.strip() for g in (args.pop("hide", [""])[-1]).split(",") if g.strip()]
    notices = []
    unknown = [g for g in groups if g not in CLASS_GROUPS]
    if unknown:
        notices.append(f"class: unknown group {unknown[0][:40]!r} ignored.")
    hidden = tuple(g for g in CLASS_GROUPS if g in groups)
    if not hidden:
        return ClassLink(), notices or bad
    values, value_notices = parse_query({k: [v[-1]] for k, v in args.items()})
    if value_notices:
        notices.append("class: " + " ".join(value_notices))
    values.pop("playing", None)
    return ClassLink(hidden, values, text), notices
