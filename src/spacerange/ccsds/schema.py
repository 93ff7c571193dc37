"""Declarative keyword tables shared by every CCSDS Navigation Data Message.

A message type is described by :class:`Section` objects, each an ordered table of
:class:`Field` declarations (keyword, value kind, canonical unit, mandatory flag).  Tables
are written in a compact one-line-per-keyword notation::

    Section("stateVector", "EPOCH:epoch! X:float[km]! Y:float[km]! ...")

``NAME:kind[unit]!`` -- ``kind`` is ``str`` (default), ``float``, ``int`` or ``epoch``;
``[unit]`` is the canonical CCSDS unit (values given in another unit of the same dimension
are converted, e.g. ``[m]`` to ``[km]``; an incompatible unit is rejected); a trailing
``!`` marks the keyword mandatory when its section is present (``*``: mandatory but may be
empty).

:func:`parse_sections` turns a flat list of :class:`~spacerange.ccsds.kvn.Entry` (from the
KVN lexer or flattened XML) into one ``dict`` per section, raising
:class:`~spacerange.errors.ParseError` naming the keyword, line and reason.

Times are ``numpy.datetime64[us]`` in the message's own ``TIME_SYSTEM``; calendar
(``YYYY-MM-DDThh:mm:ss.f``) and day-of-year (``YYYY-DDDThh:mm:ss.f``) forms are accepted,
fractions beyond microseconds are truncated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from spacerange.errors import ParseError

from .kvn import Entry

__all__ = [
    "Field",
    "Section",
    "parse_sections",
    "parse_epoch",
    "parse_epochs",
    "parse_float",
    "format_epoch",
    "format_value",
    "to_utc",
    "TIME_SYSTEMS",
]

#: Time systems allowed by CCSDS 502.0 / 503.0 / 508.0 (SANA time-system registry).
TIME_SYSTEMS = frozenset(
    "GMST GPS MET MRT SCLK TAI TCB TDB TCG TT UT1 UTC BDT GST GLONASS QZSST IRNSST".split()
)


# ----------------------------------------------------------------------------------------
# field declarations
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One keyword of a section: its value kind, canonical unit and whether mandatory."""

    name: str
    kind: str = "str"
    unit: str | None = None
    mandatory: bool = False
    #: a mandatory text keyword that may be present with an empty value (e.g. OMM
    #: OBJECT_ID of unidentified analyst objects)
    allow_empty: bool = False
    #: units also accepted as-is (documented producer quirks, e.g. CARA's ``[m]`` on
    #: relative velocities); the value is *not* rescaled.
    tolerated_units: tuple[str, ...] = ()


_FIELD_RE = re.compile(r"^([A-Z0-9_]+)(?::(str|float|int|epoch))?(?:\[([^\]]+)\])?(!|\*)?$")


def _parse_decl(decl: str) -> Field:
    m = _FIELD_RE.match(decl)
    if not m:
        raise ValueError(f"bad field declaration {decl!r}")
    name, kind, unit, bang = m.groups()
    return Field(name, kind or "str", unit, bool(bang), allow_empty=bang == "*")


@dataclass
class Section:
    """An ordered table of fields forming one logical block (``header``, ``metadata``...).

    ``mandatory`` sections must be present; an optional section, once any of its keywords
    appears, must carry all of its mandatory keywords.
    """

    name: str
    decls: str | Sequence[Field] = ""
    mandatory: bool = False
    fields: dict[str, Field] = field(init=False)

    def __post_init__(self) -> None:
        items = (
            [_parse_decl(d) for d in self.decls.split()]
            if isinstance(self.decls, str)
            else list(self.decls)
        )
        self.fields = {f.name: f for f in items}

    def with_fields(self, *extra: Field) -> Section:
        """A copy of this section with ``extra`` fields replacing/adding declarations."""
        merged = dict(self.fields)
        merged.update({f.name: f for f in extra})
        return Section(self.name, list(merged.values()), self.mandatory)


# ----------------------------------------------------------------------------------------
# units
# ----------------------------------------------------------------------------------------
# scale to SI-ish base and dimension vector (m, s, kg, deg, rev, %, K, Pa-free extras)
_BASE_UNITS: dict[str, tuple[float, dict[str, int]]] = {
    "m": (1.0, {"m": 1}),
    "km": (1e3, {"m": 1}),
    "s": (1.0, {"s": 1}),
    "min": (60.0, {"s": 1}),
    "h": (3600.0, {"s": 1}),
    "d": (86400.0, {"s": 1}),
    "day": (86400.0, {"s": 1}),
    "kg": (1.0, {"kg": 1}),
    "g": (1e-3, {"kg": 1}),
    "deg": (1.0, {"deg": 1}),
    "rad": (180.0 / math.pi, {"deg": 1}),
    "rev": (1.0, {"rev": 1}),
    "W": (1.0, {"kg": 1, "m": 2, "s": -3}),
    "N": (1.0, {"kg": 1, "m": 1, "s": -2}),
    "Hz": (1.0, {"s": -1}),
    "%": (1.0, {"%": 1}),
    "K": (1.0, {"K": 1}),
    "hPa": (1.0, {"hPa": 1}),
    "dB": (1.0, {"dB": 1}),
    "dBHz": (1.0, {"dBHz": 1}),
    "TECU": (1.0, {"TECU": 1}),
    "RU": (1.0, {"RU": 1}),
    "1": (1.0, {}),
}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_UNIT_TOKEN = re.compile(r"\s*(\*\*|[A-Za-z%]+|-?\d+|[*/()^])")


def _unit_dimension(text: str) -> tuple[float, tuple[tuple[str, int], ...]]:
    """Scale and dimension of a unit expression such as ``m**3/(kg*s)`` or ``km²·s⁻¹``."""
    s = text.strip()
    s = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)", lambda m: "**" + m.group(1).translate(_SUPERSCRIPTS), s)
    s = s.replace("×", "*").replace("·", "*").replace(".", "*").replace("^", "**")
    tokens = _UNIT_TOKEN.findall(s)
    if "".join(tokens) != s.replace(" ", ""):
        raise KeyError(text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def atom() -> tuple[float, dict[str, int]]:
        tok = take()
        if tok == "(":
            val = expr()
            if take() != ")":
                raise KeyError(text)
        elif tok in _BASE_UNITS:
            scale, dims = _BASE_UNITS[tok]
            val = (scale, dict(dims))
        else:
            raise KeyError(text)
        if peek() == "**":
            take()
            p = int(take())
            val = (val[0] ** p, {k: v * p for k, v in val[1].items()})
        return val

    def expr() -> tuple[float, dict[str, int]]:
        scale, dims = atom()
        while peek() in ("*", "/"):
            op = take()
            s2, d2 = atom()
            sign = 1 if op == "*" else -1
            scale = scale * s2**sign
            for k, v in d2.items():
                dims[k] = dims.get(k, 0) + sign * v
        return scale, dims

    scale, dims = expr()
    if pos != len(tokens):
        raise KeyError(text)
    return scale, tuple(sorted((k, v) for k, v in dims.items() if v))


def unit_factor(given: str, canonical: str) -> float:
    """Factor converting a value in ``given`` unit to ``canonical``; raises KeyError/ValueError."""
    if given.replace(" ", "") == canonical:
        return 1.0
    sg, dg = _unit_dimension(given)
    sc, dc = _unit_dimension(canonical)
    if dg != dc:
        raise ValueError(f"unit [{given}] is incompatible with [{canonical}]")
    return sg / sc


# ----------------------------------------------------------------------------------------
# values
# ----------------------------------------------------------------------------------------
_DOY_RE = re.compile(r"^(\d{4})-(\d{3})(T.*)?$")
_FRACTION_RE = re.compile(r"(\.\d{6})\d+")


def parse_epoch(text: str) -> np.datetime64:
    """Parse a CCSDS epoch (calendar or day-of-year form) to ``datetime64[us]``.

    Raises ``ValueError`` on malformed or impossible dates (e.g. ``2010-04-31``).
    """
    s = text.strip().rstrip("Zz")
    m = _DOY_RE.match(s)
    if m:
        year, doy, rest = int(m.group(1)), int(m.group(2)), m.group(3) or ""
        ndays = 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365
        if not 1 <= doy <= ndays:
            raise ValueError(f"day of year {doy} out of range")
        day = np.datetime64(f"{year:04d}-01-01") + np.timedelta64(doy - 1, "D")
        s = str(day) + rest
    if not re.match(r"^[+-]?\d{4,}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d*)?)?)?$", s):
        raise ValueError(f"not a CCSDS epoch: {text!r}")
    s = _FRACTION_RE.sub(r"\1", s)
    if s.endswith("."):
        s = s[:-1]
    return np.datetime64(s, "us")


def parse_epochs(texts: Sequence[str]) -> np.ndarray:
    """Vectorized :func:`parse_epoch`: array of ``datetime64[us]``, shape ``(n,)``."""
    if len(texts) == 0:
        return np.array([], dtype="datetime64[us]")
    try:
        if _DOY_RE.match(texts[0]) is None:
            return np.array(texts, dtype="datetime64[us]")
    except ValueError:
        pass
    return np.array([parse_epoch(t) for t in texts], dtype="datetime64[us]")


_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*([eEdD][+-]?\d+)?|\.\d+([eEdD][+-]?\d+)?|nan|NaN|NAN)$")


def parse_float(text: str) -> float:
    """Parse a CCSDS real number (``1.5``, ``.5``, ``-1.2E-05``, ``NaN``); ValueError otherwise."""
    s = text.strip()
    if not _NUMBER_RE.match(s):
        raise ValueError(f"not a number: {text!r}")
    return float(s.replace("d", "e").replace("D", "e"))


def _convert(f: Field, raw: str, unit: str | None, section: str, file: str, line: int):
    """Convert one raw keyword value according to its declaration."""
    where = f"keyword {f.name} in {section}"
    if f.kind == "str":
        if f.unit == "*":
            return raw
        if unit is not None and f.unit is None:
            raise ParseError(f"{where}: unexpected unit [{unit}]", file, line)
        return raw
    try:
        if f.kind == "float":
            value = parse_float(raw)
        elif f.kind == "int":
            value = int(raw.strip())
        else:
            return parse_epoch(raw)
    except ValueError as exc:
        raise ParseError(f"{where}: cannot parse {raw!r} as {f.kind} ({exc})", file, line) from None
    if unit is not None and unit.strip() not in ("", "n/a"):
        if f.unit is None:
            raise ParseError(f"{where}: unexpected unit [{unit}] (dimensionless)", file, line)
        if unit.strip() in f.tolerated_units:
            return value
        try:
            factor = unit_factor(unit, f.unit)
        except KeyError:
            raise ParseError(
                f"{where}: unknown unit [{unit}] (expected [{f.unit}])", file, line
            ) from None
        except ValueError as exc:
            raise ParseError(f"{where}: wrong units: {exc}", file, line) from None
        if factor != 1.0:
            value = value * factor
    return value


def parse_sections(
    entries: Iterable[Entry],
    sections: Sequence[Section],
    *,
    file: str,
    context: str = "",
    user_defined: bool = False,
    end_line: int = 0,
) -> dict[str, dict]:
    """Assign flat keyword entries to their sections and convert the values.

    Returns ``{section name: {KEYWORD: value, ..., "COMMENT": [str, ...]}}`` for every
    section present (and ``"user_defined": {NAME: str}`` if ``user_defined``).  Comments
    attach to the section of the next keyword.  Raises ParseError for unknown or repeated
    keywords, bad values/units, empty mandatory values and missing mandatory keywords.
    """
    owners: dict[str, list[Section]] = {}
    for sec in sections:
        for name in sec.fields:
            owners.setdefault(name, []).append(sec)
    prefix = f"{context} " if context else ""
    out: dict[str, dict] = {}
    pending: list[str] = []
    last_line = end_line
    last_section: str | None = None
    for e in entries:
        last_line = max(last_line, e.line)
        if e.key == "COMMENT":
            pending.append(e.value)
            continue
        if not e.key:
            raise ParseError(f"{prefix}unexpected data line {e.value.strip()!r}", file, e.line)
        if user_defined and e.key.startswith("USER_DEFINED_"):
            out.setdefault("user_defined", {})[e.key[len("USER_DEFINED_") :]] = e.value
            continue
        candidates = owners.get(e.key)
        if candidates is None:
            raise ParseError(f"{prefix}unknown keyword {e.key}", file, e.line)
        # a keyword declared in several sections goes to the first one not holding it yet
        sec = next((c for c in candidates if e.key not in out.get(c.name, ())), candidates[0])
        block = out.setdefault(sec.name, {"COMMENT": []})
        if pending:
            block["COMMENT"].extend(pending)
            pending = []
        last_section = sec.name
        if e.key in block:
            raise ParseError(f"{prefix}keyword {e.key} repeated in {sec.name}", file, e.line)
        f = sec.fields[e.key]
        if e.value.strip() == "":
            if f.allow_empty:
                block[e.key] = ""
            elif f.mandatory:
                raise ParseError(
                    f"{prefix}mandatory keyword {e.key} in {sec.name} has an empty value",
                    file,
                    e.line,
                )
            continue
        block[e.key] = _convert(f, e.value, e.unit, f"{prefix}{sec.name}".strip(), file, e.line)
    if pending:
        target = last_section or (sections[0].name if sections else "")
        out.setdefault(target, {"COMMENT": []})["COMMENT"].extend(pending)
    for sec in sections:
        block = out.get(sec.name)
        if block is None and not sec.mandatory:
            continue
        block = block or {}
        for name, f in sec.fields.items():
            if f.mandatory and name not in block:
                raise ParseError(
                    f"{prefix}missing mandatory keyword {name} in {sec.name}", file, last_line
                )
    return out


# ----------------------------------------------------------------------------------------
# writing helpers
# ----------------------------------------------------------------------------------------
def format_epoch(t) -> str:
    """ISO calendar string with microseconds: ``2010-03-13T22:37:52.618000``."""
    return str(np.datetime_as_string(np.datetime64(t, "us"), unit="us"))


def format_value(value) -> str:
    """Text of a keyword value as written in KVN/XML (shortest exact repr for floats)."""
    if isinstance(value, np.datetime64):
        return format_epoch(value)
    if isinstance(value, float | np.floating):
        return repr(float(value)) if math.isfinite(value) else "NaN"
    return str(value)


# ----------------------------------------------------------------------------------------
# time systems
# ----------------------------------------------------------------------------------------
_TT_MINUS_TAI_US = 32_184_000
_TAI_MINUS_GPS_US = 19_000_000


def _leap_table() -> tuple[np.ndarray, np.ndarray]:
    """(UTC instants of each TAI-UTC change as datetime64[us], TAI-UTC in us) from skyfield."""
    from skyfield.api import load

    ts = load.timescale(builtin=True)
    jd = np.asarray(ts.leap_dates, dtype=float)
    offs = np.asarray(ts.leap_offsets, dtype=float)
    keep = offs >= 10  # the integer-second era since 1972
    unix_us = np.round((jd[keep] - 2440587.5) * 86400e6).astype(np.int64)
    return unix_us.astype("datetime64[us]"), (offs[keep] * 1e6).astype(np.int64)


def to_utc(epochs: np.ndarray, time_system: str) -> np.ndarray:
    """Convert ``datetime64[us]`` epochs from ``time_system`` (UTC, TAI, TT, GPS) to UTC.

    Leap seconds come from skyfield's builtin table (no network); epochs before 1972 are
    not supported for TAI-based scales.  Raises ValueError for other time systems.
    """
    t = np.asarray(epochs, dtype="datetime64[us]")
    ts = time_system.upper()
    if ts == "UTC":
        return t
    if ts == "TT":
        t_tai = t - np.timedelta64(_TT_MINUS_TAI_US, "us")
    elif ts == "GPS":
        t_tai = t + np.timedelta64(_TAI_MINUS_GPS_US, "us")
    elif ts == "TAI":
        t_tai = t
    else:
        raise ValueError(f"conversion from time system {time_system} to UTC is not supported")
    dates_utc, offs_us = _leap_table()
    dates_tai = dates_utc + offs_us.astype("timedelta64[us]")
    idx = np.searchsorted(dates_tai, t_tai, side="right") - 1
    idx = np.clip(idx, 0, len(offs_us) - 1)
    return t_tai - offs_us[idx].astype("timedelta64[us]")
