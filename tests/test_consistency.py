"""Self-consistency, bit for bit: a value never depends on the window, the split, the path (fill,
scalar, gather, array) or the order of steps; float32 output is the float64 output rounded once."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import (
    DTYPES,
    INT64_MAX,
    SCHEDULES,
    bits,
    examples,
    fbits,
    make,
    schedules_strategy,
    windows,
)

SCHED = schedules_strategy()


def long_window(data, max_n=9000, min_n=1):
    name, params = data.draw(SCHED, label="schedule")
    start, n = data.draw(windows(name, params, max_n=max_n, min_n=min_n), label="window")
    return make(name, params), start, n


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=examples(150))
@given(data=st.data())
def test_fill_window_equals_longer_fill(dtype, data):
    s, start, n = long_window(data)
    full = s.fill(np.empty(n, dtype), start)
    a = data.draw(st.integers(0, n - 1), label="a")
    b = data.draw(st.integers(a, n), label="b")
    part = s.fill(np.empty(b - a, dtype), start + a)
    assert bits(part) == bits(full[a:b])


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=examples(100))
@given(data=st.data())
def test_split_into_pieces_gives_identical_bits(dtype, data):
    s, start, n = long_window(data)
    whole = s.fill(np.empty(n, dtype), start)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=12), label="cuts"))
    bounds = [0] + cuts + [n]
    if start + n > INT64_MAX:  # an empty piece may not start at 2**63 (not a step)
        bounds = [b for b in bounds if b < n] + [n]
    # pieces filled into views of one array ...
    joined = np.full(n, np.nan, dtype)
    for a, b in zip(bounds, bounds[1:]):
        s.fill(joined[a:b], start + a)
    # ... and into separate arrays, in reverse order
    pieces = [s.fill(np.empty(b - a, dtype), start + a)
              for a, b in reversed(list(zip(bounds, bounds[1:])))]
    assert bits(joined) == bits(whole)
    assert bits(np.concatenate(pieces[::-1])) == bits(whole)


@settings(max_examples=examples(150))
@given(data=st.data())
def test_scalar_and_gather_equal_fill(data):
    s, start, n = long_window(data, max_n=5000)
    full = s.fill(np.empty(n, np.float64), start)
    idx = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=60), label="idx"))
    steps = idx.astype(np.int64) + start
    # scalar calls: Python floats equal to the filled elements
    for i, t in list(zip(idx, steps))[:15]:
        v = s(int(t))
        assert type(v) is float
        assert fbits(v) == bits(full[i])
    # 1-D gather, unsorted with duplicates (lists draw them freely)
    assert bits(s(steps)) == bits(full[idx])
    # 2-D, C and Fortran order, and a reversed (negative-stride) view
    rows = data.draw(st.sampled_from([1, 2, 3, 4, 5, 6]), label="rows")
    m = len(steps) - len(steps) % rows
    if m:
        grid = steps[:m].reshape(rows, -1)
        expect = full[idx[:m]].reshape(rows, -1)
        for g, e in ((grid, expect), (np.asfortranarray(grid), expect), (grid.T, expect.T),
                     (grid[::-1, ::-1], expect[::-1, ::-1])):
            got = s(g)
            assert got.shape == g.shape and got.dtype == np.float64
            assert bits(got) == bits(e)
    # 0-d array
    got0 = s(np.array(steps[0]))
    assert got0.shape == () and bits(got0) == bits(full[idx[0]])
    # other integer dtypes and a plain list
    assert bits(s(steps.astype(np.uint64))) == bits(full[idx])
    assert bits(s([int(t) for t in steps])) == bits(full[idx])
    if steps.max() < 2**31:
        assert bits(s(steps.astype(np.int32))) == bits(full[idx])
    assert bits(s(steps.astype(">i8"))) == bits(full[idx])


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=examples(100))
@given(data=st.data())
def test_array_equals_fill(dtype, data):
    s, start, n = long_window(data, max_n=5000)
    filled = s.fill(np.empty(n, dtype), start)
    a = s.array(n, start, dtype)
    assert a.dtype == np.dtype(dtype) and a.shape == (n,)
    assert bits(a) == bits(filled)
    out = np.empty(n, dtype)
    r = s.array(n, start, dtype, out=out)
    assert r is out and bits(out) == bits(filled)
    if start == 0:
        assert bits(s.array(n, dtype=dtype)) == bits(filled)


@pytest.mark.parametrize("dtype", DTYPES)
def test_array_default_dtype_and_empty(dtype):
    s = make("CosineAnnealing", dict(max_lr=0.1, total_steps=100))
    assert s.array(5).dtype == np.float64
    e = s.array(0, 7, dtype)
    assert e.shape == (0,) and e.dtype == np.dtype(dtype)
    assert s.fill(np.empty(0, dtype), INT64_MAX).shape == (0,)


@settings(max_examples=examples(150))
@given(data=st.data())
def test_float32_is_float64_rounded_once(data):
    s, start, n = long_window(data, max_n=5000)
    a64 = s.array(n, start, np.float64)
    a32 = s.array(n, start, np.float32)
    assert a32.dtype == np.float32
    with np.errstate(over="ignore"):  # rates above float32's range round to inf, as they should
        rounded = a64.astype(np.float32)
        gathered = s(np.arange(start, start + min(n, 50), dtype=np.int64)).astype(np.float32)
    assert bits(a32) == bits(rounded)
    # scalar/gather (float64) rounded once agree as well
    assert bits(gathered) == bits(a32[:50])


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_fill_writes_only_its_slice(name, dtype):
    """Filling a slice of a larger array touches nothing outside the slice."""
    params = {
        "StepDecay": dict(lr=0.1, gamma=0.5, step_size=3),
        "ExponentialDecay": dict(lr=0.1, decay_rate=1e-3),
        "CosineAnnealing": dict(max_lr=0.1, total_steps=5000),
        "Warmup": dict(max_lr=0.1, warmup_steps=5000),
        "Cyclical": dict(max_lr=0.1, cycle_steps=300),
    }[name]
    s = make(name, params)
    buf = np.full(10_000, -7.0, dtype)
    view = buf[1234:1234 + 8000]
    assert s.fill(view, 100) is view
    assert (buf[:1234] == -7.0).all() and (buf[1234 + 8000:] == -7.0).all()
    assert bits(view) == bits(s.array(8000, 100, dtype))


@pytest.mark.parametrize("name", SCHEDULES)
def test_long_fill_consistency_many_blocks(name):
    """A 300k-step fill (many 4096-step anchor blocks) equals fills of odd-sized chunks and a
    gather of every step in reverse order."""
    params = {
        "StepDecay": dict(lr=0.1, gamma=0.999, step_size=1),
        "ExponentialDecay": dict(lr=0.1, decay_rate=1e-5),
        "CosineAnnealing": dict(max_lr=0.1, total_steps=250_000, min_lr=1e-3),
        "Warmup": dict(max_lr=0.1, warmup_steps=200_000),
        "Cyclical": dict(max_lr=0.1, cycle_steps=9_999, min_lr=1e-3),
    }[name]
    s = make(name, params)
    start = 2**40 - 12_345 if name in ("Cyclical", "ExponentialDecay") else 0
    n = 300_000
    whole = s.array(n, start)
    chunks = np.concatenate([s.array(min(4093, n - a), start + a) for a in range(0, n, 4093)])
    assert bits(chunks) == bits(whole)
    steps = np.arange(start + n - 1, start - 1, -1, dtype=np.int64)
    assert bits(s(steps)) == bits(whole[::-1])
