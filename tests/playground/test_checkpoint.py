"""Exact training checkpoints: JSON and share-link round trips continue bit for bit; bad checkpoints change nothing."""

import base64
import copy
import json
import math
import zlib

import numpy as np
import pytest

from playground.classifier import Classifier
from playground.datasets import make_train_test
from playground.links import MAX_INFLATED, MAX_LINK_CHARS, LinkError, decode_checkpoint, encode_checkpoint, encode_circuit
from playground.optim import LBFGS, SGD, Adam
from playground.spec import CircuitSpec
from playground.trainer import CHECKPOINT_KEYS, HISTORY_FIELDS, Trainer

SPEC = CircuitSpec.paper(2, 3, entangled=True)
N_TRAIN = 60


@pytest.fixture(scope="module")
def data():
    return make_train_test("circle", N_TRAIN, 40, seed=1)


def make(data, spec=SPEC, **kw):
    kw.setdefault("seed", 7)
    return Trainer(Classifier(spec, n_classes=2), *data, **kw)


def through_link(state):
    """Checkpoint → JSON text → plain data → share-link value → plain data, as a page opened from a link sees it."""
    plain = json.loads(json.dumps(state, allow_nan=False))
    return decode_checkpoint(encode_checkpoint(plain))


def assert_same_run(a, b, steps=5):
    """Both trainers' next ``steps`` steps give identical losses, parameters and counters."""
    for i in range(steps):
        la, lb = a.step(), b.step()
        assert la == lb, f"step {i}: loss {la!r} != {lb!r}"
        assert np.array_equal(a.params, b.params), f"step {i}: parameters differ"
        assert (a.n_steps, a.epoch) == (b.n_steps, b.epoch), f"step {i}"


def quadratic(p):
    return float(np.sum((p - 3.0) ** 2 + 0.1 * p**4)), 2 * (p - 3.0) + 0.4 * p**3


# ------------------------------------------------------------------------------------------------ optimizers


@pytest.mark.parametrize("make_opt", [lambda: Adam(0.1), lambda: SGD(0.01, 0.8), lambda: LBFGS(history=3)])
def test_optimizer_state_round_trips_exactly(make_opt):
    opt = make_opt()
    p = np.linspace(-1, 1, 5)
    for _ in range(6):
        p, _ = opt.step(p, quadratic)
    state = json.loads(json.dumps(opt.state_dict(), allow_nan=False))
    other = make_opt()
    other.learning_rate = 0.5  # the state's learning rate must replace this
    other.load_state(state, len(p))
    assert other.state_dict() == opt.state_dict()
    q = p.copy()
    for _ in range(4):
        (p, la), (q, lb) = opt.step(p, quadratic), other.step(q, quadratic)
        assert la == lb and np.array_equal(p, q)


def test_a_fresh_optimizer_state_round_trips():
    for cls in (Adam, SGD, LBFGS):
        state = json.loads(json.dumps(cls().state_dict()))
        other = cls()
        other.load_state(state, 4)
        assert other.state_dict() == cls().state_dict()


def _lbfgs_state():
    opt = LBFGS(history=2)
    p = np.linspace(-1, 1, 4)
    for _ in range(4):
        p, _ = opt.step(p, quadratic)
    assert len(opt.pairs) == 2 and opt._last is not None
    return opt, json.loads(json.dumps(opt.state_dict()))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s.update(pairs=s["pairs"] + s["pairs"][:1]), r"optimizer\.pairs: expected a list of at most 2 "),
        (lambda s: s.update(history=0), r"optimizer\.history: expected an integer in 1\.\.1000, got 0"),
        (lambda s: s["pairs"][1][0].pop(), r"optimizer\.pairs\[1\]\[0\]: expected a list of 4 finite numbers, got a list of 3"),
        (lambda s: s["pairs"][0].__setitem__(2, -1.0), r"optimizer\.pairs\[0\]\[2\]: expected a positive finite number"),
        (lambda s: s["last"][2].__setitem__(1, math.inf), r"optimizer\.last\[2\]\[1\]: expected a finite number, got inf"),
        (lambda s: s.update(converged=1), r"optimizer\.converged: expected true or false, got 1"),
        (lambda s: s.update(name="adam"), r"optimizer\.name: expected 'lbfgs', got 'adam'"),
        (lambda s: s.update(learning_rate=0.0), r"optimizer\.learning_rate: expected a number in \(0, 10\], got 0\.0"),
        (lambda s: s.update(extra=1), r"optimizer: expected only the keys .*, got 'extra'"),
        (lambda s: s.pop("max_evals"), r"optimizer\.max_evals: expected a value, got none"),
    ],
)
def test_lbfgs_load_state_rejects_bad_state_and_changes_nothing(edit, message):
    _, state = _lbfgs_state()
    edit(state)
    opt = LBFGS(learning_rate=0.7, history=5)  # a different optimizer with state of its own
    p = np.full(4, 0.5)
    for _ in range(2):
        p, _ = opt.step(p, quadratic)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state(state, 4)
    assert opt.state_dict() == before and opt.pairs.maxlen == 5


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s.update(m=s["m"][:-1]), r"optimizer\.m: expected a list of 4 finite numbers, got a list of 3"),
        (lambda s: s["v"].__setitem__(0, "0.1"), r"optimizer\.v\[0\]: expected a finite number, got '0\.1'"),
        (lambda s: s["v"].__setitem__(0, True), r"optimizer\.v\[0\]: expected a finite number, got True"),
        (lambda s: s.update(v=None), r"optimizer\.v: expected null exactly when optimizer\.m is null"),
        (lambda s: s.update(t=-1), r"optimizer\.t: expected an integer in 0\.\.1000000000, got -1"),
        (lambda s: s.update(t=2.0), r"optimizer\.t: expected an integer"),
        (lambda s: s.update(beta2=1.0), r"optimizer\.beta2: expected a number in \[0, 1\), got 1\.0"),
        (lambda s: s.update(eps=math.nan), r"optimizer\.eps: expected a number in \(0, 1\], got nan"),
        (lambda s: s["m"].__setitem__(2, 10**400), r"optimizer\.m\[2\]: expected a finite number"),
    ],
)
def test_adam_load_state_rejects_bad_state_and_changes_nothing(edit, message):
    source = Adam(0.1)
    p = np.zeros(4)
    for _ in range(3):
        p, _ = source.step(p, quadratic)
    state = json.loads(json.dumps(source.state_dict()))
    opt = Adam(0.3, beta1=0.8)  # a different optimizer with state of its own
    opt.step(np.ones(4), quadratic)
    before = opt.state_dict()
    edit(state)
    with pytest.raises(ValueError, match=message):
        opt.load_state(state, 4)
    assert opt.state_dict() == before


# ------------------------------------------------------------------------------------------------ trainers


@pytest.mark.parametrize(
    "optimizer, batch_size, k, cursor",
    [
        ("adam", 16, 6, 32),  # mid-epoch: 2 of 4 batches of the second epoch used
        ("adam", 16, 4, 0),  # at an epoch boundary (the order is used up, the next step draws a new one)
        ("sgd", 16, 7, 48),  # mid-epoch, one batch before the boundary
        ("sgd", 64, 3, 0),  # full batch: batch size ≥ points
        ("lbfgs", 16, 4, 0),  # full batch by nature
        ("adam", 16, 0, 0),  # before any step (last loss NaN, no order drawn yet)
    ],
)
def test_restored_trainer_continues_bit_for_bit(data, optimizer, batch_size, k, cursor):
    a = make(data, optimizer=optimizer, batch_size=batch_size)
    for _ in range(k):
        a.step()
        if a.n_steps % 3 == 0:
            a.record()
    state = through_link(a.checkpoint())
    assert set(state) == set(CHECKPOINT_KEYS)
    assert state["cursor"] == cursor and (state["order_rng"] is None) == (cursor == 0)
    b = make(data, optimizer="sgd" if optimizer != "sgd" else "adam", batch_size=5, seed=99)  # everything differs
    b.restore(state)
    assert b.optimizer.name == optimizer and b.batch_size == batch_size
    assert b.optimizer.state_dict() == a.optimizer.state_dict()
    assert (b.n_steps, b.epoch) == (a.n_steps, a.epoch) and b.history == a.history
    assert b._rng.bit_generator.state == a._rng.bit_generator.state
    if cursor:
        assert np.array_equal(b._order, a._order)  # redrawn from order_rng, not stored
    assert_same_run(a, b)


def test_restore_after_an_edit_continues_bit_for_bit(data):
    a = make(data, batch_size=16)
    for _ in range(6):  # cursor 32 of 60, mid-epoch
        a.step()
    edited = Classifier(SPEC.with_n_layers(4), n_classes=2)
    a.set_classifier(edited)  # draws fresh parameters after the batch order was drawn
    for _ in range(1):
        a.step()
    state = through_link(a.checkpoint())
    assert state["cursor"] == 48 and len(state["params"]) == edited.n_params
    b = make(data, spec=SPEC.with_n_layers(4), batch_size=16)
    b.restore(state)
    assert_same_run(a, b, steps=6)  # crosses the epoch boundary: the next order comes from the restored generator


def test_restore_keeps_the_order_through_a_full_batch_interlude(data):
    a = make(data, batch_size=16)
    for _ in range(2):
        a.step()
    a.set_optimizer("lbfgs")
    a.step()
    b = make(data, batch_size=16)
    b.restore(through_link(a.checkpoint()))
    assert_same_run(a, b, steps=2)
    a.set_optimizer("adam")
    b.set_optimizer("adam")
    assert_same_run(a, b, steps=4)


def test_reset_after_restore_goes_back_to_this_trainers_start(data):
    a = make(data, batch_size=16)
    for _ in range(5):
        a.step()
    b = make(data, batch_size=16)
    b.restore(through_link(a.checkpoint()))
    b.reset()
    assert b.n_steps == 0 and b.epoch == 0 and b.history["step"] == []
    assert_same_run(make(data, batch_size=16), b, steps=6)


def test_history_is_thinned_keeping_first_and_last_rows(data):
    a = make(data, batch_size=16)
    a.step()
    n = 1000
    a.history = {
        "step": list(range(n)),
        "epoch": [i // 4 for i in range(n)],
        "loss": [1.0 / (i + 1) for i in range(n)],
        "train_loss": [math.nan] + [0.5] * (n - 1),
        "train_accuracy": [0.5] * n,
        "test_accuracy": [math.nan] * n,
    }
    state = a.checkpoint(max_history_rows=50)
    h = state["history"]
    assert set(h) == set(HISTORY_FIELDS)
    assert all(len(v) == 50 for v in h.values())
    assert h["step"][0] == 0 and h["step"][-1] == n - 1
    assert h["loss"][0] == 1.0 and h["loss"][-1] == 1.0 / n
    assert h["train_loss"][0] is None and h["test_accuracy"] == [None] * 50  # NaN travels as null
    assert all(x < y for x, y in zip(h["step"], h["step"][1:]))
    b = make(data, batch_size=16)
    b.restore(through_link(state))
    assert b.history["step"] == h["step"] and math.isnan(b.history["train_loss"][0])
    assert len(a.checkpoint()["history"]["step"]) == 400
    assert a.checkpoint(max_history_rows=2000)["history"]["step"] == list(range(n))
    with pytest.raises(ValueError, match="max_history_rows: expected an integer in 2.."):
        a.checkpoint(max_history_rows=1)


def _pcg(state):
    return state["rng"]


BAD_CHECKPOINTS = [
    (lambda s: s.update(params=s["params"][:-1]), r"params: expected a list of 30 finite numbers, got a list of 29"),
    (lambda s: s["params"].__setitem__(3, math.nan), r"params\[3\]: expected a finite number, got nan"),
    (lambda s: s["params"].__setitem__(0, None), r"params\[0\]: expected a finite number, got None"),
    (lambda s: s["optimizer"].update(name="rmsprop"), r"optimizer\.name: expected one of adam, sgd, lbfgs, got 'rmsprop'"),
    (lambda s: s.update(optimizer=[]), r"optimizer\.name: expected one of adam, sgd, lbfgs, got a list of 0"),
    (lambda s: s["optimizer"].update(m=[0.0] * 3), r"optimizer\.m: expected a list of 30 finite numbers"),
    (lambda s: _pcg(s).update(extra=1), r"rng: expected only the keys .*, got 'extra'"),
    (lambda s: _pcg(s).pop("uinteger"), r"rng\.uinteger: expected a value, got none"),
    (lambda s: _pcg(s)["state"].pop("inc"), r"rng\.state\.inc: expected a value, got none"),
    (lambda s: _pcg(s)["state"].update(state=-5), r"rng\.state\.state: expected an integer in 0\.\.2\*\*128-1, got -5"),
    (lambda s: _pcg(s)["state"].update(state=2**128), r"rng\.state\.state: expected an integer in 0\.\.2\*\*128-1"),
    (lambda s: _pcg(s)["state"].update(state=1.5), r"rng\.state\.state: expected an integer"),
    (lambda s: _pcg(s)["state"].update(state="123"), r"rng\.state\.state: expected an integer"),
    (lambda s: _pcg(s)["state"].update(inc=4), r"rng\.state\.inc: expected an odd integer"),
    (lambda s: _pcg(s).update(has_uint32=True), r"rng\.has_uint32: expected an integer in 0\.\.1, got True"),
    (lambda s: _pcg(s).update(uinteger=2**32), r"rng\.uinteger: expected an integer in 0\.\.4294967295"),
    (lambda s: _pcg(s).update(bit_generator="MT19937"), r"rng\.bit_generator: expected 'PCG64', got 'MT19937'"),
    (lambda s: s.update(rng=None), r"rng: expected an object with the keys"),
    (lambda s: s["order_rng"]["state"].update(state=-1), r"order_rng\.state\.state: expected an integer"),
    (lambda s: s.update(cursor=N_TRAIN + 1), rf"cursor: expected an integer in 0\.\.{N_TRAIN}, got {N_TRAIN + 1}"),
    (lambda s: s.update(cursor=-1), rf"cursor: expected an integer in 0\.\.{N_TRAIN}, got -1"),
    (lambda s: s.update(cursor=N_TRAIN), r"cursor: expected an integer in 0\.\.59 while a batch order is in use"),
    (lambda s: s.update(n_train=N_TRAIN + 1), rf"n_train: expected {N_TRAIN} \(this trainer's training points\)"),
    (lambda s: s.update(n_steps=-1), r"n_steps: expected an integer in 0\.\.1000000000, got -1"),
    (lambda s: s.update(epoch=10**10), r"epoch: expected an integer in 0\.\.1000000000"),
    (lambda s: s.update(n_steps=False), r"n_steps: expected an integer"),
    (lambda s: s.update(batch_size=0), r"batch_size: expected an integer in 1\.\.20000, got 0"),
    (lambda s: s.update(last_loss="low"), r"last_loss: expected null or a finite number, got 'low'"),
    (lambda s: s.update(version=2), r"version: expected 1, got 2"),
    (lambda s: s.pop("history"), r"checkpoint\.history: expected a value, got none"),
    (lambda s: s.update(surprise=1), r"checkpoint: expected only the keys .*, got 'surprise'"),
    (lambda s: s["history"]["loss"].pop(), r"history\.loss: expected 2 values \(as history\.step\), got a list of 1"),
    (
        lambda s: s["history"]["train_accuracy"].__setitem__(1, 1.5),
        r"history\.train_accuracy\[1\]: expected null or a number in \[0, 1\], got 1\.5",
    ),
    (lambda s: s["history"]["step"].__setitem__(0, -1), r"history\.step\[0\]: expected an integer in 0\.\.1000000000"),
]


@pytest.mark.parametrize("edit, message", BAD_CHECKPOINTS)
def test_bad_checkpoints_raise_one_line_and_change_nothing(data, edit, message):
    a = make(data, batch_size=16)
    for _ in range(6):
        a.step()
        if a.n_steps % 3 == 0:
            a.record()
    good = through_link(a.checkpoint())
    assert good["cursor"] == 32 and good["order_rng"] is not None
    bad = copy.deepcopy(good)
    edit(bad)
    b = make(data, batch_size=8, optimizer="sgd", seed=3)
    for _ in range(3):
        b.step()
    b.record()
    before = (b.params.copy(), b.n_steps, b.epoch, b._cursor, b.batch_size, b.optimizer, b.optimizer.state_dict(),
              b._rng.bit_generator.state, b._order.copy(), copy.deepcopy(b.history), b._last_loss)
    with pytest.raises(ValueError, match=message) as info:
        b.restore(bad)
    assert "\n" not in str(info.value)
    after = (b.params, b.n_steps, b.epoch, b._cursor, b.batch_size, b.optimizer, b.optimizer.state_dict(),
             b._rng.bit_generator.state, b._order, b.history, b._last_loss)
    assert np.array_equal(before[0], after[0]) and before[1:8] == after[1:8]
    assert np.array_equal(before[8], after[8]) and before[9:] == after[9:]
    b.restore(good)  # the same trainer still takes the good checkpoint
    assert_same_run(a, b, steps=3)


def test_restore_rejects_params_for_another_circuit(data):
    a = make(data)
    state = a.checkpoint()
    b = make(data, spec=SPEC.with_n_layers(4))
    params = b.params.copy()
    n = b.classifier.n_params
    with pytest.raises(ValueError, match=rf"params: expected a list of {n} finite numbers, got a list of 30"):
        b.restore(state)
    assert np.array_equal(b.params, params) and b.n_steps == 0
    with pytest.raises(ValueError, match="checkpoint: expected an object with the keys"):
        b.restore("k1.abc")


# ------------------------------------------------------------------------------------------------ share-link codec


def _k1(raw: bytes) -> str:
    return "k1." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")


def test_checkpoint_link_round_trip_is_exact_and_url_safe(data):
    a = make(data, optimizer="lbfgs")
    for _ in range(3):
        a.step()
    state = a.checkpoint()
    text = encode_checkpoint(state)
    assert text.startswith("k1.") and len(text) <= MAX_LINK_CHARS
    assert set(text[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_checkpoint(text) == state
    assert decode_checkpoint(_k1(b'{"big": 340282366920938463463374607431768211455}'))["big"] == 2**128 - 1


@pytest.mark.parametrize(
    "text, message",
    [
        (encode_circuit(SPEC), r"checkpoint: expected a value starting with 'k1\.'"),
        ("p1.AAAA", r"checkpoint: expected a value starting with 'k1\.'"),
        ("k1.ab$cd", r"checkpoint: expected base64url text"),
        ("k1." + base64.urlsafe_b64encode(b"not deflated").decode().rstrip("="), r"checkpoint: the value is damaged"),
        (_k1(b'{"a": 1}')[:-6], r"checkpoint: the value is (cut short|damaged)"),
        (_k1(b"[1, 2, 3]"), r"checkpoint: expected a JSON object, got list"),
        (_k1(b'"text"'), r"checkpoint: expected a JSON object, got str"),
        (_k1(b'{"a": NaN}'), r"checkpoint: expected finite numbers, got NaN"),
        (_k1(b'{"a": [1, -Infinity]}'), r"checkpoint: expected finite numbers, got -Infinity"),
        (_k1(b'{"a": 1, "a": 2}'), r"checkpoint: expected each key once per object, got 'a' twice"),
        (_k1(b'{"a": {"b": 1, "b": 1}}'), r"checkpoint: expected each key once per object, got 'b' twice"),
        (_k1(b'{"a": '), r"checkpoint: expected JSON inside the value, got invalid JSON"),
        (_k1(b'{"a": 1' + b"9" * 5000 + b"}"), r"checkpoint: expected JSON inside the value, got invalid JSON"),
        (_k1(b'{"a": "\xff"}'), r"checkpoint: expected UTF-8 JSON inside the value"),
        (_k1(b"[" * 100_000 + b"]" * 100_000), r"checkpoint: the JSON is nested too deeply"),
        (_k1(b'{"a": "' + b"x" * MAX_INFLATED + b'"}'), rf"checkpoint: expected at most {MAX_INFLATED} bytes once inflated"),
        ("k1." + "A" * MAX_LINK_CHARS, rf"checkpoint: expected at most {MAX_LINK_CHARS} characters"),
        (None, r"checkpoint: expected text, got NoneType"),
    ],
)
def test_decode_checkpoint_rejects_malformed_values(text, message):
    with pytest.raises(LinkError, match=message) as info:
        decode_checkpoint(text)
    assert "\n" not in str(info.value)


def test_encode_checkpoint_rejects_what_a_link_cannot_carry(data):
    state = make(data).checkpoint()
    with pytest.raises(LinkError, match="checkpoint: expected plain JSON data with finite numbers"):
        encode_checkpoint(dict(state, last_loss=math.nan))
    with pytest.raises(LinkError, match="checkpoint: expected plain JSON data"):
        encode_checkpoint(dict(state, params=np.zeros(3)))
    with pytest.raises(LinkError, match="checkpoint: expected an object, got list"):
        encode_checkpoint([state])
    noise = np.random.default_rng(0).random(3000).tolist()  # incompressible: well over a link's length
    with pytest.raises(LinkError, match=f"checkpoint: expected at most {MAX_LINK_CHARS} characters once encoded"):
        encode_checkpoint(dict(state, noise=noise))
