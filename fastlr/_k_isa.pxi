# CPU feature probes, the instruction set this copy was compiled for, and OpenMP.

cdef extern from *:
    """
    #define FASTLR_INT64_MAX ((int64_t)0x7fffffffffffffffLL)
    #if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    static int fastlr_cpu_has(int which) {
        __builtin_cpu_init();
        switch (which) {
            case 1: return __builtin_cpu_supports("avx2");
            case 2: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
                           && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
        }
        return 0;
    }
    #else
    static int fastlr_cpu_has(int which) { (void)which; return 0; }
    #endif
    #if defined(__AVX512F__)
    #define FASTLR_ISA "avx512"
    #elif defined(__AVX2__)
    #define FASTLR_ISA "avx2"
    #else
    #define FASTLR_ISA "baseline"
    #endif
    """
    int64_t FASTLR_INT64_MAX
    int fastlr_cpu_has(int which) noexcept nogil
    const char* FASTLR_ISA


ISA = FASTLR_ISA.decode()   # the instruction set this copy of the kernels was compiled for


def cpu_features():
    """Which optional x86 instruction sets this CPU (and OS) support: {"avx2": bool, "avx512": bool}."""
    return {"avx2": bool(fastlr_cpu_has(1)), "avx512": bool(fastlr_cpu_has(2))}



cdef extern from *:
    """
    #if defined(_OPENMP)
    #define FASTLR_OPENMP 1
    #else
    #define FASTLR_OPENMP 0
    #endif
    """
    int FASTLR_OPENMP


def openmp_enabled():
    """True when this copy of the kernels was compiled with OpenMP: sweeps can then fill rows on
    several threads. Without it every sweep runs serially (and gives the same values)."""
    return bool(FASTLR_OPENMP)

