"""Threats of approach: GEO rendezvous and LEO inspection transfers, releases of
sub-satellites, unannounced manoeuvres."""

from __future__ import annotations

import math

import numpy as np

from spacerange.exercise.world.model import (
    _TWO_PI,
    RE_KM,
    TruthObject,
    WorldError,
    WorldEvent,
    _coperiodic,
    _iso,
    _seconds,
    _sgp4_one,
    _td64,
    fit_satrecs,
    to_utc64,
)
from spacerange.frames import (
    from_rtn,
    rtn_basis,
)


class ProximityThreats:
    """Part of :class:`spacerange.exercise.world.World` (a mixin: it works on the world's
    state, see :mod:`spacerange.exercise.world.core`)."""

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
