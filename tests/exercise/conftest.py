"""A small valid scenario that the broken-scenario tests mutate, one mistake at a time;
and the session's played training runs, each (scenario, blue, red) played once."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"
#: team views are captured this often during a cached play [s]
FRAME_STEP_S = 3 * 3600


@dataclass(frozen=True)
class Played:
    """A finished play of a training scenario, shared read-only by the session's tests:
    its run directory (copy it before writing), ``summary()``, the blue and red team
    views captured every ``FRAME_STEP_S`` (what the leak oracle checks) and what the walk
    of its truth found (``truth``: ``jumps``, ``samples``, ``enacted_threats``,
    ``enacted_after_end``; :mod:`truth_walk`, the truth continuity test)."""

    run: Path
    summary: dict
    frames: dict[str, list[dict]]
    truth: dict

    def copy_to(self, dest: Path) -> Path:
        """A private copy of the run directory (for tests that write into it)."""
        shutil.copytree(self.run, dest)
        return dest


@pytest.fixture(scope="session")
def play(tmp_path_factory):
    """``play(name, blue, red="competent")``: the training scenario ``name`` played to
    ENDEX with these autopilots (``red=None``: red not automated), once per test run.

    Under pytest-xdist the workers share one directory of plays: the first worker to need
    a play makes it under a file lock and stores its summary and frames next to the run;
    the others read them.  Stepping by ``FRAME_STEP_S`` gives the same run as
    ``Exercise.run()`` (checked on unannounced_maneuver: identical summaries apart from
    wall-clock seconds); sharing the plays is what keeps the autopilot, leak, effect and
    report tests within the suite's budget."""
    import pickle

    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    # xdist workers get sibling base directories under one parent
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "plays"
    root.mkdir(exist_ok=True)
    cache: dict[tuple, Played] = {}

    def _play(name: str, blue: str, red: str | None = "competent") -> Played:
        key = (name, blue, red)
        if key in cache:
            return cache[key]
        run = root / f"{name}-{blue}-{red}"
        stored = root / f"{name}-{blue}-{red}.pickle"
        with FileLock(str(stored) + ".lock"):
            if not stored.exists():
                shutil.rmtree(run, ignore_errors=True)  # a play interrupted earlier
                stored.write_bytes(pickle.dumps(_play_once(name, blue, red, run)))
            summary, frames, truth = pickle.loads(stored.read_bytes())
        cache[key] = Played(run, summary, frames, truth)
        return cache[key]

    return _play


def _play_once(name: str, blue: str, red: str | None, run: Path):
    from truth_walk import recording_factory, truth_jumps

    from spacerange.exercise.engine import Exercise

    autopilots = {"blue": blue} | ({"red": red} if red else {})
    samples: list = []
    ex = Exercise.create(TRAINING / f"{name}.yaml", run, autopilots=autopilots,
                         world_factory=recording_factory(samples))  # fmt: skip
    try:
        teams = [t.id for t in ex.scenario.teams if t.role in ("blue", "red")]
        frames: dict[str, list[dict]] = {t: [] for t in teams}
        while not ex.finished:
            ex.step(FRAME_STEP_S)
            for t in teams:
                frames[t].append(ex.team_view(t))
        w = ex.world
        truth = {"jumps": truth_jumps(w, ex.events(), samples, w.clock_utc), "samples": len(samples),
                 "enacted_threats": sorted({v["threat"] for v in w.enacted.values()}),
                 "enacted_after_end": sorted(k for k, v in w.enacted.items()
                                             if v["time_utc"] > w.clock_utc)}  # fmt: skip
        return ex.summary(), frames, truth
    finally:
        ex.close()


BASE = """\
format: 1
exercise:
  name: "Unit-test scenario"
  startex: 2026-03-04T08:00:00Z
  endex: 2026-03-04T20:00:00Z
  compression: 60
  seed: 1
world:
  catalog: {synthetic: {n: 100, seed: 3}}
actors:
  - id: BLUELAND
    assets:
      - {id: BLU-GEO, orbit: {geo_longitude_deg: 12.0}, maneuverable: true, delta_v_mps: 20}
    sensors:
      - {ref: "default:GRAVES"}
      - {id: BLU-SCOPE, kind: optical, lat_deg: 43.75, lon_deg: 6.92, alt_m: 1270}
  - id: REDLAND
    assets:
      - id: RED-RPO
        orbit: {geo_longitude_deg: 14.0}
        maneuverable: true
        delta_v_mps: 100
        rendezvous_capable: true
teams:
  - {id: excon, role: white}
  - {id: blue, role: blue, plays: [BLUELAND]}
  - {id: red, role: red, plays: [REDLAND]}
  - {id: ally, role: blue}
  - {id: observers, role: observer}
sharing:
  - {provider: ally, recipients: [blue], products: [omm, cdm], delay: 30m}
critical_tasks:
  - {id: CT-1, text: "Detect the approach"}
  - {id: CT-2, text: "Protect the asset"}
objectives:
  - {id: OBJ-1, text: "Detect approaches", critical_tasks: [CT-1, CT-2]}
events:
  - id: ME-01
    title: "Approach"
    incidents:
      - id: MI-01.1
        title: "Drift"
        injects:
          - serial: INJ-001
            title: "Red order"
            at: STARTEX+1h
            to: [red]
            method: order
            action: {kind: unannounced_maneuver, asset: RED-RPO, dv_rtn_mps: [0.0, 3.0, 0.0]}
          - serial: INJ-002
            title: "Outage"
            at: 2026-03-04T10:00:00Z
            to: [blue]
            method: phone
            action: {kind: sensor_outage, sensors: [BLU-SCOPE], duration: 2h}
          - serial: INJ-003
            title: "Sensor feed"
            trigger: {after: INJ-001, delay: 2h}
            to: [blue]
            method: sensor-feed
            expected_actions:
              - {action: assessment, deadline: 2h}
            objectives: [OBJ-1]
            critical_tasks: [CT-1]
            evaluation:
              - {rule: "latency('assessment') < 2h and range(RED-RPO, BLU-GEO) > 5 km", rating_if_true: P}
            contingency:
              - after: 3h
                if_missing: assessment
                inject: {to: [blue], method: message, text: "EXERCISE. Allied report."}
          - serial: INJ-004
            title: "Close approach"
            trigger: {condition: "range(RED-RPO, BLU-GEO) < 50 km"}
            to: [blue]
            method: sensor-feed
"""

#: The bundled network is replaced by a fixed one so the tests do not depend on that file.
SITES = {"default": {"GRAVES", "TIRA"}}


@pytest.fixture
def base_text() -> str:
    """Text of a small valid scenario."""
    return BASE


@pytest.fixture
def sites() -> dict[str, set[str]]:
    return {k: set(v) for k, v in SITES.items()}
