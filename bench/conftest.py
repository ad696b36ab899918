"""pytest configuration for bench/: collect ``bench_*.py`` when bench/ is asked for.

``bench/`` is outside the default ``testpaths``, so a plain ``pytest`` never runs the benchmarks;
``pytest bench`` (or ``pytest bench/bench_sweep.py``) does. pytest's ``python_files`` only matches
``test_*.py``, hence this hook for the directory form.
"""
from __future__ import annotations

import pytest


def pytest_collect_file(file_path, parent):
    if (file_path.suffix == ".py" and file_path.name.startswith("bench_")
            and not parent.session.isinitpath(file_path)):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
