"""The three autopilots on every training scenario, each working from its team view only:
a competent blue cell rates P or S, a passive one and a gaming one (every action kind,
at once and hourly, with empty or wrong content) rate M or U, and the gaming score is at
most 25 % of the competent one."""

from __future__ import annotations

from pathlib import Path

import pytest
from recording_port import RecordingPort

from spacerange.exercise.engine import Exercise

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"
SCENARIOS = sorted(p.stem for p in TRAINING.glob("*.yaml"))
#: the competent cell's own picture cannot do these (stated in docs/performance.md):
#: uncontrolled_reentry: no sensor of the scenario sees the stage (41.5 deg inclination,
#: 170 km perigee) before it re-enters: over the 20 h its highest elevation is 11.5 deg
#: from GRAVES (minimum 15), 4.8 deg from TIRA (minimum 5) and 5.2 deg from GESTRA (cone
#: 20-85 deg), so there is no track to predict from (the decay of a track would be right:
#: the truth decays from STARTEX and the picture's prediction is propagated the same way).
#: (geo_rendezvous passes since the GEO slot watch (autopilot_geo): the servicer burns in
#: daylight, its track is lost and re-acquired at night without a manoeuvre alert; the
#: watch sees the re-acquired track drifting toward the asset, 20 min after the inject.)
#: (unannounced_maneuver passes since the element set's velocity fit error joined the
#: track covariance: the GEO track after the burn is no longer overconfident.)
COMPETENT_FAILS = {
    "uncontrolled_reentry": "no sensor sees the stage before re-entry",
}


def _blue(play, name: str, kind: str) -> tuple[dict[str, str], float]:
    s = play(name, kind).summary
    assert s["finished"]
    out, scores = {}, []
    for tid, t in s["teams"].items():
        if t["role"] == "blue" and t["ratings"]:
            scores.append(t["score"] or 0.0)
            for obj, r in t["ratings"].items():
                out[f"{tid}:{obj}"] = r
    assert out, f"{name}: no blue rating"
    return out, sum(scores) / len(scores)


@pytest.mark.parametrize("name", SCENARIOS)
def test_gaming_and_passive_do_not_pass(play, name):
    good, good_score = _blue(play, name, "competent")
    gaming, gaming_score = _blue(play, name, "gaming")
    bad, _ = _blue(play, name, "passive")
    assert all(r in ("M", "U") for r in gaming.values()), gaming
    assert all(r in ("M", "U") for r in bad.values()), bad
    assert gaming_score <= 0.25 * good_score + 1e-9, (gaming_score, good_score)


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=COMPETENT_FAILS[n]))
     if n in COMPETENT_FAILS else n for n in SCENARIOS],
)  # fmt: skip
def test_competent_blue_performs(play, name):
    good, _ = _blue(play, name, "competent")
    assert all(r in ("P", "S") for r in good.values()), good


def test_competent_rates_p_or_s_on_80_percent_of_training_objectives(play):
    """Issue 12's measured goal over every training scenario's objective ratings (the
    scenarios listed in ``COMPETENT_FAILS`` count with their failures)."""
    ratings = {f"{n}/{k}": r for n in SCENARIOS for k, r in _blue(play, n, "competent")[0].items()}
    good = [k for k, r in ratings.items() if r in ("P", "S")]
    bad = sorted(f"{k}={r}" for k, r in ratings.items() if r not in ("P", "S"))
    assert len(good) >= 0.8 * len(ratings), (len(good), len(ratings), bad)


def test_competent_avoidance_keeps_pc_below_threshold(tmp_path):
    ex = Exercise.create(TRAINING / "high_pc_conjunction.yaml", tmp_path / "run",
                         autopilots={"blue": "competent"})  # fmt: skip
    ex.run()
    f = ex.world.functions(None)
    assert f["pc"]("ARD-EO-1", "DEB-4411") < 1e-4
    assert f["miss_distance"]("ARD-EO-1", "DEB-4411") > 1.0  # km
    assert 0 < f["dv_used"]("ARD-EO-1") < 2.0  # economical (the scenario's rule)
    ex.close()


def test_passive_loses_for_physical_reasons_shown_in_the_report(tmp_path):
    from spacerange.exercise.report import load_run, render_html

    ex = Exercise.create(TRAINING / "high_pc_conjunction.yaml", tmp_path / "run",
                         autopilots={"blue": "passive"})  # fmt: skip
    ex.run()
    ratings = [e["payload"] for e in ex.events() if e["kind"] == "rating"]
    ex.close()
    ca2 = next(r for r in ratings if r.get("critical_task") == "CT-CA.2")
    assert ca2["rating"] == "U" and ca2["score"] == 0.0
    # the true miss (150 m scripted) is measured and stated, below the 1 km criterion
    m = float(ca2["note"].split("miss_distance(ARD-EO-1, DEB-4411) = ")[1].split(";")[0])
    assert m < 1.0
    html = render_html(load_run(tmp_path / "run"))
    assert "4a. Rating evidence" in html and "miss_distance(ARD-EO-1, DEB-4411) = " in html


class _Port(RecordingPort):
    """A team port over a fixed view that records submissions (no engine)."""

    team = "borealis-ops"


def test_competent_catalogues_a_new_object_an_ally_reports():
    """An ally's notification names a new object whose shared track the team holds (not
    its own UCT alert): the competent cell tasks and catalogues it; names it does not hold
    and catalogued objects are left alone."""
    from spacerange.exercise.autopilot import CompetentAutopilot
    from spacerange.exercise.teamview import TeamView

    track = {"id": "ARDENIA-OPS-UCT-0712", "r_km": [7000.0, 0, 0], "v_km_s": [0, 7.5, 0]}
    cat = dict(track, id="SYN SAT 0001")
    v = TeamView(team="borealis-ops", role="blue", clock_utc="2026-03-07T18:30:00Z",
                 picture_items=(track, cat), sensors=("SPACEFENCE",))  # fmt: skip
    port = _Port(v)
    ap = CompetentAutopilot()
    msg = {"method": "team", "kind": "notify", "from": "ardenia-ops",
           "text": "EXERCISE. proximity: new object near our asset (ARDENIA-OPS-UCT-0712, "
                   "ARD-SAR-1). Also ARDENIA-OPS-UCT-0999."}  # fmt: skip
    ap.on_event(port, "message", msg)
    cu = [a for a in port.sent if a["kind"] == "catalog_update"]
    assert [a["objects"] for a in cu] == [["ARDENIA-OPS-UCT-0712"]]
    assert any(a["kind"] == "tasking" for a in port.sent)
    port.sent.clear()
    ap.on_event(port, "message", msg)  # already catalogued: nothing again
    assert not [a for a in port.sent if a["kind"] == "catalog_update"]


def test_competent_answers_a_request_for_a_reentry_window_from_its_picture():
    """'Could debris fall on our territory? We need a window.' is a re-entry request (not
    a fragmentation): the cell publishes its own prediction of its low-perigee track."""
    from spacerange.exercise.autopilot import CompetentAutopilot
    from spacerange.exercise.teamview import TeamView

    low = {"id": "CORE-STAGE-5", "r_km": [6590.0, 0, 0], "v_km_s": [0, 7.80, 0]}  # 212 km
    high = {"id": "SYN SAT 0001", "r_km": [7000.0, 0, 0], "v_km_s": [0, 7.546, 0]}
    v = TeamView(team="corvania-ops", role="blue", clock_utc="2026-03-11T09:00:00Z",
                 picture_items=(low, high))  # fmt: skip
    port = _Port(v)
    asked = []

    def window(name):
        asked.append(name)
        return {"window_start": "2026-03-13T08:00:00Z", "window_end": "2026-03-13T20:00:00Z",
                "most_likely": "2026-03-13T14:00:00Z"}  # fmt: skip

    port.reentry_window = window
    CompetentAutopilot().on_event(port, "message", {
        "method": "phone", "from": "civil protection",
        "text": "EXERCISE. Could debris fall on Corvanian territory? We need a window."})  # fmt: skip
    assert asked == ["CORE-STAGE-5"]
    rp = [a for a in port.sent if a["kind"] == "reentry_prediction"]
    assert rp and rp[0]["object"] == "CORE-STAGE-5"
    assert not [a for a in port.sent if a.get("threat") == "fragmentation"]


def test_competent_burns_again_for_a_later_encounter_with_another_object():
    """ARD-EO-1 avoided SYN R/B 0189 on 03-03; the fragment encounter of 03-09 is another
    event and gets its own burn (the demo's cell kept the first plan and never burned for
    the fragment); the same encounter reported again does not."""
    from spacerange.exercise.autopilot import CompetentAutopilot
    from spacerange.exercise.teamview import Approach, TeamView

    class Port(_Port):
        team = "ardenia-ops"

        def __init__(self, view):
            super().__init__(view)
            self.miss_km = 0.8

        def closest_approach(self, a, b, hours=48.0):
            return Approach("2026-03-09T09:58:07Z", self.miss_km, 1e-7)

    asset = {"id": "ARD-EO-1", "maneuverable": True, "r_km": [7000.0, 0, 0],
             "v_km_s": [0, 7.5, 0]}  # fmt: skip
    v = TeamView(team="ardenia-ops", role="blue", clock_utc="2026-03-08T20:00:00Z",
                 assets=(asset,), sensors=("GRAVES",), picture_items=())  # fmt: skip
    port, ap = Port(v), CompetentAutopilot()
    burns = lambda: [a for a in port.sent if a["kind"] == "maneuver"]  # noqa: E731
    ap.on_event(port, "alert", {"kind": "conjunction", "objects": ["ARD-EO-1", "SYN R/B 0189"]})
    assert len(burns()) == 1
    ap.on_event(port, "alert", {"kind": "conjunction", "objects": ["ARD-EO-1", "SYN R/B 0189"]})
    assert len(burns()) == 1  # the same encounter: planned for already
    port.miss_km = 0.288
    ap.on_event(port, "alert", {"kind": "conjunction",
                                "objects": ["ARD-EO-1", "ARDENIA-OPS-UCT-0652"]})  # fmt: skip
    assert len(burns()) == 2 and "ARDENIA-OPS-UCT-0652" in burns()[1]["note"]
