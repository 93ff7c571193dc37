"""The exercise's closest approach (``rulefuncs._closest``, behind ``TeamPort.
closest_approach``, the miss-distance rules and the action evidence) on a straight-line
encounter whose answer is known in closed form: miss and TCA, not the 1 s grid's."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.exercise.rulefuncs import _closest, _grid

T0 = np.datetime64("2026-03-09T09:00:00", "us")
TCA = T0 + np.timedelta64(3467_305_000, "us")  # 09:57:47.305, between grid points


@pytest.mark.parametrize(("speed_km_s", "miss_km"), [(7.09, 0.300), (14.6, 0.050), (0.5, 2.0)])
def test_a_fast_encounter_is_resolved_between_grid_points(speed_km_s, miss_km):
    # b at rest at the origin; a flies along x at speed, offset miss_km along y: the
    # closest approach is exactly miss_km at TCA
    def fn(oid, ts):
        dt = (ts - TCA) / np.timedelta64(1, "s")
        n = dt.size
        if oid == "b":
            return np.zeros((n, 3)), np.zeros((n, 3))
        r = np.stack([speed_km_s * dt, np.full(n, miss_km), np.zeros(n)], axis=-1)
        return r, np.tile([speed_km_s, 0.0, 0.0], (n, 1))

    tca, miss, _ = _closest(fn, "a", "b", _grid(T0, T0 + np.timedelta64(2, "h"), 30.0))
    assert miss == pytest.approx(miss_km, abs=1e-6)
    assert abs((tca - TCA) / np.timedelta64(1, "us")) <= 1.0


def test_the_port_answers_a_repeated_question_once_per_instant_and_estimate(tmp_path):
    """``TeamPort.closest_approach`` on the engine: asked again in the same instant on the
    same estimates, it returns the first answer without propagating again; a new track
    of either object, a burn of the asset or a later instant is computed afresh."""
    from pathlib import Path

    from spacerange.exercise.engine import Exercise
    from spacerange.exercise.port import TeamPortImpl

    training = Path(__file__).resolve().parents[2] / "scenarios" / "training"
    ex = Exercise.create(training / "high_pc_conjunction.yaml", tmp_path / "run",
                         autopilots={"blue": "passive"})  # fmt: skip
    try:
        ex.step(3 * 3600.0)
        pics = ex.pictures
        team = "ardenia-ops"
        calls = []
        predict = pics.predict
        pics.predict = lambda tm, oid, ts: calls.append(oid) or predict(tm, oid, ts)
        port = TeamPortImpl(ex, team)
        first = port.closest_approach("ARD-EO-1", "DEB-4411", 24.0)
        assert first is not None and len(calls) > 0
        n = len(calls)
        assert port.closest_approach("ARD-EO-1", "DEB-4411", 24.0) == first
        assert len(calls) == n  # answered from the instant's memo
        # a new estimate of the debris (a provider's state): computed again, and the
        # same answer as a port that never asked
        pics.deliver(team, ["DEB-4411"], ex.clock.now, sigma_km=0.0005)
        again = port.closest_approach("ARD-EO-1", "DEB-4411", 24.0)
        assert len(calls) > n
        assert again == TeamPortImpl(ex, team).closest_approach("ARD-EO-1", "DEB-4411", 24.0)
        # a burn of the asset (a new arc of its truth, which is its own estimate)
        n = len(calls)
        ex.world.burn("ARD-EO-1", (0.0, 0.5, 0.0), ex.clock.now)
        burned = port.closest_approach("ARD-EO-1", "DEB-4411", 24.0)
        assert len(calls) > n
        assert burned == TeamPortImpl(ex, team).closest_approach("ARD-EO-1", "DEB-4411", 24.0)
        # another instant
        n = len(calls)
        ex.step(600.0)
        port.closest_approach("ARD-EO-1", "DEB-4411", 24.0)
        assert len(calls) > n
    finally:
        ex.close()


def test_the_pruned_grid_finds_every_pairs_closest_grid_point(shared_data):
    """``_distances`` evaluates a long grid coarsely and the points between only where the
    pair could come closer (the relative-speed bound): on 240 pairs of real element sets
    (LEO, GEO, eccentric, 72 h at 30 s) its minimum and its first index are those of
    every point's distance, and most points are skipped."""
    from sgp4.api import Satrec

    from spacerange.catalog.tle import parse_tle_file
    from spacerange.exercise.rulefuncs import _distances
    from spacerange.exercise.world import _sgp4_one

    elsets, _ = parse_tle_file(shared_data / "catalog" / "spacetrack_3le_full_20231009.txt")
    rng = np.random.default_rng(11)
    picks = []
    for cls in (lambda e: e.apogee_alt_km < 2000, lambda e: 35000 < e.perigee_alt_km < 36500,
                lambda e: e.perigee_alt_km < 2000 and e.apogee_alt_km > 20000):  # fmt: skip
        pool = [e for e in elsets if cls(e)]
        picks += [pool[k] for k in rng.choice(len(pool), 160, replace=False)]
    sats = {str(k): Satrec.twoline2rv(e.line1, e.line2) for k, e in enumerate(picks)}
    start = np.datetime64("2023-10-09T00:00:00", "us")
    ts = _grid(start, start + np.timedelta64(72, "h"), 30.0)

    def fn(oid, t):
        r, v, _ = _sgp4_one(sats[oid], t)
        return r, v

    skipped = 0
    pairs = rng.choice(len(picks), (240, 2))
    for a, b in pairs.tolist():
        a, b = str(a), str(b)
        full = np.linalg.norm(fn(a, ts)[0] - fn(b, ts)[0], axis=-1)
        got = _distances(fn, a, b, ts)
        if not np.isfinite(full).any():
            assert not np.isfinite(got).any()
            continue
        assert np.nanmin(got) == np.nanmin(full)
        assert int(np.nanargmin(got)) == int(np.nanargmin(full))
        ok = np.isfinite(got)
        np.testing.assert_array_equal(got[ok], full[ok])
        skipped += int(np.sum(~ok & np.isfinite(full)))
    assert skipped > 0.5 * len(pairs) * ts.size
