"""fastlr.integrations.optax.as_schedule under jax.jit, alone and driving optax.adamw.

Expected tables are the schedule's float64 values rounded once by numpy (``astype``), an
independent path from the device lookup; comparisons are exact.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import fastlr
from helpers import child_env

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

from fastlr.integrations.optax import TableSchedule, as_schedule  # noqa: E402

N = 40
SCHEDULE = fastlr.with_warmup(fastlr.CosineAnnealing(max_lr=0.05, total_steps=N, min_lr=1e-3), 5)
WANT32 = SCHEDULE.array(N).astype(np.float32)


def test_table_is_the_schedule_rounded_once():
    lr = as_schedule(SCHEDULE, N)
    assert isinstance(lr, TableSchedule) and lr.n_steps == N and lr.dtype == jnp.float32
    assert np.asarray(lr.table).tobytes() == WANT32.tobytes()


def test_lookup_under_jit_holds_past_the_end():
    lr = as_schedule(SCHEDULE, N)
    f = jax.jit(lr)
    for count in range(-3, N + 10):
        got = np.float32(f(jnp.int32(count)))
        assert got == WANT32[min(max(count, 0), N - 1)], count
    counts = jnp.arange(-3, N + 10, dtype=jnp.int32)
    want = WANT32[np.clip(np.arange(-3, N + 10), 0, N - 1)]
    assert np.asarray(f(counts)).tobytes() == want.tobytes()
    assert np.float32(lr(N - 1)) == WANT32[-1]  # a plain Python int outside jit


def test_array_input_and_dtypes():
    values = np.linspace(1.0, 0.0, 7) / 3.0
    lr = as_schedule(values)
    assert np.asarray(lr.table).tobytes() == values.astype(np.float32).tobytes()
    half = as_schedule(values, 7, dtype=jnp.bfloat16)
    assert half.dtype == jnp.bfloat16
    want = values.astype(jnp.bfloat16)  # numpy's (ml_dtypes) single rounding
    assert np.asarray(half.table).tobytes() == want.tobytes()


def test_float64_table_is_bit_equal_with_x64(tmp_path):
    code = ("import numpy as np, jax, fastlr\n"
            "from fastlr.integrations.optax import as_schedule\n"
            "s = fastlr.OneCycle(max_lr=0.3, total_steps=1000)\n"
            "lr = as_schedule(s, 1000)\n"
            "assert lr.dtype == np.float64, lr.dtype\n"
            "f = jax.jit(lr)\n"
            "got = [float(f(k)) for k in range(0, 1000, 37)] + [float(f(5000))]\n"
            "want = [s(k) for k in range(0, 1000, 37)] + [s(999)]\n"
            "assert got == want, (got, want)\n"
            "print('ok')\n")
    env = child_env()
    env["JAX_ENABLE_X64"] = "1"
    env["JAX_PLATFORMS"] = "cpu"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def _loss(params, x, y):
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


def _problem():
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(16, 3)), dtype=jnp.float32)
    y = jnp.asarray(rng.normal(size=(16,)), dtype=jnp.float32)
    params = {"w": jnp.asarray([0.5, -0.25, 1.0], dtype=jnp.float32),
              "b": jnp.asarray(0.1, dtype=jnp.float32)}
    return params, x, y


@pytest.mark.parametrize("inject", [True, False], ids=["inject_hyperparams", "plain"])
def test_adamw_loop_uses_the_table(inject):
    """A full optax.adamw loop under jit. Each update must be exactly lr_k times the update of the
    same optimizer run alongside with learning_rate=1.0 (adam's direction plus weight decay, with
    no schedule in it), with lr_k the table's step k, held past the end. With inject_hyperparams
    the lr it reports for each update must be that value too."""
    wd = 1e-2
    params, x, y = _problem()
    make = optax.inject_hyperparams(optax.adamw) if inject else optax.adamw
    opt = make(learning_rate=as_schedule(SCHEDULE, N), weight_decay=wd)
    unit = make(learning_rate=1.0, weight_decay=wd)
    state, ustate = opt.init(params), unit.init(params)

    @jax.jit
    def step(params, state, ustate):
        grads = jax.grad(_loss)(params, x, y)
        updates, state = opt.update(grads, state, params)
        u, ustate = unit.update(grads, ustate, params)
        return optax.apply_updates(params, updates), state, ustate, updates, u

    reported = []
    for k in range(N + 10):
        params, state, ustate, updates, u = step(params, state, ustate)
        lr = WANT32[min(k, N - 1)]
        for name in ("w", "b"):
            want = lr * np.asarray(u[name])
            np.testing.assert_array_equal(np.asarray(updates[name]), want, err_msg=f"step {k}")
        if inject:
            reported.append(np.float32(state.hyperparams["learning_rate"]))
    if inject:
        assert reported == [WANT32[min(k, N - 1)] for k in range(N + 10)]
        assert int(state.count) == N + 10
    assert np.isfinite(np.asarray(params["w"])).all()
    assert WANT32[0] == 0.0 and WANT32[-1] > 0.0  # the warmup's zero step and a held non-zero end


@pytest.mark.parametrize("args, kw, exc, match", [
    ((SCHEDULE,), {}, ValueError, "n_steps is required with a fastlr schedule"),
    ((SCHEDULE, 0), {}, ValueError, "n_steps must be >= 1, got 0"),
    ((SCHEDULE, 2.5), {}, TypeError, "n_steps must be an int, got float"),
    ((np.ones(5), 6), {}, ValueError, "n_steps=6 disagrees with the array's length 5"),
    ((np.ones((5, 2)),), {}, ValueError, r"must be 1-D, got shape \(5, 2\)"),
    ((np.array([]),), {}, ValueError, "at least one step"),
    ((np.array([0.1, np.inf]),), {}, ValueError, "must be finite, got inf at index 1"),
    (("cosine",), {}, TypeError, "must be a fastlr schedule or a 1-D array of rates, got str"),
    ((SCHEDULE, 10), {"dtype": jnp.int32}, TypeError, "dtype must be a floating dtype"),
])
def test_bad_arguments(args, kw, exc, match):
    with pytest.raises(exc, match=match):
        as_schedule(*args, **kw)


def test_float64_without_x64_is_refused():
    if jax.config.jax_enable_x64:
        pytest.skip("x64 is enabled in this process")
    with pytest.raises(ValueError, match="needs jax_enable_x64"):
        as_schedule(SCHEDULE, 10, dtype=np.float64)


def test_float_count_is_refused():
    with pytest.raises(TypeError, match="count must be an integer step, got dtype float32"):
        as_schedule(SCHEDULE, N)(jnp.float32(3.0))


def test_import_error_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['jax'] = None\n"
            "try:\n    import fastlr.integrations.optax\n"
            "except ImportError as e:\n    print(e)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=child_env(), cwd=tmp_path, timeout=120)
    assert 'fastlr.integrations.optax needs JAX and optax: pip install "fastlr-schedules[jax]"' \
        in r.stdout, r.stderr
