"""fastlr schedules as optax learning rates: a precomputed table looked up on the device.

Example::

    import optax, fastlr
    from fastlr.integrations.optax import as_schedule
    lr = as_schedule(fastlr.CosineAnnealing(max_lr=1e-3, total_steps=10_000), 10_000)
    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=lr, weight_decay=1e-4)

The returned function maps optax's step ``count`` (the number of updates already applied, so the
first update uses step 0) to ``table[clip(count, 0, n-1)]``: plain device indexing, jit-safe, no
host callback. Needs JAX and optax (``pip install "fastlr-schedules[jax]"``).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from fastlr.integrations.tables import rates

try:
    import jax
    import jax.numpy as jnp
except ImportError as exc:  # pragma: no cover - exercised only without jax
    raise ImportError('fastlr.integrations.optax needs JAX and optax: '
                      'pip install "fastlr-schedules[jax]"') from exc

__all__ = ["as_schedule", "TableSchedule"]


def _table_dtype(dtype: Any) -> np.dtype:
    default = jax.dtypes.canonicalize_dtype(jnp.float64)  # float32 unless jax_enable_x64
    if dtype is None:
        return np.dtype(default)
    try:
        dt = jnp.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a floating dtype, got {dtype!r}") from None
    if not jnp.issubdtype(dt, jnp.floating):
        raise TypeError(f"dtype must be a floating dtype, got {dt}")
    if jax.dtypes.canonicalize_dtype(dt) != dt:
        raise ValueError(f"dtype={dt} needs jax_enable_x64 (JAX would store the table as "
                         f"{jax.dtypes.canonicalize_dtype(dt)})")
    return dt


class TableSchedule:
    """An optax schedule ``count -> table[clip(count, 0, n_steps-1)]``.

    ``table`` is a device array of ``n_steps`` rates; counts past the end hold the last value and
    negative counts give the first. ``count`` may be a Python int, a jax integer scalar or array
    (traced or not); floating counts raise TypeError.
    """

    __slots__ = ("table", "n_steps", "__weakref__")

    def __init__(self, table: Any) -> None:
        self.table = table
        self.n_steps = int(table.shape[0])

    def __call__(self, count: Any) -> Any:
        count = jnp.asarray(count)
        if not jnp.issubdtype(count.dtype, jnp.integer):
            raise TypeError(f"count must be an integer step, got dtype {count.dtype}")
        return self.table[jnp.clip(count, 0, self.n_steps - 1)]

    @property
    def dtype(self) -> Any:
        return self.table.dtype

    def __repr__(self) -> str:
        return f"TableSchedule(n_steps={self.n_steps}, dtype={self.table.dtype})"


def as_schedule(schedule_or_array: Any, n_steps: Optional[int] = None, *,
                dtype: Any = None) -> TableSchedule:
    """A jit-safe optax schedule (``count -> lr``) holding a precomputed table on the device.

    Parameters
    ----------
    schedule_or_array
        A fastlr schedule (then ``n_steps`` is required: the table holds steps
        ``0 … n_steps-1``) or a 1-D array of rates (step ``k`` is ``array[k]``; ``n_steps``, if
        given, must equal its length).
    dtype
        The table's dtype: JAX's default float (float32, or float64 with ``jax_enable_x64``) when
        None; float16/bfloat16 work too. The values are the schedule's float64 values rounded
        once to this dtype (with float64 they are ``schedule(k)`` bit for bit).

    The result works as any optax ``learning_rate`` and with ``optax.inject_hyperparams``. Step
    ``count`` (optax's count of applied updates, so the first update uses step 0) reads
    ``table[clip(count, 0, n_steps-1)]``: counts past the end hold the last value. The table is
    a constant of the traced function (``n_steps`` values of device memory; a 10**7-step
    float32 table costs about half a second of compile time).
    """
    values = rates(schedule_or_array, n_steps)
    dt = _table_dtype(dtype)
    return TableSchedule(jnp.asarray(values.astype(dt)))
