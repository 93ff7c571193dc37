"""The red cell that adapts (issue 15, item 6): the competent autopilot's red side for a
rendezvous mission, playing from red's own team view only.

The mission comes from the red cell's order (read like a duty officer does: the own asset
and the picture object the order names, ``hold at N km``).  The approach the order starts
is the world's (a scripted ``geo_rendezvous``); from then on the red cell decides, every
``WATCH_S``, on what its view holds (its own asset's ephemeris, its track of the target,
:meth:`~spacerange.exercise.teamview.TeamPort.closest_approach` on those estimates):

* **re-plan** when the target moved: the servicer's telemetry says its hold is lost (an
  ``rpo_hold_lost`` alert: the range its onboard relative navigation measures), or, on the
  way, the closest approach its estimates predict over the next ``LOOK_AHEAD_H`` misses
  the hold range by more than ``REPLAN_KM`` on ``REPLAN_CHECKS`` successive checks, on a
  target track renewed since its last order; never sooner than ``SETTLE_S`` after its
  last order (a transfer needs time to show its effect): a ``rendezvous`` order
  (``REPLAN_H`` to arrive) that the world plans, executes and holds within the budget;
* **abort** when warned by the other operator (a ``team`` message naming its asset): the
  along-track burn of :meth:`CompetentAutopilot._red_abort`;
* **retry** ``RETRY_AFTER_S`` after an abort, with a new ``rendezvous`` order;
* keeps ``RESERVE_MPS`` of delta-v (no order below it) and stops after a refusal (the
  world refuses an order its budget cannot pay: ``action_rejected``).

This module imports nothing of the engine, the world or the scenario
(``tests/exercise/test_teamview.py``).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

import numpy as np

from spacerange.constants import MU_WGS84_KM3_S2 as MU_KM3_S2
from spacerange.exercise.autopilot_base import _dt, _elements
from spacerange.exercise.teamview import TeamPort, TeamView

__all__ = [
    "RedCell",
    "RED_ABORT_DV_MPS",
    "WATCH_S",
    "REPLAN_KM",
    "REPLAN_H",
    "RETRY_AFTER_S",
    "RESERVE_MPS",
]

#: along-track burn of a red cell aborting an approach after a warning [m/s]
RED_ABORT_DV_MPS = 1.0
#: how often the red cell looks at its approach [s]
WATCH_S = 3600.0
#: the approach its picture predicts is off (the target moved) beyond this [km], on
#: REPLAN_CHECKS successive checks: a GEO track of one telescope can be tens of km off
#: (overconfident after a gap), and a relocation moves the target ~700 km a day
REPLAN_KM = 250.0
REPLAN_CHECKS = 2
#: arrival time of a re-planned or retried approach [h]
REPLAN_H = 12.0
#: a warned red cell tries again this long after its abort [s]
RETRY_AFTER_S = 24 * 3600.0
#: no order when less than this delta-v is left [m/s]
RESERVE_MPS = 5.0
#: an order is given this long to show its effect before the next re-plan [s]
SETTLE_S = 6 * 3600.0
#: closest approach horizon of the re-plan test [h]
LOOK_AHEAD_H = 36.0
#: at most this many orders per mission
MAX_ORDERS = 6
_HOLD = re.compile(r"hold\s+at\s+([0-9]+(?:\.[0-9]+)?)\s*km", re.IGNORECASE)


class RedCell:
    """Mixin of :class:`~spacerange.exercise.autopilot.CompetentAutopilot` (red side)."""

    mission: dict | None = None

    # ------------------------------------------------------------------ inputs
    def _red_order(self, port: TeamPort, v: TeamView, text: str) -> None:
        """An order naming an own asset, a picture object and ``hold at N km`` starts a
        mission (the world executes the ordered approach itself)."""
        m = _HOLD.search(text)
        if m is None or self.mission is not None:
            return
        movable = [a for a in v.assets if a.get("maneuverable")]
        asset = next((a for a in movable if a["id"] in text), None)
        if asset is None and len(movable) == 1:
            asset = movable[0]  # the order need not name the cell's only servicer
        if asset is None:
            return
        tgt = next((p["id"] for p in v.picture if p["id"] in text and p["id"] != asset["id"]),
                   None)  # fmt: skip
        if tgt is None:
            return
        self.mission = {"asset": asset["id"], "target": tgt, "range_km": float(m.group(1)),
                        "state": "approach", "last_order_utc": v.clock_utc,
                        "arrival_utc": None, "orders": 0, "replans": 0, "aborts": 0,
                        "retries": 0, "log": []}  # fmt: skip
        port.schedule(WATCH_S, {"do": "rpo"})

    def _red_warned(self, port: TeamPort, v: TeamView, text: str) -> None:
        """Warned by the other operator: abort (the burn), retry later."""
        ms = self.mission
        before = ("abort", ms["asset"]) in self.done if ms else True
        self._red_abort(port, v, text)
        if ms is None or before or ("abort", ms["asset"]) not in self.done:
            return
        ms["state"] = "aborted"
        ms["aborts"] += 1
        ms["log"].append((v.clock_utc, "abort"))
        port.schedule(RETRY_AFTER_S, {"do": "rpo_retry"})

    def _red_mission_pair(self, asset: str, other: str) -> bool:
        """Whether ``asset`` approaching ``other`` is the mission (no avoidance of it)."""
        ms = self.mission
        return ms is not None and ms["asset"] == asset and ms["target"] == other

    def _red_rejected(self, payload: dict) -> None:
        act = payload.get("action") or {}
        if self.mission is not None and act.get("kind") == "rendezvous":
            self.mission["state"] = "refused"
            self.mission["log"].append(("refused", "; ".join(payload.get("errors") or [])))

    def _red_abort(self, port: TeamPort, v: TeamView, text: str) -> None:
        """A red cell warned by the other operator about one of its assets approaching
        one of theirs aborts the approach when its own picture holds that satellite: an
        along-track burn that matches the target's semi-major axis (the drift stops) and
        opens the range by RED_ABORT_DV_MPS more (dv = n da / 2)."""
        for a in v.assets:
            if a["id"] not in text or not a.get("maneuverable") or ("abort", a["id"]) in self.done:
                continue
            tgt = next((p for p in v.picture if p["id"] in text and p["id"] != a["id"]), None)
            if tgt is None:
                continue  # where the warned-about satellite is, is not known: no blind burn
            self.done.add(("abort", a["id"]))
            r_s, v_s = np.asarray(a["r_km"], float), np.asarray(a["v_km_s"], float)
            r_t, v_t = np.asarray(tgt["r_km"], float), np.asarray(tgt["v_km_s"], float)
            a_s, a_t = _elements(r_s, v_s)[0], _elements(r_t, v_t)[0]
            n = math.sqrt(MU_KM3_S2 / a_t**3)
            ahead = float((r_s - r_t) @ v_t) > 0.0
            dv = 0.5 * n * (a_t - a_s) * 1e3 + (-1.0 if ahead else 1.0) * RED_ABORT_DV_MPS
            port.submit({"kind": "maneuver", "asset": a["id"],
                         "dv_rtn_mps": [0.0, round(dv, 3), 0.0]})  # fmt: skip

    # ------------------------------------------------------------------ decisions
    def _red_task(self, port: TeamPort, task: dict) -> None:
        ms = self.mission
        if ms is None:
            return
        if task.get("do") == "rpo_retry" and ms["state"] == "aborted":
            ms["retries"] += 1
            self._red_send(port, port.view(), "retry")
        elif task.get("do") == "rpo":
            self._red_watch(port)
        if ms["state"] in ("approach", "hold"):
            port.schedule(WATCH_S, {"do": "rpo"})

    def _red_watch(self, port: TeamPort) -> None:
        ms = self.mission
        if ms["state"] not in ("approach", "hold"):
            return
        v = port.view()
        me, tr = v.asset(ms["asset"]), v.track(ms["target"])
        if me is None or tr is None or not tr.get("last_obs_utc"):
            return  # the target is not in the picture: no decision on nothing
        now = _dt(v.clock_utc)
        # the servicer's own telemetry said the hold is lost (see _red_alert) ...
        lost = bool(ms.pop("hold_lost", False))
        off = None
        if not lost and ms["state"] == "approach":
            # ... or its picture: the closest approach its estimates predict
            ca = port.closest_approach(ms["asset"], ms["target"], LOOK_AHEAD_H)
            off = None if ca is None else ca.miss_km - ms["range_km"]
        ms["off_count"] = ms.get("off_count", 0) + 1 if off is not None and off > REPLAN_KM else 0
        # new data since the order has had time to act (no new data, no new decision)
        settled = (now - _dt(ms["last_order_utc"])).total_seconds() >= SETTLE_S
        fresh = _dt(tr["last_obs_utc"]) > _dt(ms["last_order_utc"])
        if lost and not settled:
            ms["hold_lost"] = True  # decided once the last order has had its time
        elif lost or (ms["off_count"] >= REPLAN_CHECKS and fresh and settled):
            ms["replans"] += 1
            ms["off_count"] = 0
            why = "hold lost (telemetry)" if lost else f"re-plan ({off:.0f} km off)"
            self._red_send(port, v, why)

    def _red_alert(self, port: TeamPort, a: dict) -> None:
        """The servicer's telemetry: its hold is lost (the target moved away)."""
        ms = self.mission
        det = a.get("details") or {}
        if ms is None or a.get("kind") != "rpo_hold_lost" or det.get("asset") != ms["asset"]:
            return
        ms["state"] = "hold"
        ms["hold_lost"] = True
        self._red_watch(port)

    def _red_send(self, port: TeamPort, v: TeamView, why: str) -> None:
        ms = self.mission
        me = v.asset(ms["asset"]) or {}
        left = float(me.get("dv_budget_mps", 0.0)) - float(me.get("dv_used_mps", 0.0))
        if left < RESERVE_MPS or ms["orders"] >= MAX_ORDERS:
            ms["state"] = "budget"
            ms["log"].append((v.clock_utc, f"no order ({left:.1f} m/s left)"))
            return
        ok, errs = port.submit({"kind": "rendezvous", "asset": ms["asset"],
                                "target": ms["target"], "range_km": ms["range_km"],
                                "duration_h": REPLAN_H})  # fmt: skip
        ms["log"].append((v.clock_utc, why if ok else f"{why}: refused {errs}"))
        if not ok:
            ms["state"] = "refused"
            return
        ms["orders"] += 1
        ms["state"] = "approach"
        ms["last_order_utc"] = v.clock_utc
        ms["arrival_utc"] = (_dt(v.clock_utc) + timedelta(hours=REPLAN_H + 1.0)).isoformat()
