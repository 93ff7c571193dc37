"""The engine's records: inject, expected-action and action states, results, constants."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spacerange.exercise.actions import (
    player_kind,
)
from spacerange.exercise.content import THREAT_CATEGORY
from spacerange.exercise.ports import PicturePort, WorldPort
from spacerange.exercise.scenario import (
    ExpectedAction,
    Inject,
    Scenario,
)

if TYPE_CHECKING:  # pragma: no cover
    pass


log = logging.getLogger("spacerange.exercise")

#: threat kind of an inject action -> the taxonomy category an assessment uses for it
THREAT_TERMS = {**THREAT_CATEGORY, "media": "media", "diplomatic_note": "diplomatic_note"}

#: ``world_factory(scenario, seed, base_dir) -> (world, pictures)``
WorldFactory = Callable[[Scenario, int, Path], tuple[WorldPort, PicturePort]]

_INPUT_KINDS = ("action_submitted", "excon", "rating", "evaluator_note")
_EVALUATED_ROLES = ("blue", "red")
WHITE: list[str] = []  # visible_to for white/evaluators only
ALL = ["*"]


def default_world_factory(
    scenario: Scenario, seed: int, base_dir: Path
) -> tuple[WorldPort, PicturePort]:
    """The truth world and the teams' pictures (:mod:`spacerange.exercise.world`,
    :mod:`spacerange.exercise.picture`)."""
    from spacerange.exercise.world import World

    try:
        from spacerange.exercise.picture import Pictures
    except ImportError as exc:
        # an exercise without team pictures is a different exercise: refuse to start
        # rather than play on with blind teams
        raise RuntimeError(
            f"the team-picture module spacerange.exercise.picture cannot be imported ({exc}); "
            "an exercise cannot run without team pictures"
        ) from exc
    world = World(scenario, seed, base_dir)
    return world, Pictures(world, scenario)


@dataclass
class ActionResult:
    """Outcome of :meth:`Exercise.submit_action`: ``seq`` of its ``action_submitted``."""

    accepted: bool
    errors: list[str]
    seq: int | None


@dataclass
class ExpectedState:
    expected: ExpectedAction
    team: str
    deadline: np.datetime64
    done_t: np.datetime64 | None = None
    done_seq: int | None = None
    evidence: str | None = None


@dataclass
class InjectState:
    """Run-time state of one inject (planned, or a contingency created at run time)."""

    inject: Inject
    parent: str | None = None
    status: str = "planned"  # planned | released | skipped
    release_t: np.datetime64 | None = None
    resolved_t: np.datetime64 | None = None
    evaluated: bool = False
    expected: list[ExpectedState] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    contingencies_fired: set[int] = field(default_factory=set)
    origin: str = "scenario"  # scenario | contingency | adhoc (written by EXCON in play)

    @property
    def serial(self) -> str:
        return self.inject.serial


@dataclass
class ActionRecord:
    seq: int
    t: np.datetime64
    team: str
    user: str
    action: dict
    status: str = "accepted"  # accepted | applied | rejected
    #: truth-side evidence for adjudication (never shown to the team): the action with
    #: names resolved to truth ids and measured errors (re-entry epoch error...)
    evidence: dict = field(default_factory=dict)

    @property
    def pkind(self) -> str:
        return player_kind(self.action)


__all__ = [
    "ALL",
    "ActionRecord",
    "ActionResult",
    "ExpectedState",
    "InjectState",
    "THREAT_TERMS",
    "WHITE",
    "WorldFactory",
    "_EVALUATED_ROLES",
    "_INPUT_KINDS",
    "__all__",
    "default_world_factory",
]
