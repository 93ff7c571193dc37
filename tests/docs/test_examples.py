"""The examples in README.md and docs/ run, so a stale example fails CI.

A fenced block whose info string carries the word ``test`` (```` ```sh test ```` or
```` ```python test ````) is executed; other blocks are illustrations only.  The blocks of
one document run in order in one scratch directory that holds small stand-ins for the files
the examples name (``catalog.3le``: a 60-object synthetic catalog; ``history.3le``: an
element-set history with one burn; ``decaying.3le``: an object at 190 km;
``conjunction.cdm``: a CDM from the catalog's screening; ``owner.oem``: an operator's
ephemeris of its primary, object 200000, with covariance).  ``spacerange`` in a shell block
runs this checkout's command; a trailing ``# comment`` is fine; ``\\`` continues a line.
How to mark a block is documented in docs/user-guide.md ("Examples are tested")."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.M | re.S)


def marked_blocks(path: Path) -> list[tuple[str, str, int]]:
    """``(language, code, line)`` of the blocks marked ``test`` in ``path``; the language
    gets ``:xfail`` appended for blocks also marked ``xfail`` (a known bug, named next to
    the block: such a block must fail, so the marker goes when the bug is fixed)."""
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        lang, info, code = m.group(1), m.group(2), m.group(3)
        words = info.split()
        if "test" in words:
            tag = f"{lang}:xfail" if "xfail" in words else lang
            out.append((tag, code, text[: m.start()].count("\n") + 1))
    return out


def shell_commands(code: str) -> list[str]:
    """Commands of a shell block: continuation lines joined, comments and blanks dropped."""
    joined = re.sub(r"\\\n\s*", " ", code)
    cmds = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cmds.append(line)
    return cmds


def _spacerange(*args, cwd):
    proc = subprocess.run([sys.executable, "-m", "spacerange", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]


def _fixtures(d: Path) -> None:
    """Small stand-ins for the files the examples name."""
    _spacerange("catalog", "synth", "--n", "60", "--seed", "7", "--out", "catalog.3le", cwd=d)
    from sgp4 import exporter
    from sgp4.api import WGS72, Satrec

    from spacerange.events.breakup import bstar_from_area_to_mass
    from spacerange.events.maneuver_detection import synthetic_histories
    from spacerange.propagation.numerical import ForceModel, ImpulsiveManeuver

    t0 = np.datetime64("2024-03-01T00:00:00", "us")
    a = 6378.137 + 600.0
    v = np.sqrt(398600.4418 / a)
    burn = ImpulsiveManeuver(t0 + np.timedelta64(5 * 86400 + 3600, "s"), (0, 2e-3, 0))
    (h,) = synthetic_histories(np.array([[a, 0, 0, 0, v * 0.6, v * 0.8]]), t0, 10,
                               ForceModel.zonal(2), [burn], rng=np.random.default_rng(1))  # fmt: skip
    (d / "history.3le").write_text("".join(f"{e.line1}\n{e.line2}\n" for e in h))
    sat = Satrec()
    n = 2 * np.pi / (2 * np.pi * np.sqrt((6378.137 + 190.0) ** 3 / 398600.4418) / 60.0)
    sat.sgp4init(WGS72, "i", 12345, 27000.0, float(bstar_from_area_to_mass(0.01, 2.2)), 0.0,
                 0.0, 0.0005, 0.0, np.radians(51.6), 0.0, n, 0.0)  # fmt: skip
    l1, l2 = exporter.export_tle(sat)
    (d / "decaying.3le").write_text(f"0 DECAYING\n{l1}\n{l2}\n")
    _spacerange("screen", "--catalog", "catalog.3le", "--span", "6h", "--threshold", "300km",
                "--cdm-dir", "fixture-cdms", cwd=d)  # fmt: skip
    cdms = sorted((d / "fixture-cdms").glob("*"))
    assert cdms, "no conjunction in the fixture catalog"
    (d / "conjunction.cdm").write_bytes(cdms[0].read_bytes())
    # docs/user-guide.md's analyst's day names object 200000 as the owner's satellite
    assert cdms[0].name.startswith("SR-200000-"), cdms[0].name  # CONJUNCTION_ID-named
    _owner_oem(d)


def _owner_oem(d: Path) -> None:
    """``owner.oem``: an operator's ephemeris of catalog object 200000 (the primary of
    ``conjunction.cdm``), 6 h at 60 s from the catalog's median epoch in GCRF, with an RTN
    covariance every hour, as an owner/operator would send it."""
    from spacerange.catalog.tle import parse_tle_file
    from spacerange.ccsds.oem import Oem, OemCovariance, OemSegment, write_oem
    from spacerange.cli.common import load_source
    from spacerange.propagation.sgp4_batch import propagate

    elsets, _ = parse_tle_file(d / "catalog.3le")
    (e,) = [x for x in elsets if x.norad_id == 200000]
    t0 = load_source(None, [d / "catalog.3le"]).median_epoch()
    times = t0 + (np.arange(0.0, 6 * 3600.0 + 60.0, 60.0) * 1e6).astype("timedelta64[us]")
    eph = propagate([(e.line1, e.line2)], times, frame="gcrs", workers=1)
    meta = {"OBJECT_NAME": e.name, "OBJECT_ID": str(e.norad_id), "CENTER_NAME": "EARTH",
            "REF_FRAME": "GCRF", "TIME_SYSTEM": "UTC", "START_TIME": times[0],
            "STOP_TIME": times[-1]}  # fmt: skip
    cov_rtn_km2 = np.diag([0.02, 0.1, 0.02, 1e-8, 1e-8, 1e-8])
    covs = [OemCovariance(times[i], cov_rtn_km2, "RTN") for i in range(0, len(times), 60)]
    header = {"CCSDS_OEM_VERS": "3.0", "CREATION_DATE": t0, "ORIGINATOR": "OWNER"}
    seg = OemSegment(meta, times, eph.r[0], eph.v[0], None, covs)
    write_oem(Oem(header, [seg]), d / "owner.oem")


def _run_shell(cmd: str, cwd: Path, where: str) -> None:
    argv = shlex.split(cmd, comments=True)
    assert argv and argv[0] == "spacerange", f"{where}: only spacerange commands run: {cmd}"
    # Globs as a shell would expand them.
    args = []
    for a in argv[1:]:
        hits = sorted(str(p.relative_to(cwd)) for p in cwd.glob(a)) if "*" in a else []
        args.extend(hits or [a])
    proc = subprocess.run([sys.executable, "-m", "spacerange", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert proc.returncode == 0, (
        f"{where}: `{cmd}` exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    )


def _run_python(code: str, cwd: Path, where: str) -> None:
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=900)  # fmt: skip
    assert proc.returncode == 0, f"{where}: python block failed:\n{proc.stderr[-3000:]}"


DOCS_WITH_TESTS = [p for p in DOCS if marked_blocks(p)]


def test_the_documents_have_tested_examples():
    names = {p.name for p in DOCS_WITH_TESTS}
    assert {"README.md", "user-guide.md", "exercise.md", "scenario-format.md"} <= names


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory) -> Path:
    """The stand-in files, made once for the documents (each gets a copy: 14 s apiece)."""
    d = tmp_path_factory.mktemp("stand_ins")
    _fixtures(d)
    return d


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS_WITH_TESTS, ids=lambda p: p.name)
def test_examples_run(doc, stand_ins, tmp_path):
    shutil.copytree(stand_ins, tmp_path, dirs_exist_ok=True)
    # Scenario paths in the docs are relative to the repository root.
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    for tag, code, line in marked_blocks(doc):
        where = f"{doc.name}:{line}"
        lang, _, xfail = tag.partition(":")
        try:
            if lang in ("sh", "bash", "shell"):
                for cmd in shell_commands(code):
                    _run_shell(cmd, tmp_path, where)
            elif lang == "python":
                _run_python(code, tmp_path, where)
            else:
                raise AssertionError(f"{where}: cannot run a {lang} block")
        except AssertionError:
            if xfail:
                continue  # the known bug is still there
            raise
        assert not xfail, f"{where}: the block marked xfail now runs: remove the marker"


def test_architecture_entry_points_import():
    """Every entry point named in docs/architecture.md's package table imports."""
    import importlib

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = [ln for ln in text.splitlines() if ln.startswith("| `")]
    names = [
        n for row in rows for n in re.findall(r"`([a-z_]+(?:\.[A-Za-z_]+)+)`", row.split("|")[3])
    ]
    assert len(names) > 30
    for dotted in names:
        module, _, attr = f"spacerange.{dotted}".rpartition(".")
        assert hasattr(importlib.import_module(module), attr), dotted


def test_training_scenarios_cover_the_threat_kinds_the_docs_say():
    """docs/scenario-format.md: one training scenario per threat kind but media and
    diplomatic_note, which asterx-demo plays; a variant of a kind is named
    ``<kind>_<what>`` (e.g. ``geo_rendezvous_hold``)."""
    from spacerange.exercise.scenario import ThreatKind

    files = {p.stem for p in (ROOT / "scenarios" / "training").glob("*.yaml")}
    kinds = {k.value for k in ThreatKind}
    assert files & kinds == kinds - {"media", "diplomatic_note"}
    variants = files - kinds
    assert all(any(v.startswith(k + "_") for k in kinds) for v in variants), variants
    demo = (ROOT / "scenarios" / "asterx-demo.yaml").read_text()
    assert "kind: media" in demo and "kind: diplomatic_note" in demo
