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
  meets the target's SGP4 truth at the intercept (< 0.1 m).  The arc is sub-orbital
  (perigee inside the Earth), which an SGP4 element set cannot carry, so the interceptor
  is *not* a catalog object: its sampled trajectory (every 20 s) is the truth record, and
  each team's sensors are asked (geometry, lighting, outages) when they could first have
  seen it rising (``ascent_seen_by``); no picture track of it is made;
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

    def _ascent_seen(self, rs: np.ndarray, vs: np.ndarray, ts: np.ndarray) -> dict:
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
            for k in range(0, len(ts), max(1, int(10.0 // COAST_STEP_S))):
                ri, scene = pics._itrs(rs[k][None], vs[k][None], ts[k])
                rows, _, _ = detect(tp.sensors, ri, scene, ids,
                                 lambda sid, tt=ts[k]: self.sensor_availability(sid, tt), {},
                                 None)  # fmt: skip
                if rows.size:
                    out[team] = _iso(ts[k])
                    break
        return out

    def _enact_asat_test(self, a, serial: str, t) -> list[WorldEvent]:
        tgt = self.obj(a.target)
        if tgt.ended_utc is not None:
            raise WorldError(f"{serial}: target {a.target} no longer exists")
        kv_id = a.interceptor_id or f"KV-{a.target}"
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
        ri, _ = teme_to_itrs(rs[None], np.zeros((1, len(ts), 3)), ts)
        lla = itrs_to_geodetic(ri[0])
        keep = np.arange(0, len(ts), max(1, int(ASCENT_SAMPLE_S // COAST_STEP_S)))
        rec = {
            "serial": serial, "target": tgt.id, "interceptor": kv_id,
            "site": a.site.model_dump(), "launch_utc": _iso(t_l), "burnout_utc": _iso(t_b),
            "intercept_utc": _iso(t_i), "burnout_speed_km_s": float(np.linalg.norm(v0 - v_co)),
            "arc_miss_km": miss, "intercept_alt_km": float(lla[-1, 2]),
            "apogee_alt_km": float(lla[:, 2].max()),
            "ascent": [{"time_utc": _iso(ts[k]), "lat_deg": round(float(lla[k, 0]), 3),
                        "lon_deg": round(float(lla[k, 1]), 3), "alt_km": round(float(lla[k, 2]), 2)}
                       for k in keep],
            "ascent_seen_by": self._ascent_seen(rs, vs, ts),
            "fragments": [], "n_fragments": 0,
        }  # fmt: skip
        self.asat_tests[serial] = rec
        v_kv = vs[-1]

        def launch(tt):
            return [WorldEvent("launch", [], {"serial": serial, "asat_test": True,
                                              "interceptor": kv_id, "site": a.site.model_dump(),
                                              "intercept_utc": rec["intercept_utc"],
                                              "ascent_seen_by": rec["ascent_seen_by"]}, tt)]  # fmt: skip

        def intercept(tt):
            from spacerange.events.breakup import breakup_collision

            r1, v1 = self.state_of(tgt.id, tt)
            vrel = float(np.linalg.norm(v1 - v_kv))
            kind = "rocket_body" if tgt.object_type == "ROCKET BODY" else "spacecraft"
            frag = breakup_collision(tgt.mass_kg, a.impactor_mass_kg, vrel, (kind, "spacecraft"),
                                     min_lc_m=a.min_size_m, rng=self.rng)  # fmt: skip
            ev = [WorldEvent("collision", [tgt.id],
                             {"serial": serial, "asat_test": True, "interceptor": kv_id,
                              "rel_speed_km_s": vrel, "catastrophic": frag.catastrophic}, tt)]  # fmt: skip
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
        self.schedule(t_i, intercept, f"{serial} ASAT intercept")
        return [WorldEvent("asat_planned", [tgt.id],
                           {k: rec[k] for k in ("serial", "launch_utc", "burnout_utc",
                                                "intercept_utc", "arc_miss_km",
                                                "intercept_alt_km")}, t)]  # fmt: skip
