"""Breakup detection: fragments of an SBM explosion, observed 1.5 days later as freshly
fitted element sets (noisy states), are selected among unrelated objects and traced back
to the event epoch and place."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from spacerange.events.breakup import (
    DEFAULT_PARENT_R_TEME_KM,
    DEFAULT_PARENT_V_TEME_KM_S,
    _states_to_elements,
    breakup_explosion,
)
from spacerange.events.breakup_detection import breakup_candidates, trace_breakup
from spacerange.propagation.sgp4_batch import propagate

EVENT = datetime(2024, 4, 1, 6, 30, tzinfo=UTC)
EVENT64 = np.datetime64("2024-04-01T06:30:00", "us")
OBS64 = EVENT64 + np.timedelta64(36, "h")


def _jd(t):
    us = int(t.astype("datetime64[us]").astype(np.int64))
    d, rem = divmod(us, 86_400_000_000)
    return 2440587.5 + d, rem / 86400e6


@pytest.fixture(scope="module")
def scenario():
    rng = np.random.default_rng(3)
    frags = breakup_explosion(1500.0, "rocket_body", min_lc_m=0.3, rng=rng)
    fe = frags.to_elsets(EVENT)
    parent_state = np.concatenate([DEFAULT_PARENT_R_TEME_KM, DEFAULT_PARENT_V_TEME_KM_S])
    parent_elset = _states_to_elements(
        parent_state[None],
        _jd(EVENT64),
        np.array([1e-4]),
        first_norad_id=70000,
        name_prefix="PARENT",
        cospar_id="",
        fit_iterations=4,
        reentry_perigee_alt_km=100.0,
    ).elsets[0]
    # re-observe at OBS: SGP4 state + 50 m / 5 cm/s noise, fresh fit at the new epoch
    eph = propagate([(e.line1, e.line2) for e in fe.elsets], np.array([OBS64]), workers=1)
    st = np.concatenate([eph.r[:, 0], eph.v[:, 0]], -1)
    ok = np.all(np.isfinite(st), axis=1)
    st = st[ok] + np.concatenate([rng.normal(0, 0.05, (ok.sum(), 3)),
                                  rng.normal(0, 5e-5, (ok.sum(), 3))], -1)  # fmt: skip
    obs = _states_to_elements(st, _jd(OBS64), np.full(ok.sum(), 1e-4), first_norad_id=81000,
                              name_prefix="UCT", cospar_id="", fit_iterations=4,
                              reentry_perigee_alt_km=100.0).elsets  # fmt: skip
    # unrelated objects: other planes
    other = breakup_explosion(800.0, min_lc_m=1.0, rng=rng).to_elsets(
        EVENT, np.array([0.0, 7000.0, 0.0]), np.array([-7.546, 0.0, 0.3]), first_norad_id=85000
    )
    return parent_elset, obs, other.elsets


def test_candidates_select_the_fragments(scenario):
    parent, obs, other = scenario
    assert len(obs) >= 10
    idx = breakup_candidates(parent, list(obs) + list(other))
    n_obs = len(obs)
    assert np.mean(idx < n_obs) == 1.0  # none of the unrelated
    assert idx.size >= 0.8 * n_obs


@pytest.mark.parametrize("with_parent", [False, True])
def test_trace_back_to_event(scenario, with_parent):
    parent, obs, _ = scenario
    tr = trace_breakup(obs, OBS64, 3 * 86400.0, parent=parent if with_parent else None)
    dt = abs((tr.epoch_utc - EVENT64) / np.timedelta64(1, "s"))
    assert dt < 120.0, f"event epoch off by {dt:.0f} s"
    # place: the default parent is at the ascending node (lat ~ 0)
    assert abs(tr.lat_deg) < 2.0
    assert 780.0 < tr.alt_km < 830.0
