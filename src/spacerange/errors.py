"""Exceptions raised by spacerange.

Per-element failures inside vectorized calls are *not* exceptions: they come back as
status/mask arrays (see :mod:`spacerange.propagation.status`).  Exceptions are for whole
inputs that cannot be used; each carries structured fields so callers (CLI, server) can
report *where* and *why*.
"""

from __future__ import annotations

from dataclasses import dataclass


class SpacerangeError(Exception):
    """Base class of every spacerange error."""


@dataclass
class Reject:
    """One rejected record of an input file: where it was and why it was refused."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "reason": self.reason}


class ParseError(SpacerangeError, ValueError):
    """An input (TLE, CCSDS message, scenario, ...) could not be parsed.

    ``file`` and ``line`` locate the problem (line is 1-based, 0 when unknown).
    """

    def __init__(self, reason: str, file: str = "<input>", line: int = 0):
        self.reason = reason
        self.file = file
        self.line = line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {reason}")

    def as_reject(self) -> Reject:
        return Reject(self.file, self.line, self.reason)


class ImportRejected(SpacerangeError, ValueError):
    """A ``--strict`` import found rejects; nothing was stored."""

    def __init__(self, rejects: list[Reject]):
        self.rejects = rejects
        head = "; ".join(str(r) for r in rejects[:3])
        more = f" (and {len(rejects) - 3} more)" if len(rejects) > 3 else ""
        super().__init__(f"{len(rejects)} record(s) rejected, nothing imported: {head}{more}")


class PropagationError(SpacerangeError, RuntimeError):
    """A propagation could not be carried out at all (not a per-object failure)."""


class CovarianceError(SpacerangeError, ValueError):
    """A covariance matrix is unusable (not symmetric, not positive definite, ...)."""
