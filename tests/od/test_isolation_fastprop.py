"""The compiled OD dynamics (:mod:`spacerange.od.fastprop`) against the NumPy reference path
of :class:`spacerange.od.dynamics.J2Dynamics`, and its per-object isolation."""

import numpy as np
import pytest

from spacerange.od import fastprop
from spacerange.od.dynamics import J2Dynamics

pytestmark = pytest.mark.skipif(not fastprop.ACCELERATED, reason="numba not installed")

MU = 398600.4418


def _states():
    """LEO (near-polar, ISS-like), MEO and GEO circular states plus an eccentric LEO orbit."""
    out = []
    for a_km, inc_deg in ((6778.0, 51.6), (7200.0, 98.0), (26560.0, 55.0), (42164.0, 0.1)):
        v = np.sqrt(MU / a_km)
        i = np.radians(inc_deg)
        out.append([a_km, 0.0, 0.0, 0.0, v * np.cos(i), v * np.sin(i)])
    out.append([6900.0, 0.0, 0.0, 0.0, 9.0, 1.0])  # e ~ 0.3, perigee 6,900 km
    return np.array(out)


def _both(dyn, method, x0, s, obj):
    fastprop.ACCELERATED = False
    try:
        ref = getattr(dyn, method)(x0, s, obj)
    finally:
        fastprop.ACCELERATED = True
    return ref, getattr(dyn, method)(x0, s, obj)


@pytest.mark.parametrize("method", ["propagate", "trajectory", "acceleration_sensitivity"])
def test_compiled_matches_numpy_reference(method):
    dyn = J2Dynamics.at(np.datetime64("2025-09-27T00:00:00"), degree=4)
    x0 = _states()
    rng = np.random.default_rng(3)
    s = np.concatenate([[0.0, 60.0, -60.0], rng.uniform(-3 * 3600.0, 6 * 3600.0, 400)])
    obj = rng.integers(0, x0.shape[0], s.size)
    ref, new = _both(dyn, method, x0, s, obj)
    ref = ref if isinstance(ref, tuple) else (ref,)
    new = new if isinstance(new, tuple) else (new,)
    # states: both integrate to rtol 1e-10 / atol 0.1 mm: agreement far below a metre
    assert np.max(np.abs(ref[0][:, :3] - new[0][:, :3])) < 1e-6  # km
    assert np.max(np.abs(ref[0][:, 3:] - new[0][:, 3:])) < 1e-9  # km/s
    for a, b in zip(ref[1:], new[1:], strict=True):  # STM, acceleration sensitivity
        scale = np.maximum(np.abs(a).max(axis=(1, 2), keepdims=True), 1.0)  # 0 at the epoch
        assert np.max(np.abs(a - b) / scale) < 1e-6


def test_a_diving_object_is_dropped_alone():
    dyn = J2Dynamics.at(np.datetime64("2025-09-27T00:00:00"), degree=4)
    good = _states()
    dive = np.array([[7000.0, 0.0, 0.0, -1.0, 0.001, 0.0]])  # falls through the centre
    x0 = np.concatenate([good[:2], dive, good[2:]])
    s = np.tile(np.linspace(0.0, 4 * 3600.0, 50), x0.shape[0])
    obj = np.repeat(np.arange(x0.shape[0]), 50)
    x, phi = dyn.trajectory(x0, s, obj)
    lost = ~np.all(np.isfinite(x), axis=1)
    assert lost[obj == 2].any() and not lost[obj != 2].any()
    # the others are exactly what they are without the diving object
    keep = obj != 2
    x_alone, phi_alone = dyn.trajectory(good, s[keep], np.where(obj[keep] > 2, obj[keep] - 1,
                                                                obj[keep]))  # fmt: skip
    np.testing.assert_array_equal(x[keep], x_alone)
    np.testing.assert_array_equal(phi[keep], phi_alone)
