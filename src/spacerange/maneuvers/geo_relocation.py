"""GEO relocation: two along-track burns that drift an asset to a new longitude slot.

Two-body, near-circular geostationary orbit of radius r0.  The first tangential burn puts
the asset on a drift orbit (perigee or apogee at r0) whose period P_d makes it return to the
burn point after N revolutions having moved by the requested longitude change:

    Delta_lambda = N (2 pi - omega_E P_d)       =>   P_d = (2 pi - Delta_lambda / N) / omega_E

(exact for two-body motion about a uniformly rotating Earth); the second burn, equal and
opposite, re-circularizes at r0 after N P_d seconds.  The rule of thumb (Soop, *Handbook of
Geostationary Orbits*, 1994): ~2.84 m/s per (deg/day) of drift rate, per burn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spacerange.constants import EARTH_ROTATION_VALLADO_RAD_S, MU_WGS84_KM3_S2, RE_WGS84_KM

MU_KM3_S2 = MU_WGS84_KM3_S2
EARTH_ROTATION_RAD_S = EARTH_ROTATION_VALLADO_RAD_S
GEO_RADIUS_KM = (MU_KM3_S2 / EARTH_ROTATION_RAD_S**2) ** (1.0 / 3.0)

__all__ = ["GeoRelocationPlan", "plan_geo_relocation", "geo_state_gcrs", "longitude_deg"]


@dataclass
class GeoRelocationPlan:
    """Burns (along-track, km/s, + = prograde) at ``burn1_utc`` and ``burn2_utc``."""

    delta_lon_deg: float
    revolutions: int
    drift_time_s: float
    drift_rate_deg_day: float
    drift_sma_km: float
    dv1_t_km_s: float
    dv2_t_km_s: float
    burn1_utc: np.datetime64
    burn2_utc: np.datetime64

    @property
    def total_dv_m_s(self) -> float:
        return (abs(self.dv1_t_km_s) + abs(self.dv2_t_km_s)) * 1e3

    def maneuvers(self):
        """The two burns as :class:`ImpulsiveManeuver` (RTN) for the numerical propagator."""
        from spacerange.propagation.numerical import ImpulsiveManeuver

        return [
            ImpulsiveManeuver(self.burn1_utc, (0.0, self.dv1_t_km_s, 0.0), "RTN"),
            ImpulsiveManeuver(self.burn2_utc, (0.0, self.dv2_t_km_s, 0.0), "RTN"),
        ]


def plan_geo_relocation(
    from_lon_deg: float,
    to_lon_deg: float,
    drift_days: float,
    start_utc,
    radius_km: float = GEO_RADIUS_KM,
) -> GeoRelocationPlan:
    """Plan a relocation from ``from_lon_deg`` to ``to_lon_deg`` (east positive, the short
    way round) in about ``drift_days`` (rounded to a whole number of drift revolutions)."""
    from spacerange.timescales import parse_utc

    if drift_days <= 0:
        raise ValueError(f"drift_days must be > 0, got {drift_days}")
    dlon = (to_lon_deg - from_lon_deg + 180.0) % 360.0 - 180.0
    dl = math.radians(dlon)
    p_geo = 2 * math.pi / EARTH_ROTATION_RAD_S
    n_rev = max(1, round(drift_days * 86400.0 / p_geo))
    p_d = (2 * math.pi - dl / n_rev) / EARTH_ROTATION_RAD_S
    a_d = (MU_KM3_S2 * (p_d / (2 * math.pi)) ** 2) ** (1.0 / 3.0)
    if 2 * a_d - radius_km <= RE_WGS84_KM:
        raise ValueError("requested drift is too fast: the drift orbit would hit the Earth")
    v0 = math.sqrt(MU_KM3_S2 / radius_km)
    v1 = math.sqrt(MU_KM3_S2 * (2.0 / radius_km - 1.0 / a_d))
    t0 = parse_utc(start_utc)
    t_drift = n_rev * p_d
    return GeoRelocationPlan(
        delta_lon_deg=dlon,
        revolutions=int(n_rev),
        drift_time_s=t_drift,
        drift_rate_deg_day=dlon / (t_drift / 86400.0),
        drift_sma_km=a_d,
        dv1_t_km_s=v1 - v0,
        dv2_t_km_s=v0 - v1,
        burn1_utc=t0,
        burn2_utc=t0 + np.timedelta64(int(round(t_drift * 1e6)), "us"),
    )


def geo_state_gcrs(lon_deg: float, epoch_utc, radius_km: float = GEO_RADIUS_KM) -> np.ndarray:
    """GCRS state (6,) of a geostationary object at ``lon_deg`` (fixed in ITRS)."""
    from spacerange.frames import itrs_to_gcrs
    from spacerange.timescales import parse_utc

    lam = math.radians(lon_deg)
    r = np.array([[radius_km * math.cos(lam), radius_km * math.sin(lam), 0.0]])
    t = np.array([parse_utc(epoch_utc)])
    rg, vg = itrs_to_gcrs(r, np.zeros((1, 3)), t)
    return np.concatenate([rg[0], vg[0]])


def longitude_deg(r_gcrs_km: np.ndarray, times_utc: np.ndarray) -> np.ndarray:
    """Earth-fixed longitude (deg, -180..180) of GCRS positions (..., n_t, 3)."""
    from spacerange.frames import gcrs_to_itrs

    r = np.asarray(r_gcrs_km, float)
    ri, _ = gcrs_to_itrs(r, np.zeros_like(r), np.asarray(times_utc, "datetime64[us]"))
    return np.degrees(np.arctan2(ri[..., 1], ri[..., 0]))
