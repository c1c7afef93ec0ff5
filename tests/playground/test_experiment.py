"""Tests for playground.experiment: JSON round trip, reproduction of a run, and validation of every field."""

import copy
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.datasets import MAX_SAMPLES, load_csv, make_train_test
from playground.experiment import (
    EXPERIMENT_FORMAT,
    MAX_BYTES,
    SCORE_BACKEND,
    DataSpec,
    Experiment,
    ExperimentError,
    Metrics,
    TrainingSpec,
    load_experiment,
    thin_history,
)
from playground.spec import CircuitSpec, GateSpec, LayerSpec
from playground.trainer import HISTORY_FIELDS


def small_experiment(**kw) -> Experiment:
    base = dict(
        spec=CircuitSpec.paper(2, 2, entangled=True),
        data=DataSpec("circle", 30, 40, seed=3),
        cost="weighted_fidelity",
        training=TrainingSpec("adam", epochs=2, seed=5, batch_size=8),
    )
    base.update(kw)
    return Experiment(**base)


@pytest.fixture(scope="module")
def trained() -> Experiment:
    exp, _ = small_experiment().fit()
    return exp


@pytest.fixture(scope="module")
def trained_dict(trained) -> dict:
    return json.loads(trained.to_json())


CSV_TEXT = "a,b,c,label\n" + "".join(
    f"{i % 7},{(i * 3) % 11},{(i * 5) % 13 / 2},{['cat', 'dog', 'eel'][i % 3]}\n" for i in range(40)
)


def csv_experiment() -> Experiment:
    full = load_csv(CSV_TEXT, name="pets.csv")
    order = np.random.default_rng(0).permutation(full.n_samples)
    data = DataSpec.embedded(full.subset(order[:25]), full.subset(order[25:]), seed=0)
    return Experiment(CircuitSpec.paper(1, 2, n_features=3), data, training=TrainingSpec(epochs=1))


# ------------------------------------------------------------------------------------------------ round trip


class TestRoundTrip:
    def test_json_round_trip_is_exact(self, trained):
        back = Experiment.from_json(trained.to_json())
        assert back == trained
        assert np.array_equal(back.params, trained.params)
        assert back.metrics == trained.metrics
        assert back.spec == trained.spec
        assert back.to_json() == trained.to_json()

    def test_compact_form_is_one_line_and_equivalent(self, trained):
        text = trained.to_json(compact=True)
        assert "\n" not in text
        assert Experiment.from_json(text) == trained
        assert json.loads(text) == json.loads(trained.to_json())

    def test_top_level_layout(self, trained_dict):
        assert list(trained_dict) == [
            "format", "version", "circuit", "model", "data", "training", "params", "history", "metrics",
        ]
        assert trained_dict["format"] == EXPERIMENT_FORMAT
        assert trained_dict["version"] == 1
        assert trained_dict["circuit"] == CircuitSpec.paper(2, 2, entangled=True).to_dict()
        assert trained_dict["model"] == {"n_classes": 2, "cost": "weighted_fidelity", "strategy": "state"}
        assert trained_dict["data"] == {
            "dataset": "circle", "n_train": 30, "n_test": 40, "noise": 0.0, "seed": 3, "n_classes": None,
        }
        assert set(trained_dict["history"]) == set(HISTORY_FIELDS)
        assert set(trained_dict["metrics"]) == {"train_accuracy", "test_accuracy", "final_loss", "steps", "seconds"}

    def test_params_include_class_weights(self, trained):
        clf = trained.build_classifier()
        assert clf.n_weights == 4
        assert trained.params.shape == (clf.n_params,)

    def test_params_are_read_only(self, trained):
        with pytest.raises(ValueError):
            trained.params[0] = 1.0

    def test_untrained_experiment_round_trips(self):
        exp = small_experiment()
        d = json.loads(exp.to_json())
        assert d["params"] is None and d["metrics"] is None
        assert d["history"] == {k: [] for k in HISTORY_FIELDS}
        assert Experiment.from_json(exp.to_json()) == exp

    def test_no_test_set_writes_null_and_reads_back(self):
        exp, _ = small_experiment(data=DataSpec("circle", 20, 0, seed=1)).fit()
        d = json.loads(exp.to_json())
        assert d["metrics"]["test_accuracy"] is None
        assert d["history"]["test_accuracy"] == [None]
        back = Experiment.from_json(exp.to_json())
        assert back == exp
        assert math.isnan(back.history["test_accuracy"][0])
        assert back.score().same_scores(back.metrics)

    def test_embedded_csv_data_round_trips(self):
        exp, _ = csv_experiment().fit()
        d = json.loads(exp.to_json())
        assert d["data"]["dataset"] == "csv"
        assert d["data"]["class_names"] == ["cat", "dog", "eel"]
        assert len(d["data"]["X_train"]) == 25 and len(d["data"]["y_test"]) == 15
        back = Experiment.from_json(exp.to_json())
        assert back == exp
        (tr0, te0), (tr1, te1) = exp.build_data(), back.build_data()
        assert np.array_equal(tr0.X, tr1.X) and np.array_equal(te0.y, te1.y)
        assert tr1.class_names == ("cat", "dog", "eel")
        assert back.score() == back.metrics

    def test_load_experiment_reads_a_file(self, trained, tmp_path):
        path = tmp_path / "run.json"
        path.write_text(trained.to_json(), encoding="utf-8")
        assert load_experiment(path) == trained
        assert load_experiment(str(path)) == trained

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=15, max_size=15))
    def test_any_finite_params_round_trip_bit_for_bit(self, values):
        exp = Experiment(CircuitSpec.paper(1, 3, n_features=2), DataSpec("circle", 5, 5, seed=0), params=values)
        assert exp.build_classifier().n_params == 15
        back = Experiment.from_json(exp.to_json())
        assert back.params.tobytes() == np.array(values, dtype=np.float64).tobytes()


# ------------------------------------------------------------------------------------------------ reproduction


class TestReproduction:
    def test_score_equals_saved_metrics_exactly(self, trained):
        back = Experiment.from_json(trained.to_json())
        m = back.score()
        assert m == trained.metrics  # steps and seconds are carried, the rest recomputed
        assert m.same_scores(trained.metrics)

    def test_metrics_are_the_trainers_last_record(self):
        exp = small_experiment()
        trainer = exp.make_trainer(backend=SCORE_BACKEND)
        rec = trainer.run(3, record_every_epoch=False)
        saved = Experiment.from_trainer(trainer, exp.data, epochs=3)
        assert saved.metrics.train_accuracy == rec["train_accuracy"]
        assert saved.metrics.test_accuracy == rec["test_accuracy"]
        assert saved.metrics.final_loss == rec["train_loss"]
        assert saved.metrics.steps == trainer.n_steps
        assert saved.history["train_loss"] == trainer.history["train_loss"]

    def test_kept_seed_reproduces_the_kept_restart(self):
        exp = small_experiment(training=TrainingSpec("adam", epochs=2, seed=11, restarts=3, batch_size=8))
        trained, records = exp.fit()
        assert len(records) == 3
        losses = [r["train_loss"] for r in records]
        kept = records[int(np.argmin(losses))]
        assert trained.training.kept_seed == kept["seed"]
        # records come from the training backend, metrics from the reference one: equal to rounding
        assert trained.metrics.final_loss == pytest.approx(min(losses), rel=0, abs=1e-12)
        assert trained.training.seed == 11 and trained.training.restarts == 3
        again = trained.make_trainer(trained.training.kept_seed)
        again.run(trained.training.epochs, record_every_epoch=False)
        assert np.array_equal(again.params, trained.params)

    def test_make_trainer_uses_every_setting(self, trained):
        t = trained.make_trainer()
        assert t.optimizer.name == "adam" and t.batch_size == 8 and t.seed == 5 and t.init == "uniform"
        assert t.classifier.cost == "weighted_fidelity"
        assert t.train.n_samples == 30 and t.test.n_samples == 40
        assert not np.array_equal(t.params, trained.params)
        resumed = trained.make_trainer(resume=True)
        assert np.array_equal(resumed.params, trained.params)

    def test_resume_needs_params(self):
        with pytest.raises(ExperimentError, match="params"):
            small_experiment().make_trainer(resume=True)

    def test_from_trainer_rejects_data_settings_that_do_not_match(self):
        exp = small_experiment()
        trainer = exp.make_trainer()
        trainer.step()
        with pytest.raises(ExperimentError, match="^data: "):
            Experiment.from_trainer(trainer, DataSpec("circle", 30, 40, seed=4), epochs=1)

    def test_a_diverged_run_is_refused_with_a_hint(self):
        exp = small_experiment()
        trainer = exp.make_trainer()
        trainer.step()
        trainer.params[0] = np.nan
        with pytest.raises(ExperimentError, match="^params: .*training diverged"):
            Experiment.from_trainer(trainer, exp.data, epochs=1)

    def test_infinite_history_values_are_kept_as_not_available(self):
        exp = small_experiment()
        trainer = exp.make_trainer()
        trainer.run(1)
        trainer.history["loss"][0] = np.inf
        saved = Experiment.from_trainer(trainer, exp.data, epochs=1)
        assert json.loads(saved.to_json())["history"]["loss"][0] is None

    def test_long_histories_are_thinned(self):
        h = {k: list(range(50)) for k in HISTORY_FIELDS}
        thin = thin_history(h, 10)
        assert len(thin["step"]) == 10 and thin["step"][0] == 0 and thin["step"][-1] == 49
        assert thin_history(h, 100) == h

    def test_score_uses_the_reference_backend_whatever_the_environment(self, trained, monkeypatch):
        from playground import engine

        seen = []
        forward = engine.forward

        def spy(*args, backend=None, **kw):
            seen.append(backend)
            return forward(*args, backend=backend, **kw)

        monkeypatch.setattr(engine, "forward", spy)
        monkeypatch.setenv("PLAYGROUND_BACKEND", "numba")
        assert trained.score() == trained.metrics
        assert seen and set(seen) == {SCORE_BACKEND} == {"numpy"}

    def test_score_without_params_is_an_error(self):
        with pytest.raises(ExperimentError, match="^params: "):
            small_experiment().score()


# ------------------------------------------------------------------------------------------------ validation


def _set(path, value):
    def mangle(d):
        node = d
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mangle


def _delete(path):
    def mangle(d):
        node = d
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mangle


def _shorten_params(d):
    d["params"] = d["params"][:-2]


def _string_param(d):
    d["params"][3] = "0.5"


def _bool_param(d):
    d["params"][0] = True


def _history_length(d):
    d["history"]["loss"].append(0.1)


MANGLES = {
    "format": (_set(["format"], "something/else"), "format: expected"),
    "version too new": (_set(["version"], 2), "version: expected 1"),
    "version as text": (_set(["version"], "1"), "version: expected 1"),
    "unknown top-level key": (_set(["extra"], 1), "experiment: expected only the keys"),
    "missing params": (_delete(["params"]), "experiment.params: expected a value"),
    "params too short": (_shorten_params, "params: expected 24 numbers, got 22"),
    "params not a list": (_set(["params"], {"a": 1}), "params: expected null or a list"),
    "param as text": (_string_param, "params[3]: expected a finite number"),
    "param as bool": (_bool_param, "params[0]: expected a finite number"),
    "circuit qubits": (_set(["circuit", "n_qubits"], 99), "circuit.n_qubits: expected an integer in 1..6"),
    "circuit not an object": (_set(["circuit"], [1, 2]), "circuit.circuit: expected"),
    "circuit features": (_set(["circuit", "n_features"], 3), "circuit.n_features: expected 2"),
    "model cost": (_set(["model", "cost"], "hinge"), "model.cost: expected one of"),
    "model classes": (_set(["model", "n_classes"], 1), "model.n_classes: expected an integer in 2..6"),
    "model classes below the data's": (_set(["data", "dataset"], "squares"), "model.n_classes: expected at least 4"),
    "model strategy": (_set(["model", "strategy"], "all"), "model.strategy: expected one of"),
    "model unknown key": (_set(["model", "lr"], 1), "model: expected only the keys"),
    "data dataset": (_set(["data", "dataset"], "mnist"), "data.dataset: expected one of"),
    "data seed missing": (_set(["data", "seed"], None), "data.seed: expected an integer"),
    "data seed negative": (_set(["data", "seed"], -1), "data.seed: expected an integer in 0.."),
    "data n_train zero": (_set(["data", "n_train"], 0), "data.n_train: expected an integer in 1..20000"),
    "data n_train bool": (_set(["data", "n_train"], True), "data.n_train: expected an integer"),
    "data n_train float": (_set(["data", "n_train"], 30.0), "data.n_train: expected an integer"),
    "data too many points": (_set(["data", "n_test"], MAX_SAMPLES - 1), "data.n_train + data.n_test: expected at most"),
    "data noise": (_set(["data", "noise"], 2.0), "data.noise: expected a number in [0, 1]"),
    "data classes option": (_set(["data", "n_classes"], 3), "data.n_classes: expected null or 2"),
    "training optimizer": (_set(["training", "optimizer"], "rmsprop"), "training.optimizer: expected one of"),
    "training epochs": (_set(["training", "epochs"], 0), "training.epochs: expected an integer in 1..100000"),
    "training restarts": (_set(["training", "restarts"], 1000), "training.restarts: expected an integer in 1..100"),
    "training batch": (_set(["training", "batch_size"], 0), "training.batch_size: expected an integer in 1..20000"),
    "training lr zero": (_set(["training", "learning_rate"], 0.0), "training.learning_rate: expected null or a number"),
    "training lr text": (_set(["training", "learning_rate"], "fast"), "training.learning_rate: expected a number"),
    "training lr too large for a float": (_set(["training", "learning_rate"], 10**400), "training.learning_rate: expected"),
    "training init": (_set(["training", "init"], "normal"), "training.init: expected one of"),
    "training missing key": (_delete(["training", "seed"]), "training.seed: expected a value"),
    "history lengths": (_history_length, "history.loss: expected 1 values"),
    "history accuracy": (_set(["history", "train_accuracy"], [1.5]), "history.train_accuracy[0]: expected null or a number in [0, 1]"),
    "history step": (_set(["history", "step"], [-1]), "history.step[0]: expected an integer"),
    "history not lists": (_set(["history", "loss"], 3), "history.loss: expected a list"),
    "history missing key": (_delete(["history", "epoch"]), "history.epoch: expected a value"),
    "metrics accuracy": (_set(["metrics", "test_accuracy"], 1.5), "metrics.test_accuracy: expected a number in [0, 1]"),
    "metrics loss text": (_set(["metrics", "final_loss"], "low"), "metrics.final_loss: expected a finite number"),
    "metrics loss too large for a float": (_set(["metrics", "final_loss"], -(10**400)), "metrics.final_loss: expected"),
    "metrics without params": (_set(["params"], None), "metrics: expected null when params is null"),
    "metrics not an object": (_set(["metrics"], 0.9), "metrics: expected a JSON object"),
}


class TestValidation:
    @pytest.mark.parametrize("name", list(MANGLES))
    def test_mangled_field_names_itself(self, trained_dict, name):
        mangle, message = MANGLES[name]
        d = copy.deepcopy(trained_dict)
        mangle(d)
        with pytest.raises(ExperimentError) as err:
            Experiment.from_json(json.dumps(d))
        text = str(err.value)
        assert message in text
        assert "\n" not in text
        assert isinstance(err.value, ValueError)

    def test_the_untouched_dict_loads(self, trained_dict, trained):
        assert Experiment.from_dict(copy.deepcopy(trained_dict)) == trained

    @pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
    def test_non_finite_params_are_rejected(self, trained, constant):
        text = trained.to_json().replace('"params": [', f'"params": [{constant},', 1)
        d_len = len(trained.params) + 1
        with pytest.raises(ExperimentError, match=f"params: expected {d_len - 1} numbers, got {d_len}"):
            Experiment.from_json(text)
        # same length, one value replaced: the message names the position
        first = repr(float(trained.params[0]))
        text = trained.to_json().replace(f'"params": [{first},', f'"params": [{constant},', 1)
        with pytest.raises(ExperimentError, match=r"^params\[0\]: expected a finite number"):
            Experiment.from_json(text)

    def test_nan_metric_is_rejected(self, trained):
        d = json.loads(trained.to_json())
        d["metrics"]["final_loss"] = float("nan")
        text = json.dumps(d)  # Python writes the non-standard constant NaN
        assert '"final_loss": NaN' in text
        with pytest.raises(ExperimentError, match="metrics.final_loss: expected a finite number"):
            Experiment.from_json(text)

    @pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
    def test_truncated_json(self, trained, cut):
        text = trained.to_json()
        with pytest.raises(ExperimentError, match="^experiment: expected JSON text, got a parse error at line"):
            Experiment.from_json(text[: int(len(text) * cut)])

    def test_empty_text(self):
        with pytest.raises(ExperimentError, match="expected JSON text"):
            Experiment.from_json("")

    def test_not_an_object(self):
        with pytest.raises(ExperimentError, match="^experiment: expected a JSON object"):
            Experiment.from_json("[1, 2, 3]")

    def test_invalid_utf8(self, trained):
        raw = trained.to_json().encode("utf-8")
        raw = raw[:20] + b"\xff\xfe" + raw[20:]
        with pytest.raises(ExperimentError, match="^experiment: expected UTF-8 text, got byte 0xff at offset 20"):
            Experiment.from_json(raw)

    def test_duplicate_keys(self, trained):
        text = trained.to_json().replace('"version": 1,', '"version": 1, "version": 1,', 1)
        with pytest.raises(ExperimentError, match="'version' twice"):
            Experiment.from_json(text)

    def test_deep_nesting(self):
        with pytest.raises(ExperimentError, match="^experiment: expected"):
            Experiment.from_json("[" * 100_000 + "]" * 100_000)

    def test_huge_text(self, trained):
        text = trained.to_json()
        padded = text[:-2] + " " * (MAX_BYTES + 1 - len(text)) + text[-2:]
        with pytest.raises(ExperimentError, match=f"^experiment: expected at most {MAX_BYTES} bytes"):
            Experiment.from_json(padded)

    def test_huge_file_is_refused_before_reading(self, tmp_path):
        path = tmp_path / "huge.json"
        with open(path, "wb") as fh:
            fh.truncate(MAX_BYTES + 1)  # sparse: refused by its size
        with pytest.raises(ExperimentError, match="expected a file of at most 5000000 bytes"):
            load_experiment(path)

    def test_missing_file_is_an_os_error(self, tmp_path):
        with pytest.raises(OSError):
            load_experiment(tmp_path / "nope.json")

    def test_writing_more_than_the_limit_is_refused(self):
        n = 100_000
        history = {k: [0.123456789012345] * n for k in HISTORY_FIELDS}
        history["step"] = list(range(n))
        history["epoch"] = list(range(n))
        exp = small_experiment(history=history)
        with pytest.raises(ExperimentError, match="^experiment: expected at most 5000000 bytes of JSON"):
            exp.to_json()

    def test_embedded_data_checks(self):
        base = json.loads(csv_experiment().to_json())
        cases = {
            ("X_train", 0, 0): (5.0, r"data.X_train\[0\]\[0\]: expected a number in \[-1, 1\]"),
            ("y_train", 1): (7, r"data.y_train\[1\]: expected an integer label in 0..2"),
            ("y_test", 0): ("cat", r"data.y_test\[0\]: expected an integer label"),
        }
        for path, (value, message) in cases.items():
            d = copy.deepcopy(base)
            node = d["data"]
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            with pytest.raises(ExperimentError, match=message):
                Experiment.from_dict(d)
        d = copy.deepcopy(base)
        d["data"]["X_train"][2] = [0.1, 0.2]
        with pytest.raises(ExperimentError, match=r"data.X_train\[2\]: expected a row of 3 numbers"):
            Experiment.from_dict(d)
        d = copy.deepcopy(base)
        d["data"]["n_train"] = 24
        with pytest.raises(ExperimentError, match="data.n_train: expected 25"):
            Experiment.from_dict(d)
        d = copy.deepcopy(base)
        d["data"]["noise"] = 0.1
        with pytest.raises(ExperimentError, match="data.noise: expected 0"):
            Experiment.from_dict(d)
        d = copy.deepcopy(base)
        d["data"]["class_names"] = ["cat"]
        with pytest.raises(ExperimentError, match="data.class_names: expected a list of 2..6"):
            Experiment.from_dict(d)
        d = copy.deepcopy(base)
        del d["data"]["X_test"]
        with pytest.raises(ExperimentError, match="data.X_test: expected a value"):
            Experiment.from_dict(d)
        d = copy.deepcopy(base)
        d["data"]["dataset"] = "circle"  # registry data may not carry points
        with pytest.raises(ExperimentError, match="^data: expected only the keys"):
            Experiment.from_dict(d)

    def test_constructor_checks_too(self):
        spec = CircuitSpec.paper(1, 2)
        data = DataSpec("circle", 10, 10, seed=0)
        with pytest.raises(ExperimentError, match="params: expected 10 numbers, got 3"):
            Experiment(spec, data, params=np.zeros(3))
        with pytest.raises(ExperimentError, match="circuit.n_features: expected 3"):
            Experiment(CircuitSpec.paper(1, 2), DataSpec("sphere", 10, 10, seed=0))
        with pytest.raises(ExperimentError, match="model.strategy: expected 'focused'"):
            Experiment(CircuitSpec.paper(2, 1), DataSpec("blobs", 10, 10, seed=0, n_classes=6))
        with pytest.raises(ExperimentError, match="data.n_classes: expected null or an integer in 2..6"):
            DataSpec("blobs", 10, 10, seed=0, n_classes=9)
        with pytest.raises(ExperimentError, match="data.seed"):
            DataSpec("circle", 10, 10)
        with pytest.raises(ExperimentError, match="metrics: expected null when params is null"):
            Experiment(spec, data, metrics=Metrics(1.0, 1.0, 0.0))
        train, test = make_train_test("circle", 5, 5, seed=0)
        with pytest.raises(ExperimentError, match="data.custom"):
            DataSpec("circle", 5, 5, seed=0, custom=(train, test))

    def test_hand_built_spec_with_every_gate_kind(self):
        slot = (
            GateSpec("compressed"),
            GateSpec("original"),
            GateSpec.rot("rx"),
            GateSpec.rot("ry", "feature", feature=1),
            GateSpec.rot("rz", "data", feature=0),
            GateSpec.rot("rx", "fixed", value=0.3),
        )
        spec = CircuitSpec(1, (LayerSpec((slot,)),), 2)
        exp = Experiment(spec, DataSpec("circle", 5, 5, seed=0), params=np.arange(spec.n_params) / 10)
        assert Experiment.from_json(exp.to_json()) == exp


# ------------------------------------------------------------------------------------------------ robustness


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_random_corruption_never_raises_anything_else(data):
    exp = small_experiment(params=np.linspace(-1, 1, 24))
    text = exp.to_json(compact=True)
    pos = data.draw(st.integers(0, len(text) - 1))
    action = data.draw(st.sampled_from(["delete", "replace", "insert"]))
    char = data.draw(st.sampled_from(list('{}[],:"0123456789.-eEnulltrfa \\')))
    if action == "delete":
        mangled = text[:pos] + text[pos + 1 :]
    elif action == "replace":
        mangled = text[:pos] + char + text[pos + 1 :]
    else:
        mangled = text[:pos] + char + text[pos:]
    try:
        back = Experiment.from_json(mangled)
    except ExperimentError as err:
        assert "\n" not in str(err)
    else:
        assert isinstance(back, Experiment)
