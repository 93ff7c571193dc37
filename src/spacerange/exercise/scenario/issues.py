"""Scenario problems: :class:`Issue` (path, line, message, severity) and :class:`ScenarioError`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from spacerange.errors import SpacerangeError


@dataclass(frozen=True)
class Issue:
    """One problem of a scenario file: where (data path, 1-based line; 0 = unknown) and why.
    ``severity`` is ``error`` (the scenario cannot run) or ``warning``."""

    path: str
    line: int
    message: str
    severity: str = "error"
    file: str = "<scenario>"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        path = f"{self.path}: " if self.path else ""
        tag = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}: {tag}{path}{self.message}"

    def as_tuple(self) -> tuple[str, int, str]:
        return (self.path, self.line, self.message)

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "severity": self.severity,
            "file": self.file,
        }


class ScenarioError(SpacerangeError, ValueError):
    """A scenario file has errors.  ``issues`` holds every :class:`Issue` (warnings too);
    ``errors`` the ``(path, line, message)`` of each error."""

    def __init__(self, file: str, issues: list[Issue]):
        self.file = file
        self.issues = issues
        self.errors = [i.as_tuple() for i in issues if i.severity == "error"]
        shown = [str(i) for i in issues if i.severity == "error"][:5]
        more = f"\n... and {len(self.errors) - 5} more" if len(self.errors) > 5 else ""
        super().__init__(
            f"{file}: {len(self.errors)} error(s) in scenario:\n" + "\n".join(shown) + more
        )


def format_path(path: Iterable[str | int]) -> str:
    """``('events', 1, 'incidents', 0, 'title')`` -> ``events[1].incidents[0].title``."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


# ------------------------------------------------------------------------------ YAML pass
