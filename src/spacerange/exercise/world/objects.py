"""Threats that add or remove objects: break-ups (NASA SBM fragments), uncontrolled
re-entries and new launches."""

from __future__ import annotations

import math

import numpy as np

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
    fit_satrecs,
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
    def _enact_uncontrolled_reentry(self, a, serial: str, t) -> list[WorldEvent]:
        from spacerange.exercise.scenario.common import resolve_time

        o = self.obj(a.object)
        if o.ended_utc is not None and o.ended_utc <= t:
            # a scenario error (the object decayed on its own first), reported as such
            # rather than as the NaN state it would leave the orbit fit with
            raise WorldError(f"{o.id} already ended ({o.end_reason}) at {_iso(o.ended_utc)}, "
                             "before this re-entry was scripted")  # fmt: skip
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
