"""``spacerange export``: CZML and KML of objects and screening events (issue 17), checked
against skyfield's independent SGP4 + GCRS/geodetic conversion."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from skyfield.api import EarthSatellite, load, wgs84
from typer.testing import CliRunner

from spacerange.cli.app import app

runner = CliRunner()


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    from spacerange.catalog.synth import synthesize

    tmp = tmp_path_factory.mktemp("export")
    pop = synthesize(1500, 3)
    tle = tmp / "s.tle"
    tle.write_text("\n".join(f"{e.line1}\n{e.line2}" for e in pop.elsets) + "\n")
    ev = tmp / "ev.json"
    res = runner.invoke(app, ["screen", "--catalog", str(tle), "--span", "6h", "--out", str(ev),
                              "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = json.loads(ev.read_text())["events"]
    assert rows
    lines = {e.norad_id: (e.line1, e.line2) for e in pop.elsets}
    return tmp, tle, ev, rows, lines


def _export(tmp, tle, ev, name):
    out = tmp / name
    res = runner.invoke(app, ["export", "--catalog", str(tle), "--events", str(ev), "--out",
                              str(out), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    return out, json.loads(res.stdout.strip().splitlines()[-1])


def test_czml_positions_match_skyfield(screened):
    tmp, tle, ev, rows, lines = screened
    out, meta = _export(tmp, tle, ev, "x.czml")
    doc = json.loads(out.read_text())
    assert doc[0]["id"] == "document" and doc[0]["version"] == "1.0"
    objs = [p for p in doc if p["id"].startswith("object-")]
    events = [p for p in doc if p["id"].startswith("event-")]
    assert len(events) == len(rows) == meta["events"] and objs
    ts = load.timescale(builtin=True)
    for p in objs[:5]:
        nid = int(p["id"].split("-")[1])
        sat = EarthSatellite(*lines[nid], ts=ts)
        epoch = np.datetime64(p["position"]["epoch"].rstrip("Z"))
        s = np.array(p["position"]["cartesian"]).reshape(-1, 4)
        for t_s, *xyz in s[:: max(1, len(s) // 5)]:
            t = (epoch + np.timedelta64(int(t_s * 1e6), "us")).astype(object)
            want = sat.at(ts.utc(t.year, t.month, t.day, t.hour, t.minute,
                                 t.second + t.microsecond / 1e6)).position.km  # fmt: skip
            assert np.linalg.norm(np.array(xyz) / 1e3 - want) < 1e-3  # 1 m
        assert p["position"]["referenceFrame"] == "INERTIAL"


def test_kml_tracks_and_event_points(screened):
    tmp, tle, ev, rows, lines = screened
    out, meta = _export(tmp, tle, ev, "x.kml")
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    root = ET.parse(out).getroot()
    tracks = root.findall(".//k:LineString/k:coordinates", ns)
    assert tracks
    for c in tracks:
        lon = np.array([float(x.split(",")[0]) for x in c.text.split()])
        assert np.all(np.abs(np.diff(lon)) < 180.0)  # split at the antimeridian
    points = root.findall(".//k:Placemark[k:Point]", ns)
    assert len(points) == len(rows)
    ts = load.timescale(builtin=True)
    pm = points[0]
    when = pm.find(".//k:when", ns).text
    lon, lat = (float(x) for x in pm.find(".//k:coordinates", ns).text.split(",")[:2])
    first = next(r for r in rows if r["tca_utc"].startswith(when[:19]))
    sat = EarthSatellite(*lines[first["norad_id_1"]], ts=ts)
    t = np.datetime64(when.rstrip("Z")).astype(object)
    sub = wgs84.subpoint_of(sat.at(ts.utc(t.year, t.month, t.day, t.hour, t.minute,
                                          t.second + t.microsecond / 1e6)))  # fmt: skip
    assert abs(sub.latitude.degrees - lat) < 1e-3 and abs(sub.longitude.degrees - lon) < 1e-3


def test_export_refuses_unknown_formats(screened):
    tmp, tle, ev, _, _ = screened
    res = runner.invoke(app, ["export", "--catalog", str(tle), "--out", str(tmp / "x.txt"),
                              "--json"])  # fmt: skip
    assert res.exit_code != 0 and ".czml" in json.loads(res.stdout)["error"]
