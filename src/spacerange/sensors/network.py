"""Observe a catalog with a sensor network: visibility -> tasking -> measurements.

Two streaming passes over the catalog keep memory bounded whatever its size:

1. **visibility**: propagate every object to ITRS in blocks
   (:func:`spacerange.propagation.sgp4_batch.iter_propagate`), find the passes over every
   sensor's site and count the samples each sensor could detect in each pass;
2. **tasking** (:func:`spacerange.sensors.tasking.schedule`) picks passes per sensor;
3. **measurement**: propagate again only the objects with tasked passes and let each sensor
   measure inside its tasked windows, with noise from one seeded ``numpy`` Generator
   (reproducible for the same inputs, seed and worker count).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from spacerange.sensors.base import (
    Measurements,
    ObjectProperties,
    Scene,
    Sensor,
    TruthStates,
    default_properties,
)
from spacerange.sensors.tasking import schedule, windows
from spacerange.sensors.visibility import Passes, elevation_deg, find_passes, look_geometry


@dataclass
class ObservationRun:
    """Result of :func:`observe`: passes (all geometric passes, ``Passes.site`` indexing
    ``sensors``), ``tasked`` mask over them, ``detectable`` samples per pass, and the
    measurements of each sensor (same order as ``sensors``)."""

    sensors: list[Sensor]
    norad_ids: np.ndarray
    times_utc: np.ndarray
    passes: Passes
    detectable: np.ndarray
    tasked: np.ndarray
    measurements: list[Measurements]
    seconds: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Counts for reports: objects observed, passes, measurements per sensor kind."""
        per_kind: Counter = Counter()
        per_sensor = {}
        observed = set()
        for s, m in zip(self.sensors, self.measurements, strict=True):
            per_kind[s.kind] += len(m)
            per_sensor[s.sensor_id] = len(m)
            observed.update(np.unique(m.norad_ids).tolist())
        return {
            "objects": len(self.norad_ids),
            "objects_observed": len(observed),
            "sensors": len(self.sensors),
            "passes": len(self.passes),
            "passes_detectable": int(np.count_nonzero(self.detectable)),
            "passes_tasked": int(np.count_nonzero(self.tasked)),
            "measurements": int(sum(per_kind.values())),
            "measurements_per_kind": dict(per_kind),
            "measurements_per_sensor": per_sensor,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def _detectable_counts(sensor: Sensor, truth: TruthStates, scene: Scene, el: np.ndarray,
                       passes: Passes, n_t: int) -> np.ndarray:  # fmt: skip
    """Detectable samples in each pass of ``passes`` (one site, one block, local objects)."""
    g = look_geometry(sensor.site, truth.r_itrs_km, truth.v_itrs_km_s, el_deg=el)
    g = g.take(sensor.site.in_field_of_regard(g))
    g = g.take(sensor.detectable(g, truth, scene))
    starts = passes.obj * n_t + passes.i_first
    pid = np.searchsorted(starts, g.obj * n_t + g.t, side="right") - 1
    return np.bincount(pid, minlength=len(passes))


def visibility(
    tles: Sequence[tuple[str, str]],
    sensors: Sequence[Sensor],
    times_utc: np.ndarray,
    props: ObjectProperties,
    norad_ids: np.ndarray,
    scene: Scene | None = None,
    workers: int | None = None,
) -> tuple[Passes, np.ndarray]:
    """Stream 1: all passes of all objects over all sensors and detectable samples per pass."""
    from spacerange.propagation.sgp4_batch import iter_propagate

    scene = scene or Scene(times_utc)
    n_t = len(times_utc)
    parts, counts = [], []
    for blk in iter_propagate(tles, times_utc, frame="itrs", workers=workers):
        sl = slice(blk.start, blk.stop)
        truth = TruthStates(norad_ids[sl], blk.r, blk.v, props.take(sl))
        for k, s in enumerate(sensors):
            el = elevation_deg(s.site, blk.r)
            p = find_passes([s.site], times_utc, blk.r, blk.v, el_deg=el[None])
            if len(p) == 0:
                continue
            c = _detectable_counts(s, truth, scene, el, p, n_t)
            p.site[:] = k
            p.obj += blk.start
            parts.append(p)
            counts.append(c)
    passes = Passes.concat(parts)
    det = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    return passes, det


def measure_tasked(
    tles: Sequence[tuple[str, str]],
    sensors: Sequence[Sensor],
    times_utc: np.ndarray,
    props: ObjectProperties,
    norad_ids: np.ndarray,
    passes: Passes,
    rng: np.random.Generator | None,
    scene: Scene | None = None,
    workers: int | None = None,
) -> list[Measurements]:
    """Stream 2: measurements of every sensor inside its ``passes`` (already tasked)."""
    from spacerange.propagation.sgp4_batch import iter_propagate

    scene = scene or Scene(times_utc)
    n_t = len(times_utc)
    objs = np.unique(passes.obj)
    local = np.searchsorted(objs, passes.obj)  # object index within the subset
    sub_tles = [tles[i] for i in objs.tolist()]
    out: list[list[Measurements]] = [[] for _ in sensors]
    for blk in iter_propagate(sub_tles, times_utc, frame="itrs", workers=workers):
        idx = objs[blk.start : blk.stop]
        truth = TruthStates(norad_ids[idx], blk.r, blk.v, props.take(idx))
        n_o = blk.stop - blk.start
        for k, s in enumerate(sensors):
            mine = passes.site == k
            if not mine.any():
                continue
            p = passes.take(mine)
            p.obj = local[mine]
            w = windows(p, n_o, n_t, obj_offset=blk.start)
            if not w.any():
                continue
            out[k].append(s.measure(truth, scene, rng, window=w))
    result = []
    for s, parts in zip(sensors, out, strict=True):
        if parts:
            result.append(Measurements.concat(parts))
        else:
            angle = getattr(s, "angle_type", "AZEL")
            result.append(Measurements(s.sensor_id, s.kind, angle, np.zeros(0, np.int64),
                                       np.zeros(0, "datetime64[us]")))  # fmt: skip
    return result


def observe(
    tles: Sequence[tuple[str, str]],
    norad_ids: Sequence[int],
    sensors: Sequence[Sensor],
    times_utc: np.ndarray,
    names: Sequence[str] | None = None,
    props: ObjectProperties | None = None,
    priorities: Sequence[int] | None = None,
    seed: int | None = 0,
    noise: bool = True,
    workers: int | None = None,
) -> ObservationRun:
    """Simulate the network ``sensors`` observing the objects ``tles`` at ``times_utc``.

    ``times_utc`` (datetime64 UTC grid) is both the pass-search grid and the measurement
    cadence.  ``props`` defaults to sizes inferred from ``names``
    (:func:`spacerange.sensors.base.default_properties`).  ``priorities``: NORAD ids, most
    important first.  ``noise=False`` gives noise-free measurements (biases kept)."""
    times_utc = np.atleast_1d(np.asarray(times_utc, dtype="datetime64[us]"))
    ids = np.asarray(norad_ids, dtype=np.int64)
    props = props or default_properties(list(names) if names else None, len(ids))
    scene = Scene(times_utc)
    sensors = list(sensors)
    t0 = time.perf_counter()
    passes, det = visibility(tles, sensors, times_utc, props, ids, scene, workers)
    t1 = time.perf_counter()
    tasked = schedule(passes, sensors, ids, times_utc, priorities, candidate=det > 0)
    t2 = time.perf_counter()
    rng = np.random.default_rng(seed) if noise else None
    meas = measure_tasked(tles, sensors, times_utc, props, ids, passes.take(tasked), rng,
                          scene, workers)  # fmt: skip
    t3 = time.perf_counter()
    return ObservationRun(
        sensors,
        ids,
        times_utc,
        passes,
        det,
        tasked,
        meas,
        {"visibility": t1 - t0, "tasking": t2 - t1, "measurement": t3 - t2},
    )
