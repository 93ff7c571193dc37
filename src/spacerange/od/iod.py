"""Initial orbit determination: Gibbs, Herrick-Gibbs (positions) and Gauss (angles only).

References: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., Algorithms
54 (Gibbs) and 55 (Herrick-Gibbs); Curtis, *Orbital Mechanics for Engineering Students*,
Algorithms 5.5 and 5.6 (Gauss with iterative improvement, universal-variable f and g).

Positions in km, velocities km/s, times s, any inertial frame.  Gibbs and Herrick-Gibbs
accept stacks ``(..., 3)`` and work element-wise.
"""

from __future__ import annotations

import numpy as np

from spacerange.constants import MU_WGS84_KM3_S2

#: Earth GM used by the IOD methods (Vallado's value), km^3/s^2.
MU_KM3_S2 = MU_WGS84_KM3_S2


def _unit(a):
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def coplanarity_rad(r1, r2, r3) -> np.ndarray:
    """Angle (rad) between r1 and the plane of r2, r3: 0 for exactly coplanar vectors."""
    return np.pi / 2 - np.arccos(
        np.clip(np.sum(_unit(np.cross(r2, r3)) * _unit(r1), axis=-1), -1, 1)
    )


def gibbs(r1, r2, r3, mu_km3_s2: float = MU_KM3_S2) -> np.ndarray:
    """Velocity at ``r2`` from three coplanar positions (Vallado Algorithm 54), km/s.

    Works best for position separations above a few degrees; see :func:`herrick_gibbs`."""
    r1, r2, r3 = (np.asarray(x, float) for x in (r1, r2, r3))
    m1, m2, m3 = (np.linalg.norm(x, axis=-1, keepdims=True) for x in (r1, r2, r3))
    z12, z23, z31 = np.cross(r1, r2), np.cross(r2, r3), np.cross(r3, r1)
    n = m1 * z23 + m2 * z31 + m3 * z12
    d = z12 + z23 + z31
    s = (m2 - m3) * r1 + (m3 - m1) * r2 + (m1 - m2) * r3
    b = np.cross(d, r2)
    lg = np.sqrt(mu_km3_s2 / (np.linalg.norm(n, axis=-1, keepdims=True)
                              * np.linalg.norm(d, axis=-1, keepdims=True)))  # fmt: skip
    return lg / m2 * b + lg * s


def herrick_gibbs(r1, r2, r3, t1_s, t2_s, t3_s, mu_km3_s2: float = MU_KM3_S2) -> np.ndarray:
    """Velocity at ``r2`` (km/s) from three closely spaced positions and their times
    (Vallado Algorithm 55, a Taylor-series method for arcs below a few degrees)."""
    r1, r2, r3 = (np.asarray(x, float) for x in (r1, r2, r3))
    t1, t2, t3 = (np.asarray(x, float)[..., None] for x in (t1_s, t2_s, t3_s))
    d31, d32, d21 = t3 - t1, t3 - t2, t2 - t1
    m1, m2, m3 = (np.linalg.norm(x, axis=-1, keepdims=True) for x in (r1, r2, r3))
    term1 = -d32 * (1.0 / (d21 * d31) + mu_km3_s2 / (12.0 * m1**3))
    term2 = (d32 - d21) * (1.0 / (d21 * d32) + mu_km3_s2 / (12.0 * m2**3))
    term3 = d21 * (1.0 / (d32 * d31) + mu_km3_s2 / (12.0 * m3**3))
    return term1 * r1 + term2 * r2 + term3 * r3


def three_positions(r1, r2, r3, t1_s, t2_s, t3_s, mu_km3_s2: float = MU_KM3_S2) -> np.ndarray:
    """Velocity at ``r2``: Herrick-Gibbs when both separations are below 3 deg, else Gibbs."""
    r1, r2, r3 = (np.asarray(x, float) for x in (r1, r2, r3))

    def ang(a, b):
        return np.arccos(np.clip(np.sum(_unit(a) * _unit(b), axis=-1), -1, 1))

    small = (ang(r1, r2) < np.radians(3.0)) & (ang(r2, r3) < np.radians(3.0))
    hg = herrick_gibbs(r1, r2, r3, t1_s, t2_s, t3_s, mu_km3_s2)
    with np.errstate(invalid="ignore", divide="ignore"):
        gb = gibbs(r1, r2, r3, mu_km3_s2)
    return np.where(small[..., None], hg, gb)


# ------------------------------------------------------------------------------------
# universal-variable Kepler propagation (Curtis Algorithm 3.4) for the Gauss improvement
# ------------------------------------------------------------------------------------
def _stumpff(z):
    z = np.asarray(z, float)
    c = np.empty_like(z)
    s = np.empty_like(z)
    pos, neg = z > 1e-8, z < -1e-8
    zero = ~(pos | neg)
    sp, sn = np.sqrt(z[pos]), np.sqrt(-z[neg])
    s[pos] = (sp - np.sin(sp)) / sp**3
    c[pos] = (1 - np.cos(sp)) / z[pos]
    s[neg] = (np.sinh(sn) - sn) / sn**3
    c[neg] = (np.cosh(sn) - 1) / (-z[neg])
    s[zero], c[zero] = 1.0 / 6.0, 0.5
    return c, s


def kepler_fg(r0, v0, dt_s, mu_km3_s2: float = MU_KM3_S2):
    """Lagrange f and g (dt_s later) of the two-body orbit through (r0, v0); scalars."""
    f, g, _, _ = _kepler_fg_all(r0, v0, dt_s, mu_km3_s2)
    return f, g


def _kepler_fg_all(r0, v0, dt_s, mu_km3_s2):
    r0, v0 = np.asarray(r0, float), np.asarray(v0, float)
    rn = float(np.linalg.norm(r0))
    vr = float(r0 @ v0) / rn
    alpha = 2.0 / rn - float(v0 @ v0) / mu_km3_s2
    sq = np.sqrt(mu_km3_s2)
    x = sq * abs(alpha) * dt_s
    for _ in range(100):
        z = alpha * x * x
        c, s = (float(a[0]) for a in _stumpff(np.array([z])))
        f = rn * vr / sq * x * x * c + (1 - alpha * rn) * x**3 * s + rn * x - sq * dt_s
        df = rn * vr / sq * x * (1 - alpha * x * x * s) + (1 - alpha * rn) * x * x * c + rn
        step = f / df
        x -= step
        if abs(step) < 1e-10:
            break
    z = alpha * x * x
    c, s = (float(a[0]) for a in _stumpff(np.array([z])))
    f = 1 - x * x / rn * c
    g = dt_s - x**3 * s / sq
    r = f * r0 + g * v0
    r1 = float(np.linalg.norm(r))
    fdot = sq / (r1 * rn) * (alpha * x**3 * s - x)
    gdot = 1 - x * x / r1 * c
    return f, g, fdot, gdot


def kepler_propagate(r0_km, v0_km_s, dt_s: float, mu_km3_s2: float = MU_KM3_S2):
    """Two-body state (r, v) ``dt_s`` seconds after (r0, v0) (universal variables)."""
    r0, v0 = np.asarray(r0_km, float), np.asarray(v0_km_s, float)
    if dt_s == 0:
        return r0.copy(), v0.copy()
    f, g, fdot, gdot = _kepler_fg_all(r0, v0, dt_s, mu_km3_s2)
    return f * r0 + g * v0, fdot * r0 + gdot * v0


def gauss_angles(
    los1, los2, los3, site1, site2, site3, t1_s, t2_s, t3_s,
    mu_km3_s2: float = MU_KM3_S2, improve: bool = True, max_iter: int = 50,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Position and velocity (km, km/s) at the middle time from three lines of sight.

    ``los*`` unit vectors and ``site*`` observer positions (km) in one inertial frame.
    Curtis Algorithm 5.5 (Gauss, truncated f and g) followed, when ``improve``, by
    Algorithm 5.6 (iterative improvement with exact universal-variable f and g).
    Raises ValueError when no positive root of the eighth-order polynomial exists.
    """
    q1, q2, q3 = (np.asarray(x, float) for x in (los1, los2, los3))
    rs1, rs2, rs3 = (np.asarray(x, float) for x in (site1, site2, site3))
    tau1, tau3 = t1_s - t2_s, t3_s - t2_s
    tau = tau3 - tau1
    p1, p2, p3 = np.cross(q2, q3), np.cross(q1, q3), np.cross(q1, q2)
    d0 = q1 @ p1
    if abs(d0) < 1e-14:
        raise ValueError("Gauss IOD: lines of sight are coplanar (D0 = 0)")
    d = np.array([[rs @ p for p in (p1, p2, p3)] for rs in (rs1, rs2, rs3)])
    a_ = (-d[0, 1] * tau3 / tau + d[1, 1] + d[2, 1] * tau1 / tau) / d0
    b_ = (d[0, 1] * (tau3**2 - tau**2) * tau3 / tau + d[2, 1] * (tau**2 - tau1**2) * tau1 / tau) / (
        6 * d0
    )
    e_ = rs2 @ q2
    r2sq = rs2 @ rs2
    a = -(a_ * a_ + 2 * a_ * e_ + r2sq)
    b = -2 * mu_km3_s2 * b_ * (a_ + e_)
    c = -(mu_km3_s2**2) * b_ * b_
    roots = np.roots([1, 0, a, 0, 0, b, 0, 0, c])
    real = roots[(np.abs(roots.imag) < 1e-6 * np.abs(roots)) & (roots.real > 0)].real
    if real.size == 0:
        raise ValueError("Gauss IOD: no positive real root of the 8th-order polynomial")
    # prefer the root giving positive slant ranges
    best = None
    for x in sorted(real):
        r2 = x
        rho2 = a_ + mu_km3_s2 * b_ / r2**3
        if rho2 > 0:
            best = x
            break
    r2 = best if best is not None else real.max()
    mu = mu_km3_s2
    rho1 = (
        (6 * (d[2, 0] * tau1 / tau3 + d[1, 0] * tau / tau3) * r2**3
         + mu * d[2, 0] * (tau**2 - tau1**2) * tau1 / tau3)
        / (6 * r2**3 + mu * (tau**2 - tau3**2)) - d[0, 0]
    ) / d0  # fmt: skip
    rho2 = a_ + mu * b_ / r2**3
    rho3 = (
        (6 * (d[0, 2] * tau3 / tau1 - d[1, 2] * tau / tau1) * r2**3
         + mu * d[0, 2] * (tau**2 - tau3**2) * tau3 / tau1)
        / (6 * r2**3 + mu * (tau**2 - tau1**2)) - d[2, 2]
    ) / d0  # fmt: skip
    r1v, r2v, r3v = rs1 + rho1 * q1, rs2 + rho2 * q2, rs3 + rho3 * q3
    f1 = 1 - 0.5 * mu * tau1**2 / r2**3
    f3 = 1 - 0.5 * mu * tau3**2 / r2**3
    g1 = tau1 - mu * tau1**3 / (6 * r2**3)
    g3 = tau3 - mu * tau3**3 / (6 * r2**3)
    v2v = (-f3 * r1v + f1 * r3v) / (f1 * g3 - f3 * g1)
    if not improve:
        return r2v, v2v
    rho_old = np.array([rho1, rho2, rho3])
    for _ in range(max_iter):
        f1n, g1n = kepler_fg(r2v, v2v, tau1, mu)
        f3n, g3n = kepler_fg(r2v, v2v, tau3, mu)
        f1, g1 = 0.5 * (f1 + f1n), 0.5 * (g1 + g1n)
        f3, g3 = 0.5 * (f3 + f3n), 0.5 * (g3 + g3n)
        den = f1 * g3 - f3 * g1
        c1, c3 = g3 / den, -g1 / den
        rho1 = (-d[0, 0] + d[1, 0] / c1 - d[2, 0] * c3 / c1) / d0
        rho2 = (-c1 * d[0, 1] + d[1, 1] - c3 * d[2, 1]) / d0
        rho3 = (-d[0, 2] * c1 / c3 + d[1, 2] / c3 - d[2, 2]) / d0
        r1v, r2v, r3v = rs1 + rho1 * q1, rs2 + rho2 * q2, rs3 + rho3 * q3
        v2v = (-f3 * r1v + f1 * r3v) / den
        rho = np.array([rho1, rho2, rho3])
        if np.all(np.abs(rho - rho_old) < 1e-8):
            break
        rho_old = rho
    return r2v, v2v


def rv_to_coe(r_km, v_km_s, mu_km3_s2: float = MU_KM3_S2) -> dict:
    """Classical elements of one state: a km, e, i/raan/argp/nu deg, h km^2/s (Curtis 4.3)."""
    r, v = np.asarray(r_km, float), np.asarray(v_km_s, float)
    rn, vn = np.linalg.norm(r), np.linalg.norm(v)
    h = np.cross(r, v)
    hn = np.linalg.norm(h)
    i = np.degrees(np.arccos(h[2] / hn))
    nvec = np.cross([0.0, 0.0, 1.0], h)
    nn = np.linalg.norm(nvec)
    ev = ((vn * vn - mu_km3_s2 / rn) * r - (r @ v) * v) / mu_km3_s2
    e = np.linalg.norm(ev)
    raan = np.degrees(np.arccos(np.clip(nvec[0] / nn, -1, 1))) if nn > 0 else 0.0
    if nvec[1] < 0:
        raan = 360.0 - raan
    argp = np.degrees(np.arccos(np.clip(nvec @ ev / (nn * e), -1, 1))) if nn * e > 0 else 0.0
    if ev[2] < 0:
        argp = 360.0 - argp
    nu = np.degrees(np.arccos(np.clip(ev @ r / (e * rn), -1, 1))) if e > 0 else 0.0
    if r @ v < 0:
        nu = 360.0 - nu
    a = 1.0 / (2.0 / rn - vn * vn / mu_km3_s2)
    return {"a_km": a, "e": e, "i_deg": i, "raan_deg": raan, "argp_deg": argp, "nu_deg": nu,
            "h_km2_s": hn}  # fmt: skip
