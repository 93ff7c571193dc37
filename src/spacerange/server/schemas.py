"""HTTP request/response models (pydantic lives only at this boundary)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    team: str | None


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_unix_s: float
    user: UserOut


class UserIn(BaseModel):
    username: str = Name
    role: Literal["admin", "white", "blue", "red", "evaluator", "observer"]
    team: str | None = Field(default=None, max_length=64)
    password: str | None = Field(default=None, min_length=12, max_length=256)


class UserCreated(BaseModel):
    user: UserOut
    password: str


class ActionIn(BaseModel):
    """A player action (see the engine contract); fields other than ``kind`` pass through
    to the engine, which validates them and answers with its own messages."""

    model_config = ConfigDict(extra="allow")
    kind: str = Field(
        min_length=1,
        max_length=40,
        description="assessment | maneuver | relocate | tasking | share | notify | rfi | "
        "report | countermeasure | reentry_prediction | catalog_update",
    )


class ActionResult(BaseModel):
    accepted: bool
    errors: list[str]
    seq: int | None


class TeamOut(BaseModel):
    id: str
    name: str
    role: str


class StateOut(BaseModel):
    scenario: str | None
    run_dir: str
    sim_time_utc: str | None
    speed: float | None
    running: bool
    finished: bool
    me: UserOut
    teams: list[TeamOut]


class SpeedIn(BaseModel):
    speed: float = Field(gt=0, le=100_000, description="scenario seconds per wall second")


class SerialIn(BaseModel):
    serial: str = Field(min_length=1, max_length=200)


class RateIn(BaseModel):
    team: str = Field(min_length=1, max_length=64)
    objective: str = Field(min_length=1, max_length=64)
    rating: Literal["P", "S", "M", "U"]
    note: str = Field(default="", max_length=4000)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    team: str | None = Field(default=None, max_length=64)


class MessageIn(BaseModel):
    to_team: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=4000)


class MessageOut(BaseModel):
    id: int
    from_team: str
    from_user: str
    to_team: str
    text: str
    sim_time_utc: str | None
    marking: str = "EXERCISE"


class Ok(BaseModel):
    ok: bool = True
    detail: Any = None
