"""The error contract: TypeError/ValueError naming the parameter and the offending value, raised
in the constructor for bad parameters, and before anything is written for bad arguments."""
from __future__ import annotations

import math
import sys
from decimal import Decimal

import numpy as np
import pytest

import fastlr

from helpers import DTYPES, INT64_MAX, SCHEDULES, make

GOOD = {
    "StepDecay": dict(lr=0.1, gamma=0.5, step_size=10),
    "ExponentialDecay": dict(lr=0.1, decay_rate=1e-3),
    "CosineAnnealing": dict(max_lr=0.1, total_steps=100, min_lr=0.01),
    "Warmup": dict(max_lr=0.1, warmup_steps=100, init_lr=0.01),
    "Cyclical": dict(max_lr=0.1, cycle_steps=100, min_lr=0.01),
}
RATES = {"StepDecay": ["lr"], "ExponentialDecay": ["lr"], "CosineAnnealing": ["max_lr", "min_lr"],
         "Warmup": ["max_lr", "init_lr"], "Cyclical": ["max_lr", "min_lr"]}
COUNTS = {"StepDecay": "step_size", "CosineAnnealing": "total_steps", "Warmup": "warmup_steps",
          "Cyclical": "cycle_steps"}

NOT_NUMBERS = ["0.1", None, 1j, complex(0.1, 0), [0.1], (0.1,), {"v": 1}, b"1", Decimal("0.1"),
               True, False, np.bool_(True), object()]
BAD_REALS = [math.nan, math.inf, -math.inf, np.float64("nan"), np.float32("inf")]


def shows(value) -> tuple:
    """The ways a message may quote an offending value."""
    out = {repr(value), str(value)}
    if isinstance(value, float) and not math.isfinite(value):
        out.add(repr(float(value)))
    return tuple(out)


def assert_message(exc_info, name, value=None, *more):
    msg = str(exc_info.value)
    assert name in msg, f"message {msg!r} does not name {name!r}"
    if value is not None:
        assert any(v in msg for v in shows(value)), f"message {msg!r} does not show {value!r}"
    for m in more:
        assert m in msg, f"message {msg!r} lacks {m!r}"


def construct(name, **changes):
    return make(name, {**GOOD[name], **changes})


# ------------------------------------------------------------------------ constructor checks


def _rate_cases():
    for name, fields in RATES.items():
        for f in fields:
            for v in NOT_NUMBERS:
                yield name, f, v, TypeError
            for v in BAD_REALS + [-0.1, -1e-300, -1, np.float64(-2.0)]:
                yield name, f, v, ValueError


@pytest.mark.parametrize("name,field,value,exc", list(_rate_cases()),
                         ids=lambda x: x if isinstance(x, str) else repr(x)[:20])
def test_bad_rates_raise_in_constructor(name, field, value, exc):
    with pytest.raises(exc) as info:
        construct(name, **{field: value})
    assert_message(info, field, None if type(value) is object else value)


@pytest.mark.parametrize("value,exc", [
    (0.0, ValueError), (-0.5, ValueError), (-1e-300, ValueError), (math.nan, ValueError),
    (math.inf, ValueError), (-math.inf, ValueError), ("0.5", TypeError), (None, TypeError),
    (0.5j, TypeError), (True, TypeError),
])
def test_bad_gamma(value, exc):
    with pytest.raises(exc) as info:
        construct("StepDecay", gamma=value)
    assert_message(info, "gamma", value)


@pytest.mark.parametrize("value,exc", [
    (-1e-3, ValueError), (-1, ValueError), (math.nan, ValueError), (math.inf, ValueError),
    ("1e-3", TypeError), (None, TypeError), (1j, TypeError), (False, TypeError),
])
def test_bad_decay_rate(value, exc):
    with pytest.raises(exc) as info:
        construct("ExponentialDecay", decay_rate=value)
    assert_message(info, "decay_rate", value)


def _count_cases():
    for name, field in COUNTS.items():
        for v in ([-1, -5, -(2**63), 2**63, 2**64] + ([0] if name != "Warmup" else [])
                  + ([2**62, INT64_MAX] if name == "Cyclical" else [])):
            yield name, field, v, ValueError
        for v in [10.0, 1e2, np.float64(10.0), True, False, np.bool_(True), "10", None, 10j,
                  [10], Decimal(10)]:
            yield name, field, v, TypeError


@pytest.mark.parametrize("name,field,value,exc", list(_count_cases()),
                         ids=lambda x: x if isinstance(x, str) else repr(x)[:20])
def test_bad_step_counts_raise_in_constructor(name, field, value, exc):
    with pytest.raises(exc) as info:
        construct(name, **{field: value})
    assert_message(info, field, value)


@pytest.mark.parametrize("name", SCHEDULES)
def test_numpy_and_fraction_numbers_are_accepted(name):
    from fractions import Fraction

    p = dict(GOOD[name])
    for k in RATES[name]:
        p[k] = np.float32(p[k]) if k.startswith("max") or k == "lr" else Fraction(1, 100)
    if name in COUNTS:
        p[COUNTS[name]] = np.int32(100)
    s = make(name, p)
    assert type(s.to_dict()[RATES[name][0]]) is float
    if name in COUNTS:
        assert type(s.to_dict()[COUNTS[name]]) is int


def test_missing_and_unknown_parameters():
    with pytest.raises(TypeError):
        fastlr.CosineAnnealing(0.1)
    with pytest.raises(TypeError, match="warm"):
        fastlr.CosineAnnealing(0.1, 10, warm=3)


# ------------------------------------------------------------------------ bad `out`


def _misaligned(dtype, n=6):
    itemsize = np.dtype(dtype).itemsize
    buf = bytearray(itemsize * n + 1)
    return np.frombuffer(buf, offset=1, dtype=dtype, count=n), buf


def bad_outs(dtype):
    """(label, out, the object whose bytes must not change, exception, message parts)."""
    sentinel = 0x5A
    dt = np.dtype(dtype)

    def fresh(shape, d=dt):
        a = np.empty(shape, d)
        a.reshape(-1).view(np.uint8)[:] = sentinel
        return a

    cases = []
    lst = [1.5] * 4
    cases.append(("list", lst, lst, TypeError, ("out", "list")))
    mv_buf = bytearray([sentinel]) * (8 * 4)
    cases.append(("memoryview", memoryview(mv_buf).cast("d"), mv_buf, TypeError,
                  ("out", "memoryview")))
    cases.append(("tuple", (0.0, 0.0), None, TypeError, ("out", "tuple")))
    cases.append(("none", None, None, TypeError, ("out", "NoneType")))
    a = fresh((2, 3))
    cases.append(("2-D", a, a, ValueError, ("out", "(2, 3)")))
    a = fresh(())
    cases.append(("0-D", a, a, ValueError, ("out", "()")))
    for bad in (np.int64, np.int32, np.float16, np.complex128, np.complex64, np.longdouble,
                np.uint8, np.bool_, object):
        if bad is object:
            a = np.array([None] * 4, dtype=object)
            cases.append(("object", a, None, TypeError, ("out", "object")))
            continue
        a = fresh(4, np.dtype(bad))
        cases.append((np.dtype(bad).name, a, a, TypeError, ("out", np.dtype(bad).name)))
    base = fresh(12)
    cases.append(("strided", base[::2], base, ValueError, ("out", "contiguous")))
    cases.append(("reversed", base[::-1], base, ValueError, ("out", "contiguous")))
    col = fresh((4, 3))
    cases.append(("column", col[:, 1], col, ValueError, ("out", "contiguous")))
    ro = fresh(5)
    ro.flags.writeable = False
    cases.append(("read-only", ro, ro, ValueError, ("out", "read-only")))
    mis, buf = _misaligned(dt)
    buf[:] = bytes([sentinel]) * len(buf)
    cases.append(("misaligned", mis, buf, ValueError, ("out", "align")))
    swapped = fresh(5, dt.newbyteorder())
    cases.append(("byte-swapped", swapped, swapped, ValueError, ("out", dt.newbyteorder().str)))
    ro_frombuf = np.frombuffer(bytes([sentinel]) * (dt.itemsize * 3), dtype=dt)
    cases.append(("frombuffer-bytes", ro_frombuf, ro_frombuf, ValueError, ("out", "read-only")))
    return cases


def snapshot(obj):
    if obj is None:
        return None
    if isinstance(obj, np.ndarray):
        base = obj
        while isinstance(base.base, np.ndarray):
            base = base.base
        return np.ascontiguousarray(base).tobytes()
    if isinstance(obj, (bytearray, bytes)):
        return bytes(obj)
    return list(obj)


# (out=None is array()'s default: a new array, not an error)
VIA_LABEL = [(via, c[0]) for via in ("fill", "array") for c in bad_outs(np.float64)
             if not (via == "array" and c[0] == "none")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("via,label", VIA_LABEL)
def test_bad_out_raises_and_leaves_it_unchanged(dtype, via, label):
    (case,) = [c for c in bad_outs(dtype) if c[0] == label]
    _, out, watched, exc, parts = case
    before = snapshot(watched)
    s = construct("Cyclical")
    with pytest.raises(exc) as info:
        if via == "fill":
            s.fill(out, 3)
        else:  # `out` is checked before it is compared with n and dtype
            s.array(4, 3, dtype, out=out)
    assert_message(info, parts[0], None, *parts[1:])
    assert snapshot(watched) == before, "out was modified before the error"


# ------------------------------------------------------------------------ bad start / window


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("start,exc", [
    (-1, ValueError), (-(2**63), ValueError), (2**63, ValueError), (2**64 + 5, ValueError),
    (np.int64(-3), ValueError), (np.uint64(2**63), ValueError),
    (1.0, TypeError), (0.0, TypeError), (np.float64(2.0), TypeError), (True, TypeError),
    (np.bool_(False), TypeError), ("3", TypeError), (None, TypeError), (3j, TypeError),
    ([3], TypeError),
])
def test_bad_start(dtype, start, exc):
    s = construct("CosineAnnealing")
    out = np.full(4, 123.0, dtype)
    with pytest.raises(exc) as info:
        s.fill(out, start)
    assert_message(info, "start", start)
    assert (out == 123.0).all()
    with pytest.raises(exc) as info:
        s.array(4, start, dtype)
    assert_message(info, "start", start)


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,start", [(2, INT64_MAX), (11, INT64_MAX - 9),
                                     (10**6, INT64_MAX - 10**6 + 2)])
def test_window_past_int64_max(name, dtype, n, start):
    s = construct(name)
    out = np.full(n, -5.0, dtype)
    with pytest.raises(ValueError) as info:
        s.fill(out, start)
    assert_message(info, "start", start, str(start + n - 1))
    assert (out == -5.0).all()
    with pytest.raises(ValueError) as info:
        s.array(n, start, dtype)
    assert_message(info, "start", start)


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_windows_ending_at_int64_max_work(name, dtype):
    s = construct(name)
    assert s.fill(np.full(1, np.nan, dtype), INT64_MAX)[0] == np.asarray(s(INT64_MAX), dtype)
    out = s.fill(np.full(10, np.nan, dtype), INT64_MAX - 9)
    assert not np.isnan(out).any()
    assert s.fill(np.empty(0, dtype), INT64_MAX).size == 0
    assert s.array(10, INT64_MAX - 9, dtype).tobytes() == out.tobytes()


# ------------------------------------------------------------------------ array(n, ...)


@pytest.mark.parametrize("dtype", ["int64", np.int32, np.float16, "float16", object, np.complex128,
                                   "c8", ">f8", np.dtype(">f4"), "U3", bool, "nonsense",
                                   np.longdouble, "M8[s]"])
def test_array_rejects_unsupported_dtype(dtype):
    with pytest.raises(TypeError) as info:
        construct("Warmup").array(3, 0, dtype)
    msg = str(info.value)
    assert "dtype" in msg
    shown = {repr(dtype), str(dtype)}
    try:
        shown |= {str(np.dtype(dtype)), np.dtype(dtype).name}
    except TypeError:
        pass
    assert any(v in msg for v in shown), msg


@pytest.mark.parametrize("dtype", ["float32", "float64", "f4", "<f8", np.dtype("=f8"), float])
def test_array_accepts_float_dtypes(dtype):
    a = construct("Warmup").array(3, 0, dtype)
    assert a.dtype == np.dtype(dtype)


@pytest.mark.parametrize("out_dtype,dtype", [(np.float64, np.float32), (np.float32, np.float64)])
def test_array_dtype_disagreeing_with_out(out_dtype, dtype):
    out = np.full(4, 9.0, out_dtype)
    with pytest.raises(TypeError) as info:
        construct("Warmup").array(4, 0, dtype, out=out)
    assert "dtype" in str(info.value)
    assert np.dtype(out_dtype).name in str(info.value)
    assert (out == 9.0).all()


def test_array_n_disagreeing_with_out():
    out = np.full(4, 9.0)
    with pytest.raises(ValueError) as info:
        construct("Warmup").array(5, 0, out=out)
    assert_message(info, "n", 5)
    assert (out == 9.0).all()


@pytest.mark.parametrize("n,exc", [(-1, ValueError), (-(2**70), ValueError), (2**63, ValueError),
                                   (3.0, TypeError), (True, TypeError), ("3", TypeError),
                                   (None, TypeError)])
def test_array_bad_n(n, exc):
    with pytest.raises(exc) as info:
        construct("Warmup").array(n)
    assert_message(info, "n", n)


# ------------------------------------------------------------------------ __call__


@pytest.mark.parametrize("t,exc,shown", [
    (-1, ValueError, "-1"),
    (-(2**63), ValueError, str(-(2**63))),
    (2**63, ValueError, str(2**63)),
    (2**100, ValueError, str(2**100)),
    (1.0, TypeError, "1.0"),
    (np.float64(3.0), TypeError, "float64"),
    (True, TypeError, "True"),
    (np.bool_(True), TypeError, "bool"),
    (None, TypeError, "None"),
    ("3", TypeError, "'3'"),
    (1j, TypeError, "1j"),
    (np.uint64(2**64 - 1), ValueError, str(2**64 - 1)),
    (np.array([2**63], dtype=np.uint64), ValueError, str(2**63)),
    (np.array([5, 2**64 - 1, 7], dtype=np.uint64), ValueError, str(2**64 - 1)),
    ([2**63], ValueError, str(2**63)),
    (np.array([1.0, 2.0]), TypeError, "float64"),
    (np.array([1, 2], dtype=np.float32), TypeError, "float32"),
    (np.array([True, False]), TypeError, "bool"),
    ([1.5, 2], TypeError, "1.5"),
    (np.array(["1"]), TypeError, "<U1"),
    (np.array([1, 2], dtype=object), TypeError, "object"),
    (np.array([3, -4, 5]), ValueError, "-4"),
    (np.array([[3, 4], [5, -(2**63)]]), ValueError, str(-(2**63))),
    (np.array(-7), ValueError, "-7"),
    (np.array([0, -1], dtype=np.int8), ValueError, "-1"),
])
def test_call_bad_steps(t, exc, shown):
    s = construct("StepDecay")
    with pytest.raises(exc) as info:
        s(t)
    msg = str(info.value)
    assert ("steps" in msg or "t " in msg or msg.startswith("t ")), msg
    assert shown in msg, msg


@pytest.mark.parametrize("t", [[1, 2**63], [2**64], [-1, 2**63], (2**70,)])
def test_call_huge_steps_in_lists_raise(t):
    """Lists that numpy cannot hold as int64/uint64 are refused (numpy makes them float64 or
    object arrays), never evaluated at a rounded step."""
    with pytest.raises((TypeError, ValueError)):
        construct("StepDecay")(t)


def test_call_negative_gather_reports_first_bad_index():
    s = construct("StepDecay")
    with pytest.raises(ValueError) as info:
        s(np.array([4, 5, -9, -3]))
    assert "-9" in str(info.value) and "2" in str(info.value)


def test_int64_max_and_uint64_within_range_are_fine():
    s = construct("Cyclical")
    assert s(np.array([INT64_MAX], dtype=np.uint64))[0] == s(INT64_MAX)
    assert s(np.array([INT64_MAX], dtype=np.int64))[0] == s(INT64_MAX)
    assert math.isfinite(s(INT64_MAX))


@pytest.mark.skipif(sys.byteorder != "little", reason="'>f8' is native on big-endian machines")
def test_big_endian_is_non_native_here():
    assert not np.dtype(">f8").isnative
