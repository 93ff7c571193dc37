"""Compiled node integration of the OD dynamics: every object with its own adaptive step.

:meth:`.dynamics.J2Dynamics.nodes` integrates the states (and STMs) of all objects to a
uniform node grid.  The NumPy path (:func:`~spacerange.propagation.numerical.integrator.
integrate_many`) moves every object in lockstep with one shared step, so its cost per
evaluation is (node count) x (stages) x (Python overhead + n x work) whatever the objects.
This kernel (Numba, used when ``numba`` is installed; :data:`ACCELERATED`) integrates each
object on its own, in parallel over objects, with the same method: Dormand-Prince 8(5,3)
(the tableau and error estimate of SciPy's ``DOP853``; Hairer, Norsett & Wanner, *Solving
ODEs I*, sec. II.10), steps clipped to land on the nodes, the same tolerances and step-size
control (factor ``0.9 err^(-1/8)`` bounded to [0.2, 10]), and the same force model:
point mass + J2..J``degree`` about a fixed pole, with the point-mass + J2 variational
equations (and the three constant-RTN-acceleration sensitivity columns when asked).

Per-object isolation: an object whose derivatives turn non-finite, whose step would fall
below ``min_step_s`` or that exceeds ``max_steps`` gets NaN nodes from there on (the
batch then reports it with its reason); the others are unaffected (each has its own step).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate._ivp import dop853_coefficients as _dop

from spacerange.od.dynamics import hermite_weights

try:  # optional accelerated backend
    from numba import njit, prange

    ACCELERATED = True
except ImportError:  # pragma: no cover - depends on the environment
    ACCELERATED = False
    prange = range

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        def wrap(f):
            return f

        return wrap


_NS = _dop.N_STAGES
_A = np.ascontiguousarray(_dop.A[:_NS, :_NS])
_B = np.ascontiguousarray(_dop.B)
_E3 = np.ascontiguousarray(_dop.E3)
_E5 = np.ascontiguousarray(_dop.E5)


@njit(cache=True, fastmath=False)
def _rhs(y, out, pole, con, degree, cols, g):
    """dy/dt of one augmented state ``y`` (6 + 6 cols) into ``out``; ``con`` = (gm, R, J2,
    J3, J4); ``g`` (3, 3) scratch.  Same formulas as :class:`.dynamics.J2Dynamics` (``acceleration``,
    ``_higher_zonals``, ``_j2_gradient``, ``rtn_basis``)."""
    gm, re, j2, j3, j4 = con[0], con[1], con[2], con[3], con[4]
    rx, ry, rz = y[0], y[1], y[2]
    px, py, pz = pole[0], pole[1], pole[2]
    r2 = rx * rx + ry * ry + rz * rz
    rn = math.sqrt(r2)
    z = rx * px + ry * py + rz * pz
    k = -1.5 * j2 * gm * re * re
    r3 = r2 * rn
    r5 = r2 * r2 * rn
    pm = -gm / r3
    fac = (1.0 - 5.0 * z * z / r2) / r5
    cr = pm + k * fac
    cp = 2.0 * k * z / r5
    if degree > 2:
        c3 = -0.5 * gm * j3 * re**3
        dv_dr = c3 * (-35.0 * z**3 / rn**8 + 15.0 * z / rn**6)
        dv_dz = c3 * (15.0 * z**2 / rn**7 - 3.0 / rn**5)
        if degree > 3:
            c4 = -0.125 * gm * j4 * re**4
            dv_dr += c4 * (-315.0 * z**4 / rn**10 + 210.0 * z**2 / rn**8 - 15.0 / rn**6)
            dv_dz += c4 * (140.0 * z**3 / rn**9 - 60.0 * z / rn**7)
        cr += dv_dr / rn
        cp += dv_dz
    out[0], out[1], out[2] = y[3], y[4], y[5]
    out[3] = cr * rx + cp * px
    out[4] = cr * ry + cp * py
    out[5] = cr * rz + cp * pz
    if cols == 0:
        return
    # point mass + J2 gradient G (3, 3)
    r = (rx, ry, rz)
    p = (px, py, pz)
    r7 = r5 * r2
    r9 = r7 * r2
    for i in range(3):
        for j in range(3):
            rr = r[i] * r[j]
            eye = 1.0 if i == j else 0.0
            gij = gm * (3.0 * rr / r5 - eye / r3)
            gj = (eye / r5 - 5.0 * rr / r7
                  - 5.0 * (z * z / r7 * eye + 2.0 * z / r7 * r[i] * p[j] - 7.0 * z * z / r9 * rr)
                  + 2.0 * (p[i] * p[j] / r5 - 5.0 * z / r7 * p[i] * r[j]))  # fmt: skip
            g[i, j] = gij + k * gj
    # dPhi = [Phi_v; G Phi_r] (rows of Phi: 6, columns: cols), row-major after the state
    for i in range(3):
        for c in range(cols):
            out[6 + i * cols + c] = y[6 + (3 + i) * cols + c]
            acc = 0.0
            for j in range(3):
                acc += g[i, j] * y[6 + j * cols + c]
            out[6 + (3 + i) * cols + c] = acc
    if cols == 9:
        vx, vy, vz = y[3], y[4], y[5]
        hx, hy, hz = ry * vz - rz * vy, rz * vx - rx * vz, rx * vy - ry * vx
        hn = math.sqrt(hx * hx + hy * hy + hz * hz)
        ur = (rx / rn, ry / rn, rz / rn)
        un = (hx / hn, hy / hn, hz / hn)
        ut = (un[1] * ur[2] - un[2] * ur[1], un[2] * ur[0] - un[0] * ur[2],
              un[0] * ur[1] - un[1] * ur[0])  # fmt: skip
        for i in range(3):
            out[6 + (3 + i) * cols + 6] += ur[i]
            out[6 + (3 + i) * cols + 7] += ut[i]
            out[6 + (3 + i) * cols + 8] += un[i]


@njit(cache=True)
def _advance(y, f, t, target, h, pole, con, degree, cols, rtol, atol, a, b, e3, e5,
             kk, ytmp, ynew, g, min_step_s, steps, max_steps):  # fmt: skip
    """DOP853 steps of one object from ``t`` to exactly ``target`` (``y``, ``f`` updated in
    place).  Returns (next step size, ok, steps taken so far)."""
    d = y.size
    ns = a.shape[0]
    direction = 1.0 if target >= t else -1.0
    while direction * (target - t) > 0:
        if steps >= max_steps:
            return h, False, steps
        h_step = h
        hit = False
        if direction * (t + direction * h - target) >= 0:
            h_step = abs(target - t)
            hit = True
        hs = direction * h_step
        for i in range(d):
            kk[0, i] = f[i]
        for s in range(1, ns):
            for i in range(d):
                acc = 0.0
                for q in range(s):
                    acc += a[s, q] * kk[q, i]
                ytmp[i] = y[i] + acc * hs
            _rhs(ytmp, kk[s], pole, con, degree, cols, g)
        for i in range(d):
            acc = 0.0
            for q in range(ns):
                acc += b[q] * kk[q, i]
            ynew[i] = y[i] + hs * acc
        _rhs(ynew, kk[ns], pole, con, degree, cols, g)
        e5s = 0.0
        e3s = 0.0
        for i in range(d):
            sc = atol[i] + max(abs(y[i]), abs(ynew[i])) * rtol
            s5 = 0.0
            s3 = 0.0
            for q in range(ns + 1):
                s5 += e5[q] * kk[q, i]
                s3 += e3[q] * kk[q, i]
            e5s += (s5 / sc) ** 2
            e3s += (s3 / sc) ** 2
        denom = e5s + 0.01 * e3s
        err = h_step * e5s / math.sqrt(denom * d) if denom > 0 else 0.0
        if not math.isfinite(err):
            if h_step < min_step_s:
                return h, False, steps
            h = 0.2 * h_step
            continue
        if err <= 1.0:
            t = target if hit else t + hs
            for i in range(d):
                y[i] = ynew[i]
                f[i] = kk[ns, i]
            steps += 1
            fac = 10.0 if err == 0.0 else min(10.0, 0.9 * err ** (-1.0 / 8.0))
            if (not hit) or fac < 1.0:
                h = h_step * fac
        else:
            h = h_step * max(0.2, 0.9 * err ** (-1.0 / 8.0))
            if h < min_step_s:
                return h, False, steps
    return h, True, steps


@njit(cache=True)
def _start(x0, y, f, pole, con, degree, cols, rtol, atol, g):
    """Augmented initial state (identity STM) into ``y``, its derivative into ``f``;
    returns (first step size, ok) (Hairer's rough estimate, capped at 60 s, as the NumPy
    integrator)."""
    d = y.size
    for i in range(d):
        y[i] = 0.0
    for i in range(6):
        y[i] = x0[i]
        if cols > i:
            y[6 + i * cols + i] = 1.0
    _rhs(y, f, pole, con, degree, cols, g)
    d0 = 0.0
    d1 = 0.0
    for i in range(d):
        if not (math.isfinite(y[i]) and math.isfinite(f[i])):
            return 0.0, False
        sc = atol[i] + abs(y[i]) * rtol
        d0 += (y[i] / sc) ** 2
        d1 += (f[i] / sc) ** 2
    d0 = math.sqrt(d0 / d)
    d1 = math.sqrt(d1 / d)
    h = 0.01 * d0 / d1 if (d0 > 1e-5 and d1 > 1e-5) else 1e-3
    return min(h, 60.0), True


@njit(cache=True, parallel=True)
def _nodes_kernel(x0, s_nodes, pole, con, degree, cols, rtol, atol, a, b, e3, e5,
                  min_step_s, max_steps):  # fmt: skip
    n = x0.shape[0]
    nk = s_nodes.size
    d = 6 + 6 * cols
    out = np.full((n, nk, d), np.nan)
    ns = a.shape[0]
    for o in prange(n):
        y = np.empty(d)
        f = np.empty(d)
        ytmp = np.empty(d)
        ynew = np.empty(d)
        kk = np.empty((ns + 1, d))
        g = np.empty((3, 3))
        h, ok = _start(x0[o], y, f, pole, con, degree, cols, rtol, atol, g)
        if not ok:
            continue
        out[o, 0] = y
        t = s_nodes[0]
        steps = 0
        for j in range(1, nk):
            h, ok, steps = _advance(y, f, t, s_nodes[j], h, pole, con, degree, cols, rtol,
                                    atol, a, b, e3, e5, kk, ytmp, ynew, g, min_step_s, steps,
                                    max_steps)  # fmt: skip
            if not ok:
                break
            t = s_nodes[j]
            out[o, j] = y
    return out


_hermite_weights = njit(cache=True)(hermite_weights)


@njit(cache=True)
def _hermite_row(ya, fa, yb, fb, tt, hh, cols, out):
    """Quintic Hermite (as :func:`.dynamics.quintic_hermite`) of the position-like parts
    (r, Phi_r rows) from value, rate and acceleration at both nodes; rates likewise."""
    h0, h1, h2, h3, h4, h5, g0, g1, g2, g3, g4 = _hermite_weights(tt)
    nq = 3 + 3 * cols
    for jq in range(nq):
        iq = jq if jq < 3 else 3 + jq  # r: 0..2; Phi_r rows: 6 .. 6 + 3 cols
        idq = iq + 3 if jq < 3 else iq + 3 * cols  # v: 3..5; Phi_v rows after Phi_r
        q0, q1 = ya[iq], yb[iq]
        d0, d1 = ya[idq], yb[idq]
        a0, a1 = fa[idq], fb[idq]
        out[iq] = (h0 * q0 + hh * h1 * d0 + hh * hh * h2 * a0 + h5 * q1 + hh * h4 * d1
                   + hh * hh * h3 * a1)  # fmt: skip
        out[idq] = (g0 * q0 - g0 * q1) / hh + g1 * d0 + hh * g2 * a0 + g4 * d1 + hh * g3 * a1


@njit(cache=True, parallel=True)
def _trajectory_kernel(x0, s_obs, order, start, node_step, pole, con, degree, cols, rtol,
                       atol, a, b, e3, e5, max_steps):  # fmt: skip
    n = x0.shape[0]
    d = 6 + 6 * cols
    out = np.full((s_obs.size, d), np.nan)
    ns = a.shape[0]
    for o in prange(n):
        lo, hi = start[o], start[o + 1]
        if hi == lo:
            continue
        y = np.empty(d)
        f = np.empty(d)
        yb = np.empty(d)
        fb = np.empty(d)
        ytmp = np.empty(d)
        ynew = np.empty(d)
        kk = np.empty((ns + 1, d))
        g = np.empty((3, 3))
        # rows sorted by s ascending: the negative side backwards from the epoch, then the
        # non-negative side forwards
        first_pos = hi
        for q in range(lo, hi):
            if s_obs[order[q]] >= 0:
                first_pos = q
                break
        for side in range(2):
            if side == 0:
                q0, q1, step_q, sign = first_pos, hi, 1, 1.0
            else:
                q0, q1, step_q, sign = first_pos - 1, lo - 1, -1, -1.0
            if q0 == q1:
                continue
            span = abs(s_obs[order[q1 - step_q]])
            min_step_s = 1e-9 * max(1.0, span)
            h, ok = _start(x0[o], y, f, pole, con, degree, cols, rtol, atol, g)
            if not ok:
                continue
            for i in range(d):
                yb[i] = y[i]
                fb[i] = f[i]
            tb = 0.0
            hh = sign * node_step
            steps = 0
            q = q0
            j = 0
            while q != q1 and ok:
                # node interval [tb - hh, tb] must contain s; advance nodes until it does
                ta = tb
                for i in range(d):
                    y[i] = yb[i]
                    f[i] = fb[i]
                tb = (j + 1) * hh
                h, ok, steps = _advance(yb, fb, ta, tb, h, pole, con, degree, cols, rtol,
                                        atol, a, b, e3, e5, kk, ytmp, ynew, g, min_step_s,
                                        steps, max_steps)  # fmt: skip
                if not ok:
                    break
                j += 1
                while q != q1:
                    r = order[q]
                    frac = (s_obs[r] - ta) / hh
                    if frac > 1.0:
                        break
                    _hermite_row(y, f, yb, fb, frac, hh, cols, out[r])
                    q += step_q
    return out


def nodes(x0, s_nodes, pole, constants, degree, cols, rtol, atol, max_steps=1_000_000):
    """Augmented states (n, k, 6 + 6 cols) at ``s_nodes`` (k,) from the GCRS states ``x0``
    (n, 6) (``cols`` 0: states only; 6: STM; 9: STM + RTN-acceleration sensitivity); NaN
    from the node where an object failed on (see the module doc)."""
    s_nodes = np.ascontiguousarray(s_nodes, float)
    span = abs(float(s_nodes[-1]) - float(s_nodes[0])) if s_nodes.size else 0.0
    return _nodes_kernel(np.ascontiguousarray(x0, float), s_nodes,
                         np.ascontiguousarray(pole, float), np.asarray(constants, float),
                         int(degree), int(cols), float(rtol),
                         np.ascontiguousarray(atol, float), _A, _B, _E3, _E5,
                         1e-9 * max(1.0, span), int(max_steps))  # fmt: skip


def trajectory(x0, s_obs, obj, node_step_s, pole, constants, degree, cols, rtol, atol,
               max_steps=1_000_000):  # fmt: skip
    """Augmented states (m, 6 + 6 cols) of object ``obj[k]`` at ``s_obs[k]`` seconds from its
    epoch (either side), from nodes every ``node_step_s`` integrated per object and quintic
    Hermite interpolation between them with the derivatives the integrator carries (the
    variational equations' own, so the STM is interpolated consistently); NaN rows for an
    object from where it failed on."""
    s_obs = np.ascontiguousarray(s_obs, float)
    obj = np.asarray(obj, np.int64)
    n = np.asarray(x0).shape[0]
    order = np.lexsort((s_obs, obj))
    start = np.searchsorted(obj[order], np.arange(n + 1))
    return _trajectory_kernel(np.ascontiguousarray(x0, float), s_obs, order, start,
                              float(node_step_s), np.ascontiguousarray(pole, float),
                              np.asarray(constants, float), int(degree), int(cols),
                              float(rtol), np.ascontiguousarray(atol, float), _A, _B, _E3,
                              _E5, int(max_steps))  # fmt: skip
