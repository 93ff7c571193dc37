"""A team's picture as data: its tracks (SGP4 element sets kept as TLE text, with their
RTN sigma) and the per-team state (sensors, alerts, CDMs, designators, screening)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sgp4.api import Satrec

from spacerange.events.maneuver_alarm import ArcChangeTest, RegimeAlarmModels
from spacerange.exercise.picture.conjunctions import TeamConjunctions, tle_satrec
from spacerange.exercise.picture.sensing import TeamSensor
from spacerange.exercise.world import _sgp4_many
from spacerange.od.passes import (
    carry_element_covariance,
    epoch_element_covariance,
    inertial_to_rtn_6,
    rtn_to_inertial_cov,
)
from spacerange.timescales import jd_fr_utc

__all__ = ["Track", "TeamPicture", "tracks_cov_rtn"]


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
    #: the estimate's covariance at ``epoch_utc`` in the rotating RTN frame [km, km/s]
    #: (the OD's; ``None``: isotropic ``sigma0_km`` and velocity ``n sigma0_km``)
    cov_rtn: np.ndarray | None = None
    _x0: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: :func:`tracks_cov_rtn` at the last few times asked (the arc and its epoch
    #: covariance never change: an update makes a new Track)
    _cov_at: dict = field(default_factory=dict, repr=False, compare=False)
    #: the epoch covariance as element covariance and the semi-major axis
    #: (:func:`spacerange.od.passes.epoch_element_covariance`), made once
    _elements_cov: tuple | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tle is None:
            self.satrec, self.tle, _ = tle_satrec(self.satrec)
        if self.cov_rtn is None:
            n = self.mean_motion_rad_s
            self.cov_rtn = np.diag([self.sigma0_km**2] * 3 + [(n * self.sigma0_km) ** 2] * 3)

    @property
    def mean_motion_rad_s(self) -> float:
        return float(self.satrec.no_kozai) / 60.0

    @property
    def x0_teme(self) -> np.ndarray:
        """The arc's TEME state (6,) at ``epoch_utc``."""
        if self._x0 is None:
            _fill_epoch_states([self])
        return self._x0

    def cov_rtn_at(self, t: np.datetime64) -> np.ndarray:
        """The covariance (6, 6) in RTN at ``t`` (:func:`tracks_cov_rtn`)."""
        # ``t`` is nearly always the update's datetime64[us], the key as stored: looked up
        # as given first (a conversion costs more than the lookup, millions of times a run)
        c = self._cov_at.get(t)
        if c is None:
            c = self._cov_at.get(np.datetime64(t, "us"))
        return c if c is not None else tracks_cov_rtn([self], t)[0]

    def sigma_rtn_km(self, t: np.datetime64) -> tuple[float, float, float]:
        """Position 1-sigma [km] along R, T, N at ``t`` (0 for a negative variance)."""
        c = self.cov_rtn_at(t)
        return (_sd(c[0, 0]), _sd(c[1, 1]), _sd(c[2, 2]))


def _sd(var: float) -> float:
    """``sqrt(max(var, 0))`` as numpy takes it (NaN stays NaN), for one number."""
    x = float(var)
    return math.sqrt(x) if x > 0.0 else float(np.sqrt(np.maximum(x, 0.0)))


def _sgp4_states(sats: list, t: np.datetime64) -> np.ndarray:
    """TEME states (n, 6) of ``sats`` at the one time ``t``, NaN where SGP4 fails (the
    world's one SGP4 batch, :func:`spacerange.exercise.world._sgp4_many`)."""
    r, v, _ = _sgp4_many(sats, np.asarray([t], "datetime64[us]"))
    return np.concatenate([r[:, 0], v[:, 0]], axis=1)


def _fill_epoch_states(tracks: list) -> None:
    """Each track's TEME state at its own epoch (``Track._x0``, NaN where SGP4 fails):
    one ``Satrec.sgp4`` call per track at the two-part Julian dates of all the epochs
    at once (the same numbers as :func:`_sgp4_states` track by track, a fifth of the
    time: that built an array of one satrec per track)."""
    todo = [tr for tr in tracks if tr._x0 is None]
    if not todo:
        return
    jd, fr = jd_fr_utc(np.array([tr.epoch_utc for tr in todo], "datetime64[us]"))
    for tr, j, f in zip(todo, jd.tolist(), fr.tolist(), strict=True):
        e, r, v = tr.satrec.sgp4(j, f)
        tr._x0 = np.array([*r, *v], float) if e == 0 else np.full(6, np.nan)


def tracks_cov_rtn(tracks: list, t: np.datetime64) -> np.ndarray:
    """Covariances (n, 6, 6) in the rotating RTN frame of ``tracks`` at ``t``: each epoch's
    OD covariance carried by linearized two-body motion
    (:func:`spacerange.od.passes.propagate_cov_two_body`, any eccentricity) plus the team's
    process noise (along-track ``growth_km_day``, radial and normal a third).  NaN where the
    arc fails at ``t``.  Each track remembers its result at the last few times (one
    update asks for the same track at the same time for its prediction, correlation gate,
    custody and screening)."""
    if not tracks:
        return np.zeros((0, 6, 6))
    key = np.datetime64(t, "us")
    todo = [tr for tr in tracks if key not in tr._cov_at]
    if todo:
        for tr, c in zip(todo, _tracks_cov_rtn(todo, key), strict=True):
            if len(tr._cov_at) >= _COV_CACHE:
                tr._cov_at.clear()
            tr._cov_at[key] = c
    return np.array([tr._cov_at[key] for tr in tracks])


_COV_CACHE = 8


def _epoch_elements_cov(tracks: list) -> None:
    """Each track's epoch covariance as element covariance (``Track._elements_cov``; left
    ``None`` where the epoch state is not finite)."""
    if not tracks:
        return
    _fill_epoch_states(tracks)
    x0 = np.array([tr.x0_teme for tr in tracks])
    p0 = np.array([tr.cov_rtn for tr in tracks])
    ok = np.all(np.isfinite(x0), axis=1)
    if not ok.any():
        return
    with np.errstate(all="ignore"):
        pc = rtn_to_inertial_cov(p0[ok], x0[ok, :3], x0[ok, 3:])
        pel, a = epoch_element_covariance(pc, x0[ok])
    for n, i in enumerate(np.flatnonzero(ok)):
        tracks[i]._elements_cov = (pel[n], float(a[n]))


def _tracks_cov_rtn(tracks: list, t: np.datetime64) -> np.ndarray:
    x1 = _sgp4_states([tr.satrec for tr in tracks], t)
    epochs = np.array([tr.epoch_utc for tr in tracks], "datetime64[us]")
    dt = (np.datetime64(t, "us") - epochs) / np.timedelta64(1, "s")
    _epoch_elements_cov([tr for tr in tracks if tr._elements_cov is None])
    out = np.full((len(tracks), 6, 6), np.nan)
    ok = np.array([tr._elements_cov is not None for tr in tracks])
    ok &= np.all(np.isfinite(x1), axis=1)
    if ok.any():
        idx = np.flatnonzero(ok)
        pel = np.array([tracks[i]._elements_cov[0] for i in idx])
        a = np.array([tracks[i]._elements_cov[1] for i in idx])
        with np.errstate(all="ignore"):
            p1 = carry_element_covariance(pel, a, x1[ok], dt[ok])
            t6 = inertial_to_rtn_6(x1[ok, :3], x1[ok, 3:])
            out[ok] = t6 @ p1 @ np.swapaxes(t6, 1, 2)
    g = np.array([tr.growth_km_day for tr in tracks]) * np.abs(dt) / 86400.0
    for k, f in ((0, 1 / 3), (1, 1.0), (2, 1 / 3)):
        out[:, k, k] += (f * g) ** 2
    return out


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
    #: the OD sites of ``sensors`` and which are telescopes (:func:`.tracking.od_sites`)
    od_sites: tuple = ()
    #: allies' sets that contradicted a held track: truth id -> (track, time received),
    #: until the team's own next pass decides (``CatalogMixin._arbitrate_shares``)
    share_alt: dict = field(default_factory=dict)
    #: the relative error of the team's density model on a storm's excess density, and
    #: its density-ratio models of the storms in force (:mod:`.space_weather`)
    density_model_eps: float = 0.0
    storms: list = field(default_factory=list)
    #: a storm has begun since STARTEX: the team no longer trusts a non-positive public
    #: B* in LEO (:meth:`.space_weather.SpaceWeatherMixin.physical_bstar`)
    storm_seen: bool = False
    #: the team's manoeuvre false-alarm models (one per orbit regime), fitted to its own
    #: residuals
    alarm: RegimeAlarmModels = field(default_factory=RegimeAlarmModels)
    #: the last manoeuvre alert per object
    maneuver_alerted: dict = field(default_factory=dict)
    #: the arc-consistency test that decides manoeuvre candidates (fitted to this team's
    #: own cleared candidates)
    arc_test: ArcChangeTest = field(default_factory=ArcChangeTest)
    #: each object's recent passes, the arc the test fits: truth id -> [(t_end, times,
    #: kinds, values, sigmas, sites)]
    pass_log: dict = field(default_factory=dict)
    #: the end of the last pass of each object that the team's own sensors observed:
    #: truth id -> time (custody held on allies' element sets alone is not the team's
    #: own tracking; the manoeuvre goal reports the two apart)
    own_pass_utc: dict = field(default_factory=dict)
    #: this update's post-manoeuvre orbits (``CatalogMixin._reacquire``): truth id ->
    #: OdSolution, taken instead of the alarmed pass's update
    reacquired: dict = field(default_factory=dict)
    #: manoeuvred objects not yet re-acquired: truth id -> alert time; the false-alarm
    #: class of each alert's arc
    reacquire_pending: dict = field(default_factory=dict)
    arc_regime: dict = field(default_factory=dict)
    #: objects whose orbit determination failed: truth id -> last reason
    od_failures: dict[str, str] = field(default_factory=dict)
    #: OD work done: passes tested, OD updates, IOD initializations, seconds spent, allies'
    #: element sets rejected as inconsistent with the team's own track; the manoeuvre
    #: candidates' arc tests
    od_stats: dict = field(
        default_factory=lambda: {
            "passes": 0,
            "updates": 0,
            "iod": 0,
            "seconds": 0.0,
            "shares_rejected": 0,
            "shares_taken_on_evidence": 0,
            # manoeuvre candidates: decided by the arc test (alerts, cleared), left
            # undecided (arc too short; inconsistent with no consistent first part), and
            # the test's seconds
            "arc_alerts": 0,
            "arc_cleared": 0,
            "arc_short": 0,
            "arc_unfit": 0,
            "arc_seconds": 0.0,
        }
    )
    #: objects whose last observations fell outside the correlation gate (custody lost
    #: until the team tasks a sensor on them: issue 15)
    uncorrelated: set = field(default_factory=set)
    #: the team's manoeuvre notices (:mod:`.notices`), oldest first; per own asset the
    #: arcs already scanned; the alerts already scanned
    notices: list[dict] = field(default_factory=list)
    notice_arcs: dict = field(default_factory=dict)
    notice_alerts: int = 0
    #: its own world objects: (the world's object count when listed, the objects)
    own_objects: tuple = (-1, [])
    #: own assets' element sets last put in a standing share: truth id -> (arcs, time)
    own_shared: dict = field(default_factory=dict)
    #: JSON-ready copies of the append-only lists the views serve (``products._grow``)
    views: dict = field(default_factory=dict)


#: an untasked observation this far [km] from the team's prediction does not correlate
#: with the track (the object manoeuvred out of its gate): custody stays lost until the
#: team tasks a sensor on it (the operator searches and re-correlates; issue 15)
CORRELATION_GATE_KM = 150.0


def uncorrelated(tp: TeamPicture, oid: str, residual_km: float, sigma_rtn_km,
                 tasking: dict, track: Track) -> bool | None:  # fmt: skip
    """``None`` when an observation of ``oid`` ``residual_km`` from ``tp``'s prediction
    correlates (inside the gate: ``CORRELATION_GATE_KM`` or 6 times the prediction's
    largest position sigma of ``sigma_rtn_km`` (R, T, N) [km]: an eccentric track's error
    is radial as much as along-track; a sensor of the team is tasked on it; or the object
    is above LEO: the gate applies to LEO tracks only, growth >= 1 km/day); else it stays
    uncorrelated: True the first time (say so), False after."""
    sigma_km = float(np.max(sigma_rtn_km))
    tasked = any(oid in objs for objs in tasking.get(tp.team, {}).values())
    leo = track.growth_km_day >= 1.0
    if residual_km <= max(CORRELATION_GATE_KM, 6.0 * sigma_km) or tasked or not leo:
        tp.uncorrelated.discard(oid)
        return None
    first = oid not in tp.uncorrelated
    tp.uncorrelated.add(oid)
    return first
