"""CDM (CCSDS 508.0-B-1) against the spec example, Orekit and NASA CARA sample CDMs."""

from __future__ import annotations

import numpy as np
import pytest

from spacerange.ccsds import read_cdm, write_cdm
from spacerange.errors import ParseError

EXPECTED_ERROR = {
    "CDM-covariance-wrong-entry-format.txt": "CRDOT_T",
    "CDM-missing-TCA.txt": "TCA",
    "CDM-missing-object1-covariance-block.xml": "OBJECT1 missing mandatory keyword CR_R",
    "CDM-missing-object2-state-vector.txt": "OBJECT2 missing mandatory keyword X",
    "CDM-wrong-key-word.txt": "WRONG_KEYWORD",
    "CDMExample1InvalidTca.txt": "TCA",
    "CDMExample_issue1319_mandatory_empty_value.xml": "X in stateVector has an empty value",
}
# Byte-identical to CDMExample1.txt (ORBIT_CENTER is optional in 508.0-B-1, default Earth):
# Orekit only fails it when a frame is requested; it parses here.
IDENTICAL_TO_EXAMPLE1 = "CDM-no-orbit-center-defined-obj1.txt"


def test_orekit_cdms_parse_or_reject(shared_data, is_malformed):
    files = sorted((shared_data / "ccsds/cdm").iterdir())
    rejected = set()
    for path in files:
        if is_malformed(path):
            with pytest.raises(ParseError) as info:
                read_cdm(path)
            assert EXPECTED_ERROR[path.name] in str(info.value), str(info.value)
            assert info.value.line > 0
            rejected.add(path.name)
        else:
            cdm = read_cdm(path)[0]
            assert cdm.object1.state_km().shape == (6,)
    assert rejected == set(EXPECTED_ERROR)
    assert (shared_data / "ccsds/cdm" / IDENTICAL_TO_EXAMPLE1).read_bytes() == (
        shared_data / "ccsds/cdm/CDMExample1.txt"
    ).read_bytes()


def test_cara_sample_cdms_parse(shared_data):
    files = sorted((shared_data / "pc/sample_cdms").glob("*.cdm"))
    assert len(files) == 18
    for path in files:
        cdm = read_cdm(path)[0]
        c = cdm.object1.covariance_rtn_6x6()
        assert c.shape == (6, 6) and np.allclose(c, c.T), path.name
        assert cdm.object2.covariance_rtn().shape == (9, 9)  # CARA gives drag/SRP rows
    # Alfano case 1 (CARA file): miss distance and HBR comment as published
    a1 = read_cdm(shared_data / "pc/sample_cdms/AlfanoTestCase01.cdm")[0]
    assert a1.miss_distance_m == 5.049717
    assert a1.object1.state_km()[1] == 41874.155870


def test_ccsds_example1_published_values(shared_data):
    kvn = read_cdm(shared_data / "ccsds/cdm/CDMExample1.txt")[0]
    xml = read_cdm(shared_data / "ccsds/cdm/CDMExample1.xml")[0]
    # CCSDS 508.0-B-1 section 4 example: miss 715 m, speed 14762 m/s, Pc 4.835e-5
    assert kvn.miss_distance_m == 715.0 and xml.miss_distance_m == 715.0
    assert xml.relative["RELATIVE_SPEED"] == 14762.0
    assert xml.collision_probability == 4.835e-05
    assert kvn.tca == np.datetime64("2010-03-13T22:37:52.618")
    o1 = kvn.object1
    assert np.array_equal(
        o1.state_km(),
        [
            2570.097065,
            2244.654904,
            6281.497978,
            4.418769571,
            4.833547743,
            -3.526774282,
        ],  # fmt: skip
    )
    c = o1.covariance_rtn_6x6()
    assert (c[0, 0], c[1, 0], c[0, 1], c[1, 1], c[5, 5]) == (
        4.142e01, -8.579e00, -8.579e00, 2.533e03, 5.529e-05,
    )  # fmt: skip
    assert np.array_equal(kvn.object2.covariance_rtn_6x6(), xml.object2.covariance_rtn_6x6())


@pytest.mark.parametrize("fmt", ["KVN", "XML"])
@pytest.mark.parametrize(
    "name", ["CDMExample1.xml", "CDMExample_issue1319.xml", "CDMExample_issue_940.xml"]
)
def test_roundtrip(shared_data, fmt, name):
    src = read_cdm(shared_data / "ccsds/cdm" / name)[0]
    back = read_cdm(write_cdm(src, fmt=fmt))[0]
    assert back.header == src.header and back.relative == src.relative
    for a, b in ((src.object1, back.object1), (src.object2, back.object2)):
        assert a.metadata == b.metadata and a.state_vector == b.state_vector
        assert np.array_equal(a.covariance_rtn(), b.covariance_rtn(), equal_nan=True)
        assert a.additional_parameters == b.additional_parameters
        assert a.cdm2 == b.cdm2


def test_wrong_unit_rejected_and_m_converted(shared_data):
    text = (shared_data / "ccsds/cdm/CDMExample1.txt").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("MISS_DISTANCE"))
    with pytest.raises(ParseError, match="MISS_DISTANCE.*wrong units") as info:
        read_cdm(text.replace(line, "MISS_DISTANCE = 715 [kg]"))
    assert info.value.line == 6
    in_km = read_cdm(text.replace(line, "MISS_DISTANCE = 0.715 [km]"))[0]
    assert in_km.miss_distance_m == pytest.approx(715.0)
