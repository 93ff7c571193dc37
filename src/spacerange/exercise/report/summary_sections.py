"""Report sections about performance: overview, executive summary, capability analysis,
inject outcomes and the evidence of every rating."""

from __future__ import annotations

from collections import Counter, defaultdict

from spacerange.exercise.report.analysis import _Analysis, _Finding
from spacerange.exercise.report.common import _DASH, _ORDER, RATING_COLORS
from spacerange.exercise.report.html import _section, _table
from spacerange.exercise.report.reading import _parse_utc
from spacerange.exercise.report.text import _dur, _esc, _fmt, _fmt_short, _rating_cell


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
        ct = p.get("critical_task") or ""
        seen = p.get("observed_utc") or p.get("time_utc")
        evidence = "; ".join(x for x in (
            p.get("note") or "", f"inject {p['serial']}" if p.get("serial") else "",
            f"observed {_fmt(_parse_utc(seen))}" if seen and _parse_utc(seen) else "",
            f"by {p['author']}" if p.get("author") else "") if x)  # fmt: skip
        rows.append(
            "<tr>"
            + f"<td>{_esc(e.t.strftime('%d %H:%M:%SZ'))}</td><td>{_esc(p.get('team', ''))}</td>"
            + f"<td>{_esc(p.get('objective', ''))} <b>{_esc(ct)}</b> "
            + f'<span class="small">{_esc(an.ct_text.get(ct, ""))}</span></td>'
            + f'<td class="r r-{_esc(p.get("rating", ""))}">{_esc(p.get("rating", ""))}</td>'
            + f"<td>{_esc(p.get('source', ''))}</td><td>{_esc(pts)}</td>"
            + f"<td><code>{_esc(crit)}</code></td><td>{_esc(evidence or _DASH)}</td>"
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
