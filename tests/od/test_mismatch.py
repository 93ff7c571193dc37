"""The periodic position-mismatch consider term (issue 17 item 6): its partials against the
motion they describe, its size against the SGP4 truncation it stands for, and a constructed
case whose truth is the fit model plus a known periodic mismatch, drawn from the term's own
distribution: the errors of the fits against that truth must follow the covariance."""

import numpy as np
import pytest
from scipy.stats import chi2

from spacerange.od import consider
from spacerange.od.consider import (
    MISMATCH_HARMONICS,
    MISMATCH_SCALE,
    mismatch_partials,
    periodic_mismatch_sigma,
)
from spacerange.od.dynamics import J2Dynamics, rtn_basis

EPOCH = np.datetime64("2025-09-27T00:00:00", "us")
GM = 398600.4415


def _state(perigee_km, apogee_km, nu_rad=0.3, inc_rad=1.1):
    rp, ra = 6378.137 + perigee_km, 6378.137 + apogee_km
    a, e = 0.5 * (rp + ra), (ra - rp) / (ra + rp)
    p = a * (1 - e * e)
    r = p / (1 + e * np.cos(nu_rad))
    pos = r * np.array([np.cos(nu_rad), np.sin(nu_rad) * np.cos(inc_rad),
                        np.sin(nu_rad) * np.sin(inc_rad)])  # fmt: skip
    vel = np.sqrt(GM / p) * np.array([-np.sin(nu_rad), (e + np.cos(nu_rad)) * np.cos(inc_rad),
                                      (e + np.cos(nu_rad)) * np.sin(inc_rad)])  # fmt: skip
    return np.concatenate([pos, vel])


def test_mismatch_partials_are_the_motion_of_the_offset():
    dyn = J2Dynamics.at(EPOCH, degree=4)
    x0 = _state(650.0, 3800.0)[None]  # Vanguard-like, e = 0.19
    s = np.arange(0.0, 7200.0, 10.0)
    x = dyn.propagate(x0, s, np.zeros(s.size, int))
    j = mismatch_partials(x, np.repeat(x0, s.size, 0))
    lcount = 3 * (2 * MISMATCH_HARMONICS + 1)
    assert j.shape == (s.size, 6, lcount)
    # at the epoch u = 0: the constant and cosine columns are the RTN unit vectors
    b0 = rtn_basis(x0[:, :3], x0[:, 3:])[0]
    j0 = mismatch_partials(x0, x0)[0]
    per_axis = 2 * MISMATCH_HARMONICS + 1
    for axis in range(3):
        np.testing.assert_allclose(j0[:3, axis * per_axis], b0[:, axis], atol=1e-12)
        np.testing.assert_allclose(j0[:3, axis * per_axis + 1], b0[:, axis], atol=1e-12)
        np.testing.assert_allclose(j0[:3, axis * per_axis + 1 + MISMATCH_HARMONICS], 0.0,
                                   atol=1e-12)  # fmt: skip
    # velocity rows: the time derivative of the position rows along the orbit (central
    # differences over 10 s; the RTN frame turns with du/dt, fastest at perigee)
    fd = (j[2:, :3] - j[:-2, :3]) / 20.0
    mid = 0.5 * (j[2:, 3:] + j[:-2, 3:])
    scale = np.abs(j[:, 3:]).max()
    np.testing.assert_allclose(j[1:-1, 3:], mid, atol=1e-3 * scale)
    np.testing.assert_allclose(fd, j[1:-1, 3:], atol=2e-3 * scale)


def test_mismatch_size_is_the_sgp4_truncation():
    gm_r = 6378.1363
    j2, j3 = 1.0826e-3, -2.532e-6
    x = np.stack([_state(650.0, 3800.0), _state(780.0, 800.0, nu_rad=2.0),
                  _state(35786.0, 35786.0)])  # fmt: skip
    sig = periodic_mismatch_sigma(x, scale=1.0)
    a = 6378.137 + np.array([0.5 * (650 + 3800), 790.0, 35786.0])
    e = np.array([(3800 - 650) / (2 * a[0]), 10.0 / a[1], 0.0])
    q = gm_r / a
    # Vanguard-like: the eccentricity truncation J2 (R/a)^2 a e dominates, ~0.9 km
    assert sig[0] == pytest.approx(j2 * q[0] ** 2 * a[0] * e[0], rel=0.02)
    assert 0.8 < sig[0] < 1.1
    # near-circular LEO (e = 0.0014): J3 (R/a)^3 a, J2^2 (R/a)^4 a and the eccentricity
    # term in quadrature, about fifteen metres
    terms = np.array([abs(j3) * q[1] ** 3, j2 * j2 * q[1] ** 4, j2 * q[1] ** 2 * e[1]]) * a[1]
    assert sig[1] == pytest.approx(np.sqrt(np.sum(terms**2)), rel=0.02)
    assert 0.01 < sig[1] < 0.02
    # GEO: J2's short-period terms are centimetres there
    assert sig[2] < 1e-3
    np.testing.assert_allclose(periodic_mismatch_sigma(x), MISMATCH_SCALE * sig)


def test_errors_against_a_known_periodic_mismatch_follow_the_covariance(monkeypatch):
    """Truth = the fit's own dynamics (J2..J4) plus ``delta = J(t) c``, ``c`` drawn from the
    consider term's distribution, one draw per (copied) object; noise-free measurements.
    The fits' errors against that truth at the epoch must have NEES ~ chi-square(3) under
    the consider covariance alone (acceleration term off), and far above it without."""
    from spacerange.od.batch import BatchOptions, batch_least_squares
    from spacerange.od.measurements import DEFAULT_SITES as S
    from spacerange.od.measurements import predict
    from spacerange.od.observations import Observations
    from spacerange.od.simulate import simulate_tracking

    monkeypatch.setattr(consider, "UNMODELED_SCALE", 0.0)  # only the mismatch term
    x_true = _state(650.0, 2500.0, nu_rad=0.8)[None]  # e ~ 0.12: a sigma of ~0.5 km
    obs1, truth = simulate_tracking(
        x_true, EPOCH, 12 * 3600.0,
        [S["EGLIN"], S["KWAJALEIN"], S["FYLINGDALES"], S["DIEGO_GARCIA"]],
        [S["MAUI"], S["TENERIFE"]], noise=False,
    )  # fmt: skip
    ti = ((obs1.times_utc - EPOCH).astype("timedelta64[us]").astype(float) / 20e6).astype(int)
    x_rows = truth.states[0, ti]
    j_rows = mismatch_partials(x_rows, np.repeat(x_true, ti.size, 0))
    sig = periodic_mismatch_sigma(x_true)[0]
    lcount = j_rows.shape[2]
    n_obj = 60
    rng = np.random.default_rng(11)
    c = rng.normal(0.0, sig / np.sqrt(MISMATCH_HARMONICS + 1.0), (n_obj, lcount))
    r_s, v_s, enu = obs1.geometry
    parts = []
    for k in range(n_obj):
        val, _ = predict(obs1.kind, x_rows + j_rows @ c[k], r_s, v_s, enu)
        parts.append(val)
    m = len(obs1)
    ids = np.repeat(np.array([f"9{k:04d}" for k in range(n_obj)]), m)
    obs = Observations(ids, np.tile(obs1.times_utc, n_obj), np.tile(obs1.kind, n_obj),
                       np.concatenate(parts), np.tile(obs1.sigma, n_obj),
                       np.tile(obs1.site, n_obj), obs1.sites, np.tile(obs1.track, n_obj))  # fmt: skip
    x0 = np.repeat(x_true, n_obj, 0)
    epochs = np.full(n_obj, EPOCH)
    j0 = mismatch_partials(x_true, x_true)[0]
    err_truth = -(c @ j0[:3].T)  # x0 - (truth at epoch) before the fit
    sols = batch_least_squares(obs, ids[::m], x0, epochs, options=BatchOptions(edit_sigma=None))
    assert all(s.converged for s in sols)
    err = np.array([s.state[:3] for s in sols]) - (x_true[0, :3] + c @ j0[:3].T)
    assert np.median(np.linalg.norm(err, axis=1)) > 0.05  # the mismatch moved the fits
    assert np.median(np.linalg.norm(err_truth, axis=1)) > 0.1
    nees = np.array([e @ np.linalg.solve(s.consider_covariance[:3, :3], e)
                     for e, s in zip(err, sols, strict=True)])  # fmt: skip
    lo, hi = chi2.ppf([0.005, 0.995], 3 * n_obj) / n_obj
    assert lo < nees.mean() < hi, nees.mean()
    inside = np.mean(nees <= chi2.ppf(0.95, 3))
    assert inside > 0.85
    # without the term the sandwich sees only the residuals' part (here: median NEES 19)
    bare = batch_least_squares(obs, ids[::m], x0, epochs,
                               options=BatchOptions(edit_sigma=None, consider=False))  # fmt: skip
    nees_bare = np.array([e @ np.linalg.solve(s.covariance[:3, :3], e)
                          for e, s in zip(err, bare, strict=True)])  # fmt: skip
    assert np.median(nees_bare) > 4 * np.median(nees) and nees_bare.mean() > 3 * hi


def test_measurement_partials_are_the_projected_state_partials():
    from spacerange.od.consider import mismatch_measurement_partials

    rng = np.random.default_rng(5)
    x = np.stack([_state(650.0, 3800.0, nu_rad=v) for v in (0.1, 1.0, 2.5, 4.0)])
    x0 = np.repeat(_state(650.0, 3800.0, nu_rad=0.1)[None], 4, 0)
    hx = rng.normal(size=(4, 6))
    np.testing.assert_allclose(mismatch_measurement_partials(hx, x, x0),
                               np.einsum("mi,mil->ml", hx, mismatch_partials(x, x0)),
                               rtol=1e-12, atol=1e-12)  # fmt: skip


def test_along_track_acceleration_of_a_dragged_truth_is_recovered():
    """Truth: the fit's J2..J4 plus a constant along-track acceleration of -2e-9 km/s^2
    (drag of a B ~ 0.03 m^2/kg object at 500 km: 0.5 a t^2 = 1.9 km along track after
    12 h), integrated independently (SciPy DOP853); radar tracks with noise.  The six-element
    fit cannot follow it; the seventh parameter estimated from its residuals must be the
    known acceleration, and the covariance, whose drag is sized by it, must cover the
    error against that truth."""
    from scipy.integrate import solve_ivp

    from spacerange.od.batch import batch_least_squares
    from spacerange.od.measurements import DEFAULT_SITES as S
    from spacerange.od.measurements import predict
    from spacerange.od.observations import Observations
    from spacerange.od.simulate import simulate_tracking

    a_t = -2e-9
    x_true = _state(480.0, 520.0, nu_rad=0.4)
    radars = [S["EGLIN"], S["KWAJALEIN"], S["FYLINGDALES"], S["DIEGO_GARCIA"]]
    obs1, _ = simulate_tracking(x_true[None], EPOCH, 12 * 3600.0, radars, noise=False)
    dyn = J2Dynamics.at(EPOCH, degree=4)

    def f(_t, y):
        b = rtn_basis(y[None, :3], y[None, 3:])[0]
        return np.concatenate([y[3:], dyn.acceleration(y[None, :3])[0] + b[:, 1] * a_t])

    s = (obs1.times_utc - EPOCH).astype("timedelta64[us]").astype(float) / 1e6
    ts, inv = np.unique(s, return_inverse=True)
    sol = solve_ivp(f, (0.0, ts[-1]), x_true, method="DOP853", t_eval=ts, rtol=1e-12,
                    atol=1e-10)  # fmt: skip
    r_s, v_s, enu = obs1.geometry
    val, _ = predict(obs1.kind, sol.y.T[inv.ravel()], r_s, v_s, enu)
    rng = np.random.default_rng(2)
    obs = Observations(obs1.object_id, obs1.times_utc, obs1.kind,
                       val + obs1.sigma * rng.standard_normal(val.size), obs1.sigma,
                       obs1.site, obs1.sites, obs1.track)  # fmt: skip
    fit = batch_least_squares(obs, ["90000"], x_true[None], np.array([EPOCH]))[0]
    assert fit.converged
    est, sig = fit.along_track_accel_km_s2
    print(f"estimated {est:.4g} +- {sig:.2g} km/s^2 (truth {a_t:g})")
    assert sig < 0.1 * abs(a_t)  # radars only, 12 h: a 6 % determination
    assert abs(est - a_t) < 3 * sig
    err = fit.state[:3] - x_true[:3]
    assert np.linalg.norm(err) > 0.02  # drag moved the six-element fit
    nees = err @ np.linalg.solve(fit.covariance[:3, :3], err)
    assert nees < chi2.ppf(0.99, 3)
    # a drag-free truth shows no acceleration beyond its noise
    obs0 = Observations(obs1.object_id, obs1.times_utc, obs1.kind,
                        obs1.value + obs1.sigma * rng.standard_normal(val.size), obs1.sigma,
                        obs1.site, obs1.sites, obs1.track)  # fmt: skip
    fit0 = batch_least_squares(obs0, ["90000"], x_true[None], np.array([EPOCH]))[0]
    est0, sig0 = fit0.along_track_accel_km_s2
    print(f"drag-free: {est0:.3g} +- {sig0:.2g} km/s^2")
    assert abs(est0) < 3 * sig0
