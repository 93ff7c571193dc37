"""Brute-force reference for screening tests: every pair, 1 s steps, then refinement.

Independent of :mod:`spacerange.conjunction` on purpose: positions come straight from
python-sgp4 at every second, every pair's distance is evaluated at every step (after a
radial bound that is exact for the sampled radii), local minima of the sampled distance
are refined with scipy's bounded scalar minimizer on python-sgp4 single-object calls.
"""

from __future__ import annotations

import numba
import numpy as np
from scipy.optimize import minimize_scalar
from sgp4.api import WGS72, Satrec, SatrecArray


@numba.njit(cache=True)
def _local_minima(pos, pi, pj, flag_km):  # pragma: no cover - compiled
    n_steps = pos.shape[1]
    m = len(pi)
    prev2 = np.full(m, np.inf)
    prev1 = np.full(m, np.inf)
    out_p = []
    out_s = []
    for s in range(n_steps):
        for k in range(m):
            a = pi[k]
            b = pj[k]
            e0 = pos[b, s, 0] - pos[a, s, 0]
            e1 = pos[b, s, 1] - pos[a, s, 1]
            e2 = pos[b, s, 2] - pos[a, s, 2]
            d = np.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
            if s >= 2 and prev1[k] <= prev2[k] and prev1[k] <= d and prev1[k] < flag_km:
                out_p.append(k)
                out_s.append(s - 1)
            prev2[k] = prev1[k]
            prev1[k] = d
    return np.array(out_p, np.int64), np.array(out_s, np.int64)


def brute_force_events(tles, jd0: float, fr0: float, span_s: int, threshold_km: float):
    """Reference events ``(i, j, tca_s, miss_km, rel_speed_km_s)`` over ``[0, span_s]``."""
    sats = [Satrec.twoline2rv(a, b, WGS72) for a, b in tles]
    t = np.arange(0, span_s + 1, 1.0)
    e, r, v = SatrecArray(sats).sgp4(np.full(len(t), jd0), fr0 + t / 86400.0)
    ok = (e == 0).all(axis=1)
    idx = np.flatnonzero(ok)
    pos = np.ascontiguousarray(r[idx])
    rad = np.linalg.norm(pos, axis=2)
    rmin, rmax = rad.min(axis=1), rad.max(axis=1)
    # |r_a - r_b| >= | |r_a| - |r_b| |: disjoint padded radial ranges can never meet.
    a, b = np.triu_indices(len(idx), 1)
    pad = threshold_km + 1.0
    keep = (rmin[a] <= rmax[b] + pad) & (rmin[b] <= rmax[a] + pad)
    pi, pj = a[keep].astype(np.int64), b[keep].astype(np.int64)
    # Between 1 s samples the pair moves at most 16 km: flag generously, then refine.
    kk, ss = _local_minima(pos, pi, pj, threshold_km + 10.0)
    out = []
    for k, s in zip(kk, ss, strict=True):
        sa, sb = sats[idx[pi[k]]], sats[idx[pj[k]]]

        def dist(x, sa=sa, sb=sb):
            _, ra, _ = sa.sgp4(jd0, fr0 + x / 86400.0)
            _, rb, _ = sb.sgp4(jd0, fr0 + x / 86400.0)
            return float(np.linalg.norm(np.subtract(rb, ra)))

        res = minimize_scalar(
            dist,
            bounds=(max(s - 1.0, 0.0), min(s + 1.0, span_s)),
            method="bounded",
            options={"xatol": 1e-7},
        )
        if res.fun <= threshold_km and 0.0 < res.x < span_s:
            _, _, va = sa.sgp4(jd0, fr0 + res.x / 86400.0)
            _, _, vb = sb.sgp4(jd0, fr0 + res.x / 86400.0)
            out.append(
                (
                    int(idx[pi[k]]),
                    int(idx[pj[k]]),
                    float(res.x),
                    float(res.fun),
                    float(np.linalg.norm(np.subtract(vb, va))),
                )
            )
    return out
