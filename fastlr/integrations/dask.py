"""Sweeps as lazy dask arrays: the same kernels, block by block, on one machine or a cluster.

>>> import fastlr, fastlr.integrations.dask as fd                 # doctest: +SKIP
>>> grid = fastlr.grid("cosine", max_lr=[0.1, 0.2, 0.3], total_steps=[10**9])
>>> a = fd.sweep(grid, 10**9, chunks=(3, 10**7))                  # 24 GB, nothing computed yet
>>> a[:, -5:].compute()                                           # fills one block of each row

Each block of ``rows × steps`` is filled by :func:`fastlr.sweep.fill_rows` (the row-filling
entry point of :func:`fastlr.sweep`) on the worker that computes it, with the block's first step as
``start``: block values are the sweep's values bit for bit, however the array is chunked. The
schedules travel in the graph as pickles (a schedule pickles as its ``to_dict``), one copy per
block of rows. Needs ``dask[array]`` (``pip install "fastlr-schedules[dask]"``, which also brings
``distributed``).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from fastlr.base import Schedule
from fastlr.sweep import as_schedules, fill_rows, window
from fastlr.validate import check_dtype

__all__ = ["sweep"]


def _import_dask() -> Any:
    try:
        import dask.array as da
        from dask.array.core import normalize_chunks
        from dask.base import tokenize
        from dask.highlevelgraph import HighLevelGraph
    except ImportError as exc:
        raise ImportError("fastlr.integrations.dask needs dask with its array module: "
                          "pip install \"fastlr-schedules[dask]\"") from exc
    return da, normalize_chunks, tokenize, HighLevelGraph


class _Rows:
    """The schedules of one block of rows. A plain tuple would not do: dask reads a tuple that
    starts with a callable (a schedule is one) as a task."""

    __slots__ = ("schedules",)

    def __init__(self, schedules: Sequence[Schedule]) -> None:
        self.schedules = tuple(schedules)

    def __reduce__(self) -> Any:
        return (_Rows, (self.schedules,))

    def __repr__(self) -> str:
        return f"<{len(self.schedules)} fastlr schedules>"


def _fill_block(rows: _Rows, start: int, n: int, dtype: np.dtype) -> np.ndarray:
    """One block: the rows' values of steps start ... start+n-1 (serial: dask runs the blocks in
    parallel)."""
    out = np.empty((len(rows.schedules), n), dtype=dtype)
    return fill_rows(rows.schedules, out, start, 1)


def _check_chunks(chunks: Any, shape: tuple, dt: np.dtype, normalize_chunks: Any) -> tuple:
    """dask's normalised chunks, or a ValueError naming ``chunks``: a block size per axis must be
    a positive integer (or -1/None for the whole axis, or "auto"); explicit block sizes must be
    >= 1 unless the axis is empty, and add up to the axis."""
    if isinstance(chunks, (tuple, list)):
        for axis, c in enumerate(chunks):
            if isinstance(c, (bool, np.bool_)) or (
                    isinstance(c, (int, np.integer)) and c != -1 and c < 1):
                raise ValueError(f"chunks={chunks!r}: the block size of axis {axis} must be a "
                                 f"positive integer (or -1, None or 'auto' for the whole axis), "
                                 f"got {c!r}")
    try:
        norm = normalize_chunks(chunks, shape, dtype=dt)
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"chunks={chunks!r} does not fit an array of shape {shape}: "
                         f"{exc or type(exc).__name__}") from None
    for axis, (sizes, dim) in enumerate(zip(norm, shape)):
        if dim and (not sizes or min(sizes) < 1 or sum(sizes) != dim):
            raise ValueError(f"chunks={chunks!r}: the blocks of axis {axis} must be >= 1 and add "
                             f"up to {dim}, got {sizes}")
    return norm


def sweep(schedules: Sequence[Schedule], n_steps: int, *, start: int = 0,
          dtype: Any = np.float64, chunks: Any = "auto") -> Any:
    """A lazy ``dask.array.Array`` of shape ``(len(schedules), n_steps)`` whose row ``i`` is
    ``schedules[i].array(n_steps, start=start, dtype=dtype)``, bit for bit.

    Parameters
    ----------
    schedules, n_steps, start, dtype
        As in :func:`fastlr.sweep`.
    chunks
        Block shape, anything ``dask.array`` accepts for a 2-D array: ``(rows, steps)``, explicit
        block sizes per axis, or ``"auto"`` (dask's ``array.chunk-size``, 128 MiB by default).

    Nothing is computed until the array (or a slice or reduction of it) is; each block is one task
    that fills ``rows × steps`` values with the sweep kernel, so slices compute only the blocks
    they touch. Works with any dask scheduler, ``dask.distributed`` included.
    """
    da, normalize_chunks, tokenize, HighLevelGraph = _import_dask()
    scheds = as_schedules(schedules)
    n, s = window(n_steps, start)
    dt = check_dtype(dtype)
    shape = (len(scheds), n)
    chunks = _check_chunks(chunks, shape, dt, normalize_chunks)
    token = tokenize([x.to_dict() for x in scheds], n, s, dt.str, chunks)
    name, rows_name = f"fastlr-sweep-{token}", f"fastlr-sweep-rows-{token}"
    rows_layer, blocks_layer = {}, {}
    r0 = 0
    for i, nrows in enumerate(chunks[0]):  # a loop over blocks, not rows or steps
        rows_layer[(rows_name, i)] = _Rows(scheds[r0:r0 + nrows])
        c0 = 0
        for j, width in enumerate(chunks[1]):
            blocks_layer[(name, i, j)] = (_fill_block, (rows_name, i), s + c0, width, dt)
            c0 += width
        r0 += nrows
    graph = HighLevelGraph({rows_name: rows_layer, name: blocks_layer},
                           {rows_name: set(), name: {rows_name}})
    return da.Array(graph, name, chunks=chunks, dtype=dt)
