"""Sidebar and toolbar controls, each widget made from a setting's param (so each tab has its own widgets).

The controls take any ``param.Parameterized`` with the setting names they show (the apps pass their
``PlaygroundSettings``); they hold no state of their own beyond the widgets.
"""

from __future__ import annotations

import panel as pn
import param

from playground.datasets import DATASETS

from .dataset_picker import DatasetPicker
from .static_files import read_static

__all__ = ["DataControls", "ModelControls", "TrainingControls", "PlaybackControls"]

_W = 266  # sidebar widget width in pixels
_PLAY_CSS = read_static("play_button.css")


def _slider(p, name, **kw):
    kw.setdefault("width", _W)
    widget_type = pn.widgets.IntSlider if isinstance(p, param.Integer) else pn.widgets.FloatSlider
    return widget_type.from_param(p, label=name, **kw)


def _select(p, name, **kw):
    kw.setdefault("width", _W)
    return pn.widgets.Select.from_param(p, label=name, **kw)


class DataControls(pn.viewable.Viewer):
    """Dataset thumbnails, the paper's own points, noise, number of points, train/test split, regenerate, show-test."""

    settings = param.ClassSelector(class_=param.Parameterized, doc=(
        "Needs dataset, noise, n_samples, test_fraction, show_test, regenerate; paper_draw if it has one."))

    def __init__(self, **params):
        super().__init__(**params)
        s = self.settings
        self.picker = DatasetPicker(value=s.dataset)
        # Two-way link: a click on a thumbnail sets the setting; a setting from the URL highlights the thumbnail.
        self.picker.param.watch(lambda e: setattr(s, "dataset", e.new), "value")
        s.param.watch(lambda e: setattr(self.picker, "value", e.new), "dataset")
        self.noise = _slider(s.param.noise, "Noise", step=0.01)
        self.n_samples = _slider(s.param.n_samples, "Number of points (train + test)", step=20)
        self.test_fraction = _slider(s.param.test_fraction, "Share of points for testing", step=0.05)
        self.regenerate = pn.widgets.Button.from_param(s.param.regenerate, label="↻ Regenerate points", color="default", width=_W)
        self.show_test = pn.widgets.Checkbox.from_param(s.param.show_test, label="Show test points")
        self.drawing = None
        if "drawing" in s.param:
            # Drawing: a toggle, the class a click adds, how many classes, and Clear.
            self.drawing = pn.widgets.Toggle.from_param(s.param.drawing, label="✎ Draw your own points", width=_W,
                                                        color="default")
            self.draw_class = pn.widgets.RadioButtonGroup(options={f"class {c}": c for c in range(s.draw_classes)},
                                                          value=min(s.draw_class, s.draw_classes - 1), width=_W)
            self.draw_class.param.watch(lambda e: setattr(s, "draw_class", e.new), "value")
            self.draw_classes = pn.widgets.IntSlider.from_param(s.param.draw_classes, label="Classes to draw", width=_W)
            self.clear = pn.widgets.Button.from_param(s.param.clear_points, label="Clear the plane", width=_W)
            s.param.watch(self._follow_drawing, ["drawing", "draw_classes", "draw_class"])
        self.paper_draw = None
        if "paper_draw" in s.param:
            # Only the paper's nine problems have the authors' draw; with it, the draw settings do not apply.
            self.paper_draw = pn.widgets.Checkbox.from_param(
                s.param.paper_draw, label="The paper's own points (its seed-30 draw)", width=_W)
            s.param.watch(self._follow_draw, ["dataset", "paper_draw"])
            self._follow_draw()

    def _follow_drawing(self, *events) -> None:
        s = self.settings
        self.draw_class.options = {f"class {c}": c for c in range(s.draw_classes)}
        self.draw_class.value = min(s.draw_class, s.draw_classes - 1)
        for widget in (self.draw_class, self.draw_classes, self.clear):
            widget.visible = bool(s.drawing)
        self.picker.disabled = bool(s.drawing)
        self._follow_draw()

    def _follow_draw(self, *events) -> None:
        s = self.settings
        self.paper_draw.visible = DATASETS[s.dataset].paper
        fixed = (bool(s.paper_draw) and DATASETS[s.dataset].paper) or bool(getattr(s, "drawing", False))
        for widget in (self.noise, self.n_samples, self.test_fraction, self.regenerate):
            widget.disabled = fixed

    def __panel__(self):
        extra = [self.paper_draw] if self.paper_draw is not None else []
        drawing = [self.drawing, self.draw_class, self.draw_classes, self.clear] if self.drawing is not None else []
        if drawing:
            self._follow_drawing()
        return pn.Column(self.picker, *extra, *drawing, self.noise, self.n_samples, self.test_fraction,
                         self.regenerate, self.show_test, margin=(0, 0), sizing_mode="stretch_width")


class ModelControls(pn.viewable.Viewer):
    """Qubits, layers, entangler, encoding, cost, read-out and initialisation."""

    settings = param.ClassSelector(class_=param.Parameterized, doc="Needs n_qubits, n_layers, entangler, encoding, cost, readout, init.")

    def __init__(self, **params):
        super().__init__(**params)
        s = self.settings
        self.n_qubits = _slider(s.param.n_qubits, "Qubits")
        self.n_layers = _slider(s.param.n_layers, "Layers")
        self.entangler = _select(s.param.entangler, "Entangler (2+ qubits)")
        self.encoding = _select(s.param.encoding, "Encoding")
        self.cost = _select(s.param.cost, "Cost")
        self.readout = _select(s.param.readout, "Read-out (2+ qubits)")
        self.init = _select(s.param.init, "Initialisation")

    def __panel__(self):
        return pn.Column(self.n_qubits, self.n_layers, self.entangler, self.encoding, self.cost, self.readout, self.init,
                         margin=(0, 0))


class TrainingControls(pn.viewable.Viewer):
    """Optimizer, learning rate, batch size, speed (steps per frame) and picture resolution."""

    settings = param.ClassSelector(class_=param.Parameterized, doc="Needs optimizer, learning_rate, batch_size, steps_per_frame, resolution.")

    def __init__(self, **params):
        super().__init__(**params)
        s = self.settings
        self.optimizer = _select(s.param.optimizer, "Optimizer")
        self.learning_rate = _select(s.param.learning_rate, "Learning rate")
        self.batch_size = _select(s.param.batch_size, "Batch size")
        self.steps_per_frame = _slider(s.param.steps_per_frame, "Speed (steps per frame)")
        self.resolution = _slider(s.param.resolution, "Picture resolution (pixels per side)", step=10)

    def __panel__(self):
        return pn.Column(self.optimizer, self.learning_rate, self.batch_size, self.steps_per_frame, self.resolution,
                         margin=(0, 0))


class PlaybackControls(pn.viewable.Viewer):
    """Play/pause, single step and reset: large buttons for the toolbar."""

    settings = param.ClassSelector(class_=param.Parameterized, doc="Needs playing, step, reset.")

    def __init__(self, **params):
        super().__init__(**params)
        s = self.settings
        self.play = pn.widgets.Toggle.from_param(s.param.playing, label=self._play_label(s.playing), color="success",
                                                 width=120, height=44, stylesheets=[_PLAY_CSS],
                                                 css_classes=["pg-play"])
        s.param.watch(lambda e: setattr(self.play, "label", self._play_label(e.new)), "playing")
        self.step = pn.widgets.Button.from_param(s.param.step, label="Step", color="primary", variant="outline",
                                                 width=96, height=44, stylesheets=[":host .bk-btn{font-size:max(16px,var(--pg-min-font,0px))}"])
        self.reset = pn.widgets.Button.from_param(s.param.reset, label="Reset", color="primary", variant="outline",
                                                  width=96, height=44, stylesheets=[":host .bk-btn{font-size:max(16px,var(--pg-min-font,0px))}"])

    @staticmethod
    def _play_label(playing: bool) -> str:
        return "❚❚ Pause" if playing else "▶ Play"

    def __panel__(self):
        return pn.Row(self.play, self.step, self.reset, margin=(0, 0))
