"""CLI contract of the events commands: ``--json`` prints exactly one JSON object."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spacerange.cli.app import app

runner = CliRunner()


def run_json(args):
    res = runner.invoke(app, [*args, "--json"])
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stdout
    return res.exit_code, json.loads(lines[0])


def test_breakup_explosion_default_orbit(tmp_path):
    code, d = run_json(["breakup", "--kind", "explosion", "--mass", "1000", "--min-size", "0.2",
                        "--out", str(tmp_path / "f.tle"), "--seed", "1"])  # fmt: skip
    assert code == 0 and d["fragments"] > 0 and d["default_orbit"] is True
    text = (tmp_path / "f.tle").read_text().splitlines()
    assert len(text) == 3 * d["with_elements"]


def test_breakup_collision_catastrophic(tmp_path):
    code, d = run_json(["breakup", "--kind", "collision", "--mass", "500", "--impactor-mass",
                        "10", "--speed", "10", "--min-size", "0.5",
                        "--out", str(tmp_path / "f.oem"), "--seed", "2"])  # fmt: skip
    # 0.5 * 10 kg * (10 km/s)^2 / 500 kg = 1000 J/g > 40 J/g (NASA SBM threshold)
    assert code == 0 and d["catastrophic"] is True
    assert (tmp_path / "f.oem").stat().st_size > 0


def test_breakup_bad_kind(tmp_path):
    code, d = run_json(["breakup", "--kind", "implosion", "--mass", "1",
                        "--out", str(tmp_path / "x.tle")])  # fmt: skip
    assert code == 1 and "explosion" in d["error"]


def test_maneuvers_detect(tmp_path):
    from spacerange.events.maneuver_detection import synthetic_histories
    from spacerange.propagation.numerical import ForceModel, ImpulsiveManeuver

    t0 = np.datetime64("2024-03-01T00:00:00", "us")
    a = 6378.137 + 600.0
    y0 = np.array([[a, 0, 0, 0, np.sqrt(398600.4418 / a) * 0.6, np.sqrt(398600.4418 / a) * 0.8]])
    burn = ImpulsiveManeuver(t0 + np.timedelta64(5 * 86400 + 3600, "s"), (0, 2e-3, 0))
    (h,) = synthetic_histories(y0, t0, 10, ForceModel.zonal(2), [burn],
                               rng=np.random.default_rng(1))  # fmt: skip
    f = tmp_path / "hist.tle"
    f.write_text("".join(f"{e.line1}\n{e.line2}\n" for e in h))
    code, d = run_json(["maneuvers", "detect", str(f)])
    assert code == 0 and d["maneuvers"] == 1
    assert d["objects"][0]["maneuvers"][0]["dv_t_from_sma_m_s"] == pytest.approx(2.0, rel=0.3)


def test_avoid_cdm(shared_data):
    cdm = shared_data / "pc" / "sample_cdms" / "AlfanoTestCase03.cdm"
    code, d = run_json(["avoid", str(cdm), "--pc-max", "1e-4", "--lead", "1orbit"])
    assert code == 0, d
    assert {"dv_m_s", "pc_after", "miss_after_m"} <= set(d)
    assert d["pc_after"] <= 1.05e-4 and d["dv_m_s"] > 0


def test_avoid_needs_input():
    code, d = run_json(["avoid"])
    assert code == 1 and "CDM" in d["error"]


def test_reentry_from_tle(tmp_path):
    from sgp4 import exporter
    from sgp4.api import WGS72, Satrec

    from spacerange.events.breakup import bstar_from_area_to_mass

    sat = Satrec()
    n = 2 * np.pi / (2 * np.pi * np.sqrt((6378.137 + 190.0) ** 3 / 398600.4418) / 60.0)
    b = float(bstar_from_area_to_mass(0.01, 2.2))
    sat.sgp4init(WGS72, "i", 99001, 27000.0, b, 0.0, 0.0, 0.0005,
                 0.0, np.radians(51.6), 0.0, n, 0.0)  # fmt: skip
    l1, l2 = exporter.export_tle(sat)
    f = tmp_path / "obj.tle"
    f.write_text(f"{l1}\n{l2}\n")
    code, d = run_json(["reentry", str(f), "--samples", "8", "--horizon", "5d",
                        "--plot", str(tmp_path / "r.png")])  # fmt: skip
    assert code == 0, d
    assert d["window_start_utc"] <= d["most_likely_utc"] <= d["window_end_utc"]
    assert (tmp_path / "r.png").exists()
