"""Optical telescope: angles-only (topocentric RA/Dec or az/el) and apparent magnitude.

An object is detected when

* the site is dark: Sun elevation below ``max_sun_elevation_deg`` (default -12 deg,
  nautical twilight);
* the object is sunlit: :func:`spacerange.bodies.shadow_fraction` < 1 (penumbra dims it);
* it is in the field of regard and brighter than ``limiting_mag``.

Brightness uses the diffuse (Lambertian) sphere of McCue, Williams & Morford (1971),
"Optical characteristics of artificial satellites", Planet. Space Sci. 19, 851, in the
form of Hejduk (2011), "Specular and diffuse components in spherical satellite photometric
modeling", AMOS Conference:

    m = m_sun - 2.5 log10( A rho F(phi) / R^2 ),
    F(phi) = 2 / (3 pi^2) [ (pi - phi) cos(phi) + sin(phi) ],

with A = pi d^2 / 4 the cross-section (m^2), rho the albedo, R the range (m), phi the
solar phase angle (Sun-object-observer) and m_sun = -26.74 (V band).  Shadowing adds
-2.5 log10(1 - shadow_fraction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spacerange.bodies import shadow_fraction
from spacerange.sensors.base import LookGeometry, Measurements, Scene, Sensor, TruthStates

SUN_MAG_V = -26.74


def diffuse_sphere_phase(phase_rad: np.ndarray) -> np.ndarray:
    """Hejduk's diffuse-sphere phase function F(phi) (1/sr-like, F(0) = 2/(3 pi))."""
    p = np.asarray(phase_rad, dtype=float)
    return 2.0 / (3.0 * np.pi**2) * ((np.pi - p) * np.cos(p) + np.sin(p))


def diffuse_sphere_magnitude(
    diameter_m: np.ndarray, albedo: np.ndarray, range_km: np.ndarray, phase_rad: np.ndarray
) -> np.ndarray:
    """Apparent visual magnitude of a Lambertian sphere (McCue 1971 / Hejduk 2011)."""
    area_m2 = np.pi * np.asarray(diameter_m, dtype=float) ** 2 / 4.0
    r_m = np.asarray(range_km, dtype=float) * 1e3
    with np.errstate(divide="ignore"):
        flux = area_m2 * albedo * diffuse_sphere_phase(phase_rad) / r_m**2
        return SUN_MAG_V - 2.5 * np.log10(np.maximum(flux, 0.0))


@dataclass
class OpticalTelescope(Sensor):
    """Telescope measuring two angles and magnitude; ``angle_type`` ``"RADEC"`` gives
    topocentric RA/Dec on GCRS axes, ``"AZEL"`` azimuth/elevation."""

    limiting_mag: float = 16.0
    max_sun_elevation_deg: float = -12.0
    angle_type: str = "RADEC"
    kind: str = "optical"

    def _photometry(self, g: LookGeometry, truth: TruthStates, scene: Scene):
        r_obj = g.d_itrs_km + self.site.r_itrs_km
        sun = scene.sun_itrs_km[g.t]
        to_sun = sun - r_obj
        to_obs = -g.d_itrs_km
        cos_phase = np.sum(to_sun * to_obs, -1) / (
            np.linalg.norm(to_sun, axis=-1) * np.linalg.norm(to_obs, axis=-1)
        )
        phase = np.arccos(np.clip(cos_phase, -1.0, 1.0))
        frac = shadow_fraction(r_obj, sun)  # rotation-invariant: ITRS works as well as GCRS
        p = truth.props
        mag = diffuse_sphere_magnitude(p.diameter_m[g.obj], p.albedo[g.obj], g.range_km, phase)
        with np.errstate(divide="ignore"):
            mag = mag - 2.5 * np.log10(np.maximum(1.0 - frac, 0.0))
        return mag, frac

    def detectable(self, g: LookGeometry, truth: TruthStates, scene: Scene) -> np.ndarray:
        dark = scene.sun_elevation_deg(self.site)[g.t] < self.max_sun_elevation_deg
        ok = dark.copy()
        if ok.any():
            sub = g.take(ok)
            mag, frac = self._photometry(sub, truth, scene)
            ok[ok] = (frac < 1.0) & (mag <= self.limiting_mag)
        return ok

    def true_measurements(self, g: LookGeometry, truth: TruthStates, scene: Scene) -> Measurements:
        mag, _ = self._photometry(g, truth, scene)
        if self.angle_type == "RADEC":
            d_gcrs = np.einsum("nji,nj->ni", scene.gcrs_to_itrs[g.t], g.d_itrs_km)
            a1 = np.degrees(np.arctan2(d_gcrs[:, 1], d_gcrs[:, 0])) % 360.0
            a2 = np.degrees(np.arcsin(d_gcrs[:, 2] / np.linalg.norm(d_gcrs, axis=-1)))
        elif self.angle_type == "AZEL":
            a1, a2 = g.az_deg, g.el_deg
        else:
            raise ValueError(f"{self.sensor_id}: angle_type must be 'RADEC' or 'AZEL'")
        return Measurements(**self._base(g, truth, scene, self.angle_type),
                            angle_1_deg=a1, angle_2_deg=a2, mag=mag)  # fmt: skip
