"""The catalogue of families (issue 3): accuracy against an independent exact oracle, agreement with
fastlr.reference, bit-for-bit consistency of fill / scalar / gather / float32, documented values at
phase ends and restarts, bad constructor input, serialisation.

Expected values come from tests/exact.py (mpmath + exact integers, written from the docstrings) or
from hand formulas; fastlr's own output is only ever compared with itself for consistency.
"""
from __future__ import annotations

import json
import math
import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mpmath import mp, mpf

import fastlr
import fastlr.reference as reference

try:
    import exact
except ImportError:  # tests/ turned into a package
    from tests import exact

FAMILIES = exact.FAMILIES
NAMES = sorted(FAMILIES)
LAST = exact.LAST_STEP

# When a hypothesis property fails, the hypothesis pytest plugin's report hook can trip a
# DeprecationWarning (mypy_extensions.TypedDict) that filterwarnings=error turns into an
# INTERNALERROR hiding the falsifying example; it is not about fastlr, so ignore it here.
pytestmark = pytest.mark.filterwarnings("ignore:mypy_extensions.TypedDict:DeprecationWarning")
SLOW_OK = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
# FASTLR_TEST_EXAMPLES=N runs every property with N examples (a longer hunt than the default run)
ACCURACY = settings(max_examples=exact.examples(35), deadline=None, suppress_health_check=SLOW_OK)
QUICK = settings(max_examples=exact.examples(40), deadline=None, suppress_health_check=SLOW_OK)

REL = exact.REL
assert_exact = exact.assert_exact
bits = exact.bits


def exact_float(s, t: int) -> float:
    return float(exact.oracle(s)(t))



# ============================================================================ accuracy (float64)
@pytest.mark.parametrize("family", NAMES)
@ACCURACY
@given(data=st.data())
def test_accuracy_against_exact_oracle(family, data):
    """Windows at 0, straddling a segment boundary, straddling a multiple of 64/4096 in a segment's
    local coordinates, and far out (2**31, 2**32, 2**40, 2**53, 2**62, the last step)."""
    s = data.draw(FAMILIES[family], label="schedule")
    n = data.draw(st.integers(200, 400), label="n")
    for start in exact.draw_windows(data.draw, s, n):
        assert_exact(s, start, n)


ACCURACY_CASES = [
    fastlr.Constant(0.1),
    fastlr.MultiStep(0.5, [0, 7, 7, 4096, 2**31, 2**40 + 5], 0.3),
    fastlr.MultiStep(1e-3, [100, 200], 1.7),
    fastlr.PiecewiseConstant([3, 4096, 2**33], [0.1, 0.0, 7.5, 1e-5]),
    fastlr.Linear(0.1, 1e-6, 1000),
    fastlr.Linear(0.0, 3.0, 2**40 + 3),
    fastlr.Polynomial(1.0, 0.0, 10**9, 0.5),
    fastlr.Polynomial(0.3, 0.01, 5000, 1.0),
    fastlr.Polynomial(0.3, 0.01, 5000, 2.0),
    fastlr.Polynomial(0.3, 0.01, 2**62, 2.7),
    fastlr.CyclicPolynomial(0.1, 1e-4, 7, 1.0),
    fastlr.CyclicPolynomial(1.0, 0.0, 1000, 0.5),
    fastlr.CyclicPolynomial(0.3, 0.01, 4096, 3.7),
    fastlr.CyclicPolynomial(1e-3, 0.5, 3, 2.0),
    fastlr.CyclicPolynomial(0.3, 0.0, 2**62 + 3, 5000.0),
    fastlr.InverseSqrt(1e-3, 4000),
    fastlr.InverseSqrt(1.0, 1),
    fastlr.InverseTime(0.1, 0.5, 7),
    fastlr.InverseTime(0.1, 3.0, 1000, staircase=True),
    fastlr.OneCycle(0.1, 1000),
    fastlr.OneCycle(0.1, 1001, pct_start=0.37, anneal="linear"),
    fastlr.OneCycle(0.1, 10007, pct_start=0.25, three_phase=True),
    fastlr.OneCycle(2.0, 2**40 + 1, pct_start=0.3, three_phase=True, anneal="linear"),
    fastlr.OneCycle(1.0, 7, pct_start=0.3),  # phase 1 spans 1.1 steps
    fastlr.Triangular(1e-4, 1e-2, 2000),
    fastlr.Triangular(1e-4, 1e-2, 3, 5000, mode="triangular2"),
    fastlr.Triangular(1e-4, 1e-2, 4096, 64, mode="exp_range", gamma=0.99994),
    fastlr.Triangular(0.5, 0.1, 2**40, 2**41, mode="exp_range", gamma=1.0),
    fastlr.WarmRestarts(0.1, 7, cycle_mult=3, min_lr=1e-4, cycle_decay=0.9),
    fastlr.WarmRestarts(0.1, 4096, cycle_mult=1.5, min_lr=1e-4, max_cycles=9),
    fastlr.WarmRestarts(0.1, 5000, cycle_mult=1, min_lr=1e-5, cycle_decay=0.99),
    fastlr.WarmRestarts(0.1, 64, cycle_mult=1, max_cycles=100),
    fastlr.WarmRestarts(1.0, 3, cycle_mult=1.1, cycle_decay=0.97),
    fastlr.WarmupStableDecay(3e-4, 2000, 10000, 5000, 3e-5, "linear"),
    fastlr.WarmupStableDecay(3e-4, 0, 0, 4096, 0.0, "cosine"),
    fastlr.WarmupStableDecay(3e-4, 64, 1, 10**7, 1e-6, "sqrt"),
]


@pytest.mark.parametrize("s", ACCURACY_CASES, ids=repr)
def test_accuracy_fixed_cases(s):
    """Every breakpoint and its local 64/4096 grid, step 0 and the far steps."""
    n = 256
    starts = {0, 2**31 - n // 2, 2**40, 2**62 - n // 2, LAST - n + 1}
    bps = exact.breakpoints(s)
    for i, b in enumerate(bps[:40]):
        starts.add(max(b - n // 2, 0))
        for a in exact.local_anchors(b, bps[i + 1] if i + 1 < len(bps) else None)[:6]:
            starts.add(a - n // 2)
    for start in sorted({min(max(x, 0), LAST - n + 1) for x in starts}):
        assert_exact(s, start, n)


def test_polynomial_huge_power_accuracy():
    assert_exact(fastlr.Polynomial(1.0, 0.0, 10**9, 5000.0), 0, 300)


class _Perturbed:
    """A schedule whose values are off by `rel` x peak (its dict is the unperturbed one)."""

    def __init__(self, s, rel):
        self.s, self.rel = s, rel

    def array(self, n, start=0):
        return self.s.array(n, start) + self.rel * exact.peak(self.s)

    def to_dict(self):
        return self.s.to_dict()


@pytest.mark.parametrize("s", [fastlr.CosineAnnealing(1.0, 1000), fastlr.OneCycle(0.1, 999),
                               fastlr.WarmRestarts(0.1, 7, 3)], ids=repr)
def test_accuracy_harness_can_fail(s):
    """The harness detects an error of 2e-13 x peak, and accepts 0.5e-13 x peak."""
    with pytest.raises(AssertionError):
        assert_exact(_Perturbed(s, 2e-13), 800, 100)
    assert_exact(_Perturbed(s, 0.5e-13), 800, 100)


# ============================================================================ WarmRestarts: exact restarts
def test_warm_restarts_847_is_a_restart():
    """first_cycle_steps=7, cycle_mult=3: cycles of 7, 21, 63, 189, 567, ... start at 0, 7, 28,
    91, 280, 847 — computed here by hand. torch/timm's log-based cycle index misses 847."""
    assert [7 * (3**k - 1) // 2 for k in range(6)] == [0, 7, 28, 91, 280, 847]
    s = fastlr.WarmRestarts(max_lr=0.1, first_cycle_steps=7, cycle_mult=3)
    assert s(847) == 0.1
    s = fastlr.WarmRestarts(max_lr=1.0, first_cycle_steps=7, cycle_mult=3, cycle_decay=0.5)
    assert s(847) == 0.5**5  # exactly max_lr * cycle_decay**5
    # t = 846 is the last step of cycle 4 (567 steps long): cosine at 566/567 of the way down
    expect_846 = 0.5**4 * (1 + math.cos(math.pi * 566 / 567)) / 2
    assert s(846) == pytest.approx(expect_846, rel=1e-12, abs=1e-16)
    assert s(846) < 1e-4 * s(847)  # (pi / 567)**2 / 4 of cycle 4's peak
    # with a floor and a non-dyadic decay: within 1 ulp of the exact peak max_lr * decay**5
    s = fastlr.WarmRestarts(max_lr=0.1, first_cycle_steps=7, cycle_mult=3, min_lr=1e-3,
                            cycle_decay=0.9)
    with mp.workdps(40):
        peak5 = mpf(0.1) * mpf(0.9) ** 5
    assert exact.ulps(s(847), float(peak5)) <= 1
    assert s(846) == pytest.approx(exact_float(s, 846), abs=1e-13 * 0.1)
    assert s(848) < s(847)


@pytest.mark.parametrize("first,mult,decay,min_lr,K", [
    (7, 3, 1.0, 0.0, None),
    (7, 3, 0.8, 1e-4, None),
    (1, 2, 1.0, 0.0, None),
    (10, 1.5, 0.7, 0.01, 8),
    (3, 1.5, 0.95, 0.0, None),
    (1000, 1.1, 1.0, 1e-3, None),
    (5, 1.2, 1.0, 0.0, 12),
    (4096, 2, 0.5, 0.0, None),
])
def test_warm_restarts_every_restart_is_at_the_peak(first, mult, decay, min_lr, K):
    """At each exact cycle start (integer arithmetic, up to 2**63) the value is the cycle's peak
    max_lr * decay**k (within 1 ulp), the step before is the end of the previous cycle; after
    max_cycles cycles min_lr is held."""
    hi = 0.5
    s = fastlr.WarmRestarts(hi, first, cycle_mult=mult, min_lr=min_lr, cycle_decay=decay,
                            max_cycles=K)
    starts, lengths = exact.restart_steps(first, mult, limit=K)
    assert s.cycle_starts(len(starts)) == tuple(starts)
    ts = np.array(starts, dtype=np.int64)
    vals = s(ts)
    f = exact.oracle(s)
    for k, t in enumerate(starts):
        with mp.workdps(40):
            pk = max(mpf(hi) * mpf(decay) ** k, mpf(min_lr)) if decay != 1 else mpf(hi)
        assert exact.ulps(vals[k], float(pk)) <= 1, (k, t)
        assert s(t) == vals[k]
        if t > 0:
            prev = s(t - 1)
            assert abs(prev - float(f(t - 1))) <= REL * hi
            if lengths[k - 1] > 1:  # (a 1-step cycle is all peak)
                assert prev < vals[k] or vals[k] == min_lr
    if K is not None:
        end = starts[-1] + lengths[-1]
        assert s(end) == min_lr and s(end + 12345) == min_lr and s(LAST) == min_lr
        assert s(end - 1) > min_lr or hi * decay ** (K - 1) == min_lr


def test_warm_restarts_real_mult_uses_the_binary_value():
    """Documented: cycle lengths use the exact binary value of cycle_mult. 1.2 is
    1.1999999999999999555...: floor(5 * 1.2) is 5, not 6 (a float product would round up)."""
    assert math.floor(5 * 1.2) == 6 and 5 * Fraction(1.2) < 6
    s = fastlr.WarmRestarts(1.0, 5, cycle_mult=1.2)
    assert s.cycle_lengths(3) == (5, 5, 7)
    assert s(10) == 1.0 and s(9) < 0.1  # the restart after two 5-step cycles
    assert_exact(s, 0, 300)


def test_warm_restarts_max_cycles_mult_one():
    s = fastlr.WarmRestarts(0.2, 100, min_lr=0.01, cycle_decay=0.5, max_cycles=3)
    assert s(0) == 0.2 and s(100) == 0.1 and s(200) == 0.05
    assert s(300) == 0.01 and s(299) > 0.01 and s(2**62) == 0.01
    assert_exact(s, 0, 400)


def test_warm_restarts_max_cycles_past_the_last_step():
    s = fastlr.WarmRestarts(1.0, 3, max_cycles=2**62)
    assert LAST // 3 < 2**62 and LAST % 3 == 1  # the last step is inside cycle LAST // 3
    assert s(LAST - 1) == 1.0  # a restart (u = 0)
    assert s(LAST) == pytest.approx(0.75, rel=1e-15)  # u = 1: (1 + cos(pi / 3)) / 2; fastlr: 0.0


def test_warm_restarts_too_many_cycles_message_names_max_cycles():
    with pytest.raises(ValueError, match="max_cycles=30000"):
        fastlr.WarmRestarts(1.0, 1, 1.0001, max_cycles=30000)


# ============================================================================ documented values
def test_one_cycle_peak_and_end_fall_where_documented():
    s = fastlr.OneCycle(0.1, 1000)  # pct_start 0.3: torch's first phase ends at step 299
    # step 0: initial_lr, computed as torch does (max + (initial - max) * (1 + cos 0) / 2), which
    # is within a few ulps of max_lr / div_factor
    assert exact.ulps(s(0), 0.1 / 25) <= 8
    assert s(299) == 0.1
    assert s(298) < 0.1 and s(300) < 0.1
    assert s(999) == 0.1 / 25 / 1e4
    assert s(1000) == s(999) == s(10**12) == s(LAST)
    three = fastlr.OneCycle(0.1, 1000, three_phase=True)  # ends 299, 598, 999
    assert three(299) == 0.1 and three(598) == 0.1 / 25 and three(999) == 0.1 / 25 / 1e4
    lin = fastlr.OneCycle(0.1, 1000, anneal="linear")
    assert lin(299) == 0.1 and abs(lin(999) - 0.1 / 25 / 1e4) <= 1e-13 * 0.1
    assert lin(1000) == lin(LAST) == 0.1 / 25 / 1e4
    # pct_start * T not an integer: the top lies between steps 299 and 300 (T = 1001: 299.3)
    frac = fastlr.OneCycle(0.1, 1001)
    assert max(frac(299), frac(300)) == max(frac.array(1001))
    assert frac(299) < 0.1 and frac(300) < 0.1
    for t in (299, 300, 1000):
        assert frac(t) == pytest.approx(exact_float(frac, t), abs=1e-13 * 0.1)


def test_one_cycle_linear_last_step_is_min_lr():
    lin = fastlr.OneCycle(0.1, 1000, anneal="linear")
    assert lin(999) == lin.min_lr == lin(1000)


def test_one_cycle_linear_halfway_by_hand():
    s = fastlr.OneCycle(1.0, 201, pct_start=0.5, anneal="linear", div_factor=4.0,
                        final_div_factor=2.0)
    # phase 1: 0 .. 99.5 from 0.25 to 1; phase 2: 99.5 .. 200 from 1 to 0.125
    assert s(0) == 0.25
    assert s(50) == pytest.approx(0.25 + 0.75 * 50 / 99.5, rel=1e-15)
    assert s(150) == pytest.approx(1.0 + (0.125 - 1.0) * (150 - 99.5) / (200 - 99.5), rel=1e-15)
    assert s(200) == 0.125


def test_triangular_by_hand():
    s = fastlr.Triangular(0.1, 1.0, 3, 5)
    expect = [0.1 + 0.9 * f for f in (0, 1 / 3, 2 / 3, 1, 4 / 5, 3 / 5, 2 / 5, 1 / 5)] * 3
    np.testing.assert_allclose(s.array(24), expect, rtol=1e-15)
    assert s(3) == 1.0 and s(11) == 1.0 and s(8) == 0.1
    t2 = fastlr.Triangular(0.1, 1.0, 3, 5, mode="triangular2")
    assert t2(3) == 1.0 and t2(11) == pytest.approx(0.55, rel=1e-15)
    assert t2(8 * 40 + 3) == pytest.approx(0.1 + 0.9 * 2.0**-40, rel=1e-15)
    ex = fastlr.Triangular(0.1, 1.0, 3, 5, mode="exp_range", gamma=0.9)
    assert ex(11) == pytest.approx(0.1 + 0.9 * 0.9**11, rel=1e-14)
    # the top of a period is exact far out too (integer phases)
    far = 8 * (2**59) + 3
    assert s(far) == 1.0 and s(far + 5) == 0.1


def test_wsd_by_hand():
    for shape in ("linear", "cosine", "sqrt"):
        s = fastlr.WarmupStableDecay(1.0, 10, 20, 40, 0.2, shape)
        assert s(0) == 0.2 and s(5) == pytest.approx(0.6, rel=1e-15)
        assert s(10) == s(29) == s(30) == 1.0
        assert s(70) == s(71) == s(LAST) == 0.2
    assert fastlr.WarmupStableDecay(1.0, 10, 20, 40, 0.2, "sqrt")(40) == pytest.approx(0.6, 1e-15)
    assert fastlr.WarmupStableDecay(1.0, 10, 20, 40, 0.2, "linear")(40) == pytest.approx(0.8, 1e-15)
    assert fastlr.WarmupStableDecay(1.0, 10, 20, 40, 0.2, "cosine")(50) == pytest.approx(0.6, 1e-15)
    no_warm = fastlr.WarmupStableDecay(1.0, 0, 0, 4, 0.0)
    assert list(no_warm.array(6)) == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]


def test_simple_families_by_hand():
    assert fastlr.MultiStep(1.0, [5, 5, 0], 0.5).array(7).tolist() == [0.5] * 5 + [0.125] * 2
    pc = fastlr.PiecewiseConstant([2, 5], [3.0, 2.0, 1.0])
    assert pc.array(7).tolist() == [3.0, 3.0, 2.0, 2.0, 2.0, 1.0, 1.0] and pc(LAST) == 1.0
    lin = fastlr.Linear(1.0, 3.0, 4)
    assert lin.array(6).tolist() == [1.0, 1.5, 2.0, 2.5, 3.0, 3.0]
    poly = fastlr.Polynomial(2.0, 1.0, 4, 2.0)
    assert poly.array(6).tolist() == [2.0, 1.5625, 1.25, 1.0625, 1.0, 1.0]
    isq = fastlr.InverseSqrt(0.5, 100)
    assert isq(0) == isq(99) == isq(100) == 0.5 and isq(400) == 0.25
    # past u >= 4096 the kernel uses an anchored series: within an ulp of the exact 5e-5
    assert isq(10**10) == pytest.approx(0.00005, rel=2.3e-16)
    it = fastlr.InverseTime(1.0, 1.0, 10)
    assert it(10) == 0.5 and it(30) == 0.25
    its = fastlr.InverseTime(1.0, 1.0, 10, staircase=True)
    assert its(9) == 1.0 and its(10) == 0.5 and its(39) == 0.25


# ============================================================================ agreement with reference.py
@pytest.mark.parametrize("family", NAMES)
@QUICK
@given(data=st.data())
def test_agrees_with_numpy_reference(family, data):
    """fastlr.reference is the numpy formula as printed: within 1e-12 x peak at moderate steps."""
    s = data.draw(FAMILIES[family], label="schedule")
    assume(not (family == "Polynomial" and s.power == 0))  # see test_reference_polynomial_power_0
    bps = [b for b in exact.breakpoints(s) if b < 200000] or [0]
    centre = data.draw(st.sampled_from(bps + [0, 4096, 100000]), label="centre")
    t = np.arange(max(centre - 300, 0), centre + 300, dtype=np.int64)
    if family in ("CosineRestarts", "PolynomialRestarts"):
        # reference.cosine_restarts (and polynomial_restarts) finds the cycle with a floating logarithm (its docstring: "not
        # exact at restarts"): leave out the steps next to a restart, where it can be a cycle off
        # (test_parity_core.py checks those steps against exact cycle membership)
        p = s.params
        starts, _ = exact.real_cycle_starts(p["cycle_steps"], p["cycle_mult"], p["max_cycles"],
                                            below=int(t[-1]) + 2)
        near = {math.ceil(x) + d for x in starts for d in (-1, 0, 1)}
        if p["max_cycles"] is None and p["cycle_mult"] == 1.0:
            L = int(p["cycle_steps"])
            near = {k * L + d for k in range(int(t[-1]) // L + 2) for d in (-1, 0, 1)}
        t = np.array([x for x in t.tolist() if x not in near], dtype=np.int64)
        assume(t.size > 0)
    got = s(t)
    ref = reference.evaluate(s, t)
    scale = max(exact.peak(s), float(np.max(np.abs(ref))))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * scale)


def test_reference_polynomial_power_0():
    s = fastlr.Polynomial(1.0, 0.5, 10, 0.0)
    t = np.arange(12)
    assert s(10) == 0.5  # the documented behaviour ("end_lr from t = T on")
    np.testing.assert_array_equal(reference.evaluate(s, t), s(t))


# ============================================================================ consistency (bit for bit)
def _around(s, data, N):
    """A base step for a window of N steps that contains breakpoints / local anchors."""
    bps = exact.breakpoints(s)
    i = data.draw(st.integers(0, len(bps) - 1), label="breakpoint")
    cands = [bps[i]] + exact.local_anchors(bps[i], bps[i + 1] if i + 1 < len(bps) else None)
    cands += list(exact.FAR)
    centre = data.draw(st.sampled_from(cands), label="centre")
    return min(max(centre - data.draw(st.integers(0, N - 1), label="shift"), 0), LAST - N + 1)


@pytest.mark.parametrize("family", NAMES)
@QUICK
@given(data=st.data())
def test_windows_scalars_gathers_float32_agree_with_full_fill(family, data):
    s = data.draw(FAMILIES[family], label="schedule")
    N = data.draw(st.integers(64, 9000), label="N")
    base = _around(s, data, N)
    full = s.array(N, base)
    # windows that straddle whatever lies inside [base, base + N)
    for _ in range(3):
        a = data.draw(st.integers(0, N - 1), label="a")
        b = data.draw(st.integers(a, N), label="b")
        part = s.fill(np.full(b - a, np.nan), base + a)
        np.testing.assert_array_equal(bits(part), bits(full[a:b]))
    # scalar calls (Python int and numpy integer) and gathers in any order and shape
    idx = data.draw(st.lists(st.integers(0, N - 1), min_size=1, max_size=40), label="idx")
    for i in idx[:15]:
        v = s(base + i)
        assert type(v) is float
        assert bits(np.array([v])) == bits(full[i:i + 1])
        assert bits(np.array([s(np.int64(base + i))])) == bits(full[i:i + 1])
    steps = np.array([base + i for i in idx], dtype=np.int64)
    np.testing.assert_array_equal(bits(s(steps)), bits(full[idx]))
    np.testing.assert_array_equal(bits(s(steps[::-1].reshape(-1, 1))).ravel(), bits(full[idx[::-1]]))
    # float32: the float64 values rounded once
    f32 = s.array(N, base, dtype=np.float32)
    assert f32.dtype == np.float32
    np.testing.assert_array_equal(bits(f32), bits(full.astype(np.float32)))


@pytest.mark.parametrize("s", ACCURACY_CASES, ids=repr)
def test_fill_is_independent_of_how_a_range_is_split(s):
    """Cut a range around each breakpoint into chunks of odd sizes: same bits as one fill."""
    for b in exact.breakpoints(s)[:12] + [2**40]:
        base = max(b - 5000, 0)
        full = s.array(10001, base)
        out = np.empty(10001)
        pos = 0
        for size in [1, 63, 64, 65, 4095, 4097, 1, 2, 5000]:
            s.fill(out[pos:pos + size], base + pos)
            pos += size
        s.fill(out[pos:], base + pos)
        np.testing.assert_array_equal(bits(out), bits(full))


# ============================================================================ bad constructor input
nan, inf = float("nan"), float("inf")
C = fastlr
BAD = [
    # (constructor, kwargs, exception, the parameter named, the value shown)
    (C.Constant, dict(lr=-0.1), ValueError, "lr", "-0.1"),
    (C.Constant, dict(lr=nan), ValueError, "lr", "nan"),
    (C.Constant, dict(lr=inf), ValueError, "lr", "inf"),
    (C.Constant, dict(lr="0.1"), TypeError, "lr", "'0.1'"),
    (C.Constant, dict(lr=None), TypeError, "lr", "None"),
    (C.Constant, dict(lr=True), TypeError, "lr", "True"),
    (C.MultiStep, dict(lr=-1.0, milestones=[1]), ValueError, "lr", "-1.0"),
    (C.MultiStep, dict(lr=1.0, milestones=5), TypeError, "milestones", "5"),
    (C.MultiStep, dict(lr=1.0, milestones="12"), TypeError, "milestones", "'12'"),
    (C.MultiStep, dict(lr=1.0, milestones=[1, -2]), ValueError, "milestones[1]", "-2"),
    (C.MultiStep, dict(lr=1.0, milestones=[1.5]), TypeError, "milestones[0]", "1.5"),
    (C.MultiStep, dict(lr=1.0, milestones=[1], gamma=0.0), ValueError, "gamma", "0.0"),
    (C.MultiStep, dict(lr=1.0, milestones=[1], gamma=-0.5), ValueError, "gamma", "-0.5"),
    (C.MultiStep, dict(lr=1.0, milestones=[1], gamma=nan), ValueError, "gamma", "nan"),
    (C.PiecewiseConstant, dict(boundaries=[5, 3], values=[1, 2, 3]), ValueError, "boundaries",
     "[5, 3]"),
    (C.PiecewiseConstant, dict(boundaries=[3, 3], values=[1, 2, 3]), ValueError, "boundaries",
     "[3, 3]"),
    (C.PiecewiseConstant, dict(boundaries=[0, 3], values=[1, 2, 3]), ValueError, "boundaries[0]",
     "0"),
    (C.PiecewiseConstant, dict(boundaries=[2.5], values=[1, 2]), TypeError, "boundaries[0]", "2.5"),
    (C.PiecewiseConstant, dict(boundaries=7, values=[1, 2]), TypeError, "boundaries", "7"),
    (C.PiecewiseConstant, dict(boundaries=[5], values=[1.0]), ValueError, "values", "1"),
    (C.PiecewiseConstant, dict(boundaries=[5], values=[1.0, 2.0, 3.0]), ValueError, "values", "3"),
    (C.PiecewiseConstant, dict(boundaries=[5], values=[1.0, -2.0]), ValueError, "values[1]",
     "-2.0"),
    (C.PiecewiseConstant, dict(boundaries=[5], values=[1.0, nan]), ValueError, "values[1]", "nan"),
    (C.PiecewiseConstant, dict(boundaries=[5], values=3.0), TypeError, "values", "3.0"),
    (C.Linear, dict(start_lr=-1.0, end_lr=0.0, total_steps=10), ValueError, "start_lr", "-1.0"),
    (C.Linear, dict(start_lr=1.0, end_lr=nan, total_steps=10), ValueError, "end_lr", "nan"),
    (C.Linear, dict(start_lr=1.0, end_lr=0.0, total_steps=0), ValueError, "total_steps", "0"),
    (C.Linear, dict(start_lr=1.0, end_lr=0.0, total_steps=1.5), TypeError, "total_steps", "1.5"),
    (C.Linear, dict(start_lr=1.0, end_lr=0.0, total_steps=True), TypeError, "total_steps", "True"),
    (C.Polynomial, dict(init_lr=1.0, end_lr=0.0, total_steps=10, power=-1.0), ValueError, "power",
     "-1.0"),
    (C.Polynomial, dict(init_lr=1.0, end_lr=0.0, total_steps=10, power=nan), ValueError, "power",
     "nan"),
    (C.Polynomial, dict(init_lr=-2.0, end_lr=0.0, total_steps=10), ValueError, "init_lr", "-2.0"),
    (C.Polynomial, dict(init_lr=1.0, end_lr="x", total_steps=10), TypeError, "end_lr", "'x'"),
    (C.Polynomial, dict(init_lr=1.0, end_lr=0.0, total_steps=-3), ValueError, "total_steps", "-3"),
    (C.CyclicPolynomial, dict(init_lr=1.0, end_lr=0.0, decay_steps=10, power=-1.0), ValueError,
     "power", "-1.0"),
    (C.CyclicPolynomial, dict(init_lr=1.0, end_lr=0.0, decay_steps=10, power=inf), ValueError,
     "power", "inf"),
    (C.CyclicPolynomial, dict(init_lr=nan, end_lr=0.0, decay_steps=10), ValueError, "init_lr",
     "nan"),
    (C.CyclicPolynomial, dict(init_lr=1.0, end_lr=-0.5, decay_steps=10), ValueError, "end_lr",
     "-0.5"),
    (C.CyclicPolynomial, dict(init_lr=1.0, end_lr=0.0, decay_steps=0), ValueError, "decay_steps",
     "0"),
    (C.CyclicPolynomial, dict(init_lr=1.0, end_lr=0.0, decay_steps=2.5), TypeError, "decay_steps",
     "2.5"),
    (C.CyclicPolynomial, dict(init_lr=1.0, end_lr=0.0, decay_steps=2**63), ValueError,
     "decay_steps", str(2**63)),
    (C.CyclicPolynomial, dict(init_lr=1.0, end_lr=0.0, decay_steps=10, power="2"), TypeError,
     "power", "'2'"),
    (C.InverseSqrt, dict(lr=1.0, warmup_steps=0), ValueError, "warmup_steps", "0"),
    (C.InverseSqrt, dict(lr=-1.0, warmup_steps=5), ValueError, "lr", "-1.0"),
    (C.InverseSqrt, dict(lr=1.0, warmup_steps=2.0), TypeError, "warmup_steps", "2.0"),
    (C.InverseTime, dict(lr=1.0, decay_rate=-1.0, decay_steps=5), ValueError, "decay_rate", "-1.0"),
    (C.InverseTime, dict(lr=1.0, decay_rate=1.0, decay_steps=0), ValueError, "decay_steps", "0"),
    (C.InverseTime, dict(lr=nan, decay_rate=1.0, decay_steps=5), ValueError, "lr", "nan"),
    (C.InverseTime, dict(lr=1.0, decay_rate=1.0, decay_steps=5, staircase=1), TypeError,
     "staircase", "1"),
    (C.InverseTime, dict(lr=1.0, decay_rate=1.0, decay_steps=5, staircase="yes"), TypeError,
     "staircase", "'yes'"),
    (C.InverseTime, dict(lr=1.0, decay_rate=1.0, decay_steps=5, staircase=None), TypeError,
     "staircase", "None"),
    (C.OneCycle, dict(max_lr=-1.0, total_steps=100), ValueError, "max_lr", "-1.0"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=1), ValueError, "total_steps", "1"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100.0), TypeError, "total_steps", "100.0"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, pct_start=0.0), ValueError, "pct_start", "0.0"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, pct_start=-0.1), ValueError, "pct_start",
     "-0.1"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, pct_start=1.5), ValueError, "pct_start", "1.5"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, pct_start=nan), ValueError, "pct_start", "nan"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, pct_start="0.3"), TypeError, "pct_start",
     "'0.3'"),
    # phases of zero length: pct_start = 1 leaves nothing for the descent; 0.3 * 3 - 1 < 0 leaves
    # nothing for the ascent; three phases with pct_start > ~0.5 leave nothing for the last
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, pct_start=1.0), ValueError, "pct_start", "1.0"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=3, pct_start=0.3, three_phase=True), ValueError, "pct_start", "0.3"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, pct_start=0.6, three_phase=True), ValueError,
     "pct_start", "0.6"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, anneal="cosine"), ValueError, "anneal",
     "'cosine'"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, anneal=None), ValueError, "anneal", "None"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, div_factor=0.0), ValueError, "div_factor",
     "0.0"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, final_div_factor=-1.0), ValueError,
     "final_div_factor", "-1.0"),
    (C.OneCycle, dict(max_lr=1.0, total_steps=100, three_phase="no"), TypeError, "three_phase",
     "'no'"),
    (C.Triangular, dict(base_lr=-1.0, max_lr=1.0, step_size_up=5), ValueError, "base_lr", "-1.0"),
    (C.Triangular, dict(base_lr=0.1, max_lr=nan, step_size_up=5), ValueError, "max_lr", "nan"),
    (C.Triangular, dict(base_lr=0.1, max_lr=1.0, step_size_up=0), ValueError, "step_size_up", "0"),
    (C.Triangular, dict(base_lr=0.1, max_lr=1.0, step_size_up=5, step_size_down=0), ValueError,
     "step_size_down", "0"),
    (C.Triangular, dict(base_lr=0.1, max_lr=1.0, step_size_up=5, step_size_down=1.5), TypeError,
     "step_size_down", "1.5"),
    (C.Triangular, dict(base_lr=0.1, max_lr=1.0, step_size_up=2**51 + 1), ValueError,
     "step_size_up", str(2**51 + 1)),
    (C.Triangular, dict(base_lr=0.1, max_lr=1.0, step_size_up=5, mode="tri"), ValueError, "mode",
     "'tri'"),
    (C.Triangular, dict(base_lr=0.1, max_lr=1.0, step_size_up=5, mode=1), (TypeError, ValueError),
     "mode", "1"),
    (C.Triangular, dict(base_lr=0.1, max_lr=1.0, step_size_up=5, mode="exp_range", gamma=0.0),
     ValueError, "gamma", "0.0"),
    (C.Triangular, dict(base_lr=0.1, max_lr=1.0, step_size_up=5, gamma=-1.0), ValueError, "gamma",
     "-1.0"),
    (C.Triangular, dict(base_lr=0.1, max_lr=1.0, step_size_up=5, gamma=nan), ValueError, "gamma",
     "nan"),
    (C.WarmRestarts, dict(max_lr=-1.0, first_cycle_steps=5), ValueError, "max_lr", "-1.0"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=0), ValueError, "first_cycle_steps", "0"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, cycle_mult=0.5), ValueError,
     "cycle_mult", "0.5"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, cycle_mult=0), ValueError,
     "cycle_mult", "0"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, cycle_mult=nan), ValueError,
     "cycle_mult", "nan"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, cycle_mult=inf), ValueError,
     "cycle_mult", "inf"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, cycle_mult="2"), TypeError,
     "cycle_mult", "'2'"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, cycle_mult=1.0000001), ValueError,
     "cycle_mult", "1.0000001"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, min_lr=-1e-3), ValueError, "min_lr",
     "-0.001"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, cycle_decay=0.0), ValueError,
     "cycle_decay", "0.0"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, cycle_decay=-0.5), ValueError,
     "cycle_decay", "-0.5"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, max_cycles=0), ValueError,
     "max_cycles", "0"),
    (C.WarmRestarts, dict(max_lr=1.0, first_cycle_steps=5, max_cycles=2.5), TypeError,
     "max_cycles", "2.5"),
    (C.WarmupStableDecay, dict(max_lr=-1.0, warmup_steps=1, stable_steps=1, decay_steps=1),
     ValueError, "max_lr", "-1.0"),
    (C.WarmupStableDecay, dict(max_lr=1.0, warmup_steps=-1, stable_steps=1, decay_steps=1),
     ValueError, "warmup_steps", "-1"),
    (C.WarmupStableDecay, dict(max_lr=1.0, warmup_steps=1, stable_steps=-2, decay_steps=1),
     ValueError, "stable_steps", "-2"),
    (C.WarmupStableDecay, dict(max_lr=1.0, warmup_steps=1, stable_steps=1, decay_steps=0),
     ValueError, "decay_steps", "0"),
    (C.WarmupStableDecay, dict(max_lr=1.0, warmup_steps=1, stable_steps=1, decay_steps=1,
                               min_lr=nan), ValueError, "min_lr", "nan"),
    (C.WarmupStableDecay, dict(max_lr=1.0, warmup_steps=1, stable_steps=1, decay_steps=1,
                               decay_shape="exp"), ValueError, "decay_shape", "'exp'"),
    (C.WarmupStableDecay, dict(max_lr=1.0, warmup_steps=1.0, stable_steps=1, decay_steps=1),
     TypeError, "warmup_steps", "1.0"),
    # ------------------------------------------------ the framework-parity capabilities
    (C.TanhDecay, dict(max_lr=-1.0, total_steps=10), ValueError, "max_lr", "-1.0"),
    (C.TanhDecay, dict(max_lr=1.0, total_steps=0), ValueError, "total_steps", "0"),
    (C.TanhDecay, dict(max_lr=1.0, total_steps=10.0), TypeError, "total_steps", "10.0"),
    (C.TanhDecay, dict(max_lr=1.0, total_steps=10, min_lr=nan), ValueError, "min_lr", "nan"),
    (C.TanhDecay, dict(max_lr=1.0, total_steps=10, lower=nan), ValueError, "lower", "nan"),
    (C.TanhDecay, dict(max_lr=1.0, total_steps=10, upper=inf), ValueError, "upper", "inf"),
    (C.TanhDecay, dict(max_lr=1.0, total_steps=10, lower="-6"), TypeError, "lower", "'-6'"),
    (C.TanhDecay, dict(max_lr=1.0, total_steps=10, lower=4.0, upper=4.0), ValueError, "lower",
     "4.0"),
    (C.TanhDecay, dict(max_lr=1.0, total_steps=10, lower=5.0, upper=-6.0), ValueError, "upper",
     "-6.0"),
    (C.CosineRestarts, dict(max_lr=-1.0, cycle_steps=10), ValueError, "max_lr", "-1.0"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=0.0), ValueError, "cycle_steps", "0.0"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=-5), ValueError, "cycle_steps", "-5"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=inf), ValueError, "cycle_steps", "inf"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps="10"), TypeError, "cycle_steps", "'10'"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=0.9), ValueError,
     "cycle_mult", "0.9"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=nan), ValueError,
     "cycle_mult", "nan"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, min_lr=-1e-3), ValueError, "min_lr",
     "-0.001"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_decay=0.0), ValueError,
     "cycle_decay", "0.0"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_decay=-0.5), ValueError,
     "cycle_decay", "-0.5"),
    # growing peaks need max_cycles; so do endless cycles of one fractional length or with k_decay
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_decay=1.5), ValueError,
     "cycle_decay", "1.5"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10.5), ValueError, "cycle_steps", "10.5"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, k_decay=2.0), ValueError, "k_decay",
     "2.0"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, max_cycles=0), ValueError, "max_cycles",
     "0"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, max_cycles=2.5), TypeError, "max_cycles",
     "2.5"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, k_decay=0.0, max_cycles=3), ValueError,
     "k_decay", "0.0"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, k_decay=nan, max_cycles=3), ValueError,
     "k_decay", "nan"),
    # more cycles than segments: a cycle length of 1e-3 steps, or peaks past the largest float
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=1e-3, max_cycles=10**6), ValueError,
     "max_cycles", "1000000"),
    (C.CosineRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_decay=1e10, max_cycles=40),
     ValueError, "cycle_decay", "10000000000.0"),
    (C.PolynomialRestarts, dict(max_lr=-1.0, cycle_steps=10, cycle_mult=1.5), ValueError,
     "max_lr", "-1.0"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=0.0, cycle_mult=1.5), ValueError,
     "cycle_steps", "0.0"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps="10", cycle_mult=1.5), TypeError,
     "cycle_steps", "'10'"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=0.9), ValueError,
     "cycle_mult", "0.9"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=1.5, min_lr=-1e-3),
     ValueError, "min_lr", "-0.001"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=1.5, cycle_decay=0.0),
     ValueError, "cycle_decay", "0.0"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=1.5, power=-0.5),
     ValueError, "power", "-0.5"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=1.5, power=inf),
     ValueError, "power", "inf"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=1.5, power="2"),
     TypeError, "power", "'2'"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=1.5, k_decay=0.0),
     ValueError, "k_decay", "0.0"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=1.5, k_decay=nan),
     ValueError, "k_decay", "nan"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=1.5, max_cycles=0),
     ValueError, "max_cycles", "0"),
    # endless cycles of one length (no periodic polynomial segment), growing peaks without a
    # bound, more cycles than segments, peaks past the largest float
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10), ValueError, "cycle_mult", "1.0"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=1.5, cycle_decay=1.5),
     ValueError, "cycle_decay", "1.5"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=1e-3, max_cycles=10**6), ValueError,
     "max_cycles", "1000000"),
    (C.PolynomialRestarts, dict(max_lr=1.0, cycle_steps=10, cycle_mult=1.5, cycle_decay=1e10,
                                max_cycles=40), ValueError, "cycle_decay", "10000000000.0"),
    # new parameters of older families
    (C.CosineAnnealing, dict(max_lr=1.0, total_steps=10, exponent=0.0), ValueError, "exponent",
     "0.0"),
    (C.CosineAnnealing, dict(max_lr=1.0, total_steps=10, exponent=-1.0), ValueError, "exponent",
     "-1.0"),
    (C.CosineAnnealing, dict(max_lr=1.0, total_steps=10, exponent=inf), ValueError, "exponent",
     "inf"),
    (C.CosineAnnealing, dict(max_lr=1.0, total_steps=10, exponent="2"), TypeError, "exponent",
     "'2'"),
    (C.CosineAnnealing, dict(max_lr=1.0, total_steps=10, k_decay=0.0), ValueError, "k_decay",
     "0.0"),
    (C.CosineAnnealing, dict(max_lr=1.0, total_steps=10, k_decay=nan), ValueError, "k_decay",
     "nan"),
    (C.Polynomial, dict(init_lr=1.0, end_lr=0.0, total_steps=10, k_decay=0.0), ValueError,
     "k_decay", "0.0"),
    (C.Polynomial, dict(init_lr=1.0, end_lr=0.0, total_steps=10, k_decay=-2.0), ValueError,
     "k_decay", "-2.0"),
    (C.Polynomial, dict(init_lr=1.0, end_lr=0.0, total_steps=10, k_decay=inf), ValueError,
     "k_decay", "inf"),
    (C.ExponentialDecay, dict(lr=1.0, decay_rate=-1e-3), ValueError, "decay_rate", "-0.001"),
    (C.ExponentialDecay, dict(lr=1.0, decay_rate=nan), ValueError, "decay_rate", "nan"),
    (C.ExponentialDecay, dict(lr=1.0, decay_rate=-inf, end_lr=2.0), ValueError, "decay_rate",
     "-inf"),
    (C.ExponentialDecay, dict(lr=1.0, decay_rate=1e-3, end_lr=-0.1), ValueError, "end_lr",
     "-0.1"),
    (C.ExponentialDecay, dict(lr=1.0, decay_rate=1e-3, end_lr=nan), ValueError, "end_lr", "nan"),
    (C.ExponentialDecay, dict(lr=1.0, decay_rate=-1e-3, end_lr=inf), ValueError, "end_lr", "inf"),
    (C.ExponentialDecay, dict(lr=1.0, decay_rate=1e-3, end_lr="0"), TypeError, "end_lr", "'0'"),
    (C.InversePower, dict(lr=-0.1, timescale=10.0), ValueError, "lr", "-0.1"),
    (C.InversePower, dict(lr=0.1, timescale=0.0), ValueError, "timescale", "0.0"),
    (C.InversePower, dict(lr=0.1, timescale=-2.5), ValueError, "timescale", "-2.5"),
    (C.InversePower, dict(lr=0.1, timescale=nan), ValueError, "timescale", "nan"),
    (C.InversePower, dict(lr=0.1, timescale=inf), ValueError, "timescale", "inf"),
    (C.InversePower, dict(lr=0.1, timescale=5e-324), ValueError, "timescale", "5e-324"),
    (C.InversePower, dict(lr=0.1, timescale="10"), TypeError, "timescale", "'10'"),
    (C.InversePower, dict(lr=0.1, timescale=10.0, power=-0.5), ValueError, "power", "-0.5"),
    (C.InversePower, dict(lr=0.1, timescale=10.0, power=inf), ValueError, "power", "inf"),
    (C.InversePower, dict(lr=0.1, timescale=10.0, power=None), TypeError, "power", "None"),
]


@pytest.mark.parametrize("cls,kwargs,exc,name,shown", BAD,
                         ids=[f"{c.__name__}-{n}={s}" for c, _, _, n, s in BAD])
def test_bad_constructor_input(cls, kwargs, exc, name, shown):
    with pytest.raises(exc) as info:
        cls(**kwargs)
    msg = str(info.value)
    assert name in msg, msg
    assert shown in msg, msg


def test_every_catalogue_family_has_bad_input_cases():
    assert {c.__name__ for c, *_ in BAD} == set(NAMES)


def test_warm_restarts_growing_peaks_are_rejected():
    """cycle_decay > 1 (peaks growing without bound, overflowing far out) is a clear ValueError."""
    for mult in (1, 1.01):
        with pytest.raises(ValueError, match=r"cycle_decay.*2\.0"):
            fastlr.WarmRestarts(1.0, 1, cycle_mult=mult, cycle_decay=2.0)


# ============================================================================ serialisation, equality
def _round_trips(s):
    d = s.to_dict()
    assert d["schedule"] == type(s).__name__
    back = fastlr.from_dict(d)
    via_json = fastlr.from_dict(json.loads(json.dumps(d)))
    via_pickle = pickle.loads(pickle.dumps(s))
    probe = np.array([0, 1, 7, 64, 4095, 4096, 10**6, 2**40 + 3, LAST], dtype=np.int64)
    for other in (back, via_json, via_pickle):
        assert type(other) is type(s)
        assert other == s and s == other and not (other != s)
        assert hash(other) == hash(s)
        assert other.to_dict() == d
        np.testing.assert_array_equal(bits(other(probe)), bits(s(probe)))


@pytest.mark.parametrize("family", NAMES)
@settings(max_examples=exact.examples(30), deadline=None, suppress_health_check=SLOW_OK)
@given(data=st.data())
def test_to_dict_json_pickle_round_trip(family, data):
    _round_trips(data.draw(FAMILIES[family], label="schedule"))


@pytest.mark.parametrize("s", ACCURACY_CASES, ids=repr)
def test_round_trip_fixed_cases(s):
    _round_trips(s)


EQUAL_SPELLINGS = [
    (fastlr.Constant(1), fastlr.Constant(1.0)),
    (fastlr.Constant(np.float32(0.5)), fastlr.Constant(0.5)),
    (fastlr.MultiStep(0.1, [30, 10, 20]), fastlr.MultiStep(0.1, (10, 20, 30), 0.1)),
    (fastlr.MultiStep(0.1, np.array([3, 1]), 0.5), fastlr.MultiStep(0.1, [1, 3], 0.5)),
    (fastlr.PiecewiseConstant((1, 2), (3, 2, 1)), fastlr.PiecewiseConstant([1, 2], [3.0, 2.0, 1.0])),
    (fastlr.Linear(1, 0, np.int64(10)), fastlr.Linear(1.0, 0.0, 10)),
    (fastlr.InverseTime(1.0, 0.5, 10, np.True_), fastlr.InverseTime(1.0, 0.5, 10, True)),
    (fastlr.OneCycle(0.1, 1000, pct_start=Fraction(3, 10)), fastlr.OneCycle(0.1, 1000)),
    (fastlr.Triangular(0.1, 1.0, 5), fastlr.Triangular(0.1, 1.0, 5, 5, "triangular", 1.0)),
    (fastlr.WarmRestarts(1.0, 7, 2.0), fastlr.WarmRestarts(1.0, 7, 2)),
    (fastlr.WarmRestarts(1.0, 7), fastlr.WarmRestarts(1.0, 7, 1, 0.0, 1.0, None)),
    (fastlr.WarmupStableDecay(1, 1, 1, 1), fastlr.WarmupStableDecay(1.0, 1, 1, 1, 0.0, "linear")),
]


@pytest.mark.parametrize("a,b", EQUAL_SPELLINGS, ids=lambda s: repr(s))
def test_equal_spellings_are_equal_and_hash_equal(a, b):
    assert a == b and hash(a) == hash(b)
    assert a.to_dict() == b.to_dict()
    assert len({a, b}) == 1


def test_different_parameters_are_not_equal():
    a = fastlr.WarmRestarts(1.0, 7, 2)
    assert a != fastlr.WarmRestarts(1.0, 7, 3)
    assert a != fastlr.WarmRestarts(1.0, 7, 2, max_cycles=3)
    assert fastlr.Constant(0.1) != fastlr.Linear(0.1, 0.1, 1)  # equal values, different classes
    assert fastlr.Triangular(0.1, 1.0, 5, mode="triangular") != fastlr.Triangular(
        0.1, 1.0, 5, mode="triangular2")
    assert fastlr.OneCycle(0.1, 1000) != fastlr.OneCycle(0.1, 1000, three_phase=True)


@pytest.mark.parametrize("name", NAMES)
def test_registry_knows_every_family(name):
    assert fastlr.registry()[name] is getattr(fastlr, name)


@pytest.mark.parametrize("alias,d,expect", [
    ("multistep", dict(lr=0.1, milestones=[3]), fastlr.MultiStep(0.1, [3])),
    ("piecewise", dict(boundaries=[3], values=[1, 2]), fastlr.PiecewiseConstant([3], [1.0, 2.0])),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=100), fastlr.OneCycle(0.1, 100)),
    ("one-cycle", dict(max_lr=0.1, total_steps=100), fastlr.OneCycle(0.1, 100)),
    ("sgdr", dict(max_lr=0.1, first_cycle_steps=7, cycle_mult=3), fastlr.WarmRestarts(0.1, 7, 3)),
    ("wsd", dict(max_lr=0.1, warmup_steps=1, stable_steps=2, decay_steps=3),
     fastlr.WarmupStableDecay(0.1, 1, 2, 3)),
    ("clr", dict(base_lr=0.0, max_lr=0.1, step_size_up=5), fastlr.Triangular(0.0, 0.1, 5)),
    ("rsqrt", dict(lr=0.1, warmup_steps=5), fastlr.InverseSqrt(0.1, 5)),
])
def test_from_dict_accepts_aliases(alias, d, expect):
    assert fastlr.from_dict({"schedule": alias, **d}) == expect


def test_from_dict_errors():
    with pytest.raises(ValueError, match="no 'schedule' key"):
        fastlr.from_dict({"lr": 0.1})
    with pytest.raises(ValueError, match="unknown schedule 'nope'"):
        fastlr.from_dict({"schedule": "nope"})
    with pytest.raises(TypeError):
        fastlr.from_dict({"schedule": "Constant", "lr": 0.1, "gamma": 0.5})
    with pytest.raises(ValueError, match="cycle_mult"):
        fastlr.from_dict({"schedule": "WarmRestarts", "max_lr": 0.1, "first_cycle_steps": 7,
                          "cycle_mult": 0.5})


@pytest.mark.parametrize("power", [0.01, 0.25, 0.9, 3.3, 12.5, 5000.0])
@pytest.mark.parametrize("where", ["start", "middle", "series", "end"])
def test_polynomial_general_powers_at_both_ends(power, where):
    """General powers are evaluated three ways (a binomial series between anchors, pow near
    x = 0, exp/log1p near x = 1); each must hold 1e-13 x peak, including the last steps before T
    (x = 1/T, where log1p would be ill-conditioned) and the first (x near 1, where pow would
    amplify the rounding of x by the power)."""
    import mpmath

    T = 10**7
    s = fastlr.Polynomial(1.0, 0.01, T, power)
    start = {"start": 0, "middle": T // 2 - 150, "series": T - 2**20 - 150, "end": T - 299}[where]
    got = s.array(300, start)
    with mpmath.workdps(40):
        want = [float((mpmath.mpf(1.0) - mpmath.mpf(0.01))
                      * (mpmath.mpf(T - min(t, T)) / T) ** mpmath.mpf(power) + mpmath.mpf(0.01))
                for t in range(start, start + 300)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-13 * 1.0)
