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
