"""Helpers shared by conftest.py (pytest-benchmark) and report.py."""
from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

_BUFFERS: Dict[Tuple[int, str], np.ndarray] = {}

SETTLE_BYTES = 30 * 2**20


def touched(n: int, dtype) -> np.ndarray:
    """A C-contiguous array of n elements of `dtype`, allocated and written once per process
    (every page faulted in now, not inside the first timed call) and reused by every benchmark of
    that (n, dtype): fastlr and ``out.fill`` write the very same memory."""
    key = (int(n), np.dtype(dtype).name)
    out = _BUFFERS.get(key)
    if out is None:
        out = np.empty(int(n), dtype=dtype)
        out.fill(1.0)
        _BUFFERS[key] = out
    return out


def clear_buffers() -> None:
    _BUFFERS.clear()


def settle_allocator(nbytes: int = SETTLE_BYTES) -> None:
    """Put the C allocator in the state of any process that has already freed a large array.

    glibc's malloc serves blocks above its mmap threshold (128 KiB at start) with fresh mmaps and
    raises that threshold (up to 32 MiB) the first time such a block is freed. So in a fresh
    process the numpy reference page-faults all its 1–30 MB temporaries on every call, and after
    any larger array has been freed it reuses heap memory instead — about 2.7x faster for
    StepDecay at N = 1e5 on the bench machine. Without this, the baseline of a case depended on
    which cases ran before it. Called once, before anything is timed; harmless elsewhere.
    (Temporaries above 32 MiB, e.g. at N = 1e7, are always fresh mmaps.)
    """
    block = np.empty(nbytes // 8)
    block.fill(0.0)
    del block
