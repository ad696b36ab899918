"""fastlr.sweep / sweep_reduce / grid / grid_params, and the sweep kernel under them.

The contract is "row i of a sweep is schedules[i].array(...) bit for bit", so the per-schedule
fill is the oracle for the rows; fastlr.reference (plain numpy formulas) checks that those values
are the right ones, and numpy's own reductions of the full matrix are the oracle for sweep_reduce.
"""
from __future__ import annotations

import importlib
import io
import itertools
import os

import numpy as np
import pytest

import fastlr
from fastlr import reference
from fastlr._dispatch import kernels

OMP = fastlr.openmp_enabled()
# fastlr.sweep is the function (exported by the package); the module is reached by its full name
sweep_mod = importlib.import_module("fastlr.sweep")


def mixed_schedules():
    """Every family and the compositions, with horizons around the test windows (so windows
    starting at 0 and 12345 cross segment boundaries)."""
    cos = fastlr.CosineAnnealing(0.3, 20000, min_lr=1e-5)
    return [
        fastlr.StepDecay(0.1, 0.5, 3000),
        fastlr.ExponentialDecay(0.2, 1e-4),
        cos,
        fastlr.CosineAnnealing(1.0, 7),
        fastlr.Warmup(0.5, 13000, init_lr=0.01),
        fastlr.Cyclical(0.1, 4096, min_lr=0.001),
        fastlr.OneCycle(0.4, 15000),
        fastlr.OneCycle(0.4, 15001, pct_start=0.25, anneal="linear", three_phase=True),
        fastlr.WarmRestarts(0.2, 1000, cycle_mult=2, min_lr=1e-4, cycle_decay=0.9),
        fastlr.WarmRestarts(0.2, 3001, cycle_decay=0.5, max_cycles=5),
        fastlr.with_warmup(fastlr.CosineAnnealing(0.25, 10**6), 12400),
        fastlr.with_warmup(fastlr.StepDecay(0.05, 0.1, 10**5), 0),
        fastlr.join([fastlr.Warmup(0.1, 5000), cos, fastlr.Constant(0.02)], [5000, 12350]),
        fastlr.Scaled(cos, 0.5),
        2.0 * fastlr.OneCycle(0.1, 30000),
        fastlr.MultiStep(0.1, [100, 12346, 12347, 40000], gamma=0.3),
        fastlr.PiecewiseConstant([12345, 12400], [0.1, 0.01, 0.001]),
        fastlr.Linear(0.1, 0.0, 14000),
        fastlr.Polynomial(0.1, 1e-4, 16000, power=0.7),
        fastlr.InverseSqrt(0.1, 4000),
        fastlr.InverseTime(0.1, 0.5, 1000, staircase=True),
        fastlr.Triangular(0.001, 0.1, 2000, 3000, mode="exp_range", gamma=0.9999),
        fastlr.WarmupStableDecay(0.3, 1000, 10000, 2000, min_lr=1e-4, decay_shape="cosine"),
    ]


def expected_rows(scheds, n, start, dtype):
    rows = np.empty((len(scheds), n), dtype=dtype)
    for i, s in enumerate(scheds):
        rows[i] = s.array(n, start=start, dtype=dtype)
    return rows


N = 5000  # 23 rows x 5000 steps: above the serial threshold, so threads > 1 really run threads


@pytest.mark.parametrize("threads", [1, 2, None])
@pytest.mark.parametrize("start", [0, 12345, 2**40])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rows_equal_individual_fills(dtype, start, threads):
    scheds = mixed_schedules()
    got = fastlr.sweep(scheds, N, start=start, dtype=dtype, threads=threads)
    assert got.shape == (len(scheds), N) and got.dtype == dtype and got.flags.c_contiguous
    np.testing.assert_array_equal(got, expected_rows(scheds, N, start, dtype), strict=True)


@pytest.mark.parametrize("start", [0, 12345])
def test_rows_match_the_numpy_reference(start):
    # the values themselves, from the plain-numpy formulas (not from the kernels)
    scheds = mixed_schedules()
    got = fastlr.sweep(scheds, N, start=start)
    steps = np.arange(start, start + N)
    for i, s in enumerate(scheds):
        want = reference.evaluate(s, steps)
        peak = np.max(np.abs(want))
        np.testing.assert_allclose(got[i], want, rtol=0, atol=1e-12 * peak, err_msg=repr(s))


def test_float32_is_float64_rounded_once():
    scheds = mixed_schedules()
    f64 = fastlr.sweep(scheds, N, start=777)
    f32 = fastlr.sweep(scheds, N, start=777, dtype=np.float32)
    np.testing.assert_array_equal(f32, f64.astype(np.float32), strict=True)


def test_thread_counts_agree_on_many_rows():
    # more rows than threads, rows of very different cost (dynamic scheduling reorders them)
    scheds = [fastlr.CosineAnnealing(0.1 + k * 1e-3, 500 + 37 * k) if k % 3 else
              fastlr.Constant(k * 1e-3) for k in range(300)]
    one = fastlr.sweep(scheds, 3000, start=11, threads=1)
    for threads in (2, 3, 8, -1, None):
        np.testing.assert_array_equal(fastlr.sweep(scheds, 3000, start=11, threads=threads), one,
                                      strict=True)
    np.testing.assert_array_equal(one, expected_rows(scheds, 3000, 11, np.float64))


@pytest.mark.skipif(not OMP, reason="serial build (no OpenMP)")
def test_the_parallel_path_runs_threads():
    assert kernels._parallel_probe(2) == 2
    assert sweep_mod.resolve_threads(2, 100, 10**6) == 2


def _sweep_in_child(queue, scheds, want):
    queue.put(bool(np.array_equal(fastlr.sweep(scheds, 3000, threads=2), want)))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
# JAX (imported by the optax integration tests earlier in the session) warns at every fork that
# *its* threads may deadlock the child; this test is about fastlr's OpenMP pool
@pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning")
def test_a_child_forked_after_a_threaded_sweep_does_not_hang():
    # GNU OpenMP's pool does not survive fork(): without the fallback the child deadlocks
    import multiprocessing

    scheds = [fastlr.CosineAnnealing(0.1, 1000 + k) for k in range(100)]
    want = fastlr.sweep(scheds, 3000, threads=2)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_sweep_in_child, args=(queue, scheds, want))
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail("the forked child hung in its sweep")
    assert child.exitcode == 0 and queue.get(timeout=10) is True


def test_thread_count_rule(monkeypatch):
    avail = sweep_mod.available_cpus()
    assert 1 <= avail <= (os.cpu_count() or 1)
    big = (1000, 10**6)
    if OMP:
        assert sweep_mod.resolve_threads(None, *big) == avail
        assert sweep_mod.resolve_threads(3, *big) == 3
        assert sweep_mod.resolve_threads(-1, *big) == (os.cpu_count() or 1)
        # never more threads than chunks of rows (a row of n steps has ceil(n / CHUNK) chunks)
        assert sweep_mod.resolve_threads(8, 5, 20000) == 5
        assert sweep_mod.resolve_threads(8, 5, 10**6) == 8
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert sweep_mod.resolve_threads(None, *big) == 1
        assert sweep_mod.resolve_threads(2, *big) == 2  # an explicit count wins
    else:
        assert sweep_mod.resolve_threads(4, *big) == 1
    assert sweep_mod.resolve_threads(4, 10, 100) == 1  # small work stays serial


def test_cgroup_quota_parsing(monkeypatch):
    import builtins

    real_open = builtins.open

    def fake_open(path, *args, **kwargs):
        if path == "/sys/fs/cgroup/cpu.max":
            return io.StringIO(content)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    content = "150000 100000\n"
    assert sweep_mod._cgroup_cpu_limit() == 1.5
    monkeypatch.setattr(sweep_mod.os, "sched_getaffinity", lambda pid: set(range(64)),
                        raising=False)
    assert sweep_mod.available_cpus() == 2  # ceil(1.5)
    content = "max 100000\n"
    assert sweep_mod._cgroup_cpu_limit() is None
    assert sweep_mod.available_cpus() == 64


def test_one_row_and_one_column():
    s = fastlr.OneCycle(0.4, 15000)
    np.testing.assert_array_equal(fastlr.sweep([s], 10**5, threads=2)[0], s.array(10**5))
    got = fastlr.sweep(mixed_schedules(), 1, start=14999)
    assert got.shape == (23, 1)
    np.testing.assert_array_equal(got[:, 0], [x(14999) for x in mixed_schedules()])


def test_zero_steps_and_the_last_steps():
    scheds = mixed_schedules()
    assert fastlr.sweep(scheds, 0).shape == (len(scheds), 0)
    top = 2**63 - 1
    got = fastlr.sweep(scheds, 64, start=top - 63)
    np.testing.assert_array_equal(got, expected_rows(scheds, 64, top - 63, np.float64))
    with pytest.raises(ValueError, match="2\\*\\*63 - 1"):
        fastlr.sweep(scheds, 64, start=top - 62)


def test_sweep_accepts_any_iterable_of_schedules():
    scheds = mixed_schedules()
    want = fastlr.sweep(scheds, 100)
    np.testing.assert_array_equal(fastlr.sweep(tuple(scheds), 100), want)
    np.testing.assert_array_equal(fastlr.sweep(iter(scheds), 100), want)


# ------------------------------------------------------------------------------------ out=


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_out_is_filled_and_returned(dtype):
    scheds = mixed_schedules()
    out = np.full((len(scheds), 1000), np.nan, dtype=dtype)
    res = fastlr.sweep(scheds, 1000, start=12000, dtype=dtype, out=out, threads=2)
    assert res is out
    np.testing.assert_array_equal(out, expected_rows(scheds, 1000, 12000, dtype))


@pytest.mark.parametrize("threads", [1, 2])
def test_column_blocks_of_a_wider_array(threads):
    # a sweep in blocks of steps into a wider array: the row stride exceeds the block width
    scheds = mixed_schedules()
    wide = np.full((len(scheds), 3 * 4000), np.nan)
    block = wide[:, 4000:8000]
    assert not block.flags.c_contiguous
    res = fastlr.sweep(scheds, 4000, start=100 + 4000, out=block, threads=threads)
    assert res is block
    np.testing.assert_array_equal(wide[:, 4000:8000], expected_rows(scheds, 4000, 4100, np.float64))
    assert np.isnan(wide[:, :4000]).all() and np.isnan(wide[:, 8000:]).all()
    for c0 in (0, 8000):
        fastlr.sweep(scheds, 4000, start=100 + c0, out=wide[:, c0:c0 + 4000], threads=threads)
    np.testing.assert_array_equal(wide, fastlr.sweep(scheds, 12000, start=100))


def test_memmap_output(tmp_path):
    scheds = mixed_schedules()
    path = tmp_path / "sweep.npy"
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(len(scheds), 20000))
    # in three blocks of steps, as for a sweep larger than memory
    for c0, c1 in ((0, 7000), (7000, 14000), (14000, 20000)):
        res = fastlr.sweep(scheds, c1 - c0, start=c0, dtype=np.float32, out=mm[:, c0:c1])
        assert isinstance(res, np.memmap)
    mm.flush()
    del mm, res
    np.testing.assert_array_equal(np.load(path),
                                  expected_rows(scheds, 20000, 0, np.float32), strict=True)
    raw = np.memmap(tmp_path / "raw.bin", dtype=np.float64, mode="w+", shape=(len(scheds), 3000))
    assert fastlr.sweep(scheds, 3000, start=5, out=raw) is raw
    np.testing.assert_array_equal(raw, expected_rows(scheds, 3000, 5, np.float64))


# ------------------------------------------------------------------------------------ bad input


def _bad_outs():
    r = 23
    ro = np.zeros((r, 10))
    ro.flags.writeable = False
    misaligned = np.frombuffer(np.zeros(r * 10 * 8 + 1, dtype=np.uint8).data, dtype=np.uint8,
                               count=r * 10 * 8, offset=1).view(np.float64).reshape(r, 10)
    overlap = np.lib.stride_tricks.as_strided(np.zeros(r * 10 + 100), shape=(r, 10),
                                              strides=(8, 8), writeable=True)
    return [
        ([[0.0] * 10] * r, TypeError, "out must be a numpy.ndarray"),
        (np.zeros(r * 10), ValueError, "out must be 2-D"),
        (np.zeros((r, 10, 1)), ValueError, "out must be 2-D"),
        (np.zeros((r, 11)), ValueError, r"shape \(len\(schedules\), n_steps\) = \(23, 10\)"),
        (np.zeros((r + 1, 10)), ValueError, r"got \(24, 10\)"),
        (np.zeros((r, 10), dtype=np.float32), TypeError, "dtype=float64 disagrees"),
        (np.zeros((r, 10), dtype=np.int64), TypeError, "float32 or float64, got int64"),
        (np.zeros((r, 10), dtype=">f8"), ValueError, "native byte order"),
        (np.zeros((r, 20))[:, ::2], ValueError, "contiguous rows"),
        (np.zeros((10, r)).T, ValueError, "contiguous rows"),
        (overlap, ValueError, "must not overlap"),
        (misaligned, ValueError, "aligned"),
        (ro, ValueError, "read-only"),
    ]


@pytest.mark.parametrize("case", range(len(_bad_outs())))
def test_bad_out_raises_before_writing(case):
    out, exc, msg = _bad_outs()[case]
    before = np.array(out, copy=True) if isinstance(out, np.ndarray) else None
    with pytest.raises(exc, match=msg):
        fastlr.sweep(mixed_schedules(), 10, out=out)
    if before is not None:
        np.testing.assert_array_equal(out, before)


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(threads=0), ValueError, "threads must be >= 1, -1 .* got 0"),
    (dict(threads=-2), ValueError, "got -2"),
    (dict(threads=1.5), TypeError, "threads must be an integer"),
    (dict(threads=True), TypeError, "threads must be an integer"),
    (dict(n_steps=-1), ValueError, "n_steps must be >= 0, got -1"),
    (dict(n_steps=10.0), TypeError, "n_steps must be an integer"),
    (dict(n_steps=True), TypeError, "n_steps must be an integer"),
    (dict(start=-1), ValueError, "start must be >= 0"),
    (dict(start=1.0), TypeError, "start must be an integer"),
    (dict(dtype=np.int32), TypeError, "dtype must be float32 or float64"),
])
def test_bad_arguments_leave_out_unchanged(kwargs, exc, msg):
    scheds = mixed_schedules()
    out = np.full((len(scheds), 10), -7.0)
    args = dict(n_steps=10)
    args.update(kwargs)
    with pytest.raises(exc, match=msg):
        fastlr.sweep(scheds, args.pop("n_steps"), out=out, **args)
    assert (out == -7.0).all()


@pytest.mark.parametrize("schedules, exc, msg", [
    ([], ValueError, "schedules must not be empty"),
    ((), ValueError, "schedules must not be empty"),
    ([fastlr.Constant(0.1), 0.1], TypeError, r"schedules\[1\] must be a fastlr schedule, got 0.1"),
    ([{"schedule": "Constant", "lr": 0.1}], TypeError, r"schedules\[0\] must be a fastlr schedule"),
    ([None], TypeError, r"schedules\[0\] must be a fastlr schedule, got None"),
    (fastlr.Constant(0.1), TypeError, "got a single Constant; wrap it in a list"),
    ("cosine", TypeError, "must be a sequence of fastlr schedules"),
    (5, TypeError, "must be a sequence of fastlr schedules"),
])
def test_bad_schedule_lists(schedules, exc, msg):
    out = np.full((2, 10), -7.0)
    with pytest.raises(exc, match=msg):
        fastlr.sweep(schedules, 10, out=out)
    with pytest.raises(exc, match=msg):
        fastlr.sweep_reduce(schedules, 10)
    assert (out == -7.0).all()


def test_kernel_guards():
    plans = [s.plan for s in mixed_schedules()]
    out = np.zeros((len(plans) - 1, 10))
    with pytest.raises(ValueError, match="23 plans for the 22 rows"):
        kernels.sweep_fill(plans, out, 0, 1)
    with pytest.raises(TypeError, match=r"plans\[1\] must be a Plan"):
        kernels.sweep_fill([plans[0], "x"], np.zeros((2, 10)), 0, 1)
    with pytest.raises(ValueError, match="contiguous rows"):
        kernels.sweep_fill(plans[:2], np.zeros((2, 20))[:, ::2], 0, 1)
    # a Plan from another copy of the kernels has another type: refused, not misread
    from fastlr import _kernels as baseline

    if baseline is not kernels:
        foreign = baseline.Plan(plans[0].iseg, plans[0].dseg, plans[0].tables)
        with pytest.raises(TypeError, match=r"plans\[0\] must be a Plan of the"):
            kernels.sweep_fill([foreign], np.zeros((1, 10)), 0, 1)


def test_reduce_kernel_guards():
    plans = [s.plan for s in mixed_schedules()[:3]]
    with pytest.raises(ValueError, match=r"res must have shape \(3, 4\)"):
        kernels.sweep_reduce_rows(plans, np.empty((2, 4)), 0, 10, 5, np.empty((1, 5)))
    with pytest.raises(ValueError, match="scratch of shape"):
        kernels.sweep_reduce_rows(plans, np.empty((3, 4)), 0, 10, 5, np.empty((1, 4)))
    with pytest.raises(ValueError, match="n >= 1"):
        kernels.sweep_reduce_rows(plans, np.empty((3, 4)), 0, 0, 5, np.empty((1, 5)))
    with pytest.raises(TypeError, match=r"plans\[2\] must be a Plan"):
        kernels.sweep_reduce_rows(plans[:2] + [None], np.empty((3, 4)), 0, 10, 5,
                                  np.empty((1, 5)))


def test_openmp_enabled_is_exported():
    assert isinstance(fastlr.openmp_enabled(), bool)
    assert fastlr.openmp_enabled() == bool(kernels.openmp_enabled())
    for name in ("sweep", "sweep_reduce", "grid", "grid_params", "openmp_enabled"):
        assert name in fastlr.__all__ and callable(getattr(fastlr, name))


# ------------------------------------------------------------------------------------ reductions


def numpy_reductions(matrix):
    with np.errstate(over="ignore"):  # rows that reach inf
        return {"sum": matrix.sum(axis=1), "min": matrix.min(axis=1), "max": matrix.max(axis=1),
                "mean": matrix.mean(axis=1), "final": matrix[:, -1].copy()}


def check_reductions(got, full, ops=sweep_mod.REDUCE_OPS):
    want = numpy_reductions(full)
    assert list(got) == list(ops)
    for op in ops:
        assert got[op].dtype == np.float64 and got[op].shape == (full.shape[0],)
        if op in ("sum", "mean"):
            np.testing.assert_allclose(got[op], want[op], rtol=1e-12, atol=0, err_msg=op)
        else:
            np.testing.assert_array_equal(got[op], want[op], err_msg=op)


@pytest.mark.parametrize("chunk_steps", [None, 1000, 777, 50000, 10**6])
@pytest.mark.parametrize("start", [0, 12345, 2**40])
@pytest.mark.parametrize("threads", [1, 2])
def test_reductions_equal_numpy_on_the_full_matrix(chunk_steps, start, threads):
    scheds = mixed_schedules()
    n = 30011
    got = fastlr.sweep_reduce(scheds, n, start=start, chunk_steps=chunk_steps, threads=threads)
    check_reductions(got, fastlr.sweep(scheds, n, start=start))


@pytest.mark.parametrize("chunk_steps", [1, 7, 128, 129, 4096])
def test_reductions_across_chunk_boundaries(chunk_steps):
    # many rows on two threads (dynamic scheduling), chunks that split segments anywhere
    scheds = mixed_schedules() * 4
    got = fastlr.sweep_reduce(scheds, 9001, start=10000, chunk_steps=chunk_steps, threads=2)
    check_reductions(got, fastlr.sweep(scheds, 9001, start=10000))


def test_reductions_of_rows_that_overflow():
    # StepDecay with gamma > 1 reaches inf: sums are inf (not NaN), max inf, as numpy's
    scheds = [fastlr.StepDecay(1e300, 1e4, 1000), fastlr.Constant(0.5)]
    got = fastlr.sweep_reduce(scheds, 5000, chunk_steps=300)
    full = fastlr.sweep(scheds, 5000)
    assert np.isinf(full[0]).any()
    check_reductions(got, full)
    assert got["sum"][0] == np.inf and got["max"][0] == np.inf


def test_reduction_sums_stay_accurate_over_long_windows():
    # 3 * 10**6 steps of a constant: a naive running sum of 0.1 drifts by ~1e-10 relative;
    # pairwise chunks plus compensated chunk sums stay within a few ulps of the exact 3e5, with
    # chunks of one step (compensation alone) and of many (pairwise sums too)
    for chunk_steps in (1, 1000, None):
        got = fastlr.sweep_reduce([fastlr.Constant(0.1)], 3 * 10**6, ("sum",),
                                  chunk_steps=chunk_steps)
        exact = 3 * 10**6 * 0.1  # the float 0.1 times 3e6, to double precision
        assert abs(got["sum"][0] - exact) <= 4 * np.spacing(exact), chunk_steps


def test_reduction_values_by_hand():
    # independent of the kernels: sums of a constant and of a linear ramp in closed form
    got = fastlr.sweep_reduce([fastlr.Constant(0.25), fastlr.Linear(0.0, 1.0, 1000)], 1000,
                              chunk_steps=64)
    np.testing.assert_allclose(got["sum"], [250.0, 999 * 1000 / 2 / 1000], rtol=1e-13)
    np.testing.assert_allclose(got["mean"], [0.25, 0.4995], rtol=1e-13)
    np.testing.assert_array_equal(got["min"], [0.25, 0.0])
    np.testing.assert_array_equal(got["max"], [0.25, 0.999])
    np.testing.assert_array_equal(got["final"], [0.25, 0.999])
    # "final" is the value at start + n_steps - 1
    s = fastlr.CosineAnnealing(0.1, 100)
    assert fastlr.sweep_reduce([s], 10, ("final",), start=45)["final"][0] == s(54)


def test_reduction_ops_selection():
    scheds = mixed_schedules()[:4]
    full = fastlr.sweep(scheds, 500)
    got = fastlr.sweep_reduce(scheds, 500, ("final", "max", "final"))
    assert list(got) == ["final", "max"]
    np.testing.assert_array_equal(got["max"], full.max(axis=1))
    assert list(fastlr.sweep_reduce(scheds, 500, "mean")) == ["mean"]
    with pytest.raises(ValueError, match="unknown reduction 'median'"):
        fastlr.sweep_reduce(scheds, 500, ("sum", "median"))
    with pytest.raises(ValueError, match="at least one"):
        fastlr.sweep_reduce(scheds, 500, ())
    with pytest.raises(ValueError, match="n_steps must be >= 1, got 0"):
        fastlr.sweep_reduce(scheds, 0)
    with pytest.raises(ValueError, match="chunk_steps must be >= 1, got 0"):
        fastlr.sweep_reduce(scheds, 10, chunk_steps=0)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        fastlr.sweep_reduce(scheds, 10, threads=0)


# ------------------------------------------------------------------------------------ grids


def test_grid_order_and_parameter_table():
    lists = dict(max_lr=[0.1, 0.3], total_steps=[100, 200, 300], min_lr=[0.0, 1e-5])
    scheds = fastlr.grid("cosine", **lists)
    table = fastlr.grid_params(**lists)
    # built by hand: the first keyword varies slowest
    by_hand = [fastlr.CosineAnnealing(a, t, min_lr=m)
               for a in (0.1, 0.3) for t in (100, 200, 300) for m in (0.0, 1e-5)]
    assert scheds == by_hand
    assert table == [dict(max_lr=a, total_steps=t, min_lr=m)
                     for a in (0.1, 0.3) for t in (100, 200, 300) for m in (0.0, 1e-5)]
    defaults = dict(exponent=1.0, k_decay=1.0)   # the parameters the grid leaves alone
    for s, row in zip(scheds, table):
        assert s.params == {**row, **defaults}  # every row traces back to its configuration
    assert fastlr.grid(fastlr.CosineAnnealing, **lists) == by_hand
    assert fastlr.grid("CosineAnnealing", **lists) == by_hand


def test_grid_keyword_order_decides():
    assert fastlr.grid_params(b=[1, 2], a=[3, 4]) == [
        {"b": 1, "a": 3}, {"b": 1, "a": 4}, {"b": 2, "a": 3}, {"b": 2, "a": 4}]
    assert fastlr.grid_params(a=[3, 4], b=[1, 2])[1] == {"a": 3, "b": 2}
    assert fastlr.grid_params() == [{}]
    assert fastlr.grid_params(x=range(3), y=np.array([0.5])) == [
        {"x": 0, "y": 0.5}, {"x": 1, "y": 0.5}, {"x": 2, "y": 0.5}]


def test_grid_with_a_builder_sweeps():
    def build(max_lr, warmup_steps):
        return fastlr.with_warmup(fastlr.CosineAnnealing(max_lr, 10**6), warmup_steps)

    scheds = fastlr.grid(build, max_lr=[0.1, 0.3], warmup_steps=[0, 1000, 10000])
    assert len(scheds) == 6
    assert scheds[4] == build(0.3, 1000)
    got = fastlr.sweep(scheds, 20000, start=500)
    np.testing.assert_array_equal(got, expected_rows(scheds, 20000, 500, np.float64))
    assert got[1, 499] == 0.1 * 999 / 1000  # the ramp of row (0.1, 1000), step 999 (rounded once)


@pytest.mark.parametrize("family, lists, exc, msg", [
    ("cosine", dict(max_lr=0.1, total_steps=[10]), TypeError,
     r"max_lr must be a list .* max_lr=\[0.1\]"),
    ("cosine", dict(max_lr="0.1", total_steps=[10]), TypeError, "max_lr must be a list"),
    ("cosine", dict(max_lr=[], total_steps=[10]), ValueError, "max_lr is an empty list"),
    ("cosine", dict(max_lr=[0.1, -1.0], total_steps=[10]), ValueError,
     r"grid row 1 \{'max_lr': -1.0, 'total_steps': 10\}: max_lr must be >= 0"),
    ("cosine", dict(max_lr=[0.1], steps=[10]), TypeError, "grid row 0"),
    ("no-such-family", dict(lr=[0.1]), ValueError, "unknown schedule 'no-such-family'"),
    (dict, dict(lr=[0.1]), TypeError, "class dict"),
    (3, dict(lr=[0.1]), TypeError, "family must be a schedule class"),
    (lambda lr: lr, dict(lr=[0.1]), TypeError, "returned 0.1 .* not a fastlr schedule"),
])
def test_grid_errors(family, lists, exc, msg):
    with pytest.raises(exc, match=msg):
        fastlr.grid(family, **lists)


def test_grid_sweep_end_to_end():
    lists = dict(lr=[0.1, 0.2], gamma=[0.5, 0.9], step_size=[10, 100])
    scheds = fastlr.grid("step", **lists)
    got = fastlr.sweep(scheds, 1000)
    steps = np.arange(1000)
    for row, params in zip(got, fastlr.grid_params(**lists)):
        want = params["lr"] * params["gamma"] ** (steps // params["step_size"])
        np.testing.assert_allclose(row, want, rtol=1e-15)
    assert list(itertools.islice(fastlr.grid_params(**lists), 1)) == [
        dict(lr=0.1, gamma=0.5, step_size=10)]
