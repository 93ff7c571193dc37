"""Time handling: UTC instants as numpy ``datetime64[us]``, conversions to Julian dates and
to skyfield ``Time`` objects (built-in timescale: leap seconds and Delta-T come from
skyfield's bundled tables, never from the network).

Convention: an *instant* in spacerange is a ``numpy.datetime64`` with microsecond unit in
the UTC scale (leap seconds are not representable in UTC datetime64 and none of our
products need them), or a timezone-aware ``datetime``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal

import numpy as np

UNIX_EPOCH_JD = 2440587.5
US_PER_DAY = 86_400_000_000

_DURATION_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(us|ms|s|sec|m|min|h|hr|d|day|days|w)?\s*$")
_DURATION_PART_RE = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(ms|min|us|s|m|h|d|w)\s*")
_UNIT_S = {
    "us": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "w": 7 * 86400.0,
}


def parse_duration_s(text: str | float | int) -> float:
    """Parse a duration such as ``"60s"``, ``"24h"``, ``"1d"``, ``"90min"``, a compound such
    as ``"1d6h30m"`` (the scenario grammar; ``m`` is minutes) or a number of seconds; returns
    seconds.  Raises ``ValueError`` with the accepted forms."""
    if isinstance(text, bool):
        raise ValueError(f"cannot read duration {text!r}")
    if isinstance(text, int | float):
        return float(text)
    s = str(text).strip()
    m = _DURATION_RE.match(s)
    if m:
        value, unit = m.groups()
        return float(value) * _UNIT_S[unit or "s"]
    pos, total = 0, 0.0
    while s and pos < len(s):
        part = _DURATION_PART_RE.match(s, pos)
        if not part or part.end() == pos:
            break
        total += float(part.group(1)) * _UNIT_S[part.group(2)]
        pos = part.end()
    else:
        if s:
            return total
    raise ValueError(
        f"cannot read duration {text!r}: expected a number and a unit such as 60s, 5min, 24h, "
        "7d, or a compound such as 1d6h30m"
    )


def parse_utc(
    text: str | datetime | np.datetime64, *, naive: Literal["utc", "error"] = "utc"
) -> np.datetime64:
    """Parse an ISO-8601 UTC instant (``2023-10-09T12:00:00Z``, offsets allowed, naive text
    means UTC) or a datetime; returns ``datetime64[us]`` UTC.  A naive ``datetime`` is UTC,
    or refused with ``naive="error"``; other types raise ``TypeError``."""
    if isinstance(text, np.datetime64):
        return text.astype("datetime64[us]")
    if isinstance(text, datetime):
        if text.tzinfo is None and naive == "error":
            raise ValueError(f"naive datetime {text!r}: give a timezone-aware UTC instant")
        dt = text
    elif not isinstance(text, str):
        raise TypeError(f"cannot read a UTC instant from {type(text).__name__} {text!r}")
    else:
        s = str(text).strip()
        if s.endswith("Z") or s.endswith("z"):
            s = s[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(s)
        except ValueError as exc:
            raise ValueError(
                f"cannot read time {text!r}: expected ISO 8601 UTC, e.g. 2023-10-09T00:00:00Z"
            ) from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(dt, "us")


def to_datetime(t: np.datetime64) -> datetime:
    """A scalar ``datetime64`` (UTC) as a timezone-aware ``datetime``."""
    us = int(np.datetime64(t, "us").astype(np.int64))
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)


def iso_utc(t: np.datetime64 | datetime, precision: Literal["us", "s"] = "us") -> str:
    """ISO-8601 text with a ``Z`` suffix: microseconds, trimmed when zero, or whole seconds
    (truncated) with ``precision="s"``."""
    if isinstance(t, datetime):
        t = parse_utc(t)
    if precision == "s":
        return str(np.datetime64(t, "s")) + "Z"
    s = str(np.datetime64(t, "us"))
    if s.endswith(".000000"):
        s = s[:-7]
    return s + "Z"


def iso_utc_many(times, precision: Literal["us", "s"] = "us") -> list[str]:
    """:func:`iso_utc` of each of ``times`` (datetime64 array-like), formatted as one
    array (a picture view formats thousands of instants at a time)."""
    t = np.asarray(times, "datetime64[us]")
    if precision == "s":
        return [f"{x}Z" for x in np.datetime_as_string(t.astype("datetime64[s]")).tolist()]
    return [(x[:-7] if x.endswith(".000000") else x) + "Z"
            for x in np.datetime_as_string(t, unit="us").tolist()]  # fmt: skip


def timedelta_us(span: float | timedelta) -> np.timedelta64:
    """A ``timedelta64[us]`` from seconds or a ``datetime.timedelta`` (rounded to 1 us)."""
    if isinstance(span, timedelta):
        span = span.total_seconds()
    return np.timedelta64(int(round(float(span) * 1e6)), "us")


def time_grid(start: np.datetime64, span_s: float, step_s: float) -> np.ndarray:
    """Instants ``start, start+step, ...`` up to and including ``start+span`` (datetime64[us])."""
    if step_s <= 0:
        raise ValueError("step must be positive")
    n = int(np.floor(span_s / step_s + 1e-9)) + 1
    offsets_us = np.round(np.arange(n) * step_s * 1e6).astype(np.int64)
    return np.datetime64(start, "us") + offsets_us.astype("timedelta64[us]")


def jd_fr_utc(t: np.ndarray | np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Two-part Julian date (whole days ending in .5, fraction in [0, 1)) of UTC instants,
    as SGP4 expects them; exact to the microsecond."""
    us = np.asarray(t, dtype="datetime64[us]").astype(np.int64)
    days, rem_us = np.divmod(us, US_PER_DAY)
    return days + UNIX_EPOCH_JD, rem_us / US_PER_DAY


def from_jd_utc(jd: np.ndarray, fr: np.ndarray | float = 0.0) -> np.ndarray:
    """Inverse of :func:`jd_fr_utc` (rounded to the microsecond)."""
    jd = np.asarray(jd, dtype=float)
    fr = np.asarray(fr, dtype=float)
    whole = np.floor(jd - UNIX_EPOCH_JD)
    frac = (jd - UNIX_EPOCH_JD - whole) + fr
    us = whole.astype(np.int64) * US_PER_DAY + np.round(frac * US_PER_DAY).astype(np.int64)
    return us.astype("datetime64[us]")


@lru_cache(maxsize=1)
def timescale():
    """skyfield's built-in timescale (bundled leap-second and Delta-T tables; no download)."""
    from skyfield.api import load

    return load.timescale(builtin=True)


def skyfield_time(t: np.ndarray | np.datetime64):
    """skyfield ``Time`` for UTC instants (array in, array out).

    Built from calendar fields so that skyfield applies its leap-second table itself."""
    dt64 = np.asarray(t, dtype="datetime64[us]")
    days = dt64.astype("datetime64[D]")
    months = dt64.astype("datetime64[M]")
    year = months.astype(np.int64) // 12 + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    second = (dt64 - days).astype(np.int64) / 1e6
    return timescale().utc(year, month, day, 0, 0, second)
