"""Fixtures for the exercise-server tests (helpers in ``srv_helpers``)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

from srv_helpers import write_scenario  # noqa: E402


@pytest.fixture(scope="session")
def scenario_file(tmp_path_factory) -> Path:
    return write_scenario(tmp_path_factory.mktemp("scn") / "ca_drill.yaml")
