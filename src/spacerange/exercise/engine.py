"""The exercise engine: plays a scenario against the truth world, releases injects on time
or on trigger, takes the teams' actions, adjudicates, and records everything in an
append-only event log from which a run can be replayed and resumed.

Design (see ``engine_contract.md``):

* One deterministic discrete-event queue (:mod:`~spacerange.exercise.clock`) drives the
  run: inject releases, trigger-condition checks, periodic picture updates, expected-action
  deadlines, contingencies, delayed burn executions, scripted players (autopilots),
  evaluations, coarse clock events, ENDEX.  The wall clock only paces it (real time,
  compressed xN, as fast as possible, paused).
* Truth and the teams' pictures are the world's (:mod:`spacerange.exercise.world`,
  :mod:`spacerange.exercise.picture`); the engine calls ``world.advance/enact/apply/
  functions`` and ``pictures.update/view``.
* Event sourcing: every event is appended to ``RUN_DIR/events.sqlite``.  The inputs (the
  accepted or rejected actions of human players, EXCON commands, evaluator ratings and
  notes) are events too; :meth:`Exercise.open` rebuilds the world from (scenario, seed),
  re-runs the queue and re-applies each input exactly where it was logged, so a run killed
  with ``kill -9`` resumes to the same final state.  Autopilot actions are regenerated,
  not replayed.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from spacerange.exercise.actions import (
    ACTION_KINDS,
    DELAYED_KINDS,
    PHYSICAL_KINDS,
    player_kind,
    satisfies,
    team_assets,
    team_sensors,
    validate_action,
)
from spacerange.exercise.adjudication import Adjudicator, RatingRecord
from spacerange.exercise.clock import (
    EventQueue,
    ExerciseClock,
    Priority,
    QueueEntry,
    Speed,
    iso,
    seconds,
    to_dt64,
)
from spacerange.exercise.content import THREAT_CATEGORY, MatchContext, category, check
from spacerange.exercise.eventlog import EventLog, jsonable
from spacerange.exercise.scenario import (
    AfterTrigger,
    ConditionTrigger,
    ExpectedAction,
    Inject,
    Payload,
    PlayerAction,
    Scenario,
    UncontrolledReentry,
)

if TYPE_CHECKING:  # pragma: no cover
    from spacerange.exercise.port import TeamPortImpl

__all__ = ["ActionResult", "Exercise", "InjectState", "THREAT_TERMS", "WorldFactory"]

log = logging.getLogger("spacerange.exercise")

#: threat kind of an inject action -> the taxonomy category an assessment uses for it
THREAT_TERMS = {**THREAT_CATEGORY, "media": "media", "diplomatic_note": "diplomatic_note"}

#: ``world_factory(scenario, seed, base_dir) -> (world, pictures)``
WorldFactory = Callable[[Scenario, int, Path], tuple[Any, Any]]

_INPUT_KINDS = ("action_submitted", "excon", "rating", "evaluator_note")
_EVALUATED_ROLES = ("blue", "red")
WHITE: list[str] = []  # visible_to for white/evaluators only
ALL = ["*"]


def default_world_factory(scenario: Scenario, seed: int, base_dir: Path) -> tuple[Any, Any]:
    """The truth world and the teams' pictures (:mod:`spacerange.exercise.world`,
    :mod:`spacerange.exercise.picture`)."""
    from spacerange.exercise.world import World

    try:
        from spacerange.exercise.picture import Pictures
    except ImportError as exc:
        # an exercise without team pictures is a different exercise: refuse to start
        # rather than play on with blind teams
        raise RuntimeError(
            f"the team-picture module spacerange.exercise.picture cannot be imported ({exc}); "
            "an exercise cannot run without team pictures"
        ) from exc
    world = World(scenario, seed, base_dir)
    return world, Pictures(world, scenario)


@dataclass
class ActionResult:
    """Outcome of :meth:`Exercise.submit_action`: ``seq`` of its ``action_submitted``."""

    accepted: bool
    errors: list[str]
    seq: int | None


@dataclass
class ExpectedState:
    expected: ExpectedAction
    team: str
    deadline: np.datetime64
    done_t: np.datetime64 | None = None
    done_seq: int | None = None
    evidence: str | None = None


@dataclass
class InjectState:
    """Run-time state of one inject (planned, or a contingency created at run time)."""

    inject: Inject
    parent: str | None = None
    status: str = "planned"  # planned | released | skipped
    release_t: np.datetime64 | None = None
    resolved_t: np.datetime64 | None = None
    evaluated: bool = False
    expected: list[ExpectedState] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    contingencies_fired: set[int] = field(default_factory=set)
    origin: str = "scenario"  # scenario | contingency | adhoc (written by EXCON in play)

    @property
    def serial(self) -> str:
        return self.inject.serial


@dataclass
class ActionRecord:
    seq: int
    t: np.datetime64
    team: str
    user: str
    action: dict
    status: str = "accepted"  # accepted | applied | rejected
    #: truth-side evidence for adjudication (never shown to the team): the action with
    #: names resolved to truth ids and measured errors (re-entry epoch error...)
    evidence: dict = field(default_factory=dict)

    @property
    def pkind(self) -> str:
        return player_kind(self.action)


class Exercise:
    """One run of a scenario.  Build with :meth:`create` or :meth:`open`."""

    # ------------------------------------------------------------------ construction
    def __init__(
        self,
        scenario: Scenario,
        run_dir: Path,
        meta: dict,
        world_factory: WorldFactory | None = None,
        replay: list[dict] | None = None,
    ):
        from spacerange.exercise.autopilot import make_autopilot

        self.scenario = scenario
        self.run_dir = Path(run_dir)
        self.meta = meta
        self.seed = int(meta["seed"])
        self.uplink_delay_s = float(meta.get("uplink_delay_s", 600.0))
        self.evaluation_settle_s = float(meta.get("evaluation_settle_s", 3600.0))
        ex = scenario.exercise
        self.startex = to_dt64(ex.startex)
        self.endex = to_dt64(ex.endex)
        dur_s = (ex.endex - ex.startex).total_seconds()
        self.picture_step_s = float(
            meta.get("picture_step_s") or (600.0 if dur_s <= 2 * 86400 else 1800.0)
        )
        self.clock = ExerciseClock(self.startex, self.endex, "max")
        self.queue = EventQueue()
        self.log = EventLog(self.run_dir / "events.sqlite")
        self.adjudicator = Adjudicator(scenario)
        self._lock = threading.RLock()
        self.finished = False
        self.on_progress: Callable[[np.datetime64, float], None] | None = None
        self._teams = {t.id: t for t in scenario.teams}
        base_dir = Path(meta.get("base_dir") or self.run_dir)
        factory = world_factory or default_world_factory
        self.world, self.pictures = factory(scenario, self.seed, base_dir)
        self._world_t = self.startex
        self.injects: dict[str, InjectState] = {}
        for _, _, inj in scenario.iter_injects():
            self.injects[inj.serial] = InjectState(inj)
        self._children: dict[str, list[tuple[str, AfterTrigger]]] = {}
        #: EXCON retimes: serial -> (retime number, new release time); older releases of
        #: that serial in the queue are superseded
        self._retimed: dict[str, tuple[int, np.datetime64]] = {}
        self._retime_n = 0
        self.actions: list[ActionRecord] = []
        self.collisions = 0
        self._breakup_truth: list[tuple[np.datetime64, str]] = []
        self._fragment_sets_logged = 0
        self._condition_warned: set[str] = set()
        self.threats_enacted: set[str] = set()
        self.autopilots: dict[str, Any] = {}
        self._ports: dict[str, Any] = {}
        self._ap_pending: list[tuple[str, str, dict, str]] = []
        self._msg_n: dict[str, int] = {}
        for team_id, kind in self._resolve_autopilots(meta.get("autopilots") or {}).items():
            ap = make_autopilot(kind)
            if ap is not None:
                self.autopilots[team_id] = ap
        # replay state: appends up to _replay_upto are already in the log
        self._cursor = 0
        self._replay_upto = 0
        self._inputs: list[dict] = []
        if replay is not None:
            self._replay_upto = self.log.last_seq
            self._inputs = [e for e in replay if self._is_input(e)]
        self._schedule_start()

    @classmethod
    def create(
        cls,
        scenario_path: str | Path,
        run_dir: str | Path,
        seed: int | None = None,
        autopilots: dict[str, str] | None = None,
        *,
        uplink_delay_s: float = 600.0,
        evaluation_settle_s: float = 3600.0,
        picture_step_s: float | None = None,
        world_factory: WorldFactory | None = None,
    ) -> Exercise:
        """Start a new run of ``scenario_path`` in ``run_dir`` (created; must not hold a
        run).  ``autopilots`` maps team ids or roles (``blue``, ``red``) to ``competent``
        or ``passive``; ``seed`` defaults to the scenario's."""
        from spacerange.exercise.validate import load_scenario

        scenario_path = Path(scenario_path)
        scenario = load_scenario(scenario_path)
        run_dir = Path(run_dir)
        if (run_dir / "events.sqlite").exists():
            raise FileExistsError(f"{run_dir} already holds a run (events.sqlite): use open()")
        run_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scenario_path, run_dir / "scenario.yaml")
        meta = {
            "run_id": uuid.uuid4().hex[:12],
            "scenario": str(scenario_path),
            "base_dir": str(scenario_path.resolve().parent),
            "seed": int(scenario.exercise.seed if seed is None else seed),
            "autopilots": dict(autopilots or {}),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "uplink_delay_s": uplink_delay_s,
            "evaluation_settle_s": evaluation_settle_s,
            "picture_step_s": picture_step_s,
        }
        (run_dir / "run.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        ex = cls(scenario, run_dir, meta, world_factory)
        ex._flush()
        return ex

    @classmethod
    def open(cls, run_dir: str | Path, world_factory: WorldFactory | None = None) -> Exercise:
        """Reopen a run (e.g. after a crash): rebuild the world from (scenario, seed) and
        replay the log, re-applying the logged inputs at their positions."""
        from spacerange.exercise.validate import load_scenario

        run_dir = Path(run_dir)
        meta = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        scenario = load_scenario(run_dir / "scenario.yaml")
        log_ = EventLog(run_dir / "events.sqlite")
        events = log_.events()
        log_.close()
        ex = cls(scenario, run_dir, meta, world_factory, replay=events)
        last_t = max((to_dt64(e["sim_time_utc"]) for e in events), default=ex.startex)
        ex._advance(min(last_t, ex.endex), allow_endex=last_t >= ex.endex)
        ex._apply_inputs(force=True)
        ex._flush()
        if ex._cursor < ex._replay_upto:
            log.warning("replay regenerated %d of %d logged events", ex._cursor, ex._replay_upto)
        ex._replay_upto = 0
        return ex

    @staticmethod
    def _is_input(e: dict) -> bool:
        k, p = e["kind"], e["payload"]
        if k in ("action_submitted", "action_cancelled"):
            return not str(p.get("user", "")).startswith("autopilot")
        if k in ("rating", "evaluator_note"):
            return p.get("source") == "evaluator"
        return k == "excon"

    def _resolve_autopilots(self, spec: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, kind in spec.items():  # roles first, then explicit teams override
            if key not in self._teams:
                for t in self.scenario.teams:
                    if t.role == key:
                        out[t.id] = kind
        for key, kind in spec.items():
            if key in self._teams:
                out[key] = kind
        roles = {"white", "blue", "red", "evaluator", "observer"}
        unknown = [k for k in spec if k not in self._teams and k not in roles]
        if unknown:
            raise ValueError(f"autopilot: unknown team or role {', '.join(unknown)}: expected "
                             f"one of {', '.join(self._teams)} or a role")  # fmt: skip
        return out

    # ------------------------------------------------------------------ log helpers
    def _append(self, kind: str, payload: dict, team: str | None = None,
                visible_to: list[str] | None = None, t: np.datetime64 | None = None) -> int:  # fmt: skip
        self._cursor += 1
        vis = WHITE if visible_to is None else visible_to
        for tm in self.autopilots:
            if "*" in vis or tm in vis:
                self._ap_pending.append((tm, kind, payload, iso(self.clock.now if t is None
                                                                else t)))  # fmt: skip
        if self._cursor <= self._replay_upto:
            return self._cursor
        seq = self.log.append(iso(self.clock.now if t is None else t), kind, payload, team,
                              WHITE if visible_to is None else visible_to)  # fmt: skip
        return seq

    def _flush(self) -> None:
        self.log.commit()

    @property
    def replaying(self) -> bool:
        return self._cursor < self._replay_upto

    # ------------------------------------------------------------------ scheduling
    def _schedule_start(self) -> None:
        sc = self.scenario
        self._append("run_started", {
            "scenario_name": sc.exercise.name,
            "marking": sc.exercise.marking,
            "seed": self.seed,
            "startex": iso(self.startex),
            "endex": iso(self.endex),
            "compression": sc.exercise.compression,
            "teams": {t.id: {"role": t.role, "plays": list(t.plays), "name": t.name}
                      for t in sc.teams},
            "objectives": [{"id": o.id, "text": o.text, "capability": o.capability,
                            "critical_tasks": list(o.critical_tasks)} for o in sc.objectives],
            "critical_tasks": [{"id": c.id, "text": c.text} for c in sc.critical_tasks],
            "autopilots": {k: v.name for k, v in self.autopilots.items()},
            "run_id": self.meta.get("run_id"),
        }, visible_to=WHITE, t=self.startex)  # fmt: skip
        # what every player may know (no seed, no evaluation standards)
        self._append("exercise_info", {
            "scenario_name": sc.exercise.name, "marking": sc.exercise.marking,
            "startex": iso(self.startex), "endex": iso(self.endex),
            "teams": {t.id: {"role": t.role, "name": t.name} for t in sc.teams},
        }, visible_to=ALL, t=self.startex)  # fmt: skip
        q = self.queue
        for st in self.injects.values():
            inj = st.inject
            if inj.at is not None:
                q.push(to_dt64(sc.time_of(inj.at)), Priority.RELEASE, "release", serial=inj.serial)
            elif isinstance(inj.trigger, AfterTrigger):
                self._children.setdefault(inj.trigger.after, []).append((inj.serial, inj.trigger))
            elif isinstance(inj.trigger, ConditionTrigger):
                tr = inj.trigger
                t0 = to_dt64(sc.time_of(tr.not_before)) if tr.not_before else self.startex
                q.push(t0, Priority.CONDITION, "condition", serial=inj.serial, armed=iso(t0))
        step = seconds(self.picture_step_s)
        q.push(self.startex + step, Priority.PICTURE, "picture")
        q.push(self.startex + seconds(3600), Priority.CLOCK, "clock")
        q.push(self.endex, Priority.ENDEX, "endex")

    # ------------------------------------------------------------------ world access
    def _world_to(self, t: np.datetime64) -> None:
        if t <= self._world_t:
            return
        events = self.world.advance(t) or []
        self._world_t = t
        self._log_world_events(events, t)

    def _log_world_events(self, events: list, t: np.datetime64) -> None:
        special = {"fragments", "relative_motion", "reentry_prediction", "alert",
                   "conjunction_update", "detection"}  # fmt: skip
        for ev in events:
            kind = getattr(ev, "kind", None) or (ev.get("kind") if isinstance(ev, dict) else "")
            objects = list(getattr(ev, "objects", None) or
                           (ev.get("objects", []) if isinstance(ev, dict) else []))  # fmt: skip
            details = getattr(ev, "details", None)
            if details is None and isinstance(ev, dict):
                details = ev.get("details", {})
            et = getattr(ev, "time_utc", None) or (ev.get("time_utc") if isinstance(ev, dict)
                                                   else None)  # fmt: skip
            et = to_dt64(et) if et is not None else t
            if kind in special:
                payload = {"objects": objects, **jsonable(details or {})}
                vis = payload.pop("visible_to", None)
                self._append(kind, payload, team=payload.get("team"),
                             visible_to=vis if vis is not None else WHITE, t=et)  # fmt: skip
                continue
            if kind == "collision":
                self.collisions += 1
            self._append("world_event", {"type": kind, "objects": objects,
                                         "details": jsonable(details or {})}, t=et)  # fmt: skip
            if kind == "breakup":
                self._log_fragments(et)
                if objects:  # truth for grading breakup attributions
                    self._breakup_truth.append((et, str(objects[0])))

    def _log_fragments(self, t: np.datetime64) -> None:
        """Gabbard data (contract ``fragments``) of the world's new fragment sets."""
        sets = getattr(self.world, "fragment_sets", None) or []
        for fs in sets[self._fragment_sets_logged :]:
            payload = {k: fs.get(k) for k in ("parent", "n", "apogee_km", "perigee_km",
                                               "period_min", "serial")}  # fmt: skip
            payload["ids"] = list(fs.get("ids", []))
            self._append("fragments", payload, t=t)
        self._fragment_sets_logged = len(sets)

    def _functions(self, team: str | None, since: np.datetime64 | None) -> dict[str, Callable]:
        """Truth rule functions (``tracked`` answers for ``team``); ``min_range`` and
        ``elapsed`` count from ``since`` (default STARTEX)."""
        t0 = since if since is not None else self.startex
        try:
            base = self.world.functions(team, scope="truth", since_utc=t0)
        except TypeError:  # a world without scopes
            base = self.world.functions(team)
        funcs: dict[str, Callable] = dict(base or {})
        if "elapsed" not in funcs:
            now = self.clock.now
            funcs["elapsed"] = lambda: float((now - t0) / np.timedelta64(1, "s"))
        return funcs

    # ------------------------------------------------------------------ the run loop
    def _advance(self, target: np.datetime64, allow_endex: bool = True) -> None:
        """Process every queue entry up to ``target`` (inclusive) and set the clock."""
        target = min(np.datetime64(target, "us"), self.endex)
        while not self.finished:
            with self._lock:
                self._apply_inputs()
                e = self.queue.peek()
                if e is None or e.time > target:
                    break
                if e.kind == "endex" and not allow_endex:
                    break
                self.queue.pop()
                if e.time > self.clock.now:
                    self.clock.now = e.time
                self._dispatch(e)
                self._drain_autopilots()
                self._flush()
            if self.on_progress is not None:
                span = float((self.endex - self.startex) / np.timedelta64(1, "s"))
                done = float((self.clock.now - self.startex) / np.timedelta64(1, "s"))
                self.on_progress(self.clock.now, done / span if span > 0 else 1.0)
        with self._lock:
            if not self.finished and target > self.clock.now:
                self.clock.now = target

    def _apply_inputs(self, force: bool = False) -> None:
        """Re-apply logged inputs whose position in the log has been reached (replay)."""
        while self._inputs:
            ev = self._inputs[0]
            if not force and ev["seq"] > self._cursor + 1:
                return  # its position in the log is not reached yet
            if ev["seq"] <= self._cursor:
                log.warning("replay: input seq %s re-applied out of position", ev["seq"])
            self._inputs.pop(0)
            t = to_dt64(ev["sim_time_utc"])
            if t > self.clock.now:
                self.clock.now = t
            p = ev["payload"]
            k = ev["kind"]
            if k == "action_submitted":
                self._submit(p["team"], p.get("user", "?"), p.get("action", {}))
            elif k == "action_cancelled":
                self._cancel(p["team"], p.get("user", "?"), int(p["submitted_seq"]))
            elif k == "rating":
                self.rate(p["team"], p["objective"], p["rating"], p.get("note"),
                          p.get("author", "evaluator"), p.get("critical_task"),
                          serial=p.get("serial"), observed_utc=p.get("observed_utc"))  # fmt: skip
            elif k == "evaluator_note":
                self.add_note(p.get("text", ""), p.get("author", "evaluator"), p.get("team"),
                              serial=p.get("serial"), observed_utc=p.get("observed_utc"))  # fmt: skip
            elif k == "excon":
                self._excon(p.get("command"), p.get("args") or {})
            self._flush()

    def run(self, until_utc: Any = None, speed: Speed | None = None) -> None:
        """Play until ``until_utc`` (default ENDEX) at ``speed`` (``"max"`` or scenario
        seconds per wall second; default: the current speed).  Blocks while paused."""
        if speed is not None:
            self.clock.set_speed(speed)
        end = self.endex if until_utc is None else min(to_dt64(until_utc), self.endex)
        self.clock.anchor()
        while not self.finished and self.clock.now < end:
            if self.clock.paused:
                time.sleep(0.05)
                continue
            if self.clock.is_max:
                self._advance(end)
                break
            self._advance(min(self.clock.target(), end))
            nxt = self.queue.next_time()
            wait = self.clock.wall_seconds_until(nxt) if nxt is not None else 0.05
            time.sleep(min(0.05, max(0.0, wait)))
        if not self.finished and end >= self.endex:
            self._advance(self.endex)

    def step(self, seconds_: float) -> None:
        """Advance the play by ``seconds_`` of scenario time, as fast as possible."""
        self._advance(self.clock.now + seconds(seconds_))

    def next_event_utc(self) -> np.datetime64 | None:
        """Time of the next scripted item (release, deadline, burn, ENDEX...)."""
        return self.queue.next_time(exclude=("picture", "clock", "condition"))

    def jump_to_next_event(self) -> np.datetime64:
        """Advance, as fast as possible, to the next scripted item and process it."""
        t = self.next_event_utc()
        if t is not None:
            self._advance(t)
        return self.clock.now

    @property
    def clock_utc(self) -> np.datetime64:
        return self.clock.now

    def pause(self) -> None:
        with self._lock:
            self._excon("pause", {})
            self._flush()

    def resume(self) -> None:
        with self._lock:
            self._excon("resume", {})
            self._flush()

    def set_speed(self, speed: Speed) -> None:
        with self._lock:
            self._excon("speed", {"speed": speed})
            self._flush()

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, e: QueueEntry) -> None:
        handler = getattr(self, f"_on_{e.kind}")
        handler(e)

    def _on_release(self, e: QueueEntry) -> None:
        serial = e.data["serial"]
        retimed = self._retimed.get(serial)
        if retimed is not None and e.data.get("retime") != retimed[0]:
            return  # superseded by an EXCON retime
        self._release(serial, e.data.get("reason", "scheduled"))

    def _on_condition(self, e: QueueEntry) -> None:
        st = self.injects[e.data["serial"]]
        if st.status != "planned":
            return
        tr: ConditionTrigger = st.inject.trigger  # type: ignore[assignment]
        not_after = to_dt64(self.scenario.time_of(tr.not_after)) if tr.not_after else self.endex
        self._world_to(e.time)
        armed = to_dt64(e.data["armed"])
        try:
            ok = bool(tr.rule.evaluate({"now": self._now_s()}, self._functions(None, armed)))
        except KeyError:  # an object that does not exist (yet): the condition is false
            ok = False
        except Exception as exc:  # a failing condition must not stop the exercise
            if st.serial not in self._condition_warned:
                self._condition_warned.add(st.serial)
                log.warning("condition of %s cannot be evaluated: %s", st.serial, exc)
            ok = False
        if ok:
            self._release(st.serial, f"condition: {tr.condition}")
            return
        nxt = e.time + seconds(tr.check_every)
        if nxt <= not_after:
            self.queue.push(nxt, Priority.CONDITION, "condition", **e.data)

    def _on_picture(self, e: QueueEntry) -> None:
        self._world_to(e.time)
        for d in self.pictures.update(e.time) or []:
            d = dict(d)
            kind = d.pop("kind", None) or "detection"
            vis = d.pop("visible_to", None)
            team = d.get("team")
            et = d.pop("sim_time_utc", None) or d.pop("time_utc", None)
            if isinstance(d.get("payload"), dict):  # {'kind', 'team', 'visible_to', 'payload'}
                d = {**d.pop("payload"), **({"team": team} if team else {})}
            if vis is None:
                vis = [team] if team else WHITE
            t = to_dt64(et) if et else e.time
            self._append(kind, d, team=team, visible_to=list(vis), t=t)
        nxt = e.time + seconds(self.picture_step_s)
        if nxt < self.endex:
            self.queue.push(nxt, Priority.PICTURE, "picture")

    def _on_clock(self, e: QueueEntry) -> None:
        self._append("clock", {"sim_time_utc": iso(e.time), "speed": self.clock.speed,
                               "paused": self.clock.paused}, visible_to=ALL)  # fmt: skip
        nxt = e.time + seconds(3600)
        if nxt < self.endex:
            self.queue.push(nxt, Priority.CLOCK, "clock")

    def _on_deadline(self, e: QueueEntry) -> None:
        self._check_resolved(self.injects[e.data["serial"]])

    def _on_contingency(self, e: QueueEntry) -> None:
        st = self.injects[e.data["serial"]]
        idx = e.data["index"]
        if idx in st.contingencies_fired:
            return
        c = st.inject.contingency[idx]
        missing = [x for x in st.expected if x.expected.action == c.if_missing and x.done_t is None]
        if missing:
            self._fire_contingency(st, idx, reason="missing")

    def _on_exec_action(self, e: QueueEntry) -> None:
        rec: ActionRecord = self.actions[e.data["index"]]
        if rec.status == "cancelled":
            return
        self._world_to(e.time)
        ok, errors, events = self._world_apply(rec.team, rec.action, e.time)
        self._log_world_events(events, e.time)
        if ok:
            rec.status = "applied"
            self._append("action_applied", {"team": rec.team, "action": rec.action,
                                            "effects": self._effects(events),
                                            "submitted_seq": rec.seq},
                         team=rec.team, visible_to=[rec.team])  # fmt: skip
        else:
            rec.status = "rejected"
            self._append("action_rejected", {"team": rec.team, "user": rec.user,
                                             "action": rec.action, "errors": errors,
                                             "submitted_seq": rec.seq},
                         team=rec.team, visible_to=[rec.team])  # fmt: skip

    def _on_autopilot(self, e: QueueEntry) -> None:
        ap = self.autopilots.get(e.data["team"])
        if ap is not None:
            self._world_to(e.time)
            ap.on_task(self._port(e.data["team"]), e.data["task"])

    def _on_evaluate(self, e: QueueEntry) -> None:
        self._evaluate(self.injects[e.data["serial"]])

    def _on_endex(self, e: QueueEntry) -> None:
        self._world_to(self.endex)
        for st in list(self.injects.values()):
            if st.status == "released" and st.resolved_t is None:
                self._resolve(st)
        for st in list(self.injects.values()):
            if st.status == "released" and not st.evaluated:
                self._evaluate(st)
        for st in self.injects.values():
            if st.status == "planned":
                self._append("inject_skipped", {"serial": st.serial,
                                                "reason": "not triggered before ENDEX"})  # fmt: skip
        s = self.summary()
        # players learn that play ended; the scores and ratings are the evaluators'
        self._append("exercise_ended", {"endex": iso(self.endex),
                                        "marking": self.scenario.exercise.marking},
                     visible_to=ALL)  # fmt: skip
        self._append("run_ended", {"scores": {k: v["score"] for k, v in s["teams"].items()},
                                   "collisions": self.collisions,
                                   "ratings": {k: v["ratings"] for k, v in s["teams"].items()}},
                     visible_to=WHITE)  # fmt: skip
        self.finished = True
        self._flush()
        (self.run_dir / "summary.json").write_text(json.dumps(self.summary(), indent=2) + "\n",
                                                   encoding="utf-8")  # fmt: skip

    # ------------------------------------------------------------------ injects
    def _now_s(self) -> float:
        return float((self.clock.now - self.startex) / np.timedelta64(1, "s"))

    def _payload_data(self, inj: Inject) -> list[dict]:
        out = []
        for d in inj.payload.data:
            item = {"kind": d.kind, "objects": list(d.objects)}
            if d.file:
                item["file"] = d.file
            if d.note:
                item["note"] = d.note
            out.append(item)
        return out

    def _release(self, serial: str, reason: str) -> None:
        st = self.injects[serial]
        if st.status != "planned":
            return
        inj = st.inject
        t = self.clock.now
        st.status = "released"
        st.release_t = t
        text = inj.payload.text
        if text and not text.lstrip().upper().startswith(self.scenario.exercise.marking):
            text = f"{self.scenario.exercise.marking}. {text}"
        threat = inj.action.kind if inj.action is not None else None
        self._append("inject_released", {
            "serial": serial, "title": inj.title, "to": list(inj.to), "method": inj.method,
            "from": inj.from_, "threat": threat, "payload_text": text,
            "data": self._payload_data(inj), "reason": reason, "parent": st.parent,
            "ground_truth": None,
        }, visible_to=WHITE)  # fmt: skip
        self._deliver_message(inj, text)
        if inj.ground_truth:
            self._append("evaluator_note", {"serial": serial, "text": inj.ground_truth,
                                            "author": "scenario (ground truth)",
                                            "source": "scenario"})  # fmt: skip
        if inj.action is not None:
            self._world_to(t)
            try:
                events = self.world.enact(inj, t) or []
            except (ValueError, KeyError, RuntimeError) as exc:  # the play goes on; EXCON sees it
                log.warning("inject %s: threat action not enacted: %s", serial, exc)
                events = []
                self._append("world_event", {"type": "enact_failed", "objects": [],
                                             "details": {"serial": serial, "error": str(exc),
                                                         "threat": inj.action.kind}})  # fmt: skip
            else:
                self.threats_enacted.add(inj.action.kind)
            self._log_world_events(events, t)
        # evaluated teams and expected actions
        teams: list[str] = []
        for ea in inj.expected_actions:
            by = ea.by or list(inj.to)
            for tm in by:
                if self._teams.get(tm) is not None and self._teams[tm].role in _EVALUATED_ROLES:
                    st.expected.append(ExpectedState(ea, tm, t + seconds(ea.deadline)))
                    if tm not in teams:
                        teams.append(tm)
        if not teams and inj.evaluation:
            teams = [tm for tm in inj.to if tm in self._teams and
                     self._teams[tm].role in _EVALUATED_ROLES]  # fmt: skip
        st.teams = teams
        for dl in sorted({x.deadline for x in st.expected}):
            self.queue.push(dl, Priority.DEADLINE, "deadline", serial=serial)
        for i, c in enumerate(inj.contingency):
            self.queue.push(t + seconds(c.after), Priority.DEADLINE, "contingency",
                            serial=serial, index=i)  # fmt: skip
        for child, tr in self._children.get(serial, []):
            if tr.on == "released":
                self.queue.push(t + seconds(tr.delay), Priority.RELEASE, "release", serial=child,
                                reason=f"{tr.delay} after release of {serial}")  # fmt: skip
        w0 = self._window_start(st)
        if st.expected and w0 < t:  # work done before the release (see _window_start)
            for rec in [a for a in self.actions if a.status != "rejected" and a.t >= w0]:
                self._mark_one(st, rec)
        self._check_resolved(st)

    def _check_resolved(self, st: InjectState) -> None:
        if st.status != "released" or st.resolved_t is not None:
            return
        now = self.clock.now
        if all(x.done_t is not None or now >= x.deadline for x in st.expected):
            self._resolve(st)

    def _resolve(self, st: InjectState) -> None:
        t = self.clock.now
        st.resolved_t = t
        self._append("inject_resolved", {"serial": st.serial,
                                         "expected": [{"team": x.team,
                                                       "action": x.expected.action.value,
                                                       "deadline": iso(x.deadline),
                                                       "done_utc": iso(x.done_t)}
                                                      for x in st.expected]})  # fmt: skip
        for child, tr in self._children.get(st.serial, []):
            if tr.on == "resolved":
                self.queue.push(t + seconds(tr.delay), Priority.RELEASE, "release", serial=child,
                                reason=f"{tr.delay} after resolution of {st.serial}")  # fmt: skip
        if st.teams and (st.inject.evaluation or st.expected):
            # the evaluation window closes at the last deadline (a fast team is not judged
            # before the physics of its actions had time to play out), and at least
            # ``evaluation_settle_s`` after the resolution (burn executed, tracks formed)
            settle = seconds(self.evaluation_settle_s) if any(
                c.method == "automatic" for c in st.inject.evaluation) else seconds(0)  # fmt: skip
            t_eval = max([t + settle] + [x.deadline for x in st.expected])
            self.queue.push(min(t_eval, self.endex), Priority.EVALUATE, "evaluate",
                            serial=st.serial)  # fmt: skip
        else:
            st.evaluated = True

    def _fire_contingency(self, st: InjectState, idx: int, reason: str) -> None:
        c = st.inject.contingency[idx]
        st.contingencies_fired.add(idx)
        if c.fire is not None:
            serial = c.fire
        else:
            ci = c.inject
            serial = ci.serial or f"{st.serial}/C{idx + 1}"
            payload = ci.payload or Payload(text=ci.text)
            if ci.payload is not None and ci.text and not ci.payload.text:
                payload = Payload(text=ci.text, data=ci.payload.data)
            inj = Inject.model_construct(
                serial=serial, title=ci.title or f"Contingency: {c.if_missing.value} missing",
                at=None, trigger=None, from_=ci.from_, to=list(ci.to), method=ci.method,
                payload=payload, ground_truth=None, action=ci.action, expected_actions=[],
                objectives=[], critical_tasks=[], evaluation=[], contingency=[],
                controller=None, status="planned", notes=None,
            )  # fmt: skip
            if serial not in self.injects:
                self.injects[serial] = InjectState(inj, parent=st.serial)
        self._append("contingency_fired", {"serial": serial, "parent": st.serial,
                                           "missing_action": c.if_missing.value,
                                           "reason": reason})  # fmt: skip
        self._release(serial, f"contingency of {st.serial}")

    # ------------------------------------------------------------------ actions
    def submit_action(self, team_id: str, user: str, action: dict) -> ActionResult:
        """Submit a player action (validated, logged, applied; see :mod:`actions`)."""
        with self._lock:
            if self.finished:
                return ActionResult(False, ["the exercise has ended (ENDEX)"], None)
            r = self._submit(team_id, user, action)
            self._drain_autopilots()
            self._flush()
            return r

    def _submit(self, team_id: str, user: str, action: dict) -> ActionResult:
        now = self.clock.now
        act, errors = validate_action(self.scenario, team_id, action, now, self.uplink_delay_s)
        if not errors and act.get("kind") == "maneuver" and to_dt64(act["epoch_utc"]) > self.endex:
            # it would never execute yet hold the team's delta-v until ENDEX
            errors = [f"maneuver.epoch_utc: {iso(to_dt64(act['epoch_utc']))} is after ENDEX "
                      f"({iso(self.endex)})"]  # fmt: skip
        shown = jsonable(act if not errors else action)
        seq = self._append("action_submitted", {"team": team_id, "user": user, "action": shown},
                           team=team_id, visible_to=[team_id])  # fmt: skip
        if not errors and act.get("kind") == "maneuver":
            errors = self._budget_errors(team_id, act)
        if errors:
            self._append("action_rejected", {"team": team_id, "user": user, "action": shown,
                                             "errors": errors, "submitted_seq": seq},
                         team=team_id, visible_to=[team_id])  # fmt: skip
            return ActionResult(False, errors, seq)
        act = jsonable(act)
        kind = act["kind"]
        rec = ActionRecord(seq, now, team_id, user, act)
        rec.evidence = self._derive(self._truth_action(team_id, act), team_id)
        # the world acts on truth ids: names the team does not hold match nothing
        wact = dict(act)
        for key in ("objects",):
            if isinstance(act.get(key), list):
                wact[key] = [x for x in rec.evidence.get(key, []) if x is not None]
        if kind in DELAYED_KINDS:
            t_exec = to_dt64(act["epoch_utc"]) if kind == "maneuver" else (
                now + seconds(self.uplink_delay_s))  # fmt: skip
            self.actions.append(rec)
            self.queue.push(t_exec, Priority.INPUT, "exec_action", index=len(self.actions) - 1)
        elif kind in PHYSICAL_KINDS and not self._to_white(act):
            self._world_to(now)
            ok, errs, events = self._world_apply(team_id, wact, now)
            self._log_world_events(events, now)
            if not ok:
                self._append("action_rejected", {"team": team_id, "user": user, "action": act,
                                                 "errors": errs, "submitted_seq": seq},
                             team=team_id, visible_to=[team_id])  # fmt: skip
                return ActionResult(False, list(errs), seq)
            rec.status = "applied"
            self.actions.append(rec)
            self._append("action_applied", {"team": team_id, "action": act,
                                            "effects": self._effects(events),
                                            "submitted_seq": seq},
                         team=team_id, visible_to=[team_id])  # fmt: skip
            self._send_messages(team_id, act)
        else:
            rec.status = "applied"
            self.actions.append(rec)
            self._append("action_applied", {"team": team_id, "action": act, "effects": {},
                                            "submitted_seq": seq},
                         team=team_id, visible_to=[team_id])  # fmt: skip
            self._send_messages(team_id, act)
        self._append(
            "action_evidence", {"team": team_id, "submitted_seq": seq, "evidence": rec.evidence}
        )  # white only
        self._mark_expected(rec)
        return ActionResult(True, [], seq)

    def cancel_action(self, team_id: str, user: str, seq: int) -> ActionResult:
        """Cancel a pending action of ``team_id`` (accepted, not executed yet: a burn or a
        relocation waiting for its epoch) by its ``action_submitted`` seq; its delta-v is
        no longer committed.  Logged as an input, so a reopened run replays it."""
        with self._lock:
            if self.finished:
                return ActionResult(False, ["the exercise has ended (ENDEX)"], None)
            r = self._cancel(team_id, user, seq)
            self._flush()
            return r

    def _cancel(self, team_id: str, user: str, seq: int) -> ActionResult:
        rec = next((a for a in self.actions if a.seq == seq and a.team == team_id), None)
        if rec is None:
            return ActionResult(False, [f"cancel: team {team_id!r} has no action #{seq}"], None)
        if rec.status != "accepted":
            return ActionResult(False, [f"cancel: action #{seq} is {rec.status}; only pending "
                                        f"actions can be cancelled"], None)  # fmt: skip
        rec.status = "cancelled"
        s = self._append("action_cancelled", {"team": team_id, "user": user,
                                              "submitted_seq": seq, "action": rec.action},
                         team=team_id, visible_to=[team_id])  # fmt: skip
        return ActionResult(True, [], s)

    def _budget_errors(self, team_id: str, act: dict) -> list[str]:
        """A burn beyond the asset's remaining delta-v (used + already committed) is refused
        at submission (the world checks again at execution)."""
        asset = team_assets(self.scenario, team_id).get(act["asset"])
        if asset is None or asset.delta_v_mps is None:
            return []
        try:
            used = float(self.world.functions(None)["dv_used"](act["asset"]))
        except (KeyError, ValueError):  # the asset is not in the world (yet): the world
            return []  # refuses the burn at execution, with its reason
        pending = sum(float(np.linalg.norm(a.action["dv_rtn_mps"])) for a in self.actions
                      if a.status == "accepted" and a.action.get("kind") == "maneuver"
                      and a.action.get("asset") == act["asset"])  # fmt: skip
        dv = float(np.linalg.norm(act["dv_rtn_mps"]))
        left = asset.delta_v_mps - used - pending
        if dv > left + 1e-9:
            return [f"maneuver.dv_rtn_mps: {dv:.3f} m/s exceeds the remaining delta-v of "
                    f"{act['asset']} ({left:.3f} of {asset.delta_v_mps:g} m/s; used "
                    f"{used:.3f}, committed {pending:.3f})"]  # fmt: skip
        return []

    def _to_white(self, act: dict) -> bool:
        """A share addressed to EXCON (which plays every outside organization, e.g. the
        screening provider) needs no sharing agreement."""
        to = act.get("to_team")
        return to in self._teams and self._teams[to].role == "white"

    def _send_messages(self, team: str, act: dict) -> None:
        """A notification, coordination, report or share addressed to other teams reaches
        them as a message (its words only; shared products arrive through the picture
        after the agreement's delay)."""
        to: list[str] = []
        for key in ("to_team", "to"):
            v = act.get(key)
            for x in [v] if isinstance(v, str) else (v or []):
                if x in self._teams and x != team and x not in to:
                    to.append(x)
        for x in to:
            if self._teams[x].role == "white":
                continue  # EXCON sees every action already
            text = act.get("text")
            if act.get("kind") in ("share", "data_share"):
                text = (f"{self.scenario.exercise.marking}. {team} is sending "
                        f"{', '.join(map(str, act.get('products') or []))} under the sharing "
                        "agreement.")  # fmt: skip
            self._msg_n[x] = self._msg_n.get(x, 0) + 1
            self._append("message", {"msg_id": f"MSG-{self._msg_n[x]:04d}",
                                     "from": team, "method": "team", "kind": act.get("kind"),
                                     "text": str(text or "")[:4000], "data": []},
                         team=x, visible_to=[x])  # fmt: skip

    def _deliver_message(self, inj: Inject, text: str | None) -> None:
        """What a released inject tells its recipient teams: its words and data, never its
        serial, title, trigger, threat, expected actions or ground truth.  A sensor-feed
        inject tells nothing (only the team's own sensors can see the event)."""
        if inj.method == "sensor-feed":
            return
        for tm in inj.to:
            team = self._teams.get(tm)
            if team is None or team.role == "white":
                continue
            self._msg_n[tm] = self._msg_n.get(tm, 0) + 1
            data = [{"kind": d.kind, "objects": list(d.objects)} for d in inj.payload.data]
            msg = {"msg_id": f"MSG-{self._msg_n[tm]:04d}", "from": inj.from_ or "EXCON",
                   "method": inj.method, "text": text or "", "data": data}  # fmt: skip
            if inj.method == "order" and team.role == "red":
                msg["title"] = inj.title  # a red cell's own orders
            self._append("message", msg, team=tm, visible_to=[tm])

    def _truth_action(self, team: str, act: dict) -> dict:
        """``act`` with the names the team used resolved to truth ids through its own
        correlation (``None`` where it holds no such object)."""
        res = getattr(self.pictures, "resolve", None)

        def r(name: Any) -> str | None:
            if not isinstance(name, str):
                return None
            if res is None:
                return name if name in team_assets(self.scenario, team) else None
            return res(team, name)

        out = dict(act)
        if isinstance(act.get("objects"), list):
            out["objects"] = [r(x) for x in act["objects"]]
        if isinstance(act.get("object"), str):
            out["object"] = r(act["object"])
        if isinstance(act.get("parent"), str):
            out["parent"] = r(act["parent"])
        return out

    def _world_apply(self, team: str, act: dict, t: np.datetime64) -> tuple[bool, list, list]:
        try:
            res = self.world.apply(team, act, t)
        except (ValueError, KeyError) as exc:
            return False, [str(exc)], []
        ok, errs, events = res
        return bool(ok), list(errs or []), list(events or [])

    @staticmethod
    def _effects(events: list) -> dict:
        eff = []
        for ev in events:
            eff.append({"type": getattr(ev, "kind", None), "objects": list(getattr(ev, "objects", []) or []),
                        "details": jsonable(getattr(ev, "details", {}) or {})})  # fmt: skip
        return {"world_events": eff} if eff else {}

    def _derive(self, act: dict, team: str | None = None) -> dict:
        """Measured quality against truth, for the rules (never shown to the team):

        * ``reentry_prediction``: ``window_s``, ``epoch_error_s`` (most likely - true),
          ``window_contains_truth``;
        * ``assessment`` of a conjunction stating ``tca_utc`` (and ``miss_m``, ``pc``):
          ``tca_error_s``, ``miss_error_m`` against the true closest approach within 1 h
          of the stated TCA, ``pc_factor`` = max(Pc/Pc_true, Pc_true/Pc) with the truth
          scope's Pc;
        * ``catalog_update``: ``orbit_error_km``, the largest distance between the team's
          prediction of a catalogued object and truth now."""
        try:
            self._measure(act, team)
        except (LookupError, ValueError, TypeError, ArithmeticError) as exc:
            act["measure_error"] = str(exc)  # stated, never a silent default
        if act.get("kind") == "reentry_prediction":
            ws, we, ml = (to_dt64(act[k]) for k in ("window_start", "window_end", "most_likely"))
            act["window_s"] = float((we - ws) / np.timedelta64(1, "s"))
            truth = self._reentry_truth(act["object"]) if act.get("object") else None
            if truth is not None:
                act["epoch_error_s"] = float((ml - truth) / np.timedelta64(1, "s"))
                act["window_contains_truth"] = bool(ws <= truth <= we)
        if act.get("kind") == "breakup_attribution":
            self._attribution_truth(act)
        return act

    def _attribution_truth(self, act: dict) -> None:
        """``epoch_error_s`` (attributed - true epoch) and ``parent_correct`` against the
        logged break-up nearest to the attributed epoch (none yet: fields left out)."""
        if not self._breakup_truth:
            return
        ep = to_dt64(act["epoch_utc"])
        t, parent = min(
            self._breakup_truth, key=lambda b: abs((b[0] - ep) / np.timedelta64(1, "s"))
        )
        act["epoch_error_s"] = float((ep - t) / np.timedelta64(1, "s"))
        act["parent_correct"] = act.get("parent") == parent

    def _measure(self, act: dict, team: str | None) -> None:
        from spacerange.exercise.rulefuncs import _closest, _grid

        kind = act.get("kind")
        objs = [o for o in act.get("objects") or [] if o is not None]
        now = self.clock.now
        if kind == "assessment" and category(act.get("threat")) == "conjunction" and \
                len(objs) >= 2 and act.get("tca_utc"):  # fmt: skip
            tca = to_dt64(act["tca_utc"])
            self._world_to(now)

            def fn(oid: str, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                return self.world.state_of(oid, ts)

            t_true, miss_km, _ = _closest(fn, objs[0], objs[1],
                                          _grid(tca - seconds(3600), tca + seconds(3600), 10.0))  # fmt: skip
            act["tca_error_s"] = float((tca - t_true) / np.timedelta64(1, "s"))
            if isinstance(act.get("miss_m"), int | float):
                act["miss_error_m"] = float(act["miss_m"]) - miss_km * 1e3
            if isinstance(act.get("pc"), int | float) and act["pc"] > 0:
                pc_true = float(self._functions(None, None)["pc"](objs[0], objs[1]))
                if pc_true > 0:
                    act["pc_factor"] = max(act["pc"] / pc_true, pc_true / act["pc"])
        elif kind == "catalog_update" and team is not None and objs:
            pics = self.pictures
            ts = np.asarray([now], dtype="datetime64[us]")
            errs = []
            for o in objs:
                r_est, _ = pics.predict(team, o, ts)
                r_true, _ = self.world.state_of(o, ts)
                errs.append(float(np.linalg.norm(np.reshape(r_est, 3) - np.reshape(r_true, 3))))
            act["orbit_error_km"] = max(errs)

    def _reentry_truth(self, obj: str) -> np.datetime64 | None:
        for st in self.injects.values():
            a = st.inject.action
            if isinstance(a, UncontrolledReentry) and a.object == obj:
                return to_dt64(self.scenario.time_of(a.expected_reentry))
        return None

    def _threat_of(self, st: InjectState, depth: int = 0) -> tuple[Any, InjectState | None]:
        """(threat action, inject state holding it) behind an inject: its own, its trigger
        or contingency parent's, or the first of its main event (EXCON-side only)."""
        inj = st.inject
        if inj.action is not None and inj.action.kind not in ("media", "diplomatic_note"):
            return inj.action, st
        if depth < 5:
            parents = [inj.trigger.after] if isinstance(inj.trigger, AfterTrigger) else []
            parents += [st.parent] if st.parent else []
            for p in parents:
                if p in self.injects:
                    a, s_ = self._threat_of(self.injects[p], depth + 1)
                    if a is not None:
                        return a, s_
        base = st.parent or inj.serial
        for ev in self.scenario.events:
            incs = [i for inc in ev.incidents for i in inc.injects]
            if any(i.serial == base for i in incs):
                for i in incs:
                    if i.action is not None and i.action.kind not in ("media", "diplomatic_note"):
                        return i.action, self.injects.get(i.serial)
        return None, None

    def _window_start(self, st: InjectState) -> np.datetime64:
        """Actions count from the release, or from the moment the threat behind the inject
        exists in truth when that is earlier: for a sensor-feed inject (which tells the
        team nothing) the enactment of the threat; for a threat built from initial
        conditions (a scripted encounter) the instant it was set up.  A team whose own
        picture caught the threat before the inject was released has done the work."""
        _, ts = self._threat_of(st)
        start = st.release_t
        if st.inject.method == "sensor-feed" and ts is not None and ts.release_t is not None:
            start = min(start, ts.release_t)
        onset_fn = getattr(self.world, "threat_onset_utc", None)
        onset = onset_fn(ts.serial if ts is not None else st.inject.serial) if onset_fn else None
        if onset is not None:
            start = min(start, onset)
        return start

    def _match_ctx(self, st: InjectState, team: str) -> MatchContext:
        res = getattr(self.pictures, "resolve", None)
        own = set(team_assets(self.scenario, team))
        action, ts = self._threat_of(st)
        cat = category(action.kind) if action is not None else None
        new: set[str] = set()
        if ts is not None:
            objs = getattr(self.world, "objects", []) or []
            frs = getattr(self.world, "fragment_sets", []) or []
            key = (ts.serial, len(objs), len(frs))
            cache = self.__dict__.setdefault("_new_cache", {})
            if key not in cache:
                for o in objs:
                    if getattr(o, "origin", None) == ts.serial:
                        new.add(o.id)
                for fs in frs:
                    if fs.get("serial") == ts.serial:
                        new |= set(fs.get("ids", []))
                cache[key] = new
            new = cache[key]

        def resolve(name: Any, _t=team) -> str | None:
            if not isinstance(name, str):
                return None
            if res is None:
                return name if name in own else None
            return res(_t, name)

        return MatchContext(resolve, own, cat, new)

    def _fulfils(self, x: ExpectedState, rec: ActionRecord, ctx: MatchContext) -> tuple[bool, str]:
        if not satisfies(x.expected, rec.action):
            return False, "other kind"
        return check(x.expected, rec.action, ctx)

    def _mark_expected(self, rec: ActionRecord) -> None:
        for st in self.injects.values():
            if st.status != "released" or st.release_t is None:
                continue
            if rec.t < self._window_start(st):
                continue
            self._mark_one(st, rec)

    def _mark_one(self, st: InjectState, rec: ActionRecord) -> None:
        touched = False
        ctx = None
        for x in st.expected:
            if x.team == rec.team and x.done_t is None and satisfies(x.expected, rec.action):
                ctx = ctx or self._match_ctx(st, rec.team)
                ok, note = self._fulfils(x, rec, ctx)
                if ok:
                    x.done_t = max(rec.t, st.release_t)
                    x.done_seq = rec.seq
                    x.evidence = note
                    touched = True
        if touched:
            self._check_resolved(st)

    # ------------------------------------------------------------------ adjudication
    def _team_actions(self, team: str, since: np.datetime64 | None) -> list[ActionRecord]:
        return [a for a in self.actions if a.team == team and a.status != "rejected"
                and (since is None or a.t >= since)]  # fmt: skip

    def _evaluate(self, st: InjectState) -> None:
        if st.evaluated:
            return
        st.evaluated = True
        now = self.clock.now
        self._world_to(now)
        w0 = self._window_start(st)
        generic = ExpectedAction.model_construct(action=None, objects=[], threat=None)
        for team in st.teams:
            all_acts = self._team_actions(team, w0)
            ctx = self._match_ctx(st, team)
            mine = [x for x in st.expected if x.team == team]
            expected_kinds = {x.expected.action.value for x in mine}

            def valid(a: ActionRecord, _m=mine, _c=ctx, _k=expected_kinds, _g=generic) -> bool:
                if a.pkind in _k:
                    return any(self._fulfils(x, a, _c)[0] for x in _m
                               if x.expected.action.value == a.pkind)  # fmt: skip
                return check(_g, a.action, _c)[0]

            acts = [a for a in all_acts if valid(a)]  # content-free actions count for nothing
            names: dict[str, Any] = {k.value: None for k in PlayerAction}
            credit: dict[int, set[str]] = {a.seq: {a.pkind} for a in acts}
            for a in acts:
                names[a.pkind] = a.evidence or a.action
            by_seq = {a.seq: a for a in all_acts}
            for x in reversed(mine):  # the action that fulfilled an expected one speaks for it
                a = by_seq.get(x.done_seq) if x.done_seq is not None else None
                if a is not None:
                    names[x.expected.action.value] = a.evidence or a.action
                    credit.setdefault(a.seq, {a.pkind}).add(x.expected.action.value)
                    if a not in acts:
                        acts.append(a)
            names["now"] = self._now_s()
            names["team"] = team

            def lat(kind: str, _acts=acts, _c=credit) -> float:
                ts = [a.t for a in _acts if kind in _c[a.seq]]
                if not ts:
                    return math.inf
                return max(0.0, float((min(ts) - st.release_t) / np.timedelta64(1, "s")))

            first = st.inject.expected_actions[0].action.value if st.inject.expected_actions \
                else None  # fmt: skip
            names["latency"] = lat(first) if first else math.inf
            funcs = self._functions(team, st.release_t)
            funcs["latency"] = lat
            funcs["submitted"] = lambda kind, _a=acts, _c=credit: any(kind in _c[a.seq] for a in _a)
            funcs["count"] = lambda kind, _a=acts, _c=credit: sum(kind in _c[a.seq] for a in _a)
            if "tracked" not in funcs:
                funcs["tracked"] = lambda obj, _t=team: self._tracked(_t, obj)
            completion = []
            for x in mine:
                if x.done_t is not None and x.done_t <= x.deadline:
                    state = "on_time"
                elif x.done_t is not None:
                    state = "late"
                else:
                    late = [a for a in all_acts if self._fulfils(x, a, ctx)[0]]
                    state = "late" if late else "missing"
                    if not late:
                        tried = [self._fulfils(x, a, ctx)[1] for a in all_acts
                                 if a.pkind == x.expected.action.value]  # fmt: skip
                        x.evidence = (f"{len(tried)} submitted, none acceptable: {tried[-1]}"
                                      if tried else "nothing submitted")  # fmt: skip
                done = (f" at {iso(x.done_t)} (seq {x.done_seq})"
                        if x.done_t is not None else "")  # fmt: skip
                completion.append((x.expected.action.value, state,
                                   f"{x.evidence or ''}{done}".strip()))  # fmt: skip
            performed = set().union(*credit.values()) if credit else set()
            recs = self.adjudicator.auto_ratings(st.inject, team, names, funcs, completion,
                                                 iso(now), performed)  # fmt: skip
            for r in recs:
                self._append("rating", r.payload(), team=team, visible_to=WHITE)

    def _tracked(self, team: str, obj: str) -> bool:
        try:
            view = self.pictures.view(team) or {}
        except Exception as exc:  # noqa: BLE001 - any picture failure: the rule is not evaluable
            # not "untracked": a rule over tracked() is then unsatisfied, with this reason
            raise ValueError(
                f"tracked({obj}): team {team}'s picture cannot be read: {exc}"
            ) from exc
        for item in view.get("picture", []) or []:
            if item.get("id") == obj or item.get("name") == obj:
                return True
        return False

    def rate(self, team: str, objective: str, rating: str, note: str | None = None,
             author: str = "evaluator", critical_task: str | None = None, *,
             serial: str | None = None, observed_utc: str | None = None) -> RatingRecord:  # fmt: skip
        """An evaluator's rating of ``team`` on ``objective`` (overrides automatic ones),
        optionally of one ``critical_task``, tied to the inject ``serial`` it answers and
        the scenario time ``observed_utc`` of the behaviour rated."""
        with self._lock:
            if team not in self._teams:
                raise ValueError(f"team: unknown team {team!r}")
            if serial is not None and serial not in self.injects:
                raise KeyError(f"unknown inject serial {serial!r}")
            rec = self.adjudicator.rate(team, objective, rating, note, author, critical_task,
                                        iso(self.clock.now))  # fmt: skip
            rec.serial = serial
            payload = rec.payload()
            if observed_utc is not None:
                payload["observed_utc"] = observed_utc
            self._append("rating", payload, team=team, visible_to=WHITE)
            self._flush()
            return rec

    def add_note(self, text: str, author: str, team: str | None = None, *,
                 serial: str | None = None, observed_utc: str | None = None) -> None:  # fmt: skip
        with self._lock:
            if serial is not None and serial not in self.injects:
                raise KeyError(f"unknown inject serial {serial!r}")
            payload = {"text": text, "author": author, "source": "evaluator"}
            if team is not None:
                payload["team"] = team
            for k, v in (("serial", serial), ("observed_utc", observed_utc)):
                if v is not None:
                    payload[k] = v
            self._append("evaluator_note", payload, team=team, visible_to=WHITE)
            self._flush()

    # ------------------------------------------------------------------ EXCON
    def release_inject(self, serial: str) -> None:
        """Release a planned inject now."""
        self._excon_cmd("release", {"serial": serial})

    def skip_inject(self, serial: str) -> None:
        """Skip a planned inject (it will not be released)."""
        self._excon_cmd("skip", {"serial": serial})

    def fire_contingency(self, serial: str, index: int = 0) -> None:
        """Fire contingency ``index`` of a released inject now."""
        self._excon_cmd("fire_contingency", {"serial": serial, "index": index})

    def retime_inject(self, serial: str, at_utc: Any) -> None:
        """Move the release of a planned inject to ``at_utc`` (after now, before ENDEX);
        the scheduled release and any release waiting on another inject are superseded (a
        trigger condition still armed may release it earlier)."""
        with self._lock:
            st = self.injects.get(serial)
            if st is None:
                raise KeyError(f"unknown inject serial {serial!r}")
            if st.status != "planned":
                raise ValueError(f"inject {serial} is {st.status}: only planned injects move")
            t = to_dt64(at_utc)
            if not self.clock.now < t < self.endex:
                raise ValueError(f"at_utc: {iso(t)} is not between now ({iso(self.clock.now)}) "
                                 f"and ENDEX ({iso(self.endex)})")  # fmt: skip
            self._excon("retime", {"serial": serial, "at_utc": iso(t)})
            self._flush()

    def _drop_releases(self, serial: str) -> None:
        """Cancel the queued releases of ``serial`` (so "next event" does not stop there)."""
        for e in self.queue.pending(len(self.queue)):
            if e.kind == "release" and e.data.get("serial") == serial:
                e.cancelled = True

    def check_adhoc_inject(self, inject: dict) -> tuple[Inject | None, list[str]]:
        """Validate an inject written during play with the scenario validator, as if it
        were one more inject of the scenario file: ``(inject, [])`` or ``(None, errors)``.
        An ad-hoc inject is released at its ``at`` time (``None``: now) and its serial must
        be new."""
        import yaml

        from spacerange.exercise.validate import validate_text

        d = dict(inject)
        d.setdefault("at", iso(self.clock.now))
        if d.get("trigger") is not None:
            return None, [
                "trigger: an ad-hoc inject is released at a time ('at'), not on a trigger"
            ]
        if d.get("serial") in self.injects:
            return None, [f"serial: {d.get('serial')!r} is already an inject of this run"]
        data = yaml.safe_load((self.run_dir / "scenario.yaml").read_text(encoding="utf-8"))
        data.setdefault("events", []).append({
            "id": "EXCON-ADHOC", "title": "Ad-hoc injects (EXCON)",
            "incidents": [{"id": "EXCON-ADHOC-1", "title": "Ad-hoc", "injects": [d]}]})  # fmt: skip
        where = f"events[{len(data['events']) - 1}].incidents[0].injects[0]"
        model, issues = validate_text(yaml.safe_dump(data, sort_keys=False), "ad-hoc inject",
                                      self.meta.get("base_dir") or self.run_dir)  # fmt: skip
        errors = [(f"{i.path[len(where) + 1:]}: " if i.path.startswith(where + ".") else
                   (f"{i.path}: " if i.path and not i.path.startswith(where) else ""))
                  + i.message for i in issues if i.severity == "error"]  # fmt: skip
        if model is None or errors:
            return None, errors or ["the inject does not validate"]
        inj = model.events[-1].incidents[0].injects[0]
        t = to_dt64(model.time_of(inj.at))
        if t < self.clock.now - seconds(1) or t >= self.endex:
            return None, [f"at: {iso(t)} is not between now ({iso(self.clock.now)}) and ENDEX"]
        return inj, []

    def add_inject(self, inject: dict) -> str:
        """An ad-hoc inject written by EXCON during play: validated
        (:meth:`check_adhoc_inject`; ``ValueError`` listing the errors), logged as an EXCON
        input (a reopened run replays it), released at its time.  Returns its serial."""
        with self._lock:
            inj, errors = self.check_adhoc_inject(inject)
            if inj is None:
                raise ValueError("; ".join(errors))
            args = {
                "inject": jsonable(inject),
                "at_utc": iso(to_dt64(self.scenario.time_of(inj.at))),
            }
            self._excon("adhoc", args)
            self._flush()
            return inj.serial

    def _excon_cmd(self, command: str, args: dict) -> None:
        with self._lock:
            serial = args.get("serial")
            if serial is not None and serial not in self.injects:
                raise KeyError(f"unknown inject serial {serial!r}")
            self._excon(command, args)
            self._flush()

    def _excon(self, command: str | None, args: dict) -> None:
        self._append("excon", {"command": command, "args": args})
        if command == "pause":
            self.clock.paused = True
        elif command == "resume":
            self.clock.paused = False
            self.clock.anchor()
        elif command == "speed":
            self.clock.set_speed(args.get("speed", "max"))
        elif command == "release":
            self._release(args["serial"], "EXCON")
        elif command == "skip":
            st = self.injects[args["serial"]]
            if st.status == "planned":
                st.status = "skipped"
                self._drop_releases(st.serial)
                self._append("inject_skipped", {"serial": st.serial, "reason": "EXCON"})
        elif command == "fire_contingency":
            st = self.injects[args["serial"]]
            idx = int(args.get("index", 0))
            if st.status == "released" and 0 <= idx < len(st.inject.contingency):
                self._fire_contingency(st, idx, reason="EXCON")
        elif command == "retime":
            self._retime_n += 1
            n = self._retime_n
            t = to_dt64(args["at_utc"])
            self._drop_releases(args["serial"])
            self._retimed[args["serial"]] = (n, t)
            self.queue.push(t, Priority.RELEASE, "release", serial=args["serial"],
                            reason="retimed by EXCON", retime=n)  # fmt: skip
        elif command == "adhoc":
            inj, errors = self.check_adhoc_inject(dict(args["inject"], at=args["at_utc"]))
            if inj is None:  # cannot happen for a logged input; the play goes on
                log.warning("ad-hoc inject not re-created: %s", "; ".join(errors))
                return
            self.injects[inj.serial] = InjectState(inj, origin="adhoc")
            t = to_dt64(args["at_utc"])
            if t <= self.clock.now:
                self._release(inj.serial, "EXCON (ad hoc)")
            else:
                self.queue.push(t, Priority.RELEASE, "release", serial=inj.serial,
                                reason="EXCON (ad hoc)")  # fmt: skip

    # ------------------------------------------------------------------ autopilots
    def _port(self, team: str) -> TeamPortImpl:
        from spacerange.exercise.port import TeamPortImpl

        if team not in self._ports:
            self._ports[team] = TeamPortImpl(self, team)
        return self._ports[team]

    def _drain_autopilots(self) -> None:
        """Hand each autopilot the events logged visible to its team (in order); what it
        submits may log more, handed on in the same loop."""
        n = 0
        while self._ap_pending and n < 100_000:
            team, kind, payload, t = self._ap_pending.pop(0)
            n += 1
            ap = self.autopilots.get(team)
            if ap is not None:
                port = self._port(team)
                p = jsonable(payload)
                port.record(kind, p, t)
                ap.on_event(port, kind, p)

    # ------------------------------------------------------------------ views
    def events(self, after_seq: int = 0, team: str | None = None) -> list[dict]:
        """Logged events after ``after_seq`` visible to ``team`` (``None``: white, all)."""
        self._flush()
        return self.log.events(after_seq, team)

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
        }

    def close(self) -> None:
        self.log.close()
