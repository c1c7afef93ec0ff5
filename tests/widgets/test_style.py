"""Colours and markers shared by the views, and the probability → RGBA conversion."""

import numpy as np
import pytest

from widgets.style import (
    BLOCH_MARKERS, CLASS_COLORS, CLASS_MARKERS, MAX_CLASSES, diverging_rgba, hex_to_rgb, pack_rgba, proba_to_rgba,
)
from widgets.bloch import MARKERS as BLOCH_WIDGET_MARKERS


def _unpack(img):
    return img.view(np.uint8).reshape(img.shape + (4,))


def test_every_class_has_its_own_colour_and_shape():
    assert len(set(CLASS_COLORS)) == len(set(CLASS_MARKERS)) == MAX_CLASSES
    assert len(set(BLOCH_MARKERS)) == MAX_CLASSES
    assert set(BLOCH_MARKERS) <= set(BLOCH_WIDGET_MARKERS)


def test_each_class_region_takes_its_colour_and_confidence_sets_opacity():
    p = np.zeros((1, 4, 3), dtype=np.float32)
    p[0, 0] = [1, 0, 0]          # sure of class 0
    p[0, 1] = [0, 1, 0]          # sure of class 1
    p[0, 2] = [0, 0.2, 0.8]      # fairly sure of class 2
    p[0, 3] = [1 / 3, 1 / 3, 1 / 3]  # no idea
    rgba = _unpack(proba_to_rgba(p))
    for col, c in ((0, 0), (1, 1), (2, 2)):
        assert tuple(rgba[0, col, :3]) == hex_to_rgb(CLASS_COLORS[c])
    alpha = rgba[0, :, 3].astype(int)
    assert alpha[0] == alpha[1] > alpha[2] > alpha[3]


def test_proba_to_rgba_packs_for_image_rgba():
    img = proba_to_rgba(np.full((5, 7, 2), 0.5, dtype=np.float32))
    assert img.shape == (5, 7) and img.dtype == np.uint32


def test_proba_to_rgba_rejects_bad_shapes():
    with pytest.raises(ValueError, match="expected shape"):
        proba_to_rgba(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="expected shape"):
        proba_to_rgba(np.zeros((4, 4, 7)))


def test_diverging_rgba_ends_and_middle():
    out = diverging_rgba(np.array([[1.0, 0.0, -1.0]]))
    assert tuple(out[0, 0, :3]) == hex_to_rgb(CLASS_COLORS[0])
    assert tuple(out[0, 1, :3]) == (255, 255, 255)
    assert tuple(out[0, 2, :3]) == hex_to_rgb(CLASS_COLORS[1])
    assert (out[..., 3] == 255).all()


def test_pack_rgba_round_trips():
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert (pack_rgba(a).view(np.uint8).reshape(2, 3, 4) == a).all()


def test_hex_to_rgb_checks_input():
    with pytest.raises(ValueError):
        hex_to_rgb("red")
