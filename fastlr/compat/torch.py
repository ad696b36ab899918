"""PyTorch's ``torch.optim.lr_scheduler`` by its own names and arguments, as fastlr schedules.

The value at step ``t`` is the lr ``optimizer.param_groups[0]["lr"]`` holds after ``t`` calls of
``scheduler.step()`` (t = 0: right after the scheduler was built), i.e. the rate of the (t+1)-th
update. Every constructor takes torch's keyword arguments (minus the optimizer) with torch's
defaults, plus ``base_lr`` where torch reads the rate from the optimizer (the group's lr when the
scheduler is built); ``CyclicLR`` and ``OneCycleLR`` ignore the optimizer's rate in torch and take
no ``base_lr`` of their own beyond torch's. torch is not needed (nor imported)::

    from fastlr.compat import torch as T
    s = T.CosineAnnealingLR(T_max=1000, eta_min=1e-5, base_lr=0.1)
    s.array(3000)        # what 3000 updates see (periodic past T_max, as torch)

The semantics rule of :mod:`fastlr.compat` applies; the cases:

* **torch's recursive drift** (StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR,
  PolynomialLR, CosineAnnealingLR, and children of SequentialLR / ChainedScheduler): torch
  multiplies the optimizer's current lr by a ratio each step, so its value at t is a product of t
  rounded factors and drifts from the formula by O(t) ulps (its ``ConstantLR`` restores
  ``fl(fl(B f) fl(1/f))``, not ``B``). fastlr gives the closed form (torch's own
  ``_get_closed_form_lr``, the documented value): e.g. ``StepLR`` is exactly
  ``B * gamma ** (t // step_size)`` to an ulp or two, and ``ConstantLR`` restores ``B`` exactly
  (also for ``factor = 0``, where torch divides by zero at ``total_iters``).
* **OneCycleLR past the cycle**: torch evaluates the last phase at ``t = total_steps``
  *extrapolated* (p > 1: the cosine rises above ``min_lr``, the linear anneal goes below it) and
  raises ValueError after. fastlr holds the last in-cycle value from ``total_steps - 1`` on (the
  ``min_lr``; for a three-phase cycle whose second phase outlasts ``total_steps`` — ``pct_start``
  above about 0.5 — the phase-2 value at ``total_steps``, which torch computes without
  extrapolating, is reproduced and then held).
* **CyclicLR "triangular2"**: torch computes ``1 / 2.0 ** (cycle - 1)`` and raises OverflowError
  from cycle 1025 on; fastlr continues with the limit of the halving (``0.5 ** cycle`` underflows
  to 0: the value is ``base_lr``). torch also locates the cycle position from the float
  ``t / total_size``, which loses ~log2(t/total) bits; fastlr reduces the phase exactly in
  integers.
* **ExponentialLR with gamma > 1**: torch overflows to ``inf``; fastlr holds the largest float.
* **ChainedScheduler**: the value is the product ``B * prod_k f_k(t)`` of the children's closed
  forms (the documented meaning). Where torch's recursive chain is not that product fastlr keeps
  the product: after a ``CosineAnnealingLR`` child passes a trough (torch restarts it *additively*
  from ``B``, dropping the other children's accumulated factors). Children that overwrite the lr
  each step (``CyclicLR``, ``OneCycleLR``, ``CosineAnnealingWarmRestarts``) and affine ones
  (``CosineAnnealingLR`` with ``eta_min != 0``) are accepted only as the last (overwriting)
  child or alone; elsewhere they raise ValueError, because torch's chain then depends on how the
  ratios of the later children were accumulated, not on a product.

Not precomputable (raise :class:`fastlr.compat.NotPrecomputable`): ``LambdaLR`` and
``MultiplicativeLR`` (an arbitrary Python callable decides each factor), ``ReduceLROnPlateau``
(driven by a validation metric), ``CyclicLR(scale_fn=...)`` (a callable).

``OneCycleLR``'s momentum cycle is a second schedule: :func:`OneCycleMomentum` takes the same
arguments and gives the momentum (or Adam's beta1) torch sets at each step.
"""
from __future__ import annotations

import math
import numbers
import sys
from typing import Any, Optional, Sequence

import fastlr
from fastlr.base import Schedule
from fastlr.compat import NotPrecomputable
from fastlr.validate import check_bool, check_choice, check_rate, check_real, check_sequence

__all__ = [
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "OneCycleMomentum",
    "SequentialLR",
    "ChainedScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "ReduceLROnPlateau",
]

FASTLR_NAMES = {
    "StepLR": "StepDecay",
    "MultiStepLR": "MultiStep",
    "ConstantLR": "PiecewiseConstant",
    "LinearLR": "Linear",
    "ExponentialLR": "ExponentialDecay",
    "PolynomialLR": "Polynomial",
    "CosineAnnealingLR": "Cyclical",
    "CosineAnnealingWarmRestarts": "WarmRestarts",
    "CyclicLR": "Triangular",
    "OneCycleLR": "OneCycle",
    "OneCycleMomentum": "OneCycle",
    "SequentialLR": "Join",
    "ChainedScheduler": "Product / Scaled",
    "LambdaLR": "(not precomputable: a Python callable)",
    "MultiplicativeLR": "(not precomputable: a Python callable)",
    "ReduceLROnPlateau": "(not precomputable: metric-driven)",
}

_MAX_FLOAT = sys.float_info.max


# ----------------------------------------------------------------------------- helpers

def _int(value: Any, name: str, minimum: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    return v


def _base(base_lr: Any) -> float:
    if base_lr is None:
        raise TypeError("base_lr is required: the optimizer's lr when torch builds the scheduler")
    return check_rate(base_lr, "base_lr")


def _drop(lr: float, at: int) -> Schedule:
    """``lr`` for t < at, then 0 (a factor of 0 applied at step ``at``)."""
    if at <= 0:
        return fastlr.Constant(0.0)
    return fastlr.PiecewiseConstant([at], [lr, 0.0])


# ----------------------------------------------------------------------------- recursive ones

def StepLR(step_size: int, gamma: float = 0.1, *, base_lr: float) -> Schedule:
    """torch ``StepLR``: ``base_lr * gamma ** (t // step_size)``.

    torch multiplies the current lr by ``gamma`` at every multiple of ``step_size`` (drifting by
    O(t/step_size) ulps); fastlr gives the closed form. ``gamma`` >= 0 (0: the rate drops to 0 at
    ``step_size``; > 1 grows and overflows far out, as torch).
    """
    B = _base(base_lr)
    size = _int(step_size, "step_size", 1)
    g = check_real(gamma, "gamma", low=0.0)
    if g == 0.0:
        return _drop(B, size)
    return fastlr.StepDecay(B, g, size)


def MultiStepLR(milestones: Sequence[int], gamma: float = 0.1, *, base_lr: float) -> Schedule:
    """torch ``MultiStepLR``: ``base_lr * gamma ** (number of milestones <= t)``.

    Milestones in any order; a repeated milestone counts as often as it appears (torch keeps a
    Counter); a milestone at 0 applies from step 0 (torch has no initial-step guard there);
    negative milestones are never reached and are ignored, as in torch. Closed form (torch's
    recursive product drifts by ulps).
    """
    B = _base(base_lr)
    ms = [_int(m, f"milestones[{i}]")
          for i, m in enumerate(check_sequence(milestones, "milestones", "integers"))]
    g = check_real(gamma, "gamma", low=0.0)
    ms = sorted(m for m in ms if m >= 0)
    if not ms:
        return fastlr.Constant(B)
    if g == 0.0:
        return _drop(B, ms[0])
    return fastlr.MultiStep(B, ms, g)


def ConstantLR(factor: float = 1.0 / 3, total_iters: int = 5, *, base_lr: float) -> Schedule:
    """torch ``ConstantLR``: ``base_lr * factor`` for ``t < total_iters``, then ``base_lr``.

    ``0 <= factor <= 1`` (torch's rule). ``total_iters <= 0``: ``base_lr * factor`` forever (torch
    never reaches the restoring step). torch restores with ``lr * (1/factor)``, which is not exactly
    ``base_lr`` (and divides by zero for ``factor = 0``); fastlr restores ``base_lr`` exactly.
    """
    B = _base(base_lr)
    f = check_real(factor, "factor")
    if f > 1.0 or f < 0:
        raise ValueError(f"factor must be between 0 and 1 (torch's rule), got {factor!r}")
    ti = _int(total_iters, "total_iters")
    if ti <= 0 or f == 1.0:
        return fastlr.Constant(B * f)
    return fastlr.PiecewiseConstant([ti], [B * f, B])


def LinearLR(start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5, *,
             base_lr: float) -> Schedule:
    """torch ``LinearLR``: ``base_lr * (s + (e - s) * min(t, T) / T)``, ``T = total_iters``.

    torch's rules: ``0 < start_factor <= 1``, ``0 <= end_factor <= 1``. ``total_iters <= 0``:
    ``base_lr * start_factor`` forever (as torch). Closed form (torch's recursive ratios drift).
    """
    B = _base(base_lr)
    s = check_real(start_factor, "start_factor")
    if s > 1.0 or s <= 0:
        raise ValueError(f"start_factor must be > 0 and <= 1 (torch's rule), got {start_factor!r}")
    e = check_real(end_factor, "end_factor")
    if e > 1.0 or e < 0:
        raise ValueError(f"end_factor must be between 0 and 1 (torch's rule), got {end_factor!r}")
    ti = _int(total_iters, "total_iters")
    if ti <= 0:
        return fastlr.Constant(B * s)
    return fastlr.Linear(B * s, B * e, ti)


def ExponentialLR(gamma: float, *, base_lr: float) -> Schedule:
    """torch ``ExponentialLR``: ``base_lr * gamma ** t``.

    Computed as ``base_lr * exp(t log gamma)`` (torch multiplies t rounded factors). ``gamma`` >= 0;
    ``gamma > 1`` grows: torch overflows to inf, fastlr holds the largest float instead.
    """
    B = _base(base_lr)
    g = check_real(gamma, "gamma", low=0.0)
    if g == 0.0:
        return _drop(B, 1)
    if g == 1.0 or B == 0.0:
        return fastlr.Constant(B)
    rate = -math.log(g)
    if g > 1.0:
        return fastlr.ExponentialDecay(B, rate, end_lr=_MAX_FLOAT)
    return fastlr.ExponentialDecay(B, rate)


def PolynomialLR(total_iters: int = 5, power: float = 1.0, *, base_lr: float) -> Schedule:
    """torch ``PolynomialLR``: ``base_lr * (1 - min(t, T) / T) ** power``, ``T = total_iters``.

    0 from ``T`` on. ``total_iters <= 0`` or ``power == 0``: ``base_lr`` forever (torch's ratios
    are then all 1, also at ``T``). ``power`` < 0 is rejected (torch divides by zero at ``T``).
    Closed form (torch's recursive ratios drift).
    """
    B = _base(base_lr)
    ti = _int(total_iters, "total_iters")
    p = check_real(power, "power")
    if p < 0:
        raise ValueError(f"power must be >= 0, got {power!r} (torch divides by zero at "
                         f"total_iters)")
    if ti <= 0 or p == 0.0:
        return fastlr.Constant(B)
    return fastlr.Polynomial(B, 0.0, ti, p)


def CosineAnnealingLR(T_max: int, eta_min: float = 0.0, *, base_lr: float) -> Schedule:
    """torch ``CosineAnnealingLR``: ``eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2``
    for **every** t.

    That is what the optimizer sees: torch's recursive form does not stop at ``T_max`` but climbs
    back to ``base_lr`` at ``2 T_max`` and repeats with period ``2 T_max`` (the closed form
    ``_get_closed_form_lr`` says the same). fastlr gives the closed form without torch's drift
    (:class:`fastlr.Cyclical`). ``T_max`` >= 1 (torch divides by zero for 0).
    """
    B = _base(base_lr)
    T = _int(T_max, "T_max", 1)
    lo = check_rate(eta_min, "eta_min")
    return fastlr.Cyclical(B, T, lo)


# ----------------------------------------------------------------------------- closed forms

def CosineAnnealingWarmRestarts(T_0: int, T_mult: int = 1, eta_min: float = 0.0, *,
                                base_lr: float) -> Schedule:
    """torch ``CosineAnnealingWarmRestarts`` (SGDR), stepped one update at a time.

    Cycle k lasts ``T_0 * T_mult**k`` steps; within it, at local step u,
    ``eta_min + (base_lr - eta_min) (1 + cos(pi u / T_i)) / 2``. torch's rules: ``T_0`` a
    positive int, ``T_mult`` an int >= 1. Restarts are exact integers (torch's ``step(epoch)``
    path finds them with a float log, off by one at some restarts; the per-step path used here is
    exact in torch too).
    """
    B = _base(base_lr)
    if isinstance(T_0, bool) or not isinstance(T_0, numbers.Integral) or T_0 <= 0:
        raise ValueError(f"T_0 must be a positive integer (torch's rule), got {T_0!r}")
    if isinstance(T_mult, bool) or not isinstance(T_mult, numbers.Integral) or T_mult < 1:
        raise ValueError(f"T_mult must be an integer >= 1 (torch's rule), got {T_mult!r}")
    lo = check_rate(eta_min, "eta_min")
    return fastlr.WarmRestarts(B, int(T_0), int(T_mult), lo)


def CyclicLR(base_lr: float, max_lr: float, step_size_up: int = 2000,
             step_size_down: Optional[int] = None, mode: str = "triangular", gamma: float = 1.0,
             scale_fn: Any = None, scale_mode: str = "cycle", cycle_momentum: bool = True,
             base_momentum: float = 0.8, max_momentum: float = 0.9) -> Schedule:
    """torch ``CyclicLR`` (Smith's cyclical rate): torch sets the lr to ``base_lr`` (its own
    argument; the optimizer's rate is overwritten) and cycles it to ``max_lr``.

    With ``up = step_size_up``, ``down = step_size_down or up``: the value rises linearly from
    ``base_lr`` (t = 0) to ``max_lr`` (t = up), falls back by ``up + down`` and repeats, the
    amplitude scaled by 1 (``"triangular"``), ``0.5 ** (cycle index)`` (``"triangular2"``) or
    ``gamma ** t`` (``"exp_range"``). The momentum arguments only concern the momentum torch
    cycles; they do not change the lr and are accepted and ignored. A custom ``scale_fn`` (a
    callable) raises NotPrecomputable. Differences from torch: the cycle position is exact integer
    arithmetic (torch uses the float ``t / (up + down)``), and "triangular2" continues at
    ``base_lr`` where torch overflows (``2.0 ** (cycle - 1)`` from cycle 1025 on).
    """
    if scale_fn is not None:
        raise NotPrecomputable("CyclicLR(scale_fn=...): the amplitude is a Python callable of the "
                               "cycle or step, which fastlr cannot tabulate; use mode= instead")
    lo, hi = check_rate(base_lr, "base_lr"), check_rate(max_lr, "max_lr")
    up = _int(step_size_up, "step_size_up", 1)
    down = None if step_size_down is None else _int(step_size_down, "step_size_down", 1)
    check_choice(mode, "mode", ("triangular", "triangular2", "exp_range"))
    check_choice(scale_mode, "scale_mode", ("cycle", "iterations"))
    check_bool(cycle_momentum, "cycle_momentum")
    check_real(base_momentum, "base_momentum")
    check_real(max_momentum, "max_momentum")
    g = check_real(gamma, "gamma", low=0.0, low_open=True)
    return fastlr.Triangular(lo, hi, up, down, mode, g)


def _one_cycle_total(total_steps: Any, epochs: Any, steps_per_epoch: Any) -> int:
    if total_steps is not None:
        if isinstance(total_steps, bool) or not isinstance(total_steps, numbers.Integral) \
                or total_steps <= 0:
            raise ValueError(f"total_steps must be a positive integer, got {total_steps!r}")
        return int(total_steps)
    if epochs is not None and steps_per_epoch is not None:
        for name, v in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v <= 0:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        return int(epochs) * int(steps_per_epoch)
    raise ValueError("OneCycleLR needs total_steps, or epochs and steps_per_epoch")


def _one_cycle(top: float, T: int, pct: float, anneal: str, div: float, final: float,
               three: bool) -> Schedule:
    """torch's one-cycle phases with rates ``top / div`` -> ``top`` -> (``top / div`` ->)
    ``top / div / final`` as a fastlr schedule, the last in-cycle value held (see OneCycleLR)."""
    init = top / div
    end = init / final
    e1 = float(pct * T) - 1
    e2 = float(2 * pct * T) - 2
    if e1 == 0.0 and (three or T == 1):
        raise ValueError(f"pct_start={pct} with total_steps={T}: the first phase has length 0 "
                         f"and torch divides by zero at step 0 (ZeroDivisionError)")
    if T == 1:
        # step 0 is the end of the last phase (pct = 1): the end rate; torch extrapolates after
        return fastlr.Constant(end)
    if not three:
        if pct == 0.0:
            # phase 1 ends at step -1: phase 2 runs from -1 to T - 1
            return _late_phase(top, div, final, -1.0, T, anneal)
        return fastlr.OneCycle(top, T, pct, anneal, div, final, False)
    if e1 < 0:
        # phases 1 and 2 end before step 0: only phase 3 (init -> end, from e2) is ever seen
        return _late_phase(init, 1.0, final, e2, T, anneal)
    if e2 < T - 1:
        return fastlr.OneCycle(top, T, pct, anneal, div, final, True)
    # phase 2 outlasts the cycle: steps 0 ... T - 1 are phases 1 and 2. Any total T* with
    # pct* T* = pct T has the same phase ends e1, e2; take one long enough for a phase 3.
    T2 = math.floor(e2) + 2
    pct2 = float(pct * T) / T2
    sched = fastlr.OneCycle(top, T2, pct2, anneal, div, final, True)
    # torch's last legal step is T; it is an in-phase value when T <= e2 (else extrapolated)
    last = T if T <= e2 else T - 1
    return fastlr.join([sched, fastlr.Constant(sched(last))], [last + 1])


def _late_phase(top: float, div: float, final: float, start: float, T: int,
                anneal: str) -> Schedule:
    """A two-phase cycle's second phase, ``top -> top / div / final``, running from the real step
    ``start`` (< 0) to ``T - 1``, ``top / div / final`` held after: the second phase of
    ``OneCycle(top, T + k, ...)`` whose first phase ends at ``start + k``, entered ``k`` steps in.
    """
    k = math.floor(-start) + 1
    pct = (start + k + 1) / (T + k)
    return fastlr.Shifted(fastlr.OneCycle(top, T + k, pct, anneal, div, final, False), k)


def _one_cycle_args(max_lr, total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy,
                    cycle_momentum, base_momentum, max_momentum, div_factor, final_div_factor,
                    three_phase):
    T = _one_cycle_total(total_steps, epochs, steps_per_epoch)
    if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
        raise ValueError(f"pct_start must be a float between 0 and 1 (torch's rule), got "
                         f"{pct_start!r}")
    anneal = check_choice(anneal_strategy, "anneal_strategy", ("cos", "linear"))
    top = check_rate(max_lr, "max_lr")
    div = check_real(div_factor, "div_factor", low=0.0, low_open=True)
    final = check_real(final_div_factor, "final_div_factor", low=0.0, low_open=True)
    three = check_bool(three_phase, "three_phase")
    check_bool(cycle_momentum, "cycle_momentum")
    base_m = check_rate(base_momentum, "base_momentum")
    max_m = check_rate(max_momentum, "max_momentum")
    return top, T, float(pct_start), anneal, div, final, three, base_m, max_m


def OneCycleLR(max_lr: float, total_steps: Optional[int] = None, epochs: Optional[int] = None,
               steps_per_epoch: Optional[int] = None, pct_start: float = 0.3,
               anneal_strategy: str = "cos", cycle_momentum: bool = True,
               base_momentum: float = 0.85, max_momentum: float = 0.95, div_factor: float = 25.0,
               final_div_factor: float = 1e4, three_phase: bool = False) -> Schedule:
    """torch ``OneCycleLR``'s lr (the optimizer's own rate is ignored, as in torch).

    ``T = total_steps`` or ``epochs * steps_per_epoch``; ``initial = max_lr / div_factor``,
    ``min = initial / final_div_factor``. Phases end at the real steps ``pct_start*T - 1`` and
    ``T - 1`` (two: initial -> max_lr -> min) or ``pct_start*T - 1``, ``2*pct_start*T - 2``,
    ``T - 1`` (three: initial -> max_lr -> initial -> min); each phase starts where the previous
    ended; within one, ``p = (t - start) / (end - start)`` and the value is
    ``b + (a - b)(1 + cos(pi p))/2`` ("cos") or ``a + (b - a) p`` ("linear").

    torch's rules: ``pct_start`` a float in [0, 1]; positive integer step counts. Where torch
    extrapolates (t = T: p > 1) or raises (t > T), fastlr holds the last in-cycle value (``min``
    from ``T - 1``; for a three-phase cycle whose second phase lasts past ``T - 1``, torch's
    in-phase value at ``T``). ``pct_start * T == 1``: torch divides by zero at step 0; the
    two-phase cycle is accepted with the intended ``max_lr`` at step 0 (the end of phase 1), the
    three-phase one raises ValueError (phases 1 and 2 both have length 0 there).
    Momentum: :func:`OneCycleMomentum`.
    """
    top, T, pct, anneal, div, final, three, _, _ = _one_cycle_args(
        max_lr, total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, cycle_momentum,
        base_momentum, max_momentum, div_factor, final_div_factor, three_phase)
    return _one_cycle(top, T, pct, anneal, div, final, three)


def OneCycleMomentum(max_lr: float = 1.0, total_steps: Optional[int] = None,
                     epochs: Optional[int] = None, steps_per_epoch: Optional[int] = None,
                     pct_start: float = 0.3, anneal_strategy: str = "cos",
                     cycle_momentum: bool = True, base_momentum: float = 0.85,
                     max_momentum: float = 0.95, div_factor: float = 25.0,
                     final_div_factor: float = 1e4, three_phase: bool = False) -> Schedule:
    """The momentum (SGD ``momentum``, Adam ``betas[0]``) torch ``OneCycleLR`` sets at each step —
    a second schedule, with the same arguments as :func:`OneCycleLR` (``max_lr``,
    ``div_factor`` and ``final_div_factor`` do not affect it).

    The same phases and the same ``p`` as the lr, with the rates ``max_momentum -> base_momentum
    -> max_momentum`` (two phases) or ``max_momentum -> base_momentum -> max_momentum ->
    max_momentum`` (three); held past the cycle like the lr. ``cycle_momentum=False`` raises
    ValueError (torch then leaves the momentum alone: it is the optimizer's constant).
    ``base_momentum`` and ``max_momentum`` must be > 0 (fastlr builds the cycle as a one-cycle
    schedule from ``max_momentum`` via ``base_momentum``).
    """
    top, T, pct, anneal, div, final, three, base_m, max_m = _one_cycle_args(
        max_lr, total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, cycle_momentum,
        base_momentum, max_momentum, div_factor, final_div_factor, three_phase)
    if not cycle_momentum:
        raise ValueError("cycle_momentum=False: torch does not cycle the momentum, it stays the "
                         "optimizer's own value")
    if base_m <= 0 or max_m <= 0:
        raise ValueError(f"base_momentum and max_momentum must be > 0 here, got "
                         f"base_momentum={base_momentum!r}, max_momentum={max_momentum!r}")
    # a one-cycle schedule "initial -> max -> (initial ->) min" with initial = min = max_momentum
    # and max = base_momentum: top = base_m, div = base_m / max_m (nudged so that top / div is
    # max_m exactly), final = 1
    d = base_m / max_m
    for _ in range(8):
        got = base_m / d
        if got == max_m:
            break
        d = math.nextafter(d, math.inf if got > max_m else -math.inf)
    return _one_cycle(base_m, T, pct, anneal, d, 1.0, three)


# ----------------------------------------------------------------------------- combinators

_OVERWRITING = ("CyclicLR", "OneCycleLR", "OneCycleMomentum", "CosineAnnealingWarmRestarts")
_NO_BASE = ("CyclicLR", "OneCycleLR", "OneCycleMomentum")


def _child(spec: Any, i: int, base_lr: Optional[float], what: str) -> Schedule:
    """A child scheduler: a fastlr schedule, or ``{"name": torch name, "kwargs": {...}}`` built
    here with the parent's ``base_lr``."""
    if isinstance(spec, Schedule):
        return spec
    if isinstance(spec, dict) and "name" in spec:
        name = spec["name"]
        if name not in __all__:
            raise ValueError(f"{what}[{i}]: unknown torch scheduler {name!r}")
        kw = dict(spec.get("kwargs") or {})
        if name not in _NO_BASE and "base_lr" not in kw:
            if base_lr is None:
                raise TypeError(f"{what}[{i}] ({name}) needs base_lr: pass base_lr= to the "
                                f"parent (the optimizer's lr every child starts from)")
            kw["base_lr"] = base_lr
        return globals()[name](**kw)
    raise TypeError(f"{what}[{i}] must be a fastlr schedule (from fastlr.compat.torch) or a "
                    f"{{'name': ..., 'kwargs': ...}} dict, got {spec!r}")


def SequentialLR(schedulers: Sequence[Any], milestones: Sequence[int], *,
                 base_lr: Optional[float] = None) -> Schedule:
    """torch ``SequentialLR``: child k runs from milestone ``k-1`` on, restarted at its own step 0.

    torch resets the lr to the base rate when built and, at each milestone, sets the next child's
    ``last_epoch = 0`` and its closed-form lr, so child k's value at t is its own value at the
    local step ``t - milestones[k-1]`` (a :func:`fastlr.join`), without torch's drift.

    ``schedulers``: fastlr schedules built by this module with the same ``base_lr`` (as torch's
    children share the optimizer), or ``{"name": ..., "kwargs": ...}`` dicts, built here with
    ``base_lr``. ``len(milestones) == len(schedulers) - 1`` (torch's rule); milestones must be
    non-decreasing (torch bisects them). A milestone <= 0 or repeated hands over before the child
    runs a step: that child is skipped, as in torch.
    """
    kids = check_sequence(schedulers, "schedulers", "schedulers")
    if len(kids) < 1:
        raise ValueError("SequentialLR expects at least one scheduler, got none")
    ms = [_int(m, f"milestones[{i}]")
          for i, m in enumerate(check_sequence(milestones, "milestones", "integers"))]
    if len(ms) != len(kids) - 1:
        raise ValueError(f"milestones must have len(schedulers) - 1 = {len(kids) - 1} entries, "
                         f"got {len(ms)}")
    if any(b < a for a, b in zip(ms, ms[1:])):
        raise ValueError(f"milestones must be non-decreasing (torch bisects them), got {ms}")
    B = None if base_lr is None else _base(base_lr)
    built = [_child(s, i, B, "schedulers") for i, s in enumerate(kids)]
    # child k is active on [max(ms[k-1], 0), ms[k]) with local step t - max(ms[k-1], 0)
    starts = [0] + [max(m, 0) for m in ms]
    ends = [max(m, 0) for m in ms] + [None]
    active = [(starts[k], built[k]) for k in range(len(built))
              if ends[k] is None or ends[k] > starts[k]]
    if len(active) == 1:
        return active[0][1]
    return fastlr.join([s for _, s in active], [b for b, _ in active[1:]])


def _kind(s: Schedule, spec: Any) -> str:
    """'overwrite' (closed form on its own base), 'affine', or 'factor' (multiplicative)."""
    if isinstance(spec, dict):
        if spec["name"] in _OVERWRITING:
            return "overwrite"
        if spec["name"] == "CosineAnnealingLR" and (spec.get("kwargs") or {}).get("eta_min"):
            return "affine"
        if spec["name"] in ("SequentialLR", "ChainedScheduler"):
            return "overwrite"  # nested combinators: not a plain factor
        return "factor"
    if isinstance(s, (fastlr.Triangular, fastlr.OneCycle, fastlr.WarmRestarts)):
        return "overwrite"
    if isinstance(s, (fastlr.Shifted, fastlr.Join)):
        inner = s.params.get("inner")
        if isinstance(inner, fastlr.OneCycle):
            return "overwrite"
        if isinstance(s, fastlr.Join) and isinstance(s.params["schedules"][0], fastlr.OneCycle):
            return "overwrite"
    if isinstance(s, fastlr.Cyclical) and s.params["min_lr"] != 0.0:
        return "affine"
    return "factor"


def ChainedScheduler(schedulers: Sequence[Any], *, base_lr: Optional[float] = None) -> Schedule:
    """torch ``ChainedScheduler``: every child steps on the same optimizer, each multiplying the lr
    by its own factor, so the value is ``base_lr * prod_k (child_k(t) / base_lr)`` — the product
    of the children's closed forms (:class:`fastlr.Product`).

    ``schedulers``: fastlr schedules from this module, all built with ``base_lr`` (required then:
    the product divides by it), or ``{"name": ..., "kwargs": ...}`` dicts built here with it.
    A child that overwrites the lr with its own closed form (CyclicLR, OneCycleLR,
    CosineAnnealingWarmRestarts) or is affine (CosineAnnealingLR with ``eta_min != 0``) breaks the
    product in torch: it is accepted as the last child (whose value is then the chain's: it
    overwrites what came before) or alone, and raises ValueError elsewhere.
    Deliberate difference: after a ``CosineAnnealingLR`` child's trough (t = T_max, 3 T_max, ...)
    torch re-enters it additively from ``base_lr``, losing the other children's factors so far;
    fastlr keeps the product.
    """
    kids = check_sequence(schedulers, "schedulers", "schedulers")
    if len(kids) < 1:
        raise ValueError("ChainedScheduler expects at least one scheduler, got none")
    B = None if base_lr is None else _base(base_lr)
    built = [_child(s, i, B, "schedulers") for i, s in enumerate(kids)]
    kinds = [_kind(s, k) for s, k in zip(built, kids)]
    if kinds[-1] != "factor":
        return built[-1]
    for i, k in enumerate(kinds):
        if k != "factor":
            why = ("overwrites the lr with its own closed form" if k == "overwrite"
                   else "is affine (eta_min != 0)")
            raise ValueError(
                f"schedulers[{i}] ({type(built[i]).__name__}) {why} before other children: "
                f"torch's chain is then not a product of the children; fastlr supports it only "
                f"as the last child")
    if len(built) == 1:
        return built[0]
    if B is None:
        raise TypeError("ChainedScheduler needs base_lr (the rate every child was built with): "
                        "the chain is base_lr * prod(child / base_lr)")
    if B == 0.0:
        return fastlr.Constant(0.0)
    prod = built[0]
    for s in built[1:]:
        prod = fastlr.Product(prod, s)
    return fastlr.Scaled(prod, B ** -(len(built) - 1))


# ----------------------------------------------------------------------------- not precomputable

def LambdaLR(lr_lambda: Any = None, *args: Any, **kwargs: Any) -> Schedule:
    """torch ``LambdaLR``: raises NotPrecomputable (the multiplier is an arbitrary Python callable;
    for the transformers schedules built on it see :mod:`fastlr.compat.transformers`)."""
    raise NotPrecomputable("LambdaLR: the lr is base_lr * lr_lambda(t) for an arbitrary Python "
                           "callable, which fastlr cannot turn into kernel segments; build the "
                           "schedule from fastlr classes (or fastlr.compat.transformers)")


def MultiplicativeLR(lr_lambda: Any = None, *args: Any, **kwargs: Any) -> Schedule:
    """torch ``MultiplicativeLR``: raises NotPrecomputable (each step's factor is an arbitrary
    Python callable)."""
    raise NotPrecomputable("MultiplicativeLR: each step multiplies the lr by lr_lambda(t), an "
                           "arbitrary Python callable, which fastlr cannot turn into kernel "
                           "segments")


def ReduceLROnPlateau(*args: Any, **kwargs: Any) -> Schedule:
    """torch ``ReduceLROnPlateau``: raises NotPrecomputable (driven by a validation metric)."""
    raise NotPrecomputable("ReduceLROnPlateau: the lr drops when a validation metric stops "
                           "improving, so it depends on training, not on the step alone")
