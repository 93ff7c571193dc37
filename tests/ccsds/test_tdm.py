"""TDM (CCSDS 503.0) against the Orekit KVN/XML example files."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.ccsds import read_tdm, write_tdm
from spacerange.errors import ParseError

EXPECTED_ERROR = {
    "TDM-data-inconsistent-line.txt": "EPOCH VALUE",
    "TDM-issue963.txt": "EPOCH VALUE",
    "TDM-data-number-format-error.txt": "RECEIVE_FREQ_1",
    "TDM-data-wrong-keyword.txt": "WRONG_KEYWORD",
    "TDM-inconsistent-time-systems.txt": "inconsistent time systems",
    "TDM-metadata-number-format-error.txt": "TRANSMIT_DELAY_1",
    "TDM-metadata-timesystem-not-implemented.txt": "WRONG-TIME-SYSTEM",
    "TDM-metadata-wrong-keyword.txt": "WRONG_KEYWORD",
    "TDM-data-inconsistent-block.xml": "observation",
    "TDM-data-number-format-error.xml": "RECEIVE_FREQ_1",
    "TDM-data-wrong-keyword.xml": "WRONG_KEYWORD",
    "TDM-external-doctype.xml": "<foo>",
    "TDM-inconsistent-time-systems.xml": "inconsistent time systems",
    "TDM-metadata-number-format-error.xml": "TRANSMIT_DELAY_1",
    "TDM-metadata-timesystem-not-implemented.xml": "WRONG-TIME-SYSTEM",
    "TDM-metadata-wrong-keyword.xml": "WRONG_KEYWORD",
    "TDM-missing-participants.xml": "PARTICIPANT_1",
    "TDM-missing-timesystem.xml": "TIME_SYSTEM",
}


@pytest.mark.parametrize("sub", ["kvn", "xml"])
def test_examples_parse_or_reject_and_roundtrip(shared_data, sub, is_malformed):
    for path in sorted((shared_data / "ccsds/tdm" / sub).iterdir()):
        if is_malformed(path):
            with pytest.raises(ParseError) as info:
                read_tdm(path)
            assert EXPECTED_ERROR[path.name] in str(info.value), str(info.value)
            continue
        tdm = read_tdm(path)[0]
        for fmt in ("KVN", "XML"):
            back = read_tdm(write_tdm(tdm, fmt=fmt))[0]
            for a, b in zip(tdm.segments, back.segments, strict=True):
                assert a.metadata == b.metadata
                assert np.array_equal(a.epochs, b.epochs)
                assert np.array_equal(a.values, b.values)
                assert list(a.keywords) == list(b.keywords)


def test_example2_values_kvn_equals_xml(shared_data):
    kvn = read_tdm(shared_data / "ccsds/tdm/kvn/TDMExample2.txt")[0].segments[0]
    xml = read_tdm(shared_data / "ccsds/tdm/xml/TDMExample2.xml")[0].segments[0]
    # CCSDS 503.0 example: one-way Ka-band Doppler from DSS-25, 2005-159 (= 2005-06-08)
    assert kvn.metadata["PARTICIPANT_1"] == "DSS-25" and kvn.metadata["PATH"] == "2,1"
    t, f = kvn.observations("RECEIVE_FREQ_1")
    assert t[0] == np.datetime64("2005-06-08T17:41:00") and f[0] == -409.2735
    assert np.array_equal(kvn.epochs, xml.epochs) and np.array_equal(kvn.values, xml.values)
    assert kvn.metadata["FREQ_OFFSET"] == xml.metadata["FREQ_OFFSET"] == 32021035200.0
