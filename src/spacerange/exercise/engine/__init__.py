"""The exercise engine: :class:`Exercise` plays a scenario over the truth world with one
picture per team (see the modules of this package)."""

from __future__ import annotations

from spacerange.exercise.engine.controls import Controls
from spacerange.exercise.engine.core import ExerciseCore
from spacerange.exercise.engine.grading import Grading
from spacerange.exercise.engine.injects import InjectFlow
from spacerange.exercise.engine.inputs import TeamInputs
from spacerange.exercise.engine.model import *  # noqa: F403 - the package's public names
from spacerange.exercise.engine.model import __all__ as _model_all
from spacerange.exercise.engine.views import Views


class Exercise(ExerciseCore, InjectFlow, TeamInputs, Grading, Controls, Views):
    """A run of a scenario (see :class:`ExerciseCore`)."""


__all__ = [*_model_all, "Exercise"]
