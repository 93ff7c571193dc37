"""``spacerange od``: orbit determination from a CCSDS TDM into an OEM with covariance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer

from spacerange.cli.app import app
from spacerange.cli.common import (
    deprecated_alias,
    emit,
    err,
    guard,
    out,
    output_format,
    require_files,
    working,
)


def _load_sites(path: Path | None):
    from spacerange.od.measurements import DEFAULT_SITES, Site

    if path is None or str(path) == "default":
        # The bundled public network ('spacerange observe' writes its ids) plus the
        # built-in OD test sites.
        from spacerange.od.measurements import sites_from_sensors
        from spacerange.sensors.sites import public_network

        return {**DEFAULT_SITES, **sites_from_sensors(public_network())}
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
        entries = data["sites"] if isinstance(data, dict) else data
        if any(isinstance(d, str) or (isinstance(d, dict) and "name" not in d) for d in entries):
            # an 'observe' network file (bundled ids, sensor descriptions)
            from spacerange.od.measurements import sites_from_sensors
            from spacerange.sensors.sites import load_network

            network, rejects = load_network(entries)
            if rejects:
                raise ValueError("; ".join(str(r) for r in rejects[:3]))
            return sites_from_sensors(network)
        sites = [Site.from_dict(d) for d in entries]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: sites must be a list of {{name, lat_deg, lon_deg, alt_m, "
                         f"sigma}} records ({exc})") from None  # fmt: skip
    return {s.name: s for s in sites}


def run_od(obs_file: Path, catalog: list[Path] | None, sites_file: Path | None,
           out_file: Path | None) -> dict:  # fmt: skip
    """Read, fit, write; returns the summary dict (see the command help)."""
    from spacerange.ccsds.tdm import read_tdm
    from spacerange.od.observations import observations_from_tdm
    from spacerange.od.pipeline import determine_orbits
    from spacerange.od.solution import solutions_to_oem

    sites = _load_sites(sites_file)
    tdms = read_tdm(obs_file)
    unused: dict[str, int] = {}
    obs, rejects = observations_from_tdm(tdms, sites, str(obs_file), unused)
    apriori = {}
    if catalog:
        from spacerange.cli.common import load_source
        from spacerange.od.correlation import catalog_states_gcrs

        src = load_source(None, catalog)
        wanted = set(obs.objects.tolist())
        for e in src.elsets:
            key = str(e.norad_id)
            if key in wanted:
                ep = np.datetime64(e.epoch.replace(tzinfo=None), "us")
                x = catalog_states_gcrs([e], np.array([ep]))[0, 0]
                if np.all(np.isfinite(x)):
                    apriori[key] = (x, ep)
    sols, failures = determine_orbits(obs, apriori) if len(obs) else ([], {})
    spans = {}
    for s in sols:
        t = obs.times_utc[obs.object_id == s.object_id]
        spans[s.object_id] = tuple(float((x - s.epoch_utc).astype("timedelta64[us]")
                                         .astype(np.int64)) / 1e6 for x in (t.min(), t.max()))  # fmt: skip
    good = [s for s in sols if s.converged and np.all(np.isfinite(s.state))]
    if out_file is not None:
        from spacerange.ccsds.oem import write_oem

        # only the orbits that converged: a diverged trial state is not an ephemeris
        fmt = output_format(out_file, {".oem": "KVN", ".kvn": "KVN", ".xml": "XML"})
        write_oem(solutions_to_oem(good, spans), out_file, fmt=fmt)
    fails = [{**_ids(k), "reason": v} for k, v in failures.items()]
    fails += [{**_ids(s.object_id), "reason": s.message or "not converged"}
              for s in sols if not (s.converged and np.all(np.isfinite(s.state)))]  # fmt: skip
    return {
        "solutions": [_vocabulary(s.summary()) for s in sols],
        "objects": len(sols) + len(failures),
        "converged": len(good),
        "failures": fails,
        "failed": [{**_ids(k), "reason": v} for k, v in failures.items()],
        "observations": len(obs),
        "rejects": [r.as_dict() for r in rejects],
        "unused_by_od": unused,
        "apriori": sorted(apriori),
        "out_file": str(out_file) if out_file else None,
    }


def _ids(object_id: str) -> dict:
    """The TDM participant as ``object_id`` (text) and ``norad_id`` (integer, or None when the
    participant is not a catalog number), per docs/vocabulary.md."""
    text = str(object_id)
    return {"object_id": text, "norad_id": int(text) if text.isdigit() else None}


def _vocabulary(summary: dict) -> dict:
    """An OD solution summary in the CLI vocabulary (ids, ``*_utc`` times)."""
    d = dict(summary)
    out = _ids(d.pop("id"))
    if "epoch" in d:
        from spacerange.timescales import iso_utc

        d["epoch_utc"] = iso_utc(d.pop("epoch"))
    out.update(d)
    return out


def _render(res: dict) -> None:
    from rich.table import Table

    tab = Table(title=f"OD: {res['converged']}/{res['objects']} converged")
    for c in ("id", "n_obs", "rms", "pos_sigma_m", "converged"):
        tab.add_column(c)
    for s in res["solutions"]:
        tab.add_row(s["object_id"], str(s["n_obs"]), f"{s['rms']:.3f}" if s["rms"] is not None else "-",
                    f"{s['pos_sigma_m']:.1f}" if s["pos_sigma_m"] is not None else "-",
                    str(s["converged"]))  # fmt: skip
    out.print(tab)
    for r in res["rejects"][:20]:
        err.print(f"[yellow]rejected[/] {r['file']}: {r['reason']}")
    for f in res["failures"]:
        err.print(f"[yellow]no orbit[/] {f['norad_id']}: {f['reason']}")


@app.command("od")
def od(
    obs_file: Path = typer.Argument(..., help="CCSDS TDM (KVN or XML) with the observations."),
    catalog: list[Path] = typer.Option(
        None, "--catalog", help="TLE/OMM file(s): a priori states (else IOD from the first track)."
    ),  # fmt: skip
    sites: str = typer.Option(
        None,
        "--sensors",
        help="Sensor network as for 'observe' ('default' or a network JSON file), or a "
        "JSON/YAML list of sites (name, lat_deg, lon_deg, alt_m, sigma); default: the "
        "built-in network.",
    ),  # fmt: skip
    sites_old: str = typer.Option(None, "--sites", hidden=True, help="Deprecated: use --sensors."),
    out_file: Path = typer.Option(
        None, "--out", help="Write the solutions as an OEM (.oem: KVN, .xml: XML)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Fit orbits (batch least squares, two-body + J2..J4) to tracking data.

    PARTICIPANT_1 names the site, PARTICIPANT_2 the object; RANGE (km),
    DOPPLER_INSTANTANEOUS (range-rate km/s) and ANGLE_1/2 (AZEL or RADEC, deg) are used.
    Bad observations (NaN, unknown sensor, time tags out of order or outside the segment)
    are reported under "rejects" and the rest processed; valid records OD cannot use (RCS,
    MAG, ...) are only counted under "unused_by_od".  One object never fails the run:
    every object without a converged orbit is listed under "failures" as {norad_id, reason}
    and only converged orbits are written to the OEM.
    """
    with guard(as_json):
        sites = deprecated_alias("--sites", "--sensors", sites_old, sites)
        require_files([obs_file])
        if sites is not None and sites != "default":
            require_files([Path(sites)], "--sensors")
        if out_file is not None:
            output_format(out_file, {".oem": "KVN", ".kvn": "KVN", ".xml": "XML"})
        with working(f"orbit determination from {obs_file}"):
            res = run_od(obs_file, catalog, sites, out_file)
        emit(res, as_json, _render)
