"""Force model declaration (:class:`ForceModel`) and its evaluation (:class:`Dynamics`).

All accelerations are GCRS (treated as J2000/EME2000 inertial), km/s^2, for (n, 3) arrays of
positions (km) and velocities (km/s); see :mod:`.earth` for the Earth-fixed rotation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spacerange.constants import RE_WGS84_KM

from .atmosphere import (
    EARTH_EQUATORIAL_RADIUS_KM,
    exponential_density_kg_m3,
    harris_priester_density_kg_m3,
    height_km,
    nrlmsise00_density_kg_m3,
)
from .earth import EARTH_ROTATION_RAD_S, EpochTimes, gmst_iau82_rad, precession_iau76, rot3
from .ephemeris import AU_KM, GM_MOON_KM3_S2, GM_SUN_KM3_S2, SunMoonTable
from .gravity import Geopotential, egm96
from .maneuvers import FiniteBurn

SOLAR_PRESSURE_1AU_N_M2 = 4.56e-6
"""Solar radiation pressure at 1 AU (N/m^2), Montenbruck & Gill eq. (3.69)."""
SUN_RADIUS_KM = 696000.0
EARTH_SHADOW_RADIUS_KM = RE_WGS84_KM

DRAG_MODELS = ("harris_priester", "exponential", "nrlmsise00")
SHADOW_MODELS = ("conical", "cylindrical", "none")


@dataclass(frozen=True)
class ForceModel:
    """Which forces act, and their parameters.

    Attributes
    ----------
    gravity_degree, gravity_order:
        EGM96 truncation (0 = point mass; degree <= 12 shipped).  ``order=0`` gives zonals
        J2..J_degree only.
    mu_km3_s2:
        Point-mass GM override, only for ``gravity_degree < 2`` (default: EGM96 GM).
    drag_model:
        'harris_priester' (M&G), 'exponential' (Vallado Table 8-4), 'nrlmsise00' (optional
        ``msis`` extra; uses ``f107_sfu``, ``f107a_sfu``, ``ap``) or None.  Drag acts when
        ``cd_area_mass_m2_kg`` > 0 (Cd*A/m, m^2/kg); the atmosphere co-rotates with the Earth.
    f107_sfu, f107a_sfu, ap:
        Space weather for NRLMSISE-00: daily F10.7, its 81-day mean (sfu) and daily Ap,
        given explicitly (nothing is downloaded).
    density_scale:
        Multiplies the density (space-weather storm scenarios).
    harris_priester_n:
        cos^n exponent of the Harris-Priester diurnal bulge (2 low inclination .. 6 polar).
    srp, cr_area_mass_m2_kg, shadow:
        Solar radiation pressure (Cr*A/m, m^2/kg) with 'conical', 'cylindrical' or 'none' shadow.
    third_body:
        Sun and Moon point-mass perturbations.
    ephemeris:
        'analytic' (Montenbruck & Gill low-precision series) or 'de421' (Skyfield/JPL).
    rtol, atol_km:
        Integrator tolerances (atol applies to km; km/s components use atol_km * 1e-3).
    """

    gravity_degree: int = 8
    gravity_order: int = 8
    mu_km3_s2: float | None = None
    drag_model: str | None = "harris_priester"
    cd_area_mass_m2_kg: float = 0.0
    density_scale: float = 1.0
    harris_priester_n: float = 2.0
    f107_sfu: float = 150.0
    f107a_sfu: float = 150.0
    ap: float = 15.0
    srp: bool = False
    cr_area_mass_m2_kg: float = 0.0
    shadow: str = "conical"
    third_body: bool = False
    ephemeris: str = "analytic"
    rtol: float = 1e-10
    atol_km: float = 1e-7

    def __post_init__(self):
        deg, order = self.gravity_degree, self.gravity_order
        nmax = egm96().max_degree
        if not 0 <= deg <= nmax:
            raise ValueError(f"gravity_degree must be in 0..{nmax}, got {deg}")
        if deg >= 2 and not 0 <= order <= deg:
            raise ValueError(f"gravity_order must be in 0..gravity_degree, got {order}")
        if self.mu_km3_s2 is not None and deg >= 2:
            raise ValueError("mu_km3_s2 override is only for point-mass gravity (degree < 2)")
        if self.drag_model is not None and self.drag_model not in DRAG_MODELS:
            raise ValueError(f"drag_model must be one of {DRAG_MODELS} or None, got "
                             f"{self.drag_model!r}")  # fmt: skip
        if self.shadow not in SHADOW_MODELS:
            raise ValueError(f"shadow must be one of {SHADOW_MODELS}, got {self.shadow!r}")
        if self.ephemeris not in ("analytic", "de421"):
            raise ValueError(f"ephemeris must be 'analytic' or 'de421', got {self.ephemeris!r}")
        for name in ("cd_area_mass_m2_kg", "cr_area_mass_m2_kg", "density_scale"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    # named configurations -------------------------------------------------------------
    @classmethod
    def two_body(cls, mu_km3_s2: float | None = None, **kw) -> ForceModel:
        return cls(gravity_degree=0, gravity_order=0, mu_km3_s2=mu_km3_s2, drag_model=None, **kw)

    @classmethod
    def zonal(cls, degree: int = 6, **kw) -> ForceModel:
        """Zonal harmonics J2..J_degree only (no drag unless ``cd_area_mass_m2_kg`` given)."""
        kw.setdefault("drag_model", None)
        return cls(gravity_degree=degree, gravity_order=0, **kw)

    @classmethod
    def full(cls, cd_area_mass_m2_kg=0.01, cr_area_mass_m2_kg=0.01, **kw) -> ForceModel:
        """8x8 EGM96 + Harris-Priester drag + SRP (conical) + Sun/Moon."""
        return cls(
            gravity_degree=kw.pop("gravity_degree", 8),
            gravity_order=kw.pop("gravity_order", 8),
            cd_area_mass_m2_kg=cd_area_mass_m2_kg,
            srp=True,
            cr_area_mass_m2_kg=cr_area_mass_m2_kg,
            third_body=True,
            **kw,
        )

    @property
    def has_drag(self) -> bool:
        return self.drag_model is not None and self.cd_area_mass_m2_kg > 0

    @property
    def needs_sun(self) -> bool:
        return (
            self.third_body
            or (self.srp and self.cr_area_mass_m2_kg > 0)
            or (self.has_drag and self.drag_model == "harris_priester")
        )


def shadow_factor(r_km: np.ndarray, r_sun_km: np.ndarray, model: str = "conical") -> np.ndarray:
    """Fraction of the solar disc visible (0 umbra .. 1 sunlight), (n,) for (n, 3) positions.

    Conical: Montenbruck & Gill sec. 3.4.2, eqs. (3.80)-(3.87) (spherical Earth).
    Cylindrical: 0 when behind the Earth inside the cylinder of radius R_E, else 1.
    """
    r = np.asarray(r_km, dtype=float)
    if model == "none":
        return np.ones(r.shape[0])
    s = np.asarray(r_sun_km, dtype=float)
    if model == "cylindrical":
        u = s / np.linalg.norm(s)
        proj = r @ u
        perp = np.linalg.norm(r - proj[:, None] * u, axis=-1)
        return np.where((proj < 0) & (perp < EARTH_SHADOW_RADIUS_KM), 0.0, 1.0)
    d = s - r
    dn = np.linalg.norm(d, axis=-1)
    rn = np.linalg.norm(r, axis=-1)
    a = np.arcsin(np.clip(SUN_RADIUS_KM / dn, -1, 1))
    b = np.arcsin(np.clip(EARTH_SHADOW_RADIUS_KM / rn, -1, 1))
    c = np.arccos(np.clip(-np.sum(r * d, axis=-1) / (rn * dn), -1, 1))
    nu = np.ones_like(rn)
    umbra = c < b - a
    annular = c < a - b
    partial = (c < a + b) & ~umbra & ~annular
    nu = np.where(umbra, 0.0, nu)
    nu = np.where(annular, 1.0 - b * b / (a * a), nu)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = (c * c + a * a - b * b) / (2 * c)
        y = np.sqrt(np.maximum(a * a - x * x, 0.0))
        area = (
            a * a * np.arccos(np.clip(x / a, -1, 1))
            + b * b * np.arccos(np.clip((c - x) / b, -1, 1))
            - c * y
        )
        nu_p = 1.0 - area / (np.pi * a * a)
    return np.where(partial, nu_p, nu)


class Dynamics:
    """Evaluates a :class:`ForceModel` over one arc starting at ``epoch_utc``.

    Time arguments are seconds since the epoch.  ``t_span_s`` bounds the Sun/Moon tables.
    """

    def __init__(
        self,
        force_model: ForceModel,
        epoch_utc,
        t_span_s: tuple[float, float] = (0.0, 86400.0),
        finite_burns: tuple[tuple[float, FiniteBurn], ...] = (),
    ):
        self.fm = force_model
        self.times = EpochTimes(epoch_utc)
        fm = force_model
        self.geo = (
            Geopotential(fm.gravity_degree, fm.gravity_order) if fm.gravity_degree >= 2 else None
        )
        self.mu_km3_s2 = fm.mu_km3_s2 if fm.mu_km3_s2 is not None else egm96().gm_km3_s2
        self.sunmoon = (
            SunMoonTable(self.times, t_span_s[0], t_span_s[1], fm.ephemeris)
            if fm.needs_sun
            else None
        )
        self.finite_burns = tuple(finite_burns)  # (start offset s, burn)
        self._prec_t = None
        self._prec = None
        self.n_evals = 0

    def earth_fixed_matrix(self, t_s: float) -> np.ndarray:
        """GCRS -> Earth-fixed 3x3 at ``t_s`` (precession refreshed every 6 h of arc)."""
        if self._prec_t is None or abs(t_s - self._prec_t) > 21600.0:
            self._prec_t = t_s
            self._prec = precession_iau76(float(self.times.jd_tt(t_s)))
        return rot3(gmst_iau82_rad(float(self.times.jd_ut1(t_s)))) @ self._prec

    def acceleration_km_s2(self, t_s: float, r_km: np.ndarray, v_km_s: np.ndarray) -> np.ndarray:
        """Total acceleration (n, 3), GCRS km/s^2."""
        self.n_evals += 1
        fm = self.fm
        need_ef = self.geo is not None or fm.has_drag
        m_ef = self.earth_fixed_matrix(t_s) if need_ef else None
        if self.geo is not None:
            acc = self.geo.acceleration_km_s2(r_km @ m_ef.T) @ m_ef
        else:
            rn = np.linalg.norm(r_km, axis=-1, keepdims=True)
            acc = -self.mu_km3_s2 * r_km / rn**3
        r_sun = r_moon = None
        if self.sunmoon is not None:
            r_sun, r_moon = self.sunmoon.positions(t_s)
        if fm.has_drag:
            acc = acc + self._drag(r_km, v_km_s, m_ef, r_sun, t_s)
        if fm.srp and fm.cr_area_mass_m2_kg > 0:
            d = r_km - r_sun
            dn = np.linalg.norm(d, axis=-1, keepdims=True)
            nu = shadow_factor(r_km, r_sun, fm.shadow)[:, None]
            p = SOLAR_PRESSURE_1AU_N_M2 * (AU_KM / dn) ** 2
            acc = acc + nu * p * fm.cr_area_mass_m2_kg * d / dn / 1000.0
        if fm.third_body:
            for gm, s in ((GM_SUN_KM3_S2, r_sun), (GM_MOON_KM3_S2, r_moon)):
                d = s - r_km
                dn = np.linalg.norm(d, axis=-1, keepdims=True)
                acc = acc + gm * (d / dn**3 - s / np.linalg.norm(s) ** 3)
        for t0, burn in self.finite_burns:
            if t0 <= t_s < t0 + burn.duration_s:
                acc = acc + burn.acceleration_km_s2(t_s - t0, r_km, v_km_s)
        return acc

    def _drag(self, r_km, v_km_s, m_ef, r_sun, t_s=0.0):
        fm = self.fm
        pole = m_ef[2]  # Earth-fixed z axis expressed in GCRS
        v_rel = v_km_s - EARTH_ROTATION_RAD_S * np.cross(pole, r_km)
        h = height_km(r_km @ m_ef.T)
        if fm.drag_model == "exponential":
            rho = exponential_density_kg_m3(h)
        elif fm.drag_model == "nrlmsise00":
            from spacerange.frames import itrs_to_geodetic

            lla = itrs_to_geodetic(r_km @ m_ef.T)  # Earth-fixed ~ ITRS (no polar motion)
            t_utc = self.times.epoch_utc + np.timedelta64(int(round(t_s * 1e6)), "us")
            rho = nrlmsise00_density_kg_m3(
                t_utc, lla[:, 0], lla[:, 1], lla[:, 2], fm.f107_sfu, fm.f107a_sfu, fm.ap
            )
        else:
            rho = harris_priester_density_kg_m3(r_km, h, r_sun, fm.harris_priester_n)
        rho = rho * fm.density_scale
        vn = np.linalg.norm(v_rel, axis=-1, keepdims=True)
        # rho [kg/m^3] * B [m^2/kg] = 1/m = 1e3 /km
        return -0.5e3 * (rho * fm.cd_area_mass_m2_kg)[:, None] * vn * v_rel

    def derivatives(self, t_s: float, y: np.ndarray) -> np.ndarray:
        """d/dt of stacked states (n, 6) [km, km/s]."""
        return np.concatenate([y[:, 3:], self.acceleration_km_s2(t_s, y[:, :3], y[:, 3:])], axis=1)

    def derivatives_flat(self, t_s: float, y: np.ndarray) -> np.ndarray:
        """Same as :meth:`derivatives` for a flat (6,) state (``solve_ivp`` signature)."""
        return self.derivatives(t_s, y.reshape(1, 6)).ravel()


def reentry_height_km() -> float:
    """Height (km) below which an object is declared decayed and stops propagating."""
    return 80.0


__all__ = [
    "EARTH_EQUATORIAL_RADIUS_KM",
    "Dynamics",
    "ForceModel",
    "shadow_factor",
]
