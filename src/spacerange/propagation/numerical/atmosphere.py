"""Atmospheric density models (kg/m^3), vectorized over objects.

* Exponential: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013),
  Table 8-4 (CIRA-72 based piecewise exponential), 0..1000 km and above.
* Harris-Priester: Montenbruck & Gill, *Satellite Orbits* (2000), sec. 3.5.2 and Table 3.8
  (mean solar activity), with the diurnal bulge lagging the Sun by 30 deg and the cos^n
  exponent (n = 2 low inclination, n = 6 polar orbits).  Zero above 1000 km.

NRLMSISE-00 is not provided: no pure-Python implementation is available offline in this
environment.

Altitudes are geodetic-like heights over the WGS-84 ellipsoid, approximated as
``h = |r| - R_e (1 - f sin^2(phi))`` (phi geocentric latitude; error < ~20 m in LEO).
"""

from __future__ import annotations

import numpy as np

from spacerange.constants import RE_WGS84_KM

EARTH_EQUATORIAL_RADIUS_KM = RE_WGS84_KM
EARTH_FLATTENING = 1.0 / 298.257223563

# Vallado Table 8-4: base altitude (km), nominal density (kg/m^3), scale height (km)
_EXP_H0_KM = np.array(
    [0, 25, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 180, 200, 250, 300, 350,
     400, 450, 500, 600, 700, 800, 900, 1000], dtype=float)  # fmt: skip
_EXP_RHO0 = np.array(
    [1.225, 3.899e-2, 1.774e-2, 3.972e-3, 1.057e-3, 3.206e-4, 8.770e-5, 1.905e-5, 3.396e-6,
     5.297e-7, 9.661e-8, 2.438e-8, 8.484e-9, 3.845e-9, 2.070e-9, 5.464e-10, 2.789e-10,
     7.248e-11, 2.418e-11, 9.518e-12, 3.725e-12, 1.585e-12, 6.967e-13, 1.454e-13, 3.614e-14,
     1.170e-14, 5.245e-15, 3.019e-15])  # fmt: skip
_EXP_SCALE_KM = np.array(
    [7.249, 6.349, 6.682, 7.554, 8.382, 7.714, 6.549, 5.799, 5.382, 5.877, 7.263, 9.473, 12.636,
     16.149, 22.523, 29.740, 37.105, 45.546, 53.628, 53.298, 58.515, 60.828, 63.822, 71.835,
     88.667, 124.64, 181.05, 268.00])  # fmt: skip

# Montenbruck & Gill Table 3.8: height (km), minimum and maximum density (g/km^3 = 1e-12 kg/m^3)
_HP_TABLE = np.array([
    [100, 497400.0, 497400.0], [120, 24900.0, 24900.0], [130, 8377.0, 8710.0],
    [140, 3899.0, 4059.0], [150, 2122.0, 2215.0], [160, 1263.0, 1344.0], [170, 800.8, 875.8],
    [180, 528.3, 601.0], [190, 361.7, 429.7], [200, 255.7, 316.2], [210, 183.9, 239.6],
    [220, 134.1, 185.3], [230, 99.49, 145.5], [240, 74.88, 115.7], [250, 57.09, 93.08],
    [260, 44.03, 75.55], [270, 34.30, 61.82], [280, 26.97, 50.95], [290, 21.39, 42.26],
    [300, 17.08, 35.26], [320, 10.99, 25.11], [340, 7.214, 18.19], [360, 4.824, 13.37],
    [380, 3.274, 9.955], [400, 2.249, 7.492], [420, 1.558, 5.684], [440, 1.091, 4.355],
    [460, 0.7701, 3.362], [480, 0.5474, 2.612], [500, 0.3916, 2.042], [520, 0.2819, 1.605],
    [540, 0.2042, 1.267], [560, 0.1488, 1.005], [580, 0.1092, 0.7997], [600, 0.08070, 0.6390],
    [620, 0.06012, 0.5123], [640, 0.04519, 0.4121], [660, 0.03430, 0.3325],
    [680, 0.02632, 0.2691], [700, 0.02043, 0.2185], [720, 0.01607, 0.1779],
    [740, 0.01281, 0.1452], [760, 0.01036, 0.1190], [780, 0.008496, 0.09776],
    [800, 0.007069, 0.08059], [840, 0.004680, 0.05741], [880, 0.003200, 0.04210],
    [920, 0.002210, 0.03130], [960, 0.001560, 0.02360], [1000, 0.001150, 0.01810],
])  # fmt: skip
HP_LAG_RAD = np.deg2rad(30.0)


def height_km(r_km: np.ndarray) -> np.ndarray:
    """Approximate height above the WGS-84 ellipsoid (km) of (n, 3) positions (any frame
    whose z axis is the Earth's pole)."""
    r = np.linalg.norm(r_km, axis=-1)
    sin_phi = r_km[..., 2] / r
    return r - EARTH_EQUATORIAL_RADIUS_KM * (1.0 - EARTH_FLATTENING * sin_phi * sin_phi)


def exponential_density_kg_m3(h_km: np.ndarray) -> np.ndarray:
    """Vallado Table 8-4 piecewise-exponential density at heights ``h_km`` (kg/m^3)."""
    h = np.asarray(h_km, dtype=float)
    i = np.clip(np.searchsorted(_EXP_H0_KM, h, side="right") - 1, 0, len(_EXP_H0_KM) - 1)
    return _EXP_RHO0[i] * np.exp(-(h - _EXP_H0_KM[i]) / _EXP_SCALE_KM[i])


def harris_priester_density_kg_m3(
    r_km: np.ndarray, h_km: np.ndarray, r_sun_km: np.ndarray, n_exp: float = 2.0
) -> np.ndarray:
    """Harris-Priester density (kg/m^3), Montenbruck & Gill eq. (3.107)-(3.110).

    ``r_km`` (n, 3) and ``r_sun_km`` (3,) in the same true/mean-of-date-like inertial frame;
    ``n_exp`` = 2 (low inclination) .. 6 (polar).  Zero outside 100..1000 km (the table
    value at 100 km is used below 100 km).
    """
    h = np.asarray(h_km, dtype=float)
    tab = _HP_TABLE
    i = np.clip(np.searchsorted(tab[:, 0], h, side="right") - 1, 0, len(tab) - 2)
    h0, h1 = tab[i, 0], tab[i + 1, 0]
    hm_min = (h0 - h1) / np.log(tab[i + 1, 1] / tab[i, 1])
    hm_max = (h0 - h1) / np.log(tab[i + 1, 2] / tab[i, 2])
    hh = np.maximum(h, tab[0, 0])
    rho_min = tab[i, 1] * np.exp((h0 - hh) / hm_min)
    rho_max = tab[i, 2] * np.exp((h0 - hh) / hm_max)
    # bulge apex: Sun's right ascension + 30 deg lag, Sun's declination
    s = np.asarray(r_sun_km, dtype=float)
    ra = np.arctan2(s[1], s[0])
    dec = np.arctan2(s[2], np.hypot(s[0], s[1]))
    e_b = np.array(
        [np.cos(dec) * np.cos(ra + HP_LAG_RAD), np.cos(dec) * np.sin(ra + HP_LAG_RAD), np.sin(dec)]
    )
    e_r = r_km / np.linalg.norm(r_km, axis=-1, keepdims=True)
    cos_half_sq = np.clip(0.5 + 0.5 * (e_r @ e_b), 0.0, 1.0)
    rho = rho_min + (rho_max - rho_min) * cos_half_sq ** (0.5 * n_exp)
    return np.where(h > tab[-1, 0], 0.0, rho * 1e-12)


def nrlmsise00_density_kg_m3(
    time_utc: np.datetime64,
    lat_deg: np.ndarray,
    lon_deg: np.ndarray,
    alt_km: np.ndarray,
    f107_sfu: float,
    f107a_sfu: float,
    ap: float,
) -> np.ndarray:
    """Total mass density (kg/m^3) from NRLMSISE-00 (Picone et al. 2002, JGR 107(A12)).

    Needs the optional ``msis`` extra (``pymsis``, run with ``version=0``, the original
    NRLMSISE-00).  Space weather is given explicitly -- daily F10.7 of the previous day
    and its 81-day mean (solar flux units) and the daily Ap -- so nothing is downloaded.
    One instant, many points.
    """
    try:
        import pymsis
    except ImportError as exc:  # pragma: no cover - exercised where pymsis is absent
        raise RuntimeError(
            "drag_model='nrlmsise00' needs the optional 'msis' extra: pip install 'spacerange[msis]'"
        ) from exc
    alt = np.atleast_1d(np.asarray(alt_km, float))
    n = alt.size
    dates = np.full(n, np.datetime64(time_utc, "s"))
    out = pymsis.calculate(
        dates,
        np.atleast_1d(lon_deg).astype(float),
        np.atleast_1d(lat_deg).astype(float),
        alt,
        f107s=np.full(n, float(f107_sfu)),
        f107as=np.full(n, float(f107a_sfu)),
        aps=np.full((n, 7), float(ap)),
        version=0,
    )
    return np.asarray(out)[..., 0].reshape(n)
