"""Strict check of an XML CDM against the CCSDS NDM/XML schema's generated bindings.

The official XSD files are not available offline.  The ``ccsds-ndm`` package (2.2) ships
xsdata bindings generated from the CCSDS NDM/XML 2.0.0 schemas (``ndmxml-2.0.0-cdm-1.0``
for the CDM); this is validation against those *bindings*, not against the XSD with a
validating parser.  Two layers:

1. xsdata's parser in strict mode: an unknown element or attribute, or a value its type
   cannot convert (a decimal, an enumeration such as ``OBJECT_TYPE`` or ``units``), fails.
2. What xsdata's parser does not enforce, checked here from the bindings' field metadata:
   element order (the ``xsd:sequence`` order is the dataclass field order), required
   elements, occurrence counts, ``pattern`` and ``min/max_inclusive/exclusive`` facets.
"""

from __future__ import annotations

import dataclasses
import re
import typing
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation

__all__ = ["validate_cdm_xml"]


def _parse_strict(text: str):
    from ccsds_ndm.models.ndmxml2 import Cdm
    from xsdata.formats.dataclass.parsers import XmlParser
    from xsdata.formats.dataclass.parsers.config import ParserConfig

    cfg = ParserConfig(fail_on_unknown_properties=True, fail_on_unknown_attributes=True,
                       fail_on_converter_warnings=True)  # fmt: skip
    return XmlParser(config=cfg).from_string(text, Cdm)


def _element_fields(cls) -> list[tuple[str, dataclasses.Field, type, bool]]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.metadata.get("type") != "Element":
            continue
        tp = hints[f.name]
        origin = typing.get_origin(tp)
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        is_list = origin in (list, typing.List)  # noqa: UP006
        inner = args[0] if (is_list or origin is typing.Union) and args else tp
        out.append((f.metadata.get("name", f.name), f, inner, is_list))
    return out


def _facets(meta, text: str, where: str) -> list[str]:
    bad = []
    if "pattern" in meta and not re.fullmatch(meta["pattern"], text):
        bad.append(f"{where}: {text!r} does not match the schema pattern")
    bounds = [k for k in ("min_inclusive", "max_inclusive", "min_exclusive", "max_exclusive")
              if k in meta]  # fmt: skip
    if bounds:
        try:
            v = Decimal(text)
        except InvalidOperation:
            return [*bad, f"{where}: {text!r} is not a decimal"]
        ops = {"min_inclusive": v.__ge__, "max_inclusive": v.__le__,
               "min_exclusive": v.__gt__, "max_exclusive": v.__lt__}  # fmt: skip
        bad += [f"{where}: {text} violates {k} {meta[k]}" for k in bounds if not ops[k](meta[k])]
    return bad


def _check(elem: ET.Element, cls, where: str) -> list[str]:
    fields = _element_fields(cls)
    if not fields:  # simple content (value + attributes): facets of ``value``
        value = next((f for f in dataclasses.fields(cls) if f.name == "value"), None)
        return _facets(value.metadata, (elem.text or "").strip(), where) if value else []
    index = {name: k for k, (name, *_rest) in enumerate(fields)}
    bad: list[str] = []
    last = -1
    counts = [0] * len(fields)
    for child in elem:
        tag = child.tag.split("}")[-1]
        k = index.get(tag)
        path = f"{where}/{tag}"
        if k is None:
            bad.append(f"{path}: not an element of {cls.__name__}")
            continue
        if k < last:
            bad.append(f"{path}: out of the schema's order (after {fields[last][0]})")
        last = max(last, k)
        counts[k] += 1
        _name, f, inner, _is_list = fields[k]
        if dataclasses.is_dataclass(inner):
            bad += _check(child, inner, path)
        else:
            bad += _facets(f.metadata, (child.text or "").strip(), path)
    for k, (name, f, _inner, is_list) in enumerate(fields):
        lo = f.metadata.get("min_occurs", 1 if f.metadata.get("required") else 0)
        hi = f.metadata.get("max_occurs", None if is_list else 1)
        if counts[k] < lo:
            bad.append(f"{where}/{name}: required {lo}, found {counts[k]}")
        if hi is not None and counts[k] > hi:
            bad.append(f"{where}/{name}: at most {hi}, found {counts[k]}")
    return bad


def validate_cdm_xml(text: str) -> list[str]:
    """Problems of one XML CDM against the bindings (empty list: valid).  Raises the
    xsdata parser's error for unknown elements/attributes and unconvertible values."""
    from ccsds_ndm.models.ndmxml2 import Cdm

    _parse_strict(text)
    root = ET.fromstring(text.encode())
    bad = []
    if root.tag != "cdm" or root.get("id") != "CCSDS_CDM_VERS" or root.get("version") != "1.0":
        bad.append(f"root <{root.tag} id={root.get('id')} version={root.get('version')}>: "
                   "expected <cdm id='CCSDS_CDM_VERS' version='1.0'>")  # fmt: skip
    return bad + _check(root, Cdm, "cdm")
