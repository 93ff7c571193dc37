"""What the evaluators have to rate: every criterion of every released inject, per
evaluated team, with the ratings logged against it, and the queue of those still to rate
(``/api/excon/criteria``; white cell and evaluators only)."""

from __future__ import annotations

from typing import Any

__all__ = ["criteria_board"]

_PLAYING = ("blue", "red")


def _objectives_for(scenario: Any, inject: Any, ct: str | None) -> list[str]:
    """Objectives a criterion counts toward: the inject's objectives that list its critical
    task (every objective listing it when the inject names none)."""
    objs = [o for o in scenario.objectives if ct is None or ct in o.critical_tasks]
    named = set(inject.objectives or [])
    hit = [o.id for o in objs if not named or o.id in named]
    return hit or list(inject.objectives or [])


def criteria_board(scenario: Any, injects: list[dict], events: list[dict],
                   roles: dict[str, str]) -> dict:  # fmt: skip
    """``objectives`` and ``critical_tasks`` of the scenario; ``criteria``: one item per
    (released inject, evaluated team, criterion) with ``status`` ``rated`` (an evaluator
    rated it), ``auto`` (its rule rated it), ``to_rate`` (an evaluator criterion nobody
    rated yet) or ``awaiting_rule`` (an automatic criterion before its evaluation);
    ``queue``: the ``to_rate`` items, oldest release first."""
    ct_text = {c.id: c.text for c in scenario.critical_tasks}
    ratings: dict[tuple, list[dict]] = {}
    for ev in events:
        p = ev.get("payload") or {}
        if ev.get("kind") == "rating" and isinstance(p, dict) and p.get("serial"):
            ratings.setdefault((p["serial"], p.get("team"), p.get("critical_task")), []).append(
                dict(p, sim_time_utc=ev.get("sim_time_utc"))
            )
    items = []
    for row in injects:
        if row.get("status") != "released":
            continue
        try:
            inj = scenario.inject(row["serial"])
        except KeyError:  # a contingency or an ad-hoc inject: no criteria of its own
            continue
        teams = [x["team"] for x in row.get("expected") or []]
        teams = list(dict.fromkeys(teams)) or [t for t in row.get("to") or []
                                               if roles.get(t) in _PLAYING]  # fmt: skip
        for i, c in enumerate(inj.evaluation):
            for tm in teams:
                got = ratings.get((inj.serial, tm, c.critical_task), [])
                mine = [r for r in got if r.get("source") == "evaluator"]
                auto = [r for r in got if r.get("source") != "evaluator"]
                if mine:
                    status = "rated"
                elif auto:
                    status = "auto"
                elif c.method == "evaluator":
                    status = "to_rate"
                else:
                    status = "awaiting_rule"
                last = (mine or auto or [None])[-1]
                items.append({
                    "serial": inj.serial, "title": inj.title, "release_utc": row.get("release_utc"),
                    "team": tm, "index": i, "method": c.method,
                    "critical_task": c.critical_task,
                    "critical_task_text": ct_text.get(c.critical_task or ""),
                    "objectives": _objectives_for(scenario, inj, c.critical_task),
                    "guidance": c.guidance, "rule": c.rule, "status": status,
                    "rating": last.get("rating") if last else None,
                    "rated_by": last.get("author") if last else None,
                    "observed_utc": last.get("observed_utc") if last else None,
                    "note": last.get("note") if last else None,
                })  # fmt: skip
    return {
        "objectives": [
            {"id": o.id, "text": o.text, "critical_tasks": list(o.critical_tasks)}
            for o in scenario.objectives
        ],  # fmt: skip
        "critical_tasks": [{"id": c.id, "text": c.text} for c in scenario.critical_tasks],
        "criteria": items,
        "queue": sorted(
            (x for x in items if x["status"] == "to_rate"),
            key=lambda x: (x["release_utc"] or "", x["serial"], x["team"]),
        ),  # fmt: skip
    }
