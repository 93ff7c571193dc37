"""Store: a password reset ends the account's sessions and can demand a change; a change
ends the other sessions (SQLite, and PostgreSQL when SPACERANGE_TEST_PG is set)."""

from __future__ import annotations

import pytest
from srv_helpers import db_urls, resolve_db

from spacerange.server.auth import hash_password
from spacerange.server.store import Store


@pytest.mark.parametrize("kind", db_urls())
def test_reset_and_change_end_sessions(kind, tmp_path):
    store = Store(resolve_db(kind, tmp_path))
    try:
        u = store.upsert_user("alice", hash_password("first-password-1"), "blue", "ardenia-ops")
        other = store.upsert_user("bob", hash_password("bob-password-12"), "blue", "ardenia-ops")
        for sid, uid in (("s1", u.id), ("s2", u.id), ("b1", other.id)):
            store.create_login_session(sid, uid, 3600, "127.0.0.1")
        assert not store.must_change(u.id)
        store.upsert_user("alice", hash_password("reset-password-1"), "blue", "ardenia-ops",
                          must_change=True)  # fmt: skip
        assert store.valid_login_session("s1") is None and store.valid_login_session("s2") is None
        assert store.valid_login_session("b1") is not None  # nobody else's session
        assert store.must_change(u.id)
        store.create_login_session("s3", u.id, 3600, None)
        store.create_login_session("s4", u.id, 3600, None)
        store.set_password(u.id, hash_password("chosen-password-1"), keep_sid="s3")
        assert store.valid_login_session("s3") is not None
        assert store.valid_login_session("s4") is None
        assert not store.must_change(u.id)
    finally:
        store.close()
