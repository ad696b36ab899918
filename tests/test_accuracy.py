"""Accuracy of float64 values against the exact oracle (tests/oracle.py), the contract's bound:
max |fastlr - exact| <= 1e-13 * max(|rates|) over a window."""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import oracle
from helpers import (
    INT64_MAX,
    REL_TOL,
    SCHEDULES,
    SUBNORMAL_FLOOR,
    TINY,
    examples,
    length_of,
    make,
    params_strategy,
    rate_scale,
    step_decay_finite_limit,
    windows,
)


def check_window(name: str, params: dict, start: int, n: int) -> None:
    sched = make(name, params)
    got = sched.array(n, start, np.float64)
    want = oracle.exact(name, params, range(start, start + n))
    scale = rate_scale(name, params)
    if name == "StepDecay" and params["gamma"] > 1.0:
        scale = max(scale, oracle.max_abs_value(want))  # values grow: relative to the window's max
    err = oracle.max_abs_error(got, want)
    tol = REL_TOL * scale + SUBNORMAL_FLOOR
    assert err <= tol, (f"{name}({params}) steps {start}..{start + n - 1}: max error {err!r} > "
                        f"{tol!r} (= {err / scale if scale else math.inf:.3g} x scale)")


# ------------------------------------------------------------------------ the oracle itself


def test_oracle_known_values():
    """The oracle reproduces values known in closed form (so it cannot silently agree with a
    wrong kernel)."""
    with mpmath.workdps(40):
        # cos(pi/3) = 1/2: step 1 of a 3-step cosine is min + 3/4 (max - min)
        (v,) = oracle.cosine_annealing(1.0, 3, 0.0, [1])
        assert abs(v - mpmath.mpf(3) / 4) < mpmath.mpf(10) ** -35
        assert oracle.cosine_annealing(2.0, 10, 0.5, [0, 5, 10, 11, 2**62]) == [
            2, mpmath.mpf(1.25), 0.5, 0.5, 0.5]
        # Cyclical: max at multiples of 2T, min at odd multiples of T, midpoint at T/2
        vals = oracle.cyclical(1.0, 4, 0.25, [0, 8, 4, 12, 2, 2**62 + 8 - 2**62 % 8])
        assert [float(x) for x in vals] == [1.0, 1.0, 0.25, 0.25, 0.625, 1.0]
        # the phase is reduced exactly even where t/T has no exact double
        (a,) = oracle.cyclical(1.0, 3, 0.0, [INT64_MAX])
        (b,) = oracle.cyclical(1.0, 3, 0.0, [INT64_MAX % 6])
        assert a == b
        assert oracle.step_decay(0.5, 0.5, 3, [0, 2, 3, 8, 9]) == [0.5, 0.5, 0.25, 0.125, 0.0625]
        (e,) = oracle.exponential_decay(2.0, 0.5, [2])
        assert abs(e - 2 / mpmath.e) < mpmath.mpf(10) ** -35
    assert oracle.warmup(0.1, 5, 0.0, [0, 1, 5, 6]) == [0, Fraction(0.1) / 5, Fraction(0.1),
                                                         Fraction(0.1)]
    assert oracle.warmup(0.1, 0, 0.3, [0, 7]) == [Fraction(0.1)] * 2


def test_error_measure_flags_wrong_values():
    """max_abs_error really measures (a check of the checker)."""
    want = oracle.cyclical(1.0, 10, 0.0, range(5))
    good = [float(w) for w in want]
    assert oracle.max_abs_error(good, want) <= 2**-53
    bad = list(good)
    bad[3] = np.nextafter(bad[3], 2.0) + 1e-12
    assert oracle.max_abs_error(bad, want) > 1e-12
    assert oracle.max_abs_error([math.nan] * 5, want) == math.inf
    assert oracle.max_abs_error([math.inf] * 5, want) == math.inf


# ------------------------------------------------------------------------ random parameters


@pytest.mark.parametrize("name", SCHEDULES)
@settings(max_examples=examples(150))
@given(data=st.data())
def test_accuracy_random(name, data):
    params = data.draw(params_strategy(name), label="params")
    if name == "Warmup":
        W, hi, lo = params["warmup_steps"], params["max_lr"], params["init_lr"]
        # a slope below the normal range is a known bug: test_warmup_subnormal_slope_bug
        assume(W == 0 or hi == lo or abs(hi - lo) / W >= TINY)
    start, n = data.draw(windows(name, params), label="window")
    if name == "StepDecay":
        # keep gamma**m representable (see test_step_decay_growth_overflow_bug)
        last = step_decay_finite_limit(params)
        if start + n - 1 > last:
            start = max(0, last - n + 1)
            n = min(n, last + 1)
    check_window(name, params, start, n)


# ------------------------------------------------------------------------ edge cases

EDGE = [
    ("StepDecay", dict(lr=0.1, gamma=0.5, step_size=1)),
    ("StepDecay", dict(lr=1e-300, gamma=0.5, step_size=3)),
    ("StepDecay", dict(lr=1e300, gamma=0.9, step_size=7)),
    ("StepDecay", dict(lr=0.1, gamma=1.0, step_size=5)),
    ("StepDecay", dict(lr=1.0, gamma=0.999, step_size=4096)),
    ("StepDecay", dict(lr=0.1, gamma=0.97, step_size=64)),
    ("StepDecay", dict(lr=0.1, gamma=0.5, step_size=2**61)),
    ("StepDecay", dict(lr=0.1, gamma=0.9, step_size=2**40 + 3)),
    ("StepDecay", dict(lr=1e300, gamma=1e-300, step_size=1)),
    ("StepDecay", dict(lr=0.3, gamma=0.999999, step_size=INT64_MAX)),
    ("ExponentialDecay", dict(lr=0.1, decay_rate=0.0)),
    ("ExponentialDecay", dict(lr=0.1, decay_rate=1e-3)),
    ("ExponentialDecay", dict(lr=1e300, decay_rate=1e-15)),
    ("ExponentialDecay", dict(lr=1e-300, decay_rate=1.0)),
    ("ExponentialDecay", dict(lr=1.0, decay_rate=700.0)),
    ("ExponentialDecay", dict(lr=0.1, decay_rate=1e-18)),
    ("ExponentialDecay", dict(lr=1.0, decay_rate=1e300)),
    ("ExponentialDecay", dict(lr=2.0, decay_rate=3e-5)),
    ("CosineAnnealing", dict(max_lr=0.1, total_steps=1)),
    ("CosineAnnealing", dict(max_lr=0.1, total_steps=2, min_lr=0.01)),
    ("CosineAnnealing", dict(max_lr=1e300, total_steps=4097, min_lr=1e-300)),
    ("CosineAnnealing", dict(max_lr=1e-300, total_steps=2**40 + 3)),
    ("CosineAnnealing", dict(max_lr=0.1, total_steps=2**61, min_lr=1e-3)),
    ("CosineAnnealing", dict(max_lr=0.1, total_steps=INT64_MAX)),
    ("CosineAnnealing", dict(max_lr=0.0, total_steps=10, min_lr=0.1)),
    ("CosineAnnealing", dict(max_lr=1.0, total_steps=8192)),
    ("Warmup", dict(max_lr=0.1, warmup_steps=0)),
    ("Warmup", dict(max_lr=0.1, warmup_steps=1)),
    ("Warmup", dict(max_lr=0.1, warmup_steps=1, init_lr=0.05)),
    ("Warmup", dict(max_lr=1e300, warmup_steps=2**40 + 3, init_lr=1e-300)),
    ("Warmup", dict(max_lr=0.1, warmup_steps=4097)),
    ("Warmup", dict(max_lr=0.1, warmup_steps=2**61, init_lr=0.01)),
    ("Warmup", dict(max_lr=1e-300, warmup_steps=1000)),
    ("Warmup", dict(max_lr=0.01, warmup_steps=2**53 + 3, init_lr=0.5)),
    ("Cyclical", dict(max_lr=0.1, cycle_steps=1)),
    ("Cyclical", dict(max_lr=0.1, cycle_steps=2, min_lr=0.01)),
    ("Cyclical", dict(max_lr=1e300, cycle_steps=3)),
    ("Cyclical", dict(max_lr=1e-300, cycle_steps=4097)),
    ("Cyclical", dict(max_lr=0.1, cycle_steps=2048, min_lr=0.2)),
    ("Cyclical", dict(max_lr=0.1, cycle_steps=2**40 + 3, min_lr=1e-4)),
    ("Cyclical", dict(max_lr=0.1, cycle_steps=2**61)),
    ("Cyclical", dict(max_lr=0.1, cycle_steps=INT64_MAX // 2, min_lr=0.05)),
]


def _edge_starts(name: str, params: dict, n: int):
    L = length_of(name, params)
    anchors = {0, L - 1, L, L + 1, 2 * L, 3 * L + L // 2, 2**31, 2**40, 2**53, 2**62,
               4096, 4096 * 7 + 64 * 5, (INT64_MAX // L) * L}
    if name == "StepDecay":  # the exponent's table/anchor grid
        anchors |= {params["step_size"] * 4096, params["step_size"] * 64 * 65}
    if name == "Cyclical":  # phase grid, far out
        k = (2**62) // L
        anchors |= {k * L + 4096 % L, k * L + (64 * 3) % L, k * L + L // 2}
    starts = {min(max(a - n // 2, 0), INT64_MAX + 1 - n) for a in anchors if a <= INT64_MAX}
    starts.add(INT64_MAX + 1 - n)  # a window that ends exactly at 2**63 - 1
    return sorted(starts)


@pytest.mark.parametrize("name,params", EDGE, ids=[f"{n}-{p}" for n, p in EDGE])
def test_accuracy_edge_cases(name, params):
    n = 160
    for start in _edge_starts(name, params, n):
        check_window(name, params, start, n)


@pytest.mark.parametrize("gamma", [1.5, 2.0, 1.0001])
@pytest.mark.parametrize("lr", [1.0, 0.1, 1e-3])
def test_step_decay_growth_relative_to_window_max(lr, gamma):
    """gamma > 1 is allowed: the values grow, and the error is bounded relative to the largest
    value in the window, up to the last representable plateaus."""
    params = dict(lr=lr, gamma=gamma, step_size=3)
    last = step_decay_finite_limit(params)
    for start in (0, 60, 4096 * 3 - 50, last - 199):
        if start >= 0:
            check_window("StepDecay", params, start, 200)


# ------------------------------------------------------------------------ regressions (bugs found)


@pytest.mark.parametrize("max_lr,W", [(1e-300, 2**40 + 3), (1e-300, 10**12), (3e-298, 2**61)])
def test_warmup_tiny_rates_long_ramp(max_lr, W):
    """A slope (max_lr - init_lr) / W below the normal range used to lose precision (2e-12)."""
    params = dict(max_lr=max_lr, warmup_steps=W, init_lr=0.0)
    check_window("Warmup", params, W - 200, 200)


def test_step_decay_growth_no_spurious_overflow():
    """gamma**m alone overflows here while lr * gamma**m = 1e100 does not."""
    s = make("StepDecay", dict(lr=1e-300, gamma=10.0, step_size=1))
    got = s(400)
    want = float(oracle.step_decay(1e-300, 10.0, 1, [400])[0])
    assert math.isfinite(got)
    assert abs(got - want) <= 1e-13 * want


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_decay_zero_lr_growth_is_zero(dtype):
    """lr = 0 with gamma > 1 used to give 0 * inf = nan once gamma**m overflowed."""
    s = make("StepDecay", dict(lr=0.0, gamma=2.0, step_size=1))
    out = s.array(3000, 0, dtype)
    assert not np.isnan(out).any()
    assert (out == 0.0).all()
