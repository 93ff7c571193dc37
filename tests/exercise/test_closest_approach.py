"""The exercise's closest approach (``rulefuncs._closest``, behind ``TeamPort.
closest_approach``, the miss-distance rules and the action evidence) on a straight-line
encounter whose answer is known in closed form: miss and TCA, not the 1 s grid's."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.exercise.rulefuncs import _closest, _grid

T0 = np.datetime64("2026-03-09T09:00:00", "us")
TCA = T0 + np.timedelta64(3467_305_000, "us")  # 09:57:47.305, between grid points


@pytest.mark.parametrize(("speed_km_s", "miss_km"), [(7.09, 0.300), (14.6, 0.050), (0.5, 2.0)])
def test_a_fast_encounter_is_resolved_between_grid_points(speed_km_s, miss_km):
    # b at rest at the origin; a flies along x at speed, offset miss_km along y: the
    # closest approach is exactly miss_km at TCA
    def fn(oid, ts):
        dt = (ts - TCA) / np.timedelta64(1, "s")
        n = dt.size
        if oid == "b":
            return np.zeros((n, 3)), np.zeros((n, 3))
        r = np.stack([speed_km_s * dt, np.full(n, miss_km), np.zeros(n)], axis=-1)
        return r, np.tile([speed_km_s, 0.0, 0.0], (n, 1))

    tca, miss, _ = _closest(fn, "a", "b", _grid(T0, T0 + np.timedelta64(2, "h"), 30.0))
    assert miss == pytest.approx(miss_km, abs=1e-6)
    assert abs((tca - TCA) / np.timedelta64(1, "us")) <= 1.0
