"""``spacerange screen``: conjunction screening of a catalog."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from spacerange.cli.app import app
from spacerange.cli.common import (
    SYNTHETIC_HELP,
    emit,
    err,
    guard,
    load_source,
    out,
    output_format,
    parse_duration_option,
    working,
)


def _parse_threshold(text: str) -> tuple[float, tuple[float, float, float] | None]:
    """``5km``, ``5``, ``500m`` or an RTN ellipsoid ``1x5x1km``."""
    t = text.strip().lower()
    scale = 1.0
    if t.endswith("km"):
        t = t[:-2]
    elif t.endswith("m"):
        t, scale = t[:-1], 1e-3
    parts = t.split("x")
    try:
        vals = [float(p) * scale for p in parts]
    except ValueError:
        raise ValueError(
            f"--threshold {text!r}: expected e.g. 5km, 500m or 1x5x1km (R x T x N)"
        ) from None
    if len(vals) == 1:
        return vals[0], None
    if len(vals) == 3:
        return max(vals), (vals[0], vals[1], vals[2])
    raise ValueError(f"--threshold {text!r}: give one distance or three RTN semi-axes")


@app.command()
def screen(
    db: Path = typer.Option(None, "--db", help="SQLite catalog database."),
    catalog: list[Path] = typer.Option(
        None, "--catalog", help="Element file(s) (TLE, OMM, GP); repeat for several."
    ),
    synthetic: int = typer.Option(None, "--synthetic", help=SYNTHETIC_HELP),
    start: str = typer.Option(
        None, "--start", help="ISO 8601 UTC start (default: the median epoch of the catalog)."
    ),
    span: str = typer.Option("24h", "--span", help="Window (duration, e.g. 24h, 1d6h), up to 7d."),
    threshold: str = typer.Option(
        "5km",
        "--threshold",
        help="Miss distance, e.g. 5km, or an RTN ellipsoid R x T x N such as 1x5x1km or 2x25x25km.",
    ),
    primary: list[int] = typer.Option(
        None, "--primary", help="NORAD id of a protected asset (repeatable); default all-vs-all."
    ),
    out_file: Path = typer.Option(None, "--out", help="Events table: .parquet, .csv, .json."),
    cdm_dir: Path = typer.Option(None, "--cdm-dir", help="Write one CCSDS CDM per event here."),
    report: Path = typer.Option(None, "--report", help="SOCRATES-like text report file."),
    hbr: float = typer.Option(None, "--hbr", help="Combined hard-body radius override, m."),
    hbr_table: Path = typer.Option(
        None,
        "--hbr-table",
        help="Per-object HBR table (NASA CARA "
        "HBR_Mass_Estimates CSV format); else defaults by type.",
    ),
    workers: int = typer.Option(None, "--workers", help="Local processes (default: cores)."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler tcp://HOST:PORT."),
    step: str = typer.Option(
        "20s", "--step", help="Sieve step (duration, e.g. 20s; a speed/memory trade)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Find close approaches (TCA, miss, RTN, relative speed, Pc) over a window."""
    import numpy as np

    from spacerange.conjunction.assessment import assess, socrates_report, write_cdms
    from spacerange.conjunction.screening import ScreeningConfig
    from spacerange.conjunction.screening import screen as run_screen
    from spacerange.timescales import parse_utc

    with guard(as_json):
        thr, ell = _parse_threshold(threshold)
        span_s = parse_duration_option(span, "--span")
        step_s = parse_duration_option(step, "--step")
        if out_file is not None:
            output_format(out_file, {".parquet": "parquet", ".csv": "csv", ".json": "json"})
        src = load_source(db, catalog, synthetic)
        if len(src.elsets) < 2:
            raise ValueError(f"{src.label}: need at least two objects to screen")
        t0 = parse_utc(start) if start else src.median_epoch()
        prim_idx = None
        if primary:
            pos = {int(n): k for k, n in enumerate(src.norad_ids)}
            missing = [p for p in primary if p not in pos]
            if missing:
                raise ValueError(f"--primary {missing}: not in the catalog ({src.label})")
            prim_idx = [pos[p] for p in primary]
        cfg = ScreeningConfig(threshold_km=thr, ellipsoid_rtn_km=ell, step_s=step_s)
        err.print(
            f"screening {len(src.elsets)} objects over {span} from {t0} "
            f"({'all-vs-all' if prim_idx is None else f'{len(prim_idx)} primaries'})"
        )
        with working(f"screening {len(src.elsets)} objects"):
            res = run_screen(
                src.tles, t0, span_s, cfg, primaries=prim_idx, workers=workers, scheduler=scheduler
            )
        table_hbr = None
        if hbr_table is not None:
            from spacerange.conjunction.hbr import HbrTable

            table_hbr = HbrTable.from_cara_csv(hbr_table)
        table, extra = assess(res, src.elsets, hbr_table=table_hbr, hbr_override_m=hbr)
        if out_file:
            table.write(out_file)
        cdms = write_cdms(table, extra, res, cdm_dir) if cdm_dir else []
        text = socrates_report(table, title=f"spacerange screening of {src.label}")
        if report:
            Path(report).write_text(text + "\n")
    pcs = table.columns["pc"]
    result = {
        "objects": res.n_objects,
        "pairs_screened": res.pairs_screened,
        "events": len(table),
        "wall_s": round(res.seconds, 3),
        "events_file": str(out_file) if out_file else None,
        "start_utc": res.start_utc,
        "span_s": span_s,
        "threshold_km": thr,
        "ellipsoid_rtn_km": list(ell) if ell else None,
        "cdms": len(cdms),
        "max_pc": float(np.nanmax(pcs)) if len(pcs) else None,
        "events_pc_above_1e-4": int(np.sum(pcs >= 1e-4)),
        "stages_s": {k: round(v, 3) for k, v in res.stages_s.items()},
    }

    def render(r: dict) -> None:
        t = Table(
            title=f"{r['events']} close approaches < {threshold} "
            f"({r['pairs_screened']:,} pairs, {r['wall_s']} s)"
        )
        for col in ("TCA (UTC)", "object 1", "object 2", "miss km", "km/s", "Pc"):
            t.add_column(col, justify="right" if col in ("miss km", "km/s", "Pc") else "left")
        c = table.columns
        for k in table.order_by("pc", descending=True)[:15]:
            t.add_row(
                str(c["tca_utc"][k])[:19],
                f"{c['norad_id_1'][k]} {c['name_1'][k]}",
                f"{c['norad_id_2'][k]} {c['name_2'][k]}",
                f"{c['miss_km'][k]:.3f}",
                f"{c['rel_speed_km_s'][k]:.2f}",
                f"{c['pc'][k]:.2e}",
            )
        out.print(t)
        if r["events_file"]:
            out.print(f"events: {r['events_file']}")
        if r["cdms"]:
            out.print(f"{r['cdms']} CDMs in {cdm_dir}")

    emit(result, as_json, render)
