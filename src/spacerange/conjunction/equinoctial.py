"""Equinoctial orbital elements and two-body motion, vectorized (km, s, rad).

The element set is the one NASA CARA uses for its 3-D Nc and two-body Monte Carlo tools
(Hall 2021, sec. VII; Broucke & Cefola 1972 with the retrograde factor +1)::

    E = (n, af, ag, chi, psi, lambda_M)

``n`` mean motion (rad/s), ``af = e cos(w + W)``, ``ag = e sin(w + W)``,
``chi = tan(i/2) sin W``, ``psi = tan(i/2) cos W``, ``lambda_M = M + w + W`` (rad).
Two-body motion changes only ``lambda_M`` (by ``n dt``), which is why a Gaussian in these
elements gives the curvilinear ("banana") position uncertainty of an orbit.

States are inertial position/velocity ``(..., 6)`` in km and km/s; any inertial frame
(EME2000, GCRF) works as long as both objects use the same one.  Elliptic orbits only.

Retrograde factor ``fr`` (+1 or -1, per object): with ``fr = -1`` the set uses
``cot(i/2)`` and ``w - W`` so that it stays regular at ``i = 180 deg`` (Broucke & Cefola);
:func:`retrograde_factor` picks ``-1`` for retrograde orbits (``i > 90 deg``) as CARA's tools
must for the retrograde equatorial GEO orbits of the Alfano test cases.
"""

from __future__ import annotations

import numpy as np

from .encounter import MU_EARTH_KM3_S2

__all__ = [
    "retrograde_factor",
    "cart_to_equinoctial",
    "equinoctial_to_cart",
    "propagate_equinoctial",
    "two_body_jacobian",
    "cart_cov_to_equinoctial",
]


def _frame(chi, psi, fr):
    """Equinoctial basis vectors f, g (..., 3) in the inertial frame."""
    d = 1.0 + chi * chi + psi * psi
    f = np.stack([1.0 - chi * chi + psi * psi, 2.0 * chi * psi, -2.0 * fr * chi], axis=-1)
    g = np.stack([2.0 * fr * chi * psi, fr * (1.0 + chi * chi - psi * psi), 2.0 * psi], axis=-1)
    return f / d[..., None], g / d[..., None]


def retrograde_factor(x_km) -> np.ndarray:
    """``-1.0`` where the orbit of state ``(..., 6)`` is retrograde (i > 90 deg), else ``+1.0``."""
    x = np.asarray(x_km, dtype=float)
    hz = np.cross(x[..., :3], x[..., 3:])[..., 2]
    return np.where(hz < 0, -1.0, 1.0)


def cart_to_equinoctial(x_km, fr=1.0, mu_km3_s2: float = MU_EARTH_KM3_S2) -> np.ndarray:
    """Inertial state ``(..., 6)`` [km, km/s] -> equinoctial elements ``(..., 6)``.

    ``fr`` is the retrograde factor (broadcasts over the stack; see the module docstring).

    Raises ``ValueError`` for unbound (energy >= 0) states.
    """
    x = np.asarray(x_km, dtype=float)
    r, v = x[..., :3], x[..., 3:]
    rn = np.linalg.norm(r, axis=-1)
    inv_a = 2.0 / rn - np.sum(v * v, axis=-1) / mu_km3_s2
    if np.any(~(inv_a > 0)):
        raise ValueError("equinoctial elements need bound (elliptic) orbits")
    a = 1.0 / inv_a
    n = np.sqrt(mu_km3_s2 * inv_a**3)
    h = np.cross(r, v)
    w = h / np.linalg.norm(h, axis=-1, keepdims=True)
    fr = np.asarray(fr, dtype=float)
    chi = w[..., 0] / (1.0 + fr * w[..., 2])
    psi = -w[..., 1] / (1.0 + fr * w[..., 2])
    f, g = _frame(chi, psi, fr)
    evec = np.cross(v, h) / mu_km3_s2 - r / rn[..., None]
    af = np.sum(evec * f, axis=-1)
    ag = np.sum(evec * g, axis=-1)
    x1 = np.sum(r * f, axis=-1)
    y1 = np.sum(r * g, axis=-1)
    s = np.sqrt(1.0 - af * af - ag * ag)
    beta = 1.0 / (1.0 + s)
    cos_f = af + ((1.0 - af * af * beta) * x1 - af * ag * beta * y1) / (a * s)
    sin_f = ag + ((1.0 - ag * ag * beta) * y1 - af * ag * beta * x1) / (a * s)
    ecc_lon = np.arctan2(sin_f, cos_f)
    lam = ecc_lon + ag * cos_f - af * sin_f
    return np.stack([n, af, ag, chi, psi, lam], axis=-1)


def equinoctial_to_cart(e, fr=1.0, mu_km3_s2: float = MU_EARTH_KM3_S2) -> np.ndarray:
    """Equinoctial elements ``(..., 6)`` -> inertial state ``(..., 6)`` [km, km/s].

    Solves the equinoctial Kepler equation ``lambda = F + ag cos F - af sin F`` for the
    eccentric longitude ``F`` by Newton iteration (converges for e < 1).
    """
    e = np.asarray(e, dtype=float)
    n, af, ag, chi, psi, lam = (e[..., i] for i in range(6))
    a = np.cbrt(mu_km3_s2 / (n * n))
    ecc_lon = np.array(lam, dtype=float, copy=True)
    for _ in range(50):
        sf, cf = np.sin(ecc_lon), np.cos(ecc_lon)
        step = (ecc_lon + ag * cf - af * sf - lam) / (1.0 - ag * sf - af * cf)
        ecc_lon = ecc_lon - step
        if np.all(np.abs(step) < 1e-15):
            break
    sf, cf = np.sin(ecc_lon), np.cos(ecc_lon)
    s = np.sqrt(1.0 - af * af - ag * ag)
    beta = 1.0 / (1.0 + s)
    x1 = a * ((1.0 - ag * ag * beta) * cf + af * ag * beta * sf - af)
    y1 = a * ((1.0 - af * af * beta) * sf + af * ag * beta * cf - ag)
    rn = a * (1.0 - af * cf - ag * sf)
    k = n * a * a / rn
    xd = k * (af * ag * beta * cf - (1.0 - ag * ag * beta) * sf)
    yd = k * ((1.0 - af * af * beta) * cf - af * ag * beta * sf)
    f, g = _frame(chi, psi, np.asarray(fr, dtype=float))
    r = x1[..., None] * f + y1[..., None] * g
    v = xd[..., None] * f + yd[..., None] * g
    return np.concatenate([r, v], axis=-1)


def propagate_equinoctial(e, dt_s, fr=1.0, mu_km3_s2: float = MU_EARTH_KM3_S2) -> np.ndarray:
    """Two-body state at ``T + dt_s`` from elements at ``T``: ``(..., 6)`` km, km/s.

    ``e`` and ``dt_s`` broadcast; only the mean longitude advances (``n dt``).
    """
    e = np.asarray(e, dtype=float)
    dt = np.asarray(dt_s, dtype=float)
    e_t = np.broadcast_to(e, np.broadcast_shapes(e.shape, dt.shape + (6,))).copy()
    e_t[..., 5] = e_t[..., 5] + e_t[..., 0] * dt
    return equinoctial_to_cart(e_t, fr, mu_km3_s2)


# relative central-difference steps per element (n relative; the others absolute, rad)
_STEP = np.array([1e-7, 1e-7, 1e-7, 1e-7, 1e-7, 1e-7])


def two_body_jacobian(
    e, dt_s, fr=1.0, mu_km3_s2: float = MU_EARTH_KM3_S2
) -> tuple[np.ndarray, np.ndarray]:
    """State at ``T + dt`` and its Jacobian w.r.t. the elements at ``T``.

    Returns ``(x (..., 6), psi (..., 6, 6))`` with ``psi[..., i, j] = d x_i / d E_j``
    (Hall 2021 eq. 40: equinoctial-to-Cartesian Jacobian times the two-body element STM),
    by central differences (relative accuracy ~1e-9).
    """
    e = np.asarray(e, dtype=float)
    dt = np.asarray(dt_s, dtype=float)
    shape = np.broadcast_shapes(e.shape[:-1], dt.shape)
    e = np.broadcast_to(e, shape + (6,))
    dt = np.broadcast_to(dt, shape)
    h = _STEP * np.where(np.arange(6) == 0, np.abs(e[..., :1]), 1.0)  # (..., 6)
    pert = np.eye(6) * h[..., None, :]  # (..., 6 pert, 6 elem)
    stack = np.concatenate([e[..., None, :], e[..., None, :] + pert, e[..., None, :] - pert], -2)
    fr = np.broadcast_to(np.asarray(fr, dtype=float), shape)
    xs = propagate_equinoctial(stack, dt[..., None], fr[..., None], mu_km3_s2)
    x0 = xs[..., 0, :]
    d = (xs[..., 1:7, :] - xs[..., 7:13, :]) / (2.0 * h[..., :, None])  # (..., elem, state)
    return x0, np.swapaxes(d, -1, -2)


def cart_cov_to_equinoctial(x_km, cov_km2, fr=1.0, mu_km3_s2: float = MU_EARTH_KM3_S2):
    """Mean elements and their 6x6 covariance from a Cartesian mean and covariance.

    Linear mapping at the mean, ``P_E = J^-1 P_X J^-T`` with ``J = dX/dE``.
    Returns ``(e (..., 6), cov_e (..., 6, 6))``.
    """
    e = cart_to_equinoctial(x_km, fr, mu_km3_s2)
    _, jac = two_body_jacobian(e, 0.0, fr, mu_km3_s2)
    jinv = np.linalg.inv(jac)
    cov_e = jinv @ np.asarray(cov_km2, float) @ np.swapaxes(jinv, -1, -2)
    return e, 0.5 * (cov_e + np.swapaxes(cov_e, -1, -2))
