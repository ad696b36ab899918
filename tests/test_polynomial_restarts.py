"""PolynomialRestarts: polynomial decay over the real cycles of CosineRestarts.

The catalogue suites (test_catalogue, test_accuracy, test_consistency, test_fuzz) draw it from
tests/exact.py like every family; these tests pin what is particular to it: the shared cycle
layout, the exactness of the distance to a cycle's real end (which a power < 1 magnifies), and
the SHAPE kernel's kind 2 that carries it.
"""
import math
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import fastlr
from fastlr import plan

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exact  # noqa: E402
from exact import assert_exact  # noqa: E402
from helpers import assert_paths_agree  # noqa: E402


def _last_steps(s, count=60):
    """The last integer step of each of the first `count` cycles (where d = S_{i+1} - t is
    smallest), as exact Fractions of the cycle starts say."""
    p = s.params
    starts, lengths = exact.real_cycle_starts(p["cycle_steps"], p["cycle_mult"], p["max_cycles"])
    return [math.ceil(a + b) - 1 for a, b in zip(starts[:count], lengths[:count])
            if math.ceil(a) <= math.ceil(a + b) - 1 <= exact.LAST_STEP]


@pytest.mark.parametrize("s", [
    fastlr.PolynomialRestarts(0.1, 7.3, 2.5, 1e-3, power=0.5),
    fastlr.PolynomialRestarts(1.0, 10.0, 1.5, power=0.5, k_decay=2.0),
    fastlr.PolynomialRestarts(0.1, 2.0**40 + 0.3, 1.1, power=0.5, k_decay=0.5),
    fastlr.PolynomialRestarts(0.1, 1000.5, 1.1, 0.0, 1.3, max_cycles=30, power=0.1, k_decay=0.5),
    fastlr.PolynomialRestarts(0.1, 3.0, 1.0, 1e-4, 0.9, max_cycles=30, power=2.0, k_decay=0.5),
    fastlr.PolynomialRestarts(5e-4, 1.0, 1.1, 0.0, 1.0, power=0.9, k_decay=2.0),
    fastlr.PolynomialRestarts(0.1, 0.75, 3.0, 1e-6, 0.5, power=0.05),
], ids=repr)
def test_exact_at_the_ends_of_cycles(s):
    """The last step of a cycle is within a fraction of a step (down to 2**-i) of its real end:
    y = d / L_i is tiny there and y**power (power < 1) amplifies an absolute error of d ~ulp(L_i)
    into ~1e-8 of the peak (what a phase-only SHAPE segment gave). Kind 2 keeps d exact to an ulp:
    within the 1e-13 contract at every cycle end, and far out."""
    for t in _last_steps(s):
        assert_exact(s, max(t - 2, 0), 4)
    for start in (2**31, 2**53, 2**62, 2**63 - 8):
        assert_exact(s, start, 8)


def test_shares_the_layout_of_cosine_restarts():
    for args in [(0.1, 1000.5, 1.5, 1e-4, 0.9, 40), (0.1, 7.3, 2.5, 0.0, 1.0, None),
                 (0.1, 3.0, 1.0, 0.0, 1.0, 17)]:
        c = fastlr.CosineRestarts(*args)
        p = fastlr.PolynomialRestarts(*args, power=0.5)
        assert p.cycle_starts() == c.cycle_starts()
        assert p.horizon == c.horizon
        # the restarts: the peak of cycle i at the first step of each cycle that starts on a
        # whole step
        for i, S in enumerate(c.cycle_starts()[:20]):
            if float(S).is_integer() and S < 2**53:
                assert p(int(S)) == c(int(S)) == args[0] * args[4] ** i


def test_power_one_is_linear_and_power_zero_is_flat():
    lin = fastlr.PolynomialRestarts(1.0, 10.0, 1.5, max_cycles=5)
    t = np.arange(0, 60)
    starts, lengths = exact.real_cycle_starts(10.0, 1.5, 5)
    for step in t.tolist():
        i = max(k for k, a in enumerate(starts) if a <= step)
        if step >= starts[-1] + lengths[-1]:
            want = 0.0
        else:
            want = float(1 - (Fraction(step) - starts[i]) / lengths[i])
        assert abs(lin(step) - want) <= 1e-15
    flat = fastlr.PolynomialRestarts(0.1, 10.0, 1.5, 1e-3, 0.5, max_cycles=3, power=0.0)
    # power 0: the peak of each cycle throughout it (no 0**0 at its end: d > 0 on every step)
    assert flat(0) == flat(9) == 0.1 and flat(10) == flat(24) == 0.05 and flat(25) == 0.025
    assert flat(10**6) == 1e-3


def test_matches_cycle_by_cycle_polynomials_on_whole_cycles():
    """With whole cycle starts (cycle_steps 8, mult 2) each cycle is a Polynomial of its own."""
    s = fastlr.PolynomialRestarts(0.1, 8.0, 2.0, 1e-4, 0.8, max_cycles=6, power=0.5, k_decay=1.5)
    start, L = 0, 8
    for i in range(6):
        piece = fastlr.Polynomial(0.1 * 0.8**i, 1e-4, L, 0.5, 1.5)
        np.testing.assert_allclose(s.array(L, start), piece.array(L), rtol=0, atol=1e-16)
        start, L = start + L, 2 * L
    assert (s.array(100, start) == 1e-4).all()


def test_refusals():
    with pytest.raises(ValueError, match="cycle_mult=1.0.*max_cycles"):
        fastlr.PolynomialRestarts(0.1, 10)             # no periodic polynomial segment
    with pytest.raises(ValueError, match="cycle_decay=1.5"):
        fastlr.PolynomialRestarts(0.1, 10, 1.5, cycle_decay=1.5)
    with pytest.raises(ValueError, match="power"):
        fastlr.PolynomialRestarts(0.1, 10, 1.5, power=-1.0)
    assert fastlr.base.lookup("poly_restarts") is fastlr.PolynomialRestarts
    assert fastlr.base.lookup("polynomial_restarts") is fastlr.PolynomialRestarts


def test_shape_kind_2_segment():
    """poly_shape_to_end: d = (rest - tau) + frac; low from d <= 0 on, low + amp from d >= end."""
    seg = plan.poly_shape_to_end(1.0, 2.0, 10.0, rest=4, frac=0.5, p=0.5, length=None)
    P = plan.compile_plan([seg])
    # tau = 0: d = 4.5 -> 1 + 2 sqrt(0.45); tau = 4: d = 0.5; tau = 5: d = -0.5 -> 1.0
    assert P.value(0) == 1.0 + 2.0 * math.sqrt(0.45)
    assert P.value(4) == 1.0 + 2.0 * math.sqrt(0.05)
    assert P.value(5) == P.value(10**12) == 1.0
    wide = plan.compile_plan([plan.poly_shape_to_end(1.0, 2.0, 10.0, rest=40, frac=0.0, k=2.0)])
    assert wide.value(0) == 3.0                        # d >= end: y = 1
    bad = plan.poly_shape_to_end(1.0, 2.0, 10.0, rest=4, frac=0.5)._replace(ints=(2, -1, 0, 10))
    with pytest.raises(ValueError, match="rest"):
        plan.compile_plan([bad])


@pytest.mark.parametrize("power", [0.5, 1.0, 0.9])
def test_timm_default_path_is_window_independent(power):
    """k_decay 1 with power 0.5 or 1 (timm's PolyLRScheduler defaults) runs a vectorised loop while
    every distance of the window is below 2**53 in magnitude, the per-step loop otherwise: the
    two give the same bits, so a window's values never depend on where it starts or how long it
    is. Cycles of ~3e16 steps put 2**53 inside the first cycle."""
    s = fastlr.PolynomialRestarts(0.1, 3.1e16 + 0.0, 1.5, 1e-4, 0.9, max_cycles=3, power=power)
    cross = int(3.1e16) - 2**53          # d = 2**53 here
    for start in (cross - 300, 0, int(3.1e16) - 200):
        ref = np.array([s(t) for t in range(start, start + 600)])
        assert s.array(600, start).tobytes() == ref.tobytes()
        for a, n in ((start + 1, 37), (start + 299, 2), (start + 250, 350)):
            assert s.array(n, a).tobytes() == ref[a - start:a - start + n].tobytes()
    small = fastlr.PolynomialRestarts(0.1, 1000.5, 1.5, 1e-4, 0.9, max_cycles=40, power=power)
    for start in (0, 990, 2490, 10**6):
        assert_exact(small, start, 700)


@pytest.mark.parametrize("power", [0.5, 0.9, 3.7])
def test_timm_poly_runs_and_their_edges(power):
    """k_decay 1 with a power p != 1 (timm's default 0.5; 0.9 of segmentation recipes):
    (d / end)**p in four runs decided by the step — d >= 2**52 the per-step formula, d >= end the
    peak, 0 < d < end the power-law kernel counting down (sqrt per step and the four-term series
    where d >= 2**18 for p = 0.5, the anchored series for other p), d <= 0 low. Windows,
    gathers, float32 and threads 1-4 give the same bits; every run stays within 1e-15 of the
    peak."""
    s = fastlr.PolynomialRestarts(0.1, 10**7 / 15 + 0.5, 2.0, 1e-5, 0.9, power=power)
    assert {seg.ints[2] for seg in s.segments() if seg.family == plan.Family.SHAPE} \
        == {plan._series_flags(power)[0]} != {0}
    for start in (0, 666667 - 3000, 666667 + 2**18 - 100, 2 * 10**6 + 5):
        assert_paths_agree(s, start, 8000, ((start + 1, 3001), (start + 4095, 70),
                                            (start + 37, 7000)), 89, threads=(2, 3, 4))
        assert_exact(s, start, 600, rel=1e-15)
        assert_exact(s, start + 7400, 600, rel=1e-15)
    # cycle starts on whole steps: the peak exactly (d = end)
    w = fastlr.PolynomialRestarts(0.1, 2.0**20, 1.0, 1e-5, 0.9, power=power, max_cycles=4)
    assert w(np.arange(4) * 2**20).tolist() == [1e-5 + (0.1 * 0.9**i - 1e-5) for i in range(4)]
    # a cycle of ~2**53 steps: d crosses 2**52 inside it (per-step formula, then the kernel)
    h = fastlr.PolynomialRestarts(1.0, 2.0**53 + 0.5, 1.0, 0.0, power=power, max_cycles=2)
    cross = 2**53 - 2**52        # d = 2**52 + 0.5 here
    ref = np.array([h(t) for t in range(cross - 300, cross + 300)])
    assert h.array(600, cross - 300).tobytes() == ref.tobytes()
    assert h.array(301, cross - 1).tobytes() == ref[299:].tobytes()
    assert_exact(h, cross - 300, 600, rel=1e-15)
    # a hand-built kind 2 segment: d >= end for its first steps, d <= 0 after rest
    seg = plan.poly_shape_to_end(1.0, 2.0, 10.0, rest=40, frac=0.25, p=power)
    P = plan.compile_plan([seg])
    out = np.empty(60)
    P.fill(out, 0)
    d = 40 - np.arange(60) + 0.25
    want = 1.0 + 2.0 * (np.clip(d, 0, 10.0) / 10.0) ** power
    want[d >= 10.0] = 3.0
    np.testing.assert_array_equal(out[d >= 10.0], 3.0)
    np.testing.assert_array_equal(out[d <= 0], 1.0)
    np.testing.assert_allclose(out, want, rtol=power * 4e-16, atol=0)


def test_powers_without_a_series_keep_the_per_step_loop():
    """k_decay 1 with powers 1 and 2 (cheaper forms), 0 (flat) and past the series' reach carry
    no series flag on their kind 2 rows (the per-step loop or the linear path), and stay exact."""
    for power in (1.0, 2.0, 0.0, 300.0):
        s = fastlr.PolynomialRestarts(0.1, 1000.5, 1.5, 1e-4, 0.9, max_cycles=20, power=power)
        assert {seg.ints[2] for seg in s.segments() if seg.family == plan.Family.SHAPE} == {0}
        for start in (0, 990, 2490):
            assert_exact(s, start, 300, rel=1e-15 * max(power, 1.0))
