"""Pass gating and RTN covariance propagation (od.passes): checked against the textbook
HCW drift (3 pi da per orbit, Vallado 2013 sec. 6.8), the J2 integrator, and the chi-square
law of the Mahalanobis distance."""

import numpy as np
from scipy.stats import chi2

from spacerange.constants import MU_WGS84_KM3_S2
from spacerange.od.dynamics import J2Dynamics, j2_step
from spacerange.od.measurements import Site
from spacerange.od.passes import (
    hcw_stm,
    inertial_to_rtn_6,
    pass_mahalanobis,
    pass_observations,
    propagate_rtn_covariance,
    rtn_to_inertial_cov,
)

T0 = np.datetime64("2026-03-04T18:00:00", "us")


def _circular(alt_km=700.0):
    a = 6378.137 + alt_km
    v = np.sqrt(MU_WGS84_KM3_S2 / a)
    inc = np.radians(51.6)
    return np.array([a, 0.0, 0.0, 0.0, v * np.cos(inc), v * np.sin(inc)]), a


def test_hcw_along_track_drift_is_three_pi_da_per_orbit():
    _, a = _circular()
    n = np.sqrt(MU_WGS84_KM3_S2 / a**3)
    dv = 1e-3  # km/s along-track
    x = hcw_stm(n, 2 * np.pi / n) @ np.array([0, 0, 0, 0, dv, 0.0])
    da = 2 * dv / n
    assert abs(x[1] - (-3 * np.pi * da)) < 1e-9 * da
    assert abs(x[0]) < 1e-9
    # composition: Phi(t1 + t2) = Phi(t2) Phi(t1)
    p = hcw_stm(n, 1234.0) @ hcw_stm(n, 777.0)
    assert np.allclose(p, hcw_stm(n, 2011.0), atol=1e-9)


def test_hcw_matches_j2_relative_motion_over_a_quarter_orbit():
    x0, a = _circular()
    n = np.sqrt(MU_WGS84_KM3_S2 / a**3)
    dyn = J2Dynamics.at(T0)
    d_rtn = np.array([0.1, 0.3, -0.2, 1e-4, -2e-4, 5e-5])
    t6 = inertial_to_rtn_6(x0[None, :3], x0[None, 3:])[0]
    x1 = x0 + np.linalg.solve(t6, d_rtn)
    dt = 0.25 * 2 * np.pi / n
    y, _ = j2_step(dyn, np.stack([x0, x1]), np.array([dt, dt]))
    rel = inertial_to_rtn_6(y[:1, :3], y[:1, 3:])[0] @ (y[1] - y[0])
    pred = hcw_stm(n, dt) @ d_rtn
    # J2 and curvature make HCW approximate: metres for a 0.3 km offset
    assert np.all(np.abs(rel[:3] - pred[:3]) < 0.02)


def test_covariance_round_trip_and_propagation_is_symmetric_positive():
    x0, a = _circular()
    n = np.sqrt(MU_WGS84_KM3_S2 / a**3)
    p = np.diag([0.01, 0.04, 0.01, 1e-8, 1e-8, 1e-8])[None]
    pi = rtn_to_inertial_cov(p, x0[None, :3], x0[None, 3:])
    t6 = inertial_to_rtn_6(x0[None, :3], x0[None, 3:])
    assert np.allclose(t6 @ pi @ np.swapaxes(t6, 1, 2), p, atol=1e-15)
    q = propagate_rtn_covariance(p, np.array([n]), np.array([86400.0]))
    assert np.allclose(q, np.swapaxes(q, 1, 2))
    assert np.all(np.linalg.eigvalsh(q) > 0)
    # velocity error 1e-4 km/s along-track grows the along-track sigma by ~3 * 1e-4 * dt
    assert q[0, 1, 1] > (2.0 * 1e-4 * 86400.0) ** 2


def test_mahalanobis_follows_chi_square_and_flags_a_bias():
    rng = np.random.default_rng(3)
    x0, _ = _circular()
    n_obj = 400
    site = Site("S", 0.0, 10.0, 0.0, (0.015, 1e-4, 3e-4, 3e-4, 1e-5, 1e-5))
    p = np.diag([0.05**2] * 3 + [5e-5**2] * 3)
    chol = np.linalg.cholesky(p)
    times = T0 + np.arange(3) * np.timedelta64(60, "s")
    # truth: one state per object seen from a site below it (positions near the site)
    r_site = site.r_itrs_km
    base = np.concatenate([r_site / np.linalg.norm(r_site) * 7000.0, [0, 7.5, 0]])
    truth = base + rng.normal(0, 50.0, (n_obj, 6)) * np.array([1, 1, 1, 0, 0, 0])
    xs = np.repeat(truth[:, None], 3, axis=1)
    ids = [f"O{i}" for i in range(n_obj)]
    obs = pass_observations(ids, xs, times, (site,), np.zeros(n_obj, int),
                            np.zeros(n_obj, bool), rng)  # fmt: skip
    pred = truth + np.einsum("ij,nj->ni", chol, rng.standard_normal((n_obj, 6)))
    d2, dof = pass_mahalanobis(obs, ids, pred, np.repeat(p[None], n_obj, 0), times[-1])
    assert np.all(dof == 4)
    # chi2(4): mean 4, and 1 % of the sample above its 99th percentile (binomial bounds)
    assert 3.5 < np.mean(d2) < 4.5
    assert np.mean(d2 > chi2.ppf(0.99, 4)) < 0.03
    biased = pred.copy()
    biased[:, :3] += 1.0  # a 1.7 km error against 50 m sigmas
    d2b, _ = pass_mahalanobis(obs, ids, biased, np.repeat(p[None], n_obj, 0), times[-1])
    assert np.all(d2b > chi2.isf(1e-6, 4))


def test_two_body_covariance_matches_the_variational_stm_on_an_eccentric_orbit():
    from spacerange.od.passes import propagate_cov_two_body

    a, e = 10000.0, 0.3
    rp = a * (1 - e)
    v = np.sqrt(MU_WGS84_KM3_S2 * (2 / rp - 1 / a))
    x0 = np.array([rp, 0.0, 0.0, 0.0, v * 0.8, v * 0.6])
    dyn = J2Dynamics.at(T0)
    dt = 3000.0
    y, phi = j2_step(dyn, x0[None], np.array([dt]))
    p0 = np.diag([0.1, 0.5, 0.1, 1e-6, 1e-6, 1e-6]) ** 2
    ref = phi[0] @ p0 @ phi[0].T
    got = propagate_cov_two_body(p0[None], x0[None], y, np.array([dt]))[0]
    sig_ref, sig_got = np.sqrt(np.diag(ref)), np.sqrt(np.diag(got))
    # two-body vs two-body + J2 over 50 min: the position sigmas within 5 %
    assert np.allclose(sig_got[:3], sig_ref[:3], rtol=0.05)
    assert np.allclose(sig_got[3:], sig_ref[3:], rtol=0.1)
