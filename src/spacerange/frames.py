"""Reference frames: TEME, GCRS, ITRS, geodetic (WGS-84) and RTN.

Vectors carry xyz on the last axis.  Rotations are evaluated once per *time* and applied
to every object with ``einsum``, so converting ``(n_objects, n_times, 3)`` costs one matrix
product per state.  The rotation matrices come from skyfield (IAU 2000A/2006 precession
and nutation, GMST-1982 for TEME as in AIAA 2006-6753 Appendix C), with skyfield's bundled
Delta-T and no polar motion: the same model as skyfield's ``EarthSatellite`` path.

Matrix naming: ``gcrs_to_teme`` maps a GCRS vector to TEME, and so on.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from spacerange.constants import E2_WGS84, EARTH_ROTATION_IERS_RAD_S, F_WGS84, RE_WGS84_KM
from spacerange.timescales import skyfield_time

Frame = Literal["teme", "gcrs", "itrs", "geodetic"]
FRAMES: tuple[str, ...] = ("teme", "gcrs", "itrs", "geodetic")

WGS84_A_KM = RE_WGS84_KM
WGS84_F = F_WGS84
WGS84_E2 = E2_WGS84
EARTH_ROTATION_RAD_S = EARTH_ROTATION_IERS_RAD_S
"""Mean sidereal rotation rate (IAU-82 GMST rate), rad/s."""


def _last_axis_matrices(m: np.ndarray) -> np.ndarray:
    """skyfield returns (3, 3, n); we keep (n, 3, 3)."""
    return np.moveaxis(np.asarray(m), -1, 0) if np.ndim(m) == 3 else np.asarray(m)[None]


def teme_to_gcrs_matrices(times_utc: np.ndarray) -> np.ndarray:
    """Rotation matrices TEME -> GCRS, shape ``(n_times, 3, 3)``."""
    from skyfield.sgp4lib import TEME

    t = skyfield_time(np.atleast_1d(times_utc))
    return np.swapaxes(_last_axis_matrices(TEME.rotation_at(t)), -1, -2)


def gcrs_to_itrs_matrices(times_utc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotation GCRS -> ITRS and its rate term ``dR/dt R^T`` (rad/s), each ``(n_times, 3, 3)``.

    ``v_itrs = R v_gcrs + (dR/dt R^T) r_itrs``; the rate term is Earth rotation."""
    from skyfield.framelib import itrs

    t = skyfield_time(np.atleast_1d(times_utc))
    rot = _last_axis_matrices(itrs.rotation_at(t))
    # skyfield gives the rate per day; we work in seconds.
    rate = _last_axis_matrices(itrs._dRdt_times_RT_at(t)) / 86400.0
    return rot, rate


def _apply(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Apply per-time matrices (n_times, 3, 3) to vectors (..., n_times, 3)."""
    return np.einsum("tij,...tj->...ti", m, x)


def teme_to_gcrs(
    r_teme_km: np.ndarray, v_teme_km_s: np.ndarray, times_utc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """TEME -> GCRS for states shaped ``(..., n_times, 3)`` at ``times_utc`` (n_times,).

    The slow drift of the TEME axes (precession-nutation rate) is neglected in the velocity,
    as skyfield and Vallado do (< 1 mm/s)."""
    m = teme_to_gcrs_matrices(times_utc)
    return _apply(m, r_teme_km), _apply(m, v_teme_km_s)


def gcrs_to_teme(
    r_gcrs_km: np.ndarray, v_gcrs_km_s: np.ndarray, times_utc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """GCRS -> TEME (inverse rotation of :func:`teme_to_gcrs`); shapes as above."""
    mt = np.swapaxes(teme_to_gcrs_matrices(times_utc), -1, -2)
    return _apply(mt, r_gcrs_km), _apply(mt, v_gcrs_km_s)


def gmst_iau82_rad(jd_ut1: np.ndarray | float) -> np.ndarray:
    """Greenwich mean sidereal time, IAU-1982, radians in [0, 2pi).

    Vallado, *Fundamentals of Astrodynamics*, 4th ed., eq. 3-47; the same polynomial as
    python-sgp4's ``gstime`` (AIAA 2006-6753), i.e. the angle between TEME and the
    pseudo-Earth-fixed frame.  ``jd_ut1`` is a UT1 Julian date (scalar or array); the
    skyfield-based matrices above are the accurate path, this is the closed form for callers
    that need the angle itself (mean elements, the numerical propagator's Earth model).
    """
    t = (np.asarray(jd_ut1, dtype=float) - 2451545.0) / 36525.0
    sec = 67310.54841 + (876600.0 * 3600.0 + 8640184.812866) * t + 0.093104 * t * t
    sec = sec - 6.2e-6 * t * t * t
    return np.mod(sec, 86400.0) / 86400.0 * 2.0 * np.pi


def gcrs_to_itrs(
    r_gcrs_km: np.ndarray, v_gcrs_km_s: np.ndarray, times_utc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """GCRS -> ITRS (Earth-fixed), velocity including Earth rotation; shapes as above."""
    rot, rate = gcrs_to_itrs_matrices(times_utc)
    r = _apply(rot, r_gcrs_km)
    return r, _apply(rot, v_gcrs_km_s) + _apply(rate, r)


def itrs_to_gcrs(
    r_itrs_km: np.ndarray, v_itrs_km_s: np.ndarray, times_utc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ITRS -> GCRS (inverse of :func:`gcrs_to_itrs`)."""
    rot, rate = gcrs_to_itrs_matrices(times_utc)
    rt = np.swapaxes(rot, -1, -2)
    return _apply(rt, r_itrs_km), _apply(rt, v_itrs_km_s - _apply(rate, r_itrs_km))


def teme_to_itrs(
    r_teme_km: np.ndarray, v_teme_km_s: np.ndarray, times_utc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """TEME -> ITRS through GCRS (skyfield's model; see module docstring)."""
    r, v = teme_to_gcrs(r_teme_km, v_teme_km_s, times_utc)
    return gcrs_to_itrs(r, v, times_utc)


def itrs_to_geodetic(r_itrs_km: np.ndarray) -> np.ndarray:
    """ITRS position -> WGS-84 geodetic ``[..., (lat_deg, lon_deg, alt_km)]``.

    Iterates Bowring's latitude to convergence (< 0.1 mm at LEO-GEO altitudes)."""
    x, y, z = r_itrs_km[..., 0], r_itrs_km[..., 1], r_itrs_km[..., 2]
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1.0 - WGS84_E2))
    for _ in range(6):
        sin_lat = np.sin(lat)
        n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
        lat = np.arctan2(z + n * WGS84_E2 * sin_lat, p)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    # Height formula that stays well conditioned near the poles.
    alt = p * cos_lat + z * sin_lat - n * (1.0 - WGS84_E2 * sin_lat**2)
    return np.stack([np.degrees(lat), np.degrees(lon), alt], axis=-1)


def geodetic_to_itrs(lat_deg: np.ndarray, lon_deg: np.ndarray, alt_km: np.ndarray) -> np.ndarray:
    """WGS-84 geodetic -> ITRS position, km, xyz on the last axis."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
    return np.stack(
        [
            (n + alt_km) * np.cos(lat) * np.cos(lon),
            (n + alt_km) * np.cos(lat) * np.sin(lon),
            (n * (1.0 - WGS84_E2) + alt_km) * np.sin(lat),
        ],
        axis=-1,
    )


def convert_teme(
    r_teme_km: np.ndarray, v_teme_km_s: np.ndarray, times_utc: np.ndarray, frame: str
) -> tuple[np.ndarray, np.ndarray | None]:
    """TEME states ``(..., n_times, 3)`` into ``frame`` (teme, gcrs, itrs or geodetic).

    For ``geodetic`` the first array holds (lat_deg, lon_deg, alt_km) and the second is
    None."""
    if frame == "teme":
        return r_teme_km, v_teme_km_s
    if frame == "gcrs":
        return teme_to_gcrs(r_teme_km, v_teme_km_s, times_utc)
    if frame == "itrs":
        return teme_to_itrs(r_teme_km, v_teme_km_s, times_utc)
    if frame == "geodetic":
        r, _ = teme_to_itrs(r_teme_km, v_teme_km_s, times_utc)
        return itrs_to_geodetic(r), None
    raise ValueError(f"unknown frame {frame!r}: expected one of {', '.join(FRAMES)}")


def rtn_basis(r_km: np.ndarray, v_km_s: np.ndarray) -> np.ndarray:
    """Radial / transverse / normal unit vectors of a state, as the *rows* of a matrix.

    Returns ``(..., 3, 3)``; ``basis @ x`` expresses an inertial vector ``x`` in RTN
    (R along r, N along r x v, T = N x R)."""
    r_hat = r_km / np.linalg.norm(r_km, axis=-1, keepdims=True)
    h = np.cross(r_km, v_km_s)
    n_hat = h / np.linalg.norm(h, axis=-1, keepdims=True)
    t_hat = np.cross(n_hat, r_hat)
    return np.stack([r_hat, t_hat, n_hat], axis=-2)


def to_rtn(vec: np.ndarray, r_ref_km: np.ndarray, v_ref_km_s: np.ndarray) -> np.ndarray:
    """Express inertial vectors ``vec`` (..., 3) in the RTN frame of the reference state."""
    return np.einsum("...ij,...j->...i", rtn_basis(r_ref_km, v_ref_km_s), vec)


def from_rtn(vec_rtn: np.ndarray, r_ref_km: np.ndarray, v_ref_km_s: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_rtn`: RTN components back to the inertial frame of the state."""
    return np.einsum("...ji,...j->...i", rtn_basis(r_ref_km, v_ref_km_s), vec_rtn)
