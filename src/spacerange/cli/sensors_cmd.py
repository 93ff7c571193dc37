"""``spacerange sensors list`` and ``spacerange observe``: simulated SSA sensor networks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

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
    require_files,
    working,
)

sensors_app = typer.Typer(help="Simulated SSA sensor networks.", no_args_is_help=True)
app.add_typer(sensors_app, name="sensors")


@sensors_app.command("list")
def sensors_list(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """The bundled network of public SSA sites (nominal performance, approximate coordinates)."""
    from spacerange.sensors.sites import bundled_entries

    with guard(as_json):
        entries = bundled_entries()
        # "sensor_id" (not "id"): one name per concept across commands (docs/vocabulary.md).
        rows = [{"sensor_id": e.get("id"),
                 **{k: e.get(k) for k in ("name", "country", "kind", "lat_deg", "lon_deg",
                                          "alt_m", "min_elevation_deg", "source")}}
                for e in entries]  # fmt: skip
        result = {"sensors": rows, "count": len(rows),
                  "kinds": dict(Counter(r["kind"] for r in rows))}  # fmt: skip

    def render(r: dict) -> None:
        for s in r["sensors"]:
            out.print(
                f"{s['sensor_id']:<20} {s['kind']:<15} {s['country']:<3} "
                f"{s['lat_deg']:9.4f} {s['lon_deg']:10.4f}  {s['name']}"
            )
        out.print(f"{r['count']} sensors: " + ", ".join(f"{n} {k}" for k, n in r["kinds"].items()))

    emit(result, as_json, render)


@app.command()
def observe(
    db: Path = typer.Option(None, "--db", help="SQLite catalog database."),
    catalog: list[Path] = typer.Option(
        None, "--catalog", help="Element file(s) (TLE, OMM, GP); repeat for several."
    ),
    synthetic: int = typer.Option(None, "--synthetic", help=SYNTHETIC_HELP),
    sensors: str = typer.Option("default", "--sensors", help="Network JSON file or 'default'."),
    start: str = typer.Option(
        None, "--start", help="ISO 8601 UTC start (default: the median epoch of the catalog)."
    ),
    span: str = typer.Option("1d", "--span", help="Duration, e.g. 90min, 24h, 1d, 1d6h30m."),
    step: str = typer.Option(
        "60s", "--step", help="Pass-search grid and measurement cadence (duration, e.g. 60s)."
    ),
    out_file: Path = typer.Option(None, "--out", help="TDM output (.tdm/.kvn: KVN, .xml: XML)."),
    priorities: str = typer.Option("", "--priorities", help="NORAD ids, most important first."),
    seed: int = typer.Option(0, "--seed", help="Noise seed."),
    no_noise: bool = typer.Option(False, "--no-noise", help="Noise-free measurements."),
    workers: int = typer.Option(None, "--workers", help="Processes (default: one per core)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Simulate a sensor network observing a catalog; write the measurements as a CCSDS TDM."""
    from spacerange.ccsds.tdm import write_tdm
    from spacerange.sensors.measurements import measurements_to_tdm
    from spacerange.sensors.network import observe as run_observe
    from spacerange.sensors.sites import load_network
    from spacerange.timescales import parse_utc, time_grid

    with guard(as_json):
        span_s = parse_duration_option(span, "--span")
        step_s = parse_duration_option(step, "--step")
        try:
            prio = [int(x) for x in priorities.replace(",", " ").split()]
        except ValueError:
            raise ValueError(
                f"--priorities {priorities!r}: expected NORAD ids, e.g. 25544,20580"
            ) from None
        fmt = "KVN"
        if out_file is not None:
            fmt = output_format(out_file, {".tdm": "KVN", ".kvn": "KVN", ".xml": "XML"})
        if sensors != "default":
            require_files([Path(sensors)], "--sensors")
        network, rejects = load_network(sensors)
        for r in rejects:
            err.print(f"[yellow]rejected sensor:[/] {r}")
        if not network:
            raise ValueError(f"{sensors}: no usable sensor")
        src = load_source(db, catalog, synthetic)
        if not src.elsets:
            raise ValueError(f"no valid element sets in {src.label}")
        t0 = parse_utc(start) if start else src.median_epoch()
        times = time_grid(t0, span_s, step_s)
        with working(f"observing {len(src.elsets)} objects with {len(network)} sensors"):
            run = run_observe(src.tles, src.norad_ids, network, times, names=src.names,
                              priorities=prio, seed=seed, noise=not no_noise,
                              workers=workers)  # fmt: skip
        result = run.summary()
        result["stages_s"] = result.pop("seconds")  # wall seconds per stage (vocabulary)
        n_segments = 0
        if out_file is not None:
            tdm = measurements_to_tdm(run.measurements)
            n_segments = len(tdm.segments)
            write_tdm(tdm, out_file, fmt=fmt)
        result.update(catalog=src.label, start_utc=times[0], stop_utc=times[-1], step_s=step_s,
                      out_file=str(out_file) if out_file else None, tdm_segments=n_segments,
                      sensor_rejects=[r.as_dict() for r in rejects])  # fmt: skip

    def render(r: dict) -> None:
        out.print(
            f"{r['objects_observed']}/{r['objects']} objects observed by "
            f"{r['sensors']} sensors: {r['passes_tasked']} of {r['passes']} passes tasked, "
            f"{r['measurements']:,} measurements"
        )
        for k, n in r["measurements_per_kind"].items():
            out.print(f"  {k:<15} {n:,}")
        if r["out_file"]:
            out.print(f"wrote {r['out_file']} ({r['tdm_segments']} TDM segments)")

    emit(result, as_json, render)
