"""What each role is shown: the event stream, a team's view, EXCON's view, the run summary."""

from __future__ import annotations

import numpy as np

from spacerange.exercise.actions import (
    ACTION_KINDS,
    team_assets,
    team_sensors,
)
from spacerange.exercise.clock import (
    iso,
    to_dt64,
)
from spacerange.exercise.engine.model import InjectState
from spacerange.exercise.eventlog import jsonable
from spacerange.exercise.scenario import (
    AfterTrigger,
    ConditionTrigger,
)


class Views:
    """Part of :class:`spacerange.exercise.engine.Exercise` (a mixin over its state)."""

    def events(self, after_seq: int = 0, team: str | None = None) -> list[dict]:
        """Logged events after ``after_seq`` visible to ``team`` (``None``: white, all)."""
        self._flush()
        return self.log.events(after_seq, team)

    def committed_events(
        self, after_seq: int = 0, team: str | None = None, limit: int | None = None
    ) -> list[dict]:
        """Events already committed to the log after ``after_seq``, visible to ``team``,
        at most ``limit``.  Safe from any thread while the engine steps: it takes neither
        the engine's lock nor its open entry (committed after each processed queue entry
        and each input, so a reader is at most that one entry behind)."""
        return self.log.committed(after_seq, team, limit)

    def team_view(self, team_id: str) -> dict:
        """What ``team_id`` may see: its picture, assets, inbox, alerts, actions."""
        with self._lock:
            team = self.scenario.team(team_id)
            fns: dict = {}
            fns_error = None
            try:
                fns = self.world.functions(team_id) or {}
            except Exception as exc:  # noqa: BLE001 - the view must not fail on a world error
                fns_error = f"world functions unavailable: {exc}"
            assets = []
            for a in team_assets(self.scenario, team_id).values():
                item = {"id": a.id, "name": a.name, "maneuverable": a.maneuverable,
                        "delta_v_mps": a.delta_v_mps}  # fmt: skip
                if "dv_used" in fns:
                    try:
                        item["dv_used_mps"] = float(fns["dv_used"](a.id))
                    except Exception as exc:  # noqa: BLE001 - reported on the asset
                        item["dv_used_error"] = str(exc)
                elif fns_error:
                    item["dv_used_error"] = fns_error
                assets.append(item)
            evs = self.log.events(0, team_id)
            view = {
                "team": team_id,
                "role": team.role,
                "marking": self.scenario.exercise.marking,
                "clock_utc": iso(self.clock.now),
                "picture": [],
                "assets": assets,
                "inbox": [dict(e["payload"], sim_time_utc=e["sim_time_utc"]) for e in evs
                          if e["kind"] == "message"],
                "conjunctions": [dict(e["payload"], sim_time_utc=e["sim_time_utc"])
                                 for e in evs if e["kind"] == "conjunction_update"],
                "reentry": [dict(e["payload"], sim_time_utc=e["sim_time_utc"]) for e in evs
                            if e["kind"] == "reentry_prediction"],
                "sensors": team_sensors(self.scenario, team_id),
                "share_to": [{"to": r, "products": list(ag.products),
                              "delay_s": ag.delay.total_seconds()}
                             for ag in self.scenario.sharing if ag.provider == team_id
                             for r in ag.recipients],
                "teams": {t.id: {"role": t.role, "name": t.name} for t in self.scenario.teams},
                "action_kinds": sorted(ACTION_KINDS) if team.role in ("blue", "red", "white")
                else [],
                "uplink_delay_s": self.uplink_delay_s,
                "alerts": [dict(e["payload"], sim_time_utc=e["sim_time_utc"]) for e in evs
                           if e["kind"] == "alert"],
                "cdms": [],
                "actions": [dict(e["payload"], kind=e["kind"], seq=e["seq"],
                                 sim_time_utc=e["sim_time_utc"]) for e in evs
                            if e["kind"].startswith("action_") and e["team"] == team_id],
                "shared_in": [],
            }  # fmt: skip
            try:
                pv = self.pictures.view(team_id) or {}
            except Exception as exc:  # noqa: BLE001
                pv = {"picture_error": str(exc)}
            for k, v in pv.items():
                if k in ("alerts", "inbox", "actions") and view.get(k):
                    continue
                view[k] = v
            return jsonable(view)

    def excon_view(self) -> dict:
        """Everything: clock, injects and their states, queue, scores, truth summary."""
        with self._lock:
            s = self.summary()
            view = {
                "clock_utc": iso(self.clock.now),
                "speed": self.clock.speed,
                "paused": self.clock.paused,
                "finished": self.finished,
                "startex": iso(self.startex),
                "endex": iso(self.endex),
                "injects": [{
                    "serial": st.serial, "title": st.inject.title, "status": st.status,
                    "origin": "contingency" if st.parent else st.origin,
                    "planned_utc": self._planned_utc(st), "trigger": self._trigger_text(st),
                    "to": list(st.inject.to), "method": st.inject.method,
                    "threat": st.inject.action.kind if st.inject.action else None,
                    "parent": st.parent, "release_utc": iso(st.release_t),
                    "resolved_utc": iso(st.resolved_t), "evaluated": st.evaluated,
                    "ground_truth": st.inject.ground_truth,
                    "expected": [{"team": x.team, "action": x.expected.action.value,
                                  "deadline_utc": iso(x.deadline), "done_utc": iso(x.done_t)}
                                 for x in st.expected],
                } for st in self.injects.values()],
                "next_events": [{"time_utc": iso(e.time), "kind": e.kind,
                                 "serial": e.data.get("serial")}
                                for e in self.queue.pending(20)],
                "teams": s["teams"],
                "collisions": self.collisions,
                "events": self.log.last_seq,
            }  # fmt: skip
            try:
                view["truth"] = self._truth_objects()
            except Exception as exc:  # noqa: BLE001 - EXCON sees why, the view still answers
                view["truth"] = []
                view["truth_error"] = f"{type(exc).__name__}: {exc}"
            return jsonable(view)

    def _planned_utc(self, st: InjectState) -> str | None:
        """When a planned inject is due: its EXCON retime, else its scenario time."""
        if st.serial in self._retimed:
            return iso(self._retimed[st.serial][1])
        if st.inject.at is not None:
            return iso(to_dt64(self.scenario.time_of(st.inject.at)))
        return None

    @staticmethod
    def _trigger_text(st: InjectState) -> str | None:
        tr = st.inject.trigger
        if isinstance(tr, AfterTrigger):
            return f"{tr.delay} after {tr.on} of {tr.after}"
        if isinstance(tr, ConditionTrigger):
            return f"when {tr.condition}"
        return None

    def _truth_objects(self) -> list[dict]:
        """Truth of every live object now (TEME, km, km/s) from the world's public API:
        ``world.truth_view()`` when the world has one, else ``world.states`` + ``objects``."""
        truth = getattr(self.world, "truth_view", None)
        if callable(truth):
            return list(truth())
        states = getattr(self.world, "states", None)
        objects = getattr(self.world, "objects", None)
        if not callable(states) or objects is None:
            return []
        # read-only: advancing the world here would log events out of replay order
        idx, r, v = states(self.clock.now)
        out = []
        for i, rr, vv in zip(idx.tolist(), np.round(r, 3).tolist(), np.round(v, 6).tolist(),
                             strict=True):  # fmt: skip
            o = objects[i]
            out.append({"id": o.id, "name": o.name, "object_type": o.object_type,
                        "owner": o.owner, "r_km": rr, "v_km_s": vv})  # fmt: skip
        return out

    def summary(self) -> dict:
        """The run's summary (the ``exercise run --json`` object)."""
        teams = {}
        for t in self.scenario.teams:
            if t.role not in ("blue", "red", "white"):
                continue
            teams[t.id] = {
                "role": t.role,
                "score": self.adjudicator.score(t.id),
                "ratings": self.adjudicator.objective_ratings(t.id),
                "critical_tasks": self.adjudicator.critical_task_ratings(t.id),
                "autopilot": self.autopilots[t.id].name if t.id in self.autopilots else None,
            }
        released = [s for s in self.injects.values() if s.status == "released"]
        goals = getattr(self.pictures, "conjunction_goals", None)
        man = getattr(self.pictures, "maneuver_goals", None)
        return {
            "run": str(self.run_dir),
            "scenario": self.scenario.exercise.name,
            "seed": self.seed,
            "clock_utc": iso(self.clock.now),
            "finished": self.finished,
            "injects": len(released),
            "threat_types": len(self.threats_enacted),
            "events": self.log.last_seq,
            "teams": teams,
            "collisions": self.collisions,
            # issue 11's measured goals of the exposed teams' pictures, per graded event
            "conjunction_goals": goals() if callable(goals) else [],
            # issue 15's measured non-kinetic effects (commands lost, frames denied...)
            "effects": self.world.effect_summary() if hasattr(self.world, "effect_summary") else {},
            # manoeuvre alerts: true/false/missed per team (picture.maneuvers)
            "maneuver_goals": man() if callable(man) else [],
            # measured outcomes of the counterspace threats (issue 15: ASAT, decoys,
            # covert manoeuvres, RPO holds)
            "threat_outcomes": self._threat_outcomes(),
        }

    def _threat_outcomes(self) -> dict:
        fn = getattr(self.world, "threat_outcomes", None)
        return fn() if callable(fn) else {}

    def close(self) -> None:
        self.log.close()
