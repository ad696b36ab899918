"""Adapters to other libraries. Each lives in its own module, imports its library only when that
module is imported (``import fastlr`` never does), and is installed with the matching extra:

* :mod:`fastlr.integrations.torch` -- ``ScheduleLR``, a ``torch.optim.lr_scheduler.LRScheduler``
  (``pip install "fastlr-schedules[torch]"``);
* :mod:`fastlr.integrations.optax` -- ``as_schedule``, a jit-safe optax schedule over a device
  table (``pip install "fastlr-schedules[jax]"``);
* :mod:`fastlr.integrations.keras` -- ``ScheduleLR``, a serialisable Keras 3
  ``LearningRateSchedule`` (``pip install "fastlr-schedules[keras]"``);
* :mod:`fastlr.integrations.dask` -- sweeps as lazy dask arrays (``pip install "fastlr-schedules[dask]"``);
* :mod:`fastlr.integrations.tables` -- the validated float64 rate tables the adapters share
  (numpy only).
"""
