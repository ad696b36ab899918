"""fastlr: learning-rate schedules as typed Cython kernels that fill preallocated numpy arrays.

Every schedule is a pure function of the integer step ``t >= 0``; the value at step ``t`` is the
learning rate of the (t+1)-th optimizer update (the torch / optax / keras / timm convention).

>>> import fastlr
>>> s = fastlr.CosineAnnealing(max_lr=0.1, total_steps=1000)
>>> s(0), s(500), s(1000)
(0.1, 0.05000000000000001, 0.0)
>>> s.array(5, start=998)
array([9.86960437e-07, 2.46740208e-07, 0.00000000e+00, 0.00000000e+00,
       0.00000000e+00])
"""
from fastlr.schedules import (
    CosineAnnealing,
    Cyclical,
    ExponentialDecay,
    Schedule,
    StepDecay,
    Warmup,
    from_dict,
    registry,
)

__version__ = "0.1.0"

__all__ = [
    "Schedule",
    "StepDecay",
    "ExponentialDecay",
    "CosineAnnealing",
    "Warmup",
    "Cyclical",
    "from_dict",
    "registry",
    "__version__",
]
