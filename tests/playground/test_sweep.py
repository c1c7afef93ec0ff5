"""``playground sweep``: grids, sweep files, the results table, Dask runs equal to ``playground train --json``,
resuming after a kill, error rows, and one-line errors for bad input."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from playground.cli import main
from playground.paper_tables import PAPER_COLUMNS, PAPER_TABLES, paper_cells, paper_sweep
from playground.sweep import (
    COLUMNS,
    SUMMARY_COLUMNS,
    ResultsTable,
    SweepError,
    expand,
    load_sweep,
    local_cluster,
    run_id,
    run_one,
    run_sweep,
    train_argv,
)

SMALL = dict(dataset="circle", train_size=30, test_size=60, epochs=3, batch_size=10)
COMPARED = [c for c in SUMMARY_COLUMNS if c != "seconds"]


def small_grid(**extra):
    return {**SMALL, "qubits": [1, 2], "layers": [1, 2], "cost": ["fidelity", "weighted_fidelity"], **extra}


def train_json(settings) -> dict:
    """``playground train ... --json`` in its own interpreter, as a user would run it."""
    out = subprocess.run([sys.executable, "-m", "playground.cli", "train", *train_argv(settings), "--json"],
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------------------------------------ grids


def test_grid_is_the_product_of_the_values_in_field_order():
    sweep = expand([dict(dataset="circle", layers="1-3", qubits=[1, 2], entangle=["no", "yes"], seed=[4])])
    # 3 layers x (1 qubit plain, 2 qubits plain, 2 qubits entangled); 3 entangled one-qubit points left out
    assert len(sweep) == 9 and sweep.skipped == 3
    assert sweep.runs[0] == dict(dataset="circle", qubits=1, layers=1, entangle=False, seed=4)
    assert [r["layers"] for r in sweep.runs[:3]] == [1, 2, 3]
    assert all(not r["entangle"] or r["qubits"] == 2 for r in sweep.runs)


def test_duplicates_are_made_once_and_ids_are_stable():
    a = dict(dataset="circle", qubits=1, layers=2)
    sweep = expand([dict(dataset="circle", qubits=1, layers=[2, 2])], [a, dict(a)])
    assert len(sweep) == 1
    assert run_id(a) == run_id(dict(reversed(list(a.items())))) != run_id(dict(a, layers=3))


@pytest.mark.parametrize(
    "grid, fragment",
    [
        (dict(dataset="circle", qubits=1, layers=99), "--layers: expected an integer in 1..20, got '99'"),
        (dict(dataset="circle", qubits=1, layers=1, learning_rate="nan"), "learning_rate: expected a finite number"),
        (dict(dataset="circle", qubits=1, layers=1, colour="red"), "colour: expected one of the settings"),
        (dict(dataset="nowhere", qubits=1, layers=1), "--dataset: invalid choice: 'nowhere'"),
        (dict(dataset="circle", qubits=1, layers="5-2"), "layers: expected a range A-B with A <= B"),
        (dict(dataset="circle", qubits="1-6", layers="1-20", seed="0-999"), "expected at most 100000 runs"),
        (dict(dataset="circle", qubits=1, layers=[]), "layers: expected at least one value"),
        (dict(dataset="circle", qubits=1, layers=1, entangle="maybe"), "entangle: expected yes/no"),
    ],
)
def test_a_bad_grid_is_one_line_naming_the_setting(grid, fragment):
    with pytest.raises(SweepError) as err:
        expand([grid])
    assert fragment in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("ext", [".json", ".toml", ".yaml"])
def test_sweep_files_in_three_formats_give_the_same_runs(tmp_path, ext):
    text = {
        ".json": '{"base": {"dataset": "circle"}, "grid": {"qubits": [1, 2], "layers": "1-2"},'
                 ' "runs": [{"dataset": "annulus", "qubits": 1, "layers": 3}]}',
        ".toml": 'runs = [{dataset = "annulus", qubits = 1, layers = 3}]\n[base]\ndataset = "circle"\n'
                 '[grid]\nqubits = [1, 2]\nlayers = "1-2"\n',
        ".yaml": "base: {dataset: circle}\ngrid:\n  qubits: [1, 2]\n  layers: 1-2\nruns:\n"
                 "  - {dataset: annulus, qubits: 1, layers: 3}\n",
    }[ext]
    path = tmp_path / f"sweep{ext}"
    path.write_text(text)
    sweep = load_sweep(str(path), override={"seed": ["5", "6"]})
    assert len(sweep) == 10
    assert sweep.runs[-1] == dict(dataset="annulus", qubits=1, layers=3, seed=6)
    assert {r["seed"] for r in sweep.runs} == {5, 6}


@pytest.mark.parametrize(
    "name, text, fragment",
    [
        ("s.json", "{not json", "not valid JSON"),
        ("s.toml", "grid = 3", "grid: expected a table of settings"),
        ("s.json", '{"grids": {"a": 1}}', "grids: expected a list of grids"),
        ("s.json", '{"sweep": {}}', "expected the keys grid, grids, runs, base, got 'sweep'"),
        ("s.json", "[1, 2]", "expected a table with grid"),
        ("s.json", "{}", "expected a grid, grids or runs"),
        ("s.txt", "{}", "expected a .json, .toml, .yaml or .yml file"),
        ("s.json", '{"runs": [{"dataset": "circle", "qubits": 1, "layers": 1, "epochs": 0}]}',
         "--epochs: expected an integer in 1..100000"),
    ],
)
def test_a_malformed_sweep_file_is_one_line_and_writes_nothing(tmp_path, capsys, name, text, fragment):
    path = tmp_path / name
    path.write_text(text)
    out = tmp_path / "out.csv"
    rc = main(["sweep", str(path), "-o", str(out), "--serial"])
    _, err = capsys.readouterr()
    assert rc == 2 and fragment in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_a_huge_sweep_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.json"
    path.write_text('{"runs": [' + ",".join(['{"dataset": "circle"}'] * 60_000) + "]}")
    with pytest.raises(SweepError, match="at most 1000000 bytes"):
        load_sweep(str(path))


# ------------------------------------------------------------------------------------------------ runs and rows


def test_a_row_equals_playground_train_json_to_the_bit():
    settings = dict(SMALL, qubits=2, layers=2, entangle=True, cost="weighted_fidelity", seed=11)
    row = run_one(settings)
    ref = train_json(settings)
    assert row["status"] == "ok" and row["error"] is None
    assert {c: row[c] for c in COMPARED} == {c: ref[c] for c in COMPARED}
    assert row["command"].startswith("playground train --dataset circle --qubits 2 --layers 2 --entangle")


def test_a_run_that_raises_is_an_error_row(tmp_path):
    missing = str(tmp_path / "absent.csv")
    row = run_one(dict(csv=missing, qubits=1, layers=1))
    assert row["status"] == "error" and "absent.csv" in row["error"] and "\n" not in row["error"]
    assert row["n_qubits"] == 1 and row["n_layers"] == 1 and row["test_accuracy"] is None
    # the paper's draw fixes the sizes: a run that asks for both fails when it runs, not when the sweep is read
    row = run_one(dict(dataset="circle", qubits=1, layers=1, paper_draw=True, train_size=10))
    assert row["status"] == "error" and "--train-size: expected nothing with --paper-draw" in row["error"]


def test_the_table_round_trips_every_value_and_drops_a_torn_row(tmp_path):
    path = str(tmp_path / "t.csv")
    rows = [run_one(dict(SMALL, qubits=1, layers=layers)) for layers in (1, 2)]
    with ResultsTable(path) as table:
        for row in rows:
            table.append(row)
    assert ResultsTable(path).read() == rows
    with open(path, "a", encoding="utf-8") as fh:  # a kill in the middle of a row
        fh.write(rows[0]["run_id"] + ",ok,circle,1")
    assert ResultsTable(path).read() == rows
    with ResultsTable(path):
        pass
    assert open(path, encoding="utf-8").read().endswith("\n")
    assert ResultsTable(path).read() == rows


def test_the_table_refuses_a_foreign_file_and_a_second_writer(tmp_path):
    foreign = tmp_path / "f.csv"
    foreign.write_text("a,b\n1,2\n")
    with pytest.raises(SweepError, match="expected a sweep table"):
        ResultsTable(str(foreign)).open()
    assert foreign.read_text() == "a,b\n1,2\n"
    path = str(tmp_path / "t.csv")
    with ResultsTable(path):
        with pytest.raises(SweepError, match="another sweep is writing this table"):
            ResultsTable(path).open()


def test_serial_sweep_resumes_and_retries_errors_only_when_asked(tmp_path):
    path = str(tmp_path / "t.csv")
    sweep = expand([small_grid()], [dict(csv=str(tmp_path / "absent.csv"), qubits=1, layers=1)])
    first = run_sweep(expand([small_grid(layers=[1])]), path, serial=True, progress=False)
    assert (first.done, first.already) == (4, 0)
    second = run_sweep(sweep, path, serial=True, progress=False)
    assert (second.total, second.already, second.done, second.errors) == (9, 4, 5, 1)
    assert run_sweep(sweep, path, serial=True, progress=False).done == 0
    third = run_sweep(sweep, path, serial=True, progress=False, retry_errors=True)
    assert (third.done, third.errors) == (1, 1)
    ids = [r["run_id"] for r in ResultsTable(path).read()]
    assert len(ids) == 10 and len(set(ids)) == 9  # the retried error row is there twice, everything else once


# ------------------------------------------------------------------------------------------------ Dask


def test_dask_sweep_with_two_workers_equals_serial_playground_train(tmp_path):
    pytest.importorskip("distributed", reason="the sweep extra (dask[distributed]) is part of the test install")
    failing = dict(csv=str(tmp_path / "absent.csv"), qubits=1, layers=1)
    sweep = expand([small_grid(seed=[3])], [failing])
    assert len(sweep) == 9
    path = str(tmp_path / "t.csv")
    report = run_sweep(sweep, path, workers=2, progress=False)
    assert (report.done, report.errors) == (9, 1) and len(report.workers) == 2
    rows = {r["run_id"]: r for r in ResultsTable(path).read()}
    assert len(rows) == 9
    error = rows.pop(run_id(failing))  # raised on a worker: an error row, and the sweep went on
    assert error["status"] == "error" and "absent.csv" in error["error"] and error["worker"].startswith("tcp://")
    assert len({r["worker"] for r in rows.values()}) == 2, "both workers made runs"
    for settings in sweep.runs[:8]:
        row, ref = rows[run_id(settings)], train_json(settings)
        assert {c: row[c] for c in COMPARED} == {c: ref[c] for c in COMPARED}, settings


def test_a_killed_sweep_resumes_without_repeating_finished_rows(tmp_path):
    pytest.importorskip("distributed", reason="the sweep extra (dask[distributed]) is part of the test install")
    path = tmp_path / "t.csv"
    # runs of about a second each, so the kill lands in the middle of the sweep
    argv = [sys.executable, "-m", "playground.cli", "sweep", "--dataset", "circle", "--qubits", "2",
            "--layers", "3", "--seed", "0-23", "--epochs", "20", "--train-size", "200", "--test-size", "100",
            "--workers", "2", "--no-progress", "-o", str(path)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not path.exists() or len(read_rows(path)) < 3):
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    before = read_rows(path)
    # a polite stop (SIGTERM, as from a job scheduler) says how to go on, and leaves its rows too
    polite = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(read_rows(path)) < len(before) + 1:
        time.sleep(0.2)
    polite.send_signal(signal.SIGTERM)
    _, err = polite.communicate(timeout=60)
    assert polite.returncode == 130 and "run the same command again to go on" in err and "Traceback" not in err
    before = read_rows(path)
    assert len(before) < 24
    assert 3 <= len(before) < 24
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{24 - len(before)} runs made" in done.stderr and f"{len(before)} already in" in done.stderr
    after = read_rows(path)
    assert after[: len(before)] == before
    assert sorted(r["seed"] for r in after) == sorted(str(s) for s in range(24))
    assert all(r["status"] == "ok" for r in after)


def test_the_same_sweep_runs_unchanged_on_an_existing_cluster(tmp_path, capsys):
    pytest.importorskip("distributed", reason="the sweep extra (dask[distributed]) is part of the test install")
    path = tmp_path / "t.csv"
    argv = ["sweep", "--dataset", "circle", "--qubits", "1", "--layers", "1-3", "--epochs", "2", "--train-size", "30",
            "--test-size", "40", "--no-progress", "-o", str(path)]
    with local_cluster(2) as cluster:
        assert main([*argv, "--scheduler", cluster.scheduler_address]) == 0
        workers = set(cluster.scheduler_info["workers"])
    _, err = capsys.readouterr()
    assert "3 runs made" in err and "on 2 worker(s)" in err
    rows = ResultsTable(str(path)).read()
    assert [r["n_layers"] for r in sorted(rows, key=lambda r: r["n_layers"])] == [1, 2, 3]
    assert {r["worker"] for r in rows} <= workers
    for layers in (1, 2, 3):  # each row is what `playground train --json` prints for that run
        settings = dict(dataset="circle", qubits=1, layers=layers, epochs=2, train_size=30, test_size=40)
        row, ref = next(r for r in rows if r["run_id"] == run_id(settings)), train_json(settings)
        assert {c: row[c] for c in COMPARED} == {c: ref[c] for c in COMPARED}


def test_an_unreachable_scheduler_is_one_line(tmp_path, capsys):
    pytest.importorskip("distributed", reason="the sweep extra (dask[distributed]) is part of the test install")
    rc = main(["sweep", "--dataset", "circle", "--qubits", "1", "--layers", "1", "--no-progress",
               "--scheduler", "tcp://127.0.0.1:9", "-o", str(tmp_path / "t.csv")])
    _, err = capsys.readouterr()
    assert rc == 2 and "--scheduler: cannot reach a Dask scheduler at 'tcp://127.0.0.1:9'" in err
    assert len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------------------ the paper grid


def test_the_paper_grid_holds_every_published_cell():
    cells = paper_cells()
    published = sum(f is not None for _, rows in PAPER_TABLES.values() for row in rows.values() for f in row)
    assert len(cells) == published == 232
    assert all(len(row) == len(PAPER_COLUMNS) for _, rows in PAPER_TABLES.values() for row in rows.values())
    sweep = paper_sweep()
    assert len(sweep) == 232 * 11
    assert all(r["paper_draw"] and r["optimizer"] == "lbfgs" for r in sweep.runs)
    # Table 4, χ²_wf on 2 entangled qubits with 4 layers (0.96): ten single starts and the best of 20
    cell = [r for r in sweep.runs if (r["dataset"], r["qubits"], r["layers"], r["entangle"], r["cost"])
            == ("annulus", 2, 4, True, "weighted_fidelity")]
    assert sorted(r.get("seed", -1) for r in cell if r["restarts"] == 1) == list(range(10))
    assert [r["restarts"] for r in cell if "seed" not in r] == [20]
    narrowed = paper_sweep(override={"dataset": ["annulus"], "layers": ["2"]})
    assert {r["dataset"] for r in narrowed.runs} == {"annulus"} and len(narrowed) == 8 * 11


def test_the_sweep_command_help_and_columns():
    assert COLUMNS[:2] == ("run_id", "status") and COLUMNS[-3:] == ("worker", "command", "error")
    assert main(["sweep", "--help"]) == 0
