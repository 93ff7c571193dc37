"""Vectorized orbit-regime labels (the array form of :func:`spacerange.catalog.model.regime_of`)."""

from __future__ import annotations

import numpy as np

from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM

__all__ = ["MU_WGS72_KM3_S2", "RE_WGS72_KM", "orbit_sizes", "regimes", "regimes_from_mean_motion"]


def orbit_sizes(
    mean_motion_rev_day: np.ndarray, eccentricity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Semi-major axis [km], perigee and apogee altitude [km] above a 6378.135 km sphere, and
    period [min] from SGP4 mean motion [rev/day] and eccentricity (WGS-72 mu, as
    :class:`~spacerange.catalog.model.ElementSet` does).  Shapes follow the inputs."""
    n = np.asarray(mean_motion_rev_day, dtype=float)
    e = np.asarray(eccentricity, dtype=float)
    n_rad_s = n * 2.0 * np.pi / 86400.0
    sma_km = (MU_WGS72_KM3_S2 / n_rad_s**2) ** (1.0 / 3.0)
    return sma_km, sma_km * (1.0 - e) - RE_WGS72_KM, sma_km * (1.0 + e) - RE_WGS72_KM, 1440.0 / n


def regimes(perigee_alt_km, apogee_alt_km, period_min) -> np.ndarray:
    """Regime labels ``"LEO"|"MEO"|"GEO"|"HEO"`` (array of str, shape of the inputs), with
    the thresholds of :func:`~spacerange.catalog.model.regime_of`."""
    p = np.asarray(perigee_alt_km, dtype=float)
    a = np.asarray(apogee_alt_km, dtype=float)
    t = np.asarray(period_min, dtype=float)
    sma = (p + a) / 2.0 + RE_WGS72_KM
    ecc = (a - p) / (2.0 * sma)
    return np.select(
        [ecc > 0.25, a < 2000.0, (t >= 1300.0) & (t <= 1800.0)],
        ["HEO", "LEO", "GEO"],
        default="MEO",
    )


def regimes_from_mean_motion(mean_motion_rev_day, eccentricity) -> np.ndarray:
    """Regime labels from SGP4 mean motion [rev/day] and eccentricity (see :func:`regimes`)."""
    _, p, a, t = orbit_sizes(mean_motion_rev_day, eccentricity)
    return regimes(p, a, t)
