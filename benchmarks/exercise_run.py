"""Benchmark: the AsterX-scale demonstration scenario (two weeks, 4,000 objects, 33 sensors,
three blue nations, red cell, 24 injects) played at maximum speed with competent
autopilots for every blue and red team.

Prints the wall time, the ratio scenario time / wall time, the number of events and the
blue scores; ``--json`` prints one JSON object on the last line.  Budget: <= 10 min on
2 cores.

    .venv/bin/python benchmarks/exercise_run.py [--scenario FILE] [--out DIR] [--json]

``--background-catalog FILE --hours H`` plays the same scenario and injects with a real
catalog file (e.g. the 26,140-object CelesTrak file) as the background instead of the
synthetic one, cut to the first H hours (issue 11: "a run with the real catalog as
background, same injects, 3 days").  ``--shift-epochs`` moves every background set's epoch
by one whole number of days so that the newest lands 1-2 days before STARTEX (each set
keeps its age relative to the others and its mean elements): the 2023-10-09 Space-Track
catalog is 2.4 years older than the demo's STARTEX, and SGP4 over 2.4 years would decay
much of LEO before the exercise starts.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import REPO, PeakMemory, report  # noqa: E402
from spacerange.timescales import parse_utc, timedelta_us  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(REPO / "scenarios" / "asterx-demo.yaml"))
    ap.add_argument("--out", default=None, help="run directory (default: a temporary one)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--background-catalog",
        default=None,
        metavar="FILE",
        help="a TLE/OMM catalog file replacing the synthetic background",
    )
    ap.add_argument("--hours", type=float, default=None, help="cut ENDEX to STARTEX + H")
    ap.add_argument(
        "--shift-epochs",
        action="store_true",
        help="re-epoch the background catalog so the newest is 1-2 days before STARTEX",
    )
    args = ap.parse_args()

    from spacerange.exercise.runner import run_exercise
    from spacerange.exercise.validate import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        shift_days = 0
        if args.background_catalog:
            catalog = args.background_catalog
            if args.shift_epochs:
                startex = load_scenario(args.scenario).exercise.startex
                catalog, shift_days = _shifted(Path(catalog), Path(tmp), startex)
            args.scenario = _with_background(Path(args.scenario), Path(tmp), catalog)
        sc = load_scenario(args.scenario)
        span_s = (sc.exercise.endex - sc.exercise.startex).total_seconds()
        until = None
        if args.hours:  # the same injects; those after the cut are never released
            span_s = min(span_s, args.hours * 3600.0)
            until = parse_utc(sc.exercise.startex) + timedelta_us(span_s)
        run_dir = Path(args.out) if args.out else Path(tmp) / "run"
        t0 = time.perf_counter()
        with PeakMemory() as mem:
            s = run_exercise(args.scenario, run_dir, {"blue": "competent", "red": "competent"},
                             "max", until_utc=until)  # fmt: skip
        wall = time.perf_counter() - t0
    figures = {
        "scenario": sc.exercise.name,
        "background": args.background_catalog or "synthetic",
        "background_sets": _count_sets(args.background_catalog),
        "background_epoch_shift_days": shift_days,
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
        # per team: manoeuvre alerts, how many were false and how many came from allies'
        # notices, graded burns detected (by its own alerts) / graded (on own custody)
        "maneuver_alerts": {
            g.get("team"): {
                k: g.get(k)
                for k in (
                    "maneuver_alerts",
                    "false_alerts",
                    "notice_alerts",
                    "detected_burns",
                    "detected_by_own_alerts",
                    "graded_burns",
                    "own_custody_burns",
                    "own_custody_detected",
                )
            }
            for g in s.get("maneuver_goals", [])
        },
        "leak_findings": (s.get("leak_oracle") or {}).get("findings"),
    }
    report(figures, args.json)


def _count_sets(catalog: str | None) -> int | None:
    if catalog is None:
        return None
    return sum(ln[:2] == "1 " for ln in Path(catalog).read_text(errors="replace").splitlines())


def _shifted(path: Path, tmp: Path, startex, keep=None) -> tuple[str, int]:
    """``path`` as a 3LE file with every epoch moved by the same whole number of days, the
    newest to 1-2 days before ``startex`` (the catalog's own parser and TLE writer); only
    the element sets for which ``keep(elset)`` is true, where given."""
    from dataclasses import replace
    from datetime import timedelta

    from spacerange.catalog.tle import format_tle, parse_tle_file

    elsets = [e for e in parse_tle_file(path)[0] if keep is None or keep(e)]
    days = (startex - timedelta(days=1) - max(e.epoch for e in elsets)).days
    out = []
    for e in elsets:
        out += [f"0 {e.name}", *format_tle(replace(e, epoch=e.epoch + timedelta(days=days)))]
    dest = tmp / f"{path.stem}_shifted.tle"
    dest.write_text("\n".join(out) + "\n", encoding="utf-8")
    return str(dest), days


def _with_background(path: Path, tmp: Path, catalog: str) -> str:
    """The scenario with its synthetic background replaced by ``catalog`` (a text edit of
    the one ``catalog:`` line, so the rest of the file reads exactly as bundled)."""
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(r"(?m)^(\s*)catalog: \{synthetic: [^}]*\}\}",
                     lambda m: f"{m.group(1)}catalog: {{file: {Path(catalog).resolve()}}}", text)  # fmt: skip
    if n != 1:
        raise SystemExit(f"{path}: no one-line 'catalog: {{synthetic: ...}}' to replace")
    out = tmp / path.name
    out.write_text(new, encoding="utf-8")
    return str(out)


if __name__ == "__main__":
    main()
