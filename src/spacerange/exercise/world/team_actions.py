"""What the teams do to the world: manoeuvres, relocations, sensor tasking, sharing, and the
rule functions the adjudicator evaluates."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from spacerange.exercise.ports import UtcLike
from spacerange.exercise.world.model import (
    TruthObject,
    WorldError,
    WorldEvent,
    _iso,
    _seconds,
    _td64,
    to_utc64,
)
from spacerange.frames import (
    itrs_to_geodetic,
    teme_to_itrs,
)


class TeamActions:
    """Part of :class:`spacerange.exercise.world.World` (a mixin: it works on the world's
    state, see :mod:`spacerange.exercise.world.core`)."""

    # ------------------------------------------------------------------ countermeasures
    #: action kind -> method applying it (``data_share`` is the evaluation name of ``share``)
    _APPLY = {"maneuver": "_apply_maneuver", "relocate": "_apply_relocate",
              "tasking": "_apply_tasking", "share": "_apply_share",
              "data_share": "_apply_share",
              "countermeasure": "_apply_countermeasure",
              "rendezvous": "_apply_rendezvous"}  # fmt: skip

    def apply(
        self, team_id: str, action: dict, t_utc: UtcLike
    ) -> tuple[bool, list[str], list[WorldEvent]]:  # noqa: E501
        """Validate ``action`` (contract action dict) against ``team_id``'s capabilities and
        apply it at ``t_utc``: ``(accepted, errors, events)``."""
        t = to_utc64(t_utc)
        kind = action.get("kind")
        fn = self._APPLY.get(kind) if isinstance(kind, str) else None
        if fn is None:
            # the world changes truth or pictures only; anything else is refused here too,
            # whatever the layers above let through
            return False, [f"kind: the world cannot apply action kind {kind!r} (it applies "
                           f"{', '.join(sorted(self._APPLY))})"], []  # fmt: skip
        fn = getattr(self, fn)
        try:
            return fn(team_id, action, t)
        except WorldError as exc:
            return False, [str(exc)], []

    def _own_asset(self, team_id: str, asset: object) -> TruthObject:
        if not isinstance(asset, str) or asset not in self.index:
            raise WorldError(f"asset {asset!r} is not one of team {team_id}'s assets")
        o = self.obj(asset)
        if o.actor is None or o.actor not in self.team_actors(team_id):
            raise WorldError(f"asset {asset!r} is not one of team {team_id}'s assets")
        return o

    def _live_asset(self, team_id: str, asset: object, capability: str) -> TruthObject:
        """One of the team's assets that still exists and has ``capability`` (a boolean
        attribute of the object: ``maneuverable``, ``rendezvous_capable``)."""
        o = self._own_asset(team_id, asset)
        if not getattr(o, capability):
            raise WorldError(f"asset {o.id} is not {capability}")
        if o.ended_utc is not None:
            raise WorldError(f"asset {o.id} no longer exists ({o.end_reason})")
        return o

    def _apply_maneuver(self, team_id, action, t):
        o = self._live_asset(team_id, action.get("asset"), "maneuverable")
        dv = action.get("dv_rtn_mps")
        if not (isinstance(dv, list | tuple) and len(dv) == 3
                and all(isinstance(x, int | float) and math.isfinite(x) for x in dv)):  # fmt: skip
            raise WorldError("dv_rtn_mps: expected three numbers [R, T, N] in m/s")
        mag = math.sqrt(sum(x * x for x in dv))
        committed = sum(s.fn.dv for s in self._schedule if getattr(s.fn, "asset", None) == o.id)
        left = o.dv_left_mps - committed
        if mag > left + 1e-9:
            raise WorldError(
                f"maneuver of {mag:.3f} m/s exceeds {o.id}'s remaining delta-v budget "
                f"{left:.3f} m/s (budget {o.dv_budget_mps:g} m/s, used {o.dv_used_mps:.3f})"
            )
        ep = action.get("epoch_utc")
        te = t if ep in (None, "") else to_utc64(ep)
        if te < t - np.timedelta64(60, "s"):
            raise WorldError(f"epoch_utc {_iso(te)} is in the past (now {_iso(t)})")
        if te > self.endex:
            raise WorldError(f"epoch_utc {_iso(te)} is after ENDEX")
        if te <= t:
            ev = self.burn(o.id, dv, t, why=f"{team_id} maneuver")
            return True, [], [ev, *self._team_burned(o.id, t)]  # a guidance stands down

        def do(tt, oid=o.id, dv=tuple(dv)):
            return [self.burn(oid, dv, tt, why=f"{team_id} maneuver"), *self._team_burned(oid, tt)]

        do.asset, do.dv = o.id, mag
        self.schedule(te, do, f"{team_id} maneuver {o.id}")
        return True, [], []

    def _apply_relocate(self, team_id, action, t):
        from spacerange.maneuvers.geo_relocation import plan_geo_relocation

        o = self._own_asset(team_id, action.get("asset"))
        if not o.maneuverable:
            raise WorldError(f"asset {o.id} is not maneuverable")
        if not 1300 < o.period_min < 1600:
            raise WorldError(
                f"relocate is for GEO assets; {o.id} has a {o.period_min:.0f} min period"
            )
        try:
            to_lon = float(action["to_lon_deg"])
            days = float(action.get("drift_days", 2.0))
        except (KeyError, TypeError, ValueError):
            raise WorldError("relocate needs to_lon_deg (deg east) and drift_days") from None
        r, v = self.state_of(o.id, t)
        ri, _ = teme_to_itrs(r[None, None], v[None, None], np.asarray([t]))
        lon = float(itrs_to_geodetic(ri[0, 0])[1])
        try:
            plan = plan_geo_relocation(lon, to_lon, days, t)
        except ValueError as exc:
            raise WorldError(f"relocate: {exc}") from None
        if plan.total_dv_m_s > o.dv_left_mps:
            raise WorldError(
                f"relocation to {to_lon:g} deg in {days:g} d needs {plan.total_dv_m_s:.2f} m/s, "
                f"more than {o.id}'s remaining {o.dv_left_mps:.2f} m/s"
            )
        ev = [self.burn(o.id, [0.0, plan.dv1_t_km_s * 1e3, 0.0], t, why="relocate burn 1")]
        self.schedule(to_utc64(plan.burn2_utc),
                      lambda tt: [self.burn(o.id, [0.0, plan.dv2_t_km_s * 1e3, 0.0], tt,
                                            why="relocate burn 2")],
                      f"{o.id} relocate burn 2")  # fmt: skip
        ev[0].details["plan"] = {"from_lon_deg": lon, "to_lon_deg": to_lon,
                                 "arrival_utc": _iso(to_utc64(plan.burn2_utc)),
                                 "total_dv_m_s": plan.total_dv_m_s}  # fmt: skip
        return True, [], ev

    def team_sensors(self, team_id: str) -> list[str]:
        out = []
        for aid in self.team_actors(team_id):
            actor = self._actors.get(aid)
            if actor is not None:
                out += [s.sensor_id for s in actor.sensors]
        return out

    def _apply_tasking(self, team_id, action, t):
        sensor = action.get("sensor")
        mine = self.team_sensors(team_id)
        if sensor not in mine:
            raise WorldError(f"sensor {sensor!r} is not one of team {team_id}'s sensors "
                             f"({', '.join(mine) or 'none'})")  # fmt: skip
        objs = action.get("objects") or []
        if not isinstance(objs, list) or not all(isinstance(x, str) for x in objs):
            raise WorldError("objects: expected a list of object ids")
        # no existence check: a team may task an id it heard of; it only helps if it exists
        self.tasking.setdefault(team_id, {}).setdefault(sensor, set()).update(objs)
        return True, [], []

    def _apply_share(self, team_id, action, t):
        to = action.get("to_team")
        if to not in {tm.id for tm in self.scenario.teams}:
            raise WorldError(f"unknown team {to!r}")
        products = action.get("products") or []
        allowed: dict[str, float] = {}
        for ag in self.scenario.sharing:
            if ag.provider == team_id and to in ag.recipients:
                for p in ag.products:
                    allowed[p] = min(allowed.get(p, math.inf), _seconds(ag.delay))
        bad = [p for p in products if p not in allowed]
        if not products or bad:
            raise WorldError(
                f"no sharing agreement lets {team_id} send {', '.join(bad) or 'nothing'} to "
                f"{to} (allowed: {', '.join(sorted(allowed)) or 'none'})"
            )
        delay = max(allowed[p] for p in products)
        self.share_requests.append((team_id, to, list(products), list(action.get("objects") or []),
                                    t + _td64(delay)))  # fmt: skip
        return True, [], []

    # ------------------------------------------------------------------- rule functions
    def functions(self, team_id: str | None = None, *, scope: str | None = None,
                  since_utc: UtcLike | None = None) -> dict[str, Callable]:  # fmt: skip
        """Rule-language functions (see :mod:`spacerange.exercise.rulefuncs`).

        ``team_id=None`` or ``scope='truth'``: truth functions (EXCON, evaluation rules and
        trigger conditions); with a team, ``tracked`` answers for that team.
        ``scope='picture'`` (the default when a team is given): the team's view, built on
        its picture; objects absent from it raise :class:`~spacerange.exercise.rulefuncs.NotInPicture`.
        ``since_utc``: start of ``min_range`` (default STARTEX)."""
        from spacerange.exercise.rulefuncs import picture_functions, truth_functions

        if scope is None:
            scope = "truth" if team_id is None else "picture"
        since = self.startex if since_utc is None else to_utc64(since_utc)
        if scope == "truth":
            return truth_functions(self, team_id, since)
        if scope == "picture":
            if team_id is None:
                raise ValueError("scope='picture' needs a team")
            return picture_functions(self, team_id, since)
        raise ValueError(f"scope must be 'truth' or 'picture', got {scope!r}")
