"""Docked and formation-flying objects are associations, not conjunctions (issue 17 item 1).

Real case: the ISS with its docked vehicles on the 2023-10-09 Space-Track catalog (Nauka
49044, Progress MS-24 56740, Dragon 57488, Soyuz MS-24 57691, ...), which before filled 276 of
the 3-day events at a fraction of a m/s, one per orbit.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spacerange.catalog.tle import alpha5_decode
from spacerange.cli.app import app
from spacerange.conjunction.associations import find_associations

ISS = 25544
NAUKA = 49044


@pytest.fixture(scope="module")
def spacetrack_3le(shared_data):
    return shared_data / "catalog" / "spacetrack_3le_full_20231009.txt"


def test_rules_on_event_columns():
    # pair (1,2): slow, every orbit -> persistent; (1,3): slow once, same launch;
    # (1,4): slow once, nothing in common -> stays a conjunction (a genuine slow encounter);
    # (1,5): fast -> conjunction however often; (1,6): slow once, on the user's list
    a = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    b = np.array([2, 2, 2, 3, 4, 5, 5, 5, 6, 2])
    miss = np.array([0.05, 0.06, 0.05, 0.3, 0.2, 1.0, 2.0, 3.0, 0.1, 0.04])
    speed = np.array([3e-4, 3e-4, 3e-4, 2e-3, 1e-3, 14.0, 14.0, 14.0, 5e-3, 3e-4])
    cospar = {1: "2020-001A", 2: "2019-010A", 3: "2020-001C", 4: "2001-001A", 5: "x", 6: "y"}
    mask, assoc = find_associations(a, b, miss, speed, cospar, known_pairs=[(6, 1)])
    assert [(x.norad_id_1, x.norad_id_2) for x in assoc] == [(1, 2), (1, 3), (1, 6)]
    assert mask.tolist() == [True, True, True, True, False, False, False, False, True, True]
    by = {(x.norad_id_1, x.norad_id_2): x for x in assoc}
    assert by[(1, 2)].events == 4 and "persistent" in by[(1, 2)].reason
    assert by[(1, 2)].miss_min_m == 40.0 and by[(1, 2)].miss_max_m == 60.0
    assert "same launch 2020-001" in by[(1, 3)].reason
    assert "listed" in by[(1, 6)].reason


def _iss_neighbourhood(spacetrack_3le, tmp_path):
    """The ISS, its docked vehicles and 400 other objects of the real 2023 catalog."""
    lines = spacetrack_3le.read_text().splitlines()
    triples = [lines[k : k + 3] for k in range(0, len(lines) - 2, 3)]
    wanted = {ISS, NAUKA, 56740, 57488, 57691, 57697, 57862}
    keep = [t for t in triples if alpha5_decode(t[1][2:7]) in wanted]
    keep += triples[:400]
    path = tmp_path / "iss.3le"
    path.write_text("\n".join(ln for t in keep for ln in t) + "\n")
    return path


def test_screen_reports_docked_vehicles_as_associations(spacetrack_3le, tmp_path):
    cat = _iss_neighbourhood(spacetrack_3le, tmp_path)
    args = ["screen", "--catalog", str(cat), "--start", "2023-10-09T00:00Z", "--span", "1d"]
    res = CliRunner().invoke(app, [*args, "--primary", str(ISS), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assoc = {(a["norad_id_1"], a["norad_id_2"]): a for a in out["associations"]}
    assert (ISS, NAUKA) in assoc and len(assoc) >= 4
    for a in assoc.values():
        assert a["events"] >= 10 and a["relative_speed_max_m_s"] < 10.0
        assert "persistent" in a["reason"]
    # none of the remaining conjunction events involves an associated vehicle
    assert out["events"] < 10 and out["events_pc_above_1e-4"] == 0


def test_screen_takes_hbr_from_the_store_and_says_so(spacetrack_3le, shared_data, tmp_path):
    """Issue 17 item 5: the CARA table imported into the store is used without --hbr-table,
    every event states its HBR source, and the report footer names it."""
    from spacerange.conjunction.hbr import load_cara_hbr_table

    cara = shared_data / "catalog" / "CARA_HBR_Mass_Estimates_20260601.csv"
    db = tmp_path / "sr.db"
    runner = CliRunner()
    cat = _iss_neighbourhood(spacetrack_3le, tmp_path)
    res = runner.invoke(app, ["catalog", "import", str(cat), str(cara), "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    events, report = tmp_path / "ev.json", tmp_path / "report.txt"
    args = ["screen", "--db", str(db), "--start", "2023-10-09T00:00Z", "--span", "1d"]
    args += ["--threshold", "20km", "--out", str(events), "--report", str(report), "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    rows = json.loads(events.read_text())["events"]
    assert rows and all(r["hbr_source"] for r in rows)
    est = load_cara_hbr_table(cara)
    used = [r for r in rows if r["hbr_source"] == "catalog-db+catalog-db"]
    assert used, "no event with both radii from the store"
    for r in used:
        want = est[r["norad_id_1"]][0] + est[r["norad_id_2"]][0]
        assert r["hbr_m"] == pytest.approx(want)
    assert "the catalog database's estimates" in report.read_text()
