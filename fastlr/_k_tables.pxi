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

