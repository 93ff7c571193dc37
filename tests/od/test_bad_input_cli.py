"""Bad tracking input is reported by name and the rest processed; the ``od`` CLI contract."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from spacerange.ccsds.oem import read_oem
from spacerange.ccsds.tdm import read_tdm, write_tdm
from spacerange.cli.app import app
from spacerange.od.measurements import DEFAULT_SITES as S
from spacerange.od.measurements import Site
from spacerange.od.observations import observations_from_tdm, observations_to_tdm
from spacerange.od.simulate import random_leo_states, simulate_tracking


@pytest.fixture(scope="module")
def tdm_path(tmp_path_factory):
    rng = np.random.default_rng(11)
    x0 = random_leo_states(5, rng)
    obs, _ = simulate_tracking(x0, np.datetime64("2024-03-01T00:00:00", "us"), 4 * 3600.0,
                               [S["EGLIN"], S["FYLINGDALES"], S["KWAJALEIN"]], [S["MAUI"]],
                               rng=rng)  # fmt: skip
    tdm = observations_to_tdm(obs)
    segs = tdm.segments
    segs[0].values[2] = np.nan  # NaN value
    segs[1].metadata["PARTICIPANT_1"] = "NOWHERE"  # unknown sensor
    e = segs[2].epochs
    segs[2].epochs = np.concatenate([e[4:8], e[:4], e[8:]])  # unsorted time tags
    segs[3].epochs = segs[3].epochs.copy()
    segs[3].epochs[-1] = segs[3].epochs[-1] + np.timedelta64(3600, "s")  # outside STOP_TIME
    path = tmp_path_factory.mktemp("od") / "obs.tdm"
    write_tdm(tdm, path)
    return path, len(obs)


def test_bad_observations_named_and_rest_processed(tdm_path):
    path, n_total = tdm_path
    obs, rejects = observations_from_tdm(read_tdm(path), S, str(path))
    reasons = [r.reason for r in rejects]
    assert any("segment 1" in r and "nan" in r.lower() for r in reasons)
    assert any("segment 2" in r and "unknown sensor 'NOWHERE'" in r for r in reasons)
    assert any("segment 3" in r and "out of order" in r for r in reasons)
    assert any("segment 4" in r and "outside the segment span" in r for r in reasons)
    assert all(r.file == str(path) for r in rejects)
    assert 0 < len(obs) < n_total
    assert np.all(np.isfinite(obs.value))


def test_cli_od_json_contract(tdm_path, tmp_path):
    from spacerange.od.measurements import KIND_NAMES

    path, _ = tdm_path
    out = tmp_path / "sol.oem"
    # The data were simulated with the OD test sites: fit with the same registry (the
    # CLI's default is the bundled public network, whose coordinates differ slightly).
    sites = tmp_path / "sites.json"
    sites.write_text(
        json.dumps(
            [
                {
                    "name": s.name,
                    "lat_deg": s.lat_deg,
                    "lon_deg": s.lon_deg,
                    "alt_m": s.alt_m,
                    "sigma": dict(zip(KIND_NAMES, s.sigma, strict=True)),
                }
                for s in S.values()
            ]
        )
    )
    res = CliRunner().invoke(
        app, ["od", str(path), "--sensors", str(sites), "--out", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1
    doc = json.loads(lines[0])
    # one object keeps only a few optical epochs after the corruption: it may not converge,
    # and must then say why
    assert doc["objects"] == 5 and doc["converged"] >= 4
    for s in doc["solutions"]:
        assert {"object_id", "norad_id", "rms", "n_obs", "converged", "pos_sigma_m"} <= set(s)
        if s["converged"]:
            assert 0.5 < s["rms"] < 1.5 and s["pos_sigma_m"] > 0
        else:
            assert s["message"]
    assert len(doc["rejects"]) >= 4
    # every object without a converged orbit is a failure with its reason, and only the
    # converged orbits are in the OEM
    failed = {f["norad_id"]: f["reason"] for f in doc["failures"]}
    assert {int(s["object_id"]) for s in doc["solutions"] if not s["converged"]} == set(failed)
    assert all(failed.values())
    oem = read_oem(out)[0]
    assert len(oem.segments) == doc["converged"]
    ok = {s["object_id"] for s in doc["solutions"] if s["converged"]}
    for seg in oem.segments:
        assert seg.covariances and seg.ref_frame == "GCRF"
        if seg.metadata["OBJECT_ID"] in ok:
            assert np.all(np.linalg.eigvalsh(seg.covariances[0].cov_km) > 0)


def test_cli_od_with_catalog_apriori(tdm_path, tmp_path):
    from spacerange.od.observations import observations_from_tdm as read_obs
    from spacerange.od.pipeline import determine_orbits
    from spacerange.od.tle_fit import fit_tle

    path, _ = tdm_path
    obs, _ = read_obs(read_tdm(path), S, str(path))
    sols, _ = determine_orbits(obs)
    sols = [s for s in sols if s.converged]
    from spacerange.od.dynamics import J2Dynamics

    lines = []
    for s in sols:
        t = s.epoch_utc + np.arange(0, 7200, 120).astype("timedelta64[s]")
        x = J2Dynamics.at(s.epoch_utc, degree=4).propagate(s.state[None], np.arange(0, 7200, 120.0),
                                                 np.zeros(60, int))  # fmt: skip
        e = fit_tle(t, x[:, :3], x[:, 3:], norad_id=int(s.object_id)).elset
        lines += [e.line1, e.line2]
    cat = tmp_path / "cat.tle"
    cat.write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(app, ["od", str(path), "--catalog", str(cat), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout.strip().splitlines()[-1])
    assert sorted(doc["apriori"]) == sorted(s.object_id for s in sols)
    assert doc["converged"] >= len(sols)


def test_cli_missing_file_is_clean_error(tmp_path):
    res = CliRunner().invoke(app, ["od", str(tmp_path / "nope.tdm"), "--json"])
    assert res.exit_code == 1
    assert "error" in json.loads(res.stdout.strip().splitlines()[0])


def test_site_from_dict():
    s = Site.from_dict({"name": "X", "lat_deg": 1, "lon_deg": 2, "sigma": {"range": 0.1}})
    assert s.sigma[0] == 0.1 and s.alt_m == 0.0
