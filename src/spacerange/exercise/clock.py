"""The exercise clock and the discrete-event queue.

Scenario time is a ``numpy.datetime64[us]`` in UTC.  The :class:`ExerciseClock` maps wall
time to scenario time: real time (speed 1), compressed (speed N: one wall second plays N
scenario seconds), or as fast as possible (``speed = "max"``: no pacing).  It can be paused
and resumed; while paused scenario time does not advance.

The :class:`EventQueue` is a heap of :class:`QueueEntry` ordered by ``(time, priority,
insertion order)`` so that a run is deterministic: two entries at the same instant are
processed in the order of their priority, then of their scheduling.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spacerange.timescales import iso_utc, parse_utc, timedelta_us, to_datetime

__all__ = [
    "EventQueue",
    "ExerciseClock",
    "QueueEntry",
    "Speed",
    "iso",
    "to_dt64",
    "to_datetime",
    "Priority",
]

#: ``"max"`` (no pacing) or scenario seconds per wall-clock second.
Speed = float | str

US = np.timedelta64(1, "us")


def to_dt64(value: Any) -> np.datetime64:
    """A UTC instant as ``datetime64[us]`` (:func:`spacerange.timescales.parse_utc`: a
    datetime, aware or naive UTC, ISO text with ``Z`` or an offset, or a ``datetime64``)."""
    return parse_utc(value)


def iso(t: np.datetime64 | None) -> str | None:
    """ISO 8601 UTC text ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` of an instant (None stays None)."""
    return None if t is None else iso_utc(t)


def seconds(td: Any) -> np.timedelta64:
    """A ``timedelta64[us]`` from seconds or a ``datetime.timedelta``."""
    return timedelta_us(td)


class Priority:
    """Processing order of queue entries at the same instant (lower first)."""

    INPUT = 0  #: a delayed player action (burn execution) or EXCON command
    WORLD = 10  #: truth: scheduled world updates
    RELEASE = 20  #: inject releases
    CONDITION = 25  #: trigger-condition checks
    PICTURE = 30  #: periodic picture updates (sensors, OD, screening)
    AUTOPILOT = 40  #: scripted players act
    DEADLINE = 50  #: expected-action deadlines, contingencies
    EVALUATE = 60  #: adjudication
    CLOCK = 70  #: coarse clock events
    ENDEX = 99


@dataclass(order=True)
class QueueEntry:
    """One scheduled item: ``kind`` names the handler, ``data`` its arguments."""

    time: np.datetime64
    priority: int
    order: int
    kind: str = field(compare=False)
    data: dict = field(compare=False, default_factory=dict)
    cancelled: bool = field(compare=False, default=False)


class EventQueue:
    """A deterministic priority queue of :class:`QueueEntry`."""

    def __init__(self) -> None:
        self._heap: list[QueueEntry] = []
        self._counter = itertools.count()

    def push(self, t: np.datetime64, priority: int, kind: str, **data: Any) -> QueueEntry:
        e = QueueEntry(np.datetime64(t, "us"), int(priority), next(self._counter), kind, data)
        heapq.heappush(self._heap, e)
        return e

    def peek(self) -> QueueEntry | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0] if self._heap else None

    def pop(self) -> QueueEntry:
        e = self.peek()
        if e is None:
            raise IndexError("empty event queue")
        return heapq.heappop(self._heap)

    def next_time(self, exclude: tuple[str, ...] = ()) -> np.datetime64 | None:
        """Time of the next live entry whose kind is not in ``exclude``."""
        live = [e for e in self._heap if not e.cancelled and e.kind not in exclude]
        return min(live).time if live else None

    def __len__(self) -> int:
        return sum(not e.cancelled for e in self._heap)

    def pending(self, limit: int = 50) -> list[QueueEntry]:
        return sorted(e for e in self._heap if not e.cancelled)[:limit]


class ExerciseClock:
    """Scenario time and its pacing against the wall clock.

    ``speed``: ``"max"`` or scenario seconds per wall second (> 0).  :meth:`target` gives
    the scenario time the play should have reached now (paced modes), measured from the
    last :meth:`anchor`."""

    def __init__(self, startex: np.datetime64, endex: np.datetime64, speed: Speed = "max"):
        self.startex = np.datetime64(startex, "us")
        self.endex = np.datetime64(endex, "us")
        self.now = self.startex
        self.paused = False
        self.speed: Speed = "max"
        self.set_speed(speed)
        self._wall0 = time.monotonic()
        self._sim0 = self.now

    def set_speed(self, speed: Speed) -> None:
        if isinstance(speed, str):
            if speed.strip().lower() != "max":
                speed = float(speed)
            else:
                self.speed = "max"
                self.anchor()
                return
        if not float(speed) > 0:
            raise ValueError(f"speed must be 'max' or a positive number, got {speed!r}")
        self.speed = float(speed)
        self.anchor()

    @property
    def is_max(self) -> bool:
        return self.speed == "max"

    def anchor(self) -> None:
        """Restart pacing from the current scenario time."""
        self._wall0 = time.monotonic()
        self._sim0 = getattr(self, "now", self.startex)

    def target(self) -> np.datetime64:
        """The scenario time the play should have reached now (``endex`` at max speed)."""
        if self.paused:
            return self.now
        if self.is_max:
            return self.endex
        dt_s = (time.monotonic() - self._wall0) * float(self.speed)
        return min(self.endex, self._sim0 + seconds(dt_s))

    def wall_seconds_until(self, t: np.datetime64) -> float:
        """Wall seconds until scenario time ``t`` at the current speed (0 at max speed)."""
        if self.is_max:
            return 0.0
        return max(0.0, float((t - self.now) / US) / 1e6 / float(self.speed))
