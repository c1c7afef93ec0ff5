"""Short plain-text descriptions of the plots, and a table of the learning curves, for screen-reader users."""

from __future__ import annotations

import html
import math

import numpy as np

__all__ = ["SUMMARY_INTERVAL", "describe_boundary", "describe_bloch", "curve_rows", "curve_table_html"]

SUMMARY_INTERVAL = 2.0  # seconds between two refreshes of a plot's summary while training

# Named states on the Bloch sphere, by the axis (0 x, 1 y, 2 z) and sign of their Bloch vector.
_STATES = {(2, 1): "|0⟩", (2, -1): "|1⟩", (0, 1): "|+⟩", (0, -1): "|−⟩", (1, 1): "|+i⟩", (1, -1): "|−i⟩"}
# Where a centroid lies, by its third of the square from the bottom (row) and from the left (column).
_PLACES = (
    ("bottom left", "at the bottom", "bottom right"),
    ("on the left", "in the middle", "on the right"),
    ("top left", "at the top", "top right"),
)


def _percent(fraction: float) -> str:
    return f"{round(100 * fraction)} %"


def _accuracy_sentence(test_accuracy: float, train_accuracy: float, n_test: int) -> str:
    train_ok = math.isfinite(train_accuracy)
    if n_test > 0 and math.isfinite(test_accuracy):
        train = f" ({_percent(train_accuracy)} of training points)" if train_ok else ""
        return f"{_percent(test_accuracy)} of test points on the right side{train}."
    if train_ok:
        return f"{_percent(train_accuracy)} of training points on the right side."
    return "No predictions yet."


def _regions_sentence(grid_proba: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray) -> str:
    p = np.asarray(grid_proba, dtype=float)
    gx, gy = np.asarray(grid_x, dtype=float), np.asarray(grid_y, dtype=float)
    if p.ndim != 3 or gx.shape != p.shape[1:2] or gy.shape != p.shape[:1]:
        raise ValueError(
            f"grid_proba, grid_x, grid_y: expected shapes (ny, nx, C), (nx,), (ny,), got {p.shape}, {gx.shape}, "
            f"{gy.shape}"
        )
    valid = np.isfinite(p).all(axis=2)
    if not valid.any():
        return "No regions yet."
    labels = np.where(valid, p.argmax(axis=2), -1)
    u, v = ((g - g[0]) / (g[-1] - g[0]) if len(g) > 1 else np.full(1, 0.5) for g in (gx, gy))  # [0, 1]
    counts = np.bincount(labels[valid], minlength=p.shape[2])
    order = [c for c in np.argsort(-counts, kind="stable") if counts[c] > 0]
    share = counts / valid.sum()
    if share[order[0]] >= 0.99:
        return f"Class {order[0]} covers the whole square."
    parts = []
    for c in order:
        rows, cols = np.nonzero(labels == c)
        column, row = (min(int(3 * t.mean()), 2) for t in (u[cols], v[rows]))
        edges = rows.min() == 0 and cols.min() == 0 and rows.max() == len(v) - 1 and cols.max() == len(u) - 1
        place = "around the edges" if edges and (row, column) == (1, 1) else _PLACES[row][column]
        area = f"{_percent(share[c])}, {place}" if parts else f"{_percent(share[c])} of the square, {place}"
        parts.append(f"{'class' if parts else 'Class'} {c} covers {area}")
    return "; ".join(parts) + "."


def describe_boundary(
    grid_proba: np.ndarray,
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    *,
    test_accuracy: float,
    train_accuracy: float,
    n_test: int,
) -> str:
    """One or two sentences on how well the decision boundary separates the points and where each class wins.

    Parameters
    ----------
    grid_proba : ndarray of shape (ny, nx, C)
        Class probabilities, row ``i`` at ``grid_y[i]`` and column ``j`` at ``grid_x[j]``.
    grid_x, grid_y : ndarray of shape (nx,) and (ny,)
        Increasing coordinates of the pixel centres.
    test_accuracy, train_accuracy : float
        Fractions in [0, 1]; NaN before the first prediction.
    n_test : int
        Number of test points (0: the test accuracy is not mentioned).

    Returns
    -------
    str
        Plain text: the accuracies, then each class's share of the square (most likely class per pixel) and where
        its region's centroid lies, by thirds of the square; largest class first.

    Examples
    --------
    A disc of class 1 in a square of class 0 reads "Decision boundary: 93 % of test points on the right side
    (88 % of training points). Class 0 covers 58 % of the square, around the edges; class 1 covers 42 %, in the
    middle."
    """
    accuracy = _accuracy_sentence(test_accuracy, train_accuracy, n_test)
    return f"Decision boundary: {accuracy} {_regions_sentence(grid_proba, grid_x, grid_y)}"


def _number(value: float) -> str:
    return f"{round(float(value), 2) + 0.0:.2f}"  # + 0.0 turns −0.0 into 0.0


def describe_bloch(vectors: np.ndarray, classes: np.ndarray, *, title: str) -> str:
    """Where the training points of each class end up on one qubit's Bloch sphere, on average.

    Parameters
    ----------
    vectors : ndarray of shape (P, 3)
        Bloch vectors (x, y, z) of the P training points.
    classes : ndarray of shape (P,)
        Integer class labels.
    title : str
        Names the sphere, e.g. "qubit 0".

    Returns
    -------
    str
        Plain text: per class, the mean Bloch vector and the nearest of |0⟩, |1⟩, |+⟩, |−⟩, |+i⟩, |−i⟩ when the
        mean is at least 0.5 long, else how spread out the states are.

    Examples
    --------
    ``describe_bloch(vectors, labels, title="qubit 0")`` reads "qubit 0: class 0 states average (x, y, z) =
    (0.10, -0.20, 0.85), near |0⟩; class 1 average (0.05, 0.10, -0.80), near |1⟩."
    """
    v = np.asarray(vectors, dtype=float).reshape(-1, 3)
    labels = np.asarray(classes).reshape(-1)
    if len(v) != len(labels):
        raise ValueError(f"vectors and classes: expected as many rows, got {len(v)} and {len(labels)}")
    finite = np.isfinite(v).all(axis=1)
    v, labels = v[finite], labels[finite]
    if not len(v):
        return f"{title}: no points yet."
    parts = []
    for c in np.unique(labels):
        mean = v[labels == c].mean(axis=0)
        length = float(np.linalg.norm(mean))
        axis = int(np.abs(mean).argmax())
        where = (f"near {_STATES[axis, 1 if mean[axis] > 0 else -1]}" if length >= 0.5
                 else f"spread out (mean length {_number(length)})")
        what = "states average (x, y, z) =" if not parts else "average"
        parts.append(f"class {c} {what} ({', '.join(_number(x) for x in mean)}), {where}")
    return f"{title}: {'; '.join(parts)}."


def curve_rows(history: dict, max_rows: int = 40) -> list[tuple[int, float, float, float]]:
    """At most ``max_rows`` evenly spaced records of a training history, the first and the last included.

    Parameters
    ----------
    history : dict
        Equal-length arrays under "step", "epoch", "loss", "train_loss", "train_accuracy", "test_accuracy".
    max_rows : int
        At least 2.

    Returns
    -------
    list of (epoch, train_loss, train_accuracy, test_accuracy)
        One tuple per chosen record, in order; empty for an empty history.

    Examples
    --------
    ``curve_rows(trainer_history, max_rows=3)`` gives the first, the middle and the last record.
    """
    if max_rows < 2:
        raise ValueError(f"max_rows: expected at least 2, got {max_rows}")
    n = len(history.get("epoch", ()))
    if n == 0:
        return []
    k = min(n, max_rows)
    picks = np.arange(k) * (n - 1) // max(k - 1, 1)  # strictly increasing from 0 to n − 1
    columns = [np.asarray(history[key]) for key in ("epoch", "train_loss", "train_accuracy", "test_accuracy")]
    return [(int(columns[0][i]), *(float(col[i]) for col in columns[1:])) for i in picks]


def _cell(value: float, spec: str) -> str:
    """A table cell: ``value`` formatted by ``spec`` ("%" for a whole percentage), or "—" when missing."""
    text = "—" if not math.isfinite(value) else _percent(value) if spec == "%" else format(value, spec)
    return f"<td>{html.escape(text)}</td>"


def curve_table_html(history: dict, max_rows: int = 40) -> str:
    """The learning curves as an HTML table, for reading cell by cell instead of looking at the plots.

    Parameters
    ----------
    history : dict
        As for :func:`curve_rows`.
    max_rows : int
        Most records shown, evenly spaced.

    Returns
    -------
    str
        A ``<table>`` with a caption, a header row and one row per record (loss to 4 decimals, accuracies in whole
        percent, "—" for a missing value); a ``<p>`` when there are no records yet.

    Examples
    --------
    ``pn.pane.HTML(curve_table_html(trainer_history))`` shows a caption such as "Loss and accuracy by epoch
    (40 of 1200 records)" above the table.
    """
    rows = curve_rows(history, max_rows)
    if not rows:
        return "<p>No training records yet.</p>"
    caption = f"Loss and accuracy by epoch ({len(rows)} of {len(history['epoch'])} records)"
    header = "".join(f'<th scope="col">{html.escape(name)}</th>'
                     for name in ("Epoch", "Training loss", "Train accuracy", "Test accuracy"))
    body = "".join(
        f"<tr><td>{html.escape(str(epoch))}</td>{_cell(loss, '.4f')}{_cell(train, '%')}{_cell(test, '%')}</tr>"
        for epoch, loss, train, test in rows
    )
    return f"<table><caption>{html.escape(caption)}</caption><tr>{header}</tr>{body}</table>"
