"""Pure-numpy reference implementations: the seed's formulas, vectorised, one function per schedule.

These are the benchmark baseline and one of the test oracles. They are written the way a numpy user
would write them (float64 throughout, the formula as printed), not the way the kernels compute. They
are accurate to a few ulps for moderate steps; for periodic schedules at very large steps the
product ``pi * t / T`` loses ~|t/T| ulps of phase, which is why the kernel tests use an exact oracle.

Every function takes an integer array of steps first and the schedule's parameters by the same
names as the classes, and returns a float64 array of the same shape.
"""
from __future__ import annotations

import builtins  # the reference of the class Sum is named sum
from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np

__all__ = [
    "step_decay",
    "exponential_decay",
    "cosine_annealing",
    "warmup",
    "cyclical",
    "constant",
    "multi_step",
    "piecewise_constant",
    "linear",
    "polynomial",
    "cyclic_polynomial",
    "inverse_sqrt",
    "inverse_power",
    "inverse_time",
    "one_cycle",
    "triangular",
    "warm_restarts",
    "warmup_stable_decay",
    "join",
    "with_warmup",
    "scaled",
    "tanh_decay",
    "cosine_restarts",
    "polynomial_restarts",
    "shifted",
    "product",
    "sum",
    "maximum",
    "offset",
    "evaluate",
]


def _steps(t: Any) -> np.ndarray:
    return np.asarray(t, dtype=np.int64)


def step_decay(t: Any, lr: float, gamma: float, step_size: int) -> np.ndarray:
    """lr * gamma ** floor(t / step_size)."""
    t = _steps(t)
    return lr * np.power(gamma, (t // step_size).astype(np.float64))


def exponential_decay(t: Any, lr: float, decay_rate: float,
                      end_lr: Optional[float] = None) -> np.ndarray:
    """lr * exp(-decay_rate * t), clipped at end_lr (a floor if decay_rate >= 0, else a cap)."""
    if end_lr is None or decay_rate >= 0:
        v = lr * np.exp(-decay_rate * _steps(t))
    else:
        # growth: the formula overflows far out (exp -> inf, and 0 * inf would be nan for lr = 0)
        # where the cap holds anyway
        with np.errstate(over="ignore"):
            v = lr * np.exp(-decay_rate * _steps(t)) if lr > 0 else np.zeros(np.shape(t))
    if end_lr is None:
        return v
    return np.maximum(v, end_lr) if decay_rate >= 0 else np.minimum(v, end_lr)


def cosine_annealing(t: Any, max_lr: float, total_steps: int, min_lr: float = 0.0,
                     exponent: float = 1.0, k_decay: float = 1.0) -> np.ndarray:
    """min_lr + (max_lr - min_lr) (½(1 + cos(π min(t, T)**k / T**k)))**exponent.

    Evaluated as sin²(π y / 2) with y = 1 - (t / T)**k (= (T - t) / T for k = 1, else
    -expm1(k log1p(-(T - t) / T)) from t = T / 2 on, 1 - (t / T)**k before): the same value,
    without the cancellation of 1 + cos near the end, which a fractional exponent magnifies (1e-12
    of the peak for exponent 0.1), and without log1p(-d) near d = 1 (t / T rounded as 1 - d)."""
    t = np.minimum(_steps(t), total_steps).astype(np.float64)
    T = float(total_steps)
    d = (T - t) / T
    if k_decay == 1.0:
        y = d
    else:
        late = 2.0 * t >= T
        y = np.where(late, -np.expm1(k_decay * np.log1p(-np.where(late, d, 0.0))),
                     1.0 - (t / T) ** k_decay)
    c = np.sin(0.5 * np.pi * y) ** 2
    return min_lr + (max_lr - min_lr) * c**exponent


def tanh_decay(t: Any, max_lr: float, total_steps: int, min_lr: float = 0.0,
               lower: float = -6.0, upper: float = 4.0) -> np.ndarray:
    """min_lr + ½(max_lr - min_lr)(1 - tanh(lower + (upper - lower) t / T)); min_lr for t >= T."""
    t = _steps(t)
    x = lower + (upper - lower) * (t / total_steps)
    v = min_lr + 0.5 * (max_lr - min_lr) * (1.0 - np.tanh(x))
    return np.where(t >= total_steps, min_lr, v)


def _real_cycles(t: Any, cycle_steps: float, cycle_mult: float, max_cycles: Optional[int]):
    """(cycle index i, position x in [0, 1] within it, past max_cycles?) of each step, for cycles
    of real length L_i = cycle_steps * cycle_mult**i from S_i = L_0 + ... + L_{i-1} (starts in
    float64: a reference, not exact at restarts); i is capped at max_cycles - 1 so that
    cycle_decay**i stays finite where the value is min_lr anyway."""
    t = _steps(t).astype(np.float64)
    if cycle_mult == 1.0:
        i = np.floor(t / cycle_steps)
        start, length = i * cycle_steps, np.full(t.shape, float(cycle_steps))
    else:
        i = np.floor(np.log1p(t * (cycle_mult - 1.0) / cycle_steps) / np.log(cycle_mult))
        start = cycle_steps * (cycle_mult**i - 1.0) / (cycle_mult - 1.0)
        length = cycle_steps * cycle_mult**i
    past = np.zeros(t.shape, bool) if max_cycles is None else i >= max_cycles
    if max_cycles is not None:
        i = np.minimum(i, max_cycles - 1)
    return i, np.clip((t - start) / length, 0.0, 1.0), past


def cosine_restarts(t: Any, max_lr: float, cycle_steps: float, cycle_mult: float = 1.0,
                    min_lr: float = 0.0, cycle_decay: float = 1.0,
                    max_cycles: Optional[int] = None, k_decay: float = 1.0) -> np.ndarray:
    """Cycles of real length L_i = cycle_steps * cycle_mult**i from S_i = L_0 + ... + L_{i-1}:
    min_lr + (max_lr decay**i - min_lr) ½(1 + cos(π ((t - S_i) / L_i)**k)); min_lr after
    max_cycles cycles. (Cycle starts in float64: a reference, not exact at restarts.)"""
    i, x, past = _real_cycles(t, cycle_steps, cycle_mult, max_cycles)
    v = min_lr + (max_lr * cycle_decay**i - min_lr) * 0.5 * (1.0 + np.cos(np.pi * x**k_decay))
    return np.where(past, min_lr, v)


def polynomial_restarts(t: Any, max_lr: float, cycle_steps: float, cycle_mult: float = 1.0,
                        min_lr: float = 0.0, cycle_decay: float = 1.0,
                        max_cycles: Optional[int] = None, power: float = 1.0,
                        k_decay: float = 1.0) -> np.ndarray:
    """Cycles of real length L_i = cycle_steps * cycle_mult**i from S_i = L_0 + ... + L_{i-1}:
    min_lr + (max_lr decay**i - min_lr) (1 - ((t - S_i) / L_i)**k)**power; min_lr after
    max_cycles cycles. (Cycle starts in float64: a reference, not exact at restarts.)"""
    i, x, past = _real_cycles(t, cycle_steps, cycle_mult, max_cycles)
    v = min_lr + (max_lr * cycle_decay**i - min_lr) * (1.0 - x**k_decay) ** power
    return np.where(past, min_lr, v)


def warmup(t: Any, max_lr: float, warmup_steps: int, init_lr: float = 0.0) -> np.ndarray:
    """init_lr + (max_lr - init_lr) * min(1, t / warmup_steps); max_lr throughout if warmup_steps = 0."""
    t = _steps(t)
    if warmup_steps == 0:
        return np.full(t.shape, float(max_lr))
    return init_lr + (max_lr - init_lr) * np.minimum(1.0, t / warmup_steps)


def cyclical(t: Any, max_lr: float, cycle_steps: int, min_lr: float = 0.0) -> np.ndarray:
    """min_lr + ½(max_lr - min_lr)(1 + cos(π t / cycle_steps)) (the seed's formula), with t taken
    modulo the period 2·cycle_steps in integers first: unreduced, π t / cycle_steps carries an
    absolute error ~t/cycle_steps·1e-16, past the reference's 1e-12 at a few thousand periods."""
    phase = _steps(t) % (2 * cycle_steps)
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + np.cos(np.pi * phase / cycle_steps))


def constant(t: Any, lr: float) -> np.ndarray:
    """lr."""
    return np.full(_steps(t).shape, float(lr))


def multi_step(t: Any, lr: float, milestones: Sequence[int], gamma: float) -> np.ndarray:
    """lr * gamma ** (number of milestones <= t)."""
    count = np.searchsorted(np.sort(np.asarray(milestones, dtype=np.int64)), _steps(t), side="right")
    return lr * np.power(gamma, count.astype(np.float64))


def piecewise_constant(t: Any, boundaries: Sequence[int], values: Sequence[float]) -> np.ndarray:
    """values[k] on [boundaries[k-1], boundaries[k])."""
    idx = np.searchsorted(np.asarray(boundaries, dtype=np.int64), _steps(t), side="right")
    return np.asarray(values, dtype=np.float64)[idx]


def linear(t: Any, start_lr: float, end_lr: float, total_steps: int) -> np.ndarray:
    """start_lr + (end_lr - start_lr) * min(t, T) / T."""
    return start_lr + (end_lr - start_lr) * (np.minimum(_steps(t), total_steps) / total_steps)


def polynomial(t: Any, init_lr: float, end_lr: float, total_steps: int,
               power: float = 1.0, k_decay: float = 1.0) -> np.ndarray:
    """(init_lr - end_lr) * (1 - min(t, T)**k / T**k) ** power + end_lr."""
    t = _steps(t)
    x = 1.0 - (np.minimum(t, total_steps) / total_steps) ** k_decay
    return np.where(t >= total_steps, end_lr, (init_lr - end_lr) * x**power + end_lr)


def cyclic_polynomial(t: Any, init_lr: float, end_lr: float, decay_steps: int,
                      power: float = 1.0) -> np.ndarray:
    """(init_lr - end_lr) * (1 - t / D')**power + end_lr, D' = D * max(1, ceil(t / D)); 1 - t/D'
    as (D' - t) / D' with the integer D' - t = (-t) mod D (D at t = 0)."""
    t = _steps(t)
    D = decay_steps
    k = np.maximum(1, -(-t // D))
    r = np.where(t == 0, D, (-t) % D)
    x = r / (k.astype(np.float64) * D)
    return (init_lr - end_lr) * x**power + end_lr


def inverse_sqrt(t: Any, lr: float, warmup_steps: int) -> np.ndarray:
    """lr * sqrt(warmup_steps / max(t, warmup_steps))."""
    return lr * np.sqrt(warmup_steps / np.maximum(_steps(t), warmup_steps))


def inverse_power(t: Any, lr: float, timescale: float, power: float = 0.5) -> np.ndarray:
    """lr * (1 + t / timescale) ** -power."""
    return lr * (1.0 + _steps(t) / timescale) ** -power


def inverse_time(t: Any, lr: float, decay_rate: float, decay_steps: int,
                 staircase: bool = False) -> np.ndarray:
    """lr / (1 + decay_rate * t / decay_steps), t / decay_steps floored if staircase."""
    t = _steps(t)
    p = (t // decay_steps).astype(np.float64) if staircase else t / decay_steps
    return lr / (1.0 + decay_rate * p)


def one_cycle(t: Any, max_lr: float, total_steps: int, pct_start: float = 0.3,
              anneal: str = "cos", div_factor: float = 25.0, final_div_factor: float = 1e4,
              three_phase: bool = False) -> np.ndarray:
    """torch OneCycleLR's phases (real phase ends), min_lr held after step T - 1."""
    t = np.minimum(_steps(t), total_steps - 1).astype(np.float64)
    initial = max_lr / div_factor
    low = initial / final_div_factor
    if three_phase:
        ends = [pct_start * total_steps - 1, 2 * pct_start * total_steps - 2, total_steps - 1]
        rates = [initial, max_lr, initial, low]
    else:
        ends = [pct_start * total_steps - 1, total_steps - 1]
        rates = [initial, max_lr, low]
    out = np.empty(t.shape)
    start = 0.0
    done = np.zeros(t.shape, dtype=bool)
    for k, end in enumerate(ends):
        sel = (t <= end) & ~done
        a, b = rates[k], rates[k + 1]
        if end <= start:  # a first phase ending at step 0 (pct_start * T == 1): its end value
            out[sel] = b
            done |= sel
            start = end
            continue
        pct = (t[sel] - start) / (end - start)
        if anneal == "cos":
            out[sel] = b + (a - b) / 2.0 * (np.cos(np.pi * pct) + 1)
        else:
            out[sel] = (b - a) * pct + a
        done |= sel
        start = end
    return out


def triangular(t: Any, base_lr: float, max_lr: float, step_size_up: int,
               step_size_down: Optional[int] = None, mode: str = "triangular",
               gamma: float = 1.0) -> np.ndarray:
    """Smith's triangular cycle with integer phases."""
    t = _steps(t)
    up = step_size_up
    down = up if step_size_down is None else step_size_down
    period = up + down
    p = t % period
    frac = np.where(p <= up, p / up, (period - p) / down)
    if mode == "triangular":
        scale = 1.0
    elif mode == "triangular2":
        scale = 0.5 ** (t // period).astype(np.float64)
    else:
        scale = gamma ** t.astype(np.float64)
    return base_lr + (max_lr - base_lr) * frac * scale


def warm_restarts(t: Any, max_lr: float, first_cycle_steps: int, cycle_mult: float = 1,
                  min_lr: float = 0.0, cycle_decay: float = 1.0,
                  max_cycles: Optional[int] = None) -> np.ndarray:
    """SGDR with cycle k lasting floor(first * mult**k) steps."""
    t = _steps(t)
    if cycle_mult == 1:
        k = t // first_cycle_steps
        u = t % first_cycle_steps
        length = np.full(t.shape, first_cycle_steps, dtype=np.int64)
    else:
        from fractions import Fraction

        starts, lengths, begin, k = [], [], 0, 0
        top = int(t.max()) if t.size else 0
        while begin <= top:
            length = int(Fraction(first_cycle_steps) * Fraction(cycle_mult) ** k)
            starts.append(begin)
            lengths.append(length)
            begin += length
            k += 1
        k = np.searchsorted(np.asarray(starts, dtype=np.int64), t, side="right") - 1
        u = t - np.asarray(starts, dtype=np.int64)[k]
        length = np.asarray(lengths, dtype=np.int64)[k]
    peak = max_lr * cycle_decay ** k.astype(np.float64)
    out = min_lr + 0.5 * (peak - min_lr) * (1.0 + np.cos(np.pi * u / length))
    if max_cycles is not None:
        if cycle_mult == 1:
            end = max_cycles * first_cycle_steps
        else:
            end = builtins.sum(int(Fraction(first_cycle_steps) * Fraction(cycle_mult) ** j)
                      for j in range(max_cycles))
        out = np.where(t >= end, min_lr, out)
    return out


def warmup_stable_decay(t: Any, max_lr: float, warmup_steps: int, stable_steps: int,
                        decay_steps: int, min_lr: float = 0.0,
                        decay_shape: str = "linear") -> np.ndarray:
    """Linear warmup from min_lr, a plateau at max_lr, a decay to min_lr, min_lr held."""
    t = _steps(t)
    W, S, D = warmup_steps, stable_steps, decay_steps
    x = np.clip((t - W - S) / D, 0.0, 1.0)
    if decay_shape == "linear":
        dec = max_lr - (max_lr - min_lr) * x
    elif decay_shape == "cosine":
        dec = min_lr + 0.5 * (max_lr - min_lr) * (1.0 + np.cos(np.pi * x))
    else:
        dec = max_lr - (max_lr - min_lr) * np.sqrt(x)
    ramp = min_lr + (max_lr - min_lr) * (t / W) if W else max_lr
    return np.where(t < W, ramp, np.where(t < W + S, max_lr, dec))


def join(t: Any, schedules: Sequence[Any], boundaries: Sequence[int]) -> np.ndarray:
    """Each schedule on its interval, on its local step."""
    t = _steps(t)
    out = np.empty(t.shape)
    starts = [0] + list(boundaries)
    ends = list(boundaries) + [None]
    for s, a, b in zip(schedules, starts, ends):
        sel = (t >= a) if b is None else (t >= a) & (t < b)
        out[sel] = evaluate(s, t[sel] - a)
    return out


def with_warmup(t: Any, inner: Any, warmup_steps: int, init_lr: float = 0.0) -> np.ndarray:
    """Linear ramp from init_lr to inner(0), then the inner schedule on t - warmup_steps."""
    t = _steps(t)
    W = warmup_steps
    if W == 0:
        return evaluate(inner, t)
    top = float(evaluate(inner, np.zeros(1, dtype=np.int64))[0])
    after = evaluate(inner, np.maximum(t - W, 0))
    return np.where(t < W, init_lr + (top - init_lr) * (t / W), after)


def scaled(t: Any, inner: Any, factor: float) -> np.ndarray:
    """factor * inner(t)."""
    return factor * evaluate(inner, t)


def shifted(t: Any, inner: Any, shift: int) -> np.ndarray:
    """inner(t + shift) (inner(2**63 - 1) where t + shift would pass it)."""
    t = _steps(t)
    return evaluate(inner, np.where(t > 2**63 - 1 - shift, 2**63 - 1, t + shift))


def product(t: Any, a: Any, b: Any) -> np.ndarray:
    """a(t) * b(t)."""
    return evaluate(a, t) * evaluate(b, t)


def sum(t: Any, a: Any, b: Any) -> np.ndarray:  # noqa: A001 - the class Sum in snake case
    """a(t) + b(t)."""
    return evaluate(a, t) + evaluate(b, t)


def maximum(t: Any, a: Any, b: Any) -> np.ndarray:
    """max(a(t), b(t))."""
    return np.maximum(evaluate(a, t), evaluate(b, t))


def offset(t: Any, inner: Any, offset: float) -> np.ndarray:
    """inner(t) + offset."""
    return evaluate(inner, t) + offset


# Each reference is the class name in snake case (CosineAnnealing -> cosine_annealing).
_BY_CLASS: Dict[str, Callable[..., np.ndarray]] = {
    "".join(w.capitalize() for w in name.split("_")): globals()[name]
    for name in __all__ if name != "evaluate"
}


def evaluate(schedule: Any, t: Any) -> np.ndarray:
    """The reference values of a fastlr schedule (object or ``to_dict()`` dict) at steps ``t``.
    Nested schedules (joins, warmups, scaling) are evaluated recursively."""
    if isinstance(schedule, dict):
        params = dict(schedule)
    else:
        params = schedule.to_dict()
    name = params.pop("schedule")
    try:
        fn = _BY_CLASS[name]
    except KeyError:
        raise NotImplementedError(f"no numpy reference for {name}") from None
    return fn(t, **params)
