"""Building blocks shared by the scenario models: the strict base model, identifiers,
durations, scenario instants and enumerations.

Units: durations are :class:`datetime.timedelta`; instants are timezone-aware UTC
:class:`datetime.datetime`.  In YAML a duration is written ``90s``, ``30m`` or ``30min``
(minutes), ``12h``, ``3d``, ``2w``, compounds such as ``1d6h30m``, or a plain number of
seconds.  An inject time is either an ISO-8601 UTC instant (``2026-03-05T09:00:00Z``) or an
offset from STARTEX (``STARTEX+26h``, ``T+1d2h``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

__all__ = [
    "ScenarioModel",
    "Id",
    "Serial",
    "Duration",
    "PositiveDuration",
    "InjectTime",
    "UtcTime",
    "Rating",
    "ThreatKind",
    "PlayerAction",
    "parse_duration",
    "format_duration",
    "parse_startex_offset",
    "resolve_time",
]


class ScenarioModel(BaseModel):
    """Base of every scenario model: unknown keys are errors (a typo must not pass silently),
    fields are validated on assignment too."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        validate_assignment=True,
        str_strip_whitespace=True,
    )


_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
_SERIAL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$"

#: Identifier of an actor, asset, object, team, sensor, objective, event...:
#: letters, digits, ``_ . -``; starts with a letter or digit; at most 64 characters.
Id = Annotated[str, StringConstraints(pattern=_ID_PATTERN, min_length=1, max_length=64)]

#: Inject serial as in a NATO MEL/MIL or HSEEP MSEL, e.g. ``ME-02/MI-02.3/INJ-007``.
Serial = Annotated[str, StringConstraints(pattern=_SERIAL_PATTERN, min_length=1, max_length=96)]

_DUR_PART = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(w|d|h|min|m|s)\s*")
_DUR_UNIT_S = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0}
_DUR_JSON_PATTERN = r"^\s*(([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*(w|d|h|min|m|s)\s*)+$"


def parse_duration(value: Any) -> timedelta:
    """A duration from ``90s``, ``30m``/``30min`` (minutes), ``12h``, ``3d``, ``2w``,
    compounds (``1d6h30m``), a number of seconds, or a ``timedelta``."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"cannot read duration {value!r}")
    if isinstance(value, int | float):
        return timedelta(seconds=float(value))
    if not isinstance(value, str):
        raise ValueError(f"cannot read duration {value!r}: expected e.g. 90s, 30m, 12h, 3d")
    text = value.strip()
    pos, total = 0, 0.0
    while pos < len(text):
        m = _DUR_PART.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(
                f"cannot read duration {value!r}: expected a number and a unit "
                "(s, m or min, h, d, w), e.g. 90s, 30m, 12h, 3d, 1d6h"
            )
        total += float(m.group(1)) * _DUR_UNIT_S[m.group(2)]
        pos = m.end()
    if not text:
        raise ValueError("empty duration")
    return timedelta(seconds=total)


def format_duration(td: timedelta) -> str:
    """Compact text of a duration (``1d6h``, ``90s``), the inverse of :func:`parse_duration`."""
    s = td.total_seconds()
    if s == 0:
        return "0s"
    sign = "-" if s < 0 else ""
    s = abs(s)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            k = int(s // size)
            parts.append(f"{k}{unit}")
            s -= k * size
    if s:
        parts.append(f"{s:g}s")
    return sign + "".join(parts)


def _nonneg(td: timedelta) -> timedelta:
    if td < timedelta(0):
        raise ValueError("duration must not be negative")
    return td


def _positive(td: timedelta) -> timedelta:
    if td <= timedelta(0):
        raise ValueError("duration must be positive")
    return td


_DUR_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "string", "pattern": _DUR_JSON_PATTERN},
            {"type": "number", "minimum": 0},
        ],
        "description": "duration: 90s, 30m or 30min, 12h, 3d, 2w, 1d6h, or seconds",
    }
)
_DUR_SER = PlainSerializer(format_duration, return_type=str, when_used="json")

#: A non-negative duration (``timedelta``).
Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), AfterValidator(_nonneg), _DUR_SER, _DUR_SCHEMA
]
#: A strictly positive duration (``timedelta``).
PositiveDuration = Annotated[
    timedelta, BeforeValidator(parse_duration), AfterValidator(_positive), _DUR_SER, _DUR_SCHEMA
]

_OFFSET_RE = re.compile(r"^\s*(?:STARTEX|T)\s*\+\s*(.+)$")
_OFFSET_JSON_PATTERN = r"^\s*(STARTEX|T)\s*\+\s*.+$"


def parse_startex_offset(text: str) -> timedelta:
    """The offset of ``STARTEX+26h`` / ``T+1d2h``; raises ``ValueError`` otherwise."""
    m = _OFFSET_RE.match(text)
    if not m:
        raise ValueError(
            f"cannot read time {text!r}: expected ISO 8601 UTC (2026-03-05T09:00:00Z) or an "
            "offset from STARTEX (STARTEX+26h, T+1d2h)"
        )
    return _nonneg(parse_duration(m.group(1)))


def _check_inject_time(value: Any) -> Any:
    if isinstance(value, str):
        if _OFFSET_RE.match(value):
            parse_startex_offset(value)  # raises with a clear message
            return value.strip().replace(" ", "")
        text = value.strip()
        try:
            dt = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        except ValueError:
            parse_startex_offset(value)  # raises the message naming both accepted forms
            raise
        if dt.tzinfo is None:
            raise ValueError(f"time {value!r} has no time zone: end it with Z (UTC)")
    return value


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


#: A timezone-aware instant, normalized to UTC.
UtcTime = Annotated[AwareDatetime, AfterValidator(_utc)]

_StartexOffset = Annotated[str, StringConstraints(pattern=_OFFSET_JSON_PATTERN)]

#: An inject instant: an aware ISO-8601 datetime, or ``"STARTEX+<duration>"``.
InjectTime = Annotated[UtcTime | _StartexOffset, BeforeValidator(_check_inject_time)]


def resolve_time(value: datetime | str, startex: datetime) -> datetime:
    """The UTC instant of an :data:`InjectTime` given the exercise's STARTEX."""
    if isinstance(value, datetime):
        return value
    return startex + parse_startex_offset(value)


class Rating(StrEnum):
    """HSEEP Exercise Evaluation Guide rating of an objective or critical task."""

    P = "P"  #: performed without challenges
    S = "S"  #: performed with some challenges
    M = "M"  #: performed with major challenges
    U = "U"  #: unable to be performed


class ThreatKind(StrEnum):
    """Kinds of threat event an inject's ``action`` can enact (see ``EXERCISES.md``)."""

    high_pc_conjunction = "high_pc_conjunction"
    geo_rendezvous = "geo_rendezvous"
    leo_inspector = "leo_inspector"
    debris_event = "debris_event"
    uncontrolled_reentry = "uncontrolled_reentry"
    unannounced_maneuver = "unannounced_maneuver"
    sensor_outage = "sensor_outage"
    space_weather = "space_weather"
    new_launch = "new_launch"
    asat_test = "asat_test"
    decoy_release = "decoy_release"
    covert_maneuver = "covert_maneuver"
    jamming_report = "jamming_report"
    media = "media"
    diplomatic_note = "diplomatic_note"
    rf_interference = "rf_interference"
    laser_dazzle = "laser_dazzle"
    cyber_ground = "cyber_ground"


class PlayerAction(StrEnum):
    """What a team can submit; expected actions, contingencies and evaluation rules name
    these kinds."""

    assessment = "assessment"  #: threat characterization (kind, objects, confidence)
    report = "report"  #: report up the chain (e.g. to the national space command)
    notification = "notification"  #: warn another operator / ally / the public
    tasking = "tasking"  #: sensor tasking request
    maneuver = "maneuver"  #: a planned or executed manoeuvre of an own asset
    countermeasure = "countermeasure"  #: any other protective measure (relocate, safe mode)
    data_share = "data_share"  #: share OMM/OEM/CDM/observations with another team
    catalog_update = "catalog_update"  #: new or re-correlated catalog objects
    reentry_prediction = "reentry_prediction"  #: re-entry window and footprint
    breakup_attribution = "breakup_attribution"  #: parent and epoch of a fragmentation
    coordination = "coordination"  #: contact with the other operator
    rendezvous = "rendezvous"  #: order a servicer to approach and hold near an object
