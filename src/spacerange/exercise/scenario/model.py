"""The top-level scenario model: exercise metadata, world, actors, teams, data sharing,
objectives and critical tasks, and the event list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from spacerange.exercise.scenario.actors import Actor, ActorsFromCatalog
from spacerange.exercise.scenario.common import (
    Duration,
    Id,
    ScenarioModel,
    UtcTime,
    resolve_time,
)
from spacerange.exercise.scenario.events import Inject, MainEvent
from spacerange.exercise.scenario.world import World

__all__ = [
    "SCHEMA_VERSION",
    "ExerciseMeta",
    "Team",
    "SharingAgreement",
    "CriticalTask",
    "Objective",
    "Scenario",
]

#: Version of the scenario format written in ``format`` (bumped on incompatible change).
SCHEMA_VERSION = 1


class ExerciseMeta(ScenarioModel):
    """Exercise identity and clock.  ``compression``: scenario seconds per wall-clock
    second (60 -> one wall minute plays one scenario hour).  ``seed`` seeds every random
    draw of the run (sensor noise, break-up fragments, synthetic choices)."""

    name: str = Field(min_length=1)
    marking: Literal["EXERCISE"] = Field(
        default="EXERCISE", description="printed on every message, product and report"
    )
    description: str | None = None
    road_to_crisis: str | None = Field(default=None, description="background narrative")
    startex: UtcTime
    endex: UtcTime
    compression: float = Field(default=1.0, gt=0, le=100_000)
    seed: int = Field(ge=0)
    truth_step: Duration = Field(default=timedelta(minutes=1), description="truth propagation step")
    screening_look_ahead: Duration = Field(
        default=timedelta(hours=72),
        description="how far ahead each team screens its assets against its own catalog",
    )
    director: str | None = None

    @field_validator("endex")
    @classmethod
    def _window(cls, endex: datetime, info: ValidationInfo) -> datetime:
        startex = info.data.get("startex")
        if startex is not None and endex <= startex:
            raise ValueError(
                f"ENDEX {endex.isoformat()} is not after STARTEX {startex.isoformat()}"
            )
        return endex

    @field_validator("screening_look_ahead")
    @classmethod
    def _look_ahead(cls, v: timedelta) -> timedelta:
        if not timedelta(hours=1) <= v <= timedelta(days=7):
            raise ValueError("screening_look_ahead must be between 1 h and 7 days "
                             "(SGP4 element sets age fast)")  # fmt: skip
        return v

    @property
    def duration(self) -> timedelta:
        return self.endex - self.startex


class Team(ScenarioModel):
    """A cell of the exercise.  ``white`` is EXCON (sees truth, runs the script), ``blue``
    a training audience (one per nation/unit; sees only its own and allied sensors'
    data), ``red`` the opposing force, ``evaluator`` and ``observer`` read-only roles."""

    id: Id
    name: str | None = None
    role: Literal["white", "blue", "red", "evaluator", "observer"]
    plays: list[Id] = Field(default_factory=list, description="actor ids this team operates")
    members: list[str] = Field(default_factory=list)
    notes: str | None = None


class SharingAgreement(ScenarioModel):
    """Data ``provider`` passes to ``recipients``: which ``products`` (derived from the
    provider's own picture), after what ``delay``, for which objects (``all``, ``own``
    assets only, or listed ids)."""

    provider: Id
    recipients: list[Id] = Field(min_length=1)
    products: list[
        Literal["omm", "oem", "cdm", "observations", "tdm", "maneuver_notice", "assessment"]
    ] = Field(min_length=1)
    delay: Duration = Field(default=timedelta(0))
    objects: Literal["all", "own"] | list[Id] = "all"
    notes: str | None = None


class CriticalTask(ScenarioModel):
    """A critical task (HSEEP EEG): a step an objective needs, rated P/S/M/U."""

    id: Id
    text: str = Field(min_length=1)
    teams: list[Id] = Field(default_factory=list)


class Objective(ScenarioModel):
    """A training objective, the capability it exercises and its critical tasks."""

    id: Id
    text: str = Field(min_length=1)
    capability: str | None = None
    critical_tasks: list[Id] = Field(default_factory=list)
    teams: list[Id] = Field(default_factory=list)


class Scenario(ScenarioModel):
    """A whole exercise scenario (see ``docs/scenario-format.md``)."""

    format: Literal[1] = Field(default=SCHEMA_VERSION, description="scenario format version")
    exercise: ExerciseMeta
    world: World
    actors: list[Actor] = Field(default_factory=list)
    actors_from_catalog: ActorsFromCatalog | None = None
    teams: list[Team] = Field(min_length=1)
    sharing: list[SharingAgreement] = Field(default_factory=list)
    critical_tasks: list[CriticalTask] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)
    events: list[MainEvent] = Field(default_factory=list)

    def iter_injects(self) -> Iterator[tuple[MainEvent, object, Inject]]:
        """``(main_event, incident, inject)`` for every planned inject, in file order."""
        for ev in self.events:
            for inc in ev.incidents:
                for inj in inc.injects:
                    yield ev, inc, inj

    def inject(self, serial: str) -> Inject:
        """The inject with this serial (``KeyError`` if none)."""
        for _, _, inj in self.iter_injects():
            if inj.serial == serial:
                return inj
        raise KeyError(serial)

    def team(self, team_id: str) -> Team:
        for t in self.teams:
            if t.id == team_id:
                return t
        raise KeyError(team_id)

    def time_of(self, value: datetime | str) -> datetime:
        """UTC instant of an inject time (absolute or ``STARTEX+offset``)."""
        return resolve_time(value, self.exercise.startex)
