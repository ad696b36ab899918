"""Schedule classes: validate parameters once, compile to a plan, expose fill/array/__call__.

Step convention (every schedule): the value at step ``t`` (t = 0, 1, 2, ...) is the learning rate of
the (t+1)-th optimizer update, as in torch, optax, keras and timm. Steps are 64-bit: any integer in
[0, 2**63 - 1] is a valid step.
"""
from __future__ import annotations

from typing import Any, ClassVar, Dict, Tuple

import numpy as np

from fastlr import _plan
from fastlr._validate import (
    INT64_MAX,
    check_dtype,
    check_rate,
    check_real,
    check_step,
    check_steps,
    check_window,
)

__all__ = [
    "Schedule",
    "StepDecay",
    "ExponentialDecay",
    "CosineAnnealing",
    "Warmup",
    "Cyclical",
    "from_dict",
    "registry",
]

_REGISTRY: Dict[str, type] = {}
_ALIASES: Dict[str, str] = {}


def registry() -> Dict[str, type]:
    """Schedule classes by name, aliases included (e.g. ``"cosine"`` -> CosineAnnealing)."""
    out = dict(_REGISTRY)
    out.update({alias: _REGISTRY[name] for alias, name in _ALIASES.items()})
    return out


def lookup(name: str) -> type:
    """The schedule class called `name` (class name or alias, case-insensitive for aliases)."""
    if not isinstance(name, str):
        raise TypeError(f"schedule name must be a string, got {name!r}")
    if name in _REGISTRY:
        return _REGISTRY[name]
    key = name.lower().replace("-", "_")
    if key in _ALIASES:
        return _REGISTRY[_ALIASES[key]]
    known = ", ".join(sorted(_REGISTRY))
    raise ValueError(f"unknown schedule {name!r}; known schedules: {known}")


class Schedule:
    """Base class of every fastlr schedule: a pure function of the integer step.

    Subclasses declare ``_fields`` (constructor parameters, in order), validate them in
    ``__init__`` and describe themselves as plan segments in ``_segments``. Everything else —
    filling, scalar and gather calls, equality, hashing, serialisation — lives here and runs through
    the same compiled plan.
    """

    __slots__ = ("_params", "_plan")
    _fields: ClassVar[Tuple[str, ...]] = ()
    _aliases: ClassVar[Tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for field in cls._fields:
            if not hasattr(cls, field):
                setattr(cls, field, property(lambda self, _f=field: self._params[_f],
                                             doc=f"The ``{field}`` parameter."))
        if not cls.__name__.startswith("_"):
            _REGISTRY[cls.__name__] = cls
            for alias in cls._aliases:
                _ALIASES[alias] = cls.__name__

    def _init(self, **params: Any) -> None:
        object.__setattr__(self, "_params", params)
        object.__setattr__(self, "_plan", _plan.compile_plan(self._segments()))

    def _segments(self) -> list:  # pragma: no cover - every concrete class overrides it
        raise NotImplementedError

    # ---------------------------------------------------------------------------- evaluation
    def fill(self, out: np.ndarray, start: int = 0) -> np.ndarray:
        """Write the values of steps ``start … start+len(out)-1`` into ``out`` and return ``out``.

        ``out`` must be a writeable, 1-D, C-contiguous, aligned, native-order numpy array of
        float32 or float64. float64 values are computed directly; float32 values are the float64
        values rounded once. The GIL is released while the kernel runs. Invalid ``out`` or
        ``start`` raise TypeError/ValueError before anything is written.
        """
        return self._plan.fill(out, start)

    def array(self, n: int, start: int = 0, dtype: Any = np.float64, *,
              out: np.ndarray | None = None) -> np.ndarray:
        """The values of steps ``start … start+n-1`` as a new array of ``dtype`` (float32/64).

        With ``out``, fill it instead: ``n`` must equal ``len(out)`` and ``dtype`` its dtype.
        """
        n = check_steps(n, "n", minimum=0)
        dt = check_dtype(dtype)
        start = check_step(start, "start")
        check_window(start, n)
        if out is not None:
            from fastlr._validate import check_out

            check_out(out)
            if out.dtype != dt:
                raise TypeError(f"dtype={dt} disagrees with out.dtype={out.dtype}")
            if out.shape[0] != n:
                raise ValueError(f"n={n} disagrees with len(out)={out.shape[0]}")
            return self._plan.fill(out, start)
        return self._plan.fill(np.empty(n, dtype=dt), start)

    def __call__(self, t: Any) -> Any:
        """The value at step ``t``.

        An integer gives a Python float. An integer array (any shape; lists work too) gives a
        float64 array of the same shape, computed by a compiled gather in any order of steps;
        its values equal the corresponding elements of ``fill`` bit for bit.
        """
        if type(t) is int:
            return self._plan.value(t)
        if not (isinstance(t, (np.ndarray, list, tuple)) or hasattr(t, "__array__")):
            return self._plan.value(t)  # np.integer, or a clear TypeError
        steps = np.asarray(t)
        if steps.dtype.kind not in "iu":
            raise TypeError(f"steps must be an integer array, got dtype {steps.dtype}")
        if steps.dtype.kind == "u" and steps.size and int(steps.max()) > INT64_MAX:
            raise ValueError(f"steps must be <= 2**63 - 1, got {int(steps.max())}")
        flat = np.ascontiguousarray(steps, dtype=np.int64).reshape(-1)
        out = np.empty(flat.shape[0], dtype=np.float64)
        bad = self._plan.gather(flat, out)
        if bad >= 0:
            raise ValueError(f"steps must be >= 0, got {int(flat[bad])} at flat index {bad}")
        return out.reshape(steps.shape)

    # ---------------------------------------------------------------------------- identity
    @property
    def params(self) -> Dict[str, Any]:
        """The constructor parameters, validated and normalised (a copy)."""
        return dict(self._params)

    def to_dict(self) -> Dict[str, Any]:
        """A plain dict (JSON-safe) that :func:`fastlr.from_dict` turns back into an equal schedule."""
        return {"schedule": type(self).__name__, **self._params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._params == other._params  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self._params.items())))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self):
        return (from_dict, (self.to_dict(),))


def from_dict(d: Dict[str, Any]) -> Schedule:
    """Rebuild a schedule from :meth:`Schedule.to_dict` output (the ``"schedule"`` key names the
    class; aliases such as ``"cosine"`` are accepted)."""
    if not isinstance(d, dict):
        raise TypeError(f"from_dict expects a dict, got {type(d).__name__}")
    if "schedule" not in d:
        raise ValueError(f"the dict has no 'schedule' key naming the class: {d!r}")
    params = dict(d)
    cls = lookup(params.pop("schedule"))
    return cls(**params)


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

    Step convention: the value at step t is the learning rate of the (t+1)-th optimizer update.
    """

    __slots__ = ()
    _fields = ("lr", "gamma", "step_size")
    _aliases = ("step", "step_decay", "steplr")

    def __init__(self, lr: float, gamma: float, step_size: int) -> None:
        self._init(lr=check_rate(lr, "lr"),
                   gamma=check_real(gamma, "gamma", low=0.0, low_open=True),
                   step_size=check_steps(step_size, "step_size"))

    def _segments(self) -> list:
        p = self._params
        return [_plan.step(p["lr"], p["gamma"], p["step_size"])]


class ExponentialDecay(Schedule):
    r"""Exponential decay: ``lr * exp(-decay_rate * t)``.

    ``decay_rate`` is the continuous rate per step (torch ``ExponentialLR(gamma)`` is
    ``decay_rate = -log(gamma)``). No horizon: the formula holds for every step; values underflow to
    0.0 once ``decay_rate * t`` passes ~745 + log(lr).

    Parameters
    ----------
    lr : float
        The rate at step 0; finite, >= 0.
    decay_rate : float
        Finite, >= 0 (0 gives a constant).

    Step convention: the value at step t is the learning rate of the (t+1)-th optimizer update.
    """

    __slots__ = ()
    _fields = ("lr", "decay_rate")
    _aliases = ("exponential", "exp", "exponential_decay")

    def __init__(self, lr: float, decay_rate: float) -> None:
        self._init(lr=check_rate(lr, "lr"), decay_rate=check_real(decay_rate, "decay_rate", low=0.0))

    def _segments(self) -> list:
        p = self._params
        return [_plan.exponential(p["lr"], p["decay_rate"])]


class CosineAnnealing(Schedule):
    r"""Cosine annealing from ``max_lr`` to ``min_lr`` over ``total_steps`` steps.

    ``min_lr + ½ (max_lr - min_lr) (1 + cos(π t / total_steps))`` for ``0 <= t < total_steps``,
    and ``min_lr`` for ``t >= total_steps`` (the formula's own value at ``t = total_steps``, held).
    Evaluated as ``min_lr + (max_lr - min_lr) cos²(π t / (2 total_steps))``, which does not cancel
    near the floor. Same values as torch ``CosineAnnealingLR(T_max=total_steps, eta_min=min_lr)``
    for ``t <= T_max`` and optax ``cosine_decay_schedule``.

    Parameters
    ----------
    max_lr : float
        The rate at step 0; finite, >= 0.
    total_steps : int
        The horizon T; >= 1.
    min_lr : float, default 0.0
        The floor; finite, >= 0.

    Step convention: the value at step t is the learning rate of the (t+1)-th optimizer update.
    """

    __slots__ = ()
    _fields = ("max_lr", "total_steps", "min_lr")
    _aliases = ("cosine", "cosine_annealing", "cosine_decay", "cos")

    def __init__(self, max_lr: float, total_steps: int, min_lr: float = 0.0) -> None:
        self._init(max_lr=check_rate(max_lr, "max_lr"),
                   total_steps=check_steps(total_steps, "total_steps"),
                   min_lr=check_rate(min_lr, "min_lr"))

    def _segments(self) -> list:
        p = self._params
        hi, lo, T = p["max_lr"], p["min_lr"], p["total_steps"]
        return [_plan.cos2(lo, hi - lo, T, periodic=False, length=T), _plan.const(lo)]


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

    Step convention: the value at step t is the learning rate of the (t+1)-th optimizer update.
    """

    __slots__ = ()
    _fields = ("max_lr", "warmup_steps", "init_lr")
    _aliases = ("warmup", "linear_warmup")

    def __init__(self, max_lr: float, warmup_steps: int, init_lr: float = 0.0) -> None:
        self._init(max_lr=check_rate(max_lr, "max_lr"),
                   warmup_steps=check_steps(warmup_steps, "warmup_steps", minimum=0),
                   init_lr=check_rate(init_lr, "init_lr"))

    def _segments(self) -> list:
        p = self._params
        hi, lo, W = p["max_lr"], p["init_lr"], p["warmup_steps"]
        ramp = [_plan.linear(lo, (hi - lo) / W, length=W)] if W > 0 else []
        return ramp + [_plan.const(hi)]


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

    Step convention: the value at step t is the learning rate of the (t+1)-th optimizer update.
    """

    __slots__ = ()
    _fields = ("max_lr", "cycle_steps", "min_lr")
    _aliases = ("cyclical", "cyclic", "cyclical_cosine")

    def __init__(self, max_lr: float, cycle_steps: int, min_lr: float = 0.0) -> None:
        self._init(max_lr=check_rate(max_lr, "max_lr"),
                   cycle_steps=check_steps(cycle_steps, "cycle_steps", maximum=INT64_MAX // 2),
                   min_lr=check_rate(min_lr, "min_lr"))

    def _segments(self) -> list:
        p = self._params
        hi, lo = p["max_lr"], p["min_lr"]
        return [_plan.cos2(lo, hi - lo, p["cycle_steps"], periodic=True)]

