"""TLE parsing and formatting, checked against python-sgp4's own parser (Vallado's C++ port)
and against the published element lines of the shared catalogs."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from catalog_testutil import naive_checksum, set_cols, with_checksum
from sgp4.api import WGS72, Satrec

from spacerange.catalog.tle import (
    alpha5_decode,
    alpha5_encode,
    format_tle,
    parse_tle_file,
    parse_tle_lines,
    parse_tle_text,
    satrec_tle,
    tle_checksum,
)
from spacerange.errors import ParseError

XPDOTP = 1440.0 / (2.0 * math.pi)  # rev/day per rad/min, as in sgp4's twoline2rv
DEG = math.pi / 180.0
ONE_MICROSECOND_DAY = 1e-6 / 86400.0

# ISS, 2008-09-20: the worked example of the TLE format on Wikipedia / CelesTrak's
# "NORAD Two-Line Element Set Format" page.
ISS_L1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
ISS_L2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"


def test_published_iss_example_fields():
    e = parse_tle_lines(ISS_L1, ISS_L2, name="ISS (ZARYA)")
    assert e.norad_id == 25544
    assert e.cospar_id == "1998-067A"
    assert e.classification == "U"
    # 2008 day 264.51782528 = 2008-09-20 12:25:40.104 UTC
    assert abs(e.epoch - datetime(2008, 9, 20, 12, 25, 40, 104192, tzinfo=UTC)) < timedelta(
        microseconds=2
    )
    assert e.mean_motion_dot == pytest.approx(-0.00002182, abs=0)
    assert e.bstar == pytest.approx(-0.11606e-4, rel=1e-12)
    assert e.inclination_deg == 51.6416
    assert e.raan_deg == 247.4627
    assert e.eccentricity == pytest.approx(0.0006703, abs=1e-15)
    assert e.arg_perigee_deg == 130.536
    assert e.mean_anomaly_deg == 325.0288
    assert e.mean_motion_rev_day == 15.72125391
    assert e.rev_at_epoch == 56353
    assert e.element_set_no == 292
    assert format_tle(e) == (ISS_L1, ISS_L2)


def test_checksum_matches_definition_on_published_lines():
    for line in (ISS_L1, ISS_L2):
        assert tle_checksum(line) == naive_checksum(line) == int(line[68])


def test_alpha5_published_examples():
    # Space-Track Alpha-5 scheme: letters A-Z without I and O stand for 10-33.
    assert alpha5_decode("A0000") == 100000
    assert alpha5_decode("A0001") == 100001
    assert alpha5_decode("E8493") == 148493
    assert alpha5_decode("J0000") == 180000  # I skipped
    assert alpha5_decode("P0000") == 230000  # O skipped
    assert alpha5_decode("Z9999") == 339999
    assert alpha5_encode(100001) == "A0001"
    assert alpha5_encode(25544) == "25544"
    assert alpha5_decode("   29") == 29  # Space-Track pads with blanks
    for bad in ("I0001", "O0001", "A00x1", "", "1234a"):
        with pytest.raises(ValueError):
            alpha5_decode(bad)
    with pytest.raises(ValueError):
        alpha5_encode(340000)


def test_alpha5_round_trip_whole_range():
    for n in range(0, 340000, 7):
        assert alpha5_decode(alpha5_encode(n)) == n


def test_alpha5_tle_agrees_with_sgp4():
    e = parse_tle_lines(ISS_L1, ISS_L2)
    from dataclasses import replace

    for norad in (100001, 148493, 339999):
        l1, l2 = format_tle(replace(e, norad_id=norad))
        assert l1[2:7] == alpha5_encode(norad)
        sat = Satrec.twoline2rv(l1, l2)
        assert sat.satnum == norad
        back = parse_tle_lines(l1, l2)
        assert back.norad_id == norad


def _assert_matches_sgp4(elsets):
    for e in elsets:
        s = Satrec.twoline2rv(e.line1, e.line2)
        ctx = e.line1
        assert s.satnum == e.norad_id, ctx
        assert s.classification == e.classification, ctx
        assert s.intldesg.strip() == e.line1[9:17].strip(), ctx
        assert s.elnum == e.element_set_no, ctx
        assert s.revnum == e.rev_at_epoch, ctx
        assert s.inclo == pytest.approx(e.inclination_deg * DEG, abs=1e-12), ctx
        assert s.nodeo == pytest.approx(e.raan_deg * DEG, abs=1e-12), ctx
        assert s.ecco == pytest.approx(e.eccentricity, abs=1e-15), ctx
        assert s.argpo == pytest.approx(e.arg_perigee_deg * DEG, abs=1e-12), ctx
        assert s.mo == pytest.approx(e.mean_anomaly_deg * DEG, abs=1e-12), ctx
        assert s.no_kozai == pytest.approx(e.mean_motion_rev_day / XPDOTP, rel=1e-14), ctx
        assert s.bstar == pytest.approx(e.bstar, rel=1e-12, abs=1e-20), ctx
        assert s.ndot == pytest.approx(e.mean_motion_dot / (XPDOTP * 1440.0), rel=1e-12), ctx
        assert s.nddot == pytest.approx(
            e.mean_motion_ddot / (XPDOTP * 1440.0 * 1440.0), rel=1e-12, abs=1e-30
        ), ctx
        # Epoch: sgp4's two-part Julian date vs ours, to a microsecond.
        days_since_j2000 = (e.epoch - datetime(2000, 1, 1, 12, tzinfo=UTC)) / timedelta(days=1)
        assert abs((s.jdsatepoch - 2451545.0) + s.jdsatepochF - days_since_j2000) < (
            1.5 * ONE_MICROSECOND_DAY
        ), ctx


def test_every_record_matches_sgp4_spacetrack(spacetrack_3le):
    elsets, rejects = parse_tle_file(spacetrack_3le)
    assert len(elsets) == 26140 and rejects == []
    _assert_matches_sgp4(elsets)


def test_every_record_matches_sgp4_celestrak(celestrak_active):
    elsets, rejects = parse_tle_file(celestrak_active)
    assert len(elsets) == 12806 and rejects == []
    assert elsets[0].name == "CALSPHERE 1"  # bare-name 3-line file with CRLF endings
    _assert_matches_sgp4(elsets)


def test_vallado_verification_file(shared_data):
    """SGP4-VER.TLE: 33 cases; the three error-code cases (33333-33335) carry line-1 checksums
    that do not match the definition, so they are refused; all others match sgp4."""
    path = shared_data / "sgp4_verification" / "SGP4-VER.TLE"
    elsets, rejects = parse_tle_file(path, allow_trailing=True)
    lines = path.read_text().splitlines()
    bad_records = []  # first line (1-based) of each record having a line with a bad checksum
    for k, line in enumerate(lines):
        if line[:2] == "1 ":
            pair = (line, lines[k + 1])
            bad = [j for j, x in enumerate(pair) if naive_checksum(x) != int(x[68])]
            if bad:
                bad_records.append(k + 1 + bad[0])
    assert [r.line for r in rejects] == bad_records
    assert all("checksum" in r.reason for r in rejects)
    assert len(elsets) + len(rejects) == 33
    _assert_matches_sgp4(elsets)
    # Without allow_trailing, the start/stop/step columns after 69 are refused.
    _, strict_rejects = parse_tle_file(path)
    assert len(strict_rejects) == 33


def _normalise(line: str) -> str:
    """Spellings the format allows that our writer does not use: blank-padded catalog number,
    '+' for positive fields, '-.00000000', '00000+0' for zero."""
    s = line[:2] + line[2:7].replace(" ", "0") + line[7:]
    if s[0] == "1":
        s = s[:33] + s[33:].replace("+.", " .").replace("-.00000000", " .00000000")
        s = s.replace(" +", "  ").replace("00000+0", "00000-0")
    return with_checksum(s)


@pytest.mark.parametrize("which", ["spacetrack", "celestrak"])
def test_format_reproduces_published_lines(which, spacetrack_3le, celestrak_active):
    path = spacetrack_3le if which == "spacetrack" else celestrak_active
    elsets, _ = parse_tle_file(path)
    for e in elsets:
        assert format_tle(e) == (_normalise(e.line1), _normalise(e.line2))


def test_parse_full_catalog(spacetrack_3le):
    # speed is measured by benchmarks/, not asserted here (the machine may be loaded)
    elsets, _ = parse_tle_text(spacetrack_3le.read_text())
    assert len(elsets) == 26140


# --- corrupt records ---------------------------------------------------------------------


def test_corrupt_records_are_rejected_with_file_line_reason(tmp_path, head_3le_lines):
    lines = list(head_3le_lines)  # 300 records, 3 lines each: record k at lines 3k+1..3k+3
    # record 1: bad checksum on line 2 (file line 6)
    l2 = lines[5]
    lines[5] = l2[:68] + str((int(l2[68]) + 1) % 10)
    # record 3: line 1 truncated (file line 11)
    lines[10] = lines[10][:50]
    # record 5: letters in the inclination field (file line 18)
    lines[17] = set_cols(lines[17], 9, " 5l.64x1")
    # record 7: negative mean motion (file line 24)
    lines[23] = set_cols(lines[23], 53, "-1.00270000")
    # record 9: inclination 200 deg (file line 30)
    lines[29] = set_cols(lines[29], 9, "200.0000")
    # record 11: catalog numbers of the two lines differ (file line 36)
    lines[35] = set_cols(lines[35], 3, "99999")
    # record 13: zero mean motion (file line 42)
    lines[41] = set_cols(lines[41], 53, " 0.00000000")
    # record 15: letter in BSTAR (file line 47)
    lines[46] = set_cols(lines[46], 54, " 3708X-3")
    # record 17: line 2 missing (file line 53 is line 1)
    del lines[53]
    path = tmp_path / "corrupt.3le"
    path.write_text("\n".join(lines) + "\n")

    elsets, rejects = parse_tle_file(path)
    got = {r.line: r.reason for r in rejects}
    assert all(r.file == str(path) for r in rejects)
    assert sorted(got) == [6, 11, 18, 24, 30, 36, 42, 47, 53]
    assert "checksum" in got[6]
    assert "truncated" in got[11]
    assert "inclination" in got[18] and "columns 9-16" in got[18]
    assert "mean motion" in got[24] and "positive" in got[24]
    assert "inclination" in got[30] and "180" in got[30]
    assert "mismatch" in got[36]
    assert "mean motion" in got[42]
    assert "BSTAR" in got[47]
    assert "line 2" in got[53]
    assert len(elsets) == 300 - 9  # every other record is still returned
    corrupted_ids = {int(head_3le_lines[3 * k + 1][2:7]) for k in (1, 3, 5, 7, 9, 11, 13, 15, 17)}
    assert corrupted_ids.isdisjoint({e.norad_id for e in elsets})


def test_orphan_lines_and_names():
    text = "\n".join(
        [
            "0 LONELY NAME",
            "0 ISS (ZARYA)",
            ISS_L1,
            ISS_L2,
            ISS_L2,
            "0 TRAILING NAME",
        ]
    )
    elsets, rejects = parse_tle_text(text, file="x.tle")
    assert [e.name for e in elsets] == ["ISS (ZARYA)"]
    assert [(r.line, r.file) for r in rejects] == [(1, "x.tle"), (5, "x.tle"), (6, "x.tle")]
    assert "line 1" in rejects[1].reason


def test_two_line_file_without_names():
    elsets, rejects = parse_tle_text(ISS_L1 + "\n" + ISS_L2 + "\n")
    assert rejects == [] and elsets[0].name == "" and elsets[0].norad_id == 25544


def test_parse_tle_lines_raises_parse_error():
    with pytest.raises(ParseError) as exc:
        parse_tle_lines(ISS_L1, set_cols(ISS_L2, 27, "00a6703"))
    assert exc.value.line == 2 and "eccentricity" in exc.value.reason


# --- satrec_tle: python-sgp4's exporter text -----------------------------------------------


def _fitted_satrecs(n: int = 3000) -> list[Satrec]:
    """Element sets as the exercise makes them (``sgp4init`` from fitted elements: no
    international designator, revolution 0), over the fields' whole ranges."""
    import numpy as np

    rng = np.random.default_rng(7)
    out = []
    for _ in range(n):
        ecc = float(rng.choice([0.0, 1e-9, rng.uniform(0, 0.02), rng.uniform(0, 0.95)]))
        ang = [float(rng.choice([0.0, 2 * math.pi, rng.uniform(0, 2 * math.pi)])) for _ in range(3)]
        bstar = float(rng.choice([0.0, -rng.uniform(0, 1e-3), rng.uniform(0, 0.5), 1e-12]))
        s = Satrec()
        s.sgp4init(WGS72, "i", int(rng.integers(1, 339999)), float(rng.uniform(20000, 30000)),
                   bstar, 0.0, 0.0, ecc, ang[0], float(rng.uniform(0, math.pi)), ang[1],
                   float(rng.uniform(0.003, 0.07)), ang[2])  # fmt: skip
        out.append(s)
    return out


def test_satrec_tle_is_the_exporters_text(spacetrack_3le, celestrak_active):
    from sgp4.exporter import export_tle

    sats = [Satrec.twoline2rv(e.line1, e.line2) for p in (spacetrack_3le, celestrak_active)
            for e in parse_tle_file(p)[0]] + _fitted_satrecs()  # fmt: skip
    assert len(sats) == 26140 + 12806 + 3000
    differ = [export_tle(s) for s in sats if satrec_tle(s) != export_tle(s)]
    assert differ == [], differ[:3]
    # an angle out of range is refused, as by the exporter
    s = _fitted_satrecs(1)[0]
    s.sgp4init(WGS72, "i", 5, 25000.0, 0.0, 0.0, 0.0, 0.1, 0.0, 1.0, 0.0, 0.06, -0.5)
    for f in (export_tle, satrec_tle):
        with pytest.raises(ValueError):
            f(s)
