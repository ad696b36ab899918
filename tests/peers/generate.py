"""Generate golden learning-rate values from the real peer frameworks.

Run by hand (pytest does not collect or run this file)::

    python tests/peers/generate.py                 # all five frameworks
    python tests/peers/generate.py torch timm      # a subset

It writes one JSON file per framework to ``tests/peers/data/`` (``<framework>.json``,
or ``<framework>.json.gz`` if the text is larger than ~2 MB).  Layout of a file::

    {"framework": ..., "framework_version": ..., "generator": ..., "seed": ...,
     "environment": {...versions...}, "notes": [...], "entries": [entry, ...]}

and of an entry::

    {"id": unique string, "framework": ..., "name": constructor name,
     "kwargs": the framework's own keyword arguments as passed (minus the optimizer;
               plus "base_lr" where the framework reads the rate from the optimizer),
     "steps": [int, ...], "values": [float, ...], "dtype": "float64" | "float32",
     "framework_version": ...,  optional: "momentum_values", "values_jit", "max_legal_step",
     "error" (the framework raised; steps/values are then empty, except for timm where
     "raising_steps" lists the steps at which step_update raised and "steps" the others),
     "complex_steps" (timm: steps where the lr came out a complex number, left out of
     "steps"),
     "note"}

JSON object keys are strings, so optax's ``boundaries_and_scales`` dicts appear with string
keys ("100": 0.5); convert them back to int.  Nested schedules (torch SequentialLR /
ChainedScheduler children, optax join_schedules children) are {"name": ..., "kwargs": ...}.

"Value at step t" per framework (see SEMANTICS.md for the formulas):

* torch: the lr that ``optimizer.param_groups[0]["lr"]`` holds after t calls of
  ``scheduler.step()`` (each preceded by ``optimizer.step()``), by real replay on a dummy
  SGD parameter.  Replay is O(t), so torch steps stop at 20000 (OneCycleLR: at total_steps,
  the last step torch allows).
* optax: ``schedule(jnp.int64(t))`` with ``jax_enable_x64`` on (float64), eagerly; if
  ``jax.jit(schedule)`` gives a different float for some step, "values_jit" is also stored
  (NaN there is stored as null).
* transformers: ``scheduler.base_lrs[0] * scheduler.lr_lambdas[0](t)`` (exactly what
  LambdaLR.get_lr computes); checked against real replay for t <= 300.
* timm: the lr the optimizer holds after ``scheduler.step_update(num_updates=t)`` with
  ``t_in_epochs=False`` (update-based scheduling).
* keras: ``schedule(np.int64(t))`` on the JAX backend with x64; rates passed as Python
  floats (float64; "lr_dtype": "float64") or as np.float32 ("lr_dtype": "float32": float32
  computation, what users get with keras defaults).  NOTE:
  keras 3 computes ops.cos / ops.floor / ops.ceil in float32 even for float64 input (its dtype
  lattice promotes (float64, python float) to float32), so some "float64" keras values carry
  float32 rounding; the stored dtype is the dtype of the returned array.

How timm is loaded: ``import timm`` fails here (timm/__init__ imports torchvision), so
``load_timm_schedulers`` locates the installed package with ``importlib.util.find_spec``
(which does not execute it), registers empty stub modules ``timm`` and ``timm.scheduler`` in
``sys.modules`` whose ``__path__`` point at the installed directories, and then imports the
individual ``timm.scheduler.<x>_lr`` submodules (their relative imports resolve through the
stubs).  Install timm with ``pip install timm --no-deps``.

Deterministic: all random configurations and random steps come from ``random.Random(SEED)``
(one generator per framework, seeded with SEED + a fixed offset).
"""

import gzip
import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import random
import sys
import warnings
from pathlib import Path

SEED = 20240909
OUT = Path(__file__).resolve().parent / "data"
BIG = 10**6
TORCH_MAX_STEP = 20000
GZIP_ABOVE = 2_000_000
N_RANDOM = 30


# ----------------------------------------------------------------------------- helpers

def _ints_near(x):
    """Integers within one of a (possibly fractional) boundary x."""
    lo, hi = math.floor(x), math.ceil(x)
    return {lo - 1, lo, hi, hi + 1}


def pick_steps(rng, boundaries, horizon, max_step, n_random=N_RANDOM, extra=()):
    """0, 1, 2, every boundary +-1, horizon +-1, 10*horizon, 10**6, random steps; <= max_step."""
    s = {0, 1, 2}
    for b in list(boundaries) + [horizon]:
        s |= _ints_near(b)
    s |= {10 * horizon, BIG}
    s |= set(extra)
    near = max(3 * horizon, 10)
    for k in range(n_random):
        s.add(rng.randint(0, min(near, max_step)) if k % 2 == 0 else rng.randint(0, max_step))
    return sorted(x for x in s if 0 <= x <= max_step)


def _check_finite(entry):
    for key in ("values", "momentum_values"):
        for v in entry.get(key, ()):
            if not math.isfinite(v):
                raise ValueError(f"non-finite value in {entry['id']} ({key}): {v}")


def write(framework, version, entries, notes, extra_env=None):
    OUT.mkdir(parents=True, exist_ok=True)
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for e in entries:
        _check_finite(e)
    env = {"python": platform.python_version(), "numpy": importlib.metadata.version("numpy")}
    env.update(extra_env or {})
    head = {"framework": framework, "framework_version": version,
            "generator": "tests/peers/generate.py", "seed": SEED, "environment": env,
            "notes": notes}
    lines = [json.dumps(head, separators=(",", ":"))[:-1] + ',"entries":[']
    lines += [json.dumps(e, separators=(",", ":")) + ("," if i < len(entries) - 1 else "")
              for i, e in enumerate(entries)]
    lines.append("]}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # well-formed
    for p in (OUT / f"{framework}.json", OUT / f"{framework}.json.gz"):
        if p.exists():
            p.unlink()
    if len(text) > GZIP_ABOVE:
        path = OUT / f"{framework}.json.gz"
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(text.encode())
    else:
        path = OUT / f"{framework}.json"
        path.write_text(text)
    print(f"{framework}: {len(entries)} entries -> {path} ({path.stat().st_size} bytes)")


class Ids:
    def __init__(self, framework):
        self.framework = framework
        self.n = {}

    def __call__(self, name):
        k = self.n.get(name, 0)
        self.n[name] = k + 1
        return f"{self.framework}-{name}-{k:03d}"


# ----------------------------------------------------------------------------- torch

def gen_torch():
    import torch
    from torch.optim import SGD
    from torch.optim import lr_scheduler as S

    rng = random.Random(SEED + 1)
    ver = torch.__version__
    ids = Ids("torch")
    entries = []

    def build(opt, spec):
        name, kw = spec["name"], dict(spec["kwargs"])
        if name != "CyclicLR":  # CyclicLR's base_lr is its own argument
            kw.pop("base_lr", None)
        if name == "SequentialLR":
            kids = [build(opt, c) for c in kw.pop("schedulers")]
            return S.SequentialLR(opt, kids, **kw)
        if name == "ChainedScheduler":
            kids = [build(opt, c) for c in kw.pop("schedulers")]
            return S.ChainedScheduler(kids, optimizer=opt)
        return getattr(S, name)(opt, **kw)

    def replay(name, kwargs, boundaries, horizon, base_lr=None, momentum=False,
               max_step=TORCH_MAX_STEP, note=None):
        spec = {"name": name, "kwargs": kwargs}
        steps = pick_steps(rng, boundaries, horizon, max_step)
        want = set(steps)
        param = torch.nn.Parameter(torch.zeros(1))
        opt = SGD([param], lr=base_lr if base_lr is not None else 0.01,
                  momentum=0.9 if momentum else 0.0)
        entry = {"id": ids(name), "framework": "torch", "name": name, "kwargs": kwargs}
        vals, moms = [], []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                sched = build(opt, spec)
                for t in range(steps[-1] + 1):
                    if t in want:
                        vals.append(float(opt.param_groups[0]["lr"]))
                        if momentum:
                            moms.append(float(opt.param_groups[0]["momentum"]))
                    if t < steps[-1]:
                        opt.step()
                        sched.step()
        except Exception as exc:  # record that the framework raises
            entry.update(steps=[], values=[], error=f"{type(exc).__name__}: {exc}")
        else:
            entry.update(steps=steps, values=vals)
            if momentum:
                entry["momentum_values"] = moms
        entry.update(dtype="float64", framework_version=ver)
        if note:
            entry["note"] = note
        entries.append(entry)
        return entry

    def lr():
        return rng.choice([0.1, 1.0, 0.05, 3e-4, round(rng.uniform(1e-4, 1.0), 6)])

    def H(lo=1, hi=5000):
        return rng.choice([rng.randint(lo, min(hi, 20)), rng.randint(lo, hi)])

    # StepLR
    for step_size, gamma in [(1, 0.5), (2, 0.1), (3, 0.9), (1, 0.999)] + [
            (H(1, 3000), rng.choice([0.1, 0.5, 0.95, round(rng.uniform(0.3, 0.99), 4)]))
            for _ in range(8)]:
        b = lr()
        replay("StepLR", {"step_size": step_size, "gamma": gamma, "base_lr": b},
               [step_size * k for k in range(1, 4)], step_size, base_lr=b)
    # MultiStepLR (repeated milestones multiply gamma**count; unsorted input is allowed)
    for ms, gamma in [([1], 0.1), ([2, 3], 0.5), ([5, 5, 10], 0.1), ([30, 10, 20], 0.5)] + [
            (sorted(rng.sample(range(1, 4000), rng.randint(1, 5))),
             rng.choice([0.1, 0.5, round(rng.uniform(0.1, 0.99), 4)])) for _ in range(7)]:
        b = lr()
        replay("MultiStepLR", {"milestones": ms, "gamma": gamma, "base_lr": b}, ms, max(ms),
               base_lr=b)
    # ConstantLR
    for factor, ti in [(1 / 3, 5), (0.5, 1), (0.25, 0), (1.0, 3), (0.1, 2)] + [
            (round(rng.uniform(0.01, 1.0), 5), H(1, 3000)) for _ in range(5)]:
        b = lr()
        replay("ConstantLR", {"factor": factor, "total_iters": ti, "base_lr": b}, [ti], ti,
               base_lr=b)
    # LinearLR
    for sf, ef, ti in [(1 / 3, 1.0, 5), (0.1, 1.0, 1), (0.5, 0.0, 2), (1.0, 0.1, 3),
                       (0.25, 1.0, 0), (1e-3, 1.0, 100)] + [
            (round(rng.uniform(0.01, 1.0), 5), round(rng.uniform(0.0, 1.0), 5), H(1, 4000))
            for _ in range(6)]:
        b = lr()
        replay("LinearLR", {"start_factor": sf, "end_factor": ef, "total_iters": ti,
                            "base_lr": b}, [ti], ti, base_lr=b)
    # ExponentialLR
    for gamma in [0.5, 0.9, 0.99, 0.9999, 1.0001, round(rng.uniform(0.95, 1.0), 6)]:
        b = lr()
        replay("ExponentialLR", {"gamma": gamma, "base_lr": b}, [], 100, base_lr=b)
    # PolynomialLR
    for ti, p in [(1, 1.0), (2, 2.0), (3, 0.5), (5, 1.0), (100, 0.9)] + [
            (H(1, 5000), rng.choice([0.5, 1.0, 2.0, round(rng.uniform(0.1, 3.0), 4)]))
            for _ in range(6)]:
        b = lr()
        replay("PolynomialLR", {"total_iters": ti, "power": p, "base_lr": b}, [ti], ti, base_lr=b)
    # CosineAnnealingLR: steps run far past T_max (periodic as the optimizer sees it)
    for tm, emin in [(1, 0.0), (2, 0.0), (3, 0.001), (10, 0.0), (100, 1e-5), (7, 0.01)] + [
            (H(1, 5000), rng.choice([0.0, 1e-6, round(rng.uniform(0, 0.01), 6)]))
            for _ in range(8)]:
        b = lr()
        if emin >= b:
            emin = 0.0
        replay("CosineAnnealingLR", {"T_max": tm, "eta_min": emin, "base_lr": b},
               [tm * k for k in range(1, 5)], tm, base_lr=b)
    # CosineAnnealingWarmRestarts
    for t0, tmul, emin in [(1, 1, 0.0), (1, 2, 0.0), (2, 3, 0.0), (3, 1, 0.001), (5, 2, 1e-4),
                           (10, 3, 0.0), (10, 1, 0.0), (7, 2, 0.0)] + [
            (H(1, 2000), rng.choice([1, 2, 3]), rng.choice([0.0, 1e-5])) for _ in range(8)]:
        b = lr()
        bounds, acc, ti = [], 0, t0
        while acc <= TORCH_MAX_STEP:
            acc += ti
            bounds.append(acc)
            ti *= tmul
        replay("CosineAnnealingWarmRestarts", {"T_0": t0, "T_mult": tmul, "eta_min": emin,
                                               "base_lr": b}, bounds[:6], t0, base_lr=b)
    # CyclicLR (cycle_momentum=False; base_lr is CyclicLR's own argument)
    cyc = []
    for mode in ["triangular", "triangular2", "exp_range"]:
        cyc += [(mode, 1, None, 1.0), (mode, 3, 2, 0.99), (mode, 10, None, 0.999),
                (mode, 4, 7, 0.9)]
        cyc += [(mode, H(1, 2000), rng.choice([None, H(1, 2000)]),
                 round(rng.uniform(0.99, 1.0), 6)) for _ in range(3)]
    for mode, up, down, gamma in cyc:
        base, peak = rng.choice([(1e-4, 1e-2), (0.001, 0.1), (0.5, 1.0)])
        kw = {"base_lr": base, "max_lr": peak, "step_size_up": up, "step_size_down": down,
              "mode": mode, "gamma": gamma, "cycle_momentum": False}
        tot = up + (down if down is not None else up)
        replay("CyclicLR", kw, [up, tot, tot + up, 2 * tot], tot)
    # OneCycleLR (lr and momentum; SGD momentum=0.9, cycle_momentum=True)
    oc = [(1, 0.3, "cos", False), (2, 0.3, "cos", False), (3, 0.5, "linear", True),
          (10, 0.25, "cos", True), (100, 0.3, "cos", False), (100, 0.3, "linear", False),
          (1000, 0.237, "cos", True), (17, 0.41, "linear", True), (10, 0.1, "cos", False),
          (50, 0.02, "cos", True)]
    oc += [(H(1, 5000), round(rng.uniform(0.05, 0.95), 4), rng.choice(["cos", "linear"]),
            rng.random() < 0.4) for _ in range(14)]
    for i, (tot, pct, strat, three) in enumerate(oc):
        kw = {"max_lr": rng.choice([0.1, 1.0, 0.01]), "pct_start": pct,
              "anneal_strategy": strat, "three_phase": three, "cycle_momentum": True,
              "base_momentum": rng.choice([0.85, 0.8]), "max_momentum": 0.95,
              "div_factor": rng.choice([25.0, 10.0, 1e4]),
              "final_div_factor": rng.choice([1e4, 100.0, 1.0])}
        if i % 3 == 2 and tot > 1:
            spe = rng.choice([d for d in range(1, tot + 1) if tot % d == 0])
            kw.update(epochs=tot // spe, steps_per_epoch=spe)
        else:
            kw["total_steps"] = tot
        ends = [pct * tot - 1, 2 * pct * tot - 2, tot - 1]
        e = replay("OneCycleLR", kw, ends, tot, momentum=True, max_step=tot,
                   note="torch raises ValueError for t > total_steps; t == total_steps is legal "
                        "(the last phase extrapolates past pct=1)")
        e["max_legal_step"] = tot
    # SequentialLR
    seqs = [
        ([("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
          ("CosineAnnealingLR", {"T_max": 95})], [5]),
        ([("ConstantLR", {"factor": 0.5, "total_iters": 3}),
          ("ExponentialLR", {"gamma": 0.9})], [2]),
        ([("LinearLR", {"start_factor": 0.01, "total_iters": 10}),
          ("StepLR", {"step_size": 7, "gamma": 0.5}),
          ("PolynomialLR", {"total_iters": 20, "power": 2.0})], [10, 40]),
        ([("ExponentialLR", {"gamma": 0.95}),
          ("CosineAnnealingLR", {"T_max": 30, "eta_min": 0.001})], [1]),
        ([("LinearLR", {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 100}),
          ("CosineAnnealingLR", {"T_max": 900})], [100]),
        ([("MultiStepLR", {"milestones": [3, 6], "gamma": 0.5}),
          ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 10})], [8]),
        ([("ConstantLR", {"factor": 0.1, "total_iters": 1000}),
          ("ConstantLR", {"factor": 1.0, "total_iters": 1})], [4]),
    ]
    for _ in range(4):
        w = rng.randint(1, 500)
        d = rng.randint(1, 4000)
        seqs.append(([("LinearLR", {"start_factor": round(rng.uniform(0.01, 0.5), 4),
                                    "total_iters": w}),
                      ("CosineAnnealingLR", {"T_max": d,
                                             "eta_min": rng.choice([0.0, 1e-6])})], [w]))
    for kids, ms in seqs:
        b = lr()
        kw = {"schedulers": [{"name": n, "kwargs": k} for n, k in kids], "milestones": ms,
              "base_lr": b}
        bounds = list(ms) + [k.get("total_iters", k.get("T_max", 0)) + m
                             for (n, k), m in zip(kids[1:], ms)]
        replay("SequentialLR", kw, bounds, ms[-1] + 10, base_lr=b)
    # ChainedScheduler (product of multiplicative/recursive children)
    chains = [
        [("ConstantLR", {"factor": 0.1, "total_iters": 2}), ("ExponentialLR", {"gamma": 0.9})],
        [("LinearLR", {"start_factor": 0.1, "total_iters": 10}),
         ("CosineAnnealingLR", {"T_max": 50})],
        [("StepLR", {"step_size": 3, "gamma": 0.5}),
         ("MultiStepLR", {"milestones": [4, 8], "gamma": 0.1})],
        [("LinearLR", {"start_factor": 0.5, "total_iters": 4}),
         ("PolynomialLR", {"total_iters": 20, "power": 1.0})],
        [("ExponentialLR", {"gamma": 0.99}), ("StepLR", {"step_size": 10, "gamma": 0.5}),
         ("ConstantLR", {"factor": 0.5, "total_iters": 5})],
        [("LinearLR", {"start_factor": 0.01, "total_iters": 300}),
         ("CosineAnnealingLR", {"T_max": 3000, "eta_min": 0.0})],
        [("CosineAnnealingLR", {"T_max": 7}), ("CosineAnnealingLR", {"T_max": 11})],
    ]
    for kids in chains:
        b = lr()
        kw = {"schedulers": [{"name": n, "kwargs": k} for n, k in kids], "base_lr": b}
        bounds = [k.get("total_iters", k.get("T_max", k.get("step_size", 0))) for n, k in kids]
        replay("ChainedScheduler", kw, bounds, max(bounds), base_lr=b)

    notes = ["values: optimizer.param_groups[0]['lr'] after t scheduler.step() calls (real replay)",
             f"steps capped at {TORCH_MAX_STEP} (replay cost); OneCycleLR capped at total_steps",
             "entries with 'error' record that construction/stepping raised"]
    write("torch", ver, entries, notes)


# ----------------------------------------------------------------------------- optax

def gen_optax():
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    import optax

    rng = random.Random(SEED + 2)
    ver = importlib.metadata.version("optax")
    ids = Ids("optax")
    entries = []
    n_jit_diff = [0]

    def make(name, kw):
        kw = dict(kw)
        if name == "join_schedules":
            kids = [make(c["name"], c["kwargs"]) for c in kw["schedules"]]
            return optax.join_schedules(kids, kw["boundaries"])
        for key in ("boundaries_and_scales",):
            if key in kw and kw[key] is not None:
                kw[key] = {int(k): v for k, v in kw[key].items()}
        return getattr(optax, name)(**kw)

    def record(name, kw, boundaries, horizon):
        try:
            sched = make(name, kw)
        except Exception as exc:  # record that the framework rejects this configuration
            entries.append({"id": ids(name), "framework": "optax", "name": name, "kwargs": kw,
                            "steps": [], "values": [], "dtype": "float64",
                            "framework_version": ver, "error": f"{type(exc).__name__}: {exc}"})
            return
        steps = pick_steps(rng, boundaries, horizon, BIG)
        jitted = jax.jit(sched)
        vals, jvals, dts = [], [], set()
        for t in steps:
            c = jnp.asarray(t, dtype=jnp.int64)
            r = jnp.asarray(sched(c))
            dts.add(str(r.dtype))
            vals.append(float(np.asarray(r)))
            j = float(np.asarray(jitted(c)))
            jvals.append(j if math.isfinite(j) else None)
        assert len(dts) == 1, dts
        e = {"id": ids(name), "framework": "optax", "name": name, "kwargs": kw,
             "steps": steps, "values": vals, "dtype": dts.pop(), "framework_version": ver}
        if jvals != vals:
            e["values_jit"] = jvals
            n_jit_diff[0] += 1
        entries.append(e)

    def v():
        return rng.choice([0.1, 1.0, 3e-4, round(rng.uniform(1e-4, 1.0), 6)])

    def H(lo=1, hi=100000):
        return rng.choice([rng.randint(lo, min(hi, 20)), rng.randint(lo, 5000), rng.randint(lo, hi)])

    for val in [0.1, 1.0, 3e-4]:
        record("constant_schedule", {"value": val}, [], 10)
    for tr, tb in [(1, 0), (2, 0), (3, 5), (100, 0), (0, 0), (10, -5)] + [
            (H(), rng.choice([0, H(0, 1000)])) for _ in range(6)]:
        record("linear_schedule", {"init_value": v(), "end_value": rng.choice([0.0, 1e-5, 0.5]),
                                   "transition_steps": tr, "transition_begin": tb},
               [tb, tb + tr], tb + tr)
    for tr, tb, p in [(1, 0, 2.0), (3, 2, 0.5), (100, 0, 1.0), (1000, 50, 3.0), (0, 0, 2.0)] + [
            (H(), rng.choice([0, H(0, 1000)]), round(rng.uniform(0.1, 4.0), 4)) for _ in range(6)]:
        record("polynomial_schedule", {"init_value": v(), "end_value": rng.choice([0.0, 1e-6]),
                                       "power": p, "transition_steps": tr, "transition_begin": tb},
               [tb, tb + tr], tb + tr)
    for bs in [None, {"1": 0.5}, {"10": 0.1, "20": 0.1}, {"0": 0.5, "5": 2.0},
               {"100": 0.5, "300": 0.5, "600": 0.1}] + [
            {str(k): rng.choice([0.1, 0.5, 2.0]) for k in rng.sample(range(1, 50000), 3)}
            for _ in range(3)]:
        bd = [int(k) for k in bs] if bs else []
        record("piecewise_constant_schedule", {"init_value": v(), "boundaries_and_scales": bs},
               bd, max(bd) if bd else 10)
    for it in ["linear", "cosine"]:
        for bs in [{"1": 0.5}, {"10": 2.0, "20": 0.1}, {"0": 10.0, "5": 0.5},
                   {"100": 25.0, "1000": 0.04, "1001": 0.01}] + [
                {str(k): rng.choice([0.1, 0.5, 2.0, 25.0]) for k in rng.sample(range(1, 50000), 3)}
                for _ in range(2)]:
            bd = [int(k) for k in bs]
            record("piecewise_interpolate_schedule", {"interpolate_type": it, "init_value": v(),
                                                      "boundaries_and_scales": bs}, bd, max(bd))
    for tr, rate, tb, stair, endv in [
            (1, 0.5, 0, False, None), (10, 0.5, 0, True, None), (100, 0.9, 50, False, None),
            (10, 0.5, 5, True, 1e-3), (1000, 0.1, 0, False, 1e-5), (10, 1.5, 0, False, 10.0),
            (7, 2.0, 3, True, 5.0), (3, 1.1, 0, False, 2.0), (0, 0.5, 0, False, None),
            (10, 0.0, 0, False, None)] + [
            (H(1, 20000), round(rng.uniform(0.05, 0.99), 4), rng.choice([0, H(0, 500)]),
             rng.random() < 0.5, rng.choice([None, 1e-6])) for _ in range(6)]:
        init = v()
        record("exponential_decay", {"init_value": init, "transition_steps": tr,
                                     "decay_rate": rate, "transition_begin": tb,
                                     "staircase": stair, "end_value": endv},
               [tb, tb + tr, tb + 2 * tr], tb + tr)
    for ds, a, ex in [(1, 0.0, 1.0), (2, 0.1, 1.0), (3, 0.0, 2.0), (100, 0.0, 1.0),
                      (1000, 0.05, 0.5)] + [
            (H(), rng.choice([0.0, 0.1, round(rng.uniform(0, 0.5), 4)]),
             rng.choice([1.0, 2.0, round(rng.uniform(0.5, 3.0), 4)])) for _ in range(6)]:
        record("cosine_decay_schedule", {"init_value": v(), "decay_steps": ds, "alpha": a,
                                         "exponent": ex}, [ds], ds)
    for w, ds, ex, endv in [(0, 10, 1.0, 0.0), (1, 2, 1.0, 0.0), (2, 3, 1.0, 1e-3),
                            (5, 100, 2.0, 0.0), (100, 1000, 1.0, 1e-5), (10, 10, 1.0, 0.0)] + [
            (rng.randint(0, 2000), None, rng.choice([1.0, 0.5, 2.0]), rng.choice([0.0, 1e-6]))
            for _ in range(6)]:
        if ds is None:
            ds = w + H()
        record("warmup_cosine_decay_schedule",
               {"init_value": rng.choice([0.0, 1e-5]), "peak_value": v(), "warmup_steps": w,
                "decay_steps": ds, "end_value": endv, "exponent": ex}, [w, ds], ds)
    for w in [0, 1, 2, 10, 1000, rng.randint(1, 5000)]:
        record("warmup_constant_schedule", {"init_value": rng.choice([0.0, 1e-4]),
                                            "peak_value": v(), "warmup_steps": w}, [w], w)
    for w, tr, rate, tb, stair, endv in [
            (0, 10, 0.5, 0, False, None), (1, 1, 0.5, 0, True, None), (10, 100, 0.9, 5, False, 1e-3),
            (5, 10, 0.5, 0, True, None), (100, 1000, 0.1, 200, False, 1e-6)] + [
            (rng.randint(0, 2000), H(1, 20000), round(rng.uniform(0.1, 0.99), 4),
             rng.choice([0, 100]), rng.random() < 0.5, rng.choice([None, 1e-7]))
            for _ in range(4)]:
        record("warmup_exponential_decay_schedule",
               {"init_value": 0.0, "peak_value": v(), "warmup_steps": w, "transition_steps": tr,
                "decay_rate": rate, "transition_begin": tb, "staircase": stair,
                "end_value": endv}, [w, w + tb, w + tb + tr], w + tb + tr)
    for cycles in [
            [{"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 2, "decay_steps": 10}] * 3,
            [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 0, "decay_steps": 5},
             {"init_value": 0.0, "peak_value": 0.05, "warmup_steps": 1, "decay_steps": 10,
              "end_value": 1e-4},
             {"init_value": 1e-3, "peak_value": 0.025, "warmup_steps": 3, "decay_steps": 20,
              "exponent": 2.0}],
            [{"init_value": 1e-5, "peak_value": 3e-4, "warmup_steps": 100, "decay_steps": 1000}] * 4,
    ] + [[{"init_value": 0.0, "peak_value": v(), "warmup_steps": (w := rng.randint(0, 50)),
           "decay_steps": w + rng.randint(1, 3000)} for _ in range(rng.randint(1, 4))]
         for _ in range(3)]:
        bd, acc = [], 0
        for c in cycles:
            bd += [acc + c["warmup_steps"], acc + c["decay_steps"]]
            acc += c["decay_steps"]
        record("sgdr_schedule", {"cosine_kwargs": cycles}, bd, acc)
    for ts, pct, pf in [(1, 0.3, 0.85), (3, 0.3, 0.85), (10, 0.25, 0.85), (100, 0.3, 0.85),
                        (1000, 0.237, 0.9), (7, 0.5, 0.75)] + [
            (H(), round(rng.uniform(0.05, 0.5), 4), round(rng.uniform(0.55, 0.95), 4))
            for _ in range(4)]:
        pk, df, fdf = v(), rng.choice([25.0, 10.0]), rng.choice([1e4, 100.0])
        record("cosine_onecycle_schedule", {"transition_steps": ts, "peak_value": pk,
                                            "pct_start": pct, "div_factor": df,
                                            "final_div_factor": fdf},
               [int(pct * ts), ts], ts)
        record("linear_onecycle_schedule", {"transition_steps": ts, "peak_value": pk,
                                            "pct_start": pct, "pct_final": pf, "div_factor": df,
                                            "final_div_factor": fdf},
               [int(pct * ts), int(pf * ts), ts], ts)
    joins = [
        ([{"name": "linear_schedule", "kwargs": {"init_value": 0.0, "end_value": 0.1,
                                                 "transition_steps": 10}},
          {"name": "cosine_decay_schedule", "kwargs": {"init_value": 0.1, "decay_steps": 90}}],
         [10]),
        ([{"name": "constant_schedule", "kwargs": {"value": 0.5}},
          {"name": "exponential_decay", "kwargs": {"init_value": 0.5, "transition_steps": 3,
                                                   "decay_rate": 0.5, "staircase": True}},
          {"name": "constant_schedule", "kwargs": {"value": 0.01}}], [1, 20]),
        ([{"name": "polynomial_schedule", "kwargs": {"init_value": 1.0, "end_value": 0.0,
                                                     "power": 2.0, "transition_steps": 100}},
          {"name": "linear_schedule", "kwargs": {"init_value": 0.0, "end_value": 1.0,
                                                 "transition_steps": 50,
                                                 "transition_begin": 10}}], [0]),
        ([{"name": "warmup_constant_schedule", "kwargs": {"init_value": 0.0, "peak_value": 3e-4,
                                                          "warmup_steps": 1000}},
          {"name": "cosine_decay_schedule", "kwargs": {"init_value": 3e-4, "decay_steps": 99000,
                                                       "alpha": 0.1}}], [1000]),
    ]
    for kids, bd in joins:
        record("join_schedules", {"schedules": kids, "boundaries": bd}, bd + [100], max(bd) + 100)

    notes = ["values: schedule(jnp.int64(t)) eagerly with jax_enable_x64=True (float64); "
             "NOTE optax's own optimizer state counts in int32, and int32/int true division "
             "gives float32 in JAX even with x64, so inside an optax optimizer most schedules "
             "compute in float32",
             "values_jit present only where jax.jit(schedule) differs from eager "
             f"({n_jit_diff[0]} entries); XLA rewrites count / T into count * (1/T); a NaN "
             "there is stored as null",
             "boundaries_and_scales keys are JSON strings of int boundaries"]
    write("optax", ver, entries, notes,
          {"jax": importlib.metadata.version("jax"), "jaxlib": importlib.metadata.version("jaxlib")})


# ----------------------------------------------------------------------------- transformers

def gen_transformers():
    import torch
    import transformers
    from transformers import optimization as O
    from transformers.trainer_utils import SchedulerType

    rng = random.Random(SEED + 3)
    ver = transformers.__version__
    ids = Ids("transformers")
    entries = []
    metric_based = {"reduce_lr_on_plateau", "greedy"}
    names = [s.value for s in SchedulerType if s.value not in metric_based]

    def record(name, kwargs, base_lr, boundaries, horizon):
        param = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=base_lr)
        kw = dict(kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            if name == "get_scheduler":
                sched = O.get_scheduler(optimizer=opt, **kw)
            else:
                sched = getattr(O, name)(opt, **kw)
        assert type(sched).__name__ == "LambdaLR", type(sched)
        steps = pick_steps(rng, boundaries, horizon, BIG)
        vals = [sched.base_lrs[0] * sched.lr_lambdas[0](t) for t in steps]
        vals = [float(x) for x in vals]
        # replay check: the optimizer's lr after t step() calls equals the stored product
        want = {t: x for t, x in zip(steps, vals) if t <= 300}
        for t in range(max(want) + 1):
            if t in want:
                got = float(opt.param_groups[0]["lr"])
                assert got == want[t], (name, kwargs, t, got, want[t])
            opt.step()
            sched.step()
        kw["base_lr"] = base_lr
        entries.append({"id": ids(name if name != "get_scheduler" else "get_scheduler-" + kw["name"]),
                        "framework": "transformers", "name": name, "kwargs": kw,
                        "steps": steps, "values": vals, "dtype": "float64",
                        "framework_version": ver})

    def lr():
        return rng.choice([5e-5, 1e-3, 0.1, 1.0, round(rng.uniform(1e-5, 1e-2), 8)])

    def WT(hi=100000):
        w = rng.choice([0, 1, rng.randint(0, 20), rng.randint(0, 2000)])
        return w, w + rng.choice([1, 2, rng.randint(1, 20), rng.randint(1, hi)])

    def gs(sname, w, n, ssk=None):
        kw = {"name": sname, "num_warmup_steps": w, "num_training_steps": n}
        if ssk is not None:
            kw["scheduler_specific_kwargs"] = ssk
        return kw

    edge_wn = [(0, 1), (0, 2), (1, 2), (2, 3), (0, 100), (10, 100), (5, 5)]
    # linear
    for w, n in edge_wn + [WT() for _ in range(5)]:
        record("get_scheduler", gs("linear", w, n), lr(), [w, n], n)
    # cosine (fractional num_cycles too)
    for (w, n), nc in list(zip(edge_wn, [0.5] * 7)) + [(WT(), rng.choice([0.5, 0.25, 1.0, 1.5, 0.3, 2.7]))
                                                        for _ in range(6)]:
        record("get_scheduler", gs("cosine", w, n, {"num_cycles": nc}), lr(), [w, n], n)
    # cosine_with_restarts
    for (w, n), nc in [((0, 10), 1), ((0, 10), 2), ((2, 12), 3), ((0, 100), 4), ((10, 1000), 5),
                       ((0, 3), 2), ((1, 2), 1)] + [(WT(), rng.choice([1, 2, 3, 7])) for _ in range(4)]:
        cyc = [w + (n - w) * k / nc for k in range(1, nc + 1)]
        record("get_scheduler", gs("cosine_with_restarts", w, n, {"num_cycles": nc}), lr(),
               [w, n] + cyc, n)
    # polynomial (lr_init is the optimizer's lr; lr_end < lr_init)
    for (w, n), le, p in [((0, 10), 1e-7, 1.0), ((2, 10), 0.0, 2.0), ((1, 2), 1e-4, 0.5),
                          ((10, 100), 1e-6, 3.0)] + [(WT(), rng.choice([1e-7, 0.0]),
                                                      round(rng.uniform(0.3, 3), 4)) for _ in range(5)]:
        b = lr()
        record("get_scheduler", gs("polynomial", w, n, {"lr_end": le, "power": p}), max(b, 1e-3),
               [w, n], n)
    # constant, constant_with_warmup
    for b in [0.1, 1e-3]:
        record("get_scheduler", {"name": "constant"}, b, [], 10)
    for w in [0, 1, 2, 10, 1000, rng.randint(1, 5000)]:
        record("get_scheduler", {"name": "constant_with_warmup", "num_warmup_steps": w}, lr(), [w], w)
    # inverse_sqrt (timescale defaults to num_warmup_steps or 10000)
    for w, ts in [(0, None), (1, None), (10, None), (100, 50), (0, 7), (1000, 10000), (4000, None)] + [
            (rng.randint(0, 5000), rng.choice([None, rng.randint(1, 10000)])) for _ in range(3)]:
        ssk = {} if ts is None else {"timescale": ts}
        record("get_scheduler", {"name": "inverse_sqrt", "num_warmup_steps": w,
                                 "scheduler_specific_kwargs": ssk}, lr(), [w], max(w, 10))
    # cosine_with_min_lr (min_lr or min_lr_rate)
    for (w, n), nc, which, val in [((0, 10), 0.5, "min_lr_rate", 0.1), ((2, 10), 0.5, "min_lr", 1e-4),
                                   ((0, 100), 1.0, "min_lr_rate", 0.0), ((10, 50), 1.5, "min_lr", 1e-6),
                                   ((1, 2), 0.5, "min_lr_rate", 0.5)] + [
            (WT(), rng.choice([0.5, 0.75]), rng.choice(["min_lr", "min_lr_rate"]), None)
            for _ in range(4)]:
        b = lr()
        if val is None:
            val = round(rng.uniform(0, 0.2), 4) * (b if which == "min_lr" else 1.0)
        record("get_scheduler", gs("cosine_with_min_lr", w, n, {"num_cycles": nc, which: val}), b,
               [w, n], n)
    # cosine_warmup_with_min_lr (newer; warmup counts step+1, optional warmup_lr_rate)
    if "cosine_warmup_with_min_lr" in names:
        for (w, n), wr, mr in [((0, 10), None, 0.1), ((5, 20), None, 0.0), ((5, 20), 0.1, 0.1),
                               ((1, 10), 0.0, 0.05), ((2, 3), None, 0.1), ((100, 1000), 0.01, 0.01)] + [
                (WT(), rng.choice([None, 0.1]), 0.1) for _ in range(3)]:
            ssk = {"min_lr_rate": mr}
            if wr is not None:
                ssk["warmup_lr_rate"] = wr
            record("get_scheduler", gs("cosine_warmup_with_min_lr", w, n, ssk), lr(), [w, n], n)
    # warmup_stable_decay: every warmup_type x decay_type, min_lr_ratio
    types_ = ["linear", "cosine", "1-sqrt"]
    for wt in types_:
        for dt in types_:
            w, dec = rng.choice([(0, 10), (5, 10), (10, 100), (1, 1), (100, 1000)])
            n = w + dec + rng.choice([0, 5, 100])
            ssk = {"num_decay_steps": dec, "warmup_type": wt, "decay_type": dt,
                   "min_lr_ratio": rng.choice([0.0, 0.1])}
            if dt == "cosine" and rng.random() < 0.5:
                ssk["num_cycles"] = 0.25
            record("get_scheduler", gs("warmup_stable_decay", w, n, ssk), lr(), [w, n - dec, n], n)
    for w, st, dec in [(10, 20, 30), (0, 0, 5), (3, 0, 1)]:
        ssk = {"num_decay_steps": dec, "num_stable_steps": st, "min_lr_ratio": 0.05}
        record("get_scheduler", {"name": "warmup_stable_decay", "num_warmup_steps": w,
                                 "scheduler_specific_kwargs": ssk}, lr(), [w, w + st, w + st + dec],
               w + st + dec)
    # the get_*_schedule functions by their own names
    record("get_constant_schedule", {}, 0.1, [], 10)
    for w in [0, 3, 100]:
        record("get_constant_schedule_with_warmup", {"num_warmup_steps": w}, lr(), [w], w)
    for w, n in [(0, 10), (3, 10), WT()]:
        b = lr()
        record("get_linear_schedule_with_warmup", {"num_warmup_steps": w, "num_training_steps": n},
               b, [w, n], n)
        record("get_cosine_schedule_with_warmup", {"num_warmup_steps": w, "num_training_steps": n,
                                                   "num_cycles": rng.choice([0.5, 0.3])}, b, [w, n], n)
        record("get_cosine_with_hard_restarts_schedule_with_warmup",
               {"num_warmup_steps": w, "num_training_steps": n, "num_cycles": 3}, b, [w, n], n)
        record("get_polynomial_decay_schedule_with_warmup",
               {"num_warmup_steps": w, "num_training_steps": n, "lr_end": 1e-7, "power": 2.0},
               max(b, 1e-3), [w, n], n)
        record("get_inverse_sqrt_schedule", {"num_warmup_steps": w}, b, [w], max(w, 10))
        record("get_cosine_with_min_lr_schedule_with_warmup",
               {"num_warmup_steps": w, "num_training_steps": n, "min_lr_rate": 0.1}, b, [w, n], n)
        record("get_wsd_schedule", {"num_warmup_steps": w, "num_decay_steps": max(1, (n - w) // 3),
                                    "num_training_steps": n, "decay_type": "linear"}, b, [w, n], n)
    if hasattr(O, "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"):
        record("get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
               {"num_warmup_steps": 4, "num_training_steps": 20, "min_lr": 1e-5,
                "warmup_lr_rate": 0.2}, 1e-3, [4, 20], 20)

    notes = ["values: scheduler.base_lrs[0] * scheduler.lr_lambdas[0](t) (LambdaLR.get_lr); "
             "verified equal to the optimizer's lr after t step() calls for t <= 300",
             "SchedulerType names covered: " + ", ".join(names),
             "skipped (need a metric): " + ", ".join(sorted(metric_based))]
    write("transformers", ver, entries, notes, {"torch": torch.__version__})


# ----------------------------------------------------------------------------- timm

from timm_loader import load_timm_schedulers  # noqa: E402  (beside this script)

def gen_timm():
    import torch
    classes = load_timm_schedulers()
    rng = random.Random(SEED + 4)
    ver = importlib.metadata.version("timm")
    ids = Ids("timm")
    entries = []

    def record(name, kwargs, base_lr, boundaries, horizon, draw=None):
        param = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=base_lr)
        kw = dict(kwargs, t_in_epochs=False)
        sched = classes[name](opt, **kw)
        steps = pick_steps(draw or rng, boundaries, horizon, BIG)
        vals, ok, raising, cplx, err = [], [], [], [], None
        for t in steps:
            try:
                sched.step_update(num_updates=t)
            except (OverflowError, ZeroDivisionError, ValueError) as exc:
                raising.append(t)
                err = f"{type(exc).__name__}: {exc}"
                continue
            if isinstance(opt.param_groups[0]["lr"], complex):
                # the floating restart lands just past an exact restart t: t_cur < 0, and
                # t_cur**k_decay (k fractional) is complex (see SEMANTICS.md)
                cplx.append(t)
                continue
            ok.append(t)
            vals.append(float(opt.param_groups[0]["lr"]))
        kw["base_lr"] = base_lr
        e = {"id": ids(name), "framework": "timm", "name": name, "kwargs": kw,
             "steps": ok, "values": vals, "dtype": "float64", "framework_version": ver}
        if raising:
            e.update(raising_steps=raising, error=err)
        if cplx:
            e.update(complex_steps=cplx)
        entries.append(e)

    def lr():
        return rng.choice([0.1, 1.0, 5e-4, round(rng.uniform(1e-4, 1.0), 6)])

    def cycle_bounds(t0, mul, limit, offset):
        out, acc, ti = [], 0.0, float(t0)
        for _ in range(min(limit, 8)):
            acc += ti
            out.append(offset + acc)
            ti *= mul
        return out

    edge = [  # t_initial, cycle_mul, cycle_decay, cycle_limit, warmup_t, prefix, k_decay, lr_min
        (1, 1.0, 1.0, 1, 0, False, 1.0, 0.0), (2, 1.0, 1.0, 3, 0, False, 1.0, 0.0),
        (3, 2.0, 0.5, 4, 1, True, 1.0, 1e-5), (10, 1.5, 1.0, 5, 0, False, 1.0, 0.0),
        (10, 2.0, 0.9, 6, 5, False, 1.0, 1e-6), (10, 3.0, 1.0, 4, 5, True, 1.0, 0.0),
        (100, 1.0, 1.2, 3, 10, True, 1.0, 0.0), (100, 1.0, 1.0, 1, 10, False, 2.0, 1e-5),
        (50, 1.5, 0.7, 10, 0, False, 0.5, 0.0), (7, 1.0, 0.5, 1000, 2, True, 1.0, 0.0),
        (1000, 1.0, 1.0, 1, 100, False, 1.0, 1e-5), (5, 2.0, 1.0, 100, 0, False, 1.0, 0.0),
        # cycle_mul=3: floor(log(...)) lands one cycle short at t = 121*T (see SEMANTICS.md)
        (1, 3.0, 1.0, 100, 0, False, 1.0, 0.0), (2, 3.0, 0.9, 100, 3, True, 1.0, 0.0),
    ]

    def rand_cfg():
        mul = rng.choice([1.0, 1.5, 2.0, 3.0])
        dec = rng.choice([1.0, 0.5, 0.9, 1.1])
        lim = rng.choice([1, 2, 3, 5]) if dec > 1 else rng.choice([1, 2, 3, 10, 100])
        return (rng.randint(1, 20000), mul, dec, lim, rng.choice([0, rng.randint(1, 1000)]),
                rng.random() < 0.5, rng.choice([1.0, 1.0, 0.5, 2.0]), rng.choice([0.0, 1e-6]))

    for cls in ["CosineLRScheduler", "PolyLRScheduler", "TanhLRScheduler"]:
        for t0, mul, dec, lim, w, pre, k, lmin in edge + [rand_cfg() for _ in range(8)]:
            kw = {"t_initial": t0, "lr_min": lmin, "cycle_mul": mul, "cycle_decay": dec,
                  "cycle_limit": lim, "warmup_t": w, "warmup_lr_init": rng.choice([0.0, 1e-6]),
                  "warmup_prefix": pre}
            if cls == "TanhLRScheduler":
                kw.update(lb=rng.choice([-7.0, -6.0]), ub=rng.choice([3.0, 4.0]))
            else:
                kw["k_decay"] = k
            if cls == "PolyLRScheduler":
                kw["power"] = rng.choice([0.5, 1.0, 2.0])
            b = lr()
            if lmin >= b * 0.5:
                kw["lr_min"] = 0.0
            off = w if pre else 0
            record(cls, kw, b, [w] + cycle_bounds(t0, mul, lim, off), t0 + off)
    for dt, rate, w, pre in [(1, 0.5, 0, True), (2, 0.1, 1, True), (3, 0.5, 3, False),
                             (30, 0.1, 5, True), (100, 0.97, 0, True), (7, 0.5, 10, False)] + [
            (rng.randint(1, 5000), rng.choice([0.1, 0.5, 0.9]), rng.choice([0, rng.randint(1, 500)]),
             rng.random() < 0.5) for _ in range(5)]:
        off = w if pre else 0
        record("StepLRScheduler", {"decay_t": dt, "decay_rate": rate, "warmup_t": w,
                                   "warmup_lr_init": 1e-5, "warmup_prefix": pre}, lr(),
               [w] + [off + dt * k for k in range(1, 4)], dt + off)
    for ms, rate, w, pre in [([1], 0.1, 0, True), ([2, 5], 0.5, 2, True), ([3, 6], 0.1, 4, False),
                             ([30, 60, 90], 0.1, 5, True), ([5, 5, 10], 0.5, 0, True)] + [
            (sorted(rng.sample(range(1, 20000), 3)), rng.choice([0.1, 0.5]),
             rng.choice([0, rng.randint(1, 500)]), rng.random() < 0.5) for _ in range(5)]:
        off = w if pre else 0
        record("MultiStepLRScheduler", {"decay_t": ms, "decay_rate": rate, "warmup_t": w,
                                        "warmup_lr_init": 0.0, "warmup_prefix": pre}, lr(),
               [w] + [off + m for m in ms], max(ms) + off)
    if "WSDLRScheduler" in classes:
        for stable_fn in ["constant", "rsqrt", "power"]:
            for decay_fn in ["linear", "1-sqrt", "cosine", "power", "exp"]:
                t0 = rng.choice([10, 100, 1000, rng.randint(2, 20000)])
                dt = rng.randint(1, t0)
                w = rng.choice([0, 5, 50]) if stable_fn == "constant" else rng.choice([5, 50])
                kw = {"t_initial": t0, "decay_t": dt, "lr_min": rng.choice([0.0, 1e-6]),
                      "stable_fn": stable_fn, "decay_fn": decay_fn,
                      "decay_power": rng.choice([0.5, 2.0]), "decay_ratio": 0.1,
                      "warmup_t": w, "warmup_lr_init": 0.0}
                if stable_fn == "power":
                    kw["stable_power"] = 0.3
                record("WSDLRScheduler", kw, lr(), [w, w + t0 - dt, w + t0], w + t0)
        # issue 9 (added after the entries above, so their random draws are unchanged): every
        # decay_fn with a decaying stable phase, stable_power 0.3/0.5/0.7, a default / integer /
        # real timescale, lr_min 0 and > 0 (also one the stable phase falls below: the max
        # engages), warmup 0 and > 0, several decay_ratio values; and exp after a constant phase
        base = 0.1
        wsd = []
        for i, (decay_fn, stable_fn) in enumerate(
                [(d, s) for d in ["linear", "1-sqrt", "cosine", "power", "exp"]
                 for s in ["rsqrt", "power"]]):
            timescale = [None, 25, 12.5, 333.25][i % 4]
            wsd.append({"t_initial": [2000, 777, 5000, 300][i % 4],
                        "decay_t": [500, 1, 5000, 123][i % 4],
                        "lr_min": [0.0, 1e-4, 0.03, 0.0, 1e-6][i % 5],
                        "stable_fn": stable_fn, "stable_timescale": timescale,
                        "stable_power": [0.3, 0.5, 0.7][i % 3], "decay_fn": decay_fn,
                        "decay_power": [0.5, 2.0, 1.3][i % 3],
                        "decay_ratio": [0.1, 0.02, 0.5, 0.9, 1e-3][i % 5],
                        "warmup_t": 40 if timescale is None else [0, 10][i % 2],
                        "warmup_lr_init": [0.0, 1e-5][i % 2]})
        for lr_min, ratio, w in [(0.0, 0.1, 0), (1e-3, 0.05, 20), (0.05, 0.5, 5)]:
            wsd.append({"t_initial": 1000, "decay_t": 400, "lr_min": lr_min, "stable_fn": "constant",
                        "decay_fn": "exp", "decay_ratio": ratio, "warmup_t": w,
                        "warmup_lr_init": 0.0})
        for kw in wsd:
            w, t0, dt = kw["warmup_t"], kw["t_initial"], kw["decay_t"]
            record("WSDLRScheduler", kw, base, [w, w + t0 - dt, w + t0], w + t0)

    # PolyLRScheduler with cycles that start at fractional steps (non-integer cycle_mul) and
    # power / k_decay other than 1 (fastlr.PolynomialRestarts). Appended with an RNG of their own,
    # so that every entry above is generated exactly as before.
    prng = random.Random(SEED + 40)
    poly = [  # t_initial, cycle_mul, cycle_decay, cycle_limit, warmup_t, prefix, k_decay, lr_min,
              # power
        (10, 1.5, 1.0, 5, 0, False, 1.0, 0.0, 0.5), (10, 1.5, 0.9, 8, 5, True, 2.0, 1e-5, 2.0),
        (7, 2.5, 1.1, 4, 3, False, 0.5, 1e-6, 0.9), (3, 1.1, 0.95, 40, 0, True, 2.0, 0.0, 0.5),
        (100, 1.1, 1.05, 10, 20, False, 0.5, 1e-4, 2.0), (1, 2.5, 1.0, 30, 2, True, 1.0, 0.0, 0.9),
        (37, 1.5, 1.2, 3, 10, False, 2.0, 1e-6, 0.5), (250, 2.5, 0.5, 100, 0, False, 0.5, 1e-5, 0.9),
        (5, 1.1, 1.0, 1000, 50, True, 1.0, 1e-6, 2.0), (2, 1.5, 0.8, 100, 0, False, 0.5, 0.0, 0.5),
    ] + [(prng.randint(1, 5000), prng.choice([1.1, 1.5, 2.5]), prng.choice([0.5, 0.9, 1.0, 1.1]),
          prng.choice([2, 3, 10, 100]), prng.choice([0, prng.randint(1, 500)]), prng.random() < 0.5,
          prng.choice([0.5, 1.0, 2.0]), prng.choice([0.0, 1e-6]), prng.choice([0.5, 0.9, 2.0]))
         for _ in range(6)]
    for t0, mul, dec, lim, w, pre, k, lmin, pw in poly:
        kw = {"t_initial": t0, "lr_min": lmin, "cycle_mul": mul, "cycle_decay": dec,
              "cycle_limit": lim, "warmup_t": w, "warmup_lr_init": prng.choice([0.0, 1e-6]),
              "warmup_prefix": pre, "k_decay": k, "power": pw}
        b = prng.choice([0.1, 1.0, 5e-4, round(prng.uniform(1e-4, 1.0), 6)])
        if lmin >= b * 0.5:
            kw["lr_min"] = 0.0
        off = w if pre else 0
        record("PolyLRScheduler", kw, b, [w] + cycle_bounds(t0, mul, lim, off), t0 + off, prng)

    notes = ["values: optimizer.param_groups[0]['lr'] after scheduler.step_update(num_updates=t) "
             "with t_in_epochs=False (== scheduler._get_lr(t)[0]; no noise)",
             "timm loaded without torchvision via stub timm/timm.scheduler packages"]
    write("timm", ver, entries, notes, {"torch": torch.__version__})


# ----------------------------------------------------------------------------- keras

def gen_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    if os.environ["KERAS_BACKEND"] != "jax":
        raise RuntimeError("generate keras data with KERAS_BACKEND=jax")
    import jax
    jax.config.update("jax_enable_x64", True)
    import numpy as np
    import keras
    from keras.optimizers import schedules as KS

    rng = random.Random(SEED + 5)
    ver = keras.__version__
    ids = Ids("keras")
    entries = []

    def record(name, kw, boundaries, horizon, lr_dtype="float64", steps_rng=None):
        # With x64 on, keras' JAX backend turns Python floats into float64 whatever floatx
        # says; the float32 group passes the rate(s) as np.float32 instead, which makes every
        # schedule compute in float32 like the default (x64 off, floatx float32) setup.
        call_kw = dict(kw)
        if lr_dtype == "float32":
            for key in ("initial_learning_rate",):
                if key in call_kw:
                    call_kw[key] = np.float32(call_kw[key])
            if "values" in call_kw:
                call_kw["values"] = [np.float32(x) for x in call_kw["values"]]
        sched = getattr(KS, name)(**call_kw)
        steps = pick_steps(steps_rng or rng, boundaries, horizon, BIG)
        vals, dts = [], set()
        for t in steps:
            r = sched(np.int64(t))
            dts.add(str(r.dtype))
            vals.append(float(np.asarray(r)))
        assert len(dts) == 1, dts
        entries.append({"id": ids(name), "framework": "keras", "name": name, "kwargs": kw,
                        "steps": steps, "values": vals, "dtype": dts.pop(),
                        "lr_dtype": lr_dtype, "framework_version": ver})

    def v():
        return rng.choice([0.1, 1.0, 1e-3, round(rng.uniform(1e-4, 1.0), 6)])

    def H(lo=1, hi=100000):
        return rng.choice([rng.randint(lo, 20), rng.randint(lo, 5000), rng.randint(lo, hi)])

    for fx in ["float64", "float32"]:
        reps = 1 if fx == "float64" else 0
        for ds, rate, st in [(1, 0.5, False), (10, 0.5, True), (3, 0.96, True), (100, 0.1, False)] + [
                (H(), round(rng.uniform(0.1, 0.99), 4), rng.random() < 0.5) for _ in range(4 * reps)]:
            record("ExponentialDecay", {"initial_learning_rate": v(), "decay_steps": ds,
                                        "decay_rate": rate, "staircase": st},
                   [ds, 2 * ds, 3 * ds], ds, fx)
        for bd, vals in [([1], [1.0, 0.5]), ([10, 20], [0.1, 0.01, 0.001]), ([0, 5], [1.0, 0.5, 0.25])] + [
                (sorted(rng.sample(range(1, 50000), 3)), [v(), v(), v(), v()]) for _ in range(3 * reps)]:
            record("PiecewiseConstantDecay", {"boundaries": bd, "values": vals}, bd, max(bd) + 1, fx)
        for ds, endv, p, cyc in [(1, 1e-4, 1.0, False), (1, 1e-4, 1.0, True), (10, 0.0, 2.0, True),
                                 (100, 1e-5, 0.5, False), (7, 1e-3, 1.0, True)] + [
                (H(), rng.choice([0.0, 1e-4]), rng.choice([0.5, 1.0, 2.0]), rng.random() < 0.5)
                for _ in range(5 * reps)]:
            record("PolynomialDecay", {"initial_learning_rate": v(), "decay_steps": ds,
                                       "end_learning_rate": endv, "power": p, "cycle": cyc},
                   [ds, 2 * ds, 3 * ds], ds, fx)
        for ds, rate, st in [(1, 0.5, False), (10, 1.0, True), (100, 0.5, False)] + [
                (H(), round(rng.uniform(0.1, 2.0), 4), rng.random() < 0.5) for _ in range(4 * reps)]:
            record("InverseTimeDecay", {"initial_learning_rate": v(), "decay_steps": ds,
                                        "decay_rate": rate, "staircase": st}, [ds, 2 * ds], ds, fx)
        for ds, a, wt, ws in [(1, 0.0, None, 0), (2, 0.1, None, 0), (10, 0.0, 0.1, 5),
                              (100, 0.05, 1.0, 1), (1000, 0.0, 0.01, 100), (3, 0.0, 0.5, 0)] + [
                (H(), rng.choice([0.0, 0.1]), rng.choice([None, v()]), rng.randint(0, 2000))
                for _ in range(6 * reps)]:
            kw = {"initial_learning_rate": rng.choice([0.0, v()]) if wt is not None else v(),
                  "decay_steps": ds, "alpha": a}
            if wt is not None:
                kw.update(warmup_target=wt, warmup_steps=ws)
            record("CosineDecay", kw, [ws, ws + ds], ws + ds, fx)
        for fd, tm, mm, a in [(1, 2.0, 1.0, 0.0), (10, 2.0, 1.0, 0.0), (10, 1.0, 0.5, 0.1),
                              (10, 1.5, 0.9, 0.0), (7, 3.0, 1.0, 0.05), (100, 1.25, 0.8, 0.0)] + [
                (H(1, 5000), rng.choice([1.0, 1.5, 2.0, 3.0, round(rng.uniform(1.0, 3.0), 3)]),
                 rng.choice([1.0, 0.5, 0.9]), rng.choice([0.0, 0.1])) for _ in range(6 * reps)]:
            bd, acc, ti = [], 0.0, float(fd)
            for _ in range(8):
                acc += ti
                bd.append(acc)
                ti *= tm
            record("CosineDecayRestarts", {"initial_learning_rate": v(), "first_decay_steps": fd,
                                           "t_mul": tm, "m_mul": mm, "alpha": a}, bd, fd, fx)

    # PolynomialDecay(cycle=True) on a grid (added with fastlr.CyclicPolynomial, issue 9): after
    # every entry above and with its own generator, so the entries above keep their steps. Steps
    # stay <= 10**6: there keras' float32 ceil(t / D) is exact (past t/D ~ 2**24 it can fall one
    # short, and 1 - t/D' < 0 gives NaN for fractional powers; see tests/test_compat_keras.py).
    crng = random.Random(SEED + 55)
    for fx, grid_ds, grid_p, grid_rates in [
            ("float64", (1, 2, 3, 7, 1000), (0.5, 1.0, 2.0), ((0.1, 1e-4), (1.0, 0.0), (1e-3, 0.05))),
            ("float32", (1, 3, 1000), (0.5, 1.0, 2.0), ((0.1, 1e-4), (1e-3, 0.05)))]:
        for ds in grid_ds:
            for p in grid_p:
                for init, endv in grid_rates:
                    record("PolynomialDecay", {"initial_learning_rate": init, "decay_steps": ds,
                                               "end_learning_rate": endv, "power": p,
                                               "cycle": True},
                           [ds, 2 * ds, 3 * ds, 10 * ds, 999 * ds], ds, fx, steps_rng=crng)

    notes = ["backend: jax with jax_enable_x64=True; values: schedule(np.int64(t)); "
             "lr_dtype float64: rates passed as Python floats (float64 under x64); "
             "lr_dtype float32: initial_learning_rate / values passed as np.float32 "
             "(float32 computation, as with keras defaults)",
             "keras ops.cos/ops.floor/ops.ceil return float32 even for float64 input "
             "(keras dtype lattice: result_type(float64, python float) == float32), so "
             "CosineDecay without warmup returns float32 and other float64 outputs may carry "
             "float32-rounded cos/floor intermediates",
             "the numpy backend was not used: it converts float64 Python scalars to float32"]
    write("keras", ver, entries, notes,
          {"jax": importlib.metadata.version("jax"), "backend": "jax"})


GENERATORS = {"torch": gen_torch, "optax": gen_optax, "transformers": gen_transformers,
              "timm": gen_timm, "keras": gen_keras}

if __name__ == "__main__":
    wanted = sys.argv[1:] or list(GENERATORS)
    for fw in wanted:
        GENERATORS[fw]()
