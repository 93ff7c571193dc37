"""Pass prediction and look angles against skyfield (an independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.propagation.sgp4_batch import propagate
from spacerange.sensors.base import Site
from spacerange.sensors.visibility import find_passes, look_angles
from spacerange.timescales import parse_utc, time_grid

ONE_SECOND_US = 1_000_000
CULMINATION_TOL_DEG = 0.01
ARCSEC_DEG = 1.0 / 3600.0

# ISS element set printed in skyfield's "Earth Satellites" documentation.
ISS = (
    "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082",
    "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473",
)
# An illustrative Molniya-type element set (made up for a high-eccentricity geometry).
MOLNIYA = (
    "1 21118U 91012A   14020.50000000  .00000100  00000-0  10000-3 0  9990",
    "2 21118  62.8000 120.0000 7200000 270.0000  10.0000  2.00600000 99990",
)


def _skyfield_events(tle, lat, lon, alt_m, t0, t1, mask_deg):
    from skyfield.api import EarthSatellite, wgs84

    from spacerange.timescales import skyfield_time

    sat = EarthSatellite(tle[0], tle[1], "x", None)
    topos = wgs84.latlon(lat, lon, elevation_m=alt_m)
    t, ev = sat.find_events(topos, skyfield_time(t0), skyfield_time(t1), altitude_degrees=mask_deg)
    us = np.array([np.datetime64(x.replace(tzinfo=None), "us") for x in t.utc_datetime()])
    alt = (sat - topos).at(t).altaz()[0].degrees
    return us, ev, alt


@pytest.mark.parametrize(
    "tle, lat, lon, alt_m, mask, step",
    [
        (ISS, 40.8939, -83.8917, 0.0, 30.0, 30.0),  # skyfield docs: Bluffton, Ohio, 30 deg
        (ISS, -35.3206, 149.0081, 770.0, 10.0, 60.0),
        (MOLNIYA, 64.29, -149.19, 200.0, 5.0, 120.0),
    ],
)
def test_passes_match_skyfield_find_events(tle, lat, lon, alt_m, mask, step):
    t0 = parse_utc("2014-01-23T00:00:00Z")
    times = time_grid(t0, 86400.0, step)
    eph = propagate([tle], times, frame="itrs", workers=1)
    site = Site("S", lat, lon, alt_m, min_elevation_deg=mask)
    p = find_passes([site], times, eph.r, eph.v)
    sky_t, sky_ev, sky_alt = _skyfield_events(tle, lat, lon, alt_m, times[0], times[-1], mask)
    rises, culm, sets = sky_t[sky_ev == 0], sky_t[sky_ev == 1], sky_t[sky_ev == 2]
    assert len(p) >= 2
    # skyfield starts counting at the first rise; passes in progress at t0 have NaT rise.
    ours_rise = p.rise_utc[~np.isnat(p.rise_utc)]
    ours_set = p.set_utc[~np.isnat(p.set_utc)]
    assert len(ours_rise) == len(rises) and len(ours_set) == len(sets)
    assert np.all(np.abs((ours_rise - rises).astype(np.int64)) <= ONE_SECOND_US)
    assert np.all(np.abs((ours_set - sets).astype(np.int64)) <= ONE_SECOND_US)
    # Culminations: skyfield reports local maxima above the mask; compare with ours.
    sky_culm_alt = sky_alt[sky_ev == 1]
    for tc, ac in zip(culm, sky_culm_alt, strict=True):
        k = np.argmin(np.abs((p.culmination_utc - tc).astype(np.int64)))
        assert abs(int((p.culmination_utc[k] - tc).astype(np.int64))) <= 5 * ONE_SECOND_US
        assert p.max_el_deg[k] == pytest.approx(ac, abs=CULMINATION_TOL_DEG)


def test_look_angles_match_skyfield_altaz():
    from skyfield.api import EarthSatellite, wgs84

    from spacerange.timescales import skyfield_time

    times = time_grid(parse_utc("2014-01-23T06:00:00Z"), 3600.0, 10.0)
    eph = propagate([ISS], times, frame="itrs", workers=1)
    site = Site("B", 40.8939, -83.8917, 250.0)
    az, el, rng, rr = look_angles(site, eph.r[0], eph.v[0])
    sat = EarthSatellite(*ISS)
    topo = (sat - wgs84.latlon(40.8939, -83.8917, elevation_m=250.0)).at(skyfield_time(times))
    alt, azs, dist, _, _, range_rate = topo.frame_latlon_and_rates(
        wgs84.latlon(40.8939, -83.8917, elevation_m=250.0)
    )
    sky_alt, sky_az, _ = topo.altaz()
    assert np.max(np.abs(el - sky_alt.degrees)) < ARCSEC_DEG
    daz = (az - sky_az.degrees + 180.0) % 360.0 - 180.0
    assert np.max(np.abs(daz[el > -80])) < ARCSEC_DEG
    assert np.max(np.abs(rng - dist.km)) < 1e-3  # one metre
    assert np.max(np.abs(rr - range_rate.km_per_s)) < 1e-5  # 1 cm/s
