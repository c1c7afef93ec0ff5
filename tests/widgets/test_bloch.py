"""BlochSphere without a browser: input checks, class styles, the wire format and batched updates."""

from __future__ import annotations

import doctest
import itertools
import json

import numpy as np
import param
import pytest
from bokeh.document import Document
from bokeh.protocol import Protocol

import widgets.bloch as bloch
from widgets.bloch import MARKERS, MAX_POINTS, PALETTE, BlochSphere, class_style, wire_vectors


def unit_vectors(n, seed=0):
    v = np.random.default_rng(seed).normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def trajectories(n, k, seed=0):
    v = np.random.default_rng(seed).normal(size=(n, k, 3))
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def rendered(sphere):
    """The Bokeh model of ``sphere`` in a fresh document, as a server session would build it."""
    doc = Document()
    root = sphere.get_root(doc)
    doc.add_root(root)
    return doc, root


# ---- inputs -------------------------------------------------------------------------------------------------


class TestInputs:
    def test_accepts_arrays_lists_and_states_inside_the_ball(self):
        v = unit_vectors(50)
        s = BlochSphere(points=0.3 * v, classes=[0, 1] * 25, label_states=[[0, 0, 1], [0, 0, -1]])
        assert s.points.shape == (50, 3)
        assert s.classes.dtype.kind == "i"
        assert s.label_states.shape == (2, 3)
        assert BlochSphere().points is None

    def test_norm_tolerance_is_1e_6(self):
        BlochSphere(points=[[0, 0, 1 + 5e-7]])
        with pytest.raises(ValueError, match=r"\|r\| <= 1.*got \|r\| = 1\.00001"):
            BlochSphere(points=[[0, 0, 1 + 1e-5]])

    @pytest.mark.parametrize(
        "points, message",
        [
            (np.zeros((4, 2)), r"expected an array of shape \(N, 3\), got shape \(4, 2\)"),
            (np.zeros(3), r"expected an array of shape \(N, 3\), got shape \(3,\)"),
            (np.zeros((2, 2, 3)), r"shape \(N, 3\), got shape \(2, 2, 3\)"),
            (np.zeros((MAX_POINTS + 1, 3)), r"expected at most 5000 rows, got 5001"),
            ([[0, 0, np.nan]], r"expected finite numbers"),
            ([[1, 1, 0]], r"\|r\| = 1\.41421"),
            ([[0, 0], [1]], r"expected an array of numbers"),
            (np.array([["a", "b", "c"]]), r"expected real numbers, got dtype <U1"),
        ],
    )
    def test_bad_points_raise_clear_errors(self, points, message):
        with pytest.raises(ValueError, match=r"BlochSphere\.points: .*" + message):
            BlochSphere(points=points)

    def test_max_points_is_accepted(self):
        assert len(BlochSphere(points=unit_vectors(MAX_POINTS)).points) == MAX_POINTS

    @pytest.mark.parametrize(
        "classes, message",
        [
            ([0, -1, 1], r"class ids in \[0, 255\], got -1\.\.1"),
            ([0, 256, 1], r"class ids in \[0, 255\], got 0\.\.256"),
            ([0.5, 1, 0], r"expected integer class ids, got dtype float64"),
            ([[0, 1, 0]], r"expected an array of shape \(N,\), got shape \(1, 3\)"),
        ],
    )
    def test_bad_classes_raise_clear_errors(self, classes, message):
        with pytest.raises(ValueError, match=r"BlochSphere\.classes: .*" + message):
            BlochSphere(points=unit_vectors(3), classes=classes)

    def test_counts_must_agree(self):
        v = unit_vectors(10)
        with pytest.raises(ValueError, match=r"classes: expected shape \(10,\) to match points, got \(9,\)"):
            BlochSphere(points=v, classes=np.zeros(9, int))
        with pytest.raises(ValueError, match=r"paths: expected shape \(10, K, 3\) to match points, got \(8, 4, 3\)"):
            BlochSphere(points=v, paths=trajectories(8, 4))
        with pytest.raises(ValueError, match=r"classes: expected shape \(0,\)"):
            BlochSphere(classes=[0, 1])

    def test_setting_one_array_out_of_step_says_how_to_do_it(self):
        s = BlochSphere(points=unit_vectors(10), classes=np.zeros(10, int))
        with pytest.raises(ValueError, match=r"expected shape \(10,\).*set them together with BlochSphere\.update"):
            s.classes = np.zeros(11, int)
        with pytest.raises(ValueError, match=r"classes: expected shape \(12,\)"):
            s.points = unit_vectors(12)
        assert len(s.points) == 10 and len(s.classes) == 10

    def test_param_update_may_change_the_count_in_one_batch(self):
        s = BlochSphere(points=unit_vectors(10), classes=np.zeros(10, int))
        s.param.update(points=unit_vectors(12), classes=np.ones(12, int))
        assert len(s.points) == len(s.classes) == 12

    @pytest.mark.parametrize(
        "paths, message",
        [
            (np.zeros((5, 3)), r"expected an array of shape \(N, K, 3\), got shape \(5, 3\)"),
            (np.zeros((5, 0, 3)), r"expected 1 to 64 steps per path \(K\), got 0"),
            (np.zeros((5, 65, 3)), r"got 65"),
            (2 * trajectories(5, 3), r"\|r\| <= 1"),
        ],
    )
    def test_bad_paths_raise_clear_errors(self, paths, message):
        with pytest.raises(ValueError, match=r"BlochSphere\.paths: .*" + message):
            BlochSphere(points=unit_vectors(5), paths=paths)

    def test_bad_label_states_palette_markers_and_bounds(self):
        with pytest.raises(ValueError, match=r"label_states: .*\|r\| = 1\.00007"):
            BlochSphere(label_states=[[0.943, 0, -0.333]])
        with pytest.raises(ValueError, match=r"palette: expected colours like '#0072B2', got 'red'"):
            BlochSphere(palette=["#000000", "red"])
        with pytest.raises(ValueError, match=r"palette: expected at least one colour"):
            BlochSphere(palette=[])
        with pytest.raises(ValueError, match=r"markers: expected markers from .*got 'hexagon'"):
            BlochSphere(markers=["circle", "hexagon"])
        with pytest.raises(ValueError, match=r"size"):
            BlochSphere(size=100)
        with pytest.raises(ValueError, match=r"selected"):
            BlochSphere(selected=-2)
        with pytest.raises(ValueError, match=r"highlight"):
            BlochSphere(highlight=MAX_POINTS)

    def test_size_sets_the_layout_size(self):
        s = BlochSphere(size=300)
        assert (s.width, s.height) == (300, 300)
        s.size = 500
        assert (s.width, s.height) == (500, 500)


# ---- class styles -------------------------------------------------------------------------------------------


def _srgb_hex_to_linear(h):
    c = np.array([int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_lab(rgb):
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(rgb, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


# Machado, Oliveira & Fernandes (2009), severity 1, on linear RGB: protanopia, deuteranopia, tritanopia.
_DICHROMACY = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _closest_pair_delta_e(palette, vision):
    labs = [_linear_to_lab(_DICHROMACY[vision] @ _srgb_hex_to_linear(h)) for h in palette]
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(labs, 2))


class TestClassStyles:
    def test_six_classes_get_six_colours_and_six_shapes(self):
        styles = [class_style(c) for c in range(6)]
        assert len({colour for colour, _ in styles}) == 6
        assert [marker for _, marker in styles] == list(MARKERS)
        assert class_style(0) == ("#0072B2", "circle")
        assert class_style(1) == ("#D55E00", "square")

    def test_styles_cycle_like_the_browser(self):
        assert class_style(6) == class_style(0)
        assert class_style(13) == (PALETTE[1], MARKERS[1])
        assert class_style(3, palette=["#111111", "#222222"], markers=["star"]) == ("#222222", "star")
        with pytest.raises(ValueError, match="expected a class id >= 0, got -1"):
            class_style(-1)

    def test_the_browser_gets_the_palette_and_markers(self):
        s = BlochSphere(points=unit_vectors(4), classes=[0, 1, 2, 3], palette=["#000000", "#ffffff"],
                        markers=["star", "cross"])
        _, root = rendered(s)
        assert root.data.palette == ["#000000", "#ffffff"]
        assert root.data.markers == ["star", "cross"]
        assert list(root.data.classes) == [0, 1, 2, 3]

    @pytest.mark.parametrize("vision", sorted(_DICHROMACY))
    def test_default_palette_stays_distinct_for_colour_blind_viewers(self, vision):
        # CIE76 distance of the closest pair after simulating the deficiency; ~2.3 is just noticeable
        assert _closest_pair_delta_e(PALETTE, vision) > 12

    def test_the_colour_blindness_check_can_fail(self):
        red_green = ["#d62728", "#2ca02c", "#1f77b4"]
        assert _closest_pair_delta_e(red_green, "normal") > 12
        assert _closest_pair_delta_e(red_green, "deuteranopia") < 12


# ---- the wire format ------------------------------------------------------------------------------------------


def _patch_message(doc, change):
    """Apply ``change()`` while the document holds its events, and return the one PATCH-DOC message."""
    doc.callbacks.hold("collect")
    change()
    events = list(doc.callbacks._held_events)
    doc.callbacks._held_events = []
    doc.callbacks.unhold()
    return Protocol().create("PATCH-DOC", events)


def _decode(msg, attr):
    """Decode ``attr``'s new value from a PATCH-DOC message the way BokehJS does: JSON + binary buffers."""
    (event,) = [e for e in json.loads(msg.content_json)["events"] if e["attr"] == attr]
    rep = event["new"]
    assert rep["type"] == "ndarray" and rep["array"]["type"] == "bytes"
    buffers = {b.id: b.to_bytes() for b in msg.buffers}
    data = buffers[rep["array"]["data"]["id"]]
    return np.frombuffer(data, dtype=rep["dtype"]).reshape(rep["shape"])


class TestWireFormat:
    def test_wire_vectors_is_contiguous_float32(self):
        v = unit_vectors(20)[::2]
        w = wire_vectors(v)
        assert w.dtype == np.float32 and w.flags.c_contiguous and w.shape == (10, 3)
        assert wire_vectors(None) is None

    def test_model_holds_float32_points_and_uint8_classes(self):
        v = unit_vectors(30)
        _, root = rendered(BlochSphere(points=v, classes=np.arange(30) % 3, label_states=np.eye(3)))
        assert root.data.points.dtype == np.float32 and root.data.points.shape == (30, 3)
        assert root.data.classes.dtype == np.uint8
        assert root.data.label_states.dtype == np.float32
        np.testing.assert_allclose(root.data.points, v, atol=1e-7)

    def test_points_round_trip_through_a_binary_patch(self):
        v = unit_vectors(500)
        s = BlochSphere(points=unit_vectors(500, seed=1))
        doc, _ = rendered(s)
        new = 0.8 * unit_vectors(500, seed=2)
        msg = _patch_message(doc, lambda: s.update(points=new))
        decoded = _decode(msg, "points")
        assert decoded.dtype == np.float32 and decoded.shape == (500, 3)
        np.testing.assert_allclose(decoded, new, rtol=0, atol=1e-7)
        # 500 states: 6000 bytes of float32 plus a few hundred bytes of JSON, in one message
        assert sum(len(b.to_bytes()) for b in msg.buffers) == 500 * 3 * 4
        assert len(msg.header_json) + len(msg.metadata_json) + len(msg.content_json) < 600

    def test_paths_are_thinned_before_they_are_sent(self):
        paths = trajectories(1000, 6)
        s = BlochSphere(points=paths[:, -1], paths=paths)
        _, root = rendered(s)
        assert root.data.path_stride == 4  # auto: at most 250 of 1000 trajectories
        np.testing.assert_allclose(root.data.paths, paths[::4], atol=1e-7)
        s.path_stride = 10
        assert root.data.path_stride == 10 and root.data.paths.shape == (100, 6, 3)
        s.paths = None
        assert root.data.paths is None

    def test_selected_comes_back_from_the_browser(self):
        s = BlochSphere(points=unit_vectors(10))
        _, root = rendered(s)
        assert root.data.selected == -1
        root.data.selected = 7  # what a click does in the browser
        assert s.selected == 7


# ---- batched updates ------------------------------------------------------------------------------------------


class TestUpdate:
    def test_update_is_one_watcher_batch(self):
        s = BlochSphere(points=unit_vectors(10), classes=np.zeros(10, int), paths=trajectories(10, 3))
        calls = []
        s.param.watch(lambda *events: calls.append(sorted(e.name for e in events)),
                      ["points", "classes", "paths", "label_states", "title"])
        s.update(points=unit_vectors(20), classes=np.ones(20, int), paths=trajectories(20, 3),
                 label_states=[[0, 0, 1]], title="epoch 3")
        assert calls == [["classes", "label_states", "paths", "points", "title"]]
        s.update(points=unit_vectors(20, seed=5))
        assert calls[1:] == [["points"]]

    def test_update_reaches_the_model_in_one_model_update(self, monkeypatch):
        s = BlochSphere(points=unit_vectors(10), classes=np.zeros(10, int))
        doc, _ = rendered(s)
        seen = []
        original = s._update_model

        def counting(events, msg, *args, **kwargs):
            seen.append(sorted(msg))
            return original(events, msg, *args, **kwargs)

        monkeypatch.setattr(s, "_update_model", counting)
        msg = _patch_message(doc, lambda: s.update(points=unit_vectors(12), classes=np.ones(12, int),
                                                   paths=trajectories(12, 4)))
        assert seen == [["classes", "path_stride", "paths", "points"]]
        # path_stride stays 1, so Bokeh leaves it out of the message
        assert sorted(e["attr"] for e in json.loads(msg.content_json)["events"]) == ["classes", "paths", "points"]

    def test_update_with_nothing_changes_nothing(self):
        s = BlochSphere(points=unit_vectors(3))
        calls = []
        s.param.watch(lambda *e: calls.append(e), ["points", "classes"])
        assert s.update() is s
        assert calls == []

    def test_failed_update_changes_nothing(self):
        v = unit_vectors(10)
        s = BlochSphere(points=v, classes=np.zeros(10, int))
        with pytest.raises(ValueError, match=r"classes: expected shape \(20,\) to match points, got \(10,\)"):
            s.update(points=unit_vectors(20))
        with pytest.raises(ValueError, match=r"paths: "):
            s.update(points=unit_vectors(10, seed=3), paths=np.zeros((10, 3)))
        with pytest.raises(ValueError, match=r"expected parameter names, got \['colour'\]"):
            s.update(points=unit_vectors(10, seed=3), colour="red")
        assert s.points is v

    def test_fewer_states_clear_a_selection_past_the_end(self):
        s = BlochSphere(points=unit_vectors(10), selected=8)
        s.update(points=unit_vectors(5))
        assert s.selected == -1
        s.update(points=unit_vectors(10), selected=3)
        s.update(points=unit_vectors(5, seed=1))
        assert s.selected == 3


def test_docstring_examples_run():
    result = doctest.testmod(bloch, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 5


def test_every_parameter_is_documented():
    for name in BlochSphere.param:
        if BlochSphere.param[name].owner is BlochSphere:
            assert BlochSphere.param[name].doc, name
    assert isinstance(BlochSphere.param["size"], param.Integer)
