"""boundary_segments on fields whose boundary is known: a circle, a vertical line, three sector rays."""

from __future__ import annotations

import numpy as np
import pytest

from widgets.boundary_lines import boundary_segments

XS = np.linspace(-1, 1, 101)
PIXEL = XS[1] - XS[0]
GX, GY = np.meshgrid(XS, XS)  # row i at XS[i] (y), column j at XS[j] (x)


def two_classes(p0):
    return np.stack([p0, 1 - p0], axis=-1)


def disc(radius=0.5):
    p1 = 1 / (1 + np.exp(-40 * (radius - np.hypot(GX, GY))))
    return two_classes(1 - p1)


def sectors(n_classes=3):
    """Class c wins between the angles 2πc/n and 2π(c+1)/n, measured from the x axis."""
    centres = 2 * np.pi * (np.arange(n_classes) + 0.5) / n_classes
    logits = 5 * np.cos(np.arctan2(GY, GX)[..., None] - centres)
    p = np.exp(logits)
    return p / p.sum(axis=-1, keepdims=True)


def lengths(seg):
    x0, y0, x1, y1 = seg
    return np.hypot(x1 - x0, y1 - y0)


def rays_length(n_classes):
    """Total length of the sector borders: rays from the origin to the edge of the square [−1, 1]²."""
    rays = 2 * np.pi * np.arange(n_classes) / n_classes
    return (1 / np.maximum(np.abs(np.cos(rays)), np.abs(np.sin(rays)))).sum()


def test_disc_boundary_is_the_circle():
    seg = boundary_segments(disc(), XS, XS)
    x0, y0, x1, y1 = seg
    assert len(x0) > 100
    for x, y in ((x0, y0), (x1, y1)):
        assert np.abs(np.hypot(x, y) - 0.5).max() < PIXEL / 2
    assert lengths(seg).sum() == pytest.approx(2 * np.pi * 0.5, rel=0.02)


def test_output_is_four_float32_arrays_of_equal_length():
    seg = boundary_segments(disc().astype(np.float32), XS, XS)
    assert len(seg) == 4
    assert {a.dtype for a in seg} == {np.dtype(np.float32)}
    assert len({a.shape for a in seg}) == 1


def test_vertical_split_spans_the_square_at_its_x():
    p0 = 1 / (1 + np.exp(-20 * (GX - 0.2)))
    x0, y0, x1, y1 = boundary_segments(two_classes(p0), XS, XS)
    assert np.allclose(np.r_[x0, x1], 0.2, atol=1e-3)
    assert min(y0.min(), y1.min()) == pytest.approx(-1)
    assert max(y0.max(), y1.max()) == pytest.approx(1)
    assert np.abs(y1 - y0).sum() == pytest.approx(2, rel=1e-5)  # one line, nothing drawn twice


def test_boundary_follows_uneven_coordinates():
    xs, ys = np.linspace(0, 10, 51), np.linspace(-3, -1, 21)
    p0 = np.broadcast_to(1 / (1 + np.exp(-(xs - 4.3))), (21, 51))
    x0, y0, x1, y1 = boundary_segments(two_classes(p0), xs, ys)
    assert np.allclose(np.r_[x0, x1], 4.3, atol=0.01)
    assert np.allclose([min(y0.min(), y1.min()), max(y0.max(), y1.max())], [-3, -1])


@pytest.mark.parametrize("value", [0.5, 0.9, 0.0])
def test_constant_field_has_no_boundary(value):
    seg = boundary_segments(two_classes(np.full((20, 30), value)), np.arange(30.0), np.arange(20.0))
    assert all(a.dtype == np.float32 and a.shape == (0,) for a in seg)


def test_three_sectors_end_on_their_rays():
    seg = boundary_segments(sectors(3), XS, XS)
    x0, y0, x1, y1 = seg
    rays = 2 * np.pi * np.arange(3) / 3
    for x, y in ((x0, y0), (x1, y1)):
        r, angle = np.hypot(x, y), np.arctan2(y, x)
        # distance of each point from the nearest of the three half-lines from the origin
        along = r[:, None] * np.cos(angle[:, None] - rays)
        across = np.abs(r[:, None] * np.sin(angle[:, None] - rays))
        dist = np.where(along > 0, across, r[:, None]).min(axis=1)
        assert dist.max() < PIXEL
    assert lengths(seg).sum() == pytest.approx(rays_length(3), rel=0.03)


def test_shared_borders_are_not_drawn_twice():
    seg = np.stack(boundary_segments(sectors(3), XS, XS), axis=1)
    assert len(np.unique(seg, axis=0)) == len(seg)


def test_six_classes_trace_every_border():
    seg = boundary_segments(sectors(6), XS, XS)
    assert lengths(seg).sum() == pytest.approx(rays_length(6), rel=0.03)


def test_saddle_cells_give_two_segments():
    f = np.array([[1.0, -1.0], [-1.0, 1.0]])  # a and c inside, b and d outside, centre average 0
    x0, y0, x1, y1 = boundary_segments(two_classes((1 + f) / 2), np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert len(x0) == 2
    assert sorted(zip(np.round(x0, 6), np.round(y0, 6), np.round(x1, 6), np.round(y1, 6))) in (
        [(0.0, 0.5, 0.5, 1.0), (0.5, 0.0, 1.0, 0.5)],  # a and c joined through the middle
        [(0.0, 0.5, 0.5, 0.0), (1.0, 0.5, 0.5, 1.0)],  # a and c cut off
    )


def test_nan_cells_have_no_boundary():
    p = disc()
    p[40:60, 10:50] = np.nan  # over the left part of the circle
    x0, y0, x1, y1 = boundary_segments(p, XS, XS)
    out = np.r_[x0, y0, x1, y1]
    assert len(x0) > 50 and np.isfinite(out).all()
    assert lengths((x0, y0, x1, y1)).sum() < 0.95 * np.pi


def test_nan_in_one_class_of_three():
    p = sectors(3)
    p[30:70, 30:70, 2] = np.nan
    seg = boundary_segments(p, XS, XS)
    assert len(seg[0]) > 0 and np.isfinite(np.r_[seg]).all()


@pytest.mark.parametrize("shape", [(1, 10, 2), (10, 1, 2), (1, 1, 3), (0, 0, 2), (10, 10, 1)])
def test_degenerate_inputs_give_empty_arrays(shape):
    ny, nx, _ = shape
    seg = boundary_segments(np.random.default_rng(0).random(shape), np.arange(nx), np.arange(ny))
    assert [a.shape for a in seg] == [(0,)] * 4


@pytest.mark.parametrize("args, match", [
    ((np.zeros((5, 6, 2)), np.arange(5), np.arange(5)), r"grid_x and grid_y.*\(6,\).*\(5,\)"),
    ((np.zeros((5, 6, 2)), np.arange(6), np.arange(6)), r"grid_x and grid_y"),
    ((np.zeros((5, 6)), np.arange(6), np.arange(5)), r"grid_proba: expected shape \(ny, nx, C\)"),
    ((np.zeros((5, 6, 7)), np.arange(6), np.arange(5)), r"C ≤ 6"),
])
def test_mismatched_shapes_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        boundary_segments(*args)
