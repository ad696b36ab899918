#!/usr/bin/env python
"""Where threads start to pay for one fill: fill(threads=2) / fill(threads=1) by window length.

    python bench/fill_threshold.py [--threads 2] [--cases constant,cosine,polynomial0.9]

Interleaved medians per size (2**15 ... 2**22) and dtype; fastlr.threads.FILL_SERIAL_BELOW is set
from this table (the smallest size where every case is at least break-even).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from cases import select  # noqa: E402
from common import settle_allocator, touched  # noqa: E402
from report import Timed, _load, _table, machine_lines, round_robin  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cases", default="constant,cosine,linear,polynomial0.9")
    ap.add_argument("--budget", type=float, default=0.15)
    args = ap.parse_args()
    settle_allocator()
    print("\n".join(machine_lines()) + "\n")
    rows = []
    for e in range(15, 23):
        n = 1 << e
        for dtype in ("float64", "float32"):
            out = touched(n, dtype, 0)
            for case in select(args.cases.split(",")):
                s = case.bind(n).schedule
                items = [Timed("one", lambda s=s: s.fill(out, threads=1)),
                         Timed("many", lambda s=s: s.fill(out, threads=args.threads))]
                round_robin(items, None, args.budget, fast=("one", "many"))
                med = {it.key: it.median for it in items}
                rows.append([f"2**{e}", dtype, case.name, f"{med['one'] * 1e6:.1f}",
                             f"{med['many'] * 1e6:.1f}", f"{med['one'] / med['many']:.2f}"])
                print("  ", rows[-1], file=sys.stderr, flush=True)
    print(_table(["N", "dtype", "case", "threads=1 µs", f"threads={args.threads} µs", "speedup"],
                 rows))
    print(f"\nload average at the end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
