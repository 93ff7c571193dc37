"""Threats to sensing and the environment: sensor outages (availability) and space
weather (drag)."""

from __future__ import annotations

import numpy as np

from spacerange.catalog.ballistic import DRAG_CEILING_KM
from spacerange.exercise.world.model import WorldEvent, _iso, _seconds, _td64, fit_satrecs


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

    def _storm_plan(self, a, t) -> tuple:
        """``(t_on, t_off, scale_fn)`` of the ``space_weather`` action ``a`` released at
        ``t``: the drag multiplier from the middle of the ramp to the storm's end, and the
        density ratio as a function of perigee height [km] (also used to build scripted
        re-entries, :meth:`ObjectThreats._preplace_reentries`, with the storms to come)."""
        from spacerange.events.space_weather import SpaceWeather, density_scale_factor

        base = self.scenario.world.space_weather
        t_on = t + _td64(_seconds(a.ramp) / 2)
        t_off = t + _td64(_seconds(a.ramp) + _seconds(a.duration))
        if a.density_scale is not None:
            scale_fn = lambda h: np.full_like(np.asarray(h, float), a.density_scale)  # noqa: E731
        else:
            sw = SpaceWeather(a.f107_sfu or base.f107_sfu, base.f107_sfu, a.ap or base.ap)
            sw0 = SpaceWeather(base.f107_sfu, base.f107_sfu, base.ap)

            def scale_fn(h):
                return density_scale_factor(sw, h) / density_scale_factor(sw0, h)

        return t_on, t_off, scale_fn

    def _enact_space_weather(self, a, serial: str, t) -> list[WorldEvent]:
        t_on, t_off, scale_fn = self._storm_plan(a, t)

        def set_drag(tt, on: bool):
            ids, r, v = self.states(tt)
            objs = [self.objects[i] for i in ids]
            peri = np.array([o.perigee_alt_km for o in objs])
            # every object below the drag ceiling feels the storm; one whose elements carry
            # no (or a non-physical negative) drag term gets B* from its size and mass
            leo = peri < DRAG_CEILING_KM
            if not leo.any():
                return []
            k = np.maximum(scale_fn(np.clip(peri[leo], 150, DRAG_CEILING_KM)), 1e-3)
            sel = np.flatnonzero(leo)
            old = np.array([objs[j].satrec.bstar if objs[j].satrec.bstar > 0
                            else self._drag_bstar(objs[j]) for j in sel])  # fmt: skip
            new_b = old * k if on else old / k
            sats, _ = fit_satrecs(np.concatenate([r[sel], v[sel]], axis=1), tt, new_b)
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
