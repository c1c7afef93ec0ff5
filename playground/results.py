"""Sweep tables read back and summarised: one row per configuration, its spread over seeds, and the paper beside it.

A sweep table (:mod:`playground.sweep`) has one row per run. :func:`read_table` reads one (a path or the bytes of an
upload), checks its columns and its size, and returns a :class:`pandas.DataFrame` with typed columns.
:func:`summarise` groups the single starts (``restarts == 1``) of each configuration: every setting but the seed
(``seed`` and ``kept_seed`` are what varies) and gives their count, mean, standard deviation (``ddof=1``), median,
minimum and maximum of the test and training accuracy; a run with several restarts (the command line's
best-of-R protocol) fills the ``best_of`` columns of its configuration; the paper's figure joins for the
configurations of its Tables 1–4 (:mod:`playground.paper_tables`).
"""

from __future__ import annotations

import csv
import io
import os
from typing import Any

import numpy as np
import pandas as pd

from .paper_tables import PAPER_COLUMNS, PAPER_TABLES
from .sweep import COLUMNS, SweepError, parse_cell

__all__ = ["MAX_TABLE_BYTES", "MAX_TABLE_ROWS", "CONFIG_COLUMNS", "read_table", "summarise", "paper_figure",
           "BUILT_IN_TABLE"]

MAX_TABLE_BYTES = 20_000_000
MAX_TABLE_ROWS = 100_000
#: The settings that make a configuration (everything of a run but its seed).
CONFIG_COLUMNS = ("dataset", "n_qubits", "n_layers", "entangled", "cost", "strategy", "optimizer", "learning_rate",
                  "batch_size", "init", "epochs", "n_train", "n_test", "noise", "n_classes", "paper_draw")
#: The paper grid made by ``playground sweep --preset paper`` (``benchmarks/reproduce_paper.py``), shipped.
BUILT_IN_TABLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "assets", "paper_grid.csv")

_INT = {"n_qubits", "n_layers", "n_features", "n_classes", "n_params", "batch_size", "seed", "kept_seed", "epochs",
        "restarts", "n_train", "n_test", "steps"}
_FLOAT = {"learning_rate", "noise", "train_accuracy", "test_accuracy", "final_loss", "seconds"}
_BOOL = {"entangled", "paper_draw"}


def read_table(source: str | bytes, *, name: str = "table") -> pd.DataFrame:
    """A sweep table as a DataFrame; raises :class:`~playground.sweep.SweepError` (one line) if it is not one.

    ``source``: a path, or the bytes of an uploaded file. At most :data:`MAX_TABLE_BYTES` bytes and
    :data:`MAX_TABLE_ROWS` rows; a row cut short at the end (a sweep killed mid-write) is left out.
    """
    if isinstance(source, (bytes, bytearray)):
        if len(source) > MAX_TABLE_BYTES:
            raise SweepError(f"{name}: expected a sweep table of at most {MAX_TABLE_BYTES // 1_000_000} MB, "
                             f"got {len(source) / 1e6:.1f} MB")
        raw = bytes(source)
    else:
        try:
            size = os.path.getsize(source)
            if size > MAX_TABLE_BYTES:
                raise SweepError(f"{name}: expected a sweep table of at most {MAX_TABLE_BYTES // 1_000_000} MB, "
                                 f"got {size / 1e6:.1f} MB")
            with open(source, "rb") as fh:
                raw = fh.read(MAX_TABLE_BYTES + 1)
        except OSError as err:
            raise SweepError(f"{name}: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SweepError(f"{name}: expected a UTF-8 text file (a CSV written by playground sweep)") from None
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None or tuple(header) != COLUMNS:
            raise SweepError(f"{name}: expected the columns of a playground sweep table ({', '.join(COLUMNS[:4])}, "
                             f"...), got {'nothing' if header is None else ', '.join(h[:30] for h in header[:4])}")
        rows = []
        for line in reader:
            if len(rows) >= MAX_TABLE_ROWS:
                raise SweepError(f"{name}: expected at most {MAX_TABLE_ROWS} rows, got more")
            if len(line) != len(COLUMNS):
                raise SweepError(f"{name}: row {len(rows) + 2}: expected {len(COLUMNS)} cells, got {len(line)}")
            rows.append({c: parse_cell(c, v) for c, v in zip(COLUMNS, line)})
    except csv.Error as err:
        raise SweepError(f"{name}: not a readable CSV file ({err})") from None
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in _INT | _FLOAT:
        values = frame[column]
        bad = values.map(lambda v: isinstance(v, str))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise SweepError(f"{name}: row {i + 2}: {column}: expected a number, got {str(values.iloc[i])[:40]!r}")
        frame[column] = pd.to_numeric(values, errors="coerce")
    for column in _BOOL:
        frame[column] = frame[column].map(lambda v: bool(v) if v is not None else None)
    for column in ("train_accuracy", "test_accuracy"):
        v = frame[column]
        if ((v < 0) | (v > 1)).any():
            raise SweepError(f"{name}: {column}: expected accuracies in [0, 1]")
    frame["status"] = frame["status"].fillna("")
    return frame


def paper_figure(dataset: str, cost: str, n_qubits: int, entangled: bool, n_layers: int) -> float | None:
    """The paper's published test accuracy for a configuration of Tables 1–4, or None."""
    table = PAPER_TABLES.get(dataset)
    key = (cost, int(n_qubits), bool(entangled))
    if table is None or key not in PAPER_COLUMNS or int(n_layers) not in table[1]:
        return None
    return table[1][int(n_layers)][PAPER_COLUMNS.index(key)]


def summarise(frame: pd.DataFrame, *, paper: bool = True) -> pd.DataFrame:
    """One row per configuration (:data:`CONFIG_COLUMNS`): the single starts' statistics and the best-of run.

    Columns: the configuration; ``runs`` (single starts that finished), ``failed`` (error rows); ``mean``,
    ``std``, ``median``, ``min``, ``max`` of their test accuracy and ``train_mean``; ``best_of`` (the test
    accuracy of a run with restarts > 1, the most restarts if several), ``best_of_restarts`` and
    ``best_of_train``, ``best_of_seed`` (the start it kept); ``accuracies`` and ``seeds``, the single starts' test
    accuracies and seeds (tuples, in table order); and ``paper`` (None outside the paper's tables, or with ``paper=False``).
    """
    ok = frame[frame["status"] == "ok"]
    failed = frame[frame["status"] != "ok"]
    keys = list(CONFIG_COLUMNS)

    def config(row) -> tuple:
        return tuple(None if (isinstance(row[k], float) and np.isnan(row[k])) else row[k] for k in keys)

    groups: dict[tuple, dict[str, Any]] = {}

    def entry(cfg):
        if cfg not in groups:
            groups[cfg] = dict(zip(keys, cfg), single=[], single_train=[], seeds=[], best=None, failed=0)
        return groups[cfg]

    for _, row in ok.iterrows():
        e = entry(config(row))
        restarts = row["restarts"]
        if restarts == 1 or restarts is None or np.isnan(restarts):
            e["single"].append(row["test_accuracy"])
            e["single_train"].append(row["train_accuracy"])
            e["seeds"].append(None if np.isnan(row["seed"]) else int(row["seed"]))
        elif e["best"] is None or restarts > e["best"][0]:
            kept = row["kept_seed"]
            e["best"] = (int(restarts), row["test_accuracy"], row["train_accuracy"],
                         None if kept is None or np.isnan(kept) else int(kept))
    for _, row in failed.iterrows():
        entry(config(row))["failed"] += 1
    out = []
    for e in groups.values():
        acc = np.array(e.pop("single"), float)
        train = np.array(e.pop("single_train"), float)
        best = e.pop("best")
        seeds = e.pop("seeds")
        n = len(acc)
        e.update(
            runs=n,
            mean=float(acc.mean()) if n else None,
            std=float(acc.std(ddof=1)) if n > 1 else None,
            median=float(np.median(acc)) if n else None,
            min=float(acc.min()) if n else None,
            max=float(acc.max()) if n else None,
            train_mean=float(train.mean()) if n else None,
            best_of=best[1] if best else None,
            best_of_restarts=best[0] if best else None,
            best_of_train=best[2] if best else None,
            best_of_seed=best[3] if best else None,
            accuracies=tuple(float(a) for a in acc),
            seeds=tuple(seeds),
        )
        e["paper"] = (paper_figure(e["dataset"], e["cost"], e["n_qubits"], e["entangled"], e["n_layers"])
                      if paper and e["paper_draw"] else None)
        out.append(e)
    columns = [*keys, "runs", "failed", "mean", "std", "median", "min", "max", "train_mean", "best_of",
               "best_of_restarts", "best_of_train", "best_of_seed", "accuracies", "seeds", "paper"]
    result = pd.DataFrame(out, columns=columns)
    # datasets in the order the table first names them (the paper grid: Tables 1, 2, 3, 4), then the settings
    first = {d: i for i, d in enumerate(dict.fromkeys(frame["dataset"]))}
    result["_order"] = result["dataset"].map(lambda d: first.get(d, len(first)))
    result = result.sort_values(["_order", "cost", "entangled", "n_qubits", "n_layers"], kind="stable")
    return result.drop(columns="_order").reset_index(drop=True)
