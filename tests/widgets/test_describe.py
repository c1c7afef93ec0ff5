"""The screen-reader texts: the words and numbers for fields and histories whose answer is known."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest

from widgets.describe import curve_rows, curve_table_html, describe_bloch, describe_boundary

XS = np.linspace(-1, 1, 101)
GX, GY = np.meshgrid(XS, XS)  # row i at y = XS[i], column j at x = XS[j]
KEYS = ("step", "epoch", "loss", "train_loss", "train_accuracy", "test_accuracy")


def two_classes(p1):
    return np.stack([1 - p1, p1], axis=-1)


def disc():
    """Class 1 inside the circle of radius 0.6: π·0.36 / 4 ≈ 28 % of the square."""
    return two_classes(1 / (1 + np.exp(-40 * (0.6 - np.hypot(GX, GY)))))


def describe(p, xs=XS, ys=XS, test=0.93, train=0.875, n_test=20):
    return describe_boundary(p, xs, ys, test_accuracy=test, train_accuracy=train, n_test=n_test)


def history(n, **columns):
    h = {k: np.linspace(0, 1, n) for k in KEYS}
    h["epoch"] = np.arange(n)
    h.update(columns)
    return h


def test_disc_is_in_the_middle_inside_a_ring_around_the_edges():
    text = describe(disc())
    assert text == (
        "Decision boundary: 93 % of test points on the right side (88 % of training points). "
        "Class 0 covers 72 % of the square, around the edges; class 1 covers 28 %, in the middle."
    )


def test_left_right_split():
    text = describe(two_classes((GX > 0.31).astype(float)), test=1.0, train=0.5)
    assert "100 % of test points on the right side (50 % of training points)." in text
    assert text.endswith("Class 0 covers 65 % of the square, on the left; class 1 covers 35 %, on the right.")


def test_corner_and_top_regions():
    p = np.zeros((101, 101, 3))
    p[..., 0] = 1
    p[GY > 0.5, 1] = 2  # a band along the top
    p[(GX > 0.4) & (GY < -0.4), 2] = 3  # the bottom right corner
    text = describe(p / p.sum(axis=-1, keepdims=True))
    assert "Class 0 covers" in text and "in the middle" in text
    assert "class 1 covers 25 %, at the top" in text
    assert "class 2 covers 9 %, bottom right" in text  # 30 × 30 of 101 × 101 pixels


def test_one_class_everywhere_covers_the_whole_square():
    p = two_classes(np.full(GX.shape, 0.8))
    p[0, 0] = [1, 0]  # a pixel of class 0 does not change that
    assert describe(p).endswith("Class 1 covers the whole square.")


def test_absent_classes_are_left_out():
    p = np.zeros((101, 101, 4))
    p[..., 2] = GX > 0
    p[..., 3] = GX <= 0
    text = describe(p)
    assert "class 0" not in text.lower() and "class 1" not in text.lower()
    assert text.endswith("Class 3 covers 50 % of the square, on the left; class 2 covers 50 %, on the right.")


def test_nan_accuracies_still_describe_regions():
    text = describe(disc(), test=float("nan"), train=float("nan"))
    assert text.startswith("Decision boundary: No predictions yet. Class 0 covers 72 %")
    assert "nan" not in text


def test_no_test_points_reports_the_training_accuracy():
    text = describe(disc(), test=float("nan"), train=0.8, n_test=0)
    assert text.startswith("Decision boundary: 80 % of training points on the right side. Class 0")
    assert "test" not in text
    assert "of test points" not in describe(disc(), test=0.5, train=0.8, n_test=0)


def test_regions_use_the_grid_coordinates_not_the_array_order():
    ys = np.linspace(5, 6, 101)  # rows go up: row 0 is the bottom
    assert "class 1 covers 35 %, at the top" in describe(two_classes((GY > 0.31).astype(float)), XS, ys)


def test_nan_pixels_are_left_out_of_the_areas():
    p = two_classes((GX > 0).astype(float))
    p[:, :20] = np.nan
    assert "Class 1 covers 62 % of the square" in describe(p)


def test_boundary_text_is_short_even_with_six_classes():
    centres = 2 * np.pi * (np.arange(6) + 0.5) / 6
    p = np.exp(4 * np.cos(np.arctan2(GY, GX)[..., None] - centres))
    text = describe(p / p.sum(axis=-1, keepdims=True))
    assert text.count("covers") == 6
    assert len(text) < 320
    assert len(describe(disc())) < 300


def test_boundary_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="expected shapes"):
        describe(disc(), XS[:50])


def two_clusters(rng, a, b, n=20, noise=0.05):
    v = np.r_[rng.normal(a, noise, (n, 3)), rng.normal(b, noise, (n, 3))]
    return v, np.repeat([0, 1], n)


def test_bloch_poles():
    v, c = two_clusters(np.random.default_rng(1), [0.1, -0.2, 0.85], [0.05, 0.1, -0.8], noise=0.0)
    assert describe_bloch(v, c, title="qubit 0") == (
        "qubit 0: class 0 states average (x, y, z) = (0.10, -0.20, 0.85), near |0⟩; "
        "class 1 average (0.05, 0.10, -0.80), near |1⟩."
    )


@pytest.mark.parametrize("axis, word_plus, word_minus", [(0, "|+⟩", "|−⟩"), (1, "|+i⟩", "|−i⟩")])
def test_bloch_equator_states(axis, word_plus, word_minus):
    e = np.eye(3)[axis]
    v, c = two_clusters(np.random.default_rng(2), 0.9 * e, -0.9 * e)
    text = describe_bloch(v, c, title="qubit 1")
    assert f"near {word_plus}; class 1" in text and text.endswith(f"near {word_minus}.")


def test_bloch_spread_out():
    v = np.array([[0.9, 0.0, 0.0], [-0.5, 0.0, 0.0], [0.9, 0.0, 0.0], [-0.5, 0.04, 0.04], [0, 0, 0.7]])
    c = np.array([0, 0, 0, 0, 1])  # class 0 spreads out along x, its mean (0.2, 0.01, 0.01)
    text = describe_bloch(v, c, title="qubit 0")
    assert text == (
        "qubit 0: class 0 states average (x, y, z) = (0.20, 0.01, 0.01), spread out (mean length 0.20); "
        "class 1 average (0.00, 0.00, 0.70), near |0⟩."
    )


def test_bloch_numbers_use_ascii_minus_and_no_negative_zero():
    v = np.array([[-0.001, -0.5, -0.9]] * 3)
    text = describe_bloch(v, np.zeros(3, int), title="q")
    assert "(0.00, -0.50, -0.90)" in text and "\u2212" not in text.split("near")[0]


def test_bloch_without_points():
    assert describe_bloch(np.empty((0, 3)), np.empty(0, int), title="qubit 2") == "qubit 2: no points yet."
    with pytest.raises(ValueError, match="as many rows"):
        describe_bloch(np.zeros((3, 3)), np.zeros(2, int), title="q")


@pytest.mark.parametrize("n, max_rows", [(1, 40), (2, 40), (39, 40), (40, 40), (41, 40), (1000, 40), (7, 2), (10, 3)])
def test_curve_rows_are_evenly_spaced_with_both_ends(n, max_rows):
    h = history(n)
    rows = curve_rows(h, max_rows)
    epochs = [r[0] for r in rows]
    assert len(rows) == min(n, max_rows)
    assert epochs[0] == 0 and epochs[-1] == n - 1
    assert len(set(rows)) == len(rows) and epochs == sorted(epochs)
    gaps = np.diff(epochs)
    assert gaps.size == 0 or gaps.max() - gaps.min() <= 1


def test_curve_rows_pick_the_right_columns():
    h = history(3, train_loss=np.array([0.9, 0.5, 0.25]), train_accuracy=np.array([0.5, 0.75, 1.0]),
                test_accuracy=np.array([np.nan, 0.6, 0.8]), loss=np.array([7.0, 7.0, 7.0]))
    rows = curve_rows(h)
    assert rows[1:] == [(1, 0.5, 0.75, 0.6), (2, 0.25, 1.0, 0.8)]
    assert rows[0][:3] == (0, 0.9, 0.5) and np.isnan(rows[0][3])
    assert all(type(r[0]) is int for r in rows)


def test_curve_rows_empty_and_bad_limit():
    assert curve_rows({k: np.empty(0) for k in KEYS}) == []
    assert curve_rows({}) == []
    with pytest.raises(ValueError, match="max_rows"):
        curve_rows(history(5), max_rows=1)


class TableParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.th_scopes, self.cells, self.caption = [], [], [], ""
        self._in = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in = tag
        if tag == "th":
            self.th_scopes.append(dict(attrs).get("scope"))
        if tag == "td":
            self.cells.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "caption":
            self.caption += data
        elif self._in == "td":
            self.cells[-1] += data


def parse(markup):
    parser = TableParser()
    parser.feed(markup)
    parser.close()
    return parser


def test_table_has_caption_header_and_one_row_per_record():
    h = history(100, train_loss=np.full(100, 0.123456), train_accuracy=np.full(100, 0.875),
                test_accuracy=np.full(100, np.nan))
    table = parse(curve_table_html(h, max_rows=10))
    assert table.caption == "Loss and accuracy by epoch (10 of 100 records)"
    assert table.tags.count("table") == 1 and table.tags.count("tr") == 11
    assert table.th_scopes == ["col"] * 4
    assert table.cells[:4] == ["0", "0.1235", "88 %", "—"]
    assert table.cells[-4] == "99"


def test_table_header_names():
    markup = curve_table_html(history(3))
    for name in ("Epoch", "Training loss", "Train accuracy", "Test accuracy"):
        assert f'<th scope="col">{name}</th>' in markup


def test_table_markup_parses_back_into_its_cells():
    h = history(4, train_loss=np.array([0.5, np.nan, 0.25, 0.125]))
    markup = curve_table_html(h)
    table = parse(markup)
    assert table.tags.count("tr") == 5 and table.tags.count("td") == 16
    assert table.cells[4:8] == ["1", "—", "33 %", "33 %"]
    assert markup.count("<") == markup.count(">")  # nothing stray to confuse a screen reader


def test_empty_table_is_a_paragraph():
    assert curve_table_html({k: np.empty(0) for k in KEYS}) == "<p>No training records yet.</p>"
