"""The core capabilities added for framework parity (Product, Shifted, ExponentialDecay growth and
clipping, CosineRestarts, TanhDecay, CosineAnnealing exponent/k_decay, Polynomial k_decay, OneCycle
with pct_start * T <= 1) and the Plan checks of PRODUCT rows.

Expected values come from tests/exact.py (mpmath and exact rationals, written from the docstrings),
from hand formulas, from numpy products of independently filled factors, or from torch live;
fastlr's own output is compared with itself only for consistency (paths, dtypes, windows)."""
from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mpmath import mp, mpf

import fastlr
from fastlr._dispatch import kernels

try:
    import exact
except ImportError:  # tests/ turned into a package
    from tests import exact

from helpers import FASTLR_HOME, child_env

LAST = exact.LAST_STEP
REL = exact.REL
assert_exact = exact.assert_exact
bits, fixed_windows = exact.bits, exact.fixed_windows
check_exact_everywhere = exact.check_exact_everywhere
pytestmark = pytest.mark.filterwarnings("ignore:mypy_extensions.TypedDict:DeprecationWarning")
PROPS = exact.props(40)





def far_starts(data, s, n):
    return exact.draw_windows(data.draw, s, n)


# ============================================================================ Product
def test_product_of_constants_is_bit_exact():
    """Products of exactly representable values: nothing to round."""
    p = fastlr.Constant(0.75) * fastlr.Constant(2.0**-10)
    assert (p.array(10) == 0.75 * 2.0**-10).all()
    s = fastlr.CosineAnnealing(0.1, 1000, 1e-4)
    for c in (2.0, 0.5, 1.0, 2.0**-30):
        q = fastlr.Product(s, fastlr.Constant(c))
        np.testing.assert_array_equal(bits(q.array(3000)), bits(s.array(3000) * c))
        q = fastlr.Product(fastlr.Constant(c), s)
        np.testing.assert_array_equal(bits(q.array(3000)), bits(s.array(3000) * c))


@PROPS
@given(data=st.data())
def test_product_equals_the_float64_product_of_its_factors(data):
    """a(t) * b(t) in float64 rounded once: bit for bit the numpy product of the two factors'
    own fills (values do not depend on the window, so the factors filled in the kernel's chunks are
    the factors filled alone), in every window, and float32 is that product rounded once."""
    a = data.draw(exact.any_family, label="a")
    b = data.draw(exact.any_family, label="b")
    p = a * b
    assert isinstance(p, fastlr.Product) and p.params["a"] == a and p.params["b"] == b
    n = data.draw(st.integers(1, 700), label="n")   # > 256: several of the kernel's chunks
    for start in far_starts(data, p, n):
        want = a.array(n, start) * b.array(n, start)
        got = p.array(n, start)
        np.testing.assert_array_equal(bits(got), bits(want))
        np.testing.assert_array_equal(bits(p.array(n, start, np.float32)),
                                      bits(want.astype(np.float32)))


@PROPS
@given(data=st.data())
def test_product_against_exact_oracle(data):
    a = data.draw(exact.any_family, label="a")
    b = data.draw(exact.any_family, label="b")
    p = fastlr.Product(a, b)
    for start in far_starts(data, p, 200):
        assert_exact(p, start, 200)


@PROPS
@given(data=st.data())
def test_product_scalars_gathers_fills_agree(data):
    p = data.draw(exact.any_family, label="a") * data.draw(exact.any_family, label="b")
    N = data.draw(st.integers(64, 3000), label="N")
    centre = data.draw(st.sampled_from(exact.breakpoints(p) + list(exact.FAR)), label="centre")
    base = min(max(centre - data.draw(st.integers(0, N - 1), label="shift"), 0), LAST - N + 1)
    full = p.array(N, base)
    a = data.draw(st.integers(0, N - 1), label="a")
    b = data.draw(st.integers(a, N), label="b")
    np.testing.assert_array_equal(bits(p.fill(np.full(b - a, np.nan), base + a)), bits(full[a:b]))
    idx = data.draw(st.lists(st.integers(0, N - 1), min_size=1, max_size=30), label="idx")
    for i in idx[:10]:
        v = p(base + i)
        assert type(v) is float and bits(np.array([v])) == bits(full[i:i + 1])
    steps = np.array([base + i for i in idx], dtype=np.int64)
    np.testing.assert_array_equal(bits(p(steps)), bits(full[idx]))
    np.testing.assert_array_equal(bits(p(steps[::-1])), bits(full[idx[::-1]]))


def test_product_inside_joins_warmups_and_scaling():
    wc = fastlr.with_warmup(fastlr.CosineAnnealing(0.1, 10**5, 1e-5), 1000)
    decay = fastlr.ExponentialDecay(1.0, 1e-5)
    p = wc * decay
    # inside a join: the product runs on the join's local step
    j = fastlr.join([fastlr.Constant(1e-3), p, fastlr.Constant(1e-6)], [500, 50000])
    t = np.arange(60000)
    local = np.clip(t - 500, 0, None)
    want = np.where(t < 500, 1e-3, np.where(t < 50000, wc(local) * decay(local), 1e-6))
    np.testing.assert_array_equal(bits(j(t)), bits(want))
    # a warmup in front: ramp to p(0), then p(t - W)
    w = fastlr.with_warmup(p, 300, 0.0)
    np.testing.assert_array_equal(bits(w.array(5000, 300)), bits(p.array(5000)))
    assert w(300) == p(0) and w(0) == 0.0
    # scaled: within 2 ulp of c * p(t) (the factor goes into the first factor's parameters)
    for c in (3.0, 0.1, 1e-3):
        got, want = (c * p).array(20000), c * p.array(20000)
        np.testing.assert_allclose(got, want, rtol=4 * 2.0**-52, atol=0)
        got, want = (p * c).array(20000, 2**40), c * p.array(20000, 2**40)
        np.testing.assert_allclose(got, want, rtol=4 * 2.0**-52, atol=0)
    # and all of them against the exact oracle
    for s in (j, w, 2.5 * p, fastlr.Product(j, w)):
        check_exact_everywhere(s, limit=12)


def test_product_of_products_and_a_product_with_a_join_factor():
    a = fastlr.join([fastlr.Warmup(1.0, 100), fastlr.StepDecay(1.0, 0.5, 1000)], [100])
    b = fastlr.CosineRestarts(0.1, 333.5, 1.5, 1e-4, 0.9, max_cycles=12)
    c = fastlr.Cyclical(2.0, 4096, 0.5)
    p = (a * b) * (c * fastlr.Shifted(b, 1000))
    t = np.concatenate([np.arange(30000), np.arange(2**40, 2**40 + 5000)])
    want = (a(t) * b(t)) * (c(t) * b(t + 1000))
    np.testing.assert_array_equal(bits(p(t)), bits(want))
    check_exact_everywhere(p, limit=20)


def _nested(depth: int):
    s = fastlr.Constant(0.5)
    for k in range(depth):
        s = fastlr.Product(s, fastlr.Constant(2.0 if k % 2 else 0.5)) if k % 3 else \
            fastlr.Product(fastlr.Linear(1.0, 2.0, 64), s)
    return s


def test_product_nesting_16_deep_ok_17_a_clear_value_error():
    s = _nested(16)
    want = np.full(300, 0.5)
    for k in range(16):   # the same products in numpy, in the same order
        want = (want * (2.0 if k % 2 else 0.5)) if k % 3 else fastlr.Linear(1.0, 2.0, 64).array(300) * want
    np.testing.assert_array_equal(bits(s.array(300)), bits(want))
    # and on the other side: b nested 16 deep
    r = fastlr.Constant(3.0)
    for _ in range(16):
        r = fastlr.Product(fastlr.Constant(0.5), r)
    assert r(7) == 3.0 * 2.0**-16
    with pytest.raises(ValueError, match="nested more than 16 deep"):
        _nested(17)
    with pytest.raises(ValueError, match="nested more than 16 deep"):
        fastlr.Product(fastlr.Constant(0.5), r)
    with pytest.raises(ValueError, match="nested more than 16 deep"):
        _nested(16) * fastlr.Constant(2.0)
    # a join of two 16-deep products is not deeper
    j = fastlr.join([_nested(16), r], [100])
    assert j(99) == s(99) and j(100) == r(0)


def test_product_in_a_sweep_equals_its_rows():
    a, b = fastlr.CosineAnnealing(0.1, 5000, 1e-4), fastlr.ExponentialDecay(1.0, 1e-4)
    scheds = [a * b, b * a, fastlr.Shifted(a * b, 77), a, fastlr.Product(a * b, b)]
    for start in (0, 2**40):
        for dtype in (np.float64, np.float32):
            m = fastlr.sweep(scheds, 6000, start=start, dtype=dtype, threads=2)
            for row, s in zip(m, scheds):
                np.testing.assert_array_equal(bits(row), bits(s.array(6000, start, dtype)))


def test_product_round_trips_and_aliases():
    p = fastlr.with_warmup(fastlr.CosineAnnealing(0.1, 100), 10) * fastlr.ExponentialDecay(1, 1e-3)
    d = p.to_dict()
    assert d["schedule"] == "Product" and fastlr.from_dict(d) == p
    assert fastlr.from_dict({"schedule": "chained", "a": d["a"], "b": d["b"]}) == p
    import pickle
    assert pickle.loads(pickle.dumps(p)) == p


def test_product_bad_input():
    with pytest.raises(TypeError, match="a must be a fastlr schedule"):
        fastlr.Product(0.5, fastlr.Constant(1.0))
    with pytest.raises(TypeError, match="b"):
        fastlr.Product(fastlr.Constant(1.0), None)


# ============================================================================ Shifted
@PROPS
@given(data=st.data(), k=st.one_of(st.integers(0, 300), st.integers(0, 2**40),
                                    st.integers(0, LAST)))
def test_shifted_is_the_inner_schedule_shifted_bit_for_bit(data, k):
    inner = data.draw(exact.any_family, label="inner")
    s = fastlr.Shifted(inner, k)
    n = data.draw(st.integers(1, 500), label="n")
    hold = LAST - k   # the last step whose t + k is a step
    starts = {0, max(0, hold - n // 2), max(0, hold - n)}
    starts.update(data.draw(st.lists(st.integers(0, LAST - n + 1), max_size=3), label="starts"))
    for start in sorted(x for x in starts if x <= LAST - n + 1):
        t = np.arange(start, start + n, dtype=np.uint64)
        inner_t = np.minimum(t + np.uint64(k), np.uint64(LAST)).astype(np.int64)  # no overflow
        np.testing.assert_array_equal(bits(s.array(n, start)), bits(inner(inner_t)))
        np.testing.assert_array_equal(bits(s.array(n, start, np.float32)),
                                      bits(inner(inner_t).astype(np.float32)))


def test_shifted_holds_the_value_past_the_last_step():
    inner = fastlr.Linear(0.0, 1.0, LAST)   # a different value at every step up to 2**63 - 1
    k = 1000
    s = fastlr.Shifted(inner, k)
    tail = s.array(3000, LAST - 2999)
    # steps t <= LAST - k are inner(t + k); after that inner(LAST) is held
    want = inner(np.minimum(np.arange(LAST - 2999, LAST + 1, dtype=np.uint64) + np.uint64(k),
                            np.uint64(LAST)).astype(np.int64))
    np.testing.assert_array_equal(bits(tail), bits(want))
    assert s(LAST) == inner(LAST) == s(LAST - k) and s(LAST - k - 1) == inner(LAST - 1)
    assert tail[-1] == 1.0 and (tail[-k:] == inner(LAST)).all()
    # the largest shift: every step is the inner schedule's last value
    top = fastlr.Shifted(fastlr.ExponentialDecay(1.0, 1e-19), LAST)
    assert (top.array(100) == fastlr.ExponentialDecay(1.0, 1e-19)(LAST)).all()
    assert top(LAST) == top(0)


def test_shift_zero_is_the_inner_schedule():
    for inner in (fastlr.CosineRestarts(0.1, 7.5, 2.0, max_cycles=9),
                  fastlr.with_warmup(fastlr.CosineAnnealing(0.1, 1000), 50),
                  fastlr.Constant(0.1) * fastlr.Linear(1.0, 0.0, 100)):
        s = fastlr.Shifted(inner, 0)
        np.testing.assert_array_equal(s.plan.iseg, inner.plan.iseg)
        np.testing.assert_array_equal(bits(s.plan.dseg), bits(inner.plan.dseg))
        for start in (0, 2**40, LAST - 999):
            np.testing.assert_array_equal(bits(s.array(1000, start)), bits(inner.array(1000, start)))


def test_shifted_in_joins_and_joins_in_shifted():
    cos = fastlr.CosineAnnealing(0.1, 10000, 1e-4)
    # HF's shifted inverse sqrt / timm's warmup_prefix=False: warmup, then the decay entered W in
    j = fastlr.join([fastlr.Warmup(0.1, 500), fastlr.Shifted(cos, 500)], [500])
    t = np.arange(20000)
    want = np.where(t < 500, fastlr.Warmup(0.1, 500)(t), cos(t))
    np.testing.assert_array_equal(bits(j(t)), bits(want))
    # a shift cutting into a join: later children, earlier boundaries
    inner = fastlr.join([fastlr.Linear(0.0, 1.0, 100), cos, fastlr.Constant(1e-5)], [100, 5000])
    for k in (0, 1, 99, 100, 101, 4999, 5000, 5001, 10**6):
        s = fastlr.Shifted(inner, k)
        np.testing.assert_array_equal(bits(s(t)), bits(inner(t + k)))
    nested = fastlr.Shifted(fastlr.Shifted(inner, 60), 90)
    np.testing.assert_array_equal(bits(nested(t)), bits(inner(t + 150)))
    check_exact_everywhere(fastlr.Shifted(inner, 4000))
    check_exact_everywhere(fastlr.with_warmup(fastlr.Shifted(cos, 2**31), 64))


def test_shifted_bad_input():
    with pytest.raises(ValueError, match=r"shift.*-1"):
        fastlr.Shifted(fastlr.Constant(0.1), -1)
    with pytest.raises(TypeError, match=r"shift.*1\.5"):
        fastlr.Shifted(fastlr.Constant(0.1), 1.5)
    with pytest.raises((TypeError, ValueError), match="shift"):
        fastlr.Shifted(fastlr.Constant(0.1), 2**63)
    with pytest.raises(TypeError, match="inner"):
        fastlr.Shifted("cosine", 5)


# ============================================================================ ExponentialDecay
GROWTH_AND_CLIP = [
    (1e-4, -1e-3, 0.1),          # growth to a cap
    (0.1, 1e-3, 1e-3),           # decay to a floor
    (0.1, 1e-6, 0.05),
    (3e-4, -2.5e-7, 3e-3),
    (1.0, 0.7, 1e-300),          # a floor far down: crossing at ~987 steps
    (1e-30, -0.7, 1e30),         # growth over 60 decades
    (0.3, 1e-15, 0.1),           # crossing at ~1.1e15
    (0.3, 2.0**-60, 0.1),        # crossing at ~1.27e18
]


@pytest.mark.parametrize("lr,r,end", GROWTH_AND_CLIP)
def test_exponential_clip_step_is_where_the_formula_reaches_end_lr(lr, r, end):
    s = fastlr.ExponentialDecay(lr, r, end_lr=end)
    # the free formula: no end_lr, or (growth needs one) a cap it never reaches before c
    free = fastlr.ExponentialDecay(lr, r) if r >= 0 else fastlr.ExponentialDecay(lr, r, 1.7e308)
    c = s.clip_step()
    assert c is not None and c > 0
    past = (lambda v: v <= end) if r > 0 else (lambda v: v >= end)
    # the exact crossing and the computed one are at most a step apart; where they differ, the
    # formula is within the contract of end_lr
    # (a step apart typically; where the formula moves by less than its own rounding per step,
    # e.g. r = 2**-60, many steps)
    xc = exact.exp_crossing(lr, r, end)
    assert abs(xc - c) <= (1 if abs(r) >= 1e-9 else 1000), (xc, c)
    with mp.workdps(exact.DPS):
        for t in range(min(c, xc), max(c, xc)):
            v = mpf(lr) * mp.exp(-mpf(r) * t)
            assert abs(v - mpf(end)) <= REL * max(lr, end)
    # exactly end_lr from the clip step, the free formula before it, on the right side of end_lr
    assert s(c) == end and (s.array(1000, c) == end).all() and s(LAST) == end
    before = s.array(min(c, 1000), c - min(c, 1000))
    assert not past(before[-1]) and not any(past(v) for v in before)
    np.testing.assert_array_equal(bits(before), bits(free.array(before.size, c - before.size)))
    check_exact_everywhere(s)


def test_exponential_clip_handles_ratios_past_the_float_range():
    """Regression: clip_step took log(lr / end_lr), which under- or overflows for ratios past
    1e308 (math domain error, or no clipping at all for a decay from 1e300 to 1e-300)."""
    s = fastlr.ExponentialDecay(1e300, 0.7, end_lr=1e-300)
    assert s.clip_step() is not None and s(10**6) == 1e-300
    g = fastlr.ExponentialDecay(1e-300, -0.7, end_lr=1e300)
    assert g.clip_step() is not None and g(10**6) == 1e300


def test_exponential_growth_from_a_tiny_rate_is_not_clipped_early():
    # regression: the EXP kernel formed exp(-r t) before multiplying by lr, so growth from a tiny
    # lr overflowed (clipped to end_lr at step 768 where the formula is 1e33), and a decay from a
    # huge lr underflowed to 0 early
    s = fastlr.ExponentialDecay(1e-300, -1.0, end_lr=1e300)
    assert abs(s.clip_step() - exact.exp_crossing(1e-300, -1.0, 1e300)) <= 1
    d = fastlr.ExponentialDecay(1e300, 1.0)
    assert d(800) == pytest.approx(float(exact.m(1e300) * exact.mp.exp(-800)), rel=1e-13)


@pytest.mark.parametrize("lr,r,end", [
    (0.1, 1e-3, 0.2),   # a floor above lr: end_lr from the start
    (0.1, 0.0, 0.2),
    (0.1, -1e-3, 0.05),  # a cap below lr
    (0.1, 1e-3, 0.1),   # lr == end_lr, both ways
    (0.1, -1e-3, 0.1),
    (0.1, 0.0, 0.1),
    (0.0, -1.0, 0.0),
])
def test_exponential_clipped_from_the_start(lr, r, end):
    s = fastlr.ExponentialDecay(lr, r, end_lr=end)
    assert s.clip_step() == 0
    for start in (0, 4096, 2**62):
        assert (s.array(500, start) == end).all()


@pytest.mark.parametrize("lr,r,end", [
    (1.0, 1e-30, 0.5),     # the crossing, ~6.9e29, is past the last step
    (0.1, 0.0, 0.01),      # a constant above its floor
    (0.1, 1e-3, 0.0),      # a floor of 0: the formula's own underflow
])
def test_exponential_never_clipped_is_the_free_formula(lr, r, end):
    s = fastlr.ExponentialDecay(lr, r, end_lr=end)
    assert s.clip_step() is None
    free = fastlr.ExponentialDecay(lr, max(r, 0.0))
    for start in (0, 10**6, 2**62, LAST - 499):
        np.testing.assert_array_equal(bits(s.array(500, start)), bits(free.array(500, start)))
    check_exact_everywhere(s)


@pytest.mark.parametrize("r", [-1e-3, -0.7, 1e-3])
def test_exponential_zero_rate_is_zero_everywhere(r):
    """Regression: lr = 0 with growth gave nan far out (0 * exp(-r t) = 0 * inf)."""
    for end in (None, 0.0, 0.1):
        if end is None and r < 0:
            continue
        s = fastlr.ExponentialDecay(0.0, r, end_lr=end)
        # growth: min(0, end_lr) = 0; decay: max(0, end_lr), a floor of 0.1 holds from step 0
        want = end if (r >= 0 and end) else 0.0
        for start in (0, 10**6, 2**62, LAST - 999):
            assert (s.array(1000, start) == want).all()
        assert s(LAST) == want


def test_exponential_growth_matches_torch_gamma_above_one():
    """torch ExponentialLR(gamma > 1) is lr * gamma**t: decay_rate = -log(gamma); with a cap it is
    optax's exponential_decay(decay_rate > 1, end_value) (upper bound)."""
    gamma, lr = 1.01, 1e-4
    s = fastlr.ExponentialDecay(lr, -math.log(gamma), end_lr=1e-2)
    t = np.arange(600)
    by_hand = np.minimum(lr * gamma ** t.astype(float), 1e-2)
    np.testing.assert_allclose(s(t), by_hand, rtol=1e-13, atol=0)
    c = s.clip_step()
    assert s(c) == 1e-2 and s(c - 1) < 1e-2 and 460 <= c <= 465


@PROPS
@given(lr=exact.pos_rates, r=st.floats(-0.05, 0.05), t0=st.integers(1, 2**40), data=st.data())
def test_exponential_clip_property(lr, r, t0, data):
    """Any crossing step: values exact within the contract and exactly end_lr from clip_step on."""
    if r == 0.0 or -r * t0 > 700:
        return
    end = lr * math.exp(-r * t0)
    if not (0.0 < end < 1e300):
        return
    s = fastlr.ExponentialDecay(lr, r, end_lr=end)
    c = s.clip_step()
    if c is None:
        assert exact.exp_crossing(lr, r, end) is None
        return
    assert s(c) == end and (c == 0 or s(c - 1) != end)
    for start in (0, max(c - 150, 0), max(c - 1, 0)):
        start = min(start, LAST - 299)
        assert_exact(s, start, 300)


# ============================================================================ CosineRestarts
def _restart_steps(s):
    p = s.params
    starts, lengths = exact.real_cycle_starts(p["cycle_steps"], p["cycle_mult"], p["max_cycles"])
    return starts, lengths


@pytest.mark.parametrize("mult", [1.5, 2.0, 3.0])
@pytest.mark.parametrize("L", [1.0, 7.3, 0.75, 64.0, 1000.5, 4096.25, 1.1])
@pytest.mark.parametrize("decay", [1.0, 0.8])
def test_cosine_restarts_every_restart_against_exact_membership(mult, L, decay):
    """Every restart step ceil(S_i) and its neighbours, up to 2**63: the cycle a step belongs to
    comes from exact rationals (a floating logarithm, as timm/keras use, is off at some of these);
    a wrong cycle would be off by up to the peak, the contract is 1e-13 x peak."""
    s = fastlr.CosineRestarts(0.1, L, mult, 1e-4, decay)
    starts, lengths = _restart_steps(s)
    assert len(starts) == len(s.cycle_starts())
    assert [float(x) for x in starts] == list(s.cycle_starts())
    f = exact.oracle(s)
    steps = sorted({math.ceil(x) + d for x in starts for d in (-1, 0, 1)} - {-1})
    steps = [t for t in steps if t <= LAST]
    got = s(np.array(steps, dtype=np.int64))
    pk = exact.peak(s)
    for t, g in zip(steps, got.tolist()):
        e = f(t)
        assert abs(mpf(g) - e) <= REL * pk, (t, g, mp.nstr(e, 20))
    # where a cycle starts on a whole step, that step is the cycle's peak (to an ulp)
    for i, x in enumerate(starts):
        if x.denominator == 1 and x <= LAST:
            pk_i = float(mpf(0.1) * mpf(decay) ** i)
            # (min_lr + (peak - min_lr): a few ulps of the larger of the two)
            assert abs(s(int(x)) - pk_i) <= 4 * np.spacing(max(pk_i, 1e-4)), (i, x)


@pytest.mark.parametrize("s", [
    fastlr.CosineRestarts(0.1, 1000.5, 1.5, 1e-4, 0.9, max_cycles=40),
    fastlr.CosineRestarts(0.1, 333.3, 1.0, 1e-4, 0.97, max_cycles=50),
    fastlr.CosineRestarts(0.1, 64.0, 2.0, 0.0, 1.0, max_cycles=30, k_decay=1.7),
    fastlr.CosineRestarts(0.1, 100.25, 1.0, 1e-5, 1.0, max_cycles=20, k_decay=0.6),
    fastlr.CosineRestarts(1e-3, 2.5, 1.0, 0.0, 1.05, max_cycles=200),    # growing peaks
    fastlr.CosineRestarts(1e-3, 10.0, 2.0, 1e-5, 1.5, max_cycles=25, k_decay=2.0),
    fastlr.CosineRestarts(0.1, 777.0, min_lr=1e-4),                   # periodic
    fastlr.CosineRestarts(0.1, 4096.0, min_lr=1e-4, cycle_decay=0.999),   # periodic, decaying
    fastlr.CosineRestarts(0.1, 2.0**40 + 0.5, 1.25, 1e-6, max_cycles=5),
], ids=repr)
def test_cosine_restarts_fixed_cases_against_exact_oracle(s):
    check_exact_everywhere(s, limit=60)


def test_cosine_restarts_periodic_and_after_max_cycles():
    s = fastlr.CosineRestarts(0.1, 777.0, min_lr=1e-4)
    assert s.plan.n_segments == 1 and s.cycle_starts() == (0.0,)
    t = np.arange(10 * 777)
    for base in (0, 777 * 10**12, 777 * (LAST // 777 - 11)):
        np.testing.assert_array_equal(bits(s(base + t)), bits(s(t)))
    # the same as WarmRestarts where cycles have whole lengths (both exact at restarts)
    for L, mult, K in ((777, 1, None), (50, 2, 20), (7, 3, 30)):
        a = fastlr.CosineRestarts(0.1, float(L), float(mult), 1e-4, 0.9, max_cycles=K)
        b = fastlr.WarmRestarts(0.1, L, mult, 1e-4, 0.9, max_cycles=K)
        for start in (0, 4096 * 7, 10**6):
            np.testing.assert_allclose(a.array(5000, start), b.array(5000, start), rtol=0,
                                       atol=1e-16)
    # after max_cycles cycles: min_lr, from the first step of the cycle that does not run
    s = fastlr.CosineRestarts(0.1, 10.5, 2.0, 1e-3, 1.3, max_cycles=4)
    end = math.ceil(Fraction(10.5) * 15)   # 10.5 (1 + 2 + 4 + 8)
    assert s(end - 1) != 1e-3 and (s.array(1000, end) == 1e-3).all() and s(LAST) == 1e-3
    assert_exact(s, 0, end + 10)
    # cycle_decay > 1: the peaks grow by it (cycles of 10, 20, 40, 80 steps start on whole steps)
    g = fastlr.CosineRestarts(0.1, 10.0, 2.0, 1e-3, 1.3, max_cycles=4)
    for i, start in enumerate((0, 10, 30, 70)):
        assert exact.ulps(g(start), float(mpf(0.1) * mpf(1.3) ** i)) <= 2
        if start:
            assert g(start - 1) < 0.05 * g(start)   # the end of the previous cycle: near min_lr
    assert g(150) == 1e-3 and g(149) > 1e-3


@PROPS
@given(data=st.data())
def test_cosine_restarts_properties(data):
    s = data.draw(exact.FAMILIES["CosineRestarts"], label="schedule")
    n = 200
    for start in far_starts(data, s, n):
        assert_exact(s, start, n)
        np.testing.assert_array_equal(bits(s.array(n, start, np.float32)),
                                      bits(s.array(n, start).astype(np.float32)))


# ============================================================================ TanhDecay
@pytest.mark.parametrize("s", [
    fastlr.TanhDecay(0.1, 1000, 1e-5),
    fastlr.TanhDecay(0.1, 10**9, 0.0, -3.0, 3.0),
    fastlr.TanhDecay(1.0, 7, 0.5, -1.0, 1.0),
    fastlr.TanhDecay(3e-4, 2**62, 3e-6),
    fastlr.TanhDecay(0.1, 4096, 1e-3, -20.0, 20.0),
    fastlr.TanhDecay(0.1, 1, 0.01),
], ids=repr)
def test_tanh_decay_against_exact_oracle(s):
    check_exact_everywhere(s)


def test_tanh_decay_by_hand():
    """timm's TanhLRScheduler (one cycle, no warmup): lb + (ub - lb) t / T, then
    min + ½ (max - min)(1 - tanh(x)); min_lr from t = T."""
    s = fastlr.TanhDecay(0.1, 1000, 1e-5)
    t = np.arange(1000)
    x = -6.0 + 10.0 * t / 1000
    np.testing.assert_allclose(s(t), 1e-5 + 0.5 * (0.1 - 1e-5) * (1 - np.tanh(x)), rtol=0,
                               atol=1e-16)
    assert (s.array(100, 1000) == 1e-5).all()
    # symmetric bounds: the midpoint at T/2 (exp(0) = 1 comes from an anchor and two table
    # factors, each rounded: a few ulps of 0.5, not exactly 0.5)
    m = fastlr.TanhDecay(1.0, 1000, 0.0, -5.0, 5.0)
    assert abs(m(500) - 0.5) <= 4 * 2.0**-53


# ============================================================================ the SHAPE family
@pytest.mark.parametrize("s", [
    fastlr.CosineAnnealing(0.1, 10**5, 1e-4, exponent=1.7),
    fastlr.CosineAnnealing(0.1, 10**5, 1e-4, exponent=2.0),
    fastlr.CosineAnnealing(0.1, 10**5, 1e-4, exponent=0.5),
    fastlr.CosineAnnealing(0.1, 2**40 + 3, 1e-4, exponent=3.0),
    fastlr.CosineAnnealing(0.1, 10**5, 1e-4, k_decay=1.3),
    fastlr.CosineAnnealing(0.1, 10**5, 0.0, k_decay=0.5),
    fastlr.CosineAnnealing(1.0, 2**61, 0.0, exponent=1.5, k_decay=2.0),
    fastlr.CosineAnnealing(1.0, 7, 0.1, exponent=4.0, k_decay=0.3),
    fastlr.Polynomial(0.1, 1e-4, 10**5, 2.0, k_decay=0.8),
    fastlr.Polynomial(0.1, 0.0, 10**5, 1.0, k_decay=2.0),
    fastlr.Polynomial(1.0, 0.0, 2**50, 3.0, k_decay=0.5),
    fastlr.Polynomial(1.0, 0.5, 13, 1.0, k_decay=3.0),
], ids=repr)
def test_shape_families_against_exact_oracle(s):
    check_exact_everywhere(s)


def test_plain_parameters_keep_the_exact_kernels():
    """exponent = k_decay = 1 is the plain cosine (rotation tables), bit for bit as before."""
    a = fastlr.CosineAnnealing(0.1, 10**5, 1e-4)
    b = fastlr.CosineAnnealing(0.1, 10**5, 1e-4, exponent=1.0, k_decay=1.0)
    np.testing.assert_array_equal(a.plan.iseg, b.plan.iseg)
    p = fastlr.Polynomial(0.1, 1e-4, 10**5, 2.0, k_decay=1.0)
    assert int(p.plan.iseg[0, kernels.Column.FAMILY]) == int(kernels.Family.POLY)
    g = fastlr.CosineAnnealing(0.1, 10**5, 1e-4, exponent=2.0)
    assert int(g.plan.iseg[0, kernels.Column.FAMILY]) == int(kernels.Family.SHAPE)


def test_cosine_exponent_and_k_decay_by_hand():
    t = np.arange(1000)
    e = fastlr.CosineAnnealing(0.1, 1000, 1e-3, exponent=2.0)
    np.testing.assert_allclose(e(t), 1e-3 + (0.1 - 1e-3) * (0.5 * (1 + np.cos(np.pi * t / 1000)))
                               ** 2, rtol=0, atol=1e-16)
    k = fastlr.CosineAnnealing(0.1, 1000, 1e-3, k_decay=2.0)   # timm: t**k / T**k
    np.testing.assert_allclose(k(t), 1e-3 + 0.5 * (0.1 - 1e-3) * (1 + np.cos(np.pi * t**2
                                                                              / 1000**2)),
                               rtol=0, atol=1e-16)
    p = fastlr.Polynomial(0.1, 1e-3, 1000, 2.0, k_decay=0.5)
    np.testing.assert_allclose(p(t), (0.1 - 1e-3) * (1 - t**0.5 / 1000**0.5) ** 2 + 1e-3, rtol=0,
                               atol=1e-16)
    assert (e.array(10, 1000) == 1e-3).all() and (p.array(10, 1000) == 1e-3).all()


# regression: the SHAPE kernel formed the small factor near t = T (cos(w u) near pi/2,
# 1 - w u**k near 0) with an absolute error ~1e-16, which a power < 1 magnified past the contract
@pytest.mark.parametrize("s", [
    fastlr.CosineAnnealing(1.0, 2**40, exponent=0.1),
    fastlr.CosineAnnealing(1.0, 10**6, exponent=0.1),
    fastlr.Polynomial(1.0, 0.0, 10**9, 0.1, k_decay=0.8),
    fastlr.Polynomial(1.0, 0.0, 10**9, 0.5, k_decay=2.0),
], ids=repr)
def test_shape_kernel_small_powers_stay_accurate(s):
    T = s.params["total_steps"]
    assert_exact(s, T - 300, 300)


# regression: the general power near x = 1 chose its accurate form (exp(p log1p(-t/T))) by testing
# 2 u >= T, which overflowed once u = T - t > 2**62: pow(x, p) was used instead, 2.4e-13 of the
# peak off at t = 10**6 for p = 5000 (found while adding CyclicPolynomial)
@pytest.mark.parametrize("start", [0, 10**6, 2**40, 2**62 - 150])
def test_general_power_near_one_with_a_horizon_past_2_62(start):
    assert_exact(fastlr.Polynomial(1.0, 0.0, 2**63 - 1, 5000.0), start, 300)


# ============================================================================ OneCycle, pct * T <= 1
def torch_one_cycle(max_lr, T, pct, anneal="cos", div=25.0, final=1e4):
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=max_lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=T, pct_start=pct,
                                                anneal_strategy=anneal, cycle_momentum=False,
                                                div_factor=div, final_div_factor=final)
    out = [opt.param_groups[0]["lr"]]
    for _ in range(T - 1):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return np.array(out)


@pytest.mark.parametrize("T,pct,anneal", [
    (1000, 0.0005, "cos"),      # pct * T = 0.5: step 0 is already on the way down
    (1000, 0.0009, "linear"),
    (100, 0.001, "cos"),        # 0.1
    (3, 0.3, "cos"),            # 0.9 (was rejected before: phase 1 ends at -0.1)
    (2, 0.25, "linear"),
    (10007, 1e-6, "cos"),
])
def test_one_cycle_short_first_phase_matches_torch(T, pct, anneal):
    s = fastlr.OneCycle(0.1, T, pct_start=pct, anneal=anneal)
    assert pct * T < 1
    want = torch_one_cycle(0.1, T, pct, anneal)
    got = s.array(T)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-13 * 0.1)
    assert got[0] < 0.1 and (s.array(50, T) == s.min_lr).all()
    assert_exact(s, 0, min(T + 10, 400))


@pytest.mark.parametrize("T,pct", [(1000, 0.001), (4, 0.25), (2, 0.5), (1024, 2.0**-10)])
def test_one_cycle_first_phase_ending_at_step_zero(T, pct):
    """pct_start * T == 1: torch divides 0 by 0 at step 0 (ZeroDivisionError); fastlr gives the
    phase's end, max_lr, and then the descent from step 0 as torch's formula prescribes."""
    assert float(pct * T) == 1.0
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ZeroDivisionError):
        torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=T, pct_start=pct,
                                            cycle_momentum=False)
    s = fastlr.OneCycle(0.1, T, pct_start=pct)
    assert s(0) == 0.1
    # the descent, by torch's formula: pct = t / (T - 1), from max_lr to min_lr
    t = np.arange(1, T)
    lo = 0.1 / 25 / 1e4
    by_hand = lo + (0.1 - lo) / 2 * (np.cos(np.pi * t / (T - 1)) + 1)
    np.testing.assert_allclose(s(t), by_hand, rtol=0, atol=1e-13 * 0.1)
    assert_exact(s, 0, min(T + 10, 400))


def test_one_cycle_ordinary_pct_still_matches_torch():
    for T, pct, anneal in ((1000, 0.3, "cos"), (101, 0.37, "linear"), (7, 0.3, "cos")):
        np.testing.assert_allclose(fastlr.OneCycle(0.1, T, pct, anneal).array(T),
                                   torch_one_cycle(0.1, T, pct, anneal), rtol=0, atol=1e-14)


# ============================================================================ Plan: PRODUCT rows
C = kernels.Column
PRODUCT = int(kernels.Family.PRODUCT)


def product_plan(a_rows, a_first, b_rows, b_first, rows=3, n_top=1):
    """Row 0 a product of the given ranges; the other rows constants 2.0, 3.0, ... (each a plan
    of its own: begin 0)."""
    iseg = np.zeros((rows, kernels.N_INT_COLUMNS), dtype=np.int64)
    dseg = np.zeros((rows, kernels.N_FLOAT_COLUMNS))
    iseg[0, C.FAMILY] = PRODUCT
    iseg[0, C.INTS:C.INTS + 4] = (a_rows, a_first, b_rows, b_first)
    for k in range(1, rows):
        dseg[k, 0] = 1.0 + k
    return kernels.Plan(iseg, dseg, np.zeros(1), n_top)


def test_a_hand_built_product_plan_evaluates():
    p = product_plan(1, 1, 1, 2)
    assert p.value(0) == 6.0 and p.value(LAST) == 6.0
    out = np.empty(1000)
    p.fill(out, 2**40)
    assert (out == 6.0).all()


@pytest.mark.parametrize("a_rows,a_first,b_rows,b_first", [
    (1, 0, 1, 2),            # a factor that is the product itself
    (1, 1, 1, 0),
    (1, -1, 1, 2),           # backwards
    (1, 1, 1, -2**62),
    (0, 1, 1, 2),            # empty factors
    (1, 1, -1, 2),
    (1, 1, 1, 3),            # past the last row
    (3, 1, 1, 2),
    (2**62, 1, 1, 2),
    (1, 1, 2**63 - 1, 1),
    (1, 2**63 - 1, 1, 2),
    (-2**63, 1, 1, 2),
    (1, 1, 1, -2**63),
])
def test_bad_product_row_ranges_are_value_errors(a_rows, a_first, b_rows, b_first):
    with pytest.raises(ValueError, match="plan segment 0: a product factor"):
        product_plan(a_rows, a_first, b_rows, b_first)


def test_products_referring_back_or_looping_are_value_errors():
    # row 1 a product whose factor is row 0 (backwards: would recurse forever)
    iseg = np.zeros((3, kernels.N_INT_COLUMNS), dtype=np.int64)
    dseg = np.zeros((3, kernels.N_FLOAT_COLUMNS))
    iseg[0, C.FAMILY] = PRODUCT
    iseg[0, C.INTS:C.INTS + 4] = (1, 1, 1, 2)
    iseg[1, C.FAMILY] = PRODUCT
    iseg[1, C.INTS:C.INTS + 4] = (1, -1, 1, 1)
    dseg[2, 0] = 2.0
    with pytest.raises(ValueError, match="plan segment 1: a product factor"):
        kernels.Plan(iseg, dseg, np.zeros(1), 1)
    # a chain of 17 products, each the factor of the one before
    rows = 19
    iseg = np.zeros((rows, kernels.N_INT_COLUMNS), dtype=np.int64)
    dseg = np.zeros((rows, kernels.N_FLOAT_COLUMNS))
    for k in range(17):
        iseg[k, C.FAMILY] = PRODUCT
        iseg[k, C.INTS:C.INTS + 4] = (1, 1, 1, rows - 1 - k)
    dseg[17:, 0] = 1.0
    with pytest.raises(ValueError, match="nested more than 16 deep"):
        kernels.Plan(iseg, dseg, np.zeros(1), 1)
    iseg[0, C.FAMILY] = 0   # 16 deep: fine
    dseg[0, 0] = 0.5
    assert kernels.Plan(iseg[1:], dseg[1:], np.zeros(1), 1).value(5) == 1.0


def test_a_factor_range_must_be_a_plan():
    """Rows of a factor range begin at 0 and increase; its own segments are checked too."""
    iseg = np.zeros((3, kernels.N_INT_COLUMNS), dtype=np.int64)
    dseg = np.zeros((3, kernels.N_FLOAT_COLUMNS))
    iseg[0, C.FAMILY] = PRODUCT
    iseg[0, C.INTS:C.INTS + 4] = (2, 1, 1, 2)
    iseg[2, C.BEGIN] = 0     # rows 1, 2 as one plan: begins 0, 0 do not increase
    with pytest.raises(ValueError, match="begins must increase"):
        kernels.Plan(iseg, dseg, np.zeros(1), 1)
    iseg[2, C.BEGIN] = 5     # but then row 2 as factor b must begin at 0
    with pytest.raises(ValueError, match="begins must increase from 0"):
        kernels.Plan(iseg, dseg, np.zeros(1), 1)
    iseg[0, C.INTS:C.INTS + 4] = (2, 1, 2, 1)
    iseg[2, C.FAMILY] = 99   # an unknown family inside a factor
    with pytest.raises(ValueError, match="unknown family code 99"):
        kernels.Plan(iseg, dseg, np.zeros(1), 1)
    with pytest.raises(ValueError, match="n_top"):
        kernels.Plan(iseg, dseg, np.zeros(1), 4)


def test_products_sharing_factor_rows_are_checked_in_polynomial_time():
    """Regression: Plan() checked every path through products that share factor rows, so a
    hand-built plan of ~60 rows (16 levels of 4 products, each multiplying the next level's 4-row
    plan by itself) needed ~8**16 row checks and never returned. Run in a child process with a
    generous limit: the point is that it returns (and evaluates: 2**16 factor fills per step),
    not how fast."""
    code = textwrap.dedent(f"""
        import numpy as np
        from fastlr._dispatch import kernels
        C = kernels.Column
        def fan(m, levels):
            rows = m * levels
            iseg = np.zeros((rows, kernels.N_INT_COLUMNS), dtype=np.int64)
            dseg = np.zeros((rows, kernels.N_FLOAT_COLUMNS))
            for lvl in range(levels):
                for j in range(m):
                    k = lvl * m + j
                    iseg[k, C.BEGIN] = j
                    if lvl == levels - 1:
                        dseg[k, 0] = 1.0 + j
                        continue
                    iseg[k, C.FAMILY] = {PRODUCT}
                    first = (lvl + 1) * m
                    iseg[k, C.INTS:C.INTS + 4] = (m, first - k, m, first - k)
            return kernels.Plan(iseg, dseg, np.zeros(1), m)
        p = fan(4, 17)             # 16 levels of products over a level of constants 1, 2, 3, 4
        out = np.empty(60)
        p.fill(out, 0)
        print(p.value(48), p.value(49), list(out[:49]) == [1.0] * 49, bool(np.isinf(out[49:]).all()))
        try:
            fan(4, 18)
        except ValueError as e:
            print("deep:", e)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=str(FASTLR_HOME), env=child_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # each product level consumes up to 3 steps (its rows begin at 0..3) and squares its factor:
    # up to step 48 the constants reached are 1.0; from step 49 on 2.0**(2**16) = inf
    assert lines[0] == "1.0 inf True True", lines
    assert "nested more than 16 deep" in lines[1]
