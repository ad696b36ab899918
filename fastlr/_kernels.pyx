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

The source is one compilation unit (one per instruction set: _kernels_avx2.pyx and
_kernels_avx512.pyx include this file), split by concern:

    _k_isa.pxi       CPU feature probes, the ISA of this copy, OpenMP
    _k_run.pxi       long calls: Ctrl-C between chunks, thread teams that can start
    _k_tables.pxi    rotation / power tables (built once per segment)
    _k_families.pxi  the families: enum, named parameter structs, kernels, segment checks
    _k_buffers.pxi   `out` and window checks (accept and explain in one place)
    _k_plan.pxi      the interpreter (fill_plan, gather_plan), the chunked runner, the Plan object
    _k_sweep.pxi     sweeps and their reductions (OpenMP rows)
"""
from cpython.buffer cimport PyBUF_FORMAT, PyBUF_STRIDES, PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from cython.parallel cimport prange, threadid
from libc.math cimport INFINITY, NAN, ceil, cos, exp, expm1, fabs, floor, ldexp, log, log1p, pow, sin, sqrt
from libc.stdint cimport int64_t, uintptr_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memset

cimport cython
from cython cimport floating

import numpy as np

cdef object _ndarray = np.ndarray

cdef int64_t _BLOCK = 4096      # anchor spacing: 64 x 64 local steps, reached by two 64-entry tables
BLOCK = _BLOCK
cdef int64_t _TWO53 = 9007199254740992
cdef int _CHUNK = 1 << 30       # inner loops count in int

include "_k_isa.pxi"
include "_k_run.pxi"
include "_k_tables.pxi"
include "_k_families.pxi"
include "_k_buffers.pxi"
include "_k_plan.pxi"
include "_k_sweep.pxi"
