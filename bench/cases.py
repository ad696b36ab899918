"""The benchmark cases: ONE table, shared by ``bench_schedules.py`` (pytest-benchmark) and
``report.py`` (the interleaved Markdown report).

A case is a schedule family with realistic parameters for a training horizon of ``N`` steps
(the benchmark window is steps ``0 … N-1``), plus the numpy baseline for the same parameters:
``fastlr.reference.<fn>(np.arange(start, start + N), **params)`` — what a numpy user writes,
``arange`` included.

Adding a case (a new family, a composed schedule, ...) is one entry in ``CASES``:

* a plain family whose reference function takes the class's parameters by the same names::

      family_case("linear", fastlr.Linear, R.linear,
                  lambda n: dict(start_lr=0.1, end_lr=1e-5, total_steps=n)),

* anything else (compositions, sweeps of several schedules, ...) as a :class:`Case` with its own
  two factories; the reference gets the schedule it is compared with, so it can read nested
  parameters from it::

      Case("warmup+cosine",
           schedule=lambda n: fastlr.with_warmup(fastlr.CosineAnnealing(0.1, n - n // 20, 1e-5),
                                                 n // 20),
           reference=lambda s: functools.partial(R.with_warmup, **s.params)),

Keep the parameters such that the horizon scales with ``N`` (the whole window does real work,
not a long constant tail) unless a case is about that tail on purpose.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional

import numpy as np

import fastlr
from fastlr import reference as R

Steps2Values = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Case:
    """One benchmark case.

    name
        Short id used in group names (``"<name>-N=<n>"``) and on the report's command line.
    schedule
        ``N -> fastlr schedule`` for a horizon of ``N`` steps.
    reference
        ``schedule -> (steps -> float64 values)``: the numpy baseline bound to the parameters of
        the schedule it is compared with (steps is an int64 array, ``np.arange`` of the window).
    description
        One line for humans (the report prints it under the table).
    """

    name: str
    schedule: Callable[[int], fastlr.Schedule]
    reference: Callable[[fastlr.Schedule], Steps2Values]
    description: str = ""
    tags: tuple = field(default=())

    def bind(self, n: int) -> "Bound":
        """The schedule for horizon ``n`` and its bound numpy reference."""
        sched = self.schedule(int(n))
        return Bound(self, int(n), sched, self.reference(sched))


@dataclass(frozen=True)
class Bound:
    """A case instantiated for one horizon ``n``."""

    case: Case
    n: int
    schedule: fastlr.Schedule
    reference: Steps2Values

    def numpy_values(self, n: Optional[int] = None, start: int = 0) -> np.ndarray:
        """What a numpy user writes: the reference formula on ``np.arange(start, start + n)``."""
        n = self.n if n is None else n
        return self.reference(np.arange(start, start + n))


def family_case(name: str, cls: type, ref_fn: Callable[..., np.ndarray],
                params: Callable[[int], Dict[str, Any]], description: str = "",
                tags: Iterable[str] = ()) -> Case:
    """A case for a family whose numpy reference takes the class's keyword parameters."""
    return Case(
        name=name,
        schedule=lambda n: cls(**params(n)),
        reference=lambda sched: functools.partial(ref_fn, **sched.params),
        description=description or cls.__name__,
        tags=tuple(tags),
    )


def _describe(cls: type, text: str) -> str:
    return f"{cls.__name__}{text}"


# ----------------------------------------------------------------------------------- THE table
CASES: List[Case] = [
    family_case(
        "step", fastlr.StepDecay, R.step_decay,
        lambda n: dict(lr=0.1, gamma=0.5, step_size=max(1, n // 10)),
        _describe(fastlr.StepDecay, "(lr=0.1, gamma=0.5, step_size=N//10): 10 plateaus"),
        tags=("seed",)),
    family_case(
        "exponential", fastlr.ExponentialDecay, R.exponential_decay,
        lambda n: dict(lr=0.1, decay_rate=5.0 / n),
        _describe(fastlr.ExponentialDecay, "(lr=0.1, decay_rate=5/N): down to 0.1*e^-5"),
        tags=("seed",)),
    family_case(
        "cosine", fastlr.CosineAnnealing, R.cosine_annealing,
        lambda n: dict(max_lr=0.1, total_steps=n, min_lr=1e-5),
        _describe(fastlr.CosineAnnealing, "(max_lr=0.1, total_steps=N, min_lr=1e-5)"),
        tags=("seed",)),
    family_case(
        "warmup", fastlr.Warmup, R.warmup,
        lambda n: dict(max_lr=0.1, warmup_steps=n, init_lr=0.0),
        _describe(fastlr.Warmup, "(max_lr=0.1, warmup_steps=N, init_lr=0): the whole window ramps"),
        tags=("seed",)),
    family_case(
        "cyclical", fastlr.Cyclical, R.cyclical,
        lambda n: dict(max_lr=0.1, cycle_steps=max(1, n // 8), min_lr=1e-5),
        _describe(fastlr.Cyclical, "(max_lr=0.1, cycle_steps=N//8, min_lr=1e-5): 4 periods"),
        tags=("seed",)),
    # ------------------------------------------------------------------ the catalogue
    family_case(
        "constant", fastlr.Constant, R.constant, lambda n: dict(lr=0.1),
        _describe(fastlr.Constant, "(0.1)"), tags=("catalogue",)),
    family_case(
        "multistep", fastlr.MultiStep, R.multi_step,
        lambda n: dict(lr=0.1, milestones=[n // 3, 2 * n // 3, 9 * n // 10], gamma=0.1),
        _describe(fastlr.MultiStep, "(0.1, milestones at N/3, 2N/3, 0.9N, gamma=0.1)"),
        tags=("catalogue",)),
    family_case(
        "piecewise", fastlr.PiecewiseConstant, R.piecewise_constant,
        lambda n: dict(boundaries=[max(1, n // 4), max(2, n // 2), max(3, 3 * n // 4)],
                       values=[0.1, 0.05, 0.01, 0.001]),
        _describe(fastlr.PiecewiseConstant, ": 4 values over N"), tags=("catalogue",)),
    family_case(
        "linear", fastlr.Linear, R.linear,
        lambda n: dict(start_lr=0.1, end_lr=1e-5, total_steps=n),
        _describe(fastlr.Linear, "(0.1 -> 1e-5 over N)"), tags=("catalogue",)),
    family_case(
        "polynomial2", fastlr.Polynomial, R.polynomial,
        lambda n: dict(init_lr=0.1, end_lr=1e-5, total_steps=n, power=2.0),
        _describe(fastlr.Polynomial, "(power=2, over N)"), tags=("catalogue",)),
    family_case(
        "polynomial0.9", fastlr.Polynomial, R.polynomial,
        lambda n: dict(init_lr=0.1, end_lr=1e-5, total_steps=n, power=0.9),
        _describe(fastlr.Polynomial, "(power=0.9, over N): a general power"), tags=("catalogue",)),
    family_case(
        "cyclic_poly", fastlr.CyclicPolynomial, R.cyclic_polynomial,
        lambda n: dict(init_lr=0.1, end_lr=1e-5, decay_steps=max(1, n // 10), power=1.0),
        _describe(fastlr.CyclicPolynomial, "(power=1, decay_steps=N/10): 10 cycles of growing "
                  "horizons"), tags=("catalogue",)),
    family_case(
        "cyclic_poly0.5", fastlr.CyclicPolynomial, R.cyclic_polynomial,
        lambda n: dict(init_lr=0.1, end_lr=1e-5, decay_steps=max(1, n // 10), power=0.5),
        _describe(fastlr.CyclicPolynomial, "(power=0.5, decay_steps=N/10): a sqrt per step"),
        tags=("catalogue",)),
    family_case(
        "inverse_sqrt", fastlr.InverseSqrt, R.inverse_sqrt,
        lambda n: dict(lr=0.1, warmup_steps=max(1, n // 100)),
        _describe(fastlr.InverseSqrt, "(0.1, warmup_steps=N/100)"), tags=("catalogue",)),
    family_case(
        "inverse_power", fastlr.InversePower, R.inverse_power,
        lambda n: dict(lr=0.1, timescale=max(1, n // 100), power=0.7),
        _describe(fastlr.InversePower, "(0.1, timescale=N/100, power=0.7): the power-law kernel"),
        tags=("catalogue",)),
    family_case(
        "inverse_power_real", fastlr.InversePower, R.inverse_power,
        lambda n: dict(lr=0.1, timescale=max(1, n // 100) + 0.5, power=0.7),
        _describe(fastlr.InversePower, "(0.1, timescale=N/100 + 0.5, power=0.7): a real timescale"),
        tags=("catalogue",)),
    family_case(
        "inverse_time", fastlr.InverseTime, R.inverse_time,
        lambda n: dict(lr=0.1, decay_rate=1.0, decay_steps=max(1, n // 100)),
        _describe(fastlr.InverseTime, "(0.1, 1.0, decay_steps=N/100)"), tags=("catalogue",)),
    family_case(
        "onecycle", fastlr.OneCycle, R.one_cycle,
        lambda n: dict(max_lr=0.1, total_steps=max(2, n)),
        _describe(fastlr.OneCycle, "(0.1, total_steps=N): torch defaults"), tags=("catalogue",)),
    family_case(
        "triangular", fastlr.Triangular, R.triangular,
        lambda n: dict(base_lr=1e-4, max_lr=0.1, step_size_up=max(1, n // 20)),
        _describe(fastlr.Triangular, "(1e-4, 0.1, step_size_up=N/20): 10 cycles"),
        tags=("catalogue",)),
    family_case(
        "triangular_exp", fastlr.Triangular, R.triangular,
        lambda n: dict(base_lr=1e-4, max_lr=0.1, step_size_up=max(1, n // 20), mode="exp_range",
                       gamma=1 - 1 / max(2, n)),
        _describe(fastlr.Triangular, "(..., mode='exp_range')"), tags=("catalogue",)),
    family_case(
        "warm_restarts", fastlr.WarmRestarts, R.warm_restarts,
        lambda n: dict(max_lr=0.1, first_cycle_steps=max(1, n // 15), cycle_mult=2, min_lr=1e-5),
        _describe(fastlr.WarmRestarts, "(0.1, N/15, cycle_mult=2): 4 cycles"),
        tags=("catalogue",)),
    family_case(
        "wsd", fastlr.WarmupStableDecay, R.warmup_stable_decay,
        lambda n: dict(max_lr=0.1, warmup_steps=n // 20, stable_steps=n // 2,
                       decay_steps=max(1, n // 4), min_lr=1e-5, decay_shape="cosine"),
        _describe(fastlr.WarmupStableDecay, "(5% warmup, 50% stable, 25% cosine decay)"),
        tags=("catalogue",)),
    family_case(
        "tanh", fastlr.TanhDecay, R.tanh_decay,
        lambda n: dict(max_lr=0.1, total_steps=n, min_lr=1e-5),
        _describe(fastlr.TanhDecay, "(0.1, total_steps=N, min_lr=1e-5): timm tanh (exp tables, a division per step)"),
        tags=("catalogue",)),
    family_case(
        "cosine_restarts", fastlr.CosineRestarts, R.cosine_restarts,
        lambda n: dict(max_lr=0.1, cycle_steps=n / 15 + 0.5, cycle_mult=2.0, min_lr=1e-5,
                       cycle_decay=0.9),
        _describe(fastlr.CosineRestarts, "(0.1, N/15 + 0.5, cycle_mult=2, cycle_decay=0.9): 4 "
                  "cycles of real length"),
        tags=("catalogue",)),
    family_case(
        "poly_restarts", fastlr.PolynomialRestarts, R.polynomial_restarts,
        lambda n: dict(max_lr=0.1, cycle_steps=n / 15 + 0.5, cycle_mult=2.0, min_lr=1e-5,
                       cycle_decay=0.9, power=0.5),
        _describe(fastlr.PolynomialRestarts, "(0.1, N/15 + 0.5, cycle_mult=2, cycle_decay=0.9, "
                  "power=0.5): 4 cycles of real length, a sqrt per step"),
        tags=("catalogue",)),
    family_case(
        "poly_restarts0.9", fastlr.PolynomialRestarts, R.polynomial_restarts,
        lambda n: dict(max_lr=0.1, cycle_steps=n / 15 + 0.5, cycle_mult=2.0, min_lr=1e-5,
                       cycle_decay=0.9, power=0.9),
        _describe(fastlr.PolynomialRestarts, "(0.1, N/15 + 0.5, cycle_mult=2, cycle_decay=0.9, "
                  "power=0.9): timm's PolyLRScheduler of segmentation recipes, the power-law "
                  "series counting down"),
        tags=("catalogue",)),
    family_case(
        "cosine_k_decay", fastlr.CosineAnnealing, R.cosine_annealing,
        lambda n: dict(max_lr=0.1, total_steps=n, min_lr=1e-5, exponent=1.0, k_decay=1.5),
        _describe(fastlr.CosineAnnealing, "(0.1, N, 1e-5, k_decay=1.5): the SHAPE kernel's "
                  "anchored series of cos²(π (t/N)**k / 2) (six or ten terms per step); near "
                  "either end (t/N)**k on the power-law series and cos as a polynomial"),
        tags=("catalogue",)),
    family_case(
        "cosine_exponent", fastlr.CosineAnnealing, R.cosine_annealing,
        lambda n: dict(max_lr=0.1, total_steps=n, min_lr=1e-5, exponent=2.0, k_decay=1.0),
        _describe(fastlr.CosineAnnealing, "(0.1, N, 1e-5, exponent=2): the SHAPE kernel's "
                  "anchored series of cos**(2p) (six or ten terms per step; the vectorised "
                  "log2 and 2**z on the anchors and the last ~1000 steps)"),
        tags=("catalogue",)),
    family_case(
        "polynomial_k_decay", fastlr.Polynomial, R.polynomial,
        lambda n: dict(init_lr=0.1, end_lr=1e-5, total_steps=n, power=2.0, k_decay=0.8),
        _describe(fastlr.Polynomial, "(power=2, k_decay=0.8, over N): the SHAPE kernel's "
                  "anchored series of (1 - (t/N)**k)**p (six or ten terms per step; the "
                  "vectorised log2 and 2**z on the anchors and the first and last ~1000 steps)"),
        tags=("catalogue",)),
    family_case(
        "exponential_clip", fastlr.ExponentialDecay, R.exponential_decay,
        lambda n: dict(lr=0.1, decay_rate=10.0 / n, end_lr=0.1 * 2.718281828459045 ** -5),
        _describe(fastlr.ExponentialDecay, "(0.1, 10/N, end_lr=0.1 e^-5): clipped from N/2"),
        tags=("catalogue",)),
    # ------------------------------------------------------------------ compositions
    Case("warmup+cosine",
         schedule=lambda n: fastlr.with_warmup(
             fastlr.CosineAnnealing(0.1, max(1, n - n // 20), 1e-5), n // 20),
         reference=lambda s: functools.partial(R.evaluate, s),
         description="with_warmup(CosineAnnealing(0.1, 0.95N, 1e-5), 0.05N)",
         tags=("compose",)),
    Case("join5",
         schedule=lambda n: fastlr.join(
             [fastlr.Warmup(0.1, max(1, n // 10)), fastlr.Constant(0.1),
              fastlr.CosineAnnealing(0.1, max(1, n // 5), 0.01),
              fastlr.ExponentialDecay(0.01, 20.0 / max(1, n)), fastlr.Constant(1e-4)],
             [max(1, n // 10), max(2, 3 * n // 10), max(3, n // 2), max(4, 4 * n // 5)]),
         reference=lambda s: functools.partial(R.evaluate, s),
         description="join of 5: warmup, constant, cosine, exponential, constant",
         tags=("compose",)),
    Case("(warmup+cosine)*exp",
         schedule=lambda n: fastlr.with_warmup(
             fastlr.CosineAnnealing(0.1, max(1, n - n // 20), 1e-5), n // 20)
         * fastlr.ExponentialDecay(1.0, 1.0 / max(1, n)),
         reference=lambda s: functools.partial(R.evaluate, s),
         description="Product(with_warmup(CosineAnnealing(0.1, 0.95N, 1e-5), 0.05N), "
                     "ExponentialDecay(1, 1/N)): both factors filled in float64 chunks",
         tags=("compose",)),
    Case("cosine+exp",
         schedule=lambda n: fastlr.CosineAnnealing(0.1, n, 1e-5)
         + fastlr.ExponentialDecay(0.01, 1.0 / max(1, n)),
         reference=lambda s: functools.partial(R.evaluate, s),
         description="Sum(CosineAnnealing(0.1, N, 1e-5), ExponentialDecay(0.01, 1/N)): both "
                     "terms filled in float64 chunks",
         tags=("compose",)),
    Case("max(cosine+exp-c, c)",
         schedule=lambda n: fastlr.Maximum(
             fastlr.CosineAnnealing(0.1, n, 1e-5) + fastlr.ExponentialDecay(0.01, 1.0 / max(1, n))
             - 0.002, fastlr.Constant(1e-3)),
         reference=lambda s: functools.partial(R.evaluate, s),
         description="Maximum(CosineAnnealing(0.1, N, 1e-5) + ExponentialDecay(0.01, 1/N) - 0.002, "
                     "Constant(1e-3)): sum, offset and maximum rows",
         tags=("compose",)),
    Case("shifted_cosine",
         schedule=lambda n: fastlr.Shifted(fastlr.CosineAnnealing(0.1, 2 * n, 1e-5), n // 2),
         reference=lambda s: functools.partial(R.evaluate, s),
         description="Shifted(CosineAnnealing(0.1, 2N, 1e-5), N/2): entered N/2 steps in",
         tags=("compose",)),
]

BY_NAME: Dict[str, Case] = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"


def select(names: Optional[Iterable[str]] = None) -> List[Case]:
    """Cases by name (all of them for ``None``), in table order; unknown names raise KeyError."""
    if names is None:
        return list(CASES)
    names = list(names)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise KeyError(f"unknown case(s) {unknown}; known: {', '.join(BY_NAME)}")
    return [c for c in CASES if c.name in names]
