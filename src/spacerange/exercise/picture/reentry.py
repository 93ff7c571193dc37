"""A team's re-entry forecasts from its own tracks: each low track's SGP4 decay, re-fitted
as its perigee drops (the world's own decay model, :func:`~spacerange.exercise.world.
reepoched_decays_utc`), the window around it and the ground track before it.

:func:`decay_forecasts` reads only the tracks' TLE text (a track's satrec is read from
that text, :class:`~.model.Track`), so the picture can hand the 6-hourly forecasts of a
team to the engine's background worker while the next team's update runs
(:meth:`~.products.ProductsMixin._reentry_submit`); the worker computes the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sgp4.api import Satrec

from spacerange.exercise.world import (
    RE_KM,
    REENTRY_ALT_KM,
    _sgp4_many,
    _sgp4_one,
    _td64,
    reepoched_decays_utc,
)
from spacerange.frames import itrs_to_geodetic, teme_to_itrs

__all__ = ["DecayForecast", "REENTRY_PERIGEE_KM", "decay_forecasts", "low_tracks"]

#: a track is a re-entry candidate of the 6-hourly product when its perigee is this low [km]
REENTRY_PERIGEE_KM = 200.0
#: the quick single-arc look for a decay [days], and the re-fitted decay's horizon [days]
_SCREEN_DAYS = 30
_HORIZON_DAYS = 15


@dataclass(frozen=True)
class DecayForecast:
    """One track's forecast: the most likely re-entry (UTC), the window (20 % of the
    time left either side, at least 10 min) and the ground track (``[lat, lon]`` in deg,
    WGS-84, every 30 min from the window's start to the most likely instant)."""

    most_likely_utc: np.datetime64
    window_start_utc: np.datetime64
    window_end_utc: np.datetime64
    footprint: list


def low_tracks(tracks: dict, only: str | None = None) -> list[tuple[str, tuple[str, str]]]:
    """``(id, TLE lines)`` of the ``tracks`` (id -> :class:`~.model.Track`) whose perigee
    is at most :data:`REENTRY_PERIGEE_KM`, or of ``only`` alone (any perigee)."""
    return [(oid, tr.tle) for oid, tr in tracks.items()
            if (oid == only if only is not None
                else tr.satrec.a * RE_KM * (1 - tr.satrec.ecco) - RE_KM <= REENTRY_PERIGEE_KM)]  # fmt: skip


def decay_forecasts(tles: list[tuple[str, str]], t: np.datetime64) -> list[DecayForecast | None]:
    """The forecast of each TLE's object from ``t`` (``None``: no re-entry within 15 days,
    or already below the re-entry altitude at ``t``: the team presumes it re-entered)."""
    out: list[DecayForecast | None] = [None] * len(tles)
    if not tles:
        return out
    sats = [Satrec.twoline2rv(*lines) for lines in tles]
    # a quick single-arc screen over 30 days (re-fitting as the perigee drops only brings
    # the decay earlier), then the decay re-fitted every 2 h, as the truth is propagated
    # (REENTRY_REEPOCH_S); all the candidates in one batch each
    ts = t + (np.arange(_SCREEN_DAYS * 24 * 3) * 1200e6).astype("timedelta64[us]")
    r, _, e = _sgp4_many(sats, ts)
    rad = np.linalg.norm(r, axis=-1)
    down = ((e != 0) | ~np.isfinite(rad) | (rad < RE_KM + REENTRY_ALT_KM)).any(axis=1)
    rows = np.flatnonzero(down).tolist()
    decays = reepoched_decays_utc([sats[k] for k in rows], t, t + _td64(_HORIZON_DAYS * 86400.0))
    grid = t + (np.arange(_HORIZON_DAYS * 24 * 6) * 600e6).astype("timedelta64[us]")
    for k, (ml, s) in zip(rows, decays, strict=True):
        # ml <= t: the team's own track already puts the object below 100 km now: it
        # presumes the re-entry happened and stops issuing predictions (it has no fresher
        # data that could say otherwise)
        if ml is None or ml <= t:
            continue
        rem_s = float((ml - t) / np.timedelta64(1, "s"))
        half = max(0.2 * rem_s, 600.0)
        ws, we = ml - _td64(half), ml + _td64(half)
        tt = grid[(grid >= ws) & (grid < ml)][::3]
        fp = []
        if tt.size:
            rr, vv, _ = _sgp4_one(s, tt)
            ok = np.isfinite(rr).all(axis=1)
            if ok.any():
                ri, _ = teme_to_itrs(rr[ok][None], vv[ok][None], tt[ok])
                lla = itrs_to_geodetic(ri[0])
                fp = [[round(float(a), 2), round(float(b), 2)] for a, b, _ in lla]
        out[k] = DecayForecast(ml, ws, we, fp)
    return out
