"""Tests for playground.datasets: label rules, generators, validation, rescaling and CSV loading."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground import datasets
from playground.datasets import (
    DATASETS,
    INPUT_RANGE,
    MAX_CLASSES,
    MAX_CSV_BYTES,
    MAX_FEATURES,
    MAX_SAMPLES,
    Dataset,
    DatasetError,
    DatasetInfo,
    load_csv,
    make_dataset,
    make_train_test,
    rescale,
)

PAPER_IDS = [
    "circle",
    "three_circles",
    "hypersphere",
    "annulus",
    "binary_annulus",
    "non_convex",
    "sphere",
    "squares",
    "wavy_lines",
]
EXTRA_IDS = ["moons", "spiral", "xor", "blobs"]
VARIABLE_IDS = ["spiral", "blobs"]


# ----------------------------------------------------------------------------------------------------------------
# Independent constructions of the reference table's rules, written point by point, as the authors' code does.
# ----------------------------------------------------------------------------------------------------------------


def _reference_label(name, x):
    x = [float(v) for v in x]
    norm = math.sqrt(sum(v * v for v in x))
    if name in ("circle", "hypersphere"):
        return 1 if norm < math.sqrt(2 / math.pi) else 0
    if name == "sphere":
        return 1 if norm < (3 / math.pi) ** (1 / 3) else 0
    if name == "three_circles":
        label = 0
        centres = [(-1, 1), (1, 0), (-0.5, -0.5)]
        radii = [1, math.sqrt(6 / math.pi - 1), 0.5]
        for j, (c, r) in enumerate(zip(centres, radii), start=1):
            if math.hypot(x[0] - c[0], x[1] - c[1]) < r:
                label = j
        return label
    if name == "annulus":
        if norm < math.sqrt(0.8 - 2 / math.pi):
            return 0
        if norm < math.sqrt(0.8):
            return 1
        return 2
    if name == "binary_annulus":
        return 1 if math.sqrt(0.8 - 2 / math.pi) < norm < math.sqrt(0.8) else 0
    if name == "non_convex":
        return 0 if x[1] < -2 * x[0] + 1.5 * math.sin(math.pi * x[0]) else 1
    if name == "squares":
        return {(False, False): 0, (False, True): 1, (True, False): 2, (True, True): 3}[(x[0] > 0, x[1] > 0)]
    if name == "wavy_lines":
        f1 = x[0] + math.sin(math.pi * x[0])
        f2 = -x[0] + math.sin(math.pi * x[0])
        if x[1] < f1 and x[1] < f2:
            return 0
        if x[1] < f1 and x[1] > f2:
            return 1
        if x[1] > f1 and x[1] < f2:
            return 2
        return 3
    if name == "xor":
        return 1 if x[0] * x[1] < 0 else 0
    raise AssertionError(name)


# ----------------------------------------------------------------------------------------------------------------
# Correctness: known answers of each rule
# ----------------------------------------------------------------------------------------------------------------

KNOWN_ANSWERS = {
    "circle": [((0, 0), 1), ((0.9, 0.9), 0), ((0.79, 0), 1), ((0, -0.8), 0), ((-0.5, 0.5), 1), ((-1, -1), 0)],
    "three_circles": [
        ((-0.9, 0.9), 1),  # near the corner centre (-1, 1)
        ((-0.2, 0.5), 1),
        ((0.9, 0.0), 2),
        ((0.9, -0.8), 2),
        ((-0.5, -0.5), 3),
        ((-0.2, -0.8), 3),
        ((0.5, -0.9), 0),  # outside all three
        ((0.5, 0.9), 0),
        ((-0.9, -0.9), 0),
    ],
    "hypersphere": [
        ((0, 0, 0, 0), 1),
        ((0.5, 0.5, 0, 0), 1),
        ((0.5, 0.5, 0.5, 0), 0),
        ((0.79, 0, 0, 0), 1),
        ((0, 0, 0, 0.8), 0),
    ],
    "annulus": [
        ((0, 0), 0),
        ((0.3, 0), 0),
        ((0, -0.4), 0),
        ((0.41, 0), 1),
        ((0.6, 0.6), 1),
        ((0, 0.89), 1),
        ((0.9, 0), 2),
        ((0.7, 0.7), 2),
        ((-1, 1), 2),
    ],
    "binary_annulus": [
        ((0, 0), 0),
        ((0.3, 0), 0),
        ((0.41, 0), 1),
        ((0.6, 0.6), 1),
        ((0, 0.89), 1),
        ((0.9, 0), 0),
        ((0.7, 0.7), 0),
    ],
    "non_convex": [
        ((0, -0.1), 0),
        ((0, 0.1), 1),
        ((0.5, 0.4), 0),  # f(0.5) = 0.5
        ((0.5, 0.6), 1),
        ((-0.5, -0.6), 0),  # f(-0.5) = -0.5
        ((-0.5, -0.4), 1),
        ((1.0, -1.0), 1),  # f(1) = -2
        ((-1.0, 1.0), 0),  # f(-1) = 2
    ],
    "sphere": [
        ((0, 0, 0), 1),
        ((0.98, 0, 0), 1),
        ((0, 0.99, 0), 0),
        ((0.5, 0.5, 0.5), 1),
        ((0.6, 0.6, 0.6), 0),
    ],
    "squares": [((-0.5, -0.5), 0), ((-0.5, 0.5), 1), ((0.5, -0.5), 2), ((0.5, 0.5), 3), ((-0.01, 0.99), 1)],
    "wavy_lines": [
        ((0.5, 0.0), 0),  # f1(0.5) = 1.5, f2(0.5) = 0.5: below both
        ((0.5, 1.0), 1),  # below f1, above f2
        ((-0.5, -1.0), 2),  # f1(-0.5) = -1.5, f2(-0.5) = -0.5: above f1, below f2
        ((-0.5, 0.0), 3),  # above both
        ((0.0, -0.5), 0),  # f1(0) = f2(0) = 0
        ((0.0, 0.5), 3),
    ],
    "xor": [((0.5, 0.5), 0), ((-0.5, -0.5), 0), ((-0.5, 0.5), 1), ((0.5, -0.5), 1)],
}


@pytest.mark.parametrize("name", sorted(KNOWN_ANSWERS))
def test_rule_known_answers(name):
    points = np.array([p for p, _ in KNOWN_ANSWERS[name]], dtype=float)
    expected = [label for _, label in KNOWN_ANSWERS[name]]
    got = DATASETS[name].rule(points)
    assert got.dtype == np.int64
    assert got.tolist() == expected
    # The hand-picked answers agree with the independent construction too.
    assert [_reference_label(name, p) for p in points] == expected


@pytest.mark.parametrize("name", PAPER_IDS + ["xor"])
def test_generated_labels_match_independent_rule(name):
    ds = make_dataset(name, 3000, seed=7)
    expected = [_reference_label(name, x) for x in ds.X]
    assert ds.y.tolist() == expected


def test_three_circles_later_circle_overwrites_earlier(monkeypatch):
    # The paper's circles are disjoint inside the square, so the order only shows with overlapping radii.
    monkeypatch.setattr(datasets, "_THREE_CIRCLES_RADII", np.array([3.0, 3.0, 0.5]))
    # (0, 0) lies in circle 1 and circle 2, not in circle 3: the later one (2) wins.
    # (-0.5, -0.5) lies in all three: 3 wins.
    got = datasets._label_three_circles(np.array([[0.0, 0.0], [-0.5, -0.5]]))
    assert got.tolist() == [2, 3]


def test_three_circles_uses_all_four_labels():
    ds = make_dataset("three_circles", 5000, seed=0)
    assert set(ds.y.tolist()) == {0, 1, 2, 3}


def test_annulus_and_binary_annulus_share_the_ring():
    X = make_dataset("annulus", 5000, seed=2).X
    assert np.array_equal(DATASETS["binary_annulus"].rule(X), (DATASETS["annulus"].rule(X) == 1).astype(np.int64))


# Expected class fractions: areas (volumes) of the regions divided by the square's (cube's).
_ANNULUS_INNER = math.pi * (0.8 - 2 / math.pi) / 4
BALANCE = {
    "circle": [0.5, 0.5],
    "hypersphere": [0.875, 0.125],
    "sphere": [0.5, 0.5],
    "annulus": [_ANNULUS_INNER, 0.5, 1 - 0.5 - _ANNULUS_INNER],
    "binary_annulus": [0.5, 0.5],
    "squares": [0.25] * 4,
    "xor": [0.5, 0.5],
}


@pytest.mark.parametrize("name", sorted(BALANCE))
def test_class_balance(name):
    ds = make_dataset(name, MAX_SAMPLES, seed=11)
    fractions = np.bincount(ds.y, minlength=ds.n_classes) / ds.n_samples
    np.testing.assert_allclose(fractions, BALANCE[name], atol=0.02)


def test_hypersphere_majority_baseline_is_about_0_87():
    ds = make_dataset("hypersphere", MAX_SAMPLES, seed=3)
    assert abs(np.mean(ds.y == 0) - 0.875) < 0.02


# ----------------------------------------------------------------------------------------------------------------
# Extras
# ----------------------------------------------------------------------------------------------------------------


def test_moons_lie_on_two_scaled_half_circles():
    ds = make_dataset("moons", 2000, seed=4)
    # Undo the documented centring and scaling, then check the scikit-learn construction.
    P = ds.X / 0.6 + np.array([0.5, 0.25])
    outer, inner = P[ds.y == 0], P[ds.y == 1]
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, atol=1e-12)
    assert np.all(outer[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(inner[:, 1] <= 0.5 + 1e-12)
    assert np.abs(ds.X).max() <= 0.9 + 1e-12
    assert abs(len(outer) - len(inner)) <= 1


@pytest.mark.parametrize("n_classes", range(2, MAX_CLASSES + 1))
def test_spiral_has_balanced_arms_inside_the_square(n_classes):
    ds = make_dataset("spiral", 601, seed=5, n_classes=n_classes)
    counts = np.bincount(ds.y, minlength=n_classes)
    assert counts.max() - counts.min() <= 1
    r = np.hypot(ds.X[:, 0], ds.X[:, 1])
    assert r.min() >= 0.1 - 1e-12 and r.max() <= 0.95 + 1e-12


def test_spiral_arms_are_rotations_of_each_other():
    ds = make_dataset("spiral", 4000, seed=6, n_classes=3)
    # Rotating arm 0's points by 2*pi/3 maps them onto arm 1: compare angle as a function of radius.
    angle = np.arctan2(ds.X[:, 1], ds.X[:, 0])
    r = np.hypot(ds.X[:, 0], ds.X[:, 1])
    u = (r - 0.1) / 0.85
    offset = np.mod(angle - 2 * np.pi * 1.25 * u, 2 * np.pi) / (2 * np.pi)
    np.testing.assert_allclose(np.minimum(np.abs(offset * 3 - ds.y), 3 - np.abs(offset * 3 - ds.y)), 0, atol=1e-9)


@pytest.mark.parametrize("n_classes", range(2, MAX_CLASSES + 1))
def test_blobs_centres_on_circle(n_classes):
    ds = make_dataset("blobs", 6000, seed=8, n_classes=n_classes)
    for k in range(n_classes):
        angle = 2 * np.pi * k / n_classes
        centre = 0.6 * np.array([np.cos(angle), np.sin(angle)])
        np.testing.assert_allclose(ds.X[ds.y == k].mean(axis=0), centre, atol=0.03)


def test_blobs_default_three_classes_spiral_default_two():
    assert make_dataset("blobs", 30, seed=0).n_classes == 3
    assert make_dataset("spiral", 30, seed=0).n_classes == 2


# ----------------------------------------------------------------------------------------------------------------
# Registry, shapes, dtypes, ranges
# ----------------------------------------------------------------------------------------------------------------


def test_registry_order_and_entries():
    assert list(DATASETS) == PAPER_IDS + EXTRA_IDS
    for key, info in DATASETS.items():
        assert isinstance(info, DatasetInfo)
        assert info.name == key
        assert info.paper == (key in PAPER_IDS)
        assert info.description
        low, high = info.class_range
        assert low <= info.default_n_classes <= high
        if key in VARIABLE_IDS:
            assert info.n_classes is None and info.class_range == (2, MAX_CLASSES)
        else:
            assert info.n_classes == info.default_n_classes == low == high
    expected = {
        "circle": (2, 2),
        "three_circles": (2, 4),
        "hypersphere": (4, 2),
        "annulus": (2, 3),
        "binary_annulus": (2, 2),
        "non_convex": (2, 2),
        "sphere": (3, 2),
        "squares": (2, 4),
        "wavy_lines": (2, 4),
        "moons": (2, 2),
        "xor": (2, 2),
    }
    for key, (d, c) in expected.items():
        assert (DATASETS[key].n_features, DATASETS[key].n_classes) == (d, c)


def _check_dataset(ds, n_samples, n_features, n_classes, name):
    assert isinstance(ds, Dataset)
    assert ds.X.shape == (n_samples, n_features) and ds.X.dtype == np.float64
    assert ds.y.shape == (n_samples,) and ds.y.dtype == np.int64
    assert ds.n_samples == n_samples and ds.n_features == n_features
    assert ds.n_classes == n_classes and ds.name == name
    assert ds.class_names == tuple(str(k) for k in range(n_classes))
    if n_samples:
        assert ds.X.min() >= INPUT_RANGE[0] and ds.X.max() <= INPUT_RANGE[1]
        assert ds.y.min() >= 0 and ds.y.max() < n_classes


_SHAPE_CASES = [(name, None) for name in DATASETS] + [(name, c) for name in VARIABLE_IDS for c in (2, 4, 6)]


@pytest.mark.parametrize("name, n_classes", _SHAPE_CASES)
@pytest.mark.parametrize("n_samples", [1, 7, 500])
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_shapes_dtypes_ranges(name, n_classes, n_samples, noise):
    info = DATASETS[name]
    ds = make_dataset(name, n_samples, noise=noise, seed=1, n_classes=n_classes)
    expected_classes = n_classes if n_classes is not None else info.default_n_classes
    _check_dataset(ds, n_samples, info.n_features, expected_classes, name)


@pytest.mark.parametrize("name", list(DATASETS))
def test_fixed_count_is_accepted_as_n_classes(name):
    info = DATASETS[name]
    ds = make_dataset(name, 10, seed=0, n_classes=info.default_n_classes)
    assert ds.n_classes == info.default_n_classes


def test_max_samples_is_allowed():
    assert make_dataset("circle", MAX_SAMPLES, seed=0).n_samples == MAX_SAMPLES


def test_numpy_integers_are_accepted():
    ds = make_dataset("blobs", np.int64(12), seed=np.int32(3), n_classes=np.int8(4), noise=np.float32(0.1))
    assert ds.X.shape == (12, 2) and ds.n_classes == 4


# ----------------------------------------------------------------------------------------------------------------
# Train/test split
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_train_test_is_one_draw_split(noise):
    train, test = make_train_test("circle", 200, 4000, seed=30, noise=noise)
    full = make_dataset("circle", 4200, seed=30, noise=noise)
    assert train.n_samples == 200 and test.n_samples == 4000
    np.testing.assert_array_equal(train.X, full.X[:200])
    np.testing.assert_array_equal(test.X, full.X[200:])
    np.testing.assert_array_equal(train.y, full.y[:200])
    np.testing.assert_array_equal(test.y, full.y[200:])


def test_train_test_with_no_test_points_and_variable_classes():
    train, test = make_train_test("spiral", 50, 0, seed=1, n_classes=5)
    _check_dataset(train, 50, 2, 5, "spiral")
    _check_dataset(test, 0, 2, 5, "spiral")


def test_train_test_may_fill_the_bound():
    train, test = make_train_test("sphere", 1, MAX_SAMPLES - 1, seed=0)
    assert (train.n_samples, test.n_samples) == (1, MAX_SAMPLES - 1)


# ----------------------------------------------------------------------------------------------------------------
# Determinism and the global RNG
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_seed_same_arrays(name):
    a = make_dataset(name, 300, noise=0.05, seed=42)
    b = make_dataset(name, 300, noise=0.05, seed=42)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    c = make_dataset(name, 300, noise=0.05, seed=43)
    assert not np.array_equal(a.X, c.X)


def test_seed_none_draws_fresh_points():
    a = make_dataset("circle", 50)
    b = make_dataset("circle", 50)
    assert not np.array_equal(a.X, b.X)


def test_global_numpy_rng_is_untouched_and_ignored():
    np.random.seed(1234)
    state_before = np.random.get_state()
    first = [make_dataset(name, 100, noise=0.1, seed=5) for name in DATASETS]
    make_train_test("blobs", 10, 10, seed=None, n_classes=4)
    load_csv("1,2,a\n3,4,b\n")
    state_after = np.random.get_state()
    assert state_before[0] == state_after[0]
    np.testing.assert_array_equal(state_before[1], state_after[1])
    assert state_before[2:] == state_after[2:]
    # Reseeding the global RNG does not change what a seed gives.
    np.random.seed(999)
    second = [make_dataset(name, 100, noise=0.1, seed=5) for name in DATASETS]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.X, b.X)


# ----------------------------------------------------------------------------------------------------------------
# Noise
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAPER_IDS + ["xor"])
def test_noise_zero_gives_the_exact_rule(name):
    ds = make_dataset(name, 2000, noise=0.0, seed=9)
    np.testing.assert_array_equal(ds.y, DATASETS[name].rule(ds.X))


@pytest.mark.parametrize("name", list(DATASETS))
def test_noise_moves_points_but_keeps_clean_labels(name):
    clean = make_dataset(name, 2000, noise=0.0, seed=12, n_classes=None)
    noisy = make_dataset(name, 2000, noise=0.1, seed=12, n_classes=None)
    np.testing.assert_array_equal(noisy.y, clean.y)
    assert not np.allclose(noisy.X, clean.X)
    assert noisy.X.min() >= -1.0 and noisy.X.max() <= 1.0
    if DATASETS[name].rule is not None:
        # Labels follow the clean positions, so some jittered points sit on the wrong side of the boundary.
        assert np.any(DATASETS[name].rule(noisy.X) != noisy.y)


def test_noise_is_gaussian_jitter_of_the_given_std():
    clean = make_dataset("circle", MAX_SAMPLES, seed=13)
    noisy = make_dataset("circle", MAX_SAMPLES, noise=0.05, seed=13)
    jitter = noisy.X - clean.X
    unclipped = np.all(np.abs(noisy.X) < 1.0, axis=1)
    assert abs(jitter[unclipped].std() - 0.05) < 0.002
    assert abs(jitter[unclipped].mean()) < 0.002


def test_noise_is_clipped_to_the_square():
    ds = make_dataset("circle", 2000, noise=1.0, seed=0)
    assert ds.X.min() == -1.0 and ds.X.max() == 1.0


# ----------------------------------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------------------------------


def test_dataset_error_is_a_value_error():
    assert issubclass(DatasetError, ValueError)


def test_unknown_name_lists_valid_ids():
    with pytest.raises(DatasetError) as info:
        make_dataset("circles", 10)
    message = str(info.value)
    assert message.startswith("name: expected one of") and "got 'circles'" in message
    for key in DATASETS:
        assert repr(key) in message


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_samples=0), "n_samples: expected an integer in 1..20000, got 0"),
        (dict(n_samples=-5), "n_samples: expected an integer in 1..20000, got -5"),
        (dict(n_samples=20_001), "n_samples: expected an integer in 1..20000, got 20001"),
        (dict(n_samples=10.0), "n_samples: expected an integer in 1..20000, got 10.0"),
        (dict(n_samples="10"), "n_samples: expected an integer in 1..20000, got '10'"),
        (dict(n_samples=True), "n_samples: expected an integer in 1..20000, got True"),
        (dict(noise=-0.1), "noise: expected a number in [0, 1], got -0.1"),
        (dict(noise=1.5), "noise: expected a number in [0, 1], got 1.5"),
        (dict(noise=float("nan")), "noise: expected a number in [0, 1], got nan"),
        (dict(noise="0.1"), "noise: expected a number in [0, 1], got '0.1'"),
        (dict(noise=None), "noise: expected a number in [0, 1], got None"),
        (dict(noise=False), "noise: expected a number in [0, 1], got False"),
        (dict(seed=-1), "seed: expected None or an integer >= 0, got -1"),
        (dict(seed=1.5), "seed: expected None or an integer >= 0, got 1.5"),
        (dict(seed="1"), "seed: expected None or an integer >= 0, got '1'"),
        (dict(n_classes=3), "n_classes: expected None or 2 for 'circle', got 3"),
        (dict(n_classes=0), "n_classes: expected None or 2 for 'circle', got 0"),
    ],
)
def test_make_dataset_rejects(kwargs, message):
    args = dict(name="circle", n_samples=10) | kwargs
    with pytest.raises(DatasetError) as info:
        make_dataset(args.pop("name"), args.pop("n_samples"), **args)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "name, n_classes, message",
    [
        ("spiral", 1, "n_classes: expected None or an integer in 2..6 for 'spiral', got 1"),
        ("spiral", 7, "n_classes: expected None or an integer in 2..6 for 'spiral', got 7"),
        ("blobs", 2.0, "n_classes: expected None or an integer in 2..6 for 'blobs', got 2.0"),
        ("squares", 2, "n_classes: expected None or 4 for 'squares', got 2"),
        ("annulus", 2, "n_classes: expected None or 3 for 'annulus', got 2"),
        ("moons", 3, "n_classes: expected None or 2 for 'moons', got 3"),
    ],
)
def test_bad_n_classes(name, n_classes, message):
    with pytest.raises(DatasetError) as info:
        make_dataset(name, 10, n_classes=n_classes)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "n_train, n_test, message",
    [
        (0, 10, "n_train: expected an integer in 1..20000, got 0"),
        (10, -1, "n_test: expected an integer in 0..19999, got -1"),
        (10, 2.5, "n_test: expected an integer in 0..19999, got 2.5"),
        (15_000, 5_001, "n_train + n_test: expected at most 20000, got 20001"),
    ],
)
def test_make_train_test_rejects(n_train, n_test, message):
    with pytest.raises(DatasetError) as info:
        make_train_test("circle", n_train, n_test, seed=0)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(noise=2.0), "noise: expected"),
        (dict(seed=-3), "seed: expected"),
        (dict(n_classes=5), "n_classes: expected"),
    ],
)
def test_make_train_test_checks_shared_options(kwargs, fragment):
    with pytest.raises(DatasetError, match=fragment):
        make_train_test("circle", 10, 10, **kwargs)


def test_unknown_name_in_make_train_test():
    with pytest.raises(DatasetError, match="name: expected one of"):
        make_train_test("nope", 10, 10)


# ----------------------------------------------------------------------------------------------------------------
# The Dataset value
# ----------------------------------------------------------------------------------------------------------------


def test_dataset_converts_and_subsets():
    ds = Dataset(X=[[0.5, -0.5], [1, 0], [0, 0]], y=[1, 0, 1], n_classes=2, name="t", class_names=("a", "b"))
    assert ds.X.dtype == np.float64 and ds.y.dtype == np.int64
    sub = ds.subset([2, 0])
    assert sub.X.tolist() == [[0.0, 0.0], [0.5, -0.5]] and sub.y.tolist() == [1, 1]
    assert (sub.n_classes, sub.name, sub.class_names) == (2, "t", ("a", "b"))
    assert ds.subset(ds.y == 0).X.tolist() == [[1.0, 0.0]]
    assert ds.subset(slice(1, None)).n_samples == 2
    sub.X[0, 0] = 0.25  # the subset owns its arrays
    assert ds.X[2, 0] == 0.0


def test_dataset_is_frozen():
    ds = make_dataset("circle", 3, seed=0)
    with pytest.raises(AttributeError):
        ds.n_classes = 3


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(X=np.zeros(3)), "X: expected an array of shape"),
        (dict(X=np.zeros((3, 9))), "X: expected 1..8 feature columns, got 9"),
        (dict(X=np.full((3, 2), 1.5)), "X: expected values within"),
        (dict(X=np.full((3, 2), np.nan)), "X: expected finite values"),
        (dict(y=np.zeros(4, dtype=int)), "y: expected an array of shape (3,)"),
        (dict(y=np.array([0.0, 1.0, 0.5])), "y: expected integer labels"),
        (dict(y=np.array([0, 1, 2])), "y: expected labels in 0..1"),
        (dict(n_classes=1, class_names=("0",)), "n_classes: expected an integer in 2..6, got 1"),
        (dict(n_classes=7), "n_classes: expected an integer in 2..6, got 7"),
        (dict(class_names=("0",)), "class_names: expected 2 strings"),
        (dict(class_names=(0, 1)), "class_names: expected 2 strings"),
    ],
)
def test_dataset_rejects(kwargs, fragment):
    args = dict(X=np.zeros((3, 2)), y=np.array([0, 1, 0]), n_classes=2, name="t", class_names=("0", "1"))
    args |= kwargs
    with pytest.raises(DatasetError) as info:
        Dataset(**args)
    assert fragment in str(info.value)


# ----------------------------------------------------------------------------------------------------------------
# rescale
# ----------------------------------------------------------------------------------------------------------------


def test_rescale_known_answer():
    X = np.array([[0.0, 5.0, -2.0], [10.0, 5.0, 2.0], [5.0, 5.0, 0.0], [2.5, 5.0, 1.0]])
    np.testing.assert_allclose(
        rescale(X), [[-1.0, 0.0, -1.0], [1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]], atol=1e-15
    )


def test_rescale_does_not_modify_its_input():
    X = np.array([[1.0], [3.0]])
    rescale(X)
    assert X.tolist() == [[1.0], [3.0]]


def test_rescale_huge_values_do_not_overflow():
    out = rescale([[-1e308], [1e308], [0.0]])
    np.testing.assert_allclose(out[:, 0], [-1.0, 1.0, 0.0])


@pytest.mark.parametrize(
    "X, fragment",
    [
        (np.zeros(3), "X: expected an array of shape"),
        (np.zeros((0, 2)), "X: expected an array of shape"),
        ([[1.0, np.nan]], "X: expected finite values"),
        ([[1.0, np.inf]], "X: expected finite values"),
        ([["a", "b"]], "X: expected an array of numbers"),
    ],
)
def test_rescale_rejects(X, fragment):
    with pytest.raises(DatasetError, match=fragment):
        rescale(X)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda n: st.lists(
            st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n), min_size=1, max_size=40
        )
    )
)
def test_rescale_properties(rows):
    X = np.array(rows, dtype=float).T  # shape (n_samples, n_features), n_features = len(rows)
    out = rescale(X)
    assert out.shape == X.shape and out.dtype == np.float64
    assert out.min() >= -1.0 and out.max() <= 1.0
    for j in range(X.shape[1]):
        column = X[:, j]
        if column.min() == column.max():
            assert np.all(out[:, j] == 0.0)
        else:
            assert out[column.argmin(), j] == -1.0 and out[column.argmax(), j] == 1.0
            # Order is kept (rounding may tie neighbours).
            order = np.argsort(column, kind="stable")
            assert np.all(np.diff(out[order, j]) >= 0)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_rescale_any_finite_column_stays_in_range(column):
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is harmless
        out = rescale(np.array(column)[:, None])[:, 0]
    assert np.all(np.isfinite(out)) and out.min() >= -1.0 and out.max() <= 1.0
    if min(column) < max(column):
        assert out[int(np.argmin(column))] == -1.0 and out[int(np.argmax(column))] == 1.0
    else:
        assert np.all(out == 0.0)


# ----------------------------------------------------------------------------------------------------------------
# load_csv: valid inputs
# ----------------------------------------------------------------------------------------------------------------


def test_csv_header_string_labels_and_rescaling():
    ds = load_csv("x1,x2,label\n0,10,cat\n1,20,dog\n2,30,cat\n4,40,bird\n", name="pets")
    np.testing.assert_allclose(ds.X, [[-1, -1], [-0.5, -1 / 3], [0, 1 / 3], [1, 1]])
    assert ds.class_names == ("bird", "cat", "dog")
    assert ds.y.tolist() == [1, 2, 1, 0]
    assert (ds.n_classes, ds.name, ds.n_features, ds.n_samples) == (3, "pets", 2, 4)
    assert ds.X.dtype == np.float64 and ds.y.dtype == np.int64


def test_csv_without_header():
    ds = load_csv("0,0,1\n1,1,0\n")
    assert ds.n_samples == 2 and ds.y.tolist() == [1, 0] and ds.class_names == ("0", "1")


def test_csv_partly_numeric_first_row_is_data_not_header():
    with pytest.raises(DatasetError, match="row 1, column 2: expected a number, got 'x2'"):
        load_csv("1,x2,label\n0,1,a\n1,2,b\n")


def test_csv_integer_labels_sort_numerically():
    ds = load_csv("0,10\n1,2\n2,-1\n3,2\n4,10\n")
    assert ds.class_names == ("-1", "2", "10")
    assert ds.y.tolist() == [2, 1, 0, 1, 2]


def test_csv_integer_tokens_with_equal_value_are_one_class():
    ds = load_csv("0,3\n1,03\n2,1\n")
    assert ds.class_names == ("1", "3") and ds.y.tolist() == [1, 1, 0]


def test_csv_mixed_labels_sort_as_strings():
    ds = load_csv("0,10\n1,2\n2,1.0\n")
    assert ds.class_names == ("1.0", "10", "2")
    assert ds.y.tolist() == [1, 2, 0]


def test_csv_blank_lines_whitespace_crlf_bom_quotes():
    text = '\ufeff  a , b , class \r\n\r\n 1.5 , 2 ,  "setosa"\r\n   \r\n3, 4 ,versicolor\r\n\n'
    ds = load_csv(text.encode("utf-8"))
    assert ds.class_names == ("setosa", "versicolor")
    assert ds.X.tolist() == [[-1.0, -1.0], [1.0, 1.0]] and ds.y.tolist() == [0, 1]


def test_csv_constant_feature_is_zero():
    ds = load_csv("5,1,a\n5,2,b\n5,3,a\n")
    assert ds.X[:, 0].tolist() == [0.0, 0.0, 0.0] and ds.X[:, 1].tolist() == [-1.0, 0.0, 1.0]


@pytest.mark.parametrize("as_path", [str, Path])
def test_csv_from_path(tmp_path, as_path):
    path = tmp_path / "data.csv"
    path.write_text("f,label\n0,a\n1,b\n", encoding="utf-8")
    ds = load_csv(as_path(path))
    assert ds.class_names == ("a", "b") and ds.X.tolist() == [[-1.0], [1.0]]


def test_csv_max_features_and_classes_are_allowed():
    rows = [",".join([str(i + j) for j in range(MAX_FEATURES)] + [f"c{i % MAX_CLASSES}"]) for i in range(12)]
    ds = load_csv("\n".join(rows) + "\n")
    assert ds.n_features == MAX_FEATURES and ds.n_classes == MAX_CLASSES


def test_csv_exactly_max_rows_is_allowed():
    ds = load_csv("".join(f"{i},{i % 2}\n" for i in range(50)), max_rows=50)
    assert ds.n_samples == 50


_LABEL_TOKENS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,6}", fullmatch=True)


@st.composite
def _csv_tables(draw):
    n_features = draw(st.integers(1, MAX_FEATURES))
    n_rows = draw(st.integers(2, 40))
    integer_labels = draw(st.booleans())
    if integer_labels:
        pool = draw(st.lists(st.integers(-1000, 1000), min_size=2, max_size=MAX_CLASSES, unique=True))
        labels = [str(v) for v in pool]
    else:
        labels = draw(st.lists(_LABEL_TOKENS, min_size=2, max_size=MAX_CLASSES, unique=True))
    # Every class appears at least once; the rest at random.
    n_more = max(0, n_rows - len(labels))
    row_labels = labels + draw(st.lists(st.sampled_from(labels), min_size=n_more, max_size=n_more))
    row_labels = draw(st.permutations(row_labels))
    values = draw(
        st.lists(
            st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=n_features, max_size=n_features),
            min_size=len(row_labels),
            max_size=len(row_labels),
        )
    )
    header = draw(st.booleans())
    return values, row_labels, labels, integer_labels, header


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_csv_tables(), st.sampled_from(["\n", "\r\n"]))
def test_csv_round_trip(table, newline):
    values, row_labels, labels, integer_labels, header = table
    n_features = len(values[0])
    lines = [",".join([f"x{j}" for j in range(n_features)] + ["label"])] if header else []
    lines += [",".join([repr(v) for v in row] + [lab]) for row, lab in zip(values, row_labels)]
    ds = load_csv(newline.join(lines) + newline)

    expected_names = sorted(labels, key=int) if integer_labels else sorted(labels)
    assert ds.class_names == tuple(expected_names)
    assert [ds.class_names[k] for k in ds.y] == row_labels
    np.testing.assert_array_equal(ds.X, rescale(np.array(values)))
    assert ds.X.shape == (len(values), n_features)


# ----------------------------------------------------------------------------------------------------------------
# load_csv: errors, each naming the row and column where one applies
# ----------------------------------------------------------------------------------------------------------------

_GOOD = "a,b,label\n0,0,x\n1,1,y\n"


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,b,label\n0,0,x\n1,1,y\n2,3,x\n4,5,y\n5,6,x\n6,abc,y\n", "row 7, column 2: expected a number, got 'abc'"),
        ("0,0,x\n1,,y\n", "row 2, column 2: expected a number, got ''"),
        ("0,0,x\nnan,1,y\n", "row 2, column 1: expected a finite number, got 'nan'"),
        ("0,0,x\n1,-inf,y\n", "row 2, column 2: expected a finite number, got '-inf'"),
        ("0,0,x\n\n1,1,\n", "row 3, column 3: expected a label, got an empty cell"),
        ("a,b,label\n0,0,x\n1,1\n", "row 3: expected 3 columns, as in row 1, got 2"),
        ("0,0,x\n1,1,y,z\n", "row 2: expected 3 columns, as in row 1, got 4"),
        ("\n\n0\n1\n", "row 3: expected at least 2 columns (features, then a label), got 1"),
        (",".join(["1"] * 10) + "\n", "row 1: expected at most 8 feature columns, got 9"),
        ("0,0,x\n1,1,x\n", "column 3: expected at least 2 classes, got 1 ('x')"),
        ("".join(f"{i},c{i}\n" for i in range(7)), "column 2: expected at most 6 classes, got 7"),
        ("a,b,label\n", "source: expected at least one data row after the header, got none"),
        ("\n  \n\n", "source: expected CSV text, got an empty file"),
        ("", "source: expected CSV text, got an empty file"),
    ],
)
def test_csv_rejects(text, message):
    source = text if "\n" in text else text.encode("utf-8")
    with pytest.raises(DatasetError) as info:
        load_csv(source)
    assert str(info.value) == message


def test_csv_too_many_rows_names_the_bound():
    text = "".join(f"{i},{i % 2}\n" for i in range(51))
    with pytest.raises(DatasetError) as info:
        load_csv(text, max_rows=50)
    assert str(info.value) == "source: expected at most 50 data rows, got 51"


def test_csv_default_row_bound_is_max_samples():
    text = "x,label\n" + "".join(f"{i},{i % 2}\n" for i in range(MAX_SAMPLES + 1))
    with pytest.raises(DatasetError, match=f"expected at most {MAX_SAMPLES} data rows, got {MAX_SAMPLES + 1}"):
        load_csv(text)


def test_csv_non_utf8_names_the_row():
    data = b"a,b,label\n0,0,x\n1,1,caf\xe9\n"
    with pytest.raises(DatasetError) as info:
        load_csv(data)
    assert str(info.value) == "row 3: expected UTF-8 text, got byte 0xe9"


def test_csv_too_large_bytes():
    data = b"0,0,x\n" * (MAX_CSV_BYTES // 6 + 1)
    with pytest.raises(DatasetError, match=r"expected at most 5000000 bytes \(5 MB\), got 5000004"):
        load_csv(data)


def test_csv_too_large_file(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"0,0,x\n" * (MAX_CSV_BYTES // 6 + 1))
    with pytest.raises(DatasetError, match=r"expected a file of at most 5000000 bytes \(5 MB\), got 5000004"):
        load_csv(path)


def test_csv_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="source: expected a readable file, got .*missing.csv"):
        load_csv(tmp_path / "missing.csv")


@pytest.mark.parametrize("source", [42, None, ["0,0,x"]])
def test_csv_bad_source_type(source):
    with pytest.raises(DatasetError, match="source: expected a path, bytes or CSV text"):
        load_csv(source)


@pytest.mark.parametrize("max_rows", [0, MAX_SAMPLES + 1, 2.0])
def test_csv_bad_max_rows(max_rows):
    with pytest.raises(DatasetError, match=f"max_rows: expected an integer in 1..{MAX_SAMPLES}, got"):
        load_csv(_GOOD, max_rows=max_rows)


def test_csv_good_fixture_loads():
    # Guards the fixture the error tests perturb.
    assert load_csv(_GOOD).n_samples == 2


# ----------------------------------------------------------------------------------------------------------------
# Imports
# ----------------------------------------------------------------------------------------------------------------


def test_module_imports_no_ui_or_dataframe_libraries():
    code = (
        "import sys, playground.datasets; "
        "bad = {'panel', 'bokeh', 'holoviews', 'param', 'pandas', 'scipy', 'sklearn', 'matplotlib'}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in bad))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
