"""``spacerange demo``: the main job on the embedded default world."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from spacerange.cli.app import app
from spacerange.cli.common import deprecated_alias, emit, err, guard, out


@app.command()
def demo(
    out_dir: Path = typer.Option(
        None, "--out-dir", help="Directory for the products (default out/demo)."
    ),
    out_old: Path = typer.Option(None, "--out", hidden=True, help="Deprecated: use --out-dir."),
    ssa: bool = typer.Option(
        False,
        "--ssa/--no-ssa",
        help="Also run the catalog pipeline (synthesize, import, "
        "propagate a day) before the exercise.",
    ),
    n: int = typer.Option(30_000, "--n", help="Objects in the synthetic world (--ssa)."),
    scenario: str = typer.Option(
        "asterx-demo",
        "--scenario",
        help="Bundled scenario to play, e.g. asterx-demo or training/jamming_report.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Play the bundled AsterX-scale exercise (asterx-demo) with competent autopilots at
    maximum speed and write its after-action report; --ssa first runs the catalog pipeline
    on the embedded synthetic world."""
    with guard(as_json):
        out_dir = deprecated_alias("--out", "--out-dir", out_old, out_dir) or Path("out/demo")
        result: dict = {}
        if ssa:
            result["ssa"] = _ssa_pipeline(out_dir / "ssa", n)
        result["exercise"] = _exercise(out_dir / "exercise", scenario)

    def render(r: dict) -> None:
        if "ssa" in r:
            _render_ssa(r["ssa"])
        x = r["exercise"]
        t = Table(title=f"{x['scenario']}: {x['injects']} injects, {x['threat_types']} threat "
                        f"types, {x['collisions']} collision(s), {x['wall_s']} s")  # fmt: skip
        for c in ("team", "role", "score", "ratings"):
            t.add_column(c)
        for tid, v in x["teams"].items():
            t.add_row(tid, v["role"], "-" if v["score"] is None else f"{v['score']:.1f}",
                      " ".join(f"{k}:{q}" for k, q in v["ratings"].items()))  # fmt: skip
        out.print(t)
        out.print(f"run: {x['run']}  report: {x['report']['html']}")

    emit(result, as_json, render)


def _exercise(run_dir: Path, name: str = "asterx-demo") -> dict:
    import shutil

    from spacerange.cli.common import exercise_progress
    from spacerange.exercise.runner import run_exercise
    from spacerange.scenarios import bundled_scenario

    scenario = bundled_scenario(name)
    if (run_dir / "events.sqlite").exists():
        shutil.rmtree(run_dir)
    err.print(f"playing {scenario.name} at maximum speed (competent autopilots)")
    with exercise_progress() as progress:
        summary = run_exercise(scenario, run_dir, {"blue": "competent", "red": "competent"},
                               "max", progress=progress)  # fmt: skip
    from spacerange.exercise.report import write_report

    rep = write_report(run_dir)
    pdf = getattr(rep, "pdf", None)
    summary["report"] = {"html": str(getattr(rep, "html", rep)),
                         "pdf": None if pdf is None else str(pdf)}  # fmt: skip
    return summary


def _ssa_pipeline(out_dir: Path, n: int) -> dict:
    from spacerange.catalog.importer import import_files
    from spacerange.catalog.regime import regimes_from_mean_motion
    from spacerange.catalog.store import SqliteCatalogStore
    from spacerange.catalog.synth import synthesize, write_tle
    from spacerange.cli.common import CatalogSource
    from spacerange.cli.propagate_cmd import run_propagation
    from spacerange.timescales import time_grid

    out_dir.mkdir(parents=True, exist_ok=True)
    err.print(f"[1/3] synthesizing {n} objects (seed 1)")
    pop = synthesize(n, 1)
    tle_path = write_tle(out_dir / "catalog.tle", pop)
    db_path = out_dir / "catalog.db"
    err.print(f"[2/3] importing into {db_path}")
    with SqliteCatalogStore(db_path) as store:
        report = import_files([tle_path], store)
        elsets = store.latest_element_sets()
    src = CatalogSource(elsets, [e.name for e in elsets], str(db_path), [])
    times = time_grid(src.median_epoch(), 86400.0, 60.0)
    err.print(f"[3/3] propagating {len(elsets)} objects x {len(times)} times")
    prop = run_propagation(src, times, "teme", out_dir / "ephemeris.parquet", None)
    # A small CCSDS OEM of the first payloads, for people and other tools.
    from spacerange.propagation.output import write_ephemeris
    from spacerange.propagation.sgp4_batch import iter_propagate

    k = min(10, len(elsets))
    write_ephemeris(
        out_dir / "ephemeris_sample.oem",
        iter_propagate(src.tles[:k], times, "gcrs", workers=1),
        src.norad_ids[:k],
        src.names[:k],
        times,
        "gcrs",
    )
    labels = regimes_from_mean_motion(
        np.array([e.mean_motion_rev_day for e in elsets]),
        np.array([e.eccentricity for e in elsets]),
        np.array([e.inclination_deg for e in elsets]),
    )
    perigee = np.array([e.perigee_alt_km for e in elsets])
    apogee = np.array([e.apogee_alt_km for e in elsets])
    regimes = {}
    for lab in ("LEO", "MEO", "GEO", "HEO"):
        m = labels == lab
        if m.any():
            regimes[lab] = {
                "objects": int(m.sum()),
                "perigee_km_min": round(float(perigee[m].min()), 1),
                "apogee_km_max": round(float(apogee[m].max()), 1),
            }
    result = {
        "objects": len(elsets),
        "imported": report.imported,
        "regimes": regimes,
        "propagation": prop,
        "files": {
            "catalog": str(tle_path),
            "db": str(db_path),
            "ephemeris": str(out_dir / "ephemeris.parquet"),
            "oem_sample": str(out_dir / "ephemeris_sample.oem"),
        },
    }

    return result


def _render_ssa(r: dict) -> None:
    t = Table(title=f"spacerange demo: {r['objects']} synthetic objects, 24 h at 60 s")
    for c in ("regime", "objects", "min perigee km", "max apogee km"):
        t.add_column(c, justify="right")
    for lab, v in r["regimes"].items():
        t.add_row(lab, str(v["objects"]), str(v["perigee_km_min"]), str(v["apogee_km_max"]))
    out.print(t)
    p = r["propagation"]
    out.print(
        f"propagated {p['states']:,} states in {p['wall_s']} s "
        f"({p['states_per_s']:,} states/s); status: {p['status']}"
    )
    for k, v in r["files"].items():
        out.print(f"  {k}: {v}")
