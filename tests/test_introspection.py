"""``horizon``, ``period`` and ``phase_boundaries()`` of every schedule, checked against the
definitions (values constant / periodic from the horizon on) and against hand-derived steps."""
from __future__ import annotations

import numpy as np
import pytest

import fastlr as F
from test_digests import cases

CASES = cases()


@pytest.mark.parametrize("s, horizon, period, marks", [
    (F.CosineAnnealing(0.1, 1000), 1000, None, (1000,)),
    (F.Warmup(0.1, 250), 250, None, (250,)),
    (F.Warmup(0.1, 0), 0, None, ()),
    (F.WarmupStableDecay(0.1, 100, 1000, 2000), 3100, None, (100, 1100, 3100)),
    (F.WarmupStableDecay(0.1, 0, 0, 50), 50, None, (50,)),
    (F.Linear(0.1, 0.0, 77), 77, None, (77,)),
    (F.Polynomial(0.1, 0.0, 500, 2.0), 500, None, (500,)),
    (F.MultiStep(0.1, [30, 60, 90]), 90, None, (30, 60, 90)),
    (F.PiecewiseConstant([5, 50], [1.0, 0.5, 0.25]), 50, None, (5, 50)),
    (F.Constant(0.3), 0, None, ()),
    (F.ExponentialDecay(0.1, 1e-3), None, None, ()),
    (F.ExponentialDecay(0.1, 0.0), 0, None, ()),          # no decay: constant
    (F.InverseSqrt(0.1, 50), None, None, (50,)),
    (F.InverseTime(0.1, 0.5, 100), None, None, ()),
    (F.StepDecay(0.1, 0.5, 7), None, None, (7, 14, 21, 28)),  # each drop, in the window of 30
    (F.StepDecay(0.1, 1.0, 7), 0, None, (7, 14, 21, 28)),     # gamma 1: constant
    (F.Cyclical(0.1, 10), 0, 20, (20, 40, 60, 80)),
    (F.Triangular(0.01, 0.1, 3, 5), 0, 8, (3, 8, 11, 16, 19, 24, 27)),  # starts and peaks
    (F.Triangular(0.01, 0.1, 3, 5, mode="triangular2"), None, None, (3, 8, 11, 16, 19, 24, 27)),
    (F.WarmRestarts(0.1, 10), 0, 10, tuple(range(10, 100, 10))),
    (F.WarmRestarts(0.1, 10, 1, cycle_decay=0.5), None, None, tuple(range(10, 100, 10))),
    (F.WarmRestarts(0.1, 10, 1, max_cycles=2), 20, None, (10, 20)),
    (F.WarmRestarts(0.1, 4, 2), None, None, (4, 12, 28, 60)),  # lengths 4, 8, 16, 32
    (F.OneCycle(0.1, 1000), 999, None, (300, 999)),
    (F.with_warmup(F.CosineAnnealing(0.1, 1000), 100), 1100, None, (100, 1100)),
    (F.join([F.Warmup(0.1, 10), F.CosineAnnealing(0.1, 100), F.Cyclical(0.1, 5)], [10, 60]),
     60, 10, (10, 60, 70, 80, 90)),
    (F.join([F.CosineAnnealing(0.1, 100), F.Constant(0.01)], [40]), 40, None, (40,)),
    (3.0 * F.WarmupStableDecay(0.1, 10, 10, 10), 30, None, (10, 20, 30)),
    # combined rows (product, sum, maximum, offset): the phases of both terms; constant / periodic
    # from where both are, the period the lcm of theirs
    (F.CosineAnnealing(0.1, 1000) + F.Constant(0.01), 1000, None, (1000,)),
    (F.Maximum(F.Cyclical(0.1, 10), F.Constant(0.05)), 0, 20, (20, 40, 60, 80)),
    (F.Linear(0.1, 0.0, 77) * F.Cyclical(0.1, 10), 77, 20, (20, 40, 60, 77, 80)),
    (F.Maximum(F.Cyclical(0.1, 10), F.Triangular(0.01, 0.1, 3, 5)), 0, 40,
     tuple(sorted(set(range(8, 100, 8)) | set(range(3, 100, 8)) | {20, 40, 60, 80}))),
    (F.Shifted(F.CosineAnnealing(0.1, 1000) + F.Linear(0.0, 1.0, 2000), 500), 1500, None,
     (500, 1500)),
    (F.Offset(F.WarmupStableDecay(0.1, 10, 10, 10), -0.01), 30, None, (10, 20, 30)),
    (F.CosineAnnealing(0.1, 50) + F.ExponentialDecay(0.1, 1e-3), None, None, (50,)),
    (F.InversePower(0.1, 2.5, 0.7), None, None, ()),
    (F.InversePower(0.1, 2.5, 0.0), 0, None, ()),
])
def test_known_values(s, horizon, period, marks):
    assert s.horizon == horizon
    assert s.period == period
    n = 30 if isinstance(s, (F.StepDecay, F.Triangular)) else 100
    window = n if s.horizon is None or s.period else max(n, s.horizon + 1)
    assert s.phase_boundaries(window) == marks


def test_window_and_limit():
    s = F.Triangular(0.01, 0.1, 3, 5)
    assert s.phase_boundaries(30, start=2) == (3, 8, 11, 16, 19, 24, 27)
    assert s.phase_boundaries(30, start=3) == (3, 8, 11, 16, 19, 24, 27, 32)
    assert s.phase_boundaries(30, start=4) == (8, 11, 16, 19, 24, 27, 32)
    assert s.phase_boundaries(limit=3) == (3, 8, 11)
    assert s.phase_boundaries(0) == ()
    c = F.Cyclical(0.1, 10)
    assert c.phase_boundaries(None, 2**63 - 50) == tuple(t for t in range(2**63 - 50, 2**63)
                                                         if t % 20 == 0)
    wsd = F.WarmupStableDecay(0.1, 100, 1000, 2000)
    assert wsd.phase_boundaries(1000, 100) == (100,)
    assert wsd.phase_boundaries(start=101) == (1100, 3100)
    with pytest.raises(ValueError, match="start"):
        wsd.phase_boundaries(10, -1)
    with pytest.raises(TypeError, match="n_steps"):
        wsd.phase_boundaries(1.5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_definitions_hold_for_every_case(name):
    """From the horizon on the values are constant (no period) or repeat with the period; the
    value changes only at... and every reported boundary is a step of the window."""
    s = CASES[name]
    h, p = s.horizon, s.period
    if h is not None:
        for w in (h, h + 12345, 2**40):
            a = s.array(3 * (p or 1000) if p and p < 10**6 else 3000, w)
            if p is None:
                assert (a == s(h)).all(), name
            else:
                assert np.array_equal(a[:-p], a[p:]), name
        if h > 0 and p is None:
            # and not earlier by the plan's own account: the step before h is not the tail value
            # (true for these cases, whose last phase changes the value)
            # (CosineRestarts: the last cycle's last step may round to min_lr itself)
            assert s(h - 1) != s(h) or isinstance(s, (F.OneCycle, F.CosineRestarts)), name
    marks = s.phase_boundaries(10**6)
    assert list(marks) == sorted(set(marks)) and all(0 < b < 10**6 for b in marks)
    if h is not None and 0 < h < 10**6:
        assert h in marks


def test_every_registered_class_answers():
    covered = {type(s).__name__ for s in CASES.values()}
    assert covered >= set(F.schedule_classes())
    for s in CASES.values():
        assert s.horizon is None or isinstance(s.horizon, int)
        assert all(type(b) is int for b in s.phase_boundaries(10**5))


def test_plot_marks_the_phase_boundaries():
    pytest.importorskip("matplotlib")
    ax = F.plot(F.WarmupStableDecay(0.1, 100, 1000, 2000), 4000)
    assert [line.get_xdata()[0] for line in ax.get_lines()[1:]] == [100, 1100, 3100]
    # the join parameter named boundaries is not mistaken for the phase boundaries
    j = F.join([F.Warmup(0.1, 10), F.with_warmup(F.CosineAnnealing(0.1, 100), 20)], [10])
    ax = F.plot(j, 200)
    assert [line.get_xdata()[0] for line in ax.get_lines()[1:]] == [10, 30, 130]
    # too dense to mark: a staircase of 1000 drops
    ax = F.plot(F.StepDecay(0.1, 0.99, 10), 10_000)
    assert len(ax.get_lines()) == 1
