"""Proximity and rendezvous detection around protected assets.

LEO (:func:`detect_leo_proximity`): relative motion of every other object in the asset's
RTN frame over a window; an object is flagged when

* ``persistent``: its range stays below ``range_threshold_km`` for at least
  ``persist_fraction`` of the window (co-orbiting inspector / formation), or
* ``closing``: its per-revolution minimum range (one value per asset orbital period)
  decreases at every one of the last ``min_passes`` revolutions, by ``min_closing_km`` in
  total, and ends below ``watch_range_km`` (a phasing approach).

GEO (:func:`detect_geo_slot_intrusion`): sub-satellite longitudes (ITRS) and drift rates
(deg/day, least squares over ``rate_window_s``).  An object is flagged when it ends inside
the asset's slot (``slot_half_width_deg``) and is parked there (|drift| below
``parked_rate_deg_day``), after having come from outside the slot or approached it
(``approaching``: |longitude offset| decreased by more than the slot half-width).

Inputs are GCRS states on a common time grid: ``asset`` (n_t, 6), ``others`` (m, n_t, 6)
[km, km/s]; :func:`states_from_tles` gives them from TLEs via batch SGP4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spacerange.constants import MU_WGS84_KM3_S2

__all__ = [
    "ProximityReport",
    "detect_geo_slot_intrusion",
    "detect_leo_proximity",
    "relative_rtn_km",
    "states_from_tles",
]


@dataclass
class ProximityReport:
    """Flags and diagnostics, one row per other object (arrays (m,) unless noted)."""

    flagged: np.ndarray
    reason: list[str]
    min_range_km: np.ndarray
    final_range_km: np.ndarray
    rel_rtn_km: np.ndarray
    """(m, n_t, 3) relative positions in the asset's RTN frame, km."""
    extra: dict

    @classmethod
    def from_relative(
        cls, flagged: np.ndarray, reason: list[str], rel_rtn_km: np.ndarray, extra: dict
    ) -> ProximityReport:
        """Report whose range columns derive from ``rel_rtn_km`` (m, n_t, 3), km."""
        rng = np.linalg.norm(rel_rtn_km, axis=-1)
        return cls(flagged, reason, np.nanmin(rng, axis=1), rng[:, -1], rel_rtn_km, extra)


def relative_rtn_km(asset: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Positions of ``others`` (m, n_t, 6) relative to ``asset`` (n_t, 6) in the asset's
    RTN frame, km, (m, n_t, 3)."""
    from spacerange.frames import to_rtn

    d = others[..., :3] - asset[None, :, :3]
    return to_rtn(d, asset[None, :, :3], asset[None, :, 3:])


def _check(asset, others, times):
    a = np.asarray(asset, float)
    o = np.asarray(others, float)
    o = o[None] if o.ndim == 2 else o
    t = np.asarray(times, "datetime64[us]")
    if a.shape != (t.size, 6) or o.shape[1:] != (t.size, 6):
        raise ValueError(
            f"asset must be (n_t, 6) and others (m, n_t, 6) with n_t = {t.size} times; got "
            f"{a.shape} and {o.shape}"
        )
    return a, o, t


def detect_leo_proximity(
    asset,
    others,
    times_utc,
    range_threshold_km: float = 10.0,
    persist_fraction: float = 0.5,
    watch_range_km: float = 50.0,
    min_passes: int = 3,
    min_closing_km: float = 1.0,
) -> ProximityReport:
    """Flag LEO objects lingering near or closing on the asset (see module docstring)."""
    a, o, t = _check(asset, others, times_utc)
    rel = relative_rtn_km(a, o)
    rng = np.linalg.norm(rel, axis=-1)
    t_s = (t - t[0]) / np.timedelta64(1, "s")
    r0, v0 = np.linalg.norm(a[0, :3]), np.linalg.norm(a[0, 3:])
    sma = 1.0 / (2.0 / r0 - v0 * v0 / MU_WGS84_KM3_S2)
    period = 2 * np.pi * np.sqrt(sma**3 / MU_WGS84_KM3_S2)
    rev = np.floor(t_s / period).astype(int)
    n_rev = int(rev.max()) + 1
    per_rev = np.full((o.shape[0], n_rev), np.inf)
    for k in range(n_rev):
        sel = rev == k
        per_rev[:, k] = np.nanmin(np.where(np.isfinite(rng[:, sel]), rng[:, sel], np.inf), axis=1)
    full = n_rev - 1 if t_s[-1] - n_rev * period < 0.5 * period else n_rev
    pr = per_rev[:, : max(full, 1)]
    below = np.mean(rng < range_threshold_km, axis=1)
    persistent = below >= persist_fraction
    closing = np.zeros(o.shape[0], bool)
    if pr.shape[1] > min_passes:
        last = pr[:, -(min_passes + 1) :]
        steps = np.diff(last, axis=1)
        closing = (
            np.all(steps < 0, axis=1)
            & (last[:, 0] - last[:, -1] >= min_closing_km)
            & (last[:, -1] < watch_range_km)
        )
    flagged = persistent | closing
    reason = [
        "persistent" if p else ("closing" if c else "")
        for p, c in zip(persistent, closing, strict=True)
    ]
    extra = {"per_rev_min_range_km": pr, "fraction_below": below, "period_s": period}
    return ProximityReport.from_relative(flagged, reason, rel, extra)


def detect_geo_slot_intrusion(
    asset,
    others,
    times_utc,
    slot_half_width_deg: float = 0.1,
    parked_rate_deg_day: float = 0.02,
    rate_window_s: float = 86400.0,
) -> ProximityReport:
    """Flag GEO objects drifting into and parking in the asset's longitude slot."""
    from spacerange.maneuvers.geo_relocation import longitude_deg

    a, o, t = _check(asset, others, times_utc)
    lon_a = longitude_deg(a[:, :3], t)
    lon_o = longitude_deg(o[..., :3], t)
    dlon = (lon_o - lon_a[None] + 180.0) % 360.0 - 180.0  # (m, n_t)
    t_d = (t - t[0]) / np.timedelta64(1, "D")
    win = t_d >= t_d[-1] - rate_window_s / 86400.0
    x = t_d[win] - t_d[win].mean()
    unwrapped = np.degrees(np.unwrap(np.radians(lon_o), axis=1))
    y = unwrapped[:, win]
    rate = (y - y.mean(axis=1, keepdims=True)) @ x / (x @ x)
    inside_end = np.abs(dlon[:, -1]) <= slot_half_width_deg
    parked = np.abs(rate) <= parked_rate_deg_day
    came_in = np.abs(dlon[:, 0]) > slot_half_width_deg
    approaching = np.abs(dlon[:, 0]) - np.abs(dlon[:, -1]) > slot_half_width_deg
    flagged = inside_end & parked & (came_in | approaching)
    reason = ["parked in slot" if f else "" for f in flagged]
    extra = {"delta_lon_deg": dlon, "drift_rate_deg_day": rate, "asset_lon_deg": lon_a}
    return ProximityReport.from_relative(flagged, reason, relative_rtn_km(a, o), extra)


def states_from_tles(tles, times_utc) -> np.ndarray:
    """GCRS states (n, n_t, 6) of TLEs ((line1, line2) pairs) by batch SGP4."""
    from spacerange.propagation.sgp4_batch import propagate

    eph = propagate(list(tles), np.asarray(times_utc, "datetime64[us]"), frame="gcrs", workers=1)
    return np.concatenate([eph.r, eph.v], axis=-1)
