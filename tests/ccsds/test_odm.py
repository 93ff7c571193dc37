"""OMM, OEM, OPM against the CCSDS 502.0 example files (Orekit test resources)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from spacerange.ccsds import read_oem, read_omm, read_opm, write_oem, write_omm
from spacerange.ccsds.oem import Oem, OemSegment
from spacerange.errors import ParseError

ONE_MM_KM = 1e-6

# expected words in the error of each malformed example (the keyword or section at fault)
EXPECTED_ERROR = {
    "OMM-number-format-error.txt": "ARG_OF_PERICENTER",
    "OMM-wrong-keyword.txt": "WRONG_KEYWORD",
    "spurious-metadata.xml": "metadata",
    "OEM-covariance-number-format-error.txt": "covariance",
    "OEM-ephemeris-number-format-error.txt": "ephemeris",
    "OEM-inconsistent-time-systems.txt": "inconsistent time systems",
    "OEM-keyword-within-covariance.txt": "USER_DEFINED_TEST_KEY",
    "OEM-keyword-within-ephemeris.txt": "USER_DEFINED_TEST_KEY",
    "OEM-too-few-covariance-columns.txt": "covariance row 5",
    "OEM-too-large-covariance-dimension.txt": "more than 6 rows",
    "OEM-too-many-covariance-columns.txt": "covariance row 1",
    "OEM-too-small-covariance-dimension.txt": "4 rows",
    "OEM-wrong-keyword.txt": "WRONG_KEYWORD",
    "OPM-incompatible-units.txt": "SOLAR_RAD_AREA",
    "OPM-number-format-error.txt": "SEMI_MAJOR_AXIS",
    "OPM-wrong-keyword.txt": "WRONG_KEYWORD",
}
READERS = {"omm": read_omm, "oem": read_oem, "opm": read_opm}


def _files(shared_data, kind):
    # OEMExample7.txt.pre/.post are Orekit writer fixtures, not OEM files
    return sorted(p for p in (shared_data / "ccsds/odm" / kind).iterdir() if p.suffix != ".post"
                  and p.suffix != ".pre")  # fmt: skip


@pytest.mark.parametrize("kind", ["omm", "oem", "opm"])
def test_examples_parse_or_reject(shared_data, kind, is_malformed):
    read = READERS[kind]
    n_ok = n_bad = 0
    for path in _files(shared_data, kind):
        if is_malformed(path):
            with pytest.raises(ParseError) as info:
                read(path)
            err = info.value
            assert err.file == str(path) and err.reason
            if path.name in EXPECTED_ERROR:
                assert EXPECTED_ERROR[path.name] in str(err), (path.name, str(err))
            n_bad += 1
        else:
            assert read(path), path.name
            n_ok += 1
    assert n_ok >= 6 and n_bad >= 3


def _spec_values(path):
    """KEY = value pairs read straight from the example text (independent of the parser)."""
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^\s*([A-Z_]+)\s*=\s*([^\[]*)", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def test_omm_example1_published_elements(shared_data):
    path = shared_data / "ccsds/odm/omm/OMMExample1.txt"
    omm = read_omm(path)[0]
    # CCSDS 502.0-B-2 OMM example (GOES 9)
    assert omm.object_name == "GOES 9" and omm.metadata["OBJECT_ID"] == "1995-025A"
    assert omm.epoch == np.datetime64("2007-03-05T10:34:41.426400")  # 2007-064T10:34:41.4264
    assert omm.norad_cat_id == 23581
    spec = _spec_values(path)
    for key in ("MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
                "ARG_OF_PERICENTER", "MEAN_ANOMALY", "GM"):  # fmt: skip
        assert omm.mean_elements[key] == float(spec[key]), key
    for key in ("BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT"):
        assert omm.tle_parameters[key] == float(spec[key]), key
    assert omm.tle_parameters["ELEMENT_SET_NO"] == int(spec["ELEMENT_SET_NO"])


def test_omm_xml_matches_kvn_and_roundtrips(shared_data):
    kvn = read_omm(shared_data / "ccsds/odm/omm/OMMExample4.txt")[0]
    xml = read_omm(shared_data / "ccsds/odm/omm/OMMExample4.xml")[0]
    assert kvn.mean_elements == xml.mean_elements
    src = read_omm(shared_data / "ccsds/odm/omm/OMMExample2.xml")[0]
    cov = src.covariance_6x6()
    assert cov.shape == (6, 6) and np.allclose(cov, cov.T)
    for fmt in ("KVN", "XML"):
        back = read_omm(write_omm(src, fmt=fmt))[0]
        assert back == src, fmt
    two = read_omm(write_omm([src, kvn], fmt="XML"))  # <ndm> with two OMMs
    assert [o.object_name for o in two] == [src.object_name, kvn.object_name]


def test_oem_example_values_and_roundtrip(shared_data):
    path = shared_data / "ccsds/odm/oem/OEMExample1.txt"
    oem = read_oem(path)[0]
    assert [len(s.epochs) for s in oem.segments] == [4, 4, 5]
    s0 = oem.segments[0]
    # first ephemeris line of the CCSDS 502.0 OEM example
    row = "1996-12-18T12:00:00.331 2789.619 -280.045 -1746.755 4.73372 -2.49586 -1.04195"
    toks = row.split()
    assert s0.epochs[0] == np.datetime64(toks[0])
    assert np.array_equal(s0.r_km[0], [float(t) for t in toks[1:4]])
    assert np.array_equal(s0.v_km_s[0], [float(t) for t in toks[4:7]])
    assert s0.metadata["CENTER_NAME"] == "MARS BARYCENTER"
    cov = oem.segments[1].covariances[0]
    assert cov.ref_frame == "EME2000" and cov.cov_km[0, 0] == 3.3313494e-04
    assert cov.cov_km[5, 4] == cov.cov_km[4, 5]
    for fmt in ("KVN", "XML"):
        back = read_oem(write_oem(oem, fmt=fmt))[0]
        for a, b in zip(oem.segments, back.segments, strict=True):
            assert np.array_equal(a.epochs, b.epochs)
            assert np.array_equal(a.r_km, b.r_km) and np.array_equal(a.v_km_s, b.v_km_s)
            assert a.metadata == b.metadata
            for ca, cb in zip(a.covariances, b.covariances, strict=True):
                assert np.array_equal(ca.cov_km, cb.cov_km) and ca.epoch == cb.epoch


def test_oem_accelerations_xml(shared_data):
    oem = read_oem(shared_data / "ccsds/odm/oem/OEMExample3.xml")[0]
    s = oem.segments[0]
    assert s.a_km_s2.shape == (4, 3) and s.a_km_s2[0, 2] == -0.159
    back = read_oem(write_oem(oem))[0].segments[0]
    assert np.array_equal(back.a_km_s2, s.a_km_s2)


def test_oem_tai_to_utc(shared_data):
    s = read_oem(shared_data / "ccsds/odm/oem/OEM-Issue839.txt")[0].segments[0]
    assert s.time_system == "TAI"
    # TAI-UTC was 30 s from 1996-01-01 to 1997-07-01 (IERS)
    assert s.epochs[0] - s.epochs_utc[0] == np.timedelta64(30, "s")


def test_oem_write_large_round_trips():
    # Its speed is measured by benchmarks/foundation_io.py, not asserted here.
    n = 200_000
    t0 = np.datetime64("2024-01-01T00:00:00", "us")
    rng = np.random.default_rng(1)
    seg = OemSegment(
        {
            "OBJECT_NAME": "X",
            "OBJECT_ID": "2024-001A",
            "CENTER_NAME": "EARTH",
            "REF_FRAME": "GCRF",
            "TIME_SYSTEM": "UTC",
            "START_TIME": t0,
            "STOP_TIME": t0 + np.timedelta64(n - 1, "s"),
        },  # fmt: skip
        t0 + np.arange(n).astype("timedelta64[s]"),
        rng.normal(0, 7000, (n, 3)),
        rng.normal(0, 7, (n, 3)),
    )
    oem = Oem({"CCSDS_OEM_VERS": "3.0", "CREATION_DATE": t0, "ORIGINATOR": "T"}, [seg])
    text = write_oem(oem)
    back = read_oem(text)[0].segments[0]
    assert np.array_equal(back.r_km, seg.r_km)


def test_opm_examples(shared_data):
    opm = read_opm(shared_data / "ccsds/odm/opm/OPMExample2.txt")[0]
    assert len(opm.maneuvers) == 2
    assert opm.maneuvers[0]["MAN_DV_1"] == -0.02325700
    assert opm.state_km()[1] == -40218.5751
    # [m] and [m×s⁻¹] values converted to km and km/s
    ns = read_opm(shared_data / "ccsds/odm/opm/OPM-non-standard-units.txt")[0]
    assert np.allclose(ns.state_km(), [6503.514, 1239.647, -717.49, -0.87316, 8.74042, -4.191076])
    ndm = read_opm(shared_data / "ccsds/ndm/NDM-opm.xml")
    assert ndm[0].metadata["OBJECT_NAME"] == "OSPREY 5"
