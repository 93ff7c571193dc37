"""Helpers for the CCSDS tests: which example files are malformed on purpose."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MALFORMED = re.compile(
    r"wrong|missing|error|unknown-keyword|inconsistent|too-many|too-few|too-large|too-small|"
    r"keyword-within|number-format|Invalid|mandatory_empty|not-implemented|spurious|"
    r"incompatible|external-doctype|issue963",
    re.IGNORECASE,
)


def is_malformed(path: Path) -> bool:
    """True for the example files that must be rejected (by name, see SOURCES.md)."""
    return bool(MALFORMED.search(path.name))


@pytest.fixture(name="is_malformed")
def _is_malformed_fixture():
    return is_malformed
