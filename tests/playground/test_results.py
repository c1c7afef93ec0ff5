"""Sweep tables read back (bounded, checked, one-line errors) and summarised: the statistics over seeds, the best-of
run, the paper's figure; and the shipped paper grid holds every published cell."""

from __future__ import annotations

import csv
import io
import math
import statistics

import pytest

from playground.paper_tables import paper_cells
from playground.results import BUILT_IN_TABLE, MAX_TABLE_BYTES, paper_figure, read_table, summarise
from playground.sweep import COLUMNS, ResultsTable, SweepError, run_one

SMALL = dict(dataset="circle", train_size=30, test_size=60, epochs=3, batch_size=10, qubits=1, layers=2)


@pytest.fixture(scope="module")
def table_path(tmp_path_factory):
    """A small sweep table: 3 single starts and one best of 3 on one configuration, 2 starts of another, an error."""
    path = str(tmp_path_factory.mktemp("t") / "t.csv")
    rows = [run_one(dict(SMALL, seed=s, restarts=1)) for s in (1, 2, 3)]
    rows.append(run_one(dict(SMALL, seed=1, restarts=3)))
    rows += [run_one(dict(SMALL, layers=3, seed=s, restarts=1)) for s in (1, 2)]
    rows.append(run_one(dict(SMALL, csv="/nowhere/absent.csv")))
    with ResultsTable(path) as t:
        for row in rows:
            t.append(row)
    return path, rows


def test_summary_statistics_over_seeds_and_the_best_of_run(table_path):
    path, rows = table_path
    frame = read_table(path)
    assert len(frame) == 7 and list(frame.columns) == list(COLUMNS)
    summary = summarise(frame)
    two = summary[summary["n_layers"] == 2].iloc[0]
    single = [r["test_accuracy"] for r in rows[:3]]
    assert two["runs"] == 3 and two["failed"] == 0
    assert two["mean"] == pytest.approx(statistics.mean(single), abs=1e-15)
    assert two["std"] == pytest.approx(statistics.stdev(single), abs=1e-15)
    assert two["median"] == statistics.median(single)
    assert (two["min"], two["max"]) == (min(single), max(single))
    assert two["accuracies"] == tuple(single) and two["seeds"] == (1, 2, 3)
    assert two["best_of"] == rows[3]["test_accuracy"] and two["best_of_restarts"] == 3
    assert two["best_of_seed"] == rows[3]["kept_seed"]
    three = summary[summary["n_layers"] == 3].iloc[0]
    assert three["runs"] == 2
    assert three["best_of"] is None or math.isnan(three["best_of"])
    assert summary["paper"].isna().all()  # not the paper's draw: no paper figure joins
    assert summary["failed"].sum() == 1


def test_paper_figures_join_on_the_authors_points():
    assert paper_figure("annulus", "weighted_fidelity", 2, True, 4) == 0.96
    assert paper_figure("hypersphere", "weighted_fidelity", 4, True, 3) is None  # '–' in Table 3
    assert paper_figure("circle", "fidelity", 2, True, 1) is None
    assert paper_figure("moons", "fidelity", 1, False, 2) is None


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"\xff\xfe\x00binary", "expected a UTF-8 text file"),
        (b"a,b\n1,2\n", "expected the columns of a playground sweep table"),
        (b"", "got nothing"),
        (("," .join(COLUMNS) + "\n" + "x," * 5 + "\n").encode(), "row 2: expected 32 cells, got 6"),
    ],
)
def test_a_malformed_table_is_one_line(data, fragment):
    with pytest.raises(SweepError) as err:
        read_table(data, name="up.csv")
    assert fragment.replace("32", str(len(COLUMNS))) in str(err.value) and "\n" not in str(err.value)


def test_bad_numbers_and_accuracies_are_refused(table_path):
    path, _ = table_path
    text = open(path, encoding="utf-8").read()
    lines = text.splitlines()
    cells = next(csv.reader(io.StringIO(lines[1])))
    i = COLUMNS.index("test_accuracy")
    for bad, fragment in (("banana", "test_accuracy: expected a number, got 'banana'"),
                          ("1.5", "test_accuracy: expected accuracies in [0, 1]")):
        cells2 = list(cells)
        cells2[i] = bad
        out = io.StringIO()
        csv.writer(out).writerow(cells2)
        data = (lines[0] + "\n" + out.getvalue()).encode()
        with pytest.raises(SweepError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
            read_table(data)


def test_a_huge_upload_is_refused_before_parsing():
    with pytest.raises(SweepError, match="at most 20 MB"):
        read_table(b"x" * (MAX_TABLE_BYTES + 1))


def test_the_shipped_paper_grid_holds_published_cells_made_by_the_paper_protocol():
    frame = read_table(BUILT_IN_TABLE)
    assert (frame["status"] == "ok").all(), frame[frame["status"] != "ok"]["error"].tolist()[:3]
    assert frame["paper_draw"].all() and (frame["optimizer"] == "lbfgs").all()
    summary = summarise(frame)
    published = {(c["dataset"], c["cost"], c["qubits"], c["entangled"], c["layers"]) for c in paper_cells()}
    assert len(published) == 232
    made = {(r.dataset, r.cost, r.n_qubits, r.entangled, r.n_layers) for r in summary.itertuples()}
    assert made <= published  # nothing but the paper's cells
    assert (summary["runs"] <= 10).all() and summary["best_of_restarts"].dropna().eq(20).all()
    assert all(set(seeds) <= set(range(10)) for seeds in summary["seeds"])
    # complete: ten single starts (seeds 0-9) and one best of 20 for every published cell of every table
    assert made == published
    assert (summary["runs"] == 10).all() and (summary["best_of_restarts"] == 20).all()
    assert all(sorted(seeds) == list(range(10)) for seeds in summary["seeds"])
    assert summary["paper"].notna().all()
