"""The compiled sieve against the reference (cKDTree) kernel on crowded synthetic motion.

Few objects mean a small hash table (8 block hashes for 20 objects), so the blocks of 2 x 2 x
2 cubes that one query touches often share a hash: each bucket must still be scanned once
(no duplicate candidates) and none skipped.  A few very fast objects make search balls
many cubes wide (more than 64 blocks a query), the path where the per-query tables grow.
"""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.conjunction.sieve import HAVE_NUMBA, node_major_states, sieve

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")


def _straight_lines(n, n_nodes, node_dt, box_km, speed_km_s, seed):
    """Node states ``(n, n_nodes, 3)`` of objects in uniform straight-line motion."""
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(-box_km, box_km, (n, 3))
    v = rng.normal(size=(n, 3))
    v *= (speed_km_s / np.linalg.norm(v, axis=1))[:, None]
    t = np.arange(n_nodes) * node_dt
    P = p0[:, None, :] + v[:, None, :] * t[None, :, None]
    V = np.broadcast_to(v[:, None, :], P.shape).copy()
    return P, V


def _both(P, V, ok, radius, thr, query, rlo, rhi, **kw):
    args = (P, V, ok, 60.0, 10.0, 30, radius, thr, query, rlo, rhi)
    a = sieve(*args, backend="numba", **kw)
    b = sieve(*args, backend="numpy", **kw)
    return a, b


def _same(a, b):
    """Same (i, j, step) candidates; tau and distance to rounding (operation order)."""
    for x, y in zip(a[:3], b[:3], strict=True):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(a[3:], b[3:], strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-9)


@pytest.mark.parametrize("n, seed", [(20, 1), (60, 2), (300, 3)])
def test_compiled_sieve_equals_reference_on_crowded_motion(n, seed):
    speed = np.full(n, 2.0)
    speed[: max(1, n // 10)] = 80.0  # a few fast objects: balls of > 64 blocks
    P, V = _straight_lines(n, 6, 60.0, 150.0, speed, seed)
    ok = np.ones(P.shape[:2], bool)
    ok[3, 2] = False  # one invalid node: that object sits out the steps it brackets
    rlo = np.full(n, -np.inf)
    rhi = np.full(n, np.inf)
    radius = 5.0 + 0.5 * 160.0 * 10.0
    query = np.ones(n, bool)
    a, b = _both(P, V, ok, radius, 60.0, query, rlo, rhi)
    assert len(a[0]) > 20
    pairs = np.stack([a[0], a[1], a[2]], 1)
    assert len(np.unique(pairs, axis=0)) == len(pairs), "a pair reported twice in a step"
    _same(a, b)
    # Primaries mode, with and without pairs of two primaries.
    query = np.zeros(n, bool)
    query[::3] = True
    for qq in (True, False):
        a, b = _both(P, V, ok, radius, 60.0, query, rlo, rhi, query_pairs=qq)
        assert len(a[0]) > 0
        _same(a, b)


@pytest.mark.parametrize("compiled", [True, False])
def test_node_major_states_flags_what_the_status_module_flags(compiled, monkeypatch):
    from spacerange.conjunction import sieve as sieve_module
    from spacerange.propagation.status import _MIN_RADIUS_KM, MU_EARTH_KM3_S2, flag_unphysical

    monkeypatch.setattr(sieve_module, "HAVE_NUMBA", compiled)
    rng = np.random.default_rng(4)
    n, m = 50, 7
    r = rng.normal(size=(n, m, 3)) * 7000.0  # some radii below 0.95 Earth radii
    v = rng.normal(size=(n, m, 3)) * 5.0
    e = np.zeros((n, m), np.uint8)
    e[1, 2] = 6
    r[2, 3, 0] = np.nan
    v[5, 5] = [60.0, 0.0, 0.0]  # unbound
    PT, VT, okT, speed, r_min = node_major_states(r, v, e, MU_EARTH_KM3_S2, _MIN_RADIUS_KM)
    status = e.astype(np.int8)
    flag_unphysical(r, v, status)
    want = (status == 0) & np.isfinite(r).all(2) & np.isfinite(v).all(2)
    assert 0 < want.sum() < n * m - 3
    np.testing.assert_array_equal(okT.T, want)
    np.testing.assert_array_equal(PT, np.swapaxes(r, 0, 1))
    np.testing.assert_array_equal(VT, np.swapaxes(v, 0, 1))
    np.testing.assert_array_equal(speed, np.where(want, np.linalg.norm(v, axis=2), 0).max(1))
    assert r_min == np.where(want, np.linalg.norm(r, axis=2), np.inf).min()


def _circular_orbits(n, n_nodes, node_dt, seed):
    """Node states of circular orbits (r 6,900-6,960 km, random planes and phases): curved
    motion, where the few-query kernel's interval bound is not trivially exact."""
    rng = np.random.default_rng(seed)
    mu = 398600.4418
    r = rng.uniform(6900.0, 6960.0, n)
    n_rad_s = np.sqrt(mu / r**3)
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1)[:, None]
    u = np.cross(axis, rng.normal(size=(n, 3)))
    u /= np.linalg.norm(u, axis=1)[:, None]
    w = np.cross(axis, u)
    t = np.arange(n_nodes) * node_dt
    ang = rng.uniform(0, 2 * np.pi, n)[:, None] + n_rad_s[:, None] * t[None, :]
    c, s = np.cos(ang)[..., None], np.sin(ang)[..., None]
    P = r[:, None, None] * (c * u[:, None] + s * w[:, None])
    V = (r * n_rad_s)[:, None, None] * (-s * u[:, None] + c * w[:, None])
    return P, V


@pytest.mark.parametrize("n_query, qq", [(1, True), (3, True), (16, False), (16, True)])
def test_few_query_kernel_gives_the_grid_kernels_candidates_bit_for_bit(n_query, qq,
                                                                         monkeypatch):  # fmt: skip
    """Few queries against many (a team's assets against its catalog) take the direct
    kernel of :mod:`spacerange.conjunction.sieve_few`; its candidates, taus and distances
    are the grid kernel's exactly, on curved orbits with invalid nodes and radial bands."""
    from spacerange.conjunction import sieve_few

    n, node_dt, dt = 3000, 120.0, 20.0
    P, V = _circular_orbits(n, 41, node_dt, seed=n_query)
    ok = np.ones(P.shape[:2], bool)
    ok[5, 7:9] = False
    ok[0, 20] = False  # a query with an invalid node
    rn = np.linalg.norm(P, axis=2)
    rlo, rhi = rn.min(1) - 20.0, rn.max(1) + 20.0
    query = np.zeros(n, bool)
    query[np.arange(n_query) * 7] = True
    radius, thr = 5.0 + 0.5 * 16.0 * dt + 1.0, 60.0
    args = (P, V, ok, node_dt, dt, 240, radius, thr, query, rlo, rhi)
    few = sieve(*args, backend="numba", query_pairs=qq)
    monkeypatch.setattr(sieve_few, "MAX_QUERIES", 0)  # the spatial hash
    grid = sieve(*args, backend="numba", query_pairs=qq)
    assert len(few[0]) > 10
    for x, y in zip(few, grid, strict=True):
        np.testing.assert_array_equal(x, y)
    ref = sieve(*args, backend="numpy", query_pairs=qq)
    _same(few, ref)


def test_candidate_arrays_grow_in_place_without_rerunning_the_window():
    """More candidates than the kernels' initial room (65,536 for the grid, 4,096 for the
    few-query kernel: a dense catalog) grow the output arrays; the candidates are those
    found with ample room, in the same order."""
    from spacerange.conjunction import sieve as sv
    from spacerange.conjunction import sieve_few as sf

    n, node_dt, dt = 400, 120.0, 20.0
    P, V = _circular_orbits(n, 21, node_dt, seed=5)
    PT, VT = np.ascontiguousarray(P.swapaxes(0, 1)), np.ascontiguousarray(V.swapaxes(0, 1))
    okT = np.ones(PT.shape[:2], bool)
    rlo, rhi = np.full(n, -np.inf), np.full(n, np.inf)
    radius, thr = 5.0 + 0.5 * 16.0 * dt + 1.0, 60.0
    query = np.ones(n, bool)
    rest = (node_dt, dt, 120, radius, thr, query, rlo, rhi, True)
    cell, bits = sv._grid(VT, okT, dt, radius, thr)
    big = sv._sieve_numba(PT, VT, okT, *rest, cell, 1 << 20, bits)
    small = sv._sieve_numba(PT, VT, okT, *rest, cell, 0, bits)
    assert big[0] == small[0] > 100
    for x, y in zip(big[1:], small[1:], strict=True):
        np.testing.assert_array_equal(x[: big[0]], y[: small[0]])
    query = np.zeros(n, bool)
    query[:60] = True
    qidx = np.flatnonzero(query).astype(np.int64)
    rest = (node_dt, dt, 120, radius, thr, qidx, query, rlo, rhi, True)
    big = sf._sieve_few_numba(PT, VT, okT, *rest, 1 << 20)
    small = sf._sieve_few_numba(PT, VT, okT, *rest, 0)
    assert big[0] == small[0] > 10
    for x, y in zip(big[1:], small[1:], strict=True):
        np.testing.assert_array_equal(x[: big[0]], y[: small[0]])
