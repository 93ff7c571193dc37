"""The report's first section, the graded events (each exposed team's picture of each
scripted conjunction against truth), and the status of every criterion of the released
injects (rated, automatic, pending with an evaluator, unrated)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from spacerange.exercise.report.analysis import _Analysis
from spacerange.exercise.report.html import _section, _table
from spacerange.exercise.report.reading import Event, _parse_utc
from spacerange.exercise.report.text import _esc, _fmt

__all__ = ["graded_events", "criteria_status", "graded_pairs"]

_DASH = "\u2014"
_GOALS = (("held_24h", "held 24 h ahead"), ("tca_10s", "TCA within 10 s"),
          ("miss_3sigma", "miss within 3 sigma"), ("pc_12h", "Pc alert 12 h ahead"))  # fmt: skip


def graded_pairs(an: _Analysis) -> list[tuple[str, str]]:
    """The (target, secondary) pairs of the graded conjunctions, in summary order."""
    out: list[tuple[str, str]] = []
    for g in an.rd.summary.get("conjunction_goals") or []:
        objs = g.get("objects") or []
        if len(objs) >= 2 and (str(objs[0]), str(objs[1])) not in out:
            out.append((str(objs[0]), str(objs[1])))
    return out


def _last_belief(an: _Analysis, team: str, pair: list[str], tca: datetime | None,
                 names: list[str] | None = None) -> Event | None:  # fmt: skip
    """The team's last conjunction update of ``pair`` (truth ids, or the team's own
    ``names`` of them) issued before the truth TCA."""
    want = [{str(pair[0]), str(pair[1])}]
    if names and len(names) >= 2:
        want.append({str(names[0]), str(names[1])})
    best = None
    for e in an.rd.of("conjunction_update"):
        if str(e.payload.get("team") or e.team) != team:
            continue
        if set(map(str, (e.payload.get("objects") or [])[:2])) not in want:
            continue
        if tca is not None and e.t >= tca:
            continue
        best = e
    return best


def _num(x: Any, fmt: str) -> str:
    return "\u2014" if x is None else format(float(x), fmt)


def _hours(s: Any) -> str:
    return "\u2014" if s is None else f"{float(s) / 3600:.1f} h"


def _pre_burn(g: dict) -> str:
    """The truth the team's records made before a burn predicted, one line each."""
    out = ""
    for p in g.get("pre_burn_truth") or []:
        if isinstance(p, dict):
            out += (f"<br><span class=\"small\">before the burn of {_esc(_fmt(_parse_utc(p.get('burn_utc'))))}: "
                    f"{_esc(_num(p.get('miss_m'), ',.0f'))} m at {_esc(_fmt(_parse_utc(p.get('tca_utc'))))}"
                    "</span>")  # fmt: skip
    return out


def graded_events(an: _Analysis) -> str:
    """One row per (graded conjunction, exposed team): truth against the team's last
    picture before TCA, and the measured goals (engine's ``conjunction_goals``)."""
    rows = []
    for g in an.rd.summary.get("conjunction_goals") or []:
        team = str(g.get("team", ""))
        pair = [str(o) for o in (g.get("objects") or [])[:2]]
        if len(pair) < 2:
            continue
        tca = _parse_utc(g.get("tca_utc"))
        b = _last_belief(an, team, pair, tca, g.get("team_objects"))
        bp = b.payload if b else {}
        btca = _parse_utc(bp.get("tca_utc"))
        goals = g.get("goals_met") or {}
        chips = " ".join(
            f'<span class="{"ok" if goals.get(k) else ("bad" if goals.get(k) is False else "na")}">'
            f"{_esc(label)}: {'met' if goals.get(k) else ('missed' if goals.get(k) is False else 'n/a')}"
            "</span><br>"
            for k, label in _GOALS
        )  # fmt: skip
        rows.append(
            f"<tr><td>{_esc(team)}</td><td><b>{_esc(pair[0])}</b> \u00d7 {_esc(pair[1])}</td>"
            f"<td>{_esc(_fmt(tca))}<br>{_esc(_num(g.get('miss_m'), ',.0f'))} m{_pre_burn(g)}</td>"
            + (f"<td>{_esc(_fmt(b.t))}: TCA {_esc(_fmt(btca))}<br>miss "
               f"{_esc(_num(bp.get('miss_m'), ',.0f'))} m, Pc {_esc(_num(bp.get('pc'), '.1e'))}</td>"
               if b else '<td class="bad">never held before TCA</td>')
            + f"<td class=\"num\">{_esc(g.get('n_updates', 0))}</td>"
            f"<td class=\"num\">{_esc(_hours(g.get('held_lead_s')))}</td>"
            f"<td class=\"num\">{_esc(_num(g.get('tca_error_s'), '.1f'))}</td>"
            f"<td class=\"num\">{_esc(_num(g.get('miss_error_sigma'), '.2f'))}</td>"
            f'<td class="small">{chips}</td></tr>'
        )  # fmt: skip
    note = (
        '<p class="note">The scripted conjunctions the exercise is graded on, one row per '
        "exposed team: the truth closest approach (after any manoeuvre; below it, the one "
        "the team's pictures made before a burn predicted) against the team's last picture "
        "of the pair before TCA, how many screening updates held it, how long ahead, the "
        "worst TCA error and the worst miss-distance error in the team's own sigma (each "
        "update against the truth it predicted), and the measured goals.</p>"
    )
    if not rows:
        note += ('<p class="note">No graded event was measured for this run (the run has no '
                 "summary yet, or no scripted conjunction).</p>")  # fmt: skip
    body = note + _table(
        ["Team", "Pair", "Truth TCA / miss", "Team's last picture before TCA", "Updates",
         "Held ahead", "TCA error s", "Miss error \u03c3", "Goals"],
        rows, "graded", [9, 15, 13, 21, 6, 7, 7, 7, 15],
    )  # fmt: skip
    return _section("graded-events", "Graded events: each team's picture against truth", body)


def _inject_rows(an: _Analysis) -> list[dict]:
    """Released injects as the criteria board reads them (from the log)."""
    out: dict[str, dict] = {}
    for e in an.rd.of("inject_released"):
        s = str(e.payload.get("serial"))
        if s not in out:
            out[s] = {"serial": s, "status": "released", "release_utc": _fmt(e.t),
                      "to": list(e.payload.get("to") or []), "expected": []}  # fmt: skip
    return list(out.values())


def criteria_status(an: _Analysis) -> str:
    """Every criterion of the released injects per evaluated team: rated by an evaluator,
    rated by its rule, pending with an evaluator, or unrated (a rule never evaluated, or a
    criterion with no rule and no evaluator): the last two are flagged."""
    sc = an.rd.scenario
    if sc is None:
        return ""
    from spacerange.exercise.criteria import criteria_board

    roles = {t.id: t.role for t in an.teams.values()}
    evs = [{"kind": e.kind, "payload": e.payload, "sim_time_utc": _fmt(e.t)} for e in an.rd.events]
    board = criteria_board(sc, _inject_rows(an), evs, roles)
    words = {"rated": ("ok", "rated by an evaluator"), "auto": ("ok", "rated by its rule"),
             "to_rate": ("bad", "PENDING: an evaluator must rate it"),
             "awaiting_rule": ("bad", "UNRATED: its rule gave no rating")}  # fmt: skip
    rows = []
    for x in sorted(board["criteria"], key=lambda x: (x["status"] in ("rated", "auto"),
                                                       x["serial"], x["team"])):  # fmt: skip
        cls, word = words.get(x["status"], ("", x["status"]))
        if x["method"] not in ("evaluator",) and not x.get("rule") and x["status"] != "auto":
            cls, word = "bad", "UNRATED: no rule and no evaluator"
        crit = x.get("rule") or ("evaluator: " + (x.get("guidance") or "judgment"))
        rows.append(
            f'<tr class="{"flag" if cls == "bad" else ""}"><td class="serial">{_esc(x["serial"])}</td>'
            f"<td>{_esc(x['team'])}</td><td><b>{_esc(x.get('critical_task') or _DASH)}</b> "
            f"{_esc(x.get('critical_task_text') or '')}</td><td><code>{_esc(crit)}</code></td>"
            f'<td class="{cls}">{_esc(word)}</td><td>{_esc(x.get("rating") or _DASH)}</td></tr>'
        )  # fmt: skip
    n_flag = sum(1 for r in rows if 'class="flag"' in r)
    body = (
        f'<p class="note">{n_flag} of {len(rows)} criteria of the released injects still '
        "need a rating (flagged first).</p>"
        + _table(
            ["Serial", "Team", "Critical task", "Criterion", "Status", "Rating"],
            rows,
            "criteria",
            [15, 10, 24, 27, 16, 8],
        )  # fmt: skip
    )
    return _section("criteria-status", "4b. Criteria: rated, pending, unrated", body)
