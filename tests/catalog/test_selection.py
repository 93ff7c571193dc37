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
