"""Build logic for fastlr's compiled kernels (metadata lives in pyproject.toml).

Environment switches:
  FASTLR_DEBUG=1     bounds/wraparound/initialized checks on, -O0 -g (a CI job for the kernels)
  FASTLR_ANNOTATE=1  write Cython's annotated HTML next to the .pyx (keep the hot loops white)
  FASTLR_PORTABLE_ONLY=1  build only the portable kernels (no AVX2/AVX-512 copies)
"""
import os
import platform
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTLR_DEBUG", "") not in ("", "0")
ANNOTATE = os.environ.get("FASTLR_ANNOTATE", "") not in ("", "0")

# Compiler directives are set here, once, for every .pyx in the package.
directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "embedsignature": True,
}

if sys.platform == "win32":
    compile_args = ["/O2", "/fp:precise"]
else:
    # Portable on purpose: no -march=native, no -ffast-math (it changes the process's FP mode and
    # allows reassociation). -ffp-contract=off keeps vector and scalar paths bit-identical: a fused
    # multiply-add in one code path and not in another would break fill/scalar consistency.
    compile_args = ["-O0", "-g"] if DEBUG else ["-O3", "-fno-math-errno", "-ffp-contract=off"]
    compile_args += ["-fno-strict-aliasing"] if DEBUG else []

# The portable build is always made. On x86-64 with GCC/Clang the same kernels are also compiled
# for AVX2 and AVX-512; fastlr/_dispatch.py imports the best copy the CPU supports at run time
# (FASTLR_KERNELS=baseline|avx2|avx512 overrides). -ffp-contract=off keeps every copy bit-identical:
# no FMA contraction, and vector and scalar IEEE operations round the same way.
VARIANTS = {"": []}
X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")
if X86 and sys.platform != "win32" and os.environ.get("FASTLR_PORTABLE_ONLY", "") in ("", "0"):
    VARIANTS["_avx2"] = ["-mavx2"]
    VARIANTS["_avx512"] = ["-mavx2", "-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw",
                           "-mprefer-vector-width=512"]

extensions = [
    Extension(
        f"fastlr._kernels{suffix}",
        [f"fastlr/_kernels{suffix}.pyx"],
        extra_compile_args=compile_args + ([] if DEBUG else flags),
        depends=["fastlr/_kernels.pyx"],
    )
    for suffix, flags in VARIANTS.items()
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=directives, annotate=ANNOTATE),
)
