"""The autopilot's base (the passive player: hooks doing nothing) and the ``gaming`` player,
which answers every inject at once with plausible-looking but empty or wrong content (the
player a grade must not reward; issue 12)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

from spacerange.constants import MU_WGS84_KM3_S2
from spacerange.exercise.teamview import TeamPort, TeamView

__all__ = ["Autopilot", "GamingAutopilot"]


class Autopilot:
    """The passive player: hooks called by the engine, doing nothing."""

    name = "passive"

    def on_event(self, port: TeamPort, kind: str, payload: dict) -> None:
        """An event logged visible to the team (``message``, ``alert``...)."""

    def on_task(self, port: TeamPort, task: dict) -> None:
        """A timer this autopilot set with ``port.schedule`` is due."""


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(str(s).replace("Z", "+00:00"))


class GamingAutopilot(Autopilot):
    """Answers everything at once with content-free actions (see the module docstring)."""

    name = "gaming"

    def __init__(self) -> None:
        self.started = False
        self.static: TeamView | None = None

    def on_event(self, port: TeamPort, kind: str, payload: dict) -> None:
        if not self.started:
            self.started = True
            port.schedule(0.0, {"do": "spam"})
        if kind == "message":
            self._spam(port)

    def on_task(self, port: TeamPort, task: dict) -> None:
        self._spam(port)
        port.schedule(3600.0, {"do": "spam"})

    def _spam(self, port: TeamPort) -> None:
        v = port.view()  # assets, sensors, teams and the clock: no picture needed
        if v.role not in ("blue", "red"):
            return
        now = _dt(v.clock_utc)
        sensor = v.sensors[0] if v.sensors else None
        asset = next((a["id"] for a in v.assets if a.get("maneuverable")), None)
        partner = next((t for t, d in v.teams.items() if t != v.team), None)
        acts = [
            {"kind": "assessment", "threat": "weather balloon", "objects": ["NOTHING-HERE"],
             "confidence": 0.99, "narrative": "x"},
            {"kind": "catalog_update", "objects": ["UCT"]},
            {"kind": "report", "to": "national-command", "text": "x"},
            {"kind": "notify", "to": ["national-command"], "text": "x"},
            {"kind": "coordination", "to": "operator", "text": "x"},
            {"kind": "tasking", "sensor": sensor, "objects": ["NOTHING-HERE"]},
            {"kind": "reentry_prediction", "object": "NOTHING-HERE",
             "window_start": _iso(now), "window_end": _iso(now + timedelta(days=30)),
             "most_likely": _iso(now + timedelta(days=15))},
            {"kind": "countermeasure", "measure": "x"},
            {"kind": "breakup_attribution", "parent": "NOTHING-HERE", "epoch_utc": _iso(now)},
        ]  # fmt: skip
        if partner:
            acts.append({"kind": "share", "to_team": partner, "products": ["omm"],
                         "objects": ["NOTHING-HERE"]})  # fmt: skip
        if asset:
            acts.append({"kind": "maneuver", "asset": asset, "dv_rtn_mps": [0.0, 0.01, 0.0]})
        for a in acts:
            port.submit(a)


def _elements(r: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """Semi-major axis [km], inclination [deg], RAAN [deg] from a TEME state."""
    rn = float(np.linalg.norm(r))
    a = 1.0 / (2.0 / rn - float(v @ v) / MU_WGS84_KM3_S2)
    h = np.cross(r, v)
    inc = math.degrees(math.acos(max(-1.0, min(1.0, h[2] / np.linalg.norm(h)))))
    raan = math.degrees(math.atan2(h[0], -h[1])) % 360.0
    return a, inc, raan
