"""Breakup trace-back on a simulated catalogued cloud (see ``sim_cloud.py``): NASA SBM
explosion fragments flown with SGP4 drag, re-fitted at staggered epochs 1-10 weeks later
with element-set errors and 25 % B* errors; the parent's last element set is from 7 h
before the event.  The truth is the parent's SGP4 position at the event epoch."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from sim_cloud import _kepler_state, _states_to_elements, simulate_cloud  # noqa: E402

from spacerange.events.breakup_trace import propose_parent, select_fragments, trace_pinch

EVENT = np.datetime64("2024-11-15T02:17:30", "us")


@pytest.fixture(scope="module")
def cloud():
    return simulate_cloud(EVENT, seed=4)


@pytest.fixture(scope="module")
def trace(cloud):
    parent, frags, _ = cloud
    return trace_pinch(frags, parent, EVENT + np.timedelta64(36, "h"), 3 * 86400.0)


def _unrelated(n=60, seed=11):
    """Objects in nearby but distinct orbits (other planes / altitudes), epoch = event."""
    rng = np.random.default_rng(seed)
    st = np.array([_kepler_state(6378.135 + rng.uniform(600, 950), rng.uniform(0, 0.01),
                                 np.radians(rng.uniform(70, 100)), np.radians(rng.uniform(0, 360)),
                                 rng.uniform(0, 6.28), rng.uniform(0, 6.28)) for _ in range(n)])  # fmt: skip
    us = int(EVENT.astype(np.int64))
    d, rem = divmod(us, 86_400_000_000)
    return _states_to_elements(st, (2440587.5 + d, rem / 86400e6), np.full(n, 1e-4),
                               first_norad_id=50000, name_prefix="OTHER", cospar_id="",
                               fit_iterations=3, reentry_perigee_alt_km=100.0).elsets  # fmt: skip


def test_trace_recovers_epoch_and_place(cloud, trace):
    _, frags, r_true = cloud
    dt_s = abs((trace.epoch_utc - EVENT) / np.timedelta64(1, "s"))
    assert dt_s < 300.0, f"epoch off by {dt_s:.0f} s"
    miss_km = float(np.linalg.norm(trace.r_teme_km - r_true))
    assert miss_km < 50.0, f"place off by {miss_km:.1f} km"
    assert trace.n_fragments == len(frags) and 0.5 * len(frags) < trace.n_used <= len(frags)


def test_candidates_report_the_revolution_ambiguity(trace):
    c = trace.candidates
    assert len(c) >= 3 and c[0][0] == trace.epoch_utc
    spreads = [s for _, s in c]
    assert spreads == sorted(spreads) and spreads[1] > spreads[0]
    revs = [(t - c[0][0]) / np.timedelta64(1, "s") / trace.period_s for t, _ in c[1:]]
    # the runners-up are the neighbouring revolutions (whole periods away)
    assert all(abs(r - round(r)) < 0.05 and round(r) != 0 for r in revs)
    d = trace.as_dict()
    assert {"epoch_utc", "lat_deg", "lon_deg", "alt_km", "n_fragments", "n_used",
            "spread_km", "candidates"} <= d.keys()  # fmt: skip


def test_selection_at_a_common_epoch(cloud):
    parent, frags, _ = cloud
    other = _unrelated()
    idx = select_fragments(parent, list(frags) + list(other))
    assert np.all(idx < len(frags)), "an unrelated object was kept"
    assert idx.size >= 0.8 * len(frags)
    # regression: comparing planes at each set's own epoch loses the late fragments
    from spacerange.events.breakup_detection import _plane_normal

    ang = [np.degrees(np.arccos(np.clip(_plane_normal(f) @ _plane_normal(parent), -1, 1)))
           for f in frags]  # fmt: skip
    assert np.mean(np.array(ang) < 3.0) < 0.5


def test_parent_proposed_from_a_catalog(cloud):
    parent, frags, _ = cloud
    other = _unrelated()
    # the catalogue also holds fragments not given to the trace
    catalog = list(other) + list(frags[::5]) + [parent]
    given = [f for k, f in enumerate(frags) if k % 5]
    props = propose_parent(given, catalog, EVENT + np.timedelta64(36, "h"), 3 * 86400.0)
    assert props and props[0]["norad_id"] == parent.norad_id


def _write(path, elsets):
    path.write_text("".join(f"{e.name}\n{e.line1}\n{e.line2}\n" for e in elsets))
    return str(path)


def _cli(args):
    import json

    from typer.testing import CliRunner

    from spacerange.cli.app import app

    res = CliRunner().invoke(app, [*args, "--json"])
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stdout
    return res.exit_code, json.loads(lines[0])


def test_cli_trace_with_parent_and_from_catalog(cloud, tmp_path):
    parent, frags, r_true = cloud
    fr = _write(tmp_path / "frags.tle", frags)
    pa = _write(tmp_path / "parent.tle", [parent])
    before = "2024-11-16T14:17:30Z"
    code, d = _cli(["breakup", "trace", fr, "--parent", pa, "--before", before,
                    "--window", "3d"])  # fmt: skip
    assert code == 0, d
    t = np.datetime64(d["epoch_utc"].rstrip("Z"), "us")
    assert abs((t - EVENT) / np.timedelta64(1, "s")) < 300
    assert d["n_fragments"] == len(frags) and d["candidates"][0]["epoch_utc"] == d["epoch_utc"]
    assert -90 <= d["lat_deg"] <= 90 and 700 < d["alt_km"] < 850
    cat = _write(tmp_path / "cat.tle", [*_unrelated(), parent])
    code, d2 = _cli(["breakup", "trace", fr, "--catalog", cat, "--before", before,
                     "--window", "3d"])  # fmt: skip
    assert code == 0, d2
    assert d2["parent"]["norad_id"] == parent.norad_id and d2["epoch_utc"] == d["epoch_utc"]
    assert d2["proposed_parents"][0]["norad_id"] == parent.norad_id
    # the same from a catalog database, with plane-based fragment selection
    db = str(tmp_path / "cat.sqlite")
    code, _ = _cli(["catalog", "import", cat, "--db", db])
    assert code == 0
    code, d3 = _cli(["breakup", "trace", fr, "--db", db, "--before", before, "--window", "3d",
                     "--select"])  # fmt: skip
    assert code == 0, d3
    assert d3["parent"]["norad_id"] == parent.norad_id and d3["n_used"] <= len(frags)
    t3 = np.datetime64(d3["epoch_utc"].rstrip("Z"), "us")
    assert abs((t3 - EVENT) / np.timedelta64(1, "s")) < 300
    code, d4 = _cli(["breakup", "trace", fr, "--parent", pa, "--before", "garbage"])
    assert code == 1 and "error" in d4


def test_cli_trace_errors_are_one_json_object(tmp_path):
    code, d = _cli(["breakup", "trace", str(tmp_path / "none.tle")])
    assert code == 1 and "no such file" in d["error"]
    frag = tmp_path / "f.tle"
    frag.write_text("")
    code, d = _cli(["breakup", "trace", str(frag), "--window", "nan"])
    assert code == 1 and "error" in d
