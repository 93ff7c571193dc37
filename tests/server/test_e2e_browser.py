"""End to end in a real browser (Debian's chromium driven by Python playwright): EXCON
starts the exercise, a blue user sees the globe with objects, receives an inject, submits
an avoidance manoeuvre and sees it applied; a second blue team never sees that inbox.
Skipped when chromium, playwright or the Cesium assets are missing."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
from srv_helpers import INJECT, USERS, add_users, free_port, start_server

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
STATIC = Path(__file__).resolve().parents[2] / "src/spacerange/server/static"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium not installed"),
    pytest.mark.skipif(not (STATIC / "cesium/Cesium.js").exists(), reason="run `make web`"),
]


def _login(page, base: str, user: str) -> None:
    page.on("pageerror", lambda e: print("page error:", user, e))
    page.goto(base + "/")
    page.get_by_test_id("username").fill(user)
    page.get_by_test_id("password").fill(USERS[user][0])
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("who").wait_for(state="visible")


def _globe_pixels(png: Path) -> tuple[float, int]:
    """Fraction of clearly coloured (non-black, non-grey) pixels and distinct colours."""
    from PIL import Image

    a = np.asarray(Image.open(png).convert("RGB")).astype(int)
    spread = a.max(axis=2) - a.min(axis=2)
    coloured = (a.max(axis=2) > 50) & (spread > 25)
    distinct = len(np.unique(a.reshape(-1, 3) // 8, axis=0))
    return float(coloured.mean()), distinct


def test_browser_exercise_flow(scenario_file, tmp_path):
    db = f"sqlite:///{tmp_path / 'server.sqlite'}"
    add_users(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    shots = Path(os.environ.get("SPACERANGE_E2E_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    proc = start_server(scenario_file, tmp_path / "run", db, port, tmp_path / "srv.log", speed=300)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--use-angle=swiftshader",
                    "--enable-unsafe-swiftshader",
                    "--ignore-gpu-blocklist",
                    "--no-sandbox",
                ],  # fmt: skip
            )
            size = {"width": 1400, "height": 850}
            excon = browser.new_context(viewport=size).new_page()
            _login(excon, base, "excon")
            excon.get_by_test_id("excon-start").click()
            excon.wait_for_function(
                "document.getElementById('runstate').dataset.running === '1'", timeout=15000
            )

            blue = browser.new_context(viewport=size).new_page()
            _login(blue, base, "ardenia")
            blue.wait_for_function(
                "document.querySelectorAll('#objects li a').length > 50", timeout=20000
            )
            blue.wait_for_timeout(4000)  # tiles and points
            blue.get_by_test_id("globe").screenshot(path=str(shots / "blue_globe.png"))
            frac, distinct = _globe_pixels(shots / "blue_globe.png")
            assert frac > 0.05 and distinct > 200, (frac, distinct)

            excon.select_option("#ex-serial", INJECT)
            excon.get_by_test_id("excon-release").click()
            blue.get_by_test_id("tab-inbox").click()
            blue.get_by_test_id("inbox").get_by_text("Conjunction data message").wait_for(
                timeout=20000
            )
            assert "EXERCISE" in blue.get_by_test_id("panel-inbox").inner_text()

            blue.get_by_test_id("tab-actions").click()
            blue.select_option("[data-testid=action-kind]", "maneuver")
            blue.get_by_test_id("mnv-asset").select_option("ARD-EO-1")
            blue.get_by_test_id("mnv-dvt").fill("0.3")
            blue.get_by_test_id("action-submit").click()
            blue.get_by_test_id("action-result").get_by_text("accepted").wait_for(timeout=15000)
            # applied after the uplink delay (600 s scenario = 2 s wall at 300x)
            blue.get_by_test_id("actions").get_by_text("applied").wait_for(timeout=30000)
            blue.screenshot(path=str(shots / "blue_console.png"))

            # a validation message from the engine is shown to the user
            blue.get_by_test_id("mnv-dvt").fill("5000")
            blue.get_by_test_id("action-submit").click()
            blue.wait_for_timeout(3000)

            blue.context.close()  # software WebGL on 2 cores: one globe at a time
            other = browser.new_context(viewport=size).new_page()
            _login(other, base, "borealis")
            other.get_by_test_id("tab-inbox").click()
            other.wait_for_timeout(1500)
            assert "Conjunction data message" not in other.get_by_test_id("inbox").inner_text()
            status = other.evaluate(
                "async () => (await fetch('/api/teams/ardenia-ops/inbox', {headers: "
                "{Authorization: 'Bearer ' + sessionStorage.getItem('sr_token')}})).status"
            )
            assert status == 403
            other.screenshot(path=str(shots / "other_blue_console.png"))
            browser.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
