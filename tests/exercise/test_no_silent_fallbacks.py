"""A failure is never reported as a safe value (issue 20).

Each test here fails on the code before the fix: a Pc that cannot be computed was
published as 0, a rule over it was satisfied, a missing picture module left the teams
blind without a word, the world applied unknown action kinds, and a storm skipped every
object whose elements carried no drag term (the space-weather drill's own asset).
"""

from __future__ import annotations

import builtins
import logging
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from spacerange.exercise.scenario.rules import parse_rule
from spacerange.exercise.validate import load_scenario
from spacerange.exercise.world import World, _td64, to_utc64

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"


def _world(name: str, n: int = 20) -> World:
    sc = load_scenario(TRAINING / f"{name}.yaml")
    sc.world.catalog.synthetic.n = n
    return World(sc, sc.exercise.seed, TRAINING)


def _inject(world: World, kind: str):
    return next(
        i for _, _, i in world.scenario.iter_injects() if i.action and i.action.kind == kind
    )


# ------------------------------------------------------------------ Pc that cannot be computed
def test_pc_of_co_moving_objects_is_unavailable_not_zero():
    from spacerange.exercise.rulefuncs import pc_or_reason

    r = np.array([7000.0, 0.0, 0.0])
    v = np.array([0.0, 7.5, 0.0])
    cov = np.diag([0.01, 0.09, 0.01])
    pc, why = pc_or_reason(r, v, cov, r + [0.1, 0, 0], v, cov, 0.01)
    assert pc is None and "co-moving" in why
    pc, why = pc_or_reason(r, v, cov * np.nan, r + [0.1, 0, 0], -v, cov, 0.01)
    assert pc is None and why
    # a well-posed encounter still has its number
    pc, why = pc_or_reason(r, v, cov, r + [0.05, 0, 0], [0.0, 0.0, 7.5], cov, 0.01)
    assert why is None and 0.0 < pc < 1.0


def test_rule_over_an_unavailable_pc_fails_closed_with_a_reason():
    from spacerange.exercise.adjudication import Adjudicator
    from spacerange.exercise.rulefuncs import ValueUnavailable
    from spacerange.exercise.scenario.events import EvaluationCriterion

    w = _world("high_pc_conjunction")
    f = w.functions()
    target = _inject(w, "high_pc_conjunction").action.target
    with pytest.raises(ValueUnavailable, match="co-moving"):
        f["pc"](target, target)  # an object with itself: no encounter to speak of
    crit = EvaluationCriterion(rule=f"pc({target}, {target}) < 1e-4", rating_if_true="P",
                               rating_if_false="U")  # fmt: skip
    ok, note = Adjudicator.evaluate_criterion(None, crit, {}, f)
    assert ok is None and "co-moving" in note
    # the negated rule is not satisfied either: a missing value decides nothing
    crit = EvaluationCriterion(rule=f"not pc({target}, {target}) >= 1e-4", rating_if_true="P")
    ok, note = Adjudicator.evaluate_criterion(None, crit, {}, f)
    assert ok is None and "co-moving" in note


def test_rule_comparing_nan_is_not_satisfied_either_way():
    funcs = {"altitude": lambda a: math.nan}
    for text in ("altitude(X) > 300 km", "altitude(X) < 300 km", "not altitude(X) > 300 km"):
        with pytest.raises(ValueError, match="NaN"):
            parse_rule(text).evaluate({}, funcs)


def test_team_picture_reports_an_uncomputable_pc_as_unknown(monkeypatch, caplog):
    import spacerange.conjunction.multistep as ms
    from spacerange.exercise.picture import Pictures

    w = _world("high_pc_conjunction")
    sc = w.scenario
    inj = _inject(w, "high_pc_conjunction")
    t = to_utc64(sc.time_of(inj.at))
    w.advance(t)
    w.enact(inj, t)
    p = Pictures(w, sc, warm_start_s=600.0)
    a = inj.action
    team = next(tm.id for tm in sc.teams if tm.role == "blue")
    tp = p.teams[team]
    p.deliver(team, [a.target, a.secondary], t, sigma_km=0.01)

    def broken(*args, **kw):
        raise ValueError("degenerate encounter plane")

    # the picture's Pc is the engine's entry point; make it fail
    monkeypatch.setattr(ms, "pc_auto_batch", broken)
    with caplog.at_level(logging.WARNING, logger="spacerange.exercise.picture"):
        out = p._screen(tp, t)
    ups = [e["payload"] for e in out if e["kind"] == "conjunction_update"]
    alerts = [e["payload"]["details"] for e in out if e["kind"] == "alert"]
    assert ups and alerts, out
    for payload in ups + alerts:
        assert payload["pc"] is None and "degenerate" in payload["pc_note"]
    assert all(c.get("pc") is None for c in tp.cdms)
    assert "degenerate" in caplog.text
    # an unknown Pc alerts the team (it must look), it is not filed as safe
    assert ("conj", a.target, a.secondary) in tp.alerted


# ------------------------------------------------------------------ optional parts
def test_engine_refuses_to_start_without_the_picture_module(monkeypatch):
    from spacerange.exercise.engine import default_world_factory

    real_import = builtins.__import__

    def no_picture(name, *args, **kw):
        if name == "spacerange.exercise.picture":
            raise ImportError("simulated missing module")
        return real_import(name, *args, **kw)

    monkeypatch.delitem(sys.modules, "spacerange.exercise.picture", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_picture)
    sc = load_scenario(TRAINING / "high_pc_conjunction.yaml")
    with pytest.raises(RuntimeError, match="team-picture module"):
        default_world_factory(sc, 1, TRAINING)


# ------------------------------------------------------------------ unknown action kinds
def test_world_refuses_unknown_action_kinds_and_applies_data_share():
    w = _world("sensor_outage")
    team = "borealis-ops"
    for kind in ("teleport", None, "notify", 3):
        ok, errors, events = w.apply(team, {"kind": kind}, w.startex)
        assert not ok and errors and not events
    # data_share is the evaluation name of share: it shares, it is not a silent no-op
    ok, errors, _ = w.apply(team, {"kind": "data_share", "to_team": "ardenia-ops",
                                   "products": ["omm"]}, w.startex)  # fmt: skip
    assert ok, errors
    assert len(w.share_requests) == 1


# ------------------------------------------------------------------ drag and storms
def test_objects_without_drag_term_get_one_from_size_and_mass():
    w = _world("space_weather")
    o = w.obj("ARD-CUBE-4")  # a scenario state vector: no fitted B*
    assert o.satrec.bstar > 0
    assert 1.0 < o.mass_kg < 20.0  # a CubeSat (HBR 0.3 m), not the 500 kg payload default
    low = [x for x in w.objects if x.perigee_alt_km < 1500]
    assert low and all(x.satrec.bstar != 0 for x in low)


def test_storm_decays_the_drill_asset_faster():
    def mean_sma_km(world, t):
        ts = t + (np.arange(0, 5520, 10) * 1e6).astype("timedelta64[us]")
        r, v = world.state_of("ARD-CUBE-4", ts)
        rn, vn = np.linalg.norm(r, axis=-1), np.linalg.norm(v, axis=-1)
        return float(np.mean(1.0 / (2.0 / rn - vn**2 / 398600.4418)))

    quiet, storm = _world("space_weather"), _world("space_weather")
    inj = _inject(storm, "space_weather")
    t = to_utc64(storm.scenario.time_of(inj.at))
    storm.enact(inj, t)
    a = inj.action
    on = t + _td64(a.ramp.total_seconds() / 2)
    before = storm.obj("ARD-CUBE-4").satrec.bstar
    ev = storm.advance(on + _td64(1))
    assert any(e.kind == "space_weather" and e.details["state"] == "on" for e in ev)
    assert storm.obj("ARD-CUBE-4").satrec.bstar > 2 * before > 0
    end = on + _td64(8 * 3600)
    quiet.advance(end)
    storm.advance(end)
    a_quiet, a_storm = mean_sma_km(quiet, end), mean_sma_km(storm, end)
    # same initial conditions, same periodic terms: the gap is the storm's extra decay
    assert a_quiet - a_storm > 0.3


# ------------------------------------------------------------------ engine fallbacks
def test_engine_reports_picture_and_world_failures_instead_of_defaults(tmp_path, monkeypatch):
    from spacerange.exercise.engine import Exercise

    ex = Exercise.create(TRAINING / "geo_rendezvous.yaml", tmp_path / "run")
    try:

        def broken_view(team):
            raise RuntimeError("picture store corrupted")

        monkeypatch.setattr(ex.pictures, "view", broken_view)
        # tracked() over a broken picture is not "untracked": it cannot be evaluated
        with pytest.raises(ValueError, match="picture store corrupted"):
            ex._tracked("ardenia-ops", "ARD-COMSAT-2")

        def broken_dv(team_id=None, **kw):
            return {"dv_used": lambda a: (_ for _ in ()).throw(RuntimeError("arc lost"))}

        # with the picture down too, the view falls back on the engine's asset list: each
        # asset says why its delta-v is missing
        monkeypatch.setattr(ex.world, "functions", broken_dv)
        view = ex.team_view("ardenia-ops")
        assert "picture store corrupted" in view["picture_error"]
        assets = view["assets"]
        assert assets and all(a.get("dv_used_error") == "arc lost" for a in assets)
        assert all("dv_used_mps" not in a for a in assets)
    finally:
        ex.close()


def test_rule_comparing_incomparable_values_is_not_evaluable():
    funcs = {"altitude": lambda a: "unknown"}
    for text in ("altitude(X) > 300 km", "not altitude(X) > 300 km"):
        with pytest.raises(ValueError, match="cannot compare"):
            parse_rule(text).evaluate({}, funcs)


# ------------------------------------------------------------------ defaults that change meaning
def test_sensor_spec_keeps_a_given_zero_and_refuses_an_unknown_site():
    from spacerange.exercise.picture.sensing import sensor_entry, team_sensors
    from spacerange.sensors.sites import sensor_from_dict

    e = {"lat_deg": 10.0, "lon_deg": 20.0, "kind": "tracking_radar", "min_elevation_deg": 0.0,
         "az_max_deg": 0.0, "noise": {"sigma_range_km": 0.02}}  # fmt: skip
    site = sensor_from_dict(sensor_entry("S1", e)).site
    assert site.min_elevation_deg == 0.0  # the horizon mask stays 0 deg, not the 10 deg default
    assert site.az_max_deg == 0.0  # and the azimuth limit 0, not 360
    _sensor_specs = team_sensors

    sc = load_scenario(TRAINING / "space_weather.yaml")
    sc.actors[0].sensors[0].ref = "default:NO-SUCH-SITE"
    with pytest.raises(ValueError, match="NO-SUCH-SITE"):
        _sensor_specs(sc)
