"""10**6 learning-rate values: each framework's own way vs ``fastlr.compat.X(...).array(10**6)``.

Run: ``python bench/compat_speed_hf_timm_keras.py [n]`` (not a pytest; prints a Markdown table of
one run: best of a few repeats per side, and the ratio). The framework sides:

* transformers: ``LambdaLR.step()`` replayed n times (reading the optimizer lr after each);
* timm: ``scheduler.step_update(t)`` for t < n (reading the optimizer lr) — the update-based loop;
* keras (JAX backend, x64): the schedule called once on an int64 array of n steps (vectorised;
  CosineDecay with a warmup needs ``jax.vmap`` because of its ``ops.cond``), result to numpy.
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402


def best(fn, repeats):
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def load_timm():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "peers"))
    from timm_loader import load_timm_schedulers

    return load_timm_schedulers()["CosineLRScheduler"]


def main(n):
    import torch
    from fastlr.compat import keras as FK
    from fastlr.compat import timm as FT
    from fastlr.compat import transformers as FH

    rows = []

    def sgd(lr):
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)

    # transformers: cosine with warmup, LambdaLR replay
    from transformers import optimization as O
    W, N = n // 10, n

    def hf():
        opt = sgd(1e-3)
        sch = O.get_cosine_schedule_with_warmup(opt, W, N)
        g = opt.param_groups[0]
        out = np.empty(n)
        for t in range(n):
            out[t] = g["lr"]
            opt.step()
            sch.step()
        return out

    fl = FH.get_cosine_schedule_with_warmup(1e-3, W, N)
    rows.append(("transformers", f"get_cosine_schedule_with_warmup(W={W}, N={N})",
                 "LambdaLR.step() replay", best(hf, 1), best(lambda: fl.array(n), 5)))

    # timm: cosine with restarts and warmup, step_update loop
    Cos = load_timm()
    kw = dict(t_initial=n // 4, cycle_mul=1.5, cycle_decay=0.8, cycle_limit=10, warmup_t=1000,
              warmup_lr_init=1e-6, lr_min=1e-6)

    def tm():
        opt = sgd(0.1)
        sch = Cos(opt, t_in_epochs=False, **kw)
        g = opt.param_groups[0]
        out = np.empty(n)
        for t in range(n):
            sch.step_update(num_updates=t)
            out[t] = g["lr"]
        return out

    ft = FT.CosineLRScheduler(0.1, **kw)
    rows.append(("timm", "CosineLRScheduler(cycle_mul=1.5, warmup_t=1000)", "step_update loop",
                 best(tm, 1), best(lambda: ft.array(n), 5)))

    # keras: vectorised calls on an int64 array (jax, x64)
    import jax
    jax.config.update("jax_enable_x64", True)
    from keras.optimizers import schedules as KS
    steps = np.arange(n, dtype=np.int64)
    for name, kwk, label in [
        ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=1000,
                                     t_mul=2.0, m_mul=0.9, alpha=0.01), "CosineDecayRestarts"),
        ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=n - 10000, alpha=0.0,
                             warmup_target=0.1, warmup_steps=10000), "CosineDecay(warmup)"),
        ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96,
                                  staircase=True), "ExponentialDecay(staircase)"),
    ]:
        ks = getattr(KS, name)(**kwk)
        call = (lambda ks=ks: np.asarray(jax.vmap(ks)(steps))) if name == "CosineDecay" \
            else (lambda ks=ks: np.asarray(ks(steps)))
        call()  # warm the op caches
        fk = getattr(FK, name)(**kwk)
        rows.append(("keras", label, "schedule(int64 array)" + (" via vmap"
                                                                if name == "CosineDecay" else ""),
                     best(call, 3), best(lambda fk=fk: fk.array(n), 5)))

    print(f"n = {n:,} values, float64; best of 1 (python loops) / 3 (keras) / 5 (fastlr) runs\n")
    print("| framework | schedule | framework's way | framework | fastlr `.array(n)` | ratio |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for fw, sched, way, tf, tl in rows:
        print(f"| {fw} | {sched} | {way} | {tf * 1e3:,.1f} ms | {tl * 1e3:,.2f} ms | "
              f"{tf / tl:,.0f}x |")


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**6)
