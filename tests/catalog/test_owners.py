"""Owner codes (issue 17 item 5): one spelling per owner, aliases on input, debris and rocket
bodies owned by their launch's owner."""

from __future__ import annotations

from datetime import date

from spacerange.catalog import Catalog, SqliteCatalogStore, import_files
from spacerange.catalog.owners import (
    inherit_launch_owners,
    launch_designator,
    normalize_owner,
    owner_query_codes,
)


def test_normalize_strips_gcat_markup_and_maps_satcat_codes():
    assert normalize_owner("CN*") == "CN"
    assert normalize_owner("[I-ESA]*") == "I-ESA"
    assert normalize_owner("US]*") == "US"
    assert normalize_owner("[US]") == "US"
    assert normalize_owner("-") == "" and normalize_owner("?") == ""
    assert normalize_owner("PRC") == "CN" and normalize_owner("FR") == "F"
    assert normalize_owner("ESA") == "I-ESA" and normalize_owner("jpn") == "J"
    assert normalize_owner("CIS", date(1985, 1, 1)) == "SU"
    assert normalize_owner("CIS", date(2005, 1, 1)) == "RU"
    assert owner_query_codes(["PRC", "CN"]) == ["CN"]
    assert owner_query_codes(["CIS"]) == ["RU", "SU"]


def test_launch_inheritance_prefers_a_payload_of_the_same_launch():
    cospar = ["1999-025A", "1999-025B", "1999-025ABC", "2001-001C", "garbage"]
    owners = ["CN", "", "", "", ""]
    payload = [True, False, False, False, False]
    assert launch_designator("1999-025ABC") == "1999-025"
    assert inherit_launch_owners(cospar, owners, payload) == ["CN", "CN", "CN", "", ""]


def test_real_catalog_owners_are_clean_and_queryable(spacetrack_3le, gcat_tsv):
    """On the 2023 Space-Track catalog with GCAT: no markup in any code, --owner PRC finds the
    Chinese objects, and the Fengyun-1C debris (1999-025) belongs to China (before: 14,465
    objects without an owner, every debris piece and rocket body among them)."""
    with SqliteCatalogStore() as s:
        import_files([spacetrack_3le, gcat_tsv], s)
        objs = s.list_objects()
        codes = {o.owner for o in objs}
        assert not [c for c in codes if any(ch in c for ch in "[]*?")]
        prc = s.list_objects(owners=["PRC"])
        assert len(prc) > 3000 and {o.owner for o in prc} == {"CN"}
        fy1c = [o for o in objs if o.cospar_id.startswith("1999-025")]
        assert len(fy1c) > 2000 and {o.owner for o in fy1c} == {"CN"}
        unowned = [o for o in objs if not o.owner]
        assert len(unowned) < 0.05 * len(objs)
    # the in-memory catalog applies the same rules
    cat = Catalog.from_files([spacetrack_3le], metadata=[gcat_tsv])
    assert len(cat.select(owners=["PRC"])) == len(prc)


def test_migration_cleans_owners_stored_by_version_1(tmp_path):
    """A database written by schema version 1 kept GCAT markup ('CN*', '[I-ESA]*'); opening
    it migrates the codes and records where each owner came from."""
    import sqlite3

    from spacerange.catalog.store import MIGRATIONS

    db = tmp_path / "v1.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE schema_version (version INTEGER)")
    for stmt in MIGRATIONS[0][1]:
        con.execute(stmt)
    con.execute("INSERT INTO schema_version VALUES (1)")
    con.executemany(
        "INSERT INTO objects (norad_id, cospar, type, owner) VALUES (?, ?, ?, ?)",
        [(1, "2000-001A", "PAYLOAD", "CN*"), (2, "2000-002A", "PAYLOAD", "[I-ESA]*")],
    )
    con.commit()
    con.close()
    with SqliteCatalogStore(db) as s:
        assert s.schema_version == MIGRATIONS[-1][0]
        owners = {o.norad_id: o.owner for o in s.list_objects(with_elements=False)}
        assert owners == {1: "CN", 2: "I-ESA"}
        assert [o.norad_id for o in s.list_objects(owners=["ESA"], with_elements=False)] == [2]
