"""Shared look of every view: one colour and one marker per class, and array-to-RGBA helpers for the images."""

from __future__ import annotations

import numpy as np

__all__ = [
    "CLASS_COLORS",
    "CLASS_MARKERS",
    "MARKER_ANGLES",
    "BLOCH_MARKERS",
    "MARKER_SYMBOLS",
    "MAX_CLASSES",
    "MISCLASSIFIED_COLOR",
    "OUTLINE_COLOR",
    "class_swatch_svg",
    "hex_to_rgb",
    "proba_to_rgba",
    "diverging_rgba",
    "pack_rgba",
]

MAX_CLASSES = 6

# After Okabe–Ito, darkened so that every class colour has a contrast of at least 3 : 1 with white (a washed-out
# projector, WCAG's rule for the parts of a plot that carry meaning). The first three stay far apart (CIE ΔE ≥ 40)
# also as seen with deuteranopia or protanopia; beyond three, the marker shape tells classes apart as well.
# tests/widgets/test_palette.py checks both.
CLASS_COLORS: tuple[str, ...] = ("#B86E00", "#0072B2", "#00876A", "#4A4A4A", "#D14D8A", "#7D5BA6")

# Shape is the second channel that tells classes apart (grey-scale prints, colour-blind viewers). The same six
# shapes in Bokeh's names (a "plus" turned by 45° is the filled cross) and in BlochSphere's names.
CLASS_MARKERS: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "star", "plus")
MARKER_ANGLES: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0, 0.785398)
BLOCH_MARKERS: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "star", "cross")
MARKER_SYMBOLS: tuple[str, ...] = ("●", "■", "▲", "◆", "★", "✖")

MISCLASSIFIED_COLOR = "#111111"
# The outline of every point and the line along the decision boundary: dark, so that both stand out (≥ 3 : 1) on
# every class's region, whatever its colour.
OUTLINE_COLOR = "#1A1A1A"


_SHAPE_PATHS = {  # on a 16×16 box, centred at (8, 8)
    "circle": '<circle cx="8" cy="8" r="5.5"/>',
    "square": '<rect x="3" y="3" width="10" height="10"/>',
    "triangle": '<path d="M8 2.2L14 13H2Z"/>',
    "diamond": '<path d="M8 1.5L14 8L8 14.5L2 8Z"/>',
    "star": '<path d="M8 1.5L9.8 6H14.5L10.7 9L12.1 14L8 11L3.9 14L5.3 9L1.5 6H6.2Z"/>',
    "plus": '<path d="M3.2 5.3L5.3 3.2L8 5.9L10.7 3.2L12.8 5.3L10.1 8L12.8 10.7L10.7 12.8L8 10.1L5.3 12.8L3.2 10.7L5.9 8Z"/>',
}


def class_swatch_svg(c: int, size: int = 16) -> str:
    """Class ``c``'s marker (its colour and shape, with the dark outline the plots give it) as inline SVG, for a
    legend: a picture, not text, so its colour needs 3 : 1 (not 4.5 : 1) and its words stay dark and legible."""
    c = int(c) % MAX_CLASSES
    return (f'<svg class="swatch" width="{size}" height="{size}" viewBox="0 0 16 16" aria-hidden="true" '
            f'focusable="false"><g fill="{CLASS_COLORS[c]}" stroke="{OUTLINE_COLOR}" stroke-width="1">'
            f"{_SHAPE_PATHS[CLASS_MARKERS[c]]}</g></svg>")


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``"#B86E00"`` → ``(184, 110, 0)``."""
    c = color.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"color: expected '#rrggbb', got {color!r}")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


_PALETTE_RGB = np.array([hex_to_rgb(c) for c in CLASS_COLORS], dtype=np.float32)  # (MAX_CLASSES, 3)


def pack_rgba(rgba: np.ndarray) -> np.ndarray:
    """View an array of shape (ny, nx, 4) of uint8 as the (ny, nx) uint32 image Bokeh's ``image_rgba`` takes."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    return rgba.view(np.uint32).reshape(rgba.shape[:2])


def proba_to_rgba(grid_proba: np.ndarray, *, max_alpha: float = 0.5, min_alpha: float = 0.04) -> np.ndarray:
    """Colour every pixel by its most likely class, with opacity growing with the confidence.

    Parameters
    ----------
    grid_proba : ndarray of shape (ny, nx, C)
        Class probabilities (rows sum to 1), C ≤ ``MAX_CLASSES``.

    Returns
    -------
    ndarray of shape (ny, nx), uint32
        Packed RGBA pixels. Confidence is ``(p_max − 1/C) / (1 − 1/C)`` in [0, 1]: transparent where the model
        cannot decide (the boundary), opaque where it is sure, so every class's region shows in its own colour.
    """
    p = np.asarray(grid_proba, dtype=np.float32)
    if p.ndim != 3 or not 1 <= p.shape[2] <= MAX_CLASSES:
        raise ValueError(f"grid_proba: expected shape (ny, nx, C) with C ≤ {MAX_CLASSES}, got {p.shape}")
    n_classes = p.shape[2]
    best = np.argmax(p, axis=2)
    p_max = np.take_along_axis(p, best[..., None], axis=2)[..., 0]
    chance = 1.0 / max(n_classes, 2)
    conf = np.clip((p_max - chance) / (1.0 - chance), 0.0, 1.0)
    out = np.empty(p.shape[:2] + (4,), dtype=np.uint8)
    out[..., :3] = _PALETTE_RGB[best].astype(np.uint8)
    out[..., 3] = (255.0 * (min_alpha + (max_alpha - min_alpha) * conf)).astype(np.uint8)
    return pack_rgba(out)


def diverging_rgba(values: np.ndarray, *, positive: str = CLASS_COLORS[0], negative: str = CLASS_COLORS[1]) -> np.ndarray:
    """Map values in [-1, 1] to colours: ``negative`` at −1, white at 0, ``positive`` at +1.

    Parameters
    ----------
    values : ndarray of shape (..., ny, nx)

    Returns
    -------
    ndarray of shape (..., ny, nx, 4), uint8 (opaque)
    """
    v = np.clip(np.asarray(values, dtype=np.float32), -1.0, 1.0)[..., None]
    pos = np.array(hex_to_rgb(positive), dtype=np.float32)
    neg = np.array(hex_to_rgb(negative), dtype=np.float32)
    white = np.full(3, 255.0, dtype=np.float32)
    rgb = np.where(v >= 0, white + (pos - white) * v, white + (neg - white) * (-v))
    out = np.empty(v.shape[:-1] + (4,), dtype=np.uint8)
    out[..., :3] = rgb.astype(np.uint8)
    out[..., 3] = 255
    return out
