#!/usr/bin/env python
"""Interleaved timing of every benchmark case, printed as a Markdown table.

    python bench/report.py [--sizes 1e5,1e6,1e7] [--dtype float64,float32] [--repeat K]
                           [--cases step,cosine] [--start S] [--budget SECONDS] [--peers]
                           [--threads 1e8] [--only-threads]

For each case (``bench/cases.py``), N and dtype, in ONE process: the output array is allocated and
touched once; then ``out.fill(c)``, the fastlr ``fill`` into the same array on one thread
(``threads=1``: the main table compares single-thread work with numpy's single-thread store loop;
``--threads`` adds the parallel table), the numpy reference
(``fastlr.reference.<fn>(np.arange(start, start + N), **params)``, arange and temporaries included;
``.astype(float32)`` for float32) and any peers run round-robin — fill, fastlr, reference, fill,
fastlr, ... — and the table reports medians. ``out.fill`` is the memory-write floor: "ratio to
out.fill" is how far a schedule is from the physical limit.

Rounds: fill and fastlr get ``--repeat K`` rounds (default: as many as fit in ``--budget`` seconds
each, 5 to 1000); slower functions (the numpy reference, peers) get at most that many and at least
3, capped by the same budget — so N = 1e7 references run 3–5 times and the default report of 20
cases stays under two minutes (95 s measured). Calls shorter than ~50 µs are timed in batches.

With ``--threads N1,N2``: a second table at those sizes, interleaved the same way, of
``fill(out, threads=1)``, ``fill(out, threads=None)`` (the default: every available CPU for long
windows), the single-thread ``out.fill`` and the parallel write floor: ``Constant.fill(out,
threads=None)``, a pure store loop split over the same threads and chunks as a parallel fill (the
bandwidth a parallel ``out.fill`` would reach). ``--only-threads`` skips the single-thread table.

Progress goes to stderr; the Markdown goes to stdout (``> report.md`` keeps it clean).
"""
from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _prefer_checkout() -> None:
    """Measure the fastlr of this checkout when it has been built in place
    (``python setup.py build_ext --inplace``); otherwise the installed one."""
    pkg = ROOT / "fastlr"
    built = any(pkg.glob("_kernels*.so")) or any(pkg.glob("_kernels*.pyd"))
    if (pkg / "__init__.py").exists() and built:
        sys.path.insert(0, str(ROOT))


_prefer_checkout()
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # cases.py and peers.py live next to this script

import numpy as np  # noqa: E402

import fastlr  # noqa: E402
from cases import select  # noqa: E402
from common import settle_allocator, touched  # noqa: E402

MIN_BATCH_SECONDS = 50e-6
OVERHEAD_STEP = 12345


# ---------------------------------------------------------------------------------- timing
class Timed:
    """One function in the round-robin: batch size, rounds and samples (seconds per call)."""

    def __init__(self, key: str, fn: Callable[[], object]) -> None:
        self.key = key
        self.fn = fn
        self.batch = 1
        self.rounds = 0
        self.samples: List[float] = []
        self.estimate = 0.0

    def warm(self) -> None:
        self.fn()  # first call: compiles (numba, jax), faults pages, fills caches
        times = []
        for _ in range(3):  # the best of 3 (one call for slow functions): an interrupted call
            t0 = time.perf_counter()  # must not cut a function's rounds
            self.fn()
            times.append(time.perf_counter() - t0)
            if times[-1] > 10e-3:
                break
        self.estimate = min(times)
        if self.estimate < MIN_BATCH_SECONDS:
            # re-estimate on a batch: one sub-microsecond call is below the timer's resolution
            k = 64
            t0 = time.perf_counter()
            for _ in range(k):
                self.fn()
            self.estimate = (time.perf_counter() - t0) / k
            self.batch = max(1, math.ceil(MIN_BATCH_SECONDS / max(self.estimate, 1e-9)))

    def sample(self) -> None:
        fn, k = self.fn, self.batch
        t0 = time.perf_counter_ns()
        for _ in range(k):
            fn()
        self.samples.append((time.perf_counter_ns() - t0) * 1e-9 / k)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def round_robin(items: Sequence[Timed], repeat: Optional[int], budget: float,
                fast: Sequence[str]) -> None:
    """Time `items` interleaved. Those named in `fast` all get K rounds; the others get
    min(K, max(3, budget / their time)) rounds, spread over the first rounds."""
    for it in items:
        it.warm()
    slowest_fast = max(it.estimate * it.batch for it in items if it.key in fast)
    if repeat:
        K = repeat
    else:
        K = min(1000, max(5, math.ceil(budget / max(slowest_fast, 1e-9))))
    for it in items:
        if it.key in fast:
            it.rounds = K
        else:
            it.rounds = min(K, max(3, math.ceil(budget / max(it.estimate * it.batch, 1e-9))))
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for r in range(K):
            for it in items:
                if r < it.rounds:
                    it.sample()
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------- machine
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f"]
                return " ".join(f for f in wanted if f in flags) or "-"
    except OSError:
        pass
    return "?"


def _git_rev(path: Path) -> str:
    try:
        rev = subprocess.run(["git", "-C", str(path), "log", "-1", "--format=%h", "--", "fastlr"],
                             capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--", "fastlr"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"commit {rev}{' + uncommitted changes' if dirty else ''}" if rev else ""


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)"
    except (AttributeError, OSError):
        return "?"


def machine_lines() -> List[str]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    env = {k: v for k, v in os.environ.items()
           if k.startswith("OPENBLAS") or k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    envtext = ", ".join(f"{k}={v}" for k, v in sorted(env.items())) or "none set"
    fl = Path(fastlr.__file__).resolve().parent
    rev = _git_rev(fl.parent) if (fl.parent / ".git").exists() else ""
    build = []
    try:  # newer fastlr picks kernels per CPU at import (FASTLR_KERNELS forces a choice)
        from fastlr._dispatch import kernel_isa
        build.append(f"kernels: {kernel_isa()}"
                     + (f" (FASTLR_KERNELS={os.environ['FASTLR_KERNELS']})"
                        if os.environ.get("FASTLR_KERNELS") else ""))
    except (ImportError, AttributeError):
        pass
    if hasattr(fastlr, "openmp_enabled"):
        build.append(f"OpenMP: {'yes' if fastlr.openmp_enabled() else 'no'}")
    return [
        f"- CPU: {_cpu_model()}; {os.cpu_count()} logical cores ({usable} usable); "
        f"flags: {_cpu_flags()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"numpy {np.__version__}, fastlr {fastlr.__version__} from {fl}"
        + (f" at {rev}" if rev else "") + (f"; {', '.join(build)}" if build else ""),
        f"- OPENBLAS/OMP/MKL environment variables: {envtext}",
        "- numpy's temporaries: C allocator settled first (a 30 MiB block allocated and freed; "
        "see bench/common.py), as in any process that has freed a large array",
        f"- Load average at start: {_load()} (anything else running on this machine competes "
        f"for the cores and the memory bandwidth)",
        f"- Command: `python {' '.join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])}`",
    ]


# ---------------------------------------------------------------------------------- the report
def _size(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    mult = {"k": 10**3, "m": 10**6, "g": 10**9}
    if t and t[-1] in mult:
        return int(float(t[:-1]) * mult[t[-1]])
    value = float(t)
    if value != int(value) or value < 1:
        raise argparse.ArgumentTypeError(f"not a positive integer size: {text!r}")
    return int(value)


def _label(n: int) -> str:
    e = int(round(math.log10(n)))
    return f"1e{e}" if 10**e == n else f"{n:,}"


def _fmt(x: float) -> str:
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}" if x >= 1 else f"{x:.3f}"


def load_peers(which: Optional[str]) -> Tuple[list, List[str]]:
    if not which:
        return [], []
    import peers as peer_mod

    names = [c.name for c in peer_mod.ALL]
    wanted = names if which == "all" else [w.strip() for w in which.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise SystemExit(f"--peers: unknown peer(s) {unknown}; known: {', '.join(names)}")
    loaded, notes = [], []
    for cls in peer_mod.ALL:
        if cls.name not in wanted:
            continue
        p = cls()
        if p.load():
            loaded.append(p)
            notes.append(f"- peer {p.name}: {p.version}")
        else:
            notes.append(f"- peer {p.name}: not installed, skipped ({p.reason})")
    return loaded, notes


def _agrees(got, want: np.ndarray) -> bool:
    """A peer computes the same schedule: within 1e-7 of the peak (1e-6 for float32)."""
    single = np.asarray(want).dtype == np.float32
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False
    scale = float(np.max(np.abs(want))) if want.size else 1.0
    tol = (1e-6 if single else 1e-7) * scale
    return bool(np.all(np.abs(got - want) <= tol))


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e5,1e6,1e7",
                    help="comma-separated N (1e7, 10000000, 10M); default %(default)s")
    ap.add_argument("--dtype", default="float64,float32", help="default %(default)s")
    ap.add_argument("--repeat", type=int, default=0,
                    help="rounds for fill and fastlr (default: auto from --budget)")
    ap.add_argument("--budget", type=float, default=0.2,
                    help="seconds of samples per timed function when --repeat is not given "
                         "(default %(default)s)")
    ap.add_argument("--cases", default=None, help="comma-separated case names (default: all)")
    ap.add_argument("--start", type=_size, default=None,
                    help="first step of the window (default 0)")
    ap.add_argument("--peers", nargs="?", const="all", default=None,
                    help="also time peers when installed: all (the default with a bare --peers) "
                         "or a comma-separated subset of torch,numba,jax")
    ap.add_argument("--offset", type=int, default=0,
                    help="bytes past a 64-byte boundary where the output arrays start "
                         "(default 0; numpy itself only guarantees 16)")
    ap.add_argument("--no-overhead", action="store_true", help="skip the per-call overhead table")
    ap.add_argument("--threads", default="",
                    help="sizes for the threads table (threads=None vs 1, and the parallel write "
                         "floor), e.g. 1e8; default: no threads table")
    ap.add_argument("--only-threads", action="store_true",
                    help="only the threads table (with --threads)")
    args = ap.parse_args(argv)

    sizes = [_size(s) for s in args.sizes.split(",") if s.strip()]
    dtypes = [d.strip() for d in args.dtype.split(",") if d.strip()]
    for d in dtypes:
        if d not in ("float64", "float32"):
            ap.error(f"--dtype: float64 or float32, got {d!r}")
    start = args.start or 0
    try:
        cases = select(None if args.cases is None else
                       [c.strip() for c in args.cases.split(",") if c.strip()])
    except KeyError as exc:
        ap.error(str(exc.args[0]))
    settle_allocator()
    machine = machine_lines()  # before the peers: they may set OMP_WAIT_POLICY
    peer_objs, peer_notes = load_peers(args.peers)

    lines = ["## fastlr benchmark report", ""] + machine + peer_notes + [""]
    print("\n".join(lines), flush=True)

    head = ["case", "N", "dtype", "fastlr ns/elem", "out.fill ns/elem", "ratio to out.fill",
            "numpy reference ns/elem", "speedup vs numpy"]
    head += [p.column for p in peer_objs] + ["rounds (fastlr / numpy)"]
    rows = []
    problems: List[str] = []
    t_all = time.perf_counter()
    for case in ([] if args.only_threads else cases):
        for n in sizes:
            bound = case.bind(n)
            sched, ref = bound.schedule, bound.reference
            for dtype in dtypes:
                out = touched(n, dtype, args.offset)
                if dtype == "float64":
                    def numpy_ref(ref=ref, n=n):
                        return ref(np.arange(start, start + n))
                else:
                    def numpy_ref(ref=ref, n=n):
                        return ref(np.arange(start, start + n)).astype(np.float32)
                items = [Timed("fill", lambda out=out: out.fill(0.5)),
                         Timed("fastlr", lambda out=out, s=sched: s.fill(out, start, threads=1)),
                         Timed("numpy", numpy_ref)]
                want = sched.array(n, start=start, dtype=dtype)
                for p in peer_objs:
                    try:
                        thunk = p.make(sched, n, start, out)
                        got = None if thunk is None else p.values(thunk(), out)
                    except Exception as exc:  # a peer's failure must not stop the report
                        problems.append(f"{p.name} failed on {case.name} N={n} {dtype}: "
                                        f"{type(exc).__name__}: {exc}")
                        continue
                    if thunk is None:
                        continue
                    if not _agrees(got, want):
                        problems.append(f"{p.name} disagrees with fastlr on {case.name} N={n} "
                                        f"{dtype} (timed anyway)")
                    items.append(Timed(p.name, thunk))
                print(f"  {case.name} N={_label(n)} {dtype} ...", file=sys.stderr, flush=True)
                round_robin(items, args.repeat or None, args.budget, fast=("fill", "fastlr"))
                med = {it.key: it.median for it in items}
                by = {it.key: it for it in items}
                ns = {k: v / n * 1e9 for k, v in med.items()}
                row = [case.name, _label(n), dtype, _fmt(ns["fastlr"]), _fmt(ns["fill"]),
                       _fmt(med["fastlr"] / med["fill"]), _fmt(ns["numpy"]),
                       _fmt(med["numpy"] / med["fastlr"])]
                row += [_fmt(ns[p.name]) if p.name in ns else "—" for p in peer_objs]
                row.append(f"{by['fastlr'].rounds} / {by['numpy'].rounds}")
                rows.append(row)
    if rows:
        _main_table(head, rows, start, args, cases)
    if args.threads:
        thread_table([_size(x) for x in args.threads.split(",") if x.strip()], dtypes, cases,
                     start, args)
    if not args.no_overhead and not args.only_threads:
        overhead_table(cases, sizes, args)
    if problems:
        print("")
        for p in problems:
            print(f"- note: {p}")
    print("")
    print(f"Total time {time.perf_counter() - t_all:.1f} s; load average at the end: {_load()}.")
    return 0


def _main_table(head, rows, start, args, cases) -> None:
    print(_table(head, rows))
    print("")
    print(f"Medians of interleaved samples; ratio = fastlr / out.fill (1.0 is the memory-write "
          f"floor); speedup = numpy reference / fastlr. Window: steps start … start+N-1, "
          f"start = {start}. Output arrays start {args.offset} bytes past a 64-byte boundary.")
    for case in cases:
        print(f"- `{case.name}`: {case.description}")


def thread_table(sizes, dtypes, cases, start, args) -> None:
    """fill(threads=1) vs fill(threads=None), with the single-thread and parallel write floors."""
    from fastlr.threads import available_cpus, fill_threads

    print("")
    print("### Threads: one long fill on every available CPU")
    print("")
    head = ["case", "N", "dtype", "threads=1 ns/elem", "threads=None ns/elem", "speedup",
            "out.fill ns/elem (1 thread)", "parallel write ns/elem", "threads=1 / out.fill",
            "threads=None / parallel write", "rounds"]
    rows = []
    floor = fastlr.Constant(0.5)
    for n in sizes:
        nt = fill_threads(None, n)
        for dtype in dtypes:
            out = touched(n, dtype, args.offset)
            for case in cases:
                sched = case.bind(n).schedule
                items = [Timed("fill", lambda out=out: out.fill(0.5)),
                         Timed("pfill", lambda out=out: floor.fill(out, threads=None)),
                         Timed("one", lambda out=out, s=sched: s.fill(out, start, threads=1)),
                         Timed("auto", lambda out=out, s=sched: s.fill(out, start,
                                                                       threads=None))]
                print(f"  threads {case.name} N={_label(n)} {dtype} ...", file=sys.stderr,
                      flush=True)
                round_robin(items, args.repeat or None, args.budget,
                            fast=[it.key for it in items])
                med = {it.key: it.median for it in items}
                ns = {k: v / n * 1e9 for k, v in med.items()}
                rows.append([case.name, _label(n), dtype, _fmt(ns["one"]), _fmt(ns["auto"]),
                             _fmt(med["one"] / med["auto"]), _fmt(ns["fill"]), _fmt(ns["pfill"]),
                             _fmt(med["one"] / med["fill"]), _fmt(med["auto"] / med["pfill"]),
                             str(items[0].rounds)])
        print(f"threads=None uses {nt} threads at N={_label(n)} (available CPUs: "
              f"{available_cpus()}).", file=sys.stderr)
    print(_table(head, rows))
    print("")
    print(f"threads=None resolves to {fill_threads(None, max(sizes))} threads at "
          f"N={_label(max(sizes))} (available CPUs: {available_cpus()}). Parallel write = "
          f"`Constant(0.5).fill(out, threads=None)`: a store loop over the same chunks and threads "
          f"(the parallel `out.fill` floor); out.fill is numpy's, on one thread. Medians of "
          f"interleaved samples.")


def overhead_table(cases, sizes, args) -> None:
    print("")
    print("### Per-call overhead (µs per call, medians)")
    print("")
    ohead = ["case", "fastlr fill(10)", f"fastlr sched({OVERHEAD_STEP})",
             "numpy ref(arange(10))", f"numpy ref({OVERHEAD_STEP})", "out.fill (10 elem)"]
    orows = []
    small = touched(10, "float64", args.offset)
    for case in cases:
        bound = case.bind(max(sizes))
        sched, ref = bound.schedule, bound.reference
        items = [Timed("fill10", lambda s=sched: s.fill(small)),
                 Timed("scalar", lambda s=sched: s(OVERHEAD_STEP)),
                 Timed("ref10", lambda r=ref: r(np.arange(0, 10))),
                 Timed("refscalar", lambda r=ref: r(OVERHEAD_STEP)),
                 Timed("outfill10", lambda: small.fill(0.5))]
        print(f"  overhead {case.name} ...", file=sys.stderr, flush=True)
        round_robin(items, args.repeat or None, args.budget / 3,
                    fast=[it.key for it in items])
        med = {it.key: it.median * 1e6 for it in items}
        orows.append([case.name] + [f"{med[k]:.3f}" for k in
                                     ("fill10", "scalar", "ref10", "refscalar", "outfill10")])
    print(_table(ohead, orows))


def _table(head: List[str], rows: List[List[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    numeric = [all(_is_num(r[i]) for r in rows) for i in range(len(head))]

    def line(cells):
        return "| " + " | ".join(str(c).rjust(w) if num else str(c).ljust(w)
                                 for c, w, num in zip(cells, widths, numeric)) + " |"

    sep = "| " + " | ".join(("-" * (w - 1) + ":") if num else "-" * w
                            for w, num in zip(widths, numeric)) + " |"
    return "\n".join([line(head), sep] + [line(r) for r in rows])


def _is_num(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


if __name__ == "__main__":
    sys.exit(main())
