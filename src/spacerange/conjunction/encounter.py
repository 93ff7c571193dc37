"""Encounter (conjunction) plane geometry at the time of closest approach (TCA).

All functions are vectorized over events: a single event may be given as ``(3,)`` vectors
and ``(3, 3)``/``(6, 6)`` matrices, many events as ``(n, 3)`` and ``(n, 3, 3)``/``(n, 6, 6)``.
Positions are km, velocities km/s, covariances km^2 (and km^2/s, km^2/s^2 for the velocity
blocks), all in one inertial frame (ECI: GCRF/EME2000/TEME: whatever the states are in).

Encounter frame (as in NASA CARA ``Pc2D_Foster``)::

    r = r1 - r2,  v = v1 - v2,  h = r x v
    y = v / |v|               (along the relative velocity)
    z = h / |h|               (normal to the relative orbit plane)
    x = y x z                 (along the miss vector at TCA)

The encounter (B-) plane is the x-z plane, perpendicular to the relative velocity.  The
2-D covariance is the x-z block of the combined (primary + secondary, assumed
uncorrelated) position covariance rotated into this frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spacerange.constants import MU_WGS84_KM3_S2

MU_EARTH_KM3_S2 = MU_WGS84_KM3_S2
"""Earth's gravitational parameter (WGS-84/EGM-96 value), km^3/s^2."""


def _vec(a, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.shape[-1:] != (3,):
        raise ValueError(f"{name}: expected shape (3,) or (n, 3), got {arr.shape}")
    return np.atleast_2d(arr)


def _cov_pos(c, name: str, n: int) -> np.ndarray:
    """Position (3x3) block of a (3,3)/(6,6)/(n,3,3)/(n,6,6) covariance, shaped (n,3,3)."""
    arr = np.asarray(c, dtype=float)
    if arr.ndim < 2 or arr.shape[-2:] not in ((3, 3), (6, 6)):
        raise ValueError(f"{name}: expected a 3x3 or 6x6 covariance (or a stack), got {arr.shape}")
    arr = arr[..., :3, :3]
    if arr.ndim == 2:
        arr = np.broadcast_to(arr, (n, 3, 3))
    if arr.shape[0] != n:
        raise ValueError(f"{name}: {arr.shape[0]} covariances for {n} events")
    return arr


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def _any_perpendicular(y: np.ndarray) -> np.ndarray:
    """A unit vector perpendicular to each unit vector ``y`` (n, 3)."""
    trial = np.where(np.abs(y[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    return _unit(np.cross(y, trial))


@dataclass(frozen=True)
class Encounter:
    """Encounter-plane description of ``n`` conjunctions (arrays have a leading ``n`` axis).

    Attributes
    ----------
    r_rel_km, v_rel_km_s : (n, 3)
        Relative position ``r1 - r2`` (km) and velocity ``v1 - v2`` (km/s), inertial.
    eci_to_enc : (n, 3, 3)
        Rotation inertial -> encounter frame; rows are the x, y, z axes.
    cov_pos_km2 : (n, 3, 3)
        Combined position covariance in the encounter frame, km^2.
    cov_2d_km2 : (n, 2, 2)
        Combined covariance projected on the encounter (x-z) plane, km^2.
    miss_2d_km : (n, 2)
        Miss vector in the encounter plane (x, z components), km.
    """

    r_rel_km: np.ndarray
    v_rel_km_s: np.ndarray
    eci_to_enc: np.ndarray
    cov_pos_km2: np.ndarray
    cov_2d_km2: np.ndarray
    miss_2d_km: np.ndarray

    @property
    def n(self) -> int:
        return self.r_rel_km.shape[0]

    @property
    def miss_km(self) -> np.ndarray:
        """Miss distance ``|r1 - r2|`` at TCA, km, shape (n,)."""
        return np.linalg.norm(self.r_rel_km, axis=-1)

    @property
    def rel_speed_km_s(self) -> np.ndarray:
        """Relative speed ``|v1 - v2|`` at TCA, km/s, shape (n,)."""
        return np.linalg.norm(self.v_rel_km_s, axis=-1)


def encounter_plane(r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2) -> Encounter:
    """Build the encounter plane of one or many conjunctions from inertial TCA states.

    Parameters
    ----------
    r1_km, v1_km_s, r2_km, v2_km_s : (3,) or (n, 3)
        Primary / secondary inertial position (km) and velocity (km/s) at TCA.
    cov1_km2, cov2_km2 : (3, 3), (6, 6), (n, 3, 3) or (n, 6, 6)
        Inertial state covariances (only the position block is used), km^2.

    The two covariances are assumed uncorrelated and are summed.  The miss vector is the
    projection of ``r1 - r2`` on the encounter plane (equal to ``|r1 - r2|`` along x when
    the states are exactly at TCA).  A zero relative velocity or a zero miss (``h = 0``)
    gets an arbitrary but valid perpendicular axis; callers flag the low-speed case.
    """
    r1, v1, r2, v2 = (
        _vec(a, nm)
        for a, nm in (
            (r1_km, "r1_km"),
            (v1_km_s, "v1_km_s"),
            (r2_km, "r2_km"),
            (v2_km_s, "v2_km_s"),
        )
    )
    r = r1 - r2
    v = v1 - v2
    n = r.shape[0]
    c = _cov_pos(cov1_km2, "cov1_km2", n) + _cov_pos(cov2_km2, "cov2_km2", n)

    vn = np.linalg.norm(v, axis=-1, keepdims=True)
    y = np.where(vn > 0, v / np.where(vn > 0, vn, 1.0), [[0.0, 1.0, 0.0]])
    h = np.cross(r, y)
    hn = np.linalg.norm(h, axis=-1, keepdims=True)
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    ok = hn > 1e-12 * np.maximum(rn, 1e-300)
    z = np.where(ok, h / np.where(ok, hn, 1.0), _any_perpendicular(y))
    x = np.cross(y, z)
    rot = np.stack([x, y, z], axis=-2)  # (n, 3, 3), rows = axes

    cov_enc = rot @ c @ np.swapaxes(rot, -1, -2)
    cov_enc = 0.5 * (cov_enc + np.swapaxes(cov_enc, -1, -2))
    cov_2d = cov_enc[:, [0, 2]][:, :, [0, 2]]
    r_enc = np.einsum("nij,nj->ni", rot, r)
    miss_2d = r_enc[:, [0, 2]]
    return Encounter(r, v, rot, cov_enc, cov_2d, miss_2d)


# --------------------------------------------------------------------------- RTN frames


def rtn_basis(r_km, v_km_s) -> np.ndarray:
    """Rotation inertial -> RTN for each state, shape (n, 3, 3) (rows R, T, N).

    R = r/|r| (radial), N = (r x v)/|r x v| (orbit normal), T = N x R (transverse).
    ``rtn_basis(r, v) @ x_eci`` gives RTN components; its transpose maps RTN -> inertial.
    """
    from spacerange.frames import rtn_basis as _rtn

    return _rtn(_vec(r_km, "r_km"), _vec(v_km_s, "v_km_s"))


def cov_rtn_to_inertial(r_km, v_km_s, cov_rtn) -> np.ndarray:
    """Rotate an RTN covariance (3x3 or 6x6 per event) to the inertial frame of ``r, v``.

    Uses the block-diagonal rotation ``diag(M, M)`` with ``M = rtn_basis(r, v).T``, the
    convention of CCSDS CDMs and of NASA CARA's tools (the RTN frame is taken as
    instantaneously non-rotating at TCA).  Units are unchanged; see
    :func:`cdm_cov_rtn_m_to_inertial_km` for the CDM (m, m/s) -> km conversion.
    Returns (n, k, k) with k = 3 or 6.
    """
    q = np.swapaxes(rtn_basis(r_km, v_km_s), -1, -2)  # RTN -> inertial
    c = np.asarray(cov_rtn, dtype=float)
    k = c.shape[-1]
    if c.shape[-2:] not in ((3, 3), (6, 6)):
        raise ValueError(f"cov_rtn: expected 3x3 or 6x6 matrices, got {c.shape}")
    return _rotate_cov(q, c, k)


def _rotate_cov(q: np.ndarray, c: np.ndarray, k: int) -> np.ndarray:
    """``M c M^T`` (symmetrized) with ``M = q`` (k = 3) or ``diag(q, q)`` (k = 6); q (n, 3, 3)."""
    if k == 6:
        m = np.zeros((q.shape[0], 6, 6))
        m[:, :3, :3] = q
        m[:, 3:, 3:] = q
    else:
        m = q
    out = m @ c @ np.swapaxes(m, -1, -2)
    return 0.5 * (out + np.swapaxes(out, -1, -2))


def cdm_cov_rtn_m_to_inertial_km(r_km, v_km_s, cov_rtn_m) -> np.ndarray:
    """CDM RTN covariance (m^2, m^2/s, m^2/s^2; 3x3 or 6x6) -> inertial, km units.

    Both position and velocity rows scale by 1e-3 (m -> km, m/s -> km/s), so every
    element scales by 1e-6.
    """
    return cov_rtn_to_inertial(r_km, v_km_s, np.asarray(cov_rtn_m, dtype=float) * 1e-6)


def cov_inertial_to_rtn(r_km, v_km_s, cov_eci) -> np.ndarray:
    """Inverse of :func:`cov_rtn_to_inertial` (same block-diagonal convention)."""
    c = np.asarray(cov_eci, dtype=float)
    return _rotate_cov(rtn_basis(r_km, v_km_s), c, c.shape[-1])


# ------------------------------------------------------------------ encounter duration


def orbital_period_s(r_km, v_km_s, mu_km3_s2: float = MU_EARTH_KM3_S2) -> np.ndarray:
    """Two-body (osculating) orbital period from an inertial state, s; ``inf`` if unbound."""
    r = _vec(r_km, "r_km")
    v = _vec(v_km_s, "v_km_s")
    energy = 0.5 * np.sum(v * v, axis=-1) - mu_km3_s2 / np.linalg.norm(r, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = -mu_km3_s2 / (2.0 * energy)
        return np.where(energy < 0, 2.0 * np.pi * np.sqrt(np.abs(a) ** 3 / mu_km3_s2), np.inf)


def coppola_conjunction_bounds(
    r_rel, v_rel, cov_rel_pos, hbr, gamma: float = 1e-16
) -> tuple[np.ndarray, np.ndarray]:
    """Linear-conjunction time bounds (tau0, tau1) around TCA, s (Coppola 2012b, AAS 12-248).

    ``r_rel, v_rel`` (n, 3) are secondary-minus-primary (the sign does not change the
    bounds' span), ``cov_rel_pos`` (n, 3, 3) the combined position covariance and ``hbr``
    the combined hard-body radius, all in one consistent length unit.  ``gamma`` is the
    precision factor (CARA default 1e-16).  Follows CARA's ``conj_bounds_Coppola``.
    Zero relative speed gives (-inf, +inf).
    """
    from scipy.special import erfcinv

    r = np.atleast_2d(np.asarray(r_rel, float))
    v = np.atleast_2d(np.asarray(v_rel, float))
    c = np.asarray(cov_rel_pos, float)[..., :3, :3]
    c = np.broadcast_to(c, (r.shape[0], 3, 3))
    hbr = np.broadcast_to(np.asarray(hbr, float), (r.shape[0],))
    v0 = np.linalg.norm(v, axis=-1)
    moving = v0 > 100 * np.finfo(float).eps
    xh = v / np.where(moving, v0, 1.0)[:, None]
    yh = r - xh * np.sum(xh * r, axis=-1, keepdims=True)
    yn = np.linalg.norm(yh, axis=-1, keepdims=True)
    yh = np.where(yn > 0, yh / np.where(yn > 0, yn, 1.0), _any_perpendicular(xh))
    zh = np.cross(xh, yh)
    rot = np.stack([xh, yh, zh], axis=-2)
    rce = np.einsum("nij,nj->ni", rot, r)
    ace = rot @ c @ np.swapaxes(rot, -1, -2)
    eta2 = ace[:, 0, 0]
    w = ace[:, 1:, 0]
    pc = ace[:, 1:, 1:]
    b = np.linalg.solve(pc, w[..., None])[..., 0]
    sv2 = np.sqrt(np.maximum(0.0, 2.0 * (eta2 - np.sum(b * w, axis=-1))))
    q0 = np.sum(b * rce[:, 1:], axis=-1)
    btb = np.sum(b * b, axis=-1)
    dmin = -hbr * np.sqrt(btb)
    dmax = hbr * np.sqrt(1.0 + btb)
    temp = erfcinv(gamma) * sv2
    v0s = np.where(moving, v0, 1.0)
    tau0 = np.where(moving, (-temp + q0 - dmax) / v0s, -np.inf)
    tau1 = np.where(moving, (temp + q0 - dmin) / v0s, np.inf)
    return tau0, tau1


def short_encounter_validity_s(r_rel, v_rel, cov_rel_pos, hbr, gamma: float = 1e-16):
    """Half-width of the short-term encounter validity interval (STEVI), s.

    ``max(tau1 - tau0, |tau0|, |tau1|)`` from :func:`coppola_conjunction_bounds`, as in
    CARA's ``LinearConjDuration`` (Hall 2019, AAS 19-632).
    """
    t0, t1 = coppola_conjunction_bounds(r_rel, v_rel, cov_rel_pos, hbr, gamma)
    return np.maximum(t1 - t0, np.maximum(np.abs(t0), np.abs(t1)))
