"""A team's picture as data: its tracks (SGP4 element sets kept as TLE text, with their
RTN sigma) and the per-team state (sensors, alerts, CDMs, designators, screening)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sgp4.api import Satrec

from spacerange.exercise.picture.conjunctions import TeamConjunctions, tle_satrec
from spacerange.exercise.picture.sensing import TeamSensor

__all__ = ["Track", "TeamPicture"]


@dataclass
class Track:
    """One team's estimate of one object: an SGP4 arc fitted at ``epoch_utc``."""

    satrec: Satrec
    epoch_utc: np.datetime64
    sigma0_km: float
    growth_km_day: float
    last_obs_utc: np.datetime64
    first_seen_utc: np.datetime64
    n_obs: int = 1
    source: str = "obs"
    name: str = ""
    owner: str = ""
    #: the element set as TLE text (the team's catalog entry; ``satrec`` is read from it)
    tle: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.tle is None:
            self.satrec, self.tle, _ = tle_satrec(self.satrec)

    def sigma_rtn_km(self, t: np.datetime64) -> tuple[float, float, float]:
        d = abs(float((t - self.epoch_utc) / np.timedelta64(1, "s"))) / 86400.0
        g = self.growth_km_day * d
        s_t = math.hypot(self.sigma0_km, g)
        s_r = math.hypot(self.sigma0_km, g / 3)
        return (s_r, s_t, s_r)


@dataclass
class TeamPicture:
    team: str
    role: str
    actors: set[str]
    sensors: list[TeamSensor]
    tracks: dict[str, Track] = field(default_factory=dict)
    alerts: list[dict] = field(default_factory=list)
    cdms: list[dict] = field(default_factory=list)
    shared_in: list[dict] = field(default_factory=list)
    conj: TeamConjunctions = field(default_factory=TeamConjunctions)
    #: tracks (re)estimated since the team's last screening
    changed: set = field(default_factory=set)
    alerted: set = field(default_factory=set)
    detected_serials: set = field(default_factory=set)
    updated_since_share: set = field(default_factory=set)
    new_cdms: list[dict] = field(default_factory=list)
    pending_uct: list[str] = field(default_factory=list)
    last_uct: np.datetime64 | None = None
    #: the team's correlation: truth id -> its designator, and back.  Objects of the
    #: public catalog (present at STARTEX) keep their catalog id; an object first seen
    #: later is an uncorrelated track under the team's own designator, never its truth id
    desig: dict[str, str] = field(default_factory=dict)
    truth_of: dict[str, str] = field(default_factory=dict)
    n_uct: int = 0
    #: objects whose last observations fell outside the correlation gate (custody lost
    #: until the team tasks a sensor on them: issue 15)
    uncorrelated: set = field(default_factory=set)


#: an untasked observation this far [km] from the team's prediction does not correlate
#: with the track (the object manoeuvred out of its gate): custody stays lost until the
#: team tasks a sensor on it (the operator searches and re-correlates; issue 15)
CORRELATION_GATE_KM = 150.0


def uncorrelated(tp: TeamPicture, oid: str, residual_km: float, sigma_along_km: float,
                 tasking: dict, track: Track) -> bool | None:  # fmt: skip
    """``None`` when an observation of ``oid`` ``residual_km`` from ``tp``'s prediction
    correlates (inside the gate, a sensor of the team is tasked on it, or the object is
    above LEO: the gate applies to LEO tracks only, growth >= 1 km/day); else it stays
    uncorrelated: True the first time (say so), False after."""
    tasked = any(oid in objs for objs in tasking.get(tp.team, {}).values())
    leo = track.growth_km_day >= 1.0
    if residual_km <= max(CORRELATION_GATE_KM, 6.0 * sigma_along_km) or tasked or not leo:
        tp.uncorrelated.discard(oid)
        return None
    first = oid not in tp.uncorrelated
    tp.uncorrelated.add(oid)
    return first
