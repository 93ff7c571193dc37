"""Small SGP4 batches (a screening block of a few changed tracks) run on one thread; the
states are python-sgp4's (Vallado's reference code) either way."""

import numpy as np
from sgp4.api import Satrec, SatrecArray

from spacerange.propagation import sgp4_driver, sgp4_numba

TLES = [
    ("1 25544U 98067A   26063.50000000  .00016717  00000-0  10270-3 0  9993",
     "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"),
    ("1 28884U 05041A   26063.12345678 -.00000136  00000-0  00000-0 0  9990",
     "2 28884   0.0522 265.0442 0002389 292.0497 146.4361  1.00272281 74105"),
]  # fmt: skip


def _reference(tles, jd, fr):
    arr = SatrecArray([Satrec.twoline2rv(a, b) for a, b in tles])
    return arr.sgp4(jd, fr)


def test_small_batch_runs_on_one_thread_and_matches_python_sgp4(monkeypatch):
    def parallel(*_a, **_k):
        raise AssertionError("the thread pool for a small batch")

    monkeypatch.setattr(sgp4_driver, "propagate_rows", parallel)
    tles = TLES * 3
    jd = np.full(121, 2461103.5)
    fr = np.arange(121) * 120.0 / 86400.0
    assert len(tles) * jd.size < sgp4_numba.SERIAL_BELOW
    table, ie = sgp4_numba.table_for_tles(tles)
    e, r, v = sgp4_numba.propagate_table(table, ie, jd, fr)
    e0, r0, v0 = _reference(tles, jd, fr)
    assert np.array_equal(e, e0)
    np.testing.assert_allclose(r, r0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(v, v0, rtol=0, atol=1e-9)


def test_large_batch_still_uses_the_thread_pool(monkeypatch):
    seen = []
    real = sgp4_driver.propagate_rows

    def parallel(*a, **k):
        seen.append(1)
        return real(*a, **k)

    monkeypatch.setattr(sgp4_driver, "propagate_rows", parallel)
    monkeypatch.setattr(sgp4_numba, "_FORKED_FROM_THREADED", False)
    tles = TLES * 150
    jd = np.full(121, 2461103.5)
    fr = np.arange(121) * 120.0 / 86400.0
    assert len(tles) * jd.size >= sgp4_numba.SERIAL_BELOW
    table, ie = sgp4_numba.table_for_tles(tles)
    _, r, _ = sgp4_numba.propagate_table(table, ie, jd, fr)
    assert seen == [1]
    _, r_small, _ = sgp4_numba.propagate_table(table[:2], ie[:2], jd, fr)
    assert np.array_equal(r[:2], r_small)


def test_a_forked_child_of_a_threaded_process_propagates_on_one_thread():
    """After any parallel kernel ran here (numba's thread pool started), a forked worker
    (the screening's and the batch propagator's process pools) must not start the pool
    again: with GNU OpenMP that aborts the child (BrokenProcessPool before the fix, when
    the pool had been started by a kernel other than SGP4's own batch path)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    tles = TLES * 150
    jd = np.full(121, 2461103.5)
    fr = np.arange(121) * 120.0 / 86400.0
    table, ie = sgp4_numba.table_for_tles(tles)
    # start the thread pool through the driver directly (as another kernel would)
    e, r, v = (np.empty((len(tles), 121), np.uint8), np.empty((len(tles), 121, 3)),
               np.empty((len(tles), 121, 3)))  # fmt: skip
    kinds = sgp4_driver.row_kinds(table, ie, True)
    sgp4_driver.propagate_rows(table, ie, np.arange(len(tles), dtype=np.int64), kinds,
                               jd, fr, False, r, v, e)  # fmt: skip
    with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
        r_child = pool.submit(_child_propagates, table, ie, jd, fr).result(timeout=120)
    assert np.array_equal(r_child, r)


def _child_propagates(table, ie, jd, fr):
    assert sgp4_numba._FORKED_FROM_THREADED
    return sgp4_numba.propagate_table(table, ie, jd, fr)[1]


def test_one_thread_block_keeps_a_large_batch_off_the_thread_pool(monkeypatch):
    """A screening block in a pool or Dask worker (one task per core already) propagates
    on its own thread, and leaving the block restores the thread pool."""

    def parallel(*_a, **_k):
        raise AssertionError("the thread pool inside one_thread()")

    monkeypatch.setattr(sgp4_numba, "_FORKED_FROM_THREADED", False)
    tles = TLES * 150
    jd = np.full(121, 2461103.5)
    fr = np.arange(121) * 120.0 / 86400.0
    table, ie = sgp4_numba.table_for_tles(tles)
    real = sgp4_driver.propagate_rows
    monkeypatch.setattr(sgp4_driver, "propagate_rows", parallel)
    with sgp4_numba.one_thread(), sgp4_numba.one_thread():
        _, r, _ = sgp4_numba.propagate_table(table, ie, jd, fr)
    seen = []

    def counted(*a, **k):
        seen.append(1)
        return real(*a, **k)

    monkeypatch.setattr(sgp4_driver, "propagate_rows", counted)
    _, r_pool, _ = sgp4_numba.propagate_table(table, ie, jd, fr)
    assert seen == [1]
    assert np.array_equal(r, r_pool)
