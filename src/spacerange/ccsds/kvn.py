"""KVN (Keyword = Value Notation) lexer and writer shared by all CCSDS NDM messages.

The lexer turns text into a flat list of :class:`Entry`:

* ``KEY = value [unit]`` -> ``Entry(KEY, "value", "unit", line)``;
* ``COMMENT text`` -> ``Entry("COMMENT", "text", None, line)``;
* block delimiters (``META_START``, ``COVARIANCE_STOP``, ``DATA_START``...) ->
  ``Entry("META_START", "", None, line)``;
* anything else (ephemeris rows, covariance rows) -> ``Entry("", raw line, None, line)``.

Message parsers (OMM, OEM, CDM, ...) then walk the entries with their keyword tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from spacerange.errors import ParseError

__all__ = ["Entry", "lex_kvn", "read_source", "KvnWriter"]


@dataclass(slots=True)
class Entry:
    """One logical KVN line (or flattened XML leaf element)."""

    key: str
    value: str
    unit: str | None
    line: int
    #: True for a bare block delimiter line (``META_START``, ``COVARIANCE_STOP``...)
    delimiter: bool = False


_KV_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_UNIT_RE = re.compile(r"^(.*?)\s*\[([^\[\]]*)\]$")
_DELIM_RE = re.compile(r"^[A-Z][A-Z0-9_]*_(START|STOP)$")


def lex_kvn(text: str, file: str = "<input>") -> list[Entry]:
    """Split KVN text into :class:`Entry` items (blank lines dropped, line numbers 1-based)."""
    out: list[Entry] = []
    append = out.append
    for n, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s:
            continue
        c = s[0]
        if c.isdigit() or c in "+-.":
            append(Entry("", s, None, n))
            continue
        if s.startswith("COMMENT") and (len(s) == 7 or s[7] in " \t"):
            append(Entry("COMMENT", s[8:].strip(), None, n))
            continue
        m = _KV_RE.match(s)
        if m:
            key, value = m.group(1), m.group(2)
            unit = None
            u = _UNIT_RE.match(value)
            if u:
                value, unit = u.group(1), u.group(2).strip()
            append(Entry(key, value, unit, n))
        elif _DELIM_RE.match(s):
            append(Entry(s, "", None, n, True))
        else:
            append(Entry("", s, None, n))
    return out


def read_source(source, file: str | None = None) -> tuple[bytes | str, str]:
    """Return (content, file name) for a path, ``bytes`` or text message.

    A ``str`` is taken as message text when it contains a newline or starts with ``<`` or
    ``CCSDS_``; otherwise it is a path.
    """
    if isinstance(source, bytes | bytearray):
        return bytes(source), file or "<bytes>"
    if isinstance(source, str) and (
        "\n" in source or source.lstrip().startswith(("<", "CCSDS_", "\ufeff"))
    ):
        return source, file or "<text>"
    path = Path(source)
    try:
        return path.read_bytes(), file or str(path)
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", str(path), 0) from None


def kvn_text(content: bytes | str) -> str:
    """Decode KVN bytes (UTF-8, BOM tolerated; Latin-1 fallback)."""
    if isinstance(content, str):
        return content.lstrip("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")


class KvnWriter:
    """Accumulates KVN lines; keywords are left-aligned to a common width."""

    def __init__(self, width: int = 20):
        self.width = width
        self.lines: list[str] = []

    def kv(self, key: str, value: str, unit: str | None = None) -> None:
        line = f"{key:<{self.width}} = {value}"
        if unit:
            line += f" [{unit}]"
        self.lines.append(line)

    def comments(self, comments) -> None:
        for c in comments or ():
            self.lines.append(f"COMMENT {c}".rstrip())

    def raw(self, text: str) -> None:
        self.lines.append(text)

    def blank(self) -> None:
        self.lines.append("")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
