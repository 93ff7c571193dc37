"""Engine support for the server hardening (issue 10): pending actions can be cancelled
(and the cancellation is replayed after a crash), burns after ENDEX or with zero delta-v
are refused, and the EXCON view carries the truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spacerange.exercise.engine import Exercise

SCENARIO = (
    Path(__file__).resolve().parents[2] / "scenarios" / "training" / "high_pc_conjunction.yaml"
)
BURN = {"kind": "maneuver", "asset": "ARD-EO-1", "dv_rtn_mps": [0, 20.0, 0],
        "epoch_utc": "2026-03-04T12:00:00Z"}  # fmt: skip


def test_cancel_frees_the_budget_and_survives_reopen(tmp_path):
    run = tmp_path / "run"
    ex = Exercise.create(SCENARIO, run, seed=1)
    r = ex.submit_action("ardenia-ops", "alice", BURN)
    assert r.accepted, r.errors
    again = ex.submit_action("ardenia-ops", "alice", BURN)
    assert not again.accepted and "remaining delta-v" in again.errors[0]
    assert not ex.cancel_action("borealis-ops", "eve", r.seq).accepted  # not theirs
    c = ex.cancel_action("ardenia-ops", "alice", r.seq)
    assert c.accepted and not ex.cancel_action("ardenia-ops", "alice", r.seq).accepted
    ex.close()
    ex = Exercise.open(run)  # the cancellation is an input: replayed
    assert [a.status for a in ex.actions if a.seq == r.seq] == ["cancelled"]
    ex.run()
    assert not any(e["kind"] == "action_applied" and e["payload"].get("submitted_seq") == r.seq
                   for e in ex.events(0))  # fmt: skip
    assert float(ex.world.functions(None)["dv_used"]("ARD-EO-1")) == 0.0


def test_burns_after_endex_or_zero_dv_refused(tmp_path):
    ex = Exercise.create(SCENARIO, tmp_path / "run", seed=1)
    late = dict(BURN, epoch_utc="2099-01-01T00:00:00Z")
    r = ex.submit_action("ardenia-ops", "alice", late)
    assert not r.accepted and "after ENDEX" in r.errors[0]
    r = ex.submit_action("ardenia-ops", "alice", dict(BURN, dv_rtn_mps=[0, 0, 0]))
    assert not r.accepted and "non-zero" in r.errors[0]


def test_excon_view_has_truth(tmp_path):
    ex = Exercise.create(SCENARIO, tmp_path / "run", seed=1)
    ex.step(600)
    v = ex.excon_view()
    ids = {o["id"] for o in v["truth"]}
    assert {"ARD-EO-1", "DEB-4411"} <= ids, v.get("truth_error")
    r = np.array(next(o for o in v["truth"] if o["id"] == "ARD-EO-1")["r_km"])
    assert 6700 < np.linalg.norm(r) < 7400
