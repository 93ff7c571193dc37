"""Time scales and the simple GCRS -> Earth-fixed rotation used by the numerical propagator.

Frames: the propagator integrates in GCRS, treated as the J2000/EME2000 inertial frame (the
~23 mas frame bias is ignored).  The Earth-fixed frame for the geopotential and the
co-rotating atmosphere is approximated as

    r_ef = R3(GMST_IAU82(UT1)) . P_IAU76(TT) . r_gcrs

i.e. IAU-1976 precession (Lieske) followed by a rotation by IAU-1982 GMST (Vallado,
*Fundamentals of Astrodynamics*, 4th ed., eqs. 3-45/3-47 and 3-88).  Nutation (<= ~9e-5 rad)
and polar motion (<= ~1.5e-6 rad) are ignored.  UT1-UTC and TT-UTC are taken once at the
propagation epoch from Skyfield's built-in tables and held constant over the arc.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache

import numpy as np

from spacerange.frames import EARTH_ROTATION_RAD_S  # noqa: F401 - re-exported for forces.py
from spacerange.frames import gmst_iau82_rad as _gmst_iau82_rad

ARCSEC_RAD = np.pi / (180.0 * 3600.0)
J2000_JD = 2451545.0
SECONDS_PER_DAY = 86400.0


@lru_cache(maxsize=1)
def timescale():
    """Skyfield timescale from built-in leap-second/UT1 tables (never the network)."""
    from skyfield.api import load

    return load.timescale(builtin=True)


def to_datetime64_us(t) -> np.datetime64 | np.ndarray:
    """UTC datetime64[us] from datetime64, tz-aware datetime, or arrays of either.

    Naive datetimes are refused: a time without a scale is ambiguous.
    """
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(
                f"naive datetime {t.isoformat()} refused: give tzinfo=UTC or numpy datetime64 (UTC)"
            )
        t = t.astimezone(_dt.UTC).replace(tzinfo=None)
        return np.datetime64(t, "us")
    if isinstance(t, np.datetime64):
        return t.astype("datetime64[us]")
    arr = np.asarray(t)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[us]")
    if arr.dtype == object:
        return np.array([to_datetime64_us(x) for x in arr.ravel()]).reshape(arr.shape)
    raise ValueError(f"expected datetime64 (UTC) or tz-aware datetime, got {arr.dtype}")


class EpochTimes:
    """Time bookkeeping of one propagation: seconds since ``epoch_utc`` <-> TT/UT1 dates.

    ``jd_tt(t_s)``/``jd_ut1(t_s)`` return Julian dates for offsets ``t_s`` (seconds since the
    epoch, SI seconds, UTC leap seconds inside the arc ignored).
    """

    def __init__(self, epoch_utc):
        self.epoch_utc = to_datetime64_us(epoch_utc)
        ts = timescale()
        us = self.epoch_utc.astype("datetime64[us]").astype(np.int64)
        sec = us / 1e6
        day, frac = divmod(sec, SECONDS_PER_DAY)
        dt = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(days=day)
        t = ts.utc(dt.year, dt.month, dt.day, 0, 0, frac)
        self.jd_tt0 = float(t.whole) + float(t.tt_fraction)
        self.jd_ut10 = float(t.whole) + float(t.ut1_fraction)
        self.jd_utc0 = 2440587.5 + sec / SECONDS_PER_DAY

    def jd_tt(self, t_s):
        return self.jd_tt0 + np.asarray(t_s) / SECONDS_PER_DAY

    def jd_ut1(self, t_s):
        return self.jd_ut10 + np.asarray(t_s) / SECONDS_PER_DAY

    def seconds_since_epoch(self, times) -> np.ndarray:
        """Offsets (s) of ``times`` (datetime64/tz-aware datetimes, or numbers = seconds)."""
        arr = np.asarray(times)
        if arr.dtype.kind in "fiu":
            return arr.astype(float)
        t64 = to_datetime64_us(times)
        return (np.asarray(t64) - self.epoch_utc).astype("timedelta64[us]").astype(float) / 1e6


def rot3(angle_rad: float) -> np.ndarray:
    """Coordinate rotation about z (Vallado ROT3): components in a frame turned by +angle."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def rot2(angle_rad: float) -> np.ndarray:
    """Coordinate rotation about y (Vallado ROT2)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])


def rot1(angle_rad: float) -> np.ndarray:
    """Coordinate rotation about x (Vallado ROT1)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, s], [0.0, -s, c]])


def gmst_iau82_rad(jd_ut1: float) -> float:
    """Greenwich mean sidereal time, IAU-1982 (Vallado eq. 3-47), radians in [0, 2pi).

    Scalar form of :func:`spacerange.frames.gmst_iau82_rad`.  The propagator deliberately uses
    this cheaper GMST + IAU-76 precession model instead of the skyfield IAU 2000A matrices of
    :mod:`spacerange.frames` (see the module docstring for what it neglects).
    """
    return float(_gmst_iau82_rad(jd_ut1))


def precession_iau76(jd_tt: float) -> np.ndarray:
    """Matrix GCRS(J2000) -> mean-of-date, IAU-1976 precession (Vallado eq. 3-88)."""
    t = (jd_tt - J2000_JD) / 36525.0
    zeta = (2306.2181 * t + 0.30188 * t**2 + 0.017998 * t**3) * ARCSEC_RAD
    theta = (2004.3109 * t - 0.42665 * t**2 - 0.041833 * t**3) * ARCSEC_RAD
    z = (2306.2181 * t + 1.09468 * t**2 + 0.018203 * t**3) * ARCSEC_RAD
    return rot3(-z) @ rot2(theta) @ rot3(-zeta)


def gcrs_to_earth_fixed(jd_tt: float, jd_ut1: float) -> np.ndarray:
    """3x3 matrix GCRS -> approximate Earth-fixed (precession + GMST, see module doc)."""
    return rot3(gmst_iau82_rad(jd_ut1)) @ precession_iau76(jd_tt)
