"""Compiled (numba) two-body penetration kernel for simulation-domain Monte Carlo.

Kept apart from :mod:`.sdmc` so the numba compile happens once per process and only
when the Monte Carlo is used.  The kernel follows each sampled pair of orbits in
equinoctial elements (:mod:`.equinoctial`; exact two-body motion by Kepler's equation, no
integration error) over a time grid and looks for the *first* entry of the relative
position into the hard-body sphere, between grid points as well as on them: the relative
trajectory over a step is the cubic Hermite curve through both ends' positions and
velocities, whose error over a step ``h`` scales with ``(h n)^4`` times the separation.
A step whose ends and speeds allow a closer approach than the HBR is re-sampled exactly on a
32-interval sub-grid, so the coarse step only has to be short enough for that bound.
Units: km, km/s, s, rad.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .encounter import MU_EARTH_KM3_S2

_MU = MU_EARTH_KM3_S2  # numba freezes module globals at compile time


@njit(cache=True, fastmath=False)
def _state(e, fr, dt, f_guess, out):
    """Two-body state of elements ``e`` (6,) after ``dt`` s into ``out`` (6,); returns F."""
    n, af, ag, chi, psi, lam0 = e[0], e[1], e[2], e[3], e[4], e[5]
    lam = lam0 + n * dt
    f = f_guess
    for _ in range(30):
        sf = math.sin(f)
        cf = math.cos(f)
        step = (f + ag * cf - af * sf - lam) / (1.0 - ag * sf - af * cf)
        f -= step
        if abs(step) < 1e-14:
            break
    sf = math.sin(f)
    cf = math.cos(f)
    a = (_MU / (n * n)) ** (1.0 / 3.0)
    s = math.sqrt(1.0 - af * af - ag * ag)
    beta = 1.0 / (1.0 + s)
    x1 = a * ((1.0 - ag * ag * beta) * cf + af * ag * beta * sf - af)
    y1 = a * ((1.0 - af * af * beta) * sf + af * ag * beta * cf - ag)
    rn = a * (1.0 - af * cf - ag * sf)
    k = n * a * a / rn
    xd = k * (af * ag * beta * cf - (1.0 - ag * ag * beta) * sf)
    yd = k * ((1.0 - af * af * beta) * cf - af * ag * beta * sf)
    d = 1.0 + chi * chi + psi * psi
    fx = (1.0 - chi * chi + psi * psi) / d
    fy = 2.0 * chi * psi / d
    fz = -2.0 * fr * chi / d
    gx = 2.0 * fr * chi * psi / d
    gy = fr * (1.0 + chi * chi - psi * psi) / d
    gz = 2.0 * psi / d
    out[0] = x1 * fx + y1 * gx
    out[1] = x1 * fy + y1 * gy
    out[2] = x1 * fz + y1 * gz
    out[3] = xd * fx + yd * gx
    out[4] = xd * fy + yd * gy
    out[5] = xd * fz + yd * gz
    return f


@njit(cache=True)
def _bound(r0, v0, r1, v1, h):
    """Lower bound of the separation over a step from its ends (speed bound with a
    curvature margin |v1 - v0|)."""
    d0 = math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2)
    d1 = math.sqrt(r1[0] ** 2 + r1[1] ** 2 + r1[2] ** 2)
    sp0 = math.sqrt(v0[0] ** 2 + v0[1] ** 2 + v0[2] ** 2)
    sp1 = math.sqrt(v1[0] ** 2 + v1[1] ** 2 + v1[2] ** 2)
    dv = math.sqrt((v1[0] - v0[0]) ** 2 + (v1[1] - v0[1]) ** 2 + (v1[2] - v0[2]) ** 2)
    return 0.5 * (d0 + d1 - h * (max(sp0, sp1) + dv))


@njit(cache=True)
def _hermite_min(r0, v0, r1, v1, h):
    """Minimum |p(tau)| of the cubic Hermite relative path over one step, and its tau."""
    best = 1e300
    best_tau = 0.0
    m = 16
    for j in range(m + 1):
        tau = j / m
        d = _hermite_norm(r0, v0, r1, v1, h, tau)
        if d < best:
            best = d
            best_tau = tau
    lo = max(0.0, best_tau - 1.0 / m)
    hi = min(1.0, best_tau + 1.0 / m)
    g = 0.5 * (math.sqrt(5.0) - 1.0)
    for _ in range(30):
        a = hi - g * (hi - lo)
        b = lo + g * (hi - lo)
        if _hermite_norm(r0, v0, r1, v1, h, a) < _hermite_norm(r0, v0, r1, v1, h, b):
            hi = b
        else:
            lo = a
    tau = 0.5 * (lo + hi)
    d = _hermite_norm(r0, v0, r1, v1, h, tau)
    if d < best:
        return d, tau
    return best, best_tau


@njit(cache=True)
def _hermite_norm(r0, v0, r1, v1, h, tau):
    t2 = tau * tau
    t3 = t2 * tau
    h00 = 2.0 * t3 - 3.0 * t2 + 1.0
    h10 = (t3 - 2.0 * t2 + tau) * h
    h01 = -2.0 * t3 + 3.0 * t2
    h11 = (t3 - t2) * h
    s = 0.0
    for i in range(3):
        p = h00 * r0[i] + h10 * v0[i] + h01 * r1[i] + h11 * v1[i]
        s += p * p
    return math.sqrt(s)


_N_SUB = 32


@njit(cache=True)
def _refine_step(e1, fr1, e2, fr2, ta, h, hbr_km, f1_end, f2_end):
    """Time of the first ingress into the HBR sphere in ``[ta, ta + h]`` (closest point of
    the first sub-step that starts outside and dips inside), on a 32-interval exact
    sub-grid with Hermite curves between its points; nan if none."""
    s1 = np.empty(6)
    s2 = np.empty(6)
    r0 = np.empty(3)
    v0 = np.empty(3)
    r1 = np.empty(3)
    v1 = np.empty(3)
    hs = h / _N_SUB
    f1 = f1_end - e1[0] * h
    f2 = f2_end - e2[0] * h
    f1 = _state(e1, fr1, ta, f1, s1)
    f2 = _state(e2, fr2, ta, f2, s2)
    for j in range(3):
        r0[j] = s2[j] - s1[j]
        v0[j] = s2[j + 3] - s1[j + 3]
    for k in range(1, _N_SUB + 1):
        t = ta + k * hs
        f1 = _state(e1, fr1, t, f1 + e1[0] * hs, s1)
        f2 = _state(e2, fr2, t, f2 + e2[0] * hs, s2)
        for j in range(3):
            r1[j] = s2[j] - s1[j]
            v1[j] = s2[j + 3] - s1[j + 3]
        d_start = math.sqrt(r0[0] ** 2 + r0[1] ** 2 + r0[2] ** 2)
        # an ingress needs the pair outside at the start of the sub-step
        if d_start >= hbr_km and _bound(r0, v0, r1, v1, hs) < hbr_km:
            dmin, tau = _hermite_min(r0, v0, r1, v1, hs)
            if dmin < hbr_km:
                return t - hs + tau * hs
        for j in range(3):
            r0[j] = r1[j]
            v0[j] = v1[j]
    return np.nan


@njit(cache=True, parallel=True)
def first_penetration(e1, fr1, e2, fr2, t0_s, t1_s, h_s, hbr_km):
    """First HBR-sphere entry of each sampled pair within ``[t0_s, t1_s]``.

    ``e1, e2`` (N, 6) equinoctial elements of the samples at the common epoch (t = 0),
    ``fr1, fr2`` their retrograde factors (N,), ``h_s`` the nominal step.  Returns, per
    sample, the approximate time (s from the epoch) of its first *ingress* into the sphere
    of radius ``hbr_km`` within the window, or ``nan`` if there is none.  As in Hall (2021,
    eq. 6) and CARA's Monte Carlo, a pair already inside at ``t0_s`` is not a hit unless it
    leaves and enters again.
    """
    n = e1.shape[0]
    out = np.full(n, np.nan)
    n_steps = max(1, int(math.ceil((t1_s - t0_s) / h_s)))
    h = (t1_s - t0_s) / n_steps
    for i in prange(n):
        s1 = np.empty(6)
        s2 = np.empty(6)
        r0 = np.empty(3)
        v0 = np.empty(3)
        r1 = np.empty(3)
        v1 = np.empty(3)
        f1 = e1[i, 5] + e1[i, 0] * t0_s
        f2 = e2[i, 5] + e2[i, 0] * t0_s
        f1 = _state(e1[i], fr1[i], t0_s, f1, s1)
        f2 = _state(e2[i], fr2[i], t0_s, f2, s2)
        for j in range(3):
            r0[j] = s2[j] - s1[j]
            v0[j] = s2[j + 3] - s1[j + 3]
        for k in range(1, n_steps + 1):
            t = t0_s + k * h
            f1 = _state(e1[i], fr1[i], t, f1 + e1[i, 0] * h, s1)
            f2 = _state(e2[i], fr2[i], t, f2 + e2[i, 0] * h, s2)
            for j in range(3):
                r1[j] = s2[j] - s1[j]
                v1[j] = s2[j + 3] - s1[j + 3]
            bound = _bound(r0, v0, r1, v1, h)
            if bound < hbr_km:
                # candidate step: re-sample it exactly on a fine sub-grid, Hermite between
                tc = _refine_step(e1[i], fr1[i], e2[i], fr2[i], t - h, h, hbr_km, f1, f2)
                if tc == tc:
                    out[i] = tc
                    break
            for j in range(3):
                r0[j] = r1[j]
                v0[j] = v1[j]
    return out
