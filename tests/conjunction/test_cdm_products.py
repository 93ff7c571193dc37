"""CDMs written by ``screen`` follow CCSDS 508.0-B-1 (issue 17 item 4): the version keyword
first, the keywords of each block in the standard's order (tables 3-1 to 3-4), the
screening volume and the entry/exit times present, and the files read back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spacerange.ccsds import read_cdm
from spacerange.cli.app import app

# CCSDS 508.0-B-1 table 3-2 (relative metadata/data), in the standard's order.
RELATIVE_ORDER = [
    "TCA", "MISS_DISTANCE", "RELATIVE_SPEED",
    "RELATIVE_POSITION_R", "RELATIVE_POSITION_T", "RELATIVE_POSITION_N",
    "RELATIVE_VELOCITY_R", "RELATIVE_VELOCITY_T", "RELATIVE_VELOCITY_N",
    "START_SCREEN_PERIOD", "STOP_SCREEN_PERIOD", "SCREEN_VOLUME_FRAME", "SCREEN_VOLUME_SHAPE",
    "SCREEN_VOLUME_X", "SCREEN_VOLUME_Y", "SCREEN_VOLUME_Z", "SCREEN_ENTRY_TIME",
    "SCREEN_EXIT_TIME", "COLLISION_PROBABILITY", "COLLISION_PROBABILITY_METHOD",
]  # fmt: skip
HEADER_ORDER = ["CCSDS_CDM_VERS", "CREATION_DATE", "ORIGINATOR", "MESSAGE_FOR", "MESSAGE_ID"]


@pytest.fixture(scope="module")
def cdm_files(tmp_path_factory):
    from spacerange.catalog.synth import synthesize

    tmp = tmp_path_factory.mktemp("cdms")
    pop = synthesize(1500, 3)
    tle = tmp / "synth.tle"
    tle.write_text("\n".join(f"{e.line1}\n{e.line2}" for e in pop.elsets) + "\n")
    res = CliRunner().invoke(
        app,
        ["screen", "--catalog", str(tle), "--span", "6h", "--threshold", "2x25x25km",
         "--cdm-dir", str(tmp / "out"), "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    files = sorted((tmp / "out").glob("*.cdm"))
    assert files, json.loads(res.stdout.strip().splitlines()[-1])
    return files[:20]


def _keys(text: str) -> list[str]:
    return [ln.split("=")[0].strip() for ln in text.splitlines() if "=" in ln]


def test_keyword_order_follows_the_standard(cdm_files):
    for f in cdm_files:
        keys = _keys(f.read_text())
        assert keys[0] == "CCSDS_CDM_VERS" and f.read_text().startswith("CCSDS_CDM_VERS")
        head = [k for k in keys[: keys.index("TCA")] if k in HEADER_ORDER]
        assert head == [k for k in HEADER_ORDER if k in head]
        rel = [k for k in keys[keys.index("TCA") : keys.index("OBJECT")] if k != "COMMENT"]
        assert rel == [k for k in RELATIVE_ORDER if k in rel], rel
        assert set(RELATIVE_ORDER) - {"COLLISION_PROBABILITY"} <= set(rel)


def test_screen_volume_and_entry_exit(cdm_files):
    for f in cdm_files:
        cdm = read_cdm(f)[0]
        r = cdm.relative
        assert (r["SCREEN_VOLUME_FRAME"], r["SCREEN_VOLUME_SHAPE"]) == ("RTN", "ELLIPSOID")
        assert (r["SCREEN_VOLUME_X"], r["SCREEN_VOLUME_Y"], r["SCREEN_VOLUME_Z"]) == (
            2000.0,
            25000.0,
            25000.0,
        )
        assert r["SCREEN_ENTRY_TIME"] <= r["TCA"] <= r["SCREEN_EXIT_TIME"]
        # straight-line crossing of a 25 km ellipsoid at km/s: seconds, not hours
        dur = (r["SCREEN_EXIT_TIME"] - r["SCREEN_ENTRY_TIME"]) / np.timedelta64(1, "s")
        assert 0.0 < dur < 3600.0


def test_pc_default_covariance_accepts_an_absent_covariance_block(shared_data):
    """Before: 'missing mandatory keyword CR_R' even with --default-covariance."""
    f = shared_data / "ccsds" / "cdm" / "CDM-missing-object1-covariance-block.xml"
    runner = CliRunner()
    strict = json.loads(runner.invoke(app, ["pc", str(f), "--json"]).stdout)["results"][0]
    assert "CR_R" in strict["error"] and strict["line"] > 0
    res = runner.invoke(app, ["pc", str(f), "--default-covariance", "--json"])
    out = json.loads(res.stdout)["results"][0]
    assert "error" not in out, out
    assert 0.0 <= out["pc"] <= 1.0
    assert any("default TLE covariance" in w for w in out["warnings"])


def test_a_partial_covariance_block_is_still_an_error(tmp_path, shared_data):
    src = (shared_data / "pc" / "sample_cdms" / "AlfanoTestCase01.cdm").read_text()
    lines = [ln for ln in src.splitlines() if not ln.startswith("CT_R")]
    bad = tmp_path / "partial.cdm"
    bad.write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(app, ["pc", str(bad), "--default-covariance", "--json"])
    err = json.loads(res.stdout)["results"][0]
    assert "incomplete" in err["error"] and "CT_R" in err["error"] and err["line"] > 0
