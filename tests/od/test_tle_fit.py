"""TLE fitting: SGP4 ephemeris -> recovers the published TLE; numerical LEO -> SGP4-level RMS."""

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec

from spacerange.catalog.tle import parse_tle_lines, tle_checksum
from spacerange.frames import teme_to_gcrs
from spacerange.od.tle_fit import fit_tle
from spacerange.timescales import jd_fr_utc

# ISS element set used in Vallado et al. (2006) AIAA 2006-6753 / CelesTrak examples.
L1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
L2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"


def _sgp4_gcrs(l1, l2, times):
    s = Satrec.twoline2rv(l1, l2, WGS72)
    jd, fr = jd_fr_utc(times)
    _, r, v = s.sgp4_array(jd, fr)
    return teme_to_gcrs(r, v, times)


def test_fit_recovers_sgp4_elements():
    ref = parse_tle_lines(L1, L2)
    epoch = np.datetime64(ref.epoch.replace(tzinfo=None), "us")
    times = epoch + np.arange(0, 86400, 120).astype("timedelta64[s]")
    r, v = _sgp4_gcrs(L1, L2, times)
    fit = fit_tle(times, r, v, norad_id=25544, epoch_utc=epoch)
    e = fit.elset
    assert fit.converged
    assert e.inclination_deg == pytest.approx(ref.inclination_deg, abs=1e-4)
    assert e.raan_deg == pytest.approx(ref.raan_deg, abs=1e-4)
    assert e.eccentricity == pytest.approx(ref.eccentricity, abs=1e-7)
    assert e.arg_perigee_deg == pytest.approx(ref.arg_perigee_deg, abs=2e-3)
    assert e.mean_anomaly_deg == pytest.approx(ref.mean_anomaly_deg, abs=2e-3)
    assert e.mean_motion_rev_day == pytest.approx(ref.mean_motion_rev_day, abs=1e-7)
    assert e.bstar == pytest.approx(ref.bstar, rel=0.01)
    assert fit.rms_km < 1e-3  # the formatted TLE reproduces the ephemeris to < 1 m
    for line in (e.line1, e.line2):
        assert len(line) == 69 and int(line[-1]) == tle_checksum(line)


def test_fit_to_numerical_leo_ephemeris():
    from spacerange.propagation.numerical import ForceModel, propagate

    epoch = np.datetime64("2008-09-20T12:25:40", "us")
    times = epoch + np.arange(0, 86400, 300).astype("timedelta64[s]")
    r0, v0 = _sgp4_gcrs(L1, L2, times[:1])
    # 8x8 EGM96 gravity + Harris-Priester drag: more physics than SGP4 represents
    fm = ForceModel(gravity_degree=8, gravity_order=8, cd_area_mass_m2_kg=0.005)
    r, v = propagate(np.r_[r0[0], v0[0]], epoch, times, fm)
    fit = fit_tle(times, r, v, norad_id=99001)
    print(
        f"SGP4 fit to 1-day numerical LEO: RMS {fit.rms_km * 1e3:.0f} m, "
        f"max {fit.max_km * 1e3:.0f} m"
    )
    # SGP4 theory error for LEO over a day is of order 1 km (Vallado & Cefola 2012)
    assert fit.rms_km < 2.0
    assert fit.elset.bstar > 0  # drag is recovered with the right sign


def test_fit_needs_states():
    t = np.array(["2024-01-01"], "datetime64[us]")
    with pytest.raises(ValueError, match="at least 4"):
        fit_tle(t, np.full((1, 3), np.nan), np.zeros((1, 3)))


def test_an_equatorial_geostationary_ephemeris_gives_a_valid_element_set():
    """At zero inclination the node is undefined: with node and inclination among the fit's
    parameters a step could take the inclination below zero and the TLE writer refused
    the result ("inclination -0.0001 deg outside [0, 180]"); the equinoctial parameters
    keep it >= 0 (:mod:`spacerange.od.sgp4_dc`)."""
    s = Satrec()
    s.sgp4init(WGS72, "i", 1, 27820.5, 0.0, 0.0, 0.0, 2e-4, 1.0, 0.0, 2.0, 2 * np.pi / 1436.1, 0.0)
    t0 = np.datetime64("2026-03-02T00:00:00", "us")
    times = t0 + np.arange(0, 86400, 3600).astype("timedelta64[s]")
    jd, fr = jd_fr_utc(times)
    _, r, v = s.sgp4_array(jd, fr)
    rg, vg = teme_to_gcrs(r, v, times)
    fit = fit_tle(times, rg, vg)
    assert 0.0 <= fit.elset.inclination_deg < 0.01
    assert fit.rms_km < 0.2
