"""Conjunction event histories: successive CDMs, or successive screenings of an updated
catalog, of one encounter grouped with their trends.

A *conjunction event* is one pair of objects meeting at one TCA.  Operators receive a new
CDM for it every few hours as both orbits are re-determined, and a re-screening of an
updated catalog finds it again; the TCA moves by seconds, the Pc, miss distance and
covariance change.  :func:`group_events` groups records (one per CDM or per row of a
screening's events table) into events: same unordered pair of object designators (NORAD
ids) and TCA within ``tca_tolerance_s`` (default
:data:`~.cdm_identity.TCA_TOLERANCE_S`, 600 s: far below an orbital period, so distinct
passes of the same pair stay distinct events, and far above the few seconds a TCA moves
between updates) of the event's latest TCA.  The event id is the ``CONJUNCTION_ID`` of its
first record when it has one (CDM 2.0 keyword, or the ``COMMENT CONJUNCTION_ID =`` line
spacerange writes), else :func:`.cdm_identity.conjunction_id` of its first record.

Records are ordered by creation time: a CDM's ``CREATION_DATE``, a screening table's
``creation_utc`` column.  A CDM and a table row of the same screening run (same pair, TCA
and creation time) are one record (the CDM's kept).

Trend labels compare the latest record with the first: Pc ``rising``/``falling`` when it
moved by more than a factor ``TREND_FACTOR`` (2), else ``steady``; the same for the miss
distance and for the combined position sigma (``shrinking``/``growing``: a shrinking
covariance with a steady small miss is the classic escalating event).

:func:`load_records` reads the inputs ``spacerange events`` takes: CDM files (KVN or XML),
screening events tables (``screen --out`` as .json, .parquet or .csv), the ``--json``
output of ``screen`` saved to a file (its ``events_file`` and ``cdm_dir`` are followed) and
directories of those (a ``--cdm-dir``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cdm_identity import TCA_TOLERANCE_S, comment_values, conjunction_id

__all__ = ["CdmRecord", "ConjunctionEvent", "group_events", "load_records", "TREND_FACTOR"]

TREND_FACTOR = 2.0


@dataclass
class CdmRecord:
    """One CDM's (or one screening row's) figures: ``creation_utc``/``tca_utc``
    datetime64[us]; ``pc`` (NaN when undefined), ``miss_m``, ``sigma_m`` (sqrt of the
    trace of the combined position covariance, m), the two designators, the
    message/conjunction ids, the Pc method's ``reason`` and validity ``flags``
    (:func:`.multistep.validity_flags`), and ``source`` (``cdm`` or ``screening``)."""

    file: str
    index: int
    object1: str
    object2: str
    tca_utc: np.datetime64
    creation_utc: np.datetime64
    pc: float
    pc_method: str
    miss_m: float
    sigma_m: float
    message_id: str | None = None
    conjunction_id: str | None = None
    reason: str | None = None
    flags: dict = field(default_factory=dict)
    source: str = "cdm"


@dataclass
class ConjunctionEvent:
    """Records of one event in creation order, plus its id and trends."""

    event_id: str
    pair: tuple[str, str]
    records: list[CdmRecord] = field(default_factory=list)

    def _trend(self, a: float, b: float, up: str, down: str) -> str:
        if not (np.isfinite(a) and np.isfinite(b)) or a <= 0 or b <= 0:
            return "n/a" if not (np.isfinite(a) and np.isfinite(b)) else (
                "steady" if a == b else (up if b > a else down))  # fmt: skip
        r = b / a
        return up if r > TREND_FACTOR else down if r < 1 / TREND_FACTOR else "steady"

    def as_dict(self) -> dict:
        """The event in the CLI vocabulary (docs/vocabulary.md): the pair as given in the
        CDMs (``object_id_1/2``) and as catalog numbers (``norad_id_1/2``, null when a
        designator is not one), times ``*_utc``."""
        first, last = self.records[0], self.records[-1]

        def num(v):
            return None if v is None or not np.isfinite(v) else float(v)

        def stamp(t):
            return f"{np.datetime_as_string(t, unit='us')}Z"

        def norad(text: str) -> int | None:
            return int(text) if str(text).strip().isdigit() else None

        return {
            "event_id": self.event_id,
            "object_id_1": self.pair[0],
            "object_id_2": self.pair[1],
            "norad_id_1": norad(self.pair[0]),
            "norad_id_2": norad(self.pair[1]),
            "n_records": len(self.records),
            "tca_utc": stamp(last.tca_utc),
            "latest": {
                "file": last.file, "source": last.source, "message_id": last.message_id,
                "creation_utc": stamp(last.creation_utc), "tca_utc": stamp(last.tca_utc),
                "pc": num(last.pc), "method": last.pc_method, "reason": last.reason,
                "miss_m": num(last.miss_m), "sigma_m": num(last.sigma_m), "flags": last.flags,
            },
            "trend": {
                "pc": self._trend(first.pc, last.pc, "rising", "falling"),
                "miss": self._trend(first.miss_m, last.miss_m, "growing", "shrinking"),
                "covariance": self._trend(first.sigma_m, last.sigma_m, "growing", "shrinking"),
            },
            "history": [
                {"creation_utc": stamp(r.creation_utc), "tca_utc": stamp(r.tca_utc),
                 "pc": num(r.pc), "method": r.pc_method, "miss_m": num(r.miss_m),
                 "sigma_m": num(r.sigma_m), "message_id": r.message_id, "file": r.file,
                 "source": r.source}
                for r in self.records
            ],
        }  # fmt: skip


def group_events(
    records: Sequence[CdmRecord], tca_tolerance_s: float = TCA_TOLERANCE_S
) -> list[ConjunctionEvent]:
    """Group records into events (module docstring); events sorted by latest TCA."""
    tol_us = int(round(tca_tolerance_s * 1e6))
    order = sorted(_dedupe(records), key=lambda r: (r.creation_utc, r.tca_utc))
    events: list[ConjunctionEvent] = []
    # per pair: its events and each one's latest TCA [us] (integers: a pair screened every
    # hour for days holds hundreds of records, and numpy's datetime scalars cost ~1 us each
    # in this loop); a NaT TCA matches nothing, as numpy's comparison says
    open_by_pair: dict[tuple[str, str], list[tuple[ConjunctionEvent, list[int | None]]]] = {}
    for r in order:
        pair = _pair(r.object1, r.object2)
        t = np.datetime64(r.tca_utc, "us")
        t_us = None if np.isnat(t) else int(t.astype(np.int64))
        match = None
        for ev, last in open_by_pair.get(pair, []):
            if t_us is not None and last[0] is not None and abs(last[0] - t_us) <= tol_us:
                match = ev
                last[0] = t_us
                break
        if match is None:
            eid = r.conjunction_id or conjunction_id(pair[0], pair[1], r.tca_utc)
            match = ConjunctionEvent(eid, pair)
            events.append(match)
            open_by_pair.setdefault(pair, []).append((match, [t_us]))
        match.records.append(r)
    return sorted(events, key=lambda e: e.records[-1].tca_utc)


def _pair(a: str, b: str) -> tuple[str, str]:
    def key(d: str):
        return (0, int(d), d) if d.isdigit() else (1, 0, d)

    x, y = sorted((str(a), str(b)), key=key)
    return x, y


def _dedupe(records: Sequence[CdmRecord]) -> list[CdmRecord]:
    """One record per (pair, creation time, TCA to the ms): a screening's CDM and its table
    row are the same figures (the CDM is kept: it has a message id)."""
    seen: dict[tuple, CdmRecord] = {}
    for r in sorted(records, key=lambda r: r.source != "cdm"):
        k = (_pair(r.object1, r.object2), r.creation_utc,
             np.datetime64(r.tca_utc, "ms"))  # fmt: skip
        seen.setdefault(k, r)
    return list(seen.values())


# ----------------------------------------------------------------------------- inputs

_CDM_SUFFIXES = (".cdm", ".kvn", ".xml", ".txt")
_TABLE_SUFFIXES = (".json", ".parquet", ".pq", ".csv")


def load_records(
    paths: Sequence[str | Path], method: str = "auto", hbr_m: float | None = None
) -> tuple[list[CdmRecord], list[dict]]:
    """Records and error entries (``{file, line, error}``) from the inputs of the module
    docstring.  CDMs are evaluated with ``method`` (:func:`.cdm_pc.pc_from_cdm`); table
    rows keep the Pc, method and flags the screening computed."""
    records: list[CdmRecord] = []
    errors: list[dict] = []
    for p in _expand(paths, errors):
        try:
            if p.suffix.lower() in _TABLE_SUFFIXES:
                more, followed = _table_records(p)
                records += more
                if followed:
                    r2, e2 = load_records(followed, method, hbr_m)
                    records += r2
                    errors += e2
            else:
                r2, e2 = _cdm_records(p, method, hbr_m)
                records += r2
                errors += e2
        except (ValueError, OSError, KeyError) as exc:
            errors.append(_error(p, exc))
    return records, errors


def _error(path, exc, index: int | None = None) -> dict:
    line = getattr(exc, "line", None)
    out = {"file": str(path), "line": int(line) if line else None,
           "error": getattr(exc, "reason", None) or str(exc)}  # fmt: skip
    if index is not None:
        out["index"] = index
    return out


def _expand(paths, errors) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file()
                           and q.suffix.lower() in _CDM_SUFFIXES + _TABLE_SUFFIXES)  # fmt: skip
            if not found:
                errors.append({"file": str(p), "line": None,
                               "error": "directory holds no CDM or events table"})  # fmt: skip
            out += found
        elif not p.exists():
            errors.append({"file": str(p), "line": None, "error": "no such file"})
        else:
            out.append(p)
    return out


def _cdm_records(path: Path, method: str, hbr_m) -> tuple[list[CdmRecord], list[dict]]:
    from spacerange.ccsds import read_cdm
    from spacerange.errors import SpacerangeError

    from .cdm_pc import pc_from_cdm
    from .multistep import validity_flags

    try:
        cdms = read_cdm(path, file=str(path))
    except (SpacerangeError, ValueError, OSError) as exc:
        return [], [_error(path, exc)]
    out, errors = [], []
    for i, cdm in enumerate(cdms):
        try:
            res = pc_from_cdm(cdm, method, hbr_m)
        except (SpacerangeError, ValueError, OSError) as exc:
            errors.append(_error(path, exc, i))
            continue
        c1 = cdm.object1.covariance_rtn_6x6()[:3, :3]
        c2 = cdm.object2.covariance_rtn_6x6()[:3, :3]
        sigma = float(np.sqrt(np.nansum(np.diag(c1)) + np.nansum(np.diag(c2))))
        vals = comment_values(cdm)
        flags = validity_flags(res.flags) if "steps" in res.flags else {
            k: v for k, v in res.flags.items() if k != "reason"}  # fmt: skip
        out.append(CdmRecord(
            str(path), i, str(cdm.object1.metadata.get("OBJECT_DESIGNATOR")),
            str(cdm.object2.metadata.get("OBJECT_DESIGNATOR")), cdm.tca,
            cdm.header.get("CREATION_DATE"), float(res.pc), res.method, res.miss_m, sigma,
            cdm.header.get("MESSAGE_ID"), vals.get("CONJUNCTION_ID"),
            res.flags.get("reason"), _plain(flags), "cdm",
        ))  # fmt: skip
    return out, errors


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple | np.ndarray):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    return None if isinstance(v, float) and not np.isfinite(v) else v


def _table_rows(path: Path) -> tuple[list[dict], list[Path]]:
    """Rows of an events table, or the files a saved ``screen --json`` output names."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            doc = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON ({exc.msg}, line {exc.lineno})") from None
        if isinstance(doc, dict) and isinstance(doc.get("events"), list):
            return doc["events"], []
        if isinstance(doc, dict) and ("events_file" in doc or "cdm_dir" in doc):
            base = path.parent
            follow = [doc.get("events_file") or doc.get("cdm_dir")]
            if not follow[0]:
                raise ValueError("screen output without events_file or cdm_dir: nothing to "
                                 "read (screen with --out or --cdm-dir)")  # fmt: skip
            return [], [p if Path(p).is_absolute() else base / p for p in follow]
        raise ValueError("JSON without an events list (expected screen --out events.json "
                         "or a saved screen --json output)")  # fmt: skip
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist(), []
    import pyarrow.csv as pacsv

    return pacsv.read_csv(path).to_pylist(), []


def _time(v) -> np.datetime64:
    from spacerange.timescales import parse_utc

    if hasattr(v, "tzinfo") and v.tzinfo is not None:
        v = v.replace(tzinfo=None)
    return np.datetime64(parse_utc(v) if isinstance(v, str) else v, "us")


def _table_records(path: Path) -> tuple[list[CdmRecord], list[Path]]:
    from .assessment import flags_of_row

    rows, follow = _table_rows(path)
    out = []
    for i, r in enumerate(rows):
        missing = [k for k in ("tca_utc", "norad_id_1", "norad_id_2", "miss_m") if k not in r]
        if missing:
            raise ValueError(f"row {i}: not a screening events row (no {', '.join(missing)})")
        r = {k: _plain(v) for k, v in r.items()}
        tca = _time(r["tca_utc"])
        if r.get("creation_utc") is not None:
            created = _time(r["creation_utc"])
        else:  # older tables: the newer element set's epoch
            ages = [
                a for a in (r.get("elset_age_1_days"), r.get("elset_age_2_days")) if a is not None
            ]
            created = tca - np.timedelta64(int(min(ages, default=0.0) * 86400e6), "us")
        pc = r.get("pc")
        out.append(CdmRecord(
            str(path), i, str(r["norad_id_1"]), str(r["norad_id_2"]), tca, created,
            float("nan") if pc is None else float(pc), str(r.get("pc_method") or ""),
            float(r["miss_m"]),
            float("nan") if r.get("sigma_m") is None else float(r["sigma_m"]),
            None, None, r.get("pc_reason"),
            flags_of_row(r) if "pc_2d" in r else {}, "screening",
        ))  # fmt: skip
    return out, follow
