"""Frames against two independent implementations: skyfield's ``EarthSatellite`` path and
astropy's TEME -> ITRS transformation (test-only dependency)."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange import frames
from spacerange.propagation.sgp4_batch import propagate
from spacerange.timescales import parse_utc, skyfield_time, time_grid

ONE_METER_KM = 1e-3
ONE_MM_S_KM_S = 1e-6

ISS = (
    "1 25544U 98067A   23282.52502200  .00015914  00000+0  28464-3 0  9990",
    "2 25544  51.6423 127.5466 0005223  74.8436  20.2036 15.50135526419812",
)
GEO = (
    "1 28884U 05041A   23282.20000000 -.00000292  00000-0  00000+0 0  9999",
    "2 28884   0.0241 280.4455 0002486 110.2183 212.1431  1.00270954 66218",
)
MOLNIYA = (
    "1 28129U 03058A   06175.57071136 -.00000104  00000-0  10000-3 0   459",
    "2 28129  62.1377 139.6224 6968426 282.8296  11.5016  2.00528575 13992",
)


@pytest.fixture(scope="module")
def times():
    return time_grid(parse_utc("2023-10-09T12:00:00Z"), 86400.0, 900.0)


def _skyfield_states(tle, times):
    from skyfield.api import EarthSatellite, wgs84
    from skyfield.framelib import itrs

    sat = EarthSatellite(*tle)
    t = skyfield_time(times)
    geo = sat.at(t)
    r_gcrs = geo.position.km.T
    v_gcrs = geo.velocity.km_per_s.T
    r_itrs, v_itrs = geo.frame_xyz_and_velocity(itrs)
    r_itrs, v_itrs = r_itrs.km.T, v_itrs.km_per_s.T
    lat, lon = wgs84.latlon_of(geo)
    alt = wgs84.height_of(geo).km
    return r_gcrs, v_gcrs, r_itrs, v_itrs, np.stack([lat.degrees, lon.degrees, alt], -1)


@pytest.mark.parametrize("tle", [ISS, GEO, MOLNIYA], ids=["leo", "geo", "heo"])
def test_against_skyfield_earthsatellite(tle, times):
    sk = _skyfield_states(tle, times)
    for frame, ref_r, ref_v in [("gcrs", sk[0], sk[1]), ("itrs", sk[2], sk[3])]:
        eph = propagate([tle], times, frame=frame, workers=1)
        assert np.abs(eph.r[0] - ref_r).max() < ONE_METER_KM
        assert np.abs(eph.v[0] - ref_v).max() < ONE_MM_S_KM_S
    geod = propagate([tle], times, frame="geodetic", workers=1).r[0]
    assert np.abs(geod[:, 0] - sk[4][:, 0]).max() * 111.0 < ONE_METER_KM  # deg -> km
    lon_err = (geod[:, 1] - sk[4][:, 1] + 180) % 360 - 180
    assert np.abs(lon_err * 111.0 * np.cos(np.radians(geod[:, 0]))).max() < ONE_METER_KM
    assert np.abs(geod[:, 2] - sk[4][:, 2]).max() < ONE_METER_KM


@pytest.mark.parametrize("tle", [ISS, GEO], ids=["leo", "geo"])
def test_against_astropy_teme_itrs_geodetic(tle, times):
    astropy = pytest.importorskip("astropy")
    del astropy
    from astropy import units as u
    from astropy.coordinates import ITRS, TEME, CartesianDifferential, CartesianRepresentation
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.iers_degraded_accuracy = "ignore"
    eph = propagate([tle], times, frame="teme", workers=1)
    t = Time(times.astype("datetime64[ns]").astype(str), scale="utc")
    rep = CartesianRepresentation(eph.r[0].T * u.km).with_differentials(
        CartesianDifferential(eph.v[0].T * u.km / u.s)
    )
    with iers.conf.set_temp("auto_max_age", None):
        itrs_ap = TEME(rep, obstime=t).transform_to(ITRS(obstime=t))
    r_ap = itrs_ap.cartesian.xyz.to_value(u.km).T
    ours = propagate([tle], times, frame="itrs", workers=1)
    # Our ITRS, like skyfield's built-in model, has no polar motion (no EOP at run time).
    # Remove astropy's polar motion (its bundled IERS table) to compare the rest of the
    # chain -- precession-nutation, equation of the equinoxes, UT1 -- independently.
    import erfa

    xp, yp = iers.earth_orientation_table.get().pm_xy(t)
    w = erfa.pom00(xp.to_value(u.rad), yp.to_value(u.rad), erfa.sp00(t.tt.jd1, t.tt.jd2))
    r_tirs = np.einsum("tji,tj->ti", w, r_ap)
    assert np.linalg.norm(r_tirs - ours.r[0], axis=-1).max() < ONE_METER_KM
    h_ap = frames.itrs_to_geodetic(r_ap)[:, 2]
    h_us = frames.itrs_to_geodetic(ours.r[0])[:, 2]
    assert np.abs(h_ap - h_us).max() < ONE_METER_KM


def test_geodetic_round_trip():
    rng = np.random.default_rng(1)
    lat = rng.uniform(-90, 90, 1000)
    lon = rng.uniform(-180, 180, 1000)
    alt = rng.uniform(-1, 40000, 1000)
    back = frames.itrs_to_geodetic(frames.geodetic_to_itrs(lat, lon, alt))
    assert np.abs(back[:, 0] - lat).max() < 1e-9
    assert np.abs(((back[:, 1] - lon + 180) % 360) - 180).max() < 1e-9
    assert np.abs(back[:, 2] - alt).max() < 1e-6


def test_rtn_basis_is_orthonormal_and_oriented():
    r = np.array([[7000.0, 0, 0]])
    v = np.array([[0, 7.5, 0.1]])
    b = frames.rtn_basis(r, v)[0]
    np.testing.assert_allclose(b @ b.T, np.eye(3), atol=1e-15)
    np.testing.assert_allclose(b[0], [1, 0, 0])
    assert b[1, 1] > 0.99  # transverse along velocity
    dv = np.array([[0.0, 1.0, 0.0]])
    np.testing.assert_allclose(frames.from_rtn(frames.to_rtn(dv, r, v), r, v), dv, atol=1e-15)
