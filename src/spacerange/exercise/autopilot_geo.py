"""The competent blue cell's GEO slot watch: objects drifting toward its GEO assets.

A GEO object that burns while the cell's telescopes cannot see it (daytime) raises no
manoeuvre alert: its track goes stale, is lost, and is simply re-acquired at the next
night's pass with a new drift rate.  A drilled GEO cell therefore does not wait for a
manoeuvre alert: every ``WATCH_PERIOD_S`` it reads its own picture and, for each held GEO
track with an observation it has not reviewed yet whose semi-major axis changed by more
than ``DRIFT_CHANGE_KM`` since the watch first saw it (a station change: a GEO belt has
many natural drifters, which keep theirs), works out the longitude drift relative to each
of its GEO assets from the two semi-major axes (two-body mean motions:
``d(lon)/dt = n_object - n_asset``).  A track closing on an asset that gets within
``REACH_DEG`` of it inside ``HORIZON_H``, or within ``NEAR_KM`` of it whichever way it
drifts (a radial hop approaches with no mean drift toward the asset), is screened
against the asset on the team's own estimates (:meth:`TeamPort.closest_approach`); a
predicted closest approach under ``GEO_PROXIMITY_KM``, and well inside the current range
(not a co-located neighbour's station-keeping wobble), is a proximity event: the cell's
proximity procedure runs for a pair once, and again when the approach developed (its
predicted miss halved since the last assessment, or the object manoeuvred since).  A GEO
track whose drift changed is also assessed as a manoeuvre (once per change, at most
daily): the way GEO manoeuvres are found from element-set histories when no pass caught
the burn.
It reads the team view and acts through the team port, nothing else.
"""

from __future__ import annotations

import math

import numpy as np

from spacerange.constants import MU_WGS84_KM3_S2
from spacerange.exercise.autopilot_base import _dt
from spacerange.exercise.teamview import TeamPort, TeamView

__all__ = ["GeoWatch", "closing_tracks", "WATCH_PERIOD_S", "GEO_PROXIMITY_KM", "HORIZON_H"]

#: how often the cell reviews its GEO tracks [s]
WATCH_PERIOD_S = 3600.0
#: predicted closest approach to a GEO asset that is a proximity event [km]
GEO_PROXIMITY_KM = 600.0
#: how far ahead the cell screens drifting objects [h]
HORIZON_H = 72.0
#: a drifting object is screened when it gets within this of an asset's longitude [deg]
REACH_DEG = 1.0
#: a track whose drift changed within this range of a GEO asset is screened against it
#: whichever way it drifts [km] (about 2.7 deg of the belt)
NEAR_KM = 2000.0
#: a proximity event's predicted miss is at most this fraction of the current range
CLOSING_FRACTION = 0.5
#: a change of semi-major axis since a track was first reviewed that is a burn [km]
#: (25 km: 0.32 deg/day of drift, about 0.9 m/s; the synthetic belt's natural drifters keep
#: theirs, a station change does not)
DRIFT_CHANGE_KM = 25.0
#: a GEO drift change assessed as a manoeuvre is not assessed again within this [s]
MNV_REASSESS_S = 24 * 3600.0
#: geocentric radius band of a GEO object [km]
GEO_BAND_KM = (40_000.0, 44_000.0)


def _sma_km(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Osculating semi-major axes (n,) [km] of TEME states (vis-viva)."""
    rn = np.linalg.norm(r, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / (2.0 / rn - np.einsum("...i,...i->...", v, v) / MU_WGS84_KM3_S2)


def closing_tracks(
    asset_r_km, asset_v_km_s, r_km: np.ndarray, v_km_s: np.ndarray, horizon_h: float = HORIZON_H
) -> np.ndarray:
    """Which GEO tracks (states ``r_km, v_km_s`` (n, 3), TEME) drift toward the asset
    (state ``asset_r_km, asset_v_km_s``) and reach ``REACH_DEG`` of its longitude within
    ``horizon_h`` (or are inside it and closing): a boolean mask (n,)."""
    r = np.asarray(r_km, float).reshape(-1, 3)
    v = np.asarray(v_km_s, float).reshape(-1, 3)
    ra, va = np.asarray(asset_r_km, float), np.asarray(asset_v_km_s, float)
    rn = np.linalg.norm(r, axis=1)
    geo = (rn > GEO_BAND_KM[0]) & (rn < GEO_BAND_KM[1])
    # longitude of the object east of the asset (the same sidereal angle cancels) [rad]
    dlon = np.angle(np.exp(1j * (np.arctan2(r[:, 1], r[:, 0]) - math.atan2(ra[1], ra[0]))))
    a, a0 = _sma_km(r, v), float(_sma_km(ra, va))
    with np.errstate(invalid="ignore", divide="ignore"):  # a co-drifting track: rate 0
        rate = np.sqrt(MU_WGS84_KM3_S2 / a**3) - math.sqrt(MU_WGS84_KM3_S2 / a0**3)  # [rad/s]
        closing = dlon * rate < 0.0
        t_reach_s = (np.abs(dlon) - math.radians(REACH_DEG)) / np.abs(rate)
    return geo & np.isfinite(a) & closing & (t_reach_s < horizon_h * 3600.0)


class GeoWatch:
    """Mixin of :class:`~spacerange.exercise.autopilot.CompetentAutopilot`: the GEO slot
    watch (see the module docstring).  Needs ``_prox_due``, ``_not_since``, ``_assess``,
    ``_task`` and ``_proximity``."""

    def _geo_watch_start(self, port: TeamPort) -> None:
        if not getattr(self, "_geo_watch_on", False):
            self._geo_watch_on = True
            port.schedule(0.0, {"do": "geo_watch"})

    def _geo_watch(self, port: TeamPort) -> None:
        v = port.view()
        geo_assets = [a for a in v.assets if _geo_asset(a)]
        if v.role != "blue" or not geo_assets:
            return  # nothing to watch: the timer stops
        port.schedule(WATCH_PERIOD_S, {"do": "geo_watch"})
        if not hasattr(self, "_geo_a_km"):
            self._geo_a_km: dict[str, float] = {}  # track -> reference semi-major axis
            self._geo_seen: dict[tuple[str, str], str | None] = {}  # screened observations
        # only the tracks whose orbits reach the GEO band (or come within NEAR_KM of it):
        # a track's drift reference is taken when the watch first sees such an orbit
        items = list(v.picture_reaching(GEO_BAND_KM[0] - NEAR_KM, GEO_BAND_KM[1] + NEAR_KM))
        if not items:
            return
        r = np.array([p["r_km"] for p in items], float)
        vel = np.array([p["v_km_s"] for p in items], float)
        # each track's drift when first reviewed is its reference (a lost track keeps its
        # last orbit); a track whose drift changed since (it burned) is a suspect
        a_km = _sma_km(r, vel)
        base = self._geo_a_km
        drifted = np.zeros(len(items), bool)
        for j, p in enumerate(items):
            a0 = base.setdefault(p["id"], float(a_km[j]))
            drifted[j] = (abs(float(a_km[j]) - a0) > DRIFT_CHANGE_KM and p.get("custody") == "held"
                          and not _inert(p))  # fmt: skip
        rn = np.linalg.norm(r, axis=1)
        self._geo_drift_changes(port, v, items, a_km,
                                drifted & (rn > GEO_BAND_KM[0]) & (rn < GEO_BAND_KM[1]))  # fmt: skip
        for asset in geo_assets:
            ra = np.asarray(asset["r_km"], float)
            # an eccentric hop (a radial burn) approaches with no mean drift toward the
            # asset: a track that changed its drift this near is screened either way
            near = np.linalg.norm(r - ra, axis=1) < NEAR_KM
            for j in np.flatnonzero(drifted & (closing_tracks(ra, asset["v_km_s"], r, vel)
                                               | near)):  # fmt: skip
                oid, obs = items[j]["id"], items[j].get("last_obs_utc")
                key = (oid, asset["id"])
                # screened once per new observation of the track (not every hour)
                if self._geo_seen.get(key) == obs:
                    continue
                self._geo_seen[key] = obs
                self._screen_drift(port, v, oid, asset["id"], float(np.linalg.norm(r[j] - ra)))

    def _geo_drift_changes(self, port, v: TeamView, items, a_km: np.ndarray, mask) -> None:
        """A GEO track whose drift changed (its semi-major axis moved by more than
        DRIFT_CHANGE_KM since the change last assessed) manoeuvred: assessed and tasked
        like a manoeuvre alert, once per change (how GEO manoeuvres are found from
        element-set histories when no pass caught the burn)."""
        ref = self.__dict__.setdefault("_geo_mnv_a", {})
        now = _dt(v.clock_utc)
        for j in np.flatnonzero(mask):
            oid, a_now = items[j]["id"], float(a_km[j])
            a_ref = ref.get(oid, self._geo_a_km[oid])
            if abs(a_now - a_ref) <= DRIFT_CHANGE_KM:
                continue
            ref[oid] = a_now
            if any(oid == a["id"] for a in v.assets):
                continue
            # its own rate limit: the drift of a one-pass GEO fit moves by tens of km
            # without a burn, and such a false change must not silence the manoeuvre
            # alert path (its proximity screening) for the next day
            if not self._not_since("geo-mnv", oid, now, MNV_REASSESS_S):
                continue
            east = math.degrees(math.sqrt(MU_WGS84_KM3_S2 / a_now**3)
                                - math.sqrt(MU_WGS84_KM3_S2 / a_ref**3)) * 86400.0  # fmt: skip
            self._assess(port, "maneuver", [oid], f"{oid} changed its drift: semi-major axis "
                         f"{a_ref:.0f} -> {a_now:.0f} km, drift {east:+.2f} deg/day (east "
                         "positive).")  # fmt: skip
            self._task(port, v, [oid])

    def _screen_drift(self, port, v: TeamView, oid: str, asset_id: str, range_km: float):
        ca = port.closest_approach(asset_id, oid, HORIZON_H)
        lim = min(GEO_PROXIMITY_KM, CLOSING_FRACTION * range_km)
        if ca is not None and self._prox_due(oid, asset_id, ca.miss_km, _dt(v.clock_utc), lim):
            self._proximity(port, v, oid, asset_id, {"ca": ca})


def _inert(item: dict) -> bool:
    """Debris and rocket bodies do not manoeuvre: a drift change on one is a misfit."""
    name = str(item.get("name", "")).upper()
    return " DEB" in name or "R/B" in name


def _geo_asset(a: dict) -> bool:
    r = np.asarray(a.get("r_km") or [0, 0, 0], float)
    return (
        a.get("v_km_s") is not None and GEO_BAND_KM[0] < float(np.linalg.norm(r)) < GEO_BAND_KM[1]
    )
