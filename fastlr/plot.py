"""Plot learning-rate schedules with matplotlib, long horizons included (``pip install "fastlr-schedules[plot]"``).

A schedule over ``n`` steps is drawn on the axes' pixel columns: when ``n`` is at most twice the
number of columns every step is a point of the line; otherwise the steps are split into one bin per
pixel column and each bin is drawn as its **min–max band** (``fill_between``) with a line through
the **bin mean** (the average learning rate over the bin's steps). A 10^7-step cyclical schedule
therefore shows its full range instead of an aliased sample of it.

The bins are computed by :func:`envelope`, which evaluates a schedule chunk by chunk into one
reusable buffer (``schedule.fill(buf, start)``) and reduces each chunk with
``np.minimum.reduceat`` / ``np.maximum.reduceat`` / ``np.add.reduceat``: memory is one chunk, not
``n`` values. :func:`envelope` needs only numpy; :func:`plot` and :func:`save_plot` import
matplotlib when called.

Steps follow fastlr's convention: the value at step ``t`` (``t >= 0``) is the learning rate of the
(t+1)-th optimizer update; a plot of ``n_steps`` steps from ``start`` shows steps
``start … start+n_steps-1`` on the x axis.

Only matplotlib's object API is used (``matplotlib.figure.Figure`` with an Agg canvas, never
``pyplot``): no global state, no window, safe in threads and on headless machines.
"""
from __future__ import annotations

import inspect
import math
import numbers
import os
import secrets
import sys
import types
from pathlib import Path
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from fastlr.schedules import Schedule

__all__ = ["plot", "save_plot", "envelope", "Envelope", "SAVE_FORMATS"]

#: File formats :func:`save_plot` writes (by the path's extension, case-insensitive).
SAVE_FORMATS: Tuple[str, ...] = (".png", ".svg")

_CHUNK_STEPS = 2**20  # 8 MB of float64 per chunk
_LABEL_CHARS = 60
_MAX_MARKS = 100  # a schedule's own phase boundaries are marked when there are at most this many
_INSTALL_HINT = 'pip install "fastlr-schedules[plot]"'


def _matplotlib():
    """Import the parts of matplotlib used here, or raise an ImportError naming the extra."""
    try:
        from matplotlib.axes import Axes
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            f"fastlr.plot needs matplotlib, which is not installed: {_INSTALL_HINT}") from exc
    return Axes, Figure, FigureCanvasAgg


# ----------------------------------------------------------------------------------- validation
def _int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _as_series(obj: Any, name: str) -> Any:
    """A Schedule stays as it is; anything else must be a non-empty 1-D real array."""
    if isinstance(obj, Schedule):
        return obj
    try:
        arr = np.asarray(obj)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a fastlr schedule or a 1-D array, got "
                        f"{type(obj).__name__}") from exc
    if arr.dtype.kind not in "iuf" or arr.dtype == np.float16:
        raise TypeError(f"{name} must be a fastlr schedule or a 1-D array of real numbers, got "
                        f"{type(obj).__name__} of dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: nothing to plot")
    return arr.astype(np.float64, copy=False)


def _series_length(series: Any, n_steps: Optional[int], name: str) -> int:
    if isinstance(series, Schedule):
        if n_steps is None:
            raise ValueError(f"n_steps is required to plot a schedule ({name} is "
                             f"{_short(repr(series))}): pass n_steps=<number of steps>")
        return n_steps
    if n_steps is not None and n_steps != len(series):
        raise ValueError(f"n_steps={n_steps} does not match the length of {name} "
                         f"({len(series)}): pass n_steps=None or the array's length")
    return len(series)


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[:_LABEL_CHARS - 3] + "..."


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _items(obj: Any) -> Tuple[List[Any], bool]:
    """(series, overlay?): a schedule or 1-D array is one series; a list/tuple of schedules or
    arrays is an overlay; a list/tuple of numbers is one array."""
    if isinstance(obj, (list, tuple)):
        if len(obj) == 0:
            raise ValueError("schedule_or_array is an empty list: nothing to plot")
        if all(_is_number(x) for x in obj):
            return [_as_series(obj, "schedule_or_array")], False
        return [_as_series(x, f"schedule_or_array[{k}]") for k, x in enumerate(obj)], True
    return [_as_series(obj, "schedule_or_array")], False


def _labels(label: Any, series: List[Any], overlay: bool) -> List[Optional[str]]:
    if label is None:
        if not overlay:
            return [None]
        return [_short(repr(s)) if isinstance(s, Schedule) else f"schedule {k}"
                for k, s in enumerate(series)]
    if isinstance(label, str):
        if overlay:
            raise TypeError(f"label must be a list of {len(series)} strings to overlay "
                            f"{len(series)} series, got the string {label!r}")
        return [label]
    if not overlay:
        raise TypeError(f"label must be a string or None, got {label!r}")
    labels = list(label) if isinstance(label, (list, tuple)) else None
    if labels is None or not all(isinstance(x, str) for x in labels):
        raise TypeError(f"label must be None or a list of strings, got {label!r}")
    if len(labels) != len(series):
        raise ValueError(f"label has {len(labels)} entries for {len(series)} series")
    return labels


def _steps_list(values: Any, name: str) -> List[int]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list of steps (ints), got {values!r}")
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must contain ints (steps), got {v!r} in {values!r}")
        out.append(int(v))
    return out


def _auto_boundaries(s: Any, n_steps: int, start: int) -> List[int]:
    """Phase boundaries a schedule reports about itself, if any.

    Looks for a method or attribute ``phase_boundaries`` (every fastlr schedule has the method),
    then ``boundaries`` (getattr-guarded). A method is called with the keywords among ``n_steps``
    / ``start`` / ``limit`` that it accepts; anything it needs beyond those means it is not this
    kind of method, and it is skipped. More than ``_MAX_MARKS`` boundaries in the window (a
    staircase or a fast cycle over a long run) are too dense to mark: none are drawn.
    """
    for attr in ("phase_boundaries", "boundaries"):
        value = getattr(s, attr, None)
        if value is None:
            continue
        if callable(value):
            try:
                sig = inspect.signature(value)
            except (TypeError, ValueError):
                continue
            known = {"n_steps": n_steps, "start": start, "limit": _MAX_MARKS + 1}
            kwargs = {k: v for k, v in known.items() if k in sig.parameters}
            required = [p for p in sig.parameters.values()
                        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                               p.KEYWORD_ONLY)
                        and p.name not in kwargs]
            if required:
                continue
            value = value(**kwargs)
        marks = _steps_list(value, f"{type(s).__name__}.{attr}")
        inside = [b for b in marks if start <= b < start + n_steps]
        return inside if len(inside) <= _MAX_MARKS else []
    return []


# ------------------------------------------------------------------------------------- envelope
class Envelope(NamedTuple):
    """Per-bin statistics of a schedule's values (see :func:`envelope`).

    edges : int64 array of ``bins + 1`` steps; bin ``k`` holds steps ``edges[k] … edges[k+1]-1``.
    lo, hi, mean : float64 arrays of ``bins`` values: the min, max and mean of the bin's values
        (NaN for a bin with no value counted: see ``positive_only``).
    """

    edges: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    mean: np.ndarray

    @property
    def centers(self) -> np.ndarray:
        """The middle of each bin's steps, ``(edges[k] + edges[k+1] - 1) / 2``: where plot draws it."""
        return (self.edges[:-1] + self.edges[1:] - 1) / 2.0


def _bin_edges(start: int, n: int, bins: int) -> np.ndarray:
    """``start + floor(k n / bins)`` for k = 0 … bins, exactly (no float rounding, no overflow)."""
    q, r = divmod(n, bins)
    k = np.arange(bins + 1, dtype=np.int64)
    return start + k * q + (k * r) // bins


def envelope(schedule: Any, n_steps: Optional[int], bins: int, start: int = 0, *,
             positive_only: bool = False, chunk_steps: int = _CHUNK_STEPS) -> Envelope:
    """Min, max and mean of a schedule's values over ``bins`` equal ranges of steps.

    Steps ``start … start+n_steps-1`` are split at ``edges[k] = start + floor(k·n_steps/bins)``
    (``bins`` is lowered to ``n_steps`` if larger, so no bin is empty). For each bin ``k``:
    ``lo[k] = min v(t)``, ``hi[k] = max v(t)``, ``mean[k] = Σ v(t) / count`` over its steps ``t``.
    ``min(lo)`` and ``max(hi)`` are therefore the exact min and max of the whole window.

    A schedule is evaluated ``chunk_steps`` steps at a time into one reusable float64 buffer
    (``schedule.fill(buf, t0)``) and each chunk is reduced into the bins with
    ``np.minimum.reduceat`` / ``np.maximum.reduceat`` / ``np.add.reduceat``: the memory is one
    chunk whatever ``n_steps``, and no Python code runs per step.

    Parameters
    ----------
    schedule : Schedule or 1-D array
        An array holds the values of steps ``start, start+1, …``; ``n_steps`` must then be None or
        its length. NaNs in an array propagate to their bin's ``lo``/``hi``/``mean``.
    n_steps : int or None
        >= 1; required for a schedule.
    bins : int
        >= 1.
    start : int, default 0
        The first step.
    positive_only : bool, default False
        Count only values > 0 (what a log scale can show): ``lo``/``hi``/``mean`` are over the
        bin's positive values, and NaN for a bin without any.
    chunk_steps : int, default 2**20

    Returns
    -------
    Envelope(edges, lo, hi, mean)
    """
    series = _as_series(schedule, "schedule")
    if n_steps is not None:
        n_steps = _int(n_steps, "n_steps", 1)
    bins = _int(bins, "bins", 1)
    start = _int(start, "start", 0)
    positive_only = _bool(positive_only, "positive_only")
    chunk_steps = _int(chunk_steps, "chunk_steps", 1)
    n = _series_length(series, n_steps, "schedule")
    return _envelope(series, n, bins, start, positive_only, chunk_steps)


def _envelope(series: Any, n: int, bins: int, start: int, positive_only: bool,
              chunk_steps: int) -> Envelope:
    bins = min(bins, n)
    edges = _bin_edges(start, n, bins)
    lo = np.full(bins, np.inf)
    hi = np.full(bins, -np.inf)
    sums = np.zeros(bins)
    counts = np.zeros(bins, dtype=np.int64)
    chunk = min(chunk_steps, n)
    is_schedule = isinstance(series, Schedule)
    buf = np.empty(chunk) if is_schedule else None
    # one iteration per chunk of steps (not per step): fill, then reduce the chunk into its bins
    for c0 in range(start, start + n, chunk):
        m = min(chunk, start + n - c0)
        if is_schedule:
            values = series.fill(buf[:m], c0)
        else:
            values = series[c0 - start:c0 - start + m]
        first = int(np.searchsorted(edges, c0, side="right")) - 1
        last = int(np.searchsorted(edges, c0 + m - 1, side="right")) - 1
        idx = np.empty(last - first + 1, dtype=np.intp)
        idx[0] = 0
        idx[1:] = edges[first + 1:last + 1] - c0  # the bins that begin inside this chunk
        sl = slice(first, last + 1)
        if positive_only:
            keep = values > 0
            masked = np.where(keep, values, np.nan)
            np.fmin(lo[sl], np.fmin.reduceat(masked, idx), out=lo[sl])
            np.fmax(hi[sl], np.fmax.reduceat(masked, idx), out=hi[sl])
            np.copyto(masked, 0.0, where=~keep)
            sums[sl] += np.add.reduceat(masked, idx)
            counts[sl] += np.add.reduceat(keep, idx, dtype=np.int64)
        else:
            np.minimum(lo[sl], np.minimum.reduceat(values, idx), out=lo[sl])
            np.maximum(hi[sl], np.maximum.reduceat(values, idx), out=hi[sl])
            sums[sl] += np.add.reduceat(values, idx)
            counts[sl] += np.diff(np.append(idx, m))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / counts
    empty = counts == 0
    lo[empty] = np.nan
    hi[empty] = np.nan
    mean[empty] = np.nan
    return Envelope(edges, lo, hi, mean)


# ----------------------------------------------------------------------------------------- plot
def _pixel_columns(ax: Any) -> int:
    """The axes' width in pixels: figure dpi × axes width in inches (its current position)."""
    fig = ax.get_figure()
    width = ax.get_position().width * fig.get_figwidth() * fig.dpi
    return max(1, int(math.ceil(width - 1e-6)))  # 465.00000000000006 is 465 columns


def plot(schedule_or_array: Any, n_steps: Optional[int] = None, ax: Any = None, *,
         start: int = 0, envelope: bool = True, log: bool = False, label: Any = None,
         boundaries: Optional[Sequence[int]] = None, **line_kwargs: Any) -> Any:
    """Draw a schedule (or an array of learning rates, or several of them) on matplotlib axes.

    Parameters
    ----------
    schedule_or_array : Schedule, 1-D array, or list of them
        A fastlr schedule is drawn over steps ``start … start+n_steps-1`` (the value at step
        ``t`` is the lr of the (t+1)-th update); an array holds the values of steps
        ``start, start+1, …``. A list (or tuple) of schedules/arrays is overlaid, one colour each,
        with a legend; a list of numbers is one array.
    n_steps : int, optional
        Required for schedules; for arrays, None or their length.
    ax : matplotlib Axes, optional
        Where to draw. Default: a new ``matplotlib.figure.Figure`` with an Agg canvas (no pyplot,
        nothing shown): save it with ``ax.figure.savefig(path)``.
    start : int, default 0
        The first step.
    envelope : bool, default True
        When ``n_steps`` exceeds twice the axes' width in pixels, draw each pixel column's steps
        as a min–max band plus a line through the bin mean (see :func:`envelope`), so that fast
        cycles are not aliased. False: draw every step (slow and aliased for huge ``n``).
        At most twice the width, every step is drawn either way.
    log : bool, default False
        Log y scale. Values <= 0 cannot be shown: they are left out (gaps in the line; in
        envelope mode each bin's band and mean are over its positive values only, and a bin with
        none is a gap).
    label : str or list of str, optional
        The legend label (one string), or one per series for a list. Default for a list: the
        schedule's repr (shortened to 60 characters) or ``"schedule k"`` for the k-th array; a
        single series gets a legend only when labelled.
    boundaries : list of int, optional
        Steps marked with vertical dashed lines (those outside the window are skipped). If None,
        each schedule's own ``phase_boundaries`` / ``boundaries`` (method taking
        ``n_steps``/``start`` keywords, or attribute), if it has one, is used — unless it reports
        more than 100 in the window (too dense to mark).
    **line_kwargs
        Passed to ``ax.plot`` for every series (``color``, ``lw``, ``ls``, ...); the band uses the
        line's colour at alpha 0.25.

    Returns
    -------
    The matplotlib Axes. x label "step", y label "learning rate".
    """
    start = _int(start, "start", 0)
    if n_steps is not None:
        n_steps = _int(n_steps, "n_steps", 1)
    envelope = _bool(envelope, "envelope")
    log = _bool(log, "log")
    series, overlay = _items(schedule_or_array)
    labels = _labels(label, series, overlay)
    names = ["schedule_or_array" if not overlay else f"schedule_or_array[{k}]"
             for k in range(len(series))]
    lengths = [_series_length(s, n_steps, nm) for s, nm in zip(series, names)]
    explicit = None if boundaries is None else _steps_list(boundaries, "boundaries")

    Axes, Figure, FigureCanvasAgg = _matplotlib()
    if ax is None:
        fig = Figure()
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")

    columns = _pixel_columns(ax)
    marks: List[int] = []
    for s, n, lab in zip(series, lengths, labels):
        kwargs = dict(line_kwargs)
        if lab is not None:
            kwargs["label"] = lab
        if not envelope or n <= 2 * columns:
            x = np.arange(start, start + n)
            y = s.array(n, start) if isinstance(s, Schedule) else np.array(s, dtype=np.float64)
            if log:
                y[~(y > 0)] = np.nan
            ax.plot(x, y, **kwargs)
        else:
            env = _envelope(s, n, columns, start, log, _CHUNK_STEPS)
            (line,) = ax.plot(env.centers, env.mean, **kwargs)
            ax.fill_between(env.centers, env.lo, env.hi, color=line.get_color(), alpha=0.25,
                            linewidth=0)
        if explicit is None and isinstance(s, Schedule):
            marks.extend(_auto_boundaries(s, n, start))
    if explicit is not None:
        marks = explicit
    end = start + max(lengths)
    for b in sorted(set(marks)):
        if start <= b < end:
            ax.axvline(b, color="0.45", linestyle="--", linewidth=0.8)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if any(lab is not None for lab in labels):
        ax.legend(fontsize="small")
    return ax


# ------------------------------------------------------------------------------------ save_plot
def save_plot(schedules: Any, path: Any, n_steps: Optional[int] = None, *, width: int = 1200,
              height: int = 600, dpi: float = 100, log: bool = False, labels: Any = None,
              start: int = 0, boundaries: Optional[Sequence[int]] = None,
              title: Optional[str] = None) -> Path:
    """Draw :func:`plot` of ``schedules`` into a new ``width`` × ``height`` pixel image at ``path``.

    The format is the extension: ``.png`` or ``.svg`` (checked first, before any computation; an
    SVG is ``width/dpi × height/dpi`` inches). The file is written atomically: into a temporary
    file in the same directory, then ``os.replace``-d onto ``path``, so a reader never sees a
    partial image and a failure leaves any previous file intact.

    ``schedules``, ``n_steps``, ``log``, ``start``, ``boundaries`` are as in :func:`plot`;
    ``labels`` is its ``label``. Returns the path written (a ``pathlib.Path``).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path, got {type(path).__name__}")
    target = Path(path)
    fmt = target.suffix.lower()
    if fmt not in SAVE_FORMATS:
        raise ValueError(f"path {str(path)!r} has an unsupported extension {target.suffix!r}: "
                         f"allowed formats are {', '.join(SAVE_FORMATS)}")
    width = _int(width, "width", 1)
    height = _int(height, "height", 1)
    if not _is_number(dpi) or not (math.isfinite(dpi) and dpi > 0):
        raise ValueError(f"dpi must be a positive number, got {dpi!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {title!r}")
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"path {str(path)!r}: directory {str(directory)!r} does not exist")

    _, Figure, FigureCanvasAgg = _matplotlib()
    dpi = float(dpi)
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    plot(schedules, n_steps, ax, start=start, log=log, label=labels, boundaries=boundaries)
    if title is not None:
        ax.set_title(title)
    ax.grid(alpha=0.3)

    kwargs = {"format": fmt[1:], "dpi": dpi}
    if fmt == ".svg":
        kwargs["metadata"] = {"Date": None}  # reproducible files
    tmp, fd = _create_temp(directory, target.name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, **kwargs)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def _create_temp(directory: Path, name: str) -> Tuple[Path, int]:
    """A new file next to the target, created exclusively with the usual (umask) permissions."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = directory / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {str(directory)!r}")


# ``fastlr.plot`` is both this module and a function: importing the submodule rebinds the package
# attribute ``fastlr.plot`` to the module, so the module is made callable (calling it is plot()).
class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return plot(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
