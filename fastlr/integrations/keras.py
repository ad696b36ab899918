"""A fastlr schedule as a Keras 3 ``LearningRateSchedule`` (tested with the jax and torch backends).

Example::

    import keras, fastlr
    from fastlr.integrations.keras import ScheduleLR
    lr = ScheduleLR(fastlr.CosineAnnealing(max_lr=1e-3, total_steps=10_000), n_steps=10_000)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=lr), loss="mse")

Keras calls the schedule with the optimizer's ``iterations`` (updates already applied, so the first
update uses step 0); the schedule looks it up in a precomputed table. Needs Keras 3
(``pip install "fastlr-schedules[keras]"``) and one of its backends.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

import fastlr
from fastlr import Schedule
from fastlr.integrations.tables import rates

try:
    import keras
except ImportError as exc:  # pragma: no cover - exercised only without keras
    raise ImportError('fastlr.integrations.keras needs Keras 3: '
                      'pip install "fastlr-schedules[keras]"') from exc
if not hasattr(keras, "saving") or not hasattr(keras.optimizers, "schedules"):
    raise ImportError(f"fastlr.integrations.keras needs Keras 3 (found keras "
                      f"{getattr(keras, '__version__', '?')}): "
                      f'pip install "fastlr-schedules[keras]"')

__all__ = ["ScheduleLR"]


@keras.saving.register_keras_serializable(package="fastlr")
class ScheduleLR(keras.optimizers.schedules.LearningRateSchedule):
    """A Keras ``LearningRateSchedule`` reading a precomputed table of a fastlr schedule.

    Parameters
    ----------
    schedule
        A fastlr schedule (then ``n_steps`` is required: the table holds steps
        ``0 … n_steps-1``) or a 1-D array of rates (``n_steps``, if given, must equal its length).
    n_steps
        The table's length.

    ``schedule(step)`` is ``table[clip(step, 0, n_steps-1)]`` (steps past the end hold the last
    value) in Keras' float dtype (``keras.config.floatx()``, float32 by default): the schedule's
    float64 values rounded once. Keras passes the optimizer's ``iterations``, so the first update
    uses step 0.

    Serialisation: registered as ``"fastlr>ScheduleLR"``; ``get_config()`` holds the schedule's
    ``to_dict()`` and ``n_steps`` (for an array: the list of its values), so a model compiled with
    it saves and loads with ``model.save`` / ``keras.models.load_model`` without
    ``custom_objects`` (``fastlr.integrations.keras`` must be imported before loading).
    """

    def __init__(self, schedule: Any, n_steps: Optional[int] = None) -> None:
        super().__init__()
        values = rates(schedule, n_steps)
        self.schedule = schedule if isinstance(schedule, Schedule) else None
        self.n_steps = int(values.shape[0])
        self._values = values
        self.dtype = keras.config.floatx()
        # the backend tensor, made here (eagerly: never inside a traced train step)
        self._table = keras.ops.convert_to_tensor(values.astype(self.dtype))

    @property
    def table(self) -> np.ndarray:
        """The table as a read-only float64 numpy array (before rounding to the float dtype)."""
        return self._values

    def __call__(self, step: Any) -> Any:
        step = keras.ops.convert_to_tensor(step)
        if "int" not in keras.backend.standardize_dtype(step.dtype):
            raise TypeError(f"step must be an integer, got dtype {step.dtype}")
        return keras.ops.take(self._table, keras.ops.clip(step, 0, self.n_steps - 1))

    def get_config(self) -> Dict[str, Any]:
        if self.schedule is not None:
            return {"schedule": self.schedule.to_dict(), "n_steps": self.n_steps}
        return {"values": self._values.tolist()}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "ScheduleLR":
        if "values" in config:
            return cls(np.asarray(config["values"], dtype=np.float64))
        return cls(fastlr.from_dict(config["schedule"]), config["n_steps"])

    def __repr__(self) -> str:
        what = repr(self.schedule) if self.schedule is not None else "array"
        return f"ScheduleLR({what}, n_steps={self.n_steps})"
