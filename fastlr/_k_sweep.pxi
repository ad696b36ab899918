# Sweeps: many plans, one row each (fastlr/sweep.py validates and calls sweep_fill), and their
# reductions.

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
    released while the rows are filled, in chunks of RUN_CHUNK steps of a row; with ``threads > 1``
    and OpenMP compiled in, chunks run in parallel (fewer threads if the OS cannot start that many).
    Row r is bit for bit ``plans[r].fill(out[r], start)`` for every thread count. On the main
    thread, Ctrl-C stops the fill between chunks (KeyboardInterrupt; `out` then holds whole chunks,
    the rest untouched).
    `plans` must be Plan objects of this copy of the kernels (fastlr._dispatch.kernels)."""
    cdef Py_buffer view
    cdef int64_t s = _as_step(start, "start")
    cdef int64_t n
    cdef Py_ssize_t nrows, r, ld
    cdef int watching = 0, rc = 0
    cdef _PlanRef* refs = NULL
    cdef tuple keep = tuple(plans)   # holds the plans (and their tables) alive without the GIL
    cdef int kind = _acquire(out, &view, 2, "out")
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
        watching = _watch_start(<int64_t>nrows * n)
        try:
            if kind == 2:
                with nogil:
                    rc = _run_fill(refs, nrows, <double*>view.buf, ld, s, n, threads, watching)
            else:
                with nogil:
                    rc = _run_fill(refs, nrows, <float*>view.buf, ld, s, n, threads, watching)
        finally:
            _watch_stop(watching)
        _raise_pending(rc)
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


cdef int _reduce_row(const _PlanRef* p, int64_t start, int64_t n, int64_t chunk, double* buf,
                     double* res, int watching) noexcept nogil:
    # res = [sum, min, max, final] of the values of steps start ... start+n-1 (n >= 1). Chunk sums
    # are added with Neumaier's compensation; min/max propagate NaN as numpy's do. Returns 1, or 0
    # when an interrupt (watched calls) stopped it between chunks (res untouched).
    cdef double total = 0.0, comp = 0.0, part, t, lo = INFINITY, hi = -INFINITY
    cdef int64_t c0 = 0, m = 0, nans = 0
    while c0 < n:
        if watching != 0 and fastlr_sigint != 0:
            return 0
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
    return 1


cdef int _reduce_rows(const _PlanRef* refs, Py_ssize_t nrows, int64_t start, int64_t n,
                      int64_t chunk, double* scratch, int threads, double* res,
                      int watching) noexcept nogil:
    # Rows are the items (a row's chunks are summed in order, so a row stays on one thread). An
    # interrupt stops the rows in flight between chunks; Python's handlers then run (-1 if they
    # raise, exception pending) and, if they return, the unfinished rows start again. -2: no memory.
    cdef Py_ssize_t r, left
    cdef char* done
    if threads > nrows:
        threads = <int>nrows
    if threads > 1:
        threads = fastlr_team_size(threads)
    if threads <= 1:
        r = 0
        while r < nrows:
            if _reduce_row(&refs[r], start, n, chunk, scratch, res + r * RED_N, watching):
                r += 1
            elif _handle_signals() < 0:
                return -1
        return 0
    done = <char*>calloc(nrows, 1)
    if done == NULL:
        return -2
    while True:
        for r in prange(nrows, num_threads=threads, schedule="dynamic", chunksize=1):
            if done[r] == 0 and not (watching != 0 and fastlr_sigint != 0):
                done[r] = <char>_reduce_row(&refs[r], start, n, chunk,
                                            scratch + threadid() * chunk, res + r * RED_N,
                                            watching)
        left = 0
        for r in range(nrows):
            left += done[r] == 0
        if left == 0:
            break
        if _handle_signals() < 0:
            free(done)
            return -1
    free(done)
    return 0


def sweep_reduce_rows(plans, double[:, ::1] res, start, int64_t n, int64_t chunk,
                      double[:, ::1] scratch):
    """res[r] = (sum, min, max, final) of ``plans[r]``'s values at steps start ... start+n-1
    (n >= 1), computed ``chunk`` steps at a time in float64. ``scratch`` holds one chunk per
    thread: its row count is the thread count (rows run in parallel when OpenMP is compiled in;
    every thread count gives the same values) and it must have ``chunk`` columns. Returns `res`."""
    cdef int64_t s = _as_step(start, "start")
    cdef Py_ssize_t nrows, r
    cdef int threads, watching = 0, rc = 0
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
    watching = _watch_start(<int64_t>nrows * n)
    try:
        with nogil:
            rc = _reduce_rows(refs, nrows, s, n, chunk, &scratch[0, 0], threads, &res[0, 0],
                              watching)
    finally:
        _watch_stop(watching)
        free(refs)
    _raise_pending(rc)
    return res
