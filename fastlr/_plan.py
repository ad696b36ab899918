"""Schedules -> plans: the segment tables the compiled interpreter walks.

A segment runs a family formula on the local step ``tau = t - begin + offset``. Families and the
meaning of their parameters (all arithmetic in float64; tables are built once, here):

==========  ==========================================  ==========================================
family      value at local step tau                      parameters
==========  ==========================================  ==========================================
CONST       d0                                           d0
LINEAR      d0 + d1 * tau                                d0, d1
EXP         d0 * exp(-d1 * tau)                          d0, d1; tables exp(-d1*64i), exp(-d1*j)
STEP        d0 * d1 ** floor(tau / i0)                   d0, d1, i0 >= 1; table d1**j
COS2        d0 + d1 * cos(d2 * p)**2,                    d0, d1, d2 = pi / (2 * half_period),
            p = tau mod i0 (i0 = 0: p = tau)             i0 = period or 0; rotation tables
==========  ==========================================  ==========================================
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence

import numpy as np

from fastlr import _kernels
from fastlr._kernels import Family

INT64_MAX = 2**63 - 1


class Segment(NamedTuple):
    length: Optional[int]  # None: runs forever (only the last segment)
    family: int
    d: tuple = ()
    i0: int = 0
    offset: int = 0
    table: Optional[np.ndarray] = None


def const(value: float, length: Optional[int] = None) -> Segment:
    return Segment(length, Family.CONST, (value,))


def linear(a: float, slope: float, length: Optional[int]) -> Segment:
    return Segment(length, Family.LINEAR, (a, slope))


def exponential(lr: float, rate: float, length: Optional[int] = None) -> Segment:
    return Segment(length, Family.EXP, (lr, rate), table=_kernels.exp_tables(rate))


def step(lr: float, gamma: float, size: int, length: Optional[int] = None) -> Segment:
    return Segment(length, Family.STEP, (lr, gamma), i0=size, table=_kernels.power_tables(gamma))


def cos2(low: float, amp: float, half_period: int, *, periodic: bool,
         length: Optional[int] = None) -> Segment:
    w = math.pi / (2 * half_period)
    return Segment(length, Family.COS2, (low, amp, w), i0=2 * half_period if periodic else 0,
                   table=_kernels.angle_tables(w))


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
    tables = []
    begin, ntab = 0, 0
    for k, s in enumerate(segs):
        iseg[k, _kernels.Column.BEGIN] = begin
        iseg[k, _kernels.Column.OFFSET] = s.offset
        iseg[k, _kernels.Column.FAMILY] = int(s.family)
        iseg[k, _kernels.Column.I0] = s.i0
        dseg[k, : len(s.d)] = s.d
        if s.table is not None:
            iseg[k, _kernels.Column.TAB] = ntab
            tables.append(s.table)
            ntab += len(s.table)
        if s.length is not None:
            begin += s.length
    tab = np.concatenate(tables) if tables else np.zeros(1)
    for a in (iseg, dseg, tab):
        a.flags.writeable = False
    return _kernels.Plan(iseg, dseg, tab)
