"""NASA Standard Breakup Model: fragments from explosions and collisions.

Implements the NASA Standard Breakup Model (SBM) of EVOLVE 4.0:

* Johnson, N.L., Krisko, P.H., Liou, J.-C., Anz-Meador, P.D., "NASA's new breakup model of
  EVOLVE 4.0", Adv. Space Res. 28(9), 1377-1384, 2001 (equation numbers below follow it);
* Krisko, P.H., "Proper Implementation of the 1998 NASA Breakup Model", Orbital Debris
  Quarterly News 15(4), 2011 (non-catastrophic collisions: M = m_projectile * v_km_s**2).

Parameter values were cross-checked against ESA's C++ implementation
(esa/NASA-breakup-model-cpp, ``UtilityAreaMassRatio.h``) and NASA CARA's
``CollisionConsequenceNumPieces.m``; they are kept here as module constants (with the
paper's rounding) so the package needs no data files at run time.

What the model gives, per fragment: characteristic length ``Lc`` [m] (power law, eqs. 2/4),
area-to-mass ratio ``A/M`` [m^2/kg] (eqs. 5-7, parent-type dependent for Lc > 11 cm, the
"small fragment" normal for Lc < 8 cm, a bridge in between), area ``A`` [m^2] from Lc
(eq. 8/9), mass ``A / (A/M)`` [kg] and an isotropic ejection speed ``dV`` (log-normal,
eqs. 11/12).  Fragments are re-entry agnostic: :meth:`Fragments.to_elsets` flags the ones
whose perigee lies below ~100 km, it does not remove them.

Choices this implementation makes where the papers leave room (all documented again on the
functions):

* **Count.**  The number of fragments >= ``min_lc_m`` is drawn from a Poisson law whose mean
  is the published power law N(>= Lc) (``poisson=False`` uses ``floor(N)`` as ESA and CARA
  do).  Sizes are drawn from the power law truncated at the largest parent's size, Lc_max,
  taken from the parent's mass with the SBM sphere density rho = 92.937 * Lc**-0.74 kg/m^3
  (as in the ESA implementation).
* **A/M for 11 cm > Lc > 8 cm.**  The bridge is a *mixture* of the two distributions with
  weight ``beta = (Lc - 0.08) / 0.03`` on the large-fragment law, so its density moves
  continuously from one to the other and has a closed-form CDF
  (:func:`log_area_to_mass_cdf`).  (ESA interpolates two samples linearly in A/M instead.)
  The large-fragment law is the bimodal *mixture* alpha*N(mu1, s1) + (1-alpha)*N(mu2, s2)
  of the paper's density (ESA samples the weighted *sum* of two normals, a different law).
* **Mass conservation.**  The mass budget is the parent mass (explosion), the sum of both
  masses (catastrophic collision), or M = m_p * v**2 capped at the sum (non-catastrophic
  ejecta).  If the sampled fragments weigh more than the budget, the *heaviest* fragments
  are removed (fewest removals, so the >= Lc count that the model is built on is kept)
  until they fit; whatever the budget still holds — the mass in the pieces the
  remaining sampled ones leave unaccounted for — goes to **one remnant fragment**
  (``is_remnant``), with Lc from the sphere density law, A from Lc and A/M = A/m.  For a
  non-catastrophic collision the remnant is the cratered target (mass m_t + m_p minus all
  ejecta) and keeps the target's velocity (dV = 0).  Hence the total fragment mass equals
  the parents' mass and never exceeds it (``conserve_mass=False`` drops the remnant; the
  total is then <= the budget).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import numpy as np

from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM

# the SGP4 mean-element fit lives in propagation (one implementation, also the world's)
from spacerange.propagation.mean_elements import classical_from_equinoctial as _classical
from spacerange.propagation.mean_elements import fit_mean_equinoctial as _fit_mean_equinoctial
from spacerange.propagation.mean_elements import kepler_equinoctial as _kepler_equinoctial
from spacerange.propagation.mean_elements import satrecs_from_elements as _satrecs
from spacerange.propagation.mean_elements import sgp4_states_at as _sgp4_states

if TYPE_CHECKING:
    from spacerange.catalog.model import ElementSet

__all__ = [
    "Fragments",
    "FragmentElements",
    "breakup_explosion",
    "breakup_collision",
    "collision_energy_j_g",
    "expected_fragment_count",
    "characteristic_length_to_area_m2",
    "characteristic_length_from_mass_m",
    "sample_log_area_to_mass",
    "log_area_to_mass_cdf",
    "sample_delta_v_m_s",
    "delta_v_cdf",
    "bstar_from_area_to_mass",
    "DEFAULT_PARENT_R_TEME_KM",
    "DEFAULT_PARENT_V_TEME_KM_S",
]

ParentKind = Literal["rocket_body", "spacecraft"]
EventKind = Literal["explosion", "collision"]

# --------------------------------------------------------------------------------------
# Parameters (Johnson et al. 2001; Krisko 2011).  A piecewise parameter is
# (lo, hi, low, high, (a, b, c)): value = low for lambda_c <= lo, high for lambda_c >= hi,
# else a + b * (lambda_c + c) — the paper's own (rounded) linear formula.
# --------------------------------------------------------------------------------------

CATASTROPHIC_THRESHOLD_J_G = 40.0
"""Energy-to-target-mass ratio above which a collision is catastrophic (Johnson 2001)."""

EXPLOSION_COUNT_COEFF = 6.0  # eq. 2: N(>=Lc) = 6 S Lc^-1.6
EXPLOSION_COUNT_EXPONENT = 1.6
COLLISION_COUNT_COEFF = 0.1  # eq. 4: N(>=Lc) = 0.1 M^0.75 Lc^-1.71
COLLISION_MASS_EXPONENT = 0.75
COLLISION_COUNT_EXPONENT = 1.71

AREA_LC_SMALL_M = 0.00167  # eq. 8/9 switch
AREA_COEFF_SMALL = 0.540424
AREA_COEFF_LARGE = 0.556945
AREA_EXPONENT_LARGE = 2.0047077

SPHERE_DENSITY_COEFF = 92.937  # rho = 92.937 Lc^-0.74 kg/m^3 (SBM; ESA util)
SPHERE_DENSITY_EXPONENT = -0.74

LARGE_LC_M = 0.11  # above: bimodal, parent-type law
SMALL_LC_M = 0.08  # below: small-fragment law

DELTA_V_SIGMA = 0.4  # eqs. 11/12, log10(dV [m/s])
DELTA_V_MU = {"explosion": (0.2, 1.85), "collision": (0.9, 2.9)}  # mu = a chi + b

_Piece = tuple[float, float, float, float, tuple[float, float, float]]

AREA_TO_MASS_PARAMETERS: dict[str, dict[str, _Piece | float]] = {
    "spacecraft": {
        "alpha": (-1.95, 0.55, 0.0, 1.0, (0.3, 0.4, 1.2)),
        "mu1": (-1.1, 0.0, -0.6, -0.95, (-0.6, -0.318, 1.1)),
        "sigma1": (-1.3, -0.3, 0.1, 0.3, (0.1, 0.2, 1.3)),
        "mu2": (-0.7, -0.1, -1.2, -2.0, (-1.2, -1.333, 0.7)),
        "sigma2": (-0.5, -0.3, 0.5, 0.3, (0.5, -1.0, 0.5)),
    },
    "rocket_body": {
        "alpha": (-1.4, 0.0, 1.0, 0.5, (1.0, -0.3571, 1.4)),
        "mu1": (-0.5, 0.0, -0.45, -0.9, (-0.45, -0.9, 0.5)),
        "sigma1": 0.55,
        "mu2": -0.9,
        # Paper form (continuous); ESA's C++ has a sign typo "-0.28 - ..." here.
        "sigma2": (-1.0, 0.1, 0.28, 0.1, (0.28, -0.1636, 1.0)),
    },
    "small": {
        "mu_soc": (-1.75, -1.25, -0.3, -1.0, (-0.3, -1.4, 1.75)),
        # 0.2 for lambda_c <= -3.5, else 0.2 + 0.1333 (lambda_c + 3.5) (no upper clamp)
        "sigma_soc": (-3.5, math.inf, 0.2, math.nan, (0.2, 0.1333, 3.5)),
    },
}

MU_EARTH_KM3_S2 = MU_WGS72_KM3_S2  # as SGP4 uses
R_EARTH_KM = RE_WGS72_KM
R_EARTH_M = R_EARTH_KM * 1e3
BSTAR_RHO0_KG_M3 = 2.461e-8
"""SGP4 reference density (at q0 = 120 km): 2.461e-5 kg/m^2/km = 0.156966 kg/m^2 per earth
radius (Hoots & Roehrich 1980; Vallado 2013 sec. 9.7)."""

_DEFAULT_ALT_KM = 800.0
_DEFAULT_INC_DEG = 98.6
_v_circ = math.sqrt(MU_EARTH_KM3_S2 / (R_EARTH_KM + _DEFAULT_ALT_KM))
DEFAULT_PARENT_R_TEME_KM = np.array([R_EARTH_KM + _DEFAULT_ALT_KM, 0.0, 0.0])
"""Default parent position (TEME, km): 800 km circular orbit, 98.6 deg, RAAN 0, at the node."""
DEFAULT_PARENT_V_TEME_KM_S = np.array(
    [0.0, _v_circ * math.cos(math.radians(_DEFAULT_INC_DEG)),
     _v_circ * math.sin(math.radians(_DEFAULT_INC_DEG))]
)  # fmt: skip
"""Default parent velocity (TEME, km/s) matching :data:`DEFAULT_PARENT_R_TEME_KM`."""

_MAX_FRAGMENTS = 5_000_000


# --------------------------------------------------------------------------------------
# Deterministic pieces of the model
# --------------------------------------------------------------------------------------


def _check_kind(kind: str, what: str = "parent_kind") -> str:
    if kind not in ("rocket_body", "spacecraft"):
        raise ValueError(f"{what}: expected 'rocket_body' or 'spacecraft', got {kind!r}")
    return kind


def _check_positive(value: float, name: str, allow_zero: bool = False) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0.0 or (v == 0.0 and not allow_zero):
        need = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: must be a finite number {need}, got {value!r}")
    return v


def collision_energy_j_g(
    target_mass_kg: float, impactor_mass_kg: float, rel_speed_km_s: float
) -> float:
    """Energy-to-target-mass ratio E_p = 0.5 m_p v^2 / m_t in J/g (Johnson 2001).

    The projectile is the lighter of the two bodies and the target the heavier, whatever
    the argument order (as in CARA's ``CollisionConsequenceNumPieces``).
    """
    m_t = max(target_mass_kg, impactor_mass_kg)
    m_p = min(target_mass_kg, impactor_mass_kg)
    if m_t == 0.0:
        return 0.0
    return 0.5 * m_p * (rel_speed_km_s * 1e3) ** 2 / m_t / 1e3


def expected_fragment_count(
    event: EventKind,
    min_lc_m: float,
    *,
    mass_kg: float = 0.0,
    scaling_s: float = 1.0,
) -> float:
    """Expected number of fragments with Lc >= ``min_lc_m`` (eqs. 2 and 4).

    ``event='explosion'``: N = 6 S Lc^-1.6.  ``event='collision'``: N = 0.1 M^0.75 Lc^-1.71
    with ``mass_kg`` = M (total mass if catastrophic, else m_p * v_km_s^2).
    """
    lc = _check_positive(min_lc_m, "min_lc_m")
    if event == "explosion":
        return EXPLOSION_COUNT_COEFF * scaling_s * lc**-EXPLOSION_COUNT_EXPONENT
    if event == "collision":
        return (
            COLLISION_COUNT_COEFF * mass_kg**COLLISION_MASS_EXPONENT * lc**-COLLISION_COUNT_EXPONENT
        )
    raise ValueError(f"event: expected 'explosion' or 'collision', got {event!r}")


def characteristic_length_to_area_m2(lc_m: np.ndarray) -> np.ndarray:
    """Average cross-sectional area [m^2] from characteristic length [m] (eqs. 8/9)."""
    lc = np.asarray(lc_m, dtype=float)
    return np.where(
        lc < AREA_LC_SMALL_M,
        AREA_COEFF_SMALL * lc**2,
        AREA_COEFF_LARGE * lc**AREA_EXPONENT_LARGE,
    )


def characteristic_length_from_mass_m(mass_kg: np.ndarray) -> np.ndarray:
    """Characteristic length [m] of a sphere of mass ``mass_kg`` with the SBM density law
    rho = 92.937 Lc^-0.74 kg/m^3, i.e. m = (pi/6) 92.937 Lc^2.26."""
    m = np.asarray(mass_kg, dtype=float)
    return (6.0 * m / (SPHERE_DENSITY_COEFF * np.pi)) ** (1.0 / (3.0 + SPHERE_DENSITY_EXPONENT))


def _piecewise(spec: _Piece | float, lam: np.ndarray) -> np.ndarray:
    if not isinstance(spec, tuple):
        return np.full_like(lam, float(spec))
    lo, hi, low, high, (a, b, c) = spec
    mid = a + b * (lam + c)
    out = np.where(lam <= lo, low, mid)
    return np.where(lam >= hi, high, out)


def _large_params(lam: np.ndarray, kind: str) -> tuple[np.ndarray, ...]:
    p = AREA_TO_MASS_PARAMETERS[kind]
    return tuple(_piecewise(p[k], lam) for k in ("alpha", "mu1", "sigma1", "mu2", "sigma2"))


def _small_params(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = AREA_TO_MASS_PARAMETERS["small"]
    return _piecewise(p["mu_soc"], lam), _piecewise(p["sigma_soc"], lam)


def _bridge_weight(lc: np.ndarray) -> np.ndarray:
    """Weight of the large-fragment law: 0 below 8 cm, 1 above 11 cm, linear between."""
    return np.clip((lc - SMALL_LC_M) / (LARGE_LC_M - SMALL_LC_M), 0.0, 1.0)


def log_area_to_mass_cdf(chi: np.ndarray, lc_m: np.ndarray, parent_kind: ParentKind) -> np.ndarray:
    """CDF of chi = log10(A/M [m^2/kg]) given Lc [m] for the chosen parent kind.

    Lc > 11 cm: alpha Phi((chi-mu1)/s1) + (1-alpha) Phi((chi-mu2)/s2); Lc < 8 cm:
    Phi((chi-mu_soc)/s_soc); between: the mixture ``beta * large + (1-beta) * small``.
    """
    from scipy.special import ndtr

    _check_kind(parent_kind)
    chi = np.asarray(chi, dtype=float)
    lc = np.broadcast_to(np.asarray(lc_m, dtype=float), chi.shape)
    lam = np.log10(lc)
    alpha, mu1, s1, mu2, s2 = _large_params(lam, parent_kind)
    mus, ss = _small_params(lam)
    large = alpha * ndtr((chi - mu1) / s1) + (1.0 - alpha) * ndtr((chi - mu2) / s2)
    small = ndtr((chi - mus) / ss)
    beta = _bridge_weight(lc)
    return beta * large + (1.0 - beta) * small


def sample_log_area_to_mass(
    lc_m: np.ndarray, parent_kind: ParentKind, rng: np.random.Generator
) -> np.ndarray:
    """Draw chi = log10(A/M [m^2/kg]) for each Lc [m] (eqs. 5-7; see module notes).

    The law's CDF is :func:`log_area_to_mass_cdf`.
    """
    _check_kind(parent_kind)
    lc = np.asarray(lc_m, dtype=float)
    lam = np.log10(lc)
    alpha, mu1, s1, mu2, s2 = _large_params(lam, parent_kind)
    mus, ss = _small_params(lam)
    z = rng.standard_normal(lc.shape)
    use_large = rng.random(lc.shape) < _bridge_weight(lc)
    use_first = rng.random(lc.shape) < alpha
    large = np.where(use_first, mu1 + s1 * z, mu2 + s2 * z)
    return np.where(use_large, large, mus + ss * z)


def sample_delta_v_m_s(chi: np.ndarray, event: EventKind, rng: np.random.Generator) -> np.ndarray:
    """Draw ejection speeds [m/s]: log10(dV) ~ N(a chi + b, 0.4) (eqs. 11/12)."""
    a, b = _delta_v_coeffs(event)
    chi = np.asarray(chi, dtype=float)
    return 10.0 ** (a * chi + b + DELTA_V_SIGMA * rng.standard_normal(chi.shape))


def delta_v_cdf(dv_m_s: np.ndarray, chi: np.ndarray, event: EventKind) -> np.ndarray:
    """CDF of the ejection speed [m/s] given chi = log10(A/M) (eqs. 11/12)."""
    from scipy.special import ndtr

    a, b = _delta_v_coeffs(event)
    return ndtr(
        (np.log10(np.asarray(dv_m_s, dtype=float)) - (a * np.asarray(chi) + b)) / DELTA_V_SIGMA
    )


def _delta_v_coeffs(event: str) -> tuple[float, float]:
    try:
        return DELTA_V_MU[event]
    except KeyError:
        raise ValueError(f"event: expected 'explosion' or 'collision', got {event!r}") from None


def _isotropic_unit(n: int, rng: np.random.Generator) -> np.ndarray:
    u = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    s = np.sqrt(1.0 - u * u)
    return np.stack([s * np.cos(phi), s * np.sin(phi), u], axis=-1)


def _sample_power_law_lc(
    n: int, lo_m: float, hi_m: float, exponent: float, rng: np.random.Generator
) -> np.ndarray:
    """Lc with N(>=Lc) ~ Lc^-exponent, truncated to [lo, hi] (inverse CDF)."""
    u = rng.random(n)
    a, b = lo_m**-exponent, hi_m**-exponent
    return (a - u * (a - b)) ** (-1.0 / exponent)


def bstar_from_area_to_mass(area_to_mass_m2_kg: np.ndarray, cd: float = 2.2) -> np.ndarray:
    """SGP4 B* [1/earth radii] from A/M [m^2/kg]: B* = Cd (A/M) rho0 R_E / 2.

    rho0 = 2.461e-8 kg/m^3 (SGP4 reference density), R_E = 6378135 m, i.e.
    B* = Cd (A/M) / 12.741621 (Vallado 2013, sec. 9.7).
    """
    return cd * np.asarray(area_to_mass_m2_kg, dtype=float) * BSTAR_RHO0_KG_M3 * R_EARTH_M / 2.0


# --------------------------------------------------------------------------------------
# Fragments
# --------------------------------------------------------------------------------------


@dataclass
class Fragments:
    """Fragments of one breakup.  Arrays have shape (n,) unless stated; ``dv_km_s`` is
    (n, 3), the ejection velocity relative to the fragment's parent, in the parent's
    inertial frame (isotropic).  ``parent_index`` is 0 for the exploding body / collision
    target and 1 for the impactor.  ``is_remnant`` marks the mass-conservation remnant
    (see module notes); the SBM counts refer to the other fragments (``n_debris``)."""

    lc_m: np.ndarray
    area_to_mass_m2_kg: np.ndarray
    area_m2: np.ndarray
    mass_kg: np.ndarray
    dv_km_s: np.ndarray
    parent_index: np.ndarray
    is_remnant: np.ndarray
    event: EventKind
    parent_kind: ParentKind
    parent_masses_kg: tuple[float, ...]
    min_lc_m: float
    expected_count: float
    """Published power-law N(>= min_lc_m): deterministic."""
    mass_budget_kg: float
    """Mass the SBM fragments may carry (explosion: parent; catastrophic: m_t + m_p;
    non-catastrophic: min(m_p v^2, m_t + m_p))."""
    catastrophic: bool | None = None
    energy_j_g: float | None = None
    characteristic_mass_kg: float | None = None
    """M of eq. 4 (collisions only)."""
    n_removed: int = 0
    """Sampled fragments removed because they overran the mass budget."""
    extra: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.lc_m.shape[0])

    @property
    def n_debris(self) -> int:
        """Number of SBM fragments (>= ``min_lc_m``), the remnant excluded."""
        return int(np.count_nonzero(~self.is_remnant))

    @property
    def total_mass_kg(self) -> float:
        return float(np.sum(self.mass_kg))

    @property
    def chi(self) -> np.ndarray:
        """log10(A/M [m^2/kg])."""
        return np.log10(self.area_to_mass_m2_kg)

    def with_parent_state(
        self, r_km: np.ndarray | None = None, v_km_s: np.ndarray | None = None
    ) -> np.ndarray:
        """Fragment states (n, 6) [km, km/s] in the parents' inertial frame (e.g. TEME).

        ``r_km``/``v_km_s``: shape (3,) (one parent state for all fragments) or
        (n_parents, 3) (row ``parent_index``).  Each fragment gets its parent's position
        and the parent's velocity plus ``dv_km_s``.  Without a state the parent is put on
        the default orbit (800 km circular, 98.6 deg, RAAN 0, at the ascending node):
        :data:`DEFAULT_PARENT_R_TEME_KM`, :data:`DEFAULT_PARENT_V_TEME_KM_S`.
        """
        if (r_km is None) != (v_km_s is None):
            raise ValueError("with_parent_state: give both r_km and v_km_s, or neither")
        if r_km is None:
            r_km, v_km_s = DEFAULT_PARENT_R_TEME_KM, DEFAULT_PARENT_V_TEME_KM_S
        r = np.asarray(r_km, dtype=float)
        v = np.asarray(v_km_s, dtype=float)
        for name, x in (("r_km", r), ("v_km_s", v)):
            if x.shape[-1:] != (3,) or x.ndim > 2 or not np.all(np.isfinite(x)):
                raise ValueError(
                    f"{name}: expected finite shape (3,) or (n_parents, 3), got {x.shape}"
                )
        r_f = r[self.parent_index] if r.ndim == 2 else np.broadcast_to(r, (self.n, 3))
        v_f = v[self.parent_index] if v.ndim == 2 else np.broadcast_to(v, (self.n, 3))
        return np.concatenate([r_f, v_f + self.dv_km_s], axis=-1)

    def to_elsets(
        self,
        epoch: datetime | np.datetime64,
        r_km: np.ndarray | None = None,
        v_km_s: np.ndarray | None = None,
        *,
        cd: float = 2.2,
        first_norad_id: int = 80000,
        name_prefix: str = "FRAGMENT",
        cospar_id: str = "",
        fit_iterations: int = 3,
        reentry_perigee_alt_km: float = 100.0,
    ) -> FragmentElements:
        """SGP4 element sets for the fragments at ``epoch`` (states from
        :meth:`with_parent_state`, TEME assumed; default orbit when no state is given).

        Mean elements: start from the osculating Kepler elements (WGS-72) and apply
        ``fit_iterations`` fixed-point corrections so that SGP4 at epoch (tsince = 0)
        reproduces the fragment's osculating elements (corrections in equinoctial
        elements, so near-circular orbits are fine); 0 iterations = osculating as mean.
        B* from A/M via :func:`bstar_from_area_to_mass`.  Fragments on hyperbolic orbits or
        with osculating perigee below ``reentry_perigee_alt_km`` are flagged
        ``reentering`` and get no element set.  NORAD ids run from ``first_norad_id``
        (the 80000-89999 analyst range by default; Alpha-5 above 99999).
        """
        state = self.with_parent_state(r_km, v_km_s)
        return _states_to_elements(
            state,
            _epoch_jd(epoch),
            bstar_from_area_to_mass(self.area_to_mass_m2_kg, cd),
            first_norad_id=first_norad_id,
            name_prefix=name_prefix,
            cospar_id=cospar_id,
            fit_iterations=fit_iterations,
            reentry_perigee_alt_km=reentry_perigee_alt_km,
        )


def _finish(
    lc: np.ndarray,
    event: EventKind,
    kind: ParentKind,
    budget_kg: float,
    total_parent_kg: float,
    rng: np.random.Generator,
    conserve_mass: bool,
    remnant_keeps_parent_velocity: bool,
) -> dict:
    """A/M, area, mass, budget enforcement, remnant, dV: the common tail of both events."""
    chi = sample_log_area_to_mass(lc, kind, rng)
    am = 10.0**chi
    area = characteristic_length_to_area_m2(lc)
    mass = area / am

    # Over budget: drop the heaviest fragments (fewest removals) until the rest fit.
    n_removed = 0
    excess = float(mass.sum()) - budget_kg
    if excess > 0.0:
        order = np.argsort(-mass, kind="stable")
        cum = np.cumsum(mass[order])
        n_removed = min(int(np.searchsorted(cum, excess, side="left")) + 1, lc.size)
        keep = np.ones(lc.size, dtype=bool)
        keep[order[:n_removed]] = False
        while n_removed < lc.size and float(np.sum(mass[keep])) > budget_kg:
            keep[order[n_removed]] = False  # round-off guard
            n_removed += 1
        lc, chi, am, area, mass = lc[keep], chi[keep], am[keep], area[keep], mass[keep]

    dv = sample_delta_v_m_s(chi, event, rng)[:, None] * 1e-3 * _isotropic_unit(lc.size, rng)
    is_remnant = np.zeros(lc.size, dtype=bool)

    if conserve_mass:
        remnant = total_parent_kg - float(mass.sum())
        if remnant > 0.0:
            r_lc = characteristic_length_from_mass_m(np.array([remnant]))
            r_area = characteristic_length_to_area_m2(r_lc)
            r_am = r_area / remnant
            if remnant_keeps_parent_velocity:
                r_dv = np.zeros((1, 3))
            else:
                r_dv = sample_delta_v_m_s(np.log10(r_am), event, rng)[:, None] * 1e-3
                r_dv = r_dv * _isotropic_unit(1, rng)
            mass = np.concatenate([mass, [remnant]])
            # Round-off guard: the fragments' sum must never exceed the parents' mass.
            while float(np.sum(mass)) > total_parent_kg:
                mass[-1] = np.nextafter(mass[-1], 0.0)
            lc = np.concatenate([lc, r_lc])
            am = np.concatenate([am, r_am])
            area = np.concatenate([area, r_area])
            dv = np.concatenate([dv, r_dv])
            is_remnant = np.concatenate([is_remnant, [True]])
    return dict(
        lc_m=lc,
        area_to_mass_m2_kg=am,
        area_m2=area,
        mass_kg=mass,
        dv_km_s=dv,
        is_remnant=is_remnant,
        n_removed=n_removed,
    )


def _draw_count(expected: float, poisson: bool, rng: np.random.Generator) -> int:
    if expected > _MAX_FRAGMENTS:
        raise ValueError(
            f"min_lc_m: {expected:.3g} fragments expected, more than the {_MAX_FRAGMENTS} "
            "this implementation generates; raise min_lc_m"
        )
    return int(rng.poisson(expected)) if poisson else int(math.floor(expected))


def breakup_explosion(
    parent_mass_kg: float,
    parent_kind: ParentKind = "rocket_body",
    min_lc_m: float = 0.05,
    rng: np.random.Generator | None = None,
    scaling_s: float = 1.0,
    *,
    poisson: bool = True,
    conserve_mass: bool = True,
) -> Fragments:
    """Explosion of one body (eq. 2): N(>= Lc) = 6 S Lc^-1.6 fragments >= ``min_lc_m`` [m].

    ``parent_mass_kg`` [kg]; ``parent_kind`` selects the large-fragment A/M law;
    ``scaling_s`` is the unitless S; ``rng`` a ``numpy.random.Generator`` (fresh one if
    None).  dV from eq. 11 (mu = 0.2 chi + 1.85).  See the module notes for the count law
    and the mass-conservation remnant.
    """
    m = _check_positive(parent_mass_kg, "parent_mass_kg")
    _check_kind(parent_kind)
    lc_min = _check_positive(min_lc_m, "min_lc_m")
    s = _check_positive(scaling_s, "scaling_s", allow_zero=True)
    rng = np.random.default_rng() if rng is None else rng
    expected = expected_fragment_count("explosion", lc_min, scaling_s=s)
    lc_max = float(characteristic_length_from_mass_m(m))
    n = _draw_count(expected, poisson, rng) if lc_max > lc_min else 0
    lc = _sample_power_law_lc(n, lc_min, max(lc_max, lc_min), EXPLOSION_COUNT_EXPONENT, rng)
    parts = _finish(lc, "explosion", parent_kind, m, m, rng, conserve_mass, False)
    return Fragments(
        parent_index=np.zeros(parts["lc_m"].size, dtype=np.int64),
        event="explosion",
        parent_kind=parent_kind,
        parent_masses_kg=(m,),
        min_lc_m=lc_min,
        expected_count=expected,
        mass_budget_kg=m,
        **parts,
    )


def breakup_collision(
    target_mass_kg: float,
    impactor_mass_kg: float,
    rel_speed_km_s: float,
    kind: ParentKind | tuple[ParentKind, ParentKind] = "spacecraft",
    min_lc_m: float = 0.05,
    rng: np.random.Generator | None = None,
    *,
    poisson: bool = True,
    conserve_mass: bool = True,
) -> Fragments:
    """Collision of two bodies (eq. 4): N(>= Lc) = 0.1 M^0.75 Lc^-1.71.

    Catastrophic when E_p = 0.5 m_p v^2 / m_t > 40 J/g (projectile = lighter body,
    :func:`collision_energy_j_g`); then M = m_t + m_p and both bodies fragment, otherwise
    M = m_p * v_km_s^2 (Krisko 2011) and only the ejecta are SBM fragments, the cratered
    target becomes the remnant.  ``kind``: one parent kind, or (target_kind,
    impactor_kind), in which case the rocket-body A/M law is used if either is a rocket
    body (as ESA does).  dV from eq. 12 (mu = 0.9 chi + 2.9).

    Parents: fragments larger than the projectile's size come from the target; the others
    from the impactor with probability (impactor's share of the fragmenting mass).
    """
    m_t = _check_positive(target_mass_kg, "target_mass_kg", allow_zero=True)
    m_i = _check_positive(impactor_mass_kg, "impactor_mass_kg", allow_zero=True)
    v = _check_positive(rel_speed_km_s, "rel_speed_km_s", allow_zero=True)
    lc_min = _check_positive(min_lc_m, "min_lc_m")
    if isinstance(kind, tuple):
        if len(kind) != 2:
            raise ValueError(f"kind: expected a kind or a (target, impactor) pair, got {kind!r}")
        kinds = [_check_kind(k, "kind") for k in kind]
        parent_kind: ParentKind = "rocket_body" if "rocket_body" in kinds else "spacecraft"
    else:
        parent_kind = _check_kind(kind, "kind")  # type: ignore[assignment]
    rng = np.random.default_rng() if rng is None else rng

    total = m_t + m_i
    m_proj = min(m_t, m_i)
    energy = collision_energy_j_g(m_t, m_i, v)
    catastrophic = energy > CATASTROPHIC_THRESHOLD_J_G  # "exceeds 40 J/g"; CARA: 40.0 is not
    big_m = total if catastrophic else m_proj * v**2
    budget = min(big_m, total)
    expected = expected_fragment_count("collision", lc_min, mass_kg=big_m)
    lc_max = float(characteristic_length_from_mass_m(max(m_t, m_i)))
    n = _draw_count(expected, poisson, rng) if (budget > 0.0 and lc_max > lc_min) else 0
    lc = _sample_power_law_lc(n, lc_min, max(lc_max, lc_min), COLLISION_COUNT_EXPONENT, rng)
    parts = _finish(
        lc, "collision", parent_kind, budget, total, rng, conserve_mass, not catastrophic
    )

    # Parent assignment.  "target" = argument target_mass_kg (index 0), impactor index 1.
    lc_f = parts["lc_m"]
    impactor_is_projectile = m_i <= m_t
    proj_idx = 1 if impactor_is_projectile else 0
    m_fragmenting_proj = m_proj
    p_proj = min(1.0, m_fragmenting_proj / budget) if budget > 0 else 0.0
    lc_proj = float(characteristic_length_from_mass_m(m_proj)) if m_proj > 0 else 0.0
    from_proj = (rng.random(lc_f.size) < p_proj) & (lc_f <= lc_proj) & ~parts["is_remnant"]
    parent_index = np.where(from_proj, proj_idx, 1 - proj_idx).astype(np.int64)
    if parts["is_remnant"].any():
        parent_index[parts["is_remnant"]] = 1 - proj_idx  # the heavier body
    return Fragments(
        parent_index=parent_index,
        event="collision",
        parent_kind=parent_kind,
        parent_masses_kg=(m_t, m_i),
        min_lc_m=lc_min,
        expected_count=expected,
        mass_budget_kg=budget,
        catastrophic=bool(catastrophic),
        energy_j_g=energy,
        characteristic_mass_kg=big_m,
        **parts,
    )


# --------------------------------------------------------------------------------------
# States -> SGP4 element sets
# --------------------------------------------------------------------------------------


@dataclass
class FragmentElements:
    """Fragment orbits at ``epoch_jd`` (UTC Julian date, two parts).  Arrays are (n,).

    ``state_teme`` (n, 6) km, km/s: the fragments' osculating states.  Mean (SGP4)
    elements are NaN where no element set was made (``reentering`` or ``sgp4_error`` != 0).
    Altitudes are above the WGS-72 equatorial radius (6378.135 km).  ``elsets`` holds the
    element sets of the fragments ``elset_index`` (in that order).
    """

    epoch_jd: tuple[float, float]
    state_teme: np.ndarray
    osc_perigee_alt_km: np.ndarray
    osc_apogee_alt_km: np.ndarray
    reentering: np.ndarray
    mean_motion_rev_day: np.ndarray
    eccentricity: np.ndarray
    inclination_deg: np.ndarray
    raan_deg: np.ndarray
    arg_perigee_deg: np.ndarray
    mean_anomaly_deg: np.ndarray
    bstar: np.ndarray
    perigee_alt_km: np.ndarray
    apogee_alt_km: np.ndarray
    period_min: np.ndarray
    fit_residual_km: np.ndarray
    """|r_SGP4(epoch) - r_fragment| after the fit, km."""
    sgp4_error: np.ndarray
    elset_index: np.ndarray
    elsets: list[ElementSet]


def _epoch_jd(epoch: datetime | np.datetime64) -> tuple[float, float]:
    if isinstance(epoch, np.datetime64):
        us = epoch.astype("datetime64[us]").astype(np.int64)
        days, rem_us = divmod(int(us), 86_400_000_000)
        return 2440587.5 + days, rem_us / 86_400e6
    if isinstance(epoch, datetime):
        if epoch.tzinfo is None:
            raise ValueError("epoch: naive datetime; give a timezone-aware UTC datetime")
        e = epoch.astimezone(UTC)
        midnight = e.replace(hour=0, minute=0, second=0, microsecond=0)
        days = (midnight - datetime(1970, 1, 1, tzinfo=UTC)).days
        return 2440587.5 + days, (e - midnight).total_seconds() / 86400.0
    raise ValueError(f"epoch: expected an aware datetime or numpy.datetime64, got {type(epoch)}")


def _states_to_elements(
    state: np.ndarray,
    jd: tuple[float, float],
    bstar: np.ndarray,
    *,
    first_norad_id: int,
    name_prefix: str,
    cospar_id: str,
    fit_iterations: int,
    reentry_perigee_alt_km: float,
) -> FragmentElements:
    from sgp4.api import Satrec

    from spacerange.catalog.model import ElementSet
    from spacerange.catalog.tle import satrec_tle

    n = state.shape[0]
    if first_norad_id < 1 or first_norad_id + n - 1 > 339999:
        raise ValueError(
            f"first_norad_id: {first_norad_id} + {n} fragments leaves the 1..339999 "
            "(Alpha-5) catalog number range"
        )
    osc = _kepler_equinoctial(state)
    a, e = osc["a"], osc["e"]
    bound = (a > 0) & (e < 1.0)
    with np.errstate(invalid="ignore"):
        osc_perigee = np.where(bound, a * (1 - e) - R_EARTH_KM, np.nan)
        osc_apogee = np.where(bound, a * (1 + e) - R_EARTH_KM, np.inf)
    reentering = ~bound | (osc_perigee < reentry_perigee_alt_km)
    idx = np.flatnonzero(~reentering)

    nan = np.full(n, np.nan)
    out = {k: nan.copy() for k in ("n", "e", "i", "raan", "argp", "M", "res")}
    sgp4_error = np.zeros(n, dtype=np.int64)
    epoch_days = jd[0] - 2433281.5 + jd[1]
    elsets: list[ElementSet] = []
    kept: list[int] = []
    if idx.size:
        target = {k: v[idx] for k, v in osc.items()}
        ids = [first_norad_id + int(j) for j in idx]
        mean = _fit_mean_equinoctial(target, bstar[idx], epoch_days, ids, jd, fit_iterations)
        cl = _classical(mean)
        sats = _satrecs(cl, bstar[idx], epoch_days, ids)
        err, st = _sgp4_states(sats, jd)
        sgp4_error[idx] = err
        res = np.linalg.norm(st[:, :3] - state[idx, :3], axis=-1)
        for j, (i_frag, s, e_code) in enumerate(zip(idx, sats, err, strict=True)):
            if e_code != 0 or not 0 < cl["e"][j] < 1:
                sgp4_error[i_frag] = e_code or 1
                continue
            line1, line2 = satrec_tle(s)
            if cospar_id:
                line1 = _with_cospar(line1, cospar_id)
            t = Satrec.twoline2rv(line1, line2)
            elsets.append(
                ElementSet(
                    norad_id=ids[j],
                    epoch=_jd_to_datetime(t.jdsatepoch, t.jdsatepochF),
                    inclination_deg=math.degrees(t.inclo),
                    raan_deg=math.degrees(t.nodeo),
                    eccentricity=t.ecco,
                    arg_perigee_deg=math.degrees(t.argpo),
                    mean_anomaly_deg=math.degrees(t.mo),
                    mean_motion_rev_day=t.no_kozai * 1440.0 / (2 * math.pi),
                    bstar=t.bstar,
                    line1=line1,
                    line2=line2,
                    name=f"{name_prefix} {j + 1}",
                    cospar_id=cospar_id,
                    source="spacerange.events.breakup (NASA SBM)",
                )
            )
            kept.append(int(i_frag))
            out["n"][i_frag] = t.no_kozai * 1440.0 / (2 * math.pi)
            out["e"][i_frag] = t.ecco
            out["i"][i_frag] = math.degrees(t.inclo)
            out["raan"][i_frag] = math.degrees(t.nodeo)
            out["argp"][i_frag] = math.degrees(t.argpo)
            out["M"][i_frag] = math.degrees(t.mo)
            out["res"][i_frag] = res[j]
    n_rad_s = out["n"] * 2 * np.pi / 86400.0
    sma = (MU_EARTH_KM3_S2 / n_rad_s**2) ** (1 / 3)
    has = np.zeros(n, dtype=bool)
    has[kept] = True
    return FragmentElements(
        epoch_jd=jd,
        state_teme=state,
        osc_perigee_alt_km=osc_perigee,
        osc_apogee_alt_km=osc_apogee,
        reentering=reentering,
        mean_motion_rev_day=out["n"],
        eccentricity=out["e"],
        inclination_deg=out["i"],
        raan_deg=out["raan"],
        arg_perigee_deg=out["argp"],
        mean_anomaly_deg=out["M"],
        bstar=np.where(has, bstar, np.nan),
        perigee_alt_km=sma * (1 - out["e"]) - R_EARTH_KM,
        apogee_alt_km=sma * (1 + out["e"]) - R_EARTH_KM,
        period_min=1440.0 / out["n"],
        fit_residual_km=out["res"],
        sgp4_error=sgp4_error,
        elset_index=np.asarray(kept, dtype=np.int64),
        elsets=elsets,
    )


def _with_cospar(line1: str, cospar_id: str) -> str:
    """Put an international designator (e.g. '98067A' or '1998-067A') in columns 10-17."""
    from spacerange.catalog.tle import tle_checksum

    c = cospar_id.strip()
    if len(c) >= 9 and c[4] == "-":
        c = c[2:4] + c[5:]
    body = line1[:9] + f"{c[:8]:8}" + line1[17:68]
    return body + str(tle_checksum(body))


def _jd_to_datetime(jd: float, fr: float) -> datetime:
    from datetime import timedelta

    days = (jd - 2440587.5) + fr
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=round(days * 86400e6))
