"""pytest configuration for the benchmarks in bench/.

* ``bench/`` is outside the default ``testpaths`` and its files are named ``bench_*.py``, so a plain
  ``pytest`` never collects them; ``pytest bench`` does, through the collection hook below.
* Output arrays are allocated and touched once per (N, dtype) for the whole session, outside any
  timing, and shared by every benchmark of a group (fastlr fill and ``out.fill`` write the very
  same memory).
* The C allocator is settled once at session start (see ``common.settle_allocator``), so the
  numpy reference's time does not depend on which benchmarks ran before it.
* After a timed run, a short summary prints each group's medians in ns per element and as a ratio
  to ``out.fill`` (pytest-benchmark's own table has no per-element column).
"""
from __future__ import annotations

from typing import Dict

import pytest

from common import clear_buffers, settle_allocator, touched


def _asked_for(config) -> bool:
    """True when the paths came from the command line (``pytest bench``), not from testpaths or
    pytest's fallback of searching the invocation directory (which would reach bench/ while
    tests/ is empty): a plain ``pytest`` must never run the benchmarks."""
    source = getattr(config, "args_source", None)
    return source is None or source == pytest.Config.ArgsSource.ARGS


def pytest_collect_file(file_path, parent):
    # Collect bench_*.py as test modules (pytest's python_files only matches test_*.py). Files
    # named on the command line are collected by pytest itself; don't collect them twice.
    if (file_path.suffix == ".py" and file_path.name.startswith("bench_")
            and not parent.session.isinitpath(file_path) and _asked_for(parent.config)):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def buffers():
    """``buffers(n, dtype)``: the shared, already-touched output array for (n, dtype)."""
    yield touched
    clear_buffers()


def pytest_sessionstart(session):
    settle_allocator()  # the numpy reference's baseline must not depend on test order


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    session = getattr(config, "_benchmarksession", None)
    if session is None or getattr(session, "disabled", True):
        return
    rows = []
    for bench in getattr(session, "benchmarks", []):
        info = getattr(bench, "extra_info", {}) or {}
        stats = getattr(bench, "stats", None)
        if stats is None or "n" not in info:
            continue
        n = 1 if info.get("per_call") else info["n"]
        rows.append((bench.group, info.get("impl", bench.name), n, stats.median))
    if not rows:
        return
    by_group: Dict[str, list] = {}
    for group, impl, n, med in rows:
        by_group.setdefault(group, []).append((impl, n, med))
    tr = terminalreporter
    tr.write_sep("-", "medians per element (ratio to out.fill of the same group)")
    for group in sorted(by_group):
        entries = by_group[group]
        base = next((m for impl, _, m in entries if impl == "out.fill"), None)
        parts = []
        for impl, n, med in sorted(entries, key=lambda e: e[2]):
            if n > 1:
                text = f"{impl} {med / n * 1e9:.3g} ns/elem"
            else:
                text = f"{impl} {med * 1e6:.3g} us/call"
            if base and n > 1 and impl != "out.fill":
                text += f" ({med / base:.2f}x)"
            parts.append(text)
        tr.write_line(f"{group}: " + "; ".join(parts))
