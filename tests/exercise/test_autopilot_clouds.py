"""The competent cell's handling of uncorrelated tracks on hand-made views (no engine):
two clouds in two planes are two fragmentations, a launch is new objects, a cloud's parent
is the coplanar orbit through the pieces' radii, allies' new objects are catalogued from
the shared tracks, and manoeuvre alerts on cloud pieces are triaged out."""

from __future__ import annotations

import math

import numpy as np
from recording_port import RecordingPort

from spacerange.constants import MU_WGS84_KM3_S2
from spacerange.exercise.autopilot import CompetentAutopilot
from spacerange.exercise.teamview import TeamView


def _state(a_km: float, inc_deg: float, raan_deg: float, u_deg: float, e: float = 0.0):
    """TEME-like state of an orbit at argument of latitude ``u`` (perigee at u = 0)."""
    i, o, u = map(math.radians, (inc_deg, raan_deg, u_deg))
    p = a_km * (1 - e * e)
    r = p / (1 + e * math.cos(u))
    rp = np.array([r * math.cos(u), r * math.sin(u), 0.0])
    vp = math.sqrt(MU_WGS84_KM3_S2 / p) * np.array([-math.sin(u), e + math.cos(u), 0.0])
    rot = np.array([[math.cos(o), -math.sin(o), 0], [math.sin(o), math.cos(o), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, math.cos(i), -math.sin(i)], [0, math.sin(i), math.cos(i)]])
    m = rot @ rx
    return (m @ rp).tolist(), (m @ vp).tolist()


def _track(oid: str, a_km, inc, raan, u, e=0.0, name=None) -> dict:
    r, v = _state(a_km, inc, raan, u, e)
    return {"id": oid, "name": name or oid, "r_km": r, "v_km_s": v}


class _Port(RecordingPort):
    def __init__(self, items, clock="2026-03-07T06:00:00Z"):
        super().__init__()
        self.items, self.clock = list(items), clock

    def view(self):
        return TeamView(team="ardenia-ops", role="blue", clock_utc=self.clock,
                        picture_items=tuple(self.items), sensors=("GRAVES",),
                        assets=({"id": "ARD-EO-1", **_track("ARD-EO-1", 7000, 97.9, 10, 0)},))  # fmt: skip

    def closest_approach(self, a, b, hours=48.0):
        return None


def _uct(port, ap, ids):
    ap.on_event(port, "alert", {"kind": "uct", "objects": ids})


def _cloud(prefix: str, n: int, a, inc, raan, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    # pieces of one break-up: planes within ~0.5 deg, semi-major axes spread by ejection
    return [_track(f"ARDENIA-OPS-UCT-{prefix}{k:02d}", a + rng.normal(0, 40),
                   inc + rng.normal(0, 0.3), raan + rng.normal(0, 0.3), rng.uniform(0, 360),
                   e=abs(rng.normal(0.004, 0.002))) for k in range(n)]  # fmt: skip


def test_two_clouds_in_two_planes_are_two_fragmentations_with_their_parents():
    parent1 = _track("RB-OLD-77", 7158, 98.5, 40.0, 10)
    decoy = _track("SYN SAT 0001", 7158, 98.5, 48.0, 20)  # same shell, 8 deg off in RAAN
    high = _track("SYN SAT 0002", 7700, 98.5, 40.2, 30)  # same plane, far above the pieces
    parent2 = _track("VRK-WX-9", 6850, 72.0, 200.0, 0)
    c1, c2 = _cloud("1", 12, 7158, 98.5, 40.0, 1), _cloud("2", 12, 6850, 72.0, 200.0, 2)
    port = _Port([parent1, decoy, high, parent2, *c1, *c2])
    ap = CompetentAutopilot()
    _uct(port, ap, [t["id"] for t in c1[:6]])
    assert not port.of("assessment", "fragmentation")  # six new tracks: new objects so far
    _uct(port, ap, [t["id"] for t in c1[6:]])
    frag = port.of("assessment", "fragmentation")
    assert len(frag) == 1 and frag[0]["objects"][:1] == ["RB-OLD-77"], frag
    # later pieces of the first cloud are its pieces, not a new event; the second cloud is
    port.clock = "2026-03-13T12:00:00Z"
    _uct(port, ap, [t["id"] for t in c2])
    frag = port.of("assessment", "fragmentation")
    assert len(frag) == 2 and frag[1]["objects"][:1] == ["VRK-WX-9"], frag
    traces = [t for _, t in port.tasks if t.get("do") == "trace"]
    assert [t["cloud"] for t in traces] == [0, 1]
    catalogued = {o for a in port.of("catalog_update") for o in a["objects"]}
    assert {t["id"] for t in c1 + c2} <= catalogued


def test_a_launch_is_new_objects_not_a_fragmentation():
    launch = [_track(f"ARDENIA-OPS-UCT-L{k}", 6928, 53.0, 75.0, 3.0 * k) for k in range(8)]
    port = _Port(launch)
    ap = CompetentAutopilot()
    _uct(port, ap, [t["id"] for t in launch])
    assert not port.of("assessment", "fragmentation")
    assert port.of("catalog_update") and port.of("report", "launch")


def test_manoeuvre_alerts_on_cloud_pieces_are_triaged():
    c1 = _cloud("1", 12, 7158, 98.5, 40.0, 3)
    port = _Port([_track("RB-OLD-77", 7158, 98.5, 40.0, 10), *c1])
    ap = CompetentAutopilot()
    _uct(port, ap, [t["id"] for t in c1])
    n = len(port.sent)
    ap.on_event(port, "alert", {"kind": "maneuver", "objects": [c1[3]["id"]]})
    assert len(port.sent) == n  # a fragment does not manoeuvre
    port.items.append(_track("SYN SAT 0042", 7000, 60.0, 10.0, 0))
    ap.on_event(port, "alert", {"kind": "maneuver", "objects": ["SYN SAT 0042"]})
    assert port.of("assessment", "maneuver")


def test_allies_new_objects_are_catalogued_from_their_shared_tracks():
    ally = [_track(f"BOREALIS-OPS-UCT-06{k}", 6928, 53.0, 75.0, 3.0 * k) for k in range(3)]
    own = _track("ARDENIA-OPS-UCT-0001", 7000, 50.0, 0.0, 0)
    port = _Port([*ally, own, _track("SYN SAT 0001", 7000, 60.0, 0.0, 0)])
    ap = CompetentAutopilot()
    ap.on_event(port, "message", {"method": "team", "kind": "share", "from": "borealis-ops",
                                  "text": "EXERCISE. borealis-ops is sending omm, cdm."})  # fmt: skip
    look = [t for _, t in port.tasks if t["do"] == "shared"]
    assert look == [{"do": "shared", "from": "borealis-ops"}]
    assert not port.of("catalog_update")  # the products arrive after the agreement's delay
    ap.on_task(port, look[0])
    assert [a["objects"] for a in port.of("catalog_update")] == [[t["id"] for t in ally]]
    ap.on_task(port, look[0])  # catalogued once
    assert len(port.of("catalog_update")) == 1


def test_an_allys_breakup_notification_is_assessed_once_and_own_clouds_are_notified():
    c1 = _cloud("1", 12, 7158, 98.5, 40.0, 4)
    port = _Port([_track("RB-OLD-77", 7158, 98.5, 40.0, 10), *c1])
    ap = CompetentAutopilot()
    note = {"method": "team", "kind": "notify", "from": "borealis-ops",
            "text": "EXERCISE. fragmentation: break-up of RB-OLD-77, 40 new tracks "
                    "(RB-OLD-77, BOREALIS-OPS-UCT-0001)."}  # fmt: skip
    ap.on_event(port, "message", note)
    ap.on_event(port, "message", note)
    frag = port.of("assessment", "fragmentation")
    assert [a["objects"] for a in frag] == [["RB-OLD-77"]]
    # a cloud of our own: characterized and notified to the allies
    ap2, port2 = CompetentAutopilot(), _Port(port.items)
    _uct(port2, ap2, [t["id"] for t in c1])
    notes = port2.of("notify")
    assert notes and "fragmentation" in notes[0]["text"] and "RB-OLD-77" in notes[0]["text"]


def test_the_planes_of_one_collision_are_one_event():
    """A collision scatters pieces into both objects' planes (and fast pieces beyond):
    bursts in other planes within hours of the first are catalogued, not re-assessed."""
    c1, c2 = _cloud("1", 12, 7158, 98.5, 40.0, 5), _cloud("2", 12, 7160, 51.8, 300.0, 6)
    port = _Port([_track("RB-OLD-77", 7158, 98.5, 40.0, 10), *c1, *c2])
    ap = CompetentAutopilot()
    _uct(port, ap, [t["id"] for t in c1])
    port.clock = "2026-03-07T08:00:00Z"
    _uct(port, ap, [t["id"] for t in c2])
    assert len(port.of("assessment", "fragmentation")) == 1
    catalogued = {o for a in port.of("catalog_update") for o in a["objects"]}
    assert {t["id"] for t in c1 + c2} <= catalogued
    assert len(ap.clouds) == 2  # both planes sort later pieces
