"""Build logic for fastlr's compiled kernels (metadata lives in pyproject.toml).

Environment switches:
  FASTLR_DEBUG=1     bounds/wraparound/initialized checks on, -O0 -g (a CI job for the kernels)
  FASTLR_ANNOTATE=1  write Cython's annotated HTML next to the .pyx (keep the hot loops white)
  FASTLR_PORTABLE_ONLY=1  build only the portable kernels (no AVX2/AVX-512 copies)
  FASTLR_NO_OPENMP=1 build without OpenMP (sweeps run serially; fastlr.openmp_enabled() is False)
"""
import glob
import os
import platform
import shutil
import sys
import tempfile

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

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
    VARIANTS["_avx512"] = ["-mavx2", "-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw"]

extensions = [
    Extension(
        f"fastlr._kernels{suffix}",
        [f"fastlr/_kernels{suffix}.pyx"],
        extra_compile_args=compile_args + ([] if DEBUG else flags),
        depends=["fastlr/_kernels.pyx"] + sorted(glob.glob("fastlr/_k_*.pxi")),
    )
    for suffix, flags in VARIANTS.items()
]


# OpenMP is optional: the sweep kernel's prange compiles to a plain loop without it. Whether the
# compiler in use can build and link an OpenMP program is only known once build_ext has chosen and
# configured that compiler, so the check is a try-compile there (macOS's Apple clang usually has
# no OpenMP runtime: serial build). fastlr.openmp_enabled() reports the outcome.
_OPENMP_PROBE = r"""
#include <omp.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += omp_get_num_threads() > 0;
    return n > 0 ? 0 : 1;
}
"""


def _openmp_flags(compiler):
    """(compile args, link args) that enable OpenMP with `compiler`, or None if it can't."""
    if os.environ.get("FASTLR_NO_OPENMP", "") not in ("", "0"):
        print("fastlr: FASTLR_NO_OPENMP is set: building serial kernels")
        return None
    if compiler.compiler_type == "msvc":
        flags = (["/openmp"], [])
    else:
        flags = (["-fopenmp"], ["-fopenmp"])
    tmp = tempfile.mkdtemp(prefix="fastlr-openmp-")
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(_OPENMP_PROBE)
        objects = compiler.compile([src], output_dir=tmp, extra_postargs=flags[0])
        compiler.link_executable(objects, "probe", output_dir=tmp, extra_postargs=flags[1])
    except Exception as exc:  # CompileError, LinkError, a missing compiler: all mean "serial"
        print(f"fastlr: OpenMP is not available with this compiler ({type(exc).__name__}): "
              f"building serial kernels")
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"fastlr: building with OpenMP ({' '.join(flags[0])})")
    return flags


class BuildExt(build_ext):
    """build_ext that adds OpenMP flags to every extension when the compiler supports them."""

    def build_extensions(self):
        flags = _openmp_flags(self.compiler)
        if flags is not None:
            for ext in self.extensions:
                ext.extra_compile_args = list(ext.extra_compile_args or []) + flags[0]
                ext.extra_link_args = list(ext.extra_link_args or []) + flags[1]
        super().build_extensions()


setup(
    ext_modules=cythonize(extensions, compiler_directives=directives, annotate=ANNOTATE),
    cmdclass={"build_ext": BuildExt},
)
