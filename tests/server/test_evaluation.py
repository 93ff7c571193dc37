"""Evaluators in play (issue 16): ratings and notes per critical task tied to an inject
and a scenario time, and the queue of criteria still to rate, over a real server."""

from __future__ import annotations

import signal

import pytest
import yaml
from srv_helpers import INJECT, add_users, free_port, login_http, start_server

from spacerange.exercise.engine import Exercise

httpx = pytest.importorskip("httpx")

GUIDANCE = "Was the post-manoeuvre ephemeris shared with the screening provider in time?"


@pytest.fixture(scope="module")
def eval_scenario(scenario_file, tmp_path_factory):
    """The drill with one evaluator criterion added to its inject (CT-CA.3)."""
    d = yaml.safe_load(scenario_file.read_text())
    inj = d["events"][0]["incidents"][0]["injects"][0]
    inj["evaluation"].append({"method": "evaluator", "guidance": GUIDANCE,
                              "critical_task": "CT-CA.3"})  # fmt: skip
    path = tmp_path_factory.mktemp("evs") / "ca_eval.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def test_rating_tie_is_replayed(eval_scenario, tmp_path):
    ex = Exercise.create(eval_scenario, tmp_path / "run")
    ex.release_inject(INJECT)
    ex.step(1800)
    ex.rate("ardenia-ops", "OBJ-CA", "S", "late share", "eve", "CT-CA.3", serial=INJECT,
            observed_utc="2026-03-04T06:20:00Z")  # fmt: skip
    with pytest.raises(KeyError):
        ex.rate("ardenia-ops", "OBJ-CA", "S", None, "eve", "CT-CA.3", serial="NO/SUCH")
    ex.close()
    again = Exercise.open(tmp_path / "run")
    recs = [r for r in again.adjudicator.records if r.source == "evaluator"]
    assert [(r.serial, r.critical_task, r.rating) for r in recs] == [(INJECT, "CT-CA.3", "S")]
    ev = [e for e in again.events() if e["kind"] == "rating"][-1]
    assert ev["payload"]["observed_utc"] == "2026-03-04T06:20:00Z"
    again.close()


@pytest.fixture(scope="module")
def live(eval_scenario, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evaluation")
    db = f"sqlite:///{tmp / 'server.sqlite'}"
    add_users(db)
    port = free_port()
    proc = start_server(eval_scenario, tmp / "run", db, port, tmp / "srv.log", speed=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)


def _get(base, path, hdr):
    r = httpx.get(f"{base}{path}", headers=hdr, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_served_rating_queue(live):
    base = live
    ex, ev, ard = (login_http(base, u) for u in ("excon", "evaluator", "ardenia"))
    c = _get(base, "/api/excon/criteria", ev)
    assert c["queue"] == [] and c["criteria"] == []  # nothing released yet
    assert {o["id"] for o in c["objectives"]} == {"OBJ-CA"}
    assert {t["id"] for t in c["critical_tasks"]} == {"CT-CA.1", "CT-CA.2", "CT-CA.3"}
    httpx.post(f"{base}/api/excon/inject/release", json={"serial": INJECT}, headers=ex)
    c = _get(base, "/api/excon/criteria", ev)
    assert [(q["serial"], q["team"], q["critical_task"]) for q in c["queue"]] == [
        (INJECT, "ardenia-ops", "CT-CA.3")
    ]
    q = c["queue"][0]
    assert q["guidance"] == GUIDANCE and q["objectives"] == ["OBJ-CA"]
    assert "ephemeris" in q["critical_task_text"]
    autos = [x for x in c["criteria"] if x["method"] == "automatic"]
    assert len(autos) == 3 and {x["status"] for x in autos} == {"awaiting_rule"}
    now = _get(base, "/api/exercise/state", ev)["sim_time_utc"]
    rate = {"team": "ardenia-ops", "objective": "OBJ-CA", "rating": "M",
            "note": "EXERCISE: ephemeris not shared", "critical_task": "CT-CA.3",
            "serial": INJECT, "observed_utc": now[:19] + "Z"}  # fmt: skip
    bad = [(dict(rate, critical_task="CT-XX"), 422), (dict(rate, observed_utc="2026-03-04T17:00:00Z"), 422),
           (dict(rate, serial="NO/SUCH"), 404), (dict(rate, extra=1), 422),
           (dict(rate, team="observers"), 422)]  # fmt: skip
    for body, code in bad:
        r = httpx.post(f"{base}/api/excon/rate", json=body, headers=ev, timeout=30)
        assert r.status_code == code, (body, r.text)
    assert _get(base, "/api/excon/criteria", ev)["queue"], "a refused rating rated nothing"
    r = httpx.post(f"{base}/api/excon/rate", json=rate, headers=ev, timeout=30)
    assert r.status_code == 200, r.text
    note = {"text": "EXERCISE: phone call to the provider at STARTEX", "team": "ardenia-ops",
            "serial": INJECT, "observed_utc": "2026-03-04T06:00:00Z"}  # fmt: skip
    r = httpx.post(f"{base}/api/excon/note", json=dict(note, serial="NO/SUCH"), headers=ev)
    assert r.status_code == 404, r.text
    assert httpx.post(f"{base}/api/excon/note", json=note, headers=ev).status_code == 200
    c = _get(base, "/api/excon/criteria", ev)
    assert c["queue"] == []
    done = next(x for x in c["criteria"] if x["critical_task"] == "CT-CA.3")
    assert done["status"] == "rated" and done["rating"] == "M" and done["rated_by"] == "evaluator"
    assert done["observed_utc"] == rate["observed_utc"]
    row = _get(base, "/api/excon/msel", ex)[0]
    assert row["rated"] and row["ratings"][0]["critical_task"] == "CT-CA.3"
    assert row["notes"][0]["observed_utc"] == "2026-03-04T06:00:00Z"
    s = _get(base, "/api/exercise/summary", ev)
    assert s["teams"]["ardenia-ops"]["critical_tasks"]["CT-CA.3"] == "M"
    # players never see ratings or notes
    evs = _get(base, "/api/exercise/events", ard)
    assert not [e for e in evs if e["kind"] in ("rating", "evaluator_note")]
    assert "ephemeris not shared" not in str(_get(base, "/api/exercise/view", ard))
