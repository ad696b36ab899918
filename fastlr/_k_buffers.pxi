# Output buffers and windows: one place that both accepts and explains.
#
# _acquire() holds a writable buffer of `out` when the kernels can write it and otherwise raises the
# precise TypeError/ValueError (naming `out` and the fault) before anything is written, as numpy's
# check_output does. The common case is one PyObject_GetBuffer; the explanation runs only when that
# fast acceptance fails, and if it finds nothing wrong (e.g. a native float64 array whose buffer
# format is spelled '<d'), the buffer is acquired without asking for its format.

cdef int _fast_kind(Py_buffer* view, int ndim) noexcept:
    """2 (float64) or 1 (float32) if the held buffer is what the kernels need, else 0."""
    cdef int kind = 0
    if view.ndim != ndim or view.format == NULL or view.format[0] == 0 or view.format[1] != 0:
        return 0
    if view.format[0] == b'd':
        kind = 2
    elif view.format[0] == b'f':
        kind = 1
    else:
        return 0
    if (<uintptr_t>view.buf) % <uintptr_t>view.itemsize != 0:
        return 0
    if ndim == 1:
        if view.shape[0] > 1 and view.strides[0] != view.itemsize:
            return 0
    elif (view.shape[1] > 1 and view.strides[1] != view.itemsize) or (
            view.shape[0] > 1 and view.shape[1] > 0 and (
                view.strides[0] < view.shape[1] * view.itemsize
                or view.strides[0] % view.itemsize)):
        return 0
    return kind


cdef int _explain(object out, int ndim, str name) except -1:
    """Raise the precise error for an `out` the kernels cannot write; return 0 if it is fine.
    ndim 1: C-contiguous; ndim 2: contiguous rows that do not overlap (the row stride may exceed
    the row length: a column block ``wide[:, c:c + n]`` passes)."""
    if not isinstance(out, _ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {out.shape}")
    if out.dtype.type not in (np.float32, np.float64):
        raise TypeError(f"{name} must have dtype float32 or float64, got {out.dtype}")
    if not out.dtype.isnative:
        raise ValueError(f"{name} must be in native byte order, got dtype {out.dtype.str!r}")
    if ndim == 1:
        if not out.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous, got strides {out.strides}")
    else:
        rows, cols = out.shape
        if cols > 1 and out.strides[1] != out.itemsize:
            raise ValueError(f"{name} must have contiguous rows (strides[1] == itemsize "
                             f"{out.itemsize}), got strides {out.strides}")
        if rows > 1 and cols > 0 and (out.strides[0] < cols * out.itemsize
                                      or out.strides[0] % out.itemsize):
            raise ValueError(f"{name} rows must not overlap (strides[0] >= "
                             f"{cols * out.itemsize}, a multiple of {out.itemsize}), got strides "
                             f"{out.strides}")
    if not out.flags.aligned:
        raise ValueError(f"{name} must be aligned to its itemsize; its data address is misaligned")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return 0


cdef int _acquire(object out, Py_buffer* view, int ndim, str name) except 0:
    """Hold a writable buffer of `out` and return 2 (float64) or 1 (float32), or raise the precise
    error with nothing held. The caller releases the buffer."""
    cdef int kind = 0
    if isinstance(out, _ndarray):
        try:
            PyObject_GetBuffer(out, view, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_STRIDES)
        except (BufferError, ValueError, TypeError):
            pass
        else:
            kind = _fast_kind(view, ndim)
            if kind:
                return kind
            PyBuffer_Release(view)
    _explain(out, ndim, name)
    PyObject_GetBuffer(out, view, PyBUF_WRITABLE | PyBUF_STRIDES)
    return 2 if out.dtype.type is np.float64 else 1


def check_output(out, int ndim=1, str name="out"):
    """Raise the precise TypeError/ValueError if the kernels cannot write `out` (``ndim`` 1: a
    C-contiguous array; 2: contiguous, non-overlapping rows); return it otherwise. The same check
    every fill and sweep runs."""
    cdef Py_buffer view
    _acquire(out, &view, ndim, name)
    PyBuffer_Release(&view)
    return out


cdef inline int _check_window(int64_t s, int64_t n) except -1:
    if n > 0 and s > FASTLR_INT64_MAX - (n - 1):
        raise ValueError(f"start={s} with {n} steps: the last step {int(s) + n - 1} would pass "
                         f"2**63 - 1")
    return 0


def check_window(start, n):
    """Raise ValueError if steps ``start … start+n-1`` pass 2**63 - 1 (start, n: valid steps)."""
    _check_window(start, n)


cdef inline int64_t _as_step(object t, str name) except -1:
    if type(t) is int and t >= 0 and t <= FASTLR_INT64_MAX:
        return t
    from fastlr.validate import check_step
    return check_step(t, name)
