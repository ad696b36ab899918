"""Precomputed rate tables for the framework adapters (no framework imported here).

:func:`rates` turns what a user hands an adapter (a fastlr schedule with a number of steps, or an
array of rates) into one validated, read-only float64 numpy array: the table the optax and Keras
adapters move to the device.
"""
from __future__ import annotations

import operator
from typing import Any, Optional

import numpy as np

from fastlr import Schedule

__all__ = ["rates"]


def rates(schedule_or_array: Any, n_steps: Optional[int] = None) -> np.ndarray:
    """The rates of steps ``0 … n-1`` as a new, read-only, 1-D float64 array.

    * A fastlr schedule: ``schedule.array(n_steps)`` (its float64 values, bit for bit);
      ``n_steps`` (an int >= 1) is required.
    * A 1-D array (or list) of rates: a float64 copy; it must be non-empty and finite, and
      ``n_steps``, if given, must equal its length.
    """
    if n_steps is not None:
        if isinstance(n_steps, bool):
            raise TypeError("n_steps must be an int, got bool")
        try:
            n_steps = operator.index(n_steps)
        except TypeError:
            raise TypeError(f"n_steps must be an int, got {type(n_steps).__name__}") from None
        if n_steps < 1:
            raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    if isinstance(schedule_or_array, Schedule):
        if n_steps is None:
            raise ValueError("n_steps is required with a fastlr schedule (the table holds steps "
                             "0 ... n_steps-1; later steps hold the last value)")
        values = schedule_or_array.array(n_steps)
    else:
        try:
            values = np.array(schedule_or_array, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"schedule_or_array must be a fastlr schedule or a 1-D array of rates, "
                            f"got {type(schedule_or_array).__name__}") from exc
        if values.ndim != 1:
            raise ValueError(f"the array of rates must be 1-D, got shape {values.shape}")
        if values.shape[0] == 0:
            raise ValueError("the array of rates must have at least one step, got length 0")
        if n_steps is not None and n_steps != values.shape[0]:
            raise ValueError(f"n_steps={n_steps} disagrees with the array's length "
                             f"{values.shape[0]}")
        finite = np.isfinite(values)
        if not finite.all():
            i = int(np.argmin(finite))
            raise ValueError(f"the array of rates must be finite, got {values[i]} at index {i}")
    values.setflags(write=False)
    return values
