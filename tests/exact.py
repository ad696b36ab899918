"""An independent exact oracle for fastlr's catalogue and compositions.

Every value is computed from the formula printed in the schedule's docstring (and in issue 3), with
the float parameters taken at their exact binary value (``Fraction(x)``/``mpf(x)``), integer phases
and cycle boundaries in Python integers, and everything transcendental in mpmath at 40 digits. No
code is shared with fastlr: the oracle reads only a schedule's ``to_dict()`` (its parameters).

Public helpers
--------------
``oracle(schedule)``        a callable ``t -> mpf`` (exact value at step t)
``peak(schedule)``          the largest rate parameter (the scale of the 1e-13 accuracy contract)
``breakpoints(schedule)``   global steps where the formula changes (segment starts), for windows
``exact_window(...)``       exact values of a window; ``max_error(...)`` the worst |fastlr - exact|
"""
from __future__ import annotations

import math
from bisect import bisect_right
from fractions import Fraction
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np
from mpmath import mp, mpf

DPS = 40
LAST_STEP = 2**63 - 1

__all__ = ["DPS", "LAST_STEP", "oracle", "peak", "breakpoints", "exact_window", "max_error",
           "onecycle_phase_ends", "restart_steps", "local_anchors"]


# ------------------------------------------------------------------------------ exact numbers
def q(x: Any) -> Fraction:
    """The exact value of a float/int parameter."""
    return Fraction(x)


def m(x: Any) -> mpf:
    """An exact number (int, float, Fraction) as an mpf at the working precision."""
    if isinstance(x, Fraction):
        return mpf(x.numerator) / x.denominator
    return mpf(x)


def half_cos(frac: Fraction) -> mpf:
    """(1 + cos(pi * frac)) / 2 for an exact fraction, in mpmath."""
    return (1 + mp.cos(mp.pi * m(frac))) / 2


def _params(schedule: Any) -> Dict[str, Any]:
    d = dict(schedule if isinstance(schedule, dict) else schedule.to_dict())
    return d


# ------------------------------------------------------------------------------ families
def _step_decay(p):
    lr, g, n = m(p["lr"]), m(p["gamma"]), p["step_size"]
    return lambda t: lr * g ** (t // n)


def cos_sq(y: Any) -> mpf:
    """cos²(pi y / 2) (= (1 + cos(pi y)) / 2) for an exact y, in the form that keeps its relative
    accuracy near y = 1 (where a small power of it would magnify an absolute error)."""
    return mp.cos(mp.pi * m(y) / 2) ** 2


def _exponential(p):
    """lr exp(-r t), clipped at end_lr: max(formula, end_lr) for r >= 0, min(...) for r < 0.

    fastlr switches to end_lr from the first step where its *computed* formula reaches end_lr;
    this oracle clips the exact formula, so at the crossing step the two can differ by which side
    of end_lr one of them is on, i.e. by at most the formula's own error (far below 1e-13 x peak)."""
    lr, r = m(p["lr"]), m(p["decay_rate"])
    end = p.get("end_lr")
    if end is None:
        return lambda t: lr * mp.exp(-r * t)
    e = m(end)
    clip = max if p["decay_rate"] >= 0 else min
    return lambda t: clip(lr * mp.exp(-r * t), e)


def _cosine(p):
    hi, lo, T = m(p["max_lr"]), m(p["min_lr"]), p["total_steps"]
    e, k = p.get("exponent", 1.0), p.get("k_decay", 1.0)
    if e == 1.0 and k == 1.0:
        return lambda t: lo if t >= T else lo + (hi - lo) * half_cos(Fraction(t, T))
    ke, pe = m(k), m(e)

    def f(t):
        if t >= T:
            return lo
        y = m(Fraction(t, T)) ** ke   # (t / T)**k = t**k / T**k
        return lo + (hi - lo) * cos_sq(y) ** pe
    return f


def _tanh_decay(p):
    hi, lo, T = m(p["max_lr"]), m(p["min_lr"]), p["total_steps"]
    a, b = q(p["lower"]), q(p["upper"])

    def f(t):
        if t >= T:
            return lo
        x = m(a + (b - a) * Fraction(t, T))
        return lo + (hi - lo) * (1 - mp.tanh(x)) / 2
    return f


def _warmup(p):
    hi, lo, W = q(p["max_lr"]), q(p["init_lr"]), p["warmup_steps"]
    return lambda t: m(hi) if t >= W else m(lo + (hi - lo) * Fraction(t, W))


def _cyclical(p):
    hi, lo, T = m(p["max_lr"]), m(p["min_lr"]), p["cycle_steps"]
    # cos(pi t / T) has period 2T: reduce the phase with integers
    return lambda t: lo + (hi - lo) * half_cos(Fraction(t % (2 * T), T))


def _constant(p):
    lr = m(p["lr"])
    return lambda t: lr


def _multi_step(p):
    lr, g, ms = m(p["lr"]), m(p["gamma"]), sorted(p["milestones"])
    return lambda t: lr * g ** bisect_right(ms, t)


def _piecewise(p):
    b, v = list(p["boundaries"]), [m(x) for x in p["values"]]
    return lambda t: v[bisect_right(b, t)]


def _linear(p):
    a, b, T = q(p["start_lr"]), q(p["end_lr"]), p["total_steps"]
    return lambda t: m(a + (b - a) * Fraction(min(t, T), T))


def _polynomial(p):
    a, b, T, pw = m(p["init_lr"]), m(p["end_lr"]), p["total_steps"], m(p["power"])
    k = p.get("k_decay", 1.0)
    kd = m(k)

    def f(t):
        if t >= T:  # "end_lr from t = T on" (also for power 0, where the printed formula gives 0**0)
            return b
        if k == 1.0:
            return (a - b) * m(Fraction(T - t, T)) ** pw + b
        # 1 - (t/T)**k, written as -expm1(k log(t/T)) so it keeps its digits near t = T
        x = -mp.expm1(kd * mp.log(m(Fraction(t, T)))) if t > 0 else mpf(1)
        return (a - b) * x ** pw + b
    return f


def _cyclic_polynomial(p):
    a, b, D, pw = m(p["init_lr"]), m(p["end_lr"]), p["decay_steps"], m(p["power"])

    def f(t):
        # D' = D max(1, ceil(t / D)), in integers; x = 1 - t / D' exactly
        H = D * max(1, -(-t // D))
        return (a - b) * m(Fraction(H - t, H)) ** pw + b
    return f


def _inverse_sqrt(p):
    lr, W = m(p["lr"]), p["warmup_steps"]
    return lambda t: lr * mp.sqrt(m(Fraction(W, max(t, W))))


def _inverse_power(p):
    lr, tau, e = m(p["lr"]), q(p["timescale"]), m(p["power"])
    return lambda t: lr * m(1 + Fraction(t) / tau) ** (-e)


def _inverse_time(p):
    lr, r, D, stair = q(p["lr"]), q(p["decay_rate"]), p["decay_steps"], p["staircase"]

    def f(t):
        x = Fraction(t // D) if stair else Fraction(t, D)
        return m(lr / (1 + r * x))
    return f


def onecycle_phase_ends(pct_start: float, total_steps: int, three_phase: bool) -> List[Fraction]:
    """torch OneCycleLR's (real) phase ends as exact fractions: the products ``pct_start * T`` and
    ``2 * pct_start * T`` are the float values torch forms (one rounding of the float parameters'
    product, as the docstring's "torch's phase ends" prescribes); the rest is exact."""
    T = total_steps
    e1 = Fraction(float(pct_start * T)) - 1
    if three_phase:
        return [e1, Fraction(float(2 * pct_start * T)) - 2, Fraction(T - 1)]
    return [e1, Fraction(T - 1)]


def _one_cycle(p):
    T = p["total_steps"]
    hi = q(p["max_lr"])
    initial = hi / q(p["div_factor"])
    low = initial / q(p["final_div_factor"])
    ends = onecycle_phase_ends(p["pct_start"], T, p["three_phase"])
    rates = [initial, hi, initial, low] if p["three_phase"] else [initial, hi, low]
    cos = p["anneal"] == "cos"

    def f(t):
        if t >= T - 1:
            return m(low)
        start = Fraction(0)
        for k, end in enumerate(ends):
            if t <= end:
                a, b = rates[k], rates[k + 1]
                if end == start:
                    # a first phase ending at step 0 (pct_start * T == 1) holds only step 0: its
                    # end value (torch divides 0 by 0 there)
                    return m(b)
                pct = (t - start) / (end - start)
                if cos:
                    return m(b) + m(a - b) * half_cos(pct)
                return m(a + (b - a) * pct)
            start = end
        raise AssertionError("unreachable: t < T - 1 lies in some phase")
    return f


def _triangular(p):
    base, top = m(p["base_lr"]), m(p["max_lr"])
    up = p["step_size_up"]
    down = up if p["step_size_down"] is None else p["step_size_down"]
    period, mode, g = up + down, p["mode"], m(p["gamma"])

    def f(t):
        c, ph = divmod(t, period)
        frac = Fraction(ph, up) if ph <= up else Fraction(period - ph, down)
        if mode == "triangular":
            scale = mpf(1)
        elif mode == "triangular2":
            scale = mpf(2) ** (-c)
        else:
            scale = g ** t
        return base + (top - base) * m(frac) * scale
    return f


def restart_steps(first_cycle_steps: int, cycle_mult: Any, limit: int | None = None,
                  below: int = 2**63) -> Tuple[List[int], List[int]]:
    """(starts, lengths) of the SGDR cycles that start below `below` (at most `limit` cycles):
    cycle k lasts floor(first * M**k) with M the exact binary value of cycle_mult, computed as
    integer numerator // denominator."""
    M = Fraction(cycle_mult)
    num, den = first_cycle_steps, 1
    starts, lengths, begin = [], [], 0
    while begin < below and (limit is None or len(starts) < limit):
        length = num // den
        starts.append(begin)
        lengths.append(length)
        begin += length
        num *= M.numerator
        den *= M.denominator
        if M == 1 and limit is None and len(starts) > 100000:
            raise ValueError("cycle_mult == 1: pass a limit")
    return starts, lengths


def _warm_restarts(p):
    hi, lo, decay = m(p["max_lr"]), m(p["min_lr"]), m(p["cycle_decay"])
    L0, K = p["first_cycle_steps"], p["max_cycles"]
    mult = p["cycle_mult"]
    if Fraction(mult) == 1:
        def locate(t):
            k, u = divmod(t, L0)
            return k, u, L0
    else:
        starts, lengths = restart_steps(L0, mult, limit=K)

        def locate(t):
            k = bisect_right(starts, t) - 1
            if t - starts[k] >= lengths[k]:  # past the last of max_cycles cycles
                return len(starts), 0, 1
            return k, t - starts[k], lengths[k]

    def f(t):
        k, u, L = locate(t)
        if K is not None and k >= K:
            return lo
        return lo + (hi * decay**k - lo) * half_cos(Fraction(u, L))
    return f


def real_cycle_starts(cycle_steps: float, cycle_mult: float, limit: int | None = None,
                      below: int = 2**63, most: int = 30000) -> Tuple[List[Fraction], List[Fraction]]:
    """(starts, lengths) of CosineRestarts' real cycles that start below `below` (at most `limit`
    cycles, and at most `most`): L_i = L_0 M**i and S_i = L_0 + ... + L_{i-1} as exact rationals
    from the binary values of cycle_steps and cycle_mult."""
    L, M = Fraction(cycle_steps), Fraction(cycle_mult)
    starts, lengths, S = [], [], Fraction(0)
    while S < below and (limit is None or len(starts) < limit) and len(starts) < most:
        starts.append(S)
        lengths.append(L)
        S += L
        L *= M
    return starts, lengths


def _real_cycle_locator(p):
    """t -> (cycle i, position u = t - S_i, length L_i), exactly, for cycles of real length
    cycle_steps * cycle_mult**i; (max_cycles laid out, 0, 1) past the last cycle."""
    K, L0, M = p["max_cycles"], Fraction(p["cycle_steps"]), Fraction(p["cycle_mult"])
    if M == 1:
        def locate(t):   # cycle i = floor(t / L0), exactly
            i = math.floor(Fraction(t) / L0)
            return i, t - i * L0, L0
    else:
        starts, lengths = real_cycle_starts(p["cycle_steps"], p["cycle_mult"], limit=K)

        def locate(t):
            i = bisect_right(starts, t) - 1
            if t - starts[i] >= lengths[i]:   # past the last cycle laid out (max_cycles)
                return len(starts), 0, 1
            return i, t - starts[i], lengths[i]
    return locate


def _cosine_restarts(p):
    hi, lo, decay, k = m(p["max_lr"]), m(p["min_lr"]), m(p["cycle_decay"]), p["k_decay"]
    K = p["max_cycles"]
    kd = m(k)
    locate = _real_cycle_locator(p)

    def f(t):
        i, u, L = locate(t)
        if K is not None and i >= K:
            return lo
        y = m(Fraction(u) / L)
        if k != 1.0:
            y = y ** kd
        return lo + (hi * decay**i - lo) * cos_sq(y)
    return f


def _polynomial_restarts(p):
    """min_lr + (peak_i - min_lr) (1 - (u / L_i)**k)**power in cycle i (u = t - S_i), exact
    cycles; 1 - x**k is taken from the exact distance to the end d = L_i - u as
    -expm1(k log1p(-d / L_i)), which keeps its digits near the end (where a power < 1 magnifies
    them)."""
    hi, lo, decay = m(p["max_lr"]), m(p["min_lr"]), m(p["cycle_decay"])
    K = p["max_cycles"]
    kd, pw = m(p["k_decay"]), m(p["power"])
    locate = _real_cycle_locator(p)

    def f(t):
        i, u, L = locate(t)
        if K is not None and i >= K:
            return lo
        d = m(Fraction(L - u) / L)          # in (0, 1]
        if p["k_decay"] == 1.0 or u == 0:
            y = d
        else:
            y = -mp.expm1(kd * mp.log1p(-d))
        return lo + (hi * decay**i - lo) * y ** pw
    return f


def _wsd(p):
    hi, lo = q(p["max_lr"]), q(p["min_lr"])
    W, S, D, shape = p["warmup_steps"], p["stable_steps"], p["decay_steps"], p["decay_shape"]

    def f(t):
        if t < W:
            return m(lo + (hi - lo) * Fraction(t, W))
        if t < W + S:
            return m(hi)
        if t >= W + S + D:
            return m(lo)
        x = Fraction(t - W - S, D)
        if shape == "linear":
            return m(hi - (hi - lo) * x)
        if shape == "cosine":
            return m(lo) + m(hi - lo) * half_cos(x)
        return m(hi) - m(hi - lo) * mp.sqrt(m(x))
    return f


def _join(p):
    kids = [oracle(s) for s in p["schedules"]]
    b = list(p["boundaries"])
    starts = [0] + b

    def f(t):
        k = bisect_right(b, t)
        return kids[k](t - starts[k])
    return f


def _with_warmup(p):
    inner, W, a = oracle(p["inner"]), p["warmup_steps"], m(p["init_lr"])
    top = inner(0)

    def f(t):
        if t < W:
            return a + (top - a) * m(Fraction(t, W))
        return inner(t - W)
    return f


def _scaled(p):
    inner, c = oracle(p["inner"]), m(p["factor"])
    return lambda t: c * inner(t)


def _shifted(p):
    inner, k = oracle(p["inner"]), p["shift"]
    # inner(t + k); where t + k passes the last step, inner's value there is held
    return lambda t: inner(min(t + k, LAST_STEP))


def _product(p):
    a, b = oracle(p["a"]), oracle(p["b"])
    return lambda t: a(t) * b(t)


def _sum(p):
    a, b = oracle(p["a"]), oracle(p["b"])
    return lambda t: a(t) + b(t)


def _maximum(p):
    a, b = oracle(p["a"]), oracle(p["b"])
    return lambda t: max(a(t), b(t))


def _offset(p):
    inner, c = oracle(p["inner"]), m(p["offset"])
    return lambda t: inner(t) + c


_BUILDERS: Dict[str, Callable[[Dict[str, Any]], Callable[[int], mpf]]] = {
    "StepDecay": _step_decay,
    "ExponentialDecay": _exponential,
    "CosineAnnealing": _cosine,
    "Warmup": _warmup,
    "Cyclical": _cyclical,
    "Constant": _constant,
    "MultiStep": _multi_step,
    "PiecewiseConstant": _piecewise,
    "Linear": _linear,
    "Polynomial": _polynomial,
    "CyclicPolynomial": _cyclic_polynomial,
    "InverseSqrt": _inverse_sqrt,
    "InverseTime": _inverse_time,
    "OneCycle": _one_cycle,
    "Triangular": _triangular,
    "WarmRestarts": _warm_restarts,
    "WarmupStableDecay": _wsd,
    "Join": _join,
    "WithWarmup": _with_warmup,
    "Scaled": _scaled,
    "TanhDecay": _tanh_decay,
    "CosineRestarts": _cosine_restarts,
    "PolynomialRestarts": _polynomial_restarts,
    "Shifted": _shifted,
    "Product": _product,
    "Sum": _sum,
    "Maximum": _maximum,
    "Offset": _offset,
    "InversePower": _inverse_power,
}


def oracle_names() -> List[str]:
    """The schedule classes the oracle knows."""
    return sorted(_BUILDERS)


def oracle(schedule: Any) -> Callable[[int], mpf]:
    """A callable giving the exact value (mpf, 40 digits) at an integer step."""
    p = _params(schedule)
    name = p.pop("schedule")
    build = _BUILDERS[name]
    with mp.workdps(DPS):
        f = build(p)

    def value(t: int) -> mpf:
        with mp.workdps(DPS):
            return f(int(t))
    value.inner = f  # type: ignore[attr-defined]
    return value


# ------------------------------------------------------------------------------ scale of the contract
def peak(schedule: Any) -> float:
    """The largest rate parameter of a schedule (for Scaled: times the factor)."""
    p = _params(schedule)
    name = p.pop("schedule")
    rates = {
        "StepDecay": ("lr",), "CosineAnnealing": ("max_lr", "min_lr"),
        "Warmup": ("max_lr", "init_lr"), "Cyclical": ("max_lr", "min_lr"), "Constant": ("lr",),
        "MultiStep": ("lr",), "Linear": ("start_lr", "end_lr"), "Polynomial": ("init_lr", "end_lr"),
        "CyclicPolynomial": ("init_lr", "end_lr"),
        "InverseSqrt": ("lr",), "InverseTime": ("lr",), "InversePower": ("lr",),
        "OneCycle": ("max_lr",),
        "Triangular": ("base_lr", "max_lr"), "WarmRestarts": ("max_lr", "min_lr"),
        "WarmupStableDecay": ("max_lr", "min_lr"), "TanhDecay": ("max_lr", "min_lr"),
    }
    if name in rates:
        return max(float(p[k]) for k in rates[name])
    if name == "ExponentialDecay":   # growth runs up to the cap end_lr
        return max(float(p["lr"]), float(p["end_lr"] or 0.0))
    if name in ("CosineRestarts", "PolynomialRestarts"):  # cycle_decay > 1 grows the peaks
        K, g = p["max_cycles"], float(p["cycle_decay"])
        top = float(p["max_lr"]) * (g ** (K - 1) if g > 1 else 1.0)
        return max(top, float(p["min_lr"]))
    if name == "Shifted":
        return peak(p["inner"])
    if name == "Product":
        return peak(p["a"]) * peak(p["b"])
    if name == "Sum":
        return peak(p["a"]) + peak(p["b"])
    if name == "Maximum":
        return max(peak(p["a"]), peak(p["b"]))
    if name == "Offset":   # the scale of the sum's rounding: the larger of the two terms
        return peak(p["inner"]) + abs(float(p["offset"]))
    if name == "PiecewiseConstant":
        return max(float(v) for v in p["values"])
    if name == "Join":
        return max(peak(s) for s in p["schedules"])
    if name == "WithWarmup":
        return max(float(p["init_lr"]), peak(p["inner"]))
    if name == "Scaled":
        return float(p["factor"]) * peak(p["inner"])
    raise KeyError(name)


def exp_crossing(lr: float, decay_rate: float, end_lr: float) -> int | None:
    """The first step t < 2**63 at which the exact lr exp(-r t) reaches end_lr (from above when
    r > 0, from below when r < 0), 0 if it starts there, None if it never does."""
    a, r, e = q(lr), decay_rate, q(end_lr)
    if (r >= 0 and a <= e) or (r < 0 and a >= e):
        return 0
    if r == 0 or a == 0 or e == 0:
        return None
    with mp.workdps(DPS):
        x = mp.log(m(a) / m(e)) / m(r)        # > 0: the real crossing
        t = int(mp.ceil(x))
    return t if t <= LAST_STEP else None


# ------------------------------------------------------------------------------ where to look
def local_anchors(begin: int, end: int | None = None, far: bool = True) -> List[int]:
    """Steps around which windows straddle the kernels' grids, in the local coordinates of a
    segment that starts at `begin`: multiples of 64 and of 4096 (the table length and the anchor
    spacing), a few far multiples, never at or past `end`."""
    offs = [64, 128, 4032, 4096, 4160, 8192, 3 * 4096 + 64]
    if far:
        offs += [4096 * 1000, 2**31, 2**40]
    out = [begin + o for o in offs]
    return [x for x in out if x <= LAST_STEP and (end is None or x < end)]


def breakpoints(schedule: Any, horizon: int = 2**63) -> List[int]:
    """Global steps (sorted, < horizon) at which a schedule's formula changes: segment starts as
    the docstrings define them (warmup ends, phase ends, milestones, restarts, ...). Periodic
    families contribute their first periods only."""
    p = _params(schedule)
    name = p.pop("schedule")
    pts: List[int] = [0]
    # periodic / plateau families also get a few later periods, where decays have progressed
    later = (10, 30, 45, 100, 1100)
    if name == "StepDecay":
        pts += [p["step_size"] * k for k in (1, 2, 3) + later]
    elif name in ("CosineAnnealing", "Linear", "Polynomial"):
        pts.append(p["total_steps"])
    elif name == "Warmup":
        pts.append(p["warmup_steps"])
    elif name == "Cyclical":
        pts += [p["cycle_steps"], 2 * p["cycle_steps"]]
    elif name == "MultiStep":
        pts += list(p["milestones"])
    elif name == "PiecewiseConstant":
        pts += list(p["boundaries"])
    elif name == "InverseSqrt":
        pts.append(p["warmup_steps"])
    elif name == "InverseTime":
        pts += [p["decay_steps"] * k for k in (1, 2) + later]
    elif name == "CyclicPolynomial":
        # every cycle end k D (the value there is end_lr); the step after starts cycle k + 1
        D = p["decay_steps"]
        pts += [D * k for k in (1, 2, 3) + later] + [D * k + 1 for k in (1, 2) + later]
        pts += [D * k for k in (2**20, 2**40) if D * k < horizon]
    elif name == "OneCycle":
        pts += [math.floor(e) + 1 for e in onecycle_phase_ends(p["pct_start"], p["total_steps"],
                                                                p["three_phase"])]
    elif name == "Triangular":
        up = p["step_size_up"]
        down = up if p["step_size_down"] is None else p["step_size_down"]
        pts += [up, up + 1, up + down, 2 * up + down, 2 * (up + down)]
        pts += [k * (up + down) for k in later] + [k * (up + down) + up for k in later]
    elif name == "WarmRestarts":
        L, mult, K = p["first_cycle_steps"], p["cycle_mult"], p["max_cycles"]
        if Fraction(mult) == 1:
            n = 5 if K is None else min(K + 1, 5)
            pts += [L * k for k in range(1, n)]
            pts += [L * k for k in later if K is None or k < K]
            if K is not None:
                pts.append(L * K)
        else:
            starts, lengths = restart_steps(L, mult, limit=K)
            pts += starts
            if K is not None:
                pts.append(starts[-1] + lengths[-1])
    elif name == "WarmupStableDecay":
        W, S, D = p["warmup_steps"], p["stable_steps"], p["decay_steps"]
        pts += [W, W + S, W + S + D]
    elif name == "Join":
        starts = [0] + list(p["boundaries"])
        ends = list(p["boundaries"]) + [horizon]
        for s, a, e in zip(p["schedules"], starts, ends):
            pts += [a + x for x in breakpoints(s, e - a)]
    elif name == "WithWarmup":
        W = p["warmup_steps"]
        pts += [W + x for x in breakpoints(p["inner"], horizon - W)]
    elif name == "Scaled":
        pts += breakpoints(p["inner"], horizon)
    elif name == "ExponentialDecay" and p["end_lr"] is not None:
        c = exp_crossing(p["lr"], p["decay_rate"], p["end_lr"])
        if c is not None:
            pts.append(c)
    elif name == "TanhDecay":
        pts.append(p["total_steps"])
    elif name in ("CosineRestarts", "PolynomialRestarts"):
        L0, M, K = p["cycle_steps"], p["cycle_mult"], p["max_cycles"]
        if Fraction(M) == 1 and K is None:
            starts = [Fraction(L0) * i for i in range(40)] + [Fraction(L0) * i for i in later]
        else:
            starts, lengths = real_cycle_starts(L0, M, limit=K)
            if K is not None and len(starts) == K:
                starts = starts + [starts[-1] + lengths[-1]]
            starts = starts[:60] + starts[60::max(1, len(starts) // 20)]
        pts += [math.ceil(s) for s in starts]
    elif name == "Shifted":
        k = p["shift"]
        pts += [x - k for x in breakpoints(p["inner"]) if x >= k]
        if k:
            pts.append(LAST_STEP - k + 1)   # from here on the value inner(2**63 - 1) is held
    elif name in ("Product", "Sum", "Maximum"):
        pts += breakpoints(p["a"], horizon) + breakpoints(p["b"], horizon)
    elif name == "Offset":
        pts += breakpoints(p["inner"], horizon)
    elif name == "InversePower":
        tau = p["timescale"]
        pts += [x for x in (1, 2, math.ceil(tau), 10 * math.ceil(tau)) if x <= LAST_STEP]
        if 1 <= tau < 2**53:   # the power-law kernel hands the last floor(tau) steps to pow
            pts.append(LAST_STEP + 1 - math.floor(tau))
    return sorted({x for x in pts if 0 <= x < min(horizon, 2**63)})


# ------------------------------------------------------------------------------ comparisons
def exact_window(schedule: Any, start: int, n: int) -> List[mpf]:
    f = oracle(schedule)
    return [f(start + i) for i in range(n)]


def max_error(got: Sequence[float], exact: Sequence[mpf]) -> Tuple[float, int, float]:
    """(max |got - exact|, its index, max |exact|), the differences taken exactly."""
    worst, at, top = 0.0, -1, 0.0
    with mp.workdps(DPS):
        for i, (g, e) in enumerate(zip(got, exact)):
            g = float(g)
            if math.isnan(g):
                return math.inf, i, top
            err = float(abs(mpf(g) - e)) if math.isfinite(g) else math.inf
            top = max(top, float(abs(e)))
            if at < 0 or err > worst:
                worst, at = err, i
    return worst, at, top


def ulps(a: float, b: float) -> float:
    """|a - b| in units of the last place of b."""
    if a == b:
        return 0.0
    return abs(a - b) / float(np.spacing(abs(b))) if b != 0 else math.inf


# ------------------------------------------------------------------------------ hypothesis strategies
def examples(default: int) -> int:
    """max_examples for a property: `default`, or $FASTLR_TEST_EXAMPLES for a longer hunt."""
    import os

    return int(os.environ.get("FASTLR_TEST_EXAMPLES", "0")) or default


def props(default: int):
    """The settings of the property tests: `examples(default)` examples, no deadline, and the
    health checks that slow exact oracles and large draws trip suppressed."""
    from hypothesis import HealthCheck, settings

    return settings(max_examples=examples(default), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])



# (shared by test_catalogue.py and test_compose.py; kept here because a conftest.py is off limits)
try:
    from hypothesis import assume, strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    st = None

if st is not None:
    import fastlr

    rates = st.one_of(st.just(0.0), st.floats(1e-8, 100.0), st.sampled_from([0.1, 1.0, 3e-4]))
    pos_rates = st.one_of(st.floats(1e-8, 100.0), st.sampled_from([0.1, 1.0, 3e-4]))
    small_steps = st.integers(1, 300)
    steps = st.one_of(st.integers(1, 300), st.integers(1, 20000), st.integers(1, 2**40),
                      st.integers(1, 2**62))
    counts0 = st.one_of(st.just(0), small_steps, st.integers(0, 20000))

    def _build(cls, **kw):
        try:
            return cls(**kw)
        except ValueError:
            assume(False)

    @st.composite
    def constant(draw):
        return fastlr.Constant(draw(rates))

    @st.composite
    def multi_step(draw):
        ms = draw(st.lists(st.one_of(st.integers(0, 300), st.integers(0, 2**40)), max_size=6))
        return fastlr.MultiStep(draw(rates), ms, draw(st.floats(0.01, 2.0)))

    @st.composite
    def piecewise_constant(draw):
        b = sorted(draw(st.sets(st.one_of(st.integers(1, 300), st.integers(1, 2**40)),
                                max_size=6)))
        v = draw(st.lists(rates, min_size=len(b) + 1, max_size=len(b) + 1))
        return fastlr.PiecewiseConstant(b, v)

    @st.composite
    def linear(draw):
        return fastlr.Linear(draw(rates), draw(rates), draw(steps))

    k_decays = st.one_of(st.just(1.0), st.sampled_from([0.5, 2.0, 1.3]), st.floats(0.2, 4.0))

    @st.composite
    def polynomial(draw):
        power = draw(st.one_of(st.sampled_from([0.5, 1.0, 2.0, 3.0]), st.floats(0.0, 8.0)))
        return fastlr.Polynomial(draw(rates), draw(rates), draw(steps), power, draw(k_decays))

    @st.composite
    def cyclic_polynomial(draw):
        power = draw(st.one_of(st.sampled_from([0.5, 1.0, 2.0, 3.0, 3.7, 0.0, 16.0, 17.0]),
                               st.floats(0.0, 8.0)))
        D = draw(st.one_of(st.integers(1, 10), steps, st.integers(1, 2**62)))
        return fastlr.CyclicPolynomial(draw(rates), draw(rates), D, power)

    @st.composite
    def cosine_annealing(draw):
        """The general cosine: exponent (optax) and k_decay (timm) as well as the plain one."""
        e = draw(st.one_of(st.just(1.0), st.sampled_from([0.1, 0.5, 2.0, 1.7]),
                           st.floats(0.0, 8.0, exclude_min=True)))
        return fastlr.CosineAnnealing(draw(rates), draw(steps), draw(rates), e, draw(k_decays))

    @st.composite
    def exponential_decay(draw):
        """Decay and growth, clipped at an end_lr that the formula crosses at a drawn step (or
        never, or from the start)."""
        lr = draw(rates)
        r = draw(st.one_of(st.just(0.0), st.floats(1e-9, 0.05), st.floats(-0.05, -1e-9),
                           st.sampled_from([1e-3, -1e-3, 1e-6])))
        kind = draw(st.sampled_from(["none", "cross", "cross", "any"]))
        if kind == "none" and r >= 0:
            return fastlr.ExponentialDecay(lr, r)
        if kind == "any":
            end = draw(rates)
        else:
            t0 = draw(st.one_of(st.integers(0, 300), st.integers(0, 20000), st.integers(0, 2**40)))
            assume(-r * t0 < 700.0)
            end = lr * math.exp(-r * t0)
            assume(end <= 1e6)
        return _build(fastlr.ExponentialDecay, lr=lr, decay_rate=r, end_lr=end)

    @st.composite
    def tanh_decay(draw):
        lower = draw(st.one_of(st.just(-6.0), st.floats(-20.0, 5.0)))
        upper = lower + draw(st.one_of(st.just(10.0), st.floats(0.01, 25.0)))
        assume(lower < upper)
        return fastlr.TanhDecay(draw(rates), draw(steps), draw(rates), lower, upper)

    @st.composite
    def cosine_restarts(draw):
        mult = draw(st.one_of(st.sampled_from([1.0, 1.5, 2.0, 3.0]), st.floats(1.05, 4.0)))
        L = draw(st.one_of(st.sampled_from([1.0, 0.75, 64.0, 4096.0, 1000.5, 7.3]),
                           st.integers(1, 20000).map(float), st.floats(0.5, 20000.0),
                           st.integers(1, 2**40).map(float)))
        K = draw(st.one_of(st.none(), st.integers(1, 40)))
        decay = draw(st.one_of(st.just(1.0), st.floats(0.05, 1.0), st.floats(1.0, 1.5)))
        if K is None and mult == 1.0 and not L.is_integer():
            K = draw(st.integers(1, 40))
        k = draw(st.one_of(st.just(1.0), st.just(1.0), st.floats(0.3, 3.0)))
        if K is None and mult == 1.0 and k != 1.0:
            K = draw(st.integers(1, 40))
        if K is None and decay > 1.0:
            decay = 1.0
        return _build(fastlr.CosineRestarts, max_lr=draw(pos_rates), cycle_steps=L,
                      cycle_mult=mult, min_lr=draw(rates), cycle_decay=decay, max_cycles=K,
                      k_decay=k)

    @st.composite
    def polynomial_restarts(draw):
        mult = draw(st.one_of(st.sampled_from([1.0, 1.5, 2.0, 2.5, 1.1]), st.floats(1.05, 4.0)))
        L = draw(st.one_of(st.sampled_from([1.0, 0.75, 64.0, 4096.0, 1000.5, 7.3]),
                           st.integers(1, 20000).map(float), st.floats(0.5, 20000.0),
                           st.integers(1, 2**40).map(float)))
        K = draw(st.one_of(st.none(), st.integers(1, 40)))
        if mult == 1.0 and K is None:
            K = draw(st.integers(1, 40))
        decay = draw(st.one_of(st.just(1.0), st.floats(0.05, 1.0), st.floats(1.0, 1.5)))
        if K is None and decay > 1.0:
            decay = 1.0
        power = draw(st.one_of(st.sampled_from([0.5, 1.0, 2.0, 0.9]), st.floats(0.0, 8.0)))
        k = draw(st.one_of(st.just(1.0), st.sampled_from([0.5, 2.0]), st.floats(0.2, 4.0)))
        return _build(fastlr.PolynomialRestarts, max_lr=draw(pos_rates), cycle_steps=L,
                      cycle_mult=mult, min_lr=draw(rates), cycle_decay=decay, max_cycles=K,
                      power=power, k_decay=k)

    @st.composite
    def inverse_sqrt(draw):
        return fastlr.InverseSqrt(draw(rates), draw(steps))

    @st.composite
    def inverse_power(draw):
        tau = draw(st.one_of(st.floats(1e-3, 1e6), st.integers(1, 20000).map(float),
                             st.sampled_from([0.5, 2.5, 100.0, 1e-6, 2.0**40, 1e15])))
        power = draw(st.one_of(st.floats(0.0, 8.0), st.sampled_from([0.5, 1.0, 0.3, 0.7, 2.0])))
        return fastlr.InversePower(draw(rates), tau, power)

    @st.composite
    def inverse_time(draw):
        return fastlr.InverseTime(draw(rates), draw(st.floats(0.0, 10.0)), draw(steps),
                                  draw(st.booleans()))

    @st.composite
    def one_cycle(draw):
        three = draw(st.booleans())
        pct = draw(st.one_of(st.floats(0.01, 0.49 if three else 0.99),
                             st.sampled_from([0.25, 0.3, 0.1])))
        T = draw(st.one_of(st.integers(2, 60), st.integers(100, 20000), st.integers(2, 2**62)))
        if not three and draw(st.integers(0, 4)) == 0:
            # a first phase that ends at or before step 0 (pct_start * T <= 1, as torch allows)
            pct = draw(st.one_of(st.just(1.0 / T), st.floats(1e-3, 1.0).map(lambda x: x / T)))
            assume(0.0 < pct < 1.0)
        return _build(fastlr.OneCycle, max_lr=draw(pos_rates), total_steps=T, pct_start=pct,
                      anneal=draw(st.sampled_from(["cos", "linear"])),
                      div_factor=draw(st.floats(1.0, 1e3)),
                      final_div_factor=draw(st.floats(1.0, 1e5)), three_phase=three)

    @st.composite
    def triangular(draw):
        up = draw(st.one_of(small_steps, st.integers(1, 20000), st.integers(1, 2**40)))
        down = draw(st.one_of(st.none(), small_steps, st.integers(1, 20000)))
        mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
        gamma = draw(st.one_of(st.floats(0.9, 1.0), st.sampled_from([0.99994, 1.0])))
        return fastlr.Triangular(draw(rates), draw(rates), up, down, mode, gamma)

    @st.composite
    def warm_restarts(draw):
        mult = draw(st.one_of(st.sampled_from([1, 2, 3, 1.5, 2.0]), st.floats(1.05, 4.0)))
        first = draw(st.one_of(small_steps, st.integers(1, 20000), st.integers(1, 2**40)))
        K = draw(st.one_of(st.none(), st.integers(1, 12)))
        return _build(fastlr.WarmRestarts, max_lr=draw(pos_rates), first_cycle_steps=first,
                      cycle_mult=mult, min_lr=draw(rates), cycle_decay=draw(st.floats(0.05, 1.0)),
                      max_cycles=K)

    @st.composite
    def warmup_stable_decay(draw):
        return fastlr.WarmupStableDecay(draw(rates), draw(counts0), draw(counts0),
                                        draw(st.one_of(small_steps, st.integers(1, 20000))),
                                        draw(rates),
                                        draw(st.sampled_from(["linear", "cosine", "sqrt"])))

    FAMILIES = {
        "Constant": constant(),
        "MultiStep": multi_step(),
        "PiecewiseConstant": piecewise_constant(),
        "Linear": linear(),
        "Polynomial": polynomial(),
        "CyclicPolynomial": cyclic_polynomial(),
        "InverseSqrt": inverse_sqrt(),
        "InversePower": inverse_power(),
        "InverseTime": inverse_time(),
        "OneCycle": one_cycle(),
        "Triangular": triangular(),
        "WarmRestarts": warm_restarts(),
        "WarmupStableDecay": warmup_stable_decay(),
        # the framework-parity capabilities (new families, and seed families' new parameters)
        "TanhDecay": tanh_decay(),
        "CosineRestarts": cosine_restarts(),
        "PolynomialRestarts": polynomial_restarts(),
        "CosineAnnealing": cosine_annealing(),
        "ExponentialDecay": exponential_decay(),
    }

    # the five seed schedules, as composition children
    SEED = {
        "StepDecay": st.builds(fastlr.StepDecay, rates, st.floats(0.1, 1.0), small_steps),
        "ExponentialDecay": st.builds(fastlr.ExponentialDecay, rates, st.floats(0.0, 0.05)),
        "CosineAnnealing": st.builds(fastlr.CosineAnnealing, rates, steps, rates),
        "Warmup": st.builds(fastlr.Warmup, rates, counts0, rates),
        "Cyclical": st.builds(fastlr.Cyclical, rates, st.integers(1, 2**40), rates),
    }

    any_family = st.one_of(*FAMILIES.values(), *SEED.values())

    FAR = (2**31, 2**32, 2**40, 2**53, 2**62, LAST_STEP)

    def draw_windows(draw, schedule: Any, n: int) -> List[int]:
        """Starts of windows of n steps for `schedule`: step 0, one straddling a breakpoint, one
        straddling a multiple of 64 or 4096 in a segment's local coordinates, one far out."""
        bps = breakpoints(schedule)
        out = [0]
        i = draw(st.integers(0, len(bps) - 1))
        out.append(bps[i] - draw(st.integers(0, n - 1)))
        nxt = bps[i + 1] if i + 1 < len(bps) else None
        anchors = local_anchors(bps[i], nxt)
        if anchors:
            out.append(draw(st.sampled_from(anchors)) - draw(st.integers(0, n - 1)))
        out.append(draw(st.sampled_from(FAR)) - draw(st.integers(0, n - 1)))
        return sorted({min(max(s, 0), LAST_STEP - n + 1) for s in out})


REL = 1e-13  # the accuracy contract: |fastlr - exact| <= 1e-13 * peak (float64)


def bits(a) -> np.ndarray:
    """An array's values as unsigned integers of the same width (bit-for-bit comparisons)."""
    a = np.ascontiguousarray(a)
    return a.view(np.uint64 if a.dtype == np.float64 else np.uint32)


def fixed_windows(s, n: int = 256, limit: int = 40) -> List[int]:
    """Window starts around step 0, every breakpoint (and its local 64/4096 grid) and far out."""
    starts = {0, 2**31 - n // 2, 2**40, 2**62 - n // 2, LAST_STEP - n + 1}
    bps = breakpoints(s)
    for i, b in enumerate(bps[:limit]):
        starts.add(b - n // 2)
        starts.update(a - n // 2 for a in local_anchors(b, bps[i + 1] if i + 1 < len(bps)
                                                        else None)[:4])
    return sorted({min(max(x, 0), LAST_STEP - n + 1) for x in starts})


def check_exact_everywhere(s, n: int = 256, limit: int = 40) -> None:
    """assert_exact on every window of fixed_windows."""
    for start in fixed_windows(s, n, limit):
        assert_exact(s, start, n)


def assert_exact(s, start: int, n: int, rel: float = REL) -> None:
    """Every value of the window [start, start+n) within rel * peak of the exact value, where peak
    is the schedule's largest rate parameter (or the largest exact value in the window, when the
    schedule grows past its parameters, e.g. gamma > 1)."""
    got = s.array(n, start)
    ex = exact_window(s, start, n)
    err, at, top = max_error(got, ex)
    scale = max(peak(s), top)
    assert err <= rel * scale, (
        f"{s!r}: step {start + at}: fastlr {got[at]!r}, exact {mp.nstr(ex[at], 20)}, "
        f"error {err:.3g} = {err / scale if scale else math.inf:.3g} x peak {scale:.6g}")
