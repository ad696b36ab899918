"""Composition: joins, warmup-then, scaling. Arithmetic on plan segments, never per step.

A composed schedule compiles to one flat plan (nested joins flatten), so it fills, gathers and
answers scalar calls through the same kernels as a single family; a scalar call costs a bisection
over the segment boundaries, O(log segments).
"""
from __future__ import annotations

from typing import Any, Sequence

from fastlr import _plan
from fastlr._validate import check_rate, check_steps
from fastlr.schedules import Schedule, from_dict

__all__ = ["Join", "WithWarmup", "Scaled", "join", "with_warmup"]


def _as_schedule(obj: Any, name: str) -> Schedule:
    if isinstance(obj, dict):
        return from_dict(obj)
    if not isinstance(obj, Schedule):
        raise TypeError(f"{name} must be a fastlr schedule, got {obj!r} ({type(obj).__name__})")
    return obj


class Join(Schedule):
    """Schedules run one after another: schedule ``k`` runs on the local step
    ``t - boundaries[k-1]`` for ``boundaries[k-1] <= t < boundaries[k]`` (``boundaries[-1] = 0``
    for the first, the last runs forever). Like optax ``join_schedules``.

    Parameters
    ----------
    schedules : sequence of Schedule
        At least one.
    boundaries : sequence of int
        Strictly increasing steps >= 1, one fewer than ``schedules``.

    Step convention: the value at step t is the learning rate of the (t+1)-th optimizer update.
    """

    __slots__ = ()
    _fields = ("schedules", "boundaries")
    _aliases = ("join",)

    def __init__(self, schedules: Sequence[Any], boundaries: Sequence[int]) -> None:
        if isinstance(schedules, (str, bytes, dict)) or not hasattr(schedules, "__iter__"):
            raise TypeError(f"schedules must be a sequence of schedules, got {schedules!r}")
        scheds = tuple(_as_schedule(s, f"schedules[{i}]") for i, s in enumerate(schedules))
        if not scheds:
            raise ValueError("schedules must not be empty")
        if isinstance(boundaries, (str, bytes)) or not hasattr(boundaries, "__iter__"):
            raise TypeError(f"boundaries must be a sequence of integers, got {boundaries!r}")
        b = tuple(check_steps(x, f"boundaries[{i}]") for i, x in enumerate(boundaries))
        if len(b) != len(scheds) - 1:
            raise ValueError(f"boundaries must have len(schedules) - 1 = {len(scheds) - 1} "
                             f"entries, got {len(b)}")
        if any(x >= y for x, y in zip(b, b[1:])):
            raise ValueError(f"boundaries must be strictly increasing, got {list(b)}")
        self._init(schedules=scheds, boundaries=b)

    def _segments(self) -> list:
        scheds, b = self._params["schedules"], self._params["boundaries"]
        starts = (0,) + b
        segs: list = []
        for k, s in enumerate(scheds[:-1]):
            segs += _plan.truncate(s._segments(), starts[k + 1] - starts[k])
        return segs + list(scheds[-1]._segments())


class WithWarmup(Schedule):
    """A linear ramp from ``init_lr`` to ``inner(0)`` over ``warmup_steps`` steps, then the
    ``inner`` schedule on the local step ``t - warmup_steps``:
    ``init_lr + (inner(0) - init_lr) * t / warmup_steps`` for ``t < warmup_steps``.
    (The dict key ``"schedule"`` names the class in :meth:`to_dict`, hence ``inner``.)

    Step convention: the value at step t is the learning rate of the (t+1)-th optimizer update.
    """

    __slots__ = ()
    _fields = ("inner", "warmup_steps", "init_lr")
    _aliases = ("with_warmup",)

    def __init__(self, inner: Any, warmup_steps: int, init_lr: float = 0.0) -> None:
        self._init(inner=_as_schedule(inner, "inner"),
                   warmup_steps=check_steps(warmup_steps, "warmup_steps", minimum=0),
                   init_lr=check_rate(init_lr, "init_lr"))

    def _segments(self) -> list:
        p = self._params
        inner, W, a = p["inner"], p["warmup_steps"], p["init_lr"]
        if W == 0:
            return list(inner._segments())
        return [_plan.ramp(a, inner(0), W, length=W)] + list(inner._segments())


class Scaled(Schedule):
    """``factor * inner(t)`` (what ``schedule * factor`` and ``factor * schedule`` build).

    The factor multiplies the value parameters of every segment once, at construction (no extra
    work per step), so values equal ``factor * inner(t)`` to within the accuracy contract
    (1e-13 x the peak), not bit for bit: a product family agrees to an ulp or two, a ramp that
    ends near zero can differ by more ulps of its small values.

    Step convention: the value at step t is the learning rate of the (t+1)-th optimizer update.
    """

    __slots__ = ()
    _fields = ("inner", "factor")
    _aliases = ("scaled",)

    def __init__(self, inner: Any, factor: float) -> None:
        self._init(inner=_as_schedule(inner, "inner"), factor=check_rate(factor, "factor"))

    def _segments(self) -> list:
        return _plan.scale(self._params["inner"]._segments(), self._params["factor"])


def join(schedules: Sequence[Any], boundaries: Sequence[int]) -> Join:
    """Run ``schedules[k]`` on ``[boundaries[k-1], boundaries[k])`` with its own local step
    (see :class:`Join`). Nested joins flatten into one plan."""
    return Join(schedules, boundaries)


def with_warmup(schedule: Any, warmup_steps: int, init_lr: float = 0.0) -> WithWarmup:
    """Put a linear warmup from ``init_lr`` to ``schedule(0)`` in front of ``schedule``
    (see :class:`WithWarmup`)."""
    return WithWarmup(_as_schedule(schedule, "schedule"), warmup_steps, init_lr)
