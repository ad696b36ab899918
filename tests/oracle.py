"""An exact oracle for the five seed schedules, independent of fastlr.

Every function takes the schedule's parameters (the float/int values the schedule holds) and an
iterable of Python-int steps, and returns exact or high-precision values: ``fractions.Fraction``
where the formula is rational, ``mpmath.mpf`` at ``DPS`` decimal digits otherwise. Periodic phases
are reduced with Python integers (exact for every step), and ``mpmath.mpf(x)`` of a float is exact,
so the only error left is mpmath's own, ~1e-40 relative.

The formulas are the ones of the issue, written the way they read, not the way fastlr computes them
(e.g. ``½ (1 + cos)`` here where fastlr uses ``cos²``).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Iterable, List, Sequence, Union

import mpmath

DPS = 40
Exact = Union[Fraction, mpmath.mpf]


def _ctx():
    return mpmath.workdps(DPS)


def step_decay(lr: float, gamma: float, step_size: int, steps: Iterable[int]) -> List[Exact]:
    """lr * gamma ** floor(t / step_size), the exponent an exact integer."""
    with _ctx():
        lr_, g = mpmath.mpf(lr), mpmath.mpf(gamma)
        cache = {}
        out = []
        for t in steps:
            m = int(t) // step_size
            if m not in cache:
                cache[m] = lr_ * mpmath.power(g, m)
            out.append(cache[m])
        return out


def exponential_decay(lr: float, decay_rate: float, steps: Iterable[int]) -> List[Exact]:
    """lr * exp(-decay_rate * t) (decay_rate * t is exact at DPS digits: 53 + 63 bits)."""
    with _ctx():
        lr_, k = mpmath.mpf(lr), mpmath.mpf(decay_rate)
        return [lr_ * mpmath.exp(-k * int(t)) for t in steps]


def cosine_annealing(max_lr: float, total_steps: int, min_lr: float,
                     steps: Iterable[int]) -> List[Exact]:
    """min + ½ (max - min)(1 + cos(pi t / T)) for t < T, min for t >= T."""
    with _ctx():
        hi, lo = mpmath.mpf(max_lr), mpmath.mpf(min_lr)
        out = []
        for t in steps:
            t = int(t)
            if t >= total_steps:
                out.append(lo)
            else:
                x = mpmath.mpf(t) / total_steps
                out.append(lo + (hi - lo) * (1 + mpmath.cospi(x)) / 2)
        return out


def warmup(max_lr: float, warmup_steps: int, init_lr: float, steps: Iterable[int]) -> List[Exact]:
    """init + (max - init) * min(t, W) / W, exactly (max from step 0 if W = 0)."""
    hi, lo = Fraction(max_lr), Fraction(init_lr)
    out = []
    for t in steps:
        t = int(t)
        if warmup_steps == 0 or t >= warmup_steps:
            out.append(hi)
        else:
            out.append(lo + (hi - lo) * Fraction(t, warmup_steps))
    return out


def cyclical(max_lr: float, cycle_steps: int, min_lr: float, steps: Iterable[int]) -> List[Exact]:
    """min + ½ (max - min)(1 + cos(pi t / T)) with the phase t mod 2T reduced exactly."""
    period = 2 * cycle_steps
    with _ctx():
        hi, lo = mpmath.mpf(max_lr), mpmath.mpf(min_lr)
        out = []
        for t in steps:
            r = int(t) % period  # exact: cos(pi t / T) = cos(pi r / T)
            x = mpmath.mpf(r) / cycle_steps
            out.append(lo + (hi - lo) * (1 + mpmath.cospi(x)) / 2)
        return out


ORACLES = {
    "StepDecay": (step_decay, ("lr", "gamma", "step_size")),
    "ExponentialDecay": (exponential_decay, ("lr", "decay_rate")),
    "CosineAnnealing": (cosine_annealing, ("max_lr", "total_steps", "min_lr")),
    "Warmup": (warmup, ("max_lr", "warmup_steps", "init_lr")),
    "Cyclical": (cyclical, ("max_lr", "cycle_steps", "min_lr")),
}


def exact(name: str, params: dict, steps: Sequence[int]) -> List[Exact]:
    """Exact values of schedule `name` with `params` (a dict of its parameters) at `steps`."""
    fn, names = ORACLES[name]
    defaults = {"min_lr": 0.0, "init_lr": 0.0}  # the constructors' defaults
    return fn(*(params[k] if k in params else defaults[k] for k in names), steps)


def to_mpf(x: Exact) -> mpmath.mpf:
    with _ctx():
        if isinstance(x, Fraction):
            return mpmath.mpf(x.numerator) / x.denominator
        return mpmath.mpf(x)


def max_abs_error(got: Sequence[float], want: Sequence[Exact]) -> float:
    """max |got - want| over the elements, as a float (inf if a value is nan/inf and the exact
    value is not)."""
    assert len(got) == len(want)
    worst = 0.0
    with _ctx():
        for g, w in zip(got, want):
            g = float(g)
            if g != g:  # nan
                return float("inf")
            if g in (float("inf"), float("-inf")):
                if not mpmath.isinf(to_mpf(w)):
                    return float("inf")
                continue
            if isinstance(w, Fraction):
                err = float(abs(Fraction(g) - w))
            else:
                err = float(abs(mpmath.mpf(g) - w))
            worst = max(worst, err)
    return worst


def max_abs_value(values: Sequence[Exact]) -> float:
    with _ctx():
        return max((float(abs(to_mpf(v))) for v in values), default=0.0)
