"""The truth world's core: objects and their SGP4 arcs, the catalog, states, the clock,
burns, decay, and the dispatch of threat enactment to the handlers."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sgp4.api import WGS72, Satrec

from spacerange.catalog.ballistic import DRAG_CEILING_KM, mass_from_hbr_kg
from spacerange.exercise.ports import UtcLike
from spacerange.exercise.world.model import (
    _TWO_PI,
    COLLISION_WINDOW_S,
    DEFAULT_HBR_M,
    DEFAULT_MASS_KG,
    EARTH_ROT_RAD_S,
    FIRST_CREATED_NORAD,
    MESSAGE_ONLY_THREATS,
    MU_KM3_S2,
    RE_KM,
    REENTRY_ALT_KM,
    THREAT_HANDLERS,
    ScriptedConjunction,
    TruthObject,
    WorldError,
    WorldEvent,
    _gcrs_to_teme,
    _iso,
    _itrs_state_to_teme,
    _kepler_to_state,
    _mean_to_true_deg,
    _Scheduled,
    _sgp4_one,
    _td64,
    _with_bstar,
    fit_satrecs,
    to_utc64,
)
from spacerange.frames import (
    from_rtn,
)
from spacerange.propagation.sgp4_batch import SatrecArrayLike, satrec_array
from spacerange.timescales import jd_fr_utc

if TYPE_CHECKING:  # pragma: no cover
    from spacerange.exercise.scenario import Inject

log = logging.getLogger("spacerange.exercise.world")


class WorldCore:
    """Part of :class:`spacerange.exercise.world.World` (a mixin: it works on the world's
    state, see :mod:`spacerange.exercise.world.core`)."""

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
        self._preplace_reentries()

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
        vanish at tsince = 0): an initial condition, not a jump.  (A negative B* is kept;
        a storm re-arcs such an object with the drag of its size and mass and it comes
        out of the storm with that drag; the teams do the same from the object's public
        size and mass, :mod:`spacerange.exercise.picture.space_weather`.)"""
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

    def states(self, t: UtcLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    def state_of(self, object_id: str, times: UtcLike) -> tuple[np.ndarray, np.ndarray]:
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

    def advance(self, t_utc: UtcLike) -> list[WorldEvent]:
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

    def burn(self, object_id: str, dv_rtn_mps, t: UtcLike, *, charge: bool = True,
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
    def enact(self, inject: Inject, t_utc: UtcLike) -> list[WorldEvent]:
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
