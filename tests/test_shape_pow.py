"""SHAPE's cosine raised to a power p != 1 with k = 1 (optax's ``cosine_decay_schedule(exponent)``,
``CosineAnnealing(exponent=p)``): low + amp cos²(π x / 2)**p evaluated as 2**(2 p log2 s),
s = cos(π x / 2), with a vectorised log2 and 2**z (no libm call per step). These tests pin its
accuracy against exact values (mpmath) over the whole range of p, both halves of the horizon (s - 1
from its own series below x = 1/2, sin(π y / 2) of the exact distance to the end above), the
underflow of c**p for huge p, the floor from u = end on, and the bit-identity of windows, scalars,
gathers, float32 and threads."""
from __future__ import annotations

import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastlr
from fastlr import plan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exact import assert_exact  # noqa: E402
from helpers import assert_paths_agree  # noqa: E402

TIGHT = 2e-15    # what the path keeps (4.5e-16 of the peak measured); the contract is 1e-13

CASES = {
    "p2": fastlr.CosineAnnealing(0.1, 10**7, 1e-5, exponent=2.0),
    "p1.7": fastlr.CosineAnnealing(0.1, 10**5, 1e-4, exponent=1.7),
    "p0.5": fastlr.CosineAnnealing(1.0, 10**6, 0.0, exponent=0.5),
    "p0.001": fastlr.CosineAnnealing(1.0, 999, 0.0, exponent=1e-3),
    "p10_warmup": fastlr.CosineAnnealing(0.0, 123457, 2.0, exponent=10.0),
    "p300": fastlr.CosineAnnealing(1.0, 10**6, 0.25, exponent=300.0),
    "p_huge_T": fastlr.CosineAnnealing(3.0, 2**40 + 7, 1e-3, exponent=3.5),
}


def _exact(hi: float, lo: float, T: float, p: float, u: float) -> mpmath.mpf:
    if u >= T:
        return mpmath.mpf(lo)
    c = mpmath.cos(mpmath.pi * mpmath.mpf(u) / (2 * mpmath.mpf(T))) ** 2
    return mpmath.mpf(lo) + (mpmath.mpf(hi) - mpmath.mpf(lo)) * c ** mpmath.mpf(p)


@pytest.mark.parametrize("name", sorted(CASES))
def test_exact_to_the_contract(name):
    s = CASES[name]
    T = s.params["total_steps"]
    for start in (0, 1, T // 4, T // 2 - 150, T // 2 + 1, T - 300, T - 3):
        assert_exact(s, max(start, 0), 300, rel=TIGHT)


@settings(max_examples=40, deadline=None)
@given(p=st.one_of(st.floats(1e-4, 4.0), st.floats(4.0, 2000.0)), T=st.integers(2, 2**52),
       hi=st.floats(1e-6, 10.0), lo=st.floats(0.0, 1.0), frac=st.floats(0.0, 1.0))
def test_random_powers_against_mpmath(p, T, hi, lo, frac):
    """c**p over random powers, horizons and rates (warmups too: lo > hi), at steps spread over the
    horizon: both sides of x = 1/2, the last steps, and past the end."""
    if p == 1.0:
        p = 1.5
    low = lo * hi * 3
    s = fastlr.CosineAnnealing(hi, T, low, exponent=p)
    steps = sorted({0, 1, T // 2 - 1, T // 2, T // 2 + 1, int(frac * (T - 1)), T - 2, T - 1, T,
                    T + 5} - {-1})
    got = s(np.array(steps, dtype=np.int64))
    peak = max(hi, low)
    with mpmath.workdps(40):
        for t, g in zip(steps, got.tolist()):
            assert abs(g - _exact(hi, low, T, p, t)) <= TIGHT * peak, (t, g)


def test_a_real_phase_and_end():
    """The kernel's u = tau + phase with a real end (the plan allows both): the halves split where
    2u crosses end, and u >= end gives low exactly."""
    for phase, end, p in ((0.25, 1000.5, 2.5), (0.75, 777.25, 0.3), (3.5, 4096.75, 40.0)):
        P = plan.compile_plan([plan.cosine_shape(0.25, 1.5, end, phase=phase, p=p)])
        out = np.empty(5000)
        P.fill(out, 0)
        first = int(np.ceil(end - phase))      # the first tau with tau + phase >= end
        with mpmath.workdps(40):
            for t in [*range(0, 5000, 7), *range(first - 40, first + 3)]:
                v = _exact(1.75, 0.25, end, p, t + phase)
                assert abs(out[t] - v) <= TIGHT * 1.75, (phase, end, p, t, out[t])
        assert (out[first:] == 0.25).all() and (out[:first] >= 0.25).all()
        for a in (0, int(end / 2) - 3, first - 2, first + 9):
            part = np.empty(11)
            P.fill(part, a)
            assert part.tobytes() == out[a:a + 11].tobytes()
        out32 = np.empty(5000, dtype=np.float32)
        P.fill(out32, 0)
        assert out32.tobytes() == out.astype(np.float32).tobytes()


@pytest.mark.parametrize("name", ["p2", "p300", "p10_warmup"])
def test_windows_scalars_gathers_float32_threads_agree(name):
    s = CASES[name]
    T = s.params["total_steps"]
    start = T // 2 - 5000     # the windows cross x = 1/2, where the two halves meet
    assert_paths_agree(s, start, 10000, ((start + 1, 3001), (start + 4999, 64),
                                         (start + 37, 9000), (start + 4095, 2050)), 97,
                       threads=(2, 3, 4))
    tail = s.array(3000, T - 2000)
    assert s.array(1000, T - 1000).tobytes() == tail[1000:2000].tobytes()


def test_the_peak_the_floor_and_underflow():
    """x = 0 gives the peak exactly (log2 1 = 0, 2**0 = 1); from t = T on, low; a huge power takes
    c**p below 2**-1020 early, where the value is low exactly (amp 2**-1020 is far below an ulp
    of any peak) and the exact value agrees to the contract."""
    for p in (1e-3, 0.5, 2.0, 300.0):
        s = fastlr.CosineAnnealing(0.1, 10**6, 1e-4, exponent=p)
        assert s(0) == 1e-4 + (0.1 - 1e-4)
        assert (s.array(100, 10**6 - 50)[50:] == 1e-4).all()
    s = fastlr.CosineAnnealing(1.0, 10**6, 0.0, exponent=1e5)
    v = s.array(200000)
    assert v[0] == 1.0 and (np.diff(v) <= 0).all()
    assert (v[60000:] == 0.0).all()      # cos²(0.03 π)**1e5 = 2**-1280: below 2**-1020
    with mpmath.workdps(40):
        for t in (1, 10, 100, 1000, 5000, 20000, 40000):
            assert abs(v[t] - _exact(1.0, 0.0, 10**6, 1e5, t)) <= TIGHT, t


def test_extreme_powers():
    """p near the largest double (2 p overflows) and the smallest subnormal: the peak at t = 0
    (1**p = 1), low once c**p underflows, the peak within rounding for a tiny p."""
    for p in (1.7976931348623157e308, 1e308, 1e300):
        v = fastlr.CosineAnnealing(0.1, 1000, 1e-5, exponent=p).array(1002)
        assert v[0] == 1e-5 + (0.1 - 1e-5) and (v[1:] == 1e-5).all()
    for p in (5e-324, 1e-300):
        v = fastlr.CosineAnnealing(0.1, 1000, 1e-5, exponent=p).array(1002)
        assert (v[:1000] == 1e-5 + (0.1 - 1e-5)).all() and (v[1000:] == 1e-5).all()


def test_float32_is_float64_rounded_once():
    for name in ("p2", "p0.5", "p300"):
        s = CASES[name]
        T = s.params["total_steps"]
        for start in (0, T // 2 - 2500, T - 4000):
            a = s.array(5000, start)
            assert s.array(5000, start, dtype=np.float32).tobytes() == a.astype(np.float32).tobytes()


def test_horizons_past_2_53():
    """end in [2**53, 2**54): the steps with u >= end / 2 (still below 2**53) take the distance to
    the end like any other horizon (they once stayed on the first half's series, out of its
    range: 7e-9 of the peak off at 2**53 - 400)."""
    s = fastlr.CosineAnnealing(1.0, 2**53 + 2**51, 0.0, exponent=2.0)
    for start in (2**52 + 2**50 - 150, 2**53 - 400):
        assert_exact(s, start, 300, rel=TIGHT)


# --- the anchored series (_shape_anchored, plan series 2) --------------------------------------

SERIES_TIGHT = 6e-16

def _tiers(p: float):
    """(s10, s6) as the plan gives them, and the distances to the end where the kernel's tiers
    change: six terms while d >= 512 * 2**s6, ten while d >= 8 * 2**s10, per step below."""
    seg = plan.cosine_shape(0.0, 1.0, 1e7, p=p)
    assert seg.ints[plan.FAMILIES[plan.F.SHAPE].ints.index("series")] == 2
    shift = seg.ints[plan.FAMILIES[plan.F.SHAPE].ints.index("shift")]
    return shift & 255, shift >> 8


def test_the_bound_on_the_ratio():
    """The lemma the plan's shifts rest on: for 0 < c <= 1/2 and 0 < R <= π/2,
    cosh(c R) + cot(R) sinh(c R) <= 1 + c (the largest |cos(θ_a + δ) / cos θ_a| on |δ| = c R),
    on a grid dense near R = 0 (where it is tight) and at high precision."""
    with mpmath.workdps(30):
        for c in [mpmath.mpf(i) / 64 for i in range(1, 33)]:
            for R in [mpmath.mpf(2) ** -e for e in range(1, 60, 3)] + \
                     [mpmath.pi / 2 * mpmath.mpf(i) / 40 for i in range(1, 41)]:
                v = mpmath.cosh(c * R) + mpmath.cot(R) * mpmath.sinh(c * R)
                assert v <= 1 + c, (c, R, v)


@pytest.mark.parametrize("p", [1e-3, 0.5, 1.7, 2.0, 3.0, 10.0, 25.0, 100.0, 200.0])
def test_the_tails_the_shifts_promise(p):
    """The truncated terms, from exact Taylor coefficients (mpmath) of
    (cos(θ_a + δ) / cos θ_a)**(2p) at anchors near the end, in the middle and at the start, stay
    below 2**-57 over a run's reach δ <= 2**-s R (R = π/2 - θ_a), ten terms with s10, six with
    s6: the plan's Cauchy bound checked against the coefficients themselves."""
    s10, s6 = _tiers(p)
    assert 4 <= s10 <= 13 and (s6 == 0 or s10 < s6 <= 20)
    with mpmath.workdps(60):
        for R in (mpmath.mpf(10) ** -6, mpmath.mpf("0.01"), mpmath.mpf("0.7"), mpmath.pi / 2):
            th = mpmath.pi / 2 - R
            coef = mpmath.taylor(lambda d: (mpmath.cos(th + d) / mpmath.cos(th)) ** (2 * p),
                                 0, 40)
            for terms, s in ((10, s10), (6, s6)):
                if not s:
                    continue
                reach = R * mpmath.mpf(2) ** -s
                tail = sum(abs(c) * reach ** k for k, c in enumerate(coef) if k >= terms)
                assert tail <= mpmath.mpf(2) ** -57, (p, R, terms, s, tail)


def test_the_plan_takes_the_series_up_to_shift_13():
    assert _tiers(2.0) == (7, 11)
    for p in (300.0, 1e5, 1e308):   # past s10 = 13 (2p ~ 400): the per-step path
        seg = plan.cosine_shape(0.0, 1.0, 1e7, p=p)
        assert seg.ints[plan.FAMILIES[plan.F.SHAPE].ints.index("series")] == 0
    seg = plan.cosine_shape(0.0, 1.0, 1e7, k=1.5, p=2.0)     # k-decay: its own anchors
    assert seg.ints[plan.FAMILIES[plan.F.SHAPE].ints.index("shift")] \
        == plan._kdecay_shift(True, 1.5, 2.0, 10, 13) + 256 * plan._kdecay_shift(True, 1.5, 2.0, 6, 20)


@pytest.mark.parametrize("shift", [3, 14, 7 + 256 * 3, 7 + 256 * 21, -1])
def test_the_plan_checker_refuses_bad_shifts(shift):
    seg = plan.cosine_shape(0.0, 1.0, 1e7, p=2.0)
    names = plan.FAMILIES[plan.F.SHAPE].ints
    ints = list(seg.ints)
    ints[names.index("shift")] = shift
    with pytest.raises(ValueError, match="SHAPE series"):
        plan.compile_plan([seg._replace(ints=tuple(ints))])


def test_the_checker_refuses_series_2_for_other_shapes():
    names = plan.FAMILIES[plan.F.SHAPE].ints
    for seg in (plan.poly_shape(0.0, 1.0, 1e7, k=1.5, p=1.0),
                plan.poly_shape_to_end(0.0, 1.0, 1e7, rest=10**7, frac=0.0, k=1.5, p=2.0),
                plan.cosine_shape(0.0, 1.0, 1e7, k=1.0, p=1.0)):
        ints = list(seg.ints)
        ints[names.index("series")] = 2
        ints[names.index("shift")] = 7
        with pytest.raises(ValueError, match="SHAPE series 2"):
            plan.compile_plan([seg._replace(ints=tuple(ints))])


@pytest.mark.parametrize("p", [0.3, 2.0, 25.0, 200.0])
def test_every_tier_and_its_edges_against_mpmath(p):
    """Windows on both sides of each tier change (six terms -> ten -> per step) and of the run
    length halvings, in the 2048-step blocks the kernel decides them by, plus the middle: within
    6e-16 of the peak (3.3e-16 measured; the longest runs sit at the edges, where a shift one
    too small would show)."""
    T = 10**7
    s10, s6 = _tiers(p)
    s = fastlr.CosineAnnealing(1.0, T, 1e-3, exponent=p)
    edges = {T // 2, T - (8 << s10), T - (16 << s10), T - (2048 << s10)}
    if s6:
        edges |= {T - (512 << s6), T - (1024 << s6), T - (2048 << s6)}
    for d in sorted(edges):
        start = max(0, (d & ~2047) - 2100)
        if start < T:
            assert_exact(s, start, 4300, rel=SERIES_TIGHT)
    assert_exact(s, T - 4300, 4300, rel=SERIES_TIGHT)


@pytest.mark.parametrize("p", [0.3, 2.0, 25.0])
def test_series_windows_threads_float32_agree(p):
    """The tier and the run length are the block's, the anchors the step's: windows that cut
    runs, blocks and tier changes anywhere, threads and float32 give the bytes of one fill."""
    T = 3 * 10**6
    s10, s6 = _tiers(p)
    s = fastlr.CosineAnnealing(0.1, T, 1e-5, exponent=p)
    for d in (512 << s6, 8 << s10) if s6 else (8 << s10,):
        start = max(0, T - d - 5000)
        assert_paths_agree(s, start, 10000, ((start + 1, 3001), (start + 4999, 64),
                                             (start + 37, 9000), (start + 2047, 2050)), 97,
                           threads=(2, 3, 4))
    whole = s.array(T + 10)
    for a in (0, 2047, 2048, 1 << 20, T - (8 << s10) - 3, T - 995):
        assert s.array(1000, a).tobytes() == whole[a:a + 1000].tobytes()
    assert s.array(T + 10, dtype=np.float32).tobytes() == whole.astype(np.float32).tobytes()
