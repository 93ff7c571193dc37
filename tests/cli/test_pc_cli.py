"""``spacerange pc``: the JSON contract, per-file errors and exit codes.

Reference values: Alfano (2009) Pc2D of case 1, 0.146749549 (shared/data/SOURCES.md).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from spacerange.cli.app import app

ALFANO_CASE1_PC = 0.146749549
CONTRACT_KEYS = {"file", "pc", "method", "miss_m", "warnings"}

runner = CliRunner()


def _json(result) -> dict:
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected exactly one JSON line on stdout, got {result.stdout!r}"
    obj = json.loads(lines[0])
    assert isinstance(obj, dict)
    return obj


@pytest.fixture(scope="module")
def files(shared_data):
    return {
        "alfano1": shared_data / "pc" / "sample_cdms" / "AlfanoTestCase01.cdm",
        "missing_tca": shared_data / "ccsds" / "cdm" / "CDM-missing-TCA.txt",
        "ccsds_xml": shared_data / "ccsds" / "cdm" / "CDMExample1.xml",
        "wrong_cov": shared_data / "ccsds" / "cdm" / "CDM-covariance-wrong-entry-format.txt",
    }


def test_json_contract_with_a_bad_file(files):
    res = runner.invoke(
        app, ["pc", str(files["alfano1"]), str(files["missing_tca"]), str(files["ccsds_xml"]),
              "--method", "foster", "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = _json(res)
    assert set(out) == {"results"}
    good, bad, xml = out["results"]
    assert CONTRACT_KEYS <= set(good)
    assert good["file"] == str(files["alfano1"])
    assert good["method"] == "foster-2d"
    assert good["pc"] == pytest.approx(ALFANO_CASE1_PC, rel=1e-3)
    assert good["hbr_m"] == 15.0 and good["hbr_source"] == "cdm:COMMENT HBR"
    assert good["tca_utc"].startswith("2000-01-01T00:00:00")
    assert any("relative speed" in w for w in good["warnings"])
    assert good["flags"]["low_relative_speed"] is True
    # the malformed file: an error entry naming file, line and the missing keyword
    assert bad["file"] == str(files["missing_tca"])
    assert "pc" not in bad
    assert bad["file"] == str(files["missing_tca"])
    assert bad["line"] > 0
    assert "TCA" in bad["error"] and "missing" in bad["error"]
    # the CCSDS example: miss 715 m (published, rounded)
    assert xml["miss_m"] == pytest.approx(715.0, abs=1.0)


def test_every_file_failed_exits_nonzero(files):
    res = runner.invoke(app, ["pc", str(files["missing_tca"]), str(files["wrong_cov"]), "--json"])
    assert res.exit_code == 1
    out = _json(res)
    assert [e["file"] for e in out["results"]] == [str(files["missing_tca"]),
                                                   str(files["wrong_cov"])]  # fmt: skip
    assert all("error" in e for e in out["results"])


def test_hbr_override_and_methods(files):
    res = runner.invoke(
        app, ["pc", str(files["ccsds_xml"]), "--hbr", "54.58", "--method", "foster", "--json"]
    )
    assert res.exit_code == 0, res.output
    (e,) = _json(res)["results"]
    assert e["hbr_source"] == "override" and e["hbr_m"] == 54.58
    # CCSDS 508.0-B-1 example: Pc 4.835e-5 (Foster 1992) with the HBR it implies
    assert e["pc"] == pytest.approx(4.835e-5, rel=1e-3)
    for method, prefix in (("chan", "chan"), ("max", "max"), ("mc", "monte-carlo")):
        res = runner.invoke(app, ["pc", str(files["alfano1"]), "--method", method,
                                  "--samples", "2000", "--json"])  # fmt: skip
        assert res.exit_code == 0, res.output
        (e,) = _json(res)["results"]
        assert e["method"].startswith(prefix)


def test_usage_errors_are_one_json_object(files):
    res = runner.invoke(app, ["pc", str(files["alfano1"]), "--method", "bogus", "--json"])
    assert res.exit_code == 1
    assert "bogus" in _json(res)["error"]
    res = runner.invoke(app, ["pc", str(files["alfano1"]), "--hbr", "-3", "--json"])
    assert res.exit_code == 1
    assert "--hbr" in _json(res)["error"]


def test_missing_file_is_an_error_entry(files, tmp_path):
    ghost = tmp_path / "nope.cdm"
    res = runner.invoke(app, ["pc", str(ghost), str(files["alfano1"]), "--json"])
    assert res.exit_code == 0
    ghost_entry, good = _json(res)["results"]
    assert ghost_entry["file"] == str(ghost) and "error" in ghost_entry
    assert "pc" in good


def test_human_table(files):
    res = runner.invoke(
        app, ["pc", str(files["alfano1"]), str(files["missing_tca"]), "--method", "foster"]
    )
    assert res.exit_code == 0
    assert "Collision probability" in res.stdout
    assert "0.147" in res.stdout
    assert "TCA" in res.stderr and "CDM-missing-TCA.txt" in res.stderr
