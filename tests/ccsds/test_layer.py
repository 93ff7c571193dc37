"""Generic KVN/XML layer: lexer, encodings, units, epochs, time systems."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.ccsds import detect_format, parse_epoch, to_utc
from spacerange.ccsds.kvn import lex_kvn
from spacerange.ccsds.schema import Section, parse_sections, unit_factor
from spacerange.ccsds.xmlio import parse_xml
from spacerange.errors import ParseError


def test_lexer_kinds():
    text = (
        "CCSDS_OEM_VERS = 2.0\nCOMMENT hi there\nMETA_START\nX = 1.5 [km]\n2020-001T00:00:00 1 2\n"
    )
    e = lex_kvn(text)
    assert [x.key for x in e] == ["CCSDS_OEM_VERS", "COMMENT", "META_START", "X", ""]
    assert e[1].value == "hi there"
    assert e[2].delimiter and not e[3].delimiter
    assert (e[3].value, e[3].unit, e[3].line) == ("1.5", "km", 4)


def test_day_of_year_and_calendar_epochs():
    assert parse_epoch("2007-064T10:34:41.4264") == np.datetime64("2007-03-05T10:34:41.426400")
    assert parse_epoch("2016-366T00:00:00") == np.datetime64("2016-12-31T00:00:00")
    assert parse_epoch("2017-04-11T22:31:43.121856000000") == np.datetime64(
        "2017-04-11T22:31:43.121856"
    )
    with pytest.raises(ValueError):
        parse_epoch("2010-04-31T22:37:52.618")
    with pytest.raises(ValueError):
        parse_epoch("2015-366T00:00:00")


def test_units_convert_and_reject():
    assert unit_factor("m", "km") == pytest.approx(1e-3)
    assert unit_factor("m×s⁻¹", "km/s") == pytest.approx(1e-3)
    assert unit_factor("km²·s⁻¹", "km**2/s") == 1.0
    assert unit_factor("m**3/(kg*s)", "m**3/(kg*s)") == 1.0
    with pytest.raises(ValueError):
        unit_factor("s", "m**2")
    sec = Section("stateVector", "X:float[km]! N:int")
    out = parse_sections(lex_kvn("X = 1500 [m]\nN = 3\n"), [sec], file="f")
    assert out["stateVector"]["X"] == pytest.approx(1.5)
    with pytest.raises(ParseError, match="X.*wrong units"):
        parse_sections(lex_kvn("X = 1500 [s]\n"), [sec], file="f")
    with pytest.raises(ParseError, match="missing mandatory keyword X"):
        parse_sections(lex_kvn("N = 3\n"), [sec], file="f")
    with pytest.raises(ParseError, match="unknown keyword Q"):
        parse_sections(lex_kvn("Q = 3\n"), [sec], file="f")
    with pytest.raises(ParseError, match="N.*cannot parse") as info:
        parse_sections(lex_kvn("X = 1\nN = x3\n"), [sec], file="f.kvn")
    assert (info.value.file, info.value.line) == ("f.kvn", 2)


def test_xml_encodings(shared_data):
    files = sorted((shared_data / "ccsds" / "lexical").glob("*.xml"))
    assert len(files) == 10
    for f in files:
        root = parse_xml(f.read_bytes(), f.name)
        assert (root.tag, root.text) == ("greeting", "Hello, world!"), f.name


def test_to_utc_offsets():
    t = np.array(["2017-06-01T00:00:37", "2005-06-01T00:00:32"], dtype="datetime64[us]")
    # TAI-UTC = 37 s since 2017-01-01 and 32 s in 2005 (IERS Bulletin C)
    expected = np.array(["2017-06-01T00:00:00", "2005-06-01T00:00:00"], dtype="datetime64[us]")
    assert np.array_equal(to_utc(t, "TAI"), expected)
    gps = np.array(["2017-06-01T00:00:18"], dtype="datetime64[us]")  # GPS-UTC = 18 s
    assert to_utc(gps, "GPS")[0] == np.datetime64("2017-06-01T00:00:00")
    with pytest.raises(ValueError):
        to_utc(t, "TDB")


def test_detect_format(shared_data):
    d = shared_data / "ccsds"
    assert detect_format(d / "odm/oem/OEMExample1.txt") == ("KVN", "OEM")
    assert detect_format(d / "cdm/CDMExample1.xml") == ("XML", "CDM")
    assert detect_format(d / "tdm/xml/TDMExample2.xml") == ("XML", "TDM")
    assert detect_format(d / "ndm/NDM-opm.xml") == ("XML", "NDM")
    with pytest.raises(ParseError, match="not a CCSDS"):
        detect_format(d / "lexical/minimalist-UTF-8.xml")
