"""Tasking: which passes each sensor observes, under capacity limits and priorities.

Greedy scheduler per sensor: candidate passes are ordered by priority rank (position of the
object's NORAD id in ``priorities``; unlisted objects come last) and then by start time.
A pass is accepted when the sensor has fewer than ``max_tracks_per_hour`` accepted passes
starting in the same clock hour and fewer than ``max_concurrent`` accepted passes over any
grid sample of the pass.  ``None`` limits mean unlimited (survey sensors: every pass).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spacerange.sensors.base import Sensor
from spacerange.sensors.visibility import Passes


def priority_rank(norad_ids: np.ndarray, priorities: Sequence[int] | None) -> np.ndarray:
    """Rank (0 = highest) of each object; objects not in ``priorities`` get len(priorities)."""
    pr = list(priorities or [])
    table = {int(n): i for i, n in enumerate(pr)}
    return np.array([table.get(int(n), len(pr)) for n in norad_ids], dtype=np.int64)


def schedule(
    passes: Passes,
    sensors: Sequence[Sensor],
    norad_ids: np.ndarray,
    times_utc: np.ndarray,
    priorities: Sequence[int] | None = None,
    candidate: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask over ``passes``: True for the passes each sensor is tasked to observe.

    ``passes.site`` indexes ``sensors``; ``passes.obj`` indexes ``norad_ids``;
    ``candidate`` (optional mask) excludes passes with nothing detectable."""
    n = len(passes)
    chosen = np.zeros(n, dtype=bool)
    cand = np.ones(n, dtype=bool) if candidate is None else candidate.astype(bool)
    rank = priority_rank(np.asarray(norad_ids), priorities)
    hour0 = np.asarray(times_utc, dtype="datetime64[h]").astype(np.int64)
    hour = hour0[passes.i_first] - hour0[0]
    n_hours = int(hour0[-1] - hour0[0]) + 1
    for k, s in enumerate(sensors):
        idx = np.flatnonzero((passes.site == k) & cand)
        if idx.size == 0:
            continue
        if s.max_tracks_per_hour is None and s.max_concurrent is None:
            chosen[idx] = True
            continue
        order = idx[np.lexsort((passes.i_first[idx], rank[passes.obj[idx]]))]
        per_hour = np.zeros(n_hours, dtype=np.int64)
        busy = np.zeros(len(times_utc), dtype=np.int64)
        cap_h = s.max_tracks_per_hour if s.max_tracks_per_hour is not None else np.inf
        cap_c = s.max_concurrent if s.max_concurrent is not None else np.inf
        full_hours = 0
        for j in order.tolist():
            h = hour[j]
            if per_hour[h] >= cap_h:
                continue
            a, b = passes.i_first[j], passes.i_last[j] + 1
            if busy[a:b].max() >= cap_c:
                continue
            chosen[j] = True
            busy[a:b] += 1
            per_hour[h] += 1
            if per_hour[h] >= cap_h:
                full_hours += 1
                if full_hours >= n_hours:
                    break
    return chosen


def windows(passes: Passes, n_objects: int, n_times: int, obj_offset: int = 0) -> np.ndarray:
    """(n_objects, n_times) bool: True inside the given passes (objects offset by
    ``obj_offset``, for streamed blocks).  Passes of objects outside the block are ignored."""
    w = np.zeros((n_objects, n_times + 1), dtype=np.int32)
    o = passes.obj - obj_offset
    ok = (o >= 0) & (o < n_objects)
    np.add.at(w, (o[ok], passes.i_first[ok]), 1)
    np.add.at(w, (o[ok], passes.i_last[ok] + 1), -1)
    return np.cumsum(w, axis=1)[:, :n_times] > 0
