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
        _k_family(out, tau, m, seg, dseg + s * NDBL, tables)
        n -= m
        if n == 0:
            return
        out += m
        start += m
        s += 1


ctypedef struct _PlanRef:
    const int64_t* i
    const double* d
    const double* t
    Py_ssize_t n


cdef extern from "Python.h":
    int _check_signals "PyErr_CheckSignals"() noexcept


cdef int _handle_signals() noexcept nogil:
    """Run Python's signal handlers: -1 with their exception pending, 0 if they returned."""
    global fastlr_sigint
    cdef int rc
    fastlr_sigint = 0
    with gil:
        rc = _check_signals()
    return -1 if rc < 0 else 0


cdef int _raise_pending(int rc) except -1:
    """Turn a runner's status into Python: -1 propagates the pending exception (a signal
    handler's), -2 is MemoryError."""
    if rc == -2:
        raise MemoryError()
    return -1 if rc < 0 else 0


cdef int _run_fill(const _PlanRef* refs, Py_ssize_t nrows, floating* out, Py_ssize_t ld,
                   int64_t start, int64_t n, int threads, int watching) noexcept nogil:
    """Row r of `out` (``out + r * ld``) gets plan r's values of steps start ... start+n-1.

    The work is split into items (a row, a chunk of _RUN_CHUNK steps): serially in order, or on
    `threads` threads (OpenMP, dynamic scheduling), each item written by one thread with the same
    code as a one-shot fill_plan: the bytes never depend on the split or the thread count. When
    `watching`, an interrupt stops the work between items and Python's signal handlers run; if
    they raise, -1 is returned with their exception pending and `out` holds, serially, the rows
    before the current one and a prefix of whole chunks of it (the rest untouched); in parallel,
    a set of whole chunks (those finished or in flight when the signal came), the rest untouched.
    If the handlers return, the work resumes. -2: out of memory (nothing written). 0: done."""
    cdef int64_t nch = (n + _RUN_CHUNK - 1) // _RUN_CHUNK
    cdef int64_t nitems = nrows * nch, it, c0, m, left
    cdef Py_ssize_t r
    cdef char* done
    if nitems <= 0:
        return 0
    if threads > nitems:
        threads = <int>nitems
    if threads > 1:
        threads = fastlr_team_size(threads)
    if threads <= 1 and not watching:
        for r in range(nrows):   # nothing to check between chunks: one call per row
            fill_plan(refs[r].i, refs[r].d, refs[r].t, refs[r].n, out + r * ld, start, n)
        return 0
    if threads <= 1:
        for it in range(nitems):
            if _interrupted(watching) and _handle_signals() < 0:
                return -1
            r = <Py_ssize_t>(it // nch)
            c0 = (it - r * nch) * _RUN_CHUNK
            m = n - c0 if n - c0 < _RUN_CHUNK else _RUN_CHUNK
            fill_plan(refs[r].i, refs[r].d, refs[r].t, refs[r].n, out + r * ld + c0, start + c0, m)
        return 0
    done = <char*>calloc(nitems, 1)
    if done == NULL:
        return -2
    while True:
        for it in prange(nitems, num_threads=threads, schedule="dynamic", chunksize=1):
            if done[it] == 0 and not (watching != 0 and fastlr_sigint != 0):
                r = <Py_ssize_t>(it // nch)
                c0 = (it - r * nch) * _RUN_CHUNK
                m = n - c0 if n - c0 < _RUN_CHUNK else _RUN_CHUNK
                fill_plan(refs[r].i, refs[r].d, refs[r].t, refs[r].n, out + r * ld + c0,
                          start + c0, m)
                done[it] = 1
        left = 0
        for it in range(nitems):
            left += done[it] == 0
        if left == 0:
            break
        if _handle_signals() < 0:   # stopped by an interrupt
            free(done)
            return -1
    free(done)
    return 0


cdef int64_t gather_plan(const int64_t* iseg, const double* dseg, const double* tables,
                         Py_ssize_t nseg, const int64_t* steps, int64_t n,
                         double* out, int watching) noexcept nogil:
    """out[k] = value at steps[k]; returns the index of the first negative step, or -1; -2 when
    a signal handler raised (its exception pending; out[0:k] written)."""
    cdef int64_t k, t
    cdef Py_ssize_t s
    for k in range(n):
        t = steps[k]
        if t < 0:
            return k
        if (k & (_RUN_CHUNK - 1)) == 0 and k and _interrupted(watching) \
                and _handle_signals() < 0:
            return -2
        s = _find_segment(iseg, nseg, t)
        _k_family(out + k, t - iseg[s * NI + BEGIN] + iseg[s * NI + OFFSET], 1,
                  iseg + s * NI, dseg + s * NDBL, tables)
    return -1


MAX_PRODUCT_DEPTH = 16   # nested products: each level holds 8 KB of stack buffers (128 KB at the
                         # limit, plus a SHAPE leaf's ~22 KB (_shape_anchored): well inside any
                         # thread's stack); long windows add 32 KB of heap per level (freed on
                         # return)


def _check_rows(iseg, dseg, Py_ssize_t ntab, Py_ssize_t top):
    """Check the plan rows [0, top) and every row range a product refers to; raise ValueError."""
    cdef const int64_t[:, ::1] iv = iseg
    cdef const double[:, ::1] dv = dseg
    cdef Py_ssize_t rows = iv.shape[0], first, count, k, r
    todo = [(0, top, 0)]
    # the deepest level each row range was checked at: products may share factor rows, and
    # checking every path through such a plan would take time exponential in its depth
    checked = {}
    while todo:
        first, count, depth = todo.pop()
        if depth > MAX_PRODUCT_DEPTH:
            raise ValueError(f"plan rows {first}...: products (sums, maxima) nested more than "
                             f"{MAX_PRODUCT_DEPTH} deep")
        if checked.get((first, count), -1) >= depth:
            continue   # checked at this depth or deeper: its factors nest no deeper from here
        checked[(first, count)] = depth
        for r in range(count):
            k = first + r
            if (iv[k, BEGIN] != 0) if r == 0 else (iv[k, BEGIN] <= iv[k - 1, BEGIN]):
                raise ValueError(f"plan segment {k}: begins must increase from 0, got "
                                 f"{iv[k, BEGIN]}")
            # the last local step, (end - 1) - begin + offset, must not pass 2**63 - 1
            if iv[k, OFFSET] < 0 or (iv[k, OFFSET] > iv[k, BEGIN] and (
                    r + 1 == count or
                    iv[k, OFFSET] - iv[k, BEGIN] > FASTLR_INT64_MAX - iv[k + 1, BEGIN] + 1)):
                raise ValueError(f"plan segment {k}: offset {iv[k, OFFSET]} takes a local step "
                                 f"past 2**63 - 1")
            msg = _check_segment(&iv[k, 0], &dv[k, 0], ntab)
            if msg is not None:
                raise ValueError(f"plan segment {k}: {msg}")
            if iv[k, FAMILY] == PRODUCT:
                for n_rows, off in ((iv[k, INTS], iv[k, INTS + 1]),
                                    (iv[k, INTS + 2], iv[k, INTS + 3])):
                    if n_rows < 1 or off < 1 or off > rows - k - n_rows:
                        raise ValueError(f"plan segment {k}: a product factor at rows "
                                         f"[{k} + {off}, +{n_rows}) outside the plan's {rows}")
                    todo.append((k + off, n_rows, depth + 1))


@cython.final
cdef class Plan:
    """A compiled schedule: the segment tables the interpreter walks. Immutable.

    ``Plan(iseg, dseg, tables)`` copies the three arrays (int64 ``(n, N_INT_COLUMNS)``, float64
    ``(n, N_FLOAT_COLUMNS)``, float64 1-D), makes the copies read-only and checks every segment the
    kernels could otherwise run out of bounds with: known family codes, begins increasing from 0,
    offsets that keep every local step within 2**63 - 1, integer parameters the kernels divide or
    index by, the reach of each segment's tables, and the factor plans of products (rows after the
    product's own, at most MAX_PRODUCT_DEPTH deep). The first ``n_top`` rows (default: all) are
    the plan; rows after them hold the factors of products. A plan that passes cannot crash a
    kernel, whoever built it."""
    cdef readonly object iseg
    cdef readonly object dseg
    cdef readonly object tables
    cdef const int64_t* _i
    cdef const double* _d
    cdef const double* _t
    cdef Py_ssize_t _n

    def __cinit__(self, iseg, dseg, tables, n_top=None):
        iseg = np.array(iseg, dtype=np.int64, order="C", copy=True)
        dseg = np.array(dseg, dtype=np.float64, order="C", copy=True)
        tables = np.array(tables, dtype=np.float64, order="C", copy=True).reshape(-1)
        if tables.shape[0] == 0:
            tables = np.zeros(1)
        for a in (iseg, dseg, tables):
            a.flags.writeable = False
        if iseg.ndim != 2 or dseg.ndim != 2 or iseg.shape[0] < 1 or iseg.shape[1] != NI \
                or dseg.shape[1] != NDBL or dseg.shape[0] != iseg.shape[0]:
            raise ValueError(f"a plan needs iseg of shape (n >= 1, {NI}) and dseg of shape "
                             f"(n, {NDBL}); got {iseg.shape} and {dseg.shape}")
        cdef Py_ssize_t rows = iseg.shape[0]
        cdef Py_ssize_t top = rows if n_top is None else n_top
        if not 1 <= top <= rows:
            raise ValueError(f"n_top={n_top} must be in [1, {rows}]")
        _check_rows(iseg, dseg, tables.shape[0], top)
        cdef const int64_t[:, ::1] iv = iseg
        cdef const double[:, ::1] dv = dseg
        cdef const double[::1] tv = tables
        self.iseg, self.dseg, self.tables = iseg, dseg, tables
        self._i = &iv[0, 0]
        self._d = &dv[0, 0]
        self._t = &tv[0]
        self._n = top

    @property
    def n_segments(self):
        return self._n

    def value(self, t):
        """The value at one step (a Python int >= 0), as a Python float."""
        cdef int64_t s = _as_step(t, "t")
        cdef double v
        fill_plan(self._i, self._d, self._t, self._n, &v, s, 1)
        return v

    def fill(self, out, start=0, threads=None):
        """Write the values of steps start ... start+len(out)-1 into `out`; return `out`.

        ``threads``: 1 serial; None or k: as ``fastlr.threads.fill_threads`` resolves them (None
        is serial below a measured size). The bytes are the same for every thread count. A fill
        of WATCH_ABOVE steps or more on the main thread stops for Ctrl-C between chunks of
        RUN_CHUNK steps: the KeyboardInterrupt propagates and `out` then holds whole chunks of the
        window (a prefix when serial), the rest untouched."""
        cdef Py_buffer view
        cdef int64_t s = _as_step(start, "start")
        cdef int64_t n
        cdef int nthreads = 1, watching = 0, rc = 0
        cdef _PlanRef ref
        cdef int kind = _acquire(out, &view, 1, "out")
        try:
            n = view.shape[0]
            _check_window(s, n)
            if threads is not None and not (type(threads) is int and threads == 1):
                nthreads = _fill_threads(threads, n)
            elif threads is None and n >= _fill_serial_below:
                nthreads = _fill_threads(None, n)
            if nthreads == 1 and n < _WATCH_ABOVE:
                if kind == 2:
                    with nogil:
                        fill_plan(self._i, self._d, self._t, self._n, <double*>view.buf, s, n)
                else:
                    with nogil:
                        fill_plan(self._i, self._d, self._t, self._n, <float*>view.buf, s, n)
                return out
            ref.i, ref.d, ref.t, ref.n = self._i, self._d, self._t, self._n
            watching = _watch_start(n)
            try:
                if kind == 2:
                    with nogil:
                        rc = _run_fill(&ref, 1, <double*>view.buf, 0, s, n, nthreads, watching)
                else:
                    with nogil:
                        rc = _run_fill(&ref, 1, <float*>view.buf, 0, s, n, nthreads, watching)
            finally:
                _watch_stop(watching)
            _raise_pending(rc)
        finally:
            PyBuffer_Release(&view)
        return out

    def gather(self, const int64_t[::1] steps, double[::1] out):
        """out[k] = value at steps[k]. Raises ValueError naming the first negative
        step (and its index); `out` is then partly written (scratch)."""
        cdef int64_t bad = -1, n = steps.shape[0]
        cdef int watching = 0
        if out.shape[0] != n:
            raise ValueError(f"steps and out differ in length: {n} and {out.shape[0]}")
        if n:
            watching = _watch_start(n)
            try:
                with nogil:
                    bad = gather_plan(self._i, self._d, self._t, self._n, &steps[0], n, &out[0],
                                      watching)
            finally:
                _watch_stop(watching)
            if bad == -2:
                _raise_pending(-1)
        if bad >= 0:
            raise ValueError(f"steps must be >= 0, got {steps[bad]} at flat index {bad}")


# threads=None fills shorter than this run serially without asking Python (fastlr.threads sets it
# from its measured threshold at import).
cdef int64_t _fill_serial_below = 1 << 62
cdef object _fill_threads_fn = None


cdef int _fill_threads(object threads, int64_t n) except -1:
    global _fill_threads_fn
    if _fill_threads_fn is None:
        from fastlr.threads import fill_threads
        _fill_threads_fn = fill_threads
    return _fill_threads_fn(threads, n)


def set_fill_serial_below(int64_t n):
    """fastlr.threads: threads=None fills of fewer than n steps run serially (no Python call)."""
    global _fill_serial_below
    _fill_serial_below = n
