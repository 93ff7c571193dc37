"""Sun and Moon positions (JPL DE421, shipped by ``skyfield-data``) and Earth-shadow tests.

Everything is offline: DE421 is read from the ``skyfield-data`` package, never downloaded.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np

from spacerange.constants import RE_WGS84_KM
from spacerange.timescales import skyfield_time

EARTH_RADIUS_KM = RE_WGS84_KM
SUN_RADIUS_KM = 696_000.0


@lru_cache(maxsize=1)
def ephemeris():
    """The DE421 planetary ephemeris from ``skyfield-data`` (loaded once)."""
    from skyfield.api import Loader
    from skyfield_data import get_skyfield_data_path

    with warnings.catch_warnings():
        # skyfield-data warns that its *EOP* file is old; we do not use that file.
        warnings.simplefilter("ignore", RuntimeWarning)
        return Loader(get_skyfield_data_path(), verbose=False)("de421.bsp")


def _geocentric_gcrs_km(body: str, times_utc: np.ndarray) -> np.ndarray:
    eph = ephemeris()
    t = skyfield_time(np.atleast_1d(times_utc))
    pos = (eph[body] - eph["earth"]).at(t).position.km
    return np.moveaxis(pos, 0, -1)


def sun_gcrs_km(times_utc: np.ndarray) -> np.ndarray:
    """Geocentric Sun position in GCRS, km, shape ``(n_times, 3)`` (geometric, no aberration)."""
    return _geocentric_gcrs_km("sun", times_utc)


def moon_gcrs_km(times_utc: np.ndarray) -> np.ndarray:
    """Geocentric Moon position in GCRS, km, shape ``(n_times, 3)``."""
    return _geocentric_gcrs_km("moon", times_utc)


def shadow_fraction(
    r_gcrs_km: np.ndarray, r_sun_gcrs_km: np.ndarray, model: str = "conical"
) -> np.ndarray:
    """Fraction of the solar disc hidden by the Earth as seen from ``r`` (0 sunlit, 1 umbra).

    ``model="cylindrical"`` gives 0 or 1 (shadow cylinder of Earth radius behind the Earth);
    ``"conical"`` models umbra and penumbra with the apparent-disc overlap (Montenbruck &
    Gill 2000, sec. 3.4.2).  Shapes broadcast over the leading axes; xyz last.
    """
    r = np.asarray(r_gcrs_km, dtype=float)
    s = np.asarray(r_sun_gcrs_km, dtype=float)
    if model == "cylindrical":
        s_hat = s / np.linalg.norm(s, axis=-1, keepdims=True)
        along = np.sum(r * s_hat, axis=-1)
        perp = np.linalg.norm(r - along[..., None] * s_hat, axis=-1)
        return ((along < 0) & (perp < EARTH_RADIUS_KM)).astype(float)
    if model != "conical":
        raise ValueError(f"unknown shadow model {model!r}: expected 'cylindrical' or 'conical'")
    d_sun = s - r
    rs = np.linalg.norm(d_sun, axis=-1)
    rr = np.linalg.norm(r, axis=-1)
    a = np.arcsin(np.clip(SUN_RADIUS_KM / rs, -1, 1))  # apparent Sun radius
    b = np.arcsin(np.clip(EARTH_RADIUS_KM / rr, -1, 1))  # apparent Earth radius
    cos_c = np.sum(-r * d_sun, axis=-1) / (rr * rs)
    c = np.arccos(np.clip(cos_c, -1.0, 1.0))  # separation of the two disc centres
    frac = np.zeros(np.broadcast(a, c).shape)
    full = c <= b - a
    partial = (c < a + b) & (c > np.abs(a - b))
    frac[full] = 1.0
    if np.any(partial):
        ap, bp, cp = (
            np.broadcast_to(a, frac.shape)[partial],
            np.broadcast_to(b, frac.shape)[partial],
            c[partial],
        )
        x = (cp**2 + ap**2 - bp**2) / (2 * cp)
        y = np.sqrt(np.maximum(ap**2 - x**2, 0.0))
        area = (
            ap**2 * np.arccos(np.clip(x / ap, -1, 1))
            + bp**2 * np.arccos(np.clip((cp - x) / bp, -1, 1))
            - cp * y
        )
        frac[partial] = area / (np.pi * ap**2)
    # Earth's disc smaller than the Sun's and fully inside it: annular.
    annular = (c <= a - b) & (b < a)
    frac[annular] = (
        np.broadcast_to(b, frac.shape)[annular] / np.broadcast_to(a, frac.shape)[annular]
    ) ** 2
    return frac


def is_sunlit(r_gcrs_km: np.ndarray, r_sun_gcrs_km: np.ndarray) -> np.ndarray:
    """True where less than half the solar disc is hidden (conical model)."""
    return shadow_fraction(r_gcrs_km, r_sun_gcrs_km) < 0.5
