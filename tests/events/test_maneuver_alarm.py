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
