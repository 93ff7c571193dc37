"""``spacerange propagate``: batch SGP4 of a catalog into an ephemeris file."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

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
)

#: Ephemeris formats by extension.
EPHEMERIS_FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".oem": "oem",
    ".xml": "oem-xml",
}


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def run_propagation(src, times, frame: str, out_file: Path | None, workers: int | None):
    """Propagate ``src`` at ``times``; write ``out_file`` if given.  Returns a summary dict."""
    from spacerange.propagation.output import format_from_path, write_ephemeris
    from spacerange.propagation.sgp4_batch import iter_propagate
    from spacerange.propagation.status import PropagationStatus

    if out_file is not None:
        format_from_path(out_file)  # fail before the work on a bad suffix
    counts: Counter = Counter()
    failed_objects = Counter()
    t0 = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task("propagating", total=len(src.elsets))

        def blocks():
            for blk in iter_propagate(src.tles, times, frame=frame, workers=workers):
                codes, n = np.unique(blk.status, return_counts=True)
                counts.update({int(c): int(k) for c, k in zip(codes, n, strict=True)})
                worst = blk.status.max(axis=1)
                for c in np.unique(worst[worst > 0]):
                    failed_objects[int(c)] += int((worst == c).sum())
                bar.update(task, completed=blk.stop)
                yield blk

        if out_file is not None:
            write_ephemeris(out_file, blocks(), src.norad_ids, src.names, times, frame)
        else:
            for _ in blocks():
                pass
    seconds = time.perf_counter() - t0
    n_states = len(src.elsets) * len(times)
    return {
        "objects": len(src.elsets),
        "times": len(times),
        "states": n_states,
        "frame": frame,
        "start_utc": times[0],
        "stop_utc": times[-1],
        "status": {PropagationStatus(c).label: n for c, n in sorted(counts.items())},
        "objects_with_failures": {
            PropagationStatus(c).label: n for c, n in sorted(failed_objects.items())
        },
        "out_file": str(out_file) if out_file else None,
        "wall_s": round(seconds, 3),
        "states_per_s": round(n_states / seconds) if seconds > 0 else None,
    }


@app.command()
def propagate(
    db: Path = typer.Option(None, "--db", help="SQLite catalog database."),
    catalog: list[Path] = typer.Option(
        None, "--catalog", help="Element file(s) (TLE, OMM, GP); repeat for several."
    ),
    synthetic: int = typer.Option(None, "--synthetic", help=SYNTHETIC_HELP),
    start: str = typer.Option(
        None, "--start", help="ISO 8601 UTC start (default: the median epoch of the catalog)."
    ),
    span: str = typer.Option("1d", "--span", help="Duration, e.g. 90min, 24h, 7d, 1d6h30m."),
    step: str = typer.Option("60s", "--step", help="Output step, e.g. 10s, 60s, 5min."),
    frame: str = typer.Option("teme", "--frame", help="teme, gcrs, itrs or geodetic."),
    out_file: Path = typer.Option(
        None,
        "--out",
        help="Ephemeris file: .parquet, .csv, .oem (CCSDS OEM KVN) or .xml (OEM XML).",
    ),
    workers: int = typer.Option(None, "--workers", help="Processes (default: one per core)."),
    max_elset_age: float = MAX_ELSET_AGE_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Propagate every object of a catalog with SGP4 (failed states are reported by status, never passed on as numbers)."""
    from spacerange.frames import FRAMES
    from spacerange.timescales import parse_utc, time_grid

    with guard(as_json):
        if frame not in FRAMES:
            raise ValueError(f"--frame {frame!r}: expected one of {', '.join(FRAMES)}")
        span_s = parse_duration_option(span, "--span", positive=False)
        step_s = parse_duration_option(step, "--step")
        if out_file is not None:
            output_format(out_file, EPHEMERIS_FORMATS)
        window = None
        if start:
            t0 = parse_utc(start)
            window = (t0, t0 + np.timedelta64(int(span_s * 1e6), "us"))
        src = load_source(db, catalog, synthetic, window=window, max_age_days=max_elset_age)
        if not src.elsets:
            raise ValueError(f"no valid element sets in {src.label}")
        if not start:
            t0 = src.median_epoch()
        times = time_grid(t0, span_s, step_s)
        result = run_propagation(src, times, frame, out_file, workers)
        result["catalog"] = src.label
        result["rejected"] = len(src.rejects)
        result["elset_selection"] = src.selection

    def render(r: dict) -> None:
        out.print(
            f"propagated [bold]{r['objects']}[/] objects x {r['times']} times "
            f"({r['states']:,} states, {r['frame'].upper()}) in {r['wall_s']} s "
            f"= {r['states_per_s']:,} states/s"
        )
        for label, n in r["objects_with_failures"].items():
            out.print(f"  [yellow]{n} object(s) stopped with status {label}[/]")
        if r["out_file"]:
            out.print(f"wrote {r['out_file']}")

    emit(result, as_json, render)
