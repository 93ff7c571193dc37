"""Numerical propagator vs SGP4 over one day from an SGP4-derived initial state.

SGP4 is an analytic theory with km-level errors after a day (Vallado et al. 2006, AIAA
2006-6753; Vallado, *Fundamentals*, 4th ed., sec. 9.9), so this is a loose sanity bound,
not an accuracy test: it catches frame, time, unit and sign errors (which give tens to
thousands of km).
"""

from __future__ import annotations

import numpy as np
from sgp4.api import Satrec
from skyfield.api import load
from skyfield.sgp4lib import TEME

from spacerange.propagation.numerical import ForceModel, propagate

# ISS TLE printed in the Skyfield documentation ("Earth satellites"), epoch 2014-01-20.
ISS_L1 = "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082"
ISS_L2 = "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473"


def test_one_day_against_sgp4_iss(record_property):
    sat = Satrec.twoline2rv(ISS_L1, ISS_L2)
    ts = load.timescale(builtin=True)
    t_s = np.arange(0, 86400 + 1, 900.0)
    jd_utc = sat.jdsatepoch + sat.jdsatepochF + t_s / 86400.0
    whole = np.floor(jd_utc)
    e, r_teme, v_teme = sat.sgp4_array(whole, jd_utc - whole)
    assert not e.any()
    t_utc = ts.utc(2014, 1, 1, 0, 0, (jd_utc - 2456658.5) * 86400.0)
    # Skyfield's TEME frame (AIAA 2006-6753 Appendix C): rotation_at gives TEME -> GCRS
    rot = np.moveaxis(TEME.rotation_at(t_utc), -1, 0)
    r_gcrs = np.einsum("kij,kj->ki", rot, r_teme)
    v_gcrs = np.einsum("kij,kj->ki", rot, v_teme)  # frame rotation rate of TEME vs GCRS ~ 0
    epoch = np.datetime64("2014-01-01T00:00:00", "us") + np.timedelta64(
        int(round((jd_utc[0] - 2456658.5) * 86400e6)), "us"
    )
    # ballistic coefficient from the TLE's B* (B* = rho0 B / 2, rho0 = 0.15696615 kg/m^2/ER;
    # Hoots & Roehrich, Spacetrack Report No. 3, 1980)
    b_m2_kg = 2.0 * sat.bstar / 0.15696615
    fm = ForceModel.full(cd_area_mass_m2_kg=b_m2_kg, cr_area_mass_m2_kg=0.005)
    s0 = np.concatenate([r_gcrs[0], v_gcrs[0]])
    r, v = propagate(s0, epoch, t_s, fm)
    diff_km = np.linalg.norm(r - r_gcrs, axis=1)
    record_property("numerical_vs_sgp4_max_km", float(diff_km.max()))
    print(f"numerical vs SGP4 (ISS, 1 day): max {diff_km.max():.2f} km, end {diff_km[-1]:.2f} km")
    assert diff_km[0] < 1e-6
    assert diff_km.max() < 15.0  # km; literature: ~1-10 km/day for SGP4 in LEO
