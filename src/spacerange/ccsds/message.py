"""Plumbing shared by the message modules: loading, NDM containers, covariance layout."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spacerange.errors import ParseError

from .kvn import Entry, KvnWriter, kvn_text, lex_kvn, read_source
from .schema import TIME_SYSTEMS, Section, format_value
from .xmlio import XNode, leaves, parse_xml

__all__ = [
    "load",
    "read_messages",
    "xml_messages",
    "xml_header_entries",
    "write_kvn_section",
    "tri_names",
    "tri_to_matrix",
    "matrix_to_tri",
    "check_time_system",
    "detect_format",
    "message_format",
    "save_text",
    "reject_kvn_blocks",
    "xml_segment_entries",
    "xml_single_segment_entries",
]


def load(source, file: str | None = None) -> tuple[str, list[Entry] | XNode, str]:
    """Read a message: ``("KVN", entries, file)`` or ``("XML", root node, file)``."""
    content, name = read_source(source, file)
    if isinstance(content, str):
        is_xml = content.lstrip("\ufeff \t\r\n").startswith("<")
    else:
        probe = content[:64].replace(b"\x00", b"").lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
        is_xml = probe.startswith(b"<")
    if is_xml:
        return "XML", parse_xml(content, name), name
    return "KVN", lex_kvn(kvn_text(content), name), name


def read_messages(source, file: str | None, tag: str, read_kvn, read_xml) -> list:
    """Messages of a KVN file (one, ``read_kvn(entries, file)``) or an XML file (each
    ``<tag>`` message, or each in an ``<ndm>`` container, through ``read_xml(node, file)``)."""
    encoding, parsed, name = load(source, file)
    if encoding == "KVN":
        return [read_kvn(parsed, name)]
    return [read_xml(m, name) for m in xml_messages(parsed, tag, name)]


def xml_messages(root: XNode, tag: str, file: str) -> list[XNode]:
    """The ``<tag>`` messages of a document: the root itself, or the children of ``<ndm>``."""
    if root.tag == tag:
        return [root]
    if root.tag == "ndm":
        found = root.findall(tag)
        if not found:
            raise ParseError(f"<ndm> container holds no <{tag}> message", file, root.line)
        return found
    raise ParseError(f"root element <{root.tag}> is not a <{tag}> message", file, root.line)


def xml_header_entries(msg: XNode, version_key: str, file: str) -> list[Entry]:
    """Entries of the header of an XML message, version attribute first."""
    header = msg.find("header")
    if header is None:
        raise ParseError(f"<{msg.tag}> has no <header>", file, msg.line)
    version = msg.attrib.get("version", "")
    return [Entry(version_key, version, None, msg.line), *leaves(header)]


def xml_single(parent: XNode, tag: str, file: str, mandatory: bool = True) -> XNode | None:
    """The unique ``<tag>`` child of ``parent`` (ParseError when missing or repeated)."""
    found = parent.findall(tag)
    if len(found) > 1:
        raise ParseError(
            f"<{parent.tag}> holds {len(found)} <{tag}> elements, only one allowed",
            file,
            found[1].line,
        )
    if not found:
        if mandatory:
            raise ParseError(f"<{parent.tag}> lacks its <{tag}> element", file, parent.line)
        return None
    return found[0]


def xml_segment_entries(segment: XNode, file: str) -> list[Entry]:
    """Entries of a ``<segment>``: the leaves of its ``<metadata>``, then of its ``<data>``."""
    entries = leaves(xml_single(segment, "metadata", file))
    return entries + leaves(xml_single(segment, "data", file))


def xml_single_segment_entries(msg: XNode, version_key: str, file: str) -> list[Entry]:
    """Header, metadata and data entries of a one-segment XML message (OMM, OPM)."""
    entries = xml_header_entries(msg, version_key, file)
    segment = xml_single(xml_single(msg, "body", file), "segment", file)
    return entries + xml_segment_entries(segment, file)


def reject_kvn_blocks(entries: Sequence[Entry], kind: str, file: str) -> None:
    """ParseError at the first block delimiter or bare line in a KVN ``kind`` (OMM, OPM)."""
    for e in entries:
        if e.delimiter or not e.key:
            raise ParseError(f"unexpected {e.key or e.value!r} in an {kind}", file, e.line)


def message_format(fmt: str) -> str:
    """``"KVN"`` or ``"XML"`` from a writer's ``fmt`` argument (any case; ValueError else)."""
    upper = fmt.upper()
    if upper not in ("KVN", "XML"):
        raise ValueError(f"fmt must be 'KVN' or 'XML', not {fmt!r}")
    return upper


def save_text(text: str, path=None) -> str:
    """Write a message's text to ``path`` (UTF-8) when given; return the text."""
    if path is not None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    return text


def write_kvn_section(w: KvnWriter, section: Section, values: dict | None) -> None:
    """Write one parsed section back as KVN (comments, then keywords in table order; in a
    header the version keyword comes first, as every NDM KVN message must begin with it)."""
    if not values:
        return
    names = list(section.fields)
    if names and names[0].endswith("_VERS") and names[0] in values:
        w.kv(names[0], format_value(values[names[0]]), None)
        names = names[1:]
    w.comments(values.get("COMMENT"))
    for name in names:
        f = section.fields[name]
        if name in values:
            unit = f.unit if f.kind == "float" else None
            w.kv(name, format_value(values[name]), unit)


def write_kvn_user_defined(w: KvnWriter, values: dict | None) -> None:
    for k, v in (values or {}).items():
        w.kv(f"USER_DEFINED_{k}", str(v))


def tri_names(labels: Sequence[str]) -> list[str]:
    """Lower-triangle keyword names row by row: ``C{row}_{col}`` (``CX_X, CY_X, CY_Y...``)."""
    return [f"C{labels[i]}_{labels[j]}" for i in range(len(labels)) for j in range(i + 1)]


def tri_to_matrix(values: dict, names: Sequence[str], n: int) -> np.ndarray:
    """Symmetric ``(n, n)`` matrix from lower-triangle keywords (missing -> NaN)."""
    m = np.full((n, n), np.nan)
    rows, cols = np.tril_indices(n)
    tri = np.array([values.get(k, np.nan) for k in names[: len(rows)]], dtype=float)
    m[rows, cols] = tri
    m[cols, rows] = tri
    return m


def matrix_to_tri(m: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    """Inverse of :func:`tri_to_matrix` (lower triangle of ``m`` keyed by ``names``)."""
    n = m.shape[0]
    rows, cols = np.tril_indices(n)
    return dict(zip(names, (float(x) for x in m[rows, cols]), strict=False))


def check_time_system(value: str, file: str, line: int = 0) -> None:
    if value.upper() not in TIME_SYSTEMS:
        raise ParseError(
            f"TIME_SYSTEM {value!r} is not a CCSDS time system "
            f"(expected one of {', '.join(sorted(TIME_SYSTEMS))})",
            file,
            line,
        )


_KVN_TYPES = ("OMM", "OEM", "OPM", "OCM", "CDM", "TDM", "AEM", "APM", "ACM", "NDM")


def detect_format(source) -> tuple[str, str]:
    """Encoding and message type of a CCSDS file: e.g. ``("KVN", "OEM")``, ``("XML", "CDM")``.

    For an XML ``<ndm>`` container the type is ``"NDM"``.  Raises ParseError when the content
    is not a recognizable CCSDS NDM message.
    """
    encoding, parsed, file = load(source)
    if encoding == "XML":
        tag = parsed.tag.upper()
        if tag.lower() not in {t.lower() for t in _KVN_TYPES}:
            raise ParseError(f"root element <{parsed.tag}> is not a CCSDS message", file, 1)
        return "XML", tag
    for e in parsed:
        if e.key == "COMMENT":
            continue
        for t in _KVN_TYPES:
            if e.key == f"CCSDS_{t}_VERS":
                return "KVN", t
        break
    raise ParseError("first keyword is not CCSDS_xxx_VERS: not a CCSDS KVN message", file, 1)
