"""Thread counts for fastlr's parallel kernels: one set of rules for fills and sweeps.

``threads`` (a keyword of :meth:`Schedule.fill`, :meth:`Schedule.array`, :func:`fastlr.sweep`
and :func:`fastlr.sweep_reduce`) means:

* ``None``: the CPUs available to this process (:func:`available_cpus`: affinity mask, cgroup CPU
  quota, ``OMP_NUM_THREADS``), but serial for work too small to pay for starting threads;
* ``1``: serial, always;
* ``-1``: every CPU of the machine (``os.cpu_count()``);
* ``k > 1``: at most ``k`` threads (never more than there are chunks of work).

Everything runs serially when the kernels were built without OpenMP, and in a process forked
(``os.fork``, multiprocessing's "fork") after fastlr started threads: GNU OpenMP's thread pool
does not survive a fork and the child's first parallel region would hang. The kernels also check,
before a parallel region, that the OS can start the threads (a tight ``RLIMIT_AS`` or thread
limit): they run with as many as could be started, serially if none, instead of letting the
OpenMP runtime end the process. Values never depend on the thread count.
"""
from __future__ import annotations

import math
import numbers
import os
from typing import Any, Optional

import numpy as np

from fastlr._dispatch import kernels

__all__ = ["available_cpus", "cgroup_cpu_limit", "resolve", "fill_threads", "CHUNK_STEPS",
           "FILL_SERIAL_BELOW", "SWEEP_SERIAL_BELOW"]

# Steps per chunk of a parallel fill (the kernels' unit of work and of interrupt checks).
CHUNK_STEPS = int(kernels.RUN_CHUNK)

# threads=None: below this many values a fill runs on the calling thread. Measured on a 2-core
# AMD EPYC (bench/report.py --threads): at 2**18 steps two threads already win for the
# compute-bound families (float32 cosine) and break even for the memory-bound ones; below that
# the team start-up (~5-20 µs) is a large part of the call.
FILL_SERIAL_BELOW = 1 << 18
# Sweeps: below this many values (rows x steps) a sweep runs serially.
SWEEP_SERIAL_BELOW = 1 << 16

kernels.set_fill_serial_below(FILL_SERIAL_BELOW)


def cgroup_cpu_limit() -> Optional[float]:
    """The CPU quota of this process's cgroup (containers), in CPUs, or None if there is none."""
    try:  # cgroup v2
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max" and int(period) > 0:
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota_us = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period_us = int(f.read())
        if quota_us > 0 and period_us > 0:
            return quota_us / period_us
    except (OSError, ValueError):
        pass
    return None


def available_cpus() -> int:
    """The CPUs this process may use: its CPU affinity mask (where the OS has one, else
    ``os.cpu_count()``), capped by a cgroup CPU quota (``/sys/fs/cgroup/cpu.max``; a quota of 1.5
    CPUs counts as 2) and by ``OMP_NUM_THREADS`` when that is set. At least 1."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = cgroup_cpu_limit()
    if quota is not None:
        n = min(n, math.ceil(quota))
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        n = min(n, int(env))
    return max(1, n)


_state = {"started": False, "forked": False}


def _after_fork_in_child() -> None:
    if _state["started"]:
        _state["forked"] = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def forked_after_threads() -> bool:
    """True in a process forked after fastlr had started threads (it then runs serially)."""
    return _state["forked"]


def resolve(threads: Any, *, work: int, units: int, serial_below: int) -> int:
    """The thread count for ``work`` values split into ``units`` independent pieces, under the
    rules of the module docstring: ``threads`` is validated first (TypeError/ValueError naming
    it, also when the build is serial or the work small), then ``None`` gives the available CPUs,
    the count is capped by ``units``, and work below ``serial_below`` values (below
    ``min(serial_below, SWEEP_SERIAL_BELOW)`` for an explicit count) is serial."""
    if threads is None:
        want = available_cpus()
    else:
        if isinstance(threads, (bool, np.bool_)) or not isinstance(threads, numbers.Integral):
            raise TypeError(f"threads must be an integer or None, got {threads!r} "
                            f"({type(threads).__name__})")
        want = int(threads)
        if want == -1:
            want = os.cpu_count() or 1
        elif want < 1:
            raise ValueError(f"threads must be >= 1, -1 (all CPUs) or None (the CPUs available to "
                             f"this process), got {want}")
    # an explicit count is honoured down to SWEEP_SERIAL_BELOW values (one chunk of a fill)
    floor = serial_below if threads is None else min(serial_below, SWEEP_SERIAL_BELOW)
    if want == 1 or work < floor or not kernels.openmp_enabled() or _state["forked"]:
        return 1
    want = max(1, min(want, units))
    if want > 1:
        _state["started"] = True
    return want


def fill_threads(threads: Any, n: int) -> int:
    """The thread count for a fill of ``n`` steps (``Schedule.fill``/``array``'s ``threads``):
    ``None`` is serial below :data:`FILL_SERIAL_BELOW` steps, else the available CPUs; ``k``
    is at most one thread per chunk of :data:`CHUNK_STEPS` steps."""
    return resolve(threads, work=n, units=max(1, -(-n // CHUNK_STEPS)),
                   serial_below=FILL_SERIAL_BELOW)
