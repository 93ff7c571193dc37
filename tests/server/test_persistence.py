"""Crash safety: a real uvicorn subprocess is killed with SIGKILL while actions are in
flight; after a restart no accepted action is lost and the clock resumes.  Runs on SQLite
and, when ``SPACERANGE_TEST_PG`` holds a PostgreSQL URL, on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest
from srv_helpers import add_users, db_urls, free_port, login_http, resolve_db, start_server

httpx = pytest.importorskip("httpx")


@pytest.mark.slow
@pytest.mark.parametrize("db_kind", db_urls())
def test_kill9_mid_exercise_loses_no_accepted_action(scenario_file, tmp_path, db_kind):
    db = resolve_db(db_kind, tmp_path)
    add_users(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run_dir, log = tmp_path / "run", tmp_path / "server.log"
    proc = start_server(scenario_file, run_dir, db, port, log)
    try:
        hx, ha = login_http(base, "excon"), login_http(base, "ardenia")
        assert httpx.post(f"{base}/api/excon/start", headers=hx, timeout=10).status_code == 200
        accepted: list[int] = []
        stop = threading.Event()

        def shoot(k: int) -> None:
            with httpx.Client(timeout=10) as cl:
                i = 0
                while not stop.is_set():
                    act = {"kind": "assessment", "threat": "conjunction",
                           "objects": ["ARD-EO-1", "DEB-4411"], "confidence": 0.5,
                           "narrative": f"EXERCISE crash test {k}-{i}"}  # fmt: skip
                    try:
                        r = cl.post(f"{base}/api/exercise/actions", json=act, headers=ha)
                    except httpx.HTTPError:
                        return  # server died mid-request: not accepted as far as we know
                    if r.status_code == 200 and r.json()["accepted"]:
                        accepted.append(r.json()["seq"])
                    i += 1

        threads = [threading.Thread(target=shoot, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        clock_before = httpx.get(f"{base}/api/exercise/state", headers=hx).json()["sim_time_utc"]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        stop.set()
        for t in threads:
            t.join(15)
        assert len(accepted) >= 5, accepted

        proc = start_server(scenario_file, run_dir, db, port, log)
        # tokens survive the restart (signing key and sessions are in the store)
        st = httpx.get(f"{base}/api/exercise/state", headers=hx, timeout=10).json()
        assert st["running"] is True
        assert st["sim_time_utc"] >= clock_before
        acts = httpx.get(f"{base}/api/teams/ardenia-ops/actions", headers=ha, timeout=30).json()
        logged = {a["seq"] for a in acts if a["kind"] == "action_submitted"}
        missing = sorted(set(accepted) - logged)
        assert not missing, f"{len(missing)} accepted actions lost: {missing[:10]}"
        time.sleep(1.0)
        st2 = httpx.get(f"{base}/api/exercise/state", headers=hx, timeout=10).json()
        assert st2["sim_time_utc"] > st["sim_time_utc"], "clock did not resume"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
