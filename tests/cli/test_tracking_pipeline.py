"""The tracking chain as an analyst runs it: synthesize -> observe -> od, with the bundled
public sensor network on both sides, and the fitted orbits checked against the truth."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from spacerange.catalog.tle import parse_tle_file
from spacerange.ccsds import read_oem
from spacerange.propagation.sgp4_batch import propagate

EXE = [sys.executable, "-m", "spacerange.cli.main"]


def _json(args, cwd):
    p = subprocess.run(
        [*EXE, *args, "--json"], capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def test_observe_then_od_recovers_the_truth(tmp_path):
    _json(["catalog", "synth", "--n", "8", "--seed", "11", "--out", "c.tle"], tmp_path)
    obs = _json(
        [
            "observe",
            "--catalog",
            "c.tle",
            "--start",
            "2023-10-09T00:00:00Z",
            "--span",
            "8h",
            "--out",
            "obs.tdm",
            "--seed",
            "2",
        ],
        tmp_path,
    )
    assert obs["measurements"] > 0 and obs["objects_observed"] >= 4
    od = _json(["od", "obs.tdm", "--out", "sol.oem"], tmp_path)
    good = [s for s in od["solutions"] if s["converged"]]
    assert len(good) >= 4
    elsets = {str(e.norad_id): e for e in parse_tle_file(tmp_path / "c.tle")[0]}
    sigma_km = {s["object_id"]: s["pos_sigma_m"] / 1000.0 for s in good}
    close = 0
    for seg in read_oem(tmp_path / "sol.oem")[0].segments:
        sid = seg.metadata["OBJECT_ID"]
        if sid not in sigma_km:
            continue
        e = elsets[sid]
        t = seg.epochs_utc[:1]
        truth = propagate([(e.line1, e.line2)], t, frame="gcrs", workers=1).r[0, 0]
        err_km = float(np.linalg.norm(seg.r_km[0] - truth))
        # Two-body + J2 fitted to SGP4-simulated data over 8 h: model error, not noise,
        # dominates (0.1-0.5 km, beyond the formal sigma of a few metres).  A short
        # angles-only arc is poorly determined: its own sigma then says so.
        assert err_km < max(2.0, 3.0 * sigma_km[sid]), (sid, err_km, sigma_km[sid])
        close += err_km < 1.0
    assert close >= 4
