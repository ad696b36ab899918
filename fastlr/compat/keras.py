"""Keras 3 (``keras.optimizers.schedules``) schedules as fastlr schedules.

Value at step ``t``: ``schedule(t)`` in float64 (what keras computes with float64 rates on the JAX
backend with x64, minus keras' float32 intermediates, see below). Constructors take keras' argument
names and defaults (``name`` is accepted and ignored). Importable without keras installed.

Semantics (see :mod:`fastlr.compat`):

* reproduced exactly on keras' domain, conventions included: PiecewiseConstantDecay's boundary
  step belongs to the EARLIER piece (the value changes at ``b + 1``); CosineDecay's
  ``decay_steps`` counts after the warmup; CosineDecayRestarts' ``alpha`` floor is not decayed by
  ``m_mul`` (``init·((1 - α)·m_mul**i·½(1 + cos π f) + α)``); non-integer ``t_mul`` gives cycles of
  real length ``first_decay_steps·t_mul**i``;
* **floating-point bugs, exact value given**: keras 3 computes ``ops.cos``, ``ops.floor`` and
  ``ops.ceil`` in float32 even for float64 input (its dtype lattice promotes (float64, Python
  float) to float32), so CosineDecay (its cosine part), CosineDecayRestarts and the staircase
  floors carry float32 rounding (~1e-7 relative) inside otherwise float64 results, and
  CosineDecay without a warmup returns float32; CosineDecayRestarts finds the cycle with a
  floating logarithm, which can be off by one at an exact restart; PolynomialDecay(cycle=True)
  finds its cycle with the float32 ``ceil(t / D)``, which from t ≈ 2**24 on can fall one short
  just after a cycle end (then ``1 - t/D' < 0``: NaN for a fractional power, e.g. at
  t = 3·2**24 + 1 with D = 3, or t = 33554001 with D = 1000). fastlr
  gives the exactly intended float64 values (restarts at the exact real points
  ``D (t_mul**i - 1)/(t_mul - 1)``, cycles at the exact integers ``(k-1)·D < t <= k·D``);
* **holds instead of overflowing**: ExponentialDecay with ``decay_rate > 1`` grows without bound
  (keras reaches inf); fastlr caps at the largest float.

PolynomialDecay(cycle=True) is fastlr ``CyclicPolynomial`` (every cycle k stretched to
``k·decay_steps`` steps, forever: a kernel family of its own). CosineDecayRestarts with
``alpha != 0`` and ``m_mul != 1`` is composed cycle by cycle (at most 20000 cycles; with
``t_mul == 1`` the cycles end when ``m_mul**i`` underflows, else ValueError).
"""
from __future__ import annotations

import math
import sys
from fractions import Fraction
from typing import Any, Dict, List, Optional, Tuple

import fastlr
from fastlr.compat import cosine_piece as _cosine_piece
from fastlr.compose import chain as _chain
from fastlr.validate import check_bool, check_rate, check_rate_list, check_real, check_steps

__all__ = ["ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay",
           "CosineDecay", "CosineDecayRestarts"]

_MAX_PIECES = 20000
_INT64_MAX = 2**63 - 1


def _steps_arg(value: Any, name: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return check_steps(value, name)


def ExponentialDecay(initial_learning_rate: float, decay_steps: int, decay_rate: float,
                     staircase: bool = False, name: str = "ExponentialDecay") -> Any:
    """``init·decay_rate**(t / decay_steps)`` (the exponent floored with ``staircase``): fastlr
    ``ExponentialDecay(init, -log(decay_rate)/decay_steps)`` or ``StepDecay``. ``decay_rate > 1``
    without staircase is capped at the largest float (keras overflows to inf); with staircase it
    overflows to inf as keras."""
    lr = check_rate(initial_learning_rate, "initial_learning_rate")
    D = _steps_arg(decay_steps, "decay_steps")
    r = check_real(decay_rate, "decay_rate", low=0.0, low_open=True)
    if check_bool(staircase, "staircase"):
        return fastlr.StepDecay(lr, r, D)
    rate = -math.log(r) / D
    return fastlr.ExponentialDecay(lr, rate, sys.float_info.max if rate < 0 else None)


def PiecewiseConstantDecay(boundaries: List[int], values: List[float],
                           name: str = "PiecewiseConstant") -> Any:
    """``values[0]`` for t <= boundaries[0], ``values[i]`` for boundaries[i-1] < t <=
    boundaries[i], ``values[-1]`` after: the change happens at ``b + 1`` (fastlr
    ``PiecewiseConstant`` with boundaries ``b + 1``)."""
    b = [check_steps(x, f"boundaries[{i}]", minimum=0) for i, x in enumerate(boundaries)]
    v = check_rate_list(values, "values")
    if len(v) != len(b) + 1:
        raise ValueError(f"The length of boundaries should be 1 less than the length of values: "
                         f"got {len(b)} boundaries and {len(v)} values")
    if any(y <= x for x, y in zip(b, b[1:])):
        raise ValueError(f"boundaries must be strictly increasing, got {list(boundaries)!r}")
    return fastlr.PiecewiseConstant([x + 1 for x in b], v)


def PolynomialDecay(initial_learning_rate: float, decay_steps: int,
                    end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
                    name: str = "PolynomialDecay") -> Any:
    """``(init - end)(1 - min(t, D)/D)**power + end`` (fastlr ``Polynomial``). With ``cycle``:
    ``D' = D·max(1, ceil(t / D))`` and ``(init - end)(1 - t/D')**power + end`` (fastlr
    ``CyclicPolynomial``: cycle k covers ``(k-1)·D < t <= k·D`` and ends at ``end`` exactly; the
    cycle is found with exact integers, where keras' float32 ceil fails from t ≈ 2**24 on, see
    the module docstring)."""
    lr = check_rate(initial_learning_rate, "initial_learning_rate")
    D = _steps_arg(decay_steps, "decay_steps")
    end = check_rate(end_learning_rate, "end_learning_rate")
    p = check_real(power, "power", low=0.0, low_open=True)
    if check_bool(cycle, "cycle"):
        return fastlr.CyclicPolynomial(lr, end, D, p)
    return fastlr.Polynomial(lr, end, D, p)


def InverseTimeDecay(initial_learning_rate: float, decay_steps: int, decay_rate: float,
                     staircase: bool = False, name: str = "InverseTimeDecay") -> Any:
    """``init / (1 + decay_rate·t/decay_steps)`` (floored with ``staircase``): fastlr
    ``InverseTime``."""
    return fastlr.InverseTime(check_rate(initial_learning_rate, "initial_learning_rate"),
                              check_real(decay_rate, "decay_rate", low=0.0),
                              _steps_arg(decay_steps, "decay_steps"),
                              check_bool(staircase, "staircase"))


def CosineDecay(initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                name: str = "CosineDecay", warmup_target: Optional[float] = None,
                warmup_steps: int = 0) -> Any:
    """Without ``warmup_target``: ``init·((1 - α)·½(1 + cos(π min(t, D)/D)) + α)`` (fastlr
    ``CosineAnnealing(init, D, init·α)``). With ``warmup_target`` w: a linear ramp init -> w over
    ``warmup_steps`` W, then ``w·((1 - α)·½(1 + cos(π min(t - W, D)/D)) + α)`` (D counted after
    the warmup). keras computes the cosine in float32 (see the module docstring); this is exact
    float64."""
    lr = check_rate(initial_learning_rate, "initial_learning_rate")
    D = _steps_arg(decay_steps, "decay_steps")
    a = check_real(alpha, "alpha", low=0.0)
    if warmup_target is None:
        return fastlr.CosineAnnealing(lr, D, lr * a)
    w = check_rate(warmup_target, "warmup_target")
    W = check_steps(warmup_steps, "warmup_steps", minimum=0)
    cos = fastlr.CosineAnnealing(w, D, w * a)
    return fastlr.join([fastlr.Linear(lr, w, W), cos], [W]) if W > 0 else cos


def CosineDecayRestarts(initial_learning_rate: float, first_decay_steps: int,
                        t_mul: float = 2.0, m_mul: float = 1.0, alpha: float = 0.0,
                        name: str = "SGDRDecay") -> Any:
    """SGDR: cycle i has real length ``D·t_mul**i`` and starts at ``D (t_mul**i - 1)/(t_mul - 1)``
    (``i·D`` for t_mul = 1); at the fraction f of cycle i:
    ``init·((1 - α)·m_mul**i·½(1 + cos π f) + α)``. fastlr ``CosineRestarts(init, D, t_mul,
    init·α, m_mul)`` when α = 0 or m_mul = 1 (then the floor-scaling makes no difference), else one
    cosine piece per cycle (exact real restarts either way)."""
    lr = check_rate(initial_learning_rate, "initial_learning_rate")
    D = _steps_arg(first_decay_steps, "first_decay_steps")
    tm = check_real(t_mul, "t_mul", low=1.0)
    mm = check_real(m_mul, "m_mul", low=0.0, low_open=True)
    a = check_real(alpha, "alpha", low=0.0)
    lo = lr * a
    if (a == 0 or mm == 1) and mm <= 1:
        return fastlr.CosineRestarts(lr, float(D), tm, lo, mm)
    # per-cycle peaks lo + lr (1 - a) mm**i (not geometric): one piece per cycle
    pieces: List[Tuple[Any, Optional[int]]] = []
    S, L, i, amp = Fraction(0), Fraction(D), 0, lr * (1 - a)
    m = Fraction(tm)
    while math.ceil(S) <= _INT64_MAX:
        peak_excess = amp * mm**i
        if peak_excess == 0:
            break     # m_mul**i underflowed: the floor from here on, exactly as keras
        if not math.isfinite(lo + peak_excess):
            raise ValueError(f"m_mul={m_mul!r} > 1 takes the peak past the largest float")
        first, nxt = math.ceil(S), math.ceil(S + L)
        if nxt > first:
            pieces.append((_cosine_piece(lo, lo + peak_excess, L, first - S, nxt - first),
                           nxt - first))
        if len(pieces) > _MAX_PIECES:
            raise ValueError(f"CosineDecayRestarts(t_mul={t_mul!r}, m_mul={m_mul!r}, alpha="
                             f"{alpha!r}): more than {_MAX_PIECES} cycles of different peaks")
        S, L, i = S + L, L * m, i + 1
    return _chain(pieces + [(fastlr.Constant(lo), None)])


#: spec name -> constructor
CONSTRUCTORS: Dict[str, Any] = {name: globals()[name] for name in __all__}

#: constructor -> the fastlr classes it maps to
FASTLR_NAMES: Dict[str, Tuple[str, ...]] = {
    "ExponentialDecay": ("ExponentialDecay", "StepDecay"),
    "PiecewiseConstantDecay": ("PiecewiseConstant",),
    "PolynomialDecay": ("Polynomial", "CyclicPolynomial"),
    "InverseTimeDecay": ("InverseTime",),
    "CosineDecay": ("CosineAnnealing", "Linear", "Join"),
    "CosineDecayRestarts": ("CosineRestarts", "Join", "Shifted", "Constant"),
}
