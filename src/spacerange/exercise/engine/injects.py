"""Injects in play: dispatch of queue entries, release on time or trigger, resolution,
contingencies, the picture and autopilot ticks, ENDEX."""

from __future__ import annotations

import json

import numpy as np

from spacerange.exercise.clock import (
    Priority,
    QueueEntry,
    iso,
    seconds,
    to_dt64,
)
from spacerange.exercise.engine.model import (
    _EVALUATED_ROLES,
    ALL,
    WHITE,
    ActionRecord,
    ExpectedState,
    InjectState,
    log,
)
from spacerange.exercise.scenario import (
    ConditionTrigger,
    Inject,
    Payload,
)


class InjectFlow:
    """Part of :class:`spacerange.exercise.engine.Exercise` (a mixin over its state)."""

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
        if not self._command_link(rec, e):  # issue 15: commands go through the link model
            return
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

    def _command_link(self, rec: ActionRecord, e: QueueEntry) -> bool:
        """Whether the command reaches the spacecraft now (the world's link model,
        :meth:`~spacerange.exercise.world.effects_rf.RfEffects.command_link`); a command
        that waits for a contact or an acknowledgement is queued again, one that is lost
        is rejected with what the operator sees."""
        link = getattr(self.world, "command_link", None)
        if link is None:
            return True
        tries = int(e.data.get("attempt", 0))
        v = link(rec.team, rec.action, e.time, tries)
        if v["status"] == "sent":
            return True
        if v["status"] == "retry" and v["retry_utc"] <= self.endex:
            if rec.action.get("kind") == "maneuver":
                rec.action["epoch_utc"] = iso(v["retry_utc"])
            self.queue.push(v["retry_utc"], Priority.INPUT, "exec_action", index=e.data["index"],
                            attempt=tries + int(v.get("count_try", True)))  # fmt: skip
            self._append("command_status", {"team": rec.team, "submitted_seq": rec.seq,
                                            "state": "pending", "note": v["reason"]},
                         team=rec.team, visible_to=[rec.team])  # fmt: skip
            return False
        rec.status = "rejected"
        self._append("action_rejected", {"team": rec.team, "user": rec.user, "action": rec.action,
                                         "errors": [v["reason"]], "submitted_seq": rec.seq},
                     team=rec.team, visible_to=[rec.team])  # fmt: skip
        return False

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
