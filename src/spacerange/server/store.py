"""Server-side persistence (SQLAlchemy 2): users, login sessions, login throttling,
inter-team messages and small key/value state (signing key, clock state).

Works on SQLite (default, ``sqlite:///path``) and PostgreSQL (``postgresql://...``, via
psycopg 3).  The exercise event log itself lives in the engine's ``events.sqlite``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

__all__ = ["Store", "User", "LoginSession", "Message", "ROLES", "normalize_db_url"]

#: Server roles.  ``white`` is EXCON; ``blue``/``red`` are playing cells bound to a team;
#: ``evaluator`` sees everything and rates; ``observer`` is read-only; ``admin`` manages users.
ROLES = ("admin", "white", "blue", "red", "evaluator", "observer")


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(t: datetime) -> datetime:
    """SQLite returns naive datetimes: they were written in UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class LoginSession(Base):
    __tablename__ = "login_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


class LoginThrottle(Base):
    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[float] = mapped_column(Float, default=0.0)  # unix seconds


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    from_team: Mapped[str] = mapped_column(String(64))
    from_user: Mapped[str] = mapped_column(String(64))
    to_team: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    sim_time_utc: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class KeyValue(Base):
    __tablename__ = "server_state"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def normalize_db_url(url: str) -> str:
    """Map ``postgresql://`` to the psycopg 3 driver; other URLs pass through."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Store:
    """All server tables behind one small API (each method is its own transaction)."""

    def __init__(self, db_url: str) -> None:
        self.url = normalize_db_url(db_url)
        kwargs: dict[str, Any] = {"future": True}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine = create_engine(self.url, **kwargs)
        if self.url.startswith("sqlite"):

            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn, _rec):  # pragma: no cover - trivial
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------- users
    def add_user(self, username: str, password_hash: str, role: str, team: str | None) -> User:
        if role not in ROLES:
            raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
        with self.session() as s, s.begin():
            u = User(username=username, password_hash=password_hash, role=role, team=team)
            s.add(u)
        return u

    def upsert_user(
        self,
        username: str,
        password_hash: str,
        role: str,
        team: str | None,
        *,
        must_change: bool = False,
    ) -> User:
        """Create the account or reset it; a reset ends every session of the account (a
        reset password must lock out whoever held the old one).  ``must_change``: the
        password is a one-time password the user must change before doing anything else."""
        with self.session() as s, s.begin():
            u = s.scalar(select(User).where(User.username == username))
            if u is None:
                u = User(username=username, password_hash=password_hash, role=role, team=team)
                s.add(u)
            else:
                u.password_hash, u.role, u.team, u.disabled = password_hash, role, team, False
                s.execute(
                    update(LoginSession).where(LoginSession.user_id == u.id).values(revoked=True)
                )
            s.flush()
            uid = u.id
        self.set_must_change(uid, must_change)
        return u

    def set_password(self, user_id: int, password_hash: str, keep_sid: str | None = None) -> None:
        """Change a password (clears the must-change flag) and end every other session."""
        with self.session() as s, s.begin():
            u = s.get(User, user_id)
            if u is None:
                raise KeyError(user_id)
            u.password_hash = password_hash
            s.execute(
                update(LoginSession)
                .where(LoginSession.user_id == user_id, LoginSession.id != (keep_sid or ""))
                .values(revoked=True)
            )
        self.set_must_change(user_id, False)

    def must_change(self, user_id: int) -> bool:
        return bool(self.get_state(f"must_change:{user_id}", False))

    def set_must_change(self, user_id: int, flag: bool) -> None:
        self.set_state(f"must_change:{user_id}", bool(flag))

    def get_user(self, username: str) -> User | None:
        with self.session() as s:
            return s.scalar(select(User).where(User.username == username))

    def user_by_id(self, user_id: int) -> User | None:
        with self.session() as s:
            return s.get(User, user_id)

    def list_users(self) -> list[User]:
        with self.session() as s:
            return list(s.scalars(select(User).order_by(User.id)))

    def count_users(self) -> int:
        return len(self.list_users())

    # -------------------------------------------------------------- sessions
    def create_login_session(self, sid: str, user_id: int, ttl_s: float, ip: str | None) -> None:
        with self.session() as s, s.begin():
            s.add(
                LoginSession(
                    id=sid,
                    user_id=user_id,
                    expires_utc=_now() + timedelta(seconds=ttl_s),
                    ip=ip,
                )
            )

    def valid_login_session(self, sid: str) -> LoginSession | None:
        with self.session() as s:
            ls = s.get(LoginSession, sid)
            if ls is None or ls.revoked or _aware(ls.expires_utc) <= _now():
                return None
            return ls

    def revoke_login_session(self, sid: str) -> None:
        with self.session() as s, s.begin():
            ls = s.get(LoginSession, sid)
            if ls is not None:
                ls.revoked = True

    def purge_expired_sessions(self) -> int:
        with self.session() as s, s.begin():
            res = s.execute(delete(LoginSession).where(LoginSession.expires_utc <= _now()))
            return res.rowcount or 0

    # ------------------------------------------------------------ throttling
    def throttle_state(self, key: str) -> tuple[int, float]:
        """``(failures, locked_until_unix_s)`` for a username+IP key."""
        with self.session() as s:
            t = s.get(LoginThrottle, key)
            return (0, 0.0) if t is None else (t.failures, t.locked_until)

    def record_failure(self, key: str, locked_until: float) -> int:
        with self.session() as s, s.begin():
            t = s.get(LoginThrottle, key)
            if t is None:
                t = LoginThrottle(key=key, failures=0, locked_until=0.0)
                s.add(t)
            t.failures += 1
            t.locked_until = locked_until
            return t.failures

    def set_lock(self, key: str, locked_until: float) -> None:
        with self.session() as s, s.begin():
            t = s.get(LoginThrottle, key)
            if t is not None:
                t.locked_until = locked_until

    def clear_failures(self, key: str) -> None:
        with self.session() as s, s.begin():
            t = s.get(LoginThrottle, key)
            if t is not None:
                s.delete(t)

    # -------------------------------------------------------------- messages
    def add_message(
        self, from_team: str, from_user: str, to_team: str, text: str, sim_time_utc: str | None
    ) -> dict:
        with self.session() as s, s.begin():
            m = Message(
                from_team=from_team,
                from_user=from_user,
                to_team=to_team,
                text=text,
                sim_time_utc=sim_time_utc,
            )
            s.add(m)
            s.flush()
            return _msg_dict(m)

    def messages_for(self, team: str | None) -> list[dict]:
        """Messages sent to or by ``team`` (``None``: every message)."""
        with self.session() as s:
            q = select(Message).order_by(Message.id)
            if team is not None:
                q = q.where((Message.to_team == team) | (Message.from_team == team))
            return [_msg_dict(m) for m in s.scalars(q)]

    # ------------------------------------------------------------- key/value
    def get_state(self, key: str, default: Any = None) -> Any:
        with self.session() as s:
            kv = s.get(KeyValue, key)
            return default if kv is None else json.loads(kv.value)

    def set_state(self, key: str, value: Any) -> None:
        with self.session() as s, s.begin():
            kv = s.get(KeyValue, key)
            if kv is None:
                s.add(KeyValue(key=key, value=json.dumps(value)))
            else:
                kv.value = json.dumps(value)


def _msg_dict(m: Message) -> dict:
    return {
        "id": m.id,
        "from_team": m.from_team,
        "from_user": m.from_user,
        "to_team": m.to_team,
        "text": m.text,
        "sim_time_utc": m.sim_time_utc,
        "marking": "EXERCISE",
    }
