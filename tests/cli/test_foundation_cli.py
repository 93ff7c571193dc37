"""The foundation commands as other tools script them: one JSON object on stdout, the
contract keys, clean errors, outputs that read back, and no network at run time."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from spacerange.catalog.tle import parse_tle_file
from spacerange.propagation.sgp4_batch import propagate
from spacerange.timescales import parse_utc, time_grid

EXE = [sys.executable, "-m", "spacerange.cli.main"]

# Blocks every socket in the child: any attempt to reach the network raises.
_NO_NET = (
    "import socket\n"
    "def _blocked(*a, **k):\n"
    "    raise RuntimeError('network access attempted')\n"
    "socket.socket.connect = _blocked\n"
    "socket.socket.connect_ex = _blocked\n"
    "socket.socket.sendto = _blocked\n"
    "socket.create_connection = _blocked\n"
    "socket.getaddrinfo = _blocked\n"
    "from spacerange.cli import main\n"
    "import sys\n"
    "sys.argv = ['spacerange'] + sys.argv[1:]\n"
    "main()\n"
)


def run(args, *, offline=True, check=True, cwd=None):
    cmd = [sys.executable, "-c", _NO_NET, *args] if offline else [*EXE, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


def one_json(proc) -> dict:
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one JSON line on stdout, got {len(lines)}"
    return json.loads(lines[0])


@pytest.fixture(scope="module")
def small_tle(tmp_path_factory):
    """A 3LE file made by the synthesizer (no shared data needed)."""
    d = tmp_path_factory.mktemp("cat")
    path = d / "small.tle"
    out = one_json(
        run(["catalog", "synth", "--n", "300", "--seed", "4", "--out", str(path), "--json"])
    )
    assert out["objects"] == 300 and path.exists()
    return path


def test_synth_import_list_contract(small_tle, tmp_path):
    db = tmp_path / "c.db"
    imp = one_json(run(["catalog", "import", str(small_tle), "--db", str(db), "--json"]))
    for key in ("imported", "rejected", "objects", "rejects"):
        assert key in imp
    assert imp["imported"] == 300 and imp["rejected"] == 0 and imp["objects"] == 300
    again = one_json(run(["catalog", "import", str(small_tle), "--db", str(db), "--json"]))
    assert again["imported"] == 0 and again["objects"] == 300  # same sets: a no-op
    geo = one_json(run(["catalog", "list", "--db", str(db), "--regime", "GEO", "--json"]))
    assert geo["count"] == len(geo["objects"]) > 0
    assert all(o["regime"] == "GEO" for o in geo["objects"])
    bad = run(["catalog", "list", "--db", str(db), "--regime", "XEO", "--json"], check=False)
    assert bad.returncode != 0 and "XEO" in one_json(bad)["error"]


def test_import_reports_rejects_with_file_and_line(small_tle, tmp_path):
    lines = small_tle.read_text().splitlines()
    # Corrupt the checksum of the second object's line 1 (file line 5).
    lines[4] = lines[4][:68] + str((int(lines[4][68]) + 1) % 10)
    bad = tmp_path / "bad.tle"
    bad.write_text("\n".join(lines) + "\n")
    db = tmp_path / "c.db"
    out = one_json(run(["catalog", "import", str(bad), "--db", str(db), "--json"]))
    assert out["rejected"] == 1 and out["imported"] == 299
    rej = out["rejects"][0]
    assert rej["file"].endswith("bad.tle") and rej["line"] == 5 and "checksum" in rej["reason"]
    strict = run(
        ["catalog", "import", str(bad), "--db", str(tmp_path / "s.db"), "--strict", "--json"],
        check=False,
    )
    assert strict.returncode != 0 and "nothing imported" in one_json(strict)["error"]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".oem", ".xml"])
def test_propagate_outputs_read_back(small_tle, tmp_path, suffix):
    out = tmp_path / f"eph{suffix}"
    res = one_json(
        run(
            [
                "propagate",
                "--catalog",
                str(small_tle),
                "--start",
                "2023-10-09T00:00:00Z",
                "--span",
                "30min",
                "--step",
                "10min",
                "--frame",
                "gcrs",
                "--out",
                str(out),
                "--workers",
                "1",
                "--json",
            ]
        )
    )
    assert res["objects"] == 300 and res["times"] == 4 and res["states"] == 1200
    elsets, _ = parse_tle_file(small_tle)
    times = time_grid(parse_utc("2023-10-09T00:00:00Z"), 1800, 600)
    ref = propagate([(e.line1, e.line2) for e in elsets], times, frame="gcrs", workers=1)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        t = pq.read_table(out)
        x = t.column("x_gcrs_km").to_numpy().reshape(300, 4)
        np.testing.assert_allclose(x, ref.r[:, :, 0], atol=1e-9)
    elif suffix == ".csv":
        rows = np.loadtxt(out, delimiter=",", skiprows=1, usecols=(2, 3, 4))
        np.testing.assert_allclose(rows.reshape(300, 4, 3), ref.r, atol=1e-6)
    else:
        from spacerange.ccsds import read_oem

        oem = read_oem(out)[0]
        assert len(oem.segments) == 300
        seg = oem.segments[7]
        assert seg.metadata["REF_FRAME"] == "GCRF"
        np.testing.assert_allclose(seg.r_km, ref.r[7], atol=1e-9)
        np.testing.assert_allclose(seg.v_km_s, ref.v[7], atol=1e-12)


def test_propagate_errors_are_clear(small_tle, tmp_path):
    p = run(["propagate", "--catalog", str(small_tle), "--frame", "ecef", "--json"], check=False)
    assert p.returncode != 0 and "ecef" in one_json(p)["error"]
    p = run(
        ["propagate", "--catalog", str(small_tle), "--out", str(tmp_path / "x.bin"), "--json"],
        check=False,
    )
    assert p.returncode != 0 and ".parquet" in one_json(p)["error"]
    p = run(["propagate", "--catalog", str(tmp_path / "missing.tle"), "--json"], check=False)
    assert p.returncode != 0


@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare not available")
def test_runs_in_a_network_namespace_without_network(small_tle, tmp_path):
    """Stronger than the socket patch: the process has no network interface at all."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unprivileged network namespaces are not allowed here")
    out = tmp_path / "e.parquet"
    proc = subprocess.run(
        [
            "unshare",
            "-n",
            *EXE,
            "propagate",
            "--catalog",
            str(small_tle),
            "--span",
            "1h",
            "--frame",
            "geodetic",
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert one_json(proc)["objects"] == 300 and out.exists()


def test_help_lists_every_command():
    proc = run(["--help"], offline=False)
    for cmd in ("catalog", "propagate", "screen", "pc", "demo"):
        assert cmd in proc.stdout


def test_screen_contract_with_cdms_and_report(small_tle, tmp_path):
    out = tmp_path / "events.json"
    res = one_json(
        run(
            [
                "screen",
                "--catalog",
                str(small_tle),
                "--span",
                "6h",
                "--threshold",
                "100km",
                "--out",
                str(out),
                "--cdm-dir",
                str(tmp_path / "cdm"),
                "--report",
                str(tmp_path / "report.txt"),
                "--workers",
                "1",
                "--json",
            ]
        )
    )
    for key in ("objects", "pairs_screened", "events", "wall_s", "events_file"):
        assert key in res
    assert res["objects"] == 300 and res["pairs_screened"] == 300 * 299 // 2
    events = json.loads(out.read_text())["events"]
    assert len(events) == res["events"] == res["cdms"] > 0
    assert all(e["miss_m"] <= 100e3 for e in events)
    assert all(e["covariance_source"] == "default-tle-model" for e in events)
    # The CDM carries the screening's Pc and HBR: recomputing Pc from every file agrees
    # with the table, and at least some of them are not zero (a real comparison).
    cdms = sorted((tmp_path / "cdm").iterdir())
    pc = one_json(run(["pc", *map(str, cdms), "--json"]))
    by_miss = {round(e["miss_m"] * 1e3): e["pc"] or 0.0 for e in events}
    nonzero = 0
    for r in pc["results"]:
        want = by_miss[round(r["miss_m"] * 1e3)]
        assert r["pc"] == pytest.approx(want, rel=1e-4, abs=1e-300)
        nonzero += r["pc"] > 0
    assert nonzero > 0
    assert "by collision probability" in (tmp_path / "report.txt").read_text()
    bad = run(
        ["screen", "--catalog", str(small_tle), "--threshold", "fivekm", "--json"], check=False
    )
    assert bad.returncode != 0 and "fivekm" in one_json(bad)["error"]
