"""Each framework's own way of producing 10**6 learning rates against ``fastlr.compat`` (one run).

    python bench/compat_speed.py [--n 1000000]

The framework sides, as a user would produce a table of n values:

* torch: replay, ``scheduler.step()`` n times reading ``optimizer.param_groups[0]["lr"]``
  (``optimizer.step()`` left out: it does not touch the lr, and would only make torch slower);
* transformers: the ``LambdaLR`` of ``get_cosine_schedule_with_warmup`` replayed the same way;
* timm: ``scheduler.step_update(num_updates=t)`` for t < n (``t_in_epochs=False``), reading the lr;
* optax and keras (JAX backend): ``jax.jit(jax.vmap(schedule))`` over an int64 array of n counts
  with x64 on (the first call, which compiles, timed separately; the table shows the best of 3
  warm calls).

fastlr: ``compat.X(...).array(n)`` (float64), best of 3. Python replays run once (seconds each).
Prints one Markdown table of seconds and ratios (framework / fastlr). Not a pytest: timings are
recorded, never asserted. Frameworks that are not installed are skipped with a note.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

from fastlr.compat import keras as FK  # noqa: E402
from fastlr.compat import optax as FO  # noqa: E402
from fastlr.compat import timm as FTI  # noqa: E402
from fastlr.compat import torch as FT  # noqa: E402
from fastlr.compat import transformers as FH  # noqa: E402


def best(fn, repeat=3):
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


TORCH_CASES = [
    ("StepLR(step_size=1000, gamma=0.5)", "StepLR", {"step_size": 1000, "gamma": 0.5}, 0.1),
    ("CosineAnnealingLR(T_max=10**6)", "CosineAnnealingLR", {"T_max": 10**6}, 0.1),
    ("OneCycleLR(max_lr=0.1, total_steps=10**6)", "OneCycleLR",
     {"max_lr": 0.1, "total_steps": 10**6, "cycle_momentum": False}, None),
    ("CyclicLR(1e-3, 0.1, 2000, mode=triangular2)", "CyclicLR",
     {"base_lr": 1e-3, "max_lr": 0.1, "step_size_up": 2000, "mode": "triangular2",
      "cycle_momentum": False}, None),
]

OPTAX_CASES = [
    ("warmup_cosine_decay_schedule(0, 1e-3, 10**4, 10**6)", "warmup_cosine_decay_schedule",
     {"init_value": 0.0, "peak_value": 1e-3, "warmup_steps": 10**4, "decay_steps": 10**6}),
    ("exponential_decay(0.1, 1000, 0.5)", "exponential_decay",
     {"init_value": 0.1, "transition_steps": 1000, "decay_rate": 0.5}),
    ("cosine_onecycle_schedule(10**6, 0.1)", "cosine_onecycle_schedule",
     {"transition_steps": 10**6, "peak_value": 0.1}),
    ("piecewise_constant_schedule(0.1, 3 boundaries)", "piecewise_constant_schedule",
     {"init_value": 0.1, "boundaries_and_scales": {2 * 10**5: 0.5, 5 * 10**5: 0.5, 8 * 10**5: 0.1}}),
]


def torch_rows(n):
    import torch
    from torch.optim import lr_scheduler as S

    warm = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    S.StepLR(warm, 1).step()     # torch's one-time lazy imports stay out of the first replay
    rows = []
    for label, name, kw, base in TORCH_CASES:
        kw = dict(kw)
        if name == "OneCycleLR":
            kw["total_steps"] = max(kw["total_steps"], n)

        def replay():
            p = torch.nn.Parameter(torch.zeros(1))
            opt = torch.optim.SGD([p], lr=base or 0.01)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sched = getattr(S, name)(opt, **kw)
                group = opt.param_groups[0]
                out = [0.0] * n
                for i in range(n):
                    out[i] = group["lr"]
                    if i < n - 1:
                        sched.step()
            return out

        t_fw = best(replay, repeat=1)
        fast = getattr(FT, name)(**(kw if base is None else dict(kw, base_lr=base)))
        t_fl = best(lambda: fast.array(n))
        rows.append(("torch", label, "replay of step()", t_fw, t_fl))
    return rows


def _sgd(lr):
    import torch
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def transformers_rows(n):
    from transformers import optimization as O

    W = n // 10

    def replay():
        opt = _sgd(1e-3)
        sch = O.get_cosine_schedule_with_warmup(opt, W, n)
        g = opt.param_groups[0]
        out = np.empty(n)
        for t in range(n):
            out[t] = g["lr"]
            sch.step()
        return out

    fast = FH.get_cosine_schedule_with_warmup(1e-3, W, n)
    return [("transformers", f"get_cosine_schedule_with_warmup(W={W}, N={n})",
             "replay of LambdaLR.step()", best(replay, repeat=1), best(lambda: fast.array(n)))]


def timm_rows(n):
    sys.path.insert(0, str(ROOT / "tests" / "peers"))
    from timm_loader import load_timm_schedulers

    Cos = load_timm_schedulers()["CosineLRScheduler"]
    kw = dict(t_initial=n // 4, cycle_mul=1.5, cycle_decay=0.8, cycle_limit=10, warmup_t=1000,
              warmup_lr_init=1e-6, lr_min=1e-6)

    def loop():
        opt = _sgd(0.1)
        sch = Cos(opt, t_in_epochs=False, **kw)
        g = opt.param_groups[0]
        out = np.empty(n)
        for t in range(n):
            sch.step_update(num_updates=t)
            out[t] = g["lr"]
        return out

    fast = FTI.CosineLRScheduler(0.1, **kw)
    return [("timm", "CosineLRScheduler(cycle_mul=1.5, warmup_t=1000)", "step_update loop",
             best(loop, repeat=1), best(lambda: fast.array(n)))]


def keras_cases(n):
    W = n // 100
    return [
        ("CosineDecayRestarts(0.1, 1000, t_mul=2, m_mul=0.9, alpha=0.01)", "CosineDecayRestarts",
         dict(initial_learning_rate=0.1, first_decay_steps=1000, t_mul=2.0, m_mul=0.9,
              alpha=0.01)),
        (f"CosineDecay(0, {n - W}, warmup_target=0.1, warmup_steps={W})", "CosineDecay",
         dict(initial_learning_rate=0.0, decay_steps=n - W, alpha=0.0, warmup_target=0.1,
              warmup_steps=W)),
        ("ExponentialDecay(0.1, 1000, 0.96, staircase=True)", "ExponentialDecay",
         dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96, staircase=True)),
    ]


def _jit_rows(fw, cases, make, fast_ns, n):
    """optax and keras alike: jit(vmap(schedule)) over int64 counts, first call timed apart."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    rows = []
    counts = jnp.arange(n, dtype=jnp.int64)
    for label, name, kw in cases:
        f = jax.jit(jax.vmap(make(name, kw)))
        t0 = time.perf_counter()
        f(counts).block_until_ready()
        t_first = time.perf_counter() - t0
        t_fw = best(lambda: f(counts).block_until_ready())
        fast = getattr(fast_ns, name)(**kw)
        t_fl = best(lambda: fast.array(n))
        rows.append((fw, label, f"jit+vmap (first call {t_first:.3f} s)", t_fw, t_fl))
    return rows


def optax_rows(n):
    import optax
    return _jit_rows("optax", OPTAX_CASES, lambda name, kw: getattr(optax, name)(**kw), FO, n)


def keras_rows(n):
    from keras.optimizers import schedules as KS
    return _jit_rows("keras", keras_cases(n), lambda name, kw: getattr(KS, name)(**kw), FK, n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10**6)
    args = ap.parse_args()
    # torch warns that scheduler.step() runs without optimizer.step(): deliberate, see above
    warnings.filterwarnings("ignore", message="Detected call of")
    rows = []
    for part in (torch_rows, transformers_rows, timm_rows, optax_rows, keras_rows):
        try:
            rows += part(args.n)
        except ImportError as exc:
            print(f"({part.__name__[:-5]} skipped: {exc})", file=sys.stderr)
    print(f"n = {args.n:,} float64 values, one run ({os.cpu_count()} CPUs)\n")
    print("| framework | schedule | framework's way | framework s | fastlr `.array(n)` s | ratio |")
    print("|---|---|---|---:|---:|---:|")
    for fw, label, how, t_fw, t_fl in rows:
        print(f"| {fw} | `{label}` | {how} | {t_fw:.4f} | {t_fl:.5f} | {t_fw / t_fl:,.0f}x |")


if __name__ == "__main__":
    main()
