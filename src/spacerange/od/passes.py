"""Pass-by-pass catalog maintenance: simulated passes, gating against a predicted track,
and relative-motion (RTN) covariance propagation, vectorized over objects.

* :func:`pass_observations` -- one short pass per object: measurements of given GCRS
  states at given times from given sites (:func:`.measurements.predict`, Gaussian noise of
  the site's sigmas).  Radar sites measure range, azimuth, elevation and range-rate,
  optical sites topocentric RA/Dec.
* :func:`pass_mahalanobis` -- the squared Mahalanobis distance of each object's
  measurements at one epoch from the prediction of its catalog state and covariance,
  ``d2 = dy^T (H P H^T + R)^-1 dy`` with its degrees of freedom (the number of scalar
  measurements): the correlation gate and the manoeuvre test statistic.
* :func:`inertial_to_rtn_6` / :func:`rtn_to_inertial_cov` -- the 6x6 map of a relative
  state from inertial axes to the rotating RTN frame of a reference orbit (velocity
  includes the frame's rotation, ``v_rtn = R (dv - omega x dr)``) and its use on covariances.
* :func:`hcw_stm` / :func:`propagate_rtn_covariance` -- the Hill-Clohessy-Wiltshire
  state transition (circular reference orbit, Vallado 2013 sec. 6.8) and ``Phi P Phi^T``:
  the along-track growth a velocity (semi-major axis) uncertainty causes.
* :func:`propagate_cov_two_body` -- the same for any eccentricity: the covariance mapped to
  equinoctial elements (a, h, k, p, q, mean longitude; Jacobian by central differences),
  where two-body motion only moves the mean longitude (``d lam = -3/2 n / a da dt``), and
  back to Cartesian at the propagated state.

Used by the exercise's team pictures (:mod:`spacerange.exercise.picture.tracking`), with
:func:`.ekf.extended_kalman_filter` for the state update.
"""

from __future__ import annotations

import numpy as np

from .measurements import (
    AZIMUTH,
    DECLINATION,
    ELEVATION,
    RANGE,
    RANGE_RATE,
    RIGHT_ASCENSION,
    Site,
    predict,
    residual,
    site_geometry,
)
from .observations import Observations

__all__ = [
    "RADAR_PASS_KINDS",
    "OPTICAL_PASS_KINDS",
    "pass_observations",
    "pass_mahalanobis",
    "inertial_to_rtn_6",
    "rtn_to_inertial_cov",
    "hcw_stm",
    "propagate_rtn_covariance",
    "equinoctial_jacobian",
    "propagate_cov_two_body",
    "epoch_element_covariance",
    "carry_element_covariance",
]

RADAR_PASS_KINDS = (RANGE, AZIMUTH, ELEVATION, RANGE_RATE)
OPTICAL_PASS_KINDS = (RIGHT_ASCENSION, DECLINATION)


def pass_observations(
    object_ids,
    x_gcrs: np.ndarray,
    times_utc: np.ndarray,
    sites: tuple[Site, ...],
    site_index: np.ndarray,
    optical: np.ndarray,
    rng: np.random.Generator | None,
) -> Observations:
    """Measurements of one pass per object.

    ``x_gcrs`` (n, k, 6) GCRS states at ``times_utc`` (k,); ``site_index`` (n,) the site
    (index into ``sites``) that tracks each object; ``optical`` (n,) True for RA/Dec
    sites, else radar (range, az, el, range-rate).  ``rng=None``: noise-free values.
    Each object's rows form one track labelled with its row number."""
    x = np.asarray(x_gcrs, float)
    n, k = x.shape[:2]
    times = np.asarray(times_utc, "datetime64[us]")
    ids = np.asarray(object_ids).astype(str)
    site_index = np.asarray(site_index, int)
    optical = np.asarray(optical, bool)
    parts = []
    for kinds, sel in ((RADAR_PASS_KINDS, ~optical), (OPTICAL_PASS_KINDS, optical)):
        rows = np.flatnonzero(sel)
        if not rows.size:
            continue
        # (object, time, kind) in that order
        oi = np.repeat(rows, k * len(kinds))
        ti = np.tile(np.repeat(np.arange(k), len(kinds)), rows.size)
        kd = np.tile(np.asarray(kinds), rows.size * k)
        parts.append((oi, ti, kd))
    if not parts:
        return Observations(np.zeros(0, str), np.zeros(0, "datetime64[us]"), [], [], [], [],
                            sites, [])  # fmt: skip
    oi, ti, kd = (np.concatenate([p[j] for p in parts]) for j in range(3))
    si = site_index[oi]
    r_s, v_s, enu = site_geometry(sites, si, times[ti])
    val, _ = predict(kd, x[oi, ti], r_s, v_s, enu)
    sig = np.array([s.sigma for s in sites])[si, kd]
    if rng is not None:
        val = val + sig * rng.standard_normal(val.size)
        wrap = np.isin(kd, [AZIMUTH, RIGHT_ASCENSION])
        val[wrap] = np.mod(val[wrap], 2 * np.pi)
    return Observations(ids[oi], times[ti], kd, val, sig, si, sites, oi)


def pass_mahalanobis(
    obs: Observations,
    object_ids,
    x_pred_gcrs: np.ndarray,
    p_pred: np.ndarray,
    t_utc: np.datetime64,
) -> tuple[np.ndarray, np.ndarray]:
    """``(d2, dof)`` per object: the measurements of ``obs`` at ``t_utc`` against the
    predicted GCRS states ``x_pred_gcrs`` (n, 6) with covariances ``p_pred`` (n, 6, 6) at
    that time.  Objects without measurements at ``t_utc`` (or with a non-finite
    prediction) get ``d2 = nan`` and ``dof = 0``."""
    ids = np.asarray(object_ids).astype(str)
    n = ids.size
    d2 = np.full(n, np.nan)
    dof = np.zeros(n, int)
    t = np.datetime64(t_utc, "us")
    pos = {k: i for i, k in enumerate(ids.tolist())}
    rows = np.flatnonzero((obs.times_utc == t) & np.isin(obs.object_id, ids))
    if not rows.size:
        return d2, dof
    oi = np.array([pos[k] for k in obs.object_id[rows].tolist()], int)
    order = np.argsort(oi, kind="stable")
    rows, oi = rows[order], oi[order]
    first = np.searchsorted(oi, oi)  # first row of each object
    slot = np.arange(oi.size) - first
    m = int(slot.max()) + 1
    site_r, site_v, enu = obs.geometry
    x = np.asarray(x_pred_gcrs, float)[oi]
    h, hx = predict(obs.kind[rows], x, site_r[rows], site_v[rows], enu[rows])
    dy = residual(obs.kind[rows], obs.value[rows], h)
    hh = np.zeros((n, m, 6))
    yy = np.zeros((n, m))
    rr = np.ones((n, m))
    hh[oi, slot] = hx
    yy[oi, slot] = dy
    rr[oi, slot] = obs.sigma[rows] ** 2
    np.add.at(dof, oi, 1)
    p = np.asarray(p_pred, float)
    good = (dof > 0) & np.all(np.isfinite(yy), axis=1) & np.all(np.isfinite(p), axis=(1, 2))
    s = np.einsum("nmi,nij,nkj->nmk", hh[good], p[good], hh[good])
    s += rr[good][:, :, None] * np.eye(m)
    sol = np.linalg.solve(s, yy[good][..., None])[..., 0]
    d2[good] = np.einsum("nm,nm->n", yy[good], sol)
    dof[~good] = 0
    return d2, dof


def _skew(w: np.ndarray) -> np.ndarray:
    z = np.zeros(w.shape[:-1])
    return np.stack([np.stack([z, -w[..., 2], w[..., 1]], -1),
                     np.stack([w[..., 2], z, -w[..., 0]], -1),
                     np.stack([-w[..., 1], w[..., 0], z], -1)], -2)  # fmt: skip


def inertial_to_rtn_6(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(n, 6, 6) map of relative inertial states ``[dr, dv]`` to the rotating RTN frame of
    the reference orbits ``r, v`` (n, 3): ``[R dr, R (dv - omega x dr)]``, omega = r x v /
    |r|^2."""
    r = np.asarray(r, float)
    v = np.asarray(v, float)
    u_r = r / np.linalg.norm(r, axis=-1, keepdims=True)
    h = np.cross(r, v)
    u_n = h / np.linalg.norm(h, axis=-1, keepdims=True)
    u_t = np.cross(u_n, u_r)
    rot = np.stack([u_r, u_t, u_n], axis=-2)
    omega = h / np.einsum("ni,ni->n", r, r)[:, None]
    t = np.zeros(r.shape[:-1] + (6, 6))
    t[..., :3, :3] = rot
    t[..., 3:, 3:] = rot
    t[..., 3:, :3] = -rot @ _skew(omega)
    return t


def rtn_to_inertial_cov(p_rtn: np.ndarray, r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Covariances (n, 6, 6) in the rotating RTN frame of ``r, v`` -> inertial axes."""
    ti = np.linalg.inv(inertial_to_rtn_6(r, v))
    return ti @ p_rtn @ np.swapaxes(ti, -1, -2)


def hcw_stm(n_rad_s: np.ndarray, dt_s: np.ndarray) -> np.ndarray:
    """Hill-Clohessy-Wiltshire state transition (n, 6, 6) for relative states ``[x (R),
    y (T), z (N), xdot, ydot, zdot]`` about circular orbits of mean motion ``n_rad_s``."""
    n = np.asarray(n_rad_s, float)
    t = np.asarray(dt_s, float)
    n, t = np.broadcast_arrays(n, t)
    s, c = np.sin(n * t), np.cos(n * t)
    z = np.zeros_like(n)
    one = np.ones_like(n)
    rows = [
        [4 - 3 * c, z, z, s / n, 2 * (1 - c) / n, z],
        [6 * (s - n * t), one, z, 2 * (c - 1) / n, (4 * s - 3 * n * t) / n, z],
        [z, z, c, z, z, s / n],
        [3 * n * s, z, z, c, 2 * s, z],
        [6 * n * (c - 1), z, z, -2 * s, 4 * c - 3, z],
        [z, z, -n * s, z, z, c],
    ]
    return np.stack([np.stack(row, -1) for row in rows], -2)


def propagate_rtn_covariance(p_rtn: np.ndarray, n_rad_s: np.ndarray,
                             dt_s: np.ndarray) -> np.ndarray:  # fmt: skip
    """``Phi P Phi^T`` (n, 6, 6) with the HCW transition over ``dt_s`` (any sign)."""
    phi = hcw_stm(n_rad_s, dt_s)
    return phi @ np.asarray(p_rtn, float) @ np.swapaxes(phi, -1, -2)


_FD_STEP = np.array([1e-3, 1e-3, 1e-3, 1e-6, 1e-6, 1e-6])


def _elements(x: np.ndarray) -> np.ndarray:
    from spacerange.propagation.mean_elements import kepler_equinoctial

    el = kepler_equinoctial(x)
    return np.stack([el[k] for k in ("a", "h", "k", "p", "q", "lam")], axis=-1)


def equinoctial_jacobian(x: np.ndarray) -> np.ndarray:
    """d(a, h, k, p, q, mean longitude) / d(r, v) (n, 6, 6) of states ``x`` (n, 6) [km,
    km/s], by central differences (mean longitude differences wrapped)."""
    x = np.asarray(x, float)
    n = x.shape[0]
    pert = np.repeat(x[:, None, :], 12, axis=1)
    for j in range(6):
        pert[:, 2 * j, j] += _FD_STEP[j]
        pert[:, 2 * j + 1, j] -= _FD_STEP[j]
    el = _elements(pert.reshape(-1, 6)).reshape(n, 6, 2, 6)
    d = el[:, :, 0] - el[:, :, 1]  # (n, 6 state comps, 6 elements)
    d[..., 5] = np.mod(d[..., 5] + np.pi, 2 * np.pi) - np.pi
    return np.swapaxes(d / (2 * _FD_STEP)[None, :, None], 1, 2)


def epoch_element_covariance(p0: np.ndarray, x0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first half of :func:`propagate_cov_two_body`: Cartesian covariances ``p0``
    (n, 6, 6) of the states ``x0`` (n, 6) as covariances of the equinoctial elements (a, h,
    k, p, q, mean longitude), and the semi-major axes (n,) km.  A track whose epoch state
    and covariance never change computes this once and carries it to any time with
    :func:`carry_element_covariance`."""
    j0 = equinoctial_jacobian(x0)
    pel = j0 @ np.asarray(p0, float) @ np.swapaxes(j0, 1, 2)
    return pel, _elements(np.asarray(x0, float))[:, 0]


def carry_element_covariance(pel: np.ndarray, a_km: np.ndarray, x1: np.ndarray,
                             dt_s: np.ndarray) -> np.ndarray:  # fmt: skip
    """The second half of :func:`propagate_cov_two_body`: element covariances ``pel``
    (n, 6, 6) of orbits of semi-major axes ``a_km`` (n,) carried ``dt_s`` (n,) seconds (the
    mean longitude drifts with the mean motion) to the Cartesian covariances at the
    states ``x1`` (n, 6)."""
    from spacerange.constants import MU_WGS72_KM3_S2

    a = np.asarray(a_km, float)
    j1 = equinoctial_jacobian(x1)
    phi = np.broadcast_to(np.eye(6), pel.shape).copy()
    phi[:, 5, 0] = -1.5 * np.sqrt(MU_WGS72_KM3_S2 / a**3) / a * np.asarray(dt_s, float)
    pel = phi @ pel @ np.swapaxes(phi, 1, 2)
    j1i = np.linalg.inv(j1)
    return j1i @ pel @ np.swapaxes(j1i, 1, 2)


def propagate_cov_two_body(p0: np.ndarray, x0: np.ndarray, x1: np.ndarray,
                           dt_s: np.ndarray) -> np.ndarray:  # fmt: skip
    """Cartesian covariances (n, 6, 6) of states ``x0`` (n, 6) carried ``dt_s`` (n,) seconds
    to the states ``x1`` by linearized two-body motion (see the module docstring)."""
    pel, a = epoch_element_covariance(p0, x0)
    return carry_element_covariance(pel, a, x1, dt_s)
