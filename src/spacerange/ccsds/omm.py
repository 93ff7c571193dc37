"""CCSDS Orbit Mean-elements Message (OMM, CCSDS 502.0-B-2/-3), KVN and XML.

Values keep the CCSDS units declared in the tables below (angles in deg, mean motion in
rev/day, GM in km**3/s**2, covariance in km**2, km**2/s, km**2/s**2).  Epochs are
``datetime64[us]`` in the message's ``TIME_SYSTEM``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np

from spacerange.errors import ParseError

from .kvn import Entry, KvnWriter
from .message import (
    check_time_system,
    load,
    matrix_to_tri,
    message_format,
    reject_kvn_blocks,
    save_text,
    tri_names,
    tri_to_matrix,
    write_kvn_section,
    write_kvn_user_defined,
    xml_messages,
    xml_single_segment_entries,
)
from .schema import Section, parse_sections
from .xmlio import (
    add_section,
    add_user_defined,
    message_root,
    ndm_text,
)

__all__ = ["Omm", "read_omm", "write_omm", "CARTESIAN_COV_NAMES"]

#: Lower-triangle keywords of a Cartesian 6x6 covariance (CX_X ... CZ_DOT_Z_DOT).
CARTESIAN_COV_NAMES = tri_names(["X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT"])
_COV_UNITS = ["km**2"] * 6 + ["km**2/s"] * 9 + ["km**2/s**2"] * 6


def covariance_section(name: str = "covarianceMatrix", epoch: bool = False) -> Section:
    """The ODM Cartesian covariance block (COV_REF_FRAME + 21 lower-triangle terms)."""
    units = []
    for i in range(6):
        for j in range(i + 1):
            units.append("km**2" + ("/s" if (i >= 3) != (j >= 3) else "/s**2" if i >= 3 else ""))
    decls = (
        ("EPOCH:epoch! " if epoch else "")
        + "COV_REF_FRAME "
        + " ".join(f"{n}:float[{u}]!" for n, u in zip(CARTESIAN_COV_NAMES, units, strict=True))
    )
    return Section(name, decls)


def odm_header(kind: str) -> Section:
    return Section(
        "header",
        f"CCSDS_{kind}_VERS! CLASSIFICATION CREATION_DATE:epoch! ORIGINATOR! MESSAGE_ID",
        mandatory=True,
    )


SPACECRAFT = Section(
    "spacecraftParameters",
    "MASS:float[kg] SOLAR_RAD_AREA:float[m**2] SOLAR_RAD_COEFF:float "
    "DRAG_AREA:float[m**2] DRAG_COEFF:float",
)

HEADER = odm_header("OMM")
METADATA = Section(
    "metadata",
    "OBJECT_NAME! OBJECT_ID* CENTER_NAME! REF_FRAME! REF_FRAME_EPOCH:epoch TIME_SYSTEM! "
    "MEAN_ELEMENT_THEORY!",
    mandatory=True,
)
MEAN_ELEMENTS = Section(
    "meanElements",
    "EPOCH:epoch! SEMI_MAJOR_AXIS:float[km] MEAN_MOTION:float[rev/day] ECCENTRICITY:float! "
    "INCLINATION:float[deg]! RA_OF_ASC_NODE:float[deg]! ARG_OF_PERICENTER:float[deg]! "
    "MEAN_ANOMALY:float[deg]! GM:float[km**3/s**2]",
    mandatory=True,
)
TLE_PARAMETERS = Section(
    "tleParameters",
    "EPHEMERIS_TYPE:int CLASSIFICATION_TYPE NORAD_CAT_ID:int ELEMENT_SET_NO:int "
    "REV_AT_EPOCH:int BSTAR:float[1/ER] BTERM:float[m**2/kg] MEAN_MOTION_DOT:float[rev/day**2] "
    "MEAN_MOTION_DDOT:float[rev/day**3] AGOM:float[m**2/kg]",
)
COVARIANCE = covariance_section()
SECTIONS = [HEADER, METADATA, MEAN_ELEMENTS, SPACECRAFT, TLE_PARAMETERS, COVARIANCE]


@dataclass
class Omm:
    """One OMM: parsed sections as ``{KEYWORD: value}`` dicts (``"COMMENT"``: list of str).

    ``header``/``metadata``/``mean_elements`` are always present; the others are empty
    dicts when absent.  Units are the CCSDS ones (deg, rev/day, km, km**3/s**2).
    """

    header: dict
    metadata: dict
    mean_elements: dict
    tle_parameters: dict = field(default_factory=dict)
    spacecraft: dict = field(default_factory=dict)
    covariance: dict = field(default_factory=dict)
    user_defined: dict[str, str] = field(default_factory=dict)

    @property
    def object_name(self) -> str:
        return self.metadata["OBJECT_NAME"]

    @property
    def epoch(self) -> np.datetime64:
        """Element epoch (``datetime64[us]`` in ``metadata["TIME_SYSTEM"]``)."""
        return self.mean_elements["EPOCH"]

    @property
    def norad_cat_id(self) -> int | None:
        return self.tle_parameters.get("NORAD_CAT_ID")

    def covariance_6x6(self) -> np.ndarray | None:
        """Cartesian covariance (6, 6) in km**2, km**2/s, km**2/s**2 (frame COV_REF_FRAME)."""
        if not self.covariance:
            return None
        return tri_to_matrix(self.covariance, CARTESIAN_COV_NAMES, 6)

    @classmethod
    def from_sections(cls, parts: dict, file: str, line: int = 0) -> Omm:
        me = parts["meanElements"]
        if "MEAN_MOTION" not in me and "SEMI_MAJOR_AXIS" not in me:
            raise ParseError(
                "missing mandatory keyword MEAN_MOTION or SEMI_MAJOR_AXIS in meanElements",
                file,
                line,
            )
        check_time_system(parts["metadata"]["TIME_SYSTEM"], file, line)
        return cls(
            header=parts["header"],
            metadata=parts["metadata"],
            mean_elements=me,
            tle_parameters=parts.get("tleParameters", {}),
            spacecraft=parts.get("spacecraftParameters", {}),
            covariance=parts.get("covarianceMatrix", {}),
            user_defined=parts.get("user_defined", {}),
        )


def _omm_from_entries(entries: list[Entry], file: str) -> Omm:
    parts = parse_sections(entries, SECTIONS, file=file, user_defined=True)
    line = entries[-1].line if entries else 0
    return Omm.from_sections(parts, file, line)


def read_omm(source, file: str | None = None) -> list[Omm]:
    """Read OMMs from a KVN or XML file/text (an ``<ndm>`` container may hold several).

    Raises :class:`~spacerange.errors.ParseError` naming the keyword and line at fault.
    """
    encoding, parsed, name = load(source, file)
    if encoding == "KVN":
        reject_kvn_blocks(parsed, "OMM", name)
        return [_omm_from_entries(parsed, name)]
    return [
        _omm_from_entries(xml_single_segment_entries(msg, "CCSDS_OMM_VERS", name), name)
        for msg in xml_messages(parsed, "omm", name)
    ]


def write_omm(omms: Omm | list[Omm], path=None, *, fmt: str = "KVN") -> str:
    """Write OMM(s) as KVN (one message only) or XML (several go in an ``<ndm>``).

    Returns the text; also writes it to ``path`` when given.
    """
    items = [omms] if isinstance(omms, Omm) else list(omms)
    if message_format(fmt) == "KVN":
        if len(items) != 1:
            raise ValueError("KVN holds exactly one OMM; use fmt='XML' for several")
        o = items[0]
        w = KvnWriter()
        for sec, values in zip(SECTIONS, _values(o), strict=True):
            if values:
                write_kvn_section(w, sec, values)
                w.blank()
        write_kvn_user_defined(w, o.user_defined)
        text = w.text()
    else:
        text = ndm_text([_omm_xml(o) for o in items])
    return save_text(text, path)


def _values(o: Omm) -> list[dict]:
    return [o.header, o.metadata, o.mean_elements, o.spacecraft, o.tle_parameters, o.covariance]


def _omm_xml(o: Omm) -> ET.Element:
    root = message_root("omm", "CCSDS_OMM_VERS", HEADER, o.header, "3.0")
    segment = ET.SubElement(ET.SubElement(root, "body"), "segment")
    add_section(segment, "metadata", METADATA, o.metadata)
    data = ET.SubElement(segment, "data")
    add_section(data, "meanElements", MEAN_ELEMENTS, o.mean_elements)
    add_section(data, "spacecraftParameters", SPACECRAFT, o.spacecraft)
    add_section(data, "tleParameters", TLE_PARAMETERS, o.tle_parameters)
    add_section(data, "covarianceMatrix", COVARIANCE, o.covariance)
    add_user_defined(data, o.user_defined)
    return root


def omm_covariance_from_matrix(cov_km: np.ndarray, ref_frame: str | None = None) -> dict:
    """Covariance section dict from a (6, 6) matrix in km**2, km**2/s, km**2/s**2."""
    out: dict = {"COMMENT": []}
    if ref_frame:
        out["COV_REF_FRAME"] = ref_frame
    out.update(matrix_to_tri(np.asarray(cov_km, float), CARTESIAN_COV_NAMES))
    return out
