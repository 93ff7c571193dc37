"""Non-kinetic threat effects of the event list (issue 15): RF interference on satellite
links, laser dazzling of an optical payload, and cyber effects on a team's ground segment,
plus the ground stations an actor commands its assets through.

These are *effects* models for a defensive training audience: what the defender observes
and what it costs (commands lost or late, telemetry gaps, saturated frames, dropped or
spoofed sensor data), never a description of how a weapon works.  The physics each one
keeps, and what it leaves out, is in ``docs/scenario-format.md`` and ``docs/exercise.md``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from spacerange.exercise.scenario.common import Id, PositiveDuration, ScenarioModel

__all__ = [
    "GroundStation",
    "GroundSite",
    "RfInterference",
    "LaserDazzle",
    "CyberGround",
    "EFFECT_ACTIONS",
]


class GroundSite(ScenarioModel):
    """A ground location (WGS-84 geodetic)."""

    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=360)
    alt_m: float = Field(default=0.0, ge=-500, le=9000)


class GroundStation(GroundSite):
    """A command and telemetry station of an actor: its assets are commanded through the
    first station that serves them (``assets``; empty: every asset of the actor) unless a
    team switches them (``countermeasure: switch_link``).  ``min_elevation_deg``: the
    station's elevation mask for a contact."""

    id: Id
    min_elevation_deg: float = Field(default=5.0, ge=0, le=60)
    assets: list[Id] = Field(default_factory=list)


class RfInterference(ScenarioModel):
    """A jammer degrades the ``link`` of ``target`` (an asset) for ``duration``.

    The jammer is a ground ``site`` or a satellite (``asset``); the effect is decided by a
    jamming-to-signal ratio from geometry (free-space loss ratio and the receiving
    antenna's off-axis gain, see ``docs/exercise.md``): ``js_offset_db`` is the jammer's
    EIRP minus the legitimate transmitter's EIRP [dB]; the link is lost when the carrier to
    noise-plus-interference ratio drops below the demodulator's need (``cn_db`` nominal,
    ``required_cn_db``).  ``follows_frequency``: a frequency change only helps for
    ``retune_after`` (the jammer finds the new carrier); omitted, it does not follow."""

    kind: Literal["rf_interference"] = "rf_interference"
    target: Id
    site: GroundSite | None = None
    asset: Id | None = None
    link: Literal["uplink", "downlink", "both"] = "uplink"
    duration: PositiveDuration
    js_offset_db: float = Field(default=0.0, ge=-60, le=60)
    cn_db: float = Field(default=15.0, ge=0, le=40)
    required_cn_db: float = Field(default=5.0, ge=-5, le=30)
    beamwidth_deg: float = Field(default=3.0, gt=0, le=90, description="receive 3 dB beam")
    follows_frequency: bool = False
    retune_after: PositiveDuration = Field(default=timedelta(hours=2))

    @model_validator(mode="after")
    def _one_jammer(self) -> RfInterference:
        if (self.site is None) == (self.asset is None):
            raise ValueError("give the jammer as site (ground) or asset (a satellite), not both")
        return self


class LaserDazzle(ScenarioModel):
    """A ground ``site`` dazzles the optical payload of ``target`` (an asset) for
    ``duration``: every frame the payload takes of the site's area while the target is in
    the site's line of sight (above ``min_elevation_deg``) and the area is lit (Sun above
    the horizon at the site) saturates; ``frame_interval`` is the payload's frame cadence
    over an area of interest."""

    kind: Literal["laser_dazzle"] = "laser_dazzle"
    target: Id
    site: GroundSite
    duration: PositiveDuration
    min_elevation_deg: float = Field(default=20.0, ge=0, le=89)
    frame_interval: PositiveDuration = Field(default=timedelta(seconds=60))


class CyberGround(ScenarioModel):
    """An intrusion into a team's ground segment for ``duration``: the data feed of
    ``sensors`` is ``delay``-ed, ``drop``-ped or ``spoof``-ed (``n_spoofed`` false tracks,
    one every ``spoof_interval``, placed near ``spoof_near``, an asset the feed's team
    protects), and the command link of ``deny_commands`` assets is denied."""

    kind: Literal["cyber_ground"] = "cyber_ground"
    sensors: list[str] = Field(default_factory=list)
    effect: Literal["delay", "drop", "spoof"] = "drop"
    delay: PositiveDuration = Field(default=timedelta(hours=2))
    n_spoofed: int = Field(default=6, ge=1, le=50)
    spoof_interval: PositiveDuration = Field(default=timedelta(minutes=30))
    spoof_near: Id | None = None
    spoof_range_km: float = Field(default=20.0, gt=0, le=500)
    deny_commands: list[Id] = Field(default_factory=list)
    duration: PositiveDuration

    @model_validator(mode="after")
    def _something(self) -> CyberGround:
        if not self.sensors and not self.deny_commands:
            raise ValueError("give sensors (a data feed) and/or deny_commands (assets)")
        if self.effect == "spoof" and (not self.sensors or self.spoof_near is None):
            raise ValueError("a spoofed feed needs sensors and spoof_near (an asset)")
        return self


EFFECT_ACTIONS = {
    "rf_interference": RfInterference,
    "laser_dazzle": LaserDazzle,
    "cyber_ground": CyberGround,
}
