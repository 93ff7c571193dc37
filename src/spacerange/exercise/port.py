"""A team's :class:`~spacerange.exercise.teamview.TeamPort` on the engine: the only
handle an autopilot gets (its view, its submissions, its timers, and computations on its
own estimates)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from spacerange.exercise.clock import Priority, iso, seconds
from spacerange.exercise.teamview import Approach, TeamView

if TYPE_CHECKING:  # pragma: no cover
    from spacerange.exercise.engine import Exercise

__all__ = ["TeamPortImpl"]


class TeamPortImpl:
    """A team's :class:`~spacerange.exercise.teamview.TeamPort` on this engine: the team's
    view (the same as the server's), its submissions, its timers, and closest approaches
    on its own estimates."""

    def __init__(self, ex: Exercise, team: str) -> None:
        self._ex = ex
        self.team = team
        self._cache: tuple[str, TeamView] | None = None
        #: the events handed to the team's autopilot, by kind (the same as its log view)
        self._seen: dict[str, list[dict]] = {}
        self._static: dict | None = None
        #: closest approaches computed at one clock instant, by question and estimates
        self._ca_memo: tuple[object, dict] = (None, {})

    def record(self, kind: str, payload: dict, t_utc: str) -> None:
        if kind in ("message", "alert", "conjunction_update", "reentry_prediction"):
            self._seen.setdefault(kind, []).append(dict(payload, sim_time_utc=t_utc))

    @property
    def _user(self) -> str:
        ap = self._ex.autopilots.get(self.team)
        return f"autopilot:{getattr(ap, 'name', '?')}"

    def view(self) -> TeamView:
        # the picture changes only when the clock moves; within one instant the view is
        # reused (the team's own new actions reach the autopilot as events)
        key = str(self._ex.clock.now)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self._build())
        return self._cache[1]

    def _build(self) -> TeamView:
        """The team view from the events the team received and the picture's light view
        (tracks computed only if the autopilot reads them): the same content as
        :meth:`Exercise.team_view`, incrementally."""
        ex = self._ex
        if self._static is None:
            full = ex.team_view(self.team)
            self._static = {k: full[k] for k in ("team", "role", "sensors", "share_to", "teams",
                                                 "action_kinds", "uplink_delay_s")}  # fmt: skip
        pics = ex.pictures
        light = pics.light_view(self.team) if hasattr(pics, "light_view") else {}
        loader = getattr(pics, "picture_items", None)
        one = getattr(pics, "picture_item", None)
        # the picture's light view is JSON-ready (its history lists are converted once)
        d = {**self._static, **light, "clock_utc": iso(ex.clock.now),
             "inbox": self._seen.get("message", []),
             "alerts": self._seen.get("alert", []),
             "conjunctions": self._seen.get("conjunction_update", []),
             "reentry": self._seen.get("reentry_prediction", [])}  # fmt: skip
        v = TeamView.from_dict(d)
        # the picture's items are JSON-ready as made (``Pictures.picture_items``: rounded
        # finite numbers, valid strings); a copy through ``jsonable`` cost the demo's
        # autopilots a tenth of the run (4,000 items at every load)
        if loader is not None:
            v.picture_items = None
            v.picture_loader = lambda: loader(self.team)
            v.band_loader = lambda lo, hi: loader(self.team, reach_km=(lo, hi))
        names = getattr(pics, "picture_names", None)
        if loader is not None and names is not None:
            v.ids_loader = lambda: names(self.team)
        if one is not None:
            v.track_loader = lambda name: one(self.team, name)
        return v

    def submit(self, action: dict) -> tuple[bool, list[str]]:
        r = self._ex._submit(self.team, self._user, dict(action))
        return r.accepted, list(r.errors)

    def schedule(self, delay_s: float, task: dict) -> None:
        ex = self._ex
        ex.queue.push(ex.clock.now + seconds(max(float(delay_s), 0.0)), Priority.AUTOPILOT,
                      "autopilot", team=self.team, task=dict(task))  # fmt: skip

    def closest_approach(self, a: str, b: str, hours: float = 48.0) -> Approach | None:
        from spacerange.exercise.rulefuncs import _closest, _grid

        pics = self._ex.pictures
        res = getattr(pics, "resolve", None)
        if res is None:
            return None
        ta, tb = res(self.team, a), res(self.team, b)
        if ta is None or tb is None:
            return None
        t0 = self._ex.clock.now
        # the same question on the same estimates in one instant (an autopilot reads each
        # conjunction update of a pair: one per TCA) has the same answer: a 72 h search is
        # two SGP4 runs of 8,640 times.  The memo holds the team's own names and estimates
        # (its tracks' element sets, its assets' orbits), nothing the port does not give
        token = getattr(pics, "estimate_token", None)
        key = None
        if token is not None:
            key = (a, b, float(hours), token(self.team, ta), token(self.team, tb))
            if self._ca_memo[0] != t0:
                self._ca_memo = (t0, {})
            elif key in self._ca_memo[1]:
                return self._ca_memo[1][key]

        def fn(oid: str, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return pics.predict(self.team, oid, ts)  # the team's estimates only

        try:
            tca, miss, _ = _closest(fn, ta, tb, _grid(t0, t0 + seconds(hours * 3600.0), 30.0))
        except LookupError:
            return None
        out = Approach(iso(tca), float(miss)) if math.isfinite(miss) else None
        if key is not None:
            self._ca_memo[1][key] = out
        return out

    def reentry_window(self, name: str) -> dict | None:
        """The team's own re-entry prediction of ``name`` now (its track's decay)."""
        pics = self._ex.pictures
        res = getattr(pics, "resolve", None)
        oid = res(self.team, name) if res is not None else None
        if oid is None:
            return None
        p = pics.reentry_window(self.team, oid, self._ex.clock.now)
        return None if p is None else dict(p, object=name)
