"""Player actions: their schema, validation against a team's role and assets, and how they
map to the player-action kinds that expected actions and evaluation rules name.

An action is a plain dict with ``kind`` and the fields below (units in the names)::

    assessment   {threat, objects, time_utc?, confidence (0..1)?, narrative?, serial?}
    maneuver     {asset, dv_rtn_mps: [r, t, n], epoch_utc?}   (epoch >= now + uplink delay)
    relocate     {asset, to_lon_deg, drift_days}
    tasking      {sensor?, objects, priority?}
    share        {to_team, products: [omm|oem|cdm|observations|tdm|...], objects?}
    notify       {to: [...], text, serial?}
    rfi          {to, text}
    report       {to?, text, threat?}                       (report up the national chain)
    coordination {to, text}                                 (contact another operator)
    catalog_update {objects, note?}
    reentry_prediction {object, window_start, window_end, most_likely, footprint?}
    breakup_attribution {parent, epoch_utc, lat_deg?, lon_deg?, alt_km?, spread_km?}
                 (e.g. from ``spacerange breakup trace`` on the team's own catalogue)
    countermeasure {measure, asset?, text?}                 (safe mode, payload off...)
                 frequency_change / switch_link {asset, ground_station} /
                 avoid_site {asset, lat_deg, lon_deg, radius_km} / isolate_feed {sensor} /
                 cross_check {objects} act on the world (issue 15's effects)
    data_share / notification                              (aliases of share / notify)

The evaluation vocabulary (:class:`~spacerange.exercise.scenario.PlayerAction`) is derived
by :func:`player_kind`: ``relocate`` -> ``countermeasure``, ``share`` -> ``data_share``,
``notify`` -> ``notification``, ``rfi`` -> ``coordination``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from spacerange.exercise.clock import to_dt64
from spacerange.exercise.scenario import ExpectedAction, PlayerAction, Scenario

__all__ = [
    "ACTION_KINDS",
    "PHYSICAL_KINDS",
    "DELAYED_KINDS",
    "player_kind",
    "satisfies",
    "validate_action",
    "team_assets",
    "team_sensors",
]

_PLAYER = {a.value for a in PlayerAction}
#: contract kind -> player-action kind used by expected actions and rules
_ALIAS = {
    "relocate": "countermeasure",
    "share": "data_share",
    "notify": "notification",
    "rfi": "coordination",
}
ACTION_KINDS = frozenset(_PLAYER | set(_ALIAS))
#: kinds passed to ``world.apply`` (they change truth or the team's picture)
PHYSICAL_KINDS = frozenset(
    {"maneuver", "relocate", "tasking", "share", "data_share", "countermeasure", "rendezvous"}
)
#: kinds executed no earlier than the uplink delay after submission
DELAYED_KINDS = frozenset({"maneuver", "relocate", "rendezvous"})
#: option words of an expected ``countermeasure`` -> action kinds fulfilling them
_OPTION_KINDS = {
    "relocate": {"relocate"},
    "notify": {"notify", "notification", "report"},
    "increase_tracking": {"tasking"},
    "tasking": {"tasking"},
    "maneuver": {"maneuver"},
    "avoid": {"maneuver"},
    "safe_mode": {"countermeasure"},
    "share": {"share", "data_share"},
    "report": {"report"},
}


def player_kind(action: dict) -> str:
    """The :class:`PlayerAction` kind an action counts as."""
    k = str(action.get("kind", ""))
    return _ALIAS.get(k, k)


def satisfies(expected: ExpectedAction, action: dict) -> bool:
    """Whether ``action`` fulfils ``expected`` (same kind, or for a ``countermeasure`` one
    of its ``options``; an assessment with a stated threat must match it when the
    expected action names one is *not* required here: correctness is the evaluation's)."""
    kind = str(action.get("kind"))
    want = expected.action.value
    if kind == "countermeasure" and action.get("measure") == "cross_check":
        # a check, not a protective measure: only an expected cross-check is fulfilled
        return want == "countermeasure" and "cross_check" in (expected.options or [])
    if player_kind(action) == want:
        return True
    if want == "countermeasure":
        opts = expected.options or ["relocate", "maneuver", "safe_mode"]
        return any(kind in _OPTION_KINDS.get(o, {o}) for o in opts)
    if want == "notification" and kind == "report":
        return True
    return False


def team_assets(scenario: Scenario, team_id: str) -> dict[str, Any]:
    """Assets (id -> Asset model) of the actors ``team_id`` plays."""
    team = scenario.team(team_id)
    out = {}
    for actor in scenario.actors:
        if actor.id in team.plays:
            for a in actor.assets:
                out[a.id] = a
    return out


def team_sensors(scenario: Scenario, team_id: str) -> list[str]:
    """Scenario sensor ids of the actors ``team_id`` plays."""
    team = scenario.team(team_id)
    return [s.sensor_id for actor in scenario.actors if actor.id in team.plays
            for s in actor.sensors]  # fmt: skip


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def validate_action(
    scenario: Scenario, team_id: str, action: Any, now_utc: np.datetime64, uplink_delay_s: float
) -> tuple[dict, list[str]]:
    """Check an action's schema and the team's right to take it.

    Returns the normalized action (``epoch_utc`` filled in for a manoeuvre) and the list
    of errors (empty when valid).  Capability checks that need truth (delta-v budget,
    sensor availability) are the world's (``world.apply``)."""
    errors: list[str] = []
    if not isinstance(action, dict):
        return {}, [f"action: expected an object with 'kind', got {type(action).__name__}"]
    act = dict(action)
    kind = act.get("kind")
    try:
        team = scenario.team(team_id)
    except KeyError:
        return act, [f"team: unknown team {team_id!r}"]
    if team.role in ("evaluator", "observer"):
        return act, [f"team {team_id!r} ({team.role}) cannot submit actions"]
    if kind not in ACTION_KINDS:
        return act, [f"kind: unknown action kind {kind!r}: expected one of "
                     f"{', '.join(sorted(ACTION_KINDS))}"]  # fmt: skip
    assets = team_assets(scenario, team_id)
    team_ids = {t.id for t in scenario.teams}

    def need(field: str, check, what: str) -> None:
        if field not in act or act[field] is None:
            errors.append(f"{kind}.{field}: required ({what})")
        elif not check(act[field]):
            errors.append(f"{kind}.{field}: expected {what}, got {act[field]!r}")

    def own_asset(field: str = "asset") -> None:
        need(field, lambda v: isinstance(v, str), "an asset id")
        a = act.get(field)
        if isinstance(a, str) and team.role != "white":
            if a not in assets:
                errors.append(
                    f"{kind}.{field}: {a!r} is not an asset of team {team_id!r} "
                    f"(its assets: {', '.join(sorted(assets)) or 'none'})"
                )
            elif not getattr(assets[a], "maneuverable", False):
                errors.append(f"{kind}.{field}: asset {a!r} is not maneuverable")

    if kind == "assessment":
        need("threat", lambda v: isinstance(v, str) and v, "a threat kind")
        need("objects", _str_list, "a list of object ids")
        if "confidence" in act and not (_num(act["confidence"]) and 0 <= act["confidence"] <= 1):
            errors.append(f"assessment.confidence: expected 0..1, got {act['confidence']!r}")
    elif kind == "maneuver":
        own_asset()
        need("dv_rtn_mps", lambda v: isinstance(v, list) and len(v) == 3 and all(map(_num, v)),
             "[r, t, n] in m/s")  # fmt: skip
        dv = act.get("dv_rtn_mps")
        if isinstance(dv, list) and len(dv) == 3 and all(map(_num, dv)) and not any(dv):
            errors.append("maneuver.dv_rtn_mps: a burn needs a non-zero delta-v")
        earliest = now_utc + np.timedelta64(int(uplink_delay_s * 1e6), "us")
        if act.get("epoch_utc") is None:
            act["epoch_utc"] = earliest
        else:
            try:
                ep = to_dt64(act["epoch_utc"])
            except (TypeError, ValueError):
                errors.append(f"maneuver.epoch_utc: expected an ISO UTC instant, got "
                              f"{act['epoch_utc']!r}")  # fmt: skip
            else:
                if ep < earliest:
                    errors.append(
                        f"maneuver.epoch_utc: {act['epoch_utc']} is before the earliest "
                        f"possible execution (now + uplink delay {uplink_delay_s:g} s)"
                    )
                act["epoch_utc"] = ep
    elif kind == "relocate":
        own_asset()
        need("to_lon_deg", lambda v: _num(v) and -180 <= v <= 360, "a longitude in degrees")
        need("drift_days", lambda v: _num(v) and v > 0, "a positive number of days")
    elif kind == "rendezvous":
        own_asset()
        need("target", lambda v: isinstance(v, str) and v, "an object the team holds")
        need("range_km", lambda v: _num(v) and 0.1 <= v <= 1000, "a hold range in km (0.1-1000)")
        if "duration_h" in act and not (_num(act["duration_h"]) and 1 <= act["duration_h"] <= 240):
            errors.append("rendezvous.duration_h: expected 1 to 240 hours")
    elif kind == "tasking":
        need("objects", _str_list, "a list of object ids")
        if act.get("sensor") is not None and not isinstance(act["sensor"], str):
            errors.append("tasking.sensor: expected a sensor id")
    elif kind in ("share", "data_share"):
        need("to_team", lambda v: v in team_ids and v != team_id, "another team id")
        need("products", _str_list, "a list of products (omm, cdm, observations...)")
    elif kind in ("notify", "notification"):
        need("to", lambda v: _str_list(v) or isinstance(v, str), "recipients")
        need("text", lambda v: isinstance(v, str), "a message text")
    elif kind in ("rfi", "coordination"):
        need("to", lambda v: isinstance(v, str) or _str_list(v), "a recipient")
        need("text", lambda v: isinstance(v, str), "a message text")
    elif kind == "report":
        need("text", lambda v: isinstance(v, str), "a report text")
    elif kind == "catalog_update":
        need("objects", _str_list, "a list of object ids")
    elif kind == "reentry_prediction":
        need("object", lambda v: isinstance(v, str), "an object id")
        for f in ("window_start", "window_end", "most_likely"):
            need(f, lambda v: isinstance(v, str | np.datetime64), "an ISO UTC instant")
        if not errors:
            try:
                ws, we, ml = (to_dt64(act[f]) for f in ("window_start", "window_end",
                                                          "most_likely"))  # fmt: skip
            except (TypeError, ValueError) as exc:
                errors.append(f"reentry_prediction: bad instant ({exc})")
            else:
                if not ws <= ml <= we:
                    errors.append("reentry_prediction: need window_start <= most_likely <= "
                                  "window_end")  # fmt: skip
    elif kind == "countermeasure":
        need("measure", lambda v: isinstance(v, str), "a measure name")
    elif kind == "breakup_attribution":
        need("parent", lambda v: isinstance(v, str) and 0 < len(v) <= 64, "an object id")
        need("epoch_utc", lambda v: isinstance(v, str | np.datetime64), "an ISO UTC instant")
        if "epoch_utc" in act and not errors:
            try:
                act["epoch_utc"] = to_dt64(act["epoch_utc"])
            except (TypeError, ValueError):
                errors.append(f"breakup_attribution.epoch_utc: expected an ISO UTC instant, "
                              f"got {act['epoch_utc']!r}")  # fmt: skip
        for f, lo, hi in (("lat_deg", -90, 90), ("lon_deg", -180, 360), ("alt_km", -100, 1e6),
                          ("spread_km", 0, 1e6)):  # fmt: skip
            if f in act and not (_num(act[f]) and lo <= act[f] <= hi):
                errors.append(f"breakup_attribution.{f}: expected a number in [{lo}, {hi}]")
    return act, errors
