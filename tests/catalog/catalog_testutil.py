"""TLE-editing helpers for the catalog tests (independent of the code under test)."""

from __future__ import annotations


def naive_checksum(line: str) -> int:
    """Checksum per the NORAD TLE definition, written independently of the code under test:
    sum of the digits of columns 1-68, each '-' counting 1, modulo 10."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


def with_checksum(line: str) -> str:
    """``line`` (69 columns) with column 69 recomputed."""
    return line[:68] + str(naive_checksum(line))


def set_cols(line: str, first_col: int, text: str, fix_checksum: bool = True) -> str:
    """Overwrite 1-based columns starting at ``first_col`` with ``text``."""
    a = first_col - 1
    out = line[:a] + text + line[a + len(text) :]
    return with_checksum(out) if fix_checksum else out
