"""Threats to sensing and the environment: sensor outages (availability) and space
weather (drag).

A storm re-arcs every LEO object twice (onset, end) with its B* scaled by the density
ratio at its perigee (:func:`storm_arcs`, the one implementation).  Scripted encounters
are built before play by propagation (:mod:`spacerange.exercise.world.encounters`), so
the world also *predicts* those re-arcs: :meth:`EnvironmentThreats.drag_changes` lists
the storm transitions that are fixed in time (enacted storms, and storms whose release is
known before play), and :meth:`EnvironmentThreats.through_drag_changes` /
:meth:`EnvironmentThreats.predicted_state_of` apply them with the same code as the storm
itself, so that the encounter is built with the drag the world will actually apply."""

from __future__ import annotations

import numpy as np

from spacerange.catalog.ballistic import DRAG_CEILING_KM
from spacerange.exercise.world.model import (
    WorldEvent,
    _iso,
    _perigee_alt_km,
    _seconds,
    _sgp4_one,
    _td64,
    fit_satrecs,
)
from spacerange.propagation.sgp4_batch import satrec_array
from spacerange.timescales import jd_fr_utc

#: the storm's density ratio is evaluated between these perigee heights [km]
STORM_HEIGHT_RANGE_KM = (150.0, DRAG_CEILING_KM)
#: smallest density ratio a storm applies (keeps B* finite when it ends)
MIN_DENSITY_SCALE = 1e-3


def storm_scale_fn(a, base):
    """Density ratio ``h_km -> scale`` of space-weather action ``a`` over the scenario's
    baseline space weather ``base`` (or ``a.density_scale`` at every height)."""
    from spacerange.events.space_weather import SpaceWeather, density_scale_factor

    if a.density_scale is not None:
        return lambda h: np.full_like(np.asarray(h, float), a.density_scale)
    sw = SpaceWeather(a.f107_sfu or base.f107_sfu, base.f107_sfu, a.ap or base.ap)
    sw0 = SpaceWeather(base.f107_sfu, base.f107_sfu, base.ap)
    return lambda h: density_scale_factor(sw, h) / density_scale_factor(sw0, h)


def storm_arcs(state: np.ndarray, t: np.datetime64, bstar: np.ndarray, perigee_km: np.ndarray,
               scale_fn, on: bool, newton: bool = True) -> tuple[list, np.ndarray]:  # fmt: skip
    """The arcs a storm transition at ``t`` gives LEO objects in TEME ``state`` (n, 6):
    B* (``bstar``, positive) times (onset, ``on``) or over (end) the density ratio at the
    perigee height, fitted to the same state (no jump).  ``(satrecs, scale (n,))``."""
    k = np.maximum(scale_fn(np.clip(perigee_km, *STORM_HEIGHT_RANGE_KM)), MIN_DENSITY_SCALE)
    new_b = bstar * k if on else bstar / k
    sats, _ = fit_satrecs(state, t, new_b, newton=newton)
    return sats, k


def _leo(sats) -> np.ndarray:
    return np.array([s is not None and _perigee_alt_km(s) < DRAG_CEILING_KM for s in sats], bool)


class EnvironmentThreats:
    """Part of :class:`spacerange.exercise.world.World` (a mixin: it works on the world's
    state, see :mod:`spacerange.exercise.world.core`)."""

    def _enact_sensor_outage(self, a, serial: str, t) -> list[WorldEvent]:
        until = t + _td64(_seconds(a.duration))
        for s in a.sensors:
            self.sensor_outages[s] = (until, a.degradation)

        def restore(tt, sensors=tuple(a.sensors)):
            for s in sensors:
                if s in self.sensor_outages and self.sensor_outages[s][0] <= tt:
                    del self.sensor_outages[s]
            return [WorldEvent("sensor_outage", list(sensors), {"serial": serial,
                                                                "state": "restored"}, tt)]  # fmt: skip

        self.schedule(until, restore, f"{serial} restore")
        return [WorldEvent("sensor_outage", list(a.sensors),
                           {"serial": serial, "state": "out", "until_utc": _iso(until),
                            "degradation": a.degradation, "cause": a.cause}, t)]  # fmt: skip

    def sensor_availability(self, sensor_id: str, t: np.datetime64) -> float:
        """Fraction of nominal observations a sensor delivers at ``t`` (0 when out)."""
        out = self.sensor_outages.get(sensor_id)
        if out is None or t >= out[0]:
            return 1.0
        return 1.0 - out[1]

    def _storm_plan(self, a, t) -> tuple[np.datetime64, np.datetime64, object]:
        """``(t_on, t_off, scale_fn)`` of the ``space_weather`` action ``a`` released at
        ``t``: the drag multiplier from the middle of the ramp to the storm's end, and the
        density ratio as a function of perigee height [km] (also used to foresee the storms
        to come when encounters and scripted re-entries are built before play)."""
        t_on = t + _td64(_seconds(a.ramp) / 2)
        t_off = t + _td64(_seconds(a.ramp) + _seconds(a.duration))
        return t_on, t_off, storm_scale_fn(a, self.scenario.world.space_weather)

    def _enact_space_weather(self, a, serial: str, t) -> list[WorldEvent]:
        t_on, t_off, scale_fn = self._storm_plan(a, t)
        self._storms_enacted = {**getattr(self, "_storms_enacted", {}), serial: t}

        def set_drag(tt, on: bool):
            ids, r, v = self.states(tt)
            objs = [self.objects[i] for i in ids]
            peri = np.array([o.perigee_alt_km for o in objs])
            # every object below the drag ceiling feels the storm; one whose elements carry
            # no (or a non-physical negative) drag term gets B* from its size and mass
            leo = peri < DRAG_CEILING_KM
            if not leo.any():
                return []
            sel = np.flatnonzero(leo)
            old = np.array([objs[j].satrec.bstar if objs[j].satrec.bstar > 0
                            else self._drag_bstar(objs[j]) for j in sel])  # fmt: skip
            sats, k = storm_arcs(np.concatenate([r[sel], v[sel]], axis=1), tt, old, peri[sel],
                                 scale_fn, on)  # fmt: skip
            for j, s in zip(sel, sats, strict=True):
                if s is not None:
                    o = objs[j]
                    o.arcs = [x for x in o.arcs if x[0] < tt] + [(tt, s)]
            self._array = None
            self._state_cache = None
            self.density_scale = float(np.median(k)) if on else 1.0
            return [WorldEvent("space_weather", [],
                               {"serial": serial, "state": "on" if on else "off",
                                "n_objects": int(leo.sum()),
                                "density_scale_median": float(np.median(k)),
                                "density_scale_400km": float(scale_fn(400.0))}, tt)]  # fmt: skip

        self.schedule(t_on, lambda tt: set_drag(tt, True), f"{serial} storm on")
        self.schedule(t_off, lambda tt: set_drag(tt, False), f"{serial} storm off")
        return [WorldEvent("space_weather", [], {"serial": serial, "state": "announced",
                                                 "onset_utc": _iso(t_on), "end_utc": _iso(t_off),
                                                 "density_scale_400km": float(scale_fn(400.0))},
                           t)]  # fmt: skip

    # -------------------------------------------------- the storms' re-arcs, predicted
    def drag_changes(self, after: np.datetime64, until: np.datetime64) -> list[tuple]:
        """Storm transitions fixed in time in ``(after, until]``, in time order:
        ``(t_utc, scale_fn, on)`` of every enacted storm and of every storm whose release
        is known before play (``at``, or a delay after such an inject; see
        ``_planned_release``).  Storms released on a condition are not known in advance."""
        enacted = getattr(self, "_storms_enacted", {})
        out = []
        for _, _, inj in self.scenario.iter_injects():
            a = inj.action
            if a is None or a.kind != "space_weather":
                continue
            t_rel = enacted.get(inj.serial)
            if t_rel is None:
                t_rel = self._planned_release(inj)
            if t_rel is None:
                continue
            t_on, t_off, scale_fn = self._storm_plan(a, t_rel)
            out += [(tt, scale_fn, on) for tt, on in ((t_on, True), (t_off, False))
                    if after < tt <= until]  # fmt: skip
        return sorted(out, key=lambda c: c[0])

    def through_drag_changes(self, sats: list, t0: np.datetime64, t1: np.datetime64,
                             fallback_bstar: float, newton: bool = True) -> list:  # fmt: skip
        """The satrecs valid at ``t1`` of objects whose arcs from ``t0`` are ``sats``: the
        storms of :meth:`drag_changes` between re-arc them as they will in truth (same
        states, B*, perigee rule and fit as the storm).  ``fallback_bstar`` stands in for a
        B* <= 0 (the world's B* from size and mass).  None stays None."""
        sats = list(sats)
        for tt, scale_fn, on in self.drag_changes(t0, t1):
            leo = _leo(sats)
            sel = np.flatnonzero(leo)
            if not sel.size:
                continue
            jd, fr = jd_fr_utc(np.asarray([tt]))  # the world's batch SGP4, as ``states``
            e, r, v = satrec_array([sats[j] for j in sel]).sgp4(jd, fr)
            ok = (e[:, 0] == 0) & np.isfinite(r[:, 0]).all(axis=1)
            for j in sel[~ok]:
                sats[j] = None  # decayed before the storm
            sel, r, v = sel[ok], r[ok, 0], v[ok, 0]
            if not sel.size:
                continue
            old = np.array([sats[j].bstar if sats[j].bstar > 0 else fallback_bstar for j in sel])
            peri = np.array([_perigee_alt_km(sats[j]) for j in sel])
            new, _ = storm_arcs(np.concatenate([r, v], axis=1), tt, old, peri, scale_fn, on,
                                newton=newton)  # fmt: skip
            for j, s in zip(sel, new, strict=True):
                if s is not None:
                    sats[j] = s
        return sats

    def predicted_state_of(self, object_id: str, times, after: np.datetime64):
        """TEME r, v (n, 3) of ``object_id`` at ``times`` (>= ``after``, the present) as
        truth will have them: its arcs now, re-arced by the storms fixed in time after
        ``after`` (:meth:`drag_changes`); the team's manoeuvres are not foreseen."""
        o = self.obj(object_id)
        ts = np.atleast_1d(np.asarray(times, dtype="datetime64[us]"))
        r, v = self.state_of(object_id, ts)
        changes = self.drag_changes(after, ts.max()) if ts.size else []
        if not changes:
            return r, v
        alive = np.array([o.alive_at(t) for t in ts], bool)
        t_prev, sat = after, o.satrec_at(after)
        for tt, *_ in changes:
            m = (ts >= tt) & alive
            if not m.any():
                break
            (sat,) = self.through_drag_changes([sat], t_prev, tt, self._drag_bstar(o))
            t_prev = tt
            if sat is None:
                r[m] = v[m] = np.nan
                break
            rr, vv, _ = _sgp4_one(sat, ts[m])
            r[m], v[m] = rr, vv
        return r, v
