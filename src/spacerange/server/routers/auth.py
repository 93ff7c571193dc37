"""Login, logout, the caller, and user management (admin)."""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from sqlalchemy.exc import IntegrityError

from spacerange.server.auth import (
    DeviceCookies,
    Principal,
    Throttle,
    TokenSigner,
    dummy_verify,
    generate_password,
    hash_password,
    verify_password,
)
from spacerange.server.deps import (
    current_user_any,
    get_session,
    get_signer,
    get_store,
    get_throttle,
    require_roles,
)
from spacerange.server.schemas import (
    LoginIn,
    PasswordChangeIn,
    TokenOut,
    UserCreated,
    UserIn,
    UserOut,
)
from spacerange.server.store import Store

router = APIRouter(
    prefix="/api/auth",
    tags=["auth"],
    responses={401: {"description": "not authenticated"}},
)


def _user_out(u) -> UserOut:
    return UserOut(id=u.id, username=u.username, role=u.role, team=u.team)


@router.post(
    "/login",
    response_model=TokenOut,
    responses={429: {"description": "too many failed attempts; see Retry-After"}},
)
def login(
    body: LoginIn,
    request: Request,
    response: Response,
    store: Store = Depends(get_store),
    signer: TokenSigner = Depends(get_signer),
    throttle: Throttle = Depends(get_throttle),
) -> TokenOut:
    """Exchange a username and password for a bearer token.  Failed attempts back off per
    username and client address (or per device cookie, see docs/security.md)."""
    ip = request.client.host if request.client else None
    device = signer.devices.device_for(request.cookies.get(DeviceCookies.NAME), body.username)
    key = Throttle.key(body.username, ip, device)
    found: list = []

    def check() -> bool:
        user = store.get_user(body.username)
        if user is None:
            dummy_verify(body.password)
            return False
        found.append(user)
        return (not user.disabled) and verify_password(body.password, user.password_hash)

    ok, wait = throttle.attempt(key, check)
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins; retry in {math.ceil(wait)} s",
            {"Retry-After": str(math.ceil(wait))},
        )
    if not ok:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong username or password",
            {"WWW-Authenticate": "Bearer"},
        )
    user = found[0]
    token, exp = signer.issue(user.id, ip)
    response.set_cookie(
        DeviceCookies.NAME,
        signer.devices.issue(user.username),
        max_age=180 * 86400,
        httponly=True,
        samesite="strict",
        path="/api/auth/login",
    )
    return TokenOut(
        token=token,
        expires_unix_s=exp,
        user=_user_out(user),
        must_change_password=store.must_change(user.id),
    )


@router.post(
    "/password",
    status_code=204,
    response_class=Response,
    responses={403: {"description": "wrong current password"}},
)
def change_password(
    body: PasswordChangeIn,
    who: Principal = Depends(current_user_any),
    store: Store = Depends(get_store),
) -> Response:
    """Change the caller's password (required after a one-time password).  Every other
    session of the account ends; this one stays valid."""
    user = store.user_by_id(who.user_id)
    if user is None or not verify_password(body.old_password, user.password_hash):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong current password")
    if body.new_password == body.old_password:
        raise HTTPException(422, "the new password must differ from the old one")
    store.set_password(who.user_id, hash_password(body.new_password), keep_sid=who.sid)
    return Response(status_code=204)


@router.post("/logout", status_code=204, response_class=Response)
def logout(
    who: Principal = Depends(current_user_any), store: Store = Depends(get_store)
) -> Response:
    """Revoke the caller's session (the token stops working at once)."""
    store.revoke_login_session(who.sid)
    return Response(status_code=204)


@router.get("/me", response_model=UserOut)
def me(who: Principal = Depends(current_user_any)) -> UserOut:
    return UserOut(id=who.user_id, username=who.username, role=who.role, team=who.team)


@router.get("/users", response_model=list[UserOut])
def list_users(
    _: Principal = Depends(require_roles("admin", "white")), store: Store = Depends(get_store)
) -> list[UserOut]:
    return [_user_out(u) for u in store.list_users()]


@router.post(
    "/users",
    response_model=UserCreated,
    status_code=201,
    responses={409: {"description": "username taken"}, 422: {"description": "bad team/role"}},
)
def create_user(
    body: UserIn,
    request: Request,
    _: Principal = Depends(require_roles("admin")),
    store: Store = Depends(get_store),
) -> UserCreated:
    """Create an account (admin only).  Blue/red/observer accounts need a team of the
    exercise with that role; the password is generated when not given."""
    if body.role in ("blue", "red", "observer"):
        sess = get_session(request)
        if body.team is None or sess.roles.get(body.team) != body.role:
            teams = [t for t, r in sess.roles.items() if r == body.role]
            raise HTTPException(
                422, f"role {body.role} needs team= one of {teams} (got {body.team!r})"
            )
    elif body.team is not None:
        raise HTTPException(422, f"role {body.role} takes no team")
    password = body.password or generate_password()
    try:
        u = store.add_user(body.username, hash_password(password), body.role, body.team)
    except IntegrityError:
        raise HTTPException(409, f"username {body.username!r} is taken") from None
    if body.password is None:  # a generated password is a one-time password
        store.set_must_change(u.id, True)
    return UserCreated(user=_user_out(u), password=password)
