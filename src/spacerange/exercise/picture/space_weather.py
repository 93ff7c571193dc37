"""A team's drag model through a geomagnetic storm (mixin of :class:`.core.Pictures`).

Space-weather indices (F10.7, Ap) are published in near real time (NOAA SWPC, GFZ): an
SSA cell's propagator takes them, so a team's catalog is not blind to a storm; what it
lacks is the truth's density.  At each storm transition that has happened (onset, end:
:meth:`spacerange.exercise.world.World.drag_changes` up to the present, never a future
one), every LEO track of a team is re-arced with the same engine function the world uses
(:func:`spacerange.exercise.world.environment.storm_arcs`: B* times the density ratio at
the track's own perigee, the same state), but with the team's density model, whose storm
excess errs by a factor ``1 + eps`` (``eps`` ~ N(0, ``DENSITY_MODEL_SIGMA``) per team,
one draw per exercise: a density model's storm-time bias is systematic).  The tracks'
along-track process noise grows by the same ratio while the storm lasts.  Element sets
fitted during the storm (:meth:`.catalog.CatalogMixin._team_bstar`) carry the storm's
B*.

A public element set's B* may be zero or negative (a fit artefact, not a physical drag):
such an object still feels a storm, and the truth re-arcs it with the drag of its size and
mass (:meth:`spacerange.exercise.world.World._drag_bstar`), which it keeps after the
storm.  A team does the same with the object's public size and mass (the metadata its Pc
takes the hard-body radius from): at a storm's onset its tracks with a non-positive B* are
re-arced from that drag, and from the first onset on a new track of such an object starts
from it (:meth:`SpaceWeatherMixin.physical_bstar`).  Before, every team kept the negative
value through and after the storm while the truth dragged: 187 passes beyond 5 sigma in
the 11 hours after the demo's storm on Starlink-like payloads (docs/performance.md,
round 10).

An ally's element set crosses the storm the same way: a set fitted before a transition
and delivered after it (a share's delay) is re-arced through it with the recipient's
density model as it arrives (:meth:`SpaceWeatherMixin.through_storms`).

Without this the demo's storm sent every LEO track's prediction off by its unmodelled
drag, hundreds of residual alarms a day, each then "confirmed" as a manoeuvre.
"""

from __future__ import annotations

import numpy as np

from spacerange.catalog.ballistic import DRAG_CEILING_KM, bstar_from_size
from spacerange.exercise.picture.conjunctions import tle_satrec
from spacerange.exercise.picture.model import Track, _sgp4_states, tracks_cov_rtn
from spacerange.exercise.world.environment import STORM_HEIGHT_RANGE_KM, storm_arcs
from spacerange.exercise.world.model import _perigee_alt_km

__all__ = ["SpaceWeatherMixin", "DENSITY_MODEL_SIGMA"]

#: 1-sigma relative error of a team's density model on a storm's excess density
#: (empirical thermosphere models err by 10-20 % in quiet conditions and more in storms)
DENSITY_MODEL_SIGMA = 0.2


def team_density_ratio(scale_fn, eps: float):
    """The team's model ``h_km -> ratio`` of a storm whose true density ratio is
    ``scale_fn``: its excess over quiet times ``1 + eps`` (never below 1)."""
    return lambda h: np.maximum(1.0 + (scale_fn(h) - 1.0) * (1.0 + eps), 1.0)


class SpaceWeatherMixin:
    """Storm transitions applied to the teams' catalogs (see the module docstring)."""

    def _space_weather(self, t: np.datetime64) -> None:
        """Apply the storm transitions in (last call, ``t``] to every team's tracks."""
        last = getattr(self, "_sw_last", None)
        self._sw_last = t
        if last is None:
            last = self.world.startex
        for tt, scale_fn, on in self.world.drag_changes(last, t):
            for tp in self.teams.values():
                if on:
                    fn = team_density_ratio(scale_fn, tp.density_model_eps)
                    tp.storms.append(fn)
                    tp.storm_seen = True
                elif tp.storms:
                    fn = tp.storms.pop(0)
                else:
                    continue
                self._re_arc(tp, tt, fn, on)
                # a LEO object's arc across the transition is no longer one SGP4 orbit
                # (its drag changed there): the manoeuvre test's arcs restart
                for key in [
                    k
                    for k in tp.pass_log
                    if k in tp.tracks and _perigee_alt_km(tp.tracks[k].satrec) < DRAG_CEILING_KM
                ]:
                    del tp.pass_log[key]

    def storm_factor(self, tp, perigee_km) -> np.ndarray:
        """The team's density ratio now at ``perigee_km`` (product over its active storms;
        1 above the drag ceiling or with no storm)."""
        h = np.asarray(perigee_km, float)
        k = np.ones_like(h)
        leo = h < DRAG_CEILING_KM
        for fn in tp.storms:
            k = np.where(leo, k * fn(np.clip(h, *STORM_HEIGHT_RANGE_KM)), k)
        return k

    def physical_bstar(self, oid: str, bstar: float) -> float:
        """The drag term a team uses for ``oid`` whose element set says ``bstar``: that
        value when positive, else the B* of the object's public size and mass
        (:func:`spacerange.catalog.ballistic.bstar_from_size`; ``bstar`` itself for an
        object the world does not list)."""
        if bstar > 0 or oid not in self.world:
            return float(bstar)
        o = self.world.obj(oid)
        return float(bstar_from_size(o.hbr_m, o.mass_kg))

    def _re_arc(self, tp, tt: np.datetime64, fn, on: bool) -> None:
        """Re-arc ``tp``'s LEO tracks at ``tt`` for a storm's onset (``on``) or end, and the
        allies' sets it holds aside for its next pass (``share_alt``)."""
        new = self._re_arced(tp, tp.tracks, tt, fn, on)
        tp.tracks.update(new)
        tp.changed.update(new)
        alt = self._re_arced(tp, {k: tr for k, (tr, _) in tp.share_alt.items()}, tt, fn, on)
        for k, tr in alt.items():
            tp.share_alt[k] = (tr, tp.share_alt[k][1])

    def through_storms(self, tp, tracks: dict[str, Track]) -> dict[str, Track]:
        """An ally's element sets ``tracks`` as ``tp`` takes them in: each set whose epoch
        precedes a storm transition ``tp``'s own catalog has already been through
        (:meth:`_space_weather`) is re-arced through it with ``tp``'s density model, as its
        own tracks were.  A share leaves its sender with the sender's set of that time and
        arrives after its delay: a set fitted before an onset and delivered after it
        carried the quiet drag into the storm, and the recipient's fits then kept that B*
        (:meth:`.catalog.CatalogMixin._team_bstar`) and the storm's end divided it again
        (docs/performance.md, round 16: the demo's storm-time false manoeuvre alerts).
        Transitions after the last :meth:`_space_weather` are left to it (it re-arcs every
        track then).  Returns a new dict; sets with nothing to cross are the same objects."""
        last = getattr(self, "_sw_last", None)
        if last is None or not tracks:
            return tracks
        t0 = min(tr.epoch_utc for tr in tracks.values())
        out = dict(tracks)
        for tt, scale_fn, on in self.world.drag_changes(t0, last):
            fn = team_density_ratio(scale_fn, tp.density_model_eps)
            older = {k: tr for k, tr in out.items() if tr.epoch_utc < tt}
            out.update(self._re_arced(tp, older, tt, fn, on))
        return out

    def _re_arced(self, tp, tracks: dict[str, Track], tt: np.datetime64, fn,
                  on: bool) -> dict[str, Track]:  # fmt: skip
        """``tracks``' LEO members re-arced at ``tt`` for a storm's onset (``on``) or end
        with the team's density model ``fn``; at an onset, tracks with a non-positive B*
        too, from their size-and-mass drag (a track whose drag is still not physical, an
        object the world no longer lists, is left as it was: a storm cannot scale a
        negative B*).  Returns only the re-arced ones."""
        drag = {k: self.physical_bstar(k, tr.satrec.bstar) for k, tr in tracks.items()
                if (on or tr.satrec.bstar > 0)
                and _perigee_alt_km(tr.satrec) < DRAG_CEILING_KM}  # fmt: skip
        keys = [k for k, b in drag.items() if b > 0]
        if not keys:
            return {}
        trs = [tracks[k] for k in keys]
        x = _sgp4_states([tr.satrec for tr in trs], tt)
        ok = np.all(np.isfinite(x), axis=1)
        keys = [k for k, g in zip(keys, ok, strict=True) if g]
        trs = [tr for tr, g in zip(trs, ok, strict=True) if g]
        if not trs:
            return {}
        cov = tracks_cov_rtn(trs, tt)
        peri = np.array([_perigee_alt_km(tr.satrec) for tr in trs])
        bstar = np.array([drag[k] for k in keys])
        sats, _ = storm_arcs(x[ok], tt, bstar, peri, fn, on, newton=False)
        out = {}
        for key, tr, s, c in zip(keys, trs, sats, cov, strict=True):
            if s is None:
                continue
            s, tle, _ = tle_satrec(s)
            h = _perigee_alt_km(s)
            growth = self._growth(h) * float(self.storm_factor(tp, h))
            out[key] = Track(s, tt, tr.sigma0_km, growth, tr.last_obs_utc, tr.first_seen_utc,
                             tr.n_obs, tr.source, tr.name, tr.owner, tle=tle, cov_rtn=c)  # fmt: skip
        return out
