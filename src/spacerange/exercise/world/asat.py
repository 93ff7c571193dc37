"""Direct-ascent ASAT test (issue 15, item 4): a launch from a site, a tracked ascent, the
intercept of the target as a NASA SBM collision break-up (the interceptor's pieces keep
its sub-orbital velocity: the fit refuses sub-surface perigees, so those are not created).

What is modelled (effects an SSA cell observes, no weapon design):

* **timing**: the launch window opens at the inject's release; the intercept is placed at
  the culmination of the first pass of the target over the site (sampled every 30 s) whose
  elevation reaches ``min_elevation_deg``, and the launch ``flight_time`` earlier;
* **ascent**: the boost phase is not modelled.  From burnout (``burnout_time`` after
  launch, ``burnout_alt_km`` above the site) the interceptor coasts on a ballistic arc
  (RK4, two-body + J2) whose burnout velocity is solved by Newton shooting so that the arc
  meets the target's SGP4 truth at the intercept (< 0.1 m).  The arc is steep and
  sub-orbital (eccentricity ~0.96, perigee inside the Earth): SGP4 cannot carry it (see
  :mod:`.ascent`), so the interceptor is a world object on its integrated arc
  (``world.ballistic[id]``: 2 s samples from burnout to the intercept), announced by a
  logged ``launch`` event at the launch; it is not in the SGP4 catalog (``world.states``);
* **tracked ascent**: every ``ASCENT_WATCH_S`` (10 s) of the coast, each other blue/red
  team's sensors look at it through the picture's detection model
  (:func:`spacerange.exercise.picture.sensing.detect`: field of regard, dark site and
  sunlit object for telescopes, detection draw, outages, tasking); a detection is a
  measured position (truth + the pass's position error).  From three detections the
  team holds a ballistic track (:func:`.ascent.fit_ballistic`, least squares on its own
  measurements) under its own ``<TEAM>-UCT-nnnn`` designator; the first is a ``launch``
  alert to that team only (designator, track state and sigma, the sensors): a team with
  no sensor in view gets no cue.  ``ascent_seen_by`` keeps, per team, the first instant
  its sensors could have seen it (geometry only, no draw); ``ascent_tracks`` the tracks
  (first detection, track time, detections, error against truth for the white cell).
  A team's ascent track is not an SGP4 element set: it lives in the alert and the
  record, not in the team's catalog (the picture screens and predicts with SGP4);
* **intercept**: :func:`spacerange.events.breakup.breakup_collision` of the target with the
  interceptor's mass at their truth relative speed; fragments become objects
  ``<prefix>-<nnnn>`` (the engine's break-up path, shared with ``debris_event``).

Outcomes per test are kept in ``world.asat_tests[serial]`` (launch, intercept, miss of the
coasting arc, fragment ids) for the rules and the summary.
"""

from __future__ import annotations

import math

import numpy as np

from spacerange.constants import J2_WGS72
from spacerange.exercise.world.ascent import fit_ballistic
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
from spacerange.frames import geodetic_to_itrs, itrs_to_geodetic, teme_to_itrs

#: pass search step [s]
PASS_STEP_S = 30.0
#: the coasting arc meets the target within this [km] or the test is refused
INTERCEPT_TOL_KM = 1.0
#: ascent samples kept for the white cell's record [s]
ASCENT_SAMPLE_S = 20.0
#: integration step of the coast (RK4, two-body + J2) [s]
COAST_STEP_S = 2.0
#: the other teams' sensors look at the coasting interceptor this often [s]
ASCENT_WATCH_S = 10.0
#: detections a team needs before it holds a track of the interceptor
MIN_TRACK_DETECTIONS = 3


def _accel(r: np.ndarray) -> np.ndarray:
    """Two-body + J2 acceleration [km/s^2] at TEME positions (..., 3) (WGS-72, as SGP4)."""
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    z2 = (r[..., 2:3] / rn) ** 2
    k = 1.5 * J2_WGS72 * (RE_KM / rn) ** 2
    fac = np.concatenate([1 + k * (1 - 5 * z2), 1 + k * (1 - 5 * z2), 1 + k * (3 - 5 * z2)], -1)
    return -MU_KM3_S2 * r / rn**3 * fac


def coast(r0: np.ndarray, v0: np.ndarray, tof_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Ballistic coast of states (n, 3), (n, 3) for ``tof_s``: RK4 at COAST_STEP_S (the
    last step shortened); returns r, v (n_steps + 1, n, 3).  TEME is treated as inertial
    over the minutes of a coast (its precession is ~1e-7 rad per 10 min)."""
    n = int(np.ceil(tof_s / COAST_STEP_S))
    rs, vs = [r0], [v0]
    r, v = r0, v0
    for k in range(n):
        h = min(COAST_STEP_S, tof_s - k * COAST_STEP_S)
        k1v = _accel(r)
        k2r, k2v = v + 0.5 * h * k1v, _accel(r + 0.5 * h * v)
        k3r, k3v = v + 0.5 * h * k2v, _accel(r + 0.5 * h * k2r)
        k4r, k4v = v + h * k3v, _accel(r + h * k3r)
        r = r + h / 6 * (v + 2 * k2r + 2 * k3r + k4r)
        v = v + h / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
        rs.append(r)
        vs.append(v)
    return np.asarray(rs), np.asarray(vs)


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

    def _watch_ascent(self, rec: dict, kv: dict, t, r, v) -> list[WorldEvent]:
        """One look of every other team's sensors at the coasting interceptor (state
        ``r, v`` TEME at ``t``) with the picture's detection model
        (:func:`spacerange.exercise.picture.sensing.detect`, its draw, outages, tasking);
        a detection is a measured position (truth + the pass's position error).  From
        ``MIN_TRACK_DETECTIONS`` on, the team's ballistic track is (re)fitted."""
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
            rows, sig, which = detect(tp.sensors, ri, scene, np.array([kv["id"]], dtype=object),
                                      lambda sid: self.sensor_availability(sid, t),
                                      self.tasking.get(team, {}), rng)  # fmt: skip
            if not rows.size:
                continue
            meas = rec["_meas"].setdefault(team, [])
            meas.append((t, r + rng.normal(0.0, float(sig[0]), 3), float(sig[0]),
                         tp.sensors[int(which[0])].sensor_id))  # fmt: skip
            if len(meas) >= MIN_TRACK_DETECTIONS:
                ev += self._ascent_track(rec, tp, kv, t, r)
        return ev

    @staticmethod
    def _uct_name(tp, oid: str) -> str:
        """The team's designator of ``oid`` (its next ``<TEAM>-UCT-nnnn``), the naming of
        :meth:`spacerange.exercise.picture.core.Pictures.designator` for an object that
        is not in the SGP4 catalog."""
        d = tp.desig.get(oid)
        if d is None:
            tp.n_uct += 1
            d = f"{tp.team.upper()}-UCT-{tp.n_uct:04d}"
            tp.desig[oid] = d
            tp.truth_of[d] = oid
        return d

    def _ascent_track(self, rec: dict, tp, kv: dict, t, r_true) -> list[WorldEvent]:
        """The team's ballistic track of the interceptor from its own measurements
        (:func:`.ascent.fit_ballistic`) under its own designator; the first one is a
        ``launch`` alert to the team carrying the track (state, sigma)."""
        meas = rec["_meas"][tp.team]
        dt = np.array([float((m[0] - t) / np.timedelta64(1, "s")) for m in meas])
        x, p, rms = fit_ballistic(dt, np.array([m[1] for m in meas]),
                                  np.array([m[2] for m in meas]), coast)  # fmt: skip
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(p))):
            return []
        first = tp.team not in rec["ascent_tracks"]
        d = self._uct_name(tp, kv["id"])
        lla = itrs_to_geodetic(teme_to_itrs(x[None, None, :3], x[None, None, 3:],
                                            np.asarray([t]))[0][0, 0])  # fmt: skip
        rn, speed = float(np.linalg.norm(x[:3])), float(np.linalg.norm(x[3:]))
        energy = 0.5 * speed**2 - MU_KM3_S2 / rn
        h = float(np.linalg.norm(np.cross(x[:3], x[3:])))
        a_km = -MU_KM3_S2 / (2 * energy) if energy < 0 else np.inf
        ecc = math.sqrt(max(0.0, 1 + 2 * energy * h**2 / MU_KM3_S2**2))
        sigma = float(np.sqrt(np.trace(p[:3, :3]) / 3))
        trk = rec["ascent_tracks"].setdefault(
            tp.team,
            {"designator": d, "first_detection_utc": _iso(meas[0][0]), "track_utc": _iso(t)},
        )
        trk.update(n_detections=len(meas), last_update_utc=_iso(t),
                   sensors=sorted({m[3] for m in meas}), fit_rms_km=round(rms, 4),
                   error_km=round(float(np.linalg.norm(x[:3] - r_true)), 4),
                   pos_sigma_km=round(sigma, 4))  # fmt: skip
        if not first:
            return []
        details = {"first_detection_utc": trk["first_detection_utc"], "track_utc": _iso(t),
                   "n_detections": len(meas), "sensors": trk["sensors"],
                   "lat_deg": round(float(lla[0]), 2), "lon_deg": round(float(lla[1]), 2),
                   "alt_km": round(float(lla[2]), 1), "speed_km_s": round(speed, 3),
                   "r_km": [round(float(c), 3) for c in x[:3]],
                   "v_km_s": [round(float(c), 6) for c in x[3:]],
                   "pos_sigma_km": round(sigma, 3),
                   "sub_orbital": bool(a_km * (1 - ecc) < RE_KM)}  # fmt: skip
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
        # first guess: the straight line plus the mean gravity drop over the coast
        r_mid = 0.5 * (r_b + r_t)
        g = -MU_KM3_S2 * r_mid / np.linalg.norm(r_mid) ** 3
        v0 = (r_t - r_b) / tof - 0.5 * g * tof
        eps = 1e-6
        miss = np.inf
        for _ in range(30):  # Newton on the coast's end point (shooting)
            vs = np.vstack([v0, v0 + np.eye(3) * eps])
            rr = coast(np.repeat(r_b[None], 4, 0), vs, tof)[0][-1]
            f = rr[0] - r_t
            miss = float(np.linalg.norm(f))
            if miss < 1e-4 or not np.all(np.isfinite(rr)):
                break
            jac = (rr[1:] - rr[0]).T / eps
            v0 = v0 + np.linalg.lstsq(jac, -f, rcond=None)[0]
        if not miss <= INTERCEPT_TOL_KM:
            raise WorldError(f"{serial}: no ballistic arc from the site meets {tgt.id} "
                             f"(miss {miss:.1f} km)")  # fmt: skip
        rs, vs = coast(r_b[None], v0[None], tof)
        rs, vs = rs[:, 0], vs[:, 0]
        ts = t_b + (np.arange(len(rs)) * COAST_STEP_S * 1e6).astype("timedelta64[us]")
        ts[-1] = t_i
        ri, _ = teme_to_itrs(rs[None], np.zeros((1, len(ts), 3)), ts)
        lla = itrs_to_geodetic(ri[0])
        keep = np.arange(0, len(ts), max(1, int(ASCENT_SAMPLE_S // COAST_STEP_S)))
        actor = tgt.actor or (tgt.owner if tgt.owner in self._actors else None)
        #: the interceptor: a world object on its integrated arc (not an SGP4 arc)
        kv = {"id": kv_id, "serial": serial, "actor": actor, "times": ts, "r": rs, "v": vs,
              "launch_utc": t_l, "created_utc": t_b, "ended_utc": t_i}  # fmt: skip
        self.__dict__.setdefault("ballistic", {})[kv_id] = kv
        rec = {
            "serial": serial, "target": tgt.id, "interceptor": kv_id,
            "site": a.site.model_dump(), "launch_utc": _iso(t_l), "burnout_utc": _iso(t_b),
            "intercept_utc": _iso(t_i), "burnout_speed_km_s": float(np.linalg.norm(v0 - v_co)),
            "arc_miss_km": miss,
            "intercept_alt_km": float(lla[-1, 2]), "apogee_alt_km": float(lla[:, 2].max()),
            "ascent": [{"time_utc": _iso(ts[k]), "lat_deg": round(float(lla[k, 0]), 3),
                        "lon_deg": round(float(lla[k, 1]), 3), "alt_km": round(float(lla[k, 2]), 2)}
                       for k in keep],
            "ascent_seen_by": self._ascent_seen(rs, ts),
            "ascent_tracks": {}, "_meas": {},
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
            ev = self._watch_ascent(rec, kv, tt, rs[k], vs[k])
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
