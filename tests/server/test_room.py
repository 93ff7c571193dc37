"""The control room boards: EXCON's truth comparison (never to players), the overview
every role reads, and ratings released to the teams by EXCON."""

from __future__ import annotations

import numpy as np
import pytest
from srv_helpers import INJECT, login, make_client


@pytest.fixture(scope="module")
def played(scenario_file, tmp_path_factory):
    """Inject released, a burn applied, one evaluator rating: the clock at 09:00."""
    with make_client(scenario_file, tmp_path_factory.mktemp("room"), speed=0) as c:
        tok = {u: login(c, u) for u in ("excon", "ardenia", "red", "observer", "evaluator")}
        assert c.post("/api/excon/inject/release", json={"serial": INJECT},
                      headers=tok["excon"]).status_code == 200  # fmt: skip
        for _ in range(3):
            c.post("/api/excon/jump", headers=tok["excon"])
        mnv = {"kind": "maneuver", "asset": "ARD-EO-1", "dv_rtn_mps": [0, 0.3, 0]}
        assert c.post("/api/exercise/actions", json=mnv, headers=tok["ardenia"]).json()["accepted"]
        for _ in range(2):
            c.post("/api/excon/jump", headers=tok["excon"])
        crit = c.get("/api/excon/criteria", headers=tok["evaluator"]).json()
        obj = crit["objectives"][0]
        r = c.post("/api/excon/rate", headers=tok["evaluator"], json={
            "team": "ardenia-ops", "objective": obj["id"], "rating": "S",
            "critical_task": obj["critical_tasks"][0], "note": "EXERCISE burn late but safe"})  # fmt: skip
        assert r.status_code == 200, r.text
        yield c, tok


def test_compare_is_truth_against_the_team_picture(played):
    c, tok = played
    cmp_ = c.get("/api/excon/compare?team=ardenia-ops", headers=tok["excon"]).json()
    # truth at the picture's instant (the world's clock), straight from the world
    world = c.app.state.session.ex.world
    idx, r, _ = world.states(world.clock_utc)
    truth = {
        world.objects[i].id: {"r_km": rr} for i, rr in zip(idx.tolist(), r.tolist(), strict=True)
    }
    assert cmp_["picture_utc"] and "." not in cmp_["picture_utc"]
    pic = {
        o["id"]: o
        for o in c.get("/api/teams/ardenia-ops/view", headers=tok["excon"]).json()["picture"]
    }
    assert cmp_["held"] == len(pic) > 10 and cmp_["truth_objects"] == len(truth)
    # the error is the distance between the two positions, recomputed here independently
    for row in cmp_["objects"][:20]:
        if row["error_km"] is None:
            continue
        d = np.linalg.norm(np.subtract(pic[row["id"]]["r_km"], truth[row["truth_id"]]["r_km"]))
        assert row["error_km"] == pytest.approx(d, abs=2e-3)
        assert row["error_sigma"] == pytest.approx(d / row["sigma_km"], rel=1e-2, abs=0.01)
    sig = [r["error_sigma"] for r in cmp_["objects"] if r["error_sigma"] is not None]
    assert sig == sorted(sig, reverse=True)
    # a tracked LEO object is known to within a few km (sigma-scale errors, not orbits apart)
    assert np.median([r["error_km"] for r in cmp_["objects"] if r["error_km"] is not None]) < 5
    assert cmp_["not_held"]["count"] == len(truth) - len(pic) - 1  # minus the own asset
    assert [g["team"] for g in cmp_["graded"]] == ["ardenia-ops"]
    for row in cmp_["conjunctions"]:
        if row["truth_miss_m"] is not None:
            assert abs(row["tca_error_s"]) <= 900


def test_compare_never_reaches_players(played):
    c, tok = played
    for who in ("ardenia", "red", "observer"):
        r = c.get("/api/excon/compare?team=ardenia-ops", headers=tok[who])
        assert r.status_code == 403
        ov = c.get("/api/exercise/overview", headers=tok[who]).json()
        assert "truth" not in str(ov) and "error_km" not in str(ov)
    assert c.get("/api/excon/compare?team=observers", headers=tok["excon"]).status_code == 404


def test_burn_outcome_reads_in_words(played):
    c, tok = played
    log = c.get("/api/exercise/view", headers=tok["ardenia"]).json()["action_log"]
    burn = next(r for r in log if r["kind"] == "maneuver")
    assert burn["status"] == "applied"
    assert "dV 0.30 m/s" in burn["outcome"] and "dv_mps" not in burn["outcome"]


def test_ratings_reach_a_team_only_when_released(played):
    c, tok = played
    assert c.get("/api/exercise/ratings", headers=tok["ardenia"]).json() == {
        "released": False, "items": []}  # fmt: skip
    ov = c.get("/api/exercise/overview", headers=tok["observer"]).json()
    assert ov["scoreboard"] is None and ov["msel_status"]["released"] == 1
    assert c.get("/api/exercise/overview", headers=tok["ardenia"]).json()["msel_status"] is None
    r = c.post("/api/excon/ratings/release", json={"released": True}, headers=tok["excon"])
    assert r.status_code == 200
    own = c.get("/api/exercise/ratings", headers=tok["ardenia"]).json()
    ev = [i for i in own["items"] if i["source"] == "evaluator"]
    assert own["released"] and ev and ev[0]["rating"] == "S" and ev[0]["note"].startswith("EXER")
    assert ev[0]["time_utc"] and "." not in ev[0]["time_utc"]
    assert all(i["note"] is None for i in own["items"] if i["source"] != "evaluator")
    assert "serial" not in str(own) and c.get("/api/exercise/ratings",
                                              headers=tok["red"]).json()["items"] == []  # fmt: skip
    teams = [
        s["team"]
        for s in c.get("/api/exercise/overview", headers=tok["observer"]).json()["scoreboard"]
    ]
    assert set(teams) == {"ardenia-ops", "borealis-ops", "red-cell"}
    mine = c.get("/api/exercise/overview", headers=tok["ardenia"]).json()["scoreboard"]
    assert [s["team"] for s in mine] == ["ardenia-ops"]
    c.post("/api/excon/ratings/release", json={"released": False}, headers=tok["excon"])
    assert c.get("/api/exercise/ratings", headers=tok["ardenia"]).json()["items"] == []


def test_live_report_grades_events_first_and_flags_criteria(played):
    c, tok = played
    r = c.get("/api/exercise/report", headers=tok["evaluator"])
    assert r.status_code == 200
    html = r.text
    # graded events come first: the team's picture of ARD-EO-1 x DEB-4411 against truth
    assert html.index('id="graded-events"') < html.index('id="overview"')
    graded = html[html.index('id="graded-events"') : html.index('id="overview"')]
    assert "ardenia-ops" in graded and "DEB-4411" in graded and "Truth TCA" in graded
    # the evaluator's rating: criterion, task text and evidence (note, time, author)
    ev = html[html.index('id="rating-evidence"') : html.index('id="criteria-status"')]
    assert "burn late but safe" in ev and "by evaluator" in ev and "evaluator judgment" in ev
    assert "Assess CDM quality" in ev  # CT-CA.1, rated in the fixture
    crit = html[html.index('id="criteria-status"') : html.index('id="timeline"')]
    # the three rule criteria of INJ-001 for ardenia-ops: not yet evaluated at 09:00
    assert crit.count("UNRATED") + crit.count("PENDING") >= 1, crit[:2000]
    assert "ME-01/MI-01.1/INJ-001" in crit
