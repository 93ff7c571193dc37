"""EXCON and evaluator controls: ratings and notes, release/skip/retime of injects, ad-hoc
injects, contingencies, the autopilots' ports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spacerange.exercise.adjudication import RatingRecord
from spacerange.exercise.clock import (
    Priority,
    iso,
    seconds,
    to_dt64,
)
from spacerange.exercise.engine.model import WHITE, InjectState, log
from spacerange.exercise.eventlog import jsonable
from spacerange.exercise.ports import UtcLike
from spacerange.exercise.scenario import (
    Inject,
)

if TYPE_CHECKING:  # pragma: no cover
    from spacerange.exercise.port import TeamPortImpl


class Controls:
    """Part of :class:`spacerange.exercise.engine.Exercise` (a mixin over its state)."""

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

    def retime_inject(self, serial: str, at_utc: UtcLike) -> None:
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
