"""optax's schedules (``optax.schedules``) by their own names and arguments, as fastlr schedules.

The value at step ``t`` is ``schedule(t)`` evaluated in float64 (jax with ``jax_enable_x64`` and
an int64 count), eagerly. Every constructor takes optax's arguments with optax's defaults;
optax/jax are not needed (nor imported)::

    from fastlr.compat import optax as O
    s = O.warmup_cosine_decay_schedule(0.0, 1e-3, warmup_steps=500, decay_steps=10_000)
    s.array(10_000)

The semantics rule of :mod:`fastlr.compat` applies; the cases:

* **XLA's** ``count * (1/T)``: under ``jax.jit`` XLA rewrites ``count / T`` with a constant ``T``
  into a multiplication by the rounded reciprocal, so ``1 - T * (1/T)`` can be ±2**-53 instead of
  0: ``polynomial_schedule``/``linear_schedule`` (and the warmups built on it) end a hair off
  ``end_value``, a fractional ``power`` turns that into a visible value (float64) or NaN (float32),
  the cosine of ``cosine_decay_schedule`` is a hair off at the end. fastlr gives the exact quotient
  (the eager value) everywhere.
* **Growth without a cap**: ``exponential_decay(decay_rate > 1)`` without ``end_value`` grows to
  inf in optax; fastlr holds the largest float instead (non-staircase; the staircase form, like
  :class:`fastlr.StepDecay`, reaches inf as optax does).
* **Rates are >= 0**: optax computes with any sign; fastlr schedules are learning rates, so
  negative values (``init_value < 0``, ``alpha < 0``, ``decay_rate < 0`` (NaN in optax),
  negative powers/exponents, which divide by zero at the end) raise ValueError naming the
  parameter.
* Step counts (``transition_steps``, ``decay_steps``, boundaries...) must be integers (optax
  also accepts floats there).

Within that, optax's conventions are kept: a non-positive ``transition_steps`` gives the constant
``init_value`` (optax logs it), a negative ``transition_begin`` counts as 0, a boundary applies
from its own step (``t >= b``), dict keys that collide in the one-cycle schedules resolve as in
optax (the later key wins), ``join_schedules`` gives each child the local step ``t - boundary``
(unsorted or non-positive boundaries included: the last boundary ``<= t`` in list order wins).
``boundaries_and_scales`` keys may also be strings of integers (as JSON stores them).
"""
from __future__ import annotations

import math
import numbers
import sys
from typing import Any, Dict, Iterable, Optional, Sequence

import fastlr
from fastlr.base import Schedule
from fastlr.validate import INT64_MAX, check_bool, check_choice, check_rate, check_real, \
    check_sequence

__all__ = [
    "constant_schedule",
    "linear_schedule",
    "polynomial_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "exponential_decay",
    "cosine_decay_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_constant_schedule",
    "warmup_exponential_decay_schedule",
    "sgdr_schedule",
    "cosine_onecycle_schedule",
    "linear_onecycle_schedule",
    "join_schedules",
]

FASTLR_NAMES = {
    "constant_schedule": "Constant",
    "linear_schedule": "Linear",
    "polynomial_schedule": "Polynomial",
    "piecewise_constant_schedule": "PiecewiseConstant",
    "piecewise_interpolate_schedule": "Join of Linear / CosineAnnealing",
    "exponential_decay": "ExponentialDecay / StepDecay",
    "cosine_decay_schedule": "CosineAnnealing",
    "warmup_cosine_decay_schedule": "Join(Linear, CosineAnnealing)",
    "warmup_constant_schedule": "Linear",
    "warmup_exponential_decay_schedule": "Join(Linear, ExponentialDecay / StepDecay)",
    "sgdr_schedule": "Join of warmup cosines",
    "cosine_onecycle_schedule": "Join of CosineAnnealing",
    "linear_onecycle_schedule": "Join of Linear",
    "join_schedules": "Join",
}

_MAX_FLOAT = sys.float_info.max


# ----------------------------------------------------------------------------- helpers

def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    return int(value)


def _delayed(begin: int, before: float, sched: Schedule) -> Schedule:
    """``before`` for t < begin, then ``sched`` on the local step t - begin."""
    if begin <= 0:
        return sched
    return fastlr.join([fastlr.Constant(before), sched], [begin])


def _scales(boundaries_and_scales: Any, name: str = "boundaries_and_scales"):
    """Sorted (boundary, scale) pairs; keys ints (or strings of ints), scales >= 0."""
    if boundaries_and_scales is None:
        return []
    if not isinstance(boundaries_and_scales, dict):
        raise TypeError(f"{name} must be a dict {{boundary: scale}} or None, got "
                        f"{boundaries_and_scales!r}")
    pairs = []
    for k, v in boundaries_and_scales.items():
        if isinstance(k, str):
            try:
                k = int(k)
            except ValueError:
                raise TypeError(f"{name} key {k!r} is not an integer step") from None
        b = _int(k, f"{name} key")
        s = check_real(v, f"{name}[{b}]")
        if s < 0:
            raise ValueError(f"{name} expects non-negative scale factors (optax's rule), got "
                             f"{v!r} at {b}")
        pairs.append((b, s))
    pairs.sort()
    for (a, _), (b, _) in zip(pairs, pairs[1:]):
        if a == b:
            raise ValueError(f"{name} has the boundary {a} twice")
    return pairs


def _piecewise(pieces: Sequence[tuple]) -> Schedule:
    """Join ``(start, schedule)`` pieces (starts non-decreasing, the first 0; empty ones dropped)."""
    keep = []
    for k, (start, sched) in enumerate(pieces):
        end = pieces[k + 1][0] if k + 1 < len(pieces) else None
        if end is None or end > start:
            keep.append((start, sched))
    if len(keep) == 1:
        return keep[0][1]
    return fastlr.join([s for _, s in keep], [b for b, _ in keep[1:]])


# ----------------------------------------------------------------------------- schedules

def constant_schedule(value: float) -> Schedule:
    """optax ``constant_schedule``: ``value`` at every step (>= 0)."""
    return fastlr.Constant(check_rate(value, "value"))


def polynomial_schedule(init_value: float, end_value: float, power: float,
                        transition_steps: int, transition_begin: int = 0) -> Schedule:
    """optax ``polynomial_schedule``: with ``c = clip(t - transition_begin, 0, transition_steps)``,
    ``(init_value - end_value) * (1 - c / transition_steps) ** power + end_value``.

    ``init_value`` before ``transition_begin``, ``end_value`` from ``transition_begin +
    transition_steps`` on. ``transition_steps <= 0``: ``init_value`` forever;
    ``transition_begin < 0``: 0 (optax's conventions). ``power`` >= 0 (0: the constant
    ``(init - end) + end``, as optax's ``0 ** 0 == 1``). Exact quotient ``c / T`` (see the module
    notes on XLA).
    """
    a, b = check_rate(init_value, "init_value"), check_rate(end_value, "end_value")
    p = check_real(power, "power")
    if p < 0:
        raise ValueError(f"power must be >= 0, got {power!r} (a negative power divides by zero "
                         f"at the end of the transition)")
    T = _int(transition_steps, "transition_steps")
    begin = max(_int(transition_begin, "transition_begin"), 0)
    if T <= 0:
        return fastlr.Constant(a)
    if p == 0.0:
        return fastlr.Constant((a - b) + b)
    if p == 1.0:
        core: Schedule = fastlr.Linear(a, b, T)
    else:
        core = fastlr.Polynomial(a, b, T, p)
    return _delayed(begin, core(0), core)


def linear_schedule(init_value: float, end_value: float, transition_steps: int,
                    transition_begin: int = 0) -> Schedule:
    """optax ``linear_schedule``: ``polynomial_schedule`` with ``power = 1``: from ``init_value``
    at ``transition_begin`` linearly to ``end_value`` at ``transition_begin + transition_steps``,
    held on both sides."""
    return polynomial_schedule(init_value, end_value, 1.0, transition_steps, transition_begin)


def piecewise_constant_schedule(init_value: float,
                                boundaries_and_scales: Optional[Dict[int, float]] = None
                                ) -> Schedule:
    """optax ``piecewise_constant_schedule``: ``init_value`` multiplied by every scale whose
    boundary is ``<= t`` (boundaries in increasing order; the products are rounded in that order,
    as optax). Scales >= 0 (optax's rule)."""
    v = check_rate(init_value, "init_value")
    pairs = _scales(boundaries_and_scales)
    for b, s in pairs:
        if b <= 0:
            v = s * v  # applies from step 0
    later = [(b, s) for b, s in pairs if b > 0]
    if not later:
        return fastlr.Constant(v)
    values = [v]
    for _, s in later:
        values.append(s * values[-1])
    return fastlr.PiecewiseConstant([b for b, _ in later], values)


def piecewise_interpolate_schedule(interpolate_type: str, init_value: float,
                                   boundaries_and_scales: Optional[Dict[int, float]] = None
                                   ) -> Schedule:
    """optax ``piecewise_interpolate_schedule``: with ``bounds = [0] + sorted(boundaries)`` and
    ``values = cumprod([init_value] + scales)``, on ``bounds[k] <= t < bounds[k+1]`` the value
    interpolates ``values[k] -> values[k+1]`` at ``p = (t - bounds[k]) / (bounds[k+1] -
    bounds[k])`` — ``"linear"``: ``(end - start) p + start``; ``"cosine"``:
    ``end + (start - end)(1 + cos(pi p)) / 2`` — and ``values[-1]`` from the last boundary on.
    A boundary at 0 makes an empty interval (its scale applies at step 0)."""
    kind = check_choice(interpolate_type, "interpolate_type", ("linear", "cosine"))
    v0 = check_rate(init_value, "init_value")
    pairs = _scales(boundaries_and_scales)
    bounds = [0] + [b for b, _ in pairs]
    values = [v0]
    for _, s in pairs:
        values.append(values[-1] * s)
    pieces = []
    for k in range(len(pairs)):
        lo, hi = bounds[k], bounds[k + 1]
        if hi <= max(lo, 0):
            continue  # an interval without steps >= 0
        size = max(hi - lo, 1)
        if kind == "linear":
            piece: Schedule = fastlr.Linear(values[k], values[k + 1], size)
        else:
            piece = fastlr.CosineAnnealing(values[k], size, min_lr=values[k + 1])
        if lo < 0:
            piece = fastlr.Shifted(piece, -lo)
        pieces.append((max(lo, 0), piece))
    pieces.append((max(bounds[-1], 0), fastlr.Constant(values[-1])))
    return _piecewise(pieces)


def _clip_index(init: float, rate: float, end: float) -> Optional[int]:
    """The first k >= 0 at which ``init * rate ** k`` reaches ``end`` (from above when
    rate < 1, from below when rate > 1), or None if it never does."""
    def past(k):
        v = init * rate**k
        return v <= end if rate < 1 else v >= end
    if past(0):
        return 0
    if init == 0.0 or end == 0.0 or rate == 0.0:
        return None if end == 0.0 and rate != 0.0 else 1
    guess = math.log(end / init) / math.log(rate)
    if not math.isfinite(guess) or guess > 2**62:
        return None
    k = max(0, int(guess) - 2)
    while k > 0 and past(k):
        k -= 1
    while not past(k):
        k += 1
    return k


def exponential_decay(init_value: float, transition_steps: int, decay_rate: float,
                      transition_begin: int = 0, staircase: bool = False,
                      end_value: Optional[float] = None) -> Schedule:
    """optax ``exponential_decay``: with ``d = t - transition_begin`` and ``p = d /
    transition_steps`` (floored if ``staircase``), ``init_value * decay_rate ** p`` for ``d > 0``,
    ``init_value`` for ``d <= 0``; clipped by ``end_value`` if given (a floor when
    ``decay_rate < 1``, a cap when ``>= 1``, at every step). ``transition_steps <= 0`` or
    ``decay_rate == 0``: ``init_value`` forever; ``transition_begin < 0``: 0 (optax's
    conventions). ``decay_rate > 1`` without ``end_value`` grows: fastlr holds the largest float
    where optax reaches inf (non-staircase).
    """
    a = check_rate(init_value, "init_value")
    T = _int(transition_steps, "transition_steps")
    r = check_real(decay_rate, "decay_rate")
    if r < 0:
        raise ValueError(f"decay_rate must be >= 0, got {decay_rate!r} (a negative base gives "
                         f"NaN at fractional powers)")
    begin = max(_int(transition_begin, "transition_begin"), 0)
    stair = check_bool(staircase, "staircase")
    end = None if end_value is None else check_rate(end_value, "end_value")
    if T <= 0 or r == 0.0:
        return fastlr.Constant(a)

    def clip(v):
        if end is None:
            return v
        return max(v, end) if r < 1.0 else min(v, end)

    if r == 1.0 or a == 0.0:
        return fastlr.Constant(clip(a))
    if stair:
        k = None if end is None else _clip_index(a, r, end)
        if k == 0:
            return fastlr.Constant(end)
        core: Schedule = fastlr.StepDecay(a, r, T)
        if k is not None and begin + k * T <= INT64_MAX:
            core = fastlr.join([core, fastlr.Constant(end)], [k * T])
        return _delayed(begin, a, core)
    rate = -math.log(r) / T
    if end is None and r > 1.0:
        end = _MAX_FLOAT
    core = fastlr.ExponentialDecay(a, rate, end_lr=end)
    return _delayed(begin, clip(a), core)


def cosine_decay_schedule(init_value: float, decay_steps: int, alpha: float = 0.0,
                          exponent: float = 1.0) -> Schedule:
    """optax ``cosine_decay_schedule``: with ``c = min(t, decay_steps)``,
    ``init_value * ((1 - alpha) * (0.5 (1 + cos(pi c / decay_steps))) ** exponent + alpha)``;
    ``init_value * alpha`` from ``decay_steps`` on. ``decay_steps > 0`` (optax's rule);
    ``alpha >= 0``; ``exponent >= 0``."""
    a = check_rate(init_value, "init_value")
    D = _int(decay_steps, "decay_steps")
    if not D > 0:
        raise ValueError(f"The cosine_decay_schedule requires positive decay_steps, got "
                         f"decay_steps={decay_steps!r}")
    al = check_real(alpha, "alpha")
    if al < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha!r} (it would end at a negative rate)")
    ex = check_real(exponent, "exponent")
    if ex < 0:
        raise ValueError(f"exponent must be >= 0, got {exponent!r} (a negative exponent "
                         f"divides by zero at decay_steps)")
    if ex == 0.0:
        return fastlr.Constant(a * ((1 - al) + al))
    return fastlr.CosineAnnealing(a, D, min_lr=a * al, exponent=ex)


def warmup_constant_schedule(init_value: float, peak_value: float,
                             warmup_steps: int) -> Schedule:
    """optax ``warmup_constant_schedule``: linear from ``init_value`` to ``peak_value`` over
    ``warmup_steps``, then ``peak_value`` (``warmup_steps <= 0``: ``init_value`` forever, as
    optax)."""
    return linear_schedule(init_value, peak_value, warmup_steps)


def warmup_cosine_decay_schedule(init_value: float, peak_value: float, warmup_steps: int,
                                 decay_steps: int, end_value: float = 0.0,
                                 exponent: float = 1.0) -> Schedule:
    """optax ``warmup_cosine_decay_schedule``: linear ``init_value -> peak_value`` over
    ``warmup_steps``, then ``cosine_decay_schedule(peak_value, decay_steps - warmup_steps,
    alpha=end_value / peak_value, exponent)`` on the local step ``t - warmup_steps``.
    ``decay_steps`` includes the warmup and must exceed it (optax raises otherwise)."""
    peak = check_rate(peak_value, "peak_value")
    endv = check_rate(end_value, "end_value")
    W = _int(warmup_steps, "warmup_steps")
    D = _int(decay_steps, "decay_steps")
    alpha = 0.0 if peak == 0.0 else endv / peak
    warm = linear_schedule(init_value, peak, W)
    cos = cosine_decay_schedule(peak, D - W, alpha, exponent)
    return join_schedules([warm, cos], [W])


def warmup_exponential_decay_schedule(init_value: float, peak_value: float, warmup_steps: int,
                                      transition_steps: int, decay_rate: float,
                                      transition_begin: int = 0, staircase: bool = False,
                                      end_value: Optional[float] = None) -> Schedule:
    """optax ``warmup_exponential_decay_schedule``: linear ``init_value -> peak_value`` over
    ``warmup_steps``, then ``exponential_decay(peak_value, ...)`` on the local step
    ``t - warmup_steps``."""
    W = _int(warmup_steps, "warmup_steps")
    warm = linear_schedule(init_value, peak_value, W)
    dec = exponential_decay(peak_value, transition_steps, decay_rate, transition_begin,
                            staircase, end_value)
    return join_schedules([warm, dec], [W])


def sgdr_schedule(cosine_kwargs: Iterable[Dict[str, Any]]) -> Schedule:
    """optax ``sgdr_schedule``: ``warmup_cosine_decay_schedule(**kw)`` for each ``kw`` in turn,
    each lasting its ``decay_steps``; the last one's end value is held after it."""
    kws = check_sequence(cosine_kwargs, "cosine_kwargs", "dicts of warmup_cosine_decay_schedule "
                                                          "arguments")
    if not kws:
        raise ValueError("cosine_kwargs must not be empty")
    scheds, bounds, step = [], [], 0
    for i, kw in enumerate(kws):
        if not isinstance(kw, dict) or "decay_steps" not in kw:
            raise TypeError(f"cosine_kwargs[{i}] must be a dict of warmup_cosine_decay_schedule "
                            f"arguments, got {kw!r}")
        scheds.append(warmup_cosine_decay_schedule(**kw))
        step += _int(kw["decay_steps"], f"cosine_kwargs[{i}]['decay_steps']")
        bounds.append(step)
    return join_schedules(scheds, bounds[:-1])


def _onecycle_checks(transition_steps: Any, peak_value: Any):
    T = _int(transition_steps, "transition_steps")
    if T <= 0:
        raise ValueError(f"transition_steps must be > 0 (optax's rule), got {transition_steps!r}")
    return T, check_rate(peak_value, "peak_value")


def cosine_onecycle_schedule(transition_steps: int, peak_value: float, pct_start: float = 0.3,
                             div_factor: float = 25.0, final_div_factor: float = 1e4
                             ) -> Schedule:
    """optax ``cosine_onecycle_schedule``: cosine from ``peak_value / div_factor`` up to
    ``peak_value`` at ``int(pct_start * transition_steps)``, then down to ``peak_value /
    (div_factor * final_div_factor)`` at ``transition_steps``, held after (a
    ``piecewise_interpolate_schedule``; if both boundaries coincide the later wins, as optax)."""
    T, peak = _onecycle_checks(transition_steps, peak_value)
    pct = check_real(pct_start, "pct_start")
    df = check_real(div_factor, "div_factor", low=0.0, low_open=True)
    fdf = check_real(final_div_factor, "final_div_factor", low=0.0, low_open=True)
    return piecewise_interpolate_schedule(
        "cosine", peak / df, {int(pct * T): df, int(T): 1.0 / (df * fdf)})


def linear_onecycle_schedule(transition_steps: int, peak_value: float, pct_start: float = 0.3,
                             pct_final: float = 0.85, div_factor: float = 25.0,
                             final_div_factor: float = 1e4) -> Schedule:
    """optax ``linear_onecycle_schedule``: linear ``peak/div -> peak`` (at ``int(pct_start T)``)
    ``-> peak/div`` (at ``int(pct_final T)``) ``-> peak/(div * final_div)`` (at ``T``), held
    after. Colliding boundaries resolve as optax's dict literal (the later key wins)."""
    T, peak = _onecycle_checks(transition_steps, peak_value)
    p0 = check_real(pct_start, "pct_start")
    p1 = check_real(pct_final, "pct_final")
    df = check_real(div_factor, "div_factor", low=0.0, low_open=True)
    fdf = check_real(final_div_factor, "final_div_factor", low=0.0, low_open=True)
    return piecewise_interpolate_schedule(
        "linear", peak / df, {int(p0 * T): df, int(p1 * T): 1.0 / df, T: 1.0 / fdf})


def _child(spec: Any, i: int) -> Schedule:
    if isinstance(spec, Schedule):
        return spec
    if isinstance(spec, dict) and "name" in spec:
        name = spec["name"]
        if name not in __all__:
            raise ValueError(f"schedules[{i}]: unknown optax schedule {name!r}")
        return globals()[name](**dict(spec.get("kwargs") or {}))
    raise TypeError(f"schedules[{i}] must be a fastlr schedule (e.g. from fastlr.compat.optax) "
                    f"or a {{'name': ..., 'kwargs': ...}} dict, got {spec!r}")


def join_schedules(schedules: Sequence[Any], boundaries: Sequence[int]) -> Schedule:
    """optax ``join_schedules``: ``schedules[0](t)``, replaced by ``schedules[k](t -
    boundaries[k-1])`` wherever ``t >= boundaries[k-1]``, in list order (so with unsorted
    boundaries the last one ``<= t`` wins; a boundary <= 0 enters its child at the local step
    ``t - boundary``). ``schedules``: fastlr schedules or ``{"name": ..., "kwargs": ...}`` dicts
    of this module's constructors."""
    kids = [_child(s, i)
            for i, s in enumerate(check_sequence(schedules, "schedules", "schedules"))]
    if not kids:
        raise ValueError("schedules must not be empty")
    bs = [_int(b, f"boundaries[{i}]")
          for i, b in enumerate(check_sequence(boundaries, "boundaries", "integers"))]
    starts = [None] + bs  # child k replaces the others from starts[k] on
    if len(bs) != len(kids) - 1:
        raise ValueError(f"boundaries must have len(schedules) - 1 = {len(kids) - 1} entries, "
                         f"got {len(bs)}")
    pieces = []
    for k, s in enumerate(kids):
        b = 0 if starts[k] is None else starts[k]
        lo = max(b, 0)
        later = [x for x in starts[k + 1:]]
        hi = min(later) if later else None
        if hi is not None and hi <= lo:
            continue  # always overridden by a later child
        piece = fastlr.Shifted(s, lo - b) if lo > b else s
        pieces.append((lo, piece))
    pieces.sort(key=lambda p: p[0])
    return _piecewise(pieces)
