"""After-action report / improvement plan (HSEEP AAR/IP) of an exercise run.

:func:`write_report` reads a run directory (``scenario.yaml``, ``run.json``,
``events.sqlite``, ``summary.json``; see the engine contract) and writes one
self-contained HTML file: inline CSS, plots as inline base64 PNG rendered with matplotlib's
Agg backend, no script and no external URL, so it opens offline and prints as is.  When a
headless Chromium is installed (``chromium`` or ``chromium-browser`` on ``PATH``) the same
page is also printed to PDF; nothing is installed or downloaded at run time.

Sections follow the HSEEP AAR/IP template: overview (name, STARTEX/ENDEX, scope, objectives,
scenario, participants), executive summary, analysis of capabilities (objective ->
capability -> critical task -> P/S/M/U per team), inject outcomes (released, detected,
assessed, answered, latency, deadline), timeline, event analysis plots (Pc and miss
distance vs time per conjunction, RTN relative motion per proximity event, Gabbard diagram
per break-up, re-entry window and ground-track footprint per re-entry), strengths, areas for
improvement, evaluator notes and the improvement plan.  Every page carries the EXERCISE
marking.

The report is a white-cell (EXCON/evaluator) product: it shows ground truth.

Times in the event log are ISO-8601 UTC; scenario time in plots is hours since STARTEX.
The ground-track map is a plain equirectangular latitude/longitude grid: no coastline data
is bundled (the product works offline and ships no Natural Earth files).
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
import shutil
import sqlite3
import subprocess
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from spacerange.conjunction.thresholds import PC_ALERT
from spacerange.errors import ParseError
from spacerange.timescales import parse_utc, to_datetime

__all__ = [
    "ReportPaths",
    "RunData",
    "load_run",
    "render_html",
    "html_to_pdf",
    "find_chromium",
    "write_report",
    "RATING_COLORS",
]

log = logging.getLogger(__name__)

_DASH = "\u2014"

#: HSEEP rating -> (background colour, meaning)
RATING_COLORS: dict[str, tuple[str, str]] = {
    "P": ("#2e7d32", "Performed without challenges"),
    "S": ("#9ccc65", "Performed with some challenges"),
    "M": ("#fb8c00", "Performed with major challenges"),
    "U": ("#c62828", "Unable to be performed"),
}
_ORDER = "PSMU"
#: Pc below this is drawn at this value (the plot would otherwise span hundreds of decades)
PC_FLOOR = 1e-10

#: scenario expected-action kind -> action kinds of the engine contract that satisfy it
_SATISFIES: dict[str, set[str]] = {
    "assessment": {"assessment"},
    "report": {"report", "notify"},
    "notification": {"notification", "notify"},
    "tasking": {"tasking"},
    "maneuver": {"maneuver"},
    "countermeasure": {"countermeasure", "relocate", "maneuver", "notify", "tasking"},
    "data_share": {"data_share", "share"},
    "catalog_update": {"catalog_update", "tasking", "assessment"},
    "reentry_prediction": {"reentry_prediction", "assessment"},
    "breakup_attribution": {"breakup_attribution"},
    "coordination": {"coordination", "rfi", "notify", "share"},
}
#: standard corrective action of an area for improvement, by expected-action kind
_CORRECTIVE = {
    "assessment": "Rehearse the threat-assessment checklist; set a watch-floor timer on "
    "every new alert and brief the assessment template",
    "report": "Write a reporting SOP with trigger criteria and a pre-filled report format",
    "notification": "Maintain a contact list of operators and allies; drill notifications",
    "tasking": "Pre-plan sensor tasking priorities for outages and storms",
    "maneuver": "Train manoeuvre planning and screening to meet TCA - 6 h decision times",
    "countermeasure": "Document protective options per asset and their decision authority",
    "data_share": "Automate sharing under the standing agreements (OMM/CDM push)",
    "catalog_update": "Train new-object correlation and cataloguing procedures",
    "reentry_prediction": "Train re-entry prediction with uncertainty and its publication",
    "breakup_attribution": "Train debris trace-back (breakup epoch and parent) from the "
    "team's own catalogue",
    "coordination": "Establish coordination channels with allied SSA centres",
}


# ============================================================================ data


@dataclass(frozen=True)
class ReportPaths:
    """Files written by :func:`write_report`; ``pdf`` is ``None`` without Chromium."""

    html: Path
    pdf: Path | None


@dataclass
class Event:
    """One row of ``events.sqlite``; ``t`` is the scenario time (aware UTC)."""

    seq: int
    t: datetime
    kind: str
    team: str | None
    visible_to: list[str]
    payload: dict[str, Any]


@dataclass
class RunData:
    """Everything the report reads from a run directory."""

    run_dir: Path
    run: dict[str, Any]
    summary: dict[str, Any]
    events: list[Event]
    scenario: Any | None  # spacerange.exercise.scenario.Scenario, when it loads
    scenario_error: str | None = None
    by_kind: dict[str, list[Event]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by: dict[str, list[Event]] = defaultdict(list)
        for e in self.events:
            by[e.kind].append(e)
        self.by_kind = dict(by)

    def of(self, kind: str) -> list[Event]:
        return self.by_kind.get(kind, [])

    @property
    def started(self) -> dict[str, Any]:
        ev = self.of("run_started")
        return ev[0].payload if ev else {}

    @property
    def ended(self) -> dict[str, Any] | None:
        ev = self.of("run_ended")
        return ev[-1].payload if ev else None


def _parse_utc(text: Any, where: str = "") -> datetime | None:
    """Aware UTC datetime from ISO-8601 text (``Z`` or offset; naive means UTC)."""
    if text is None or text == "":
        return None
    try:
        return to_datetime(parse_utc(text))  # the one time module
    except (ValueError, TypeError):
        log.warning("%s: cannot read time %r", where or "event log", text)
        return None


_ENVELOPE = {"payload", "team", "time_utc", "visible_to"}


def _read_events(db: Path) -> list[Event]:
    if not db.exists():
        return []
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error as exc:  # pragma: no cover - depends on the file system
        raise ParseError(f"cannot open the event log: {exc}", file=str(db)) from None
    try:
        rows = con.execute(
            "SELECT seq, sim_time_utc, kind, team, visible_to, payload FROM events ORDER BY seq"
        ).fetchall()
    except sqlite3.Error as exc:
        raise ParseError(
            f"not an exercise event log (expected table events(seq, sim_time_utc, kind, team, "
            f"visible_to, payload)): {exc}",
            file=str(db),
        ) from None
    finally:
        con.close()
    out: list[Event] = []
    for seq, t, kind, team, vis, payload in rows:
        try:
            pl = json.loads(payload) if payload else {}
            vs = json.loads(vis) if vis else []
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"event seq {seq} ({kind}): payload/visible_to is not JSON: {exc.msg}",
                file=str(db),
                line=seq,
            ) from None
        if isinstance(pl, dict) and isinstance(pl.get("payload"), dict) and set(pl) <= _ENVELOPE:
            # picture events may come wrapped as {"payload": {...}, "team", "time_utc"}
            pl = {**{k: v for k, v in pl.items() if k != "payload"}, **pl["payload"]}
        when = _parse_utc(t, f"{db}: event seq {seq}")
        if when is None:
            continue
        out.append(Event(int(seq), when, str(kind), team, list(vs or []), pl or {}))
    return out


def _load_scenario(path: Path) -> tuple[Any | None, str | None]:
    """The typed scenario of the run, or ``(None, reason)``.  Only the pydantic models are
    applied (no file or sensor-network cross-checks: a copied scenario may reference files
    that are not in the run directory)."""
    if not path.exists():
        return None, "scenario.yaml missing"
    from pydantic import ValidationError

    from spacerange.exercise.scenario import Scenario
    from spacerange.exercise.validate import read_yaml

    try:
        data, _lines, issues = read_yaml(path.read_text(encoding="utf-8"), str(path))
        if data is None or issues:
            return None, "; ".join(str(i) for i in issues) or "empty scenario"
        return Scenario.model_validate(data), None
    except (OSError, ValidationError, ValueError) as exc:
        return None, f"{path}: {str(exc).splitlines()[0]}"


def load_run(run_dir: str | Path) -> RunData:
    """Read a run directory.  Missing ``run.json``/``summary.json`` are tolerated (a run
    still in progress has no summary); a missing or unreadable ``events.sqlite`` gives an
    empty log only when the file is absent, otherwise :class:`ParseError`."""
    rd = Path(run_dir)
    if not rd.is_dir():
        raise ParseError("run directory does not exist", file=str(rd))

    def _json(name: str) -> dict:
        p = rd / name
        if not p.exists():
            return {}
        try:
            obj = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ParseError(f"not JSON: {exc.msg}", file=str(p), line=exc.lineno) from None
        return obj if isinstance(obj, dict) else {}

    scenario, err = _load_scenario(rd / "scenario.yaml")
    if err:
        log.warning("report: scenario not used: %s", err)
    return RunData(
        run_dir=rd,
        run=_json("run.json"),
        summary=_json("summary.json"),
        events=_read_events(rd / "events.sqlite"),
        scenario=scenario,
        scenario_error=err,
    )


# ============================================================================ analysis


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


# ============================================================================ formatting


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _fmt(t: datetime | None) -> str:
    return "\u2014" if t is None else t.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def _fmt_short(t: datetime | None) -> str:
    """``02 Mar 09:00Z`` (day, month, time; the year is in the report header)."""
    return _DASH if t is None else t.astimezone(UTC).strftime("%d %b %H:%MZ")


def _dur(td: timedelta | None) -> str:
    if td is None:
        return "\u2014"
    s = int(round(td.total_seconds()))
    sign = "-" if s < 0 else ""
    s = abs(s)
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if d:
        return f"{sign}{d}d{h:02d}h"
    if h:
        return f"{sign}{h}h{m:02d}m"
    return f"{sign}{m}m"


def _rating_cell(r: str | None, title: str = "", derived: bool = False, extra: str = "") -> str:
    if not r:
        return '<td class="r r-none" title="not rated">\u2014</td>'
    mark = "*" if derived else ""
    return (
        f'<td class="r r-{r}" data-rating="{r}" title="{_esc(title or RATING_COLORS[r][1])}">'
        f"{r}{mark}{extra}</td>"
    )


def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", pad_inches=0.08)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(kind: str, key: str, title: str, fig, caption: str) -> str:
    data = _png(fig)
    return (
        f'<figure class="plot" data-plot="{_esc(kind)}" data-key="{_esc(key)}">'
        f'<img alt="{_esc(title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
    )


def _new_fig(w: float, h: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h))
    return fig


# ============================================================================ plots

_COLORS = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037"]


def _timeline_plot(an: _Analysis) -> str:
    rd = an.rd
    lanes = [t.id for t in an.players] + ["world (truth)"]
    y_of = {name: i for i, name in enumerate(reversed(lanes))}
    fig = _new_fig(10.0, 1.2 + 0.55 * len(lanes))
    ax = fig.add_subplot(1, 1, 1)
    style = {
        "inject": dict(marker="v", color="#1565c0", s=46, label="inject released"),
        "contingency": dict(marker="v", color="#ef6c00", s=56, label="contingency inject"),
        "detection": dict(marker="o", color="#2e7d32", s=30, label="detection"),
        "alert": dict(marker="|", color="#757575", s=60, label="alert"),
        "action": dict(marker="s", color="#6a1b9a", s=22, label="action applied"),
        "rejected": dict(marker="x", color="#c62828", s=40, label="action rejected"),
        "world": dict(marker="*", color="#212121", s=70, label="world event (truth)"),
        "collision": dict(marker="X", color="#c62828", s=110, label="collision"),
    }
    pts: dict[str, list[tuple[float, float]]] = defaultdict(list)
    cont = {str(e.payload.get("serial")) for e in rd.of("contingency_fired")}
    for e in rd.of("inject_released"):
        key = "contingency" if str(e.payload.get("serial")) in cont else "inject"
        for t in e.payload.get("to") or []:
            if t in y_of:
                pts[key].append((an.t_rel_h(e.t), y_of[t]))
    for kind, key in (
        ("detection", "detection"),
        ("alert", "alert"),
        ("action_applied", "action"),
        ("action_rejected", "rejected"),
    ):
        for e in rd.of(kind):
            t = e.payload.get("team") or e.team
            if t in y_of:
                pts[key].append((an.t_rel_h(e.t), y_of[t]))
    yw = y_of["world (truth)"]
    for e in rd.of("world_event"):
        key = "collision" if e.payload.get("type") == "collision" else "world"
        pts[key].append((an.t_rel_h(e.t), yw))
    for key, st in style.items():
        if pts.get(key):
            a = np.array(pts[key])
            ax.scatter(a[:, 0], a[:, 1], zorder=3, linewidths=1.2, **st)
    # label world events (type), staggered to limit overlap
    last_x = -1e9
    level = 0
    span = max(an.t_rel_h(an.endex), 1.0)
    for e in rd.of("world_event"):
        x = an.t_rel_h(e.t)
        level = (level + 1) % 3 if x - last_x < span * 0.06 else 0
        last_x = x
        ax.annotate(
            str(e.payload.get("type", "")),
            (x, yw),
            xytext=(0, 8 + 9 * level),
            textcoords="offset points",
            fontsize=6.5,
            ha="center",
            color="#424242",
        )
    ax.set_yticks(list(y_of.values()), list(y_of.keys()))
    ax.set_ylim(-0.6, len(lanes) - 0.2)
    ax.set_xlim(-span * 0.01, span * 1.01)
    ax.set_xlabel(f"scenario time [h since STARTEX {_fmt(an.startex)}]")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title("Exercise timeline by team")
    days = int(span // 24)
    for d in range(1, days + 1):
        ax.axvline(24 * d, color="#bdbdbd", lw=0.6, zorder=1)
    h, lab = ax.get_legend_handles_labels()
    if h:
        ax.legend(
            h, lab, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7.5, frameon=False
        )
    fig.tight_layout()
    return _figure(
        "timeline",
        "all",
        "Exercise timeline",
        fig,
        "Figure: injects, detections, alerts and actions per team, and world (truth) "
        "events, against scenario time. Vertical lines mark scenario days.",
    )


def _pc_or_nan(e: Event) -> float:
    pc = e.payload.get("pc")
    return float(pc) if pc is not None else math.nan


def _max_pc(evs: list[Event]) -> float:
    """Largest computed Pc of a series (updates without a Pc are skipped, not zero)."""
    pcs = [p for p in map(_pc_or_nan, evs) if not math.isnan(p)]
    return max(pcs) if pcs else math.nan


def _conjunction_plots(an: _Analysis, limit: int = 30) -> list[str]:
    series: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in an.rd.of("conjunction_update"):
        objs = [str(o) for o in (e.payload.get("objects") or [])][:2]
        if len(objs) < 2:
            continue
        series[(objs[0], objs[1])].append(e)
    keys = sorted(series, key=lambda k: -np.nan_to_num(_max_pc(series[k]), nan=-1.0))
    out = []
    for pair in keys[:limit]:
        evs = series[pair]
        tca = _parse_utc(evs[-1].payload.get("tca_utc"))
        fig = _new_fig(9.0, 3.4)
        ax1 = fig.add_subplot(1, 2, 1)
        ax2 = fig.add_subplot(1, 2, 2)
        teams = sorted({str(e.payload.get("team") or e.team) for e in evs})
        for i, team in enumerate(teams):
            te = [e for e in evs if str(e.payload.get("team") or e.team) == team]
            x = np.array([an.t_rel_h(e.t) for e in te])
            # an update whose Pc could not be computed (pc None) is a gap, not a low Pc
            pc = np.maximum(np.array([_pc_or_nan(e) for e in te]), PC_FLOOR)
            miss = np.array([float(e.payload.get("miss_m") or np.nan) for e in te])
            c = _COLORS[i % len(_COLORS)]
            ax1.semilogy(x, pc, "o-", color=c, ms=3.5, lw=1.2, label=team)
            ax2.plot(x, miss, "o-", color=c, ms=3.5, lw=1.2, label=team)
        ax1.axhline(PC_ALERT, color="#c62828", ls="--", lw=0.9, label=f"Pc {PC_ALERT:g} alert")
        for ax in (ax1, ax2):
            if tca is not None:
                ax.axvline(an.t_rel_h(tca), color="#424242", ls=":", lw=1.0, label="TCA")
            ax.set_xlabel("scenario time [h since STARTEX]")
            ax.grid(True, which="both", alpha=0.3)
        for e in an.rd.of("world_event"):
            if e.payload.get("type") == "maneuver" and pair[0] in (e.payload.get("objects") or []):
                ax2.axvline(an.t_rel_h(e.t), color="#6a1b9a", lw=0.8, alpha=0.7)
        ax1.set_ylabel("probability of collision Pc")
        ax2.set_ylabel("miss distance [m]")
        ax1.set_title("Pc per CDM", fontsize=10)
        ax2.set_title("Miss distance per CDM", fontsize=10)
        ax1.legend(fontsize=7, loc="best")
        fig.suptitle(f"Conjunction {pair[0]} \u00d7 {pair[1]}", fontsize=11)
        fig.tight_layout()
        pcmax = _max_pc(evs)
        n_unknown = sum(e.payload.get("pc") is None for e in evs)
        unknown = f", Pc not computed on {n_unknown} updates" if n_unknown else ""
        missmin = min(float(e.payload.get("miss_m") or np.inf) for e in evs)
        out.append(
            _figure(
                "conjunction",
                f"{pair[0]}|{pair[1]}",
                f"Conjunction {pair[0]} x {pair[1]}",
                fig,
                f"Conjunction {pair[0]} \u00d7 {pair[1]}: {len(evs)} updates, TCA {_fmt(tca)},"
                f" max Pc {pcmax:.2e}{unknown}, min predicted miss {missmin:,.0f} m (Pc below"
                f" {PC_FLOOR:g} drawn"
                f" at {PC_FLOOR:g}). Purple lines: "
                f"manoeuvres of {pair[0]} (truth).",
            )
        )
    if len(keys) > limit:
        out.append(
            f'<p class="note">{len(keys) - limit} more conjunctions not plotted '
            f"(lowest maximum Pc).</p>"
        )
    return out


def _relative_motion_plots(an: _Analysis, limit: int = 20) -> list[str]:
    series: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
    for e in an.rd.of("relative_motion"):
        objs = [str(o) for o in (e.payload.get("objects") or [])][:2]
        if len(objs) < 2:
            continue
        series[(objs[0], objs[1])].extend(e.payload.get("samples") or [])
    out = []
    for pair in list(series)[:limit]:
        rows = []
        for s in series[pair]:
            if isinstance(s, list | tuple) and len(s) >= 4:
                t = _parse_utc(s[0])
                if t is not None:
                    rows.append((an.t_rel_h(t), float(s[1]), float(s[2]), float(s[3])))
        rows.sort()
        fig = _new_fig(9.0, 3.6)
        ax1 = fig.add_subplot(1, 2, 1)
        ax2 = fig.add_subplot(1, 2, 2)
        if rows:
            a = np.array(rows)
            rng_km = np.linalg.norm(a[:, 1:], axis=1)
            sc = ax1.scatter(a[:, 2], a[:, 1], c=a[:, 0], s=8, cmap="viridis", zorder=3)
            ax1.plot(a[:, 2], a[:, 1], color="#9e9e9e", lw=0.6, zorder=2)
            ax1.plot(
                [0], [0], marker="*", color="#c62828", ms=12, zorder=4, ls="none", label=pair[0]
            )
            cb = fig.colorbar(sc, ax=ax1, pad=0.02)
            cb.set_label("h since STARTEX", fontsize=8)
            ax2.plot(a[:, 0], rng_km, color="#1565c0", lw=1.3)
            ax2.set_yscale("log" if rng_km.max() / max(rng_km.min(), 1e-3) > 50 else "linear")
            i = int(np.argmin(rng_km))
            ax2.annotate(
                f"min {rng_km[i]:,.1f} km",
                (a[i, 0], rng_km[i]),
                fontsize=8,
                xytext=(5, 10),
                textcoords="offset points",
            )
            ax1.legend(fontsize=7, loc="best")
            caption_min = f"closest range {rng_km[i]:,.2f} km at {_fmt(an.startex + timedelta(hours=float(a[i, 0])))}"
        else:
            caption_min = "no samples"
        ax1.set_xlabel("in-track T [km]")
        ax1.set_ylabel("radial R [km]")
        ax1.set_title(f"{pair[1]} in the RTN frame of {pair[0]}", fontsize=10)
        ax1.grid(True, alpha=0.3)
        ax2.set_xlabel("scenario time [h since STARTEX]")
        ax2.set_ylabel("range [km]")
        ax2.set_title("Range", fontsize=10)
        ax2.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        out.append(
            _figure(
                "proximity",
                f"{pair[0]}|{pair[1]}",
                f"Relative motion of {pair[1]} about {pair[0]}",
                fig,
                f"Proximity {pair[1]} \u2192 {pair[0]} (truth): {caption_min}. R radial, T "
                "in-track (along the velocity), N cross-track.",
            )
        )
    return out


def _gabbard_plots(an: _Analysis, limit: int = 10) -> list[str]:
    from types import SimpleNamespace

    from spacerange.events.gabbard import gabbard_points

    out = []
    for e in an.rd.of("fragments")[:limit]:
        p = e.payload
        ns = SimpleNamespace(
            period_min=np.asarray(p.get("period_min") or [], float),
            apogee_alt_km=np.asarray(p.get("apogee_km") or [], float),
            perigee_alt_km=np.asarray(p.get("perigee_km") or [], float),
        )
        n = min(ns.period_min.size, ns.apogee_alt_km.size, ns.perigee_alt_km.size)
        ns.period_min, ns.apogee_alt_km, ns.perigee_alt_km = (
            ns.period_min[:n],
            ns.apogee_alt_km[:n],
            ns.perigee_alt_km[:n],
        )
        period, apo, peri = gabbard_points(ns)
        fig = _new_fig(7.0, 4.2)
        ax = fig.add_subplot(1, 1, 1)
        ax.scatter(period, apo, s=4, c="#c62828", label="apogee", linewidths=0)
        ax.scatter(period, peri, s=4, c="#1565c0", label="perigee", linewidths=0)
        if period.size:
            hi = float(np.percentile(period, 99)) * 1.02
            lo = float(np.min(period)) * 0.98
            ax.set_xlim(lo, max(hi, lo + 1.0))
            sel = period <= hi
            ax.set_ylim(0.0, float(np.max(apo[sel])) * 1.05 if sel.any() else None)
        ax.set_xlabel("orbital period [min]")
        ax.set_ylabel("altitude [km]")
        ax.set_title(
            f"Gabbard diagram: break-up of {p.get('parent')} ({period.size} fragments)", fontsize=10
        )
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", markerscale=3, fontsize=8)
        fig.tight_layout()
        out.append(
            _figure(
                "breakup",
                str(p.get("parent")),
                f"Gabbard diagram of {p.get('parent')}",
                fig,
                f"Break-up of {p.get('parent')} at {_fmt(e.t)}: {p.get('n', period.size)} "
                "fragments; apogee (red) and perigee (blue) altitude against period.",
            )
        )
    return out


def _attribution_rows(an: _Analysis) -> list[str]:
    """One table of the teams' ``breakup_attribution`` actions with the engine's grading
    (``epoch_error_s`` and ``parent_correct`` against the logged break-up)."""
    rows = []
    for e in an.rd.of("action_applied"):
        a = e.payload.get("action") or {}
        if a.get("kind") != "breakup_attribution":
            continue
        err = a.get("epoch_error_s")
        ok = a.get("parent_correct")
        rows.append(
            "<tr>" + "".join(f"<td>{_esc(str(x))}</td>" for x in (
                e.payload.get("team") or e.team, _fmt(e.t), a.get("parent"), a.get("epoch_utc"),
                "n/a" if err is None else f"{err:+.0f} s",
                "n/a" if ok is None else ("yes" if ok else "no"),
                "n/a" if a.get("spread_km") is None else f"{a['spread_km']:.2f} km",
            )) + "</tr>"
        )  # fmt: skip
    if not rows:
        return []
    return [_table(["team", "submitted", "parent", "epoch (UTC)", "epoch_error_s",
                    "parent_correct", "spread"], rows)]  # fmt: skip


def _reentry_plots(an: _Analysis, limit: int = 10) -> list[str]:
    by_obj: dict[str, list[Event]] = defaultdict(list)
    for e in an.rd.of("reentry_prediction"):
        by_obj[str(e.payload.get("object"))].append(e)
    truth = {
        str(o): e.t
        for e in an.rd.of("world_event")
        if e.payload.get("type") == "reentry"
        for o in (e.payload.get("objects") or [])
    }
    out = []
    for obj in list(by_obj)[:limit]:
        evs = by_obj[obj]
        fig = _new_fig(9.5, 3.7)
        ax1 = fig.add_subplot(1, 2, 1)
        ax2 = fig.add_subplot(1, 2, 2)
        x, lo, hi, ml = [], [], [], []
        for e in evs:
            p = e.payload
            ws, we, m = (
                _parse_utc(p.get(k)) for k in ("window_start", "window_end", "most_likely")
            )
            if ws is None or we is None:
                continue
            x.append(an.t_rel_h(e.t))
            lo.append(an.t_rel_h(ws))
            hi.append(an.t_rel_h(we))
            ml.append(an.t_rel_h(m) if m else (lo[-1] + hi[-1]) / 2)
        if x:
            xa, loa, hia, mla = map(np.array, (x, lo, hi, ml))
            ax1.fill_between(
                xa, loa, hia, color="#90caf9", alpha=0.6, step="mid", label="re-entry window"
            )
            ax1.plot(xa, mla, "o-", color="#1565c0", ms=3.5, label="most likely")
        if obj in truth:
            ax1.axhline(
                an.t_rel_h(truth[obj]),
                color="#c62828",
                ls="--",
                lw=1.0,
                label="actual re-entry (truth)",
            )
        ax1.set_xlabel("prediction issued [h since STARTEX]")
        ax1.set_ylabel("predicted re-entry [h since STARTEX]")
        ax1.set_title(f"Re-entry window of {obj}", fontsize=10)
        ax1.grid(True, alpha=0.3)
        ax1.legend(fontsize=7, loc="best")
        # ground-track footprint on a plain equirectangular grid (no coastlines offline)
        ax2.set_xlim(-180, 180)
        ax2.set_ylim(-90, 90)
        ax2.set_xticks(range(-180, 181, 60))
        ax2.set_yticks(range(-90, 91, 30))
        ax2.grid(True, color="#bdbdbd", lw=0.5)
        ax2.set_facecolor("#f5f9ff")
        n = len(evs)
        for i, e in enumerate(evs):
            fp = e.payload.get("footprint") or []
            pts = (
                np.array([[float(a), float(b)] for a, b in fp if a is not None], float)
                if fp
                else np.zeros((0, 2))
            )
            if not pts.size:
                continue
            lon = pts[:, 1].copy()
            jumps = np.where(np.abs(np.diff(lon)) > 180)[0]
            lon_plot = np.insert(lon, jumps + 1, np.nan)
            lat_plot = np.insert(pts[:, 0], jumps + 1, np.nan)
            last = i == n - 1
            ax2.plot(
                lon_plot,
                lat_plot,
                color="#c62828" if last else "#90a4ae",
                lw=2.0 if last else 0.8,
                alpha=1.0 if last else 0.6,
                label="latest footprint" if last else None,
            )
        ax2.set_xlabel("longitude [deg]")
        ax2.set_ylabel("latitude [deg]")
        ax2.set_title("Ground-track footprint (no coastlines)", fontsize=10)
        if n:
            ax2.legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        last = evs[-1].payload
        out.append(
            _figure(
                "reentry",
                obj,
                f"Re-entry of {obj}",
                fig,
                f"Re-entry of {obj}: {n} predictions; latest window "
                f"{_fmt(_parse_utc(last.get('window_start')))} to "
                f"{_fmt(_parse_utc(last.get('window_end')))}, most likely "
                f"{_fmt(_parse_utc(last.get('most_likely')))}"
                + (f"; actual {_fmt(truth[obj])}" if obj in truth else "")
                + ". Map: equirectangular latitude/longitude grid without coastlines "
                "(no map data is bundled); grey: earlier footprints.",
            )
        )
    return out


# ============================================================================ HTML

_CSS = """
:root { --ink:#1a1a1a; --muted:#5f6368; --rule:#cfd8dc; --head:#0d2b4e; --band:#f3f6f9; }
* { box-sizing: border-box; }
html { font-size: 10.5pt; }
body { margin: 0; color: var(--ink); background: #fff;
  font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; line-height: 1.4; }
main { max-width: 1100px; margin: 0 auto; padding: 2.6rem 1.6rem 2.6rem; }
.marking { position: fixed; left: 0; right: 0; z-index: 10; text-align: center;
  font-weight: 700; letter-spacing: .08em; font-size: 8.5pt; padding: 3px 0;
  background: #fff7d6; color: #7a1f1f; border-color: #d9b44a; border-style: solid; border-width: 0; }
.marking.top { top: 0; border-bottom-width: 1px; }
.marking.bottom { bottom: 0; border-top-width: 1px; }
.cover { text-align: center; padding: 2.2rem 0 1.4rem; border-bottom: 3px solid var(--head);
  margin-bottom: 1.2rem; }
.marking-big { display: inline-block; border: 3px solid #7a1f1f; color: #7a1f1f; font-weight: 800;
  letter-spacing: .25em; padding: .2rem 1rem; font-size: 15pt; }
h1 { color: var(--head); font-size: 22pt; margin: .8rem 0 .2rem; }
.subtitle { font-size: 13pt; color: var(--muted); margin: 0; }
.dates { font-weight: 600; margin: .4rem 0; }
.handling { font-size: 9pt; color: var(--muted); font-style: italic; }
h2 { color: var(--head); font-size: 15pt; border-bottom: 2px solid var(--head);
  padding-bottom: 2px; margin: 1.6rem 0 .6rem; break-after: avoid; }
h3 { color: var(--head); font-size: 11.5pt; margin: 1rem 0 .4rem; break-after: avoid; }
p { margin: .35rem 0 .55rem; }
.toc ol { columns: 2; margin: 0; list-style: none; padding-left: 1rem; }
.toc a { color: var(--head); text-decoration: none; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .9rem; font-size: 8.6pt; }
th, td { border: 1px solid var(--rule); padding: 3px 5px; vertical-align: top; text-align: left;
  overflow-wrap: anywhere; }
thead th { background: var(--head); color: #fff; font-weight: 600; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
tbody tr:nth-child(even) td:not(.r) { background: var(--band); }
table.kv th { width: 22%; background: var(--band); color: var(--ink); }
table.scores { width: auto; min-width: 40%; }
td.num { text-align: right; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
td.serial { font-family: "DejaVu Sans Mono", monospace; font-size: 7.4pt; white-space: nowrap; }
th { white-space: nowrap; }
table.fixed { table-layout: fixed; }
table.fixed th { white-space: normal; }
table.analysis th.team { text-align: center; width: 5.2rem; }
.small { font-size: 7.6pt; color: var(--muted); }
td.r { text-align: center; font-weight: 700; width: 5.2rem; }
.r-P { background: #2e7d32 !important; color: #fff; }
.r-S { background: #9ccc65 !important; color: #1b3a00; }
.r-M { background: #fb8c00 !important; color: #fff; }
.r-U { background: #c62828 !important; color: #fff; }
.r-none { color: var(--muted); }
.r-na { color: #9e9e9e; font-weight: 400; background: #fafafa !important; }
.chip { display: inline-block; min-width: 1.4rem; text-align: center; font-weight: 700;
  border-radius: 3px; padding: 0 4px; }
table.analysis tr.obj td { border-top: 2px solid var(--head); }
td.ok { color: #2e7d32; font-weight: 600; }
td.bad { color: #c62828; font-weight: 600; }
tr.skipped td { color: #9e9e9e; font-style: italic; }
td.placeholder { color: #9e9e9e; font-style: italic; white-space: nowrap; }
td.empty, p.empty { color: var(--muted); font-style: italic; }
.note { color: var(--muted); font-size: 8.8pt; }
.legend { font-size: 8.8pt; }
.alert-text { color: #b71c1c; }
ul.cols { columns: 2; }
.cap { color: var(--muted); }
figure.plot { margin: .6rem 0 1rem; text-align: center; break-inside: avoid; }
figure.plot img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { font-size: 8.6pt; color: var(--muted); margin-top: .2rem; text-align: left; }
table.timeline td { font-size: 8pt; padding: 2px 4px; }
tr.k-world_event td { color: #37474f; }
tr.k-action_rejected td { color: #b71c1c; }
@page { size: A4 landscape; margin: 14mm 10mm 13mm 10mm;
  @top-center { content: "EXERCISE \\2022  EXERCISE \\2022  EXERCISE"; font: 700 8pt "DejaVu Sans", sans-serif;
    color: #7a1f1f; letter-spacing: .08em; }
  @top-right { content: "__TITLE__"; font: 7.5pt "DejaVu Sans", sans-serif; color: #5f6368; }
  @bottom-center { content: "EXERCISE \\2022  EXERCISE \\2022  EXERCISE"; font: 700 8pt "DejaVu Sans", sans-serif;
    color: #7a1f1f; letter-spacing: .08em; }
  @bottom-right { content: "page " counter(page) " of " counter(pages);
    font: 7.5pt "DejaVu Sans", sans-serif; color: #5f6368; }
  @bottom-left { content: "After-Action Report / Improvement Plan"; font: 7.5pt "DejaVu Sans", sans-serif; color: #5f6368; }
}
@media print {
  html { font-size: 9.5pt; }
  main { max-width: none; padding: 0; }
  .marking { display: none; }
  #analysis, #injects, #timeline, #event-analysis, #improvement-plan, #appendix
    { break-before: page; }
  .toc { break-after: page; }
  a { color: inherit; text-decoration: none; }
  figure.plot img { max-height: 74mm; width: auto; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _css() -> str:
    return _CSS


def _css_string(text: str) -> str:
    """``text`` as the inside of a CSS string literal."""
    return "".join(c if c.isalnum() or c in " -_.,:;()/'" else f"\\{ord(c):x} " for c in text)


def _table(
    headers: list[str], rows: list[str], cls: str = "", widths: list[float] | None = None
) -> str:
    th = "".join(f"<th>{h}</th>" for h in headers)
    cols = ""
    if widths:
        cols = "<colgroup>" + "".join(f'<col style="width:{w:g}%">' for w in widths) + "</colgroup>"
        cls += " fixed"
    body = (
        "".join(rows)
        if rows
        else (f'<tr><td colspan="{len(headers)}" class="empty">None recorded.</td></tr>')
    )
    return f'<table class="{cls}">{cols}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{_esc(title)}</h2>{body}</section>'


def _overview(an: _Analysis) -> str:
    rd, sc = an.rd, an.rd.scenario
    ex = sc.exercise if sc else None
    dur = an.endex - an.startex
    threats = sorted(
        {str(e.payload.get("threat")) for e in rd.of("inject_released") if e.payload.get("threat")}
    )
    if sc is not None:
        threats = sorted({str(ev.threat) for ev in sc.events if ev.threat} | set(threats))
    caps = sorted({o.capability for o in an.objectives if o.capability})
    autop = rd.run.get("autopilots") or {}
    kv = [
        ("Exercise name", _esc(an.name)),
        (
            "Exercise dates",
            f"STARTEX {_esc(_fmt(an.startex))} &mdash; ENDEX {_esc(_fmt(an.endex))}"
            f" ({_esc(_dur(dur))} of scenario time)",
        ),
        (
            "Scope",
            _esc(
                (
                    ex.description.strip()
                    if ex and ex.description
                    else "Space situational awareness exercise"
                )
                + f" Play compressed {ex.compression:g}:1 (scenario:wall-clock)."
                if ex
                else "Space situational awareness exercise."
            ),
        ),
        ("Mission area", "Space situational awareness and space operations"),
        ("Capabilities", _esc(", ".join(caps) or "\u2014")),
        ("Threats / hazards", _esc(", ".join(t.replace("_", " ") for t in threats) or "\u2014")),
        ("Exercise director", _esc(ex.director if ex and ex.director else "\u2014")),
        (
            "Run",
            _esc(
                f"{rd.run.get('run_id', rd.run_dir.name)}, seed "
                f"{rd.run.get('seed', rd.started.get('seed', _DASH))}, created "
                f"{rd.run.get('created_utc', _DASH)}"
            ),
        ),
    ]
    out = [
        '<table class="kv">'
        + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in kv)
        + "</table>"
    ]
    out.append('<h3>Objectives</h3><ol class="objectives">')
    for o in an.objectives:
        cts = "".join(
            f"<li><b>{_esc(c)}</b> {_esc(an.ct_text.get(c, ''))}</li>" for c in o.critical_tasks
        )
        cap = f' <span class="cap">({_esc(o.capability)})</span>' if o.capability else ""
        out.append(f"<li><b>{_esc(o.id)}</b> {_esc(o.text)}{cap}<ul>{cts}</ul></li>")
    if not an.objectives:
        out.append("<li>No objectives defined.</li>")
    out.append("</ol>")
    out.append("<h3>Scenario summary</h3>")
    if ex and ex.road_to_crisis:
        out.append(f"<p><b>Road to crisis.</b> {_esc(ex.road_to_crisis.strip())}</p>")
    if sc is not None and sc.events:
        items = []
        for ev in sc.events:
            n = sum(len(i.injects) for i in ev.incidents)
            thr = f" ({_esc(str(ev.threat).replace('_', ' '))})" if ev.threat else ""
            items.append(f"<li><b>{_esc(ev.id)}</b> {_esc(ev.title)}{thr}: {n} injects</li>")
        out.append(
            '<p>Main events of the event list (MEL):</p><ul class="cols">'
            + "".join(items)
            + "</ul>"
        )
    elif rd.scenario_error:
        out.append(f'<p class="note">Scenario file not read: {_esc(rd.scenario_error)}</p>')
    out.append("<h3>Participating organizations</h3>")
    rows = []
    for t in an.teams.values():
        ap = autop.get(t.id) or autop.get(t.role)
        play = ", ".join(t.plays) or "\u2014"
        rows.append(
            f"<tr><td>{_esc(t.id)}</td><td>{_esc(t.name)}</td><td>{_esc(_ROLE.get(t.role, t.role))}"
            f"</td><td>{_esc(play)}</td><td>{_esc(', '.join(t.members) or _DASH)}</td>"
            f"<td>{_esc(ap or 'human players')}</td></tr>"
        )
    out.append(_table(["Team", "Name", "Role", "Plays", "Members", "Played by"], rows))
    return _section("overview", "1. Exercise overview", "".join(out))


_ROLE = {
    "white": "EXCON (white cell)",
    "blue": "training audience (blue)",
    "red": "opposing force (red cell)",
    "evaluator": "evaluators",
    "observer": "observers",
}


def _executive_summary(an: _Analysis) -> str:
    rd = an.rd
    n_rel = len(rd.of("inject_released"))
    n_skip = len(rd.of("inject_skipped"))
    n_cont = len(rd.of("contingency_fired"))
    n_planned = sum(1 for _ in rd.scenario.iter_injects()) if rd.scenario else n_rel + n_skip
    counts = Counter(v["rating"] for (_t, _o, ct), v in an.ratings.items() if ct)
    scores = an.scores()
    n_col = an.n_collisions()
    ended = rd.ended is not None
    paras = [
        f"<p>{_esc(an.name)} was played from STARTEX {_esc(_fmt(an.startex))} to ENDEX "
        f"{_esc(_fmt(an.endex))} ({_esc(_dur(an.endex - an.startex))} of scenario time) by "
        f"{len(an.audience)} training-audience team(s) "
        f"({_esc(', '.join(an.audience) or 'none')})"
        + (
            f" against a red cell ({_esc(', '.join(t.id for t in an.players if t.role == 'red'))})"
            if any(t.role == "red" for t in an.players)
            else ""
        )
        + f". EXCON released {n_rel} injects of {n_planned} planned"
        f" ({n_skip} skipped, {n_cont} contingency injects fired). The log holds "
        f"{len(rd.events)} events."
        + ("" if ended else " <b>The run has not reached ENDEX</b>: this is an interim report.")
        + "</p>"
    ]
    if counts:
        dist = ", ".join(f"{counts.get(r, 0)} {r}" for r in _ORDER)
        paras.append(
            f"<p>Critical-task ratings: {dist} (P without challenges, S some, M major,"
            f" U unable).</p>"
        )
    teams = an.audience + [t.id for t in an.players if t.role == "red"]
    trows = []
    rej = Counter(str(e.payload.get("team") or e.team) for e in rd.of("action_rejected"))
    for t in sorted(teams, key=lambda k: -float(scores.get(k, 0) or 0)):
        c = Counter(v["rating"] for (tm, _o, ct), v in an.ratings.items() if ct and tm == t)
        rows_t = [r for r in an.rows if r.team == t]
        met = sum(1 for r in rows_t if r.deadline_status == "met")
        missed = sum(1 for r in rows_t if r.deadline_status.startswith("missed"))
        cells = "".join(
            f'<td class="num r-{k}">{c.get(k, 0)}</td>' if c.get(k) else '<td class="num">0</td>'
            for k in _ORDER
        )
        sc_txt = f"{float(scores[t]):g}" if t in scores else _DASH
        trows.append(
            f"<tr><td>{_esc(t)}</td><td>{_esc(_ROLE.get(an.teams[t].role, ''))}</td>"
            f'<td class="num">{sc_txt}</td>{cells}<td class="num">{met}</td>'
            f'<td class="num">{missed}</td><td class="num">{rej.get(t, 0)}</td></tr>'
        )
    if trows:
        paras.append(
            _table(
                [
                    "Team",
                    "Role",
                    "Score",
                    "P",
                    "S",
                    "M",
                    "U",
                    "Injects on time",
                    "Injects late",
                    "Rejected actions",
                ],
                trows,
                "scores",
            )
        )
    if n_col:
        items = []
        for e in an.collisions():
            objs = ", ".join(map(str, e.payload.get("objects") or []))
            own = an._owner_team(e.payload.get("objects") or [])
            why = (
                f"a {own} asset was involved"
                if own
                else "scripted event, no training-audience asset involved"
            )
            items.append(f"{_fmt(e.t)}: {objs} ({why})")
        paras.append(
            f'<p class="alert-text"><b>Collisions: {n_col}.</b> ' + _esc("; ".join(items)) + "</p>"
        )
    else:
        paras.append("<p><b>No collision</b> occurred during play.</p>")
    best = _round_robin(an.strengths, 5)
    worst = _round_robin(an.afis, 6)
    if best:
        paras.append(
            "<p><b>Notable successes</b></p><ul>"
            + "".join(f"<li><b>{_esc(f.team)}</b>: {_esc(f.text)}</li>" for f in best)
            + "</ul>"
        )
    if worst:
        paras.append(
            "<p><b>Notable shortfalls</b></p><ul>"
            + "".join(f"<li><b>{_esc(f.team)}</b>: {_esc(f.text)}</li>" for f in worst)
            + "</ul>"
        )
    return _section("executive-summary", "2. Executive summary", "".join(paras))


def _round_robin(findings: list[_Finding], n: int) -> list[_Finding]:
    """Up to ``n`` findings taking one per team in turn (so each team is represented)."""
    by: dict[str, list[_Finding]] = defaultdict(list)
    for f in findings:
        by[f.team].append(f)
    out: list[_Finding] = []
    while len(out) < n and any(by.values()):
        for team in sorted(by):
            if by[team] and len(out) < n:
                out.append(by[team].pop(0))
    return out


def _analysis_table(an: _Analysis) -> str:
    teams = an.audience + [
        t.id for t in an.players if t.role == "red" and any(k[0] == t.id for k in an.ratings)
    ]
    head = ["Objective", "Capability", "Critical task"] + [
        f'<span class="team">{_esc(t)}</span>' for t in teams
    ]
    rows = []
    for o in an.objectives:
        concerned = o.teams or teams
        cts = o.critical_tasks or [None]
        span = len(cts) + 1
        orow = (
            f'<tr class="obj"><td rowspan="{span}"><b>{_esc(o.id)}</b><br>{_esc(o.text)}</td>'
            f'<td rowspan="{span}">{_esc(o.capability or _DASH)}</td>'
            f"<td><i>Objective rating</i></td>"
        )
        for t in teams:
            if t not in concerned:
                orow += '<td class="r r-na" title="not concerned">n/a</td>'
                continue
            r, derived = an.obj_rating(t, o)
            orow += _rating_cell(r, "derived: worst critical task" if derived else "", derived)
        rows.append(orow + "</tr>")
        for c in cts:
            if c is None:
                continue
            row = f"<tr><td><b>{_esc(c)}</b> {_esc(an.ct_text.get(c, ''))}</td>"
            for t in teams:
                if t not in concerned:
                    row += '<td class="r r-na">n/a</td>'
                    continue
                r = an.ct_rating(t, o.id, c)
                if r is None:
                    row += _rating_cell(None)
                else:
                    tip = f"{RATING_COLORS[r['rating']][1]} ({r['source']})"
                    if r["note"]:
                        tip += f": {r['note']}"
                    ev = " \u270e" if r["source"] == "evaluator" else ""
                    row += _rating_cell(r["rating"], tip, extra=ev)
            rows.append(row + "</tr>")
    legend = " ".join(
        f'<span class="chip r-{k}">{k}</span> {_esc(v[1])}' for k, v in RATING_COLORS.items()
    )
    body = (
        f'<p class="legend">{legend}. <b>*</b> objective rating derived from its critical tasks'
        " (worst); \u270e rated by an evaluator; \u2014 not rated.</p>"
        + _table(head, rows, "analysis")
    )
    return _section("analysis", "3. Analysis of capabilities", body)


def _inject_table(an: _Analysis) -> str:
    rows = []
    for r in an.rows:
        cls = {"skipped": "skipped", "not released": "skipped"}.get(r.status, "")
        dl = r.deadline_status
        dcls = "ok" if dl == "met" else ("bad" if dl.startswith("missed") else "")
        dtip = "; ".join(r.missed)
        note = "; ".join([*r.ratings, r.note] if r.note else r.ratings)
        lat = _dur(r.latency)
        rel = r.status if r.status != "released" else _fmt_short(r.released)
        rows.append(
            f'<tr class="{cls}"><td class="serial">{_esc(r.serial)}</td><td>{_esc(r.title)}</td>'
            f'<td class="nowrap">{_esc(r.team)}</td><td class="nowrap">{_esc(r.method)}</td>'
            f"<td>{_esc(rel)}</td>"
            f"<td>{_esc(_fmt_short(r.detected))}</td>"
            f"<td>{_esc(_fmt_short(r.assessed))}</td>"
            f"<td>{_esc(_fmt_short(r.answered))}</td>"
            f'<td class="num">{_esc(lat)}</td>'
            f'<td class="{dcls}" title="{_esc(dtip)}">{_esc(dl)}'
            + (f'<div class="small">{_esc(dtip)}</div>' if dtip else "")
            + f'</td><td class="small">{_esc(note)}</td></tr>'
        )
    body = (
        '<p class="note">One row per inject and recipient team. Released, detected (the '
        "team's picture first shows the effect), assessed (first assessment) and answered "
        "(first other expected action) are scenario times; latency is from release to the "
        "first response. An action counts for an inject when it names the inject's serial, or "
        "names none and falls within twice the longest deadline; times are UTC (year as in the "
        "header).</p>"
        + _table(
            [
                "Serial",
                "Inject",
                "Team",
                "Method",
                "Released",
                "Detected",
                "Assessed",
                "Answered",
                "Latency",
                "Deadlines",
                "Ratings / notes",
            ],
            rows,
            "injects",
            [13.5, 17, 8.5, 7, 7, 7, 7, 7.5, 6, 11, 8.5],
        )
    )
    return _section("injects", "4. Inject outcomes", body)


def _rating_evidence(an: _Analysis) -> str:
    """Every rating with the criterion that produced it and its evidence (the matching
    action and time, the values the rule measured against truth, or why the submitted
    actions were not acceptable)."""
    rows = []
    for e in an.rd.of("rating"):
        p = e.payload
        crit = p.get("rule") or ("evaluator judgment" if p.get("source") == "evaluator" else "")
        if crit == "expected_actions":
            crit = "expected actions performed, on time, with acceptable content"
        pts = ""
        if p.get("score_max"):
            pts = f"{float(p.get('score') or 0):.1f}/{float(p['score_max']):g}"
        rows.append(
            "<tr>"
            + f"<td>{_esc(e.t.strftime('%d %H:%MZ'))}</td><td>{_esc(p.get('team', ''))}</td>"
            + f"<td>{_esc(p.get('objective', ''))} {_esc(p.get('critical_task') or '')}</td>"
            + f'<td class="r r-{_esc(p.get("rating", ""))}">{_esc(p.get("rating", ""))}</td>'
            + f"<td>{_esc(p.get('source', ''))}</td><td>{_esc(pts)}</td>"
            + f"<td><code>{_esc(crit)}</code></td><td>{_esc(p.get('note') or '')}</td>"
            + "</tr>"
        )
    body = (
        '<p class="note">One row per rating: the criterion (the scenario\'s rule, the '
        "completion of the expected actions, or an evaluator's judgment) and its evidence. "
        "Automatic and evaluator ratings use one point scale (P 100 %, S 2/3, M 1/3, U 0 of "
        "the criterion's range).</p>"
        + _table(
            [
                "time",
                "team",
                "objective / task",
                "rating",
                "source",
                "points",
                "criterion",
                "evidence",
            ],
            rows,
            "evidence",
            [7, 9, 10, 5, 6, 6, 22, 35],
        )  # fmt: skip
    )
    return _section("rating-evidence", "4a. Rating evidence", body)


_KEY_KINDS = (
    "inject_released",
    "inject_skipped",
    "inject_resolved",
    "contingency_fired",
    "world_event",
    "detection",
    "action_applied",
    "action_rejected",
    "excon",
)


def _describe(e: Event) -> str:
    p = e.payload
    k = e.kind
    if k == "inject_released":
        return f"Inject {p.get('serial')} \u201c{p.get('title', '')}\u201d to {', '.join(p.get('to') or [])} ({p.get('method')})"
    if k == "inject_resolved":
        exp = p.get("expected") or []
        done = sum(1 for x in exp if isinstance(x, dict) and x.get("done_utc"))
        return f"Inject {p.get('serial', '')} resolved ({done}/{len(exp)} expected actions done)"
    if k == "inject_skipped":
        return f"Inject {p.get('serial')} skipped: {p.get('reason', '')}"
    if k == "contingency_fired":
        return f"Contingency {p.get('serial')} of {p.get('parent')} (missing {p.get('missing_action')})"
    if k == "world_event":
        return f"{p.get('type')}: {', '.join(map(str, (p.get('objects') or [])[:6]))}"
    if k == "detection":
        return f"Detected {p.get('serial') or p.get('threat') or ''} {', '.join(map(str, p.get('objects') or []))}"
    if k in ("action_applied", "action_rejected"):
        a = p.get("action") or {}
        det = a.get("threat") or a.get("asset") or a.get("to_team") or a.get("sensor") or ""
        extra = ""
        if k == "action_rejected":
            extra = " \u2014 REJECTED: " + "; ".join(map(str, p.get("errors") or []))
        return f"{a.get('kind', 'action')} {det}".strip() + extra
    if k == "excon":
        return f"EXCON {p.get('command')} {json.dumps(p.get('args') or {})}"
    return k


def _event_rows(an: _Analysis, evs: list[Event]) -> list[str]:
    rows = []
    for e in evs:
        who = e.payload.get("team") or e.team or ("truth" if e.kind == "world_event" else "EXCON")
        rows.append(
            f'<tr class="k-{e.kind}"><td class="nowrap">{_esc(_fmt(e.t))}</td>'
            f'<td class="num">T+{_esc(_dur(e.t - an.startex))}</td><td>{_esc(who)}</td>'
            f"<td>{_esc(e.kind.replace('_', ' '))}</td><td>{_esc(_describe(e))}</td></tr>"
        )
    return rows


_MAJOR_KINDS = ("inject_released", "inject_skipped", "contingency_fired", "world_event")


def _timeline(an: _Analysis) -> str:
    evs = [e for e in an.rd.events if e.kind in _MAJOR_KINDS]
    chart = _timeline_plot(an) if an.rd.events else ""
    body = (
        chart
        + "<h3>Major events</h3>"
        + '<p class="note">Injects and world (truth) events; every detection, action and EXCON'
        " command is listed in Appendix B.</p>"
        + _table(
            ["Scenario time (UTC)", "Elapsed", "Team", "Kind", "What"],
            _event_rows(an, evs),
            "timeline",
        )
    )
    return _section("timeline", "5. Timeline", body)


def _event_analysis(an: _Analysis) -> str:
    parts = []
    for sid, title, fn, none in (
        (
            "conjunctions",
            "Conjunctions: Pc and miss distance",
            _conjunction_plots,
            "No conjunction updates were logged.",
        ),
        (
            "proximity",
            "Proximity operations: relative motion (RTN)",
            _relative_motion_plots,
            "No proximity (relative-motion) data were logged.",
        ),
        ("breakups", "Break-ups: Gabbard diagrams", _gabbard_plots, "No fragmentation was logged."),
        (
            "attributions",
            "Break-ups: attributions (parent and epoch)",
            _attribution_rows,
            "No breakup attribution was submitted.",
        ),
        (
            "reentries",
            "Re-entries: window and footprint",
            _reentry_plots,
            "No re-entry prediction was logged.",
        ),
    ):
        figs = fn(an)
        inner = "".join(figs) if figs else f'<p class="empty">{none}</p>'
        parts.append(f'<div class="sub" id="{sid}"><h3>{_esc(title)}</h3>{inner}</div>')
    return _section("event-analysis", "6. Event analysis", "".join(parts))


def _findings_list(findings: list[_Finding], empty: str) -> str:
    if not findings:
        return f'<p class="empty">{empty}</p>'
    by: dict[str, list[_Finding]] = defaultdict(list)
    for f in findings:
        by[f.team].append(f)
    out = []
    for team in sorted(by):
        items = "".join(f"<li>{_esc(f.text)}</li>" for f in by[team])
        out.append(f"<h3>{_esc(team)}</h3><ul>{items}</ul>")
    return "".join(out)


def _notes(an: _Analysis) -> str:
    rows = []
    for e in an.rd.of("evaluator_note"):
        p = e.payload
        rows.append(
            f'<tr><td class="nowrap">{_esc(_fmt(e.t))}</td><td>{_esc(p.get("team") or "all")}'
            f"</td><td>{_esc(p.get('author') or _DASH)}</td><td>{_esc(p.get('text'))}</td></tr>"
        )
    for (team, obj, ct), r in sorted(an.ratings.items(), key=lambda kv: kv[1]["t"]):
        if r["source"] == "evaluator" and r["note"]:
            rows.append(
                f'<tr><td class="nowrap">{_esc(_fmt(r["t"]))}</td><td>{_esc(team)}</td>'
                f"<td>evaluator (rating {_esc(r['rating'])} of {_esc(ct or obj)})</td>"
                f"<td>{_esc(r['note'])}</td></tr>"
            )
    return _section(
        "evaluator-notes",
        "9. Evaluator notes",
        _table(["Time", "Team", "Author", "Note"], rows, "notes"),
    )


def _improvement_plan(an: _Analysis) -> str:
    rows = []
    seen = set()
    n = 0
    for f in an.afis:
        key = (f.team, f.text)
        if key in seen:
            continue
        seen.add(key)
        n += 1
        rows.append(
            f'<tr><td class="num">{n}</td><td>{_esc(f.capability or _DASH)}</td>'
            f"<td>{_esc(f.text)}</td><td>{_esc(f.corrective or 'To be determined')}</td>"
            f"<td>{_esc(_poete(f))}</td><td>{_esc(f.team)}</td><td>{_esc(an.teams[f.team].name if f.team in an.teams else _DASH)}</td>"
            '<td class="placeholder">DD/MM/YYYY</td><td class="placeholder">DD/MM/YYYY</td></tr>'
        )
    body = (
        '<p class="note">Appendix A of the HSEEP AAR/IP. One row per area for improvement; '
        "the responsible organization and the dates are to be confirmed at the after-action"
        " meeting. Capability element: Planning, Organization, Equipment, Training, "
        "Exercise (POETE).</p>"
        + _table(
            [
                "#",
                "Capability",
                "Issue / area for improvement",
                "Corrective action",
                "Element",
                "Responsible organization",
                "Point of contact",
                "Start date",
                "Completion date",
            ],
            rows,
            "ip",
        )
    )
    return _section("improvement-plan", "10. Improvement plan (Appendix A)", body)


def _poete(f: _Finding) -> str:
    t = f.text.lower()
    if "rejected" in t:
        return "Equipment"
    if "deadline" in t or "contingency" in t:
        return "Training"
    if "collision" in t:
        return "Planning"
    return "Training"


def _appendix(an: _Analysis, limit: int = 1500) -> str:
    counts = Counter(e.kind for e in an.rd.events)
    rows = [
        f'<tr><td>{_esc(k)}</td><td class="num">{v}</td></tr>' for k, v in sorted(counts.items())
    ]
    evs = [e for e in an.rd.events if e.kind in _KEY_KINDS]
    more = (
        f'<p class="note">{len(evs) - limit} further events omitted.</p>'
        if len(evs) > limit
        else ""
    )
    body = (
        _table(["Event kind", "Count"], rows, "counts")
        + '<p class="note">Report generated offline by spacerange from the run directory '
        f"{_esc(an.rd.run_dir.name)}. It is a white-cell product and includes ground truth. "
        "Maps are drawn on a plain latitude/longitude grid without coastlines.</p>"
        + "<h3>Detailed event log</h3>"
        + _table(
            ["Scenario time (UTC)", "Elapsed", "Team", "Kind", "What"],
            _event_rows(an, evs[:limit]),
            "timeline",
        )
        + more
    )
    return _section("appendix", "Appendix B. Run data and detailed event log", body)


def render_html(rd: RunData) -> str:
    """The report of a loaded run as one self-contained HTML document."""
    an = _Analysis(rd)
    title = f"{an.name} \u2014 After-Action Report / Improvement Plan"
    mark = "EXERCISE \u2022 EXERCISE \u2022 EXERCISE"
    cover = (
        '<header class="cover">'
        f'<div class="marking-big">EXERCISE</div><h1>{_esc(an.name)}</h1>'
        '<p class="subtitle">After-Action Report / Improvement Plan (AAR/IP)</p>'
        f'<p class="dates">{_esc(_fmt(an.startex))} \u2014 {_esc(_fmt(an.endex))}</p>'
        '<p class="handling">This document is an exercise product. Every scenario, nation, '
        "object and event in it is fictional and marked EXERCISE.</p>"
        "</header>"
    )
    toc_items = [
        ("overview", "1. Exercise overview"),
        ("executive-summary", "2. Executive summary"),
        ("analysis", "3. Analysis of capabilities"),
        ("injects", "4. Inject outcomes"),
        ("rating-evidence", "4a. Rating evidence"),
        ("timeline", "5. Timeline"),
        ("event-analysis", "6. Event analysis"),
        ("strengths", "7. Strengths"),
        ("areas-for-improvement", "8. Areas for improvement"),
        ("evaluator-notes", "9. Evaluator notes"),
        ("improvement-plan", "10. Improvement plan (Appendix A)"),
        ("appendix", "Appendix B. Run data and detailed event log"),
    ]
    toc = (
        '<nav class="toc"><h2>Contents</h2><ol>'
        + "".join(f'<li><a href="#{i}">{_esc(t)}</a></li>' for i, t in toc_items)
        + "</ol></nav>"
    )
    body = "".join(
        [
            cover,
            toc,
            _overview(an),
            _executive_summary(an),
            _analysis_table(an),
            _inject_table(an),
            _rating_evidence(an),
            _timeline(an),
            _event_analysis(an),
            _section(
                "strengths",
                "7. Strengths",
                _findings_list(an.strengths, "No strength was recorded."),
            ),
            _section(
                "areas-for-improvement",
                "8. Areas for improvement",
                _findings_list(an.afis, "No area for improvement was recorded."),
            ),
            _notes(an),
            _improvement_plan(an),
            _appendix(an),
        ]
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%MZ")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="spacerange"><title>EXERCISE \u2014 {_esc(title)}</title>'
        f"<style>{_css().replace('__TITLE__', _css_string(an.name + ' AAR/IP'))}</style>"
        "</head><body>"
        f'<div class="marking top" aria-hidden="true">{mark} \u2014 {_esc(an.name)} AAR/IP</div>'
        f'<div class="marking bottom" aria-hidden="true">{mark} \u2014 generated {generated}</div>'
        f"<main>{body}</main></body></html>\n"
    )


# ============================================================================ PDF


def find_chromium() -> str | None:
    """Path of a headless-capable Chromium (``chromium``, ``chromium-browser``,
    ``google-chrome``) on ``PATH``, or ``None``."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


def _chromium(args: list[str], timeout_s: float) -> subprocess.CompletedProcess | None:
    exe = find_chromium()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="spacerange-chromium-") as prof:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            f"--user-data-dir={prof}",
            *args,
        ]
        try:
            return subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("chromium failed: %s", exc)
            return None


def html_to_pdf(
    html_path: str | Path, pdf_path: str | Path, timeout_s: float = 120.0
) -> Path | None:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium; ``None`` (and a logged
    note) when Chromium is absent or fails."""
    src = Path(html_path).resolve()
    out = Path(pdf_path).resolve()
    if find_chromium() is None:
        log.info("no chromium on PATH: PDF not produced (HTML only)")
        return None
    if out.exists():
        out.unlink()
    res = _chromium(
        [
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ],
        timeout_s,
    )
    if res is None or not out.exists() or out.stat().st_size == 0:
        err = res.stderr.strip().splitlines()[-1:] if res is not None and res.stderr else []
        log.warning("chromium did not produce %s %s", out, err)
        return None
    return out


def screenshot(
    html_path: str | Path,
    png_path: str | Path,
    width: int = 1280,
    height: int = 4000,
    timeout_s: float = 120.0,
) -> Path | None:
    """Render the HTML page to a PNG with headless Chromium (for review); ``None`` when
    Chromium is absent."""
    out = Path(png_path).resolve()
    res = _chromium(
        [
            f"--screenshot={out}",
            f"--window-size={width},{height}",
            "--hide-scrollbars",
            Path(html_path).resolve().as_uri(),
        ],
        timeout_s,
    )
    return out if res is not None and out.exists() else None


# ============================================================================ entry point


def write_report(
    run_dir: str | Path, out: str | Path | None = None, *, pdf: bool = True
) -> ReportPaths:
    """Write the AAR/IP of ``run_dir`` to ``out`` (default ``RUN_DIR/report.html``) and,
    when ``pdf`` and Chromium is available, the PDF next to it (same stem, ``.pdf``).

    Raises :class:`~spacerange.errors.ParseError` when the run directory or its event log
    cannot be read."""
    rd = load_run(run_dir)
    html_path = Path(out) if out is not None else rd.run_dir / "report.html"
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(rd), encoding="utf-8")
    pdf_path = html_to_pdf(html_path, html_path.with_suffix(".pdf")) if pdf else None
    return ReportPaths(html=html_path, pdf=pdf_path)
