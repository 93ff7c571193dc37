"""A team's catalog maintenance through the engine's :mod:`spacerange.od` and
:mod:`spacerange.events`: glue only, vectorized over the objects of one update.

For the objects a team's sensors detected at ``t`` (:mod:`.sensing`), each detected
object's *pass* is ``PASS_EPOCHS`` epochs ``PASS_STEP_S`` apart ending at ``t``, measured by
the sensor that saw it best (:func:`spacerange.od.passes.pass_observations`: radar range,
azimuth, elevation, range-rate; telescope RA/Dec; the sensor's noise; truth states from
the world's SGP4 arcs rotated TEME -> GCRS).  Then:

1. **correlation / test**: a pass of an object the team holds is compared with the
   team's prediction (its SGP4 arc and its covariance at ``t``):
   :func:`spacerange.od.passes.pass_mahalanobis` gives ``d2`` and ``dof``;
   :class:`spacerange.events.maneuver_alarm.RegimeAlarmModels` (one model per orbit
   regime, fitted to this team's own un-alarmed passes) decides whether it is a
   manoeuvre candidate, which the arc test of :mod:`.maneuver_arcs` decides on the
   object's own recent measurements (one SGP4 orbit through them or not);
2. **update**: tracks older than ``refit_s``, tracks whose along-track sigma exceeds
   ``UPDATE_SIGMA_KM``, and alarmed tracks (prior covariance inflated by
   ``MANEUVER_INFLATION``) are updated with the pass by the batch
   :func:`spacerange.od.batch.batch_least_squares` with the team's prediction at the pass's
   last epoch as a priori (a maximum a posteriori update, re-linearized at every
   iteration: a single EKF step diverged on angles-only passes of wide LEO and eccentric
   tracks); eccentric tracks take the batch's realistic covariance (its consider terms
   for what the fit's two-body + J2..J4 dynamics lack against the SGP4 truth: the formal
   covariance of a 3-minute pass let that mismatch through as velocity errors 5-90 sigma
   off a few hours later, the demo's false manoeuvre alarms, :func:`map_update`); other
   correlated passes only renew custody (last track time);
3. **initialization**: an object of the public catalog (present at STARTEX) starts from
   its public element set, simulated as truth plus the published TLE error model
   (:func:`spacerange.conjunction.covariance.default_tle_covariance`) and is updated with
   the pass as in 2.; any other object is an uncorrelated track initialized by IOD + EKF
   (:func:`spacerange.od.ekf.ekf_from_iod`).  Objects whose OD fails are reported
   (``od_failures``) and tried again on a later pass: never a crash, never truth.

The updated GCRS state becomes the team's SGP4 element set (mean-element fit of the
world, TLE text); the element set's difference from the OD state (position and
velocity, :func:`element_set_error_rtn`) joins the covariance, which is kept in the
rotating RTN frame at the fit epoch and
propagated by linearized two-body motion (:func:`spacerange.od.passes.propagate_cov_two_body`)
plus the team's process noise (along-track growth ``g`` km/day, radial and normal g/3):
:meth:`.model.Track.sigma_rtn_km`.
"""

from __future__ import annotations

import numpy as np
from sgp4.api import SatrecArray

from spacerange.exercise.picture.model import tracks_cov_rtn
from spacerange.frames import gcrs_to_teme, teme_to_gcrs
from spacerange.od.batch import BatchOptions, batch_least_squares
from spacerange.od.ekf import ekf_from_iod
from spacerange.od.measurements import Site
from spacerange.od.passes import (
    inertial_to_rtn_6,
    pass_observations,
    rtn_to_inertial_cov,
)
from spacerange.propagation.mean_elements import kepler_equinoctial
from spacerange.timescales import jd_fr_utc

__all__ = ["PASS_EPOCHS", "PASS_STEP_S", "od_sites", "truth_pass", "predict_tracks",
           "map_update", "iod_tracks", "catalog_prior", "to_track_state",
           "element_set_error_rtn"]  # fmt: skip

#: epochs per simulated pass and their spacing [s]
PASS_EPOCHS = 4
PASS_STEP_S = 60.0
#: a track whose along-track 1-sigma exceeds this is updated with every pass [km]
UPDATE_SIGMA_KM = 1.0
#: a manoeuvre alarm alerts only on tracks whose along-track 1-sigma is at most this [km]
ALERT_SIGMA_KM = 50.0
#: prior inflation of an alarmed track (position km, velocity km/s, 1-sigma per axis)
MANEUVER_INFLATION = (10.0, 0.01)
#: range noise of a radar where the site gives none [km] (range-rate: the od default)
DEFAULT_RANGE_SIGMA_KM = 0.015


def od_sites(sensors) -> tuple[tuple[Site, ...], np.ndarray]:
    """OD sites of a team's sensors (same order) with their single-measurement noise, and
    which of them are telescopes."""
    sites, optical = [], []
    for s in sensors:
        site = s.sensor.site
        sig = list(Site.__dataclass_fields__["sigma"].default)
        sig[0] = s.sigma_range_km if s.sigma_range_km > 0 else DEFAULT_RANGE_SIGMA_KM
        sig[2:6] = [s.sigma_angle_rad] * 4
        sites.append(Site(s.sensor_id, site.lat_deg, site.lon_deg, site.alt_m, tuple(sig)))
        optical.append(s.kind == "optical")
    return tuple(sites), np.array(optical, bool)


def pass_times(t: np.datetime64) -> np.ndarray:
    steps = (np.arange(PASS_EPOCHS)[::-1] * PASS_STEP_S * 1e6).astype("timedelta64[us]")
    return np.datetime64(t, "us") - steps


def _sgp4_gcrs(sats: list, times: np.ndarray) -> np.ndarray:
    """GCRS states (n, k, 6) of satrecs at ``times`` (NaN where SGP4 fails)."""
    jd, fr = jd_fr_utc(times)
    e, r, v = SatrecArray(sats).sgp4(jd, fr)
    r[e != 0] = np.nan
    v[e != 0] = np.nan
    rg, vg = teme_to_gcrs(r, v, times)
    return np.concatenate([rg, vg], axis=-1)


def truth_pass(objs: list, t: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Truth GCRS states (n, PASS_EPOCHS, 6) of world objects over the pass ending at ``t``
    (each object's arc in force at ``t``) and the pass times."""
    times = pass_times(t)
    return _sgp4_gcrs([o.satrec_at(t) for o in objs], times), times


def predict_tracks(tracks: list, t: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """The team's predicted GCRS states (n, 6) and covariances (n, 6, 6) of ``tracks`` at
    ``t`` (its SGP4 arcs and propagated RTN covariances)."""
    x = _sgp4_gcrs([tr.satrec for tr in tracks], np.asarray([t], "datetime64[us]"))[:, 0]
    p_rtn = tracks_cov_rtn(tracks, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = rtn_to_inertial_cov(p_rtn, x[:, :3], x[:, 3:])
    return x, p


def catalog_prior(objs: list, t: np.datetime64, rng: np.random.Generator):
    """Public-catalog priors of ``objs`` at ``t``: truth + N(0, the published TLE error
    model at one day of age), GCRS states (n, 6) and covariances (n, 6, 6)."""
    from spacerange.conjunction.covariance import default_tle_covariance

    x = _sgp4_gcrs([o.satrec_at(t) for o in objs], np.asarray([t], "datetime64[us]"))[:, 0]
    ok = np.all(np.isfinite(x), axis=1)
    p = np.full((len(objs), 6, 6), np.nan)
    if ok.any():
        d = default_tle_covariance(x[ok, :3], x[ok, 3:], 1.0)
        p[ok] = rtn_to_inertial_cov(d.cov_rtn_km2, x[ok, :3], x[ok, 3:])
        chol = np.linalg.cholesky(p[ok])
        x[ok] = x[ok] + np.einsum("nij,nj->ni", chol, rng.standard_normal((int(ok.sum()), 6)))
    return x, p


def observe_passes(tp, ids, objs, sensor_idx, t, rng):
    """The pass observations of detected objects (:func:`pass_observations`): ``(obs,
    times, good, x_end)``, ``x_end`` the measured GCRS states (n_good, 6) at the pass's
    last epoch (the correlation gate's reference)."""
    x_true, times = truth_pass(objs, t)
    good = np.all(np.isfinite(x_true), axis=(1, 2))
    sites, optical = tp.od_sites
    obs = pass_observations(np.asarray(ids)[good], x_true[good], times, sites,
                            sensor_idx[good], optical[sensor_idx[good]], rng)  # fmt: skip
    return obs, times, good, x_true[good][:, -1]


#: prior eccentricity from which the MAP update takes the batch's realistic covariance
ECCENTRIC = 0.1
#: along-track drag [km/s^2] (the team's own B*, :func:`spacerange.od.consider.
#: unmodeled_acceleration_sigma`) from which it takes it too: the fit's dynamics have no
#: drag, and over a 3-minute pass a breakup fragment's (B* 0.05-0.2 at 450-650 km, 1e-7
#: to 6e-7 km/s^2) biased the velocity beyond the formal covariance (0.5 % of predictions
#: more than 5 sigma off, each a "manoeuvre")
HIGH_DRAG_KM_S2 = 2e-8


def _eccentric(x: np.ndarray) -> np.ndarray:
    """Osculating eccentricity of GCRS states (n, 6) at least ``ECCENTRIC``."""
    with np.errstate(all="ignore"):
        return kepler_equinoctial(x)["e"] >= ECCENTRIC


def _high_drag(x: np.ndarray, ballistic: np.ndarray) -> np.ndarray:
    """GCRS states (n, 6) whose drag with ballistic coefficients ``ballistic`` (n,) is at
    least ``HIGH_DRAG_KM_S2``."""
    from spacerange.od.consider import unmodeled_acceleration_sigma

    with np.errstate(all="ignore"):
        drag = unmodeled_acceleration_sigma(x, ballistic_m2_kg=ballistic)[:, 1]
    return np.isfinite(ballistic) & (drag >= HIGH_DRAG_KM_S2)


def map_update(obs, ids, x0, p0, t_end, bstar=None):
    """Maximum a posteriori update of each object with its pass: the batch
    (:func:`spacerange.od.batch.batch_least_squares`, Gauss-Newton re-linearized at every
    iteration) with the prior ``x0, p0`` at the pass's last epoch ``t_end`` as a priori.
    Covariance: the formal one, consistent with the truth for near-circular orbits (LEO
    NEES(6) 95 % quantile 12.4, GEO 7.1, chi2(6)'s 12.6); for eccentric priors (e >=
    ``ECCENTRIC``) the realistic one (sandwich and consider terms of
    :class:`~spacerange.od.batch.BatchOptions`): the J2..J4 fit of the SGP4 truth's
    short-period terms, which grow with e, left their formal NEES(6) 95 % quantile at 83.
    (The realistic covariance on GEO angles-only passes is ~10x conservative radially and
    hid the training scenario's 8 m/s GEO burn.)  High-drag objects (the team's own
    ``bstar`` (n,), optional) take the realistic covariance as well, its consider drag
    sized by their ballistic coefficient (``HIGH_DRAG_KM_S2``).
    ``({id: OdSolution}, {id: reason})``."""
    from spacerange.od.consider import ballistic_from_bstar

    if not len(ids):
        return {}, {}
    ids = np.asarray(ids).astype(str)
    bal = np.full(len(ids), np.nan) if bstar is None else ballistic_from_bstar(bstar)
    real = _eccentric(x0) | _high_drag(x0, bal)
    eps = np.full(len(ids), np.datetime64(t_end, "us"))
    sols = []
    for sel, cov in ((~real, "formal"), (real, "realistic")):
        if not sel.any():
            continue
        sub = obs.subset(np.flatnonzero(np.isin(obs.object_id, ids[sel])))
        opts = BatchOptions(covariance=cov, edit_sigma=None)
        with np.errstate(all="ignore"):
            sols += batch_least_squares(sub, ids[sel], x0[sel], eps[sel], apriori_cov=p0[sel],
                                        options=opts, ballistic_m2_kg=bal[sel])  # fmt: skip
    good, bad = {}, {}
    for s in sols:
        fine = s.converged and np.all(np.isfinite(s.state)) and np.all(np.isfinite(s.covariance))
        (good.__setitem__(s.object_id, s) if fine else
         bad.__setitem__(s.object_id, s.message or "batch update failed"))  # fmt: skip
    return good, bad


def iod_tracks(obs, ids):
    """IOD + EKF of uncorrelated tracks (``ekf_from_iod``); ``({id: OdSolution}, failures)``."""
    if not len(ids):
        return {}, {}
    sub = obs.subset(np.flatnonzero(np.isin(obs.object_id, ids)))
    try:
        with np.errstate(all="ignore"):
            sols, failures = ekf_from_iod(sub)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return {}, {k: f"IOD failed: {exc}" for k in ids}
    good = {}
    for s in sols:
        if s.converged and np.all(np.isfinite(s.state)) and np.all(np.isfinite(s.covariance)):
            good[s.object_id] = s
        else:
            failures[s.object_id] = s.message or "EKF from IOD failed"
    return good, dict(failures)


def to_track_state(sols: list, t: np.datetime64):
    """TEME states (n, 6) at ``t`` and RTN covariances (n, 6, 6) of OD solutions whose
    epoch is ``t`` (the pass's last epoch)."""
    x = np.array([s.state for s in sols]).reshape(-1, 6)
    p = np.array([s.covariance for s in sols]).reshape(-1, 6, 6)
    times = np.asarray([t], "datetime64[us]")
    r, v = gcrs_to_teme(x[:, None, :3], x[:, None, 3:], times)
    t6 = inertial_to_rtn_6(x[:, :3], x[:, 3:])
    p_rtn = t6 @ p @ np.swapaxes(t6, 1, 2)
    return np.concatenate([r[:, 0], v[:, 0]], axis=1), p_rtn


def element_set_error_rtn(sats: list, x_teme: np.ndarray, t: np.datetime64) -> np.ndarray:
    """The element sets' state at ``t`` minus the TEME states ``x_teme`` (n, 6) they were
    fitted to, in each state's RTN frame (n, 6) [km, km/s] (NaN where SGP4 fails)."""
    jd, fr = jd_fr_utc(np.asarray([t], "datetime64[us]"))
    e, r, v = SatrecArray(sats).sgp4(jd, fr)
    x = np.concatenate([r[:, 0], v[:, 0]], axis=1)
    x[e[:, 0] != 0] = np.nan
    t6 = inertial_to_rtn_6(x_teme[:, :3], x_teme[:, 3:])
    return np.einsum("nij,nj->ni", t6, x - x_teme)


def inflate(p: np.ndarray) -> np.ndarray:
    """Prior covariances (n, 6, 6) inflated for an unknown manoeuvre."""
    s_r, s_v = MANEUVER_INFLATION
    return p + np.diag([s_r**2] * 3 + [s_v**2] * 3)[None]
