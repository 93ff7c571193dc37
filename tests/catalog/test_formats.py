"""GP JSON / GP CSV / CCSDS OMM element sets and content sniffing.

GP records are built from published TLE lines *through python-sgp4's parser* (an outside
authority), converted to OMM keywords and units; reading them back must regenerate the
published lines.  OMM checks use the CCSDS example messages (Orekit test resources).
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from sgp4.api import Satrec

from spacerange.catalog.formats import (
    load_any,
    parse_epoch,
    parse_gp_csv_text,
    parse_gp_json_text,
    sniff_format,
)
from spacerange.catalog.tle import cospar_from_tle

XPDOTP = 1440.0 / (2.0 * math.pi)
RAD = 180.0 / math.pi
GP_KEYS = [
    "OBJECT_NAME",
    "OBJECT_ID",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "NORAD_CAT_ID",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
]


def gp_record_from_sgp4(name: str, l1: str, l2: str) -> dict:
    """A GP record (OMM keywords, CelesTrak units) from sgp4's reading of a TLE."""
    s = Satrec.twoline2rv(l1, l2)
    jd0 = datetime(2000, 1, 1, 12, tzinfo=UTC)
    epoch = jd0 + timedelta(days=(s.jdsatepoch - 2451545.0) + s.jdsatepochF)
    return {
        "OBJECT_NAME": name,
        "OBJECT_ID": cospar_from_tle(s.intldesg),
        "EPOCH": epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "MEAN_MOTION": round(s.no_kozai * XPDOTP, 8),
        "ECCENTRICITY": s.ecco,
        "INCLINATION": round(s.inclo * RAD, 4),
        "RA_OF_ASC_NODE": round(s.nodeo * RAD, 4),
        "ARG_OF_PERICENTER": round(s.argpo * RAD, 4),
        "MEAN_ANOMALY": round(s.mo * RAD, 4),
        "EPHEMERIS_TYPE": 0,
        "CLASSIFICATION_TYPE": s.classification,
        "NORAD_CAT_ID": s.satnum,
        "ELEMENT_SET_NO": s.elnum,
        "REV_AT_EPOCH": s.revnum,
        "BSTAR": s.bstar,
        "MEAN_MOTION_DOT": s.ndot * XPDOTP * 1440.0,
        "MEAN_MOTION_DDOT": s.nddot * XPDOTP * 1440.0 * 1440.0,
    }


@pytest.fixture(scope="module")
def celestrak_records(celestrak_active):
    lines = celestrak_active.read_text().splitlines()[: 3 * 400]
    recs, pubs = [], []
    for k in range(0, len(lines), 3):
        name, l1, l2 = (x.rstrip() for x in lines[k : k + 3])
        recs.append(gp_record_from_sgp4(name, l1, l2))
        pubs.append((l1, l2))
    return recs, pubs


def _same_tle(ours: str, published: str) -> bool:
    # CelesTrak writes zero exponents as '00000+0'; we write '00000-0'.
    a = ours[:68].replace("00000-0", "00000+0")
    return a == published[:68]


def test_gp_json_regenerates_published_tle(celestrak_records):
    recs, pubs = celestrak_records
    text = json.dumps(recs, indent=1)
    assert sniff_format(text) == "gp_json"
    elsets, rejects = parse_gp_json_text(text, "gp.json")
    assert rejects == []
    assert len(elsets) == len(pubs)
    for e, (l1, l2) in zip(elsets, pubs, strict=True):
        assert _same_tle(e.line1, l1), (e.line1, l1)
        assert _same_tle(e.line2, l2), (e.line2, l2)
        assert Satrec.twoline2rv(e.line1, e.line2).satnum == e.norad_id


def test_gp_csv_regenerates_published_tle(celestrak_records):
    recs, pubs = celestrak_records
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=GP_KEYS)
    w.writeheader()
    w.writerows(recs)
    assert sniff_format(buf.getvalue()) == "gp_csv"
    elsets, rejects = parse_gp_csv_text(buf.getvalue(), "gp.csv")
    assert rejects == []
    for e, (l1, l2) in zip(elsets, pubs, strict=True):
        assert _same_tle(e.line1, l1) and _same_tle(e.line2, l2)


def test_gp_rejects_name_record_line_and_field(celestrak_records):
    recs = [dict(r) for r in celestrak_records[0][:6]]
    recs[1]["ECCENTRICITY"] = 1.2
    recs[2]["MEAN_MOTION"] = -15.0
    recs[3]["INCLINATION"] = "abc"
    del recs[4]["EPOCH"]
    # JSON, one record per line after the opening bracket: record k starts on line k + 2
    text = "[\n" + ",\n".join(json.dumps(r) for r in recs) + "\n]\n"
    elsets, rejects = parse_gp_json_text(text, "bad.json")
    assert len(elsets) == 2
    assert [r.line for r in rejects] == [3, 4, 5, 6]
    assert "eccentricity" in rejects[0].reason and "record 2" in rejects[0].reason
    assert "mean motion" in rejects[1].reason
    assert "INCLINATION" in rejects[2].reason
    assert "EPOCH" in rejects[3].reason
    # CSV: header is line 1, record k on line k + 1
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=GP_KEYS)
    w.writeheader()
    w.writerows(recs)
    elsets, rejects = parse_gp_csv_text(buf.getvalue(), "bad.csv")
    assert len(elsets) == 2
    assert [r.line for r in rejects] == [3, 4, 5, 6]
    assert all(r.file == "bad.csv" for r in rejects)


def test_parse_epoch_forms():
    want = datetime(2007, 3, 5, 10, 34, 41, 426400, tzinfo=UTC)
    assert parse_epoch("2007-064T10:34:41.4264") == want  # day-of-year form (CCSDS)
    assert parse_epoch("2007-03-05T10:34:41.4264") == want
    assert parse_epoch("2007-03-05T10:34:41.4264Z") == want
    with pytest.raises(ValueError):
        parse_epoch("05/03/2007")


def test_omm_kvn_and_xml_examples(shared_data):
    """CCSDS 502.0 OMM example (GOES 9): values as printed in the message."""
    omm = shared_data / "ccsds" / "odm" / "omm"
    for name in ("OMMExample1.txt", "OMMExample2.xml"):
        elsets, rejects = load_any(omm / name)
        assert rejects == [], rejects
        (e,) = elsets
        assert e.norad_id == 23581
        assert e.cospar_id == "1995-025A"
        assert e.epoch == datetime(2007, 3, 5, 10, 34, 41, 426400, tzinfo=UTC)
        assert (e.mean_motion_rev_day, e.eccentricity, e.inclination_deg) == (
            1.00273272,
            0.0005013,
            3.0539,
        )
        assert (e.raan_deg, e.arg_perigee_deg, e.mean_anomaly_deg) == (81.7939, 249.2363, 150.1602)
        assert (e.bstar, e.mean_motion_dot, e.rev_at_epoch, e.element_set_no) == (
            0.0001,
            -0.00000113,
            4316,
            925,
        )
        s = Satrec.twoline2rv(e.line1, e.line2)
        assert s.satnum == 23581 and s.ecco == pytest.approx(0.0005013, abs=1e-12)
        assert s.no_kozai * XPDOTP == pytest.approx(1.00273272, abs=1e-12)


def test_omm_refusals_name_the_problem(shared_data):
    omm = shared_data / "ccsds" / "odm" / "omm"
    _, rejects = load_any(omm / "OMMExample3.txt")  # TOD frame, not an SGP4 set
    assert len(rejects) == 1 and "TEME" in rejects[0].reason
    path = omm / "OMM-number-format-error.txt"
    bad_line = 1 + next(
        k for k, x in enumerate(path.read_text().splitlines()) if "this-is-not-a-number" in x
    )
    _, rejects = load_any(path)
    assert [r.line for r in rejects] == [bad_line]


def test_sniff_format_kinds(gcat_tsv):
    assert sniff_format("0 VANGUARD 1\n1 00005U ...\n2 00005 ...") == "tle"
    assert sniff_format("CCSDS_OMM_VERS = 2.0\n") == "omm_kvn"
    assert sniff_format('<?xml version="1.0"?>\n<ndm>') == "omm_xml"
    assert sniff_format("OBJECT_NAME,OBJECT_ID,NORAD_CAT_ID,OBJECT_TYPE,OWNER\n") == "satcat_csv"
    assert sniff_format("ObjectID,HBR,HBRSigma\n") == "cara_hbr_csv"
    assert sniff_format(gcat_tsv.read_text()[:4000]) == "gcat_tsv"
    assert sniff_format("hello world\n") == "unknown"
