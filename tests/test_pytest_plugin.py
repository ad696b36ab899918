"""The ``lr_benchmark`` fixture of fastlr.pytest_plugin, run the way a user runs it (pytester)."""
import json
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from helpers import child_env

# imported here so that pytester's in-process runs (which restore sys.modules afterwards) find
# them loaded: numpy's C extension cannot be imported twice in one process
import numpy as np
import fastlr
import fastlr.reference  # noqa: F401
from fastlr.pytest_plugin import LRBenchmark

pytest_plugins = ["pytester"]



def plugin_args():
    """``-p fastlr.pytest_plugin`` unless an installed fastlr already registers the entry point
    (loading the same module under a second name would be an error)."""
    installed = any(ep.name == "fastlr" and ep.value == "fastlr.pytest_plugin"
                    for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "fastlr.pytest_plugin"]


# plugins the user suite does not need, off to save the subprocess's start-up time
QUIET_PLUGINS = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:xdist",
                 "-p", "no:anyio"]

USER_TESTS = '''
import numpy as np
import fastlr

SCHEDULE = fastlr.with_warmup(fastlr.CosineAnnealing(0.1, 90_000, 1e-5), 10_000)


def test_fill(lr_benchmark):
    lr = lr_benchmark(SCHEDULE, n_steps=100_000)
    assert lr.dtype == np.float64 and lr.shape == (100_000,)
    assert np.array_equal(lr, SCHEDULE.array(100_000))


def test_float32_window(lr_benchmark):
    lr = lr_benchmark(SCHEDULE, 50_000, dtype="float32", start=7, rounds=3)
    assert np.array_equal(lr, SCHEDULE.array(50_000, 7, dtype=np.float32))


def my_numpy(out):
    t = np.arange(len(out))
    out[:] = 0.1 * np.minimum(1.0, t / 1000)


def test_own_function(lr_benchmark):
    lr = lr_benchmark(fastlr.Warmup(0.1, 1000), 100_000, func=my_numpy)
    assert lr[500] == 0.05 and lr[-1] == 0.1


class _NoReference(fastlr.Constant):
    pass


def test_no_reference(lr_benchmark):
    lr = lr_benchmark(_NoReference(0.5), 1000)
    assert np.all(lr == 0.5)
'''


def extra_by_test(path):
    data = json.loads(path.read_text())
    return {b["name"]: b["extra_info"] for b in data["benchmarks"]}


@pytest.fixture
def user_suite(pytester, monkeypatch):
    pytest.importorskip("pytest_benchmark")
    # the subprocess imports the fastlr this run imported (a checkout's build or the installed one)
    monkeypatch.setenv("PYTHONPATH", child_env()["PYTHONPATH"])
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester


def test_user_benchmark_passes_and_records_the_ratios(user_suite):
    # --benchmark-only also checks that the plugin declares `benchmark` for lr_benchmark tests at
    # collection (it is requested at run time): otherwise all four would be skipped
    out = user_suite.path / "bench.json"
    # a subprocess: pytest-benchmark leaves the --benchmark-json file object open (its
    # ResourceWarning would surface in this process later); it is also the user's real setup
    result = user_suite.runpytest_subprocess(
        *plugin_args(), "--benchmark-only", f"--benchmark-json={out}",
        "--benchmark-min-rounds=2", "--benchmark-max-time=0.05", "--benchmark-warmup=off", "-q",
        *QUIET_PLUGINS)
    result.assert_outcomes(passed=4)
    extra = extra_by_test(out)
    assert set(extra) == {"test_fill", "test_float32_window", "test_own_function",
                          "test_no_reference"}
    fill = extra["test_fill"]
    assert fill["n_steps"] == 100_000 and fill["dtype"] == "float64" and fill["start"] == 0
    assert fill["schedule"]["schedule"] == "WithWarmup"
    assert fill["func"] is None and fill["rounds"] == 5
    for key in ("time_s", "fill_time_s", "numpy_time_s", "fill_ratio", "numpy_ratio"):
        assert isinstance(fill[key], float) and fill[key] > 0, key
    assert fill["fill_ratio"] == pytest.approx(fill["time_s"] / fill["fill_time_s"])
    assert fill["numpy_ratio"] == pytest.approx(fill["numpy_time_s"] / fill["time_s"])
    f32 = extra["test_float32_window"]
    assert f32["dtype"] == "float32" and f32["start"] == 7 and f32["rounds"] == 3
    own = extra["test_own_function"]
    assert own["func"] == "my_numpy" and own["schedule"]["schedule"] == "Warmup"
    assert own["numpy_ratio"] > 0
    none = extra["test_no_reference"]
    assert none["numpy_ratio"] is None and none["numpy_time_s"] is None
    assert none["fill_ratio"] > 0


def test_benchmark_disabled_runs_once_without_ratios(user_suite):
    result = user_suite.runpytest(*plugin_args(), "--benchmark-disable", "-q", "-k", "test_fill")
    result.assert_outcomes(passed=1)


def test_without_pytest_benchmark_the_fixture_skips(user_suite):
    result = user_suite.runpytest(*plugin_args(), "-p", "no:benchmark", "-rs", "-q",
                                             "-k", "test_fill")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*lr_benchmark needs pytest-benchmark*"])


class FakeBenchmark:
    """Stands in for pytest-benchmark's fixture: calls the function once."""

    def __init__(self, disabled=False):
        self.disabled = disabled
        self.extra_info = {}
        self.calls = 0

    def __call__(self, function):
        self.calls += 1
        return function()


S = fastlr.Constant(0.1)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(schedule="x", n_steps=10), TypeError, ["schedule", "str"]),
    (dict(schedule=S, n_steps=0), ValueError, ["n_steps", "0"]),
    (dict(schedule=S, n_steps=1.5), TypeError, ["n_steps", "1.5"]),
    (dict(schedule=S, n_steps=True), TypeError, ["n_steps", "True"]),
    (dict(schedule=S, n_steps=10, dtype="int32"), ValueError, ["dtype", "int32"]),
    (dict(schedule=S, n_steps=10, dtype="nonsense"), ValueError, ["dtype", "nonsense"]),
    (dict(schedule=S, n_steps=10, start=-1), ValueError, ["start", "-1"]),
    (dict(schedule=S, n_steps=10, func=3), TypeError, ["func", "3"]),
    (dict(schedule=S, n_steps=10, rounds=0), ValueError, ["rounds", "0"]),
])
def test_bad_arguments_name_the_parameter(kwargs, exc, words):
    bench = FakeBenchmark()
    with pytest.raises(exc) as info:
        LRBenchmark(bench)(**kwargs)
    for w in words:
        assert w in str(info.value)
    assert bench.calls == 0 and bench.extra_info == {}  # checked before any work


def test_disabled_benchmark_records_no_ratios():
    bench = FakeBenchmark(disabled=True)
    s = fastlr.Linear(0.1, 0.0, 100)
    lr = LRBenchmark(bench)(s, 200, start=3)
    assert bench.calls == 1
    np.testing.assert_array_equal(lr, s.array(200, 3))
    info = bench.extra_info
    assert info["fill_ratio"] is None and info["numpy_ratio"] is None and info["time_s"] is None
    assert info["schedule"] == s.to_dict() and info["n_steps"] == 200 and info["start"] == 3


def test_values_returned_after_the_extra_timing():
    s = fastlr.Linear(0.1, 0.0, 100)
    bench = FakeBenchmark()
    lr = LRBenchmark(bench)(s, 300, dtype=np.float32, rounds=2)
    np.testing.assert_array_equal(lr, s.array(300, dtype=np.float32))  # not the zeros of out.fill
    assert bench.extra_info["numpy_ratio"] > 0

    def own(out):
        out[:] = 7.0

    lr = LRBenchmark(FakeBenchmark())(s, 10, func=own, rounds=2)
    assert np.all(lr == 7.0)
    lr = LRBenchmark(FakeBenchmark())(s, 10, func=lambda out: np.full(10, 3.0), rounds=2)
    assert np.all(lr == 3.0)


def test_plugin_import_is_cheap(tmp_path):
    # importing the plugin imports the package fastlr (numpy and the schedules: that is
    # fastlr/__init__.py), but nothing else: not pytest-benchmark, not fastlr.reference
    code = ("import sys; import fastlr.pytest_plugin; "
            "print([m for m in ('pytest_benchmark', 'fastlr.reference', 'matplotlib') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=child_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
