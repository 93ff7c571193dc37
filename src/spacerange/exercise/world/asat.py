"""Direct-ascent ASAT test (issue 15, item 4): a launch from a site, a tracked ascent, the
intercept of the target as a NASA SBM collision break-up (the interceptor's pieces keep
its sub-orbital velocity: the fit refuses sub-surface perigees, so those are not created).

What is modelled (effects an SSA cell observes, no weapon design):

* **timing**: the launch window opens at the inject's release; the intercept is placed at
  the culmination of the first pass of the target over the site (sampled every 30 s) whose
  elevation reaches ``min_elevation_deg``, and the launch ``flight_time`` earlier;
* **ascent**: the boost phase is not modelled.  From burnout (``burnout_time`` after
  launch, ``burnout_alt_km`` above the site) the interceptor coasts on a ballistic arc
  propagated by the engine (:meth:`spacerange.od.dynamics.J2Dynamics.propagate`: point
  mass + J2..J4 about the mean pole of date, vectorized DOP853, in GCRS; the world's TEME
  states are rotated with :func:`spacerange.frames.teme_to_gcrs` / ``gcrs_to_teme``) whose
  burnout velocity is solved by Newton shooting on that propagator so that the arc meets
  the target's SGP4 truth at the intercept (< 0.1 m).  The arc is steep and sub-orbital
  (eccentricity ~0.96, perigee inside the Earth): SGP4's mean-element theory does not hold
  there (fitted to such a state it returns error 6 at its own epoch, its short-period
  terms move the position by hundreds of km), so the interceptor is a world object on its
  propagated arc (``world.ballistic[id]``: 2 s samples from burnout to the intercept, TEME
  and GCRS), announced by a logged ``launch`` event at the launch; it is not in the SGP4
  catalog (``world.states``);
* **tracked ascent**: every ``ASCENT_WATCH_S`` (10 s) of the coast, each other blue/red
  team's sensors look at it through the picture's detection model
  (:func:`spacerange.exercise.picture.sensing.detect`: field of regard, dark site and
  sunlit object for telescopes, detection draw, outages, tasking); a detection is the
  detecting sensor's observation of the truth state, simulated by the engine as for every
  other object of the pictures (:func:`spacerange.od.passes.pass_observations` with the
  team's OD sites: radar range, azimuth, elevation, range-rate, telescope RA/Dec, the
  sensor's noise).  From three detections the team's track is determined by the engine's
  OD from its own observations only (:func:`spacerange.od.ekf.ekf_from_iod`: IOD from
  three radar epochs or Gauss angles, batch refinement, EKF to the last look; state and
  covariance) under its own ``<TEAM>-UCT-nnnn`` designator; an OD failure is data
  (``ascent_od_failures``: the reason, no track that look).  The first track is a
  ``launch`` alert to that team only (designator, track state and sigma, the sensors): a
  team with no sensor in view gets no cue.  ``ascent_seen_by`` keeps, per team, the first
  instant its sensors could have seen it (geometry only, no draw); ``ascent_tracks`` the
  tracks (first detection, track time, detections, the OD's normalized residual RMS, error
  against truth for the white cell).  A team's ascent track is not an SGP4 element set: it
  lives in the alert and the record, not in the team's catalog (the picture screens and
  predicts with SGP4);
* **intercept**: :func:`spacerange.events.breakup.breakup_collision` of the target with the
  interceptor's mass at their truth relative speed; fragments become objects
  ``<prefix>-<nnnn>`` (the engine's break-up path, shared with ``debris_event``).

Outcomes per test are kept in ``world.asat_tests[serial]`` (launch, intercept, miss of the
propagated arc, fragment ids) for the rules and the summary.
"""

from __future__ import annotations

import math

import numpy as np

from spacerange.exercise.world.model import (
    MU_KM3_S2,
    RE_KM,
    WorldError,
    WorldEvent,
    _iso,
    _itrs_state_to_teme,
    _seconds,
    _td64,
)
from spacerange.frames import (
    gcrs_to_teme,
    geodetic_to_itrs,
    itrs_to_geodetic,
    teme_to_gcrs,
    teme_to_itrs,
)
from spacerange.od.dynamics import OD_DEGREE, J2Dynamics
from spacerange.od.ekf import ekf_from_iod
from spacerange.od.observations import Observations
from spacerange.od.passes import pass_observations
from spacerange.propagation.mean_elements import kepler_equinoctial

#: pass search step [s]
PASS_STEP_S = 30.0
#: the propagated arc meets the target within this [km] or the test is refused
INTERCEPT_TOL_KM = 1.0
#: ascent samples kept for the white cell's record [s]
ASCENT_SAMPLE_S = 20.0
#: sampling of the interceptor's arc (the world's truth between burnout and intercept) [s]
COAST_STEP_S = 2.0
#: interpolation node spacing of the engine's propagation of the coast [s]
COAST_NODE_S = 10.0
#: the other teams' sensors look at the coasting interceptor this often [s]
ASCENT_WATCH_S = 10.0
#: detections a team needs before it holds a track of the interceptor
MIN_TRACK_DETECTIONS = 3


def _propagate(dyn: J2Dynamics, x0_gcrs: np.ndarray, s: np.ndarray) -> np.ndarray:
    """GCRS states (n, k, 6) of the ballistic states ``x0_gcrs`` (n, 6) at ``s`` (k,) seconds
    after their epoch: the engine's OD dynamics (:meth:`spacerange.od.dynamics.J2Dynamics.propagate`,
    vectorized DOP853, point mass + zonals about the mean pole of date)."""
    n, k = x0_gcrs.shape[0], np.size(s)
    obj = np.repeat(np.arange(n), k)
    return dyn.propagate(x0_gcrs, np.tile(np.asarray(s, float), n), obj).reshape(n, k, 6)


class AsatThreats:
    """Part of :class:`spacerange.exercise.world.World` (a mixin: it works on the world's
    state, see :mod:`spacerange.exercise.world.core`)."""

    def _asat_pass(self, a, target: str, t0) -> np.datetime64:
        """Intercept instant: culmination of the first pass after ``t0`` whose elevation
        from the site reaches ``a.min_elevation_deg``."""
        n = int(_seconds(a.window) // PASS_STEP_S) + 1
        ts = t0 + (np.arange(n) * PASS_STEP_S * 1e6).astype("timedelta64[us]")
        r, v = self.state_of(target, ts)
        ok = np.isfinite(r).all(axis=1)
        if not ok.any():
            raise WorldError(f"{target}: no valid state in the ASAT window")
        ri, _ = teme_to_itrs(np.where(ok[:, None], r, 0.0)[None], np.zeros((1, n, 3)), ts)
        site = geodetic_to_itrs(a.site.lat_deg, a.site.lon_deg, 0.0)
        lat, lon = math.radians(a.site.lat_deg), math.radians(a.site.lon_deg)
        up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
        los = ri[0] - site
        el = np.degrees(np.arcsin(np.clip((los @ up) / np.linalg.norm(los, axis=1), -1, 1)))
        el[~ok] = -90.0
        above = np.flatnonzero(el >= a.min_elevation_deg)
        if not above.size:
            raise WorldError(
                f"{target} never rises above {a.min_elevation_deg:g} deg from the ASAT site "
                f"({a.site.lat_deg:g}, {a.site.lon_deg:g}) within {_seconds(a.window) / 3600:g} h"
            )
        k = int(above[0])
        while k + 1 < n and el[k + 1] >= el[k]:
            k += 1
        return ts[k]

    def _ascent_seen(self, rs: np.ndarray, ts: np.ndarray) -> dict:
        """First instant each blue/red team's sensors could observe the coasting
        interceptor (geometry, lighting, outages; no detection draw), or None."""
        from spacerange.exercise.picture.sensing import detect

        pics = self.pictures
        out: dict[str, str | None] = {}
        if pics is None:
            return out
        ids = np.array(["KV"], dtype=object)
        for team, tp in pics.teams.items():
            out[team] = None
            for k in range(0, len(ts), max(1, int(ASCENT_WATCH_S // COAST_STEP_S))):
                ri, scene = pics._itrs(rs[k][None], np.zeros((1, 3)), ts[k])
                rows, _, _ = detect(tp.sensors, ri, scene, ids,
                                 lambda sid, tt=ts[k]: self.sensor_availability(sid, tt), {},
                                 None)  # fmt: skip
                if rows.size:
                    out[team] = _iso(ts[k])
                    break
        return out

    def _watch_ascent(self, rec: dict, kv: dict, t, r, v, x_gcrs) -> list[WorldEvent]:
        """One look of every other team's sensors at the coasting interceptor (state
        ``r, v`` TEME, ``x_gcrs`` GCRS at ``t``) with the picture's detection model
        (:func:`spacerange.exercise.picture.sensing.detect`, its draw, outages, tasking); a
        detection is the detecting sensor's observation of the truth state
        (:func:`spacerange.od.passes.pass_observations`: radar range, azimuth, elevation,
        range-rate; telescope RA/Dec; the sensor's noise).  From ``MIN_TRACK_DETECTIONS``
        on, the team's track is (re)determined by the engine's OD."""
        from spacerange.exercise.picture.sensing import detect

        pics = self.pictures
        if pics is None:
            return []
        rng = self.__dict__.setdefault("_ascent_rng", np.random.default_rng([self.seed, 15]))
        ri, scene = pics._itrs(r[None], v[None], t)
        ev: list[WorldEvent] = []
        for team, tp in pics.teams.items():
            if kv["actor"] is not None and kv["actor"] in tp.actors:
                continue  # its own interceptor: the operator's telemetry, not a track
            rows, _, which = detect(tp.sensors, ri, scene, np.array([kv["id"]], dtype=object),
                                    lambda sid: self.sensor_availability(sid, t),
                                    self.tasking.get(team, {}), rng)  # fmt: skip
            if not rows.size:
                continue
            j = int(which[0])
            sites, optical = tp.od_sites
            o = pass_observations(["ASCENT"], x_gcrs[None, None], np.asarray([t]), sites,
                                  np.array([j]), optical[[j]], rng)  # fmt: skip
            o.track[:] = j  # one track per sensor (same site, contiguous): the IOD's epochs
            looks = rec["_obs"].setdefault(team, [])
            looks.append((t, o, tp.sensors[j].sensor_id))
            if len(looks) >= MIN_TRACK_DETECTIONS:
                ev += self._ascent_track(rec, tp, kv, t, x_gcrs)
        return ev

    def _ascent_track(self, rec: dict, tp, kv: dict, t, x_true) -> list[WorldEvent]:
        """The team's track of the interceptor from its own observations, determined by
        the engine's OD (:func:`spacerange.od.ekf.ekf_from_iod`: IOD, batch refinement,
        EKF to the last look, GCRS state and covariance) under its own designator; the
        first one is a ``launch`` alert to the team carrying the track (state, sigma).  An
        OD failure is kept (``ascent_od_failures``): no track this look."""
        looks = rec["_obs"][tp.team]
        obs = Observations.concatenate([lk[1] for lk in looks])
        try:
            with np.errstate(all="ignore"):
                sols, failures = ekf_from_iod(obs)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            sols, failures = [], {"ASCENT": f"IOD failed: {exc}"}
        sol = sols[0] if sols else None
        if sol is None or not (sol.converged and np.all(np.isfinite(sol.state))
                               and np.all(np.isfinite(sol.covariance))):  # fmt: skip
            reason = (sol.message if sol is not None else failures.get("ASCENT")) or "OD failed"
            rec["ascent_od_failures"][tp.team] = {"epoch_utc": _iso(t), "reason": reason,
                                                  "n_detections": len(looks)}  # fmt: skip
            return []
        ep = np.asarray([sol.epoch_utc], "datetime64[us]")
        rg, vg = gcrs_to_teme(sol.state[None, None, :3], sol.state[None, None, 3:], ep)
        x = np.concatenate([rg[0, 0], vg[0, 0]])
        p = sol.covariance  # GCRS; its position trace is frame-independent
        first = tp.team not in rec["ascent_tracks"]
        d = self.pictures.designator(tp.team, kv["id"], uncatalogued=True)
        lla = itrs_to_geodetic(teme_to_itrs(x[None, None, :3], x[None, None, 3:],
                                            np.asarray([t]))[0][0, 0])  # fmt: skip
        speed = float(np.linalg.norm(x[3:]))
        el = kepler_equinoctial(x[None])
        perigee_km = float(el["a"][0] * (1.0 - el["e"][0]))
        sigma = float(np.sqrt(np.trace(p[:3, :3]) / 3))
        trk = rec["ascent_tracks"].setdefault(
            tp.team,
            {"designator": d, "first_detection_utc": _iso(looks[0][0]), "track_utc": _iso(t)},
        )
        trk.update(n_detections=len(looks), last_update_utc=_iso(t),
                   sensors=sorted({lk[2] for lk in looks}), rms=round(float(sol.rms), 3),
                   error_km=round(float(np.linalg.norm(sol.state[:3] - x_true[:3])), 4),
                   pos_sigma_km=round(sigma, 4))  # fmt: skip
        if not first:
            return []
        details = {"first_detection_utc": trk["first_detection_utc"], "track_utc": _iso(t),
                   "n_detections": len(looks), "sensors": trk["sensors"],
                   "lat_deg": round(float(lla[0]), 2), "lon_deg": round(float(lla[1]), 2),
                   "alt_km": round(float(lla[2]), 1), "speed_km_s": round(speed, 3),
                   "r_km": [round(float(c), 3) for c in x[:3]],
                   "v_km_s": [round(float(c), 6) for c in x[3:]],
                   "pos_sigma_km": round(sigma, 3),
                   "sub_orbital": bool(perigee_km < RE_KM)}  # fmt: skip
        tp.alerts.append({"team": tp.team, "kind": "launch", "objects": [d], "details": details,
                          "time_utc": _iso(t)})  # fmt: skip
        ev = [WorldEvent("alert", [d], {"team": tp.team, "kind": "launch", "details": details,
                                        "visible_to": [tp.team]}, t)]  # fmt: skip
        if kv["serial"] not in tp.detected_serials:  # the white cell's record of detection
            tp.detected_serials.add(kv["serial"])
            ev.append(WorldEvent("detection", [kv["id"]], {
                "team": tp.team, "serial": kv["serial"], "threat": "asat_test",
                "first_seen_utc": _iso(t), "visible_to": []}, t))  # fmt: skip
        return ev

    def _enact_asat_test(self, a, serial: str, t) -> list[WorldEvent]:
        tgt = self.obj(a.target)
        if tgt.ended_utc is not None:
            raise WorldError(f"{serial}: target {a.target} no longer exists")
        kv_id = a.interceptor_id or f"KV-{a.target}"
        if kv_id in self:
            raise WorldError(f"{serial}: an object {kv_id!r} already exists")
        flight_s, burn_s = _seconds(a.flight_time), _seconds(a.burnout_time)
        t_i = self._asat_pass(a, tgt.id, t + _td64(flight_s))
        t_l = t_i - _td64(flight_s)
        t_b = t_l + _td64(burn_s)
        r_t, v_t = self.state_of(tgt.id, t_i)
        site_b = geodetic_to_itrs(a.site.lat_deg, a.site.lon_deg, a.burnout_alt_km)
        r_b, v_co = _itrs_state_to_teme(site_b, np.zeros(3), t_b)
        tof = flight_s - burn_s
        # the shooting and the coast in GCRS, the frame of the engine's dynamics
        rb_g, vco_g = (c[0, 0] for c in teme_to_gcrs(r_b[None, None], v_co[None, None],
                                                     np.asarray([t_b])))  # fmt: skip
        rt_g = teme_to_gcrs(r_t[None, None], v_t[None, None], np.asarray([t_i]))[0][0, 0]
        dyn = J2Dynamics.at(t_b, node_step_s=COAST_NODE_S, degree=OD_DEGREE)
        # first guess: the straight line plus the mean gravity drop over the coast
        r_mid = 0.5 * (rb_g + rt_g)
        g = -MU_KM3_S2 * r_mid / np.linalg.norm(r_mid) ** 3
        v0 = (rt_g - rb_g) / tof - 0.5 * g * tof
        eps = 1e-5
        miss = np.inf
        for _ in range(30):  # Newton on the coast's end point (shooting)
            vs = np.vstack([v0, v0 + np.eye(3) * eps])
            with np.errstate(all="ignore"):
                rr = _propagate(dyn, np.hstack([np.repeat(rb_g[None], 4, 0), vs]), [tof])[:, 0, :3]
            if not np.all(np.isfinite(rr)):
                break
            f = rr[0] - rt_g
            miss = float(np.linalg.norm(f))
            if miss < 1e-4:
                break
            jac = (rr[1:] - rr[0]).T / eps
            v0 = v0 + np.linalg.lstsq(jac, -f, rcond=None)[0]
        if not miss <= INTERCEPT_TOL_KM:
            raise WorldError(f"{serial}: no ballistic arc from the site meets {tgt.id} "
                             f"(miss {miss:.1f} km)")  # fmt: skip
        n_s = int(np.ceil(tof / COAST_STEP_S))
        s_k = np.minimum(np.arange(n_s + 1) * COAST_STEP_S, tof)
        ts = t_b + (s_k * 1e6).astype("timedelta64[us]")
        ts[-1] = t_i
        x_g = _propagate(dyn, np.concatenate([rb_g, v0])[None], s_k)[0]
        rs, vs = (c[0] for c in gcrs_to_teme(x_g[None, :, :3], x_g[None, :, 3:], ts))
        ri, _ = teme_to_itrs(rs[None], np.zeros((1, len(ts), 3)), ts)
        lla = itrs_to_geodetic(ri[0])
        keep = np.arange(0, len(ts), max(1, int(ASCENT_SAMPLE_S // COAST_STEP_S)))
        actor = tgt.actor or (tgt.owner if tgt.owner in self._actors else None)
        #: the interceptor: a world object on its propagated arc (not an SGP4 arc)
        kv = {"id": kv_id, "serial": serial, "actor": actor, "times": ts, "r": rs, "v": vs,
              "x_gcrs": x_g, "launch_utc": t_l, "created_utc": t_b, "ended_utc": t_i}  # fmt: skip
        self.__dict__.setdefault("ballistic", {})[kv_id] = kv
        rec = {
            "serial": serial, "target": tgt.id, "interceptor": kv_id,
            "site": a.site.model_dump(), "launch_utc": _iso(t_l), "burnout_utc": _iso(t_b),
            "intercept_utc": _iso(t_i), "burnout_speed_km_s": float(np.linalg.norm(v0 - vco_g)),
            "arc_miss_km": miss,
            "intercept_alt_km": float(lla[-1, 2]), "apogee_alt_km": float(lla[:, 2].max()),
            "ascent": [{"time_utc": _iso(ts[k]), "lat_deg": round(float(lla[k, 0]), 3),
                        "lon_deg": round(float(lla[k, 1]), 3), "alt_km": round(float(lla[k, 2]), 2)}
                       for k in keep],
            "ascent_seen_by": self._ascent_seen(rs, ts),
            "ascent_tracks": {}, "ascent_od_failures": {}, "_obs": {},
            "fragments": [], "n_fragments": 0,
        }  # fmt: skip
        self.asat_tests[serial] = rec

        def launch(tt):
            return [WorldEvent("launch", [kv_id], {"serial": serial, "asat_test": True,
                                                   "interceptor": kv_id, "site": a.site.model_dump(),
                                                   "burnout_utc": rec["burnout_utc"],
                                                   "intercept_utc": rec["intercept_utc"],
                                                   "ascent_seen_by": rec["ascent_seen_by"]}, tt)]  # fmt: skip

        def watch(tt):
            k = int(round(float((tt - t_b) / np.timedelta64(1, "s")) / COAST_STEP_S))
            ev = self._watch_ascent(rec, kv, tt, rs[k], vs[k], x_g[k])
            nxt = tt + _td64(ASCENT_WATCH_S)
            if nxt < t_i:
                self.schedule(nxt, watch, f"{serial} ASAT ascent watch")
            return ev

        def intercept(tt):
            from spacerange.events.breakup import breakup_collision

            r1, v1 = self.state_of(tgt.id, tt)
            r2, v_kv = rs[-1], vs[-1]
            vrel = float(np.linalg.norm(v1 - v_kv))
            kind = "rocket_body" if tgt.object_type == "ROCKET BODY" else "spacecraft"
            frag = breakup_collision(tgt.mass_kg, a.impactor_mass_kg, vrel, (kind, "spacecraft"),
                                     min_lc_m=a.min_size_m, rng=self.rng)  # fmt: skip
            ev = [WorldEvent("collision", [tgt.id],
                             {"serial": serial, "asat_test": True, "interceptor": kv_id,
                              "rel_speed_km_s": vrel, "miss_km": float(np.linalg.norm(r1 - r2)),
                              "catastrophic": frag.catastrophic}, tt)]  # fmt: skip
            # the target's pieces keep its velocity, the interceptor's its own (most of
            # those are sub-orbital: the fit refuses them, as it refuses any sub-surface
            # perigee, so they are not created)
            ev += self._spawn_fragments(frag, np.stack([r1, r1]), np.stack([v1, v_kv]), tt,
                                        tgt.id, a.fragment_prefix or tgt.id, [tgt], serial)  # fmt: skip
            info = self.fragment_sets[-1]
            rec.update(fragments=list(info["ids"]), n_fragments=int(info["n"]),
                       rel_speed_km_s=vrel, catastrophic=bool(frag.catastrophic))  # fmt: skip
            return ev

        self.schedule(t_l, launch, f"{serial} ASAT launch")
        self.schedule(t_b, watch, f"{serial} ASAT ascent watch")
        self.schedule(t_i, intercept, f"{serial} ASAT intercept")
        return [WorldEvent("asat_planned", [tgt.id],
                           {k: rec[k] for k in ("serial", "launch_utc", "burnout_utc",
                                                "intercept_utc", "arc_miss_km",
                                                "intercept_alt_km")}, t)]  # fmt: skip
