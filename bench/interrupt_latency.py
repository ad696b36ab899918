#!/usr/bin/env python
"""Ctrl-C latency of long fastlr kernels: SIGINT to KeyboardInterrupt, in a child process.

    python bench/interrupt_latency.py [--repeat 5] [--delay 0.5] [--cases fill,sweep,reduce]
                                      [--threads 1,None]

For each case a child process builds its inputs, prints READY, and starts the call; the parent
waits ``--delay`` seconds (the kernel is then deep inside its work), sends SIGINT and notes the
time; the child catches KeyboardInterrupt, prints the time it caught it (CLOCK_MONOTONIC, shared
by both processes) and then proves it is fully usable: a fresh fill of the same schedule (on 2
threads and serially) equals a reference computed before the interrupt, and the interrupted call
runs again to completion on a smaller window. The latency is caught - sent.

Cases (the issue's three):
  fill    CosineAnnealing, float32, a 2·10⁹-step window (an 8 GB array, only the part written
          before the signal is ever touched)
  sweep   1000 schedules × 10⁶ steps, float32 (4 GB, likewise)
  reduce  sweep_reduce of 1000 schedules × 10⁶ steps (sum, min, max)

Progress goes to stderr; a Markdown table to stdout.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
import numpy as np
import fastlr
case, threads = sys.argv[1], (None if sys.argv[2] == "None" else int(sys.argv[2]))
cos = fastlr.CosineAnnealing(0.1, 10**9, 1e-5)
scheds = fastlr.grid("cosine", max_lr=[0.1 + 1e-4 * k for k in range(1000)],
                     total_steps=[10**6])
ref = cos.array(10**6, start=12345)
if case == "fill":
    out = np.empty(2 * 10**9, dtype=np.float32)
    call = lambda: cos.fill(out, threads=threads)
    again = lambda: cos.fill(out[:3 * 10**6], start=7, threads=threads)
elif case == "sweep":
    out = np.empty((1000, 10**6), dtype=np.float32)
    call = lambda: fastlr.sweep(scheds, 10**6, dtype=np.float32, out=out, threads=threads)
    again = lambda: fastlr.sweep(scheds[:20], 10**6, dtype=np.float32, out=out[:20],
                                 threads=threads)
else:
    call = lambda: fastlr.sweep_reduce(scheds, 10**6, ("sum", "min", "max"), threads=threads)
    again = lambda: fastlr.sweep_reduce(scheds[:20], 10**6, ("sum",), threads=threads)
print("READY", flush=True)
t0 = time.monotonic()
try:
    call()
except KeyboardInterrupt:
    t = time.monotonic()
    print(f"CAUGHT {t!r} {t - t0!r}", flush=True)
else:
    print(f"FINISHED {time.monotonic() - t0!r}", flush=True)
    sys.exit(3)
ok = all(np.array_equal(cos.array(10**6, start=12345, threads=k), ref) for k in (2, 1, None))
again()
print("USABLE" if ok else "WRONG", flush=True)
"""


def run_once(case: str, threads: str, delay: float, timeout: float = 120.0) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    child = subprocess.Popen([sys.executable, "-c", CHILD, case, threads], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=str(ROOT), env=env)
    try:
        line = child.stdout.readline()
        if line.strip() != "READY":
            raise RuntimeError(f"child did not start: {line!r} {child.stderr.read()}")
        time.sleep(delay)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=timeout)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    lines = out.split()
    if not out.startswith("CAUGHT"):
        raise RuntimeError(f"{case}: no KeyboardInterrupt: {out!r} {err[-2000:]!r}")
    caught, ran = float(lines[1]), float(lines[2])
    return {"latency": caught - sent, "ran": ran, "usable": "USABLE" in out,
            "rc": child.returncode}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--delay", type=float, default=0.5)
    ap.add_argument("--cases", default="fill,sweep,reduce")
    ap.add_argument("--threads", default="1,None")
    args = ap.parse_args()
    rows = []
    for case in args.cases.split(","):
        for threads in args.threads.split(","):
            lat, usable = [], True
            for k in range(args.repeat):
                r = run_once(case, threads, args.delay)
                lat.append(r["latency"])
                usable &= r["usable"] and r["rc"] == 0
                print(f"  {case} threads={threads} #{k}: {r['latency'] * 1e3:.2f} ms "
                      f"(call ran {r['ran']:.2f} s)", file=sys.stderr, flush=True)
            rows.append((case, threads, statistics.median(lat), max(lat), usable))
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Ctrl-C latency (SIGINT sent {args.delay} s into the call -> KeyboardInterrupt "
          f"caught), {args.repeat} runs each; load average at the end {load}.\n")
    print("| case | threads | median ms | max ms | process usable after |")
    print("| --- | --- | --: | --: | --- |")
    for case, threads, med, mx, usable in rows:
        print(f"| {case} | {threads} | {med * 1e3:.2f} | {mx * 1e3:.2f} | "
              f"{'yes' if usable else 'NO'} |")
    return 0 if all(r[4] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
