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

_HERE = os.path.dirname(os.path.abspath(__file__))


def _not_built(exc: ImportError) -> ImportError:
    """The ImportError to raise when the compiled kernels cannot be imported."""
    built = [f for f in os.listdir(_HERE) if f.startswith("_kernels") and
             f.endswith((".so", ".pyd"))] if os.path.isdir(_HERE) else []
    if built:  # present but unloadable (another Python, a missing library...): say which
        return ImportError(f"fastlr's compiled kernels in {_HERE} ({', '.join(sorted(built))}) "
                           f"cannot be loaded: {exc}. Rebuild them for this Python: "
                           f"python setup.py build_ext --inplace")
    return ImportError(
        f"fastlr's compiled kernels (fastlr/_kernels*.so) are not built in {_HERE}: this is the "
        f"source tree, imported instead of the installed package because Python looks in the "
        f"current directory first. Run Python from another directory to use the installed "
        f"fastlr, or build the kernels here: pip install -U Cython setuptools wheel numpy, then "
        f"pip install -e . --no-build-isolation (or python setup.py build_ext --inplace).")


try:
    from fastlr import _kernels as _baseline
except ImportError as _exc:
    _err = _not_built(_exc)
    # a missing build: the original "partially initialized module (circular import)" message
    # only misleads; an unloadable one: keep its cause
    raise _err from (_exc if "cannot be loaded" in str(_err) else None)

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
