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
    "hex_to_rgb",
    "proba_to_rgba",
    "diverging_rgba",
    "pack_rgba",
]

MAX_CLASSES = 6

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and on a washed-out projector.
CLASS_COLORS: tuple[str, ...] = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")

# Shape is the second channel that tells classes apart (grey-scale prints, colour-blind viewers). The same six
# shapes in Bokeh's names (a "plus" turned by 45° is the filled cross) and in BlochSphere's names.
CLASS_MARKERS: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "star", "plus")
MARKER_ANGLES: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0, 0.785398)
BLOCH_MARKERS: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "star", "cross")
MARKER_SYMBOLS: tuple[str, ...] = ("●", "■", "▲", "◆", "★", "✖")

MISCLASSIFIED_COLOR = "#111111"


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``"#E69F00"`` → ``(230, 159, 0)``."""
    c = color.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"color: expected '#rrggbb', got {color!r}")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


_PALETTE_RGB = np.array([hex_to_rgb(c) for c in CLASS_COLORS], dtype=np.float32)  # (MAX_CLASSES, 3)


def pack_rgba(rgba: np.ndarray) -> np.ndarray:
    """View an array of shape (ny, nx, 4) of uint8 as the (ny, nx) uint32 image Bokeh's ``image_rgba`` takes."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    return rgba.view(np.uint32).reshape(rgba.shape[:2])


def proba_to_rgba(grid_proba: np.ndarray, *, max_alpha: float = 0.62, min_alpha: float = 0.04) -> np.ndarray:
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
