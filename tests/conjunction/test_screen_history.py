"""Successive screenings of an updated catalog (issue 13 item 4, issue 17 items 1 and 4).

A small synthetic catalog is screened, then a second version of it (every object's mean
anomaly moved by up to 0.002 deg, ~250 m along-track in LEO, as an orbit update would)
is screened over the same window into the same CDM directory.  Checked end to end from the
CLI: every event and CDM states the Pc method (``auto`` by default), its reason and the
validity flags ``spacerange pc`` computes on the same CDM; the CDMs keep the event's
identity (``CONJUNCTION_ID`` stable, ``MESSAGE_ID`` unique, ``PREVIOUS_MESSAGE_ID`` the
first screening's message); ``spacerange events`` groups the two screenings, whether given
the CDM directory, the events tables or the saved ``screen --json`` outputs, into one
event per pair and TCA with both records and the trend of the table values.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spacerange.ccsds import read_cdm
from spacerange.cli.app import app
from spacerange.conjunction.cdm_identity import comment_values, conjunction_id
from spacerange.conjunction.cdm_pc import ccsds_pc_method

START = "2023-10-09T01:00Z"


def _cli(*args: str) -> dict:
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from spacerange.catalog.synth import synthesize
    from spacerange.catalog.tle import format_tle

    d = tmp_path_factory.mktemp("history")
    pop = synthesize(300, 3)
    rng = np.random.default_rng(1)
    v1 = "\n".join(f"{e.line1}\n{e.line2}" for e in pop.elsets)
    moved = [dataclasses.replace(e, mean_anomaly_deg=(e.mean_anomaly_deg
                                                      + rng.uniform(-0.002, 0.002)) % 360)
             for e in pop.elsets]  # fmt: skip
    v2 = "\n".join("\n".join(format_tle(e)) for e in moved)
    out = {}
    for name, text in (("v1", v1), ("v2", v2)):
        (d / f"{name}.tle").write_text(text + "\n")
        doc = _cli("screen", "--catalog", str(d / f"{name}.tle"), "--start", START, "--span",
                   "3h", "--threshold", "20km", "--hbr", "200", "--cdm-dir", str(d / "cdms"),
                   "--out", str(d / f"{name}.json"))  # fmt: skip
        (d / f"screen_{name}.json").write_text(json.dumps(doc))
        out[name] = doc
    assert out["v1"]["events"] >= 5 and out["v1"]["events"] == out["v2"]["events"]
    return d, out


def _rows(path):
    return json.loads(path.read_text())["events"]


def _row(rows: list[dict], event: dict) -> dict:
    """The table row of ``event`` (same pair, nearest TCA)."""
    key = (event["norad_id_1"], event["norad_id_2"])
    t = np.datetime64(event["tca_utc"][:-1], "us")
    same = [r for r in rows if (r["norad_id_1"], r["norad_id_2"]) == key]
    return min(same, key=lambda r: abs(np.datetime64(r["tca_utc"][:-1], "us") - t))


def test_events_state_the_auto_method_reason_and_flags(runs):
    d, _ = runs
    for row in _rows(d / "v1.json"):
        assert row["pc_method"] == "foster-2d"  # 2-D valid for these fast encounters ...
        assert row["pc_reason"].startswith("2-D Pc valid: no usage violation")  # ... said so
        assert row["violations_2d"] == "" and "V_o=" in row["usage_2d"]
        assert row["nc3d"] is None and row["pc_2d"] == row["pc"]
        assert row["creation_utc"].endswith("Z") and row["sigma_m"] > 0


def test_cdms_carry_the_flags_pc_computes(runs):
    d, _ = runs
    files = sorted((d / "cdms").glob("*.cdm"))
    res = _cli("pc", *map(str, files))["results"]
    assert len(res) == len(files)
    for f, r in zip(files, res, strict=True):
        text = f.read_text()
        assert text.startswith("CCSDS_CDM_VERS")  # no COMMENT before the version line
        vals = comment_values(read_cdm(f)[0])
        assert vals["PC_METHOD"] == r["method"]
        assert vals["PC_REASON"].split(" (")[0] == r["reason"].split(" (")[0]
        steps = r["flags"]["steps"]
        assert vals["VIOLATIONS_2D"] == (", ".join(steps["violations_2d"]) or "none")
        assert float(vals["PC_2D"]) == pytest.approx(steps["pc_2d"], rel=1e-4, abs=1e-300)
        rel = read_cdm(f)[0].relative
        assert rel["COLLISION_PROBABILITY_METHOD"] == ccsds_pc_method(r["method"])


def test_cdm_identity_across_screenings(runs):
    d, out = runs
    cdms = [(f, read_cdm(f)[0]) for f in sorted((d / "cdms").glob("*.cdm"))]
    assert len(cdms) == out["v1"]["cdms"] + out["v2"]["cdms"]  # the second run adds files
    ids = [c.header["MESSAGE_ID"] for _, c in cdms]
    assert len(set(ids)) == len(ids)
    assert all(f.stem == c.header["MESSAGE_ID"] for f, c in cdms)
    by_event: dict[str, list] = {}
    for _, c in cdms:
        by_event.setdefault(comment_values(c)["CONJUNCTION_ID"], []).append(c)
    assert len(by_event) == out["v1"]["events"]
    for cid, pair in by_event.items():
        first, second = sorted(pair, key=lambda c: c.header["CREATION_DATE"])
        d1 = first.object1.metadata["OBJECT_DESIGNATOR"]
        d2 = first.object2.metadata["OBJECT_DESIGNATOR"]
        assert cid == conjunction_id(d1, d2, first.tca)
        assert "PREVIOUS_MESSAGE_ID" not in comment_values(first)
        assert comment_values(second)["PREVIOUS_MESSAGE_ID"] == first.header["MESSAGE_ID"]
        assert abs((second.tca - first.tca) / np.timedelta64(1, "s")) < 5.0


def test_conjunction_id_convention():
    t = np.datetime64("2023-10-09T12:00:29.9", "us")
    assert conjunction_id("49044", "25544", t) == "SR-25544-49044-20231009T1200Z"
    assert conjunction_id(25544, 49044, t + np.timedelta64(200, "ms")) == (
        "SR-25544-49044-20231009T1201Z"
    )


@pytest.mark.parametrize("inputs", ["cdms", "tables", "saved_json", "everything"])
def test_events_group_successive_screenings(runs, inputs):
    d, out = runs
    args = {
        "cdms": [d / "cdms"],
        "tables": [d / "v2.json", d / "v1.json"],
        "saved_json": [d / "screen_v1.json", d / "screen_v2.json"],
        "everything": [d / "cdms", d / "v1.json", d / "screen_v2.json"],
    }[inputs]
    doc = _cli("events", *map(str, args))
    assert doc["errors"] == []
    evs = doc["events"]
    assert len(evs) == out["v1"]["events"]
    assert all(e["n_records"] == 2 for e in evs)
    for e in evs:
        a, b = (_row(_rows(d / f"{v}.json"), e) for v in ("v1", "v2"))
        first, last = e["history"]
        assert first["creation_utc"] < last["creation_utc"]
        assert first["miss_m"] == pytest.approx(a["miss_m"], rel=1e-6)
        assert last["miss_m"] == pytest.approx(b["miss_m"], rel=1e-6)
        assert e["latest"]["miss_m"] == last["miss_m"] and e["latest"]["reason"]
        assert "violations_2d" in e["latest"]["flags"]
        if a["pc"] and b["pc"]:
            ratio = b["pc"] / a["pc"]
            want = "rising" if ratio > 2 else "falling" if ratio < 0.5 else "steady"
            if inputs != "cdms":  # the CDMs' Pc is recomputed, the same to ~1e-9
                assert e["trend"]["pc"] == want
    if inputs == "everything":  # a CDM and the table row of the same run are one record
        assert {h["source"] for e in evs for h in e["history"]} == {"cdm"}


def test_events_reports_unusable_inputs(runs, tmp_path):
    d, _ = runs
    (tmp_path / "other.json").write_text(json.dumps({"something": 1}))
    res = CliRunner().invoke(app, ["events", str(d / "v1.json"), str(tmp_path / "other.json"),
                                   str(tmp_path / "missing.cdm"), "--json"])  # fmt: skip
    doc = json.loads(res.stdout)
    assert res.exit_code == 0 and len(doc["events"]) > 0
    assert {e["file"].split("/")[-1] for e in doc["errors"]} == {"other.json", "missing.cdm"}


@pytest.mark.slow
def test_flags_of_a_3d_case_in_a_written_cdm(shared_data, tmp_path):
    """Omitron 3DNc case (HBR 20 m; CARA Pc2D 2.2660816e-20, Pc3D 1.9271201e-5): the
    comments of a CDM written for it carry auto's choice (3-D Nc), its value and both
    sets of validity flags, and ``COLLISION_PROBABILITY_METHOD`` names the 3-D method."""
    from spacerange.conjunction.cdm_identity import flag_comments
    from spacerange.conjunction.cdm_pc import cdm_inertial_states_km, event_to_cdm, pc_from_cdm
    from spacerange.conjunction.multistep import validity_flags

    src = read_cdm(shared_data / "pc" / "cdm_3d" / "OmitronTestCase_Test08_3DNc.cdm")[0]
    res = pc_from_cdm(src, "auto", 20.0)
    flags = validity_flags(res.flags)
    assert res.method == "nc3d-hall-2021" and res.pc == pytest.approx(1.9271201e-5, rel=1e-2)
    assert flags["pc_2d"] == pytest.approx(2.2660816e-20, rel=1e-3)
    assert flags["violations_2d"] and flags["violations_3d"] == []
    s1, s2, _, _ = cdm_inertial_states_km(src)
    cdm = event_to_cdm(src.tca, s1, s2, src.object1.covariance_rtn_6x6(),
                       src.object2.covariance_rtn_6x6(), {"designator": "1"},
                       {"designator": "2"}, pc=res.pc, pc_method=res.method, hbr_m=20.0,
                       comments=flag_comments(res.method, res.flags["reason"], flags))  # fmt: skip
    from spacerange.ccsds import write_cdm

    back = read_cdm(write_cdm(cdm, tmp_path / "x.cdm"))[0]
    vals = comment_values(back)
    assert back.relative["COLLISION_PROBABILITY_METHOD"] == "HALL-2021"
    assert vals["PC_METHOD"] == "nc3d-hall-2021" and vals["VIOLATIONS_3D"] == "none"
    assert vals["VIOLATIONS_2D"] == ", ".join(flags["violations_2d"])
    assert float(vals["NC3D"]) == pytest.approx(res.pc, rel=1e-5)
    assert "3-D Nc valid" in vals["PC_REASON"]
    # and `pc` on the written CDM computes the same flags
    again = pc_from_cdm(back, "auto")
    assert again.method == res.method and again.pc == pytest.approx(res.pc, rel=1e-4)
