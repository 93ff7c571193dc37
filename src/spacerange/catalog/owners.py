"""Owner codes: one spelling per owner, aliases accepted on input, launch-owner inheritance.

The canonical codes are GCAT's state and organisation codes (J. McDowell, planet4589.org:
``US``, ``CN``, ``RU``, ``SU`` (USSR), ``F``, ``J``, ``IN``, ``D``, ``I-ESA`` ...). GCAT
writes them with markup that is not part of the code: ``[US]`` (attributed, not
registered) and a trailing ``*`` (flag); :func:`normalize_owner` strips it.  CelesTrak /
Space-Track SATCAT codes (``PRC``, ``CIS``, ``FR``, ``JPN``, ``ESA`` ...) are mapped to the
same codes, so a catalog merged from both sources has one spelling per owner and
``--owner PRC`` finds what ``--owner CN`` finds.

Debris and rocket bodies have no GCAT payload row; they belong to the launch's owner. Their
owner is inherited from a payload of the same launch (same ``YYYY-NNN`` COSPAR prefix):
:func:`inherit_launch_owners`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

__all__ = [
    "SATCAT_ALIASES",
    "normalize_owner",
    "owner_query_codes",
    "launch_designator",
    "inherit_launch_owners",
]

# SATCAT (Space-Track / CelesTrak) owner code -> GCAT code(s).  Codes equal in both schemes
# (US, UK, CA, NZ, UAE ...) need no entry.  CIS covers the USSR and Russia.
SATCAT_ALIASES: dict[str, tuple[str, ...]] = {
    "PRC": ("CN",),
    "CIS": ("RU", "SU"),
    "USSR": ("SU",),
    "FR": ("F",),
    "JPN": ("J",),
    "IND": ("IN",),
    "GER": ("D",),
    "IT": ("I",),
    "ESA": ("I-ESA",),
    "EUME": ("I-EUM",),
    "SKOR": ("KR",),
    "ISRA": ("IL",),
    "BRAZ": ("BR",),
    "AUS": ("AU",),
    "ARGN": ("AR",),
    "SPN": ("E",),
    "NETH": ("NL",),
    "SWED": ("S",),
    "NOR": ("N",),
    "FIN": ("FI",),
    "TURK": ("TR",),
    "IRAN": ("IR",),
    "INDO": ("ID",),
    "MEX": ("MX",),
    "THAI": ("T",),
    "ROC": ("TW",),
    "SING": ("SG",),
    "SAUD": ("SA",),
    "EGYP": ("EG",),
    "LUXE": ("L",),
    "UKR": ("UA",),
    "SWTZ": ("CH",),
    "DEN": ("DK",),
    "BEL": ("B",),
    "POL": ("PL",),
    "MALA": ("MY",),
}

_MARKUP = re.compile(r"[\[\]*?]")
_USSR_END = date(1991, 12, 26)
_LAUNCH_RE = re.compile(r"^(\d{4}-\d{3})[A-Z]{0,3}$")


def normalize_owner(code: str, launch_date: date | None = None) -> str:
    """Canonical owner code: GCAT markup (``[..]``, ``*``, ``?``) removed, upper case, SATCAT
    spellings mapped to GCAT's (``CIS`` becomes ``SU`` for launches before 26 Dec 1991 and
    ``RU`` after, or when the date is unknown); ``-`` and empty mean no owner (``""``)."""
    c = _MARKUP.sub("", code or "").strip().upper()
    if c in ("", "-"):
        return ""
    if c == "CIS":
        return "SU" if launch_date is not None and launch_date < _USSR_END else "RU"
    alias = SATCAT_ALIASES.get(c)
    return alias[0] if alias else c


def owner_query_codes(codes: Iterable[str]) -> list[str]:
    """Stored codes matching user-given owner codes in either scheme (``PRC`` -> ``CN``;
    ``CIS`` -> ``RU`` and ``SU``; markup ignored), order kept, duplicates dropped."""
    out: list[str] = []
    for code in codes:
        c = _MARKUP.sub("", str(code)).strip().upper()
        for k in SATCAT_ALIASES.get(c, (c,)):
            if k and k not in out:
                out.append(k)
    return out


def launch_designator(cospar_id: str) -> str:
    """Launch part of a COSPAR id (``1998-067A`` -> ``1998-067``; analyst objects carry the
    launch alone); empty when not COSPAR-shaped."""
    m = _LAUNCH_RE.match((cospar_id or "").strip().upper())
    return m.group(1) if m else ""


def inherit_launch_owners(
    cospar_ids: Sequence[str], owners: Sequence[str], is_payload: Sequence[bool]
) -> list[str]:
    """Owners with the gaps filled from the launch: an object without an owner takes the
    owner of a payload of its launch (the lowest piece letter among the payloads that have
    one; a non-payload's when the launch has no payload with an owner).  Objects with an
    owner keep it; objects whose launch has no owner at all stay ``""``."""
    best: dict[str, tuple[int, str, str]] = {}
    for cid, own, pay in zip(cospar_ids, owners, is_payload, strict=True):
        launch = launch_designator(cid)
        if not launch or not own:
            continue
        key = (0 if pay else 1, cid.strip().upper(), own)
        if launch not in best or key < best[launch]:
            best[launch] = key
    out = []
    for cid, own in zip(cospar_ids, owners, strict=True):
        if own:
            out.append(own)
            continue
        hit = best.get(launch_designator(cid))
        out.append(hit[2] if hit else "")
    return out
