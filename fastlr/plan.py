"""Schedules -> plans: the segment tables the compiled interpreter walks.

A segment runs a kernel family on the local step ``tau = t - begin + offset``. The families, their
parameter names and formulas are declared once, in the kernels (fastlr/_k_families.pxi: a struct of
float and one of integer parameters per family); :data:`FAMILIES` adds what Python needs to know of
each: which float parameters are *values* (multiplied when a schedule is scaled) and how to build its
tables (once per segment, with the same libm the kernels use for anchors). Segments are built by
name (:func:`segment`) and packed by :func:`compile_plan` into the kernels' column order.

Composition is arithmetic on segment lists (truncate, concatenate, scale), never per step.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable, Dict, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from fastlr._dispatch import kernels
from fastlr.validate import INT64_MAX

Family = kernels.Family
F = Family
Op = kernels.Op

__all__ = ["Family", "FamilySpec", "FAMILIES", "Segment", "segment", "compile_plan", "truncate",
           "scale", "const", "ramp", "exponential", "geometric_plateaus", "inverse_time_plateaus",
           "cos2", "poly", "power_law", "inverse_time", "triangular", "tanh_decay", "cosine_shape",
           "poly_shape", "poly_shape_to_end", "product", "combine", "Op", "shift",
           "cyclic_poly"]


class FamilySpec(NamedTuple):
    """What the Python layer knows of a kernel family (its parameter names come from the kernels)."""
    floats: Tuple[str, ...]          # float parameters, in column order
    ints: Tuple[str, ...]            # integer parameters, in column order
    values: Tuple[str, ...]          # float parameters scaled by ``c * schedule``
    table: Optional[Callable[[Dict[str, Any]], Optional[np.ndarray]]]  # params -> tables or None


def _families() -> Dict[Any, FamilySpec]:
    layout = kernels.family_layout()
    extra = {  # family: (value parameters, table builder)
        F.CONST: (("value",), None),
        F.LINEAR: (("base", "slope"), None),
        F.EXP: (("lr",), lambda p: kernels.exp_tables(p["rate"])),
        F.PLATEAU: (("lr",), lambda p: kernels.power_tables(p["rate"]) if p["kind"] == 0 else None),
        F.COS2: (("low", "peak"), lambda p: kernels.angle_tables(p["w"])),
        F.POLY: (("low", "amp"), lambda p: _binomial_series(p["power"])[:10] if p["series"]
                 else None),
        F.INVTIME: (("lr",), None),
        F.TRI: (("base", "amp"), lambda p: kernels.power_tables(p["gamma"]) if p["mode"] == 2
                else None),
        F.TANH: (("low", "amp"), lambda p: kernels.exp_tables(-2.0 * p["dx"])),
        F.SHAPE: (("low", "amp"), lambda p: _binomial_series(p["p"] if p["kind"] == 2 else p["k"])
                  [:10] if p["series"] and (p["series"] != 2 or p["rest"] & 255) else None),
        F.PRODUCT: ((), None),   # scaled through its factors (see scale)
        F.CYCPOLY: (("low", "amp"), lambda p: _binomial_series(p["power"])[:10] if p["series"]
                    else None),
    }
    if set(extra) != set(layout) or set(layout) != set(Family):
        raise ImportError("fastlr.plan.FAMILIES does not match the kernels' families")
    out = {}
    for fam, (floats, ints) in layout.items():
        values, table = extra[fam]
        assert set(values) <= set(floats), (fam, values)
        out[fam] = FamilySpec(floats, ints, values, table)
    return out


class Segment(NamedTuple):
    """One segment of a plan (build it with :func:`segment`): ``length`` steps (None: forever; only
    the last segment), a family, its float and integer parameters in column order, the local step
    of its first global step, its tables (shared by the pieces of a cut segment), and for a
    PRODUCT the two factors' segment lists (their row ranges are filled in by compile_plan)."""
    length: Optional[int]
    family: Any
    floats: Tuple[float, ...]
    ints: Tuple[int, ...]
    offset: int = 0
    table: Optional[np.ndarray] = None
    factors: Tuple[Any, ...] = ()

    @property
    def params(self) -> Dict[str, Any]:
        """The parameters by name."""
        spec = FAMILIES[self.family]
        return {**dict(zip(spec.floats, self.floats)), **dict(zip(spec.ints, self.ints))}


def segment(family: Any, length: Optional[int] = None, *, tau0: int = 0,
            **params: Any) -> Segment:
    """A segment of ``family`` running ``length`` steps (None: forever) from the local step
    ``tau0``, with every parameter given by name (a missing or unknown name is an error: a
    family's formula cannot silently read a default)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown kernel family {family!r}; the kernels have "
                         f"{', '.join(f.name for f in FAMILIES)}")
    spec = FAMILIES[family]
    names = set(spec.floats) | set(spec.ints)
    if set(params) != names:
        raise TypeError(f"{Family(family).name} segment: missing {sorted(names - set(params))}, "
                        f"unknown {sorted(set(params) - names)}")
    table = spec.table(params) if spec.table is not None else None
    return Segment(length, Family(family), tuple(float(params[k]) for k in spec.floats),
                   tuple(int(params[k]) for k in spec.ints), tau0, table)


def const(value: float, length: Optional[int] = None) -> Segment:
    return segment(F.CONST, length, value=value)


def ramp(a: float, b: float, span: float, length: Optional[int], offset: float = 0.0) -> Segment:
    """From a (at tau = -offset) to b (at tau = span - offset): a + (b - a) (tau + offset) / span,
    with the slope computed without underflow for tiny rates."""
    if b != a and abs((b - a) / span) < 2.0**-960:
        slope = ((b - a) * 2.0**600) / span
        return segment(F.LINEAR, length, base=a + (slope * offset) * 2.0**-600, slope=slope,
                       scale=2.0**-600)
    slope = (b - a) / span
    return segment(F.LINEAR, length, base=a + slope * offset, slope=slope, scale=1.0)


def exponential(lr: float, rate: float, length: Optional[int] = None) -> Segment:
    """lr * exp(-rate * tau)."""
    return segment(F.EXP, length, lr=lr, rate=rate)


def geometric_plateaus(lr: float, gamma: float, size: int, length: Optional[int] = None) -> Segment:
    """lr * gamma ** floor(tau / size)."""
    return segment(F.PLATEAU, length, lr=lr, rate=gamma, size=size, kind=0)


def inverse_time_plateaus(lr: float, rate: float, size: int,
                          length: Optional[int] = None) -> Segment:
    """lr / (1 + rate * floor(tau / size))."""
    return segment(F.PLATEAU, length, lr=lr, rate=rate, size=size, kind=1)


def cos2(low: float, peak: float, half_period: float, *, period: int = 0, offset: float = 0.0,
         decay: float = 1.0, length: Optional[int] = None) -> Segment:
    """low + (peak decay**c - low) cos²(pi (p + offset) / (2 half_period)): from peak to low over
    half_period steps (which may be fractional); periodic with `period` if > 0. A half period
    beyond 2**1000 steps (a cycle no step reaches the end of) is taken as 2**1000: the phase of
    any step < 2**63 is then 0 to double precision either way."""
    half_period = float(min(half_period, 2**1000))
    return segment(F.COS2, length, low=low, peak=peak, w=math.pi / (2 * half_period),
                   phase=offset, decay=decay, period=period)


def poly(low: float, amp: float, horizon: int, power: float, *, reverse: bool,
         length: Optional[int] = None) -> Segment:
    """low + amp * x**power, x = (horizon - tau) / horizon (reverse) or tau / horizon."""
    return power_law(low, amp, horizon, float(horizon), power, reverse=reverse, length=length)


_POWER_KINDS = {1.0: 1, 2.0: 2, 0.5: 3, -0.5: 4}   # powers with a cheaper form than pow


def power_law(low: float, amp: float, anchor: int, scale: float, power: float, *, reverse: bool,
              length: Optional[int] = None, offset: int = 0, frac: float = 0.0) -> Segment:
    """low + amp * (u / scale)**power with u = anchor - tau (reverse) or u = tau + frac (forward;
    ``0 <= frac < 1``, a real offset)."""
    if not 0.0 <= frac < 1.0 or (frac and reverse):
        raise ValueError(f"power_law: frac must be in [0, 1) and only forward, got {frac!r}"
                         f"{' reversed' if reverse else ''}")
    kind = _POWER_KINDS.get(power, 0)
    series, shift = _series_flags(power) if kind in (0, 3, 4) else (0, 10)
    return segment(F.POLY, length, tau0=offset, low=low, amp=amp, scale=scale, power=power,
                   frac=float(frac), anchor=anchor, kind=kind, reverse=int(reverse), series=series,
                   shift=shift)


def _series_flags(p: float) -> Tuple[int, int]:
    """The kernels' (series, shift) parameters for the power p (POLY and CYCPOLY read them
    alike): (0, 10) where no series serves p (pow per step), else the four-term tier flag (1 or
    13..16) and the grid scale gs."""
    gs = _series_shift(p)
    if gs is None:
        return 0, 10
    return _four_term_tier(p, _binomial_series(p)), gs


def _four_term_tier(p: float, coef: np.ndarray) -> int:
    """The kernel's series flag: the smallest S in 13..16 for which four terms of the series of
    (1 + r)**p are good to 1e-17 for |r| <= 1.016 / 2**S (the kernel then uses four terms on
    sub-runs of u / 2**S steps once u >= 32 * 2**S), else 1 (six or ten terms only)."""
    for S in range(13, 17):
        bound = 1.016 / 2**S
        tail = abs(coef[4]) * bound**4 / (1 - bound * max(1.0, abs(p)))
        if tail <= 1e-17:
            return S
    return 1


def _tail(coef: Sequence[float], p: float, terms: int, bound: float) -> float:
    """A bound on the series of (1 + r)**p past `terms` terms for |r| <= bound: the next term over
    one minus the ratio of consecutive terms' bound (|binom(p, m+1) / binom(p, m)| <= max(1, |p|)
    for m >= terms)."""
    if bound * max(1.0, abs(p)) >= 0.5:
        return math.inf
    return abs(coef[terms]) * bound**terms / (1 - bound * max(1.0, abs(p)))


def _series_shift(p: float) -> Optional[int]:
    """The kernel's grid scale gs (10 ... 16) for the power p: the smallest for which ten terms of
    the series of (1 + r)**p are good to 1e-17 for |r| <= 2**(4 - gs) and six terms for
    |r| <= 1.1e-3 * 2**(10 - gs) (the kernel's bounds); None if none is (the kernel then calls
    pow per step). gs = 10 for |p| below ~2 (the grid of before); larger powers get denser
    anchors and a later start of the six-term regime."""
    coef = _binomial_series(p)
    for gs in range(10, 17):
        tails = (_tail(coef, p, 10, 2.0 ** (4 - gs)), _tail(coef, p, 6, 1.1e-3 * 2.0 ** (10 - gs)))
        if all(math.isfinite(x) and x <= 1e-17 for x in tails):
            return gs
    return None


def _binomial_series(p: float, terms: int = 10) -> np.ndarray:
    """binom(p, m) for m <= terms: the kernel's table holds the first ten (m < 10); the last one
    bounds the truncation error."""
    coef = [1.0]
    for m in range(1, terms + 1):
        coef.append(coef[-1] * (p - m + 1) / m)
    return np.array(coef)


def inverse_time(lr: float, rate: float, length: Optional[int] = None) -> Segment:
    """lr / (1 + rate * tau)."""
    return segment(F.INVTIME, length, lr=lr, rate=rate)


def triangular(base: float, amp: float, up: int, down: int, mode: int, gamma: float) -> Segment:
    """Smith's triangular cycle (see _k_tri): mode 0 triangular, 1 triangular2, 2 exp_range."""
    return segment(F.TRI, None, base=base, amp=amp, gamma=gamma, up=up, down=down, mode=mode)


def tanh_decay(low: float, amp: float, x0: float, dx: float,
               length: Optional[int] = None) -> Segment:
    """low + amp (1 - tanh(x0 + dx tau)) / 2, evaluated as low + amp / (1 + exp(2 (x0 + dx tau))),
    the exponential on tables as in :func:`exponential` (exp(2 dx 64 i), exp(2 dx j))."""
    return segment(F.TANH, length, low=low, amp=amp, x0=x0, dx=dx)


def cosine_shape(low: float, amp: float, end: float, *, phase: float = 0.0, k: float = 1.0,
                 p: float = 1.0, length: Optional[int] = None) -> Segment:
    """low + amp (cos²(π ((tau + phase) / end)**k / 2))**p, low from tau + phase = end on:
    k-decay and powers of a cosine (plain cosines use :func:`cos2`, which runs on rotation tables
    at memory speed). Mostly on anchored series (series 2, the kernel's _shape_anchored): runs of
    up to 2048 steps, six or ten terms per step of w**(2p) from each anchor, the run length from
    Cauchy's bound (:func:`_cos_power_shift` for k = 1, optax's exponent: w = cos δ - tan θ_a
    sin δ, 2p up to ~400; :func:`_kdecay_shift` for timm's k-decay, 1e-3 <= k <= 8: w = cos φ -
    tan θ_a sin φ, φ = θ - θ_a). Its anchors, the first and last ~2**(s+3) steps, and what the
    series does not serve: with p = 1 (and 0 <= phase) (u / end)**k on the power-law kernel's
    series and cos(π x / 2) as a polynomial, vectorised; k = 1 with p != 1: c**p as
    2**(2 p log2 cos(π x / 2)) with a vectorised log2 and 2**z, log2 taken with its relative
    accuracy (cos - 1 from its own series before the middle, sin of the exact distance to the end
    after it); other k: y = 1 - (u / end)**k = 1 - 2**(k log2 x) and the power likewise with
    the same vectorised log2 and 2**z, each formed with its relative accuracy (sin²(π y / 2)
    near the end, where y is small)."""
    flags = _shape_series(k, p)
    if k == 1.0 and p != 1.0:
        # ten terms with shift s10 (past s10 = 13, 2p ~ 400, the per-step path costs less) and
        # six far from the end (s6)
        s10 = _cos_power_shift(p, 10, 13)
        if s10:
            flags = dict(series=2, shift=s10 + 256 * _cos_power_shift(p, 6, 20))
    elif k != 1.0:
        s10 = _kdecay_shift(True, k, p, 10, 13)
        if s10:
            # with p = 1 the blocks too near either end for runs of 64 keep the one-pass path
            # of (u / end)**k on the power-law kernel, whose flags go in rest
            rest = flags["series"] + 256 * flags["shift"] if p == 1.0 and flags["series"] else 0
            flags = dict(series=2, shift=s10 + 256 * _kdecay_shift(True, k, p, 6, 20), rest=rest)
    flags.setdefault("rest", 0)
    return segment(F.SHAPE, length, low=low, amp=amp, end=end, phase=phase, k=k, p=p, kind=0,
                   **flags)


def poly_shape(low: float, amp: float, end: float, *, phase: float = 0.0, k: float = 1.0,
               p: float = 1.0, length: Optional[int] = None) -> Segment:
    """low + amp (1 - ((tau + phase) / end)**k)**p (low from tau + phase = end on): polynomial
    k-decay. With p = 1 (and 0 <= phase): (u / end)**k on the power-law kernel, vectorised; other
    powers p with 1e-3 <= k <= 8: anchored series (series 2, see :func:`_kdecay_shift`: six or ten
    terms of w**p, w = 1 - T ((1 + ρ)**k - 1), per step), the anchors and the first and last
    ~2**(s+3) steps, and the rest (k > 4 with p = 1, k outside [1e-3, 8]), as y and y**p through
    a vectorised log2 and 2**z, each with its relative accuracy."""
    flags = _shape_series(k, p)
    if p != 1.0:
        # series 2: the kernel's _shape_anchored, as for the cosines
        s10 = _kdecay_shift(False, k, p, 10, 13)
        if s10:
            flags = dict(series=2, shift=s10 + 256 * _kdecay_shift(False, k, p, 6, 20))
    return segment(F.SHAPE, length, low=low, amp=amp, end=end, phase=phase, k=k, p=p, kind=1,
                   rest=0, **flags)


def poly_shape_to_end(low: float, amp: float, end: float, *, rest: int, frac: float,
                      k: float = 1.0, p: float = 1.0, length: Optional[int] = None) -> Segment:
    """low + amp (1 - (u / end)**k)**p, as :func:`poly_shape`, but given the distance to the end
    ``d = end - u = (rest - tau) + frac`` (``rest`` an integer >= 0, ``frac`` a float) instead of
    u: d keeps its relative accuracy near the end of a cycle whose end is not a whole number of
    steps away, which a power p < 1 needs (y = d / end for k == 1, -expm1(k log1p(-d / end))
    otherwise; use it where d <= end / 2 when k != 1). ``low`` once d <= 0, ``low + amp`` once
    d >= end. With k = 1 and a power p != 1 the series of :func:`power_law` serves (d / end)**p
    (0 <= frac < 1: the power-law kernel counting down from ``rest``); 1 and 2 have cheaper forms
    and powers the series does not serve take pow per step."""
    series, shift = (0, 10)
    if k == 1.0 and p > 0.0 and p != 1.0 and (p == 0.5 or _POWER_KINDS.get(p, 0) == 0):
        series, shift = _series_flags(p)
    return segment(F.SHAPE, length, low=low, amp=amp, end=end, phase=frac, k=k, p=p, kind=2,
                   rest=rest, series=series, shift=shift)


def _shape_series(k: float, p: float) -> Dict[str, int]:
    """SHAPE's series and shift: with p = 1 and 0 < k <= 4 the kernel takes (u / end)**k from the
    power-law kernel (kinds 0 and 1; k = 0.5 and 2 by sqrt and x*x, the others on the series,
    whose flags are :func:`power_law`'s). Larger k take no series: x = u / end would carry its
    rounding into x**k times k (k = 300: 1e-14 of the peak); the kernel forms them as
    1 - 2**(k log2(1 - r)) from the distance to the end instead (vectorised), as it does every
    power p != 1."""
    series, shift = (0, 10)
    if p == 1.0 and 0.0 < k <= 4.0 and _POWER_KINDS.get(k, 0) == 0:
        series, shift = _series_flags(k)
    return dict(series=series, shift=shift)


_COS_POWER_TAIL = 2.0 ** -57   # the truncation bound kept, relative to the peak


@functools.lru_cache(maxsize=1024)
def _cos_power_shift(p: float, terms: int, top: int) -> int:
    """The shift s of ``cos(θ)**(2p)``'s anchored series of ``terms`` terms (the kernel's
    _shape_anchored), 0 if it would exceed ``top``: the smallest s with Cauchy's bound on the
    series' tail below 2**-57 of the peak for runs of G <= 2**-s R / Δ steps, R the distance
    from the anchor to θ = π/2, Δ the angle of a step. On |δ| = c R, c <= 1/2,
    |cos(θ_a + δ) / cos θ_a| <= 1 + c, so |E_k δ**k| <= (1 + c)**(2p) (2**-s / c)**k and the
    tail past the last term is at most (1 + c)**(2p) q**terms / (1 - q), q = 2**-s / c,
    minimised over c. Larger powers need shorter runs."""
    a = 2.0 * p
    if not 0.0 < a < math.inf:
        return 0
    cs = 0.5 * 0.93 ** np.arange(80)
    return _first_shift(cs, np.log1p(cs), a, terms, top)


def _first_shift(cs: np.ndarray, log_m: np.ndarray, power: float, terms: int, top: int) -> int:
    """The smallest shift s in 4 ... top whose Cauchy bound on an anchored series' tail,
    M(c)**power q**terms / (1 - q), q = 2**-s / c, minimised over the radii c (with
    log M(c) = log_m), is below 2**-57 of the peak; 0 if none."""
    for s in range(4, top + 1):
        q = 2.0 ** -s / cs
        ok = (q < 0.5) & np.isfinite(log_m)
        v = power * log_m[ok] + terms * np.log(q[ok]) - np.log1p(-q[ok])
        if v.size and v.min() <= math.log(_COS_POWER_TAIL):
            return s
    return 0


def _kdecay_shift(cosine: bool, k: float, p: float, terms: int, top: int) -> int:
    """The shift s of a k-decay shape's anchored series of ``terms`` terms (the kernel's
    _shape_anchored), 0 if it would exceed ``top``: ``(1 - (u / end)**k)**p`` (``cosine``
    False) or ``cos(θ)**(2p)``, θ = (π/2)(u / end)**k. From an anchor u_a, with x = u_a / end,
    X = x**k and u = u_a (1 + ρ), the series is in w = 1 - T ((1 + ρ)**k - 1), T = X / (1 - X),
    or in w = cos φ - tan θ_a sin φ, φ = (π/2) X ((1 + ρ)**k - 1); either is analytic for
    |ρ| < Rρ = min(1, (1 - x) / x) (the branch point at u = 0, the zeros at u = end and at
    complex u no nearer). On |ρ| = c Rρ (c <= 1/2), with B(r) = sum_m |binom(k, m)| r**m >=
    |(1 + ρ)**k - 1|: |w| <= 1 + T B(c Rρ), or cosh Φ + tan θ_a sinh Φ with Φ = (π/2) X
    B(c Rρ). The supremum M(c) of that over the horizon (:func:`_kdecay_log_m`) gives Cauchy's
    bound on the tail past the last term, M(c)**P q**terms / (1 - q), P = p or 2p,
    q = 2**-s / c, minimised over c: the smallest s that keeps it below 2**-57 of the peak.
    Runs then span at most 2**-s min(u_a, end - u_a) steps. Exponents k outside [1e-3, 8] take
    no series (past 8 the binomials grow like 2**k)."""
    if not (0.0 < p < math.inf and 1e-3 <= k <= 8.0):
        return 0
    cs, log_m = _kdecay_log_m(cosine, k)
    return _first_shift(cs, log_m, 2.0 * p if cosine else p, terms, top)


@functools.lru_cache(maxsize=1024)
def _kdecay_log_m(cosine: bool, k: float):
    """(c, log M(c)) for :func:`_kdecay_shift`: M(c) the supremum over the horizon of the bound
    on |w| at |ρ| = c Rρ, x on a grid dense at both ends and through the middle (the largest
    value comes at x = 1/2 for k < 1, towards x = 1 for k > 1); M - 1 taken 10% larger for the
    points between. B by Horner's scheme (40 terms: r <= 1/2 and k <= 8). ~0.3 ms; cached."""
    e = np.geomspace(1e-15, 0.5, 60)
    mid = np.linspace(0.05, 0.95, 37)
    # 1 - x**k at x = e (near 0), x = 1 - e (near 1, from e itself) and between
    one_minus = np.concatenate([-np.expm1(k * np.log(e)), -np.expm1(k * np.log1p(-e)),
                                -np.expm1(k * np.log(mid))])
    X = 1.0 - one_minus
    reach = np.concatenate([np.ones_like(e), e / (1.0 - e), np.minimum(1.0, (1.0 - mid) / mid)])
    m = np.arange(1, 41)
    binom = np.abs(np.cumprod((k - m + 1) / m))
    cs = 0.5 * 0.8 ** np.arange(16)
    r = cs[:, None] * reach[None, :]                                  # (c, x)
    B = np.zeros_like(r)
    for b in binom[::-1]:
        B = (B + b) * r
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        if cosine:
            phi = (math.pi / 2) * X * B
            # tan θ_a = cot((π/2)(1 - X)), from 1 - X itself near the end
            excess = np.cosh(phi) - 1.0 + np.sinh(phi) / np.tan((math.pi / 2) * one_minus)
        else:
            excess = (X / one_minus) * B
        log_m = np.log1p(1.1 * excess.max(axis=1))
    return cs, log_m


def cyclic_poly(low: float, amp: float, period: int, power: float,
                length: Optional[int] = None) -> Segment:
    """low + amp * (1 - tau / (period * max(1, ceil(tau / period))))**power: cycle k covers
    (k - 1) period < tau <= k period and decays over its own horizon k period (keras
    ``PolynomialDecay(cycle=True)``). Powers 0 ... 16 by multiplications, others on the anchored
    binomial series of :func:`power_law` (cycles of more than 32 steps; pow per step in shorter
    ones and for powers the series does not serve); 0.5 by sqrt per step, and by the series'
    four-term tier where u >= 2**18 (see _k_poly's kind 3)."""
    series, shift = 0, 10
    if float(power).is_integer() and 0 <= power <= 16:
        kind, n = 1, int(power)
    elif power == 0.5:   # sqrt per step; in long cycles the four-term tier far from the end
        kind, n = 2, 0
        series, shift = _series_flags(power)
    else:   # each cycle on the power-law kernel's series where it serves (see _k_cycpoly)
        kind, n = 0, 0
        series, shift = _series_flags(power)
    return segment(F.CYCPOLY, length, low=low, amp=amp, power=power, period=period, kind=kind,
                   n=n, series=series, shift=shift)


def product(a: Sequence[Segment], b: Sequence[Segment], length: Optional[int] = None) -> Segment:
    """A segment whose value is a(tau) * b(tau) for two segment lists (each a whole schedule on the
    local step), computed in float64 and rounded once."""
    return combine(Op.OP_PRODUCT, a, b, length)


def combine(op: Any, a: Sequence[Segment], b: Sequence[Segment],
            length: Optional[int] = None) -> Segment:
    """A PRODUCT-family segment whose value is ``a(tau) op b(tau)`` for two segment lists (each a
    whole schedule on the local step), computed in float64 and rounded once: ``Op.OP_PRODUCT``
    a * b, ``Op.OP_SUM`` a + b, ``Op.OP_MAX`` max(a, b), ``Op.OP_POWER`` pow(a, b) (a power row
    cannot be scaled: put it under a product whose first factor carries the values)."""
    if op not in {int(x) for x in Op}:   # (Cython's enums accept any integer)
        raise ValueError(f"unknown operation {op!r}; the kernels have "
                         f"{', '.join(f'{x.name} = {int(x)}' for x in Op)}")
    return Segment(length, F.PRODUCT, (), (0, 0, 0, 0, int(op)), factors=(tuple(a), tuple(b)))


def shift(segments: Sequence[Segment], k: int) -> list:
    """The segment list of ``s(t + k)``: the first k steps dropped (each later segment runs from a
    local step k further on). The local step of the last segment may then pass 2**63 - 1: that
    segment ends at step 2**63 - 1 - k, and the value there is held (see fastlr.Shifted)."""
    out, skip = [], k
    for s in segments:
        if s.length is not None and s.length <= skip:
            skip -= s.length
            continue
        out.append(s._replace(length=None if s.length is None else s.length - skip,
                              offset=s.offset + skip))
        skip = 0
    return out


def truncate(segments: Sequence[Segment], total: int) -> list:
    """The first `total` steps of a segment list (a prefix, the crossing segment cut short)."""
    out, rest = [], total
    for s in segments:
        if s.length is None or s.length >= rest:
            out.append(s._replace(length=rest))
            return out
        out.append(s)
        rest -= s.length
    raise AssertionError("a segment list must end with a segment that runs forever")


def scale(segments: Sequence[Segment], factor: float) -> list:
    """Segments whose values are multiplied by `factor` (the value parameters of each family)."""
    out = []
    for s in segments:
        if s.family == F.PRODUCT:
            a, b = s.factors
            op = s.ints[4]
            if op == Op.OP_PRODUCT:   # c (a b) = (c a) b
                out.append(s._replace(factors=(tuple(scale(a, factor)), b)))
            elif op in (Op.OP_SUM, Op.OP_MAX):   # c (a + b), c max(a, b) for c >= 0
                out.append(s._replace(factors=(tuple(scale(a, factor)), tuple(scale(b, factor)))))
            else:
                raise AssertionError("a power row is scaled through the product above it")
            continue
        spec = FAMILIES[s.family]
        floats = tuple(x * factor if name in spec.values else x
                       for name, x in zip(spec.floats, s.floats))
        if not all(map(math.isfinite, floats)):
            big = max((abs(x) for name, x in zip(spec.floats, s.floats) if name in spec.values))
            raise ValueError(f"factor={factor!r} times the schedule's value {big!r} overflows "
                             f"the float64 range (about 1.8e308): scale by a smaller factor")
        out.append(s._replace(floats=floats))
    return out


def _laid_out(segments: Sequence[Segment]) -> list:
    """The segments that run, with their begins: empty ones dropped, cut at the first that runs
    forever or begins past the last representable step."""
    segs, begin = [], 0
    for s in segments:
        if s.length is not None and s.length <= 0:
            continue
        segs.append((begin, s))
        if s.length is None:
            return segs
        begin += s.length
        if begin > INT64_MAX:
            return segs  # the segments after this one begin past the last representable step
    raise AssertionError("a plan must end with a segment that runs forever")


def compile_plan(segments: Sequence[Segment]) -> Any:
    """Lay segments end to end from step 0 into the arrays of a compiled ``kernels.Plan``.

    A product's factors are plans of their own, laid out in rows after the rows that refer to
    them (breadth first), so a product's row ranges always point forward."""
    C = kernels.Column
    rows: list = []     # [begin, segment] per row, filled in order
    ranges: list = []   # (first row, segment list) of each plan, top plan first
    queue = [list(segments)]
    product_rows: list = []
    while queue:
        segs = _laid_out(queue.pop(0))
        ranges.append((len(rows), len(segs)))
        for begin, s in segs:
            if s.family == F.PRODUCT:
                product_rows.append(len(rows))
                queue.extend(s.factors)
            rows.append((begin, s))
    # the factors of the k-th product row are plans 2k+1 and 2k+2, in the order queued
    factor_ranges = {row: (ranges[1 + 2 * k], ranges[2 + 2 * k])
                     for k, row in enumerate(product_rows)}
    n = len(rows)
    iseg = np.zeros((n, kernels.N_INT_COLUMNS), dtype=np.int64)
    dseg = np.zeros((n, kernels.N_FLOAT_COLUMNS), dtype=np.float64)
    tables: list = []
    placed: dict = {}
    ntab = 0
    for k, (begin, s) in enumerate(rows):
        if not all(map(math.isfinite, s.floats)):  # a kernel given inf or NaN would write them
            raise ValueError(f"a {s.family.name} segment has non-finite parameters {s.params}: "
                             f"the schedule's parameters overflow the float64 range")
        iseg[k, C.BEGIN] = begin
        iseg[k, C.OFFSET] = s.offset
        iseg[k, C.FAMILY] = int(s.family)
        ints = s.ints
        if s.family == F.PRODUCT:
            (fa, na), (fb, nb) = factor_ranges[k]
            ints = (na, fa - k, nb, fb - k, s.ints[4])
        iseg[k, C.INTS:C.INTS + len(ints)] = ints
        dseg[k, :len(s.floats)] = s.floats
        if s.table is not None:
            key = id(s.table)
            if key not in placed:  # segments cut from one segment share its table
                placed[key] = ntab
                tables.append(s.table)
                ntab += len(s.table)
            iseg[k, C.TAB] = placed[key]
    tab = np.concatenate(tables) if tables else np.zeros(1)
    return kernels.Plan(iseg, dseg, tab, ranges[0][1])


FAMILIES: Dict[Any, FamilySpec] = _families()
