"""Spatial sieve: candidate close approaches from interpolated ephemerides.

Each object's SGP4 states at coarse *nodes* (every ``node_dt_s``) are interpolated with
cubic Hermite polynomials (positions and velocities match at the nodes) onto fine *steps*
of ``dt_s``.  Step ``k`` stands for the interval ``[k dt, (k+1) dt)`` and is evaluated at
its centre.  At every step, objects go into a spatial hash of cubes of side
twice the search radius; each query object looks in the 8 cubes its search ball can touch, keeps pairs
closer than the search radius, and then tests the pair's *linear* relative motion over
the step: if the closest approach of that straight line within the step is below
``threshold + margin``, the pair and step become a candidate for TCA refinement.

Why nothing is lost: a pair whose true minimum distance in a step is below the threshold
has, at the step centre, a distance below ``threshold + |w| dt/2 + margin`` (``w`` the
relative velocity) -- the search radius uses the largest relative speed in the window --
and its straight-line minimum is within ``margin`` of the true one, where ``margin``
bounds the interpolation error plus the departure from straight-line relative motion
(tidal: ``|a_rel| <= 3 mu / r^3 |d|``).

Two interchangeable kernels give the same candidates: a compiled one (numba, optional
``fast`` extra) and a pure-numpy/scipy one (``cKDTree`` per step) that is slower.
"""

from __future__ import annotations

import numpy as np

try:  # numba is optional (``pip install spacerange[fast]``)
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None
    HAVE_NUMBA = False


def hermite_states(p0, v0, p1, v1, s, h):
    """Cubic Hermite position and velocity at fraction ``s`` of a node interval of ``h`` s.

    ``p0, v0`` / ``p1, v1``: states at the interval's start / end (km, km/s); arrays
    broadcast, xyz last; ``s`` broadcasts against the leading axes (add ``[..., None]``).
    """
    s2 = s * s
    s3 = s2 * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = s3 - 2 * s2 + s
    h01 = -2 * s3 + 3 * s2
    h11 = s3 - s2
    p = h00 * p0 + h10 * h * v0 + h01 * p1 + h11 * h * v1
    d00 = 6 * s2 - 6 * s
    d10 = 3 * s2 - 4 * s + 1
    d01 = -6 * s2 + 6 * s
    d11 = 3 * s2 - 2 * s
    v = (d00 * p0 + d01 * p1) / h + d10 * v0 + d11 * v1
    return p, v


def hermite_accel(p0, v0, p1, v1, s, h):
    """Second derivative (km/s^2) of the cubic Hermite interpolant at fraction ``s``."""
    e00 = 12 * s - 6
    e10 = 6 * s - 4
    e01 = -12 * s + 6
    e11 = 6 * s - 2
    return (e00 * p0 + e01 * p1) / h**2 + (e10 * v0 + e11 * v1) / h


def _interp_step(P, V, ok, node_dt, t):
    """States of every object at window time ``t`` (s) and their validity (numpy)."""
    j = min(int(t // node_dt), P.shape[1] - 2)
    s = t / node_dt - j
    p, v = hermite_states(P[:, j], V[:, j], P[:, j + 1], V[:, j + 1], s, node_dt)
    return p, v, ok[:, j] & ok[:, j + 1]


def sieve_numpy(P, V, ok, node_dt, dt, n_steps, radius, thr_lin, query, rlo, rhi, qq_pairs=True):
    """Reference kernel (scipy ``cKDTree`` per step); see :func:`sieve`."""
    from scipy.spatial import cKDTree

    out = []
    half = 0.5 * dt
    for k in range(n_steps):
        p, v, valid = _interp_step(P, V, ok, node_dt, (k + 0.5) * dt)
        idx = np.flatnonzero(valid)
        if len(idx) < 2:
            continue
        pairs = cKDTree(p[idx]).query_pairs(radius, output_type="ndarray")
        if len(pairs) == 0:
            continue
        a, b = idx[pairs[:, 0]], idx[pairs[:, 1]]
        i, j = np.minimum(a, b), np.maximum(a, b)
        # Keep pairs with a query object, ordered as the compiled kernel orders them.
        qi, qj = query[i], query[j]
        swap = ~qi & qj
        i, j = np.where(swap, j, i), np.where(swap, i, j)
        keep = ((qi | qj) if qq_pairs else (qi ^ qj)) & (rlo[i] <= rhi[j]) & (rlo[j] <= rhi[i])
        i, j = i[keep], j[keep]
        d = p[j] - p[i]
        keep = np.einsum("ij,ij->i", d, d) < radius * radius
        i, j, d = i[keep], j[keep], d[keep]
        w = v[j] - v[i]
        ww = np.einsum("ij,ij->i", w, w)
        tau = np.where(ww > 0, -np.einsum("ij,ij->i", d, w) / np.where(ww > 0, ww, 1), 0.0)
        tau = np.clip(tau, -half, half)
        dmin = np.linalg.norm(d + w * tau[:, None], axis=1)
        hit = dmin < thr_lin
        out.append((i[hit], j[hit], np.full(hit.sum(), k), tau[hit], dmin[hit]))
    if not out:
        e = np.zeros(0, np.int64)
        return e, e.copy(), e.copy(), np.zeros(0), np.zeros(0)
    cols = [np.concatenate(c) for c in zip(*out, strict=True)]
    return tuple(cols)


if HAVE_NUMBA:

    @numba.njit(cache=True, nogil=True)
    def _sieve_numba(
        P, V, ok, node_dt, dt, n_steps, radius, thr_lin, query, rlo, rhi, qq_pairs, cap
    ):  # pragma: no cover - compiled
        n = P.shape[0]
        n_nodes = P.shape[1]
        tsize = 1
        while tsize < 2 * n:
            tsize *= 2
        mask = tsize - 1
        # Cell list rebuilt every step by a counting sort on the hash bucket: objects of
        # one bucket are contiguous, so neighbour scans read memory in order.
        count = np.zeros(tsize + 1, np.int64)
        bucket = np.empty(n, np.int64)
        order = np.empty(n, np.int64)
        pos = np.empty((n, 3))
        vel = np.empty((n, 3))
        cell = np.empty((n, 3), np.int64)
        spos = np.empty((n, 3))
        svel = np.empty((n, 3))
        scell = np.empty((n, 3), np.int64)
        sid = np.empty(n, np.int64)
        sq = np.zeros(n, np.bool_)
        slo = np.empty(n)
        shi = np.empty(n)
        seen = np.empty(8, np.int64)
        valid = np.zeros(n, np.bool_)
        oi = np.empty(cap, np.int64)
        oj = np.empty(cap, np.int64)
        ok_ = np.empty(cap, np.int64)
        otau = np.empty(cap)
        od = np.empty(cap)
        cnt = 0
        r2 = radius * radius
        half = 0.5 * dt
        inv = 0.5 / radius
        for k in range(n_steps):
            t = (k + 0.5) * dt
            jn = int(t // node_dt)
            if jn > n_nodes - 2:
                jn = n_nodes - 2
            s = t / node_dt - jn
            s2 = s * s
            s3 = s2 * s
            h00 = 2 * s3 - 3 * s2 + 1
            h10 = (s3 - 2 * s2 + s) * node_dt
            h01 = -2 * s3 + 3 * s2
            h11 = (s3 - s2) * node_dt
            d00 = (6 * s2 - 6 * s) / node_dt
            d10 = 3 * s2 - 4 * s + 1
            d01 = (-6 * s2 + 6 * s) / node_dt
            d11 = 3 * s2 - 2 * s
            count[:] = 0
            nv = 0
            for i in range(n):
                valid[i] = ok[i, jn] and ok[i, jn + 1]
                if not valid[i]:
                    continue
                for c in range(3):
                    p0 = P[i, jn, c]
                    p1 = P[i, jn + 1, c]
                    v0 = V[i, jn, c]
                    v1 = V[i, jn + 1, c]
                    pos[i, c] = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
                    vel[i, c] = d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1
                    cell[i, c] = int(np.floor(pos[i, c] * inv))
                b = (
                    (cell[i, 0] * 73856093) ^ (cell[i, 1] * 19349663) ^ (cell[i, 2] * 83492791)
                ) & mask
                bucket[i] = b
                count[b + 1] += 1
                nv += 1
            for b in range(tsize):
                count[b + 1] += count[b]
            # count[b] is now the start of bucket b; fill, advancing a copy of the starts.
            for i in range(n):
                if valid[i]:
                    b = bucket[i]
                    order[i] = count[b]
                    count[b] += 1
            for i in range(n):
                if valid[i]:
                    m = order[i]
                    sid[m] = i
                    sq[m] = query[i]
                    slo[m] = rlo[i]
                    shi[m] = rhi[i]
                    for c in range(3):
                        spos[m, c] = pos[i, c]
                        svel[m, c] = vel[i, c]
                        scell[m, c] = cell[i, c]
            # Restore bucket starts: start(b) = end(b) - size(b) == count[b-1] after fill.
            for b in range(tsize, 0, -1):
                count[b] = count[b - 1]
            count[0] = 0
            for m in range(nv):
                if not sq[m]:
                    continue
                i = sid[m]
                px = spos[m, 0]
                py = spos[m, 1]
                pz = spos[m, 2]
                # Cubes of side 2R: the ball of radius R around i lies in the 2x2x2 block
                # of cubes on the side of i's cube where i sits (8 lookups, not 27).
                ox = 1 if px * inv - scell[m, 0] >= 0.5 else -1
                oy = 1 if py * inv - scell[m, 1] >= 0.5 else -1
                oz = 1 if pz * inv - scell[m, 2] >= 0.5 else -1
                nseen = 0
                for a8 in range(8):
                    cx = scell[m, 0] + (a8 & 1) * ox
                    cy = scell[m, 1] + ((a8 >> 1) & 1) * oy
                    cz = scell[m, 2] + ((a8 >> 2) & 1) * oz
                    b = ((cx * 73856093) ^ (cy * 19349663) ^ (cz * 83492791)) & mask
                    # Two cubes may share a bucket: scan each bucket once. Objects of other
                    # cubes in a bucket are harmless (the distance test decides).
                    dup = False
                    for u in range(nseen):
                        if seen[u] == b:
                            dup = True
                    if dup:
                        continue
                    seen[nseen] = b
                    nseen += 1
                    for q in range(count[b], count[b + 1]):
                        e0 = spos[q, 0] - px
                        e1 = spos[q, 1] - py
                        e2 = spos[q, 2] - pz
                        dd = e0 * e0 + e1 * e1 + e2 * e2
                        if dd >= r2:
                            continue
                        j = sid[q]
                        if sq[q] and (j <= i or not qq_pairs):
                            continue
                        if slo[m] > shi[q] or slo[q] > shi[m]:
                            continue
                        w0 = svel[q, 0] - svel[m, 0]
                        w1 = svel[q, 1] - svel[m, 1]
                        w2 = svel[q, 2] - svel[m, 2]
                        ww = w0 * w0 + w1 * w1 + w2 * w2
                        tau = 0.0
                        if ww > 0:
                            tau = -(e0 * w0 + e1 * w1 + e2 * w2) / ww
                        if tau > half:
                            tau = half
                        elif tau < -half:
                            tau = -half
                        f0 = e0 + w0 * tau
                        f1 = e1 + w1 * tau
                        f2 = e2 + w2 * tau
                        dm = np.sqrt(f0 * f0 + f1 * f1 + f2 * f2)
                        if dm < thr_lin:
                            if cnt < cap:
                                oi[cnt] = i
                                oj[cnt] = j
                                ok_[cnt] = k
                                otau[cnt] = tau
                                od[cnt] = dm
                            cnt += 1
        return cnt, oi, oj, ok_, otau, od


def sieve(
    P,
    V,
    ok,
    node_dt,
    dt,
    n_steps,
    radius,
    thr_lin,
    query,
    rlo,
    rhi,
    backend: str = "auto",
    query_pairs: bool = True,
):
    """Candidate (i, j, step, tau_s, dmin_km) tuples of arrays for one time window.

    ``P, V``: node states ``(n, n_nodes, 3)`` (km, km/s, any inertial frame); ``ok``:
    ``(n, n_nodes)`` valid-state mask; ``query``: objects whose neighbours are searched
    (all objects for all-vs-all, the primaries otherwise); ``rlo, rhi``: padded
    perigee/apogee radii (km) for the apogee/perigee filter; ``query_pairs=False`` skips
    pairs of two query objects (e.g. fragments of one cloud among themselves).  ``backend``:
    ``"numba"``,
    ``"numpy"`` or ``"auto"`` (numba when installed).  Candidates are sorted by
    (step, i, j) so both backends return identical arrays.
    """
    use_numba = backend == "numba" or (backend == "auto" and HAVE_NUMBA)
    if use_numba and not HAVE_NUMBA:
        raise RuntimeError("the numba backend needs the optional 'fast' extra (numba)")
    args = (
        np.ascontiguousarray(P, np.float64),
        np.ascontiguousarray(V, np.float64),
        np.ascontiguousarray(ok, np.bool_),
        float(node_dt),
        float(dt),
        int(n_steps),
        float(radius),
        float(thr_lin),
        np.ascontiguousarray(query, np.bool_),
        np.ascontiguousarray(rlo, np.float64),
        np.ascontiguousarray(rhi, np.float64),
        bool(query_pairs),
    )
    if use_numba:
        cap = 1 << 16
        while True:
            cnt, i, j, k, tau, d = _sieve_numba(*args, cap)
            if cnt <= cap:
                i, j, k, tau, d = i[:cnt], j[:cnt], k[:cnt], tau[:cnt], d[:cnt]
                break
            cap = int(cnt * 1.2) + 1
    else:
        i, j, k, tau, d = sieve_numpy(*args)
    order = np.lexsort((j, i, k))
    return i[order], j[order], k[order], tau[order], d[order]
