"""timm (``timm.scheduler``) schedules as fastlr schedules.

Value at step ``t``: the lr of update t, i.e. what the optimizer holds after
``scheduler.step_update(num_updates=t)`` with ``t_in_epochs=False`` — timm's ``_get_lr(t)``. (With
``t_in_epochs=True`` timm evaluates the same function at the epoch index, so ``t`` then counts
epochs; the argument is accepted and changes nothing here.) Constructors take timm's argument names
and defaults, minus the optimizer, plus ``base_lr`` (the optimizer group's ``initial_lr``).
Importable without timm installed.

Semantics (see :mod:`fastlr.compat`):

* reproduced on timm's domain: warmup ``warmup_lr_init + t·(target - warmup_lr_init)/warmup_t``
  (target ``base_lr``; for TanhLRScheduler with ``warmup_prefix=False`` the tanh value at
  ``warmup_t``, as timm), ``warmup_prefix`` both ways (False: the first ``warmup_t`` steps of the
  main schedule are replaced; True: the main schedule starts after them), cycles of real length
  ``t_initial·cycle_mul**i`` (non-integer ``cycle_mul`` too), ``cycle_decay`` (> 1 too),
  ``cycle_limit`` (``lr_min`` after it), ``k_decay``, ``lr_min``; MultiStepLRScheduler decays one
  update early (``bisect_right(decay_t, t + 1)``), as timm;
* **floating-point bug, exact value given**: with ``cycle_mul != 1`` timm finds the cycle with
  ``floor(math.log(1 - t/T·(1 - m), m))``, which lands one cycle short at some exact restarts
  (e.g. m = 3, T = 1, t = 121: the end of cycle 4 instead of the start of cycle 5); fastlr places
  every restart at its exact real position ``T (m**i - 1)/(m - 1)``; likewise where timm's float
  restart lands just past the step, so that PolyLRScheduler's ``t_cur**k_decay`` is a complex
  number (e.g. T = 100, m = 1.1, k_decay = 0.5, t = 331);
* **framework raises, fastlr holds**: Cosine/Poly compute ``cycle_decay**i`` before checking
  ``cycle_limit``, so ``cycle_decay > 1`` raises OverflowError far past the limit; fastlr gives
  ``lr_min`` there (the value past ``cycle_limit``);
* noise (``noise_range_t`` not None) is random by design, PlateauLRScheduler follows a metric and
  a callable WSDLRScheduler ``decay_fn`` is arbitrary Python: all raise
  :class:`fastlr.compat.NotPrecomputable`;
* timm's asserts (``t_initial > 0``, ``lr_min >= 0``, ``lb < ub``, ...) are ValueErrors here;
  ``cycle_mul < 1`` and an unsorted MultiStep ``decay_t`` (timm accepts both and computes
  nonsense) are ValueErrors too.

WSDLRScheduler is covered in every configuration timm accepts (every ``stable_fn`` and
``decay_fn``, any real ``stable_timescale``, ``lr_min > 0``) except a callable ``decay_fn``, which
raises :class:`fastlr.compat.NotPrecomputable` (an arbitrary Python function), and noise.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Dict, List, Optional, Tuple

import fastlr
from fastlr.compose import chain as _chain
from fastlr.compat import NotPrecomputable
from fastlr.validate import check_choice, check_rate, check_real, check_step_list, check_steps

__all__ = ["CosineLRScheduler", "TanhLRScheduler", "StepLRScheduler", "MultiStepLRScheduler",
           "PolyLRScheduler", "PlateauLRScheduler", "WSDLRScheduler"]

_MAX_PIECES = 20000
_INT64_MAX = 2**63 - 1


def _no_noise(noise_range_t: Any, cls: str) -> None:
    if noise_range_t is not None:
        raise NotPrecomputable(f"{cls}(noise_range_t={noise_range_t!r}) adds seeded random noise to "
                               f"the lr: not a function of the step alone; pass noise_range_t=None")




def _warm(main: Any, base_lr: float, warmup_t: int, warmup_lr_init: float, prefix: bool,
          target: Optional[float] = None) -> Any:
    """timm's warmup in front of ``main`` (a schedule of the post-warmup step)."""
    if warmup_t == 0:
        return main
    ramp = fastlr.Linear(warmup_lr_init, base_lr if target is None else target, warmup_t)
    return fastlr.join([ramp, main if prefix else fastlr.Shifted(main, warmup_t)], [warmup_t])


def _cycles(t_initial: int, cycle_mul: float, cycle_limit: int) -> List[Tuple[int, int, Fraction,
                                                                              Fraction]]:
    """The cycles below 2**63 (at most cycle_limit): (index, first integer step, phase of that
    step in the cycle, exact real length)."""
    T, m = Fraction(t_initial), Fraction(cycle_mul)
    out, S, L, i = [], Fraction(0), T, 0
    while i < cycle_limit:
        first = math.ceil(S)
        if first > _INT64_MAX:
            break
        out.append((i, first, first - S, L))
        if len(out) > _MAX_PIECES:
            raise ValueError(f"more than {_MAX_PIECES} cycles below step 2**63 (t_initial="
                             f"{t_initial}, cycle_mul={cycle_mul}, cycle_limit={cycle_limit}): "
                             f"pass a smaller cycle_limit")
        S, L, i = S + L, L * m, i + 1
    return out


def _cycled(pieces_of: Any, t_initial: int, cycle_mul: float, cycle_limit: int,
            lr_min: float) -> Any:
    """Join one piece per cycle (``pieces_of(i, phase, length, n_steps)``), then ``lr_min``."""
    cyc = _cycles(t_initial, cycle_mul, cycle_limit)
    pieces = []
    for k, (i, first, phi, L) in enumerate(cyc):
        nxt = cyc[k + 1][1] if k + 1 < len(cyc) else None
        if nxt is None:
            end = first - phi + L
            nxt = min(math.ceil(end), _INT64_MAX + 1)
        n = nxt - first
        if n > 0:
            pieces.append((pieces_of(i, phi, L, n), n))
    return _chain(pieces + [(fastlr.Constant(lr_min), None)])


def _common(base_lr: Any, t_initial: Any, lr_min: Any, cycle_mul: Any, cycle_decay: Any,
            cycle_limit: Any, warmup_t: Any, warmup_lr_init: Any) -> Tuple:
    return (check_rate(base_lr, "base_lr"), check_steps(t_initial, "t_initial"),
            check_rate(lr_min, "lr_min"), check_real(cycle_mul, "cycle_mul", low=1.0),
            check_real(cycle_decay, "cycle_decay", low=0.0, low_open=True),
            check_steps(cycle_limit, "cycle_limit", minimum=0),
            check_steps(warmup_t, "warmup_t", minimum=0), check_rate(warmup_lr_init,
                                                                     "warmup_lr_init"))


def CosineLRScheduler(base_lr: float, t_initial: int, lr_min: float = 0., cycle_mul: float = 1.,
                      cycle_decay: float = 1., cycle_limit: int = 1, warmup_t: int = 0,
                      warmup_lr_init: float = 0., warmup_prefix: bool = False,
                      t_in_epochs: bool = True, noise_range_t: Any = None,
                      noise_pct: float = 0.67, noise_std: float = 1.0, noise_seed: int = 42,
                      k_decay: float = 1.0, initialize: bool = True) -> Any:
    """timm ``CosineLRScheduler``: in cycle i (real length ``T·cycle_mul**i``, at most
    ``cycle_limit`` cycles) at ``t_cur`` steps in,
    ``lr_min + ½(base_lr·cycle_decay**i - lr_min)(1 + cos(π t_cur**k / t_i**k))``; ``lr_min`` after
    the last cycle; timm's warmup in front. fastlr ``WarmRestarts`` (integer periodic cycles) or
    ``CosineRestarts`` (exact real restarts), joined after a ``Linear`` warmup."""
    _no_noise(noise_range_t, "CosineLRScheduler")
    B, T, lo, m, d, K, W, w0 = _common(base_lr, t_initial, lr_min, cycle_mul, cycle_decay,
                                       cycle_limit, warmup_t, warmup_lr_init)
    k = check_real(k_decay, "k_decay", low=0.0, low_open=True)
    if K == 0:
        main: Any = fastlr.Constant(lo)
    elif m == 1 and k == 1 and d <= 1:
        main = fastlr.WarmRestarts(B, T, 1, lo, d, max_cycles=K)
    else:
        if K * T > _INT64_MAX and m == 1:
            K = _INT64_MAX // T + 1
        main = fastlr.CosineRestarts(B, float(T), m, lo, d, max_cycles=K, k_decay=k)
    return _warm(main, B, W, w0, bool(warmup_prefix))


def TanhLRScheduler(base_lr: float, t_initial: int, lb: float = -7., ub: float = 3.,
                    lr_min: float = 0., cycle_mul: float = 1., cycle_decay: float = 1.,
                    cycle_limit: int = 1, warmup_t: int = 0, warmup_lr_init: float = 0.,
                    warmup_prefix: bool = False, t_in_epochs: bool = True,
                    noise_range_t: Any = None, noise_pct: float = 0.67, noise_std: float = 1.0,
                    noise_seed: int = 42, initialize: bool = True) -> Any:
    """timm ``TanhLRScheduler``: in cycle i, with ``tr = t_cur / t_i``,
    ``lr_min + ½(base_lr·cycle_decay**i - lr_min)(1 - tanh(lb (1 - tr) + ub tr))``; ``lr_min``
    after ``cycle_limit`` cycles. Each cycle is a fastlr ``TanhDecay`` over its integer steps, its
    tanh bounds moved by the real phase of its first step (exact real restarts). The warmup target
    is ``base_lr`` with ``warmup_prefix=True`` and the tanh value at ``warmup_t`` otherwise."""
    _no_noise(noise_range_t, "TanhLRScheduler")
    B, T, lo, m, d, K, W, w0 = _common(base_lr, t_initial, lr_min, cycle_mul, cycle_decay,
                                       cycle_limit, warmup_t, warmup_lr_init)
    lb_, ub_ = check_real(lb, "lb"), check_real(ub, "ub")
    if not lb_ < ub_:
        raise ValueError(f"lb must be < ub, got lb={lb!r}, ub={ub!r}")
    span = Fraction(ub_) - Fraction(lb_)

    def piece(i: int, phi: Fraction, L: Fraction, n: int) -> Any:
        x0 = Fraction(lb_) + span * phi / L
        return fastlr.TanhDecay(B * d**i, n, lo, float(x0), float(x0 + span * n / L))

    main = _cycled(piece, T, m, K, lo)
    prefix = bool(warmup_prefix)
    return _warm(main, B, W, w0, prefix, None if prefix else main(W))


def PolyLRScheduler(base_lr: float, t_initial: int, power: float = 0.5, lr_min: float = 0.,
                    cycle_mul: float = 1., cycle_decay: float = 1., cycle_limit: int = 1,
                    warmup_t: int = 0, warmup_lr_init: float = 0., warmup_prefix: bool = False,
                    t_in_epochs: bool = True, noise_range_t: Any = None, noise_pct: float = 0.67,
                    noise_std: float = 1.0, noise_seed: int = 42, k_decay: float = 1.0,
                    initialize: bool = True) -> Any:
    """timm ``PolyLRScheduler``: in cycle i (real length ``T·cycle_mul**i``, at most
    ``cycle_limit`` cycles) at ``t_cur`` steps in,
    ``lr_min + (base_lr·cycle_decay**i - lr_min)(1 - t_cur**k / t_i**k)**power``; ``lr_min`` after
    the last cycle; timm's warmup in front. With an integer ``cycle_mul`` every cycle starts at
    an integer step with an integer length: fastlr ``Polynomial`` pieces, joined. A non-integer
    ``cycle_mul`` starts cycles at fractional steps: fastlr ``PolynomialRestarts`` (exact real
    restarts, at most 2000 cycles below step 2**63, as CosineLRScheduler), or for
    ``power == k_decay == 1`` ``Linear`` pieces of real phase (up to 20000 cycles). A cycle longer
    than 2**63 - 1 steps in the integer case (it never ends within int64 steps; e.g. cycle_mul=3
    with a large cycle_limit) is cut to 2**63 - 1 steps: its values at step u differ from timm's
    by about power·u·(1/2**63 - 1/t_i) of the peak (< 1e-12 of the peak for u < 10**6)."""
    _no_noise(noise_range_t, "PolyLRScheduler")
    B, T, lo, m, d, K, W, w0 = _common(base_lr, t_initial, lr_min, cycle_mul, cycle_decay,
                                       cycle_limit, warmup_t, warmup_lr_init)
    p = check_real(power, "power", low=0.0)
    k = check_real(k_decay, "k_decay", low=0.0, low_open=True)
    if K > 0 and not m.is_integer() and (p != 1 or k != 1):
        main = fastlr.PolynomialRestarts(B, float(T), m, lo, d, max_cycles=K, power=p, k_decay=k)
        return _warm(main, B, W, w0, bool(warmup_prefix))

    def piece(i: int, phi: Fraction, L: Fraction, n: int) -> Any:
        hi = B * d**i
        if phi == 0 and L.denominator == 1:
            # a cycle longer than 2**63 - 1 steps never ends: cut to that length (documented)
            return fastlr.Polynomial(hi, lo, min(int(L), _INT64_MAX), p, k)
        x = lambda tau: float(1 - (phi + tau) / L)  # noqa: E731
        if n == 1:
            return fastlr.Constant(lo + (hi - lo) * (1 - float(phi / L) ** k) ** p)
        # power == k_decay == 1 here (the other powers are PolynomialRestarts above)
        return fastlr.Linear(lo + (hi - lo) * x(0), lo + (hi - lo) * x(n - 1), n - 1)

    main = _cycled(piece, T, m, K, lo)
    return _warm(main, B, W, w0, bool(warmup_prefix))


def StepLRScheduler(base_lr: float, decay_t: float, decay_rate: float = 1., warmup_t: int = 0,
                    warmup_lr_init: float = 0., warmup_prefix: bool = True,
                    t_in_epochs: bool = True, noise_range_t: Any = None, noise_pct: float = 0.67,
                    noise_std: float = 1.0, noise_seed: int = 42, initialize: bool = True) -> Any:
    """timm ``StepLRScheduler``: ``base_lr·decay_rate**(t // decay_t)`` (fastlr ``StepDecay``;
    ``decay_rate == 0``: ``base_lr`` then 0), after timm's warmup."""
    _no_noise(noise_range_t, "StepLRScheduler")
    B = check_rate(base_lr, "base_lr")
    dt = check_steps(int(decay_t) if isinstance(decay_t, float) and decay_t.is_integer()
                     else decay_t, "decay_t")
    r = check_real(decay_rate, "decay_rate", low=0.0)
    W, w0 = check_steps(warmup_t, "warmup_t", minimum=0), check_rate(warmup_lr_init,
                                                                     "warmup_lr_init")
    main = (fastlr.StepDecay(B, r, dt) if r > 0
            else fastlr.PiecewiseConstant([dt], [B, 0.0]))
    return _warm(main, B, W, w0, bool(warmup_prefix))


def MultiStepLRScheduler(base_lr: float, decay_t: List[int], decay_rate: float = 1.,
                         warmup_t: int = 0, warmup_lr_init: float = 0.,
                         warmup_prefix: bool = True, t_in_epochs: bool = True,
                         noise_range_t: Any = None, noise_pct: float = 0.67,
                         noise_std: float = 1.0, noise_seed: int = 42,
                         initialize: bool = True) -> Any:
    """timm ``MultiStepLRScheduler``: ``base_lr·decay_rate**bisect_right(decay_t, t + 1)`` — a
    milestone m takes effect at t = m - 1, one update earlier than torch's MultiStepLR (fastlr
    ``MultiStep`` with milestones ``max(m - 1, 0)``). ``decay_t`` must be sorted."""
    _no_noise(noise_range_t, "MultiStepLRScheduler")
    B = check_rate(base_lr, "base_lr")
    ms = check_step_list(decay_t, "decay_t")
    if list(ms) != sorted(ms):
        raise ValueError(f"decay_t must be sorted (timm bisects it), got {list(decay_t)!r}")
    r = check_real(decay_rate, "decay_rate", low=0.0, low_open=True)
    W, w0 = check_steps(warmup_t, "warmup_t", minimum=0), check_rate(warmup_lr_init,
                                                                     "warmup_lr_init")
    main = fastlr.MultiStep(B, [max(x - 1, 0) for x in ms], r)
    return _warm(main, B, W, w0, bool(warmup_prefix))


def PlateauLRScheduler(base_lr: float, *args: Any, **kwargs: Any) -> Any:
    """Always raises :class:`NotPrecomputable`: timm's PlateauLRScheduler follows a metric."""
    raise NotPrecomputable("timm PlateauLRScheduler reduces the lr when an eval metric stops "
                           "improving: no table of values exists")


_STABLE = ("constant", "rsqrt", "power")
_DECAY = ("linear", "1-sqrt", "cosine", "power", "exp")


def WSDLRScheduler(base_lr: float, t_initial: int, decay_t: int, lr_min: float = 0.,
                   stable_fn: str = 'constant', stable_timescale: Optional[float] = None,
                   stable_power: float = 0.5, decay_fn: Any = '1-sqrt', decay_power: float = 0.5,
                   decay_ratio: float = 0.1, warmup_t: int = 0, warmup_lr_init: float = 0.,
                   t_in_epochs: bool = True, noise_range_t: Any = None, noise_pct: float = 0.67,
                   noise_std: float = 1.0, noise_seed: int = 42, initialize: bool = True) -> Any:
    """timm ``WSDLRScheduler`` (warmup, stable, decay; the warmup is always a prefix). With
    ``t_s = t - warmup_t``: ``stable = max(base_lr·g(t_s), lr_min)`` (g = 1 | (1 + t_s/τ)**-0.5 |
    (1 + t_s/τ)**-stable_power, τ = ``stable_timescale`` or ``warmup_t``, any real τ > 0); from
    ``t_d = t_s - (t_initial - decay_t) > 0``: ``lr_min + (stable - lr_min)·d(min(t_d/decay_t, 1))``
    with d = 1 - f | 1 - sqrt f | ½(1 + cos π f) | 1 - f**decay_power |
    (r**f - r)/(1 - r) (``"exp"``, r = ``decay_ratio``).

    Built from ``Constant`` + ``Linear`` / ``WarmupStableDecay("sqrt")`` / ``CosineAnnealing`` /
    ``Polynomial(k_decay=decay_power)`` / the exponential ``Offset(ExponentialDecay(1/(1 - r),
    -ln(r)/decay_t), -r/(1 - r))`` (kept >= 0 by a ``Maximum`` with 0: it is mathematically);
    a decaying stable phase is ``InversePower`` (``Shifted(InverseSqrt)`` for rsqrt with an
    integer τ), floored by ``Maximum(·, Constant(lr_min))``, and the whole decay
    ``lr_min + Product(stable - lr_min, d)`` (``Offset``), term for term timm's formula. The
    ``"exp"`` decay subtracts ``r/(1 - r)`` (as timm does): its absolute error is about
    ``r/(1 - r)`` ulps of the peak (1e-12 of the peak for ``decay_ratio`` up to ~0.99).

    A callable ``decay_fn`` (arbitrary Python) raises :class:`NotPrecomputable`."""
    _no_noise(noise_range_t, "WSDLRScheduler")
    B = check_rate(base_lr, "base_lr")
    T = check_steps(t_initial, "t_initial")
    dt = check_steps(decay_t, "decay_t", maximum=T)
    lo = check_rate(lr_min, "lr_min")
    sf = check_choice(stable_fn, "stable_fn", _STABLE)
    if callable(decay_fn):
        raise NotPrecomputable("WSDLRScheduler with a callable decay_fn: an arbitrary Python "
                               "function decides each factor, no table of values exists for it")
    df = check_choice(decay_fn, "decay_fn", _DECAY)
    r = check_real(decay_ratio, "decay_ratio", low=0.0, low_open=True, high=1.0)
    if r == 1.0:
        raise ValueError(f"decay_ratio must be < 1 (timm: in (0, 1)), got {decay_ratio!r}")
    q = check_real(decay_power, "decay_power", low=0.0, low_open=True)
    sp = check_real(stable_power, "stable_power", low=0.0, low_open=True)
    W, w0 = check_steps(warmup_t, "warmup_t", minimum=0), check_rate(warmup_lr_init,
                                                                     "warmup_lr_init")

    def unit_exp() -> Any:
        # (r**f - r)/(1 - r) for f = u/decay_t < 1 (>= 0 exactly: floored at 0 against rounding),
        # then 0 (f = 1)
        e = fastlr.Offset(fastlr.ExponentialDecay(1.0 / (1.0 - r), -math.log(r) / dt),
                          -r / (1.0 - r))
        return _chain([(fastlr.Maximum(e, fastlr.Constant(0.0)), dt),
                       (fastlr.Constant(0.0), None)])

    def shape(hi: float, low: float) -> Any:
        if df == "linear":
            return fastlr.Linear(hi, low, dt)
        if df == "1-sqrt":
            return fastlr.WarmupStableDecay(hi, 0, 0, dt, low, "sqrt")
        if df == "cosine":
            return fastlr.CosineAnnealing(hi, dt, low)
        if df == "power":
            return fastlr.Polynomial(hi, low, dt, 1.0, q)        # 1 - f**q
        if hi == 1.0 and low == 0.0:
            return unit_exp()
        return fastlr.Offset(fastlr.Scaled(unit_exp(), hi - low), low)

    flat = T - dt + 1      # t_s = 0 .. T - dt: t_d <= 0, the stable value
    if sf == "constant":
        hi = max(B, lo)
        main = _chain([(fastlr.Constant(hi), flat), (fastlr.Shifted(shape(hi, lo), 1), None)])
    else:
        tau = W if stable_timescale is None else check_real(stable_timescale, "stable_timescale",
                                                            low=0.0, low_open=True)
        if tau <= 0:
            raise ValueError(f"stable_fn={sf} requires a positive stable_timescale, it defaults "
                             f"to warmup_t ({W}), set it explicitly when there is no warmup.")
        if not math.isfinite(1.0 / tau):
            raise ValueError(f"stable_timescale={stable_timescale!r}: 1/stable_timescale "
                             f"overflows (timm's rate would be 0 from step 1 on)")
        power = 0.5 if sf == "rsqrt" else sp
        if power == 0.5 and float(tau).is_integer() and tau <= 2**62:
            stable: Any = fastlr.Shifted(fastlr.InverseSqrt(B, int(tau)), int(tau))
        else:
            stable = fastlr.InversePower(B, float(tau), power)
        decay = _chain([(fastlr.Constant(1.0), flat), (fastlr.Shifted(shape(1.0, 0.0), 1), None)])
        if lo == 0:
            main = stable * decay
        else:   # lr_min + (max(stable, lr_min) - lr_min) * d, as timm
            floor = fastlr.Maximum(stable, fastlr.Constant(lo))
            main = fastlr.Offset(fastlr.Product(fastlr.Offset(floor, -lo), decay), lo)
    return _warm(main, B, W, w0, True)


_SCHED_NAMES: Dict[str, Any] = {
    "cosine": CosineLRScheduler, "tanh": TanhLRScheduler, "step": StepLRScheduler,
    "multistep": MultiStepLRScheduler, "poly": PolyLRScheduler, "plateau": PlateauLRScheduler,
    "wsd": WSDLRScheduler,
}


def from_config(sched: str, base_lr: float, **kwargs: Any) -> Any:
    """A schedule by timm's ``sched`` name (as in ``create_scheduler_v2(sched=...)``): "cosine",
    "tanh", "step", "multistep", "poly", "plateau" (NotPrecomputable), "wsd"; the remaining
    keyword arguments are the scheduler class's own (``t_initial``, ``decay_t``, ...; not the
    epoch-based arguments of ``create_scheduler_v2``)."""
    name = check_choice(sched, "sched", tuple(_SCHED_NAMES))
    return _SCHED_NAMES[name](base_lr, **kwargs)


#: spec name -> constructor (the classes by name plus timm's ``sched`` names)
CONSTRUCTORS: Dict[str, Any] = {**{f.__name__: f for f in _SCHED_NAMES.values()}, **_SCHED_NAMES}

#: constructor -> the fastlr classes it maps to
FASTLR_NAMES: Dict[str, Tuple[str, ...]] = {
    "CosineLRScheduler": ("WarmRestarts", "CosineRestarts", "Linear", "Join", "Shifted"),
    "TanhLRScheduler": ("TanhDecay", "Join", "Constant", "Linear", "Shifted"),
    "StepLRScheduler": ("StepDecay", "Linear", "Join"),
    "MultiStepLRScheduler": ("MultiStep", "Linear", "Join"),
    "PolyLRScheduler": ("Polynomial", "PolynomialRestarts", "Linear", "Join", "Constant",
                        "Shifted"),
    "PlateauLRScheduler": (),
    "WSDLRScheduler": ("Constant", "Linear", "WarmupStableDecay", "CosineAnnealing", "Polynomial",
                       "ExponentialDecay", "InverseSqrt", "InversePower", "Shifted", "Product",
                       "Maximum", "Offset", "Scaled", "Join"),
}
