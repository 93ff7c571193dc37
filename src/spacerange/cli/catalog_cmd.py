"""``spacerange catalog ...``: import, list and synthesize catalogs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from spacerange.cli.app import app
from spacerange.cli.common import emit, err, guard, out, require_files

catalog_app = typer.Typer(help="Import, list and synthesize object catalogs.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")

DEFAULT_DB = Path("spacerange.db")


@catalog_app.command("import")
def import_(
    files: list[Path] = typer.Argument(
        ...,
        help="TLE/3LE, CelesTrak GP JSON/CSV, CCSDS OMM "
        "(KVN/XML), GCAT TSV, SATCAT CSV or CARA HBR CSV files.",
    ),
    db: Path = typer.Option(
        DEFAULT_DB, "--db", help="SQLite catalog database (created if absent)."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Any rejected record fails the whole import; nothing is stored."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Import element sets and metadata; every element set ever imported is kept."""
    from spacerange.catalog.importer import import_files
    from spacerange.catalog.store import SqliteCatalogStore
    from spacerange.errors import ImportRejected

    with guard(as_json):
        require_files(files, "catalog import")  # before the database is created
        with SqliteCatalogStore(db) as store:
            try:
                report = import_files(files, store, strict=strict)
            except ImportRejected:
                raise
            total = store.count_objects()
    result = {**report.as_dict(), "objects_in_db": total, "db": str(db)}
    # The contract: "objects" is the number of objects in the catalog after the import.
    result["objects_imported"] = result["objects"]
    result["objects"] = total

    def render(r: dict) -> None:
        out.print(
            f"imported [bold]{r['imported']}[/] element sets "
            f"({r['duplicates']} already stored), rejected [bold]{r['rejected']}[/], "
            f"{r['objects']} objects in {r['db']}"
        )
        for rej in r["rejects"][:50]:
            err.print(f"[yellow]rejected[/] {rej['file']}:{rej['line']}: {rej['reason']}")
        if len(r["rejects"]) > 50:
            err.print(f"... and {len(r['rejects']) - 50} more rejects (use --json for all)")

    emit(result, as_json, render)


@catalog_app.command("list")
def list_(
    db: Path = typer.Option(DEFAULT_DB, "--db", help="SQLite catalog database."),
    type_: list[str] = typer.Option(
        None, "--type", help="PAYLOAD, ROCKET BODY, DEBRIS or UNKNOWN."
    ),
    owner: list[str] = typer.Option(
        None,
        "--owner",
        help="Owner code, GCAT or SATCAT spelling (e.g. US, CN or PRC, RU or CIS, F or FR, I-ESA or ESA); repeatable.",
    ),
    regime: str = typer.Option(None, "--regime", help="LEO, MEO, GEO, IGSO, GTO or HEO."),
    limit: int = typer.Option(50, "--limit", help="Rows shown in the table (JSON lists all)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """List catalogued objects with their latest element set."""
    from spacerange.catalog.regime import REGIMES, regimes_from_mean_motion
    from spacerange.catalog.store import SqliteCatalogStore

    with guard(as_json):
        if not db.exists():
            raise ValueError(f"{db}: no such catalog database (create it with 'catalog import')")
        if regime is not None and regime.upper() not in REGIMES:
            raise ValueError(f"--regime {regime!r}: expected one of {', '.join(REGIMES)}")
        with SqliteCatalogStore(db) as store:
            objs = store.list_objects(types=type_ or None, owners=owner or None, regime=regime)
    rows = []
    import numpy as np

    from spacerange.timescales import iso_utc, parse_utc

    if objs:
        el = [o.element_sets[0] for o in objs]
        labels = regimes_from_mean_motion(
            np.array([e.mean_motion_rev_day for e in el]),
            np.array([e.eccentricity for e in el]),
            np.array([e.inclination_deg for e in el]),
        )
    for o, lab in zip(objs, labels if objs else [], strict=True):
        e = o.element_sets[0]
        rows.append(
            {
                "norad_id": o.norad_id,
                "name": o.name,
                "cospar_id": o.cospar_id,
                "type": o.object_type.value,
                "owner": o.owner,
                "regime": str(lab),
                "epoch_utc": iso_utc(parse_utc(e.epoch)),
                "perigee_km": round(e.perigee_alt_km, 1),
                "apogee_km": round(e.apogee_alt_km, 1),
                "inclination_deg": e.inclination_deg,
            }
        )

    columns = (
        "norad_id",
        "name",
        "type",
        "owner",
        "regime",
        "perigee_km",
        "apogee_km",
        "inclination_deg",
        "epoch_utc",
    )

    def render(r: dict) -> None:
        t = Table(title=f"{r['count']} objects")
        for c in columns:
            t.add_column(c, justify="right" if c.endswith(("_km", "_deg", "_id")) else "left")
        for row in r["objects"][:limit]:
            t.add_row(*(str(row[c])[:19] if c == "epoch_utc" else str(row[c]) for c in columns))
        out.print(t)

    emit({"count": len(rows), "objects": rows}, as_json, render)


@catalog_app.command("synth")
def synth(
    n: int = typer.Option(30_000, "--n", min=1, help="Number of objects."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same catalog)."),
    out_file: Path = typer.Option(Path("synthetic.tle"), "--out", help="3LE file to write."),
    epoch: str = typer.Option(
        None,
        "--epoch",
        help="Reference epoch, ISO 8601 UTC (default 2023-10-09T00:00Z, the real snapshot's median).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Generate the synthetic population that is the default world (fitted to the real catalog's distributions)."""
    import collections

    from spacerange.catalog.synth import synthesize, write_tle
    from spacerange.timescales import parse_utc, to_datetime

    with guard(as_json):
        ep = to_datetime(parse_utc(epoch)) if epoch else None
        pop = synthesize(n, seed, ep) if ep else synthesize(n, seed)
        write_tle(out_file, pop)
    types = collections.Counter(o.object_type.value for o in pop.objects)
    result = {
        "objects": len(pop.elsets),
        "seed": seed,
        "out_file": str(out_file),
        "types": dict(types),
    }

    def render(r: dict) -> None:
        out.print(
            f"wrote {r['objects']} objects to {r['out_file']} (seed {r['seed']}): "
            + ", ".join(f"{k} {v}" for k, v in sorted(r["types"].items()))
        )

    emit(result, as_json, render)


@catalog_app.command("fetch")
def fetch(
    source: str = typer.Option(
        "celestrak", "--source", help="celestrak (GP JSON, no account) or spacetrack."
    ),
    group: str = typer.Option(
        "active", "--group", help="CelesTrak group, e.g. active, stations, gps-ops."
    ),
    norad: list[int] = typer.Option(
        None, "--norad", help="Space-Track: these objects (repeatable); default: recent epochs."
    ),
    days: float = typer.Option(
        30.0, "--days", help="Space-Track without --norad: objects with an epoch this recent."
    ),
    db: Path = typer.Option(None, "--db", help="Also import into this catalog database."),
    cache_dir: Path = typer.Option(
        None, "--cache-dir", help="Download cache (default $SPACERANGE_CACHE or ~/.cache)."
    ),
    force: bool = typer.Option(
        False, "--force", help="CelesTrak: download even if the cache is under 2 h old."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Download current element sets (optional, the only command that uses the network);
    credentials for Space-Track come from SPACETRACK_IDENTITY and SPACETRACK_PASSWORD."""
    from spacerange.catalog.fetch import fetch_celestrak, fetch_spacetrack

    with guard(as_json):
        if source == "celestrak":
            res = fetch_celestrak(group, cache_dir, force=force)
        elif source == "spacetrack":
            res = fetch_spacetrack(norad or (), days, cache_dir)
        else:
            raise ValueError(f"--source {source!r}: expected celestrak or spacetrack")
        result = res.as_dict()
        if db is not None:
            from spacerange.catalog.importer import import_files
            from spacerange.catalog.store import SqliteCatalogStore

            with SqliteCatalogStore(db) as store:
                report = import_files([res.path], store)
                result["import"] = {**report.as_dict(), "db": str(db)}
                newest = store.latest_element_sets()
            if newest:
                import time

                age = time.time() - max(e.epoch.timestamp() for e in newest)
                result["newest_epoch_age_s"] = round(age, 1)

    def render(r: dict) -> None:
        out.print(
            f"{r['source']}: {r['file']} (fetched {r['fetched_utc']}, "
            f"{'cache' if r['from_cache'] else 'downloaded'})"
        )
        for w in r["warnings"]:
            err.print(f"[yellow]{w}[/]")
        if "import" in r:
            i = r["import"]
            out.print(f"imported {i['imported']} element sets into {i['db']}")

    emit(result, as_json, render)
