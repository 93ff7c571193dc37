"""Hard-body radius lookup from the NASA CARA HBR/mass table, defaults and overrides."""

from __future__ import annotations

import math

import pytest

from spacerange.conjunction.hbr import (
    DEFAULT_HBR_M,
    HbrTable,
    combined_hbr_m,
    load_cara_hbr_table,
)
from spacerange.errors import ParseError

CARA_CSV = "catalog/CARA_HBR_Mass_Estimates_20260601.csv"


@pytest.fixture(scope="module")
def table(shared_data):
    return load_cara_hbr_table(shared_data / CARA_CSV)


def test_cara_table_rows(table):
    assert len(table) == 58_609  # row count stated in shared/data/SOURCES.md
    # rows as published in the CARA file
    hbr, mass = table[51]
    assert hbr == pytest.approx(0.964231173853356) and mass == pytest.approx(68.5679843290701)
    assert table[188] == (1.1, 448.3)  # CARA "Default" row
    assert math.isnan(table[1][0])  # DISCOS value withheld from distribution


def test_lookup_precedence(table):
    t = HbrTable(table, overrides={51: 3.0})
    assert t.lookup(51) == (3.0, "override")
    assert t.lookup(53)[1] == "cara"
    assert t.hbr_m(53) == pytest.approx(0.947193327039017)
    # withheld DISCOS value -> default by type
    assert t.lookup(1, "DEBRIS") == (DEFAULT_HBR_M["DEBRIS"], "default")
    assert t.hbr_m(10**7, "R/B") == DEFAULT_HBR_M["ROCKET BODY"]
    assert t.hbr_m(10**7) == DEFAULT_HBR_M["UNKNOWN"]
    assert t.combined_hbr_m(51, 53) == pytest.approx(3.0 + 0.947193327039017)
    assert t.combined_hbr_m(51, 53, override_m=20.0) == 20.0
    assert t.mass_kg(53) == pytest.approx(23.674180045145)


def test_combined_is_sum():
    assert combined_hbr_m([1.0, 2.0], 0.5).tolist() == [1.5, 2.5]


def test_bad_files_name_file_and_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(
        "ObjectID,HBR,HBRSigma,HBRSource,Mass,MassSigma,MassSource\n"
        "5,1.0,0,X,2,0,X\n7,abc,0,X,2,0,X\n"
    )
    with pytest.raises(ParseError) as e:
        load_cara_hbr_table(p)
    assert e.value.line == 3 and "HBR" in e.value.reason and str(p) in str(e.value)
    p.write_text("id,hbr\n1,2\n")
    with pytest.raises(ParseError, match="expected header"):
        load_cara_hbr_table(p)
