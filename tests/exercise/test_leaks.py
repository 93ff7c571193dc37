"""The leak oracle on every bundled training scenario (competent, gaming and passive blue;
team views captured every 3 h), and on a run with a planted leak (it must find it)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from spacerange.exercise.engine import Exercise
from spacerange.exercise.leaks import leak_findings

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"
SCENARIOS = sorted(p.stem for p in TRAINING.glob("*.yaml"))


def _run(tmp_path: Path, name: str, kind: str) -> tuple[Path, dict]:
    run = tmp_path / f"{name}-{kind}"
    ex = Exercise.create(TRAINING / f"{name}.yaml", run,
                         autopilots={"blue": kind, "red": "competent"})  # fmt: skip
    players = [t.id for t in ex.scenario.teams if t.role in ("blue", "red")]
    frames: dict[str, list[dict]] = {t: [] for t in players}
    while not ex.finished:
        ex.step(3 * 3600)
        for t in players:
            frames[t].append(ex.team_view(t))
    ex.close()
    return run, frames


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_leak_on_training_scenarios(tmp_path, name):
    for kind in ("competent", "gaming"):
        run, frames = _run(tmp_path, name, kind)
        f = leak_findings(run, frames)
        assert f == [], f[:5]


def test_oracle_finds_planted_leaks(tmp_path):
    run, frames = _run(tmp_path, "leo_inspector", "passive")
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
