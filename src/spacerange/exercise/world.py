"""The exercise's truth world: every object's trajectory, threat enactment and the physics of
the teams' countermeasures.

Truth model
-----------
Every object — background catalog, scenario objects, actors' assets, objects created during
play — is propagated with SGP4/SDP4 (Vallado's C++ core through python-sgp4, WGS-72, TEME)
from a list of *arcs*: ``(valid_from_utc, Satrec)``.  A catalog or scenario TLE/OMM starts
the first arc.  Osculating orbits (Keplerian, Cartesian state, GEO slot) and every change of
orbit (impulsive manoeuvre, break-up fragment, released sub-satellite, scripted secondary,
drag change under a storm) start a new arc whose mean elements are *fitted* so that SGP4 at
the arc's epoch reproduces the osculating TEME state (fixed-point correction in equinoctial
elements, the method of :meth:`spacerange.events.breakup.Fragments.to_elsets`, iterated to
sub-millimetre residuals, kept in double precision — never rounded through TLE text).  So
a burn is continuous in position and adds exactly ``dv`` to the velocity, and after it the
object follows SGP4 dynamics (J2-J4 secular and periodic terms, lunisolar terms in deep
space, drag through B*).  Past states stay reproducible (every arc is kept), which the rule
functions (``min_range`` since a release) rely on.

Frames: states are TEME [km, km/s]; RTN is that of the object's own TEME state.

Threat enactment (``enact``), all physically consistent with the model above:

* ``high_pc_conjunction`` — the secondary's TEME state at TCA is the target's truth state
  offset by ``miss_m`` along the target's radial direction (perpendicular to both
  velocities, so TCA is the closest approach), with a horizontal velocity crossing the
  target's at the angle that gives ``relative_speed_km_s`` (default: the natural angle
  between the two orbit planes if >= 15 deg, else 60 deg); an arc fitted at TCA is then
  propagated by SGP4 backward to the release and forward.  The secondary is created
  (``new_secondary_id``) or its truth orbit replaced from the release (existing object).
* ``geo_rendezvous`` / ``leo_inspector`` — two-impulse transfer: the first burn (at
  release) is solved by Newton iteration on the SGP4 truth itself so that the chaser
  reaches, at ``release + duration``, the point trailing (or leading, on the side it comes
  from) the target by the final range *on the target's own orbit*; the second burn
  matches the target's velocity there, so the chaser then holds station.  Burns are
  charged to the delta-v budget and refused beyond it.  A ``release`` of a deployable
  creates a new object ``after`` the arrival with ``relative_speed_m_s`` toward the target.
* ``debris_event`` — NASA Standard Breakup Model (:mod:`spacerange.events.breakup`);
  each fragment >= ``min_size_m`` on a bound orbit becomes an object ``<prefix>-<nnnn>``.
* ``uncontrolled_reentry`` — the object's B* is solved (bisection) so that its SGP4
  orbit decays at ``expected_reentry``; the truth re-entry time is whatever that gives.
* ``unannounced_maneuver`` — impulsive RTN burn (at ``at`` or now).
* ``sensor_outage`` — the sensors are marked out (or degraded) for the duration.
* ``space_weather`` — every LEO object's drag (B*) is multiplied, from the middle of the
  ramp to the end of the storm, by the density ratio of
  :func:`spacerange.events.space_weather.density_scale_factor` at its perigee height (or
  ``density_scale``); the teams' predictions keep their own B*, so they degrade.
* ``new_launch`` — ``n_objects`` objects at ``orbit`` with isotropic separation speeds
  (Gaussian, ``separation_spread_m_s``).
* message kinds — no physics.

Collisions: every scripted conjunction is checked in truth just after its TCA (after any
avoidance burns): if the closest approach within +/- 10 min is below the two hard-body
radii, the two objects collide (NASA SBM collision break-up of both).  Other pairs of the
background are not checked (see the report's gaps).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sgp4.api import WGS72, Satrec

from spacerange.catalog.ballistic import DRAG_CEILING_KM, mass_from_hbr_kg
from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM
from spacerange.frames import (
    EARTH_ROTATION_RAD_S,
    from_rtn,
    gcrs_to_teme,
    itrs_to_gcrs,
    itrs_to_geodetic,
    rtn_basis,
    teme_to_itrs,
)
from spacerange.propagation.mean_elements import fit_sgp4_mean_elements
from spacerange.propagation.sgp4_batch import SatrecArrayLike, satrec_array
from spacerange.timescales import iso_utc, jd_fr_utc, parse_utc, timedelta_us

__all__ = [
    "WorldEvent",
    "TruthObject",
    "ScriptedConjunction",
    "World",
    "fit_satrecs",
    "to_utc64",
    "DEFAULT_HBR_M",
    "DEFAULT_MASS_KG",
]

log = logging.getLogger("spacerange.exercise.world")
MU_KM3_S2 = MU_WGS72_KM3_S2  # as SGP4
RE_KM = RE_WGS72_KM
EARTH_ROT_RAD_S = EARTH_ROTATION_RAD_S
_TWO_PI = 2.0 * math.pi

#: Hard-body radius [m] by object type when the scenario gives none.
DEFAULT_HBR_M = {"PAYLOAD": 2.0, "ROCKET BODY": 3.0, "DEBRIS": 0.5, "UNKNOWN": 1.0}
#: Mass [kg] by object type when the scenario gives none.
DEFAULT_MASS_KG = {"PAYLOAD": 500.0, "ROCKET BODY": 1500.0, "DEBRIS": 5.0, "UNKNOWN": 100.0}
FIRST_CREATED_NORAD = 300_000  # Alpha-5 "U0000": objects created during play
REENTRY_ALT_KM = 100.0
COLLISION_WINDOW_S = 600.0


def to_utc64(t: Any) -> np.datetime64:
    """A UTC instant as ``datetime64[us]`` (from datetime64, aware datetime or ISO text;
    :func:`spacerange.timescales.parse_utc`, refusing naive datetimes)."""
    return parse_utc(t, naive="error")


def _iso(t: np.datetime64) -> str:
    return iso_utc(t, "s")


def _seconds(td) -> float:
    return float(td.total_seconds())


def _td64(seconds: float) -> np.timedelta64:
    return timedelta_us(seconds)


def _with_bstar(sat: Satrec, bstar: float) -> Satrec:
    """``sat`` with drag term ``bstar`` [1/earth radii]: same mean elements and epoch."""
    s = Satrec()
    s.sgp4init(WGS72, "i", sat.satnum, sat.jdsatepoch - 2433281.5 + sat.jdsatepochF,
               float(bstar), sat.ndot, sat.nddot, sat.ecco, sat.argpo, sat.inclo, sat.mo,
               sat.no_kozai, sat.nodeo)  # fmt: skip
    return s


# ------------------------------------------------------------------------- SGP4 arc fitting
#: SGP4 satrecs reproducing TEME states (the public fit of :mod:`spacerange.propagation`)
fit_satrecs = fit_sgp4_mean_elements


def _sgp4_one(sat: Satrec, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    jd, fr = jd_fr_utc(times)
    e, r, v = sat.sgp4_array(jd, fr)
    r = np.asarray(r, float)
    v = np.asarray(v, float)
    bad = e != 0
    r[bad] = np.nan
    v[bad] = np.nan
    return r, v, e


def _gcrs_to_teme(r: np.ndarray, v: np.ndarray, t: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """One GCRS state (3,), (3,) at ``t`` -> TEME (:func:`spacerange.frames.gcrs_to_teme`)."""
    rt, vt = gcrs_to_teme(r[None], v[None], np.asarray([t]))
    return rt[0], vt[0]


def _itrs_state_to_teme(r_itrs, v_itrs, t):
    rg, vg = itrs_to_gcrs(np.asarray([r_itrs]), np.asarray([v_itrs]), np.asarray([t]))
    return _gcrs_to_teme(rg[0], vg[0], t)


def _altitude_km(r_teme: np.ndarray, t: np.datetime64) -> np.ndarray:
    """Geodetic altitude [km] of TEME positions (n, 3) at one time."""
    r = np.atleast_2d(r_teme)
    ri, _ = teme_to_itrs(r[:, None, :], np.zeros_like(r)[:, None, :], np.asarray([t]))
    return itrs_to_geodetic(ri[:, 0, :])[..., 2]


def _kepler_to_state(a, e, i_deg, raan_deg, argp_deg, nu_deg, mu=MU_KM3_S2):
    i, raan, argp, nu = (math.radians(x) for x in (i_deg, raan_deg, argp_deg, nu_deg))
    p = a * (1 - e * e)
    r_pf = np.array([p * math.cos(nu) / (1 + e * math.cos(nu)),
                     p * math.sin(nu) / (1 + e * math.cos(nu)), 0.0])  # fmt: skip
    v_pf = np.array([-math.sqrt(mu / p) * math.sin(nu), math.sqrt(mu / p) * (e + math.cos(nu)), 0])
    cO, sO, ci, si, cw, sw = (math.cos(raan), math.sin(raan), math.cos(i), math.sin(i),
                              math.cos(argp), math.sin(argp))  # fmt: skip
    rot = np.array(
        [
            [cO * cw - sO * sw * ci, -cO * sw - sO * cw * ci, sO * si],
            [sO * cw + cO * sw * ci, -sO * sw + cO * cw * ci, -cO * si],
            [sw * si, cw * si, ci],
        ]
    )
    return rot @ r_pf, rot @ v_pf


def _mean_to_true_deg(m_deg: float, e: float) -> float:
    m = math.radians(m_deg)
    ea = m if e < 0.8 else math.pi
    for _ in range(50):
        ea -= (ea - e * math.sin(ea) - m) / (1 - e * math.cos(ea))
    return math.degrees(2 * math.atan2(math.sqrt(1 + e) * math.sin(ea / 2),
                                       math.sqrt(1 - e) * math.cos(ea / 2)))  # fmt: skip


def _coperiodic(r_c, v_c, r_t, v_t) -> np.ndarray:
    """Velocity for a chaser at ``r_c`` (in its own plane, horizontal like the target's
    flight direction) with the target's orbital energy, so both have the same period and
    the relative motion stays bounded."""
    a_t = 1.0 / (2.0 / np.linalg.norm(r_t) - (v_t @ v_t) / MU_KM3_S2)
    speed = math.sqrt(max(MU_KM3_S2 * (2.0 / np.linalg.norm(r_c) - 1.0 / a_t), 1e-9))
    rh = r_c / np.linalg.norm(r_c)
    h = np.cross(r_c, v_c)
    hh = h / np.linalg.norm(h)
    d = np.cross(hh, rh)
    return d * speed


# ------------------------------------------------------------------------------ records


@dataclass
class WorldEvent:
    """A physical event of the truth world (contract ``world_event``: white only).

    ``kind``: maneuver | collision | breakup | reentry | launch | sensor_outage |
    space_weather | rendezvous | release | conjunction (scripted geometry set up)."""

    kind: str
    objects: list[str]
    details: dict
    time_utc: np.datetime64

    def payload(self) -> dict:
        return {"type": self.kind, "objects": list(self.objects), "details": self.details}


@dataclass
class TruthObject:
    """One object of the truth world.  ``arcs`` are ``(valid_from_utc, Satrec)`` in time
    order; ``actor`` is the owning scenario actor id (None for background objects)."""

    id: str
    name: str
    object_type: str
    norad_id: int
    arcs: list[tuple[np.datetime64, Satrec]]
    actor: str | None = None
    owner: str = ""
    hbr_m: float = 1.0
    mass_kg: float = 100.0
    maneuverable: bool = False
    dv_budget_mps: float = 0.0
    dv_used_mps: float = 0.0
    rendezvous_capable: bool = False
    debris_generating: bool = False
    deployables: list = field(default_factory=list)
    created_utc: np.datetime64 | None = None
    ended_utc: np.datetime64 | None = None
    end_reason: str | None = None
    scenario: bool = False
    origin: str = "catalog"

    @property
    def satrec(self) -> Satrec:
        return self.arcs[-1][1]

    @property
    def dv_left_mps(self) -> float:
        return max(0.0, self.dv_budget_mps - self.dv_used_mps)

    def alive_at(self, t: np.datetime64) -> bool:
        if self.created_utc is not None and t < self.created_utc:
            return False
        return self.ended_utc is None or t < self.ended_utc

    def satrec_at(self, t: np.datetime64) -> Satrec:
        for t0, sat in reversed(self.arcs):
            if t >= t0:
                return sat
        return self.arcs[0][1]

    @property
    def period_min(self) -> float:
        return _TWO_PI / self.satrec.no_kozai

    @property
    def perigee_alt_km(self) -> float:
        s = self.satrec
        return s.a * RE_KM * (1 - s.ecco) - RE_KM  # a in Earth radii


@dataclass
class ScriptedConjunction:
    """A conjunction set up by a ``high_pc_conjunction`` inject."""

    serial: str
    target: str
    secondary: str
    tca_utc: np.datetime64
    miss_m: float
    pc_target: float
    rel_speed_km_s: float
    cdm_cadence_s: float
    released_utc: np.datetime64
    checked: bool = False


@dataclass(order=True)
class _Scheduled:
    t: np.datetime64
    seq: int
    fn: Callable[[np.datetime64], list[WorldEvent]] = field(compare=False)
    what: str = field(compare=False, default="")


class WorldError(ValueError):
    """A threat action cannot be enacted (unknown object, missing capability...)."""


# --------------------------------------------------------------------------------- world


#: Threat kind (``scenario.events.THREAT_ACTIONS``) -> the :class:`World` method that
#: enacts it physically.  ``tests/exercise/test_threat_registry.py`` checks that every kind
#: the scenario format admits is here or in :data:`MESSAGE_ONLY_THREATS`.
THREAT_HANDLERS: dict[str, str] = {
    "high_pc_conjunction": "_enact_high_pc_conjunction",
    "geo_rendezvous": "_enact_geo_rendezvous",
    "leo_inspector": "_enact_leo_inspector",
    "debris_event": "_enact_debris_event",
    "uncontrolled_reentry": "_enact_uncontrolled_reentry",
    "unannounced_maneuver": "_enact_unannounced_maneuver",
    "sensor_outage": "_enact_sensor_outage",
    "space_weather": "_enact_space_weather",
    "new_launch": "_enact_new_launch",
}
#: Threat kinds that are a message only, with no physical effect in the world (a jamming
#: report is one of them today: RF effects are not modelled, see issue 15).
MESSAGE_ONLY_THREATS = frozenset({"jamming_report", "media", "diplomatic_note"})


class World:
    """Truth world of one exercise run, built at STARTEX from ``(scenario, seed)``.

    ``base_dir`` resolves the scenario's relative catalog paths.  All randomness (break-up
    fragments, launch separations) comes from ``numpy.random.default_rng(seed)`` streams,
    so a run is reproducible.
    """

    def __init__(self, scenario, seed: int, base_dir: Path | str | None = None):
        self.scenario = scenario
        self.seed = int(seed)
        self.base_dir = Path(base_dir) if base_dir is not None else Path(".")
        self.rng = np.random.default_rng([self.seed, 1])
        ex = scenario.exercise
        self.startex = to_utc64(ex.startex)
        self.endex = to_utc64(ex.endex)
        self.clock_utc: np.datetime64 = self.startex
        self.objects: list[TruthObject] = []
        self.index: dict[str, int] = {}
        self._norad_to_id: dict[int, str] = {}
        self._next_norad = FIRST_CREATED_NORAD
        self._schedule: list[_Scheduled] = []
        self._seq = 0
        self._array: SatrecArrayLike | None = None
        self._array_idx: np.ndarray | None = None
        self._state_cache: tuple | None = None
        self.conjunctions: list[ScriptedConjunction] = []
        self.proximity_pairs: list[tuple[str, str, np.datetime64]] = []
        #: sensor id -> (until_utc, degradation fraction)
        self.sensor_outages: dict[str, tuple[np.datetime64, float]] = {}
        #: team -> sensor id -> set of object ids (tasking requests)
        self.tasking: dict[str, dict[str, set[str]]] = {}
        #: accepted 'share' actions: (team, to_team, products, objects, release_utc)
        self.share_requests: list[tuple[str, str, list[str], list[str], np.datetime64]] = []
        self.density_scale: float = 1.0
        self.fragment_sets: list[dict] = []
        self.reentries: dict[str, dict] = {}
        self.pictures = None  # set by Pictures (tracked() of team-scoped functions)
        self.collisions = 0
        self.last_fit_residual_km = 0.0
        #: serial -> {"threat", "objects", "time_utc", "sensors"} of enacted injects
        self.enacted: dict[str, dict] = {}
        self._actors = {a.id: a for a in scenario.actors}
        self._team_actors = {t.id: set(t.plays) for t in scenario.teams}
        self._build()
        self._preplace_conjunctions()

    # ---------------------------------------------------------------------- building
    def _add(self, obj: TruthObject) -> TruthObject:
        if obj.id in self.index:
            raise WorldError(f"duplicate object id {obj.id!r}")
        self.index[obj.id] = len(self.objects)
        self.objects.append(obj)
        self._norad_to_id[obj.norad_id] = obj.id
        self._array = None
        self._state_cache = None
        return obj

    def new_norad(self) -> int:
        n = self._next_norad
        self._next_norad += 1
        return n

    def _build(self) -> None:
        spec = self.scenario.world.catalog
        if spec.synthetic is not None:
            from spacerange.catalog.synth import synthesize

            syn = spec.synthetic
            epoch = syn.epoch or self.scenario.exercise.startex
            pop = synthesize(syn.n, syn.seed, epoch=epoch)
            for es, ob in zip(pop.elsets, pop.objects, strict=True):
                self._add_catalog(es, ob)
        if spec.file is not None:
            self._load_catalog_file(self.base_dir / spec.file)
        for wo in self.scenario.world.objects:
            self._add_scenario_object(wo, actor=None)
        for actor in self.scenario.actors:
            for asset in actor.assets:
                self._add_scenario_object(asset, actor=actor.id)
        afc = self.scenario.actors_from_catalog
        if afc is not None:
            self._catalog_actors(afc)
        self._give_drag()

    def _drag_bstar(self, o: TruthObject) -> float:
        """B* of ``o`` from its size and mass (:mod:`spacerange.catalog.ballistic`)."""
        from spacerange.catalog.ballistic import bstar_from_size

        return bstar_from_size(o.hbr_m, o.mass_kg)

    def _give_drag(self) -> None:
        """Objects below the drag ceiling whose elements carry no drag (B* = 0: scenario
        states, some catalog TLEs) get B* from their size and mass.  Same mean elements at
        the same epoch, so the state at the arc's start is unchanged (SGP4's drag terms
        vanish at tsince = 0): an initial condition, not a jump."""
        for o in self.objects:
            if o.satrec.bstar == 0.0 and o.perigee_alt_km < DRAG_CEILING_KM:
                t0, sat = o.arcs[0]
                o.arcs[0] = (t0, _with_bstar(sat, self._drag_bstar(o)))
        self._array = None
        self._state_cache = None

    def _add_catalog(self, es, ob) -> None:
        sat = Satrec.twoline2rv(es.line1, es.line2, WGS72)
        ot = ob.object_type.value if hasattr(ob.object_type, "value") else str(ob.object_type)
        oid = ob.name.strip() or str(es.norad_id)
        if oid in self.index:
            oid = f"{oid} [{es.norad_id}]"
        self._add(
            TruthObject(
                id=oid,
                name=ob.name,
                object_type=ot,
                norad_id=int(es.norad_id),
                arcs=[(self.startex, sat)],
                owner=ob.owner or "",
                hbr_m=ob.hbr_m or DEFAULT_HBR_M.get(ot, 1.0),
                mass_kg=ob.mass_kg or DEFAULT_MASS_KG.get(ot, 100.0),
            )
        )

    def _load_catalog_file(self, path: Path) -> None:
        from spacerange.catalog.tle import parse_tle_lines  # noqa: F401 (validation import)

        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
        lines = [ln.rstrip() for ln in text if ln.strip()]
        i = 0
        while i < len(lines):
            name = None
            if not lines[i].startswith("1 "):
                name = lines[i][2:].strip() if lines[i].startswith("0 ") else lines[i].strip()
                i += 1
            if i + 1 >= len(lines):
                break
            l1, l2 = lines[i], lines[i + 1]
            i += 2
            sat = Satrec.twoline2rv(l1, l2, WGS72)
            norad = int(sat.satnum)
            oid = name or str(norad)
            if oid in self.index:
                oid = f"{oid} [{norad}]"
            ot = "DEBRIS" if " DEB" in f" {oid}" else ("ROCKET BODY" if "R/B" in oid else "UNKNOWN")
            self._add(
                TruthObject(
                    oid,
                    oid,
                    ot,
                    norad,
                    [(self.startex, sat)],
                    hbr_m=DEFAULT_HBR_M[ot],
                    mass_kg=DEFAULT_MASS_KG[ot],
                )  # fmt: skip
            )

    def _orbit_satrec(self, orbit, bstar: float, norad: int) -> Satrec:
        """The first arc of a scenario orbit (TLE/OMM as given; others fitted at epoch)."""
        from spacerange.exercise.scenario.world import (
            GeoOrbit,
            KeplerianOrbit,
            OmmOrbit,
            StateOrbit,
            TleOrbit,
        )

        if isinstance(orbit, TleOrbit):
            return Satrec.twoline2rv(orbit.tle[-2], orbit.tle[-1], WGS72)
        if isinstance(orbit, OmmOrbit):
            o = orbit.omm
            t = to_utc64(o.epoch)
            jd, fr = jd_fr_utc(np.asarray([t]))
            s = Satrec()
            s.sgp4init(
                WGS72, "i", o.norad_cat_id or norad, float(jd[0] + fr[0] - 2433281.5),
                o.bstar_per_earth_radii, 0.0, 0.0, o.eccentricity,
                math.radians(o.arg_of_pericenter_deg), math.radians(o.inclination_deg),
                math.radians(o.mean_anomaly_deg), o.mean_motion_rev_per_day * _TWO_PI / 1440.0,
                math.radians(o.ra_of_asc_node_deg),
            )  # fmt: skip
            return s
        if isinstance(orbit, KeplerianOrbit):
            k = orbit.keplerian
            t = to_utc64(k.epoch)
            nu = k.true_anomaly_deg
            if nu is None:
                nu = _mean_to_true_deg(k.mean_anomaly_deg, k.ecc)
            r, v = _kepler_to_state(k.a_km, k.ecc, k.inc_deg, k.raan_deg, k.argp_deg, nu)
            if k.frame != "TEME":
                r, v = _gcrs_to_teme(r, v, t)
            return self._fit_one(np.concatenate([r, v]), t, bstar, norad)
        if isinstance(orbit, StateOrbit):
            s = orbit.state
            t = to_utc64(s.epoch)
            r, v = np.asarray(s.r_km, float), np.asarray(s.v_km_s, float)
            if s.frame == "ITRF":
                r, v = _itrs_state_to_teme(r, v, t)
            elif s.frame != "TEME":
                r, v = _gcrs_to_teme(r, v, t)
            return self._fit_one(np.concatenate([r, v]), t, bstar, norad)
        if isinstance(orbit, GeoOrbit):
            t = to_utc64(orbit.epoch) if orbit.epoch is not None else self.startex
            w = EARTH_ROT_RAD_S + math.radians(orbit.drift_deg_per_day) / 86400.0
            a = (MU_KM3_S2 / w**2) ** (1 / 3)
            lam = math.radians(orbit.geo_longitude_deg)
            r_itrs = np.array([a * math.cos(lam), a * math.sin(lam), 0.0])
            v_itrs = np.array([-math.sin(lam), math.cos(lam), 0.0]) * (w - EARTH_ROT_RAD_S) * a
            r, v = _itrs_state_to_teme(r_itrs, v_itrs, t)
            if orbit.inclination_deg:
                rh = r / np.linalg.norm(r)
                ang = math.radians(orbit.inclination_deg)
                v = v * math.cos(ang) + np.cross(rh, v) * math.sin(ang)  # tilt about radial
            return self._fit_one(np.concatenate([r, v]), t, bstar, norad)
        raise WorldError(f"unsupported orbit {type(orbit).__name__}")

    def _fit_one(self, state, t, bstar, norad) -> Satrec:
        sats, res = fit_satrecs(state[None, :], t, bstar, first_id=norad)
        if sats[0] is None:
            raise WorldError(f"cannot fit an SGP4 orbit to state {state.tolist()} at {_iso(t)}")
        self.last_fit_residual_km = float(res[0])
        return sats[0]

    def _add_scenario_object(self, spec, actor: str | None) -> None:
        ot = spec.object_type
        if spec.norad_id is not None:
            cid = self._norad_to_id.get(spec.norad_id)
            if cid is None:
                raise WorldError(f"{spec.id}: norad_id {spec.norad_id} is not in the catalog")
            obj = self.objects[self.index.pop(cid)]
            obj.id = spec.id
            self.index[spec.id] = self.objects.index(obj)
            self._norad_to_id[obj.norad_id] = spec.id
        else:
            norad = self.new_norad()
            sat = self._orbit_satrec(spec.orbit, 0.0, norad)
            obj = self._add(TruthObject(spec.id, spec.name or spec.id, ot, norad,
                                        [(self.startex, sat)]))  # fmt: skip
        obj.name = spec.name or spec.id
        obj.object_type = ot
        obj.scenario = True
        obj.origin = "scenario"
        obj.actor = actor
        obj.owner = actor or (getattr(spec, "owner", None) or obj.owner)
        obj.hbr_m = spec.hbr_m or DEFAULT_HBR_M.get(ot, 1.0)
        obj.mass_kg = spec.mass_kg or (mass_from_hbr_kg(spec.hbr_m) if spec.hbr_m
                                       else DEFAULT_MASS_KG.get(ot, 100.0))  # fmt: skip
        obj.maneuverable = bool(getattr(spec, "maneuverable", False))
        obj.dv_budget_mps = float(getattr(spec, "delta_v_mps", None) or 0.0)
        obj.rendezvous_capable = bool(getattr(spec, "rendezvous_capable", False))
        obj.debris_generating = bool(getattr(spec, "debris_generating", False))
        obj.deployables = list(getattr(spec, "deployables", []) or [])

    def _catalog_actors(self, afc) -> None:
        by_code = {o.code: o.actor_id for o in afc.owner_list()}
        defaults = afc.per_class_defaults
        cls = {"PAYLOAD": "payload", "ROCKET BODY": "rocket_body", "DEBRIS": "debris",
               "UNKNOWN": "unknown"}  # fmt: skip
        for obj in self.objects:
            if obj.scenario or obj.owner not in by_code:
                continue
            obj.actor = by_code[obj.owner]
            d = defaults.get(cls.get(obj.object_type, "unknown"))
            if d is None or not d.maneuverable:
                continue
            p = obj.period_min
            regime = "GEO" if 1300 < p < 1800 else ("LEO" if p < 128 else "MEO")
            budget = d.delta_v_mps_by_regime.get(regime, d.delta_v_mps)
            if budget:
                obj.maneuverable = True
                obj.dv_budget_mps = float(budget)

    # ----------------------------------------------------------------------- access
    def obj(self, object_id: str) -> TruthObject:
        try:
            return self.objects[self.index[object_id]]
        except KeyError:
            raise WorldError(f"unknown object {object_id!r}") from None

    def __contains__(self, object_id: str) -> bool:
        return object_id in self.index

    def team_actors(self, team_id: str) -> set[str]:
        return self._team_actors.get(team_id, set())

    def team_of_actor(self, actor: str | None) -> list[str]:
        return [t for t, acts in self._team_actors.items() if actor in acts]

    def _satrec_array(self) -> tuple[SatrecArrayLike, np.ndarray]:
        if self._array is None:
            idx = np.array([i for i, o in enumerate(self.objects) if o.ended_utc is None], int)
            # The engine's batch propagator (compiled kernel when numba is present).
            self._array = satrec_array([self.objects[i].satrec for i in idx])
            self._array_idx = idx
        return self._array, self._array_idx

    def states(self, t: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Truth TEME states of every object alive at ``t`` (the present or later: the
        current arcs): ``(object_indices (n,), r_km (n, 3), v_km_s (n, 3))``; objects whose
        SGP4 fails are left out."""
        t = to_utc64(t)
        if self._state_cache is not None and self._state_cache[0] == t:
            return self._state_cache[1]
        arr, idx = self._satrec_array()
        jd, fr = jd_fr_utc(np.asarray([t]))
        e, r, v = arr.sgp4(jd, fr)
        r, v = r[:, 0], v[:, 0]
        ok = (e[:, 0] == 0) & np.isfinite(r).all(axis=1)
        created = np.array(
            [self.objects[i].created_utc is None or self.objects[i].created_utc <= t for i in idx],
            bool,
        ) if idx.size else np.zeros(0, bool)  # fmt: skip
        ok &= created
        out = (idx[ok], r[ok], v[ok])
        self._state_cache = (t, out)
        return out

    def state_of(self, object_id: str, times: Any) -> tuple[np.ndarray, np.ndarray]:
        """Truth TEME r, v of one object at ``times`` (datetime64 array or scalar), using the
        arc valid at each time (past states are reproduced exactly); NaN where the object
        does not exist or SGP4 fails.  Shapes (n_t, 3) or (3,) for a scalar time."""
        o = self.obj(object_id)
        scalar = np.ndim(times) == 0
        ts = np.atleast_1d(np.asarray(times, dtype="datetime64[us]"))
        r = np.full((ts.size, 3), np.nan)
        v = np.full((ts.size, 3), np.nan)
        starts = [a[0] for a in o.arcs]
        which = np.searchsorted(np.asarray(starts, dtype="datetime64[us]"), ts, side="right") - 1
        which = np.clip(which, 0, len(o.arcs) - 1)
        for k in np.unique(which):
            m = which == k
            rr, vv, _ = _sgp4_one(o.arcs[k][1], ts[m])
            r[m], v[m] = rr, vv
        dead = np.zeros(ts.size, bool)
        if o.created_utc is not None:
            dead |= ts < o.created_utc
        if o.ended_utc is not None:
            dead |= ts >= o.ended_utc
        r[dead] = np.nan
        v[dead] = np.nan
        return (r[0], v[0]) if scalar else (r, v)

    # -------------------------------------------------------------------- scheduling
    def schedule(self, t: np.datetime64, fn, what: str = "") -> None:
        self._seq += 1
        self._schedule.append(_Scheduled(to_utc64(t), self._seq, fn, what))
        self._schedule.sort()

    def advance(self, t_utc: Any) -> list[WorldEvent]:
        """Propagate truth to ``t_utc``: run scheduled burns/releases/expiries and scripted
        conjunction checks that fall due, detect decays.  Returns the physical events."""
        t = to_utc64(t_utc)
        events: list[WorldEvent] = []
        while self._schedule and self._schedule[0].t <= t:
            item = self._schedule.pop(0)
            self.clock_utc = max(self.clock_utc, item.t)
            events += item.fn(item.t)
        for c in self.conjunctions:
            if not c.checked and t >= c.tca_utc + _td64(COLLISION_WINDOW_S):
                c.checked = True
                events += self._check_collision(c)
        self.clock_utc = max(self.clock_utc, t)
        events += self._decays(t)
        return events

    def _decays(self, t: np.datetime64) -> list[WorldEvent]:
        arr, idx = self._satrec_array()
        if not idx.size:
            return []
        jd, fr = jd_fr_utc(np.asarray([t]))
        e, r, _ = arr.sgp4(jd, fr)
        rad = np.linalg.norm(r[:, 0], axis=-1)
        gone = (e[:, 0] != 0) | (rad < RE_KM + REENTRY_ALT_KM) | ~np.isfinite(rad)
        events = []
        if gone.any():
            names = []
            for i in idx[gone]:
                o = self.objects[i]
                if o.created_utc is not None and o.created_utc > t:
                    continue
                if o.id in self.reentries:
                    continue  # scripted re-entries end at their scheduled time
                o.ended_utc = t
                o.end_reason = "reentry"
                names.append(o.id)
            if names:
                self._array = None
                self._state_cache = None
                scen = [n for n in names if self.obj(n).scenario]
                events.append(WorldEvent("reentry", scen or names[:20],
                                         {"n_objects": len(names), "decayed": names[:200]}, t))  # fmt: skip
        return events

    def _end(self, o: TruthObject, t: np.datetime64, reason: str) -> None:
        o.ended_utc = t
        o.end_reason = reason
        self._array = None
        self._state_cache = None

    # ---------------------------------------------------------------------- arcs
    def _new_arc(self, o: TruthObject, t: np.datetime64, state: np.ndarray,
                 bstar: float | None = None) -> float:  # fmt: skip
        """Start a new arc of ``o`` at ``t`` from TEME ``state`` (6,); returns the fit
        residual [km].  Later arcs (scheduled from the past) are dropped."""
        b = o.satrec.bstar if bstar is None else bstar
        sat = self._fit_one(np.asarray(state, float), t, b, o.norad_id)
        o.arcs = [a for a in o.arcs if a[0] < t] + [(t, sat)]
        if len(o.arcs) == 1 and o.created_utc is None:
            o.arcs = [(min(t, self.startex), sat)]
        self._array = None
        self._state_cache = None
        return 0.0

    def burn(self, object_id: str, dv_rtn_mps, t: Any, *, charge: bool = True,
             why: str = "") -> WorldEvent:  # fmt: skip
        """Impulsive burn ``dv_rtn_mps`` [m/s, RTN of the pre-burn TEME state] at ``t``.
        Charged to the delta-v budget (``WorldError`` beyond it)."""
        t = to_utc64(t)
        o = self.obj(object_id)
        dv = np.asarray(dv_rtn_mps, float)
        mag = float(np.linalg.norm(dv))
        if charge and mag > o.dv_left_mps + 1e-9:
            raise WorldError(
                f"{object_id}: burn of {mag:.3f} m/s exceeds the remaining delta-v budget "
                f"{o.dv_left_mps:.3f} m/s (budget {o.dv_budget_mps:g}, used {o.dv_used_mps:.3f})"
            )
        r, v = self.state_of(object_id, t)
        if not np.all(np.isfinite(r)):
            raise WorldError(f"{object_id}: no valid state at {_iso(t)} (decayed?)")
        v2 = v + from_rtn(dv * 1e-3, r, v)
        self._new_arc(o, t, np.concatenate([r, v2]))
        if charge:
            o.dv_used_mps += mag
        return WorldEvent("maneuver", [object_id],
                          {"dv_rtn_mps": dv.round(6).tolist(), "dv_mps": mag, "why": why,
                           "fit_residual_km": self.last_fit_residual_km,
                           "dv_used_mps": o.dv_used_mps, "epoch_utc": _iso(t)}, t)  # fmt: skip

    # --------------------------------------------------------------------- enactment
    def enact(self, inject, t_utc: Any) -> list[WorldEvent]:
        """Enact ``inject.action`` (the typed threat union) released at ``t_utc``."""
        act = getattr(inject, "action", None)
        if act is None:
            return []
        t = to_utc64(t_utc)
        self.advance(t) if t > self.clock_utc else None
        if act.kind in MESSAGE_ONLY_THREATS:
            events = [WorldEvent("message", list(getattr(act, "assets", []) or []),
                                 {"kind": act.kind, "serial": inject.serial}, t)]  # fmt: skip
        elif act.kind in THREAT_HANDLERS:
            events = getattr(self, THREAT_HANDLERS[act.kind])(act, inject.serial, t)
        else:  # the scenario model admitted a kind no handler enacts: say so, never skip it
            raise WorldError(f"{inject.serial}: no handler enacts threat kind {act.kind!r}")
        objs: list[str] = []
        for name in ("target", "secondary", "red_asset", "inspector", "parent", "impactor",
                     "object", "asset"):  # fmt: skip
            v = getattr(act, name, None)
            if isinstance(v, str):
                objs.append(v)
        for e in events:
            objs += [o for o in e.objects if o not in objs]
        self.enacted[inject.serial] = {"threat": act.kind, "objects": objs, "time_utc": t,
                                       "sensors": list(getattr(act, "sensors", []) or [])}  # fmt: skip
        return events

    # high_pc_conjunction
    def _planned_release(self, inj) -> np.datetime64 | None:
        """Release instant of ``inj`` known before play (``at``, or ``delay`` after the
        release of such an inject); None for conditions and resolution-chained triggers."""
        seen = set()
        delay = 0.0
        while inj is not None and inj.serial not in seen:
            seen.add(inj.serial)
            if getattr(inj, "at", None) is not None:
                return to_utc64(self.scenario.time_of(inj.at)) + _td64(delay)
            tr = getattr(inj, "trigger", None)
            if tr is None or getattr(tr, "on", None) != "released":
                return None
            delay += _seconds(tr.delay)
            inj = next((i for _, _, i in self.scenario.iter_injects() if i.serial == tr.after),
                       None)  # fmt: skip
        return None

    def _preplace_conjunctions(self) -> None:
        """Scripted encounters are initial conditions: for each ``high_pc_conjunction``
        whose release is known before play and whose secondary exists at STARTEX (or is
        new), the secondary's orbit *from STARTEX* is the one that meets the target at TCA.
        The encounter then happens by propagation; nothing is moved at release."""
        self._preplaced: dict[str, tuple] = {}
        for _, _, inj in self.scenario.iter_injects():
            a = inj.action
            if a is None or a.kind != "high_pc_conjunction":
                continue
            t_rel = self._planned_release(inj)
            if t_rel is None or (a.secondary is not None and a.secondary not in self.index):
                continue  # placed at release (see _enact_high_pc_conjunction)
            sec = self.obj(a.secondary) if a.secondary is not None else None
            if sec is not None and sec.created_utc is not None and sec.created_utc > self.startex:
                continue
            tca = t_rel + _td64(_seconds(a.tca_offset))
            self._preplaced[inj.serial] = (tca, *self._place_secondary(a, inj.serial, tca,
                                                                       self.startex))  # fmt: skip

    def threat_onset_utc(self, serial: str) -> np.datetime64 | None:
        """When the threat of inject ``serial`` exists in truth, if before its release: a
        scripted encounter built from initial conditions is there from the instant its
        secondary's orbit was set (STARTEX), so a team's own screening can find it before
        the inject is released.  ``None`` when the threat starts at its release."""
        pre = getattr(self, "_preplaced", {}).get(serial)
        return pre[4] if pre is not None else None

    def _enact_high_pc_conjunction(self, a, serial: str, t) -> list[WorldEvent]:
        target = self.obj(a.target)
        pre = getattr(self, "_preplaced", {}).get(serial)
        moved_km = 0.0
        if pre is not None and pre[0] <= t:
            pre = None  # released after its planned TCA: placed now
        if pre is not None:
            tca, sec_id, existing, vrel, placed = pre
            so = self.obj(sec_id)
        else:  # release not known before play: the secondary's orbit is set now
            tca = t + _td64(_seconds(a.tca_offset))
            before = self.state_of(a.secondary, t)[0] if a.secondary in self.index else None
            sec_id, existing, vrel, placed = self._place_secondary(a, serial, tca, t)
            so = self.obj(sec_id)
            if before is not None:
                # an existing object given a new orbit mid-play is not physics: say so (the
                # conjunction event carries the jump; the continuity test flags it)
                moved_km = float(np.linalg.norm(self.state_of(sec_id, t)[0] - before))
                log.warning("%s: %s moved %.1f km at release to script the encounter "
                            "(its release is not known before play)", serial, sec_id, moved_km)  # fmt: skip
        c = ScriptedConjunction(serial, a.target, sec_id, tca, a.miss_m, a.pc_target, vrel,
                                _seconds(a.cdm_cadence), t)  # fmt: skip
        self.conjunctions.append(c)
        return [WorldEvent("conjunction", [a.target, sec_id],
                           {"serial": serial, "tca_utc": _iso(tca), "miss_m": a.miss_m,
                            "rel_speed_km_s": vrel, "pc_target": a.pc_target,
                            "secondary_created": not existing, "orbit_set_utc": _iso(placed),
                            "secondary_moved_km": moved_km if pre is None else 0.0,
                            "combined_hbr_m": target.hbr_m + so.hbr_m}, t)]  # fmt: skip

    def _place_secondary(self, a, serial: str, tca, t) -> tuple[str, bool, float, np.datetime64]:
        """Give the secondary of conjunction ``a`` an orbit, valid from ``t``, that passes
        ``a.miss_m`` from the target's truth at ``tca``: ``(secondary_id, existed,
        relative_speed_km_s, t)``."""
        rt, vt = self.state_of(a.target, tca)
        if not np.all(np.isfinite(rt)):
            raise WorldError(f"{serial}: target {a.target} has no state at TCA {_iso(tca)}")
        basis = rtn_basis(rt, vt)
        r_hat, t_hat, n_hat = basis
        existing = a.secondary is not None and a.secondary in self.index
        sec_id = a.secondary or a.new_secondary_id or f"{serial.replace('/', '-')}-SEC"
        speed_t = float(np.linalg.norm(vt))
        r_s = rt + r_hat * (a.miss_m * 1e-3)
        rs_norm = float(np.linalg.norm(r_s))
        if existing:
            so = self.obj(sec_id)
            sem = so.satrec.a * RE_KM
            speed_s = math.sqrt(max(MU_KM3_S2 * (2 / rs_norm - 1 / sem), 1.0))
            rs0, vs0 = self.state_of(sec_id, tca)
        else:
            speed_s = speed_t * math.sqrt(float(np.linalg.norm(rt)) / rs_norm)
            rs0 = vs0 = None
        if a.relative_speed_km_s is not None:
            # |v_s - v_t|^2 = vs^2 + vt^2 - 2 vs vt cos(phi), horizontal components only
            vth = speed_t * math.sqrt(max(0.0, 1 - (float(vt @ r_hat) / speed_t) ** 2))
            c = (speed_s**2 + vth**2 - a.relative_speed_km_s**2) / (2 * speed_s * vth)
            phi = math.acos(max(-1.0, min(1.0, c)))
        else:
            phi = math.radians(60.0)
            if rs0 is not None and np.all(np.isfinite(rs0)):
                h1, h2 = np.cross(rt, vt), np.cross(rs0, vs0)
                ang = math.acos(np.clip(h1 @ h2 / np.linalg.norm(h1) / np.linalg.norm(h2), -1, 1))
                if ang >= math.radians(15.0):
                    phi = ang
        sign = 1.0 if self.rng.random() < 0.5 else -1.0
        d = t_hat * math.cos(phi) + sign * n_hat * math.sin(phi)
        v_s = d * speed_s
        state = np.concatenate([r_s, v_s])
        if existing:
            so = self.obj(sec_id)
            sat = self._fit_one(state, tca, so.satrec.bstar, so.norad_id)
            if t <= self.startex:  # an initial condition: the whole history is this orbit
                so.arcs = [(so.arcs[0][0], sat)]
            else:
                so.arcs = [x for x in so.arcs if x[0] < t] + [(t, sat)]
            self._array = None
            self._state_cache = None
        else:
            ot = a.secondary_type
            norad = self.new_norad()
            bstar = 1e-4 if ot == "DEBRIS" else 2e-5
            sat = self._fit_one(state, tca, bstar, norad)
            self._add(TruthObject(sec_id, sec_id, ot, norad, [(t, sat)], owner="UNKNOWN",
                                  hbr_m=DEFAULT_HBR_M.get(ot, 1.0),
                                  mass_kg=DEFAULT_MASS_KG.get(ot, 100.0),
                                  created_utc=t, scenario=True, origin=serial))  # fmt: skip
        return sec_id, existing, float(np.linalg.norm(v_s - vt)), t

    def _check_collision(self, c: ScriptedConjunction) -> list[WorldEvent]:
        if c.target not in self.index or c.secondary not in self.index:
            return []
        a, b = self.obj(c.target), self.obj(c.secondary)
        if not (a.alive_at(c.tca_utc) and b.alive_at(c.tca_utc)):
            return []
        tca, miss_km, vrel = self.closest_approach(c.target, c.secondary, c.tca_utc,
                                                   COLLISION_WINDOW_S)  # fmt: skip
        hbr_km = (a.hbr_m + b.hbr_m) * 1e-3
        if not (miss_km < hbr_km):
            return []
        return self._collide(a, b, tca, vrel, f"scripted conjunction {c.serial}")

    def closest_approach(self, a: str, b: str, around: np.datetime64, half_window_s: float,
                         step_s: float = 2.0) -> tuple[np.datetime64, float, float]:  # fmt: skip
        """Truth closest approach of ``a`` and ``b`` within ``around`` +/- ``half_window_s``:
        ``(tca_utc, miss_km, relative_speed_km_s)`` (coarse grid then golden refinement)."""
        n = int(2 * half_window_s / step_s) + 1
        ts = around - _td64(half_window_s) + (np.arange(n) * step_s * 1e6).astype("timedelta64[us]")
        ra, va = self.state_of(a, ts)
        rb, vb = self.state_of(b, ts)
        d = np.linalg.norm(ra - rb, axis=-1)
        if not np.isfinite(d).any():
            return around, math.inf, 0.0
        k = int(np.nanargmin(d))
        lo = ts[max(k - 1, 0)]
        hi = ts[min(k + 1, n - 1)]

        def dist(tt):
            r1, _ = self.state_of(a, tt)
            r2, _ = self.state_of(b, tt)
            return float(np.linalg.norm(r1 - r2))

        g = (math.sqrt(5) - 1) / 2
        span = float((hi - lo) / np.timedelta64(1, "us"))
        x0, x1 = 0.0, span
        c1, c2 = x1 - g * (x1 - x0), x0 + g * (x1 - x0)
        f1, f2 = dist(lo + _td64(c1 * 1e-6)), dist(lo + _td64(c2 * 1e-6))
        for _ in range(40):
            if f1 < f2:
                x1, c2, f2 = c2, c1, f1
                c1 = x1 - g * (x1 - x0)
                f1 = dist(lo + _td64(c1 * 1e-6))
            else:
                x0, c1, f1 = c1, c2, f2
                c2 = x0 + g * (x1 - x0)
                f2 = dist(lo + _td64(c2 * 1e-6))
        tm = lo + _td64(0.5 * (x0 + x1) * 1e-6)
        r1, v1 = self.state_of(a, tm)
        r2, v2 = self.state_of(b, tm)
        return tm, float(np.linalg.norm(r1 - r2)), float(np.linalg.norm(v1 - v2))

    # debris / collisions
    def _collide(self, a: TruthObject, b: TruthObject, t, vrel: float, why: str):
        from spacerange.events.breakup import breakup_collision

        kinds = tuple("rocket_body" if o.object_type == "ROCKET BODY" else "spacecraft"
                      for o in (a, b))  # fmt: skip
        frag = breakup_collision(a.mass_kg, b.mass_kg, max(vrel, 0.01), kinds, min_lc_m=0.1,
                                 rng=self.rng)  # fmt: skip
        ra, va = self.state_of(a.id, t)
        rb, vb = self.state_of(b.id, t)
        self.collisions += 1
        ev = [WorldEvent("collision", [a.id, b.id],
                         {"why": why, "rel_speed_km_s": vrel, "catastrophic": frag.catastrophic,
                          "energy_j_g": frag.energy_j_g}, t)]  # fmt: skip
        ev += self._spawn_fragments(frag, np.stack([ra, rb]), np.stack([va, vb]), t,
                                    a.id, f"{a.id}-C", [a, b])  # fmt: skip
        return ev

    def _enact_debris_event(self, a, serial: str, t) -> list[WorldEvent]:
        from spacerange.events.breakup import breakup_collision, breakup_explosion

        p = self.obj(a.parent)
        kind = "rocket_body" if p.object_type == "ROCKET BODY" else "spacecraft"
        prefix = a.fragment_prefix or p.id
        if a.breakup == "explosion":
            frag = breakup_explosion(p.mass_kg, kind, min_lc_m=a.min_size_m, rng=self.rng)
            r, v = self.state_of(p.id, t)
            return self._spawn_fragments(frag, r, v, t, p.id, prefix, [p], serial)
        if a.impactor is not None:
            imp = self.obj(a.impactor)
            r2, v2 = self.state_of(imp.id, t)
            r1, v1 = self.state_of(p.id, t)
            # the scripted collision brings the impactor to the parent: relative speed
            # is that of the two truth orbits at this instant
            vrel = float(np.linalg.norm(v1 - v2)) if a.impact_speed_km_s is None else (
                a.impact_speed_km_s)  # fmt: skip
            ik = "rocket_body" if imp.object_type == "ROCKET BODY" else "spacecraft"
            frag = breakup_collision(p.mass_kg, imp.mass_kg, vrel, (kind, ik),
                                     min_lc_m=a.min_size_m, rng=self.rng)  # fmt: skip
            # both debris clouds originate at the parent's position (the impactor's own
            # velocity is kept), the scripted meeting point
            self.collisions += 1
            ev = [WorldEvent("collision", [p.id, imp.id],
                             {"serial": serial, "rel_speed_km_s": vrel,
                              "catastrophic": frag.catastrophic}, t)]  # fmt: skip
            return ev + self._spawn_fragments(frag, np.stack([r1, r1]), np.stack([v1, v2]), t,
                                              p.id, prefix, [p, imp], serial)  # fmt: skip
        frag = breakup_collision(p.mass_kg, a.impactor_mass_kg, a.impact_speed_km_s, kind,
                                 min_lc_m=a.min_size_m, rng=self.rng)  # fmt: skip
        r, v = self.state_of(p.id, t)
        self.collisions += 1
        return [WorldEvent("collision", [p.id], {"serial": serial,
                                                  "impactor_mass_kg": a.impactor_mass_kg},
                           t)] + self._spawn_fragments(frag, r, v, t, p.id, prefix, [p], serial)  # fmt: skip

    def _spawn_fragments(self, frag, r, v, t, parent_id, prefix, parents, serial=""):
        from spacerange.events.breakup import bstar_from_area_to_mass

        states = frag.with_parent_state(r, v)
        keep = ~frag.is_remnant
        states = states[keep]
        lc = frag.lc_m[keep]
        am = frag.area_to_mass_m2_kg[keep]
        mass = frag.mass_kg[keep]
        first = self._next_norad
        sats, _ = fit_satrecs(states, t, bstar_from_area_to_mass(am), first_id=first)
        self._next_norad += len(sats)
        for o in parents:
            self._end(o, t, "breakup")
        made, apo, peri, per = [], [], [], []
        k = 0
        for j, sat in enumerate(sats):
            if sat is None:
                continue
            k += 1
            fid = f"{prefix}-{k:04d}"
            while fid in self.index:
                fid = f"{fid}x"
            self._add(TruthObject(fid, f"{parent_id} DEB", "DEBRIS", first + j, [(t, sat)],
                                  owner=parents[0].owner, hbr_m=float(lc[j]) / 2,
                                  mass_kg=float(mass[j]), created_utc=t, scenario=True,
                                  origin=serial or "collision"))  # fmt: skip
            made.append(fid)
            a_km = sat.a * RE_KM
            apo.append(round(a_km * (1 + sat.ecco) - RE_KM, 2))
            peri.append(round(a_km * (1 - sat.ecco) - RE_KM, 2))
            per.append(round(_TWO_PI / sat.no_kozai, 3))
        info = {"parent": parent_id, "n": len(made), "apogee_km": apo, "perigee_km": peri,
                "period_min": per, "time_utc": _iso(t), "ids": made,
                "n_sbm": int(frag.n_debris), "expected_count": float(frag.expected_count),
                "serial": serial}  # fmt: skip
        self.fragment_sets.append(info)
        return [WorldEvent("breakup", [parent_id] + [o.id for o in parents[1:]],
                           {"serial": serial, "event": frag.event, "n_fragments": len(made),
                            "n_sbm": int(frag.n_debris), "min_lc_m": frag.min_lc_m,
                            "expected_count": float(frag.expected_count),
                            "prefix": prefix}, t)]  # fmt: skip

    # rendezvous and inspection
    def _transfer(self, chaser: str, target: str, t0, t_arr, offset_km: float, why: str,
                  on_arrival=None, match_normal: bool = True) -> list[WorldEvent]:  # fmt: skip
        """Transfer arriving at ``t_arr``, or later (1.5x, 2x, 3x... the duration) when the
        remaining delta-v budget cannot pay for the scripted duration."""
        dur = float((t_arr - t0) / np.timedelta64(1, "s"))
        for k in (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0):
            ev = self._transfer_once(chaser, target, t0, t0 + _td64(dur * k), offset_km, why,
                                     on_arrival, match_normal)  # fmt: skip
            if ev is not None:
                ev[0].details["duration_factor"] = k
                return ev
        raise WorldError(f"{why}: {chaser} cannot reach {target} within its remaining "
                         f"delta-v budget ({self.obj(chaser).dv_left_mps:.1f} m/s)")  # fmt: skip

    def _transfer_once(
        self,
        chaser: str,
        target: str,
        t0,
        t_arr,
        offset_km: float,
        why: str,
        on_arrival=None,
        match_normal: bool = True,
    ) -> list[WorldEvent] | None:
        """Two-impulse transfer of ``chaser`` to the point ``offset_km`` along the target's
        orbit (negative: trailing) at ``t_arr``; first burn now (Newton on SGP4 truth), second
        burn scheduled at arrival (velocity match)."""
        o = self.obj(chaser)
        rt, vt = self.state_of(target, t_arr)
        dt_phase = offset_km / float(np.linalg.norm(vt))
        aim_t = t_arr + _td64(dt_phase)
        r_aim, v_aim = self.state_of(target, aim_t)
        r0, v0 = self.state_of(chaser, t0)
        if not (np.all(np.isfinite(r0)) and np.all(np.isfinite(r_aim))):
            raise WorldError(f"{why}: no valid states for the transfer")
        basis0 = rtn_basis(r0, v0)

        def arrive(dv_in):  # dv (k, 3) inertial km/s -> r at t_arr (k, 3)
            st = np.concatenate([np.repeat(r0[None], len(dv_in), 0), v0 + dv_in], axis=1)
            sats, _ = fit_satrecs(st, t0, o.satrec.bstar)
            out = np.full((len(dv_in), 3), np.nan)
            for i, s in enumerate(sats):
                if s is not None:
                    out[i] = _sgp4_one(s, np.asarray([t_arr]))[0][0]
            return out

        # initial guesses: along-track phasing burns for the mean drift, one per phase
        # branch (catch up the short way, or the long way round); Newton on SGP4 truth
        tof = float((t_arr - t0) / np.timedelta64(1, "s"))
        n0 = o.satrec.no_kozai / 60.0
        r_nb = arrive(np.zeros((1, 3)))[0]
        dphi0 = math.atan2(float(np.cross(r_nb, r_aim) @ basis0[2]), float(r_nb @ r_aim))
        # GEO: match the full position.  LEO (multi-revolution phasing): match the
        # along-track position only; the radial and cross-track offsets are left to
        # oscillate after the co-periodic second burn (matching them with one burn can
        # cost several times the budget)
        sel = np.eye(3) if match_normal else rtn_basis(r_aim, v_aim)[1:2]
        eps = 1e-6
        best = None
        for dphi in (dphi0, dphi0 + _TWO_PI, dphi0 - _TWO_PI):
            da = -2.0 / 3.0 * (o.satrec.a * RE_KM) * (dphi / tof) / n0
            dv = from_rtn(np.array([0.0, 0.5 * n0 * da, 0.0]), r0, v0)  # dv = (n / 2) da
            if np.linalg.norm(dv) * 1e3 > 2 * o.dv_left_mps + 1.0:
                continue
            f = np.full(len(sel), np.inf)
            for _ in range(25):
                rr = arrive(np.vstack([dv, dv + np.eye(3) * eps])) @ sel.T
                f = rr[0] - sel @ r_aim
                if np.linalg.norm(f) < 1e-3:
                    break
                jac = (rr[1:] - rr[0]).T / eps
                if not (np.all(np.isfinite(jac)) and np.all(np.isfinite(f))):
                    break
                step = np.linalg.lstsq(jac, -f, rcond=None)[0]
                if np.linalg.norm(step) > 0.2:
                    step *= 0.2 / np.linalg.norm(step)
                fn0 = float(np.linalg.norm(f))
                for _ in range(8):  # backtracking: accept only a step that reduces the miss
                    rt_ = arrive((dv + step)[None])[0] @ sel.T
                    if np.linalg.norm(rt_ - sel @ r_aim) < fn0:
                        break
                    step *= 0.5
                dv = dv + step
            if not np.linalg.norm(f) <= 1.0:
                continue
            s_end, _ = fit_satrecs(np.concatenate([r0, v0 + dv])[None], t0, o.satrec.bstar)
            if s_end[0] is None:
                continue
            r_e, v_e, _ = _sgp4_one(s_end[0], np.asarray([t_arr]))
            v2 = v_aim if match_normal else _coperiodic(r_e[0], v_e[0], r_aim, v_aim)
            dv2_est = (v2 - v_e[0]) * 1e3
            cost = float(np.linalg.norm(dv)) * 1e3 + float(np.linalg.norm(dv2_est))
            if cost <= o.dv_left_mps and (best is None or cost < best[0]):
                best = (cost, dv)
        if best is None:
            return None
        dv = best[1]
        dv_rtn1 = (basis0 @ dv) * 1e3
        events = [self.burn(chaser, dv_rtn1, t0, why=f"{why}: transfer burn 1")]
        events[0].details["arrival_utc"] = _iso(t_arr)

        def second(tt, target=target, chaser=chaser, offset_km=offset_km):
            r_c, v_c = self.state_of(chaser, tt)
            _, vt2 = self.state_of(target, tt)
            aim2 = tt + _td64(offset_km / float(np.linalg.norm(vt2)))
            ra2, va2 = self.state_of(target, aim2)
            dv2 = (va2 if match_normal else _coperiodic(r_c, v_c, ra2, va2)) - v_c
            dv2_rtn = (rtn_basis(r_c, v_c) @ dv2) * 1e3
            co = self.obj(chaser)
            if np.linalg.norm(dv2_rtn) > co.dv_left_mps:
                dv2_rtn[2] = 0.0  # keep in-plane match only
            if np.linalg.norm(dv2_rtn) > co.dv_left_mps:
                dv2_rtn *= co.dv_left_mps / np.linalg.norm(dv2_rtn)
            ev = [self.burn(chaser, dv2_rtn, tt, why=f"{why}: transfer burn 2")]
            rng_km = float(np.linalg.norm(r_c - self.state_of(target, tt)[0]))
            ev.append(WorldEvent("rendezvous", [chaser, target],
                                 {"range_km": rng_km, "aim_offset_km": offset_km,
                                  "dv_used_mps": co.dv_used_mps, "why": why}, tt))  # fmt: skip
            if on_arrival is not None:
                ev += on_arrival(tt)
            return ev

        self.schedule(t_arr, second, f"{why}: burn 2")
        self.proximity_pairs.append((chaser, target, t0))
        return events

    def _side(self, chaser: str, target: str, t) -> float:
        rc, _ = self.state_of(chaser, t)
        rt, vt = self.state_of(target, t)
        return -1.0 if float((rc - rt) @ vt) < 0 else 1.0

    def _enact_geo_rendezvous(self, a, serial: str, t) -> list[WorldEvent]:
        o = self.obj(a.red_asset)
        self.obj(a.target)
        if not o.rendezvous_capable:
            raise WorldError(f"{serial}: {a.red_asset} is not rendezvous_capable")
        t_arr = t + _td64(_seconds(a.duration))
        # station on the side the chaser comes from (trailing if it is behind)
        side = self._side(a.red_asset, a.target, t)
        return self._transfer(a.red_asset, a.target, t, t_arr, side * a.final_range_km,
                              f"{serial} geo_rendezvous")  # fmt: skip

    def _enact_leo_inspector(self, a, serial: str, t) -> list[WorldEvent]:
        o = self.obj(a.inspector)
        self.obj(a.target)
        if not o.rendezvous_capable:
            raise WorldError(f"{serial}: {a.inspector} is not rendezvous_capable")
        t_arr = t + _td64(_seconds(a.duration))
        on_arrival = None
        if a.release is not None:
            rel = a.release
            dep = next((d for d in o.deployables if d.id == rel.deployable), None)
            if dep is None:
                raise WorldError(f"{serial}: {a.inspector} carries no deployable {rel.deployable}")

            def on_arrival(tt, rel=rel, dep=dep):
                t_rel = tt + _td64(_seconds(rel.after))
                self.schedule(t_rel, lambda t2: self._release(a.inspector, a.target, dep,
                                                              rel.relative_speed_m_s, t2, serial),
                              f"{serial} release")  # fmt: skip
                return []

        return self._transfer(a.inspector, a.target, t, t_arr, -a.approach_range_km,
                              f"{serial} leo_inspector", on_arrival, match_normal=False)  # fmt: skip

    def _release(self, parent: str, target: str, dep, speed_m_s: float, t, serial: str):
        rp, vp = self.state_of(parent, t)
        rt, _ = self.state_of(target, t)
        u = rt - rp
        u /= np.linalg.norm(u)
        st = np.concatenate([rp, vp + u * speed_m_s * 1e-3])
        norad = self.new_norad()
        p = self.obj(parent)
        sat = self._fit_one(st, t, p.satrec.bstar, norad)
        self._add(TruthObject(dep.id, dep.id, "PAYLOAD", norad, [(t, sat)], actor=p.actor,
                              owner=p.owner, hbr_m=dep.hbr_m, mass_kg=dep.mass_kg,
                              created_utc=t, scenario=True, origin=serial))  # fmt: skip
        self.proximity_pairs.append((dep.id, target, t))
        return [WorldEvent("release", [parent, dep.id, target],
                           {"serial": serial, "relative_speed_m_s": speed_m_s,
                            "range_to_target_km": float(np.linalg.norm(rt - rp))}, t)]  # fmt: skip

    # re-entry
    def _enact_uncontrolled_reentry(self, a, serial: str, t) -> list[WorldEvent]:
        from spacerange.exercise.scenario.common import resolve_time

        o = self.obj(a.object)
        want = to_utc64(resolve_time(a.expected_reentry, self.scenario.exercise.startex))
        r, v = self.state_of(o.id, t)
        horizon = max(want, t) + _td64(3 * _seconds(a.uncertainty) + 86400)
        n = int(float((horizon - t) / np.timedelta64(1, "s")) // 120) + 2
        ts = t + (np.arange(n) * 120e6).astype("timedelta64[us]")

        def decay_time(bstar):
            s = self._fit_one(np.concatenate([r, v]), t, bstar, o.norad_id)
            rr, _, e = _sgp4_one(s, ts)
            rad = np.linalg.norm(rr, axis=-1)
            bad = (e != 0) | ~np.isfinite(rad) | (rad < RE_KM + REENTRY_ALT_KM)
            k = int(np.argmax(bad)) if bad.any() else None
            return (ts[k] if k is not None else None), s

        lo, hi = math.log(1e-7), math.log(2.0)
        best = None
        for _ in range(30):
            mid = 0.5 * (lo + hi)
            td, s = decay_time(math.exp(mid))
            if td is None or td > want:
                lo = mid
            else:
                hi = mid
                best = (td, s)
        if best is None:
            td, s = decay_time(math.exp(hi))
            best = (td or horizon, s)
        td, s = best
        o.arcs = [x for x in o.arcs if x[0] < t] + [(t, s)]
        self._array = None
        self._state_cache = None
        self.reentries[o.id] = {"truth_utc": td, "expected_utc": want, "serial": serial,
                                "uncertainty_s": _seconds(a.uncertainty),
                                "surviving_mass_kg": a.surviving_mass_kg}  # fmt: skip

        def reenter(tt, oid=o.id):
            ob = self.obj(oid)
            rr, _ = self.state_of(oid, tt - _td64(120))
            lla = itrs_to_geodetic(teme_to_itrs(rr[None, None], np.zeros((1, 1, 3)),
                                                np.asarray([tt]))[0][0, 0])  # fmt: skip
            self._end(ob, tt, "reentry")
            return [WorldEvent("reentry", [oid], {"serial": serial, "lat_deg": float(lla[0]),
                                                  "lon_deg": float(lla[1]),
                                                  "surviving_mass_kg": a.surviving_mass_kg},
                               tt)]  # fmt: skip

        self.schedule(td, reenter, f"{serial} reentry")
        return [WorldEvent("reentry_set", [o.id],
                           {"serial": serial, "truth_reentry_utc": _iso(td),
                            "expected_utc": _iso(want), "bstar": s.bstar}, t)]  # fmt: skip

    def _enact_unannounced_maneuver(self, a, serial: str, t) -> list[WorldEvent]:
        from spacerange.exercise.scenario.common import resolve_time

        at = t if a.at is None else to_utc64(resolve_time(a.at, self.scenario.exercise.startex))
        o = self.obj(a.asset)
        if not o.maneuverable:
            raise WorldError(f"{serial}: {a.asset} is not maneuverable")
        if at <= t:
            return [self.burn(a.asset, a.dv_rtn_mps, t, why=f"{serial} unannounced maneuver")]
        self.schedule(at, lambda tt: [self.burn(a.asset, a.dv_rtn_mps, tt,
                                                why=f"{serial} unannounced maneuver")],
                      f"{serial} burn")  # fmt: skip
        return []

    def _enact_sensor_outage(self, a, serial: str, t) -> list[WorldEvent]:
        until = t + _td64(_seconds(a.duration))
        for s in a.sensors:
            self.sensor_outages[s] = (until, a.degradation)

        def restore(tt, sensors=tuple(a.sensors)):
            for s in sensors:
                if s in self.sensor_outages and self.sensor_outages[s][0] <= tt:
                    del self.sensor_outages[s]
            return [WorldEvent("sensor_outage", list(sensors), {"serial": serial,
                                                                "state": "restored"}, tt)]  # fmt: skip

        self.schedule(until, restore, f"{serial} restore")
        return [WorldEvent("sensor_outage", list(a.sensors),
                           {"serial": serial, "state": "out", "until_utc": _iso(until),
                            "degradation": a.degradation, "cause": a.cause}, t)]  # fmt: skip

    def sensor_availability(self, sensor_id: str, t: np.datetime64) -> float:
        """Fraction of nominal observations a sensor delivers at ``t`` (0 when out)."""
        out = self.sensor_outages.get(sensor_id)
        if out is None or t >= out[0]:
            return 1.0
        return 1.0 - out[1]

    def _enact_space_weather(self, a, serial: str, t) -> list[WorldEvent]:
        from spacerange.events.space_weather import SpaceWeather, density_scale_factor

        base = self.scenario.world.space_weather
        t_on = t + _td64(_seconds(a.ramp) / 2)
        t_off = t + _td64(_seconds(a.ramp) + _seconds(a.duration))
        if a.density_scale is not None:
            scale_fn = lambda h: np.full_like(np.asarray(h, float), a.density_scale)  # noqa: E731
        else:
            sw = SpaceWeather(a.f107_sfu or base.f107_sfu, base.f107_sfu, a.ap or base.ap)
            sw0 = SpaceWeather(base.f107_sfu, base.f107_sfu, base.ap)

            def scale_fn(h):
                return density_scale_factor(sw, h) / density_scale_factor(sw0, h)

        def set_drag(tt, on: bool):
            ids, r, v = self.states(tt)
            objs = [self.objects[i] for i in ids]
            peri = np.array([o.perigee_alt_km for o in objs])
            # every object below the drag ceiling feels the storm; one whose elements carry
            # no (or a non-physical negative) drag term gets B* from its size and mass
            leo = peri < DRAG_CEILING_KM
            if not leo.any():
                return []
            k = np.maximum(scale_fn(np.clip(peri[leo], 150, DRAG_CEILING_KM)), 1e-3)
            sel = np.flatnonzero(leo)
            old = np.array([objs[j].satrec.bstar if objs[j].satrec.bstar > 0
                            else self._drag_bstar(objs[j]) for j in sel])  # fmt: skip
            new_b = old * k if on else old / k
            sats, _ = fit_satrecs(np.concatenate([r[sel], v[sel]], axis=1), tt, new_b)
            for j, s in zip(sel, sats, strict=True):
                if s is not None:
                    o = objs[j]
                    o.arcs = [x for x in o.arcs if x[0] < tt] + [(tt, s)]
            self._array = None
            self._state_cache = None
            self.density_scale = float(np.median(k)) if on else 1.0
            return [WorldEvent("space_weather", [],
                               {"serial": serial, "state": "on" if on else "off",
                                "n_objects": int(leo.sum()),
                                "density_scale_median": float(np.median(k)),
                                "density_scale_400km": float(scale_fn(400.0))}, tt)]  # fmt: skip

        self.schedule(t_on, lambda tt: set_drag(tt, True), f"{serial} storm on")
        self.schedule(t_off, lambda tt: set_drag(tt, False), f"{serial} storm off")
        return [WorldEvent("space_weather", [], {"serial": serial, "state": "announced",
                                                 "onset_utc": _iso(t_on), "end_utc": _iso(t_off),
                                                 "density_scale_400km": float(scale_fn(400.0))},
                           t)]  # fmt: skip

    def _enact_new_launch(self, a, serial: str, t) -> list[WorldEvent]:
        from spacerange.exercise.scenario.world import GeoOrbit

        norad = self.new_norad()
        sat0 = self._orbit_satrec(a.orbit, 2e-5, norad)
        t0 = t
        ep = getattr(getattr(a.orbit, "keplerian", None) or getattr(a.orbit, "state", None)
                     or getattr(a.orbit, "omm", None), "epoch", None)  # fmt: skip
        if ep is not None and to_utc64(ep) > t and not isinstance(a.orbit, GeoOrbit):
            t0 = to_utc64(ep)  # deployment at the orbit's epoch
        r, v, e = _sgp4_one(sat0, np.asarray([t0]))
        dv = self.rng.normal(0.0, a.separation_spread_m_s * 1e-3, (a.n_objects, 3))
        dv[0] = 0.0
        st = np.concatenate([np.repeat(r, a.n_objects, 0), v + dv], axis=1)
        first = self._next_norad
        sats, _ = fit_satrecs(st, t0, 2e-5, first_id=first)
        self._next_norad += a.n_objects
        ids = []
        owner = a.owner or "UNKNOWN"
        for k, s in enumerate(sats, start=1):
            if s is None:
                continue
            oid = f"{a.id_prefix}-{k}"
            ot = "PAYLOAD" if k <= max(1, a.n_objects - 2) else (
                "ROCKET BODY" if k == a.n_objects else "DEBRIS")  # fmt: skip
            self._add(TruthObject(oid, oid, ot, first + k - 1, [(t0, s)], actor=a.owner,
                                  owner=owner, hbr_m=DEFAULT_HBR_M[ot],
                                  mass_kg=DEFAULT_MASS_KG[ot], created_utc=t0, scenario=True,
                                  origin=serial))  # fmt: skip
            ids.append(oid)
        return [WorldEvent("launch", ids, {"serial": serial, "owner": a.owner,
                                           "n_objects": len(ids), "deploy_utc": _iso(t0)}, t)]  # fmt: skip

    # ------------------------------------------------------------------ countermeasures
    #: action kind -> method applying it (``data_share`` is the evaluation name of ``share``)
    _APPLY = {"maneuver": "_apply_maneuver", "relocate": "_apply_relocate",
              "tasking": "_apply_tasking", "share": "_apply_share",
              "data_share": "_apply_share"}  # fmt: skip

    def apply(
        self, team_id: str, action: dict, t_utc: Any
    ) -> tuple[bool, list[str], list[WorldEvent]]:  # noqa: E501
        """Validate ``action`` (contract action dict) against ``team_id``'s capabilities and
        apply it at ``t_utc``: ``(accepted, errors, events)``."""
        t = to_utc64(t_utc)
        kind = action.get("kind")
        fn = self._APPLY.get(kind) if isinstance(kind, str) else None
        if fn is None:
            # the world changes truth or pictures only; anything else is refused here too,
            # whatever the layers above let through
            return False, [f"kind: the world cannot apply action kind {kind!r} (it applies "
                           f"{', '.join(sorted(self._APPLY))})"], []  # fmt: skip
        fn = getattr(self, fn)
        try:
            return fn(team_id, action, t)
        except WorldError as exc:
            return False, [str(exc)], []

    def _own_asset(self, team_id: str, asset: Any) -> TruthObject:
        if not isinstance(asset, str) or asset not in self.index:
            raise WorldError(f"asset {asset!r} is not one of team {team_id}'s assets")
        o = self.obj(asset)
        if o.actor is None or o.actor not in self.team_actors(team_id):
            raise WorldError(f"asset {asset!r} is not one of team {team_id}'s assets")
        return o

    def _apply_maneuver(self, team_id, action, t):
        o = self._own_asset(team_id, action.get("asset"))
        if not o.maneuverable:
            raise WorldError(f"asset {o.id} is not maneuverable")
        if o.ended_utc is not None:
            raise WorldError(f"asset {o.id} no longer exists ({o.end_reason})")
        dv = action.get("dv_rtn_mps")
        if not (isinstance(dv, list | tuple) and len(dv) == 3
                and all(isinstance(x, int | float) and math.isfinite(x) for x in dv)):  # fmt: skip
            raise WorldError("dv_rtn_mps: expected three numbers [R, T, N] in m/s")
        mag = math.sqrt(sum(x * x for x in dv))
        committed = sum(s.fn.dv for s in self._schedule if getattr(s.fn, "asset", None) == o.id)
        left = o.dv_left_mps - committed
        if mag > left + 1e-9:
            raise WorldError(
                f"maneuver of {mag:.3f} m/s exceeds {o.id}'s remaining delta-v budget "
                f"{left:.3f} m/s (budget {o.dv_budget_mps:g} m/s, used {o.dv_used_mps:.3f})"
            )
        ep = action.get("epoch_utc")
        te = t if ep in (None, "") else to_utc64(ep)
        if te < t - np.timedelta64(60, "s"):
            raise WorldError(f"epoch_utc {_iso(te)} is in the past (now {_iso(t)})")
        if te > self.endex:
            raise WorldError(f"epoch_utc {_iso(te)} is after ENDEX")
        if te <= t:
            ev = self.burn(o.id, dv, t, why=f"{team_id} maneuver")
            return True, [], [ev]

        def do(tt, oid=o.id, dv=tuple(dv)):
            return [self.burn(oid, dv, tt, why=f"{team_id} maneuver")]

        do.asset, do.dv = o.id, mag
        self.schedule(te, do, f"{team_id} maneuver {o.id}")
        return True, [], []

    def _apply_relocate(self, team_id, action, t):
        from spacerange.maneuvers.geo_relocation import plan_geo_relocation

        o = self._own_asset(team_id, action.get("asset"))
        if not o.maneuverable:
            raise WorldError(f"asset {o.id} is not maneuverable")
        if not 1300 < o.period_min < 1600:
            raise WorldError(
                f"relocate is for GEO assets; {o.id} has a {o.period_min:.0f} min period"
            )
        try:
            to_lon = float(action["to_lon_deg"])
            days = float(action.get("drift_days", 2.0))
        except (KeyError, TypeError, ValueError):
            raise WorldError("relocate needs to_lon_deg (deg east) and drift_days") from None
        r, v = self.state_of(o.id, t)
        ri, _ = teme_to_itrs(r[None, None], v[None, None], np.asarray([t]))
        lon = float(itrs_to_geodetic(ri[0, 0])[1])
        try:
            plan = plan_geo_relocation(lon, to_lon, days, t)
        except ValueError as exc:
            raise WorldError(f"relocate: {exc}") from None
        if plan.total_dv_m_s > o.dv_left_mps:
            raise WorldError(
                f"relocation to {to_lon:g} deg in {days:g} d needs {plan.total_dv_m_s:.2f} m/s, "
                f"more than {o.id}'s remaining {o.dv_left_mps:.2f} m/s"
            )
        ev = [self.burn(o.id, [0.0, plan.dv1_t_km_s * 1e3, 0.0], t, why="relocate burn 1")]
        self.schedule(to_utc64(plan.burn2_utc),
                      lambda tt: [self.burn(o.id, [0.0, plan.dv2_t_km_s * 1e3, 0.0], tt,
                                            why="relocate burn 2")],
                      f"{o.id} relocate burn 2")  # fmt: skip
        ev[0].details["plan"] = {"from_lon_deg": lon, "to_lon_deg": to_lon,
                                 "arrival_utc": _iso(to_utc64(plan.burn2_utc)),
                                 "total_dv_m_s": plan.total_dv_m_s}  # fmt: skip
        return True, [], ev

    def team_sensors(self, team_id: str) -> list[str]:
        out = []
        for aid in self.team_actors(team_id):
            actor = self._actors.get(aid)
            if actor is not None:
                out += [s.sensor_id for s in actor.sensors]
        return out

    def _apply_tasking(self, team_id, action, t):
        sensor = action.get("sensor")
        mine = self.team_sensors(team_id)
        if sensor not in mine:
            raise WorldError(f"sensor {sensor!r} is not one of team {team_id}'s sensors "
                             f"({', '.join(mine) or 'none'})")  # fmt: skip
        objs = action.get("objects") or []
        if not isinstance(objs, list) or not all(isinstance(x, str) for x in objs):
            raise WorldError("objects: expected a list of object ids")
        # no existence check: a team may task an id it heard of; it only helps if it exists
        self.tasking.setdefault(team_id, {}).setdefault(sensor, set()).update(objs)
        return True, [], []

    def _apply_share(self, team_id, action, t):
        to = action.get("to_team")
        if to not in {tm.id for tm in self.scenario.teams}:
            raise WorldError(f"unknown team {to!r}")
        products = action.get("products") or []
        allowed: dict[str, float] = {}
        for ag in self.scenario.sharing:
            if ag.provider == team_id and to in ag.recipients:
                for p in ag.products:
                    allowed[p] = min(allowed.get(p, math.inf), _seconds(ag.delay))
        bad = [p for p in products if p not in allowed]
        if not products or bad:
            raise WorldError(
                f"no sharing agreement lets {team_id} send {', '.join(bad) or 'nothing'} to "
                f"{to} (allowed: {', '.join(sorted(allowed)) or 'none'})"
            )
        delay = max(allowed[p] for p in products)
        self.share_requests.append((team_id, to, list(products), list(action.get("objects") or []),
                                    t + _td64(delay)))  # fmt: skip
        return True, [], []

    # ------------------------------------------------------------------- rule functions
    def functions(self, team_id: str | None = None, *, scope: str | None = None,
                  since_utc: Any = None) -> dict[str, Callable]:  # fmt: skip
        """Rule-language functions (see :mod:`spacerange.exercise.rulefuncs`).

        ``team_id=None`` or ``scope='truth'``: truth functions (EXCON, evaluation rules and
        trigger conditions); with a team, ``tracked`` answers for that team.
        ``scope='picture'`` (the default when a team is given): the team's view, built on
        its picture; objects absent from it raise :class:`~spacerange.exercise.rulefuncs.NotInPicture`.
        ``since_utc``: start of ``min_range`` (default STARTEX)."""
        from spacerange.exercise.rulefuncs import picture_functions, truth_functions

        if scope is None:
            scope = "truth" if team_id is None else "picture"
        since = self.startex if since_utc is None else to_utc64(since_utc)
        if scope == "truth":
            return truth_functions(self, team_id, since)
        if scope == "picture":
            if team_id is None:
                raise ValueError("scope='picture' needs a team")
            return picture_functions(self, team_id, since)
        raise ValueError(f"scope must be 'truth' or 'picture', got {scope!r}")
