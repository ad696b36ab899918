"""Framework parity: the schedules of PyTorch, optax, Hugging Face transformers, timm and Keras by
their own names and keyword arguments, as ordinary fastlr schedules (fill, scalar, gather, sweep,
``to_dict``, pickle).

One module per framework, each importable without the framework installed::

    from fastlr.compat import torch as T
    s = T.OneCycleLR(max_lr=0.1, total_steps=10_000)      # base_lr where torch reads the optimizer

"Value at step t" is, per framework:

- ``fastlr.compat.torch``: the lr the optimizer holds after t calls of ``scheduler.step()``;
- ``fastlr.compat.optax``: ``schedule(t)``, in float64;
- ``fastlr.compat.transformers``: ``base_lr`` times the LambdaLR multiplier at t;
- ``fastlr.compat.timm``: the lr of update t with ``t_in_epochs=False``;
- ``fastlr.compat.keras``: ``schedule(t)``, in float64.

The semantics rule (every constructor follows it; its docstring lists its cases): on the
framework's own domain the framework is reproduced exactly, conventions included; where the
framework has a floating-point bug (a log-based restart index, the drift of torch's recursive
form, XLA computing ``count * (1/T)``), fastlr gives the exactly intended value; where the
framework raises or extrapolates nonsense (torch's OneCycleLR past ``total_steps``, a linear
anneal going negative), fastlr holds the last value.

A compat constructor is a translation, not a new engine: it maps the framework's arguments onto
fastlr's families and compositions. Schedules that cannot be precomputed (arbitrary callables,
metric-driven plateaus, random noise) raise :class:`NotPrecomputable`, a ValueError that says why.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

__all__ = ["NotPrecomputable", "FRAMEWORKS"]

FRAMEWORKS = ("torch", "optax", "transformers", "timm", "keras")


class NotPrecomputable(ValueError):
    """A framework schedule that depends on something other than the step (a metric, a Python
    callable, random noise), so no table of values exists for it."""


def cosine_piece(a: float, b: float, L: Fraction, phi: Fraction, n: int) -> Any:
    """``a + (b - a) cos²(π (τ + φ) / (2 L))`` for τ in [0, n), where ``0 <= φ`` and
    ``φ + n - 1 < L``: one falling quarter-wave of real length ``L`` entered at the real phase
    ``φ`` — the building block of the transformers and keras cosines whose cycles do not start
    on whole steps. Built from a 2-cycle :class:`fastlr.CosineRestarts` whose first cycle (of
    length ``k - φ``, ``k = floor(φ) + 1``) is dropped by a shift of ``k`` steps; a single step
    (or a cycle shorter than that first part) is a :class:`fastlr.Constant`."""
    import fastlr
    if n == 1 or L < 1 - phi:
        return fastlr.Constant(a + (b - a) * math.cos(math.pi * float(phi / L) / 2.0) ** 2)
    if phi == 0:
        return fastlr.CosineRestarts(b, float(L), min_lr=a, max_cycles=1)
    k = math.floor(phi) + 1
    first = k - phi
    return fastlr.Shifted(fastlr.CosineRestarts(b, float(first), float(L / first), min_lr=a,
                                                max_cycles=2), k)
