"""fastlr.compat.optax against optax's golden values (tests/peers/data/optax.json) and, when
optax is installed, against optax itself (random configurations, evaluated in a subprocess with
``jax_enable_x64``, so the global x64 switch never touches this process).

The live comparison evaluates optax with ``jax.vmap`` (fast) and falls back to optax's eager
scalar call wherever vmap disagrees with fastlr (vmap, like jit, divides by multiplying with the
reciprocal); its blind spot — an eager value that differs from vmap where vmap agrees with
fastlr — is covered by the golden data, which is eager throughout.

Tolerance: 1e-12 relative to the entry's peak (the largest |value|) at every golden step; the
golden values are optax's eager float64 results. Documented bug case: under ``jax.jit`` XLA
computes ``count * (1/T)`` (entries carry "values_jit" where that differs); fastlr gives the exact
quotient, which is asserted against an independent mpmath evaluation at 40 digits (1e-13 of the
peak) for the polynomial/linear/cosine entries, where the jitted value is measurably off.
Golden "error" entries: fastlr raises ValueError too.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import mpmath
import numpy as np
import pytest

import fastlr
from fastlr.compat import optax as O

DATA = Path(__file__).resolve().parent / "peers" / "data" / "optax.json"
ENTRIES = json.loads(DATA.read_text())["entries"]
TOL = 1e-12
EXACT = 1e-13
mpmath.mp.dps = 40


def _ids(pred):
    return [pytest.param(e, id=e["id"]) for e in ENTRIES if pred(e)]


def build(name, kwargs):
    return getattr(O, name)(**kwargs)


@pytest.mark.parametrize("entry", _ids(lambda e: "error" not in e))
def test_golden(entry):
    s = build(entry["name"], entry["kwargs"])
    steps = np.array(entry["steps"])
    want = np.array(entry["values"])
    got = s(steps)
    peak = np.abs(want).max()
    np.testing.assert_array_less(np.abs(got - want), TOL * peak + 1e-300)
    assert np.array_equal(s.array(64), s(np.arange(64)))


@pytest.mark.parametrize("entry", _ids(lambda e: "error" in e))
def test_golden_errors(entry):
    assert entry["error"].startswith("ValueError")
    with pytest.raises(ValueError, match="decay_steps"):
        build(entry["name"], entry["kwargs"])


def _exact(name, kw, t):
    """The intended (exact-quotient) value, at 40 digits."""
    M = mpmath.mpf
    if name in ("polynomial_schedule", "linear_schedule"):
        T = kw["transition_steps"]
        if T <= 0:
            return M(kw["init_value"])
        begin = max(kw.get("transition_begin", 0), 0)
        c = min(max(t - begin, 0), T)
        p = M(kw.get("power", 1))
        a, b = M(kw["init_value"]), M(kw["end_value"])
        return (a - b) * (1 - M(c) / T) ** p + b
    if name == "cosine_decay_schedule":
        D, al, ex = kw["decay_steps"], M(kw.get("alpha", 0.0)), M(kw.get("exponent", 1.0))
        c = min(t, D)
        cd = (1 + mpmath.cos(mpmath.pi * c / D)) / 2
        return M(kw["init_value"]) * ((1 - al) * cd**ex + al)
    raise KeyError(name)


EXACT_NAMES = ("polynomial_schedule", "linear_schedule", "cosine_decay_schedule")


@pytest.mark.parametrize("entry", _ids(lambda e: "values_jit" in e and e["name"] in EXACT_NAMES))
def test_golden_jit_bug_cases_exact(entry):
    """Where XLA's jitted value differs, fastlr has the exact quotient's value."""
    s = build(entry["name"], entry["kwargs"])
    steps = np.array(entry["steps"])
    exact = np.array([float(_exact(entry["name"], entry["kwargs"], int(t))) for t in steps])
    peak = np.abs(exact).max()
    np.testing.assert_array_less(np.abs(s(steps) - exact), EXACT * peak + 1e-300)


def test_golden_jit_bug_is_real():
    """The jitted value of a fractional-power polynomial at its end is visibly off (not ulps)."""
    worst = 0.0
    for e in ENTRIES:
        if "values_jit" not in e or e["name"] != "polynomial_schedule":
            continue
        for t, v, j in zip(e["steps"], e["values"], e["values_jit"]):
            if j is not None:
                worst = max(worst, abs(j - v) / max(abs(x) for x in e["values"]))
    assert worst > 1e-10


def test_golden_coverage():
    names = {e["name"] for e in ENTRIES}
    assert names == set(O.__all__) - {"join_schedules"} | ({"join_schedules"} & names)
    assert len(ENTRIES) >= 120


# ----------------------------------------------------------------------------- API, semantics

def test_all_and_names():
    assert set(O.FASTLR_NAMES) == set(O.__all__)
    for name in O.__all__:
        assert callable(getattr(O, name))


def test_schedules_are_ordinary():
    s = O.sgdr_schedule([{"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 3,
                          "decay_steps": 20}] * 3)
    assert isinstance(s, fastlr.Schedule)
    again = fastlr.from_dict(json.loads(json.dumps(s.to_dict())))
    assert np.array_equal(again.array(100), s.array(100))


def test_join_schedules_boundary_semantics():
    a, b, c = O.constant_schedule(1.0), O.linear_schedule(0.0, 1.0, 10), O.constant_schedule(3.0)
    # unsorted boundaries: the last one <= t wins, in list order
    s = O.join_schedules([a, b, c], [10, 5])
    assert s(4) == 1.0 and s(5) == 3.0 and s(50) == 3.0
    # a boundary <= 0 enters its child at the local step t - boundary
    s = O.join_schedules([a, b], [-4])
    assert s(0) == b(4) and s(3) == b(7)
    s = O.join_schedules([a, b, c], [3, 8])
    assert [s(t) for t in (2, 3, 7, 8)] == [1.0, 0.0, b(4), 3.0]


def test_exponential_decay_edge_cases():
    # growth without end_value: the largest float is held where optax overflows to inf
    s = O.exponential_decay(1.0, 1, 2.0)
    assert s(10) == 1024.0 and s(5000) == np.finfo(float).max
    # clipping applies before transition_begin too
    s = O.exponential_decay(0.1, 10, 0.5, transition_begin=5, end_value=0.2)
    assert s(0) == 0.2 and s(100) == 0.2
    s = O.exponential_decay(1.0, 10, 0.5, transition_begin=5, staircase=True, end_value=0.2)
    assert [s(t) for t in (0, 5, 14, 15, 25, 35, 45, 10**12)] == [1, 1, 1, .5, .25, .2, .2, .2]
    assert O.exponential_decay(1.0, 0, 0.5)(100) == 1.0
    assert O.exponential_decay(1.0, 10, 0.0)(100) == 1.0


def test_onecycle_key_collisions():
    # T = 1: int(0.3) = 0 and int(0.85) = 0 collide; the later key (1/div) wins, as in optax
    s = O.linear_onecycle_schedule(1, 1.0)
    assert s(0) == pytest.approx(1.0 / 25 / 25) and s(5) == pytest.approx(1.0 / 25 / 25 / 1e4)


@pytest.mark.parametrize("call, exc, word", [
    (lambda: O.cosine_decay_schedule(0.1, 0), ValueError, "decay_steps"),
    (lambda: O.cosine_decay_schedule(0.1, 10, alpha=-0.5), ValueError, "alpha"),
    (lambda: O.cosine_decay_schedule(0.1, 10.5), TypeError, "decay_steps"),
    (lambda: O.warmup_cosine_decay_schedule(0.0, 0.1, 10, 10), ValueError, "decay_steps"),
    (lambda: O.piecewise_constant_schedule(0.1, {10: -0.5}), ValueError, "non-negative"),
    (lambda: O.piecewise_interpolate_schedule("cubic", 0.1, {10: 0.5}), ValueError,
     "interpolate_type"),
    (lambda: O.piecewise_interpolate_schedule("linear", 0.1, {"x": 0.5}), TypeError, "key"),
    (lambda: O.exponential_decay(0.1, 10, -0.5), ValueError, "decay_rate"),
    (lambda: O.polynomial_schedule(0.1, 0.0, -1.0, 10), ValueError, "power"),
    (lambda: O.constant_schedule(-1.0), ValueError, "value"),
    (lambda: O.cosine_onecycle_schedule(0, 0.1), ValueError, "transition_steps"),
    (lambda: O.linear_onecycle_schedule(-3, 0.1), ValueError, "transition_steps"),
    (lambda: O.join_schedules([O.constant_schedule(1.0)], [3]), ValueError, "boundaries"),
    (lambda: O.join_schedules([1.0, 2.0], [3]), TypeError, "schedules"),
    (lambda: O.sgdr_schedule([]), ValueError, "cosine_kwargs"),
])
def test_validation(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


# ----------------------------------------------------------------------------- live optax

_RUNNER = textwrap.dedent("""
    import json, sys
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    import optax

    def make(name, kw):
        kw = dict(kw)
        if name == "join_schedules":
            return optax.join_schedules([make(c["name"], c["kwargs"]) for c in kw["schedules"]],
                                        kw["boundaries"])
        if kw.get("boundaries_and_scales") is not None:
            kw["boundaries_and_scales"] = {int(k): v for k, v in kw["boundaries_and_scales"].items()}
        return getattr(optax, name)(**kw)

    out = []
    for case in json.load(sys.stdin):
        f = make(case["name"], case["kwargs"])
        # jax.vmap (eager, float64) for speed; but vmap, like jit, lets XLA divide by multiplying
        # with the reciprocal (e.g. floor(249 * (1/249)) = 0 in a staircase), so wherever it
        # disagrees with the candidate values, optax's eager scalar call (the golden data's
        # definition) decides
        vals = np.array(jax.vmap(f)(jnp.asarray(case["steps"], dtype=jnp.int64)), dtype=float)
        cand = np.asarray(case["candidate"])
        peak = max(np.abs(vals).max(), 1e-300)
        eager = 0
        for i in np.flatnonzero(np.abs(vals - cand) > case["tol"] * peak):
            vals[i] = float(f(jnp.asarray(case["steps"][i], dtype=jnp.int64)))
            eager += 1
        out.append({"values": vals.tolist(), "eager": eager})
    json.dump(out, sys.stdout)
""")


def _random_cases(rng):
    def v():
        return rng.choice([0.1, 1.0, round(rng.uniform(1e-4, 1.0), 6)])

    def H(hi=3000):
        return rng.choice([rng.randint(1, 20), rng.randint(1, hi)])

    cases = []
    for _ in range(4):
        cases += [
            ("constant_schedule", {"value": v()}),
            ("linear_schedule", {"init_value": v(), "end_value": rng.choice([0.0, v()]),
                                 "transition_steps": H(), "transition_begin": rng.randint(-5, 50)}),
            ("polynomial_schedule", {"init_value": v(), "end_value": rng.choice([0.0, 1e-5]),
                                     "power": round(rng.uniform(0.2, 4.0), 3),
                                     "transition_steps": H(), "transition_begin": rng.randint(0, 50)}),
            ("piecewise_constant_schedule", {"init_value": v(), "boundaries_and_scales": {
                str(b): rng.choice([0.1, 0.5, 2.0]) for b in rng.sample(range(0, 500), 3)}}),
            ("piecewise_interpolate_schedule", {
                "interpolate_type": rng.choice(["linear", "cosine"]), "init_value": v(),
                "boundaries_and_scales": {str(b): rng.choice([0.1, 0.5, 2.0, 10.0])
                                          for b in rng.sample(range(0, 500), 3)}}),
            ("exponential_decay", {"init_value": v(), "transition_steps": H(500),
                                   "decay_rate": rng.choice([round(rng.uniform(0.05, 0.99), 4), 1.5]),
                                   "transition_begin": rng.randint(0, 40),
                                   "staircase": rng.random() < 0.5,
                                   "end_value": rng.choice([None, 1e-4, 50.0])}),
            ("cosine_decay_schedule", {"init_value": v(), "decay_steps": H(),
                                       "alpha": rng.choice([0.0, round(rng.uniform(0, 0.5), 3)]),
                                       "exponent": rng.choice([1.0, 2.0, round(rng.uniform(0.5, 3), 3)])}),
            ("warmup_cosine_decay_schedule", {"init_value": rng.choice([0.0, 1e-5]), "peak_value": v(),
                                              "warmup_steps": (w := rng.randint(0, 100)),
                                              "decay_steps": w + H(),
                                              "end_value": rng.choice([0.0, 1e-6]),
                                              "exponent": rng.choice([1.0, 0.5])}),
            ("warmup_constant_schedule", {"init_value": 0.0, "peak_value": v(),
                                          "warmup_steps": rng.randint(0, 200)}),
            ("warmup_exponential_decay_schedule", {
                "init_value": 0.0, "peak_value": v(), "warmup_steps": rng.randint(0, 100),
                "transition_steps": H(500), "decay_rate": round(rng.uniform(0.1, 0.99), 3),
                "transition_begin": rng.randint(0, 30), "staircase": rng.random() < 0.5,
                "end_value": rng.choice([None, 1e-6])}),
            ("sgdr_schedule", {"cosine_kwargs": [
                {"init_value": 0.0, "peak_value": v(), "warmup_steps": (w := rng.randint(0, 20)),
                 "decay_steps": w + rng.randint(1, 200)} for _ in range(rng.randint(1, 3))]}),
            ("cosine_onecycle_schedule", {"transition_steps": H(), "peak_value": v(),
                                          "pct_start": round(rng.uniform(0.05, 0.5), 3),
                                          "div_factor": 25.0, "final_div_factor": 1e4}),
            ("linear_onecycle_schedule", {"transition_steps": H(), "peak_value": v(),
                                          "pct_start": round(rng.uniform(0.05, 0.5), 3),
                                          "pct_final": round(rng.uniform(0.55, 0.95), 3)}),
            ("join_schedules", {"schedules": [
                {"name": "linear_schedule", "kwargs": {"init_value": 0.0, "end_value": v(),
                                                       "transition_steps": rng.randint(1, 50)}},
                {"name": "cosine_decay_schedule", "kwargs": {"init_value": v(),
                                                             "decay_steps": rng.randint(1, 400)}},
                {"name": "constant_schedule", "kwargs": {"value": v()}}],
                "boundaries": sorted(rng.sample(range(-10, 600), 2))}),
        ]
    return cases


def test_live_optax_random():
    pytest.importorskip("optax")
    pytest.importorskip("jax")
    rng = random.Random(20240911)
    steps = list(range(300)) + sorted(rng.sample(range(300, 10**6), 40))
    cases = [{"name": n, "kwargs": kw, "steps": steps, "tol": TOL,
              "candidate": build(n, kw)(np.array(steps)).tolist()}
             for n, kw in _random_cases(rng)]
    proc = subprocess.run([sys.executable, "-c", _RUNNER], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout)
    assert len(results) == len(cases)
    assert sum(r["eager"] for r in results) < 0.05 * len(cases) * len(steps)
    for case, res in zip(cases, results):
        want = np.array(res["values"])
        got = build(case["name"], case["kwargs"])(np.array(steps))
        peak = np.abs(want).max()
        bad = np.abs(got - want) > TOL * peak
        assert not bad.any(), (case, np.flatnonzero(bad)[:5], got[bad][:3], want[bad][:3])
