"""DecisionBoundaryView: what its Bokeh sources hold after points and a frame."""

import numpy as np

from widgets.decision_boundary import DecisionBoundaryView
from widgets.style import CLASS_COLORS, hex_to_rgb


def _view_with_points(snap, C=2, P=30, M=20, seed=1):
    rng = np.random.default_rng(seed)
    train_X, test_X = rng.uniform(-1, 1, (P, 2)), rng.uniform(-1, 1, (M, 2))
    train_y, test_y = rng.integers(0, C, P), rng.integers(0, C, M)
    view = DecisionBoundaryView()
    view.set_points(train_X, train_y, test_X, test_y, n_classes=C)
    return view, train_X, train_y, test_X, test_y


def test_points_and_predictions_are_shown(snapshot_factory):
    snap = snapshot_factory(P=30, M=20, C=2)
    view, train_X, train_y, _, test_y = _view_with_points(snap)
    view.update(snap)
    d = view.train_source.data
    assert np.allclose(d["x"], train_X[:, 0]) and np.allclose(d["y"], train_X[:, 1])
    assert list(d["label"]) == list(train_y)
    assert list(d["pred"]) == list(snap.train_pred)
    wrong = snap.train_pred != train_y
    assert np.allclose(view.wrong_source.data["x"], train_X[wrong, 0])  # a ring around each misclassified point
    assert np.allclose(view.wrong_source.data["y"], train_X[wrong, 1])
    assert list(view.test_source.data["pred"]) == list(snap.test_pred)
    assert len(view.test_wrong_source.data["x"]) == int(np.sum(snap.test_pred != test_y))


def test_image_is_the_grid_in_class_colours(snapshot_factory):
    snap = snapshot_factory(C=3, res=30)
    view, *_ = _view_with_points(snap, C=3)
    view.update(snap)
    img = view.image_source.data["image"][0]
    assert img.shape == (30, 30) and img.dtype == np.uint32
    rgb = img.view(np.uint8).reshape(30, 30, 4)[..., :3]
    seen = {tuple(px) for px in rgb.reshape(-1, 3)}
    for c in range(3):  # every class's region shows, in its own colour
        assert hex_to_rgb(CLASS_COLORS[c]) in seen
    x0, y0 = view.image_source.data["x"][0], view.image_source.data["y"][0]
    dw = view.image_source.data["dw"][0]
    assert np.isclose(x0, -1 - 1 / 29) and np.isclose(y0, x0) and np.isclose(dw, 2 + 2 / 29)


def test_updates_patch_the_same_sources(snapshot_factory):
    view, *_ = _view_with_points(snapshot_factory())
    sources = (view.image_source, view.train_source, view.test_source, view.wrong_source)
    fig = view.figure
    for seed in range(3):
        view.update(snapshot_factory(seed=seed))
    assert (view.image_source, view.train_source, view.test_source, view.wrong_source) == sources
    assert view.figure is fig


def test_unchanged_predictions_are_not_sent_again(snapshot_factory, monkeypatch):
    view, *_ = _view_with_points(snapshot_factory())
    frame = view.prepare(snapshot_factory(seed=0))
    view.apply(frame)
    sent = []
    monkeypatch.setattr(type(view.wrong_source.data), "update", lambda self, *a, **k: sent.append(sorted(k)), raising=False)
    view.apply(frame, details=False)  # same predictions, no details: only the image changes
    assert sent == [["dh", "dw", "image", "x", "y"]]
    view.apply(frame, details=True)
    assert sent[-1] == ["f0", "f1"]


def test_hover_shows_label_prediction_and_fidelities(snapshot_factory):
    snap = snapshot_factory(C=2)
    view, *_ = _view_with_points(snap)
    view.update(snap)
    tips = dict(view._hover.tooltips)
    assert {"training point", "label", "predicted", "fidelities"} <= set(tips)
    assert tips["fidelities"] == "@f0{0.00} · @f1{0.00}"
    d = view.train_source.data
    assert np.allclose(d["f0"], snap.train_fidelities[:, 0]) and np.allclose(d["f1"], snap.train_fidelities[:, 1])
    assert np.isnan(d["f2"]).all()


def test_show_test_toggles_the_test_points(snapshot_factory):
    view, *_ = _view_with_points(snapshot_factory())
    assert view._test_renderer.visible
    view.show_test = False
    assert not view._test_renderer.visible and not view._wrong_test.visible


def test_legend_and_markers_follow_the_number_of_classes(snapshot_factory):
    view, _, train_y, _, _ = _view_with_points(snapshot_factory(C=4), C=4)
    legend = view.legend.object
    assert [f"class {c}" in legend for c in range(5)] == [True] * 4 + [False]
    assert "misclassified" in legend
    d = view.train_source.data
    by_class = {int(l): (m, c) for l, m, c in zip(d["label"], d["marker"], d["color"])}
    assert len({m for m, _ in by_class.values()}) == len(by_class)  # shape tells classes apart, not only colour
    assert len({c for _, c in by_class.values()}) == len(by_class)


def test_a_frame_for_other_points_is_not_half_applied(snapshot_factory):
    view, *_ = _view_with_points(snapshot_factory(P=30), P=30)
    view.update(snapshot_factory(P=10, M=5))  # stale frame from before a data change
    assert len(view.train_source.data["pred"]) == 30
    assert set(view.train_source.data["pred"]) == {-1}
    assert len(view.wrong_source.data["x"]) == 0


def test_hover_lists_one_fidelity_per_class(snapshot_factory):
    view, *_ = _view_with_points(snapshot_factory(C=3), C=3)
    assert dict(view._hover.tooltips)["fidelities"] == "@f0{0.00} · @f1{0.00} · @f2{0.00}"


def test_slice_of_higher_dimensional_data_is_named(snapshot_factory):
    view = DecisionBoundaryView()
    rng = np.random.default_rng(0)
    view.set_points(rng.uniform(-1, 1, (5, 4)), np.zeros(5, int), n_classes=2, n_features=4)
    assert "x₃, x₄ = 0" in view.figure.title.text


def test_a_large_test_set_is_drawn_with_smaller_markers_so_the_boundary_shows():
    view = DecisionBoundaryView()
    rng = np.random.default_rng(0)
    X, y = rng.uniform(-1, 1, (200, 2)), rng.integers(0, 2, 200)
    view.set_points(X, y, X[:100], y[:100], n_classes=2)
    small = (view._test_renderer.glyph.size, view._wrong_test.glyph.size)
    big_X = rng.uniform(-1, 1, (4000, 2))
    view.set_points(X, y, big_X, rng.integers(0, 2, 4000), n_classes=2)
    assert view._test_renderer.glyph.size < small[0] / 2 and view._wrong_test.glyph.size < small[1]
    assert view._train_renderer.glyph.size == 10  # training points keep their size
    view.set_points(X, y, X[:100], y[:100], n_classes=2)
    assert (view._test_renderer.glyph.size, view._wrong_test.glyph.size) == small


# Clicks on the plot: the view reports where; the app decides what a click means.


def _tap(view, x, y):
    from bokeh.events import Tap

    view.figure._trigger_event(Tap(model=view.figure, x=x, y=y))


def test_a_tap_inside_the_square_reports_its_data_coordinates():
    view = DecisionBoundaryView()
    assert view.tap is None
    seen = []
    view.param.watch(lambda e: seen.append(e.new), "tap")
    _tap(view, 0.25, -0.5)
    assert view.tap == (0.25, -0.5) and isinstance(view.tap[0], float)
    _tap(view, -1.0, 1.0)  # the edge of the square counts
    assert seen == [(0.25, -0.5), (-1.0, 1.0)]


def test_a_second_tap_at_the_same_place_is_reported_again():
    # Add a point, then remove it by tapping the very same pixel: the app must hear both.
    view = DecisionBoundaryView()
    seen = []
    view.param.watch(lambda e: seen.append(e.new), "tap")
    _tap(view, 0.1, 0.2)
    _tap(view, 0.1, 0.2)
    assert seen == [(0.1, 0.2), (0.1, 0.2)]


def test_taps_outside_the_square_are_ignored():
    view = DecisionBoundaryView()
    seen = []
    view.param.watch(lambda e: seen.append(e.new), "tap")
    for x, y in ((1.2, 0.0), (0.0, -1.01), (None, 0.3), (0.3, None), (float("nan"), 0.0), (0.0, float("inf"))):
        _tap(view, x, y)
    assert seen == [] and view.tap is None
    _tap(view, 0.5, 0.5)
    _tap(view, 3.0, 3.0)
    assert view.tap == (0.5, 0.5) and seen == [(0.5, 0.5)]


def test_taps_on_other_models_do_not_count():
    from bokeh.events import Tap
    from bokeh.plotting import figure

    view = DecisionBoundaryView()
    view.figure._trigger_event(Tap(model=figure(), x=0.1, y=0.1))
    assert view.tap is None


def test_nearest_point_finds_the_training_point_under_a_tap():
    view = DecisionBoundaryView()
    assert view.nearest_point(0.0, 0.0) is None  # no points yet
    train_X = np.array([[0.0, 0.0], [0.5, 0.5], [0.52, 0.5], [-0.9, 0.9]])
    view.set_points(train_X, [0, 1, 0, 1], train_X[:1] + 0.01, [1], n_classes=2)
    assert view.nearest_point(0.01, -0.02) == 0
    assert view.nearest_point(0.515, 0.5) == 2  # the nearer of two close points
    assert view.nearest_point(0.51, 0.5) == 1  # equally near: the first
    assert view.nearest_point(-0.9, 0.9) == 3
    assert view.nearest_point(0.04, 0.0) == 0 and view.nearest_point(0.0401, 0.0) is None  # radius 0.04
    assert view.nearest_point(0.1, 0.0, radius=0.1) == 0 and view.nearest_point(0.1, 0.0) is None
    assert view.nearest_point(0.3, -0.3) is None
    view.set_points(train_X[2:], [0, 1], n_classes=2)  # indices follow the last set_points
    assert view.nearest_point(0.52, 0.5) == 0 and view.nearest_point(0.0, 0.0) is None


def test_an_empty_plane_can_be_shown():
    view = DecisionBoundaryView()
    view.set_points(np.empty((0, 2)), np.empty(0, dtype=int), n_classes=3)
    assert len(view.train_source.data["x"]) == 0 and view.nearest_point(0.0, 0.0) is None
    assert view.n_classes == 3


def test_drawing_mode_says_what_a_click_does():
    from widgets.decision_boundary import DRAWING_TITLE

    view = DecisionBoundaryView()
    rng = np.random.default_rng(0)
    view.set_points(rng.uniform(-1, 1, (5, 3)), np.zeros(5, int), n_classes=2, n_features=3)
    sliced = view.figure.title.text
    assert "x₃ = 0" in sliced
    view.drawing = True
    assert view.figure.title.text == DRAWING_TITLE
    assert DRAWING_TITLE == "Click to add; click a point to remove"  # short enough for a phone-sized plot
    view.set_points(rng.uniform(-1, 1, (5, 2)), np.zeros(5, int), n_classes=2)  # new points while drawing
    assert view.figure.title.text == DRAWING_TITLE
    view.drawing = False
    assert view.figure.title.text == ""
    assert DecisionBoundaryView(drawing=True).figure.title.text == DRAWING_TITLE


def test_the_boundary_is_one_dark_line_with_a_gap_after_every_segment(snapshot_factory):
    from widgets.boundary_lines import boundary_segments
    from widgets.style import OUTLINE_COLOR

    snap = snapshot_factory(C=3, res=30)
    view, *_ = _view_with_points(snap, C=3)
    view.update(snap)
    x, y = view.line_source.data["x"], view.line_source.data["y"]
    x0, y0, x1, y1 = boundary_segments(snap.grid_proba, snap.grid_x, snap.grid_y)
    assert len(x0) > 0 and len(x) == len(y) == 3 * len(x0)
    assert np.array_equal(x[0::3], x0) and np.array_equal(y[1::3], y1) and np.isnan(x[2::3]).all()
    glyph = view.figure.select_one({"name": "boundary-lines"}).glyph
    assert glyph.line_color == OUTLINE_COLOR
    assert view.summary.text.startswith("Decision boundary: ")
