"""Covariance checks, eigenvalue-clipping repair, RTN rotations, default TLE model."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.conjunction.covariance import (
    DEFAULT_TLE_SOURCE,
    check_covariance,
    default_tle_covariance,
    default_tle_covariance_inertial,
    default_tle_sigma_rtn_km,
    eigen_clip,
    is_positive_definite,
    orbit_regime,
    repair_covariance,
)
from spacerange.conjunction.encounter import (
    cdm_cov_rtn_m_to_inertial_km,
    cov_inertial_to_rtn,
    cov_rtn_to_inertial,
    rtn_basis,
)
from spacerange.errors import CovarianceError


def test_refuses_non_symmetric_nan_negative_variance():
    with pytest.raises(CovarianceError, match=r"cov\[0\]: not symmetric"):
        check_covariance(np.array([[1.0, 0.2], [0.0, 1.0]]), "cov")
    with pytest.raises(CovarianceError, match="NaN"):
        check_covariance(np.array([[[1.0, 0.0], [0.0, np.nan]]]), "cov")
    with pytest.raises(CovarianceError, match="negative variance"):
        check_covariance(np.array([[-1.0, 0.0], [0.0, 1.0]]), "cov")
    with pytest.raises(CovarianceError, match="square"):
        check_covariance(np.zeros((2, 3)))


def test_rounding_asymmetry_is_symmetrized():
    c = np.array([[2.0, 1.0 + 1e-12], [1.0, 3.0]])
    out = check_covariance(c)
    assert np.array_equal(out, out.T)


def test_eigen_clip_known_matrix():
    # [[1, 2], [2, 1]] has eigenvalues 3 and -1 (eigvecs (1,1)/sqrt2, (1,-1)/sqrt2);
    # clipping -1 -> 0 leaves 3 * v v^T = [[1.5, 1.5], [1.5, 1.5]]
    rem = eigen_clip(np.array([[1.0, 2.0], [2.0, 1.0]]), 0.0, "C")
    assert rem.remediated
    np.testing.assert_allclose(rem.cov, [[1.5, 1.5], [1.5, 1.5]], atol=1e-14)
    np.testing.assert_allclose(rem.eig_raw, [-1.0, 3.0], atol=1e-14)
    assert rem.warnings and "not positive definite" in rem.warnings[0]


def test_eigen_clip_leaves_pd_untouched_and_stacks():
    good = np.diag([4.0, 1.0, 0.25])
    bad = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.5], [0.0, 1.5, 1.0]])
    rem = eigen_clip(np.stack([good, bad]), 1e-6)
    assert list(rem.remediated) == [False, True]
    assert np.array_equal(rem.cov[0], good)
    assert np.linalg.eigvalsh(rem.cov[1]).min() == pytest.approx(1e-6)
    assert is_positive_definite(rem.cov).all()
    assert rem.warnings[0].startswith("covariance[1]")


def test_repair_policy_raise():
    with pytest.raises(CovarianceError, match="not positive definite"):
        repair_covariance(np.array([[1.0, 2.0], [2.0, 1.0]]), policy="raise")
    ok = repair_covariance(np.eye(3), policy="raise")
    assert not ok.remediated and ok.warnings == []


def test_rtn_basis_analytic():
    q = rtn_basis([7000.0, 0, 0], [0, 7.5, 0.1])[0]
    np.testing.assert_allclose(q[0], [1, 0, 0])
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-15)
    # circular equatorial prograde orbit: T along +y, N along +z
    q2 = rtn_basis([0, 7000.0, 0], [-7.5, 0, 0])[0]
    np.testing.assert_allclose(q2, [[0, 1, 0], [-1, 0, 0], [0, 0, 1]], atol=1e-15)


def test_rtn_inertial_round_trip_and_cdm_units():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 6, 6))
    c_rtn = a @ np.swapaxes(a, -1, -2)
    r = rng.standard_normal((4, 3)) * 7000
    v = rng.standard_normal((4, 3)) * 7
    c_eci = cov_rtn_to_inertial(r, v, c_rtn)
    np.testing.assert_allclose(cov_inertial_to_rtn(r, v, c_eci), c_rtn, atol=1e-12)
    # traces are rotation invariant (position and velocity blocks separately)
    np.testing.assert_allclose(
        np.trace(c_eci[:, :3, :3], axis1=1, axis2=2), np.trace(c_rtn[:, :3, :3], axis1=1, axis2=2)
    )
    np.testing.assert_allclose(cdm_cov_rtn_m_to_inertial_km(r, v, c_rtn), c_eci * 1e-6)
    # radial variance only -> inertial covariance along r
    one = np.zeros((3, 3))
    one[0, 0] = 4.0
    ce = cov_rtn_to_inertial(r[0], v[0], one)[0]
    u = r[0] / np.linalg.norm(r[0])
    np.testing.assert_allclose(ce, 4.0 * np.outer(u, u), atol=1e-12)


def test_orbit_regimes():
    mu = 398600.4418
    leo = ([6378.137 + 700, 0, 0], [0, np.sqrt(mu / 7078.137), 0])
    geo = ([42164.17, 0, 0], [0, np.sqrt(mu / 42164.17), 0])
    gps = ([26560.0, 0, 0], [0, np.sqrt(mu / 26560.0), 0])
    rp, ra = 6378.137 + 500, 6378.137 + 39_000  # Molniya-like
    a = (rp + ra) / 2
    heo = ([rp, 0, 0], [0, np.sqrt(mu * (2 / rp - 1 / a)), 0])
    r = np.array([s[0] for s in (leo, geo, gps, heo)])
    v = np.array([s[1] for s in (leo, geo, gps, heo)])
    assert list(orbit_regime(r, v)) == ["LEO", "GEO", "MEO", "HEO"]


def test_default_tle_covariance_grows_with_age():
    ages = np.array([0.0, 1.0, 3.0, 7.0, 14.0])
    for regime in ("LEO", "MEO", "GEO", "HEO"):
        s = default_tle_sigma_rtn_km([regime] * len(ages), ages)
        assert np.all(np.diff(s, axis=0) > 0), regime
        assert np.all(s[:, 1] >= s[:, 0])  # along-track is the largest error
    r = np.array([[7078.137, 0, 0]] * 2)
    v = np.array([[0, 7.5, 0]] * 2)
    d = default_tle_covariance(r, v, [0.5, 5.0])
    assert d.source == DEFAULT_TLE_SOURCE == "default-tle-model"
    assert list(d.regime) == ["LEO", "LEO"]
    assert np.all(np.diag(d.cov_rtn_km2[1]) > np.diag(d.cov_rtn_km2[0]))
    ci = default_tle_covariance_inertial(r, v, [0.5, 5.0])
    assert is_positive_definite(ci).all()
    with pytest.raises(ValueError, match="unknown orbit regime"):
        default_tle_sigma_rtn_km(["XEO"], 1.0)
