"""A team's ballistic track of a coasting interceptor (issue 15, item 4).

:func:`fit_ballistic` estimates the interceptor's state from the positions a team's own
sensors measured (weighted least squares, Gauss-Newton on the state at the last
measurement, the world's RK4 two-body + J2 coast as the dynamics): state and covariance,
nothing from truth but the measurements.

Why not an SGP4 element set like every other track: a direct ascent to a few hundred km
is a steep arc (eccentricity ~0.96, perigee inside the Earth); SGP4's mean-element theory
does not hold there (fitted to such a state, SGP4 returns error 6 at its own epoch and
its short-period terms move the position by hundreds of km), so the arc is kept as a
numerically integrated trajectory, in the world and in the team's estimate alike.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fit_ballistic"]


def fit_ballistic(dt_s: np.ndarray, r_meas_km: np.ndarray, sigma_km: np.ndarray, coast,
                  iterations: int = 6):  # fmt: skip
    """Weighted least-squares ballistic state from measured TEME positions.

    ``dt_s`` (m,) are the measurement times relative to the *last* one (<= 0, multiples
    of the coast step), ``r_meas_km`` (m, 3) and ``sigma_km`` (m,) their 1-sigma
    (isotropic).  The state at the last measurement is propagated backwards by ``coast``
    (a ``coast(r, v, tof_s)`` returning the steps).  Returns ``(x (6,), P (6, 6),
    rms_km)``; needs three measurements or more."""
    dt = np.asarray(dt_s, float)
    rm = np.asarray(r_meas_km, float)
    w = 1.0 / np.asarray(sigma_km, float) ** 2
    span = float(-dt.min())
    x = np.concatenate([rm[-1], (rm[-1] - rm[0]) / max(span, 1.0)])

    def model(xs: np.ndarray) -> np.ndarray:
        """Positions (k, m, 3) of states xs (k, 6) at the measurement times."""
        if span <= 0:
            return xs[:, None, :3]
        rs, _ = coast(xs[:, :3], -xs[:, 3:], span)  # backwards: reversed velocity
        step = span / (len(rs) - 1)
        idx = np.rint(-dt / step).astype(int)
        return np.swapaxes(rs[idx], 0, 1)

    h = np.array([1e-3] * 3 + [1e-6] * 3)
    p = np.full((6, 6), np.nan)
    rms = np.nan
    for _ in range(iterations):
        xs = np.vstack([x, x + np.diag(h)])
        pos = model(xs)
        f = (rm - pos[0]).reshape(-1)
        jac = ((pos[1:] - pos[0]).reshape(6, -1) / h[:, None]).T
        wv = np.repeat(w, 3)
        a = jac.T @ (jac * wv[:, None])
        try:
            p = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            break
        dx = p @ (jac.T @ (wv * f))
        x = x + dx
        rms = float(np.sqrt(np.mean(f**2)))
        if np.all(np.abs(dx[:3]) < 1e-4):
            break
    return x, p, rms
