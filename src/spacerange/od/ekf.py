"""Extended Kalman filter with state noise compensation, many objects in lockstep.

Each object's measurements are processed in time order; scalar measurements sharing an
epoch are applied one after the other (Joseph-form update).  Between epochs the state and
covariance are propagated with two-body + J2..J4 (:func:`.dynamics.j2_step`, all objects at
once with their own time steps) and white-noise acceleration process noise (SNC, Tapley,
Schutz & Born sec. 4.9):

    Q = sigma_a^2 [[dt^3/3 I, dt^2/2 I], [dt^2/2 I, dt I]]

Innovations larger than ``gate_sigma`` standard deviations are rejected (not applied).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dynamics import OD_DEGREE, J2Dynamics, j2_step
from .measurements import predict, residual
from .observations import Observations
from .solution import OdSolution


@dataclass(frozen=True)
class EkfOptions:
    """``sigma_acc_km_s2``: SNC white-noise acceleration (km/s^2, per axis);
    ``gate_sigma``: innovation gate (None = accept all)."""

    sigma_acc_km_s2: float = 1e-8
    gate_sigma: float | None = 5.0


def snc_process_noise(dt_s: np.ndarray, sigma_acc_km_s2: float) -> np.ndarray:
    """SNC process noise (n, 6, 6) for steps ``dt_s`` (n,), km^2 ... units."""
    dt = np.abs(np.asarray(dt_s, float))[:, None, None]
    eye = np.eye(3)
    q = np.concatenate([
        np.concatenate([dt**3 / 3 * eye, dt**2 / 2 * eye], axis=2),
        np.concatenate([dt**2 / 2 * eye, dt * eye], axis=2),
    ], axis=1)  # fmt: skip
    return sigma_acc_km_s2**2 * q


def extended_kalman_filter(
    obs: Observations,
    object_ids,
    x0: np.ndarray,
    p0: np.ndarray,
    epochs_utc: np.ndarray,
    options: EkfOptions = EkfOptions(),
    dynamics: J2Dynamics | None = None,
) -> list[OdSolution]:
    """Filter the observations of ``object_ids`` from GCRS states ``x0`` (n, 6) with
    covariances ``p0`` (n, 6, 6) at ``epochs_utc`` (n,).  Returns one :class:`OdSolution`
    per object at its *last* measurement time (``rms``: RMS of the normalized pre-fit
    innovations; ``n_used``: measurements applied)."""
    ids = np.asarray(object_ids).astype(str)
    n = ids.size
    x = np.array(x0, float).reshape(n, 6)
    p = np.array(p0, float).reshape(n, 6, 6)
    t_cur = np.asarray(epochs_utc, "datetime64[us]").reshape(n).copy()
    dyn = dynamics or J2Dynamics.at(t_cur.min(), degree=OD_DEGREE)
    pos = {k: i for i, k in enumerate(ids.tolist())}
    keep = np.isin(obs.object_id, ids)
    t0_of = dict(zip(ids.tolist(), t_cur.tolist(), strict=True))
    t_first_row = np.array([t0_of.get(k, None) for k in obs.object_id.tolist()], dtype=object)
    keep &= np.array([t is not None and t <= tt for t, tt in
                      zip(t_first_row.tolist(), obs.times_utc.tolist(), strict=True)])  # fmt: skip
    n_all = {k: int(np.sum(obs.object_id == k)) for k in ids.tolist()}
    o = obs.subset(np.flatnonzero(keep))
    obj = np.array([pos[k] for k in o.object_id.tolist()], int)
    order = np.lexsort((o.times_utc, obj))
    o, obj = o.subset(order), obj[order]
    site_r, site_v, enu = o.geometry
    # epoch groups per object: (object, time) -> rows; lockstep index per object
    key_change = np.concatenate([[True], (obj[1:] != obj[:-1])
                                 | (o.times_utc[1:] != o.times_utc[:-1])])  # fmt: skip
    g_obj = obj[key_change]
    g_first = np.flatnonzero(key_change)
    g_size = np.diff(np.append(g_first, len(o)))
    # rank of each group within its object
    obj_start = np.searchsorted(g_obj, np.arange(n))
    g_rank = np.arange(g_obj.size) - obj_start[g_obj]
    n_steps = int(g_rank.max()) + 1 if g_rank.size else 0
    sum_z2 = np.zeros(n)
    n_used = np.zeros(n, int)
    n_obs = np.array([n_all[k] for k in ids.tolist()], int)
    eye6 = np.eye(6)
    lost = np.zeros(n, bool)
    for k in range(n_steps):
        gs = np.flatnonzero(g_rank == k)
        io = g_obj[gs]
        t_new = o.times_utc[g_first[gs]]
        dt = (t_new - t_cur[io]).astype("timedelta64[us]").astype(float) / 1e6
        xn, phi = j2_step(dyn, x[io], dt)
        # an object the integrator dropped stays NaN and leaves the filter, with its reason;
        # the others go on
        lost[io] |= ~np.all(np.isfinite(xn), axis=1)
        x[io] = xn
        p[io] = phi @ p[io] @ np.swapaxes(phi, 1, 2) + snc_process_noise(
            dt, options.sigma_acc_km_s2
        )
        t_cur[io] = t_new
        for j in range(int(g_size[gs].max())):
            has = g_size[gs] > j
            rows = g_first[gs[has]] + j
            oi = io[has]
            h, hx = predict(o.kind[rows], x[oi], site_r[rows], site_v[rows], enu[rows])
            dy = residual(o.kind[rows], o.value[rows], h)
            ph = np.einsum("nij,nj->ni", p[oi], hx)
            s = np.einsum("ni,ni->n", hx, ph) + o.sigma[rows] ** 2
            z = dy / np.sqrt(s)
            ok = np.isfinite(z)
            if options.gate_sigma is not None:
                ok &= np.abs(z) <= options.gate_sigma
            kg = np.where(ok[:, None], ph / s[:, None], 0.0)
            x[oi] = x[oi] + kg * np.where(ok, dy, 0.0)[:, None]
            ikh = eye6 - np.einsum("ni,nj->nij", kg, hx)
            p[oi] = (ikh @ p[oi] @ np.swapaxes(ikh, 1, 2)
                     + np.einsum("ni,nj->nij", kg, kg) * (o.sigma[rows] ** 2)[:, None, None])  # fmt: skip
            p[oi] = 0.5 * (p[oi] + np.swapaxes(p[oi], 1, 2))
            np.add.at(sum_z2, oi[ok], z[ok] ** 2)
            np.add.at(n_used, oi[ok], 1)
    sols = []
    for i, oid in enumerate(ids.tolist()):
        with np.errstate(invalid="ignore", divide="ignore"):
            rms = float(np.sqrt(sum_z2[i] / n_used[i]))
        ok = n_used[i] >= 6 and not lost[i]
        msg = ("propagation failed: state could not be integrated" if lost[i] else
               "" if ok else "too few measurements applied")  # fmt: skip
        state = np.full(6, np.nan) if lost[i] else x[i].copy()
        sols.append(OdSolution(oid, t_cur[i], state, p[i].copy(), rms, int(n_obs[i]),
                               int(n_used[i]), 1, bool(ok), {}, "ekf", msg))  # fmt: skip
    return sols


def ekf_from_iod(
    obs: Observations,
    options: EkfOptions = EkfOptions(),
    sigma_pos_km: float = 1.0,
    sigma_vel_km_s: float = 0.01,
    refine_s: float | None = 1800.0,
):
    """IOD -> EKF for every object in ``obs``; returns (solutions, failures).

    The IOD (:func:`.pipeline.initial_states`) is first refined by a batch fit to the
    observations within ``refine_s`` of its epoch (a better linearization point only: the
    EKF starts from it with the loose diagonal covariance ``sigma_pos_km``/``sigma_vel_km_s``,
    so no information is counted twice), moved to the first measurement of that window and
    filtered forward over all later measurements (earlier ones precede the filter's
    initialization and count in ``n_obs`` but not ``n_used``)."""
    from .batch import batch_least_squares
    from .pipeline import initial_states

    ids, x0, ep, _, failures = initial_states(obs)
    if ids.size == 0:
        return [], failures
    dyn = J2Dynamics.at(ep.min(), degree=OD_DEGREE)
    if refine_s:
        keep = np.isin(obs.object_id, ids)
        rows = np.flatnonzero(keep)
        pos = {k: i for i, k in enumerate(ids.tolist())}
        oi = np.array([pos[k] for k in obs.object_id[rows].tolist()], int)
        dt = np.abs((obs.times_utc[rows] - ep[oi]).astype("timedelta64[us]").astype(float))
        near = rows[dt <= refine_s * 1e6]
        for i, sol in enumerate(batch_least_squares(obs.subset(near), ids, x0, ep, dyn)):
            if sol.converged:
                x0[i] = sol.state
    # the filter starts at the first measurement of the refinement window around the IOD
    # epoch; earlier measurements (before the filter is initialized) are not processed
    span = np.timedelta64(int((refine_s or 0.0) * 1e6), "us")
    first = np.array([obs.times_utc[(obs.object_id == k) & (obs.times_utc >= e - span)].min()
                      for k, e in zip(ids.tolist(), ep, strict=True)])  # fmt: skip
    dt = (first - ep).astype("timedelta64[us]").astype(float) / 1e6
    xs, _ = j2_step(dyn, x0, dt)
    p0 = np.tile(np.diag([sigma_pos_km**2] * 3 + [sigma_vel_km_s**2] * 3), (ids.size, 1, 1))
    return extended_kalman_filter(obs, ids, xs, p0, first, options, dyn), failures
