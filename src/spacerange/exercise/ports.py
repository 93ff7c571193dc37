"""The typed boundaries between the exercise engine, the truth world, the team pictures and
adjudication (issue 11, section 4).

The engine (:mod:`spacerange.exercise.engine`) holds a world, the teams' pictures and an
adjudicator, and reads each only through the Protocol below; the rule functions
(:mod:`spacerange.exercise.rulefuncs`) read the world and the pictures the same way.  A
player team gets less still: :class:`~spacerange.exercise.teamview.TeamPort` (its view
and its submissions, defined in :mod:`spacerange.exercise.teamview`, which imports
nothing of the engine).

==================  =====================================  ===============================
Protocol            implemented by                         read by
==================  =====================================  ===============================
:class:`WorldPort`  :class:`spacerange.exercise.world.World`  engine (clock, injects,
                                                           actions, grading, views),
                                                           rule functions, pictures
:class:`PicturePort`  :class:`spacerange.exercise.picture.Pictures`  engine (updates,
                                                           views), team ports, rule
                                                           functions (picture scope)
:class:`AdjudicatorPort`  :class:`spacerange.exercise.adjudication.Adjudicator`  engine
                                                           (grading)
``TeamPort``        :class:`spacerange.exercise.port.TeamPortImpl`  autopilots
==================  =====================================  ===============================

``tests/exercise/test_ports.py`` checks that the concrete classes satisfy these Protocols
(member by member, with their parameter names) and counts the ``Any`` left at the
boundaries.  This module imports nothing of the exercise at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from spacerange.exercise.adjudication import RatingRecord
    from spacerange.exercise.scenario import Inject
    from spacerange.exercise.world.model import ScriptedConjunction, TruthObject, WorldEvent

__all__ = ["AdjudicatorPort", "PicturePort", "UtcLike", "WorldPort"]

#: A UTC instant as the world and the pictures accept it (``datetime64``, an aware
#: ``datetime`` or ISO-8601 text; :func:`spacerange.timescales.parse_utc`), or an array of
#: ``datetime64`` where a method takes several times.
UtcLike = np.datetime64 | datetime | str | np.ndarray


@runtime_checkable
class WorldPort(Protocol):
    """What the engine, the rule functions and the pictures read from the truth world."""

    #: the world's present [UTC]; it only moves forward (``advance``)
    clock_utc: np.datetime64
    startex: np.datetime64
    #: every object ever created (ended ones keep their history)
    objects: list[TruthObject]
    #: scripted conjunctions set up so far
    conjunctions: list[ScriptedConjunction]
    #: break-up fragment sets (Gabbard data) in creation order
    fragment_sets: list[dict]
    #: the teams' pictures, attached by them (``tracked`` of the truth rule functions)
    pictures: PicturePort | None

    def obj(self, object_id: str) -> TruthObject:
        """The object ``object_id`` (``WorldError`` if unknown)."""
        ...

    def __contains__(self, object_id: str) -> bool: ...

    def team_actors(self, team_id: str) -> set[str]:
        """The scenario actors a team plays."""
        ...

    def states(self, t: UtcLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(object_indices (n,), r_km (n, 3), v_km_s (n, 3))`` TEME of all live objects."""
        ...

    def state_of(self, object_id: str, times: UtcLike) -> tuple[np.ndarray, np.ndarray]:
        """TEME r [km], v [km/s] of one object at ``times`` (NaN where it does not exist)."""
        ...

    def advance(self, t_utc: UtcLike) -> list[WorldEvent]:
        """Propagate truth to ``t_utc``; the physical events that happened."""
        ...

    def enact(self, inject: Inject, t_utc: UtcLike) -> list[WorldEvent]:
        """Enact an inject's threat action released at ``t_utc``."""
        ...

    def apply(self, team_id: str, action: dict,
              t_utc: UtcLike) -> tuple[bool, list[str], list[WorldEvent]]:  # fmt: skip
        """Apply a team's countermeasure: ``(accepted, errors, events)``."""
        ...

    def functions(self, team_id: str | None = None, *, scope: str | None = None,
                  since_utc: UtcLike | None = None) -> dict[str, Callable]:  # fmt: skip
        """The rule language's functions (truth scope, or a team's picture scope)."""
        ...

    def threat_onset_utc(self, serial: str) -> np.datetime64 | None:
        """When inject ``serial``'s threat exists in truth, if before its release."""
        ...


@runtime_checkable
class PicturePort(Protocol):
    """What the engine, the team ports and the picture-scope rule functions read from the
    teams' pictures (object ids are truth ids; ``resolve`` maps a team's designator)."""

    def update(self, t_utc: UtcLike) -> list[dict]:
        """Bring every team's picture to ``t_utc``; the products and alerts it raised."""
        ...

    def view(self, team_id: str) -> dict:
        """The team's picture for its view (tracks, conjunctions, custody...)."""
        ...

    def light_view(self, team_id: str) -> dict:
        """The view without the tracks (cheap, for autopilots)."""
        ...

    def picture_items(self, team_id: str) -> list[dict]:
        """The team's tracks (computed on demand), JSON-ready as returned: the team ports
        serve them without a copy."""
        ...

    def resolve(self, team: str, name: str) -> str | None:
        """The truth id of a name the team uses (its designator), or ``None``."""
        ...

    def estimate_token(self, team: str, oid: str) -> tuple:
        """A hashable value that changes whenever ``predict(team, oid, ...)`` may."""
        ...

    def predict(self, team: str, oid: str, times: UtcLike) -> tuple[np.ndarray, np.ndarray]:
        """The team's own estimate (TEME r, v) of ``oid`` at ``times``."""
        ...

    def sigma_rtn_km(self, team: str, oid: str, t: UtcLike) -> tuple[float, float, float]:
        """The team's 1-sigma position uncertainty of ``oid`` (R, T, N) [km]."""
        ...

    def tracked(self, team: str, oid: str, t: UtcLike | None = None) -> bool:
        """Whether ``oid`` is in the team's custody at ``t``."""
        ...

    def reentry_window(self, team: str, oid: str, t: UtcLike) -> dict | None:
        """The team's own re-entry prediction of ``oid``."""
        ...

    def conjunction_goals(self) -> list[dict]:
        """Issue 11's measured goals per graded conjunction."""
        ...


@runtime_checkable
class AdjudicatorPort(Protocol):
    """What the engine reads from adjudication: ratings of the evaluation criteria and
    their roll-up to critical tasks, objectives and a score."""

    def auto_ratings(self, inject: Inject, team: str, names: dict[str, object],
                     functions: dict[str, Callable], completion: list[tuple[str, str]],
                     time_utc: str, performed: set[str] | None = None) -> list[RatingRecord]:  # fmt: skip
        """The inject's automatic criteria and expected-action completion rated for
        ``team`` (``completion``: ``(action kind, 'on_time'|'late'|'missing')``)."""
        ...

    def rate(self, team: str, objective: str, rating: str, note: str | None, author: str,
             critical_task: str | None = None, time_utc: str | None = None) -> RatingRecord:  # fmt: skip
        """An evaluator's rating (manual override)."""
        ...

    def objective_ratings(self, team: str) -> dict[str, str]: ...

    def critical_task_ratings(self, team: str) -> dict[str, str]: ...

    def score(self, team: str) -> float | None: ...


def missing_members(obj: object, proto: type) -> list[str]:
    """The members of Protocol ``proto`` that ``obj`` lacks, or whose parameters differ by
    name from the Protocol's (a structural check stronger than ``isinstance``, which only
    looks for the names)."""
    import inspect

    out = []
    for name, want in vars(proto).items():
        if name.startswith("_") and name != "__contains__":
            continue
        if not callable(want):
            continue
        have = getattr(obj, name, None)
        if have is None or not callable(have):
            out.append(name)
            continue
        pw = list(inspect.signature(want).parameters)[1:]
        ph = list(inspect.signature(have).parameters)
        if ph[: len(pw)] != pw:
            out.append(f"{name}{tuple(ph)} != {tuple(pw)}")
    for name in getattr(proto, "__annotations__", {}):
        if not hasattr(obj, name):
            out.append(name)
    return out
