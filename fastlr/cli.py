"""The ``fastlr`` command (also ``python -m fastlr``).

One grammar for every subcommand that takes schedules::

    fastlr show   SCHEDULE [--PARAM VALUE ...]               [--steps N] [--start S] [--dtype D]
    fastlr export SCHEDULE [--PARAM VALUE ...] --steps N -o OUT.npy|OUT.csv|OUT.parquet [--every K]
    fastlr plot   SCHEDULE [--PARAM VALUE ...] [+ SCHEDULE ...] -o OUT.png|OUT.svg [--steps N] [--log]
    fastlr sweep  GRID.json|.toml|.yaml -o OUT.npy       (or --reduce sum,min,max,final)
    fastlr list

A schedule is given inline — a name or alias followed by its parameters as ``--name value``
(``--max-lr 0.1``, ``--total-steps 1M``, lists comma-separated: ``--milestones 30k,60k,90k``;
a bool parameter alone means true: ``--three-phase``; a schedule parameter as JSON:
``--inner '{"schedule": "cosine", "max_lr": 0.1, "total_steps": "10k"}'``) — or by
``--spec FILE`` (JSON, TOML or YAML, see :mod:`fastlr.spec`; compositions and framework names
too). ``plot`` overlays several: separate inline schedules with a lone ``+`` and/or repeat
``--spec``. ``NAME`` may also be ``framework:name`` (``transformers:cosine``) when
``fastlr.compat`` provides that framework. Step counts everywhere accept ``1000000``, ``1e6``,
``1M``, ``2.5k``, ``2**20``.

Errors are one line on stderr (``fastlr <command>: error: ...``) with exit status 2, before any
output is written; Ctrl-C prints ``fastlr: interrupted`` and exits with status 130, leaving no
partial file (outputs are written to a temporary file beside the target and renamed into place).
"""
from __future__ import annotations

import argparse
import errno
import os
import secrets
import shutil
import sys
import textwrap
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from fastlr.validate import parse_count as _parse_count

__all__ = ["main", "parse_count"]

EXPORT_FORMATS = (".npy", ".csv", ".parquet")
PLOT_FORMATS = (".png", ".svg")
_CHUNK_VALUES = 1 << 22          # values per chunk of export (32 MB of float64)
_CSV_CHUNK_ROWS = 1 << 16
_SWEEP_BLOCK_VALUES = 1 << 22    # values per block of a sweep written to the .npy
_CSV_ROW_BYTES = 20 + 1 + 24 + 1  # the longest "step,lr\n" row: 19 digits, repr(float) <= 24


class CLIError(Exception):
    """A usage error: printed as one line, exit status 2."""


def parse_count(text: str) -> int:
    """An integer step count from ``10000000``, ``1e7``, ``10M``, ``2.5k``, ``2**20`` or ``1_000``
    (see :func:`fastlr.validate.parse_count`), as an argparse type."""
    try:
        return _parse_count(text)
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage block
        raise CLIError(message)


# ------------------------------------------------------------------------------------ commands
EXAMPLES = {
    "show": """\
examples:
  fastlr show cosine --max-lr 0.1 --total-steps 1M
  fastlr show multistep --lr 0.1 --milestones 30k,60k,90k --steps 100k
  fastlr show wsd --max-lr 3e-4 --warmup-steps 2k --stable-steps 80k --decay-steps 18k
  fastlr show --spec warmup_cosine.yaml --steps 1.2M --dtype float32
""",
    "export": """\
.npy is written chunk by chunk through a memory map (memory stays bounded for any --steps),
.csv as "step,lr" rows with the shortest repr that reads back to the same float, .parquet
(columns step, lr) with pyarrow. Outputs are atomic: a temporary file beside the target,
space reserved up front, renamed into place when complete.

examples:
  fastlr export cosine --max-lr 0.1 --total-steps 1M --steps 1M -o lr.npy
  fastlr export --spec warmup_cosine.yaml --steps 10M --every 1000 -o lr.csv
  fastlr export step --lr 0.1 --gamma 0.5 --step-size 10k --steps 2e9 --dtype float32 -o lr.npy
""",
    "plot": """\
Several schedules are overlaid with a legend: separate inline schedules with a lone "+",
and/or repeat --spec. Phase boundaries are marked with dashed lines; long runs are drawn as
a per-pixel min/max band.

examples:
  fastlr plot cosine --max-lr 0.1 --total-steps 10k -o cosine.png
  fastlr plot cosine --max-lr 0.1 --total-steps 10k + wsd --max-lr 0.1 --warmup-steps 500 \\
      --stable-steps 6k --decay-steps 3.5k --steps 12k -o compare.svg
  fastlr plot --spec a.yaml --spec b.toml --steps 1M --log -o ab.png
""",
    "sweep": """\
A grid spec (JSON, TOML or YAML):
  {"family": "cosine", "steps": "1M",
   "params": {"max_lr": [0.1, 0.3], "total_steps": ["1M"], "min_lr": [0, "1e-5"]}}

examples:
  fastlr sweep grid.yaml -o lr.npy
  fastlr sweep grid.json --steps 1M --dtype float32 -o lr.npy --threads 2
  fastlr sweep grid.toml --reduce sum,min,max,final            # a table, no matrix
  fastlr sweep grid.toml --reduce sum,final -o stats.csv
""",
    "list": """\
examples:
  fastlr list
""",
}

DESCRIPTIONS = {
    "show": "Compute a schedule for --steps steps (default: past its horizon) and print a "
            "summary: values at a few steps, min/max, fill time, horizon and phase boundaries.",
    "export": "Write a schedule's values to a .npy, .csv or .parquet file.",
    "plot": "Draw one or more schedules to a PNG or SVG image.",
    "sweep": "Compute a grid of schedules into a .npy matrix (one row per combination), or "
             "per-schedule statistics with --reduce.",
    "list": "List every schedule family: aliases, parameters and their kinds, framework names.",
}

USAGE = {
    "show": "fastlr show (SCHEDULE [--PARAM VALUE ...] | --spec FILE) [--steps N] [--start S] "
            "[--dtype D]",
    "export": "fastlr export (SCHEDULE [--PARAM VALUE ...] | --spec FILE) --steps N -o OUT "
              "[--every K] [--start S] [--dtype D] [--threads T]",
    "plot": "fastlr plot (SCHEDULE [--PARAM VALUE ...] | --spec FILE) [+ SCHEDULE ...] -o OUT "
            "[--steps N] [--start S] [--log] [--width W] [--height H] [--title T]",
    "sweep": "fastlr sweep GRID -o OUT.npy | --reduce OPS [-o OUT.csv|OUT.json] [--steps N] "
             "[--start S] [--dtype D] [--threads T]",
    "list": "fastlr list",
}

_SCHEDULE_HELP = ("SCHEDULE is a name or alias (fastlr list) followed by its parameters as "
                  "--name value; or --spec FILE (.json/.toml/.yaml).")


def _options(command: str) -> List[Tuple[Tuple[str, ...], Dict[str, Any]]]:
    """The global options of a command: (flags, argparse keywords)."""
    steps = (("--steps", "-n"), dict(type=parse_count, help="how many steps (1000000, 1e6, 1M)"))
    start = (("--start",), dict(type=parse_count, default=None, help="first step (default 0)"))
    dtype = (("--dtype",), dict(choices=("float32", "float64"), default=None,
                                help="float64 (default) or float32"))
    spec = (("--spec",), dict(action="append", default=[], metavar="FILE",
                              help="a schedule spec file (.json, .toml, .yaml); repeatable for plot"))
    threads = (("--threads",), dict(type=int, default=None,
                                    help="threads (default: the CPUs available; 1 serial; -1 all)"))
    if command == "show":
        return [spec, steps, start, dtype]
    if command == "export":
        return [spec, steps, start, dtype,
                (("-o", "--output"), dict(required=True, help="OUT.npy, OUT.csv or OUT.parquet")),
                (("--every",), dict(type=parse_count, default=1,
                                    help="write every K-th step only (default 1)")),
                threads]
    if command == "plot":
        return [spec, steps, start,
                (("-o", "--output"), dict(required=True, help="OUT.png or OUT.svg")),
                (("--log",), dict(action="store_true", help="log y scale")),
                (("--width",), dict(type=int, default=1200, help="pixels (default 1200)")),
                (("--height",), dict(type=int, default=600, help="pixels (default 600)")),
                (("--title",), dict(default=None, help="a title above the plot"))]
    if command == "sweep":
        return [steps, start, dtype, threads,
                (("-o", "--output"), dict(default=None,
                                          help="OUT.npy (the matrix), or with --reduce OUT.csv / "
                                               "OUT.json (default: a table on stdout)")),
                (("--reduce",), dict(default=None, metavar="OPS",
                                     help="comma-separated statistics per schedule: sum, min, "
                                          "max, mean, final (no matrix is computed)"))]
    return []


def _parser(command: str) -> _Parser:
    p = _Parser(prog=f"fastlr {command}", usage=USAGE[command],
                description=textwrap.fill(DESCRIPTIONS[command], 78),
                epilog=EXAMPLES[command], formatter_class=argparse.RawDescriptionHelpFormatter,
                allow_abbrev=False)
    if command in ("show", "export", "plot"):
        p.add_argument_group("schedule", textwrap.fill(_SCHEDULE_HELP, 78))
    if command == "sweep":
        p.add_argument("grid", help="the grid spec: .json, .toml, .yaml/.yml")
    for flags, kwargs in _options(command):
        p.add_argument(*flags, **kwargs)
    return p


def _split(command: str, argv: Sequence[str]) -> Tuple[List[str], List[Any]]:
    """(option tokens for argparse, schedule sources in order: token lists and ("spec", FILE))."""
    valued, flags = set(), {"-h", "--help"}
    for names, kwargs in _options(command):
        if kwargs.get("action") == "store_true":
            flags.update(names)
        else:
            valued.update(names)
    opts: List[str] = []
    sources: List[Any] = []
    group: List[str] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        name = tok.split("=", 1)[0] if tok.startswith("--") else tok
        if name in flags:
            opts.append(tok)
        elif name in valued:
            if "=" in tok and tok.startswith("--"):
                value = tok.split("=", 1)[1]
            else:
                if i + 1 >= len(argv):
                    raise CLIError(f"{name} needs a value")
                i += 1
                value = argv[i]
            if name == "--spec":
                if group:
                    sources.append(group)
                    group = []
                sources.append(("spec", value))
            else:
                opts += [name, value]
        elif tok == "+":
            if not group and sources and isinstance(sources[-1], tuple):
                pass  # --spec FILE + NAME ...: the spec already ended its schedule
            elif not group:
                raise CLIError("'+' must separate two schedules (SCHEDULE --param value + "
                               "SCHEDULE ...)")
            else:
                sources.append(group)
                group = []
        else:
            group.append(tok)
        i += 1
    if group:
        sources.append(group)
    elif "+" in argv and [t for t in argv if t not in opts][-1:] == ["+"]:
        raise CLIError("'+' must be followed by another schedule")
    return opts, sources


def _inline_schedule(tokens: List[str]) -> Any:
    """A schedule from ``NAME --param value ...`` tokens, through :func:`fastlr.from_spec`."""
    from fastlr.base import lookup, parameters
    from fastlr.spec import from_spec

    name = tokens[0]
    if name.startswith("-"):
        raise CLIError(f"unknown option {name} (a schedule starts with its name: e.g. "
                       f"'cosine --max-lr 0.1 --total-steps 1M')")
    if ":" in name:
        fw, _, fname = name.partition(":")
        spec: Dict[str, Any] = {"framework": fw, "name": fname}
        kinds: Dict[str, str] = {}
    else:
        cls = lookup(name)
        kinds = parameters(cls)
        spec = {"schedule": name}
    i = 1
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("-o", "--output") or tok.startswith(("-o", "--output=")):
            raise CLIError("show prints a summary; write the values to a file with fastlr export "
                           "... -o FILE (or draw them with fastlr plot ... -o FILE)")
        if not tok.startswith("--") or len(tok) == 2:
            raise CLIError(f"unexpected argument {tok!r}: parameters are given as --name value "
                           f"(separate schedules with a lone +)")
        key, eq, value = tok[2:].partition("=")
        key = key.replace("-", "_")
        if not eq:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if kinds.get(key, "").rstrip("?") == "bool" and (nxt is None or nxt.startswith("--")):
                value = "true"  # a bare flag
            elif nxt is None:
                raise CLIError(f"{tok} needs a value")
            else:
                value = nxt
                i += 1
        if key in spec and key not in ("schedule",):
            raise CLIError(f"--{key.replace('_', '-')} is given twice")
        if key in ("schedule", "framework", "name") and key not in kinds:
            raise CLIError(f"unexpected parameter {tok}")
        spec[key] = value
        i += 1
    return from_spec(spec)


def _schedules(sources: List[Any]) -> List[Any]:
    from fastlr.spec import load_spec

    out = []
    for src in sources:
        if isinstance(src, tuple):
            out.append(load_spec(src[1]))
        else:
            out.append(_inline_schedule(src))
    return out


def _one_schedule(command: str, sources: List[Any]) -> Any:
    if not sources:
        raise CLIError(f"give a schedule: fastlr {command} NAME --param value ... or --spec FILE "
                       f"(see fastlr {command} --help, fastlr list)")
    if len(sources) > 1:
        raise CLIError(f"{command} takes one schedule, got {len(sources)} (plot overlays several)")
    return _schedules(sources)[0]


def _default_steps(scheds: List[Any]) -> int:
    """Steps enough to see every schedule's phases: past the horizon, or a few periods."""
    best = 0
    for s in scheds:
        h, p = s.horizon, s.period
        if h is None or (h == 0 and not p):
            raise CLIError(f"pass --steps N: {_short(repr(s))} has no horizon to default to")
        best = max(best, h + (3 * p if p else max(1, h // 10)))
    return best


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _fmt(x: float) -> str:
    return repr(float(x))


def _available_memory() -> Optional[int]:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _size(nbytes: int) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


def _window(n: int, start: int) -> Tuple[int, int]:
    from fastlr.sweep import window

    return window(n, start)


# ------------------------------------------------------------------------------------ show
def _show(args: argparse.Namespace, sources: List[Any], stdout: Any) -> int:
    dtype = np.dtype(args.dtype or "float64")
    sched = _one_schedule("show", sources)
    n = args.steps if args.steps is not None else _default_steps([sched])
    start = args.start or 0
    n, start = _window(n, start)
    need = n * dtype.itemsize
    avail = _available_memory()
    if avail is not None and need > avail:
        raise CLIError(f"--steps {n:,} of {dtype.name} needs {need:,} bytes ({_size(need)}) in "
                       f"memory, more than the {_size(avail)} available; show fewer steps, or "
                       f"write them to a file chunk by chunk with fastlr export")
    try:
        out = np.empty(n, dtype=dtype)
    except (MemoryError, ValueError):
        raise CLIError(f"--steps {n:,} of {dtype.name} needs {need:,} bytes ({_size(need)}), "
                       f"more than this process can allocate; use fastlr export") from None
    t0 = time.perf_counter()
    sched.fill(out, start)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    sched.fill(out, start)  # again, into memory the OS has already mapped
    warm = time.perf_counter() - t0
    p = lambda *a: print(*a, file=stdout)  # noqa: E731
    p(repr(sched))
    per = f", {warm / n * 1e9:.2f} ns/step" if n else ""
    p(f"steps {start:,} … {start + n - 1:,}: {n:,} values, {dtype.name}, "
      f"{out.nbytes / 1e6:.1f} MB")
    p(f"fill: {warm * 1e3:.2f} ms{per} ({cold * 1e3:.2f} ms the first time, when the new "
      f"array's pages are mapped)")
    if n:
        p(f"first {_fmt(out[0])}   last {_fmt(out[-1])}   "
          f"min {_fmt(out.min())}   max {_fmt(out.max())}")
        marks = sorted({start + (n - 1) * k // 4 for k in range(5)})
        p("  " + "   ".join(f"lr[{m:,}] = {_fmt(sched(m))}" for m in marks))
    h, period = sched.horizon, sched.period
    if h is None:
        p("horizon: none (it never becomes constant or periodic)")
    elif period:
        p(f"horizon: {h:,} (periodic from there, period {period:,} steps)")
    else:
        p(f"horizon: {h:,} (constant from there: {_fmt(sched(h))})")
    limit = 12
    bounds = sched.phase_boundaries(n, start, limit=limit + 1)
    if not bounds:
        p("phase boundaries: none in this window")
    else:
        more = " …" if len(bounds) > limit else ""
        p("phase boundaries: " + ", ".join(f"{b:,}" for b in bounds[:limit]) + more)
    return 0


# ------------------------------------------------------------------------------------ files
def _check_target(path: str, formats: Sequence[str], what: str = "-o") -> str:
    """The output's format (checked before any work) and its directory's existence."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in formats:
        raise CLIError(f"{what} {path}: use a {', '.join(formats[:-1])} or {formats[-1]} file name"
                       if len(formats) > 1 else f"{what}: use a {formats[0]} file name, got {path!r}")
    if os.path.isdir(path):
        raise CLIError(f"{what} {path}: is a directory, not a file name")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CLIError(f"{what} {path}: directory {directory} does not exist "
                       f"(No such file or directory)")
    return suffix


def _check_space(path: str, need: int, what: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return
    if need > free:
        raise CLIError(f"-o {path}: {what} needs {need:,} bytes ({_size(need)}), more than the "
                       f"{free:,} bytes ({_size(free)}) free on its disk")


class _Atomic:
    """A temporary file beside ``target``, renamed onto it by :meth:`commit`; removed on any
    failure (including KeyboardInterrupt), leaving a previous ``target`` intact."""

    def __init__(self, target: str) -> None:
        self.target = target
        directory = os.path.dirname(os.path.abspath(target))
        base = os.path.basename(target)
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        for _ in range(100):
            tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
            try:
                self.fd = os.open(tmp, flags, 0o666)
                self.path = tmp
                return
            except FileExistsError:
                continue
        raise FileExistsError(f"could not create a temporary file in {directory}")

    def reserve(self, offset: int, length: int) -> None:
        """Allocate disk blocks up front, so a full disk is an error here and never a SIGBUS
        when a mapped page is written."""
        if length > 0 and hasattr(os, "posix_fallocate"):
            try:
                os.posix_fallocate(self.fd, offset, length)
            except OSError as exc:
                if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL):
                    return  # the filesystem cannot reserve: the free-space check stands alone
                raise OSError(exc.errno, f"cannot reserve {length:,} bytes "
                                         f"({_size(length)}): {exc.strerror}",
                              self.target) from None

    def commit(self) -> None:
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        os.replace(self.path, self.target)

    def abort(self) -> None:
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = -1
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def _progress_bar(total: int, desc: str = "sweep") -> Any:
    """A tqdm bar on stderr, or None when tqdm is missing or stderr is not a terminal."""
    try:
        if not sys.stderr.isatty():
            return None
        from tqdm import tqdm
    except (ImportError, AttributeError, ValueError):
        return None
    return tqdm(total=total, unit="values", unit_scale=True, file=sys.stderr, desc=desc)


def _fill(sched: Any, out: np.ndarray, start: int, threads: Optional[int]) -> None:
    """``sched.fill(out, start)``; with ``threads``, ``fill(..., threads=threads)`` — the hook
    for multi-threaded fills (fastlr versions whose fill has no ``threads`` keyword say so)."""
    if threads is None:
        sched.fill(out, start)
        return
    try:
        sched.fill(out, start, threads=threads)
    except TypeError as exc:
        if "threads" in str(exc) and "unexpected keyword" in str(exc):
            raise CLIError("--threads: this version of fastlr fills a schedule on one thread "
                           "(fill has no threads= keyword); leave --threads out") from None
        raise


def _values(sched: Any, i0: int, i1: int, start: int, every: int, dtype: np.dtype,
            threads: Optional[int], out: Optional[np.ndarray] = None) -> np.ndarray:
    """Output rows i0 … i1-1: the values at steps start + every * i."""
    if every == 1:
        if out is None:
            out = np.empty(i1 - i0, dtype=dtype)
        _fill(sched, out, start + i0, threads)
        return out
    steps = start + every * np.arange(i0, i1, dtype=np.int64)
    vals = sched(steps)  # float64 gather, bit-equal to fill; float32 is its one rounding
    if out is None:
        return vals.astype(dtype, copy=False)
    out[...] = vals
    return out


def _export(args: argparse.Namespace, sources: List[Any], stdout: Any) -> int:
    suffix = _check_target(args.output, EXPORT_FORMATS)
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise ImportError('.parquet output needs pyarrow: pip install '
                              '"fastlr-schedules[parquet]"') from None
    if args.steps is None:
        raise CLIError("--steps N is required (how many steps to write, e.g. --steps 1M)")
    if args.every < 1:
        raise CLIError(f"--every must be >= 1, got {args.every}")
    if args.threads is not None and args.threads == 0:
        raise CLIError("--threads must be >= 1 (or -1 for all CPUs)")
    dtype = np.dtype(args.dtype or "float64")
    n, start = _window(args.steps, args.start or 0)
    sched = _one_schedule("export", sources)
    every = args.every
    rows = -(-n // every)
    last_step = start + (rows - 1) * every if rows else start
    if suffix == ".npy":
        need = rows * dtype.itemsize + 4096
    elif suffix == ".csv":
        need = 8 + rows * (len(str(last_step)) + 2 + 24)
    else:
        need = rows * (8 + dtype.itemsize) + (1 << 20)
    _check_space(args.output, need, f"{rows:,} rows of {dtype.name}")
    out = _Atomic(args.output)
    bar = _progress_bar(rows, "export")
    t0 = time.perf_counter()
    try:
        if suffix == ".npy":
            _write_npy(out, sched, rows, start, every, dtype, args.threads, bar)
        elif suffix == ".csv":
            _write_csv(out, sched, rows, start, every, dtype, args.threads, bar)
        else:
            _write_parquet(out, sched, rows, start, every, dtype, args.threads, bar)
        out.commit()
    except BaseException:
        out.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - t0
    size = os.path.getsize(args.output)
    stride = f", every {every:,} steps" if every > 1 else ""
    print(f"{_short(repr(sched), 100)}", file=stdout)
    print(f"wrote {args.output}: {rows:,} {dtype.name} values of steps {start:,} … "
          f"{last_step:,}{stride} ({_size(size)}) in {elapsed:.2f} s", file=stdout)
    return 0


def _write_npy(out: _Atomic, sched: Any, rows: int, start: int, every: int, dtype: np.dtype,
               threads: Optional[int], bar: Any) -> None:
    # the header through open_memmap (then unmapped), the space reserved, then one mapped
    # window per chunk: resident memory is one chunk, whatever the size of the file
    mm = np.lib.format.open_memmap(out.path, mode="w+", dtype=dtype, shape=(rows,))
    offset = mm.offset
    del mm
    out.reserve(offset, rows * dtype.itemsize)
    for i0 in range(0, rows, _CHUNK_VALUES):
        i1 = min(rows, i0 + _CHUNK_VALUES)
        win = np.memmap(out.path, dtype=dtype, mode="r+", offset=offset + i0 * dtype.itemsize,
                        shape=(i1 - i0,))
        try:
            _values(sched, i0, i1, start, every, dtype, threads, out=win)
        finally:  # unmapped: its pages leave this process (written back by commit's fsync)
            del win
        if bar is not None:
            bar.update(i1 - i0)


def _write_csv(out: _Atomic, sched: Any, rows: int, start: int, every: int, dtype: np.dtype,
               threads: Optional[int], bar: Any) -> None:
    with os.fdopen(os.dup(out.fd), "w", encoding="ascii", newline="\n") as f:
        f.write("step,lr\n")
        row = "{},{!r}\n".format
        buf = np.empty(min(rows, _CSV_CHUNK_ROWS), dtype=dtype) if every == 1 else None
        for i0 in range(0, rows, _CSV_CHUNK_ROWS):
            i1 = min(rows, i0 + _CSV_CHUNK_ROWS)
            vals = _values(sched, i0, i1, start, every, dtype, threads,
                           out=None if buf is None else buf[: i1 - i0])
            steps = range(start + i0 * every, start + i1 * every, every)
            f.write("".join(map(row, steps, vals.tolist())))
            if bar is not None:
                bar.update(i1 - i0)


def _write_parquet(out: _Atomic, sched: Any, rows: int, start: int, every: int, dtype: np.dtype,
                   threads: Optional[int], bar: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("step", pa.int64()), ("lr", pa.from_numpy_dtype(dtype))])
    with open(out.fd, "wb", closefd=False) as fh, pq.ParquetWriter(fh, schema) as writer:
        for i0 in range(0, rows, _CHUNK_VALUES):
            i1 = min(rows, i0 + _CHUNK_VALUES)
            vals = _values(sched, i0, i1, start, every, dtype, threads)
            steps = start + every * np.arange(i0, i1, dtype=np.int64)
            writer.write_table(pa.table({"step": steps, "lr": vals}, schema=schema))
            if bar is not None:
                bar.update(i1 - i0)


# ------------------------------------------------------------------------------------ plot
def _plot(args: argparse.Namespace, sources: List[Any], stdout: Any) -> int:
    _check_target(args.output, PLOT_FORMATS)
    if args.width < 1 or args.height < 1:
        raise CLIError(f"--width and --height must be >= 1, got {args.width}x{args.height}")
    if not sources:
        raise CLIError("give a schedule: fastlr plot NAME --param value ... [+ NAME ...] or "
                       "--spec FILE (see fastlr plot --help)")
    scheds = _schedules(sources)
    n = args.steps if args.steps is not None else _default_steps(scheds)
    n, start = _window(n, args.start or 0)
    if n < 1:
        raise CLIError("--steps must be >= 1 for a plot")
    # the arguments are checked first: a wrong command fails the same way with or without matplotlib
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError('plot needs matplotlib: pip install "fastlr-schedules[plot]"') from None
    from fastlr.plot import save_plot
    t0 = time.perf_counter()
    save_plot(scheds if len(scheds) > 1 else scheds[0], args.output, n,
                          width=args.width, height=args.height, log=args.log, start=start,
                          title=args.title)
    elapsed = time.perf_counter() - t0
    what = f"{len(scheds)} schedules" if len(scheds) > 1 else _short(repr(scheds[0]), 80)
    print(f"wrote {args.output} ({args.width}x{args.height}): {what}, steps {start:,} … "
          f"{start + n - 1:,}, in {elapsed:.2f} s", file=stdout)
    return 0


# ------------------------------------------------------------------------------------ sweep
def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _sweep(args: argparse.Namespace, sources: List[Any], stdout: Any) -> int:
    import json

    from fastlr.spec import grid_spec, read_config
    from fastlr.sweep import REDUCE_OPS, grid, grid_params, resolve_threads, sweep, sweep_reduce
    from fastlr.validate import suggest

    if sources:
        raise CLIError(f"unexpected argument(s) {' '.join(map(str, sources[0]))!r}: sweep takes "
                       f"one grid spec file")
    ops: List[str] = []
    if args.reduce is not None:
        ops = [o.strip() for o in args.reduce.split(",") if o.strip()]
        if not ops:
            raise CLIError(f"--reduce: name one or more of {', '.join(REDUCE_OPS)}")
        for o in ops:
            if o not in REDUCE_OPS:
                raise CLIError(f"--reduce: unknown statistic {o!r}{suggest(o, REDUCE_OPS)}; "
                               f"choose from {', '.join(REDUCE_OPS)}")
        if args.output is not None:
            _check_target(args.output, (".csv", ".json"))
    else:
        if args.output is None:
            raise CLIError("-o OUT.npy is required (or --reduce OPS for statistics only)")
        _check_target(args.output, (".npy",))
    data = read_config(args.grid)
    spec = grid_spec(data, args.grid)
    if args.steps is not None:
        steps = args.steps
    elif spec.steps is not None:
        steps = spec.steps
    else:
        raise CLIError(f"{args.grid}: no 'steps' in the spec: pass --steps N")
    start = args.start if args.start is not None else spec.start
    dtype = np.dtype(args.dtype) if args.dtype else spec.dtype
    n, start = _window(steps, start)
    rows = spec.rows
    if ops:
        if n < 1:
            raise CLIError("--reduce needs --steps >= 1")
        resolve_threads(args.threads, rows, n)
    else:
        need = rows * n * dtype.itemsize + 4096
        _check_space(args.output, need, f"{rows:,} x {n:,} values of {dtype.name}")
        block_rows = max(1, min(rows, _SWEEP_BLOCK_VALUES // max(n, 1)))
        block_cols = n if block_rows > 1 else min(n, _SWEEP_BLOCK_VALUES)
        threads = resolve_threads(args.threads, block_rows, max(block_cols, 1))
    table = grid_params(**spec.params)
    scheds = grid(spec.family, **spec.params)
    name = spec.family.__name__
    t0 = time.perf_counter()
    if ops:
        stats = sweep_reduce(scheds, n, ops, start=start, threads=args.threads)
        elapsed = time.perf_counter() - t0
        _write_reduced(args.output, table, ops, stats, stdout)
        print(f"{rows} {name} schedules x {n:,} steps from step {start:,}: {', '.join(ops)} in "
              f"{elapsed:.3f} s" + (f"; wrote {args.output}" if args.output else ""),
              file=stdout if args.output else sys.stderr)
        return 0
    params_path = args.output[: -len(".npy")] + ".params.json"
    out = _Atomic(args.output)
    meta = _Atomic(params_path)
    bar = _progress_bar(rows * n)
    try:
        mm = np.lib.format.open_memmap(out.path, mode="w+", dtype=dtype, shape=(rows, n))
        offset = mm.offset
        del mm
        out.reserve(offset, rows * n * dtype.itemsize)
        for r0 in range(0, rows if n else 0, block_rows):
            r1 = min(rows, r0 + block_rows)
            for c0 in range(0, n, block_cols):
                c1 = min(n, c0 + block_cols)
                if block_rows > 1:  # whole rows: one contiguous window
                    win = np.memmap(out.path, dtype=dtype, mode="r+",
                                    offset=offset + r0 * n * dtype.itemsize, shape=(r1 - r0, n))
                else:
                    win = np.memmap(out.path, dtype=dtype, mode="r+",
                                    offset=offset + (r0 * n + c0) * dtype.itemsize,
                                    shape=(1, c1 - c0))
                try:
                    sweep(scheds[r0:r1], c1 - c0, start=start + c0, dtype=dtype, out=win,
                          threads=args.threads)
                finally:
                    del win
                if bar is not None:
                    bar.update((r1 - r0) * (c1 - c0))
        with os.fdopen(os.dup(meta.fd), "w", encoding="utf-8") as f:
            # one table row per line: the file reads (and diffs) as a table
            def dump(x: Any) -> str:
                return json.dumps(x, default=_json_default)

            head = {"family": name, "n_steps": n, "start": start, "dtype": dtype.name,
                    "shape": [rows, n]}
            f.write(dump(head)[:-1] + ',\n "params": [\n')
            f.write(",\n".join("  " + dump(row) for row in table))
            f.write('\n ],\n "schedules": [\n')
            f.write(",\n".join("  " + dump(x.to_dict()) for x in scheds))
            f.write("\n ]}\n")
        out.commit()
        meta.commit()
    except BaseException:
        out.abort()
        meta.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - t0
    rate = f", {rows * n / elapsed:,.0f} values/s" if elapsed > 0 and n else ""
    print(f"{rows} {name} schedules x {n:,} steps from step {start:,}: "
          f"{rows * n * dtype.itemsize / 1e6:.1f} MB of {dtype.name}", file=stdout)
    print(f"wrote {args.output} in {elapsed:.3f} s ({threads} thread{'s' if threads > 1 else ''}"
          f"{rate}); parameter table: {params_path}", file=stdout)
    return 0


def _write_reduced(path: Optional[str], table: List[Dict[str, Any]], ops: List[str],
                   stats: Dict[str, np.ndarray], stdout: Any) -> None:
    import json

    keys = list(table[0]) if table else []
    if path is None:
        header = keys + ops
        lines = [header] + [[str(row[k]) for k in keys] + [_fmt(stats[o][i]) for o in ops]
                            for i, row in enumerate(table)]
        widths = [max(len(line[j]) for line in lines) for j in range(len(header))]
        for line in lines:
            print("  ".join(c.rjust(w) for c, w in zip(line, widths)), file=stdout)
        return
    out = _Atomic(path)
    try:
        with os.fdopen(os.dup(out.fd), "w", encoding="utf-8", newline="\n") as f:
            if path.lower().endswith(".json"):
                rows = [{**row, **{o: float(stats[o][i]) for o in ops}}
                        for i, row in enumerate(table)]
                f.write(json.dumps(rows, indent=1, default=_json_default) + "\n")
            else:
                f.write(",".join(keys + ops) + "\n")
                for i, row in enumerate(table):
                    f.write(",".join([str(row[k]) for k in keys] +
                                     [_fmt(stats[o][i]) for o in ops]) + "\n")
        out.commit()
    except BaseException:
        out.abort()
        raise


# ------------------------------------------------------------------------------------ list
def _list(stdout: Any) -> int:
    from fastlr.base import aliases, parameters, schedule_classes
    from fastlr.spec import framework_targets

    names = aliases()
    targets = framework_targets()
    for name, cls in sorted(schedule_classes().items()):
        alias = sorted(a for a, target in names.items() if target == name)
        params = ", ".join(f"{k}: {v}" for k, v in parameters(cls).items())
        fw = ", ".join(sorted(targets.get(name, {})))
        print(f"{name}({params})", file=stdout)
        print(f"    aliases: {', '.join(alias) or '-'}" + (f"; framework names: {fw}" if fw else ""),
              file=stdout)
    return 0


# ------------------------------------------------------------------------------------ main
COMMANDS = ("show", "export", "plot", "sweep", "list")

TOP_HELP = """\
usage: fastlr COMMAND ...

Learning-rate schedules from the command line.

commands:
  show     compute a schedule and print a summary (values, horizon, phase boundaries)
  export   write a schedule's values to .npy, .csv or .parquet (atomic, bounded memory)
  plot     draw schedules to .png or .svg
  sweep    a grid of schedules into a .npy matrix, or statistics with --reduce
  list     every schedule family, its aliases and parameters

fastlr COMMAND --help shows a command's options and examples.

examples:
  fastlr show cosine --max-lr 0.1 --total-steps 1M
  fastlr export --spec warmup_cosine.yaml --steps 1M -o lr.npy
  fastlr plot cosine --max-lr 0.1 --total-steps 10k + linear --start-lr 0.1 --end-lr 0 \\
      --total-steps 10k -o compare.png
  fastlr sweep grid.yaml -o lr.npy
"""


def _run(argv: List[str], stdout: Any) -> int:
    from fastlr.validate import suggest

    if not argv or argv[0] in ("-h", "--help"):
        if not argv:
            raise CLIError(f"choose a command: {', '.join(COMMANDS)} (fastlr --help)")
        print(TOP_HELP, end="", file=stdout)
        return 0
    if argv[0] == "--version":
        import fastlr

        print(f"fastlr {fastlr.__version__}", file=stdout)
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        raise CLIError(f"unknown command {command!r}{suggest(command, COMMANDS)}; commands: "
                       f"{', '.join(COMMANDS)}")
    parser = _parser(command)
    if command in ("list",):
        args = parser.parse_args(rest)
        return _list(stdout)
    if command == "sweep":
        opts, sources = _split(command, rest)
        positional = [s for s in sources if not isinstance(s, tuple)]
        grid_tokens = positional[0] if positional else []
        args = parser.parse_args(opts + grid_tokens[:1])
        extra = grid_tokens[1:] + [t for s in positional[1:] for t in s]
        return _sweep(args, [extra] if extra else [], stdout)
    opts, sources = _split(command, rest)
    if any(o in ("-h", "--help") for o in opts):
        parser.print_help(stdout)
        return 0
    args = parser.parse_args(opts)
    for src in sources:
        if isinstance(src, tuple):
            args.spec.append(src[1])
    if command == "show":
        return _show(args, sources, stdout)
    if command == "export":
        return _export(args, sources, stdout)
    return _plot(args, sources, stdout)


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        text = f"{where}: {exc.strerror}" if where else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def main(argv: Optional[Sequence[str]] = None, stdout: Any = None) -> int:
    """Run the command line; returns the exit status (0, 2 for errors, 130 when interrupted).
    Every error is one line on stderr, never a traceback."""
    stdout = stdout or sys.stdout
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    prog = f"fastlr {command}" if command else "fastlr"
    try:
        return _run(argv, stdout)
    except SystemExit as exc:  # argparse's --help
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. fastlr list | head
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except MemoryError as exc:
        print(f"{prog}: error: out of memory: {_message(exc)}", file=sys.stderr)
        return 2
    except RecursionError:
        print(f"{prog}: error: the input is nested too deeply", file=sys.stderr)
        return 2
    except (CLIError, argparse.ArgumentTypeError, TypeError, ValueError, OverflowError,
            ImportError, OSError) as exc:
        print(f"{prog}: error: {_message(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line
        if os.environ.get("FASTLR_TRACEBACK"):
            raise
        print(f"{prog}: internal error ({type(exc).__name__}): {_message(exc)} "
              f"(FASTLR_TRACEBACK=1 shows the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
