"""The MSEL as a live board for the white cell: per inject its title, plan, release, what
each recipient team did about it (acknowledged, answered) and the ratings tied to it.
White-cell data only (``/api/excon/msel``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from spacerange.timescales import parse_utc, to_datetime

__all__ = ["msel_board"]

_PLAYING = ("blue", "red")


def _t(ev: dict) -> str:
    return str(ev.get("sim_time_utc") or "")


def _when(s: Any) -> datetime | None:
    """An ISO instant as an aware datetime, or None when absent or not a time (the one
    parser, :func:`spacerange.timescales.parse_utc`)."""
    if not isinstance(s, str) or not s:
        return None
    try:
        return to_datetime(parse_utc(s))
    except (ValueError, TypeError):
        return None


def msel_board(injects: list[dict], events: list[dict], roles: dict[str, str]) -> list[dict]:
    """One row per inject (planned, contingency or ad hoc), in time order.

    ``teams``: per playing recipient, ``acknowledged_utc`` (its first action at or after
    the release, accepted or not: players never see serials, so any action counts as the
    reaction), ``answered`` / ``expected`` (expected actions fulfilled / due) and each
    expected action with its deadline and completion time.  ``ratings``: every rating
    (automatic or evaluator) whose ``serial`` is this inject; ``notes``: evaluator notes
    about it."""
    actions: dict[str, list[str]] = {}
    ratings: dict[str, list[dict]] = {}
    notes: dict[str, list[dict]] = {}
    for ev in events:
        p: Any = ev.get("payload") or {}
        if not isinstance(p, dict):
            continue
        k = ev.get("kind")
        if k == "action_submitted" and isinstance(p.get("team"), str):
            actions.setdefault(p["team"], []).append(_t(ev))
        elif k == "rating" and p.get("serial"):
            ratings.setdefault(p["serial"], []).append({
                "team": p.get("team"), "objective": p.get("objective"),
                "critical_task": p.get("critical_task"), "rating": p.get("rating"),
                "source": p.get("source"), "author": p.get("author"),
                "observed_utc": p.get("observed_utc"), "note": p.get("note"),
                "sim_time_utc": _t(ev)})  # fmt: skip
        elif k == "evaluator_note" and p.get("serial") and p.get("source") == "evaluator":
            notes.setdefault(p["serial"], []).append({
                "author": p.get("author"), "text": p.get("text"), "team": p.get("team"),
                "observed_utc": p.get("observed_utc"), "sim_time_utc": _t(ev)})  # fmt: skip
    rows = []
    for inj in injects:
        serial = inj.get("serial")
        rel = inj.get("release_utc")
        teams = []
        for tm in inj.get("to") or []:
            if roles.get(tm) not in _PLAYING:
                continue
            exp = [x for x in inj.get("expected") or [] if x.get("team") == tm]
            t_rel = _when(rel)
            acts = sorted((w, t) for t in actions.get(tm, []) if (w := _when(t)) is not None)
            ack = next((t for w, t in acts if t_rel is not None and w >= t_rel), None)
            teams.append({"team": tm, "acknowledged_utc": ack,
                          "answered": sum(1 for x in exp if x.get("done_utc")),
                          "expected": len(exp), "expected_actions": exp})  # fmt: skip
        rs = ratings.get(serial, [])
        rows.append({
            "serial": serial, "title": inj.get("title"), "status": inj.get("status"),
            "origin": inj.get("origin", "scenario"), "to": inj.get("to") or [],
            "method": inj.get("method"), "threat": inj.get("threat"),
            "planned_utc": inj.get("planned_utc"), "trigger": inj.get("trigger"),
            "release_utc": rel, "resolved_utc": inj.get("resolved_utc"),
            "evaluated": bool(inj.get("evaluated")), "teams": teams,
            "ratings": rs, "rated": bool(rs), "notes": notes.get(serial, []),
        })  # fmt: skip
    rows.sort(key=lambda r: (r["release_utc"] or r["planned_utc"] or "9999", r["serial"] or ""))
    return rows
