"""Default physical properties of an object from its type and size: mass [kg], mean
cross-section [m^2] and the SGP4 drag term B* [1/earth radii].

An element set without drag (B* = 0) describes an object that never decays; below the
drag ceiling that is not physics.  Where no fitted B* exists (a scenario object given as
a state vector, a catalog TLE with B* = 0) the object gets one from its size and mass:

* **mass** when not given: ``m = 120 * HBR^2.56`` kg, a least-squares power law in log-log
  fitted to the 22,456 objects of the NASA CARA HBR/mass estimates (2026-06-01) that
  carry both values (median masses by HBR bin: 0.08 kg below 0.2 m, 3.8 kg at 0.2-0.5 m,
  32 kg at 0.5-1 m, 950 kg at 2-4 m).  The table is not read at run time; only the fit.
* **mean cross-section**: ``A = 0.5 pi HBR^2``.  The hard-body radius circumscribes the
  object; a tumbling convex body presents on average a quarter of its surface (Cauchy),
  which is 0.64 pi HBR^2 for a cube and about 0.38 pi HBR^2 for a 3:1 box (a 3U CubeSat).
* **B***: ``Cd (A/m) rho0 R_E / 2`` with Cd = 2.2 (Vallado 2013, sec. 9.7;
  :func:`spacerange.events.breakup.bstar_from_area_to_mass`).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "DRAG_CEILING_KM",
    "DEFAULT_CD",
    "mass_from_hbr_kg",
    "mean_area_m2",
    "bstar_from_size",
]

#: perigee altitude [km] above which atmospheric drag is neglected
DRAG_CEILING_KM = 1500.0
#: drag coefficient of a satellite in free-molecular flow
DEFAULT_CD = 2.2
#: CARA HBR/mass power law m = _MASS_COEF_KG * HBR[m] ** _MASS_EXP (see the module docstring)
_MASS_COEF_KG = 120.0
_MASS_EXP = 2.56


def mass_from_hbr_kg(hbr_m: float | np.ndarray) -> float | np.ndarray:
    """Typical mass [kg] of an object of hard-body radius ``hbr_m`` [m] (CARA power law)."""
    h = np.asarray(hbr_m, dtype=float)
    if not np.all(np.isfinite(h) & (h > 0)):
        raise ValueError(f"hard-body radius must be positive and finite, got {hbr_m!r}")
    m = _MASS_COEF_KG * h**_MASS_EXP
    return float(m) if m.ndim == 0 else m


def mean_area_m2(hbr_m: float | np.ndarray) -> float | np.ndarray:
    """Orientation-averaged cross-section [m^2] of an object of hard-body radius [m]."""
    h = np.asarray(hbr_m, dtype=float)
    a = 0.5 * math.pi * h**2
    return float(a) if a.ndim == 0 else a


def bstar_from_size(
    hbr_m: float | np.ndarray, mass_kg: float | np.ndarray | None = None, cd: float = DEFAULT_CD
) -> float | np.ndarray:
    """SGP4 B* [1/earth radii] of an object from its hard-body radius [m] and mass [kg]
    (mass from :func:`mass_from_hbr_kg` when ``None``)."""
    from spacerange.events.breakup import bstar_from_area_to_mass

    m = mass_from_hbr_kg(hbr_m) if mass_kg is None else np.asarray(mass_kg, dtype=float)
    if not np.all(np.isfinite(m) & (np.asarray(m) > 0)):
        raise ValueError(f"mass must be positive and finite, got {mass_kg!r}")
    b = bstar_from_area_to_mass(np.asarray(mean_area_m2(hbr_m)) / m, cd)
    return float(b) if np.ndim(b) == 0 else b
