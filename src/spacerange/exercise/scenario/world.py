"""The simulated world: the background catalog, orbits, and scenario-specific objects.

An orbit is written with exactly one of five keys::

    orbit: {tle: ["1 ...", "2 ..."]}                      # two-line element set (SGP4)
    orbit: {omm: {epoch: ..., mean_motion_rev_per_day: ..., ...}}   # OMM-like mean elements
    orbit: {keplerian: {epoch: ..., a_km: ..., ecc: ..., ...}}       # osculating elements
    orbit: {state: {epoch: ..., frame: GCRF, r_km: [...], v_km_s: [...]}}
    orbit: {geo_longitude_deg: 12.0}                      # a GEO slot (sub-satellite point)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from spacerange.constants import RE_WGS84_KM
from spacerange.exercise.scenario.common import Id, ScenarioModel, UtcTime

__all__ = [
    "TleOrbit",
    "OmmElements",
    "OmmOrbit",
    "KeplerianElements",
    "KeplerianOrbit",
    "StateVector",
    "StateOrbit",
    "GeoOrbit",
    "Orbit",
    "ORBIT_KEYS",
    "SyntheticCatalog",
    "CatalogSpec",
    "ObjectType",
    "WorldObject",
    "SpaceWeatherBaseline",
    "World",
]


class TleOrbit(ScenarioModel):
    """A two-line element set (SGP4 mean elements, TEME); an optional leading name line
    (``0 NAME`` or a bare name) is allowed.  Checksums and columns are verified."""

    tle: list[str] = Field(min_length=2, max_length=3)

    @field_validator("tle")
    @classmethod
    def _check_tle(cls, lines: list[str]) -> list[str]:
        from spacerange.catalog.tle import parse_tle_lines
        from spacerange.errors import ParseError

        l1, l2 = lines[-2], lines[-1]
        try:
            parse_tle_lines(l1, l2)
        except ParseError as exc:
            raise ValueError(f"bad TLE (line {exc.line} of the set): {exc.reason}") from None
        return lines


class OmmElements(ScenarioModel):
    """OMM-like SGP4 mean elements (CCSDS 502.0 field meanings, TEME, units in names)."""

    epoch: UtcTime
    mean_motion_rev_per_day: float = Field(gt=0, le=20)
    eccentricity: float = Field(ge=0, lt=1)
    inclination_deg: float = Field(ge=0, le=180)
    ra_of_asc_node_deg: float = Field(ge=0, lt=360)
    arg_of_pericenter_deg: float = Field(ge=0, lt=360)
    mean_anomaly_deg: float = Field(ge=0, lt=360)
    bstar_per_earth_radii: float = 0.0
    norad_cat_id: int | None = Field(default=None, ge=1, le=339999)


class OmmOrbit(ScenarioModel):
    omm: OmmElements


class KeplerianElements(ScenarioModel):
    """Osculating Keplerian elements in an inertial frame; give ``true_anomaly_deg`` or
    ``mean_anomaly_deg`` (exactly one)."""

    epoch: UtcTime
    frame: Literal["GCRF", "EME2000", "TEME"] = "GCRF"
    a_km: float = Field(gt=RE_WGS84_KM, description="semi-major axis [km]")
    ecc: float = Field(ge=0, lt=1)
    inc_deg: float = Field(ge=0, le=180)
    raan_deg: float = Field(ge=0, lt=360)
    argp_deg: float = Field(ge=0, lt=360)
    true_anomaly_deg: float | None = Field(default=None, ge=0, lt=360)
    mean_anomaly_deg: float | None = Field(default=None, ge=0, lt=360)

    @model_validator(mode="after")
    def _one_anomaly(self) -> KeplerianElements:
        if (self.true_anomaly_deg is None) == (self.mean_anomaly_deg is None):
            raise ValueError("give exactly one of true_anomaly_deg or mean_anomaly_deg")
        if self.a_km * (1 - self.ecc) < RE_WGS84_KM:
            raise ValueError(
                f"perigee radius {self.a_km * (1 - self.ecc):.1f} km is inside the Earth"
            )
        return self


class KeplerianOrbit(ScenarioModel):
    keplerian: KeplerianElements


class StateVector(ScenarioModel):
    """A Cartesian state: position [km] and velocity [km/s] in ``frame`` at ``epoch``."""

    epoch: UtcTime
    frame: Literal["GCRF", "EME2000", "TEME", "ITRF"] = "GCRF"
    r_km: list[float] = Field(min_length=3, max_length=3)
    v_km_s: list[float] = Field(min_length=3, max_length=3)

    @field_validator("r_km")
    @classmethod
    def _above_ground(cls, r: list[float]) -> list[float]:
        if sum(x * x for x in r) ** 0.5 < RE_WGS84_KM:
            raise ValueError("position is inside the Earth (|r| < 6378.137 km)")
        return r


class StateOrbit(ScenarioModel):
    state: StateVector


class GeoOrbit(ScenarioModel):
    """A geostationary slot: sub-satellite longitude [deg east] at ``epoch`` (STARTEX when
    omitted), with an optional drift rate [deg/day, east positive] and inclination [deg]."""

    geo_longitude_deg: float = Field(ge=-180, lt=360)
    drift_deg_per_day: float = Field(default=0.0, ge=-20, le=20)
    inclination_deg: float = Field(default=0.0, ge=0, le=20)
    epoch: UtcTime | None = None


#: The orbit kinds, by the key that selects each.
ORBIT_KEYS = ("tle", "omm", "keplerian", "state", "geo_longitude_deg")


def _orbit_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ORBIT_KEYS:
            if key in value:
                return f"orbit:{key}"
        return None
    for key, cls in zip(
        ORBIT_KEYS, (TleOrbit, OmmOrbit, KeplerianOrbit, StateOrbit, GeoOrbit), strict=True
    ):
        if isinstance(value, cls):
            return f"orbit:{key}"
    return None


#: One orbit, selected by its key (see the module docstring).
Orbit = Annotated[
    Annotated[TleOrbit, Tag("orbit:tle")]
    | Annotated[OmmOrbit, Tag("orbit:omm")]
    | Annotated[KeplerianOrbit, Tag("orbit:keplerian")]
    | Annotated[StateOrbit, Tag("orbit:state")]
    | Annotated[GeoOrbit, Tag("orbit:geo_longitude_deg")],
    Discriminator(
        _orbit_tag,
        custom_error_type="orbit_kind",
        custom_error_message="an orbit needs one of the keys tle, omm, keplerian, state, "
        "geo_longitude_deg",
    ),
]


class SyntheticCatalog(ScenarioModel):
    """The embedded synthetic world (:func:`spacerange.catalog.synth.synthesize`): ``n``
    objects drawn from the population fitted to the public catalog, reproducible by seed."""

    n: int = Field(ge=0, le=200_000)
    seed: int = Field(default=1, ge=0)
    epoch: UtcTime | None = Field(
        default=None, description="centre of element-set epochs (default: the fit's epoch)"
    )


class CatalogSpec(ScenarioModel):
    """The background population: the synthetic world, a catalog file, or both (the file's
    objects are added to the synthetic ones).  Relative paths are relative to the scenario
    file.  ``metadata`` files (GCAT TSV, SATCAT CSV, CARA HBR CSV) give owners and sizes."""

    synthetic: SyntheticCatalog | None = None
    file: str | None = Field(default=None, min_length=1)
    metadata: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> CatalogSpec:
        if self.synthetic is None and self.file is None:
            raise ValueError("give synthetic: {n, seed}, file: PATH, or both")
        return self


ObjectType = Literal["PAYLOAD", "ROCKET BODY", "DEBRIS", "UNKNOWN"]


class WorldObject(ScenarioModel):
    """A scenario-specific object not operated by any actor (a spent stage, a dead satellite,
    a debris piece set up for a conjunction...).  Either ``orbit`` or ``norad_id`` (an object
    of the background catalog, renamed ``id`` in the scenario) is required."""

    id: Id
    name: str | None = None
    object_type: ObjectType = "UNKNOWN"
    orbit: Orbit | None = None
    norad_id: int | None = Field(default=None, ge=1, le=339999)
    owner: str | None = Field(default=None, description="actor id or catalog owner code")
    hbr_m: float | None = Field(default=None, gt=0, description="hard-body radius [m]")
    mass_kg: float | None = Field(default=None, gt=0)
    notes: str | None = None

    @model_validator(mode="after")
    def _placed(self) -> WorldObject:
        if (self.orbit is None) == (self.norad_id is None):
            raise ValueError("give exactly one of orbit or norad_id")
        return self


class SpaceWeatherBaseline(ScenarioModel):
    """Quiet-time indices used by drag models before any ``space_weather`` inject."""

    f107_sfu: float = Field(default=150.0, ge=50, le=400, description="F10.7 [sfu]")
    ap: float = Field(default=15.0, ge=0, le=400, description="daily Ap index")


class World(ScenarioModel):
    """Truth world: background catalog, scenario-specific objects, space weather."""

    catalog: CatalogSpec
    objects: list[WorldObject] = Field(default_factory=list)
    space_weather: SpaceWeatherBaseline = Field(default_factory=SpaceWeatherBaseline)
