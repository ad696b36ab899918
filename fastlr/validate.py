"""Parameter and argument checks. Every check names the parameter and the offending value and runs
before anything is written; the kernels trust what passes. (Checks of ``out`` and of windows live
with the kernels, which both accept and explain them: ``kernels.check_output``,
``kernels.check_window``.)"""
from __future__ import annotations

import difflib
import math
import numbers
import re
from typing import Any, Iterable, Sequence, Tuple

import numpy as np

INT64_MAX = 2**63 - 1

__all__ = ["INT64_MAX", "check_rate", "check_real", "check_steps", "check_step", "check_dtype",
           "check_choice", "check_bool", "check_sequence", "check_step_list", "check_rate_list",
           "check_increasing", "check_power_product", "allocate", "parse_count", "suggest"]


def _describe(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_real(value: object, name: str, *, low: float | None = None, low_open: bool = False,
               high: float | None = None) -> float:
    """A finite real number (not a bool, not a string) within optional bounds, as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    try:
        x = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0
    except OverflowError:  # an int or Fraction beyond the double range (10**400)
        raise ValueError(f"{name} must be finite, got {_short(value)} (beyond the float64 range, "
                         f"about 1.8e308)") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (x <= low if low_open else x < low):
        op = ">" if low_open else ">="
        raise ValueError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and x > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return x


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:28]}...{text[-28:]}"


def check_rate(value: object, name: str) -> float:
    """A learning rate: finite and >= 0."""
    return check_real(value, name, low=0.0)


def check_step(value: object, name: str) -> int:
    """A step index: an integer (not a bool or float) in [0, 2**63 - 1]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    v = int(value)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {v}")
    if v > INT64_MAX:
        raise ValueError(f"{name} must be <= 2**63 - 1, got {v}")
    return v


def check_steps(value: object, name: str, *, minimum: int = 1, maximum: int = INT64_MAX) -> int:
    """A step count (period, horizon): an integer in [minimum, maximum]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    v = int(value)
    if v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    if v > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {v}")
    return v


_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype: object, name: str = "dtype") -> np.dtype:
    """float32 or float64 (anything np.dtype understands that means one of them)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}") from None
    if dt not in _DTYPES or not dt.isnative:
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}")
    return np.dtype(dt.type)


def suggest(name: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of `choices`, or ``""``."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """One of the strings `choices`."""
    if not isinstance(value, str) or value not in choices:
        hint = suggest(value, choices) if isinstance(value, str) else ""
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got "
                         f"{value!r}{hint}")
    return value


def check_bool(value: Any, name: str) -> bool:
    """A bool (Python or numpy), not an int or a string."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {_describe(value)}")
    return bool(value)


def check_sequence(values: Any, name: str, what: str) -> list:
    """A list from an ordered sequence (list, tuple, 1-D array): not a string, a dict, a set or a
    0-d array (whose order or length means nothing)."""
    if isinstance(values, (str, bytes, dict, set, frozenset)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of {what}, got {values!r} "
                        f"({type(values).__name__})")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise TypeError(f"{name} must be a 1-D sequence of {what}, got an array of shape "
                        f"{values.shape}")
    return list(values)


def check_step_list(values: Any, name: str, *, minimum: int = 0) -> Tuple[int, ...]:
    """A sequence of step counts, each checked with its index in the name."""
    return tuple(check_steps(v, f"{name}[{i}]", minimum=minimum)
                 for i, v in enumerate(check_sequence(values, name, "integers")))


def check_rate_list(values: Any, name: str) -> Tuple[float, ...]:
    """A sequence of rates, each checked with its index in the name."""
    return tuple(check_rate(v, f"{name}[{i}]")
                 for i, v in enumerate(check_sequence(values, name, "rates")))


_LOG_DBL_MAX = math.log(1.7976931348623157e308)


def check_power_product(lr: float, gamma: float, k: int, what: str) -> float:
    """``lr * gamma**k`` (k >= 0) as a finite double, computed as ``lr * gamma**k`` in float
    arithmetic when ``gamma**k`` is a double and exactly (rounded once) when only ``gamma**k``
    leaves the double range; a ValueError naming `what` (the parameters that produce it) when the
    product itself is not finite."""
    try:
        g = gamma ** k
    except OverflowError:
        g = math.inf
    v = lr * g
    if math.isfinite(v) and math.isfinite(g):
        return v
    if lr == 0.0:
        return 0.0
    if math.log(lr) + k * math.log(gamma) < _LOG_DBL_MAX + 1.0:
        from fractions import Fraction

        try:
            return float(Fraction(lr) * Fraction(gamma) ** k)
        except OverflowError:
            pass
    raise ValueError(f"{what}: lr * gamma**k = {lr!r} * {gamma!r}**{k} overflows the float64 range "
                     f"(about 1.8e308); the schedule would reach inf")


def allocate(shape: Any, dtype: np.dtype, name: str = "n") -> np.ndarray:
    """``np.empty(shape, dtype)``, or a MemoryError naming `name`, the shape and the size in bytes
    (numpy's own errors for an impossible size are a MemoryError or "array is too big")."""
    try:
        return np.empty(shape, dtype=dtype)
    except (MemoryError, ValueError):
        dims = shape if isinstance(shape, tuple) else (shape,)
        size = math.prod(dims) * np.dtype(dtype).itemsize
        raise MemoryError(f"{name}: {' x '.join(map(str, dims))} values of {np.dtype(dtype)} need "
                          f"{size:,} bytes, more than this process can allocate; fill a smaller "
                          f"window at a time (start=...) or into a np.memmap") from None


def check_increasing(values: Sequence[Any], name: str) -> None:
    """Strictly increasing."""
    if any(x >= y for x, y in zip(values, values[1:])):
        raise ValueError(f"{name} must be strictly increasing, got {list(values)}")


_SUFFIX = {"k": 10**3, "m": 10**6, "g": 10**9, "b": 10**9, "t": 10**12}
_COUNT_DIGITS = 40   # no step count has more digits: longer texts are refused before any arithmetic


def parse_count(text: Any, name: str = "steps") -> int:
    """An integer step count from ``10000000``, ``1e7``, ``10M``, ``2.5k``, ``2**20``, ``1_000``
    (or an int). Bounded: the text is checked against 2**63 - 1 before any big arithmetic, so
    ``9**99999999999`` or ``1e99999999999`` fail at once. Raises ValueError naming `name`."""
    if isinstance(text, (int, np.integer)) and not isinstance(text, (bool, np.bool_)):
        return check_step(text, name)
    if isinstance(text, float) and text.is_integer():
        return check_step(int(text), name)
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a step count (an integer or a string such as '1M'), "
                        f"got {_describe(text)}")
    s = text.strip().replace("_", "").replace(",", "")
    if len(s) > _COUNT_DIGITS:
        raise ValueError(f"{name}: not a step count: {text[:50]!r}... (too long)")
    m = re.fullmatch(r"(\d+)\*\*(\d+)", s)
    if m:
        base, exp = int(m.group(1)), int(m.group(2))
        if base > 1 and exp * math.log2(base) > 64:
            raise ValueError(f"{name}: {text!r} is more than 2**63 - 1 steps")
        return check_step(base**exp, name)
    mult = 1
    if s and s[-1].lower() in _SUFFIX:
        mult = _SUFFIX[s[-1].lower()]
        s = s[:-1]
    m = re.fullmatch(r"(\d+)(?:\.(\d*))?(?:[eE]\+?(\d+))?", s)
    if not m:
        raise ValueError(f"{name}: not a step count: {text!r} (try 10000000, 1e7 or 10M)")
    whole, frac, exp = m.group(1), m.group(2) or "", int(m.group(3) or 0)
    if len(whole.lstrip("0")) + exp > 20:
        raise ValueError(f"{name}: {text!r} is more than 2**63 - 1 steps")
    # exact decimal arithmetic: 2.5e3 is 2500, 1.5 is not an integer
    value = int(whole + frac) * 10**exp * mult
    scale = 10 ** len(frac)
    if value % scale:
        raise ValueError(f"{name}: not a whole number of steps: {text!r}")
    return check_step(value // scale, name)


_PARAM_CHARS = 200   # a number or a comma-separated list of them is never longer
_NESTED_KINDS = ("schedule", "schedule_list", "steps_list", "rate_list")


def _digits(value: int) -> int:
    """The number of decimal digits of a (huge) integer, without converting it to text."""
    bits = abs(value).bit_length()
    return max(1, int(bits * 0.30102999566398120) + 1)


PARAM_KINDS = ("rate", "real", "steps", "bool", "choice", "steps_list", "rate_list", "schedule",
               "schedule_list")


def parse_param(kind: str, value: Any, name: str) -> Any:
    """A parameter value of ``kind`` (see :func:`fastlr.base.parameters`) from a string (command
    line, YAML/TOML/JSON configs) or a value that is already typed. Strings: rates and reals as
    ``"3e-4"``; step counts as ``"1M"``, ``"1e6"``, ``"2**20"``; lists comma-separated
    (``"30k,60k"``); bools ``true/false/yes/no/1/0``; schedules as JSON dicts. A kind ending in
    ``"?"`` also takes ``None``/``"none"``. The class's own checks run afterwards; this only
    converts."""
    if kind.endswith("?"):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
            return None
        kind = kind[:-1]
    if isinstance(value, str) and len(value) > _PARAM_CHARS and kind not in _NESTED_KINDS:
        raise ValueError(f"{name}: {value[:40]!r}... is too long ({len(value)} characters) for a "
                         f"{kind} parameter")
    if isinstance(value, int) and not isinstance(value, bool):
        # refused by size, with the number of digits, not printed or converted
        if kind in ("rate", "real") and abs(value) >= 2**1024:
            raise ValueError(f"{name}: a {_digits(value)}-digit integer is too large for a "
                             f"floating-point number")
        if kind == "steps" and value > INT64_MAX:
            raise ValueError(f"{name} must be <= 2**63 - 1, got a {_digits(value)}-digit integer"
                             if value >= 10**30 else f"{name} must be <= 2**63 - 1, got {value}")
    if kind in ("rate", "real"):
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise ValueError(f"{name} must be a number, got {value!r}") from None
        return value
    if kind == "steps":
        return parse_count(value, name) if isinstance(value, (str, float)) else value
    if kind == "bool":
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{name} must be true or false, got {value!r}")
        return value
    if kind in ("steps_list", "rate_list"):
        item = "steps" if kind == "steps_list" else "rate"
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()] if value.strip() else []
        if isinstance(value, (list, tuple)):
            return [parse_param(item, v, f"{name}[{i}]") for i, v in enumerate(value)]
        return value
    if kind in ("schedule", "schedule_list") and isinstance(value, str):
        import json

        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValueError(f"{name} must be a schedule as a JSON dict such as "
                             f"'{{\"schedule\": \"cosine\", \"max_lr\": 0.1, ...}}': {exc}") from None
    return value
