"""SHAPE with p = 1 (the k-decay cosine of timm and keras, polynomial k-decay of power 1) on the
power-law kernel: x = (u / end)**k from POLY's series, then cos(π x / 2) as a polynomial (kind 0)
or 1 - x (kind 1), vectorised. These tests pin the path's accuracy against exact values (mpmath),
its bit-identity across windows, scalars, gathers, float32 and threads, the edges it hands to
the per-step loop (u >= end, u past 2**53), and the plan's parameters."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastlr
from fastlr import _kernels as kernels
from fastlr import plan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exact import assert_exact  # noqa: E402
from helpers import assert_paths_agree  # noqa: E402

TIGHT = 2e-15    # what the path keeps (5e-16 measured); the contract is 1e-13

CASES = {
    "cos_k1.5": fastlr.CosineAnnealing(0.1, 10**7, 1e-5, k_decay=1.5),
    "cos_k0.25_warmup": fastlr.CosineAnnealing(0.0, 1413246499, 1.0, k_decay=0.25),
    "cos_k3": fastlr.CosineAnnealing(2.0, 3 * 10**6, 0.0, k_decay=3.0),
    "cos_k2": fastlr.CosineAnnealing(0.1, 10**6, 1e-4, k_decay=2.0),     # x*x, no series
    "cos_k0.5": fastlr.CosineAnnealing(0.1, 10**6, 1e-4, k_decay=0.5),   # sqrt, no series
    "cos_k300": fastlr.CosineAnnealing(0.1, 10**6, 1e-4, k_decay=300.0),  # the per-step loop
    "restarts_k1.3": fastlr.CosineRestarts(0.1, 1000.37, 1.7, 1e-5, 0.9, max_cycles=12,
                                           k_decay=1.3),
    "poly_k0.7": fastlr.Polynomial(0.1, 1e-5, 10**6, power=1.0, k_decay=0.7),
    "poly_k2.5_huge": fastlr.Polynomial(1.0, 0.0, 2**52 + 12345, power=1.0, k_decay=2.5),
    "poly_restarts_k0.6": fastlr.PolynomialRestarts(0.1, 777.7, 1.3, 1e-4, max_cycles=9,
                                                    power=1.0, k_decay=0.6),
}


def _series_rows(s):
    """(kind, series, shift) of the schedule's SHAPE rows."""
    P = s.plan
    rows = P.iseg[P.iseg[:, kernels.Column.FAMILY] == int(kernels.Family.SHAPE)]
    return [tuple(int(v) for v in r[kernels.Column.INTS:kernels.Column.INTS + 4][[0, 2, 3]])
            for r in rows]


def _rest(s):
    P = s.plan
    rows = P.iseg[P.iseg[:, kernels.Column.FAMILY] == int(kernels.Family.SHAPE)]
    return [int(r[kernels.Column.INTS + 1]) for r in rows]


def _anchored(k, p=1.0):
    """The row of a k-decay cosine on anchored series (series 2) with its shifts."""
    return (0, 2, plan._kdecay_shift(True, k, p, 10, 13)
            + 256 * plan._kdecay_shift(True, k, p, 6, 20))


def test_plan_parameters():
    """The k-decay cosine takes anchored series (series 2) for 1e-3 <= k <= 8, and with p = 1
    the power-law flags of (u / end)**k in rest (its blocks near the ends run this path);
    polynomial k-decay of power 1 keeps power_law's series/shift for the power k when k has no
    cheaper form; kind 2 keeps none."""
    fl = plan._series_flags
    assert _series_rows(CASES["cos_k1.5"]) == [_anchored(1.5)]
    assert _rest(CASES["cos_k1.5"]) == [fl(1.5)[0] + 256 * fl(1.5)[1]]
    assert _series_rows(CASES["poly_k0.7"]) == [(1, *fl(0.7))]
    assert _series_rows(CASES["cos_k2"]) == [_anchored(2.0)] and _rest(CASES["cos_k2"]) == [0]
    assert _series_rows(CASES["cos_k300"]) == [(0, 0, 10)]
    s45 = fastlr.CosineAnnealing(0.1, 100, k_decay=4.5)
    assert _series_rows(s45) == [_anchored(4.5)] and _rest(s45) == [0]
    s4 = fastlr.CosineAnnealing(0.1, 100, k_decay=4.0)
    assert _series_rows(s4) == [_anchored(4.0)] and _rest(s4) == [fl(4.0)[0] + 256 * fl(4.0)[1]]
    s2 = fastlr.CosineAnnealing(0.1, 100, k_decay=1.5, exponent=2.0)
    assert _series_rows(s2) == [_anchored(1.5, 2.0)] and _rest(s2) == [0]
    assert _series_rows(fastlr.CosineAnnealing(0.1, 100, k_decay=9.0)) == [(0, 0, 10)]
    kinds = {r[0] for r in _series_rows(CASES["poly_restarts_k0.6"])}
    assert kinds == {1, 2}
    assert all(r[1] == 0 for r in _series_rows(CASES["poly_restarts_k0.6"]) if r[0] == 2)
    seg = plan.cosine_shape(0.0, 1.0, 100.0, k=1.5)
    np.testing.assert_array_equal(seg.table, plan._binomial_series(1.5)[:10])
    assert plan.cosine_shape(0.0, 1.0, 100.0, k=1.5, p=2.0).table is None


@pytest.mark.parametrize("rest, kind_k_p", [
    (1 + 256 * 10, (0, 1.5, 2.0)),      # flags only with p = 1
    (1 + 256 * 10, (0, 5.0, 1.0)),      # and k <= 4
    (3 + 256 * 10, (0, 1.5, 1.0)),      # a series flag power_law never gives
    (1 + 256 * 17, (0, 1.5, 1.0)),      # a shift out of range
    (1 + 256 * 10 + 65536, (0, 1.5, 1.0)),
])
def test_bad_rest_flags_are_refused(rest, kind_k_p):
    kind, k, p = kind_k_p
    seg = plan.cosine_shape(0.0, 1.0, 1e6, k=k, p=p)
    names = plan.FAMILIES[plan.F.SHAPE].ints
    ints = list(seg.ints)
    assert ints[names.index("series")] == 2
    ints[names.index("rest")] = rest
    with pytest.raises(ValueError, match="power-law flags"):
        plan.compile_plan([seg._replace(ints=tuple(ints), table=plan._binomial_series(k)[:10])])


def test_bad_series_parameters_are_refused():
    seg = plan.cosine_shape(0.0, 1.0, 100.0, k=1.5)
    for ints, what in (((2, 0, 13, 10), "kind 2 takes series for k = 1 and p > 0, p != 1 only"),
                       ((0, 0, 7, 10), "series 1, 2 or 13..16"),
                       ((0, 0, 13, 40), "shift 10..16")):
        with pytest.raises(ValueError, match=what):
            plan.compile_plan([seg._replace(ints=ints)])
    with pytest.raises(ValueError, match="tables needed"):
        plan.compile_plan([seg._replace(table=np.zeros(3))])


@pytest.mark.parametrize("name", sorted(CASES))
def test_exact_to_the_contract(name):
    s = CASES[name]
    p = s.params
    T = int(p.get("total_steps") or 10**5)
    for start in (0, 4096, T // 2 - 150, T - 300, (32 << 13) - 100):
        if 0 <= start < T:
            assert_exact(s, start, 300, rel=TIGHT)


@settings(max_examples=25, deadline=None)
@given(k=st.floats(0.05, 40.0), T=st.integers(2, 2**50), hi=st.floats(1e-6, 10.0),
       lo=st.floats(0.0, 1.0), frac=st.floats(0.0, 1.0))
def test_random_k_decay_cosines_against_mpmath(k, T, hi, lo, frac):
    """cos²(π x / 2) with x = (t / T)**k, over random powers, horizons and rates (warmups too:
    lo > hi), at steps spread over the whole horizon."""
    s = fastlr.CosineAnnealing(hi, T, lo * hi * 3, k_decay=k)
    steps = sorted({0, 1, T - 1, int(frac * (T - 1)), T // 2, max(T - 2**20, 0)})
    got = s(np.array(steps, dtype=np.int64))
    peak = max(hi, lo * hi * 3)
    with mpmath.workdps(40):
        for t, g in zip(steps, got.tolist()):
            x = (mpmath.mpf(t) / T) ** mpmath.mpf(k)
            v = mpmath.mpf(lo * hi * 3) + (mpmath.mpf(hi) - mpmath.mpf(lo * hi * 3)) \
                * mpmath.cos(mpmath.pi * x / 2) ** 2
            assert abs(g - v) <= TIGHT * peak, (t, g, float(v))


@pytest.mark.parametrize("name", ["cos_k1.5", "poly_k0.7", "restarts_k1.3", "poly_restarts_k0.6"])
def test_windows_scalars_gathers_float32_threads_agree(name):
    s = CASES[name]
    T = int(s.params.get("total_steps") or 20000)
    start = max(min(T // 2, (32 << 13) + 1000) - 5000, 0)
    assert_paths_agree(s, start, 10000, ((start + 1, 3001), (start + 2047, 64),
                                         (start + 37, 9000), (start + 4095, 2050)), 97,
                       threads=(2, 3, 4))


def test_steps_at_and_past_the_end_are_the_floor():
    """A SHAPE segment running past u = end gives low exactly (y = 0), in float64 and float32,
    whatever the window; the last steps before it stay accurate."""
    for kind_seg in (plan.cosine_shape, plan.poly_shape):
        P = plan.compile_plan([kind_seg(0.25, 1.5, 1000.5, phase=0.25, k=1.7)])
        out = np.empty(3000)
        P.fill(out, 0)
        # u = tau + 0.25: tau = 1000 is u = 1000.25 < end, tau = 1001 the first u >= end
        assert (out[1001:] == 0.25).all() and (out[:1001] > 0.25).all()
        out32 = np.empty(3000, dtype=np.float32)
        P.fill(out32, 0)
        assert out32.tobytes() == out.astype(np.float32).tobytes()
        for a in (998, 1001, 1500):
            part = np.empty(7)
            P.fill(part, a)
            assert part.tobytes() == out[a:a + 7].tobytes()


def test_the_2_53_handover():
    """Windows reaching past u = 2**53 leave the vectorised path for the per-step loop; values on
    both sides stay exact, and a window crossing the limit equals its parts."""
    s = fastlr.Polynomial(1.0, 0.0, 2**60, power=1.0, k_decay=1.5)
    start = 2**53 - 300
    assert_exact(s, start, 600, rel=TIGHT)
    whole = s.array(600, start)
    assert s.array(300, start).tobytes() == whole[:300].tobytes()
    assert s.array(300, 2**53).tobytes() == whole[300:].tobytes()
    c = fastlr.CosineAnnealing(1.0, 2**60, k_decay=0.5 + 2**-20)
    assert_exact(c, start, 600, rel=TIGHT)


def test_float32_is_float64_rounded_once_across_the_range():
    s = CASES["cos_k0.25_warmup"]
    for start in (0, 10**6, 1413246499 - 5000):
        a = s.array(5000, start)
        assert s.array(5000, start, dtype=np.float32).tobytes() == a.astype(np.float32).tobytes()


def test_step_zero_and_the_peak():
    """u = 0: x = 0 and cos(0) = 1 exactly, so the first value is low + amp (the peak)."""
    for k in (0.3, 1.5, 7.0):
        s = fastlr.CosineAnnealing(0.1, 10**6, 1e-4, k_decay=k)
        assert s(0) == 1e-4 + (0.1 - 1e-4)
        p = fastlr.Polynomial(0.1, 1e-4, 10**6, power=1.0, k_decay=k)
        assert p(0) == 1e-4 + (0.1 - 1e-4)
    assert math.isfinite(fastlr.CosineAnnealing(1e300, 10**6, k_decay=1.5)(10**5))
