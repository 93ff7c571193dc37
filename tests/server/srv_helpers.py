"""Helpers for the exercise-server tests: a small training scenario (the bundled high-Pc
conjunction drill with a second blue team, a red cell and observers added), the real
engine, and one account per role."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

REPO = Path(__file__).resolve().parents[2]
BASE_SCENARIO = REPO / "scenarios" / "training" / "high_pc_conjunction.yaml"

#: username -> (password, role, team)
USERS = {
    "excon": ("excon-pass-123", "white", None),
    "ardenia": ("ardenia-pass-123", "blue", "ardenia-ops"),
    "borealis": ("borealis-pass-123", "blue", "borealis-ops"),
    "red": ("red-pass-123", "red", "red-cell"),
    "evaluator": ("eval-pass-123", "evaluator", None),
    "observer": ("observer-pass-123", "observer", "observers"),
    "admin": ("admin-pass-123", "admin", None),
}
INJECT = "ME-01/MI-01.1/INJ-001"


def write_scenario(path: Path) -> Path:
    """The bundled CA training drill plus a second blue team (with a sharing agreement from
    Ardenia), a red cell and an observer team."""
    d = yaml.safe_load(BASE_SCENARIO.read_text())
    d["teams"] += [
        {"id": "borealis-ops", "role": "blue", "plays": []},
        {"id": "red-cell", "role": "red"},
        {"id": "observers", "role": "observer"},
    ]
    d["sharing"] = [
        {"provider": "ardenia-ops", "recipients": ["borealis-ops"], "products": ["omm"]}
    ]
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def add_users(db_url: str) -> None:
    from spacerange.server.auth import hash_password
    from spacerange.server.store import Store

    store = Store(db_url)
    for name, (pw, role, team) in USERS.items():
        store.upsert_user(name, hash_password(pw), role, team)
    store.close()


def db_urls() -> list:
    urls = [pytest.param("sqlite", id="sqlite")]
    pg = os.environ.get("SPACERANGE_TEST_PG")
    urls.append(
        pytest.param(
            pg or "postgresql",
            id="postgresql",
            # one PostgreSQL server for the run, a database of its own per test
            # (``resolve_db``); the group keeps their server processes on one worker
            marks=[
                pytest.mark.skipif(not pg, reason="SPACERANGE_TEST_PG not set"),
                pytest.mark.xdist_group("postgresql"),
            ],
        )
    )
    return urls


def resolve_db(kind: str, tmp: Path) -> str:
    """A fresh database: SQLite file under ``tmp``, or a new, empty PostgreSQL database
    of its own on the server at ``SPACERANGE_TEST_PG``.  (Dropping the tables of one
    shared database raced: the xdist group did not keep two PostgreSQL tests apart, and
    one test's drop removed ``login_sessions`` under the other's running server.)"""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'server.sqlite'}"
    import uuid

    from sqlalchemy import create_engine, make_url, text

    from spacerange.server.store import normalize_db_url

    url = make_url(normalize_db_url(kind))
    name = f"sr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def make_client(scenario: Path, tmp: Path, db_url: str | None = None, **settings):
    from fastapi.testclient import TestClient

    from spacerange.server.deps import Settings
    from spacerange.server.main import create_app

    db_url = db_url or f"sqlite:///{tmp / 'server.sqlite'}"
    add_users(db_url)
    s = Settings(db_url=db_url, run_dir=tmp / "run", scenario=scenario, **settings)
    with TestClient(create_app(s)) as client:
        yield client


def login(client, user: str) -> dict:
    r = client.post("/api/auth/login", json={"username": user, "password": USERS[user][0]})
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    scenario: Path,
    run_dir: Path,
    db: str,
    port: int,
    log: Path,
    speed: float = 300,
    extra: tuple[str, ...] = (),
) -> subprocess.Popen:
    """``spacerange serve`` in a subprocess on 127.0.0.1:port, once it answers."""
    import httpx

    cmd = [sys.executable, "-m", "spacerange", "serve", str(scenario), "--run-dir", str(run_dir),
           "--db", db, "--port", str(port), "--no-demo-accounts", "--tick", "0.1",
           "--speed", str(speed), *extra]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                # the lifespan (engine open) has finished once the API answers
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise AssertionError(log.read_text()[-3000:])
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not start: " + log.read_text()[-3000:])


def login_http(base: str, user: str) -> dict:
    import httpx

    r = httpx.post(f"{base}/api/auth/login",
                   json={"username": user, "password": USERS[user][0]}, timeout=10)  # fmt: skip
    r.raise_for_status()
    return {"Authorization": "Bearer " + r.json()["token"]}
