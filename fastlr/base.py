"""The base of every schedule: :class:`Schedule`, the registry of schedule classes, serialisation
(:func:`from_dict`) and scaling (:class:`Scaled`).

Step convention (every schedule): the value at step ``t`` (t = 0, 1, 2, ...) is the learning rate of
the (t+1)-th optimizer update, as in torch, optax, keras and timm. Steps are 64-bit: any integer in
[0, 2**63 - 1] is a valid step.

This module imports neither :mod:`fastlr.schedules` nor :mod:`fastlr.compose`; both build on it.

The registry maps names to classes. fastlr's own classes are registered under their class name and
aliases (``"CosineAnnealing"``, ``"cosine"``); a class defined outside fastlr is registered under its
qualified name (``"mypackage.module.MySchedule"``) and its aliases only where no fastlr name has them,
so a user class can never take over a built-in name in :func:`from_dict`, pickles or
:func:`fastlr.grid`.

Nesting depth: compositions (joins, warmups, user classes holding schedules) may nest up to
:data:`MAX_DEPTH` schedules deep (a single schedule has depth 1; ``with_warmup(s, 10)`` has
``s.depth + 1``). Deeper compositions, and ``to_dict`` dicts nested deeper or referring to
themselves, raise a ValueError naming the depth when they are built, so ``repr``, ``==``,
``hash``, pickling and ``from_dict(to_dict())`` of every schedule that exists run within Python's
default recursion limit. Scaling does not nest: ``(s * a) * b`` is ``s * (a * b)``. Build long
compositions flat: one :func:`fastlr.join` of many schedules rather than a join of joins.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar, Dict, Tuple

import numpy as np

from fastlr import plan
from fastlr._dispatch import kernels
from fastlr.threads import fill_threads
from fastlr.validate import (
    INT64_MAX,
    allocate,
    check_dtype,
    check_rate,
    check_real,
    check_step,
    check_steps,
    suggest,
)

__all__ = ["Schedule", "Scaled", "Product", "Sum", "Maximum", "Offset", "from_dict", "registry",
           "lookup", "schedule_classes", "parameters", "MAX_DEPTH"]

MAX_DEPTH = 100
"""The deepest composition fastlr builds: schedules nested in schedules, counted along the longest
chain (a single schedule is 1). Recursive operations (repr, ==, hash, pickling, to_dict/from_dict)
need a few Python frames per level, so this keeps them well inside the default recursion limit
of 1000."""

_CLASSES: Dict[str, type] = {}   # registry key -> class
_ALIASES: Dict[str, str] = {}    # alias -> registry key
_FAST_DTYPES = {np.float64: np.dtype(np.float64), np.float32: np.dtype(np.float32)}


def _is_builtin(cls: type) -> bool:
    return cls.__module__ == "fastlr" or cls.__module__.startswith("fastlr.")


def _register(cls: type) -> None:
    key = cls._registry_key
    if key in _CLASSES and _is_builtin(cls):
        raise TypeError(f"fastlr already has a schedule class named {key!r}")
    _CLASSES[key] = cls
    for alias in cls._aliases:
        owner = _ALIASES.get(alias)
        if owner is None or not _is_builtin(_CLASSES[owner]):
            _ALIASES[alias] = key


def schedule_classes() -> Dict[str, type]:
    """Every registered schedule class by its registry name (fastlr's own by class name, others by
    qualified name), without aliases."""
    return dict(_CLASSES)


def registry() -> Dict[str, type]:
    """Schedule classes by name, aliases included (e.g. ``"cosine"`` -> CosineAnnealing)."""
    out = dict(_CLASSES)
    out.update({alias: _CLASSES[key] for alias, key in _ALIASES.items()})
    return out


def aliases() -> Dict[str, str]:
    """alias -> registry name (``"cosine"`` -> ``"CosineAnnealing"``)."""
    return dict(_ALIASES)


def lookup(name: str) -> type:
    """The schedule class called `name`: a registry name or an alias (aliases are
    case-insensitive, ``-`` and ``_`` alike). Unknown names raise ValueError with the closest
    matches."""
    if not isinstance(name, str):
        raise TypeError(f"schedule name must be a string, got {name!r}")
    if name in _CLASSES:
        return _CLASSES[name]
    key = name.lower().replace("-", "_")
    if key in _ALIASES:
        return _CLASSES[_ALIASES[key]]
    raise ValueError(f"unknown schedule {name!r}{suggest(name, [*_CLASSES, *_ALIASES])}; "
                     f"known schedules: {', '.join(sorted(_CLASSES))}")


def parameters(cls: type) -> Dict[str, str]:
    """The constructor parameters of a schedule class and their kinds, in order: ``"rate"``,
    ``"real"``, ``"steps"`` (an integer step count), ``"bool"``, ``"choice"``, ``"steps_list"``,
    ``"rate_list"``, ``"schedule"``, ``"schedule_list"``, each optionally followed by ``"?"``
    (may be None). Declared by each class in ``_fields``; the command line and config files parse
    strings by them."""
    return dict(cls._fields)


class Schedule:
    """Base class of every fastlr schedule: a pure function of the integer step.

    Subclasses declare ``_fields`` (constructor parameters in order, each with its kind: see
    :func:`parameters`), validate them in ``__init__`` (ending with ``self._init(**params)``) and
    describe themselves as plan segments in :meth:`segments`. Everything else — filling, scalar
    and gather calls, equality, hashing, serialisation — lives here and runs through the same
    compiled plan.
    """

    __slots__ = ("_params", "_plan", "_depth")
    _fields: ClassVar[Tuple[Tuple[str, str], ...]] = ()
    _aliases: ClassVar[Tuple[str, ...]] = ()
    _registry_key: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for field, _kind in cls._fields:
            if not hasattr(cls, field):
                setattr(cls, field, property(lambda self, _f=field: self._params[_f],
                                             doc=f"The ``{field}`` parameter."))
        # the name to_dict writes: every class has its own (a subclass never passes for its base)
        cls._registry_key = (cls.__name__ if _is_builtin(cls)
                             else f"{cls.__module__}.{cls.__qualname__}")
        if not cls.__name__.startswith("_"):
            _register(cls)

    def _init(self, **params: Any) -> None:
        depth = 1 + max((c.depth for c in _children(params.values())), default=0)
        if depth > MAX_DEPTH:
            raise ValueError(f"{type(self).__name__}: this composition nests {depth} schedules "
                             f"deep, more than fastlr's limit of MAX_DEPTH = {MAX_DEPTH}; build "
                             f"it flat (one join of many schedules instead of joins of joins)")
        object.__setattr__(self, "_params", params)
        object.__setattr__(self, "_depth", depth)
        object.__setattr__(self, "_plan", plan.compile_plan(self.segments()))

    @property
    def depth(self) -> int:
        """How many schedules deep this one nests: 1, or 1 + the deepest schedule among its
        parameters (at most :data:`MAX_DEPTH`)."""
        return self._depth

    def segments(self) -> list:  # pragma: no cover - every concrete class overrides it
        """The schedule as a list of :class:`fastlr.plan.Segment` (composition works on these)."""
        raise NotImplementedError

    @property
    def plan(self) -> Any:
        """The compiled plan (a ``Plan`` of the kernels in use): what fills, sweeps and dask
        blocks run."""
        return self._plan

    # ---------------------------------------------------------------------------- evaluation
    def fill(self, out: np.ndarray, start: int = 0, *, threads: Any = None) -> np.ndarray:
        """Write the values of steps ``start … start+len(out)-1`` into ``out`` and return ``out``.

        ``out`` must be a writeable, 1-D, C-contiguous, aligned, native-order numpy array of
        float32 or float64. float64 values are computed directly; float32 values are the float64
        values rounded once. The GIL is released while the kernel runs. Invalid ``out``,
        ``start`` or ``threads`` raise TypeError/ValueError before anything is written.

        ``threads`` (see :mod:`fastlr.threads`): ``None`` splits a long window (2**18 steps or
        more) over the CPUs available to the process, ``1`` is serial, ``k`` at most k threads,
        ``-1`` every CPU. The bytes are identical for every thread count. On the main thread a
        fill of 2**22 steps or more stops for Ctrl-C between chunks of 65536 steps (shorter fills
        end within milliseconds): the KeyboardInterrupt propagates, and ``out`` then holds whole
        chunks of the window (serially: a prefix), the rest untouched.
        """
        return self._plan.fill(out, start, threads)

    def array(self, n: int, start: int = 0, dtype: Any = np.float64, *,
              out: np.ndarray | None = None, threads: Any = None) -> np.ndarray:
        """The values of steps ``start … start+n-1`` as a new array of ``dtype`` (float32/64).

        With ``out``, fill it instead: ``n`` must equal ``len(out)`` and ``dtype`` its dtype.
        Every argument is checked before anything is allocated; an array too large for memory
        raises MemoryError naming ``n`` and the size in bytes. ``threads`` as in :meth:`fill`.
        """
        if threads is not None:
            fill_threads(threads, 0)  # validated before anything is allocated
        if out is None and type(n) is int and type(start) is int and 0 <= n and 0 <= start \
                and start + n <= INT64_MAX + 1 and n < (1 << 40):
            dt = _FAST_DTYPES.get(dtype) if type(dtype) is type else None
            if dt is not None:
                # the common call, without the generic checks
                return self._plan.fill(_allocate(n, dt), start, threads)
        n = check_steps(n, "n", minimum=0)
        dt = check_dtype(dtype)
        start = check_step(start, "start")
        kernels.check_window(start, n)
        if out is not None:
            kernels.check_output(out)
            if out.dtype != dt:
                raise TypeError(f"dtype={dt} disagrees with out.dtype={out.dtype}")
            if out.shape[0] != n:
                raise ValueError(f"n={n} disagrees with len(out)={out.shape[0]}")
            return self._plan.fill(out, start, threads)
        return self._plan.fill(_allocate(n, dt), start, threads)

    def __call__(self, t: Any) -> Any:
        """The value at step ``t``.

        An integer gives a Python float. An integer array (any shape; lists work too) gives a
        float64 array of the same shape, computed by a compiled gather in any order of steps;
        its values equal the corresponding elements of ``fill`` bit for bit.
        """
        if type(t) is int or isinstance(t, np.integer):
            return self._plan.value(t)
        if not (isinstance(t, (np.ndarray, list, tuple)) or hasattr(t, "__array__")) \
                or isinstance(t, np.generic):
            return self._plan.value(t)  # a clear TypeError for floats, bools, strings...
        steps = _as_step_array(t)
        flat = np.ascontiguousarray(steps, dtype=np.int64).reshape(-1)
        out = np.empty(flat.shape[0], dtype=np.float64)
        self._plan.gather(flat, out)
        return out.reshape(steps.shape)

    # ---------------------------------------------------------------------------- introspection
    @property
    def horizon(self) -> int | None:
        """The step from which the schedule is constant or periodic, or None if it never is.

        Derived from the plan (:meth:`segments`): the first step of the last segment, the one that
        runs forever, when that segment is constant or repeats exactly (see :attr:`period`).
        ``CosineAnnealing(0.1, 1000).horizon == 1000`` (``min_lr`` from step 1000 on),
        ``Warmup(0.1, W).horizon == W``, a join's is its last part's shifted by its boundary, and
        a purely periodic schedule (``Cyclical``, ``Triangular`` in mode ``"triangular"``,
        ``WarmRestarts`` with ``cycle_mult == 1`` and no decay) has ``horizon == 0`` and its
        :attr:`period`. ``ExponentialDecay``, ``StepDecay``, ``InverseSqrt``... decay forever:
        None. From ``horizon`` on, ``s(t) == s(t + period)`` (periodic) or ``s(t) == s(horizon)``
        (constant). It is not always the smallest such step (e.g. a cosine whose ``max_lr``
        equals its ``min_lr`` still reports its ``total_steps``).
        """
        segs = self.segments()
        begin, tail = _tail(segs)
        kind, _ = _segment_shape(tail)
        begin += _tail_delay(tail)
        if kind == "const":
            # constant segments of the same value just before the tail belong to it (e.g. a
            # shifted schedule's held value after its own constant tail)
            value = tail.params["value"] if tail.family == plan.Family.CONST else None
            live = [x for x in segs if x.length is None or x.length > 0]
            k = next((i for i, x in enumerate(live) if x is tail), 0)
            while value is not None and k > 0 and live[k - 1].family == plan.Family.CONST \
                    and live[k - 1].params["value"] == value and live[k - 1].length is not None:
                begin -= live[k - 1].length
                k -= 1
            prev = live[k - 1] if value is not None and k > 0 else None
            if prev is not None and prev.family == plan.Family.PRODUCT \
                    and prev.length is not None and _segment_shape(prev)[0] == "const":
                # a combined row constant from `delay` steps in, at the held value (a shifted
                # sum or product)
                delay = _tail_delay(prev)
                if delay < prev.length and self._plan.value(begin - 1) == value:
                    begin -= prev.length - delay
        return begin if kind in ("const", "periodic") else None

    @property
    def period(self) -> int | None:
        """The period (in steps) of the schedule from :attr:`horizon` on, or None when it is
        constant there or never periodic. ``Cyclical(max_lr, T).period == 2 * T``;
        ``Triangular(..., up, down).period == up + down`` (mode ``"triangular"``);
        ``WarmRestarts(max_lr, L).period == L`` (``cycle_mult == 1``, no decay, no ``max_cycles``)."""
        _, tail = _tail(self.segments())
        kind, p = _segment_shape(tail)
        return p if kind == "periodic" else None

    def phase_boundaries(self, n_steps: int | None = None, start: int = 0, *,
                         limit: int = 1000) -> Tuple[int, ...]:
        """The steps where a new phase begins, in ``[start, start + n_steps)`` (``n_steps=None``:
        no end), increasing, at most ``limit`` of them (the first ones).

        A phase begins where the formula changes: at the first step of each plan segment
        (warmup end, decay start, the boundaries of a join...), at each cycle start of a periodic
        segment (``Cyclical`` every ``2 * cycle_steps``, each restart of ``WarmRestarts``, the
        cycle starts and peaks of ``Triangular``), and at each drop of a staircase
        (``StepDecay`` every ``step_size``, ``InverseTime(staircase=True)``). Step 0 is never a
        boundary. ``WarmupStableDecay(0.1, 100, 1000, 2000).phase_boundaries() == (100, 1100,
        3100)``. (Named ``phase_boundaries`` because ``boundaries`` is a parameter of
        ``PiecewiseConstant`` and ``Join``.)
        """
        lo = check_step(start, "start")
        hi = None if n_steps is None else lo + check_steps(n_steps, "n_steps", minimum=0)
        limit = check_steps(limit, "limit", minimum=0)
        return tuple(_phase_marks(self.segments(), lo, hi, limit))

    # ---------------------------------------------------------------------------- identity
    @property
    def params(self) -> Dict[str, Any]:
        """The constructor parameters, validated and normalised (a copy)."""
        return dict(self._params)

    def to_dict(self) -> Dict[str, Any]:
        """A plain dict (JSON-safe) that :func:`fastlr.from_dict` turns back into an equal schedule.
        Nested schedules become nested dicts, sequences become lists."""
        return {"schedule": type(self)._registry_key,
                **{k: _plain(v) for k, v in self._params.items()}}

    @classmethod
    def _from_params(cls, params: Dict[str, Any]) -> "Schedule":
        check_nesting(params, f"the {cls.__name__} parameters")
        return cls._build(params)

    @classmethod
    def _build(cls, params: Dict[str, Any]) -> "Schedule":
        return cls(**{k: _revive(v) for k, v in params.items()})

    # ---------------------------------------------------------------------------- arithmetic
    def __mul__(self, factor: Any) -> "Schedule":
        """``schedule * c`` (a number: :class:`Scaled`) or ``schedule * other`` (a schedule:
        :class:`fastlr.Product`)."""
        if isinstance(factor, Schedule):
            return Product(self, factor)
        return Scaled(self, factor)

    __rmul__ = __mul__

    def __add__(self, other: Any) -> "Schedule":
        """``schedule + other`` (a schedule: :class:`fastlr.Sum`) or ``schedule + c`` (a number:
        :class:`fastlr.Offset`)."""
        if isinstance(other, Schedule):
            return Sum(self, other)
        if isinstance(other, (bool, np.bool_)) or not isinstance(other, numbers.Real):
            return NotImplemented
        return Offset(self, other)

    __radd__ = __add__

    def __sub__(self, other: Any) -> "Schedule":
        """``schedule - c`` for a number c: :class:`fastlr.Offset` with ``offset = -c``."""
        if isinstance(other, (bool, np.bool_)) or not isinstance(other, numbers.Real):
            return NotImplemented
        return Offset(self, -check_real(other, "offset"))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._params == other._params  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self._params.items())))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __copy__(self) -> "Schedule":
        return self  # immutable

    def __deepcopy__(self, memo: Any) -> "Schedule":
        return self

    def __reduce__(self):
        # the class travels by reference (module and name), so a user class that shares a
        # built-in's name unpickles as itself
        return (type(self)._from_params, ({k: _plain(v) for k, v in self._params.items()},))



def _phase_marks(segments: list, lo: int, hi: int | None, limit: int) -> list:
    """The phase boundaries of a segment list in [lo, hi) (hi None: no end), at most `limit`
    (see :meth:`Schedule.phase_boundaries`). A combined row (product, sum, maximum) has the
    phases of its terms: theirs on its local step, mapped back."""
    out: list = []
    begin = 0
    for seg in segments:
        if len(out) >= limit or (hi is not None and begin >= hi) or begin > INT64_MAX:
            break
        if seg.length is not None and seg.length <= 0:
            continue
        end = None if seg.length is None else begin + seg.length  # exclusive
        if begin > 0 and begin >= lo and (hi is None or begin < hi):
            out.append(begin)
        cycle, marks = _repeats(seg)
        cand_lo = max(lo, begin + 1)
        cand_hi = end if hi is None else (hi if end is None else min(hi, end))
        if seg.family == plan.Family.PRODUCT and (cand_hi is None or cand_lo < cand_hi):
            # the terms' phases, on the local step tau = t - begin + offset
            shift = seg.offset - begin
            local = set()
            for terms in seg.factors:
                local.update(_phase_marks(list(terms), cand_lo + shift,
                                          None if cand_hi is None else cand_hi + shift,
                                          limit - len(out)))
            out.extend(x - shift for x in sorted(local)[:limit - len(out)])
        if cycle:
            # local step tau = t - begin + offset; a mark where tau mod cycle is in `marks`
            base = begin - seg.offset
            j = (cand_lo - base) // cycle  # the cycle holding cand_lo
            while len(out) < limit:
                first = base + j * cycle
                if (cand_hi is not None and first >= cand_hi) or first > INT64_MAX:
                    break
                for m in marks:
                    t = first + m
                    if cand_lo <= t <= INT64_MAX and (cand_hi is None or t < cand_hi) \
                            and len(out) < limit:
                        out.append(t)
                j += 1
        if end is None:
            break
        begin = end
    return out[:limit]


def _allocate(n: int, dt: np.dtype) -> np.ndarray:
    return allocate(n, dt, f"n={n} steps")


def _as_step_array(t: Any) -> np.ndarray:
    """An integer array of steps from a (nested) list, tuple or array, or the precise error."""
    try:
        steps = np.asarray(t)
    except ValueError as exc:  # ragged nesting
        raise ValueError(f"steps must be a rectangular array of integers: {exc}") from None
    if steps.dtype.kind not in "iu":
        if steps.size == 0:
            return steps.astype(np.int64)
        if isinstance(t, (list, tuple)):
            for x in np.array(t, dtype=object).ravel():  # name the bad one
                check_step(x, "steps")
        raise TypeError(f"steps must be an integer array, got dtype {steps.dtype}")
    if steps.dtype.kind == "u" and steps.size and int(steps.max()) > INT64_MAX:
        raise ValueError(f"steps must be <= 2**63 - 1, got {int(steps.max())}")
    return steps


def _tail(segments: list) -> Tuple[int, Any]:
    """The first step and the segment of the part of a plan that runs forever."""
    begin = 0
    for seg in segments:
        if seg.length is None or begin + seg.length > INT64_MAX:
            return begin, seg
        if seg.length > 0:
            begin += seg.length
    raise AssertionError("a segment list must end with a segment that runs forever")


def _segment_shape(seg: Any) -> Tuple[str, int | None]:
    """("const", None), ("periodic", period) or ("varying", None) for a segment running forever,
    read from its family's parameters by name."""
    F = plan.Family
    p = seg.params
    fam = seg.family
    if fam == F.CONST:
        return "const", None
    if fam == F.PRODUCT:
        # a combination of two terms is constant / periodic from where both are (periods: lcm)
        shapes = [_list_shape(list(terms)) for terms in seg.factors]
        if any(k == "varying" for _, k, _ in shapes):
            return "varying", None
        periods = [per for _, k, per in shapes if k == "periodic"]
        if not periods:
            return "const", None
        both = math.lcm(*periods)
        return ("periodic", both) if both <= INT64_MAX else ("varying", None)
    if fam == F.LINEAR:
        return ("const", None) if p["slope"] == 0 else ("varying", None)
    if fam in (F.EXP, F.INVTIME):
        return ("const", None) if p["rate"] == 0 or p["lr"] == 0 else ("varying", None)
    if fam == F.PLATEAU:
        flat = p["lr"] == 0 or (p["rate"] == 1 if p["kind"] == 0 else p["rate"] == 0)
        return ("const", None) if flat else ("varying", None)
    if fam == F.POLY:
        return ("const", None) if p["amp"] == 0 else ("varying", None)
    if fam == F.COS2:
        if p["peak"] == p["low"] and p["decay"] == 1:
            return "const", None
        if p["period"] > 0 and p["decay"] == 1:
            return "periodic", int(p["period"])
        return "varying", None
    if fam == F.TRI:
        if p["amp"] == 0:
            return "const", None
        if p["mode"] == 0 or (p["mode"] == 2 and p["gamma"] == 1):
            return "periodic", int(p["up"] + p["down"])
        return "varying", None
    return "varying", None  # pragma: no cover - a family added without a shape rule


def _list_shape(segments: list) -> Tuple[int, str, int | None]:
    """(the local step from which the shape holds, the shape, its period) of a whole segment
    list (a term of a combined row)."""
    begin, tail = _tail(segments)
    kind, period = _segment_shape(tail)
    if tail.family == plan.Family.CONST:   # constant segments of its value before it join it
        live = [x for x in segments if x.length is None or x.length > 0]
        k = next((i for i, x in enumerate(live) if x is tail), 0)
        while k > 0 and live[k - 1].family == plan.Family.CONST and live[k - 1].length is not None \
                and live[k - 1].params["value"] == tail.params["value"]:
            begin -= live[k - 1].length
            k -= 1
    return begin + _tail_delay(tail), kind, period


def _tail_delay(seg: Any) -> int:
    """How many steps into a segment running forever its shape (:func:`_segment_shape`) begins
    to hold: 0, or for a combined row the steps until both terms are constant or periodic."""
    if seg.family != plan.Family.PRODUCT:
        return 0
    shapes = [_list_shape(list(terms)) for terms in seg.factors]
    if any(k == "varying" for _, k, _ in shapes):
        return 0
    return max(0, max(h for h, _, _ in shapes) - seg.offset)


def _repeats(seg: Any) -> Tuple[int, Tuple[int, ...]]:
    """(cycle, marks) of a segment whose phases repeat: a phase begins at each local step tau with
    ``tau mod cycle`` in marks; (0, ()) for a segment that is one phase."""
    F = plan.Family
    p = seg.params
    if seg.family == F.COS2 and p["period"] > 0:
        return int(p["period"]), (0,)
    if seg.family == F.TRI:
        return int(p["up"] + p["down"]), (0, int(p["up"]))
    if seg.family == F.PLATEAU:
        return int(p["size"]), (0,)
    return 0, ()


def _children(values: Any) -> Any:
    """The schedules among parameter values (directly or in a list/tuple)."""
    for v in values:
        if isinstance(v, Schedule):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from (x for x in v if isinstance(x, Schedule))


def check_nesting(d: Any, name: str = "the dict") -> None:
    """Raise ValueError if a (to_dict-style) structure of dicts and lists refers to itself, or
    nests schedule dicts deeper than :data:`MAX_DEPTH` (or containers deeper than
    ``2 * MAX_DEPTH + 2``). Iterative: any input is checked without recursion."""
    limit = 2 * MAX_DEPTH + 2
    stack = [(d, 0, 0, False)]     # (container, schedule depth, container depth, leaving)
    path: set = set()
    while stack:
        obj, depth, nest, leaving = stack.pop()
        if leaving:
            path.discard(id(obj))
            continue
        if not isinstance(obj, (dict, list, tuple)):
            continue
        if id(obj) in path:
            raise ValueError(f"{name} refers to itself (a schedule dict that contains itself "
                             f"cannot describe a schedule)")
        if isinstance(obj, dict) and "schedule" in obj:
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"{name} nests schedules more than {MAX_DEPTH} deep (MAX_DEPTH); "
                                 f"fastlr builds compositions up to {MAX_DEPTH} deep")
        nest += 1
        if nest > limit:
            raise ValueError(f"{name} nests dicts and lists more than {limit} deep")
        path.add(id(obj))
        stack.append((obj, depth, nest, True))
        for v in (obj.values() if isinstance(obj, dict) else obj):
            if isinstance(v, (dict, list, tuple)):
                stack.append((v, depth, nest, False))


def from_dict(d: Dict[str, Any]) -> Schedule:
    """Rebuild a schedule from :meth:`Schedule.to_dict` output (the ``"schedule"`` key names the
    class; aliases such as ``"cosine"`` are accepted). Nesting deeper than :data:`MAX_DEPTH`, or a
    dict that contains itself, is a ValueError (checked before anything is built)."""
    if not isinstance(d, dict):
        raise TypeError(f"from_dict expects a dict, got {type(d).__name__}")
    check_nesting(d)
    return _from_dict(d)


def _from_dict(d: Dict[str, Any]) -> Schedule:
    if "schedule" not in d:
        raise ValueError(f"the dict has no 'schedule' key naming the class: {d!r}")
    params = dict(d)
    cls = lookup(params.pop("schedule"))
    return cls._build(params)


def as_schedule(obj: Any, name: str) -> Schedule:
    """A schedule, or a :meth:`Schedule.to_dict` dict of one; anything else is a TypeError naming
    the parameter."""
    if isinstance(obj, dict):
        return from_dict(obj)
    if not isinstance(obj, Schedule):
        raise TypeError(f"{name} must be a fastlr schedule, got {obj!r} ({type(obj).__name__})")
    return obj


def _revive(value: Any) -> Any:
    """Nested ``to_dict`` output back into schedules (inside lists too)."""
    if isinstance(value, dict) and "schedule" in value:
        return _from_dict(value)
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


class Scaled(Schedule):
    """``factor * inner(t)`` (what ``schedule * factor`` and ``factor * schedule`` build).

    A scaled schedule scaled again folds into one: ``Scaled(Scaled(s, a), b)`` is
    ``Scaled(s, a * b)`` (one product of the factors, so chains of scalings never nest). A factor
    that takes a value of the schedule past the float64 range is a ValueError naming ``factor``.

    The factor multiplies the value parameters of every segment once, at construction (no extra
    work per step), so values equal ``factor * inner(t)`` to within the accuracy contract
    (1e-13 x the peak), not bit for bit: a product family agrees to an ulp or two, a ramp that
    ends near zero can differ by more ulps of its small values.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("inner", "schedule"), ("factor", "rate"))
    _aliases = ("scaled",)

    def __init__(self, inner: Any, factor: float) -> None:
        inner = as_schedule(inner, "inner")
        factor = check_rate(factor, "factor")
        if type(inner) is Scaled:  # (s * a) * b is s * (a * b): scalings never nest
            inner_factor = inner.factor
            inner, factor = inner.inner, inner_factor * factor
            if not math.isfinite(factor):
                raise ValueError(f"factor: {inner_factor!r} * {factor!r} of a scaled schedule "
                                 f"overflows the float64 range")
        self._init(inner=inner, factor=factor)

    def segments(self) -> list:
        return plan.scale(self._params["inner"].segments(), self._params["factor"])


class _Pairwise(Schedule):
    """Two schedules on the same step combined by one kernel operation (``_OP``): the base of
    :class:`Product`, :class:`Sum` and :class:`Maximum` (one PRODUCT-family plan row each)."""

    __slots__ = ()
    _fields = (("a", "schedule"), ("b", "schedule"))
    _OP: Any = None

    def __init__(self, a: Any, b: Any) -> None:
        self._init(a=as_schedule(a, "a"), b=as_schedule(b, "b"))

    def segments(self) -> list:
        return [plan.combine(self._OP, self._params["a"].segments(),
                             self._params["b"].segments())]


class Product(_Pairwise):
    """``a(t) * b(t)``: the product of two schedules (torch's ``ChainedScheduler``, a multiplier
    applied to a schedule). What ``a * b`` builds for two schedules.

    Both factors run on the same step; the kernel fills each in float64 a chunk at a time (in
    stack buffers: no allocation) and rounds the product once, so float32 output is the float64
    product rounded once. Products nest at most 16 deep.

    Parameters
    ----------
    a, b : Schedule

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _aliases = ("product", "chained")
    _OP = plan.Op.OP_PRODUCT


class Sum(_Pairwise):
    """``a(t) + b(t)``: the sum of two schedules. What ``a + b`` builds for two schedules.

    Both terms run on the same step; the kernel fills each in float64 a chunk at a time (the
    PRODUCT row of the plan with its operation set to a sum) and rounds the sum once, so float32
    output is the float64 sum rounded once. Sums and products nest at most 16 deep (together).
    A sum past the float64 range is inf (as a :class:`Product`'s).

    Parameters
    ----------
    a, b : Schedule

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _aliases = ("sum", "add")
    _OP = plan.Op.OP_SUM


class Maximum(_Pairwise):
    """``max(a(t), b(t))``: the larger of two schedules at each step (a floor: timm's
    ``max(base_lr * f(t), lr_min)`` is ``Maximum(s, Constant(lr_min))``).

    Both schedules run on the same step, filled in float64 a chunk at a time (the PRODUCT row of
    the plan with its operation set to a maximum); the value is one of the two float64 values, so
    float32 output is it rounded once. Nests with products and sums, at most 16 deep together.

    Parameters
    ----------
    a, b : Schedule

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _aliases = ("maximum", "max")
    _OP = plan.Op.OP_MAX


class Offset(Schedule):
    """``inner(t) + offset``: a schedule moved by a constant (what ``schedule + c``,
    ``c + schedule`` and ``schedule - c`` build for a number c).

    ``offset`` is any finite real: a negative offset can take values below 0 (fastlr computes them
    as they are; ``Maximum(s, Constant(0.0))`` clips). The value is ``inner(t) + offset`` in
    float64 rounded once (a sum row of the plan with a constant term), so float32 output is it
    rounded once. An offset of an offset folds into one: ``Offset(Offset(s, a), b)`` is
    ``Offset(s, a + b)`` (a ValueError naming ``offset`` if that sum leaves the float64 range).
    A value past the float64 range is inf.

    Parameters
    ----------
    inner : Schedule
    offset : float
        Finite, any sign.

    Step convention: see :mod:`fastlr.base`.
    """

    __slots__ = ()
    _fields = (("inner", "schedule"), ("offset", "real"))
    _aliases = ("offset",)

    def __init__(self, inner: Any, offset: float) -> None:
        inner = as_schedule(inner, "inner")
        offset = check_real(offset, "offset")
        if type(inner) is Offset:   # (s + a) + b is s + (a + b): offsets never nest
            inner_offset, more = inner.offset, offset
            inner, offset = inner.inner, inner_offset + more
            if not math.isfinite(offset):
                raise ValueError(f"offset: {inner_offset!r} + {more!r} of an offset schedule "
                                 f"overflows the float64 range")
        self._init(inner=inner, offset=offset + 0.0)

    def segments(self) -> list:
        return [plan.combine(plan.Op.OP_SUM, self._params["inner"].segments(),
                             [plan.const(self._params["offset"])])]
