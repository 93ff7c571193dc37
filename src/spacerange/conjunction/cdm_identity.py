"""Event identity and Pc-method flags in the CDMs spacerange writes.

Identity (what stays the same from one screening to the next, and what changes):

* ``CONJUNCTION_ID`` names the *event*: ``SR-<id1>-<id2>-<TCA>Z`` with the two object
  designators (NORAD ids) in ascending order and the TCA rounded to the nearest minute
  (``YYYYMMDDTHHMM``).  Successive screenings of an updated catalog move the TCA by
  seconds, so the same pair and TCA gets the same id.  Near a minute boundary (TCA
  12:00:29 then 12:00:31) rounding alone would split it; so when the output directory
  already holds a CDM of the same pair whose TCA is within :data:`TCA_TOLERANCE_S` (the
  grouping tolerance of ``spacerange events``), its ``CONJUNCTION_ID`` is kept.
* ``MESSAGE_ID`` names the *message*: ``<CONJUNCTION_ID>-<CREATION_DATE to the
  microsecond>-<6 random hex>``, unique per message; the file is ``<MESSAGE_ID>.cdm``, so a
  later screening into the same directory adds messages instead of overwriting them.
* ``PREVIOUS_MESSAGE_ID`` is the ``MESSAGE_ID`` of the latest earlier message of the
  same event found in the output directory (absent for the first message).

``CONJUNCTION_ID`` and ``PREVIOUS_MESSAGE_ID`` are CDM 2.0 keywords (CCSDS 508.0-B-2); our
messages are CDM 1.0 (508.0-B-1, the version the NDM/XML 2.0 schema describes), which
has no place for them, so they are written as ``COMMENT KEY = value`` lines of the header,
after ``CCSDS_CDM_VERS`` (a COMMENT never precedes it).  The Pc method's validity flags go
there in the same form (:func:`flag_comments`); :func:`comment_values` reads them back, and
the readers also take the CDM 2.0 keywords when a message carries them.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "TCA_TOLERANCE_S",
    "PreviousMessages",
    "comment_values",
    "conjunction_id",
    "flag_comments",
    "message_id",
]

#: same event when the pair matches and the TCAs differ by at most this (s)
TCA_TOLERANCE_S = 600.0


def _order(d: str) -> tuple:
    return (0, int(d), d) if d.isdigit() else (1, 0, d)


def conjunction_id(designator1, designator2, tca_utc) -> str:
    """``SR-<lower id>-<higher id>-<TCA rounded to the minute>Z`` (module docstring)."""
    a, b = sorted((str(designator1).strip(), str(designator2).strip()), key=_order)
    t = np.datetime64(tca_utc, "us")
    minute = (t + np.timedelta64(30, "s")).astype("datetime64[m]")
    stamp = np.datetime_as_string(minute, unit="m").replace("-", "").replace(":", "")
    return f"SR-{a}-{b}-{stamp}Z"


def message_id(conj_id: str, created_utc) -> str:
    """Unique message id: the event's id, the creation time (us) and 6 random hex digits."""
    t = np.datetime_as_string(np.datetime64(created_utc, "us"), unit="us")
    stamp = t.replace("-", "").replace(":", "").replace(".", "")
    return f"{conj_id}-{stamp}-{uuid.uuid4().hex[:6]}"


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def flag_comments(method: str, reason: str, flags: Mapping[str, Any]) -> list[str]:
    """``KEY = value`` comment lines for the Pc method used, its reason and the validity
    flags (:func:`.multistep.validity_flags`): ``PC_METHOD``, ``PC_REASON``, ``PC_2D``,
    ``VIOLATIONS_2D`` (``none`` when 2-D is valid), ``USAGE_2D``, and when computed
    ``NC3D``, ``VIOLATIONS_3D``, ``PC_CI95``."""
    v2 = flags.get("violations_2d") or []
    out = [
        f"PC_METHOD = {method}",
        f"PC_REASON = {reason or 'n/a'}",
        f"PC_2D = {_fmt(flags.get('pc_2d'))}",
        f"VIOLATIONS_2D = {', '.join(v2) if v2 else 'none'}",
    ]
    if flags.get("usage_2d"):
        out.append(f"USAGE_2D = {flags['usage_2d']}")
    if flags.get("violations_3d") is not None:
        v3 = flags["violations_3d"]
        out.append(f"NC3D = {_fmt(flags.get('nc3d'))}")
        out.append(f"VIOLATIONS_3D = {', '.join(v3) if v3 else 'none'}")
    if flags.get("ci95"):
        lo, hi = flags["ci95"]
        out.append(f"PC_CI95 = {_fmt(lo)} {_fmt(hi)}")
    return out


def comment_values(cdm) -> dict[str, str]:
    """``KEY = value`` pairs of a CDM's header comments, plus the CDM 2.0
    ``CONJUNCTION_ID`` / ``PREVIOUS_MESSAGE_ID`` keywords when present (they win)."""
    out: dict[str, str] = {}
    for c in cdm.header.get("COMMENT") or []:
        key, sep, value = str(c).partition("=")
        key = key.strip()
        if sep and key.replace("_", "").isalnum() and key.upper() == key:
            out[key] = value.strip()
    for k in ("CONJUNCTION_ID", "PREVIOUS_MESSAGE_ID"):
        v = (cdm.cdm2 or {}).get(k)
        if v:
            out[k] = str(v).strip()
    return out


@dataclass
class _Known:
    pair: tuple[str, str]
    tca_utc: np.datetime64
    created_utc: np.datetime64
    message_id: str | None
    conjunction_id: str | None


class PreviousMessages:
    """The CDMs already in a directory, to continue their events' identities."""

    def __init__(self, known: Iterable[_Known] = ()):
        self.known = list(known)

    @classmethod
    def scan(cls, directory: str | Path) -> PreviousMessages:
        """Read every ``*.cdm`` / ``*.xml`` CDM in ``directory`` (unreadable files skipped)."""
        from spacerange.ccsds import read_cdm
        from spacerange.errors import SpacerangeError

        known = []
        d = Path(directory)
        if not d.is_dir():
            return cls()
        for path in sorted([*d.glob("*.cdm"), *d.glob("*.xml")]):
            try:
                cdms = read_cdm(path, file=str(path), require_covariance=False)
            except (SpacerangeError, ValueError, OSError):
                continue
            for c in cdms:
                vals = comment_values(c)
                pair = tuple(sorted((str(c.object1.metadata.get("OBJECT_DESIGNATOR", "")),
                                     str(c.object2.metadata.get("OBJECT_DESIGNATOR", ""))),
                                    key=_order))  # fmt: skip
                known.append(_Known(pair, c.tca, c.header.get("CREATION_DATE"),  # type: ignore[arg-type]
                                    c.header.get("MESSAGE_ID"), vals.get("CONJUNCTION_ID")))  # fmt: skip
        return cls(known)

    def identity(
        self, designator1, designator2, tca_utc, tolerance_s: float = TCA_TOLERANCE_S
    ) -> tuple[str, str | None]:
        """``(CONJUNCTION_ID, PREVIOUS_MESSAGE_ID or None)`` for a new message of this event
        (module docstring)."""
        pair = tuple(sorted((str(designator1), str(designator2)), key=_order))
        tca = np.datetime64(tca_utc, "us")
        tol = np.timedelta64(int(round(tolerance_s * 1e6)), "us")
        same = [k for k in self.known if k.pair == pair and abs(k.tca_utc - tca) <= tol]
        if not same:
            return conjunction_id(designator1, designator2, tca), None
        last = max(same, key=lambda k: (k.created_utc, str(k.message_id)))
        return (last.conjunction_id or conjunction_id(designator1, designator2, tca),
                last.message_id)  # fmt: skip
