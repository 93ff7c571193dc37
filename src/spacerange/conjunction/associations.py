"""Docked and formation-flying objects: pairs that stay together are associations, not
conjunctions.

Screening a station finds its docked vehicles once per orbit (the ISS and a docked Progress:
miss a few tens of metres, relative speed 0.35 m/s, every revolution).  Such a pair is not
a close approach: the 2-D Pc formula does not apply to it (relative speed far below its
validity bound) and an avoidance manoeuvre against it is meaningless.  CARA and 18 SDS
report such objects as associated; so does this module.

A pair is an association when every one of its events in the window is slow (relative
speed below ``max_rel_speed_m_s``, default 10 m/s) and at least one of:

* **persistence**: ``min_events`` or more slow events in the window (a docked or formation
  pair meets every revolution; a genuine slow encounter, e.g. in GEO, once);
* **designator family**: both objects come from the same launch (COSPAR ``YYYY-NNN``):
  co-launched payloads in formation, a satellite and its released companion;
* **user list**: the pair is in a list of known associations (``known_pairs``).

Everything else stays a conjunction.  Associations are reported with their evidence
(events, miss range, speed, reason) so an analyst can check the call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from spacerange.catalog.owners import launch_designator

__all__ = ["Association", "find_associations", "DEFAULT_MAX_REL_SPEED_M_S", "DEFAULT_MIN_EVENTS"]

DEFAULT_MAX_REL_SPEED_M_S = 10.0
DEFAULT_MIN_EVENTS = 3


@dataclass(frozen=True, slots=True)
class Association:
    """One associated pair and the evidence for it."""

    norad_id_1: int
    norad_id_2: int
    events: int
    miss_min_m: float
    miss_max_m: float
    rel_speed_max_m_s: float
    reason: str

    def as_dict(self) -> dict:
        return {
            "norad_id_1": self.norad_id_1,
            "norad_id_2": self.norad_id_2,
            "events": self.events,
            "miss_min_m": round(self.miss_min_m, 3),
            "miss_max_m": round(self.miss_max_m, 3),
            "relative_speed_max_m_s": round(self.rel_speed_max_m_s, 4),
            "reason": self.reason,
        }


def find_associations(
    norad_id_1: np.ndarray,
    norad_id_2: np.ndarray,
    miss_km: np.ndarray,
    rel_speed_km_s: np.ndarray,
    cospar_by_id: Mapping[int, str] | None = None,
    known_pairs: Iterable[tuple[int, int]] = (),
    max_rel_speed_m_s: float = DEFAULT_MAX_REL_SPEED_M_S,
    min_events: int = DEFAULT_MIN_EVENTS,
) -> tuple[np.ndarray, list[Association]]:
    """Flag the events of associated pairs.

    Inputs are event columns (one row per event).  Returns a boolean mask, True for events
    of associated pairs, and one :class:`Association` per such pair (sorted by ids).
    """
    a = np.asarray(norad_id_1, np.int64)
    b = np.asarray(norad_id_2, np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    speed_m_s = np.asarray(rel_speed_km_s, float) * 1e3
    miss_m = np.asarray(miss_km, float) * 1e3
    mask = np.zeros(len(a), dtype=bool)
    if len(a) == 0:
        return mask, []
    known = {(min(p), max(p)) for p in ((int(x), int(y)) for x, y in known_pairs)}
    cospar = cospar_by_id or {}
    keys = lo * (1 << 32) + hi
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    max_speed = np.full(len(uniq), -np.inf)
    np.maximum.at(max_speed, inverse, np.nan_to_num(speed_m_s, nan=np.inf))
    out: list[Association] = []
    for k in np.flatnonzero(max_speed < max_rel_speed_m_s):
        p, q = int(uniq[k] >> 32), int(uniq[k] & 0xFFFFFFFF)
        reasons = []
        if (p, q) in known:
            reasons.append("listed as associated")
        if counts[k] >= min_events:
            reasons.append(f"{counts[k]} slow approaches in the window (persistent)")
        lp, lq = launch_designator(cospar.get(p, "")), launch_designator(cospar.get(q, ""))
        if lp and lp == lq:
            reasons.append(f"same launch {lp}")
        if not reasons:
            continue
        rows = inverse == k
        mask |= rows
        out.append(
            Association(
                p,
                q,
                int(counts[k]),
                float(np.nanmin(miss_m[rows])),
                float(np.nanmax(miss_m[rows])),
                float(max_speed[k]),
                f"relative speed below {max_rel_speed_m_s:g} m/s; " + "; ".join(reasons),
            )
        )
    return mask, out


def separate_associations(
    result,
    norad_ids: np.ndarray,
    cospar_ids: np.ndarray | None = None,
    known_pairs: Iterable[tuple[int, int]] = (),
    max_rel_speed_m_s: float = DEFAULT_MAX_REL_SPEED_M_S,
    min_events: int = DEFAULT_MIN_EVENTS,
) -> list[Association]:
    """Remove the events of associated pairs from a
    :class:`~spacerange.conjunction.screening.ScreeningResult` (in place) and return the
    associations.  ``norad_ids``/``cospar_ids`` are per input object (the indices ``i, j``
    of the events refer to them)."""
    ev = result.events
    ids = np.asarray(norad_ids, np.int64)
    cospar = (
        {int(n): str(c) for n, c in zip(ids, cospar_ids, strict=True)}
        if cospar_ids is not None
        else None
    )
    mask, assoc = find_associations(
        ids[ev["i"]],
        ids[ev["j"]],
        ev["miss_km"],
        ev["rel_speed_km_s"],
        cospar,
        known_pairs,
        max_rel_speed_m_s,
        min_events,
    )
    if mask.any():
        result.events = {k: v[~mask] for k, v in ev.items()}
    return assoc
