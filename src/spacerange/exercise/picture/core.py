"""Fog of war: each team's recognized space picture, built only from its own sensors'
simulated observations and what its allies share, never from truth directly.

Observation model (coarse, vectorized, stated honestly)
-------------------------------------------------------
Every ``cadence_s`` (default 10 min) of scenario time, for each team and each of its
sensors (the engine's :mod:`spacerange.sensors` sensors, built from the scenario by
:mod:`.sensing`), the truth TEME states of all objects are rotated to ITRS and passed to
:func:`spacerange.sensors.visibility.observable`: the site's field of regard (elevation
mask and limit, azimuth window, range limits; radars without a limit reach 6,000 km,
telescopes 50,000 km) and, for telescopes, a dark site (Sun below the sensor's
``max_sun_elevation_deg``, -12 deg) and a sunlit object (outside the umbra, conical
shadow).  The picture adds no geometry of its own.  An observable object is detected
with a probability (survey radar 0.9, tracking radar 0.4, telescope 0.5 per update; 1.0
when the team tasked that sensor on it), times the sensor's availability (outages).

Track (estimate) model: every detection is a pass processed through the engine's orbit
determination (:mod:`.tracking`: :mod:`spacerange.od.passes` measurements, gating against
the team's prediction, :func:`spacerange.od.batch.batch_least_squares` updates with the
prediction as a priori, IOD + EKF for uncorrelated tracks).  A track is the OD state as
SGP4 mean elements kept as TLE text, with the OD covariance in RTN propagated by
linearized two-body motion (:func:`spacerange.od.passes.propagate_cov_two_body`) plus the
team's process noise (along-track growth ``g``: LEO 1 km/day, higher orbits 0.2 km/day;
radial/normal g/3).  Between updates the team predicts with that SGP4 arc, so an
unannounced manoeuvre, a drag change (storm) or a release makes its prediction drift from
truth; the next pass's residual is tested by the team's false-alarm model of the track's
orbit regime (:mod:`spacerange.events.maneuver_alarm`); an alarm on an established track
in custody is a manoeuvre candidate, which is a *maneuver* alert when no single SGP4 orbit
fits the object's own recent passes and this one (:mod:`.maneuver_arcs`; once per object
per 6 h; it states the interval in which the object manoeuvred, and the object is
re-acquired from the passes after it).  Own assets are known exactly (the operator's
ephemeris).

At STARTEX each team's catalog holds what its sensors detected in the 24 h before
(1-hour steps), so background objects are not all new tracks; anything detected later
that is not in the picture is an uncorrelated track (``uct`` alert).

Allied data: standing sharing agreements (``omm``/``oem``/``observations``/``tdm``:
tracks; ``cdm``: CDMs) and accepted ``share`` actions deliver the provider's *estimates*
after the agreement's delay; a shared track replaces the recipient's own only when its
current sigma is smaller.

Products: on every catalog update a team screens its protected assets against its own
catalog (its tracks' TLEs) over the look-ahead window (scenario ``screening_look_ahead``,
default 72 h) through the engine (:mod:`.conjunctions`:
:func:`spacerange.conjunction.protected.screen_protected` over
:func:`~spacerange.conjunction.screening.screen`, 10 km threshold; Pc from
:func:`spacerange.conjunction.multistep.pc_auto_batch` on the team's covariances; one
event per pair and TCA with its Pc trend, :func:`~spacerange.conjunction.event_history.group_events`;
in a world of ``BACKGROUND_SCREENING_MIN_OBJECTS`` or more, in the engine's background worker
while the next team's update runs, :mod:`spacerange.conjunction.background`):
``conjunction_update`` (event id, TCA, miss and its 1-sigma, Pc, method, trend),
``alert`` (kind conjunction at Pc >= 1e-4, an unknown Pc, or
miss < 1 km), a CDM-like record; ``proximity`` alerts (another object within 50 km of an
own LEO asset or 200 km of a GEO asset); ``reentry`` predictions (every 6 h for tracks
whose perigee is under 200 km: SGP4 decay of the team's own arc, re-fitted every 2 h as
the truth of a decaying object is (``world.reepoched_decay_utc``), window +/- 20 % of the
remaining time, the usual rule of thumb, footprint = ground track in the window;
:mod:`.reentry`, beside the screenings: in the background worker of a large world).
Truth-side products for EXCON (``visible_to`` = []): ``relative_motion`` samples of the
proximity pairs the world registered (``fragments`` Gabbard data of each break-up is
logged by the engine from the world's ``fragment_sets``; :meth:`Pictures._fragments` is
kept for callers without an engine).
"""

from __future__ import annotations

import logging
import math

import numpy as np
from sgp4.api import SatrecArray

from spacerange.conjunction.background import InlineScreening, ScreeningRunner, shared_background
from spacerange.conjunction.thresholds import PC_ALERT
from spacerange.exercise.picture import tracking as tk
from spacerange.exercise.picture.catalog import CatalogMixin
from spacerange.exercise.picture.conjunctions import (
    TeamScreenings,
    finish_screenings,
    submit_screenings,
)
from spacerange.exercise.picture.maneuver_arcs import ManeuverArcMixin
from spacerange.exercise.picture.maneuvers import BurnLog, maneuver_goals
from spacerange.exercise.picture.model import TeamPicture, Track
from spacerange.exercise.picture.notices import NoticesMixin
from spacerange.exercise.picture.products import ProductsMixin
from spacerange.exercise.picture.sensing import TeamSensor, detect, team_sensors
from spacerange.exercise.picture.space_weather import DENSITY_MODEL_SIGMA, SpaceWeatherMixin
from spacerange.exercise.rulefuncs import NotInPicture
from spacerange.exercise.world import (
    World,
    _iso,
    _sgp4_one,
    _td64,
    to_utc64,
)
from spacerange.frames import teme_to_itrs
from spacerange.sensors.base import Scene
from spacerange.timescales import jd_fr_utc

__all__ = ["Track", "TeamPicture", "Pictures", "TeamSensor", "PC_ALERT"]

log = logging.getLogger("spacerange.exercise.picture")

MISS_ALERT_KM = 1.0
#: the screening threshold: events whose predicted miss is within it are held [km]
SCREEN_THRESHOLD_KM = 10.0
#: 1-sigma position error of an own asset (the operator's ephemeris) [km]
OWN_SIGMA_KM = 0.01
#: custody is lost when the last track is older than this (LEO; x3 higher up) [s] ...
CUSTODY_AGE_S = 86400.0
#: ... or when the track's along-track 1-sigma exceeds this [km]
CUSTODY_SIGMA_KM = 50.0
UCT_ALERT_MAX = 50  #: objects per UCT alert; more new tracks make more alerts
#: worlds of at least this many objects screen in the background worker
#: (:mod:`spacerange.conjunction.background`); smaller ones screen inline, where the worker's
#: start (a new interpreter, ~2 s) would cost more than the overlap gains
BACKGROUND_SCREENING_MIN_OBJECTS = 1000


class Pictures(ProductsMixin, NoticesMixin, CatalogMixin, ManeuverArcMixin, SpaceWeatherMixin):
    """One :class:`TeamPicture` per blue/red team (see the module docstring)."""

    def __init__(self, world: World, scenario, *, cadence_s: float = 600.0,
                 look_ahead_s: float | None = None, refit_s: float = 6 * 3600.0,
                 warm_start_s: float = 86400.0, extend_s: float = 6 * 3600.0,
                 screen_threshold_km: float = SCREEN_THRESHOLD_KM,
                 custody_age_s: float = CUSTODY_AGE_S,
                 custody_sigma_km: float = CUSTODY_SIGMA_KM):  # fmt: skip
        self.world = world
        self.scenario = scenario
        self.cadence_s = cadence_s
        if look_ahead_s is None:
            look_ahead_s = scenario.exercise.screening_look_ahead.total_seconds()
        #: the screening window ahead of the clock [s] (scenario ``screening_look_ahead``)
        self.look_ahead_s = float(look_ahead_s)
        #: the window's leading edge is screened once it has moved this far [s]
        self.extend_s = min(float(extend_s), self.look_ahead_s)
        self.screen_threshold_km = float(screen_threshold_km)
        self.own_sigma_km = OWN_SIGMA_KM
        self.custody_age_s = float(custody_age_s)
        self.custody_sigma_km = float(custody_sigma_km)
        self.refit_s = refit_s
        #: where the teams' screenings and 6-hourly re-entry forecasts run: the same
        #: events either way
        self._job_runner: ScreeningRunner = (
            shared_background()
            if len(world.objects) >= BACKGROUND_SCREENING_MIN_OBJECTS
            else InlineScreening()
        )
        self.rng = np.random.default_rng([world.seed, 2])
        #: measurement noise and public-catalog errors: a stream of their own, so that the
        #: detection draws do not depend on how many measurements the OD simulated
        self.od_rng = np.random.default_rng([world.seed, 3])
        self.teams: dict[str, TeamPicture] = {}
        self.roles = {t.id: t.role for t in scenario.teams}
        self._last_update: np.datetime64 | None = None
        #: the first picture update (the earliest a team can hold an event)
        self.first_update_utc: np.datetime64 | None = None
        self._last_reentry: np.datetime64 | None = None
        #: (release time, provider, recipient, products, tracks, CDMs, notices)
        self._share_queue: list[tuple[np.datetime64, str, str, list[str], dict, list, list]] = []
        self._done_shares = 0
        self._n_fragment_sets = 0
        self._relmo: dict[tuple[str, str], list] = {}
        self._cdm_sent: dict[str, np.datetime64] = {}
        world.pictures = self
        #: truth burns with the teams' custody when they happened (:mod:`.maneuvers`)
        self.burn_log = BurnLog()
        sensors = team_sensors(scenario)
        sw_rng = np.random.default_rng([world.seed, 4])
        for t in scenario.teams:
            if t.role not in ("blue", "red"):
                continue
            specs = []
            for aid in t.plays:
                actor = next((a for a in scenario.actors if a.id == aid), None)
                if actor is not None:
                    specs += [sensors[s.sensor_id] for s in actor.sensors if s.sensor_id in sensors]
            eps = float(sw_rng.normal(0.0, DENSITY_MODEL_SIGMA))
            self.teams[t.id] = TeamPicture(t.id, t.role, set(t.plays), specs,
                                           od_sites=tk.od_sites(specs),
                                           density_model_eps=eps)  # fmt: skip
        self._warm_start(warm_start_s)

    # ------------------------------------------------------------------- visibility
    def _visible(self, tp: TeamPicture, r_itrs: np.ndarray, scene: Scene, t, obj_ids):
        """Detected object rows and each one's pass error [km] for team ``tp`` at ``t``:
        the engine's sensors decide what is observable (:func:`.sensing.detect`)."""
        return detect(tp.sensors, r_itrs, scene, obj_ids,
                      lambda sid: self.world.sensor_availability(sid, t),
                      self.world.tasking.get(tp.team, {}), self.rng)  # fmt: skip

    @staticmethod
    def _itrs(r_teme: np.ndarray, v_teme: np.ndarray, t) -> tuple[np.ndarray, Scene]:
        """ITRS positions of TEME states at ``t`` and the scene (Sun, rotation) of ``t``."""
        if not len(r_teme):
            return np.zeros((0, 3)), Scene(np.asarray([t]))
        ri, _ = teme_to_itrs(r_teme[:, None, :], v_teme[:, None, :], np.asarray([t]))
        return ri[:, 0, :], Scene(np.asarray([t]))

    def _warm_start(self, span_s: float) -> None:
        w = self.world
        t0 = w.startex
        steps = int(span_s // 3600)
        for k in range(steps, 0, -1):
            t = t0 - _td64(k * 3600.0)
            idx, r, v = w.states(t)
            born = np.array([w.objects[i].created_utc is None for i in idx], bool)
            idx, r, v = idx[born], r[born], v[born]
            ids = np.array([w.objects[i].id for i in idx], dtype=object)
            ri, scene = self._itrs(r, v, t)
            for tp in self.teams.values():
                rows, _, sens = self._visible(tp, ri, scene, t, ids)
                self._observe(tp, t, idx[rows], sens, warm=True)
        w._state_cache = None

    def _display_name(self, tp, o, t) -> str:
        d = self.designator(tp.team, o.id)
        return d if d != o.id else o.name

    def designator(self, team: str, oid: str, given: str | None = None,
                   uncatalogued: bool = False) -> str:  # fmt: skip
        """The name ``team`` knows truth object ``oid`` by (assigned on first use): its own
        assets and public-catalog objects keep their id; anything else gets ``given`` (a
        designator an ally or provider delivered with it) or the team's next
        ``<TEAM>-UCT-nnnn``.  ``uncatalogued``: ``oid`` is a world object outside the SGP4
        catalog (an interceptor on its ballistic arc), never named by its id."""
        tp = self.teams[team]
        d = tp.desig.get(oid)
        if d is not None:
            return d
        o = self.world.obj(oid) if oid in self.world else None
        if not uncatalogued and (o is None or o.created_utc is None or o.actor in tp.actors):
            d = oid
        elif given and given not in tp.truth_of:
            d = given
        else:
            tp.n_uct += 1
            d = f"{team.upper()}-UCT-{tp.n_uct:04d}"
        tp.desig[oid] = d
        tp.truth_of[d] = oid
        return d

    def resolve(self, team: str, name: str) -> str | None:
        """The truth id behind a name ``team`` used (its designator, an own asset, a public
        catalog id); ``None`` when the team holds no such object."""
        tp = self.teams.get(team)
        if tp is None or not isinstance(name, str):
            return None
        if name in tp.truth_of:
            return tp.truth_of[name]
        if name in self.world:
            o = self.world.obj(name)
            if o.actor in tp.actors or (o.created_utc is None and name not in tp.desig):
                return name
        return None

    def _pubs(self, tp, oids) -> list[str]:
        return [self.designator(tp.team, o) if isinstance(o, str) else o for o in oids]

    def _display_owner(self, o) -> str:
        return "UNKNOWN" if o.created_utc is not None else (o.owner or "UNKNOWN")

    # ------------------------------------------------------------------- queries
    def _own(self, team: str, oid: str) -> bool:
        w = self.world
        return oid in w and w.obj(oid).actor in self.teams[team].actors

    def estimate_token(self, team: str, oid: str) -> tuple:
        """A value that changes whenever :meth:`predict` of ``oid`` for ``team`` may: the
        own asset's arcs and life, or the track's element set (held, so never reused);
        ``()`` when the team holds none."""
        if team not in self.teams:
            return ()
        if self._own(team, oid):
            o = self.world.obj(oid)
            return ("own", o.created_utc, o.ended_utc, *(s for _, s in o.arcs))
        tr = self.teams[team].tracks.get(oid)
        return () if tr is None else ("track", tr.satrec)

    def predict(self, team: str, oid: str, times) -> tuple[np.ndarray, np.ndarray]:
        """The team's predicted TEME r, v of ``oid`` at ``times`` (its own estimate);
        :class:`NotInPicture` when the team holds none."""
        ts = np.atleast_1d(np.asarray(times, dtype="datetime64[us]"))
        if team not in self.teams:
            raise NotInPicture(team, oid)
        if self._own(team, oid):
            return self.world.state_of(oid, ts)
        tr = self.teams[team].tracks.get(oid)
        if tr is None:
            raise NotInPicture(team, oid)
        r, v, _ = _sgp4_one(tr.satrec, ts)
        return r, v

    def sigma_rtn_km(self, team: str, oid: str, t) -> tuple[float, float, float]:
        if self._own(team, oid):
            return (0.01, 0.01, 0.01)
        tr = self.teams[team].tracks.get(oid)
        if tr is None:
            raise NotInPicture(team, oid)
        return tr.sigma_rtn_km(to_utc64(t))

    def custody(self, team: str, oid: str, t=None) -> dict | None:
        """The team's custody of ``oid`` from its catalog (its own passes or an ally's
        element set, whichever its track came from last): ``{state: held | lost,
        last_track_utc, age_s, pos_sigma_km}``; lost once the track's last observation is
        older than ``custody_age_s`` (three times that for a track growing under 1 km/day,
        above the drag ceiling, where predictions age slower) or the along-track sigma
        exceeds ``custody_sigma_km``.  ``None`` when the team holds no track; own assets
        are always held."""
        tp = self.teams.get(team)
        if tp is None:
            return None
        t = self.world.clock_utc if t is None else to_utc64(t)
        if self._own(team, oid):
            return {"state": "held", "last_track_utc": _iso(t), "age_s": 0.0,
                    "pos_sigma_km": self.own_sigma_km}  # fmt: skip
        tr = tp.tracks.get(oid)
        if tr is None:
            return None
        age = _secs(t - tr.last_obs_utc)
        sig = tr.sigma_rtn_km(t)[1]
        held = bool(self.custody_held(np.array([age]), np.array([tr.growth_km_day]),
                                      np.array([sig]))[0])  # fmt: skip
        return {"state": "held" if held else "lost", "last_track_utc": _iso(tr.last_obs_utc),
                "age_s": round(age, 1), "pos_sigma_km": round(sig, 4)}  # fmt: skip

    def custody_held(self, age_s: np.ndarray, growth_km_day: np.ndarray,
                     sigma_along_km: np.ndarray) -> np.ndarray:  # fmt: skip
        """:meth:`custody`'s rule, vectorized (the age limit is 3x for slow-growing tracks)."""
        limit_s = self.custody_age_s * np.where(np.asarray(growth_km_day) >= 1.0, 1.0, 3.0)
        small = np.asarray(sigma_along_km) <= self.custody_sigma_km
        return (np.asarray(age_s) <= limit_s) & small

    def tracked(self, team: str, oid: str, t=None) -> bool:
        """The team holds custody (adjudication, truth side): its own asset, or a track
        in custody (:meth:`custody`: recent and small enough) *whose prediction still
        finds the object*: within max(3 sigma along-track, 10 km) of truth.  A manoeuvre
        the team has not re-acquired loses custody."""
        if team not in self.teams:
            return False
        if self._own(team, oid):
            return True
        t = self.world.clock_utc if t is None else to_utc64(t)
        c = self.custody(team, oid, t)
        if c is None or c["state"] != "held":
            return False
        tr = self.teams[team].tracks[oid]
        ts = np.asarray([t], dtype="datetime64[us]")
        r_est, _, _ = _sgp4_one(tr.satrec, ts)
        r_true, _ = self.world.state_of(oid, ts)
        err = float(np.linalg.norm(np.asarray(r_est).reshape(-1, 3)[0]
                                   - np.asarray(r_true).reshape(-1, 3)[0]))  # fmt: skip
        return bool(np.isfinite(err)) and err <= max(3.0 * tr.sigma_rtn_km(t)[1], 10.0)

    # ------------------------------------------------------------------- update
    def update(self, t_utc) -> list[dict]:
        """Advance every team's picture to ``t_utc``; returns the new events (contract
        kinds, each ``{'kind', 'team', 'visible_to', 'payload', 'time_utc'}``)."""
        t = to_utc64(t_utc)
        out: list[dict] = []
        out += self._deliver_shares(t)
        # Gabbard data (``fragments``) is logged by the engine at the break-up itself (with
        # the fragment ids); emitting it here as well duplicated every set in the log
        self._n_fragment_sets = len(self.world.fragment_sets)
        if (
            self._last_update is not None
            and float((t - self._last_update) / np.timedelta64(1, "s")) < self.cadence_s
        ):
            return out
        self._last_update = t
        if self.first_update_utc is None:
            self.first_update_utc = t
        self.burn_log.scan(self, t)
        self._space_weather(t)
        w = self.world
        idx, r, v = w.states(t)
        ids = np.array([w.objects[i].id for i in idx], dtype=object)
        ri, scene = self._itrs(r, v, t)
        out += self._provider_cdms(t)
        # each team's screening (and, every 6 h, its re-entry forecasts) starts as soon as
        # its catalog is updated (in the background worker, while the next team's orbit
        # determination runs) and is collected below
        reentry_due = self._last_reentry is None or _secs(t - self._last_reentry) >= 6 * 3600.0
        screenings, forecasts = {}, {}
        for tp in self.teams.values():
            rows, _, sens = self._visible(tp, ri, scene, t, ids)
            new, jumps = self._observe(tp, t, idx[rows], sens)
            tp.pending_uct += [k for k in new if k not in tp.pending_uct]
            if tp.pending_uct and (tp.last_uct is None or _secs(t - tp.last_uct) >= 3600.0):
                tp.last_uct = t
                # every new track is announced (the first 50 only hid a launch behind fragments)
                for k in range(0, n := len(tp.pending_uct), UCT_ALERT_MAX):
                    out.append(self._alert(tp, t, "uct", tp.pending_uct[k:k + UCT_ALERT_MAX],
                                           {"n_new_tracks": n}))  # fmt: skip
                tp.pending_uct = []
            if new:
                self._detections(tp, t, new, "created", out)
            for oid, details in jumps:
                out.append(self._alert(tp, t, "maneuver", [oid], details))
                self._detections(tp, t, [oid], "maneuver", out)
            self._outage_detections(tp, t, out)
            out += self._proximity(tp, t)
            self._scan_notices(tp, t)
            self._queue_standing_shares(tp, t)
            screenings[tp.team] = self._screen_submit(tp, t)
            if reentry_due:
                forecasts[tp.team] = self._reentry_submit(tp, t)
        out += self._relative_motion(t, idx, r, v)
        for tp in self.teams.values():
            out += self._screen(tp, t, screenings[tp.team])
        if reentry_due:
            self._last_reentry = t
            for tp in self.teams.values():
                out += self._reentry_finish(tp, t, forecasts[tp.team])
        return out

    def _event(self, kind, tp_or_team, t, payload, visible_to=None) -> dict:
        team = tp_or_team.team if isinstance(tp_or_team, TeamPicture) else tp_or_team
        return {"kind": kind, "team": team,
                "visible_to": [team] if visible_to is None and team else (visible_to or []),
                "payload": payload, "time_utc": _iso(t)}  # fmt: skip

    def _alert(self, tp, t, kind, objects, details) -> dict:
        a = {"team": tp.team, "kind": kind, "objects": self._pubs(tp, objects), "details": details,
             "time_utc": _iso(t)}  # fmt: skip
        tp.alerts.append(a)
        return self._event("alert", tp, t, {k: a[k] for k in ("team", "kind", "objects",
                                                               "details")})  # fmt: skip

    def _detections(self, tp, t, oids, how, out) -> None:
        w = self.world
        for serial, info in w.enacted.items():
            if serial in tp.detected_serials:
                continue
            hit = []
            for oid in oids:
                o = w.obj(oid) if oid in w else None
                if o is None:
                    continue
                if how == "created" and o.origin == serial:
                    hit.append(oid)
                elif (
                    how in ("maneuver", "conjunction", "proximity", "reentry")
                    and (oid in info["objects"])
                    and t >= info["time_utc"]
                ):
                    hit.append(oid)
            if hit:
                tp.detected_serials.add(serial)
                out.append(self._event("detection", tp, t, {
                    "team": tp.team, "serial": serial, "threat": info["threat"],
                    "objects": hit, "first_seen_utc": _iso(t)}, []))  # fmt: skip

    def _outage_detections(self, tp, t, out) -> None:
        mine = {s.sensor_id for s in tp.sensors}
        for serial, info in self.world.enacted.items():
            if serial in tp.detected_serials or not info["sensors"]:
                continue
            if mine & set(info["sensors"]):
                tp.detected_serials.add(serial)
                out.append(self._event("detection", tp, t, {
                    "team": tp.team, "serial": serial, "threat": info["threat"],
                    "objects": sorted(mine & set(info["sensors"])),
                    "first_seen_utc": _iso(t)}, []))  # fmt: skip

    def _own_assets(self, tp) -> list:
        return [o for o in self.world.objects if o.actor in tp.actors and o.ended_utc is None]

    def _picture_states(self, tp, t, keys: list[str] | None = None):
        keys = list(tp.tracks) if keys is None else [k for k in keys if k in tp.tracks]
        if not keys:
            return keys, np.zeros((0, 3)), np.zeros((0, 3))
        arr = SatrecArray([tp.tracks[k].satrec for k in keys])
        jd, fr = jd_fr_utc(np.asarray([t]))
        e, r, v = arr.sgp4(jd, fr)
        r, v = r[:, 0], v[:, 0]
        r[e[:, 0] != 0] = np.nan
        return keys, r, v

    def _proximity(self, tp, t) -> list[dict]:
        out = []
        assets = self._own_assets(tp)
        if not assets:
            return out
        keys, r, _ = self._picture_states(tp, t)
        if not keys:
            return out
        for o in assets:
            ra, _ = self.world.state_of(o.id, t)
            lim = 200.0 if o.period_min > 600 else 50.0
            d = np.linalg.norm(r - ra, axis=-1)
            for j in np.flatnonzero(d < lim):
                pair = ("prox", o.id, keys[j])
                if pair in tp.alerted:
                    continue
                tp.alerted.add(pair)
                out.append(self._alert(tp, t, "proximity", [o.id, keys[j]],
                                       {"range_km": round(float(d[j]), 3)}))  # fmt: skip
                self._detections(tp, t, [keys[j]], "proximity", out)
        return out

    # ------------------------------------------------------------------- screening
    def hbr_m(self, oid: str) -> float:
        """Hard-body radius [m] the teams use for an object (its catalogued size)."""
        return self.world.obj(oid).hbr_m if oid in self.world else 1.0

    def _screen_submit(self, tp, t) -> TeamScreenings:
        """Submit the team's screenings of this catalog update (:func:`.submit_screenings`)."""
        return submit_screenings(self, tp, t, self._job_runner)

    def _screen(self, tp, t, submitted: TeamScreenings | None = None) -> list[dict]:
        """Screen the team's assets against its catalog after a catalog update: the jobs
        :meth:`_screen_submit` submitted (now, if not given), finished in order.  Returns
        the products."""
        if submitted is None:
            submitted = self._screen_submit(tp, t)
        return self._conjunction_products(tp, t, finish_screenings(self, tp, t, submitted))

    def _conjunction_products(self, tp, t, found: list[dict]) -> list[dict]:
        """``conjunction_update`` events, CDM-like records and alerts of screened events."""
        out = []
        for f in sorted(found, key=lambda f: f["tca_utc"]):
            a, b, pc = f["asset"], f["object"], f["pc"]
            # TCA to the millisecond (whole seconds would truncate up to 1 s away)
            tca = np.datetime64(f["tca_utc"], "ms")
            miss_m = round(f["miss_km"] * 1e3, 1)
            payload = {"team": tp.team, "objects": self._pubs(tp, [a, b]), "tca_utc": _iso_ms(tca),
                       "miss_m": miss_m, "pc": pc, "rel_speed_km_s": f["rel_speed_km_s"],
                       "event_id": f["event_id"], "pc_method": f["pc_method"],
                       "pc_trend": f["pc_trend"],
                       "miss_sigma_m": round(f["miss_sigma_m"], 1)}  # fmt: skip
            if f["pc_note"]:
                # the team is told Pc is unknown, and why; never a "safe" Pc of 0
                payload["pc_note"] = f["pc_note"]
            out.append(self._event("conjunction_update", tp, t, payload))
            cdm = {"creation_utc": _iso(t), "originator": tp.team, "object1": a, "object2": b,
                   "tca_utc": _iso_ms(tca), "miss_m": miss_m, "pc": pc, "pc_note": f["pc_note"],
                   "pc_method": f["pc_method"], "event_id": f["event_id"],
                   "rel_speed_km_s": f["rel_speed_km_s"],
                   "sigma_rtn_km_1": f["sigma_rtn_km_1"], "sigma_rtn_km_2": f["sigma_rtn_km_2"],
                   "marking": "EXERCISE"}  # fmt: skip
            tp.cdms.append(cdm)
            tp.new_cdms.append(cdm)
            # an unknown Pc alerts like a high one: the operator must look at the event
            pc_alert = pc is None or pc >= PC_ALERT
            if (pc_alert or f["miss_km"] < MISS_ALERT_KM) and ("conj", a, b) not in tp.alerted:
                tp.alerted.add(("conj", a, b))
                out.append(self._alert(tp, t, "conjunction", [a, b],
                                       {"tca_utc": _iso_ms(tca), "miss_m": miss_m, "pc": pc,
                                        "pc_note": f["pc_note"]}))  # fmt: skip
                self._detections(tp, t, [a, b], "conjunction", out)
        return out

    def conjunction_goals(self) -> list[dict]:
        """Issue 11's measured goals per graded conjunction (:mod:`.goals`)."""
        from spacerange.exercise.picture.goals import conjunction_goals

        return conjunction_goals(self)

    def maneuver_goals(self) -> list[dict]:
        """Issue 11's manoeuvre-alert goal per team (:mod:`.maneuvers`)."""
        return maneuver_goals(self)

    def conjunctions(self, team: str) -> list[dict]:
        """The team's open conjunction events (latest figures, truth ids), by TCA."""
        tp = self.teams.get(team)
        if tp is None:
            return []
        return sorted(tp.conj.active.values(), key=lambda f: f["tca_utc"])

    def deliver(self, team: str, objects: list[str], t, *, source: str = "provider",
                sigma_km: float = 0.1) -> list[str]:  # fmt: skip
        """Give ``team`` an external estimate (an inject's OMM/CDM data, a screening
        provider's CDM) of ``objects`` at ``t``: the provider's state = truth + N(0,
        ``sigma_km``); kept only where better than the team's own track.  Returns the ids
        delivered (unknown or dead objects are skipped)."""
        tp = self.teams.get(team)
        if tp is None:
            return []
        t = to_utc64(t)
        w = self.world
        objs, rr, vv = [], [], []
        for oid in objects:
            if oid not in w or self._own(team, oid) or not w.obj(oid).alive_at(t):
                continue
            tr = tp.tracks.get(oid)
            r, v = w.state_of(oid, t)
            if tr is not None and tr.sigma_rtn_km(t)[1] <= sigma_km:
                # kept unless the team's own prediction disagrees with the provider's
                # state beyond 3 sigma of both (its track is then the stale one)
                r_own, _, _ = _sgp4_one(tr.satrec, np.asarray([t], dtype="datetime64[us]"))
                d = float(np.linalg.norm(np.asarray(r_own).reshape(3) - np.asarray(r).reshape(3)))
                if d <= 3.0 * math.hypot(max(tr.sigma_rtn_km(t)), sigma_km):
                    continue
            if np.all(np.isfinite(r)):
                objs.append(w.obj(oid))
                rr.append(r)
                vv.append(v)
        if objs:
            for o in objs:  # the provider names what it delivers
                self.designator(team, o.id, given=o.id)
            self._fit_tracks(tp, t, objs, np.array(rr), np.array(vv),
                             np.full(len(objs), sigma_km), source)  # fmt: skip
            for o in objs:
                tp.tracks[o.id].source = source
        return [o.id for o in objs]

    def _provider_cdms(self, t) -> list[dict]:
        """Scripted conjunctions: a screening provider (simulated) sends the target's
        operator a CDM every ``cdm_cadence`` from the release to TCA; the secondary's
        provider state (sigma 100 m) enters the team's picture, which then screens it."""
        out = []
        for c in self.world.conjunctions:
            if t < c.released_utc or t >= c.tca_utc or c.target not in self.world:
                continue
            last = self._cdm_sent.get(c.serial)
            if last is not None and _secs(t - last) < c.cdm_cadence_s:
                continue
            self._cdm_sent[c.serial] = t
            actor = self.world.obj(c.target).actor
            for tp in self.teams.values():
                if actor in tp.actors:
                    self.deliver(tp.team, [c.secondary], t, source="provider-cdm")
        return out


def _iso_ms(t) -> str:
    return f"{np.datetime_as_string(np.datetime64(t, 'ms'))}Z"


def _secs(td) -> float:
    return float(td / np.timedelta64(1, "s"))
