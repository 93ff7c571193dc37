"""Confirmation of manoeuvre candidates (events.maneuver_alarm.ResidualAlarmModel.confirm)
on a constructed case: LEO objects, a known 0.5 m/s along-track burn on half of them,
radar passes (od.passes) against their pre-burn reference tracks carried by the J2
variational equations.  The burn's drift is checked against the Clohessy-Wiltshire
impulse response (Vallado 2013 sec. 6.8) before it is used."""

import numpy as np
from scipy.stats import chi2

from spacerange.constants import MU_WGS84_KM3_S2
from spacerange.events.maneuver_alarm import ResidualAlarmModel
from spacerange.od.dynamics import J2Dynamics, j2_step
from spacerange.od.measurements import RANGE, Site
from spacerange.od.passes import (
    hcw_stm,
    inertial_to_rtn_6,
    pass_mahalanobis,
    pass_observations,
    rtn_to_inertial_cov,
)

T0 = np.datetime64("2026-03-04T18:00:00", "us")
DV_KM_S = 0.5e-3
SITE = Site("R", 0.0, 0.0, 0.0, (0.015, 1e-5, 1e-5, 1e-5, 1e-5, 1e-5))


def _orbits(n, rng, alt_km=700.0):
    a = 6378.137 + alt_km
    v = np.sqrt(MU_WGS84_KM3_S2 / a)
    inc, u, raan = rng.uniform(0.3, 1.5, n), rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 6, n)
    # position and velocity in the orbit plane, rotated by inclination and node
    r_p = a * np.stack([np.cos(u), np.sin(u), np.zeros(n)], axis=1)
    v_p = v * np.stack([-np.sin(u), np.cos(u), np.zeros(n)], axis=1)

    def rot(x):
        y = np.stack([x[:, 0], x[:, 1] * np.cos(inc), x[:, 1] * np.sin(inc)], axis=1)
        return np.stack([y[:, 0] * np.cos(raan) - y[:, 1] * np.sin(raan),
                         y[:, 0] * np.sin(raan) + y[:, 1] * np.cos(raan), y[:, 2]], axis=1)  # fmt: skip

    return np.concatenate([rot(r_p), rot(v_p)], axis=1), np.sqrt(MU_WGS84_KM3_S2 / a**3)


def _pass(x, t, rng, bias_km=None):
    obs = pass_observations([f"O{i}" for i in range(len(x))], x[:, None], np.asarray([t]),
                            (SITE,), np.zeros(len(x), int), np.zeros(len(x), bool), rng)  # fmt: skip
    if bias_km is not None:
        rows = obs.kind == RANGE
        obs.value[rows] += bias_km[obs.track[rows]]
    return obs


def test_a_known_burn_is_confirmed_and_a_one_pass_outlier_is_not():
    rng = np.random.default_rng(5)
    n = 40
    burned = np.arange(n) < n // 2
    x0, n_rad_s = _orbits(n, rng)
    dyn = J2Dynamics.at(T0)
    # the team's reference track at T0: truth + an error drawn from its own covariance
    p0_rtn = np.diag([0.05, 0.1, 0.05, 5e-6, 1e-5, 5e-6]) ** 2
    p0 = rtn_to_inertial_cov(np.broadcast_to(p0_rtn, (n, 6, 6)), x0[:, :3], x0[:, 3:])
    x_ref0 = x0 + np.einsum("nij,nj->ni", np.linalg.cholesky(p0), rng.standard_normal((n, 6)))
    # truth: 0.5 m/s along-track at T0 + 20 min for the first half
    tb_s, t1_s, t2_s = 1200.0, 5400.0, 6000.0
    xb, _ = j2_step(dyn, x0, np.full(n, tb_s))
    xb[burned, 3:] += DV_KM_S * xb[burned, 3:] / np.linalg.norm(xb[burned, 3:], axis=1)[:, None]
    x1, _ = j2_step(dyn, xb, np.full(n, t1_s - tb_s))
    x2, _ = j2_step(dyn, xb, np.full(n, t2_s - tb_s))
    # the construction's drift is the textbook one: along-track dT/n (4 sin n tau - 3 n tau)
    x1_nb, _ = j2_step(dyn, x0[burned], np.full(int(burned.sum()), t1_s))
    rel = np.einsum("nij,nj->ni", inertial_to_rtn_6(x1_nb[:, :3], x1_nb[:, 3:]),
                    x1[burned] - x1_nb)  # fmt: skip
    hcw = hcw_stm(n_rad_s, t1_s - tb_s) @ np.array([0, 0, 0, 0, DV_KM_S, 0])
    assert np.allclose(rel[:, 1], hcw[1], rtol=0.02)
    assert abs(hcw[1]) > 5.0  # km: far outside the reference's sigma
    # the reference carried to each pass with its covariance (J2 variational equations)
    ref1, phi1 = j2_step(dyn, x_ref0, np.full(n, t1_s))
    ref2, phi2 = j2_step(dyn, x_ref0, np.full(n, t2_s))
    p1 = phi1 @ p0 @ np.swapaxes(phi1, 1, 2)
    p2 = phi2 @ p0 @ np.swapaxes(phi2, 1, 2)
    t1 = T0 + np.timedelta64(int(t1_s), "s")
    t2 = T0 + np.timedelta64(int(t2_s), "s")
    ids = [f"O{i}" for i in range(n)]
    # pass 1: the objects that did not burn get a 2 km range outlier (a one-pass fluke)
    bias = np.where(burned, 0.0, 2.0)
    m = ResidualAlarmModel(pfa=1e-6, min_samples=10**6, prior_scale=1.0)
    d2_1, dof_1 = pass_mahalanobis(_pass(x1, t1, rng, bias), ids, ref1, p1, t1)
    assert np.all(dof_1 == 4)
    assert m.test(d2_1, dof_1).all()  # every object is a candidate
    # pass 2, ten minutes later, against the same pre-alarm reference
    d2_2, dof_2 = pass_mahalanobis(_pass(x2, t2, rng), ids, ref2, p2, t2)
    ok = m.confirm(d2_2, dof_2)
    assert ok[burned].all()
    assert not ok[~burned].any()
    # the unburned objects' second pass follows the reference's own chi-square law
    assert np.median(d2_2[~burned]) < 3.0 * chi2.median(4)
    # nothing to confirm without measurements
    assert not m.confirm(np.array([np.nan, 1e9]), np.array([0, 0])).any()
