"""fastlr.integrations.dask: lazy sweeps whose blocks equal the in-memory sweep, bit for bit.

Skipped where dask is not installed (CI installs it in .ci/run); the cluster test also needs
dask.distributed.
"""
from __future__ import annotations

import pickle
import sys

import numpy as np
import pytest

import fastlr


def schedules():
    cos = fastlr.CosineAnnealing(0.3, 20000, min_lr=1e-5)
    return [
        fastlr.StepDecay(0.1, 0.5, 3000),
        cos,
        fastlr.Warmup(0.5, 13000, init_lr=0.01),
        fastlr.OneCycle(0.4, 15000),
        fastlr.WarmRestarts(0.2, 1000, cycle_mult=2, min_lr=1e-4),
        fastlr.with_warmup(fastlr.CosineAnnealing(0.25, 10**6), 12400),
        fastlr.join([fastlr.Warmup(0.1, 5000), cos], [5000]),
        0.5 * cos,
        fastlr.Triangular(0.001, 0.1, 2000, 3000, mode="triangular2"),
    ]


@pytest.fixture
def fd():
    pytest.importorskip("dask.array")
    import fastlr.integrations.dask as fd

    return fd


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("chunks", [(4, 3000), (9, 20000), ((2, 7), (1, 4999, 15000)), "auto"])
def test_dask_array_equals_the_sweep(fd, dtype, chunks):
    import dask.array as da

    scheds = schedules()
    a = fd.sweep(scheds, 20000, start=12345, dtype=dtype, chunks=chunks)
    assert isinstance(a, da.Array)
    assert a.shape == (9, 20000) and a.dtype == dtype
    want = fastlr.sweep(scheds, 20000, start=12345, dtype=dtype)
    for scheduler in ("sync", "threads"):
        np.testing.assert_array_equal(a.compute(scheduler=scheduler), want, strict=True)


def test_explicit_chunks_and_slices(fd):
    scheds = schedules()
    a = fd.sweep(scheds, 10000, start=7, chunks=(4, 3000))
    assert a.chunks == ((4, 4, 1), (3000, 3000, 3000, 1000))
    want = fastlr.sweep(scheds, 10000, start=7)
    np.testing.assert_array_equal(a[3:6, 2990:6010].compute(scheduler="sync"), want[3:6, 2990:6010])
    np.testing.assert_allclose(a.sum(axis=1).compute(scheduler="sync"), want.sum(axis=1),
                               rtol=1e-12)
    np.testing.assert_array_equal(a.max(axis=1).compute(scheduler="sync"), want.max(axis=1))


def test_graph_is_lazy_and_deterministic(fd):
    scheds = schedules()
    a = fd.sweep(scheds, 10**9, chunks=(3, 10**6))  # 72 GB: only the graph exists
    assert a.numblocks == (3, 1000)
    b = fd.sweep(scheds, 10**9, chunks=(3, 10**6))
    assert a.name == b.name  # same inputs, same keys
    assert fd.sweep(scheds, 10**9, start=1, chunks=(3, 10**6)).name != a.name
    tail = a[:, -4:].compute(scheduler="sync")
    np.testing.assert_array_equal(tail, fastlr.sweep(scheds, 4, start=10**9 - 4))


def test_pickled_graph_computes_elsewhere(fd):
    scheds = schedules()
    a = fd.sweep(scheds, 5000, start=3, chunks=(5, 2000))
    b = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(b.compute(scheduler="processes", num_workers=2),
                                  fastlr.sweep(scheds, 5000, start=3))


def test_zero_steps(fd):
    assert fd.sweep(schedules(), 0).compute(scheduler="sync").shape == (9, 0)


@pytest.mark.parametrize("args, kwargs, exc, msg", [
    (([], 10), {}, ValueError, "schedules must not be empty"),
    (([fastlr.Constant(0.1), "x"], 10), {}, TypeError, r"schedules\[1\] must be a fastlr"),
    ((None, -1), {}, ValueError, "n_steps must be >= 0"),
    ((None, 10), dict(start=-5), ValueError, "start must be >= 0"),
    ((None, 10), dict(dtype=np.int64), TypeError, "dtype must be float32 or float64"),
    ((None, 10), dict(chunks=(1, 2, 3)), ValueError, "chunks=.* does not fit"),
])
def test_dask_bad_input(fd, args, kwargs, exc, msg):
    scheds, n = args
    with pytest.raises(exc, match=msg):
        fd.sweep(schedules() if scheds is None else scheds, n, **kwargs)


def test_missing_dask_names_the_extra(monkeypatch):
    import fastlr.integrations.dask as fd

    for mod in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "dask", None)  # makes `import dask...` raise ImportError
    with pytest.raises(ImportError, match=r"pip install \"fastlr-schedules\[dask\]\""):
        fd.sweep(schedules(), 10)


def test_on_a_local_cluster_of_two_worker_processes(fd):
    distributed = pytest.importorskip("dask.distributed")
    scheds = schedules()
    a = fd.sweep(scheds, 40000, start=12000, chunks=(3, 10000))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        got = client.compute(a).result()
        workers = client.run(lambda: __import__("os").getpid())
    assert len(workers) == 2
    np.testing.assert_array_equal(got, fastlr.sweep(scheds, 40000, start=12000), strict=True)
