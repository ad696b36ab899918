"""The ``fastlr`` command.

    fastlr show SCHEDULE --steps N [--PARAM VALUE ...] [--start S] [--dtype float32] [-o FILE]
    fastlr sweep SPEC -o OUT.npy [--steps N] [--start S] [--dtype float32] [--threads T]
    fastlr list

SCHEDULE is a class name or alias (``cosine``, ``step``, ``exponential``, ``warmup``,
``cyclical``...). Step counts (``--steps``, ``--total-steps``, ``--start``...) accept ``10000000``,
``1e7``, ``10M``, ``2.5k``, ``1G`` and ``2**20``. ``-o`` writes ``.npy`` (the array) or ``.csv``
(``step,lr`` rows).

``fastlr sweep`` reads a grid from SPEC (``.json``, ``.toml``, or ``.yaml``/``.yml`` with PyYAML)::

    {"family": "cosine", "steps": 1000000,
     "params": {"max_lr": [0.1, 0.3], "total_steps": [1000000], "min_lr": [0.0, 1e-5]}}

and writes the sweep of ``fastlr.grid(family, **params)`` (one row per combination, in
``fastlr.grid_params`` order) to ``OUT.npy`` block by block through a memmap, so the matrix need not
fit in memory, with the parameter table in ``OUT.params.json``. ``steps`` (and the optional
``start`` and ``dtype``) can be given or overridden on the command line. A progress bar goes to
stderr when tqdm is installed and stderr is a terminal (``pip install fastlr[cli]``).
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from fastlr.validate import parse_count as _parse_count
from fastlr.validate import parse_param

def parse_count(text: str) -> int:
    """An integer step count from ``10000000``, ``1e7``, ``10M``, ``2.5k``, ``2**20`` or ``1_000``
    (see :func:`fastlr.validate.parse_count`), as an argparse type."""
    try:
        return _parse_count(text)
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _schedule_from_args(name: str, extra: Sequence[str]) -> Any:
    from fastlr.base import lookup, parameters

    cls = lookup(name)
    types = parameters(cls)
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
        params[key] = parse_param(types[key], val, "--" + key.replace("_", "-"))
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
    sw = sub.add_parser("sweep", help="sweep a grid of schedules into a .npy file",
                        description="Sweep the grid of schedules described by SPEC (JSON, TOML or "
                                    "YAML: family, params, steps) into OUT.npy, with the parameter "
                                    "table in OUT.params.json.")
    sw.add_argument("spec", help="grid spec file: .json, .toml, .yaml/.yml")
    sw.add_argument("-o", "--output", required=True, help="the .npy file to write")
    sw.add_argument("--steps", "-n", type=parse_count, help="how many steps (overrides the spec)")
    sw.add_argument("--start", type=parse_count, help="first step (default: the spec's, or 0)")
    sw.add_argument("--dtype", choices=("float32", "float64"),
                    help="default: the spec's, or float64")
    sw.add_argument("--threads", type=int, default=None,
                    help="threads (default: the CPUs available; 1 serial; -1 all)")
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
    from fastlr.base import aliases, parameters, schedule_classes

    names = aliases()
    for name, cls in sorted(schedule_classes().items()):
        alias = sorted(a for a, target in names.items() if target == name)
        params = ", ".join(f"{k}: {v}" for k, v in parameters(cls).items())
        print(f"{name}({params})  aliases: {', '.join(alias) or '-'}", file=stdout)
    return 0


_SPEC_KEYS = ("family", "params", "steps", "start", "dtype")
_SWEEP_BLOCK_VALUES = 1 << 24  # values per block written to the memmap (128 MB of float64)


def _read_spec(path: str) -> Dict[str, Any]:
    """The spec file as a dict (JSON, TOML, YAML by extension)."""
    low = path.lower()
    try:
        if low.endswith(".json"):
            import json

            with open(path, encoding="utf-8") as f:
                try:
                    spec = json.load(f)
                except ValueError as exc:
                    raise ValueError(f"{path}: not valid JSON: {exc}") from None
        elif low.endswith(".toml"):
            try:
                import tomllib  # type: ignore[import-not-found]
            except ImportError:
                try:
                    import tomli as tomllib  # type: ignore[no-redef]
                except ImportError:
                    raise argparse.ArgumentTypeError(
                        "TOML specs need Python 3.11+ or tomli: pip install tomli "
                        "(or pip install fastlr[cli])") from None
            with open(path, "rb") as f:
                try:
                    spec = tomllib.load(f)
                except ValueError as exc:
                    raise ValueError(f"{path}: not valid TOML: {exc}") from None
        elif low.endswith((".yaml", ".yml")):
            try:
                import yaml
            except ImportError:
                raise argparse.ArgumentTypeError(
                    "YAML specs need PyYAML: pip install pyyaml (or pip install fastlr[cli])"
                ) from None
            with open(path, encoding="utf-8") as f:
                try:
                    spec = yaml.safe_load(f)
                except yaml.YAMLError as exc:
                    raise ValueError(f"{path}: not valid YAML: {exc}") from None
        else:
            raise argparse.ArgumentTypeError(
                f"spec {path!r}: use a .json, .toml, .yaml or .yml file")
    except OSError as exc:
        raise ValueError(f"cannot read spec {path!r}: {exc.strerror or exc}") from None
    if not isinstance(spec, dict):
        raise ValueError(f"{path}: the spec must be a mapping with keys family, params, steps; "
                         f"got {type(spec).__name__}")
    unknown = sorted(set(spec) - set(_SPEC_KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(map(repr, unknown))}; a spec has "
                         f"{', '.join(_SPEC_KEYS)}")
    if not isinstance(spec.get("family"), str):
        raise ValueError(f"{path}: 'family' must name a schedule (e.g. \"cosine\"), "
                         f"got {spec.get('family')!r}")
    if not isinstance(spec.get("params"), dict):
        raise ValueError(f"{path}: 'params' must map parameter names to lists of values, "
                         f"got {spec.get('params')!r}")
    return spec


def _spec_count(value: Any, name: str) -> int:
    if isinstance(value, str):
        return _parse_count(value, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"spec: {name!r} must be a whole number of steps, got {value!r}")
    return value


def _progress_bar(total: int) -> Any:
    """A tqdm bar on stderr, or None when tqdm is missing or stderr is not a terminal."""
    try:
        if not sys.stderr.isatty():
            return None
        from tqdm import tqdm
    except (ImportError, AttributeError, ValueError):
        return None
    return tqdm(total=total, unit="values", unit_scale=True, file=sys.stderr, desc="sweep")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _sweep(args: argparse.Namespace, stdout: Any) -> int:
    import json

    from fastlr.base import lookup
    from fastlr.sweep import grid, grid_params, resolve_threads, sweep, window
    from fastlr.validate import check_dtype

    spec = _read_spec(args.spec)
    if args.steps is not None:
        steps = args.steps
    elif "steps" in spec:
        steps = _spec_count(spec["steps"], "steps")
    else:
        raise ValueError(f"{args.spec}: no 'steps' in the spec: pass --steps N")
    start = args.start if args.start is not None else _spec_count(spec.get("start", 0), "start")
    n, start = window(steps, start)
    dtype = check_dtype(args.dtype or spec.get("dtype", "float64"))
    out_path = args.output
    if not out_path.endswith(".npy"):
        raise argparse.ArgumentTypeError(f"-o: use a .npy file name, got {out_path!r}")
    params_path = out_path[: -len(".npy")] + ".params.json"
    cls = lookup(spec["family"])
    table = grid_params(**spec["params"])
    scheds = grid(cls, **spec["params"])
    rows = len(scheds)
    # Blocks of whole rows, or of one row and part of its steps when a row alone is too long.
    block_rows = max(1, min(rows, _SWEEP_BLOCK_VALUES // max(n, 1)))
    block_cols = n if block_rows > 1 else min(n, _SWEEP_BLOCK_VALUES)
    threads = resolve_threads(args.threads, block_rows, block_cols)  # checked before writing
    try:
        mm = np.lib.format.open_memmap(out_path, mode="w+", dtype=dtype, shape=(rows, n))
    except OSError as exc:
        raise ValueError(f"-o {out_path}: {exc.strerror or exc}") from None
    bar = _progress_bar(rows * n)
    t0 = time.perf_counter()
    try:
        for r0 in range(0, rows if n else 0, block_rows):
            r1 = min(rows, r0 + block_rows)
            for c0 in range(0, n, block_cols):
                c1 = min(n, c0 + block_cols)
                sweep(scheds[r0:r1], c1 - c0, start=start + c0, dtype=dtype,
                      out=mm[r0:r1, c0:c1], threads=args.threads)
                if bar is not None:
                    bar.update((r1 - r0) * (c1 - c0))
        mm.flush()
    finally:
        if bar is not None:
            bar.close()
        del mm
    elapsed = time.perf_counter() - t0
    with open(params_path, "w", encoding="utf-8") as f:
        # one table row per line: the file reads (and diffs) as a table
        def dump(x: Any) -> str:
            return json.dumps(x, default=_json_default)

        head = {"family": cls.__name__, "n_steps": n, "start": start, "dtype": dtype.name,
                "shape": [rows, n]}
        f.write(dump(head)[:-1] + ',\n "params": [\n')
        f.write(",\n".join("  " + dump(row) for row in table))
        f.write('\n ],\n "schedules": [\n')
        f.write(",\n".join("  " + dump(x.to_dict()) for x in scheds))
        f.write("\n ]}\n")
    rate = f", {rows * n / elapsed:,.0f} values/s" if elapsed > 0 and n else ""
    print(f"{rows} {cls.__name__} schedules x {n:,} steps from step {start:,}: "
          f"{rows * n * dtype.itemsize / 1e6:.1f} MB of {dtype.name}", file=stdout)
    print(f"wrote {out_path} in {elapsed:.3f} s ({threads} thread{'s' if threads > 1 else ''}"
          f"{rate}); parameter table: {params_path}", file=stdout)
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
        if args.command == "sweep":
            return _sweep(args, stdout)
        return _list(stdout)
    except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
        print(f"fastlr: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
