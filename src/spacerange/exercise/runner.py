"""Run a scenario end to end (the ``exercise run`` command, ``demo`` and the benchmark).

``run_exercise(path, run_dir, autopilots, speed)`` creates the run, plays it to ENDEX with
an optional Rich progress bar on stderr and returns the summary.  ``parse_autopilots``
reads the CLI's ``TEAM|ROLE=competent|passive|gaming`` options.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

__all__ = ["default_run_dir", "parse_autopilots", "parse_speed", "run_exercise"]


def parse_autopilots(specs: list[str] | None) -> dict[str, str]:
    """``["blue=competent", "red-cell=passive"]`` -> ``{"blue": "competent", ...}``."""
    out: dict[str, str] = {}
    for s in specs or []:
        if "=" not in s:
            raise ValueError(f"--autopilot {s!r}: expected TEAM=competent|passive|gaming "
                             "(or ROLE=..., e.g. blue=passive)")  # fmt: skip
        k, v = (x.strip() for x in s.split("=", 1))
        if v.lower() not in ("competent", "passive", "gaming", "none", "human"):
            raise ValueError(f"--autopilot {s!r}: expected competent, passive, gaming or none")
        out[k] = v.lower()
    return out


def parse_speed(text: str | float) -> str | float:
    if isinstance(text, int | float):
        v = float(text)
    elif str(text).strip().lower() == "max":
        return "max"
    else:
        try:
            v = float(str(text).strip().rstrip("xX"))
        except ValueError:
            raise ValueError(f"--speed {text!r}: expected 'max' or a number (scenario seconds "
                             "per wall second)") from None  # fmt: skip
    if not v > 0:
        raise ValueError(f"--speed {text!r}: must be > 0")
    return v


def default_run_dir(scenario_path: str | Path, root: str | Path = "runs") -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return Path(root) / f"{Path(scenario_path).stem}-{stamp}"


def run_exercise(
    scenario_path: str | Path,
    run_dir: str | Path | None = None,
    autopilots: dict[str, str] | None = None,
    speed: str | float = "max",
    seed: int | None = None,
    progress: Callable[[str, np.datetime64, float], None] | None = None,
    until_utc: np.datetime64 | None = None,
    **options: object,
) -> dict:
    """Create a run, play it to ENDEX (or ``until_utc``, earlier) and return its summary
    (adds ``wall_s``).

    ``progress(exercise_name, clock_utc, fraction)`` is called as the play advances (the
    CLI draws a progress bar with it; the exercise package itself never prints)."""
    from spacerange.exercise.engine import Exercise

    run_dir = Path(run_dir) if run_dir is not None else default_run_dir(scenario_path)
    t0 = time.perf_counter()
    ex = Exercise.create(scenario_path, run_dir, seed=seed, autopilots=autopilots, **options)
    try:
        if progress is not None:
            name = ex.scenario.exercise.name

            def on_progress(t, frac):
                progress(name, t, frac)

            ex.on_progress = on_progress
        ex.run(speed=speed, until_utc=until_utc)
        if progress is not None:
            progress(ex.scenario.exercise.name, ex.clock_utc, 1.0)
        summary = ex.summary()
        frames = {t.id: [ex.team_view(t.id)] for t in ex.scenario.teams
                  if t.role in ("blue", "red")}  # fmt: skip
    finally:
        ex.close()
    summary["wall_s"] = round(time.perf_counter() - t0, 2)
    summary["leak_oracle"] = leak_report(run_dir, frames)
    if summary.get("finished"):
        (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n",
                                              encoding="utf-8")  # fmt: skip
    return summary


def leak_report(run_dir: Path, frames: dict[str, list[dict]] | None = None) -> dict:
    """The leak oracle's verdict on a run (:mod:`spacerange.exercise.leaks`): the number
    of findings, per team and kind, and the first few."""
    from collections import Counter

    from spacerange.exercise.leaks import leak_findings

    f = leak_findings(run_dir, frames)
    by = Counter(f"{x['team']}: {x['what']}" for x in f)
    return {"findings": len(f), "by_team_and_kind": dict(by), "examples": f[:5]}
