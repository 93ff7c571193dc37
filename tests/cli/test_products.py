"""Products of the CLI an analyst acts on, end to end (issue 17 "pictures", issue 18 rows):
the event-board trend plots (``events --plot DIR``), the Gabbard diagram (``breakup
--gabbard``), the screening events table in the vocabulary's units, output formats that
follow the extension or are refused, missing inputs that are errors, durations in the
scenario grammar."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from spacerange.cli.app import app

sys.path.insert(0, str(Path(__file__).parent))
from test_vocabulary import load_vocabulary  # noqa: E402


def run(*args: str, code: int = 0) -> dict:
    res = CliRunner().invoke(app, [*args, "--json"])
    lines = [ln for ln in res.stdout.splitlines() if ln.strip().startswith("{")]
    assert len(lines) == 1, res.output
    doc = json.loads(lines[0])
    assert res.exit_code == code, doc
    return doc


def _png(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("L"), float)


def _edit(text: str, **kv: str) -> str:
    out = []
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        if key in kv:
            line = f"{key:35s}= {kv[key]}"
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 40-object synthetic catalog and its 6 h screening (events table + CDMs)."""
    d = tmp_path_factory.mktemp("products")
    tle = d / "small.tle"
    run("catalog", "synth", "--n", "40", "--seed", "3", "--out", str(tle))
    doc = run("screen", "--catalog", str(tle), "--span", "6h", "--threshold", "200km",
              "--cdm-dir", str(d / "cdms"), "--out", str(d / "events.csv"))  # fmt: skip
    assert doc["events"] > 0
    return d


def test_events_plot_one_png_per_event(shared_data, tmp_path):
    """Five CDMs of one event (Alfano case 3, HBR growing with each update: Pc rises) and one
    of another: two PNGs that decode, named in the JSON, the trend still reported."""
    src = (shared_data / "pc" / "sample_cdms" / "AlfanoTestCase03.cdm").read_text()
    for k, (created, hbr) in enumerate([("1999-12-29T00:00:00.000", "5.0"),
                                        ("1999-12-30T00:00:00.000", "8.0"),
                                        ("1999-12-31T00:00:00.000", "12.0"),
                                        ("1999-12-31T12:00:00.000", "15.0"),
                                        ("1999-12-31T20:00:00.000", "25.0")]):  # fmt: skip
        (tmp_path / f"u{k}.cdm").write_text(
            _edit(src, CREATION_DATE=created, MESSAGE_ID=f"u{k}", **{"COMMENT HBR": hbr})
        )
    other = shared_data / "pc" / "sample_cdms" / "AlfanoTestCase05.cdm"
    (tmp_path / "other.cdm").write_text(other.read_text())
    files = sorted(str(p) for p in tmp_path.glob("*.cdm"))
    doc = run("events", *files, "--method", "foster", "--plot", str(tmp_path / "plots"))
    assert len(doc["events"]) == 2
    series = next(e for e in doc["events"] if e["n_records"] == 5)
    assert series["trend"]["pc"] == "rising" and series["norad_id_1"] == 3001
    assert series["tca_utc"].endswith("Z") and series["latest"]["creation_utc"].endswith("Z")
    for e in doc["events"]:
        img = _png(e["plot_file"])
        assert img.shape[0] > 300 and img.shape[1] > 500
        assert img.std() > 5  # not a blank canvas
    assert len(list((tmp_path / "plots").glob("*.png"))) == 2


def test_events_plot_refuses_a_file(tmp_path, small):
    (tmp_path / "taken").write_text("x")
    cdm = sorted((small / "cdms").glob("*"))[0]
    doc = run("events", str(cdm), "--plot", str(tmp_path / "taken"), code=1)
    assert "not a directory" in doc["error"]


def test_breakup_gabbard_diagram(tmp_path):
    doc = run("breakup", "--kind", "explosion", "--mass", "500", "--min-size", "0.3",
              "--out", str(tmp_path / "f.tle"), "--seed", "1",
              "--gabbard", str(tmp_path / "g.png"))  # fmt: skip
    assert doc["gabbard_file"] == str(tmp_path / "g.png")
    img = _png(doc["gabbard_file"])
    assert img.shape[0] > 400 and img.std() > 5
    # without --gabbard: null, and no picture
    doc = run("breakup", "--kind", "explosion", "--mass", "500", "--min-size", "0.3",
              "--out", str(tmp_path / "h.tle"), "--seed", "1")  # fmt: skip
    assert doc["gabbard_file"] is None
    doc = run("breakup", "--kind", "explosion", "--mass", "500", "--out", str(tmp_path / "i.tle"),
              "--gabbard", str(tmp_path / "g.txt"), code=1)  # fmt: skip
    assert ".png" in doc["error"] and not (tmp_path / "i.tle").exists()


def test_events_table_columns_follow_the_vocabulary(small):
    """``screen --out events.csv``: every column is a vocabulary key; miss distance in metres
    (the CDM's MISS_DISTANCE, which CCSDS gives in m) and relative speed in m/s."""
    from spacerange.ccsds import read_cdm

    vocab = load_vocabulary()
    with open(small / "events.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and set(rows[0]) <= set(vocab), set(rows[0]) - set(vocab)
    assert not {"miss_km", "rel_speed_km_s", "covariance"} & set(rows[0])
    assert all(r["tca_utc"][10] == "T" and r["tca_utc"].endswith("Z") for r in rows)
    tca = np.array([np.datetime64(r["tca_utc"][:-1], "us") for r in rows])
    for path in sorted((small / "cdms").glob("*"))[:5]:
        cdm = read_cdm(path)[0]
        ids = (cdm.object1.metadata["OBJECT_DESIGNATOR"], cdm.object2.metadata["OBJECT_DESIGNATOR"])
        # the row of this pair nearest the CDM's TCA (a pair can meet more than once)
        mine = [k for k, r in enumerate(rows)
                if (int(r["norad_id_1"]), int(r["norad_id_2"])) == tuple(map(int, ids))]  # fmt: skip
        r = rows[min(mine, key=lambda k: abs(tca[k] - cdm.tca))]
        rel = cdm.relative
        assert float(r["miss_m"]) == pytest.approx(rel["MISS_DISTANCE"], abs=1.0)
        assert float(r["relative_speed_m_s"]) == pytest.approx(rel["RELATIVE_SPEED"], abs=0.1)
        for c in "RTN":
            got = float(r[f"miss_{c.lower()}_m"])
            assert got == pytest.approx(rel[f"RELATIVE_POSITION_{c}"], abs=1.0)


@pytest.mark.parametrize(
    "args, option",
    [
        (["exercise", "schema", "--out", "{d}/schema.txt"], "--out"),
        (["screen", "--catalog", "{d}/small.tle", "--report", "{d}/r.pdf"], "--report"),
        (["reentry", "{d}/small.tle", "--plot", "{d}/p.txt"], "--plot"),
        (["od", "{d}/obs.tdm", "--out", "{d}/x.txt"], "--out"),
    ],
)
def test_output_format_follows_the_extension_or_is_refused(args, option, small):
    (small / "obs.tdm").touch()
    doc = run(*[a.format(d=small) for a in args], code=1)
    assert doc["error"].startswith(option) and "cannot tell the format" in doc["error"]
    assert not any((small / n).exists() for n in ("schema.txt", "r.pdf", "p.txt", "x.txt"))


@pytest.mark.parametrize(
    "args, option",
    [
        (["screen", "--catalog", "{d}/small.tle", "--hbr-table", "{d}/none.csv"], "--hbr-table"),
        (["observe", "--catalog", "{d}/small.tle", "--sensors", "{d}/none.json"], "--sensors"),
        (["avoid", "--event", "{d}/none.json"], "--event"),
    ],
)
def test_missing_input_is_an_error_that_names_the_option(args, option, small):
    doc = run(*[a.format(d=small) for a in args], code=1)
    assert doc["error"].startswith(option) and "no such file" in doc["error"]


def test_durations_in_the_scenario_grammar(small):
    doc = run("export", "--catalog", str(small / "small.tle"), "--span", "1d6h30m",
              "--step", "30m", "--out", str(small / "a.kml"))  # fmt: skip
    assert doc["span_s"] == 86400 + 6 * 3600 + 1800 and doc["out_file"].endswith("a.kml")
    doc = run("serve", "--tick", "soon", code=1)
    assert doc["error"].startswith("--tick")
    # --speed: scenario seconds per wall second, as in 'exercise run'; 'max' refused with why
    doc = run("serve", "--speed", "max", code=1)
    assert doc["error"].startswith("--speed max") and "exercise run" in doc["error"]
    doc = run("reentry", str(small / "small.tle"), "--horizon", "tomorrow", code=1)
    assert doc["error"].startswith("--horizon")
    cdms = sorted(map(str, (small / "cdms").glob("*")))[:3]
    assert len(run("events", *cdms, "--tca-tolerance", "1d6h30m")["events"]) >= 1
    doc = run("events", *cdms, "--tca-tolerance", "a while", code=1)
    assert doc["error"].startswith("--tca-tolerance")


def test_deprecated_spellings_still_work_and_warn(tmp_path):
    """Old option spellings are kept for one release: they work, warn on stderr, and
    refuse to be combined with the new one."""
    res = CliRunner().invoke(app, ["breakup", "--kind", "collision", "--mass", "100",
                                   "--impactor-mass", "1", "--speed", "10", "--min-size", "0.5",
                                   "--out", str(tmp_path / "f.tle"), "--seed", "1", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "--speed is deprecated; use --impact-speed" in res.stderr.replace("\n", " ")
    assert json.loads(res.stdout)["kind"] == "collision"
    doc = run("reentry", str(tmp_path / "f.tle"), "--max-days", "5", "--horizon", "5d", code=1)
    assert "--horizon" in doc["error"] and "deprecated" in doc["error"]
    doc = run("od", str(tmp_path / "f.tle"), "--sites", str(tmp_path / "none.json"), code=1)
    assert doc["error"].startswith("--sensors") and "no such file" in doc["error"]


def test_long_commands_show_progress_on_stderr(tmp_path):
    """Commands that can run for more than a few seconds say what they do and how long it
    took on stderr; stdout stays one JSON object."""
    tle = tmp_path / "s.tle"
    run("catalog", "synth", "--n", "5", "--seed", "2", "--out", str(tle))
    res = CliRunner().invoke(app, ["export", "--catalog", str(tle), "--out",
                                   str(tmp_path / "x.kml"), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "done in" in res.stderr and json.loads(res.stdout)["objects"] == 5


def test_od_reads_the_sensor_network_file_observe_takes(small, tmp_path):
    """``--sensors`` is one concept: the network file given to ``observe`` is the one ``od``
    takes (before, ``od --sites`` wanted another format)."""
    net = tmp_path / "net.json"
    net.write_text('["SPACEFENCE", "FYLINGDALES", "TIRA"]')
    tdm = tmp_path / "obs.tdm"
    doc = run("observe", "--catalog", str(small / "small.tle"), "--sensors", str(net),
              "--span", "3h", "--step", "1m", "--out", str(tdm))  # fmt: skip
    assert doc["sensors"] == 3 and doc["measurements"] > 0
    doc = run("od", str(tdm), "--sensors", str(net))
    assert doc["converged"] >= 1 and not doc["rejects"], doc["rejects"][:3]
