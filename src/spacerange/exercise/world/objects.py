"""Threats that add or remove objects: break-ups (NASA SBM fragments), uncontrolled
re-entries and new launches."""

from __future__ import annotations

import math

import numpy as np

from spacerange.catalog.ballistic import DRAG_CEILING_KM
from spacerange.exercise.world.environment import MIN_DENSITY_SCALE, STORM_HEIGHT_RANGE_KM
from spacerange.exercise.world.model import (
    _TWO_PI,
    DEFAULT_HBR_M,
    DEFAULT_MASS_KG,
    RE_KM,
    REENTRY_ALT_KM,
    TruthObject,
    WorldError,
    WorldEvent,
    _iso,
    _seconds,
    _sgp4_one,
    _td64,
    _with_bstar,
    fit_satrecs,
    reepoch_interval_s,
    to_utc64,
)
from spacerange.frames import (
    itrs_to_geodetic,
    teme_to_itrs,
)


class ObjectThreats:
    """Part of :class:`spacerange.exercise.world.World` (a mixin: it works on the world's
    state, see :mod:`spacerange.exercise.world.core`)."""

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
            # velocity is kept): the impactor's orbit from STARTEX meets it there (see
            # ConjunctionThreats._preplace_impactor) when the break-up is known before play
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
        from spacerange.catalog.ballistic import bstar_from_size
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
        made, apo, peri, per, steered = [], [], [], [], []
        k = 0
        for j, sat in enumerate(sats):
            if sat is None:
                continue
            k += 1
            fid = f"{prefix}-{k:04d}"
            while fid in self.index:
                fid = f"{fid}x"
            if fid in getattr(self, "_fragment_plans", {}):  # a scripted conjunction's
                size_b = bstar_from_size(float(lc[j]) / 2, float(mass[j]))  # as _drag_bstar
                sat, rec = self._steer_fragment(fid, sat, states[j], frag.dv_km_s[keep][j], t,
                                                size_b)  # fmt: skip
                steered.append(rec)
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
                            "prefix": prefix, "steered": steered}, t)]  # fmt: skip

    # re-entry
    def _decay_utc(self, sat, t0, horizon, storms, norad):
        """First instant (2 min grid) at which the truth arc ``sat`` from ``t0`` is below
        the re-entry height, ``None`` if it stays up until ``horizon``.  The truth of a
        decaying object is re-epoched every :func:`reepoch_interval_s`
        (:meth:`_schedule_reentry`) and the storms to come are applied the way
        :meth:`EnvironmentThreats._enact_space_weather` applies them (B* times the
        density ratio at the arc's perigee, refitted at onset and end).  ``storms``: the
        storm transitions ``(t, scale_fn, on)`` of :meth:`EnvironmentThreats.drag_changes`."""
        cuts = [c for c in storms if c[0] >= t0]
        bstar, t_a = sat.bstar, t0
        knot = t0 + _td64(reepoch_interval_s(sat))
        while t_a < horizon:
            storm = bool(cuts) and cuts[0][0] <= knot
            t_b = min(cuts[0][0] if storm else knot, horizon)
            if t_b > t_a:
                n = max(int(float((t_b - t_a) / np.timedelta64(1, "s")) // 120), 1)
                ts = t_a + (np.arange(n) * 120e6).astype("timedelta64[us]")
                rr, _, e = _sgp4_one(sat, ts)
                rad = np.linalg.norm(rr, axis=-1)
                bad = (e != 0) | ~np.isfinite(rad) | (rad < RE_KM + REENTRY_ALT_KM)
                if bad.any():
                    return ts[int(np.argmax(bad))]
            if t_b >= horizon:
                return None
            if storm:
                _, fn, on = cuts.pop(0)
                peri = sat.a * RE_KM * (1 - sat.ecco) - RE_KM
                if peri >= DRAG_CEILING_KM:
                    continue
                k = max(float(fn(np.clip(peri, *STORM_HEIGHT_RANGE_KM))), MIN_DENSITY_SCALE)
                bstar = bstar * k if on else bstar / k
            r, v, _ = _sgp4_one(sat, np.asarray([t_b]))
            r0 = r[0]
            if not np.isfinite(r0).all() or np.linalg.norm(r0) < RE_KM + REENTRY_ALT_KM:
                return t_b
            sat, t_a = self._fit_one(np.concatenate([r0, v[0]]), t_b, bstar, norad), t_b
            if not storm or t_b == knot:
                knot = t_b + _td64(reepoch_interval_s(sat))
        return None

    def _solve_reentry(self, arc_of, t0, want, horizon, storms, norad) -> tuple:
        """B* (bisection in log B*) such that the arc ``arc_of(bstar)`` from ``t0`` decays
        at ``want`` (the last 2 min grid instant not after it): ``(truth decay, satrec)``."""
        lo, hi = math.log(1e-7), math.log(2.0)
        best = None
        for _ in range(22):
            mid = 0.5 * (lo + hi)
            s = arc_of(math.exp(mid))
            td = self._decay_utc(s, t0, horizon, storms, norad)
            if td is None or td > want:
                lo = mid
            else:
                hi = mid
                best = (td, s)
        if best is None:
            s = arc_of(math.exp(hi))
            best = (self._decay_utc(s, t0, horizon, storms, norad) or horizon, s)
        return best

    def _schedule_reentry(self, o, t0, td, want, a, serial: str) -> None:
        """Record the scripted re-entry of ``o`` (truth arc from ``t0``, decay at ``td``),
        end the object at ``td`` and re-epoch its truth every reepoch_interval_s until then:
        one SGP4 arc held over days of decay comes down hours later than the same B*
        re-fitted as the perigee drops (:data:`REENTRY_REEPOCH_S`), so a team's fit of
        what its sensors see would disagree with the truth it tracks."""
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

        def reepoch(tt, oid=o.id):
            ob = self.obj(oid)
            if ob.ended_utc is not None or tt >= td:
                return []
            r, v = self.state_of(oid, tt)
            s = self._fit_one(np.concatenate([r, v]), tt, ob.satrec.bstar, ob.norad_id)
            ob.arcs = [x for x in ob.arcs if x[0] < tt] + [(tt, s)]
            self._array = None
            self._state_cache = None
            self.schedule(tt + _td64(reepoch_interval_s(s)), reepoch, f"{serial} re-epoch")
            return []

        sat0 = o.satrec_at(t0)
        self.schedule(t0 + _td64(reepoch_interval_s(sat0)), reepoch, f"{serial} re-epoch")

    def _preplace_reentries(self) -> None:
        """Scripted re-entries are initial conditions (issue 11): for each
        ``uncontrolled_reentry`` whose release is known before play (``at``, or a chain of
        ``after ... on: released``) and whose object exists at STARTEX, the drag term
        (B*) of the object's element set is the one that, with the storms scripted before
        play,
        brings it down at ``expected_reentry``; its orbit decays toward it from STARTEX,
        so what the sensors see from the start leads to that re-entry.  The inject's
        release then changes nothing physical (:meth:`_enact_uncontrolled_reentry`)."""
        from spacerange.exercise.scenario.common import resolve_time

        self._reentry_plans: dict[str, dict] = {}
        for _, _, inj in self.scenario.iter_injects():
            a = inj.action
            if (a is None or a.kind != "uncontrolled_reentry" or a.object not in self.index
                    or self._planned_release(inj) is None):  # fmt: skip
                continue  # a conditional re-entry is set when (if) it is released
            o = self.obj(a.object)
            if (o.created_utc is not None and o.created_utc > self.startex) or (
                    o.id in self.reentries):  # fmt: skip
                continue  # created in play (set at release); or scripted twice: the first
            want = to_utc64(resolve_time(a.expected_reentry, self.scenario.exercise.startex))
            t0, sat0 = o.arcs[-1]
            horizon = max(want, self.startex) + _td64(3 * _seconds(a.uncertainty) + 86400)
            storms = self.drag_changes(t0 - _td64(1), horizon)
            td, s = self._solve_reentry(lambda b, sat0=sat0: _with_bstar(sat0, b), t0, want,
                                        horizon, storms, o.norad_id)  # fmt: skip
            o.arcs[-1] = (t0, s)
            self._array = None
            self._state_cache = None
            self._schedule_reentry(o, t0, td, want, a, inj.serial)
            self._reentry_plans[inj.serial] = {"object": o.id, "truth_utc": td,
                                               "expected_utc": want, "bstar": s.bstar,
                                               "set_utc": t0}  # fmt: skip

    def _enact_uncontrolled_reentry(self, a, serial: str, t) -> list[WorldEvent]:
        from spacerange.exercise.scenario.common import resolve_time

        o = self.obj(a.object)
        plan = getattr(self, "_reentry_plans", {}).get(serial)
        if plan is not None:  # set from STARTEX (_preplace_reentries): nothing moves now
            return [WorldEvent("reentry_set", [o.id],
                               {"serial": serial, "truth_reentry_utc": _iso(plan["truth_utc"]),
                                "expected_utc": _iso(plan["expected_utc"]),
                                "bstar": plan["bstar"], "initial_condition": True,
                                "set_utc": _iso(plan["set_utc"])}, t)]  # fmt: skip
        if o.ended_utc is not None and o.ended_utc <= t:
            # a scenario error (the object decayed on its own first), reported as such
            # rather than as the NaN state it would leave the orbit fit with
            raise WorldError(f"{o.id} already ended ({o.end_reason}) at {_iso(o.ended_utc)}, "
                             "before this re-entry was scripted")  # fmt: skip
        # an object created in play: its decay is set now, from its state at release
        want = to_utc64(resolve_time(a.expected_reentry, self.scenario.exercise.startex))
        r, v = self.state_of(o.id, t)
        horizon = max(want, t) + _td64(3 * _seconds(a.uncertainty) + 86400)
        state = np.concatenate([r, v])
        td, s = self._solve_reentry(lambda b: self._fit_one(state, t, b, o.norad_id), t, want,
                                    horizon, self.drag_changes(t - _td64(1), horizon), o.norad_id)  # fmt: skip
        o.arcs = [x for x in o.arcs if x[0] < t] + [(t, s)]
        self._array = None
        self._state_cache = None
        self._schedule_reentry(o, t, td, want, a, serial)
        return [WorldEvent("reentry_set", [o.id],
                           {"serial": serial, "truth_reentry_utc": _iso(td),
                            "expected_utc": _iso(want), "bstar": s.bstar,
                            "initial_condition": False}, t)]  # fmt: skip

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
