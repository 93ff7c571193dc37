"""The competent autopilot answers a re-entry forecast request like an analyst (issue 12):
a prediction computed at the request from its own tracks, for the tracks that decay in the
future only, and updates as the window tightens -- never the stale products it saw.

A fake port (only what :class:`~spacerange.exercise.teamview.TeamPort` offers the
autopilot: the view, ``reentry_window``, ``submit`` and ``schedule``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np

from spacerange.constants import MU_WGS84_KM3_S2, RE_WGS84_KM
from spacerange.exercise.autopilot import CompetentAutopilot

T0 = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _item(oid: str, perigee_km: float, apogee_km: float) -> dict:
    """A picture item at perigee of an orbit perigee x apogee altitude [km]."""
    rp, ra = RE_WGS84_KM + perigee_km, RE_WGS84_KM + apogee_km
    a = (rp + ra) / 2
    vp = np.sqrt(MU_WGS84_KM3_S2 * (2 / rp - 1 / a))
    return {"id": oid, "r_km": [rp, 0.0, 0.0], "v_km_s": [0.0, float(vp), 0.0]}


class _Port:
    """The team's port: its picture and its own decay predictions at ``now``
    (``windows``: object -> most likely re-entry, window +/- 20 % of the time left)."""

    def __init__(self, items: list[dict], decay: dict[str, datetime]):
        self.now, self.items, self.decay = T0, items, decay
        self.submitted: list[dict] = []
        self.scheduled: list[tuple[float, dict]] = []

    def view(self):
        return SimpleNamespace(clock_utc=_iso(self.now), picture=tuple(self.items), role="blue",
                               team="corvania-ops", teams={}, share_to=[], assets=[])  # fmt: skip

    def reentry_window(self, oid: str) -> dict | None:
        ml = self.decay.get(oid)
        if ml is None:
            return None
        half = max(0.2 * (ml - self.now).total_seconds(), 600.0)
        return {"object": oid, "most_likely": _iso(ml),
                "window_start": _iso(ml - timedelta(seconds=half)),
                "window_end": _iso(ml + timedelta(seconds=half)), "footprint": []}  # fmt: skip

    def submit(self, action: dict):
        self.submitted.append(action)
        return True, []

    def schedule(self, delay_s: float, task: dict) -> None:
        self.scheduled.append((delay_s, task))

    def predictions(self) -> list[dict]:
        out = [a for a in self.submitted if a["kind"] == "reentry_prediction"]
        self.submitted.clear()
        return out


def test_request_answered_with_fresh_predictions_of_decaying_tracks_only():
    stage = T0 + timedelta(days=2, hours=5)
    port = _Port(
        [_item("CORE-STAGE-5", 190.0, 260.0), _item("DEB-1", 150.0, 900.0),
         _item("HIGH-SAT", 700.0, 720.0), _item("OLD-DEB", 120.0, 140.0)],
        {"CORE-STAGE-5": stage, "DEB-1": T0 + timedelta(days=9),
         "HIGH-SAT": T0 + timedelta(days=12)},
    )  # fmt: skip
    ap = CompetentAutopilot()
    # products seen earlier, now stale: most likely already past, or no longer predicted
    for oid, ml in (("CORE-STAGE-5", T0 - timedelta(hours=11)), ("GONE-1", T0 - timedelta(days=1)),
                    ("OLD-DEB", T0 - timedelta(hours=2))):  # fmt: skip
        ap.on_event(port, "reentry_prediction",
                    {"object": oid, "most_likely": _iso(ml), "window_start": _iso(ml),
                     "window_end": _iso(ml), "footprint": []})  # fmt: skip
    assert not port.submitted  # a product is not an answer
    ap.on_event(port, "message", {"method": "phone", "from": "civil protection",
                                  "text": "EXERCISE. Could debris fall? We need a window."})  # fmt: skip
    got = {a["object"]: a for a in port.predictions()}
    # the low-perigee tracks with a re-entry to come; not the high one, not the stale
    assert set(got) == {"CORE-STAGE-5", "DEB-1"}
    assert got["CORE-STAGE-5"]["most_likely"] == _iso(stage)  # computed now, not remembered
    assert all(datetime.fromisoformat(a["most_likely"].replace("Z", "+00:00")) > T0
               for a in got.values())  # fmt: skip

    # the follow-up: nothing new until the window tightens, then an update; none after
    # the re-entry
    delay, task = next(x for x in port.scheduled if x[1].get("update"))
    port.scheduled.clear()
    port.now = T0 + timedelta(seconds=delay)
    ap.on_task(port, task)
    assert port.predictions() == []
    port.now = T0 + timedelta(hours=18)  # 35 h left instead of 53 h: window -34 %
    ap.on_task(port, task)
    upd = port.predictions()
    assert [a["object"] for a in upd] == ["CORE-STAGE-5"]
    assert upd[0]["most_likely"] == _iso(stage)
    port.now = stage + timedelta(hours=1)
    port.decay.pop("CORE-STAGE-5")
    port.decay["DEB-1"] = port.now + timedelta(days=1)  # moved out of its window
    ap.on_task(port, task)
    assert [a["object"] for a in port.predictions()] == ["DEB-1"]


def test_request_before_any_decaying_track_looks_again_later():
    port = _Port([_item("HIGH-SAT", 700.0, 720.0)], {})
    ap = CompetentAutopilot()
    ap.on_event(port, "message", {"method": "phone", "from": "civil protection",
                                  "text": "EXERCISE. A large stage is falling. Window?"})  # fmt: skip
    assert port.predictions() == []
    assert [t for _, t in port.scheduled if t["do"] != "geo_watch"] == [
        {"do": "reentry", "retry": 1}
    ]
