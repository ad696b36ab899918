"""fastlr.integrations.keras.ScheduleLR with Keras 3: values, serialisation, training, save/load.

The backend is chosen before keras is imported: jax when installed, else torch (an explicit
KERAS_BACKEND in the environment wins).
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import fastlr
from helpers import child_env

if "keras" not in sys.modules:
    os.environ.setdefault("KERAS_BACKEND",
                          "jax" if importlib.util.find_spec("jax") is not None else "torch")
keras = pytest.importorskip("keras")
if not hasattr(keras, "saving"):
    pytest.skip("Keras 3 is not installed", allow_module_level=True)

from fastlr.integrations.keras import ScheduleLR  # noqa: E402

# Keras 3.15's convert_to_numpy (used when saving weights, and by keras.ops.convert_to_numpy on the
# torch backend) calls np.array(x) on objects whose __array__ takes no copy argument, and numpy 2
# warns about that: keras-internal, not fastlr's.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

N = 30
SCHEDULE = fastlr.with_warmup(fastlr.CosineAnnealing(max_lr=0.05, total_steps=N, min_lr=1e-3), 3)
WANT = SCHEDULE.array(N).astype(np.float32)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def test_values_hold_past_the_end():
    lr = ScheduleLR(SCHEDULE, N)
    assert isinstance(lr, keras.optimizers.schedules.LearningRateSchedule)
    for step in list(range(N)) + [N, N + 7, 10**6]:
        got = _np(lr(keras.ops.convert_to_tensor(step, dtype="int32")))
        assert got.dtype == np.float32 and got == WANT[min(step, N - 1)], step
    assert _np(lr(-1)) == WANT[0]


def test_array_input():
    values = np.linspace(0.2, 0.0, 9)
    lr = ScheduleLR(values)
    assert lr.n_steps == 9
    assert [float(_np(lr(k))) for k in range(12)] == \
        [float(np.float32(values[min(k, 8)])) for k in range(12)]
    clone = ScheduleLR.from_config(lr.get_config())
    assert np.array_equal(clone.table, values)


def test_config_round_trip():
    lr = ScheduleLR(SCHEDULE, N)
    config = lr.get_config()
    assert config == {"schedule": SCHEDULE.to_dict(), "n_steps": N}
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(lr))
    assert type(clone) is ScheduleLR and clone.schedule == SCHEDULE and clone.n_steps == N
    assert keras.saving.get_registered_name(ScheduleLR) == "fastlr>ScheduleLR"


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")
    return x, y


def _model(lr):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


def _sgd_step_matches(model, x, y, lr_k):
    """One train_on_batch; the weight change is -lr_k times the mse gradient (computed here in
    float64 from the weights before the step)."""
    w, b = (np.asarray(v, dtype=np.float64) for v in model.get_weights())
    r = x.astype(np.float64) @ w + b - y
    gw, gb = 2.0 * x.T @ r / len(x), 2.0 * r.sum(axis=0) / len(x)
    model.train_on_batch(x, y)
    w1, b1 = (np.asarray(v, dtype=np.float64) for v in model.get_weights())
    np.testing.assert_allclose(w1 - w, -lr_k * gw, rtol=2e-4, atol=1e-9)
    np.testing.assert_allclose(b1 - b, -lr_k * gb, rtol=2e-4, atol=1e-9)


def test_trains_saves_and_loads(tmp_path):
    x, y = _data()
    model = _model(ScheduleLR(SCHEDULE, N))
    assert float(_np(model.optimizer.learning_rate)) == float(WANT[0]) == 0.0  # warmup start
    model.train_on_batch(x, y)
    for k in range(1, 5):
        assert float(_np(model.optimizer.learning_rate)) == float(WANT[k])
        _sgd_step_matches(model, x, y, float(WANT[k]))
    assert int(_np(model.optimizer.iterations)) == 5

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    sched = loaded.optimizer._learning_rate
    assert type(sched) is ScheduleLR and sched.schedule == SCHEDULE and sched.n_steps == N
    assert int(_np(loaded.optimizer.iterations)) == 5
    assert float(_np(loaded.optimizer.learning_rate)) == float(WANT[5])
    for m in (model, loaded):
        for _ in range(3):
            m.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert float(_np(loaded.optimizer.learning_rate)) == float(WANT[8])


def test_fit_follows_the_table():
    x, y = _data()
    model = _model(ScheduleLR(SCHEDULE, N))
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, shuffle=False)  # 8 updates
    assert int(_np(model.optimizer.iterations)) == 8
    assert float(_np(model.optimizer.learning_rate)) == float(WANT[8])
    _sgd_step_matches(model, x, y, float(WANT[8]))


@pytest.mark.parametrize("args, exc, match", [
    ((SCHEDULE,), ValueError, "n_steps is required with a fastlr schedule"),
    ((np.ones((3, 2)),), ValueError, r"must be 1-D, got shape \(3, 2\)"),
    ((SCHEDULE, -1), ValueError, "n_steps must be >= 1, got -1"),
])
def test_bad_arguments(args, exc, match):
    with pytest.raises(exc, match=match):
        ScheduleLR(*args)


def test_float_step_is_refused():
    with pytest.raises(TypeError, match="step must be an integer"):
        ScheduleLR(SCHEDULE, N)(keras.ops.convert_to_tensor(1.5))


def test_import_error_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['keras'] = None\n"
            "try:\n    import fastlr.integrations.keras\n"
            "except ImportError as e:\n    print(e)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=child_env(), cwd=tmp_path, timeout=120)
    assert 'fastlr.integrations.keras needs Keras 3: pip install "fastlr-schedules[keras]"' \
        in r.stdout, r.stderr
