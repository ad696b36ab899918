"""pytest plugin: the ``lr_benchmark`` fixture, to benchmark a schedule in your own test suite.

Installed with fastlr (entry point ``pytest11: fastlr``); needs pytest-benchmark for the timing.
Without an installed package, load it with ``pytest -p fastlr.pytest_plugin``::

    def test_my_schedule(lr_benchmark):
        lr = lr_benchmark(my_schedule, n_steps=10**6)   # benchmarks my_schedule.fill(out)
        assert lr[0] == my_schedule(0)

``lr_benchmark(schedule, n_steps)`` preallocates ``out`` (``n_steps`` values of ``dtype``) and
hands ``schedule.fill(out, start)`` to pytest-benchmark's ``benchmark`` fixture; with
``func=f`` it benchmarks ``f(out)`` instead (your own implementation of the same schedule: it
writes the values into ``out`` or returns them). It returns the values (the filled ``out``, or
what ``f`` returned), so the test can check them.

In the same test, outside pytest-benchmark's own timing, it times ``rounds`` interleaved rounds
(``time.perf_counter``, median) of: the benchmarked call, ``out.fill(0.0)`` (the memory-speed
floor for writing ``n_steps`` values) and, when :mod:`fastlr.reference` has one for the schedule,
the numpy baseline ``fastlr.reference.evaluate(schedule, np.arange(start, start + n_steps))``;
then records in ``benchmark.extra_info`` (saved by ``--benchmark-json``/``--benchmark-autosave``):

``fill_ratio``
    benchmarked time / ``out.fill(0.0)`` time (1.0 = as fast as writing the memory).
``numpy_ratio``
    numpy-reference time / benchmarked time (how many times faster than numpy), or None when
    there is no numpy reference for the schedule.
``n_steps``, ``start``, ``dtype``, ``schedule`` (its ``to_dict()``), ``func`` (the function's
    qualified name, or None), ``rounds``, and the medians in seconds: ``time_s``, ``fill_time_s``,
    ``numpy_time_s``.

With ``--benchmark-disable`` the call runs once and no extra timing is done (ratios None).
This module imports only pytest at import time; numpy and fastlr are imported by the fixture.
"""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable, Dict, List, Optional

import pytest

__all__ = ["lr_benchmark", "LRBenchmark"]

_DEFAULT_ROUNDS = 5


def _median_times(calls: Dict[str, Callable[[], Any]], rounds: int) -> Dict[str, float]:
    """Median wall time of each call over ``rounds`` rounds, the calls interleaved per round."""
    times: Dict[str, List[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            t0 = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def _numpy_reference(schedule: Any, start: int, n: int) -> Optional[Callable[[], Any]]:
    """The numpy baseline for ``schedule`` (as bench/ computes it), or None if there is none."""
    import numpy as np

    from fastlr import reference

    def call() -> Any:
        return reference.evaluate(schedule, np.arange(start, start + n))

    try:
        # one small evaluation tells whether the schedule (and everything nested in it) has one
        reference.evaluate(schedule, np.arange(start, start + 1))
    except NotImplementedError:
        return None
    return call


class LRBenchmark:
    """The callable ``lr_benchmark`` fixture value (see the module docstring)."""

    def __init__(self, benchmark: Any) -> None:
        self._benchmark = benchmark

    def __call__(self, schedule: Any, n_steps: int, *, func: Optional[Callable[[Any], Any]] = None,
                 dtype: Any = "float64", start: int = 0, rounds: int = _DEFAULT_ROUNDS) -> Any:
        """Benchmark ``schedule.fill(out, start)`` (or ``func(out)``) over ``n_steps`` steps.

        Parameters
        ----------
        schedule : fastlr Schedule
            Its values are steps ``start … start+n_steps-1`` (step t = lr of the (t+1)-th update).
        n_steps : int
            >= 1: the length of ``out``.
        func : callable, optional
            Benchmarked instead of ``schedule.fill``: called as ``func(out)``; it may fill ``out``
            (return None or ``out``) or return its own array.
        dtype : "float64" or "float32"
            The dtype of ``out``.
        start : int, default 0
        rounds : int, default 5
            Rounds of the extra timing (medians of ``time.perf_counter``).

        Returns the values: the filled ``out``, or what ``func`` returned if not None.
        """
        import numbers

        import numpy as np

        import fastlr

        if not isinstance(schedule, fastlr.Schedule):
            raise TypeError(f"schedule must be a fastlr schedule, got {type(schedule).__name__}")
        for name, value, low in (("n_steps", n_steps, 1), ("start", start, 0),
                                 ("rounds", rounds, 1)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be an int, got {value!r}")
            if value < low:
                raise ValueError(f"{name} must be >= {low}, got {value}")
        if func is not None and not callable(func):
            raise TypeError(f"func must be callable or None, got {func!r}")
        try:
            dt = np.dtype(dtype)
        except TypeError:  # not a dtype at all: reported below like any other wrong dtype
            dt = None
        if dt is None or dt not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise ValueError(f"dtype must be float64 or float32, got {dtype!r}")
        n, start, rounds = int(n_steps), int(start), int(rounds)

        out = np.empty(n, dtype=dt)
        if func is None:
            def target() -> Any:
                return schedule.fill(out, start)
        else:
            def target() -> Any:
                result = func(out)
                return out if result is None else result

        bench = self._benchmark
        result = bench(target)

        times: Dict[str, Optional[float]] = {"time_s": None, "fill_time_s": None,
                                             "numpy_time_s": None}
        if not getattr(bench, "disabled", False):
            # out.fill(0.0) before the benchmarked call in each round, so that ``out`` ends up
            # holding the benchmarked values again
            calls: Dict[str, Callable[[], Any]] = {"fill_time_s": lambda: out.fill(0.0),
                                                   "time_s": target}
            ref = _numpy_reference(schedule, start, n)
            if ref is not None:
                calls["numpy_time_s"] = ref
            times.update(_median_times(calls, rounds))
        t, t_fill, t_np = times["time_s"], times["fill_time_s"], times["numpy_time_s"]
        bench.extra_info.update({
            "fill_ratio": None if t is None or not t_fill else t / t_fill,
            "numpy_ratio": None if t is None or t_np is None or not t else t_np / t,
            "n_steps": n,
            "start": start,
            "dtype": dt.name,
            "schedule": schedule.to_dict(),
            "func": None if func is None else getattr(func, "__qualname__", repr(func)),
            "rounds": rounds,
            **times,
        })
        return result


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: Any, items: List[Any]) -> None:
    """A test using ``lr_benchmark`` uses pytest-benchmark's ``benchmark`` (requested at run
    time): say so in its fixture names, before pytest-benchmark's own hook reads them, so that
    ``--benchmark-only`` / ``--benchmark-skip`` select it as a benchmark."""
    if not config.pluginmanager.hasplugin("benchmark"):
        return
    for item in items:
        names = getattr(item, "fixturenames", None)
        if isinstance(names, list) and "lr_benchmark" in names and "benchmark" not in names:
            names.append("benchmark")


@pytest.fixture
def lr_benchmark(request: Any) -> LRBenchmark:
    """Benchmark a fastlr schedule's ``fill`` (or your own function) with pytest-benchmark and
    record its speed relative to ``out.fill(0.0)`` and to the numpy reference in
    ``benchmark.extra_info``. Skips the test when pytest-benchmark is not available."""
    try:
        benchmark = request.getfixturevalue("benchmark")
    except pytest.FixtureLookupError:
        pytest.skip("lr_benchmark needs pytest-benchmark (pip install pytest-benchmark)")
    return LRBenchmark(benchmark)
