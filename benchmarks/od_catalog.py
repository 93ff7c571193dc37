"""OD throughput: batch least squares of many objects from simulated radar/optical tracks.

Truth: random LEO objects propagated with two-body + J2 (Cowell), tracked for 4 h by four
radars and three telescopes (:mod:`spacerange.od.simulate`).  Timed: IOD + vectorized batch
OD of all objects (``spacerange.od.pipeline.determine_orbits``).  Baseline, measured in the
same run: per-object ``scipy.optimize.least_squares`` with finite-difference Jacobians on
the committed propagator (``propagate``, DOP853, ``ForceModel.zonal(2)``), started from the
same IOD, on a subset and scaled to objects/s.

    python benchmarks/od_catalog.py [--n 1000] [--baseline-n 5] [--json]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _util import report


def _baseline(obs, ids, x0, epochs, n_sub):
    from scipy.optimize import least_squares

    from spacerange.od.measurements import predict, residual
    from spacerange.propagation.numerical import ForceModel, propagate

    fm = ForceModel.zonal(2)
    t0 = time.perf_counter()
    for oid, x, ep in list(zip(ids, x0, epochs, strict=True))[:n_sub]:
        o = obs.subset(np.flatnonzero(obs.object_id == oid))
        r_s, v_s, enu = o.geometry
        s = (o.times_utc - ep).astype("timedelta64[us]").astype(float) / 1e6
        uniq, inv = np.unique(s, return_inverse=True)

        def fun(p, o=o, ep=ep, uniq=uniq, inv=inv, r_s=r_s, v_s=v_s, enu=enu):
            r, v = propagate(p, ep, uniq, fm)
            h, _ = predict(o.kind, np.concatenate([r, v], 1)[inv], r_s, v_s, enu)
            return residual(o.kind, o.value, h) / o.sigma

        least_squares(fun, x, x_scale=np.array([1, 1, 1, 1e-3, 1e-3, 1e-3]), max_nfev=60)
    return (time.perf_counter() - t0) / n_sub


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--baseline-n", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from spacerange.od.measurements import DEFAULT_SITES as S
    from spacerange.od.pipeline import determine_orbits, initial_states
    from spacerange.od.simulate import random_leo_states, simulate_tracking

    rng = np.random.default_rng(args.seed)
    x_true = random_leo_states(args.n, rng)
    epoch = np.datetime64("2024-03-01T00:00:00", "us")
    t0 = time.perf_counter()
    obs, truth = simulate_tracking(
        x_true, epoch, 4 * 3600.0,
        [S["EGLIN"], S["KWAJALEIN"], S["FYLINGDALES"], S["DIEGO_GARCIA"]],
        [S["MAUI"], S["TENERIFE"], S["SIDING_SPRING"]], rng=rng,
    )  # fmt: skip
    sim_s = time.perf_counter() - t0
    _ = obs.geometry  # site geometry is input preparation, not OD
    t0 = time.perf_counter()
    sols, failures = determine_orbits(obs)
    od_s = time.perf_counter() - t0
    n_conv = sum(s.converged for s in sols)
    err = [np.linalg.norm(s.state[:3] - truth.at(s.object_id, s.epoch_utc)[:3]) * 1e3
           for s in sols if s.converged]  # fmt: skip
    ids, x0, ep, _, _ = initial_states(obs, obs.objects[: args.baseline_n])
    per_obj = _baseline(obs, ids, x0, ep, min(args.baseline_n, len(ids)))
    report({
        "objects": args.n,
        "observations": len(obs),
        "simulate_s": round(sim_s, 2),
        "od_s": round(od_s, 2),
        "od_objects_per_s": round(len(obs.objects) / od_s, 1),
        "converged": int(n_conv),
        "failed_iod": len(failures),
        "median_pos_error_m": round(float(np.median(err)), 2) if err else None,
        "baseline_objects_per_s": round(1.0 / per_obj, 2),
        "baseline": f"scipy least_squares + numerical Jacobian, {args.baseline_n} objects",
        "speedup": round(per_obj * len(obs.objects) / od_s, 1),
    }, args.json)  # fmt: skip


if __name__ == "__main__":
    main()
