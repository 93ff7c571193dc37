"""Fog of war: a team's picture holds only what its own sensors saw and allies shared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spacerange.exercise.picture import Pictures
from spacerange.exercise.rulefuncs import NotInPicture
from spacerange.exercise.validate import load_scenario
from spacerange.exercise.world import World, _td64, to_utc64

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"


def _setup(name: str, n: int = 40):
    sc = load_scenario(TRAINING / f"{name}.yaml")
    sc.world.catalog.synthetic.n = n
    w = World(sc, sc.exercise.seed, TRAINING)
    return sc, w, Pictures(w, sc, warm_start_s=3 * 3600.0)


def test_team_without_sensors_sees_only_its_own_assets():
    sc, w, p = _setup("geo_rendezvous")
    t = w.startex
    for k in range(1, 7):
        w.advance(t + _td64(k * 600))
        p.update(t + _td64(k * 600))
    view = p.view("red-cell")  # the red cell has no sensors in this scenario
    assert view["picture"] == []
    assert [a["id"] for a in view["assets"]] == ["VRK-SERVICER-1"]
    f = w.functions("red-cell")
    with pytest.raises(NotInPicture):
        f["range"]("VRK-SERVICER-1", "ARD-COMSAT-2")
    with pytest.raises(NotInPicture):
        f["altitude"]("ARD-COMSAT-2")
    assert not f["tracked"]("ARD-COMSAT-2")
    # the same question in truth scope (EXCON) has an answer: ~2 deg of GEO arc
    assert 1000 < w.functions()["range"]("VRK-SERVICER-1", "ARD-COMSAT-2") < 2000


def test_new_object_is_absent_until_observed_and_picture_is_not_truth():
    sc, w, p = _setup("new_launch")
    inj = next(i for _, _, i in sc.iter_injects() if i.action and i.action.kind == "new_launch")
    t = to_utc64(sc.time_of(inj.at))
    w.advance(t)
    p.update(t)
    w.enact(inj, t)
    new_ids = [o.id for o in w.objects if o.origin == inj.serial]
    view = p.view("ardenia-ops")
    seen = {e["id"] for e in view["picture"]}
    assert not seen & set(new_ids)  # created, not yet observed
    f = w.functions("ardenia-ops")
    with pytest.raises(NotInPicture):
        f["range"](new_ids[0], new_ids[1])
    # everything in the picture was observed by the team's sensors (or shared)
    tp = p.teams["ardenia-ops"]
    for tr in tp.tracks.values():
        assert tr.source in ("obs",) or tr.source.startswith("shared:")
        assert tr.last_obs_utc <= w.clock_utc
    # estimates differ from truth (noise), by a plausible amount
    errs = []
    for e in view["picture"]:
        r_truth, _ = w.state_of(e["id"], w.clock_utc)
        errs.append(np.linalg.norm(np.asarray(e["r_km"]) - r_truth))
    assert errs and 0 < np.median(errs) < 50.0


def test_objects_never_observed_have_no_entry_and_shares_respect_agreements():
    sc, w, p = _setup("sensor_outage")
    t = w.startex
    for k in range(1, 4):
        w.advance(t + _td64(k * 600))
        p.update(t + _td64(k * 600))
    tp = p.teams["ardenia-ops"]
    never = [o.id for o in w.objects if o.id not in tp.tracks and o.actor != "ARDENIA"]
    assert never  # a two-sensor network cannot see the whole sky in 30 min
    view_ids = {e["id"] for e in p.view("ardenia-ops")["picture"]}
    assert not view_ids & set(never)
    f = w.functions("ardenia-ops")
    for oid in never[:5]:
        with pytest.raises(NotInPicture):
            f["altitude"](oid)
    # 'share' needs an agreement from the provider to the recipient
    ok, errors, _ = w.apply(
        "ardenia-ops",
        {"kind": "share", "to_team": "borealis-ops", "products": ["omm"], "objects": []},
        w.clock_utc,
    )
    teams = {tm.id for tm in sc.teams}
    if "borealis-ops" in teams and not any(
        ag.provider == "ardenia-ops" and "borealis-ops" in ag.recipients for ag in sc.sharing
    ):
        assert not ok and "no sharing agreement" in errors[0]


def test_a_storm_reaches_the_teams_element_sets_only_through_their_track_errors():
    """The teams fit their own element sets from their own passes; the drag term those
    carry is what the team knew (the public catalog's at STARTEX, its own track's after;
    a new object's drag at creation) times its own density model's ratio for the storm
    (the published indices, with the model's error: :mod:`.picture.space_weather`) at
    its own element set's perigee, never the truth's value after a storm raised it (the
    picture used to copy the truth object's current B* into every fit, and its perigee
    into the tracks' growth)."""
    from spacerange.exercise.world.model import _perigee_alt_km

    sc, w, p = _setup("space_weather", n=60)
    inj = next(i for _, _, i in sc.iter_injects() if i.action and i.action.kind == "space_weather")
    t_storm = to_utc64(sc.time_of(inj.at))
    w.enact(inj, t_storm)
    t = w.startex
    for k in range(1, 7 * 6 + 1):  # 7 h in 10-min steps: the storm is on from ~2 h
        t = w.startex + _td64(k * 600)
        w.advance(t)
        p.update(t)
    raised = {o.id for o in w.objects
              if o.satrec_at(t).bstar > 1.5 * o.satrec_at(w.startex).bstar > 0}  # fmt: skip
    assert raised, "the storm raised no object's drag"
    fitted = 0
    for team, tp in p.teams.items():
        for oid, tr in tp.tracks.items():
            if oid not in raised or tr.source != "obs" or tr.epoch_utc <= t_storm:
                continue
            fitted += 1
            o = w.obj(oid)
            k_team = float(p.storm_factor(tp, _perigee_alt_km(tr.satrec)))
            k_true = o.satrec_at(t).bstar / o.satrec_at(w.startex).bstar
            assert k_team > 1.0 and tp.density_model_eps != 0.0
            # the element set's text keeps B* to 5 digits; the perigee moved a little
            # since the onset re-arc
            b0 = o.satrec_at(w.startex).bstar
            assert np.isclose(tr.satrec.bstar, b0 * k_team, rtol=5e-2), (team, oid)
            ratio = (1.0 + (k_true - 1.0) * (1.0 + tp.density_model_eps)) / k_true
            assert np.isclose(tr.satrec.bstar / o.satrec_at(t).bstar, ratio, rtol=5e-2)
    assert fitted > 0, "no team re-fitted a storm-raised object after the storm"
