"""Re-entry prediction: the Monte Carlo window contains the true decay time of synthetic
decaying objects (truths drawn from the same density / ballistic-coefficient spread) in
most runs; space-weather scenarios move the decay the right way."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.events.reentry import plot_reentry, predict_reentry
from spacerange.events.space_weather import (
    SCENARIOS,
    apply_space_weather,
    density_scale_factor,
    exospheric_temperature_k,
)
from spacerange.propagation.numerical import ForceModel

EPOCH = np.datetime64("2024-05-01T00:00:00", "us")
MU = 398600.4418


def low_state(alt_km=200.0, inc_deg=51.6):
    a = 6378.137 + alt_km
    v = np.sqrt(MU / a)
    i = np.radians(inc_deg)
    return np.array([a, 0, 0, 0, v * np.cos(i), v * np.sin(i)])


@pytest.fixture(scope="module")
def prediction():
    fm = ForceModel.zonal(2, drag_model="exponential", cd_area_mass_m2_kg=0.022,
                          rtol=1e-8, atol_km=1e-5)  # fmt: skip
    rng = np.random.default_rng(7)
    truths = np.exp(rng.normal(0, 0.25, 20) + rng.normal(0, 0.15, 20))
    return predict_reentry(low_state(), EPOCH, fm, n_samples=48, max_days=6.0, step_s=60.0,
                           rng=rng, extra_factors=truths)  # fmt: skip


def test_window_contains_truths(prediction):
    p = prediction
    assert p.fraction_reentered == 1.0
    assert p.window_start < p.most_likely < p.window_end
    truth = p.reentry_utc[48:]
    assert not np.any(np.isnat(truth))
    inside = (truth >= p.window_start) & (truth <= p.window_end)
    assert inside.mean() >= 0.8, f"{inside.sum()}/{inside.size} truths inside"
    # a 200 km circular orbit with B = 0.022 m^2/kg decays within a few days
    days = (p.most_likely - EPOCH) / np.timedelta64(1, "D")
    assert 0.3 < days < 6.0


def test_footprint_and_plot(prediction, tmp_path):
    p = prediction
    assert p.footprint_lat_deg.size > 0
    assert np.all(np.abs(p.footprint_lat_deg) <= 51.6 + 0.5)  # bounded by the inclination
    assert np.all(np.abs(p.impact_lat_deg[np.isfinite(p.impact_lat_deg)]) <= 52.1)
    plot_reentry(p, tmp_path / "reentry.png")
    assert (tmp_path / "reentry.png").stat().st_size > 1000


def test_space_weather_scenarios():
    # Jacchia (1971): T_c = 379 + 3.24 F10.7 at Ap = 0 and F = Fbar
    from spacerange.events.space_weather import SpaceWeather

    assert exospheric_temperature_k(SpaceWeather(100, 100, 0)) == pytest.approx(703.0)
    s = [float(density_scale_factor(k, 400.0)) for k in ("quiet", "moderate", "may2024")]
    assert s[0] < s[1] < s[2]
    assert s[1] == pytest.approx(1.0)
    fm = apply_space_weather(ForceModel(cd_area_mass_m2_kg=0.01), "may2024", 400.0)
    assert fm.density_scale == pytest.approx(s[2])
    with pytest.raises(ValueError, match="scenario"):
        apply_space_weather(fm, "carrington", 400.0)
    assert set(SCENARIOS) >= {"quiet", "moderate", "feb2022", "may2024"}


def test_rejects_no_drag():
    with pytest.raises(ValueError, match="no drag"):
        predict_reentry(low_state(), EPOCH, ForceModel.two_body())
