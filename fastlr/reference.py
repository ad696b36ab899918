"""Pure-numpy reference implementations: the seed's formulas, vectorised, one function per schedule.

These are the benchmark baseline and one of the test oracles. They are written the way a numpy user
would write them (float64 throughout, the formula as printed), not the way the kernels compute. They
are accurate to a few ulps for moderate steps; for periodic schedules at very large steps the
product ``pi * t / T`` loses ~|t/T| ulps of phase, which is why the kernel tests use an exact oracle.

Every function takes an integer array of steps first and the schedule's parameters by the same
names as the classes, and returns a float64 array of the same shape.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

import numpy as np

__all__ = [
    "step_decay",
    "exponential_decay",
    "cosine_annealing",
    "warmup",
    "cyclical",
    "evaluate",
]


def _steps(t: Any) -> np.ndarray:
    return np.asarray(t, dtype=np.int64)


def step_decay(t: Any, lr: float, gamma: float, step_size: int) -> np.ndarray:
    """lr * gamma ** floor(t / step_size)."""
    t = _steps(t)
    return lr * np.power(gamma, (t // step_size).astype(np.float64))


def exponential_decay(t: Any, lr: float, decay_rate: float) -> np.ndarray:
    """lr * exp(-decay_rate * t)."""
    return lr * np.exp(-decay_rate * _steps(t))


def cosine_annealing(t: Any, max_lr: float, total_steps: int, min_lr: float = 0.0) -> np.ndarray:
    """min_lr + ½(max_lr - min_lr)(1 + cos(π min(t, T) / T))."""
    t = np.minimum(_steps(t), total_steps)
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + np.cos(np.pi * t / total_steps))


def warmup(t: Any, max_lr: float, warmup_steps: int, init_lr: float = 0.0) -> np.ndarray:
    """init_lr + (max_lr - init_lr) * min(1, t / warmup_steps); max_lr throughout if warmup_steps = 0."""
    t = _steps(t)
    if warmup_steps == 0:
        return np.full(t.shape, float(max_lr))
    return init_lr + (max_lr - init_lr) * np.minimum(1.0, t / warmup_steps)


def cyclical(t: Any, max_lr: float, cycle_steps: int, min_lr: float = 0.0) -> np.ndarray:
    """min_lr + ½(max_lr - min_lr)(1 + cos(π t / cycle_steps)) (the seed's formula, unreduced)."""
    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + np.cos(np.pi * _steps(t) / cycle_steps))


_BY_CLASS: Dict[str, Callable[..., np.ndarray]] = {
    "StepDecay": step_decay,
    "ExponentialDecay": exponential_decay,
    "CosineAnnealing": cosine_annealing,
    "Warmup": warmup,
    "Cyclical": cyclical,
}


def evaluate(schedule: Any, t: Any) -> np.ndarray:
    """The reference values of a fastlr schedule object at steps ``t``."""
    params = schedule.to_dict()
    name = params.pop("schedule")
    try:
        fn = _BY_CLASS[name]
    except KeyError:
        raise NotImplementedError(f"no numpy reference for {name}") from None
    return fn(t, **params)
