"""A small valid scenario that the broken-scenario tests mutate, one mistake at a time."""

from __future__ import annotations

import pytest

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
