"""CCSDS Conjunction Data Message (CDM, CCSDS 508.0-B-1), KVN and XML.

Relative quantities are in m and m/s; object state vectors in km and km/s (frame
``REF_FRAME``); covariances in the object's RTN frame in m**2, m**2/s, m**2/s**2 (plus the
optional drag/SRP/thrust rows of the extended 9x9 matrix).  Times are ``datetime64[us]``
UTC (CDMs are always UTC).
"""

from __future__ import annotations

import dataclasses
import functools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np

from spacerange.errors import ParseError

from .kvn import Entry, KvnWriter
from .message import (
    message_format,
    read_messages,
    save_text,
    tri_names,
    tri_to_matrix,
    write_kvn_section,
    xml_header_entries,
    xml_segment_entries,
    xml_single,
)
from .schema import Field, Section, parse_sections
from .xmlio import XNode, add_section, leaves, message_root, ndm_text

__all__ = ["Cdm", "CdmObject", "read_cdm", "write_cdm", "RTN_COV_NAMES"]

HEADER = Section(
    "header",
    "CCSDS_CDM_VERS! CLASSIFICATION CREATION_DATE:epoch! ORIGINATOR! MESSAGE_FOR MESSAGE_ID!",
    mandatory=True,
)
# Keyword order of CCSDS 508.0-B-1 table 3-2 (the writer follows it).  CARA sample CDMs
# label RELATIVE_VELOCITY_R/T/N with [m]: tolerated as-is (value in m/s).
RELATIVE = Section(
    "relativeMetadataData",
    "TCA:epoch! MISS_DISTANCE:float[m]! RELATIVE_SPEED:float[m/s] "
    "RELATIVE_POSITION_R:float[m] RELATIVE_POSITION_T:float[m] RELATIVE_POSITION_N:float[m] "
    "RELATIVE_VELOCITY_R:float[m/s] RELATIVE_VELOCITY_T:float[m/s] "
    "RELATIVE_VELOCITY_N:float[m/s] "
    "START_SCREEN_PERIOD:epoch STOP_SCREEN_PERIOD:epoch SCREEN_VOLUME_FRAME "
    "SCREEN_VOLUME_SHAPE SCREEN_VOLUME_X:float[m] SCREEN_VOLUME_Y:float[m] "
    "SCREEN_VOLUME_Z:float[m] SCREEN_ENTRY_TIME:epoch SCREEN_EXIT_TIME:epoch "
    "COLLISION_PROBABILITY:float COLLISION_PROBABILITY_METHOD",
    mandatory=True,
).with_fields(
    *(Field(f"RELATIVE_VELOCITY_{a}", "float", "m/s", tolerated_units=("m",)) for a in "RTN")
)
_REL_ORDER = [
    "TCA", "MISS_DISTANCE", "RELATIVE_SPEED",
    "RELATIVE_POSITION_R", "RELATIVE_POSITION_T", "RELATIVE_POSITION_N",
    "RELATIVE_VELOCITY_R", "RELATIVE_VELOCITY_T", "RELATIVE_VELOCITY_N",
]  # fmt: skip
METADATA = Section(
    "metadata",
    "OBJECT! OBJECT_DESIGNATOR! CATALOG_NAME! OBJECT_NAME! INTERNATIONAL_DESIGNATOR! "
    "OBJECT_TYPE OPERATOR_CONTACT_POSITION OPERATOR_ORGANIZATION OPERATOR_PHONE "
    "OPERATOR_EMAIL EPHEMERIS_NAME! COVARIANCE_METHOD! MANEUVERABLE! ORBIT_CENTER "
    "REF_FRAME! GRAVITY_MODEL ATMOSPHERIC_MODEL N_BODY_PERTURBATIONS SOLAR_RAD_PRESSURE "
    "EARTH_TIDES INTRACK_THRUST",
    mandatory=True,
)
OD_PARAMETERS = Section(
    "odParameters",
    "TIME_LASTOB_START:epoch TIME_LASTOB_END:epoch RECOMMENDED_OD_SPAN:float[d] "
    "ACTUAL_OD_SPAN:float[d] OBS_AVAILABLE:float OBS_USED:float TRACKS_AVAILABLE:float "
    "TRACKS_USED:float RESIDUALS_ACCEPTED:float[%] WEIGHTED_RMS:float",
)
ADDITIONAL = Section(
    "additionalParameters",
    "AREA_PC:float[m**2] AREA_DRG:float[m**2] AREA_SRP:float[m**2] MASS:float[kg] "
    "CD_AREA_OVER_MASS:float[m**2/kg] CR_AREA_OVER_MASS:float[m**2/kg] "
    "THRUST_ACCELERATION:float[m/s**2] SEDR:float[W/kg] HBR:float[m]",
)
STATE = Section(
    "stateVector",
    "X:float[km]! Y:float[km]! Z:float[km]! X_DOT:float[km/s]! Y_DOT:float[km/s]! "
    "Z_DOT:float[km/s]!",
    mandatory=True,
)
_LABELS = ["R", "T", "N", "RDOT", "TDOT", "NDOT", "DRG", "SRP", "THR"]
#: Lower-triangle RTN covariance keywords, CR_R ... CTHR_THR (45 terms of the 9x9 matrix).
RTN_COV_NAMES = tri_names(_LABELS)


_PRODUCT_UNITS = {
    ("m", "m"): "m**2", ("m/s", "m"): "m**2/s", ("m/s", "m/s"): "m**2/s**2",
    ("m**2/kg", "m"): "m**3/kg", ("m**2/kg", "m/s"): "m**3/(kg*s)",
    ("m**2/kg", "m**2/kg"): "m**4/kg**2", ("m/s**2", "m"): "m**2/s**2",
    ("m/s**2", "m/s"): "m**2/s**3", ("m/s**2", "m**2/kg"): "m**3/(kg*s**2)",
    ("m/s**2", "m/s**2"): "m**2/s**4",
}  # fmt: skip


def _cov_unit(i: int, j: int) -> str:
    """Unit of the covariance term (row i >= column j) of the 9x9 RTN/DRG/SRP/THR matrix."""

    def group(k: int) -> str:
        return "m" if k < 3 else "m/s" if k < 6 else "m/s**2" if k == 8 else "m**2/kg"

    return _PRODUCT_UNITS[(group(i), group(j))]


COVARIANCE = Section(
    "covarianceMatrix",
    [
        Field(name, "float", _cov_unit(i, j), mandatory=k < 21)
        for k, (name, (i, j)) in enumerate(
            zip(RTN_COV_NAMES, zip(*np.tril_indices(9), strict=True), strict=True)
        )
    ],
    mandatory=True,
)
# CDM 2.0 (CCSDS 508.0-B-2) keywords: accepted and kept as raw text (units not checked).
_CDM2_KEYWORDS = (
    """
ADM_MSG_LINK ALT_COV_REF_FRAME ALT_COV_TYPE APOAPSIS_ALTITUDE APPROACH_ANGLE
AREA_ALONG_OEB_INT AREA_ALONG_OEB_MAX AREA_ALONG_OEB_MIN AREA_PC_MAX AREA_PC_MIN
COLLISION_MAX_PC_METHOD COLLISION_MAX_PROBABILITY COLLISION_PERCENTILE CONJUNCTION_ID
COVARIANCE_SOURCE COV_CONFIDENCE COV_CONFIDENCE_METHOD CSCALE_FACTOR CSCALE_FACTOR_MAX
CSCALE_FACTOR_MIN CSIG3EIGVEC3 DCP_SENSITIVITY_VECTOR_POSITION DCP_SENSITIVITY_VECTOR_VELOCITY
DENSITY_FORECAST_UNCERTAINTY INCLINATION MAHALANOBIS_DISTANCE NEXT_MESSAGE_EPOCH
OBS_BEFORE_NEXT_MESSAGE ODM_MSG_LINK OD_EPOCH OEB_INT OEB_MAX OEB_MIN OEB_PARENT_FRAME
OEB_PARENT_FRAME_EPOCH OEB_Q1 OEB_Q2 OEB_Q3 OEB_QC PERIAPSIS_ALTITUDE PREVIOUS_MESSAGE_EPOCH
PREVIOUS_MESSAGE_ID RCS RCS_MAX RCS_MIN REFLECTANCE SCREENING_DATA_SOURCE SCREEN_PC_THRESHOLD
SCREEN_TYPE SEFI_COLLISION_PROBABILITY SEFI_COLLISION_PROBABILITY_METHOD
SEFI_FRAGMENTATION_MODEL VM_ABSOLUTE VM_APPARENT VM_APPARENT_MAX VM_APPARENT_MIN
""".split()
    + tri_names(["X", "Y", "Z", "XDOT", "YDOT", "ZDOT"])
    + [
        f"C{a}_{b}"
        for a in ("DRG", "SRP", "THR")
        for b in ("X", "Y", "Z", "XDOT", "YDOT", "ZDOT", "DRG", "SRP", "THR")
    ]
)
CDM2_EXTENSIONS = Section("cdm2", [Field(k, "str", "*") for k in _CDM2_KEYWORDS])
OBJECT_SECTIONS = [METADATA, OD_PARAMETERS, ADDITIONAL, STATE, COVARIANCE, CDM2_EXTENSIONS]
# A covariance block that may be absent as a whole (read_cdm(require_covariance=False)); a
# block that is present must still be complete.
_COVARIANCE_OPTIONAL = Section(
    COVARIANCE.name,
    [dataclasses.replace(f, mandatory=False) for f in COVARIANCE.fields.values()],
    mandatory=False,
)
_MANDATORY_COV = [n for n, f in COVARIANCE.fields.items() if f.mandatory]


@dataclass
class CdmObject:
    """One object of a CDM: section dicts keyed by CCSDS keyword (CCSDS units)."""

    metadata: dict
    state_vector: dict
    covariance: dict
    od_parameters: dict = field(default_factory=dict)
    additional_parameters: dict = field(default_factory=dict)
    #: CDM 2.0 keywords (raw text, units not checked)
    cdm2: dict = field(default_factory=dict)
    user_defined: dict[str, str] = field(default_factory=dict)

    def state_km(self) -> np.ndarray:
        """State at TCA, shape (6,): x, y, z [km], vx, vy, vz [km/s] in ``REF_FRAME``."""
        return np.array([self.state_vector[k] for k in STATE.fields], dtype=float)

    def covariance_rtn_6x6(self) -> np.ndarray:
        """Position/velocity covariance in RTN, (6, 6): m**2, m**2/s, m**2/s**2."""
        return tri_to_matrix(self.covariance, RTN_COV_NAMES, 6)

    def covariance_rtn(self) -> np.ndarray:
        """Full covariance: (9, 9) when drag/SRP/thrust terms are present, else (6, 6).

        Missing extended terms are NaN.
        """
        if any(k in self.covariance for k in RTN_COV_NAMES[21:]):
            return tri_to_matrix(self.covariance, RTN_COV_NAMES, 9)
        return self.covariance_rtn_6x6()


@dataclass
class Cdm:
    """A conjunction data message: header, relative metadata/data and two objects."""

    header: dict
    relative: dict
    object1: CdmObject
    object2: CdmObject
    #: CDM 2.0 message-level keywords (raw text)
    cdm2: dict = field(default_factory=dict)
    user_defined: dict[str, str] = field(default_factory=dict)

    @property
    def tca(self) -> np.datetime64:
        """Time of closest approach, ``datetime64[us]`` UTC."""
        return self.relative["TCA"]

    @property
    def miss_distance_m(self) -> float:
        return self.relative["MISS_DISTANCE"]

    @property
    def collision_probability(self) -> float | None:
        return self.relative.get("COLLISION_PROBABILITY")


def _object(
    entries: list[Entry], expected: str, file: str, line: int, require_covariance: bool = True
) -> CdmObject:
    sections = OBJECT_SECTIONS if require_covariance else [
        _COVARIANCE_OPTIONAL if s is COVARIANCE else s for s in OBJECT_SECTIONS
    ]  # fmt: skip
    parts = parse_sections(
        entries, sections, file=file, context=expected, end_line=line, user_defined=True
    )
    meta = parts["metadata"]
    if meta["OBJECT"] != expected:
        raise ParseError(f"OBJECT = {meta['OBJECT']} where {expected} was expected", file, line)
    cov = parts.get("covarianceMatrix", {})
    if not require_covariance and cov:
        missing = [k for k in _MANDATORY_COV if k not in cov]
        if missing:
            last = max((e.line for e in entries), default=line)
            raise ParseError(
                f"{expected} covariance block incomplete: missing {', '.join(missing[:3])}"
                + (" ..." if len(missing) > 3 else ""),
                file,
                last,
            )
    return CdmObject(
        metadata=meta,
        state_vector=parts["stateVector"],
        covariance=cov if not require_covariance else parts["covarianceMatrix"],
        od_parameters=parts.get("odParameters", {}),
        additional_parameters=parts.get("additionalParameters", {}),
        cdm2=parts.get("cdm2", {}),
        user_defined=parts.get("user_defined", {}),
    )


def _build(
    head: list[Entry],
    obj1: list[Entry],
    obj2: list[Entry],
    file: str,
    line: int,
    require_covariance: bool = True,
):
    parts = parse_sections(
        head, [HEADER, RELATIVE, CDM2_EXTENSIONS], file=file, end_line=line, user_defined=True
    )
    # a missing keyword is reported at the last line of the object's block
    o1 = _object(obj1, "OBJECT1", file, obj1[-1].line if obj1 else line, require_covariance)
    o2 = _object(obj2, "OBJECT2", file, obj2[-1].line if obj2 else line, require_covariance)
    return Cdm(
        parts["header"],
        parts["relativeMetadataData"],
        o1,
        o2,
        parts.get("cdm2", {}),
        parts.get("user_defined", {}),
    )


def _read_kvn(entries: list[Entry], file: str, require_covariance: bool = True) -> Cdm:
    starts = [i for i, e in enumerate(entries) if e.key == "OBJECT"]
    for e in entries:
        if not e.key or e.delimiter:
            raise ParseError(f"unexpected {e.key or e.value!r} in a CDM", file, e.line)
    last = entries[-1].line if entries else 0
    if len(starts) != 2:
        raise ParseError(
            f"a CDM needs exactly two OBJECT blocks (OBJECT1, OBJECT2), found {len(starts)}",
            file,
            last,
        )
    # comments just before OBJECT belong to the object's metadata
    i1, i2 = starts
    while i1 > 0 and entries[i1 - 1].key == "COMMENT":
        i1 -= 1
    while i2 > starts[0] and entries[i2 - 1].key == "COMMENT":
        i2 -= 1
    return _build(entries[:i1], entries[i1:i2], entries[i2:], file, last, require_covariance)


def _read_xml(msg: XNode, file: str, require_covariance: bool = True) -> Cdm:
    head = xml_header_entries(msg, "CCSDS_CDM_VERS", file)
    body = xml_single(msg, "body", file)
    rel = xml_single(body, "relativeMetadataData", file)
    head += leaves(rel)
    segments = body.findall("segment")
    if len(segments) != 2:
        raise ParseError(f"a CDM needs two <segment>s, found {len(segments)}", file, body.line)
    objs = []
    for seg in segments:
        objs.append(xml_segment_entries(seg, file))
    return _build(head, objs[0], objs[1], file, body.line, require_covariance)


def read_cdm(source, file: str | None = None, *, require_covariance: bool = True) -> list[Cdm]:
    """Read CDM(s) from a KVN or XML file/text (an ``<ndm>`` container may hold several).

    ``require_covariance=False`` accepts objects without a covariance block (their
    ``covariance`` is empty), for callers that substitute a default covariance; a block
    that is present must still hold the 21 position/velocity terms."""
    return read_messages(
        source,
        file,
        "cdm",
        functools.partial(_read_kvn, require_covariance=require_covariance),
        functools.partial(_read_xml, require_covariance=require_covariance),
    )


def write_cdm(cdm: Cdm | list[Cdm], path=None, *, fmt: str = "KVN") -> str:
    """Write CDM(s) as KVN (one message) or XML (several go in an ``<ndm>``)."""
    items = [cdm] if isinstance(cdm, Cdm) else list(cdm)
    if message_format(fmt) == "KVN":
        if len(items) != 1:
            raise ValueError("KVN holds exactly one CDM; use fmt='XML' for several")
        c = items[0]
        w = KvnWriter(width=28)
        write_kvn_section(w, HEADER, c.header)
        write_kvn_section(w, RELATIVE, c.relative)
        for obj in (c.object1, c.object2):
            for sec, values in zip(OBJECT_SECTIONS, _object_values(obj), strict=True):
                write_kvn_section(w, sec, values)
        text = w.text()
    else:
        text = ndm_text([_cdm_xml(c) for c in items])
    return save_text(text, path)


def _object_values(o: CdmObject) -> list[dict]:
    return [
        o.metadata,
        o.od_parameters,
        o.additional_parameters,
        o.state_vector,
        o.covariance,
        o.cdm2,
    ]


_REL_STATE = Section("relativeStateVector", [RELATIVE.fields[k] for k in _REL_ORDER[3:]])
_REL_TOP = Section("relative", [f for k, f in RELATIVE.fields.items() if k not in _REL_ORDER[3:]])


def _cdm_xml(c: Cdm) -> ET.Element:
    root = message_root("cdm", "CCSDS_CDM_VERS", HEADER, c.header, "1.0")
    body = ET.SubElement(root, "body")
    rel = ET.SubElement(body, "relativeMetadataData")
    top = {k: v for k, v in c.relative.items() if k not in _REL_STATE.fields}
    head = {k: top[k] for k in ("COMMENT", "TCA", "MISS_DISTANCE", "RELATIVE_SPEED") if k in top}
    add_section(rel, None, _REL_TOP, head)
    add_section(rel, "relativeStateVector", _REL_STATE,
                {k: v for k, v in c.relative.items() if k in _REL_STATE.fields})  # fmt: skip
    add_section(rel, None, _REL_TOP,
                {k: v for k, v in top.items() if k not in head})  # fmt: skip
    for obj in (c.object1, c.object2):
        seg = ET.SubElement(body, "segment")
        add_section(seg, "metadata", METADATA, obj.metadata)
        data = ET.SubElement(seg, "data")
        for sec, values in zip(OBJECT_SECTIONS[1:], _object_values(obj)[1:], strict=True):
            if sec is OD_PARAMETERS or sec is ADDITIONAL:
                values = _xml_optional(values)
            add_section(data, sec.name, sec, values)
    return root


_COUNTS = ("OBS_AVAILABLE", "OBS_USED", "TRACKS_AVAILABLE", "TRACKS_USED")


def _xml_optional(values: dict) -> dict:
    """Optional OD / additional parameters as the NDM/XML schema types them: an unknown
    value (``NaN``, as NASA CARA's sample CDMs write it in KVN) is left out, and the
    observation and track counts are integers."""
    out = {}
    for k, v in (values or {}).items():
        if isinstance(v, float | np.floating) and not np.isfinite(v):
            continue
        if k in _COUNTS and isinstance(v, float | np.floating) and float(v).is_integer():
            v = int(v)
        out[k] = v
    return out
