"""From screening events to an assessed conjunction table: names, Pc, covariance source,
tables (Parquet/CSV/JSON), a SOCRATES-like ranked report, and one CDM per event.

Covariance: TLE-only objects get the documented default model
(:func:`spacerange.conjunction.covariance.default_tle_covariance_inertial`, by regime and
element-set age), and every output says so (``covariance = "default-tle-model"``).
Hard-body radius: per object from an :class:`~spacerange.conjunction.hbr.HbrTable`
(CARA estimates when loaded, else defaults by object type), or one override.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from spacerange.catalog.model import ElementSet
from spacerange.conjunction.screening import ScreeningResult
from spacerange.timescales import iso_utc, parse_utc

COVARIANCE_SOURCE = "default-tle-model"


@dataclass
class ConjunctionTable:
    """Assessed events as named columns (numpy arrays, one row per event)."""

    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.columns["tca_utc"])

    def rows(self) -> list[dict]:
        keys = list(self.columns)
        out = []
        for k in range(len(self)):
            row = {}
            for key in keys:
                val = self.columns[key][k]
                if isinstance(val, np.datetime64):
                    val = iso_utc(val)
                elif isinstance(val, np.generic):
                    val = val.item()
                if isinstance(val, float) and not np.isfinite(val):
                    val = None
                row[key] = val
            out.append(row)
        return out

    def order_by(self, key: str, descending: bool = False) -> np.ndarray:
        v = np.nan_to_num(np.asarray(self.columns[key], float), nan=-np.inf)
        idx = np.argsort(-v if descending else v, kind="stable")
        return idx

    def write(self, path: str | Path) -> Path:
        """Write as Parquet (.parquet), CSV (.csv) or JSON (.json), by suffix."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".json":
            path.write_text(json.dumps({"events": self.rows()}, indent=1))
            return path
        import pyarrow as pa

        arrays = {}
        for key, col in self.columns.items():
            if col.dtype.kind == "M" and suffix == ".csv":
                # text columns: ISO 8601 with Z, as everywhere (docs/vocabulary.md)
                arrays[key] = pa.array([iso_utc(t) for t in col], pa.string())
            elif col.dtype.kind == "M":
                arrays[key] = pa.array(col.astype("datetime64[us]")).cast(
                    pa.timestamp("us", tz="UTC")
                )
            else:
                arrays[key] = pa.array(col)
        table = pa.table(arrays)
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            pq.write_table(table, path)
        elif suffix == ".csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, path)
        else:
            raise ValueError(f"{path}: use .parquet, .csv or .json for the events table")
        return path


def assess(
    result: ScreeningResult,
    elsets: Sequence[ElementSet],
    object_types: Sequence[str] | None = None,
    hbr_table=None,
    hbr_override_m: float | None = None,
    pc_method: str = "auto",
    created_utc=None,
) -> tuple[ConjunctionTable, dict]:
    """Name the events, compute Pc with the default TLE covariance (``pc_method="auto"``,
    the default: 2-D where valid, else 3-D Nc / SDMC, :func:`.multistep.pc_auto_batch`;
    ``"foster"``: 2-D only), and return the table plus the arrays needed for CDMs (GCRS
    states, RTN covariances).

    Every row states the method used (``pc_method``), why (``pc_reason``) and the
    method-validity flags that ``spacerange pc`` computes (:data:`FLAG_COLUMNS`: the 2-D
    Pc and its usage violations, the 3-D Nc and its violations when it was needed, the
    95 % interval of a sampled Pc), ``sigma_m`` (sqrt of the trace of the combined
    position covariance) and ``created_utc`` (when this assessment was made, default now;
    the CDMs of the run carry it as ``CREATION_DATE``).
    """
    from spacerange.conjunction.covariance import default_tle_covariance
    from spacerange.conjunction.encounter import cov_rtn_to_inertial
    from spacerange.conjunction.hbr import HbrTable
    from spacerange.conjunction.pc import pc_foster
    from spacerange.frames import teme_to_gcrs_matrices

    ev = result.events
    n = len(ev["i"])
    i, j = ev["i"], ev["j"]
    created = (np.datetime64(datetime.now(UTC).replace(tzinfo=None), "us") if created_utc is None
               else np.datetime64(parse_utc(created_utc), "us"))  # fmt: skip
    ids = np.array([e.norad_id for e in elsets], np.int64)
    names = np.array([e.name or str(e.norad_id) for e in elsets], dtype=object)
    types = (
        np.array(object_types, dtype=object)
        if object_types is not None
        else np.array([_type_guess(e) for e in elsets], dtype=object)
    )
    epochs = np.array([parse_utc(e.epoch) for e in elsets], dtype="datetime64[us]")
    table = HbrTable() if hbr_table is None else hbr_table
    if n:
        m = teme_to_gcrs_matrices(ev["tca_utc"])
        r1 = np.einsum("nij,nj->ni", m, ev["r1_teme_km"])
        v1 = np.einsum("nij,nj->ni", m, ev["v1_teme_km_s"])
        r2 = np.einsum("nij,nj->ni", m, ev["r2_teme_km"])
        v2 = np.einsum("nij,nj->ni", m, ev["v2_teme_km_s"])
        age1 = (ev["tca_utc"] - epochs[i]).astype(np.int64) / 86400e6
        age2 = (ev["tca_utc"] - epochs[j]).astype(np.int64) / 86400e6
        c1 = default_tle_covariance(r1, v1, age1)
        c2 = default_tle_covariance(r2, v2, age2)
        cov1 = cov_rtn_to_inertial(r1, v1, c1.cov_rtn_km2)
        cov2 = cov_rtn_to_inertial(r2, v2, c2.cov_rtn_km2)
        if hbr_override_m is not None:
            hbr_m = np.full(n, float(hbr_override_m))
            hbr_source = np.full(n, "override")
        else:
            used = np.unique(np.concatenate([i, j]))
            looked = [table.lookup(int(ids[k]), types[k]) for k in used]
            h = np.full(len(ids), np.nan)
            src = np.full(len(ids), "", dtype=object)
            h[used] = [x[0] for x in looked]
            src[used] = [x[1] for x in looked]
            hbr_m = h[i] + h[j]
            hbr_source = np.array([f"{a}+{b}" for a, b in zip(src[i], src[j], strict=True)])
        if pc_method == "auto":
            from spacerange.conjunction.multistep import pc_auto_batch

            pc, methods, reasons, flags = pc_auto_batch(r1, v1, cov1, r2, v2, cov2, hbr_m / 1e3)
        elif pc_method == "foster":
            pc = np.asarray(pc_foster(r1, v1, cov1, r2, v2, cov2, hbr_m / 1000.0).pc, float)
            methods = np.full(n, "foster-2d")
            reasons = np.full(n, "2-D Pc requested (pc_method='foster'); validity flags say "
                                 "whether it holds")  # fmt: skip
            flags = _flags_2d(pc, r1, v1, cov1, r2, v2, cov2)
        else:
            raise ValueError(f"pc_method {pc_method!r}: expected 'auto' or 'foster'")
        sigma_m = np.sqrt(np.trace(cov1[:, :3, :3] + cov2[:, :3, :3], axis1=1, axis2=2)) * 1e3
    else:
        r1 = v1 = r2 = v2 = np.zeros((0, 3))
        c1 = c2 = None
        cov1 = cov2 = np.zeros((0, 6, 6))
        hbr_m = pc = np.zeros(0)
        hbr_source = np.zeros(0, dtype=str)
        methods = reasons = np.zeros(0, dtype=str)
        flags = []
        age1 = age2 = sigma_m = np.zeros(0)
    cols = {
        "tca_utc": ev["tca_utc"],
        "norad_id_1": ids[i],
        "name_1": names[i].astype(str),
        "type_1": types[i].astype(str),
        "norad_id_2": ids[j],
        "name_2": names[j].astype(str),
        "type_2": types[j].astype(str),
        # docs/vocabulary.md: miss distances in metres, relative speeds in m/s
        "miss_m": ev["miss_km"] * 1e3,
        "miss_r_m": ev["miss_rtn_km"][:, 0] * 1e3 if n else np.zeros(0),
        "miss_t_m": ev["miss_rtn_km"][:, 1] * 1e3 if n else np.zeros(0),
        "miss_n_m": ev["miss_rtn_km"][:, 2] * 1e3 if n else np.zeros(0),
        "relative_speed_m_s": ev["rel_speed_km_s"] * 1e3,
        "pc": pc,
        "pc_method": methods,
        "pc_reason": np.asarray(reasons, dtype=str),
        **_flag_columns(flags),
        "sigma_m": sigma_m,
        "hbr_m": hbr_m,
        "hbr_source": hbr_source.astype(str),
        "covariance_source": np.full(n, COVARIANCE_SOURCE),
        "elset_age_1_days": age1,
        "elset_age_2_days": age2,
        "creation_utc": np.full(n, created, dtype="datetime64[us]"),
    }
    extra = {
        "r1_gcrs_km": r1,
        "v1_gcrs_km_s": v1,
        "r2_gcrs_km": r2,
        "v2_gcrs_km_s": v2,
        "cov1_rtn_km2": c1.cov_rtn_km2 if c1 is not None else np.zeros((0, 6, 6)),
        "cov2_rtn_km2": c2.cov_rtn_km2 if c2 is not None else np.zeros((0, 6, 6)),
        "cospar": np.array([e.cospar_id for e in elsets], dtype=object),
    }
    return ConjunctionTable(cols), extra


#: validity-flag columns of the table (see :func:`.multistep.validity_flags`): lists are
#: comma-joined ("" = none), numbers NaN when not computed
FLAG_COLUMNS = ("pc_2d", "violations_2d", "usage_2d", "nc3d", "violations_3d",
                "pc_ci95_lo", "pc_ci95_hi")  # fmt: skip


def _flag_columns(flags: list[dict]) -> dict[str, np.ndarray]:
    def num(v):
        return np.nan if v is None else float(v)

    ci = [f.get("ci95") or (None, None) for f in flags]
    return {
        "pc_2d": np.array([num(f.get("pc_2d")) for f in flags], float),
        "violations_2d": np.array([",".join(f.get("violations_2d") or []) for f in flags], str),
        "usage_2d": np.array([f.get("usage_2d") or "" for f in flags], str),
        "nc3d": np.array([num(f.get("nc3d")) for f in flags], float),
        "violations_3d": np.array([",".join(f.get("violations_3d") or []) for f in flags], str),
        "pc_ci95_lo": np.array([num(c[0]) for c in ci], float),
        "pc_ci95_hi": np.array([num(c[1]) for c in ci], float),
    }


def flags_of_row(row: dict) -> dict:
    """The validity flags of one table row (:meth:`ConjunctionTable.rows`) as the dict of
    :func:`.multistep.validity_flags` (lists split again, NaN/None -> None)."""

    def split(v):
        return [x for x in str(v or "").split(",") if x]

    lo, hi = row.get("pc_ci95_lo"), row.get("pc_ci95_hi")
    return {
        "pc_2d": row.get("pc_2d"),
        "violations_2d": split(row.get("violations_2d")),
        "usage_2d": row.get("usage_2d") or None,
        "nc3d": row.get("nc3d"),
        "violations_3d": None if row.get("nc3d") is None else split(row.get("violations_3d")),
        "ci95": None if lo is None or hi is None else [lo, hi],
    }


def _flags_2d(pc, r1, v1, cov1, r2, v2, cov2) -> list[dict]:
    """Validity flags of Foster 2-D results (the 2-D checks of :func:`.validity.check_2d`)."""
    from spacerange.conjunction.validity import check_2d

    out = []
    for k in range(len(pc)):
        v = check_2d(np.concatenate([r1[k], v1[k]]), cov1[k], np.concatenate([r2[k], v2[k]]),
                     cov2[k])  # fmt: skip
        out.append({"pc_2d": float(pc[k]), "violations_2d": list(v.violations),
                    "usage_2d": v.summary()})  # fmt: skip
    return out


def _type_guess(e: ElementSet) -> str:
    from spacerange.catalog.metadata import infer_object_type

    return infer_object_type(e.name, e.cospar_id).value


def write_cdms(
    table: ConjunctionTable,
    extra: dict,
    result: ScreeningResult,
    out_dir: str | Path,
    fmt: str = "KVN",
    volume_rtn_km: tuple[float, float, float] | None = None,
) -> list[Path]:
    """One CCSDS CDM per event into ``out_dir`` (KVN ``.cdm`` or XML ``.xml``).

    ``volume_rtn_km``: the screening volume's semi-axes (R, T, N; a sphere of radius d is
    ``(d, d, d)``), written as ``SCREEN_VOLUME_*`` (frame RTN, shape ELLIPSOID) with the
    secondary's entry and exit times for straight-line relative motion through TCA.

    ``COLLISION_PROBABILITY_METHOD`` is the method used for the event (``pc_method``); the
    header comments after ``CCSDS_CDM_VERS`` carry the event identity (``CONJUNCTION_ID``,
    ``PREVIOUS_MESSAGE_ID`` when ``out_dir`` holds an earlier message of the event) and the
    method's reason and validity flags, conventions of :mod:`.cdm_identity`.  Files are
    named ``<MESSAGE_ID>.cdm``: a later screening adds to the directory."""
    from spacerange.ccsds import write_cdm
    from spacerange.conjunction.cdm_identity import (
        PreviousMessages,
        flag_comments,
        message_id,
    )
    from spacerange.conjunction.cdm_pc import event_to_cdm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    previous = PreviousMessages.scan(out)
    c = table.columns
    ev = result.events
    paths = []
    screen_info = {
        "START_SCREEN_PERIOD": result.start_utc,
        "STOP_SCREEN_PERIOD": result.start_utc + np.timedelta64(int(result.span_s * 1e6), "us"),
    }
    for k in range(len(table)):
        info = dict(screen_info)
        if volume_rtn_km is not None:
            info.update(
                _screen_volume(
                    c["tca_utc"][k],
                    np.concatenate([extra["r1_gcrs_km"][k], extra["v1_gcrs_km_s"][k]]),
                    np.concatenate([extra["r2_gcrs_km"][k], extra["v2_gcrs_km_s"][k]]),
                    volume_rtn_km,
                )
            )
        objs = []
        for s in ("1", "2"):
            idx = ev["i"][k] if s == "1" else ev["j"][k]
            objs.append(
                {
                    "designator": str(c[f"norad_id_{s}"][k]),
                    "name": c[f"name_{s}"][k],
                    "international_designator": extra["cospar"][idx] or "UNKNOWN",
                    "object_type": c[f"type_{s}"][k],
                    "default_covariance": True,
                }
            )
        row = {key: col[k] for key, col in c.items()}
        created = np.datetime64(c["creation_utc"][k], "us") if "creation_utc" in c else \
            np.datetime64(datetime.now(UTC).replace(tzinfo=None), "us")  # fmt: skip
        d1, d2 = str(c["norad_id_1"][k]), str(c["norad_id_2"][k])
        conj_id, prev_id = previous.identity(d1, d2, c["tca_utc"][k])
        msg_id = message_id(conj_id, created)
        ident = [f"CONJUNCTION_ID = {conj_id}"]
        if prev_id:
            ident.append(f"PREVIOUS_MESSAGE_ID = {prev_id}")
        pc = float(c["pc"][k])
        note = []
        if pc > 1.0:  # a 3-D Nc above 1 is an expected number of collisions
            note = [f"PC_UNCAPPED = {pc:.6g} (3-D Nc > 1; COLLISION_PROBABILITY capped at 1)"]
        flags = flags_of_row({key: _py(v) for key, v in row.items()})
        st1 = np.concatenate([extra["r1_gcrs_km"][k], extra["v1_gcrs_km_s"][k]])
        st2 = np.concatenate([extra["r2_gcrs_km"][k], extra["v2_gcrs_km_s"][k]])
        cdm = event_to_cdm(
            c["tca_utc"][k],
            st1,
            st2,
            extra["cov1_rtn_km2"][k] * 1e6,
            extra["cov2_rtn_km2"][k] * 1e6,
            objs[0],
            objs[1],
            pc=min(pc, 1.0),
            pc_method=str(c["pc_method"][k]),
            hbr_m=float(c["hbr_m"][k]),
            screening=info,
            message_id=msg_id,
            creation_date_utc=created,
            comments=[
                "EXERCISE-GRADE DATA: covariance from the default TLE accuracy model",
                *ident,
                *flag_comments(str(c["pc_method"][k]), str(c["pc_reason"][k]), flags),
                *note,
            ],
        )
        path = out / (msg_id + (".xml" if fmt.upper() == "XML" else ".cdm"))
        write_cdm(cdm, path, fmt=fmt)
        paths.append(path)
    return paths


def _py(v):
    if isinstance(v, np.generic):
        v = v.item()
    return None if isinstance(v, float) and not np.isfinite(v) else v


def _screen_volume(tca_utc, state1_km, state2_km, semi_axes_km) -> dict:
    """``SCREEN_VOLUME_*`` keywords and the entry/exit times of object 2 into object 1's RTN
    ellipsoid, for straight-line relative motion through TCA (the short-encounter model)."""
    from spacerange.frames import rtn_basis

    basis = rtn_basis(state1_km[:3], state1_km[3:])  # rows R, T, N
    rho = basis @ (state2_km[:3] - state1_km[:3])
    u = basis @ (state2_km[3:] - state1_km[3:])
    axes = np.asarray(semi_axes_km, float)
    p, q = rho / axes, u / axes
    a, b, cc = q @ q, p @ q, p @ p - 1.0
    disc = b * b - a * cc
    half = np.sqrt(disc) / a if a > 0 and disc > 0 else 0.0
    t0 = -b / a if a > 0 else 0.0
    tca = np.datetime64(tca_utc, "us")
    out = {
        "SCREEN_VOLUME_FRAME": "RTN",
        "SCREEN_VOLUME_SHAPE": "ELLIPSOID",
        "SCREEN_VOLUME_X": float(axes[0] * 1e3),
        "SCREEN_VOLUME_Y": float(axes[1] * 1e3),
        "SCREEN_VOLUME_Z": float(axes[2] * 1e3),
    }
    for key, t in (("SCREEN_ENTRY_TIME", t0 - half), ("SCREEN_EXIT_TIME", t0 + half)):
        out[key] = tca + np.timedelta64(int(round(t * 1e6)), "us")
    return out


def socrates_report(table: ConjunctionTable, top: int = 20, title: str = "") -> str:
    """Plain-text report in the spirit of CelesTrak SOCRATES: the top events by maximum
    probability and by minimum range."""
    c = table.columns
    lines = [title or "Close approaches", ""]
    for label, key, desc in (
        ("by collision probability", "pc", True),
        ("by miss distance", "miss_m", False),
    ):
        lines.append(f"Top {top} {label}")
        lines.append(
            f"{'rank':>4}  {'TCA (UTC)':<24}{'object 1':<28}{'object 2':<28}"
            f"{'miss m':>10}{'speed m/s':>11}{'Pc':>11}"
        )
        for r, k in enumerate(table.order_by(key, desc)[:top], 1):
            o1 = f"{c['norad_id_1'][k]} {c['name_1'][k]}"[:27]
            o2 = f"{c['norad_id_2'][k]} {c['name_2'][k]}"[:27]
            lines.append(
                f"{r:>4}  {iso_utc(c['tca_utc'][k])[:23]:<24}{o1:<28}{o2:<28}"
                f"{c['miss_m'][k]:>10.1f}{c['relative_speed_m_s'][k]:>11.1f}"
                f"{c['pc'][k]:>11.2e}"
            )
        lines.append("")
    sources = sorted(
        {p for pair in c.get("hbr_source", np.zeros(0, str)) for p in str(pair).split("+")}
    )
    hbr_text = {
        "cara": "NASA CARA estimates",
        "catalog-db": "the catalog database's estimates",
        "default": "defaults by object type",
        "override": "a fixed override",
    }
    used = c.get("pc_method", np.zeros(0, str))
    names, counts = np.unique(np.asarray(used, str), return_counts=True)
    lines.append(
        "Pc: method per event ("
        + (", ".join(f"{m}: {k}" for m, k in zip(names, counts, strict=True)) or "none")
        + "; auto = 2-D where its usage checks pass, else 3-D Nc, else SDMC; each event's "
        "pc_reason and validity flags say why) with covariance from the "
        f"{COVARIANCE_SOURCE} "
        "(TLE accuracy by regime and age); hard-body radius from "
        + (", ".join(hbr_text.get(s, s) for s in sources) or "no events")
        + "."
    )
    return "\n".join(lines)
