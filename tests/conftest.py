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


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test``: ``--dist loadgroup``) the tests of a module that
    use a module-scoped fixture run on one worker, so that the fixture (a built wheel, a
    started server, a catalog's orbit determination) is made once per run, not once on
    each worker that happens to get one of them.  A test already in a group keeps it."""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        if any(d.scope == "module" for defs in info.name2fixturedefs.values() for d in defs):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
