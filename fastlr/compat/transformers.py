"""Hugging Face ``transformers`` schedules as fastlr schedules.

Value at step ``t``: ``base_lr`` times the ``LambdaLR`` multiplier λ(t) that
``transformers.optimization`` builds (the lr of update t; t = 0 is the first update).
``base_lr`` stands for the optimizer group's lr (and, for ``polynomial`` and ``min_lr``, for
``optimizer.defaults["lr"]``: the two are the same for an optimizer built with ``lr=base_lr``).

Two entry points, both importable without transformers installed:

* :func:`get_scheduler` (``name``, ``base_lr``, ``num_warmup_steps``, ``num_training_steps``,
  ``scheduler_specific_kwargs``) for every name in :data:`SCHEDULER_NAMES`;
* the ``get_*_schedule*`` functions by their transformers names, with ``base_lr`` in place of the
  optimizer (and without ``last_epoch``).

:data:`CONSTRUCTORS` maps each ``get_scheduler`` name to a callable taking ``base_lr``,
``num_warmup_steps``, ``num_training_steps`` and the scheduler-specific keyword arguments
flattened (what a spec ``{"framework": "transformers", "name": "cosine", ...}`` dispatches to).

Semantics (see :mod:`fastlr.compat`), W = ``num_warmup_steps``, N = ``num_training_steps``,
D = max(1, N - W):

* reproduced exactly (to ~1e-16 of the peak; transformers computes in Python float64) on every
  step up to the end of the decay, conventions included: λ(0) = 0 (linear warmup t / max(1, W)),
  ``cosine_warmup_with_min_lr`` counting one step ahead, ``warmup_stable_decay`` starting its
  warmup at ``min_lr_ratio``, cosines with any real ``num_cycles``, hard restarts at the exact
  real restart points k·D/num_cycles;
* **deliberate difference** (cosine-shaped decays: ``cosine``, ``cosine_with_min_lr``,
  ``cosine_warmup_with_min_lr``): transformers does not clamp the progress p, so past the end of
  the decay (t >= W + D, resp. W + D - 1) its cosine keeps oscillating — with the default
  ``num_cycles = 0.5`` the lr climbs back to ``base_lr`` at t = W + 2D. The other transformers
  schedules stop there (linear at 0, hard restarts at 0, polynomial at ``lr_end``, WSD at
  ``min_lr_ratio``), and the climb is an artefact of the unclamped formula, so fastlr holds the
  value of p = 1 (``base_lr·(½(1 + cos(2π·num_cycles))·(1 - r) + r)``, the floor for 0.5)
  from there on;
* ``polynomial`` with N <= W: transformers divides by zero at t = N = W; fastlr gives ``lr_end``
  from t = W on (the value it holds after N);
* metric-driven names (``reduce_lr_on_plateau``, ``greedy``) raise
  :class:`fastlr.compat.NotPrecomputable`.

Bad input (negative step counts, negative ``num_cycles``/``min_lr_rate``/``min_lr_ratio``, an
unknown name or type) raises ValueError/TypeError naming the parameter; transformers' own errors
(missing W or N, ``lr_end >= base_lr``, both or neither of ``min_lr``/``min_lr_rate``) are
ValueErrors here too.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable, Dict, List, Optional, Tuple

import fastlr
from fastlr.compose import chain as _chain
from fastlr.compat import NotPrecomputable, cosine_piece as _cosine_piece
from fastlr.validate import check_choice, check_rate, check_real, check_steps

__all__ = [
    "get_scheduler",
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_inverse_sqrt_schedule",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_wsd_schedule",
    "get_reduce_on_plateau_schedule",
]

#: The ``get_scheduler`` names fastlr computes (transformers' ``SchedulerType`` values minus the
#: metric-driven ones). Hard-coded: no transformers import needed.
SCHEDULER_NAMES = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant",
                   "constant_with_warmup", "inverse_sqrt", "cosine_with_min_lr",
                   "cosine_warmup_with_min_lr", "warmup_stable_decay")
#: ``SchedulerType`` values that need a metric: :class:`NotPrecomputable`.
METRIC_NAMES = ("reduce_lr_on_plateau", "greedy")

_MAX_PIECES = 20000
_INT64_MAX = 2**63 - 1
_WSD_TYPES = ("linear", "cosine", "1-sqrt")

Piece = Tuple[Any, Optional[int]]   # (schedule on its local step, number of steps or None)


# ------------------------------------------------------------------------------------ pieces


def _grid(L: Fraction, shift: int, n: int) -> List[Tuple[int, int, Fraction]]:
    """The cycles of exact real length L met by the integer steps v in [shift, shift + n):
    (cycle index i, steps in it, phase of its first step v - i L)."""
    out: List[Tuple[int, int, Fraction]] = []
    if n <= 0:
        return out
    i = math.floor(Fraction(shift) / L)
    v, end = shift, shift + n
    while v < end:
        nxt = min(math.ceil((i + 1) * L), end)
        if nxt > v:
            out.append((i, nxt - v, v - i * L))
            if len(out) > _MAX_PIECES:
                raise ValueError(f"more than {_MAX_PIECES} cosine cycles: num_cycles is too large "
                                 f"for the number of steps")
        v = max(v, nxt)
        i += 1
    return out


def _wave(peak: float, low: float, H: Fraction, shift: int, n: int) -> List[Piece]:
    """``low + (peak - low) · ½(1 + cos(π v / H))``, v = τ + shift, for τ in [0, n): a cosine
    with real half-period H, continued smoothly (falling half-cycles and rising ones)."""
    pieces: List[Piece] = []
    for i, m, phi in _grid(H, shift, n):
        a, b = (low, peak) if i % 2 == 0 else (peak, low)
        pieces.append((_cosine_piece(a, b, H, phi, m), m))
    return pieces


def _warmup(B: float, W: int) -> List[Piece]:
    """λ = t / max(1, W) for t < W."""
    return [(fastlr.Linear(0.0, B, W), W)] if W > 0 else []


def _cosine_decay(B: float, D: int, num_cycles: float, r: float, shift: int) -> List[Piece]:
    """t >= W: B·max(0, ½(1 + cos(2π·nc·p))(1 - r) + r), p = (u + shift) / D; held from p = 1."""
    nc = check_real(num_cycles, "num_cycles", low=0.0)
    end = B * max(0.0, 0.5 * (1.0 + math.cos(math.pi * nc * 2.0 * 1.0)) * (1 - r) + r)
    n = D - shift
    if nc == 0:
        body: List[Piece] = [(fastlr.Constant(B), n)]
    else:
        body = _wave(B, B * r, Fraction(D) / (2 * Fraction(nc)), shift, n)
    return body + [(fastlr.Constant(end), None)]


def _steps(value: Any, name: str) -> int:
    if value is None:
        raise ValueError(f"{name} is required (got None)")
    return check_steps(value, name, minimum=0)


def _base(base_lr: Any) -> float:
    return check_rate(base_lr, "base_lr")


def _ratio(value: Any, name: str) -> float:
    return check_real(value, name, low=0.0)


# ------------------------------------------------------------------------------------ constructors

def get_constant_schedule(base_lr: float) -> Any:
    """λ = 1: ``base_lr`` at every step (fastlr ``Constant``)."""
    return fastlr.Constant(_base(base_lr))


def get_constant_schedule_with_warmup(base_lr: float, num_warmup_steps: int) -> Any:
    """λ = t / max(1, W) for t < W, then 1 (fastlr ``Warmup``; λ(0) = 0)."""
    return fastlr.Warmup(_base(base_lr), _steps(num_warmup_steps, "num_warmup_steps"))


def get_linear_schedule_with_warmup(base_lr: float, num_warmup_steps: int,
                                    num_training_steps: int) -> Any:
    """Warmup t / max(1, W), then λ = max(0, (N - t) / max(1, N - W)): 0 from N on (held)."""
    B = _base(base_lr)
    W, N = _steps(num_warmup_steps, "num_warmup_steps"), _steps(num_training_steps,
                                                                 "num_training_steps")
    decay = [(fastlr.Linear(B, 0.0, N - W), N - W)] if N > W else []
    return _chain(_warmup(B, W) + decay + [(fastlr.Constant(0.0), None)])


def get_cosine_schedule_with_warmup(base_lr: float, num_warmup_steps: int,
                                    num_training_steps: int, num_cycles: float = 0.5) -> Any:
    """Warmup, then λ = ½(1 + cos(2π·num_cycles·p)), p = (t - W) / max(1, N - W), for any real
    ``num_cycles`` >= 0 (the cosine continues smoothly through its troughs and crests); from
    p = 1 (t = W + D) the value of p = 1 is held (transformers keeps oscillating: see the module
    docstring)."""
    return get_cosine_with_min_lr_schedule_with_warmup(base_lr, num_warmup_steps,
                                                       num_training_steps, num_cycles,
                                                       min_lr_rate=0.0)


def get_cosine_with_hard_restarts_schedule_with_warmup(base_lr: float, num_warmup_steps: int,
                                                       num_training_steps: int,
                                                       num_cycles: float = 1) -> Any:
    """Warmup, then λ = ½(1 + cos(π·((num_cycles·p) mod 1))) for p < 1 and 0 from p = 1:
    ``num_cycles`` (any real >= 0) falling half-cosines of D / num_cycles steps each, restarting
    at the exact real points k·D / num_cycles (transformers finds them with a float product and
    a float ``% 1.0``)."""
    B = _base(base_lr)
    W, N = _steps(num_warmup_steps, "num_warmup_steps"), _steps(num_training_steps,
                                                                 "num_training_steps")
    nc = check_real(num_cycles, "num_cycles", low=0.0)
    D = max(1, N - W)
    if nc == 0:
        body: List[Piece] = [(fastlr.Constant(B), D)]
    else:
        L = Fraction(D) / Fraction(nc)
        body = [(_cosine_piece(0.0, B, L, phi, m), m) for _i, m, phi in _grid(L, 0, D)]
    return _chain(_warmup(B, W) + body + [(fastlr.Constant(0.0), None)])


def get_polynomial_decay_schedule_with_warmup(base_lr: float, num_warmup_steps: int,
                                              num_training_steps: int, lr_end: float = 1e-7,
                                              power: float = 1.0) -> Any:
    """Warmup, then ``(base_lr - lr_end)·(1 - (t - W)/(N - W))**power + lr_end`` for t <= N and
    ``lr_end`` after (fastlr ``Polynomial``). ``base_lr`` must exceed ``lr_end`` (ValueError, as
    transformers). N <= W: ``lr_end`` from W on (transformers divides by zero at t = N = W)."""
    B = _base(base_lr)
    W, N = _steps(num_warmup_steps, "num_warmup_steps"), _steps(num_training_steps,
                                                                 "num_training_steps")
    end = check_rate(lr_end, "lr_end")
    p = check_real(power, "power", low=0.0)
    if not B > end:
        raise ValueError(f"lr_end ({lr_end}) must be smaller than initial lr base_lr ({base_lr})")
    if N <= W:
        decay: List[Piece] = []
    elif p == 0:  # 0**0 == 1: base_lr up to N inclusive, then lr_end
        decay = [(fastlr.Constant(B), N - W + 1)]
    else:
        decay = [(fastlr.Polynomial(B, end, N - W, p), N - W)]
    return _chain(_warmup(B, W) + decay + [(fastlr.Constant(end), None)])


def get_inverse_sqrt_schedule(base_lr: float, num_warmup_steps: int,
                              timescale: Optional[int] = None) -> Any:
    """Warmup, then λ = 1 / sqrt((t - W + τ) / τ), τ = ``timescale`` or W or 10000 (1 at t = W):
    fastlr ``Shifted(InverseSqrt(base_lr, τ), τ)``."""
    B = _base(base_lr)
    W = _steps(num_warmup_steps, "num_warmup_steps")
    tau = (W or 10000) if timescale is None else check_steps(timescale, "timescale")
    return _chain(_warmup(B, W) + [(fastlr.Shifted(fastlr.InverseSqrt(B, tau), tau), None)])


def _min_lr_rate(B: float, min_lr: Any, min_lr_rate: Any) -> float:
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError("Only one of min_lr or min_lr_rate should be set")
    if min_lr is not None:
        if B == 0:
            raise ValueError("min_lr needs base_lr > 0 (it is divided by it); pass min_lr_rate")
        return check_rate(min_lr, "min_lr") / B
    if min_lr_rate is None:
        raise ValueError("One of min_lr or min_lr_rate should be set")
    return _ratio(min_lr_rate, "min_lr_rate")


def get_cosine_with_min_lr_schedule_with_warmup(base_lr: float, num_warmup_steps: int,
                                                num_training_steps: int,
                                                num_cycles: float = 0.5,
                                                min_lr: Optional[float] = None,
                                                min_lr_rate: Optional[float] = None) -> Any:
    """Warmup, then ``base_lr·(f(1 - r) + r)``, f = ½(1 + cos(2π·num_cycles·p)),
    p = (t - W) / max(1, N - W), r = ``min_lr / base_lr`` or ``min_lr_rate`` (exactly one);
    the value of p = 1 held from t = W + D (see the module docstring)."""
    B = _base(base_lr)
    W, N = _steps(num_warmup_steps, "num_warmup_steps"), _steps(num_training_steps,
                                                                 "num_training_steps")
    r = _min_lr_rate(B, min_lr, min_lr_rate)
    return _chain(_warmup(B, W) + _cosine_decay(B, max(1, N - W), num_cycles, r, 0))


def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
        base_lr: float, num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5,
        min_lr: Optional[float] = None, min_lr_rate: Optional[float] = None,
        warmup_lr_rate: Optional[float] = None) -> Any:
    """``cosine_warmup_with_min_lr``. Warmup (t < W): ``(t + 1) / max(1, W)`` without
    ``warmup_lr_rate`` (λ(0) = 1/W), else ``wr + (1 - wr)·t / max(1, W - 1)``. Then
    ``base_lr·(f(1 - r) + r)`` with p = (t - W + 1) / max(1, N - W) (one step ahead); the value of
    p = 1 held from t = W + D - 1."""
    B = _base(base_lr)
    W, N = _steps(num_warmup_steps, "num_warmup_steps"), _steps(num_training_steps,
                                                                 "num_training_steps")
    r = _min_lr_rate(B, min_lr, min_lr_rate)
    warm: List[Piece] = []
    if W > 0:
        if warmup_lr_rate is None:
            warm = [(fastlr.Linear(B / W, B * (W + 1) / W, W), W)]
        else:
            wr = _ratio(warmup_lr_rate, "warmup_lr_rate")
            warm = [(fastlr.Linear(B * wr, B, max(1, W - 1)), W)]
    return _chain(warm + _cosine_decay(B, max(1, N - W), num_cycles, r, 1))


def get_wsd_schedule(base_lr: float, num_warmup_steps: int, num_decay_steps: int,
                     num_training_steps: Optional[int] = None,
                     num_stable_steps: Optional[int] = None, warmup_type: str = "linear",
                     decay_type: str = "cosine", min_lr_ratio: float = 0,
                     num_cycles: float = 0.5) -> Any:
    """Warmup-stable-decay. S = ``num_stable_steps`` if given, else N - W - D_decay (one of the
    two is required). With r = ``min_lr_ratio``:
    t < W: ``f(1 - r) + r`` with f = p | ½(1 - cos(π p)) | 1 - sqrt(1 - p), p = t / max(1, W)
    (linear | cosine | 1-sqrt; λ(0) = r); then 1 for S steps; then the decay over D_decay steps,
    p = (t - W - S) / max(1, D_decay), f = 1 - p | ½(1 + cos(2π·num_cycles·p)) | 1 - sqrt(p);
    r after. A negative S (N < W + D_decay) enters the decay |S| steps in, as transformers."""
    B = _base(base_lr)
    W = _steps(num_warmup_steps, "num_warmup_steps")
    Dd = _steps(num_decay_steps, "num_decay_steps")
    if num_training_steps is None and num_stable_steps is None:
        raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
    if num_stable_steps is not None:
        S = _steps(num_stable_steps, "num_stable_steps")
    else:
        S = _steps(num_training_steps, "num_training_steps") - W - Dd
    wt = check_choice(warmup_type, "warmup_type", _WSD_TYPES)
    dt = check_choice(decay_type, "decay_type", _WSD_TYPES)
    r = _ratio(min_lr_ratio, "min_lr_ratio")
    lo = B * r
    warm: List[Piece] = []
    if W > 0:
        if wt == "linear":
            w = fastlr.Linear(lo, B, W)
        elif wt == "cosine":
            w = fastlr.CosineAnnealing(lo, W, min_lr=B)          # B - (B - lo) cos²: rising
        else:
            w = fastlr.Polynomial(lo, B, W, power=0.5)           # B - (B - lo) sqrt(1 - p)
        warm = [(w, W)]
    skip = max(0, -S)           # S < 0: the decay is entered |S| steps in
    n = Dd - skip
    decay: List[Piece] = []
    if n > 0:
        Dm = max(1, Dd)
        if dt == "linear":
            decay = [(fastlr.Shifted(fastlr.Linear(B, lo, Dm), skip), n)]
        elif dt == "1-sqrt":
            decay = [(fastlr.Shifted(fastlr.WarmupStableDecay(B, 0, 0, Dm, lo, "sqrt"), skip), n)]
        else:
            nc = check_real(num_cycles, "num_cycles", low=0.0)
            decay = ([(fastlr.Constant(B), n)] if nc == 0
                     else _wave(B, lo, Fraction(Dm) / (2 * Fraction(nc)), skip, n))
    stable = [(fastlr.Constant(B), S)] if S > 0 else []
    return _chain(warm + stable + decay + [(fastlr.Constant(lo), None)])


def get_reduce_on_plateau_schedule(base_lr: float, **kwargs: Any) -> Any:
    """Always raises :class:`NotPrecomputable`: ReduceLROnPlateau follows a metric."""
    raise NotPrecomputable("transformers' reduce_lr_on_plateau (ReduceLROnPlateau) changes the lr "
                           "when a validation metric stops improving: no table of values exists")


def _get_greedy_schedule(base_lr: float, **kwargs: Any) -> Any:
    raise NotPrecomputable("transformers' greedy schedule (GreedyLR) adapts the lr to the loss: "
                           "no table of values exists")


# ------------------------------------------------------------------------------------ get_scheduler

_BY_NAME: Dict[str, Tuple[Callable[..., Any], str]] = {
    # name: (function, which step counts get_scheduler passes: "" | "W" | "WN" | "WN?")
    "linear": (get_linear_schedule_with_warmup, "WN"),
    "cosine": (get_cosine_schedule_with_warmup, "WN"),
    "cosine_with_restarts": (get_cosine_with_hard_restarts_schedule_with_warmup, "WN"),
    "polynomial": (get_polynomial_decay_schedule_with_warmup, "WN"),
    "constant": (get_constant_schedule, ""),
    "constant_with_warmup": (get_constant_schedule_with_warmup, "W"),
    "inverse_sqrt": (get_inverse_sqrt_schedule, "W+"),
    "cosine_with_min_lr": (get_cosine_with_min_lr_schedule_with_warmup, "WN"),
    "cosine_warmup_with_min_lr": (get_cosine_with_min_lr_schedule_with_warmup_lr_rate, "WN"),
    "warmup_stable_decay": (get_wsd_schedule, "WN?"),
    "reduce_lr_on_plateau": (get_reduce_on_plateau_schedule, "kw"),
    "greedy": (_get_greedy_schedule, "kw"),
}


def get_scheduler(name: Any, base_lr: float, num_warmup_steps: Optional[int] = None,
                  num_training_steps: Optional[int] = None,
                  scheduler_specific_kwargs: Optional[Dict[str, Any]] = None) -> Any:
    """transformers ``get_scheduler(name, optimizer, ...)`` with ``base_lr`` for the optimizer.

    ``name`` is a ``SchedulerType`` value (or the enum itself). As transformers: ``constant``
    ignores the step counts and the extra kwargs; ``constant_with_warmup`` uses only W;
    ``inverse_sqrt`` W and the kwargs; ``warmup_stable_decay`` W, N (may be None) and the kwargs;
    the others need W and N (ValueError when missing). Metric-driven names raise
    :class:`NotPrecomputable`.
    """
    key = getattr(name, "value", name)
    if not isinstance(key, str):
        raise TypeError(f"name must be a scheduler name (str), got {name!r}")
    if key not in _BY_NAME:
        from fastlr.validate import suggest
        raise ValueError(f"{key!r} is not a valid SchedulerType{suggest(key, _BY_NAME)}; "
                         f"names: {', '.join(_BY_NAME)}")
    func, needs = _BY_NAME[key]
    ssk = dict(scheduler_specific_kwargs or {})
    if needs == "":
        return func(base_lr)
    if needs == "kw":
        return func(base_lr, **ssk)
    if num_warmup_steps is None:
        raise ValueError(f"{key} requires `num_warmup_steps`, please provide that argument.")
    if needs == "W":
        return func(base_lr, num_warmup_steps=num_warmup_steps)
    if needs == "W+":
        return func(base_lr, num_warmup_steps=num_warmup_steps, **ssk)
    if needs == "WN?":
        return func(base_lr, num_warmup_steps=num_warmup_steps,
                    num_training_steps=num_training_steps, **ssk)
    if num_training_steps is None:
        raise ValueError(f"{key} requires `num_training_steps`, please provide that argument.")
    return func(base_lr, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps,
                **ssk)


def _by_name(name: str) -> Callable[..., Any]:
    def build(base_lr: float, num_warmup_steps: Optional[int] = None,
              num_training_steps: Optional[int] = None,
              scheduler_specific_kwargs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Any:
        return get_scheduler(name, base_lr, num_warmup_steps, num_training_steps,
                             {**(scheduler_specific_kwargs or {}), **kwargs})
    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"``get_scheduler({name!r}, base_lr, num_warmup_steps, num_training_steps, "
                     f"scheduler_specific_kwargs)`` with the scheduler-specific kwargs also "
                     f"accepted flattened.")
    return build


#: get_scheduler name -> callable(base_lr, num_warmup_steps=None, num_training_steps=None,
#: **scheduler_specific_kwargs)
CONSTRUCTORS: Dict[str, Callable[..., Any]] = {name: _by_name(name)
                                              for name in SCHEDULER_NAMES + METRIC_NAMES}

#: constructor (function or get_scheduler name) -> the fastlr classes it is built from
FASTLR_NAMES: Dict[str, Tuple[str, ...]] = {
    "get_scheduler": ("(by name)",),
    "get_constant_schedule": ("Constant",),
    "get_constant_schedule_with_warmup": ("Warmup",),
    "get_linear_schedule_with_warmup": ("Join", "Linear", "Constant"),
    "get_cosine_schedule_with_warmup": ("Join", "Linear", "CosineRestarts", "Shifted", "Constant"),
    "get_cosine_with_hard_restarts_schedule_with_warmup": ("Join", "Linear", "CosineRestarts",
                                                           "Shifted", "Constant"),
    "get_polynomial_decay_schedule_with_warmup": ("Join", "Linear", "Polynomial", "Constant"),
    "get_inverse_sqrt_schedule": ("Join", "Linear", "Shifted", "InverseSqrt"),
    "get_cosine_with_min_lr_schedule_with_warmup": ("Join", "Linear", "CosineRestarts", "Shifted",
                                                    "Constant"),
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": ("Join", "Linear", "CosineRestarts",
                                                            "Shifted", "Constant"),
    "get_wsd_schedule": ("Join", "Linear", "CosineAnnealing", "Polynomial", "WarmupStableDecay",
                         "CosineRestarts", "Shifted", "Constant"),
    "get_reduce_on_plateau_schedule": (),
}
for _name in SCHEDULER_NAMES + METRIC_NAMES:
    _func = _BY_NAME[_name][0]
    FASTLR_NAMES[_name] = FASTLR_NAMES.get(getattr(_func, "__name__", ""), ())
del _name, _func
