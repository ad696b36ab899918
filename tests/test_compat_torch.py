"""fastlr.compat.torch against torch's golden values (tests/peers/data/torch.json) and, when torch
is installed, against torch itself (random configurations, real replay).

Tolerances (relative to the entry's peak, the largest |value|):

* closed forms in torch (CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR and its momentum):
  1e-12 at every golden step;
* torch's recursive ("chainable") schedulers and the combinators built on them drift from the
  formula by O(t) ulps (SEMANTICS.md). fastlr gives the closed form; each such entry is checked
  (a) against the closed form computed here independently with mpmath at 40 digits, within
  1e-13 of the peak, and (b) against torch within DRIFT(t) = 1e-12 + 4e-15 * t of the peak
  (largest measured drift over the golden data: 2.0e-15 * t, a SequentialLR whose
  CosineAnnealingLR child has T_max = 2206; CosineAnnealingLR alone: 7e-16 * t);
* documented differences are asserted as such: OneCycleLR at t = total_steps (torch extrapolates,
  fastlr holds), ChainedScheduler past a CosineAnnealingLR trough (torch restarts additively,
  fastlr keeps the product: checked against the independent product), and the golden "error"
  entries (torch raises; fastlr raises ValueError or the acceptance is documented and asserted).
"""
from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

import mpmath
import numpy as np
import pytest

import fastlr
from fastlr.compat import NotPrecomputable
from fastlr.compat import torch as T

DATA = Path(__file__).resolve().parent / "peers" / "data" / "torch.json"
ENTRIES = json.loads(DATA.read_text())["entries"]
CLOSED = 1e-12
EXACT = 1e-13
RECURSIVE = {"StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
             "CosineAnnealingLR", "SequentialLR", "ChainedScheduler"}


def drift(t):
    return 1e-12 + 4e-15 * np.asarray(t, dtype=float)


def build(name, kwargs):
    return getattr(T, name)(**kwargs)


# ----------------------------------------------------------------------------- independent reference

mp = mpmath.mp.clone() if hasattr(mpmath.mp, "clone") else mpmath.mp
mpmath.mp.dps = 40


def ref(name, kw, t, B=None):
    """torch's closed form (the intended value) at step t, with mpmath at 40 digits."""
    M = mpmath.mpf
    B = M(kw["base_lr"]) if B is None else B
    if name == "StepLR":
        return B * M(kw.get("gamma", 0.1)) ** (t // kw["step_size"])
    if name == "MultiStepLR":
        return B * M(kw.get("gamma", 0.1)) ** sum(1 for m in kw["milestones"] if 0 <= m <= t)
    if name == "ConstantLR":
        f, ti = M(kw.get("factor", 1 / 3)), kw.get("total_iters", 5)
        return B * f if (ti <= 0 or t < ti) else B
    if name == "LinearLR":
        s, e, ti = M(kw.get("start_factor", 1 / 3)), M(kw.get("end_factor", 1.0)), \
            kw.get("total_iters", 5)
        if ti <= 0:
            return B * s
        return B * (s + (e - s) * min(t, ti) / ti)
    if name == "ExponentialLR":
        return B * M(kw["gamma"]) ** t
    if name == "PolynomialLR":
        ti, p = kw.get("total_iters", 5), M(kw.get("power", 1.0))
        return B * (1 - M(min(t, ti)) / ti) ** p if ti > 0 else B
    if name == "CosineAnnealingLR":
        lo = M(kw.get("eta_min", 0.0))
        return lo + (B - lo) * (1 + mpmath.cos(mpmath.pi * t / kw["T_max"])) / 2
    if name == "SequentialLR":
        ms = kw["milestones"]
        k = sum(1 for m in ms if m <= t)
        start = ms[k - 1] if k else 0
        c = kw["schedulers"][k]
        return ref(c["name"], c["kwargs"], t - start, B)
    if name == "ChainedScheduler":
        out = B
        for c in kw["schedulers"]:
            out *= ref(c["name"], c["kwargs"], t, B) / B
        return out
    raise KeyError(name)


def refs(name, kw, steps):
    return np.array([float(ref(name, kw, int(t))) for t in steps])


# ----------------------------------------------------------------------------- golden data

def _ids(pred):
    return [pytest.param(e, id=e["id"]) for e in ENTRIES if pred(e)]


def _first_trough(e):
    """ChainedScheduler: the first step where torch's chain stops being the product (the step
    after a CosineAnnealingLR child's first trough), or None."""
    if e["name"] != "ChainedScheduler" or len(e["kwargs"]["schedulers"]) < 2:
        return None
    tms = [c["kwargs"]["T_max"] for c in e["kwargs"]["schedulers"]
           if c["name"] == "CosineAnnealingLR"]
    return min(tms) + 1 if tms else None


@pytest.mark.parametrize("entry", _ids(lambda e: "error" not in e and e["name"] in RECURSIVE))
def test_golden_recursive(entry):
    s = build(entry["name"], entry["kwargs"])
    steps = np.array(entry["steps"])
    torch_vals = np.array(entry["values"])
    exact = refs(entry["name"], entry["kwargs"], steps)
    peak = np.abs(exact).max()
    got = s(steps)
    np.testing.assert_array_less(np.abs(got - exact), EXACT * peak + 1e-300)
    cut = _first_trough(entry)
    mask = steps < cut if cut is not None else np.ones(len(steps), bool)
    np.testing.assert_array_less(np.abs(got - torch_vals)[mask],
                                 (drift(steps) * peak)[mask] + 1e-300)


def test_golden_drift_is_real():
    """The drift tolerance is needed (torch's recursive values are not the closed form) and is
    not loose: the measured drift is within a factor 2 of it somewhere."""
    worst = 0.0
    for e in ENTRIES:
        if e["name"] not in RECURSIVE or "error" in e:
            continue
        steps = np.array(e["steps"])
        exact = refs(e["name"], e["kwargs"], steps)
        dev = np.abs(np.array(e["values"]) - exact) / np.abs(exact).max()
        cut = _first_trough(e)
        if cut is not None:
            dev = dev[steps < cut]
            steps = steps[steps < cut]
        worst = max(worst, float((dev / (4e-15 * np.maximum(steps, 1))).max()))
    assert 0.25 < worst <= 1.0, worst


@pytest.mark.parametrize("entry", _ids(lambda e: e["name"] == "ChainedScheduler"
                                       and _first_trough(e) is not None))
def test_golden_chain_past_trough_is_the_product(entry):
    """Deliberate difference: past a CosineAnnealingLR trough torch's chain re-enters the cosine
    additively; fastlr keeps the product (checked above against the independent product)."""
    s = build(entry["name"], entry["kwargs"])
    steps = np.array(entry["steps"])
    late = steps >= _first_trough(entry)
    assert late.any()
    exact = refs(entry["name"], entry["kwargs"], steps[late])
    np.testing.assert_allclose(s(steps[late]), exact, rtol=0, atol=EXACT * np.abs(exact).max())


@pytest.mark.parametrize("entry", _ids(lambda e: "error" not in e and e["name"] not in RECURSIVE))
def test_golden_closed_form(entry):
    kw = entry["kwargs"]
    s = build(entry["name"], kw)
    steps = np.array(entry["steps"])
    want = np.array(entry["values"])
    got = s(steps)
    peak = np.abs(want).max()
    legal = np.ones(len(steps), bool)
    if entry["name"] == "OneCycleLR":
        total = entry["max_legal_step"]
        tail = _one_cycle_tail(kw, total)
        legal = steps < tail
        # past the cycle: the last in-cycle value, held (torch extrapolates at t = total_steps)
        held = s(np.array([tail - 1, tail, tail + 1, 10 * total + 7]))
        assert np.all(held == held[0])
        if tail == total:
            assert np.all(got[~legal] == got[legal][-1]) if (~legal).any() else True
    np.testing.assert_array_less(np.abs(got - want)[legal], CLOSED * peak + 1e-300)
    if "momentum_values" in entry:
        m = T.OneCycleMomentum(**kw)
        mw = np.array(entry["momentum_values"])
        np.testing.assert_array_less(np.abs(m(steps) - mw)[legal],
                                     CLOSED * np.abs(mw).max())
        assert m(int(steps[-1]) + 5) == m(int(steps[-1]) + 1000)


def _one_cycle_tail(kw, total):
    """The first step at which torch's OneCycleLR value is extrapolated (p > 1) or raises."""
    pct = kw.get("pct_start", 0.3)
    if kw.get("three_phase"):
        e2 = float(2 * pct * total) - 2
        if total <= e2:  # step total is still inside phase 2
            return total + 1
    return total


def test_golden_one_cycle_torch_extrapolates_at_total_steps():
    """The documented OneCycleLR difference is real: torch's value at total_steps is off the
    cycle (above min_lr for cos, below it for linear), fastlr's is min_lr."""
    seen = 0
    for e in ENTRIES:
        if e["name"] != "OneCycleLR" or "error" in e:
            continue
        total = e["max_legal_step"]
        if _one_cycle_tail(e["kwargs"], total) != total or e["steps"][-1] != total or total < 2:
            continue
        kw = e["kwargs"]
        if kw["three_phase"] and float(2 * kw["pct_start"] * total) - 2 >= total - 1:
            continue  # phase 3 never starts in the cycle: the held value is phase 2's
        lo = kw["max_lr"] / kw["div_factor"] / kw["final_div_factor"]
        s = T.OneCycleLR(**kw)
        assert s(total) == s(total - 1) == lo
        torch_at_total = e["values"][-1]
        if kw["three_phase"] and kw["final_div_factor"] == 1.0:
            assert torch_at_total == lo  # a constant last phase extrapolates to itself
        elif kw["anneal_strategy"] == "linear":
            assert torch_at_total < lo
        else:
            assert torch_at_total > lo
        seen += 1
    assert seen >= 10


@pytest.mark.parametrize("entry", _ids(lambda e: "error" in e))
def test_golden_errors(entry):
    kw = entry["kwargs"]
    if entry["name"] == "CyclicLR":
        # torch: OverflowError computing 1 / 2.0 ** (cycle - 1) from cycle 1025 on. fastlr accepts
        # and continues with the limit, base_lr (documented in CyclicLR's docstring).
        assert "OverflowError" in entry["error"] and kw["mode"] == "triangular2"
        s = build("CyclicLR", kw)
        cycle = kw["step_size_up"] + (kw["step_size_down"] or kw["step_size_up"])
        far = s(np.array([1100 * cycle + kw["step_size_up"], 10**15]))
        assert np.all(far == kw["base_lr"])
        return
    assert entry["name"] == "OneCycleLR" and "ZeroDivisionError" in entry["error"]
    total = kw.get("total_steps") or kw["epochs"] * kw["steps_per_epoch"]
    assert float(kw["pct_start"] * total) == 1.0
    if kw["three_phase"]:
        with pytest.raises(ValueError, match="pct_start"):
            build("OneCycleLR", kw)
    else:
        # documented acceptance: phase 1 ends exactly at step 0, whose intended value is max_lr
        s = build("OneCycleLR", kw)
        assert s(0) == kw["max_lr"]
        assert s(total - 1) == kw["max_lr"] / kw["div_factor"] / kw["final_div_factor"]


def test_golden_coverage():
    names = {e["name"] for e in ENTRIES}
    assert names <= set(T.__all__)
    assert len(ENTRIES) >= 150


# ----------------------------------------------------------------------------- API, errors

def test_all_and_names():
    assert set(T.FASTLR_NAMES) == set(T.__all__)
    for name in T.__all__:
        assert callable(getattr(T, name))


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR", "ReduceLROnPlateau"])
def test_not_precomputable(name):
    with pytest.raises(NotPrecomputable, match="callable|metric"):
        getattr(T, name)(lambda t: 0.9)
    assert issubclass(NotPrecomputable, ValueError)


def test_cyclic_scale_fn_not_precomputable():
    with pytest.raises(NotPrecomputable, match="scale_fn"):
        T.CyclicLR(0.1, 1.0, scale_fn=lambda x: 1.0)


@pytest.mark.parametrize("call, exc, word", [
    (lambda: T.StepLR(0, base_lr=0.1), ValueError, "step_size"),
    (lambda: T.StepLR(2.5, base_lr=0.1), TypeError, "step_size"),
    (lambda: T.StepLR(2), TypeError, "base_lr"),
    (lambda: T.StepLR(2, gamma=-1.0, base_lr=0.1), ValueError, "gamma"),
    (lambda: T.ConstantLR(factor=1.5, base_lr=0.1), ValueError, "factor"),
    (lambda: T.LinearLR(start_factor=0.0, base_lr=0.1), ValueError, "start_factor"),
    (lambda: T.LinearLR(end_factor=1.5, base_lr=0.1), ValueError, "end_factor"),
    (lambda: T.CosineAnnealingLR(0, base_lr=0.1), ValueError, "T_max"),
    (lambda: T.CosineAnnealingWarmRestarts(0, base_lr=0.1), ValueError, "T_0"),
    (lambda: T.CosineAnnealingWarmRestarts(5, T_mult=1.5, base_lr=0.1), ValueError, "T_mult"),
    (lambda: T.CyclicLR(0.1, 1.0, mode="sine"), ValueError, "mode"),
    (lambda: T.OneCycleLR(0.1), ValueError, "total_steps"),
    (lambda: T.OneCycleLR(0.1, total_steps=0), ValueError, "total_steps"),
    (lambda: T.OneCycleLR(0.1, epochs=2, steps_per_epoch=0), ValueError, "steps_per_epoch"),
    (lambda: T.OneCycleLR(0.1, 100, pct_start=1), ValueError, "pct_start"),
    (lambda: T.OneCycleLR(0.1, 100, pct_start=1.5), ValueError, "pct_start"),
    (lambda: T.OneCycleLR(0.1, 100, anneal_strategy="cosine"), ValueError, "anneal_strategy"),
    (lambda: T.OneCycleMomentum(0.1, 100, cycle_momentum=False), ValueError, "cycle_momentum"),
    (lambda: T.SequentialLR([T.StepLR(2, base_lr=0.1)], [3]), ValueError, "milestones"),
    (lambda: T.SequentialLR([], []), ValueError, "scheduler"),
    (lambda: T.SequentialLR([0.1, 0.2], [3]), TypeError, "schedulers"),
    (lambda: T.ChainedScheduler([T.StepLR(2, base_lr=0.1), T.StepLR(3, base_lr=0.1)]),
     TypeError, "base_lr"),
    (lambda: T.ChainedScheduler([T.CyclicLR(0.1, 1.0, 10), T.StepLR(3, base_lr=0.1)],
                                base_lr=0.1), ValueError, "closed form"),
])
def test_validation(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_schedules_are_ordinary():
    s = T.OneCycleLR(0.1, 1000, three_phase=True, pct_start=0.7)
    assert isinstance(s, fastlr.Schedule)
    again = fastlr.from_dict(json.loads(json.dumps(s.to_dict())))
    assert np.array_equal(again.array(1200), s.array(1200))
    assert s.array(1200, dtype=np.float32).dtype == np.float32


def test_sequential_milestone_edge_cases():
    B = 0.5
    a, b, c = (T.ConstantLR(0.1, 100, base_lr=B), T.ExponentialLR(0.9, base_lr=B),
               T.StepLR(3, base_lr=B))
    # milestone 0 and a repeated milestone skip the children that never run a step
    s = T.SequentialLR([a, b, c], [0, 10])
    assert s(0) == b(0) and s(9) == b(9) and s(10) == c(0) and s(15) == c(5)
    s = T.SequentialLR([a, b, c], [4, 4])
    assert s(3) == a(3) and s(4) == c(0) and s(10) == c(6)
    with pytest.raises(ValueError, match="non-decreasing"):
        T.SequentialLR([a, b, c], [10, 4])


def test_chain_last_overwriting_child_wins():
    cyc = T.CyclicLR(0.01, 0.1, 7)
    s = T.ChainedScheduler([T.StepLR(2, base_lr=0.1), cyc], base_lr=0.1)
    assert np.array_equal(s.array(50), cyc.array(50))


# ----------------------------------------------------------------------------- live torch

torch = None


def _torch():
    global torch
    torch = pytest.importorskip("torch")
    return torch


def replay(make, n, lr, momentum=False):
    """torch's lr (and momentum) for the first n steps, by real replay."""
    torch = _torch()
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr, momentum=0.9 if momentum else 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "lr_scheduler.step() before optimizer.step()"
        sched = make(opt)
        lrs, moms = [], []
        for i in range(n):
            lrs.append(opt.param_groups[0]["lr"])
            moms.append(opt.param_groups[0].get("momentum", 0.0))
            if i < n - 1:
                sched.step()  # (optimizer.step() skipped: it does not touch the lr)
    return np.array(lrs), np.array(moms)


def _random_configs(rng):
    """(name, torch kwargs (no optimizer), base_lr) for every scheduler, a few of each."""
    out = []
    for _ in range(3):
        B = rng.choice([0.1, 1.0, round(rng.uniform(1e-4, 1.0), 6)])
        out += [
            ("StepLR", {"step_size": rng.randint(1, 40), "gamma": round(rng.uniform(0.1, 1.0), 4)}, B),
            ("MultiStepLR", {"milestones": sorted(rng.sample(range(0, 300), rng.randint(1, 4))),
                             "gamma": round(rng.uniform(0.1, 0.99), 4)}, B),
            ("ConstantLR", {"factor": round(rng.uniform(0.0, 1.0), 4),
                            "total_iters": rng.randint(0, 200)}, B),
            ("LinearLR", {"start_factor": round(rng.uniform(0.01, 1.0), 4),
                          "end_factor": round(rng.uniform(0.0, 1.0), 4),
                          "total_iters": rng.randint(0, 250)}, B),
            ("ExponentialLR", {"gamma": round(rng.uniform(0.9, 1.001), 5)}, B),
            ("PolynomialLR", {"total_iters": rng.randint(1, 250),
                              "power": round(rng.uniform(0.1, 3.0), 3)}, B),
            ("CosineAnnealingLR", {"T_max": rng.randint(1, 150),
                                   "eta_min": rng.choice([0.0, B * rng.uniform(0, 0.5)])}, B),
            ("CosineAnnealingWarmRestarts", {"T_0": rng.randint(1, 40), "T_mult": rng.randint(1, 3),
                                             "eta_min": rng.choice([0.0, B / 100])}, B),
            ("CyclicLR", {"base_lr": B / 10, "max_lr": B, "step_size_up": rng.randint(1, 50),
                          "step_size_down": rng.choice([None, rng.randint(1, 50)]),
                          "mode": rng.choice(["triangular", "triangular2", "exp_range"]),
                          "gamma": round(rng.uniform(0.99, 1.0), 5), "cycle_momentum": False}, None),
        ]
    return out


def _tol(name, n):
    return drift(np.arange(n)) if name in RECURSIVE else np.full(n, CLOSED)


def test_live_torch_random():
    _torch()
    from torch.optim import lr_scheduler as S
    rng = random.Random(20240910)
    n = 400
    for name, kw, B in _random_configs(rng):
        want, _ = replay(lambda opt: getattr(S, name)(opt, **kw), n, B if B else 0.01)
        args = dict(kw) if B is None else dict(kw, base_lr=B)
        got = getattr(T, name)(**args).array(n)
        peak = np.abs(want).max()
        bad = np.abs(got - want) > _tol(name, n) * peak
        assert not bad.any(), (name, kw, B, np.flatnonzero(bad)[:5])


def test_live_torch_one_cycle():
    _torch()
    from torch.optim import lr_scheduler as S
    rng = random.Random(7)
    for _ in range(12):
        total = rng.randint(2, 400)
        kw = {"max_lr": rng.choice([0.1, 1.0]), "total_steps": total,
              "pct_start": round(rng.uniform(0.0, 1.0), 4),
              "anneal_strategy": rng.choice(["cos", "linear"]),
              "three_phase": rng.random() < 0.5, "div_factor": rng.choice([25.0, 10.0]),
              "final_div_factor": rng.choice([1e4, 10.0]), "base_momentum": 0.85,
              "max_momentum": 0.95}
        if float(kw["pct_start"] * total) == 1.0:
            continue
        n = total  # steps 0 ... total - 1 (torch's step total is extrapolated)
        lrs, moms = replay(lambda opt: S.OneCycleLR(opt, **kw), n, 0.01, momentum=True)
        s, m = T.OneCycleLR(**kw), T.OneCycleMomentum(**kw)
        np.testing.assert_allclose(s.array(n), lrs, rtol=0, atol=CLOSED * np.abs(lrs).max(),
                                   err_msg=str(kw))
        np.testing.assert_allclose(m.array(n), moms, rtol=0, atol=CLOSED, err_msg=str(kw))


def test_live_torch_combinators():
    _torch()
    from torch.optim import lr_scheduler as S
    rng = random.Random(11)
    B, n = 0.3, 400
    for _ in range(4):
        w = rng.randint(1, 60)
        kids = [("LinearLR", {"start_factor": round(rng.uniform(0.01, 0.5), 3), "total_iters": w}),
                ("StepLR", {"step_size": rng.randint(1, 30), "gamma": 0.7}),
                ("CosineAnnealingLR", {"T_max": rng.randint(5, 300), "eta_min": 0.001})]
        ms = sorted([w, w + rng.randint(1, 100)])

        def make_seq(opt):
            return S.SequentialLR(opt, [getattr(S, k)(opt, **a) for k, a in kids], ms)
        want, _ = replay(make_seq, n, B)
        got = T.SequentialLR([{"name": k, "kwargs": a} for k, a in kids], ms, base_lr=B).array(n)
        assert np.all(np.abs(got - want) <= drift(np.arange(n)) * want.max())

        chain = [("ConstantLR", {"factor": 0.5, "total_iters": rng.randint(1, 50)}),
                 ("ExponentialLR", {"gamma": 0.995}),
                 ("CosineAnnealingLR", {"T_max": n + rng.randint(0, 100)})]  # no trough in range

        def make_chain(opt):
            return S.ChainedScheduler([getattr(S, k)(opt, **a) for k, a in chain])
        want, _ = replay(make_chain, n, B)
        built = [getattr(T, k)(**a, base_lr=B) for k, a in chain]
        got = T.ChainedScheduler(built, base_lr=B).array(n)
        assert np.all(np.abs(got - want) <= drift(np.arange(n)) * want.max())
