"""Players' boards (issue 16): one row per conjunction event with its Pc trend, one row per
submitted action with its outcome, the team's own sensors with their coverage.  Unit tests
of ``server/boards.py`` and the boards as a real ``spacerange serve`` process serves them."""

from __future__ import annotations

import math
import signal
import time

import pytest
from srv_helpers import INJECT, add_users, free_port, login_http, start_server

from spacerange.server.boards import (
    action_log,
    conjunction_board,
    coverage_radius_km,
    sensor_sites,
)

httpx = pytest.importorskip("httpx")


def _cdm(t, o1, o2, tca, miss, pc):
    return {"creation_utc": t, "object1": o1, "object2": o2, "tca_utc": tca, "miss_m": miss,
            "pc": pc, "pc_note": None}  # fmt: skip


VIEW = {
    "clock_utc": "2026-03-04T09:00:00.250000Z",
    "assets": [{"id": "ARD-EO-1"}],
    "cdms": [
        _cdm("2026-03-04T06:10:00Z", "ARD-EO-1", "DEB-4411", "2026-03-04T16:30:00Z", 398.6, 1.9e-5),
        _cdm("2026-03-04T07:10:00Z", "ARD-EO-1", "DEB-4411", "2026-03-04T16:30:02Z", 237.1, 7.1e-5),
        # the same update as a second product: not a second point of the trend
        _cdm("2026-03-04T07:10:00Z", "ARD-EO-1", "DEB-4411", "2026-03-04T16:30:02Z", 237.1, 7.1e-5),
        # another pair, own asset second in the CDM, lower Pc
        _cdm("2026-03-04T07:10:00Z", "SYN DEB 0001", "ARD-EO-1", "2026-03-04T12:00:00Z", 900, 2e-6),
        # the same pair one orbit later: another event
        _cdm("2026-03-04T08:10:00Z", "ARD-EO-1", "DEB-4411", "2026-03-04T18:05:00Z", 5000, 1e-9),
        # a passed event, high Pc: sorted after the open ones
        _cdm("2026-03-04T06:10:00Z", "ARD-EO-1", "SYN SAT 0002", "2026-03-04T08:00:00Z", 50, 1e-3),
    ],
    "conjunctions": [  # the same first update as a conjunction_update (``objects``)
        {
            "objects": ["ARD-EO-1", "DEB-4411"],
            "tca_utc": "2026-03-04T16:30:00Z",
            "miss_m": 398.6,
            "pc": 1.9e-5,
            "sim_time_utc": "2026-03-04T06:10:00Z",
        },
    ],
}


def test_board_one_row_per_event_sorted_by_risk():
    rows = conjunction_board(VIEW, VIEW["clock_utc"])
    pairs = [(r["object1"], r["object2"], r["tca_utc"]) for r in rows]
    assert pairs == [
        ("ARD-EO-1", "DEB-4411", "2026-03-04T16:30:02Z"),  # Pc 7.1e-5
        ("ARD-EO-1", "SYN DEB 0001", "2026-03-04T12:00:00Z"),  # own asset first, Pc 2e-6
        ("ARD-EO-1", "DEB-4411", "2026-03-04T18:05:00Z"),  # Pc 1e-9
        ("ARD-EO-1", "SYN SAT 0002", "2026-03-04T08:00:00Z"),  # passed
    ]
    top = rows[0]
    assert top["updates"] == 2 and [u["pc"] for u in top["trend"]] == [1.9e-5, 7.1e-5]
    assert top["pc_change"] == pytest.approx(7.1e-5 / 1.9e-5)
    assert top["tca_in_s"] == 7 * 3600 + 30 * 60 + 2 and not top["passed"]
    assert rows[-1]["passed"] and rows[-1]["tca_in_s"] == -3600
    # UTC to the second everywhere
    for r in rows:
        assert "." not in r["tca_utc"] and "." not in r["last_update_utc"]


def test_action_log_one_row_per_action_with_outcome():
    view = dict(VIEW, actions=[
        {"kind": "action_submitted", "seq": 11, "sim_time_utc": "2026-03-04T07:00:00.5Z",
         "user": "alice", "action": {"kind": "maneuver", "asset": "ARD-EO-1",
                                     "dv_rtn_mps": [0, 0.3, 0], "epoch_utc": "2026-03-04T07:10:00Z"}},
        {"kind": "action_applied", "submitted_seq": 11, "sim_time_utc": "2026-03-04T07:10:00Z",
         "action": {"kind": "maneuver"},
         "effects": {"world_events": [{"type": "maneuver", "objects": ["ARD-EO-1"],
                                       "details": {"dv_mps": 0.3}}]}},
        {"kind": "action_submitted", "seq": 13, "sim_time_utc": "2026-03-04T07:00:00Z",
         "action": {"kind": "tasking", "sensor": "TIRA", "objects": ["DEB-4411"]}},
        {"kind": "action_submitted", "seq": 14, "sim_time_utc": "2026-03-04T07:01:00Z",
         "action": {"kind": "maneuver", "asset": "ARD-EO-1", "dv_rtn_mps": [0, 90, 0]}},
        {"kind": "action_rejected", "submitted_seq": 14, "sim_time_utc": "2026-03-04T07:01:00Z",
         "errors": ["maneuver.dv_rtn_mps: 90.000 m/s exceeds the remaining delta-v"]},
        {"kind": "action_submitted", "seq": 16, "sim_time_utc": "2026-03-04T07:02:00Z",
         "action": {"kind": "maneuver", "asset": "ARD-EO-1", "dv_rtn_mps": [0, 0.1, 0],
                    "epoch_utc": "2026-03-04T17:00:00Z"}},
    ])  # fmt: skip
    board = conjunction_board(view, view["clock_utc"])
    rows = action_log(view, board)
    assert [r["seq"] for r in rows] == [16, 14, 13, 11]
    by = {r["seq"]: r for r in rows}
    assert by[16]["status"] == "pending"
    assert by[14]["status"] == "rejected" and "exceeds" in by[14]["outcome"]
    assert by[13]["subject"] == "TIRA | DEB-4411"
    assert by[11]["status"] == "applied" and "dV 0.30 m/s" in by[11]["outcome"]
    assert by[11]["submitted_utc"] == "2026-03-04T07:00:00Z"
    # the first update of our screening after the burn (07:10): miss 5000 m next orbit
    after = {(a["object2"], a["t_utc"]) for a in by[11]["screening_after"]}
    assert ("DEB-4411", "2026-03-04T08:10:00Z") in after
    for r in rows:  # no JSON noise
        assert '""' not in r["subject"] + r["outcome"] and "{}" not in r["subject"] + r["outcome"]


def test_coverage_radius_against_smad_geometry():
    """Wertz (SMAD 3rd ed., sec. 5.2): sin(eta) = Re cos(el) / (Re + h), lambda = 90 deg -
    el - eta; the horizon at el = 0 is acos(Re / (Re + h)).  Iridium (h 780 km, el 8.2 deg)
    covers a circle of ~2200 km radius."""
    re_km = 6378.137
    for h, el in [(800.0, 0.0), (800.0, 10.0), (780.0, 8.2), (1000.0, 5.0)]:
        eta = math.degrees(math.asin(re_km * math.cos(math.radians(el)) / (re_km + h)))
        lam = 90.0 - el - eta
        assert coverage_radius_km(el, None, h) == pytest.approx(re_km * math.radians(lam))
    assert coverage_radius_km(8.2, None, 780.0) == pytest.approx(2215, abs=10)
    # a range limit shorter than the horizon distance wins: slant 1000 km to 800 km altitude
    lam = math.acos((re_km**2 + (re_km + 800) ** 2 - 1000.0**2) / (2 * re_km * (re_km + 800)))
    assert coverage_radius_km(0.0, 1000.0, 800.0) == pytest.approx(re_km * lam)
    assert coverage_radius_km(0.0, 700.0, 800.0) == 0.0


def test_sensor_sites_are_the_teams_own(scenario_file):
    from spacerange.exercise.validate import load_scenario

    sc = load_scenario(scenario_file)
    sites = sensor_sites(sc, "ardenia-ops")
    assert [s["id"] for s in sites] == ["GRAVES", "TIRA", "CHILBOLTON"]
    graves = sites[0]
    assert graves["lat_deg"] == pytest.approx(47.348) and graves["lon_deg"] == pytest.approx(5.515)
    assert 0 < graves["coverage_radius_km"] < 3000
    assert sensor_sites(sc, "borealis-ops") == []  # plays no actor: no sensor


# ----------------------------------------------------------------- a real server
@pytest.fixture(scope="module")
def live(scenario_file, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("boards")
    db = f"sqlite:///{tmp / 'server.sqlite'}"
    add_users(db)
    port = free_port()
    proc = start_server(scenario_file, tmp / "run", db, port, tmp / "srv.log", speed=1800)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)


def _view(base, hdr):
    r = httpx.get(f"{base}/api/exercise/view", headers=hdr, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_served_boards(live):
    base = live
    ex, ard, bor = (login_http(base, u) for u in ("excon", "ardenia", "borealis"))
    assert httpx.post(f"{base}/api/excon/start", headers=ex, timeout=30).status_code == 200
    httpx.post(f"{base}/api/excon/inject/release", json={"serial": INJECT}, headers=ex, timeout=30)
    v = _view(base, ard)
    # tasking through the picker: a sensor of the team's own list is accepted
    sensors = [s["id"] for s in v["sensor_sites"]]
    assert sensors == ["GRAVES", "TIRA", "CHILBOLTON"]
    task = {"kind": "tasking", "sensor": sensors[1], "objects": ["DEB-4411"], "priority": 1}
    r = httpx.post(f"{base}/api/exercise/actions", json=task, headers=ard, timeout=30)
    assert r.json()["accepted"], r.text
    burn = {"kind": "maneuver", "asset": "ARD-EO-1", "dv_rtn_mps": [0, 0.3, 0]}
    r = httpx.post(f"{base}/api/exercise/actions", json=burn, headers=ard, timeout=30)
    assert r.json()["accepted"], r.text
    burn_seq = r.json()["seq"]
    deadline = time.time() + 60
    while time.time() < deadline:
        v = _view(base, ard)
        done = {a["seq"]: a["status"] for a in v["action_log"]}
        if v["conjunction_board"] and done.get(burn_seq) == "applied":
            break
        time.sleep(0.5)
    board = v["conjunction_board"]
    assert board, "no conjunction on the board"
    keys = [(r["object1"], r["object2"], r["tca_utc"]) for r in board]
    assert len(keys) == len(set(keys))  # one row per event
    assert all(r["object1"] and r["object2"] for r in board)  # names from object1/object2
    assert board[0]["object1"] == "ARD-EO-1" and board[0]["object2"] == "DEB-4411"
    open_pcs = [r["pc"] for r in board if not r["passed"] and r["pc"] is not None]
    assert open_pcs == sorted(open_pcs, reverse=True)
    assert sum(r["updates"] for r in board) <= len(v["cdms"]) + len(v["conjunctions"])
    log = v["action_log"]
    assert [r["seq"] for r in log] == sorted({r["seq"] for r in log}, reverse=True)
    assert {r["kind"] for r in log} >= {"tasking", "maneuver"}
    assert next(r for r in log if r["seq"] == burn_seq)["status"] == "applied"
    # fog of war: another blue team's boards hold nothing of Ardenia's
    other = _view(base, bor)
    assert other["sensor_sites"] == [] and other["action_log"] == []
    assert "ARD-EO-1" not in str(other["conjunction_board"])
    # a sensor the team does not own is refused by the engine
    bad = dict(task, sensor="GESTRA")
    r = httpx.post(f"{base}/api/exercise/actions", json=bad, headers=ard, timeout=30)
    assert r.status_code == 200 and not r.json()["accepted"]
