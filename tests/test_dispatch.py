"""The portable kernels and their AVX2 / AVX-512 copies give the same bits.

Each copy runs in its own interpreter (FASTLR_KERNELS picks it at import); every schedule family,
a composition and a sweep are filled over windows near 0, across segment boundaries and far out,
in float64 and float32, and the bytes are hashed. The hashes must agree with the portable build's.
"""
import json
import subprocess
import sys

import pytest

from fastlr import _dispatch

from helpers import child_env

CHILD = r"""
import hashlib, json, sys
import numpy as np
import fastlr
from fastlr import _dispatch

scheds = [
    fastlr.StepDecay(0.1, 0.5, 7), fastlr.StepDecay(1e-300, 10.0, 1), fastlr.ExponentialDecay(0.1, 3e-4),
    fastlr.CosineAnnealing(0.1, 100_003, 1e-5), fastlr.Warmup(0.1, 5_000), fastlr.Warmup(1e-300, 2**40 + 3),
    fastlr.Cyclical(0.1, 777, 0.01), fastlr.Constant(0.2), fastlr.MultiStep(0.1, [10, 5000, 9000], 0.3),
    fastlr.PiecewiseConstant([3, 4000], [0.1, 0.2, 0.3]), fastlr.Linear(0.1, 0.0, 70_000),
    fastlr.Polynomial(0.1, 1e-4, 300_000, 2.0), fastlr.Polynomial(0.1, 1e-4, 300_000, 0.9),
    fastlr.Polynomial(0.1, 0.0, 10**9, 5000.0), fastlr.InverseSqrt(0.1, 1000),
    fastlr.InverseTime(0.1, 1.0, 100), fastlr.InverseTime(0.1, 1.0, 100, staircase=True),
    fastlr.OneCycle(0.1, 100_001), fastlr.OneCycle(0.1, 99_999, 0.25, "linear", three_phase=True),
    fastlr.Triangular(1e-4, 0.1, 999, 1234), fastlr.Triangular(1e-4, 0.1, 999, mode="triangular2"),
    fastlr.Triangular(1e-4, 0.1, 999, mode="exp_range", gamma=0.9999),
    fastlr.WarmRestarts(0.1, 1000, 2, 1e-5, 0.9), fastlr.WarmRestarts(0.1, 1000, 1.5),
    fastlr.WarmRestarts(0.1, 997, 1, 1e-5, 0.5, max_cycles=50),
    fastlr.WarmupStableDecay(0.1, 1000, 5000, 3000, 1e-5, "sqrt"),
    fastlr.with_warmup(fastlr.CosineAnnealing(0.1, 90_000, 1e-5), 10_000) * 0.5,
    fastlr.CosineAnnealing(0.1, 100_003, 1e-5, k_decay=1.5),
    fastlr.CosineAnnealing(0.1, 100_003, 1e-5, exponent=2.5),
    fastlr.CosineAnnealing(1.0, 2**41 + 1, 0.0, exponent=300.0),
    fastlr.PolynomialRestarts(0.1, 777.7, 1.3, 1e-4, max_cycles=9, power=0.5),
    fastlr.PolynomialRestarts(0.1, 777.7, 1.3, 1e-4, max_cycles=9, power=0.9, k_decay=2.0),
    fastlr.CosineAnnealing(0.1, 100_003, 1e-5, exponent=2.0, k_decay=1.5),
    fastlr.Polynomial(0.1, 1e-4, 300_000, 0.3, k_decay=7.0),
]
h = hashlib.sha256()
for s in scheds:
    for start in (0, 4090, 99_990, 2**31 - 5000, 2**40 + 17, 2**63 - 20_000):
        for dt in (np.float64, np.float32):
            h.update(s.array(20_000, start=start, dtype=dt).tobytes())
    h.update(np.array([s(t) for t in (0, 1, 4095, 4096, 2**62)]).tobytes())
h.update(fastlr.sweep(scheds, 30_000, start=12_345, threads=2).tobytes())
print(json.dumps({"isa": _dispatch.kernel_isa(), "hash": h.hexdigest()}))
"""


def _run(isa, cwd):
    env = child_env()
    env["FASTLR_KERNELS"] = isa
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                          timeout=300, cwd=str(cwd))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_kernel_copy_gives_the_same_bits(tmp_path):
    feats = _dispatch._baseline.cpu_features()
    baseline = _run("baseline", tmp_path)
    assert baseline["isa"] == "baseline"
    ran = []
    for isa in ("avx2", "avx512"):
        got = _run(isa, tmp_path)
        if feats.get(isa) and got["isa"] == isa:
            ran.append(isa)
        assert got["hash"] == baseline["hash"], (isa, got["isa"])
    if not ran:
        pytest.skip("no AVX2/AVX-512 copy of the kernels runs on this machine or build")


def test_an_unknown_choice_falls_back_without_crashing(tmp_path):
    got = _run("no-such-isa", tmp_path)
    assert got["isa"] in ("baseline", "avx2", "avx512")
