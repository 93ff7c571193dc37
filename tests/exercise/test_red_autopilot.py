"""A red cell that adapts (issue 15, item 6): the competent red autopilot plays the
geo_rendezvous_hold training scenario (``guidance.decisions: red``) from its own team
view, and the world executes its ``rendezvous`` orders within the servicer's budget.

Everything is checked against the scenario's own script (the commanded 5 km hold and its
1 km tolerance, the 180 m/s budget) and the world's truth, never against printed outputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spacerange.exercise.engine import Exercise, default_world_factory

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"
ASSET, TARGET = "VRK-SERVICER-1", "ARD-COMSAT-2"


def _exercise(tmp_path, days: int = 3) -> Exercise:
    text = (TRAINING / "geo_rendezvous_hold.yaml").read_text(encoding="utf-8")
    old = "endex: 2026-03-05T08:00:00Z"
    assert old in text
    path = tmp_path / "rpo.yaml"
    path.write_text(text.replace(old, f"endex: 2026-03-{4 + days:02d}T08:00:00Z"), "utf-8")

    def factory(sc, seed, base):
        sc.world.catalog.synthetic.n = 20  # the two GEO satellites are the point
        return default_world_factory(sc, seed, base)

    return Exercise.create(path, tmp_path / "run", autopilots={"blue": "passive",
                           "red": "competent"}, world_factory=factory)  # fmt: skip


def _at(ex: Exercise, hours: float) -> np.datetime64:
    return ex.startex + np.timedelta64(int(hours * 3600), "s")


def _range_km(w) -> float:
    t = w.clock_utc
    return float(np.linalg.norm(w.state_of(ASSET, t)[0] - w.state_of(TARGET, t)[0]))


def _red_orders(ex: Exercise) -> list[dict]:
    return [e["payload"]["action"] for e in ex.events() if e["kind"] == "action_submitted"
            and e["payload"]["team"] == "red-cell"
            and e["payload"]["action"].get("kind") == "rendezvous"]  # fmt: skip


def _budget_kept(w) -> None:
    o = w.obj(ASSET)
    assert 0 < o.dv_used_mps <= o.dv_budget_mps + 1e-9


@pytest.mark.slow
def test_red_cell_replans_when_the_target_relocates_and_ends_in_the_hold(tmp_path):
    ex = _exercise(tmp_path)
    try:
        ex.run(until_utc=_at(ex, 2), speed="max")
        # blue moves its satellite 1 deg west during the approach
        res = ex.submit_action("ardenia-ops", "tester", {"kind": "relocate", "asset": TARGET,
                                                         "to_lon_deg": 11.0, "drift_days": 1.0})  # fmt: skip
        assert res.accepted, res.errors
        ex.run(until_utc=ex.endex, speed="max")
        w = ex.world
        red = ex.autopilots["red-cell"].mission
        orders = _red_orders(ex)
        # the red player re-planned (its own orders, naming the target as its picture does)
        assert red["replans"] >= 1 and len(orders) >= 1
        assert all(o["asset"] == ASSET and o["target"] == TARGET for o in orders)
        # the scripted guidance never re-plans by itself: every new approach is an order
        scripted = next(r for r in w.rpo.values() if r["serial"].startswith("ME-01"))
        assert scripted["decisions"] == "red" and scripted["replans"] == 0
        last = list(w.rpo.values())[-1]
        # held to ENDEX ('done': the last burn of the hold is at ENDEX)
        assert last["serial"].startswith("red-cell order") and last["state"] in ("hold", "done")
        # ... and the servicer ends within the hold tolerance of the commanded range (the
        # hold's own 5-min samples, and truth now)
        assert abs(last["final_range_km"] - last["commanded_km"]) <= last["tolerance_km"]
        assert abs(_range_km(w) - last["commanded_km"]) <= last["tolerance_km"], _range_km(w)
        _budget_kept(w)
    finally:
        ex.close()


@pytest.mark.slow
def test_warned_red_cell_aborts_then_retries_within_its_budget(tmp_path):
    ex = _exercise(tmp_path)
    try:
        ex.run(until_utc=_at(ex, 8), speed="max")
        res = ex.submit_action("ardenia-ops", "tester", {
            "kind": "coordination", "to": "red-cell",
            "text": f"EXERCISE. Your {ASSET} is approaching our {TARGET}: stop the approach."})  # fmt: skip
        assert res.accepted, res.errors
        ex.run(until_utc=_at(ex, 20), speed="max")
        w = ex.world
        red = ex.autopilots["red-cell"].mission
        scripted = next(iter(w.rpo.values()))
        assert red["aborts"] == 1 and scripted["aborts"] == 1 and scripted["state"] == "aborted"
        assert not _red_orders(ex)  # no retry yet: the red cell waits a day
        ex.run(until_utc=ex.endex, speed="max")
        assert red["retries"] == 1 and len(_red_orders(ex)) >= 1
        retry = [r for r in w.rpo.values() if r["serial"].startswith("red-cell order")]
        # the new approach arrives and holds to ENDEX ('done': the hold's last burn)
        assert retry and retry[-1]["state"] in ("hold", "done")
        assert abs(retry[-1]["final_range_km"] - 5.0) <= retry[-1]["tolerance_km"]
        _budget_kept(w)
    finally:
        ex.close()


def test_the_world_refuses_an_order_beyond_the_budget_and_the_red_cell_stops(tmp_path):
    """A rendezvous order the budget cannot pay is refused (logged), and the red player
    stops ordering after the refusal."""
    from types import SimpleNamespace

    from spacerange.exercise.autopilot_red import RedCell
    from spacerange.exercise.validate import load_scenario

    sc = load_scenario(TRAINING / "geo_rendezvous_hold.yaml")
    sc.world.catalog.synthetic.n = 5
    w, _ = default_world_factory(sc, sc.exercise.seed, TRAINING)
    o = w.obj(ASSET)
    o.dv_used_mps = o.dv_budget_mps - 0.5  # half a metre per second left
    ok, errs, _ = w.apply("red-cell", {"kind": "rendezvous", "asset": ASSET, "target": TARGET,
                                       "range_km": 5.0, "duration_h": 12}, w.startex)  # fmt: skip
    assert not ok and "budget" in errs[0]
    assert o.dv_used_mps == o.dv_budget_mps - 0.5  # nothing spent
    # an object the red picture does not hold cannot be a target (no truth by name)
    ok, errs, _ = w.apply("red-cell", {"kind": "rendezvous", "asset": ASSET,
                                       "target": "NO-SUCH-OBJECT", "range_km": 5.0}, w.startex)  # fmt: skip
    assert not ok and "holds" in errs[0]
    red = RedCell()
    red.mission = {"state": "approach", "log": []}
    red._red_rejected({"action": {"kind": "rendezvous"}, "errors": errs})
    assert red.mission["state"] == "refused"
    red._red_task(SimpleNamespace(schedule=lambda *a: pytest.fail("ordered again")),
                  {"do": "rpo"})  # fmt: skip
