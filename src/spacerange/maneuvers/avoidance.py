"""Collision-avoidance maneuver planning for one conjunction.

Given both objects' inertial (GCRS/EME2000) states and covariances at TCA and the combined
hard-body radius, :func:`plan_avoidance` finds the smallest impulsive delta-v, applied at a
chosen lead time before TCA along one RTN axis (along-track first; radial and cross-track
options), that brings the Foster 2-D Pc to ``pc_max`` or below (and, optionally, the miss
distance to ``miss_min_km`` or above).

Prediction is linear: the primary is propagated back from TCA to the burn epoch with the
given :class:`ForceModel`, and the sensitivity of its TCA state to a burn,
``d state(TCA) / d dv`` (6 x 3), is taken by central finite differences of vectorized
propagations (equivalent to the STM velocity columns; Clohessy-Wiltshire in the two-body
near-circular limit).  The new TCA states ``x1 + Phi dv`` give the new encounter plane and
Pc (:func:`spacerange.conjunction.pc.pc_foster`, covariances kept at their TCA values).
A magnitude scan on a logarithmic grid, refined by bisection, gives the smallest burn.

:func:`verify_plan` re-evaluates a plan independently: both objects are re-propagated
(primary with the burn), the new TCA is found from scratch by minimizing the range
(coarse grid, then two finer grids), and the Pc is recomputed there.
:func:`brute_force_dv` does the same for a whole grid of burn magnitudes (the reference
for the planner), :func:`trade_curve` sweeps the lead time, and :func:`rescreen` checks the
post-maneuver trajectory against a TLE catalog with the catalog screener.

Pc method: the burn search and the linear prediction use Foster's 2-D Pc (vectorized over
thousands of candidate burns; ``*_predicted``).  The Pc *reported* before the burn and
after it (at the re-propagated TCA) is, by default, ``auto``
(:func:`spacerange.conjunction.multistep.pc_auto`: 2-D where its usage checks pass, else
3-D Nc, else SDMC), and feasibility is decided on it; ``pc_method="foster"`` keeps 2-D
throughout.  When the ``auto`` Pc after the burn is above the target while the 2-D one
meets it, the magnitude is solved again against a 2-D target lowered by the ratio of the
two (:func:`plan_verified`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spacerange.conjunction.pc import pc_foster
from spacerange.conjunction.thresholds import PC_ALERT
from spacerange.constants import MU_WGS84_KM3_S2
from spacerange.maneuvers.avoidance_pc import SLOW_ENCOUNTER_KM_S, assess_pc
from spacerange.propagation.numerical import ForceModel, propagate_many

AXES = {"R": 0, "T": 1, "N": 2}
MU_KM3_S2 = MU_WGS84_KM3_S2

__all__ = [
    "AvoidancePlan",
    "assess_pc",
    "Conjunction",
    "brute_force_dv",
    "plan_avoidance",
    "plan_verified",
    "rescreen",
    "trade_curve",
    "verify_plan",
]


@dataclass
class Conjunction:
    """One conjunction at TCA: GCRS/EME2000 states (km, km/s), covariances (km^2, 3x3 or
    6x6, inertial), combined hard-body radius ``hbr_km``."""

    tca_utc: np.datetime64
    r1_km: np.ndarray
    v1_km_s: np.ndarray
    cov1_km2: np.ndarray
    r2_km: np.ndarray
    v2_km_s: np.ndarray
    cov2_km2: np.ndarray
    hbr_km: float
    label: str = ""

    def __post_init__(self):
        self.tca_utc = np.datetime64(self.tca_utc, "us")
        for name in ("r1_km", "v1_km_s", "r2_km", "v2_km_s"):
            x = np.asarray(getattr(self, name), dtype=float)
            if x.shape != (3,) or not np.all(np.isfinite(x)):
                raise ValueError(f"Conjunction.{name}: expected finite (3,), got {x.shape}")
            setattr(self, name, x)
        for name in ("cov1_km2", "cov2_km2"):
            c = np.asarray(getattr(self, name), dtype=float)
            c = c[0] if c.ndim == 3 and c.shape[0] == 1 else c
            if c.shape not in ((3, 3), (6, 6)):
                raise ValueError(f"Conjunction.{name}: expected (3, 3) or (6, 6), got {c.shape}")
            setattr(self, name, c)
        if not self.hbr_km > 0:
            raise ValueError(f"Conjunction.hbr_km must be > 0, got {self.hbr_km}")

    @classmethod
    def from_cdm(cls, cdm, hbr_m: float | None = None) -> Conjunction:
        """From a parsed CDM (:func:`spacerange.ccsds.read_cdm`); HBR from the CDM/table
        unless ``hbr_m`` is given (rules of :mod:`spacerange.conjunction.cdm_pc`)."""
        from spacerange.conjunction.cdm_pc import _object_cov_km2, cdm_hbr_m, cdm_inertial_states_km

        s1, s2, frame, _ = cdm_inertial_states_km(cdm)
        warn: list[str] = []
        c1, _ = _object_cov_km2("OBJECT1", cdm.object1, s1, False, True, None, cdm.tca, warn)
        c2, _ = _object_cov_km2("OBJECT2", cdm.object2, s2, False, True, None, cdm.tca, warn)
        hbr, _ = cdm_hbr_m(cdm, hbr_m)
        return cls(cdm.tca, s1[:3], s1[3:], c1, s2[:3], s2[3:], c2, hbr / 1e3, label=frame)

    @property
    def period_s(self) -> float:
        r, v = np.linalg.norm(self.r1_km), np.linalg.norm(self.v1_km_s)
        a = 1.0 / (2.0 / r - v * v / MU_KM3_S2)
        return float(2 * np.pi * np.sqrt(a**3 / MU_KM3_S2))

    def pc_miss(self, r1=None, v1=None) -> tuple[np.ndarray, np.ndarray]:
        """Foster Pc and miss distance (km) for (possibly many, (n, 3)) primary TCA states."""
        r1 = self.r1_km if r1 is None else np.asarray(r1, float)
        v1 = self.v1_km_s if v1 is None else np.asarray(v1, float)
        n = 1 if r1.ndim == 1 else r1.shape[0]
        r1b, v1b = np.reshape(r1, (n, 3)), np.reshape(v1, (n, 3))
        c1 = np.broadcast_to(self.cov1_km2, (n, *np.shape(self.cov1_km2)))
        c2 = np.broadcast_to(self.cov2_km2, (n, *np.shape(self.cov2_km2)))
        r2 = np.broadcast_to(self.r2_km, (n, 3))
        v2 = np.broadcast_to(self.v2_km_s, (n, 3))
        pc = np.atleast_1d(pc_foster(r1b, v1b, c1, r2, v2, c2, np.full(n, self.hbr_km)).pc)
        return pc, np.linalg.norm(r1b - r2, axis=-1)


@dataclass
class AvoidancePlan:
    """The planned burn and its predicted (linear) outcome; ``verified`` is filled by
    :func:`verify_plan`."""

    burn_epoch_utc: np.datetime64
    lead_s: float
    axis: str
    dv_rtn_km_s: np.ndarray
    pc_before: float
    miss_before_km: float
    pc_after_predicted: float
    miss_after_predicted_km: float
    feasible: bool
    alternatives: dict = field(default_factory=dict)
    verified: dict | None = None
    warnings: list[str] = field(default_factory=list)
    reason: str = ""
    #: ``{"before": ..., "after": ...}`` from :func:`assess_pc` (``plan_verified``)
    pc_assessment: dict = field(default_factory=dict)

    @property
    def dv_m_s(self) -> float:
        return float(np.linalg.norm(self.dv_rtn_km_s) * 1e3)

    def as_dict(self) -> dict:
        from spacerange.timescales import iso_utc

        d = {
            "burn_epoch_utc": iso_utc(self.burn_epoch_utc),
            "lead_s": self.lead_s,
            "axis": self.axis,
            "dv_rtn_m_s": [float(x) * 1e3 for x in self.dv_rtn_km_s],
            # signed along the chosen axis, as under ``alternatives``
            "dv_m_s": float(self.dv_rtn_km_s[AXES[self.axis]] * 1e3),
            "dv_magnitude_m_s": self.dv_m_s,
            "pc_before": self.pc_before,
            "miss_before_m": self.miss_before_km * 1e3,
            "pc_after_predicted": self.pc_after_predicted,
            "miss_after_predicted_m": self.miss_after_predicted_km * 1e3,
            "feasible": self.feasible,
            "reason": self.reason,
            "alternatives": self.alternatives,
            "warnings": self.warnings,
        }
        if self.pc_assessment:
            d["pc_assessment"] = self.pc_assessment
        if self.verified:
            d["pc_after"] = self.verified["pc"]
            d["miss_after_m"] = self.verified["miss_km"] * 1e3
            d["tca_after_utc"] = iso_utc(self.verified["tca_utc"])
            d["prediction_note"] = (
                "miss_after_predicted_m and pc_after_predicted are the linear (STM) prediction "
                "at the nominal TCA; miss_after_m and pc_after come from re-propagating both "
                "objects and finding the new TCA (shifted by "
                f"{(self.verified['tca_utc'] - (self.burn_epoch_utc + _td(self.lead_s))) / np.timedelta64(1, 's'):+.3f} s); "
                "the verified values decide feasibility"
            )
        else:
            d["pc_after"] = self.pc_after_predicted
            d["miss_after_m"] = self.miss_after_predicted_km * 1e3
        return d


def _burn_state(conj: Conjunction, lead_s: float, fm: ForceModel) -> np.ndarray:
    """Primary GCRS state (6,) at TCA - lead_s (back-propagated)."""
    y = np.concatenate([conj.r1_km, conj.v1_km_s])[None]
    return propagate_many(y, conj.tca_utc, np.array([-float(lead_s)]), fm)[0, 0]


def _rtn_rows(state: np.ndarray) -> np.ndarray:
    from spacerange.frames import rtn_basis

    return rtn_basis(state[:3], state[3:])


def _sensitivity(
    conj: Conjunction, lead_s: float, fm: ForceModel, step_km_s: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(burn state (6,), TCA state of the unperturbed primary (6,), d x_tca / d dv_rtn
    (6, 3)) by central differences of vectorized propagations."""
    xb = _burn_state(conj, lead_s, fm)
    basis = _rtn_rows(xb)  # rows R, T, N in GCRS
    pert = np.zeros((7, 6))
    pert[1:4, 3:] = step_km_s * basis
    pert[4:7, 3:] = -step_km_s * basis
    out = propagate_many(xb[None] + pert, conj.tca_utc - _td(lead_s), np.array([lead_s]), fm)
    x = out[:, 0]
    sens = ((x[1:4] - x[4:7]) / (2 * step_km_s)).T  # (6, 3)
    return xb, x[0], sens


def _td(seconds: float) -> np.timedelta64:
    return np.timedelta64(int(round(float(seconds) * 1e6)), "us")


def _meets(pc, miss, pc_max, miss_min_km):
    ok = pc <= pc_max
    if miss_min_km is not None:
        ok &= miss >= miss_min_km
    return ok


def plan_avoidance(
    conj: Conjunction,
    lead_s: float,
    pc_max: float = PC_ALERT,
    miss_min_km: float | None = None,
    axes: tuple[str, ...] = ("T",),
    force_model: ForceModel | None = None,
    max_dv_km_s: float = 0.05,
    n_grid: int = 400,
) -> AvoidancePlan:
    """Smallest single-axis burn at ``lead_s`` seconds before TCA meeting the target.

    ``axes``: RTN axes tried in order ('T' along-track, 'R' radial, 'N' cross-track); the
    first axis with a solution within ``max_dv_km_s`` is chosen (both signs tried, the
    smaller magnitude kept); the others' solutions are reported in ``alternatives``.
    Linear (finite-difference STM) prediction; see :func:`verify_plan` for the check.
    """
    fm = force_model or ForceModel.two_body()
    if lead_s <= 0:
        raise ValueError(f"lead_s must be > 0 (seconds before TCA), got {lead_s}")
    for a in axes:
        if a.upper() not in AXES:
            raise ValueError(f"axes: expected R, T or N, got {a!r}")
    pc0, miss0 = conj.pc_miss()
    xb, x_tca, sens = _sensitivity(conj, lead_s, fm)
    x_tca_nom = np.concatenate([conj.r1_km, conj.v1_km_s])
    # keep the nominal TCA state exact; the sensitivity carries the burn
    del x_tca
    mags = np.concatenate([[0.0], np.geomspace(1e-7, max_dv_km_s, n_grid)])

    def predict(dv_rtn: np.ndarray):
        x = x_tca_nom + dv_rtn @ sens.T
        return conj.pc_miss(x[:, :3], x[:, 3:])

    best: dict[str, tuple[float, float, float]] = {}
    for a in axes:
        ax = AXES[a.upper()]
        sols = []
        for sign in (1.0, -1.0):
            dv = np.zeros((mags.size, 3))
            dv[:, ax] = sign * mags
            pc, miss = predict(dv)
            ok = _meets(pc, miss, pc_max, miss_min_km)
            if not ok.any():
                continue
            k = int(np.argmax(ok))
            if k == 0:
                sols.append((0.0, float(pc[0]), float(miss[0])))
                continue
            lo, hi = mags[k - 1], mags[k]
            for _ in range(30):
                mid = 0.5 * (lo + hi)
                d = np.zeros((1, 3))
                d[0, ax] = sign * mid
                p, m = predict(d)
                if _meets(p, m, pc_max, miss_min_km)[0]:
                    hi = mid
                else:
                    lo = mid
            d = np.zeros((1, 3))
            d[0, ax] = sign * hi
            p, m = predict(d)
            sols.append((sign * hi, float(p[0]), float(m[0])))
        if sols:
            best[a.upper()] = min(sols, key=lambda s: abs(s[0]))
    chosen = next((a.upper() for a in axes if a.upper() in best), None)
    warnings = []
    vrel = float(np.linalg.norm(conj.v1_km_s - conj.v2_km_s))
    if vrel < SLOW_ENCOUNTER_KM_S:
        warnings.append(
            f"slow encounter (relative speed {vrel * 1e3:.3g} m/s < "
            f"{SLOW_ENCOUNTER_KM_S * 1e3:g} m/s): the 2-D Pc and the linear prediction are "
            "unreliable; verify by re-propagation (verify_plan / brute_force_dv)"
        )
    burn_epoch = conj.tca_utc - _td(lead_s)
    alts = {a: {"dv_m_s": s[0] * 1e3, "pc_after": s[1], "miss_after_m": s[2] * 1e3}
            for a, s in best.items()}  # fmt: skip
    if chosen is None:
        return AvoidancePlan(burn_epoch, float(lead_s), axes[0].upper(), np.zeros(3),
                             float(pc0[0]), float(miss0[0]), float(pc0[0]), float(miss0[0]),
                             False, alts, warnings=warnings)  # fmt: skip
    dv = np.zeros(3)
    dv[AXES[chosen]] = best[chosen][0]
    return AvoidancePlan(
        burn_epoch_utc=burn_epoch,
        lead_s=float(lead_s),
        axis=chosen,
        dv_rtn_km_s=dv,
        pc_before=float(pc0[0]),
        miss_before_km=float(miss0[0]),
        pc_after_predicted=best[chosen][1],
        miss_after_predicted_km=best[chosen][2],
        feasible=True,
        alternatives=alts,
        warnings=warnings,
    )


def _encounter_window_s(conj: Conjunction) -> float:
    vrel = float(np.linalg.norm(conj.v1_km_s - conj.v2_km_s))
    return float(np.clip(50.0 / max(vrel, 1e-9), 60.0, conj.period_s / 4))


def _tca_search(conj, burn_states, burn_epoch, lead_s, fm, window_s, n_coarse=401):
    """New TCA for primaries starting at ``burn_states`` (n, 6) [post-burn] at burn_epoch.

    Returns (dt_tca_s (n,), x1 (n, 6), x2 (n, 6)) with dt relative to the nominal TCA."""
    y2 = np.concatenate([conj.r2_km, conj.v2_km_s])[None]
    n = burn_states.shape[0]
    center = np.zeros(n)
    half = np.full(n, window_s)
    for level in range(3):
        npts = n_coarse if level == 0 else 41
        grid = np.linspace(-1.0, 1.0, npts)
        # common grid covering every object's window
        lo, hi = float(np.min(center - half)), float(np.max(center + half))
        step = float(np.min(2 * half / (npts - 1)))
        ts = np.arange(lo, hi + step, step) if (hi - lo) / step < 20000 else lo + (hi - lo) * (
            grid + 1) / 2  # fmt: skip
        ts = ts[ts > -lead_s]
        p1 = propagate_many(burn_states, burn_epoch, ts + lead_s, fm)
        p2 = propagate_many(y2, conj.tca_utc, ts, fm)[0]
        rng = np.linalg.norm(p1[:, :, :3] - p2[None, :, :3], axis=-1)
        rng = np.where(np.abs(ts[None] - center[:, None]) <= half[:, None] * 1.0001, rng, np.inf)
        # a candidate the integrator dropped is NaN: never its minimum (argmin picks NaN)
        lost = ~np.any(np.isfinite(rng), axis=1)
        rng = np.where(np.isfinite(rng), rng, np.inf)
        k = np.argmin(rng, axis=1)
        center = ts[k]
        half = np.full(n, 2.0 * step)
    x1 = p1[np.arange(n), k]
    x2 = p2[k]
    # final parabolic refinement of the relative motion (straight line near TCA)
    dr, dv = x1[:, :3] - x2[:, :3], x1[:, 3:] - x2[:, 3:]
    tau = -np.einsum("ij,ij->i", dr, dv) / np.maximum(np.einsum("ij,ij->i", dv, dv), 1e-30)
    tau = np.clip(tau, -step, step)
    x1 = x1 + np.concatenate([x1[:, 3:] * tau[:, None], np.zeros((n, 3))], axis=1)
    x2b = np.broadcast_to(x2, (n, 6)) if x2.ndim == 1 else x2
    x2b = x2b + np.concatenate([x2b[:, 3:] * tau[:, None], np.zeros((n, 3))], axis=1)
    # failed candidates stay NaN (miss and Pc NaN): never feasible, never a safe-looking value
    x1[lost] = np.nan
    return np.where(lost, np.nan, center + tau), x1, x2b


def _evaluate(conj, dv_rtn: np.ndarray, lead_s: float, fm: ForceModel, with_states=False):
    """Independent re-evaluation of burns dv_rtn (n, 3): (pc, miss_km, dt_tca_s), plus
    the new TCA states (x1 (n, 6), x2 (n, 6)) with ``with_states``."""
    xb = _burn_state(conj, lead_s, fm)
    basis = _rtn_rows(xb)
    states = np.repeat(xb[None], dv_rtn.shape[0], axis=0)
    states[:, 3:] += dv_rtn @ basis
    burn_epoch = conj.tca_utc - _td(lead_s)
    dt, x1, x2 = _tca_search(conj, states, burn_epoch, lead_s, fm, _encounter_window_s(conj))
    n = dv_rtn.shape[0]
    c1 = np.broadcast_to(conj.cov1_km2, (n, *np.shape(conj.cov1_km2)))
    c2 = np.broadcast_to(conj.cov2_km2, (n, *np.shape(conj.cov2_km2)))
    pc = np.atleast_1d(
        pc_foster(x1[:, :3], x1[:, 3:], c1, x2[:, :3], x2[:, 3:], c2, np.full(n, conj.hbr_km)).pc
    )
    miss = np.linalg.norm(x1[:, :3] - x2[:, :3], axis=-1)
    return (pc, miss, dt, x1, x2) if with_states else (pc, miss, dt)


def verify_plan(
    conj: Conjunction, plan: AvoidancePlan, force_model: ForceModel | None = None
) -> dict:
    """Re-propagate both objects (primary with the burn), find the new TCA from scratch and
    recompute Pc; stores and returns ``{"pc", "miss_km", "tca_utc"}``."""
    fm = force_model or ForceModel.two_body()
    pc, miss, dt, x1, x2 = _evaluate(conj, plan.dv_rtn_km_s[None], plan.lead_s, fm, True)
    plan.verified = {
        "pc": float(pc[0]),
        "miss_km": float(miss[0]),
        "tca_utc": conj.tca_utc + _td(dt[0]),
        "x1": x1[0],
        "x2": x2[0],
    }
    return plan.verified


def brute_force_dv(
    conj: Conjunction,
    lead_s: float,
    axis: str = "T",
    pc_max: float = PC_ALERT,
    miss_min_km: float | None = None,
    magnitudes_km_s=None,
    force_model: ForceModel | None = None,
    refine: bool = True,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Smallest burn magnitude (signed, km/s; NaN if none) along ``axis`` meeting the target
    by full re-propagation of every candidate (both signs; a logarithmic grid, then a linear
    grid of 41 between the bracketing magnitudes when ``refine``); returns
    (dv, dv_grid, pc_grid)."""
    fm = force_model or ForceModel.two_body()
    mags = (np.geomspace(1e-6, 0.02, 120) if magnitudes_km_s is None
            else np.asarray(magnitudes_km_s, float))  # fmt: skip
    grid = np.concatenate([-mags[::-1], mags])
    dv = np.zeros((grid.size, 3))
    dv[:, AXES[axis.upper()]] = grid
    pc, miss, _ = _evaluate(conj, dv, lead_s, fm)
    ok = _meets(pc, miss, pc_max, miss_min_km)
    if not ok.any():
        return float("nan"), grid, pc
    k = np.flatnonzero(ok)
    j = k[np.argmin(np.abs(grid[k]))]
    if refine and j > 0 and np.sign(grid[j - 1]) == np.sign(grid[j]) and abs(grid[j]) > abs(
        grid[j - 1]
    ):  # fmt: skip
        fine = np.linspace(grid[j - 1], grid[j], 41)
    elif refine and j + 1 < grid.size and np.sign(grid[j + 1]) == np.sign(grid[j]):
        fine = np.linspace(grid[j + 1], grid[j], 41)
    else:
        return float(grid[j]), grid, pc
    dv = np.zeros((fine.size, 3))
    dv[:, AXES[axis.upper()]] = fine
    pcf, missf, _ = _evaluate(conj, dv, lead_s, fm)
    okf = _meets(pcf, missf, pc_max, miss_min_km)
    return (
        float(fine[np.flatnonzero(okf)[0]]),
        np.concatenate([grid, fine]),
        np.concatenate([pc, pcf]),
    )


def trade_curve(
    conj: Conjunction,
    leads_s,
    pc_max: float = PC_ALERT,
    miss_min_km: float | None = None,
    axis: str = "T",
    force_model: ForceModel | None = None,
) -> dict[str, np.ndarray]:
    """Delta-v (m/s) vs lead time (s) for burns along ``axis``: arrays ``lead_s``,
    ``dv_mps`` (NaN where infeasible), ``pc_after``, ``miss_after_m`` (predicted)."""
    leads = np.asarray(leads_s, dtype=float)
    dv, pc, miss = [], [], []
    for lead in leads:
        p = plan_avoidance(conj, lead, pc_max, miss_min_km, (axis,), force_model)
        dv.append(p.dv_m_s if p.feasible else np.nan)
        pc.append(p.pc_after_predicted)
        miss.append(p.miss_after_predicted_km * 1e3)
    return {"lead_s": leads, "dv_mps": np.array(dv), "pc_after": np.array(pc),
            "miss_after_m": np.array(miss)}  # fmt: skip


def rescreen(
    conj: Conjunction,
    plan: AvoidancePlan,
    catalog_tles,
    span_s: float = 86400.0,
    threshold_km: float = 5.0,
    force_model: ForceModel | None = None,
    step_s: float = 60.0,
) -> dict:
    """Screen the post-maneuver primary against a TLE catalog (list of (line1, line2)).

    The post-burn trajectory (numerical, GCRS, ``span_s`` from the burn at ``step_s``) is
    fitted with an SGP4 element set (:func:`spacerange.od.tle_fit.fit_tle`), which then
    goes through the catalog screener as the one primary
    (:func:`spacerange.conjunction.screening.screen`).  The threshold is widened by three
    times the fit's RMS so the fit cannot hide an approach; events are then kept at the
    requested threshold plus that margin and reported with it.  Returns a dict of arrays
    (``index`` into ``catalog_tles``, ``tca_utc``, ``miss_km``), ``fit_rms_km``, the
    screening ``result`` (object 0 is the fitted post-burn primary) and ``fit_elset``, for
    assessing the events (:func:`spacerange.conjunction.assessment.assess`).
    """
    from spacerange.conjunction.screening import ScreeningConfig, screen
    from spacerange.od.tle_fit import fit_tle

    # Zonal gravity: the motion SGP4's mean elements can represent (two-body would leave
    # the J2 drift as km-level fit residuals).
    fm = force_model or ForceModel.zonal(6)
    xb = _burn_state(conj, plan.lead_s, fm)
    xb[3:] += plan.dv_rtn_km_s @ _rtn_rows(xb)
    ts = np.arange(0.0, span_s + step_s, step_s)
    times = plan.burn_epoch_utc + (ts * 1e6).astype("timedelta64[us]")
    states = propagate_many(xb[None], plan.burn_epoch_utc, ts, fm)[0]
    fit = fit_tle(times, states[:, :3], states[:, 3:], norad_id=99999, name="POST-BURN")
    margin = 3.0 * float(fit.rms_km)
    tles = [(fit.elset.line1, fit.elset.line2), *list(catalog_tles)]
    res = screen(
        tles,
        times[0],
        span_s,
        ScreeningConfig(threshold_km=threshold_km + margin),
        primaries=[0],
        workers=1,
    )
    ev = res.events
    other = np.where(ev["i"] == 0, ev["j"], ev["i"]) - 1
    return {
        "index": other,
        "tca_utc": ev["tca_utc"],
        "miss_km": ev["miss_km"],
        "fit_rms_km": float(fit.rms_km),
        "threshold_km": threshold_km + margin,
        "result": res,
        "fit_elset": fit.elset,
    }


def plan_verified(
    conj: Conjunction,
    lead_s: float,
    pc_max: float = PC_ALERT,
    miss_min_km: float | None = None,
    axes: tuple[str, ...] = ("T",),
    force_model: ForceModel | None = None,
    max_dv_km_s: float = 0.05,
    pc_method: str = "auto",
) -> AvoidancePlan:
    """A plan whose ``feasible`` means the target is met after re-propagation.

    1. A slow encounter (relative speed below :data:`SLOW_ENCOUNTER_KM_S`: docked,
       formation or co-orbiting objects) is not planned: the short-encounter Pc and the
       linear prediction do not hold there, and such pairs are associations, not
       conjunctions.  ``feasible`` is False and ``reason`` says why.
    2. The linear plan (:func:`plan_avoidance`, 2-D Pc) is verified (:func:`verify_plan`)
       and the Pc at the re-propagated TCA is assessed with ``pc_method`` (default
       ``auto``, :func:`assess_pc`).  When the verified Pc or miss misses the target (the
       burn moved the TCA, the relative motion is curved, or the 2-D Pc does not hold
       there), the magnitude along the chosen axis is solved again by full re-propagation
       (:func:`brute_force_dv`, against the 2-D target lowered by the ratio of the
       assessed to the 2-D Pc when the former is larger) and verified once more.
    3. ``feasible`` is True only when the verified outcome meets the target; otherwise
       ``reason`` gives the verified numbers.  ``pc_before`` and ``pc_after`` are the
       ``pc_method`` values; ``pc_assessment`` holds their method, reason and flags.
    """
    fm = force_model or ForceModel.two_body()
    vrel = float(np.linalg.norm(conj.v1_km_s - conj.v2_km_s))
    plan = plan_avoidance(conj, lead_s, pc_max, miss_min_km, axes, fm, max_dv_km_s)
    before = assess_pc(conj, method=pc_method)
    plan.pc_assessment = {"before": before}
    plan.pc_before = before["pc"]
    if vrel < SLOW_ENCOUNTER_KM_S:
        plan.feasible = False
        plan.dv_rtn_km_s = np.zeros(3)
        plan.reason = (
            f"relative speed {vrel * 1e3:.3g} m/s is below {SLOW_ENCOUNTER_KM_S * 1e3:g} m/s: "
            "docked, formation or co-orbiting objects; no avoidance burn is planned "
            "(the short-encounter Pc and the linear prediction do not apply)"
        )
        return plan
    if not plan.feasible:
        plan.reason = (
            f"no burn up to {max_dv_km_s * 1e3:g} m/s along {', '.join(axes)} meets the target "
            "in the linear prediction"
        )
        return plan

    def check() -> tuple[dict, bool]:
        ver = verify_plan(conj, plan, fm)
        after = assess_pc(conj, ver["x1"], ver["x2"], pc_method)
        plan.pc_assessment["after"] = after
        ver["pc_2d"], ver["pc"] = ver["pc"], after["pc"]
        ok = _meets(np.array([ver["pc"]]), np.array([ver["miss_km"]]), pc_max, miss_min_km)[0]
        return ver, bool(ok)

    ver, ok = check()
    if ok:
        plan.reason = "target met after re-propagation of both objects"
        return plan
    first = (ver["pc"], ver["miss_km"], plan.dv_m_s)
    scale = 1.0
    if ver["pc"] > ver["pc_2d"] > 0:  # the assessed Pc is above the 2-D one the search uses
        scale = ver["pc_2d"] / ver["pc"]
    ax = AXES[plan.axis]
    # Around the linear solution only: one batch of very different burns shares the TCA
    # search grid (_tca_search), and burns far larger than needed move the TCA by minutes.
    lin = max(abs(float(plan.dv_rtn_km_s[ax])), 1e-6)
    mags = np.geomspace(lin / 4.0, min(max_dv_km_s, 20.0 * lin), 48)
    dv, _, _ = brute_force_dv(
        conj, lead_s, plan.axis, pc_max * scale, miss_min_km, magnitudes_km_s=mags,
        force_model=fm,
    )  # fmt: skip
    if np.isfinite(dv):
        plan.dv_rtn_km_s = np.zeros(3)
        plan.dv_rtn_km_s[ax] = dv
        ver, ok = check()
        if ok:
            plan.reason = (
                f"the linear prediction's burn ({first[2] * 1e3:.3g} m/s) gave Pc {first[0]:.3g} "
                f"and miss {first[1] * 1e3:.0f} m after re-propagation; the magnitude was solved "
                "again by re-propagation (the *_predicted values are the linear plan's)"
            )
            return plan
    plan.feasible = False
    plan.reason = (
        f"no burn along {plan.axis} of {mags[0] * 1e3:.3g}-{mags[-1] * 1e3:.3g} m/s (either sign) "
        f"meets the target after re-propagation; the linear plan's burn gives Pc "
        f"{ver['pc']:.3g} and miss {ver['miss_km'] * 1e3:.0f} m (try other --axes or --lead)"
    )
    if scale < 1e-3:
        after = plan.pc_assessment.get("after", {})
        plan.reason += (
            f"; the burn search steers the 2-D Pc ({ver['pc_2d']:.3g}), which is "
            f"{1 / scale:.3g} times below the {after.get('method')} value here "
            f"({after.get('reason', '')}), so it cannot size this burn: use --miss-min"
        )
    return plan
