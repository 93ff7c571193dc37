"""Benchmark: the AsterX-scale demonstration scenario (two weeks, 4,000 objects, 33 sensors,
three blue nations, red cell, 24 injects) played at maximum speed with competent
autopilots for every blue and red team.

Prints the wall time, the ratio scenario time / wall time, the number of events and the
blue scores; ``--json`` prints one JSON object on the last line.  Budget: <= 10 min on
2 cores.

    .venv/bin/python benchmarks/exercise_run.py [--scenario FILE] [--out DIR] [--json]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import REPO, PeakMemory, report  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(REPO / "scenarios" / "asterx-demo.yaml"))
    ap.add_argument("--out", default=None, help="run directory (default: a temporary one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from spacerange.exercise.runner import run_exercise
    from spacerange.exercise.validate import load_scenario

    sc = load_scenario(args.scenario)
    span_s = (sc.exercise.endex - sc.exercise.startex).total_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(args.out) if args.out else Path(tmp) / "run"
        t0 = time.perf_counter()
        with PeakMemory() as mem:
            s = run_exercise(args.scenario, run_dir, {"blue": "competent", "red": "competent"},
                             "max")  # fmt: skip
        wall = time.perf_counter() - t0
    figures = {
        "scenario": sc.exercise.name,
        "scenario_hours": round(span_s / 3600, 1),
        "wall_s": round(wall, 1),
        "speedup_scenario_per_wall": round(span_s / wall, 1),
        "events": s["events"],
        "injects_released": s["injects"],
        "threat_types": s["threat_types"],
        "collisions": s["collisions"],
        "peak_rss_mb": round(mem.peak_mb, 1),
        "blue_scores": {k: v["score"] for k, v in s["teams"].items() if v["role"] == "blue"},
        "blue_ratings": {k: v["ratings"] for k, v in s["teams"].items() if v["role"] == "blue"},
    }
    report(figures, args.json)


if __name__ == "__main__":
    main()
