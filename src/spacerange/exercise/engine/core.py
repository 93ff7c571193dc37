"""The exercise engine's core: creation and reopening of a run, the log, the event queue
and the clock (run, step, pause, speed, jump)."""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spacerange.exercise.adjudication import Adjudicator
from spacerange.exercise.clock import (
    EventQueue,
    ExerciseClock,
    Priority,
    Speed,
    iso,
    seconds,
    to_dt64,
)
from spacerange.exercise.engine.model import (
    ALL,
    WHITE,
    ActionRecord,
    InjectState,
    WorldFactory,
    default_world_factory,
    log,
)
from spacerange.exercise.eventlog import EventLog, jsonable
from spacerange.exercise.ports import AdjudicatorPort, PicturePort, UtcLike, WorldPort
from spacerange.exercise.scenario import (
    AfterTrigger,
    ConditionTrigger,
    Scenario,
)

if TYPE_CHECKING:  # pragma: no cover
    from spacerange.exercise.autopilot import Autopilot
    from spacerange.exercise.engine import Exercise
    from spacerange.exercise.port import TeamPortImpl


class ExerciseCore:
    """One run of a scenario.  Build with :meth:`create` or :meth:`open`."""

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
        self.adjudicator: AdjudicatorPort = Adjudicator(scenario)
        self._lock = threading.RLock()
        self.finished = False
        self.on_progress: Callable[[np.datetime64, float], None] | None = None
        self._teams = {t.id: t for t in scenario.teams}
        base_dir = Path(meta.get("base_dir") or self.run_dir)
        factory = world_factory or default_world_factory
        self.world: WorldPort
        self.pictures: PicturePort
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
        self.autopilots: dict[str, Autopilot] = {}
        self._ports: dict[str, TeamPortImpl] = {}
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

    def run(self, until_utc: UtcLike | None = None, speed: Speed | None = None) -> None:
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
