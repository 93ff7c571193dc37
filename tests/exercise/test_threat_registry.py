"""Every threat kind the scenario format admits is enacted by a world handler or declared a
message (exhaustiveness), every handler exists, and an unknown kind is an error, not a no-op."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from spacerange.exercise.scenario.events import THREAT_ACTIONS
from spacerange.exercise.world import (
    MESSAGE_ONLY_THREATS,
    THREAT_HANDLERS,
    World,
    WorldError,
)


def test_every_threat_kind_has_a_handler_or_is_a_message():
    kinds = set(THREAT_ACTIONS)
    assert kinds == set(THREAT_HANDLERS) | MESSAGE_ONLY_THREATS
    assert not set(THREAT_HANDLERS) & MESSAGE_ONLY_THREATS
    for kind, method in THREAT_HANDLERS.items():
        assert callable(getattr(World, method, None)), (kind, method)


def test_an_unknown_kind_is_an_error():
    world = World.__new__(World)  # only enact's dispatch is under test
    world.clock_utc = np.datetime64("2026-03-04T06:00:00")
    inject = SimpleNamespace(serial="INJ-X", action=SimpleNamespace(kind="orbital_laser"))
    with pytest.raises(WorldError, match="orbital_laser"):
        world.enact(inject, "2026-03-04T06:00:00Z")
