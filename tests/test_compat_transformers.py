"""fastlr.compat.transformers against the committed golden data (tests/peers/data/transformers.json,
values computed by transformers 5.24.0 in Python float64) and, when transformers is installed,
against the live library on random configurations.

Tolerance: 1e-12 of the peak (base_lr) on every golden step. The one documented deliberate
difference — cosine-shaped decays past p = 1, where transformers keeps oscillating and fastlr holds
the value of p = 1 — is asserted against that value computed independently with mpmath.
"""
import json
import random
from pathlib import Path

import mpmath
import numpy as np
import pytest

from fastlr.compat import NotPrecomputable
from fastlr.compat import transformers as T

DATA = json.loads((Path(__file__).parent / "peers" / "data" / "transformers.json").read_text())
ENTRIES = DATA["entries"]
COSINES = {"cosine": 0, "cosine_with_min_lr": 0, "cosine_warmup_with_min_lr": 1,
           "get_cosine_schedule_with_warmup": 0, "get_cosine_with_min_lr_schedule_with_warmup": 0,
           "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": 1}


def _build(entry):
    kw = dict(entry["kwargs"])
    base = kw.pop("base_lr")
    if entry["name"] == "get_scheduler":
        return base, kw["name"], kw, T.get_scheduler(base_lr=base, **kw)
    return base, entry["name"], kw, getattr(T, entry["name"])(base, **kw)


def _held_cosine(name, kw, base):
    """(first held step, exact held value) of a cosine-shaped decay, or None."""
    if name not in COSINES:
        return None
    ssk = kw.get("scheduler_specific_kwargs", kw)
    W, N = kw["num_warmup_steps"], kw["num_training_steps"]
    nc = mpmath.mpf(ssk.get("num_cycles", 0.5))
    if ssk.get("min_lr") is not None:
        r = mpmath.mpf(ssk["min_lr"]) / base
    else:
        r = mpmath.mpf(ssk.get("min_lr_rate") or 0)
    f = (1 + mpmath.cos(2 * mpmath.pi * nc)) / 2
    return W + max(1, N - W) - COSINES[name], float(base * max(0, f * (1 - r) + r))


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_golden(entry):
    mpmath.mp.dps = 40
    base, name, kw, s = _build(entry)
    steps = np.array(entry["steps"], dtype=np.int64)
    want = np.array(entry["values"])
    got = s(steps)
    peak = max(base, np.abs(want).max())
    held = _held_cosine(name, kw, base)
    mask = np.ones(len(steps), bool)
    if held is not None:
        first, value = held
        mask = steps < first
        # deliberate difference: the value of p = 1, held (exact value from mpmath)
        np.testing.assert_allclose(got[~mask], value, rtol=0, atol=1e-13 * peak)
        # at p = 1 itself transformers agrees with the held value
        at = steps == first
        np.testing.assert_allclose(want[at], value, rtol=0, atol=1e-12 * peak)
    np.testing.assert_allclose(got[mask], want[mask], rtol=0, atol=1e-12 * peak)


def test_golden_covers_every_name():
    seen = {e["kwargs"]["name"] for e in ENTRIES if e["name"] == "get_scheduler"}
    assert seen == set(T.SCHEDULER_NAMES)
    assert {e["name"] for e in ENTRIES} - {"get_scheduler"} <= set(T.__all__)


def test_metric_driven_and_errors():
    for name in T.METRIC_NAMES:
        with pytest.raises(NotPrecomputable):
            T.get_scheduler(name, 0.1, 10, 100)
        with pytest.raises(NotPrecomputable):
            T.CONSTRUCTORS[name](base_lr=0.1)
    with pytest.raises(ValueError, match="not a valid SchedulerType"):
        T.get_scheduler("cosinus", 0.1, 1, 10)
    with pytest.raises(ValueError, match="num_training_steps"):
        T.get_scheduler("cosine", 0.1, 1)
    with pytest.raises(ValueError, match="num_warmup_steps"):
        T.get_scheduler("linear", 0.1, None, 10)
    with pytest.raises(ValueError, match="lr_end"):
        T.get_polynomial_decay_schedule_with_warmup(1e-3, 0, 10, lr_end=1e-3)
    with pytest.raises(ValueError, match="Only one"):
        T.get_cosine_with_min_lr_schedule_with_warmup(0.1, 0, 10, min_lr=1e-3, min_lr_rate=0.1)
    with pytest.raises(ValueError, match="One of"):
        T.get_cosine_with_min_lr_schedule_with_warmup(0.1, 0, 10)
    with pytest.raises(ValueError, match="num_warmup_steps"):
        T.get_linear_schedule_with_warmup(0.1, -1, 10)
    with pytest.raises(ValueError, match="num_cycles"):
        T.get_cosine_schedule_with_warmup(0.1, 0, 10, num_cycles=-1.0)
    with pytest.raises(ValueError, match="warmup_type"):
        T.get_wsd_schedule(0.1, 1, 2, 10, warmup_type="exp")


def test_constructors_dispatch_flattened_kwargs():
    a = T.CONSTRUCTORS["cosine_with_min_lr"](base_lr=0.1, num_warmup_steps=3,
                                             num_training_steps=50, min_lr_rate=0.1)
    b = T.get_scheduler("cosine_with_min_lr", 0.1, 3, 50, {"min_lr_rate": 0.1})
    assert np.array_equal(a.array(80), b.array(80))
    assert set(T.CONSTRUCTORS) == set(T.SCHEDULER_NAMES) | set(T.METRIC_NAMES)
    assert set(T.__all__) <= set(T.FASTLR_NAMES)


# ---------------------------------------------------------------------------------------- live

def _random_configs(rng, names):
    for _ in range(4):
        for name in names:
            W = rng.choice([0, 1, rng.randint(0, 50), rng.randint(0, 3000)])
            N = W + rng.choice([1, 2, rng.randint(1, 100), rng.randint(1, 20000)])
            ssk = {}
            if name in ("cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr"):
                ssk["num_cycles"] = rng.choice([0.5, 0.25, 1.0, round(rng.uniform(0.1, 4), 3)])
            if name == "cosine_with_restarts":
                ssk["num_cycles"] = rng.choice([1, 2, 3, 7, round(rng.uniform(0.5, 5), 2)])
            if name == "polynomial":
                ssk.update(lr_end=rng.choice([0.0, 1e-7]), power=round(rng.uniform(0.2, 3), 3))
            if name in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
                ssk["min_lr_rate"] = round(rng.uniform(0, 0.3), 3)
            if name == "cosine_warmup_with_min_lr" and rng.random() < 0.5:
                ssk["warmup_lr_rate"] = round(rng.uniform(0, 0.5), 3)
            if name == "inverse_sqrt" and rng.random() < 0.5:
                ssk["timescale"] = rng.randint(1, 5000)
            if name == "warmup_stable_decay":
                ssk.update(num_decay_steps=rng.randint(0, N - W), warmup_type=rng.choice(
                    ["linear", "cosine", "1-sqrt"]), decay_type=rng.choice(
                    ["linear", "cosine", "1-sqrt"]), min_lr_ratio=rng.choice([0.0, 0.05]),
                    num_cycles=rng.choice([0.5, 0.3]))
            yield name, W, N, ssk


def test_live_random_configurations():
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import optimization as O

    rng = random.Random(909)
    n = 0
    for name, W, N, ssk in _random_configs(rng, T.SCHEDULER_NAMES):
        base = rng.choice([1e-3, 0.1, 1.0, round(rng.uniform(1e-5, 1e-2), 7)])
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
        ref = O.get_scheduler(name, opt, W, N, scheduler_specific_kwargs=ssk)
        lam = ref.lr_lambdas[0]
        s = T.get_scheduler(name, base, W, N, ssk)
        horizon = W + max(1, N - W)
        steps = sorted({0, 1, W - 1, W, W + 1, N - 1, N, horizon - 2, horizon - 1,
                        *(rng.randint(0, horizon) for _ in range(40))} - {-1, -2})
        if name not in ("cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr"):
            steps += [2 * horizon + 7, 10**6]
        want = np.array([base * lam(t) for t in steps])
        got = s(np.array(steps, dtype=np.int64))
        keep = np.array(steps) < horizon - (1 if name == "cosine_warmup_with_min_lr" else 0) \
            if name in ("cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr") \
            else np.ones(len(steps), bool)
        np.testing.assert_allclose(got[keep], want[keep], rtol=0, atol=1e-12 * base,
                                   err_msg=f"{name} W={W} N={N} {ssk}")
        n += 1
    assert n == 4 * len(T.SCHEDULER_NAMES)


def test_live_every_schedulertype_is_covered():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers.trainer_utils import SchedulerType

    installed = {s.value for s in SchedulerType}
    assert installed - set(T.METRIC_NAMES) <= set(T.SCHEDULER_NAMES), \
        "a new transformers SchedulerType needs a fastlr.compat.transformers entry"
    assert set(T.METRIC_NAMES) <= installed


def test_compat_schedules_are_ordinary_fastlr_schedules():
    import pickle

    import fastlr
    from fastlr.compat import keras as KC
    from fastlr.compat import timm as TC

    for s in (T.get_scheduler("cosine", 0.1, 7, 100, {"num_cycles": 2.7}),
              TC.TanhLRScheduler(0.1, 33, cycle_mul=1.5, cycle_limit=4, warmup_t=5),
              KC.CosineDecayRestarts(0.1, 10, 1.5, 0.8, 0.1)):
        a = s.array(3000)
        assert np.array_equal(fastlr.from_dict(s.to_dict()).array(3000), a)
        assert np.array_equal(pickle.loads(pickle.dumps(s)).array(3000), a)
        assert np.array_equal(s(np.arange(3000)), a)
