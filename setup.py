"""Build logic for fastlr's compiled kernels (metadata lives in pyproject.toml).

Environment switches:
  FASTLR_DEBUG=1     bounds/wraparound/initialized checks on, -O0 -g (a CI job for the kernels)
  FASTLR_ANNOTATE=1  write Cython's annotated HTML next to the .pyx (keep the hot loops white)
"""
import os
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

extensions = [
    Extension(
        "fastlr._kernels",
        ["fastlr/_kernels.pyx"],
        extra_compile_args=compile_args,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=directives, annotate=ANNOTATE),
)
