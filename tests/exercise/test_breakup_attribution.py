"""Breakup attribution in the exercise: after the debris_event inject a team submits a
``breakup_attribution`` (parent, epoch); the engine grades it against the logged break-up
(``epoch_error_s``, ``parent_correct``) and the training scenario's rule rates it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spacerange.exercise.clock import iso
from spacerange.exercise.engine import Exercise

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "training" / "debris_event.yaml"
RULE = "breakup_attribution.parent_correct and abs(breakup_attribution.epoch_error_s) < 300"


def _attribute(tmp_path, parent: str, offset_s: float):
    ex = Exercise.create(SCENARIO, tmp_path / "run")
    ex.step(3 * 3600.0)  # the stage explodes at STARTEX+1h
    truth = [e for e in ex.events() if e["kind"] == "world_event"
             and e["payload"]["type"] == "breakup"]  # fmt: skip
    assert len(truth) == 1
    t_true = np.datetime64(truth[0]["sim_time_utc"].rstrip("Z"), "us")
    epoch = t_true + np.timedelta64(int(offset_s * 1e6), "us")
    res = ex.submit_action("ardenia-ops", "analyst",
                           {"kind": "breakup_attribution", "parent": parent,
                            "epoch_utc": iso(epoch), "spread_km": 1.2})  # fmt: skip
    assert res.accepted, res.errors
    ex.run()
    sub = [e for e in ex.events() if e["kind"] == "action_submitted"
           and e["payload"].get("action", {}).get("kind") == "breakup_attribution"]  # fmt: skip
    rated = [r for r in ex.adjudicator.records if r.rule == RULE]
    return sub, rated


@pytest.mark.parametrize(("parent", "offset_s", "rating"),
                         [("RB-OLD-77", 40.0, "P"), ("RB-OLD-77", 1800.0, "M"),
                          ("ARD-MET-2", 0.0, "M")])  # fmt: skip
def test_attribution_is_graded_on_epoch_and_parent(tmp_path, parent, offset_s, rating):
    sub, rated = _attribute(tmp_path, parent, offset_s)
    assert rated and {r.rating for r in rated} == {rating}


def test_bad_attribution_is_rejected(tmp_path):
    ex = Exercise.create(SCENARIO, tmp_path / "run")
    res = ex.submit_action("ardenia-ops", "analyst",
                           {"kind": "breakup_attribution", "parent": "RB-OLD-77",
                            "epoch_utc": "not a time"})  # fmt: skip
    assert not res.accepted and any("epoch_utc" in e for e in res.errors)


def test_team_traces_its_own_catalogue_and_attributes(tmp_path):
    """The blue team's own tracks (its picture, not truth) of the fragments and of the
    stage before the event, traced back with the engine's ``trace_pinch``."""
    from sgp4 import exporter

    from spacerange.catalog.tle import parse_tle_lines
    from spacerange.events.breakup_trace import trace_pinch

    ex = Exercise.create(SCENARIO, tmp_path / "run")
    ex.step(7 * 3600.0)
    tracks = ex.world.pictures.teams["ardenia-ops"].tracks

    def elset(oid):
        return parse_tle_lines(*exporter.export_tle(tracks[oid].satrec), name=oid)

    frags = [elset(o) for o in tracks if o.startswith("FRAG77")]
    assert len(frags) > 50
    tr = trace_pinch(frags, elset("RB-OLD-77"), ex.world.clock_utc, 12 * 3600.0)
    # the next revolution is clearly worse: the answer is not a coin toss
    assert tr.candidates[1][1] > 1.2 * tr.candidates[0][1]
    res = ex.submit_action("ardenia-ops", "analyst",
                           {"kind": "breakup_attribution", "parent": "RB-OLD-77",
                            "epoch_utc": iso(tr.epoch_utc), "lat_deg": tr.lat_deg,
                            "lon_deg": tr.lon_deg, "alt_km": tr.alt_km,
                            "spread_km": tr.spread_km})  # fmt: skip
    assert res.accepted, res.errors
    ex.run()
    # the measured quality is truth-side evidence (never in the action the team sees)
    act = next(a.evidence for a in ex.actions if a.action.get("kind") == "breakup_attribution")
    assert abs(act["epoch_error_s"]) < 60 and act["parent_correct"] is True
    assert {r.rating for r in ex.adjudicator.records if r.rule == RULE} == {"P"}
    from spacerange.exercise.report import load_run, render_html

    html = render_html(load_run(tmp_path / "run"))
    assert "breakup_attribution" in html and "parent_correct" in html
