"""Sieve kernel for a few query objects (protected assets) against many: pairs tested
directly, node intervals that cannot hold a candidate skipped before interpolating.

The spatial hash of :mod:`.sieve` interpolates *every* object at every fine step to place
it in the grid; with a handful of queries (an operator's assets against its catalog,
screened on every catalog update) that interpolation is almost all the work, and nearly
every object is thousands of kilometres from every query.  Here, per node interval
``[t_n, t_n+1]`` and per (query, object) pair, the relative cubic Hermite interpolant
``d(s) = d_n + h01(s) (d_n+1 - d_n) + h10(s) w_n + h11(s) w_n+1`` (``h01`` in [0, 1],
``|h10|, |h11| <= 4 h / 27`` for ``s`` in [0, 1]) satisfies

    |d(s)| >= |d_n| - |d_n+1 - d_n| - 4 h (|w_n| + |w_n+1|) / 27

(and the same from ``t_n+1``), so an object whose bound exceeds the search radius for
every query cannot become a candidate in that interval and is not interpolated there.
The others are tested as :func:`.sieve.sieve_numpy` tests pairs: radial bands overlap,
distance at the step centre below ``radius``, straight-line minimum within the step
below ``thr_lin``.  The candidates are those of the grid kernel (the grid's per-query
ball only ever drops pairs that fail the straight-line test), with the same floating-point
operations for positions, ``tau`` and distance: identical arrays, which
``tests/conjunction/test_sieve.py`` checks.
"""

from __future__ import annotations

import numpy as np

from spacerange.conjunction.sieve import HAVE_NUMBA, numba

if HAVE_NUMBA:
    from spacerange.conjunction.interpolation import hermite_coefficients, line_minimum
    from spacerange.conjunction.sieve import _push

__all__ = ["MAX_QUERIES", "sieve_few"]

#: above this many query objects the spatial hash of :mod:`.sieve` is used
MAX_QUERIES = 16
#: bound of |h10(s)| and |h11(s)| over s in [0, 1], per second of node interval
_C_TAN = 4.0 / 27.0


def sieve_few(PT, VT, okT, node_dt, dt, n_steps, radius, thr_lin, query, rlo, rhi, qq_pairs):
    """Candidates ``(i, j, step, tau_s, dmin_km)`` unsorted, as the compiled grid kernel
    gives them (see :func:`spacerange.conjunction.sieve.sieve` for the arguments; node-major
    ``PT, VT, okT``).  Needs numba."""
    if not HAVE_NUMBA:
        raise RuntimeError("sieve_few needs the optional 'fast' extra (numba)")
    qidx = np.flatnonzero(query).astype(np.int64)
    cnt, i, j, k, tau, d = _sieve_few_numba(
        PT, VT, okT, float(node_dt), float(dt), int(n_steps), float(radius),
        float(thr_lin), qidx, np.ascontiguousarray(query, np.bool_),
        np.ascontiguousarray(rlo, np.float64), np.ascontiguousarray(rhi, np.float64),
        bool(qq_pairs), 1 << 12,
    )  # fmt: skip
    return i[:cnt], j[:cnt], k[:cnt], tau[:cnt], d[:cnt]


if HAVE_NUMBA:

    @numba.njit(cache=True, nogil=True)
    def _norm3(x, y, z):  # pragma: no cover - compiled
        return np.sqrt(x * x + y * y + z * z)

    @numba.njit(cache=True, nogil=True)
    def _sieve_few_numba(
        PT, VT, okT, node_dt, dt, n_steps, radius, thr_lin, qidx, query, rlo, rhi, qq_pairs, cap
    ):  # pragma: no cover - compiled
        n_nodes = PT.shape[0]
        n = PT.shape[1]
        nq = qidx.shape[0]
        oi = np.empty(cap, np.int64)
        oj = np.empty(cap, np.int64)
        ok_ = np.empty(cap, np.int64)
        otau = np.empty(cap)
        od = np.empty(cap)
        cnt = 0
        # objects to test in the current node interval (queries first, as "others" of
        # query-query pairs), and their interpolated states at the current step
        act = np.empty(n, np.int64)
        n_act = 0
        pos = np.empty((n, 3))
        vel = np.empty((n, 3))
        r2 = radius * radius
        # the bound's cut: radius plus slack for the rounding of the bound itself
        cut = radius * (1.0 + 1e-9) + 1e-6
        half = 0.5 * dt
        cur = -1
        cur_all = False
        for k in range(n_steps):
            t = (k + 0.5) * dt
            jn = int(t // node_dt)
            if jn > n_nodes - 2:
                jn = n_nodes - 2
            s = t / node_dt - jn
            inside = s >= 0.0 and s <= 1.0
            if jn != cur or (not inside and not cur_all):
                cur = jn
                cur_all = not inside  # extrapolated step: the bound does not hold
                n_act = 0
                for j in range(n):
                    if not (okT[jn, j] and okT[jn + 1, j]):
                        continue
                    keep = query[j] or cur_all
                    u = 0
                    while not keep and u < nq:
                        i = qidx[u]
                        u += 1
                        if not (okT[jn, i] and okT[jn + 1, i]):
                            continue
                        if rlo[i] > rhi[j] or rlo[j] > rhi[i]:
                            continue
                        d0x = PT[jn, j, 0] - PT[jn, i, 0]
                        d0y = PT[jn, j, 1] - PT[jn, i, 1]
                        d0z = PT[jn, j, 2] - PT[jn, i, 2]
                        d1x = PT[jn + 1, j, 0] - PT[jn + 1, i, 0]
                        d1y = PT[jn + 1, j, 1] - PT[jn + 1, i, 1]
                        d1z = PT[jn + 1, j, 2] - PT[jn + 1, i, 2]
                        w0 = _norm3(VT[jn, j, 0] - VT[jn, i, 0], VT[jn, j, 1] - VT[jn, i, 1],
                                    VT[jn, j, 2] - VT[jn, i, 2])  # fmt: skip
                        w1 = _norm3(VT[jn + 1, j, 0] - VT[jn + 1, i, 0],
                                    VT[jn + 1, j, 1] - VT[jn + 1, i, 1],
                                    VT[jn + 1, j, 2] - VT[jn + 1, i, 2])  # fmt: skip
                        slack = _norm3(d1x - d0x, d1y - d0y, d1z - d0z) + _C_TAN * node_dt * (
                            w0 + w1
                        )
                        lb = max(_norm3(d0x, d0y, d0z), _norm3(d1x, d1y, d1z)) - slack
                        keep = lb < cut
                    if keep:
                        act[n_act] = j
                        n_act += 1
            if n_act < 2:
                continue
            h00, h10, h01, h11, d00, d10, d01, d11 = hermite_coefficients(s, node_dt)
            for a in range(n_act):
                i = act[a]
                for c in range(3):
                    p0 = PT[jn, i, c]
                    p1 = PT[jn + 1, i, c]
                    v0 = VT[jn, i, c]
                    v1 = VT[jn + 1, i, c]
                    pos[i, c] = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
                    vel[i, c] = d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1
            for u in range(nq):
                i = qidx[u]
                if not (okT[jn, i] and okT[jn + 1, i]):
                    continue
                px = pos[i, 0]
                py = pos[i, 1]
                pz = pos[i, 2]
                for a in range(n_act):
                    j = act[a]
                    if j == i or (query[j] and (j <= i or not qq_pairs)):
                        continue
                    if rlo[i] > rhi[j] or rlo[j] > rhi[i]:
                        continue
                    e0 = pos[j, 0] - px
                    e1 = pos[j, 1] - py
                    e2 = pos[j, 2] - pz
                    dd = e0 * e0 + e1 * e1 + e2 * e2
                    if dd >= r2:
                        continue
                    w0 = vel[j, 0] - vel[i, 0]
                    w1 = vel[j, 1] - vel[i, 1]
                    w2 = vel[j, 2] - vel[i, 2]
                    tau, dm = line_minimum(e0, e1, e2, w0, w1, w2, half)
                    if dm < thr_lin:
                        oi, oj, ok_, otau, od = _push(cnt, oi, oj, ok_, otau, od, i, j, k, tau, dm)
                        cnt += 1
        return cnt, oi, oj, ok_, otau, od
