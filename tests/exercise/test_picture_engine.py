"""The team picture is the engine's pipeline (issue 11, section 1): visibility through
``spacerange.sensors``, screening, Pc and event histories through
``spacerange.conjunction``; and what that gives on the high-Pc training conjunction."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from spacerange.exercise.validate import load_scenario
from spacerange.exercise.world import World, _td64, to_utc64

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ROOT / "scenarios" / "training"
PICTURE = ROOT / "src" / "spacerange" / "exercise" / "picture"


# ------------------------------------------------------------------ structure
def test_picture_calls_the_engine_and_reimplements_none_of_it():
    import spacerange.conjunction.background as bg
    import spacerange.conjunction.event_history as eh
    import spacerange.conjunction.protected as prot
    import spacerange.sensors.visibility as vis
    from spacerange.exercise import picture
    from spacerange.exercise.picture import conjunctions, core, sensing

    # visibility: the sensors package decides what is observable
    assert sensing.observable is vis.observable
    assert core.detect is sensing.detect
    # screening, Pc and event grouping: the conjunction package
    # (inline or in the engine's background worker: the same function either way)
    assert bg.screen_protected is prot.screen_protected
    assert core.InlineScreening is bg.InlineScreening
    assert core.shared_background is bg.shared_background
    assert conjunctions.group_events is eh.group_events
    assert conjunctions.multistep.pc_auto_batch.__module__ == "spacerange.conjunction.multistep"
    # the private copies are gone
    for name in ("_assess_watch", "_sun_itrs"):
        assert not hasattr(core.Pictures, name) and not hasattr(core, name), name
    assert not hasattr(picture, "SensorSpec") and not hasattr(core, "_sensor_specs")
    # and no look-angle, shadow or closest-approach search code is left in the package
    # (in addition to the behavioural tests below): the names such code is made of
    banned = {"arcsin", "arctan2", "arccos", "shadow_fraction", "sun_gcrs_km", "sun_itrs_km",
              "enu_matrix", "look_angles", "elevation_deg", "_closest", "_grid", "_cov",
              "pc_foster"}  # fmt: skip
    for f in PICTURE.glob("*.py"):
        tree = ast.parse(f.read_text())
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert not names & banned, (f.name, names & banned)


# ------------------------------------------------------------------ screening on the team catalog
def _setup(tca_offset_h: float | None = None):
    from spacerange.exercise.picture import Pictures

    sc = load_scenario(TRAINING / "high_pc_conjunction.yaml")
    sc.world.catalog.synthetic.n = 20
    inj = next(
        i for _, _, i in sc.iter_injects() if i.action and i.action.kind == "high_pc_conjunction"
    )
    if tca_offset_h is not None:
        from datetime import timedelta

        inj.action.tca_offset = timedelta(hours=tca_offset_h)
    w = World(sc, sc.exercise.seed, TRAINING)
    t = to_utc64(sc.time_of(inj.at))
    w.advance(t)
    w.enact(inj, t)
    p = Pictures(w, sc, warm_start_s=600.0)
    team = next(tm.id for tm in sc.teams if tm.role == "blue")
    return w, p, team, inj.action, t


def test_screening_finds_the_event_on_the_team_catalog_where_truth_has_it():
    w, p, team, a, t = _setup()
    tp = p.teams[team]
    p.deliver(team, [a.secondary], t, sigma_km=0.001)  # a near-perfect provider state
    out = p._screen(tp, t)
    ups = [e["payload"] for e in out if e["kind"] == "conjunction_update"]
    assert len(ups) == 1, ups
    u = ups[0]
    tca, miss_km, _ = w.closest_approach(a.target, a.secondary, to_utc64(u["tca_utc"]), 600.0)
    assert abs(float((to_utc64(u["tca_utc"]) - tca) / np.timedelta64(1, "s"))) <= 1.0
    # the provider's state still carries the team's along-track rate error (1 km/day in
    # LEO): the miss agrees with truth within the 3 sigma the team states for it
    assert abs(u["miss_m"] - miss_km * 1e3) <= 3.0 * u["miss_sigma_m"]
    assert u["miss_sigma_m"] < 1000.0
    assert u["pc_method"] and u["event_id"] and u["miss_sigma_m"] > 0
    # a re-screening of the unchanged catalog adds a record to the same event
    p.deliver(team, [a.secondary], t + _td64(60.0), sigma_km=0.0005)
    out2 = p._screen(tp, t + _td64(60.0))
    ups2 = [e["payload"] for e in out2 if e["kind"] == "conjunction_update"]
    assert [x["event_id"] for x in ups2] == [u["event_id"]]
    assert len(p.conjunctions(team)) == 1


def test_the_look_ahead_reaches_72_hours_not_36():
    w, p, team, a, t = _setup(tca_offset_h=60.0)
    tp = p.teams[team]
    p.deliver(team, [a.secondary], t, sigma_km=0.001)
    out = p._screen(tp, t)
    ups = [e["payload"] for e in out if e["kind"] == "conjunction_update"]
    assert ups, "an event 60 h ahead must be held (the old picture looked 36 h ahead)"
    lead_h = float((to_utc64(ups[0]["tca_utc"]) - t) / np.timedelta64(1, "h"))
    assert 59.0 < lead_h < 61.0
    assert p.look_ahead_s == 72 * 3600.0  # the scenario's default screening_look_ahead


# ------------------------------------------------------------------ issue 11's measured goals
@pytest.fixture(scope="module")
def passive_run(tmp_path_factory):
    """high_pc_conjunction to ENDEX, blue passive (400 objects: inline screening); its
    summary, conjunction updates and events."""
    from spacerange.exercise.engine import Exercise

    run = tmp_path_factory.mktemp("pic") / "run"
    ex = Exercise.create(TRAINING / "high_pc_conjunction.yaml", run,
                         autopilots={"blue": "passive"})  # fmt: skip
    ex.run()
    s = ex.summary()
    ups = [e["payload"] for e in ex.events() if e["kind"] == "conjunction_update"]
    events = ex.events()
    ex.close()
    return s, ups, events


def _played(events: list[dict]) -> list[dict]:
    """A run's events without what differs between two plays of the same game (the wall
    clock and the run's id)."""
    out = []
    for e in events:
        e = {k: v for k, v in e.items() if k != "wall_time_utc"}
        if e["kind"] == "run_started":
            e["payload"] = {k: v for k, v in e["payload"].items() if k != "run_id"}
        out.append(e)
    return out


def test_screening_in_the_background_worker_plays_the_same_game(passive_run, tmp_path,
                                                                monkeypatch):  # fmt: skip
    """A large world screens in the engine's background worker (a second process, while
    the next team's update runs): the same run, event for event, as inline screening."""
    from spacerange.conjunction.background import BackgroundScreening
    from spacerange.exercise.engine import Exercise
    from spacerange.exercise.picture import core

    _, ups, events = passive_run
    assert len(ups) >= 3  # the run holds the conjunction: the comparison compares something
    monkeypatch.setattr(core, "BACKGROUND_SCREENING_MIN_OBJECTS", 0)
    ex = Exercise.create(TRAINING / "high_pc_conjunction.yaml", tmp_path / "run",
                         autopilots={"blue": "passive"})  # fmt: skip
    try:
        runner = ex.world.pictures._job_runner
        assert isinstance(runner, BackgroundScreening)
        n0 = runner.n_in_worker
        ex.run()
        assert runner.n_in_worker > n0 and runner.broken is None
        assert _played(ex.events()) == _played(events)
    finally:
        ex.close()


def test_reentry_forecasts_in_the_background_worker_play_the_same_game(tmp_path, monkeypatch):
    """The 6-hourly re-entry forecasts of a large world are computed in the background
    worker beside the screenings (from the tracks' TLE text, after the team's update):
    the same run, event for event, as computing them inline at the end of the update."""
    from spacerange.conjunction.background import BackgroundScreening
    from spacerange.exercise.engine import Exercise
    from spacerange.exercise.picture import core
    from spacerange.exercise.picture.reentry import decay_forecasts, low_tracks

    def play(run_dir):
        ex = Exercise.create(TRAINING / "uncontrolled_reentry.yaml", run_dir,
                             autopilots={"blue": "passive"})  # fmt: skip
        pics = ex.world.pictures
        runner, sent, jobs, checks, steps = pics._job_runner, [], [], [], []
        call, update, observe = runner.call, pics.update, pics._observe
        n0 = getattr(runner, "n_in_worker", 0)

        def counted(fn, *args):
            sent.append(fn)
            if fn is decay_forecasts:
                jobs.append(args[0])
                steps.append("forecast")
            return call(fn, *args)

        def observed(tp, *args):
            steps.append("od")
            return observe(tp, *args)

        def checked(t_utc):
            n0 = len(jobs)
            steps.clear()
            out = update(t_utc)
            # each team's forecasts start after its own orbit determination, and read its
            # tracks as the whole update left them
            now = [[tle for _, tle in c] for tp in pics.teams.values()
                   if (c := low_tracks(tp.tracks))]  # fmt: skip
            assert jobs[n0:] in ([], now)
            assert all(
                k > 0 and steps[k - 1] == "od" for k, s in enumerate(steps) if s == "forecast"
            )
            checks.append(len(jobs) > n0)
            return out

        monkeypatch.setattr(runner, "call", counted)
        monkeypatch.setattr(pics, "update", checked)
        monkeypatch.setattr(pics, "_observe", observed)
        try:
            ex.run()
            assert sum(checks) >= 2  # the forecasts of two or more updates were checked
            return runner, sent, getattr(runner, "n_in_worker", 0) - n0, ex.events()
        finally:
            ex.close()

    _, sent, _, inline = play(tmp_path / "inline")
    n_pred = sum(e["kind"] == "reentry_prediction" for e in inline)
    assert n_pred >= 2 and sent.count(decay_forecasts) >= 2  # it compares something
    monkeypatch.setattr(core, "BACKGROUND_SCREENING_MIN_OBJECTS", 0)
    runner, sent, n_in_worker, worker = play(tmp_path / "worker")
    assert isinstance(runner, BackgroundScreening) and runner.broken is None
    assert sent.count(decay_forecasts) >= 2 and n_in_worker >= len(sent)
    assert _played(worker) == _played(inline)


def test_exposed_team_holds_the_graded_conjunction_within_its_goals(passive_run):
    s, ups, _ = passive_run
    g = s["conjunction_goals"]
    assert len(g) == 1 and g[0]["team"] == "ardenia-ops", g
    g = g[0]
    # The scenario starts 10.5 h before TCA: the picture holds the event from its first
    # update (the earliest it can), not 24 h before
    assert g["first_held_utc"] is not None and g["held_lead_s"] == g["picture_lead_s"]
    assert g["held_lead_s"] > 10 * 3600
    assert g["n_updates"] >= 3  # re-screened as the provider's CDMs arrive (every 2 h)
    assert g["tca_error_s"] <= 10.0
    assert g["miss_error_sigma"] <= 3.0
    # the true miss (150 m) is not under the combined HBR (3.7 m): no Pc goal
    assert g["goals_met"] == {"held_24h": True, "tca_10s": True, "miss_3sigma": True,
                              "pc_12h": None}  # fmt: skip
    # one event per pair and TCA, with its Pc trend
    mine = [u for u in ups if set(u["objects"]) == {"ARD-EO-1", "DEB-4411"}]
    assert len({u["event_id"] for u in mine}) == 1 and len(mine) == g["n_updates"]
    assert all(u["pc_trend"] in ("rising", "falling", "steady") for u in mine)


def test_a_team_that_avoids_is_graded_on_the_pictures_it_acted_on(play):
    """The competent cell burns ARD-EO-1 away from the 150 m encounter.  Its records made
    before the burn are graded against the truth they predicted (the two arcs in force
    then: the scripted 150 m at the scripted TCA), its later ones against the truth after
    the burn; the goals see the picture from its first update, not from after the burn."""
    played = play("high_pc_conjunction", "competent")
    g = played.summary["conjunction_goals"]
    assert len(g) == 1, g
    g = g[0]
    assert g["miss_m"] > 1000.0  # the burn moved the asset off the encounter
    (pre,) = g["pre_burn_truth"]
    assert abs(pre["miss_m"] - 150.0) < 1.0  # the scripted miss (a 16:30:00Z TCA)
    assert pre["tca_utc"] == "2026-03-04T16:30:00Z"
    assert pre["burn_utc"] < pre["tca_utc"] and 1 <= pre["n_updates"] < g["n_updates"]
    assert g["first_held_utc"] < pre["burn_utc"]
    assert g["held_lead_s"] == g["picture_lead_s"]  # held from the picture's first update
    assert g["tca_error_s"] <= 10.0 and g["miss_error_sigma"] <= 3.0
    assert g["goals_met"] == {"held_24h": True, "tca_10s": True, "miss_3sigma": True,
                              "pc_12h": None}  # fmt: skip
    # and the report's graded-events table shows both truths
    from spacerange.exercise.report import load_run, render_html

    html = render_html(load_run(played.run))
    assert "before the burn of " in html and ": 150 m at 2026-03-04 16:30Z" in html


# ------------------------------------------------------------------ custody
def test_custody_is_lost_after_the_configured_age_or_sigma():
    w, p, team, a, t = _setup()
    p.deliver(team, [a.secondary], t, sigma_km=0.05)
    c = p.custody(team, a.secondary, t)
    assert c["state"] == "held" and c["age_s"] == 0.0 and c["pos_sigma_km"] < 0.1
    assert p.tracked(team, a.secondary, t)
    # LEO: lost a day after the last track (the team's prediction has aged)
    later = t + _td64(86400.0 + 60.0)
    assert p.custody(team, a.secondary, later)["state"] == "lost"
    assert not p.tracked(team, a.secondary, later)
    # or as soon as the along-track sigma exceeds the configured size
    p.custody_sigma_km = 0.01
    assert p.custody(team, a.secondary, t)["state"] == "lost"
    assert p.custody(team, "NO-SUCH-OBJECT", t) is None
    # own assets are always in custody; the view shows each track's state
    assert p.custody(team, a.target, later)["state"] == "held"
    w.clock_utc = t
    items = p.picture_items(team)
    assert items and all(it["custody"] in ("held", "lost") for it in items)


def test_look_ahead_is_a_scenario_setting_within_what_sgp4_allows():
    from datetime import timedelta

    from pydantic import ValidationError

    from spacerange.exercise.scenario.model import ExerciseMeta

    kw = dict(name="x", startex="2026-03-04T00:00:00Z", endex="2026-03-05T00:00:00Z", seed=1)
    assert ExerciseMeta(**kw).screening_look_ahead == timedelta(hours=72)
    assert (
        ExerciseMeta(**kw, screening_look_ahead=timedelta(hours=96)).screening_look_ahead.days == 4
    )
    with pytest.raises(ValidationError, match="7 days"):
        ExerciseMeta(**kw, screening_look_ahead=timedelta(days=8))


def test_picture_items_are_json_ready_as_made():
    """The autopilots' port serves the picture's items without a ``jsonable`` copy: they
    must already be what the one serializer would make of them (rounded finite numbers,
    valid strings), also for a hostile name."""
    import json

    from spacerange.jsonio import jsonable
    from spacerange.timescales import iso_utc

    w, p, team, a, t = _setup()
    p.deliver(team, [a.secondary], t, sigma_km=0.05)
    w.clock_utc = t
    tr = p.teams[team].tracks[a.secondary]
    tr.name = "DEB \ud800 4411"  # a lone surrogate: not encodable as UTF-8
    items = p.picture_items(team)
    assert items
    assert jsonable(items) == items
    json.dumps(items, allow_nan=False).encode("utf-8")
    it = next(i for i in items if i["name"].startswith("DEB"))
    assert it["name"] == "DEB \ufffd 4411"
    assert all(isinstance(x, float) and round(x, 4) == x for x in it["r_km"])
    assert it["last_obs_utc"] == iso_utc(tr.last_obs_utc, "s")


def test_a_tasked_sensor_detects_its_objects_every_update():
    """Tasking raises the detection probability of the tasked objects (and only those) to
    the sensor's availability; ids the update does not hold are ignored."""
    import math

    from spacerange.exercise.picture.sensing import DETECTION_P, TeamSensor, detect
    from spacerange.sensors.base import Scene
    from spacerange.sensors.sites import sensor_from_dict

    entry = {"id": "R1", "kind": "tracking_radar", "lat_deg": 0.0, "lon_deg": 0.0,
             "alt_m": 0.0, "min_elevation_deg": 0.0, "max_range_km": 1e5, "name": ""}  # fmt: skip
    sensor = TeamSensor(sensor_from_dict(entry, "test"), 0.015, math.radians(0.05))
    rng = np.random.default_rng(3)
    n = 400
    # over the site (on the x axis of ITRS): 500-1,500 km up, within 300 km sideways
    r_itrs_km = np.column_stack([6378.137 + rng.uniform(500, 1500, n),
                                 rng.uniform(-300, 300, n), rng.uniform(-300, 300, n)])  # fmt: skip
    ids = np.array([f"O{i}" for i in range(n)], dtype=object)
    scene = Scene(np.asarray([np.datetime64("2026-03-04T12:00:00", "us")]))
    seen, _, _ = detect([sensor], r_itrs_km, scene, ids, lambda _s: 1.0, {}, None)
    assert len(seen) == n  # every object observable; the draw alone decides below
    tasked = {f"O{i}" for i in range(0, n, 4)} | {"NOT-IN-THIS-UPDATE"}
    hits_tasked = hits_other = 0
    for _ in range(5):
        rows, _, _ = detect([sensor], r_itrs_km, scene, ids, lambda _s: 1.0,
                            {"R1": tasked}, rng)  # fmt: skip
        got = set(ids[rows])
        hits_tasked += len(got & tasked)
        hits_other += len(got - tasked)
    assert hits_tasked == 5 * (n // 4)
    frac_other = hits_other / (5 * (n - n // 4))
    assert abs(frac_other - DETECTION_P["tracking_radar"]) < 0.06
