"""The competent blue cell's GEO slot watch (``spacerange.exercise.autopilot_geo``): the
drift-rate screen of its own GEO tracks, checked against the textbook GEO drift rate, and
the procedure it starts, on a fixed team view (no engine)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from recording_port import RecordingPort

from spacerange.constants import MU_WGS84_KM3_S2
from spacerange.exercise.autopilot_geo import closing_tracks
from spacerange.exercise.teamview import Approach, TeamView

#: geostationary radius [km] (Soop, Handbook of Geostationary Orbits, 1994)
A_GEO_KM = 42164.17


def _circular(a_km: float, lon_deg: float) -> tuple[list[float], list[float]]:
    """TEME state of a circular equatorial orbit of radius ``a_km`` at angle ``lon_deg``."""
    th = math.radians(lon_deg)
    s = math.sqrt(MU_WGS84_KM3_S2 / a_km)
    return [a_km * math.cos(th), a_km * math.sin(th), 0.0], [
        -s * math.sin(th),
        s * math.cos(th),
        0.0,
    ]


ASSET = _circular(A_GEO_KM, 12.0)


@pytest.mark.parametrize(
    ("da_km", "east_deg", "closing"),
    [
        # Soop (1994), ch. 3: d(lon)/dt = -3/2 (da/a) 360.99 deg/day = -0.0128 deg/day
        # per km of semi-major axis above GEO, so +78 km drifts west at 1.00 deg/day: from 3.9 deg east it is within
        # 1 deg of the asset after 2.9 days (inside 72 h), from 4.1 deg after 3.1 days
        (78.0, 3.9, True),
        (78.0, 4.1, False),
        (78.0, -3.9, False),  # west of the asset and drifting west: going away
        (-78.0, -3.9, True),  # below GEO drifts east: closing from the west
        (-78.0, 3.9, False),
        (0.0, 0.8, False),  # a co-located, station-kept neighbour does not drift
    ],
)
def test_closing_tracks_uses_the_geo_drift_rate(da_km, east_deg, closing):
    r, v = _circular(A_GEO_KM + da_km, 12.0 + east_deg)
    got = closing_tracks(ASSET[0], ASSET[1], np.array([r]), np.array([v]))
    assert got.tolist() == [closing]


def test_closing_tracks_ignores_non_geo_objects():
    r, v = _circular(7000.0, 12.5)  # LEO, whatever its apparent drift
    assert closing_tracks(ASSET[0], ASSET[1], np.array([r]), np.array([v])).tolist() == [False]


class _Port(RecordingPort):
    def __init__(self, view, miss_km):
        super().__init__(view)
        self.miss_km, self.screened = miss_km, []

    def closest_approach(self, a, b, hours=48.0):
        self.screened.append((a, b))
        return Approach("2026-03-06T08:00:00Z", self.miss_km)


def _view(track_r, track_v, last_obs="2026-03-04T18:40:00Z"):
    asset = {"id": "ARD-COMSAT-2", "r_km": ASSET[0], "v_km_s": ASSET[1], "maneuverable": True,
             "lon_deg": 12.0}  # fmt: skip
    item = {"id": "VRK-SERVICER-1", "r_km": track_r, "v_km_s": track_v, "custody": "held",
            "last_obs_utc": last_obs, "name": "VARKOR SERVICER 1"}  # fmt: skip
    return TeamView(team="ardenia-ops", role="blue", clock_utc="2026-03-04T19:00:00Z",
                    picture_items=(item,), assets=(asset,), sensors=("TAROT_CALERN",),
                    teams={"red-cell": {"role": "red"}})  # fmt: skip


@pytest.mark.parametrize(("miss_km", "assessed"), [(94.0, True), (650.0, False)])
def test_watch_assesses_a_track_that_started_drifting_once(miss_km, assessed):
    from spacerange.exercise.autopilot import CompetentAutopilot

    # first reviewed in its slot 1.5 deg east (its reference), then re-acquired 0.8 deg
    # east (590 km) drifting west at ~1.6 deg/day (125 km above GEO): a station change
    port = _Port(_view(*_circular(A_GEO_KM, 13.5), "2026-03-04T03:00:00Z"), miss_km)
    ap = CompetentAutopilot()
    ap.on_event(port, "alert", {"kind": "uct", "objects": []})
    assert port.tasks[0][1] == {"do": "geo_watch"}
    ap.on_task(port, {"do": "geo_watch"})
    assert port.screened == [] and port.sent == []
    port._view = _view(*_circular(A_GEO_KM + 125.0, 12.8))
    ap.on_task(port, {"do": "geo_watch"})
    assert port.screened == [("ARD-COMSAT-2", "VRK-SERVICER-1")]
    prox = [a for a in port.sent if a["kind"] == "assessment" and a["threat"] == "proximity"]
    assert bool(prox) is assessed
    if assessed:
        assert prox[0]["objects"] == ["VRK-SERVICER-1", "ARD-COMSAT-2"]
        assert any(a["kind"] == "relocate" for a in port.sent)
    n = len(port.sent)
    ap.on_task(port, {"do": "geo_watch"})  # no new observation: neither re-screened nor re-sent
    assert len(port.screened) == 1 and len(port.sent) == n
    assert port.tasks[-1] == (3600.0, {"do": "geo_watch"})


def test_watch_leaves_natural_drifters_and_receding_tracks_alone():
    """A track drifting since the watch first saw it (a natural drifter of the belt) is
    not a suspect, whichever way it goes; nor is one that burned away from the asset."""
    from spacerange.exercise.autopilot import CompetentAutopilot

    port = _Port(_view(*_circular(A_GEO_KM + 125.0, 13.5), "2026-03-04T03:00:00Z"), 94.0)
    ap = CompetentAutopilot()
    ap.on_task(port, {"do": "geo_watch"})
    port._view = _view(*_circular(A_GEO_KM + 125.0, 12.8))  # the same drift, closer
    ap.on_task(port, {"do": "geo_watch"})
    assert port.screened == [] and port.sent == []
    ap2 = CompetentAutopilot()
    port._view = _view(*_circular(A_GEO_KM, 13.5), "2026-03-04T03:00:00Z")
    ap2.on_task(port, {"do": "geo_watch"})
    port._view = _view(*_circular(A_GEO_KM - 125.0, 12.8))  # burned, drifting east
    port.miss_km = 590.0  # receding: its closest approach is now
    ap2.on_task(port, {"do": "geo_watch"})
    # a burn within NEAR_KM is screened, but a receding track is no proximity event; its
    # drift change is a manoeuvre
    assert port.screened == [("ARD-COMSAT-2", "VRK-SERVICER-1")]
    assert [a["threat"] for a in port.sent if "threat" in a] == ["maneuver"]
    port.screened.clear()
    port.sent.clear()
    ap3 = CompetentAutopilot()  # a debris track's drift change is a misfit, not a burn
    port._view = _view(*_circular(A_GEO_KM, 13.5), "2026-03-04T03:00:00Z")
    ap3.on_task(port, {"do": "geo_watch"})
    v = _view(*_circular(A_GEO_KM + 125.0, 12.8))
    port._view = TeamView(**{**v.__dict__, "picture_items": (
        dict(v.picture_items[0], name="SYN-AEHF-like DEB 0013"),)})  # fmt: skip
    ap3.on_task(port, {"do": "geo_watch"})
    assert port.screened == [] and port.sent == []


def test_a_drift_change_is_assessed_as_a_manoeuvre_once_per_change():
    """A GEO object that burned while no pass saw it (VRK-GEO-7's -6 m/s in the demo) is
    re-acquired with a new drift: the watch assesses a manoeuvre from the element history,
    once per change, and again after a second burn; a steady drifter never."""
    from spacerange.exercise.autopilot import CompetentAutopilot

    port = _Port(_view(*_circular(A_GEO_KM, 40.0), "2026-03-10T18:00:00Z"), 5000.0)
    ap = CompetentAutopilot()
    ap.on_task(port, {"do": "geo_watch"})
    # -6 m/s along-track: the semi-major axis drops by ~2 a dv / v = 165 km
    port._view = _view(*_circular(A_GEO_KM - 165.0, 40.3), "2026-03-11T02:00:00Z")
    ap.on_task(port, {"do": "geo_watch"})
    mnv = [a for a in port.sent if a["kind"] == "assessment" and a["threat"] == "maneuver"]
    assert [a["objects"] for a in mnv] == [["VRK-SERVICER-1"]]
    assert "+2.1" in mnv[0]["narrative"]  # 165 km below GEO drifts east ~2.1 deg/day (Soop)
    assert any(a["kind"] == "tasking" for a in port.sent)
    port._view = _view(*_circular(A_GEO_KM - 160.0, 41.0), "2026-03-11T20:00:00Z")
    ap.on_task(port, {"do": "geo_watch"})  # the same drift (fit noise): nothing new
    assert len([a for a in port.sent if a.get("threat") == "maneuver"]) == 1


def test_a_geo_object_is_tasked_to_every_sensor_a_leo_one_to_a_few():
    """The view lists sensor ids, not kinds: a GEO object goes to every sensor (the
    telescopes that can see it are among them), a LEO one to the first three."""
    from spacerange.exercise.autopilot import CompetentAutopilot

    sensors = ("GRAVES", "GESTRA", "TIRA", "TAROT_CALERN", "ZIMLAT")
    leo = {"id": "SYN SAT 0001", "r_km": [7000.0, 0, 0], "v_km_s": [0, 7.5, 0]}
    v = _view(*_circular(A_GEO_KM, 40.0))
    v = TeamView(**{**v.__dict__, "sensors": sensors,
                    "picture_items": (*v.picture_items, leo)})  # fmt: skip
    port, ap = _Port(v, 5000.0), CompetentAutopilot()
    ap._task(port, v, ["VRK-SERVICER-1"])
    assert [a["sensor"] for a in port.sent] == list(sensors)
    port.sent.clear()
    ap._task(port, v, ["SYN SAT 0001"])
    assert [a["sensor"] for a in port.sent] == list(sensors[:3])


def test_a_drift_change_does_not_silence_the_manoeuvre_alert_path():
    """A drift change the watch assessed (possibly OD noise) must leave the manoeuvre
    alert's own procedure, and its screening against the GEO assets, running."""
    from spacerange.exercise.autopilot import CompetentAutopilot

    # 3 deg east (beyond NEAR_KM), drifting east: the watch does not screen it
    port = _Port(_view(*_circular(A_GEO_KM, 15.0), "2026-03-03T01:00:00Z"), 150.0)
    ap = CompetentAutopilot()
    ap.on_task(port, {"do": "geo_watch"})
    port._view = _view(*_circular(A_GEO_KM - 40.0, 15.0), "2026-03-03T03:00:00Z")
    ap.on_task(port, {"do": "geo_watch"})
    assert [a["threat"] for a in port.sent if a["kind"] == "assessment"] == ["maneuver"]
    ap.on_event(port, "alert", {"kind": "maneuver", "objects": ["VRK-SERVICER-1"]})
    assert ("ARD-COMSAT-2", "VRK-SERVICER-1") in port.screened
    prox = [a for a in port.sent if a.get("threat") == "proximity"]
    assert prox and prox[0]["objects"] == ["VRK-SERVICER-1", "ARD-COMSAT-2"]


def test_an_approach_assessed_early_is_assessed_again_when_it_develops():
    """The demo's OBJ-1: the cell assessed the servicer passing 379 km from its asset
    before the red order (a false manoeuvre alert, or its natural drift); the order
    starts the real approach.  The pair is assessed again (procedure and relocation)
    when the servicer is seen to change its drift, and when its predicted miss halves
    (six hours or more after the last assessment); a re-screen that finds the same
    approach with no new manoeuvre is not re-assessed."""
    from spacerange.exercise.autopilot import CompetentAutopilot

    def at(clock, a_km, lon_deg, miss_km):
        port.miss_km = miss_km
        v = _view(*_circular(a_km, lon_deg), clock.replace(":00:00Z", ":50:00Z"))
        port._view = TeamView(**{**v.__dict__, "clock_utc": clock})

    port = _Port(None, 0.0)
    ap = CompetentAutopilot()
    at("2026-03-02T20:00:00Z", A_GEO_KM, 14.0, 379.0)
    ap.on_task(port, {"do": "geo_watch"})  # the track's reference drift
    ap.on_event(port, "alert", {"kind": "maneuver", "objects": ["VRK-SERVICER-1"]})
    assert len(port.of("assessment", "proximity")) == 1
    # the order's burn: a new orbit, 0.9 deg west of the asset and 130 km above GEO (so
    # drifting away on average: an eccentric hop still passes near); its closest approach
    # in the horizon is 666 km (over the 600 km limit, but the object manoeuvred)
    at("2026-03-03T19:00:00Z", A_GEO_KM + 130.0, 11.1, 666.0)
    ap.on_task(port, {"do": "geo_watch"})
    assert [a["threat"] for a in port.of("assessment")][-2:] == ["maneuver", "proximity"]
    assert "666 km" in port.of("assessment", "proximity")[1]["narrative"]
    at("2026-03-04T03:00:00Z", A_GEO_KM + 130.0, 13.5, 650.0)  # the same approach
    ap.on_task(port, {"do": "geo_watch"})
    assert len(port.of("assessment", "proximity")) == 2
    at("2026-03-04T13:00:00Z", A_GEO_KM + 130.0, 13.2, 5.0)  # now predicted 5 km away
    ap.on_task(port, {"do": "geo_watch"})
    prox = port.of("assessment", "proximity")
    assert len(prox) == 3 and "5 km" in prox[2]["narrative"]
    # relocations: the first, none at the 666 km re-assessment (its 2-day drift is under
    # way), one when the servicer is predicted 5 km away (urgent)
    assert len(port.of("relocate")) == 2


def test_a_relocation_planned_during_a_drift_keeps_its_sense():
    """The demo's ARD-COMSAT-2: the servicer, co-located with the asset, seen 0.1 deg east
    at one assessment and 0.1 deg west two hours later; the cell relocated west, then
    east (two burn pairs that cancel).  While a drift is under way a new relocation is
    ordered only for an imminent approach, and keeps its sense; after the drift time the
    sense follows the threat again."""
    from spacerange.exercise.autopilot import RELOCATE_DRIFT_DAYS, CompetentAutopilot

    def at(clock, lon_deg):
        port.miss_km = 20.0
        v = _view(*_circular(A_GEO_KM, lon_deg), clock.replace(":00:00Z", ":50:00Z"))
        port._view = TeamView(**{**v.__dict__, "clock_utc": clock})

    port = _Port(None, 0.0)
    ap = CompetentAutopilot()
    senses = []
    for clock, lon in (("2026-03-03T17:00:00Z", 12.1), ("2026-03-03T19:00:00Z", 11.9)):
        at(clock, lon)
        ap.prox_last.clear()  # each one a new assessment
        ap._proximity(port, port.view(), "VRK-SERVICER-1", "ARD-COMSAT-2", {"range_km": 20.0})
        senses.append(ap.relocations["ARD-COMSAT-2"][1])
    assert len(port.of("relocate")) == 2 and senses[0] == senses[1]
    # a re-assessment of a threat still far away does not re-plan the drift under way
    port.miss_km = 400.0
    from spacerange.exercise.teamview import Approach

    ap._proximity(port, port.view(), "VRK-SERVICER-1", "ARD-COMSAT-2",
                  {"ca": Approach("2026-03-05T08:00:00Z", 400.0)})  # fmt: skip
    assert len(port.of("relocate")) == 2
    later = f"2026-03-0{3 + int(RELOCATE_DRIFT_DAYS) + 1}T19:00:00Z"
    at(later, 11.9 if senses[0] < 0 else 12.1)  # the threat now on the side it drifts to
    ap._proximity(port, port.view(), "VRK-SERVICER-1", "ARD-COMSAT-2", {"range_km": 20.0})
    assert ap.relocations["ARD-COMSAT-2"][1] == -senses[0]
