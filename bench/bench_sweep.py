"""Sweep throughput: fastlr.sweep against a Python loop of per-schedule fills and against
``out.fill`` over the same bytes, and thread scaling on compute-heavy rows.

    pytest bench/bench_sweep.py                        # timed (about a minute; 2 x 800 MB buffers)
    pytest bench/bench_sweep.py --benchmark-disable    # smoke: small sizes, each body once

Groups (one per case, so pytest-benchmark's table reads as ratios within a group):

* ``sweep 1000x100k`` / ``sweep 100x1M``: 1,000 mixed schedules × 100,000 steps and 100 × 10**6
  (800 MB of float64 each): ``fastlr.sweep`` with the default threads and with ``threads=1``, a
  Python loop of ``schedule.fill(row)`` into the rows of the same array, and ``out.fill(0.5)``.
  values per second = rows × steps / time (``extra_info["n"]``; bench/conftest.py prints
  ns per value and the ratio to ``out.fill`` after a timed run).
* ``threads cosine 64x1M`` and ``threads pow 64x200k``: ``threads=1`` against ``threads=2`` on
  cosine-family rows (angle-addition recurrences) and on rows whose formula calls ``pow`` per
  step (Polynomial with power 0.7: compute-bound).
* ``reduce 1000x100k``: ``fastlr.sweep_reduce`` (sum, min, max, final; no matrix) against the
  full sweep followed by numpy's reductions.

Output arrays are allocated and written once (outside the timings), so no case pays for page faults.
With ``--benchmark-disable`` (CI's smoke run) the sizes shrink to a few thousand values.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np
import pytest

import fastlr

# case: ((rows, steps) timed, (rows, steps) smoke)
THROUGHPUT = {
    "1000x100k": ((1000, 100_000), (20, 1000)),
    "100x1M": ((100, 1_000_000), (4, 5000)),
}
SCALING = {
    "cosine 64x1M": ((64, 1_000_000), (4, 2000)),
    "pow 64x200k": ((64, 200_000), (4, 2000)),
}


def mixed(rows: int) -> List[fastlr.Schedule]:
    """A deterministic mix of families and compositions, horizons 50k-150k steps."""
    out = []
    for i in range(rows):
        lr = 0.05 + 0.001 * (i % 97)
        T = 50_000 + 997 * (i % 101)
        kind = i % 10
        if kind == 0:
            s = fastlr.StepDecay(lr, 0.5, 10_000 + i)
        elif kind == 1:
            s = fastlr.ExponentialDecay(lr, 1e-5 * (1 + i % 7))
        elif kind == 2:
            s = fastlr.CosineAnnealing(lr, T, min_lr=1e-5)
        elif kind == 3:
            s = fastlr.with_warmup(fastlr.CosineAnnealing(lr, T), 1000 + i)
        elif kind == 4:
            s = fastlr.OneCycle(lr, T)
        elif kind == 5:
            s = fastlr.WarmRestarts(lr, 5000 + i, cycle_mult=2, min_lr=1e-5)
        elif kind == 6:
            s = fastlr.WarmupStableDecay(lr, 2000, T // 2, T // 3, decay_shape="cosine")
        elif kind == 7:
            s = 0.5 * fastlr.Linear(lr, 0.0, T)
        elif kind == 8:
            s = fastlr.join([fastlr.Warmup(lr, 3000), fastlr.CosineAnnealing(lr, T)], [3000])
        else:
            s = fastlr.InverseSqrt(lr, 4000)
        out.append(s)
    return out


def cosine_family(rows: int) -> List[fastlr.Schedule]:
    out = []
    for i in range(rows):
        lr = 0.1 + 0.001 * i
        kind = i % 4
        if kind == 0:
            out.append(fastlr.CosineAnnealing(lr, 2_000_000 + 1000 * i, min_lr=1e-5))
        elif kind == 1:
            out.append(fastlr.WarmRestarts(lr, 30_000 + i, cycle_mult=1, cycle_decay=0.9))
        elif kind == 2:
            out.append(fastlr.Cyclical(lr, 70_000 + i))
        else:
            out.append(fastlr.OneCycle(lr, 1_500_000 + i))
    return out


def pow_rows(rows: int) -> List[fastlr.Schedule]:
    return [fastlr.Polynomial(0.1, 1e-4, 10**6, power=0.7 + 1e-3 * i) for i in range(rows)]


_BUFFERS: Dict[Tuple[int, int], np.ndarray] = {}


def touched(rows: int, steps: int) -> np.ndarray:
    """A float64 (rows, steps) array, allocated and written once per session."""
    out = _BUFFERS.get((rows, steps))
    if out is None:
        out = np.empty((rows, steps))
        out.fill(1.0)  # fault every page in now, not inside the first timed call
        _BUFFERS[(rows, steps)] = out
    return out


def size(request, table, case):
    return table[case][1 if request.config.getoption("benchmark_disable") else 0]


def python_loop(scheds, out):
    for s, row in zip(scheds, out):
        s.fill(row)
    return out


def spot_check(scheds, out):
    """Rows 0 and -1 equal their own fills: the benchmark computed what it claims."""
    n = out.shape[1]
    for i in (0, len(scheds) - 1):
        np.testing.assert_array_equal(out[i], scheds[i].array(n))


@pytest.mark.parametrize("impl", ["sweep", "sweep threads=1", "python loop of fill", "out.fill"])
@pytest.mark.parametrize("case", list(THROUGHPUT))
def test_throughput(benchmark, request, case, impl):
    rows, steps = size(request, THROUGHPUT, case)
    scheds = mixed(rows)
    out = touched(rows, steps)
    benchmark.group = f"sweep {case}"
    benchmark.extra_info.update(n=rows * steps, impl=impl, bytes=out.nbytes)
    if impl == "sweep":
        assert benchmark(fastlr.sweep, scheds, steps, out=out) is out
    elif impl == "sweep threads=1":
        assert benchmark(fastlr.sweep, scheds, steps, out=out, threads=1) is out
    elif impl == "python loop of fill":
        benchmark(python_loop, scheds, out)
    else:
        benchmark(out.fill, 0.5)
        return
    spot_check(scheds, out)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", list(SCALING))
def test_thread_scaling(benchmark, request, case, threads):
    rows, steps = size(request, SCALING, case)
    scheds = cosine_family(rows) if case.startswith("cosine") else pow_rows(rows)
    out = touched(rows, steps)
    benchmark.group = f"threads {case}"
    benchmark.extra_info.update(n=rows * steps, impl=f"threads={threads}", bytes=out.nbytes,
                                openmp=fastlr.openmp_enabled())
    assert benchmark(fastlr.sweep, scheds, steps, out=out, threads=threads) is out
    spot_check(scheds, out)


REDUCE = {"1000x100k": ((1000, 100_000), (20, 1000))}


def full_then_numpy(scheds, steps, out):
    fastlr.sweep(scheds, steps, out=out)
    return out.sum(axis=1), out.min(axis=1), out.max(axis=1), out[:, -1].copy()


@pytest.mark.parametrize("impl", ["sweep_reduce", "sweep_reduce threads=1",
                                  "sweep + numpy reductions"])
@pytest.mark.parametrize("case", list(REDUCE))
def test_reduce(benchmark, request, case, impl):
    """sum/min/max/final per row: sweep_reduce (cache-sized chunks, no matrix) against the full
    matrix followed by numpy's reductions."""
    rows, steps = size(request, REDUCE, case)
    scheds = mixed(rows)
    benchmark.group = f"reduce {case}"
    benchmark.extra_info.update(n=rows * steps, impl=impl)
    if impl == "sweep + numpy reductions":
        total = benchmark(full_then_numpy, scheds, steps, touched(rows, steps))[0]
    else:
        threads = 1 if impl.endswith("threads=1") else None
        total = benchmark(fastlr.sweep_reduce, scheds, steps, ("sum", "min", "max", "final"),
                          threads=threads)["sum"]
    np.testing.assert_allclose(total[:1], [scheds[0].array(steps).sum()], rtol=1e-12)
