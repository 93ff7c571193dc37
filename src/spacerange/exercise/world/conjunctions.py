"""Scripted conjunctions: encounters built from initial conditions at STARTEX, the
collision check and the truth closest approach."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from spacerange.exercise.world.model import (
    _TWO_PI,
    COLLISION_WINDOW_S,
    DEFAULT_HBR_M,
    DEFAULT_MASS_KG,
    MU_KM3_S2,
    RE_KM,
    ScriptedConjunction,
    TruthObject,
    WorldError,
    WorldEvent,
    _iso,
    _seconds,
    _sgp4_one,
    _td64,
    log,
    to_utc64,
)
from spacerange.frames import (
    rtn_basis,
)

__all__ = ["ConjunctionThreats", "arcs_closest_approach"]


def arcs_closest_approach(sa, sb, around: np.datetime64, half_window_s: float = 600.0
                          ) -> tuple[np.datetime64, float]:  # fmt: skip
    """Closest approach of two SGP4 arcs ``sa``, ``sb``, each propagated on its own whatever
    the world did to the objects since, within ``around`` +/- ``half_window_s``:
    ``(tca_utc, miss_km)``; ``(around, inf)`` where SGP4 fails throughout.

    Sampled every second, then the straight-line relative motion about the closest
    sample, twice (over a second the curvature of the relative motion moves the pair by
    millimetres; a 1 ms grid would be metres off at 7 km/s)."""
    n = int(half_window_s)
    ts = (around + np.arange(-n, n + 1).astype("timedelta64[s]")).astype("datetime64[us]")
    ra, va, _ = _sgp4_one(sa, ts)
    rb, vb, _ = _sgp4_one(sb, ts)
    d = np.linalg.norm(ra - rb, axis=-1)
    if not np.isfinite(d).any():
        return around, math.inf
    k = int(np.nanargmin(d))
    t, dr, dv = ts[k], ra[k] - rb[k], va[k] - vb[k]
    for _ in range(2):
        tau_s = -float(dr @ dv) / max(float(dv @ dv), 1e-12)
        if not math.isfinite(tau_s):
            break
        t1 = t + np.timedelta64(int(round(1e6 * max(-1.0, min(1.0, tau_s)))), "us")
        ra, va, _ = _sgp4_one(sa, np.asarray([t1]))
        rb, vb, _ = _sgp4_one(sb, np.asarray([t1]))
        if not (np.all(np.isfinite(ra)) and np.all(np.isfinite(rb))):
            break  # SGP4 failed there: keep the last good state
        t, dr, dv = t1, ra[0] - rb[0], va[0] - vb[0]
    tau_s = -float(dr @ dv) / max(float(dv @ dv), 1e-12)
    if not math.isfinite(tau_s) or abs(tau_s) > 1.0:
        return t, float(np.linalg.norm(dr))
    return t, float(np.linalg.norm(dr + dv * tau_s))


class ConjunctionThreats:
    """Part of :class:`spacerange.exercise.world.World` (a mixin: it works on the world's
    state, see :mod:`spacerange.exercise.world.core`)."""

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
        #: fragment id -> (serial, scripted TCA, action) of a conjunction whose secondary a
        #: scripted break-up creates: the fragment is created on the encounter course
        self._fragment_plans: dict[str, tuple] = {}
        for _, _, inj in self.scenario.iter_injects():
            a = inj.action
            if a is not None and a.kind == "debris_event" and a.impactor is not None:
                self._preplace_impactor(inj, a)
            if a is None or a.kind != "high_pc_conjunction":
                continue
            t_rel = self._planned_release(inj)
            if t_rel is not None and a.secondary is not None and a.secondary not in self.index:
                if self._created_by_breakup(a.secondary, t_rel):
                    tca = t_rel + _td64(_seconds(a.tca_offset))
                    self._fragment_plans[a.secondary] = (inj.serial, tca, a)
                continue
            if t_rel is None or (a.secondary is not None and a.secondary not in self.index):
                continue  # placed at release (see _enact_high_pc_conjunction)
            sec = self.obj(a.secondary) if a.secondary is not None else None
            if sec is not None and sec.created_utc is not None and sec.created_utc > self.startex:
                continue
            tca = t_rel + _td64(_seconds(a.tca_offset))
            self._preplaced[inj.serial] = (tca, *self._place_secondary(a, inj.serial, tca,
                                                                       self.startex))  # fmt: skip

    def _preplace_impactor(self, inj, a) -> None:
        """A scripted collision's impactor meets the parent by propagation: when the
        break-up's release is known before play and both exist at STARTEX, the impactor's
        orbit from STARTEX is the one that reaches the parent's position at the break-up
        (miss 0, crossing at ``impact_speed_km_s`` or the planes' natural angle), so its
        debris cloud starts where the impactor is, not where it is moved to."""
        t_b = self._planned_release(inj)
        if t_b is None or a.impactor not in self.index or a.parent not in self.index:
            return
        imp = self.obj(a.impactor)
        if imp.created_utc is not None and imp.created_utc > self.startex:
            return
        spec = SimpleNamespace(target=a.parent, secondary=a.impactor, miss_m=0.0,
                               relative_speed_km_s=a.impact_speed_km_s,
                               secondary_type=imp.object_type, new_secondary_id=None)  # fmt: skip
        self._place_secondary(spec, inj.serial, t_b, self.startex)

    def _created_by_breakup(self, object_id: str, before: np.datetime64) -> bool:
        """Whether a ``debris_event`` released (by plan) before ``before`` names fragments
        like ``object_id`` (``<fragment_prefix>-<nnnn>``)."""
        for _, _, inj in self.scenario.iter_injects():
            b = inj.action
            if b is None or b.kind != "debris_event":
                continue
            prefix = b.fragment_prefix or b.parent
            t_b = self._planned_release(inj)
            if object_id.startswith(f"{prefix}-") and t_b is not None and t_b < before:
                return True
        return False

    def _steer_fragment(self, fid: str, sat, state, sbm_dv_km_s, t, size_bstar: float) -> tuple:
        """Fragment ``fid`` of the break-up at ``t`` (SBM ``state`` (6,), fitted ``sat``;
        ``size_bstar`` the world's B* from its size and mass, used where B* <= 0) leaves on the course of the scripted conjunction that names it (see
        :mod:`spacerange.exercise.world.encounters`): ``(satrec, record for the break-up
        event)``.  If no plausible ejection reaches the target, the SBM draw is kept and the
        conjunction is placed at its release (and says it moved the fragment)."""
        from spacerange.exercise.world.encounters import steer_ejection

        serial, tca_nom, a = self._fragment_plans.pop(fid)
        v_body = state[3:] - sbm_dv_km_s  # the velocity of the body it came from
        period_s = _TWO_PI / self.obj(a.target).satrec.no_kozai * 60.0
        rec = {"id": fid, "serial": serial,
               "sbm_ejection_mps": float(np.linalg.norm(sbm_dv_km_s)) * 1e3}  # fmt: skip
        # both propagated with the drag truth will apply (storms fixed in time re-arc them)

        def target_rv(ts):
            return self.predicted_state_of(a.target, ts, after=t)

        def through(sats, tt, newton=True):
            return self.through_drag_changes(sats, t, tt, size_bstar, newton=newton)

        try:
            res = steer_ejection(state[:3], v_body, t, target_rv, tca_nom, a.miss_m * 1e-3,
                                 sat.bstar, sat.satnum, half_window_s=period_s / 2,
                                 through=through)  # fmt: skip
        except ValueError as e:
            log.warning("%s: %s cannot be ejected on the encounter course (%s)", serial, fid, e)
            return sat, {**rec, "error": str(e)}
        tca = res["tca_utc"]
        self._preplaced[serial] = (tca, fid, True, res["rel_speed_km_s"], t)
        return res["satrec"], {**rec, "ejection_mps": float(np.linalg.norm(res["dv_km_s"])) * 1e3,
                               "tca_utc": _iso(tca),
                               "tca_shift_s": float((tca - tca_nom) / np.timedelta64(1, "s"))}  # fmt: skip

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
