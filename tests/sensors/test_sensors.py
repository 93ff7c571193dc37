"""Sensor models: radar equation, diffuse-sphere photometry, optical constraints, noise."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.frames import geodetic_to_itrs
from spacerange.propagation.sgp4_batch import propagate
from spacerange.sensors.base import NoiseModel, ObjectProperties, Site, TruthStates
from spacerange.sensors.optical import (
    OpticalTelescope,
    diffuse_sphere_magnitude,
    diffuse_sphere_phase,
)
from spacerange.sensors.radar import SurveyRadar, TrackingRadar, radar_snr_db
from spacerange.timescales import parse_utc, time_grid

ARCSEC_DEG = 1.0 / 3600.0
ISS = (
    "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082",
    "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473",
)


def _props(n, rcs=1.0, d=2.0, albedo=0.1):
    return ObjectProperties(np.full(n, rcs), np.full(n, d), np.full(n, albedo))


def _overhead_truth(site: Site, alt_km: float, t: np.ndarray, props=None) -> TruthStates:
    """One object fixed (in ITRS) straight above ``site`` at ``alt_km``."""
    r = geodetic_to_itrs(np.float64(site.lat_deg), np.float64(site.lon_deg), np.float64(alt_km))
    r = np.broadcast_to(r, (1, len(t), 3)).copy()
    return TruthStates(np.array([1]), r, np.zeros_like(r), props or _props(1))


def test_radar_equation_r4_law():
    # Skolnik eq. 2.1: received power ~ sigma / R^4: doubling the range costs 12.04 dB,
    # ten times the RCS gains 10 dB.
    base = radar_snr_db(1.0, 1000.0, 30.0, 1000.0)
    assert base == pytest.approx(30.0)
    assert radar_snr_db(1.0, 2000.0, 30.0, 1000.0) - base == pytest.approx(-12.0412, abs=1e-4)
    assert radar_snr_db(10.0, 1000.0, 30.0, 1000.0) - base == pytest.approx(10.0)


def test_tracking_radar_detects_by_rcs_and_range():
    site = Site("R", 50.0, 7.0, 0.0, min_elevation_deg=5.0)
    radar = TrackingRadar("R", site, snr_ref_db=20.0, ref_range_km=1000.0, snr_min_db=13.0)
    t = time_grid(parse_utc("2023-10-09T00:00:00Z"), 0.0, 1.0)
    # SNR at 1000 km: 20 + 10 log10(rcs); threshold 13 dB -> rcs >= 0.1995 m^2.
    big = radar.measure(_overhead_truth(site, 1000.0, t, _props(1, rcs=0.25)), t)
    small = radar.measure(_overhead_truth(site, 1000.0, t, _props(1, rcs=0.15)), t)
    assert len(big) == 1 and len(small) == 0
    assert big.range_km[0] == pytest.approx(1000.0, abs=1e-6)
    assert big.angle_2_deg[0] == pytest.approx(90.0, abs=1e-6)
    # Same target 2x farther: 12 dB weaker -> lost.
    assert len(radar.measure(_overhead_truth(site, 2000.0, t, _props(1, rcs=0.25)), t)) == 0


def test_survey_radar_cone_field_of_view():
    site = Site("S", 0.0, 0.0, 0.0, min_elevation_deg=1.0)
    radar = SurveyRadar("S", site, snr_ref_db=60.0, fov="cone", boresight_az_deg=0.0,
                        boresight_el_deg=90.0, half_angle_deg=20.0)  # fmt: skip
    t = time_grid(parse_utc("2023-10-09T00:00:00Z"), 0.0, 1.0)
    assert len(radar.measure(_overhead_truth(site, 800.0, t), t)) == 1
    narrow = SurveyRadar("S", site, snr_ref_db=60.0, fov="cone", boresight_az_deg=0.0,
                         boresight_el_deg=30.0, half_angle_deg=20.0)  # fmt: skip
    assert len(narrow.measure(_overhead_truth(site, 800.0, t), t)) == 0


def test_diffuse_sphere_phase_function_matches_lambert_integration():
    """Hejduk's F(phi) equals the disc integral of Lambert's law over a sphere:
    F = (1/pi^2) * integral over lit & visible surface of (n.s)(n.o) dOmega."""
    rng = np.random.default_rng(1)
    n = rng.normal(size=(400_000, 3))
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    s = np.array([0.0, 0.0, 1.0])
    for phi in np.radians([0.0, 30.0, 60.0, 90.0, 120.0, 150.0]):
        o = np.array([np.sin(phi), 0.0, np.cos(phi)])
        ns, no = n @ s, n @ o
        integrand = np.where((ns > 0) & (no > 0), ns * no, 0.0)
        f_mc = 4.0 * np.pi * integrand.mean() / np.pi**2
        assert diffuse_sphere_phase(phi) == pytest.approx(f_mc, abs=3e-3 * 2 / (3 * np.pi))


def test_lambert_sphere_geometric_albedo_is_two_thirds():
    # Lambert sphere: geometric albedo p = 2/3 x albedo (e.g. Russell 1916), so at phase 0
    # m = m_sun - 2.5 log10(p a^2 / R^2).
    d, rho, r_km = 2.0, 0.3, 1000.0
    expected = -26.74 - 2.5 * np.log10((2.0 / 3.0) * rho * (d / 2) ** 2 / (r_km * 1e3) ** 2)
    assert diffuse_sphere_magnitude(d, rho, r_km, 0.0) == pytest.approx(expected, abs=1e-9)


def test_optical_needs_dark_site_and_sunlit_target():
    site = Site("O", 0.0, 0.0, 0.0, min_elevation_deg=10.0)
    tel = OpticalTelescope("O", site, limiting_mag=16.0, angle_type="AZEL")
    # June solstice, local midnight at lon 0: Sun ~ -66.5 deg; GEO-altitude object at
    # zenith is out of the Earth's shadow (Sun declination +23.4 deg).
    night = np.array([parse_utc("2023-06-21T00:00:00Z")])
    assert len(tel.measure(_overhead_truth(site, 35786.0, night), night)) == 1
    # Same object at local noon: site in daylight -> nothing.
    noon = np.array([parse_utc("2023-06-21T12:00:00Z")])
    assert len(tel.measure(_overhead_truth(site, 35786.0, noon), noon)) == 0
    # A LEO object at zenith at local midnight (equinox) is in the Earth's umbra.
    eq = np.array([parse_utc("2023-03-21T00:00:00Z")])
    assert len(tel.measure(_overhead_truth(site, 500.0, eq), eq)) == 0
    # Fainter than the limit: a 2 cm sphere at GEO.
    tiny = _props(1, d=0.02)
    assert len(tel.measure(_overhead_truth(site, 35786.0, night, tiny), night)) == 0


def test_optical_radec_matches_skyfield():
    from skyfield.api import EarthSatellite, wgs84

    from spacerange.timescales import skyfield_time

    times = time_grid(parse_utc("2014-01-23T00:00:00Z"), 86400.0, 30.0)
    eph = propagate([ISS], times, frame="itrs", workers=1)
    site = Site("B", 40.8939, -83.8917, 250.0, min_elevation_deg=10.0)
    tel = OpticalTelescope("B", site, limiting_mag=30.0, max_sun_elevation_deg=90.0)
    m = tel.measure(TruthStates(np.array([25544]), eph.r, eph.v, _props(1)), times)
    assert len(m) > 5
    topos = wgs84.latlon(40.8939, -83.8917, elevation_m=250.0)
    ra, dec, _ = (EarthSatellite(*ISS) - topos).at(skyfield_time(m.epochs)).radec()
    dra = (m.angle_1_deg - ra._degrees + 180.0) % 360.0 - 180.0
    assert np.max(np.abs(dra * np.cos(np.radians(dec.degrees)))) < ARCSEC_DEG
    assert np.max(np.abs(m.angle_2_deg - dec.degrees)) < ARCSEC_DEG


def test_noise_statistics_biases_and_time_tag_bias():
    site = Site("R", 0.0, 0.0, 0.0)
    t = time_grid(parse_utc("2023-10-09T00:00:00Z"), 19_999.0, 1.0)
    noise = NoiseModel(sigma_range_km=0.01, sigma_angle_deg=0.02, bias_range_km=0.05,
                       bias_angle_2_deg=0.1, time_bias_s=0.5)  # fmt: skip
    radar = TrackingRadar("R", site, noise=noise, snr_ref_db=60.0)
    truth = _overhead_truth(site, 1000.0, t)
    m = radar.measure(truth, t, np.random.default_rng(7))
    assert len(m) == len(t)
    dr = m.range_km - 1000.0
    assert dr.mean() == pytest.approx(0.05, abs=4 * 0.01 / np.sqrt(len(t)))
    assert dr.std() == pytest.approx(0.01, rel=0.03)
    assert (m.angle_2_deg - 90.0).mean() == pytest.approx(0.1, abs=1e-3)
    assert np.all(m.epochs - t == np.timedelta64(500_000, "us"))
    again = radar.measure(truth, t, np.random.default_rng(7))
    assert np.array_equal(again.range_km, m.range_km)  # same seed, same noise
    clean = radar.measure(truth, t, None)
    assert np.allclose(clean.range_km, 1000.05)
