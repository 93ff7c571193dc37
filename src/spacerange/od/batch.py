"""Batch weighted least squares (differential correction) for many objects at once.

Each evaluation linearizes about the trial trajectories of *all* active objects together
(one vectorized propagation with STMs), forms per-object normal equations
``N = sum H^T W H (+ P0^-1)``, ``b = sum H^T W dy (+ P0^-1 (x_ap - x))`` with
``H = (dh/dx)(t) Phi(t, t0)`` (Vallado Algorithm 68; Tapley, Schutz & Born, *Statistical
Orbit Determination*, sec. 4.6), and proposes a correction per object.

Step control (Levenberg-Marquardt, per object; Nocedal & Wright sec. 10.3): the correction
solves ``(N + lambda diag N) dx = b``.  A trial state is accepted only when it lowers the
object's cost; otherwise ``lambda`` grows tenfold and a shorter, more gradient-like step is
tried from the last accepted state (no re-linearization needed), so a poor initial orbit or a
long arc cannot make an object oscillate or diverge.  After an accepted step ``lambda``
shrinks tenfold (Gauss-Newton near the solution).  A trial orbit that cannot be integrated
counts as a rejected step.

Cost and residual editing: from the ``edit_after``-th accepted evaluation on, a measurement is
used when its normalized residual ``|dy|/sigma`` is at most ``edit_sigma`` times the object's
weighted RMS (floored at 1), re-decided at every accepted state (edited points may return).
The cost compared between trials is the truncated quadratic ``sum min(z^2, T^2)`` with the
same threshold ``T`` for both, so editing cannot fake an improvement.

Convergence (per object, at an accepted state with editing active): the relative change of
the weighted RMS between two accepted states is below ``rms_rel_tol``, or the Gauss-Newton
step predicts a cost reduction ``b^T N^-1 b`` below ``2 rms_rel_tol`` of the cost (the same
tolerance on RMS, read off the linear model: no further step can move the RMS by more).
At most ``max_iter`` evaluations.

Covariance (``covariance``): ``"formal"`` is ``N^-1`` with the sensors' noise.  ``"realistic"``
(default) adds what the residuals show beyond that noise: with ``g_k = sum_(i in track k)
h_i z_i`` the score of each track (cluster), ``M = c sum_k g_k g_k^T`` (``c = G/(G-1)
(m-1)/(m-6)``, the CR1 small-sample factor), the cluster-robust ("sandwich") covariance
``N^-1 M N^-1`` (Liang & Zeger 1986) replaces ``N^-1`` in the directions where the track
scores scatter more than the white-noise model predicts: ``P = N^-1 + N^-1 (M - N)_+ N^-1``
(``(.)_+``: positive part).  Unmodeled forces and sensor biases produce residuals correlated
within a track (and across tracks); white-noise weighting alone then gives a formal sigma ten
to a hundred times too small.  The sandwich only sees the part of the model error left in the
residuals; the part the six epoch elements absorb is invisible to it.  With ``consider``
(default) the realistic covariance therefore also carries a consider term for an unmodeled
constant RTN acceleration ``a`` of covariance ``C`` (:mod:`.consider`): the estimate moves by
``-N^-1 H^T W H_a a`` (``H_a`` the measurement partials through the acceleration sensitivity
of :meth:`.dynamics.J2Dynamics.acceleration_sensitivity`), so ``P += S C S^T`` with
``S = N^-1 H^T W H_a`` (Tapley, Schutz & Born sec. 6.3), and a second consider term for
the *periodic position* difference between the truth's theory and the fit's dynamics (an
SGP4 catalog's truncated short-period terms: :func:`.consider.periodic_mismatch_sigma`):
with the truth ``X(t) + delta(t)``, ``delta = J(t) c`` (harmonics of the argument of
latitude per RTN axis, :func:`.consider.mismatch_partials`), the estimate moves by
``S_c c = N^-1 H^T W H J c`` while the truth at the epoch is off the model by ``J(t0) c``,
so the error against the truth is ``(S_c - J(t0)) c`` and ``P += (S_c - J(t0)) C_c (S_c -
J(t0))^T``: full rank in position, unlike the acceleration term, and not absorbed by the
epoch state.  A matched simulation (the truth has exactly the fit's forces) should turn
both off (``consider=False``).

Per-object isolation: an object whose trial trajectory cannot be propagated never stops the
others; without any accepted state, or when its damping runs away, it leaves the batch with
the reason in :attr:`OdSolution.message` (NaN state when it never had an accepted state).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dynamics import OD_DEGREE, J2Dynamics, OdDynamics
from .measurements import KIND_NAMES, predict, residual
from .observations import Observations
from .solution import OdSolution

LAMBDA_MAX = 1e10


@dataclass(frozen=True)
class BatchOptions:
    """Batch settings: ``max_iter`` (evaluations); ``rms_rel_tol`` (relative RMS change to
    stop); ``edit_sigma`` (n-sigma editing, None = off); ``edit_after`` (accepted evaluations
    before editing starts); ``min_obs`` (fewer accepted measurements: not converged);
    ``lm_lambda0`` (initial Levenberg-Marquardt damping, 0 = plain Gauss-Newton with step
    rejection); ``covariance`` ``"realistic"`` or ``"formal"`` (see the module doc);
    ``max_rms``: a stationary point with a larger weighted RMS is a wrong minimum (e.g. an
    along-track error of a whole pass: RMS 9,000-110,000 in the diagnosed cases, against 1-150
    for right ones fitted with two-body + J2 to SGP4 motion), reported as not converged;
    ``consider``: add the unmodeled-acceleration consider term to the realistic covariance
    (see the module doc)."""

    max_iter: int = 50
    rms_rel_tol: float = 1e-3
    edit_sigma: float | None = 3.0
    edit_after: int = 2
    min_obs: int = 6
    lm_lambda0: float = 1e-3
    covariance: str = "realistic"
    max_rms: float = 1000.0
    consider: bool = True


def _seconds(times: np.ndarray, epochs: np.ndarray) -> np.ndarray:
    return (times - epochs).astype("timedelta64[us]").astype(float) / 1e6


def _sum_by(idx: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
    """``out[k] = sum of vals[idx == k]`` (n, ...) by one sort and ``np.add.reduceat``
    (``np.add.at`` is unbuffered and ~10x slower on millions of rows)."""
    flat = vals.reshape(len(idx), -1)
    out = np.zeros((n, flat.shape[1]))
    if len(idx):
        if np.all(idx[1:] >= idx[:-1]):  # rows sorted by object already (the usual case)
            si, fl = idx, flat
        else:
            order = np.argsort(idx, kind="stable")
            si, fl = idx[order], flat[order]
        starts = np.flatnonzero(np.concatenate([[True], si[1:] != si[:-1]]))
        out[si[starts]] = np.add.reduceat(fl, starts, axis=0)
    return out.reshape((n, *vals.shape[1:]))


def _solve(nmat: np.ndarray, bvec: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """dx (k, 6) from (N + lam diag N) dx = b, per object; NaN where singular."""
    d = np.einsum("kii->ki", nmat)
    a = nmat + (lam[:, None] * d)[:, :, None] * np.eye(6)
    try:
        return np.linalg.solve(a, bvec[..., None])[..., 0]
    except np.linalg.LinAlgError:
        pass
    out = np.full(bvec.shape, np.nan)
    for i in range(a.shape[0]):  # a singular system is this object's own
        try:
            out[i] = np.linalg.solve(a[i], bvec[i])
        except np.linalg.LinAlgError:
            pass
    return out


def _inv(nmat: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(nmat)
    except np.linalg.LinAlgError:
        pass
    out = np.full(nmat.shape, np.nan)
    for i in range(nmat.shape[0]):
        try:
            out[i] = np.linalg.inv(nmat[i])
        except np.linalg.LinAlgError:
            out[i] = np.linalg.pinv(nmat[i])
    return out


def realistic_covariance(nmat: np.ndarray, mmat: np.ndarray) -> np.ndarray:
    """``N^-1 + N^-1 (M - N)_+ N^-1`` per object (n, 6, 6) (see the module doc)."""
    p = _inv(nmat)
    # (M - N)_+ in the metric of N: whiten with N^-1/2 so the comparison is per direction.
    # All objects at once: LAPACK and the matrix products work matrix by matrix, so each
    # object gets the numbers it gets alone
    out = p.copy()
    ok = np.flatnonzero(np.isfinite(mmat).all(axis=(1, 2)) & np.isfinite(p).all(axis=(1, 2)))
    if not ok.size:
        return out
    nm = nmat[ok]
    w, v = np.linalg.eigh(0.5 * (nm + np.swapaxes(nm, 1, 2)))
    pos = np.all(w > 0, axis=1)
    ok, nm, w, v = ok[pos], nm[pos], w[pos], v[pos]
    if not ok.size:
        return out
    s = v / np.sqrt(w)[:, None, :]  # N^-1/2 = s v^T
    st = np.swapaxes(s, 1, 2)
    inner = st @ (mmat[ok] - nm) @ s  # whitened excess
    e, u = np.linalg.eigh(0.5 * (inner + np.swapaxes(inner, 1, 2)))
    excess = (u * np.maximum(e, 0.0)[:, None, :]) @ np.swapaxes(u, 1, 2)
    out[ok] = p[ok] + s @ excess @ st
    return out


def _consider_covariance(dyn, o, obj, s, idx, x_ref, acc, n_ref, n, z, ballistic=None):
    """Consider covariance (len(idx), 6, 6) of the objects ``idx``: ``S C S^T``, the
    epoch-state error an unmodeled constant RTN acceleration ``a`` with covariance ``C =
    diag(sigma_rtn^2)`` leaves in the estimate (``S = N^-1 H^T W H_a``, ``H_a = dh/dx Psi``;
    Tapley, Schutz & Born sec. 6.3), plus ``(S_c - J_0) C_c (S_c - J_0)^T`` for the periodic
    position mismatch (see the module doc; ``C_c``: each of the ``2 K + 1`` coefficients per
    axis with variance ``sigma^2 / (K + 1)``, so the mismatch's RMS over the orbit is
    ``sigma``).  The drag sigma combines the prior drag with what the whitened residuals
    ``z`` (of all rows) show beyond the six elements (:func:`.consider.drag_consider_sigma`:
    the larger of the two for an object whose ballistic coefficient is given, the posterior
    second moment for one sized by the reference); returns the covariance and that
    estimate with its formal sigma (len(idx), 2) km/s^2."""
    from .consider import (
        MISMATCH_HARMONICS,
        along_track_acceleration_estimate,
        drag_consider_sigma,
        mismatch_measurement_partials,
        mismatch_partials,
        periodic_mismatch_sigma,
        unmodeled_acceleration_sigma,
    )

    sel = np.zeros(n, bool)
    sel[idx] = True
    rows = np.flatnonzero(sel[obj] & acc)
    remap = np.full(n, -1)
    remap[idx] = np.arange(idx.size)
    out = np.zeros((idx.size, 6, 6))
    if rows.size == 0:
        return out, np.full((idx.size, 2), np.nan)
    x, phi, psi = dyn.acceleration_sensitivity(x_ref[idx], s[rows], remap[obj[rows]])
    site_r, site_v, enu = o.geometry
    _, hx = predict(o.kind[rows], x, site_r[rows], site_v[rows], enu[rows])
    w = 1.0 / o.sigma[rows]
    hw = np.einsum("mi,mij->mj", hx, phi) * w[:, None]
    ha = np.einsum("mi,mij->mj", hx, psi) * w[:, None]
    good = np.all(np.isfinite(hw), 1) & np.all(np.isfinite(ha), 1)
    nxa = _sum_by(remap[obj[rows]][good], np.einsum("mi,mj->mij", hw[good], ha[good]), idx.size)
    ninv = _inv(n_ref[idx])
    sens = np.einsum("nij,njk->nik", ninv, nxa)  # (k, 6, 3)
    bal = None if ballistic is None else ballistic[idx]
    sig = unmodeled_acceleration_sigma(x_ref[idx], ballistic_m2_kg=bal)  # (k, 3) km/s^2
    # drag: the prior and what the residuals show (the along-track acceleration a 7th solve-for
    # would take, :func:`.consider.along_track_acceleration_estimate`)
    ro = remap[obj[rows]]
    zr = np.where(np.isfinite(z[rows]), z[rows], 0.0)[good]
    a_hat, a_sig = along_track_acceleration_estimate(
        ninv, nxa[:, :, 1],
        np.bincount(ro[good], weights=ha[good, 1] ** 2, minlength=idx.size),
        _sum_by(ro[good], hw[good] * zr[:, None], idx.size),
        np.bincount(ro[good], weights=ha[good, 1] * zr, minlength=idx.size),
    )  # fmt: skip
    known = np.zeros(idx.size, bool) if bal is None else np.isfinite(bal)
    sig[:, 1] = drag_consider_sigma(sig[:, 1], a_hat, a_sig, known)
    out = np.einsum("nik,nk,njk->nij", sens, sig**2, sens)
    # the periodic position mismatch: (S_c - J_0) C (S_c - J_0)^T
    ro = remap[obj[rows]]
    hc = mismatch_measurement_partials(hx, x, x_ref[idx][ro]) * w[:, None]  # (m, 3 L)
    good &= np.all(np.isfinite(hc), 1)
    nxc = _sum_by(ro[good], np.einsum("mi,ml->mil", hw[good], hc[good]), idx.size)
    sc = np.einsum("nij,njl->nil", ninv, nxc) - mismatch_partials(x_ref[idx], x_ref[idx])
    k_h = MISMATCH_HARMONICS + 1.0  # each coefficient's variance: sigma^2 / (K + 1)
    var_c = periodic_mismatch_sigma(x_ref[idx]) ** 2 / k_h  # (k,) km^2 per coefficient
    out += var_c[:, None, None] * np.einsum("nil,njl->nij", sc, sc)
    return np.where(np.isfinite(out), out, 0.0), np.stack([a_hat, a_sig], axis=1)


def batch_least_squares(
    obs: Observations,
    object_ids,
    x0: np.ndarray,
    epochs_utc: np.ndarray,
    dynamics: OdDynamics | None = None,
    apriori_cov: np.ndarray | None = None,
    options: BatchOptions = BatchOptions(),
    ballistic_m2_kg: np.ndarray | None = None,
) -> list[OdSolution]:
    """Differential correction of the GCRS epoch states ``x0`` (n, 6) of ``object_ids``.

    ``epochs_utc`` (n,) datetime64[us]: each object's solve-for epoch (observations may lie
    on either side).  ``apriori_cov`` (n, 6, 6) optional a priori
    covariance of ``x0`` (km^2 ...).  ``dynamics`` defaults to :class:`J2Dynamics` with the
    mean pole at the first epoch.  ``ballistic_m2_kg`` (n,) optional: the objects' known
    ballistic coefficients, which size the consider covariance's drag
    (:func:`.consider.unmodeled_acceleration_sigma`; NaN: the reference).  Returns one
    :class:`OdSolution` per object, in order.
    """
    ids = np.asarray(object_ids).astype(str)
    n = ids.size
    x_try = np.array(x0, float).reshape(n, 6)
    x_ap = x_try.copy()
    x_ref = np.full((n, 6), np.nan)
    epochs = np.asarray(epochs_utc, "datetime64[us]").reshape(n)
    pos = {k: i for i, k in enumerate(ids.tolist())}
    keep = np.isin(obs.object_id, ids)
    o = obs.subset(np.flatnonzero(keep))
    obj = np.array([pos[k] for k in o.object_id.tolist()], int)
    s = _seconds(o.times_utc, epochs[obj])
    bal = None if ballistic_m2_kg is None else np.asarray(ballistic_m2_kg, float).reshape(n)
    dyn = dynamics or J2Dynamics.at(
        epochs.min() if n else np.datetime64("2000-01-01"), degree=OD_DEGREE
    )
    site_r, site_v, enu = o.geometry
    sig = o.sigma
    m = len(o)
    # clusters for the realistic covariance: one per (object, track); unknown tracks by site
    ckey = np.where(o.track >= 0, o.track, -1 - o.site).astype(np.int64)
    # numbered in (object, key) order: the key's dense rank makes one int64 per row (a
    # row-wise unique with axis=0 sorts a structured view, several times slower)
    _, ck = np.unique(ckey, return_inverse=True)
    _, cl = np.unique(obj.astype(np.int64) * (int(ck.max()) + 1 if m else 1) + ck.ravel(),
                      return_inverse=True)  # fmt: skip
    cl = cl.ravel()
    n_cl = int(cl.max()) + 1 if m else 0
    cl_obj = np.zeros(n_cl, int)
    cl_obj[cl] = obj
    info0 = None
    if apriori_cov is not None:
        info0 = np.linalg.inv(np.asarray(apriori_cov, float).reshape(n, 6, 6))

    active = np.ones(n, bool)
    has_ref = np.zeros(n, bool)
    converged = np.zeros(n, bool)
    evals = np.zeros(n, int)
    n_acc = np.zeros(n, int)
    lam = np.full(n, float(options.lm_lambda0))
    thr = np.full(n, np.inf)  # editing threshold T (normalized residual)
    cost_ref = np.full(n, np.inf)
    rms_ref = np.full(n, np.nan)
    rms_prev = np.full(n, np.inf)
    n_ref = np.zeros((n, 6, 6))
    b_ref = np.zeros((n, 6))
    m_ref = np.full((n, 6, 6), np.nan)
    n_clusters = np.zeros(n, int)
    n_ok = np.zeros(n, int)
    z_last = np.full(m, np.nan)
    acc_last = np.isfinite(o.value)
    fail_msg: dict[int, str] = {}

    def propose(sel: np.ndarray) -> None:
        """New trial states from the stored normal equations of the objects ``sel``."""
        if not sel.any():
            return
        idx = np.flatnonzero(sel)
        dx = _solve(n_ref[idx], b_ref[idx], lam[idx])
        x_try[idx] = x_ref[idx] + dx

    for _it in range(options.max_iter):
        if not active.any():
            break
        act_idx = np.flatnonzero(active)
        rows = np.flatnonzero(active[obj])
        remap = np.full(n, -1)
        remap[act_idx] = np.arange(act_idx.size)
        if rows.size:
            x, phi = dyn.trajectory(x_try[act_idx], s[rows], remap[obj[rows]])
        else:
            x, phi = np.zeros((0, 6)), np.zeros((0, 6, 6))
        evals[active] += 1
        ro = obj[rows]
        h, hx = predict(o.kind[rows], x, site_r[rows], site_v[rows], enu[rows])
        hmat = np.einsum("mi,mij->mj", hx, phi)
        z = residual(o.kind[rows], o.value[rows], h) / sig[rows]
        fin = np.isfinite(z) & np.all(np.isfinite(hmat), axis=1)
        # objects whose trial trajectory could not be integrated (NaN rows)
        lost = np.zeros(n, bool)
        lost[np.unique(ro[~np.all(np.isfinite(x), axis=1)])] = True
        lost &= active
        # truncated cost of the trial with the reference's threshold
        zt = np.where(fin, np.minimum(z * z, thr[ro] ** 2), 0.0)
        cost = np.bincount(ro, weights=zt, minlength=n)
        if info0 is not None:
            d0 = x_try - x_ap
            cost = cost + np.einsum("ni,nij,nj->n", d0, info0, d0)
        cost = np.where(np.isfinite(cost), cost, np.inf)
        better = active & ~lost & (~has_ref | (cost <= cost_ref))
        worse = active & ~better
        # never accepted and lost: out with its reason
        dead = worse & ~has_ref
        for i in np.flatnonzero(dead):
            fail_msg[int(i)] = ("propagation failed: trial orbit could not be integrated "
                                f"(evaluation {int(evals[i])})")  # fmt: skip
        active &= ~dead
        worse &= ~dead
        # rejected trials: more damping, shorter step from the accepted state
        lam[worse] *= 10.0
        runaway = worse & (lam > LAMBDA_MAX)
        for i in np.flatnonzero(runaway):
            fail_msg[int(i)] = (f"no descent from the best state (damping above {LAMBDA_MAX:g}"
                                f" after {int(evals[i])} evaluations)")  # fmt: skip
        active &= ~runaway
        propose(worse & ~runaway)
        if not better.any():
            continue
        # accepted trials: the new reference
        acc_rows = better[ro]
        r_idx, rz, rh, rf = rows[acc_rows], z[acc_rows], hmat[acc_rows], fin[acc_rows]
        rr = ro[acc_rows]
        x_ref[better] = x_try[better]
        has_ref |= better
        with np.errstate(invalid="ignore", divide="ignore"):
            use = rf & (np.abs(np.where(rf, rz, 0.0)) <= thr[rr])
            ss = np.bincount(rr, weights=np.where(use, rz * rz, 0.0), minlength=n)
            cnt = np.bincount(rr, weights=use.astype(float), minlength=n)
            rms_now = np.sqrt(ss / cnt)
        edit_on = options.edit_sigma is not None
        new_thr = better & edit_on & (n_acc >= options.edit_after) & np.isfinite(rms_now)
        thr[new_thr] = options.edit_sigma * np.maximum(rms_now[new_thr], 1.0)
        ok = rf & (np.abs(np.where(rf, rz, 0.0)) <= thr[rr])
        zz = np.where(ok, rz, 0.0)
        ss = np.bincount(rr, weights=zz * zz, minlength=n)
        cnt = np.bincount(rr, weights=ok.astype(float), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            rms = np.sqrt(ss / cnt)
        cost_ref[better] = np.bincount(rr, weights=np.where(rf, np.minimum(rz * rz,
                                       thr[rr] ** 2), 0.0), minlength=n)[better]  # fmt: skip
        w = np.where(ok, 1.0 / sig[r_idx], 0.0)
        hw = np.where(ok[:, None], rh * w[:, None], 0.0)  # NaN * 0 would poison N
        nmat = _sum_by(rr, np.einsum("mi,mj->mij", hw, hw), n)
        bvec = _sum_by(rr, hw * zz[:, None], n)
        # track scores for the realistic covariance
        gk = _sum_by(cl[r_idx], hw * zz[:, None], n_cl)
        ncl = np.bincount(cl_obj, weights=(np.abs(gk).sum(1) > 0), minlength=n)
        mmat = _sum_by(cl_obj, np.einsum("ki,kj->kij", gk, gk), n)
        if info0 is not None:
            nmat = nmat + info0
            bvec = bvec + np.einsum("nij,nj->ni", info0, x_ap - x_ref)
            cost_ref[better] += np.einsum("ni,nij,nj->n", x_ref - x_ap, info0,
                                          x_ref - x_ap)[better]  # fmt: skip
        z_last[r_idx] = rz
        acc_last[r_idx] = ok
        n_ref[better], b_ref[better], m_ref[better] = nmat[better], bvec[better], mmat[better]
        n_clusters[better] = ncl[better].astype(int)
        n_ok[better] = cnt[better].astype(int)
        n_acc[better] += 1
        enough = cnt >= (options.min_obs if info0 is None else 1)
        short = better & ~enough
        active &= ~short
        ok_obj = better & enough
        rms_ref[ok_obj] = rms[ok_obj]
        # convergence at the new reference
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.abs(rms - rms_prev) / np.maximum(rms, 1e-12)
            gn = np.full(n, np.inf)
            k = np.flatnonzero(ok_obj)
            gn[k] = np.einsum("ni,ni->n", bvec[k], _solve(nmat[k], bvec[k], np.zeros(k.size)))
        settled = np.isfinite(thr) if edit_on else np.ones(n, bool)
        done = ok_obj & settled & (((n_acc >= 2) & (rel < options.rms_rel_tol))
                                   | (gn <= 2.0 * options.rms_rel_tol * ss))  # fmt: skip
        wrong = done & (rms > options.max_rms)
        for i in np.flatnonzero(wrong):
            fail_msg[int(i)] = (f"stalled with weighted RMS {rms[i]:.3g} > {options.max_rms:g}"
                                " (a wrong minimum or dynamics the model lacks)")  # fmt: skip
        converged |= done & ~wrong
        active &= ~done
        rms_prev[ok_obj] = rms[ok_obj]
        lam[ok_obj] = np.maximum(lam[ok_obj] / 10.0, 1e-12 if options.lm_lambda0 else 0.0)
        propose(ok_obj & active)

    cov_formal = np.full((n, 6, 6), np.nan)
    cov = np.full((n, 6, 6), np.nan)
    cov_con = None
    a_t = np.full((n, 2), np.nan)
    if has_ref.any():
        idx = np.flatnonzero(has_ref)
        cov_formal[idx] = _inv(n_ref[idx])
        cov[idx] = cov_formal[idx]
        if options.covariance == "realistic":
            g = np.maximum(n_clusters[idx], 2).astype(float)
            mm = np.maximum(n_ok[idx], 7).astype(float)
            c = g / (g - 1.0) * (mm - 1.0) / (mm - 6.0)
            cov[idx] = realistic_covariance(n_ref[idx], c[:, None, None] * m_ref[idx])
        elif options.covariance != "formal":
            raise ValueError(f"covariance must be 'realistic' or 'formal', got "
                             f"{options.covariance!r}")  # fmt: skip
        realistic = options.covariance == "realistic" and options.consider
        if realistic and hasattr(dyn, "acceleration_sensitivity"):
            cov_con = np.full((n, 6, 6), np.nan)
            cov_con[idx], a_t[idx] = _consider_covariance(dyn, o, obj, s, idx, x_ref, acc_last,
                                                          n_ref, n, z_last, bal)  # fmt: skip
            cov[idx] += cov_con[idx]
    # per object and measurement kind, over the accepted finite residuals: one bincount,
    # not a unique/mean per object (the loop below only assembles the solutions)
    n_kinds = len(KIND_NAMES)
    used_z = acc_last & np.isfinite(z_last)
    key = obj * n_kinds + o.kind
    cnt_k = np.bincount(key, weights=used_z, minlength=n * n_kinds).reshape(n, n_kinds)
    ss_k = np.bincount(key, weights=np.where(used_z, z_last, 0.0) ** 2,
                       minlength=n * n_kinds).reshape(n, n_kinds)  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        rms_k = np.sqrt(ss_k / cnt_k).tolist()
    has_k = (cnt_k > 0).tolist()
    n_obs = np.bincount(obj, minlength=n).tolist()
    a_ok = np.all(np.isfinite(a_t), axis=1).tolist()
    sols = []
    for i, oid in enumerate(ids.tolist()):
        by_kind = {KIND_NAMES[k]: rms_k[i][k] for k in range(n_kinds) if has_k[i][k]}
        n_used = int(n_ok[i]) if has_ref[i] else 0
        msg = "" if converged[i] else fail_msg.get(i) or (
            "too few usable observations" if n_used < options.min_obs else
            f"not converged in {options.max_iter} iterations")  # fmt: skip
        state = x_ref[i].copy() if has_ref[i] else np.full(6, np.nan)
        sols.append(OdSolution(oid, epochs[i], state, cov[i].copy(),
                               float(rms_ref[i]), n_obs[i], n_used,
                               int(evals[i]), bool(converged[i]), by_kind, "batch", msg,
                               None if cov_con is None else cov_con[i].copy(),
                               tuple(a_t[i].tolist()) if a_ok[i] else None))  # fmt: skip
    return sols
