"""Helpers shared by conftest.py (pytest-benchmark) and report.py."""
from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

_BUFFERS: Dict[Tuple[int, str, int], np.ndarray] = {}

SETTLE_BYTES = 30 * 2**20
ALIGN = 64


def touched(n: int, dtype, offset: int = 0) -> np.ndarray:
    """A C-contiguous array of n elements of `dtype` whose data starts `offset` bytes past a
    64-byte boundary, allocated and written once per process (every page faulted in now, not
    inside the first timed call) and reused by every benchmark of that (n, dtype, offset): fastlr
    and ``out.fill`` write the very same memory.

    The alignment is fixed because it matters: numpy only guarantees 16 bytes, and fastlr's
    AVX-512 fills of cache-resident arrays measured ~30% slower at 16 or 48 bytes past a 64-byte
    boundary than at 0 or 32 (StepDecay, ExponentialDecay, float64, N = 1e5), so a plain
    ``np.empty`` made results depend on where the allocator happened to put the array.
    """
    dt = np.dtype(dtype)
    if offset % dt.itemsize:
        raise ValueError(f"offset={offset} is not a multiple of the itemsize of {dt.name}")
    key = (int(n), dt.name, int(offset))
    out = _BUFFERS.get(key)
    if out is None:
        raw = np.empty(int(n) * dt.itemsize + 2 * ALIGN, dtype=np.uint8)
        start = (-raw.ctypes.data) % ALIGN + offset % ALIGN
        out = raw[start:start + int(n) * dt.itemsize].view(dt)
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
