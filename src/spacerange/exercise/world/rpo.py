"""Guidance of a GEO rendezvous (issue 15, items 5 and 6): a closed-loop hold at the
commanded range, re-planning when the target moves, abort and retry.

Before: the transfer's second burn matched the target's velocity once, and the servicer
then drifted on its own ("hold at 5 km" ended on a +-400 km relative ellipse; a target
that relocated left it 116 km away).  With ``guidance`` on the ``geo_rendezvous`` action:

* **hold** (closed loop): every ``check_every`` the world solves, by Newton iteration on
  the SGP4 truth (the method of the transfers), the burn that brings the servicer back to
  the hold point (``final_range_km`` along the target's own orbit, on the side it came
  from) at the next check; each burn is a logged manoeuvre charged to the budget.  At the
  end of the hold a last burn matches the target's velocity.  The range is sampled every
  5 min and the achieved band (min, max, fraction of time within ``tolerance_km``) kept.
* **re-plan**: at a check where the hold point is more than ``replan_km`` away (the target
  relocated), a new two-impulse transfer of ``replan_duration`` is planned (stretched if
  the remaining budget needs it, refused beyond it), and the hold resumes on arrival.
* **abort / retry**: a burn of the servicer the guidance did not command (the red cell
  taking control, e.g. after a warning) stands the guidance down; with ``retry_after`` a
  new approach is planned that long after.

With ``guidance.decisions: red`` the world keeps the physics and leaves the decisions to
the red player: no re-plan and no retry; a hold point more than ``replan_km`` away stops
the hold (``lost``) and the servicer's telemetry tells its own team (an ``rpo_hold_lost``
alert with the measured range).  The red cell orders with a ``rendezvous`` action
(:meth:`RpoGuidance._apply_rendezvous`): a transfer within the budget (refused beyond
it), replacing the asset's current guidance, then the closed-loop hold to ENDEX
(:mod:`spacerange.exercise.autopilot_red` plays it).

What the servicer knows is the truth relative state: an onboard relative-navigation
sensor at these ranges is far better than any ground track, and its errors are not
modelled.  Thrust is impulsive (an electric thruster's arcs are not modelled).
"""

from __future__ import annotations

import numpy as np

from spacerange.exercise.world.model import (
    WorldError,
    WorldEvent,
    _iso,
    _seconds,
    _sgp4_one,
    _td64,
    fit_satrecs,
)
from spacerange.frames import rtn_basis

#: range sampling of the hold band [s]
HOLD_SAMPLE_S = 300.0
#: corrective burns below this are not commanded [m/s]
MIN_CORRECTION_MPS = 0.001
#: a hold correction whose Newton ends farther than this from its aim point is not flown [km]
HOP_CONVERGED_KM = 1.0


class RpoGuidance:
    """Part of :class:`spacerange.exercise.world.World` (a mixin: it works on the world's
    state, see :mod:`spacerange.exercise.world.core`)."""

    def _enact_geo_rendezvous_guided(self, a, serial: str, t) -> list[WorldEvent]:
        if a.guidance is None:
            return self._enact_geo_rendezvous(a, serial, t)
        o = self.obj(a.red_asset)
        self.obj(a.target)
        if not o.rendezvous_capable:
            raise WorldError(f"{serial}: {a.red_asset} is not rendezvous_capable")
        return self._guide(o, a.target, a.final_range_km, _seconds(a.duration), _seconds(a.hold),
                           a.guidance, serial, f"{serial} geo_rendezvous", t)  # fmt: skip

    def _guide(self, o, target: str, range_km: float, duration_s: float, hold_s: float, g,
               serial: str, why: str, t) -> list[WorldEvent]:  # fmt: skip
        """Transfer of ``o`` to the hold point ``range_km`` from ``target`` arriving
        ``duration_s`` after ``t``, then the closed-loop hold for ``hold_s`` (0: to ENDEX)
        with the guidance settings ``g`` (see the module docstring)."""
        decisions = getattr(g, "decisions", "world")
        side = self._side(o.id, target, t)
        rec = {"serial": serial, "asset": o.id, "target": target, "decisions": decisions,
               "commanded_km": range_km, "tolerance_km": g.tolerance_km,
               "state": "transfer", "hold_start_utc": None, "hold_end_utc": None,
               "n_corrections": 0, "dv_hold_mps": 0.0, "replans": 0, "aborts": 0,
               "retries": 0, "abort_utc": None, "range_min_km": None, "range_max_km": None,
               "within_tolerance_fraction": None, "final_range_km": None, "samples": []}  # fmt: skip
        self.rpo[serial] = rec
        self._rpo_why[serial] = why
        offset = side * range_km
        step = _seconds(g.check_every)
        state = {"last_sample": None, "hold_end": None}

        def sample(tt):
            t0 = state["last_sample"]
            if t0 is not None and tt > t0:
                n = int(float((tt - t0) / np.timedelta64(1, "s")) // HOLD_SAMPLE_S) + 1
                ts = t0 + (np.arange(n) * HOLD_SAMPLE_S * 1e6).astype("timedelta64[us]")
                rc, _ = self.state_of(o.id, ts)
                rt, _ = self.state_of(target, ts)
                rec["samples"] += np.linalg.norm(rc - rt, axis=1).tolist()
            state["last_sample"] = tt
            s = np.asarray([x for x in rec["samples"] if np.isfinite(x)])
            if s.size:
                rec["range_min_km"] = round(float(s.min()), 3)
                rec["range_max_km"] = round(float(s.max()), 3)
                ok = np.abs(s - range_km) <= g.tolerance_km
                rec["within_tolerance_fraction"] = round(float(ok.mean()), 4)
                rec["final_range_km"] = round(float(s[-1]), 3)

        def aim(tt):
            _, vt = self.state_of(target, tt)
            return self.state_of(target, tt + _td64(offset / float(np.linalg.norm(vt))))

        def start_hold(tt):
            rec["state"] = "hold"
            if rec["hold_start_utc"] is None:
                rec["hold_start_utc"] = _iso(tt)
                end = tt + _td64(hold_s) if hold_s > 0 else self.endex
                state["hold_end"] = end
                rec["hold_end_utc"] = _iso(end)
            state["last_sample"] = tt
            return check(tt)

        def retry(tt):
            if rec["state"] != "aborted":
                return []
            rec["retries"] += 1
            rec["state"] = "transfer"
            ev = self._transfer(o.id, target, tt, tt + _td64(_seconds(g.replan_duration)),
                                offset, f"{why} retry", on_arrival=resume)  # fmt: skip
            return ev

        def resume(tt):
            rec["state"] = "hold"
            state["last_sample"] = tt
            return check(tt)

        def check(tt):
            if rec["state"] != "hold":
                return []
            sample(tt)
            r_c, v_c = self.state_of(o.id, tt)
            r_a, v_a = aim(tt)
            err = float(np.linalg.norm(r_c - r_a))
            ev: list[WorldEvent] = []
            if tt >= state["hold_end"]:
                dv = (rtn_basis(r_c, v_c) @ (v_a - v_c)) * 1e3
                if np.linalg.norm(dv) > min(o.dv_left_mps, 50.0):
                    dv *= min(o.dv_left_mps, 50.0) / np.linalg.norm(dv)
                ev.append(self.burn(o.id, dv, tt, why=f"{why}: end of hold"))
                rec["dv_hold_mps"] += float(np.linalg.norm(dv))
                rec["state"] = "done"
                return ev
            if err > g.replan_km and decisions == "red":
                # the red cell decides (a new order): the hold stops; its operator gets the
                # servicer's telemetry (onboard relative navigation: the range it measures)
                rec["state"] = "lost"
                ev = [WorldEvent("rpo_hold_lost", [o.id, target],
                                 {"serial": serial, "hold_point_error_km": err}, tt)]  # fmt: skip
                rng_km = float(np.linalg.norm(r_c - self.state_of(target, tt)[0]))
                for team in self.team_of_actor(o.actor):
                    name = (self.pictures.designator(team, target) if self.pictures is not None
                            and team in self.pictures.teams else target)  # fmt: skip
                    ev.append(WorldEvent("alert", [o.id, name], {
                        "team": team, "kind": "rpo_hold_lost", "visible_to": [team],
                        "details": {"asset": o.id, "target": name, "range_km": round(rng_km, 2),
                                    "commanded_km": range_km}}, tt))  # fmt: skip
                return ev
            if err > g.replan_km:
                rec["replans"] += 1
                rec["state"] = "transfer"
                ev += [WorldEvent("rpo_replan", [o.id, target],
                                  {"serial": serial, "hold_point_error_km": err}, tt)]  # fmt: skip
                try:
                    ev += self._transfer(o.id, target, tt,
                                         tt + _td64(_seconds(g.replan_duration)), offset,
                                         f"{why} re-plan", on_arrival=resume)  # fmt: skip
                except WorldError as exc:
                    rec["state"] = "budget"
                    ev.append(WorldEvent("rpo_abort", [o.id], {"serial": serial,
                                                               "reason": str(exc)}, tt))  # fmt: skip
                return ev
            t_next = min(tt + _td64(step), state["hold_end"])
            dv = self._hop(o, tt, r_c, v_c, aim(t_next)[0], t_next)
            if dv is not None and np.linalg.norm(dv) >= MIN_CORRECTION_MPS:
                if np.linalg.norm(dv) > o.dv_left_mps:
                    rec["state"] = "budget"
                    return [WorldEvent("rpo_abort", [o.id], {"serial": serial,
                                                             "reason": "delta-v budget"}, tt)]  # fmt: skip
                ev.append(self.burn(o.id, dv, tt, why=f"{why}: hold correction"))
                rec["n_corrections"] += 1
                rec["dv_hold_mps"] += float(np.linalg.norm(dv))
            self.schedule(t_next, check, f"{why} hold check")
            return ev

        def abort(tt):
            """The red cell commanded the servicer itself: stand down (drop the pending
            transfer burn and hold checks), retry later if the scenario says so."""
            if rec["state"] not in ("transfer", "hold"):
                return []
            if rec["state"] == "hold":
                sample(tt)
            self._schedule = [x for x in self._schedule if not x.what.startswith(why)]
            rec["state"] = "aborted"
            rec["aborts"] += 1
            rec["abort_utc"] = _iso(tt)
            if g.retry_after is not None and decisions == "world":
                self.schedule(tt + _td64(_seconds(g.retry_after)), retry, f"{why} retry")
            # shown to the team that burned (its action's effects): no inject serial
            return [WorldEvent("rpo_abort", [o.id], {}, tt)]

        self._rpo_abort.setdefault(o.id, []).append(abort)
        return self._transfer(o.id, target, t, t + _td64(duration_s), offset, why,
                              on_arrival=start_hold)  # fmt: skip

    def _apply_rendezvous(self, team_id, action, t):
        """A team's order to its servicer (the red cell re-planning, retrying): approach
        ``target`` (a name the team's picture holds) and hold ``range_km`` from it,
        arriving ``duration_h`` later (stretched within the remaining delta-v budget,
        refused beyond it).  The order replaces the asset's current guidance; the hold is
        the world's closed loop (physics), the decisions stay the team's
        (``decisions: red``: no automatic re-plan or retry)."""
        from spacerange.exercise.scenario.counterspace import RpoGuidance as Settings

        o = self._live_asset(team_id, action.get("asset"), "rendezvous_capable")
        name = action.get("target")
        pics = self.pictures
        tid = pics.resolve(team_id, name) if pics is not None else name
        if not isinstance(tid, str) or tid not in self or tid == o.id:
            raise WorldError(f"target {name!r} is not an object team {team_id} holds")
        try:
            rng = float(action["range_km"])
            dur_h = float(action.get("duration_h", 12.0))
        except (KeyError, TypeError, ValueError):
            raise WorldError("rendezvous needs range_km (km) and duration_h (h)") from None
        if not (0.1 <= rng <= 1000.0 and 1.0 <= dur_h <= 240.0):
            raise WorldError("rendezvous: range_km in [0.1, 1000], duration_h in [1, 240]")
        prev = [r for r in self.rpo.values() if r["asset"] == o.id]
        tol = float(action.get("tolerance_km") or (prev[-1]["tolerance_km"] if prev
                                                   else max(0.2 * rng, 0.5)))  # fmt: skip
        if not 0 < tol < rng:
            raise WorldError(f"rendezvous: tolerance_km {tol:g} must be below range_km {rng:g}")
        for r in prev:  # the order replaces the current guidance (its burns and checks)
            if r["state"] in ("transfer", "hold", "lost"):
                why = self._rpo_why[r["serial"]]
                self._schedule = [x for x in self._schedule if not x.what.startswith(why)]
                r["state"] = "replaced"
        key = f"{team_id} order {sum(1 for r in prev if r['serial'].startswith(team_id)) + 1}"
        g = Settings(tolerance_km=tol, decisions="red")
        ev = self._guide(o, tid, rng, dur_h * 3600.0, 0.0, g, key,
                         f"{key} rendezvous {o.id}", t)  # fmt: skip
        return True, [], ev

    def _team_burned(self, oid: str, t) -> list[WorldEvent]:
        """A team burned ``oid`` itself: any guidance of it stands down."""
        out: list[WorldEvent] = []
        for abort in self._rpo_abort.get(oid, []):
            out += abort(t)
        return out

    def _hop(self, o, t0, r0, v0, r_aim, t1) -> np.ndarray | None:
        """RTN burn [m/s] at ``t0`` that brings ``o`` from (r0, v0) to ``r_aim`` at ``t1``
        (Newton on SGP4 truth); ``None`` when it does not converge to within
        ``HOP_CONVERGED_KM`` (a Jacobian taken across a branch of the mean-element fit,
        near zero inclination, asked a 20 m/s "correction" that ended a hold on its
        delta-v budget: no burn is better than that one)."""
        eps = 1e-6
        dv = np.zeros(3)
        best = (np.inf, None)
        for _ in range(12):
            vs = np.vstack([dv, dv + np.eye(3) * eps]) + v0
            st = np.concatenate([np.repeat(r0[None], 4, 0), vs], axis=1)
            sats, _ = fit_satrecs(st, t0, o.satrec.bstar)
            if any(s is None for s in sats):
                break
            rr = np.array([_sgp4_one(s, np.asarray([t1]))[0][0] for s in sats])
            f = rr[0] - r_aim
            miss = float(np.linalg.norm(f))
            if miss < best[0]:
                best = (miss, dv.copy())
            if miss < 1e-3:
                break
            jac = (rr[1:] - rr[0]).T / eps
            dv = dv + np.linalg.lstsq(jac, -f, rcond=None)[0]
        miss, dv = best
        if dv is None or not miss < HOP_CONVERGED_KM or not np.all(np.isfinite(dv)):
            return None
        return (rtn_basis(r0, v0) @ dv) * 1e3
