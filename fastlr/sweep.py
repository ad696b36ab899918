"""Sweeps: many schedules × many steps, filled by compiled code on several threads.

A sweep is a list of schedules (any families, any compositions) evaluated over one window of steps:
row ``i`` of the result is ``schedules[i].array(n_steps, start=start)``, bit for bit. The rows are
filled by one compiled call (``sweep_fill`` in fastlr/kernels.pyx) that gathers the schedules'
plans into a C array and, without the GIL, runs each row through the same interpreter as
``Schedule.fill`` — on several OpenMP threads when the build has OpenMP. A row is written by one
thread and rows share nothing, so the values never depend on the thread count.

>>> import fastlr
>>> scheds = fastlr.grid("cosine", max_lr=[0.1, 0.3], total_steps=[1000])
>>> fastlr.sweep(scheds, 3, start=999).tolist()
[[2.4673990709167007e-07, 0.0, 0.0], [7.402197212750102e-07, 0.0, 0.0]]
"""
from __future__ import annotations

import itertools
import os  # noqa: F401  (tests patch fastlr.sweep.os)
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

import numpy as np

from fastlr._dispatch import kernels
from fastlr.base import Schedule, lookup
from fastlr.threads import (CHUNK_STEPS, SWEEP_SERIAL_BELOW, available_cpus, cgroup_cpu_limit,
                            resolve)
from fastlr.validate import allocate, check_dtype, check_step, check_steps

__all__ = ["sweep", "sweep_reduce", "grid", "grid_params", "openmp_enabled", "available_cpus",
           "resolve_threads", "as_schedules", "window", "fill_rows", "REDUCE_OPS"]

REDUCE_OPS = ("sum", "min", "max", "mean", "final")

# Below this many values a sweep runs on the calling thread (fastlr.threads.SWEEP_SERIAL_BELOW).
_SERIAL_BELOW = SWEEP_SERIAL_BELOW
# sweep_reduce: default steps per chunk (128 KB of float64 per thread: the chunk is reduced while
# it is still in cache).
_REDUCE_CHUNK_STEPS = 1 << 14


def openmp_enabled() -> bool:
    """True when fastlr's kernels were built with OpenMP, so sweeps can fill rows on several
    threads (``threads`` is then honoured). A serial build gives the same values, on one thread."""
    return bool(kernels.openmp_enabled())


# ------------------------------------------------------------------------------------ threads


# The rules live in fastlr.threads (shared with Schedule.fill); these names stay for callers.
_cgroup_cpu_limit = cgroup_cpu_limit


def resolve_threads(threads: Any, rows: int, n: int) -> int:
    """The thread count for a sweep of ``rows`` × ``n`` values under the rules of :func:`sweep`'s
    ``threads`` (validated even when the build is serial or the work small, so a bad value fails
    the same way everywhere). A sweep's unit of work is a chunk of a row (at most
    ``fastlr.threads.CHUNK_STEPS`` steps), so a few long rows still use every thread."""
    return resolve(threads, work=rows * n, units=rows * max(1, -(-n // CHUNK_STEPS)),
                   serial_below=_SERIAL_BELOW)


def _reduce_threads(threads: Any, rows: int, n: int) -> int:
    # sweep_reduce keeps a row on one thread (its chunk sums are added in order)
    return resolve(threads, work=rows * n, units=rows, serial_below=_SERIAL_BELOW)


# ------------------------------------------------------------------------------------ inputs


def as_schedules(schedules: Any, name: str = "schedules") -> List[Schedule]:
    """A non-empty list of schedules from a sequence, or a TypeError/ValueError naming `name`."""
    if isinstance(schedules, Schedule):
        raise TypeError(f"{name} must be a sequence of schedules, got a single "
                        f"{type(schedules).__name__}; wrap it in a list")
    if isinstance(schedules, (str, bytes, dict)) or not isinstance(schedules, Iterable):
        raise TypeError(f"{name} must be a sequence of fastlr schedules, got {schedules!r} "
                        f"({type(schedules).__name__})")
    out = list(schedules)
    if not out:
        raise ValueError(f"{name} must not be empty")
    for i, s in enumerate(out):
        if not isinstance(s, Schedule):
            raise TypeError(f"{name}[{i}] must be a fastlr schedule, got {s!r} "
                            f"({type(s).__name__})")
    return out


def window(n_steps: Any, start: Any, *, minimum: int = 0) -> tuple:
    """``(n_steps, start)`` checked: counts of steps, and the last step within 2**63 - 1."""
    n = check_steps(n_steps, "n_steps", minimum=minimum)
    s = check_step(start, "start")
    kernels.check_window(s, n)
    return n, s


def fill_rows(schedules: Sequence[Schedule], out: np.ndarray, start: int = 0,
              threads: int = 1) -> np.ndarray:
    """Fill row ``i`` of the 2-D array ``out`` with ``schedules[i]``'s values of steps
    ``start … start + out.shape[1] - 1`` on ``threads`` threads (an already resolved count, see
    :func:`resolve_threads`); return ``out``. The row-filling entry point of :func:`sweep` and of
    the dask integration; rows may be a column block of a wider array."""
    return kernels.sweep_fill([x.plan for x in schedules], out, start, threads)


# ------------------------------------------------------------------------------------ sweep


def sweep(schedules: Sequence[Schedule], n_steps: int, *, start: int = 0, dtype: Any = np.float64,
          out: Optional[np.ndarray] = None, threads: Optional[int] = None) -> np.ndarray:
    """The values of many schedules over steps ``start … start+n_steps-1``, one row each.

    Row ``i`` equals ``schedules[i].array(n_steps, start=start, dtype=dtype)`` bit for bit, for
    every ``threads``. The rows are filled by compiled code without the GIL (no Python call per
    row or step), in parallel when fastlr was built with OpenMP (:func:`openmp_enabled`).

    Parameters
    ----------
    schedules : sequence of Schedule
        At least one; families and compositions may be mixed.
    n_steps : int
        Columns (>= 0).
    start : int, default 0
        The step of column 0.
    dtype : float32 or float64
        float32 values are the float64 values rounded once. Must agree with ``out.dtype``.
    out : ndarray or np.memmap, optional
        A 2-D float32/float64 array of shape ``(len(schedules), n_steps)`` to fill (and return):
        writeable, aligned, native byte order, contiguous rows. The row stride may be larger than
        ``n_steps``, so ``out`` can be a column block ``wide[:, c:c + n]`` of a wider array or
        memmap (with ``start`` the block's first step): a sweep larger than memory is computed in
        blocks of steps or rows. Checked before anything is written.
    threads : int or None
        ``None``: the CPUs available to the process (affinity mask, cgroup quota,
        ``OMP_NUM_THREADS``; see :func:`available_cpus`); ``1``: serial; ``-1``: every CPU of the
        machine; ``k > 1``: at most k threads. Never more threads than chunks of rows (65536 steps each);
        small sweeps (fewer than 65536 values) run serially, and so do sweeps in a process forked
        (``os.fork``, multiprocessing's "fork") after a threaded sweep, since GNU OpenMP's threads
        do not survive a fork. If the OS cannot start that many threads (a tight ``RLIMIT_AS``),
        the sweep runs on as many as it could start. 0 and other negatives raise ValueError.
        The rules are :mod:`fastlr.threads`'s, shared with ``Schedule.fill``.

    A sweep on the main thread stops for Ctrl-C within one chunk of work: KeyboardInterrupt
    propagates and ``out`` then holds some whole chunks of rows, the rest untouched.

    Returns
    -------
    ndarray of shape (len(schedules), n_steps): ``out`` itself when given.
    """
    scheds = as_schedules(schedules)
    n, s = window(n_steps, start)
    dt = check_dtype(dtype)
    nthreads = resolve_threads(threads, len(scheds), n)
    shape = (len(scheds), n)
    if out is None:
        out = allocate(shape, dt, f"n_steps={n} for {shape[0]} schedules")
    else:
        kernels.check_output(out, 2)
        if out.dtype != dt:
            raise TypeError(f"dtype={dt} disagrees with out.dtype={out.dtype}; pass "
                            f"dtype=np.{out.dtype}")
        if out.shape != shape:
            raise ValueError(f"out must have shape (len(schedules), n_steps) = {shape}, "
                             f"got {out.shape}")
    return fill_rows(scheds, out, s, nthreads)


def sweep_reduce(schedules: Sequence[Schedule], n_steps: int, ops: Any = REDUCE_OPS, *,
                 start: int = 0, chunk_steps: Optional[int] = None,
                 threads: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Per-schedule statistics of steps ``start … start+n_steps-1`` without the full matrix.

    Each row is computed in float64, ``chunk_steps`` steps at a time, into a buffer of one chunk
    per thread (it stays in cache), and reduced there with float64 accumulation, all in one
    compiled call without the GIL: memory is ``threads × chunk_steps`` values, whatever the number
    of schedules and steps.

    Parameters
    ----------
    schedules : sequence of Schedule
    n_steps : int
        >= 1.
    ops : sequence of {"sum", "min", "max", "mean", "final"} (or one name)
        ``"sum"``: the sum of the rates over the window — the area under the lr curve, at one unit
        per step, which sweeps use to compare budgets; ``"mean"``: sum / n_steps; ``"min"``,
        ``"max"``; ``"final"``: the value at the last step, ``start + n_steps - 1``.
    start : int, default 0
    chunk_steps : int, optional
        Steps per chunk (default 16384: 128 KB per thread).
    threads : int or None
        As in :func:`sweep`, but never more threads than schedules (a row stays on one thread);
        every thread count gives the same values. Ctrl-C stops it between chunks.

    Returns
    -------
    dict mapping each op (in the order given) to a float64 array of ``len(schedules)`` values.
    ``min``/``max``/``final`` equal numpy's reductions of the full float64 sweep exactly;
    ``sum``/``mean`` agree to rounding: chunks are summed pairwise (as numpy sums) and the chunk
    sums added with Neumaier's compensation, so the error does not grow with ``n_steps``.
    """
    scheds = as_schedules(schedules)
    n, s = window(n_steps, start, minimum=1)
    wanted = _check_ops(ops)
    chunk = _REDUCE_CHUNK_STEPS if chunk_steps is None else check_steps(chunk_steps, "chunk_steps")
    chunk = min(chunk, n)
    nthreads = _reduce_threads(threads, len(scheds), n)
    res = np.empty((len(scheds), 4))
    kernels.sweep_reduce_rows([x.plan for x in scheds], res, s, n, chunk,
                               np.empty((nthreads, chunk)))
    columns = {"sum": 0, "min": 1, "max": 2, "final": 3}
    out = {}
    for op in wanted:
        out[op] = res[:, 0] / n if op == "mean" else res[:, columns[op]].copy()
    return out


def _check_ops(ops: Any) -> tuple:
    if isinstance(ops, str):
        ops = (ops,)
    if isinstance(ops, (bytes, dict)) or not isinstance(ops, Iterable):
        raise TypeError(f"ops must be a sequence of names from {', '.join(REDUCE_OPS)}; "
                        f"got {ops!r}")
    wanted: list = []
    for op in ops:
        if op not in REDUCE_OPS:
            raise ValueError(f"ops: unknown reduction {op!r}; choose from {', '.join(REDUCE_OPS)}")
        if op not in wanted:
            wanted.append(op)
    if not wanted:
        raise ValueError(f"ops must name at least one of {', '.join(REDUCE_OPS)}")
    return tuple(wanted)


# ------------------------------------------------------------------------------------ grids


def grid_params(**param_lists: Any) -> List[Dict[str, Any]]:
    """The cartesian product of parameter lists as a table: one dict per row, in the order of
    ``itertools.product`` over the keywords as given (the first keyword varies slowest, the last
    fastest). The rows of :func:`grid` with the same lists are in the same order.

    >>> grid_params(warmup_steps=[0, 1000], max_lr=[0.1, 0.3])  # doctest: +NORMALIZE_WHITESPACE
    [{'warmup_steps': 0, 'max_lr': 0.1}, {'warmup_steps': 0, 'max_lr': 0.3},
     {'warmup_steps': 1000, 'max_lr': 0.1}, {'warmup_steps': 1000, 'max_lr': 0.3}]
    """
    names, values = [], []
    for name, vals in param_lists.items():
        if isinstance(vals, (str, bytes, dict)) or not isinstance(vals, Iterable):
            raise TypeError(f"{name} must be a list of values, got {vals!r}; wrap a single value "
                            f"in a list: {name}=[{vals!r}]")
        try:
            vals = list(vals)
        except TypeError as exc:  # e.g. a 0-d numpy array
            raise TypeError(f"{name} must be a list of values, got {vals!r}: {exc}") from None
        if not vals:
            raise ValueError(f"{name} is an empty list: the grid would have no rows")
        names.append(name)
        values.append(vals)
    return [dict(zip(names, combo)) for combo in itertools.product(*values)]


def _builder(family: Any) -> Callable[..., Any]:
    if isinstance(family, str):
        return lookup(family)
    if isinstance(family, type):
        if not issubclass(family, Schedule):
            raise TypeError(f"family must be a schedule class, name or builder function, got the "
                            f"class {family.__name__}")
        return family
    if not callable(family):
        raise TypeError(f"family must be a schedule class, a name such as 'cosine', or a callable "
                        f"returning a schedule; got {family!r} ({type(family).__name__})")
    return family


def grid(family: Any, **param_lists: Any) -> List[Schedule]:
    """One schedule per row of ``grid_params(**param_lists)``: ``family(**row)``.

    ``family`` is a schedule class (``fastlr.CosineAnnealing``), a name or alias (``"cosine"``),
    or any callable that returns a schedule, for compositions::

        fastlr.grid(lambda max_lr, warmup_steps: fastlr.with_warmup(
                        fastlr.CosineAnnealing(max_lr, 10**6), warmup_steps),
                    max_lr=[0.1, 0.3], warmup_steps=[0, 1000, 10000])

    The order is deterministic (see :func:`grid_params`), so ``grid_params(**param_lists)[i]``
    is the configuration of row ``i`` of a sweep of the grid.
    """
    build = _builder(family)
    table = grid_params(**param_lists)
    out: List[Schedule] = []
    for i, row in enumerate(table):
        try:
            sched = build(**row)
        except (TypeError, ValueError) as exc:
            if type(exc) not in (TypeError, ValueError):
                raise
            raise type(exc)(f"grid row {i} {row}: {exc}") from exc
        if not isinstance(sched, Schedule):
            raise TypeError(f"grid row {i} {row}: family {family!r} returned {sched!r} "
                            f"({type(sched).__name__}), not a fastlr schedule")
        out.append(sched)
    return out
