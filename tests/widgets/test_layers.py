"""LayerView: thumbnails per qubit and layer, the layer slider, and the sphere's points and paths."""

import numpy as np
import pytest

from widgets.layers import TILE_GAP, LayerView, layer_mosaic
from widgets.style import CLASS_COLORS, hex_to_rgb


def test_mosaic_tiles_layers_in_columns_and_qubits_in_rows():
    L, Q, m = 2, 3, 4
    maps = np.zeros((L + 1, Q, m, m), dtype=np.float32)
    maps[1, 0] = 1.0    # layer 1, qubit 0: |0⟩ everywhere
    maps[2, 2] = -1.0   # layer 2, qubit 2: |1⟩ everywhere
    img = layer_mosaic(maps)
    H, W = Q * m + (Q - 1) * TILE_GAP, (L + 1) * m + L * TILE_GAP
    assert img.shape == (H, W) and img.dtype == np.uint32
    rgba = img.view(np.uint8).reshape(H, W, 4)
    top = (Q - 1) * (m + TILE_GAP)  # qubit 0 is the top row of tiles (image row 0 is the bottom)
    assert tuple(rgba[top, 1 * (m + TILE_GAP), :3]) == hex_to_rgb(CLASS_COLORS[0])
    assert tuple(rgba[0, 2 * (m + TILE_GAP), :3]) == hex_to_rgb(CLASS_COLORS[1])
    assert tuple(rgba[top, 0, :3]) == (255, 255, 255)
    assert rgba[m, 0, 3] == 0  # the gap is transparent


def test_mosaic_rejects_bad_shapes():
    with pytest.raises(ValueError, match="expected shape"):
        layer_mosaic(np.zeros((3, 2, 4, 5)))


def test_view_shows_the_chosen_layer_and_paths(snapshot_factory):
    snap = snapshot_factory(P=25, Q=2, L=4, m=6)
    classes = np.arange(25) % 2
    view = LayerView()
    view.update(snap, classes)
    assert view.param["layer"].bounds == (0, 4)
    assert view.layer == 4  # follows the last layer
    sphere = view.sphere
    assert np.allclose(sphere.points, snap.layer_bloch[4, 0], atol=1e-6)
    assert sphere.paths.shape == (25, 5, 3)
    assert list(sphere.classes) == list(classes)
    view.layer = 1
    assert np.allclose(sphere.points, snap.layer_bloch[1, 0], atol=1e-6)
    assert sphere.paths.shape == (25, 2, 3)
    view.qubit = 1
    assert np.allclose(sphere.points, snap.layer_bloch[1, 1], atol=1e-6)
    assert list(view.param.qubit.objects) == [0, 1] or list(view.param.qubit.objects.values()) == [0, 1]


def test_mosaic_source_is_patched_not_replaced(snapshot_factory):
    view = LayerView()
    source = view.mosaic_source
    view.update(snapshot_factory(L=3, Q=1, m=8), np.zeros(30, int))
    img = view.mosaic_source.data["image"][0]
    assert view.mosaic_source is source
    assert img.shape == (8, 4 * 8 + 3 * TILE_GAP)
    assert view.mosaic_source.data["dw"][0] == img.shape[1]


def test_tapping_a_column_chooses_its_layer(snapshot_factory):
    view = LayerView()
    view.update(snapshot_factory(L=5), np.zeros(30, int))
    view._on_tap("indices", [], [2])
    assert view.layer == 2
    assert view.highlight_source.data["left"][0] == pytest.approx(2 * (8 + TILE_GAP) - 1.5)


def test_a_deeper_circuit_keeps_showing_the_last_layer(snapshot_factory):
    view = LayerView()
    view.update(snapshot_factory(L=3), np.zeros(30, int))
    view.update(snapshot_factory(L=6), np.zeros(30, int))
    assert view.layer == 6
    view.layer = 2
    view.update(snapshot_factory(L=8), np.zeros(30, int))
    assert view.layer == 2  # a layer the person chose stays chosen
    view.update(snapshot_factory(L=1), np.zeros(30, int))
    assert view.layer == 1



def test_every_bokeh_view_offers_a_png_save_button():
    """A picture of each view: Bokeh's save tool (the spheres have their own button, see tests/ui)."""
    from bokeh.models import SaveTool

    from widgets.decision_boundary import DecisionBoundaryView
    from widgets.metrics import MetricsView

    metrics = MetricsView()
    figures = [DecisionBoundaryView().figure, metrics.loss_figure, metrics.accuracy_figure, LayerView().figure]
    for fig in figures:
        assert any(isinstance(tool, SaveTool) for tool in fig.toolbar.tools), fig.name
        assert fig.toolbar_location is not None, fig.name
