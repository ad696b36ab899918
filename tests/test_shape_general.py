"""SHAPE's general k-decay shapes vectorised (_shape_vec): a k-decay with a power p != 1
(CosineAnnealing(k_decay, exponent), Polynomial(power, k_decay), PolynomialRestarts(power, k_decay)),
k > 4 with p = 1, and kind 2 (the distance to a real cycle end) with k != 1. y = 1 - (u / end)**k is
1 - 2**(k log2(1 - r)) with each logarithm and each 1 - 2**z taken with its relative accuracy
(in-house log2 and 2**z, no libm call per step). These tests pin the accuracy against exact values
(mpmath) over random k, p and horizons, the runs at the ends (step 0 of a segment by the per-step
loop, u >= end low, d >= end the peak, d <= 0 low), extreme parameters (which the kernel hands to
the per-step loop or clamps), and the bit-identity of windows, scalars, gathers, float32, threads."""
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

TIGHT = 2e-15    # what the path keeps (4.7e-16 of the peak measured); the contract is 1e-13

CASES = {
    "cos_k1.5_p2": fastlr.CosineAnnealing(0.1, 10**6, 1e-5, exponent=2.0, k_decay=1.5),
    "cos_k0.3_p0.5": fastlr.CosineAnnealing(0.1, 10**6, 1e-5, exponent=0.5, k_decay=0.3),
    "cos_k7": fastlr.CosineAnnealing(0.1, 10**6, 1e-5, k_decay=7.0),
    "cos_k300": fastlr.CosineAnnealing(0.1, 10**6, 1e-5, k_decay=300.0),
    "cos_k0.05_p40_warmup": fastlr.CosineAnnealing(0.0, 1000, 1.0, exponent=40.0, k_decay=0.05),
    "poly_p2_k0.8": fastlr.Polynomial(0.1, 1e-4, 10**6, 2.0, k_decay=0.8),
    "poly_p0.3_k2.5": fastlr.Polynomial(0.1, 1e-4, 10**6, 0.3, k_decay=2.5),
    "poly_k9": fastlr.Polynomial(0.1, 1e-4, 10**6, 1.0, k_decay=9.0),
    "poly_huge_T": fastlr.Polynomial(1.0, 0.0, 2**45 + 3, 0.7, k_decay=1.9),
    "restarts_k2_p0.9": fastlr.PolynomialRestarts(0.1, 333.25, 2.5, 1e-5, 1.1, max_cycles=12,
                                                  power=0.9, k_decay=2.0),
    "restarts_k0.6_p0.5": fastlr.PolynomialRestarts(0.1, 10**5 / 3 + 0.37, 1.5, 1e-5, 0.9,
                                                    max_cycles=5, power=0.5, k_decay=0.6),
    "restarts_k3_p1": fastlr.PolynomialRestarts(0.1, 777.7, 1.3, 1e-4, max_cycles=9, power=1.0,
                                                k_decay=3.0),
}


def _horizon(s) -> int:
    return int(s.params.get("total_steps") or 200_000)


@pytest.mark.parametrize("name", sorted(CASES))
def test_exact_to_the_contract(name):
    s = CASES[name]
    T = _horizon(s)
    for start in sorted({0, 1, 97, T // 3, T // 2 - 200, T // 2 + 5, T - 400, T - 150}):
        assert_exact(s, max(start, 0), 400, rel=TIGHT)


def _shape(kind: str, hi: float, lo: float, T: int, k: float, p: float, t: int) -> mpmath.mpf:
    if t >= T:
        return mpmath.mpf(lo)
    y = 1 - (mpmath.mpf(t) / T) ** mpmath.mpf(k)
    c = mpmath.sin(mpmath.pi * y / 2) ** 2 if kind == "cos" else y
    return mpmath.mpf(lo) + (mpmath.mpf(hi) - mpmath.mpf(lo)) * c ** mpmath.mpf(p)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["cos", "poly"]), k=st.floats(0.02, 60.0), p=st.floats(0.01, 30.0),
       T=st.integers(2, 2**52), hi=st.floats(1e-6, 10.0), lo=st.floats(0.0, 1.0),
       frac=st.floats(0.0, 1.0))
def test_random_shapes_against_mpmath(kind, k, p, T, hi, lo, frac):
    low = lo * hi * 3
    if kind == "cos":
        s = fastlr.CosineAnnealing(hi, T, low, exponent=p, k_decay=k)
    else:
        s = fastlr.Polynomial(hi, low, T, p, k_decay=k)
    steps = sorted({0, 1, 2, T // 2 - 1, T // 2, T // 2 + 1, int(frac * (T - 1)), T - 2, T - 1,
                    T, T + 3} - {-1})
    got = s(np.array(steps, dtype=np.int64))
    with mpmath.workdps(40):
        for t, g in zip(steps, got.tolist()):
            assert abs(g - _shape(kind, hi, low, T, k, p, t)) <= TIGHT * max(hi, low), (t, g)


@settings(max_examples=15, deadline=None)
@given(k=st.floats(0.05, 12.0), p=st.floats(0.05, 8.0), L=st.floats(50.0, 5000.0),
       mult=st.floats(1.0, 3.0))
def test_random_restarts_against_mpmath(k, p, L, mult):
    """PolynomialRestarts with k_decay != 1: kind 1 on the first half of each real cycle, kind 2
    (the exact distance to the cycle's end) on the second; the last steps of cycles included."""
    s = fastlr.PolynomialRestarts(0.1, L, mult, 1e-5, 0.9, max_cycles=6, power=p, k_decay=k)
    for start in (0, int(L) - 60, int(L * (1 + mult)) - 60, int(L / 2) - 30):
        assert_exact(s, max(start, 0), 120, rel=TIGHT)


@pytest.mark.parametrize("name", ["cos_k1.5_p2", "poly_p0.3_k2.5", "cos_k7", "restarts_k2_p0.9"])
def test_windows_scalars_gathers_float32_threads_agree(name):
    s = CASES[name]
    T = _horizon(s)
    start = T // 2 - 5000
    assert_paths_agree(s, start, 10000, ((start + 1, 3001), (start + 4999, 64),
                                         (start + 37, 9000), (start + 4095, 2050)), 97,
                       threads=(2, 3, 4))
    head = s.array(300)
    assert s.array(299, 1).tobytes() == head[1:].tobytes()     # step 0 apart (the loop's)


def test_the_runs_at_the_ends():
    """Kinds 0/1: step 0 the peak, u >= end low; kind 2: d >= end the peak, d <= 0 low, and the
    steps between exact — whatever the window."""
    for s in (CASES["cos_k1.5_p2"], CASES["poly_p2_k0.8"], CASES["cos_k7"]):
        lo, hi = s.params["min_lr" if "min_lr" in s.params else "end_lr"], \
            s.params["max_lr" if "max_lr" in s.params else "init_lr"]
        assert s(0) == lo + (hi - lo)
        assert (s.array(100, 10**6 - 50)[50:] == lo).all()
    seg = plan.poly_shape_to_end(1.0, 2.0, 10.0, rest=40, frac=0.25, k=1.7, p=0.6)
    P = plan.compile_plan([seg])
    out = np.empty(60)
    P.fill(out, 0)
    d = 40 - np.arange(60) + 0.25
    assert (out[d >= 10.0] == 3.0).all() and (out[d <= 0] == 1.0).all()
    with mpmath.workdps(40):
        for t in np.nonzero((d > 0) & (d < 10.0))[0]:
            y = 1 - (1 - mpmath.mpf(d[t]) / 10) ** mpmath.mpf(1.7)
            assert abs(out[t] - (1 + 2 * y ** mpmath.mpf(0.6))) <= TIGHT * 3, t
    for a in (0, 29, 31, 39, 41):
        part = np.empty(9)
        P.fill(part, a)
        assert part.tobytes() == out[a:a + 9].tobytes()


@pytest.mark.parametrize("k, p, phase", [
    (1e-200, 0.5, 0.0), (1e200, 0.5, 0.0), (1e-300, 2.0, 0.0), (1e300, 0.3, 0.0),
    (1.5, 1e-300, 0.0), (1.5, 1e300, 0.0), (0.7, 1.3, 1e-300), (0.7, 1.3, 0.999999),
    (2.5, 0.4, 3.75),
])
def test_extreme_parameters_stay_exact(k, p, phase):
    """k and p near the ends of the double range (the kernel clamps 2**z, or hands k outside
    [2**-500, 2**500] to the per-step loop), tiny and large phases: every value finite and exact."""
    for kind_seg in (plan.cosine_shape, plan.poly_shape):
        P = plan.compile_plan([kind_seg(0.25, 1.5, 1000.5, phase=phase, k=k, p=p)])
        out = np.empty(1100)
        P.fill(out, 0)
        assert np.isfinite(out).all()
        with mpmath.workdps(60):
            for t in (0, 1, 2, 10, 500, 900, 995, 999, 1000, 1001):
                u = mpmath.mpf(t) + mpmath.mpf(phase)
                if u >= mpmath.mpf(1000.5):
                    v = mpmath.mpf(0.25)
                else:
                    y = 1 - (u / mpmath.mpf(1000.5)) ** mpmath.mpf(k)
                    c = mpmath.sin(mpmath.pi * y / 2) ** 2 if kind_seg is plan.cosine_shape else y
                    v = mpmath.mpf(0.25) + mpmath.mpf(1.5) * c ** mpmath.mpf(p)
                assert abs(out[t] - v) <= TIGHT * 1.75, (kind_seg.__name__, t, out[t], float(v))


# --- k-decays on anchored series (_shape_anchored, plan series 2) -----------------------------

SERIES_TIGHT = 6e-16


def _kdecay_tiers(cosine: bool, k: float, p: float):
    names = plan.FAMILIES[plan.F.SHAPE].ints
    seg = (plan.cosine_shape if cosine else plan.poly_shape)(0.0, 1.0, 1e7, k=k, p=p)
    assert seg.ints[names.index("series")] == 2, (cosine, k, p)
    shift = seg.ints[names.index("shift")]
    return shift & 255, shift >> 8


def _kdecay(cosine: bool, hi: float, lo: float, T: int, k: float, p: float):
    if cosine:
        return fastlr.CosineAnnealing(hi, T, lo, exponent=p, k_decay=k)
    return fastlr.Polynomial(hi, lo, T, p, k_decay=k)


def test_the_plan_gives_kdecay_series_where_its_bound_holds():
    names = plan.FAMILIES[plan.F.SHAPE].ints
    assert _kdecay_tiers(False, 0.8, 2.0) == (7, 11)
    assert _kdecay_tiers(True, 1.5, 1.0) == (7, 11)
    for k, p in ((9.0, 2.0), (1e-300, 2.0), (1e-4, 0.5), (1.5, 1.0), (0.8, 1e300)):
        seg = plan.poly_shape(0.0, 1.0, 1e7, k=k, p=p)
        assert seg.ints[names.index("series")] != 2, (k, p)
    for k, p in ((9.0, 1.0), (1e-300, 2.0), (0.8, 1e300)):
        seg = plan.cosine_shape(0.0, 1.0, 1e7, k=k, p=p)
        assert seg.ints[names.index("series")] != 2, (k, p)


KDECAY = [(False, 0.8, 2.0), (False, 0.1, 0.5), (False, 1.5, 0.9), (False, 3.7, 3.0),
          (False, 8.0, 2.0), (False, 0.8, 25.0), (True, 1.5, 1.0), (True, 0.3, 1.0),
          (True, 4.0, 1.0), (True, 8.0, 1.0), (True, 1.5, 2.0), (True, 0.05, 40.0)]


@pytest.mark.parametrize("cosine, k, p", KDECAY)
def test_the_kdecay_tails_the_shifts_promise(cosine, k, p):
    """The truncated terms, from exact Taylor coefficients (mpmath) in the step j of the ratio
    h(u_a + j) / h(u_a) at anchors near the start, in the middle and near the end, stay below
    2**-57 over a run's reach j <= 2**-s min(u_a, end - u_a), for ten terms (s10) and six (s6):
    the plan's Cauchy bound checked against the coefficients."""
    s10, s6 = _kdecay_tiers(cosine, k, p)
    end = mpmath.mpf(10**7)
    with mpmath.workdps(60):
        for ua in (mpmath.mpf(1000), mpmath.mpf(3 * 10**5), end / 2, end - 3 * 10**5, end - 1000):
            if cosine:
                def h(u):
                    return mpmath.cos(mpmath.pi / 2 * (u / end) ** k) ** (2 * p)
            else:
                def h(u):
                    return (1 - (u / end) ** k) ** p
            ha = h(ua)
            coef = mpmath.taylor(lambda j: h(ua + j) / ha, 0, 30)
            for terms, s in ((10, s10), (6, s6)):
                reach = min(ua, end - ua) * mpmath.mpf(2) ** -s
                tail = sum(abs(c) * reach ** m for m, c in enumerate(coef) if m >= terms)
                assert tail <= mpmath.mpf(2) ** -57, (cosine, k, p, ua, terms, s, tail)


@pytest.mark.parametrize("cosine, k, p", [(False, 0.8, 2.0), (False, 1.5, 0.9), (False, 0.3, 0.5),
                                          (False, 3.0, 10.0), (True, 1.5, 1.0), (True, 0.7, 1.0),
                                          (True, 2.0, 1.0), (True, 1.3, 0.5)])
def test_kdecay_tiers_and_edges_against_mpmath(cosine, k, p):
    """Windows across each tier change at both ends of the horizon (per step or the one-pass
    path -> ten terms -> six near the start, and back near the end), the 2048-step blocks that
    decide them, the middle: within 6e-16 of the peak."""
    T = 10**7
    s10, s6 = _kdecay_tiers(cosine, k, p)
    s = _kdecay(cosine, 1.0, 1e-3, T, k, p)
    edges = {0, T // 2}
    for d in (8 << s10, 16 << s10, 64 << s10, 128 << s10, 2048 << s10, 512 << s6, 2048 << s6):
        edges |= {d, T - d}
    for e in sorted(edges):
        start = min(max(0, (e & ~2047) - 2100), T - 4300)
        assert_exact(s, start, 4300, rel=SERIES_TIGHT)


@pytest.mark.parametrize("cosine, k, p", [(False, 0.8, 2.0), (False, 1.5, 0.9), (True, 1.5, 1.0),
                                          (True, 0.6, 3.0)])
def test_kdecay_windows_threads_float32_agree(cosine, k, p):
    T = 3 * 10**6
    s10, s6 = _kdecay_tiers(cosine, k, p)
    s = _kdecay(cosine, 0.1, 1e-5, T, k, p)
    for e in (8 << s10, 64 << s10, 512 << s6, T - (512 << s6), T - (64 << s10), T - (8 << s10)):
        start = max(0, e - 5000)
        assert_paths_agree(s, start, 10000, ((start + 1, 3001), (start + 4999, 64),
                                             (start + 37, 9000), (start + 2047, 2050)), 97,
                           threads=(2, 3, 4))
    whole = s.array(T + 10)
    for a in (0, 1, 1023, 2048, 1 << 20, T - (8 << s10) - 3, T - 995):
        assert s.array(1000, a).tobytes() == whole[a:a + 1000].tobytes()
    assert s.array(T + 10, dtype=np.float32).tobytes() == whole.astype(np.float32).tobytes()


@pytest.mark.parametrize("make", [
    lambda: fastlr.CosineRestarts(0.1, 10**6 / 3 + 0.37, 1.7, 1e-5, 0.9, max_cycles=4,
                                  k_decay=1.3),
    lambda: fastlr.CosineRestarts(0.1, 10**6 / 3 + 0.37, 1.7, 1e-5, 0.9, max_cycles=4,
                                  k_decay=0.6),
    lambda: fastlr.PolynomialRestarts(0.1, 10**6 / 3 + 0.37, 1.7, 1e-5, 0.9, max_cycles=4,
                                      power=2.0, k_decay=0.7),
], ids=["cos_restarts_k1.3", "cos_restarts_k0.6", "poly_restarts_k0.7_p2"])
def test_kdecay_series_in_cycles_of_real_length(make):
    """timm's cycle_mul with k_decay: every cycle after the first is a SHAPE segment with a
    fractional phase (u = tau + phase) on the anchored series; windows in the middle of cycles,
    across a restart and near a cycle's end stay within 6e-16 of the peak, and windows and
    gathers give the bytes of one fill."""
    s = make()
    for start in (150000, 333000, 500000, 890000, 1200000):
        assert_exact(s, start, 2000, rel=SERIES_TIGHT)
    whole = s.array(2 * 10**6)
    for a in (333331, 555555, 1234567):
        assert s.array(5000, a).tobytes() == whole[a:a + 5000].tobytes()
        assert s(np.arange(a, a + 64)).tobytes() == whole[a:a + 64].tobytes()
