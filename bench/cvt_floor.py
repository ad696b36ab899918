#!/usr/bin/env python
"""The float32 floor: what writing float64 values rounded once to float32 costs by itself.

    python bench/cvt_floor.py [--sizes 1e5,1e7] [--isa avx2|baseline]

fastlr's float32 output is the float64 value rounded once (the contract that keeps float32 bit-equal
to the float64 result), so every float32 kernel ends in a double -> float conversion per value. This
compiles a few store loops with the kernels' own flags (-O3, -ffp-contract=off, -mavx2 for the avx2
copy) and times them interleaved, medians per size:

- ``fill32``: a float32 constant store (what ``out.fill`` does);
- ``ramp64``: float64 ``x0 + j`` (exact integers) stored;
- ``ramp32``: the same values converted to float32 and stored: the floor of any float32 kernel;
- ``linear32``: ``a + b * (x0 + j)`` converted and stored: the cheapest schedule (Linear).

The ratio ``ramp32 / fill32`` is the smallest ratio to ``out.fill`` any float32 family can reach
at that size; where the output sits in cache (10^5 values) it is the conversion's throughput that
sets it, not memory. Needs a C compiler (the one that builds the extension).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from report import machine_lines  # noqa: E402

SOURCE = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec;
}
static double IOTA[64];

__attribute__((noinline)) static void fill32(float *restrict o, int64_t n, float v) {
    for (int64_t k = 0; k < n; k++) o[k] = v;
}
__attribute__((noinline)) static void ramp64(double *restrict o, int64_t n, double x0) {
    double io[64]; for (int j = 0; j < 64; j++) io[j] = IOTA[j];
    for (int64_t k0 = 0; k0 + 64 <= n; k0 += 64) {
        double x = x0 + (double)k0;
        for (int j = 0; j < 64; j++) o[k0 + j] = x + io[j];
    }
}
__attribute__((noinline)) static void ramp32(float *restrict o, int64_t n, double x0) {
    double io[64]; for (int j = 0; j < 64; j++) io[j] = IOTA[j];
    for (int64_t k0 = 0; k0 + 64 <= n; k0 += 64) {
        double x = x0 + (double)k0;
        for (int j = 0; j < 64; j++) o[k0 + j] = (float)(x + io[j]);
    }
}
__attribute__((noinline)) static void linear32(float *restrict o, int64_t n, double a, double b) {
    double io[64]; for (int j = 0; j < 64; j++) io[j] = IOTA[j];
    for (int64_t k0 = 0; k0 + 64 <= n; k0 += 64) {
        double x = (double)k0;
        for (int j = 0; j < 64; j++) o[k0 + j] = (float)(a + b * (x + io[j]));
    }
}

int main(int argc, char **argv) {
    int64_t n = atoll(argv[1]) / 64 * 64;
    int rounds = atoi(argv[2]);
    for (int j = 0; j < 64; j++) IOTA[j] = j;
    float *f = aligned_alloc(64, n * sizeof(float));
    double *d = aligned_alloc(64, n * sizeof(double));
    fill32(f, n, 0.5f); ramp64(d, n, 1.0);   /* touch the pages */
    for (int r = 0; r < rounds; r++) {        /* interleaved: one of each per round */
        double t0 = now(); fill32(f, n, 0.5f + r);
        double t1 = now(); ramp64(d, n, 0.25 * r);
        double t2 = now(); ramp32(f, n, 0.25 * r);
        double t3 = now(); linear32(f, n, 0.1, 1e-6 * (r + 1));
        double t4 = now();
        printf("%.6e %.6e %.6e %.6e\n", (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n, (t4 - t3) / n);
    }
    fprintf(stderr, "%g %g\n", (double)f[n / 2], d[n / 2]);   /* keep the stores */
    return 0;
}
"""


def build(isa: str, workdir: Path) -> Path:
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    flags = ["-O3", "-fno-math-errno", "-ffp-contract=off"] + (["-mavx2"] if isa == "avx2" else [])
    src = workdir / "cvt_floor.c"
    src.write_text(SOURCE)
    exe = workdir / "cvt_floor"
    subprocess.run(cc.split() + flags + [str(src), "-o", str(exe)], check=True)
    return exe


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1e5,1e7")
    ap.add_argument("--isa", default="avx2", choices=("avx2", "baseline"))
    args = ap.parse_args()
    print("\n".join(machine_lines()) + "\n")
    print(f"Compiled with the kernels' flags ({args.isa}); medians of interleaved rounds, ns/value.\n")
    print("| N | fill32 | ramp64 | ramp32 (the floor) | linear32 | ramp32 / fill32 | linear32 / fill32 |")
    print("| --: | --: | --: | --: | --: | --: | --: |")
    with tempfile.TemporaryDirectory() as tmp:
        exe = build(args.isa, Path(tmp))
        for size in args.sizes.split(","):
            n = int(float(size))
            rounds = max(5, min(2000, int(2e8 // n)))
            out = subprocess.run([str(exe), str(n), str(rounds)], check=True, capture_output=True,
                                 text=True).stdout.split("\n")
            cols = list(zip(*[map(float, line.split()) for line in out if line.strip()]))
            fill, r64, r32, lin = (statistics.median(c) * 1e9 for c in cols)
            print(f"| {size} | {fill:.3f} | {r64:.3f} | {r32:.3f} | {lin:.3f} | {r32 / fill:.2f} | "
                  f"{lin / fill:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
