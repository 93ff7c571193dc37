"""Conjunction event histories: successive CDMs of one encounter grouped with their trends.

A *conjunction event* is one pair of objects meeting at one TCA.  Operators receive a new
CDM for it every few hours as both orbits are re-determined; the TCA moves by seconds, the
Pc, miss distance and covariance change.  :func:`group_events` groups per-CDM records into
events: same unordered pair of ``OBJECT_DESIGNATOR`` values and TCA within
``tca_tolerance_s`` (default 600 s, far below an orbital period, so distinct passes of the
same pair stay distinct events) of the event's latest TCA.  The event id is the CDM 2.0
``CONJUNCTION_ID`` when the messages carry one (first seen), else
``"<id1>-<id2>-<first TCA, UTC>"``.

Trend labels compare the latest CDM with the first: Pc ``rising``/``falling`` when it moved
by more than a factor ``TREND_FACTOR`` (2), else ``steady``; the same for the miss distance
and for the combined position sigma (``shrinking``/``growing``: a shrinking covariance with
a steady small miss is the classic escalating event).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CdmRecord", "ConjunctionEvent", "group_events", "TREND_FACTOR"]

TREND_FACTOR = 2.0


@dataclass
class CdmRecord:
    """One CDM's figures: ``creation_utc``/``tca_utc`` datetime64[us]; ``pc`` (NaN when
    undefined), ``miss_m``, ``sigma_m`` (sqrt of the trace of the combined position
    covariance, m), the two designators and the message/conjunction ids."""

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

        def norad(text: str) -> int | None:
            return int(text) if str(text).strip().isdigit() else None

        return {
            "event_id": self.event_id,
            "object_id_1": self.pair[0],
            "object_id_2": self.pair[1],
            "norad_id_1": norad(self.pair[0]),
            "norad_id_2": norad(self.pair[1]),
            "n_cdms": len(self.records),
            "tca_utc": f"{np.datetime_as_string(last.tca_utc)}Z",
            "latest": {
                "file": last.file, "message_id": last.message_id,
                "creation_utc": f"{np.datetime_as_string(last.creation_utc)}Z",
                "pc": None if not np.isfinite(last.pc) else last.pc, "method": last.pc_method,
                "miss_m": last.miss_m, "sigma_m": last.sigma_m,
            },
            "trend": {
                "pc": self._trend(first.pc, last.pc, "rising", "falling"),
                "miss": self._trend(first.miss_m, last.miss_m, "growing", "shrinking"),
                "covariance": self._trend(first.sigma_m, last.sigma_m, "growing", "shrinking"),
            },
            "history": [
                {"creation_utc": f"{np.datetime_as_string(r.creation_utc)}Z",
                 "pc": None if not np.isfinite(r.pc) else r.pc, "miss_m": r.miss_m,
                 "sigma_m": r.sigma_m, "message_id": r.message_id}
                for r in self.records
            ],
        }  # fmt: skip


def group_events(
    records: Sequence[CdmRecord], tca_tolerance_s: float = 600.0
) -> list[ConjunctionEvent]:
    """Group records into events (module docstring); events sorted by latest TCA."""
    tol = np.timedelta64(int(round(tca_tolerance_s * 1e6)), "us")
    order = sorted(records, key=lambda r: (r.creation_utc, r.tca_utc))
    events: list[ConjunctionEvent] = []
    open_by_pair: dict[tuple[str, str], list[ConjunctionEvent]] = {}
    for r in order:
        pair = tuple(sorted((r.object1, r.object2)))
        match = None
        for ev in open_by_pair.get(pair, []):
            if abs(ev.records[-1].tca_utc - r.tca_utc) <= tol:
                match = ev
                break
        if match is None:
            eid = (
                r.conjunction_id
                or f"{pair[0]}-{pair[1]}-{np.datetime_as_string(r.tca_utc, unit='s')}Z"
            )
            match = ConjunctionEvent(eid, pair)  # type: ignore[arg-type]
            events.append(match)
            open_by_pair.setdefault(pair, []).append(match)
        match.records.append(r)
    return sorted(events, key=lambda e: e.records[-1].tca_utc)
