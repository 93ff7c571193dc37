"""What the report says about a run: teams, objectives, inject outcomes, findings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from spacerange.exercise.report.common import _CORRECTIVE, _ORDER, _SATISFIES, RATING_COLORS
from spacerange.exercise.report.reading import Event, RunData, _parse_utc
from spacerange.exercise.report.text import _dur, _fmt


@dataclass
class _Team:
    id: str
    name: str
    role: str
    plays: list[str]
    members: list[str]


@dataclass
class _Objective:
    id: str
    text: str
    capability: str | None
    critical_tasks: list[str]
    teams: list[str]


@dataclass
class _InjectRow:
    serial: str
    title: str
    team: str
    method: str
    status: str  # released | skipped | not released | contingency
    released: datetime | None = None
    detected: datetime | None = None
    assessed: datetime | None = None
    answered: datetime | None = None
    deadline_status: str = "n/a"  # met | missed (k of n) | n/a
    missed: list[str] = field(default_factory=list)
    ratings: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def latency(self) -> timedelta | None:
        first = [t for t in (self.assessed, self.answered) if t is not None]
        if self.released is None or not first:
            return None
        return min(first) - self.released


@dataclass
class _Finding:
    team: str
    text: str
    capability: str | None = None
    corrective: str | None = None


class _Analysis:
    """Derived facts of a run: teams, objectives, ratings, inject outcomes, findings."""

    def __init__(self, rd: RunData):
        self.rd = rd
        sc = rd.scenario
        st = rd.started
        self.name = (
            (sc.exercise.name if sc else None) or st.get("scenario_name") or rd.run.get("scenario")
        ) or "Unnamed exercise"
        self.startex = (sc.exercise.startex if sc else None) or _parse_utc(st.get("startex"))
        self.endex = (sc.exercise.endex if sc else None) or _parse_utc(st.get("endex"))
        if self.startex is None:
            self.startex = rd.events[0].t if rd.events else datetime(2000, 1, 1, tzinfo=UTC)
        if self.endex is None:
            self.endex = rd.events[-1].t if rd.events else self.startex
        self.teams = self._teams()
        self.players = [t for t in self.teams.values() if t.role in ("blue", "red")]
        self.audience = [t.id for t in self.teams.values() if t.role == "blue"]
        self.objectives = self._objectives()
        self.ct_text = {c.id: c.text for c in sc.critical_tasks} if sc else {}
        self.ratings = self._ratings()
        for team in {k[0] for k in self.ratings}:
            if team not in self.teams:
                self.teams[team] = _Team(team, team, "blue", [], [])
                self.audience.append(team)
        self.actions = self._actions()
        self.rule_serial = self._rule_serials()
        self.rows = self._inject_rows()
        self.strengths, self.afis = self._findings()

    # ----------------------------------------------------------------- scenario facts
    def _teams(self) -> dict[str, _Team]:
        sc = self.rd.scenario
        if sc is not None:
            return {
                t.id: _Team(t.id, t.name or t.id, t.role, list(t.plays), list(t.members))
                for t in sc.teams
            }
        out = {}
        for tid, info in (self.rd.started.get("teams") or {}).items():
            info = info or {}
            out[tid] = _Team(tid, tid, str(info.get("role", "blue")), info.get("plays", []), [])
        return out

    def _objectives(self) -> list[_Objective]:
        sc = self.rd.scenario
        if sc is not None:
            return [
                _Objective(o.id, o.text, o.capability, list(o.critical_tasks), list(o.teams))
                for o in sc.objectives
            ]
        out = []
        for o in self.rd.started.get("objectives") or []:
            if isinstance(o, dict) and "id" in o:
                out.append(
                    _Objective(
                        str(o["id"]),
                        str(o.get("text", "")),
                        o.get("capability"),
                        list(o.get("critical_tasks") or []),
                        list(o.get("teams") or []),
                    )
                )
        return out

    def _ratings(self) -> dict[tuple[str, str, str | None], dict[str, Any]]:
        """Rating per (team, objective, critical task or None).  An evaluator's rating
        overrides automatic ones whatever the order (the latest evaluator rating wins);
        among automatic ratings of a task observed several times the worst is kept."""
        out: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        for e in self.rd.of("rating"):
            p = e.payload
            r = str(p.get("rating", "")).upper()
            if r not in RATING_COLORS or not p.get("team"):
                continue
            ct = p.get("critical_task")
            # a critical task is rated once per team, whatever objective it was filed under
            key = (str(p["team"]), "*" if ct else str(p.get("objective") or "?"), ct)
            prev = out.get(key)
            src = p.get("source", "auto")
            if prev is not None:
                if prev["source"] == "evaluator" and src != "evaluator":
                    continue
                if (
                    prev["source"] != "evaluator"
                    and src != "evaluator"
                    and _ORDER.index(prev["rating"]) > _ORDER.index(r)
                ):
                    continue
            out[key] = {
                "rating": r,
                "source": p.get("source", "auto"),
                "note": p.get("note") or "",
                "rule": p.get("rule") or "",
                "objective": p.get("objective"),
                "serial": p.get("serial"),
                "t": e.t,
            }
        return out

    def ct_rating(self, team: str, obj: str, ct: str) -> dict[str, Any] | None:
        return self.ratings.get((team, "*", ct))

    def obj_rating(self, team: str, obj: _Objective) -> tuple[str | None, bool]:
        """(rating, derived): the explicit objective rating, else the worst of its critical
        tasks (derived=True)."""
        r = self.ratings.get((team, obj.id, None))
        if r:
            return r["rating"], False
        cts = [self.ct_rating(team, obj.id, c) for c in obj.critical_tasks]
        cts = [c["rating"] for c in cts if c]
        if not cts:
            return None, False
        return max(cts, key=_ORDER.index), True

    def _actions(self) -> dict[str, list[Event]]:
        out: dict[str, list[Event]] = defaultdict(list)
        for e in self.rd.of("action_applied"):
            team = e.payload.get("team") or e.team
            if team:
                out[str(team)].append(e)
        return out

    def _rule_serials(self) -> dict[str, str]:
        sc = self.rd.scenario
        out: dict[str, str] = {}
        if sc is not None:
            for _, _, inj in sc.iter_injects():
                for c in inj.evaluation:
                    if c.rule:
                        out.setdefault(c.rule, inj.serial)
        return out

    # ----------------------------------------------------------------- injects
    def _first_action(
        self,
        team: str,
        kinds: set[str],
        after: datetime,
        serial: str | None = None,
        window: timedelta | None = None,
    ) -> datetime | None:
        """First applied action of ``team`` of one of ``kinds`` at/after ``after``.  An
        action naming this inject's ``serial`` always counts; one naming another serial
        never does; one naming none counts only within ``window`` after ``after`` (no
        window: never)."""
        for e in self.actions.get(team, []):
            a = e.payload.get("action") or {}
            if e.t < after or a.get("kind") not in kinds:
                continue
            tagged = a.get("serial")
            if tagged:
                if serial is None or tagged == serial:
                    return e.t
                continue
            if window is not None and e.t <= after + window:
                return e.t
        return None

    def _inject_rows(self) -> list[_InjectRow]:
        rd = self.rd
        sc = rd.scenario
        released: dict[str, Event] = {}
        for e in rd.of("inject_released"):
            released.setdefault(str(e.payload.get("serial")), e)
        skipped = {str(e.payload.get("serial")): e for e in rd.of("inject_skipped")}
        contingency = {str(e.payload.get("serial")): e for e in rd.of("contingency_fired")}
        detected: dict[tuple[str, str], datetime] = {}
        for e in rd.of("detection"):
            key = (str(e.payload.get("serial")), str(e.payload.get("team") or e.team))
            t = _parse_utc(e.payload.get("first_seen_utc")) or e.t
            detected[key] = min(t, detected.get(key, t))
        ratings_by_serial: dict[tuple[str, str], list[str]] = defaultdict(list)
        for (team, _obj, ct), r in self.ratings.items():
            ser = r["serial"] or self.rule_serial.get(r["rule"])
            if ser:
                ratings_by_serial[(ser, team)].append(f"{ct or _obj}: {r['rating']}")

        planned: list[tuple[str, str, list[str], str, Any]] = []
        if sc is not None:
            for _, _, inj in sc.iter_injects():
                planned.append((inj.serial, inj.title, list(inj.to), inj.method, inj))
        seen = {p[0] for p in planned}
        for ser, e in released.items():  # contingency and unplanned injects
            if ser not in seen:
                p = e.payload
                planned.append(
                    (
                        ser,
                        str(p.get("title", "")),
                        list(p.get("to") or []),
                        str(p.get("method")),
                        None,
                    )
                )
                seen.add(ser)
        rows: list[_InjectRow] = []
        for ser, title, to, method, inj in planned:
            ev = released.get(ser)
            if ev is not None:
                status = "contingency" if ser in contingency else "released"
            elif ser in skipped:
                status = "skipped"
            else:
                status = "not released"
            recips = [t for t in to if t in self.teams and self.teams[t].role in ("blue", "red")]
            if not recips:
                recips = to[:1] or ["excon"]
            for team in recips:
                row = _InjectRow(ser, title, team, method, status)
                if status == "skipped":
                    row.note = str(skipped[ser].payload.get("reason") or "")
                if ser in contingency:
                    c = contingency[ser].payload
                    row.note = (
                        f"contingency of {c.get('parent')}: missing {c.get('missing_action')}"
                    )
                if ev is not None:
                    row.released = ev.t
                    row.detected = detected.get((ser, team))
                    expected = list(inj.expected_actions) if inj is not None else []
                    window = 2 * max((x.deadline for x in expected), default=timedelta(0))
                    window = window if expected else None
                    exp_kinds = {x.action.value for x in expected}
                    row.assessed = self._first_action(
                        team,
                        {"assessment"},
                        ev.t,
                        ser,
                        window if "assessment" in exp_kinds else None,
                    )
                    answer_kinds: set[str] = set()
                    for x in expected:
                        if x.action.value != "assessment":
                            answer_kinds |= _SATISFIES.get(x.action.value, {x.action.value})
                    answer_kinds.discard("assessment")
                    if answer_kinds:
                        row.answered = self._first_action(team, answer_kinds, ev.t, ser, window)
                    n_due = 0
                    for x in expected:
                        by = list(x.by) or list(to)
                        if team not in by:
                            continue
                        n_due += 1
                        kinds = _SATISFIES.get(x.action.value, {x.action.value})
                        t_done = self._first_action(team, kinds, ev.t, ser, window)
                        due = ev.t + x.deadline
                        if due > self.endex and t_done is None:
                            continue  # deadline after ENDEX: not judged
                        if t_done is None or t_done > due:
                            late = "not done" if t_done is None else f"late by {_dur(t_done - due)}"
                            row.missed.append(f"{x.action.value} ({late}; due {_dur(x.deadline)})")
                    if n_due:
                        row.deadline_status = (
                            "met" if not row.missed else f"missed {len(row.missed)}/{n_due}"
                        )
                    row.ratings = ratings_by_serial.get((ser, team), [])
                rows.append(row)
        rows.sort(
            key=lambda r: (
                r.released or r.status != "skipped" and self.endex or self.endex,
                r.serial,
                r.team,
            )
        )
        return rows

    # ----------------------------------------------------------------- findings
    def _findings(self) -> tuple[list[_Finding], list[_Finding]]:
        strengths: list[_Finding] = []
        afis: list[_Finding] = []
        cap_of_ct = {}
        for o in self.objectives:
            for c in o.critical_tasks:
                cap_of_ct.setdefault(c, o.capability or o.text)
        for (team, obj, ct), r in sorted(self.ratings.items(), key=lambda kv: str(kv[0])):
            label = ct or obj
            text = self.ct_text.get(label) or next(
                (o.text for o in self.objectives if o.id == label), ""
            )
            note = f" Observation: {r['note']}" if r["note"] else ""
            cap = (
                cap_of_ct.get(ct)
                if ct
                else next((o.capability for o in self.objectives if o.id == obj), None)
            )
            if ct is None and r["source"] != "evaluator":
                continue  # derived objective ratings repeat their critical tasks
            if r["rating"] == "P":
                strengths.append(
                    _Finding(team, f"{label} ({text}) performed without challenges.{note}", cap)
                )
            elif r["rating"] in "MU":
                word = "with major challenges" if r["rating"] == "M" else "not performed"
                afis.append(
                    _Finding(
                        team,
                        f"{label} ({text}) {word} (rated {r['rating']}, {r['source']}).{note}",
                        cap,
                        "Review the task in a focused drill; update the procedure and re-train"
                        " the watch team",
                    )
                )
        for row in self.rows:
            for m in row.missed:
                kind = m.split(" ", 1)[0]
                afis.append(
                    _Finding(
                        row.team,
                        f"Missed deadline on {row.serial} \u201c{row.title}\u201d: {m}.",
                        None,
                        _CORRECTIVE.get(kind, "Review the expected action and its deadline"),
                    )
                )
            if row.deadline_status == "met" and row.latency is not None:
                strengths.append(
                    _Finding(
                        row.team,
                        f"All expected actions on {row.serial} \u201c{row.title}\u201d within their"
                        f" deadlines (first response after {_dur(row.latency)}).",
                    )
                )
        for e in self.rd.of("action_rejected"):
            p = e.payload
            a = p.get("action") or {}
            errs = "; ".join(str(x) for x in p.get("errors") or []) or "no reason given"
            afis.append(
                _Finding(
                    str(p.get("team") or e.team),
                    f"{a.get('kind', 'action')} action rejected at {_fmt(e.t)}: {errs}.",
                    None,
                    "Validate actions against asset limits (delta-v budget, constraints) before"
                    " submission; add a two-person check",
                )
            )
        for e in self.rd.of("contingency_fired"):
            p = e.payload
            parent = str(p.get("parent"))
            to = next((r.team for r in self.rows if r.serial == parent), "training audience")
            afis.append(
                _Finding(
                    to,
                    f"Contingency {p.get('serial')} fired: expected {p.get('missing_action')} on "
                    f"{parent} not received in time.",
                    None,
                    _CORRECTIVE.get(str(p.get("missing_action")), "Review the expected action"),
                )
            )
        for e in self.collisions():
            objs = ", ".join(str(o) for o in e.payload.get("objects") or [])
            own = self._owner_team(e.payload.get("objects") or [])
            if own is None and self.rd.scenario is not None:
                continue  # a scripted collision of objects no team protects
            afis.append(
                _Finding(
                    own or "EXCON",
                    f"Collision at {_fmt(e.t)} involving {objs}.",
                    "Collision avoidance",
                    "Analyse the conjunction history and the decision timeline of the"
                    " operator concerned",
                )
            )
        return strengths, afis

    def _owner_team(self, objects: Iterable[str]) -> str | None:
        sc = self.rd.scenario
        if sc is None:
            return None
        owner = {}
        for a in sc.actors:
            for asset in a.assets:
                owner[asset.id] = a.id
        for t in self.teams.values():
            for o in objects:
                if owner.get(o) in t.plays and t.role == "blue":
                    return t.id
        return None

    def collisions(self) -> list[Event]:
        return [e for e in self.rd.of("world_event") if e.payload.get("type") == "collision"]

    def scores(self) -> dict[str, float]:
        ended = self.rd.ended or {}
        sc = ended.get("scores") or {}
        if not sc:
            sc = {
                k: v.get("score")
                for k, v in (self.rd.summary.get("teams") or {}).items()
                if isinstance(v, dict)
            }
        return {k: v for k, v in sc.items() if v is not None}

    def n_collisions(self) -> int:
        ended = self.rd.ended or {}
        c = ended.get("collisions", self.rd.summary.get("collisions"))
        if isinstance(c, list):
            return len(c)
        if isinstance(c, int | float):
            return int(c)
        return len(self.collisions())

    def t_rel_h(self, t: datetime) -> float:
        return (t - self.startex).total_seconds() / 3600.0
