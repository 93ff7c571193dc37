"""The team picture's orbit determination glue (exercise.picture.tracking): passes through
od.passes, MAP updates through od.batch, covariances carried by od.passes; the team's
covariance must describe its own prediction errors (checked against truth)."""

import math
import types

import numpy as np
import pytest
from scipy.stats import chi2

from spacerange.constants import MU_WGS72_KM3_S2
from spacerange.exercise.picture import tracking as tk
from spacerange.exercise.picture.conjunctions import tle_satrec
from spacerange.exercise.picture.model import Track, _sgp4_states
from spacerange.exercise.picture.sensing import TeamSensor
from spacerange.exercise.world import fit_satrecs
from spacerange.od.passes import pass_mahalanobis
from spacerange.sensors.sites import sensor_from_dict

T0 = np.datetime64("2026-03-04T12:00:00", "us")


def _team(kind: str, sigma_angle_deg: float):
    entry = {"id": "S1", "kind": kind, "lat_deg": 0.0, "lon_deg": 0.0, "alt_m": 0.0,
             "min_elevation_deg": 0.0, "max_range_km": 1e6, "name": ""}  # fmt: skip
    s = TeamSensor(sensor_from_dict(entry, "test"), 0.015 if kind != "optical" else 0.0,
                   math.radians(sigma_angle_deg))  # fmt: skip
    return types.SimpleNamespace(od_sites=tk.od_sites([s]))


def _objects(n, alt_km, ecc, rng):
    states = []
    for _ in range(n):
        a = 6378.137 + alt_km
        rp = a * (1 - ecc)
        vp = math.sqrt(MU_WGS72_KM3_S2 * (2 / rp - 1 / a))
        inc, ang = np.radians(rng.uniform(20, 80)), rng.uniform(0, 2 * np.pi)
        rot = np.array([[math.cos(ang), -math.sin(ang), 0], [math.sin(ang), math.cos(ang), 0],
                        [0, 0, 1]])  # fmt: skip
        states.append(np.concatenate([rot @ [rp, 0, 0],
                                      rot @ [0, vp * math.cos(inc), vp * math.sin(inc)]]))  # fmt: skip
    sats, _ = fit_satrecs(np.array(states), T0, 1e-5)
    return [types.SimpleNamespace(id=f"O{i}", satrec=s, created_utc=None,
                                  satrec_at=lambda _t, s=s: s) for i, s in enumerate(sats)]  # fmt: skip


def _update(tp, objs, tracks, t, rng):
    ids = np.array([o.id for o in objs], dtype=object)
    obs, times, _, _ = tk.observe_passes(tp, ids, objs, np.zeros(len(objs), int), t, rng)
    if tracks is None:
        x0, p0 = tk.catalog_prior(objs, times[-1], rng)
    else:
        x0, p0 = tk.predict_tracks([tracks[o.id] for o in objs], times[-1])
    sols, bad = tk.map_update(obs, ids.astype(str), x0, p0, times[-1])
    keep = [o for o in objs if o.id in sols]
    st, p_rtn = tk.to_track_state([sols[o.id] for o in keep], times[-1])
    sats, _ = fit_satrecs(st, times[-1], np.array([o.satrec.bstar for o in keep]), iterations=4,
                          newton=False)  # fmt: skip
    out = {}
    for o, s, p in zip(keep, sats, p_rtn, strict=True):
        s, tle, _ = tle_satrec(s)
        out[o.id] = Track(s, times[-1], 0.0, 1.0, times[-1], times[-1], tle=tle, cov_rtn=p)
    return out, bad


def _consistency(tp, objs, tracks, t, rng):
    trs = [tracks[o.id] for o in objs]
    x_p, p_p = tk.predict_tracks(trs, t)
    ids = np.array([o.id for o in objs], dtype=object)
    obs, _, _, _ = tk.observe_passes(tp, ids, objs, np.zeros(len(objs), int), t, rng)
    return pass_mahalanobis(obs, ids.astype(str), x_p, p_p, t)


def test_radar_tracks_are_consistent_with_their_own_covariance():
    rng = np.random.default_rng(11)
    tp = _team("tracking_radar", 0.05)
    objs = _objects(120, 700.0, 0.0, rng)
    tracks, bad = _update(tp, objs, None, T0, rng)
    assert not bad and len(tracks) == len(objs)
    t1 = T0 + np.timedelta64(3, "h")
    d2, dof = _consistency(tp, objs, tracks, t1, rng)
    # a calibrated covariance: d2 ~ chi2(4); median and the share above the 99th percentile
    assert np.all(dof == 4)
    assert 0.5 * chi2.median(4) < np.median(d2) < 1.6 * chi2.median(4)
    assert np.mean(d2 > chi2.ppf(0.99, 4)) < 0.05
    tracks2, bad = _update(tp, objs, tracks, t1, rng)
    assert not bad
    # the second pass shrinks the along-track uncertainty 3 h later
    s1 = np.median([tracks[o.id].sigma_rtn_km(t1 + np.timedelta64(3, "h"))[1] for o in objs])
    s2 = np.median([tracks2[o.id].sigma_rtn_km(t1 + np.timedelta64(3, "h"))[1] for o in objs])
    assert s2 < 0.7 * s1


def test_eccentric_optical_tracks_stay_consistent_after_one_pass():
    # with the batch's formal covariance this was ~1.5x optimistic in sigma (median d2 3.2
    # against chi2(2)'s 1.39, 13 % above the 99th percentile): the J2..J4 fit of an SGP4
    # truth over one 3-minute pass; the realistic covariance's consider terms carry it
    rng = np.random.default_rng(12)
    tp = _team("optical", 0.0003)
    objs = _objects(120, 3500.0, 0.17, rng)
    tracks, bad = _update(tp, objs, None, T0, rng)
    assert not bad
    d2, dof = _consistency(tp, objs, tracks, T0 + np.timedelta64(2, "h"), rng)
    assert np.all(dof == 2)
    assert 0.5 * chi2.median(2) < np.median(d2) < 1.6 * chi2.median(2)
    assert np.mean(d2 > chi2.ppf(0.99, 2)) < 0.08


def test_a_burn_shows_in_the_residual_test():
    rng = np.random.default_rng(13)
    tp = _team("tracking_radar", 0.05)
    objs = _objects(40, 700.0, 0.0, rng)
    tracks, _ = _update(tp, objs, None, T0, rng)
    tracks, _ = _update(tp, objs, tracks, T0 + np.timedelta64(3, "h"), rng)
    # 2 m/s along-track at T0 + 3 h (a 0.05 deg radar's two passes leave ~3 km along-track
    # 3 h later: a 0.5 m/s burn's 17 km drift is only ~6 sigma): the new arcs
    tb = T0 + np.timedelta64(3, "h")
    x = tk._sgp4_gcrs([o.satrec for o in objs], np.asarray([tb]))[:, 0]
    from spacerange.frames import gcrs_to_teme

    r, v = gcrs_to_teme(x[:, None, :3], x[:, None, 3:], np.asarray([tb]))
    r, v = r[:, 0], v[:, 0]
    v = v + 2e-3 * v / np.linalg.norm(v, axis=1)[:, None]
    sats, _ = fit_satrecs(np.concatenate([r, v], axis=1), tb, 1e-5)
    burned = [types.SimpleNamespace(id=o.id, satrec=s, created_utc=None,
                                    satrec_at=lambda _t, s=s: s) for o, s in zip(objs, sats, strict=True)]  # fmt: skip
    d2, dof = _consistency(tp, burned, tracks, tb + np.timedelta64(3, "h"), rng)
    assert np.mean(d2 > chi2.isf(1e-6, 4) * 4.0) > 0.95


def test_maneuver_goals_count_true_false_and_missed_from_the_worlds_arcs():
    from spacerange.events.maneuver_alarm import ArcChangeTest, RegimeAlarmModels
    from spacerange.exercise.picture.maneuvers import BurnLog, maneuver_goals
    from spacerange.exercise.picture.model import TeamPicture

    rng = np.random.default_rng(14)
    objs = _objects(3, 700.0, 0.0, rng)
    x = tk._sgp4_gcrs([o.satrec for o in objs], np.asarray([T0]))[:, 0]
    from spacerange.frames import gcrs_to_teme

    r, v = gcrs_to_teme(x[:, None, :3], x[:, None, 3:], np.asarray([T0]))
    dv = np.array([0.8e-3, 0.2e-3, 0.0])  # 0.8 m/s (graded), 0.2 m/s (not graded), no burn
    v = v[:, 0] * (1 + dv / np.linalg.norm(v[:, 0], axis=1))[:, None]
    new, _ = fit_satrecs(np.concatenate([r[:, 0], v], axis=1), T0, 1e-5)
    world = types.SimpleNamespace(objects=[types.SimpleNamespace(id=o.id, arcs=[(T0 - np.timedelta64(1, "D"), o.satrec)]) for o in objs])  # fmt: skip
    from spacerange.exercise.picture.core import Pictures

    # the team's own sensors saw O0 2 h before; O1 and O2 it holds on allies' sets only
    track = types.SimpleNamespace(growth_km_day=5.0, sigma_rtn_km=lambda t: (0.1, 1.0, 0.1))
    tp = types.SimpleNamespace(alerts=[], truth_of={"ARD-UCT-0001": "O1"}, od_failures={},
                               alarm=RegimeAlarmModels(), arc_test=ArcChangeTest(),
                               od_stats=TeamPicture("t", "blue", set(), []).od_stats,
                               own_pass_utc={"O0": T0 - np.timedelta64(2, "h")},
                               tracks={o.id: track for o in objs})  # fmt: skip
    limits = types.SimpleNamespace(custody_age_s=86400.0, custody_sigma_km=50.0)
    pics = types.SimpleNamespace(world=world, teams={"blue": tp}, burn_log=BurnLog(),
                                 custody=lambda team, oid, t: {"state": "held"},
                                 custody_held=lambda *a: Pictures.custody_held(limits, *a),
                                 _own=lambda team, oid: False)  # fmt: skip
    pics.burn_log.scan(pics, T0 - np.timedelta64(10, "m"))
    for o, s in zip(world.objects, new, strict=True):
        if o.id != "O2":
            o.arcs.append((T0, s))
    pics.burn_log.scan(pics, T0 + np.timedelta64(10, "m"))
    assert [round(b["dv_mps"], 2) for b in pics.burn_log.burns] == [0.8, 0.2]
    # an alert on O1 (by its designator) 2 h after its burn: true; one on O2: false
    tp.alerts = [{"kind": "maneuver", "objects": ["ARD-UCT-0001", "O2"],
                  "time_utc": "2026-03-04T14:00:00Z"}]  # fmt: skip
    (g,) = maneuver_goals(pics)
    assert (g["true_alerts"], g["false_alerts"]) == (1, 1)
    # the graded burn (O0, 0.8 m/s) had no alert: missed
    assert (g["graded_burns"], g["detected_burns"], g["missed_burns"]) == (1, 0, 1)
    assert g["precision"] == 0.5 and g["recall"] == 0.0
    own = (g["own_custody_burns"], g["own_custody_detected"], g["own_custody_recall"])
    assert own == (1, 0, 0.0)
    # O0 burns again 1 h later; an alert 2 h after the first burn is after the second, so
    # it detects the first only when the interval it states (last consistent pass to the
    # alarmed pass) holds the first burn
    pics.burn_log.burns.append({"object": "O0", "time_utc": T0 + np.timedelta64(1, "h"),
                                "dv_mps": 0.9, "custody": {"blue": True}})  # fmt: skip
    late = {"kind": "maneuver", "objects": ["O0"], "time_utc": "2026-03-04T14:00:00Z"}
    tp.alerts = [late]
    (g,) = maneuver_goals(pics)
    assert (g["graded_burns"], g["detected_burns"], g["true_alerts"]) == (2, 1, 1)
    late["details"] = {"since_utc": "2026-03-04T11:30:00Z", "alarm_utc": "2026-03-04T12:30:00Z"}
    (g,) = maneuver_goals(pics)
    assert (g["graded_burns"], g["detected_burns"], g["recall"]) == (2, 2, 1.0)
    # the second burn's custody was on allies' sets only: graded, not own custody
    assert (g["own_custody_burns"], g["own_custody_detected"]) == (1, 1)
    late["details"] = {"since_utc": "2026-03-04T12:10:00Z", "alarm_utc": "2026-03-04T12:30:00Z"}
    (g,) = maneuver_goals(pics)
    assert g["detected_burns"] == 1


def test_remembered_track_covariances_equal_fresh_ones():
    # tracks_cov_rtn remembers each track's result per time: asked again (alone, in another
    # group, after other times) it must give what a fresh track computes
    from spacerange.exercise.picture.model import tracks_cov_rtn

    rng = np.random.default_rng(5)
    tp = _team("tracking_radar", 0.05)
    objs = _objects(4, 700.0, 0.0, rng)
    tracks, _ = _update(tp, objs, None, T0, rng)
    trs = list(tracks.values())
    times = [T0 + np.timedelta64(k * 3600, "s") for k in range(12)]
    first = [tracks_cov_rtn(trs, t) for t in times]
    fresh = [Track(tr.satrec, tr.epoch_utc, 0.0, 1.0, tr.epoch_utc, tr.epoch_utc, tle=tr.tle,
                   cov_rtn=tr.cov_rtn) for tr in trs]  # fmt: skip
    for t, p in zip(times[::-1], first[::-1], strict=True):
        np.testing.assert_allclose(tracks_cov_rtn(trs[::-1], t), p[::-1], rtol=1e-12, atol=0)
        np.testing.assert_allclose(tracks_cov_rtn(fresh, t), p, rtol=1e-12, atol=0)
        assert trs[2].sigma_rtn_km(t)[1] == pytest.approx(math.sqrt(p[2, 1, 1]), rel=1e-12)
    # the along-track sigma grows with time from the fit (process noise + two-body)
    assert first[-1][0, 1, 1] > first[1][0, 1, 1]
    # the remembered epoch element covariance carries as the one-call two-body mapping
    from spacerange.od.passes import (
        inertial_to_rtn_6,
        propagate_cov_two_body,
        rtn_to_inertial_cov,
    )

    t = times[7]
    x0 = np.array([tr.x0_teme for tr in fresh])
    x1 = np.array([_sgp4_states([tr.satrec], t)[0] for tr in fresh])
    dt = np.array([(t - tr.epoch_utc) / np.timedelta64(1, "s") for tr in fresh])
    pc = rtn_to_inertial_cov(np.array([tr.cov_rtn for tr in fresh]), x0[:, :3], x0[:, 3:])
    t6 = inertial_to_rtn_6(x1[:, :3], x1[:, 3:])
    want = t6 @ propagate_cov_two_body(pc, x0, x1, dt) @ np.swapaxes(t6, 1, 2)
    for k, f in ((0, 1 / 3), (1, 1.0), (2, 1 / 3)):
        want[:, k, k] += (f * np.abs(dt) / 86400.0) ** 2
    np.testing.assert_allclose(tracks_cov_rtn(fresh, t), want, rtol=1e-12, atol=0)


def test_the_correlation_gate_scales_with_the_largest_sigma_not_the_along_track_one():
    from spacerange.exercise.picture.model import TeamPicture, uncorrelated

    rng = np.random.default_rng(14)
    o = _objects(1, 700.0, 0.0, rng)[0]
    tp = TeamPicture("t", "blue", set(), [])
    tr = Track(o.satrec, T0, 1.0, 1.0, T0, T0)
    # an eccentric track's error can be radial: 1,000 km off with a 730 km radial sigma
    # (150 km along-track) is inside 6 sigma
    assert uncorrelated(tp, "O0", 1000.0, (730.0, 150.0, 20.0), {}, tr) is None
    # far outside: said once, then silent
    assert uncorrelated(tp, "O0", 1000.0, (20.0, 20.0, 20.0), {}, tr) is True
    assert uncorrelated(tp, "O0", 1000.0, (20.0, 20.0, 20.0), {}, tr) is False
    assert uncorrelated(tp, "O0", 100.0, (20.0, 20.0, 20.0), {}, tr) is None


def test_manoeuvre_alerts_need_an_established_track_in_custody():
    # the rule of both alert kinds (a jump out of the correlation gate, a chi-square
    # candidate): a one-pass track (an IOD of a fragment) or a lost one is no reference
    from spacerange.exercise.picture.catalog import CatalogMixin

    objects = {"O": types.SimpleNamespace(object_type="PAYLOAD", created_utc=None),
               "D": types.SimpleNamespace(object_type="DEBRIS", created_utc=None),
               "R": types.SimpleNamespace(object_type="ROCKET BODY", created_utc=None),
               "F": types.SimpleNamespace(object_type="DEBRIS", created_utc=T0)}  # fmt: skip

    def pics(state, sigma):
        return types.SimpleNamespace(
            custody=lambda team, oid, t: {"state": state, "pos_sigma_km": sigma},
            world=types.SimpleNamespace(obj=objects.__getitem__))  # fmt: skip

    tp = types.SimpleNamespace(team="t")
    one = types.SimpleNamespace(n_obs=1, first_seen_utc=T0)
    two = types.SimpleNamespace(n_obs=2, first_seen_utc=T0)
    est = CatalogMixin._established
    assert est(pics("held", 1.0), tp, "O", two, T0)
    assert not est(pics("held", 1.0), tp, "O", one, T0)
    assert not est(pics("lost", 1.0), tp, "O", two, T0)
    assert not est(pics("held", tk.ALERT_SIGMA_KM * 2), tp, "O", two, T0)
    # the public catalog's debris and rocket bodies have no propulsion: never a manoeuvre
    assert not est(pics("held", 1.0), tp, "D", two, T0)
    assert not est(pics("held", 1.0), tp, "R", two, T0)
    # an object outside the public catalog (a fragment: its type is not the team's to
    # know) needs a day of tracking and five passes
    day = np.timedelta64(24, "h")
    five = types.SimpleNamespace(n_obs=5, first_seen_utc=T0)
    assert not est(pics("held", 1.0), tp, "F", five, T0 + day - np.timedelta64(1, "s"))
    assert not est(pics("held", 1.0), tp, "F", types.SimpleNamespace(n_obs=4, first_seen_utc=T0),
                   T0 + 2 * day)  # fmt: skip
    assert est(pics("held", 1.0), tp, "F", five, T0 + day)


def test_an_allys_element_set_that_contradicts_a_held_track_is_rejected():
    # the allies of the demo handed bad sets back and forth (each one replacing a good
    # track, then "confirmed" as a manoeuvre on the next pass): a shared set whose
    # position is outside the receiving team's own alarm threshold is not taken while the
    # team holds the object; a consistent one, or one of an object it lost, is
    from spacerange.events.maneuver_alarm import RegimeAlarmModels
    from spacerange.exercise.picture.products import ProductsMixin
    from spacerange.frames import rtn_basis

    rng = np.random.default_rng(21)
    objs = _objects(3, 700.0, 0.0, rng)
    mine = {o.id: Track(o.satrec, T0, 0.5, 1.0, T0, T0, n_obs=9) for o in objs}
    x = np.array([mine[o.id].x0_teme for o in objs])
    b = rtn_basis(x[:, :3], x[:, 3:])
    off_km = np.array([0.3, 30.0, 30.0])  # along-track: inside, outside, outside (lost)
    shifted = x.copy()
    shifted[:, :3] += off_km[:, None] * b[:, 1]
    sats, _ = fit_satrecs(shifted, T0, np.array([o.satrec.bstar for o in objs]))
    theirs = {
        o.id: Track(s, T0, 0.2, 1.0, T0, T0, n_obs=9) for o, s in zip(objs, sats, strict=True)
    }
    rp = types.SimpleNamespace(team="rx", tracks=mine, alarm=RegimeAlarmModels(), desig={})
    held = {"O0", "O1"}
    fake = types.SimpleNamespace(
        _own=lambda team, oid: False,
        custody=lambda team, oid, t: {"state": "held" if oid in held else "lost"})  # fmt: skip
    assert ProductsMixin._inconsistent_shares(fake, rp, theirs, T0) == {"O1"}
    # a track the team took from a share is no evidence against a newer share
    mine["O1"].source = "shared:ally"
    assert ProductsMixin._inconsistent_shares(fake, rp, theirs, T0) == set()


def test_the_teams_own_next_pass_decides_between_its_track_and_a_contradicting_share():
    # the ally may be right (it saw a manoeuvre first, or the team's own track went bad):
    # the set kept aside replaces the team's track when the team's next pass fits it better
    from spacerange.exercise.picture.catalog import CatalogMixin
    from spacerange.frames import rtn_basis

    rng = np.random.default_rng(22)
    tp = _team("tracking_radar", 0.05)
    objs = _objects(2, 700.0, 0.0, rng)
    good = {o.id: Track(o.satrec, T0, 0.3, 1.0, T0, T0, n_obs=9) for o in objs}
    x = np.array([good[o.id].x0_teme for o in objs])
    off = x.copy()
    off[:, :3] += 30.0 * rtn_basis(x[:, :3], x[:, 3:])[:, 1]
    sats, _ = fit_satrecs(off, T0, np.array([o.satrec.bstar for o in objs]))
    bad = {o.id: Track(s, T0, 0.3, 1.0, T0, T0, n_obs=9) for o, s in zip(objs, sats, strict=True)}
    t1 = T0 + np.timedelta64(1, "h")
    tp.tracks = {"O0": bad["O0"], "O1": good["O1"]}
    tp.share_alt = {"O0": (good["O0"], T0), "O1": (bad["O1"], T0)}
    tp.changed, tp.od_stats = set(), {"shares_taken_on_evidence": 0}
    ids = np.array([o.id for o in objs], dtype=object)
    obs, times, _, _ = tk.observe_passes(tp, ids, objs, np.zeros(2, int), t1, rng)
    CatalogMixin._arbitrate_shares(None, tp, obs, ids, objs, [0, 1], times[-1])
    assert tp.tracks["O0"] is good["O0"] and tp.tracks["O1"] is good["O1"]
    assert tp.od_stats["shares_taken_on_evidence"] == 1 and not tp.share_alt


def test_eccentric_priors_are_told_from_near_circular_ones():
    rng = np.random.default_rng(15)
    circ = tk._sgp4_gcrs([o.satrec for o in _objects(3, 700.0, 0.0, rng)], np.asarray([T0]))
    ecc = tk._sgp4_gcrs([o.satrec for o in _objects(3, 3500.0, 0.17, rng)], np.asarray([T0]))
    assert not tk._eccentric(circ[:, 0]).any()
    assert tk._eccentric(ecc[:, 0]).all()


def test_high_drag_priors_take_the_realistic_covariance():
    # a breakup fragment (B* 0.1 at 450 km) drags ~6e-7 km/s^2, a payload (B* 1e-4) 1e-9:
    # only the first gets the consider drag term (its own B*); an unknown B* is not high drag
    from spacerange.od.consider import ballistic_from_bstar

    rng = np.random.default_rng(16)
    x = tk._sgp4_gcrs([o.satrec for o in _objects(3, 450.0, 0.0, rng)], np.asarray([T0]))[:, 0]
    high = tk._high_drag(x, ballistic_from_bstar(np.array([0.1, 1e-4, np.nan])))
    assert high.tolist() == [True, False, False]


def test_uncorrelated_tracks_have_a_false_alarm_model_of_their_own():
    """A team's uncorrelated tracks (its own designators: a breakup's fragments, mostly)
    are tested against a false-alarm model of their own: their heavier residual tails no
    longer set the catalog's threshold, and the catalog's no longer sets theirs."""
    from scipy.stats import chi2 as chi2_dist

    from spacerange.events.maneuver_alarm import RegimeAlarmModels
    from spacerange.exercise.picture.catalog import alarm_classes

    rng = np.random.default_rng(5)
    objs = _objects(2, 700.0, 0.0, rng)
    trs = [Track(o.satrec, T0, 0.5, 1.0, T0, T0) for o in objs]
    tp = types.SimpleNamespace(desig={objs[0].id: "BLUE-UCT-0001", objs[1].id: objs[1].id})
    assert alarm_classes(tp, [o.id for o in objs], trs).tolist() == ["leo-uct", "leo"]
    assert alarm_classes(types.SimpleNamespace(desig={}), [objs[0].id], trs[:1]).tolist() == [
        "leo"]  # fmt: skip

    def thresholds(split: bool):
        models = RegimeAlarmModels()
        catalog = chi2_dist.rvs(3, size=1600, random_state=1)  # d2 ~ chi2(3)
        frags = 30.0 * chi2_dist.rvs(3, size=400, random_state=2)  # 30x heavier, a fifth
        lab = np.array(["leo"] * 1600 + ["leo-uct" if split else "leo"] * 400, dtype=object)
        models.test(np.concatenate([catalog, frags]), np.full(2000, 3), lab)
        return (models.threshold(np.array([3]), np.array(["leo"], dtype=object))[0],
                models.threshold(np.array([3]), np.array(["leo-uct" if split else "leo"],
                                                         dtype=object))[0])  # fmt: skip

    mixed_cat, mixed_frag = thresholds(False)
    own_cat, own_frag = thresholds(True)
    # the catalog's threshold comes back to its own residuals (a burn's d2 of 100 on a
    # payload alarms), the fragments' rises to their own tail (measured: 31 and 324
    # against 291 for both)
    assert own_cat < 100.0 < mixed_cat
    assert own_frag > 1.05 * mixed_frag


def test_the_manoeuvre_tests_arc_reaches_back_before_an_absorbed_burn():
    # a GEO track updated with every pass absorbs a burn for hours before a pass alarms:
    # the arc the candidate is tested on keeps the newest passes and thins the older ones
    # evenly, so it still holds passes from before the burn; debris keeps no arc
    from spacerange.exercise.picture import maneuver_arcs as cat

    rng = np.random.default_rng(21)
    tp = _team("tracking_radar", 0.05)
    tp.pass_log = {}
    objs = _objects(2, 700.0, 0.0, rng)
    objs[0].object_type, objs[1].object_type = "PAYLOAD", "DEBRIS"
    ids = np.array([o.id for o in objs], dtype=object)
    ends = []
    for k in range(60):  # a pass every 10 minutes for 10 hours
        t = T0 + np.timedelta64(10 * k, "m")
        obs, times, _, _ = tk.observe_passes(tp, ids, objs, np.zeros(2, int), t, rng)
        cat.ManeuverArcMixin._log_passes(None, tp, obs, objs, times[-1])
        ends.append(times[-1])
    arc = tp.pass_log["O0"]
    assert "O1" not in tp.pass_log
    kept = [p[0] for p in arc]
    assert len(kept) == cat.ARC_MAX_PASSES
    assert kept[-cat.ARC_RECENT :] == ends[-cat.ARC_RECENT :]
    assert kept[0] == ends[0]  # the first pass, 10 h back
    older = np.diff(np.array(kept[: -cat.ARC_RECENT], "datetime64[m]").astype(int))
    assert older.max() <= 3 * older.min()  # evenly thinned
    # each kept pass holds its own measurement rows (4 epochs x 4 radar kinds)
    assert all(p[1].size == 16 and np.all(p[1] <= p[0]) for p in arc)


def test_a_dragging_objects_arc_is_cut_to_its_drag_span():
    # SGP4's drag terms are a polynomial in the time since the element set's epoch: an arc
    # of a low, dragging object longer than its drag span cannot be fitted at another epoch
    # (no burn, yet chi2 many times its measurements): the arc is cut, a high one is not
    from spacerange.exercise.picture import maneuver_arcs as arcs

    rng = np.random.default_rng(5)
    low = _objects(1, 450.0, 0.0, rng)[0]
    high = _objects(1, 1200.0, 0.0, rng)[0]
    sats, _ = fit_satrecs(_sgp4_states([low.satrec], T0)[None, 0], T0, 0.02)  # B* 0.02
    trs = [types.SimpleNamespace(satrec=sats[0]), types.SimpleNamespace(satrec=high.satrec)]
    t_end = T0 + np.timedelta64(48, "h")
    hours = np.arange(0, 48, 0.25)  # a pass every 15 minutes
    tp = types.SimpleNamespace(pass_log={
        k: [(T0 + np.timedelta64(int(h * 60), "m"),) for h in hours] for k in ("LOW", "HIGH")})  # fmt: skip
    arcs.ManeuverArcMixin._cut_drag_arcs(None, tp, ["LOW", "HIGH"], trs, t_end)
    assert len(tp.pass_log["HIGH"]) == hours.size
    kept = [p[0] for p in tp.pass_log["LOW"]]
    assert 0 < len(kept) < hours.size // 2
    assert (t_end - kept[0]) < np.timedelta64(24, "h")


def test_an_orbit_raising_sets_negative_drag_cuts_its_arc_as_positive_drag_does():
    # the real catalog as background (round 19): every false manoeuvre alert on Starlink
    # and OneWeb payloads in a 60 h replay was an object whose public set carries a large
    # *negative* B* (-0.05 to -0.46: orbit raising written as negative drag).  The truth,
    # SGP4 from that set, fitted each alert's arc at chi2 ~ dof, a set re-epoched into the
    # arc (how the arc fit starts) at 3-10 times dof: the drag polynomial of the set's own
    # epoch, which no set at another epoch follows, whatever its sign.  The arc is cut to
    # the drag span of |B*|; before, a negative B* counted as the reference drag (a 12 h
    # arc at 550 km kept whole).
    from spacerange.exercise.picture import maneuver_arcs as arcs

    rng = np.random.default_rng(19)
    base = _objects(3, 550.0, 0.0, rng)
    x = _sgp4_states([o.satrec for o in base], T0)
    ends = [T0 + np.timedelta64(int(h * 3600), "s") for h in (48.0, 51.0, 54.0, 57.0, 60.0)]
    t_end = ends[-1] + np.timedelta64(1, "s")
    kept = {}
    for bstar in (-0.1, 0.1, -1e-4, 1e-4):
        sats, _ = fit_satrecs(x, T0, bstar)
        tp = types.SimpleNamespace(pass_log={o.id: [(t,) for t in ends] for o in base})
        trs = [types.SimpleNamespace(satrec=s) for s in sats]
        arcs.ManeuverArcMixin._cut_drag_arcs(None, tp, [o.id for o in base], trs, t_end)
        kept[bstar] = [len(tp.pass_log[o.id]) for o in base]
    assert kept[-0.1] == kept[0.1] and max(kept[0.1]) < arcs.ARC_MIN_PASSES, kept
    # a small drag term of either sign keeps the reference drag's span (15 h at 550 km)
    assert kept[-1e-4] == kept[1e-4] == [len(ends)] * len(base), kept


def test_a_manoeuvred_object_is_reacquired_from_the_passes_after_its_burn():
    # the track still holds the pre-burn orbit (2 m/s off); three passes after the burn
    # are in the object's arc: one SGP4 orbit fitted to them becomes its track, within a
    # few sigma of the truth, and the object is no longer waiting
    from spacerange.events.maneuver_alarm import ArcChangeTest
    from spacerange.exercise.picture import maneuver_arcs as arcs
    from spacerange.exercise.picture.space_weather import SpaceWeatherMixin
    from spacerange.frames import gcrs_to_teme

    class Pics(arcs.ManeuverArcMixin, SpaceWeatherMixin):
        pass

    rng = np.random.default_rng(31)
    tp = _team("tracking_radar", 0.02)
    tp.storms = []  # no storm: the arc fit's drag prior is the track's own B*
    objs = _objects(6, 800.0, 0.0, rng)
    x = tk._sgp4_gcrs([o.satrec for o in objs], np.asarray([T0]))[:, 0]
    r, v = gcrs_to_teme(x[:, None, :3], x[:, None, 3:], np.asarray([T0]))
    v = v[:, 0] + 2e-3 * v[:, 0] / np.linalg.norm(v[:, 0], axis=1)[:, None]
    sats, _ = fit_satrecs(np.concatenate([r[:, 0], v], axis=1), T0, 1e-5)
    burned = [types.SimpleNamespace(id=o.id, satrec=s, created_utc=None, object_type="PAYLOAD",
                                    satrec_at=lambda _t, s=s: s) for o, s in zip(objs, sats, strict=True)]  # fmt: skip
    tp.pass_log, tp.reacquired, tp.arc_regime = {}, {}, {}
    tp.arc_test = ArcChangeTest()
    tp.tracks = {o.id: types.SimpleNamespace(satrec=o.satrec) for o in objs}  # pre-burn
    tp.reacquire_pending = dict.fromkeys(tp.tracks, T0)
    ids = np.array([o.id for o in objs], dtype=object)
    for h in (1, 3, 5):
        t = T0 + np.timedelta64(h, "h")
        obs, times, _, _ = tk.observe_passes(tp, ids, burned, np.zeros(len(objs), int), t, rng)
        arcs.ManeuverArcMixin._log_passes(None, tp, obs, burned, times[-1])
    Pics()._reacquire_later(tp, list(tp.tracks), t, times[-1])
    assert len(tp.reacquired) >= 5 and not set(tp.reacquired) & set(tp.reacquire_pending)
    truth = tk._sgp4_gcrs(sats, np.asarray([times[-1]]))[:, 0]
    old = tk._sgp4_gcrs([o.satrec for o in objs], np.asarray([times[-1]]))[:, 0]
    assert np.all(np.linalg.norm(old[:, :3] - truth[:, :3], axis=1) > 50.0)  # the old track
    for k, oid in enumerate(ids):
        if oid in tp.reacquired:
            s = tp.reacquired[oid]
            err = s.state - truth[k]
            assert np.linalg.norm(err[:3]) < 2.0  # km
            assert err @ np.linalg.solve(s.covariance, err) < chi2.ppf(0.999, 6)


def test_own_custody_needs_a_recent_pass_of_the_teams_own_sensors():
    from spacerange.exercise.picture.core import Pictures
    from spacerange.exercise.picture.maneuvers import _own_custody

    track = types.SimpleNamespace(growth_km_day=5.0, sigma_rtn_km=lambda t: (0.1, 1.0, 0.1))
    slow = types.SimpleNamespace(growth_km_day=0.5, sigma_rtn_km=lambda t: (0.1, 1.0, 0.1))
    day = np.timedelta64(1, "D")
    tp = types.SimpleNamespace(own_pass_utc={"A": T0 - day / 2, "B": T0 - 2 * day,
                                             "C": T0 - 2 * day},
                               tracks={"A": track, "B": track, "C": slow, "D": track})  # fmt: skip
    limits = types.SimpleNamespace(custody_age_s=86400.0, custody_sigma_km=50.0)
    pics = types.SimpleNamespace(teams={"blue": tp},
                                 custody_held=lambda *a: Pictures.custody_held(limits, *a))  # fmt: skip
    # A seen 12 h ago; B 2 days ago (a fast-growing track: lost); C 2 days ago on a slow
    # track (three times the limit); D never by the team's own sensors
    assert [_own_custody(pics, "blue", k, T0) for k in "ABCD"] == [True, False, True, False]


def test_a_storms_drag_is_free_in_the_arc_fit_so_a_quiet_objects_arc_is_consistent():
    # the demo's storm (round 16): Starlink-like payloads whose tracks kept a public B*
    # below zero (-5e-5) while the truth dragged with 0.013-0.014, and fragments whose
    # tracks held a quiet-time B* (truth 14 times it), made arcs that the truth's own
    # orbit fits at chi2 ~ dof; the fit, held by a prior of the track's |B*| (1e-4 here),
    # could not reach that drag and called the arc a manoeuvre.  The prior now carries
    # the object's physical drag and the team's storm ratio: the same arcs are consistent.
    from spacerange.catalog.ballistic import bstar_from_size
    from spacerange.events.maneuver_alarm import ArcChangeTest
    from spacerange.exercise.picture import maneuver_arcs as arcs
    from spacerange.exercise.picture.space_weather import SpaceWeatherMixin, team_density_ratio
    from spacerange.frames import gcrs_to_teme
    from spacerange.od.sgp4_dc import sgp4_differential_correction

    ratio, hbr_m, mass_kg, bstar_public = 6.0, 1.5, 260.0, -5e-5
    bstar_storm = bstar_from_size(hbr_m, mass_kg) * ratio  # 0.014, as in the demo

    class World:
        def __contains__(self, oid):
            return True

        def obj(self, oid):
            return types.SimpleNamespace(hbr_m=hbr_m, mass_kg=mass_kg)

    class Pics(arcs.ManeuverArcMixin, SpaceWeatherMixin):
        world = World()

    rng = np.random.default_rng(16)
    tp = _team("tracking_radar", 0.02)
    tp.storms = [team_density_ratio(lambda h: np.full_like(np.asarray(h, float), ratio), 0.0)]
    quiet = _objects(6, 550.0, 0.0, rng)
    x = tk._sgp4_gcrs([o.satrec for o in quiet], np.asarray([T0]))[:, 0]
    r, v = gcrs_to_teme(x[:, None, :3], x[:, None, 3:], np.asarray([T0]))
    st = np.concatenate([r[:, 0], v[:, 0]], axis=1)
    truth, _ = fit_satrecs(st, T0, bstar_storm)  # the storm's drag from T0 (the onset)
    track, _ = fit_satrecs(st, T0, bstar_public)  # the team's set, same state
    objs = [types.SimpleNamespace(id=o.id, satrec=s, satrec_at=lambda _t, s=s: s)
            for o, s in zip(quiet, truth, strict=True)]  # fmt: skip
    ids = np.array([o.id for o in objs], dtype=object)
    parts = []
    for h in (1.0, 3.0, 6.0, 9.0, 11.0):
        t = T0 + np.timedelta64(int(h * 3600), "s")
        obs, _, _, _ = tk.observe_passes(tp, ids, objs, np.zeros(len(objs), int), t, rng)
        parts.append(obs)
    arc = type(parts[0]).concatenate(parts)
    trs = [types.SimpleNamespace(satrec=s) for s in track]
    test, regime = ArcChangeTest(), np.full(len(objs), "leo", dtype=object)
    old_sigma = np.maximum(np.abs([s.bstar for s in track]), 1e-4)
    new_sigma = Pics()._arc_bstar_sigma(tp, list(ids), trs)
    with np.errstate(all="ignore"):
        old = sgp4_differential_correction(arc, list(ids), list(track), old_sigma)
        new = sgp4_differential_correction(arc, list(ids), list(track), new_sigma)
        ref = sgp4_differential_correction(arc, list(ids), list(truth), new_sigma)
    assert np.all(test.consistent(ref.chi2, ref.dof, regime)), "the truth fits its own arc"
    assert not np.any(old.converged & test.consistent(old.chi2, old.dof, regime))
    assert np.all(new.converged & test.consistent(new.chi2, new.dof, regime))
    # outside a storm a positive B* keeps its own prior, a negative one its physical drag
    tp.storms = []
    trs_pos = [types.SimpleNamespace(satrec=s) for s in truth]
    assert np.allclose(Pics()._arc_bstar_sigma(tp, list(ids), trs_pos), bstar_storm)
    assert np.allclose(Pics()._arc_bstar_sigma(tp, list(ids), trs),
                       bstar_from_size(hbr_m, mass_kg))  # fmt: skip


def test_epoch_states_in_one_batch_are_each_tracks_own():
    """The tracks' epoch states filled together equal SGP4 of each track alone at its
    own epoch, bit for bit, and NaN where SGP4 fails there (a decayed arc)."""
    from sgp4.api import Satrec

    from spacerange.exercise.picture.model import _fill_epoch_states

    rng = np.random.default_rng(5)
    objs = _objects(12, 600.0, 0.001, rng)
    epochs = [T0 + np.timedelta64(int(h * 3.6e9), "us") for h in rng.uniform(-40, 40, 12)]
    # a low arc with huge drag: SGP4 fails (decayed) days past its epoch
    low = Satrec.twoline2rv("1 99999U 26001A   26063.50000000  .99999999  00000-0  99999-0 0  9999",
                            "2 99999  51.6000 100.0000 0001000  90.0000 270.0000 16.40000000    19")  # fmt: skip
    sats = [o.satrec for o in objs] + [low]
    epochs.append(T0 + np.timedelta64(20, "D"))
    tracks = [Track(s, e, 1.0, 1.0, e, e) for s, e in zip(sats, epochs, strict=True)]
    alone = np.array([_sgp4_states([tr.satrec], tr.epoch_utc)[0] for tr in tracks])
    assert np.isnan(alone[-1]).all() and np.isfinite(alone[:-1]).all()
    _fill_epoch_states(tracks)
    assert np.array_equal(np.array([tr.x0_teme for tr in tracks]), alone, equal_nan=True)


def test_arc_windows_are_runs_of_time_ordered_arcs(tmp_path):
    """The manoeuvre arcs' window (``oldest <= time < t_end``) is taken from the ends of
    the arc, which holds only because every arc stays in time order: the boundaries, and
    the arcs of a played scenario (manoeuvres, re-acquisitions, storms' re-arcs)."""
    from pathlib import Path

    from spacerange.exercise.engine import Exercise
    from spacerange.exercise.picture.maneuver_arcs import arc_window

    t0 = np.datetime64("2026-03-04T00:00:00", "us")
    arc = [(t0 + np.timedelta64(h, "h"), h) for h in (0, 1, 1, 5, 9, 12)]
    for lo, hi in ((0, 12), (1, 9), (2, 13), (-5, 0), (12, 12), (13, 20), (6, 7)):
        got = arc_window(arc, t0 + np.timedelta64(lo, "h"), t0 + np.timedelta64(hi, "h"))
        assert got == [p for p in arc if lo <= p[1] < hi], (lo, hi)
    training = Path(__file__).resolve().parents[2] / "scenarios" / "training"
    ex = Exercise.create(training / "unannounced_maneuver.yaml", tmp_path / "run",
                         autopilots={"blue": "competent", "red": "competent"})  # fmt: skip
    try:
        ex.step(12 * 3600.0)
        arcs = [a for tp in ex.pictures.teams.values() for a in tp.pass_log.values()]
        assert sum(len(a) for a in arcs) > 100  # the check checks something
        for a in arcs:
            ts = [p[0] for p in a]
            assert ts == sorted(ts)
    finally:
        ex.close()
