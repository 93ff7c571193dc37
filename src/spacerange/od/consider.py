"""What the OD's force model leaves out, as an acceleration level for the consider covariance.

The batch fits point mass + J2, J3, J4 (:data:`.dynamics.OD_DEGREE`).  What acts on a real
object (or on an SGP4/SDP4 orbit, the truth of the simulated catalog) beyond that is, per
unit mass and to order of magnitude (Montenbruck & Gill, *Satellite Orbits*, Fig. 3.1):

* **third-body tides** of the Moon and the Sun, ``2 GM_b r / d_b^3`` (mean distances):
  1.8e-9 km/s^2 at 7,000 km, 1.1e-8 km/s^2 at GEO (SDP4 carries both);
* **second-order zonal effects** ``J2^2 (GM/r^2) (R/r)^4``: a first-order analytic theory
  such as SGP4 drops them, a real orbit has them through the coupling of J2 with itself
  (and the tesserals, of the same order for most orbits): 6.6e-9 km/s^2 at 7,000 km;
* **atmospheric drag**, along track, ``rho v^2 B / 2`` with the mean exponential density
  (Vallado Table 8-4) and a reference ballistic coefficient ``B = Cd A / m`` of
  0.01 m^2/kg (Cd 2.2, a few square metres per hundred kilograms): 2e-10 km/s^2 at 500 km.

:func:`unmodeled_acceleration_sigma` gives the gravitational part (tides and second order,
root sum square) on the radial and normal axes and drag on the along-track axis, all times
one scale factor :data:`UNMODELED_SCALE`.  Why not the gravitational part along track too:
those forces are periodic over the orbit, and a *constant* along-track acceleration of
their size would drift the object by tens of kilometres a day, a hundred times what the
fits show; radially and normally a constant acceleration stays bounded.  The factor stands
for what the constant-acceleration stand-in for periodic forces does not capture; it was
calibrated once, on the 2025 CelesTrak active catalog (median NEES = the chi-square(3)
median), and checked on the 2023 Space-Track catalog (docs/performance.md, "Covariance
realism"), where it falls short (median NEES 21: perigee drag of eccentric orbits is not
captured by sizes taken at the epoch radius); it is not re-fitted to the data a covariance
is checked on.
"""

from __future__ import annotations

import numpy as np

from spacerange.propagation.numerical.atmosphere import exponential_density_kg_m3
from spacerange.propagation.numerical.ephemeris import AU_KM, GM_MOON_KM3_S2, GM_SUN_KM3_S2

MOON_MEAN_DISTANCE_KM = 384_400.0
REFERENCE_BALLISTIC_M2_KG = 0.01
UNMODELED_SCALE = 7.1  # calibrated on the 2025 catalog; see docs/performance.md for 2023


def unmodeled_acceleration_sigma(x_gcrs: np.ndarray, scale: float | None = None) -> np.ndarray:
    """1-sigma unmodeled acceleration (n, 3) km/s^2 along radial, transverse, normal for
    GCRS states ``x_gcrs`` (n, 6) km, km/s (see the module doc); ``scale`` defaults to
    :data:`UNMODELED_SCALE`."""
    from .dynamics import _earth_constants

    gm, radius, j2, _, _ = _earth_constants()
    x = np.asarray(x_gcrs, float).reshape(-1, 6)
    r = np.linalg.norm(x[:, :3], axis=1)
    v_m_s = np.linalg.norm(x[:, 3:], axis=1) * 1e3
    tidal = 2.0 * r * (GM_MOON_KM3_S2 / MOON_MEAN_DISTANCE_KM**3 + GM_SUN_KM3_S2 / AU_KM**3)
    second_order = j2 * j2 * gm / r**2 * (radius / r) ** 4
    rho = exponential_density_kg_m3(np.maximum(r - radius, 0.0))
    drag = 0.5 * rho * v_m_s**2 * REFERENCE_BALLISTIC_M2_KG / 1e3
    gravity = np.hypot(tidal, second_order)
    k = UNMODELED_SCALE if scale is None else float(scale)
    return k * np.stack([gravity, drag, gravity], axis=1)
