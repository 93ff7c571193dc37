"""Covariance checks, repair, and the default covariance model for TLE-only objects.

Checks and repair work on stacks of square matrices ``(..., k, k)``.  A covariance that is
not finite or not symmetric is refused with :class:`spacerange.errors.CovarianceError`;
one with negative (or tiny) eigenvalues is either repaired by eigenvalue clipping, as NASA
CARA does (Hall, Hejduk & Johnson 2017, "Remediating Non-Positive Definite State
Covariances for Collision Probability Estimation"; CARA ``CovRemEigValClip``), with a
warning, or refused -- never silently used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spacerange.constants import RE_WGS84_KM
from spacerange.errors import CovarianceError

from .encounter import MU_EARTH_KM3_S2, cov_rtn_to_inertial

SYMMETRY_RTOL = 1e-6
"""Largest accepted ``|C - C^T| / max|diag C|`` before a matrix is called non-symmetric."""


def _stack(cov, name: str) -> np.ndarray:
    c = np.asarray(cov, dtype=float)
    if c.ndim < 2 or c.shape[-1] != c.shape[-2]:
        raise CovarianceError(f"{name}: expected square matrices (..., k, k), got {c.shape}")
    return c


def check_covariance(cov, name: str = "covariance", *, rtol: float = SYMMETRY_RTOL) -> np.ndarray:
    """Refuse non-finite or non-symmetric covariances; return the symmetrized stack.

    Raises :class:`CovarianceError` naming the first offending matrix (index in the stack)
    and why.  Rounding-level asymmetry (below ``rtol`` of the largest diagonal element) is
    removed by averaging with the transpose.
    """
    c = _stack(cov, name)
    flat = c.reshape(-1, c.shape[-2], c.shape[-1])
    bad = ~np.all(np.isfinite(flat), axis=(-1, -2))
    if bad.any():
        i = int(np.argmax(bad))
        raise CovarianceError(f"{name}[{i}]: contains NaN or infinite elements")
    scale = np.max(np.abs(np.diagonal(flat, axis1=-2, axis2=-1)), axis=-1)
    asym = np.max(np.abs(flat - np.swapaxes(flat, -1, -2)), axis=(-1, -2))
    bad = asym > rtol * np.where(scale > 0, scale, 1.0)
    if bad.any():
        i = int(np.argmax(bad))
        raise CovarianceError(
            f"{name}[{i}]: not symmetric (max |C - C^T| = {asym[i]:.3g}, "
            f"max |diag| = {scale[i]:.3g}); a covariance must equal its transpose"
        )
    neg_diag = np.any(np.diagonal(flat, axis1=-2, axis2=-1) < 0, axis=-1)
    if neg_diag.any():
        i = int(np.argmax(neg_diag))
        raise CovarianceError(f"{name}[{i}]: negative variance on the diagonal")
    return 0.5 * (c + np.swapaxes(c, -1, -2))


@dataclass
class Remediation:
    """Result of an eigenvalue-clipping repair of a covariance stack.

    ``cov`` is the repaired stack, ``eig_raw`` the original eigenvalues (ascending,
    ``(..., k)``), ``remediated`` a boolean mask ``(...)`` of matrices that changed and
    ``warnings`` human-readable notes (empty if nothing was clipped).
    """

    cov: np.ndarray
    eig_raw: np.ndarray
    remediated: np.ndarray
    warnings: list[str] = field(default_factory=list)


def eigen_clip(cov, lclip: float | np.ndarray = 0.0, name: str = "covariance") -> Remediation:
    """Clip eigenvalues below ``lclip`` up to ``lclip`` (CARA ``CovRemEigValClip``).

    ``lclip`` (same units as the covariance, >= 0) may broadcast over the stack.  With
    ``lclip = 0`` negative eigenvalues become zero (positive *semi*-definite result).
    """
    c = check_covariance(cov, name)
    lam, vec = np.linalg.eigh(c)
    lclip = np.asarray(lclip, dtype=float)
    if np.any(lclip < 0):
        raise ValueError("lclip must be >= 0")
    lc = lclip[..., None] if lclip.ndim else lclip
    clipped = lam < lc
    remediated = np.any(clipped, axis=-1)
    lam_rem = np.where(clipped, lc, lam)
    rep = np.where(
        remediated[..., None, None], (vec * lam_rem[..., None, :]) @ np.swapaxes(vec, -1, -2), c
    )
    rep = 0.5 * (rep + np.swapaxes(rep, -1, -2))
    warnings = []
    if remediated.any():
        idx = np.argwhere(np.atleast_1d(remediated)).ravel()
        lmin = np.atleast_2d(lam)[idx, 0] if lam.ndim > 1 else np.array([lam[0]])
        for i, lm in zip(idx[:10], lmin[:10], strict=False):
            warnings.append(
                f"{name}[{i}]: not positive definite (min eigenvalue {lm:.3g}); "
                f"eigenvalues clipped to {float(np.max(lclip)):.3g}"
            )
        if idx.size > 10:
            warnings.append(f"{name}: {idx.size - 10} more matrices clipped")
    return Remediation(rep, lam, remediated, warnings)


def repair_covariance(
    cov, *, policy: str = "clip", lclip: float = 0.0, name: str = "covariance"
) -> Remediation:
    """Check a covariance stack and repair or refuse non-positive-definite matrices.

    ``policy="clip"`` clips eigenvalues (warnings returned in the result);
    ``policy="raise"`` raises :class:`CovarianceError` for any eigenvalue below ``lclip``
    (with ``lclip = 0``: any negative eigenvalue).
    """
    if policy not in ("clip", "raise"):
        raise ValueError(f"policy must be 'clip' or 'raise', not {policy!r}")
    rem = eigen_clip(cov, lclip, name)
    if policy == "raise" and np.any(rem.remediated):
        raise CovarianceError(rem.warnings[0].replace("eigenvalues clipped to", "below clip"))
    return rem


def is_positive_definite(cov) -> np.ndarray:
    """True where the (symmetric) matrix has all eigenvalues > 0, shape ``(...)``."""
    c = np.asarray(cov, dtype=float)
    return np.linalg.eigvalsh(0.5 * (c + np.swapaxes(c, -1, -2)))[..., 0] > 0


# ------------------------------------------------------------ default TLE covariance model

DEFAULT_TLE_SOURCE = "default-tle-model"

# regime: (sigma_RTN at epoch [km], sigma growth rate RTN [km/day])
TLE_SIGMA_MODEL_KM: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "LEO": ((0.1, 0.5, 0.2), (0.05, 1.0, 0.05)),
    "MEO": ((1.0, 3.0, 1.0), (0.2, 1.5, 0.2)),
    "GEO": ((1.0, 5.0, 2.0), (0.2, 2.0, 0.3)),
    "HEO": ((2.0, 10.0, 2.0), (0.5, 5.0, 0.5)),
}
"""1-sigma RTN position errors of TLE/SGP4 states: value at epoch and linear growth rate.

A *model*, not a measurement.  The figures are rounded, representative values picked
within the ranges reported in the open literature; they are not transcribed from any one
table:

* Flohrer, Krag & Klinkrad (2008), "Assessment and categorization of TLE orbit errors for
  the US SSN catalogue", AMOS conference: ESA look-up tables of TLE errors at epoch by
  eccentricity/perigee/inclination; LEO errors of order 0.1 km radial, some 0.1-1 km
  along-track and 0.1-0.3 km cross-track; larger along-track and cross-track errors
  (km level) for GEO and eccentric orbits.
* Kelso (2007), "Validation of SGP4 and IS-GPS-200D against GPS precision ephemerides",
  AAS 07-127: GPS (MEO) TLE errors of a few km near epoch, growing with age.
* Vallado & Cefola (2012), "Two-line element sets -- practice and use", IAC-12.C1.6.12:
  TLE accuracy of about a km at epoch in LEO, growing of order 1-3 km/day along-track.

Growth: ``sigma(age) = sqrt(sigma0^2 + (rate * age)^2)`` per axis (monotonic in age).
"""


def orbit_regime(r_km, v_km_s, mu_km3_s2: float = MU_EARTH_KM3_S2) -> np.ndarray:
    """Orbit regime ('LEO', 'MEO', 'GEO', 'HEO') of inertial states (n, 3), as (n,) str.

    LEO: apogee altitude < 2000 km; HEO: eccentricity >= 0.25; GEO: e < 0.25 and period
    within 0.9-1.1 sidereal day; MEO: everything else (bound orbits).
    """
    r = np.atleast_2d(np.asarray(r_km, float))
    v = np.atleast_2d(np.asarray(v_km_s, float))
    rn = np.linalg.norm(r, axis=-1)
    energy = 0.5 * np.sum(v * v, axis=-1) - mu_km3_s2 / rn
    a = -mu_km3_s2 / (2.0 * energy)
    h = np.cross(r, v)
    e = np.sqrt(np.maximum(0.0, 1.0 + 2.0 * energy * np.sum(h * h, axis=-1) / mu_km3_s2**2))
    apogee_alt = a * (1.0 + e) - RE_WGS84_KM
    period_s = 2.0 * np.pi * np.sqrt(np.abs(a) ** 3 / mu_km3_s2)
    sidereal_day_s = 86164.0905
    out = np.full(rn.shape, "MEO", dtype="<U3")
    out[(np.abs(period_s / sidereal_day_s - 1.0) <= 0.1) & (e < 0.25)] = "GEO"
    out[e >= 0.25] = "HEO"
    out[(apogee_alt < 2000.0) & (energy < 0)] = "LEO"
    return out


@dataclass(frozen=True)
class DefaultCovariance:
    """Modelled covariance of TLE-only objects. ``source`` is always ``"default-tle-model"``.

    ``cov_rtn_km2`` (n, 6, 6): RTN position/velocity covariance (km^2, km^2/s, km^2/s^2);
    ``sigma_rtn_km`` (n, 3) and ``sigma_rtn_km_s`` (n, 3): the 1-sigma values used.
    """

    cov_rtn_km2: np.ndarray
    sigma_rtn_km: np.ndarray
    sigma_rtn_km_s: np.ndarray
    regime: np.ndarray
    source: str = DEFAULT_TLE_SOURCE


def default_tle_sigma_rtn_km(regime, age_days) -> np.ndarray:
    """1-sigma RTN position error (km), shape (n, 3), for regimes and element-set ages (days).

    Negative ages (propagating backwards) use ``|age|``.
    """
    reg = np.atleast_1d(np.asarray(regime))
    age = np.abs(np.broadcast_to(np.asarray(age_days, float), reg.shape))
    unknown = set(reg.tolist()) - set(TLE_SIGMA_MODEL_KM)
    if unknown:
        raise ValueError(f"unknown orbit regime(s) {sorted(unknown)}; use LEO, MEO, GEO or HEO")
    s0 = np.array([TLE_SIGMA_MODEL_KM[g][0] for g in reg])
    rate = np.array([TLE_SIGMA_MODEL_KM[g][1] for g in reg])
    return np.sqrt(s0**2 + (rate * age[:, None]) ** 2)


def default_tle_covariance(r_km, v_km_s, age_days, regime=None) -> DefaultCovariance:
    """Default (modelled) RTN covariance of TLE-only objects at inertial states (n, 3).

    Position sigmas come from :data:`TLE_SIGMA_MODEL_KM` for the orbit regime (computed
    from the state unless given) and element-set age.  Velocity sigmas use the mean-motion
    scaling of relative motion, ``sigma_v = n_mean * sigma_r`` per RTN axis (order of
    magnitude, uncorrelated).  Convert to inertial with :func:`default_tle_covariance_inertial`.
    """
    r = np.atleast_2d(np.asarray(r_km, float))
    v = np.atleast_2d(np.asarray(v_km_s, float))
    reg = orbit_regime(r, v) if regime is None else np.broadcast_to(np.asarray(regime), (len(r),))
    sig_r = default_tle_sigma_rtn_km(reg, age_days)
    rn = np.linalg.norm(r, axis=-1)
    energy = 0.5 * np.sum(v * v, axis=-1) - MU_EARTH_KM3_S2 / rn
    a = np.where(energy < 0, -MU_EARTH_KM3_S2 / (2.0 * energy), rn)
    n_mean = np.sqrt(MU_EARTH_KM3_S2 / a**3)
    sig_v = n_mean[:, None] * sig_r
    diag = np.concatenate([sig_r, sig_v], axis=-1) ** 2
    cov = np.zeros((len(r), 6, 6))
    idx = np.arange(6)
    cov[:, idx, idx] = diag
    return DefaultCovariance(cov, sig_r, sig_v, np.asarray(reg))


def default_tle_covariance_inertial(r_km, v_km_s, age_days, regime=None) -> np.ndarray:
    """:func:`default_tle_covariance` rotated to the inertial frame of the states, (n, 6, 6)."""
    d = default_tle_covariance(r_km, v_km_s, age_days, regime)
    return cov_rtn_to_inertial(r_km, v_km_s, d.cov_rtn_km2)
