"""CyclicPolynomial (keras ``PolynomialDecay(cycle=True)``), the CYCPOLY kernel family, at its
edges: step 0, every cycle end k·D and its neighbours, cycles whose horizon k·D passes 2**63
(it is never formed as an integer), the last step 2**63 - 1, D = 1, and the kernel's power
paths (integer powers by products, 0.5 by sqrt, pow, huge powers through log1p in cycle 1).

Expected values: hand-derived rationals (Fractions) and the exact oracle of tests/exact.py
(mpmath at 40 digits on the exact integers of the formula); fastlr is compared with itself only
for the bit-for-bit consistency of paths and windows.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import fastlr

try:
    import exact
except ImportError:  # tests/ turned into a package
    from tests import exact

LAST = 2**63 - 1
POWERS = [0.5, 1.0, 2.0, 3.0, 3.7, 16.0, 17.0, 0.0, 1e-3, 5000.0]
# short periods (<= 32) are counted step by step in the kernel, longer ones cycle by cycle
PERIODS = [1, 2, 3, 7, 32, 33, 1000, 4096, 2**40 + 1, 2**53 + 3, 2**62, 2**62 + 1, LAST - 1, LAST]
RATES = [(1.0, 0.0), (0.1, 1e-4), (1e-3, 0.5)]   # end > init too: a cyclic rise


def edge_steps(D: int) -> list:
    """0, 1, 2, every cycle end k D and k D +- 1, 2 for the first cycles and far ones, 2**62 and
    its neighbours, the last steps."""
    out = {0, 1, 2, 2**62 - 1, 2**62, 2**62 + 1, LAST - 2, LAST - 1, LAST}
    for k in (1, 2, 3, 4, 10, 1000, 2**20, 2**40):
        for d in (-2, -1, 0, 1, 2):
            if 0 <= k * D + d <= LAST:
                out.add(k * D + d)
    # the last cycle below 2**63, whose end k D may pass it
    k_last = -(-LAST // D)
    for d in (-2, -1, 0, 1):
        t = (k_last - 1) * D + d
        if 0 <= t <= LAST:
            out.add(t)
    return sorted(out)


def by_hand(init: float, end: float, D: int, power: float, t: int) -> Fraction | None:
    """The exact value where x**power is rational (integer powers), else None."""
    k = max(1, -(-t // D))
    x = Fraction(k * D - t, k * D)
    if not float(power).is_integer():
        return None
    return (Fraction(init) - Fraction(end)) * x ** int(power) + Fraction(end)


@pytest.mark.parametrize("D", PERIODS)
@pytest.mark.parametrize("power", POWERS)
def test_edges_against_the_exact_oracle(D, power):
    for init, end in RATES:
        s = fastlr.CyclicPolynomial(init, end, D, power)
        steps = edge_steps(D)
        got = s(np.array(steps, dtype=np.int64))
        f = exact.oracle(s)
        peak = max(init, end)
        for t, v in zip(steps, got):
            want = float(f(t))
            assert abs(v - want) <= 1e-13 * peak, (init, end, D, power, t, v, want)
            h = by_hand(init, end, D, power, t)
            if h is not None:   # the oracle itself, against exact rationals
                assert abs(Fraction(want) - h) <= Fraction(1, 10**30) * peak + abs(h) / 2**52
        # scalar calls: the same bits as the gather
        assert [s(t) for t in steps] == got.tolist()


@pytest.mark.parametrize("D", PERIODS)
@pytest.mark.parametrize("power", [0.5, 1.0, 2.0, 3.0, 3.7, 0.0])
def test_every_cycle_end_is_end_lr_exactly_and_step_0_is_init_lr(D, power):
    for init, end in RATES:
        s = fastlr.CyclicPolynomial(init, end, D, power)
        ends = [k * D for k in (1, 2, 3, 2**20) if k * D <= LAST]
        got = s(np.array(ends, dtype=np.int64)).tolist()
        if power == 0:   # 0**0 = 1: power 0 is end + (init - end) everywhere (as keras)
            assert got == pytest.approx([init] * len(ends), rel=1e-15, abs=0)
        else:
            assert got == [end] * len(ends)
        assert s(0) == pytest.approx(init, rel=1e-15, abs=0)


def test_hand_values():
    s = fastlr.CyclicPolynomial(1.0, 0.0, 10, 1.0)
    # cycle 1: (10 - t)/10; cycle 2 (11..20): (20 - t)/20; cycle 3 (21..30): (30 - t)/30
    assert s(np.arange(0, 31)).tolist() == pytest.approx(
        [(10 - t) / 10 for t in range(11)] + [(20 - t) / 20 for t in range(11, 21)]
        + [(30 - t) / 30 for t in range(21, 31)], rel=1e-15, abs=0)
    assert s(15) == 0.25 and s(10) == 0.0 and s(20) == 0.0 and s(11) == 0.45
    q = fastlr.CyclicPolynomial(2.0, 1.0, 4, 2.0)
    # t = 5: k = 2, x = 3/8: 1 + 9/64
    assert q(5) == 1.0 + 9 / 64
    # D = 1: init at 0, end from 1 on (every step ends its one-step cycle)
    one = fastlr.CyclicPolynomial(0.3, 0.01, 1, 3.7)
    assert one(np.array([0, 1, 2, 2**62, LAST])).tolist() == [0.3, 0.01, 0.01, 0.01, 0.01]


def test_horizons_past_2_63():
    # D = 2**62 + 1: the second cycle (D, 2D] ends at 2**63 + 2 > 2**63 - 1, never reached
    D = 2**62 + 1
    s = fastlr.CyclicPolynomial(1.0, 0.0, D, 1.0)
    # t = 2**63 - 1 in cycle 2: x = (2D - t) / 2D = 3 / (2**63 + 2)
    assert s(LAST) == pytest.approx(3 / (2.0**63 + 2), rel=1e-15)
    # D = 2**63 - 1: one cycle covers every step, x = (D - t) / D
    s = fastlr.CyclicPolynomial(1.0, 0.0, LAST, 0.5)
    assert s(LAST) == 0.0 and s(0) == 1.0
    assert s(LAST - 4) == pytest.approx((4 / 2.0**63) ** 0.5, rel=1e-15)
    # huge power next to t = 0 of a cycle of 2**63 - 1 steps: 1 - 5000 t / 2**63, not pow's
    # rounding of x magnified 5000 times
    h = fastlr.CyclicPolynomial(1.0, 0.0, LAST, 5000.0)
    f = exact.oracle(h)
    for t in (1, 997, 4985, 10**6, 10**12):
        assert abs(h(t) - float(f(t))) <= 1e-15, t


@pytest.mark.parametrize("D", [1, 2, 3, 7, 32, 33, 64, 1000, 4097])
@pytest.mark.parametrize("power", [0.5, 1.0, 2.0, 3.0, 3.7, 16.0])
@pytest.mark.parametrize("base", [0, 2**31 - 5000, 2**62 - 3, LAST - 20000])
def test_windows_split_gather_and_float32_agree(D, power, base):
    """Long windows crossing many cycle ends (and for D small, thousands of cycles): any split,
    the gather and the scalar calls give the same bits; float32 is float64 rounded once."""
    s = fastlr.CyclicPolynomial(0.1, 1e-4, D, power)
    n = 20001 if base + 20001 <= LAST + 1 else LAST + 1 - base
    full = s.array(n, base)
    parts, pos = [], 0
    for size in (1, 2, D - 1 if D > 1 else 1, D, D + 1, 255, 256, 257, 4095):
        if pos + size > n:
            break
        parts.append(s.array(size, base + pos))
        pos += size
    parts.append(s.array(n - pos, base + pos))
    assert np.concatenate(parts).view(np.uint64).tolist() == full.view(np.uint64).tolist()
    idx = np.random.default_rng(D).integers(0, n, 300)
    assert s(base + idx).view(np.uint64).tolist() == full[idx].view(np.uint64).tolist()
    assert [s(int(base + i)) for i in idx[:30]] == full[idx[:30]].tolist()
    assert np.array_equal(s.array(n, base, np.float32), full.astype(np.float32))
    # accuracy over the window, spot checks at the oracle
    f = exact.oracle(s)
    for i in list(range(0, n, 2003)) + [n - 1]:
        assert abs(full[i] - float(f(base + i))) <= 1e-13 * 0.1


def test_power_kinds_and_parameters():
    from fastlr import plan
    assert plan.cyclic_poly(0.0, 1.0, 10, 3.0).params == dict(
        low=0.0, amp=1.0, power=3.0, period=10, kind=1, n=3, series=0, shift=10)
    half = plan.cyclic_poly(0.0, 1.0, 10, 0.5).params
    assert (half["kind"], half["series"], half["shift"]) == (2, *plan._series_flags(0.5))
    # other powers: the power-law kernel's series per cycle where it serves the power
    gen = plan.cyclic_poly(0.0, 1.0, 10, 3.7).params
    assert (gen["kind"], gen["series"], gen["shift"]) == (0, 14, 10)
    assert plan.cyclic_poly(0.0, 1.0, 10, 16.5).params["kind"] == 0
    assert plan.cyclic_poly(0.0, 1.0, 10, 17.0).params["shift"] == 12
    assert plan.cyclic_poly(0.0, 1.0, 10, 5000.5).params["series"] == 0   # pow per step


def test_scaling_shift_join_and_round_trip():
    s = fastlr.CyclicPolynomial(0.1, 1e-4, 7, 2.0)
    t = np.arange(0, 200)
    f = exact.oracle(s)
    np.testing.assert_allclose((3.0 * s)(t), [3 * float(f(x)) for x in t], rtol=0, atol=3e-14)
    np.testing.assert_array_equal(fastlr.Shifted(s, 100)(t), s(t + 100))
    w = fastlr.with_warmup(s, 10)
    np.testing.assert_array_equal(w(t[10:]), s(t[:-10]))
    assert fastlr.from_dict(s.to_dict()) == s
    assert fastlr.lookup("cyclic_polynomial") is fastlr.CyclicPolynomial
    assert fastlr.lookup("cyclic-poly") is fastlr.CyclicPolynomial


@pytest.mark.parametrize("D", [100003, 2**21 + 1, 3 * 10**6 + 7])
@pytest.mark.parametrize("power", [0.9, 3.7, 17.0])
def test_general_powers_run_the_series_per_cycle(D, power):
    """A general power over cycles of more than 32 steps is the power-law kernel's anchored series
    on each cycle (anchor D, scale k D; the log1p form near x = 1 in cycle 1): within 5e-16 of
    the peak of the exact value at the series' regime edges of cycles 1, 2, 3 and far ones, and
    the same bits for any window, gather, scalar call, float32 and thread count."""
    s = fastlr.CyclicPolynomial(0.1, 1e-4, D, power)
    assert s.segments()[0].ints[3] != 0                     # the series flag
    f = exact.oracle(s)
    steps = set()
    for k in (1, 2, 3, 1000, 2**30 // D):
        end = k * D
        for u in (0, 1, 7, 8, 511, 512, 513, 4095, 4096, 4097, 65535, 65536, 2**18, 2**20,
                  D // 2, D // 2 + 1, D - 1):
            if u < D:
                steps.update({end - u, end - u - 1})
    steps = np.array(sorted(steps), dtype=np.int64)
    got = s(steps)
    want = np.array([float(f(int(t))) for t in steps])
    err = np.abs(got - want).max() / 0.1
    assert err <= 5e-16, (D, power, err)
    for base in (D - 3000, 2 * D - 70000, 1000 * D - 5000):
        ref = s.array(9000, base, threads=1)
        for a, n in ((base + 1, 4000), (base + 4095, 65), (base + 2999, 3)):
            assert s.array(n, a).tobytes() == ref[a - base:a - base + n].tobytes()
        idx = np.arange(base, base + 9000, 101, dtype=np.int64)
        assert s(idx).tobytes() == ref[::101].tobytes()
        assert [s(int(t)) for t in idx[:10]] == ref[::101][:10].tolist()
        assert s.array(9000, base, np.float32).tobytes() == ref.astype(np.float32).tobytes()
        for threads in (2, 3):
            assert s.array(9000, base, threads=threads).tobytes() == ref.tobytes()


@pytest.mark.parametrize("power", [0.5, 3.7])
def test_series_cycles_threads_agree_and_stay_exact(power):
    """Power 0.5 (sqrt on the anchors) and a general power run each long cycle on the power-law
    series: threads 1-4 give the serial bytes; the cycle ends (where the series hands over to
    the direct formula) and the four-term tier stay within 1e-15 of the peak."""
    s = fastlr.CyclicPolynomial(0.1, 1e-5, 10**6, power)
    start = 3 * 10**6 - 40000
    ref = s.array(80000, start, threads=1)
    for threads in (2, 3, 4):
        assert s.array(80000, start, threads=threads).tobytes() == ref.tobytes()
    assert s.array(80000, start, np.float32).tobytes() == ref.astype(np.float32).tobytes()
    for a in (0, 10**6 - 300, 10**6 + 1, 3 * 10**6 - 5000, 2 * 10**6 + 262144 - 150):
        exact.assert_exact(s, a, 300, rel=1e-15)
