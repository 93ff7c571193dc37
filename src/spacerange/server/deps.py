"""Dependencies shared by every router: settings, store, exercise session, the caller.

Tests swap any of these with ``app.dependency_overrides`` (STYLE item 14)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from spacerange.server.auth import Principal, Throttle, TokenSigner
from spacerange.server.engine import ExerciseSession
from spacerange.server.limits import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_JSON_DEPTH
from spacerange.server.store import Store

__all__ = [
    "Settings",
    "get_settings",
    "get_store",
    "get_signer",
    "get_throttle",
    "get_session",
    "current_user",
    "current_user_any",
    "require_roles",
    "require_team_access",
]


@dataclass
class Settings:
    """Server configuration.  ``db_url``: SQLAlchemy URL of the server store;
    ``scenario``: scenario YAML (ignored when ``run_dir`` already holds a log);
    ``run_dir``: the engine's run directory; ``token_ttl_s``: session lifetime;
    ``throttle_free``/``throttle_base_s``: failed logins allowed before back-off, first
    back-off in seconds (doubling), capped at ``throttle_max_s`` so a lock-out always ends;
    ``tick_s``: wall seconds between clock steps; ``max_body_bytes``: request bodies over
    this get 413; ``max_json_depth``: JSON nested deeper gets 400; ``api_docs``: serve
    ``/docs`` (Swagger UI) and ``/redoc`` (off by default: they load scripts from a CDN);
    ``trusted_proxies``: addresses whose ``X-Forwarded-For`` is believed (empty: none, the
    peer address is the client).  See docs/security.md."""

    db_url: str
    run_dir: Path
    scenario: Path | None = None
    token_ttl_s: float = 8 * 3600
    throttle_free: int = 3
    throttle_base_s: float = 1.0
    throttle_max_s: float = 300.0
    tick_s: float = 0.5
    speed: float | None = None
    seed: int | None = None
    autopilots: dict[str, str] = field(default_factory=dict)
    static_dir: Path = Path(__file__).parent / "static"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    api_docs: bool = False
    trusted_proxies: tuple[str, ...] = ()


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_signer(request: Request) -> TokenSigner:
    return request.app.state.signer


def get_throttle(request: Request) -> Throttle:
    return request.app.state.throttle


def get_session(request: Request) -> ExerciseSession:
    sess = getattr(request.app.state, "session", None)
    if sess is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "exercise not loaded")
    return sess


_bearer = HTTPBearer(auto_error=False, description="token from POST /api/auth/login")


def principal_from_token(token: str, signer: TokenSigner, store: Store) -> Principal | None:
    got = signer.verify(token)
    if got is None:
        return None
    sid, uid = got
    user = store.user_by_id(uid)
    if user is None or user.disabled:
        return None
    return Principal(user.id, user.username, user.role, user.team, sid)


def current_user_any(
    creds: HTTPAuthorizationCredentials | None = Depends(_bearer),
    signer: TokenSigner = Depends(get_signer),
    store: Store = Depends(get_store),
) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``; 401 otherwise (also while the
    password must still be changed: for /me, /logout and /password only)."""
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "not authenticated", {"WWW-Authenticate": "Bearer"}
        )
    who = principal_from_token(creds.credentials, signer, store)
    if who is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid or expired token",
            {"WWW-Authenticate": "Bearer"},
        )
    return who


def current_user(
    who: Principal = Depends(current_user_any), store: Store = Depends(get_store)
) -> Principal:
    """The caller, who must not be holding a one-time password (403 until changed)."""
    if store.must_change(who.user_id):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "password change required: POST /api/auth/password",
        )
    return who


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """Dependency: the caller must hold one of ``roles`` (403 otherwise)."""

    def check(who: Principal = Depends(current_user)) -> Principal:
        if who.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {who.role!r} may not do this (allowed: {', '.join(roles)})",
            )
        return who

    return check


def require_team_access(team: str, who: Principal, session: ExerciseSession) -> None:
    """Raise 404 for an unknown team and 403 unless ``who`` may read ``team``'s data."""
    if team not in session.roles:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no team {team!r} in this exercise")
    if who.sees_all or who.team == team:
        return
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"team {team!r} is not yours")
