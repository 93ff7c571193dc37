"""The manoeuvre false-alarm model fitted to a tracker's own residuals."""

import numpy as np
from scipy.stats import chi2

from spacerange.events.maneuver_alarm import ResidualAlarmModel


def test_fitted_scale_recovers_an_inflated_chi_square_and_keeps_false_alarms_rare():
    rng = np.random.default_rng(1)
    m = ResidualAlarmModel(pfa=1e-4, min_samples=200)
    dof = rng.choice([2, 4], 20000)
    d2 = 9.0 * chi2.rvs(dof, random_state=rng)  # covariances three times too small
    alarms = 0
    for k in range(0, d2.size, 500):
        alarms += int(m.test(d2[k : k + 500], dof[k : k + 500]).sum())
    assert 7.5 < m.scale < 10.5
    # the first batch uses the prior scale (4): some alarms there, few once fitted
    late = m.test(9.0 * chi2.rvs(dof[:5000], random_state=rng), dof[:5000]).sum()
    assert late <= 5


def test_manoeuvre_residuals_alarm_and_do_not_enter_the_fit():
    rng = np.random.default_rng(2)
    m = ResidualAlarmModel(min_samples=100)
    m.test(chi2.rvs(4, size=1000, random_state=rng), np.full(1000, 4))
    s = m.scale
    hit = m.test(np.array([1e4, 3.0]), np.array([4, 4]))
    assert hit.tolist() == [True, False]
    assert m.scale == s or abs(m.scale - s) < 0.05
    assert not m.test(np.array([np.nan]), np.array([0])).any()
    assert m.scale >= 1.0


def test_orbit_regimes_of_textbook_orbits():
    from spacerange.constants import MU_WGS72_KM3_S2
    from spacerange.events.maneuver_alarm import orbit_regime

    def n(a_km):
        return np.sqrt(MU_WGS72_KM3_S2 / a_km**3)

    # ISS-like, GEO (a = 42,164 km), GTO (200 x 35,786 km), Molniya, GPS (a = 26,560 km)
    a = np.array([6778.0, 42164.0, 24371.0, 26554.0, 26560.0])
    e = np.array([0.0005, 0.0002, 0.730, 0.72, 0.01])
    assert orbit_regime(n(a), e).tolist() == ["leo", "geo", "other", "other", "other"]


def test_each_orbit_regime_has_its_own_fitted_scale():
    from spacerange.events.maneuver_alarm import RegimeAlarmModels

    rng = np.random.default_rng(3)
    m = RegimeAlarmModels(min_samples=200)
    dof = np.full(4000, 2)
    reg = np.where(np.arange(4000) % 2 == 0, "leo", "other").astype(object)
    # LEO radar tracks are calibrated; the eccentric tracks' d2 is 25 x chi2
    d2 = chi2.rvs(2, size=4000, random_state=rng) * np.where(reg == "leo", 1.0, 25.0)
    for k in range(0, 4000, 400):
        m.test(d2[k : k + 400], dof[k : k + 400], reg[k : k + 400])
    assert m.scale["leo"] < 1.3 and 20.0 < m.scale["other"] < 31.0
    probe = m.test(np.array([200.0, 200.0]), np.array([2, 2]), np.array(["leo", "other"]))
    assert probe.tolist() == [True, False]
    thr = m.threshold(np.array([2, 2]), np.array(["leo", "other"]))
    assert np.allclose(
        thr, [m.scale["leo"] * chi2.isf(1e-6, 2), m.scale["other"] * chi2.isf(1e-6, 2)]
    )
