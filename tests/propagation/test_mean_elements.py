"""The public SGP4 mean-element fit: a state goes in, a satrec that reproduces it at the
epoch comes out (checked by propagating with python-sgp4, the reference implementation of
Vallado et al. 2006), and a TLE's own mean elements are recovered from its state."""

from __future__ import annotations

import numpy as np
from sgp4.api import WGS72, Satrec

from spacerange.constants import MU_WGS72_KM3_S2
from spacerange.propagation.mean_elements import fit_sgp4_mean_elements
from spacerange.timescales import from_jd_utc, jd_fr_utc

# ISS (ZARYA), Vallado's verification set style TLE
L1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
L2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"


def test_fit_recovers_a_tle_from_its_state():
    sat = Satrec.twoline2rv(L1, L2, WGS72)
    epoch = from_jd_utc(np.array([sat.jdsatepoch]), np.array([sat.jdsatepochF]))[0]
    e, r, v = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF)
    assert e == 0
    sats, res = fit_sgp4_mean_elements(np.array([[*r, *v]]), epoch, sat.bstar)
    fit = sats[0]
    assert res[0] < 1e-3  # km
    assert abs(fit.no_kozai - sat.no_kozai) / sat.no_kozai < 1e-6
    assert abs(fit.inclo - sat.inclo) < 1e-6 and abs(fit.ecco - sat.ecco) < 1e-6
    # one day later both satrecs agree (same mean elements, same drag)
    jd, fr = jd_fr_utc(np.array([epoch + np.timedelta64(86400, "s")]))
    _, r1, _ = sat.sgp4(jd[0], fr[0])
    _, r2, _ = fit.sgp4(jd[0], fr[0])
    assert np.linalg.norm(np.subtract(r1, r2)) < 0.05


def test_unbound_and_subsurface_states_are_refused_not_fitted():
    epoch = np.datetime64("2026-03-04T00:00:00", "us")
    states = np.array([[7000.0, 0, 0, 0, 12.0, 0], [6000.0, 0, 0, 0, 7.5, 0]])
    sats, res = fit_sgp4_mean_elements(states, epoch)
    assert sats == [None, None] and np.isnan(res).all()


def test_newton_rows_fitted_together_equal_rows_fitted_alone():
    """The damped Newton (near-equatorial deep-space states) runs all rows in one batch;
    each row's result is the one it gets alone (rows stop independently)."""
    import numpy as np

    from spacerange.propagation.mean_elements import fit_sgp4_mean_elements

    rng = np.random.default_rng(3)
    n = 12
    r = 42164.0 + rng.normal(0, 30, n)
    lon = rng.uniform(0, 2 * np.pi, n)
    inc = np.radians(rng.uniform(0, 0.01, n))
    pos = np.stack([r * np.cos(lon), r * np.sin(lon) * np.cos(inc),
                    r * np.sin(lon) * np.sin(inc)], 1)  # fmt: skip
    vs = np.sqrt(398600.8 / r) * (1 + rng.normal(0, 1e-3, n))
    vel = np.stack([-vs * np.sin(lon), vs * np.cos(lon) * np.cos(inc),
                    vs * np.cos(lon) * np.sin(inc)], 1)  # fmt: skip
    st = np.concatenate([pos, vel], 1)
    ep = np.datetime64("2026-03-05T00:00:00", "us")
    _, together = fit_sgp4_mean_elements(st, ep)
    _, no_newton = fit_sgp4_mean_elements(st, ep, newton=False)
    alone = np.array([fit_sgp4_mean_elements(st[k : k + 1], ep)[1][0] for k in range(n)])
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-9)
    assert np.all(together <= no_newton + 1e-12) and np.any(together < 0.5 * no_newton)


def test_near_equatorial_geo_states_after_a_burn_are_fitted_within_a_kilometre():
    """SDP4's lunisolar periodics fold the mean-to-osculating map near zero inclination;
    Newton from the fixed point's start alone left 26 of these 400 states 1-22 km off (a
    GEO relocation burn's arc starting kilometres from the state it continues: the
    exercise's truth-continuity test caught one at 6.2 km).  With the restarts, at most
    a few of them above 1 km and none above 3 km (the truth's continuity tolerance)."""
    rng = np.random.default_rng(1)
    mu, a = MU_WGS72_KM3_S2, 42164.2
    states = []
    for _ in range(400):
        inc, raan, u = (
            np.radians(rng.uniform(0.0, 0.2)),
            rng.uniform(0, 2 * np.pi),
            rng.uniform(0, 2 * np.pi),
        )
        e = rng.uniform(0, 5e-4)
        r = a * (1 - e)
        v = np.sqrt(mu * (2 / r - 1 / a))
        rv = np.array([r * np.cos(u), r * np.sin(u), 0.0])
        vv = np.array([-v * np.sin(u), v * np.cos(u), 0.0])
        rx = np.array([[1, 0, 0], [0, np.cos(inc), -np.sin(inc)], [0, np.sin(inc), np.cos(inc)]])
        rz = np.array([[np.cos(raan), -np.sin(raan), 0], [np.sin(raan), np.cos(raan), 0],
                       [0, 0, 1]])  # fmt: skip
        rv, vv = rz @ rx @ rv, rz @ rx @ vv
        vv = vv * (1 + rng.choice([-1, 1]) * 1.42e-3 / np.linalg.norm(vv))  # a 1.42 m/s burn
        states.append(np.concatenate([rv, vv]))
    sats, res_km = fit_sgp4_mean_elements(np.array(states), np.datetime64("2026-03-04T06:10"),
                                          0.0)  # fmt: skip
    assert all(s is not None for s in sats)
    assert np.sum(res_km > 1.0) <= 3 and np.max(res_km) < 3.0
