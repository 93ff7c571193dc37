"""``spacerange screen``: conjunction screening of a catalog."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from spacerange.cli.app import app
from spacerange.cli.common import (
    MAX_ELSET_AGE_OPT,
    SYNTHETIC_HELP,
    emit,
    err,
    guard,
    load_source,
    out,
    output_format,
    parse_duration_option,
    require_files,
    working,
)
from spacerange.conjunction.thresholds import PC_ALERT


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


def _parse_pair(text: str) -> tuple[int, int]:
    """``25544:49044`` -> (25544, 49044)."""
    try:
        a, b = text.split(":")
        return int(a), int(b)
    except ValueError:
        raise ValueError(f"--associated {text!r}: expected two NORAD ids as ID:ID") from None


def _screen_ephemerides(
    files, primaries, db, catalog, synthetic, start, span_s, thr_km, hbr_table, max_age
) -> dict:
    """Owner ephemerides (OEM) and/or numerically propagated primaries against a catalog."""
    import time

    import numpy as np

    from spacerange.conjunction.ephemeris_screening import (
        assess_ephemeris_events,
        primaries_from_file,
        primary_numerical,
        screen_ephemeris,
    )
    from spacerange.conjunction.hbr import HbrTable
    from spacerange.timescales import parse_utc

    t_start = time.perf_counter()
    window = None
    if start:
        t0 = parse_utc(start)
        window = (t0, t0 + np.timedelta64(int(span_s * 1e6), "us"))
    src = load_source(db, catalog, synthetic, window=window, max_age_days=max_age)
    ids = {str(e.cospar_id): e.norad_id for e in src.elsets if e.cospar_id}
    ids.update({e.name.strip(): e.norad_id for e in src.elsets if e.name})
    prims = []
    for f in files:
        if not Path(f).exists():
            raise ValueError(f"--ephemeris {f}: no such file")
        prims += primaries_from_file(f, ids)
    pos = {int(n): k for k, n in enumerate(src.norad_ids)}
    for p in primaries:
        if p not in pos:
            raise ValueError(f"--primary {p}: not in the catalog ({src.label})")
        if not start:
            raise ValueError("--primary-propagator numerical needs --start")
        e = src.elsets[pos[p]]
        prims.append(primary_numerical(p, e.name, (e.line1, e.line2), t0, span_s))
    if not prims:
        raise ValueError("give --ephemeris files or --primary with --primary-propagator")
    table = HbrTable.from_cara_csv(hbr_table) if hbr_table else None
    rows, per_primary = [], []
    for prim in prims:
        own = [pos[prim.norad_id]] if prim.norad_id in pos else []
        ev = screen_ephemeris(prim, src.tles, thr_km, exclude=own)
        got = assess_ephemeris_events(prim, ev, src.elsets, table)
        rows += got
        per_primary.append(
            {
                "norad_id": prim.norad_id,
                "name": prim.name,
                "source": prim.source,
                "segments": len(prim.segments),
                "covariances": len(prim.covariances),
                "objects_screened": ev.objects_screened,
                "failed_objects": ev.failed_objects,
                "events": len(got),
                "own_element_set_excluded": bool(own),
            }
        )
    rows.sort(key=lambda r: (-(r["pc"] or 0.0), r["miss_m"]))
    return {
        "objects": len(src.elsets),
        "primaries": per_primary,
        "events": len(rows),
        "threshold_km": thr_km,
        "ephemeris_events": rows,
        "elset_selection": src.selection,
        "wall_s": round(time.perf_counter() - t_start, 3),
    }


def _render_ephemeris(r: dict) -> None:
    t = Table(title=f"{r['events']} close approaches of {len(r['primaries'])} ephemerides")
    for col in ("TCA (UTC)", "primary", "secondary", "miss m", "m/s", "Pc"):
        t.add_column(col)
    for e in r["ephemeris_events"][:20]:
        t.add_row(e["tca_utc"][:19], f"{e['norad_id_1']} {e['name_1']}",
                  f"{e['norad_id_2']} {e['name_2']}", f"{e['miss_m']:.1f}",
                  f"{e['relative_speed_m_s']:.1f}", "n/a" if e["pc"] is None else f"{e['pc']:.2e}")  # fmt: skip
    out.print(t)


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
    cdm_format: str = typer.Option(
        "KVN", "--cdm-format", help="CDM encoding: KVN (.cdm) or XML (.xml, CCSDS NDM/XML)."
    ),
    report: Path = typer.Option(None, "--report", help="SOCRATES-like text report file (.txt)."),
    hbr: float = typer.Option(None, "--hbr", help="Combined hard-body radius override, m."),
    hbr_table: Path = typer.Option(
        None,
        "--hbr-table",
        help="Per-object HBR table (NASA CARA HBR_Mass_Estimates CSV format); default: the "
        "estimates imported into --db, then defaults by object type.",
    ),
    workers: int = typer.Option(None, "--workers", help="Local processes (default: cores)."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler tcp://HOST:PORT."),
    step: str = typer.Option(
        "20s", "--step", help="Sieve step (duration, e.g. 20s; a speed/memory trade)."
    ),
    associated: list[str] = typer.Option(
        None,
        "--associated",
        metavar="ID:ID",
        help="A pair known to fly together (docked, formation), e.g. 25544:49044; repeatable. "
        "Slow pairs that meet every orbit or share a launch are found without it.",
    ),
    ephemeris: list[Path] = typer.Option(
        None,
        "--ephemeris",
        help="Owner/operator ephemeris (CCSDS OEM, KVN or XML, or OCM, KVN; with covariance "
        "and planned manoeuvres) to screen against the catalog as a primary; repeatable.",
    ),
    primary_propagator: str = typer.Option(
        "sgp4",
        "--primary-propagator",
        help="sgp4, or numerical: each --primary's SGP4 state at --start propagated by "
        "Cowell (8x8 EGM96, drag, SRP, Sun, Moon) and screened as an ephemeris.",
    ),
    max_elset_age: float = MAX_ELSET_AGE_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Find close approaches (TCA, miss, RTN, relative speed, Pc) over a window."""
    import numpy as np

    from spacerange.conjunction.assessment import assess, socrates_report, write_cdms
    from spacerange.conjunction.associations import separate_associations
    from spacerange.conjunction.screening import ScreeningConfig
    from spacerange.conjunction.screening import screen as run_screen
    from spacerange.timescales import parse_utc

    with guard(as_json):
        thr, ell = _parse_threshold(threshold)
        span_s = parse_duration_option(span, "--span")
        step_s = parse_duration_option(step, "--step")
        if out_file is not None:
            output_format(out_file, {".parquet": "parquet", ".csv": "csv", ".json": "json"})
        if cdm_format.upper() not in ("KVN", "XML"):
            raise ValueError(f"--cdm-format {cdm_format!r}: KVN or XML")
        if report is not None:
            output_format(report, {".txt": "text"}, "--report")
        if hbr_table is not None:
            require_files([hbr_table], "--hbr-table")
        if primary_propagator not in ("sgp4", "numerical"):
            raise ValueError(f"--primary-propagator {primary_propagator!r}: sgp4 or numerical")
        if ephemeris or primary_propagator == "numerical":
            if ell is not None:
                raise ValueError("ephemeris screening takes one miss distance, not an ellipsoid")
            result = _screen_ephemerides(
                ephemeris or [], primary or [], db, catalog, synthetic, start, span_s, thr,
                hbr_table, max_elset_age,
            )  # fmt: skip
            emit(result, as_json, _render_ephemeris)
            return
        window = None
        if start:
            t0 = parse_utc(start)
            window = (t0, t0 + np.timedelta64(int(span_s * 1e6), "us"))
        src = load_source(db, catalog, synthetic, window=window, max_age_days=max_elset_age)
        if len(src.elsets) < 2:
            raise ValueError(f"{src.label}: need at least two objects to screen")
        if not start:
            t0 = src.median_epoch()
        prim_idx = None
        if primary:
            pos = {int(n): k for k, n in enumerate(src.norad_ids)}
            missing = [p for p in primary if p not in pos]
            stale = {s["norad_id"]: s for s in (src.selection or {}).get("stale", [])}
            if any(p in stale for p in missing):
                raise ValueError(
                    "--primary: "
                    + "; ".join(f"{p}: {stale[p]['reason']}" for p in missing if p in stale)
                    + " (--max-elset-age raises the limit)"
                )
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
        assocs = separate_associations(
            res,
            src.norad_ids,
            np.array([e.cospar_id for e in src.elsets], dtype=object),
            known_pairs=[_parse_pair(p) for p in associated or []],
        )
        from spacerange.conjunction.hbr import HbrTable

        table_hbr, object_types = None, None
        if hbr_table is not None:
            table_hbr = HbrTable.from_cara_csv(hbr_table)
        if db is not None:
            # the store's metadata: HBR estimates (unless a table is given) and object types
            from spacerange.catalog.store import SqliteCatalogStore

            with SqliteCatalogStore(db) as store:
                if table_hbr is None:
                    table_hbr = HbrTable.from_store(store)
                types = {
                    o.norad_id: o.object_type.value for o in store.list_objects(with_elements=False)
                }
            object_types = [types.get(e.norad_id, "UNKNOWN") for e in src.elsets]
        table, extra = assess(
            res, src.elsets, object_types, hbr_table=table_hbr, hbr_override_m=hbr
        )
        if out_file:
            table.write(out_file)
        cdms = (
            write_cdms(
                table, extra, res, cdm_dir, fmt=cdm_format, volume_rtn_km=ell or (thr, thr, thr)
            )  # fmt: skip
            if cdm_dir
            else []
        )
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
        "cdm_dir": str(cdm_dir) if cdm_dir else None,
        "max_pc": float(np.nanmax(pcs)) if len(pcs) else None,
        "events_pc_above_1e-4": int(np.sum(pcs >= PC_ALERT)),
        "associations": [a.as_dict() for a in assocs],
        "elset_selection": src.selection,
        "stages_s": {k: round(v, 3) for k, v in res.stages_s.items()},
    }

    def render(r: dict) -> None:
        t = Table(
            title=f"{r['events']} close approaches < {threshold} "
            f"({r['pairs_screened']:,} pairs, {r['wall_s']} s)"
        )
        for col in ("TCA (UTC)", "object 1", "object 2", "miss m", "m/s", "Pc"):
            t.add_column(col, justify="right" if col in ("miss m", "m/s", "Pc") else "left")
        c = table.columns
        for k in table.order_by("pc", descending=True)[:15]:
            t.add_row(
                str(c["tca_utc"][k])[:19],
                f"{c['norad_id_1'][k]} {c['name_1'][k]}",
                f"{c['norad_id_2'][k]} {c['name_2'][k]}",
                f"{c['miss_m'][k]:.1f}",
                f"{c['relative_speed_m_s'][k]:.1f}",
                f"{c['pc'][k]:.2e}",
            )
        out.print(t)
        if r["events_file"]:
            out.print(f"events: {r['events_file']}")
        if r["cdms"]:
            out.print(f"{r['cdms']} CDMs in {cdm_dir}")
        if r["associations"]:
            out.print(
                f"{len(r['associations'])} associated pairs (docked or formation), "
                "not counted as conjunctions: "
                + ", ".join(f"{a['norad_id_1']}-{a['norad_id_2']}" for a in r["associations"])
            )

    emit(result, as_json, render)
