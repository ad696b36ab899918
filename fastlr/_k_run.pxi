# Running long kernels: Ctrl-C between chunks, and thread teams that can actually start.
#
# Interrupts. Python's SIGINT handler only sets a flag that the interpreter reads when it holds the
# GIL, so a kernel running without the GIL for 10 s used to deliver KeyboardInterrupt 10 s late.
# A long call made on the main thread therefore wraps the C-level SIGINT handler for its duration:
# fastlr_on_sigint sets fastlr_sigint and then calls the handler it replaced (Python's, which
# records the signal as usual). The kernels read fastlr_sigint between chunks (a load, no GIL, no
# system call); when it is set they stop, take the GIL and call PyErr_CheckSignals(), which runs
# the Python-level handler: KeyboardInterrupt (or whatever the handler raises) propagates, and a
# handler that returns lets the call resume where it stopped. Only the main thread wraps the
# handler (Python runs signal handlers there only); calls on other threads are not interruptible,
# as before. Where sigaction() does not exist (Windows), a serial long call instead takes the GIL
# briefly between chunks to call PyErr_CheckSignals().
#
# Thread start-up. GNU libgomp calls exit(1) ("Thread creation failed") when pthread_create fails
# inside a parallel region. Before a region that needs more threads than the calling thread's team
# has already had, fastlr_team_size() creates and joins that many threads itself, with the stack
# size libgomp will use (OMP_STACKSIZE, else GOMP_STACKSIZE, else the system default), and returns
# how many could be started: the caller runs its region with that many (values never depend on the
# thread count), serially if none could.

cdef extern from *:
    """
    #include <signal.h>
    #include <string.h>
    static volatile sig_atomic_t fastlr_sigint = 0;
    #if !defined(_WIN32)
    #define FASTLR_POLL_BY_GIL 0
    static struct sigaction fastlr_prev_sa;
    static int fastlr_watching = 0;
    static void fastlr_on_sigint(int sig, siginfo_t* info, void* ctx) {
        fastlr_sigint = 1;
        if (fastlr_prev_sa.sa_flags & SA_SIGINFO) {
            if (fastlr_prev_sa.sa_sigaction) fastlr_prev_sa.sa_sigaction(sig, info, ctx);
        } else if (fastlr_prev_sa.sa_handler != SIG_DFL && fastlr_prev_sa.sa_handler != SIG_IGN) {
            fastlr_prev_sa.sa_handler(sig);
        }
    }
    /* Wrap SIGINT's handler: 1 if done (call fastlr_unwatch after), 0 if not (already wrapped,
       or the handler is SIG_DFL / SIG_IGN: nothing to forward to, the OS acts alone). */
    static int fastlr_watch(void) {
        struct sigaction cur, sa;
        if (fastlr_watching) return 0;
        if (sigaction(SIGINT, NULL, &cur) != 0) return 0;
        if (!(cur.sa_flags & SA_SIGINFO)
                && (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN)) return 0;
        fastlr_prev_sa = cur;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = fastlr_on_sigint;
        sa.sa_flags = SA_SIGINFO | (cur.sa_flags & (SA_ONSTACK | SA_RESTART));
        sa.sa_mask = cur.sa_mask;
        fastlr_sigint = 0;
        if (sigaction(SIGINT, &sa, NULL) != 0) return 0;
        fastlr_watching = 1;
        return 1;
    }
    /* Put the wrapped handler back, unless someone replaced ours meanwhile. */
    static void fastlr_unwatch(void) {
        struct sigaction cur;
        if (!fastlr_watching) return;
        fastlr_watching = 0;
        if (sigaction(SIGINT, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO)
                && cur.sa_sigaction == fastlr_on_sigint)
            sigaction(SIGINT, &fastlr_prev_sa, NULL);
    }
    #else
    #define FASTLR_POLL_BY_GIL 1
    static int fastlr_watch(void) { return 1; }
    static void fastlr_unwatch(void) {}
    #endif

    #if defined(_OPENMP) && !defined(_WIN32)
    #include <pthread.h>
    #include <stdlib.h>
    #include <ctype.h>
    /* libgomp's reading of OMP_STACKSIZE / GOMP_STACKSIZE: a number, an optional B/K/M/G suffix
       (default K); 0 if unset or unreadable (then libgomp uses the default attributes too). */
    static size_t fastlr_env_stacksize(const char* name) {
        const char* s = getenv(name);
        char* end;
        unsigned long long v, mult = 1024;
        if (s == NULL) return 0;
        while (isspace((unsigned char)*s)) s++;
        if (*s == 0) return 0;
        v = strtoull(s, &end, 10);
        while (isspace((unsigned char)*end)) end++;
        switch (*end) {
            case 'b': case 'B': mult = 1; end++; break;
            case 'k': case 'K': mult = 1024; end++; break;
            case 'm': case 'M': mult = 1024ULL * 1024; end++; break;
            case 'g': case 'G': mult = 1024ULL * 1024 * 1024; end++; break;
        }
        while (isspace((unsigned char)*end)) end++;
        if (*end != 0 || v == 0) return 0;
        return (size_t)(v * mult);
    }
    static void* fastlr_idle(void* arg) { return arg; }
    /* libgomp keeps a pool of threads per calling thread: the largest team this thread has run. */
    static __thread int fastlr_team_ok = 1;
    static int fastlr_team_size(int want) {
        pthread_attr_t attr;
        pthread_t* ids;
        size_t ss;
        int made = 0, i;
        if (want <= fastlr_team_ok) return want;
        ids = (pthread_t*)malloc(sizeof(pthread_t) * (size_t)(want - 1));
        if (ids == NULL) return 1;
        if (pthread_attr_init(&attr) != 0) { free(ids); return 1; }
        ss = fastlr_env_stacksize("OMP_STACKSIZE");
        if (ss == 0) ss = fastlr_env_stacksize("GOMP_STACKSIZE");
        if (ss) pthread_attr_setstacksize(&attr, ss);
        /* all of them alive at once, as libgomp's team will be */
        for (made = 0; made < want - 1; made++)
            if (pthread_create(&ids[made], &attr, fastlr_idle, NULL) != 0) break;
        for (i = 0; i < made; i++) pthread_join(ids[i], NULL);
        pthread_attr_destroy(&attr);
        free(ids);
        if (made + 1 > fastlr_team_ok) fastlr_team_ok = made + 1;
        return made + 1;
    }
    /* after fork() the child has no pool: forget what the parent's thread had */
    static void fastlr_team_forget(void) { fastlr_team_ok = 1; }
    #else
    static int fastlr_team_size(int want) { return want; }
    static void fastlr_team_forget(void) {}
    #endif
    """
    int fastlr_sigint
    int FASTLR_POLL_BY_GIL
    int fastlr_watch() noexcept nogil
    void fastlr_unwatch() noexcept nogil
    int fastlr_team_size(int want) noexcept nogil
    void fastlr_team_forget() noexcept nogil


cdef extern from "pythread.h":
    unsigned long PyThread_get_thread_ident() noexcept nogil

import threading as _threading

cdef unsigned long _main_ident = _threading.main_thread().ident


# Steps per chunk of a long fill: the unit of work of a parallel fill and the interval between
# interrupt checks (~20-70 µs of work at 0.3-1 ns per step). Values never depend on it.
cdef int64_t _RUN_CHUNK = 1 << 16
RUN_CHUNK = _RUN_CHUNK


# Calls of fewer values than this are not watched: they end within ~10 ms anyway (4M values at
# 0.1-2.5 ns each), and the two sigaction() calls of a watch (~1 µs) would cost more than the
# check is worth on a short call (measured: +5-15% at 10^5 steps when every chunked call was
# watched).
cdef int64_t _WATCH_ABOVE = 1 << 22
WATCH_ABOVE = _WATCH_ABOVE


cdef inline int _watch_start(int64_t work) noexcept:
    """Called with the GIL before a call of `work` values: 1 if it will check for interrupts
    (then _watch_stop must follow), 0 otherwise (calls of fewer than WATCH_ABOVE values, threads
    other than the main one)."""
    if work < _WATCH_ABOVE or PyThread_get_thread_ident() != _main_ident:
        return 0
    if not fastlr_watch():
        return 0
    return 1


cdef inline void _watch_stop(int watching) noexcept:
    if watching:
        fastlr_unwatch()


cdef inline bint _interrupted(int watching) noexcept nogil:
    """True when a watched call must stop and let Python run its signal handler."""
    return watching != 0 and (FASTLR_POLL_BY_GIL != 0 or fastlr_sigint != 0)


def team_size(int threads):
    """How many threads a parallel region of `threads` can start now (1 ... threads): the
    thread-creation check every threaded kernel makes before its region."""
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    with nogil:
        threads = fastlr_team_size(threads)
    return threads


def _after_fork_in_child():
    fastlr_team_forget()


import os as _os
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_after_fork_in_child)
