"""Network, tasking, TDM output, bad-input screening and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spacerange.ccsds.tdm import read_tdm, write_tdm
from spacerange.sensors.base import Measurements, Site
from spacerange.sensors.measurements import check_tdm, measurements_to_tdm
from spacerange.sensors.network import observe
from spacerange.sensors.radar import TrackingRadar
from spacerange.sensors.sites import bundled_entries, load_network, public_network
from spacerange.sensors.tasking import schedule
from spacerange.sensors.visibility import Passes
from spacerange.timescales import parse_utc, time_grid

ISS = (
    "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082",
    "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473",
)
# Illustrative Hubble-like element set (checksums valid; not an archived TLE).
HST = (
    "1 20580U 90037B   14020.88319794  .00001185  00000-0  75722-4 0  9992",
    "2 20580  28.4695 206.3218 0002817 130.3522 319.8006 15.06934866 75363",
)


def test_bundled_network_has_about_30_cited_sites():
    entries = bundled_entries()
    assert len(entries) >= 30
    assert {e["kind"] for e in entries} == {"tracking_radar", "survey_radar", "optical"}
    for e in entries:
        assert e["source"] and -90 <= e["lat_deg"] <= 90 and -180 <= e["lon_deg"] <= 180
    assert len({e["id"] for e in entries}) == len(entries)
    assert len(public_network()) == len(entries)


def test_load_network_rejects_bad_entries_and_keeps_the_rest(tmp_path):
    f = tmp_path / "net.json"
    f.write_text(json.dumps({"sites": [
        "TIRA", "NOPE",
        {"id": "X", "kind": "optical", "lat_deg": "north", "lon_deg": 0},
        {"id": "Y", "kind": "laser", "lat_deg": 1, "lon_deg": 0},
        {"id": "Z", "kind": "tracking_radar", "lat_deg": 10, "lon_deg": 20,
         "radar": {"snr_ref_db": 40}},
    ]}))  # fmt: skip
    sensors, rejects = load_network(f)
    assert [s.sensor_id for s in sensors] == ["TIRA", "Z"]
    text = " | ".join(str(r) for r in rejects)
    assert "unknown sensor id 'NOPE'" in text and "'lat_deg' must be a number" in text
    assert "unknown kind 'laser'" in text


def _passes(site, obj, i_first, i_last):
    n = len(obj)
    t = np.zeros(n, dtype="datetime64[us]")
    return Passes(np.array(site), np.array(obj), t, t, t, np.zeros(n), np.array(i_first),
                  np.array(i_last))  # fmt: skip


def test_tasking_capacity_and_priorities():
    times = time_grid(parse_utc("2023-10-09T00:00:00Z"), 7200.0, 60.0)
    s = TrackingRadar("R", Site("R", 0, 0), max_tracks_per_hour=2, max_concurrent=1)
    # Objects 0..3; passes 0 and 1 overlap; all in the first hour; one in the second hour.
    p = _passes([0] * 5, [0, 1, 2, 3, 0], [0, 5, 20, 40, 70], [10, 15, 30, 50, 80])
    ids = np.array([100, 200, 300, 400])
    chosen = schedule(p, [s], ids, times, priorities=[200])
    # Priority 200 first (pass 1), pass 0 overlaps it -> refused; then the hour holds 2.
    assert chosen.tolist() == [False, True, True, False, True]


def test_observe_and_tdm_round_trip(tmp_path):
    times = time_grid(parse_utc("2014-01-23T00:00:00Z"), 6 * 3600.0, 30.0)
    net = [s for s in public_network() if s.kind != "optical"][:12]
    run = observe([ISS, HST], [25544, 20580], net, times, names=["ISS (ZARYA)", "HST"],
                  seed=3, workers=1)  # fmt: skip
    summ = run.summary()
    assert summ["passes"] > 0 and summ["measurements"] > 0
    assert summ["measurements"] == sum(summ["measurements_per_kind"].values())
    tdm = measurements_to_tdm(run.measurements)
    path = tmp_path / "obs.tdm"
    write_tdm(tdm, path)
    back = read_tdm(path)[0]
    assert len(back.segments) == len(tdm.segments)
    pairs = {(s.metadata["PARTICIPANT_1"], s.metadata["PARTICIPANT_2"]) for s in back.segments}
    assert len(pairs) == len(back.segments)  # one segment per (sensor, object)
    seg = back.segments[0]
    assert seg.metadata["RANGE_UNITS"] == "km" and seg.metadata["ANGLE_TYPE"] == "AZEL"
    assert set(seg.keywords) >= {"RANGE", "DOPPLER_INSTANTANEOUS", "ANGLE_1", "ANGLE_2"}
    m = run.measurements[[s.sensor_id for s in net].index(seg.metadata["PARTICIPANT_1"])]
    obj = int(seg.metadata["PARTICIPANT_2"])
    ep, rng = seg.observations("RANGE")
    mine = m.norad_ids == obj
    assert np.array_equal(ep, np.sort(m.epochs[mine]))
    assert np.allclose(rng, m.range_km[mine][np.argsort(m.epochs[mine])], rtol=0, atol=1e-12)


def test_check_tdm_rejects_bad_observations_and_keeps_the_rest():
    t0 = parse_utc("2023-10-09T00:00:00Z")
    ep = t0 + np.array([0, 60, 120, 90, 180, 99999], dtype="timedelta64[s]")
    good = Measurements("TIRA", "tracking_radar", "AZEL", np.full(6, 7), ep.astype("datetime64[us]"),
                        range_km=np.array([1000.0, np.nan, 1002, 1003, 1004, 1005]))  # fmt: skip
    other = Measurements("GHOST", "tracking_radar", "AZEL", np.array([8]), ep[:1].astype("datetime64[us]"),
                         range_km=np.array([1.0]))  # fmt: skip
    tdm = measurements_to_tdm([good, other])
    seg = tdm.segments[0]
    # measurements_to_tdm sorts; put the 01:30 tag after 02:00 as an unsorted file would.
    order = np.array([0, 1, 3, 2, 4, 5])
    seg.epochs, seg.values = ep.astype("datetime64[us]")[[0, 1, 2, 3, 4, 5]], seg.values[order]
    clean, rejects = check_tdm(tdm, {"TIRA"}, t0, t0 + np.timedelta64(1, "D"), file="obs.tdm")
    text = "\n".join(map(str, rejects))
    assert "unknown sensor id 'GHOST'" in text
    assert "RANGE at 2023-10-09T00:01:00" in text and "not a finite number" in text
    assert "outside the data span" in text and "unsorted" in text
    assert len(clean.segments) == 1
    kept_ep, kept = clean.segments[0].observations("RANGE")
    assert kept.tolist() == [1000.0, 1002.0, 1004.0]


@pytest.fixture
def runner():
    return CliRunner()


def test_cli_sensors_list_and_observe(runner, tmp_path):
    from spacerange.cli.app import app

    r = runner.invoke(app, ["sensors", "list", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["count"] >= 30
    cat = tmp_path / "two.tle"
    cat.write_text("ISS (ZARYA)\n" + "\n".join(ISS) + "\nHST\n" + "\n".join(HST) + "\n")
    out = tmp_path / "obs.tdm"
    r = runner.invoke(app, ["observe", "--catalog", str(cat), "--sensors", "default",
                            "--start", "2014-01-23T00:00:00Z", "--span", "6h", "--out", str(out),
                            "--workers", "1", "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1
    res = json.loads(lines[0])
    assert res["objects"] == 2 and res["out_file"] == str(out) and out.exists()
    assert set(res["measurements_per_kind"]) <= {"tracking_radar", "survey_radar", "optical"}
    assert res["tdm_segments"] == len(read_tdm(out)[0].segments)


def test_cli_observe_needs_objects(runner):
    from spacerange.cli.app import app

    r = runner.invoke(app, ["observe", "--span", "1h", "--json"])
    assert r.exit_code == 1
    assert (
        "--db FILE, --catalog FILE or --synthetic N"
        in json.loads(r.stdout.splitlines()[0])["error"]
    )
