"""XML reading/writing helpers for CCSDS NDM/XML messages (stdlib only).

Reading decodes any of UTF-8, UTF-16 (LE/BE) and UCS-4 (LE/BE), with or without BOM, then
parses with expat into light :class:`XNode` trees that keep source line numbers.  External
DTDs and entities are never fetched.  :func:`leaves` flattens a subtree into the same
:class:`~spacerange.ccsds.kvn.Entry` items the KVN lexer produces, so message schemas are
shared by both encodings.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.parsers import expat

from spacerange.errors import ParseError

from .kvn import Entry
from .schema import Section, format_value

__all__ = [
    "XNode",
    "decode_xml",
    "parse_xml",
    "leaves",
    "add_section",
    "add_comments",
    "message_root",
    "ndm_text",
    "to_xml_text",
]


@dataclass
class XNode:
    """One XML element: tag (namespace prefix stripped), attributes, text, children, line."""

    tag: str
    attrib: dict[str, str]
    line: int
    text: str = ""
    children: list[XNode] = field(default_factory=list)

    def find(self, tag: str) -> XNode | None:
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[XNode]:
        return [c for c in self.children if c.tag == tag]


_BOMS = [
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
]
_SNIFF = [
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
]
_DECL_ENCODING = re.compile(r"""(<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""")


def decode_xml(content: bytes | str) -> str:
    """Decode XML bytes to text using the BOM or the first-bytes signature (XML 1.0 F.1)."""
    if isinstance(content, str):
        text = content
    else:
        for bom, enc in _BOMS:
            if content.startswith(bom):
                text = content[len(bom) :].decode(enc)
                break
        else:
            enc = next((e for sig, e in _SNIFF if content.startswith(sig)), "utf-8")
            text = content.decode(enc)
    text = text.lstrip("\ufeff")
    return _DECL_ENCODING.sub(r"\1", text, count=1)


def parse_xml(content: bytes | str, file: str = "<input>") -> XNode:
    """Parse an XML document into an :class:`XNode` tree (ParseError on malformed XML)."""
    text = decode_xml(content)
    parser = expat.ParserCreate()
    stack: list[XNode] = []
    root: list[XNode] = []

    def start(tag, attrs):
        node = XNode(tag.split(":")[-1], {k.split(":")[-1]: v for k, v in attrs.items()}, 0)
        node.line = parser.CurrentLineNumber
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(tag):
        stack.pop()

    def chars(data):
        if stack:
            stack[-1].text += data

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise ParseError(
            f"malformed XML: {expat.errors.messages[exc.code]}", file, exc.lineno
        ) from None
    if not root:
        raise ParseError("empty XML document", file, 0)
    return root[0]


def leaves(node: XNode) -> list[Entry]:
    """Flatten the leaf elements below ``node`` (document order) into KVN-like entries.

    ``<USER_DEFINED parameter="P">v</USER_DEFINED>`` becomes ``USER_DEFINED_P``;
    ``nil="true"`` elements give an empty value.
    """
    out: list[Entry] = []

    def walk(n: XNode) -> None:
        for c in n.children:
            if c.children:
                walk(c)
                continue
            key = c.tag
            if key == "USER_DEFINED" and "parameter" in c.attrib:
                key = "USER_DEFINED_" + c.attrib["parameter"]
            value = "" if c.attrib.get("nil") == "true" else c.text.strip()
            out.append(Entry(key, value, c.attrib.get("units"), c.line))

    walk(node)
    return out


def add_section(
    parent: ET.Element, tag: str | None, section: Section, values: dict | None
) -> ET.Element | None:
    """Write ``values`` (declared by ``section``) as child elements of ``parent``.

    ``tag`` wraps them in a sub-element (``None`` writes them directly under ``parent``).
    Comments come first, then keywords in declaration order, with ``units`` attributes.
    """
    if not values or not (values.get("COMMENT") or set(values) - {"COMMENT"}):
        return None
    target = ET.SubElement(parent, tag) if tag else parent
    add_comments(target, values.get("COMMENT"))
    for name, f in section.fields.items():
        if name in values:
            el = ET.SubElement(target, name)
            el.text = format_value(values[name])
            if f.unit and f.kind == "float":
                el.set("units", f.unit)
    return target


def add_user_defined(parent: ET.Element, values: dict | None) -> None:
    """Write ``USER_DEFINED parameter=...`` elements in a ``userDefinedParameters`` block."""
    if not values:
        return
    block = ET.SubElement(parent, "userDefinedParameters")
    for k, v in values.items():
        el = ET.SubElement(block, "USER_DEFINED", parameter=k)
        el.text = str(v)


def new_root(tag: str, version_key: str, version: str) -> ET.Element:
    """Root element ``<tag id="CCSDS_XXX_VERS" version="...">``."""
    return ET.Element(tag, {"id": version_key, "version": str(version)})


def message_root(
    tag: str, version_key: str, header_section: Section, header: dict, default_version: str
) -> ET.Element:
    """Root ``<tag id=version_key version=...>`` holding the ``<header>`` section.

    The version comes from ``header[version_key]`` (``default_version`` when absent) and is
    written only as the root's attribute, not again inside ``<header>``.
    """
    root = new_root(tag, version_key, header.get(version_key, default_version))
    add_section(root, "header", header_section,
                {k: v for k, v in header.items() if k != version_key})  # fmt: skip
    return root


def add_comments(parent: ET.Element, comments) -> None:
    """Append one ``<COMMENT>`` child per string of ``comments``."""
    for c in comments or ():
        ET.SubElement(parent, "COMMENT").text = c


def ndm_text(roots: list[ET.Element]) -> str:
    """XML text of one message, or of several wrapped in an ``<ndm>`` container."""
    if len(roots) == 1:
        return to_xml_text(roots[0])
    root = ET.Element("ndm")
    root.extend(roots)
    return to_xml_text(root)


def to_xml_text(root: ET.Element) -> str:
    """Serialize with an XML declaration and two-space indentation."""
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
