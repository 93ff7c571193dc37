"""Batch weighted least squares (differential correction) for many objects at once.

Each iteration linearizes about the reference trajectories of *all* objects together
(one vectorized propagation with STMs), forms per-object normal equations
``N = sum H^T W H (+ P0^-1)``, ``b = sum H^T W dy (+ P0^-1 (x_ap - x))`` with
``H = (dh/dx)(t) Phi(t, t0)``, and corrects each object's epoch state (Vallado Algorithm
68; Tapley, Schutz & Born, *Statistical Orbit Determination*, sec. 4.6).

Residual editing: from iteration ``edit_after`` on, a measurement is used only when its
normalized residual ``|dy|/sigma`` is at most ``edit_sigma`` times the object's previous
weighted RMS (floored at 1), re-decided every iteration (so edited points may return).
Convergence: relative change of the weighted RMS below ``rms_rel_tol`` (and at least two
iterations), at most ``max_iter`` iterations; a diverging step (RMS up by more than 20 %)
is halved.  The formal covariance is ``N^-1``.

Per-object isolation: an object whose trajectory cannot be propagated (the vectorized
integrator dropped it, e.g. a trial orbit diving into the Earth) never stops the others.  After
a good iteration its step is halved and retried (as for a diverging RMS); without one, or after
three retries, it leaves the batch with the reason in :attr:`OdSolution.message` and a NaN state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dynamics import J2Dynamics, OdDynamics
from .measurements import KIND_NAMES, predict, residual
from .observations import Observations
from .solution import OdSolution


@dataclass(frozen=True)
class BatchOptions:
    """Batch settings: ``max_iter``; ``rms_rel_tol`` (relative RMS change to stop);
    ``edit_sigma`` (n-sigma editing, None = off); ``edit_after`` (first iteration that edits);
    ``min_obs`` (fewer accepted measurements: not converged)."""

    max_iter: int = 25
    rms_rel_tol: float = 1e-3
    edit_sigma: float | None = 3.0
    edit_after: int = 2
    min_obs: int = 6


def _seconds(times: np.ndarray, epochs: np.ndarray) -> np.ndarray:
    return (times - epochs).astype("timedelta64[us]").astype(float) / 1e6


def batch_least_squares(
    obs: Observations,
    object_ids,
    x0: np.ndarray,
    epochs_utc: np.ndarray,
    dynamics: OdDynamics | None = None,
    apriori_cov: np.ndarray | None = None,
    options: BatchOptions = BatchOptions(),
) -> list[OdSolution]:
    """Differential correction of the GCRS epoch states ``x0`` (n, 6) of ``object_ids``.

    ``epochs_utc`` (n,) datetime64[us]: each object's solve-for epoch (observations may lie
    on either side).  ``apriori_cov`` (n, 6, 6) optional a priori
    covariance of ``x0`` (km^2 ...).  ``dynamics`` defaults to :class:`J2Dynamics` with the
    mean pole at the first epoch.  Returns one :class:`OdSolution` per object, in order.
    """
    ids = np.asarray(object_ids).astype(str)
    n = ids.size
    x_ref = np.array(x0, float).reshape(n, 6)
    x_ap = x_ref.copy()
    epochs = np.asarray(epochs_utc, "datetime64[us]").reshape(n)
    pos = {k: i for i, k in enumerate(ids.tolist())}
    keep = np.isin(obs.object_id, ids)
    o = obs.subset(np.flatnonzero(keep))
    obj = np.array([pos[k] for k in o.object_id.tolist()], int)
    s = _seconds(o.times_utc, epochs[obj])
    dyn = dynamics or J2Dynamics.at(epochs.min() if n else np.datetime64("2000-01-01"))
    site_r, site_v, enu = o.geometry
    sig = o.sigma
    m = len(o)
    info0 = None
    if apriori_cov is not None:
        info0 = np.linalg.inv(np.asarray(apriori_cov, float).reshape(n, 6, 6))

    active = np.ones(n, bool)
    converged = np.zeros(n, bool)
    iters = np.zeros(n, int)
    rms_prev = np.full(n, np.inf)
    accepted = np.isfinite(o.value)
    cov = np.full((n, 6, 6), np.nan)
    dx_prev = np.zeros((n, 6))
    x_prev = x_ref.copy()
    z_last = np.full(m, np.nan)
    acc_last = accepted.copy()
    rms_last = np.full(n, np.nan)
    failed = np.zeros(n, bool)
    fail_msg: dict[int, str] = {}
    retries = np.zeros(n, int)
    for it in range(options.max_iter):
        if not active.any():
            break
        rows = np.flatnonzero(active[obj])
        act_idx = np.flatnonzero(active)
        # propagate only the active objects
        remap = np.full(n, -1)
        remap[act_idx] = np.arange(act_idx.size)
        x, phi = dyn.trajectory(x_ref[act_idx], s[rows], remap[obj[rows]])
        # objects the integrator dropped: non-finite states on their rows
        lost_rows = ~np.all(np.isfinite(x), axis=1)
        if lost_rows.any():
            lost = np.zeros(n, bool)
            lost[np.unique(obj[rows][lost_rows])] = True
            retry = lost & (retries < 3) & np.isfinite(rms_prev)
            retries[retry] += 1
            dx_prev[retry] *= 0.5
            x_ref[retry] = x_prev[retry] + dx_prev[retry]
            for i in np.flatnonzero(lost & ~retry):
                fail_msg[int(i)] = ("propagation failed: trial orbit could not be integrated "
                                    f"(iteration {it + 1}, {int(retries[i])} retries)")  # fmt: skip
            failed |= lost & ~retry
            active &= ~lost
            if retry.any():
                # retried objects rejoin next iteration; the others proceed now
                active |= retry
                keep_rows = ~retry[obj[rows]] & ~failed[obj[rows]]
            else:
                keep_rows = ~failed[obj[rows]]
            rows, x, phi = rows[keep_rows], x[keep_rows], phi[keep_rows]
            if rows.size == 0:
                continue
            pending = retry
        else:
            pending = np.zeros(n, bool)
        h, hx = predict(o.kind[rows], x, site_r[rows], site_v[rows], enu[rows])
        hmat = np.einsum("mi,mij->mj", hx, phi)
        dy = residual(o.kind[rows], o.value[rows], h)
        z = dy / sig[rows]
        ok = np.isfinite(z) & np.all(np.isfinite(hmat), axis=1)
        if options.edit_sigma is not None and it >= options.edit_after:
            thr = options.edit_sigma * np.maximum(np.where(np.isfinite(rms_prev), rms_prev, 1e30),
                                                  1.0)  # fmt: skip
            ok &= np.abs(z) <= thr[obj[rows]]
        zz = np.where(ok, z, 0.0)
        ss = np.bincount(obj[rows], weights=zz * zz, minlength=n)
        cnt = np.bincount(obj[rows], weights=ok.astype(float), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            rms = np.sqrt(ss / cnt)
        # divergence guard: RMS grew by > 20 %: halve the last step and retry
        worse = active & ~pending & (rms > 1.2 * rms_prev) & np.isfinite(rms_prev)
        if worse.any() and it > 0:
            dx_prev[worse] *= 0.5
            x_ref[worse] = x_prev[worse] + dx_prev[worse]
            iters[worse] += 1
            if np.all(~active | worse):
                continue
        good = active & ~worse & ~pending
        w = np.where(ok, 1.0 / sig[rows], 0.0)
        hw = np.where(ok[:, None], hmat * w[:, None], 0.0)  # NaN * 0 would poison N
        nmat = np.zeros((n, 6, 6))
        np.add.at(nmat, obj[rows], np.einsum("mi,mj->mij", hw, hw))
        bvec = np.zeros((n, 6))
        np.add.at(bvec, obj[rows], hw * np.where(ok, z, 0.0)[:, None])
        if info0 is not None:
            nmat = nmat + info0
            bvec = bvec + np.einsum("nij,nj->ni", info0, x_ap - x_ref)
        # record results of this linearization
        z_last[rows] = z
        acc_last[rows] = ok
        rms_last[good] = rms[good]
        enough = (cnt >= options.min_obs if info0 is None else cnt >= 1) | pending
        solv = good & enough
        dx = np.zeros((n, 6))
        if solv.any():
            try:
                pinv = np.linalg.inv(nmat[solv])
            except np.linalg.LinAlgError:
                pinv = np.linalg.pinv(nmat[solv])
            cov[solv] = pinv
            dx[solv] = np.einsum("nij,nj->ni", pinv, bvec[solv])
        rel = np.abs(rms - rms_prev) / np.maximum(rms, 1e-12)
        done = solv & (it >= 1) & (rel < options.rms_rel_tol)
        converged |= done
        active &= ~done
        active &= enough
        iters[good] += 1
        upd = active & solv
        x_prev[upd] = x_ref[upd]
        dx_prev[upd] = dx[upd]
        x_ref[upd] = x_ref[upd] + dx[upd]
        rms_prev[good] = rms[good]
    sols = []
    for i, oid in enumerate(ids.tolist()):
        sel = obj == i
        acc = acc_last[sel]
        zk = z_last[sel]
        by_kind = {}
        for k in np.unique(o.kind[sel]):
            mk = acc & (o.kind[sel] == k)
            if mk.any():
                by_kind[KIND_NAMES[k]] = float(np.sqrt(np.mean(zk[mk] ** 2)))
        msg = "" if converged[i] else fail_msg.get(i) or (
            "too few usable observations" if acc.sum() < options.min_obs else
            f"not converged in {options.max_iter} iterations")  # fmt: skip
        state = np.full(6, np.nan) if failed[i] else x_ref[i].copy()
        sols.append(OdSolution(oid, epochs[i], state, cov[i].copy(),
                               float(rms_last[i]), int(sel.sum()), int(acc.sum()),
                               int(iters[i]), bool(converged[i]), by_kind, "batch", msg))  # fmt: skip
    return sols
