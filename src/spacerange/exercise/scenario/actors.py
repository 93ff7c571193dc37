"""Actors (nations, organizations) and their space capabilities: assets with their
manoeuvre budgets, scripted red-cell capabilities (rendezvous, sub-satellite release,
scripted break-up), and sensors.

Red-cell capabilities are *scripted abilities* the engine may enact (an approach, a
release, a break-up modelled with the NASA Standard Breakup Model); nothing here models a
weapon.  The engine computes manoeuvres physically consistent with each asset's declared
``delta_v_mps``; the validator checks that every scripted manoeuvre fits the budget.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from spacerange.exercise.scenario.common import Id, ScenarioModel
from spacerange.exercise.scenario.effects import GroundStation
from spacerange.exercise.scenario.world import ObjectType, Orbit

__all__ = [
    "Propulsion",
    "Deployable",
    "Asset",
    "SensorRef",
    "SensorSite",
    "Sensor",
    "Actor",
    "AssetDefaults",
    "CatalogOwner",
    "ActorsFromCatalog",
    "split_sensor_ref",
]


class Propulsion(ScenarioModel):
    """Propulsion of a manoeuvrable asset (bounds the engine's burn planning)."""

    kind: Literal["chemical", "electric", "cold_gas"] = "chemical"
    thrust_n: float = Field(gt=0, description="thrust [N]")
    isp_s: float = Field(gt=0, description="specific impulse [s]")


class Deployable(ScenarioModel):
    """A sub-satellite carried by an asset and released by a ``leo_inspector`` inject; its
    ``id`` becomes a world object at release."""

    id: Id
    hbr_m: float = Field(default=0.3, gt=0, description="hard-body radius [m]")
    mass_kg: float = Field(default=20.0, gt=0)


class Asset(ScenarioModel):
    """A space object operated by an actor.  Place it with ``orbit`` or take an object of
    the background catalog with ``norad_id``.

    ``maneuverable`` assets need a positive ``delta_v_mps`` budget [m/s] for the whole
    exercise.  ``rendezvous_capable`` allows ``geo_rendezvous``/``leo_inspector`` injects
    to use it as the approaching asset; ``debris_generating`` allows a scripted
    ``debris_event`` with it as parent (a red-cell capability the script enacts, e.g.
    a deliberate fragmentation; accidental break-ups of other objects need no flag).
    """

    id: Id
    name: str | None = None
    object_type: ObjectType = "PAYLOAD"
    mission: str | None = Field(default=None, description="e.g. 'GEO telecom', 'SAR imaging'")
    orbit: Orbit | None = None
    norad_id: int | None = Field(default=None, ge=1, le=339999)
    hbr_m: float | None = Field(default=None, gt=0, description="hard-body radius [m]")
    mass_kg: float | None = Field(default=None, gt=0)
    maneuverable: bool = False
    delta_v_mps: float | None = Field(default=None, gt=0, description="budget [m/s]")
    propulsion: Propulsion | None = None
    rendezvous_capable: bool = False
    debris_generating: bool = False
    deployables: list[Deployable] = Field(default_factory=list)
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Asset:
        if (self.orbit is None) == (self.norad_id is None):
            raise ValueError("give exactly one of orbit or norad_id")
        if self.maneuverable and self.delta_v_mps is None:
            raise ValueError("a maneuverable asset needs a delta_v_mps budget > 0")
        if not self.maneuverable and self.delta_v_mps is not None:
            raise ValueError("delta_v_mps given but maneuverable is false")
        if self.rendezvous_capable and not self.maneuverable:
            raise ValueError("a rendezvous_capable asset must be maneuverable")
        return self


def split_sensor_ref(ref: str) -> tuple[str, str]:
    """``'default:GRAVES'`` -> ``('default', 'GRAVES')``."""
    network, _, site = ref.partition(":")
    return network, site


class SensorRef(ScenarioModel):
    """A site of a bundled sensor network, ``NETWORK:SITE_ID``; ``default`` is
    ``spacerange/data/sensors/public_sites.json`` (site ids are matched case-insensitively).
    ``id`` names it in the scenario (default: the site id)."""

    ref: str = Field(pattern=r"^[A-Za-z0-9_\-]+:[A-Za-z0-9_.\-]+$")
    id: Id | None = None
    tasking_priority: int = Field(default=1, ge=1, le=5)

    @property
    def sensor_id(self) -> str:
        return self.id or split_sensor_ref(self.ref)[1]


class SensorSite(ScenarioModel):
    """A scenario-defined ground site, with the same fields as an entry of the bundled
    network (``radar``, ``optical``, ``noise`` and ``tasking`` blocks are passed to
    :func:`spacerange.sensors.sites.sensor_from_dict` as they are)."""

    id: Id
    name: str | None = None
    kind: Literal["survey_radar", "tracking_radar", "optical"]
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=360)
    alt_m: float = Field(default=0.0, ge=-500, le=9000)
    min_elevation_deg: float = Field(default=10.0, ge=0, le=90)
    max_range_km: float | None = Field(default=None, gt=0)
    radar: dict[str, Any] | None = None
    optical: dict[str, Any] | None = None
    noise: dict[str, Any] | None = None
    tasking: dict[str, Any] | None = None

    @property
    def sensor_id(self) -> str:
        return self.id


def _sensor_tag(value: Any) -> str:
    if isinstance(value, dict):
        return "sensor:ref" if "ref" in value else "sensor:site"
    return "sensor:ref" if isinstance(value, SensorRef) else "sensor:site"


#: A sensor: a reference into a bundled network, or a scenario-defined site.
Sensor = Annotated[
    Annotated[SensorRef, Tag("sensor:ref")] | Annotated[SensorSite, Tag("sensor:site")],
    Discriminator(_sensor_tag),
]


class Actor(ScenarioModel):
    """A nation or organization of the scenario world with its space capabilities.
    ``catalog_owners`` maps owner codes of the catalog metadata (e.g. ``F``) to this actor:
    their objects count as its assets (with :class:`ActorsFromCatalog` defaults)."""

    id: Id
    name: str | None = None
    kind: Literal["nation", "organization", "commercial", "international"] = "nation"
    description: str | None = None
    assets: list[Asset] = Field(default_factory=list)
    sensors: list[Sensor] = Field(default_factory=list)
    catalog_owners: list[str] = Field(default_factory=list)
    ground_stations: list[GroundStation] = Field(default_factory=list)


class AssetDefaults(ScenarioModel):
    """Capabilities given to generated assets of one object class; ``delta_v_mps_by_regime``
    (keys LEO, MEO, GEO, HEO) overrides ``delta_v_mps`` per orbit regime."""

    maneuverable: bool = False
    delta_v_mps: float | None = Field(default=None, gt=0)
    delta_v_mps_by_regime: dict[
        Literal["LEO", "MEO", "GEO", "HEO"], Annotated[float, Field(gt=0)]
    ] = Field(default_factory=dict)
    hbr_m: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _budget(self) -> AssetDefaults:
        if self.maneuverable and self.delta_v_mps is None and not self.delta_v_mps_by_regime:
            raise ValueError("maneuverable defaults need delta_v_mps or delta_v_mps_by_regime")
        return self


class CatalogOwner(ScenarioModel):
    """One catalog owner code turned into an actor (``actor`` defaults to the code)."""

    code: str = Field(min_length=1, max_length=16)
    actor: Id | None = None
    name: str | None = None

    @property
    def actor_id(self) -> str:
        return self.actor or self.code


class ActorsFromCatalog(ScenarioModel):
    """Generate actors from the owner metadata of the world's catalog: one actor per owner
    code, every object with that owner an asset, capabilities from ``per_class_defaults``
    (keys ``payload``, ``rocket_body``, ``debris``, ``unknown``)."""

    owners: list[str | CatalogOwner] = Field(min_length=1)
    per_class_defaults: dict[
        Literal["payload", "rocket_body", "debris", "unknown"], AssetDefaults
    ] = Field(default_factory=dict)

    @field_validator("owners")
    @classmethod
    def _normalize(cls, owners: list[str | CatalogOwner]) -> list[str | CatalogOwner]:
        return [CatalogOwner(code=o) if isinstance(o, str) else o for o in owners]

    def owner_list(self) -> list[CatalogOwner]:
        return [CatalogOwner(code=o) if isinstance(o, str) else o for o in self.owners]
