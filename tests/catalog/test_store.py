"""SQLite catalog store and the importer: history, idempotence, atomicity, metadata, queries."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from catalog_testutil import set_cols

from spacerange.catalog.importer import import_files
from spacerange.catalog.model import ObjectType, regime_of
from spacerange.catalog.store import SCHEMA_VERSION, SqliteCatalogStore
from spacerange.errors import ImportRejected


@pytest.fixture()
def head_file(tmp_path, head_3le_lines):
    p = tmp_path / "head.3le"
    p.write_text("\n".join(head_3le_lines) + "\n")
    return p


@pytest.fixture()
def corrupt_file(tmp_path, head_3le_lines):
    lines = list(head_3le_lines[:30])  # records 0..9
    lines[5] = lines[5][:68] + str((int(lines[5][68]) + 1) % 10)  # bad checksum, line 6
    lines[14] = set_cols(lines[14], 27, "00ab123")  # letters in eccentricity, line 15
    p = tmp_path / "corrupt.3le"
    p.write_text("\n".join(lines) + "\n")
    return p


def _snapshot(store):
    return (
        store.count_objects(with_elements=False),
        store.count_element_sets(),
        [(o.norad_id, o.owner, o.object_type) for o in store.list_objects(with_elements=False)],
    )


def test_schema_and_wal(tmp_path):
    path = tmp_path / "cat.db"
    with SqliteCatalogStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    con.close()
    with SqliteCatalogStore(path) as s:  # re-opening applies nothing twice
        assert s.schema_version == SCHEMA_VERSION


def test_import_reimport_is_noop_and_persists(tmp_path, head_file):
    db = tmp_path / "cat.db"
    with SqliteCatalogStore(db) as s:
        r = import_files([head_file], s)
        assert (r.imported, r.rejected, r.objects, r.duplicates) == (300, 0, 300, 0)
        r2 = import_files([head_file], s)
        assert (r2.imported, r2.duplicates) == (0, 300)
        assert s.count_element_sets() == 300
    with SqliteCatalogStore(db) as s:
        assert s.count_objects() == 300


def test_history_keeps_every_epoch(tmp_path, head_3le_lines, head_file):
    # A later element set of the first object: epoch day + 1 (columns 21-32).
    name, l1, l2 = head_3le_lines[:3]
    day = float(l1[20:32]) + 1.0
    later = tmp_path / "later.3le"
    later.write_text("\n".join([name, set_cols(l1, 21, f"{day:012.8f}"), l2]) + "\n")
    norad = int(l1[2:7])
    with SqliteCatalogStore() as s:
        import_files([later], s)
        import_files([head_file], s)  # older set arrives second
        hist = s.history(norad)
        assert len(hist) == 2 and hist[0].epoch < hist[1].epoch
        assert s.latest_element_sets([norad])[0].line1 == set_cols(l1, 21, f"{day:012.8f}")
        assert len(s.latest_element_sets()) == 300
        assert s.history(norad, start=hist[1].epoch) == [hist[1]]


def test_rejects_reported_good_records_stored(corrupt_file):
    with SqliteCatalogStore() as s:
        r = import_files([corrupt_file], s)
        assert (r.imported, r.rejected) == (8, 2)
        assert [(x.file, x.line) for x in r.rejects] == [
            (str(corrupt_file), 6),
            (str(corrupt_file), 15),
        ]
        assert "checksum" in r.rejects[0].reason and "eccentricity" in r.rejects[1].reason
        assert s.count_element_sets() == 8


def test_strict_import_is_atomic(corrupt_file, head_file):
    with SqliteCatalogStore() as s:
        import_files([head_file], s)
        before = _snapshot(s)
        with pytest.raises(ImportRejected) as exc:
            import_files([head_file, corrupt_file], s, strict=True)
        assert len(exc.value.rejects) == 2
        assert _snapshot(s) == before


class _FailingStore(SqliteCatalogStore):
    """A store whose metadata step fails after element sets were written (same transaction)."""

    def apply_metadata(self, records):
        super().apply_metadata(records)
        raise RuntimeError("disk on fire")


def test_failed_import_leaves_store_unchanged(head_file, gcat_tsv, tmp_path):
    with _FailingStore(tmp_path / "f.db") as s:
        before = _snapshot(s)
        with pytest.raises(RuntimeError):
            import_files([head_file], s, metadata=[gcat_tsv])
        assert _snapshot(s) == before == (0, 0, [])


def test_unreadable_file_is_a_reject(tmp_path, head_file):
    with SqliteCatalogStore() as s:
        r = import_files([head_file, tmp_path / "missing.tle"], s)
        assert r.imported == 300 and r.rejects[0].file.endswith("missing.tle")


def test_gcat_metadata_sets_owner_either_order(head_file, gcat_tsv):
    for order in ([head_file, gcat_tsv], [gcat_tsv, head_file]):
        with SqliteCatalogStore() as s:
            for p in order:
                import_files([p], s)
            vanguard = s.get_object(5)
            assert vanguard.owner == "US" and vanguard.launch_date == date(1958, 3, 17)
            assert vanguard.object_type is ObjectType.PAYLOAD
            assert vanguard.name == "VANGUARD 1"  # catalog name kept
            assert s.count_objects() == 300
            assert s.count_objects(with_elements=False) > 21000
            us = s.list_objects(owners=["US"])
            assert 5 in {o.norad_id for o in us}
            assert all(o.owner == "US" for o in us)


@pytest.mark.slow
def test_full_catalog_import_and_queries(tmp_path, spacetrack_3le, celestrak_active, gcat_tsv):
    db = tmp_path / "full.db"
    with SqliteCatalogStore(db) as s:
        r = import_files([spacetrack_3le], s)
        assert (r.imported, r.rejected, r.objects) == (26140, 0, 26140)
        assert import_files([spacetrack_3le], s).imported == 0
        r = import_files([celestrak_active], s)
        assert r.rejected == 0 and r.objects == 12806
        import_files([gcat_tsv], s)

        latest = {e.norad_id: e for e in s.latest_element_sets()}
        # ISS: the 2025 CelesTrak set supersedes the 2023 Space-Track one
        assert latest[25544].epoch.year == 2025 and len(s.history(25544)) == 2
        for reg in ("LEO", "MEO", "GEO", "IGSO", "GTO", "HEO"):
            objs = s.list_objects(regime=reg)
            assert objs
            for o in objs[::50]:
                e = o.element_sets[0]
                label = regime_of(
                    e.perigee_alt_km, e.apogee_alt_km, inclination_deg=e.inclination_deg
                )
                assert label == reg
        geo = {o.norad_id for o in s.list_objects(regime="GEO", types=["PAYLOAD"])}
        assert 41866 in geo  # GOES 16, geostationary weather satellite
        assert 25544 in {o.norad_id for o in s.list_objects(regime="LEO")}
        assert 20580 in {o.norad_id for o in s.list_objects(regime="LEO", owners=["US"])}  # HST
        debris = s.list_objects(types=[ObjectType.DEBRIS])
        assert len(debris) > 10000 and all(o.object_type is ObjectType.DEBRIS for o in debris)
