"""Pick the compiled kernels this CPU runs best.

The same Cython source is built once portably (``fastlr._kernels``) and, on x86-64, again for AVX2
and AVX-512. All copies give bit-identical results (no FMA contraction, IEEE vector arithmetic, the
same libm for anchors); they differ only in speed. ``FASTLR_KERNELS=baseline|avx2|avx512`` forces a
choice (an unavailable one falls back to the next best, never to a crash).
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType

from fastlr import _kernels as _baseline

_ORDER = ("avx512", "avx2")


def _choose() -> ModuleType:
    want = os.environ.get("FASTLR_KERNELS", "auto").strip().lower() or "auto"
    if want == "baseline":
        return _baseline
    feats = _baseline.cpu_features()
    names = _ORDER if want == "auto" else _ORDER[_ORDER.index(want):] if want in _ORDER else ()
    for name in names:
        if not feats.get(name):
            continue
        try:
            return importlib.import_module(f"fastlr._kernels_{name}")
        except ImportError:
            continue
    return _baseline


kernels = _choose()


def kernel_isa() -> str:
    """The instruction set of the kernels in use: ``"baseline"``, ``"avx2"`` or ``"avx512"``."""
    return kernels.ISA
