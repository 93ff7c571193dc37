"""Element-set file formats besides TLE: CelesTrak GP JSON / CSV, CCSDS OMM; and sniffing.

GP JSON and GP CSV carry the CCSDS OMM keywords (``OBJECT_NAME``, ``OBJECT_ID``, ``EPOCH``,
``MEAN_MOTION`` [rev/day], ``ECCENTRICITY``, ``INCLINATION`` [deg], ``RA_OF_ASC_NODE``
[deg], ``ARG_OF_PERICENTER`` [deg], ``MEAN_ANOMALY`` [deg], ``EPHEMERIS_TYPE``,
``CLASSIFICATION_TYPE``, ``NORAD_CAT_ID``, ``ELEMENT_SET_NO``, ``REV_AT_EPOCH``, ``BSTAR``
[1/earth radii], ``MEAN_MOTION_DOT`` [rev/day^2], ``MEAN_MOTION_DDOT`` [rev/day^3]), see
CelesTrak "A New Way to Obtain GP Data" and CCSDS 502.0-B-3 (ODM) section 4.  Each record
becomes an :class:`ElementSet` whose TLE lines are regenerated with :func:`format_tle`.

CCSDS OMM files (KVN, XML, or NDM combined XML) are read by :func:`spacerange.ccsds.read_omm`
(imported lazily) and adapted by :func:`elementset_from_omm`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from spacerange.catalog.model import ElementSet
from spacerange.catalog.tle import (
    alpha5_decode,
    format_tle,
    parse_tle_text,
    validate_elements,
)
from spacerange.constants import MU_WGS72_KM3_S2
from spacerange.errors import ParseError, Reject

__all__ = [
    "parse_epoch",
    "elementset_from_gp",
    "parse_gp_json_text",
    "parse_gp_csv_text",
    "elementset_from_omm",
    "parse_omm_file",
    "sniff_format",
    "load_any",
]

GP_REQUIRED = (
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "NORAD_CAT_ID",
)

_ISO_RE = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d*)?)?)?\s*(Z|[+-]00:?00)?\s*$"
)
_DOY_RE = re.compile(r"^\s*(\d{4})-(\d{3})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d*)?)?)?\s*(Z)?\s*$")


def parse_epoch(value: Any) -> datetime:
    """UTC datetime from an OMM/GP epoch: ``YYYY-MM-DDThh:mm:ss[.f]`` or ``YYYY-DDDThh:mm:ss``
    (CCSDS 502.0-B-3 section 7.5.10 allows both), a ``datetime`` (naive means UTC), a
    ``date`` or a ``numpy.datetime64``.  Fractional seconds are kept to the microsecond."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if type(value).__name__ == "datetime64":
        import numpy as np

        us = int(np.datetime64(value, "us").astype("int64"))
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    s = str(value)
    m = _ISO_RE.match(s)
    if m:
        y, mo, d, hh, mi, ss, frac, _tz = m.groups()
        base = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), tzinfo=UTC)
        sec = float((ss or "0") + (frac or ""))
        return base + timedelta(microseconds=round(sec * 1e6))
    m = _DOY_RE.match(s)
    if m:
        y, doy, hh, mi, ss, frac, _tz = m.groups()
        base = datetime(int(y), 1, 1, int(hh or 0), int(mi or 0), tzinfo=UTC)
        sec = float((ss or "0") + (frac or ""))
        return base + timedelta(days=int(doy) - 1, microseconds=round(sec * 1e6))
    raise ValueError(f"epoch {s!r} is not YYYY-MM-DDThh:mm:ss[.ffffff] or YYYY-DDDThh:mm:ss")


def _field(rec: Mapping[str, Any], key: str) -> Any:
    """``rec[key]``, or None when absent or blank."""
    v = rec.get(key)
    return None if v is None or (isinstance(v, str) and not v.strip()) else v


def _float(rec: Mapping[str, Any], key: str, default: float | None = None) -> float:
    v = _field(rec, key)
    if v is None:
        if default is not None:
            return default
        raise ValueError(f"missing {key}")
    try:
        return float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{key} is not a number: {v!r}") from None


def _int(rec: Mapping[str, Any], key: str, default: int | None = None) -> int:
    v = _field(rec, key)
    if v is None:
        if default is not None:
            return default
        raise ValueError(f"missing {key}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{key} is not an integer: {v!r}") from None
    if f != int(f):
        raise ValueError(f"{key} is not an integer: {v!r}")
    return int(f)


def elementset_from_gp(rec: Mapping[str, Any], source: str = "") -> ElementSet:
    """ElementSet from one record keyed by OMM keywords (GP JSON object, GP CSV row, or an
    OMM flattened to a dict).  Raises ``ValueError`` naming the missing or bad field."""
    missing = [k for k in GP_REQUIRED if k not in rec or rec[k] in (None, "")]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    theory = str(rec.get("MEAN_ELEMENT_THEORY") or "SGP4").upper()
    if "SGP" not in theory:
        raise ValueError(f"MEAN_ELEMENT_THEORY {theory!r} is not SGP4 (cannot make a TLE)")
    norad = rec["NORAD_CAT_ID"]
    if isinstance(norad, str) and norad.strip() and norad.strip()[0].isalpha():
        norad_id = alpha5_decode(norad)
    else:
        norad_id = _int(rec, "NORAD_CAT_ID")
    if norad_id <= 0 or norad_id > 339999:
        raise ValueError(f"NORAD_CAT_ID {norad_id} outside 1..339999")
    try:
        epoch = parse_epoch(rec["EPOCH"])
    except ValueError as exc:
        raise ValueError(f"EPOCH: {exc}") from None
    n = _float(rec, "MEAN_MOTION")
    e = _float(rec, "ECCENTRICITY")
    i = _float(rec, "INCLINATION")
    raan = _float(rec, "RA_OF_ASC_NODE")
    argp = _float(rec, "ARG_OF_PERICENTER")
    ma = _float(rec, "MEAN_ANOMALY")
    bstar = _float(rec, "BSTAR", 0.0)
    why = validate_elements(e, i, n, raan, argp, ma, bstar)
    if why is not None:
        raise ValueError(why)
    cls = str(rec.get("CLASSIFICATION_TYPE") or "U").strip()[:1] or "U"
    es = ElementSet(
        norad_id=norad_id,
        epoch=epoch,
        inclination_deg=i,
        raan_deg=raan,
        eccentricity=e,
        arg_perigee_deg=argp,
        mean_anomaly_deg=ma,
        mean_motion_rev_day=n,
        bstar=bstar,
        line1="",
        line2="",
        name=str(rec.get("OBJECT_NAME") or "").strip(),
        cospar_id=str(rec.get("OBJECT_ID") or "").strip(),
        classification=cls,
        element_set_no=_int(rec, "ELEMENT_SET_NO", 999),
        rev_at_epoch=_int(rec, "REV_AT_EPOCH", 0),
        mean_motion_dot=_float(rec, "MEAN_MOTION_DOT", 0.0),
        mean_motion_ddot=_float(rec, "MEAN_MOTION_DDOT", 0.0),
        source=source,
    )
    l1, l2 = format_tle(es)
    return replace(es, line1=l1, line2=l2)


def parse_gp_json_text(
    text: str, file: str = "<input>", source: str | None = None
) -> tuple[list[ElementSet], list[Reject]]:
    """CelesTrak/Space-Track GP JSON (a list of OMM-keyword objects, or one object).

    A reject's ``line`` is the 1-based line where the record's object starts when it can be
    located (pretty-printed files), else 0; the reason names the record index and field.
    """
    src = file if source is None else source
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [Reject(file, exc.lineno, f"invalid JSON: {exc.msg}")]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return [], [Reject(file, 1, "GP JSON must be a list of objects")]
    starts = _json_object_lines(text) if "\n" in text.strip() else []
    out: list[ElementSet] = []
    rejects: list[Reject] = []
    for k, rec in enumerate(data):
        line = starts[k] if k < len(starts) else 0
        if not isinstance(rec, dict):
            rejects.append(Reject(file, line, f"record {k + 1}: not a JSON object"))
            continue
        try:
            out.append(elementset_from_gp(rec, src))
        except ValueError as exc:
            ident = rec.get("NORAD_CAT_ID", "?")
            rejects.append(Reject(file, line, f"record {k + 1} (NORAD_CAT_ID {ident}): {exc}"))
    return out, rejects


def _json_object_lines(text: str) -> list[int]:
    """1-based line numbers of the top-level objects' opening braces in a JSON array."""
    lines: list[int] = []
    depth = 0
    line = 1
    in_str = False
    esc = False
    for ch in text:
        if ch == "\n":
            line += 1
        elif in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            if ch == "{" and depth == 1:
                lines.append(line)
            depth += 1
        elif ch in "]}":
            depth -= 1
    return lines


def parse_gp_csv_text(
    text: str, file: str = "<input>", source: str | None = None
) -> tuple[list[ElementSet], list[Reject]]:
    """CelesTrak GP CSV (header row of OMM keywords); rejects carry the CSV line number."""
    src = file if source is None else source
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().upper() for h in (reader.fieldnames or [])]
    missing = [k for k in GP_REQUIRED if k not in header]
    if missing:
        return [], [Reject(file, 1, f"GP CSV header lacks column(s) {', '.join(missing)}")]
    reader.fieldnames = header
    out: list[ElementSet] = []
    rejects: list[Reject] = []
    for row in reader:
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        try:
            out.append(elementset_from_gp(row, src))
        except ValueError as exc:
            ident = row.get("NORAD_CAT_ID", "?")
            rejects.append(Reject(file, reader.line_num, f"NORAD_CAT_ID {ident}: {exc}"))
    return out, rejects


# --- CCSDS OMM --------------------------------------------------------------------------

_OMM_PARTS = (
    "metadata",
    "mean_elements",
    "meanElements",
    "tle_parameters",
    "tle_params",
    "tleParameters",
    "tle",
    "data",
    "header",
    "spacecraft_parameters",
)


def _omm_lookup(obj: Any, key: str, depth: int = 0) -> Any:
    """Find OMM keyword ``key`` on an Omm-like object: mapping key (any case), attribute
    (lower or upper case), or inside one of its parts (metadata, mean_elements, ...)."""
    if obj is None or depth > 3:
        return None
    if isinstance(obj, Mapping):
        for k in (key, key.lower()):
            if k in obj and obj[k] is not None:
                return obj[k]
    else:
        for k in (key.lower(), key):
            v = getattr(obj, k, None)
            if v is not None and not callable(v):
                return v
    for part in _OMM_PARTS:
        sub = obj.get(part) if isinstance(obj, Mapping) else getattr(obj, part, None)
        if sub is not None:
            v = _omm_lookup(sub, key, depth + 1)
            if v is not None:
                return v
    return None


_OMM_KEYS = GP_REQUIRED + (
    "OBJECT_NAME",
    "OBJECT_ID",
    "MEAN_ELEMENT_THEORY",
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
    "REF_FRAME",
    "CENTER_NAME",
    "TIME_SYSTEM",
)


def elementset_from_omm(omm: Any, source: str = "") -> ElementSet:
    """ElementSet from a CCSDS OMM as returned by :func:`spacerange.ccsds.read_omm`.

    Works on any object exposing the OMM keywords as attributes (lower-case) or mapping keys,
    directly or in parts named ``metadata`` / ``mean_elements`` / ``tle_parameters``.  The
    OMM must use ``MEAN_ELEMENT_THEORY`` SGP/SGP4 in TEME, UTC, with mean motion given (not
    semi-major axis).  Raises ``ValueError`` naming the missing or bad keyword.
    """
    rec = {k: _omm_lookup(omm, k) for k in _OMM_KEYS}
    for key, ok in (("REF_FRAME", "TEME"), ("CENTER_NAME", "EARTH"), ("TIME_SYSTEM", "UTC")):
        v = rec.get(key)
        if v is not None and str(getattr(v, "value", v)).strip().upper() != ok:
            raise ValueError(f"{key} = {v} (an SGP4 element set needs {ok})")
    rec = {k: (getattr(v, "value", v) if k != "EPOCH" else v) for k, v in rec.items()}
    if rec.get("MEAN_MOTION") is None:
        sma = _omm_lookup(omm, "SEMI_MAJOR_AXIS")
        if sma is not None:
            # CCSDS 502.0-B-3 4.2.4: SGP4 OMMs give MEAN_MOTION; convert a [km] if given.
            gm = float(getattr(_omm_lookup(omm, "GM"), "value", None) or MU_WGS72_KM3_S2)
            a_km = float(getattr(sma, "value", sma))
            rec["MEAN_MOTION"] = math.sqrt(gm / a_km**3) * 86400.0 / (2.0 * math.pi)
    return elementset_from_gp(rec, source)


def _omm_reader():
    """``spacerange.ccsds.read_omm`` imported lazily (None when the ccsds package lacks it)."""
    try:
        from spacerange.ccsds import read_omm
    except ImportError:
        try:
            from spacerange.ccsds.omm import read_omm
        except ImportError:
            return None
    return read_omm


def parse_omm_file(path: str | Path, source: str | None = None):
    """Element sets from a CCSDS OMM file (KVN, XML or NDM) via ``spacerange.ccsds.read_omm``.

    Returns ``(elsets, rejects)``; an unreadable message becomes one reject.
    """
    p = Path(path)
    src = str(p) if source is None else source
    read_omm = _omm_reader()
    if read_omm is None:
        return [], [Reject(str(p), 0, "CCSDS OMM reader (spacerange.ccsds.read_omm) unavailable")]
    try:
        omms = read_omm(p)
    except ParseError as exc:
        return [], [Reject(str(p), exc.line, exc.reason)]
    except (ValueError, OSError) as exc:
        return [], [Reject(str(p), 0, f"cannot read OMM: {exc}")]
    if not isinstance(omms, list | tuple):
        omms = [omms]
    out: list[ElementSet] = []
    rejects: list[Reject] = []
    for k, omm in enumerate(omms):
        try:
            out.append(elementset_from_omm(omm, src))
        except ValueError as exc:
            rejects.append(Reject(str(p), 0, f"OMM segment {k + 1}: {exc}"))
    return out, rejects


# --- dispatch ----------------------------------------------------------------------------


def sniff_format(head: str) -> str:
    """Kind of a file from its first few kilobytes of text.

    Returns one of ``"tle"``, ``"gp_json"``, ``"gp_csv"``, ``"omm_kvn"``, ``"omm_xml"``,
    ``"gcat_tsv"``, ``"satcat_csv"``, ``"cara_hbr_csv"`` or ``"unknown"``.
    """
    s = head.lstrip("\ufeff \t\r\n")
    first = s.split("\n", 1)[0].strip().upper()
    if s.startswith("<"):
        low = s[:4096].lower()
        if "<omm" in low or "<ndm" in low:
            return "omm_xml"
        return "unknown"
    if s.startswith("[") or s.startswith("{"):
        return "gp_json"
    if "CCSDS_OMM_VERS" in s[:4096]:
        return "omm_kvn"
    if first.startswith("#JCAT"):
        return "gcat_tsv"
    if first.startswith("OBJECTID,HBR"):
        return "cara_hbr_csv"
    if "," in first and ("NORAD_CAT_ID" in first or "OBJECT_NAME" in first):
        cols = {c.strip().strip('"') for c in first.split(",")}
        if "MEAN_MOTION" in cols and "EPOCH" in cols:
            return "gp_csv"
        return "satcat_csv"
    for line in s.splitlines()[:4]:
        if line[:2] in ("1 ", "2 "):
            return "tle"
    return "unknown"


METADATA_KINDS = frozenset({"gcat_tsv", "satcat_csv", "cara_hbr_csv"})


def load_any(path: str | Path, source: str | None = None):
    """Element sets from a file of any supported element format, dispatched on content.

    Returns ``(elsets, rejects)``.  Metadata files (GCAT, SATCAT, CARA HBR) are not element
    files: use :func:`spacerange.catalog.metadata.load_metadata` for those.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8-sig", errors="replace")
    kind = sniff_format(text[:8192])
    if kind == "tle":
        return parse_tle_text(text, str(p), source)
    if kind == "gp_json":
        return parse_gp_json_text(text, str(p), source)
    if kind == "gp_csv":
        return parse_gp_csv_text(text, str(p), source)
    if kind in ("omm_kvn", "omm_xml"):
        return parse_omm_file(p, source)
    if kind in METADATA_KINDS:
        raise ParseError(f"{kind} is a metadata file, not element sets", str(p), 1)
    raise ParseError(
        "unrecognised element file: expected TLE/3LE, GP JSON, GP CSV, or CCSDS OMM "
        "(KVN with CCSDS_OMM_VERS, XML <omm>/<ndm>)",
        str(p),
        1,
    )
