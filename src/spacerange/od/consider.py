"""What the OD's force model leaves out, as an acceleration level for the consider covariance.

The batch fits point mass + J2, J3, J4 (:data:`.dynamics.OD_DEGREE`).  What acts on a real
object (or on an SGP4/SDP4 orbit, the truth of the simulated catalog) beyond that is, per
unit mass and to order of magnitude (Montenbruck & Gill, *Satellite Orbits*, Fig. 3.1):

* **third-body tides** of the Moon and the Sun, ``2 GM_b r / d_b^3`` (mean distances):
  1.8e-9 km/s^2 at 7,000 km, 1.1e-8 km/s^2 at GEO (SDP4 carries both);
* **second-order zonal effects** ``J2^2 (GM/r^2) (R/r)^4``: a first-order analytic theory
  such as SGP4 drops them, a real orbit has them through the coupling of J2 with itself
  (and the tesserals, of the same order for most orbits): 6.6e-9 km/s^2 at 7,000 km;
* **atmospheric drag**, along track, ``rho v^2 B / 2`` with a reference ballistic
  coefficient ``B = Cd A / m`` of 0.01 m^2/kg (B* 7.8e-4 /earth radii, typical of the
  catalog's LEO debris and rocket bodies) and the density SGP4 assumes,
  ``rho0 ((q0 - s) / (h - s))^4`` (:func:`sgp4_density_kg_m3`): that is the drag of the
  truth of a TLE catalog (the B* of an element set is fitted with that density), 2x the mean
  exponential atmosphere (Vallado Table 8-4) at 400 km, 25x at 800 km, 40x at 1,500 km.

All three are sized over the whole osculating orbit (:data:`ORBIT_SAMPLES` points at equal
steps of mean anomaly), not at the state's radius: an eccentric orbit is dragged at its
perigee wherever its epoch lies.  :func:`unmodeled_acceleration_sigma` gives the
gravitational part (tides and second order, root mean square over the orbit) on the radial
and normal axes, and on the along-track axis the constant acceleration that takes orbital
energy at the orbit-averaged drag rate, ``<rho v^3 B / 2> / v_c(a)``; all times one scale
factor :data:`UNMODELED_SCALE`.  Why not the gravitational part along track too:
those forces are periodic over the orbit, and a *constant* along-track acceleration of
their size would drift the object by tens of kilometres a day, a hundred times what the
fits show; radially and normally a constant acceleration stays bounded.  The factor stands
for what the constant-acceleration stand-in for periodic forces does not capture; it was
calibrated once, on the 2025 CelesTrak active catalog (median NEES = the chi-square(3)
median), and checked on the 2023 Space-Track catalog (docs/performance.md, "Covariance
realism"); it is not re-fitted to the data a covariance is checked on.  (The first version
sized drag with the exponential atmosphere at the epoch radius, scale 7.1: on the 2023
catalog, old LEO debris at 500-1,500 km and eccentric Vanguard-era orbits, its median NEES
was 17.7 against 5.7 now.)
"""

from __future__ import annotations

import numpy as np

from spacerange.propagation.numerical.ephemeris import AU_KM, GM_MOON_KM3_S2, GM_SUN_KM3_S2

MOON_MEAN_DISTANCE_KM = 384_400.0
REFERENCE_BALLISTIC_M2_KG = 0.01
UNMODELED_SCALE = 5.8  # calibrated on the 2025 catalog; see docs/performance.md for 2023

SGP4_Q0_KM = 120.0
SGP4_S_KM = 78.0
ORBIT_SAMPLES = 72


def sgp4_density_kg_m3(h_km: np.ndarray, perigee_alt_km: np.ndarray) -> np.ndarray:
    """The density SGP4's drag terms assume, ``rho0 ((q0 - s) / (h - s))^4`` (heights in km
    above the equatorial radius; ``rho0`` at ``q0`` = 120 km; ``s`` = 78 km, lowered for
    perigees below 156 km and floored at 20 km as SGP4 does; Hoots & Roehrich 1980,
    Vallado 2013 sec. 9.7)."""
    from spacerange.events.breakup import BSTAR_RHO0_KG_M3

    s = np.clip(np.asarray(perigee_alt_km, float) - SGP4_S_KM, 20.0, SGP4_S_KM)
    h = np.asarray(h_km, float)
    ratio = (SGP4_Q0_KM - s) / np.maximum(h - s, SGP4_Q0_KM - s)
    return BSTAR_RHO0_KG_M3 * ratio**4


def _orbit_samples(x: np.ndarray, gm: float):
    """Semi-major axis (n,), radius and speed (n, ORBIT_SAMPLES) at equal steps of mean
    anomaly of the osculating two-body orbit of each state (a circle of the current radius
    where the state is not bound)."""
    r0 = np.linalg.norm(x[:, :3], axis=1)
    v0 = np.linalg.norm(x[:, 3:], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.0 / (2.0 / r0 - v0 * v0 / gm)
        h = np.cross(x[:, :3], x[:, 3:])
        ecc = np.linalg.norm(np.cross(x[:, 3:], h) / gm - x[:, :3] / r0[:, None], axis=1)
    bound = np.isfinite(a) & (a > 0) & (ecc < 1.0)
    a = np.where(bound, a, r0)
    ecc = np.where(bound, ecc, 0.0)[:, None]
    m = (np.arange(ORBIT_SAMPLES) + 0.5) * (2.0 * np.pi / ORBIT_SAMPLES)
    e_anom = np.broadcast_to(m, (a.size, m.size)).copy()
    for _ in range(30):  # Newton on Kepler's equation; e < 1
        e_anom -= (e_anom - ecc * np.sin(e_anom) - m) / (1.0 - ecc * np.cos(e_anom))
    r = a[:, None] * (1.0 - ecc * np.cos(e_anom))
    v = np.sqrt(gm * (2.0 / r - 1.0 / a[:, None]))
    return a, r, v


def unmodeled_acceleration_sigma(x_gcrs: np.ndarray, scale: float | None = None) -> np.ndarray:
    """1-sigma unmodeled acceleration (n, 3) km/s^2 along radial, transverse, normal for
    GCRS states ``x_gcrs`` (n, 6) km, km/s (see the module doc); ``scale`` defaults to
    :data:`UNMODELED_SCALE`.  Sizes over the whole osculating orbit, not at the state's
    radius: the gravitational part is its root mean square over the orbit, the drag part
    the constant along-track acceleration that removes orbital energy at the orbit-averaged
    rate of the drag, ``<rho v^3 B / 2> / v_c(a)``."""
    from .dynamics import _earth_constants

    gm, radius, j2, _, _ = _earth_constants()
    x = np.asarray(x_gcrs, float).reshape(-1, 6)
    a, r, v = _orbit_samples(x, gm)
    tidal = 2.0 * r * (GM_MOON_KM3_S2 / MOON_MEAN_DISTANCE_KM**3 + GM_SUN_KM3_S2 / AU_KM**3)
    second_order = j2 * j2 * gm / r**2 * (radius / r) ** 4
    gravity = np.sqrt(np.mean(tidal**2 + second_order**2, axis=1))
    h = r - radius
    rho = sgp4_density_kg_m3(h, h.min(axis=1, keepdims=True))
    power = 0.5 * rho * (v * 1e3) ** 3 * REFERENCE_BALLISTIC_M2_KG  # W/kg
    drag = np.mean(power, axis=1) / (np.sqrt(gm / a) * 1e3) / 1e3  # km/s^2
    k = UNMODELED_SCALE if scale is None else float(scale)
    return k * np.stack([gravity, drag, gravity], axis=1)
