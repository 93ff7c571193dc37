"""Numerical (Cowell) propagator against published and analytic references."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from spacerange.errors import CovarianceError, ParseError
from spacerange.propagation.numerical import (
    FiniteBurn,
    ForceModel,
    Geopotential,
    ImpulsiveManeuver,
    egm96,
    propagate,
    propagate_covariance,
    propagate_many,
    propagate_with_stm,
    shadow_factor,
)
from spacerange.propagation.numerical.atmosphere import (
    exponential_density_kg_m3,
    harris_priester_density_kg_m3,
)
from spacerange.propagation.numerical.ephemeris import (
    moon_position_analytic_km,
    sun_moon_de421_km,
    sun_position_analytic_km,
)
from spacerange.propagation.numerical.gravity import (
    ACCELERATED,
    _accel_numpy,
    j2_acceleration_km_s2,
    parse_gravity_file,
)

ONE_MM_KM = 1e-6
ONE_METER_KM = 1e-3
EPOCH = np.datetime64("2024-03-01T00:00:00", "us")
MU_EGM96 = 398600.4415


def kepler_to_state(a_km, e, i, raan, argp, nu, mu=MU_EGM96):
    p = a_km * (1 - e * e)
    r = p / (1 + e * np.cos(nu))
    r_pf = np.array([r * np.cos(nu), r * np.sin(nu), 0.0])
    v_pf = np.sqrt(mu / p) * np.array([-np.sin(nu), e + np.cos(nu), 0.0])
    cO, sO, ci, si, cw, sw = (np.cos(raan), np.sin(raan), np.cos(i), np.sin(i),
                              np.cos(argp), np.sin(argp))  # fmt: skip
    q = np.array([
        [cO * cw - sO * sw * ci, -cO * sw - sO * cw * ci, sO * si],
        [sO * cw + cO * sw * ci, -sO * sw + cO * cw * ci, -cO * si],
        [sw * si, cw * si, ci],
    ])  # fmt: skip
    return np.concatenate([q @ r_pf, q @ v_pf])


def elements(r, v, mu=MU_EGM96):
    """Osculating a, e, i, RAAN, argp (arrays) from (n, 3) r, v."""
    h = np.cross(r, v)
    rn = np.linalg.norm(r, axis=1)
    vn2 = np.sum(v * v, axis=1)
    a = 1.0 / (2.0 / rn - vn2 / mu)
    ev = np.cross(v, h) / mu - r / rn[:, None]
    e = np.linalg.norm(ev, axis=1)
    i = np.arccos(h[:, 2] / np.linalg.norm(h, axis=1))
    node = np.stack([-h[:, 1], h[:, 0], np.zeros(len(h))], axis=1)
    raan = np.arctan2(node[:, 1], node[:, 0])
    nn = np.linalg.norm(node, axis=1)
    argp = np.arctan2(
        np.sum(np.cross(node, ev) * h, axis=1) / np.linalg.norm(h, axis=1),
        np.sum(node * ev, axis=1),
    )
    del nn
    return a, e, i, raan, argp


# --------------------------------------------------------------------------- two-body


@pytest.mark.parametrize("backend", ["scipy", "vectorized"])
def test_vallado_example_2_4_kepler(backend):
    """Vallado, Fundamentals of Astrodynamics and Applications, 4th ed. (2013), Example 2-4
    (KEPLER): r0 = 1131.340 I - 2282.343 J + 6672.423 K km, v0 = -5.64305 I + 4.30333 J
    + 2.42879 K km/s, 40 min later r = -4219.7527 I + 4363.0292 J - 3958.7666 K km,
    v = 3.689866 I - 1.916735 J - 6.112511 K km/s (mu = 398600.4418 km^3/s^2)."""
    s0 = [1131.340, -2282.343, 6672.423, -5.64305, 4.30333, 2.42879]
    fm = ForceModel.two_body(mu_km3_s2=398600.4418)
    r, v = propagate(s0, EPOCH, [40 * 60.0], fm, backend=backend)
    assert np.abs(r[0] - [-4219.7527, 4363.0292, -3958.7666]).max() < 1e-4  # published digits
    assert np.abs(v[0] - [3.689866, -1.916735, -6.112511]).max() < 1e-6


def test_two_body_matches_kepler_to_mm_over_five_orbits():
    a, e, mu = 7500.0, 0.1, MU_EGM96
    s0 = kepler_to_state(a, e, np.radians(40), np.radians(30), np.radians(60), 0.0)
    n = np.sqrt(mu / a**3)
    t = np.linspace(0, 5 * 2 * np.pi / n, 23)
    fm = ForceModel.two_body(rtol=1e-13, atol_km=1e-10)
    r, v = propagate(s0, EPOCH, t, fm)
    # exact solution: Kepler's equation by Newton iteration
    m = n * t
    ecc_anom = m.copy()
    for _ in range(30):
        ecc_anom -= (ecc_anom - e * np.sin(ecc_anom) - m) / (1 - e * np.cos(ecc_anom))
    nu = 2 * np.arctan2(
        np.sqrt(1 + e) * np.sin(ecc_anom / 2), np.sqrt(1 - e) * np.cos(ecc_anom / 2)
    )
    exact = np.array([kepler_to_state(a, e, np.radians(40), np.radians(30), np.radians(60), x)
                      for x in nu])  # fmt: skip
    assert np.abs(r - exact[:, :3]).max() < ONE_MM_KM
    assert np.abs(v - exact[:, 3:]).max() < 1e-9


# --------------------------------------------------------------------------- gravity


def test_egm96_coefficients_match_published_values():
    """Orekit EGMFormatReaderTest (egm96_to5.ascii): C30, C55, S44 and J2 unnormalized."""
    f = egm96()
    assert f.c_norm[3, 0] == 0.957254173792e-06
    assert f.c_norm[5, 5] == 0.174971983203e-06
    assert f.s_norm[4, 4] == 0.308853169333e-06
    assert f.j(2) == pytest.approx(1.0826266835531513e-3, rel=1e-15)
    assert f.max_degree >= 10


def test_recursion_matches_closed_form_j2_and_backends_agree():
    rng = np.random.default_rng(3)
    r = rng.normal(size=(50, 3))
    r = r / np.linalg.norm(r, axis=1)[:, None] * rng.uniform(6600, 42000, (50, 1))
    f = egm96()
    g = Geopotential(2, 0)
    pm = -f.gm_km3_s2 * r / np.linalg.norm(r, axis=1)[:, None] ** 3
    j2 = j2_acceleration_km_s2(r, f.gm_km3_s2, f.radius_km, f.j(2))
    np.testing.assert_allclose(g.acceleration_km_s2(r) - pm, j2, rtol=1e-10, atol=1e-16)
    g8 = Geopotential(10, 10)
    ref = _accel_numpy(r, g8.c, g8.s, f.gm_km3_s2, f.radius_km, 10, 10)
    np.testing.assert_allclose(g8.acceleration_km_s2(r), ref, rtol=1e-13, atol=1e-18)
    # acceleration is the gradient of the potential (central differences, 100 m)
    h = 0.1
    grad = np.stack([(g8.potential_km2_s2(r + h * e) - g8.potential_km2_s2(r - h * e)) / (2 * h)
                     for e in np.eye(3)], axis=1)  # fmt: skip
    np.testing.assert_allclose(g8.acceleration_km_s2(r), grad, rtol=1e-7)
    assert ACCELERATED in (True, False)


def test_gravity_file_errors_name_the_line():
    with pytest.raises(ParseError, match=r"<t>:3"):
        parse_gravity_file("# gm_km3_s2 1\n# radius_km 1\n2 0 x 0\n", "<t>")
    with pytest.raises(ParseError, match="order"):
        parse_gravity_file("# gm_km3_s2 1\n# radius_km 1\n2 3 0 0\n", "<t>")


def test_j2_secular_node_and_perigee_rates_over_ten_days():
    """dRAAN/dt = -3/2 n J2 (Re/p)^2 cos i, dargp/dt = 3/4 n J2 (Re/p)^2 (5 cos^2 i - 1)."""
    f = egm96()
    a0, e0, i0 = 7000.0, 0.05, np.radians(50.0)
    s0 = kepler_to_state(a0, e0, i0, np.radians(20), np.radians(40), 0.0)
    t = np.arange(0, 10 * 86400 + 1, 120.0)
    r, v = propagate(s0, EPOCH, t, ForceModel.zonal(2), backend="vectorized")
    # J2 acts about the mean pole of date; express the orbit in that frame (IAU-76 precession)
    from spacerange.propagation.numerical.earth import EpochTimes, precession_iau76

    p = precession_iau76(float(EpochTimes(EPOCH).jd_tt(5 * 86400)))
    a, e, i, raan, argp = elements(r @ p.T, v @ p.T)
    a_m, e_m, i_m = a.mean(), e.mean(), i.mean()
    n = np.sqrt(f.gm_km3_s2 / a_m**3)
    k = n * f.j(2) * (f.radius_km / (a_m * (1 - e_m**2))) ** 2
    raan_rate = -1.5 * k * np.cos(i_m)
    argp_rate = 0.75 * k * (5 * np.cos(i_m) ** 2 - 1)
    fit_raan = np.polyfit(t, np.unwrap(raan), 1)[0]
    fit_argp = np.polyfit(t, np.unwrap(argp), 1)[0]
    assert fit_raan == pytest.approx(raan_rate, rel=0.01)
    assert fit_argp == pytest.approx(argp_rate, rel=0.01)


def test_energy_conserved_with_zonal_gravity_over_one_day():
    s0 = kepler_to_state(7000.0, 0.02, np.radians(63), 0.3, 0.2, 0.1)
    t = np.linspace(0, 86400, 97)
    fm = ForceModel.zonal(6, rtol=1e-12, atol_km=1e-9)
    r, v = propagate(s0, EPOCH, t, fm)
    from spacerange.propagation.numerical.earth import EpochTimes, precession_iau76

    p = precession_iau76(float(EpochTimes(EPOCH).jd_tt(43200)))
    u = Geopotential(6, 0).potential_km2_s2(r @ p.T)  # zonal: GMST rotation irrelevant
    energy = 0.5 * np.sum(v * v, axis=1) - u
    assert np.abs(energy / energy[0] - 1).max() < 1e-9


# --------------------------------------------------------------------------- ephemerides


def test_analytic_sun_moon_against_de421():
    """Montenbruck & Gill (2000) sec. 3.3.2 low-precision series vs JPL DE421, 2000-2024.

    M&G state ~0.1-1 % accuracy for the Sun and a few arcmin for the Moon; the Sun series
    omits the perihelion drift (~0.003 deg/yr from J2000), hence the 0.1 deg bound."""
    jd = 2451545.0 + np.linspace(0, 9000, 40)
    sun_de, moon_de = sun_moon_de421_km(jd)
    for approx, exact, max_deg, max_rel in (
        (sun_position_analytic_km(jd), sun_de, 0.1, 1e-3),
        (moon_position_analytic_km(jd), moon_de, 0.1, 2e-3),
    ):
        cosang = np.sum(approx * exact, axis=1) / (
            np.linalg.norm(approx, axis=1) * np.linalg.norm(exact, axis=1)
        )
        assert np.degrees(np.arccos(np.clip(cosang, -1, 1))).max() < max_deg
        rel = np.linalg.norm(approx, axis=1) / np.linalg.norm(exact, axis=1) - 1
        assert np.abs(rel).max() < max_rel


# --------------------------------------------------------------------------- drag, SRP


def test_exponential_density_table_and_harris_priester_nodes():
    # Vallado Table 8-4 entries at base heights, and continuity of the exponential inside a band
    assert exponential_density_kg_m3(400.0) == pytest.approx(3.725e-12)
    assert exponential_density_kg_m3(400.0 + 58.515 / 2) == pytest.approx(3.725e-12 * np.exp(-0.5))
    # Harris-Priester (M&G Table 3.8): at 400 km, apex of bulge -> max, antipode -> min
    sun = np.array([1.5e8, 0.0, 0.0])
    lag = np.radians(30)
    apex = 6778.0 * np.array([[np.cos(lag), np.sin(lag), 0.0]])
    h = np.array([400.0])
    assert harris_priester_density_kg_m3(apex, h, sun)[0] == pytest.approx(7.492e-12, rel=1e-9)
    assert harris_priester_density_kg_m3(-apex, h, sun)[0] == pytest.approx(2.249e-12, rel=1e-9)


def test_drag_decay_matches_king_hele_circular_rate():
    """Circular equatorial orbit, two-body + exponential drag: da/dt = -B rho sqrt(mu a)
    (1 - w r / v)^2 with the co-rotating atmosphere (King-Hele)."""
    a0 = 6378.137 + 400.0
    s0 = kepler_to_state(a0, 0.0, 0.0, 0.0, 0.0, 0.0)
    b = 0.02  # Cd A / m, m^2/kg
    fm = ForceModel(gravity_degree=0, gravity_order=0, drag_model="exponential",
                    cd_area_mass_m2_kg=b)  # fmt: skip
    t = np.linspace(0, 86400.0, 49)
    r, v = propagate(s0, EPOCH, t, fm)
    a = elements(r, v)[0]
    rho = exponential_density_kg_m3(400.0) * 1e9  # kg/km^3
    vc = np.sqrt(MU_EGM96 / a0)
    w = 7.292115146706979e-5
    rate = -(b * 1e-6) * rho * np.sqrt(MU_EGM96 * a0) * (1 - w * a0 / vc) ** 2
    fit = np.polyfit(t, a, 1)[0]
    assert fit == pytest.approx(rate, rel=0.03)
    # density scale 2 doubles the decay
    r2, v2 = propagate(s0, EPOCH, t, ForceModel(**{**fm.__dict__, "density_scale": 2.0}))
    assert np.polyfit(t, elements(r2, v2)[0], 1)[0] == pytest.approx(2 * fit, rel=0.02)


def test_shadow_models():
    sun = np.array([1.496e8, 0.0, 0.0])
    pts = np.array([[-7000.0, 0, 0], [7000.0, 0, 0], [0, 7000.0, 0], [-7000.0, 6378.0, 0]])
    con = shadow_factor(pts, sun, "conical")
    cyl = shadow_factor(pts, sun, "cylindrical")
    assert con[0] == 0 and cyl[0] == 0
    assert con[1] == 1 and con[2] == 1 and cyl[1] == 1
    assert 0 < con[3] < 1  # penumbra at the shadow edge


# --------------------------------------------------------------------------- maneuvers


def test_along_track_impulse_raises_sma_by_gauss_amount():
    a0 = 7000.0
    s0 = kepler_to_state(a0, 0.0, np.radians(30), 0.0, 0.0, 0.0)
    burn = ImpulsiveManeuver(EPOCH + np.timedelta64(1000, "s"), (0.0, 1e-3, 0.0), "RTN")
    t = np.array([999.0, 1000.0, 3000.0])
    fm = ForceModel.two_body()
    r, v = propagate(s0, EPOCH, t, fm, maneuvers=[burn])
    a = elements(r, v)[0]
    v_circ = np.sqrt(MU_EGM96 / a0)
    expected = 2 * a0**2 * v_circ * 1e-3 / MU_EGM96
    assert a[0] == pytest.approx(a0, abs=ONE_METER_KM * 1e-3)
    assert a[2] - a[0] == pytest.approx(expected, rel=1e-3)
    assert a[1] == pytest.approx(a[2], abs=ONE_MM_KM)  # output at the burn epoch is post-burn


def test_finite_burn_obeys_rocket_equation():
    s0 = kepler_to_state(1.0e6, 0.0, 0.0, 0.0, 0.0, 0.0)  # far out: gravity gradient ~ 0
    burn = FiniteBurn(EPOCH + np.timedelta64(100, "s"), 60.0, thrust_n=400.0, mass_kg=1000.0,
                      direction=(0.0, 0.0, 1.0), frame="GCRS", isp_s=300.0)  # fmt: skip
    fm = ForceModel.two_body()
    t = [160.0]  # just after burn end: gravity-gradient effect on dv negligible
    _, v_burn = propagate(s0, EPOCH, t, fm, maneuvers=[burn])
    _, v_coast = propagate(s0, EPOCH, t, fm)
    mdot = 400.0 / (300.0 * 9.80665)
    dv = 300.0 * 9.80665 * np.log(1000.0 / (1000.0 - mdot * 60.0)) / 1000.0
    assert (v_burn - v_coast)[0, 2] == pytest.approx(dv, rel=1e-8)


# --------------------------------------------------------------------------- STM, covariance


def test_variational_stm_matches_finite_differences():
    s0 = kepler_to_state(6900.0, 0.01, np.radians(97), 1.0, 0.5, 0.3)
    t = np.array([0.0, 1800.0, 5800.0])
    fm = ForceModel.zonal(2, rtol=1e-12, atol_km=1e-10)
    x_var, phi_var = propagate_with_stm(s0, EPOCH, t, fm, method="variational")
    x_fd, phi_fd = propagate_with_stm(s0, EPOCH, t, fm, method="finite_difference")
    np.testing.assert_allclose(x_var, x_fd, atol=ONE_MM_KM * 10)
    scale = np.abs(phi_fd).max(axis=(1, 2), keepdims=True)
    assert np.abs(phi_var - phi_fd).max() / scale.max() < 1e-6
    np.testing.assert_allclose(phi_var[0], np.eye(6), atol=1e-12)


def test_fd_stm_predicts_full_model_perturbation_and_covariance():
    s0 = kepler_to_state(6800.0, 0.001, np.radians(51.6), 0.2, 0.1, 0.0)
    fm = ForceModel.full(cd_area_mass_m2_kg=0.01, cr_area_mass_m2_kg=0.0, rtol=1e-12,
                         atol_km=1e-9)  # fmt: skip
    t = np.array([3000.0, 6000.0])
    x, phi = propagate_with_stm(s0, EPOCH, t, fm)
    delta = np.array([0.05, -0.03, 0.02, 2e-5, -1e-5, 3e-5])
    r, v = propagate(s0 + delta, EPOCH, t, fm)
    pred = x + phi @ delta
    assert np.abs(r - pred[:, :3]).max() < 1e-4 * np.abs(phi @ delta).max()
    p0 = np.diag([1e-2, 1e-2, 1e-2, 1e-8, 1e-8, 1e-8])
    p = propagate_covariance(p0, phi)
    assert p.shape == (2, 6, 6)
    np.testing.assert_allclose(p[1], p[1].T, rtol=1e-10)
    with pytest.raises(CovarianceError):
        propagate_covariance(-p0, phi)


# --------------------------------------------------------------------------- batch, API


def test_propagate_many_matches_single_and_flags_decay():
    states = np.stack([
        kepler_to_state(7000.0, 0.001, np.radians(inc), 0.4, 0.0, 0.0) for inc in (10, 55, 98)
    ] + [kepler_to_state(6378.137 + 120.0, 0.0, 0.5, 0.0, 0.0, 0.0)])  # fmt: skip
    fm = ForceModel(gravity_degree=6, gravity_order=6, drag_model="exponential",
                    cd_area_mass_m2_kg=0.05)  # fmt: skip
    times = EPOCH + np.arange(0, 6 * 3600 + 1, 1800).astype("timedelta64[s]")
    out = propagate_many(states, EPOCH, times, fm)
    assert out.shape == (4, times.size, 6)
    for k in range(3):
        r, _ = propagate(states[k], EPOCH, times, fm)
        assert np.abs(out[k, :, :3] - r).max() < ONE_METER_KM
    assert np.isnan(out[3, -1]).all() and not np.isnan(out[3, 0]).any()  # 120 km: re-enters


def test_times_and_inputs_are_checked():
    s0 = kepler_to_state(7000.0, 0.0, 0.5, 0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="naive"):
        propagate(s0, dt.datetime(2024, 3, 1), [60.0], ForceModel.two_body())
    aware = dt.datetime(2024, 3, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    r1, _ = propagate(s0, aware, [EPOCH + np.timedelta64(60, "s")], ForceModel.two_body())
    r2, _ = propagate(s0, EPOCH, [60.0], ForceModel.two_body())
    np.testing.assert_allclose(r1, r2)
    with pytest.raises(ValueError, match="inside the Earth"):
        propagate(s0 * 1e-3, EPOCH, [60.0])
    with pytest.raises(ValueError, match="gravity_degree"):
        ForceModel(gravity_degree=40)
    # backward propagation returns to the start
    rb, vb = propagate(s0, EPOCH, [-3000.0], ForceModel.zonal(4))
    rf, _ = propagate(np.concatenate([rb[0], vb[0]]), EPOCH - np.timedelta64(3000, "s"),
                      [3000.0], ForceModel.zonal(4))  # fmt: skip
    assert np.abs(rf[0] - s0[:3]).max() < ONE_MM_KM * 10


def test_gmst_iau82_agrees_with_skyfield():
    """IAU-82 GMST (Vallado eq. 3-47) vs Skyfield's GMST: same to < 0.5 arcsec."""
    from spacerange.propagation.numerical.earth import EpochTimes, gmst_iau82_rad, timescale

    for iso, ymdhms in (("2024-03-01T06:30:00", (2024, 3, 1, 6, 30, 0)),
                        ("2010-07-15T23:59:30", (2010, 7, 15, 23, 59, 30))):  # fmt: skip
        et = EpochTimes(np.datetime64(iso))
        ours_deg = np.degrees(gmst_iau82_rad(et.jd_ut10))
        sky_deg = timescale().utc(*ymdhms).gmst * 15.0
        assert abs((ours_deg - sky_deg + 180) % 360 - 180) * 3600 < 0.5
