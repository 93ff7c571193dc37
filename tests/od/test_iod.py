"""IOD against published textbook examples."""

import numpy as np
import pytest

from spacerange.od.iod import gauss_angles, gibbs, herrick_gibbs, rv_to_coe

ONE_CM_S = 1e-5  # km/s


def test_gibbs_vallado_example_7_3():
    # Vallado, Fundamentals of Astrodynamics and Applications (4th ed.), Example 7-3:
    # v2 = 0.0 I + 5.5311 J - 5.1918 K km/s (printed to 4 decimals)
    v2 = gibbs([0.0, 0.0, 6378.137], [0.0, -4464.696, -5102.509], [0.0, 5740.323, 3189.068])
    np.testing.assert_allclose(v2, [0.0, 5.5311, -5.1918], atol=1e-4 + ONE_CM_S)


def test_herrick_gibbs_vallado_example_7_4():
    # Vallado (4th ed.), Example 7-4: times 0, 1m16.48s, 2m33.04s;
    # v2 = -6.441557 I + 3.777559 J - 1.720567 K km/s
    v2 = herrick_gibbs(
        [3419.85564, 6019.82602, 2784.60022],
        [2935.91195, 6326.18324, 2660.59584],
        [2434.95202, 6597.38674, 2521.52311],
        0.0, 76.48, 153.04,
    )  # fmt: skip
    np.testing.assert_allclose(v2, [-6.441557, 3.777559, -1.720567], atol=2e-6)


def test_herrick_gibbs_vectorized():
    r = np.array([[3419.85564, 6019.82602, 2784.60022], [2935.91195, 6326.18324, 2660.59584],
                  [2434.95202, 6597.38674, 2521.52311]])  # fmt: skip
    v = herrick_gibbs(np.stack([r[0]] * 4), np.stack([r[1]] * 4), np.stack([r[2]] * 4),
                      np.zeros(4), np.full(4, 76.48), np.full(4, 153.04))  # fmt: skip
    assert v.shape == (4, 3)
    np.testing.assert_allclose(v, v[:1].repeat(4, 0))


def _curtis_site(theta_deg, phi_deg=40.0, h_km=1.0, re=6378.0, f=0.003353):
    # Curtis eq. (5.56): site position on the oblate Earth from local sidereal time
    phi, th = np.radians(phi_deg), np.radians(theta_deg)
    den = np.sqrt(1 - (2 * f - f * f) * np.sin(phi) ** 2)
    return np.array([(re / den + h_km) * np.cos(phi) * np.cos(th),
                     (re / den + h_km) * np.cos(phi) * np.sin(th),
                     (re * (1 - f) ** 2 / den + h_km) * np.sin(phi)])  # fmt: skip


def _los(ra_deg, dec_deg):
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])


def test_gauss_curtis_examples_5_11_and_5_12():
    # Curtis, Orbital Mechanics for Engineering Students, Example 5.11 data (phi = 40 deg,
    # H = 1 km); Example 5.12 (iterative improvement) finds the orbit
    # a = 10 000 km, e = 0.1, i = 30 deg, RAAN = 270 deg, argp = 90 deg, theta = 45 deg.
    # Tolerances reflect the 5-digit angles of the published data.
    args = (
        _los(43.537, -8.7833), _los(54.420, -12.074), _los(64.318, -15.105),
        _curtis_site(44.506), _curtis_site(45.000), _curtis_site(45.499),
        0.0, 118.10, 237.58,
    )  # fmt: skip
    r, v = gauss_angles(*args, mu_km3_s2=398600.0, improve=True)
    el = rv_to_coe(r, v, 398600.0)
    assert el["a_km"] == pytest.approx(10000.0, rel=0.005)
    assert el["e"] == pytest.approx(0.1, abs=0.003)
    assert el["i_deg"] == pytest.approx(30.0, abs=0.05)
    assert el["raan_deg"] == pytest.approx(270.0, abs=0.1)
    assert el["argp_deg"] == pytest.approx(90.0, abs=0.5)
    assert el["nu_deg"] == pytest.approx(45.0, abs=0.5)
    # the unimproved Gauss solution (Example 5.11) is close but measurably worse
    r0, v0 = gauss_angles(*args, mu_km3_s2=398600.0, improve=False)
    assert abs(rv_to_coe(r0, v0, 398600.0)["argp_deg"] - 90.0) > abs(el["argp_deg"] - 90.0)


def test_gauss_coplanar_lines_of_sight_rejected():
    los = _los(10.0, 0.0)
    site = np.array([6378.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="coplanar"):
        gauss_angles(los, los, los, site, site, site, 0.0, 60.0, 120.0)
