"""``spacerange pc FILE.cdm...``: collision probability from CCSDS CDMs (KVN or XML).

JSON contract (``--json``; one object on stdout)::

    {"results": [{"file": ..., "pc": ..., "method": ..., "reason": ..., "ci95": [lo, hi] | null,
                  "miss_m": ..., "warnings": [...],
                  "tca": ..., "relative_speed_m_s": ..., "hbr_m": ..., "hbr_source": ...,
                  "flags": {...}, "message_id": ..., "index": ...},
                 {"file": ..., "line": ..., "error": "reason"}]}

One entry per CDM (an XML ``<ndm>`` file may hold several, numbered by ``index``); a file or
message that cannot be parsed or evaluated gives an entry with ``error`` (line 0 when the
problem is not tied to a line) and the other files are still processed.  ``pc`` is ``null``
when undefined (zero relative speed).  Exit code: 0 when at least one CDM gave a result,
1 when every file failed (or on a usage error).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from spacerange.cli.app import app
from spacerange.cli.common import emit, err, guard, out, parse_duration_option

METHODS = ("foster", "chan", "max", "mc", "nc3d", "sdmc", "auto")


def _error_entry(file: str, exc: Exception) -> dict:
    line = getattr(exc, "line", None)  # None: the error is not about one line of the file
    reason = getattr(exc, "reason", None) or str(exc)
    # The shape of every error in docs/vocabulary.md: "error" is the message.
    return {"file": file, "line": int(line) if line else None, "error": reason}


def _pair_ids(cdm) -> dict:
    """``norad_id_1``/``norad_id_2`` from the CDM's OBJECT_DESIGNATORs (integers; None when
    a designator is not a catalog number)."""
    ids = {}
    for k, obj in ((1, cdm.object1), (2, cdm.object2)):
        text = str(obj.metadata.get("OBJECT_DESIGNATOR", "")).strip()
        ids[f"norad_id_{k}"] = int(text) if text.isdigit() else None
    return ids


def _vocabulary(d: dict) -> dict:
    """A Pc result in the CLI vocabulary (docs/vocabulary.md): times are ``*_utc``."""
    if "tca" in d:
        d["tca_utc"] = d.pop("tca")
    return d


def evaluate_files(files: list[Path], method: str, hbr_m: float | None, **kw) -> list[dict]:
    """One result or error dict per CDM in ``files`` (see the module docstring)."""
    from spacerange.ccsds import read_cdm
    from spacerange.conjunction.cdm_pc import pc_from_cdm
    from spacerange.errors import SpacerangeError

    results: list[dict] = []
    for path in files:
        name = str(path)
        try:
            # with a default covariance to substitute, an absent covariance block is no error
            cdms = read_cdm(
                path, file=name, require_covariance=not kw.get("default_covariance", False)
            )
        except (SpacerangeError, ValueError, OSError) as exc:
            results.append(_error_entry(name, exc))
            continue
        for i, cdm in enumerate(cdms):
            try:
                res = pc_from_cdm(cdm, method, hbr_m, **kw)
            except (SpacerangeError, ValueError, OSError) as exc:
                results.append({**_error_entry(name, exc), "index": i})
                continue
            results.append({"file": name, "index": i, **_pair_ids(cdm),
                            **_vocabulary(res.as_dict())})  # fmt: skip
    return results


@app.command("pc")
def pc(
    files: list[Path] = typer.Argument(..., help="CCSDS CDM files (KVN or XML)."),
    method: str = typer.Option(
        "auto",
        "--method",
        help="auto (default: 2-D where valid, else 3-D Nc, else SDMC; see docs/pc.md) | "
        "foster | chan | max | mc | nc3d | sdmc.",
    ),
    hbr: float = typer.Option(
        None,
        "--hbr",
        help="Combined hard-body radius override, m "
        "(default: CDM HBR / COMMENT HBR / AREA_PC, else CARA table "
        "or type defaults).",
    ),
    hbr_table: Path = typer.Option(
        None, "--hbr-table", help="NASA CARA HBR_Mass_Estimates CSV used when the CDM gives no HBR."
    ),
    default_covariance: bool = typer.Option(
        False,
        "--default-covariance",
        help="Use the default TLE covariance model for an object whose CDM covariance is missing.",
    ),
    samples: int = typer.Option(
        100_000, "--samples", min=1, help="Monte Carlo trials (mc; minimum for sdmc)."
    ),
    seed: int = typer.Option(0, "--seed", help="Monte Carlo seed (mc, sdmc, auto)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Collision probability of each CDM (method chosen per CDM by default). Exit 1 only if every file failed."""
    with guard(as_json):
        if method not in METHODS:
            raise ValueError(f"--method {method!r}: expected one of {', '.join(METHODS)}")
        if hbr is not None and not hbr > 0:
            raise ValueError(f"--hbr {hbr}: must be a positive radius in metres")
        table = None
        if hbr_table is not None:
            from spacerange.conjunction.hbr import HbrTable

            table = HbrTable.from_cara_csv(hbr_table)
        results = evaluate_files(
            files, method, hbr, hbr_table=table, default_covariance=default_covariance,
            n_samples=samples, seed=seed,
        )  # fmt: skip

    def render(r: dict) -> None:
        t = Table(title=f"Collision probability ({method})")
        for c, j in (("file", "left"), ("TCA (UTC)", "left"), ("miss m", "right"),
                     ("speed m/s", "right"), ("HBR m", "right"), ("HBR source", "left"),
                     ("Pc", "right"), ("warnings", "right")):  # fmt: skip
            t.add_column(c, justify=j)
        for e in r["results"]:
            if "error" in e:
                continue
            pcv = "NaN" if e["pc"] is None else f"{e['pc']:.3g}"
            t.add_row(
                Path(e["file"]).name, (e["tca_utc"] or "")[:23], f"{e['miss_m']:.1f}",
                f"{e['relative_speed_m_s']:.1f}", f"{e['hbr_m']:.2f}", e["hbr_source"],
                pcv, str(len(e["warnings"])),
            )  # fmt: skip
        out.print(t)
        for e in r["results"]:
            if "error" in e:
                where = f"{e['file']}:{e['line']}" if e["line"] else e["file"]
                err.print(f"[bold red]error:[/] {where}: {e['error']}")
            else:
                for w in e["warnings"]:
                    err.print(f"[yellow]warning:[/] {Path(e['file']).name}: {w}")

    emit({"results": results}, as_json, render)
    per_file: dict[str, bool] = {}
    for e in results:
        per_file[e["file"]] = per_file.get(e["file"], False) or "error" not in e
    if not any(per_file.values()):
        if not as_json:
            err.print("[bold red]error:[/] every file failed")
        raise typer.Exit(1)


@app.command("events")
def events(
    files: list[Path] = typer.Argument(
        ...,
        help="CDM files (KVN or XML), screening events tables (screen --out .json/.parquet/"
        ".csv), saved screen --json outputs, or directories of them (screen --cdm-dir); "
        "any order.",
    ),
    method: str = typer.Option("auto", "--method", help="Pc method per CDM (as for `pc`)."),
    tca_tolerance: str = typer.Option(
        "10m",
        "--tca-tolerance",
        help="Same event when TCAs differ by at most this (duration, e.g. 10m, 90s).",
    ),
    hbr: float = typer.Option(None, "--hbr", help="Combined hard-body radius override, m."),
    plot: Path = typer.Option(
        None,
        "--plot",
        metavar="DIR",
        help="Write one PNG per event here: Pc and miss distance against hours to TCA "
        "(each event's plot_file in the output).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Conjunction event histories: successive CDMs or screenings of one pair and TCA as one
    event, with the latest Pc/miss/covariance and their trend (see conjunction.event_history)."""
    with guard(as_json):
        if method not in METHODS:
            raise ValueError(f"--method {method!r}: expected one of {', '.join(METHODS)}")
        if hbr is not None and not hbr > 0:
            raise ValueError(f"--hbr {hbr}: must be a positive radius in metres")
        from spacerange.conjunction.event_history import group_events, load_records

        records, errors = load_records(files, method, hbr)
        grouped = group_events(
            records, parse_duration_option(tca_tolerance, "--tca-tolerance", positive=False)
        )
        evs = [e.as_dict() for e in grouped]
        if plot is not None:
            from spacerange.cli.event_plots import write_event_plots

            for e, path in zip(evs, write_event_plots(grouped, plot), strict=True):
                e["plot_file"] = str(path)

    def render(r: dict) -> None:
        t = Table(title="Conjunction events")
        for c in ("event", "records", "TCA (UTC)", "Pc", "method", "miss m",
                  "trend Pc/miss/cov"):  # fmt: skip
            t.add_column(c)
        for e in r["events"]:
            la = e["latest"]
            pcs = "NaN" if la["pc"] is None else f"{la['pc']:.3g}"
            miss = "NaN" if la["miss_m"] is None else f"{la['miss_m']:.1f}"
            tr = e["trend"]
            t.add_row(e["event_id"], str(e["n_records"]), e["tca_utc"][:23], pcs, la["method"],
                      miss, f"{tr['pc']}/{tr['miss']}/{tr['covariance']}")  # fmt: skip
        out.print(t)
        for x in r["errors"]:
            err.print(f"[bold red]error:[/] {x['file']}: {x['error']}")

    emit({"events": evs, "errors": errors}, as_json, render)
    if not evs and errors:
        raise typer.Exit(1)
