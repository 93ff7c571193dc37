"""Breakup trace-back: speed on 1,000 and 10,000 fragments over a 7-day window, and
epoch/place errors on simulated catalogued clouds, against the 3-D position trace
(``events.breakup_detection.trace_breakup``) in the same run.

Clouds (``tests/events/sim_cloud.py``): NASA SBM explosion of a 1,400 kg rocket body at
780 km, 82.6 deg; fragments flown with SGP4 drag (B* from the SBM area-to-mass ratio) and
re-fitted to element sets at epochs 1-10 weeks later from states with RTN errors
(0.1/0.5/0.1 km, 0.2/0.03/0.1 m/s) and 25 % log-normal B* errors; the parent's last set is
from 7 h before the event.  Truth: the parent's SGP4 position at the event epoch.
Usage: ``python benchmarks/breakup_trace.py [--json] [--seeds 6] [--no-baseline-speed]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from _util import REPO

sys.path.insert(0, str(REPO / "tests" / "events"))
from sim_cloud import simulate_cloud  # noqa: E402

from spacerange.events.breakup_detection import trace_breakup  # noqa: E402
from spacerange.events.breakup_trace import trace_pinch  # noqa: E402

EVENT = np.datetime64("2024-11-15T02:17:30", "us")
DAY = np.timedelta64(86400, "s")


def _errors(tr_epoch, place_km, r_true):
    return abs((tr_epoch - EVENT) / np.timedelta64(1, "s")), float(
        np.linalg.norm(place_km - r_true)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--no-baseline-speed", action="store_true")
    args = ap.parse_args()
    res: dict = {"accuracy": [], "speed": []}
    before = EVENT + np.timedelta64(36, "h")
    for seed in range(1, args.seeds + 1):
        parent, frags, r_true = simulate_cloud(EVENT, seed=seed)
        tr = trace_pinch(frags, parent, before, 3 * 86400.0)
        dt, dx = _errors(tr.epoch_utc, tr.r_teme_km, r_true)
        old = trace_breakup(frags, before, 3 * 86400.0, parent=parent)
        odt, odx = _errors(old.epoch_utc, old.r_teme_km, r_true)
        res["accuracy"].append({
            "seed": seed, "fragments": len(frags),
            "pinch_epoch_err_s": dt, "pinch_place_err_km": dx,
            "pinch_margin": tr.candidates[1][1] / tr.candidates[0][1] - 1,
            "old_epoch_err_s": odt, "old_place_err_km": odx, "old_spread_km": old.spread_km,
        })  # fmt: skip
    for lc, label in ((0.037, 1000), (0.0088, 10000)):
        parent, frags, r_true = simulate_cloud(EVENT, seed=1, min_lc_m=lc)
        t0 = time.perf_counter()
        tr = trace_pinch(frags, parent, EVENT + 3 * DAY, 7 * 86400.0)
        t_new = time.perf_counter() - t0
        dt, dx = _errors(tr.epoch_utc, tr.r_teme_km, r_true)
        row = {"target": label, "fragments": len(frags), "pinch_s": t_new,
               "pinch_epoch_err_s": dt, "pinch_place_err_km": dx}  # fmt: skip
        # the 3-D trace holds (n, n_times, 6) states: 10,000 x 10,081 x 48 B = 4.8 GB
        if not args.no_baseline_speed and len(frags) <= 2000:
            t0 = time.perf_counter()
            old = trace_breakup(frags, EVENT + 3 * DAY, 7 * 86400.0, parent=parent)
            row["old_s"] = time.perf_counter() - t0
            row["old_epoch_err_s"], row["old_place_err_km"] = _errors(
                old.epoch_utc, old.r_teme_km, r_true
            )
        else:
            row["old_s"] = None
            row["old_note"] = "not run: (n, 10,081 times, 6) float64 states exceed memory"
        res["speed"].append(row)

    def render(r):
        print(
            "seed frags | pinch: epoch err s, place err km, rev margin | old: epoch err s, place err km"
        )
        for a in r["accuracy"]:
            print(f"{a['seed']:4d} {a['fragments']:5d} | {a['pinch_epoch_err_s']:8.1f} "
                  f"{a['pinch_place_err_km']:8.1f} {a['pinch_margin']:7.3f} | "
                  f"{a['old_epoch_err_s']:9.0f} {a['old_place_err_km']:9.0f}")  # fmt: skip
        for s in r["speed"]:
            print(f"{s['fragments']} fragments, 7-day window: pinch {s['pinch_s']:.1f} s "
                  f"(epoch err {s['pinch_epoch_err_s']:.1f} s, place {s['pinch_place_err_km']:.1f}"
                  f" km); old {s['old_s'] if s['old_s'] is None else round(s['old_s'], 1)} s")  # fmt: skip

    render(res)
    if args.json:
        print(json.dumps(res, default=float))


if __name__ == "__main__":
    main()
