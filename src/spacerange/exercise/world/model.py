"""The truth world's records and helpers: objects and their SGP4 arcs, world events,
scripted conjunctions, the threat-handler registry, time and frame helpers (the model
is described in :mod:`spacerange.exercise.world`)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray

from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM
from spacerange.frames import (
    EARTH_ROTATION_RAD_S,
    gcrs_to_teme,
    itrs_to_gcrs,
    itrs_to_geodetic,
    teme_to_itrs,
)
from spacerange.propagation.mean_elements import fit_sgp4_mean_elements
from spacerange.timescales import iso_utc, jd_fr_utc, parse_utc, timedelta_us

log = logging.getLogger("spacerange.exercise.world")
MU_KM3_S2 = MU_WGS72_KM3_S2  # as SGP4
RE_KM = RE_WGS72_KM
EARTH_ROT_RAD_S = EARTH_ROTATION_RAD_S
_TWO_PI = 2.0 * math.pi

#: Hard-body radius [m] by object type when the scenario gives none.
DEFAULT_HBR_M = {"PAYLOAD": 2.0, "ROCKET BODY": 3.0, "DEBRIS": 0.5, "UNKNOWN": 1.0}
#: Mass [kg] by object type when the scenario gives none.
DEFAULT_MASS_KG = {"PAYLOAD": 500.0, "ROCKET BODY": 1500.0, "DEBRIS": 5.0, "UNKNOWN": 100.0}
FIRST_CREATED_NORAD = 300_000  # Alpha-5 "U0000": objects created during play
REENTRY_ALT_KM = 100.0
#: a decaying object's SGP4 arc is re-fitted (same B*) this often, in the truth
#: (:meth:`ObjectThreats._schedule_reentry`) and in the teams' decay predictions
#: (:func:`reepoched_decay_utc`) [s]: one arc held over a day of decay keeps the drag of
#: its epoch's perigee and comes down many hours later than the same B* re-fitted as
#: the perigee drops (23 h late from 20 h ahead for a 170 km perigee stage); every
#: REENTRY_REEPOCH_HIGH_S while the arc's perigee is above REENTRY_REEPOCH_PERIGEE_KM
REENTRY_REEPOCH_S = 2 * 3600.0
REENTRY_REEPOCH_HIGH_S = 6 * 3600.0
REENTRY_REEPOCH_PERIGEE_KM = 220.0
COLLISION_WINDOW_S = 600.0


def to_utc64(t: Any) -> np.datetime64:
    """A UTC instant as ``datetime64[us]`` (from datetime64, aware datetime or ISO text;
    :func:`spacerange.timescales.parse_utc`, refusing naive datetimes)."""
    return parse_utc(t, naive="error")


def _iso(t: np.datetime64) -> str:
    return iso_utc(t, "s")


def _seconds(td) -> float:
    return float(td.total_seconds())


def _td64(seconds: float) -> np.timedelta64:
    return timedelta_us(seconds)


def _with_bstar(sat: Satrec, bstar: float) -> Satrec:
    """``sat`` with drag term ``bstar`` [1/earth radii]: same mean elements and epoch."""
    s = Satrec()
    s.sgp4init(WGS72, "i", sat.satnum, sat.jdsatepoch - 2433281.5 + sat.jdsatepochF,
               float(bstar), sat.ndot, sat.nddot, sat.ecco, sat.argpo, sat.inclo, sat.mo,
               sat.no_kozai, sat.nodeo)  # fmt: skip
    return s


def _perigee_alt_km(sat: Satrec) -> float:
    """Perigee height [km] above the SGP4 (WGS-72) equatorial radius of ``sat``'s mean
    elements: the height the world's drag rules (storm, B* from size) are decided on."""
    return sat.a * RE_KM * (1 - sat.ecco) - RE_KM  # a in Earth radii


# ------------------------------------------------------------------------- SGP4 arc fitting
#: SGP4 satrecs reproducing TEME states (the public fit of :mod:`spacerange.propagation`)
fit_satrecs = fit_sgp4_mean_elements


def reepoch_interval_s(sat: Satrec) -> float:
    """Seconds until the next re-fit of the decaying arc ``sat`` (:data:`REENTRY_REEPOCH_S`)."""
    low = sat.a * RE_KM * (1 - sat.ecco) - RE_KM < REENTRY_REEPOCH_PERIGEE_KM
    return REENTRY_REEPOCH_S if low else REENTRY_REEPOCH_HIGH_S


def reepoched_decay_utc(
    sat: Satrec, t0: np.datetime64, t_end: np.datetime64, step_s: float = 600.0
) -> tuple[np.datetime64 | None, Satrec]:
    """First instant (``step_s`` grid from ``t0``) at which SGP4 from ``sat`` at ``t0``,
    re-fitted with the same B* every :func:`reepoch_interval_s`, is below
    :data:`REENTRY_ALT_KM` (or fails), ``None`` if not before ``t_end``; and the arc in
    effect then (for the ground track).  ``t0`` itself when it is already down."""
    return reepoched_decays_utc([sat], t0, t_end, step_s)[0]


def reepoched_decays_utc(
    sats: list[Satrec], t0: np.datetime64, t_end: np.datetime64, step_s: float = 600.0
) -> list[tuple[np.datetime64 | None, Satrec]]:
    """:func:`reepoched_decay_utc` of each of ``sats``, all at once: the arcs that are
    re-fitted at the same instant over the same grid are propagated in one SGP4 batch
    and re-fitted in one mean-element fit (rows are fitted independently, so each
    result is the one the arc gets alone)."""
    t_start = to_utc64(t0)
    step = np.timedelta64(int(step_s * 1e6), "us")
    out: list[tuple[np.datetime64 | None, Satrec]] = [(None, s) for s in sats]
    cur = {n: (s, t_start) for n, s in enumerate(sats)}  # active: arc and its start
    while cur:
        groups: dict[tuple, list[int]] = {}
        for n, (s, t_a) in cur.items():
            if t_a >= t_end:
                out[n] = (None, s)
                continue
            groups.setdefault((t_a, min(t_a + _td64(reepoch_interval_s(s)), t_end)), []).append(n)
        nxt: dict[int, tuple[Satrec, np.datetime64]] = {}
        for (t_a, t_b), rows in groups.items():
            ts = np.arange(t_a, t_b, step)
            r, v, e = _sgp4_many([cur[n][0] for n in rows], np.append(ts, t_b))
            rad = np.linalg.norm(r, axis=-1)
            bad = (e != 0) | ~np.isfinite(rad) | (rad < RE_KM + REENTRY_ALT_KM)
            refit = []
            for q, n in enumerate(rows):
                s = cur[n][0]
                if bad[q, :-1].any():
                    out[n] = (ts[int(np.argmax(bad[q, :-1]))], s)
                elif bad[q, -1]:
                    out[n] = ((t_b if t_b < t_end else None), s)
                else:
                    refit.append(q)
            if not refit:
                continue
            arcs = [cur[rows[q]][0] for q in refit]
            states = np.concatenate([r[refit, -1], v[refit, -1]], axis=1)
            fitted, _ = fit_satrecs(states, t_b, np.array([s.bstar for s in arcs]),
                                    ids=[s.satnum for s in arcs])  # fmt: skip
            for q, s, f in zip(refit, arcs, fitted, strict=True):
                if f is None:
                    out[rows[q]] = (t_b, s)
                else:
                    nxt[rows[q]] = (f, t_b)
        cur = nxt
    return out


def _sgp4_many(sats: list[Satrec], times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TEME ``r`` (n, m, 3) [km], ``v`` (n, m, 3) [km/s] and SGP4 error codes (n, m) of
    ``sats`` at ``times`` (m,) UTC, one python-sgp4 batch; NaN where SGP4 failed."""
    jd, fr = jd_fr_utc(times)
    e, r, v = SatrecArray(list(sats)).sgp4(jd, fr)
    bad = e != 0
    r[bad] = np.nan
    v[bad] = np.nan
    return r, v, e


def _sgp4_one(sat: Satrec, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_sgp4_many` of one satrec: ``r`` (m, 3), ``v`` (m, 3), error codes (m,)."""
    r, v, e = _sgp4_many([sat], times)
    return r[0], v[0], e[0]


def _gcrs_to_teme(r: np.ndarray, v: np.ndarray, t: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """One GCRS state (3,), (3,) at ``t`` -> TEME (:func:`spacerange.frames.gcrs_to_teme`)."""
    rt, vt = gcrs_to_teme(r[None], v[None], np.asarray([t]))
    return rt[0], vt[0]


def _itrs_state_to_teme(r_itrs, v_itrs, t):
    rg, vg = itrs_to_gcrs(np.asarray([r_itrs]), np.asarray([v_itrs]), np.asarray([t]))
    return _gcrs_to_teme(rg[0], vg[0], t)


def _altitude_km(r_teme: np.ndarray, t: np.datetime64) -> np.ndarray:
    """Geodetic altitude [km] of TEME positions (n, 3) at one time."""
    r = np.atleast_2d(r_teme)
    ri, _ = teme_to_itrs(r[:, None, :], np.zeros_like(r)[:, None, :], np.asarray([t]))
    return itrs_to_geodetic(ri[:, 0, :])[..., 2]


def _kepler_to_state(a, e, i_deg, raan_deg, argp_deg, nu_deg, mu=MU_KM3_S2):
    i, raan, argp, nu = (math.radians(x) for x in (i_deg, raan_deg, argp_deg, nu_deg))
    p = a * (1 - e * e)
    r_pf = np.array([p * math.cos(nu) / (1 + e * math.cos(nu)),
                     p * math.sin(nu) / (1 + e * math.cos(nu)), 0.0])  # fmt: skip
    v_pf = np.array([-math.sqrt(mu / p) * math.sin(nu), math.sqrt(mu / p) * (e + math.cos(nu)), 0])
    cO, sO, ci, si, cw, sw = (math.cos(raan), math.sin(raan), math.cos(i), math.sin(i),
                              math.cos(argp), math.sin(argp))  # fmt: skip
    rot = np.array(
        [
            [cO * cw - sO * sw * ci, -cO * sw - sO * cw * ci, sO * si],
            [sO * cw + cO * sw * ci, -sO * sw + cO * cw * ci, -cO * si],
            [sw * si, cw * si, ci],
        ]
    )
    return rot @ r_pf, rot @ v_pf


def _mean_to_true_deg(m_deg: float, e: float) -> float:
    m = math.radians(m_deg)
    ea = m if e < 0.8 else math.pi
    for _ in range(50):
        ea -= (ea - e * math.sin(ea) - m) / (1 - e * math.cos(ea))
    return math.degrees(2 * math.atan2(math.sqrt(1 + e) * math.sin(ea / 2),
                                       math.sqrt(1 - e) * math.cos(ea / 2)))  # fmt: skip


def _coperiodic(r_c, v_c, r_t, v_t) -> np.ndarray:
    """Velocity for a chaser at ``r_c`` (in its own plane, horizontal like the target's
    flight direction) with the target's orbital energy, so both have the same period and
    the relative motion stays bounded."""
    a_t = 1.0 / (2.0 / np.linalg.norm(r_t) - (v_t @ v_t) / MU_KM3_S2)
    speed = math.sqrt(max(MU_KM3_S2 * (2.0 / np.linalg.norm(r_c) - 1.0 / a_t), 1e-9))
    rh = r_c / np.linalg.norm(r_c)
    h = np.cross(r_c, v_c)
    hh = h / np.linalg.norm(h)
    d = np.cross(hh, rh)
    return d * speed


# ------------------------------------------------------------------------------ records


@dataclass
class WorldEvent:
    """A physical event of the truth world (contract ``world_event``: white only).

    ``kind``: maneuver | collision | breakup | reentry | launch | sensor_outage |
    space_weather | rendezvous | release | conjunction (scripted geometry set up) |
    rf_interference | laser_dazzle | cyber_ground | cross_check | alert (a cue to a team)."""

    kind: str
    objects: list[str]
    details: dict
    time_utc: np.datetime64

    def payload(self) -> dict:
        return {"type": self.kind, "objects": list(self.objects), "details": self.details}


@dataclass
class TruthObject:
    """One object of the truth world.  ``arcs`` are ``(valid_from_utc, Satrec)`` in time
    order; ``actor`` is the owning scenario actor id (None for background objects)."""

    id: str
    name: str
    object_type: str
    norad_id: int
    arcs: list[tuple[np.datetime64, Satrec]]
    actor: str | None = None
    owner: str = ""
    hbr_m: float = 1.0
    mass_kg: float = 100.0
    maneuverable: bool = False
    dv_budget_mps: float = 0.0
    dv_used_mps: float = 0.0
    rendezvous_capable: bool = False
    debris_generating: bool = False
    deployables: list = field(default_factory=list)
    created_utc: np.datetime64 | None = None
    ended_utc: np.datetime64 | None = None
    end_reason: str | None = None
    scenario: bool = False
    origin: str = "catalog"

    @property
    def satrec(self) -> Satrec:
        return self.arcs[-1][1]

    @property
    def dv_left_mps(self) -> float:
        return max(0.0, self.dv_budget_mps - self.dv_used_mps)

    def alive_at(self, t: np.datetime64) -> bool:
        if self.created_utc is not None and t < self.created_utc:
            return False
        return self.ended_utc is None or t < self.ended_utc

    def satrec_at(self, t: np.datetime64) -> Satrec:
        for t0, sat in reversed(self.arcs):
            if t >= t0:
                return sat
        return self.arcs[0][1]

    @property
    def period_min(self) -> float:
        return _TWO_PI / self.satrec.no_kozai

    @property
    def perigee_alt_km(self) -> float:
        return _perigee_alt_km(self.satrec)


@dataclass
class ScriptedConjunction:
    """A conjunction set up by a ``high_pc_conjunction`` inject."""

    serial: str
    target: str
    secondary: str
    tca_utc: np.datetime64
    miss_m: float
    pc_target: float
    rel_speed_km_s: float
    cdm_cadence_s: float
    released_utc: np.datetime64
    checked: bool = False


@dataclass(order=True)
class _Scheduled:
    t: np.datetime64
    seq: int
    fn: Callable[[np.datetime64], list[WorldEvent]] = field(compare=False)
    what: str = field(compare=False, default="")


class WorldError(ValueError):
    """A threat action cannot be enacted (unknown object, missing capability...)."""


# --------------------------------------------------------------------------------- world


#: Threat kind (``scenario.events.THREAT_ACTIONS``) -> the :class:`World` method that
#: enacts it physically.  ``tests/exercise/test_threat_registry.py`` checks that every kind
#: the scenario format admits is here or in :data:`MESSAGE_ONLY_THREATS`.
THREAT_HANDLERS: dict[str, str] = {
    "high_pc_conjunction": "_enact_high_pc_conjunction",
    "geo_rendezvous": "_enact_geo_rendezvous_guided",  # unguided: _enact_geo_rendezvous
    "leo_inspector": "_enact_leo_inspector",
    "debris_event": "_enact_debris_event",
    "uncontrolled_reentry": "_enact_uncontrolled_reentry",
    "unannounced_maneuver": "_enact_unannounced_maneuver",
    "sensor_outage": "_enact_sensor_outage",
    "space_weather": "_enact_space_weather",
    "new_launch": "_enact_new_launch",
    "rf_interference": "_enact_rf_interference",
    "laser_dazzle": "_enact_laser_dazzle",
    "cyber_ground": "_enact_cyber_ground",
    "asat_test": "_enact_asat_test",
    "decoy_release": "_enact_decoy_release",
    "covert_maneuver": "_enact_covert_maneuver",
}
#: Threat kinds that are a message only, with no physical effect in the world (a jamming
#: report is a message; the modelled RF effect is ``rf_interference``).
MESSAGE_ONLY_THREATS = frozenset({"jamming_report", "media", "diplomatic_note"})

__all__ = [
    "COLLISION_WINDOW_S",
    "DEFAULT_HBR_M",
    "DEFAULT_MASS_KG",
    "EARTH_ROT_RAD_S",
    "FIRST_CREATED_NORAD",
    "MESSAGE_ONLY_THREATS",
    "MU_KM3_S2",
    "REENTRY_ALT_KM",
    "REENTRY_REEPOCH_S",
    "REENTRY_REEPOCH_HIGH_S",
    "REENTRY_REEPOCH_PERIGEE_KM",
    "RE_KM",
    "ScriptedConjunction",
    "THREAT_HANDLERS",
    "TruthObject",
    "WorldError",
    "WorldEvent",
    "_Scheduled",
    "_TWO_PI",
    "_altitude_km",
    "_coperiodic",
    "_gcrs_to_teme",
    "_iso",
    "_itrs_state_to_teme",
    "_kepler_to_state",
    "_mean_to_true_deg",
    "_perigee_alt_km",
    "_seconds",
    "_sgp4_many",
    "_sgp4_one",
    "_td64",
    "_with_bstar",
    "fit_satrecs",
    "reepoch_interval_s",
    "reepoched_decay_utc",
    "reepoched_decays_utc",
    "to_utc64",
]
