"""Conjunction event histories from successive CDMs (Alfano 2009 sample CDMs, edited copies).

The first CDM of an event is CARA's AlfanoTestCase03.cdm; an "update" of the same pair has
a later CREATION_DATE, a TCA 1 s later and a larger HBR (so a higher Pc); a second pair
(case 5) is a separate event.  The trends are checked against the 2-D Pc values published
by Alfano (0.100351176 for case 3) and the larger-HBR recomputation.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from spacerange.cli.app import app


def _edit(text: str, **kv: str) -> str:
    out = []
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        if key in kv:
            line = f"{key:35s}= {kv[key]}"
        out.append(line)
    return "\n".join(out) + "\n"


def test_events_group_successive_cdms(shared_data, tmp_path):
    src = (shared_data / "pc" / "sample_cdms" / "AlfanoTestCase03.cdm").read_text()
    (tmp_path / "a.cdm").write_text(src)
    (tmp_path / "b.cdm").write_text(_edit(src, CREATION_DATE="2000-01-01T06:00:00.000",
                                          MESSAGE_ID="A09_case_03_update",
                                          TCA="2000-01-01T00:00:01.000",
                                          **{"COMMENT HBR": "30.0"}))  # fmt: skip
    # a later pass of the same pair (TCA a day later) is another event
    (tmp_path / "c.cdm").write_text(_edit(src, TCA="2000-01-02T00:00:00.000",
                                          MESSAGE_ID="A09_case_03_next_day"))  # fmt: skip
    other = (shared_data / "pc" / "sample_cdms" / "AlfanoTestCase05.cdm").read_text()
    (tmp_path / "d.cdm").write_text(other)
    (tmp_path / "bad.cdm").write_text("not a CDM\n")
    files = sorted(str(p) for p in tmp_path.iterdir())
    res = CliRunner().invoke(app, ["events", *files, "--method", "foster", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out["errors"]) == 1 and out["errors"][0]["file"].endswith("bad.cdm")
    evs = {e["event_id"]: e for e in out["events"]}
    assert len(evs) == 3
    ev = next(e for e in evs.values() if e["n_records"] == 2)
    assert ev["object_id_1"] == "3001" and ev["norad_id_1"] == 3001
    assert ev["latest"]["message_id"] == "A09_case_03_update"
    first, last = ev["history"]
    assert first["pc"] == pytest.approx(0.100351176, rel=2e-4)
    assert last["pc"] > 2 * first["pc"]
    assert ev["trend"] == {"pc": "rising", "miss": "steady", "covariance": "steady"}
