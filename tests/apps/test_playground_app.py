"""PlaygroundApp without a server: frames reach every view; URL notices are escaped."""

import numpy as np
import pytest

from apps.playground_app import PlaygroundApp


def test_views_show_the_first_frame():
    app = PlaygroundApp({"n_qubits": [b"2"], "n_layers": [b"3"]}).start()
    assert app.status.n_steps == 0 and np.isfinite(app.status.test_accuracy)
    assert len(app.boundary.train_source.data["x"]) == app.settings.n_train
    assert app.boundary.image_source.data["image"][0].shape == (100, 100)
    assert len(app._spheres) == 2
    assert app._spheres[0].points.shape == (app.settings.n_train, 3)
    assert app.layers.layer == 3
    assert (app.editor.spec.n_qubits, app.editor.spec.n_layers) == (2, 3)
    assert app.editor.spec == app.session._trainer.classifier.spec
    assert len(app.metrics.source.data["step"]) == 1


def test_a_step_updates_every_view():
    app = PlaygroundApp().start()
    image = app.boundary.image_source.data["image"][0].copy()
    app.settings.step = True
    assert app.status.n_steps == 1
    assert not np.array_equal(app.boundary.image_source.data["image"][0], image)
    assert list(app.metrics.source.data["step"]) == [0, 1]


@pytest.mark.parametrize("n_qubits", [1, 2, 3, 4])
def test_every_qubit_count_draws_one_sphere_per_qubit(n_qubits):
    app = PlaygroundApp().start()
    app.settings.n_qubits = n_qubits
    assert app.session.notice == ""
    assert len(app._spheres) == n_qubits and len(app._spheres_box.objects) == n_qubits
    assert all(s.points.shape == (app.settings.n_train, 3) for s in app._spheres)


@pytest.mark.parametrize("dataset", ["circle", "three_circles", "hypersphere", "sphere", "spiral", "blobs"])
def test_every_kind_of_dataset_draws(dataset):
    app = PlaygroundApp({"dataset": [dataset.encode()], "n_qubits": [b"2"]}).start()
    app.settings.step = True
    assert app.session.frame.error is None and "went wrong" not in app.session.notice
    assert app.status.n_steps == 1
    n_features = app.session.frame.snapshot.grid_proba.shape  # the boundary is drawn on a 2-D slice
    assert app.boundary.image_source.data["image"][0].shape == n_features[:2]


def test_url_notice_is_escaped():
    app = PlaygroundApp({"dataset": [b"<img src=x onerror=alert(1)>"], "n_qubits": [b"99"]}).start()
    html = app._notice.object
    assert app._notice.visible
    assert "<img" not in html and "&lt;img" in html
    assert "using 4" in html
    assert app.settings.n_qubits == 4


def test_label_states_only_for_single_qubit_readouts():
    app = PlaygroundApp().start()
    assert app._spheres[0].label_states.shape == (2, 3)
    app.settings.n_qubits = 2  # basis-state read-out: single-qubit label states would mislead
    assert all(s.label_states is None for s in app._spheres)
    app.settings.readout = "focused"
    assert all(s.label_states.shape == (2, 3) for s in app._spheres)


def test_url_notice_stays_until_play_and_errors_replace_nothing():
    app = PlaygroundApp({"n_layers": [b"99"]}).start()
    assert "n_layers" in app._notice.object
    app.session.notice = "Something went wrong"
    assert "n_layers" in app._notice.object and "went wrong" in app._notice.object
    app.session.notice = ""
    app.settings.playing = True
    assert not app._notice.visible


def test_a_phone_folds_the_controls_into_a_drawer_and_a_wide_screen_unfolds_them():
    from apps.playground_app import PlaygroundApp

    app = PlaygroundApp().start()
    sidebar = app._sidebar
    app.viewport.window_width = 390
    assert app.drawer.visible and sidebar not in app._body.objects and sidebar not in app._views.objects
    assert app.boundary.size <= 390 - 24 - 40 and app._groups["curves"].width <= 390
    app.drawer.value = True
    assert sidebar in app._views.objects
    app.viewport.window_width = 1366
    assert not app.drawer.visible and app._body.objects[0] is sidebar and sidebar not in app._views.objects
    assert app.boundary.size == 420 and app._groups["curves"].width == 500
