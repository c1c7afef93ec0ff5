"""Dataset picker: every registry dataset as a clickable thumbnail button with a visible name."""

from __future__ import annotations

import functools
from html import escape

import numpy as np
import panel as pn
import param

from playground.datasets import DATASETS, make_dataset

from .static_files import read_static
from .style import CLASS_COLORS

__all__ = ["DatasetPicker", "dataset_thumbnail_svg", "DISPLAY_NAMES"]

# Short names that fit under a thumbnail; the accessible name of each button.
DISPLAY_NAMES = {
    "circle": "circle",
    "three_circles": "3 circles",
    "hypersphere": "hypersphere 4D",
    "annulus": "annulus",
    "binary_annulus": "ring",
    "non_convex": "non-convex",
    "sphere": "sphere 3D",
    "squares": "squares",
    "wavy_lines": "wavy lines",
    "moons": "moons",
    "spiral": "spiral",
    "xor": "xor",
    "blobs": "blobs",
}

_BUTTON_CSS = read_static("dataset_picker.css")


def _shape(c: int, x: float, y: float, r: float, color: str) -> str:
    if c % 4 == 1:
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" fill="{color}"/>'
    if c % 4 == 2:
        return f'<path d="M{x:.1f} {y - 1.2 * r:.1f}L{x + 1.1 * r:.1f} {y + 0.7 * r:.1f}L{x - 1.1 * r:.1f} {y + 0.7 * r:.1f}Z" fill="{color}"/>'
    if c % 4 == 3:
        return f'<path d="M{x:.1f} {y - 1.3 * r:.1f}L{x + r:.1f} {y:.1f}L{x:.1f} {y + 1.3 * r:.1f}L{x - r:.1f} {y:.1f}Z" fill="{color}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{color}"/>'


@functools.lru_cache(maxsize=None)
def dataset_thumbnail_svg(name: str, size: int = 52, n_points: int = 160) -> str:
    """A small scatter of dataset ``name`` (first two features), coloured and shaped by class, as SVG text.

    Cached: the result is an immutable string, the same for every session.
    """
    if name not in DATASETS:
        raise ValueError(f"name: expected one of {', '.join(DATASETS)}, got {name!r}")
    ds = make_dataset(name, n_points, seed=3)
    X = ds.X[:, :2] if ds.n_features > 1 else np.column_stack([ds.X[:, 0], np.zeros(ds.n_samples)])
    pad = 3.0
    px = pad + (X[:, 0] + 1) / 2 * (size - 2 * pad)
    py = pad + (1 - (X[:, 1] + 1) / 2) * (size - 2 * pad)  # SVG y grows downwards
    r = max(1.2, size / 34)
    dots = "".join(_shape(int(c), x, y, r, CLASS_COLORS[int(c) % len(CLASS_COLORS)]) for x, y, c in zip(px, py, ds.y))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
        f'aria-hidden="true"><rect width="{size}" height="{size}" rx="4" fill="#f6f7f9" stroke="#d0d4da"/>'
        f"{dots}</svg>"
    )


class DatasetPicker(pn.viewable.Viewer):
    """A grid of thumbnail buttons, one per dataset of :data:`playground.datasets.DATASETS`; the chosen one is
    highlighted. Each button's accessible name is the dataset's short name; its tooltip the description."""

    value = param.Selector(default="circle", objects=list(DATASETS), doc="The chosen dataset id.")
    ncols = param.Integer(default=4, bounds=(1, 13), doc="Thumbnails per row.")

    def __init__(self, **params):
        super().__init__(**params)
        self._buttons: dict[str, pn.widgets.Button] = {}
        for name, info in DATASETS.items():
            btn = pn.widgets.Button(
                label=DISPLAY_NAMES.get(name, name),
                icon=dataset_thumbnail_svg(name),
                icon_size="52px",
                description=escape(f"{name}: {info.description}"),
                color="primary" if name == self.value else "light",
                stylesheets=[_BUTTON_CSS],
                sizing_mode="stretch_width",
                margin=(2, 2),
            )
            btn.on_click(lambda event, name=name: setattr(self, "value", name))
            self._buttons[name] = btn
        self.param.watch(self._highlight, "value")

    @property
    def buttons(self) -> dict[str, pn.widgets.Button]:
        return dict(self._buttons)

    def _highlight(self, event) -> None:
        for name, btn in self._buttons.items():
            btn.color = "primary" if name == event.new else "light"

    def __panel__(self):
        return pn.GridBox(*self._buttons.values(), ncols=self.ncols, sizing_mode="stretch_width", margin=(0, 0))
