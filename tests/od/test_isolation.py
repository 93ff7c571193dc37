"""Per-object isolation: one diverging object never fails the batch.

A radial free fall from 7000 km (v = 0) reaches the Earth's centre after
pi/2 * sqrt(r^3 / (2 GM)) ~ 1030 s, where two-body dynamics are singular; before the fix this
raised ``integrate_many: step size underflow`` and took every other object down with it."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from spacerange.od.batch import batch_least_squares
from spacerange.od.dynamics import OD_DEGREE, J2Dynamics
from spacerange.od.measurements import DEFAULT_SITES as S
from spacerange.od.simulate import random_leo_states, simulate_tracking
from spacerange.propagation.numerical.integrator import integrate_many

GM = 398600.4418


def _kepler(_t, y):
    r = y[:, :3]
    rn = np.linalg.norm(r, axis=1)[:, None]
    return np.concatenate([y[:, 3:], -GM * r / rn**3], axis=1)


def _good_states():
    return np.array([[7000.0, 0, 0, 0, 7.546, 0.0],
                     [0, 8000.0, 0, -6.0, 0, 3.0],
                     [-6800.0, 100.0, 0, 0.1, -7.0, 2.0]])  # fmt: skip


def test_integrator_drops_the_diverging_object_and_finishes_the_rest():
    good = _good_states()
    fall = np.array([[7000.0, 0, 0, 0, 0, 0]])  # radial fall into the singularity
    nan = np.array([[np.nan, 0, 0, 0, 7.5, 0]])
    y0 = np.concatenate([good[:1], fall, good[1:], nan])
    t_eval = np.linspace(0.0, 3000.0, 31)
    out, live, info = integrate_many(_kepler, y0, t_eval, rtol=1e-10, atol=1e-9)
    assert list(info["failed"]) == [False, True, False, False, True]
    assert list(live) == [True, False, True, True, False]
    assert "step size underflow" in info["reasons"][1] or "non-finite" in info["reasons"][1]
    assert "non-finite" in info["reasons"][4]
    # the falling object is valid until near its singular time (~1030 s) and NaN after it
    t_fail = float(info["reasons"][1].split("t=")[1].split(" ")[0])
    assert 900.0 < t_fail < 1100.0
    assert np.all(np.isfinite(out[1, t_eval < t_fail - 1.0]))
    assert np.all(np.isnan(out[1, t_eval > t_fail]))
    assert np.all(np.isnan(out[4]))
    # the others are exactly what they would be alone (checked against SciPy's DOP853)
    for i, yi in ((0, good[0]), (2, good[1]), (3, good[2])):
        ref = solve_ivp(lambda t, y: _kepler(t, y[None])[0], (0.0, 3000.0), yi,
                        method="DOP853", t_eval=t_eval, rtol=1e-12, atol=1e-12).y.T  # fmt: skip
        assert np.max(np.abs(out[i, :, :3] - ref[:, :3])) < 1e-5  # km


def test_integrator_step_budget_fails_objects_instead_of_raising():
    out, live, info = integrate_many(_kepler, _good_states(), np.array([0.0, 5000.0]),
                                     max_steps=3)  # fmt: skip
    assert info["failed"].all() and not live.any()
    assert all("more than 3 integration steps" in r for r in info["reasons"].values())
    assert np.all(np.isfinite(out[:, 0])) and np.all(np.isnan(out[:, 1]))


@pytest.fixture(scope="module")
def scenario():
    rng = np.random.default_rng(7)
    x0 = random_leo_states(6, rng)
    epoch = np.datetime64("2024-03-01T00:00:00", "us")
    obs, truth = simulate_tracking(x0, epoch, 3 * 3600.0, [S["EGLIN"], S["FYLINGDALES"],
                                   S["KWAJALEIN"]], [S["MAUI"]], rng=rng)  # fmt: skip
    return obs, truth


def _starts(obs, truth):
    ids = obs.objects
    ep = np.array([obs.times_utc[obs.object_id == k].min() for k in ids], "datetime64[us]")
    x0 = np.array([truth.at(k, t) for k, t in zip(ids, ep, strict=True)])
    x0 = x0 + np.array([0.5, -0.3, 0.2, 1e-3, -5e-4, 2e-4])  # a rough start, as from IOD
    return ids, x0, ep


def test_batch_drops_a_diverging_object_and_the_others_are_unchanged(scenario):
    obs, truth = scenario
    ids, x0, ep = _starts(obs, truth)
    ref = batch_least_squares(obs, ids, x0, ep)
    assert all(s.converged for s in ref)
    bad = x0.copy()
    bad[2, 3:] = 0.0  # object 2 starts in free fall: its trajectory cannot be integrated
    bad[2, :3] *= 7000.0 / np.linalg.norm(bad[2, :3])
    sols = batch_least_squares(
        obs, ids, bad, ep, dynamics=J2Dynamics.at(ep.min(), degree=OD_DEGREE)
    )
    assert not sols[2].converged
    assert "propagation failed" in sols[2].message
    assert np.all(np.isnan(sols[2].state))  # never a disguised state
    for i in (0, 1, 3, 4, 5):
        assert sols[i].converged
        np.testing.assert_allclose(sols[i].state, ref[i].state, rtol=0, atol=1e-9)


def test_propagate_many_reports_bad_objects_and_finishes_the_rest():
    from spacerange.propagation.numerical import ForceModel, propagate_many

    good = _good_states()
    y0 = np.concatenate([good[:1], [[np.nan, 0, 0, 0, 7.5, 0]], [[100.0, 0, 0, 0, 1, 0]],
                         good[1:]])  # fmt: skip
    epoch = np.datetime64("2024-03-01T00:00:00", "us")
    t = np.array([0.0, 600.0, 1200.0])
    fm = ForceModel.two_body()
    out, fails = propagate_many(y0, epoch, t, fm, return_failures=True)
    assert set(fails) == {1, 2}
    assert "non-finite" in fails[1] and "inside the Earth" in fails[2]
    assert np.all(np.isnan(out[[1, 2]]))
    alone = propagate_many(good, epoch, t, fm)
    np.testing.assert_allclose(out[[0, 3, 4]], alone, rtol=0, atol=1e-9)


TDM_WITH_RCS_MAG = """CCSDS_TDM_VERS = 2.0
CREATION_DATE = 2025-09-27T00:00:00
ORIGINATOR = TEST
META_START
TIME_SYSTEM = UTC
PARTICIPANT_1 = EGLIN
PARTICIPANT_2 = 900
MODE = SEQUENTIAL
PATH = 1,2,1
RANGE_UNITS = km
ANGLE_TYPE = AZEL
META_STOP
DATA_START
RANGE = 2025-09-27T03:33:00 2083.96
ANGLE_1 = 2025-09-27T03:33:00 178.1
ANGLE_2 = 2025-09-27T03:33:00 19.5
RCS = 2025-09-27T03:33:00 2.0
MAG = 2025-09-27T03:33:00 6.5
RANGE = 2025-09-27T03:34:00 NaN
DATA_STOP
"""


def test_rcs_and_mag_records_are_counted_not_rejected(tmp_path):
    """Issue 17 item 6: every RCS/MAG record ``observe`` wrote came back as a reject."""
    from spacerange.ccsds.tdm import read_tdm
    from spacerange.od.observations import observations_from_tdm

    p = tmp_path / "o.tdm"
    p.write_text(TDM_WITH_RCS_MAG)
    unused: dict[str, int] = {}
    obs, rejects = observations_from_tdm(read_tdm(p), {"EGLIN": S["EGLIN"]}, str(p), unused)
    assert len(obs) == 3
    assert unused == {"RCS": 1, "MAG": 1}
    assert len(rejects) == 1 and "nan" in rejects[0].reason.lower()


def test_ekf_drops_a_diverging_object_and_the_others_are_unchanged(scenario):
    from spacerange.od.ekf import extended_kalman_filter

    obs, truth = scenario
    ids, x0, ep = _starts(obs, truth)
    p0 = np.broadcast_to(np.diag([1.0] * 3 + [1e-4] * 3), (ids.size, 6, 6)).copy()
    ref = extended_kalman_filter(obs, ids, x0, p0, ep)
    bad = x0.copy()
    bad[2, 3:] = 0.0
    bad[2, :3] *= 7000.0 / np.linalg.norm(bad[2, :3])
    sols = extended_kalman_filter(obs, ids, bad, p0, ep)
    assert not sols[2].converged and "propagation failed" in sols[2].message
    assert np.all(np.isnan(sols[2].state))
    for i in (0, 1, 3, 4, 5):
        assert sols[i].converged == ref[i].converged
        np.testing.assert_allclose(
            sols[i].state, ref[i].state, rtol=0, atol=1e-6
        )  # shared step: < 1 mm
