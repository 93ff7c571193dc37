"""The leak oracle on every bundled training scenario (competent, gaming and passive blue;
team views captured every 3 h), and on a run with a planted leak (it must find it)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from spacerange.exercise.leaks import leak_findings

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"
SCENARIOS = sorted(p.stem for p in TRAINING.glob("*.yaml"))


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("kind", ["competent", "gaming", "passive"])
def test_no_leak_on_training_scenarios(play, name, kind):
    p = play(name, kind)
    f = leak_findings(p.run, p.frames)
    assert f == [], f[:5]


def test_oracle_finds_planted_leaks(play, tmp_path):
    p = play("leo_inspector", "passive")
    run, frames = p.copy_to(tmp_path / "run"), p.frames
    assert leak_findings(run, frames) == []
    con = sqlite3.connect(run / "events.sqlite")
    row = con.execute("SELECT seq, sim_time_utc, wall_time_utc, kind, team, visible_to, payload "
                      "FROM events WHERE kind = 'inject_released' AND payload LIKE "
                      "'%INJ-002%'").fetchone()  # fmt: skip
    assert row is not None and json.loads(row[5]) == []  # white only
    con.execute("UPDATE events SET visible_to = ? WHERE seq = ?",
                (json.dumps(["ardenia-ops"]), row[0]))  # fmt: skip
    con.commit()
    con.close()
    whats = {x["what"] for x in leak_findings(run) if x["team"] == "ardenia-ops"}
    assert {"inject serial", "trigger condition", "key 'threat'"} <= whats, whats
    # a truth id of a released object in a view the team never catalogued
    fr = dict(frames["ardenia-ops"][-1])
    fr["picture"] = [*fr.get("picture", []), {"id": "VRK-INSPECTOR-3B"}]
    whats = {x["what"] for x in leak_findings(run, {"ardenia-ops": [fr]})}
    assert "truth id VRK-INSPECTOR-3B" in whats
