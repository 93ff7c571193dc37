"""A team port for the autopilots' unit tests: a fixed view, the submissions and timers
recorded, no engine (the autopilot sees only this, as it sees a real ``TeamPort``)."""

from __future__ import annotations


class RecordingPort:
    """``view()`` returns ``view``; ``sent`` holds the submitted actions, ``tasks`` the
    ``(delay_s, task)`` timers the autopilot set."""

    team = "ardenia-ops"

    def __init__(self, view=None) -> None:
        self._view, self.sent, self.tasks = view, [], []

    def view(self):
        return self._view

    def submit(self, action: dict) -> tuple[bool, list[str]]:
        self.sent.append(action)
        return True, []

    def schedule(self, delay_s: float, task: dict) -> None:
        self.tasks.append((delay_s, task))

    def of(self, kind: str, threat: str | None = None) -> list[dict]:
        """The submitted actions of ``kind`` (and ``threat``, for assessments/reports)."""
        return [a for a in self.sent if a["kind"] == kind
                and (threat is None or a.get("threat") == threat)]  # fmt: skip
