"""Space-weather scenarios (F10.7, Ap) mapped to a thermospheric density scale factor.

Model (documented approximation, not NRLMSISE):

1. Exospheric temperature, Jacchia (1971) / Jacchia-Roberts form:
   ``T_c = 379 + 3.24 F10.7bar + 1.3 (F10.7 - F10.7bar)`` (night-time minimum, K) plus the
   geomagnetic term ``dT = Ap + 100 (1 - exp(-0.08 Ap))`` (Jacchia 1971, eq. for the
   3-hour Ap, also Vallado 2013 sec. 8.6.2); ``T_inf = T_c + dT``.
2. Density above ~200 km follows the scale height ``H = k T_inf / (m g)`` of atomic oxygen
   (m = 16 u, g at the altitude); the ratio to the reference conditions is
   ``exp(-(h - 120)/H(T)) / exp(-(h - 120)/H(T_ref))`` (diffusive equilibrium from the
   120 km boundary, boundary density unchanged).
3. The reference is the mean solar activity of the shipped density tables (Harris-Priester
   mean / CIRA-72 exponential): F10.7 = F10.7bar = 150, Ap = 15 (the 'moderate' scenario,
   scale ~ 1).

Resulting factors at 250 / 400 / 550 km: quiet 0.31 / 0.09 / 0.03, Feb 2022 0.86 / 0.73 /
0.62 (relative to mean activity; the storm raised density ~50 % over the quiet pre-storm
days, which were below mean), May 2024 2.1 / 4.6 / 9.5.  The storm factor at 400 km is of
the order reported for May 2024 (several-fold); the isothermal profile from 120 km
overstates the solar-minimum depletion (published solar-min/mean ratios at 400 km are
~0.2-0.3).  Use as scenario knobs, not as a density model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from spacerange.constants import RE_WGS84_KM

BOLTZMANN_J_K = 1.380649e-23
ATOMIC_MASS_KG = 1.66053907e-27
MEAN_MASS_U = 16.0
G0_M_S2 = 9.80665
R_EARTH_KM = RE_WGS84_KM
REFERENCE_F107 = 150.0
REFERENCE_AP = 15.0

__all__ = [
    "SpaceWeather",
    "SCENARIOS",
    "exospheric_temperature_k",
    "density_scale_factor",
    "apply_space_weather",
]


@dataclass(frozen=True)
class SpaceWeather:
    """Solar flux (sfu), its 81-day mean (sfu) and the daily Ap index."""

    f107: float
    f107_bar: float
    ap: float
    name: str = ""

    def __post_init__(self):
        for k in ("f107", "f107_bar", "ap"):
            v = getattr(self, k)
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"SpaceWeather.{k} must be finite and >= 0, got {v}")


SCENARIOS: dict[str, SpaceWeather] = {
    "quiet": SpaceWeather(70.0, 70.0, 4.0, "quiet (solar minimum)"),
    "moderate": SpaceWeather(150.0, 150.0, 15.0, "moderate (reference)"),
    # 3-4 Feb 2022 (Starlink Group 4-7 loss): F10.7 ~ 130, 81-day mean ~ 110, Ap ~ 30-40
    "feb2022": SpaceWeather(130.0, 110.0, 36.0, "Feb 2022 minor storm (Starlink 4-7)"),
    # 10-11 May 2024 (Gannon storm): F10.7 ~ 230, 81-day mean ~ 170, daily Ap ~ 270
    "may2024": SpaceWeather(230.0, 170.0, 270.0, "May 2024 severe storm (G5)"),
}


def exospheric_temperature_k(sw: SpaceWeather) -> float:
    """Jacchia (1971) exospheric temperature (K) for the scenario."""
    tc = 379.0 + 3.24 * sw.f107_bar + 1.3 * (sw.f107 - sw.f107_bar)
    return float(tc + sw.ap + 100.0 * (1.0 - np.exp(-0.08 * sw.ap)))


def _scale_height_km(t_k: float, h_km):
    g = G0_M_S2 * (R_EARTH_KM / (R_EARTH_KM + np.asarray(h_km, float))) ** 2
    return BOLTZMANN_J_K * t_k / (MEAN_MASS_U * ATOMIC_MASS_KG * g) / 1e3


def density_scale_factor(sw: SpaceWeather | str, h_km=400.0):
    """Density ratio (scenario / reference conditions) at heights ``h_km`` (km)."""
    sw = SCENARIOS[sw] if isinstance(sw, str) else sw
    ref = SpaceWeather(REFERENCE_F107, REFERENCE_F107, REFERENCE_AP)
    t, t0 = exospheric_temperature_k(sw), exospheric_temperature_k(ref)
    dh = np.maximum(np.asarray(h_km, float) - 120.0, 0.0)
    return np.exp(-dh / _scale_height_km(t, h_km) + dh / _scale_height_km(t0, h_km))


def apply_space_weather(force_model, sw: SpaceWeather | str, h_km: float):
    """Copy of ``force_model`` with ``density_scale`` multiplied by the scenario factor
    evaluated at the representative height ``h_km`` (e.g. the object's perigee)."""
    if isinstance(sw, str) and sw not in SCENARIOS:
        raise ValueError(f"unknown space-weather scenario {sw!r}: expected {sorted(SCENARIOS)}")
    f = float(density_scale_factor(sw, h_km))
    return dataclasses.replace(force_model, density_scale=force_model.density_scale * f)
