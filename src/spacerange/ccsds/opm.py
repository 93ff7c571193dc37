"""CCSDS Orbit Parameter Message (OPM, CCSDS 502.0-B-2/-3): reading, KVN and XML.

State vector in km and km/s in ``REF_FRAME``; optional osculating Keplerian elements,
spacecraft parameters, Cartesian covariance (km**2...) and maneuvers (``MAN_DV_n`` in km/s).
Values given in other units of the same dimension (e.g. ``[m]``) are converted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spacerange.errors import ParseError

from .kvn import Entry
from .message import (
    check_time_system,
    load,
    reject_kvn_blocks,
    tri_to_matrix,
    xml_messages,
    xml_single_segment_entries,
)
from .omm import CARTESIAN_COV_NAMES, SPACECRAFT, covariance_section, odm_header
from .schema import Section, parse_sections

__all__ = ["Opm", "read_opm"]

HEADER = odm_header("OPM")
METADATA = Section(
    "metadata",
    "OBJECT_NAME! OBJECT_ID! CENTER_NAME! REF_FRAME! REF_FRAME_EPOCH:epoch TIME_SYSTEM!",
    mandatory=True,
)
STATE = Section(
    "stateVector",
    "EPOCH:epoch! X:float[km]! Y:float[km]! Z:float[km]! X_DOT:float[km/s]! "
    "Y_DOT:float[km/s]! Z_DOT:float[km/s]!",
    mandatory=True,
)
KEPLERIAN = Section(
    "keplerianElements",
    "SEMI_MAJOR_AXIS:float[km]! ECCENTRICITY:float! INCLINATION:float[deg]! "
    "RA_OF_ASC_NODE:float[deg]! ARG_OF_PERICENTER:float[deg]! TRUE_ANOMALY:float[deg] "
    "MEAN_ANOMALY:float[deg] GM:float[km**3/s**2]!",
)
COVARIANCE = covariance_section()
MANEUVER = Section(
    "maneuverParameters",
    "MAN_EPOCH_IGNITION:epoch! MAN_DURATION:float[s] MAN_DELTA_MASS:float[kg] "
    "MAN_REF_FRAME! MAN_DV_1:float[km/s]! MAN_DV_2:float[km/s]! MAN_DV_3:float[km/s]!",
    mandatory=True,
)
SECTIONS = [HEADER, METADATA, STATE, KEPLERIAN, SPACECRAFT, COVARIANCE]


@dataclass
class Opm:
    """One OPM: section dicts keyed by CCSDS keyword, plus a list of maneuver dicts."""

    header: dict
    metadata: dict
    state_vector: dict
    keplerian: dict = field(default_factory=dict)
    spacecraft: dict = field(default_factory=dict)
    covariance: dict = field(default_factory=dict)
    maneuvers: list[dict] = field(default_factory=list)
    user_defined: dict[str, str] = field(default_factory=dict)

    @property
    def epoch(self) -> np.datetime64:
        return self.state_vector["EPOCH"]

    def state_km(self) -> np.ndarray:
        """(6,) x, y, z [km], vx, vy, vz [km/s] in ``REF_FRAME``."""
        return np.array([self.state_vector[k] for k in list(STATE.fields)[1:]], dtype=float)

    def covariance_6x6(self) -> np.ndarray | None:
        """(6, 6) Cartesian covariance in km**2, km**2/s, km**2/s**2, or None."""
        if not any(k in self.covariance for k in CARTESIAN_COV_NAMES):
            return None
        return tri_to_matrix(self.covariance, CARTESIAN_COV_NAMES, 6)


def _build(entries: list[Entry], file: str) -> Opm:
    """Split maneuvers (each starting at MAN_EPOCH_IGNITION) from the other keywords."""
    main: list[Entry] = []
    maneuvers: list[list[Entry]] = []
    pending: list[Entry] = []
    for e in entries:
        if e.key == "COMMENT":
            pending.append(e)
            continue
        if e.key == "MAN_EPOCH_IGNITION":
            maneuvers.append([])
        target = maneuvers[-1] if maneuvers and e.key.startswith("MAN_") else main
        if e.key.startswith("MAN_") and not maneuvers:
            raise ParseError(f"{e.key} before MAN_EPOCH_IGNITION", file, e.line)
        target.extend(pending)
        pending = []
        target.append(e)
    (maneuvers[-1] if maneuvers else main).extend(pending)
    last = entries[-1].line if entries else 0
    parts = parse_sections(main, SECTIONS, file=file, user_defined=True, end_line=last)
    check_time_system(parts["metadata"]["TIME_SYSTEM"], file, last)
    mans = [
        parse_sections(m, [MANEUVER], file=file, context=f"maneuver {i + 1}", end_line=m[-1].line)[
            "maneuverParameters"
        ]  # fmt: skip
        for i, m in enumerate(maneuvers)
    ]
    return Opm(
        header=parts["header"],
        metadata=parts["metadata"],
        state_vector=parts["stateVector"],
        keplerian=parts.get("keplerianElements", {}),
        spacecraft=parts.get("spacecraftParameters", {}),
        covariance=parts.get("covarianceMatrix", {}),
        maneuvers=mans,
        user_defined=parts.get("user_defined", {}),
    )


def read_opm(source, file: str | None = None) -> list[Opm]:
    """Read OPM(s) from a KVN or XML file/text (an ``<ndm>`` container may hold several)."""
    encoding, parsed, name = load(source, file)
    if encoding == "KVN":
        reject_kvn_blocks(parsed, "OPM", name)
        return [_build(parsed, name)]
    return [
        _build(xml_single_segment_entries(msg, "CCSDS_OPM_VERS", name), name)
        for msg in xml_messages(parsed, "opm", name)
    ]
