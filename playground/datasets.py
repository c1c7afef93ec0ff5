"""Classification datasets: the paper's nine benchmark problems, four extras, CSV upload, and points drawn by hand."""

from __future__ import annotations

import csv
import functools
import io
import math
import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DATASETS",
    "INPUT_RANGE",
    "MAX_CLASSES",
    "MAX_CSV_BYTES",
    "MAX_DRAWN",
    "MAX_FEATURES",
    "MAX_SAMPLES",
    "Dataset",
    "DatasetError",
    "DatasetInfo",
    "drawn_dataset",
    "load_csv",
    "make_dataset",
    "make_train_test",
    "rescale",
    "to_csv",
]

MAX_FEATURES = 8
"""Bound on the number of features per point."""

MAX_CLASSES = 6
"""Bound on the number of classes."""

MAX_SAMPLES = 20_000
"""Bound on ``n_samples`` for any generator and on the data rows of a CSV file."""

MAX_CSV_BYTES = 5_000_000
"""Bound on the size of a CSV upload, in bytes (5 MB)."""

MAX_DRAWN = 300
"""Bound on the points drawn by hand on the plane (:func:`drawn_dataset`), so that they fit in a share link."""

INPUT_RANGE = (-1.0, 1.0)
"""Every feature the model sees lies in this closed interval."""

_LOW, _HIGH = INPUT_RANGE


class DatasetError(ValueError):
    """Bad input to this module: an unknown dataset, an out-of-range option, a malformed CSV file, or bad drawn
    points."""


# --------------------------------------------------------------------------------------------------------------
# The dataset value
# --------------------------------------------------------------------------------------------------------------


# eq=False: the generated __eq__ would compare arrays element-wise and the generated __hash__ would fail on them;
# identity semantics are what callers can rely on.
@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled set of points, ready for the classifier.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Features, float64, every value within ``INPUT_RANGE``.
    y : ndarray of shape (n_samples,)
        Labels, int64, in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes, in ``2 .. MAX_CLASSES``. Not every class needs to occur (a small subset may miss one).
    name : str
        Dataset id (``"circle"``) or the name given to :func:`load_csv` or :func:`drawn_dataset`.
    class_names : tuple of str of length n_classes
        Display name of each class: ``"0", "1", ...`` for generated and drawn data, the original label tokens for
        CSV data.

    The arrays are checked and converted (to C-contiguous float64 / int64) when the value is built. Treat them as
    read-only: :meth:`subset` and the generators return new arrays.

    Examples
    --------
    >>> ds = make_dataset("circle", 5, seed=0)
    >>> ds.X.shape, ds.y.shape, ds.n_classes, ds.class_names
    ((5, 2), (5,), 2, ('0', '1'))
    >>> ds.subset([0, 2]).n_samples
    2
    """

    X: np.ndarray
    y: np.ndarray
    n_classes: int
    name: str
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        X = np.ascontiguousarray(self.X, dtype=np.float64)
        if X.ndim != 2:
            raise DatasetError(f"X: expected an array of shape (n_samples, n_features), got shape {X.shape}")
        n_samples, n_features = X.shape
        if not 1 <= n_features <= MAX_FEATURES:
            raise DatasetError(f"X: expected 1..{MAX_FEATURES} feature columns, got {n_features}")
        if not np.all(np.isfinite(X)):
            raise DatasetError("X: expected finite values, got NaN or infinity")
        if n_samples and (X.min() < _LOW or X.max() > _HIGH):
            raise DatasetError(f"X: expected values within {INPUT_RANGE}, got [{X.min()}, {X.max()}]")

        y = np.asarray(self.y)
        if y.shape != (n_samples,):
            raise DatasetError(f"y: expected an array of shape ({n_samples},), got shape {y.shape}")
        if n_samples and not np.issubdtype(y.dtype, np.integer):
            raise DatasetError(f"y: expected integer labels, got dtype {y.dtype}")
        y = np.ascontiguousarray(y, dtype=np.int64)

        n_classes = self.n_classes
        if not _is_int(n_classes) or not 2 <= n_classes <= MAX_CLASSES:
            raise DatasetError(f"n_classes: expected an integer in 2..{MAX_CLASSES}, got {n_classes!r}")
        if n_samples and (y.min() < 0 or y.max() >= n_classes):
            raise DatasetError(f"y: expected labels in 0..{n_classes - 1}, got [{y.min()}, {y.max()}]")

        class_names = tuple(self.class_names)
        if len(class_names) != n_classes or not all(isinstance(c, str) for c in class_names):
            raise DatasetError(f"class_names: expected {n_classes} strings, got {class_names!r}")

        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "n_classes", int(n_classes))
        object.__setattr__(self, "name", str(self.name))
        object.__setattr__(self, "class_names", class_names)

    @property
    def n_samples(self) -> int:
        """Number of points."""
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        """Number of features per point."""
        return self.X.shape[1]

    def subset(self, idx) -> Dataset:
        """Return the points selected by ``idx``, keeping ``n_classes``, ``name`` and ``class_names``.

        Parameters
        ----------
        idx : slice, array_like of int of shape (k,), or array_like of bool of shape (n_samples,)
            Which points to keep, as for numpy indexing.

        Returns
        -------
        Dataset
            A new dataset with its own arrays.

        Examples
        --------
        >>> ds = make_dataset("squares", 10, seed=1)
        >>> ds.subset(ds.y == 3).y.tolist() == [3] * int((ds.y == 3).sum())
        True
        """
        if not isinstance(idx, slice):
            idx = np.asarray(idx)
        return Dataset(
            X=self.X[idx].copy(),
            y=self.y[idx].copy(),
            n_classes=self.n_classes,
            name=self.name,
            class_names=self.class_names,
        )


# --------------------------------------------------------------------------------------------------------------
# Label rules of the paper's problems (section 1 of the reference). Each maps X of shape (n, d) to y of shape (n,).
# Points exactly on a boundary (probability zero) go to the "outside"/"upper" side.
# --------------------------------------------------------------------------------------------------------------

_R_CIRCLE = math.sqrt(2.0 / math.pi)  # half the area of [-1, 1]^2; also the hypersphere radius
_R_SPHERE = (3.0 / math.pi) ** (1.0 / 3.0)  # half the volume of [-1, 1]^3
_R_ANNULUS_INNER = math.sqrt(0.8 - 2.0 / math.pi)
_R_ANNULUS_OUTER = math.sqrt(0.8)
_THREE_CIRCLES_CENTRES = np.array([[-1.0, 1.0], [1.0, 0.0], [-0.5, -0.5]])
_THREE_CIRCLES_RADII = np.array([1.0, math.sqrt(6.0 / math.pi - 1.0), 0.5])


def _label_circle(X: np.ndarray) -> np.ndarray:
    # Any dimension: also the hypersphere rule (same radius, 4-D points).
    return (np.linalg.norm(X, axis=1) < _R_CIRCLE).astype(np.int64)


def _label_three_circles(X: np.ndarray) -> np.ndarray:
    y = np.zeros(X.shape[0], dtype=np.int64)
    # In the authors' order: circle j overwrites the label given by an earlier circle.
    for j, (centre, radius) in enumerate(zip(_THREE_CIRCLES_CENTRES, _THREE_CIRCLES_RADII), start=1):
        y[np.linalg.norm(X - centre, axis=1) < radius] = j
    return y


def _label_sphere(X: np.ndarray) -> np.ndarray:
    return (np.linalg.norm(X, axis=1) < _R_SPHERE).astype(np.int64)


def _label_annulus(X: np.ndarray) -> np.ndarray:
    r = np.linalg.norm(X, axis=1)
    return (r >= _R_ANNULUS_INNER).astype(np.int64) + (r >= _R_ANNULUS_OUTER).astype(np.int64)


def _label_binary_annulus(X: np.ndarray) -> np.ndarray:
    r = np.linalg.norm(X, axis=1)
    return ((r >= _R_ANNULUS_INNER) & (r < _R_ANNULUS_OUTER)).astype(np.int64)


def _label_non_convex(X: np.ndarray) -> np.ndarray:
    s = X[:, 0]
    return (X[:, 1] >= -2.0 * s + 1.5 * np.sin(np.pi * s)).astype(np.int64)


def _label_squares(X: np.ndarray) -> np.ndarray:
    return 2 * (X[:, 0] >= 0).astype(np.int64) + (X[:, 1] >= 0).astype(np.int64)


def _label_wavy_lines(X: np.ndarray) -> np.ndarray:
    s, t = X[:, 0], X[:, 1]
    above_f1 = t >= s + np.sin(np.pi * s)
    above_f2 = t >= -s + np.sin(np.pi * s)
    return 2 * above_f1.astype(np.int64) + above_f2.astype(np.int64)


def _label_xor(X: np.ndarray) -> np.ndarray:
    return (X[:, 0] * X[:, 1] < 0).astype(np.int64)


# --------------------------------------------------------------------------------------------------------------
# Samplers: (rng, n_samples, n_classes) -> (X of shape (n_samples, d), y of shape (n_samples,)), noise-free.
# --------------------------------------------------------------------------------------------------------------


def _sample_uniform(rng: np.random.Generator, n_samples: int, n_classes: int, *, n_features: int, rule):
    X = rng.uniform(_LOW, _HIGH, size=(n_samples, n_features))
    return X, rule(X)


def _balanced_labels(rng: np.random.Generator, n_samples: int, n_classes: int) -> np.ndarray:
    # Class sizes differ by at most one; the order is shuffled so any prefix (the train split) is mixed.
    return rng.permutation(np.arange(n_samples, dtype=np.int64) % n_classes)


def _sample_moons(rng: np.random.Generator, n_samples: int, n_classes: int):
    y = _balanced_labels(rng, n_samples, 2)
    t = rng.uniform(0.0, np.pi, size=n_samples)
    # scikit-learn's moons: outer (cos t, sin t), inner (1 - cos t, 0.5 - sin t); together [-1, 2] x [-0.5, 1].
    outer = np.stack([np.cos(t), np.sin(t)], axis=1)
    inner = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = np.where((y == 0)[:, None], outer, inner)
    # Centre and shrink into [-0.9, 0.9] x [-0.45, 0.45].
    X = (X - np.array([0.5, 0.25])) * 0.6
    return X, y


_SPIRAL_TURNS = 1.25
_SPIRAL_R_MIN, _SPIRAL_R_MAX = 0.1, 0.95


def _sample_spiral(rng: np.random.Generator, n_samples: int, n_classes: int):
    y = _balanced_labels(rng, n_samples, n_classes)
    u = rng.uniform(0.0, 1.0, size=n_samples)  # position along the arm, centre to tip
    r = _SPIRAL_R_MIN + (_SPIRAL_R_MAX - _SPIRAL_R_MIN) * u
    angle = 2.0 * np.pi * (_SPIRAL_TURNS * u + y / n_classes)
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1), y


_BLOBS_RADIUS = 0.6
_BLOBS_STD = 0.15


def _sample_blobs(rng: np.random.Generator, n_samples: int, n_classes: int):
    y = _balanced_labels(rng, n_samples, n_classes)
    angles = 2.0 * np.pi * np.arange(n_classes) / n_classes
    centres = _BLOBS_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    X = centres[y] + rng.normal(0.0, _BLOBS_STD, size=(n_samples, 2))
    return np.clip(X, _LOW, _HIGH), y


# --------------------------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetInfo:
    """One entry of :data:`DATASETS`.

    Parameters
    ----------
    name : str
        The dataset id, as used in URLs and in :func:`make_dataset`.
    n_features : int
        Features per point.
    n_classes : int or None
        Fixed number of classes, or None when it is chosen with the ``n_classes`` option.
    description : str
        One line for the UI.
    paper : bool
        True for the nine benchmark problems of Pérez-Salinas et al. (2020).
    sampler : callable
        ``sampler(rng, n_samples, n_classes) -> (X, y)`` with X of shape (n_samples, n_features) within
        ``INPUT_RANGE`` and y of shape (n_samples,), before any noise.
    default_n_classes : int
        Classes used when the ``n_classes`` option is None (equals ``n_classes`` when that is fixed).
    class_range : tuple of (int, int)
        Smallest and largest allowed ``n_classes``, inclusive.
    rule : callable or None
        For problems labelled by a rule over the square/cube: ``rule(X) -> y`` mapping an array of shape
        (n, n_features) to labels of shape (n,), e.g. to draw the true decision boundary. None otherwise.

    Examples
    --------
    >>> info = DATASETS["circle"]
    >>> info.n_features, info.n_classes, info.paper
    (2, 2, True)
    >>> info.rule(np.array([[0.0, 0.0], [0.9, 0.9]])).tolist()
    [1, 0]
    """

    name: str
    n_features: int
    n_classes: int | None
    description: str
    paper: bool
    sampler: Callable[[np.random.Generator, int, int], tuple[np.ndarray, np.ndarray]]
    default_n_classes: int
    class_range: tuple[int, int]
    rule: Callable[[np.ndarray], np.ndarray] | None = None


def _paper(name: str, n_features: int, n_classes: int, rule, description: str) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        n_features=n_features,
        n_classes=n_classes,
        description=description,
        paper=True,
        sampler=functools.partial(_sample_uniform, n_features=n_features, rule=rule),
        default_n_classes=n_classes,
        class_range=(n_classes, n_classes),
        rule=rule,
    )


DATASETS: dict[str, DatasetInfo] = {
    "circle": _paper("circle", 2, 2, _label_circle, "Inside or outside a circle holding half the square."),
    "three_circles": _paper(
        "three_circles", 2, 4, _label_three_circles, "Three circles of different sizes on a background class."
    ),
    "hypersphere": _paper(
        "hypersphere", 4, 2, _label_circle, "Inside a 4-D ball (12.5 % of the cube) or not."
    ),
    "annulus": _paper("annulus", 2, 3, _label_annulus, "Disc, ring and outside: three concentric classes."),
    "binary_annulus": _paper("binary_annulus", 2, 2, _label_binary_annulus, "On the ring or not."),
    "non_convex": _paper("non_convex", 2, 2, _label_non_convex, "Above or below a wavy, non-convex curve."),
    "sphere": _paper("sphere", 3, 2, _label_sphere, "Inside a 3-D ball holding half the cube or not."),
    "squares": _paper("squares", 2, 4, _label_squares, "The four quadrants."),
    "wavy_lines": _paper("wavy_lines", 2, 4, _label_wavy_lines, "Four regions cut by two crossing wavy lines."),
    "moons": DatasetInfo(
        name="moons",
        n_features=2,
        n_classes=2,
        description="Two interleaving half circles.",
        paper=False,
        sampler=_sample_moons,
        default_n_classes=2,
        class_range=(2, 2),
    ),
    "spiral": DatasetInfo(
        name="spiral",
        n_features=2,
        n_classes=None,
        description="Interleaved spiral arms, one per class.",
        paper=False,
        sampler=_sample_spiral,
        default_n_classes=2,
        class_range=(2, MAX_CLASSES),
    ),
    "xor": DatasetInfo(
        name="xor",
        n_features=2,
        n_classes=2,
        description="Class 1 where the two coordinates have opposite signs.",
        paper=False,
        sampler=functools.partial(_sample_uniform, n_features=2, rule=_label_xor),
        default_n_classes=2,
        class_range=(2, 2),
        rule=_label_xor,
    ),
    "blobs": DatasetInfo(
        name="blobs",
        n_features=2,
        n_classes=None,
        description="Gaussian blobs on a circle, one per class.",
        paper=False,
        sampler=_sample_blobs,
        default_n_classes=3,
        class_range=(2, MAX_CLASSES),
    ),
}
"""The dataset registry in display order: the paper's nine problems, then the extras."""


# --------------------------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_int(label: str, value, low: int, high: int) -> int:
    if not _is_int(value) or not low <= value <= high:
        raise DatasetError(f"{label}: expected an integer in {low}..{high}, got {value!r}")
    return int(value)


def _check_name(name) -> DatasetInfo:
    if not isinstance(name, str) or name not in DATASETS:
        valid = ", ".join(repr(k) for k in DATASETS)
        raise DatasetError(f"name: expected one of {valid}, got {name!r}")
    return DATASETS[name]


def _check_noise(noise) -> float:
    if not isinstance(noise, numbers.Real) or isinstance(noise, bool) or not 0.0 <= noise <= 1.0:
        # NaN fails the range test too.
        raise DatasetError(f"noise: expected a number in [0, 1], got {noise!r}")
    return float(noise)


def _check_seed(seed) -> int | None:
    if seed is None:
        return None
    if not _is_int(seed) or seed < 0:
        raise DatasetError(f"seed: expected None or an integer >= 0, got {seed!r}")
    return int(seed)


def _check_n_classes(info: DatasetInfo, n_classes) -> int:
    if n_classes is None:
        return info.default_n_classes
    low, high = info.class_range
    if not _is_int(n_classes) or not low <= n_classes <= high:
        expected = f"None or {low}" if low == high else f"None or an integer in {low}..{high}"
        raise DatasetError(f"n_classes: expected {expected} for {info.name!r}, got {n_classes!r}")
    return int(n_classes)


# --------------------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------------------


def _generate(info: DatasetInfo, n_samples: int, noise: float, seed: int | None, n_classes: int) -> Dataset:
    rng = np.random.default_rng(seed)
    X, y = info.sampler(rng, n_samples, n_classes)
    if noise > 0.0:
        # Labels were fixed on the clean positions: the jitter blurs the boundary instead of moving it.
        X = np.clip(X + rng.normal(0.0, noise, size=X.shape), _LOW, _HIGH)
    return Dataset(
        X=X, y=y, n_classes=n_classes, name=info.name, class_names=tuple(str(k) for k in range(n_classes))
    )


def make_dataset(
    name: str,
    n_samples: int,
    *,
    noise: float = 0.0,
    seed: int | None = None,
    n_classes: int | None = None,
) -> Dataset:
    """Draw a dataset from the registry.

    Paper problems draw points uniformly from [-1, 1]^d and label them with the rule of the reference table
    (``DATASETS[name].rule``). Extras: ``moons`` (scikit-learn's two half circles, centred and scaled by 0.6 into
    [-0.9, 0.9] x [-0.45, 0.45]); ``spiral`` (one arm per class, radius 0.1 to 0.95 over 1.25 turns); ``xor``
    (uniform square, label 1 where x1 * x2 < 0, i.e. the coordinates have opposite signs); ``blobs`` (Gaussian
    blobs of standard deviation 0.15 centred on a circle of radius 0.6, clipped to the square). Extras other
    than ``xor`` have balanced classes (sizes differ by at most one) in shuffled order.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    n_samples : int
        Number of points, in ``1 .. MAX_SAMPLES``.
    noise : float, default 0.0
        Standard deviation of Gaussian jitter added to every coordinate *after* labelling, then clipped to
        ``INPUT_RANGE``; in [0, 1]. Labels follow the clean positions, so the class boundary blurs. 0 gives the
        exact rule.
    seed : int or None, default None
        Seed of the local ``np.random.default_rng``; None draws fresh entropy. The global numpy RNG is never used.
    n_classes : int or None, default None
        For ``spiral`` and ``blobs``: 2 .. ``MAX_CLASSES`` (defaults 2 and 3). For the others it must be None or
        equal the problem's fixed count.

    Returns
    -------
    Dataset
        X of shape (n_samples, n_features), y of shape (n_samples,).

    Raises
    ------
    DatasetError
        On an unknown name or an out-of-range option.

    Examples
    --------
    >>> ds = make_dataset("annulus", 1000, seed=30)
    >>> ds.X.shape, ds.n_classes
    ((1000, 2), 3)
    >>> bool(np.all(ds.y == DATASETS["annulus"].rule(ds.X)))
    True
    """
    info = _check_name(name)
    n_samples = _check_int("n_samples", n_samples, 1, MAX_SAMPLES)
    noise = _check_noise(noise)
    seed = _check_seed(seed)
    n_classes = _check_n_classes(info, n_classes)
    return _generate(info, n_samples, noise, seed, n_classes)


def make_train_test(
    name: str,
    n_train: int,
    n_test: int,
    *,
    noise: float = 0.0,
    seed: int | None = None,
    n_classes: int | None = None,
) -> tuple[Dataset, Dataset]:
    """Draw one set of ``n_train + n_test`` points and split it: the first ``n_train`` train, the rest test.

    This is the paper's protocol (seed 30, the first 200 points for training, the next 4000 for testing), so
    ``make_train_test(name, a, b, seed=s)`` is exactly ``make_dataset(name, a + b, seed=s)`` split at ``a``.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    n_train : int
        Training points, at least 1.
    n_test : int
        Test points, at least 0; ``n_train + n_test`` is at most ``MAX_SAMPLES``.
    noise, seed, n_classes
        As for :func:`make_dataset`.

    Returns
    -------
    train : Dataset
        X of shape (n_train, n_features), y of shape (n_train,).
    test : Dataset
        X of shape (n_test, n_features), y of shape (n_test,).

    Raises
    ------
    DatasetError
        On an unknown name or an out-of-range option.

    Examples
    --------
    >>> train, test = make_train_test("circle", 200, 4000, seed=30)
    >>> train.n_samples, test.n_samples
    (200, 4000)
    """
    info = _check_name(name)
    n_train = _check_int("n_train", n_train, 1, MAX_SAMPLES)
    n_test = _check_int("n_test", n_test, 0, MAX_SAMPLES - 1)
    if n_train + n_test > MAX_SAMPLES:
        raise DatasetError(f"n_train + n_test: expected at most {MAX_SAMPLES}, got {n_train + n_test}")
    noise = _check_noise(noise)
    seed = _check_seed(seed)
    n_classes = _check_n_classes(info, n_classes)
    full = _generate(info, n_train + n_test, noise, seed, n_classes)
    return full.subset(slice(0, n_train)), full.subset(slice(n_train, None))


# --------------------------------------------------------------------------------------------------------------
# Rescaling, CSV and drawn points
# --------------------------------------------------------------------------------------------------------------


def rescale(X) -> np.ndarray:
    """Min-max scale each column to ``INPUT_RANGE`` = [-1, 1].

    Each column's minimum maps to -1 and its maximum to 1; a constant column maps to 0.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Finite numbers, at least one row.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        A new float64 array within [-1, 1].

    Raises
    ------
    DatasetError
        If X is not 2-D, has no rows, or holds NaN or infinity.

    Examples
    --------
    >>> rescale([[0.0, 5.0], [10.0, 5.0], [5.0, 5.0]]).tolist()
    [[-1.0, 0.0], [1.0, 0.0], [0.0, 0.0]]
    """
    try:
        X = np.array(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"X: expected an array of numbers, got {type(X).__name__}") from exc
    if X.ndim != 2 or X.shape[0] == 0:
        raise DatasetError(f"X: expected an array of shape (n_samples, n_features) with n_samples >= 1, got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise DatasetError("X: expected finite values, got NaN or infinity")
    lo, hi = X.min(axis=0), X.max(axis=0)
    with np.errstate(over="ignore"):
        span = hi - lo
    overflow = ~np.isfinite(span)
    if np.any(overflow):
        # max - min overflowed (e.g. -1e308 .. 1e308): halve those columns, which is exact and makes it finite.
        X[:, overflow] *= 0.5
        lo, hi = lo * np.where(overflow, 0.5, 1.0), hi * np.where(overflow, 0.5, 1.0)
        span = hi - lo
    constant = span == 0.0
    span[constant] = 1.0
    out = (X - lo) / span * 2.0 - 1.0
    out[:, constant] = 0.0
    return np.clip(out, _LOW, _HIGH)


def _read_source(source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, str) and ("\n" in source or "\r" in source):
        try:
            data = source.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DatasetError(f"source: expected UTF-8 text, got an unencodable character at {exc.start}") from exc
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            size = os.stat(path).st_size
            if size > MAX_CSV_BYTES:
                raise DatasetError(f"source: expected a file of at most {MAX_CSV_BYTES} bytes (5 MB), got {size}")
            with open(path, "rb") as fh:
                data = fh.read(MAX_CSV_BYTES + 1)
        except OSError as exc:
            raise DatasetError(f"source: expected a readable file, got {path!r} ({exc.strerror})") from exc
    else:
        raise DatasetError(
            f"source: expected a path, bytes or CSV text containing newlines, got {type(source).__name__}"
        )
    if len(data) > MAX_CSV_BYTES:
        raise DatasetError(f"source: expected at most {MAX_CSV_BYTES} bytes (5 MB), got {len(data)}")
    return data


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _parse_int(token: str) -> int | None:
    try:
        return int(token)
    except ValueError:
        return None


def load_csv(source, *, max_rows: int = MAX_SAMPLES, name: str = "csv") -> Dataset:
    """Load a labelled dataset from comma-separated text: feature columns, then one label column.

    If every cell of the first non-blank row is non-numeric, that row is a header and is skipped. Blank lines
    are skipped, whitespace around cells is ignored, and double-quoted cells follow the usual CSV rules. Labels
    may be any token: if all of them parse as integers, classes are ordered numerically (tokens with the same
    integer value, like ``3`` and ``03``, are one class named by its first token), else as strings; they are
    mapped to ``0 .. n_classes - 1`` and ``class_names`` keeps the original tokens. Features are min-max scaled
    per column to [-1, 1] with :func:`rescale`.

    Either the whole file loads or :class:`DatasetError` is raised; error messages give the 1-based row (the
    line in the file, header and blank lines counted) and column where one applies, e.g.
    ``"row 7, column 2: expected a number, got 'abc'"``.

    Parameters
    ----------
    source : str, os.PathLike, or bytes
        A path to a file; or the file's contents as bytes; or as a str that contains a newline (a str without one
        is taken as a path). At most ``MAX_CSV_BYTES`` (5 MB) of UTF-8 text.
    max_rows : int, default MAX_SAMPLES
        Largest number of data rows accepted, in ``1 .. MAX_SAMPLES``.
    name : str, default "csv"
        Name given to the dataset.

    Returns
    -------
    Dataset
        X of shape (n_rows, n_columns - 1) within [-1, 1], y of shape (n_rows,).

    Raises
    ------
    DatasetError
        On an unreadable, oversized, empty or non-UTF-8 source; a non-numeric or non-finite feature; an empty
        label; a row with the wrong number of columns; fewer than 2 or more than ``MAX_FEATURES + 1`` columns;
        more than ``max_rows`` data rows; fewer than 2 or more than ``MAX_CLASSES`` classes.

    Examples
    --------
    >>> ds = load_csv("x1,x2,label\\n0,0,cat\\n1,2,dog\\n2,4,cat\\n")
    >>> ds.X.tolist(), ds.y.tolist(), ds.class_names
    ([[-1.0, -1.0], [0.0, 0.0], [1.0, 1.0]], [0, 1, 0], ('cat', 'dog'))
    """
    max_rows = _check_int("max_rows", max_rows, 1, MAX_SAMPLES)
    data = _read_source(source)
    if not data.strip():
        raise DatasetError("source: expected CSV text, got an empty file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise DatasetError(f"row {row}: expected UTF-8 text, got byte 0x{data[exc.start]:02x}") from exc

    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        for cells in reader:
            cells = [c.strip() for c in cells]
            if len(cells) == 0 or (len(cells) == 1 and cells[0] == ""):
                continue
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise DatasetError(f"row {reader.line_num + 1}: expected comma-separated text, got {exc}") from exc
    if not rows:
        raise DatasetError("source: expected CSV text, got only blank lines")

    first_line, first_cells = rows[0]
    n_columns = len(first_cells)
    if n_columns < 2:
        raise DatasetError(
            f"row {first_line}: expected at least 2 columns (features, then a label), got {n_columns}"
        )
    if n_columns - 1 > MAX_FEATURES:
        raise DatasetError(f"row {first_line}: expected at most {MAX_FEATURES} feature columns, got {n_columns - 1}")
    if not any(_is_number(c) for c in first_cells):
        rows = rows[1:]  # a header
    if not rows:
        raise DatasetError("source: expected at least one data row after the header, got none")
    if len(rows) > max_rows:
        raise DatasetError(f"source: expected at most {max_rows} data rows, got {len(rows)}")

    n_features = n_columns - 1
    X = np.empty((len(rows), n_features), dtype=np.float64)
    tokens: list[str] = []
    for i, (line, cells) in enumerate(rows):
        if len(cells) != n_columns:
            raise DatasetError(f"row {line}: expected {n_columns} columns, as in row {first_line}, got {len(cells)}")
        for j in range(n_features):
            cell = cells[j]
            try:
                value = float(cell)
            except ValueError:
                raise DatasetError(f"row {line}, column {j + 1}: expected a number, got {cell!r}") from None
            if not math.isfinite(value):
                raise DatasetError(f"row {line}, column {j + 1}: expected a finite number, got {cell!r}")
            X[i, j] = value
        label = cells[n_features]
        if label == "":
            raise DatasetError(f"row {line}, column {n_columns}: expected a label, got an empty cell")
        tokens.append(label)

    as_ints = [_parse_int(t) for t in tokens]
    if all(v is not None for v in as_ints):
        keys: list = as_ints
        first_token: dict = {}
        for key, token in zip(keys, tokens):
            first_token.setdefault(key, token)
        ordered = sorted(first_token)
        class_names = tuple(first_token[k] for k in ordered)
    else:
        keys = tokens
        ordered = sorted(set(tokens))
        class_names = tuple(ordered)
    n_classes = len(ordered)
    if n_classes < 2:
        raise DatasetError(f"column {n_columns}: expected at least 2 classes, got {n_classes} ({class_names[0]!r})")
    if n_classes > MAX_CLASSES:
        raise DatasetError(f"column {n_columns}: expected at most {MAX_CLASSES} classes, got {n_classes}")
    index = {k: c for c, k in enumerate(ordered)}
    y = np.array([index[k] for k in keys], dtype=np.int64)
    return _labelled(rescale(X), y, class_names, name=name, labels=f"column {n_columns}")


def _labelled(X: np.ndarray, y: np.ndarray, class_names: tuple[str, ...], *, name: str, labels: str) -> Dataset:
    """The last step of :func:`load_csv` and :func:`drawn_dataset`: checked points, labels and class names → Dataset.

    ``X`` of shape (n, n_features) within ``INPUT_RANGE``, ``y`` of shape (n,) indexing ``class_names``. ``labels``
    names where the labels came from in a message ("column 3" of a file, "y" of drawn points).
    """
    n_classes = len(class_names)
    if n_classes < 2:
        got = f"{n_classes} ({class_names[0]!r})" if n_classes else "none"
        raise DatasetError(f"{labels}: expected at least 2 classes, got {got}")
    if n_classes > MAX_CLASSES:
        raise DatasetError(f"{labels}: expected at most {MAX_CLASSES} classes, got {n_classes}")
    return Dataset(X=X, y=y, n_classes=n_classes, name=name, class_names=tuple(class_names))


def drawn_dataset(X, y, *, n_classes: int | None = None, name: str = "drawn") -> Dataset:
    """Points drawn by hand on the plane, checked, as a :class:`Dataset` with class names ``"0", "1", ...``.

    The points are used as they are (no rescaling, unlike :func:`load_csv`). An empty plane is allowed: zero
    points give a dataset of shape (0, 2) (a :class:`Dataset` may be empty; a trainer needs at least one point).

    Parameters
    ----------
    X : array_like of shape (n, 2)
        Coordinates, every value finite and within ``INPUT_RANGE`` = [-1, 1]; ``0 <= n <= MAX_DRAWN``.
    y : array_like of int of shape (n,)
        Class of each point, in ``0 .. n_classes - 1``.
    n_classes : int or None, default None
        Number of classes, in ``2 .. MAX_CLASSES``; None takes ``max(2, max(y) + 1)``. Give it when a class has no
        point yet (the page's chosen class count).
    name : str, default "drawn"
        Name given to the dataset.

    Returns
    -------
    Dataset
        X of shape (n, 2) (float64, a copy), y of shape (n,) (int64), class names ``"0" .. str(n_classes - 1)``.

    Raises
    ------
    DatasetError
        With one line naming the field and the first bad point, e.g. ``"X: expected values within [-1, 1], got 1.5
        (point 3)"``: a shape other than (n, 2), too many points, NaN or infinity, a value outside [-1, 1],
        non-integer labels, a label out of range, or a bad ``n_classes``.

    Examples
    --------
    >>> ds = drawn_dataset([[0.5, -0.25], [-0.5, 0.75], [0.0, 0.0]], [0, 2, 1])
    >>> ds.X.shape, ds.y.tolist(), ds.n_classes, ds.class_names
    ((3, 2), [0, 2, 1], 3, ('0', '1', '2'))
    >>> drawn_dataset([[0.0, 0.0]], [0], n_classes=4).class_names
    ('0', '1', '2', '3')
    """
    if not isinstance(name, str):
        raise DatasetError(f"name: expected a string, got {type(name).__name__}")
    try:
        X = np.array(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise DatasetError(f"X: expected an array of numbers of shape (n, 2), got {type(X).__name__}") from None
    if X.ndim == 1 and X.size == 0:  # an empty list: no points yet
        X = X.reshape(0, 2)
    if X.ndim != 2 or X.shape[1] != 2:
        raise DatasetError(f"X: expected an array of shape (n, 2), got shape {X.shape}")
    n = X.shape[0]
    if n > MAX_DRAWN:
        raise DatasetError(f"X: expected at most {MAX_DRAWN} points, got {n}")
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise DatasetError(f"X: expected finite numbers, got {X[i].tolist()} (point {i})")
    bad = ((X < _LOW) | (X > _HIGH)).any(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        value = float(X[i, 0] if not _LOW <= X[i, 0] <= _HIGH else X[i, 1])
        raise DatasetError(f"X: expected values within [{_LOW:g}, {_HIGH:g}], got {value!r} (point {i})")

    y = np.asarray(y)
    if y.shape != (n,):
        raise DatasetError(f"y: expected an array of shape ({n},), one label per point, got shape {y.shape}")
    if n and not np.issubdtype(y.dtype, np.integer):
        raise DatasetError(f"y: expected integer labels, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if n_classes is None:
        high = MAX_CLASSES - 1
    else:
        n_classes = _check_int("n_classes", n_classes, 2, MAX_CLASSES)
        high = n_classes - 1
    bad = (y < 0) | (y > high)
    if bad.any():
        i = int(np.argmax(bad))
        raise DatasetError(f"y: expected labels in 0..{high}, got {int(y[i])} (point {i})")
    if n_classes is None:
        n_classes = max(2, int(y.max()) + 1) if n else 2
    class_names = tuple(str(k) for k in range(n_classes))
    return _labelled(X, y, class_names, name=name, labels="y")


def to_csv(dataset: Dataset) -> str:
    """The dataset as CSV text that :func:`load_csv` reads: a header ``x1,...,label``, then one row per point.

    Features are written exactly (the shortest text that reads back the same float); the label column holds the
    class names. :func:`load_csv` gives back the same labels and class names when every class occurs, and the same
    features when each column spans [-1, 1] (it rescales each column to [-1, 1]).

    Parameters
    ----------
    dataset : Dataset
        Any dataset, e.g. one from :func:`drawn_dataset`.

    Returns
    -------
    str
        CSV text with ``"\n"`` line ends.

    Examples
    --------
    >>> print(to_csv(drawn_dataset([[-1.0, 0.5], [1.0, -0.25]], [1, 0])), end="")
    x1,x2,label
    -1.0,0.5,1
    1.0,-0.25,0
    """
    if not isinstance(dataset, Dataset):
        raise DatasetError(f"dataset: expected a Dataset, got {type(dataset).__name__}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"x{j + 1}" for j in range(dataset.n_features)] + ["label"])
    names = dataset.class_names
    for row, label in zip(dataset.X.tolist(), dataset.y.tolist()):
        writer.writerow([repr(v) for v in row] + [names[label]])
    return out.getvalue()
