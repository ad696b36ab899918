"""A 2·10^9-step float32 ``fastlr export`` to .npy (8 GB on disk) with bounded memory: the peak RSS
of the exporting process stays < 200 MB above a plain interpreter that imported fastlr, and the
file equals ``array()`` on sampled windows.

Slow and disk-heavy: runs only with FASTLR_SLOW_TESTS=1 (``-m slow`` selects it) and >= 20 GB
free in the temporary directory. Measured on the 2-core development VM: see the commit message
of this test.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import fastlr
from helpers import bits, child_env

N = 2 * 10**9
SCHEDULE = ["wsd", "--max-lr", "3e-4", "--warmup-steps", "20M", "--stable-steps", "1.5G",
            "--decay-steps", "400M", "--min-lr", "3e-5", "--decay-shape", "cosine"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("FASTLR_SLOW_TESTS") != "1",
                       reason="slow (8 GB written): set FASTLR_SLOW_TESTS=1"),
]

# A runner whose only child is the measured process: RUSAGE_CHILDREN's ru_maxrss is its peak RSS.
RUNNER = ("import resource, subprocess, sys; "
          "rc = subprocess.run(sys.argv[1:]).returncode; "
          "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)")


def peak_rss_kb(argv, cwd):
    proc = subprocess.run([sys.executable, "-c", RUNNER, *argv], cwd=cwd, env=child_env(),
                          capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr
    kb, rc = proc.stdout.split()[-2:]
    return int(kb), int(rc), proc


def test_two_billion_step_export_has_bounded_memory(tmp_path):
    free = shutil.disk_usage(tmp_path).free
    if free < 20 * 10**9:
        pytest.skip(f"needs 20 GB free in {tmp_path}, has {free / 1e9:.1f} GB")
    base_kb, rc, _ = peak_rss_kb([sys.executable, "-c", "import numpy, fastlr, fastlr.cli"],
                                 tmp_path)
    assert rc == 0
    t0 = time.perf_counter()
    peak_kb, rc, proc = peak_rss_kb([sys.executable, "-m", "fastlr", "export", *SCHEDULE,
                                     "--steps", "2e9", "--dtype", "float32", "-o", "big.npy"],
                                    tmp_path)
    elapsed = time.perf_counter() - t0
    assert rc == 0, proc.stderr
    print(f"\nexport of {N:,} float32 steps: {elapsed:.1f} s, peak RSS {peak_kb / 1024:.1f} MB "
          f"(interpreter with fastlr: {base_kb / 1024:.1f} MB)")
    assert (peak_kb - base_kb) * 1024 < 200 * 2**20
    path = tmp_path / "big.npy"
    try:
        assert path.stat().st_size == 128 + 4 * N
        got = np.load(path, mmap_mode="r")
        assert got.shape == (N,) and got.dtype == np.float32
        s = fastlr.WarmupStableDecay(3e-4, 20 * 10**6, 15 * 10**8, 4 * 10**8, 3e-5, "cosine")
        rng = np.random.default_rng(7)
        starts = [0, 20 * 10**6 - 500, 1_520_000_000 - 500, 1_920_000_000 - 500, N - 100_000]
        starts += rng.integers(0, N - 100_000, size=20).tolist()
        for w in starts:
            assert bits(np.array(got[w:w + 100_000])) == bits(s.array(100_000, w, np.float32)), w
        del got
    finally:
        path.unlink(missing_ok=True)
