"""TANH on exponential tables (an anchor exp per 4096 steps, two table factors and a division
per step) instead of a libm exp per step: within 1e-13 of the peak of the exact value (mpmath),
also where the anchor factor leaves the normal double range (libm rows) and for steep rates (libm
per step); fills, windows, scalars, gathers and float32 bit-identical."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest

import fastlr
from fastlr._dispatch import kernels

BLOCK = kernels.BLOCK

TANH = {
    "timm": fastlr.TanhDecay(0.1, 10**5, 1e-5),
    "long": fastlr.TanhDecay(0.1, 10**7, 1e-5),
    "wide": fastlr.TanhDecay(0.3, 10**6, 0.0, -400.0, 400.0),   # libm rows at both ends
    "steep": fastlr.TanhDecay(0.3, 1000, 0.01, -300.0, 300.0),  # libm per step
    "huge": fastlr.TanhDecay(1.0, 2**62, 1e-4, -3.0, 3.0),
}


def _tanh_exact(s, t):
    p = s.params
    T = p["total_steps"]
    if t >= T:
        return mpmath.mpf(p["min_lr"])
    a, b = mpmath.mpf(p["lower"]), mpmath.mpf(p["upper"])
    x = a + (b - a) * t / T
    lo, hi = mpmath.mpf(p["min_lr"]), mpmath.mpf(p["max_lr"])
    return lo + (hi - lo) * (1 - mpmath.tanh(x)) / 2


def _tanh_steps(s, rng):
    T = s.params["total_steps"]
    pts = [0, 1, T - 1, T, T // 2, T // 3]
    pts += [k * BLOCK + d for k in (1, 2, T // BLOCK // 2, T // BLOCK - 1) for d in (-1, 0, 1, 63, 64)]
    pts += rng.integers(0, T, 3000).tolist()
    return np.array(sorted({int(x) for x in pts if 0 <= x < 2**63}), dtype=np.int64)


@pytest.mark.parametrize("name", sorted(TANH))
def test_tanh_within_1e_13_of_the_peak(name):
    s = TANH[name]
    steps = _tanh_steps(s, np.random.default_rng(7))
    got = s(steps)
    peak = max(s.params["max_lr"], s.params["min_lr"])
    with mpmath.workdps(40):
        err = max(abs(mpmath.mpf(float(g)) - _tanh_exact(s, int(t))) for t, g in zip(steps, got))
    assert err <= 1e-13 * peak, float(err / peak)


@pytest.mark.parametrize("name", sorted(TANH))
def test_tanh_fill_windows_scalars_gathers_agree(name):
    s = TANH[name]
    T = s.params["total_steps"]
    for start in (0, BLOCK - 100, max(0, T // 2 - BLOCK - 3), max(0, T - 2 * BLOCK)):
        n = 3 * BLOCK + 5
        full = s.array(n, start=start)
        for a, b in ((0, 1), (63, 65), (BLOCK - 5, BLOCK + 70), (100, n)):
            np.testing.assert_array_equal(s.array(b - a, start=start + a).view(np.uint64),
                                          full[a:b].view(np.uint64))
        idx = np.array([0, 1, 64, BLOCK - 1, BLOCK, n - 1])
        np.testing.assert_array_equal(s(start + idx).view(np.uint64), full[idx].view(np.uint64))
        assert s(int(start + idx[3])) == full[idx[3]]
        np.testing.assert_array_equal(s.array(n, start=start, dtype=np.float32),
                                      full.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanh_threads_give_the_serial_bytes(dtype):
    s = fastlr.TanhDecay(0.1, 10**6, 1e-5)
    start, n = 4000 - 17, 5 * 65536 + 123   # several parallel chunks, anchors crossed everywhere
    want = s.fill(np.empty(n, dtype), start, threads=1)
    for k in (2, 3, 4):
        got = s.fill(np.full(n, np.nan, dtype), start, threads=k)
        np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))
