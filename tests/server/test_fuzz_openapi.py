"""API fuzzing with schemathesis against /openapi.json of a live server: no 500s and no
responses that violate the schema, as EXCON (all routes reachable) and as a blue user;
positive and negative bodies plus the hostile values of ``st_hostile_hooks`` (surrogates,
deep nesting, huge numbers, unknown fields), and a stateful phase that follows the OpenAPI
links (submit an action -> cancel it / read the log after it).  Bounded in time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from srv_helpers import add_users, free_port, login_http, start_server

pytest.importorskip("schemathesis")
ST = Path(sys.executable).with_name("schemathesis")
HERE = Path(__file__).resolve().parent


@pytest.mark.slow
@pytest.mark.skipif(not ST.exists() and not shutil.which("schemathesis"), reason="no CLI")
@pytest.mark.parametrize("user", ["excon", "ardenia"])
def test_schemathesis_no_server_errors(scenario_file, tmp_path, user):
    db = f"sqlite:///{tmp_path / 'server.sqlite'}"
    add_users(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(scenario_file, tmp_path / "run", db, port, tmp_path / "srv.log")
    try:
        hdr = login_http(base, user)["Authorization"]
        cmd = [str(ST if ST.exists() else shutil.which("schemathesis")), "run",
               f"{base}/openapi.json", "-H", f"Authorization:{hdr}", "-n", "8",
               "--checks", "not_a_server_error,response_schema_conformance,"
               "status_code_conformance,content_type_conformance",
               "--exclude-path", "/api/auth/logout", "--exclude-path", "/api/auth/password",
               "--phases", "examples,coverage,fuzzing,stateful", "--mode", "all",
               "--max-time", "45", "--seed", "10", "--no-color"]  # fmt: skip
        env = dict(os.environ, SCHEMATHESIS_HOOKS="st_hostile_hooks",
                   PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path,
                             env=env)  # fmt: skip
        print(res.stdout[-4000:])
        assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
