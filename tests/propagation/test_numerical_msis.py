"""NRLMSISE-00 drag (optional ``msis`` extra, pymsis with version=0)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pymsis")

from spacerange.propagation.numerical import ForceModel, propagate_many  # noqa: E402
from spacerange.propagation.numerical.atmosphere import (  # noqa: E402
    exponential_density_kg_m3,
    nrlmsise00_density_kg_m3,
)

T = np.datetime64("2023-10-09T12:00:00", "us")


def _rho(alt_km, f107=150.0, ap=15.0, lat=0.0, lon=0.0):
    return float(
        nrlmsise00_density_kg_m3(
            T, np.array([lat]), np.array([lon]), np.array([alt_km]), f107, f107, ap
        )[0]
    )


def test_density_level_against_the_reference_atmosphere():
    # Vallado (2013) Table 8-4, the CIRA-72 based exponential model: 3.725e-12 kg/m^3 at
    # 400 km; NRLMSISE-00 at moderate activity (F10.7 = 150) must be of that order.
    rho_400 = _rho(400.0)
    ref = float(exponential_density_kg_m3(np.array([400.0]))[0])
    assert ref == pytest.approx(3.725e-12, rel=1e-3)
    assert 0.5 * ref < rho_400 < 2.5 * ref


def test_solar_cycle_and_storm_dependence():
    # Over a solar cycle thermospheric density at 400 km varies by about an order of
    # magnitude (Picone et al. 2002, Fig. 3); a severe storm raises it by tens of percent
    # to several times (e.g. the Feb 2022 Starlink loss: ~50 % more drag).
    ratio_cycle = _rho(400.0, f107=250.0) / _rho(400.0, f107=70.0)
    assert 3.0 < ratio_cycle < 30.0
    ratio_storm = _rho(400.0, ap=200.0) / _rho(400.0, ap=15.0)
    assert 1.3 < ratio_storm < 10.0
    assert _rho(300.0) > _rho(400.0) > _rho(500.0)


def test_drag_with_nrlmsise00_decays_an_iss_like_orbit():
    r = 6378.137 + 420.0
    v = np.sqrt(398600.4418 / r)
    x0 = np.array([[r, 0.0, 0.0, 0.0, v * np.cos(np.radians(51.6)), v * np.sin(np.radians(51.6))]])
    t = np.array([0.0, 86400.0])
    out = {}
    for model in ("nrlmsise00", "harris_priester"):
        # Point-mass gravity: no J2 short-period terms in the osculating a.
        fm = ForceModel(
            gravity_degree=0, gravity_order=0, drag_model=model, cd_area_mass_m2_kg=0.005
        )
        y = propagate_many(x0, T, t, fm)[0, -1]
        rn, vn = np.linalg.norm(y[:3]), np.linalg.norm(y[3:])
        a = 1.0 / (2.0 / rn - vn**2 / 398600.4418)
        out[model] = a
    a0 = 1.0 / (2.0 / r - v**2 / 398600.4418)
    decay_msis = a0 - out["nrlmsise00"]
    decay_hp = a0 - out["harris_priester"]
    # ISS-like ballistic coefficient at moderate activity: tens to a few hundred metres
    # per day; both models agree to within a factor of three.
    assert 0.02 < decay_msis < 0.5
    assert 1 / 3 < decay_msis / decay_hp < 3
