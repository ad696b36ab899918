"""Sums, maxima and offsets of schedules (the PRODUCT row's operations), and the inverse power law
``InversePower`` (timm WSD parity, issue 9).

Expected values come from tests/exact.py (mpmath and exact rationals, written from the docstrings),
from numpy sums / maxima of independently filled terms, or from hand formulas; fastlr's own output
is compared with itself only for consistency (paths, dtypes, windows)."""
from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mpmath import mp, mpf

import fastlr
from fastlr import plan
from fastlr._dispatch import kernels

try:
    import exact
    from helpers import assert_paths_agree
except ImportError:  # tests/ turned into a package
    from tests import exact
    from tests.helpers import assert_paths_agree

LAST = exact.LAST_STEP
REL = exact.REL
assert_exact = exact.assert_exact
bits, fixed_windows = exact.bits, exact.fixed_windows
check_exact_everywhere = exact.check_exact_everywhere
pytestmark = pytest.mark.filterwarnings("ignore:mypy_extensions.TypedDict:DeprecationWarning")
PROPS = exact.props(40)
C = fastlr





offsets = st.one_of(st.just(0.0), st.floats(-10.0, 10.0), st.sampled_from([-0.1, 1e-3, -1e-300]))
OPS = {"sum": (lambda a, b: a + b, lambda x, y: x + y),
       "max": (lambda a, b: C.Maximum(a, b), np.maximum)}


# ============================================================================ bit-exact definitions
@PROPS
@given(data=st.data(), op=st.sampled_from(sorted(OPS)))
def test_sum_and_maximum_equal_numpy_of_their_terms(data, op):
    """a(t) + b(t) and max(a(t), b(t)) in float64 rounded once: bit for bit numpy's sum / maximum
    of the two terms' own fills (values do not depend on the window), in every window; float32 is
    that value rounded once."""
    make, ref = OPS[op]
    a = data.draw(exact.any_family, label="a")
    b = data.draw(exact.any_family, label="b")
    s = make(a, b)
    assert type(s) is (C.Sum if op == "sum" else C.Maximum)
    assert s.params == {"a": a, "b": b}
    n = data.draw(st.integers(1, 700), label="n")   # > 256: several of the kernel's chunks
    for start in exact.draw_windows(data.draw, s, n):
        want = ref(a.array(n, start), b.array(n, start))
        np.testing.assert_array_equal(bits(s.array(n, start)), bits(want))
        np.testing.assert_array_equal(bits(s.array(n, start, np.float32)),
                                      bits(want.astype(np.float32)))


@PROPS
@given(data=st.data(), c=offsets)
def test_offset_equals_the_inner_values_plus_the_offset(data, c):
    inner = data.draw(exact.any_family, label="inner")
    s = inner + c
    assert type(s) is C.Offset and s.params == {"inner": inner, "offset": c + 0.0}
    n = data.draw(st.integers(1, 700), label="n")
    for start in exact.draw_windows(data.draw, s, n):
        want = inner.array(n, start) + c
        np.testing.assert_array_equal(bits(s.array(n, start)), bits(want))
        np.testing.assert_array_equal(bits(s.array(n, start, np.float32)),
                                      bits(want.astype(np.float32)))


def test_sum_of_constants_and_hand_values():
    s = C.Constant(0.75) + C.Constant(2.0**-10)
    assert (s.array(10) == 0.75 + 2.0**-10).all()
    m = C.Maximum(C.Linear(0.0, 1.0, 100), C.Constant(0.25))
    assert m(0) == 0.25 and m(25) == 0.25 and m(26) == 0.26 and m(100) == 1.0
    o = C.Linear(1.0, 0.0, 4) - 0.5
    assert o.array(6).tolist() == [0.5, 0.25, 0.0, -0.25, -0.5, -0.5]


# ============================================================================ exact oracle
@PROPS
@given(data=st.data(), kind=st.sampled_from(["sum", "max", "offset"]))
def test_sums_maxima_offsets_against_exact_oracle(data, kind):
    a = data.draw(exact.any_family, label="a")
    if kind == "offset":
        s = C.Offset(a, data.draw(offsets, label="c"))
    else:
        b = data.draw(exact.any_family, label="b")
        s = C.Sum(a, b) if kind == "sum" else C.Maximum(a, b)
    for start in exact.draw_windows(data.draw, s, 200):
        assert_exact(s, start, 200)


FIXED = [
    C.with_warmup(C.CosineAnnealing(0.1, 10**5, 1e-5), 1000) + C.ExponentialDecay(0.01, 1e-5),
    C.Maximum(C.InverseSqrt(0.1, 1000), C.Constant(1e-3)),
    C.Maximum(C.InversePower(0.1, 1000.5, 0.7), C.Constant(2e-3)),
    C.Offset(C.ExponentialDecay(0.1 / 0.9, 2.3e-5), -0.01 / 0.9),
    C.join([C.Constant(1e-3), C.Sum(C.Cyclical(0.1, 777), C.StepDecay(0.1, 0.5, 4096)) - 0.05],
           [500]),
    3.0 * (C.InversePower(0.1, 2.5, 0.3) + C.CosineRestarts(0.1, 333.5, 1.5, 1e-4, 0.9,
                                                            max_cycles=12)),
    C.Product(C.Maximum(C.Linear(0.0, 1.0, 4096), C.Constant(0.1)) + 1.0,
              C.Shifted(C.InversePower(1.0, 0.75, 2.0), 100)),
]


@pytest.mark.parametrize("s", FIXED, ids=repr)
def test_fixed_compositions_against_exact_oracle(s):
    check_exact_everywhere(s, limit=12)


# ============================================================================ InversePower
@PROPS
@given(s=exact.FAMILIES["InversePower"], data=st.data())
def test_inverse_power_against_exact_oracle(s, data):
    for start in exact.draw_windows(data.draw, s, 300):
        assert_exact(s, start, 300)


def test_inverse_power_hand_values_and_real_timescale():
    s = C.InversePower(0.1, 2.5, 0.7)
    assert s(0) == 0.1
    with mp.workdps(40):
        for t in (1, 2, 3, 1000, 2**40, LAST):
            want = mpf("0.1") * (1 + mpf(t) / mpf("2.5")) ** mpf("-0.7")
            assert abs(mpf(s(t)) - want) <= 4e-16 * 0.1, t
    # power 0 and lr 0 are constants; power 1 is lr / (1 + t / tau)
    assert (C.InversePower(0.1, 3.0, 0.0).array(100) == 0.1).all()
    assert (C.InversePower(0.0, 3.0, 2.0).array(100) == 0.0).all()
    one = C.InversePower(0.1, 4.0, 1.0).array(1000)
    np.testing.assert_allclose(one, 0.1 / (1 + np.arange(1000) / 4.0), rtol=4e-16, atol=0)


def test_inverse_power_with_an_integer_timescale_is_shifted_inverse_sqrt():
    """(1 + t/W)**-0.5 = sqrt(W / (t + W)): InverseSqrt(lr, W) entered W steps in."""
    for W in (1, 7, 1000, 2**33):
        a = C.InversePower(0.3, float(W), 0.5)
        b = C.Shifted(C.InverseSqrt(0.3, W), W)
        for start in (0, 5000, 2**40, 2**62):
            np.testing.assert_allclose(a.array(3000, start), b.array(3000, start), rtol=1e-15,
                                       atol=0)


def test_inverse_power_large_powers_stay_within_the_contract():
    for p in (8.0, 50.0, 300.0):
        check_exact_everywhere(C.InversePower(1.0, 1e3, p), limit=5)


# ============================================================================ consistency
@PROPS
@given(data=st.data(), kind=st.sampled_from(["sum", "max", "offset", "power"]))
def test_scalars_gathers_fills_split_windows_agree(data, kind):
    a = data.draw(exact.any_family, label="a")
    b = data.draw(exact.any_family, label="b")
    s = {"sum": lambda: a + b, "max": lambda: C.Maximum(a, b), "offset": lambda: a - 0.01,
         "power": lambda: data.draw(exact.FAMILIES["InversePower"], label="p")}[kind]()
    N = data.draw(st.integers(64, 3000), label="N")
    centre = data.draw(st.sampled_from(exact.breakpoints(s) + list(exact.FAR)), label="centre")
    base = min(max(centre - data.draw(st.integers(0, N - 1), label="shift"), 0), LAST - N + 1)
    full = s.array(N, base)
    i = data.draw(st.integers(0, N - 1), label="i")
    j = data.draw(st.integers(i, N), label="j")
    np.testing.assert_array_equal(bits(s.fill(np.full(j - i, np.nan), base + i)), bits(full[i:j]))
    halves = np.concatenate([s.array(i, base), s.array(N - i, base + i)])
    np.testing.assert_array_equal(bits(halves), bits(full))
    idx = data.draw(st.lists(st.integers(0, N - 1), min_size=1, max_size=30), label="idx")
    for k in idx[:10]:
        v = s(base + k)
        assert type(v) is float and bits(np.array([v])) == bits(full[k:k + 1])
    steps = np.array([base + k for k in idx], dtype=np.int64)
    np.testing.assert_array_equal(bits(s(steps)), bits(full[idx]))
    np.testing.assert_array_equal(bits(s(steps[::-1])), bits(full[idx[::-1]]))
    np.testing.assert_array_equal(bits(s.array(N, base, np.float32)), bits(full.astype(np.float32)))


@pytest.mark.parametrize("make", [
    lambda: fastlr.with_warmup(C.CosineAnnealing(0.1, 95_000, 1e-5), 5000) * C.ExponentialDecay(1.0, 1e-5),
    lambda: C.Maximum(C.CosineAnnealing(0.1, 10**5, 1e-5) + C.ExponentialDecay(0.01, 1e-5) - 0.002,
                      C.Constant(1e-3)),
    lambda: C.Product(C.Product(C.CosineAnnealing(0.1, 10**5), C.Warmup(1.0, 3000)),
                      C.Maximum(C.ExponentialDecay(1.0, 3e-5), C.Constant(0.25))),
    lambda: C.InversePower(0.1, 10.5, 0.3) + C.Cyclical(0.1, 777, 0.01),
])
def test_long_windows_equal_every_other_path(make):
    """Windows longer than the kernel's stack chunk take heap buffers of 2048 steps, and float64
    output takes the second factor straight into ``out`` (combined in place): the bytes equal
    sub-windows across chunk edges, gathers, scalars, float32 (the buffered path, rounded once)
    and threads 1-4, nested products included."""
    s = make()
    for start in (0, 40_000, 2**40 - 7):
        parts = ((start + 1, 2047), (start + 2047, 3), (start + 2048, 4097), (start + 511, 513),
                 (start + 9000, 11_000))
        assert_paths_agree(s, start, 20_000, parts, 97, threads=(2, 3, 4))


def test_in_a_sweep_rows_equal_arrays():
    a, b = C.CosineAnnealing(0.1, 5000, 1e-4), C.ExponentialDecay(0.01, 1e-4)
    scheds = [a + b, C.Maximum(a, b), a - 0.001, C.InversePower(0.1, 10.5, 0.3),
              C.Shifted(a + b, 77)]
    for start in (0, 2**40):
        for dtype in (np.float64, np.float32):
            m = fastlr.sweep(scheds, 6000, start=start, dtype=dtype, threads=2)
            for row, s in zip(m, scheds):
                np.testing.assert_array_equal(bits(row), bits(s.array(6000, start, dtype)))


def test_scaling_sums_maxima_offsets_and_powers():
    """c * s scales the terms' value parameters (c a + c b, max(c a, c b), c inner + c offset,
    c lr): within a few ulps of c * s(t)."""
    a, b = C.CosineAnnealing(0.1, 5000, 1e-4), C.ExponentialDecay(0.01, 1e-4)
    for s in (a + b, C.Maximum(a, b), a - 0.001, C.InversePower(0.1, 10.5, 0.3)):
        for c in (3.0, 0.1, 1e-3):
            got, want = (c * s).array(6000), c * s.array(6000)
            np.testing.assert_allclose(got, want, rtol=8 * 2.0**-52, atol=2.0**-52 * c * 0.1)
            check_exact_everywhere(c * s, limit=4)


# ============================================================================ API
def test_operators_build_sums_and_offsets():
    a, b = C.Constant(0.5), C.Linear(0.1, 0.2, 10)
    assert a + b == C.Sum(a, b) and b + a == C.Sum(b, a)
    assert a + 0.25 == C.Offset(a, 0.25) == 0.25 + a
    assert a - 0.25 == C.Offset(a, -0.25)
    assert (a + 0.25) + 0.5 == C.Offset(a, 0.75)       # offsets fold
    assert ((a + 1) - 1).params["offset"] == 0.0
    for bad in ("0.1", None, True, [1.0]):
        with pytest.raises(TypeError):
            a + bad
        with pytest.raises(TypeError):
            a - bad
    with pytest.raises(TypeError):
        a - b   # a difference of schedules is not offered: (a - b) may be negative anywhere


def test_round_trips_aliases_and_pickles():
    a = C.with_warmup(C.CosineAnnealing(0.1, 100), 10)
    b = C.InversePower(0.1, 2.5, 0.7)
    for s in (a + b, C.Maximum(a, b), a - 0.01, b, C.Maximum(a + b, C.Constant(0.01)) - 1e-3):
        d = s.to_dict()
        assert C.from_dict(d) == s and hash(C.from_dict(d)) == hash(s)
        assert C.from_dict(json.loads(json.dumps(d))) == s
        assert pickle.loads(pickle.dumps(s)) == s
        assert pickle.loads(pickle.dumps(s)).array(300).tobytes() == s.array(300).tobytes()
        assert C.from_spec(json.loads(json.dumps(d))) == s
    assert C.lookup("sum") is C.Sum and C.lookup("max") is C.Maximum
    assert C.lookup("offset") is C.Offset and C.lookup("inverse_power") is C.InversePower
    assert C.from_dict({"schedule": "add", "a": a.to_dict(), "b": b.to_dict()}) == a + b


@pytest.mark.parametrize("make,exc,name,shown", [
    (lambda: C.Sum(0.5, C.Constant(1.0)), TypeError, "a must be a fastlr schedule", "0.5"),
    (lambda: C.Sum(C.Constant(1.0), None), TypeError, "b must be a fastlr schedule", "None"),
    (lambda: C.Maximum("x", C.Constant(1.0)), TypeError, "a must be a fastlr schedule", "'x'"),
    (lambda: C.Maximum(C.Constant(1.0), 2), TypeError, "b must be a fastlr schedule", "2"),
    (lambda: C.Offset(1.0, 0.5), TypeError, "inner must be a fastlr schedule", "1.0"),
    (lambda: C.Offset(C.Constant(1.0), math.nan), ValueError, "offset", "nan"),
    (lambda: C.Offset(C.Constant(1.0), -math.inf), ValueError, "offset", "-inf"),
    (lambda: C.Offset(C.Constant(1.0), "0.1"), TypeError, "offset", "'0.1'"),
    (lambda: C.Offset(C.Constant(1.0), 10**400), ValueError, "offset", "1000000"),
    (lambda: C.Offset(C.Offset(C.Constant(1.0), 1.7e308), 1.7e308), ValueError, "offset",
     "1.7e+308"),
])
def test_bad_input_names_the_parameter(make, exc, name, shown):
    with pytest.raises(exc) as info:
        make()
    assert name in str(info.value) and shown in str(info.value), str(info.value)


def test_sums_and_products_share_the_nesting_limit():
    s, want = C.Constant(0.5), np.full(300, 0.5)
    ramp = C.Linear(0.0, 1.0, 64)
    for k in range(16):   # the same operations in numpy, in the same order
        if k % 3 == 0:
            s, want = s + C.Constant(0.25), want + 0.25
        elif k % 3 == 1:
            s, want = C.Maximum(ramp, s), np.maximum(ramp.array(300), want)
        else:
            s, want = s * C.Constant(0.75), want * 0.75
    np.testing.assert_array_equal(bits(s.array(300)), bits(want))
    with pytest.raises(ValueError, match="nested more than 16 deep"):
        C.Sum(C.Constant(1.0), s)
    with pytest.raises(ValueError, match="nested more than 16 deep"):
        C.Maximum(s, C.Constant(1.0))


def test_values_past_the_float64_range_are_inf_not_nan():
    big = C.Constant(1.7e308)
    assert (big + big)(0) == math.inf
    assert (C.Offset(big, 1.7e308))(3) == math.inf
    assert C.Maximum(C.StepDecay(1.0, 1e300, 1), C.Constant(0.0))(5) == math.inf


# ============================================================================ the kernel rows
Col = kernels.Column
PRODUCT = int(kernels.Family.PRODUCT)


def combine_plan(op):
    """Row 0 combines rows 1 (constant 3.0) and 2 (constant 0.5) with `op`."""
    iseg = np.zeros((3, kernels.N_INT_COLUMNS), dtype=np.int64)
    dseg = np.zeros((3, kernels.N_FLOAT_COLUMNS))
    iseg[0, Col.FAMILY] = PRODUCT
    iseg[0, Col.INTS:Col.INTS + 5] = (1, 1, 1, 2, op)
    dseg[1, 0], dseg[2, 0] = 3.0, 0.5
    return kernels.Plan(iseg, dseg, np.zeros(1), 1)


def test_hand_built_rows_of_every_operation():
    want = {kernels.Op.OP_PRODUCT: 1.5, kernels.Op.OP_SUM: 3.5, kernels.Op.OP_MAX: 3.0,
            kernels.Op.OP_POWER: 3.0 ** 0.5}
    assert set(want) == set(kernels.Op)
    for op, v in want.items():
        p = combine_plan(int(op))
        out = np.empty(600)
        p.fill(out, 2**40)
        assert p.value(0) == v and (out == v).all()


@pytest.mark.parametrize("op", [-1, 4, 99, -2**63, 2**63 - 1])
def test_an_unknown_operation_is_a_value_error(op):
    with pytest.raises(ValueError, match=f"PRODUCT needs op 0..3, got {op}"):
        combine_plan(op)


def test_plan_combine_names_its_operation_and_power_rows_are_not_scaled():
    seg = plan.combine(plan.Op.OP_SUM, [plan.const(1.0)], [plan.const(2.0)])
    assert seg.params == {"a_rows": 0, "a_first": 0, "b_rows": 0, "b_first": 0, "op": 1}
    assert plan.compile_plan([seg]).value(9) == 3.0
    with pytest.raises(ValueError):
        plan.combine(7, [plan.const(1.0)], [plan.const(2.0)])
    power = plan.combine(plan.Op.OP_POWER, [plan.const(4.0)], [plan.const(0.5)])
    with pytest.raises(AssertionError):
        plan.scale([power], 2.0)


# ============================================================================ introspection
@PROPS
@given(data=st.data(), kind=st.sampled_from(["sum", "max", "product", "offset"]))
def test_horizon_period_and_phases_of_combined_rows_hold(data, kind):
    """From the reported horizon on, a combined schedule is constant (no period) or repeats with
    the reported period; its phase boundaries are its terms' (joined)."""
    a = data.draw(exact.any_family, label="a")
    b = data.draw(exact.any_family, label="b")
    s = {"sum": lambda: a + b, "max": lambda: C.Maximum(a, b), "product": lambda: a * b,
         "offset": lambda: a - 0.25}[kind]()
    h, p = s.horizon, s.period
    if kind == "offset":
        assert (h, p) == (a.horizon, a.period)
    elif a.horizon is None or b.horizon is None:
        assert h is None
    else:   # (not always the smallest such step: e.g. a term's own held value at its end)
        assert h is not None and h >= max(a.horizon, b.horizon)
        assert p == (math.lcm(*[x for x in (a.period, b.period) if x]) if a.period or b.period
                     else None)
    if h is not None:
        for w in (h, h + 12345, max(h, 2**40)):
            n = 3 * p if p and p < 10**5 else 3000
            w = min(w, LAST - n + 1)
            v = s.array(n, w)
            if p is None:
                assert (v == s(h)).all()
            elif p < n:
                assert np.array_equal(v[:-p], v[p:])
    terms = [a] if kind == "offset" else [a, b]
    want = sorted(set().union(*(t.phase_boundaries(10**5, limit=10**6) for t in terms)))
    assert list(s.phase_boundaries(10**5, limit=10**6)) == want


def _two_rows(c):
    """The constant c as a factor of two CONST rows (a join of two equal constants): the product
    kernel then fills it like any factor instead of taking the scalar path."""
    return C.join([C.Constant(c), C.Constant(c)], [5])


@pytest.mark.parametrize("make", [
    lambda k: C.Sum(C.CosineAnnealing(0.1, 10**5), k(0.002)),
    lambda k: (C.Offset(C.CosineAnnealing(0.1, 10**5), 0.002) if k is C.Constant
               else C.Sum(C.CosineAnnealing(0.1, 10**5), k(0.002))),
    lambda k: C.Sum(k(0.003), C.ExponentialDecay(0.1, 2e-5)),
    lambda k: C.Maximum(C.InverseSqrt(0.1, 1000), k(1e-3)),
    lambda k: C.Maximum(k(0.05), C.Cyclical(0.1, 777)),
    lambda k: C.Product(C.Linear(0.0, 1.0, 4096), k(0.3)),
    lambda k: C.Product(k(0.3), C.Maximum(C.Sum(C.CosineAnnealing(0.1, 10**5),
                                               C.ExponentialDecay(0.01, 1e-5)), k(1e-3))),
], ids=["sum_c_second", "offset", "sum_c_first", "max_c_second", "max_c_first", "product_c_second",
        "nested"])
def test_constant_factor_takes_the_scalar_path_with_the_same_bytes(make):
    """A factor that is one constant segment is not filled: the other factor is combined with the
    scalar, operands in the same order. Its bytes equal those of the same schedule with the
    constant as a two-row factor (filled and combined as any factor), float64 and float32, for
    windows of every length class (scalars, short, the product's 512 and 2048 chunks, long), at
    start 0 and far out, serial and on threads."""
    fast, slow = make(C.Constant), make(_two_rows)
    rows = [s for s in fast.segments() if s.family == plan.Family.PRODUCT]
    assert any(len(f) == 1 and f[0].family == plan.Family.CONST for r in rows for f in r.factors)
    for start in (0, 4090, 10**5 - 3000, 2**40 + 17):
        for n in (1, 7, 511, 513, 2049, 10000):
            for dt in (np.float64, np.float32):
                assert (fast.array(n, start, dtype=dt).tobytes()
                        == slow.array(n, start, dtype=dt).tobytes()), (start, n, dt)
    big = 3 * 2**16 + 5
    assert (fast.array(big, 123, threads=3).tobytes() == slow.array(big, 123, threads=1).tobytes())
    steps = np.arange(0, 10**6, 997, dtype=np.int64)
    assert fast(steps).tobytes() == slow(steps).tobytes()
