"""Catalog screening: recall against brute force, backends, blocks, scale-out."""

from __future__ import annotations

import numpy as np
import pytest
from brute_force import brute_force_events

from spacerange.catalog.tle import parse_tle_file
from spacerange.conjunction.screening import ScreeningConfig, screen
from spacerange.conjunction.sieve import HAVE_NUMBA
from spacerange.timescales import jd_fr_utc, parse_utc

START = parse_utc("2023-10-09T00:00:00Z")
ONE_MS = 1e-3
ONE_METER_KM = 1e-3


@pytest.fixture(scope="module")
def real_elsets(shared_data):
    elsets, rejects = parse_tle_file(shared_data / "catalog" / "spacetrack_3le_full_20231009.txt")
    assert not rejects
    return elsets


def _crowded_subset(elsets, n_shell=2200, n_other=800, seed=3):
    """Objects of the crowded 500-600 km shells plus a random sample of the rest."""
    rng = np.random.default_rng(seed)
    fresh = [e for e in elsets if abs((e.epoch.timestamp() - 1696809600) / 86400) < 3]
    shell = [e for e in fresh if 480 < e.perigee_alt_km and e.apogee_alt_km < 620]
    in_shell = set(shell)  # once: built per element it took 90 s of the suite
    other = [e for e in fresh if e not in in_shell]
    pick = list(rng.choice(len(shell), min(n_shell, len(shell)), replace=False))
    pick2 = list(rng.choice(len(other), n_other, replace=False))
    return [shell[k] for k in pick] + [other[k] for k in pick2]


@pytest.mark.slow
def test_recall_against_brute_force(real_elsets):
    sub = _crowded_subset(real_elsets)
    assert len(sub) >= 3000
    tles = [(e.line1, e.line2) for e in sub]
    span = 1800
    jd, fr = jd_fr_utc(START)
    ref = brute_force_events(tles, float(jd), float(fr), span, 5.0)
    # Docked or formation-flying pairs (relative speed below 10 m/s) have no well-defined
    # TCA: their distance is flat to the metre; they are reported but not scored here.
    ref = [r for r in ref if r[4] > 0.01]
    assert len(ref) >= 5, "the subset should hold some close approaches"
    res = screen(tles, START, span, ScreeningConfig(threshold_km=5.0), workers=1)
    ev = res.events
    found = 0
    for i, j, tca, miss, _ in ref:
        m = (ev["i"] == i) & (ev["j"] == j) & (np.abs(ev["tca_s"] - tca) < 1.0)
        assert m.any(), f"missed event {i}-{j} at {tca:.3f} s, miss {miss:.4f} km"
        k = int(np.flatnonzero(m)[0])
        assert abs(ev["tca_s"][k] - tca) < ONE_MS
        assert abs(ev["miss_km"][k] - miss) < ONE_METER_KM
        found += 1
    assert found == len(ref)


def _small_catalog(real_elsets, n=600, seed=5):
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(real_elsets), n, replace=False)
    return [(real_elsets[k].line1, real_elsets[k].line2) for k in pick]


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_numba_and_numpy_backends_give_identical_events(real_elsets):
    tles = _small_catalog(real_elsets)
    kw = dict(workers=1)
    a = screen(tles, START, 6 * 3600, ScreeningConfig(threshold_km=50.0, backend="numba"), **kw)
    b = screen(tles, START, 6 * 3600, ScreeningConfig(threshold_km=50.0, backend="numpy"), **kw)
    assert a.n_events > 10
    assert a.candidates == b.candidates
    for key in ("i", "j"):
        np.testing.assert_array_equal(a.events[key], b.events[key])
    # The two kernels round differently (operation order): same events to 1e-9.
    np.testing.assert_allclose(a.events["tca_s"], b.events["tca_s"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(a.events["miss_km"], b.events["miss_km"], rtol=0, atol=1e-9)


def test_blocks_and_processes_do_not_change_results(real_elsets):
    tles = _small_catalog(real_elsets)
    one = screen(
        tles, START, 6 * 3600, ScreeningConfig(threshold_km=50.0, block_s=6 * 3600), workers=1
    )
    many = screen(
        tles, START, 6 * 3600, ScreeningConfig(threshold_km=50.0, block_s=3600), workers=2
    )
    assert one.n_events > 10
    for key in ("i", "j"):
        np.testing.assert_array_equal(one.events[key], many.events[key])
    np.testing.assert_allclose(one.events["tca_s"], many.events["tca_s"], atol=1e-6)
    np.testing.assert_allclose(one.events["miss_km"], many.events["miss_km"], atol=1e-9)


def test_repeated_encounters_of_one_pair_are_separate_events(real_elsets):
    tles = _small_catalog(real_elsets)
    res = screen(tles, START, 24 * 3600, ScreeningConfig(threshold_km=200.0), workers=2)
    ev = res.events
    pairs, counts = np.unique(np.stack([ev["i"], ev["j"]], 1), axis=0, return_counts=True)
    assert counts.max() >= 2
    # Separate events of one pair are distinct minima, not duplicates of one.
    for (i, j), c in zip(pairs, counts, strict=True):
        if c > 1:
            t = np.sort(ev["tca_s"][(ev["i"] == i) & (ev["j"] == j)])
            assert np.diff(t).min() > 60.0


def test_primaries_mode_matches_all_vs_all(real_elsets):
    tles = _small_catalog(real_elsets)
    cfg = ScreeningConfig(threshold_km=100.0)
    full = screen(tles, START, 6 * 3600, cfg, workers=1)
    prim = [int(full.events["i"][0]), int(full.events["j"][-1]), 7]
    one = screen(tles, START, 6 * 3600, cfg, primaries=prim, workers=1)
    assert one.pairs_screened == 3 * (len(tles) - 3) + 3
    sel = np.isin(full.events["i"], prim) | np.isin(full.events["j"], prim)
    got = {
        (min(a, b), max(a, b), round(t, 3))
        for a, b, t in zip(one.events["i"], one.events["j"], one.events["tca_s"], strict=True)
    }
    want = {
        (a, b, round(t, 3))
        for a, b, t in zip(
            full.events["i"][sel], full.events["j"][sel], full.events["tca_s"][sel], strict=True
        )
    }
    assert got == want
    # In primaries mode the primary is always the first object of the event.
    assert np.isin(one.events["i"], prim).all()


def test_rtn_ellipsoid_is_a_subset_of_its_bounding_sphere(real_elsets):
    tles = _small_catalog(real_elsets)
    sphere = screen(tles, START, 6 * 3600, ScreeningConfig(threshold_km=100.0), workers=1)
    ell = screen(
        tles, START, 6 * 3600, ScreeningConfig(ellipsoid_rtn_km=(20.0, 100.0, 20.0)), workers=1
    )
    assert 0 < ell.n_events < sphere.n_events
    rtn = ell.events["miss_rtn_km"]
    assert (np.sum((rtn / [20.0, 100.0, 20.0]) ** 2, axis=1) <= 1 + 1e-12).all()


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="positive"):
        screen([], START, 3600, ScreeningConfig(threshold_km=-1))
    with pytest.raises(ValueError, match="7 days"):
        screen([], START, 8 * 86400)


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results(real_elsets):
    distributed = pytest.importorskip("distributed")
    from spacerange.conjunction.cluster import local_cluster

    tles = _small_catalog(real_elsets)
    cfg = ScreeningConfig(threshold_km=50.0, block_s=2 * 3600)
    local = screen(tles, START, 6 * 3600, cfg, workers=1)
    with local_cluster(2) as cluster, distributed.Client(cluster) as client:
        # The screening workers' settings reached the worker processes.
        trim = client.run(lambda: __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_"))
        profile = client.run(
            lambda: __import__("dask").config.get("distributed.worker.profile.enabled")
        )
        assert len(trim) == 2 and set(trim.values()) == {None}
        assert set(profile.values()) == {False}
        remote = screen(tles, START, 6 * 3600, cfg, scheduler=cluster.scheduler_address)
    assert local.n_events > 10
    for key in ("i", "j", "tca_s", "miss_km"):
        np.testing.assert_array_equal(local.events[key], remote.events[key])


def test_primaries_against_the_rest_only(real_elsets):
    tles = _small_catalog(real_elsets)
    cfg = ScreeningConfig(threshold_km=200.0)
    prim = list(range(0, 60))
    both = screen(tles, START, 6 * 3600, cfg, primaries=prim, workers=1)
    rest = screen(
        tles,
        START,
        6 * 3600,
        ScreeningConfig(threshold_km=200.0, primary_pairs=False),
        primaries=prim,
        workers=1,
    )
    inner = np.isin(both.events["j"], prim)
    assert inner.any() and not np.isin(rest.events["j"], prim).any()
    np.testing.assert_array_equal(rest.events["j"], both.events["j"][~inner])
    assert rest.pairs_screened == 60 * (len(tles) - 60)


@pytest.mark.skipif(not HAVE_NUMBA, reason="compares the compiled path with numpy's")
def test_compiled_newton_on_the_interpolant_equals_numpy(monkeypatch):
    """The refinement's first stage (Newton on the Hermite interpolants), compiled and
    numpy, on crossing circular orbits: the same TCA to 1e-9 s, and that TCA is the true
    crossing (analytic, within 1 ms: the interpolant is not the orbit)."""
    from spacerange.conjunction import screening as scr

    mu, r_km = 398600.4418, 6878.0
    n_rad_s = np.sqrt(mu / r_km**3)
    t_nodes = np.arange(0.0, 3600.0 + 1, 120.0)
    rng = np.random.default_rng(5)
    incl = rng.uniform(0.3, 1.4, 40)
    tx = rng.uniform(600.0, 3000.0, 40)  # when each pair meets
    # Object 2k on the equator, 2k+1 in a plane of inclination incl[k]; both at the
    # ascending node (on the x axis) at time tx[k].
    P = np.empty((80, len(t_nodes), 3))
    V = np.empty_like(P)
    for k in range(40):
        ph = n_rad_s * (t_nodes - tx[k])
        for o, inc in ((2 * k, 0.0), (2 * k + 1, incl[k])):
            c, s = np.cos(ph), np.sin(ph)
            P[o] = r_km * np.stack([c, s * np.cos(inc), s * np.sin(inc)], axis=1)
            V[o] = r_km * n_rad_s * np.stack([-s, c * np.cos(inc), c * np.sin(inc)], axis=1)
    PT = np.ascontiguousarray(np.swapaxes(P, 0, 1))
    VT = np.ascontiguousarray(np.swapaxes(V, 0, 1))
    Pv, Vv = np.swapaxes(PT, 0, 1), np.swapaxes(VT, 0, 1)
    dt = 20.0
    ci, cj = np.arange(0, 80, 2), np.arange(1, 80, 2)
    ck = np.floor(tx / dt).astype(np.int64)
    ctau = np.zeros(40)
    lo, hi = ck * dt, (ck + 1) * dt
    t_c = scr._newton_on_interpolant(Pv, Vv, 120.0, dt, ci, cj, ck, ctau, lo, hi)
    monkeypatch.setattr(scr, "HAVE_NUMBA", False)
    t_np = scr._newton_on_interpolant(Pv, Vv, 120.0, dt, ci, cj, ck, ctau, lo, hi)
    np.testing.assert_allclose(t_c, t_np, rtol=0, atol=1e-9)
    np.testing.assert_allclose(t_c, tx, rtol=0, atol=1e-3)


def test_the_catalog_blob_for_a_cluster_gives_back_the_same_pairs():
    """A Dask cluster receives the catalog as one buffer; the workers' pairs are the
    caller's, line for line (padding and non-ASCII object names in comments included)."""
    from spacerange.conjunction.screening import _tle_blob, _tle_pairs

    tles = [("1 25544U 98067A   23281.5  ", "2 25544  51.6416 247.4627 é"),
            ("1 00005U", "2 00005  ")]  # fmt: skip
    assert _tle_pairs(_tle_blob(tles)) == tles
    assert _tle_pairs(_tle_blob([])) == []
