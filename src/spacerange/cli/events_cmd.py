"""Space events and countermeasures: ``maneuvers detect``, ``breakup``, ``reentry``,
``avoid``.  Thin shells over :mod:`spacerange.events` and :mod:`spacerange.maneuvers`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import typer

from spacerange.cli.app import app
from spacerange.cli.common import deprecated_alias, emit, guard, out, output_format, working
from spacerange.conjunction.thresholds import PC_ALERT

maneuvers_app = typer.Typer(
    help="Maneuver detection in element-set histories (avoidance planning: spacerange avoid).",
    no_args_is_help=True,
)
app.add_typer(maneuvers_app, name="maneuvers")

JSON_OPT = typer.Option(False, "--json", help="Print one JSON object on stdout.")


def _read_elsets(path: Path | list[Path]):
    """Element sets of one file or several (``--catalog`` may be repeated)."""
    from spacerange.catalog.importer import read_files
    from spacerange.cli.common import require_files

    paths = [path] if isinstance(path, Path) else list(path)
    require_files(paths)
    path = ", ".join(map(str, paths))
    elsets, _, rejects = read_files(paths)
    if not elsets:
        why = "; ".join(str(r) for r in rejects[:3]) or "no element sets found"
        raise ValueError(f"{path}: no usable element sets ({why})")
    return elsets, rejects


def _teme_state(e) -> tuple[np.ndarray, np.datetime64]:
    from sgp4.api import Satrec

    sat = Satrec.twoline2rv(e.line1, e.line2)
    err, r, v = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF)
    if err:
        raise ValueError(f"object {e.norad_id}: SGP4 error {err} at its epoch")
    t = np.datetime64(e.epoch.replace(tzinfo=None), "us")
    return np.array([*r, *v]), t


def _teme_to_gcrs_state(s: np.ndarray, t: np.datetime64) -> np.ndarray:
    from spacerange.frames import teme_to_gcrs

    r, v = teme_to_gcrs(s[None, :3], s[None, 3:], np.array([t]))
    return np.concatenate([r[0], v[0]])


# ----------------------------------------------------------------------- maneuvers detect


@maneuvers_app.command("detect")
def detect_cmd(
    history_file: Path = typer.Argument(..., help="TLE/3LE/OMM/GP file: element-set history"),
    sigma: float = typer.Option(
        None, "--sigma", help="Detection threshold in standard deviations (default 6)."
    ),
    threshold: float = typer.Option(
        None, "--threshold", hidden=True, help="Deprecated: use --sigma."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Detect maneuvers in element-set histories (one report per object in the file)."""
    from spacerange.errors import SpacerangeError
    from spacerange.events.maneuver_detection import detect_maneuvers

    with guard(as_json):
        sigma = deprecated_alias("--threshold", "--sigma", threshold, sigma)
        threshold = 6.0 if sigma is None else sigma
        elsets, rejects = _read_elsets(history_file)
        by_id: dict[int, list] = {}
        for e in elsets:
            by_id.setdefault(e.norad_id, []).append(e)
        objects = []
        skipped = []
        for nid, sets in sorted(by_id.items()):
            try:
                det = detect_maneuvers(sets, threshold_sigma=threshold)
            except (ValueError, SpacerangeError) as exc:
                # Too short a history for this object: say so, analyse the others.
                skipped.append({"norad_id": nid, "element_sets": len(sets), "reason": str(exc)})
                continue
            objects.append({
                "norad_id": nid,
                "element_sets": int(det.epochs_utc.size),
                "sigma_sma_km": det.sigma_sma_km,
                "maneuvers": [ev.as_dict() for ev in det.events],
            })  # fmt: skip
        result = {
            "file": str(history_file),
            "objects": objects,
            "maneuvers": sum(len(o["maneuvers"]) for o in objects),
            "skipped": skipped,
            "rejects": len(rejects),
        }
        if not objects:
            raise ValueError(
                f"{history_file}: no object has a usable history "
                f"({skipped[0]['reason'] if skipped else 'no element sets'})"
            )

    def render(r):
        for o in r["objects"]:
            out.print(f"[bold]{o['norad_id']}[/]: {o['element_sets']} sets, "
                      f"{len(o['maneuvers'])} maneuver(s)")  # fmt: skip
            for m in o["maneuvers"]:
                dv = ", ".join(f"{x:+.3f}" for x in m["dv_rtn_m_s"])
                out.print(f"  {m['epoch_utc']}  dv RTN [{dv}] m/s  (z={m['z_sma']:.1f})")

    emit(result, as_json, render)


# ---------------------------------------------------------------------------------- breakup


breakup_app = typer.Typer(
    help="NASA standard breakup model cloud (options below) or 'breakup trace' (attribution).",
    invoke_without_command=True,
)
app.add_typer(breakup_app, name="breakup")


@breakup_app.callback(invoke_without_command=True)
def breakup_cmd(
    ctx: typer.Context,
    kind: str | None = typer.Option(None, "--kind", help="explosion or collision"),
    mass: float | None = typer.Option(None, "--mass", help="Parent (target) mass, kg."),
    impactor_mass: float | None = typer.Option(None, "--impactor-mass", help="kg (collision)"),
    impact_speed: float | None = typer.Option(
        None, "--impact-speed", help="Impact speed, km/s (collision)."
    ),
    speed_old: float | None = typer.Option(
        None, "--speed", hidden=True, help="Deprecated: use --impact-speed."
    ),
    parent: int | None = typer.Option(None, "--parent", help="NORAD id of the parent"),
    catalog: list[Path] = typer.Option(
        None, "--catalog", help="Element file(s) (TLE, OMM, GP) holding the parent; repeatable."
    ),
    state: str | None = typer.Option(
        None, "--state", help="Parent TEME state 'x,y,z,vx,vy,vz' (km, km/s); needs --epoch"
    ),
    epoch: str | None = typer.Option(None, "--epoch", help="Event epoch (UTC ISO)."),
    parent_kind: str = typer.Option("rocket_body", "--parent-kind", help="rocket_body|spacecraft"),
    min_size: float = typer.Option(0.05, "--min-size", help="Smallest fragment, m."),
    out_file: Path | None = typer.Option(
        None, "--out", help="fragments.tle | .oem | .parquet | .csv"
    ),
    seed: int | None = typer.Option(
        None, "--seed", help="Random seed (same seed, same fragments; default: fresh)."
    ),
    gabbard: Path | None = typer.Option(
        None,
        "--gabbard",
        help="Also draw the cloud's Gabbard diagram (apogee and perigee altitude against "
        "period) to this file: .png, .svg or .pdf.",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Generate a NASA standard breakup model fragment cloud and write it (needs --kind,
    --mass, --out); ``breakup trace`` attributes a catalogued cloud."""
    if ctx.invoked_subcommand is not None:
        return
    from spacerange.catalog.tle import format_tle  # noqa: F401  (TLE text from elsets)
    from spacerange.events.breakup import breakup_collision, breakup_explosion
    from spacerange.timescales import iso_utc, parse_utc

    with guard(as_json):
        missing = [
            o for o, v in (("--kind", kind), ("--mass", mass), ("--out", out_file)) if v is None
        ]
        if missing:
            raise ValueError(f"breakup: missing {', '.join(missing)} (or use 'breakup trace')")
        speed = deprecated_alias("--speed", "--impact-speed", speed_old, impact_speed)
        output_format(out_file, {".tle": "tle", ".oem": "oem", ".xml": "oem-xml",
                                 ".parquet": "parquet", ".csv": "csv"})  # fmt: skip
        if gabbard is not None:
            output_format(gabbard, {".png": "png", ".svg": "svg", ".pdf": "pdf"}, "--gabbard")
        rng = np.random.default_rng(seed)
        if kind == "explosion":
            frags = breakup_explosion(mass, parent_kind, min_size, rng)
        elif kind == "collision":
            if impactor_mass is None or speed is None:
                raise ValueError(
                    "--kind collision needs --impactor-mass KG and --impact-speed KM/S"
                )
            frags = breakup_collision(mass, impactor_mass, speed, parent_kind, min_size, rng)
        else:
            raise ValueError(f"--kind must be 'explosion' or 'collision', got {kind!r}")
        r = v = None
        t_event = parse_utc(epoch) if epoch else np.datetime64("2025-01-01T00:00:00", "us")
        if parent is not None:
            if not catalog:
                raise ValueError("--parent needs --catalog FILE holding the parent's elements")
            elsets, _ = _read_elsets(catalog)
            mine = [e for e in elsets if e.norad_id == parent]
            if not mine:
                raise ValueError(f"--parent {parent}: not found in {', '.join(map(str, catalog))}")
            e = max(mine, key=lambda x: x.epoch)
            s, t_el = _teme_state(e)
            if epoch:
                from spacerange.propagation.sgp4_batch import propagate

                eph = propagate([(e.line1, e.line2)], np.array([t_event]), workers=1)
                s = np.concatenate([eph.r[0, 0], eph.v[0, 0]])
            else:
                t_event = t_el
            r, v = s[:3], s[3:]
        elif state is not None:
            vals = [float(x) for x in state.replace(" ", "").split(",")]
            if len(vals) != 6:
                raise ValueError(f"--state: expected 6 comma-separated numbers, got {len(vals)}")
            if not epoch:
                raise ValueError("--state needs --epoch (UTC ISO time of the event)")
            r, v = np.array(vals[:3]), np.array(vals[3:])
        fe = frags.to_elsets(t_event, r, v)
        _write_fragments(out_file, fe, t_event)
        if gabbard is not None:
            from spacerange.events.gabbard import gabbard_plot

            what = f"{kind} of a {mass:g} kg {parent_kind.replace('_', ' ')}"
            if parent is not None:
                what += f" (parent {parent})"
            # two lines: the plot adds "(N fragments)" after the epoch
            gabbard_plot(fe, gabbard, title=f"Gabbard diagram: {what}\n{iso_utc(t_event)[:19]}Z")
        result = {
            "fragments": frags.n_debris,
            "with_elements": len(fe.elsets),
            "reentering": int(np.count_nonzero(fe.reentering)),
            "catastrophic": bool(frags.catastrophic) if frags.catastrophic is not None else None,
            "kind": kind,
            "total_mass_kg": frags.total_mass_kg,
            "epoch_utc": iso_utc(t_event),
            "default_orbit": r is None,
            "out_file": str(out_file),
            "gabbard_file": str(gabbard) if gabbard is not None else None,
        }
    emit(result, as_json)


def _write_fragments(path: Path, fe, t_event) -> None:
    if path.suffix.lower() in (".tle", ".txt"):
        text = "".join(f"{e.name}\n{e.line1}\n{e.line2}\n" for e in fe.elsets)
        path.write_text(text)
        return
    from spacerange.propagation.output import write_ephemeris
    from spacerange.propagation.sgp4_batch import iter_propagate

    times = t_event + (np.arange(0, 86400 + 1, 600) * 1e6).astype("timedelta64[us]")
    tles = [(e.line1, e.line2) for e in fe.elsets]
    write_ephemeris(path, iter_propagate(tles, times, frame="teme", workers=1),
                    [e.norad_id for e in fe.elsets], [e.name for e in fe.elsets], times, "teme")  # fmt: skip


@breakup_app.command("trace")
def breakup_trace_cmd(
    fragments: list[Path] = typer.Argument(..., help="TLE/3LE/OMM files: the fragments"),
    parent: Path | None = typer.Option(None, "--parent", help="The parent's element set file"),
    catalog: list[Path] = typer.Option(
        None,
        "--catalog",
        help="Without --parent: element file(s) to propose the parent from; repeatable.",
    ),
    db: Path | None = typer.Option(None, "--db", help="Without --parent: SQLite catalog"),
    before: str | None = typer.Option(
        None, "--before", help="End of the search window, UTC ISO (default: earliest fragment)"
    ),
    window: str = typer.Option("7d", "--window", help="Search window length (e.g. 7d, 36h)."),
    select: bool = typer.Option(
        False, "--select", help="Keep only fragments whose plane matches the parent's."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Trace a debris cloud back to its breakup epoch and place (orbit-plane and ellipse
    pinch), with the next-best revolutions; proposes a parent from a catalog if none given."""
    from spacerange.events.breakup_trace import propose_parent, select_fragments, trace_pinch
    from spacerange.timescales import iso_utc, parse_duration_s, parse_utc

    with guard(as_json):
        frags, rejects = [], []
        for f in fragments:
            e, r = _read_elsets(f)
            frags += e
            rejects += r
        latest: dict[int, object] = {}
        for e in frags:  # one element set per object: its latest
            if e.norad_id not in latest or e.epoch > latest[e.norad_id].epoch:
                latest[e.norad_id] = e
        frags = list(latest.values())
        if len(frags) > 100_000:
            raise ValueError(f"{len(frags)} fragments: at most 100,000")
        window_s = parse_duration_s(window)
        if not (math.isfinite(window_s) and 0 < window_s <= 60 * 86400):
            raise ValueError(f"--window {window}: give a duration up to 60 days")
        end = parse_utc(before) if before else min(parse_utc(e.epoch) for e in frags)
        proposed = None
        if parent is not None:
            if catalog or db is not None:
                raise ValueError("give --parent, or --catalog/--db to propose one, not both")
            pe, _ = _read_elsets(parent)
            if len({e.norad_id for e in pe}) != 1:
                raise ValueError(f"--parent {parent}: expected one object's element sets")
            # the parent's last set before the window's end (its state at the event)
            before_end = [e for e in pe if parse_utc(e.epoch) <= end]
            p = max(before_end or pe, key=lambda x: x.epoch)
        else:
            if not catalog and db is None:
                raise ValueError("give --parent FILE, or --catalog FILE / --db DB to propose one")
            from spacerange.cli.common import load_source

            src = load_source(db, catalog or None)
            props = propose_parent(frags, src.elsets, end, window_s)
            if not props:
                raise ValueError(f"no object of {src.label} passes within 50 km of the pinch")
            p = src.elsets[props[0]["index"]]
            proposed = [{k: v for k, v in c.items() if k != "index"} for c in props]
        n_in = len(frags)
        if select:
            idx = select_fragments(p, frags)
            frags = [frags[k] for k in idx]
        with working(f"tracing {len(frags)} fragments back over {window}"):
            tr = trace_pinch(frags, p, end, window_s)
        result = tr.as_dict()
        result["n_fragments"] = n_in
        result["parent"] = {"norad_id": p.norad_id, "name": p.name, "epoch_utc": iso_utc(p.epoch)}
        result["proposed_parents"] = proposed
        result["window_utc"] = [
            iso_utc(end - np.timedelta64(int(window_s * 1e6), "us")),
            iso_utc(end),
        ]
        result["file_rejects"] = len(rejects)
        # one meaning per key: ``rejected`` is a count elsewhere (docs/vocabulary.md)
        result["fragments_rejected"] = result.pop("rejected")

    def render(r):
        out.print(f"[bold]breakup[/] {r['epoch_utc']}  lat {r['lat_deg']:.2f}  "
                  f"lon {r['lon_deg']:.2f}  alt {r['alt_km']:.1f} km  "
                  f"(parent {r['parent']['norad_id']}, {r['n_used']}/{r['n_fragments']} "
                  f"fragments, spread {r['spread_km']:.2f} km)")  # fmt: skip
        for c in r["candidates"]:
            out.print(
                f"  {c['epoch_utc']}  rev {c['revolutions']:+.0f}  spread {c['spread_km']:.3f} km"
            )

    emit(result, as_json, render)


# ---------------------------------------------------------------------------------- reentry


def _predict_reentry(fn, *args, max_days: float, **kw):
    """``fn`` (predict_reentry); its "raise max_days" failure said in the CLI's words."""
    from spacerange.errors import SpacerangeError

    try:
        return fn(*args, max_days=max_days, **kw)
    except SpacerangeError as exc:
        if "max_days" not in str(exc):
            raise
        raise ValueError(
            f"no Monte Carlo sample re-enters within {max_days:g} days: raise --horizon"
        ) from None


@app.command("reentry")
def reentry_cmd(
    target: str = typer.Argument(..., help="NORAD id (with --catalog) or a TLE/OMM file"),
    catalog: list[Path] = typer.Option(
        None,
        "--catalog",
        help="Element file(s) (TLE, OMM, GP) holding the object TARGET names; repeatable.",
    ),
    samples: int = typer.Option(64, "--samples", help="Monte Carlo samples."),
    horizon: str = typer.Option(
        None,
        "--horizon",
        help="Give up after this long (duration, e.g. 30d, 5d12h; default 30d): the object "
        "is reported as not re-entered.",
    ),
    max_days_old: float | None = typer.Option(
        None, "--max-days", hidden=True, help="Deprecated: use --horizon (e.g. --horizon 5d)."
    ),
    weather: str = typer.Option("moderate", "--weather", help="quiet|moderate|feb2022|may2024"),
    cd_area_mass: float | None = typer.Option(
        None, "--cd-area-mass", help="Cd*A/m, m^2/kg (default: from B*)"
    ),
    density_sigma: float = typer.Option(
        0.25,
        "--density-sigma",
        help="1-sigma relative error of the atmospheric density (0.25 = 25 %).",
    ),
    bc_sigma: float = typer.Option(
        0.15, "--bc-sigma", help="1-sigma relative error of the ballistic coefficient Cd*A/m."
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="Altitude decay and footprint picture: .png, .svg or .pdf."
    ),
    seed: int | None = typer.Option(0, "--seed", help="Monte Carlo seed."),
    as_json: bool = JSON_OPT,
) -> None:
    """Predict the re-entry window (120 km) with a density / ballistic-coefficient MC."""
    from spacerange.cli.common import parse_duration_option
    from spacerange.events.breakup import bstar_from_area_to_mass
    from spacerange.events.reentry import plot_reentry, predict_reentry
    from spacerange.events.space_weather import apply_space_weather
    from spacerange.propagation.numerical import ForceModel

    with guard(as_json):
        if max_days_old is not None:
            horizon = deprecated_alias("--max-days", "--horizon", f"{max_days_old}d", horizon)
        max_days = parse_duration_option(horizon or "30d", "--horizon") / 86400.0
        if plot is not None:
            output_format(plot, {".png": "png", ".svg": "svg", ".pdf": "pdf"}, "--plot")
        if target.isdigit():
            if not catalog:
                raise ValueError("an object id needs --catalog FILE")
            elsets, _ = _read_elsets(catalog)
            mine = [e for e in elsets if e.norad_id == int(target)]
            if not mine:
                raise ValueError(f"object {target} not found in {', '.join(map(str, catalog))}")
        else:
            mine, _ = _read_elsets(Path(target))
        e = max(mine, key=lambda x: x.epoch)
        s, t0 = _teme_state(e)
        y = _teme_to_gcrs_state(s, t0)
        b = cd_area_mass
        if b is None:
            if not e.bstar > 0:
                raise ValueError(f"object {e.norad_id}: B* = {e.bstar} <= 0; give --cd-area-mass")
            b = float(e.bstar / bstar_from_area_to_mass(1.0, 1.0))
        fm = ForceModel(gravity_degree=4, gravity_order=4, cd_area_mass_m2_kg=b, rtol=1e-8,
                        atol_km=1e-5)  # fmt: skip
        fm = apply_space_weather(fm, weather, max(e.perigee_alt_km, 150.0))
        with working(f"re-entry Monte Carlo ({samples} samples, up to {max_days:g} days)"):
            pred = _predict_reentry(predict_reentry, y, t0, fm, n_samples=samples,
                                    density_sigma=density_sigma, bc_sigma=bc_sigma,
                                    max_days=max_days, rng=np.random.default_rng(seed))  # fmt: skip
        if plot is not None:
            plot_reentry(pred, plot)
        result = {"norad_id": e.norad_id, **pred.as_dict(), "cd_area_mass_m2_kg": b,
                  "weather": weather}  # fmt: skip
    emit(result, as_json)


# ------------------------------------------------------------------------------------ avoid


def _lead_s(text: str, period_s: float) -> float:
    from spacerange.timescales import parse_duration_s

    t = text.strip().lower()
    for suffix in ("orbits", "orbit", "rev"):
        if t.endswith(suffix):
            num = t[: -len(suffix)].strip() or "1"
            try:
                return float(num) * period_s
            except ValueError:
                break
    return parse_duration_s(t)


def _event_conjunction(path: Path):
    from spacerange.maneuvers.avoidance import Conjunction

    try:
        d = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None
    if "tca_utc" in d:  # the vocabulary's name; "tca" is the older spelling
        d["tca"] = d["tca_utc"]
    need = ("tca", "r1_km", "v1_km_s", "cov1_km2", "r2_km", "v2_km_s", "cov2_km2", "hbr_m")
    missing = [k for k in need if k not in d]
    if missing:
        raise ValueError(f"{path}: event JSON lacks {', '.join(missing)} (expected {need})")
    from spacerange.timescales import parse_utc

    return Conjunction(parse_utc(d["tca"]), d["r1_km"], d["v1_km_s"], np.array(d["cov1_km2"]),
                       d["r2_km"], d["v2_km_s"], np.array(d["cov2_km2"]), d["hbr_m"] / 1e3)  # fmt: skip


def _norad_or_none(obj) -> int | None:
    """NORAD id from a CDM object's OBJECT_DESIGNATOR, None when it is not a number."""
    text = str(obj.metadata.get("OBJECT_DESIGNATOR", "") or "").strip()
    return int(text) if text.isdigit() else None


def _rescreen_report(rs: dict, elsets, ids, catalog: Path, pc_method: str = "auto") -> dict:
    """Re-screening of the post-burn orbit: the primary's own (pre-burn) element set is not
    a conjunction and is left out (before any Pc is computed); the secondary being avoided
    is marked; every event gets its Pc by ``pc_method`` (default ``auto``, as ``screen``:
    2-D where valid, else 3-D Nc / SDMC) with the default TLE covariance model, the
    method's reason and validity flags."""
    import dataclasses

    from spacerange.conjunction.assessment import assess, flags_of_row

    primary_id, secondary_id = ids
    res = rs["result"]
    all_ids = np.array([rs["fit_elset"].norad_id, *[e.norad_id for e in elsets]])
    ev = res.events
    other_idx = np.where(ev["i"] == 0, ev["j"], ev["i"])
    keep = np.ones(len(other_idx), bool) if primary_id is None else \
        all_ids[other_idx] != primary_id  # fmt: skip
    res = dataclasses.replace(res, events={k: v[keep] for k, v in ev.items()})
    table, _ = assess(res, [rs["fit_elset"], *elsets], pc_method=pc_method)
    rows = []
    for r in table.rows():
        other = r["norad_id_2"] if r["norad_id_1"] == rs["fit_elset"].norad_id else r["norad_id_1"]
        name = r["name_2"] if other == r["norad_id_2"] else r["name_1"]
        rows.append(
            {
                "norad_id": int(other),
                "name": name,
                "tca_utc": r["tca_utc"],
                "miss_m": r["miss_m"],
                "pc": r["pc"],
                "pc_method": r["pc_method"],
                "reason": r["pc_reason"],
                "flags": flags_of_row(r),
                "covariance_source": r["covariance_source"],
                "avoided": secondary_id is not None and other == secondary_id,
            }
        )
    return {
        "catalog": ", ".join(map(str, catalog)),
        "objects": len(elsets),
        "threshold_km": rs["threshold_km"],
        "fit_rms_km": rs["fit_rms_km"],
        "excluded_primary_norad_id": primary_id,
        # the rows are split by whether they are the secondary being avoided
        "new_conjunctions": [_without(r, "avoided") for r in rows if not r["avoided"]],
        "avoided": [_without(r, "avoided") for r in rows if r["avoided"]],
    }


def _without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


@app.command("avoid")
def avoid_cmd(
    cdm_file: Path | None = typer.Argument(None, help="CCSDS CDM file (KVN or XML)."),
    event: Path | None = typer.Option(
        None,
        "--event",
        help="JSON event: tca_utc, r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, "
        "cov2_km2 (GCRS, km), hbr_m",
    ),
    pc_max: float = typer.Option(
        PC_ALERT, "--pc-max", help="Largest acceptable collision probability after the burn."
    ),
    miss_min_m: float | None = typer.Option(None, "--miss-min", help="Also require miss >= m"),
    lead: str = typer.Option("1orbit", "--lead", help="Burn lead time: 1orbit, 0.5orbit, 45min"),
    axes: str = typer.Option("T", "--axes", help="RTN axes to try in order, e.g. T,R,N"),
    hbr_m: float | None = typer.Option(None, "--hbr", help="Combined HBR override, m"),
    trade: bool = typer.Option(False, "--trade", help="Also report dv vs lead (0.25..3 orbits)"),
    method: str = typer.Option(
        "auto",
        "--method",
        help="Pc reported before/after the burn and in the re-screen: auto (default: 2-D "
        "where valid, else 3-D Nc, else SDMC; see docs/pc.md) or foster.",
    ),
    catalog: list[Path] = typer.Option(
        None,
        "--catalog",
        help="Element file(s) (TLE, OMM, GP): re-screen the post-burn orbit against them "
        "(24 h, 5 km); repeatable.",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Plan the smallest collision-avoidance burn meeting the Pc / miss target."""
    from spacerange.maneuvers.avoidance import Conjunction, plan_verified, trade_curve

    with guard(as_json):
        if (cdm_file is None) == (event is None):
            raise ValueError("give a CDM file or --event JSON (one of them)")
        ids: tuple[int | None, int | None] = (None, None)
        if cdm_file is not None:
            from spacerange.ccsds import read_cdm

            cdm = read_cdm(cdm_file)[0]
            conj = Conjunction.from_cdm(cdm, hbr_m)
            ids = (_norad_or_none(cdm.object1), _norad_or_none(cdm.object2))
        else:
            from spacerange.cli.common import require_files

            require_files([event], "--event")
            conj = _event_conjunction(event)
            d = json.loads(Path(event).read_text())
            ids = (d.get("norad_id_1"), d.get("norad_id_2"))
        lead_s = _lead_s(lead, conj.period_s)
        ax = tuple(a.strip().upper() for a in axes.split(",") if a.strip())
        miss_min_km = miss_min_m / 1e3 if miss_min_m is not None else None
        if method not in ("auto", "foster"):
            raise ValueError(f"--method {method!r}: auto or foster")
        with working("planning and verifying the avoidance burn"):
            plan = plan_verified(conj, lead_s, pc_max, miss_min_km, ax, pc_method=method)
        result = plan.as_dict()
        result["rescreen"] = None
        if catalog and plan.feasible:
            from spacerange.maneuvers.avoidance import rescreen

            elsets, _ = _read_elsets(catalog)
            with working(f"re-screening the post-burn orbit against {len(elsets)} objects"):
                rs = rescreen(conj, plan, [(e.line1, e.line2) for e in elsets])
            result["rescreen"] = _rescreen_report(rs, elsets, ids, catalog, method)
        if trade:
            leads = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0]) * conj.period_s
            tc = trade_curve(conj, leads, pc_max, miss_min_km, ax[0] if ax else "T")
            result["trade"] = {
                "lead_s": tc["lead_s"],
                "dv_m_s": [None if not math.isfinite(x) else x for x in tc["dv_mps"]],
            }
    emit(result, as_json)
