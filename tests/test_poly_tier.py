"""The power-law kernel's four-term tier (general powers, the inverse square root and whole-number
InversePower timescales, far from 0: u >= 32 * 2**S): anchors every G steps, sub-anchors every
H = u / 2**S steps from them by the six-term series, a cubic in the step within a sub-run. Checked
against mpmath within 1e-13 of the peak (and reported far tighter) across the tier's edges, and bit
for bit across windows, scalars, gathers, float32 and threads."""
from __future__ import annotations

import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

import fastlr
from fastlr import plan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exact import assert_exact, exact_window  # noqa: E402
from helpers import assert_paths_agree  # noqa: E402

mpmath.mp.dps = 40

T = 3 * 10**7
CASES = {
    "poly0.9": (fastlr.Polynomial(0.1, 0.0, T, 0.9),
                lambda t: 0.1 * (1 - mpmath.mpf(min(t, T)) / T) ** mpmath.mpf(0.9)),
    "poly3.7": (fastlr.Polynomial(0.1, 1e-3, T, 3.7),
                lambda t: 1e-3 + (0.1 - 1e-3) * (1 - mpmath.mpf(min(t, T)) / T) ** mpmath.mpf(3.7)),
    # power 0.5: sqrt on the anchors (kind 3), the series between them
    "poly0.5": (fastlr.Polynomial(0.1, 1e-4, T, 0.5),
                lambda t: 1e-4 + (0.1 - 1e-4) * mpmath.sqrt(1 - mpmath.mpf(min(t, T)) / T)),
    "poly0.5_huge": (fastlr.Polynomial(1.0, 0.0, 2**61 + 7, 0.5),
                     lambda t: mpmath.sqrt(1 - mpmath.mpf(t) / (2**61 + 7))),
    "poly_huge": (fastlr.Polynomial(1.0, 0.0, 2**62 + 12345, 0.3),
                  lambda t: (1 - mpmath.mpf(t) / (2**62 + 12345)) ** mpmath.mpf(0.3)),
    "inverse_sqrt": (fastlr.InverseSqrt(0.1, 1000),
                     lambda t: 0.1 * mpmath.sqrt(mpmath.mpf(1000) / max(t, 1000))),
    "inverse_power": (fastlr.InversePower(0.1, 1000, 0.7),
                      lambda t: 0.1 * (1 + mpmath.mpf(t) / 1000) ** mpmath.mpf(-0.7)),
    "inverse_power1.3": (fastlr.InversePower(2.0, 77, 1.3),
                         lambda t: 2.0 * (1 + mpmath.mpf(t) / 77) ** mpmath.mpf(-1.3)),
    # a real timescale: u = (t + floor(tau)) + frac, one rounding at each anchor
    "inverse_power_real": (fastlr.InversePower(0.1, 1000.5, 0.7),
                           lambda t: 0.1 * (1 + mpmath.mpf(t) / mpmath.mpf(1000.5))
                           ** mpmath.mpf(-0.7)),
    "inverse_power_frac_sqrt": (fastlr.InversePower(0.3, 0.37, 0.5),
                                lambda t: 0.3 * (1 + mpmath.mpf(t) / mpmath.mpf(0.37))
                                ** mpmath.mpf(-0.5)),
    "inverse_power_odd": (fastlr.InversePower(1.0, 12345.678901, 1.6),
                          lambda t: (1 + mpmath.mpf(t) / mpmath.mpf(12345.678901))
                          ** mpmath.mpf(-1.6)),
}


def _tier(s):
    return [seg.ints[3] for seg in s.segments() if seg.family == plan.Family.POLY]


def _steps(s, rng):
    """Steps at the tier's edges: where u crosses 32 * 2**S, G-anchors, sub-anchors, blocks,
    and random ones."""
    S = _tier(s)[0]
    p = s.params
    horizon = p.get("total_steps")
    pts = []
    for u in (32 << S, (32 << S) + 1, 2**22, 2**24, 10**7):
        t = horizon - u if horizon else u
        pts += [t + d for d in (-70, -33, -1, 0, 1, 31, 32, 63, 64, 4095, 4096)]
    top = horizon if horizon else 2**62
    pts += rng.integers(0, top, 2000).tolist()
    if horizon:
        pts += (horizon - rng.integers(1, 2**20, 500)).tolist()
    return sorted({t for t in pts if 0 <= t < 2**63})


def test_the_tier_is_chosen():
    assert _tier(CASES["poly0.9"][0]) == [13]
    assert all(13 <= S <= 16 for name in CASES for S in _tier(CASES[name][0])), \
        {name: _tier(CASES[name][0]) for name in CASES}
    # a power whose four-term tail is too large for any S keeps six/ten terms only
    assert _tier(fastlr.Polynomial(1.0, 0.0, 10**6, 40.0)) in ([1], [0])


@pytest.mark.parametrize("name", sorted(CASES))
def test_tier_is_exact_to_the_contract(name):
    s, exact = CASES[name]
    rng = np.random.default_rng(7)
    steps = np.array(_steps(s, rng), dtype=np.int64)
    got = s(steps)
    want = np.array([float(exact(int(t))) for t in steps])
    peak = float(max(abs(want).max(), s(0)))
    err = np.abs(got - want).max() / peak
    assert err <= 1e-13, (name, err)
    assert err <= 2e-15, (name, err)     # what the tier actually keeps (1e-16 .. 4e-16 measured)


@pytest.mark.parametrize("name", sorted(CASES))
def test_tier_windows_scalars_gathers_threads_agree(name):
    s, _ = CASES[name]
    horizon = s.params.get("total_steps")
    S = _tier(s)[0]
    for u in (32 << S, 2**22 + 5):
        start = (horizon - u if horizon else u) - 5000
        assert_paths_agree(s, start, 10000, ((start + 1, 3001), (start + 4095, 64),
                                             (start + 37, 9000)), 97, threads=(2, 3, 4))


def test_real_timescale_runs_on_the_power_law_kernel():
    """A timescale that is not a whole number is the power-law kernel on u = (t + N) + f (N its
    integer part, f its fraction), not a pow per step; the last N steps below 2**63 keep the pow
    form, and the two agree across the switch."""
    for tau, N in ((1000.5, 1000), (0.37, 0), (12345.678901, 12345)):
        segs = fastlr.InversePower(0.1, tau, 0.7).segments()
        poly = segs[0]
        assert poly.family == plan.Family.POLY
        p = dict(zip(plan.FAMILIES[plan.Family.POLY].floats, poly.floats))
        assert p["frac"] == tau - N and poly.offset == N and p["scale"] == tau
        assert len(segs) == (1 if N == 0 else 2)
    s, exact = CASES["inverse_power_real"]
    switch = 2**63 - 1000
    got = s.array(64, switch - 32)
    want = np.array([float(exact(t)) for t in range(switch - 32, switch + 32)])
    assert np.abs(got - want).max() <= 2e-16 * 0.1


def test_real_offset_is_forward_only():
    with pytest.raises(ValueError, match="frac"):
        plan.power_law(0.0, 1.0, 100, 100.0, 0.5, reverse=True, frac=0.5)
    for bad in (-0.25, 1.0, float("nan")):
        with pytest.raises(ValueError, match="frac"):
            plan.power_law(0.0, 1.0, 0, 100.0, -0.5, reverse=False, frac=bad)


# Large powers (|power| >= 2 counting up, >= 7 counting down): the series with a denser grid
# (shift gs > 10: six terms from u = 64 * 2**gs on, ten terms with anchors every 64 / 8 steps from
# u = 64 / 8 * 2**(gs - 4), the direct formula below), not a pow per step.
LARGE = {
    "inverse_power2": (fastlr.InversePower(0.1, 1000, 2.0),
                       lambda t: 0.1 * (1 + mpmath.mpf(t) / 1000) ** -2),
    "inverse_power5_real": (fastlr.InversePower(0.1, 333.25, 5.0),
                            lambda t: 0.1 * (1 + mpmath.mpf(t) / mpmath.mpf(333.25)) ** -5),
    "inverse_power20": (fastlr.InversePower(3.0, 10**5, 20.0),
                        lambda t: 3.0 * (1 + mpmath.mpf(t) / 10**5) ** -20),
    "poly7": (fastlr.Polynomial(0.1, 1e-5, 3 * 10**6, 7.0),
              lambda t: mpmath.mpf(1e-5) + (mpmath.mpf(0.1) - mpmath.mpf(1e-5))
              * (1 - mpmath.mpf(min(t, 3 * 10**6)) / (3 * 10**6)) ** 7),
    "poly20": (fastlr.Polynomial(1.0, 0.0, 2**40 + 7, 20.0),
               lambda t: (1 - mpmath.mpf(t) / (2**40 + 7)) ** 20),
    "poly200": (fastlr.Polynomial(1.0, 0.0, 10**8, 200.0),
                lambda t: (1 - mpmath.mpf(min(t, 10**8)) / 10**8) ** 200),
}


def _shift(s):
    return [seg.ints[4] for seg in s.segments() if seg.family == plan.Family.POLY][0]


def _large_steps(s, rng):
    gs = _shift(s)
    ds = gs - 4
    horizon = s.params.get("total_steps")
    offset = [seg.offset for seg in s.segments() if seg.family == plan.Family.POLY][0]
    pts = []
    for u in (8 << ds, 64 << ds, 64 << gs, 32 << 16):
        t = horizon - u if horizon else u - offset
        pts += [t + d for d in (-65, -9, -8, -1, 0, 1, 7, 8, 63, 64, 4095, 4096)]
    top = horizon if horizon else 2**50
    pts += rng.integers(0, top, 1500).tolist() + list(range(0, 600, 3))
    if horizon:
        pts += (horizon - rng.integers(1, 2**16, 500)).tolist()
    return sorted({t for t in pts if 0 <= t < 2**62})


def test_large_powers_get_a_series():
    assert {name: _shift(s) for name, (s, _) in LARGE.items()} == {
        "inverse_power2": 11, "inverse_power5_real": 11, "inverse_power20": 13, "poly7": 11,
        "poly20": 13, "poly200": 16}
    for name, (s, _) in LARGE.items():
        assert _tier(s)[0] != 0, name          # the series runs (0: a pow per step)
    # the powers of before keep the grid of before (the same bits: tests/data/digests.json)
    assert _shift(fastlr.Polynomial(0.1, 0.0, 10**6, 0.9)) == 10
    assert _shift(fastlr.InversePower(0.1, 100, 1.75)) == 10
    # past what any grid serves: a pow per step, as before
    assert plan._series_shift(5000.0) is None and plan._series_shift(-5000.0) is None


@pytest.mark.parametrize("name", sorted(LARGE))
def test_large_powers_are_exact_to_the_contract(name):
    s, exact = LARGE[name]
    steps = np.array(_large_steps(s, np.random.default_rng(11)), dtype=np.int64)
    got = s(steps)
    want = np.array([float(exact(int(t))) for t in steps])
    peak = float(max(abs(want).max(), s(0)))
    err = np.abs(got - want).max() / peak
    # InversePower's x = 1 + t / tau carries its rounding into the power, as the pow per step of
    # before did: ~power * 1.1e-16 (measured 2.8e-16 .. 3.6e-15; pow per step 3.7e-15 at power 20)
    power = s.params["power"]
    bound = 2e-16 * max(1.0, power) if name.startswith("inverse") else 3e-16
    assert err <= bound, (name, err, bound)


@pytest.mark.parametrize("name", sorted(LARGE))
def test_large_powers_windows_scalars_threads_agree(name):
    s, _ = LARGE[name]
    gs = _shift(s)
    horizon = s.params.get("total_steps")
    for u in (8 << (gs - 4), 64 << (gs - 4), 64 << gs):
        start = max(0, (horizon - u if horizon else u) - 3000)
        assert_paths_agree(s, start, 6000, ((start + 1, 2999), (start + 4095, 65),
                                            (start + 37, 5000)), 89)


@pytest.mark.parametrize("s", [fastlr.Polynomial(0.1, 1e-5, 10**5, 0.9), fastlr.InverseSqrt(0.1, 1000),
                               fastlr.InversePower(0.1, 1000.5, 0.7),
                               fastlr.Polynomial(0.1, 0.0, 10**6, 17.0)], ids=repr)
def test_ten_term_region_grows_its_anchor_spacing(s):
    """Where the smallest u of a 4096-step block is at least 128 * 2**ds, the ten-term series
    takes anchors every umin / 2**ds steps (128 ... 512) instead of 64: windows, gathers, float32
    and threads give the same bits across the region and its edges, exact to 1e-15 of the peak."""
    T = s.params.get("total_steps")
    ds = [seg.ints[4] for seg in s.segments() if seg.family == plan.Family.POLY][0] - 4
    for u in (128 << ds, (128 << ds) + 4096, 256 << ds, 512 << ds, (1024 << ds) - 3000):
        start = max((T - u if T else u - 1000) - 3000, 0)
        assert_paths_agree(s, start, 6000, ((start + 1, 2999), (start + 127, 64),
                                            (start + 511, 4100)), 61)
        assert_exact(s, start, 6000, rel=1e-15)


@pytest.mark.parametrize("s", [fastlr.InverseSqrt(0.1, 1000), fastlr.InverseSqrt(0.1, 10),
                               fastlr.InversePower(0.1, 7.25, 0.5),
                               fastlr.InversePower(0.1, 2500.5, 0.5)], ids=repr)
def test_inverse_sqrt_near_zero_per_step(s):
    """Below u = 64 * 2**ds the 64-step groups of an inverse square root take a + b / sqrt(x) per
    step (vectorised) instead of anchors every 8 steps: each value within 2 ulps of itself and
    1e-15 of the peak (mpmath), the same bits from windows that start and end inside groups, on
    the region's edge, from gathers, float32 and threads."""
    ds = [seg.ints[4] for seg in s.segments() if seg.family == plan.Family.POLY][0] - 4
    n = (64 << ds) + 200
    ref = assert_paths_agree(s, 0, n, ((1, 63), (37, 100), (4095 - 2000, 2100),
                                       ((64 << ds) - 1010, 1100)), 7)
    # the kernel's local step is u's integer part: t for InverseSqrt, t + floor(timescale) for
    # InversePower; its groups below 64 * 2**ds are the per-step ones
    end = (64 << ds) - int(s.params.get("timescale", 0) // 1)
    ex = exact_window(s, 0, end)
    for t in range(end):
        assert abs(ref[t] - ex[t]) <= 2 * np.spacing(float(ex[t])), (t, ref[t], ex[t])
    assert_exact(s, 0, n, rel=1e-15)
