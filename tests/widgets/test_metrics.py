"""MetricsView: rows are streamed, a reset replaces them."""

import numpy as np

from widgets.metrics import HISTORY_COLUMNS, MetricsView


def _history(steps):
    steps = np.asarray(steps, dtype=float)
    n = len(steps)
    return {"step": steps, "epoch": steps / 10, "loss": np.linspace(1, 0.1, n), "train_loss": np.linspace(1, 0.2, n),
            "train_accuracy": np.linspace(0.5, 1, n), "test_accuracy": np.linspace(0.4, 0.9, n)}


def test_first_update_shows_every_row():
    view = MetricsView()
    view.update(_history([0, 5, 10]))
    assert list(view.source.data["step"]) == [0, 5, 10]
    assert set(view.source.data) == set(HISTORY_COLUMNS)


def test_growing_history_is_streamed(monkeypatch):
    view = MetricsView()
    view.update(_history([0, 5]))
    streamed = []
    monkeypatch.setattr(type(view.source), "stream",
                        lambda self, data, rollover=None: streamed.append({k: list(v) for k, v in data.items()}))
    view.update(_history([0, 5, 10, 15]))
    assert streamed and streamed[0]["step"] == [10, 15]


def test_streamed_rows_arrive():
    view = MetricsView()
    view.update(_history([0, 5]))
    view.update(_history([0, 5, 10]))
    assert list(view.source.data["step"]) == [0, 5, 10]
    assert np.isclose(view.source.data["test_accuracy"][-1], 0.9)


def test_reset_replaces_the_curves():
    view = MetricsView()
    view.update(_history([0, 5, 10, 15]))
    view.update(_history([0]))
    assert list(view.source.data["step"]) == [0]
    view.update(_history([0, 1, 2, 3, 4]))  # a new run that is longer than the view's rows but a different past
    assert list(view.source.data["step"]) == [0, 1, 2, 3, 4]


def test_same_history_twice_changes_nothing():
    view = MetricsView()
    view.update(_history([0, 5]))
    view.update(_history([0, 5]))
    assert list(view.source.data["step"]) == [0, 5]


def test_curves_share_the_step_axis():
    view = MetricsView()
    assert view.loss_figure.x_range is view.accuracy_figure.x_range
    names = {r.name for f in (view.loss_figure, view.accuracy_figure) for r in f.renderers}
    assert {"train-loss", "batch-loss", "train-accuracy", "test-accuracy"} <= names
