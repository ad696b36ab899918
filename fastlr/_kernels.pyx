# Compiler directives are set once, in setup.py.
"""The only per-step code in fastlr.

A schedule compiles (in Python, once) to a *plan*: a table of segments sorted by their first global
step. Segment k covers global steps [begin_k, begin_{k+1}) (the last one runs forever) and evaluates
one *family* formula on its local step ``tau = t - begin + offset``. ``fill_plan`` walks the segments
that overlap a window and runs the family's tight loop on each slice of ``out``; scalar calls and
gathers are one-element windows of the same code, so every path gives the same bits.

Exactness without a libm call per element: the transcendental families evaluate their functions at
*anchors* on a fixed grid of local steps (multiples of ``BLOCK``) with libm, and reach the steps in
between through small tables of exact values (angle addition for cosines, products for exponentials
and powers). The grid does not depend on the window being filled, so a value never depends on how a
range was split into calls, and the error never accumulates: it is a few roundings everywhere.
"""
from cpython.buffer cimport PyBUF_FORMAT, PyBUF_STRIDES, PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from libc.math cimport cos, exp, fabs, ldexp, log1p, pow, sin, sqrt
from libc.stdint cimport int64_t, uintptr_t

cimport cython
from cython cimport floating

import numpy as np

cdef object _ndarray = np.ndarray

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

# Families (the layout of their parameters is documented in fastlr/_plan.py).
cdef enum:
    CONST = 0
    LINEAR = 1
    EXP = 2
    PLATEAU = 3
    COS2 = 4
    POLY = 5
    INVTIME = 6
    TRI = 7

# Columns of the integer segment table.
cdef enum:
    BEGIN = 0
    OFFSET = 1
    FAMILY = 2
    TAB = 3
    I0 = 4
    I1 = 5
    I2 = 6
    NI = 7


class Family:
    """Family codes of plan segments (mirrors the kernel's enum)."""
    CONST = 0
    LINEAR = 1
    EXP = 2
    PLATEAU = 3
    COS2 = 4
    POLY = 5
    INVTIME = 6
    TRI = 7


class Column:
    """Columns of a plan's integer segment table (mirrors the kernel's enum)."""
    BEGIN = 0
    OFFSET = 1
    FAMILY = 2
    TAB = 3
    I0 = 4
    I1 = 5
    I2 = 6
    NI = 7


NDBL = 6                  # columns of the float segment table
cdef int _NDBL = 6
TABLE = 64                # length of one table
BLOCK = 4096              # anchor spacing = TABLE * TABLE local steps
cdef int64_t _BLOCK = 4096
cdef int64_t _TWO53 = 9007199254740992
cdef int _CHUNK = 1 << 30


# --------------------------------------------------------------------------------------------
# Tables (built once per schedule, with the same libm the kernels use for anchors)
# --------------------------------------------------------------------------------------------

def angle_tables(double w):
    """cos/sin of w*64*i and of w*j for i, j < 64: the 4 x 64 rotation tables of a COS2 segment."""
    out = np.empty(4 * 64)
    cdef double[::1] o = out
    cdef int i
    for i in range(64):
        o[i] = cos(w * <double>(64 * i))
        o[64 + i] = sin(w * <double>(64 * i))
        o[128 + i] = cos(w * <double>i)
        o[192 + i] = sin(w * <double>i)
    return out


def exp_tables(double rate):
    """exp(-rate*64*i) and exp(-rate*j) for i, j < 64: the 2 x 64 tables of an EXP segment."""
    out = np.empty(2 * 64)
    cdef double[::1] o = out
    cdef int i
    for i in range(64):
        o[i] = exp(-rate * <double>(64 * i))
        o[64 + i] = exp(-rate * <double>i)
    return out


def power_tables(double gamma):
    """gamma**(64*i) and gamma**j for i, j < 64: the 2 x 64 tables of geometric factors."""
    out = np.empty(2 * 64)
    cdef double[::1] o = out
    cdef int i
    for i in range(64):
        o[i] = pow(gamma, <double>(64 * i))
        o[64 + i] = pow(gamma, <double>i)
    return out


# --------------------------------------------------------------------------------------------
# Family kernels: fill out[0:n] with the values of local steps tau ... tau+n-1
# --------------------------------------------------------------------------------------------

cdef inline void _k_const(floating* out, int64_t n, const double* d) noexcept nogil:
    cdef floating v = <floating>d[0]
    cdef int64_t k
    for k in range(n):
        out[k] = v


cdef void _k_linear(floating* out, int64_t tau, int64_t n, const double* d) noexcept nogil:
    # v = d0 + d1 * tau * d2, evaluated as (d0 + (d1 * tau0) * d2) + (d1 * (tau - tau0)) * d2 with
    # tau0 on the 4096-grid: a multiply-add per step from a small exact integer, the same bits for
    # any window. d2 is 1 unless the slope would be subnormal: then d1 is the slope * 2**600 and
    # d2 = 2**-600 (exact scalings), so tiny rates keep full precision.
    cdef double a = d[0], b = d[1], sc = d[2], base
    cdef int64_t k = 0, t, t0
    cdef int kk, m, q
    while k < n:
        t = tau + k
        t0 = t & ~(_BLOCK - 1)
        q = <int>(t - t0)
        m = <int>(_BLOCK - q) if n - k > _BLOCK - q else <int>(n - k)
        if sc == 1.0:
            base = a + b * <double>t0
            for kk in range(m):
                out[k + kk] = <floating>(base + b * <double>(q + kk))
        else:
            base = a + (b * <double>t0) * sc
            for kk in range(m):
                out[k + kk] = <floating>(base + (b * <double>(q + kk)) * sc)
        k += m


cdef void _k_exp(floating* out, int64_t tau, int64_t n, const double* d,
                 const double* tab) noexcept nogil:
    # v = d0 * exp(-d1 * tau) = (d0 * exp(-d1 * p0)) * E[i] * e[j],  tau = p0 + 64 i + j
    cdef const double* big = tab
    cdef double small[64]   # a local copy: provably not aliased by `out`, so loops vectorize cleanly
    cdef double a, ai
    cdef int64_t k = 0, p, p0, q
    cdef int i, j, m, jj
    for jj in range(64):
        small[jj] = tab[64 + jj]
    while k < n:
        p = tau + k
        p0 = p & ~(_BLOCK - 1)
        a = d[0] * exp(-d[1] * <double>p0)
        if a == 0.0:
            # exp is non-increasing in the step: every later value is 0 as well
            while k < n:
                out[k] = 0
                k += 1
            return
        q = p - p0
        i = <int>(q >> 6)
        j = <int>(q & 63)
        while i < 64 and k < n:
            ai = a * big[i]
            m = 64 - j
            if m > n - k:
                m = <int>(n - k)
            for jj in range(m):
                out[k + jj] = <floating>(ai * small[j + jj])
            k += m
            i += 1
            j = 0


cdef inline double _scaled_pow(double lr, double gamma, int64_t m) noexcept nogil:
    """lr * gamma**m without a spurious overflow/underflow of gamma**m alone (lr = 0 gives 0)."""
    cdef double g = pow(gamma, <double>m), h
    if lr == 0.0:
        return 0.0
    if g == 0.0 or g > 1e300:
        # gamma**m leaves the double range although lr * gamma**m may not: split the power
        h = pow(gamma, <double>(m // 2))
        return (lr * h) * pow(gamma, <double>(m - m // 2))
    return lr * g


cdef void _k_plateau(floating* out, int64_t tau, int64_t n, const double* d, int64_t size,
                     int64_t kind, const double* tab) noexcept nogil:
    # m = floor(tau / size); kind 0: v = d0 * d1**m (anchored geometric); kind 1: v = d0 / (1 + d1 m)
    cdef int64_t k = 0, m = tau // size, r = tau - m * size, run, jj, m0, cur = -1
    cdef double a = 0.0, gi, gj
    cdef floating v
    while k < n:
        if kind == 0:
            # d0 * gamma**m = ((d0 * gamma**m0) * gamma**(64 i)) * gamma**j for m = m0 + 64 i + j
            # with m0 on the 4096-grid: the anchor exponent is exact in double and the anchor is
            # computed once per 4096 plateaus; every factor is one rounding
            m0 = m & ~(_BLOCK - 1)
            if m0 != cur:
                a = _scaled_pow(d[0], d[1], m0)
                cur = m0
            gi = tab[(m - m0) >> 6]
            gj = tab[64 + ((m - m0) & 63)]
            if a == 0.0 and d[1] <= 1.0:
                v = 0  # d0 gamma**m0 underflowed and gamma <= 1: so has every later plateau
            elif fabs(a) <= 1.7e308 and 0.0 < gi <= 1.7e308 and 0.0 < gj <= 1.7e308:
                v = <floating>((a * gi) * gj)
            else:
                v = <floating>_scaled_pow(d[0], d[1], m)  # a table factor left the double range
        else:
            v = <floating>(d[0] / (1.0 + d[1] * <double>m))
        run = size - r
        if run > n - k:
            run = n - k
        for jj in range(run):
            out[k + jj] = v
        k += run
        m += 1
        r = 0


cdef void _k_cos2(floating* out, int64_t tau, int64_t n, const double* d, int64_t period,
                  const double* tab) noexcept nogil:
    # v = d0 + (d1 * d4**c - d0) * cos(d2 * (p + d3))**2,  p = tau mod period, c = tau div period
    # (period 0: p = tau, c = 0). cos(d2 * (p0 + 64 i + j + d3)) by angle addition from the anchor
    # p0 (libm) and two tables.
    cdef const double* bc = tab
    cdef const double* bs = tab + 64
    cdef double sc[64]   # local copies: provably not aliased by `out`
    cdef double ss[64]
    cdef double lo = d[0], amp, w = d[2], off = d[3]
    cdef double A, B, ai, bi, c, phi
    cdef int64_t k = 0, p, p0, q, lim, cyc = 0
    cdef int i, j, m, jj
    for jj in range(64):
        sc[jj] = tab[128 + jj]
        ss[jj] = tab[192 + jj]
    if period > 0:
        cyc = tau // period
        p = tau - cyc * period
    else:
        p = tau
    while k < n:
        amp = (d[1] * pow(d[4], <double>cyc) if d[4] != 1.0 else d[1]) - lo
        while k < n:
            p0 = p & ~(_BLOCK - 1)
            if p0 == 0 and off == 0.0:
                A = 1.0
                B = 0.0
            else:
                phi = w * (<double>p0 + off)
                A = cos(phi)
                B = sin(phi)
            lim = _BLOCK
            if period > 0 and period - p0 < lim:
                lim = period - p0
            q = p - p0
            i = <int>(q >> 6)
            j = <int>(q & 63)
            while q < lim and k < n:
                ai = A * bc[i] - B * bs[i]
                bi = B * bc[i] + A * bs[i]
                m = 64 - j
                if m > n - k:
                    m = <int>(n - k)
                if m > lim - q:
                    m = <int>(lim - q)
                # lo + amp cos**2 (not lo +- (sqrt|amp| cos)**2, a multiply cheaper but no longer
                # exactly max_lr at the peak)
                for jj in range(m):
                    c = ai * sc[j + jj] - bi * ss[j + jj]
                    out[k + jj] = <floating>(lo + amp * (c * c))
                k += m
                q += m
                i += 1
                j = 0
            p = p0 + q
            if period > 0 and p == period:
                p = 0
                cyc += 1
                break


cdef inline double _poly_g(double x, int64_t kind, double e) noexcept nogil:
    if kind == 1:
        return x
    if kind == 2:
        return x * x
    if kind == 3:
        return sqrt(x)
    if kind == 4:
        return 1.0 / sqrt(x)
    return pow(x, e)


cdef inline double _reverse_power(int64_t u, int64_t anchor, double inv, double e) noexcept nogil:
    # (u / d2)**e for u = anchor - tau. Near x = u / d2 = 1, pow would multiply the rounding of x by
    # e (1e-12 for e = 5000): there exp(e * log1p(-tau / d2)) keeps -tau / d2 exact to an ulp. Near
    # x = 0, log1p(-tau / d2) is ill-conditioned instead and pow(x, e) is the accurate form.
    if 2 * u >= anchor:
        return exp(e * log1p(-<double>(anchor - u) * inv))
    return pow(<double>u * inv, e)


cdef void _poly_direct(floating* out, int64_t u0, double sgn, int64_t n, double a, double b,
                       double inv, int64_t kind, double e, int64_t anchor) noexcept nogil:
    # out[k] = a + b * g((u0 + sgn k) * inv) for k < n; u0 + n < 2**53 (exact in double).
    # A general power of x = u / d2 counting down (reverse) goes through _reverse_power.
    cdef double x0 = <double>u0, x
    cdef int64_t done = 0
    cdef int kk, m
    while done < n:
        m = <int>(n - done if n - done < _CHUNK else _CHUNK)
        x0 = <double>u0 + sgn * <double>done
        if kind == 1:
            for kk in range(m):
                out[done + kk] = <floating>(a + b * ((x0 + sgn * <double>kk) * inv))
        elif kind == 2:
            for kk in range(m):
                x = (x0 + sgn * <double>kk) * inv
                out[done + kk] = <floating>(a + b * (x * x))
        elif kind == 3:
            for kk in range(m):
                out[done + kk] = <floating>(a + b * sqrt((x0 + sgn * <double>kk) * inv))
        elif kind == 4:
            for kk in range(m):
                out[done + kk] = <floating>(a + b / sqrt((x0 + sgn * <double>kk) * inv))
        elif sgn < 0.0:
            for kk in range(m):
                out[done + kk] = <floating>(
                    a + b * _reverse_power(u0 - done - kk, anchor, inv, e))
        else:
            for kk in range(m):
                out[done + kk] = <floating>(a + b * pow((x0 + sgn * <double>kk) * inv, e))
        done += m


cdef void _k_poly(floating* out, int64_t tau, int64_t n, const double* d, int64_t anchor,
                  int64_t flags, const double* coef) noexcept nogil:
    # x = u / d2 with u = anchor - tau (flags & 8) or u = tau;  v = d0 + d1 * g(x), g by flags & 7:
    # 0: x**d3, 1: x, 2: x*x, 3: sqrt(x), 4: 1/sqrt(x). u is an exact integer.
    #
    # With flags & 16 (a power series is accurate for this exponent), powers 0 and 4 avoid a pow or
    # sqrt per step once u >= 512: on a grid of anchors t0, u = u0 (1 + r) with r = +-(t - t0)/u0,
    #   x**p = (u0 / d2)**p * sum_m binom(p, m) r**m      (coef[m] = binom(p, m)),
    # with m <= 9 and |r| <= 1/64 (anchors every 8 or 64 steps, u0 >= 512 or 4096) while
    # u < 2**16 at the 4096-block start, then m <= 5 and |r| < 1.1e-3 (anchors every 64 ... 4096
    # steps, growing with u); below u0 = 512 the direct formula. The grid depends on the step
    # only, so every window gives the same bits; both truncation errors are below 1e-17 (checked
    # when the plan is built).
    cdef int64_t kind = flags & 7, k = 0, t, t0, tb, u0, ub, q, run, G
    cdef bint deg9
    cdef bint rev = (flags & 8) != 0
    cdef double a = d[0], b = d[1], inv = 1.0 / d[2], e = d[3], sgn, A, st, r, P
    cdef double c0, c1, c2, c3, c4, c5, c6, c7, c8, c9
    cdef int kk, m
    sgn = -1.0 if rev else 1.0
    if not (flags & 16):
        u0 = anchor - tau if rev else tau
        if u0 <= _TWO53 - n and anchor <= _TWO53:
            _poly_direct(out, u0, sgn, n, a, b, inv, kind, e, anchor)
        else:
            for k in range(n):
                if rev and kind == 0:
                    out[k] = <floating>(a + b * _reverse_power(u0 - k, anchor, inv, e))
                else:
                    out[k] = <floating>(
                        a + b * _poly_g(<double>(u0 + <int64_t>sgn * k) * inv, kind, e))
        return
    c0, c1, c2, c3, c4 = coef[0], coef[1], coef[2], coef[3], coef[4]
    c5, c6, c7, c8, c9 = coef[5], coef[6], coef[7], coef[8], coef[9]
    while k < n:
        t = tau + k
        tb = t & ~(_BLOCK - 1)
        ub = anchor - tb if rev else tb
        if ub >= 65536:
            # anchors every G = 2**floor(log2(ub / 1024)) steps (64 ... 4096), so |r| < 1.1e-3 and
            # six terms of the series suffice; an anchor per G steps amortises its pow/sqrt
            G = 64
            while G < _BLOCK and (G << 1) <= (ub >> 10):
                G <<= 1
            t0 = t & ~(G - 1)
            deg9 = False
        else:
            # 10 terms, |r| <= 1/64: anchors every 64 steps while u >= 4096 there, every 8 steps
            # while u >= 512 (an anchor per 8 steps still beats a pow per step)
            t0 = t & ~(<int64_t>63)
            G = 64
            deg9 = True
            if (anchor - t0 if rev else t0) < 4096:
                t0 = t & ~(<int64_t>7)
                G = 8
        u0 = anchor - t0 if rev else t0
        q = t - t0
        run = G - q
        if run > n - k:
            run = n - k
        if u0 < 64 * G:
            # too close to 0 for the series: the direct formula (u < 2**53 here)
            _poly_direct(out + k, anchor - t if rev else t, sgn, run, a, b, inv, kind, e, anchor)
            k += run
            continue
        if kind == 4:
            A = b / sqrt(<double>u0 * inv)
        else:
            A = b * pow(<double>u0 * inv, e)
        st = sgn / <double>u0
        m = <int>run
        if deg9:
            for kk in range(m):
                r = <double>(<int>q + kk) * st
                P = ((((((((c9 * r + c8) * r + c7) * r + c6) * r + c5) * r + c4) * r + c3) * r
                      + c2) * r + c1) * r + c0
                out[k + kk] = <floating>(a + A * P)
        else:
            for kk in range(m):
                r = <double>(<int>q + kk) * st
                P = ((((c5 * r + c4) * r + c3) * r + c2) * r + c1) * r + c0
                out[k + kk] = <floating>(a + A * P)
        k += run


cdef void _k_invtime(floating* out, int64_t tau, int64_t n, const double* d) noexcept nogil:
    # v = d0 / (1 + d1 * tau)
    cdef double a = d[0], r = d[1], x0
    cdef int64_t k, done = 0
    cdef int kk, m
    if tau <= _TWO53 - n:
        while done < n:
            m = <int>(n - done if n - done < _CHUNK else _CHUNK)
            x0 = <double>(tau + done)
            for kk in range(m):
                out[done + kk] = <floating>(a / (1.0 + r * (x0 + <double>kk)))
            done += m
    else:
        for k in range(n):
            out[k] = <floating>(a / (1.0 + r * <double>(tau + k)))


cdef void _k_tri(floating* out, int64_t tau, int64_t n, const double* d, int64_t up,
                 int64_t down, int64_t mode, const double* tab) noexcept nogil:
    # Smith's triangular cycle (period up + down, phase p = tau mod period, cycle c = tau div period):
    # x = p on the way up (p < up), period - p on the way down; slope = d1 / up or d1 / down;
    # v = d0 + (slope * x) * scale,  scale = 1 | 0.5**c | d2**tau   (mode 0 | 1 | 2);
    # at the top (p = up) v = d0 + d1 * scale.
    # Periods are < 2**52 (validated), so phases are exact in double.
    cdef int64_t period = up + down, k = 0, t, c, p, run, done, e
    cdef double base = d[0], sc = 1.0, x0, xs, sgn, slope, a = 0.0, ai = 0.0
    cdef double gj[64]   # gamma**j, a local copy (exp_range)
    cdef int kk, m, j, jj, r
    if mode == 2:
        for kk in range(64):
            gj[kk] = tab[64 + kk]
    while k < n:
        t = tau + k
        c = t // period
        p = t - c * period
        if mode == 1:
            sc = ldexp(1.0, <int>(-c)) if c < 2000 else 0.0
        if p == up:
            # the top of the cycle: frac = 1 exactly, so the value is d0 + d1 * scale (max_lr when
            # the scale is 1), not d0 + (d1 / up) * up
            if mode == 2:
                e = t & ~(_BLOCK - 1)
                sc = (pow(d[2], <double>e) * tab[(t - e) >> 6]) * gj[t & 63]
            out[k] = <floating>(base + d[1] * sc)
            k += 1
            continue
        if p < up:
            run = up - p
            x0 = <double>p
            sgn = 1.0
            slope = d[1] / <double>up
        else:
            run = period - p
            x0 = <double>(period - p)
            sgn = -1.0
            slope = d[1] / <double>down
        if run > n - k:
            run = n - k
        done = 0
        while done < run:
            m = <int>(run - done if run - done < _CHUNK else _CHUNK)
            xs = x0 + sgn * <double>done
            if mode == 2:
                # scale = gamma**e = (pow(gamma, e0) * gamma**(64 i)) * gamma**j (as in _k_plateau),
                # one 64-step row at a time so the inner loop vectorises
                kk = 0
                while kk < m:
                    e = t + done + kk
                    if kk == 0 or (e & (_BLOCK - 1)) == 0:
                        a = pow(d[2], <double>(e & ~(_BLOCK - 1)))
                    ai = a * tab[(e & (_BLOCK - 1)) >> 6]
                    j = <int>(e & 63)
                    r = 64 - j if m - kk > 64 - j else m - kk
                    for jj in range(r):
                        out[k + done + kk + jj] = <floating>(
                            base + (slope * (xs + sgn * <double>(kk + jj))) * (ai * gj[j + jj]))
                    kk += r
            else:
                for kk in range(m):
                    out[k + done + kk] = <floating>(base + (slope * (xs + sgn * <double>kk)) * sc)
            done += m
        k += run


cdef void _k_family(floating* out, int64_t tau, int64_t n, const int64_t* seg, const double* d,
                    const double* tables) noexcept nogil:
    cdef int64_t fam = seg[FAMILY]
    cdef const double* tab = tables + seg[TAB]
    if fam == CONST:
        _k_const(out, n, d)
    elif fam == LINEAR:
        _k_linear(out, tau, n, d)
    elif fam == EXP:
        _k_exp(out, tau, n, d, tab)
    elif fam == PLATEAU:
        _k_plateau(out, tau, n, d, seg[I0], seg[I1], tab)
    elif fam == COS2:
        _k_cos2(out, tau, n, d, seg[I0], tab)
    elif fam == POLY:
        _k_poly(out, tau, n, d, seg[I0], seg[I1], tab)
    elif fam == INVTIME:
        _k_invtime(out, tau, n, d)
    elif fam == TRI:
        _k_tri(out, tau, n, d, seg[I0], seg[I1], seg[I2], tab)


cdef inline Py_ssize_t _find_segment(const int64_t* iseg, Py_ssize_t nseg, int64_t t) noexcept nogil:
    # last segment whose begin <= t (segment 0 begins at 0)
    cdef Py_ssize_t lo = 0, hi = nseg - 1, mid
    while lo < hi:
        mid = (lo + hi + 1) >> 1
        if iseg[mid * NI + BEGIN] <= t:
            lo = mid
        else:
            hi = mid - 1
    return lo


cdef void fill_plan(const int64_t* iseg, const double* dseg, const double* tables, Py_ssize_t nseg,
                    floating* out, int64_t start, int64_t n) noexcept nogil:
    """Values of global steps start ... start+n-1 into out[0:n]. The caller guarantees
    start >= 0, n >= 0 and start + n - 1 <= 2**63 - 1."""
    cdef Py_ssize_t s
    cdef int64_t m, tau
    cdef const int64_t* seg
    if n <= 0:
        return
    s = _find_segment(iseg, nseg, start)
    while True:
        seg = iseg + s * NI
        if s == nseg - 1 or iseg[(s + 1) * NI + BEGIN] - start >= n:
            m = n
        else:
            m = iseg[(s + 1) * NI + BEGIN] - start
        tau = start - seg[BEGIN] + seg[OFFSET]
        _k_family(out, tau, m, seg, dseg + s * _NDBL, tables)
        n -= m
        if n == 0:
            return
        out += m
        start += m
        s += 1


cdef int64_t gather_plan(const int64_t* iseg, const double* dseg, const double* tables,
                         Py_ssize_t nseg, const int64_t* steps, int64_t n,
                         double* out) noexcept nogil:
    """out[k] = value at steps[k]; returns the index of the first negative step, or -1."""
    cdef int64_t k, t
    cdef Py_ssize_t s
    for k in range(n):
        t = steps[k]
        if t < 0:
            return k
        s = _find_segment(iseg, nseg, t)
        _k_family(out + k, t - iseg[s * NI + BEGIN] + iseg[s * NI + OFFSET], 1,
                  iseg + s * NI, dseg + s * _NDBL, tables)
    return -1


# --------------------------------------------------------------------------------------------
# The Python-facing plan object
# --------------------------------------------------------------------------------------------

cdef int _float_buffer(object out, Py_buffer* view, int ndim) except -1:
    """Acquire a writable buffer of the numpy array `out` if it is `ndim`-D, native float32 or
    float64 and aligned to its itemsize: returns 2 (float64) or 1 (float32) with `view` held, or 0
    (nothing held). Callers check the strides they need on top."""
    if not isinstance(out, _ndarray):
        return 0
    try:
        PyObject_GetBuffer(out, view, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_STRIDES)
    except (BufferError, ValueError, TypeError):
        return 0
    cdef int kind = 0
    if view.ndim == ndim and view.format != NULL and view.format[0] != 0 and view.format[1] == 0:
        if view.format[0] == b'd':
            kind = 2
        elif view.format[0] == b'f':
            kind = 1
    if kind and (<uintptr_t>view.buf) % <uintptr_t>view.itemsize != 0:
        kind = 0
    if not kind:
        PyBuffer_Release(view)
    return kind


cdef int _buffer_kind(object out, Py_buffer* view) except -1:
    """A 1-D C-contiguous float buffer of `out` (see _float_buffer), or 0: the caller then asks
    fastlr._validate for the precise error."""
    cdef int kind = _float_buffer(out, view, 1)
    if kind and view.shape[0] > 1 and view.strides[0] != view.itemsize:
        PyBuffer_Release(view)
        return 0
    return kind


cdef inline int _check_window(int64_t s, int64_t n) except -1:
    if n > 0 and s > FASTLR_INT64_MAX - (n - 1):
        raise ValueError(f"start={s} with {n} steps: the last step {int(s) + n - 1} would pass "
                         f"2**63 - 1")
    return 0


cdef inline int64_t _as_step(object t, str name) except -1:
    if type(t) is int and t >= 0 and t <= FASTLR_INT64_MAX:
        return t
    from fastlr._validate import check_step
    return check_step(t, name)


@cython.final
cdef class Plan:
    """A compiled schedule: segment tables plus rotation/power tables. Immutable."""
    cdef readonly object iseg
    cdef readonly object dseg
    cdef readonly object tables
    cdef const int64_t* _i
    cdef const double* _d
    cdef const double* _t
    cdef Py_ssize_t _n

    def __cinit__(self, iseg, dseg, tables):
        cdef const int64_t[:, ::1] iv = iseg
        cdef const double[:, ::1] dv = dseg
        cdef const double[::1] tv = tables
        if iv.shape[0] < 1 or iv.shape[1] != NI or dv.shape[1] != _NDBL or dv.shape[0] != iv.shape[0]:
            raise ValueError("malformed plan tables")
        if iv[0, BEGIN] != 0:
            raise ValueError("the first segment of a plan must begin at step 0")
        self.iseg, self.dseg, self.tables = iseg, dseg, tables
        self._i = &iv[0, 0]
        self._d = &dv[0, 0]
        self._t = &tv[0] if tv.shape[0] > 0 else NULL
        self._n = iv.shape[0]

    @property
    def n_segments(self):
        return self._n

    def value(self, t):
        """The value at one step (a Python int >= 0), as a Python float."""
        cdef int64_t s = _as_step(t, "t")
        cdef double v
        fill_plan(self._i, self._d, self._t, self._n, &v, s, 1)
        return v

    def fill(self, out, start=0):
        """Write the values of steps start ... start+len(out)-1 into `out`; return `out`."""
        cdef Py_buffer view
        cdef int64_t s = _as_step(start, "start")
        cdef int64_t n
        cdef int kind = _buffer_kind(out, &view)
        if kind == 0:
            from fastlr._validate import check_out
            check_out(out)  # raises the precise TypeError/ValueError
            raise ValueError(f"out: cannot write into {type(out).__name__} of dtype {out.dtype}")
        try:
            n = view.shape[0]
            _check_window(s, n)
            if kind == 2:
                with nogil:
                    fill_plan(self._i, self._d, self._t, self._n, <double*>view.buf, s, n)
            else:
                with nogil:
                    fill_plan(self._i, self._d, self._t, self._n, <float*>view.buf, s, n)
        finally:
            PyBuffer_Release(&view)
        return out

    def gather(self, const int64_t[::1] steps, double[::1] out):
        """out[k] = value at steps[k]. Raises ValueError on a negative step (`out` is scratch)."""
        cdef int64_t bad, n = steps.shape[0]
        if out.shape[0] != n:
            raise ValueError("steps and out differ in length")
        if n == 0:
            return -1
        with nogil:
            bad = gather_plan(self._i, self._d, self._t, self._n, &steps[0], n, &out[0])
        return bad


# --------------------------------------------------------------------------------------------
# Sweeps: many plans, one row each (fastlr/sweep.py validates and calls sweep_fill)
# --------------------------------------------------------------------------------------------

from cython.parallel cimport prange, threadid
from libc.stdlib cimport free, malloc

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


ctypedef struct _PlanRef:
    const int64_t* i
    const double* d
    const double* t
    Py_ssize_t n


cdef void _fill_rows(floating* out, Py_ssize_t ld, const _PlanRef* refs, Py_ssize_t nrows,
                     int64_t start, int64_t n, int threads) noexcept nogil:
    # Row r (out + r * ld) gets plan r's values of steps start ... start+n-1. A row is written by
    # one thread, with the same code as Plan.fill, and rows share nothing: the output cannot depend
    # on the thread count or on which thread ran which row. Dynamic scheduling balances rows of
    # unequal cost (a constant tail is cheaper than a cosine).
    cdef Py_ssize_t r
    if threads <= 1 or nrows <= 1:
        for r in range(nrows):
            fill_plan(refs[r].i, refs[r].d, refs[r].t, refs[r].n, out + r * ld, start, n)
    else:
        for r in prange(nrows, num_threads=threads, schedule="dynamic", chunksize=1):
            fill_plan(refs[r].i, refs[r].d, refs[r].t, refs[r].n, out + r * ld, start, n)


cdef int _rows_kind(object out, Py_buffer* view) except -1:
    """A 2-D float buffer of `out` (see _float_buffer) whose rows are contiguous and disjoint (the
    row stride may exceed the row length: a column block of a wider array), or 0."""
    cdef int kind = _float_buffer(out, view, 2)
    if not kind:
        return 0
    if (view.shape[1] > 1 and view.strides[1] != view.itemsize) or (
            view.shape[0] > 1 and view.shape[1] > 0 and (
                view.strides[0] < view.shape[1] * view.itemsize
                or view.strides[0] % view.itemsize)):
        PyBuffer_Release(view)
        return 0
    return kind


cdef _PlanRef* _plan_refs(tuple keep) except NULL:
    """A malloc'd array of the plans' pointers (the caller frees it; `keep` holds the plans and
    their tables alive). Raises TypeError, freeing it, for anything but a Plan of this copy."""
    cdef Py_ssize_t r, nrows = len(keep)
    cdef Plan p
    cdef _PlanRef* refs = <_PlanRef*>malloc((nrows if nrows > 0 else 1) * sizeof(_PlanRef))
    if refs == NULL:
        raise MemoryError()
    for r in range(nrows):
        obj = keep[r]
        if type(obj) is not Plan:
            free(refs)
            raise TypeError(f"plans[{r}] must be a Plan of the {ISA} kernels in use, got "
                            f"{type(obj).__module__}.{type(obj).__name__}")
        p = <Plan>obj
        refs[r].i = p._i
        refs[r].d = p._d
        refs[r].t = p._t
        refs[r].n = p._n
    return refs


def sweep_fill(plans, out, start=0, int threads=1):
    """Fill row r of the 2-D array `out` with the values of ``plans[r]`` at steps
    ``start ... start + out.shape[1] - 1``; return `out`.

    Rows must be contiguous, but the row stride may exceed the row length, so `out` can be a column
    block ``wide[:, c:c + n]`` of a wider array (with ``start`` the block's first step). The GIL is
    released while the rows are filled; with ``threads > 1`` and OpenMP compiled in, rows run in
    parallel. Row r is bit for bit ``plans[r].fill(out[r], start)`` for every thread count.
    `plans` must be Plan objects of this copy of the kernels (fastlr._dispatch.kernels)."""
    cdef Py_buffer view
    cdef int64_t s = _as_step(start, "start")
    cdef int64_t n
    cdef Py_ssize_t nrows, r, ld
    cdef _PlanRef* refs = NULL
    cdef tuple keep = tuple(plans)   # holds the plans (and their tables) alive without the GIL
    cdef int kind = _rows_kind(out, &view)
    if kind == 0:
        from fastlr._validate import check_out_rows
        check_out_rows(out)  # raises the precise TypeError/ValueError
        raise ValueError(f"out: cannot write into {type(out).__name__} of dtype {out.dtype}")
    try:
        nrows = view.shape[0]
        n = view.shape[1]
        if len(keep) != nrows:
            raise ValueError(f"{len(keep)} plans for the {nrows} rows of out")
        _check_window(s, n)
        if nrows == 0 or n == 0:
            return out
        refs = _plan_refs(keep)
        ld = view.strides[0] // view.itemsize if nrows > 1 else n
        if threads < 1:
            threads = 1
        if kind == 2:
            with nogil:
                _fill_rows(<double*>view.buf, ld, refs, nrows, s, n, threads)
        else:
            with nogil:
                _fill_rows(<float*>view.buf, ld, refs, nrows, s, n, threads)
    finally:
        free(refs)
        PyBuffer_Release(&view)
    return out


def _parallel_probe(int threads):
    """How many distinct threads run the iterations of a prange over `threads` iterations with
    `threads` threads (1 in a serial build). For the tests: proves the parallel path is live."""
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    cdef int r, k, distinct = 0
    cdef int* ids = <int*>malloc(threads * sizeof(int))
    if ids == NULL:
        raise MemoryError()
    try:
        with nogil:
            for r in prange(threads, num_threads=threads, schedule="static", chunksize=1):
                ids[r] = threadid()
        for r in range(threads):
            for k in range(r):
                if ids[k] == ids[r]:
                    break
            else:
                distinct += 1
    finally:
        free(ids)
    return distinct


# Reductions of sweeps: each row is filled a chunk at a time into a small buffer owned by the
# thread (it stays in cache) and reduced there, so memory is threads x chunk values, whatever the
# number of rows and steps, and the whole sweep is one parallel region.

from libc.math cimport INFINITY, NAN, fabs

cdef enum:
    RED_SUM = 0
    RED_MIN = 1
    RED_MAX = 2
    RED_FINAL = 3
    RED_N = 4


cdef double _sum_block(const double* x, int64_t m) noexcept nogil:
    # Pairwise summation (as numpy's): eight running sums over blocks of <= 128 values, halves
    # combined recursively; the error grows with log2(m), not m.
    cdef double a0, a1, a2, a3, a4, a5, a6, a7, s
    cdef int64_t k, h
    if m > 128:
        h = (m >> 1) & ~(<int64_t>7)
        return _sum_block(x, h) + _sum_block(x + h, m - h)
    if m < 8:
        s = 0.0
        for k in range(m):
            s += x[k]
        return s
    a0, a1, a2, a3, a4, a5, a6, a7 = x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
    k = 8
    while k + 8 <= m:
        a0 += x[k]
        a1 += x[k + 1]
        a2 += x[k + 2]
        a3 += x[k + 3]
        a4 += x[k + 4]
        a5 += x[k + 5]
        a6 += x[k + 6]
        a7 += x[k + 7]
        k += 8
    s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
    while k < m:
        s += x[k]
        k += 1
    return s


cdef int64_t _minmax_block(const double* x, int64_t m, double* lo, double* hi) noexcept nogil:
    # lo[0] = min(lo[0], x[0:m]), hi[0] likewise, over four independent lanes (no loop-carried
    # chain of compare-selects); returns how many x are NaN (the caller then reports NaN).
    cdef double l0 = lo[0], l1 = lo[0], l2 = lo[0], l3 = lo[0]
    cdef double h0 = hi[0], h1 = hi[0], h2 = hi[0], h3 = hi[0], v0, v1, v2, v3
    cdef int64_t k = 0, nans = 0
    while k + 4 <= m:
        v0 = x[k]
        v1 = x[k + 1]
        v2 = x[k + 2]
        v3 = x[k + 3]
        nans += (v0 != v0) + (v1 != v1) + (v2 != v2) + (v3 != v3)
        l0 = v0 if v0 < l0 else l0
        l1 = v1 if v1 < l1 else l1
        l2 = v2 if v2 < l2 else l2
        l3 = v3 if v3 < l3 else l3
        h0 = v0 if v0 > h0 else h0
        h1 = v1 if v1 > h1 else h1
        h2 = v2 if v2 > h2 else h2
        h3 = v3 if v3 > h3 else h3
        k += 4
    while k < m:
        v0 = x[k]
        nans += v0 != v0
        l0 = v0 if v0 < l0 else l0
        h0 = v0 if v0 > h0 else h0
        k += 1
    l0 = l1 if l1 < l0 else l0
    l2 = l3 if l3 < l2 else l2
    lo[0] = l2 if l2 < l0 else l0
    h0 = h1 if h1 > h0 else h0
    h2 = h3 if h3 > h2 else h2
    hi[0] = h2 if h2 > h0 else h0
    return nans


cdef void _reduce_row(const _PlanRef* p, int64_t start, int64_t n, int64_t chunk, double* buf,
                      double* res) noexcept nogil:
    # res = [sum, min, max, final] of the values of steps start ... start+n-1 (n >= 1). Chunk sums
    # are added with Neumaier's compensation; min/max propagate NaN as numpy's do.
    cdef double total = 0.0, comp = 0.0, part, t, lo = INFINITY, hi = -INFINITY
    cdef int64_t c0 = 0, m = 0, nans = 0
    while c0 < n:
        m = n - c0 if n - c0 < chunk else chunk
        fill_plan(p.i, p.d, p.t, p.n, buf, start + c0, m)
        part = _sum_block(buf, m)
        t = total + part
        if t - t == 0.0:  # finite (an inf or NaN total needs no compensation, and would spoil it)
            if fabs(total) >= fabs(part):
                comp += (total - t) + part
            else:
                comp += (part - t) + total
        total = t
        nans += _minmax_block(buf, m, &lo, &hi)
        c0 += m
    res[RED_SUM] = total + comp
    if nans:
        lo = NAN
        hi = NAN
    res[RED_MIN] = lo
    res[RED_MAX] = hi
    res[RED_FINAL] = buf[m - 1]


cdef void _reduce_rows(const _PlanRef* refs, Py_ssize_t nrows, int64_t start, int64_t n,
                       int64_t chunk, double* scratch, int threads, double* res) noexcept nogil:
    cdef Py_ssize_t r
    if threads <= 1 or nrows <= 1:
        for r in range(nrows):
            _reduce_row(&refs[r], start, n, chunk, scratch, res + r * RED_N)
    else:
        for r in prange(nrows, num_threads=threads, schedule="dynamic", chunksize=1):
            _reduce_row(&refs[r], start, n, chunk, scratch + threadid() * chunk, res + r * RED_N)


def sweep_reduce_rows(plans, double[:, ::1] res, start, int64_t n, int64_t chunk,
                      double[:, ::1] scratch):
    """res[r] = (sum, min, max, final) of ``plans[r]``'s values at steps start ... start+n-1
    (n >= 1), computed ``chunk`` steps at a time in float64. ``scratch`` holds one chunk per
    thread: its row count is the thread count (rows run in parallel when OpenMP is compiled in;
    every thread count gives the same values) and it must have ``chunk`` columns. Returns `res`."""
    cdef int64_t s = _as_step(start, "start")
    cdef Py_ssize_t nrows, r
    cdef int threads
    cdef _PlanRef* refs = NULL
    cdef tuple keep = tuple(plans)
    nrows = len(keep)
    threads = <int>scratch.shape[0]
    if res.shape[0] != nrows or res.shape[1] != RED_N:
        raise ValueError(f"res must have shape ({nrows}, {RED_N}), got "
                         f"({res.shape[0]}, {res.shape[1]})")
    if n < 1 or chunk < 1 or threads < 1 or scratch.shape[1] != chunk:
        raise ValueError(f"need n >= 1, chunk >= 1 and a scratch of shape (threads >= 1, chunk); "
                         f"got n={n}, chunk={chunk}, scratch ({scratch.shape[0]}, "
                         f"{scratch.shape[1]})")
    _check_window(s, n)
    if nrows == 0:
        return res
    refs = _plan_refs(keep)
    try:
        with nogil:
            _reduce_rows(refs, nrows, s, n, chunk, &scratch[0, 0], threads, &res[0, 0])
    finally:
        free(refs)
    return res
