"""Passwords, tokens, logout, expiry and login throttling."""

from __future__ import annotations

import time

from srv_helpers import USERS, login, make_client

from spacerange.server.auth import hash_password, verify_password


def test_scrypt_hash_roundtrip_and_salt():
    h1, h2 = hash_password("correct horse"), hash_password("correct horse")
    assert h1 != h2 and h1.startswith("scrypt$16384$8$1$")
    assert verify_password("correct horse", h1)
    assert not verify_password("correct horsf", h1)
    assert not verify_password("x", "garbage")


def test_logout_revokes_and_throttle(scenario_file, tmp_path):
    with make_client(scenario_file, tmp_path, throttle_free=2, throttle_base_s=2.0) as c:
        h = login(c, "ardenia")
        assert c.get("/api/auth/me", headers=h).json()["team"] == "ardenia-ops"
        assert c.post("/api/auth/logout", headers=h).status_code == 204
        assert c.get("/api/auth/me", headers=h).status_code == 401
        # two free failures, then exponential back-off with 429 + Retry-After
        bad = {"username": "red", "password": "nope"}
        assert c.post("/api/auth/login", json=bad).status_code == 401
        assert c.post("/api/auth/login", json=bad).status_code == 401
        assert c.post("/api/auth/login", json=bad).status_code == 401  # 3rd failure: locks 2 s
        r = c.post("/api/auth/login", json={"username": "red", "password": USERS["red"][0]})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        # another user from the same client is not locked
        assert c.post("/api/auth/login", json={"username": "excon",
                                               "password": USERS["excon"][0]}).status_code == 200  # fmt: skip
        time.sleep(2.1)
        assert c.post("/api/auth/login", json=bad).status_code == 401  # 4th: locks 4 s
        r = c.post("/api/auth/login", json={"username": "red", "password": USERS["red"][0]})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 3


def test_expired_token_is_refused(scenario_file, tmp_path):
    with make_client(scenario_file, tmp_path, token_ttl_s=1.0) as c:
        h = login(c, "excon")
        assert c.get("/api/auth/me", headers=h).status_code == 200
        time.sleep(1.2)
        assert c.get("/api/auth/me", headers=h).status_code == 401


def test_admin_creates_accounts_with_team_checks(scenario_file, tmp_path):
    with make_client(scenario_file, tmp_path) as c:
        h = login(c, "admin")
        r = c.post("/api/auth/users", json={"username": "b2", "role": "blue"}, headers=h)
        assert r.status_code == 422 and "ardenia-ops" in r.text
        r = c.post("/api/auth/users", json={"username": "b2", "role": "blue",
                                            "team": "borealis-ops"}, headers=h)  # fmt: skip
        assert r.status_code == 201
        pw = r.json()["password"]
        assert c.post("/api/auth/users", json={"username": "b2", "role": "evaluator"},
                      headers=h).status_code == 409  # fmt: skip
        r = c.post("/api/auth/login", json={"username": "b2", "password": pw})
        assert r.json()["user"]["team"] == "borealis-ops"
