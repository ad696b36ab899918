"""Output digests: the exact bytes every family and a few compositions produce, recorded before a
refactor of the engine and checked after it (and kept, so that a change of any output bit is a
deliberate, reviewed act: regenerate with ``python tests/test_digests.py --write`` only when a
change of values is intended, and say why in the commit).

For each case: ``array()`` in float64 and float32 and 64 scalar calls and a gather at random steps,
over windows at 0, 2**31 and 2**62.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import fastlr

DATA = Path(__file__).with_name("data") / "digests.json"
WINDOWS = (0, 2**31 - 100, 2**62 - 100)
N = 5000


def cases() -> dict:
    C = fastlr
    cos = C.CosineAnnealing(0.1, 1000, 1e-5)
    return {
        "step": C.StepDecay(0.1, 0.5, 7),
        "step_grow": C.StepDecay(1e-3, 1.01, 3),
        "exp": C.ExponentialDecay(0.1, 1e-4),
        "cos": cos,
        "warmup": C.Warmup(0.1, 1234, 1e-4),
        "warmup_tiny": C.Warmup(1e-300, 10**6),
        "cyclical": C.Cyclical(0.1, 777, 1e-3),
        "constant": C.Constant(0.3),
        "multistep": C.MultiStep(0.1, [10, 100, 4000], 0.3),
        "piecewise": C.PiecewiseConstant([5, 50, 500], [1.0, 0.5, 0.25, 0.125]),
        "linear": C.Linear(0.1, 0.001, 3000),
        "poly1": C.Polynomial(0.1, 0.0, 10**6, 1.0),
        "poly2": C.Polynomial(0.1, 1e-4, 10**6, 2.0),
        "poly_half": C.Polynomial(0.1, 1e-4, 10**5, 0.5),
        "poly_gen": C.Polynomial(0.1, 1e-4, 10**7, 1.7),
        "poly_huge": C.Polynomial(0.1, 0.0, 2**40, 3.3),
        "invsqrt": C.InverseSqrt(0.1, 1000),
        "invtime": C.InverseTime(0.1, 0.5, 100),
        "invtime_stair": C.InverseTime(0.1, 0.5, 100, staircase=True),
        "onecycle": C.OneCycle(0.1, 10000),
        "onecycle3": C.OneCycle(0.1, 3333, 0.27, anneal="linear", three_phase=True),
        "tri": C.Triangular(1e-3, 0.1, 500, 300),
        "tri2": C.Triangular(1e-3, 0.1, 500, mode="triangular2"),
        "tri_exp": C.Triangular(1e-3, 0.1, 500, mode="exp_range", gamma=0.99999),
        "sgdr": C.WarmRestarts(0.1, 100, 1, 1e-4, 0.9),
        "sgdr_mult": C.WarmRestarts(0.1, 100, 2, 1e-4, 0.9),
        "sgdr_real": C.WarmRestarts(0.1, 100, 1.5, max_cycles=30),
        "wsd": C.WarmupStableDecay(0.1, 100, 1000, 2000, 1e-4, "cosine"),
        "wsd_sqrt": C.WarmupStableDecay(0.1, 100, 1000, 2000, 1e-4, "sqrt"),
        "warmup_cos": C.with_warmup(cos, 100),
        "join": C.join([C.Warmup(0.1, 10), cos, C.ExponentialDecay(0.05, 1e-3)], [10, 500]),
        "scaled": 3.0 * C.with_warmup(C.Cyclical(0.1, 77), 50),
        # added with the framework-parity capabilities (issue 9)
        "cos_exponent": C.CosineAnnealing(0.1, 10**5, 1e-4, exponent=1.7),
        "cos_k_decay": C.CosineAnnealing(0.1, 10**5, 1e-4, k_decay=1.3),
        "poly_k_decay": C.Polynomial(0.1, 1e-4, 10**5, 2.0, k_decay=0.8),
        # the k-decay cosine's anchored series (the first 5000 steps of a horizon run the
        # one-pass path: entered 400000 steps in, the window crosses six- and ten-term blocks)
        "cos_k_decay_series": C.Shifted(C.CosineAnnealing(0.1, 10**6, 1e-4, k_decay=1.3), 400000),
        "exp_growth": C.ExponentialDecay(1e-4, -1e-3, end_lr=0.1),
        "exp_floor": C.ExponentialDecay(0.1, 1e-3, end_lr=1e-3),
        "onecycle_small_pct": C.OneCycle(0.1, 1000, pct_start=0.0005),
        "tanh": C.TanhDecay(0.1, 10**5, 1e-4),
        # the whole curve inside the first window (the tables of issue 13 change its bits)
        "tanh_curve": C.TanhDecay(0.1, 4000, 1e-4),
        "cosine_restarts": C.CosineRestarts(0.1, 1000.5, 1.5, 1e-4, 0.9, max_cycles=40),
        "cosine_restarts_periodic": C.CosineRestarts(0.1, 777, min_lr=1e-4),
        "poly_restarts": C.PolynomialRestarts(0.1, 1000.5, 1.5, 1e-4, 0.9, max_cycles=40,
                                              power=0.5),
        "poly_restarts_0.9": C.PolynomialRestarts(0.1, 1000.5, 1.5, 1e-4, 0.9, max_cycles=40,
                                                  power=0.9),
        "poly_restarts_k_decay": C.PolynomialRestarts(0.1, 333.25, 2.5, 1e-5, 1.1, max_cycles=12,
                                                      power=0.9, k_decay=2.0),
        "shifted": C.Shifted(C.CosineAnnealing(0.1, 10**5), 2**40),
        "product": C.Product(C.with_warmup(cos, 100), C.ExponentialDecay(1.0, 1e-5)),
        # the sum / maximum / offset rows and the inverse power law (timm WSD parity)
        "sum": C.Sum(C.with_warmup(cos, 100), C.ExponentialDecay(0.01, 1e-5)),
        "maximum": C.Maximum(C.InverseSqrt(0.1, 1000), C.Constant(1e-3)),
        "offset": C.Offset(C.ExponentialDecay(0.1 / 0.9, 2.3e-5), -0.01 / 0.9),
        "inverse_power": C.InversePower(0.1, 1000.5, 0.7),
        "inverse_power_int": C.InversePower(0.1, 1000, 0.7),   # the power-law kernel
        # keras PolynomialDecay(cycle=True) (issue 9): linear, sqrt, integer, general powers
        "cyclic_poly1": C.CyclicPolynomial(0.1, 1e-4, 777, 1.0),
        "cyclic_poly_half": C.CyclicPolynomial(0.1, 0.0, 1000, 0.5),
        "cyclic_poly3": C.CyclicPolynomial(0.1, 1e-4, 3, 3.0),
        "cyclic_poly_gen": C.CyclicPolynomial(1e-3, 0.5, 4096, 3.7),
    }


def digest(s) -> str:
    h = hashlib.sha256()
    rng = np.random.default_rng(12345)
    for w in WINDOWS:
        h.update(s.array(N, start=w).tobytes())
        h.update(s.array(N, start=w, dtype=np.float32).tobytes())
        steps = w + rng.integers(0, N, size=64)
        h.update(s(steps).tobytes())
        h.update(np.array([s(int(t)) for t in steps]).tobytes())
    return h.hexdigest()


CASES = cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_bytes_unchanged(name):
    expected = json.loads(DATA.read_text())
    assert digest(CASES[name]) == expected[name], f"the output bytes of {name} changed"


def test_every_registered_class_has_a_digest_case():
    covered = {type(s).__name__ for s in CASES.values()}
    assert set(fastlr.schedule_classes()) - covered == set()


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    DATA.write_text(json.dumps({k: digest(v) for k, v in sorted(CASES.items())}, indent=1) + "\n")
    print(f"wrote {DATA}")
