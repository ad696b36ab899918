"""The step convention and the behaviour at and after the horizon, with expected values derived by
hand (exact where the arithmetic is exact)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastlr

from helpers import DTYPES, INT64_MAX, bits, examples, fbits

FAR = [2**31, 2**40 + 3, 2**53 + 1, 2**62, INT64_MAX - 1, INT64_MAX]


# ------------------------------------------------------------------------ Warmup


def test_warmup_step_convention():
    s = fastlr.Warmup(0.1, 5)
    assert s(0) == 0.0  # the first update trains at init_lr
    assert s(5) == 0.1  # step warmup_steps is the first at max_lr
    for t in [6, 7, 100, *FAR]:
        assert s(t) == 0.1
    ramp = s.array(5)
    np.testing.assert_allclose(ramp, [0.0, 0.02, 0.04, 0.06, 0.08], rtol=1e-15, atol=0)
    assert (np.diff(s.array(7)) >= 0).all()


def test_warmup_zero_steps_is_max_from_step_zero():
    for init in (0.0, 0.5):
        s = fastlr.Warmup(0.1, 0, init)
        assert s(0) == 0.1
        assert (s.array(100) == 0.1).all()
        assert s(INT64_MAX) == 0.1


def test_warmup_one_step():
    s = fastlr.Warmup(0.1, 1, init_lr=0.05)
    assert s(0) == 0.05 and s(1) == 0.1 and s(2) == 0.1
    assert fastlr.Warmup(0.1, 1)(0) == 0.0


def test_warmup_downward_ramp():
    s = fastlr.Warmup(0.1, 4, init_lr=0.5)  # init above max is allowed: a ramp down
    assert s(0) == 0.5 and s(4) == 0.1
    np.testing.assert_allclose(s.array(5), [0.5, 0.4, 0.3, 0.2, 0.1], rtol=1e-15)


def test_warmup_huge_ramp_end():
    W = 2**61 + 1
    s = fastlr.Warmup(1.0, W)
    assert s(W) == 1.0 and s(W + 1) == 1.0 and s(INT64_MAX) == 1.0
    assert s(W - 2**12) < 1.0  # 1 - 2**-49 (while 1 - 1/W rounds to 1.0)
    assert s(W // 2) == pytest.approx(0.5, rel=1e-15)


# ------------------------------------------------------------------------ CosineAnnealing


def test_cosine_annealing_values_and_horizon():
    s = fastlr.CosineAnnealing(0.1, 10, 0.01)
    assert s(0) == 0.1
    assert s(10) == 0.01
    for t in [11, 12, 10**6, *FAR]:
        assert s(t) == 0.01
    assert s(5) == pytest.approx(0.055, rel=1e-15)  # cos(pi/2) = 0: the midpoint
    vals = s.array(11)
    assert (np.diff(vals) <= 0).all()
    # cos(pi t / 10) for t = 0..10, written out independently
    expect = [0.01 + 0.045 * (1 + math.cos(math.pi * t / 10)) for t in range(11)]
    np.testing.assert_allclose(vals, expect, rtol=1e-14)


def test_cosine_annealing_far_past_horizon_is_min_lr():
    for T in (1, 2, 4096, 2**40 + 3, 2**62):
        s = fastlr.CosineAnnealing(0.3, T, 0.002)
        assert s(T) == 0.002
        assert s(2**62 if T < 2**62 else INT64_MAX) == 0.002
        assert (s.array(300, INT64_MAX - 299) == 0.002).all()


def test_cosine_annealing_one_step():
    s = fastlr.CosineAnnealing(0.1, 1, 0.01)
    assert s(0) == 0.1 and s(1) == 0.01 and s(INT64_MAX) == 0.01


def test_cosine_annealing_longest_horizon():
    s = fastlr.CosineAnnealing(0.1, INT64_MAX, 0.01)
    assert s(0) == 0.1
    assert s(INT64_MAX) == 0.01
    assert s(INT64_MAX - 1) == pytest.approx(0.01, abs=1e-30)
    assert s(2**62) == pytest.approx(0.055, rel=1e-15)


# ------------------------------------------------------------------------ Cyclical


def test_cyclical_values():
    s = fastlr.Cyclical(0.1, 7, 0.01)
    assert s(0) == 0.1
    assert s(7) == 0.01  # min_lr at cycle_steps
    assert s(14) == 0.1  # back at max_lr every 2 * cycle_steps
    expect = [0.01 + 0.045 * (1 + math.cos(math.pi * t / 7)) for t in range(30)]
    np.testing.assert_allclose(s.array(30), expect, rtol=1e-14)


@pytest.mark.parametrize("T", [1, 2, 3, 7, 64, 2047, 2048, 4096, 4097, 10**6 + 1, 2**40 + 3,
                               2**61, INT64_MAX // 2])
def test_cyclical_max_at_multiples_of_period_min_at_odd_multiples(T):
    s = fastlr.Cyclical(0.25, T, 0.0625)
    P = 2 * T
    top = INT64_MAX // P
    for k in sorted({0, 1, 2, 3, 1000, top // 2, top - 1, top}):
        if P * k <= INT64_MAX:
            assert s(P * k) == 0.25, k
        if P * k + T <= INT64_MAX:
            assert s(P * k + T) == 0.0625, k


@settings(max_examples=examples(150))
@given(data=st.data())
def test_cyclical_is_periodic_bit_for_bit(data):
    T = data.draw(st.one_of(st.integers(1, 10_000), st.sampled_from([4096, 2**31, 2**40 + 3]),
                            st.integers(1, 2**61)), label="T")
    s = fastlr.Cyclical(data.draw(st.floats(0, 10)), T, data.draw(st.floats(0, 10)))
    P = 2 * T
    n = data.draw(st.integers(1, 300), label="n")
    t = data.draw(st.integers(0, min(P, INT64_MAX - n)), label="t")
    kmax = (INT64_MAX - t - n + 1) // P
    if kmax < 1:
        return
    k = data.draw(st.one_of(st.integers(1, min(kmax, 100)), st.integers(1, kmax), st.just(kmax)),
                  label="k")
    assert bits(s.array(n, t)) == bits(s.array(n, t + P * k))
    assert fbits(s(t)) == fbits(s(t + P * k))


def test_cyclical_shortest_cycle():
    s = fastlr.Cyclical(0.1, 1, 0.01)
    assert list(s.array(6)) == [0.1, 0.01] * 3
    assert s(INT64_MAX) == 0.01 and s(INT64_MAX - 1) == 0.1


# ------------------------------------------------------------------------ StepDecay


@pytest.mark.parametrize("dtype", DTYPES)
def test_step_decay_halving_is_exact(dtype):
    """gamma = 0.5: every value is lr * 2**-m exactly (one rounding at most, in the subnormals)."""
    s = fastlr.StepDecay(0.1, 0.5, 3)
    m = np.arange(0, 1200)
    expect = np.array([math.ldexp(0.1, -int(k)) for k in m])
    got = s.array(3 * len(m), 0, dtype)
    assert bits(got[0::3]) == bits(expect.astype(dtype))
    assert bits(got[1::3]) == bits(got[0::3]) and bits(got[2::3]) == bits(got[0::3])


def test_step_decay_doubling_until_overflow():
    s = fastlr.StepDecay(0.1, 2.0, 4)
    for k in range(0, 1024):
        assert s(4 * k) == math.ldexp(0.1, k), k
    assert s(4 * 1030) == math.inf


def test_step_decay_plateaus_far_out():
    s = fastlr.StepDecay(0.75, 0.5, 2**61)
    assert s(2**61 - 1) == 0.75
    assert s(2**61) == 0.375
    assert s(2**62) == 0.1875
    assert s(INT64_MAX) == 0.09375  # floor((2**63 - 1) / 2**61) = 3
    assert fastlr.StepDecay(0.3, 0.5, INT64_MAX)(INT64_MAX - 1) == 0.3
    assert fastlr.StepDecay(0.3, 0.5, INT64_MAX)(INT64_MAX) == 0.15


def test_step_decay_gamma_one_is_constant():
    s = fastlr.StepDecay(0.3, 1.0, 1)
    assert (s.array(5000, 2**62) == 0.3).all() and s(INT64_MAX) == 0.3


# ------------------------------------------------------------------------ ExponentialDecay


def test_exponential_decay_values():
    s = fastlr.ExponentialDecay(0.1, 0.5)
    assert s(0) == 0.1
    expect = [0.1 * math.exp(-0.5 * t) for t in range(200)]
    np.testing.assert_allclose(s.array(200), expect, rtol=1e-14)


def test_exponential_decay_zero_rate_is_constant():
    s = fastlr.ExponentialDecay(0.1, 0.0)
    for t in [0, 1, 4096, *FAR]:
        assert s(t) == 0.1
    assert (s.array(5000, INT64_MAX - 4999) == 0.1).all()


def test_exponential_decay_underflows_to_zero_and_stays():
    s = fastlr.ExponentialDecay(1.0, 1.0)
    v = s.array(5000)
    assert v[744] > 0.0 and v[746] == 0.0  # exp(-745) is the last subnormal
    assert (np.diff(v) <= 0).all() and (v[746:] == 0).all()
    for t in FAR:
        assert s(t) == 0.0


# ------------------------------------------------------------------------ the first step


def test_value_at_step_zero_is_the_initial_rate():
    assert fastlr.StepDecay(0.3, 0.1, 5)(0) == 0.3
    assert fastlr.ExponentialDecay(0.3, 7.0)(0) == 0.3
    assert fastlr.CosineAnnealing(0.3, 5, 0.1)(0) == 0.3
    assert fastlr.Warmup(0.3, 5, 0.1)(0) == 0.1
    assert fastlr.Cyclical(0.3, 5, 0.1)(0) == 0.3
