"""Points drawn by hand: their checks, the shared construction with CSV upload, the link codec, training on them
and the experiment file."""

import base64
import json
import zlib

import numpy as np
import pytest

from playground.classifier import Classifier
from playground.datasets import (
    MAX_CLASSES,
    MAX_DRAWN,
    Dataset,
    DatasetError,
    drawn_dataset,
    load_csv,
    to_csv,
)
from playground.experiment import CSV_DATASET, DataSpec, Experiment, TrainingSpec
from playground.links import (
    MAX_INFLATED,
    MAX_LINK_CHARS,
    POINT_STEP,
    LinkError,
    decode_points,
    encode_points,
    quantise_points,
)
from playground.spec import CircuitSpec
from playground.trainer import Trainer


def _points(n, n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (n, 2)), rng.integers(0, n_classes, n)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _d1(raw: bytes, level: int = 6) -> str:
    return "d1." + _b64(zlib.compress(raw, level))


def _raw_points(codes, labels) -> bytes:
    """The raw bytes of a points value, built independently of the encoder: 12-bit x, 12-bit y, then labels."""
    out = bytearray()
    for x, y in codes:
        out += bytes([x >> 4, ((x & 0xF) << 4) | (y >> 8), y & 0xFF])
    return bytes(out) + bytes(labels)


# ---------------------------------------------------------------------------------------------- drawn_dataset


def test_drawn_points_become_a_dataset_as_they_are():
    X = [[0.5, -0.25], [-1.0, 1.0], [0.0, 0.0]]
    ds = drawn_dataset(X, [0, 2, 1])
    assert isinstance(ds, Dataset)
    assert ds.X.tolist() == X  # no rescaling, unlike a CSV file
    assert ds.y.tolist() == [0, 2, 1] and ds.y.dtype == np.int64 and ds.X.dtype == np.float64
    assert ds.n_classes == 3 and ds.class_names == ("0", "1", "2") and ds.name == "drawn"


def test_n_classes_defaults_to_at_least_two_and_may_name_classes_without_points():
    assert drawn_dataset([[0.1, 0.1]], [0]).n_classes == 2
    assert drawn_dataset([[0.1, 0.1], [0.2, 0.2]], [0, 4]).n_classes == 5
    ds = drawn_dataset([[0.1, 0.1]], [1], n_classes=MAX_CLASSES, name="mine")
    assert ds.n_classes == MAX_CLASSES and ds.class_names == tuple("012345") and ds.name == "mine"


def test_an_empty_plane_is_a_dataset_of_no_points():
    for X, y in (([], []), (np.empty((0, 2)), np.empty(0, dtype=int))):
        ds = drawn_dataset(X, y, n_classes=3)
        assert ds.X.shape == (0, 2) and ds.y.shape == (0,) and ds.n_classes == 3
    assert drawn_dataset([], []).n_classes == 2


def test_the_arrays_are_copies():
    X, y = _points(5)
    ds = drawn_dataset(X, y)
    X[0, 0] = 0.75
    assert ds.X[0, 0] != 0.75


def test_max_drawn_points_are_accepted():
    X, y = _points(MAX_DRAWN)
    assert drawn_dataset(X, y).n_samples == MAX_DRAWN == 300


@pytest.mark.parametrize(
    "X, y, kwargs, message",
    [
        ([[0.0, 0.0, 0.0]], [0], {}, "X: expected an array of shape (n, 2), got shape (1, 3)"),
        ([0.0, 0.0], [0], {}, "X: expected an array of shape (n, 2), got shape (2,)"),
        ([[[0.0, 0.0]]], [0], {}, "X: expected an array of shape (n, 2), got shape (1, 1, 2)"),
        ([[0.0, 0.0], [0.0]], [0, 0], {}, "X: expected an array of numbers of shape (n, 2), got list"),
        ([["a", "b"]], [0], {}, "X: expected an array of numbers of shape (n, 2), got list"),
        (np.zeros((MAX_DRAWN + 1, 2)), np.zeros(MAX_DRAWN + 1, dtype=int), {},
         "X: expected at most 300 points, got 301"),
        ([[0.0, 0.0], [0.5, np.nan]], [0, 1], {}, "X: expected finite numbers, got [0.5, nan] (point 1)"),
        ([[np.inf, 0.0]], [0], {}, "X: expected finite numbers, got [inf, 0.0] (point 0)"),
        ([[0.0, 0.0], [0.2, 0.1], [0.5, 1.5]], [0, 1, 0], {}, "X: expected values within [-1, 1], got 1.5 (point 2)"),
        ([[-1.0001, 0.0]], [0], {}, "X: expected values within [-1, 1], got -1.0001 (point 0)"),
        ([[0.0, 0.0]], [0, 1], {}, "y: expected an array of shape (1,), one label per point, got shape (2,)"),
        ([[0.0, 0.0]], 0, {}, "y: expected an array of shape (1,), one label per point, got shape ()"),
        ([[0.0, 0.0]], [0.0], {}, "y: expected integer labels, got dtype float64"),
        ([[0.0, 0.0]], [True], {}, "y: expected integer labels, got dtype bool"),
        ([[0.0, 0.0], [0.1, 0.1]], [0, -1], {}, "y: expected labels in 0..5, got -1 (point 1)"),
        ([[0.0, 0.0], [0.1, 0.1]], [0, MAX_CLASSES], {}, "y: expected labels in 0..5, got 6 (point 1)"),
        ([[0.0, 0.0], [0.1, 0.1]], [2, 0], {"n_classes": 2}, "y: expected labels in 0..1, got 2 (point 0)"),
        ([[0.0, 0.0]], [0], {"n_classes": 1}, "n_classes: expected an integer in 2..6, got 1"),
        ([[0.0, 0.0]], [0], {"n_classes": 7}, "n_classes: expected an integer in 2..6, got 7"),
        ([[0.0, 0.0]], [0], {"n_classes": 2.0}, "n_classes: expected an integer in 2..6, got 2.0"),
        ([[0.0, 0.0]], [0], {"name": None}, "name: expected a string, got NoneType"),
    ],
)
def test_bad_points_get_one_clear_error(X, y, kwargs, message):
    with pytest.raises(DatasetError) as err:
        drawn_dataset(X, y, **kwargs)
    assert str(err.value) == message


# ---------------------------------------------------------------------------------------------- shared with CSV


def test_a_csv_file_of_the_same_points_gives_the_same_dataset():
    # Each column spans [-1, 1], so load_csv's rescaling leaves the points where they are.
    X = [[-1.0, 0.25], [1.0, -1.0], [0.5, 1.0], [-0.125, 0.0]]
    y = [1, 0, 2, 1]
    drawn = drawn_dataset(X, y)
    text = "x1,x2,label\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, y))
    loaded = load_csv(text, name="drawn")
    for field in ("n_classes", "name", "class_names"):
        assert getattr(loaded, field) == getattr(drawn, field)
    assert np.array_equal(loaded.X, drawn.X) and np.array_equal(loaded.y, drawn.y)
    assert loaded.X.dtype == drawn.X.dtype and loaded.y.dtype == drawn.y.dtype


def test_to_csv_is_read_back_by_load_csv():
    X, y = _points(40, n_classes=3, seed=4)
    X[:2] = [[-1.0, -1.0], [1.0, 1.0]]  # each column spans [-1, 1]
    drawn = drawn_dataset(X, y)
    text = to_csv(drawn)
    assert text.splitlines()[0] == "x1,x2,label" and len(text.splitlines()) == 41
    loaded = load_csv(text, name="drawn")
    assert np.array_equal(loaded.X, drawn.X)  # the shortest repr of a float reads back the same float
    assert np.array_equal(loaded.y, drawn.y) and loaded.class_names == drawn.class_names


def test_to_csv_writes_class_names_as_labels():
    full = load_csv("1,2,cat\n3,4,dog, with comma\n5,6,cat\n".replace("dog, with comma", '"dog, with comma"'))
    assert full.class_names == ("cat", "dog, with comma")
    again = load_csv(to_csv(full))
    assert again.class_names == full.class_names and np.array_equal(again.y, full.y)
    assert np.array_equal(again.X, full.X)
    with pytest.raises(DatasetError, match="dataset: expected a Dataset, got list"):
        to_csv([[0.0, 0.0]])


def test_csv_class_count_messages_are_unchanged():
    with pytest.raises(DatasetError, match=r"^column 3: expected at least 2 classes, got 1 \('a'\)$"):
        load_csv("1,2,a\n3,4,a\n")
    text = "".join(f"{i},{i},{i}\n" for i in range(MAX_CLASSES + 1))
    with pytest.raises(DatasetError, match=r"^column 3: expected at most 6 classes, got 7$"):
        load_csv(text)


# ---------------------------------------------------------------------------------------------- link codec


def test_points_round_trip_through_a_link():
    X, y = _points(57, n_classes=4, seed=2)
    text = encode_points(X, y)
    assert text.startswith("d1.")
    assert set(text[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    X2, y2 = decode_points(text)
    assert X2.shape == (57, 2) and X2.dtype == np.float64 and y2.dtype == np.int64
    assert np.array_equal(y2, y)
    assert np.max(np.abs(X2 - X)) <= POINT_STEP / 2 + 1e-12  # rounded to the 0.0005 grid
    assert np.array_equal(X2, quantise_points(X))
    assert encode_points(X2, y2) == text  # decoded points encode to the same string
    assert np.array_equal(decode_points(text)[0], X2)
    drawn_dataset(X2, y2)  # the decoded points are valid drawn points


def test_every_grid_value_survives_the_round_trip_exactly():
    k = np.arange(4001)
    v = k / 2000 - 1.0
    X = np.stack([v, v[::-1]], axis=1)
    for start in range(0, 4001, MAX_DRAWN):
        chunk = X[start:start + MAX_DRAWN]
        X2, _ = decode_points(encode_points(chunk, np.zeros(len(chunk), dtype=int)))
        assert np.array_equal(X2, chunk)
    assert POINT_STEP == 0.0005
    assert quantise_points([[-1.0, 1.0], [0.0, 0.5]]).tolist() == [[-1.0, 1.0], [0.0, 0.5]]


def test_an_empty_plane_has_a_link():
    X, y = decode_points(encode_points([], []))
    assert X.shape == (0, 2) and y.shape == (0,)


@pytest.mark.parametrize("n_classes", [2, 6])
def test_three_hundred_points_fit_in_a_short_link(n_classes):
    # Uniform points are the worst case: deflate cannot shrink random low bits.
    X, y = _points(MAX_DRAWN, n_classes=n_classes, seed=9)
    assert len(encode_points(X, y)) < 1600


def test_the_encoder_reads_the_format_it_documents():
    X = [[-1.0, 1.0], [0.0, 0.5], [0.0005, -0.9995]]
    raw = _raw_points([(0, 4000), (2000, 3000), (2001, 1)], [0, 5, 3])
    assert zlib.decompress(base64.urlsafe_b64decode(encode_points(X, [0, 5, 3])[3:] + "==")) == raw
    X2, y2 = decode_points("d1." + _b64(zlib.compress(raw)))
    assert np.allclose(X2, X, atol=1e-15) and y2.tolist() == [0, 5, 3]


def test_encoding_bad_points_is_a_link_error():
    with pytest.raises(LinkError, match=r"^points: X: expected values within \[-1, 1\], got 2.0 \(point 0\)$"):
        encode_points([[2.0, 0.0]], [0])
    X, y = _points(MAX_DRAWN + 1)
    with pytest.raises(LinkError, match="^points: X: expected at most 300 points, got 301$"):
        encode_points(X, y)


@pytest.mark.parametrize(
    "text, message",
    [
        (None, "points: expected text, got NoneType"),
        ("x" * (MAX_LINK_CHARS + 1), f"points: expected at most {MAX_LINK_CHARS} characters"),
        ("p1." + _b64(zlib.compress(b"\0\0\0\0")), "points: expected a value starting with 'd1.'"),
        ("d1.!!!!", "points: expected base64url text"),
        ("d1." + _b64(b"not deflated"), "points: the value is damaged (it does not inflate)"),
        ("d1." + _b64(zlib.compress(b"\0" * 40)[:-3]), "points: the value is cut short"),
        (_d1(b"\0" * 7), "points: the value is damaged (not a whole number of points"),
        (_d1(_raw_points([(0, 0)] * 301, [0] * 301)), "points: expected at most 300 points, got 301"),  # by hand
        (_d1(b"\0" * 4 * 5000), "points: expected at most 300 points, got 5000"),
        (_d1(b"\0" * (MAX_INFLATED + 10), 9), f"points: expected at most {MAX_INFLATED} bytes once inflated"),
        (_d1(_raw_points([(0, 0), (4001, 5)], [0, 1])),
         "points: expected coordinate codes in 0..4000 (within [-1, 1]), got [4001, 5] (point 1)"),
        (_d1(_raw_points([(0, 0), (5, 4095)], [0, 1])),
         "points: expected coordinate codes in 0..4000 (within [-1, 1]), got [5, 4095] (point 1)"),
        (_d1(_raw_points([(0, 0), (5, 5)], [1, 6])), "points: expected labels in 0..5, got 6 (point 1)"),
        (_d1(_raw_points([(0, 0)], [255])), "points: expected labels in 0..5, got 255 (point 0)"),
    ],
)
def test_malformed_points_get_one_clear_error(text, message):
    with pytest.raises(LinkError) as err:
        decode_points(text)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_huge_inflated_value_is_refused_while_inflating():
    bomb = _d1(b"\0" * 10_000_000, 9)
    assert len(bomb) < MAX_LINK_CHARS  # short enough to pass the length check: the inflating bound stops it
    with pytest.raises(LinkError, match=f"points: expected at most {MAX_INFLATED} bytes once inflated"):
        decode_points(bomb)


# ---------------------------------------------------------------------------------------------- training and files


def _drawn_twenty():
    X, _ = _points(20, seed=3)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return drawn_dataset(quantise_points(X), y)


def test_a_trainer_learns_from_drawn_points():
    ds = _drawn_twenty()
    trainer = Trainer(Classifier(CircuitSpec.paper(1, 2), ds.n_classes), ds, None, optimizer="adam",
                      learning_rate=0.1, batch_size=32, seed=0)  # one full batch per epoch
    first = trainer.record()
    last = trainer.run(15)
    assert trainer.n_steps == 15 and np.all(np.isfinite(trainer.params))
    assert last["train_loss"] < first["train_loss"]
    # A new point keeps the trainer (and its optimizer state): the data is swapped in place.
    more = drawn_dataset(np.vstack([ds.X, [[0.5, 0.5]]]), np.append(ds.y, 1))
    trainer.set_data(more, None)
    trainer.run(1)
    assert trainer.n_steps == 16 and trainer.snapshot(resolution=8).train_pred.shape == (21,)


def test_drawn_points_round_trip_through_an_experiment_file():
    ds = _drawn_twenty()
    data = DataSpec.embedded(ds, ds.subset(slice(0, 0)))
    assert data.dataset == CSV_DATASET and data.n_train == 20 and data.n_test == 0
    exp = Experiment(CircuitSpec.paper(1, 2), data, training=TrainingSpec("adam", epochs=2, seed=1, batch_size=10))
    trained, _ = exp.fit()
    text = trained.to_json()
    d = json.loads(text)["data"]
    assert d["dataset"] == "csv" and d["name"] == "drawn" and d["class_names"] == ["0", "1"]
    assert d["X_test"] == [] and d["y_test"] == [] and d["n_test"] == 0
    again = Experiment.from_json(text)
    assert again == trained and again.score() == trained.metrics and trained.metrics.test_accuracy is None
    train, test = again.build_data()
    assert np.array_equal(train.X, ds.X) and np.array_equal(train.y, ds.y) and test.n_samples == 0
    assert train.name == "drawn" and train.class_names == ds.class_names
    # The points read from the file are drawn points again, and have the same link.
    back = drawn_dataset(train.X, train.y, n_classes=train.n_classes)
    assert encode_points(back.X, back.y) == encode_points(ds.X, ds.y)


def test_a_class_without_points_survives_the_experiment_file():
    ds = drawn_dataset([[0.1, 0.2], [-0.3, 0.4]], [0, 1], n_classes=3)
    exp = Experiment(CircuitSpec.paper(1, 2), DataSpec.embedded(ds, ds.subset(slice(0, 0))), n_classes=3)
    train, _ = Experiment.from_json(exp.to_json()).build_data()
    assert train.n_classes == 3 and train.class_names == ("0", "1", "2")
