"""Report sections about what happened: timeline, event analysis, findings, notes,
improvement plan, appendix, breakup attributions."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from spacerange.exercise.report.analysis import _Analysis, _Finding
from spacerange.exercise.report.common import _DASH
from spacerange.exercise.report.html import _section, _table
from spacerange.exercise.report.plots import (
    _conjunction_plots,
    _gabbard_plots,
    _reentry_plots,
    _relative_motion_plots,
    _timeline_plot,
)
from spacerange.exercise.report.reading import Event
from spacerange.exercise.report.text import _dur, _esc, _fmt


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
