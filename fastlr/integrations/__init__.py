"""Adapters to other libraries. Each lives in its own module, imports its library only when used,
and is installed with the matching extra (``pip install "fastlr-schedules[dask]"`` for
:mod:`fastlr.integrations.dask`)."""
