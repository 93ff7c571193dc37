"""Password hashing (stdlib scrypt), HMAC-signed session tokens and login throttling.

Tokens are ``base64url(json{"sid","uid","exp"}) + "." + base64url(HMAC-SHA256)``; the
signing key lives in the store (generated once), and the session id must still be valid
(not revoked, not expired) in the store, so logout and expiry work server-side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from spacerange.server.store import Store

__all__ = [
    "hash_password",
    "verify_password",
    "TokenSigner",
    "Throttle",
    "DeviceCookies",
    "Principal",
    "generate_password",
]

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (salt and hash base64), OWASP scrypt parameters."""
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(dk).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt_b64, dk_b64 = stored.split("$")
        if algo != "scrypt":
            return False
        dk = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt_b64),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(dk, base64.b64decode(dk_b64))


#: Hash of a random password, verified against when the username is unknown so that the
#: response time does not reveal which usernames exist.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(12))


def dummy_verify(password: str) -> None:
    verify_password(password, _DUMMY_HASH)


def generate_password(n_bytes: int = 12) -> str:
    return secrets.token_urlsafe(n_bytes)


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: user id and name, role, team (None for white/eval/admin)."""

    user_id: int
    username: str
    role: str
    team: str | None
    sid: str

    @property
    def sees_all(self) -> bool:
        return self.role in ("white", "evaluator", "admin")


class TokenSigner:
    """HMAC-SHA256 session tokens bound to a server-side login session."""

    def __init__(self, store: Store, ttl_s: float = 8 * 3600) -> None:
        self.store = store
        self.ttl_s = ttl_s
        key = store.get_state("token_key")
        if key is None:
            key = secrets.token_hex(32)
            store.set_state("token_key", key)
        self._key = bytes.fromhex(key)
        self.devices = DeviceCookies(self._key)

    def issue(self, user_id: int, ip: str | None) -> tuple[str, float]:
        sid = secrets.token_urlsafe(24)
        exp = time.time() + self.ttl_s
        self.store.create_login_session(sid, user_id, self.ttl_s, ip)
        body = _b64e(json.dumps({"sid": sid, "uid": user_id, "exp": exp}).encode())
        sig = _b64e(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
        return f"{body}.{sig}", exp

    def verify(self, token: str) -> tuple[str, int] | None:
        """``(sid, user_id)`` for a well-signed, unexpired, unrevoked token, else None."""
        try:
            if len(token) > 1024:
                return None
            body, sig = token.split(".")
            want = _b64e(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(sig, want):
                return None
            data = json.loads(_b64d(body))
            if float(data["exp"]) <= time.time():
                return None
            sid, uid = str(data["sid"]), int(data["uid"])
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            return None
        ls = self.store.valid_login_session(sid)
        if ls is None or ls.user_id != uid:
            return None
        return sid, uid


class Throttle:
    """Login back-off: after ``free`` consecutive failures on a key, each further failure
    locks the key for ``base_s * 2**k`` seconds, capped at ``max_s`` (so a lock-out always
    ends).  The key is the username plus the client address, or the username plus a
    *device* (a signed cookie the browser got at its last successful login for that user),
    so a guesser on the same address as a user cannot lock that user's own browser out.

    :meth:`attempt` is atomic per key: the check, the password verification and the
    record happen under one lock (striped over :data:`_STRIPES` locks), so parallel
    attempts cannot slip through between a check and its record (one server process; see
    docs/security.md)."""

    _STRIPES = 64

    def __init__(
        self, store: Store, free: int = 3, base_s: float = 1.0, max_s: float = 300.0
    ) -> None:
        self.store, self.free, self.base_s, self.max_s = store, free, base_s, max_s
        self._locks = [threading.Lock() for _ in range(self._STRIPES)]

    @staticmethod
    def key(username: str, ip: str | None, device: str | None = None) -> str:
        who = username.lower()[:64]
        return f"{who}|dev:{device}" if device else f"{who}|{ip or '-'}"

    def lock_for(self, key: str) -> threading.Lock:
        h = int.from_bytes(hashlib.sha256(key.encode("utf-8", "replace")).digest()[:4], "big")
        return self._locks[h % self._STRIPES]

    def retry_after(self, key: str) -> float:
        """Seconds until a login attempt is allowed again (0 when allowed now)."""
        _, locked_until = self.store.throttle_state(key)
        return max(0.0, locked_until - time.time())

    def failure(self, key: str) -> None:
        failures, _ = self.store.throttle_state(key)
        k = failures + 1 - self.free
        locked_until = 0.0 if k <= 0 else time.time() + min(self.max_s, self.base_s * 2 ** (k - 1))
        self.store.record_failure(key, locked_until)

    def success(self, key: str) -> None:
        self.store.clear_failures(key)

    def attempt(self, key: str, check: Callable[[], bool]) -> tuple[bool, float]:
        """Run ``check`` (the password verification) unless ``key`` is locked, and record
        its outcome, atomically.  ``(ok, retry_after_s)``: ``retry_after_s > 0`` means
        refused without checking."""
        with self.lock_for(key):
            wait = self.retry_after(key)
            if wait > 0:
                return False, wait
            ok = check()
            if ok:
                self.success(key)
            else:
                self.failure(key)
            return ok, 0.0


class DeviceCookies:
    """Signed "this browser logged in as this user before" cookies (OWASP device cookies):
    ``base64url(json{"u", "d"}) + "." + HMAC``, keyed like the session tokens."""

    NAME = "sr_device"

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"device-cookie|" + key).digest()

    def issue(self, username: str) -> str:
        body = _b64e(json.dumps({"u": username, "d": secrets.token_urlsafe(12)}).encode())
        sig = _b64e(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
        return f"{body}.{sig}"

    def device_for(self, cookie: str | None, username: str) -> str | None:
        """The device id of a valid cookie issued to ``username``, else None."""
        if not cookie or len(cookie) > 512:
            return None
        try:
            body, sig = cookie.split(".")
            want = _b64e(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(sig, want):
                return None
            data = json.loads(_b64d(body))
            if data.get("u") != username:
                return None
            return str(data["d"])[:32]
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
