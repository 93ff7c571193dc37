"""HTTP request/response models (pydantic lives only at this boundary)."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
)

#: Bounds of every player-supplied field (see docs/security.md).
MAX_ID, MAX_TEXT, MAX_LIST, MAX_DV_MPS = 128, 4000, 500, 10_000.0

Name = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")


def _unicode(s: str) -> str:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return s


Password = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_unicode)]


class Closed(BaseModel):
    """Request bodies: unknown fields and non-finite numbers are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class LoginIn(Closed):
    username: Annotated[
        str, StringConstraints(min_length=1, max_length=64), AfterValidator(_unicode)
    ]
    password: Password


class PasswordChangeIn(Closed):
    old_password: Password
    new_password: Annotated[Password, StringConstraints(min_length=12)]


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
    must_change_password: bool = False


class UserIn(Closed):
    username: str = Name
    role: Literal["admin", "white", "blue", "red", "evaluator", "observer"]
    team: str | None = Field(default=None, max_length=64)
    password: Annotated[Password, StringConstraints(min_length=12)] | None = None


class UserCreated(BaseModel):
    user: UserOut
    password: str


def _valid_text(s: str) -> str:
    """Reject text UTF-8 cannot encode (lone surrogates) and control characters other
    than tab/newline: such text would poison the event log for every reader."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    if _CONTROL.search(s):
        raise ValueError("text must not contain control characters")
    return s


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: An object, asset, sensor, team or serial id.
Ident = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID), AfterValidator(_valid_text)
]
#: Free text (a message, narrative, note).
Text = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEXT), AfterValidator(_valid_text)
]
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID), AfterValidator(_valid_text)
]
Ids = Annotated[list[Ident], Field(min_length=1, max_length=MAX_LIST)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
#: An instant: ISO 8601 UTC.  The exercise window (STARTEX..ENDEX) is checked by the
#: server against the running scenario (``server.engine.ExerciseSession.check_action``).
Instant = Annotated[
    str,
    StringConstraints(min_length=10, max_length=40, pattern=r"^\d{4}-\d{2}-\d{2}[T ][0-9:.]+Z?$"),
]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class AssessmentIn(_Action):
    kind: Literal["assessment"]
    threat: ShortText
    objects: Ids
    time_utc: Instant | None = None
    confidence: Annotated[Finite, Field(ge=0, le=1)] | None = None
    narrative: Text | None = None
    serial: Ident | None = None


class ManeuverIn(_Action):
    kind: Literal["maneuver"]
    asset: Ident
    dv_rtn_mps: Annotated[list[Annotated[Finite, Field(ge=-MAX_DV_MPS, le=MAX_DV_MPS)]],
                          Field(min_length=3, max_length=3)]  # fmt: skip
    epoch_utc: Instant | None = None

    @field_validator("dv_rtn_mps")
    @classmethod
    def _nonzero(cls, v: list[float]) -> list[float]:
        if math.hypot(*v) <= 0.0:
            raise ValueError("a burn needs a non-zero delta-v")
        return v


class RelocateIn(_Action):
    kind: Literal["relocate"]
    asset: Ident
    to_lon_deg: Annotated[Finite, Field(ge=-180, le=360)]
    drift_days: Annotated[Finite, Field(gt=0, le=3650)]


class TaskingIn(_Action):
    kind: Literal["tasking"]
    sensor: Ident | None = None
    objects: Ids
    priority: Annotated[int, Field(ge=0, le=10)] | None = None


class ShareIn(_Action):
    kind: Literal["share", "data_share"]
    to_team: Ident
    products: Annotated[list[Ident], Field(min_length=1, max_length=16)]
    objects: Annotated[list[Ident], Field(max_length=MAX_LIST)] | None = None


Recipients = Ident | Annotated[list[Ident], Field(min_length=1, max_length=16)]


class NotifyIn(_Action):
    kind: Literal["notify", "notification"]
    to: Recipients
    text: Text
    serial: Ident | None = None


class RfiIn(_Action):
    kind: Literal["rfi", "coordination"]
    to: Recipients
    text: Text


class ReportIn(_Action):
    kind: Literal["report"]
    to: Recipients | None = None
    text: Text
    threat: ShortText | None = None


class CatalogUpdateIn(_Action):
    kind: Literal["catalog_update"]
    objects: Ids
    note: Text | None = None


class ReentryPredictionIn(_Action):
    kind: Literal["reentry_prediction"]
    object: Ident
    window_start: Instant
    window_end: Instant
    most_likely: Instant
    footprint: Annotated[
        list[Annotated[list[Annotated[Finite, Field(ge=-360, le=360)]],
                       Field(min_length=2, max_length=2)]],
        Field(max_length=2000),
    ] | None = None  # fmt: skip


class CountermeasureIn(_Action):
    kind: Literal["countermeasure"]
    measure: ShortText
    asset: Ident | None = None
    text: Text | None = None
    # the measures of issue 15's effects (switch_link, avoid_site, isolate_feed, cross_check)
    ground_station: Ident | None = None
    lat_deg: Annotated[Finite, Field(ge=-90, le=90)] | None = None
    lon_deg: Annotated[Finite, Field(ge=-360, le=360)] | None = None
    radius_km: Annotated[Finite, Field(gt=0, le=5000)] | None = None
    sensor: Ident | None = None
    objects: Annotated[list[Ident], Field(max_length=MAX_LIST)] | None = None


#: A player action: one closed schema per kind (``extra="forbid"``), chosen by ``kind``.
ActionIn = Annotated[
    AssessmentIn
    | ManeuverIn
    | RelocateIn
    | TaskingIn
    | ShareIn
    | NotifyIn
    | RfiIn
    | ReportIn
    | CatalogUpdateIn
    | ReentryPredictionIn
    | CountermeasureIn,
    Field(discriminator="kind"),
]
action_adapter: TypeAdapter = TypeAdapter(ActionIn)
#: Action kinds that deliver text to other teams (the messaging rules apply to them).
TEXT_KINDS = frozenset({"notify", "notification", "rfi", "coordination", "report"})


def action_dict(model: BaseModel) -> dict:
    """The action as the engine takes it: no unset optional fields."""
    return model.model_dump(exclude_none=True)


class CancelIn(Closed):
    seq: Annotated[int, Field(ge=1, le=2**62, description="log seq of the pending action")]


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
    startex_utc: str | None = None
    endex_utc: str | None = None
    sim_time_utc: str | None
    speed: float | None
    running: bool
    finished: bool
    me: UserOut
    teams: list[TeamOut]


class SpeedIn(Closed):
    speed: float = Field(gt=0, le=100_000, description="scenario seconds per wall second")


class SerialIn(Closed):
    serial: Annotated[
        str, StringConstraints(min_length=1, max_length=200), AfterValidator(_unicode)
    ]


class ReleaseIn(Closed):
    """EXCON's "release ratings" switch."""

    released: bool = True


class RateIn(Closed):
    """A rating: of an objective, or of one critical task of it, optionally tied to the
    inject it answers (``serial``) and the scenario time of what was rated."""

    team: Ident
    objective: Ident
    rating: Literal["P", "S", "M", "U"]
    note: Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_valid_text)] = ""
    critical_task: Ident | None = None
    serial: Ident | None = None
    observed_utc: Instant | None = None


class NoteIn(Closed):
    text: Text
    team: Ident | None = None
    serial: Ident | None = None
    observed_utc: Instant | None = None


class MessageIn(Closed):
    to_team: Ident
    text: Text


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


Method = Literal["cdm", "message", "phone", "media", "order", "sensor-feed"]


class AdhocInjectIn(Closed):
    """An inject EXCON writes during play (validated by the scenario validator before
    release).  ``at_utc`` omitted: released now.  ``dry_run``: validate only."""

    serial: Annotated[str, StringConstraints(min_length=1, max_length=96,
                                             pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$")]  # fmt: skip
    title: ShortText
    to: Annotated[list[Ident], Field(min_length=1, max_length=16)]
    method: Method = "message"
    from_: ShortText | None = Field(default=None, alias="from")
    text: Text
    objects: Annotated[list[Ident], Field(max_length=16)] | None = None
    ground_truth: Text | None = None
    at_utc: Instant | None = None
    dry_run: bool = False

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)

    def inject(self) -> dict:
        """The inject as a scenario file writes it."""
        d: dict[str, Any] = {"serial": self.serial, "title": self.title, "to": list(self.to),
                             "method": self.method,
                             "payload": {"text": self.text}}  # fmt: skip
        if self.objects:
            d["payload"]["data"] = [{"kind": "report", "objects": list(self.objects)}]
        if self.from_:
            d["from"] = self.from_
        if self.ground_truth:
            d["ground_truth"] = self.ground_truth
        if self.at_utc:
            d["at"] = self.at_utc if self.at_utc.endswith("Z") else self.at_utc + "Z"
        return d


class RetimeIn(Closed):
    serial: Annotated[
        str, StringConstraints(min_length=1, max_length=200), AfterValidator(_unicode)
    ]
    at_utc: Instant
