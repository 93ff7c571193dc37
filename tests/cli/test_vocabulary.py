"""Every subcommand, run with ``--json`` on small data, prints one JSON object whose keys
(at every depth) are in docs/vocabulary.md, with the form the vocabulary gives them:
``norad_id`` an integer, ``*_utc`` ISO 8601 ending in ``Z``.  Also: every subcommand is
exercised here (a new command without a vocabulary run fails), and errors (usage errors,
missing input) are one JSON object with ``error``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
VOCABULARY = ROOT / "docs" / "vocabulary.md"
EXE = [sys.executable, "-m", "spacerange"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def load_vocabulary(path: Path = VOCABULARY) -> dict[str, dict]:
    """The machine-readable part of docs/vocabulary.md: the table between the
    ``vocabulary:begin``/``vocabulary:end`` markers, ``| `key` | type | unit | meaning |``."""
    text = path.read_text(encoding="utf-8")
    body = text.split("<!-- vocabulary:begin -->", 1)[1].split("<!-- vocabulary:end -->", 1)[0]
    vocab: dict[str, dict] = {}
    for line in body.splitlines():
        m = re.match(r"^\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|\s*([^|]*?)\s*\|\s*(.+?)\s*\|\s*$", line)
        if m:
            key, kind, unit, meaning = m.groups()
            assert key not in vocab, f"{key} listed twice in {path.name}"
            vocab[key] = {"type": kind, "unit": unit, "meaning": meaning}
    return vocab


def test_vocabulary_table_is_well_formed():
    vocab = load_vocabulary()
    assert len(vocab) > 50
    for key, row in vocab.items():
        assert row["meaning"], key
        assert row["type"] in {"integer", "number", "string", "boolean", "time", "path", "list",
                               "object", "map", "null"}, (key, row["type"])  # fmt: skip
        # A unit suffix in the name is the unit in the table (one unit per concept); the
        # longer suffixes first (``_km_s`` before ``_s``).
        for suffix, unit in (("_per_s", "1/s"), ("_m2_kg", "m2/kg"), ("_km_s", "km/s"),
                             ("_m_s", "m/s"), ("_km", "km"), ("_m", "m"),
                             ("_deg", "deg"), ("_kg", "kg"), ("_s", "s")):  # fmt: skip
            if key.endswith(suffix):
                assert row["unit"] == unit, f"{key}: unit {row['unit']!r}, name says {unit}"
                break
        if key.endswith("_utc"):
            assert row["type"] in ("time", "list"), key


def check_keys(doc, vocab: dict[str, dict], where: str = "") -> list[str]:
    """Keys of ``doc`` (recursively) missing from ``vocab`` or not in its form."""
    bad: list[str] = []
    if isinstance(doc, list):
        for item in doc:
            bad += check_keys(item, vocab, where)
        return bad
    if not isinstance(doc, dict):
        return bad
    for key, value in doc.items():
        path = f"{where}.{key}" if where else key
        row = vocab.get(key)
        if row is None:
            bad.append(f"{path}: not in docs/vocabulary.md")
            continue
        if key == "norad_id" or key.startswith("norad_id_"):
            if value is not None and not isinstance(value, int):
                bad.append(f"{path}: {value!r} is not an integer")
        if key.endswith("_utc") and value is not None:
            times = value if isinstance(value, list) else [value]
            for t in times:
                if not (isinstance(t, str) and re.match(r"^\d{4}-\d\d-\d\dT[0-9:.]+Z$", t)):
                    bad.append(f"{path}: {t!r} is not ISO 8601 UTC with Z")
        if row["type"] == "map":  # data-named keys (team ids, status labels): check values
            if isinstance(value, dict):
                for sub in value.values():
                    bad += check_keys(sub, vocab, path + ".*")
            continue
        bad += check_keys(value, vocab, path)
    return bad


def cli(*args, cwd=None, check=True) -> tuple[int, dict]:
    proc = subprocess.run([*EXE, *args, "--json"], capture_output=True, text=True, cwd=cwd,
                          env=ENV, timeout=600)  # fmt: skip
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, (
        f"{args}: expected one JSON line, got {proc.stdout!r} {proc.stderr[-2000:]}"
    )
    doc = json.loads(lines[0])
    if check:
        assert proc.returncode == 0, f"{args}: exit {proc.returncode}: {doc}"
    return proc.returncode, doc


def all_commands() -> set[str]:
    """Every leaf command of the CLI, as ``group sub`` or ``cmd``."""
    from spacerange.cli.app import get_command

    names = set()

    def walk(cmd, prefix):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            names.add(prefix)

    walk(get_command(), "")
    return names


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """One JSON document per subcommand, on small data (a 40-object synthetic catalog)."""
    d = tmp_path_factory.mktemp("vocab")
    docs: dict[str, dict] = {}
    tle = d / "small.tle"
    docs["catalog synth"] = cli("catalog", "synth", "--n", "40", "--seed", "3", "--out", str(tle))[
        1
    ]
    db = d / "cat.db"
    docs["catalog import"] = cli("catalog", "import", str(tle), "--db", str(db))[1]
    docs["catalog list"] = cli("catalog", "list", "--db", str(db))[1]
    docs["propagate"] = cli("propagate", "--db", str(db), "--span", "10m", "--step", "1m",
                            "--out", str(d / "eph.parquet"))[1]  # fmt: skip
    cdms = d / "cdms"
    docs["screen"] = cli("screen", "--catalog", str(tle), "--span", "6h", "--threshold", "200km",
                         "--cdm-dir", str(cdms), "--out", str(d / "events.json"))[1]  # fmt: skip
    docs["observe"] = cli("observe", "--catalog", str(tle), "--span", "2h", "--step", "1m",
                          "--out", str(d / "obs.tdm"))[1]  # fmt: skip
    docs["sensors list"] = cli("sensors", "list")[1]
    docs["od"] = cli("od", str(d / "obs.tdm"), "--catalog", str(tle))[1]
    cdm_files = sorted(cdms.glob("*"))
    assert cdm_files, "the screening found no event to write a CDM for"
    docs["pc"] = cli("pc", *map(str, cdm_files[:2]))[1]
    docs["avoid"] = cli("avoid", str(cdm_files[0]), "--pc-max", "1e-4", "--catalog", str(tle))[1]
    docs["breakup"] = cli("breakup", "--kind", "explosion", "--mass", "500", "--min-size", "0.3",
                          "--out", str(d / "frags.tle"), "--seed", "1",
                          "--gabbard", str(d / "gabbard.png"))[1]  # fmt: skip
    docs["maneuvers detect"] = cli("maneuvers", "detect", str(_history(d)))[1]
    docs["reentry"] = cli("reentry", str(_decaying(d)), "--samples", "4", "--horizon", "5d")[1]
    scenario = ROOT / "scenarios" / "training" / "jamming_report.yaml"
    docs["exercise validate"] = cli("exercise", "validate", str(scenario))[1]
    docs["exercise schema"] = cli("exercise", "schema", "--out", str(d / "schema.json"))[1]
    run_dir = d / "run"
    docs["exercise run"] = cli("exercise", "run", str(scenario), "--out-dir", str(run_dir))[1]
    docs["exercise report"] = cli("exercise", "report", str(run_dir))[1]
    docs["demo"] = cli("demo", "--scenario", "training/jamming_report",
                       "--out-dir", str(d / "demo"))[1]  # fmt: skip
    store = d / "server.db"
    docs["admin bootstrap"] = cli("admin", "bootstrap", "--db", str(store))[1]
    docs["admin add-user"] = cli("admin", "add-user", "alice", "--role", "evaluator",
                                 "--db", str(store))[1]  # fmt: skip
    docs["serve"] = _serve_first_line(scenario, d)
    docs["events"] = cli("events", *map(str, cdm_files[:2]), "--plot", str(d / "plots"))[1]
    docs["breakup trace"] = cli("breakup", "trace", str(d / "frags.tle"), "--catalog", str(tle),
                                check=False)[1]  # fmt: skip
    docs["export"] = cli("export", "--catalog", str(tle), "--events", str(d / "events.json"),
                         "--out", str(d / "events.czml"))[1]  # fmt: skip
    docs["catalog fetch"] = _fetch(d, tle)
    return docs


def _fetch(d: Path, tle: Path) -> dict:
    """``catalog fetch`` from a local stand-in for CelesTrak's GP service."""
    import functools
    import http.server
    import threading

    from spacerange.catalog.tle import parse_tle_file

    www = d / "www" / "NORAD" / "elements"
    www.mkdir(parents=True)
    recs = [{"OBJECT_NAME": e.name, "OBJECT_ID": e.cospar_id, "NORAD_CAT_ID": e.norad_id,
             "EPOCH": e.epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"),
             "MEAN_MOTION": e.mean_motion_rev_day, "ECCENTRICITY": e.eccentricity,
             "INCLINATION": e.inclination_deg, "RA_OF_ASC_NODE": e.raan_deg,
             "ARG_OF_PERICENTER": e.arg_perigee_deg, "MEAN_ANOMALY": e.mean_anomaly_deg,
             "BSTAR": e.bstar} for e in parse_tle_file(tle)[0]]  # fmt: skip
    (www / "gp.php").write_text(json.dumps(recs))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(d / "www"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        env = {**ENV, "SPACERANGE_CELESTRAK_URL": f"http://127.0.0.1:{srv.server_address[1]}"}
        proc = subprocess.run([*EXE, "catalog", "fetch", "--cache-dir", str(d / "cache"),
                               "--db", str(d / "live.db"), "--json"], capture_output=True,
                              text=True, env=env, timeout=300)  # fmt: skip
    finally:
        srv.shutdown()
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    return json.loads(proc.stdout)


def _history(d: Path) -> Path:
    from spacerange.events.maneuver_detection import synthetic_histories
    from spacerange.propagation.numerical import ForceModel, ImpulsiveManeuver

    t0 = np.datetime64("2024-03-01T00:00:00", "us")
    a = 6378.137 + 600.0
    v = np.sqrt(398600.4418 / a)
    burn = ImpulsiveManeuver(t0 + np.timedelta64(5 * 86400 + 3600, "s"), (0, 2e-3, 0))
    (h,) = synthetic_histories(np.array([[a, 0, 0, 0, v * 0.6, v * 0.8]]), t0, 10,
                               ForceModel.zonal(2), [burn], rng=np.random.default_rng(1))  # fmt: skip
    f = d / "hist.tle"
    f.write_text("".join(f"{e.line1}\n{e.line2}\n" for e in h))
    return f


def _decaying(d: Path) -> Path:
    from sgp4 import exporter
    from sgp4.api import WGS72, Satrec

    from spacerange.events.breakup import bstar_from_area_to_mass

    sat = Satrec()
    n = 2 * np.pi / (2 * np.pi * np.sqrt((6378.137 + 190.0) ** 3 / 398600.4418) / 60.0)
    b = float(bstar_from_area_to_mass(0.01, 2.2))
    sat.sgp4init(WGS72, "i", 99001, 27000.0, b, 0.0, 0.0, 0.0005,
                 0.0, np.radians(51.6), 0.0, n, 0.0)  # fmt: skip
    l1, l2 = exporter.export_tle(sat)
    f = d / "decay.tle"
    f.write_text(f"{l1}\n{l2}\n")
    return f


def _serve_first_line(scenario: Path, d: Path) -> dict:
    """``serve --json`` prints its one object at start, then serves; read it and stop."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*EXE, "serve", str(scenario), "--port", str(port),
                             "--out-dir", str(d / "serve"), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=ENV)  # fmt: skip
    try:
        line = proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return json.loads(line)


def test_every_command_is_covered(outputs):
    assert all_commands() - set(outputs) == set(), "commands without a vocabulary run"


def test_every_key_is_in_the_vocabulary(outputs):
    vocab = load_vocabulary()
    bad = []
    for name, doc in outputs.items():
        if name == "exercise schema" and "$schema" in doc:
            continue
        bad += [f"{name}: {b}" for b in check_keys(doc, vocab)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    "args",
    [
        ["screen", "--hbr", "big"],  # option value of the wrong type
        ["screen", "--no-such-option"],
        ["catalog", "list", "--limit", "x"],
    ],
)
def test_usage_errors_are_one_json_object(args):
    code, doc = cli(*args, check=False)
    assert code == 2 and doc["error"] and doc["kind"] == "usage"


def test_missing_input_is_an_error_and_creates_nothing(tmp_path):
    db = tmp_path / "e.db"
    code, doc = cli("catalog", "import", str(tmp_path / "nofile.tle"), "--db", str(db),
                    check=False)  # fmt: skip
    assert code == 1 and "nofile.tle" in doc["error"] and not db.exists()
    code, doc = cli("propagate", "--span", "1h", check=False)
    assert code == 1 and "--synthetic" in doc["error"]


def test_output_format_follows_the_extension_or_is_refused(tmp_path):
    tle = tmp_path / "s.tle"
    cli("catalog", "synth", "--n", "5", "--out", str(tle))
    code, doc = cli("propagate", "--catalog", str(tle), "--span", "1h",
                    "--out", str(tmp_path / "x.txt"), check=False)  # fmt: skip
    assert code == 1 and ".oem" in doc["error"] and not (tmp_path / "x.txt").exists()


def test_durations_use_the_scenario_grammar(tmp_path):
    tle = tmp_path / "s.tle"
    cli("catalog", "synth", "--n", "3", "--out", str(tle))
    _, doc = cli("propagate", "--catalog", str(tle), "--span", "1d6h30m", "--step", "30m")
    assert doc["times"] == 1 + (86400 + 6 * 3600 + 1800) // 1800


def test_uncaught_exceptions_are_one_json_object(monkeypatch, capsys):
    """The top-level handler: an exception no command expected is still one JSON object."""
    import importlib

    app_mod = importlib.import_module("spacerange.cli.app")

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("spacerange.cli.common.load_source", boom)
    monkeypatch.setattr("spacerange.cli.propagate_cmd.load_source", boom)
    code = app_mod.run(["propagate", "--synthetic", "5", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == app_mod.EXIT_INTERNAL and "kaboom" in doc["error"] and doc["kind"] == "internal"


def test_help_is_plain_and_complete():
    """Every option has help; no reST markup or Python types in the text."""
    from spacerange.cli.app import get_command

    def walk(cmd, name):
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, f"{name} {sub_name}")
        yield name, cmd

    for name, cmd in walk(get_command(), "spacerange"):
        assert cmd.help and "``" not in cmd.help, name
        for p in cmd.params:
            if getattr(p, "hidden", False):
                continue
            assert p.param_type_name == "argument" or p.help, f"{name} {p.opts}: no help"
            assert "``" not in (p.help or ""), f"{name} {p.opts}"
            assert not re.search(r"[<\[](list|bool|str|int|float|path)", str(p.metavar or ""),
                                 re.I), f"{name} {p.opts}: metavar {p.metavar}"  # fmt: skip


def test_server_store_takes_a_path_or_a_url(tmp_path):
    _, doc = cli("admin", "bootstrap", "--db", str(tmp_path / "plain.db"))
    assert doc["role"] == "admin" and (tmp_path / "plain.db").exists()
    _, doc = cli("admin", "add-user", "bob", "--role", "observer", "--team", "x",
                 "--db", f"sqlite:///{tmp_path / 'plain.db'}")  # fmt: skip
    assert doc["username"] == "bob"
    code, doc = cli("admin", "bootstrap", "--db", "bogus://nowhere", check=False)
    assert code == 1 and "--db" in doc["error"]


def test_errors_say_where(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\nexercise: [\n")
    code, doc = cli("exercise", "run", str(bad), "--out-dir", str(tmp_path / "r"), check=False)
    assert code == 1 and doc["file"] == str(bad) and doc["error"]
