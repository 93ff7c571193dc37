"""Radars: a tracking radar and a phased-array survey radar.

Detection follows the radar equation for a fixed radar: SNR scales as RCS / R^4, so

    SNR_dB = snr_ref_db + 10 log10(RCS / 1 m^2) + 40 log10(ref_range_km / R)

with ``snr_ref_db`` the SNR of a 1 m^2 target at ``ref_range_km`` (Skolnik, *Introduction
to Radar Systems*, 3rd ed., eq. 2.1 with all radar terms folded into the reference).  A
sample is detected when ``SNR_dB >= snr_min_db`` and it lies in the site's field of regard
(and, for a survey radar, in its field of view).  Measurements: range (km), azimuth and
elevation (deg), range rate (km/s, Doppler) and the true RCS (m^2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spacerange.sensors.base import LookGeometry, Measurements, Scene, Sensor, TruthStates


def radar_snr_db(
    rcs_m2: np.ndarray, range_km: np.ndarray, snr_ref_db: float, ref_range_km: float
) -> np.ndarray:
    """Single-pulse SNR (dB) of targets from the radar equation scaled from a reference."""
    rcs = np.maximum(np.asarray(rcs_m2, dtype=float), 1e-30)
    return snr_ref_db + 10.0 * np.log10(rcs) + 40.0 * np.log10(ref_range_km / range_km)


@dataclass
class TrackingRadar(Sensor):
    """Dish tracking radar: range, az/el, range rate for targets above the SNR threshold."""

    snr_ref_db: float = 30.0
    ref_range_km: float = 1000.0
    snr_min_db: float = 13.0
    kind: str = "tracking_radar"

    def detectable(self, g: LookGeometry, truth: TruthStates, scene: Scene) -> np.ndarray:
        snr = radar_snr_db(truth.props.rcs_m2[g.obj], g.range_km, self.snr_ref_db,
                           self.ref_range_km)  # fmt: skip
        return snr >= self.snr_min_db

    def true_measurements(self, g: LookGeometry, truth: TruthStates, scene: Scene) -> Measurements:
        return Measurements(
            **self._base(g, truth, scene, "AZEL"),
            range_km=g.range_km,
            range_rate_km_s=g.range_rate_km_s,
            angle_1_deg=g.az_deg,
            angle_2_deg=g.el_deg,
            rcs_m2=truth.props.rcs_m2[g.obj],
        )


@dataclass
class SurveyRadar(TrackingRadar):
    """Phased-array survey radar.

    Field of view: ``fov="fence"`` uses the site's azimuth window x elevation band
    (``az_min_deg..az_max_deg``, ``min_elevation_deg..max_elevation_deg``); ``fov="cone"``
    additionally requires the line of sight within ``half_angle_deg`` of the boresight
    (``boresight_az_deg``, ``boresight_el_deg``)."""

    fov: str = "fence"
    boresight_az_deg: float = 0.0
    boresight_el_deg: float = 90.0
    half_angle_deg: float = 60.0
    kind: str = "survey_radar"

    def detectable(self, g: LookGeometry, truth: TruthStates, scene: Scene) -> np.ndarray:
        ok = super().detectable(g, truth, scene)
        if self.fov == "cone":
            az, el = np.radians(g.az_deg), np.radians(g.el_deg)
            baz, bel = np.radians(self.boresight_az_deg), np.radians(self.boresight_el_deg)
            cos_sep = np.sin(el) * np.sin(bel) + np.cos(el) * np.cos(bel) * np.cos(az - baz)
            ok &= cos_sep >= np.cos(np.radians(self.half_angle_deg))
        elif self.fov != "fence":
            raise ValueError(f"survey radar {self.sensor_id}: fov must be 'fence' or 'cone'")
        return ok
