"""The arc-consistency manoeuvre test (events.maneuver_alarm.ArcChangeTest) on SGP4 fits to
simulated radar passes (od.sgp4_dc): a reference track that is wrong beyond its covariance
is not a manoeuvre, a 0.5 m/s burn between the arc and the new pass is."""

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray

from spacerange.events.maneuver_alarm import ArcChangeTest
from spacerange.frames import teme_to_gcrs
from spacerange.od.measurements import Site
from spacerange.od.observations import Observations
from spacerange.od.passes import pass_observations
from spacerange.od.sgp4_dc import satrec_from_params, satrec_params, sgp4_differential_correction
from spacerange.propagation.mean_elements import fit_sgp4_mean_elements
from spacerange.timescales import jd_fr_utc

# ISS element set of Vallado et al. (2006), AIAA 2006-6753
ISS = ("1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927",
       "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537")  # fmt: skip
SITES = (Site("RADAR-A", 40.0, -100.0, 0.0), Site("RADAR-B", -20.0, 30.0, 0.0))
EPOCH = np.datetime64("2008-09-20T12:26:00", "us")


def _passes(sats, ids, hours, rng) -> Observations:
    parts = []
    for h in hours:
        times = EPOCH + np.timedelta64(int(h * 3600), "s") + np.arange(4) * np.timedelta64(60, "s")
        jd, fr = jd_fr_utc(times)
        _, r, v = SatrecArray(sats).sgp4(jd, fr)
        rg, vg = teme_to_gcrs(r, v, times)
        parts.append(pass_observations(ids, np.concatenate([rg, vg], -1), times, SITES,
                                       rng.integers(0, 2, len(sats)), np.zeros(len(sats), bool),
                                       rng))  # fmt: skip
    return Observations.concatenate(parts)


def test_a_wrong_reference_is_cleared_and_a_burn_is_a_manoeuvre():
    rng = np.random.default_rng(17)
    truth = Satrec.twoline2rv(*ISS, WGS72)
    n = 30
    ep = truth.jdsatepoch - 2433281.5 + truth.jdsatepochF
    # the team's reference element sets: 5 km along-track off (a track fitted to a short
    # arc, wrong far beyond any covariance it would carry): every pass against it alarms
    p = satrec_params(truth)
    p[5] += 5.0 / 6780.0
    wrong = [satrec_from_params(p, ep, truth.satnum)] * n
    # the burned objects: 0.5 m/s along-track at 20 h, between the arc and the new pass
    t_burn = EPOCH + np.timedelta64(20, "h")
    jd, fr = jd_fr_utc(np.asarray([t_burn]))
    _, r, v = truth.sgp4(jd[0], fr[0])
    v = np.array(v)
    burned, _ = fit_sgp4_mean_elements(np.concatenate([r, v + 0.5e-3 * v / np.linalg.norm(v)])[None],
                                       t_burn, truth.bstar)  # fmt: skip
    ids = [f"O{i}" for i in range(2 * n)]
    arc = _passes([truth] * (2 * n), ids, (0, 6, 12, 18), rng)
    new = _passes([truth] * n + [burned[0]] * n, ids, (24,), rng)  # the second half burned
    test = ArcChangeTest()
    fit = sgp4_differential_correction(Observations.concatenate([arc, new]), ids, wrong * 2,
                                       bstar_sigma=1e-4)  # fmt: skip
    man = test.decide(fit.chi2, fit.dof, ["leo"] * (2 * n))
    assert not man[:n].any()  # the wrong reference is the track's error, not a manoeuvre
    assert man[n:].mean() > 0.95
    # the interval: the arc before the new pass is consistent for the burned objects
    pre = sgp4_differential_correction(arc, ids, wrong * 2, bstar_sigma=1e-4)
    assert test.consistent(pre.chi2, pre.dof, ["leo"] * (2 * n)).all()
