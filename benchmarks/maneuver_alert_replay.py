"""Benchmark (diagnostic): every manoeuvre alert of asterx-demo played with a subset of the
real catalog as background, checked against the truth.

The demo's injects and competent autopilots, with the synthetic background replaced by a
subset of the 2023-10-09 Space-Track catalog (epochs shifted as ``exercise_run.py
--shift-epochs`` does), played for ``--hours``.  For every manoeuvre alert a team raises,
the alert's arc (the measurements the team's arc test fitted) is fitted again with the
truth's own element set as the start, at its own epoch (``truth_chi2``): a quiet object's
truth fits its arc at chi2 ~ dof.  An alert is true or false as issue 11's goal grades it
(:mod:`spacerange.exercise.picture.maneuvers`: the object burned within 24 h before the
alert), and the ratio ``arc_chi2 / arc_threshold`` says how far over the test it was.

Subsets: ``leo-raising`` (every STARLINK and ONEWEB set: 5,498, among them the new
launches whose public sets carry B* -0.05 to -0.46) and ``deep`` (every set with a period
over 225 min, SGP4's deep-space branch: 4,115).

    SPACERANGE_DATA=../shared/data .venv/bin/python benchmarks/maneuver_alert_replay.py \\
        --subset leo-raising --hours 60 --json

The arc test is wrapped, not changed: the wrapper copies each candidate's arc after the
drag cut and, after the test, refits the alerted arcs from the truth.  Prints the alerts,
the false ones by regime, each team's manoeuvre goal (alerts, false alerts, graded burns
detected) and the wall time of the play.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import REPO, data_root, report  # noqa: E402
from exercise_run import _count_sets, _shifted, _with_background  # noqa: E402

CATALOG = "catalog/spacetrack_3le_full_20231009.txt"
DEEP_REV_PER_DAY = 6.4  # period 225 min


def _wanted(which: str):
    """The subset's test on an element set."""
    if which == "leo-raising":
        return lambda e: "STARLINK" in e.name or "ONEWEB" in e.name
    return lambda e: e.mean_motion_rev_day < DEEP_REV_PER_DAY


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subset", choices=("leo-raising", "deep"), default="leo-raising")
    ap.add_argument("--hours", type=float, default=60.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from spacerange.exercise.engine import Exercise
    from spacerange.exercise.picture import maneuver_arcs as ma
    from spacerange.exercise.picture.maneuvers import alert_is_true
    from spacerange.exercise.validate import load_scenario
    from spacerange.od.sgp4_dc import sgp4_differential_correction

    arcs_seen: dict = {}
    alerts: list[dict] = []
    pictures: list = []
    cut, test = ma.ManeuverArcMixin._cut_drag_arcs, ma.ManeuverArcMixin._arc_test

    def cut_and_keep(self, tp, oids, trs, t_end):
        cut(self, tp, oids, trs, t_end)
        for oid in oids:
            arcs_seen[(tp.team, oid)] = list(tp.pass_log.get(oid, ()))

    def test_and_check(self, tp, obs, objs, cand, trs, t, t_end, alarm_stats):
        out = test(self, tp, obs, objs, cand, trs, t, t_end, alarm_stats)
        pictures[:] = [self]
        for oid, det in out:
            held = tp.pass_log.get(oid)
            tp.pass_log[oid] = arcs_seen.get((tp.team, oid), [])
            arc_obs, arcs = self._arc_obs(tp, [oid], t_end, obs=obs)
            if held is None:
                tp.pass_log.pop(oid, None)
            else:
                tp.pass_log[oid] = held
            truth = self.world.obj(oid)
            with np.errstate(all="ignore"):
                f = sgp4_differential_correction(arc_obs, [oid], [truth.satrec_at(t_end)],
                                                 None)  # fmt: skip
            alerts.append({
                "utc": str(np.datetime64(t, "s")), "team": tp.team, "object": oid,
                "regime": det["alarm_model"], "bstar": float(truth.satrec_at(t_end).bstar),
                "arc_passes": det["arc_passes"], "arc_chi2": det["arc_chi2"],
                "arc_dof": det["arc_dof"], "arc_threshold": det["arc_threshold"],
                "over": round(det["arc_chi2"] / det["arc_threshold"], 2),
                "truth_chi2": round(float(f.chi2[0]), 1), "truth_dof": int(f.dof[0])})  # fmt: skip
        return out

    ma.ManeuverArcMixin._cut_drag_arcs = cut_and_keep
    ma.ManeuverArcMixin._arc_test = test_and_check
    scenario = REPO / "scenarios" / "asterx-demo.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        catalog, days = _shifted(data_root() / CATALOG, tmp,
                                 load_scenario(scenario).exercise.startex, _wanted(args.subset))  # fmt: skip
        n_sets = _count_sets(catalog)
        ex = Exercise.create(_with_background(scenario, tmp, catalog), tmp / "run",
                             autopilots={"blue": "competent", "red": "competent"})  # fmt: skip
        t0 = time.perf_counter()
        try:
            ex.step(args.hours * 3600.0)
        finally:
            ex.close()
        wall = time.perf_counter() - t0
    for a in alerts:
        a["true"] = bool(pictures) and alert_is_true(pictures[0].burn_log, a["object"],
                                                     np.datetime64(a["utc"], "us"))  # fmt: skip
    false = [a for a in alerts if not a["true"]]
    goals = []
    if pictures:
        from spacerange.exercise.picture.maneuvers import maneuver_goals

        keys = ("team", "maneuver_alerts", "false_alerts", "detected_burns", "graded_burns")
        goals = [{k: g.get(k) for k in keys} for g in maneuver_goals(pictures[0])]
    by_regime: dict[str, int] = {}
    for a in false:
        by_regime[a["regime"]] = by_regime.get(a["regime"], 0) + 1
    report(
        {
            "subset": args.subset,
            "background_sets": n_sets,
            "epoch_shift_days": days,
            "hours": args.hours,
            "play_wall_s": round(wall, 1),
            "alerts": len(alerts),
            "true_alerts": len(alerts) - len(false),
            "false_alerts": len(false),
            "false_by_regime": by_regime,
            "maneuver_goals": goals,
            "false_truth_fits_its_arc": sum(a["truth_chi2"] <= 2 * a["truth_dof"] for a in false),
            "detail": alerts,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
