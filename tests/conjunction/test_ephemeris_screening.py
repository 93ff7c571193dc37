"""Screening owner ephemerides (CCSDS OEM) against the catalog (issue 17).

Reference: the catalog screener (whose recall is checked against brute force in
test_screening.py).  The primary's own SGP4 trajectory written as an OEM at 60 s must give
the same events: the Hermite interpolant of 60-s LEO states is good to well under a metre."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spacerange.ccsds.oem import Oem, OemCovariance, OemSegment, write_oem
from spacerange.cli.app import app
from spacerange.conjunction.ephemeris_screening import primaries_from_oem, screen_ephemeris
from spacerange.conjunction.screening import ScreeningConfig, screen
from spacerange.frames import teme_to_gcrs
from spacerange.propagation.sgp4_batch import satrecs_from_tles, sgp4_teme
from spacerange.timescales import jd_fr_utc

SPAN_S = 6 * 3600.0


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from spacerange.catalog.synth import synthesize

    tmp = tmp_path_factory.mktemp("eph")
    pop = synthesize(1500, 3)
    tles = [(e.line1, e.line2) for e in pop.elsets]
    t0 = np.datetime64("2023-10-09T00:41:00", "us")
    res = screen(tles, t0, SPAN_S, ScreeningConfig(threshold_km=5.0), workers=1)
    ev = res.events
    counts = np.bincount(np.concatenate([ev["i"], ev["j"]]), minlength=len(tles))
    k = int(np.argmax(counts))
    assert counts[k] >= 1
    times = t0 + (np.arange(0.0, SPAN_S + 60.0, 60.0) * 1e6).astype("timedelta64[us]")
    jd, fr = jd_fr_utc(times)
    r, v, st = sgp4_teme(satrecs_from_tles([tles[k]]), jd, fr)
    assert not st.any()
    r, v = teme_to_gcrs(r, v, times)
    e = pop.elsets[k]
    meta = {"OBJECT_NAME": e.name or "PRIMARY", "OBJECT_ID": str(e.norad_id),
            "CENTER_NAME": "EARTH", "REF_FRAME": "GCRF", "TIME_SYSTEM": "UTC",
            "START_TIME": times[0], "STOP_TIME": times[-1]}  # fmt: skip
    cov_rtn = np.diag([0.02, 0.1, 0.02, 1e-8, 1e-8, 1e-8]) ** 1  # km^2, km^2/s^2
    covs = [OemCovariance(times[i], cov_rtn, "RTN") for i in range(0, len(times), 60)]
    header = {"CCSDS_OEM_VERS": "3.0", "CREATION_DATE": t0, "ORIGINATOR": "TEST"}
    with_cov = tmp / "owner.oem"
    write_oem(Oem(header, [OemSegment(meta, times, r[0], v[0], None, covs)]), with_cov)
    no_cov = tmp / "owner_nocov.oem"
    write_oem(Oem(header, [OemSegment(meta, times, r[0], v[0])]), no_cov)
    cat = tmp / "cat.tle"
    cat.write_text("\n".join(f"{a}\n{b}" for a, b in tles) + "\n")
    mine = (ev["i"] == k) | (ev["j"] == k)
    other = np.where(ev["i"][mine] == k, ev["j"][mine], ev["i"][mine])
    ref = sorted(zip(other.tolist(), ev["tca_utc"][mine], ev["miss_km"][mine], strict=True))
    return tmp, tles, k, ref, with_cov, no_cov, cat


def test_own_trajectory_as_oem_reproduces_the_catalog_screening(world):
    _, tles, k, ref, with_cov, _, _ = world
    (prim,) = primaries_from_oem(with_cov)
    assert prim.covariances and len(prim.segments) == 1
    ev = screen_ephemeris(prim, tles, 5.0, exclude=[k])
    got = sorted(zip(ev.j.tolist(), ev.tca_utc, ev.miss_km, strict=True))
    assert len(ref) >= 2 and [g[0] for g in got] == [r[0] for r in ref]
    for (_, t, m), (_, tr, mr) in zip(got, ref, strict=True):
        assert abs((t - tr) / np.timedelta64(1, "ms")) < 20
        assert abs(m - mr) < 0.005  # 5 m


def test_cli_reports_pc_with_the_ephemeris_covariance_or_says_why_not(world):
    _, _, k, ref, with_cov, no_cov, cat = world
    runner = CliRunner()
    for f, has_cov in ((with_cov, True), (no_cov, False)):
        res = runner.invoke(app, ["screen", "--catalog", str(cat), "--ephemeris", str(f),
                                  "--json"])  # fmt: skip
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout.strip().splitlines()[-1])
        (p,) = out["primaries"]
        assert p["own_element_set_excluded"] and p["events"] == len(ref)
        for e in out["ephemeris_events"]:
            if has_cov:
                assert e["pc"] is not None and 0.0 <= e["pc"] <= 1.0
                # auto by default: the method, why, and the validity flags pc computes
                assert e["pc_method"] and "2-D Pc" in e["pc_reason"]
                assert "violations_2d" in e["flags"] and "pc_2d" in e["flags"]
            else:
                assert e["pc"] is None and "no covariance" in e["pc_reason"]


def test_a_segment_boundary_is_never_interpolated_across(world):
    """A planned manoeuvre splits an OEM into segments; interpolating across the boundary
    would blend two orbits."""
    from spacerange.conjunction.ephemeris_screening import HermiteEphemeris

    t = np.datetime64("2023-10-09T00:00", "us") + np.arange(3) * np.timedelta64(60, "s")
    eph = HermiteEphemeris(t, np.zeros((3, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="outside"):
        eph(np.array([t[-1] + np.timedelta64(1, "s")]))


def test_numerical_primary_propagator(world):
    """--primary-propagator numerical screens a catalog object's Cowell ephemeris (EGM96
    8x8, drag, SRP, Sun, Moon) from its SGP4 state at --start; over 3 h the high-fidelity
    orbit stays within a few km of SGP4, so it meets the same neighbours at nearly the same
    times."""
    _, tles, k, ref, _, _, cat = world
    from spacerange.catalog.tle import parse_tle_file

    nid = parse_tle_file(cat)[0][k].norad_id
    runner = CliRunner()
    res = runner.invoke(app, ["screen", "--catalog", str(cat), "--primary", str(nid),
                              "--primary-propagator", "numerical", "--start",
                              "2023-10-09T00:41:00Z", "--span", "3h", "--threshold", "10km",
                              "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["primaries"][0]["source"] == "numerical"
    early = [r for r in ref if (r[1] - np.datetime64("2023-10-09T00:41")) < np.timedelta64(3, "h")]
    got = out["ephemeris_events"]
    for j, t, _ in early:
        near = [
            e
            for e in got
            if abs((np.datetime64(e["tca_utc"][:-1]) - t) / np.timedelta64(1, "s")) < 5
        ]
        assert near, f"event with catalog object #{j} at {t} not found"


def test_ocm_reader_on_the_ccsds_examples(shared_data):
    """OCMExample1 (CCSDS 502.0-B-3 annex): relative and absolute time tags, ITRF2000."""
    from spacerange.ccsds.ocm import read_ocm

    ocm = read_ocm(shared_data / "ccsds" / "odm" / "ocm" / "OCMExample1.txt")
    (tr,) = ocm.trajectories
    assert tr.ref_frame == "ITRF2000" and len(tr.epochs_utc) == 4
    assert tr.epochs_utc[0] == np.datetime64("1998-12-18T14:28:15.117200")
    assert tr.epochs_utc[1] == np.datetime64("1998-12-18T14:28:25.117200")
    assert tr.epochs_utc[3] == np.datetime64("1998-12-18T14:36:35.117200")
    assert np.allclose(tr.r_km[3], [2164.375, 1115.811, -688.131])
    assert np.allclose(tr.v_km_s[0], [4.73, -2.50, -1.04])
    from spacerange.errors import ParseError

    with pytest.raises(ParseError, match="EPOCH_TZERO"):
        read_ocm(shared_data / "ccsds" / "odm" / "ocm" / "OCM-missing-t0.txt")


def test_ocm_with_two_trajectory_blocks_screens_like_the_oem(world, tmp_path):
    """The same trajectory as an OCM split in two TRAJ blocks (as at a manoeuvre), in metres
    with relative time tags, with an RTN covariance: the same events as the OEM."""
    _, tles, k, ref, with_cov, _, _ = world
    from spacerange.ccsds import read_oem
    from spacerange.conjunction.ephemeris_screening import primaries_from_file

    seg = read_oem(with_cov)[0].segments[0]
    t0 = seg.epochs[0]
    half = len(seg.epochs) // 2
    lines = ["CCSDS_OCM_VERS = 3.0", "CREATION_DATE = 2023-10-09T00:00:00",
             "ORIGINATOR = TEST", "META_START", "OBJECT_NAME = OWNER-SAT",
             "TIME_SYSTEM = UTC", f"EPOCH_TZERO = {str(t0)}", "META_STOP"]  # fmt: skip
    for a, b in ((0, half + 1), (half, len(seg.epochs))):
        lines += ["TRAJ_START", "CENTER_NAME = EARTH", "TRAJ_REF_FRAME = GCRF",
                  "TRAJ_TYPE = CARTPV", "TRAJ_UNITS = [m,m,m,m/s,m/s,m/s]"]  # fmt: skip
        for i in range(a, b):
            dt = (seg.epochs[i] - t0) / np.timedelta64(1, "s")
            vals = np.concatenate([seg.r_km[i], seg.v_km_s[i]]) * 1e3
            lines.append(f"{dt:.3f} " + " ".join(f"{x:.6f}" for x in vals))
        lines.append("TRAJ_STOP")
    tri = np.diag([0.02, 0.1, 0.02, 1e-8, 1e-8, 1e-8])[np.tril_indices(6)]
    lines += ["COV_START", "COV_REF_FRAME = RTN", "COV_TYPE = CARTPV", "COV_ORDERING = LTM",
              "0.0 " + " ".join(f"{x:.10g}" for x in tri), "COV_STOP"]  # fmt: skip
    f = tmp_path / "owner.ocm"
    f.write_text("\n".join(lines) + "\n")
    (prim,) = primaries_from_file(f)
    assert len(prim.segments) == 2 and len(prim.covariances) == 1
    ev = screen_ephemeris(prim, tles, 5.0, exclude=[k])
    got = sorted(zip(ev.j.tolist(), ev.tca_utc, ev.miss_km, strict=True))
    assert [g[0] for g in got] == [r[0] for r in ref]
    for (_, t, m), (_, tr, mr) in zip(got, ref, strict=True):
        assert abs((t - tr) / np.timedelta64(1, "ms")) < 20 and abs(m - mr) < 0.005
