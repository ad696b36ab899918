"""fastlr: learning-rate schedules as typed Cython kernels that fill preallocated numpy arrays.

Every schedule is a pure function of the integer step ``t >= 0``; the value at step ``t`` is the
learning rate of the (t+1)-th optimizer update (the torch / optax / keras / timm convention).

>>> import numpy as np, fastlr
>>> s = fastlr.CosineAnnealing(max_lr=0.1, total_steps=1000)
>>> s(0), s(1000)
(0.1, 0.0)
>>> out = np.empty(3)
>>> s.fill(out, start=999) is out, out.tolist()
(True, [2.4673990709167007e-07, 0.0, 0.0])
"""
from fastlr.base import Maximum, Offset, Product, Scaled, Schedule, Sum, from_dict, lookup, parameters, registry, schedule_classes
from fastlr.compose import Join, Shifted, WithWarmup, join, with_warmup
from fastlr.spec import from_spec, load_spec
from fastlr.schedules import (
    Constant,
    CosineAnnealing,
    CosineRestarts,
    Cyclical,
    CyclicPolynomial,
    ExponentialDecay,
    InversePower,
    InverseSqrt,
    InverseTime,
    Linear,
    MultiStep,
    OneCycle,
    PiecewiseConstant,
    Polynomial,
    PolynomialRestarts,
    StepDecay,
    TanhDecay,
    Triangular,
    Warmup,
    WarmRestarts,
    WarmupStableDecay,
)
from fastlr.sweep import grid, grid_params, openmp_enabled, sweep, sweep_reduce

__version__ = "0.1.0"


def __getattr__(name):
    # ``fastlr.plot`` is imported on first use (it needs only numpy; matplotlib is imported by its
    # functions when they draw), so ``import fastlr`` imports neither. The module is callable:
    # ``fastlr.plot(schedule, n_steps)`` is ``fastlr.plot.plot(...)``, and ``fastlr.plot.save_plot``
    # / ``fastlr.plot.envelope`` are there too.
    if name == "plot":
        import importlib

        return importlib.import_module("fastlr.plot")
    raise AttributeError(f"module 'fastlr' has no attribute {name!r}")


__all__ = [
    "Schedule",
    # the seed's five
    "StepDecay",
    "ExponentialDecay",
    "CosineAnnealing",
    "Warmup",
    "Cyclical",
    # the catalogue
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
    "WarmupStableDecay",
    "TanhDecay",
    "CosineRestarts",
    "PolynomialRestarts",
    # composition
    "Join",
    "WithWarmup",
    "Scaled",
    "Shifted",
    "Product",
    "Sum",
    "Maximum",
    "Offset",
    "join",
    "with_warmup",
    # serialisation
    "from_dict",
    "from_spec",
    "load_spec",
    "registry",
    "schedule_classes",
    "lookup",
    "parameters",
    # sweeps
    "sweep",
    "sweep_reduce",
    "grid",
    "grid_params",
    "openmp_enabled",
    # plotting (matplotlib, imported on call)
    "plot",
    "__version__",
]
