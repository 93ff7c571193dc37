"""Core catalog records: space objects and the element sets that describe their orbits.

These are plain dataclasses (the core works in plain types and numpy arrays); pydantic
models appear only at the boundaries (HTTP, scenario files).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM


class ObjectType(str, enum.Enum):
    """Object type, as in Space-Track/CelesTrak SATCAT ``OBJECT_TYPE``."""

    PAYLOAD = "PAYLOAD"
    ROCKET_BODY = "ROCKET BODY"
    DEBRIS = "DEBRIS"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, text: str | None) -> ObjectType:
        """Map the spellings used by SATCAT, GCAT and OMM files onto an ObjectType."""
        if not text:
            return cls.UNKNOWN
        t = text.strip().upper().replace("_", " ")
        aliases = {
            "PAY": cls.PAYLOAD,
            "P": cls.PAYLOAD,
            "PAYLOAD": cls.PAYLOAD,
            "R/B": cls.ROCKET_BODY,
            "RB": cls.ROCKET_BODY,
            "R": cls.ROCKET_BODY,
            "ROCKET BODY": cls.ROCKET_BODY,
            "DEB": cls.DEBRIS,
            "D": cls.DEBRIS,
            "DEBRIS": cls.DEBRIS,
            "UNK": cls.UNKNOWN,
            "TBA": cls.UNKNOWN,
            "UNKNOWN": cls.UNKNOWN,
        }
        return aliases.get(t, cls.UNKNOWN)


@dataclass(frozen=True, slots=True)
class ElementSet:
    """One SGP4 mean-element set (a TLE or an OMM with ``MEAN_ELEMENT_THEORY = SGP4``).

    Angles are in degrees, mean motion in revolutions per day, ``bstar`` in 1/earth-radii,
    ``epoch`` is a timezone-aware UTC datetime.  ``line1``/``line2`` hold the TLE text
    (regenerated from the elements when the source was an OMM), which is what SGP4 is
    initialised from.
    """

    norad_id: int
    epoch: datetime
    inclination_deg: float
    raan_deg: float
    eccentricity: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    mean_motion_rev_day: float
    bstar: float
    line1: str
    line2: str
    name: str = ""
    cospar_id: str = ""
    classification: str = "U"
    element_set_no: int = 999
    rev_at_epoch: int = 0
    mean_motion_dot: float = 0.0
    mean_motion_ddot: float = 0.0
    source: str = ""

    @property
    def semi_major_axis_km(self) -> float:
        """Semi-major axis from the mean motion (WGS-72 mu, as SGP4 uses), in km."""
        import math

        mu_km3_s2 = MU_WGS72_KM3_S2
        n_rad_s = self.mean_motion_rev_day * 2.0 * math.pi / 86400.0
        return (mu_km3_s2 / n_rad_s**2) ** (1.0 / 3.0)

    @property
    def perigee_alt_km(self) -> float:
        """Perigee altitude above a 6378.135 km sphere (WGS-72), in km."""
        return self.semi_major_axis_km * (1.0 - self.eccentricity) - RE_WGS72_KM

    @property
    def apogee_alt_km(self) -> float:
        """Apogee altitude above a 6378.135 km sphere (WGS-72), in km."""
        return self.semi_major_axis_km * (1.0 + self.eccentricity) - RE_WGS72_KM

    def with_source(self, source: str) -> ElementSet:
        return replace(self, source=source)


@dataclass(slots=True)
class SpaceObject:
    """A catalogued object.  ``norad_id`` is the integer catalog number (Alpha-5 ids such as
    ``A0001`` are decoded to 100001); ``hbr_m`` is the hard-body radius in metres."""

    norad_id: int
    name: str = ""
    cospar_id: str = ""
    object_type: ObjectType = ObjectType.UNKNOWN
    owner: str = ""
    launch_date: date | None = None
    hbr_m: float | None = None
    mass_kg: float | None = None
    element_sets: list[ElementSet] = field(default_factory=list)

    @property
    def latest(self) -> ElementSet | None:
        """The element set with the latest epoch, or None."""
        return max(self.element_sets, key=lambda e: e.epoch) if self.element_sets else None


def regime_of(
    perigee_alt_km: float,
    apogee_alt_km: float,
    period_min: float | None = None,
    inclination_deg: float | None = None,
) -> str:
    """Orbit regime label, one of LEO, MEO, GEO, IGSO, GTO, HEO (classes after ESA's space
    environment report; see :mod:`spacerange.catalog.regime`)."""
    from spacerange.catalog.regime import regimes

    return str(regimes(perigee_alt_km, apogee_alt_km, inclination_deg=inclination_deg))
