"""The whole report page: every section in HSEEP AAR/IP order."""

from __future__ import annotations

from datetime import UTC, datetime

from spacerange.exercise.report.analysis import _Analysis
from spacerange.exercise.report.event_sections import (
    _appendix,
    _event_analysis,
    _findings_list,
    _improvement_plan,
    _notes,
    _timeline,
)
from spacerange.exercise.report.graded import criteria_status, graded_events
from spacerange.exercise.report.html import _css, _css_string, _section
from spacerange.exercise.report.reading import RunData
from spacerange.exercise.report.summary_sections import (
    _analysis_table,
    _executive_summary,
    _inject_table,
    _overview,
    _rating_evidence,
)
from spacerange.exercise.report.text import _esc, _fmt


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
        ("graded-events", "Graded events: each team's picture against truth"),
        ("overview", "1. Exercise overview"),
        ("executive-summary", "2. Executive summary"),
        ("analysis", "3. Analysis of capabilities"),
        ("injects", "4. Inject outcomes"),
        ("rating-evidence", "4a. Rating evidence"),
        ("criteria-status", "4b. Criteria: rated, pending, unrated"),
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
            graded_events(an),
            _overview(an),
            _executive_summary(an),
            _analysis_table(an),
            _inject_table(an),
            _rating_evidence(an),
            criteria_status(an),
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
