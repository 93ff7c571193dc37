"""Element-set selection for a time window: the set nearest the window, and an age limit.

A store keeps every element set it was given.  An analysis of a window must use, per
object, the set whose epoch is nearest that window, never simply the newest one: a 2025
set propagated back two years to a 2023 window gives positions thousands of km off with no
error code.  And a set far from the window (the object was not observed for weeks) is not
fit for conjunction screening at all, so beyond an age limit per regime it is left out and
reported (per-element failures are data).

Default limits (days between the epoch and the window; 0 inside it):

======  =====  ======================================================================
LEO     10     the default TLE covariance's along-track 1-sigma grows ~1 km/day
               (:data:`spacerange.conjunction.covariance.TLE_SIGMA_MODEL_KM`): 10 km,
               twice the default 5 km screening distance, after 10 days
GTO     10     perigee in LEO: drag-driven errors as in LEO
MEO     15     1.5 km/day; navigation constellations are updated daily
HEO     15     Molniya/Tundra: slow growth away from perigee, sparse tracking
GEO     30     slow error growth in the GEO belt; sparse optical tracking updates
IGSO    30     as GEO
======  =====  ======================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from spacerange.catalog.model import ElementSet
from spacerange.catalog.regime import regimes_from_mean_motion

__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "StaleElementSet",
    "WindowSelection",
    "nearest_to_window",
    "select_for_window",
]

DEFAULT_MAX_AGE_DAYS: dict[str, float] = {
    "LEO": 10.0,
    "GTO": 10.0,
    "MEO": 15.0,
    "HEO": 15.0,
    "GEO": 30.0,
    "IGSO": 30.0,
}


@dataclass(frozen=True, slots=True)
class StaleElementSet:
    """An element set left out because its epoch is too far from the window."""

    norad_id: int
    epoch_utc: datetime
    age_days: float
    max_age_days: float
    regime: str

    def as_dict(self) -> dict:
        return {
            "norad_id": self.norad_id,
            "epoch_utc": self.epoch_utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "age_days": round(self.age_days, 3),
            "max_age_days": self.max_age_days,
            "regime": self.regime,
            "reason": f"element set {self.age_days:.1f} d from the window "
            f"(limit {self.max_age_days:g} d for {self.regime})",
        }


@dataclass(slots=True)
class WindowSelection:
    """The sets kept for a window, the ones left out as too old, and the limits used."""

    kept: list[ElementSet]
    stale: list[StaleElementSet] = field(default_factory=list)
    max_age_days: dict[str, float] = field(default_factory=dict)
    age_days: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _window_distance_days(epochs: Sequence[datetime], start: datetime, end: datetime) -> np.ndarray:
    ep = np.array([e.timestamp() for e in epochs], dtype=float)
    t0, t1 = start.timestamp(), end.timestamp()
    return np.maximum.reduce([t0 - ep, ep - t1, np.zeros_like(ep)]) / 86400.0


def nearest_to_window(
    elsets: Iterable[ElementSet], start: datetime, end: datetime
) -> list[ElementSet]:
    """Per object, the set whose epoch is nearest ``[start, end]`` (ties: the later epoch),
    sorted by NORAD id; what :meth:`CatalogStore.element_sets_for_window` does in SQL."""
    best: dict[int, tuple[float, float, ElementSet]] = {}
    items = list(elsets)
    dist = _window_distance_days([e.epoch for e in items], start, end)
    for e, d in zip(items, dist, strict=True):
        key = (float(d), -e.epoch.timestamp())
        cur = best.get(e.norad_id)
        if cur is None or key < cur[:2]:
            best[e.norad_id] = (*key, e)
    return [best[n][2] for n in sorted(best)]


def select_for_window(
    elsets: Sequence[ElementSet],
    start: datetime,
    end: datetime,
    max_age_days: Mapping[str, float] | float | None = None,
) -> WindowSelection:
    """Split one set per object into those fit for ``[start, end]`` and the stale ones.

    ``max_age_days``: a limit per regime (merged over :data:`DEFAULT_MAX_AGE_DAYS`), one
    number for every regime, or ``float("inf")`` to keep everything (ages still reported).
    """
    limits = dict(DEFAULT_MAX_AGE_DAYS)
    if isinstance(max_age_days, Mapping):
        limits.update({k.upper(): float(v) for k, v in max_age_days.items()})
    elif max_age_days is not None:
        limits = {k: float(max_age_days) for k in limits}
    if not elsets:
        return WindowSelection([], [], limits, np.zeros(0))
    age = _window_distance_days([e.epoch for e in elsets], start, end)
    reg = regimes_from_mean_motion(
        np.array([e.mean_motion_rev_day for e in elsets]),
        np.array([e.eccentricity for e in elsets]),
        np.array([e.inclination_deg for e in elsets]),
    )
    limit = np.array([limits[str(r)] for r in reg])
    ok = age <= limit
    stale = [
        StaleElementSet(e.norad_id, e.epoch, float(a), float(lim), str(r))
        for e, a, lim, r, k in zip(elsets, age, limit, reg, ok, strict=True)
        if not k
    ]
    kept = [e for e, k in zip(elsets, ok, strict=True) if k]
    return WindowSelection(kept, stale, limits, age)
