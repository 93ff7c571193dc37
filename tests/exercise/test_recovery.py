"""Crash recovery: a run killed with SIGKILL mid-play and reopened with ``Exercise.open``
finishes with the same result as an uninterrupted run, and no accepted action is lost or
duplicated."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from spacerange.exercise.engine import Exercise

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "training" / "geo_rendezvous.yaml"
T_ACTION = "2026-03-04T09:00:00Z"
ACTION = {"kind": "assessment", "threat": "proximity", "confidence": 0.6,
          "objects": ["VRK-SERVICER-1", "ARD-COMSAT-2"], "narrative": "drift seen early"}  # fmt: skip

PLAYER = """
import sys, json
from spacerange.exercise.engine import Exercise
ex = Exercise.create(sys.argv[1], sys.argv[2], autopilots={"blue": "competent", "red": "competent"})
ex.run(until_utc=sys.argv[3], speed="max")
r = ex.submit_action("ardenia-ops", "alice", json.loads(sys.argv[4]))
assert r.accepted, r.errors
ex.run(speed=2400)   # 7 h of play in ~10 s of wall time: killed long before ENDEX
"""


def _comparable(run_dir: Path) -> list[tuple]:
    db = sqlite3.connect(run_dir / "events.sqlite")
    rows = db.execute(
        "SELECT sim_time_utc, kind, team, payload FROM events ORDER BY seq"
    ).fetchall()
    db.close()
    return [r for r in rows if r[1] not in ("clock", "run_started")]


def _summary(s: dict) -> dict:
    """The summary without what differs between two plays of the same run: its id, the
    event count (the recovered run logs its recovery) and wall-clock times."""
    out = {k: v for k, v in s.items() if k not in ("run", "events")}
    out["maneuver_goals"] = [{k: v for k, v in g.items() if k not in ("od_seconds", "arc_seconds")}
                             for g in out.get("maneuver_goals", [])]  # fmt: skip
    return out


def test_kill_9_then_open_finishes_like_an_uninterrupted_run(tmp_path):
    # reference: the same play without interruption
    ref = Exercise.create(SCENARIO, tmp_path / "ref",
                          autopilots={"blue": "competent", "red": "competent"})  # fmt: skip
    ref.run(until_utc=T_ACTION)
    assert ref.submit_action("ardenia-ops", "alice", ACTION).accepted
    ref.run()
    ref_summary = ref.summary()
    ref.close()

    run_dir = tmp_path / "crashed"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-c", PLAYER, str(SCENARIO), str(run_dir), T_ACTION,
                             json.dumps(ACTION)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        seen = False
        while time.monotonic() < deadline and proc.poll() is None:
            db_path = run_dir / "events.sqlite"
            if db_path.exists():
                try:
                    db = sqlite3.connect(db_path)
                    n = db.execute("SELECT COUNT(*) FROM events WHERE kind='action_submitted' "
                                   "AND payload LIKE '%alice%'").fetchone()[0]  # fmt: skip
                    db.close()
                    seen = n == 1
                except sqlite3.OperationalError:
                    pass
            if seen:
                time.sleep(1.5)  # let the paced play run on a little
                break
            time.sleep(0.1)
        assert seen, proc.stderr.read().decode() if proc.poll() is not None else "timeout"
        assert proc.poll() is None, "the player finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert not (run_dir / "summary.json").exists()  # really interrupted

    ex = Exercise.open(run_dir)
    assert not ex.finished
    ex.run()
    got = ex.summary()
    ex.close()
    assert _summary(got) == _summary(ref_summary)
    assert _comparable(run_dir) == _comparable(tmp_path / "ref")
    db = sqlite3.connect(run_dir / "events.sqlite")
    alice = db.execute("SELECT COUNT(*) FROM events WHERE kind='action_submitted' "
                       "AND payload LIKE '%alice%'").fetchone()[0]  # fmt: skip
    db.close()
    assert alice == 1
