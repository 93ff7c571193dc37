"""Reading a run directory: the event log, the scenario, ``run.json`` and ``summary.json``."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from spacerange.errors import ParseError
from spacerange.timescales import parse_utc, to_datetime

log = logging.getLogger(__name__)


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
