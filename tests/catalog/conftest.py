"""Fixtures for catalog tests: paths of the shared catalogs and TLE-editing helpers."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def spacetrack_3le(shared_data: Path) -> Path:
    return shared_data / "catalog" / "spacetrack_3le_full_20231009.txt"


@pytest.fixture(scope="session")
def celestrak_active(shared_data: Path) -> Path:
    return shared_data / "catalog" / "celestrak_active_20250927T1819Z.tle"


@pytest.fixture(scope="session")
def gcat_tsv(shared_data: Path) -> Path:
    return shared_data / "catalog" / "gcat_psatcat_20250407.tsv"


@pytest.fixture(scope="session")
def head_3le_lines(spacetrack_3le: Path) -> list[str]:
    """The first 300 records (900 lines) of the Space-Track 3LE file."""
    with open(spacetrack_3le) as fh:
        return [next(fh).rstrip("\n") for _ in range(900)]
