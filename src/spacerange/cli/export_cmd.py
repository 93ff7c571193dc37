"""``spacerange export``: objects and conjunction events as CZML (CesiumJS) or KML."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer

from spacerange.cli.app import app
from spacerange.cli.common import emit, guard, load_source, out, parse_duration_option, working


def _event_marks(rows: list[dict], src) -> list:
    """EventMarks from screen's events rows: the primary's state at TCA by SGP4."""
    from spacerange.export import EventMark
    from spacerange.propagation.sgp4_batch import propagate
    from spacerange.timescales import parse_utc

    if not rows:
        return []
    by_id = {int(n): k for k, n in enumerate(src.norad_ids)}
    missing = sorted({int(r["norad_id_1"]) for r in rows} - set(by_id))
    if missing:
        raise ValueError(f"--events: primaries {missing[:5]} are not in the catalog given")
    tca = np.array([parse_utc(r["tca_utc"]) for r in rows], "datetime64[us]")
    marks = []
    # one SGP4 run per distinct primary over its own TCAs (few primaries, many events)
    for nid in sorted({int(r["norad_id_1"]) for r in rows}):
        sel = [i for i, r in enumerate(rows) if int(r["norad_id_1"]) == nid]
        k = by_id[nid]
        gcrs = propagate([src.tles[k]], tca[sel], "gcrs")
        geo = propagate([src.tles[k]], tca[sel], "geodetic")
        for j, i in enumerate(sel):
            r = rows[i]
            pc = r.get("pc")
            marks.append(
                EventMark(
                    nid,
                    int(r["norad_id_2"]),
                    str(r.get("name_1", "")),
                    str(r.get("name_2", "")),
                    tca[i],
                    float(r["miss_m"]),
                    None if pc is None else float(pc),
                    gcrs.r[0, j],
                    tuple(float(x) for x in geo.r[0, j]),
                )
            )
    return marks


@app.command("export")
def export_cmd(
    out_file: Path = typer.Option(..., "--out", help="Output file: .czml (CesiumJS) or .kml."),
    db: Path = typer.Option(None, "--db", help="SQLite catalog database."),
    catalog: list[Path] = typer.Option(None, "--catalog", help="Element file(s)."),
    events: Path = typer.Option(
        None, "--events", help="Events table written by 'screen --out events.json'."
    ),
    norad: list[int] = typer.Option(
        None, "--norad", help="Objects to draw (repeatable); default: the events' objects."
    ),
    start: str = typer.Option(None, "--start", help="ISO UTC start (default: median epoch)."),
    span: str = typer.Option("3h", "--span", help="Trajectory span (duration, e.g. 90min, 1d)."),
    step: str = typer.Option("60s", "--step", help="Sample step (duration, e.g. 30s, 2min)."),
    limit: int = typer.Option(200, "--limit", help="Most objects drawn (a viewer's limit)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Write objects' trajectories and conjunction events for CesiumJS (CZML) or Google
    Earth (KML)."""
    from spacerange.export import export_format, write_czml, write_kml
    from spacerange.propagation.sgp4_batch import propagate
    from spacerange.timescales import iso_utc, parse_utc, time_grid

    with guard(as_json):
        fmt = export_format(out_file)
        span_s = parse_duration_option(span, "--span")
        step_s = parse_duration_option(step, "--step")
        if db is None and not catalog:
            raise ValueError("give the catalog to draw with --db or --catalog")
        src = load_source(db, catalog)
        rows = []
        if events is not None:
            if not events.exists():
                raise ValueError(f"--events {events}: no such file")
            rows = json.loads(events.read_text()).get("events", [])
        wanted = set(norad or [])
        if not wanted:
            wanted = {int(r[k]) for r in rows for k in ("norad_id_1", "norad_id_2")}
        ids = np.asarray(src.norad_ids)
        idx = np.flatnonzero(np.isin(ids, list(wanted))) if wanted else np.arange(len(ids))
        if wanted and len(idx) < len(wanted):
            lost = sorted(wanted - set(ids[idx].tolist()))
            raise ValueError(f"objects {lost[:5]} are not in the catalog given")
        idx = idx[:limit]
        t0 = parse_utc(start) if start else src.median_epoch()
        times = time_grid(t0, span_s, step_s)
        tles = [src.tles[i] for i in idx]
        names = [src.names[i] for i in idx]
        marks = _event_marks(rows, src)
        with working(f"writing {len(idx)} objects and {len(marks)} events to {out_file}"):
            if fmt == "czml":
                eph = propagate(tles, times, "gcrs")
                n = write_czml(out_file, ids[idx], names, times, eph.r, eph.status, marks)
            else:
                eph = propagate(tles, times, "geodetic")
                n = write_kml(out_file, ids[idx], names, eph.r, eph.status, marks)
    result = {
        "out_file": str(out_file),
        "format": fmt,
        "objects": int(len(idx)),
        "events": len(marks),
        "features": n,
        "start_utc": iso_utc(times[0]),
        "span_s": span_s,
    }
    emit(result, as_json, lambda r: out.print(f"wrote {r['out_file']}: {r['objects']} objects, "
                                              f"{r['events']} events ({r['format']})"))  # fmt: skip
