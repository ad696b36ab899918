"""fastlr.compat.timm against the committed golden data (tests/peers/data/timm.json, values computed
by timm 1.0.31 in Python float64) and, when timm is installed, against the live schedulers on
random configurations (loaded from their files through stub packages, as tests/peers/generate.py
does: ``import timm`` needs torchvision).

Tolerance: 1e-12 of the peak on every golden step, except the documented cases, asserted against
the exactly intended value instead:

* the log-based cycle index (cycle_mul != 1) landing one cycle short at an exact restart: the
  cycle index is recomputed exactly with Fractions and the intended value with mpmath;
* steps where timm raised OverflowError (cycle_decay > 1 far past cycle_limit): ``lr_min``
  (checked to be past cycle_limit exactly);
* steps where timm's lr came out complex ("complex_steps": its floating restart lands just past
  a step that is a restart to float precision, and a negative t_cur to a fractional k_decay is
  complex): the exact value (the step checked to be within 1e-9 cycle lengths of a restart).

Every timm configuration without noise or a metric is composed (PolyLRScheduler with real
cycle starts through PolynomialRestarts, WSDLRScheduler through InversePower/Maximum/Offset).
"""
import functools
import json
import random
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest

from fastlr.compat import NotPrecomputable
from fastlr.compat import timm as M

DATA = json.loads((Path(__file__).parent / "peers" / "data" / "timm.json").read_text())
ENTRIES = DATA["entries"]
CYCLIC = ("CosineLRScheduler", "PolyLRScheduler", "TanhLRScheduler")


def _cycle(t_prime, T, m):
    """Exact (cycle index, real position in the cycle, real cycle length)."""
    T, m, t = Fraction(T), Fraction(m), Fraction(t_prime)
    S, L, i = Fraction(0), T, 0
    while S + L <= t:
        S, L, i = S + L, L * m if m != 1 else L, i + 1
        if m == 1:
            i = int(t // T)
            return i, t - i * T, T
    return i, t - S, L


def _intended(name, kw, base, t):
    """The intended value of a cyclic timm scheduler at step t (exact cycles, mpmath)."""
    W = kw["warmup_t"]
    if t < W:
        return None
    tp = t - W if kw["warmup_prefix"] else t
    i, cur, L = _cycle(tp, kw["t_initial"], kw["cycle_mul"])
    lo = mpmath.mpf(kw["lr_min"])
    if i >= kw["cycle_limit"]:
        return float(lo)
    hi = mpmath.mpf(base) * mpmath.mpf(kw["cycle_decay"]) ** i
    x = mpmath.mpf(cur.numerator) / cur.denominator / (mpmath.mpf(L.numerator) / L.denominator)
    if name == "CosineLRScheduler":
        k = mpmath.mpf(kw["k_decay"])
        return float(lo + (hi - lo) * (1 + mpmath.cos(mpmath.pi * x**k)) / 2)
    if name == "PolyLRScheduler":
        k = mpmath.mpf(kw["k_decay"])
        return float(lo + (hi - lo) * (1 - x**k) ** mpmath.mpf(kw["power"]))
    return float(lo + (hi - lo) * (1 - mpmath.tanh(kw["lb"] * (1 - x) + kw["ub"] * x)) / 2)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_golden(entry):
    mpmath.mp.dps = 40
    kw = dict(entry["kwargs"])
    base = kw.pop("base_lr")
    name = entry["name"]
    s = getattr(M, name)(base, **kw)
    steps = np.array(entry["steps"], dtype=np.int64)
    want = np.array(entry["values"])
    got = s(steps)
    peak = max(base, np.abs(want).max(), kw.get("lr_min", 0))
    ok = np.abs(got - want) <= 1e-12 * peak
    for j in np.flatnonzero(~ok):
        # only the log-index bug may differ: timm is off, the exact value is fastlr's
        assert name in CYCLIC and kw["cycle_mul"] != 1, (entry["id"], int(steps[j]))
        exact = _intended(name, kw, base, int(steps[j]))
        assert abs(got[j] - exact) <= 1e-12 * peak, (entry["id"], int(steps[j]), got[j], exact)
        assert abs(want[j] - exact) > 1e-6 * peak  # timm really is a cycle off there
    for t in entry.get("complex_steps", []):
        # timm's floating restart lands just past t, a restart to float precision (t_cur < 0,
        # and t_cur**k with a fractional k_decay is complex): fastlr gives the exact value (on
        # the binary cycle_mul, which places the restart exactly, on one side of t)
        tp = t - kw["warmup_t"] if kw["warmup_prefix"] else t
        assert name in CYCLIC and kw["cycle_mul"] != 1 and kw["k_decay"] != int(kw["k_decay"])
        _, cur, L = _cycle(tp, kw["t_initial"], kw["cycle_mul"])
        assert min(cur, L - cur) < 1e-9 * L, (entry["id"], t)
        exact = _intended(name, kw, base, t)
        assert abs(s(t) - exact) <= 1e-12 * peak, (entry["id"], t, s(t), exact)
    for t in entry.get("raising_steps", []):
        i = _cycle(t - kw["warmup_t"] if kw["warmup_prefix"] else t, kw["t_initial"],
                   kw["cycle_mul"])[0]
        assert i >= kw["cycle_limit"]
        assert s(t) == kw["lr_min"]


def test_documented_log_bug_is_in_the_data():
    e = next(e for e in ENTRIES if e["name"] == "CosineLRScheduler"
             and e["kwargs"]["t_initial"] == 1 and e["kwargs"]["cycle_mul"] == 3.0)
    kw = dict(e["kwargs"])
    s = M.CosineLRScheduler(kw.pop("base_lr"), **kw)
    assert e["values"][e["steps"].index(121)] == 0.0      # timm: the end of cycle 4
    assert s(121) == 1.0                                   # exact: the restart of cycle 5


def test_errors():
    with pytest.raises(NotPrecomputable):
        M.PlateauLRScheduler(0.1, decay_rate=0.1)
    with pytest.raises(NotPrecomputable):
        M.CosineLRScheduler(0.1, 100, noise_range_t=10)
    with pytest.raises(NotPrecomputable):
        M.from_config("plateau", 0.1)
    with pytest.raises(NotPrecomputable, match="callable decay_fn"):
        M.WSDLRScheduler(0.1, 100, 10, decay_fn=lambda f: 1 - f)
    with pytest.raises(ValueError, match="decay_ratio"):
        M.WSDLRScheduler(0.1, 100, 10, decay_fn="exp", decay_ratio=1.0)
    with pytest.raises(ValueError, match="stable_timescale"):
        M.WSDLRScheduler(0.1, 100, 10, stable_fn="power", stable_timescale=-1.5)
    with pytest.raises(ValueError, match="stable_timescale=5e-324"):
        M.WSDLRScheduler(0.1, 100, 10, stable_fn="rsqrt", stable_timescale=5e-324)
    with pytest.raises(ValueError, match="t_initial"):
        M.CosineLRScheduler(0.1, 0)
    with pytest.raises(ValueError, match="lb"):
        M.TanhLRScheduler(0.1, 10, lb=3.0, ub=-7.0)
    with pytest.raises(ValueError, match="decay_t"):
        M.MultiStepLRScheduler(0.1, [30, 10])
    with pytest.raises(ValueError, match="cycle_mul"):
        M.CosineLRScheduler(0.1, 10, cycle_mul=0.5)
    with pytest.raises(ValueError, match="sched"):
        M.from_config("cosinus", 0.1, t_initial=10)


def test_from_config_and_tables():
    a = M.from_config("cosine", 0.1, t_initial=100, warmup_t=5, lr_min=1e-5)
    b = M.CosineLRScheduler(0.1, 100, warmup_t=5, lr_min=1e-5)
    assert np.array_equal(a.array(300), b.array(300))
    assert set(M.__all__) == set(M.FASTLR_NAMES)
    assert set(M.__all__) <= set(M.CONSTRUCTORS)


# ---------------------------------------------------------------------------------------- live

@functools.lru_cache(maxsize=None)   # load_timm_schedulers registers stub modules: once
def _load_timm():
    pytest.importorskip("torch")
    sys.path.insert(0, str(Path(__file__).parent / "peers"))
    from timm_loader import load_timm_schedulers

    try:
        return load_timm_schedulers()
    except ImportError as exc:
        pytest.skip(str(exc))


def test_live_random_configurations():
    classes = _load_timm()
    import torch

    mpmath.mp.dps = 40
    rng = random.Random(2024)
    checked = 0
    for _ in range(6):
        for name in CYCLIC:
            kw = {"t_initial": rng.randint(1, 3000), "lr_min": rng.choice([0.0, 1e-6]),
                  "cycle_mul": rng.choice([1.0, 2.0, 3.0]), "cycle_decay": rng.choice([1.0, 0.7]),
                  "cycle_limit": rng.choice([1, 3, 50]), "warmup_t": rng.choice([0, 7, 300]),
                  "warmup_lr_init": rng.choice([0.0, 1e-5]), "warmup_prefix": rng.random() < 0.5}
            if name == "TanhLRScheduler":
                kw.update(cycle_mul=rng.choice([1.0, 1.5, 2.5]), lb=-6.0, ub=rng.choice([3.0, 4.0]))
            else:
                kw["k_decay"] = rng.choice([1.0, 0.5, 2.0])
            if name == "PolyLRScheduler":
                kw["power"] = rng.choice([0.5, 1.0, 2.0])
            if name == "CosineLRScheduler":
                kw["cycle_mul"] = rng.choice([1.0, 1.5, 2.0, 3.0])
            yield_cmp = _compare(classes[name], getattr(M, name), name, kw, rng, torch)
            checked += yield_cmp
        for name in ("StepLRScheduler", "MultiStepLRScheduler"):
            kw = {"decay_rate": rng.choice([0.1, 0.5]), "warmup_t": rng.choice([0, 5]),
                  "warmup_lr_init": 1e-5, "warmup_prefix": rng.random() < 0.5}
            kw["decay_t"] = (rng.randint(1, 500) if name == "StepLRScheduler"
                             else sorted(rng.sample(range(1, 3000), 3)))
            checked += _compare(classes[name], getattr(M, name), name, kw, rng, torch)
    if "WSDLRScheduler" in classes:
        for decay_fn in ("linear", "1-sqrt", "cosine", "power", "exp"):
            for stable_fn in ("constant", "rsqrt", "power"):
                T = rng.randint(10, 5000)
                kw = {"t_initial": T, "decay_t": rng.randint(1, T), "decay_fn": decay_fn,
                      "decay_power": rng.choice([0.5, 2.0]), "warmup_t": rng.choice([0, 20]),
                      "stable_fn": stable_fn, "lr_min": rng.choice([0.0, 1e-6, 1e-3]),
                      "decay_ratio": rng.choice([0.1, 0.02, 0.5]),
                      "stable_power": rng.choice([0.3, 0.5, 0.7]),
                      "stable_timescale": rng.choice([None, 7, 12.5, rng.uniform(1, 500)])}
                if kw["stable_timescale"] is None:
                    kw["warmup_t"] = 20
                checked += _compare(classes["WSDLRScheduler"], M.WSDLRScheduler,
                                    "WSDLRScheduler", kw, rng, torch)
    assert checked == 6 * 5 + (15 if "WSDLRScheduler" in classes else 0)


def test_live_poly_fractional_cycle_starts():
    """PolyLRScheduler with a non-integer cycle_mul (cycles starting at fractional steps) and
    powers / k_decay other than 1: fastlr.PolynomialRestarts against the live timm."""
    classes = _load_timm()
    import torch

    mpmath.mp.dps = 40
    rng = random.Random(909)
    for _ in range(12):
        kw = {"t_initial": rng.choice([1, 3, 10, rng.randint(1, 3000)]),
              "lr_min": rng.choice([0.0, 1e-6]), "cycle_mul": rng.choice([1.1, 1.5, 2.5, 1.25]),
              "cycle_decay": rng.choice([1.0, 0.7, 1.1]), "cycle_limit": rng.choice([2, 5, 50]),
              "warmup_t": rng.choice([0, 7, 300]), "warmup_lr_init": rng.choice([0.0, 1e-5]),
              "warmup_prefix": rng.random() < 0.5, "k_decay": rng.choice([1.0, 0.5, 2.0]),
              "power": rng.choice([0.5, 0.9, 2.0])}
        _compare(classes["PolyLRScheduler"], M.PolyLRScheduler, "PolyLRScheduler", kw, rng,
                 torch)


def _compare(ref_cls, ours_cls, name, kw, rng, torch):
    base = rng.choice([0.1, 1.0, 5e-4])
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
    ref = ref_cls(opt, t_in_epochs=False, **kw)
    ours = ours_cls(base, **kw)
    steps = sorted({0, 1, 2, 10**5, *(rng.randint(0, 20000) for _ in range(40))})
    for t in steps:
        try:
            want = ref._get_lr(t)[0]
        except OverflowError:
            continue
        got = ours(t)
        if abs(got - want) > 1e-12 * max(base, 1e-300):
            assert name in CYCLIC and kw["cycle_mul"] != 1, (name, kw, t, got, want)
            exact = _intended(name, kw, base, t)
            assert abs(got - exact) <= 1e-12 * base, (name, kw, t, got, exact)
    return 1
