"""Breakup detection: a burst of uncorrelated objects near a parent's orbit, traced back to
a common event time and place.

1. :func:`breakup_candidates` keeps the uncorrelated element sets whose orbits could come
   from the parent: orbital plane close to the parent's *at a common epoch* (angle between
   orbit normals below ``max_plane_angle_deg``; fragments with ~100 m/s ejection tilt the
   plane by < 1 deg in LEO) and a perigee-apogee band that contains the parent's altitude
   range (a fragment's orbit passes through the breakup point; see the Gabbard diagram of
   :mod:`spacerange.events.gabbard`).
2. :func:`trace_breakup` (element sets within days of the event; for sets weeks old use
   :func:`spacerange.events.breakup_trace.trace_pinch`) propagates the candidates back with SGP4 (TEME) and finds the time
   that minimizes their spread (median distance to the component-wise median position),
   first on a coarse grid, then refined; with a parent, the spread is measured around the
   parent's position instead, which also gives the place (geodetic lat/lon/alt).
   Along-track dispersion grows secularly after the event, so the event is the global
   minimum over the search window (fragments re-converge only partially each revolution).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spacerange.catalog.model import ElementSet

__all__ = ["BreakupTrace", "breakup_candidates", "trace_breakup"]


def _plane_normal(e: ElementSet) -> np.ndarray:
    i, o = np.radians(e.inclination_deg), np.radians(e.raan_deg)
    return np.array([np.sin(i) * np.sin(o), -np.sin(i) * np.cos(o), np.cos(i)])


def breakup_candidates(
    parent: ElementSet,
    uncorrelated: Sequence[ElementSet],
    max_plane_angle_deg: float = 3.0,
    altitude_margin_km: float = 50.0,
) -> np.ndarray:
    """Indices of ``uncorrelated`` sets consistent with fragments of ``parent``.

    Planes and perigee/apogee bands are compared at the parent's epoch after each set's
    SGP4 mean elements are propagated there (secular node drift, drag), so sets of mixed
    epochs weeks after the event still match; see
    :func:`spacerange.events.breakup_trace.select_fragments`."""
    from spacerange.events.breakup_trace import select_fragments

    return select_fragments(parent, uncorrelated, None, max_plane_angle_deg, altitude_margin_km)


@dataclass
class BreakupTrace:
    """Estimated event epoch and place (TEME km and geodetic), the spread curve."""

    epoch_utc: np.datetime64
    r_teme_km: np.ndarray
    lat_deg: float
    lon_deg: float
    alt_km: float
    spread_km: float
    search_times_utc: np.ndarray
    spread_curve_km: np.ndarray
    n_fragments: int

    def as_dict(self) -> dict:
        from spacerange.timescales import iso_utc

        return {
            "epoch_utc": iso_utc(self.epoch_utc),
            "lat_deg": self.lat_deg,
            "lon_deg": self.lon_deg,
            "alt_km": self.alt_km,
            "spread_km": self.spread_km,
            "n_fragments": self.n_fragments,
        }


def _spread(st: np.ndarray, center: np.ndarray | None, w_t: float) -> np.ndarray:
    """States (n, n_t, 6) -> robust spread (n_t,) km around ``center`` (n_t, 6) or the
    median state; the along-track offset is weighted by ``w_t``."""
    from spacerange.frames import to_rtn

    c = np.nanmedian(st, axis=0) if center is None else center
    d = to_rtn(st[..., :3] - c[None, :, :3], c[None, :, :3], c[None, :, 3:])
    d[..., 1] *= w_t
    return np.nanmedian(np.linalg.norm(d, axis=-1), axis=0)


def _positions(tles, times):
    from spacerange.propagation.sgp4_batch import propagate

    eph = propagate(tles, times, frame="teme", workers=1)
    return np.concatenate([eph.r, eph.v], axis=-1)


def trace_breakup(
    fragments: Sequence[ElementSet],
    search_end_utc,
    search_span_s: float = 3 * 86400.0,
    parent: ElementSet | None = None,
    coarse_step_s: float = 60.0,
    along_track_weight: float = 0.05,
) -> BreakupTrace:
    """Event time and place of a breakup from fragment element sets.

    Searches ``[search_end_utc - search_span_s, search_end_utc]`` (UTC).  ``parent``: the
    parent's element set (optional; the spread is then taken around its position).
    ``along_track_weight``: weight of the along-track offsets in the spread; element-set
    errors are largest along-track (mean-motion errors grow secularly) while all fragment
    orbits pass through the breakup point in radius and cross-track (the pinch point), so
    a small weight sharpens the epoch; 1 gives the plain 3-D spread."""
    from spacerange.errors import SpacerangeError
    from spacerange.frames import itrs_to_geodetic, teme_to_itrs
    from spacerange.timescales import parse_utc

    if len(fragments) < 3:
        raise SpacerangeError(f"trace_breakup: need at least 3 fragments, got {len(fragments)}")
    tles = [(e.line1, e.line2) for e in fragments]
    ptle = [(parent.line1, parent.line2)] if parent is not None else None
    end = parse_utc(search_end_utc)
    step = coarse_step_s
    t = end - (np.arange(0, search_span_s + step, step)[::-1] * 1e6).astype("timedelta64[us]")
    curve_t, curve = None, None
    for level in range(3):
        r = _positions(tles, t)
        c = _positions(ptle, t)[0] if ptle else None
        s = _spread(r, c, along_track_weight)
        if level == 0:
            curve_t, curve = t, s
        k = int(np.nanargmin(s))
        tk = t[k]
        step = step / 20.0
        t = tk + (np.arange(-20, 21) * step * 1e6).astype("timedelta64[us]")
    r = _positions(tles, np.array([tk]))[:, 0, :3]
    place = _positions(ptle, np.array([tk]))[0, 0, :3] if ptle else np.nanmedian(r, axis=0)
    ri, _ = teme_to_itrs(place[None], np.zeros((1, 3)), np.array([tk]))
    g = itrs_to_geodetic(ri)[0]
    return BreakupTrace(
        epoch_utc=tk,
        r_teme_km=place,
        lat_deg=float(g[0]),
        lon_deg=float(g[1]),
        alt_km=float(g[2]),
        spread_km=float(np.nanmin(s)),
        search_times_utc=curve_t,
        spread_curve_km=curve,
        n_fragments=len(fragments),
    )
