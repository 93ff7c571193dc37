"""In-memory Catalog: construction from files and from a store, numpy views, selection."""

from __future__ import annotations

import numpy as np
from sgp4.api import Satrec, SatrecArray

from spacerange.catalog import Catalog, ObjectType, SqliteCatalogStore, import_files, regime_of


def test_from_files_celestrak(celestrak_active, gcat_tsv):
    cat = Catalog.from_files([celestrak_active], metadata=[gcat_tsv])
    assert len(cat) == 12806 and cat.rejects == []
    n = len(cat)
    for arr in (cat.inclination_deg, cat.eccentricity, cat.mean_motion_rev_day, cat.regime):
        assert arr.shape == (n,)
    assert cat.epochs_utc.dtype == np.dtype("datetime64[us]")
    assert np.all(np.diff(cat.norad_ids) > 0)
    # numpy views agree with the element sets and with model.regime_of
    i = cat.index_of(25544)
    e = cat.objects[i].element_sets[0]
    assert cat.inclination_deg[i] == e.inclination_deg
    assert abs(cat.perigee_alt_km[i] - e.perigee_alt_km) < 1e-9
    for k in range(0, n, 97):
        ek = cat.objects[k].element_sets[0]
        assert cat.regime[k] == regime_of(
            ek.perigee_alt_km, ek.apogee_alt_km, inclination_deg=ek.inclination_deg
        )
    # the (line1, line2) list feeds sgp4 directly
    lines = cat.tle_lines()
    sat_list = [Satrec.twoline2rv(a, b) for a, b in lines[:100]]
    jd, fr = sat_list[0].jdsatepoch, sat_list[0].jdsatepochF
    err, r, _ = SatrecArray(sat_list).sgp4(np.array([jd]), np.array([fr]))
    assert r.shape == (100, 1, 3) and np.all(err == 0)
    # GCAT owners merged; active GEO US payloads include GOES 16
    geo_us = cat.select(regime="GEO", owners=["US"], types=[ObjectType.PAYLOAD])
    assert 41866 in set(geo_us.norad_ids)
    assert set(geo_us.regime) == {"GEO"} and set(geo_us.owners) == {"US"}
    assert len(cat.select(regime=["LEO", "MEO", "GEO", "IGSO", "GTO", "HEO"])) == n


def test_regimes_of_named_real_objects(celestrak_active, spacetrack_3le):
    """Six classes on objects whose regime is public knowledge (issue 17 item 5): BeiDou IGSO
    at 55-61 deg is IGSO, not GEO; Vanguard 1 (654 x 3,800 km) and a Molniya are HEO, not
    MEO; GPS is MEO; ISS LEO; GOES 16 GEO."""
    cat = Catalog.from_files([celestrak_active])
    names = {o.name.strip(): k for k, o in enumerate(cat.objects)}

    def label(name: str) -> str:
        return str(cat.regime[names[name]])

    assert label("ISS (ZARYA)") == "LEO"
    assert label("GOES 16") == "GEO"
    for n in ("BEIDOU-2 IGSO-1", "BEIDOU-2 IGSO-2", "BEIDOU-2 IGSO-3"):
        assert label(n) == "IGSO"
    gps = [k for n, k in names.items() if n.startswith("NAVSTAR")]
    assert len(gps) > 20 and set(cat.regime[gps]) == {"MEO"}
    full = Catalog.from_files([spacetrack_3le])
    molniya = np.array(["MOLNIYA" in o.name for o in full.objects])
    molniya &= (full.eccentricity > 0.6) & (np.abs(full.inclination_deg - 63.4) < 3)
    assert molniya.sum() > 10 and set(full.regime[molniya]) == {"HEO"}
    vanguard = full.index_of(5)
    assert full.objects[vanguard].name.strip().startswith("VANGUARD")
    assert str(full.regime[vanguard]) == "HEO"
    # a geostationary transfer stage: perigee in LEO, apogee near GEO, low inclination
    gto = (full.perigee_alt_km < 1000) & (np.abs(full.apogee_alt_km - 35786) < 1500)
    gto &= full.inclination_deg < 30
    assert gto.sum() > 50 and set(full.regime[gto]) == {"GTO"}


def test_from_store_matches_from_files(tmp_path, head_3le_lines):
    p = tmp_path / "head.3le"
    p.write_text("\n".join(head_3le_lines) + "\n")
    with SqliteCatalogStore() as s:
        import_files([p], s)
        a = Catalog.from_store(s)
        b = Catalog.from_files([p])
        assert np.array_equal(a.norad_ids, b.norad_ids)
        assert a.tle_lines() == b.tle_lines()
        assert np.array_equal(a.object_types, b.object_types)
        debris = Catalog.from_store(s, types=["DEBRIS"])
        assert np.array_equal(debris.norad_ids, a.select(types=["DEBRIS"]).norad_ids)
