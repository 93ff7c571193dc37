"""CCSDS Tracking Data Message (TDM, CCSDS 503.0-B-1/-2), KVN and XML.

Each segment stores its observations as parallel arrays ``keywords`` (n,) str,
``epochs`` (n,) ``datetime64[us]`` (in ``TIME_SYSTEM``) and ``values`` (n,) float, in the
units of CCSDS 503.0 (e.g. RANGE in ``RANGE_UNITS``, angles in deg, frequencies in Hz).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np

from spacerange.errors import ParseError

from .kvn import Entry, KvnWriter
from .message import (
    check_time_system,
    message_format,
    read_messages,
    save_text,
    write_kvn_section,
    xml_header_entries,
    xml_single,
)
from .schema import Section, format_epoch, parse_epochs, parse_float, parse_sections
from .xmlio import add_comments, add_section, leaves, message_root, to_xml_text

__all__ = ["Tdm", "TdmSegment", "read_tdm", "write_tdm", "DATA_KEYWORDS"]

HEADER = Section(
    "header",
    "CCSDS_TDM_VERS! CLASSIFICATION CREATION_DATE:epoch! ORIGINATOR! MESSAGE_ID",
    mandatory=True,
)
_N = range(1, 6)
METADATA = Section(
    "metadata",
    "TRACK_ID DATA_TYPES TIME_SYSTEM! START_TIME:epoch STOP_TIME:epoch "
    + " ".join(f"PARTICIPANT_{i}" + ("!" if i == 1 else "") for i in _N)
    + " MODE PATH PATH_1 PATH_2 "
    + " ".join(f"EPHEMERIS_NAME_{i}" for i in _N)
    + " TRANSMIT_BAND RECEIVE_BAND TURNAROUND_NUMERATOR:int TURNAROUND_DENOMINATOR:int "
    "TIMETAG_REF INTEGRATION_INTERVAL:float INTEGRATION_REF FREQ_OFFSET:float RANGE_MODE "
    "RANGE_MODULUS:float RANGE_UNITS ANGLE_TYPE REFERENCE_FRAME INTERPOLATION "
    "INTERPOLATION_DEGREE:int DOPPLER_COUNT_BIAS:float DOPPLER_COUNT_SCALE:float "
    "DOPPLER_COUNT_ROLLOVER "
    + " ".join(f"TRANSMIT_DELAY_{i}:float RECEIVE_DELAY_{i}:float" for i in _N)
    + " DATA_QUALITY CORRECTION_ANGLE_1:float CORRECTION_ANGLE_2:float "
    "CORRECTION_DOPPLER:float CORRECTION_MAG:float CORRECTION_RANGE:float "
    "CORRECTION_RCS:float CORRECTION_RECEIVE:float CORRECTION_TRANSMIT:float "
    "CORRECTION_ABERRATION_YEARLY:float CORRECTION_ABERRATION_DIURNAL:float "
    "CORRECTIONS_APPLIED",
    mandatory=True,
)
#: Data keywords of CCSDS 503.0-B-2 section 3.5.
DATA_KEYWORDS = frozenset(
    "ANGLE_1 ANGLE_2 CARRIER_POWER CLOCK_BIAS CLOCK_DRIFT DOPPLER_COUNT DOPPLER_INSTANTANEOUS "
    "DOPPLER_INTEGRATED DOR MAG PC_N0 PR_N0 PRESSURE RANGE RCS RECEIVE_FREQ RHUMIDITY STEC "
    "TEMPERATURE TROPO_DRY TROPO_WET VLBI_DELAY".split()
    + [
        f"{k}_{i}"
        for k in (
            "RECEIVE_FREQ",
            "TRANSMIT_FREQ",
            "TRANSMIT_FREQ_RATE",
            "RECEIVE_PHASE_CT",
            "TRANSMIT_PHASE_CT",
        )  # fmt: skip
        for i in _N
    ]
)


@dataclass
class TdmSegment:
    """One TDM segment: metadata dict and the observation arrays (see module docstring)."""

    metadata: dict
    keywords: np.ndarray
    epochs: np.ndarray
    values: np.ndarray
    comments: list[str] = field(default_factory=list)

    def observations(self, keyword: str) -> tuple[np.ndarray, np.ndarray]:
        """(epochs, values) of one data type, e.g. ``"RANGE"`` or ``"ANGLE_1"``."""
        mask = self.keywords == keyword
        return self.epochs[mask], self.values[mask]


@dataclass
class Tdm:
    """A TDM: header dict and segments."""

    header: dict
    segments: list[TdmSegment]


def _observations(obs: list[tuple[str, str, str, int]], meta: dict, file: str) -> TdmSegment:
    """Arrays from (keyword, epoch text, value text, line) tuples."""
    for key, _, _, line in obs:
        if key not in DATA_KEYWORDS:
            raise ParseError(f"unknown TDM data keyword {key}", file, line)
    values = np.empty(len(obs))
    for i, (key, _, v, line) in enumerate(obs):
        try:
            values[i] = parse_float(v)
        except ValueError:
            raise ParseError(f"{key}: value {v!r} is not a number", file, line) from None
    try:
        epochs = parse_epochs([o[1] for o in obs])
    except ValueError:
        for key, t, _, line in obs:
            try:
                parse_epochs([t])
            except ValueError as exc:
                raise ParseError(f"{key}: bad epoch {t!r} ({exc})", file, line) from None
        raise
    keywords = np.array([o[0] for o in obs], dtype=object)
    return TdmSegment(meta, keywords, epochs, values)


def _metadata(entries: list[Entry], file: str, line: int) -> dict:
    meta = parse_sections(entries, [METADATA], file=file, end_line=line)["metadata"]
    check_time_system(meta["TIME_SYSTEM"], file, line)
    return meta


def _finish(header: dict, segments: list[TdmSegment], file: str) -> Tdm:
    if not segments:
        raise ParseError("TDM holds no segment", file, 0)
    systems = {s.metadata["TIME_SYSTEM"] for s in segments}
    if len(systems) > 1:
        raise ParseError(
            f"inconsistent time systems between segments: {', '.join(sorted(systems))}", file, 0
        )
    return Tdm(header, segments)


def _block(entries: list[Entry], i: int, stop: str, file: str) -> tuple[list[Entry], int]:
    start = entries[i]
    j = i + 1
    out = []
    while j < len(entries) and entries[j].key != stop:
        if entries[j].delimiter:
            raise ParseError(f"{entries[j].key} before {stop}", file, entries[j].line)
        out.append(entries[j])
        j += 1
    if j >= len(entries):
        raise ParseError(f"{start.key} without {stop}", file, start.line)
    return out, j + 1


def _read_kvn(entries: list[Entry], file: str) -> Tdm:
    i = 0
    head = []
    while i < len(entries) and entries[i].key != "META_START":
        head.append(entries[i])
        i += 1
    header = parse_sections(head, [HEADER], file=file)["header"]
    segments = []
    while i < len(entries):
        if entries[i].key != "META_START":
            e = entries[i]
            raise ParseError(f"expected META_START, found {e.key or e.value!r}", file, e.line)
        meta_entries, i = _block(entries, i, "META_STOP", file)
        meta = _metadata(meta_entries, file, entries[i - 1].line)
        if i >= len(entries) or entries[i].key != "DATA_START":
            line = entries[min(i, len(entries) - 1)].line
            raise ParseError("metadata block not followed by DATA_START", file, line)
        data, i = _block(entries, i, "DATA_STOP", file)
        obs, comments = [], []
        for e in data:
            if e.key == "COMMENT":
                comments.append(e.value)
                continue
            toks = e.value.split()
            if not e.key or len(toks) != 2:
                raise ParseError(
                    f"data line must read 'KEYWORD = EPOCH VALUE', got {e.key} = {e.value!r}",
                    file,
                    e.line,
                )
            obs.append((e.key, toks[0], toks[1], e.line))
        seg = _observations(obs, meta, file)
        seg.comments = comments
        segments.append(seg)
    return _finish(header, segments, file)


def _read_xml(msg, file: str) -> Tdm:
    header_entries = xml_header_entries(msg, "CCSDS_TDM_VERS", file)
    header = parse_sections(header_entries, [HEADER], file=file)["header"]
    segments = []
    for seg in xml_single(msg, "body", file).findall("segment"):
        meta_node = xml_single(seg, "metadata", file)
        meta = _metadata(leaves(meta_node), file, meta_node.line)
        obs, comments = [], []
        for child in xml_single(seg, "data", file).children:
            if child.tag == "COMMENT":
                comments.append(child.text.strip())
                continue
            kids = [c for c in child.children if c.tag != "COMMENT"]
            if child.tag != "observation" or len(kids) != 2 or kids[0].tag != "EPOCH":
                raise ParseError(
                    "each <observation> needs <EPOCH> followed by one data element",
                    file,
                    child.line,
                )
            obs.append((kids[1].tag, kids[0].text.strip(), kids[1].text.strip(), kids[1].line))
        s = _observations(obs, meta, file)
        s.comments = comments
        segments.append(s)
    return _finish(header, segments, file)


def read_tdm(source, file: str | None = None) -> list[Tdm]:
    """Read TDM(s) from a KVN or XML file/text (``<ndm>`` containers give several)."""
    return read_messages(source, file, "tdm", _read_kvn, _read_xml)


def write_tdm(tdm: Tdm, path=None, *, fmt: str = "KVN") -> str:
    """Write a TDM as KVN or XML; returns the text and writes ``path`` when given."""
    if message_format(fmt) == "KVN":
        w = KvnWriter(width=22)
        write_kvn_section(w, HEADER, tdm.header)
        for seg in tdm.segments:
            w.raw("META_START")
            write_kvn_section(w, METADATA, seg.metadata)
            w.raw("META_STOP")
            w.raw("DATA_START")
            w.comments(seg.comments)
            epochs = np.datetime_as_string(seg.epochs, unit="us").tolist()
            for k, t, v in zip(seg.keywords.tolist(), epochs, seg.values.tolist(), strict=True):
                w.kv(k, f"{t} {v!r}")
            w.raw("DATA_STOP")
        text = w.text()
    else:
        root = message_root("tdm", "CCSDS_TDM_VERS", HEADER, tdm.header, "2.0")
        body = ET.SubElement(root, "body")
        for seg in tdm.segments:
            s = ET.SubElement(body, "segment")
            add_section(s, "metadata", METADATA, seg.metadata)
            data = ET.SubElement(s, "data")
            add_comments(data, seg.comments)
            for k, t, v in zip(seg.keywords.tolist(), seg.epochs, seg.values.tolist(),
                               strict=True):  # fmt: skip
                ob = ET.SubElement(data, "observation")
                ET.SubElement(ob, "EPOCH").text = format_epoch(t)
                ET.SubElement(ob, k).text = repr(v)
        text = to_xml_text(root)
    return save_text(text, path)
