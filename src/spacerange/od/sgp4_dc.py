"""SGP4 differential correction to tracking observations (general-perturbations OD).

The general-perturbations catalog (the TLEs) is maintained by fitting SGP4 mean elements
directly to a sensor network's observations over an arc of days (Hoots and Roehrich 1980,
*Spacetrack Report No. 3*; Vallado 2013 sec. 10.4).  This module does that, vectorized over
objects: for each object, the SGP4 elements (WGS-72, opsmode ``'i'``) at a fixed epoch that
minimise the weighted squared residuals of its measurements (:mod:`.measurements`: radar
range, azimuth, elevation, range-rate; telescope RA/Dec; each row's own sigma).

Solve-for parameters: equinoctial elements (Broucke and Cefola 1972; Vallado 2013
sec. 2.4.2), non-singular for circular *and* equatorial orbits (singular only at i = 180 deg;
the bundled catalogs' largest inclination is 147.6 deg; as :mod:`.tle_fit`): Kozai
mean motion ``n`` [rad/min], ``e cos(w + RAAN)``, ``e sin(w + RAAN)``, ``tan(i/2) sin RAAN``,
``tan(i/2) cos RAAN``, mean longitude ``lambda = M + w + RAAN`` [rad], and B* [1/earth radii]
with an optional Gaussian prior (a 1-3 day arc of a payload barely sees its drag; the prior
keeps the normal matrix regular).  Why equinoctial: a geostationary object's node is
undefined to within its 0.01-0.05 deg inclination, so two element sets a few kilometres
apart can differ by 100 deg in RAAN and argument of perigee; with those as parameters the
fit must rotate both through a curved valley and stops on a false minimum (the demo's
near-equatorial payloads: chi2 1,600 from the team's element set, 190 from the truth's,
186 degrees of freedom), while the equinoctial elements of the two sets differ by a small
vector.  SGP4
positions and velocities (TEME) are rotated to GCRS (:func:`spacerange.frames.teme_to_gcrs`)
and measured as :func:`.measurements.predict` does.  The Jacobian is by forward differences,
every perturbed element set of one object propagated by one ``SatrecArray`` call at that
object's own times; steps are Levenberg-Marquardt damped per object.

The result's ``chi2`` is the weighted sum of squared residuals (plus the B* prior term):
for an unmanoeuvred object whose motion SGP4 describes, ``chi2 ~ chi2(dof)`` with ``dof``
the number of measurements minus six.  The arc-consistency test of
:func:`spacerange.events.maneuver_alarm.arc_change_test` compares such fits with and
without a new pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray

from spacerange.frames import teme_to_gcrs, teme_to_gcrs_matrices
from spacerange.timescales import jd_fr_utc

from .measurements import predict, residual
from .observations import Observations

__all__ = [
    "Sgp4Fit",
    "params_from_classical",
    "classical_from_params",
    "sgp4_differential_correction",
    "satrec_params",
    "satrec_from_params",
    "fit_states_gcrs",
]

#: forward-difference steps of the parameters (n rad/min, af, ag, p1, p2, lambda rad, B*)
_STEPS = np.array([1e-9, 1e-7, 1e-7, 1e-7, 1e-7, 1e-7, 1e-6])
_SGP4_EPOCH0_JD = 2433281.5
_N_PARAMS = 7
#: a fit is at its minimum when the Gauss-Newton step would lower the cost (chi-square)
#: by less than ``_GAIN_ABS``, or by less than ``_GAIN_REL`` times the cost (the
#: finite-difference Jacobian's own noise on an inconsistent arc)
_GAIN_ABS = 1.0
_GAIN_REL = 1e-8


def params_from_classical(n, ecc, argp, inc, raan, mean_anomaly, bstar) -> np.ndarray:
    """The solve-for parameters (7,) of classical mean elements (angles in rad, ``n`` in
    rad/min): see the module docstring."""
    lp = argp + raan
    t = np.tan(inc / 2.0)
    return np.array([n, ecc * np.cos(lp), ecc * np.sin(lp), t * np.sin(raan), t * np.cos(raan),
                     mean_anomaly + lp, bstar], float)  # fmt: skip


def classical_from_params(p: np.ndarray) -> tuple[float, ...]:
    """Inverse of :func:`params_from_classical`: ``(n, ecc, argp, inc, raan, mean_anomaly,
    bstar)``, angles in rad within [0, 2 pi) (the node and the perigee of a circular or
    equatorial orbit at 0, the longitudes kept).  Not
    :func:`spacerange.propagation.mean_elements.classical_from_equinoctial`: that one folds
    angles within 0.5e-4 deg of 360 onto 0 for the TLE text, a jump the fit's forward
    differences (steps of 1e-7 rad) would straddle."""
    n, af, ag, p1, p2, lam, bstar = (float(v) for v in p)
    ecc = float(np.hypot(af, ag))
    lp = float(np.arctan2(ag, af)) if ecc > 0 else 0.0
    t = float(np.hypot(p1, p2))
    raan = float(np.arctan2(p1, p2)) if t > 0 else 0.0
    two_pi = 2 * np.pi
    return (n, ecc, (lp - raan) % two_pi, 2.0 * float(np.arctan(t)), raan % two_pi,
            (lam - lp) % two_pi, bstar)  # fmt: skip


def satrec_params(sat: Satrec) -> np.ndarray:
    """The solve-for parameters (7,) of an SGP4 element set (see the module docstring)."""
    return params_from_classical(float(sat.no_kozai), float(sat.ecco), float(sat.argpo),
                                 float(sat.inclo), float(sat.nodeo), float(sat.mo),
                                 float(sat.bstar))  # fmt: skip


def satrec_from_params(p: np.ndarray, epoch_days: float, satnum: int = 0) -> Satrec:
    """An SGP4 element set (WGS-72, opsmode ``'i'``) from parameters (7,) at ``epoch_days``
    (days since 1949-12-31 00:00 UTC)."""
    n, ecc, argp, inc, raan, mean_anomaly, bstar = classical_from_params(p)
    s = Satrec()
    s.sgp4init(WGS72, "i", int(satnum) % 100000, epoch_days, bstar, 0.0, 0.0, ecc, argp, inc,
               mean_anomaly, n, raan)  # fmt: skip
    return s


@dataclass
class Sgp4Fit:
    """Per object (n,): ``object_id``; ``satrec`` (the fitted element set at the initial
    one's epoch, None where the fit failed); ``chi2`` (weighted residual sum of squares
    with the B* prior term; nan where failed); ``n_meas`` (measurements used); ``dof``
    (``n_meas`` - 6); ``converged``; ``params`` (n, 7) and ``cov`` (n, 7, 7) the formal
    covariance of the parameters."""

    object_id: np.ndarray
    satrec: list
    chi2: np.ndarray
    n_meas: np.ndarray
    dof: np.ndarray
    converged: np.ndarray
    params: np.ndarray
    cov: np.ndarray


def _epoch_days(sat: Satrec) -> float:
    return float(sat.jdsatepoch - _SGP4_EPOCH0_JD + sat.jdsatepochF)


class _Arcs:
    """Each object's measurement rows, times and frame rotations (built once per call)."""

    def __init__(self, obs: Observations, ids: np.ndarray):
        rows = np.flatnonzero(np.isin(obs.object_id, ids))
        pos = {k: i for i, k in enumerate(ids.tolist())}
        oi = np.array([pos[k] for k in obs.object_id[rows].tolist()], int)
        order = np.lexsort((obs.times_utc[rows], oi))
        self.rows, self.oi = rows[order], oi[order]
        self.n_obj = ids.size
        self.n_meas = np.bincount(self.oi, minlength=self.n_obj)
        self.start = np.concatenate([[0], np.cumsum(self.n_meas)[:-1]])
        self.kind = obs.kind[self.rows]
        self.value = obs.value[self.rows]
        self.w = 1.0 / obs.sigma[self.rows]
        site_r, site_v, enu = obs.geometry
        self.site_r, self.site_v, self.enu = site_r[self.rows], site_v[self.rows], enu[self.rows]
        times = obs.times_utc[self.rows]
        uniq, inv = np.unique(times, return_inverse=True)
        self.rot = teme_to_gcrs_matrices(uniq)[inv] if uniq.size else np.zeros((0, 3, 3))
        # per object: its distinct times (jd, fr) and each row's index among them
        self.jd, self.fr, self.tix = [], [], np.zeros(self.rows.size, int)
        us = (times - np.datetime64("1949-12-31T00:00:00", "us")).astype(np.int64)
        for i in range(self.n_obj):
            a, b = self.start[i], self.start[i] + self.n_meas[i]
            u, k = np.unique(us[a:b], return_inverse=True)
            days = u / 86400e6
            whole = np.floor(days)
            self.jd.append(whole + _SGP4_EPOCH0_JD)
            self.fr.append(days - whole)
            self.tix[a:b] = k

    def add_model_error(self, sats: list[Satrec | None], model_km: np.ndarray) -> None:
        """Weights with each object's dynamics model error added in quadrature: a
        position error ``model_km[i]`` [km, 1-sigma, isotropic] and the velocity error of
        the same size at the orbit's mean motion, mapped to every measurement through its
        partial derivatives at ``sats[i]``'s prediction (range: km; angles: km over the
        slant range)."""
        x = self._states([[s] for s in sats])[0]
        _, jac = predict(self.kind, x, self.site_r, self.site_v, self.enu)
        n_rad_s = np.array([s.no_kozai / 60.0 if s is not None else 0.0 for s in sats])
        sig_r = np.asarray(model_km, float)[self.oi]
        var = sig_r**2 * (
            (jac[:, :3] ** 2).sum(1) + n_rad_s[self.oi] ** 2 * (jac[:, 3:] ** 2).sum(1)
        )
        self.w = 1.0 / np.sqrt(1.0 / self.w**2 + np.where(np.isfinite(var), var, 0.0))

    def _states(self, sets: list[list[Satrec]]) -> np.ndarray:
        """GCRS states (k, m, 6) of ``k`` element sets per object at each row's time."""
        k = len(sets[0]) if sets else 0
        x = np.full((k, self.rows.size, 6), np.nan)
        for i, sats in enumerate(sets):
            a, b = self.start[i], self.start[i] + self.n_meas[i]
            if a == b or any(s is None for s in sats):
                continue
            err, r, v = SatrecArray(sats).sgp4(self.jd[i], self.fr[i])
            st = np.concatenate([r, v], axis=-1)
            st[err != 0] = np.nan
            x[:, a:b] = st[:, self.tix[a:b]]
        return np.concatenate([np.einsum("mij,kmj->kmi", self.rot, x[..., :3]),
                               np.einsum("mij,kmj->kmi", self.rot, x[..., 3:])], axis=-1)  # fmt: skip

    def computed(self, sets: list[list[Satrec]]) -> np.ndarray:
        """Predicted measurements (k, m) of ``k`` element sets per object (``sets[i]``
        the k sets of object i); nan where SGP4 fails."""
        k = len(sets[0]) if sets else 0
        xg = self._states(sets)
        m = self.rows.size
        h, _ = predict(np.tile(self.kind, k), xg.reshape(k * m, 6), np.tile(self.site_r, (k, 1)),
                       np.tile(self.site_v, (k, 1)), np.tile(self.enu, (k, 1, 1)))  # fmt: skip
        return h.reshape(k, m)

    def per_object(self, vals: np.ndarray) -> np.ndarray:
        """Sums of row values (m, ...) per object (n, ...)."""
        out = np.zeros((self.n_obj,) + vals.shape[1:])
        np.add.at(out, self.oi, vals)
        return out


def sgp4_differential_correction(
    obs: Observations,
    object_ids,
    initial: list[Satrec],
    bstar_sigma: np.ndarray | float | None = None,
    max_iter: int = 20,
    tol: float = 1e-6,
    model_error_km: np.ndarray | float | None = None,
) -> Sgp4Fit:
    """SGP4 elements best fitting each object's measurements in ``obs`` (see the module
    docstring), starting from ``initial`` (n,) element sets, at their epochs.

    ``bstar_sigma`` (n,) or scalar: 1-sigma of a Gaussian prior on B* around the initial
    value (None: B* is held at its initial value).  ``model_error_km`` (n,) or scalar:
    1-sigma position error [km] of SGP4 itself over the arc, added in quadrature to every
    measurement's noise through its geometry at the initial set's prediction (None or 0:
    the measurement noise alone).  SGP4's deep-space model at one epoch reproduces the
    same orbit's model at an epoch two weeks away only to kilometres over a three-day arc
    for some near-equatorial geostationary orbits (its resonance terms are integrated from
    the epoch; docs/performance.md, round 17), which a fit to arcsecond angles with the
    noise alone calls inconsistent.  An object with fewer than 7
    measurements, or whose initial set fails in SGP4, is returned unconverged with
    ``chi2`` nan: never an exception for one object.  ``converged`` is True only at a
    minimum: where the Gauss-Newton step predicts a cost decrease below 1 or 1e-8 times
    the cost, or the last accepted step changed the cost by less than ``tol`` (relative).  A fit that stalled elsewhere (no damped step improves it, e.g. from an
    initial set too far off) or ran out of iterations is not converged, and its ``chi2``
    says nothing about the data."""
    ids = np.asarray(object_ids).astype(str)
    n = ids.size
    arcs = _Arcs(obs, ids)
    if model_error_km is not None and np.any(np.asarray(model_error_km, float) > 0):
        arcs.add_model_error(list(initial), np.broadcast_to(np.asarray(model_error_km, float),
                                                            (n,)))  # fmt: skip
    free = _N_PARAMS if bstar_sigma is not None else _N_PARAMS - 1
    b_sig = (np.broadcast_to(np.asarray(bstar_sigma, float), (n,)) if bstar_sigma is not None
             else np.full(n, np.inf))  # fmt: skip
    p = np.array([satrec_params(s) if s is not None else np.full(_N_PARAMS, np.nan)
                  for s in initial]).reshape(n, _N_PARAMS)  # fmt: skip
    b0 = p[:, 6].copy()
    epochs = [_epoch_days(s) if s is not None else np.nan for s in initial]
    satnums = [int(s.satnum) if s is not None else 0 for s in initial]

    def sats_of(params: np.ndarray, idx: np.ndarray) -> list[Satrec | None]:
        out: list[Satrec | None] = [None] * n
        for i in idx:
            if not np.isfinite(epochs[i]):
                continue
            try:
                out[i] = satrec_from_params(params[i], epochs[i], satnums[i])
            except (ValueError, RuntimeError):
                pass
        return out

    def cost_of(params, idx):
        sats = sats_of(params, idx)
        h = arcs.computed([[s] for s in sats])[0]
        d = residual(arcs.kind, arcs.value, h) * arcs.w
        c = arcs.per_object(d * d)
        bad = arcs.per_object(~np.isfinite(d)) > 0
        prior = np.where(np.isfinite(b_sig), ((params[:, 6] - b0) / b_sig) ** 2, 0.0)
        return np.where(bad, np.inf, c + prior), d, sats

    cost, d, sats = cost_of(p, np.arange(n))
    usable = (arcs.n_meas >= _N_PARAMS) & np.isfinite(cost)
    lam = np.full(n, 1e-3)
    done = ~usable
    converged = np.zeros(n, bool)
    cols = np.arange(free)
    n_keep = np.zeros((n, free, free))  # each object's last normal matrix
    for _ in range(max_iter):
        act = np.flatnonzero(~done)
        if not act.size:
            break
        # Jacobian of the whitened residuals by forward differences
        sets = []
        for i in range(n):
            if done[i]:
                sets.append([None] * free)
                continue
            row = []
            for j in cols:
                q = p[i].copy()
                q[j] += _STEPS[j]
                try:
                    row.append(satrec_from_params(q, epochs[i], satnums[i]))
                except (ValueError, RuntimeError):
                    row.append(None)
            sets.append(row)
        h0 = arcs.value - d / arcs.w  # computed values of the current sets
        hk = arcs.computed([s if s[0] is not None else [None] * free for s in sets])
        jac = (residual(np.tile(arcs.kind, (free, 1)), hk, h0[None]) / _STEPS[cols, None]
               * arcs.w[None]).T  # (m, free) of d(computed) / dp, whitened  # fmt: skip
        ok_rows = np.all(np.isfinite(jac), axis=1)
        jac = np.where(ok_rows[:, None], jac, 0.0)
        dd = np.where(ok_rows, d, 0.0)
        nmat = arcs.per_object(jac[:, :, None] * jac[:, None, :])
        bvec = arcs.per_object(jac * dd[:, None])
        if free == _N_PARAMS:
            nmat[:, 6, 6] += 1.0 / b_sig**2
            bvec[:, 6] += (b0 - p[:, 6]) / b_sig**2
        n_keep[act] = nmat[act]
        # the Gauss-Newton step's predicted cost decrease, b^T N^-1 b: at a minimum (of
        # consistent data or not) it is below noise, wherever the damped steps stall
        with np.errstate(all="ignore"):
            gain = np.einsum("ni,ni->n", bvec[act], np.einsum(
                "nij,nj->ni", np.linalg.pinv(nmat[act]), bvec[act]))  # fmt: skip
        at_min = np.zeros(n, bool)
        at_min[act] = gain < np.maximum(_GAIN_ABS, _GAIN_REL * cost[act])
        improved = np.zeros(n, bool)
        rel = np.zeros(n)
        for _try in range(6):
            todo = act[~improved[act]]
            if not todo.size:
                break
            diag = np.einsum("nii->ni", nmat[todo])
            a = nmat[todo] + lam[todo, None, None] * (diag[:, :, None] * np.eye(free))
            try:
                dp = np.linalg.solve(a, bvec[todo][..., None])[..., 0]
            except np.linalg.LinAlgError:
                dp = np.stack([np.linalg.lstsq(ai, bi, rcond=None)[0]
                               for ai, bi in zip(a, bvec[todo], strict=True)])  # fmt: skip
            q = p.copy()
            q[todo, :free] += dp
            c_new, d_new, s_new = cost_of(q, todo)
            for i in todo:
                if c_new[i] < cost[i]:
                    rel[i] = (cost[i] - c_new[i]) / max(cost[i], 1e-300)
                    p[i], cost[i], sats[i] = q[i], c_new[i], s_new[i]
                    a_i, b_i = arcs.start[i], arcs.start[i] + arcs.n_meas[i]
                    d[a_i:b_i] = d_new[a_i:b_i]
                    lam[i] = max(lam[i] / 10, 1e-9)
                    improved[i] = True
                else:
                    lam[i] *= 10
        # converged: at a minimum (the predicted gain below noise) or a step that changed
        # the cost by less than ``tol`` (relative); a stall elsewhere is not a solution
        conv = act[at_min[act] | (improved[act] & (rel[act] < tol))]
        converged[conv] = True
        done[act[~improved[act]]] = True
        done[conv] = True
    # formal covariance at the solution
    cov = np.full((n, _N_PARAMS, _N_PARAMS), np.nan)
    good = np.flatnonzero(usable)
    if good.size:
        with np.errstate(all="ignore"):
            cov[np.ix_(good, cols, cols)] = np.linalg.pinv(n_keep[good])
    chi2 = np.where(usable, cost, np.nan)
    return Sgp4Fit(ids, [s if u else None for s, u in zip(sats, usable, strict=True)], chi2,
                   arcs.n_meas, arcs.n_meas - 6, converged & usable, p, cov)  # fmt: skip


def fit_states_gcrs(fit: Sgp4Fit, t_utc: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """GCRS states (n, 6) [km, km/s] of a fit's element sets at ``t_utc`` and their
    covariances (n, 6, 6): the parameters' formal covariance mapped through the SGP4 state's
    Jacobian (forward differences, the fit's steps).  NaN where the fit failed."""
    n = len(fit.satrec)
    x = np.full((n, 6), np.nan)
    p = np.full((n, 6, 6), np.nan)
    ts = np.asarray([t_utc], "datetime64[us]")
    jd, fr = jd_fr_utc(ts)
    for i, s in enumerate(fit.satrec):
        if s is None or not np.all(np.isfinite(fit.cov[i, :6, :6])):
            continue
        ep = _epoch_days(s)
        free = _N_PARAMS if np.isfinite(fit.cov[i, 6, 6]) else _N_PARAMS - 1
        sats = [s]
        for j in range(free):
            q = fit.params[i].copy()
            q[j] += _STEPS[j]
            sats.append(satrec_from_params(q, ep, int(s.satnum)))
        err, r, v = SatrecArray(sats).sgp4(jd, fr)
        if err.any():
            continue
        rg, vg = teme_to_gcrs(r, v, ts)
        st = np.concatenate([rg[:, 0], vg[:, 0]], axis=1)  # (1 + free, 6)
        jac = ((st[1:] - st[0]) / _STEPS[:free, None]).T  # (6, free)
        x[i] = st[0]
        p[i] = jac @ fit.cov[i, :free, :free] @ jac.T
    return x, p
