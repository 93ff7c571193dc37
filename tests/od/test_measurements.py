"""Measurement models: values against skyfield (outside authority), partials against
central differences of the model."""

import numpy as np
import pytest

from spacerange.od import measurements as ms

ARCSEC = np.radians(1 / 3600)
ONE_METER_KM = 1e-3


def _geometry(site, times):
    return ms.site_geometry([site], np.zeros(len(times), int), times)


def test_values_match_skyfield_topocentric():
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    l1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
    l2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"
    sat = EarthSatellite(l1, l2, "ISS", ts)
    site = ms.Site("T", 35.0, -106.0, 1600.0)
    times = np.datetime64("2008-09-20T12:00:00", "us") + np.arange(0, 600, 60).astype(
        "timedelta64[s]"
    )
    t = ts.from_datetimes([x.astype("datetime64[us]").item().replace(tzinfo=__import__(
        "datetime").UTC) for x in times])  # fmt: skip
    topos = wgs84.latlon(35.0, -106.0, elevation_m=1600.0)
    geo = sat.at(t)
    rel = (sat - topos).at(t)
    alt, az, dist = rel.altaz()
    ra, dec, _ = rel.radec()
    x = np.concatenate([geo.position.km.T, geo.velocity.km_per_s.T], axis=1)
    r_s, v_s, enu = _geometry(site, times)
    m = len(times)
    for kind, ref, tol in (
        (ms.RANGE, dist.km, ONE_METER_KM),
        (ms.AZIMUTH, az.radians, ARCSEC),
        (ms.ELEVATION, alt.radians, ARCSEC),
        (ms.RIGHT_ASCENSION, ra.radians, ARCSEC),
        (ms.DECLINATION, dec.radians, ARCSEC),
    ):
        h, _ = ms.predict(np.full(m, kind), x, r_s, v_s, enu)
        np.testing.assert_allclose(ms.residual(np.full(m, kind), ref, h), 0.0, atol=tol)
    # range-rate: skyfield's relative velocity projected on the line of sight
    rho = rel.position.km.T
    rr_ref = np.sum(rho * rel.velocity.km_per_s.T, axis=1) / np.linalg.norm(rho, axis=1)
    h, _ = ms.predict(np.full(m, ms.RANGE_RATE), x, r_s, v_s, enu)
    np.testing.assert_allclose(h, rr_ref, atol=1e-6)  # 1 mm/s


@pytest.mark.parametrize("kind", range(6))
def test_partials_match_central_differences(kind):
    site = ms.Site("T", -20.0, 40.0, 0.0)
    times = np.array(["2024-01-01T03:00:00"] * 3, "datetime64[us]")
    r_s, v_s, enu = _geometry(site, times)
    up = enu[0, 2]
    x = np.array([np.r_[r_s[0] + 900 * up + [300.0, -200.0, 100.0], [1.0, 6.5, 3.0]]] * 3)
    _, jac = ms.predict(np.full(3, kind), x, r_s, v_s, enu)
    num = np.zeros(6)
    for j in range(6):
        step = 1e-3 if j < 3 else 1e-6
        xp, xm = x[:1].copy(), x[:1].copy()
        xp[0, j] += step
        xm[0, j] -= step
        hp, _ = ms.predict([kind], xp, r_s[:1], v_s[:1], enu[:1])
        hm, _ = ms.predict([kind], xm, r_s[:1], v_s[:1], enu[:1])
        num[j] = ms.residual([kind], hp, hm)[0] / (2 * step)
    np.testing.assert_allclose(jac[0], num, rtol=1e-5, atol=1e-12)


def test_unknown_kind_name():
    with pytest.raises(ValueError, match="unknown measurement kind"):
        ms.kind_code("doppler")
