"""Per-step cost of the framework adapters (pytest-benchmark; collected only by ``pytest bench``).

Run from the repository root::

    python -m pytest bench/bench_integrations.py                  # timed
    python -m pytest bench/bench_integrations.py --benchmark-disable -q   # smoke

Groups
------
``torch-step-<g>group`` (g = 1, 2 param groups, float lr) and ``torch-step-tensor-lr`` (one group,
``lr=torch.tensor(..., dtype=float64)``): one ``scheduler.step()`` of
    ``ScheduleLR(schedule)``  fastlr's scheduler over a CosineAnnealing schedule;
    ``ScheduleLR(array)``     the same over a precomputed float64 array;
    ``StepLR``                ``torch.optim.lr_scheduler.StepLR(step_size=30)``;
    ``LambdaLR``              ``LambdaLR`` with a Python cosine lambda (what users write today).
Timed in batches of ``TORCH_ITERATIONS`` calls; every scheduler stays inside its schedule (the
array is longer than all the steps the benchmark takes). Block refills (every 4096 steps) are
part of ScheduleLR's time.

``optax-in-jit``: the cost of one learning-rate evaluation inside compiled code: a ``jax.jit``ted
``lax.fori_loop`` sums the rate of counts ``0 … LOOP_STEPS-1``; the median is divided by LOOP_STEPS.
    ``as_schedule``                   fastlr's device-table lookup (float32 table of 10**6 steps);
    ``warmup_cosine_decay_schedule``  optax's own schedule, computed per count.
``optax-jit-call``: one jitted call ``f(count)`` from Python (dispatch included), same two.

No assertions on speed; ``test_same_rates`` checks that the timed schedulers compute what they say.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastlr

TORCH_ROUNDS = 200
TORCH_ITERATIONS = 1000
LOOP_STEPS = 10**5
TABLE_STEPS = 10**6
COSINE = fastlr.CosineAnnealing(max_lr=0.1, total_steps=10**9)
TORCH_IMPLS = ("ScheduleLR(schedule)", "ScheduleLR(array)", "StepLR", "LambdaLR")
ARRAY_STEPS = 2 * (TORCH_ROUNDS + 2) * TORCH_ITERATIONS  # more than any benchmark takes


def _torch_scheduler(impl, groups, tensor_lr):
    torch = pytest.importorskip("torch")
    from torch.optim.lr_scheduler import LambdaLR, StepLR

    from fastlr.integrations.torch import ScheduleLR

    params = [torch.nn.Parameter(torch.zeros(2)) for _ in range(groups)]
    lr = torch.tensor(0.1, dtype=torch.float64) if tensor_lr else 0.1
    opt = torch.optim.SGD([{"params": [p]} for p in params], lr=lr)
    if impl == "ScheduleLR(schedule)":
        sched = ScheduleLR(opt, COSINE)
    elif impl == "ScheduleLR(array)":
        sched = ScheduleLR(opt, COSINE.array(ARRAY_STEPS))
    elif impl == "StepLR":
        sched = StepLR(opt, step_size=30)
    else:
        sched = LambdaLR(opt, lambda k: 0.5 * (1.0 + math.cos(math.pi * k / 10**9)))
    opt.step()  # torch warns if the scheduler steps before the optimizer ever did
    return opt, sched


@pytest.mark.parametrize("impl", TORCH_IMPLS)
@pytest.mark.parametrize("groups, tensor_lr", [(1, False), (2, False), (1, True)],
                         ids=["1group", "2groups", "tensor-lr"])
def test_torch_step(benchmark, impl, groups, tensor_lr):
    opt, sched = _torch_scheduler(impl, groups, tensor_lr)
    benchmark.group = ("torch-step-tensor-lr" if tensor_lr else
                       f"torch-step-{groups}group" + ("s" if groups > 1 else ""))
    benchmark.extra_info.update(impl=impl, n=1, per_call=True)
    benchmark.pedantic(sched.step, rounds=TORCH_ROUNDS, iterations=TORCH_ITERATIONS,
                       warmup_rounds=1)


def _optax_schedules():
    pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    from fastlr.integrations.optax import as_schedule

    warmup, peak = 1000, 0.1
    ours = as_schedule(fastlr.with_warmup(
        fastlr.CosineAnnealing(max_lr=peak, total_steps=TABLE_STEPS - warmup), warmup),
        TABLE_STEPS)
    theirs = optax.warmup_cosine_decay_schedule(0.0, peak, warmup, TABLE_STEPS)
    return {"as_schedule": ours, "warmup_cosine_decay_schedule": theirs}


OPTAX_IMPLS = ("as_schedule", "warmup_cosine_decay_schedule")


@pytest.mark.parametrize("impl", OPTAX_IMPLS)
def test_optax_in_jit(benchmark, impl):
    import jax
    import jax.numpy as jnp

    sched = _optax_schedules()[impl]

    @jax.jit
    def total():
        return jax.lax.fori_loop(0, LOOP_STEPS, lambda i, acc: acc + sched(i), jnp.float32(0))

    total().block_until_ready()  # compile outside timing
    benchmark.group = "optax-in-jit"
    benchmark.extra_info.update(impl=impl, n=LOOP_STEPS)
    benchmark.pedantic(lambda: total().block_until_ready(), rounds=30, iterations=1,
                       warmup_rounds=2)


@pytest.mark.parametrize("impl", OPTAX_IMPLS)
def test_optax_jit_call(benchmark, impl):
    import jax
    import jax.numpy as jnp

    f = jax.jit(_optax_schedules()[impl])
    count = jnp.int32(12345)
    f(count).block_until_ready()
    benchmark.group = "optax-jit-call"
    benchmark.extra_info.update(impl=impl, n=1, per_call=True)
    benchmark.pedantic(lambda: f(count).block_until_ready(), rounds=200, iterations=50,
                       warmup_rounds=1)


def test_same_rates():
    """The timed torch schedulers and optax schedules compute what the group names say."""
    torch = pytest.importorskip("torch")
    for impl in ("ScheduleLR(schedule)", "ScheduleLR(array)"):
        opt, sched = _torch_scheduler(impl, 2, False)
        for _ in range(5000):
            sched.step()
        assert [g["lr"] for g in opt.param_groups] == [COSINE(5000)] * 2
    opt, sched = _torch_scheduler("LambdaLR", 1, True)
    sched.step()
    assert isinstance(opt.param_groups[0]["lr"], torch.Tensor)
    pytest.importorskip("jax")
    s = _optax_schedules()
    counts = np.arange(0, TABLE_STEPS, 997)
    ours = np.array([float(s["as_schedule"](int(c))) for c in counts[:200]])
    theirs = np.array([float(s["warmup_cosine_decay_schedule"](int(c))) for c in counts[:200]])
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-8)
