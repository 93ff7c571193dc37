"""EXCON in play (issue 16): retime a pending inject, write an ad-hoc inject checked by the
scenario validator, jump to the next scheduled event, the MSEL as a live board and a true
clock status.  The engine hooks (replayed after a crash) and a real ``spacerange serve``."""

from __future__ import annotations

import signal
import time

import pytest
from srv_helpers import INJECT, add_users, free_port, login_http, start_server

from spacerange.exercise.engine import Exercise

httpx = pytest.importorskip("httpx")

ADHOC = {"serial": "ADHOC/CALL-1", "title": "Duty officer call", "to": ["ardenia-ops"],
         "method": "phone", "from": "National space command (sim)",
         "payload": {"text": "EXERCISE. Report your conjunction status by phone."}}  # fmt: skip


def _state(ex: Exercise) -> dict:
    return {s: (st.status, str(st.release_t)) for s, st in ex.injects.items()}


def test_engine_retime_adhoc_and_replay(scenario_file, tmp_path):
    ex = Exercise.create(scenario_file, tmp_path / "run")
    with pytest.raises(ValueError, match="not between now"):
        ex.retime_inject(INJECT, "2026-03-04T05:00:00Z")
    ex.retime_inject(INJECT, "2026-03-04T07:00:00Z")
    ex.step(45 * 60)  # 06:45: the scheduled 06:30 release is superseded
    assert ex.injects[INJECT].status == "planned"
    assert ex.excon_view()["injects"][0]["planned_utc"] == "2026-03-04T07:00:00Z"
    # the validator's messages for a bad ad-hoc inject: unknown team, duplicate serial
    inj, errs = ex.check_adhoc_inject(dict(ADHOC, to=["no-such-team"]))
    assert inj is None and any("no-such-team" in e for e in errs), errs
    inj, errs = ex.check_adhoc_inject(dict(ADHOC, serial=INJECT))
    assert inj is None and any("already" in e for e in errs), errs
    inj, errs = ex.check_adhoc_inject(dict(ADHOC, method="carrier-pigeon"))
    assert inj is None and any("method" in e for e in errs), errs
    assert ex.add_inject(dict(ADHOC, at="2026-03-04T07:30:00Z")) == "ADHOC/CALL-1"
    assert ex.injects["ADHOC/CALL-1"].status == "planned"
    ex.step(16 * 60)  # 07:01
    assert ex.injects[INJECT].status == "released"
    assert str(ex.injects[INJECT].release_t).startswith("2026-03-04T07:00:00")
    t = ex.jump_to_next_event()  # the ad-hoc inject's release is the next scripted item
    assert str(t).startswith("2026-03-04T07:30:00")
    assert ex.injects["ADHOC/CALL-1"].status == "released"
    msgs = [e for e in ex.team_view("ardenia-ops")["inbox"] if "by phone" in e.get("text", "")]
    assert len(msgs) == 1 and "ADHOC" not in str(msgs)  # words only, never the serial
    ex.step(600)
    before = _state(ex)
    ex.close()
    again = Exercise.open(tmp_path / "run")  # replay re-applies the EXCON inputs
    assert _state(again) == before
    again.close()


# ----------------------------------------------------------------- a real server
@pytest.fixture(scope="module")
def live(scenario_file, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("excon")
    db = f"sqlite:///{tmp / 'server.sqlite'}"
    add_users(db)
    port = free_port()
    proc = start_server(scenario_file, tmp / "run", db, port, tmp / "srv.log", speed=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)


def _post(base, path, hdr, body=None):
    return httpx.post(f"{base}{path}", json=body, headers=hdr, timeout=60)


def test_served_excon_controls(live):
    base = live
    ex, ard, ev, obs = (login_http(base, u) for u in ("excon", "ardenia", "evaluator", "observer"))
    # players and observers: 403 on every EXCON control and on the MSEL
    adhoc = {"serial": "ADHOC/SRV-1", "title": "Press query", "to": ["ardenia-ops"],
             "method": "media", "text": "EXERCISE. A journalist asks about a near miss."}  # fmt: skip
    for who in (ard, obs, ev):
        for path, body in [("/api/excon/inject/adhoc", adhoc), ("/api/excon/jump", None),
                           ("/api/excon/inject/retime", {"serial": INJECT,
                                                         "at_utc": "2026-03-04T07:00:00Z"})]:  # fmt: skip
            assert _post(base, path, who, body).status_code == 403, (path, who)
    for who in (ard, obs):
        assert httpx.get(f"{base}/api/excon/msel", headers=who, timeout=30).status_code == 403
    # closed schema: an unknown field is refused
    assert _post(base, "/api/excon/inject/adhoc", ex, dict(adhoc, threat="x")).status_code == 422
    # the validator's verdict before release
    r = _post(base, "/api/excon/inject/adhoc", ex, dict(adhoc, to=["nobody"], dry_run=True))
    assert r.status_code == 200 and not r.json()["detail"]["valid"], r.text
    assert any("nobody" in e for e in r.json()["detail"]["errors"]), r.text
    r = _post(base, "/api/excon/inject/adhoc", ex, dict(adhoc, to=["nobody"]))
    assert r.status_code == 422 and "nobody" in str(r.json()["detail"]), r.text
    r = _post(base, "/api/excon/inject/adhoc", ex, dict(adhoc, dry_run=True))
    assert r.status_code == 200 and r.json()["detail"]["valid"], r.text
    msel = httpx.get(f"{base}/api/excon/msel", headers=ex, timeout=30).json()
    assert [m["serial"] for m in msel] == [INJECT]  # a dry run adds nothing
    # retime, then jump: the clock lands on the new release time (paused, not started)
    r = _post(base, "/api/excon/inject/retime", ex, {"serial": INJECT,
                                                      "at_utc": "2026-03-04T07:15:00Z"})  # fmt: skip
    assert r.status_code == 200, r.text
    r = _post(base, "/api/excon/jump", ex)
    assert r.status_code == 200 and r.json()["detail"]["sim_time_utc"].startswith(
        "2026-03-04T07:15:00"), r.text  # fmt: skip
    row = httpx.get(f"{base}/api/excon/msel", headers=ev, timeout=30).json()[0]
    assert row["status"] == "released" and row["title"].startswith("First CDM")
    assert row["release_utc"].startswith("2026-03-04T07:15:00")
    assert row["teams"][0]["team"] == "ardenia-ops" and row["teams"][0]["acknowledged_utc"] is None
    assert row["teams"][0]["expected"] == 4 and row["teams"][0]["answered"] == 0
    # a released inject cannot be retimed
    r = _post(base, "/api/excon/inject/retime", ex, {"serial": INJECT,
                                                      "at_utc": "2026-03-04T09:00:00Z"})  # fmt: skip
    assert r.status_code == 409
    # the team answers: acknowledged and one expected action answered
    act = {"kind": "assessment", "threat": "conjunction", "objects": ["ARD-EO-1", "DEB-4411"],
           "confidence": 0.8, "narrative": "EXERCISE high-Pc conjunction with DEB-4411"}  # fmt: skip
    assert _post(base, "/api/exercise/actions", ard, act).json()["accepted"]
    row = httpx.get(f"{base}/api/excon/msel", headers=ex, timeout=30).json()[0]
    assert row["teams"][0]["acknowledged_utc"] is not None
    assert row["teams"][0]["answered"] == 1
    # the ad-hoc inject, released now: the team gets its words, the MSEL its row
    r = _post(base, "/api/excon/inject/adhoc", ex, adhoc)
    assert r.status_code == 200, r.text
    inbox = httpx.get(f"{base}/api/exercise/view", headers=ard, timeout=30).json()["inbox"]
    assert any("journalist" in (i.get("text") or "") for i in inbox)
    assert "ADHOC/SRV-1" not in str(inbox)
    rows = {m["serial"]: m for m in httpx.get(f"{base}/api/excon/msel", headers=ex).json()}
    assert rows["ADHOC/SRV-1"]["origin"] == "adhoc" and rows["ADHOC/SRV-1"]["status"] == "released"
    r = _post(base, "/api/excon/inject/adhoc", ex, adhoc)  # the same serial again
    assert r.status_code == 422 and "already" in str(r.json()["detail"])
    # clock status: the server's clock, on every read (cached views too)
    assert _post(base, "/api/excon/speed", ex, {"speed": 600}).status_code == 200
    for _ in range(2):
        v = httpx.get(f"{base}/api/excon/view", headers=ex, timeout=30).json()
        assert v["paused"] is True and v["running"] is False and v["speed"] == 600
    assert _post(base, "/api/excon/start", ex).status_code == 200
    time.sleep(0.5)
    for _ in range(2):
        v = httpx.get(f"{base}/api/excon/view", headers=ex, timeout=30).json()
        assert v["paused"] is False and v["running"] is True and v["speed"] == 600
    assert _post(base, "/api/excon/pause", ex).status_code == 200


def test_msel_board_acknowledgement_and_order():
    from spacerange.server.msel import msel_board

    injects = [
        {"serial": "B", "title": "later", "status": "planned", "to": ["blue-1"],
         "planned_utc": "2026-03-04T09:00:00Z", "expected": []},
        {"serial": "A", "title": "first", "status": "released", "to": ["blue-1", "excon"],
         "release_utc": "2026-03-04T07:00:00Z",
         "expected": [{"team": "blue-1", "action": "assessment", "done_utc": "2026-03-04T07:20:00Z"},
                      {"team": "blue-1", "action": "maneuver", "done_utc": None}]},
    ]  # fmt: skip
    events = [
        # before the release: not an acknowledgement
        {"kind": "action_submitted", "sim_time_utc": "2026-03-04T06:59:59.9Z",
         "payload": {"team": "blue-1"}},
        # same second as the release, fractional: it is
        {"kind": "action_submitted", "sim_time_utc": "2026-03-04T07:00:00.5Z",
         "payload": {"team": "blue-1"}},
        {"kind": "rating", "sim_time_utc": "2026-03-04T08:00:00Z",
         "payload": {"serial": "A", "team": "blue-1", "rating": "S", "source": "auto",
                     "critical_task": "CT-1"}},
    ]  # fmt: skip
    rows = msel_board(injects, events, {"blue-1": "blue", "excon": "white"})
    assert [r["serial"] for r in rows] == ["A", "B"]
    a = rows[0]
    assert [t["team"] for t in a["teams"]] == ["blue-1"]  # the white cell is not a player
    assert a["teams"][0]["acknowledged_utc"] == "2026-03-04T07:00:00.5Z"
    assert (a["teams"][0]["answered"], a["teams"][0]["expected"]) == (1, 2)
    assert a["rated"] and a["ratings"][0]["rating"] == "S"
    assert not rows[1]["rated"] and rows[1]["teams"][0]["acknowledged_utc"] is None
