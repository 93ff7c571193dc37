"""``spacerange catalog fetch`` against a local HTTP server that answers like CelesTrak's GP
service and Space-Track's API (login, modeldef, gp query), in their documented formats.

The replayed bodies are built from the shared 2025 CelesTrak catalog: no network exists
here to record live answers, so the formats follow the services' documentation (GP JSON =
CCSDS OMM keywords; Space-Track's ajaxauth/login, modeldef and 3LE text)."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from datetime import UTC

import pytest
from typer.testing import CliRunner

from spacerange.catalog.importer import read_files
from spacerange.cli.app import app

runner = CliRunner()
IDENTITY, PASSWORD = "analyst@example.org", "s3cret"


def _gp_record(e) -> dict:
    return {
        "OBJECT_NAME": e.name, "OBJECT_ID": e.cospar_id,
        "EPOCH": e.epoch.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "MEAN_MOTION": e.mean_motion_rev_day, "ECCENTRICITY": e.eccentricity,
        "INCLINATION": e.inclination_deg, "RA_OF_ASC_NODE": e.raan_deg,
        "ARG_OF_PERICENTER": e.arg_perigee_deg, "MEAN_ANOMALY": e.mean_anomaly_deg,
        "EPHEMERIS_TYPE": 0, "CLASSIFICATION_TYPE": "U", "NORAD_CAT_ID": e.norad_id,
        "ELEMENT_SET_NO": 999, "REV_AT_EPOCH": e.rev_at_epoch, "BSTAR": e.bstar,
        "MEAN_MOTION_DOT": e.mean_motion_dot, "MEAN_MOTION_DDOT": e.mean_motion_ddot,
    }  # fmt: skip


@pytest.fixture(scope="module")
def server(shared_data):
    elsets, _, _ = read_files([shared_data / "catalog" / "celestrak_active_20250927T1819Z.tle"])
    elsets = elsets[:300]
    gp_json = json.dumps([_gp_record(e) for e in elsets]).encode()
    by_id = {e.norad_id: e for e in elsets}
    calls: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):  # quiet
            pass

        def _send(self, code: int, body: bytes, ctype="application/json", cookie=None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            if cookie:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            calls.append(self.path)
            url = urllib.parse.urlparse(self.path)
            if url.path == "/NORAD/elements/gp.php":
                q = urllib.parse.parse_qs(url.query)
                if q.get("GROUP") == ["active"] and q.get("FORMAT") == ["json"]:
                    return self._send(200, gp_json)
                return self._send(200, b"Invalid query", "text/plain")
            if url.path == "/ajaxauth/logout":
                return self._send(200, b'"Successfully logged out"')
            if "chocolatechip=ok" not in (self.headers.get("Cookie") or ""):
                return self._send(401, b'{"error":"You must be logged in"}')
            if url.path == "/basicspacedata/modeldef/class/gp":
                fields = [
                    {"Field": "NORAD_CAT_ID", "Type": "int(10) unsigned", "Null": "NO",
                     "Default": "0", "Key": ""},
                    {"Field": "EPOCH", "Type": "datetime(6)", "Null": "YES", "Default": "",
                     "Key": ""},
                ]  # fmt: skip
                return self._send(200, json.dumps({"controller": "basicspacedata",
                                                   "data": fields}).encode())  # fmt: skip
            if url.path.startswith("/basicspacedata/query/class/gp/"):
                parts = url.path.split("/")
                ids = []
                # predicate/value pairs after /gp/ (the orderby value is not a predicate)
                pairs = dict(zip(parts[5::2], parts[6::2], strict=False))
                if "norad_cat_id" in pairs:
                    raw = urllib.parse.unquote(pairs["norad_cat_id"])
                    ids = [int(x) for x in raw.split(",")]
                chosen = [by_id[i] for i in ids if i in by_id] if ids else list(by_id.values())
                text = "\n".join(f"0 {e.name}\n{e.line1}\n{e.line2}" for e in chosen) + "\n"
                return self._send(200, text.encode(), "text/plain")
            return self._send(404, b"{}")

        def do_POST(self):
            calls.append(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(n).decode())
            if self.path == "/ajaxauth/login":
                if form.get("identity") == [IDENTITY] and form.get("password") == [PASSWORD]:
                    return self._send(200, b'""', cookie="chocolatechip=ok; Path=/")
                return self._send(200, b'{"Login":"Failed"}')
            return self._send(404, b"{}")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", calls, elsets
    srv.shutdown()


def _run(args, env) -> tuple[int, dict]:
    res = runner.invoke(app, [*map(str, args), "--json"], env=env)
    return res.exit_code, json.loads(res.stdout.strip().splitlines()[-1])


def test_celestrak_fetch_import_cache_and_politeness(server, tmp_path):
    url, calls, elsets = server
    env = {"SPACERANGE_CELESTRAK_URL": url}
    db, cache = tmp_path / "live.db", tmp_path / "cache"
    code, out = _run(["catalog", "fetch", "--db", db, "--cache-dir", cache], env)
    assert code == 0, out
    assert out["source"] == "celestrak" and out["from_cache"] is False
    assert out["import"]["imported"] == len(elsets) and out["import"]["rejected"] == 0
    assert out["newest_epoch_age_s"] > 0  # staleness of the data itself
    n = len(calls)
    # a second fetch within 2 h is served from the cache, without a request
    code, out = _run(["catalog", "fetch", "--cache-dir", cache], env)
    assert code == 0 and out["from_cache"] is True and len(calls) == n
    assert "2 h" in out["warnings"][0]
    # network down: the cache is served, and the answer says so
    code, out = _run(["catalog", "fetch", "--cache-dir", cache, "--force"],
                     {"SPACERANGE_CELESTRAK_URL": "http://127.0.0.1:9"})  # fmt: skip
    assert code == 0 and out["from_cache"] is True and "download failed" in out["warnings"][0]
    # nothing cached and no network: an error, not an empty catalog
    code, out = _run(["catalog", "fetch", "--cache-dir", tmp_path / "empty"],
                     {"SPACERANGE_CELESTRAK_URL": "http://127.0.0.1:9"})  # fmt: skip
    assert code != 0 and "no cached copy" in out["error"]


def test_spacetrack_fetch_with_credentials_from_the_environment(server, tmp_path):
    url, calls, elsets = server
    env = {"SPACERANGE_SPACETRACK_URL": url, "SPACETRACK_IDENTITY": IDENTITY,
           "SPACETRACK_PASSWORD": PASSWORD}  # fmt: skip
    ids = [elsets[0].norad_id, elsets[5].norad_id]
    args = ["catalog", "fetch", "--source", "spacetrack", "--norad", ids[0], "--norad", ids[1]]
    code, out = _run([*args, "--cache-dir", tmp_path, "--db", tmp_path / "st.db"], env)
    assert code == 0, out
    assert out["import"]["imported"] == 2 and "/ajaxauth/login" in calls
    bad = {**env, "SPACETRACK_PASSWORD": "wrong"}
    code, out = _run([*args, "--cache-dir", tmp_path / "x"], bad)
    assert code != 0 and "refused the credentials" in out["error"]
    code, out = _run([*args, "--cache-dir", tmp_path / "y"], {"SPACETRACK_IDENTITY": ""})
    assert code != 0 and "SPACETRACK_IDENTITY" in out["error"]
