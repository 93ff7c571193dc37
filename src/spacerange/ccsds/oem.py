"""CCSDS Orbit Ephemeris Message (OEM, CCSDS 502.0-B-2/-3), KVN and XML.

Each segment holds numpy arrays: ``epochs`` (n,) ``datetime64[us]`` in the segment's
``TIME_SYSTEM``, ``r_km`` (n, 3), ``v_km_s`` (n, 3) and optionally ``a_km_s2`` (n, 3)
(rows without accelerations are NaN), all in the segment's ``REF_FRAME`` about
``CENTER_NAME``.  ``epochs_utc`` converts UTC/TAI/TT/GPS epochs to UTC.  Covariances are
(6, 6) arrays in km**2, km**2/s, km**2/s**2.
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
from .omm import CARTESIAN_COV_NAMES, covariance_section, odm_header
from .schema import (
    Section,
    format_epoch,
    parse_epochs,
    parse_sections,
    to_utc,
)
from .xmlio import add_comments, add_section, leaves, message_root, to_xml_text

__all__ = ["Oem", "OemSegment", "OemCovariance", "read_oem", "write_oem"]

HEADER = odm_header("OEM")
METADATA = Section(
    "metadata",
    "OBJECT_NAME! OBJECT_ID! CENTER_NAME! REF_FRAME! REF_FRAME_EPOCH:epoch TIME_SYSTEM! "
    "START_TIME:epoch! USEABLE_START_TIME:epoch USEABLE_STOP_TIME:epoch STOP_TIME:epoch! "
    "INTERPOLATION INTERPOLATION_DEGREE:int",
    mandatory=True,
)
COVARIANCE = covariance_section(epoch=True)
_STATE_KEYS = ["X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT", "X_DDOT", "Y_DDOT", "Z_DDOT"]


@dataclass
class OemCovariance:
    """One covariance block: epoch, frame (None: the segment's REF_FRAME), (6, 6) matrix."""

    epoch: np.datetime64
    cov_km: np.ndarray
    ref_frame: str | None = None
    comments: list[str] = field(default_factory=list)


@dataclass
class OemSegment:
    """One OEM segment: metadata dict plus ephemeris arrays (see module docstring)."""

    metadata: dict
    epochs: np.ndarray
    r_km: np.ndarray
    v_km_s: np.ndarray
    a_km_s2: np.ndarray | None = None
    covariances: list[OemCovariance] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def time_system(self) -> str:
        return self.metadata["TIME_SYSTEM"]

    @property
    def ref_frame(self) -> str:
        return self.metadata["REF_FRAME"]

    @property
    def epochs_utc(self) -> np.ndarray:
        """Epochs converted to UTC (``datetime64[us]``); ValueError for other scales."""
        return to_utc(self.epochs, self.time_system)


@dataclass
class Oem:
    """An OEM: header dict and a list of segments."""

    header: dict
    segments: list[OemSegment]


# ----------------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------------
def _numbers(rows: list[list[str]], lines: list[int], what: str, file: str) -> np.ndarray:
    """float array from equally long token rows; ParseError naming the first bad line."""
    try:
        return np.array(rows, dtype=float)
    except ValueError:
        for toks, ln in zip(rows, lines, strict=True):
            for t in toks:
                try:
                    float(t)
                except ValueError:
                    raise ParseError(f"{what}: {t!r} is not a number", file, ln) from None
        raise


def _ephemeris(data: list[Entry], file: str) -> tuple:
    """Arrays from KVN ephemeris rows ``epoch x y z vx vy vz [ax ay az]``."""
    if not data:
        z = np.zeros((0, 3))
        return np.array([], "datetime64[us]"), z, z.copy(), None
    toks = [e.value.split() for e in data]
    lines = [e.line for e in data]
    counts = np.fromiter((len(t) for t in toks), int, len(toks))
    bad = np.nonzero((counts != 7) & (counts != 10))[0]
    if bad.size:
        i = bad[0]
        raise ParseError(
            f"ephemeris line has {counts[i]} fields, expected 7 (epoch + r + v) or 10 "
            "(+ accelerations)",
            file,
            lines[i],
        )
    epochs_txt = [t[0] for t in toks]
    try:
        epochs = parse_epochs(epochs_txt)
    except ValueError:
        for t, ln in zip(epochs_txt, lines, strict=True):
            try:
                parse_epochs([t])
            except ValueError as exc:
                raise ParseError(f"ephemeris epoch {t!r} invalid ({exc})", file, ln) from None
        raise
    n = len(toks)
    state = np.full((n, 9), np.nan)
    has_acc = counts == 10
    for mask, width in ((~has_acc, 6), (has_acc, 9)):
        idx = np.nonzero(mask)[0]
        if idx.size:
            rows = [toks[i][1 : 1 + width] for i in idx]
            state[idx, :width] = _numbers(rows, [lines[i] for i in idx], "ephemeris", file)
    acc = state[:, 6:9] if has_acc.any() else None
    return epochs, state[:, 0:3], state[:, 3:6], acc


def _covariance_kvn(block: list[Entry], file: str) -> list[OemCovariance]:
    """Parse the entries between COVARIANCE_START and COVARIANCE_STOP."""
    out: list[OemCovariance] = []
    cur: dict | None = None
    comments: list[str] = []

    def finish(line: int) -> None:
        if cur is None:
            return
        if len(cur["rows"]) != 6:
            raise ParseError(
                f"covariance at {cur['epoch_txt']} has {len(cur['rows'])} rows, expected 6 "
                "(lower-triangular 6x6)",
                file,
                line,
            )
        m = np.zeros((6, 6))
        for i, row in enumerate(cur["rows"]):
            m[i, : i + 1] = row
        m = np.tril(m) + np.tril(m, -1).T
        out.append(OemCovariance(cur["epoch"], m, cur["frame"], cur["comments"]))

    for e in block:
        if e.key == "COMMENT":
            comments.append(e.value)
        elif e.key == "EPOCH":
            finish(e.line)
            try:
                epoch = parse_epochs([e.value])[0]
            except ValueError as exc:
                raise ParseError(
                    f"covariance EPOCH {e.value!r} invalid ({exc})", file, e.line
                ) from None
            cur = {"epoch": epoch, "epoch_txt": e.value, "frame": None, "rows": []}
            cur["comments"], comments = comments, []
        elif e.key == "COV_REF_FRAME" and cur is not None and not cur["rows"]:
            cur["frame"] = e.value
        elif e.key:
            raise ParseError(f"keyword {e.key} not allowed within covariance data", file, e.line)
        else:
            if cur is None:
                raise ParseError("covariance row before its EPOCH", file, e.line)
            toks = e.value.split()
            i = len(cur["rows"])
            if i >= 6:
                raise ParseError(
                    "covariance has more than 6 rows (dimension too large)", file, e.line
                )
            if len(toks) != i + 1:
                raise ParseError(
                    f"covariance row {i + 1} has {len(toks)} values, expected {i + 1} "
                    "(lower-triangular 6x6)",
                    file,
                    e.line,
                )
            cur["rows"].append(_numbers([toks], [e.line], "covariance", file)[0])
    finish(block[-1].line if block else 0)
    return out


def _segment(meta_entries: list[Entry], file: str, line: int) -> dict:
    parts = parse_sections(meta_entries, [METADATA], file=file, end_line=line)
    meta = parts["metadata"]
    check_time_system(meta["TIME_SYSTEM"], file, line)
    return meta


def _read_kvn(entries: list[Entry], file: str) -> Oem:
    i, n = 0, len(entries)
    header_entries = []
    while i < n and entries[i].key != "META_START":
        if not entries[i].key:
            raise ParseError("ephemeris data before META_START", file, entries[i].line)
        header_entries.append(entries[i])
        i += 1
    header = parse_sections(header_entries, [HEADER], file=file)["header"]
    segments: list[OemSegment] = []
    while i < n:
        start = entries[i]
        if start.key != "META_START":
            raise ParseError(f"expected META_START, found {start.key or start.value!r}", file,
                             start.line)  # fmt: skip
        i += 1
        meta_entries = []
        while i < n and entries[i].key != "META_STOP":
            e = entries[i]
            if not e.key or e.delimiter:
                raise ParseError(f"unexpected {e.key or e.value!r} inside metadata", file, e.line)
            meta_entries.append(e)
            i += 1
        if i >= n:
            raise ParseError("metadata block without META_STOP", file, start.line)
        meta = _segment(meta_entries, file, entries[i].line)
        i += 1
        data, comments = [], []
        while i < n and entries[i].key not in ("META_START", "COVARIANCE_START"):
            e = entries[i]
            if e.key == "COMMENT":
                comments.append(e.value)
            elif e.key:
                raise ParseError(f"keyword {e.key} not allowed within ephemeris data", file,
                                 e.line)  # fmt: skip
            else:
                data.append(e)
            i += 1
        covs: list[OemCovariance] = []
        if i < n and entries[i].key == "COVARIANCE_START":
            cstart = entries[i]
            i += 1
            block = []
            while i < n and entries[i].key != "COVARIANCE_STOP":
                block.append(entries[i])
                i += 1
            if i >= n:
                raise ParseError("COVARIANCE_START without COVARIANCE_STOP", file, cstart.line)
            i += 1
            covs = _covariance_kvn(block, file)
        epochs, r, v, a = _ephemeris(data, file)
        segments.append(OemSegment(meta, epochs, r, v, a, covs, comments))
    return _finish(header, segments, file)


def _finish(header: dict, segments: list[OemSegment], file: str) -> Oem:
    if not segments:
        raise ParseError("OEM holds no segment (missing META_START)", file, 0)
    systems = {s.time_system for s in segments}
    if len(systems) > 1:
        raise ParseError(
            f"inconsistent time systems between segments: {', '.join(sorted(systems))}", file, 0
        )
    return Oem(header, segments)


def _read_xml(msg, file: str) -> Oem:
    header = parse_sections(xml_header_entries(msg, "CCSDS_OEM_VERS", file), [HEADER],
                            file=file)["header"]  # fmt: skip
    segments = []
    for seg in xml_single(msg, "body", file).findall("segment"):
        meta_node = xml_single(seg, "metadata", file)
        meta = _segment(leaves(meta_node), file, meta_node.line)
        data = xml_single(seg, "data", file)
        comments, rows, covs = [], [], []
        for child in data.children:
            if child.tag == "COMMENT":
                comments.append(child.text.strip())
            elif child.tag == "stateVector":
                vals = {e.key: e for e in leaves(child)}
                unknown = set(vals) - {"EPOCH", *_STATE_KEYS}
                if unknown or not {"EPOCH", *_STATE_KEYS[:6]} <= set(vals):
                    raise ParseError(
                        "stateVector needs EPOCH, X..Z_DOT (and optionally X_DDOT..Z_DDOT)"
                        + (f"; unknown {sorted(unknown)}" if unknown else ""),
                        file,
                        child.line,
                    )
                keys = _STATE_KEYS if "X_DDOT" in vals else _STATE_KEYS[:6]
                rows.append(Entry("", " ".join(vals[k].value for k in ["EPOCH", *keys]), None,
                                  child.line))  # fmt: skip
            elif child.tag == "covarianceMatrix":
                c = parse_sections(leaves(child), [COVARIANCE], file=file,
                                   end_line=child.line)["covarianceMatrix"]  # fmt: skip
                m = np.full((6, 6), np.nan)
                ri, ci = np.tril_indices(6)
                m[ri, ci] = [c[k] for k in CARTESIAN_COV_NAMES]
                m[ci, ri] = m[ri, ci]
                covs.append(OemCovariance(c["EPOCH"], m, c.get("COV_REF_FRAME"), c["COMMENT"]))
            else:
                raise ParseError(f"unexpected <{child.tag}> in OEM data", file, child.line)
        epochs, r, v, a = _ephemeris(rows, file)
        segments.append(OemSegment(meta, epochs, r, v, a, covs, comments))
    return _finish(header, segments, file)


def read_oem(source, file: str | None = None) -> list[Oem]:
    """Read OEM(s) from a KVN or XML file/text (``<ndm>`` containers give several)."""
    return read_messages(source, file, "oem", _read_kvn, _read_xml)


# ----------------------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------------------
def _state_rows(seg: OemSegment) -> list[str]:
    """Ephemeris rows ``epoch x y z vx vy vz [ax ay az]`` (shortest exact float repr)."""
    epochs = np.datetime_as_string(np.asarray(seg.epochs, "datetime64[us]"), unit="us").tolist()
    cols = [c.tolist() for c in np.concatenate([seg.r_km, seg.v_km_s], axis=1).T]
    fmt6 = "%s %r %r %r %r %r %r"
    if seg.a_km_s2 is None:
        return [fmt6 % row for row in zip(epochs, *cols, strict=True)]
    acc = np.asarray(seg.a_km_s2, float)
    has = np.isfinite(acc).all(axis=1).tolist()
    fmt9 = fmt6 + " %r %r %r"
    acols = [c.tolist() for c in acc.T]
    return [
        fmt9 % row if h else fmt6 % row[:7]
        for h, row in zip(has, zip(epochs, *cols, *acols, strict=True), strict=True)
    ]


def _cov_rows(c: OemCovariance) -> list[str]:
    m = np.asarray(c.cov_km, float)
    return [" ".join(repr(float(x)) for x in m[i, : i + 1]) for i in range(6)]


def write_oem(oem: Oem, path=None, *, fmt: str = "KVN") -> str:
    """Write an OEM as KVN or XML; returns the text and writes ``path`` when given.

    KVN rows use the shortest exact ``repr`` of each float, formatted row-wise from Python
    lists (about 2 us per row), so large ephemerides write quickly.
    """
    if message_format(fmt) == "KVN":
        w = KvnWriter()
        write_kvn_section(w, HEADER, oem.header)
        parts = [w.text()]
        for seg in oem.segments:
            w = KvnWriter()
            w.blank()
            w.raw("META_START")
            write_kvn_section(w, METADATA, seg.metadata)
            w.raw("META_STOP")
            w.blank()
            w.comments(seg.comments)
            parts.append(w.text())
            rows = _state_rows(seg)
            if rows:
                parts.append("\n".join(rows) + "\n")
            if seg.covariances:
                w = KvnWriter()
                w.blank()
                w.raw("COVARIANCE_START")
                for c in seg.covariances:
                    w.comments(c.comments)
                    w.kv("EPOCH", format_epoch(c.epoch))
                    if c.ref_frame:
                        w.kv("COV_REF_FRAME", c.ref_frame)
                    for row in _cov_rows(c):
                        w.raw(row)
                w.raw("COVARIANCE_STOP")
                parts.append(w.text())
        text = "".join(parts)
    else:
        text = to_xml_text(_oem_xml(oem))
    return save_text(text, path)


def _oem_xml(oem: Oem) -> ET.Element:
    root = message_root("oem", "CCSDS_OEM_VERS", HEADER, oem.header, "3.0")
    body = ET.SubElement(root, "body")
    for seg in oem.segments:
        s = ET.SubElement(body, "segment")
        add_section(s, "metadata", METADATA, seg.metadata)
        data = ET.SubElement(s, "data")
        add_comments(data, seg.comments)
        for row in _state_rows(seg):
            sv = ET.SubElement(data, "stateVector")
            toks = row.split()
            for key, tok in zip(["EPOCH", *_STATE_KEYS], toks, strict=False):
                ET.SubElement(sv, key).text = tok
        for c in seg.covariances:
            values = {"COMMENT": c.comments, "EPOCH": c.epoch}
            if c.ref_frame:
                values["COV_REF_FRAME"] = c.ref_frame
            ri, ci = np.tril_indices(6)
            values.update(zip(CARTESIAN_COV_NAMES, np.asarray(c.cov_km)[ri, ci].tolist(),
                              strict=True))  # fmt: skip
            add_section(data, "covarianceMatrix", COVARIANCE, values)
    return root
