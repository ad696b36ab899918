"""Regression tests for issue 12 (reliability under hostile input): each reproduction from the issue,
now a clear TypeError/ValueError (or MemoryError naming the size) before any work, or correct
values. Reproductions that could crash or hang the interpreter, or that would change fastlr's
registry, run in a child interpreter."""
from __future__ import annotations

import copy
import ctypes
import json
import math
import pickle
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import fastlr
from fastlr.base import MAX_DEPTH
from helpers import FASTLR_HOME, child_env

I = 2**63 - 1


def run_child(code: str, tmp_path, timeout: float = 120) -> str:
    """Run `code` in a fresh interpreter importing this fastlr; return its stdout (it must exit 0
    with an empty stderr)."""
    code = textwrap.dedent(code) + (f"\nimport fastlr\nassert fastlr.__file__.startswith("
                                    f"{str(FASTLR_HOME)!r}), fastlr.__file__\nprint('DONE')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=child_env(),
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (f"exit status {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}"
                                  f"\nstderr:\n{proc.stderr[-3000:]}")
    assert proc.stderr == ""
    assert proc.stdout.rstrip().endswith("DONE")
    return proc.stdout


# ================================================================ 5: WarmRestarts near cycle_mult 1
def exact_cycle_lengths(first, mult, limit):
    """floor(first * mult**k) with exact rationals, while the cycle starts at or below 2**63 - 1."""
    out, begin, m, k = [], 0, Fraction(mult), 0
    while begin <= I and len(out) < limit:
        length = math.floor(first * m**k)
        out.append(length)
        begin += length
        k += 1
    return out


@pytest.mark.parametrize("first,mult,limit", [
    (1, 1.0000001, 300), (7, 3, 100), (7, 1.5, 200), (2**40, 1.5, 100),  # 2**40 * 1.5**k: integers
    (2**62, 1.5, 10), (3, 1.25, 400), (4, 1.0 + 2**-52, 300), (1000, 1.001, 2000),
    (12345, 1.0625, 1000), (1, 2, 100), (5, 1e308, 5), (2**60 + 1, 1.0000001, 300),
])
def test_cycle_lengths_are_exact(first, mult, limit):
    s = fastlr.WarmRestarts(0.1, first, cycle_mult=mult, max_cycles=limit)
    got = list(s.cycle_lengths())
    assert got == exact_cycle_lengths(first, mult, limit)
    starts = s.cycle_starts()
    assert list(starts) == [sum(got[:k]) for k in range(len(got))]


def test_too_many_cycles_answers_at_once(tmp_path):
    """The issue: max_cycles=10**6 with cycle_mult=1.0000001 ran over a minute (quadratic big-int
    work) before its error. The child has a generous timeout as a hang guard, not a timing."""
    out = run_child("""
        import fastlr
        for n in (10**5, 10**6, 10**9):
            try:
                fastlr.WarmRestarts(0.1, 1, cycle_mult=1.0000001, max_cycles=n)
            except ValueError as e:
                assert "max_cycles" in str(e) and "cycle_mult" in str(e), e
                print("refused", n)
        s = fastlr.WarmRestarts(0.1, 1, cycle_mult=1.0000001, max_cycles=20000)
        assert len(s.cycle_lengths()) == 20000
    """, tmp_path, timeout=120)
    assert out.count("refused") == 3


def test_cycle_mult_beyond_the_step_range():
    s = fastlr.WarmRestarts(0.1, 10, cycle_mult=1e308)   # issue: OverflowError
    assert s.cycle_starts() == (0, 10)
    assert s(9) == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi * 9 / 10)), rel=1e-13)
    assert s(10) == 0.1 and s(I) == 0.1  # the second cycle is longer than any step reaches


# ================================================================ 8: finite parameters, finite values
@pytest.mark.parametrize("make,names", [
    (lambda: fastlr.Triangular(.1, 1, 10, mode="exp_range", gamma=2), ["gamma", "exp_range"]),
    (lambda: fastlr.OneCycle(1.0, 100, final_div_factor=1e-320), ["final_div_factor"]),
    (lambda: fastlr.OneCycle(1e10, 100, div_factor=1e-300), ["div_factor"]),
    (lambda: 2 * fastlr.CosineAnnealing(1e308, 8), ["factor=2"]),
    (lambda: fastlr.CosineAnnealing(1e308, 8) * 2.0, ["factor=2"]),
    (lambda: (fastlr.Constant(1e300) * 1e5) * 1e5, ["factor"]),
    (lambda: fastlr.with_warmup(fastlr.Constant(1.0), 3) * 1e309, ["factor"]),
])
def test_parameters_whose_values_overflow_are_refused(make, names):
    with pytest.raises(ValueError) as info:
        make()
    for name in names:
        assert name in str(info.value)


def test_extreme_but_finite_parameters_stay_finite():
    cases = [fastlr.OneCycle(1e-10, 100, div_factor=1e-300),        # initial_lr 1e290
             fastlr.OneCycle(1.0, 100, final_div_factor=1e-300),    # min_lr 4e298
             fastlr.OneCycle(1.0, 100, div_factor=1e300, final_div_factor=1e300),  # underflows to 0
             fastlr.Triangular(.1, 1, 10, mode="exp_range", gamma=1.0),
             fastlr.Triangular(.1, 1, 10, mode="triangular", gamma=2.0),  # gamma unused
             1.5 * fastlr.CosineAnnealing(1e308, 8)]
    for s in cases:
        for start in (0, 90, 2**40):
            v = s.array(200, start)
            assert np.isfinite(v).all(), (s, start)
    onecycle = cases[0]
    assert onecycle(0) == 1e-10 / 1e-300


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_triangular_tiny_amplitude_long_ramp_stays_below_max(mode):
    """Triangular(0, 1e-300, 2**51, 2): the slope 1e-300 / 2**51 is subnormal; it exceeded max_lr
    by 2.9e-9 relative near the top. Values are now within 1e-13 of the exact ramp."""
    top, up = 1e-300, 2**51
    s = fastlr.Triangular(0, top, up, 2, mode=mode)
    start = up - 5000
    got = s.array(5000, start)
    assert got.max() <= top * (1 + 1e-13)
    p = np.arange(start, up, dtype=np.float64)  # exact in double: < 2**53
    exact = [float(Fraction(top) * Fraction(int(x), up)) for x in p[::97]]
    assert np.abs(got[::97] - exact).max() <= 1e-13 * top
    assert s(up) == top


def test_hand_built_segment_with_inf_is_refused():
    from fastlr import plan
    with pytest.raises(ValueError, match="non-finite"):
        plan.compile_plan([plan.const(math.inf)])
    with pytest.raises(ValueError, match="non-finite"):
        plan.compile_plan([plan.ramp(0.0, 1.0, 10, length=10), plan.const(math.nan)])


# ================================================================ 9: user classes cannot shadow
def test_user_class_named_like_a_builtin_does_not_take_over(tmp_path):
    run_child("""
        import pickle
        import fastlr

        class CosineAnnealing(fastlr.CosineAnnealing):
            pass

        builtin = fastlr.CosineAnnealing(1.0, 10)
        d = {"schedule": "CosineAnnealing", "max_lr": 1.0, "total_steps": 10}
        assert type(fastlr.from_dict(d)) is fastlr.CosineAnnealing
        assert type(fastlr.from_dict(dict(d, schedule="cosine"))) is fastlr.CosineAnnealing
        assert type(pickle.loads(pickle.dumps(builtin))) is fastlr.CosineAnnealing
        assert all(type(g) is fastlr.CosineAnnealing
                   for g in fastlr.grid("CosineAnnealing", max_lr=[0.1, 0.2], total_steps=[5]))
        assert builtin.to_dict()["schedule"] == "CosineAnnealing"
        # the user's class keeps its own identity under its qualified name
        mine = CosineAnnealing(1.0, 10)
        assert mine.to_dict()["schedule"] == "__main__.CosineAnnealing"
        assert type(fastlr.from_dict(mine.to_dict())) is CosineAnnealing
        assert type(pickle.loads(pickle.dumps(mine))) is CosineAnnealing
        assert mine != builtin
    """, tmp_path)


# ================================================================ 10: OverflowError -> named ValueError
@pytest.mark.parametrize("make,name", [
    (lambda: fastlr.CosineAnnealing(10**400, 10), "max_lr"),
    (lambda: fastlr.CosineAnnealing(Fraction(10**400, 3), 10), "max_lr"),
    (lambda: fastlr.CosineAnnealing(1.0, 10, min_lr=-(10**400)), "min_lr"),
    (lambda: fastlr.StepDecay(0.1, 10**400, 5), "gamma"),
    (lambda: fastlr.Constant(1.0) * 10**400, "factor"),
    (lambda: fastlr.MultiStep(0.1, [5, 10], gamma=1e200), "gamma"),
    (lambda: fastlr.MultiStep(0.1, list(range(1, 2001)), gamma=2), "gamma"),
    (lambda: fastlr.WarmRestarts(0.1, 10, cycle_mult=10**400), "cycle_mult"),
])
def test_overflow_is_a_named_value_error(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_multistep_large_gamma_products_that_fit():
    # gamma**k alone leaves the double range, lr * gamma**k does not: computed, exactly rounded
    s = fastlr.MultiStep(1e-300, [1, 2], gamma=1e200)
    assert s(0) == 1e-300 and s(2) == float(Fraction(1e-300) * Fraction(1e200) ** 2)
    s = fastlr.MultiStep(0.0, list(range(1, 2001)), gamma=2)
    assert s(5000) == 0.0
    s = fastlr.MultiStep(0.1, list(range(1, 1000)), gamma=2)
    assert s(2000) == 0.1 * 2.0**999


# ================================================================ 11: check before allocating
def test_array_checks_arguments_before_allocating():
    s = fastlr.CosineAnnealing(1.0, 10)
    with pytest.raises(TypeError, match="start"):
        s.array(2**35, start="x")
    with pytest.raises(ValueError, match="start"):
        s.array(2**40, start=I)
    with pytest.raises(TypeError, match="dtype"):
        s.array(2**40, dtype=np.int64)
    with pytest.raises(TypeError, match="start"):
        fastlr.sweep([s, s], 2**40, start="x")
    with pytest.raises(ValueError, match="start"):
        fastlr.sweep([s, s], 2**40, start=I)


@pytest.mark.parametrize("n", [2**60, 2**62])
def test_impossible_arrays_name_n_and_bytes(n):
    s = fastlr.CosineAnnealing(1.0, 10)
    with pytest.raises(MemoryError) as info:
        s.array(n)
    assert f"n={n}" in str(info.value) and f"{8 * n:,} bytes" in str(info.value)
    with pytest.raises(MemoryError) as info:
        s.array(n, dtype=np.float32)
    assert f"{4 * n:,} bytes" in str(info.value)
    with pytest.raises(MemoryError) as info:
        fastlr.sweep([s, s], n)
    assert f"n_steps={n}" in str(info.value) and f"{16 * n:,} bytes" in str(info.value)


# ================================================================ 12: '<d' buffers as out
def test_ctypes_and_pep3118_float64_arrays_are_accepted_as_out():
    s = fastlr.CosineAnnealing(1.0, 10)
    want = s.array(7)
    buf = (ctypes.c_double * 7)()
    a = np.ctypeslib.as_array(buf)
    assert a.dtype.str == "<f8"
    assert s.fill(a) is a and a.tobytes() == want.tobytes()
    assert list(buf) == want.tolist()
    view = np.asarray(memoryview((ctypes.c_double * 7)()))  # a PEP 3118 '<d' buffer
    assert s.fill(view).tobytes() == want.tobytes()
    copied = view.copy()
    assert s.fill(copied).tobytes() == want.tobytes()
    assert s.array(7, out=copied).tobytes() == want.tobytes()
    raw = np.frombuffer(bytearray(56), dtype="<d")
    assert s.fill(raw).tobytes() == want.tobytes()
    f32 = np.asarray(memoryview((ctypes.c_float * 7)()))
    assert s.fill(f32).tobytes() == want.astype(np.float32).tobytes()
    rows = np.ctypeslib.as_array((ctypes.c_double * 14)()).reshape(2, 7)
    fastlr.sweep([s, s * 0.5], 7, out=rows)
    assert rows[0].tobytes() == want.tobytes()
    # still refused: a big-endian buffer, read-only, wrong dtype
    with pytest.raises(ValueError, match="byte order"):
        s.fill(np.zeros(7, dtype=">f8"))
    ro = np.asarray(memoryview(bytes(56)).cast("d"))
    with pytest.raises(ValueError, match="read-only"):
        s.fill(ro)
    with pytest.raises(TypeError, match="dtype"):
        s.fill(np.asarray(memoryview((ctypes.c_int64 * 7)())))


# ================================================================ 13: deep compositions
def nest(kind: str, depth: int):
    x = fastlr.CosineAnnealing(1.0, 10)
    while x.depth < depth:
        if kind == "warmup":
            x = fastlr.with_warmup(x, 2)
        elif kind == "join_first":
            x = fastlr.join([x, fastlr.Constant(0.5)], [5])
        elif kind == "join_last":
            x = fastlr.join([fastlr.Constant(0.5), x], [3])
        else:  # mixed, scalings between
            x = (fastlr.with_warmup(x * 0.5, 1) if x.depth % 2 and x.depth <= depth - 2
                 else fastlr.join([x, x], [4]))
    return x


@pytest.mark.parametrize("kind", ["warmup", "join_first", "join_last", "mixed"])
def test_compositions_up_to_max_depth_work(kind, tmp_path):
    """At MAX_DEPTH every recursive operation works (in pytest's deep stack and in a child at the
    default recursion limit); one more level is a ValueError naming the depth."""
    assert MAX_DEPTH == 100
    x = nest(kind, 100)
    assert x.depth == 100
    again = fastlr.from_dict(json.loads(json.dumps(x.to_dict())))
    assert again == x and hash(again) == hash(x) and repr(again) == repr(x)
    assert pickle.loads(pickle.dumps(x)) == x
    assert copy.deepcopy(x) is x
    assert again.array(50).tobytes() == x.array(50).tobytes()
    with pytest.raises(ValueError, match="101 schedules deep"):
        fastlr.with_warmup(x, 1)
    with pytest.raises(ValueError, match="101 schedules deep"):
        fastlr.join([fastlr.Constant(0.1), x], [1])
    run_child(f"""
        import json, pickle, sys
        import fastlr
        sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
        from test_hostile import nest
        assert sys.getrecursionlimit() == 1000
        x = nest({kind!r}, 100)
        s = pickle.dumps(x)
        assert pickle.loads(s) == x and fastlr.from_dict(x.to_dict()) == x
        assert len(repr(x)) > 100 and hash(x) == hash(pickle.loads(s))
        for k in range(200, 260, 10):   # the issue's depths: a ValueError, never RecursionError
            try:
                nest({kind!r}, k)
            except ValueError as e:
                assert "MAX_DEPTH = 100" in str(e)
            else:
                raise AssertionError(k)
    """, tmp_path)


def test_scalings_fold_instead_of_nesting():
    base = fastlr.CosineAnnealing(1.0, 10)
    x = base
    for _ in range(1000):
        x = x * 1.0
    assert x.depth == 2 and x == fastlr.Scaled(base, 1.0)
    assert pickle.loads(pickle.dumps(x)) == x
    y = (base * 3.0) * 0.5
    assert y.inner == base and y.factor == 1.5
    assert fastlr.from_dict({"schedule": "Scaled", "factor": 2.0,
                             "inner": {"schedule": "Scaled", "factor": 4.0,
                                       "inner": base.to_dict()}}) == base * 8.0
    assert np.allclose(y.array(10), 1.5 * base.array(10), rtol=1e-15, atol=0)


def deep_dict(depth: int) -> dict:
    d = {"schedule": "CosineAnnealing", "max_lr": 1.0, "total_steps": 10}
    for _ in range(depth - 1):
        d = {"schedule": "WithWarmup", "inner": d, "warmup_steps": 1}
    return d


def test_deep_and_self_referential_dicts_are_value_errors():
    assert fastlr.from_dict(deep_dict(100)).depth == 100
    for depth in (101, 300, 100_000):
        with pytest.raises(ValueError, match="more than 100 deep"):
            fastlr.from_dict(deep_dict(depth))
    d = {"schedule": "Scaled", "factor": 1.0}
    d["inner"] = d
    with pytest.raises(ValueError, match="refers to itself"):
        fastlr.from_dict(d)
    j = {"schedule": "Join", "boundaries": [5]}
    j["schedules"] = [{"schedule": "Constant", "lr": 0.1}, j]
    with pytest.raises(ValueError, match="refers to itself"):
        fastlr.from_dict(j)
    lst: list = []
    lst.append(lst)
    with pytest.raises(ValueError, match="refers to itself"):
        fastlr.from_dict({"schedule": "Join", "schedules": lst, "boundaries": []})
    nested: list = [0.1]
    for _ in range(100_000):
        nested = [nested]
    with pytest.raises(ValueError, match="deep"):
        fastlr.from_dict({"schedule": "PiecewiseConstant", "boundaries": [], "values": nested})
    # a shared (not self-referential) child is fine
    c = {"schedule": "Constant", "lr": 0.1}
    assert fastlr.from_dict({"schedule": "Join", "schedules": [c, c], "boundaries": [3]})(4) == 0.1
    # as constructor arguments too
    with pytest.raises(ValueError, match="more than 100 deep"):
        fastlr.with_warmup(deep_dict(300), 5)


def test_hostile_pickle_payload_is_a_value_error():
    """A pickle whose parameters nest 300 deep (hand-made: fastlr cannot build it)."""
    payload = deep_dict(300)
    payload.pop("schedule")
    with pytest.raises(ValueError, match="deep"):
        fastlr.WithWarmup._from_params(payload)


# ================================================================ 15: smaller ones
def test_ragged_steps_message():
    s = fastlr.CosineAnnealing(1.0, 10)
    with pytest.raises(ValueError, match="rectangular"):
        s([[1, 2], [3]])


@pytest.mark.parametrize("milestones,exc,msg", [
    (np.array(5), TypeError, "1-D"),
    ({5: 1, 10: 2}, TypeError, "dict"),
    ({5, 10}, TypeError, "set"),
    (frozenset({5}), TypeError, "frozenset"),
    ("5,10", TypeError, "str"),
    (np.array([[5, 10]]), TypeError, "1-D"),
])
def test_multistep_milestones_must_be_ordered_sequences(milestones, exc, msg):
    with pytest.raises(exc, match="milestones") as info:
        fastlr.MultiStep(0.1, milestones)
    assert msg in str(info.value)


def test_hand_built_plans_are_checked(tmp_path):
    """A plan built by hand with a bad table offset, an unknown family code or bad integer
    parameters is a ValueError when it is built (it used to segfault when filled)."""
    out = run_child("""
        import numpy as np
        import fastlr
        from fastlr import plan as P
        good = fastlr.join([fastlr.ExponentialDecay(1.0, 0.01), fastlr.StepDecay(0.5, 0.5, 7),
                            fastlr.Triangular(0.1, 1.0, 5, mode="exp_range", gamma=0.9)],
                           [100, 200]).plan
        Plan = type(good)
        iseg, dseg, tab = np.array(good.iseg), np.array(good.dseg), np.array(good.tables)
        assert Plan(iseg, dseg, tab).fill(np.empty(300)).tobytes() == \\
            good.fill(np.empty(300)).tobytes()
        TAB, FAMILY, INTS, OFFSET, BEGIN = 3, 2, 4, 1, 0
        def bad(label, edit, tables=tab):
            i = iseg.copy(); d = dseg.copy()
            edit(i, d)
            try:
                p = Plan(i, d, tables)
            except ValueError as e:
                print("refused", label, "|", e)
                return
            p.fill(np.empty(1000), 0)
            print("ACCEPTED", label)
        bad("table offset past the end", lambda i, d: i.__setitem__((0, TAB), len(tab)))
        bad("table offset 10**12", lambda i, d: i.__setitem__((1, TAB), 10**12))
        bad("negative table offset", lambda i, d: i.__setitem__((2, TAB), -5))
        bad("tables too short", lambda i, d: None, tables=tab[:100])
        bad("unknown family 99", lambda i, d: i.__setitem__((1, FAMILY), 99))
        bad("negative family", lambda i, d: i.__setitem__((0, FAMILY), -1))
        bad("plateau size 0", lambda i, d: i.__setitem__((1, INTS), 0))
        bad("plateau kind 7", lambda i, d: i.__setitem__((1, INTS + 1), 7))
        bad("tri up 0", lambda i, d: i.__setitem__((2, INTS), 0))
        bad("tri mode 5", lambda i, d: i.__setitem__((2, INTS + 2), 5))
        bad("begins not increasing", lambda i, d: i.__setitem__((2, BEGIN), 50))
        bad("first begin not 0", lambda i, d: i.__setitem__((0, BEGIN), 3))
        bad("negative offset", lambda i, d: i.__setitem__((1, OFFSET), -1))
        for shape in [(0, 8), (3, 7), (3,)]:
            try:
                Plan(np.zeros(shape, np.int64), np.zeros((3, 6)), tab)
            except ValueError as e:
                print("refused shape", shape)
    """, tmp_path)
    assert "ACCEPTED" not in out
    assert out.count("refused") == 16


def test_dask_zero_chunks_are_a_value_error():
    pytest.importorskip("dask.array")
    import fastlr.integrations.dask as fd
    s = [fastlr.Constant(1.0), fastlr.CosineAnnealing(1.0, 10)]
    for chunks in [(0, 10), (1, 0), (-3, 5), ((1, 0, 1), 10), ((2,), (5, 6))]:
        with pytest.raises(ValueError, match="chunks"):
            fd.sweep(s, 10, chunks=chunks)
    assert fd.sweep(s, 10, chunks=(1, 3)).compute().tobytes() == fastlr.sweep(s, 10).tobytes()
    assert fd.sweep(s, 10, chunks=(-1, 4)).compute().tobytes() == fastlr.sweep(s, 10).tobytes()


@pytest.mark.parametrize("cls", [fastlr.CosineRestarts, fastlr.PolynomialRestarts])
def test_real_cycle_longer_than_the_largest_float_is_a_value_error(cls):
    """A cycle that starts below 2**63 but whose real length is past the float range (found by
    the long fuzz run: OverflowError from the exact layout) is refused by name; one cycle less
    is fine."""
    with pytest.raises(ValueError, match=r"cycle_mult=1e\+308: cycle 1 .*max_cycles <= 1"):
        cls(1.0, 2.0, cycle_mult=1e308, max_cycles=2)
    s = cls(1.0, 2.0, cycle_mult=1e308, max_cycles=1)
    assert s(0) == 1.0 and s(5) == 0.0
