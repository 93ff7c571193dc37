"""Physical constants, each named by the model it belongs to.

Mixing models is an error that no unit test of one module sees: SGP4 element sets are
defined on WGS-72 (a mean motion means a semi-major axis only through WGS-72's mu and
radius), numerical propagation and geodesy use WGS-84 and the EGM96 geopotential.  Every
module takes its constants from here, under the model's name:

* **WGS-72** (SGP4/SDP4; Hoots & Roehrich 1980, Vallado et al. 2006 AIAA 2006-6753):
  mu 398600.8 km^3/s^2, equatorial radius 6378.135 km, J2 0.001082616.
* **WGS-84** (NIMA TR8350.2, 3rd ed.): semi-major axis 6378.137 km, flattening
  1/298.257223563, GM 398600.4418 km^3/s^2 (with the atmosphere, the value also adopted by
  IERS 2010 and EGM2008), rotation rate 7.292115e-5 rad/s.
* **EGM96** (Lemoine et al. 1998, NASA/TP-1998-206861): GM 398600.4415 km^3/s^2, reference
  radius 6378.1363 km (the file in ``data/gravity`` carries these in its header).
* **Earth rotation**: the IERS Earth Rotation Angle rate (2 pi x 1.00273781191135448 per
  UT1 day) for frames; Vallado's sidereal rate 7.2921158553e-5 rad/s (2013, eq. 3-40,
  with precession) where an algorithm was published with it.
"""

from __future__ import annotations

__all__ = [
    "MU_WGS72_KM3_S2",
    "RE_WGS72_KM",
    "J2_WGS72",
    "RE_WGS84_KM",
    "F_WGS84",
    "E2_WGS84",
    "MU_WGS84_KM3_S2",
    "OMEGA_WGS84_RAD_S",
    "MU_EGM96_KM3_S2",
    "RE_EGM96_KM",
    "EARTH_ROTATION_IERS_RAD_S",
    "EARTH_ROTATION_VALLADO_RAD_S",
]

# ----------------------------------------------------------------- WGS-72 (SGP4)
#: gravitational parameter of WGS-72 [km^3/s^2], as SGP4 uses it
MU_WGS72_KM3_S2 = 398600.8
#: WGS-72 equatorial radius [km] (SGP4's distance unit, "earth radii")
RE_WGS72_KM = 6378.135
#: WGS-72 second zonal harmonic
J2_WGS72 = 0.001082616

# ----------------------------------------------------------------- WGS-84 (geodesy)
#: WGS-84 ellipsoid semi-major axis [km]
RE_WGS84_KM = 6378.137
#: WGS-84 flattening
F_WGS84 = 1.0 / 298.257223563
#: WGS-84 first eccentricity squared
E2_WGS84 = F_WGS84 * (2.0 - F_WGS84)
#: WGS-84 GM including the atmosphere [km^3/s^2] (also IERS 2010, EGM2008)
MU_WGS84_KM3_S2 = 398600.4418
#: WGS-84 nominal Earth rotation rate [rad/s]
OMEGA_WGS84_RAD_S = 7.292115e-5

# ----------------------------------------------------------------- EGM96 (numerical)
#: EGM96 GM [km^3/s^2]
MU_EGM96_KM3_S2 = 398600.4415
#: EGM96 reference radius [km]
RE_EGM96_KM = 6378.1363

# ----------------------------------------------------------------- Earth rotation
#: rate of the IERS Earth Rotation Angle [rad/s of UT1]: 2 pi 1.00273781191135448 / 86400
EARTH_ROTATION_IERS_RAD_S = 7.292115146706979e-5
#: Vallado's sidereal rotation rate [rad/s] (2013, eq. 3-40)
EARTH_ROTATION_VALLADO_RAD_S = 7.2921158553e-5
