"""Chunked kernels: parallel fills give the serial bytes, Ctrl-C stops long kernels, and a thread
team the OS cannot start is not the end of the process.

The serial bytes are produced by the one-shot path (``threads=1``: chunks in order on the calling
thread) and also checked against a fill made of short independent calls (one call per 4099 steps,
a split that no thread count produces), so a bug common to every chunked path would show too.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import fastlr
import fastlr.threads as fthreads
from fastlr._dispatch import kernels

OMP = fastlr.openmp_enabled()
CHUNK = fthreads.CHUNK_STEPS


def cases() -> dict:
    C = fastlr
    h = 150_000   # horizons inside the windows: every window below crosses segment boundaries
    cos = C.CosineAnnealing(0.1, h, 1e-5)
    return {
        "step": C.StepDecay(0.1, 0.5, 7000),
        "exp": C.ExponentialDecay(0.1, 1e-5),
        "cos": cos,
        "warmup": C.Warmup(0.1, 123_457, 1e-4),
        "cyclical": C.Cyclical(0.1, 77_777, 1e-3),
        "constant": C.Constant(0.3),
        "multistep": C.MultiStep(0.1, [10, 100_000, 200_001], 0.3),
        "linear": C.Linear(0.1, 0.001, h),
        "poly2": C.Polynomial(0.1, 1e-4, h, 2.0),
        "poly_gen": C.Polynomial(0.1, 1e-4, 10**7, 1.7),
        "poly_half": C.Polynomial(0.1, 1e-4, h, 0.5),
        "invsqrt": C.InverseSqrt(0.1, 1000),
        "invtime": C.InverseTime(0.1, 0.5, 100),
        "onecycle": C.OneCycle(0.1, 2 * h),
        "tri": C.Triangular(1e-3, 0.1, 50_000, 30_001),
        "tri_exp": C.Triangular(1e-3, 0.1, 5000, mode="exp_range", gamma=0.99999),
        "sgdr": C.WarmRestarts(0.1, 10_000, 2, 1e-4, 0.9),
        "wsd": C.WarmupStableDecay(0.1, 1000, 100_000, 100_000, 1e-4, "cosine"),
        "join": C.join([C.Warmup(0.1, 10_000), cos, C.ExponentialDecay(0.05, 1e-3)],
                       [10_000, 170_000]),
        "scaled": 3.0 * C.with_warmup(C.Cyclical(0.1, 70_001), 50_000),
    }


CASES = cases()
# windows: from 0 (anchors and segment boundaries inside), off the 4096-grid in the middle of
# the int32 range, and near the end of the step range
WINDOWS = ((0, 5 * CHUNK + 4099), (2**31 - 3 * 4096 - 5, 3 * CHUNK + 17), (2**62 - 10**6, 4 * CHUNK))


def _pieces(s, n, start, dtype):
    out = np.empty(n, dtype=dtype)
    for a in range(0, n, 4099):
        s.fill(out[a:a + 4099], start + a, threads=1)
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_thread_count_gives_the_serial_bytes(name, dtype):
    s = CASES[name]
    for start, n in WINDOWS:
        want = s.array(n, start=start, dtype=dtype, threads=1)
        np.testing.assert_array_equal(_pieces(s, n, start, dtype), want, strict=True)
        for threads in (2, 3, 4, None, -1):
            got = s.array(n, start=start, dtype=dtype, threads=threads)
            assert got.tobytes() == want.tobytes(), (name, start, n, threads)
            out = np.full(n + 2, 7.0, dtype=dtype)
            s.fill(out[1:-1], start, threads=threads)
            assert out[1:-1].tobytes() == want.tobytes() and out[0] == out[-1] == 7.0


def test_sweeps_of_long_rows_split_rows_into_chunks():
    scheds = [CASES[k] for k in ("cos", "join", "tri", "poly_gen")]
    n = 3 * CHUNK + 11
    one = fastlr.sweep(scheds, n, start=5, threads=1)
    for threads in (2, 3, 4, 8):
        np.testing.assert_array_equal(fastlr.sweep(scheds, n, start=5, threads=threads), one,
                                      strict=True)
    for i, s in enumerate(scheds):
        np.testing.assert_array_equal(one[i], s.array(n, start=5), strict=True)


def test_threads_argument_is_checked_before_any_work():
    s = CASES["cos"]
    out = np.zeros(10)
    for bad in (0, -2, 1.5, "2", True):
        with pytest.raises((TypeError, ValueError), match="threads"):
            s.fill(out, threads=bad)
        with pytest.raises((TypeError, ValueError), match="threads"):
            s.array(10, threads=bad)
    assert not out.any()
    assert s.array(10, threads=4).tobytes() == s.array(10).tobytes()


def test_fill_thread_rule():
    n_big = 10**8
    if OMP:
        assert fthreads.fill_threads(None, n_big) == fthreads.available_cpus()
        assert fthreads.fill_threads(3, n_big) == 3
        assert fthreads.fill_threads(8, 2 * CHUNK) == 2   # at most one thread per chunk
    assert fthreads.fill_threads(None, fthreads.FILL_SERIAL_BELOW - 1) == 1
    assert fthreads.fill_threads(4, CHUNK - 1) == 1
    assert fthreads.fill_threads(1, n_big) == 1


@pytest.mark.skipif(not OMP, reason="serial build (no OpenMP)")
def test_team_size_reports_startable_threads():
    assert kernels.team_size(1) == 1
    assert kernels.team_size(3) == 3
    with pytest.raises(ValueError, match="threads"):
        kernels.team_size(0)


# ------------------------------------------------------------------------------ thread start-up

RLIMIT_CHILD = textwrap.dedent("""
    import resource
    import numpy as np
    import fastlr
    scheds = [fastlr.CosineAnnealing(0.1 + k * 1e-4, 10**5) for k in range(64)]
    want = fastlr.sweep(scheds, 10**5, threads=1)
    out = np.zeros_like(want)
    cos = fastlr.CosineAnnealing(0.1, 10**6)
    one = cos.array(64 * 65536, threads=1)
    out1 = np.zeros_like(one)
    with open("/proc/self/status") as f:
        vm = [int(l.split()[1]) * 1024 for l in f if l.startswith("VmSize")][0]
    # 16 MB of headroom: 64 threads with 8 MB stacks cannot all start
    resource.setrlimit(resource.RLIMIT_AS, (vm + (16 << 20), resource.RLIM_INFINITY))
    fastlr.sweep(scheds, 10**5, threads=64, out=out)
    cos.fill(out1, threads=64)
    print("EQUAL" if np.array_equal(out, want) and np.array_equal(out1, one) else "DIFFERENT")
""")


@pytest.mark.skipif(not OMP or not sys.platform.startswith("linux"),
                    reason="needs OpenMP and Linux (RLIMIT_AS, /proc)")
def test_threads_the_os_refuses_do_not_end_the_process():
    # GNU libgomp calls exit(1) when pthread_create fails inside a parallel region; the kernels
    # check first and run on the threads that could start (before: exit status 1, no exception)
    env = dict(os.environ, OMP_STACKSIZE="8M")
    env.pop("OMP_NUM_THREADS", None)
    r = subprocess.run([sys.executable, "-c", RLIMIT_CHILD], capture_output=True, text=True,
                       timeout=120, env=env, cwd=str(fastlr_home()))
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "EQUAL"


def fastlr_home():
    from pathlib import Path
    return Path(fastlr.__file__).resolve().parents[1]


# ------------------------------------------------------------------------------ Ctrl-C


class _Armed:
    """SIGINT, sent by a timer thread, raises KeyboardInterrupt only while armed (a signal that
    comes after the call ended is dropped, so a failing test cannot interrupt pytest)."""

    def __init__(self, delay: float, raise_it: bool = True, signals: int = 1):
        self.delay, self.raise_it, self.signals = delay, raise_it, signals
        self.armed = False
        self.received = 0
        self.sent_at = None

    def handler(self, signum, frame):
        self.received += 1
        if self.armed and self.raise_it:
            self.armed = False
            raise KeyboardInterrupt

    def _send(self):
        for _ in range(self.signals):
            time.sleep(self.delay)
            self.sent_at = time.monotonic()
            os.kill(os.getpid(), signal.SIGINT)

    def __enter__(self):
        self.old = signal.signal(signal.SIGINT, self.handler)
        self.armed = True
        self.timer = threading.Thread(target=self._send)
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.armed = False
        self.timer.join()
        time.sleep(0.01)  # let a late signal reach the (disarmed) handler
        signal.signal(signal.SIGINT, self.old)
        return False


needs_main_thread = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGINT")
    or sys.platform == "win32", reason="signals are handled on the main thread (POSIX)")


@needs_main_thread
@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_stops_a_long_fill(threads):
    s = fastlr.CosineAnnealing(0.1, 10**9, 1e-5)
    n = 2 * 10**8   # 800 MB of float32 address space; only what is written before Ctrl-C is touched
    out = np.empty(n, dtype=np.float32)
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with _Armed(0.05) as a:
            s.fill(out, threads=threads)
    caught = time.monotonic()
    assert caught - a.sent_at < 2.0   # the bench (bench/interrupt_latency.py) measures ms
    assert caught - t0 < 5.0
    # what was written: whole chunks (serially a prefix), the rest untouched (fresh pages: 0)
    firsts = out[::CHUNK] != 0           # the first value of every chunk (values are > 0)
    j = int(np.argmin(firsts))
    assert 0 < j and not firsts[j]       # stopped after some chunks, before the last
    k = j * CHUNK
    if threads == 1:
        assert not firsts[j:].any() and not out[k:k + 4 * CHUNK].any()
        np.testing.assert_array_equal(out[:k], s.array(k, dtype=np.float32), strict=True)
    else:   # whole chunks: each one written entirely or not at all
        for c in np.flatnonzero(firsts[:j + 64]):
            a = out[c * CHUNK:(c + 1) * CHUNK]
            assert a.tobytes() == s.array(len(a), c * CHUNK, np.float32).tobytes()
    # the process is fine: the same fills run again and give the same bytes
    ref = s.array(2 * 10**6, start=99, threads=1)
    assert s.array(2 * 10**6, start=99, threads=threads).tobytes() == ref.tobytes()


@needs_main_thread
@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_stops_a_sweep_and_a_reduction(threads):
    scheds = fastlr.grid("cosine", max_lr=[0.1 + 1e-4 * k for k in range(4000)],
                         total_steps=[10**6])
    out = np.empty((4000, 2 * 10**5), dtype=np.float32)   # 3.2 GB address space, barely touched
    with pytest.raises(KeyboardInterrupt):
        with _Armed(0.05) as a:
            fastlr.sweep(scheds, 2 * 10**5, out=out, dtype=np.float32, threads=threads)
    assert time.monotonic() - a.sent_at < 2.0
    with pytest.raises(KeyboardInterrupt):
        with _Armed(0.05) as a:
            fastlr.sweep_reduce(scheds, 10**6, threads=threads)
    assert time.monotonic() - a.sent_at < 2.0
    few = scheds[:3]
    got = fastlr.sweep_reduce(few, 10**5, ("sum", "final"), threads=threads)
    want = fastlr.sweep(few, 10**5, threads=1)
    np.testing.assert_array_equal(got["final"], want[:, -1])


@needs_main_thread
@pytest.mark.parametrize("threads", [1, 2])
def test_a_handler_that_returns_lets_the_kernel_finish(threads):
    # SIGINT with a Python handler that does not raise: the kernels stop, run it, and resume
    s = fastlr.with_warmup(fastlr.CosineAnnealing(0.1, 10**7, 1e-5), 10**5)
    n = 2 * 10**7
    want = s.array(n, threads=1)
    scheds = [s, fastlr.Constant(0.1)] * 50
    want_red = fastlr.sweep_reduce(scheds, 10**6, threads=1)
    with _Armed(0.002, raise_it=False, signals=5) as a:
        got = s.array(n, threads=threads)
        got_red = fastlr.sweep_reduce(scheds, 10**6, threads=threads)
    assert a.received >= 1
    assert got.tobytes() == want.tobytes()
    for op in want_red:
        np.testing.assert_array_equal(got_red[op], want_red[op])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_a_child_process_with_the_default_handler():
    # the real thing: Python's own SIGINT handler, a 2e9-step fill
    code = textwrap.dedent("""
        import sys, time, numpy as np, fastlr
        s = fastlr.CosineAnnealing(0.1, 10**9)
        out = np.empty(2 * 10**9, dtype=np.float32)
        print("READY", flush=True)
        try:
            s.fill(out, threads=1)
        except KeyboardInterrupt:
            print("CAUGHT", time.monotonic(), flush=True)
            print("OK" if s.array(10**6, threads=2).tobytes() == s.array(10**6).tobytes()
                  else "WRONG", flush=True)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             stderr=subprocess.PIPE, cwd=str(fastlr_home()))
    try:
        assert child.stdout.readline().strip() == "READY"
        time.sleep(0.2)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    lines = out.split("\n")
    assert lines[0].startswith("CAUGHT"), (out, err[-2000:])
    assert float(lines[0].split()[1]) - sent < 2.0
    assert lines[1] == "OK" and child.returncode == 0
