"""Parameter and argument checks. Every check names the parameter and the offending value and runs
before anything is written; the kernels trust what passes."""
from __future__ import annotations

import math
import numbers

import numpy as np

INT64_MAX = 2**63 - 1

__all__ = ["check_rate", "check_real", "check_steps", "check_step", "check_out", "check_dtype"]


def _describe(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_real(value: object, name: str, *, low: float | None = None, low_open: bool = False,
               high: float | None = None) -> float:
    """A finite real number (not a bool, not a string) within optional bounds, as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    x = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (x <= low if low_open else x < low):
        op = ">" if low_open else ">="
        raise ValueError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and x > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return x


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


def check_out(out: object, name: str = "out", ndim: int = 1) -> np.ndarray:
    """Raise the precise error for an `out` the kernels cannot write; return it if it is fine."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {out.shape}")
    if out.dtype.type not in (np.float32, np.float64):
        raise TypeError(f"{name} must have dtype float32 or float64, got {out.dtype}")
    if not out.dtype.isnative:
        raise ValueError(f"{name} must be in native byte order, got dtype {out.dtype.str!r}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous, got strides {out.strides}")
    if not out.flags.aligned:
        raise ValueError(f"{name} must be aligned to its itemsize; its data address is misaligned")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return out


def check_window(start: int, n: int, name: str = "start") -> None:
    if n > 0 and start > INT64_MAX - (n - 1):
        raise ValueError(f"{name}={start} with {n} steps: the last step {start + n - 1} would pass "
                         f"2**63 - 1")


def check_out_rows(out: object, name: str = "out") -> np.ndarray:
    """Like ``check_out(out, name, ndim=2)``, but only the rows need be contiguous, not the whole
    array: a column block ``wide[:, c:c + n]`` of a C-contiguous array passes. Rows must not
    overlap. Raises the precise error; returns `out` if it is fine."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got an array of shape {out.shape}")
    if out.dtype.type not in (np.float32, np.float64):
        raise TypeError(f"{name} must have dtype float32 or float64, got {out.dtype}")
    if not out.dtype.isnative:
        raise ValueError(f"{name} must be in native byte order, got dtype {out.dtype.str!r}")
    rows, cols = out.shape
    if cols > 1 and out.strides[1] != out.itemsize:
        raise ValueError(f"{name} must have contiguous rows (strides[1] == itemsize "
                         f"{out.itemsize}), got strides {out.strides}")
    if rows > 1 and cols > 0 and (out.strides[0] < cols * out.itemsize
                                  or out.strides[0] % out.itemsize):
        raise ValueError(f"{name} rows must not overlap (strides[0] >= {cols * out.itemsize}, a "
                         f"multiple of {out.itemsize}), got strides {out.strides}")
    if not out.flags.aligned:
        raise ValueError(f"{name} must be aligned to its itemsize; its data address is misaligned")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return out
