"""Scripted players (autopilots) for unattended runs, tests and demonstrations.

* ``passive``: does nothing (the baseline a scenario's contingencies and ratings must
  catch).
* ``competent``: a blue cell that performs each inject's expected actions well before
  their deadlines with correct content: an assessment naming the right threat and objects;
  an avoidance manoeuvre of its asset sized for a safe miss and re-screened after
  execution (a second, larger burn if the predicted miss is still below
  :data:`SAFE_MISS_KM` or the Pc above :data:`PC_MAX`); a GEO relocation away from an
  approaching object; sensor tasking; data sharing under its agreements; notifications
  and reports.  A red cell acknowledges its scripted orders (the engine enacts them).

Autopilots act only through :meth:`Exercise._submit` (the same validation and log as a
human player) from tasks on the engine's queue, so a run is deterministic and replayable.
Re-entry windows are taken from the scripted truth (a scripted player's shortcut).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from spacerange.conjunction.thresholds import PC_ALERT
from spacerange.exercise.actions import team_assets, team_sensors
from spacerange.exercise.clock import Priority, iso, seconds, to_dt64
from spacerange.exercise.scenario import (
    AfterTrigger,
    ConditionTrigger,
    DebrisEvent,
    GeoOrbit,
    GeoRendezvous,
    HighPcConjunction,
    LeoInspector,
    NewLaunch,
    UnannouncedManeuver,
    UncontrolledReentry,
)

if TYPE_CHECKING:  # pragma: no cover
    from spacerange.exercise.engine import Exercise, InjectState

__all__ = ["Autopilot", "CompetentAutopilot", "make_autopilot", "SAFE_MISS_KM", "PC_MAX"]

#: predicted miss distance the competent player aims at [km]
SAFE_MISS_KM = 2.0
#: collision-probability threshold of the competent player
PC_MAX = PC_ALERT
#: the competent player never spends more than this on one conjunction [m/s]
MAX_AVOIDANCE_DV_MPS = 1.5
USER = "autopilot:{}"


def make_autopilot(kind: str | None) -> Autopilot | None:
    """``competent``, ``passive``, or ``None``/``human``/``none`` (no autopilot)."""
    if kind is None or str(kind).lower() in ("none", "human", ""):
        return None
    k = str(kind).lower()
    if k == "competent":
        return CompetentAutopilot()
    if k == "passive":
        return Autopilot()
    raise ValueError(f"autopilot: unknown kind {kind!r}: expected competent or passive")


class Autopilot:
    """The passive player: hooks called by the engine, all doing nothing."""

    name = "passive"

    def on_release(self, ex: Exercise, team: str, st: InjectState) -> None:
        """An inject addressed to (or evaluated on) ``team`` was released."""

    def on_task(self, ex: Exercise, team: str, task: dict) -> None:
        """A task this autopilot scheduled is due."""

    def on_world_event(self, ex: Exercise, team: str, kind: str, objects: list, details: dict):
        """A truth event happened (autopilots may use it only as a scripted shortcut)."""

    def on_picture_event(self, ex: Exercise, team: str, kind: str, payload: dict) -> None:
        """The team's picture produced a detection/alert."""

    def on_action_result(self, ex: Exercise, team: str, rec: Any, ok: bool) -> None:
        """A delayed action (burn) of the team was executed or rejected."""


def _threat_objects(action: Any) -> list[str]:
    if isinstance(action, HighPcConjunction):
        return [action.target, action.secondary or action.new_secondary_id or ""]
    if isinstance(action, GeoRendezvous):
        return [action.red_asset, action.target]
    if isinstance(action, LeoInspector):
        objs = [action.inspector, action.target]
        if action.release is not None:
            objs.append(action.release.deployable)
        return objs
    if isinstance(action, DebrisEvent):
        return [x for x in (action.parent, action.impactor) if x]
    if isinstance(action, UncontrolledReentry):
        return [action.object]
    if isinstance(action, UnannouncedManeuver):
        return [action.asset]
    if isinstance(action, NewLaunch):
        return [f"{action.id_prefix}-{i + 1}" for i in range(action.n_objects)]
    return list(getattr(action, "assets", []) or [])


class CompetentAutopilot(Autopilot):
    """A well-drilled cell (see the module docstring)."""

    name = "competent"

    def __init__(self) -> None:
        self.new_objects: list[str] = []
        self.avoidance: dict[str, dict] = {}  # asset -> {secondary, dv_total, tries}

    @property
    def user(self) -> str:
        return USER.format(self.name)

    # ------------------------------------------------------------------ context
    def threat_of(self, ex: Exercise, st: InjectState, depth: int = 0) -> tuple[Any, Any]:
        """``(threat action, inject state holding it)`` behind an inject: its own action, its
        trigger parent's, its contingency parent's, or another of its main event."""
        inj = st.inject
        if inj.action is not None and inj.action.kind not in ("media", "diplomatic_note"):
            return inj.action, st
        if depth < 5:
            parents = []
            if isinstance(inj.trigger, AfterTrigger):
                parents.append(inj.trigger.after)
            if st.parent:
                parents.append(st.parent)
            for p in parents:
                if p in ex.injects:
                    a, s = self.threat_of(ex, ex.injects[p], depth + 1)
                    if a is not None:
                        return a, s
        for ev in ex.scenario.events:
            serials = [i.serial for inc in ev.incidents for i in inc.injects]
            base = st.parent or inj.serial
            if base in serials:
                for inc in ev.incidents:
                    for i in inc.injects:
                        if i.action is not None and i.action.kind not in (
                            "media",
                            "diplomatic_note",
                        ):
                            return i.action, ex.injects.get(i.serial)
        return inj.action, st

    def _objects(self, ex: Exercise, st: InjectState, expected_objects: list[str]) -> list[str]:
        if expected_objects:
            return list(expected_objects)
        action, _ = self.threat_of(ex, st)
        objs = [o for o in _threat_objects(action) if o] if action is not None else []
        if not objs and isinstance(st.inject.trigger, ConditionTrigger):
            objs = list(st.inject.trigger.rule.object_refs)
        return objs

    def _threat_term(self, ex: Exercise, st: InjectState, expected_threat: Any) -> str:
        from spacerange.exercise.engine import THREAT_TERMS

        if expected_threat:
            return str(getattr(expected_threat, "value", expected_threat))
        action, _ = self.threat_of(ex, st)
        if action is not None:
            return THREAT_TERMS.get(action.kind, action.kind)
        for ev in ex.scenario.events:
            if ev.threat and any(i.serial == st.serial for inc in ev.incidents
                                 for i in inc.injects):  # fmt: skip
                return THREAT_TERMS.get(ev.threat.value, ev.threat.value)
        return "unknown"

    def _allies(self, ex: Exercise, team: str) -> list[str]:
        out = []
        for ag in ex.scenario.sharing:
            if ag.provider == team:
                out += [r for r in ag.recipients if r not in out]
        if not out:
            out = [t.id for t in ex.scenario.teams if t.role == "blue" and t.id != team]
        return out

    # ------------------------------------------------------------------ hooks
    def on_release(self, ex: Exercise, team: str, st: InjectState) -> None:
        role = ex._teams[team].role
        t = ex.clock.now
        if (
            role == "red"
            and st.inject.method == "order"
            and not any(x.team == team for x in st.expected)
        ):
            ex.queue.push(t + seconds(300), Priority.AUTOPILOT, "autopilot", team=team,
                          task={"do": "ack", "serial": st.serial})  # fmt: skip
            return
        for i, x in enumerate(st.expected):
            if x.team != team:
                continue
            dl_s = x.expected.deadline.total_seconds()
            delay = min(0.2 * dl_s, 1800.0)
            ex.queue.push(t + seconds(delay), Priority.AUTOPILOT, "autopilot", team=team,
                          task={"do": "respond", "serial": st.serial, "i": i})  # fmt: skip

    def on_world_event(self, ex, team, kind, objects, details) -> None:
        if kind in ("breakup", "launch", "release", "collision"):
            new = list(details.get("ids", []) or [])
            if kind in ("launch", "release"):
                new += list(objects)
            for o in new:
                if isinstance(o, str) and o not in self.new_objects:
                    self.new_objects.append(o)

    def on_task(self, ex: Exercise, team: str, task: dict) -> None:
        do = task["do"]
        if do == "ack":
            ex._submit(team, self.user, {"kind": "report", "to": "excon",
                                         "text": f"EXERCISE. Order {task['serial']} executed.",
                                         "serial": task["serial"]})  # fmt: skip
        elif do == "respond":
            st = ex.injects[task["serial"]]
            x = st.expected[task["i"]]
            if x.done_t is None:
                for act in self.actions_for(ex, team, st, x.expected):
                    ex._submit(team, self.user, act)
        elif do == "rescreen":
            self._rescreen(ex, team, task)

    def on_action_result(self, ex: Exercise, team: str, rec: Any, ok: bool) -> None:
        a = rec.action
        if ok and a.get("kind") == "maneuver" and a.get("asset") in self.avoidance:
            ex.queue.push(ex.clock.now + seconds(60), Priority.AUTOPILOT, "autopilot",
                          team=team, task={"do": "rescreen", "asset": a["asset"]})  # fmt: skip

    # ------------------------------------------------------------------ content
    def actions_for(self, ex: Exercise, team: str, st: InjectState, ea: Any) -> list[dict]:
        kind = ea.action.value
        objs = self._objects(ex, st, list(ea.objects))
        threat = self._threat_term(ex, st, ea.threat)
        now = ex.clock.now
        serial = st.serial
        if kind == "assessment":
            return [
                {
                    "kind": "assessment",
                    "threat": threat,
                    "objects": objs,
                    "time_utc": iso(now),
                    "confidence": 0.8,
                    "serial": serial,
                    "narrative": f"EXERCISE. {threat} involving {', '.join(objs)}.",
                }
            ]
        if kind == "maneuver":
            return self._avoidance(ex, team, st, objs)
        if kind == "countermeasure":
            return self._countermeasure(ex, team, st, list(ea.options), objs, threat)
        if kind == "tasking":
            sensors = team_sensors(ex.scenario, team)
            return [
                {
                    "kind": "tasking",
                    "sensor": sensors[0] if sensors else None,
                    "objects": objs,
                    "priority": "high",
                    "serial": serial,
                }
            ]
        if kind == "data_share":
            own = list(team_assets(ex.scenario, team))
            objects = own + [o for o in objs if o not in own]
            out = []
            for ag in ex.scenario.sharing:
                if ag.provider == team:
                    for to in ag.recipients:
                        out.append({"kind": "share", "to_team": to, "products": list(ag.products),
                                    "objects": objects, "serial": serial})  # fmt: skip
            if not out:  # no agreement: to EXCON, playing the screening provider
                white = [t.id for t in ex.scenario.teams if t.role == "white"]
                out = [{"kind": "share", "to_team": w, "products": ["oem", "omm"],
                        "objects": objects, "serial": serial} for w in white[:1]]  # fmt: skip
            return out
        if kind == "notification":
            return [
                {
                    "kind": "notify",
                    "to": ["national-command", *self._allies(ex, team)],
                    "text": f"EXERCISE. {threat}: {', '.join(objs)}.",
                    "serial": serial,
                }
            ]
        if kind == "report":
            return [
                {
                    "kind": "report",
                    "to": "national-command",
                    "threat": threat,
                    "objects": objs,
                    "serial": serial,
                    "text": f"EXERCISE. Report on {threat} ({', '.join(objs) or 'n/a'}): "
                    "observed facts, assessed intent stated separately.",
                }
            ]
        if kind == "coordination":
            allies = self._allies(ex, team) or ["excon"]
            return [
                {
                    "kind": "coordination",
                    "to": allies[0],
                    "serial": serial,
                    "text": "EXERCISE. Request additional observations of our priority objects.",
                }
            ]
        if kind == "catalog_update":  # task every own sensor on the new objects, then catalog
            objs = objs or self.new_objects[:50]
            tasks = (
                [
                    {
                        "kind": "tasking",
                        "sensor": s,
                        "objects": objs,
                        "priority": "high",
                        "serial": serial,
                    }
                    for s in team_sensors(ex.scenario, team)
                ]
                if objs
                else []
            )
            return tasks + [
                {
                    "kind": "catalog_update",
                    "objects": objs or ["UCT"],
                    "serial": serial,
                    "note": "EXERCISE. New objects catalogued.",
                }
            ]
        if kind == "reentry_prediction":
            return self._reentry(ex, st, objs)
        return []

    def _countermeasure(self, ex, team, st, options, objs, threat) -> list[dict]:
        out = []
        own = team_assets(ex.scenario, team)
        targets = [o for o in objs if o in own and own[o].maneuverable]
        action, _ = self.threat_of(ex, st)
        if ("relocate" in options or not options) and targets:
            asset = own[targets[0]]
            if isinstance(asset.orbit, GeoOrbit):
                lon = float(asset.orbit.geo_longitude_deg)
                away = -1.0
                if isinstance(action, GeoRendezvous):
                    red = self._asset_model(ex, action.red_asset)
                    if red is not None and isinstance(red.orbit, GeoOrbit):
                        away = -1.0 if red.orbit.geo_longitude_deg > lon else 1.0
                out.append({"kind": "relocate", "asset": asset.id,
                            "to_lon_deg": round(lon + away, 3), "drift_days": 2.0,
                            "serial": st.serial})  # fmt: skip
        if "notify" in options or not out:
            out.append({"kind": "notify", "to": ["national-command", *self._allies(ex, team)],
                        "text": f"EXERCISE. {threat} near {', '.join(objs)}; protective "
                                "measures taken.", "serial": st.serial})  # fmt: skip
        if "increase_tracking" in options:
            sensors = team_sensors(ex.scenario, team)
            out.append(
                {
                    "kind": "tasking",
                    "sensor": sensors[0] if sensors else None,
                    "objects": objs,
                    "priority": "high",
                    "serial": st.serial,
                }
            )
        return out

    @staticmethod
    def _asset_model(ex: Exercise, asset_id: str) -> Any:
        for a in ex.scenario.actors:
            for s in a.assets:
                if s.id == asset_id:
                    return s
        return None

    def _avoidance(self, ex: Exercise, team: str, st: InjectState, objs: list[str]) -> list:
        own = team_assets(ex.scenario, team)
        action, tst = self.threat_of(ex, st)
        assets = [o for o in objs if o in own and own[o].maneuverable]
        if isinstance(action, HighPcConjunction) and action.target in own:
            assets = [action.target]
        if not assets:
            return []
        asset = assets[0]
        secondary = None
        tca = None
        if isinstance(action, HighPcConjunction):
            secondary = action.secondary or action.new_secondary_id or f"{tst.serial}-SEC"
            if tst is not None and tst.release_t is not None:
                tca = tst.release_t + seconds(action.tca_offset)
        epoch = ex.clock.now + seconds(ex.uplink_delay_s + 60)
        lead_s = float((tca - epoch) / np.timedelta64(1, "s")) if tca is not None else 6 * 3600.0
        dv = self._dv_for_lead(lead_s)
        self.avoidance[asset] = {
            "secondary": secondary,
            "dv_total": dv,
            "tries": 1,
            "tca": iso(tca) if tca is not None else None,
            "dv": dv,
        }
        return [{"kind": "maneuver", "asset": asset, "dv_rtn_mps": [0.0, round(dv, 4), 0.0],
                 "epoch_utc": iso(epoch), "serial": st.serial,
                 "note": f"EXERCISE. Collision avoidance vs {secondary}"}]  # fmt: skip

    @staticmethod
    def _dv_for_lead(lead_s: float) -> float:
        """Along-track burn [m/s] giving about 3 x SAFE_MISS_KM of along-track separation
        ``lead_s`` later (secular drift 3 dv t; floor 0.1 m/s for short leads)."""
        lead_s = max(lead_s, 600.0)
        return float(np.clip(3.0 * SAFE_MISS_KM * 1e3 / (3.0 * lead_s), 0.1, 0.5))

    def _rescreen(self, ex: Exercise, team: str, task: dict) -> None:
        asset = task["asset"]
        plan = self.avoidance.get(asset)
        if not plan or not plan.get("secondary"):
            return
        fns = ex._functions(None, None)
        miss_km = pc = None
        try:
            if "miss_distance" in fns:
                miss_km = float(fns["miss_distance"](asset, plan["secondary"]))
            if "pc" in fns:
                pc = float(fns["pc"](asset, plan["secondary"]))
        except Exception:  # noqa: BLE001 - no prediction: keep the executed plan
            return
        safe = (miss_km is None or miss_km >= SAFE_MISS_KM) and (pc is None or pc < PC_MAX)
        if safe or plan["tries"] >= 4:
            return
        dv = min(2.0 * plan["dv"], MAX_AVOIDANCE_DV_MPS - plan["dv_total"])
        if dv <= 0.01:
            return
        plan["dv"] = dv
        plan["dv_total"] += dv
        plan["tries"] += 1
        epoch = ex.clock.now + seconds(ex.uplink_delay_s + 60)
        ex._submit(team, self.user, {"kind": "maneuver", "asset": asset,
                                     "dv_rtn_mps": [0.0, round(dv, 4), 0.0],
                                     "epoch_utc": iso(epoch),
                                     "note": f"EXERCISE. Re-screen: predicted miss "
                                             f"{miss_km} km, Pc {pc}; additional burn"})  # fmt: skip

    def _reentry(self, ex: Exercise, st: InjectState, objs: list[str]) -> list[dict]:
        out = []
        for o in objs:
            for s in ex.injects.values():
                a = s.inject.action
                if isinstance(a, UncontrolledReentry) and a.object == o:
                    t = to_dt64(ex.scenario.time_of(a.expected_reentry))
                    u = seconds(a.uncertainty)
                    out.append({"kind": "reentry_prediction", "object": o,
                                "window_start": iso(t - u), "window_end": iso(t + u),
                                "most_likely": iso(t), "serial": st.serial})  # fmt: skip
                    break
        return out
