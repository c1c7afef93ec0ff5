"""Tests for the ``playground`` command line: train, evaluate, export, bench, serve, and one-line errors."""

import json
import os
import subprocess
import sys
import types

import numpy as np
import openqasm3
import pytest

from playground.cli import main
from playground.experiment import Experiment, load_experiment

SMALL = ["--train-size", "30", "--test-size", "40", "--epochs", "2", "--batch-size", "10"]
REQUIRED_JSON_KEYS = {"train_accuracy", "test_accuracy", "final_loss", "steps", "seconds"}
SETTING_KEYS = {
    "dataset", "n_qubits", "n_layers", "entangled", "cost", "strategy", "optimizer", "seed", "n_train", "n_test",
    "epochs", "restarts",
}


def run(capsys, *argv):
    """main() in-process: (exit status, stdout, stderr)."""
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def run_process(*argv):
    """The command in its own interpreter, as a user would run it."""
    r = subprocess.run(
        [sys.executable, "-m", "playground.cli", *map(str, argv)], capture_output=True, text=True, timeout=300
    )
    return r.returncode, r.stdout, r.stderr


def assert_one_line_error(rc, out, err, *fragments):
    assert rc == 2
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("playground: error: ")
    for f in fragments:
        assert f in lines[0]


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A small trained run saved to a file, with the stdout of ``train --json``."""
    path = tmp_path_factory.mktemp("run") / "run.json"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["train", "--dataset", "circle", "--qubits", "2", "--layers", "2", "--entangle",
                   "--cost", "weighted_fidelity", "--seed", "7", *SMALL, "--json", "--save", str(path)])
    assert rc == 0
    return path, json.loads(buf.getvalue())


# ------------------------------------------------------------------------------------------------ train


class TestTrain:
    def test_json_keys_and_values(self, saved_run):
        path, result = saved_run
        assert REQUIRED_JSON_KEYS | SETTING_KEYS <= set(result)
        assert result["dataset"] == "circle" and result["n_qubits"] == 2 and result["n_layers"] == 2
        assert result["entangled"] is True and result["cost"] == "weighted_fidelity"
        assert result["optimizer"] == "adam" and result["epochs"] == 2 and result["restarts"] == 1
        assert result["n_train"] == 30 and result["n_test"] == 40 and result["seed"] == 7
        assert 0.0 <= result["train_accuracy"] <= 1.0 and 0.0 <= result["test_accuracy"] <= 1.0
        assert result["steps"] == 2 * 3  # 30 points in batches of 10, two epochs
        assert result["seconds"] >= 0.0 and result["saved"] == str(path)

    def test_saved_file_is_the_run(self, saved_run):
        path, result = saved_run
        exp = load_experiment(path)
        assert exp.metrics.train_accuracy == result["train_accuracy"]
        assert exp.metrics.final_loss == result["final_loss"]
        assert exp.spec.uses_entanglement() and exp.spec.n_qubits == 2
        assert exp.training.seed == 7 and exp.data.seed == 7

    def test_the_paper_protocol_draws_the_data(self, saved_run):
        from playground.datasets import make_train_test

        exp = load_experiment(saved_run[0])
        train, test = exp.build_data()
        want_train, want_test = make_train_test("circle", 30, 40, seed=7)
        assert np.array_equal(train.X, want_train.X) and np.array_equal(test.y, want_test.y)

    def test_table(self, capsys):
        rc, out, err = run(capsys, "train", "--dataset", "circle", "--qubits", "1", "--layers", "2", *SMALL)
        assert rc == 0 and err == ""
        header, row = out.strip().splitlines()
        for word in ("dataset", "qubits", "layers", "cost", "optimizer", "steps", "train acc", "test acc",
                     "final loss", "seconds"):
            assert word in header
        assert row.split()[:5] == ["circle", "1", "2", "no", "fidelity"]

    def test_same_seed_same_result(self, capsys):
        args = ["train", "--dataset", "moons", "--qubits", "1", "--layers", "2", *SMALL, "--json"]
        a = json.loads(run(capsys, *args)[1])
        b = json.loads(run(capsys, *args)[1])
        a.pop("seconds"), b.pop("seconds")
        assert a == b

    def test_lbfgs_defaults_are_1000_iterations_and_20_restarts(self, capsys, monkeypatch):
        seen = {}
        original = Experiment.fit

        def quick_fit(self, **kw):
            seen["training"] = self.training
            from dataclasses import replace

            return original(replace(self, training=replace(self.training, epochs=1, restarts=1)), **kw)

        monkeypatch.setattr(Experiment, "fit", quick_fit)
        rc, _, _ = run(capsys, "train", "--dataset", "circle", "--qubits", "1", "--layers", "1",
                       "--optimizer", "lbfgs", "--train-size", "10", "--test-size", "5")
        assert rc == 0
        assert seen["training"].epochs == 1000 and seen["training"].restarts == 20
        rc, _, _ = run(capsys, "train", "--dataset", "circle", "--qubits", "1", "--layers", "1",
                       "--optimizer", "sgd", "--train-size", "10", "--test-size", "5")
        assert seen["training"].epochs == 30 and seen["training"].restarts == 1
        rc, _, _ = run(capsys, "train", "--dataset", "circle", "--qubits", "1", "--layers", "1", "--optimizer",
                       "adam", "--epochs", "3", "--restarts", "4", "--train-size", "10", "--test-size", "5")
        assert seen["training"].epochs == 3 and seen["training"].restarts == 4

    def test_paper_defaults_for_the_data(self, capsys, monkeypatch):
        seen = {}

        def no_fit(self, **kw):
            seen["data"] = self.data
            raise KeyboardInterrupt

        monkeypatch.setattr(Experiment, "fit", no_fit)
        rc, _, err = run(capsys, "train", "--dataset", "circle", "--qubits", "1", "--layers", "1")
        assert rc == 130 and "interrupted" in err
        assert (seen["data"].seed, seen["data"].n_train, seen["data"].n_test) == (30, 200, 4000)

    def test_lbfgs_restarts_keep_the_lowest_training_loss(self, capsys, tmp_path):
        path = tmp_path / "lbfgs.json"
        rc, out, _ = run(capsys, "train", "--dataset", "circle", "--qubits", "1", "--layers", "2", "--optimizer",
                         "lbfgs", "--restarts", "3", "--epochs", "15", "--train-size", "30", "--test-size", "20",
                         "--json", "--save", path)
        assert rc == 0
        result = json.loads(out)
        exp = load_experiment(path)
        losses = []
        for seed in cli_restart_seeds(30, 3):
            t = exp.make_trainer(seed)
            losses.append(t.run(15, record_every_epoch=False)["train_loss"])
        assert result["final_loss"] == pytest.approx(min(losses), rel=0, abs=1e-12)  # scored on the reference backend
        assert result["kept_seed"] == cli_restart_seeds(30, 3)[int(np.argmin(losses))]

    def test_multi_class_and_focused(self, capsys):
        rc, out, _ = run(capsys, "train", "--dataset", "blobs", "--classes", "5", "--qubits", "2", "--layers", "1",
                         "--strategy", "focused", "--cost", "cross_entropy", "--noise", "0.1", *SMALL, "--json")
        assert rc == 0
        result = json.loads(out)
        assert result["n_classes"] == 5 and result["strategy"] == "focused" and result["noise"] == 0.1

    def test_csv(self, capsys, tmp_path):
        csv = tmp_path / "mydata.csv"
        rows = ["x,y,label"] + [f"{i % 9},{(i * 7) % 13},{'a' if (i % 9) > 4 else 'b'}" for i in range(50)]
        csv.write_text("\n".join(rows) + "\n")
        path = tmp_path / "csv.json"
        rc, out, _ = run(capsys, "train", "--csv", csv, "--qubits", "1", "--layers", "2", "--epochs", "2", "--json",
                         "--save", path)
        assert rc == 0
        result = json.loads(out)
        assert result["dataset"] == "csv" and result["n_train"] == 35 and result["n_test"] == 15
        rc, out, _ = run(capsys, "evaluate", path, "--json")
        assert rc == 0 and json.loads(out)["final_loss"] == result["final_loss"]
        rc, _, err = run(capsys, "train", "--csv", csv, "--qubits", "1", "--layers", "1",
                         "--train-size", "40", "--test-size", "20")
        assert_one_line_error(rc, "", err, "--train-size + --test-size: expected at most 50")


def cli_restart_seeds(seed, restarts):
    from playground.trainer import restart_seeds

    return restart_seeds(seed, restarts)


# ------------------------------------------------------------------------------------------------ evaluate


class TestEvaluate:
    def test_reproduces_the_saved_metrics_exactly(self, capsys, saved_run):
        path, trained = saved_run
        rc, out, err = run(capsys, "evaluate", path, "--json")
        assert rc == 0 and err == ""
        result = json.loads(out)
        for key in ("train_accuracy", "test_accuracy", "final_loss", "steps", "seconds"):
            assert result[key] == trained[key], key
        for key in SETTING_KEYS:
            assert result[key] == trained[key], key
        assert result["matches_saved"] is True
        assert result["saved_metrics"]["final_loss"] == trained["final_loss"]

    def test_predictions_are_for_the_test_set(self, capsys, saved_run):
        path, _ = saved_run
        result = json.loads(run(capsys, "evaluate", path, "--json")[1])
        exp = load_experiment(path)
        _, test = exp.build_data()
        assert len(result["predictions"]) == test.n_samples == 40
        probs = np.array(result["probabilities"])
        assert probs.shape == (40, 2) and np.allclose(probs.sum(axis=1), 1.0)
        assert np.mean(np.array(result["predictions"]) == test.y) == result["test_accuracy"]

    def test_table(self, capsys, saved_run):
        rc, out, _ = run(capsys, "evaluate", saved_run[0])
        assert rc == 0
        assert "train acc" in out and "matches saved metrics: yes" in out

    def test_tampered_metrics_exit_1(self, capsys, saved_run, tmp_path):
        d = json.loads(saved_run[0].read_text())
        d["metrics"]["final_loss"] += 1e-9
        bad = tmp_path / "tampered.json"
        bad.write_text(json.dumps(d))
        rc, out, err = run(capsys, "evaluate", bad, "--json")
        assert rc == 1
        assert json.loads(out)["matches_saved"] is False
        assert err.startswith("playground: error: ") and "differ from the saved ones" in err
        assert len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------------------ export


class TestExport:
    def test_pennylane_export_matches_evaluate(self, capsys, saved_run, tmp_path):
        path, _ = saved_run
        script = tmp_path / "model.py"
        rc, _, err = run(capsys, "export", path, "--to", "pennylane", "-o", script)
        assert rc == 0 and "wrote" in err
        r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        got = json.loads(r.stdout)
        want = json.loads(run(capsys, "evaluate", path, "--json")[1])
        assert got["predictions"] == want["predictions"]
        assert np.max(np.abs(np.array(got["probabilities"]) - np.array(want["probabilities"]))) <= 1e-8

    def test_torch_export_to_stdout(self, capsys, saved_run):
        rc, out, _ = run(capsys, "export", saved_run[0], "--to", "torch")
        assert rc == 0
        assert "class ReuploadingClassifier(nn.Module):" in out
        compile(out, "model.py", "exec")

    def test_points_are_embedded(self, capsys, saved_run):
        rc, out, _ = run(capsys, "export", saved_run[0], "--to", "pennylane", "--point", "0.1,0.2", "--point=-1,1")
        assert rc == 0
        assert "POINTS = np.array([[0.1, 0.2], [-1.0, 1.0]])" in out

    def test_qasm_at_a_point(self, capsys, saved_run):
        rc, out, _ = run(capsys, "export", saved_run[0], "--to", "qasm", "--point", "0.25,-0.5")
        assert rc == 0
        openqasm3.parse(out)
        assert "x = [0.25, -0.5]" in out

    def test_qasm_defaults_to_the_first_test_point(self, capsys, saved_run):
        rc, out, _ = run(capsys, "export", saved_run[0], "--to", "qasm")
        assert rc == 0
        openqasm3.parse(out)
        first = load_experiment(saved_run[0]).build_data()[1].X[0]
        assert f"x = [{float(first[0])!r}, {float(first[1])!r}]" in out

    def test_export_errors(self, capsys, saved_run, tmp_path):
        path = saved_run[0]
        assert_one_line_error(*run(capsys, "export", path, "--to", "qasm", "--point", "1,2,3"),
                              "--point: expected 2 numbers")
        assert_one_line_error(*run(capsys, "export", path, "--to", "qasm", "--point", "1,2", "--point", "3,4"),
                              "--point: expected one point for qasm")
        assert_one_line_error(*run(capsys, "export", path, "--to", "qasm", "--point", "a,b"), "argument --point")
        assert_one_line_error(*run(capsys, "export", path, "--to", "svg"), "argument --to")
        assert_one_line_error(*run(capsys, "export", path, "--to", "torch", "-o", tmp_path / "no" / "x.py"), "-o:")
        d = json.loads(path.read_text())
        d["params"], d["metrics"] = None, None
        untrained = tmp_path / "untrained.json"
        untrained.write_text(json.dumps(d))
        assert_one_line_error(*run(capsys, "export", untrained, "--to", "pennylane"), "params: expected trained")
        assert_one_line_error(*run(capsys, "evaluate", untrained), "params: expected trained")


# ------------------------------------------------------------------------------------------------ errors


BAD_TRAIN = {
    "unknown dataset": (["--dataset", "mnist", "--qubits", "1", "--layers", "1"], "argument --dataset"),
    "qubits 99": (["--dataset", "circle", "--qubits", "99", "--layers", "1"], "--qubits: expected an integer in 1..6"),
    "qubits text": (["--dataset", "circle", "--qubits", "two", "--layers", "1"], "--qubits: expected an integer"),
    "qubits huge number": (["--dataset", "circle", "--qubits", "9" * 5000, "--layers", "1"], "--qubits"),
    "layers 0": (["--dataset", "circle", "--qubits", "1", "--layers", "0"], "--layers: expected an integer in 1..20"),
    "layers 21": (["--dataset", "circle", "--qubits", "1", "--layers", "21"], "--layers"),
    "no qubits": (["--dataset", "circle", "--layers", "1"], "--qubits"),
    "epochs": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--epochs", "1000000"],
               "--epochs: expected an integer in 1..100000"),
    "restarts": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--restarts", "101"],
                 "--restarts: expected an integer in 1..100"),
    "batch": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--batch-size", "0"], "--batch-size"),
    "train size": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--train-size", "20001"],
                   "--train-size: expected an integer in 1..20000"),
    "train + test": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--train-size", "15000",
                      "--test-size", "6000"], "--train-size + --test-size: expected at most 20000"),
    "noise": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--noise", "2"], "--noise"),
    "learning rate nan": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--learning-rate", "nan"],
                          "--learning-rate: expected a number in (0, 10]"),
    "seed": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--seed", "-1"], "--seed"),
    "cost": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--cost", "hinge"], "argument --cost"),
    "classes for a fixed dataset": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--classes", "3"],
                                    "data.n_classes: expected null or 2 for 'circle'"),
    "entangle one qubit": (["--dataset", "circle", "--qubits", "1", "--layers", "2", "--entangle"],
                           "n_qubits: expected at least 2 qubits"),
    "state read-out too small": (["--dataset", "blobs", "--classes", "6", "--qubits", "2", "--layers", "1"],
                                 "strategy: expected 'focused'"),
    "no dataset": (["--qubits", "1", "--layers", "1"], "--dataset: expected one of"),
    "csv without file": (["--dataset", "csv", "--qubits", "1", "--layers", "1"], "--csv: expected a CSV file"),
    "csv missing file": (["--csv", "/nonexistent/data.csv", "--qubits", "1", "--layers", "1"],
                         "source: expected a readable file"),
    "save to missing folder": (["--dataset", "circle", "--qubits", "1", "--layers", "1", "--save",
                                "/nonexistent/folder/run.json"], "--save: expected a file in an existing folder"),
}


class TestErrors:
    @pytest.mark.parametrize("name", list(BAD_TRAIN))
    def test_bad_train_flags(self, capsys, name):
        argv, fragment = BAD_TRAIN[name]
        assert_one_line_error(*run(capsys, "train", *argv), fragment)

    def test_malformed_csv(self, capsys, tmp_path):
        csv = tmp_path / "bad.csv"
        csv.write_text("x,y,label\n1,2,a\n3,oops,b\n")
        assert_one_line_error(*run(capsys, "train", "--csv", csv, "--qubits", "1", "--layers", "1"),
                              "row 3, column 2: expected a number")

    def test_missing_file(self, capsys, tmp_path):
        assert_one_line_error(*run(capsys, "evaluate", tmp_path / "nope.json"), "nope.json", "No such file")

    def test_folder_instead_of_file(self, capsys, tmp_path):
        assert_one_line_error(*run(capsys, "evaluate", tmp_path), str(tmp_path))

    @pytest.mark.parametrize(
        "mangle, fragment",
        [
            (lambda t: t[: len(t) // 2], "experiment: expected JSON text, got a parse error"),
            (lambda t: t.replace('"version": 1', '"version": 7'), "version: expected 1"),
            (lambda t: t.replace('"n_qubits":2', '"n_qubits":99'), "circuit.n_qubits"),
            (lambda t: t.replace('"params": [', '"params": [0.5,'), "params: expected 24 numbers, got 25"),
            (lambda t: t.replace('"params": [', '"params": [NaN,'), "params: expected 24 numbers"),
            (lambda t: "", "experiment: expected JSON text"),
            (lambda t: "\xff" * 10, "expected UTF-8 text"),
        ],
    )
    def test_malformed_files(self, capsys, saved_run, tmp_path, mangle, fragment):
        bad = tmp_path / "bad.json"
        text = mangle(saved_run[0].read_text(encoding="utf-8"))
        bad.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode("utf-8"))
        assert_one_line_error(*run(capsys, "evaluate", bad), fragment)
        assert_one_line_error(*run(capsys, "export", bad, "--to", "pennylane"), fragment)

    def test_huge_file(self, capsys, tmp_path):
        huge = tmp_path / "huge.json"
        with open(huge, "wb") as fh:
            fh.truncate(6_000_000)
        assert_one_line_error(*run(capsys, "evaluate", huge), "at most 5000000 bytes")

    def test_no_command_and_unknown_command(self, capsys):
        assert_one_line_error(*run(capsys), "expected a command")
        assert_one_line_error(*run(capsys, "fly"), "argument COMMAND")

    def test_help_exits_0(self, capsys):
        for cmd in ([], ["train"], ["evaluate"], ["export"], ["bench"], ["serve"]):
            rc, out, _ = run(capsys, *cmd, "--help")
            assert rc == 0 and "usage: playground" in out
        _, out, _ = run(capsys, "train", "--help")
        text = " ".join(out.split())
        assert "best fit of the *training* set" in " ".join(text.split()) and "test set plays no part" in " ".join(text.split())
        assert "local minimum" in text

    @pytest.mark.parametrize(
        "argv, fragment",
        [
            (["train", "--dataset", "nope", "--qubits", "1", "--layers", "1"], "argument --dataset"),
            (["train", "--dataset", "circle", "--qubits", "99", "--layers", "1"], "--qubits"),
            (["evaluate", "/nonexistent/run.json"], "No such file"),
            (["export", "/nonexistent/run.json", "--to", "qasm"], "No such file"),
        ],
    )
    def test_in_a_real_process(self, argv, fragment):
        assert_one_line_error(*run_process(*argv), fragment)

    def test_malformed_file_in_a_real_process(self, tmp_path):
        bad = tmp_path / "bad.json"
        bad.write_text('{"format": "reuploading-playground/experiment", "version": 1, "circuit": ')
        assert_one_line_error(*run_process("evaluate", bad), "parse error")


# ------------------------------------------------------------------------------------------------ bench, serve


class TestBenchAndServe:
    def test_bench_calls_the_benchmark_module(self, capsys, monkeypatch):
        calls = []
        fake = types.ModuleType("playground.bench")
        fake.run_benchmarks = lambda quick=False: calls.append(quick) or {"rows": [{"name": "x", "ms": 1.5}]}
        fake.format_report = lambda results: "REPORT " + results["rows"][0]["name"]
        monkeypatch.setitem(sys.modules, "playground.bench", fake)
        rc, out, _ = run(capsys, "bench", "--quick")
        assert rc == 0 and out.strip() == "REPORT x" and calls == [True]
        rc, out, _ = run(capsys, "bench", "--json")
        assert rc == 0 and json.loads(out) == {"rows": [{"name": "x", "ms": 1.5}]} and calls == [True, False]

    def test_bench_without_the_module_is_one_line(self, capsys, monkeypatch):
        monkeypatch.setitem(sys.modules, "playground.bench", None)  # an import of it raises ModuleNotFoundError
        assert_one_line_error(*run(capsys, "bench"), "bench")

    def test_serve_calls_the_app(self, capsys, monkeypatch):
        calls = []
        fake = types.ModuleType("apps.serve")
        fake.serve = lambda **kw: calls.append(kw)
        monkeypatch.setitem(sys.modules, "apps.serve", fake)
        rc, _, _ = run(capsys, "serve", "--port", "5123", "--no-browser", "--address", "0.0.0.0")
        assert rc == 0
        assert calls == [{"port": 5123, "show": False, "address": "0.0.0.0", "behind_proxy": False}]
        rc, _, _ = run(capsys, "serve")
        assert calls[-1] == {"port": 5006, "show": True, "address": "127.0.0.1", "behind_proxy": False}
        rc, _, _ = run(capsys, "serve", "--behind-proxy")
        assert rc == 0 and calls[-1]["behind_proxy"] is True

    def test_warmup_compiles_the_kernels_and_says_so(self, capsys):
        rc, out, err = run(capsys, "warmup")
        assert rc == 0 and out.startswith("kernels ready in ") and err == ""

    def test_warmup_without_numba_has_nothing_to_do(self, capsys, monkeypatch):
        from playground import engine

        monkeypatch.setattr(engine, "_numba_module", lambda: None)
        rc, out, err = run(capsys, "warmup")
        assert rc == 0 and out == "" and "Numba is not available" in err

    def test_serve_bad_port(self, capsys):
        assert_one_line_error(*run(capsys, "serve", "--port", "70000"), "--port")

    def test_serve_without_the_app_is_one_line(self, capsys, monkeypatch):
        monkeypatch.setitem(sys.modules, "apps.serve", None)
        assert_one_line_error(*run(capsys, "serve", "--no-browser"), "serve")


def test_no_ui_libraries_are_imported():
    code = (
        "import sys, playground, playground.cli, playground.experiment, playground.export\n"
        "bad = [m for m in ('panel', 'bokeh', 'holoviews') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


def test_console_script_is_installed():
    exe = os.path.join(os.path.dirname(sys.executable), "playground")
    assert os.path.exists(exe), "install the project first (pip install -e .): the console script is missing"
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "train" in r.stdout
