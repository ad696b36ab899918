"""The frameworks' own way of producing 10**6 learning rates against fastlr.compat (one run each).

    python bench/compat_speed.py [--n 1000000]

torch: real replay, ``scheduler.step()`` 10**6 times reading ``optimizer.param_groups[0]["lr"]``
(``optimizer.step()`` left out: it does not touch the lr, and would only make torch slower).
optax: ``jax.jit(jax.vmap(schedule))`` over an int64 array of 10**6 counts with x64 on (the
first call, which compiles, timed separately; the table shows the best of 3 warm calls).
fastlr: ``compat.X(...).array(10**6)`` (float64), best of 3. Prints a Markdown table of seconds
and ratios (framework / fastlr). Not a pytest: timings are recorded, never asserted.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fastlr.compat import optax as FO  # noqa: E402
from fastlr.compat import torch as FT  # noqa: E402


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


def optax_rows(n):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    rows = []
    counts = jnp.arange(n, dtype=jnp.int64)
    for label, name, kw in OPTAX_CASES:
        f = jax.jit(jax.vmap(getattr(optax, name)(**kw)))
        t0 = time.perf_counter()
        f(counts).block_until_ready()
        t_first = time.perf_counter() - t0
        t_fw = best(lambda: f(counts).block_until_ready())
        fast = getattr(FO, name)(**kw)
        t_fl = best(lambda: fast.array(n))
        rows.append(("optax", label, f"jit+vmap (first call {t_first:.3f} s)", t_fw, t_fl))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10**6)
    args = ap.parse_args()
    rows = []
    try:
        rows += torch_rows(args.n)
    except ImportError as exc:
        print(f"(torch skipped: {exc})", file=sys.stderr)
    try:
        rows += optax_rows(args.n)
    except ImportError as exc:
        print(f"(optax skipped: {exc})", file=sys.stderr)
    print(f"n = {args.n:,} float64 values, one run ({os.cpu_count()} CPUs)\n")
    print("| framework | schedule | framework's way | framework s | fastlr `.array(n)` s | ratio |")
    print("|---|---|---|---:|---:|---:|")
    for fw, label, how, t_fw, t_fl in rows:
        print(f"| {fw} | `{label}` | {how} | {t_fw:.4f} | {t_fl:.5f} | {t_fw / t_fl:,.0f}x |")


if __name__ == "__main__":
    main()
