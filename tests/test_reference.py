"""Agreement with fastlr.reference (the numpy formulas) on moderate steps, with a tolerance the
reference can meet: 1e-12 relative to the schedule's peak. The reference computes pi * t / T in
float64, which loses ~t/T ulps of phase, so periodic schedules stay within ~1000 periods."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fastlr import reference

from helpers import MODERATE_RATES, SCHEDULES, examples, make, params_strategy, rate_scale

RTOL = 1e-12
T_MAX = 10**6
MODERATE_GAMMAS = st.one_of(st.floats(1e-3, 1.0), st.sampled_from([0.5, 0.9, 1.0, 1.001]))


def _moderate(name, params):
    """Periods below the step range; gamma**m bounded."""
    for k in ("step_size", "total_steps", "warmup_steps", "cycle_steps"):
        if k in params:
            params[k] = params[k] % 200_000 + (0 if k == "warmup_steps" else 1)
    if name == "ExponentialDecay":
        params["decay_rate"] = min(params["decay_rate"], 1e3)
    return params


@pytest.mark.parametrize("name", SCHEDULES)
@settings(max_examples=examples(100))
@given(data=st.data())
def test_agrees_with_numpy_reference(name, data):
    params = _moderate(name, data.draw(params_strategy(name, MODERATE_RATES, MODERATE_GAMMAS)))
    s = make(name, params)
    hi = T_MAX
    if name == "Cyclical":
        hi = min(T_MAX, 1000 * params["cycle_steps"])
    start = data.draw(st.integers(0, hi - 1))
    n = data.draw(st.integers(1, min(2000, hi - start)))
    if name == "StepDecay" and params["gamma"] > 1:
        assume((start + n) // params["step_size"] * math.log(params["gamma"]) < 600)
    steps = np.arange(start, start + n, dtype=np.int64)
    want = reference.evaluate(s, steps)
    got = s.array(n, start)
    scale = max(rate_scale(name, params), float(np.max(np.abs(want))))
    np.testing.assert_allclose(got, want, rtol=0, atol=RTOL * scale)
    # the dict form of the schedule gives the same reference values
    assert np.array_equal(reference.evaluate(s.to_dict(), steps), want)


@pytest.mark.parametrize("name,params", [
    ("StepDecay", dict(lr=0.1, gamma=0.5, step_size=30)),
    ("ExponentialDecay", dict(lr=0.1, decay_rate=1e-4)),
    ("CosineAnnealing", dict(max_lr=0.1, total_steps=100_000, min_lr=1e-5)),
    ("Warmup", dict(max_lr=0.1, warmup_steps=5000, init_lr=1e-3)),
    ("Cyclical", dict(max_lr=0.1, cycle_steps=1000, min_lr=1e-4)),
])
def test_agrees_with_numpy_reference_full_range(name, params):
    """Every step of [0, 1e6)."""
    s = make(name, params)
    steps = np.arange(T_MAX, dtype=np.int64)
    want = reference.evaluate(s, steps)
    np.testing.assert_allclose(s.array(T_MAX), want, rtol=0, atol=RTOL * rate_scale(name, params))
    # and the gather of shuffled steps
    perm = np.random.default_rng(0).permutation(T_MAX)[:5000]
    np.testing.assert_allclose(s(steps[perm]), want[perm], rtol=0,
                               atol=RTOL * rate_scale(name, params))
