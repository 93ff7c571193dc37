"""Fog of war: each team's recognized space picture (see :mod:`.core`), built from its own
sensors through the engine's :mod:`spacerange.sensors` (:mod:`.sensing`) and screened
through the engine's :mod:`spacerange.conjunction` (:mod:`.conjunctions`)."""

from spacerange.conjunction.thresholds import PC_ALERT
from spacerange.exercise.picture.core import Pictures, TeamPicture, Track
from spacerange.exercise.picture.sensing import TeamSensor, team_sensors

__all__ = ["Pictures", "TeamPicture", "Track", "TeamSensor", "team_sensors", "PC_ALERT"]
