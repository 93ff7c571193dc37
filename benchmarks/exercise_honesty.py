"""Benchmark: is the exercise honest?  Every bundled scenario played by blue autopilots
``competent``, ``gaming`` and ``passive`` (red competent), each from its team view only.

Prints, per scenario and autopilot, the blue score, the objective ratings, and the leak
oracle's findings; then the issue-12 targets side by side: gaming M/U on every
objective and its score <= 25 % of competent's (the baseline is the competent run of
the same scenario, same seed), competent P/S on >= 80 % of objectives, passive's
physical outcomes, 0 leak findings.  ``--json`` prints one JSON object on the last line.

    .venv/bin/python benchmarks/exercise_honesty.py [--scenarios training|all|FILE...] [--json]

asterx-demo (two weeks, 4,000 objects) takes several minutes per autopilot; the default
runs the ten training scenarios only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import REPO  # noqa: E402

KINDS = ("competent", "gaming", "passive")


def _files(spec: list[str]) -> list[Path]:
    out: list[Path] = []
    for s in spec:
        if s in ("training", "all"):
            out += sorted((REPO / "scenarios" / "training").glob("*.yaml"))
            if s == "all":
                out.append(REPO / "scenarios" / "asterx-demo.yaml")
        else:
            out.append(Path(s))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", nargs="*", default=["training"])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from spacerange.exercise.runner import run_exercise

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in _files(args.scenarios):
            for kind in KINDS:
                t0 = time.perf_counter()
                s = run_exercise(f, Path(tmp) / f"{f.stem}-{kind}",
                                 {"blue": kind, "red": "competent"})  # fmt: skip
                blue = {k: v for k, v in s["teams"].items() if v["role"] == "blue" and v["ratings"]}
                scores = [v["score"] or 0.0 for v in blue.values()]
                ratings = [r for v in blue.values() for r in v["ratings"].values()]
                rows.append({
                    "scenario": f.stem, "autopilot": kind,
                    "score": round(sum(scores) / len(scores), 1) if scores else None,
                    "ratings": ratings, "collisions": s["collisions"],
                    "leak_findings": s["leak_oracle"]["findings"],
                    "wall_s": round(time.perf_counter() - t0, 1),
                })  # fmt: skip
                r = rows[-1]
                print(f"{f.stem:24s} {kind:9s} score {r['score']!s:>6s} ratings "
                      f"{''.join(ratings):8s} collisions {r['collisions']} leaks "
                      f"{r['leak_findings']} ({r['wall_s']} s)", file=sys.stderr)  # fmt: skip
    by = {(r["scenario"], r["autopilot"]): r for r in rows}
    scen = sorted({r["scenario"] for r in rows})
    comp = [x for s in scen for x in by[(s, "competent")]["ratings"]]
    gaming_ok = all(x in "MU" for s in scen for x in by[(s, "gaming")]["ratings"])
    ratio = {s: (by[(s, "gaming")]["score"] or 0.0) / by[(s, "competent")]["score"]
             if by[(s, "competent")]["score"] else None for s in scen}  # fmt: skip
    out = {
        "runs": rows,
        "leak_findings_total": sum(r["leak_findings"] for r in rows),
        "gaming_all_M_or_U": gaming_ok,
        "gaming_over_competent_score": {k: None if v is None else round(v, 3)
                                        for k, v in ratio.items()},  # fmt: skip
        "gaming_ratio_max": max((v for v in ratio.values() if v is not None), default=None),
        "competent_P_or_S_fraction": round(sum(x in "PS" for x in comp) / len(comp), 3)
        if comp else None,
        "passive_all_M_or_U": all(x in "MU" for s in scen for x in by[(s, "passive")]["ratings"]),
    }  # fmt: skip
    print(f"leak findings (target 0): {out['leak_findings_total']}")
    print(f"gaming M/U on every objective (target yes): {out['gaming_all_M_or_U']}")
    print(f"gaming score / competent score, worst (target <= 0.25): {out['gaming_ratio_max']}")
    print(f"competent P/S fraction (target >= 0.8): {out['competent_P_or_S_fraction']}")
    print(f"passive M/U on every objective: {out['passive_all_M_or_U']}")
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
