"""Proximity detection: a scripted GEO slot intrusion (two-burn relocation into the asset's
slot) and a LEO inspector phasing approach are flagged; benign neighbours are not."""

from __future__ import annotations

import numpy as np

from spacerange.events.proximity import detect_geo_slot_intrusion, detect_leo_proximity
from spacerange.maneuvers.geo_relocation import (
    geo_state_gcrs,
    longitude_deg,
    plan_geo_relocation,
)
from spacerange.propagation.numerical import ForceModel, propagate, propagate_many

T0 = np.datetime64("2024-06-01T00:00:00", "us")
MU = 398600.4418
ONE_DEG_DAY_PER_BURN_M_S = 2.84  # Soop (1994): ~2.84 m/s per deg/day of drift, per burn


def test_geo_relocation_rule_of_thumb_and_arrival():
    plan = plan_geo_relocation(12.0, 10.05, 4.0, T0)
    dv_rule = abs(plan.drift_rate_deg_day) * ONE_DEG_DAY_PER_BURN_M_S
    assert abs(abs(plan.dv1_t_km_s) * 1e3 - dv_rule) < 0.01 * dv_rule
    times = T0 + np.arange(0, 7 * 86400, 1800) * np.timedelta64(1, "s")
    r, _ = propagate(geo_state_gcrs(12.0, T0), T0, times, ForceModel.two_body(),
                     plan.maneuvers())  # fmt: skip
    lon = longitude_deg(r, times)
    after = times > plan.burn2_utc
    assert np.all(np.abs(lon[after] - 10.05) < 0.01)  # stopped in the new slot


def test_geo_slot_intrusion():
    times = T0 + np.arange(0, 7 * 86400, 1800) * np.timedelta64(1, "s")
    fm = ForceModel.two_body()
    asset = propagate_many(geo_state_gcrs(10.0, T0)[None], T0, times, fm)[0]
    plan = plan_geo_relocation(12.0, 10.05, 4.0, T0)
    intruder = propagate_many(geo_state_gcrs(12.0, T0)[None], T0, times, fm, plan.maneuvers())
    neighbours = propagate_many(
        np.array([geo_state_gcrs(13.0, T0), geo_state_gcrs(10.5, T0)]), T0, times, fm
    )
    rep = detect_geo_slot_intrusion(asset, np.concatenate([intruder, neighbours]), times)
    assert rep.flagged.tolist() == [True, False, False]
    assert rep.reason[0] == "parked in slot"


def _circular(a, inc_deg, u_deg):
    i, u = np.radians(inc_deg), np.radians(u_deg)
    v = np.sqrt(MU / a)
    r = a * np.array([np.cos(u), np.sin(u) * np.cos(i), np.sin(u) * np.sin(i)])
    vv = v * np.array([-np.sin(u), np.cos(u) * np.cos(i), np.cos(u) * np.sin(i)])
    return np.concatenate([r, vv])


def test_leo_inspector_and_benign_neighbours():
    a = 6378.137 + 500.0
    period = 2 * np.pi * np.sqrt(a**3 / MU)
    times = T0 + (np.arange(0, 6 * period, 30.0) * 1e6).astype("timedelta64[us]")
    fm = ForceModel.two_body()
    asset = _circular(a, 51.6, 0.0)
    trail = -60.0 / a * 180 / np.pi  # 60 km behind
    inspector = _circular(a - 1.0, 51.6, trail)  # 1 km lower: closes ~9 km per orbit
    formation = _circular(a, 51.6, -2.0 / a * 180 / np.pi)  # parked 2 km behind
    benign_ahead = _circular(a, 51.6, 200.0 / a * 180 / np.pi)  # same orbit, 200 km ahead
    benign_other = _circular(a + 30.0, 97.0, 90.0)  # other plane
    st = propagate_many(np.array([asset, inspector, formation, benign_ahead, benign_other]),
                        T0, times, fm)  # fmt: skip
    rep = detect_leo_proximity(st[0], st[1:], times)
    assert rep.flagged.tolist() == [True, True, False, False]
    assert rep.reason[:2] == ["closing", "persistent"]
