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


def test_grouping_follows_the_latest_tca_to_the_microsecond():
    """A record joins the event whose latest TCA is within the tolerance (inclusive); the
    event's TCA moves with each record (a drifting TCA stays one event); a NaT TCA joins
    nothing.  A pair screened every hour over days holds many events: grouping it is one
    pass over the records (integers, not datetime scalars)."""
    import numpy as np

    from spacerange.conjunction.event_history import CdmRecord, group_events

    t0 = np.datetime64("2026-03-04T00:00:00", "us")

    def rec(k, tca_s, created_h):
        tca = t0 + np.timedelta64(int(round(tca_s * 1e6)), "us")
        return CdmRecord("f", k, "A", "B", tca, t0 + np.timedelta64(created_h, "h"), 1e-5, "2d",
                         100.0, 50.0)  # fmt: skip

    tol = 600.0
    evs = group_events([rec(0, 3600.0, 0), rec(1, 3600.0 + tol, 1), rec(2, 3600.0 + 2 * tol, 2),
                        rec(3, 3600.0 + 3 * tol + 1e-6, 3)], tol)  # fmt: skip
    assert [[r.index for r in e.records] for e in evs] == [[0, 1, 2], [3]]
    nat = CdmRecord("f", 9, "A", "B", np.datetime64("NaT", "us"), t0, 1e-5, "2d", 1.0, 1.0)
    assert len(group_events([rec(0, 3600.0, 0), nat], tol)) == 2
    # one event per orbit of a co-orbiting pair, re-screened every hour for four days
    many = [rec(k, 5400.0 * (k % 60), k // 60) for k in range(6000)]
    evs = group_events(many, tol)
    assert len(evs) == 60 and all(len(e.records) == 100 for e in evs)
