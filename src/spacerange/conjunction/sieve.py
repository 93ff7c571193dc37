"""Spatial sieve: candidate close approaches from interpolated ephemerides.

Each object's SGP4 states at coarse *nodes* (every ``node_dt_s``) are interpolated with
cubic Hermite polynomials (positions and velocities match at the nodes) onto fine *steps*
of ``dt_s``.  Step ``k`` stands for the interval ``[k dt, (k+1) dt)`` and is evaluated at
its centre.  At every step, objects go into a spatial hash of cubes, each query object
scans the cubes its search ball touches, keeps pairs closer than the search radius, and
then tests the pair's *linear* relative motion over the step: if the closest approach of
that straight line within the step is below ``threshold + margin``, the pair and step
become a candidate for TCA refinement.

Why nothing is lost: a pair whose true minimum distance in a step is below the threshold
has, at the step centre, a distance below ``threshold + |w| dt/2 + margin`` (``w`` the
relative velocity) -- the search radius uses the largest relative speed in the window --
and its straight-line minimum is within ``margin`` of the true one, where ``margin``
bounds the interpolation error plus the departure from straight-line relative motion
(tidal: ``|a_rel| <= 3 mu / r^3 |d|``).

The compiled kernel shrinks each query's ball to what its own speed needs: since
``|w| <= |v_i| + |v_j|``, a pair can only pass if ``|d| < threshold + margin + (|v_i| +
|v_j|) dt/2``.  In all-vs-all runs each pair is examined once, from its faster member
(speed, then index), whose ball of radius ``threshold + margin + |v| dt`` covers that
bound; a LEO object's ball is then ~160 km instead of the ~215 km that the catalog's
fastest pair (eccentric objects at perigee) imposes on everyone.  The cubes live on a
periodic grid (16 or 32 blocks of 2 x 2 x 2 cubes per axis, ~20,000 km: LEO without
wrapping), and a cube's bucket is its Morton code, so the buckets of one block are consecutive (z bit
lowest) and neighbouring blocks are near each other in memory; queries, taken in bucket
order, walk space, find their neighbours in cache and often reuse the previous query's
runs of buckets.  A query whose ball spans at most 2 cubes per axis (nearly all) takes its
buckets straight from the Morton codes, columns along z (and pairs of them along y) in one
block as one run; larger balls go block by block, cubes wrapped onto one bucket scanned
once.  The scan itself has no branch: the entries inside the ball (and not faster than
the query) are gathered, then examined.  The candidates are the same, bit for bit, as
those of the per-cube kernel this replaced.

Two interchangeable kernels give the same candidates: a compiled one (numba, optional
``fast`` extra) and a pure-numpy/scipy one (``cKDTree`` per step) that is slower.
"""

from __future__ import annotations

import numpy as np

from spacerange.conjunction.interpolation import hermite_states

try:  # numba is optional (``pip install spacerange[fast]``)
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None
    HAVE_NUMBA = False


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


def _runs_table() -> np.ndarray:
    """For each 8-bit mask of the cubes of a block: ``[n_runs, (lo, hi) x n_runs]``, the
    runs of consecutive set bits, as bucket offsets ``[lo, hi)``."""
    out = np.zeros((256, 5, 2), np.int64)
    for mask in range(256):
        runs = []
        b = 0
        while b < 8:
            if mask >> b & 1:
                e = b
                while e + 1 < 8 and mask >> (e + 1) & 1:
                    e += 1
                runs.append((b, e + 1))
                b = e + 1
            else:
                b += 1
        out[mask, 0, 0] = len(runs)
        for u, run in enumerate(runs):
            out[mask, u + 1] = run
    return out


RUNS = _runs_table()
#: Most blocks per axis of the periodic grid: ``2**GRID_BITS``; a run uses as many as
#: span ~20,000 km (LEO without wrapping) with its cubes (:func:`_grid`), fewer for small
#: catalogs.
GRID_BITS = 5
#: The grid's period that :func:`_grid` aims at [km]: LEO's diameter (~17,000 km) and a
#: margin
GRID_PERIOD_KM = 20_000.0
#: Catalog size at which the cubes are 4x a typical search radius (the real catalog's,
#: where that was measured fastest); denser catalogs get smaller cubes (:func:`_grid`)
CUBE_RULE_N = 26_140
#: ``SPREAD[x]``: the bits of ``x`` spread to every third position (Morton code); a cube's
#: bucket is ``SPREAD[cx] << 2 | SPREAD[cy] << 1 | SPREAD[cz]`` (coordinates modulo the
#: grid), i.e. its block's slot times 8 plus its place in the block.
SPREAD = np.array(
    [sum(((x >> b) & 1) << (3 * b) for b in range(GRID_BITS + 1)) for x in range(2 << GRID_BITS)],
    np.int64,
)
#: ``AXIS_MASK[axis, lo, hi]``: the cubes of a block (bit ``x << 2 | y << 1 | z``) whose
#: coordinate bit on ``axis`` (0 x, 1 y, 2 z) is in ``[lo, hi]``.
AXIS_MASK = np.array(
    [
        [
            [sum(1 << b for b in range(8) if lo <= (b >> (2 - ax)) & 1 <= hi) for hi in (0, 1)]
            for lo in (0, 1)
        ]
        for ax in range(3)
    ],
    np.int64,
)


if HAVE_NUMBA:
    from spacerange.conjunction.interpolation import hermite_coefficients, line_minimum

    @numba.njit(cache=True, nogil=True, inline="always")
    def _block_hash(bx, by, bz, bmask):  # pragma: no cover - compiled
        """Slot of the 2 x 2 x 2 block of cubes (bx, by, bz): the Morton code of its
        coordinates modulo ``bmask + 1`` per axis (a periodic grid, so neighbouring blocks
        get nearby slots); its 8 cubes get the 8 consecutive buckets
        ``8 * slot + (x bit << 2 | y bit << 1 | z bit)``."""
        return (SPREAD[bx & bmask] << 2) | (SPREAD[by & bmask] << 1) | SPREAD[bz & bmask]

    @numba.njit(cache=True, nogil=True)
    def _grown(a, size):  # pragma: no cover - compiled
        """``a`` copied into a new array of ``size`` entries (the first ``len(a)`` set)."""
        out = np.empty(size, a.dtype)
        out[: a.shape[0]] = a
        return out

    @numba.njit(cache=True, nogil=True)
    def _room(cnt, oi, oj, ok_, otau, od):  # pragma: no cover - compiled
        """The kernels' candidate arrays with room for entry ``cnt``: the same arrays, or
        all five grown in place to ``max(2 cnt, 16)`` (a dense catalog never runs a step
        twice; an empty buffer grows too)."""
        if cnt < oi.shape[0]:
            return oi, oj, ok_, otau, od
        grow = max(2 * cnt, 16)
        return (_grown(oi, grow), _grown(oj, grow), _grown(ok_, grow), _grown(otau, grow),
                _grown(od, grow))  # fmt: skip

    @numba.njit(cache=True, nogil=True)
    def _push(cnt, oi, oj, ok_, otau, od, i, j, k, tau, dmin):  # pragma: no cover - compiled
        """Candidate ``(i, j, step k, tau, dmin)`` written as entry ``cnt`` of the kernels'
        arrays (grown by :func:`_room` when full); returns the arrays."""
        oi, oj, ok_, otau, od = _room(cnt, oi, oj, ok_, otau, od)
        oi[cnt] = i
        oj[cnt] = j
        ok_[cnt] = k
        otau[cnt] = tau
        od[cnt] = dmin
        return oi, oj, ok_, otau, od

    @numba.njit(cache=True, nogil=True)
    def _node_major_numba(r, v, e, mu, min_radius, PT, VT, okT, speed):  # pragma: no cover
        """Compiled :func:`node_major_states`: one pass, reads object-major, writes
        node-major."""
        n, m = e.shape
        r_min = np.inf
        for j in range(m):
            for i in range(n):
                x = r[i, j, 0]
                y = r[i, j, 1]
                z = r[i, j, 2]
                vx = v[i, j, 0]
                vy = v[i, j, 1]
                vz = v[i, j, 2]
                PT[j, i, 0] = x
                PT[j, i, 1] = y
                PT[j, i, 2] = z
                VT[j, i, 0] = vx
                VT[j, i, 1] = vy
                VT[j, i, 2] = vz
                good = e[i, j] == 0
                if good:
                    good = (
                        np.isfinite(x)
                        and np.isfinite(y)
                        and np.isfinite(z)
                        and np.isfinite(vx)
                        and np.isfinite(vy)
                        and np.isfinite(vz)
                    )
                if good:
                    rn = np.sqrt(x * x + y * y + z * z)
                    v2 = vx * vx + vy * vy + vz * vz
                    if v2 * rn > 2.2 * mu or rn < min_radius:
                        good = False
                    else:
                        sp = np.sqrt(v2)
                        if sp > speed[i]:
                            speed[i] = sp
                        if rn < r_min:
                            r_min = rn
                okT[j, i] = good
        return r_min

    @numba.njit(cache=True, nogil=True)
    def _sieve_numba(
        PT,
        VT,
        okT,
        node_dt,
        dt,
        n_steps,
        radius,
        thr_lin,
        query,
        rlo,
        rhi,
        qq_pairs,
        cell_km,
        cap,
        max_bits,
    ):  # pragma: no cover - compiled
        """Grid kernel; ``PT, VT, okT`` node-major ``(n_nodes, n, 3)`` / ``(n_nodes, n)``;
        ``cap``: initial room for candidates (it grows as needed); ``max_bits``: the grid's
        bits per axis (fewer for small catalogs; see :func:`_grid`)."""
        n_nodes = PT.shape[0]
        n = PT.shape[1]
        # All-vs-all: each pair is examined once, from its faster member (speed, then index),
        # whose search ball of radius thr_lin + 2 |v| dt/2 covers thr_lin + |w| dt/2.
        n_query = 0
        for i in range(n):
            if query[i]:
                n_query += 1
        all_query = n_query == n and qq_pairs
        bits = 2
        while bits < max_bits and 1 << (3 * bits) < n:
            bits += 1
        bmask = (1 << bits) - 1
        cmask = (2 << bits) - 1
        tsize = 8 << (3 * bits)
        # Cell list rebuilt every step by a counting sort on the hash bucket: objects of
        # one bucket are contiguous, and so are the buckets of one block of 2 x 2 x 2 cubes.
        count = np.zeros(tsize + 1, np.int32)
        bucket = np.empty(n, np.int64)
        order = np.empty(n, np.int64)
        pos = np.empty((n, 3))
        vel = np.empty((n, 3))
        spd = np.empty(n)
        # Sorted copies; position and speed packed in one row (one cache line per entry).
        spos = np.empty((n, 4))
        svel = np.empty((n, 3))
        sid = np.empty(n, np.int64)
        sq = np.zeros(n, np.bool_)
        slo = np.empty(n)
        shi = np.empty(n)
        valid = np.zeros(n, np.bool_)
        hits = np.empty(n + 1, np.int64)  # one query's entries that pass the scan
        # Blocks a query touches (hash, cubes already scanned), to scan each bucket once
        # when two of them share a hash.
        qhash = np.empty(64, np.int64)
        qdone = np.empty(64, np.int64)
        rq0 = np.empty(256, np.int64)
        rq1 = np.empty(256, np.int64)
        pr = np.empty(6, np.int64)
        nr = 0
        oi = np.empty(cap, np.int64)
        oj = np.empty(cap, np.int64)
        ok_ = np.empty(cap, np.int64)
        otau = np.empty(cap)
        od = np.empty(cap)
        cnt = 0
        r2 = radius * radius
        half = 0.5 * dt
        inv = 1.0 / cell_km
        for k in range(n_steps):
            t = (k + 0.5) * dt
            jn = int(t // node_dt)
            if jn > n_nodes - 2:
                jn = n_nodes - 2
            s = t / node_dt - jn
            h00, h10, h01, h11, d00, d10, d01, d11 = hermite_coefficients(s, node_dt)
            count[:] = 0
            nv = 0
            vmax = 0.0
            for i in range(n):
                valid[i] = okT[jn, i] and okT[jn + 1, i]
                if not valid[i]:
                    continue
                for c in range(3):
                    p0 = PT[jn, i, c]
                    p1 = PT[jn + 1, i, c]
                    v0 = VT[jn, i, c]
                    v1 = VT[jn + 1, i, c]
                    pos[i, c] = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
                    vel[i, c] = d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1
                sp = np.sqrt(vel[i, 0] ** 2 + vel[i, 1] ** 2 + vel[i, 2] ** 2)
                spd[i] = sp
                if sp > vmax:
                    vmax = sp
                cx = int(np.floor(pos[i, 0] * inv))
                cy = int(np.floor(pos[i, 1] * inv))
                cz = int(np.floor(pos[i, 2] * inv))
                b = (_block_hash(cx >> 1, cy >> 1, cz >> 1, bmask) << 3) | (
                    ((cx & 1) << 2) | ((cy & 1) << 1) | (cz & 1)
                )
                bucket[i] = b
                count[b] += 1
                nv += 1
            # Sizes to ends (inclusive prefix), then filled backwards: each bucket's
            # counter ends at its start, and end(b) = start(b + 1) = count[b + 1].
            for b in range(1, tsize):
                count[b] += count[b - 1]
            count[tsize] = nv
            for i in range(n - 1, -1, -1):
                if valid[i]:
                    b = bucket[i]
                    c = count[b] - 1
                    count[b] = c
                    order[i] = c
            for i in range(n):
                if valid[i]:
                    m = order[i]
                    sid[m] = i
                    sq[m] = query[i]
                    slo[m] = rlo[i]
                    shi[m] = rhi[i]
                    spos[m, 3] = spd[i]
                    for c in range(3):
                        spos[m, c] = pos[i, c]
                        svel[m, c] = vel[i, c]
            pr[0] = 1 << 62  # no previous query in this step
            for m in range(nv):
                if not sq[m]:
                    continue
                i = sid[m]
                px = spos[m, 0]
                py = spos[m, 1]
                pz = spos[m, 2]
                sm = spos[m, 3]
                # A pair kept below has |d| < thr_lin + |w| dt/2 and |w| <= |v_i| + |v_j|;
                # the slack absorbs rounding.  No pair beyond ``radius`` is kept either.
                if all_query:
                    ri = thr_lin + 2.0 * sm * half
                else:
                    ri = thr_lin + (sm + vmax) * half
                ri = min(ri, radius) * (1.0 + 1e-12) + 1e-9
                lim2 = min(ri * ri, r2)
                cx0 = int(np.floor((px - ri) * inv))
                cx1 = int(np.floor((px + ri) * inv))
                cy0 = int(np.floor((py - ri) * inv))
                cy1 = int(np.floor((py + ri) * inv))
                cz0 = int(np.floor((pz - ri) * inv))
                cz1 = int(np.floor((pz + ri) * inv))
                # Consecutive queries (bucket order) often have the same cube ranges: the
                # runs to scan are then the previous query's.
                nr_fast = 0
                if not (
                    cx0 == pr[0]
                    and cx1 == pr[1]
                    and cy0 == pr[2]
                    and cy1 == pr[3]
                    and cz0 == pr[4]
                    and cz1 == pr[5]
                ):
                    nr_fast = -1
                    pr[0] = cx0
                    pr[1] = cx1
                    pr[2] = cy0
                    pr[3] = cy1
                    pr[4] = cz0
                    pr[5] = cz1
                if nr_fast < 0 and (cx1 - cx0 | cy1 - cy0 | cz1 - cz0) <= 1:
                    # The usual case, at most 2 cubes per axis: each cube's bucket is its
                    # Morton code (modulo the grid), columns along z (and pairs of them
                    # along y) in one block are consecutive buckets.
                    nr = 0
                    kz0 = SPREAD[cz0 & cmask]
                    kz1 = SPREAD[cz1 & cmask]
                    zpair = cz1 != cz0 and (cz0 & 1) == 0
                    ypair = cy1 != cy0 and (cy0 & 1) == 0
                    for x in range(cx0, cx1 + 1):
                        kx = SPREAD[x & cmask] << 2
                        for y in range(cy0, cy1 + 1):
                            if ypair and zpair and y != cy0:
                                continue  # scanned with the column at cy0
                            k0 = kx | (SPREAD[y & cmask] << 1)
                            b0 = k0 | kz0
                            if cz1 == cz0:
                                b1 = b0 + 1
                            elif zpair:
                                b1 = b0 + (4 if ypair else 2)
                            else:
                                b1 = b0 + 1
                                q0 = count[k0 | kz1]
                                q1 = count[(k0 | kz1) + 1]
                                if q1 > q0:
                                    rq0[nr] = q0
                                    rq1[nr] = q1
                                    nr += 1
                            q0 = count[b0]
                            q1 = count[b1]
                            if q1 > q0:
                                rq0[nr] = q0
                                rq1[nr] = q1
                                nr += 1
                elif nr_fast < 0:
                    nb = (
                        ((cx1 >> 1) - (cx0 >> 1) + 1)
                        * ((cy1 >> 1) - (cy0 >> 1) + 1)
                        * ((cz1 >> 1) - (cz0 >> 1) + 1)
                    )
                    if nb > qhash.shape[0]:
                        qhash = np.empty(nb, np.int64)
                        qdone = np.empty(nb, np.int64)
                        rq0 = np.empty(4 * nb, np.int64)
                        rq1 = np.empty(4 * nb, np.int64)
                    nq = 0
                    nr = 0
                    # Each block of 2 x 2 x 2 cubes that the ball touches: the cubes needed
                    # in it, as runs of consecutive buckets (one scan loop per run).
                    for bx in range(cx0 >> 1, (cx1 >> 1) + 1):
                        mx = AXIS_MASK[0, max(cx0 - 2 * bx, 0), min(cx1 - 2 * bx, 1)]
                        for by in range(cy0 >> 1, (cy1 >> 1) + 1):
                            my = AXIS_MASK[1, max(cy0 - 2 * by, 0), min(cy1 - 2 * by, 1)]
                            for bz in range(cz0 >> 1, (cz1 >> 1) + 1):
                                mz = AXIS_MASK[2, max(cz0 - 2 * bz, 0), min(cz1 - 2 * bz, 1)]
                                need = mx & my & mz
                                hb = _block_hash(bx, by, bz, bmask)
                                # Two blocks with one hash share their buckets: scan once.
                                slot = -1
                                for u in range(nq):
                                    if qhash[u] == hb:
                                        slot = u
                                        break
                                if slot >= 0:
                                    need &= ~qdone[slot]
                                    qdone[slot] |= need
                                else:
                                    qhash[nq] = hb
                                    qdone[nq] = need
                                    nq += 1
                                base = hb << 3
                                for u in range(RUNS[need, 0, 0]):
                                    q0 = count[base + RUNS[need, u + 1, 0]]
                                    q1 = count[base + RUNS[need, u + 1, 1]]
                                    if q1 > q0:
                                        rq0[nr] = q0
                                        rq1[nr] = q1
                                        nr += 1
                # Scan without a branch: the entries inside the ball (and, all-vs-all,
                # not faster than the query; ties are settled by index below) are
                # gathered first, then examined.  About 8 % of the entries pass the
                # distance test, at random: a branch per entry mispredicted on each, and
                # most of them were then rejected as faster (measured 4-7 % of the kernel).
                slim = sm if all_query else np.inf
                nh = 0
                for u in range(nr):
                    for q in range(rq0[u], rq1[u]):
                        e0 = spos[q, 0] - px
                        e1 = spos[q, 1] - py
                        e2 = spos[q, 2] - pz
                        hits[nh] = q
                        nh += (e0 * e0 + e1 * e1 + e2 * e2 < lim2) & (spos[q, 3] <= slim)
                for u in range(nh):
                    q = hits[u]
                    e0 = spos[q, 0] - px
                    e1 = spos[q, 1] - py
                    e2 = spos[q, 2] - pz
                    j = sid[q]
                    if all_query:
                        sq_ = spos[q, 3]
                        if sq_ > sm or (sq_ == sm and j >= i):
                            continue
                    elif sq[q] and (j <= i or not qq_pairs):
                        continue
                    if slo[m] > shi[q] or slo[q] > shi[m]:
                        continue
                    w0 = svel[q, 0] - svel[m, 0]
                    w1 = svel[q, 1] - svel[m, 1]
                    w2 = svel[q, 2] - svel[m, 2]
                    # The pair as (lower index, higher): negating d and w
                    # together leaves tau and the distance bit-identical.
                    a = i
                    bj = j
                    if all_query and j < i:
                        a = j
                        bj = i
                    tau, dm = line_minimum(e0, e1, e2, w0, w1, w2, half)
                    if dm < thr_lin:
                        oi, oj, ok_, otau, od = _push(cnt, oi, oj, ok_, otau, od, a, bj, k, tau, dm)
                        cnt += 1
        return cnt, oi, oj, ok_, otau, od


def node_major_states(r, v, e, mu_km3_s2: float, min_radius_km: float):
    """Node states ``(n, m, 3)`` from SGP4 turned into the sieve's node-major layout.

    Returns ``PT, VT`` ``(m, n, 3)``, ``okT`` ``(m, n)`` (status 0, finite, and physical:
    not unbound with 10 % slack, ``v^2 r <= 2.2 mu``, nor below ``min_radius_km``, the
    test of :func:`spacerange.propagation.status.flag_unphysical`), each object's largest
    speed over its valid nodes (0 if none) and the smallest valid radius (inf if none).
    One compiled pass when numba is present; the same numbers either way.
    """
    n, m = e.shape
    PT = np.empty((m, n, 3))
    VT = np.empty((m, n, 3))
    okT = np.empty((m, n), np.bool_)
    speed = np.zeros(n)
    if HAVE_NUMBA:
        r_min = _node_major_numba(r, v, e, mu_km3_s2, min_radius_km, PT, VT, okT, speed)
        return PT, VT, okT, speed, float(r_min)
    PT[:] = np.swapaxes(r, 0, 1)
    VT[:] = np.swapaxes(v, 0, 1)
    r2 = PT[..., 0] * PT[..., 0] + PT[..., 1] * PT[..., 1] + PT[..., 2] * PT[..., 2]
    v2 = VT[..., 0] * VT[..., 0] + VT[..., 1] * VT[..., 1] + VT[..., 2] * VT[..., 2]
    rn = np.sqrt(r2)
    with np.errstate(invalid="ignore"):
        okT[:] = (np.swapaxes(e, 0, 1) == 0) & np.isfinite(PT).all(2) & np.isfinite(VT).all(2)
        okT &= ~((v2 * rn > 2.2 * mu_km3_s2) | (rn < min_radius_km))
    speed[:] = np.where(okT, np.sqrt(v2), 0.0).max(axis=0) if m else 0.0
    rad = np.where(okT, rn, np.inf)
    return PT, VT, okT, speed, float(rad.min()) if rad.size else float("inf")


def _grid(V, ok, dt: float, radius: float, thr_lin: float) -> tuple[float, int]:
    """Side of the cubes [km] and the grid's bits per axis (at most :data:`GRID_BITS`).

    The side is ``f`` times the search radius of a typical (90th percentile speed) object,
    ``f = 4 sqrt(CUBE_RULE_N / n)`` between 2 and 4 for ``n`` valid objects, and the grid
    spans about :data:`GRID_PERIOD_KM`.  Any side gives the same candidates; this rule is
    the fastest measured (one hour, 180 steps, CPU of the kernel): on the real catalog
    (26,140) 4x with 16 blocks per axis 0.573 s, 3x 0.589 s, 2x with 32 blocks 0.607 s;
    on the 100,000-object synthetic catalog 2x with 32 blocks 4.03 s, 2.56x 4.20 s, 4x
    with 16 blocks 4.57 s.  Larger cubes mean fewer runs of buckets to locate per query
    and more entries scanned per run; the denser the catalog, the sooner the scanning
    dominates.
    """
    speed = np.sqrt(np.einsum("ij,ij->i", V[0], V[0]))  # node-major: first node
    n_valid = int(np.count_nonzero(ok[0]))
    speed = speed[ok[0]] if n_valid else np.zeros(1)
    f = float(np.clip(4.0 * np.sqrt(CUBE_RULE_N / max(n_valid, 1)), 2.0, 4.0))
    cell = f * min(radius, thr_lin + dt * np.quantile(speed, 0.9))
    bits = 2
    while bits < GRID_BITS and (2 << bits) * cell < GRID_PERIOD_KM:
        bits += 1
    return float(cell), bits


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
    node_major: bool = False,
):
    """Candidate (i, j, step, tau_s, dmin_km) tuples of arrays for one time window.

    ``P, V``: node states ``(n, n_nodes, 3)`` (km, km/s, any inertial frame); ``ok``:
    ``(n, n_nodes)`` valid-state mask; with ``node_major=True`` they are given as
    ``(n_nodes, n, 3)`` and ``(n_nodes, n)`` (the compiled kernel's layout, no copy made).
    ``query``: objects whose neighbours are searched (all objects for all-vs-all, the
    primaries otherwise); ``rlo, rhi``: padded perigee/apogee radii (km) for the
    apogee/perigee filter; ``query_pairs=False`` skips pairs of two query objects (e.g.
    fragments of one cloud among themselves).  ``backend``: ``"numba"``, ``"numpy"`` or
    ``"auto"`` (numba when installed).  Candidates are sorted by (step, i, j) so both
    backends return identical arrays.
    """
    from spacerange.conjunction.sieve_few import MAX_QUERIES, sieve_few

    use_numba = backend == "numba" or (backend == "auto" and HAVE_NUMBA)
    if use_numba and not HAVE_NUMBA:
        raise RuntimeError("the numba backend needs the optional 'fast' extra (numba)")
    if not node_major:
        P, V, ok = np.swapaxes(P, 0, 1), np.swapaxes(V, 0, 1), np.swapaxes(ok, 0, 1)
    # Node-major: one step reads every object's two bracketing nodes in memory order.
    PT = np.ascontiguousarray(P, np.float64)
    VT = np.ascontiguousarray(V, np.float64)
    okT = np.ascontiguousarray(ok, np.bool_)
    rest = (
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
    n_query = int(np.count_nonzero(rest[5]))
    if use_numba and 0 < n_query <= MAX_QUERIES and n_query < PT.shape[1]:
        # a few queries against many: pairs tested directly (same candidates)
        i, j, k, tau, d = sieve_few(PT, VT, okT, *rest)
    elif use_numba:
        cell_km, bits = _grid(VT, okT, float(dt), float(radius), float(thr_lin))
        cnt, i, j, k, tau, d = _sieve_numba(PT, VT, okT, *rest, cell_km, 1 << 16, bits)
        i, j, k, tau, d = i[:cnt], j[:cnt], k[:cnt], tau[:cnt], d[:cnt]
    else:
        obj_major = [np.swapaxes(a, 0, 1) for a in (PT, VT, okT)]
        i, j, k, tau, d = sieve_numpy(*obj_major, *rest)
    order = np.lexsort((j, i, k))
    return i[order], j[order], k[order], tau[order], d[order]
