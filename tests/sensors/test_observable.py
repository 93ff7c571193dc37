"""Field of regard, dark site and sunlit object (``sensors.visibility``) against skyfield
(an independent implementation of the look angles, the Sun and the Earth's shadow)."""

from __future__ import annotations

import numpy as np

from spacerange.propagation.sgp4_batch import propagate
from spacerange.sensors.base import Scene, Site
from spacerange.sensors.optical import OpticalTelescope
from spacerange.sensors.radar import TrackingRadar
from spacerange.sensors.visibility import field_of_regard, observable, site_dark, sunlit
from spacerange.timescales import parse_utc, skyfield_time, time_grid

ISS = (
    "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082",
    "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473",
)
T0 = "2014-01-21T00:00:00Z"


def _sky(site, times):
    from skyfield.api import EarthSatellite, wgs84

    from spacerange.bodies import ephemeris

    eph = ephemeris()
    topos = wgs84.latlon(site.lat_deg, site.lon_deg, elevation_m=site.alt_m)
    ts = skyfield_time(times)
    sat = EarthSatellite(*ISS)
    alt, az, dist = (sat - topos).at(ts).altaz()
    sun_alt = (eph["earth"] + topos).at(ts).observe(eph["sun"]).apparent().altaz()[0].degrees
    lit = sat.at(ts).is_sunlit(eph)
    return alt.degrees, az.degrees, dist.km, sun_alt, lit


def test_field_of_regard_matches_skyfield_look_angles():
    # an azimuth window through north, an elevation band and a range limit: all bite
    site = Site("S", 40.0, -80.0, 300.0, min_elevation_deg=10.0, max_elevation_deg=70.0,
                max_range_km=1800.0, az_min_deg=300.0, az_max_deg=120.0)  # fmt: skip
    times = time_grid(parse_utc(T0), 86400.0, 20.0)
    r = propagate([ISS], times, frame="itrs", workers=1).r
    ok, rng = field_of_regard(site, r)
    alt, az, dist, _, _ = _sky(site, times)
    want = (alt >= 10) & (alt <= 70) & (dist <= 1800) & ((az >= 300) | (az <= 120))
    near = ((np.abs(alt - 10) < 0.01) | (np.abs(alt - 70) < 0.01) | (np.abs(dist - 1800) < 1)
            | (np.abs(az - 300) < 0.01) | (np.abs(az - 120) < 0.01))  # fmt: skip
    assert want.sum() >= 5  # the test must see visible samples
    assert np.array_equal(ok[0][~near], want[~near])
    # skyfield includes light time and aberration: ranges agree to a few metres
    assert np.max(np.abs(rng[0] - dist)) < 0.05
    assert not field_of_regard(site, np.full((2, 3), np.nan))[0].any()


def test_dark_site_and_sunlit_object_match_skyfield():
    site = Site("O", -31.27, 149.06, 1100.0)
    times = time_grid(parse_utc(T0), 86400.0, 30.0)
    r = propagate([ISS], times, frame="itrs", workers=1).r
    scene = Scene(times)
    dark = site_dark(site, scene, -12.0)
    lit = sunlit(r[0], scene.sun_itrs_km)
    _, _, _, sun_alt, sk_lit = _sky(site, times)
    edge = np.abs(sun_alt + 12.0) < 0.05  # skyfield's Sun is apparent (light time, aberration)
    assert 0 < dark.sum() < len(times)
    assert np.array_equal(dark[~edge], (sun_alt < -12.0)[~edge])
    # ours counts the penumbra as lit (the telescope's condition): skyfield tests the
    # Sun's centre, so the two differ only on the ~10 s penumbra crossings (one sample
    # per eclipse entry and exit at 30 s sampling; ~16 orbits a day)
    assert (lit != sk_lit).sum() <= 2 * 16
    assert 0.25 < 1 - lit.mean() < 0.45


def test_observable_optical_needs_dark_site_and_sunlit_object_radar_does_not():
    site = Site("O", -31.27, 149.06, 1100.0, min_elevation_deg=10.0)
    times = time_grid(parse_utc(T0), 2 * 86400.0, 30.0)
    r = propagate([ISS], times, frame="itrs", workers=1).r
    scene = Scene(times)
    tel = OpticalTelescope("T", site)
    radar = TrackingRadar("R", site)
    ok_t, _ = observable(tel, r, scene)
    ok_r, rng = observable(radar, r, scene)
    fov, _ = field_of_regard(site, r)
    assert np.array_equal(ok_r, fov)  # a radar sees day and night
    want = fov & site_dark(site, scene)[None] & sunlit(r, scene.sun_itrs_km[None])
    assert np.array_equal(ok_t, want)
    assert ok_r.sum() > ok_t.sum() > 0  # twilight passes of the ISS exist in two days
    # the telescope never sees anything in daylight nor in the Earth's shadow
    assert not (ok_t & ~site_dark(site, scene)[None]).any()
