"""The object API: repr, equality and hashing, to_dict/from_dict, pickling, immutability, fill's
return value, and the GIL being released while a kernel runs."""
from __future__ import annotations

import copy
import json
import math
import pickle
import re
import threading

import numpy as np
import pytest

import fastlr

from helpers import DTYPES, SCHEDULES, bits

EXAMPLES = [
    fastlr.StepDecay(0.1, 0.5, 30),
    fastlr.StepDecay(lr=1e-300, gamma=1.5, step_size=2**61),
    fastlr.ExponentialDecay(0.1, 1e-4),
    fastlr.ExponentialDecay(lr=3, decay_rate=0),
    fastlr.CosineAnnealing(0.1, 1000),
    fastlr.CosineAnnealing(max_lr=1e300, total_steps=2**63 - 1, min_lr=1e-300),
    fastlr.Warmup(0.1, 0),
    fastlr.Warmup(max_lr=0.1, warmup_steps=500, init_lr=1e-3),
    fastlr.Cyclical(0.1, 1),
    fastlr.Cyclical(max_lr=0.2, cycle_steps=2**62 - 1, min_lr=0.05),
]
FIELDS = {
    "StepDecay": ("lr", "gamma", "step_size"),
    "ExponentialDecay": ("lr", "decay_rate", "end_lr"),
    "CosineAnnealing": ("max_lr", "total_steps", "min_lr", "exponent", "k_decay"),
    "Warmup": ("max_lr", "warmup_steps", "init_lr"),
    "Cyclical": ("max_lr", "cycle_steps", "min_lr"),
}
ids = [repr(s)[:40] for s in EXAMPLES]


def same_values(a, b, start=0, n=3000):
    return bits(a.array(n, start)) == bits(b.array(n, start))


# ------------------------------------------------------------------------ repr


@pytest.mark.parametrize("s", EXAMPLES, ids=ids)
def test_repr_is_readable_and_evaluable(s):
    r = repr(s)
    name = type(s).__name__
    # Name(field=value, ...) with every field, in the constructor's order
    m = re.fullmatch(rf"{name}\((.*)\)", r)
    assert m, r
    keys = [kv.split("=")[0] for kv in m.group(1).split(", ")]
    assert tuple(keys) == FIELDS[name]
    for k in FIELDS[name]:
        assert f"{k}={getattr(s, k)!r}" in r
    assert eval(r, {name: getattr(fastlr, name)}) == s
    assert str(s) == r


def test_repr_examples():
    assert repr(fastlr.CosineAnnealing(0.1, 10)) == \
        "CosineAnnealing(max_lr=0.1, total_steps=10, min_lr=0.0, exponent=1.0, k_decay=1.0)"
    assert repr(fastlr.StepDecay(1, 0.5, 3)) == "StepDecay(lr=1.0, gamma=0.5, step_size=3)"
    assert repr(fastlr.Warmup(0.1, np.int64(5))) == \
        "Warmup(max_lr=0.1, warmup_steps=5, init_lr=0.0)"


# ------------------------------------------------------------------------ equality, hashing


def test_equality_normalises_defaults_ints_and_numpy_numbers():
    a = fastlr.CosineAnnealing(0.1, 10)
    for b in (fastlr.CosineAnnealing(0.1, 10, 0.0), fastlr.CosineAnnealing(0.1, 10, 0),
              fastlr.CosineAnnealing(max_lr=np.float64(0.1), total_steps=np.int64(10)),
              fastlr.CosineAnnealing(min_lr=0, total_steps=10, max_lr=0.1)):
        assert a == b and not (a != b)
        assert hash(a) == hash(b)
    assert fastlr.StepDecay(1, 1, 3) == fastlr.StepDecay(1.0, 1.0, 3)
    assert hash(fastlr.StepDecay(1, 1, 3)) == hash(fastlr.StepDecay(1.0, 1.0, 3))
    assert len({fastlr.Warmup(0.1, 5), fastlr.Warmup(0.1, 5, 0.0), fastlr.Warmup(0.1, 6)}) == 2


def test_inequality():
    a = fastlr.CosineAnnealing(0.1, 10)
    assert a != fastlr.CosineAnnealing(0.1, 11)
    assert a != fastlr.CosineAnnealing(0.1, 10, 0.01)
    assert a != fastlr.CosineAnnealing(0.10000000000000002, 10)
    # same parameter values, different class
    assert a != fastlr.Cyclical(0.1, 10)
    assert fastlr.Cyclical(0.1, 10) != a
    # not a schedule: False, not an error
    assert a != 0.1 and a != "CosineAnnealing" and a != None  # noqa: E711
    assert a != a.to_dict()


@pytest.mark.parametrize("s", EXAMPLES, ids=ids)
def test_hash_is_stable_and_consistent(s):
    t = fastlr.from_dict(s.to_dict())
    assert hash(s) == hash(t) == hash(s)
    assert {s: 1}[t] == 1


# ------------------------------------------------------------------------ to_dict / from_dict


@pytest.mark.parametrize("s", EXAMPLES, ids=ids)
def test_to_dict_round_trip(s):
    d = s.to_dict()
    assert d["schedule"] == type(s).__name__
    assert set(d) == {"schedule", *FIELDS[type(s).__name__]}
    for k in FIELDS[type(s).__name__]:
        assert d[k] == getattr(s, k)
    t = fastlr.from_dict(d)
    assert type(t) is type(s) and t == s and t is not s
    assert same_values(s, t)
    # JSON-safe, and the dict given to from_dict is left as it was
    j = json.loads(json.dumps(d))
    before = dict(j)
    assert fastlr.from_dict(j) == s
    assert j == before


def test_to_dict_exact_content():
    assert fastlr.Cyclical(1, 7).to_dict() == {"schedule": "Cyclical", "max_lr": 1.0,
                                               "cycle_steps": 7, "min_lr": 0.0}
    d = fastlr.StepDecay(np.float32(0.5), 0.5, np.int16(3)).to_dict()
    assert [type(v) for v in d.values()] == [str, float, float, int]


@pytest.mark.parametrize("alias,cls", [
    ("cosine", fastlr.CosineAnnealing), ("CosineAnnealing", fastlr.CosineAnnealing),
    ("step", fastlr.StepDecay), ("exponential", fastlr.ExponentialDecay),
    ("warmup", fastlr.Warmup), ("cyclical", fastlr.Cyclical),
])
def test_from_dict_accepts_aliases(alias, cls):
    params = {"CosineAnnealing": dict(max_lr=0.1, total_steps=5),
              "StepDecay": dict(lr=0.1, gamma=0.5, step_size=5),
              "ExponentialDecay": dict(lr=0.1, decay_rate=0.5),
              "Warmup": dict(max_lr=0.1, warmup_steps=5),
              "Cyclical": dict(max_lr=0.1, cycle_steps=5)}[cls.__name__]
    assert fastlr.from_dict({"schedule": alias, **params}) == cls(**params)


@pytest.mark.parametrize("d,exc,parts", [
    ({"schedule": "Nope", "lr": 0.1}, ValueError, ("Nope",)),
    ({"schedule": "StepDecay", "lr": 0.1, "gamma": 0.5, "step_size": 3, "foo": 1}, TypeError,
     ("foo",)),
    ({"schedule": "StepDecay", "lr": 0.1, "gamma": 0.5}, TypeError, ("step_size",)),
    ({"lr": 0.1, "gamma": 0.5, "step_size": 3}, ValueError, ("schedule",)),
    ({"schedule": 3}, TypeError, ("3",)),
    ({"schedule": None}, TypeError, ("None",)),
    ({"schedule": "Cyclical", "max_lr": -1.0, "cycle_steps": 3}, ValueError, ("max_lr", "-1.0")),
    ({"schedule": "Cyclical", "max_lr": 0.1, "cycle_steps": 3.0}, TypeError,
     ("cycle_steps", "3.0")),
])
def test_from_dict_errors(d, exc, parts):
    with pytest.raises(exc) as info:
        fastlr.from_dict(d)
    for p in parts:
        assert p in str(info.value)


@pytest.mark.parametrize("bad", [None, [("schedule", "Cyclical")], "Cyclical", 3])
def test_from_dict_needs_a_dict(bad):
    with pytest.raises(TypeError):
        fastlr.from_dict(bad)


def test_registry_lists_the_five():
    reg = fastlr.registry()
    for name in SCHEDULES:
        assert reg[name] is getattr(fastlr, name)
        assert issubclass(reg[name], fastlr.Schedule)


# ------------------------------------------------------------------------ pickling, copying


@pytest.mark.parametrize("s", EXAMPLES, ids=ids)
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip(s, protocol):
    t = pickle.loads(pickle.dumps(s, protocol=protocol))
    assert type(t) is type(s) and t == s and hash(t) == hash(s)
    assert same_values(s, t, start=2**40)


@pytest.mark.parametrize("s", EXAMPLES[:4], ids=ids[:4])
def test_copy_and_deepcopy(s):
    for t in (copy.copy(s), copy.deepcopy(s)):
        assert t == s and same_values(s, t)


# ------------------------------------------------------------------------ immutability


@pytest.mark.parametrize("s", EXAMPLES, ids=ids)
def test_immutable(s):
    before = (repr(s), hash(s), bits(s.array(100, 7)))
    for field in FIELDS[type(s).__name__]:
        with pytest.raises(AttributeError):
            setattr(s, field, 1.0)
        with pytest.raises(AttributeError):
            delattr(s, field)
    with pytest.raises(AttributeError):
        s.new_attribute = 1
    with pytest.raises(AttributeError):
        s._plan = None
    p = s.params
    p[FIELDS[type(s).__name__][0]] = 123.0  # a copy
    d = s.to_dict()
    d[FIELDS[type(s).__name__][0]] = 456.0
    assert (repr(s), hash(s), bits(s.array(100, 7))) == before


@pytest.mark.parametrize("s", EXAMPLES, ids=ids)
def test_fields_are_readable_attributes(s):
    for field in FIELDS[type(s).__name__]:
        assert getattr(s, field) == s.to_dict()[field]
    assert isinstance(s, fastlr.Schedule)


# ------------------------------------------------------------------------ fill returns out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("s", EXAMPLES, ids=ids)
def test_fill_returns_out_itself(s, dtype):
    out = np.empty(50, dtype)
    assert s.fill(out) is out
    assert s.fill(out, 12345) is out
    view = np.empty(80, dtype)[10:60]
    assert s.fill(view, 3) is view
    empty = np.empty(0, dtype)
    assert s.fill(empty) is empty
    assert s.array(50, 0, dtype, out=out) is out


def test_call_returns_python_float_for_int_and_array_for_arrays():
    s = fastlr.Cyclical(0.1, 10)
    assert type(s(3)) is float
    r = s(np.arange(6).reshape(2, 3))
    assert type(r) is np.ndarray and r.shape == (2, 3) and r.dtype == np.float64
    r = s([1, 2, 3])
    assert type(r) is np.ndarray and r.shape == (3,)
    r = s((1, 2))
    assert r.shape == (2,)
    e = s(np.empty((0, 4), dtype=np.int64))
    assert e.shape == (0, 4) and e.dtype == np.float64


@pytest.mark.parametrize("t", [np.int64(5), np.int32(5), np.uint64(5), np.uint8(5)])
def test_call_numpy_integer_scalar_gives_python_float(t):
    s = fastlr.Cyclical(0.1, 10)
    v = s(t)
    assert type(v) is float and v == s(5)


# ------------------------------------------------------------------------ threads and the GIL


def test_fill_releases_the_gil():
    """While one thread is inside fill(), another runs Python code: it sees the output array half
    written (the first element set, the last not yet). With the GIL held through the kernel that
    state could never be observed from Python. Not timing-based: a run that happens to miss the
    window is retried, and a held GIL can never produce a pass."""
    s = fastlr.StepDecay(0.1, 0.9999999, 1)  # a pow() per step: the slowest of the five
    n = 4_000_000
    for _ in range(8):
        out = np.full(n, np.nan)
        started = threading.Event()

        def work():
            started.set()
            s.fill(out)

        th = threading.Thread(target=work)
        th.start()
        started.wait()
        midway = False
        while th.is_alive():
            if not math.isnan(out[0]) and math.isnan(out[-1]):
                midway = True
                break
        th.join()
        assert out[-1] == s(n - 1)
        if midway:
            return
    pytest.fail("never observed a fill in progress from another thread: is the GIL held?")


def test_concurrent_fills_agree_with_serial_ones():
    schedules = [fastlr.StepDecay(0.1, 0.9, 7), fastlr.ExponentialDecay(0.1, 1e-6),
                 fastlr.CosineAnnealing(0.1, 500_000), fastlr.Warmup(0.1, 400_000),
                 fastlr.Cyclical(0.1, 3333)]
    n = 500_000
    serial = [s.array(n, 2**33) for s in schedules]
    results = [None] * (2 * len(schedules))

    def work(k):
        s = schedules[k % len(schedules)]
        out = np.empty(n)
        for _ in range(3):
            s.fill(out, 2**33)
        results[k] = out

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, r in enumerate(results):
        assert bits(r) == bits(serial[k % len(schedules)])


def test_keyword_arguments():
    s = fastlr.Cyclical(max_lr=0.1, cycle_steps=10, min_lr=0.01)
    out = np.empty(7)
    assert s.fill(out=out, start=5) is out
    assert bits(out) == bits(s.array(n=7, start=5, dtype=np.float64))
    assert bits(s.array(7, start=5, dtype="float32", out=np.empty(7, np.float32))) == \
        bits(s.array(7, 5, np.float32))
    with pytest.raises(TypeError):  # out is keyword-only
        s.array(7, 5, np.float64, np.empty(7))
