"""Two-line element sets: parsing (2-line and 3-line files), validation and formatting.

The parser reads the fixed columns of the NORAD TLE format directly (as documented by
CelesTrak, "NORAD Two-Line Element Set Format", and Vallado et al. 2006, AIAA 2006-6753,
appendix): it is several times faster than building an ``sgp4.api.Satrec`` per record and
lets every corrupt record be reported with its file, line and field.  The values it
produces are the ones ``Satrec.twoline2rv`` reads (the test suite checks this for every
record of the shared catalogs).

Column layout (1-based, inclusive)::

    1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN
    2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN

Catalog numbers above 99999 use the Alpha-5 scheme: the first column holds a letter
(A=10 ... Z=33, skipping I and O), so ``A0001`` is 100001 and ``Z9999`` is 339999.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spacerange.catalog.model import ElementSet
from spacerange.errors import ParseError, Reject

__all__ = [
    "alpha5_decode",
    "alpha5_encode",
    "tle_checksum",
    "parse_tle_lines",
    "parse_tle_text",
    "parse_tle_file",
    "format_tle",
    "satrec_tle",
    "validate_elements",
    "cospar_from_tle",
    "cospar_to_tle",
]

_ALPHA5_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are skipped (look like 1 and 0)
_ALPHA5_VALUE = {c: 10 + i for i, c in enumerate(_ALPHA5_LETTERS)}
_ALPHA5_MAX = 33 * 10000 + 9999

LINE1_LAYOUT = "1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN"
LINE2_LAYOUT = "2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"

_EPOCH_1957 = 57  # two-digit years 57..99 are 1957..1999, 00..56 are 2000..2056


def alpha5_decode(field: str) -> int:
    """Catalog number from a 5-character TLE field (digits, or Alpha-5 ``A0001`` = 100001).

    Raises ``ValueError`` when the field is not a valid catalog number.
    """
    s = field.strip()
    if not s:
        raise ValueError("empty catalog number")
    head = s[0].upper()
    if head.isalpha():
        if head not in _ALPHA5_VALUE:
            raise ValueError(f"invalid Alpha-5 letter {s[0]!r} (I and O are not used)")
        tail = s[1:]
        if len(tail) != 4 or not tail.isdigit():
            raise ValueError(f"invalid Alpha-5 catalog number {s!r}")
        return _ALPHA5_VALUE[head] * 10000 + int(tail)
    if not s.isdigit():
        raise ValueError(f"catalog number {s!r} is not numeric")
    return int(s)


def alpha5_encode(norad_id: int) -> str:
    """5-character TLE catalog-number field for ``norad_id`` (Alpha-5 above 99999)."""
    n = int(norad_id)
    if n < 0 or n > _ALPHA5_MAX:
        raise ValueError(f"catalog number {n} outside 0..{_ALPHA5_MAX} (Alpha-5 range)")
    if n < 100000:
        return f"{n:05d}"
    return _ALPHA5_LETTERS[n // 10000 - 10] + f"{n % 10000:04d}"


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of the first 68 columns: digits count their value, '-' counts 1."""
    s = line[:68]
    return (
        s.count("1")
        + 2 * s.count("2")
        + 3 * s.count("3")
        + 4 * s.count("4")
        + 5 * s.count("5")
        + 6 * s.count("6")
        + 7 * s.count("7")
        + 8 * s.count("8")
        + 9 * s.count("9")
        + s.count("-")
    ) % 10


def cospar_from_tle(field: str) -> str:
    """International designator ``YYNNNPPP`` (TLE columns 10-17) as COSPAR ``YYYY-NNNPPP``."""
    s = field.strip()
    if len(s) < 5 or not s[:5].isdigit():
        return s
    yy = int(s[:2])
    year = 1900 + yy if yy >= _EPOCH_1957 else 2000 + yy
    return f"{year}-{s[2:5]}{s[5:]}"


def cospar_to_tle(cospar: str) -> str:
    """COSPAR ``YYYY-NNNPPP`` as the 8-character TLE field ``YYNNNPPP`` (blank if unknown)."""
    s = cospar.strip()
    if len(s) >= 8 and s[4] == "-" and s[:4].isdigit():
        return f"{s[2:4]}{s[5:]}"[:8]
    return s[:8]


def _implied_exp(field: str) -> float:
    """Decode an implied-decimal exponent field such as ``' 37082-3'`` -> 0.37082e-3."""
    s = field.strip()
    if not s:
        return 0.0
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if len(s) < 2 or s[-2] not in "+-":
        raise ValueError(field)
    mant, exp = s[:-2], s[-2:]
    if not mant.isdigit() or not exp[1].isdigit():
        raise ValueError(field)
    return sign * float(f"0.{mant}e{exp}")


def _epoch_from_tle(yy: int, day_of_year: float) -> datetime:
    year = 1900 + yy if yy >= _EPOCH_1957 else 2000 + yy
    return datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=day_of_year - 1.0)


class _FieldError(Exception):
    def __init__(self, which: int, reason: str):
        self.which = which  # 1 or 2: the line that holds the bad field
        self.reason = reason


def _num(line: str, which: int, a: int, b: int, name: str, kind=float):
    """Field at 1-based inclusive columns a..b converted with ``kind``."""
    text = line[a - 1 : b]
    try:
        if kind is int:
            s = text.strip()
            if not s.isdigit():
                raise ValueError(text)
            return int(s)
        if kind is float:
            s = text.strip()
            # float() accepts 'nan', 'inf', '1_0' and exponents: none belong in a TLE.
            if not s or not all(c in "0123456789.+- " for c in s):
                raise ValueError(text)
            value = float(s)
            return value
        return kind(text)
    except ValueError:
        raise _FieldError(
            which, f"line {which} {name} (columns {a}-{b}) is not a valid number: {text!r}"
        ) from None


def validate_elements(
    eccentricity: float,
    inclination_deg: float,
    mean_motion_rev_day: float,
    raan_deg: float = 0.0,
    arg_perigee_deg: float = 0.0,
    mean_anomaly_deg: float = 0.0,
    bstar: float = 0.0,
) -> str | None:
    """Physical checks shared by every element-set format; returns a reason or None.

    Refuses e outside [0, 1), inclination outside [0, 180] deg, mean motion <= 0 rev/day,
    angles outside [0, 360] deg, and non-finite values.
    """
    if not (0.0 <= eccentricity < 1.0):
        return f"eccentricity {eccentricity!r} outside [0, 1)"
    if not (0.0 <= inclination_deg <= 180.0):
        return f"inclination {inclination_deg!r} deg outside [0, 180]"
    if not (mean_motion_rev_day > 0.0) or not math.isfinite(mean_motion_rev_day):
        return f"mean motion {mean_motion_rev_day!r} rev/day must be positive"
    for name, value in (
        ("RAAN", raan_deg),
        ("argument of perigee", arg_perigee_deg),
        ("mean anomaly", mean_anomaly_deg),
    ):
        if not (0.0 <= value <= 360.0):
            return f"{name} {value!r} deg outside [0, 360]"
    if not math.isfinite(bstar):
        return f"BSTAR {bstar!r} is not finite"
    return None


def _parse_pair(
    line1: str, line2: str, name: str, source: str, allow_trailing: bool = False
) -> ElementSet:
    """One TLE from its two lines (already stripped of line endings); raises _FieldError."""
    for which, line in ((1, line1), (2, line2)):
        if len(line) < 69:
            raise _FieldError(
                which,
                f"line {which} truncated: {len(line)} characters, expected 69 "
                f"({LINE1_LAYOUT if which == 1 else LINE2_LAYOUT})",
            )
        if len(line) > 69 and line[69:].strip() and not allow_trailing:
            raise _FieldError(
                which,
                f"line {which} has {len(line)} characters, expected 69 (text after column 69)",
            )
        if line[0] != str(which) or line[1] != " ":
            raise _FieldError(which, f"line {which} must start with '{which} '")
        ck = line[68]
        if not ck.isdigit():
            raise _FieldError(which, f"line {which} checksum (column 69) {ck!r} is not a digit")
        expected = tle_checksum(line)
        if int(ck) != expected:
            raise _FieldError(
                which, f"line {which} checksum mismatch: column 69 is {ck}, computed {expected}"
            )
    try:
        satnum1 = alpha5_decode(line1[2:7])
    except ValueError as exc:
        raise _FieldError(1, f"line 1 catalog number (columns 3-7): {exc}") from None
    try:
        satnum2 = alpha5_decode(line2[2:7])
    except ValueError as exc:
        raise _FieldError(2, f"line 2 catalog number (columns 3-7): {exc}") from None
    if satnum1 != satnum2:
        raise _FieldError(2, f"catalog number mismatch: line 1 has {satnum1}, line 2 has {satnum2}")
    classification = line1[7] if line1[7] != " " else "U"
    yy = _num(line1, 1, 19, 20, "epoch year", int)
    doy = _num(line1, 1, 21, 32, "epoch day of year")
    if not (1.0 <= doy < 367.0):
        raise _FieldError(1, f"line 1 epoch day of year {doy!r} outside [1, 367)")
    ndot_text = line1[33:43]
    try:
        s = ndot_text.strip()
        if not s or not all(c in "0123456789.+-" for c in s):
            raise ValueError
        ndot = float(s)
    except ValueError:
        raise _FieldError(
            1, f"line 1 mean motion derivative (columns 34-43) is not a valid number: {ndot_text!r}"
        ) from None
    try:
        nddot = _implied_exp(line1[44:52])
    except ValueError:
        raise _FieldError(
            1,
            f"line 1 mean motion second derivative (columns 45-52) is not a valid "
            f"implied-exponent number: {line1[44:52]!r}",
        ) from None
    try:
        bstar = _implied_exp(line1[53:61])
    except ValueError:
        raise _FieldError(
            1,
            f"line 1 BSTAR (columns 54-61) is not a valid implied-exponent number: "
            f"{line1[53:61]!r}",
        ) from None
    elnum_text = line1[64:68].strip()
    if elnum_text and not elnum_text.isdigit():
        raise _FieldError(
            1, f"line 1 element set number (columns 65-68) is not numeric: {line1[64:68]!r}"
        )
    elnum = int(elnum_text) if elnum_text else 0

    inc = _num(line2, 2, 9, 16, "inclination")
    raan = _num(line2, 2, 18, 25, "RAAN")
    ecc_text = line2[26:33]
    if not ecc_text.replace(" ", "0").isdigit():
        raise _FieldError(
            2,
            f"line 2 eccentricity (columns 27-33, implied leading decimal point) is not "
            f"7 digits: {ecc_text!r}",
        )
    ecc = float("0." + ecc_text.replace(" ", "0"))
    argp = _num(line2, 2, 35, 42, "argument of perigee")
    ma = _num(line2, 2, 44, 51, "mean anomaly")
    n = _num(line2, 2, 53, 63, "mean motion")
    rev_text = line2[63:68].strip()
    if rev_text and not rev_text.isdigit():
        raise _FieldError(
            2, f"line 2 revolution number (columns 64-68) is not numeric: {line2[63:68]!r}"
        )
    rev = int(rev_text) if rev_text else 0
    why = validate_elements(ecc, inc, n, raan, argp, ma, bstar)
    if why is not None:
        raise _FieldError(2, why)

    return ElementSet(
        norad_id=satnum1,
        epoch=_epoch_from_tle(yy, doy),
        inclination_deg=inc,
        raan_deg=raan,
        eccentricity=ecc,
        arg_perigee_deg=argp,
        mean_anomaly_deg=ma,
        mean_motion_rev_day=n,
        bstar=bstar,
        line1=line1[:69],
        line2=line2[:69],
        name=name,
        cospar_id=cospar_from_tle(line1[9:17]),
        classification=classification,
        element_set_no=elnum,
        rev_at_epoch=rev,
        mean_motion_dot=ndot,
        mean_motion_ddot=nddot,
        source=source,
    )


def parse_tle_lines(line1: str, line2: str, name: str = "", source: str = "") -> ElementSet:
    """One element set from its two lines; raises :class:`ParseError` naming the bad field."""
    try:
        return _parse_pair(line1.rstrip("\r\n"), line2.rstrip("\r\n"), name.strip(), source)
    except _FieldError as exc:
        raise ParseError(exc.reason, "<input>", exc.which) from None


def _is_line1(s: str) -> bool:
    return s[:2] == "1 "


def _is_line2(s: str) -> bool:
    return s[:2] == "2 "


def parse_tle_text(
    text: str, file: str = "<input>", source: str | None = None, allow_trailing: bool = False
) -> tuple[list[ElementSet], list[Reject]]:
    """Parse a 2-line or 3-line TLE file's text.

    Name lines may be ``0 NAME`` (Space-Track 3LE) or a bare name (CelesTrak).  Blank lines
    and ``#`` comment lines are ignored; columns after 69 must be blank, except on line 2
    of Vallado's ``SGP4-VER.TLE`` style (start/stop/step appended), which are ignored
    when ``allow_trailing=True``.  Every corrupt record becomes a :class:`Reject` with the 1-based line number
    of the offending line; all good records are returned.  ``source`` (default ``file``) is
    recorded on each element set.
    """
    src = file if source is None else source
    lines = text.splitlines()
    out: list[ElementSet] = []
    rejects: list[Reject] = []
    name = ""
    name_line = 0  # 1-based line of a name not yet used by a TLE (0: none pending)
    i = 0
    n_lines = len(lines)
    while i < n_lines:
        raw = lines[i].rstrip()
        if not raw.strip() or raw[:1] == "#":  # blank lines and '#' comments
            i += 1
            continue
        if _is_line1(raw):
            nxt = lines[i + 1].rstrip() if i + 1 < n_lines else ""
            if not _is_line2(nxt):
                rejects.append(
                    Reject(file, i + 1, "missing line 2: line 1 is not followed by a line 2")
                )
                name, name_line = "", 0
                i += 1
                continue
            try:
                out.append(_parse_pair(raw, nxt, name, src, allow_trailing))
            except _FieldError as exc:
                rejects.append(Reject(file, i + 1 if exc.which == 1 else i + 2, exc.reason))
            name, name_line = "", 0
            i += 2
            continue
        if _is_line2(raw):
            rejects.append(Reject(file, i + 1, "missing line 1: line 2 without a preceding line 1"))
            name, name_line = "", 0
            i += 1
            continue
        if name_line:
            rejects.append(Reject(file, name_line, f"name line {name!r} has no TLE lines"))
        name = raw[2:].strip() if raw[:2] == "0 " else raw.strip()
        name_line = i + 1
        i += 1
    if name_line:
        rejects.append(Reject(file, name_line, f"name line {name!r} has no TLE lines"))
    return out, rejects


def parse_tle_file(
    path: str | Path, source: str | None = None, allow_trailing: bool = False
) -> tuple[list[ElementSet], list[Reject]]:
    """Parse a TLE/3LE file; see :func:`parse_tle_text`."""
    p = Path(path)
    text = p.read_text(encoding="utf-8", errors="replace")
    return parse_tle_text(text, file=str(p), source=source, allow_trailing=allow_trailing)


def _fmt_implied_exp(value: float) -> str:
    """8-character implied-decimal exponent field: 0.37082e-3 -> ' 37082-3'."""
    if value == 0.0 or abs(value) < 1e-14:
        return " 00000-0"
    sign = "-" if value < 0 else " "
    a = abs(value)
    exp = math.floor(math.log10(a)) + 1
    mant = round(a / 10.0**exp * 1e5)
    if mant >= 100000:
        mant //= 10
        exp += 1
    if exp < -9 or exp > 9:
        raise ValueError(f"{value!r} cannot be written in a TLE implied-exponent field")
    return f"{sign}{mant:05d}{'-' if exp < 0 else '+'}{abs(exp)}"


def _fmt_ndot(value: float) -> str:
    """10-character first-derivative field: 0.00000274 -> ' .00000274'."""
    if abs(value) >= 1.0:
        raise ValueError(f"mean motion derivative {value!r} does not fit the TLE field")
    text = f"{abs(value):.8f}"[1:]  # '.00000274'
    return ("-" if value < 0 and text != ".00000000" else " ") + text


def format_tle(elset: ElementSet) -> tuple[str, str]:
    """TLE lines (with checksums) for an element set, from its element values.

    Epoch is written to 1e-8 day (0.86 ms), angles to 1e-4 deg, e to 1e-7, mean motion to
    1e-8 rev/day, as the format allows.
    """
    ep = elset.epoch
    if ep.tzinfo is None:
        ep = ep.replace(tzinfo=UTC)
    ep = ep.astimezone(UTC)
    start = datetime(ep.year, 1, 1, tzinfo=UTC)
    doy = 1.0 + (ep - start).total_seconds() / 86400.0
    doy_text = f"{doy:012.8f}"
    ecc_int = round(elset.eccentricity * 1e7)
    if ecc_int >= 10_000_000:
        raise ValueError(f"eccentricity {elset.eccentricity!r} does not fit the TLE field")
    cls = (elset.classification or "U")[:1]
    satnum = alpha5_encode(elset.norad_id)
    intl = cospar_to_tle(elset.cospar_id)
    l1 = (
        f"1 {satnum}{cls} {intl:<8s} {ep.year % 100:02d}{doy_text} "
        f"{_fmt_ndot(elset.mean_motion_dot)} {_fmt_implied_exp(elset.mean_motion_ddot)} "
        f"{_fmt_implied_exp(elset.bstar)} 0 {elset.element_set_no % 10000:4d}"
    )
    l2 = (
        f"2 {satnum} {elset.inclination_deg:8.4f} {elset.raan_deg % 360.0:8.4f} "
        f"{ecc_int:07d} {elset.arg_perigee_deg % 360.0:8.4f} "
        f"{elset.mean_anomaly_deg % 360.0:8.4f} {elset.mean_motion_rev_day:11.8f}"
        f"{elset.rev_at_epoch % 100000:5d}"
    )
    return l1 + str(tle_checksum(l1)), l2 + str(tle_checksum(l2))


# python-sgp4's exporter constants (``sgp4.exporter``), so that the text is its text
_SGP4_DEG2RAD = math.pi / 180.0
_SGP4_XPDOTP = 1440.0 / (2.0 * math.pi)


def _sgp4_rate(value: float, zero_exponent: str) -> str:
    return (
        f"{value: 4.4e} ".replace(".", "")
        .replace("e+00", zero_exponent)
        .replace("e-0", "-")
        .replace("e+0", "+")
    )


def satrec_tle(sat) -> tuple[str, str]:
    """The two TLE lines of an ``sgp4.api.Satrec``: the text python-sgp4's
    ``sgp4.exporter.export_tle`` writes, character for character (the test suite checks
    every record of the shared catalogs and fitted element sets), at about half its cost
    (its checksum is a Python loop over each line; the exercise writes a team's catalog
    entry after every orbit update).  Raises ``ValueError`` for an angle outside its range,
    as the exporter does."""
    for name, value, top in (("inclination", sat.inclo, math.pi),
                             ("right ascension of the node", sat.nodeo, 2 * math.pi),
                             ("argument of perigee", sat.argpo, 2 * math.pi),
                             ("mean anomaly", sat.mo, 2 * math.pi)):  # fmt: skip
        if not 0 <= value <= top:
            raise ValueError(f"{name} {value!r} rad is outside [0, {top!r}]")
    cls = getattr(sat, "classification", "U").strip() or "U"
    intl = getattr(sat, "intldesg", "")
    ndot = f"{sat.ndot * (_SGP4_XPDOTP * 1440.0): 8.8f}".replace("0", "", 1)
    l1 = (
        f"1 {sat.satnum_str}{cls} {intl:8} {str(sat.epochyr % 100).zfill(2)}"
        f"{sat.epochdays:012.8f} {ndot} {_sgp4_rate(sat.nddot * _SGP4_XPDOTP * 20736000.0, '-0')}"
        f"{_sgp4_rate(sat.bstar * 10.0, '+0')}"
        f"{getattr(sat, 'ephtype', 0)} {getattr(sat, 'elnum', 0):4}"
    )
    ecc = f"{sat.ecco:8.7f}".replace("0.", "")
    l2 = (
        f"2 {sat.satnum_str} {sat.inclo / _SGP4_DEG2RAD:8.4f} {sat.nodeo / _SGP4_DEG2RAD:8.4f} "
        f"{ecc} {sat.argpo / _SGP4_DEG2RAD:8.4f} {sat.mo / _SGP4_DEG2RAD:8.4f} "
        f"{sat.no_kozai * _SGP4_XPDOTP:11.8f}{str(sat.revnum).rjust(5)}"
    )
    return l1 + str(tle_checksum(l1)), l2 + str(tle_checksum(l2))
