"""Drawing your own data on the page, without a browser: taps add and remove points, the model trains on them, and
the points travel in the address, experiment files and the CSV export; bad or too many points change nothing."""

from __future__ import annotations

from urllib.parse import parse_qs

import numpy as np
import pytest

from apps.playground_app import PlaygroundApp
from playground.datasets import MAX_DRAWN, load_csv
from playground.links import decode_points, encode_points


def _page(query: str = "") -> PlaygroundApp:
    args = {k: [v[-1].encode()] for k, v in parse_qs(query.lstrip("?"), keep_blank_values=True).items()}
    return PlaygroundApp(args).start()


def _draw(app: PlaygroundApp, n: int = 20, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    for i in range(n):
        app.settings.draw_class = i % 2
        x = (0.2 + rng.uniform(0, 0.7)) * (1 if i % 2 else -1)
        app.boundary.tap = (float(x), float(rng.uniform(-0.9, 0.9)))


def test_taps_add_points_of_the_chosen_class_and_the_model_learns_them():
    app = _page("drawing=1&learning_rate=0.1&n_layers=2")
    assert app.session._trainer.train.n_samples == 0
    app.settings.step = True
    assert app.session.frame.n_steps == 0 and app.session.frame.error is None  # nothing to learn yet
    _draw(app)
    train = app.session._trainer.train
    assert train.n_samples == 20 and np.bincount(train.y).tolist() == [10, 10]
    assert np.all((train.X[:, 0] > 0) == (train.y == 1))
    for _ in range(40):
        app.settings.step = True
    assert app.session.frame.train_accuracy >= 0.9
    X, y = decode_points(app.settings.points)
    assert np.array_equal(X, train.X) and np.array_equal(y, train.y)


def test_a_tap_on_a_point_removes_it_and_clear_empties_the_plane():
    app = _page("drawing=1")
    _draw(app, 6)
    x, y = app.session._trainer.train.X[2]
    app.boundary.tap = (float(x) + 0.01, float(y))
    assert app.session._trainer.train.n_samples == 5
    app.settings.clear_points = True
    assert app.session._trainer.train.n_samples == 0 and app.settings.points == ""


def test_the_link_and_the_experiment_file_reopen_the_same_points():
    app = _page("drawing=1&n_layers=2")
    _draw(app, 12)
    for _ in range(5):
        app.settings.step = True
    linked = _page(app._address())
    assert np.array_equal(linked.session._trainer.train.X, app.session._trainer.train.X)
    opened = _page()
    opened.load_file(app.make_file("experiment").encode(), "drawn.json")
    assert opened.settings.drawing and opened.share.message.startswith("Opened drawn.json")
    assert np.array_equal(opened.session._trainer.train.y, app.session._trainer.train.y)
    assert np.array_equal(opened.session._trainer.params, app.session._trainer.params)
    csv = load_csv(app.make_file("points"))
    assert csv.n_samples == 12 and np.array_equal(csv.y, app.session._trainer.train.y)


def test_no_more_than_the_bound_and_nothing_lost():
    rng = np.random.default_rng(0)
    X = rng.uniform(-0.5, 0.5, (MAX_DRAWN, 2))  # away from the corner the tap goes to
    app = _page(f"drawing=1&points={encode_points(X, (X[:, 0] > 0).astype(int))}")
    assert app.session._trainer.train.n_samples == MAX_DRAWN
    app.boundary.tap = (0.999, 0.999)
    assert app.session._trainer.train.n_samples == MAX_DRAWN and f"At most {MAX_DRAWN}" in app._notice.object


@pytest.mark.parametrize("points", ["d1.@@@", "d1." + "A" * 40, "nonsense", "c1.abc"])
def test_bad_points_in_the_address_are_one_notice_and_an_empty_plane(points):
    app = _page(f"drawing=1&points={points}")
    assert "drawn points in this link could not be read" in app._notice.object
    assert app.session._trainer.train.n_samples == 0 and app.session.frame.error is None


def test_leaving_drawing_brings_the_dataset_back():
    app = _page("drawing=1")
    _draw(app, 4)
    app.settings.drawing = False
    assert app.session._trainer.train.name == "circle" and app.session._trainer.train.n_samples > 4
    app.boundary.tap = (0.1, 0.1)  # taps do nothing while not drawing
    assert app.settings.points != "" and app.session._trainer.train.name == "circle"
