"""The ``fastlr`` command.

    fastlr show SCHEDULE --steps N [--PARAM VALUE ...] [--start S] [--dtype float32] [-o FILE]
    fastlr list

SCHEDULE is a class name or alias (``cosine``, ``step``, ``exponential``, ``warmup``,
``cyclical``...). Step counts (``--steps``, ``--total-steps``, ``--start``...) accept ``10000000``,
``1e7``, ``10M``, ``2.5k``, ``1G`` and ``2**20``. ``-o`` writes ``.npy`` (the array) or ``.csv``
(``step,lr`` rows).
"""
from __future__ import annotations

import argparse
import inspect
import re
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

_SUFFIX = {"k": 10**3, "m": 10**6, "g": 10**9, "b": 10**9, "t": 10**12}


def parse_count(text: str) -> int:
    """An integer step count from ``10000000``, ``1e7``, ``10M``, ``2.5k``, ``2**20`` or ``1_000``."""
    s = str(text).strip().replace("_", "").replace(",", "")
    m = re.fullmatch(r"(\d+)\*\*(\d+)", s)
    if m:
        return int(m.group(1)) ** int(m.group(2))
    mult = 1
    if s and s[-1].lower() in _SUFFIX:
        mult = _SUFFIX[s[-1].lower()]
        s = s[:-1]
    if re.fullmatch(r"\d+", s):
        return int(s) * mult
    m = re.fullmatch(r"(\d+)(?:\.(\d*))?(?:[eE]\+?(\d+))?", s)
    if not m:
        raise argparse.ArgumentTypeError(f"not a step count: {text!r} (try 10000000, 1e7 or 10M)")
    whole, frac, exp = m.group(1), m.group(2) or "", int(m.group(3) or 0)
    # exact decimal arithmetic: 2.5e3 is 2500, 1.5 is not an integer
    digits = int(whole + frac)
    scale = 10 ** len(frac)
    value = digits * 10**exp * mult
    if value % scale:
        raise argparse.ArgumentTypeError(f"not a whole number of steps: {text!r}")
    return value // scale


def _param_types(cls: type) -> Dict[str, str]:
    sig = inspect.signature(cls.__init__)
    return {name: str(p.annotation) for name, p in sig.parameters.items() if name != "self"}


def _convert(value: str, annotation: str, name: str) -> Any:
    if annotation == "int":
        return parse_count(value)
    if annotation == "bool":
        low = value.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise argparse.ArgumentTypeError(f"--{name}: expected true/false, got {value!r}")
    if "float" in annotation:
        try:
            return float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--{name}: expected a number, got {value!r}") from None
    return value


def _schedule_from_args(name: str, extra: Sequence[str]) -> Any:
    from fastlr.schedules import lookup

    cls = lookup(name)
    types = _param_types(cls)
    params: Dict[str, Any] = {}
    items = list(extra)
    i = 0
    while i < len(items):
        item = items[i]
        if not item.startswith("--"):
            raise argparse.ArgumentTypeError(f"unexpected argument {item!r}")
        key, eq, val = item[2:].partition("=")
        if not eq:
            if i + 1 >= len(items):
                raise argparse.ArgumentTypeError(f"{item} needs a value")
            val = items[i + 1]
            i += 1
        key = key.replace("-", "_")
        if key not in types:
            known = ", ".join("--" + k.replace("_", "-") for k in types)
            raise argparse.ArgumentTypeError(f"{cls.__name__} has no parameter --{key}; it takes {known}")
        params[key] = _convert(val, types[key], key)
        i += 1
    return cls(**params)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastlr", description="Precompute learning-rate schedules.")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="compute a schedule, print a summary, optionally save it",
                          description="Compute SCHEDULE for --steps steps. Schedule parameters are "
                                      "given as --name value (e.g. --max-lr 0.1 --total-steps 10M).")
    show.add_argument("schedule", help="class name or alias, e.g. cosine, CosineAnnealing")
    show.add_argument("--steps", "-n", type=parse_count, required=True,
                      help="how many steps (10000000, 1e7, 10M)")
    show.add_argument("--start", type=parse_count, default=0, help="first step (default 0)")
    show.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    show.add_argument("-o", "--output", help="write the values to FILE.npy or FILE.csv")
    sub.add_parser("list", help="list the schedules and their parameters")
    return parser


def _fmt(x: float) -> str:
    return repr(float(x))


def _show(args: argparse.Namespace, extra: List[str], stdout: Any) -> int:
    sched = _schedule_from_args(args.schedule, extra)
    n, start = args.steps, args.start
    out = np.empty(n, dtype=args.dtype)
    t0 = time.perf_counter()
    sched.fill(out, start)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    sched.fill(out, start)  # again, into memory the OS has already mapped
    warm = time.perf_counter() - t0
    print(repr(sched), file=stdout)
    per = f", {warm / n * 1e9:.2f} ns/step" if n else ""
    print(f"steps {start:,} … {start + n - 1:,}: {n:,} values, {args.dtype}, "
          f"{out.nbytes / 1e6:.1f} MB", file=stdout)
    print(f"fill: {warm * 1e3:.2f} ms{per} ({cold * 1e3:.2f} ms the first time, when the new "
          f"array's pages are mapped)", file=stdout)
    if n:
        print(f"first {_fmt(out[0])}   last {_fmt(out[-1])}   "
              f"min {_fmt(out.min())}   max {_fmt(out.max())}", file=stdout)
        marks = sorted({start + (n - 1) * k // 4 for k in range(5)})
        print("  " + "   ".join(f"lr[{m:,}] = {_fmt(sched(m))}" for m in marks), file=stdout)
    if args.output:
        path = args.output
        if path.endswith(".npy"):
            np.save(path, out)
        elif path.endswith(".csv"):
            steps = np.arange(start, start + n, dtype=np.int64)
            np.savetxt(path, np.column_stack([steps, out.astype(np.float64)]),
                       fmt=["%d", "%.17g"], delimiter=",", header="step,lr", comments="")
        else:
            raise argparse.ArgumentTypeError(f"-o: use a .npy or .csv file name, got {path!r}")
        print(f"wrote {path}", file=stdout)
    return 0


def _list(stdout: Any) -> int:
    from fastlr.schedules import _ALIASES, _REGISTRY

    for name, cls in sorted(_REGISTRY.items()):
        aliases = sorted(a for a, target in _ALIASES.items() if target == name)
        params = ", ".join(f"{k}: {v}" for k, v in _param_types(cls).items())
        print(f"{name}({params})  aliases: {', '.join(aliases) or '-'}", file=stdout)
    return 0


def main(argv: Optional[Sequence[str]] = None, stdout: Any = None) -> int:
    stdout = stdout or sys.stdout
    parser = _build_parser()
    args, extra = parser.parse_known_args(argv)
    try:
        if args.command == "show":
            return _show(args, extra, stdout)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return _list(stdout)
    except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
        print(f"fastlr: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
