"""Shared helpers and hypothesis strategies for the fastlr test suite (no fastlr logic here: the
expected values come from tests/oracle.py, or from fastlr itself only in self-consistency tests)."""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

import fastlr

# The directory holding the fastlr package this test run imported: the repository for an in-place
# build, site-packages for an installed one. Subprocesses must import that same copy.
FASTLR_HOME = Path(fastlr.__file__).resolve().parents[1]
INT64_MAX = 2**63 - 1
DTYPES = (np.float32, np.float64)
SCHEDULES = ("StepDecay", "ExponentialDecay", "CosineAnnealing", "Warmup", "Cyclical")

# The rate-valued parameters of each schedule (the accuracy bound is relative to their maximum).
RATE_FIELDS = {
    "StepDecay": ("lr",),
    "ExponentialDecay": ("lr",),
    "CosineAnnealing": ("max_lr", "min_lr"),
    "Warmup": ("max_lr", "init_lr"),
    "Cyclical": ("max_lr", "min_lr"),
}
# The contract's bound: 1e-13 relative to the largest rate. Below the smallest normal double the
# grid itself is 2**-1074 apart, so a few subnormal ulps are allowed on top (only matters when the
# scale is 0: then the bound says "exact, up to the subnormal grid").
REL_TOL = 1e-13
SUBNORMAL_FLOOR = 16 * 2.0**-1074
TINY = sys.float_info.min  # smallest normal double


def child_env() -> dict:
    """The environment for a child interpreter that imports the same fastlr as this process (run
    it in a scratch directory, so that a source checkout without compiled kernels in the current
    directory cannot shadow an installed fastlr)."""
    env = dict(os.environ)
    paths = [str(FASTLR_HOME)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def examples(n: int) -> int:
    """Hypothesis max_examples for a property: n, times FASTLR_TEST_SCALE (default 1) for a
    longer hunt, e.g. FASTLR_TEST_SCALE=20 python -m pytest tests -q."""
    return n * max(1, int(os.environ.get("FASTLR_TEST_SCALE", "1")))


def make(name: str, params: dict):
    return getattr(fastlr, name)(**params)


def bits(a) -> bytes:
    """The exact bytes of an array (bit-for-bit comparisons, nan payloads included)."""
    return np.ascontiguousarray(a).tobytes()


def fbits(x: float) -> bytes:
    return np.float64(x).tobytes()


def assert_paths_agree(s, start: int, n: int, parts, stride: int, threads=(2, 3)) -> np.ndarray:
    """Every way to ask for the window [start, start + n) gives the serial float64 bytes: the
    sub-windows ``parts`` ((first step, length) pairs inside it), a gather every ``stride`` steps,
    the first scalar calls of that gather, float32 (the float64 values rounded once) and each
    thread count in ``threads``. Returns the serial window."""
    ref = s.array(n, start, threads=1)
    for a, m in parts:
        assert s.array(m, a).tobytes() == ref[a - start:a - start + m].tobytes(), (a, m)
    idx = np.arange(start, start + n, stride, dtype=np.int64)
    assert s(idx).tobytes() == ref[::stride].tobytes()
    assert [s(int(t)) for t in idx[:20]] == ref[::stride][:20].tolist()
    assert s.array(n, start, dtype=np.float32).tobytes() == ref.astype(np.float32).tobytes()
    for k in threads:
        assert s.array(n, start, threads=k).tobytes() == ref.tobytes(), k
    return ref


def rate_scale(name: str, params: dict) -> float:
    return max(abs(params.get(k, 0.0)) for k in RATE_FIELDS[name])


# ---------------------------------------------------------------------------------- strategies

LOG_RATES = st.builds(lambda m, e: m * 10.0**e, st.floats(1.0, 9.99), st.integers(-300, 299))
RATES = st.one_of(
    st.sampled_from([0.0, 1e-300, 1e300, 1.0, 0.1, 3e-4, 2.5, 1e-8]),
    LOG_RATES,
    st.floats(0.0, 10.0, allow_nan=False, allow_infinity=False, allow_subnormal=False),
)
MODERATE_RATES = st.one_of(st.sampled_from([0.0, 0.1, 1.0, 3e-4]),
                         st.floats(0.0, 10.0, allow_subnormal=False))
SPECIAL_PERIODS = [1, 2, 3, 7, 63, 64, 65, 127, 128, 2047, 2048, 2049, 4095, 4096, 4097, 8191,
                   8192, 2**31 - 1, 2**31, 2**31 + 1, 2**40 + 3, 2**52 + 1, 2**53 + 1, 2**61]


def periods(max_value: int, min_value: int = 1):
    special = [p for p in SPECIAL_PERIODS + [max_value] if min_value <= p <= max_value]
    return st.one_of(st.sampled_from(special), st.integers(min_value, 10_000),
                     st.integers(min_value, max_value))


GAMMAS = st.one_of(st.sampled_from([0.5, 0.1, 0.9, 0.999, 1.0, 2.0, 1e-300]),
                   st.floats(1e-3, 1.0), st.floats(1.0, 1.01))
DECAY_RATES = st.one_of(
    st.sampled_from([0.0, 1e-12, 1e-6, 1e-3, 1.0, 700.0, 1e300]),
    st.floats(0.0, 1.0),
    st.builds(lambda m, e: m * 10.0**e, st.floats(1.0, 9.99), st.integers(-20, 2)),
)


def params_strategy(name: str, rates=RATES, gammas=GAMMAS):
    if name == "StepDecay":
        return st.fixed_dictionaries({"lr": rates, "gamma": gammas,
                                      "step_size": periods(INT64_MAX)})
    if name == "ExponentialDecay":
        return st.fixed_dictionaries({"lr": rates, "decay_rate": DECAY_RATES})
    if name == "CosineAnnealing":
        return st.fixed_dictionaries({"max_lr": rates, "total_steps": periods(INT64_MAX),
                                      "min_lr": rates})
    if name == "Warmup":
        return st.fixed_dictionaries({"max_lr": rates, "warmup_steps": periods(INT64_MAX, 0),
                                      "init_lr": rates})
    if name == "Cyclical":
        return st.fixed_dictionaries({"max_lr": rates, "cycle_steps": periods(INT64_MAX // 2),
                                      "min_lr": rates})
    raise KeyError(name)


def schedules_strategy(rates=RATES):
    """(name, params) for any of the five."""
    return st.sampled_from(SCHEDULES).flatmap(
        lambda name: params_strategy(name, rates).map(lambda p: (name, p)))


def _block_anchors(name: str, params: dict):
    """(base, unit, count): anchors base + unit * j (0 <= j < count) that are multiples of the
    kernels' table (64) and anchor (4096) grids in the schedule's local/phase coordinates."""
    if name == "StepDecay":
        return params["step_size"], INT64_MAX // params["step_size"]  # exponent coordinates
    if name == "ExponentialDecay":
        return 1, INT64_MAX
    if name == "CosineAnnealing":
        return 1, params["total_steps"]
    if name == "Warmup":
        return 1, max(params["warmup_steps"], 1)
    if name == "Cyclical":
        return 1, 2 * params["cycle_steps"]
    raise KeyError(name)


def length_of(name: str, params: dict) -> int:
    """The schedule's characteristic length: plateau, horizon, or period (1 if none)."""
    return {
        "StepDecay": lambda p: p["step_size"],
        "ExponentialDecay": lambda p: 4096,
        "CosineAnnealing": lambda p: p["total_steps"],
        "Warmup": lambda p: max(p["warmup_steps"], 1),
        "Cyclical": lambda p: 2 * p["cycle_steps"],
    }[name](params)


@st.composite
def windows(draw, name: str, params: dict, max_n: int = 300, min_n: int = 1):
    """(start, n): a window of n steps that lies in [0, 2**63 - 1], placed near the interesting
    places: step 0, powers of two (2**31, 2**40, 2**53, 2**62), the very end of the step range,
    multiples of the schedule's length (T - 1, T, T + 1, 2T k ...) and the kernels' block grids
    (multiples of 64 and 4096 in local or phase coordinates)."""
    n = draw(st.integers(min_n, max_n))
    L = length_of(name, params)
    unit_base, count = _block_anchors(name, params)
    kind = draw(st.sampled_from(["zero", "pow2", "end", "length", "block", "random"]))
    if kind == "zero":
        anchor = 0
    elif kind == "pow2":
        anchor = draw(st.sampled_from([2**31, 2**32, 2**40, 2**52, 2**53, 2**62]))
    elif kind == "end":
        return INT64_MAX + 1 - n - draw(st.sampled_from([0, 0, 1, 2, 100])), n
    elif kind == "length":
        k = draw(st.one_of(st.sampled_from([1, 2, 3]), st.integers(1, max(1, INT64_MAX // L))))
        half = draw(st.sampled_from([0, 0, L // 2]))
        anchor = L * k + half
    elif kind == "block":
        unit = draw(st.sampled_from([64, 4096]))
        j = draw(st.integers(1, max(1, count // unit)))
        local = unit * unit_base * j
        if name == "Cyclical":
            k = draw(st.one_of(st.just(0), st.integers(0, INT64_MAX // L)))
            anchor = L * k + (unit * j) % L
        else:
            anchor = local
    else:
        anchor = draw(st.integers(0, INT64_MAX))
    offset = draw(st.integers(-n, n))
    start = min(max(anchor + offset, 0), INT64_MAX + 1 - n)
    return start, n


def step_decay_finite_limit(params: dict) -> int:
    """For gamma > 1: the last step whose gamma**m (and lr * gamma**m) stays below ~1e300, so the
    exact value is representable. (fastlr computes gamma**m before multiplying by lr, see
    test_accuracy.test_step_decay_growth_overflow_bug.)"""
    g = params["gamma"]
    if g <= 1.0:
        return INT64_MAX
    budget = 690.0
    if params["lr"] > 0:
        budget = min(budget, math.log(1e300) - math.log(params["lr"]))
    if budget <= 0:
        return 0
    m = int(budget / math.log(g))
    return min(INT64_MAX, (m + 1) * params["step_size"] - 1)
