"""Colour arithmetic for checking the palette: WCAG contrast, CIE colour difference, and how a colour looks with
deuteranopia or protanopia (Machado, Oliveira & Fernandes 2009, severity 1, on linear RGB)."""

from __future__ import annotations

import numpy as np

from .style import hex_to_rgb

__all__ = ["DEUTERANOPIA", "PROTANOPIA", "contrast_ratio", "delta_e", "srgb_to_lab", "tint"]

DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])


def _linear(rgb) -> np.ndarray:
    c = np.asarray(rgb, dtype=float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _rgb(color) -> tuple[int, int, int]:
    return hex_to_rgb(color) if isinstance(color, str) else tuple(int(v) for v in color[:3])


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio of two colours ('#rrggbb' or (r, g, b) in 0..255), from 1 to 21.

    >>> round(contrast_ratio("#000000", "#ffffff"), 1)
    21.0
    """
    la, lb = sorted(float(_linear(_rgb(c)) @ [0.2126, 0.7152, 0.0722]) for c in (a, b))
    return (lb + 0.05) / (la + 0.05)


def _lab_of_linear(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    xyz = xyz / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def srgb_to_lab(color) -> np.ndarray:
    """CIE L*a*b* (D65) of a colour ('#rrggbb' or (r, g, b) in 0..255)."""
    return _lab_of_linear(_linear(_rgb(color)))


def delta_e(a, b, vision: np.ndarray | None = None) -> float:
    """CIE76 difference of two colours, as seen through ``vision`` (a 3×3 matrix on linear RGB, e.g.
    :data:`DEUTERANOPIA`) when given."""
    x, y = _linear(_rgb(a)), _linear(_rgb(b))
    if vision is not None:
        x, y = np.clip(vision @ x, 0, 1), np.clip(vision @ y, 0, 1)
    return float(np.linalg.norm(_lab_of_linear(x) - _lab_of_linear(y)))


def tint(color: str, alpha: float) -> str:
    """``color`` painted with opacity ``alpha`` over white, as '#rrggbb'."""
    rgb = [round(255 * (1 - alpha) + alpha * v) for v in hex_to_rgb(color)]
    return "#" + "".join(f"{v:02x}" for v in rgb)
