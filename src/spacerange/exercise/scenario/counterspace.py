"""Threat actions of the counterspace library (issue 15, items 4-6): a direct-ascent ASAT
test, releases of decoys, a manoeuvre timed out of a team's coverage, and the guidance of a
rendezvous hold (closed-loop station-keeping, re-planning, abort and retry).

These model *effects an SSA cell observes*, at exercise level: no weapon design details
(no seeker, guidance law, warhead or propulsion model).  The world enacts them in
:mod:`spacerange.exercise.world.asat`, :mod:`~spacerange.exercise.world.deception` and
:mod:`~spacerange.exercise.world.rpo`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from spacerange.exercise.scenario.common import (
    Duration,
    Id,
    InjectTime,
    PositiveDuration,
    ScenarioModel,
)

__all__ = ["LaunchSite", "AsatTest", "Decoy", "DecoyRelease", "CovertManeuver", "RpoGuidance"]


class LaunchSite(ScenarioModel):
    """A launch site (geodetic, WGS-84)."""

    name: str | None = None
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=360)


class AsatTest(ScenarioModel):
    """A direct-ascent anti-satellite test against ``target`` (a satellite of the testing
    actor, as in 2007, 2019 and 2021): the launch window opens at the inject's release; the
    intercept is placed at the first pass of the target over ``site`` within ``window``
    whose elevation from the site reaches ``min_elevation_deg``.  The interceptor becomes
    a tracked object at burnout (``burnout_alt_km`` above the site) and coasts on a
    ballistic arc for the rest of ``flight_time``; the intercept breaks both up with the
    NASA Standard Breakup Model (fragments >= ``min_size_m``)."""

    kind: Literal["asat_test"] = "asat_test"
    site: LaunchSite
    target: Id
    window: PositiveDuration = Field(default=timedelta(hours=24))
    min_elevation_deg: float = Field(default=30.0, ge=5, le=90)
    flight_time: PositiveDuration = Field(default=timedelta(minutes=10))
    burnout_time: PositiveDuration = Field(default=timedelta(seconds=120))
    burnout_alt_km: float = Field(default=200.0, ge=120, le=600)
    impactor_mass_kg: float = Field(default=20.0, gt=0, le=5000)
    min_size_m: float = Field(default=0.1, gt=0, le=1)
    interceptor_id: Id | None = Field(
        default=None,
        description="label of the interceptor in the record (default KV-<target>); not an object",
    )
    fragment_prefix: Id | None = None

    @model_validator(mode="after")
    def _times(self) -> AsatTest:
        ft = self.flight_time.total_seconds()
        if not 120.0 <= ft <= 1800.0:
            raise ValueError("flight_time: expected 2 to 30 minutes (a direct ascent)")
        if self.burnout_time.total_seconds() >= ft - 60.0:
            raise ValueError("burnout_time: must end at least 1 minute before flight_time")
        return self


class Decoy(ScenarioModel):
    """One released object: a sub-satellite or a decoy (its size and mass as a sensor
    would see them)."""

    id: Id
    hbr_m: float = Field(default=1.0, gt=0, le=50)
    mass_kg: float = Field(default=20.0, gt=0, le=10000)


class DecoyRelease(ScenarioModel):
    """``parent`` releases ``decoys`` at ``at`` (default: the inject's release), each with
    ``relative_speed_m_s`` in a random direction; with ``parent_dv_rtn_mps`` the parent
    burns at the release (the decoys carry on near its old orbit: deception)."""

    kind: Literal["decoy_release"] = "decoy_release"
    parent: Id
    decoys: list[Decoy] = Field(min_length=1, max_length=50)
    relative_speed_m_s: float = Field(default=1.0, gt=0, le=100)
    parent_dv_rtn_mps: list[float] | None = Field(default=None, min_length=3, max_length=3)
    at: InjectTime | None = None


class CovertManeuver(ScenarioModel):
    """An impulsive burn ``dv_rtn_mps`` of ``asset`` timed when none of the sensors of
    ``unseen_by`` (team ids) can see it: the world picks the first instant after the
    release (or ``not_before``) and before ``not_after`` when the asset is out of their
    coverage and has been for ``min_gap``."""

    kind: Literal["covert_maneuver"] = "covert_maneuver"
    asset: Id
    dv_rtn_mps: list[float] = Field(min_length=3, max_length=3)
    unseen_by: list[Id] = Field(min_length=1)
    not_before: InjectTime | None = None
    not_after: InjectTime | None = None
    min_gap: Duration = Field(default=timedelta(minutes=20))


class RpoGuidance(ScenarioModel):
    """The red servicer's guidance after its transfer (``geo_rendezvous.guidance``):

    * **hold**: every ``check_every`` a corrective burn (solved on the truth orbits) puts
      it back on the hold point ``final_range_km`` from the target; the achieved range band
      is reported.  ``tolerance_km`` is the band the hold must keep.
    * **re-plan**: when the hold point is more than ``replan_km`` away (the target moved),
      a new transfer of ``replan_duration`` is planned, within the delta-v budget.
    * **abort and retry**: when the red cell commands a burn of the servicer itself (the
      red cell aborting, e.g. after a warning), the guidance stands down and, with
      ``retry_after``, plans a new approach that long after the abort."""

    tolerance_km: float = Field(default=1.0, gt=0, le=500)
    check_every: PositiveDuration = Field(default=timedelta(hours=1))
    replan_km: float = Field(default=50.0, gt=0, le=5000)
    replan_duration: PositiveDuration = Field(default=timedelta(hours=12))
    retry_after: Duration | None = None
    decisions: Literal["world", "red"] = Field(
        default="world",
        description="who re-plans and retries: the world's guidance, or the red cell "
        "(its player orders a new approach with a 'rendezvous' action; the world only holds)",
    )


# ------------------------------------------------------------------- cross-checks (validator)
#: the kinds :func:`check_action` cross-checks
CHECKED_KINDS = frozenset({"asat_test", "decoy_release", "covert_maneuver", "geo_rendezvous"})


def created_ids(act: dict) -> tuple[set[str], set[str]]:
    """Object ids and id prefixes an action creates (raw YAML dict): the validator knows
    them as objects later injects and rules may name."""
    ids: set[str] = set()
    prefixes: set[str] = set()
    kind = act.get("kind")
    if kind == "asat_test" and isinstance(act.get("target"), str):
        # the interceptor is a trajectory record, not an object: only the fragments
        prefixes.add(act.get("fragment_prefix") or act["target"])
    elif kind == "decoy_release":
        for d in act.get("decoys") or []:
            if isinstance(d, dict) and isinstance(d.get("id"), str):
                ids.add(d["id"])
    return ids, prefixes


def check_action(ctx, path, act: dict, asset_of, check_object, spend) -> None:
    """Cross-checks of a counterspace action (raw YAML dict) with paths for the validator:
    objects exist, assets can manoeuvre, teams exist, scripted delta-v within budgets."""
    import math

    kind = act.get("kind")
    if kind == "asat_test":
        check_object((*path, "target"), act.get("target"))
    elif kind == "decoy_release":
        check_object((*path, "parent"), act.get("parent"))
        dv = act.get("parent_dv_rtn_mps")
        if isinstance(dv, list) and all(isinstance(x, int | float) for x in dv):
            a = asset_of("parent", "maneuver")
            spend(a, "parent", math.sqrt(sum(x * x for x in dv)), (*path, "parent_dv_rtn_mps"))
    elif kind == "covert_maneuver":
        a = asset_of("asset", "maneuver")
        dv = act.get("dv_rtn_mps")
        if isinstance(dv, list) and all(isinstance(x, int | float) for x in dv):
            spend(a, "asset", math.sqrt(sum(x * x for x in dv)), (*path, "dv_rtn_mps"))
        teams = {t.get("id") for t in ctx.data.get("teams") or [] if isinstance(t, dict)}
        for i, tm in enumerate(act.get("unseen_by") or []):
            if isinstance(tm, str) and tm not in teams:
                ctx.err((*path, "unseen_by", i), f"unknown team {tm!r}")
    elif kind == "geo_rendezvous":
        g = act.get("guidance")
        if isinstance(g, dict) and g.get("decisions") == "red" and g.get("retry_after"):
            ctx.err((*path, "guidance", "retry_after"),
                    "with decisions: red the red cell decides when to retry (its own "
                    "'rendezvous' order): retry_after would never be used")  # fmt: skip
        if isinstance(g, dict) and isinstance(g.get("tolerance_km"), int | float):
            rng = act.get("final_range_km")
            if isinstance(rng, int | float) and g["tolerance_km"] >= rng:
                ctx.err((*path, "guidance", "tolerance_km"),
                        f"tolerance {g['tolerance_km']:g} km is not below the hold range "
                        f"{rng:g} km")  # fmt: skip
