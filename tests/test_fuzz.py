"""Property-based fuzzing of the whole public surface: random schedule specs (every registered
built-in class, parameters drawn per kind from hostile distributions, a few of them invalid),
random compositions (warmups, joins, scalings, nested) and random windows anywhere in
[0, 2**63 - 1].

Properties, for every example:

1. Building a schedule raises nothing but TypeError/ValueError.
2. ``fill`` = ``array`` = gather (``s(steps)``, in any order) = scalar ``s(t)``, bit for bit.
3. float32 values are the float64 values rounded once.
4. A window split in two gives the same values as the whole window.
5. Rows of ``fastlr.sweep`` equal the schedules' arrays.
6. ``from_dict(to_dict())``, JSON and pickle round trips give an equal schedule with the same bits.
7. Every value lies within the schedule's documented range (computed here from its parameters,
   independently of fastlr) ± 1e-13 × its peak; no NaN ever, inf only where documented
   (StepDecay with gamma > 1, far out).

CI runs a short deterministic hunt (derandomized, FASTLR_FUZZ_EXAMPLES examples per property,
default 40, well under 30 s); a long hunt is ``FASTLR_FUZZ_EXAMPLES=20000 python -m pytest
tests/test_fuzz.py -q -s`` (``-s`` shows the counts; ``FASTLR_FUZZ_RANDOM=1`` draws fresh random
examples instead of the fixed ones). See notes/CONTRIBUTING-fuzz.md.
"""
from __future__ import annotations

import json
import math
import os
import pickle
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import fastlr
from fastlr.base import MAX_DEPTH, parameters, schedule_classes
from helpers import SUBNORMAL_FLOOR, bits

I = 2**63 - 1
REL = 1e-13
EXAMPLES = int(os.environ.get("FASTLR_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=not os.environ.get("FASTLR_FUZZ_RANDOM"),
                database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
COUNTS: Counter = Counter()

LEAVES = {name: cls for name, cls in schedule_classes().items()
          if cls.__module__.startswith("fastlr.")
          and not any(k.startswith("schedule") for k in parameters(cls).values())}
CHOICES = {"mode": ["triangular", "triangular2", "exp_range"], "anneal": ["cos", "linear"],
           "decay_shape": ["linear", "cosine", "sqrt"]}


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print(f"\n[fuzz] examples per property: {EXAMPLES}; " +
          ", ".join(f"{k}: {v}" for k, v in sorted(COUNTS.items())))


# ------------------------------------------------------------------------------ hostile values
BAD = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, -5e-324, "0.1", None, True, [1.0],
                       10**400, -(10**400)])
EXTREME_FLOATS = [0.0, 5e-324, 2.2250738585072014e-308, 1e-300, 1e-100, 1e-8, 3e-4, 0.1, 0.5,
                  1.0, 2.0, 10.0, 1e10, 1e100, 1e300, 1.7976931348623157e308]
LOG_FLOATS = st.builds(lambda m, e: m * 10.0**e, st.floats(1.0, 9.99), st.integers(-320, 307))


def rates():
    return st.one_of(st.sampled_from(EXTREME_FLOATS), LOG_FLOATS, st.floats(0.0, 10.0),
                     st.integers(0, 10**6), st.fractions(0, 10).filter(lambda f: f.denominator < 10**6))


REAL = {  # per parameter name: mostly the meaningful region, with its edges
    "gamma": st.one_of(st.floats(1e-3, 1.0), st.floats(1.0, 1.01), st.sampled_from(
        [1.0, 0.5, 0.1, 1e-300, 2.0, 1e200, 0.9999999999999999, 1.0000000000000002])),
    "decay_rate": st.one_of(st.floats(0.0, 1.0), LOG_FLOATS, st.sampled_from([0.0, 1e-300, 700.0])),
    "power": st.one_of(st.floats(0.0, 8.0), st.sampled_from([0.0, 0.5, 1.0, 2.0, 1e-300, 1e6])),
    "pct_start": st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.3, 0.25, 0.5, 1.0, 5e-324])),
    "div_factor": st.one_of(st.floats(1e-3, 1e4), LOG_FLOATS),
    "final_div_factor": st.one_of(st.floats(1e-3, 1e5), LOG_FLOATS),
    "cycle_mult": st.one_of(st.sampled_from([1, 2, 3, 1.5, 1.0000001, 1e308]),
                            st.floats(1.05, 4.0), st.floats(1.0, 1.05)),
    "cycle_decay": st.one_of(st.floats(0.0, 1.0), st.sampled_from([1.0, 0.5, 5e-324])),
    "factor": None,  # a rate
    "timescale": st.one_of(st.floats(1e-3, 1e6), LOG_FLOATS, st.sampled_from(
        [1.0, 0.5, 2.5, 5.6e-309, 5e-324, 1e300, 1.7976931348623157e308])),
    "offset": st.one_of(rates(), rates().map(lambda x: -x)),
}
STEPS = st.one_of(
    st.sampled_from([0, 1, 2, 3, 7, 63, 64, 65, 4095, 4096, 4097, 2**31, 2**52, 2**52 + 1,
                     2**53 + 1, 2**62, I // 2, I - 1, I]),
    st.integers(0, 300), st.integers(0, 20000), st.integers(0, I))


def value(kind: str, name: str, draw_bad: bool):
    """A strategy for a parameter of `kind` named `name` (invalid values now and then)."""
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if kind == "rate":
        good = rates()
    elif kind == "real":
        good = REAL[name] if REAL.get(name) is not None else rates()
    elif kind == "steps":
        good = STEPS
    elif kind == "bool":
        good = st.booleans()
    elif kind == "choice":
        good = st.sampled_from(CHOICES[name])
    elif kind == "steps_list":
        good = st.lists(STEPS, max_size=8).map(sorted)
    elif kind == "rate_list":
        good = st.lists(rates(), min_size=1, max_size=9)
    else:  # pragma: no cover
        raise KeyError(kind)
    if optional:
        good = st.one_of(st.none(), good)
    return st.one_of(good, BAD) if draw_bad else good


@st.composite
def leaf(draw):
    name = draw(st.sampled_from(sorted(LEAVES)))
    cls = LEAVES[name]
    bad = draw(st.integers(0, 19)) == 0  # ~5% of specs carry invalid values
    kw = {p: draw(value(kind, p, bad)) for p, kind in parameters(cls).items()}
    if name == "PiecewiseConstant" and not bad and draw(st.booleans()):  # a matching length now and then
        kw["boundaries"] = sorted(set(b for b in kw["boundaries"] if b >= 1))
        kw["values"] = draw(st.lists(rates(), min_size=len(kw["boundaries"]) + 1,
                                     max_size=len(kw["boundaries"]) + 1))
    if name == "WarmRestarts" and kw["cycle_mult"] != 1 and kw.get("max_cycles") is None:
        kw["max_cycles"] = draw(st.one_of(st.none(), st.integers(1, 50)))
    if name == "Triangular" and draw(st.booleans()):
        kw["step_size_up"] = draw(st.integers(1, 2**51))
    return name, kw


def build(name: str, kw: dict):
    """The schedule, or None if its parameters are refused; anything but TypeError/ValueError
    fails the property."""
    try:
        s = getattr(fastlr, name)(**kw)
    except (TypeError, ValueError):
        COUNTS["refused specs"] += 1
        return None
    COUNTS["built schedules"] += 1
    return s


@st.composite
def schedule(draw, depth: int = 3):
    """A schedule (built) from a random spec or composition; assume() away refused specs."""
    kind = draw(st.sampled_from(["leaf"] * 3 + ["warmup", "join", "scale", "sum", "max",
                                                  "offset"])) if depth else "leaf"
    if kind == "leaf":
        s = build(*draw(leaf()))
    elif kind in ("sum", "max"):
        s = build("Sum" if kind == "sum" else "Maximum",
                  dict(a=draw(schedule(depth - 1)), b=draw(schedule(depth - 1))))
    elif kind == "offset":
        s = build("Offset", dict(inner=draw(schedule(depth - 1)), offset=draw(REAL["offset"])))
    elif kind == "warmup":
        s = build("WithWarmup", dict(inner=draw(schedule(depth - 1)), warmup_steps=draw(STEPS),
                                     init_lr=draw(rates())))
    elif kind == "scale":
        s = build("Scaled", dict(inner=draw(schedule(depth - 1)), factor=draw(rates())))
    else:
        k = draw(st.integers(1, 4))
        parts = [draw(schedule(depth - 1)) for _ in range(k)]
        bounds = sorted(draw(st.sets(st.one_of(st.integers(1, 300), st.integers(1, I)),
                                     min_size=k - 1, max_size=k - 1)))
        s = build("Join", dict(schedules=parts, boundaries=bounds))
    assume(s is not None)
    return s


# ------------------------------------------------------------------------------ the documented range
def value_range(s) -> tuple:
    """(lo, hi) of every value of `s`, from its parameters and the docstrings' formulas (exact
    rationals where a product is involved); hi is inf where values may overflow (documented)."""
    name, p = type(s).__name__, s.params

    def span(*xs):
        return min(xs), max(xs)
    if name == "Constant":
        return span(p["lr"])
    if name == "StepDecay":
        return (0.0, p["lr"]) if p["gamma"] <= 1 else (p["lr"], math.inf)
    if name == "ExponentialDecay" and p["end_lr"] is not None:
        return span(p["lr"], p["end_lr"])      # clipped: a floor (decay) or a cap (growth)
    if name in ("ExponentialDecay", "InverseSqrt", "InverseTime", "InversePower"):
        return 0.0, p["lr"]
    if name == "TanhDecay":
        return span(p["max_lr"], p["min_lr"])
    if name in ("CosineRestarts", "PolynomialRestarts"):
        n = len(s.cycle_starts())
        last = float(Fraction(p["max_lr"]) * Fraction(p["cycle_decay"]) ** max(0, n - 1))
        lo = min(p["min_lr"], p["max_lr"]) if p["cycle_decay"] >= 1 else 0.0
        return lo, max(p["min_lr"], p["max_lr"], last)
    if name == "Shifted":
        return value_range(p["inner"])
    if name == "Product":
        (a0, a1), (b0, b1) = value_range(p["a"]), value_range(p["b"])
        ends = [x * y for x in (a0, a1) for y in (b0, b1) if not (x == 0 and math.isinf(y))
                and not (y == 0 and math.isinf(x))]
        return min(ends), max(ends)
    if name == "Sum":   # float sums: an end past the float64 range is +-inf, as the values
        (a0, a1), (b0, b1) = value_range(p["a"]), value_range(p["b"])
        return a0 + b0, a1 + b1
    if name == "Maximum":
        (a0, a1), (b0, b1) = value_range(p["a"]), value_range(p["b"])
        return max(a0, b0), max(a1, b1)
    if name == "Offset":
        lo, hi = value_range(p["inner"])
        return lo + p["offset"], hi + p["offset"]
    if name in ("CosineAnnealing", "Cyclical", "WarmupStableDecay"):
        return span(p["max_lr"], p["min_lr"])
    if name == "Warmup":
        return span(p["max_lr"], p["init_lr"])
    if name == "Linear":
        return span(p["start_lr"], p["end_lr"])
    if name in ("Polynomial", "CyclicPolynomial"):
        return span(p["init_lr"], p["end_lr"])
    if name == "PiecewiseConstant":
        return span(*p["values"])
    if name == "MultiStep":
        last = float(Fraction(p["lr"]) * Fraction(p["gamma"]) ** len(p["milestones"]))
        return span(p["lr"], last)
    if name == "OneCycle":
        initial = float(Fraction(p["max_lr"]) / Fraction(p["div_factor"]))
        final = float(Fraction(p["max_lr"]) / Fraction(p["div_factor"])
                      / Fraction(p["final_div_factor"]))
        return span(p["max_lr"], initial, final)
    if name == "Triangular":
        return span(p["base_lr"], p["max_lr"])
    if name == "WarmRestarts":
        lo = min(p["min_lr"], p["max_lr"]) if p["cycle_decay"] == 1 else 0.0
        return lo, max(p["min_lr"], p["max_lr"])
    if name == "Scaled":
        lo, hi = value_range(p["inner"])
        return p["factor"] * lo, (p["factor"] * hi if p["factor"] else 0.0)
    if name == "WithWarmup":
        lo, hi = value_range(p["inner"])
        return min(lo, p["init_lr"]), max(hi, p["init_lr"])
    if name == "Join":
        ranges = [value_range(c) for c in p["schedules"]]
        return min(r[0] for r in ranges), max(r[1] for r in ranges)
    raise KeyError(name)  # pragma: no cover - a new class needs its range here


def peak_of(s) -> float:
    """The largest rate of `s` and of every schedule inside it (scaled by the factors above it)."""
    name, p = type(s).__name__, s.params
    if name == "Scaled":
        return p["factor"] * peak_of(p["inner"])
    if name == "WithWarmup":
        return max(p["init_lr"], peak_of(p["inner"]))
    if name == "Join":
        return max(peak_of(c) for c in p["schedules"])
    if name == "Sum":   # the scale of the rounding of a sum: its terms, not the (cancelled) sum
        return peak_of(p["a"]) + peak_of(p["b"])
    if name == "Maximum":
        return max(peak_of(p["a"]), peak_of(p["b"]))
    if name == "Offset":
        return peak_of(p["inner"]) + abs(p["offset"])
    lo, hi = value_range(s)
    return max(abs(lo), abs(hi) if math.isfinite(hi) else abs(lo))


def check_range(s, values: np.ndarray) -> None:
    lo, hi = value_range(s)
    assert not np.isnan(values).any(), f"{s!r}: NaN"
    finite = values[np.isfinite(values)]
    # the contract's scale: the largest rate involved (where values may grow past every
    # parameter, StepDecay with gamma > 1, the largest value itself, as in exact.assert_exact)
    peak = max(peak_of(s), float(np.abs(finite).max()) if finite.size else 0.0)
    tol = REL * peak + SUBNORMAL_FLOOR
    if finite.size < values.size:
        odd = values[~np.isfinite(values)]   # +inf where hi is (overflow), -inf where lo is
        assert ((odd == math.inf) & (hi == math.inf) | (odd == -math.inf) & (lo == -math.inf)
                ).all(), f"{s!r}: non-finite values {odd[:3]}"
    if finite.size:
        assert finite.min() >= lo - tol, f"{s!r}: {finite.min()!r} below {lo!r}"
        assert finite.max() <= hi + tol, f"{s!r}: {finite.max()!r} above {hi!r}"


# ------------------------------------------------------------------------------ windows
@st.composite
def window(draw, s):
    n = draw(st.one_of(st.integers(0, 64), st.integers(0, 600), st.integers(4000, 5000)))
    anchor = draw(st.one_of(
        st.just(0), st.integers(0, 10**5),
        st.sampled_from([2**31, 2**40, 2**52, 2**53, 2**62, I]),
        st.integers(0, I),
        st.sampled_from([int(b) for b in s.plan.iseg[:, 0]])))   # segment starts
    start = min(max(anchor + draw(st.integers(-n - 2, n + 2)), 0), I + 1 - max(n, 1))
    return start, n


# ------------------------------------------------------------------------------ the properties
@FUZZ
@given(st.data())
def test_specs_raise_only_type_or_value_errors(data):
    """Random specs (and their dicts through from_dict) fail only with TypeError/ValueError."""
    name, kw = data.draw(leaf())
    COUNTS["spec examples"] += 1
    s = build(name, kw)
    try:
        d = fastlr.from_dict({"schedule": name, **kw})
    except (TypeError, ValueError):
        assert s is None, f"{name}({kw}) builds but its dict is refused"
        return
    assert s is not None and d == s


@FUZZ
@given(st.data())
def test_evaluation_paths_agree_bit_for_bit(data):
    s = data.draw(schedule())
    start, n = data.draw(window(s))
    COUNTS["evaluation examples"] += 1
    a = s.array(n, start)
    assert s.fill(np.empty(n), start).tobytes() == a.tobytes()
    steps = np.arange(start, start + n, dtype=np.int64)
    perm = np.random.default_rng(n).permutation(n)
    assert bits(s(steps)) == bits(a)
    assert bits(s(steps[perm])) == bits(a[perm])
    for k in {0, n // 2, n - 1} if n else ():
        assert np.float64(s(start + k)).tobytes() == a[k].tobytes(), (s, start + k)
    with np.errstate(over="ignore"):
        assert bits(s.array(n, start, np.float32)) == bits(a.astype(np.float32))
    if n:
        k = data.draw(st.integers(0, n - 1))  # both parts start at a valid step
        assert bits(np.concatenate([s.array(k, start), s.array(n - k, start + k)])) == bits(a)
    check_range(s, a)
    COUNTS["values checked"] += 6 * n


@FUZZ
@given(st.data())
def test_sweep_rows_equal_arrays(data):
    scheds = data.draw(st.lists(schedule(depth=2), min_size=1, max_size=4))
    start, n = data.draw(window(scheds[0]))
    COUNTS["sweep examples"] += 1
    rows = fastlr.sweep(scheds, n, start=start)
    for s, row in zip(scheds, rows):
        assert bits(row) == bits(s.array(n, start)), s
    rows32 = fastlr.sweep(scheds, n, start=start, dtype=np.float32)
    with np.errstate(over="ignore"):
        assert bits(rows32) == bits(rows.astype(np.float32))
    COUNTS["values checked"] += 2 * rows.size


@FUZZ
@given(st.data())
def test_round_trips(data):
    s = data.draw(schedule())
    COUNTS["round-trip examples"] += 1
    assert s.depth <= MAX_DEPTH
    d = s.to_dict()
    for again in (fastlr.from_dict(d), fastlr.from_dict(json.loads(json.dumps(d))),
                  pickle.loads(pickle.dumps(s))):
        assert again == s and hash(again) == hash(s) and repr(again) == repr(s)
        assert bits(again.array(64, 2**40)) == bits(s.array(64, 2**40))
