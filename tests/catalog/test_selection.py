"""Element-set selection by epoch (issue 17 item 2): the set nearest the window, and an age
limit per regime, instead of the newest set propagated back two years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spacerange.catalog import SqliteCatalogStore, import_files
from spacerange.catalog.importer import read_files
from spacerange.catalog.selection import nearest_to_window, select_for_window

T2023 = datetime(2023, 10, 9, tzinfo=UTC)
T2025 = datetime(2025, 9, 27, 18, tzinfo=UTC)


@pytest.fixture(scope="module")
def both_catalogs(spacetrack_3le, celestrak_active):
    return [spacetrack_3le, celestrak_active]


def test_store_picks_the_set_nearest_the_window(both_catalogs):
    with SqliteCatalogStore() as s:
        import_files(both_catalogs, s)
        assert s.latest_element_sets([25544])[0].epoch.year == 2025
        at_2023 = {
            e.norad_id: e for e in s.element_sets_for_window(T2023, T2023 + timedelta(days=3))
        }
        at_2025 = {
            e.norad_id: e for e in s.element_sets_for_window(T2025, T2025 + timedelta(days=1))
        }
    assert abs(at_2023[25544].epoch - T2023) < timedelta(days=2)
    assert at_2025[25544].epoch.year == 2025
    # the in-memory selection agrees with the SQL ranking
    elsets, _, _ = read_files(both_catalogs)
    mem = {e.norad_id: e for e in nearest_to_window(elsets, T2023, T2023 + timedelta(days=3))}
    assert mem.keys() == at_2023.keys()
    assert all(mem[n].epoch == at_2023[n].epoch for n in list(mem)[::37])


def test_stale_sets_are_left_out_and_reported(both_catalogs):
    elsets, _, _ = read_files([both_catalogs[1]])  # 2025 sets only
    iss = [e for e in elsets if e.norad_id == 25544]
    sel = select_for_window(iss, T2023, T2023 + timedelta(days=3))
    assert sel.kept == [] and len(sel.stale) == 1
    st = sel.stale[0].as_dict()
    assert st["norad_id"] == 25544 and st["regime"] == "LEO" and st["age_days"] > 700
    assert st["max_age_days"] == 10.0 and "limit" in st["reason"]
    # the same set is fine for its own epoch, and an explicit infinite limit keeps it
    assert select_for_window(iss, T2025, T2025 + timedelta(days=1)).kept == iss
    assert select_for_window(iss, T2023, T2023, max_age_days=float("inf")).kept == iss


def test_screen_uses_the_set_of_the_window_and_refuses_a_stale_primary(
    spacetrack_3le, celestrak_active, tmp_path
):
    """The issue's case: the 2025 catalog imported on top of the 2023 one, screening at
    2023-10-09 with the ISS as primary (before: the 2025 set propagated back 718 days, 0
    events, no warning)."""
    import json

    from typer.testing import CliRunner

    from spacerange.catalog.tle import alpha5_decode
    from spacerange.cli.app import app

    lines = spacetrack_3le.read_text().splitlines()
    keep = [lines[k : k + 3] for k in range(0, 3 * 600, 3)]
    keep += [
        lines[k : k + 3]
        for k in range(0, len(lines) - 2, 3)
        if alpha5_decode(lines[k + 1][2:7]) in (25544, 49044)
    ]
    old = tmp_path / "old.3le"
    old.write_text("\n".join(ln for t in keep for ln in t) + "\n")
    others = tmp_path / "others.3le"  # the same without the ISS
    others.write_text(
        "\n".join(ln for t in keep if alpha5_decode(t[1][2:7]) != 25544 for ln in t) + "\n"
    )
    new_lines = celestrak_active.read_text().splitlines()
    k = next(i for i in range(0, len(new_lines), 3) if new_lines[i + 1][2:7] == "25544")
    new = tmp_path / "new.tle"
    new.write_text("\n".join(new_lines[k : k + 3]) + "\n")
    runner = CliRunner()
    both, only_new = tmp_path / "both.db", tmp_path / "new.db"
    assert (
        runner.invoke(app, ["catalog", "import", str(old), str(new), "--db", str(both)]).exit_code
        == 0
    )
    assert (
        runner.invoke(
            app, ["catalog", "import", str(others), str(new), "--db", str(only_new)]
        ).exit_code
        == 0
    )
    args = ["screen", "--start", "2023-10-09T00:00Z", "--span", "1d", "--primary", "25544"]
    res = runner.invoke(app, [*args, "--db", str(both), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["elset_selection"]["rule"].startswith("per object, the element set nearest")
    assert out["elset_selection"]["max_age_days_by_regime"]["LEO"] == 10.0
    assert out["associations"], "the 2023 ISS set meets its docked module Nauka"
    res = runner.invoke(app, [*args, "--db", str(only_new), "--json"])
    assert res.exit_code != 0
    err = json.loads(res.stdout.strip().splitlines()[-1])["error"]
    assert "25544" in err and "limit 10 d for LEO" in err
