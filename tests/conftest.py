"""Shared test fixtures: where the real reference data lives, and physical tolerances."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

ONE_METER_KM = 1e-3
ONE_MM_S_KM_S = 1e-6


def data_root() -> Path:
    """Root of the shared reference data (``SPACERANGE_DATA``, default ``../shared/data``)."""
    env = os.environ.get("SPACERANGE_DATA")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``shared/data``; skips the test cleanly when the data are absent."""
    root = data_root()
    if not root.is_dir():
        pytest.skip(f"reference data not found at {root} (set SPACERANGE_DATA)")
    return root
