"""Pc method throughput, and SDMC time to 10 % precision at Pc = 1e-4 and 1e-7.

    PYTHONPATH=src python benchmarks/pc_methods.py [--json]

Events: Alfano (2009) case 7 at TCA (LEO, CARA Pc3D 1.618e-4) from
shared/data/pc/alfano2009_cases_states_covariances.json.  Lower Pc levels are made by
shrinking the hard-body radius (Pc ~ HBR^2 for small HBR): the SDMC targets are set from
the 3-D Nc of the shrunk case.  "10 % precision" = 95 % half-width <= 10 % of Pc.

SDMC with importance sampling runs until it reaches that precision (measured); the
baseline, plain sampling, is timed on a fixed run in the same process and extrapolated to
the trials it would need, ``1.96^2 (1 - p) / (0.1^2 p)`` (stated as extrapolated).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "src"))

from _util import data_root  # noqa: E402
from spacerange.conjunction.nc3d import nc3d_hall  # noqa: E402
from spacerange.conjunction.pc import pc_chan, pc_foster, pc_max_alfano  # noqa: E402
from spacerange.conjunction.sdmc import pc_sdmc  # noqa: E402


def _case7():
    d = json.loads((data_root() / "pc" / "alfano2009_cases_states_covariances.json").read_text())
    t = d["case07"]["at_TCA"]

    def st(who):
        r = np.array(t[f"{who} Object ECI position (m)"]) / 1e3
        v = np.array(t[f"{who} Object ECI velocity (m/s)"]) / 1e3
        return np.r_[r, v], np.array(t[f"{who} Object ECI covariance (meters & seconds)"]) / 1e6

    x1, c1 = st("Primary")
    x2, c2 = st("Secondary")
    return x1, c1, x2, c2, 0.010


def _rate(fn, min_s=1.0):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_s:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    x1, c1, x2, c2, hbr = _case7()
    args2d = (x1[:3], x1[3:], c1, x2[:3], x2[3:], c2, hbr)
    out: dict = {"event": "Alfano 2009 case 7 at TCA", "evaluations_per_s": {}}
    ev = out["evaluations_per_s"]
    ev["foster (1 event)"] = _rate(lambda: pc_foster(*args2d))
    ev["chan (1 event)"] = _rate(lambda: pc_chan(*args2d))
    ev["max (1 event)"] = _rate(lambda: pc_max_alfano(*args2d))
    nb = 1000
    batch = tuple(np.broadcast_to(a, (nb,) + np.shape(a)) for a in args2d[:-1]) + (
        np.full(nb, hbr),
    )
    ev["foster (batch of 1000, events/s)"] = nb * _rate(lambda: pc_foster(*batch))
    nc = nc3d_hall(x1, c1, x2, c2, hbr)
    ev["nc3d (1 event)"] = _rate(lambda: nc3d_hall(x1, c1, x2, c2, hbr), min_s=3.0)
    pc_sdmc(x1, c1, x2, c2, hbr, nc.t_bounds_s, n_samples=1000)  # compile the kernel
    t0 = time.perf_counter()
    plain = pc_sdmc(x1, c1, x2, c2, hbr, nc.t_bounds_s, n_samples=400_000,
                    variance_reduction="none", seed=1)  # fmt: skip
    plain_rate = plain.trials / (time.perf_counter() - t0)
    ev["sdmc plain (trials/s)"] = plain_rate
    rows = []
    for target in (1e-4, 1e-7):
        h = hbr * np.sqrt(target / nc.nc)
        ref = nc3d_hall(x1, c1, x2, c2, h).nc
        t0 = time.perf_counter()
        imp = pc_sdmc(x1, c1, x2, c2, h, nc.t_bounds_s, n_samples=20_000, target_rel=0.1,
                      variance_reduction="importance", seed=2)  # fmt: skip
        t_imp = time.perf_counter() - t0
        need = 1.959964**2 * (1 - ref) / (0.1**2 * ref)
        rows.append({
            "pc_target": target, "hbr_m": h * 1e3, "nc3d": ref,
            "importance_pc": imp.pc, "importance_ci95": imp.ci95, "importance_trials": imp.trials,
            "importance_s": t_imp,
            "plain_trials_needed": need, "plain_s_extrapolated": need / plain_rate,
        })  # fmt: skip
    out["sdmc_to_10pct"] = rows
    if "--json" in sys.argv:
        print(json.dumps(out))
        return
    print(out["event"])
    for k, v in ev.items():
        print(f"  {k:38s} {v:12.4g}")
    print("SDMC seconds to 10 % relative precision (95 % half-width), same run:")
    print(f"  {'Pc':>8s} {'3-D Nc':>10s} {'IS Pc':>10s} {'IS trials':>10s} {'IS s':>8s} "
          f"{'plain trials':>13s} {'plain s (extrap.)':>18s}")  # fmt: skip
    for r in rows:
        print(f"  {r['pc_target']:8.0e} {r['nc3d']:10.3g} {r['importance_pc']:10.3g} "
              f"{r['importance_trials']:10d} {r['importance_s']:8.2f} "
              f"{r['plain_trials_needed']:13.3g} {r['plain_s_extrapolated']:18.3g}")  # fmt: skip


if __name__ == "__main__":
    main()
