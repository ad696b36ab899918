"""The worst cases run in a fresh interpreter: nothing may crash it. Each snippet prints what it
observed; the test checks the exit status (a segfault or abort is a negative status) and the
expected exceptions."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from helpers import FASTLR_HOME, child_env

PRELUDE = textwrap.dedent("""
    import sys, math
    import numpy as np
    import fastlr
    I = 2**63 - 1
    S = [fastlr.StepDecay(0.1, 0.5, 3), fastlr.StepDecay(0.1, 0.9, I),
         fastlr.StepDecay(0.0, 2.0, 1), fastlr.ExponentialDecay(0.1, 1e-3),
         fastlr.ExponentialDecay(1e300, 0.0), fastlr.CosineAnnealing(0.1, 1000),
         fastlr.CosineAnnealing(0.1, I, 0.01), fastlr.Warmup(0.1, 1000), fastlr.Warmup(0.1, I),
         fastlr.Warmup(0.1, 0), fastlr.Cyclical(0.1, 1), fastlr.Cyclical(0.1, 1000),
         fastlr.Cyclical(0.1, I // 2, 0.01), fastlr.Cyclical(0.1, 2**40 + 3)]

    def expect(exc, f, label):
        try:
            f()
        except exc as e:
            print("raised", label, type(e).__name__, flush=True)
        else:
            print("NO ERROR", label, flush=True)
            sys.exit(3)
""")


CASES = {
    "huge windows ending at 2**63-1": """
        for s in S:
            for dt in (np.float64, np.float32):
                n = 1_500_000
                out = s.fill(np.full(n, np.nan, dt), I - n + 1)
                assert not np.isnan(out).any() or repr(s).startswith("StepDecay(lr=0.0"), s
                with np.errstate(over="ignore"):  # 1e300 is inf in float32
                    last = np.asarray(s(I)).astype(dt)
                assert out[-1] == last or math.isnan(s(I)), s
        print("filled", flush=True)
    """,
    "windows one step past 2**63-1": """
        for s in S:
            n = 1_500_000
            out = np.full(n, 7.0)
            expect(ValueError, lambda: s.fill(out, I - n + 2), "fill")
            assert (out == 7.0).all()
            expect(ValueError, lambda: s.fill(np.empty(2), I), "fill2")
            expect(ValueError, lambda: s.fill(np.empty(2, np.float32), I), "fill2f")
            expect(ValueError, lambda: s.array(2, I), "array")
            expect(ValueError, lambda: s.array(n, I - n + 2, np.float32), "array32")
            expect(ValueError, lambda: s.fill(np.empty(1), I + 1), "start")
        print("refused", flush=True)
    """,
    "bad out arrays": """
        big = 1_000_000
        for s in S:
            for dt in (np.float64, np.float32):
                isz = np.dtype(dt).itemsize
                mis = np.frombuffer(bytearray(isz * big + 1), offset=1, dtype=dt)
                expect(ValueError, lambda: s.fill(mis, I - big + 1), "misaligned")
                ro = np.zeros(big, dt); ro.flags.writeable = False
                expect(ValueError, lambda: s.fill(ro, I - big + 1), "readonly")
                expect(ValueError, lambda: s.fill(np.zeros(big, np.dtype(dt).newbyteorder()),
                                                  I - big + 1), "byteswapped")
                expect(ValueError, lambda: s.fill(np.zeros(2 * big, dt)[::2], 0), "strided")
                expect(ValueError, lambda: s.fill(np.zeros(2 * big, dt)[::-1], 0), "reversed")
                expect(ValueError, lambda: s.fill(np.zeros((big // 2, 2), dt), 0), "2-D")
            expect(TypeError, lambda: s.fill(np.zeros(big, np.float16), 0), "float16")
            expect(TypeError, lambda: s.fill(np.zeros(big, np.int64), 0), "int64")
            expect(TypeError, lambda: s.fill(memoryview(bytearray(8 * 8)).cast("d"), 0), "mv")
            expect(TypeError, lambda: s.fill(bytearray(64), 0), "bytearray")
            expect(TypeError, lambda: s.fill(None, 0), "None")
        print("refused", flush=True)
    """,
    "empty out at 2**63-1": """
        for s in S:
            for dt in (np.float64, np.float32):
                assert s.fill(np.empty(0, dt), I).size == 0
                assert s.array(0, I, dt).size == 0
                assert s.fill(np.empty(1, dt), I).size == 1
            assert s(np.empty(0, np.int64)).size == 0
            assert s(np.empty((3, 0), np.uint64)).shape == (3, 0)
            expect(ValueError, lambda: s.fill(np.empty(0), I + 1), "empty past")
        print("empty ok", flush=True)
    """,
    "gather with negative and huge entries": """
        for s in S:
            expect(ValueError, lambda: s(np.full(1_000_000, -1, np.int64)), "all negative")
            expect(ValueError, lambda: s(np.array([I, -1])), "I,-1")
            expect(ValueError, lambda: s(np.array([np.iinfo(np.int64).min])), "int64 min")
            expect(ValueError, lambda: s(np.arange(-5, 5).reshape(2, 5)), "2-D")
            expect(ValueError, lambda: s(np.array([2**64 - 1], np.uint64)), "uint64 max")
            expect(ValueError, lambda: s(-(2**63)), "scalar min")
            expect(ValueError, lambda: s(2**200), "scalar huge")
            expect(TypeError, lambda: s(np.full(10, np.nan)), "nan steps")
        print("refused", flush=True)
    """,
    "gather at the int64 limit equals fill": """
        n = 1_000_000
        for s in S:
            steps = I - np.arange(n, dtype=np.int64)  # descending, ends at 2**63 - 1
            g = s(steps)
            f = s.fill(np.empty(n), I - n + 1)
            assert g.tobytes() == f[::-1].tobytes(), s
            assert s(np.uint64(I)) is not None and s(np.array(I, np.uint64)).shape == ()
        print("gathered", flush=True)
    """,
    "numpy integers as start, subclasses of ndarray": """
        class Sub(np.ndarray):
            pass
        for s in S:
            a = s.fill(np.empty(3), np.int64(I - 2))
            b = s.fill(np.empty(3), np.uint64(I - 2))
            assert a.tobytes() == b.tobytes()
            v = np.empty(5).view(Sub)
            assert s.fill(v, 9) is v
            expect(ValueError, lambda: s.fill(np.matrix(np.zeros((1, 4))), 0), "matrix")
        print("accepted", flush=True)
    """,
    "GIL-free fills from many threads at the limit": """
        import threading
        errs = []
        def work(s):
            try:
                for _ in range(3):
                    s.fill(np.empty(300_000), I - 300_000 + 1)
                    s.fill(np.empty(300_000, np.float32), 2**62)
            except Exception as e:
                errs.append(e)
        th = [threading.Thread(target=work, args=(s,)) for s in S]
        [t.start() for t in th]
        [t.join() for t in th]
        assert not errs, errs
        print("threads ok", flush=True)
    """,
}


@pytest.mark.parametrize("label", list(CASES))
def test_no_crash_in_subprocess(label, tmp_path):
    code = (PRELUDE + textwrap.dedent(CASES[label])
            + f"\nassert fastlr.__file__.startswith({str(FASTLR_HOME)!r}), fastlr.__file__"
            + "\nprint('DONE', flush=True)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=child_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (f"exit status {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}"
                                  f"\nstderr:\n{proc.stderr[-3000:]}")
    assert proc.stdout.rstrip().endswith("DONE")
    assert "NO ERROR" not in proc.stdout
    assert proc.stderr == ""
    for line in proc.stdout.splitlines():
        if line.startswith("raised"):
            assert line.split()[-1] in ("ValueError", "TypeError"), line
