"""Build step that pyproject.toml cannot express: the wheel carries the bundled scenarios and
the CesiumJS assets of the web console, so an installed spacerange runs ``spacerange demo``
and ``spacerange serve`` from any directory.

- ``scenarios/`` (repository root) is copied into ``spacerange/data/scenarios/``.
- ``src/spacerange/server/static/cesium/`` is built from the npm package pinned in
  ``web/package-lock.json`` (``npm ci`` then ``web/copy-assets.mjs``) unless a copy of that
  exact version is already there; without npm/node the wheel build fails with a clear message
  (it never ships a console without its globe).  Editable installs (``pip install -e``) skip
  this: they serve the assets from the source tree (``make web``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
WEB = ROOT / "web"
CESIUM_DEST = ROOT / "src" / "spacerange" / "server" / "static" / "cesium"


def _pinned_cesium() -> str:
    lock = json.loads((WEB / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"]["node_modules/cesium"]["version"]


def ensure_cesium() -> None:
    """Build the console's Cesium copy from the pinned npm package, or fail clearly."""
    version = _pinned_cesium()
    marker = CESIUM_DEST / "VERSION"
    if (CESIUM_DEST / "Cesium.js").is_file() and marker.is_file():
        if marker.read_text(encoding="utf-8").strip() == version:
            return
    installed = WEB / "node_modules" / "cesium" / "package.json"
    have = json.loads(installed.read_text())["version"] if installed.is_file() else None
    node, npm = shutil.which("node"), shutil.which("npm")
    if have != version:
        if npm is None or node is None:
            raise SystemExit(
                "building the spacerange wheel needs npm and node (>= 20) to fetch CesiumJS "
                f"{version} (pinned in web/package-lock.json) for the web console; install "
                "Node.js, or run 'npm ci' in web/ beforehand"
            )
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WEB,
                       check=True)  # fmt: skip
    if node is None:
        raise SystemExit("building the spacerange wheel needs node to copy the Cesium assets")
    subprocess.run([node, "copy-assets.mjs"], cwd=WEB, check=True)
    if not (CESIUM_DEST / "Cesium.js").is_file():
        raise SystemExit(f"web/copy-assets.mjs did not produce {CESIUM_DEST}/Cesium.js")
    marker.write_text(version + "\n", encoding="utf-8")


class BuildPyWithAssets(build_py):
    """``build_py`` plus the scenarios and the Cesium assets as package data."""

    def run(self) -> None:
        if not getattr(self, "editable_mode", False):
            ensure_cesium()
        super().run()
        if getattr(self, "editable_mode", False):
            return
        dest = Path(self.build_lib) / "spacerange" / "data" / "scenarios"
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(ROOT / "scenarios", dest, ignore=shutil.ignore_patterns("*~", ".*"))


setup(cmdclass={"build_py": BuildPyWithAssets})
