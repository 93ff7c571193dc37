"""Custody loss and deception (issue 15, item 5): a manoeuvre timed out of a team's
coverage, releases of decoys or sub-satellites, and the measured outcomes of the
counterspace threats (custody lost and regained, fragments catalogued, hold range band).

* ``covert_maneuver``: the world samples the asset's truth every minute and asks the
  named teams' own sensors (the picture's :func:`~spacerange.exercise.picture.sensing.detect`
  without the detection draw: geometry, lighting, outages) whether they could see it; the
  burn happens at the first instant unseen by all of them for ``min_gap``.  From the burn
  the world checks every 10 min whether each team still holds custody
  (``Pictures.tracked``: a track recent enough whose prediction still finds the object)
  and records when custody was lost and regained.
* ``decoy_release``: objects created at the parent's position with a random relative
  velocity (creation logged as a ``release``), optionally while the parent burns.

Not modelled: signatures (a decoy is an object like any other: size and mass only),
inflatable or radar-reflector physics, deliberate correlation spoofing of the teams'
catalogs (the picture correlates by orbit; see ``Pictures`` for the correlation gate).
"""

from __future__ import annotations

import numpy as np

from spacerange.exercise.world.model import (
    TruthObject,
    WorldError,
    WorldEvent,
    _iso,
    _seconds,
    _td64,
    to_utc64,
)

#: coverage sampling step of a covert manoeuvre's search [s]
COVERAGE_STEP_S = 60.0
#: custody check cadence after a covert manoeuvre [s]
CUSTODY_CHECK_S = 600.0
#: a catalog_update matches a created object when the team's orbit is within this [km]
CATALOG_MATCH_KM = 50.0


class DeceptionThreats:
    """Part of :class:`spacerange.exercise.world.World` (a mixin: it works on the world's
    state, see :mod:`spacerange.exercise.world.core`)."""

    def _init_counterspace(self) -> None:
        #: serial -> ASAT test record (world/asat.py)
        self.asat_tests: dict[str, dict] = {}
        #: serial -> covert manoeuvre record (burn time, custody per team)
        self.covert: dict[str, dict] = {}
        #: serial -> decoy release record
        self.decoys: dict[str, dict] = {}
        #: serial -> rendezvous guidance record (world/rpo.py)
        self.rpo: dict[str, dict] = {}
        #: asset -> abort callbacks of its guidance (a team burn stands them down)
        self._rpo_abort: dict[str, list] = {}
        #: guidance key -> the prefix of its scheduled burns and checks
        self._rpo_why: dict[str, str] = {}
        #: team -> truth id -> (first catalogued UTC, orbit error km) of catalog_update
        self.catalogued: dict[str, dict[str, tuple[np.datetime64, float]]] = {}

    # ------------------------------------------------------------------ covert manoeuvre
    def _team_sees(self, team: str, oid: str, ts: np.ndarray) -> np.ndarray:
        """Whether ``team``'s sensors could observe ``oid`` at each of ``ts`` (geometry,
        lighting and outages; no detection draw)."""
        from spacerange.exercise.picture.sensing import detect

        pics = self.pictures
        if pics is None or team not in pics.teams:
            raise WorldError(f"unknown team {team!r} (or no pictures attached)")
        tp = pics.teams[team]
        r, v = self.state_of(oid, ts)
        out = np.zeros(len(ts), bool)
        ids = np.array([oid], dtype=object)
        for k, tt in enumerate(ts):
            if not np.all(np.isfinite(r[k])):
                continue
            ri, scene = pics._itrs(r[k][None], v[k][None], tt)
            rows, _, _ = detect(tp.sensors, ri, scene, ids,
                             lambda sid, tt=tt: self.sensor_availability(sid, tt), {}, None)  # fmt: skip
            out[k] = rows.size > 0
        return out

    def _enact_covert_maneuver(self, a, serial: str, t) -> list[WorldEvent]:
        from spacerange.exercise.scenario.common import resolve_time

        o = self.obj(a.asset)
        if not o.maneuverable:
            raise WorldError(f"{serial}: {a.asset} is not maneuverable")
        start = t
        if a.not_before is not None:
            start = max(t, to_utc64(resolve_time(a.not_before, self.scenario.exercise.startex)))
        end = self.endex
        if a.not_after is not None:
            end = min(end, to_utc64(resolve_time(a.not_after, self.scenario.exercise.startex)))
        gap_s = _seconds(a.min_gap)
        t0 = start - _td64(gap_s)
        n = int(float((end - t0) / np.timedelta64(1, "s")) // COVERAGE_STEP_S) + 1
        ts = t0 + (np.arange(n) * COVERAGE_STEP_S * 1e6).astype("timedelta64[us]")
        seen = np.zeros(n, bool)
        for team in a.unseen_by:
            seen |= self._team_sees(team, o.id, ts)
        need = int(np.ceil(gap_s / COVERAGE_STEP_S))
        burn_k = None
        run = 0
        for k in range(n):
            run = 0 if seen[k] else run + 1
            if ts[k] >= start and run > need:
                burn_k = k
                break
        if burn_k is None:
            raise WorldError(f"{serial}: {o.id} is never out of {', '.join(a.unseen_by)}'s "
                             f"coverage for {gap_s / 60:g} min before {_iso(end)}")  # fmt: skip
        t_burn = ts[burn_k]
        last_seen = ts[:burn_k][seen[:burn_k]]
        rec = {"serial": serial, "asset": o.id, "burn_utc": _iso(t_burn),
               "unseen_by": list(a.unseen_by),
               "last_visible_utc": _iso(last_seen[-1]) if last_seen.size else None,
               "custody": {tm: {"lost_utc": None, "regained_utc": None}
                           for tm in a.unseen_by}}  # fmt: skip
        self.covert[serial] = rec

        def burn(tt):
            ev = [self.burn(o.id, a.dv_rtn_mps, tt, why=f"{serial} covert maneuver")]
            ev[0].details["unseen_by"] = list(a.unseen_by)
            self.schedule(tt + _td64(CUSTODY_CHECK_S), check, f"{serial} custody check")
            return ev

        def check(tt):
            pics = self.pictures
            for tm, c in rec["custody"].items():
                held = pics is not None and pics.tracked(tm, o.id, tt)
                if c["lost_utc"] is None and not held:
                    c["lost_utc"] = _iso(tt)
                elif c["lost_utc"] is not None and c["regained_utc"] is None and held:
                    c["regained_utc"] = _iso(tt)
            if any(c["regained_utc"] is None for c in rec["custody"].values()) and (
                tt + _td64(CUSTODY_CHECK_S) <= self.endex
            ):
                self.schedule(tt + _td64(CUSTODY_CHECK_S), check, f"{serial} custody check")
            return []

        if t_burn <= t:
            return burn(t)
        self.schedule(t_burn, burn, f"{serial} covert burn")
        return [WorldEvent("covert_planned", [o.id], {"serial": serial,
                                                      "burn_utc": rec["burn_utc"]}, t)]  # fmt: skip

    # ---------------------------------------------------------------------- decoys
    def _enact_decoy_release(self, a, serial: str, t) -> list[WorldEvent]:
        from spacerange.exercise.scenario.common import resolve_time

        at = t if a.at is None else max(t, to_utc64(resolve_time(a.at,
                                                                 self.scenario.exercise.startex)))  # fmt: skip
        p = self.obj(a.parent)
        for d in a.decoys:
            if d.id in self.index:
                raise WorldError(f"{serial}: object {d.id} already exists")
        if a.parent_dv_rtn_mps is not None and not p.maneuverable:
            raise WorldError(f"{serial}: {a.parent} is not maneuverable")

        def release(tt):
            rp, vp = self.state_of(p.id, tt)
            if not np.all(np.isfinite(rp)):
                raise WorldError(f"{serial}: {p.id} has no state at {_iso(tt)}")
            u = self.rng.normal(size=(len(a.decoys), 3))
            u /= np.linalg.norm(u, axis=1)[:, None]
            ids = []
            for d, uk in zip(a.decoys, u, strict=True):
                norad = self.new_norad()
                st = np.concatenate([rp, vp + uk * a.relative_speed_m_s * 1e-3])
                sat = self._fit_one(st, tt, p.satrec.bstar, norad)
                # a decoy is nobody's operated asset: every team (its owner's too) sees a
                # new uncorrelated object
                self._add(TruthObject(d.id, d.id, "UNKNOWN", norad, [(tt, sat)], actor=None,
                                      owner=p.owner, hbr_m=d.hbr_m, mass_kg=d.mass_kg,
                                      created_utc=tt, scenario=True, origin=serial))  # fmt: skip
                ids.append(d.id)
            ev = [WorldEvent("release", [p.id, *ids], {"serial": serial, "decoy": True,
                                                       "relative_speed_m_s": a.relative_speed_m_s},
                             tt)]  # fmt: skip
            if a.parent_dv_rtn_mps is not None:
                ev.append(self.burn(p.id, a.parent_dv_rtn_mps, tt, why=f"{serial} decoy cover"))
            self.decoys[serial] = {"serial": serial, "parent": p.id, "ids": ids,
                                   "release_utc": _iso(tt)}  # fmt: skip
            return ev

        if at <= t:
            return release(t)
        self.schedule(at, release, f"{serial} decoy release")
        return []

    # ------------------------------------------------------------------ team outcomes
    def note_catalogued(self, team: str, objects: list[str], errors_km: list[float], t) -> None:
        """A team's accepted ``catalog_update`` (truth ids, its orbit error of each [km])."""
        book = self.catalogued.setdefault(team, {})
        for oid, err in zip(objects, errors_km, strict=True):
            if oid is not None and oid not in book:
                book[oid] = (to_utc64(t), float(err))

    def catalogued_count(self, team: str | None, ids: list[str]) -> int:
        """How many of ``ids`` ``team`` catalogued with an orbit within CATALOG_MATCH_KM."""
        book = self.catalogued.get(team or "", {})
        return sum(1 for i in ids if i in book and book[i][1] <= CATALOG_MATCH_KM)

    def created_by(self, obj: str) -> list[str]:
        """Objects created by the break-up of ``obj`` or released by it (decoys)."""
        out: list[str] = []
        for fs in self.fragment_sets:
            if fs["parent"] == obj:
                out += list(fs["ids"])
        for d in self.decoys.values():
            if d["parent"] == obj:
                out += d["ids"]
        return out

    def threat_outcomes(self) -> dict:
        """Measured outcomes of the counterspace threats for the run summary."""
        teams = [tm.id for tm in self.scenario.teams if tm.role in ("blue", "red")]
        asat = []
        for rec in self.asat_tests.values():
            asat.append({k: rec.get(k) for k in ("serial", "target", "launch_utc",
                                                 "intercept_utc", "intercept_alt_km",
                                                 "ascent_seen_by", "ascent_tracks",
                                                 "ascent_od_failures",
                                                 "n_fragments")}
                        | {"catalogued": {tm: self.catalogued_count(tm, rec["fragments"])
                                          for tm in teams}})  # fmt: skip
        decoys = [d | {"catalogued": {tm: self.catalogued_count(tm, d["ids"]) for tm in teams}}
                  for d in self.decoys.values()]  # fmt: skip
        covert = [{k: c[k] for k in ("serial", "asset", "burn_utc", "custody")}
                  for c in self.covert.values()]  # fmt: skip
        rpo = [{k: v for k, v in r.items() if k != "samples"} for r in self.rpo.values()]
        return {"asat_tests": asat, "decoy_releases": decoys, "covert_maneuvers": covert,
                "rpo_holds": rpo}  # fmt: skip
