"""Competent and passive scripted players on every training scenario: a competent blue cell
performs each inject's expected actions in time (objectives rated P or S), a passive one
does not (M or U)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacerange.exercise.engine import Exercise

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"
SCENARIOS = sorted(p.stem for p in TRAINING.glob("*.yaml"))


def _blue_ratings(tmp_path: Path, name: str, kind: str) -> dict[str, str]:
    ex = Exercise.create(TRAINING / f"{name}.yaml", tmp_path / kind,
                         autopilots={"blue": kind, "red": "competent"})  # fmt: skip
    ex.run()
    s = ex.summary()
    ex.close()
    assert s["finished"]
    out = {}
    for tid, t in s["teams"].items():
        if t["role"] == "blue":
            for obj, r in t["ratings"].items():
                out[f"{tid}:{obj}"] = r
    assert out, f"{name}: no blue rating"
    return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_competent_blue_performs_passive_does_not(tmp_path, name):
    good = _blue_ratings(tmp_path, name, "competent")
    bad = _blue_ratings(tmp_path, name, "passive")
    assert all(r in ("P", "S") for r in good.values()), good
    assert all(r in ("M", "U") for r in bad.values()), bad


def test_competent_avoidance_keeps_pc_below_threshold(tmp_path):
    ex = Exercise.create(TRAINING / "high_pc_conjunction.yaml", tmp_path / "run",
                         autopilots={"blue": "competent"})  # fmt: skip
    ex.run()
    f = ex.world.functions(None)
    assert f["pc"]("ARD-EO-1", "DEB-4411") < 1e-4
    assert f["miss_distance"]("ARD-EO-1", "DEB-4411") > 1.0  # km
    assert 0 < f["dv_used"]("ARD-EO-1") < 2.0  # economical (the scenario's rule)
    ex.close()
