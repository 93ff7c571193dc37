"""The wheel works on its own: build it from a copy of the sources, install it (not editable)
into a fresh venv, and from an unrelated directory run ``spacerange demo`` on a short bundled
scenario and ``spacerange serve`` (start, GET / and the Cesium bundle, stop).

The venv is what ``pip install .`` gives: the base dependencies, not the optional ``fast``
extra (numba), so the commands run on their NumPy paths.  It reaches the third-party
packages through a ``.pth`` line pointing at a folder of links to this interpreter's
site-packages without numba and llvmlite (no network at test time; the test checks that
numba does not import there).  spacerange itself comes only from the wheel, which the test
checks (``spacerange.__file__`` is inside the new venv).  Without the extra the demo does
not compile numba's kernels for the new install path (73 s on an idle machine, 183 s in
CI beside the browser tests); the compiled paths are what the rest of the suite runs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The installed command must not see this checkout (a test run sets PYTHONPATH=src).
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
NODE_MODULES = ROOT / "web" / "node_modules"
#: how long ``spacerange serve`` may take to build the bundled demo and listen [s]
SERVE_START_S = 600.0

pytestmark = pytest.mark.slow
#: left out of the fresh venv: the optional 'fast' extra (numba and its llvmlite), and this
#: checkout's own editable install
WITHOUT = ("numba", "llvmlite", "spacerange", "__editable__")


def _copy_sources(dest: Path) -> None:
    """What an sdist holds (MANIFEST.in), without build outputs."""
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "scenarios", dest / "scenarios")
    shutil.copytree(ROOT / "src", dest / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "cesium"))  # fmt: skip
    (dest / "web").mkdir()
    for name in ("package.json", "package-lock.json", "copy-assets.mjs"):
        shutil.copy2(ROOT / "web" / name, dest / "web" / name)
    if NODE_MODULES.exists():  # saves 'npm ci' (and the network) when already installed
        (dest / "web" / "node_modules").symlink_to(NODE_MODULES.resolve())


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if shutil.which("node") is None or not (
        NODE_MODULES.exists() or shutil.which("npm") is not None
    ):
        pytest.skip("building the wheel needs node and npm (or web/node_modules)")
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    _copy_sources(src)
    dist = base / "dist"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation",
                           "--no-deps", "-q", "-w", str(dist), str(src)],
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = dist.glob("spacerange-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    deps = base / "deps"  # this interpreter's packages less the 'fast' extra and ourselves
    deps.mkdir()
    here = Path(sysconfig.get_paths()["purelib"])
    for entry in here.iterdir():
        if not entry.name.lower().startswith(WITHOUT):
            (deps / entry.name).symlink_to(entry)
    Path(site, "deps.pth").write_text(f"{deps}\n")
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                           "--no-deps", str(wheel)], capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return {"wheel": wheel, "venv": venv, "py": py, "cwd": elsewhere}


def test_wheel_contents(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    assert "spacerange/data/scenarios/asterx-demo.yaml" in names
    assert "spacerange/data/scenarios/training/jamming_report.yaml" in names
    assert "spacerange/server/static/cesium/Cesium.js" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/cesium"]["version"]
    with zipfile.ZipFile(installed["wheel"]) as z:
        assert z.read("spacerange/server/static/cesium/VERSION").decode().strip() == pinned


def test_installed_package_is_the_wheel(installed):
    code = ("import importlib.util, spacerange; print(spacerange.__file__); "
            "print(importlib.util.find_spec('numba'))")  # fmt: skip
    out = subprocess.run([str(installed["py"]), "-c", code], capture_output=True, text=True,
                         check=True, cwd=installed["cwd"], env=CLEAN_ENV)  # fmt: skip
    where, numba = out.stdout.split()
    assert where.startswith(str(installed["venv"]))
    assert numba == "None", "the base install has no numba (the 'fast' extra)"


def test_demo_from_another_directory(installed):
    exe = installed["venv"] / "bin" / "spacerange"
    proc = subprocess.run([str(exe), "demo", "--scenario", "training/jamming_report", "--json"],
                          capture_output=True, text=True, cwd=installed["cwd"], timeout=600,
                          env=CLEAN_ENV)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    assert doc["exercise"]["finished"] is True
    assert Path(installed["cwd"], doc["exercise"]["report"]["html"]).is_file()
    # The bundled path of the docs works from any directory too.
    proc = subprocess.run([str(exe), "exercise", "validate", "scenarios/asterx-demo.yaml",
                           "--json"], capture_output=True, text=True, cwd=installed["cwd"],
                          env=CLEAN_ENV)  # fmt: skip
    assert proc.returncode == 0 and json.loads(proc.stdout)["valid"] is True


def test_serve_from_another_directory(installed):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = installed["venv"] / "bin" / "spacerange"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=installed["cwd"], env=CLEAN_ENV)  # fmt: skip
    try:
        doc = json.loads(proc.stdout.readline())
        assert doc["url"] == f"http://127.0.0.1:{port}/"
        assert doc["accounts"], "the bundled demo creates one account per team"
        body = cesium = None
        # the server builds the demo's world (4,000 objects) before it listens: 20-30 s on
        # an idle machine, 90 s or more on a loaded one
        deadline = time.monotonic() + SERVE_START_S
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"serve exited: {proc.stderr.read()[-3000:]}"
            try:
                body = urllib.request.urlopen(doc["url"], timeout=5).read().decode()
                cesium = urllib.request.urlopen(doc["url"] + "cesium/Cesium.js", timeout=10)
                break
            except OSError:
                time.sleep(1.0)
        assert body is not None, f"serve did not answer within {SERVE_START_S} s"
        assert "<html" in body.lower()
        assert cesium is not None and cesium.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
