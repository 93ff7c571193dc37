"""The event list (NATO MEL/MIL, HSEEP MSEL): main events -> incidents -> injects, with the
typed threat ``action`` the engine enacts physically, triggers, expected player actions,
evaluation criteria and contingency injects.

Inject timing: ``at`` (an instant or ``STARTEX+offset``) or ``trigger`` (after another
inject is released/resolved, plus a delay; or when a world condition becomes true).  An
inject *resolves* when every expected action was submitted or its deadline passed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from spacerange.exercise.scenario.common import (
    Duration,
    Id,
    InjectTime,
    PlayerAction,
    PositiveDuration,
    Rating,
    ScenarioModel,
    Serial,
    ThreatKind,
)
from spacerange.exercise.scenario.counterspace import (
    AsatTest,
    CovertManeuver,
    DecoyRelease,
    RpoGuidance,
)
from spacerange.exercise.scenario.effects import CyberGround, LaserDazzle, RfInterference
from spacerange.exercise.scenario.rules import RuleError, parse_rule
from spacerange.exercise.scenario.world import Orbit

__all__ = [
    "HighPcConjunction",
    "GeoRendezvous",
    "SubSatelliteRelease",
    "LeoInspector",
    "DebrisEvent",
    "UncontrolledReentry",
    "UnannouncedManeuver",
    "SensorOutage",
    "SpaceWeather",
    "NewLaunch",
    "MessageOnly",
    "ThreatAction",
    "THREAT_ACTIONS",
    "AfterTrigger",
    "ConditionTrigger",
    "Trigger",
    "DataRef",
    "Payload",
    "ExpectedAction",
    "ScoreRange",
    "EvaluationCriterion",
    "ContingencyInject",
    "Contingency",
    "Inject",
    "Incident",
    "MainEvent",
    "DeliveryMethod",
]

# --------------------------------------------------------------------------- threat actions


class HighPcConjunction(ScenarioModel):
    """Place a secondary on a conjunction course with ``target``: at ``tca_offset`` after
    release the truth miss is ``miss_m`` and the CDM series published every
    ``cdm_cadence`` trends to ``pc_target``.  ``secondary`` names an existing object; when
    omitted the engine creates one named ``new_secondary_id`` (default ``<serial>-SEC``)."""

    kind: Literal["high_pc_conjunction"] = "high_pc_conjunction"
    target: Id
    secondary: Id | None = None
    new_secondary_id: Id | None = None
    secondary_type: Literal["PAYLOAD", "ROCKET BODY", "DEBRIS", "UNKNOWN"] = "DEBRIS"
    miss_m: float = Field(gt=0, le=100_000, description="truth miss distance at TCA [m]")
    pc_target: float = Field(gt=0, le=1, description="Pc of the final CDMs")
    tca_offset: PositiveDuration = Field(description="TCA after the inject's release")
    relative_speed_km_s: float | None = Field(default=None, gt=0, le=16)
    cdm_cadence: PositiveDuration = Field(default=timedelta(hours=8))

    @model_validator(mode="after")
    def _one_secondary(self) -> HighPcConjunction:
        if self.secondary is not None and self.new_secondary_id is not None:
            raise ValueError("give secondary (existing object) or new_secondary_id, not both")
        return self


class GeoRendezvous(ScenarioModel):
    """A red asset drifts to and station-keeps ``final_range_km`` from ``target`` within
    ``duration``, then holds for ``hold``; the engine plans burns inside its budget."""

    kind: Literal["geo_rendezvous"] = "geo_rendezvous"
    red_asset: Id
    target: Id
    final_range_km: float = Field(gt=0, le=5000)
    duration: PositiveDuration
    hold: Duration = Field(default=timedelta(0))
    dv_planned_mps: float | None = Field(default=None, gt=0, description="scripted cost [m/s]")
    guidance: RpoGuidance | None = None  # closed-loop hold, re-plan, abort/retry (issue 15)


class SubSatelliteRelease(ScenarioModel):
    """Release of a deployable carried by the inspector."""

    deployable: Id
    after: Duration = Field(default=timedelta(0), description="after reaching approach range")
    relative_speed_m_s: float = Field(gt=0, le=1000)


class LeoInspector(ScenarioModel):
    """An inspector phases to ``approach_range_km`` of ``target`` over ``duration``;
    optionally releases a sub-satellite."""

    kind: Literal["leo_inspector"] = "leo_inspector"
    inspector: Id
    target: Id
    approach_range_km: float = Field(gt=0, le=2000)
    duration: PositiveDuration
    release: SubSatelliteRelease | None = None
    dv_planned_mps: float | None = Field(default=None, gt=0)


class DebrisEvent(ScenarioModel):
    """A fragmentation of ``parent`` modelled with the NASA Standard Breakup Model;
    ``collision`` needs an ``impactor`` object or an ``impactor_mass_kg`` with
    ``impact_speed_km_s``; fragments below ``min_size_m`` (characteristic length) are not
    created."""

    kind: Literal["debris_event"] = "debris_event"
    parent: Id
    breakup: Literal["explosion", "collision"]
    impactor: Id | None = None
    impactor_mass_kg: float | None = Field(default=None, gt=0)
    impact_speed_km_s: float | None = Field(default=None, gt=0, le=20)
    min_size_m: float = Field(default=0.1, gt=0, le=1)
    fragment_prefix: Id | None = None

    @model_validator(mode="after")
    def _impactor(self) -> DebrisEvent:
        if self.breakup == "explosion" and (self.impactor or self.impactor_mass_kg):
            raise ValueError("an explosion has no impactor")
        if self.breakup == "collision" and not (
            self.impactor or (self.impactor_mass_kg and self.impact_speed_km_s)
        ):
            raise ValueError(
                "a collision needs impactor, or impactor_mass_kg and impact_speed_km_s"
            )
        return self


class UncontrolledReentry(ScenarioModel):
    """``object`` decays and re-enters at ``expected_reentry`` +/- ``uncertainty``."""

    kind: Literal["uncontrolled_reentry"] = "uncontrolled_reentry"
    object: Id
    expected_reentry: InjectTime
    uncertainty: PositiveDuration
    surviving_mass_kg: float | None = Field(default=None, ge=0)


class UnannouncedManeuver(ScenarioModel):
    """An impulsive burn ``dv_rtn_mps`` (radial, transverse, normal [m/s]) of ``asset`` at
    ``at`` (default: the inject's release); counts against its delta-v budget."""

    kind: Literal["unannounced_maneuver"] = "unannounced_maneuver"
    asset: Id
    dv_rtn_mps: list[float] = Field(min_length=3, max_length=3)
    at: InjectTime | None = None

    @property
    def dv_mps(self) -> float:
        return sum(x * x for x in self.dv_rtn_mps) ** 0.5


class SensorOutage(ScenarioModel):
    """``sensors`` (scenario sensor ids) stop (or degrade by ``degradation`` = fraction
    of lost observations) for ``duration``."""

    kind: Literal["sensor_outage"] = "sensor_outage"
    sensors: list[str] = Field(min_length=1)
    duration: PositiveDuration
    degradation: float = Field(default=1.0, gt=0, le=1)
    cause: str | None = None


class SpaceWeather(ScenarioModel):
    """A geomagnetic/solar event: new F10.7 [sfu] and/or Ap, or a direct thermospheric
    density scale factor, for ``duration`` after a ``ramp``."""

    kind: Literal["space_weather"] = "space_weather"
    f107_sfu: float | None = Field(default=None, ge=50, le=400)
    ap: float | None = Field(default=None, ge=0, le=400)
    density_scale: float | None = Field(default=None, gt=0, le=20)
    duration: PositiveDuration
    ramp: Duration = Field(default=timedelta(hours=3))

    @model_validator(mode="after")
    def _something(self) -> SpaceWeather:
        if self.f107_sfu is None and self.ap is None and self.density_scale is None:
            raise ValueError("give f107_sfu, ap or density_scale")
        return self


class NewLaunch(ScenarioModel):
    """A launch placing ``n_objects`` (payloads, stage, debris) near ``orbit`` with a
    separation spread; ``owner`` is an actor id (omitted: undeclared launch)."""

    kind: Literal["new_launch"] = "new_launch"
    owner: Id | None = None
    n_objects: int = Field(ge=1, le=500)
    orbit: Orbit
    id_prefix: Id
    separation_spread_m_s: float = Field(default=1.0, gt=0, le=100)


class MessageOnly(ScenarioModel):
    """A message-only event (no physics): a jamming report, a media item, a diplomatic
    note.  ``assets`` lists the assets it concerns."""

    kind: Literal["jamming_report", "media", "diplomatic_note"]
    assets: list[Id] = Field(default_factory=list)
    details: str | None = None


THREAT_ACTIONS: dict[str, type[ScenarioModel]] = {
    "high_pc_conjunction": HighPcConjunction,
    "geo_rendezvous": GeoRendezvous,
    "leo_inspector": LeoInspector,
    "debris_event": DebrisEvent,
    "uncontrolled_reentry": UncontrolledReentry,
    "unannounced_maneuver": UnannouncedManeuver,
    "sensor_outage": SensorOutage,
    "space_weather": SpaceWeather,
    "new_launch": NewLaunch,
    "asat_test": AsatTest,
    "decoy_release": DecoyRelease,
    "covert_maneuver": CovertManeuver,
    "jamming_report": MessageOnly,
    "media": MessageOnly,
    "diplomatic_note": MessageOnly,
    "rf_interference": RfInterference,
    "laser_dazzle": LaserDazzle,
    "cyber_ground": CyberGround,
}
assert set(THREAT_ACTIONS) == {k.value for k in ThreatKind}

_THREAT_LIST = ", ".join(THREAT_ACTIONS)


def _action_tag(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    if kind in ("jamming_report", "media", "diplomatic_note"):
        return "action:message"
    return f"action:{kind}" if kind in THREAT_ACTIONS else None


#: The threat event an inject enacts, selected by ``kind``.
ThreatAction = Annotated[
    Annotated[HighPcConjunction, Tag("action:high_pc_conjunction")]
    | Annotated[GeoRendezvous, Tag("action:geo_rendezvous")]
    | Annotated[LeoInspector, Tag("action:leo_inspector")]
    | Annotated[DebrisEvent, Tag("action:debris_event")]
    | Annotated[UncontrolledReentry, Tag("action:uncontrolled_reentry")]
    | Annotated[UnannouncedManeuver, Tag("action:unannounced_maneuver")]
    | Annotated[SensorOutage, Tag("action:sensor_outage")]
    | Annotated[SpaceWeather, Tag("action:space_weather")]
    | Annotated[NewLaunch, Tag("action:new_launch")]
    | Annotated[RfInterference, Tag("action:rf_interference")]
    | Annotated[LaserDazzle, Tag("action:laser_dazzle")]
    | Annotated[CyberGround, Tag("action:cyber_ground")]
    | Annotated[AsatTest, Tag("action:asat_test")]
    | Annotated[DecoyRelease, Tag("action:decoy_release")]
    | Annotated[CovertManeuver, Tag("action:covert_maneuver")]
    | Annotated[MessageOnly, Tag("action:message")],
    Discriminator(
        _action_tag,
        custom_error_type="threat_kind",
        custom_error_message=f"unknown or missing threat kind: expected kind: one of {_THREAT_LIST}",
    ),
]

# --------------------------------------------------------------------------------- triggers


class AfterTrigger(ScenarioModel):
    """Fire ``delay`` after inject ``after`` is released or resolved."""

    after: Serial
    on: Literal["released", "resolved"] = "resolved"
    delay: Duration = Field(default=timedelta(0))


class ConditionTrigger(ScenarioModel):
    """Fire when ``condition`` (a rule in the *condition* context) becomes true, checked
    every ``check_every`` between ``not_before`` (default STARTEX) and ``not_after``
    (default ENDEX); fires at most once."""

    condition: str
    check_every: PositiveDuration = Field(default=timedelta(minutes=10))
    not_before: InjectTime | None = None
    not_after: InjectTime | None = None

    @field_validator("condition")
    @classmethod
    def _parse(cls, text: str) -> str:
        try:
            parse_rule(text, "condition")
        except RuleError as exc:
            raise ValueError(str(exc)) from None
        return text

    @property
    def rule(self):
        return parse_rule(self.condition, "condition")


def _trigger_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "after" in value:
            return "trigger:after"
        if "condition" in value:
            return "trigger:condition"
        return None
    return "trigger:after" if isinstance(value, AfterTrigger) else "trigger:condition"


Trigger = Annotated[
    Annotated[AfterTrigger, Tag("trigger:after")]
    | Annotated[ConditionTrigger, Tag("trigger:condition")],
    Discriminator(
        _trigger_tag,
        custom_error_type="trigger_kind",
        custom_error_message="a trigger needs 'after: SERIAL' or 'condition: RULE'",
    ),
]

# ------------------------------------------------------------------------ payload, actions

DeliveryMethod = Literal["sensor-feed", "cdm", "message", "phone", "media", "order"]


class DataRef(ScenarioModel):
    """Data attached to an inject: a ``file`` (relative to the scenario), or a product the
    engine generates from truth for ``objects`` at release time."""

    kind: Literal["tle", "omm", "oem", "opm", "cdm", "tdm", "observations", "image", "report"]
    file: str | None = None
    objects: list[Id] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _source(self) -> DataRef:
        if (self.file is None) == (not self.objects):
            raise ValueError("give exactly one of file or objects")
        return self


class Payload(ScenarioModel):
    """What the recipients receive: text (marked EXERCISE on delivery) and data."""

    text: str | None = None
    data: list[DataRef] = Field(default_factory=list)


class ExpectedAction(ScenarioModel):
    """A player action the inject should provoke, due ``deadline`` after release.
    ``by`` defaults to the inject's ``to`` teams; ``threat``/``options`` describe what a
    correct submission contains (e.g. ``options: [relocate, notify]``)."""

    action: PlayerAction
    deadline: PositiveDuration
    by: list[Id] = Field(default_factory=list)
    objects: list[Id] = Field(default_factory=list)
    threat: (
        ThreatKind
        | Literal[
            "proximity",
            "conjunction",
            "fragmentation",
            "reentry",
            "maneuver",
            "interference",
            "launch",
        ]
        | None
    ) = None
    options: list[str] = Field(default_factory=list)
    description: str | None = None


class ScoreRange(ScenarioModel):
    min: float = 0.0
    max: float = 10.0

    @model_validator(mode="after")
    def _ordered(self) -> ScoreRange:
        if self.min > self.max:
            raise ValueError(f"score range min {self.min} > max {self.max}")
        return self


class EvaluationCriterion(ScenarioModel):
    """One evaluation criterion (MISP CEXF-like).  ``method: automatic`` evaluates ``rule``
    (evaluation context) at the inject's resolution; true -> ``rating_if_true`` and
    ``score_range.max``, false -> ``rating_if_false`` and ``score_range.min``.  ``method:
    evaluator`` asks an evaluator to rate with ``guidance`` and a score in the range."""

    method: Literal["automatic", "evaluator"] = "automatic"
    rule: str | None = None
    guidance: str | None = None
    rating_if_true: Rating | None = None
    rating_if_false: Rating | None = None
    score_range: ScoreRange = Field(default_factory=ScoreRange)
    critical_task: Id | None = None

    @field_validator("rule")
    @classmethod
    def _parse(cls, text: str | None) -> str | None:
        if text is None:
            return None
        try:
            parse_rule(text, "evaluation")
        except RuleError as exc:
            raise ValueError(str(exc)) from None
        return text

    @model_validator(mode="after")
    def _complete(self) -> EvaluationCriterion:
        if self.method == "automatic":
            if self.rule is None:
                raise ValueError("an automatic criterion needs a rule")
            if self.rating_if_true is None and self.rating_if_false is None:
                raise ValueError("give rating_if_true and/or rating_if_false")
        elif not self.guidance:
            raise ValueError("an evaluator criterion needs guidance for the evaluator")
        return self

    @property
    def parsed_rule(self):
        return None if self.rule is None else parse_rule(self.rule, "evaluation")


class ContingencyInject(ScenarioModel):
    """An inject defined inline in a contingency (fired only when needed).  Its serial
    defaults to ``<parent serial>/C<n>``."""

    serial: Serial | None = None
    title: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: list[Id] = Field(min_length=1)
    method: DeliveryMethod = "message"
    text: str | None = None
    payload: Payload | None = None
    action: ThreatAction | None = None


class Contingency(ScenarioModel):
    """Fire ``inject`` (inline) or ``fire`` (the serial of a planned inject, then released
    early/only in this case) when ``if_missing`` (one of the inject's expected actions) was
    not submitted ``after`` the inject's release."""

    after: PositiveDuration
    if_missing: PlayerAction
    inject: ContingencyInject | None = None
    fire: Serial | None = None

    @model_validator(mode="after")
    def _one(self) -> Contingency:
        if (self.inject is None) == (self.fire is None):
            raise ValueError("give exactly one of inject (inline) or fire (a serial)")
        return self


class Inject(ScenarioModel):
    """One inject of the event list (HSEEP MSEL / NATO MIL fields)."""

    serial: Serial
    title: str = Field(min_length=1)
    at: InjectTime | None = None
    trigger: Trigger | None = None
    from_: str | None = Field(
        default=None, alias="from", description="simulated originator, e.g. 'REDLAND MoD (sim)'"
    )
    to: list[Id] = Field(min_length=1, description="recipient team ids")
    method: DeliveryMethod
    payload: Payload = Field(default_factory=Payload)
    ground_truth: str | None = Field(default=None, description="controller-only")
    action: ThreatAction | None = None
    expected_actions: list[ExpectedAction] = Field(default_factory=list)
    objectives: list[Id] = Field(default_factory=list)
    critical_tasks: list[Id] = Field(default_factory=list)
    evaluation: list[EvaluationCriterion] = Field(default_factory=list)
    contingency: list[Contingency] = Field(default_factory=list)
    controller: str | None = None
    status: Literal["planned", "released", "skipped"] = "planned"
    notes: str | None = None

    @model_validator(mode="after")
    def _timing(self) -> Inject:
        if (self.at is None) == (self.trigger is None):
            raise ValueError("give exactly one of at (a time) or trigger")
        return self


class Incident(ScenarioModel):
    """An incident (MEL "main incident"): a group of injects."""

    id: Id
    title: str
    description: str | None = None
    injects: list[Inject] = Field(min_length=1)


class MainEvent(ScenarioModel):
    """A main event of the MEL: a storyline, e.g. "Unannounced approach in GEO"."""

    id: Id
    title: str
    threat: ThreatKind | None = None
    description: str | None = None
    incidents: list[Incident] = Field(min_length=1)
