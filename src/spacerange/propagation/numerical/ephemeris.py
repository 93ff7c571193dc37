"""Geocentric Sun and Moon positions (GCRS ~ EME2000, km) for third-body forces and SRP.

Two sources behind one interface:

* ``"de421"``: JPL DE421 through Skyfield (:func:`spacerange.bodies.ephemeris`, offline).
* ``"analytic"``: the low-precision series of Montenbruck & Gill, *Satellite Orbits* (2000),
  sec. 3.3.2, eqs. (3.43)-(3.49): Sun ~0.1-1 % in distance / ~0.01 deg, Moon a few arcmin and
  a few hundred km.  Cheap, and adequate for third-body accelerations.

During a propagation the positions are sampled once on a grid over the arc and interpolated
with cubic splines (:class:`SunMoonTable`), so the force model never calls the ephemeris per
integrator stage.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

from .earth import J2000_JD, SECONDS_PER_DAY, EpochTimes, rot1

AU_KM = 149597870.7
GM_SUN_KM3_S2 = 1.32712440018e11
GM_MOON_KM3_S2 = 4902.800066
OBLIQUITY_J2000_RAD = np.deg2rad(23.43929111)
ARCSEC_DEG = 1.0 / 3600.0


def sun_position_analytic_km(jd_tt) -> np.ndarray:
    """Geocentric Sun, EME2000, km; Montenbruck & Gill eqs. (3.43)-(3.46). Shape (..., 3)."""
    t = (np.asarray(jd_tt, dtype=float) - J2000_JD) / 36525.0
    m = np.deg2rad(357.5256 + 35999.049 * t)
    lam = np.deg2rad(282.9400) + m + np.deg2rad((6892.0 * np.sin(m) + 72.0 * np.sin(2 * m)) / 3600)
    r = (149.619 - 2.499 * np.cos(m) - 0.021 * np.cos(2 * m)) * 1e6
    ecl = np.stack([r * np.cos(lam), r * np.sin(lam), np.zeros_like(r)], axis=-1)
    return ecl @ rot1(-OBLIQUITY_J2000_RAD).T


def moon_position_analytic_km(jd_tt) -> np.ndarray:
    """Geocentric Moon, EME2000, km; Montenbruck & Gill eqs. (3.47)-(3.49). Shape (..., 3)."""
    t = (np.asarray(jd_tt, dtype=float) - J2000_JD) / 36525.0
    d2r = np.deg2rad
    l0 = 218.31617 + 481267.88088 * t - 1.3972 * t
    l = d2r(134.96292 + 477198.86753 * t)  # noqa: E741 - M&G's symbol
    lp = d2r(357.52543 + 35999.04944 * t)
    f = d2r(93.27283 + 483202.01873 * t)
    d = d2r(297.85027 + 445267.11135 * t)
    sin = np.sin
    dlam = (
        22640 * sin(l)
        + 769 * sin(2 * l)
        - 4586 * sin(l - 2 * d)
        + 2370 * sin(2 * d)
        - 668 * sin(lp)
        - 412 * sin(2 * f)
        - 212 * sin(2 * l - 2 * d)
        - 206 * sin(l + lp - 2 * d)
        + 192 * sin(l + 2 * d)
        - 165 * sin(lp - 2 * d)
        + 148 * sin(l - lp)
        - 125 * sin(d)
        - 110 * sin(l + lp)
        - 55 * sin(2 * f - 2 * d)
    )
    lam = d2r(l0 + dlam * ARCSEC_DEG)
    beta = (
        18520 * sin(f + d2r((dlam + 412 * sin(2 * f) + 541 * sin(lp)) * ARCSEC_DEG))
        - 526 * sin(f - 2 * d)
        + 44 * sin(l + f - 2 * d)
        - 31 * sin(-l + f - 2 * d)
        - 25 * sin(-2 * l + f)
        - 23 * sin(lp + f - 2 * d)
        + 21 * sin(-l + f)
        + 11 * sin(-lp + f - 2 * d)
    )
    beta = d2r(beta * ARCSEC_DEG)
    cos = np.cos
    r = (
        385000.0
        - 20905 * cos(l)
        - 3699 * cos(2 * d - l)
        - 2956 * cos(2 * d)
        - 570 * cos(2 * l)
        + 246 * cos(2 * l - 2 * d)
        - 205 * cos(lp - 2 * d)
        - 171 * cos(l + 2 * d)
        - 152 * cos(l + lp - 2 * d)
    )
    ecl = np.stack([r * cos(lam) * cos(beta), r * sin(lam) * cos(beta), r * sin(beta)], axis=-1)
    return ecl @ rot1(-OBLIQUITY_J2000_RAD).T


def sun_moon_de421_km(jd_tt) -> tuple[np.ndarray, np.ndarray]:
    """Geocentric geometric Sun and Moon, ICRS/GCRS axes, km, from DE421; shapes (..., 3).

    The kernel is :func:`spacerange.bodies.ephemeris` (offline, loaded once); unlike
    :func:`spacerange.bodies.sun_gcrs_km` this takes the propagator's TT Julian dates.
    """
    from spacerange.bodies import ephemeris

    from .earth import timescale

    eph = ephemeris()
    jd = np.asarray(jd_tt, dtype=float)
    t = timescale().tt_jd(np.floor(jd), jd - np.floor(jd))
    earth = eph["earth"]
    sun = (eph["sun"] - earth).at(t).position.km
    moon = (eph["moon"] - earth).at(t).position.km
    return np.moveaxis(sun, 0, -1), np.moveaxis(moon, 0, -1)


class SunMoonTable:
    """Spline-interpolated geocentric Sun/Moon over one propagation arc (GCRS, km).

    ``positions(t_s)`` -> (r_sun_km (3,), r_moon_km (3,)) at seconds ``t_s`` since the epoch.
    """

    def __init__(self, times: EpochTimes, t_min_s: float, t_max_s: float, source="analytic"):
        if source not in ("analytic", "de421"):
            raise ValueError(f"ephemeris must be 'analytic' or 'de421', got {source!r}")
        step = 3600.0
        lo, hi = min(t_min_s, t_max_s) - 2 * step, max(t_min_s, t_max_s) + 2 * step
        n = max(int(np.ceil((hi - lo) / step)) + 1, 5)
        grid = np.linspace(lo, hi, n)
        jd = times.jd_tt(grid)
        if source == "de421":
            sun, moon = sun_moon_de421_km(jd)
        else:
            sun, moon = sun_position_analytic_km(jd), moon_position_analytic_km(jd)
        self.source = source
        self._spline = CubicSpline(grid, np.concatenate([sun, moon], axis=1), axis=0)

    def positions(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        p = self._spline(t_s)
        return p[..., :3], p[..., 3:]


__all__ = [
    "AU_KM",
    "GM_MOON_KM3_S2",
    "GM_SUN_KM3_S2",
    "SECONDS_PER_DAY",
    "SunMoonTable",
    "moon_position_analytic_km",
    "sun_moon_de421_km",
    "sun_position_analytic_km",
]
