"""Schedules -> plans: the segment tables the compiled interpreter walks.

A segment runs a family formula on the local step ``tau = t - begin + offset``. Families and the
meaning of their parameters (all arithmetic in float64; tables are built once, here):

==========  ==============================================  ======================================
family      value at local step tau                          parameters
==========  ==============================================  ======================================
CONST       d0                                               d0
LINEAR      d0 + d1 tau d2                                   d2 = 1, or 2**-600 (tiny slopes)
EXP         d0 exp(-d1 tau)                                  tables exp(-d1 64i), exp(-d1 j)
PLATEAU     m = floor(tau / i0);                             i0 >= 1; i1 = kind;
            kind 0: d0 d1**m, kind 1: d0 / (1 + d1 m)        tables d1**(64i), d1**j (kind 0)
COS2        d0 + (d1 d4**c - d0) cos²(d2 (p + d3)),          d2 = pi / (2 L); i0 = period or 0;
            p = tau mod i0, c = tau div i0 (i0 = 0: p=tau)   d3 phase offset; d4 peak decay
POLY        d0 + d1 g(x), x = (i0 - tau)/d2 (i1 & 8)         i1 & 7 = g: 0 x**d3, 1 x, 2 x², 3 sqrt,
            or tau/d2                                        4 x**-0.5; i1 & 16: a series, table
                                                             binom(d3, m) for m < 10
INVTIME     d0 / (1 + d1 tau)
TRI         d0 + d1 frac(p) scale, p = tau mod (i0 + i1)     i0 = up, i1 = down, i2 = mode;
            scale 1 | 0.5**c | d2**tau                       tables d2**(64i), d2**j (mode 2)
==========  ==============================================  ======================================

Composition is arithmetic on segment lists (truncate, concatenate, scale), never per step.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence

import numpy as np

from fastlr._dispatch import kernels as _kernels
Family = _kernels.Family

INT64_MAX = 2**63 - 1


class Segment(NamedTuple):
    length: Optional[int]  # None: runs forever (only the last segment)
    family: int
    d: tuple = ()
    i0: int = 0
    i1: int = 0
    i2: int = 0
    offset: int = 0
    table: Optional[np.ndarray] = None


F = Family
# The float columns that hold values (multiplied when a schedule is scaled).
VALUE_COLUMNS = {
    F.CONST: (0,), F.LINEAR: (0, 1), F.EXP: (0,), F.PLATEAU: (0,), F.COS2: (0, 1),
    F.POLY: (0, 1), F.INVTIME: (0,), F.TRI: (0, 1),
}


def const(value: float, length: Optional[int] = None) -> Segment:
    return Segment(length, F.CONST, (value,))


def ramp(a: float, b: float, span: float, length: Optional[int], offset: float = 0.0) -> Segment:
    """From a (at tau = -offset) to b (at tau = span - offset): a + (b - a) (tau + offset) / span,
    with the slope computed without underflow for tiny rates."""
    if b != a and abs((b - a) / span) < 2.0**-960:
        slope = ((b - a) * 2.0**600) / span
        return Segment(length, F.LINEAR, (a + (slope * offset) * 2.0**-600, slope, 2.0**-600))
    slope = (b - a) / span
    return Segment(length, F.LINEAR, (a + slope * offset, slope, 1.0))


def exponential(lr: float, rate: float, length: Optional[int] = None) -> Segment:
    return Segment(length, F.EXP, (lr, rate), table=_kernels.exp_tables(rate))


def geometric_plateaus(lr: float, gamma: float, size: int, length: Optional[int] = None) -> Segment:
    """lr * gamma ** floor(tau / size)."""
    return Segment(length, F.PLATEAU, (lr, gamma), i0=size, i1=0,
                   table=_kernels.power_tables(gamma))


def inverse_time_plateaus(lr: float, rate: float, size: int,
                          length: Optional[int] = None) -> Segment:
    """lr / (1 + rate * floor(tau / size))."""
    return Segment(length, F.PLATEAU, (lr, rate), i0=size, i1=1)


def cos2(low: float, peak: float, half_period: float, *, period: int = 0, offset: float = 0.0,
         decay: float = 1.0, length: Optional[int] = None) -> Segment:
    """low + (peak decay**c - low) cos²(pi (p + offset) / (2 half_period)): from peak to low over
    half_period steps (which may be fractional); periodic with `period` if > 0."""
    w = math.pi / (2 * half_period)
    return Segment(length, F.COS2, (low, peak, w, offset, decay), i0=period,
                   table=_kernels.angle_tables(w))


def poly(low: float, amp: float, horizon: int, power: float, *, reverse: bool,
         length: Optional[int] = None) -> Segment:
    """low + amp * x**power, x = (horizon - tau) / horizon (reverse) or tau / horizon."""
    return power_law(low, amp, horizon, float(horizon), power, reverse=reverse, length=length)


def power_law(low: float, amp: float, anchor: int, scale: float, power: float, *, reverse: bool,
              length: Optional[int] = None, offset: int = 0) -> Segment:
    """low + amp * (u / scale)**power with u = anchor - tau (reverse) or u = tau."""
    kind = {1.0: 1, 2.0: 2, 0.5: 3, -0.5: 4}.get(power, 0)
    flags = kind | (8 if reverse else 0)
    table = None
    if kind in (0, 4):
        table = _binomial_series(power)
        if table is not None:
            flags |= 16
    return Segment(length, F.POLY, (low, amp, scale, power), i0=anchor, i1=flags, table=table,
                   offset=offset)


def _binomial_series(p: float, terms: int = 10, r_max: float = 1 / 64) -> Optional[np.ndarray]:
    """binom(p, m) for m < terms, if the truncated series of (1 + r)**p is good to 1e-17 for
    |r| <= r_max (the kernel's bound); None otherwise (the kernel then calls pow per step)."""
    coef = [1.0]
    for m in range(1, terms + 1):
        coef.append(coef[-1] * (p - m + 1) / m)
    # both regimes of the kernel: 10 terms for |r| <= 1/64, 6 terms for |r| <= 1.1e-3
    for n_terms, bound in ((terms, r_max), (6, 1.1e-3)):
        if bound * max(1.0, abs(p)) >= 0.5:
            return None
        tail = abs(coef[n_terms]) * bound**n_terms / (1 - bound * max(1.0, abs(p)))
        if not math.isfinite(tail) or tail > 1e-17:
            return None
    return np.array(coef[:terms])


def inverse_time(lr: float, rate: float, length: Optional[int] = None) -> Segment:
    """lr / (1 + rate * tau)."""
    return Segment(length, F.INVTIME, (lr, rate))


def triangular(base: float, amp: float, up: int, down: int, mode: int, gamma: float) -> Segment:
    table = _kernels.power_tables(gamma) if mode == 2 else None
    return Segment(None, F.TRI, (base, amp, gamma), i0=up, i1=down, i2=mode, table=table)


def truncate(segments: Sequence[Segment], total: int) -> list:
    """The first `total` steps of a segment list (a prefix, the crossing segment cut short)."""
    out, rest = [], total
    for s in segments:
        if s.length is None or s.length >= rest:
            out.append(s._replace(length=rest))
            return out
        out.append(s)
        rest -= s.length
    raise AssertionError("a segment list must end with a segment that runs forever")


def scale(segments: Sequence[Segment], factor: float) -> list:
    """Segments whose values are multiplied by `factor` (the value columns of each family)."""
    out = []
    for s in segments:
        d = list(s.d)
        for col in VALUE_COLUMNS[s.family]:
            d[col] = d[col] * factor
        out.append(s._replace(d=tuple(d)))
    return out


def compile_plan(segments: Sequence[Segment]) -> _kernels.Plan:
    """Lay segments end to end from step 0 into the arrays of a compiled Plan."""
    segs, begin = [], 0
    for s in segments:
        if s.length is not None and s.length <= 0:
            continue
        segs.append(s)
        if s.length is None:
            break
        begin += s.length
        if begin > INT64_MAX:
            break  # the segments after this one begin past the last representable step
    else:
        raise AssertionError("a plan must end with a segment that runs forever")
    n = len(segs)
    iseg = np.zeros((n, _kernels.Column.NI), dtype=np.int64)
    dseg = np.zeros((n, _kernels.NDBL), dtype=np.float64)
    tables: list = []
    placed: dict = {}
    begin, ntab = 0, 0
    for k, s in enumerate(segs):
        iseg[k, _kernels.Column.BEGIN] = begin
        iseg[k, _kernels.Column.OFFSET] = s.offset
        iseg[k, _kernels.Column.FAMILY] = int(s.family)
        iseg[k, _kernels.Column.I0] = s.i0
        iseg[k, _kernels.Column.I1] = s.i1
        iseg[k, _kernels.Column.I2] = s.i2
        dseg[k, : len(s.d)] = s.d
        if s.table is not None:
            key = id(s.table)
            if key not in placed:  # segments cut from one segment share its table
                placed[key] = ntab
                tables.append(s.table)
                ntab += len(s.table)
            iseg[k, _kernels.Column.TAB] = placed[key]
        if s.length is not None:
            begin += s.length
    tab = np.concatenate(tables) if tables else np.zeros(1)
    for a in (iseg, dseg, tab):
        a.flags.writeable = False
    return _kernels.Plan(iseg, dseg, tab)
