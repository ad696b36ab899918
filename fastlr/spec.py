"""Schedules from configuration files and plain dicts: :func:`from_spec`, :func:`load_spec`,
:func:`read_config`, and the sweep grids of ``fastlr sweep`` (:func:`grid_spec`).

A spec is the dict :meth:`Schedule.to_dict` writes — ``{"schedule": name, **parameters}``, nested
schedules as nested dicts — written by hand in JSON, TOML or YAML::

    # warmup then cosine, YAML
    schedule: with_warmup
    warmup_steps: 2k
    inner:
      schedule: cosine
      max_lr: 3e-4          # YAML 1.1 reads this as a string: numbers may be strings
      total_steps: 1M       # every step count takes 1000000, 1e6, "1M", "10k", "2**20"
      min_lr: 1e-5

Names are class names or aliases (``"cosine"``, ``"CosineAnnealing"``, ``"wsd"``); parameters are
converted by their kind (:func:`fastlr.base.parameters`, :func:`fastlr.validate.parse_param`): rates
and reals from numbers or numeric strings, step counts from integers, integral floats (``1e6``) or
strings (``"1M"``, ``"2.5k"``, ``"2**20"``), lists as lists or comma-separated strings
(``"30k,60k,90k"``). Then the class checks them as usual. Unknown names and keys are errors that
list the valid ones and suggest the closest; a missing parameter is named.

**Framework names.** ``{"framework": "transformers", "name": "cosine", "num_warmup_steps": 2000,
...}`` (and timm's ``{"sched": "cosine", ...}``, which means ``framework: timm``) build the
schedule with the constructor ``name`` of the module ``fastlr.compat.<framework>``, imported on
first use. Such a module lists its constructors in ``CONSTRUCTORS`` (a dict name -> callable)
or, failing that, in ``__all__``; it may declare ``TARGETS`` or ``FASTLR_NAMES`` (name -> the
fastlr class name(s) it builds) for
``fastlr list``. The other keys are the constructor's keyword arguments, converted by their
annotations (``int`` -> a step count, ``float`` -> a real, ``bool``; ``Optional[...]`` may be
None); a string for a parameter without annotation becomes an integer if it is a step count
(``"10k"``), a float if it is a number (``"1e-3"``), else stays a string.

**Bounds.** Specs come from files: the structure is checked before anything is built. At most
:data:`MAX_DEPTH` levels of nested mappings and lists and :data:`MAX_NODES` values in all (counting
every use of a YAML anchor: a "billion laughs" document is refused, not expanded), no container
that contains itself, no file larger than :data:`MAX_FILE_BYTES`, and no integer beyond what a
parameter can hold (refused by its number of digits). Every violation is a ValueError — never a
RecursionError or MemoryError.
"""
from __future__ import annotations

import importlib
import inspect
import itertools
import math
import os
import pkgutil
import re
import sys
from typing import Any, Dict, List, NamedTuple, Optional

import numpy as np

from fastlr.base import Schedule, lookup, parameters
from fastlr.validate import check_dtype, parse_count, parse_param, suggest

__all__ = ["from_spec", "load_spec", "read_config", "frameworks", "framework_constructors",
           "framework_targets", "grid_spec", "GridSpec", "MAX_DEPTH", "MAX_NODES",
           "MAX_FILE_BYTES", "MAX_GRID_ROWS", "CONFIG_SUFFIXES"]

#: Nesting levels of mappings and lists a spec may have (a WithWarmup around a Join of schedules
#: is 4).
MAX_DEPTH = 32
#: Values (mappings, lists and scalars, each use of a YAML alias counted) a spec may hold.
MAX_NODES = 100_000
#: Largest spec file read.
MAX_FILE_BYTES = 16 * 2**20
#: Rows (schedules) a sweep grid may expand to.
MAX_GRID_ROWS = 100_000
#: Config file formats by extension.
CONFIG_SUFFIXES = (".json", ".toml", ".yaml", ".yml")

_CLI_HINT = 'pip install "fastlr-schedules[cli]"'


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


# ------------------------------------------------------------------------------------ reading
def read_config(path: Any) -> Any:
    """The data of a ``.json``, ``.toml`` or ``.yaml``/``.yml`` file (by extension), as plain
    Python values (YAML through ``yaml.safe_load``: no arbitrary objects).

    Raises ValueError for an unknown extension, a file larger than :data:`MAX_FILE_BYTES` or a
    syntax error (with the parser's message on one line), ImportError naming the package to install
    for YAML (PyYAML) or TOML before Python 3.11 (tomli), OSError when the file cannot be read.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path, got {type(path).__name__}")
    name = os.fspath(path)
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in CONFIG_SUFFIXES:
        raise ValueError(f"{name!r}: use a .json, .toml, .yaml or .yml file")
    try:
        return _read(name, suffix)
    except OSError as exc:
        if exc.strerror is None or exc.filename is None:
            raise
        raise type(exc)(exc.errno, f"cannot read spec: {exc.strerror}", exc.filename) from None


def _read(name: str, suffix: str) -> Any:
    size = os.stat(name).st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{name}: {size:,} bytes is larger than a spec may be "
                         f"({MAX_FILE_BYTES:,} bytes)")
    if suffix == ".json":
        import json

        with open(name, encoding="utf-8") as f:
            text = f.read()
        try:
            return json.loads(text)
        except RecursionError:
            raise ValueError(f"{name}: not valid JSON: nested more than {MAX_DEPTH} levels "
                             f"deep") from None
        except ValueError as exc:
            raise ValueError(f"{name}: not valid JSON: {_one_line(exc)}") from None
    if suffix == ".toml":
        try:
            import tomllib  # type: ignore[import-not-found]
        except ImportError:
            try:
                import tomli as tomllib  # type: ignore[no-redef]
            except ImportError:
                raise ImportError(f"TOML specs need Python 3.11+ or tomli: pip install tomli "
                                  f"(or {_CLI_HINT})") from None
        with open(name, "rb") as f:
            data = f.read()
        try:
            return tomllib.loads(data.decode("utf-8"))
        except RecursionError:
            raise ValueError(f"{name}: not valid TOML: nested too deeply") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"{name}: not valid TOML: {_one_line(exc)}") from None
    try:
        import yaml
    except ImportError:
        raise ImportError(f"YAML specs need PyYAML: pip install pyyaml (or {_CLI_HINT})") from None
    with open(name, encoding="utf-8") as f:
        text = f.read()
    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise ValueError(f"{name}: not valid YAML: nested too deeply") from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise ValueError(f"{name}: not valid YAML: {_one_line(exc)}") from None


def load_spec(path: Any) -> Schedule:
    """The schedule described by a ``.json``, ``.toml`` or ``.yaml`` file (see :func:`from_spec`
    and :func:`read_config`). Errors name the file."""
    data = read_config(path)
    try:
        return from_spec(data)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{os.fspath(path)}: {exc}") from None


# ------------------------------------------------------------------------------------ bounds
def _check_structure(obj: Any, what: str = "spec") -> None:
    """Depth, size and self-reference of nested dicts/lists, walked once before any use."""
    count = 0
    on_path: set = set()

    def walk(x: Any, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise ValueError(f"{what} has more than {MAX_NODES:,} values (repeated YAML aliases "
                             f"count each time they are used)")
        if isinstance(x, (dict, list, tuple)):
            if depth >= MAX_DEPTH:
                raise ValueError(f"{what} is nested more than {MAX_DEPTH} levels deep")
            if id(x) in on_path:
                raise ValueError(f"{what} contains itself (a self-referential "
                                 f"{type(x).__name__})")
            on_path.add(id(x))
            for item in (x.values() if isinstance(x, dict) else x):
                walk(item, depth + 1)
            on_path.discard(id(x))

    walk(obj, 0)


# ------------------------------------------------------------------------------------ building
def from_spec(obj: Any) -> Schedule:
    """The schedule a spec dict describes (the format of :meth:`Schedule.to_dict`, with strings
    for numbers and suffixed step counts allowed, and framework names; see the module docstring).

    ``from_spec(s.to_dict()) == s`` for every schedule. A Schedule is returned as it is.
    """
    if isinstance(obj, Schedule):
        return obj
    _check_structure(obj)
    return _build(obj, "")


def _at(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


def _build(obj: Any, where: str) -> Schedule:
    if isinstance(obj, Schedule):
        return obj
    if not isinstance(obj, dict):
        raise TypeError(f"{_prefix(where)}a schedule spec must be a mapping such as "
                        f"{{\"schedule\": \"cosine\", \"max_lr\": 0.1, \"total_steps\": \"10k\"}}, "
                        f"got {_short(obj)} ({type(obj).__name__})")
    if "framework" in obj or ("sched" in obj and "schedule" not in obj):
        return _build_framework(obj, where)
    if "schedule" not in obj:
        raise ValueError(f"{_prefix(where)}the spec has no 'schedule' key naming the schedule "
                         f"(e.g. \"schedule\": \"cosine\"); "
                         f"{'its keys are ' + ', '.join(map(repr, obj)) if obj else 'it is empty'}")
    name = obj["schedule"]
    if not isinstance(name, str):
        raise TypeError(f"{_prefix(where)}'schedule' must name a schedule (e.g. \"cosine\"), "
                        f"got {_short(name)}")
    try:
        cls = lookup(name)
    except ValueError as exc:
        raise ValueError(f"{_prefix(where)}{exc}") from None
    kinds = parameters(cls)
    given = {k: v for k, v in obj.items() if k != "schedule"}
    for key in given:
        if key not in kinds:
            raise ValueError(f"{_prefix(where)}{cls.__name__} has no parameter {key!r}"
                             f"{suggest(str(key), kinds)}; it takes {', '.join(kinds)}")
    missing = [k for k in _required(cls.__init__) if k not in given]
    if missing:
        raise ValueError(f"{_prefix(where)}{cls.__name__} needs {_and(missing)} (missing); it "
                         f"takes {', '.join(kinds)}")
    kwargs = {k: _convert(kinds[k], v, _at(where, k)) for k, v in given.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        if type(exc) not in (TypeError, ValueError) or not where:
            raise
        raise type(exc)(f"{where}: {exc}") from None


def _convert(kind: str, value: Any, name: str) -> Any:
    """A parameter value of `kind` from a spec value: nested schedules are built by from_spec."""
    base = kind.rstrip("?")
    if kind.endswith("?") and (value is None or (isinstance(value, str) and
                                                 value.strip().lower() in ("none", "null"))):
        return None
    if base == "schedule":
        if isinstance(value, str):
            value = parse_param(base, value, name)
            _check_structure(value, name)
        return _build(value, name)
    if base == "schedule_list":
        if isinstance(value, str):
            value = parse_param(base, value, name)
            _check_structure(value, name)
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{name} must be a list of schedule specs, got {_short(value)} "
                            f"({type(value).__name__})")
        return [_build(v, f"{name}[{i}]") for i, v in enumerate(value)]
    scalar = base not in ("steps_list", "rate_list")
    if isinstance(value, (dict, set)) or (scalar and isinstance(value, (list, tuple))):
        raise TypeError(f"{name} must be a {_KIND_WORDS.get(base, base)}, got {_short(value)} "
                        f"({type(value).__name__})")
    return parse_param(kind, value, name)


_KIND_WORDS = {"rate": "rate (a number >= 0)", "real": "number", "steps": "step count",
               "bool": "bool", "choice": "string", "steps_list": "list of step counts",
               "rate_list": "list of rates"}


def _required(fn: Any) -> List[str]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return []
    return [p.name for p in sig.parameters.values()
            if p.default is p.empty and p.name != "self"
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _and(names: List[str]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------------------------------ frameworks
_FRAMEWORK_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def frameworks() -> List[str]:
    """The framework names :func:`from_spec` can dispatch to: the modules of ``fastlr.compat``
    (none when that subpackage is absent), and any ``fastlr.compat.<name>`` already imported."""
    found = set()
    try:
        compat = importlib.import_module("fastlr.compat")
    except ImportError:
        compat = None
    if compat is not None and getattr(compat, "__path__", None):
        found.update(m.name for m in pkgutil.iter_modules(compat.__path__)
                     if not m.name.startswith("_"))
    for mod in list(sys.modules):
        if mod.startswith("fastlr.compat.") and mod.count(".") == 2:
            leaf = mod.rsplit(".", 1)[1]
            if not leaf.startswith("_") and sys.modules[mod] is not None:
                found.add(leaf)
    return sorted(found)


def _framework_module(framework: Any) -> Any:
    if not isinstance(framework, str) or not _FRAMEWORK_NAME.fullmatch(framework):
        raise ValueError(f"'framework' must be a framework name such as \"transformers\", got "
                         f"{_short(framework)}")
    known = frameworks()
    modname = f"fastlr.compat.{framework}"
    try:
        return importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name not in (modname, "fastlr.compat"):
            raise  # the compat module itself needs a package that is missing
        listing = ", ".join(known) if known else "none in this version of fastlr"
        raise ValueError(f"unknown framework {framework!r}{suggest(framework, known)}; known "
                         f"frameworks: {listing}") from None


def framework_constructors(framework: str) -> Dict[str, Any]:
    """name -> constructor of a framework module (its ``CONSTRUCTORS``, or its ``__all__``)."""
    module = _framework_module(framework)
    table = getattr(module, "CONSTRUCTORS", None)
    if table is None:
        table = {n: getattr(module, n) for n in getattr(module, "__all__", ())
                 if callable(getattr(module, n, None))}
    return dict(table)


def framework_targets() -> Dict[str, Dict[str, str]]:
    """For ``fastlr list``: fastlr class name -> {"framework:name": ...} from the ``TARGETS`` of
    the framework modules that declare them (modules that cannot be imported are skipped)."""
    out: Dict[str, Dict[str, str]] = {}
    for fw in frameworks():
        try:
            module = _framework_module(fw)
        except (ImportError, ValueError):
            continue
        table = dict(getattr(module, "TARGETS", None) or getattr(module, "FASTLR_NAMES", None)
                     or {})
        for name, targets in table.items():
            if isinstance(targets, str):
                targets = [t for part in targets.split("/") for t in part.split(",")]
            elif not isinstance(targets, (list, tuple)):
                targets = [targets]
            for target in targets:
                key = target.strip() if isinstance(target, str) else \
                    getattr(target, "__name__", str(target))
                try:
                    key = lookup(key).__name__
                except ValueError:
                    continue  # a composition or a note, not a class name
                out.setdefault(key, {})[f"{fw}:{name}"] = name
    return out


_ANNOTATION_KINDS = {"int": "steps", "float": "real", "bool": "bool", "str": "choice"}


def _annotation_kind(annotation: Any) -> Optional[str]:
    """A parameter kind from a constructor's annotation (string or type), or None."""
    if annotation is inspect.Parameter.empty:
        return None
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__",
                                                                  str(annotation))
    text = text.replace("typing.", "").replace(" ", "").strip("'\"")
    optional = False
    m = re.fullmatch(r"Optional\[(\w+)\]", text)
    if m:
        text, optional = m.group(1), True
    else:
        parts = text.split("|")
        if len(parts) == 2 and "None" in parts:
            text, optional = [p for p in parts if p != "None"][0], True
    kind = _ANNOTATION_KINDS.get(text)
    if kind is None:
        return None
    return kind + "?" if optional else kind


def _guess(value: Any) -> Any:
    """A string for a parameter without an annotation: an integer if it is a step count
    (``"100"``, ``"10k"``), a float if it is a number (``"1e-3"``), else the string."""
    if not isinstance(value, str) or len(value) > 200:
        return value
    try:
        return parse_count(value)
    except (TypeError, ValueError):
        pass
    try:
        x = float(value)
    except ValueError:
        return value
    return x if math.isfinite(x) else value


def _build_framework(obj: Dict[str, Any], where: str) -> Schedule:
    rest = dict(obj)
    framework = rest.pop("framework", "timm")
    if "sched" in rest:
        if "name" in rest:
            raise ValueError(f"{_prefix(where)}give the framework's schedule as 'name' or (timm) "
                             f"'sched', not both")
        name = rest.pop("sched")
    elif "name" in rest:
        name = rest.pop("name")
    else:
        raise ValueError(f"{_prefix(where)}a framework spec needs 'name', the framework's "
                         f"schedule name (e.g. \"framework\": \"transformers\", \"name\": "
                         f"\"cosine\")")
    try:
        table = framework_constructors(framework)
    except ValueError as exc:
        raise ValueError(f"{_prefix(where)}{exc}") from None
    if not isinstance(name, str) or name not in table:
        names = sorted(table)
        hint = suggest(name, names) if isinstance(name, str) else ""
        raise ValueError(f"{_prefix(where)}{framework} has no schedule {_short(name)}{hint}; "
                         f"it has {', '.join(names) or 'none'}")
    fn = table[name]
    label = f"{framework}:{name}"
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover
        sig = None
    kinds: Dict[str, Optional[str]] = {}
    open_kwargs = False
    if sig is not None:
        for p in sig.parameters.values():
            if p.kind is p.VAR_KEYWORD:
                open_kwargs = True
            elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                kinds[p.name] = _annotation_kind(p.annotation)
        for key in rest:
            if key not in kinds and not open_kwargs:
                raise ValueError(f"{_prefix(where)}{label} has no parameter {key!r}"
                                 f"{suggest(str(key), kinds)}; it takes {', '.join(kinds)}")
        missing = [k for k in _required(fn) if k not in rest]
        if missing:
            raise ValueError(f"{_prefix(where)}{label} needs {_and(missing)} (missing); it "
                             f"takes {', '.join(kinds)}")
    kwargs = {}
    for key, value in rest.items():
        kind = kinds.get(key)
        kwargs[key] = _guess(value) if kind is None else _convert(kind, value, _at(where, key))
    result = fn(**kwargs)
    if not isinstance(result, Schedule):
        raise TypeError(f"{_prefix(where)}{label} returned {_short(result)}, not a fastlr "
                        f"schedule")
    return result


# ------------------------------------------------------------------------------------ grids
class GridSpec(NamedTuple):
    """A validated sweep grid (see :func:`grid_spec`)."""
    family: type                       # the schedule class
    params: Dict[str, List[Any]]       # parameter -> list of converted values, in the given order
    rows: int                          # the product of the list lengths
    steps: Optional[int]               # None when the spec has none
    start: int
    dtype: np.dtype


GRID_KEYS = ("family", "params", "steps", "start", "dtype")


def grid_spec(obj: Any, where: str = "spec") -> GridSpec:
    """Validate a sweep grid spec before anything is expanded::

        {"family": "cosine", "steps": "1M", "start": 0, "dtype": "float32",
         "params": {"max_lr": [0.1, "3e-1"], "total_steps": ["1M"], "min_lr": [0, 1e-5]}}

    Checks, in this order, without building a single schedule: the structure
    (:func:`from_spec`'s bounds), the keys, the family name, each parameter name, that each list
    is a non-empty list, the number of rows (the product of the list lengths, at most
    :data:`MAX_GRID_ROWS`), then each value (converted by its parameter's kind, so ``"3e-4"`` and
    ``"1M"`` work here too). Errors name the key, the value and the closest valid name.
    """
    _check_structure(obj, where)
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: the spec must be a mapping with keys family, params, steps; "
                         f"got {type(obj).__name__}")
    for key in obj:
        if key not in GRID_KEYS:
            raise ValueError(f"{where}: unknown key {key!r}{suggest(str(key), GRID_KEYS)}; a grid "
                             f"spec has {', '.join(GRID_KEYS)}")
    family = obj.get("family")
    if not isinstance(family, str):
        raise ValueError(f"{where}: 'family' must name a schedule (e.g. \"cosine\"), got "
                         f"{_short(family)}")
    cls = lookup(family)
    kinds = parameters(cls)
    params = obj.get("params")
    if not isinstance(params, dict):
        raise ValueError(f"{where}: 'params' must map parameter names to lists of values, got "
                         f"{_short(params)}")
    for key, values in params.items():
        if key not in kinds:
            raise ValueError(f"{where}: {cls.__name__} has no parameter {key!r}"
                             f"{suggest(str(key), kinds)}; it takes {', '.join(kinds)}")
        if not isinstance(values, list):
            raise ValueError(f"{where}: params.{key} must be a list of values, got "
                             f"{_short(values)}; wrap a single value in a list: [{_short(values)}]")
        if not values:
            raise ValueError(f"{where}: params.{key} is an empty list: the grid would have no rows")
    missing = [k for k in _required(cls.__init__) if k not in params]
    if missing:
        raise ValueError(f"{where}: {cls.__name__} needs {_and(missing)}: give a list of values "
                         f"for each in 'params'")
    rows = 1
    for values in params.values():
        rows *= len(values)
        if rows > MAX_GRID_ROWS:
            sizes = " x ".join(str(len(v)) for v in params.values())
            raise ValueError(f"{where}: the grid has {sizes} = {math.prod(len(v) for v in params.values()):,} "
                             f"rows, more than {MAX_GRID_ROWS:,}; sweep it in parts")
    converted = {key: [_convert(kinds[key], v, f"params.{key}[{i}]") for i, v in enumerate(values)]
                 for key, values in params.items()}
    steps = None
    if "steps" in obj:
        steps = _count(obj["steps"], "steps", where)
    start = _count(obj.get("start", 0), "start", where)
    dtype = check_dtype(obj.get("dtype", "float64"))
    return GridSpec(cls, converted, rows, steps, start, dtype)


def _count(value: Any, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str, float)):
        raise ValueError(f"{where}: {name!r} must be a whole number of steps, got {_short(value)}")
    try:
        return parse_count(value, name)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {name!r} must be a whole number of steps: {exc}") from None


def grid_rows(spec: GridSpec) -> List[Dict[str, Any]]:
    """The rows of a validated grid (``itertools.product`` order, as :func:`fastlr.grid_params`)."""
    names = list(spec.params)
    return [dict(zip(names, combo)) for combo in itertools.product(*spec.params.values())]
