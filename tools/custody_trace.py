"""Trace a team's custody of one object through a played exercise, hour by hour.

Plays a scenario (competent autopilots by default) to ``--from``, then prints, every hour
for ``--hours``, the team's track of the object: its last observation, custody state,
RTN sigmas, its position error against truth [km] and the adjudicator's ``tracked()``.
A diagnostic for EXCON and developers (it reads truth): why a custody rule fired.

    python tools/custody_trace.py scenarios/asterx-demo.yaml --team ardenia-ops \\
        --object VRK-GEO-7 --from 2026-03-10T20:00 --hours 21 --out /tmp/trace
"""

from __future__ import annotations

import argparse
import shutil

import numpy as np

from spacerange.exercise.engine import Exercise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("--team", required=True)
    ap.add_argument("--object", required=True, help="truth id of the object")
    ap.add_argument("--from", dest="start", required=True, help="UTC, e.g. 2026-03-10T20:00")
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--out", default="/tmp/custody-trace", help="run directory (replaced)")
    ap.add_argument("--autopilot", action="append", default=None,
                    help="TEAM|ROLE=KIND (default blue=competent, red=competent)")  # fmt: skip
    a = ap.parse_args()
    pilots = dict(s.split("=", 1) for s in (a.autopilot or ["blue=competent", "red=competent"]))
    shutil.rmtree(a.out, ignore_errors=True)
    ex = Exercise.create(a.scenario, a.out, autopilots=pilots)
    pics = ex.pictures
    t0 = np.datetime64(a.start)
    for h in range(a.hours + 1):
        t = t0 + np.timedelta64(h, "h")
        ex.run(until_utc=t)
        tr = pics.teams[a.team].tracks.get(a.object)
        if tr is None:
            print(t, "no track", flush=True)
            continue
        ts = np.asarray([t], dtype="datetime64[us]")
        r_est = np.asarray(pics.predict(a.team, a.object, ts)[0]).reshape(-1, 3)[0]
        r_true = np.asarray(pics.world.state_of(a.object, ts)[0]).reshape(-1, 3)[0]
        c = pics.custody(a.team, a.object, t) or {}
        print(t, "last_obs", tr.last_obs_utc, "custody", c.get("state"),
              "sigma_rtn_km", np.round(tr.sigma_rtn_km(t), 2),
              "error_km", round(float(np.linalg.norm(r_est - r_true)), 2),
              "tracked", pics.tracked(a.team, a.object, t), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
