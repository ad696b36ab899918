"""pytest-benchmark groups for every case of ``bench/cases.py``.

Run from the repository root (after ``python setup.py build_ext --inplace`` or ``pip install .``)::

    python -m pytest bench                      # timed; one table per group
    python -m pytest bench -k cosine            # one case
    python -m pytest bench --benchmark-disable -q   # smoke: every body once, no timing (CI)

Groups
------
``<case>-N=<n>`` (float64, N in 1e3, 1e5, 1e7) and ``<case>-N=<n>-float32`` (N in 1e5, 1e7):
    ``fastlr``     ``sched.fill(out)`` into a preallocated array, allocated and touched once,
                   outside timing;
    ``numpy``      ``fastlr.reference.<fn>(np.arange(N), **params)`` (what a numpy user writes:
                   arange and temporaries included; ``.astype(float32)`` for float32 groups);
    ``out.fill``   ``out.fill(0.5)`` into the same array: the memory-write floor.
``overhead-<case>``: per-call cost: ``fill`` on a 10-element array, a scalar call
    ``sched(12345)``, the numpy reference on ``np.arange(10)`` and on a scalar, and ``out.fill`` on
    10 elements for scale.

No assertions on speed: pytest-benchmark measures. The only assertion (``test_matches_reference``)
checks that each case's fastlr schedule and numpy reference compute the same values, so the groups
compare like with like.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pytest

from cases import CASES

SIZES = (10**3, 10**5, 10**7)
FLOAT32_SIZES = (10**5, 10**7)
IMPLS = ("fastlr", "numpy", "out.fill")
# The numpy reference allocates its temporaries on every call (~0.1 s at N = 1e7): at N >= 1e6
# it gets a fixed, small number of rounds instead of pytest-benchmark's calibrated loop.
SLOW_N = 10**6
SLOW_ROUNDS = 5
SCALAR_STEP = 12345
BATCH_SECONDS = 20e-6
OVERHEAD_ROUNDS = 200
OVERHEAD_ITERATIONS = 200


def _measure(benchmark, fn, *args):
    """``benchmark(fn, *args)``, except for calls shorter than BATCH_SECONDS: those are timed in
    batches of a fixed number of calls. (pytest-benchmark calibrates its iterations on its first,
    often cold, call: at N = 1e3 it picks 1 iteration for some functions and 10-20 for others,
    and a 1-iteration round carries ~0.1 us of timer overhead.)"""
    if benchmark.disabled:
        benchmark(fn, *args)
        return
    fn(*args)  # warm: first-call costs stay out of the estimate
    t0 = time.perf_counter()
    fn(*args)
    t = time.perf_counter() - t0
    if t >= BATCH_SECONDS:
        benchmark(fn, *args)
        return
    t0 = time.perf_counter()
    for _ in range(20):
        fn(*args)
    t = max((time.perf_counter() - t0) / 20, 1e-9)
    iterations = math.ceil(BATCH_SECONDS / t)
    rounds = min(2000, max(20, int(0.5 / (t * iterations))))
    benchmark.pedantic(fn, args=args, rounds=rounds, iterations=iterations, warmup_rounds=1)


def _label(n: int) -> str:
    exp = int(round(np.log10(n)))
    return f"1e{exp}" if 10**exp == n else str(n)


_BOUND = {}


def _bound(case, n):
    key = (case.name, n)
    if key not in _BOUND:
        _BOUND[key] = case.bind(n)
    return _BOUND[key]


def _params():
    out = []
    for case in CASES:
        for dtype, sizes in (("float64", SIZES), ("float32", FLOAT32_SIZES)):
            for n in sizes:
                for impl in IMPLS:
                    out.append(pytest.param(case, n, dtype, impl,
                                            id=f"{case.name}-{_label(n)}-{dtype}-{impl}"))
    return out


@pytest.mark.parametrize("case, n, dtype, impl", _params())
def test_fill(benchmark, buffers, case, n, dtype, impl):
    b = _bound(case, n)
    out = buffers(n, dtype)
    suffix = "" if dtype == "float64" else f"-{dtype}"
    benchmark.group = f"{case.name}-N={_label(n)}{suffix}"
    benchmark.extra_info.update(case=case.name, n=n, dtype=dtype, impl=impl)
    if impl == "fastlr":
        _measure(benchmark, b.schedule.fill, out)
    elif impl == "out.fill":
        _measure(benchmark, out.fill, 0.5)
    else:
        ref = b.reference
        if dtype == "float64":
            def numpy_ref():
                return ref(np.arange(0, n))
        else:
            def numpy_ref():
                return ref(np.arange(0, n)).astype(np.float32)
        if n >= SLOW_N:
            benchmark.pedantic(numpy_ref, rounds=SLOW_ROUNDS, iterations=1, warmup_rounds=1)
        else:
            _measure(benchmark, numpy_ref)


OVERHEAD = ("fastlr fill(10)", "fastlr sched(t)", "numpy ref(arange(10))", "numpy ref(t)",
            "out.fill(10)")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("what", OVERHEAD)
def test_overhead(benchmark, buffers, case, what):
    b = _bound(case, 10**5)  # the horizon only sets parameters; these calls touch 10 steps or 1
    sched, ref = b.schedule, b.reference
    out = buffers(10, "float64")
    benchmark.group = f"overhead-{case.name}"
    benchmark.extra_info.update(case=case.name, n=1, per_call=True, impl=what)
    if what == "fastlr fill(10)":
        fn, args = sched.fill, (out,)
    elif what == "fastlr sched(t)":
        fn, args = sched, (SCALAR_STEP,)
    elif what == "numpy ref(arange(10))":
        fn, args = (lambda: ref(np.arange(0, 10))), ()
    elif what == "numpy ref(t)":
        fn, args = ref, (SCALAR_STEP,)
    else:
        fn, args = out.fill, (0.5,)
    # Sub-microsecond calls: time batches of OVERHEAD_ITERATIONS calls (pytest-benchmark's own
    # calibration settles on 1 iteration per round here, which adds the timer's ~0.1 us to each).
    benchmark.pedantic(fn, args=args, rounds=OVERHEAD_ROUNDS, iterations=OVERHEAD_ITERATIONS,
                       warmup_rounds=1)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matches_reference(case):
    """Each case's schedule and reference compute the same values (so the timings compare like
    with like); also over a window that does not start at 0."""
    b = _bound(case, 10**3)
    peak = float(np.max(np.abs(b.numpy_values())))
    for start in (0, 123_457):
        got = b.schedule.array(b.n, start=start)
        want = b.numpy_values(start=start)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * peak)
        assert b.schedule(start + 7) == got[7]
