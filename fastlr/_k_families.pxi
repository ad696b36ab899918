# The kernel families, declared once.
#
# A family is a formula of the local step tau. Its parameters are two C structs: <Name>F (float64
# parameters, a row of the plan's float table) and <Name>I (int64 parameters, the columns of the
# plan's integer table after the header). The kernels read them by name; Python learns the names
# from family_layout() (the structs converted to dicts, in field order) and fastlr/plan.py packs
# segments by name. To add a family: a code in Family, its structs, its kernel, a branch in
# _k_family, its checks in _check_segment, and its row in fastlr/plan.py's FAMILIES
# (CONTRIBUTING.md lists every place).

cpdef enum Family:
    CONST = 0
    LINEAR = 1
    EXP = 2
    PLATEAU = 3
    COS2 = 4
    POLY = 5
    INVTIME = 6
    TRI = 7
    TANH = 8
    SHAPE = 9
    PRODUCT = 10
    CYCPOLY = 11

cdef int64_t _N_FAMILIES = CYCPOLY + 1

# Columns of the integer segment table: a header, then the family's integer parameters.
cdef enum:
    BEGIN = 0     # first global step of the segment
    OFFSET = 1    # local step of that first global step
    FAMILY = 2    # the Family code
    TAB = 3       # offset of the segment's tables in the plan's table array
    INTS = 4      # first integer parameter

import enum as _enum
Column = _enum.IntEnum("Column", {"BEGIN": BEGIN, "OFFSET": OFFSET, "FAMILY": FAMILY, "TAB": TAB,
                                  "INTS": INTS})
Column.__doc__ = "Columns of a plan's integer segment table (the header before the parameters)."

cdef enum:
    NI = 9        # columns of the integer table: INTS + at most 5 integer parameters
    NDBL = 6      # columns of the float table: at most 6 float parameters

N_INT_COLUMNS = NI
N_FLOAT_COLUMNS = NDBL

ctypedef struct ConstF:
    double value

ctypedef struct LinearF:
    double base     # value at tau = 0
    double slope    # per step, times 1/scale
    double scale    # 1, or 2**-600 for slopes that would be subnormal

ctypedef struct ExpF:
    double lr       # value at tau = 0
    double rate     # v = lr exp(-rate tau)

ctypedef struct PlateauF:
    double lr       # value of the first plateau
    double rate     # kind 0: the factor per plateau; kind 1: lr / (1 + rate m)

ctypedef struct PlateauI:
    int64_t size    # steps per plateau, >= 1
    int64_t kind    # 0 geometric, 1 inverse-time

ctypedef struct Cos2F:
    double low      # the floor
    double peak     # the value at phase 0 (of cycle 0)
    double w        # angular speed: pi / (2 half_period)
    double phase    # phase offset (fractional steps)
    double decay    # the peak's factor per cycle

ctypedef struct Cos2I:
    int64_t period  # steps per cycle; 0: not periodic

ctypedef struct PolyF:
    double low      # v = low + amp g(u / scale)
    double amp
    double scale
    double power
    double frac     # u = tau + frac (forward only; 0 <= frac < 1): a real offset, e.g. a timescale
                    # that is not a whole number of steps

ctypedef struct PolyI:
    int64_t anchor  # u = anchor - tau (reverse) or tau
    int64_t kind    # g: 0 x**power, 1 x, 2 x*x, 3 sqrt(x), 4 1/sqrt(x)
    int64_t reverse # 0 or 1
    int64_t series  # 0: none; 1: the table holds binom(power, m), m < 10 (kinds 0, 3, 4); 13..16: that,
                    # and four terms are good to 1e-17 for |r| <= 1.016 / 2**series (see _k_poly)
    int64_t shift   # with series: the anchor grid's scale gs in 10..16 (10 unless |power| is large;
                    # see _k_poly): ten terms for |r| <= 2**(4 - gs), six for |r| < 1.1e-3 2**(10 - gs)

ctypedef struct InvTimeF:
    double lr       # v = lr / (1 + rate tau)
    double rate

ctypedef struct TriF:
    double base     # v = base + amp frac scale
    double amp
    double gamma    # exp_range: scale = gamma**tau

ctypedef struct TanhF:
    double low      # v = low + amp / (1 + exp(2 (x0 + dx tau)))  (= low + amp (1 - tanh(x)) / 2);
                    # tables: exp(2 dx 64 i), exp(2 dx j) for i, j < 64
    double amp
    double x0
    double dx

ctypedef struct ShapeF:
    double low      # with u = tau + phase and y = 1 - (u / end)**k (0 from u = end on):
    double amp      # kind 0: v = low + amp sin²(π y / 2)**p  (= cos²(π (u/end)**k / 2)**p);
    double end      # kind 1 and 2: v = low + amp y**p
    double phase    # kind 2: the fraction of the distance to the end (see ShapeI.rest)
    double k
    double p

ctypedef struct ShapeI:
    int64_t kind    # 0 cosine, 1 polynomial, 2 polynomial from the distance to the end
    int64_t rest    # kind 2: the distance to the end is d = (rest - tau) + phase, u = end - d;
                    # kind 0 with series 2 and p = 1: the power-law flags of _shape_series
                    # (series + 256 * shift; 0: none) for the blocks near the ends
    int64_t series  # kinds 0 and 1 with p = 1: (u / end)**k on the power-law kernel, with POLY's
    int64_t shift   # series and shift for the power k (the table: binom(k, m), m < 10); kind 2
                    # with k = 1, p != 1: (d / end)**p on it (binom(p, m)); kind 0 with k = 1,
                    # p != 1, kind 0 with k != 1 and kind 1 with p != 1: series 2, anchored
                    # series, shift = s10 + 256 s6 (ten and six terms; no table;
                    # _shape_anchored)

ctypedef struct ProductI:
    int64_t a_rows  # factor a: the plan rows [row + a_first, row + a_first + a_rows) (local steps)
    int64_t a_first
    int64_t b_rows  # factor b: likewise (rows after this one: products cannot loop)
    int64_t b_first
    int64_t op      # how a and b combine (Op): a * b, a + b, max(a, b), a ** b


# The operations of a PRODUCT row on its two factors' float64 values, rounded once.
cpdef enum Op:
    OP_PRODUCT = 0    # a * b
    OP_SUM = 1        # a + b
    OP_MAX = 2        # max(a, b) (a where a >= b, else b)
    OP_POWER = 3      # pow(a, b)

cdef int64_t _N_OPS = OP_POWER + 1

ctypedef struct TriI:
    int64_t up      # steps up, >= 1
    int64_t down    # steps down, >= 1; up + down < 2**52
    int64_t mode    # 0 triangular, 1 triangular2 (scale 0.5**cycle), 2 exp_range

ctypedef struct CycPolyF:
    double low      # v = low + amp x**power, x = (k D - tau) / (k D), k = max(1, ceil(tau / D))
    double amp
    double power    # kind 0 (pow)

ctypedef struct CycPolyI:
    int64_t period  # D >= 1: cycle k covers (k-1) D < tau <= k D (tau = 0 in cycle 1)
    int64_t kind    # x**power by: 0 pow, 1 n multiplications (integer power n), 2 sqrt
    int64_t n       # kind 1: the integer power, 0 ... 16
    int64_t series  # kinds 0 and 2: as PolyI.series (the table holds binom(power, m), m < 10): each
    int64_t shift   # cycle of more than _CYC_SMALL steps runs _k_poly's anchored series (kind 2 as
                    # _k_poly's kind 3: sqrt on the anchors); 0: pow or sqrt per step


def family_layout():
    """{Family: (float parameter names, integer parameter names)}: the fields of each family's
    parameter structs, in the order of the plan's columns."""
    cdef ConstF c
    cdef LinearF l
    cdef ExpF e
    cdef PlateauF pf
    cdef PlateauI pi
    cdef Cos2F cf
    cdef Cos2I ci
    cdef PolyF qf
    cdef PolyI qi
    cdef InvTimeF it
    cdef TriF tf
    cdef TriI ti
    cdef TanhF hf
    cdef ShapeF sf
    cdef ShapeI si
    cdef ProductI xi
    cdef CycPolyF yf
    cdef CycPolyI yi
    memset(&yf, 0, sizeof(yf)); memset(&yi, 0, sizeof(yi))
    memset(&hf, 0, sizeof(hf)); memset(&sf, 0, sizeof(sf)); memset(&si, 0, sizeof(si))
    memset(&xi, 0, sizeof(xi))
    memset(&c, 0, sizeof(c)); memset(&l, 0, sizeof(l)); memset(&e, 0, sizeof(e))
    memset(&pf, 0, sizeof(pf)); memset(&pi, 0, sizeof(pi)); memset(&cf, 0, sizeof(cf))
    memset(&ci, 0, sizeof(ci)); memset(&qf, 0, sizeof(qf)); memset(&qi, 0, sizeof(qi))
    memset(&it, 0, sizeof(it)); memset(&tf, 0, sizeof(tf)); memset(&ti, 0, sizeof(ti))
    layout = {
        Family.CONST: (tuple(<dict>c), ()),
        Family.LINEAR: (tuple(<dict>l), ()),
        Family.EXP: (tuple(<dict>e), ()),
        Family.PLATEAU: (tuple(<dict>pf), tuple(<dict>pi)),
        Family.COS2: (tuple(<dict>cf), tuple(<dict>ci)),
        Family.POLY: (tuple(<dict>qf), tuple(<dict>qi)),
        Family.INVTIME: (tuple(<dict>it), ()),
        Family.TRI: (tuple(<dict>tf), tuple(<dict>ti)),
        Family.TANH: (tuple(<dict>hf), ()),
        Family.SHAPE: (tuple(<dict>sf), tuple(<dict>si)),
        Family.PRODUCT: ((), tuple(<dict>xi)),
        Family.CYCPOLY: (tuple(<dict>yf), tuple(<dict>yi)),
    }
    assert len(layout) == _N_FAMILIES
    for floats, ints in layout.values():
        assert len(floats) <= NDBL and INTS + len(ints) <= NI
    return layout


cdef str _check_segment(const int64_t* seg, const double* d, Py_ssize_t ntab):
    """None if the kernel can run this segment safely, else what is wrong: the family code, the
    integer parameters the kernel divides or indexes by, and the reach of its tables. (Float
    parameters cannot crash a kernel: at worst they give inf or NaN, which the schedule classes
    rule out.)"""
    cdef int64_t fam = seg[FAMILY], need = 0
    cdef const int64_t* g = seg + INTS
    if fam < 0 or fam >= _N_FAMILIES:
        return f"unknown family code {fam}"
    if fam == EXP:
        need = 128
    elif fam == PLATEAU:
        if g[0] < 1 or g[1] not in (0, 1):
            return f"PLATEAU needs size >= 1 and kind 0 or 1, got {g[0]}, {g[1]}"
        need = 128 if g[1] == 0 else 0
    elif fam == COS2:
        if g[0] < 0:
            return f"COS2 needs period >= 0, got {g[0]}"
        need = 256
    elif fam == POLY:
        if g[1] < 0 or g[1] > 4 or g[2] not in (0, 1) or not (0 <= g[3] <= 1 or 13 <= g[3] <= 16) or g[0] < 0:
            return f"POLY needs anchor >= 0, kind 0..4, reverse 0/1 and series 0, 1 or 13..16, got {g[0]}, {g[1]}, {g[2]}, {g[3]}"
        if g[3] and g[1] not in (0, 3, 4):
            return "POLY series tables serve kinds 0, 3 and 4 only"
        if g[3] and not 10 <= g[4] <= 16:
            return f"POLY with series needs shift 10..16, got {g[4]}"
        if g[2] and d[4] != 0.0:
            return f"POLY's real offset frac is for forward segments only, got frac={d[4]!r} reversed"
        need = 10 if g[3] else 0
    elif fam == TRI:
        if g[0] < 1 or g[1] < 1 or g[0] > 2**51 or g[1] > 2**51 or g[2] < 0 or g[2] > 2:
            return f"TRI needs 1 <= up, down <= 2**51 and mode 0..2, got {g[0]}, {g[1]}, {g[2]}"
        need = 128 if g[2] == 2 else 0
    elif fam == TANH:
        need = 128
    elif fam == SHAPE:
        if g[0] not in (0, 1, 2) or g[1] < 0:
            return f"SHAPE needs kind 0, 1 or 2 and rest >= 0, got {g[0]}, {g[1]}"
        if g[2] == 2:
            if not (g[0] == 0 and (d[4] != 1.0 or d[5] != 1.0) or g[0] == 1 and d[5] != 1.0) \
                    or not 4 <= (g[3] & 255) <= 13 or not (g[3] >> 8 == 0 or 4 <= g[3] >> 8 <= 20):
                return (f"SHAPE series 2 (anchored series) needs kind 0 (k != 1 or p != 1) or "
                        f"kind 1 with p != 1, and shifts 4..13 (+ 256 * (0 or 4..20)), got kind "
                        f"{g[0]}, k={d[4]!r}, p={d[5]!r}, shift {g[3]}")
            if g[1] and (g[0] != 0 or d[4] == 1.0 or d[5] != 1.0 or not (
                    (g[1] & 255 == 1 or 13 <= g[1] & 255 <= 16) and 10 <= g[1] >> 8 <= 16
                    and g[1] < 65536 and 0.0 < d[4] <= 4.0)):
                return (f"SHAPE series 2 carries the power-law flags of (u / end)**k in rest "
                        f"(series + 256 * shift) for kind 0 with p = 1 and 0 < k <= 4 only, got "
                        f"rest {g[1]}, kind {g[0]}, k={d[4]!r}, p={d[5]!r}")
        elif g[2] and (not (g[2] == 1 or 13 <= g[2] <= 16) or not 10 <= g[3] <= 16):
            return f"SHAPE series needs series 1, 2 or 13..16 and shift 10..16, got {g[2]}, {g[3]}"
        if g[2] and g[0] == 2 and (d[4] != 1.0 or d[5] == 1.0 or not d[5] > 0.0):
            return f"SHAPE kind 2 takes series for k = 1 and p > 0, p != 1 only, got k={d[4]!r}, p={d[5]!r}"
        need = 10 if g[2] and (g[2] != 2 or g[1] & 255) else 0
    elif fam == PRODUCT:
        if g[4] < 0 or g[4] >= _N_OPS:
            return f"PRODUCT needs op 0..{_N_OPS - 1}, got {g[4]}"
    elif fam == CYCPOLY:
        if g[0] < 1 or g[1] < 0 or g[1] > 2 or (g[1] == 1 and (g[2] < 0 or g[2] > 16)):
            return f"CYCPOLY needs period >= 1, kind 0..2 and (kind 1) 0 <= n <= 16, got {g[0]}, {g[1]}, {g[2]}"
        if g[3] and (g[1] not in (0, 2) or not (g[3] == 1 or 13 <= g[3] <= 16) or not 10 <= g[4] <= 16):
            return f"CYCPOLY series needs kind 0 or 2, series 1 or 13..16 and shift 10..16, got {g[1]}, {g[3]}, {g[4]}"
        need = 10 if g[3] else 0
    # PRODUCT's row ranges are checked by Plan (they need the plan's size)
    if need and (seg[TAB] < 0 or seg[TAB] > ntab - need):
        return f"tables needed at [{seg[TAB]}, {seg[TAB] + need}) of a table array of {ntab}"
    return None


# --------------------------------------------------------------------------------------------
# Family kernels: fill out[0:n] with the values of local steps tau ... tau+n-1
# --------------------------------------------------------------------------------------------

cdef inline void _k_const(floating* out, int64_t n, const ConstF* f) noexcept nogil:
    cdef floating v = <floating>f.value
    cdef int64_t k
    for k in range(n):
        out[k] = v


cdef inline void _iota(double* d) noexcept nogil:
    # d[j] = j for j < 64: a kernel's local copy (provably not aliased by `out`). An exact step
    # x0 + d[j] (x0 an integer-valued double below 2**53) costs one add per step where
    # <double>(q + j) costs an integer add and a conversion, the slowest part of a vectorised
    # ramp; the values are the same integers, so the bits are the same.
    cdef int j
    for j in range(64):
        d[j] = <double>j


cdef void _k_linear(floating* out, int64_t tau, int64_t n, const LinearF* f) noexcept nogil:
    # v = base + slope * tau * scale, evaluated as (base + (slope * tau0) * scale)
    # + (slope * (tau - tau0)) * scale with tau0 on the 4096-grid: a multiply-add per step from a
    # small exact integer, the same bits for any window. scale is 1 unless the slope would be
    # subnormal: then slope is the true slope * 2**600 and scale = 2**-600 (exact scalings), so tiny
    # rates keep full precision.
    cdef double a = f.base, b = f.slope, sc = f.scale, base, x0
    cdef double iota[64]
    cdef int64_t k = 0, t, t0
    cdef int kk, m, q, j0, mm
    _iota(iota)
    while k < n:
        t = tau + k
        t0 = t & ~(_BLOCK - 1)
        q = <int>(t - t0)
        m = <int>(_BLOCK - q) if n - k > _BLOCK - q else <int>(n - k)
        if sc == 1.0:
            base = a + b * <double>t0
            for j0 in range(0, m, 64):
                x0 = <double>(q + j0)
                mm = m - j0 if m - j0 < 64 else 64
                for kk in range(mm):
                    out[k + j0 + kk] = <floating>(base + b * (x0 + iota[kk]))
        else:
            base = a + (b * <double>t0) * sc
            for kk in range(m):
                out[k + kk] = <floating>(base + (b * <double>(q + kk)) * sc)
        k += m


cdef inline double _exp_value(double lr, double rate, double t) noexcept nogil:
    """lr exp(-rate t), also where exp(-rate t) alone leaves the double range but the product
    does not (a decay from a huge lr, growth from a tiny one): then exp(log(lr) - rate t)."""
    cdef double e = exp(-rate * t)
    if lr == 0.0:
        return 0.0
    if e > 2.2250738585072014e-308 and e < 1.7976931348623157e308:
        return lr * e
    return exp(log(lr) - rate * t)


cdef void _k_exp(floating* out, int64_t tau, int64_t n, const ExpF* f,
                 const double* tab) noexcept nogil:
    # v = lr * exp(-rate * tau) = (lr * exp(-rate * p0)) * E[i] * e[j],  tau = p0 + 64 i + j
    cdef const double* big = tab
    cdef double small[64]   # a local copy: provably not aliased by `out`, so loops vectorize cleanly
    cdef double a, ai
    cdef int64_t k = 0, p, p0, q
    cdef int i, j, m, jj
    if fabs(f.rate) * 4032.0 > 700.0:
        # steep: the tables' factors exp(-rate 64 i) leave the double range, so no tables
        for k in range(n):
            out[k] = <floating>_exp_value(f.lr, f.rate, <double>(tau + k))
        return
    for jj in range(64):
        small[jj] = tab[64 + jj]
    while k < n:
        p = tau + k
        p0 = p & ~(_BLOCK - 1)
        a = _exp_value(f.lr, f.rate, <double>p0)
        if a == 0.0 and f.rate >= 0.0:
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


cdef void _k_plateau(floating* out, int64_t tau, int64_t n, const PlateauF* f,
                     const PlateauI* g, const double* tab) noexcept nogil:
    # m = floor(tau / size); kind 0: v = lr * rate**m (anchored geometric);
    # kind 1: v = lr / (1 + rate m)
    cdef int64_t size = g.size, kind = g.kind
    cdef int64_t k = 0, m = tau // size, r = tau - m * size, run, jj, m0, cur = -1
    cdef double a = 0.0, gi, gj
    cdef floating v
    while k < n:
        if kind == 0:
            # lr * gamma**m = ((lr * gamma**m0) * gamma**(64 i)) * gamma**j for m = m0 + 64 i + j
            # with m0 on the 4096-grid: the anchor exponent is exact in double and the anchor is
            # computed once per 4096 plateaus; every factor is one rounding
            m0 = m & ~(_BLOCK - 1)
            if m0 != cur:
                a = _scaled_pow(f.lr, f.rate, m0)
                cur = m0
            gi = tab[(m - m0) >> 6]
            gj = tab[64 + ((m - m0) & 63)]
            if a == 0.0 and f.rate <= 1.0:
                v = 0  # lr gamma**m0 underflowed and gamma <= 1: so has every later plateau
            elif fabs(a) <= 1.7e308 and 0.0 < gi <= 1.7e308 and 0.0 < gj <= 1.7e308:
                v = <floating>((a * gi) * gj)
            else:
                v = <floating>_scaled_pow(f.lr, f.rate, m)  # a table factor left the double range
        else:
            v = <floating>(f.lr / (1.0 + f.rate * <double>m))
        run = size - r
        if run > n - k:
            run = n - k
        for jj in range(run):
            out[k + jj] = v
        k += run
        m += 1
        r = 0


cdef void _k_cos2(floating* out, int64_t tau, int64_t n, const Cos2F* f, const Cos2I* g,
                  const double* tab) noexcept nogil:
    # v = low + (peak * decay**c - low) * cos(w * (p + phase))**2,  p = tau mod period,
    # c = tau div period (period 0: p = tau, c = 0). cos(w * (p0 + 64 i + j + phase)) by angle
    # addition from the anchor p0 (libm) and two tables.
    cdef int64_t period = g.period
    cdef const double* bc = tab
    cdef const double* bs = tab + 64
    cdef double sc[64]   # local copies: provably not aliased by `out`
    cdef double ss[64]
    cdef double lo = f.low, amp, w = f.w, off = f.phase
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
        amp = (f.peak * pow(f.decay, <double>cyc) if f.decay != 1.0 else f.peak) - lo
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
    if u >= anchor - u:   # u >= anchor / 2 (as 2 u it would overflow once u > 2**62)
        return exp(e * log1p(-<double>(anchor - u) * inv))
    return pow(<double>u * inv, e)


cdef void _poly_direct(floating* out, int64_t u0, double sgn, int64_t n, double a, double b,
                       double inv, int64_t kind, double e, int64_t anchor, double fr,
                       bint near1) noexcept nogil:
    # out[k] = a + b * g((u0 + sgn k + fr) * inv) for k < n; u0 + n < 2**53 (exact in double).
    # A general power of x = u / d2 counting down (reverse) goes through _reverse_power when
    # near1 (d2 == anchor: x = 1 at u = anchor), else pow. A real offset fr is added to the exact
    # integer u0 + sgn k: one rounding, whatever the window. The step runs 64 at a
    # time as xs + sio[j] (sio[j] = sgn j): the exact integer u0 + sgn k without a conversion per
    # step (the same bits).
    cdef double sio[64]
    cdef double xs, x
    cdef int64_t done = 0
    cdef int j, m
    for j in range(64):
        sio[j] = sgn * <double>j
    while done < n:
        m = <int>(n - done if n - done < 64 else 64)
        xs = <double>u0 + sgn * <double>done
        if fr != 0.0 and kind == 3:
            for j in range(m):
                out[done + j] = <floating>(a + b * sqrt(((xs + sio[j]) + fr) * inv))
        elif fr != 0.0:
            for j in range(m):
                out[done + j] = <floating>(a + b * _poly_g(((xs + sio[j]) + fr) * inv, kind, e))
        elif kind == 1:
            for j in range(m):
                out[done + j] = <floating>(a + b * ((xs + sio[j]) * inv))
        elif kind == 2:
            for j in range(m):
                x = (xs + sio[j]) * inv
                out[done + j] = <floating>(a + b * (x * x))
        elif kind == 3:
            for j in range(m):
                out[done + j] = <floating>(a + b * sqrt((xs + sio[j]) * inv))
        elif kind == 4:
            for j in range(m):
                out[done + j] = <floating>(a + b / sqrt((xs + sio[j]) * inv))
        elif sgn < 0.0 and near1:
            for j in range(m):
                out[done + j] = <floating>(
                    a + b * _reverse_power(u0 - done - j, anchor, inv, e))
        else:
            for j in range(m):
                out[done + j] = <floating>(a + b * pow((xs + sio[j]) * inv, e))
        done += m


cdef inline void _post_store(floating* out, const double* x, int m, const ShapeF* sf,
                             int64_t skind) noexcept nogil:
    # SHAPE's values from x = (u / end)**k (see _shape_series): kind 0 low + amp cos²(π x / 2),
    # kind 1 low + amp max(1 - x, 0)
    cdef double lo = sf.low, amp = sf.amp, c
    cdef int j
    if skind == 0:
        for j in range(m):
            c = _cos_half_pi(x[j])
            out[j] = <floating>(lo + amp * (c * c))
    else:
        for j in range(m):
            c = 1.0 - x[j]
            c = c if c > 0.0 else 0.0
            out[j] = <floating>(lo + amp * c)


cdef void _poly_direct_post(floating* out, int64_t u0, double sgn, int64_t n, double a, double b,
                            double inv, int64_t kind, double e, int64_t anchor, double fr,
                            bint near1, const ShapeF* sf, int64_t skind) noexcept nogil:
    # _poly_direct, then SHAPE's transform (sf != NULL), 64 steps at a time through a local buffer
    cdef double xb[64]
    cdef int64_t done = 0, m
    if sf == NULL:
        _poly_direct(out, u0, sgn, n, a, b, inv, kind, e, anchor, fr, near1)
        return
    while done < n:
        m = n - done if n - done < 64 else 64
        _poly_direct(&xb[0], u0 + <int64_t>sgn * done, sgn, m, a, b, inv, kind, e, anchor, fr,
                     near1)
        _post_store(out + done, &xb[0], <int>m, sf, skind)
        done += m


cdef inline double _series10(double r, double c0, double c1, double c2, double c3, double c4,
                             double c5, double c6, double c7, double c8, double c9) noexcept nogil:
    # sum_m c_m r**m, m <= 9: terms 3..9 in Estrin's scheme (a short dependency chain), 0..2 by
    # Horner (the last roundings, near 1)
    cdef double r2 = r * r
    cdef double r4 = r2 * r2
    cdef double P = ((((c3 + c4 * r) + (c5 + c6 * r) * r2) + ((c7 + c8 * r) + c9 * r2) * r4)
                     * r + c2) * r
    return (P + c1) * r + c0


cdef inline double _series6(double r, double c0, double c1, double c2, double c3, double c4,
                            double c5) noexcept nogil:
    # sum_m c_m r**m, m <= 5, as _series10
    return ((((c3 + c4 * r) + c5 * (r * r)) * r + c2) * r + c1) * r + c0


cdef inline void _k_poly(floating* out, int64_t tau, int64_t n, const PolyF* f, const PolyI* g,
                         const double* coef) noexcept nogil:
    _k_poly_post(out, tau, n, f, g, coef, NULL, 0)


cdef void _k_poly_post(floating* out, int64_t tau, int64_t n, const PolyF* f, const PolyI* g,
                       const double* coef, const ShapeF* sf, int64_t skind) noexcept nogil:
    # With sf != NULL (SHAPE, see _shape_series) each value a + b g(x) is handed, in float64, to
    # _post_store instead of being stored: the same x, SHAPE's value from it, one pass over out.
    #
    # x = u / scale with u = anchor - tau (reverse) or u = tau + frac;  v = low + amp * g(x), g by
    # kind: 0: x**power, 1: x, 2: x*x, 3: sqrt(x), 4: 1/sqrt(x). u - frac is an exact integer; the
    # anchors below are at integer steps t0 and take u0 = t0 + frac (one rounding, on the grid).
    #
    # With series (a power series is accurate for this exponent), kinds 0 and 4 avoid a pow or
    # sqrt per step once u >= 512 (kind 4 takes 1/sqrt on the anchors; kind 3, sqrt, uses the
    # series in the four-term tier only and sqrt per step elsewhere): on a grid of anchors t0,
    # u = u0 (1 + r) with r = +-(t - t0)/u0,
    #   x**p = (u0 / d2)**p * sum_m binom(p, m) r**m      (coef[m] = binom(p, m)),
    # with m <= 9 and |r| <= 1/64 (anchors every 8, 64 ... 512 steps, u0 >= 64 G) while
    # u < 2**16 at the 4096-block start, then m <= 5 and |r| < 1.1e-3 (anchors every 64 ... 4096
    # steps, growing with u); below u0 = 512 the direct formula. These are the thresholds of
    # shift gs = 10; a large |power| takes a larger gs (every threshold above times 2**(gs - 10),
    # every |r| bound divided by it). The grid depends on the step only, so every window gives the
    # same bits; both truncation errors are below 1e-17 (checked when the plan is built).
    cdef int64_t anchor = g.anchor, kind = g.kind, k = 0, t, t0, tb, u0, ub, q, run, G
    cdef int64_t S, H = 32, t1, cached = -1, gs = g.shift, ds = g.shift - 4, umin
    cdef bint deg9
    cdef bint rev = g.reverse != 0
    # counting down to x = 1 at u = anchor (Polynomial: scale == anchor) the log1p form serves near
    # x = 1; a cycle of CyclicPolynomial past the first has scale k D > anchor D, x <= 1/2: pow
    cdef bint near1 = rev and <double>g.anchor == f.scale and f.frac == 0.0
    cdef double a = f.low, b = f.amp, inv = 1.0 / f.scale, e = f.power, fr = f.frac, sgn, A, st, r
    cdef double Ab = 0.0, stb = 0.0, e1, e2, e3, x0
    cdef double c0, c1, c2, c3, c4, c5, c6, c7, c8, c9
    cdef double iota[64]
    cdef double xb[64]      # with sf: the float64 values of a 64-step run, before _post_store
    cdef int kk, m, j0, mm
    sgn = -1.0 if rev else 1.0
    if not g.series:
        u0 = anchor - tau if rev else tau
        if u0 <= _TWO53 - n and anchor <= _TWO53:
            _poly_direct_post(out, u0, sgn, n, a, b, inv, kind, e, anchor, fr, near1, sf, skind)
        else:   # (never with sf: SHAPE's steps are below 2**53)
            for k in range(n):
                if near1 and kind == 0:
                    out[k] = <floating>(a + b * _reverse_power(u0 - k, anchor, inv, e))
                else:
                    out[k] = <floating>(
                        a + b * _poly_g((<double>(u0 + <int64_t>sgn * k) + fr) * inv, kind, e))
        return
    c0, c1, c2, c3, c4 = coef[0], coef[1], coef[2], coef[3], coef[4]
    c5, c6, c7, c8, c9 = coef[5], coef[6], coef[7], coef[8], coef[9]
    _iota(iota)
    S = g.series     # 13..16: the four-term tier below is good to 1e-17 for |r| <= 1.016 / 2**S
    while k < n:
        t = tau + k
        tb = t & ~(_BLOCK - 1)
        ub = anchor - tb if rev else tb
        if S >= 13 and ub >= (<int64_t>32 << S):
            # far from 0 (u >= 32 * 2**S >= 2**18): anchors every G = 2**floor(log2(ub / 1024))
            # steps (64 ... 4096, as below), A_0 = b (u_0 / d2)**p; sub-anchors every
            # H = 2**floor(log2(ub / 2**S)) steps (32 ... G) from it by the six-term series
            # (|r| < G / u_0 < 1.1e-3, as below), and four terms of the series within a sub-run
            # (|r| < H / u_1 <= 1.016 / 2**S, u_1 >= ub - 4095 >= ub (1 - 1/64)), as a cubic in the
            # step: fewer operations per step than six terms, the same grid for every window
            # (A_0, A_1 and the cubic's coefficients depend on the anchor and sub-anchor only)
            G = 64
            while G < _BLOCK and (G << 1) <= (ub >> gs):
                G <<= 1
            t0 = t & ~(G - 1)
            if t0 != cached:
                cached = t0
                u0 = anchor - t0 if rev else t0
                if kind == 4:
                    Ab = b / sqrt((<double>u0 + fr) * inv)
                elif kind == 3:
                    Ab = b * sqrt((<double>u0 + fr) * inv)
                elif near1 and gs > 10:
                    Ab = b * _reverse_power(u0, anchor, inv, e)
                else:
                    Ab = b * pow((<double>u0 + fr) * inv, e)
                stb = sgn / (<double>u0 + fr)
                H = 32
                while H < G and (H << 1) <= (ub >> S):
                    H <<= 1
            t1 = t & ~(H - 1)
            r = <double>(t1 - t0) * stb
            A = Ab * (((((c5 * r + c4) * r + c3) * r + c2) * r + c1) * r + c0)
            u0 = anchor - t1 if rev else t1
            st = sgn / (<double>u0 + fr)
            # A (c0 + c1 r + c2 r**2 + c3 r**3) with r = j st, as a cubic in the exact j = t - t1
            # (c0 = 1): e_i = A c_i st**i, folded once per sub-run
            e1 = A * (c1 * st)
            e2 = A * (c2 * (st * st))
            e3 = A * (c3 * (st * (st * st)))
            q = t - t1
            run = H - q
            if run > n - k:
                run = n - k
            m = <int>run
            for j0 in range(0, m, 64):
                x0 = <double>(<int>q + j0)
                mm = m - j0 if m - j0 < 64 else 64
                if sf == NULL:
                    for kk in range(mm):
                        r = x0 + iota[kk]
                        out[k + j0 + kk] = <floating>(a + (((e3 * r + e2) * r + e1) * r + A))
                else:
                    for kk in range(mm):
                        r = x0 + iota[kk]
                        xb[kk] = a + (((e3 * r + e2) * r + e1) * r + A)
                    _post_store(out + k + j0, &xb[0], mm, sf, skind)
            k += run
            continue
        if kind == 3 and ub < (<int64_t>1 << 52):
            # sqrt outside the four-term tier: a vector sqrt per step costs less than the six- or
            # ten-term series (A/B: 1e5 steps 0.72 ns/value by sqrt, 1.0 by the series); the
            # choice is per 4096-step block (ub), so every window gives the same bits
            run = tb + _BLOCK - t
            if run > n - k:
                run = n - k
            _poly_direct_post(out + k, anchor - t if rev else t, sgn, run, a, b, inv, kind, e,
                              anchor, fr, near1, sf, skind)
            k += run
            continue
        if ub >= (<int64_t>64 << gs):
            # anchors every G = 2**floor(log2(ub / 2**gs)) steps (64 ... 4096), so
            # |r| < 1.1e-3 * 2**(10 - gs) and six terms of the series suffice; an anchor per G steps
            # amortises its pow/sqrt (gs = 10: from u = 65536 on; larger for large |power|)
            G = 64
            while G < _BLOCK and (G << 1) <= (ub >> gs):
                G <<= 1
            t0 = t & ~(G - 1)
            deg9 = False
        else:
            # 10 terms, |r| <= 2**-ds (ds = gs - 4; 1/64 for gs = 10): anchors every
            # G = 2**floor(log2(umin / 2**ds)) steps (128 ... 512 for gs = 10) where the smallest u
            # of the block, umin, is at least 128 * 2**ds (every anchor of the block has
            # u0 >= umin: forward u0 >= ub, counting down u0 >= u >= ub - 4095), else every 64
            # steps while u >= 64 * 2**ds, every 8 steps while u >= 8 * 2**ds (an anchor per 8
            # steps still beats a pow per step)
            umin = ub - (_BLOCK - 1) if rev else ub
            G = 64
            while G < _BLOCK and (G << 1) <= (umin >> ds):
                G <<= 1
            t0 = t & ~(G - 1)
            deg9 = True
            if G == 64 and (anchor - t0 if rev else t0) < (<int64_t>64 << ds):
                # near u = 0 anchors would come every 8 steps, each with a division and a
                # square root: for 1/sqrt the vectorised formula per step costs less (A/B: the
                # first 3096 steps of InverseSqrt(0.1, 1000) 1.66 -> 1.05 ns/value; beyond
                # u = 4096 it is no faster than the series) and rounds better. The choice is the
                # 64-step group's (t0): every window gives the same bits.
                if kind == 4:
                    run = t0 + 64 - t
                    if run > n - k:
                        run = n - k
                    _poly_direct_post(out + k, anchor - t if rev else t, sgn, run, a, b, inv,
                                      kind, e, anchor, fr, near1, sf, skind)
                    k += run
                    continue
                t0 = t & ~(<int64_t>7)
                G = 8
        u0 = anchor - t0 if rev else t0
        q = t - t0
        run = G - q
        if run > n - k:
            run = n - k
        if u0 < (G << ds):
            # too close to 0 for the series: the direct formula (u < 2**53 here)
            _poly_direct_post(out + k, anchor - t if rev else t, sgn, run, a, b, inv, kind, e,
                              anchor, fr, near1, sf, skind)
            k += run
            continue
        if kind == 4:
            A = b / sqrt((<double>u0 + fr) * inv)
        elif kind == 3:
            A = b * sqrt((<double>u0 + fr) * inv)
        elif near1 and gs > 10:
            # a large power (gs > 10: power >= 7 counting down) multiplies the rounding of
            # x = u0 / d2 near 1 by the power: the anchor goes through log1p as the direct path
            A = b * _reverse_power(u0, anchor, inv, e)
        else:
            A = b * pow((<double>u0 + fr) * inv, e)
        st = sgn / (<double>u0 + fr)
        m = <int>run
        for j0 in range(0, m, 64):
            # r = (q + j) st with the exact integer q + j as x0 + iota[kk] (no conversion per step)
            x0 = <double>(<int>q + j0)
            mm = m - j0 if m - j0 < 64 else 64
            if deg9 and sf == NULL:
                for kk in range(mm):
                    r = (x0 + iota[kk]) * st
                    out[k + j0 + kk] = <floating>(
                        a + A * _series10(r, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9))
            elif deg9:
                for kk in range(mm):
                    r = (x0 + iota[kk]) * st
                    xb[kk] = a + A * _series10(r, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9)
                _post_store(out + k + j0, &xb[0], mm, sf, skind)
            elif sf == NULL:
                for kk in range(mm):
                    r = (x0 + iota[kk]) * st
                    out[k + j0 + kk] = <floating>(a + A * _series6(r, c0, c1, c2, c3, c4, c5))
            else:
                for kk in range(mm):
                    r = (x0 + iota[kk]) * st
                    xb[kk] = a + A * _series6(r, c0, c1, c2, c3, c4, c5)
                _post_store(out + k + j0, &xb[0], mm, sf, skind)
        k += run


cdef void _k_invtime(floating* out, int64_t tau, int64_t n, const InvTimeF* f) noexcept nogil:
    # v = lr / (1 + rate * tau)
    cdef double a = f.lr, r = f.rate, x0
    cdef double iota[64]
    cdef int64_t k, done = 0
    cdef int kk, m
    if tau <= _TWO53 - n:
        _iota(iota)
        while done < n:
            m = <int>(n - done if n - done < 64 else 64)
            x0 = <double>(tau + done)
            for kk in range(m):
                out[done + kk] = <floating>(a / (1.0 + r * (x0 + iota[kk])))
            done += m
    else:
        for k in range(n):
            out[k] = <floating>(a / (1.0 + r * <double>(tau + k)))


cdef void _k_tri(floating* out, int64_t tau, int64_t n, const TriF* f, const TriI* g,
                 const double* tab) noexcept nogil:
    # Smith's triangular cycle (period up + down, phase p = tau mod period, cycle c = tau div period):
    # x = p on the way up (p < up), period - p on the way down; slope = amp / up or amp / down;
    # v = base + (slope * x) * scale,  scale = 1 | 0.5**c | gamma**tau   (mode 0 | 1 | 2);
    # at the top (p = up) v = base + amp * scale.
    # Periods are < 2**52 (validated), so phases are exact in double.
    cdef int64_t up = g.up, down = g.down, mode = g.mode
    cdef int64_t period = up + down, k = 0, t, c, p, run, done, e
    cdef double base = f.base, sc = 1.0, x0, xs, x1, sgn, slope, a = 0.0, ai = 0.0, post, scp
    cdef double gj[64]   # gamma**j, a local copy (exp_range)
    cdef double iota[64]
    cdef int kk, m, j, jj, r, j0, mm
    _iota(iota)
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
            # the top of the cycle: frac = 1 exactly, so the value is base + amp * scale (max_lr
            # when the scale is 1), not base + (amp / up) * up
            if mode == 2:
                e = t & ~(_BLOCK - 1)
                sc = (pow(f.gamma, <double>e) * tab[(t - e) >> 6]) * gj[t & 63]
            out[k] = <floating>(base + f.amp * sc)
            k += 1
            continue
        if p < up:
            run = up - p
            x0 = <double>p
            sgn = 1.0
            slope = f.amp / <double>up
        else:
            run = period - p
            x0 = <double>(period - p)
            sgn = -1.0
            slope = f.amp / <double>down
        # a slope below the normal range (a tiny amp over a long ramp) would keep few bits: then
        # the slope is taken times 2**600 and the scale times 2**-600 (exact powers of two)
        post = 1.0
        if slope != 0.0 and fabs(slope) < 2.2250738585072014e-308:
            slope = ldexp(f.amp, 600) / <double>(up if p < up else down)
            post = ldexp(1.0, -600)
        scp = sc * post
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
                        a = pow(f.gamma, <double>(e & ~(_BLOCK - 1)))
                    ai = (a * post) * tab[(e & (_BLOCK - 1)) >> 6]
                    j = <int>(e & 63)
                    r = 64 - j if m - kk > 64 - j else m - kk
                    # xs +- (kk + jj) as (xs +- kk) +- iota[jj]: exact integers (< 2**53), the
                    # same bits without a conversion per step (xs +- n: sgn n is exact)
                    if sgn > 0.0:
                        x1 = xs + <double>kk
                        for jj in range(r):
                            out[k + done + kk + jj] = <floating>(
                                base + (slope * (x1 + iota[jj])) * (ai * gj[j + jj]))
                    else:
                        x1 = xs - <double>kk
                        for jj in range(r):
                            out[k + done + kk + jj] = <floating>(
                                base + (slope * (x1 - iota[jj])) * (ai * gj[j + jj]))
                    kk += r
            else:
                # xs +- (j0 + jj) as (xs +- j0) +- iota[jj]: exact integers (< 2**53), the same
                # bits without a conversion per step
                for j0 in range(0, m, 64):
                    mm = m - j0 if m - j0 < 64 else 64
                    if sgn > 0.0:
                        x1 = xs + <double>j0
                        for jj in range(mm):
                            out[k + done + j0 + jj] = <floating>(
                                base + (slope * (x1 + iota[jj])) * scp)
                    else:
                        x1 = xs - <double>j0
                        for jj in range(mm):
                            out[k + done + j0 + jj] = <floating>(
                                base + (slope * (x1 - iota[jj])) * scp)
            done += m
        k += run


cdef void _k_family(floating* out, int64_t tau, int64_t n, const int64_t* seg, const double* d,
                    const double* tables) noexcept nogil:
    # Plan() checked every segment (_check_segment), so the family code is known here.
    cdef int64_t fam = seg[FAMILY]
    cdef const int64_t* ints = seg + INTS
    cdef const double* tab = tables + seg[TAB]
    if fam == CONST:
        _k_const(out, n, <const ConstF*>d)
    elif fam == LINEAR:
        _k_linear(out, tau, n, <const LinearF*>d)
    elif fam == EXP:
        _k_exp(out, tau, n, <const ExpF*>d, tab)
    elif fam == PLATEAU:
        _k_plateau(out, tau, n, <const PlateauF*>d, <const PlateauI*>ints, tab)
    elif fam == COS2:
        _k_cos2(out, tau, n, <const Cos2F*>d, <const Cos2I*>ints, tab)
    elif fam == POLY:
        _k_poly(out, tau, n, <const PolyF*>d, <const PolyI*>ints, tab)
    elif fam == INVTIME:
        _k_invtime(out, tau, n, <const InvTimeF*>d)
    elif fam == TRI:
        _k_tri(out, tau, n, <const TriF*>d, <const TriI*>ints, tab)
    elif fam == TANH:
        _k_tanh(out, tau, n, <const TanhF*>d, tab)
    elif fam == SHAPE:
        _k_shape(out, tau, n, <const ShapeF*>d, <const ShapeI*>ints, tab)
    elif fam == PRODUCT:
        _k_product(out, tau, n, seg, d, tables)
    elif fam == CYCPOLY:
        _k_cycpoly(out, tau, n, <const CycPolyF*>d, <const CycPolyI*>ints, tab)


cdef inline double _tanh_libm(const TanhF* f, int64_t t) noexcept nogil:
    return f.low + f.amp / (1.0 + exp(2.0 * (f.x0 + f.dx * <double>t)))


cdef void _k_tanh(floating* out, int64_t tau, int64_t n, const TanhF* f,
                  const double* tab) noexcept nogil:
    # 1 - tanh(x) = 2 / (1 + exp(2x)) without cancellation for large x. exp(2 (x0 + dx tau)) as in
    # _k_exp: (exp(2 (x0 + dx p0)) * exp(2 dx 64 i)) * exp(2 dx j) for tau = p0 + 64 i + j, p0 on
    # the 4096-grid (libm at the anchor, the tables built with libm by plan.py), then a division
    # per step. The relative error of E = exp(2x) is a few ulps plus |2x| ulps from rounding the
    # argument (as with one libm exp per step), and 1 / (1 + E) does not amplify it. Rows whose
    # anchor factor is not a normal double (|2x| past ~708 there), and steep rates whose tables
    # leave the double range, take libm per step.
    cdef const double* big = tab
    cdef double small[64]   # a local copy: provably not aliased by `out`
    cdef double lo = f.low, amp = f.amp, ea, ei
    cdef int64_t k = 0, p, p0, q, run
    cdef int i, j, m, jj
    if fabs(f.dx) * 8064.0 > 700.0:
        for k in range(n):
            out[k] = <floating>_tanh_libm(f, tau + k)
        return
    for jj in range(64):
        small[jj] = tab[64 + jj]
    while k < n:
        p = tau + k
        p0 = p & ~(_BLOCK - 1)
        q = p - p0
        ea = exp(2.0 * (f.x0 + f.dx * <double>p0))
        if not (ea >= 2.2250738585072014e-308 and ea <= 1.7976931348623157e308):
            run = _BLOCK - q
            if run > n - k:
                run = n - k
            for jj in range(<int>run):
                out[k + jj] = <floating>_tanh_libm(f, p + jj)
            k += run
            continue
        i = <int>(q >> 6)
        j = <int>(q & 63)
        while i < 64 and k < n:
            ei = ea * big[i]
            m = 64 - j
            if m > n - k:
                m = <int>(n - k)
            for jj in range(m):
                out[k + jj] = <floating>(lo + amp / (1.0 + ei * small[j + jj]))
            k += m
            i += 1
            j = 0


cdef void _shape_linear_end(floating* out, int64_t d0, int64_t n, const ShapeF* f) noexcept nogil:
    # out[k] = low + amp y**p, y = min(max(d, 0), end) / end, d = (d0 - k) + phase, p 1 or 0.5,
    # |d0 - k| < 2**53 (exact in double): the bits of _k_shape's kind-2 loop for k_decay 1 (0
    # where d <= 0, end / end = 1 where d >= end), without a libm call or a branch per step
    cdef double iota[64]
    cdef double lo = f.low, amp = f.amp, end = f.end, ph = f.phase, x0, r
    cdef int64_t done = 0
    cdef int j, m
    _iota(iota)
    while done < n:
        m = <int>(n - done if n - done < 64 else 64)
        x0 = <double>(d0 - done)
        if f.p == 1.0:
            for j in range(m):
                r = (x0 - iota[j]) + ph
                r = r if r > 0.0 else 0.0
                r = r if r < end else end
                out[done + j] = <floating>(lo + amp * (r / end))
        else:
            for j in range(m):
                r = (x0 - iota[j]) + ph
                r = r if r > 0.0 else 0.0
                r = r if r < end else end
                out[done + j] = <floating>(lo + amp * sqrt(r / end))
        done += m


cdef inline double _cos_half_pi(double x) noexcept nogil:
    # cos(π x / 2) for 0 <= x <= 1 (a little past 1 too): its Taylor series in w = x², eleven terms
    # c_n = (-1)**n (π/2)**(2n) / (2n)! rounded to double (the first one left out is 1.8e-17 at
    # x = 1), in Estrin's scheme (pairs, then powers w**2, w**4, w**8: a dependency chain of 7
    # operations instead of Horner's 21, so that vector iterations overlap). Plain multiplies
    # and adds (-ffp-contract=off): the same bits in every ISA copy and vector width. Absolute
    # error a few 1e-16 (tests/test_shape_series.py measures it against mpmath).
    cdef double w = x * x
    cdef double w2 = w * w
    cdef double w4 = w2 * w2
    cdef double p01 = 1.0 - 1.2337005501361697 * w
    cdef double p23 = 0.25366950790104803 - 0.02086348076335296 * w
    cdef double p45 = 0.0009192602748394266 - 2.5202042373060607e-05 * w
    cdef double p67 = 4.710874778818172e-07 - 6.386603083791852e-09 * w
    cdef double p89 = 6.565963114979473e-11 - 5.294400200734623e-13 * w
    cdef double q2 = p89 + 3.437739179098607e-15 * w2
    return (p01 + p23 * w2) + ((p45 + p67 * w2) + q2 * w4) * w4


cdef extern from *:
    """
    #include <string.h>
    /* The bit-level steps of SHAPE's vectorised 2**z and log2 (see _shape_pow): plain integer
       operations on a double's bits (memcpy: no aliasing), which compilers vectorise. */
    static inline double fastlr_mant(double s) {
        /* s > 0 normal: its significand m in [sqrt(1/2), sqrt(2)) (s = 2**e m) */
        int64_t b; memcpy(&b, &s, 8);
        int64_t mant = b & 0x000FFFFFFFFFFFFFLL;
        int64_t big = mant >= 0x0006A09E667F3BCDLL;
        b = (mant | 0x3FF0000000000000LL) - (big << 52);
        memcpy(&s, &b, 8);
        return s;
    }
    static inline double fastlr_expo(double s) {
        /* its exponent e (as fastlr_mant), exactly, as a double: the integer placed in the
           significand of 2**52 and 2**52 + 1023 taken off */
        int64_t b; memcpy(&b, &s, 8);
        int64_t big = (b & 0x000FFFFFFFFFFFFFLL) >= 0x0006A09E667F3BCDLL;
        b = 0x4330000000000000LL | (((b >> 52) & 0x7FF) + big);
        memcpy(&s, &b, 8);
        return s - 4503599627371519.0;
    }
    static inline double fastlr_clamp_exp2(double z) {
        /* max(z, -1020) for z <= 0 (+0 or negative): compared as unsigned bits, which order
           the negative doubles by magnitude (an integer select: a floating compare would keep
           the loop from vectorising under the default -ftrapping-math) */
        uint64_t a, b; double lim = -1020.0;
        memcpy(&a, &z, 8); memcpy(&b, &lim, 8);
        uint64_t m = -(uint64_t)(a > b);
        a = (a & ~m) | (b & m);
        memcpy(&z, &a, 8);
        return z;
    }
    static inline double fastlr_scale2(double p, double t, double z) {
        /* p 2**n where t = n + 1.5 2**52 (from the clamped z), p in [sqrt(1/2), sqrt(2)],
           -1020 <= n <= 0: n added to p's exponent field; 0 when z < -1020 */
        int64_t a, b; uint64_t zb, lb; double lim = -1020.0;
        memcpy(&a, &p, 8); memcpy(&b, &t, 8); memcpy(&zb, &z, 8); memcpy(&lb, &lim, 8);
        a += (int64_t)((uint64_t)(b - 0x4338000000000000LL) << 52);
        a &= ~(-(int64_t)(zb > lb));
        memcpy(&p, &a, 8);
        return p;
    }
    static inline double fastlr_pick_le(double a, double b, double x, double y) {
        /* a <= b ? x : y for a, b >= +0 (their bits compare as the doubles do), as an integer
           select (vectorisable; see fastlr_clamp_exp2) */
        int64_t ia, ib, ix, iy;
        memcpy(&ia, &a, 8); memcpy(&ib, &b, 8); memcpy(&ix, &x, 8); memcpy(&iy, &y, 8);
        int64_t m = -(int64_t)(ia <= ib);
        ix = (ix & m) | (iy & ~m);
        memcpy(&x, &ix, 8);
        return x;
    }
    static inline double fastlr_pick_n0(double t, double x, double y) {
        /* x where t = 0 + 1.5 2**52 (round(z) = 0 in _one_minus_exp2), else y */
        int64_t it, ix, iy;
        memcpy(&it, &t, 8); memcpy(&ix, &x, 8); memcpy(&iy, &y, 8);
        int64_t m = -(int64_t)(it == 0x4338000000000000LL);
        ix = (ix & m) | (iy & ~m);
        memcpy(&x, &ix, 8);
        return x;
    }
    """
    double fastlr_mant(double s) noexcept nogil
    double fastlr_expo(double s) noexcept nogil
    double fastlr_clamp_exp2(double z) noexcept nogil
    double fastlr_pick_le(double a, double b, double x, double y) noexcept nogil
    double fastlr_pick_n0(double t, double x, double y) noexcept nogil
    double fastlr_scale2(double p, double t, double z) noexcept nogil


cdef inline double _cosm1_quarter(double w) noexcept nogil:
    # cos(π x / 2) - 1 for w = x², 0 <= x <= 1/2: w times the Taylor series' terms 1..8 (the
    # coefficients of _cos_half_pi; the first left out is 2.0e-18 at x = 1/2), Estrin's scheme.
    # Formed without the leading 1, it keeps its relative accuracy as x -> 0 (log2 needs it).
    cdef double w2 = w * w
    cdef double w4 = w2 * w2
    cdef double p12 = -1.2337005501361697 + 0.25366950790104803 * w
    cdef double p34 = -0.02086348076335296 + 0.0009192602748394266 * w
    cdef double p56 = -2.5202042373060607e-05 + 4.710874778818172e-07 * w
    cdef double p78 = -6.386603083791852e-09 + 6.565963114979473e-11 * w
    return w * ((p12 + p34 * w2) + (p56 + p78 * w2) * w4)


cdef inline double _sin_quarter(double y) noexcept nogil:
    # sin(π y / 2) for 0 <= y <= 1/2: y times the Taylor series in y², nine terms
    # (-1)**n (π/2)**(2n+1) / (2n+1)! (the first left out is 8e-20 at y = 1/2), Estrin; relative
    # accuracy a few ulp down to y -> 0
    cdef double w = y * y
    cdef double w2 = w * w
    cdef double w4 = w2 * w2
    cdef double p01 = 1.5707963267948966 - 0.6459640975062463 * w
    cdef double p23 = 0.07969262624616705 - 0.004681754135318688 * w
    cdef double p45 = 0.00016044118478735983 - 3.598843235212085e-06 * w
    cdef double p67 = 5.692172921967927e-08 - 6.688035109811468e-10 * w
    return y * ((p01 + p23 * w2) + ((p45 + p67 * w2) + 6.0669357311061955e-12 * w4) * w4)


cdef inline double _log2_1p(double f) noexcept nogil:
    # log2(1 + f) for 1 + f in [sqrt(1/2), sqrt(2)] (f exact): 2 atanh(v) / ln 2 with
    # v = f / (2 + f), |v| <= 0.1716, as v times ten terms of the series in v² (2 / ((2k+1) ln 2);
    # the first left out is 2.3e-17 relative), Estrin. Relative error a few ulp.
    cdef double v = f / (2.0 + f)
    cdef double w = v * v
    cdef double w2 = w * w
    cdef double w4 = w2 * w2
    cdef double p01 = 2.8853900817779268 + 0.9617966939259756 * w
    cdef double p23 = 0.5770780163555853 + 0.4121985831111324 * w
    cdef double p45 = 0.3205988979753252 + 0.2623081892525388 * w
    cdef double p67 = 0.22195308321368667 + 0.19235933878519512 * w
    cdef double p89 = 0.16972882833987804 + 0.15186263588304877 * w
    return v * ((p01 + p23 * w2) + ((p45 + p67 * w2) + p89 * w4) * w4)


cdef inline double _exp2_q(double r) noexcept nogil:
    # Q(r) with 2**r = 1 + r Q(r), |r| <= 1/2: the Taylor series of exp(r ln 2), terms 1..13
    # (the first left out is 4.2e-18), Estrin
    cdef double r2 = r * r
    cdef double r4 = r2 * r2
    cdef double r8 = r4 * r4
    cdef double q01 = 0.6931471805599453 + 0.24022650695910072 * r
    cdef double q23 = 0.05550410866482158 + 0.009618129107628477 * r
    cdef double q45 = 0.0013333558146428443 + 0.0001540353039338161 * r
    cdef double q67 = 1.5252733804059841e-05 + 1.321548679014431e-06 * r
    cdef double q89 = 1.01780860092397e-07 + 7.054911620801123e-09 * r
    cdef double q1011 = 4.4455382718708116e-10 + 2.5678435993488206e-11 * r
    return (q01 + q23 * r2) + (q45 + q67 * r2) * r4 \
        + ((q89 + q1011 * r2) + 1.3691488853904128e-12 * r4) * r8


cdef inline double _exp2_neg(double z) noexcept nogil:
    # 2**z for z <= 0 (0 below -1020: amp 2**-1020 is far under any peak's ulp): z = n + r with
    # n = round(z) (the 1.5 2**52 trick) and r = z - n exact, |r| <= 1/2; 2**r = 1 + r Q(r)
    # (_exp2_q), then n into the exponent field. Error about an ulp.
    cdef double zc = fastlr_clamp_exp2(z)
    cdef double t = zc + 6755399441055744.0
    cdef double r = zc - (t - 6755399441055744.0)
    return fastlr_scale2(1.0 + r * _exp2_q(r), t, z)


cdef inline double _one_minus_exp2(double z) noexcept nogil:
    # 1 - 2**z for z <= 0 with its relative accuracy: -r Q(r) where n = round(z) is 0 (then
    # 1 - 2**z is small and r Q(r) carries it whole), 1 - 2**z where n <= -1 (then it is >= 0.29:
    # the subtraction loses nothing). The same r and Q as _exp2_neg (computed once when both are
    # inlined together).
    cdef double zc = fastlr_clamp_exp2(z)
    cdef double t = zc + 6755399441055744.0
    cdef double r = zc - (t - 6755399441055744.0)
    cdef double rq = r * _exp2_q(r)
    return fastlr_pick_n0(t, -rq, 1.0 - fastlr_scale2(1.0 + rq, t, z))


cdef inline double _log2_pos(double s) noexcept nogil:
    # log2 s for a positive normal s: its exponent plus log2 of its significand in
    # [sqrt(1/2), sqrt(2)); relative error a few ulp
    return fastlr_expo(s) + _log2_1p(fastlr_mant(s) - 1.0)


cdef inline int64_t _first_u_reaching(int64_t t0, double fp, int64_t j, int64_t n,
                                      double lim) noexcept nogil:
    # SHAPE's runs by u = (t0 + i) + fp (nondecreasing in i, t0 + n <= 2**53): the first i in
    # [j, n] with u >= lim (n if none), from a candidate below it and then step by step with the
    # kernels' own u, so a run's edge is decided by the step, never by the window
    cdef int64_t i
    if lim >= 9007199254740992.0:
        return n
    i = <int64_t>ceil(lim - fp) - t0 - 2
    i = i if i > j else j
    i = i if i < n else n
    while i < n and <double>(t0 + i) + fp < lim:
        i += 1
    return i


cdef inline int64_t _d_peak_run(floating* out, int64_t D0, double phase, int64_t j, int64_t n,
                                const ShapeF* f) noexcept nogil:
    # SHAPE kind 2's steps from j on with d = (D0 - i) + phase >= end (a few at a cycle's start,
    # d falling with i): low + amp, found from a candidate below the last of them; returns the
    # first step with d < end (n if none)
    cdef int64_t i = D0 - <int64_t>ceil(f.end) - 2
    i = i if i > j else j
    i = i if i < n else n
    while j < i:
        out[j] = <floating>(f.low + f.amp * 1.0)
        j += 1
    while j < n and <double>(D0 - j) + phase >= f.end:
        out[j] = <floating>(f.low + f.amp * 1.0)
        j += 1
    return j


cdef inline int64_t _d_low_from(int64_t D0, double phase, int64_t j, int64_t n) noexcept nogil:
    # SHAPE kind 2's first step (in [j, n]) with d <= 0: D0 - i <= -1 (phase > 0) or <= 0
    cdef int64_t i = D0 + 1 if phase > 0.0 else D0
    i = i if i > j else j
    return i if i < n else n


cdef void _shape_pow(floating* out, int64_t t0, int64_t n, double fp, const ShapeF* f) noexcept nogil:
    # Kind 0 with k = 1 and a power p != 1 (optax's cosine_decay_schedule(exponent)), per step
    # (_shape_anchored runs the anchored series where the plan gives one, and this near the
    # end and for 2p past ~400):
    # low + amp c**p, c = cos²(π x / 2), x = u / end, u = (t0 + j) + fp (0 <= fp < 1,
    # t0 + n <= 2**53), vectorised, no libm call per step: c**p = 2**(2 p log2 s) with
    # s = cos(π x / 2), and log2 s formed with its relative accuracy everywhere:
    #   2 u < end (s >= sqrt(1/2)): log2(1 + (s - 1)), s - 1 by _cosm1_quarter (exact to a few
    #     ulp of itself however small x is);
    #   end / 2 <= u < end: s = sin(π y / 2) with y = (end - u) / end (end - u exact, Sterbenz),
    #     log2 s = e + log2(m) from s's exponent and significand;
    #   u >= end: low.
    # A relative error δ of log2 s moves the value by amp c**p |ln c**p| δ <= amp δ / e whatever p
    # is: a few 1e-16 of the peak (tests/test_shape_pow.py measures it against mpmath). Each
    # region is decided by the step (u is nondecreasing in it), never by the window. The exponent
    # is p (2 log2 s), not (2 p) log2 s: the same bits (2 is exact), and no inf * 0 at x = 0 when
    # 2 p overflows (p up to the largest double gives the peak there, as pow(1, p) does).
    cdef double iota[64]
    cdef double lo = f.low, amp = f.amp, end = f.end, inv = 1.0 / f.end, p = f.p
    cdef double x0, x
    cdef int64_t done = 0
    cdef int64_t sa = _first_u_reaching(t0, fp, 0, n, 0.5 * end)   # u >= end / 2 (2u >= end)
    cdef int64_t se = _first_u_reaching(t0, fp, sa, n, end)
    cdef int j, m
    _iota(iota)
    while done < sa:
        m = <int>(sa - done if sa - done < 64 else 64)
        x0 = <double>(t0 + done)
        for j in range(m):
            x = ((x0 + iota[j]) + fp) * inv
            out[done + j] = <floating>(
                lo + amp * _exp2_neg(p * (2.0 * _log2_1p(_cosm1_quarter(x * x)))))
        done += m
    while done < se:
        m = <int>(se - done if se - done < 64 else 64)
        x0 = <double>(t0 + done)
        for j in range(m):
            x = _sin_quarter((end - ((x0 + iota[j]) + fp)) * inv)
            out[done + j] = <floating>(lo + amp * _exp2_neg(p * (2.0 * _log2_pos(x))))
        done += m
    while done < n:
        out[done] = <floating>(lo + amp * 0.0)
        done += 1


cdef enum:
    _CP_BLOCK = 2048    # anchored series: the run length is chosen per block of this many steps
    _CP_MIN = 8         # shorter runs: the per-step path (an anchor costs ~20 steps of the series)
    _CP_ANCHORS = 64    # anchors per group (a block's up to _CP_BLOCK / _CP_MIN anchors are
                        # taken in groups: ~22 KB of stack in all)
    _CP_SIX = 512       # the shortest run of the six-term tier
    _CP_MIN_P1 = 64     # the shortest run of the k-decay cosine with p = 1 (see _shape_anchored)


cdef inline int64_t _cp_tier(double reach, int64_t shifts, int64_t gmin,
                             int64_t* terms) noexcept nogil:
    # An anchored-series block's run length G (a power of 2) and its number of terms, from the
    # smallest distance `reach` (in steps) from any of its steps to the function's nearest
    # singularity and the plan's shifts (s10 = shifts & 255, s6 = shifts >> 8, 0: none): six
    # terms with G = the largest power of 2 <= min(_CP_BLOCK, reach / 2**s6) if that is at least
    # _CP_SIX, else ten with reach / 2**s10; 0 when even ten terms need runs under gmin.
    cdef int64_t s10 = shifts & 255, s6 = shifts >> 8, G = _CP_BLOCK
    terms[0] = 6
    while s6 and G >= _CP_SIX and <double>(G << s6) > reach:
        G >>= 1
    if s6 and G >= _CP_SIX:
        return G
    terms[0] = 10
    G = _CP_BLOCK
    while G >= gmin and <double>(G << s10) > reach:
        G >>= 1
    return G if G >= gmin else 0


cdef void _cp_runs(floating* out, int64_t t, int64_t left, int64_t ta0, int64_t G, int64_t na,
                   const double* hb, const double* a, const double* V, double* E, double* acc,
                   int64_t terms, double lo, double p1) noexcept nogil:
    # The runs of one block of an anchored series: out[j] (step t + j, j < left) = lo + hb[i]
    # sum_{k < terms} E_k[i] q**k, q = t + j - (ta0 + i G) the offset from its anchor. E by J.C.P.
    # Miller's recurrence for w**P (P = p1 - 1) from w's Taylor coefficients W_k = a[k] V_k[i]
    # (V[k * _CP_ANCHORS + i]; E_0 = 1, w_0 = 1):
    #   E_k = (1 / k) sum_{m=1..k} ((P + 1) m - k) W_m E_{k-m},
    # every anchor of the block at once (vectorised over i), then six or ten terms per step
    # (Estrin: a short dependency chain).
    cdef double c, A, x0, r, r2, r4, e1, e2, e3, e4, e5, e6, e7, e8, e9
    cdef double iota[64]
    cdef int64_t i, kk, ii, ta, q, run
    cdef int j, m, j0, mm
    _iota(iota)
    for i in range(na):
        E[i] = 1.0
    for kk in range(1, terms):
        for i in range(na):
            acc[i] = 0.0
        for ii in range(1, kk + 1):
            c = (p1 * <double>ii - <double>kk) * a[ii]
            for i in range(na):
                acc[i] = acc[i] + (c * V[ii * _CP_ANCHORS + i]) * E[(kk - ii) * _CP_ANCHORS + i]
        c = 1.0 / <double>kk
        for i in range(na):
            E[kk * _CP_ANCHORS + i] = acc[i] * c
    for i in range(na):
        e1, e2, e3 = E[_CP_ANCHORS + i], E[2 * _CP_ANCHORS + i], E[3 * _CP_ANCHORS + i]
        e4, e5 = E[4 * _CP_ANCHORS + i], E[5 * _CP_ANCHORS + i]
        A = hb[i]
        ta = ta0 + i * G
        q = t - ta if t > ta else 0
        run = G - q
        if ta + q + run > t + left:
            run = t + left - ta - q
        m = <int>run
        if terms == 6:
            for j0 in range(0, m, 64):
                x0 = <double>(<int>q + j0)
                mm = m - j0 if m - j0 < 64 else 64
                for j in range(mm):
                    r = x0 + iota[j]
                    r2 = r * r
                    out[(ta + q - t) + j0 + j] = <floating>(lo + A * (
                        ((1.0 + e1 * r) + (e2 + e3 * r) * r2) + (e4 + e5 * r) * (r2 * r2)))
            continue
        e6, e7 = E[6 * _CP_ANCHORS + i], E[7 * _CP_ANCHORS + i]
        e8, e9 = E[8 * _CP_ANCHORS + i], E[9 * _CP_ANCHORS + i]
        for j0 in range(0, m, 64):
            x0 = <double>(<int>q + j0)
            mm = m - j0 if m - j0 < 64 else 64
            for j in range(mm):
                r = x0 + iota[j]
                r2 = r * r
                r4 = r2 * r2
                out[(ta + q - t) + j0 + j] = <floating>(lo + A * (
                    ((1.0 + e1 * r) + (e2 + e3 * r) * r2)
                    + ((e4 + e5 * r) + (e6 + e7 * r) * r2) * r4
                    + (e8 + e9 * r) * (r4 * r4)))


cdef void _cp_anchors(int64_t form, int64_t ta, int64_t G, int64_t na, double fp,
                     const ShapeF* f, const double* bk, double* hb, double* V, double* P,
                     double* S, double* ia, double* tq, int64_t terms) noexcept nogil:
    # The anchors u_a = (ta + i G) + fp (i < na) of an anchored series: hb[i] = amp h(u_a) and
    # V (with the per-call factors a of _cp_runs) the Taylor coefficients in the step of the
    # ratio w whose power _cp_runs sums. P and S are scratch (P is _cp_runs' E).
    #   form 0 (a power of the cosine, k = 1): w = cos δ - tan θ_a sin δ, a = (-1)**ceil(k/2)
    #     Δ**k / k! (bk), V_k = tan θ_a (odd k) or 1;
    #   form 1 (polynomial k-decay): w = 1 - T((1 + ρ)**k - 1), a = -binom(k, m) (bk),
    #     V_m = T / u_a**m;
    #   form 2 (k-decay cosine): w = cos φ - tan θ_a sin φ, φ = θ - θ_a = Φ((1 + ρ)**k - 1),
    #     Φ = (π/2) X_a, φ_m = Φ binom(k, m) / u_a**m; cos φ and sin φ from
    #     C_k = -(1/k) sum m φ_m S_{k-m}, S_k = (1/k) sum m φ_m C_{k-m} (C_0 = 1, S_0 = 0; the
    #     exponential's recurrence for e**(iφ)), a = 1, V_k = C_k - tan θ_a S_k.
    # Every h keeps its relative accuracy (sin of the distance to the end where it is small).
    cdef double amp = f.amp, end = f.end, inv = 1.0 / f.end, p = f.p, kp = f.k
    cdef double x, y, c, w, u, X, Sx, Cx
    cdef int64_t nf, i, kk, m
    if form == 0:
        # h and tan θ_a by the polynomials of _shape_pow (one loop per half, so each
        # vectorises); anchors ascend, the first half's come first
        nf = 0
        while nf < na and 2.0 * (<double>(ta + nf * G) + fp) < end:
            nf += 1
        for i in range(nf):
            x = (<double>(ta + i * G) + fp) * inv
            c = _cosm1_quarter(x * x)
            hb[i] = amp * _exp2_neg(p * (2.0 * _log2_1p(c)))
            V[_CP_ANCHORS + i] = _sin_quarter(x) / (1.0 + c)
        for i in range(nf, na):
            y = (end - (<double>(ta + i * G) + fp)) * inv
            w = _sin_quarter(y)
            hb[i] = amp * _exp2_neg(p * (2.0 * _log2_pos(w)))
            V[_CP_ANCHORS + i] = (1.0 + _cosm1_quarter(y * y)) / w
        for kk in range(2, terms):
            for i in range(na):
                V[kk * _CP_ANCHORS + i] = V[_CP_ANCHORS + i] if kk % 2 == 1 else 1.0
        return
    for i in range(na):
        u = <double>(ta + i * G) + fp
        y = _shape_zxy((end - u) * inv, u * inv, kp, &X)
        ia[i] = 1.0 / u
        if form == 1:
            hb[i] = amp * _pow_one_minus(X, y, p)
            V[_CP_ANCHORS + i] = (X / y) * ia[i]
        else:
            # cos θ_a = sin(π y / 2), sin θ_a = sin(π X / 2), each from the smaller argument
            hb[i] = amp * _exp2_neg(p * (2.0 * _log2_sin_half_pi(X, y)))
            Sx = fastlr_pick_le(X, 0.5, _sin_quarter(X), 1.0 + _cosm1_quarter(y * y))
            Cx = fastlr_pick_le(y, 0.5, _sin_quarter(y), 1.0 + _cosm1_quarter(X * X))
            tq[i] = Sx / Cx
            P[_CP_ANCHORS + i] = (1.5707963267948966 * X) * ia[i]
    if form == 1:
        for kk in range(2, terms):
            for i in range(na):
                V[kk * _CP_ANCHORS + i] = V[(kk - 1) * _CP_ANCHORS + i] * ia[i]
        return
    for kk in range(2, terms):
        for i in range(na):
            P[kk * _CP_ANCHORS + i] = P[(kk - 1) * _CP_ANCHORS + i] * ia[i]
    # P_m = Φ / u_a**m; m φ_m = (m binom(k, m)) P_m; C into V, S into S
    for i in range(na):
        V[i] = 1.0
        S[i] = 0.0
    for kk in range(1, terms):
        for i in range(na):
            V[kk * _CP_ANCHORS + i] = 0.0
            S[kk * _CP_ANCHORS + i] = 0.0
        for m in range(1, kk + 1):
            c = (<double>m * bk[m]) / <double>kk
            for i in range(na):
                w = c * P[m * _CP_ANCHORS + i]
                V[kk * _CP_ANCHORS + i] = V[kk * _CP_ANCHORS + i] - w * S[(kk - m) * _CP_ANCHORS + i]
                S[kk * _CP_ANCHORS + i] = S[kk * _CP_ANCHORS + i] + w * V[(kk - m) * _CP_ANCHORS + i]
    for kk in range(1, terms):
        for i in range(na):
            V[kk * _CP_ANCHORS + i] = V[kk * _CP_ANCHORS + i] - tq[i] * S[kk * _CP_ANCHORS + i]


cdef void _shape_anchored(floating* out, int64_t tau, int64_t n, const ShapeF* f,
                          const ShapeI* g, const double* coef) noexcept nogil:
    # SHAPE on anchored series (plan series 2; _cp_tier, _cp_anchors, _cp_runs), the same values
    # as the per-step paths to a few 1e-16 of the peak, much faster. A run of G steps (a power
    # of 2) from an anchor u_a takes v = low + amp h(u_a) w**P, w's Taylor coefficients in the
    # step j from the anchor, P = 2p for the cosines and p for the polynomial:
    #   kind 0, k = 1 (optax's cosine exponent): h = cos(θ)**(2p), θ = (π/2) u / end,
    #     w = cos δ - tan(θ_a) sin δ, δ = j π / (2 end); nearest singularity: the zero at
    #     θ = π/2, reach R = end - u_a steps; on |δ| = c R (c <= 1/2),
    #     |w| <= cosh(c R') + cot(R') sinh(c R') <= 1 + c (R' the angle; checked on a fine
    #     grid: tests/test_shape_pow.py);
    #   kind 1 (polynomial k-decay, p != 1): h = y**p, y = 1 - (u / end)**k,
    #     w = 1 - T((1 + ρ)**k - 1), T = X_a / y_a, ρ = j / u_a; reach min(u_a, end - u_a)
    #     (the branch point at u = 0, the zero at u = end); |w| <= 1 + T B(|ρ|),
    #     B(r) = sum |binom(k, m)| r**m;
    #   kind 0, k != 1 (timm's k-decay cosine, any p): h = cos(θ)**(2p), θ = (π/2)(u / end)**k,
    #     w = cos φ - tan(θ_a) sin φ, φ = θ - θ_a; reach min(u_a, end - u_a);
    #     |w| <= cosh Φ + tan(θ_a) sinh Φ, Φ = (π/2) X_a B(|ρ|).
    # Cauchy's bound, |E_k j**k| <= M(c)**P (2**-s / c)**k within a run of at most 2**-s R
    # steps, M(c) the supremum of those |w| bounds over the horizon, gives the plan's shifts
    # s10 and s6 (plan._cos_power_shift, plan._kdecay_shift) that keep the tail past ten or six
    # terms below 2**-57 of the peak. Each 2048-step block takes its tier and run length from
    # its own smallest reach (_cp_tier); where runs would be shorter than _CP_MIN (the first and
    # last ~2**(s10+3) steps, u >= end) the per-step path (_shape_pow, _shape_vec), or, for the
    # k-decay cosine with p = 1, where they would be shorter than _CP_MIN_P1, its one-pass path
    # (_shape_series, with the flags the plan put in rest; cheaper there than dense anchors:
    # at 1e5 steps 1.9 ns/value against 2.7 with series down to runs of 8). The anchors
    # (_cp_anchors) are vectorised, a group of up to _CP_ANCHORS at a time. The tier and run
    # length depend on the block, the anchors on the step: every window gives the same bits.
    # The caller keeps _shape_vec's parameter ranges (0 <= phase < 2**52, tau + phase + n <=
    # 2**53, 2**-500 <= k <= 2**500, p > 0).
    cdef double hb[_CP_ANCHORS]
    cdef double acc[_CP_ANCHORS]
    cdef double ia[_CP_ANCHORS]
    cdef double tq[_CP_ANCHORS]
    cdef double V[10 * _CP_ANCHORS]     # V[k * _CP_ANCHORS + i]: anchor i's k-th coefficient
    cdef double E[10 * _CP_ANCHORS]     # (times a[k]); E: _cp_runs' coefficients, scratch before
    cdef double S[10 * _CP_ANCHORS]
    cdef double bk[10]      # the per-call factors of w's coefficients (see _cp_anchors)
    cdef double ones[10]    # form 2's: its coefficients are whole in V
    cdef double lo = f.low, end = f.end, p = f.p, kp = f.k, fp, u, d, fk = 1.0
    cdef int64_t form = 0 if g.kind == 0 and kp == 1.0 else 1 if g.kind == 1 else 2
    cdef int64_t ip = <int64_t>floor(f.phase), t0, k = 0, t, tb, G, ta0, left, na, kk, terms
    cdef int64_t g0, ng, tg, te, gmin = _CP_MIN
    cdef ShapeI g1
    t0 = tau + ip
    g1.kind = g.kind
    g1.rest = 0
    g1.series = g.rest & 255
    g1.shift = g.rest >> 8
    if form == 2 and p == 1.0 and (g1.series != 0 or kp == 0.5 or kp == 2.0) and kp <= 4.0:
        gmin = _CP_MIN_P1
    fp = f.phase - <double>ip
    bk[0] = 1.0
    for kk in range(10):
        ones[kk] = 1.0
    if form == 0:
        for kk in range(1, 10):
            fk = fk * (1.5707963267948966 * (1.0 / end)) / <double>kk
            bk[kk] = -fk if ((kk + 1) // 2) % 2 == 1 else fk
    else:
        for kk in range(1, 10):
            bk[kk] = bk[kk - 1] * (kp - <double>(kk - 1)) / <double>kk
        if form == 1:
            for kk in range(1, 10):
                bk[kk] = -bk[kk]
    while k < n:
        t = t0 + k
        tb = t & ~(<int64_t>_CP_BLOCK - 1)
        left = tb + _CP_BLOCK - t
        if left > n - k:
            left = n - k
        d = end - (<double>(tb + _CP_BLOCK - 1) + fp)
        u = <double>tb + fp
        G = _cp_tier(d if form == 0 or d < u else u, g.shift, gmin, &terms)
        if G == 0:
            if form == 0:
                _shape_pow(out + k, t, left, fp, f)
            elif gmin == _CP_MIN_P1:
                _shape_series(out + k, t, left, fp, f, &g1, coef)
            else:
                _shape_vec(out + k, tau + k, left, f, g)
            k += left
            continue
        ta0 = t & ~(G - 1)
        na = (t + left - 1 - ta0) // G + 1
        g0 = 0
        while g0 < na:
            ng = na - g0 if na - g0 < _CP_ANCHORS else _CP_ANCHORS
            tg = ta0 + g0 * G
            te = tg + ng * G
            tg = tg if tg > t else t
            te = te if te < t + left else t + left
            _cp_anchors(form, ta0 + g0 * G, G, ng, fp, f, &bk[0], &hb[0], &V[0], &E[0], &S[0],
                        &ia[0], &tq[0], terms)
            _cp_runs(out + k + (tg - t), tg, te - tg, ta0 + g0 * G, G, ng, &hb[0],
                     &ones[0] if form == 2 else &bk[0], &V[0], &E[0], &acc[0], terms, lo,
                     p + 1.0 if form == 1 else 2.0 * p + 1.0)
            g0 += _CP_ANCHORS
        k += left


cdef enum:
    _SHAPE_CHUNK = 1024     # 8 KB of stack: 2048 measured no faster, 256 ~10% slower


cdef void _shape_series(floating* out, int64_t t0, int64_t n, double fp, const ShapeF* f,
                        const ShapeI* g, const double* coef) noexcept nogil:
    # Kinds 0 and 1 with p = 1 (timm's k-decay cosine, polynomial k-decay of power 1), 0 < k <= 4:
    # x = (u / end)**k with u = (t0 + j) + fp (0 <= fp < 1, t0 + n <= 2**53) filled by the
    # power-law kernel (its anchor grid: the same bits for any window), and in the same pass
    # v = low + amp cos²(π x / 2) (kind 0) or low + amp max(1 - x, 0) (kind 1), vectorised, no
    # libm call per step. p = 1 needs x to an absolute 1e-16 only (the
    # relative accuracy of y = 1 - x near the end matters to a power p < 1 of it, not here).
    # From u >= end on: low (y = 0), as the general loop.
    cdef PolyF pf
    cdef PolyI pg
    cdef double lo = f.low, amp = f.amp
    cdef double buf[_SHAPE_CHUNK]
    cdef int64_t s, done
    cdef int m
    s = _first_u_reaching(t0, fp, 0, n, f.end)     # the first step with u >= end
    pf.low = 0.0
    pf.amp = 1.0
    pf.scale = f.end
    pf.power = f.k
    pf.frac = fp
    pg.anchor = 0
    pg.kind = 1 if f.k == 1.0 else 2 if f.k == 2.0 else 3 if f.k == 0.5 else 0
    pg.reverse = 0
    pg.series = g.series if pg.kind == 0 else 0
    pg.shift = g.shift if pg.series else 10
    if g.kind == 1:
        # x = 0 + 1 * (u / end)**k exactly as the power-law kernel forms it, 1 - x in the same
        # pass (_post_store per 64-step run)
        _k_poly_post(out, t0, s, &pf, &pg, coef, f, 1)
    else:
        # the cosine's arithmetic runs better over long runs: x into a stack buffer, then
        # cos² (A/B at 1e7 float64: 2.33x out.fill this way, 2.68x through 64-step runs)
        done = 0
        while done < s:
            m = <int>(s - done if s - done < _SHAPE_CHUNK else _SHAPE_CHUNK)
            _k_poly(&buf[0], t0 + done, m, &pf, &pg, coef)
            _post_store(out + done, &buf[0], m, f, 0)
            done += m
    done = s
    while done < n:
        out[done] = <floating>(lo + amp * 0.0)
        done += 1


cdef void _shape_power_end(floating* out, int64_t tau, int64_t n, const ShapeF* f,
                           const ShapeI* g, const double* coef) noexcept nogil:
    # Kind 2 with k = 1 and a power p > 0, p != 1 that the power-law series serves (the plan's
    # series flag; timm's PolyLRScheduler: p = 1/2 by default, 0.9 in segmentation recipes):
    # low + amp (d / end)**p, d = (rest - tau - j) + phase counting down (0 <= phase < 1), in four
    # runs of steps (d falls with j, so each run is decided by the step, never by the window):
    #   d >= 2**52 (cycles longer than that): the per-step loop's formula, (d / end)**p;
    #   d >= end: low + amp (the peak, exactly);
    #   0 < d < end: the power-law kernel counting down (anchor rest, frac phase, scale end):
    #     p = 1/2 as kind 3 (sqrt(d * (1 / end)) per step, the four-term series far from the end,
    #     d >= 32 * 2**13), other p as kind 0 (pow near d = 0, the anchored series beyond);
    #   d <= 0: low.
    cdef int64_t D0 = g.rest - tau, j = 0, j1, j4
    cdef double r, y
    cdef PolyF pf
    cdef PolyI pg
    j1 = D0 - (<int64_t>1 << 52) + 1 if D0 >= (<int64_t>1 << 52) else 0
    j1 = j1 if j1 < n else n
    while j < j1:
        r = <double>(D0 - j) + f.phase
        y = 1.0 if r >= f.end else r / f.end
        out[j] = <floating>(f.low + f.amp * (sqrt(y) if f.p == 0.5 else pow(y, f.p)))
        j += 1
    j = _d_peak_run(out, D0, f.phase, j, n, f)      # d >= end: the peak
    j4 = _d_low_from(D0, f.phase, j, n)             # d <= 0 from j4 on
    if j4 > j:
        pf.low = f.low
        pf.amp = f.amp
        pf.scale = f.end
        pf.power = f.p
        pf.frac = f.phase
        pg.anchor = g.rest
        pg.kind = 3 if f.p == 0.5 else 0
        pg.reverse = 1
        pg.series = g.series
        pg.shift = g.shift if g.series else 10
        _k_poly(out + j, tau + j, j4 - j, &pf, &pg, coef)
        j = j4
    while j < n:
        out[j] = <floating>(f.low + f.amp * 0.0)
        j += 1


cdef inline double _log2_one_minus(double r, double x) noexcept nogil:
    # log2(1 - r) for 0 < r < 1 with its relative accuracy, given x ~ 1 - r (used where r > 1/2,
    # where x must be 1 - r to an ulp of itself: exact by Sterbenz, or better): r <= 1 - sqrt(1/2)
    # as log2(1 + (-r)); r <= 1/2 as -1 + log2(1 + (1 - 2r)) (1 - 2r exact); beyond from x's
    # bits. One _log2_1p, its argument picked per step.
    cdef double off = fastlr_pick_le(r, 0.2928932188134524, 0.0,
                                     fastlr_pick_le(r, 0.5, -1.0, fastlr_expo(x)))
    cdef double fa = fastlr_pick_le(r, 0.2928932188134524, -r,
                                    fastlr_pick_le(r, 0.5, 1.0 - 2.0 * r, fastlr_mant(x) - 1.0))
    return off + _log2_1p(fa)


cdef inline double _shape_zxy(double r, double x, double k, double* X) noexcept nogil:
    # y = 1 - (u / end)**k from r = 1 - u / end (0 < r < 1) and x = u / end (see
    # _log2_one_minus): z = k log2(1 - r), X = 2**z, y = 1 - 2**z, both with their relative accuracy
    cdef double z = k * _log2_one_minus(r, x)
    X[0] = _exp2_neg(z)
    return _one_minus_exp2(z)


cdef inline double _pow_one_minus(double X, double y, double p) noexcept nogil:
    # y**p for y = 1 - X as 2**(p log2 y), log2 y formed where it keeps its digits: log2(1 - X)
    # while X <= 1 - sqrt(1/2), from y's bits below
    cdef double off = fastlr_pick_le(X, 0.2928932188134524, 0.0, fastlr_expo(y))
    cdef double fa = fastlr_pick_le(X, 0.2928932188134524, -X, fastlr_mant(y) - 1.0)
    return _exp2_neg(p * (off + _log2_1p(fa)))


cdef inline double _log2_sin_half_pi(double X, double y) noexcept nogil:
    # log2 sin(π y / 2) for y = 1 - X in (0, 1]: sin's series for y <= 1/2 (then from its bits),
    # log2(1 + (cos(π X / 2) - 1)) above; relative accuracy either way
    cdef double s1 = _sin_quarter(y)
    cdef double off = fastlr_pick_le(y, 0.5, fastlr_expo(s1), 0.0)
    cdef double fa = fastlr_pick_le(y, 0.5, fastlr_mant(s1) - 1.0, _cosm1_quarter(X * X))
    return off + _log2_1p(fa)


cdef inline double _sin2_half_pi(double X, double y) noexcept nogil:
    # sin²(π y / 2) for y = 1 - X in (0, 1]: sin's series for y <= 1/2, 1 + (cos(π X / 2) - 1) above
    cdef double s1 = fastlr_pick_le(y, 0.5, _sin_quarter(y), 1.0 + _cosm1_quarter(X * X))
    return s1 * s1


cdef void _shape_finish(floating* out, const double* rb, const double* xb, int m,
                        const ShapeF* f, int64_t kind) noexcept nogil:
    # out[j] = low + amp v(r[j], x[j]), one vector loop per shape: kind 1 y or y**p, kind 0
    # sin²(π y / 2) or its power p (as 2**(2 p log2 sin(π y / 2)))
    cdef double lo = f.low, amp = f.amp, k = f.k, p = f.p, X, y
    cdef int j
    if kind == 0 and p != 1.0:
        for j in range(m):
            y = _shape_zxy(rb[j], xb[j], k, &X)
            out[j] = <floating>(lo + amp * _exp2_neg(p * (2.0 * _log2_sin_half_pi(X, y))))
    elif kind == 0:
        for j in range(m):
            y = _shape_zxy(rb[j], xb[j], k, &X)
            out[j] = <floating>(lo + amp * _sin2_half_pi(X, y))
    elif p != 1.0:
        for j in range(m):
            y = _shape_zxy(rb[j], xb[j], k, &X)
            out[j] = <floating>(lo + amp * _pow_one_minus(X, y, p))
    else:
        for j in range(m):
            y = _shape_zxy(rb[j], xb[j], k, &X)
            out[j] = <floating>(lo + amp * y)


cdef void _shape_vec(floating* out, int64_t tau, int64_t n, const ShapeF* f,
                     const ShapeI* g) noexcept nogil:
    # The k-decay shapes the faster paths leave (k != 1 with a power p != 1, or k > 4; kind 2
    # with k != 1), vectorised with the in-house log2 and 2**z, no libm call per step:
    # y = 1 - (u / end)**k = 1 - 2**(k log2(1 - r)), r = 1 - u / end, each logarithm and each
    # 1 - 2**z taken with its relative accuracy (_shape_v), so that a power p < 1 of a small y
    # keeps the accuracy the per-step loop's expm1/log1p gave. Kinds 0 and 1: u = (t0 + j) + fp,
    # r = (end - u) / end (end - u exact from u >= end / 2 on, where it matters) and
    # x = u / end; step 0 of the segment (u = phase, possibly 0) by the per-step loop; low from
    # u >= end on. Kind 2: d = (rest - tau - j) + phase (|rest - tau| < 2**53: exact integer part),
    # r = d / end, x = 1 - r; low + amp for d >= end, low for d <= 0. The caller keeps 2**-500 <=
    # k <= 2**500, p > 0 and phase 0 or >= 2**-500: every logarithm's argument is then a positive
    # normal double. Each run is decided by the step, never by the window.
    cdef double iota[64]
    cdef double rb[64]      # r and x of a 64-step run, then _shape_finish
    cdef double xb[64]
    cdef double lo = f.low, amp = f.amp, end = f.end, inv = 1.0 / f.end
    cdef double x0, u, d, fp
    cdef int64_t done = 0, se, t0, ip, D0, j4
    cdef int j, m
    _iota(iota)
    if g.kind != 2:
        ip = <int64_t>floor(f.phase)
        t0 = tau + ip
        fp = f.phase - <double>ip
        if t0 == 0:
            _shape_loop(out, tau, 1, f, g)
            done = 1
        se = _first_u_reaching(t0, fp, done, n, end)    # low from u >= end on
        while done < se:
            m = <int>(se - done if se - done < 64 else 64)
            x0 = <double>(t0 + done)
            for j in range(m):
                u = (x0 + iota[j]) + fp
                rb[j] = (end - u) * inv
                xb[j] = u * inv
            _shape_finish(out + done, &rb[0], &xb[0], m, f, g.kind)
            done += m
        while done < n:
            out[done] = <floating>(lo + amp * 0.0)
            done += 1
        return
    D0 = g.rest - tau
    done = _d_peak_run(out, D0, f.phase, 0, n, f)   # d >= end: the peak
    j4 = _d_low_from(D0, f.phase, done, n)          # d <= 0 from j4 on
    while done < j4:
        m = <int>(j4 - done if j4 - done < 64 else 64)
        x0 = <double>(D0 - done)
        for j in range(m):
            d = ((x0 - iota[j]) + f.phase) * inv
            rb[j] = d
            xb[j] = 1.0 - d
        _shape_finish(out + done, &rb[0], &xb[0], m, f, 1)
        done += m
    while done < n:
        out[done] = <floating>(lo + amp * 0.0)
        done += 1


cdef void _k_shape(floating* out, int64_t tau, int64_t n, const ShapeF* f,
                   const ShapeI* g, const double* coef) noexcept nogil:
    # The vectorised cases first (_shape_power_end, _shape_linear_end, _shape_pow for a power of
    # the cosine with k = 1, _shape_series for p = 1 and 0 < k <= 4, _shape_vec for the rest
    # within its parameter ranges), then the per-step loop (_shape_loop) for what is left.
    # The general shapes (k-decay, powers of a cosine) as the loop defines them. Both go through
    # the distance to the end, y = 1 - (u / end)**k, formed where it keeps its digits: near the end
    # (u >= end / 2) as -expm1(k log1p(-(end - u) / end)), end - u being exact there (Sterbenz),
    # so that a power p < 1 of a small y (or of sin²(π y / 2)) stays within the accuracy contract
    # (cos(w u**k) near π/2 would carry an absolute error of ~1e-16 into it).
    # Kind 2 (a polynomial near the end of a cycle of real length, whose end is not a whole step
    # from the segment's start) takes the distance to the end itself, d = (rest - tau) + phase:
    # the integer part exact in int64, so d keeps its relative accuracy however small it is (as
    # end - u could not: u and end carry absolute errors ~ulp(end)), and so does y**p for p < 1.
    # It serves the second half of a cycle when k != 1 (there y = -expm1(k log1p(-d / end))
    # keeps its digits; the first half is kind 1, where u = tau + phase is the accurate one) and
    # the whole cycle when k == 1 (y = d / end).
    cdef int64_t ip
    if g.kind == 2 and f.k == 1.0 and g.series and 0.0 <= f.phase < 1.0:
        _shape_power_end(out, tau, n, f, g, coef)
        return
    if g.kind == 2 and f.k == 1.0 and (f.p == 1.0 or f.p == 0.5) and -_TWO53 < g.rest - tau - n \
            and g.rest - tau < _TWO53:
        # timm's default PolyLRScheduler (k_decay 1, power 0.5 or 1): y = d / end clamped to
        # [0, 1], its square root by sqrt (correctly rounded, as pow's 0.5 power is to within a
        # hair), vectorised; d = (rest - tau - k) + phase from the exact integer as below
        _shape_linear_end(out, g.rest - tau, n, f)
        return
    if g.kind == 0 and f.k == 1.0 and f.p != 1.0 and 0.0 <= f.phase < 4503599627370496.0:
        ip = <int64_t>floor(f.phase)
        if tau <= _TWO53 - ip - n:
            if g.series == 2:   # the plan checked the shifts
                _shape_anchored(out, tau, n, f, g, coef)
            else:
                _shape_pow(out, tau + ip, n, f.phase - <double>ip, f)
            return
    if g.kind != 2 and f.p == 1.0 and g.series != 2 \
            and (g.series != 0 or f.k == 0.5 or f.k == 1.0 or f.k == 2.0) \
            and 0.0 <= f.phase < 4503599627370496.0:
        # the plan gives series for 0 < k <= 4 only (see plan._shape_series)
        ip = <int64_t>floor(f.phase)     # u = (tau + ip + k) + (phase - ip): the same sum
        if tau <= _TWO53 - ip - n:
            _shape_series(out, tau + ip, n, f.phase - <double>ip, f, g, coef)
            return
    if f.p > 0.0 and 3.054936363499605e-151 <= f.k <= 3.273390607896142e+150:
        if g.kind != 2 and 0.0 <= f.phase < 4503599627370496.0:
            ip = <int64_t>floor(f.phase)
            if tau <= _TWO53 - ip - n:
                if g.series == 2:   # kinds 0 (k != 1) and 1; the plan checked the shifts
                    _shape_anchored(out, tau, n, f, g, coef)
                else:
                    _shape_vec(out, tau, n, f, g)
                return
        elif g.kind == 2 and (f.phase == 0.0 or 3.054936363499605e-151 <= f.phase < 1.0) \
                and -_TWO53 < g.rest - tau - n and g.rest - tau < _TWO53:
            _shape_vec(out, tau, n, f, g)
            return
    _shape_loop(out, tau, n, f, g)


cdef void _shape_loop(floating* out, int64_t tau, int64_t n, const ShapeF* f,
                      const ShapeI* g) noexcept nogil:
    # the per-step loop of _k_shape (libm): the cases no vectorised path takes, and step 0 of
    # _shape_vec's kinds 0 and 1
    cdef int64_t k
    cdef double u, c, y, r
    cdef double half_pi = 1.5707963267948966
    for k in range(n):
        if g.kind == 2:
            r = <double>(g.rest - (tau + k)) + f.phase
            if r <= 0.0:
                y = 0.0
            elif r >= f.end:
                y = 1.0
            elif f.k == 1.0:
                y = r / f.end
            else:
                y = -expm1(f.k * log1p(-(r / f.end)))
            if f.p == 0.5:
                y = sqrt(y)     # as _shape_linear_end: the same bits for any window
            elif f.p != 1.0:
                y = pow(y, f.p)
            out[k] = <floating>(f.low + f.amp * y)
            continue
        u = <double>(tau + k) + f.phase
        if u >= f.end:
            y = 0.0
        elif f.k == 1.0:
            y = (f.end - u) / f.end
        elif 2.0 * u >= f.end:
            r = (f.end - u) / f.end
            y = -expm1(f.k * log1p(-r))
        else:
            y = 1.0 - pow(u / f.end, f.k)
        if g.kind == 0:
            c = sin(half_pi * y)
            c = c * c
        else:
            c = y
        if f.p != 1.0:
            c = pow(c, f.p)
        out[k] = <floating>(f.low + f.amp * c)


cdef enum:
    _PRODUCT_CHUNK = 512    # two 4 KB stack buffers per product level (see MAX_PRODUCT_DEPTH):
                            # short windows (gathers, scalars, the tail of a call)
    _PRODUCT_BIG = 2048     # longer windows: two 16 KB heap buffers, allocated once per call,
                            # so each factor's per-call setup (segment search, anchors with
                            # libm) is paid per 4096 steps instead of per 512


cdef inline void _combine(floating* out, const double* a, const double* b, int64_t m,
                          int64_t op) noexcept nogil:
    # out[j] = a[j] op b[j], rounded once (b may be out itself: each j reads before it writes)
    cdef int64_t j
    if op == OP_PRODUCT:
        for j in range(m):
            out[j] = <floating>(a[j] * b[j])
    elif op == OP_SUM:
        for j in range(m):
            out[j] = <floating>(a[j] + b[j])
    elif op == OP_MAX:
        for j in range(m):
            out[j] = <floating>(a[j] if a[j] >= b[j] else b[j])
    else:
        for j in range(m):
            out[j] = <floating>pow(a[j], b[j])


cdef void _combine_c(floating* out, const double* x, double c, int64_t m, int64_t op,
                     bint c_first) noexcept nogil:
    # _combine with one factor the constant c: out[j] = c op x[j] (c_first) or x[j] op c, the
    # operands in _combine's order (x may be out itself: each j reads before it writes)
    cdef int64_t j
    if op == OP_PRODUCT:
        if c_first:
            for j in range(m):
                out[j] = <floating>(c * x[j])
        else:
            for j in range(m):
                out[j] = <floating>(x[j] * c)
    elif op == OP_SUM:
        if c_first:
            for j in range(m):
                out[j] = <floating>(c + x[j])
        else:
            for j in range(m):
                out[j] = <floating>(x[j] + c)
    elif op == OP_MAX:
        if c_first:
            for j in range(m):
                out[j] = <floating>(c if c >= x[j] else x[j])
        else:
            for j in range(m):
                out[j] = <floating>(x[j] if x[j] >= c else c)
    elif c_first:
        for j in range(m):
            out[j] = <floating>pow(c, x[j])
    else:
        for j in range(m):
            out[j] = <floating>pow(x[j], c)


cdef inline bint _is_const(const int64_t* seg, int64_t rows) noexcept nogil:
    # a factor that is one CONST segment: the same value at every local step
    return rows == 1 and seg[FAMILY] == CONST


cdef void _k_product(floating* out, int64_t tau, int64_t n, const int64_t* seg, const double* d,
                     const double* tables) noexcept nogil:
    # a(tau) op b(tau) (op: a * b, a + b, max(a, b) or pow(a, b)), both factors filled in float64 a
    # chunk at a time, the result rounded once. The factors are plans of their own, in rows after
    # this one, evaluated at the local step. The chunk changes no value (each factor's values do
    # not depend on how its window is split), only the per-call overhead: windows longer than
    # _PRODUCT_CHUNK take heap buffers of _PRODUCT_BIG steps when malloc gives them, else (and for
    # short windows) the stack's.
    cdef const ProductI* g = <const ProductI*>(seg + INTS)
    cdef double sa[_PRODUCT_CHUNK]
    cdef double sb[_PRODUCT_CHUNK]
    cdef double* a = &sa[0]
    cdef double* b = &sb[0]
    cdef double* heap = NULL
    cdef int64_t k = 0, m, op = g.op, chunk = _PRODUCT_CHUNK, xf = 0, xr = 0
    cdef bint ca = _is_const(seg + g.a_first * NI, g.a_rows)
    cdef double c = 0.0
    if ca or _is_const(seg + g.b_first * NI, g.b_rows):
        # one factor a constant (schedule + c, max(schedule, c), c * schedule, ...): only the
        # other one is filled, and combined with the scalar (the same operands and order as two
        # filled factors: the same bytes, one pass less; float64 output takes the factor
        # straight into out, no buffer)
        c = (<const ConstF*>(d + (g.a_first if ca else g.b_first) * NDBL)).value
        xf = g.b_first if ca else g.a_first
        xr = g.b_rows if ca else g.a_rows
        if floating is double:
            while k < n:
                m = n - k if n - k < _PRODUCT_BIG else _PRODUCT_BIG
                fill_plan(seg + xf * NI, d + xf * NDBL, tables, xr, out + k, tau + k, m)
                _combine_c(out + k, out + k, c, m, op, ca)
                k += m
            return
        xr = -xr    # float32: through the buffer below (xr < 0 marks the constant's case)
    if n > _PRODUCT_CHUNK:
        heap = <double*>malloc(2 * _PRODUCT_BIG * sizeof(double))
        if heap != NULL:
            a = heap
            b = heap + _PRODUCT_BIG
            chunk = _PRODUCT_BIG
    while k < n:
        m = n - k if n - k < chunk else chunk
        if xr < 0:
            fill_plan(seg + xf * NI, d + xf * NDBL, tables, -xr, a, tau + k, m)
            _combine_c(out + k, a, c, m, op, ca)
            k += m
            continue
        fill_plan(seg + g.a_first * NI, d + g.a_first * NDBL, tables, g.a_rows, a, tau + k, m)
        if floating is double:
            # float64 output: b straight into out (its stores overlap its arithmetic), then
            # combined in place while the lines are still in cache; the same values
            fill_plan(seg + g.b_first * NI, d + g.b_first * NDBL, tables, g.b_rows, out + k,
                      tau + k, m)
            _combine(out + k, a, out + k, m, op)
        else:
            fill_plan(seg + g.b_first * NI, d + g.b_first * NDBL, tables, g.b_rows, b, tau + k, m)
            _combine(out + k, a, b, m, op)
        k += m
    free(heap)


cdef enum:
    _CYC_CHUNK = 256
    _CYC_SMALL = 32     # periods up to this are counted step by step (see _k_cycpoly)


cdef inline double _cycpoly_g(double x, int64_t kind, int64_t npow, double e) noexcept nogil:
    # x**power as the vector loops of _k_cycpoly compute it (for the steps those loops leave out)
    cdef double y
    cdef int64_t i
    if kind == 0:
        return pow(x, e)
    if kind == 2:
        return sqrt(x)
    if npow == 0:
        return 1.0
    y = x
    if npow >= 2:
        y = x * x
    for i in range(npow - 2):
        y = y * x
    return y


cdef inline void _cycpoly_pass(floating* out, const double* xb, double* yb, int m, double a,
                               double b, int64_t kind, int64_t npow, double e) noexcept nogil:
    # out[j] = a + b * g(xb[j]) for j < m, g = x**power by kind (products, sqrt, pow)
    cdef int kk
    cdef int64_t i
    if kind == 1:
        if npow == 0:
            for kk in range(m):
                out[kk] = <floating>(a + b * 1.0)
        elif npow == 1:
            for kk in range(m):
                out[kk] = <floating>(a + b * xb[kk])
        else:
            for kk in range(m):
                yb[kk] = xb[kk] * xb[kk]
            for i in range(npow - 2):
                for kk in range(m):
                    yb[kk] = yb[kk] * xb[kk]
            for kk in range(m):
                out[kk] = <floating>(a + b * yb[kk])
    elif kind == 2:
        for kk in range(m):
            out[kk] = <floating>(a + b * sqrt(xb[kk]))
    else:
        for kk in range(m):
            out[kk] = <floating>(a + b * pow(xb[kk], e))


cdef inline double _cycpoly_first(int64_t r, int64_t D, double inv, double e) noexcept nogil:
    # (r / D)**e in cycle 1 (r = D - tau). Near x = 1 (r >= D / 2, compared as r >= D - r: 2 r
    # may pass 2**63) pow would multiply the rounding of x by e: exp(e log1p(-tau / D)) keeps
    # -tau / D to an ulp instead; near 0, pow of x = r / D.
    if r >= D - r:
        return exp(e * log1p(-<double>(D - r) * inv))
    return pow(<double>r * inv, e)


cdef void _k_cycpoly(floating* out, int64_t tau, int64_t n, const CycPolyF* f,
                     const CycPolyI* g, const double* coef) noexcept nogil:
    # keras' PolynomialDecay(cycle=True): cycle k >= 1 covers the steps (k-1) D < tau <= k D (and
    # tau = 0, with k = 1) and decays over its own horizon H = k D:
    #     v = low + amp x**power,  x = 1 - tau / H = r / H,  r = k D - tau in [0, D - 1]
    # (r = D at tau = 0). r is an exact integer, found once per call by a division and then
    # counted down (k D is never formed as an integer: it may pass 2**63); H = k * D is one
    # rounding in double and 1 / H one more, so x = r * (1 / H) carries at most ~1.5 ulps. Within a
    # cycle the step loop is out = low + amp * g((r0 - j) * inv): linear and square fused into one
    # vector loop, integer powers n >= 3 as n - 1 vector passes of products over a small buffer,
    # sqrt or pow per step otherwise. At tau = k D, r = 0 and x = 0 exactly: the value is low.
    # Cycle 1 with a general power near x = 1 goes through _cycpoly_first (exp(power
    # log1p(-tau / D)), accurate for huge powers); for k >= 2, x <= 1/2 and pow is accurate.
    # With series (a general power the binomial series serves) each cycle of more than _CYC_SMALL
    # steps is _k_poly counting down: anchor D, local step D - r (the grid is the cycle's own),
    # scale k D (the same double as here), so x, its anchors and the log1p form of cycle 1 are
    # _k_poly's; no pow per step.
    # Every value depends on tau alone (r, k and the order of the operations), so any window gives
    # the same bits.
    cdef int64_t D = g.period, kind = g.kind, npow = g.n
    cdef double a = f.low, b = f.amp, e = f.power, inv, rd, Dd, x1
    cdef double xb[_CYC_CHUNK]
    cdef double yb[_CYC_CHUNK]
    cdef double iota[64]
    cdef int64_t k = 0, c, r, run, done
    cdef int kk, m, j0, jj
    _iota(iota)
    cdef PolyF pf
    cdef PolyI pg
    if n <= 0:
        return
    if D == 1:
        # x = 1 at tau = 0; every later step ends its cycle of one step (r = 0, x = 0)
        if tau == 0:
            out[0] = <floating>(a + b * _cycpoly_g(1.0, kind, npow, e))
            k = 1
        rd = a + b * _cycpoly_g(0.0, kind, npow, e)
        while k < n:
            out[k] = <floating>rd
            k += 1
        return
    if tau == 0:
        c = 1
        r = D
    else:
        c = (tau - 1) // D + 1
        r = D - 1 - (tau - 1) % D
    if D <= _CYC_SMALL:
        # short cycles: a cycle's own loop would cost more than its steps, so r and k D are
        # counted step by step into buffers and x = r / (k D) is one vector division (correctly
        # rounded) per step. pow needs no log1p here: with D <= 32, x <= (D - 1) / D in cycle 1
        # away from tau = 0 (x = 1 exactly), so pow's relative error ~power * ulp(x) * x**power
        # stays below D ulps.
        Dd = <double>D
        while k < n:
            m = <int>(n - k if n - k < _CYC_CHUNK else _CYC_CHUNK)
            for kk in range(m):
                xb[kk] = <double>r
                yb[kk] = <double>c * Dd
                if r == 0:
                    r = D - 1
                    c += 1
                else:
                    r -= 1
            for kk in range(m):
                xb[kk] = xb[kk] / yb[kk]
            _cycpoly_pass(out + k, xb, yb, m, a, b, kind, npow, e)
            k += m
        return
    while k < n:
        # the steps with r, r - 1, ..., 0 of cycle c (r = D only at tau = 0, in cycle 1)
        run = n - k if r >= n - k else r + 1   # (r + 1 overflows for r = D = 2**63 - 1)
        if g.series:   # kind 0 (a general power) or 2 (0.5: sqrt on the anchors, kind 3)
            pf.low, pf.amp, pf.scale, pf.power, pf.frac = a, b, <double>c * <double>D, e, 0.0
            pg.anchor, pg.kind, pg.reverse, pg.series, pg.shift = D, 3 if kind == 2 else 0, 1, \
                g.series, g.shift
            _k_poly(out + k, D - r, run, &pf, &pg, coef)
            k += run
            c += 1
            r = D - 1
            continue
        inv = 1.0 / (<double>c * <double>D)
        done = 0
        while done < run:
            m = <int>(run - done if run - done < _CYC_CHUNK else _CYC_CHUNK)
            if r - done < _TWO53:
                rd = <double>(r - done)
                # rd - kk as (rd - j0) - iota[jj]: the same exact integers, no conversion per step
                if kind == 1 and npow == 1:
                    for j0 in range(0, m, 64):
                        x1 = rd - <double>j0
                        for jj in range(m - j0 if m - j0 < 64 else 64):
                            out[k + done + j0 + jj] = <floating>(a + b * ((x1 - iota[jj]) * inv))
                    done += m
                    continue
                if kind == 1 and npow == 2:
                    for j0 in range(0, m, 64):
                        x1 = rd - <double>j0
                        for jj in range(m - j0 if m - j0 < 64 else 64):
                            out[k + done + j0 + jj] = <floating>(
                                a + b * (((x1 - iota[jj]) * inv) * ((x1 - iota[jj]) * inv)))
                    done += m
                    continue
                for kk in range(m):
                    xb[kk] = (rd - <double>kk) * inv
            else:
                for kk in range(m):
                    xb[kk] = <double>(r - done - kk) * inv
            if kind == 0 and c == 1:
                for kk in range(m):
                    out[k + done + kk] = <floating>(
                        a + b * _cycpoly_first(r - done - kk, D, inv, e))
            else:
                _cycpoly_pass(out + k + done, xb, yb, m, a, b, kind, npow, e)
            done += m
        k += run
        c += 1
        r = D - 1
