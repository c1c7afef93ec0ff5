"""Controls: widgets made from a settings object's params, one set per settings object."""

import pytest

from apps.settings import PlaygroundSettings
from widgets.controls import DataControls, ModelControls, PlaybackControls, TrainingControls


def test_widgets_write_the_settings():
    s = PlaygroundSettings()
    model, training, data = ModelControls(settings=s), TrainingControls(settings=s), DataControls(settings=s)
    model.n_layers.value = 9
    model.entangler.value = "cnot-ring"
    training.learning_rate.value = 0.1
    training.steps_per_frame.value = 20
    data.noise.value = 0.2
    data.picker.buttons["spiral"].clicks += 1
    assert (s.n_layers, s.entangler, s.learning_rate, s.steps_per_frame, s.noise, s.dataset) == (
        9, "cnot-ring", 0.1, 20, 0.2, "spiral")


def test_settings_write_the_widgets():
    s = PlaygroundSettings()
    model, data = ModelControls(settings=s), DataControls(settings=s)
    s.n_qubits = 3
    s.dataset = "xor"
    assert model.n_qubits.value == 3
    assert data.picker.value == "xor"


def test_widget_bounds_are_the_settings_bounds():
    s = PlaygroundSettings()
    model, training = ModelControls(settings=s), TrainingControls(settings=s)
    assert (model.n_qubits.start, model.n_qubits.end) == (1, 4)
    assert (model.n_layers.start, model.n_layers.end) == (1, 15)
    assert training.steps_per_frame.end == 50
    with pytest.raises(ValueError):
        s.n_layers = 16


def test_each_settings_object_gets_its_own_widgets():
    a, b = PlaygroundSettings(), PlaygroundSettings()
    wa, wb = ModelControls(settings=a), ModelControls(settings=b)
    assert wa.n_layers is not wb.n_layers
    wa.n_layers.value = 7
    assert b.n_layers == 4


def test_play_button_names_its_action():
    s = PlaygroundSettings()
    controls = PlaybackControls(settings=s)
    assert "Play" in controls.play.label
    s.playing = True
    assert "Pause" in controls.play.label
    steps = []
    s.param.watch(lambda e: steps.append(1), "step")
    controls.step.clicks += 1
    controls.step.value = True  # what a click in the browser sends
    assert steps == [1]
