"""The bundled scenarios are physically playable: every object a scheduled threat acts on
is still in orbit (by its own propagation, drag included) when the threat is enacted.

The demo once scripted the re-entry of a core stage that, at 262 km with its drag, decayed on
its own four days before the inject: the world could not enact it and the re-entry objective
was graded on nothing.  This test catches such a scenario without playing it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spacerange.exercise.scenario.common import resolve_time
from spacerange.exercise.validate import load_scenario
from spacerange.exercise.world import World, _sgp4_one
from spacerange.exercise.world.model import RE_KM, REENTRY_ALT_KM, to_utc64

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "scenarios" / "training").glob("*.yaml")) + [
    REPO / "scenarios" / "asterx-demo.yaml"
]
#: action fields that name an existing object the threat acts on
OBJECT_FIELDS = ("object", "target", "asset", "red_asset", "secondary")


def _scheduled_actions(scenario):
    """(serial, enactment time, object ids) of every inject with an ``at`` time."""
    startex = scenario.exercise.startex
    for _, _, inj in scenario.iter_injects():
        act = getattr(inj, "action", None)
        at = getattr(inj, "at", None)
        if act is None or at is None:
            continue
        ids = [getattr(act, f) for f in OBJECT_FIELDS if isinstance(getattr(act, f, None), str)]
        t = to_utc64(resolve_time(at, startex))
        # an action may carry its own epoch (a burn at a later time)
        at_act = getattr(act, "at", None)
        if at_act is not None:
            t = max(t, to_utc64(resolve_time(at_act, startex)))
        yield inj.serial, t, ids


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scripted_objects_are_in_orbit_when_acted_on(path, tmp_path):
    scenario = load_scenario(path)
    syn = scenario.world.catalog.synthetic
    if syn is not None:
        syn.n = 1  # only the scripted objects matter here
    world = World(scenario, 1, path.parent)
    by_id = {o.id: o for o in world.objects}
    problems = []
    for serial, t, ids in _scheduled_actions(scenario):
        for oid in ids:
            o = by_id.get(oid)
            if o is None or not o.arcs:
                continue  # created during play (a launch, a release): not checked here
            t0, sat = o.arcs[0]
            ts = np.arange(t0, t, np.timedelta64(600, "s")).astype("datetime64[us]")
            if ts.size == 0:
                continue
            r, _, err = _sgp4_one(sat, ts)
            rad = np.linalg.norm(r, axis=-1)
            bad = (err != 0) | ~np.isfinite(rad) | (rad < RE_KM + REENTRY_ALT_KM)
            if bad.any():
                problems.append(f"{serial}: {oid} decays at {ts[int(np.argmax(bad))]}, "
                                f"before the threat acts on it at {t}")  # fmt: skip
    assert not problems, problems
