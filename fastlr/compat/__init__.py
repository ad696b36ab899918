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

__all__ = ["NotPrecomputable", "FRAMEWORKS"]

FRAMEWORKS = ("torch", "optax", "transformers", "timm", "keras")


class NotPrecomputable(ValueError):
    """A framework schedule that depends on something other than the step (a metric, a Python
    callable, random noise), so no table of values exists for it."""
