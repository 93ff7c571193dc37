"""Protected-asset screening: the radial pre-filter changes nothing but the work."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.catalog.tle import parse_tle_file
from spacerange.conjunction.protected import radial_band_km, screen_protected
from spacerange.conjunction.screening import ScreeningConfig, screen
from spacerange.timescales import parse_utc

START = parse_utc("2023-10-09T00:00:00Z")


@pytest.fixture(scope="module")
def tles(shared_data):
    elsets, _ = parse_tle_file(shared_data / "catalog" / "spacetrack_3le_full_20231009.txt")
    rng = np.random.default_rng(11)
    leo = [e for e in elsets if 450 < e.perigee_alt_km and e.apogee_alt_km < 900]
    pick = rng.choice(len(leo), 500, replace=False)
    other = [e for e in elsets if e.perigee_alt_km > 1500][:300]
    return [(leo[k].line1, leo[k].line2) for k in pick] + [(e.line1, e.line2) for e in other]


def _set(res):
    ev = res.events
    return {(int(a), int(b), round(float(t), 3), round(float(m), 6))
            for a, b, t, m in zip(ev["i"], ev["j"], ev["tca_s"], ev["miss_km"], strict=True)}  # fmt: skip


def test_same_events_as_screen_with_primaries(tles):
    cfg = ScreeningConfig(threshold_km=60.0)
    prim = [3, 17, 520]  # two LEO assets and one high one
    full = screen(tles, START, 6 * 3600, cfg, primaries=prim, workers=1)
    fast = screen_protected(tles, prim, START, 6 * 3600, cfg)
    assert full.n_events >= 3  # the comparison must compare something
    assert _set(fast) == _set(full)
    assert fast.n_objects < len(tles)  # it left out objects that cannot meet the assets
    np.testing.assert_allclose(fast.events["r2_teme_km"], full.events["r2_teme_km"], atol=1e-9)


def test_radial_band_and_degenerate_inputs(tles):
    lo, hi = radial_band_km(tles[:5])
    assert np.all(lo <= hi) and np.all(lo > 6378.0 - 200)
    none = screen_protected(tles, [], START, 3600.0)
    assert none.n_events == 0 and none.pairs_screened == 0
    with pytest.raises(ValueError, match="primary"):
        screen_protected(tles, [len(tles)], START, 3600.0)
