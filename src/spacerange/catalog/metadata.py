"""Object metadata (owner, type, launch date, COSPAR id, size) and object-type inference.

Readers:

* GCAT payload catalog TSV (J. McDowell, planet4589.org, ``psatcat.tsv``): ``#JCAT`` is
  ``S`` + NORAD number, ``Piece`` the COSPAR id, ``LDate`` e.g. ``1957 Oct  4``, ``UNState``
  the registering / owner state (brackets = attributed, not registered).  Every row is a
  payload.
* CelesTrak SATCAT CSV: ``OBJECT_NAME, OBJECT_ID, NORAD_CAT_ID, OBJECT_TYPE, OWNER,
  LAUNCH_DATE, ...``.
* NASA CARA HBR/mass estimates CSV: ``ObjectID, HBR`` [m], ``Mass`` [kg].

Type inference without metadata (:func:`infer_object_type`), in order:

1. Name markers as used by the 18th SDS / Space-Track catalog names: ``" DEB"``, ``"DEB "``,
   ``"DEBRIS"``, ``"COOLANT"``, ``"SHROUD"``, ``"FAIRING"``, ``"PLATFORM"`` -> DEBRIS;
   ``"R/B"``, ``"ROCKET BODY"``, ``" AKM"``, ``" PKM"``, ``" PAM"``, ``"ULLAGE MOTOR"``
   -> ROCKET BODY; ``"TBA"``/``"TO BE ASSIGNED"`` -> UNKNOWN.
2. A name that is neither a marker nor a placeholder (``OBJECT A``, ``UNKNOWN``, empty) is a
   payload's name: SATCAT names non-payload pieces after their parent plus a suffix, so a
   bare name means PAYLOAD.
3. Otherwise (placeholder names such as ``OBJECT C``) the COSPAR piece letters, the most
   frequent type per piece in the full Space-Track catalog of 2023-10-09 (labels from the
   names, 25,071 labelled objects): ``A`` -> PAYLOAD (99 %), ``B`` -> ROCKET BODY (54 %),
   other single letters -> PAYLOAD (about 55 %: co-payloads of multi-payload launches), two
   letters -> DEBRIS (65 %), three letters -> DEBRIS (100 %, breakup fragments).  Measured
   piece-only accuracy on that catalog: about 68 %; with names, types of 96 % of the GCAT
   payloads present in it come out PAYLOAD (tests/catalog/test_metadata.py).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from spacerange.catalog.model import ObjectType
from spacerange.catalog.owners import normalize_owner
from spacerange.catalog.tle import alpha5_decode
from spacerange.errors import ParseError, Reject

__all__ = [
    "ObjectMetadata",
    "infer_object_type",
    "cospar_piece",
    "type_from_piece",
    "parse_gcat_tsv_text",
    "parse_satcat_csv_text",
    "parse_cara_hbr_csv_text",
    "load_metadata",
]


@dataclass(frozen=True, slots=True)
class ObjectMetadata:
    """What a metadata file says about one object; ``None``/empty means "not given"."""

    norad_id: int
    name: str = ""
    cospar_id: str = ""
    object_type: ObjectType | None = None
    owner: str = ""
    launch_date: date | None = None
    hbr_m: float | None = None
    mass_kg: float | None = None


_DEBRIS_MARKERS = (
    " DEB",
    "DEB ",
    "DEBRIS",
    "COOLANT",
    "SHROUD",
    "FAIRING",
    "PLATFORM",
    "FUEL CORE",
    "WESTFORD NEEDLES",
)
_RB_MARKERS = ("R/B", "ROCKET BODY", " AKM", " PKM", " PAM", "ULLAGE MOTOR")
_PLACEHOLDER_RE = re.compile(r"^(OBJECT [A-Z]{1,3}|UNKNOWN|TBA.*|TO BE ASSIGNED.*|)$")
_COSPAR_RE = re.compile(r"^(\d{4})-(\d{3})([A-Z]{1,3})$")


def cospar_piece(cospar_id: str) -> str:
    """Piece letters of a COSPAR id (``1998-067A`` -> ``A``); empty when not COSPAR-shaped."""
    m = _COSPAR_RE.match(cospar_id.strip().upper())
    return m.group(3) if m else ""


def infer_object_type(name: str, cospar_id: str = "") -> ObjectType:
    """Object type from a catalog name and COSPAR id (see the module docstring)."""
    n = " " + name.strip().upper() + " "
    core = name.strip().upper()
    if core.startswith("TBA") or "TO BE ASSIGNED" in core:
        return ObjectType.UNKNOWN
    if any(m in n for m in _RB_MARKERS):
        return ObjectType.ROCKET_BODY
    if any(m in n for m in _DEBRIS_MARKERS) or core.endswith(" DEB"):
        return ObjectType.DEBRIS
    if not _PLACEHOLDER_RE.match(core):
        return ObjectType.PAYLOAD
    return type_from_piece(cospar_piece(cospar_id))


def type_from_piece(piece: str) -> ObjectType:
    """Most likely type for a COSPAR piece (``A``, ``B``, ``AB``...); see the module docstring."""
    if not piece:
        return ObjectType.UNKNOWN
    if piece == "A":
        return ObjectType.PAYLOAD
    if piece == "B":
        return ObjectType.ROCKET_BODY
    if len(piece) == 1:
        return ObjectType.PAYLOAD
    return ObjectType.DEBRIS


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}


def _gcat_date(text: str) -> date | None:
    """GCAT ``1957 Oct  4`` (optionally ``hhmm`` and ``?``) -> date, None when absent."""
    parts = text.replace("?", " ").split()
    if len(parts) < 3 or not parts[0].isdigit():
        return None
    month = _MONTHS.get(parts[1][:3].upper())
    day = re.sub(r"\D", "", parts[2])
    if month is None or not day:
        return None
    return date(int(parts[0]), month, int(day))


def _iso_date(text: str) -> date | None:
    s = (text or "").strip()
    if not s:
        return None
    return date.fromisoformat(s[:10])


def _opt_float(text: str | None) -> float | None:
    s = (text or "").strip()
    if not s or s.upper() == "NAN":
        return None
    return float(s)


def parse_gcat_tsv_text(
    text: str, file: str = "<input>"
) -> tuple[list[ObjectMetadata], list[Reject]]:
    """GCAT ``psatcat`` TSV -> payload metadata (owner = UNState, normalized by
    :func:`spacerange.catalog.owners.normalize_owner`)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("#JCAT"):
        return [], [Reject(file, 1, "GCAT TSV must start with a '#JCAT' header")]
    header = lines[0].lstrip("#").split("\t")
    col = {h.strip(): k for k, h in enumerate(header)}
    need = ("JCAT", "Piece", "Name", "LDate")
    if any(h not in col for h in need):
        return [], [Reject(file, 1, f"GCAT header lacks one of {need}")]
    owner_col = col.get("UNState", col.get("State"))
    out: list[ObjectMetadata] = []
    rejects: list[Reject] = []
    for k, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        try:
            jcat = f[col["JCAT"]].strip()
            if not jcat.startswith("S") or not jcat[1:].isdigit():
                raise ValueError(f"#JCAT {jcat!r} is not 'S' + NORAD number")
            piece = f[col["Piece"]].strip()
            owner = normalize_owner(f[owner_col]) if owner_col is not None else ""
            out.append(
                ObjectMetadata(
                    norad_id=int(jcat[1:]),
                    name=f[col["Name"]].strip().strip("[]"),
                    cospar_id=piece if _COSPAR_RE.match(piece) else "",
                    object_type=ObjectType.PAYLOAD,
                    owner=owner,
                    launch_date=_gcat_date(f[col["LDate"]]),
                )
            )
        except (ValueError, IndexError) as exc:
            rejects.append(Reject(file, k, f"GCAT row: {exc}"))
    return out, rejects


def parse_satcat_csv_text(
    text: str, file: str = "<input>"
) -> tuple[list[ObjectMetadata], list[Reject]]:
    """CelesTrak SATCAT CSV -> metadata (OBJECT_TYPE PAY/R/B/DEB/UNK, OWNER, LAUNCH_DATE)."""
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [h.strip().upper() for h in (reader.fieldnames or [])]
    if "NORAD_CAT_ID" not in reader.fieldnames:
        return [], [Reject(file, 1, "SATCAT CSV header lacks NORAD_CAT_ID")]
    out: list[ObjectMetadata] = []
    rejects: list[Reject] = []
    for row in reader:
        try:
            ident = (row.get("NORAD_CAT_ID") or "").strip()
            norad = alpha5_decode(ident) if ident[:1].isalpha() else int(ident)
            otype = row.get("OBJECT_TYPE")
            launch = _iso_date(row.get("LAUNCH_DATE") or "")
            out.append(
                ObjectMetadata(
                    norad_id=norad,
                    name=(row.get("OBJECT_NAME") or "").strip(),
                    cospar_id=(row.get("OBJECT_ID") or "").strip(),
                    object_type=ObjectType.parse(otype) if otype else None,
                    owner=normalize_owner(row.get("OWNER") or "", launch),
                    launch_date=launch,
                )
            )
        except ValueError as exc:
            rejects.append(Reject(file, reader.line_num, f"SATCAT row: {exc}"))
    return out, rejects


def parse_cara_hbr_csv_text(
    text: str, file: str = "<input>"
) -> tuple[list[ObjectMetadata], list[Reject]]:
    """NASA CARA HBR/mass estimates CSV -> hard-body radius [m] and mass [kg] per object."""
    reader = csv.DictReader(io.StringIO(text))
    out: list[ObjectMetadata] = []
    rejects: list[Reject] = []
    for row in reader:
        try:
            hbr = _opt_float(row.get("HBR"))
            mass = _opt_float(row.get("Mass"))
            if hbr is not None and not hbr > 0:
                raise ValueError(f"HBR {hbr} m must be positive")
            if hbr is None and mass is None:
                continue
            out.append(ObjectMetadata(norad_id=int(row["ObjectID"]), hbr_m=hbr, mass_kg=mass))
        except (ValueError, KeyError, TypeError) as exc:
            rejects.append(Reject(file, reader.line_num, f"CARA HBR row: {exc}"))
    return out, rejects


def load_metadata(path: str | Path) -> tuple[list[ObjectMetadata], list[Reject]]:
    """Metadata from a GCAT TSV, SATCAT CSV or CARA HBR CSV file (sniffed from content)."""
    from spacerange.catalog.formats import sniff_format

    p = Path(path)
    text = p.read_text(encoding="utf-8-sig", errors="replace")
    kind = sniff_format(text[:8192])
    if kind == "gcat_tsv":
        return parse_gcat_tsv_text(text, str(p))
    if kind == "satcat_csv":
        return parse_satcat_csv_text(text, str(p))
    if kind == "cara_hbr_csv":
        return parse_cara_hbr_csv_text(text, str(p))
    raise ParseError(
        "not a metadata file: expected GCAT TSV ('#JCAT' header), SATCAT CSV "
        "(NORAD_CAT_ID, OBJECT_TYPE, OWNER...) or CARA HBR CSV (ObjectID,HBR,...)",
        str(p),
        1,
    )
