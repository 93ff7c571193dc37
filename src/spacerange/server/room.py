"""The control room's shared boards: what each team believes against what is (EXCON only),
the exercise overview every role may read, and a team's own ratings once EXCON releases them.

Everything here is derived from the engine's public views (team view, EXCON view, summary,
the adjudicator's records) and the world's and pictures' read-only queries, on the engine
thread (:meth:`ExerciseSession.call`).  The truth comparison never leaves ``/api/excon``.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

from spacerange.exercise.eventlog import jsonable
from spacerange.server.boards import _iso_s, _t

__all__ = [
    "compare_team",
    "released_key",
    "own_ratings",
    "overview",
    "MAX_TRUTH_CONJUNCTIONS",
]

#: the conjunctions of a team's board checked against truth per request (each one is a
#: truth closest-approach search of the world)
MAX_TRUTH_CONJUNCTIONS = 12
#: half window (s) around the team's TCA in which the truth closest approach is searched
TCA_SEARCH_HALF_S = 900.0


def released_key(run_dir: Any) -> str:
    """Store key of the "ratings released to the teams" flag of one run."""
    return "ratings_released:" + hashlib.sha1(str(run_dir).encode()).hexdigest()


def _resolve(ex: Any, team: str, name: str) -> str | None:
    pics = getattr(ex, "pictures", None)
    fn = getattr(pics, "resolve", None)
    if callable(fn):
        try:
            return fn(team, name)
        except Exception:  # noqa: BLE001 - an unresolvable name is "not known"
            return None
    return name


def _vec(x: Any) -> np.ndarray | None:
    if isinstance(x, (list, tuple)) and len(x) == 3:
        a = np.asarray(x, dtype=float)
        if np.all(np.isfinite(a)):
            return a
    return None


def _truth_at_world_clock(world: Any, fallback: list[dict]) -> tuple[list[dict], str | None]:
    """Truth (id, r_km) of every live object at the world's clock, read-only; ``fallback``
    (the EXCON view's truth) when the world has no such query."""
    t = getattr(world, "clock_utc", None)
    states, objects = getattr(world, "states", None), getattr(world, "objects", None)
    if t is None or not callable(states) or objects is None:
        return fallback, None
    idx, r, _ = states(t)
    out = [
        {"id": objects[i].id, "r_km": rr} for i, rr in zip(idx.tolist(), r.tolist(), strict=True)
    ]
    return out, _iso_s(_t(jsonable(t)))


def compare_team(ex: Any, view: dict, truth: list[dict], team: str) -> dict:
    """What ``team`` believes against what is, now (EXCON only; run on the engine thread).

    ``objects``: one row per object of the team's picture: its designator, the truth id
    behind it, ``error_km`` (picture position minus truth), ``sigma_km`` (the team's own
    1-sigma), ``error_sigma`` (their ratio), custody and last observation; sorted by
    ``error_sigma``, worst first.  ``not_held``: truth objects the team holds no track
    of (count and the first ids, newest objects first).  ``conjunctions``: each open event
    of the team's board with the truth TCA and miss distance of the same pair (searched
    +/- 15 min around the team's TCA).  ``graded``: the graded conjunctions of this team
    (the engine's measured goals: lead time, TCA error, miss error in sigma)."""
    world = getattr(ex, "world", None)
    # the picture is the team's tracks at the world's clock (its last update), which may
    # lag the exercise clock: truth is taken at that same instant
    truth, picture_utc = _truth_at_world_clock(world, truth)
    by_id = {o["id"]: o for o in truth if isinstance(o, dict) and "id" in o}
    rows, held = [], set()
    for o in view.get("picture") or []:
        if not isinstance(o, dict) or "id" not in o:
            continue
        tid = _resolve(ex, team, o["id"])
        held.add(tid)
        t = by_id.get(tid) if tid else None
        rp, rt = _vec(o.get("r_km")), _vec(t.get("r_km")) if t else None
        err = float(np.linalg.norm(rp - rt)) if rp is not None and rt is not None else None
        sig = o.get("pos_sigma_km")
        sig = float(sig) if isinstance(sig, (int, float)) and sig > 0 else None
        rows.append({
            "id": o["id"], "truth_id": tid, "alive": t is not None,
            "error_km": None if err is None else round(err, 3), "sigma_km": sig,
            "error_sigma": None if err is None or sig is None else round(err / sig, 2),
            "custody": o.get("custody"), "source": o.get("source"),
            "last_obs_utc": _iso_s(_t(o.get("last_obs_utc"))),
        })  # fmt: skip
    rows.sort(key=lambda r: (r["error_sigma"] is None, -(r["error_sigma"] or 0.0)))
    own = {a.get("id") for a in view.get("assets") or [] if isinstance(a, dict)}
    missing = [o for o in truth if o.get("id") not in held and o.get("id") not in own]
    conj = []
    for ev in [e for e in view.get("conjunction_board") or [] if not e.get("passed")]:
        if len(conj) >= MAX_TRUTH_CONJUNCTIONS:
            break
        a, b = _resolve(ex, team, ev["object1"]), _resolve(ex, team, ev["object2"])
        row = {k: ev.get(k) for k in ("object1", "object2", "tca_utc", "miss_m", "pc")}
        row.update(truth_tca_utc=None, truth_miss_m=None, tca_error_s=None)
        tca = _t(ev.get("tca_utc"))
        ca = getattr(world, "closest_approach", None)
        if a and b and tca is not None and callable(ca) and a in by_id and b in by_id:
            try:
                t64 = np.datetime64(tca.replace(tzinfo=None), "us")
                tt, miss_km, _ = ca(a, b, t64, TCA_SEARCH_HALF_S)
                if math.isfinite(miss_km):
                    tt_iso = jsonable(tt)
                    row.update(truth_tca_utc=_iso_s(_t(tt_iso)), truth_miss_m=round(miss_km * 1e3, 1),
                               tca_error_s=round((tca - _t(tt_iso)).total_seconds(), 1))  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - EXCON reads why
                row["truth_error"] = f"{type(exc).__name__}: {exc}"
        conj.append(row)
    goals = getattr(getattr(ex, "pictures", None), "conjunction_goals", None)
    graded = [g for g in (goals() if callable(goals) else []) if g.get("team") == team]
    return jsonable({
        "team": team, "clock_utc": view.get("clock_utc"), "picture_utc": picture_utc,
        "objects": rows,
        "held": len(rows), "truth_objects": len(truth),
        "not_held": {"count": len(missing), "ids": [o["id"] for o in missing[-30:]][::-1]},
        "conjunctions": conj, "graded": graded,
    })  # fmt: skip


def own_ratings(ex: Any, team: str) -> list[dict]:
    """``team``'s ratings (engine thread): objective, critical task and its text, rating,
    source, the evaluator's note, time; no inject serial, rule, guidance or measured
    value (white-cell material)."""
    sc = getattr(ex, "scenario", None)
    ct_text = {c.id: c.text for c in getattr(sc, "critical_tasks", None) or []}
    obj_text = {o.id: o.text for o in getattr(sc, "objectives", None) or []}
    out = []
    for r in getattr(getattr(ex, "adjudicator", None), "records", None) or []:
        if r.team != team:
            continue
        out.append({
            "objective": r.objective, "objective_text": obj_text.get(r.objective, ""),
            "critical_task": r.critical_task, "critical_task_text": ct_text.get(r.critical_task, ""),
            # an automatic rating's note is its rule and the values it measured against
            # truth: white-cell material, never released; an evaluator's note is released
            "rating": r.rating, "source": r.source,
            "note": r.note if r.source == "evaluator" else None,
            "time_utc": _iso_s(_t(getattr(r, "time_utc", None))),
        })  # fmt: skip
    return out


def overview(state: dict, injects: list[dict], summary: dict, roles: dict[str, str],
             who_role: str, who_team: str | None, released: bool) -> dict:  # fmt: skip
    """The exercise at a glance for every role: clock, the MSEL's progress (counts per
    status only, for observers and the white cell: titles and plans stay white), and the scoreboard as
    permitted: the white cell and evaluators always; once EXCON released the ratings,
    observers every playing team and players their own team only."""
    judge = who_role in ("white", "evaluator", "admin")
    counts: dict[str, int] | None = None
    if judge or who_role == "observer":  # players: not even how many injects wait
        counts = {}
        for i in injects:
            counts[i.get("status", "?")] = counts.get(i.get("status", "?"), 0) + 1
    board = None
    if judge or released:
        board = []
        for t, x in (summary.get("teams") or {}).items():
            if roles.get(t) not in ("blue", "red"):
                continue
            if not (judge or who_role == "observer" or t == who_team):
                continue
            board.append({"team": t, "role": roles.get(t), "score": x.get("score"),
                          "objectives": x.get("ratings") or {},
                          "critical_tasks": x.get("critical_tasks") or {}})  # fmt: skip
    return dict(state, msel_status=counts, msel_total=None if counts is None else len(injects),
                ratings_released=released,
                scoreboard=board, collisions=summary.get("collisions", 0))  # fmt: skip
