#!/usr/bin/env python
"""The cost of chunking and interrupt checks: this checkout's serial fill against an older build.

    python bench/interrupt_cost.py --baseline /path/to/other/checkout [--sizes 1e5,1e7]
                                   [--dtype float64,float32] [--cases cosine,step] [--budget 0.3]

The other checkout's compiled kernels (same instruction set as the ones in use here) are loaded
into this process under another module name; each case's plan is rebuilt there from the same
tables (``Plan(iseg, dseg, tables)``), and both fills — ``plan.fill(out, 0, threads=1)`` here
(chunks of 65536 steps, an interrupt check between chunks, the SIGINT wrapper around the call)
and the baseline's one-shot ``plan.fill(out, 0)`` — run round-robin into the same array.
The table shows medians and their ratio (1.00 = no cost); a run of the baseline against itself
(``--self``) shows the noise floor of the same procedure.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import fastlr  # noqa: E402
from fastlr._dispatch import kernel_isa, kernels  # noqa: E402
from cases import select  # noqa: E402
from common import settle_allocator, touched  # noqa: E402
from report import Timed, _fmt, _label, _load, _size, _table, machine_lines, round_robin  # noqa: E402


def load_baseline(root: Path):
    isa = kernel_isa()
    name = "_kernels" if isa == "baseline" else f"_kernels_{isa}"
    paths = sorted((root / "fastlr").glob(f"{name}.*.so")) + sorted(
        (root / "fastlr").glob(f"{name}.*.pyd"))
    if not paths:
        raise SystemExit(f"no built {name} in {root / 'fastlr'}")
    spec = importlib.util.spec_from_file_location(f"fastlr_baseline.{name}", paths[0])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, type=Path)
    ap.add_argument("--sizes", default="1e5,1e7")
    ap.add_argument("--dtype", default="float64,float32")
    ap.add_argument("--cases", default=None)
    ap.add_argument("--budget", type=float, default=0.3)
    ap.add_argument("--self", action="store_true",
                    help="time this checkout's fill against itself (the noise floor)")
    args = ap.parse_args()
    base = kernels if args.self else load_baseline(args.baseline)
    cases = select(None if args.cases is None else args.cases.split(","))
    settle_allocator()
    print("## Chunking and interrupt checks: cost on serial fills\n")
    print("\n".join(machine_lines()))
    print(f"- baseline: {'this checkout (noise floor)' if args.self else args.baseline} "
          f"({kernel_isa()} kernels)\n")
    rows = []
    for n in [_size(x) for x in args.sizes.split(",")]:
        for dtype in args.dtype.split(","):
            out = touched(n, dtype, 0)
            for case in cases:
                s = case.bind(n).schedule
                p = s.plan
                bp = base.Plan(p.iseg, p.dseg, p.tables)
                want = s.array(n, dtype=dtype, threads=1)
                bp.fill(out, 0)
                assert out.tobytes() == want.tobytes(), case.name
                if args.self:   # the same serial path twice
                    def base_fill(bp=bp):
                        return bp.fill(out, 0, 1)
                else:           # an older build: its one-shot fill has no threads
                    def base_fill(bp=bp):
                        return bp.fill(out, 0)
                items = [Timed("base", base_fill),
                         Timed("new", lambda p=p: p.fill(out, 0, 1))]
                print(f"  {case.name} N={_label(n)} {dtype}", file=sys.stderr, flush=True)
                round_robin(items, None, args.budget, fast=("base", "new"))
                med = {it.key: it.median for it in items}
                rows.append([case.name, _label(n), dtype, _fmt(med["base"] / n * 1e9),
                             _fmt(med["new"] / n * 1e9), f"{med['new'] / med['base']:.3f}",
                             str(items[0].rounds)])
    print(_table(["case", "N", "dtype", "baseline ns/elem", "chunked+checks ns/elem", "ratio",
                  "rounds"], rows))
    ratios = np.array([float(r[5]) for r in rows])
    print(f"\nratio: median {np.median(ratios):.3f}, min {ratios.min():.3f}, max "
          f"{ratios.max():.3f} over {len(rows)} rows; load average at the end: {_load()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
