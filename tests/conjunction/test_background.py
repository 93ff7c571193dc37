"""Screening in the background worker gives the inline events bit for bit, and a worker that
dies costs nothing but the overlap."""

from __future__ import annotations

import math
import os
import signal

import numpy as np
import pytest

from spacerange.catalog.tle import parse_tle_file
from spacerange.conjunction.background import BackgroundScreening, InlineScreening
from spacerange.conjunction.protected import screen_protected
from spacerange.conjunction.screening import ScreeningConfig
from spacerange.timescales import parse_utc

START = parse_utc("2023-10-09T00:00:00Z")
CFG = ScreeningConfig(threshold_km=40.0, primary_pairs=False)
PRIM = [0, 1, 2]


@pytest.fixture(scope="module")
def tles(shared_data):
    elsets, _ = parse_tle_file(shared_data / "catalog" / "spacetrack_3le_full_20231009.txt")
    leo = [e for e in elsets if 450 < e.perigee_alt_km and e.apogee_alt_km < 900]
    pick = np.random.default_rng(5).choice(len(leo), 1500, replace=False)
    return [(leo[k].line1, leo[k].line2) for k in pick]


def _same(a, b) -> None:
    assert a.events.keys() == b.events.keys()
    for k, v in a.events.items():
        np.testing.assert_array_equal(v, b.events[k], err_msg=k)  # bit for bit, NaN too
    assert (a.n_objects, a.pairs_screened) == (b.n_objects, b.pairs_screened)


def test_the_worker_gives_the_inline_events_bit_for_bit(tles):
    ref = screen_protected(tles, PRIM, START, 12 * 3600.0, CFG)
    assert ref.n_events >= 5  # the comparison compares something
    bg = BackgroundScreening()
    try:
        jobs = [bg.submit(tles, PRIM, START, 12 * 3600.0, CFG),
                bg.submit(tles[:700], [1], START, 6 * 3600.0, CFG)]  # fmt: skip
        _same(jobs[0].result(), ref)
        _same(jobs[1].result(), screen_protected(tles[:700], [1], START, 6 * 3600.0, CFG))
        assert bg.n_in_worker == 2 and bg.broken is None
        # the job's own error comes back from result(), as from the inline call
        bad = bg.submit(tles, [len(tles)], START, 3600.0, CFG)
        with pytest.raises(ValueError, match="primary index out of range"):
            bad.result()
        with pytest.raises(ValueError, match="primary index out of range"):
            InlineScreening().submit(tles, [len(tles)], START, 3600.0, CFG).result()
        assert bg.broken is None  # an error in a job is not a broken worker
        # any other job of a module-level function: its value, or its error
        n = bg.n_in_worker
        assert bg.call(math.hypot, 3.0, 4.0).result() == 5.0
        with pytest.raises(ValueError, match="math domain error"):
            bg.call(math.sqrt, -1.0).result()
        assert bg.n_in_worker == n + 2 and bg.broken is None
        with pytest.raises(ValueError, match="math domain error"):
            InlineScreening().call(math.sqrt, -1.0).result()
    finally:
        bg.shutdown()


def test_a_dead_worker_falls_back_to_inline(tles):
    ref = screen_protected(tles, PRIM, START, 12 * 3600.0, CFG)
    bg = BackgroundScreening()
    try:
        bg.submit(tles[:50], [0], START, 600.0, CFG).result()  # the worker is up
        pids = list(bg._pool._processes)  # noqa: SLF001 - the test kills the real process
        assert len(pids) == 1
        os.kill(pids[0], signal.SIGKILL)
        # the pool notices the death at this submit or while the job waits: either way
        # the job is computed inline instead
        _same(bg.submit(tles, PRIM, START, 12 * 3600.0, CFG).result(), ref)
        assert bg.broken and "BrokenProcessPool" in bg.broken
        n = bg.n_in_worker
        _same(bg.submit(tles, PRIM, START, 12 * 3600.0, CFG).result(), ref)
        assert bg.n_in_worker == n  # later jobs run inline
    finally:
        bg.shutdown()
