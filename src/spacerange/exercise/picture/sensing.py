"""A team's sensors in its picture: the engine's sensors (:mod:`spacerange.sensors`) built
from the scenario, their observability through :func:`spacerange.sensors.visibility.observable`
(field of regard, dark site, sunlit object), and the detection model the picture adds on
top (per-update detection probability, outages, tasking, the pass's position error).

Nothing geometric is computed here: look angles, the field of regard and the illumination
tests are the sensors package's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spacerange.sensors.base import Scene, Sensor
from spacerange.sensors.sites import sensor_from_dict
from spacerange.sensors.visibility import observable

__all__ = ["TeamSensor", "team_sensors", "sensor_entry", "DETECTION_P", "detect"]

#: probability that a sensor detects an observable object in one picture update (a
#: tasked sensor detects it with probability 1, both times the sensor's availability)
DETECTION_P = {"survey_radar": 0.9, "tracking_radar": 0.4, "optical": 0.5}
#: range limit where a site gives none: telescopes 50,000 km, radars 6,000 km
DEFAULT_MAX_RANGE_KM = {"optical": 50_000.0}
RADAR_MAX_RANGE_KM = 6_000.0
#: elevation mask where a site gives none [deg]
DEFAULT_MIN_ELEVATION_DEG = 10.0
#: single-measurement angle noise where a site gives none [deg]
DEFAULT_SIGMA_ANGLE_DEG = {"optical": 0.0003}
RADAR_SIGMA_ANGLE_DEG = 0.05
#: measurements per detected pass (the pass's position error is the single one / sqrt(n))
MEASUREMENTS_PER_PASS = 10
#: floor of a single measurement's position error [km]
SIGMA_FLOOR_KM = 0.02


@dataclass
class TeamSensor:
    """One sensor of a team: the engine's :class:`~spacerange.sensors.base.Sensor` and the
    single-measurement noise the picture's pass error is derived from."""

    sensor: Sensor
    sigma_range_km: float
    sigma_angle_rad: float

    @property
    def sensor_id(self) -> str:
        return self.sensor.sensor_id

    @property
    def kind(self) -> str:
        return self.sensor.kind

    def sigma_obs_km(self, range_km: np.ndarray) -> np.ndarray:
        """Position error [km] of a pass: max(range x angle noise, range noise, 20 m) over
        sqrt(measurements per pass)."""
        s = np.maximum(np.maximum(range_km * self.sigma_angle_rad, self.sigma_range_km),
                       SIGMA_FLOOR_KM)  # fmt: skip
        return s / math.sqrt(MEASUREMENTS_PER_PASS)


def sensor_entry(sid: str, e: dict) -> dict:
    """A network entry for :func:`spacerange.sensors.sites.sensor_from_dict` from a bundled
    site or scenario site ``e``, named ``sid``, with the picture's defaults where ``e``
    gives no value (a given 0 is a value: a 0 deg mask stays 0)."""
    kind = e.get("kind", "optical")
    out = {k: v for k, v in e.items() if v is not None and k not in ("source", "country")}
    out["id"] = sid
    out["kind"] = kind
    out.setdefault("min_elevation_deg", DEFAULT_MIN_ELEVATION_DEG)
    out.setdefault("max_range_km", DEFAULT_MAX_RANGE_KM.get(kind, RADAR_MAX_RANGE_KM))
    out["name"] = out.get("name") or ""
    return out


def _team_sensor(sid: str, e: dict) -> TeamSensor:
    entry = sensor_entry(sid, e)
    s = sensor_from_dict(entry, f"sensor {sid}")
    noise = entry.get("noise") or {}

    def opt(key: str, default: float) -> float:
        v = noise.get(key)
        return float(default if v is None else v)

    angle = opt("sigma_angle_deg", DEFAULT_SIGMA_ANGLE_DEG.get(s.kind, RADAR_SIGMA_ANGLE_DEG))
    return TeamSensor(s, opt("sigma_range_km", 0.0), math.radians(angle))


def team_sensors(scenario) -> dict[str, TeamSensor]:
    """Every actor sensor of ``scenario`` by its scenario id; an unknown bundled site is an
    error (the validator refuses it; a team's sensor is never dropped silently)."""
    from spacerange.exercise.scenario.actors import SensorRef, split_sensor_ref
    from spacerange.sensors.sites import bundled_entries

    bundled = {e["id"].upper(): e for e in bundled_entries()}
    out = {}
    for actor in scenario.actors:
        for s in actor.sensors:
            if isinstance(s, SensorRef):
                e = bundled.get(split_sensor_ref(s.ref)[1].upper())
                if e is None:
                    raise ValueError(f"{actor.id}: sensor {s.ref!r} is not a bundled site")
            else:
                e = s.model_dump()
            out[s.sensor_id] = _team_sensor(s.sensor_id, e)
    return out


def detect(sensors: list[TeamSensor], r_itrs_km: np.ndarray, scene: Scene, obj_ids: np.ndarray,
           availability, tasked: dict, rng: np.random.Generator | None):  # fmt: skip
    """Objects detected by a team's ``sensors`` at the one time of ``scene``, the best
    (smallest) pass position error [km] of each and the sensor (index into ``sensors``)
    that gives it: ``(rows, sigma_km, sensor_index)``.

    ``r_itrs_km`` (n, 3); ``availability(sensor_id) -> 0..1`` (outages);
    ``tasked[sensor_id]`` the object ids the team tasked it on; ``rng=None`` returns every
    observable object (no detection draw)."""
    n = r_itrs_km.shape[0]
    best = np.full(n, np.inf)
    which = np.full(n, -1)
    if not n or not sensors:
        return np.zeros(0, int), np.zeros(0), np.zeros(0, int)
    r3 = r_itrs_km[:, None, :]
    row_of: dict | None = None  # object id -> row, built at the first tasked sensor
    for k, s in enumerate(sensors):
        avail = availability(s.sensor_id)
        if avail <= 0:
            continue
        ok, rng_km = observable(s.sensor, r3, scene)
        ok, rng_km = ok[:, 0], rng_km[:, 0]
        if not ok.any():
            continue
        p = np.full(n, DETECTION_P.get(s.kind, 0.5) * avail)
        mine = tasked.get(s.sensor_id)
        if mine:
            # a dict of rows, not np.isin: on object-dtype ids isin sorts Python strings
            # for every sensor of every update (about 4 % of the demo)
            if row_of is None:
                row_of = {o: i for i, o in enumerate(obj_ids.tolist())}
            p[[row_of[o] for o in mine if o in row_of]] = avail
        hit = ok & (rng.random(n) < p) if rng is not None else ok
        sig = s.sigma_obs_km(rng_km)
        better = hit & (sig < best)
        best = np.where(better, sig, best)
        which = np.where(better, k, which)
    rows = np.flatnonzero(np.isfinite(best))
    return rows, best[rows], which[rows]
