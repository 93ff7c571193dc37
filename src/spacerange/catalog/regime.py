"""Vectorized orbit-regime labels (the array form of :func:`spacerange.catalog.model.regime_of`).

Six classes, after the orbit classes of ESA's Annual Space Environment Report (altitudes
above a 6378.135 km sphere, semi-major axis ``a``, eccentricity ``e``, inclination ``i``):

========  ==================================================================================
``LEO``   apogee below 2,000 km
``GEO``   ``a`` in 37,948-46,380 km, ``e`` < 0.25, ``i`` < 25 deg (ESA's GEO and EGO)
``IGSO``  the same band with ``i`` >= 25 deg (ESA's IGO: BeiDou/QZSS IGSO, inclined GEO)
``GTO``   perigee below 2,000 km, apogee 31,570-40,002 km, ``i`` <= 55 deg (the launch
          inclinations of GTO; ESA puts no bound below 90 deg, which would file Molniya
          orbits here)
``MEO``   perigee and apogee in 2,000-31,570 km (navigation constellations)
``HEO``   every other eccentric orbit: LEO-MEO crossers (ESA's LMO), MEO-GEO crossers
          (MGO), Molniya and Tundra orbits, apogees beyond 40,002 km
========  ==================================================================================

Without an inclination (``inclination_deg=None``) the GEO band is labelled ``GEO`` and
GTO-like orbits ``GTO``.
"""

from __future__ import annotations

import numpy as np

from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM

__all__ = [
    "MU_WGS72_KM3_S2",
    "RE_WGS72_KM",
    "REGIMES",
    "orbit_sizes",
    "regimes",
    "regimes_from_mean_motion",
]

REGIMES = ("LEO", "MEO", "GEO", "IGSO", "GTO", "HEO")

_LEO_CEILING_KM = 2000.0
_MEO_CEILING_KM = 31570.0
_GTO_APOGEE_MAX_KM = 40002.0
_GEO_SMA_KM = (37948.0, 46380.0)
_GEO_ECC_MAX = 0.25
_GEO_INC_MAX_DEG = 25.0
_GTO_INC_MAX_DEG = 55.0


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


def regimes(perigee_alt_km, apogee_alt_km, period_min=None, inclination_deg=None) -> np.ndarray:
    """Regime labels (array of str, shape of the inputs), one of :data:`REGIMES`; see the
    module docstring for the classes.  ``period_min`` is accepted for compatibility and not
    needed (perigee and apogee fix the orbit size)."""
    p = np.asarray(perigee_alt_km, dtype=float)
    a = np.asarray(apogee_alt_km, dtype=float)
    inc = (
        np.zeros(np.broadcast(p, a).shape)
        if inclination_deg is None
        else np.asarray(inclination_deg, dtype=float)
    )
    sma = (p + a) / 2.0 + RE_WGS72_KM
    ecc = (a - p) / (2.0 * sma)
    geo_band = (sma >= _GEO_SMA_KM[0]) & (sma <= _GEO_SMA_KM[1]) & (ecc < _GEO_ECC_MAX)
    return np.select(
        [
            a < _LEO_CEILING_KM,
            geo_band & (inc < _GEO_INC_MAX_DEG),
            geo_band,
            (p < _LEO_CEILING_KM)
            & (a >= _MEO_CEILING_KM)
            & (a <= _GTO_APOGEE_MAX_KM)
            & (inc <= _GTO_INC_MAX_DEG),
            (p >= _LEO_CEILING_KM) & (a <= _MEO_CEILING_KM),
        ],
        ["LEO", "GEO", "IGSO", "GTO", "MEO"],
        default="HEO",
    )


def regimes_from_mean_motion(mean_motion_rev_day, eccentricity, inclination_deg=None) -> np.ndarray:
    """Regime labels from SGP4 mean motion [rev/day], eccentricity and inclination [deg]
    (see :func:`regimes`)."""
    _, p, a, _ = orbit_sizes(mean_motion_rev_day, eccentricity)
    return regimes(p, a, inclination_deg=inclination_deg)
