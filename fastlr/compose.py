"""Composition: joins, warmup-then, scaling. Arithmetic on plan segments, never per step.

A composed schedule compiles to one flat plan (nested joins flatten), so it fills, gathers and
answers scalar calls through the same kernels as a single family; a scalar call costs a bisection
over the segment boundaries, O(log segments).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

from fastlr import plan
from fastlr.base import Maximum, Offset, Product, Scaled, Schedule, Sum, as_schedule
from fastlr.validate import (
    INT64_MAX,
    check_increasing,
    check_rate,
    check_sequence,
    check_step_list,
    check_steps,
)

__all__ = ["Join", "WithWarmup", "Scaled", "Shifted", "Product", "Sum", "Maximum", "Offset", "join",
           "with_warmup", "chain"]


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

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("schedules", "schedule_list"), ("boundaries", "steps_list"))
    _aliases = ("join",)

    def __init__(self, schedules: Sequence[Any], boundaries: Sequence[int]) -> None:
        scheds = tuple(as_schedule(s, f"schedules[{i}]")
                       for i, s in enumerate(check_sequence(schedules, "schedules", "schedules")))
        if not scheds:
            raise ValueError("schedules must not be empty")
        b = check_step_list(boundaries, "boundaries", minimum=1)
        if len(b) != len(scheds) - 1:
            raise ValueError(f"boundaries must have len(schedules) - 1 = {len(scheds) - 1} "
                             f"entries, got {len(b)}")
        check_increasing(b, "boundaries")
        self._init(schedules=scheds, boundaries=b)

    def segments(self) -> list:
        scheds, b = self._params["schedules"], self._params["boundaries"]
        starts = (0,) + b
        segs: list = []
        for k, s in enumerate(scheds[:-1]):
            segs += plan.truncate(s.segments(), starts[k + 1] - starts[k])
        return segs + list(scheds[-1].segments())


class WithWarmup(Schedule):
    """A linear ramp from ``init_lr`` to ``inner(0)`` over ``warmup_steps`` steps, then the
    ``inner`` schedule on the local step ``t - warmup_steps``:
    ``init_lr + (inner(0) - init_lr) * t / warmup_steps`` for ``t < warmup_steps``.
    (The dict key ``"schedule"`` names the class in :meth:`to_dict`, hence ``inner``.)

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("inner", "schedule"), ("warmup_steps", "steps"), ("init_lr", "rate"))
    _aliases = ("with_warmup",)

    def __init__(self, inner: Any, warmup_steps: int, init_lr: float = 0.0) -> None:
        self._init(inner=as_schedule(inner, "inner"),
                   warmup_steps=check_steps(warmup_steps, "warmup_steps", minimum=0),
                   init_lr=check_rate(init_lr, "init_lr"))

    def segments(self) -> list:
        p = self._params
        inner, W, a = p["inner"], p["warmup_steps"], p["init_lr"]
        if W == 0:
            return list(inner.segments())
        return [plan.ramp(a, inner(0), W, length=W)] + list(inner.segments())


class Shifted(Schedule):
    """``inner(t + shift)``: the inner schedule entered ``shift`` steps in (timm's
    ``warmup_prefix=False``, Hugging Face's shifted inverse square root). Composition on segments:
    the first ``shift`` steps are dropped, nothing is computed per step. Where ``t + shift`` would
    pass 2**63 - 1 (t > 2**63 - 1 - shift), the value ``inner(2**63 - 1)`` is held.

    Parameters
    ----------
    inner : Schedule
    shift : int
        >= 0.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("inner", "schedule"), ("shift", "steps"))
    _aliases = ("shifted", "shift")

    def __init__(self, inner: Any, shift: int) -> None:
        self._init(inner=as_schedule(inner, "inner"),
                   shift=check_steps(shift, "shift", minimum=0))

    def segments(self) -> list:
        inner, k = self._params["inner"], self._params["shift"]
        if k == 0:
            return list(inner.segments())
        segs = plan.truncate(plan.shift(inner.segments(), k), INT64_MAX - k + 1)
        return segs + [plan.const(inner(INT64_MAX))]


def join(schedules: Sequence[Any], boundaries: Sequence[int]) -> Join:
    """Run ``schedules[k]`` on ``[boundaries[k-1], boundaries[k])`` with its own local step
    (see :class:`Join`). Nested joins flatten into one plan."""
    return Join(schedules, boundaries)


def with_warmup(schedule: Any, warmup_steps: int, init_lr: float = 0.0) -> WithWarmup:
    """Put a linear warmup from ``init_lr`` to ``schedule(0)`` in front of ``schedule``
    (see :class:`WithWarmup`)."""
    return WithWarmup(as_schedule(schedule, "schedule"), warmup_steps, init_lr)


def chain(pieces: Sequence[Tuple[Any, Optional[int]]]) -> Schedule:
    """Schedules run end to end for given numbers of steps: ``pieces`` is a sequence of
    ``(schedule, n_steps)``, each schedule on its own local step for ``n_steps`` steps (``None``:
    forever, which ends the chain). Pieces of 0 steps are dropped; a piece reaching past step
    2**63 - 1 runs on. A single remaining piece is returned as it is, otherwise a :class:`Join`."""
    scheds: list = []
    bounds: list = []
    at = 0
    for s, n in pieces:
        if n is not None and n <= 0:
            continue
        if scheds:
            bounds.append(at)
        scheds.append(as_schedule(s, f"pieces[{len(scheds)}]"))
        if n is None or at + n > INT64_MAX:
            break
        at += n
    else:
        raise ValueError("chain: the last piece must run forever (n_steps None)")
    return scheds[0] if len(scheds) == 1 else Join(scheds, bounds)
