"""Schedule classes: validate parameters once, compile to a plan, expose fill/array/__call__.

Step convention (every schedule): the value at step ``t`` (t = 0, 1, 2, ...) is the learning rate of
the (t+1)-th optimizer update, as in torch, optax, keras and timm. Steps are 64-bit: any integer in
[0, 2**63 - 1] is a valid step.
"""
from __future__ import annotations

import math
from typing import Any, Tuple

from fastlr import plan
from fastlr.base import Schedule
from fastlr.validate import (
    INT64_MAX,
    check_bool,
    check_choice,
    check_increasing,
    check_power_product,
    check_rate,
    check_rate_list,
    check_real,
    check_step_list,
    check_steps,
)

__all__ = [
    "Schedule",
    "StepDecay",
    "ExponentialDecay",
    "CosineAnnealing",
    "Warmup",
    "Cyclical",
    "TanhDecay",
    "Constant",
    "MultiStep",
    "PiecewiseConstant",
    "Linear",
    "Polynomial",
    "CyclicPolynomial",
    "InverseSqrt",
    "InversePower",
    "InverseTime",
    "OneCycle",
    "Triangular",
    "WarmRestarts",
    "CosineRestarts",
    "PolynomialRestarts",
    "WarmupStableDecay",
]

# ================================================================================ the five seed schedules


class StepDecay(Schedule):
    r"""Step decay: ``lr * gamma ** floor(t / step_size)``.

    The rate drops by the factor ``gamma`` every ``step_size`` steps (torch ``StepLR``; optax
    ``exponential_decay(staircase=True)`` with ``transition_steps=step_size``). There is no horizon:
    the formula holds for every step ``t >= 0``.

    Parameters
    ----------
    lr : float
        The rate of steps ``0 … step_size-1``; finite, >= 0.
    gamma : float
        The factor per drop; finite, > 0 (values > 1 grow and may overflow to inf far out).
    step_size : int
        Steps per plateau; >= 1.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("lr", "rate"), ("gamma", "real"), ("step_size", "steps"))
    _aliases = ("step", "step_decay", "steplr")

    def __init__(self, lr: float, gamma: float, step_size: int) -> None:
        self._init(lr=check_rate(lr, "lr"),
                   gamma=check_real(gamma, "gamma", low=0.0, low_open=True),
                   step_size=check_steps(step_size, "step_size"))

    def segments(self) -> list:
        p = self._params
        return [plan.geometric_plateaus(p["lr"], p["gamma"], p["step_size"])]


class ExponentialDecay(Schedule):
    r"""Exponential decay (or growth): ``lr * exp(-decay_rate * t)``, optionally clipped at
    ``end_lr``.

    ``decay_rate`` is the continuous rate per step (torch ``ExponentialLR(gamma)`` is
    ``decay_rate = -log(gamma)``; optax's ``decay_rate`` r per ``transition_steps`` T is
    ``-log(r) / T``). Without ``end_lr`` there is no horizon: the formula holds for every step and
    values underflow to 0.0 only where ``lr * exp(-decay_rate * t)`` itself leaves the double
    range (a huge lr decays, a tiny one grows, without a spurious overflow of ``exp`` alone).

    ``end_lr`` clips: a floor when ``decay_rate >= 0`` (``max(formula, end_lr)``), a cap when
    growing (``min(formula, end_lr)``). From the first step at which the computed formula reaches
    ``end_lr``, the value is exactly ``end_lr``. A negative ``decay_rate`` (growth) needs an
    ``end_lr``: the formula alone overflows.

    Parameters
    ----------
    lr : float
        The rate at step 0; finite, >= 0.
    decay_rate : float
        Finite; > 0 decays, 0 is a constant, < 0 grows (then ``end_lr`` is required).
    end_lr : float or None, default None
        Finite, >= 0.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("lr", "rate"), ("decay_rate", "real"), ("end_lr", "rate?"))
    _aliases = ("exponential", "exp", "exponential_decay")

    def __init__(self, lr: float, decay_rate: float, end_lr: float | None = None) -> None:
        rate = check_real(decay_rate, "decay_rate")
        end = None if end_lr is None else check_rate(end_lr, "end_lr")
        if rate < 0 and end is None:
            raise ValueError(f"decay_rate={decay_rate!r} < 0 grows without bound: pass end_lr, "
                             f"the cap")
        self._init(lr=check_rate(lr, "lr"), decay_rate=rate, end_lr=end)

    def clip_step(self) -> int | None:
        """The first step whose value is ``end_lr`` (the computed formula reached it), or None
        if it never does below 2**63."""
        p = self._params
        lr, r, end = p["lr"], p["decay_rate"], p["end_lr"]
        if end is None:
            return None
        if (r >= 0 and lr <= end) or (r < 0 and lr >= end):
            return 0  # clipped from the start: a floor above lr, or a cap below it
        if r == 0 or lr == 0 or end == 0:
            return None  # a constant; or a decay that reaches 0 by underflow, as the formula does
        guess = (math.log(lr) - math.log(end)) / r  # > 0 (lr / end may under- or overflow)
        if guess > INT64_MAX:
            return None
        free = plan.compile_plan([plan.exponential(lr, r)])
        past = (lambda v: v <= end) if r > 0 else (lambda v: v >= end)
        t = max(0, int(guess) - 2)
        while t > 0 and past(free.value(t)):
            t = max(0, t - 8)
        while t <= INT64_MAX and not past(free.value(t)):
            t += 1
        return t if t <= INT64_MAX else None

    def segments(self) -> list:
        p = self._params
        if p["lr"] == 0.0 and p["decay_rate"] < 0:
            return [plan.const(0.0)]   # min(0 exp(-r t), end_lr) = 0 (the formula: 0 * inf = nan)
        t = self.clip_step()
        if t is None:
            return [plan.exponential(p["lr"], p["decay_rate"])]
        return [plan.exponential(p["lr"], p["decay_rate"], length=t), plan.const(p["end_lr"])]


class CosineAnnealing(Schedule):
    r"""Cosine annealing from ``max_lr`` to ``min_lr`` over ``total_steps`` steps.

    ``min_lr + ½ (max_lr - min_lr) (1 + cos(π t / total_steps))`` for ``0 <= t < total_steps``,
    and ``min_lr`` for ``t >= total_steps`` (the formula's own value at ``t = total_steps``, held).
    Evaluated as ``min_lr + (max_lr - min_lr) cos²(π t / (2 total_steps))``, which does not cancel
    near the floor. Same values as torch ``CosineAnnealingLR(T_max=total_steps, eta_min=min_lr)``
    for ``t <= T_max`` and optax ``cosine_decay_schedule``.

    Two generalisations (both 1 by default, the plain cosine):
    ``exponent`` p raises the cosine factor to a power (optax ``cosine_decay_schedule(exponent)``):
    ``min_lr + (max_lr - min_lr) cos²(π t / 2T)**p``; ``k_decay`` k warps the step (timm's
    ``k_decay``): ``min_lr + (max_lr - min_lr) cos²(π t**k / (2 T**k))``. Either costs a ``pow``
    and a ``cos`` per step (the plain cosine runs on rotation tables at memory speed).

    Parameters
    ----------
    max_lr : float
        The rate at step 0; finite, >= 0.
    total_steps : int
        The horizon T; >= 1.
    min_lr : float, default 0.0
        The floor; finite, >= 0.
    exponent : float, default 1.0
        p > 0, finite.
    k_decay : float, default 1.0
        k > 0, finite.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("max_lr", "rate"), ("total_steps", "steps"), ("min_lr", "rate"),
               ("exponent", "real"), ("k_decay", "real"))
    _aliases = ("cosine", "cosine_annealing", "cosine_decay", "cos")

    def __init__(self, max_lr: float, total_steps: int, min_lr: float = 0.0,
                 exponent: float = 1.0, k_decay: float = 1.0) -> None:
        self._init(max_lr=check_rate(max_lr, "max_lr"),
                   total_steps=check_steps(total_steps, "total_steps"),
                   min_lr=check_rate(min_lr, "min_lr"),
                   exponent=check_real(exponent, "exponent", low=0.0, low_open=True),
                   k_decay=check_real(k_decay, "k_decay", low=0.0, low_open=True))

    def segments(self) -> list:
        p = self._params
        hi, lo, T, e, k = p["max_lr"], p["min_lr"], p["total_steps"], p["exponent"], p["k_decay"]
        if e == 1.0 and k == 1.0:
            return [plan.cos2(lo, hi, T, length=T), plan.const(lo)]
        return [plan.cosine_shape(lo, hi - lo, float(T), k=k, p=e, length=T), plan.const(lo)]


class TanhDecay(Schedule):
    r"""Hyperbolic-tangent decay (timm ``TanhLRScheduler``, one cycle) from about ``max_lr`` to
    about ``min_lr`` over ``total_steps`` steps.

    ``min_lr + ½ (max_lr - min_lr) (1 - tanh(lower + (upper - lower) t / T))`` for ``t < T``,
    and ``min_lr`` for ``t >= T`` (as timm: the cycle ends at the floor). Evaluated as
    ``min_lr + (max_lr - min_lr) / (1 + exp(2 x))``, which does not cancel for large x. With the
    default bounds the value at step 0 is ``max_lr`` to 6e-6 relative (tanh(-6)).

    Parameters
    ----------
    max_lr, min_lr : float
        Finite, >= 0.
    total_steps : int
        T >= 1.
    lower, upper : float, default -6.0 and 4.0
        The tanh argument at t = 0 and t = T; finite, lower < upper.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("max_lr", "rate"), ("total_steps", "steps"), ("min_lr", "rate"),
               ("lower", "real"), ("upper", "real"))
    _aliases = ("tanh", "tanh_decay")

    def __init__(self, max_lr: float, total_steps: int, min_lr: float = 0.0,
                 lower: float = -6.0, upper: float = 4.0) -> None:
        lb, ub = check_real(lower, "lower"), check_real(upper, "upper")
        if not lb < ub:
            raise ValueError(f"lower must be < upper, got lower={lower!r}, upper={upper!r}")
        self._init(max_lr=check_rate(max_lr, "max_lr"),
                   total_steps=check_steps(total_steps, "total_steps"),
                   min_lr=check_rate(min_lr, "min_lr"), lower=lb, upper=ub)

    def segments(self) -> list:
        p = self._params
        hi, lo, T = p["max_lr"], p["min_lr"], p["total_steps"]
        dx = (p["upper"] - p["lower"]) / T
        return [plan.tanh_decay(lo, hi - lo, p["lower"], dx, length=T), plan.const(lo)]


class Warmup(Schedule):
    r"""Linear warmup: ``init_lr + (max_lr - init_lr) * min(1, t / warmup_steps)``.

    With ``init_lr = 0`` this is the seed's ``max_lr * min(1, t / warmup_steps)``: step 0 trains
    at ``init_lr`` and step ``warmup_steps`` is the first at ``max_lr``, which is then held
    forever. ``warmup_steps = 0`` means ``max_lr`` from step 0.

    Parameters
    ----------
    max_lr : float
        The rate reached at ``t = warmup_steps`` and held after; finite, >= 0.
    warmup_steps : int
        Length of the ramp; >= 0.
    init_lr : float, default 0.0
        The rate at step 0; finite, >= 0.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("max_lr", "rate"), ("warmup_steps", "steps"), ("init_lr", "rate"))
    _aliases = ("warmup", "linear_warmup")

    def __init__(self, max_lr: float, warmup_steps: int, init_lr: float = 0.0) -> None:
        self._init(max_lr=check_rate(max_lr, "max_lr"),
                   warmup_steps=check_steps(warmup_steps, "warmup_steps", minimum=0),
                   init_lr=check_rate(init_lr, "init_lr"))

    def segments(self) -> list:
        p = self._params
        hi, lo, W = p["max_lr"], p["init_lr"], p["warmup_steps"]
        ramp = [plan.ramp(lo, hi, W, length=W)] if W > 0 else []
        return ramp + [plan.const(hi)]


class Cyclical(Schedule):
    r"""Cosine cyclical rate: ``min_lr + ½ (max_lr - min_lr) (1 + cos(π t / cycle_steps))``.

    Periodic by nature, with no horizon: it falls from ``max_lr`` (t = 0) to ``min_lr``
    (t = cycle_steps) and climbs back to ``max_lr`` at every multiple of ``2 * cycle_steps``. The
    phase ``t mod 2 cycle_steps`` is reduced with exact integer arithmetic, so values at steps
    beyond 2**53 are as exact as at step 0.

    Parameters
    ----------
    max_lr : float
        The rate at the top of each cycle; finite, >= 0.
    cycle_steps : int
        Half-period; 1 <= cycle_steps <= (2**63 - 1) // 2.
    min_lr : float, default 0.0
        The rate at the bottom; finite, >= 0.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("max_lr", "rate"), ("cycle_steps", "steps"), ("min_lr", "rate"))
    _aliases = ("cyclical", "cyclic", "cyclical_cosine")

    def __init__(self, max_lr: float, cycle_steps: int, min_lr: float = 0.0) -> None:
        self._init(max_lr=check_rate(max_lr, "max_lr"),
                   cycle_steps=check_steps(cycle_steps, "cycle_steps", maximum=INT64_MAX // 2),
                   min_lr=check_rate(min_lr, "min_lr"))

    def segments(self) -> list:
        p = self._params
        hi, lo = p["max_lr"], p["min_lr"]
        T = p["cycle_steps"]
        return [plan.cos2(lo, hi, T, period=2 * T)]



# ================================================================================ the catalogue


class Constant(Schedule):
    """A constant rate: ``lr`` at every step.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("lr", "rate"),)
    _aliases = ("constant", "const")

    def __init__(self, lr: float) -> None:
        self._init(lr=check_rate(lr, "lr"))

    def segments(self) -> list:
        return [plan.const(self._params["lr"])]


class MultiStep(Schedule):
    """``lr * gamma ** (number of milestones <= t)`` (torch ``MultiStepLR``).

    Milestones may be given in any order; a repeated milestone counts as often as it appears (as in
    torch). A milestone at 0 applies from step 0. Stored sorted.

    Parameters
    ----------
    lr : float
        The rate before the first milestone; finite, >= 0.
    milestones : sequence of int
        Steps (>= 0) at which the rate is multiplied by ``gamma``.
    gamma : float
        Finite, > 0; ``lr * gamma ** len(milestones)`` must be finite (a ValueError naming gamma
        otherwise).

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("lr", "rate"), ("milestones", "steps_list"), ("gamma", "real"))
    _aliases = ("multistep", "multi_step", "multisteplr")

    def __init__(self, lr: float, milestones: Any, gamma: float = 0.1) -> None:
        self._init(lr=check_rate(lr, "lr"),
                   milestones=tuple(sorted(check_step_list(milestones, "milestones"))),
                   gamma=check_real(gamma, "gamma", low=0.0, low_open=True))

    def segments(self) -> list:
        p = self._params
        ms = p["milestones"]
        segs, prev = [], 0
        for k, m in enumerate(ms):
            segs.append(plan.const(self._rate(k), length=m - prev))
            prev = m
        return segs + [plan.const(self._rate(len(ms)))]

    def _rate(self, k: int) -> float:
        p = self._params
        return check_power_product(p["lr"], p["gamma"], k,
                                   f"MultiStep gamma={p['gamma']!r} after {k} milestones")


class PiecewiseConstant(Schedule):
    """``values[k]`` on ``[boundaries[k-1], boundaries[k])`` (with boundaries[-1] = 0), and
    ``values[-1]`` from ``boundaries[-1]`` on.

    Parameters
    ----------
    boundaries : sequence of int
        Strictly increasing steps >= 1.
    values : sequence of float
        ``len(boundaries) + 1`` rates, finite and >= 0.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("boundaries", "steps_list"), ("values", "rate_list"))
    _aliases = ("piecewise_constant", "piecewise")

    def __init__(self, boundaries: Any, values: Any) -> None:
        b = check_step_list(boundaries, "boundaries", minimum=1)
        check_increasing(b, "boundaries")
        v = check_rate_list(values, "values")
        if len(v) != len(b) + 1:
            raise ValueError(f"values must have len(boundaries) + 1 = {len(b) + 1} entries, "
                             f"got {len(v)}")
        self._init(boundaries=b, values=v)

    def segments(self) -> list:
        b, v = self._params["boundaries"], self._params["values"]
        starts = (0,) + b
        segs = [plan.const(v[k], length=starts[k + 1] - starts[k]) for k in range(len(b))]
        return segs + [plan.const(v[-1])]


class Linear(Schedule):
    """Linear from ``start_lr`` (t = 0) to ``end_lr`` (t = total_steps), then ``end_lr`` held:
    ``start_lr + (end_lr - start_lr) * min(t, T) / T`` (torch ``LinearLR`` with absolute rates,
    optax ``linear_schedule``).

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("start_lr", "rate"), ("end_lr", "rate"), ("total_steps", "steps"))
    _aliases = ("linear",)

    def __init__(self, start_lr: float, end_lr: float, total_steps: int) -> None:
        self._init(start_lr=check_rate(start_lr, "start_lr"), end_lr=check_rate(end_lr, "end_lr"),
                   total_steps=check_steps(total_steps, "total_steps"))

    def segments(self) -> list:
        p = self._params
        a, b, T = p["start_lr"], p["end_lr"], p["total_steps"]
        return [plan.ramp(a, b, T, length=T), plan.const(b)]


class Polynomial(Schedule):
    """Polynomial decay: ``(init_lr - end_lr) * (1 - min(t, T) / T) ** power + end_lr``
    (optax ``polynomial_schedule``, torch ``PolynomialLR`` with ``end_lr = 0``); ``end_lr`` from
    ``t = T`` on. ``1 - t/T`` is formed as ``(T - t) / T`` from exact integers, so fractional
    powers stay accurate near the end. Powers 1, 2 and 0.5 are a multiply or a ``sqrt`` per step;
    any other power up to 257 runs on an anchored binomial series (a ``pow`` per 64 to 4096
    steps, denser anchors for powers of 7 and more), larger ones on a ``pow`` per step.

    Parameters
    ----------
    init_lr, end_lr : float
        Finite, >= 0.
    total_steps : int
        T >= 1.
    power : float
        Finite, >= 0 (1: linear, 2: quadratic, 0.5: square root...).
    k_decay : float, default 1.0
        k > 0: timm's k-decay, ``(init_lr - end_lr) * (1 - t**k / T**k) ** power + end_lr``
        (a ``pow`` per step when k != 1).

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("init_lr", "rate"), ("end_lr", "rate"), ("total_steps", "steps"),
               ("power", "real"), ("k_decay", "real"))
    _aliases = ("polynomial", "poly")

    def __init__(self, init_lr: float, end_lr: float, total_steps: int, power: float = 1.0,
                 k_decay: float = 1.0) -> None:
        self._init(init_lr=check_rate(init_lr, "init_lr"), end_lr=check_rate(end_lr, "end_lr"),
                   total_steps=check_steps(total_steps, "total_steps"),
                   power=check_real(power, "power", low=0.0),
                   k_decay=check_real(k_decay, "k_decay", low=0.0, low_open=True))

    def segments(self) -> list:
        p = self._params
        a, b, T, k = p["init_lr"], p["end_lr"], p["total_steps"], p["k_decay"]
        if k == 1.0:
            return [plan.poly(b, a - b, T, p["power"], reverse=True, length=T), plan.const(b)]
        return [plan.poly_shape(b, a - b, float(T), k=k, p=p["power"], length=T), plan.const(b)]


class CyclicPolynomial(Schedule):
    """Cyclic polynomial decay (keras ``PolynomialDecay(cycle=True)``, TensorFlow
    ``tf.compat.v1.train.polynomial_decay(cycle=True)``): each cycle decays over a horizon one
    ``decay_steps`` longer than the last::

        D' = decay_steps * max(1, ceil(t / decay_steps))
        (init_lr - end_lr) * (1 - t / D') ** power + end_lr

    Cycle ``k`` (k = 1, 2, ...) covers the steps ``(k-1)·D < t <= k·D`` (and ``t = 0``): it
    starts at ``end_lr + (init_lr - end_lr)·((D - 1)/(k·D))**power`` just after the previous
    cycle's end (about ``1/k**power`` of the way back up) and reaches ``end_lr`` exactly at
    ``t = k·D``. ``init_lr`` only at ``t = 0``.
    ``1 - t/D'`` is formed as ``(k·D - t) / (k·D)`` from the exact integer ``k·D - t`` (never
    forming ``k·D`` as an integer, which may pass 2**63), so fractional powers stay accurate
    next to every cycle's end. ``end_lr > init_lr`` (a cyclic rise) is allowed.

    Parameters
    ----------
    init_lr, end_lr : float
        Finite, >= 0.
    decay_steps : int
        D >= 1 (D = 1: ``init_lr`` at t = 0, ``end_lr`` from t = 1 on).
    power : float, default 1.0
        Finite, >= 0 (0: ``init_lr`` everywhere, as ``0**0 = 1``). Integer powers up to 16 are
        products, 0.5 a square root, others ``pow``.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("init_lr", "rate"), ("end_lr", "rate"), ("decay_steps", "steps"),
               ("power", "real"))
    _aliases = ("cyclic_polynomial", "cyclic_poly", "polynomial_cycle")

    def __init__(self, init_lr: float, end_lr: float, decay_steps: int,
                 power: float = 1.0) -> None:
        self._init(init_lr=check_rate(init_lr, "init_lr"), end_lr=check_rate(end_lr, "end_lr"),
                   decay_steps=check_steps(decay_steps, "decay_steps"),
                   power=check_real(power, "power", low=0.0))

    def segments(self) -> list:
        p = self._params
        a, b = p["init_lr"], p["end_lr"]
        return [plan.cyclic_poly(b, a - b, p["decay_steps"], p["power"])]


class InverseSqrt(Schedule):
    """Inverse square root: ``lr * sqrt(warmup_steps / max(t, warmup_steps))`` — ``lr`` for
    ``t < warmup_steps``, then decaying as ``1/sqrt(t)`` (the Transformer/fairseq decay; put a
    ramp in front with :func:`fastlr.with_warmup` or a join).

    Parameters
    ----------
    lr : float
        Finite, >= 0.
    warmup_steps : int
        >= 1.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("lr", "rate"), ("warmup_steps", "steps"))
    _aliases = ("inverse_sqrt", "rsqrt", "invsqrt")

    def __init__(self, lr: float, warmup_steps: int) -> None:
        self._init(lr=check_rate(lr, "lr"), warmup_steps=check_steps(warmup_steps, "warmup_steps"))

    def segments(self) -> list:
        lr, W = self._params["lr"], self._params["warmup_steps"]
        # lr * (t / W) ** -0.5 for t >= W, on the local step t (offset W)
        return [plan.const(lr, length=W),
                plan.power_law(0.0, lr, 0, float(W), -0.5, reverse=False, offset=W)]


class InversePower(Schedule):
    """Inverse power law: ``lr * (1 + t / timescale) ** -power`` — ``lr`` at t = 0, then decaying
    as ``t**-power`` (timm WSD's ``stable_fn="power"``; ``power = 0.5`` is the "rsqrt" schedule of
    Big Vision with a real timescale). No horizon (``power == 0`` or ``lr == 0``: a constant).

    Any ``timescale`` below 2**53 runs on the power-law kernel of :class:`InverseSqrt`:
    ``(u / τ)**-power`` with ``u = (t + N) + f``, ``N = floor(τ)`` and ``f = τ - N`` (exact), an
    anchored binomial series (no ``pow`` per step, ~0.8 ns/value; powers 2 ... 252 on a
    denser grid of anchors, ~1.2 ns/value); ``u`` is exact for a whole timescale and one rounding
    from exact otherwise. A timescale of 2**53 or more, and the last N
    steps below 2**63, are computed as ``lr * y**power`` with ``y = 1 / (1 + t / timescale)``, one
    ``pow`` per step (~24 ns/value). The error is about ``power`` ulps of the value either way,
    within the 1e-13 x peak contract for powers up to a few hundred.

    Parameters
    ----------
    lr : float
        The rate at step 0; finite, >= 0.
    timescale : float
        τ > 0 (real: need not be an integer), with ``1 / timescale`` finite.
    power : float
        Finite, >= 0.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("lr", "rate"), ("timescale", "real"), ("power", "real"))
    _aliases = ("inverse_power", "invpow", "power_law")

    def __init__(self, lr: float, timescale: float, power: float = 0.5) -> None:
        tau = check_real(timescale, "timescale", low=0.0, low_open=True)
        if not math.isfinite(1.0 / tau):
            raise ValueError(f"timescale must have a finite reciprocal (>= 5.6e-309), got "
                             f"{timescale!r}")
        self._init(lr=check_rate(lr, "lr"), timescale=tau,
                   power=check_real(power, "power", low=0.0))

    def segments(self) -> list:
        p = self._params
        lr, tau, e = p["lr"], p["timescale"], p["power"]
        if lr == 0.0 or e == 0.0:
            return [plan.const(lr)]
        # lr * pow(1 / (1 + t / tau), power): a power row under a product carrying lr (scalable)
        y = plan.combine(plan.Op.OP_POWER, [plan.inverse_time(1.0, 1.0 / tau)], [plan.const(e)])
        slow = plan.product([plan.const(lr)], [y])
        if tau >= 2**53:
            return [slow]
        # lr * ((t + tau) / tau)**-power is the POLY power law on u = (t + N) + f, N = floor(tau),
        # f = tau - N exactly (anchored series, no pow per step) up to the step where t + N would
        # pass 2**63 - 1; the last N steps keep the pow form
        whole = math.floor(tau)
        if whole == 0:
            return [plan.power_law(0.0, lr, 0, tau, -e, reverse=False, frac=tau)]
        n = INT64_MAX + 1 - whole
        return [plan.power_law(0.0, lr, 0, tau, -e, reverse=False, offset=whole,
                               frac=tau - whole, length=n),
                slow._replace(offset=n)]


class InverseTime(Schedule):
    """Inverse time decay: ``lr / (1 + decay_rate * t / decay_steps)``; with ``staircase``,
    ``t / decay_steps`` is floored (keras ``InverseTimeDecay``). No horizon.

    Parameters
    ----------
    lr : float
        Finite, >= 0.
    decay_rate : float
        Finite, >= 0.
    decay_steps : int
        >= 1.
    staircase : bool, default False

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("lr", "rate"), ("decay_rate", "real"), ("decay_steps", "steps"),
               ("staircase", "bool"))
    _aliases = ("inverse_time", "invtime")

    def __init__(self, lr: float, decay_rate: float, decay_steps: int,
                 staircase: bool = False) -> None:
        self._init(lr=check_rate(lr, "lr"), decay_rate=check_real(decay_rate, "decay_rate", low=0.0),
                   decay_steps=check_steps(decay_steps, "decay_steps"),
                   staircase=check_bool(staircase, "staircase"))

    def segments(self) -> list:
        p = self._params
        if p["staircase"]:
            return [plan.inverse_time_plateaus(p["lr"], p["decay_rate"], p["decay_steps"])]
        return [plan.inverse_time(p["lr"], p["decay_rate"] / p["decay_steps"])]


class OneCycle(Schedule):
    """The one-cycle policy, step for step as torch ``OneCycleLR`` (with ``cycle_momentum`` aside).

    ``initial_lr = max_lr / div_factor`` and ``min_lr = initial_lr / final_div_factor``. The phase
    ends are torch's (real numbers): two phases end at ``pct_start*T - 1`` and ``T - 1``; three
    phases at ``pct_start*T - 1``, ``2*pct_start*T - 2`` and ``T - 1``. Step ``t`` belongs to the
    first phase whose end is ``>= t``; within a phase running from ``s`` to ``e`` (the previous end,
    or 0) with rates ``a -> b``, ``pct = (t - s) / (e - s)`` and the value is
    ``b + (a - b) * (1 + cos(pi pct)) / 2`` (``anneal="cos"``) or ``a + (b - a) * pct``
    (``anneal="linear"``). Phases: ``initial -> max -> min`` (two) or
    ``initial -> max -> initial -> min`` (three).

    Where the peak and the end fall: ``max_lr`` is reached exactly at step ``pct_start*T - 1``
    when that is an integer (e.g. T = 1000, pct_start = 0.3: step 299); otherwise the largest
    value is at its floor or ceiling. The last step of the cycle, ``T - 1``, has exactly the value
    ``min_lr``, which is held for every later step (torch extrapolates the last phase at step T
    and raises after it).

    Parameters
    ----------
    max_lr : float
        Finite, >= 0.
    total_steps : int
        T >= 2.
    pct_start : float, default 0.3
        In (0, 1]. The first phase may end at or before step 0 (``pct_start * T <= 1``: step 0 is
        then on the way down, or exactly ``max_lr`` when ``pct_start * T == 1``, where torch
        divides by zero); every later phase must be longer than 0 steps.
    anneal : {"cos", "linear"}
    div_factor, final_div_factor : float
        Finite, > 0, and small enough that ``initial_lr`` and ``min_lr`` stay finite.
    three_phase : bool, default False

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("max_lr", "rate"), ("total_steps", "steps"), ("pct_start", "real"),
               ("anneal", "choice"), ("div_factor", "real"), ("final_div_factor", "real"),
               ("three_phase", "bool"))
    _aliases = ("one_cycle", "onecycle", "onecyclelr")

    def __init__(self, max_lr: float, total_steps: int, pct_start: float = 0.3,
                 anneal: str = "cos", div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False) -> None:
        params = dict(
            max_lr=check_rate(max_lr, "max_lr"),
            total_steps=check_steps(total_steps, "total_steps", minimum=2),
            pct_start=check_real(pct_start, "pct_start", low=0.0, low_open=True, high=1.0),
            anneal=check_choice(anneal, "anneal", ("cos", "linear")),
            div_factor=check_real(div_factor, "div_factor", low=0.0, low_open=True),
            final_div_factor=check_real(final_div_factor, "final_div_factor", low=0.0, low_open=True),
            three_phase=check_bool(three_phase, "three_phase"),
        )
        object.__setattr__(self, "_params", params)
        if not math.isfinite(self.initial_lr):
            raise ValueError(f"div_factor={div_factor!r} is too small for max_lr={max_lr!r}: "
                             f"initial_lr = max_lr / div_factor overflows the float64 range")
        if not math.isfinite(self.min_lr):
            raise ValueError(f"final_div_factor={final_div_factor!r} is too small: min_lr = "
                             f"max_lr / div_factor / final_div_factor = {self.initial_lr!r} / "
                             f"{final_div_factor!r} overflows the float64 range")
        ends = self.phase_ends
        prev = 0.0
        for k, e in enumerate(ends):
            # the first phase may end at or before step 0 (pct_start * T <= 1, as torch allows):
            # it then holds no step (or only step 0, at max_lr); later phases must be longer
            if not (e > prev or (k == 0 and e <= 0)):
                raise ValueError(
                    f"pct_start={pct_start} with total_steps={total_steps} gives phase {k + 1} "
                    f"an empty span (it would end at step {e} after {prev}); raise total_steps or "
                    f"change pct_start")
            prev = e
        self._init(**params)

    @property
    def initial_lr(self) -> float:
        """``max_lr / div_factor``: the rate at step 0."""
        return self._params["max_lr"] / self._params["div_factor"]

    @property
    def min_lr(self) -> float:
        """``initial_lr / final_div_factor``: the rate at step ``total_steps - 1`` and after."""
        return self.initial_lr / self._params["final_div_factor"]

    @property
    def phase_ends(self) -> Tuple[float, ...]:
        """torch's (real) last step of each phase."""
        p = self._params
        T, pct = p["total_steps"], p["pct_start"]
        if p["three_phase"]:
            return (float(pct * T) - 1, float(2 * pct * T) - 2, float(T - 1))
        return (float(pct * T) - 1, float(T - 1))

    def segments(self) -> list:
        p = self._params
        hi, lo0, lo = p["max_lr"], self.initial_lr, self.min_lr
        rates = (lo0, hi, lo0, lo) if p["three_phase"] else (lo0, hi, lo)
        segs, start, first = [], 0.0, 0
        for k, end in enumerate(self.phase_ends):
            last = math.floor(end)  # the phase covers integer steps first ... last
            a, b = rates[k], rates[k + 1]
            span = end - start
            frac = first - start  # pct = (tau + frac) / span for the local step tau
            n = last - first + 1
            if k == len(self.phase_ends) - 1:
                n -= 1  # step T - 1 is pct = 1 exactly: min_lr, from the constant segment below
            if span <= 0:
                # a first phase ending at step 0 (pct_start * T == 1): torch divides 0 by 0 there;
                # the intended value is the phase's end, max_lr (none if it ended before 0)
                segs.append(plan.const(b, length=n))
            elif p["anneal"] == "cos":
                segs.append(plan.cos2(b, a, span, offset=frac, length=n))
            else:
                segs.append(plan.ramp(a, b, span, length=n, offset=frac))
            start, first = end, last + 1
        return segs + [plan.const(lo)]


class Triangular(Schedule):
    """Smith's cyclical learning rate (torch ``CyclicLR``), with exact integer phases.

    A cycle lasts ``step_size_up + step_size_down`` steps. With ``p = t mod cycle`` and
    ``c = t div cycle``: ``frac = p / step_size_up`` for ``p <= step_size_up`` (the top at
    ``p = step_size_up``) and ``(cycle - p) / step_size_down`` after; the value is
    ``base_lr + (max_lr - base_lr) * frac * scale`` with ``scale = 1`` (``"triangular"``),
    ``0.5 ** c`` (``"triangular2"``) or ``gamma ** t`` (``"exp_range"``). Periodic, no horizon.

    Parameters
    ----------
    base_lr, max_lr : float
        Finite, >= 0.
    step_size_up : int
        >= 1.
    step_size_down : int or None
        >= 1; ``None`` means ``step_size_up``. The cycle must be shorter than 2**52 steps.
    mode : {"triangular", "triangular2", "exp_range"}
    gamma : float, default 1.0
        Finite, > 0; used by ``"exp_range"`` only, where it must be <= 1 (the cycle shrinks by
        ``gamma**t``; a gamma above 1 grows without bound, to inf and NaN).

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("base_lr", "rate"), ("max_lr", "rate"), ("step_size_up", "steps"),
               ("step_size_down", "steps?"), ("mode", "choice"), ("gamma", "real"))
    _aliases = ("triangular", "cycliclr", "clr")
    _MODES = ("triangular", "triangular2", "exp_range")

    def __init__(self, base_lr: float, max_lr: float, step_size_up: int,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0) -> None:
        if mode == "exp_range" and check_real(gamma, "gamma", low=0.0, low_open=True) > 1.0:
            raise ValueError(f"gamma must be <= 1 with mode='exp_range' (the cycle is scaled by "
                             f"gamma**t, which grows without bound for gamma > 1), got {gamma!r}")
        up = check_steps(step_size_up, "step_size_up", maximum=2**51)
        down = up if step_size_down is None else check_steps(step_size_down, "step_size_down",
                                                             maximum=2**51)
        self._init(base_lr=check_rate(base_lr, "base_lr"), max_lr=check_rate(max_lr, "max_lr"),
                   step_size_up=up, step_size_down=down,
                   mode=check_choice(mode, "mode", self._MODES),
                   gamma=check_real(gamma, "gamma", low=0.0, low_open=True))

    def segments(self) -> list:
        p = self._params
        return [plan.triangular(p["base_lr"], p["max_lr"] - p["base_lr"], p["step_size_up"],
                                 p["step_size_down"], self._MODES.index(p["mode"]), p["gamma"])]


class WarmRestarts(Schedule):
    """SGDR: cosine annealing with warm restarts (torch ``CosineAnnealingWarmRestarts``, timm
    ``CosineLRScheduler`` with ``cycle_mul``/``cycle_decay``/``cycle_limit``).

    Cycle ``k`` (k = 0, 1, ...) lasts ``L_k = floor(first_cycle_steps * cycle_mult**k)`` steps,
    computed with exact integer/rational arithmetic on the binary value of ``cycle_mult`` (so for an
    integer ``cycle_mult`` the restarts are exactly ``first * (mult**k - 1) / (mult - 1)``; torch
    and timm find them with a floating logarithm and can miss one, e.g. first = 7, mult = 3,
    t = 847). Within cycle k, at local step ``u``::

        min_lr + ½ (max_lr * cycle_decay**k - min_lr) (1 + cos(π u / L_k))

    After ``max_cycles`` cycles (if given) the rate is ``min_lr`` for good. A plan segment is built
    per cycle when ``cycle_mult > 1`` (at most 20000 cycles fit below 2**63 steps, i.e.
    ``cycle_mult`` must not be too close to 1 unless ``max_cycles`` bounds them: more cycles are
    a ValueError, found after computing at most 20001 lengths, whatever ``max_cycles`` is); with
    ``cycle_mult == 1`` the schedule is one periodic segment.

    Parameters
    ----------
    max_lr : float
        The peak of cycle 0; finite, >= 0.
    first_cycle_steps : int
        L_0 >= 1.
    cycle_mult : int or float, default 1
        >= 1, finite.
    min_lr : float, default 0.0
    cycle_decay : float, default 1.0
        In (0, 1]: the peak is multiplied by it at each restart.
    max_cycles : int or None
        >= 1.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("max_lr", "rate"), ("first_cycle_steps", "steps"), ("cycle_mult", "real"),
               ("min_lr", "rate"), ("cycle_decay", "real"), ("max_cycles", "steps?"))
    _aliases = ("warm_restarts", "sgdr", "cosine_warm_restarts")
    MAX_SEGMENT_CYCLES = 20000

    def __init__(self, max_lr: float, first_cycle_steps: int, cycle_mult: float = 1,
                 min_lr: float = 0.0, cycle_decay: float = 1.0,
                 max_cycles: int | None = None) -> None:
        mult = check_real(cycle_mult, "cycle_mult", low=1.0)
        params = dict(
            max_lr=check_rate(max_lr, "max_lr"),
            first_cycle_steps=check_steps(first_cycle_steps, "first_cycle_steps"),
            cycle_mult=int(mult) if mult == int(mult) else mult,
            min_lr=check_rate(min_lr, "min_lr"),
            cycle_decay=check_real(cycle_decay, "cycle_decay", low=0.0, low_open=True, high=1.0),
            max_cycles=None if max_cycles is None else check_steps(max_cycles, "max_cycles"),
        )
        object.__setattr__(self, "_params", params)
        if params["cycle_mult"] != 1:
            # at most MAX + 1 cycles are ever computed here: the work is bounded whatever max_cycles
            limit = min(params["max_cycles"] or INT64_MAX, self.MAX_SEGMENT_CYCLES + 1)
            if len(self.cycle_lengths(limit)) > self.MAX_SEGMENT_CYCLES:
                bound = (f"max_cycles={max_cycles} allows" if max_cycles is not None
                         else "reaching step 2**63 takes")
                raise ValueError(
                    f"cycle_mult={cycle_mult} with first_cycle_steps={first_cycle_steps}: "
                    f"{bound} more than {self.MAX_SEGMENT_CYCLES} cycles of different lengths (one "
                    f"plan segment each); use a larger cycle_mult or a smaller max_cycles")
        self._init(**params)

    def cycle_lengths(self, limit: int | None = None) -> Tuple[int, ...]:
        """Lengths of the cycles that start below 2**63 — at most ``limit`` of them (default:
        ``max_cycles``; required when ``cycle_mult == 1`` and ``max_cycles`` is None) — computed
        exactly: ``floor(first * M**k / 2**(e*k))`` for ``cycle_mult = M / 2**e``."""
        p = self._params
        if limit is None:
            limit = p["max_cycles"]
        if limit is None:
            if p["cycle_mult"] == 1:
                raise ValueError("cycle_mult == 1 repeats forever: pass limit")
            limit = INT64_MAX
        limit = check_steps(limit, "limit")
        return _cycle_lengths(p["first_cycle_steps"], p["cycle_mult"], limit)

    def cycle_starts(self, limit: int | None = None) -> Tuple[int, ...]:
        """The first step of each cycle (restart points), exactly."""
        starts, begin = [], 0
        for length in self.cycle_lengths(limit):
            starts.append(begin)
            begin += length
        return tuple(starts)

    def segments(self) -> list:
        p = self._params
        hi, lo, decay, K = p["max_lr"], p["min_lr"], p["cycle_decay"], p["max_cycles"]
        if p["cycle_mult"] == 1:
            L = p["first_cycle_steps"]
            length = None if K is None or K * L > INT64_MAX else K * L
            return [plan.cos2(lo, hi, L, period=L, decay=decay, length=length), plan.const(lo)]
        segs = [plan.cos2(lo, hi * decay**k, L, length=L)
                for k, L in enumerate(self.cycle_lengths())]
        return segs + [plan.const(lo)]


_FRAC_BITS = 128   # fraction bits of the fixed-point cycle lengths (see _cycle_lengths)


def _cycle_lengths(first: int, mult: Any, limit: int) -> Tuple[int, ...]:
    """``floor(first * mult**k)`` for k = 0, 1, ... while the cycle starts at or below 2**63 - 1,
    at most `limit` of them, exactly.

    ``mult = M / 2**e`` exactly (a double). Rather than the exact ``first * M**k`` (whose size
    grows with k, so k cycles would cost O(k**2)), a fixed-point value with 128 fraction bits is
    carried from cycle to cycle (truncated, so it is at most ``err`` units of 2**-128 below the
    exact value, ``err`` bounded as it goes); where that bound leaves the floor in doubt (the
    fraction is within ``err`` of the next integer, which happens for the exact integers of an
    integer ``mult`` and otherwise with probability ~2**-50) the exact value is computed once.
    O(limit) operations on ~200-bit integers."""
    num, den = float(mult).as_integer_ratio()
    shift = den.bit_length() - 1  # the denominator is a power of two
    if shift == 0:  # an integer multiplier: exact integers, and at most 63 cycles pass 2**63
        lengths, begin, length = [], 0, first
        while begin <= INT64_MAX and len(lengths) < limit:
            lengths.append(length)
            begin += length
            length *= num
        return tuple(lengths)
    one = 1 << _FRAC_BITS
    y, err = first << _FRAC_BITS, 0   # exact value in [y, y + err] (units of 2**-128)
    lengths, begin, k = [], 0, 0
    while begin <= INT64_MAX and len(lengths) < limit:
        length = y >> _FRAC_BITS
        if (y & (one - 1)) + err >= one:  # the floor is in doubt: exactly, once
            length = (first * num**k) >> (shift * k)
        lengths.append(length)
        begin += length
        y = (y * num) >> shift
        err = -((-err * num) >> shift) + 1   # ceil(err * mult) + 1 for the truncation
        k += 1
    return tuple(lengths)


class _RealCycles(Schedule):
    """The cycle layout shared by :class:`CosineRestarts` and :class:`PolynomialRestarts`: cycle
    ``i`` spans the real interval ``[S_i, S_i + L_i)``, ``L_i = cycle_steps * cycle_mult**i``,
    ``S_i = L_0 + ... + L_{i-1}``, computed exactly; one plan segment (or two) per cycle, at most
    ``MAX_SEGMENT_CYCLES`` cycles; ``min_lr`` after ``max_cycles`` cycles. Subclasses validate
    their own shape parameters and call :meth:`_lay_out`."""

    __slots__ = ()
    # a segment per cycle of its own phase; the exact starts grow ~53 bits a cycle, so the work
    # is quadratic in the count: 2000 cycles build in ~0.4 s
    MAX_SEGMENT_CYCLES = 2000

    @staticmethod
    def _cycle_params(max_lr: Any, cycle_steps: Any, cycle_mult: Any, min_lr: Any,
                      cycle_decay: Any, max_cycles: Any) -> dict:
        return dict(
            max_lr=check_rate(max_lr, "max_lr"),
            cycle_steps=check_real(cycle_steps, "cycle_steps", low=0.0, low_open=True),
            cycle_mult=check_real(cycle_mult, "cycle_mult", low=1.0),
            min_lr=check_rate(min_lr, "min_lr"),
            cycle_decay=check_real(cycle_decay, "cycle_decay", low=0.0, low_open=True),
            max_cycles=None if max_cycles is None else check_steps(max_cycles, "max_cycles"),
        )

    def _lay_out(self, params: dict, raw: dict, endless: str | None) -> None:
        """The checks that need the cycle layout, then ``_init``. ``raw``: the arguments as
        passed (for the messages); ``endless``: None if endless cycles of one whole length are
        one periodic segment, else the message refusing them."""
        cycle_steps, cycle_mult = raw["cycle_steps"], raw["cycle_mult"]
        cycle_decay, max_cycles = raw["cycle_decay"], raw["max_cycles"]
        if params["max_cycles"] is None:
            if params["cycle_decay"] > 1:
                raise ValueError(f"cycle_decay={cycle_decay!r} > 1 grows the peaks without bound: "
                                 f"pass max_cycles")
            if params["cycle_mult"] == 1 and not params["cycle_steps"].is_integer():
                raise ValueError(f"cycle_steps={cycle_steps!r} is not a whole number of steps, so "
                                 f"every cycle starts at a different phase: pass max_cycles")
            if params["cycle_mult"] == 1 and endless is not None:
                raise ValueError(endless)
        object.__setattr__(self, "_params", params)
        starts = () if self._too_many_cycles() else self.cycle_starts()
        if not starts or len(starts) > self.MAX_SEGMENT_CYCLES:
            raise ValueError(f"max_cycles={max_cycles!r} with cycle_steps={cycle_steps!r}, "
                             f"cycle_mult={cycle_mult!r}: more than {self.MAX_SEGMENT_CYCLES} "
                             f"cycles of their own phase before step 2**63 (one plan segment "
                             f"each); pass max_cycles <= {self.MAX_SEGMENT_CYCLES}")
        try:   # float ** raises OverflowError (not inf) past the largest float
            top = params["max_lr"] * params["cycle_decay"] ** max(0, len(starts) - 1) \
                if params["cycle_decay"] > 1 else params["max_lr"]
        except OverflowError:
            top = math.inf
        if not math.isfinite(top):
            raise ValueError(f"cycle_decay={cycle_decay!r} over {len(starts)} cycles takes the "
                             f"peak past the largest float")
        self._init(**params)

    def _cycles(self):
        """(first step, steps, phase, real length, real start, (S, L, shift)) of each cycle that
        starts at or below 2**63 - 1 — at most ``max_cycles``, and at most
        MAX_SEGMENT_CYCLES + 1 — exactly:
        the start ``S_i`` and length ``L_i`` are integers over a power-of-two denominator (both
        parameters are binary fractions; the last item: ``S_i = S / 2**shift``,
        ``L_i = L / 2**shift``), so which cycle a step belongs to has no rounding. The
        numbers grow by ~53 bits a cycle, with no gcd (``fractions.Fraction`` would make the
        20000-cycle case quadratic in gcds)."""
        p = self._params
        a, da = float(p["cycle_steps"]).as_integer_ratio()
        m, dm = float(p["cycle_mult"]).as_integer_ratio()
        shift, em = da.bit_length() - 1, dm.bit_length() - 1
        K, limit = p["max_cycles"], self.MAX_SEGMENT_CYCLES
        S, L, first, i = 0, a, 0, 0      # S and L over 2**shift
        while first <= INT64_MAX and (K is None or i < K) and i <= limit:
            end = S + L
            nxt = -((-end) >> shift)     # ceil: the first step of the next cycle
            one = 1 << shift
            if L.bit_length() - shift > 1023:   # L_i = L / 2**shift is past the largest float
                raise ValueError(f"cycle_steps={p['cycle_steps']!r} with cycle_mult="
                                 f"{p['cycle_mult']!r}: cycle {i} (starting at step {first}) is "
                                 f"longer than the largest float; pass max_cycles <= {i}")
            yield (first, nxt - first, ((first << shift) - S) / one, L / one, S / one,
                   (S, L, shift))
            S, L, shift, first, i = end << em, L * m, shift + em, nxt, i + 1

    def _too_many_cycles(self) -> bool:
        """A float estimate of the cycle count, so that a hopeless configuration is refused
        before any exact arithmetic."""
        p = self._params
        L, mult, K = p["cycle_steps"], p["cycle_mult"], p["max_cycles"]
        if (K is not None and K <= self.MAX_SEGMENT_CYCLES) or (K is None and mult == 1):
            return False  # bounded by max_cycles, or one periodic segment
        if mult == 1:
            est = INT64_MAX / L
        else:
            x = INT64_MAX * (mult - 1) / L
            est = math.inf if x == math.inf else math.log1p(x) / math.log(mult)
        return est > 1.01 * self.MAX_SEGMENT_CYCLES + 2

    def cycle_starts(self) -> Tuple[float, ...]:
        """The real start ``S_i`` of each cycle below 2**63 (at most ``max_cycles``; one entry
        for a periodic schedule), exact, rounded once to float."""
        p = self._params
        if p["max_cycles"] is None and p["cycle_mult"] == 1:
            return (0.0,)
        return tuple(c[4] for c in self._cycles())


class CosineRestarts(_RealCycles):
    """Cosine annealing with warm restarts over cycles of real-valued length (timm
    ``CosineLRScheduler`` with ``cycle_mul``, keras ``CosineDecayRestarts`` with ``t_mul``,
    Hugging Face's hard restarts with ``(T - W) / num_cycles`` steps per cycle).

    Cycle ``i`` (i = 0, 1, ...) spans the real interval ``[S_i, S_i + L_i)`` with
    ``L_i = cycle_steps * cycle_mult**i`` and ``S_i = L_0 + ... + L_{i-1}``, *not* rounded to
    whole steps (:class:`WarmRestarts` floors each length to an integer, as torch does). At a
    step ``t`` in cycle i, with ``u = t - S_i``::

        min_lr + (max_lr * cycle_decay**i - min_lr) * cos²(π (u / L_i)**k / 2)

    (``k = k_decay``, 1 by default: ``min_lr + ½ (peak_i - min_lr)(1 + cos(π u / L_i))``). Cycle
    membership is exact: ``S_i`` is computed with rational arithmetic on the binary values of
    ``cycle_steps`` and ``cycle_mult`` (timm and keras find ``i`` with a floating logarithm and
    can be off by one at a restart). After ``max_cycles`` cycles the rate is ``min_lr``.

    Parameters
    ----------
    max_lr : float
        The peak of cycle 0; finite, >= 0.
    cycle_steps : float
        L_0 > 0 (may be fractional).
    cycle_mult : float, default 1.0
        >= 1.
    min_lr : float, default 0.0
    cycle_decay : float, default 1.0
        > 0: the peak's factor per cycle (> 1 grows: then ``max_cycles`` is required).
    max_cycles : int or None
        >= 1. Required unless the cycles can be one periodic segment (``cycle_mult == 1`` and an
        integer ``cycle_steps``) or grow (``cycle_mult > 1``): at most 2000 cycles of different
        phase are laid out as segments (``MAX_SEGMENT_CYCLES``).
    k_decay : float, default 1.0
        k > 0.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("max_lr", "rate"), ("cycle_steps", "real"), ("cycle_mult", "real"),
               ("min_lr", "rate"), ("cycle_decay", "real"), ("max_cycles", "steps?"),
               ("k_decay", "real"))
    _aliases = ("cosine_restarts", "real_restarts")

    def __init__(self, max_lr: float, cycle_steps: float, cycle_mult: float = 1.0,
                 min_lr: float = 0.0, cycle_decay: float = 1.0, max_cycles: int | None = None,
                 k_decay: float = 1.0) -> None:
        params = self._cycle_params(max_lr, cycle_steps, cycle_mult, min_lr, cycle_decay,
                                    max_cycles)
        params["k_decay"] = check_real(k_decay, "k_decay", low=0.0, low_open=True)
        endless = None if params["k_decay"] == 1 else (
            f"k_decay={k_decay!r} with endless cycles of one length: pass max_cycles (only the "
            f"plain cosine repeats as one segment)")
        self._lay_out(params, dict(cycle_steps=cycle_steps, cycle_mult=cycle_mult,
                                   cycle_decay=cycle_decay, max_cycles=max_cycles), endless)

    def segments(self) -> list:
        p = self._params
        hi, lo, decay, k = p["max_lr"], p["min_lr"], p["cycle_decay"], p["k_decay"]

        def cycle(peak, length, phase, n):
            if k == 1.0:
                return plan.cos2(lo, peak, length, offset=phase, length=n)
            return plan.cosine_shape(lo, peak - lo, length, phase=phase, k=k, length=n)

        if p["max_cycles"] is None and p["cycle_mult"] == 1 and k == 1.0:
            n = int(p["cycle_steps"])  # an integer period: one periodic segment
            return [plan.cos2(lo, hi, n, period=n, decay=decay)]
        segs = [cycle(hi * decay**i, length, phase, n)
                for i, (first, n, phase, length, _, _) in enumerate(self._cycles())]
        return segs + [plan.const(lo)]


class PolynomialRestarts(_RealCycles):
    """Polynomial decay with warm restarts over cycles of real-valued length (timm
    ``PolyLRScheduler`` with ``cycle_mul``, ``power`` and ``k_decay``), on the cycle layout of
    :class:`CosineRestarts`.

    Cycle ``i`` (i = 0, 1, ...) spans the real interval ``[S_i, S_i + L_i)`` with
    ``L_i = cycle_steps * cycle_mult**i`` and ``S_i = L_0 + ... + L_{i-1}``, not rounded to whole
    steps. At a step ``t`` in cycle i, with ``u = t - S_i``::

        min_lr + (max_lr * cycle_decay**i - min_lr) * (1 - (u / L_i)**k) ** power

    (``k = k_decay``). Cycle membership is exact (``S_i`` from rational arithmetic on the binary
    values of ``cycle_steps`` and ``cycle_mult``), and so is the distance ``S_{i+1} - t`` to the
    end of the cycle that a ``power < 1`` magnifies near the end (kept to an ulp, however small).
    After ``max_cycles`` cycles the rate is ``min_lr``. There is no periodic form: with
    ``cycle_mult == 1``, ``max_cycles`` is required (for a whole ``cycle_steps`` see also
    :class:`Polynomial` joined end to end).

    Parameters
    ----------
    max_lr : float
        The peak of cycle 0; finite, >= 0.
    cycle_steps : float
        L_0 > 0 (may be fractional).
    cycle_mult : float, default 1.0
        >= 1.
    min_lr : float, default 0.0
        Finite, >= 0.
    cycle_decay : float, default 1.0
        > 0: the peak's factor per cycle (> 1 grows: then ``max_cycles`` is required).
    max_cycles : int or None
        >= 1. Required when ``cycle_mult == 1``; at most 2000 cycles of their own phase are laid
        out as segments (``MAX_SEGMENT_CYCLES``).
    power : float, default 1.0
        Finite, >= 0 (1: linear, 0.5: square root, 2: quadratic...).
    k_decay : float, default 1.0
        k > 0.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("max_lr", "rate"), ("cycle_steps", "real"), ("cycle_mult", "real"),
               ("min_lr", "rate"), ("cycle_decay", "real"), ("max_cycles", "steps?"),
               ("power", "real"), ("k_decay", "real"))
    _aliases = ("polynomial_restarts", "poly_restarts")

    def __init__(self, max_lr: float, cycle_steps: float, cycle_mult: float = 1.0,
                 min_lr: float = 0.0, cycle_decay: float = 1.0, max_cycles: int | None = None,
                 power: float = 1.0, k_decay: float = 1.0) -> None:
        params = self._cycle_params(max_lr, cycle_steps, cycle_mult, min_lr, cycle_decay,
                                    max_cycles)
        params["power"] = check_real(power, "power", low=0.0)
        params["k_decay"] = check_real(k_decay, "k_decay", low=0.0, low_open=True)
        endless = (f"cycle_mult={cycle_mult!r}: endless cycles of one length have no periodic "
                   f"polynomial segment; pass max_cycles")
        self._lay_out(params, dict(cycle_steps=cycle_steps, cycle_mult=cycle_mult,
                                   cycle_decay=cycle_decay, max_cycles=max_cycles), endless)

    def segments(self) -> list:
        p = self._params
        hi, lo, decay = p["max_lr"], p["min_lr"], p["cycle_decay"]
        k, e = p["k_decay"], p["power"]

        def to_end(t, end, shift):
            """(rest, frac): the exact distance end / 2**shift - t as an int64 and a float."""
            num = end - (t << shift)
            rest = min(num >> shift, INT64_MAX)
            return rest, (num - (rest << shift)) / (1 << shift)

        segs = []
        for i, (first, n, phase, length, _, (S, L, shift)) in enumerate(self._cycles()):
            amp = hi * decay**i - lo
            # the first half (u < L / 2) from u = tau + phase, the rest from the distance to the
            # end (all of it when k == 1: y = d / L is accurate throughout)
            mid = first if k == 1.0 else -((-(2 * S + L)) >> (shift + 1))
            h = min(max(mid - first, 0), n)
            if h > 0:
                segs.append(plan.poly_shape(lo, amp, length, phase=phase, k=k, p=e, length=h))
            if n > h:
                rest, frac = to_end(first + h, S + L, shift)
                segs.append(plan.poly_shape_to_end(lo, amp, length, rest=rest, frac=frac, k=k,
                                                   p=e, length=n - h))
        return segs + [plan.const(lo)]


class WarmupStableDecay(Schedule):
    """Warmup-stable-decay (WSD, "trapezoidal"): a linear ramp from ``min_lr`` to ``max_lr`` over
    ``warmup_steps``, ``max_lr`` for ``stable_steps``, then a decay to ``min_lr`` over
    ``decay_steps``, held after. With ``u`` the step within the decay and ``x = u / decay_steps``:
    ``linear``: ``max_lr - (max_lr - min_lr) x``; ``cosine``:
    ``min_lr + ½ (max_lr - min_lr)(1 + cos(π x))``; ``sqrt``: ``max_lr - (max_lr - min_lr) sqrt(x)``
    ("1 - sqrt").

    Parameters
    ----------
    max_lr, min_lr : float
        Finite, >= 0.
    warmup_steps, stable_steps : int
        >= 0.
    decay_steps : int
        >= 1.
    decay_shape : {"linear", "cosine", "sqrt"}

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("max_lr", "rate"), ("warmup_steps", "steps"), ("stable_steps", "steps"),
               ("decay_steps", "steps"), ("min_lr", "rate"), ("decay_shape", "choice"))
    _aliases = ("wsd", "warmup_stable_decay", "trapezoidal")

    def __init__(self, max_lr: float, warmup_steps: int, stable_steps: int, decay_steps: int,
                 min_lr: float = 0.0, decay_shape: str = "linear") -> None:
        self._init(max_lr=check_rate(max_lr, "max_lr"),
                   warmup_steps=check_steps(warmup_steps, "warmup_steps", minimum=0),
                   stable_steps=check_steps(stable_steps, "stable_steps", minimum=0),
                   decay_steps=check_steps(decay_steps, "decay_steps"),
                   min_lr=check_rate(min_lr, "min_lr"),
                   decay_shape=check_choice(decay_shape, "decay_shape",
                                             ("linear", "cosine", "sqrt")))

    def segments(self) -> list:
        p = self._params
        hi, lo = p["max_lr"], p["min_lr"]
        W, S, D = p["warmup_steps"], p["stable_steps"], p["decay_steps"]
        segs = [plan.ramp(lo, hi, W, length=W)] if W else []
        segs.append(plan.const(hi, length=S))
        shape = p["decay_shape"]
        if shape == "linear":
            segs.append(plan.ramp(hi, lo, D, length=D))
        elif shape == "cosine":
            segs.append(plan.cos2(lo, hi, D, length=D))
        else:
            segs.append(plan.poly(hi, lo - hi, D, 0.5, reverse=False, length=D))
        return segs + [plan.const(lo)]
