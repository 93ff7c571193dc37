"""Simulation-domain Monte Carlo Pc (Hall et al. 2018), two-body, compiled, importance-sampled.

Both objects' states are sampled from their 6x6 Gaussian uncertainties (in equinoctial
elements by default, as CARA does; or Cartesian) at a common
epoch (the OD epoch, "from epoch", or TCA itself, "from TCA"), each sample pair is
propagated with exact two-body motion (:mod:`.sdmc_kernel`, numba, parallel over samples)
through the risk-assessment window, and a trial is a hit when the pair *enters* the
combined hard-body sphere within the window (first ingress only, so the estimate is a
probability, not an expected count; a pair already overlapping at the window start is not
counted unless it separates and enters again, as in Hall 2021 eq. 6).

Variance reduction (``variance_reduction``):

* ``"none"``: plain sampling; Pc = hits / trials with a Clopper-Pearson 95 % interval.
* ``"importance"``: a defensive mixture proposal (Hesterberg 1995)
  ``q = alpha p + (1 - alpha) p_shift`` in the whitened 12-D sample space.  ``p_shift``
  changes only the 2-D subspace that moves the linearized relative position in the
  encounter plane at the nominal closest approach: it is centred on the most likely
  collision point and spread over about two HBRs, so a useful fraction of trials hits
  whatever the Pc.  Each hit carries the weight ``p/q <= 1/alpha``; Pc is the mean
  weighted hit indicator with a normal-theory 95 % interval from the weighted sample
  variance.  The estimator is unbiased whatever the proposal, so a poor proposal
  (strongly curved encounters) costs samples, not correctness.
* ``"auto"`` (default): importance sampling when the linearized Pc estimate is below
  ``AUTO_IMPORTANCE_BELOW`` (hits would be rare) and a plain pilot run of
  ``AUTO_PILOT_TRIALS`` sees fewer than ``AUTO_PILOT_MIN_HITS`` hits; else plain sampling.

Sampling runs in chunks until ``n_samples`` trials, or, with ``target_rel``, until the 95 %
half-width is below ``target_rel * Pc`` (at most ``max_samples``).  Units: km, km/s, s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.stats import beta as beta_dist

from .encounter import MU_EARTH_KM3_S2
from .equinoctial import (
    cart_cov_to_equinoctial,
    cart_to_equinoctial,
    propagate_equinoctial,
    retrograde_factor,
    two_body_jacobian,
)

__all__ = ["SdmcResult", "pc_sdmc", "clopper_pearson", "nominal_closest_approach"]

Z95 = 1.959963984540054
#: ``auto`` importance-samples when the linearized Pc estimate is below this
AUTO_IMPORTANCE_BELOW = 1e-3
#: ... unless a plain pilot of this many trials sees at least this many hits
AUTO_PILOT_TRIALS = 20_000
AUTO_PILOT_MIN_HITS = 50


@dataclass
class SdmcResult:
    """Monte Carlo Pc with its 95 % interval.

    ``pc``; ``ci95`` (lo, hi); ``trials``; ``hits`` (raw count of penetrating samples);
    ``variance_reduction`` (``"none"`` or ``"importance"``); ``window_s`` the simulated
    interval (s from the epoch); ``tca_s`` the nominal closest approach used for the
    importance shift; ``shift_sigma`` the norm of that shift (whitened sigmas);
    ``ess`` Kish's effective sample size of the weights; ``seconds`` wall time.
    """

    pc: float
    ci95: tuple[float, float]
    trials: int
    hits: int
    variance_reduction: str
    window_s: tuple[float, float]
    tca_s: float
    shift_sigma: float
    ess: float
    seconds: float
    warnings: list[str] = field(default_factory=list)


def clopper_pearson(hits: int, trials: int, conf: float = 0.95) -> tuple[float, float]:
    """Exact binomial (Clopper-Pearson) interval for ``hits / trials``."""
    a = 1.0 - conf
    lo = 0.0 if hits == 0 else float(beta_dist.ppf(a / 2, hits, trials - hits + 1))
    hi = 1.0 if hits == trials else float(beta_dist.ppf(1 - a / 2, hits + 1, trials - hits))
    return lo, hi


def _factor(cov, name, warnings):
    """Square-root factor L with L L^T = cov (eigen form; negative eigenvalues clipped)."""
    lam, vec = np.linalg.eigh(0.5 * (cov + cov.T))
    if lam[0] < -1e-12 * max(lam[-1], 1e-300):
        warnings.append(f"{name}: not positive semidefinite (min eigenvalue {lam[0]:.3g}); "
                        "negative eigenvalues clipped to zero for sampling")  # fmt: skip
    return vec * np.sqrt(np.maximum(lam, 0.0))[None, :]


def nominal_closest_approach(x1_km, x2_km, window_s) -> float:
    """Time (s from the states' epoch) of the nominal two-body closest approach in a window."""
    fr1, fr2 = retrograde_factor(x1_km), retrograde_factor(x2_km)
    e1, e2 = cart_to_equinoctial(x1_km, fr1), cart_to_equinoctial(x2_km, fr2)
    t = np.linspace(window_s[0], window_s[1], 2001)

    def dist(tt):
        return np.linalg.norm(
            propagate_equinoctial(e2, tt, fr2)[..., :3]
            - propagate_equinoctial(e1, tt, fr1)[..., :3],
            axis=-1,
        )

    k = int(np.argmin(dist(t)))
    lo, hi = t[max(k - 1, 0)], t[min(k + 1, t.size - 1)]
    if hi <= lo:
        return float(t[k])
    res = minimize_scalar(lambda s: float(dist(np.array(s))), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-6 * max(1.0, hi - lo)})  # fmt: skip
    return float(res.x)


@dataclass
class _Proposal:
    """Importance proposal on the 2-D encounter-plane subspace of the whitened samples.

    ``q`` (12, 2) orthonormal basis of that subspace; the shifted component draws its
    2-D coordinates from N(center, chol chol^T); ``plane_pc`` the small-HBR linear estimate
    of Pc used by ``auto``; ``shift_sigma`` the norm of ``center``.
    """

    q: np.ndarray
    center: np.ndarray
    chol: np.ndarray
    plane_pc: float
    shift_sigma: float


def _proposal(e1, fr1, e2, fr2, l1, l2, t_ca, hbr_km, spread_hbr=2.0, elements=False) -> _Proposal:
    """Linearize the relative position at the nominal closest approach ``t_ca`` in the
    whitened 12-D sample space and aim a proposal at the collision disc: centre on the
    most likely collision point, spread ``spread_hbr`` HBRs in the encounter plane (never
    wider than the prior)."""
    x1t, psi1 = two_body_jacobian(e1, t_ca, fr1)
    x2t, psi2 = two_body_jacobian(e2, t_ca, fr2)
    if elements:  # samples are element vectors: psi maps them to the state at t_ca
        phi1, phi2 = psi1, psi2
    else:
        _, j1 = two_body_jacobian(e1, 0.0, fr1)
        _, j2 = two_body_jacobian(e2, 0.0, fr2)
        phi1 = psi1 @ np.linalg.inv(j1)  # Cartesian STM epoch -> t_ca
        phi2 = psi2 @ np.linalg.inv(j2)
    m = np.hstack([-(phi1 @ l1)[:3], (phi2 @ l2)[:3]])  # d(r2 - r1)/dz, 3 x 12
    rho = x2t[:3] - x1t[:3]
    vrel = x2t[3:] - x1t[3:]
    vn = np.linalg.norm(vrel)
    u = vrel / vn if vn > 0 else np.array([1.0, 0.0, 0.0])
    basis = np.linalg.svd(np.eye(3) - np.outer(u, u))[0][:, :2].T  # 2 x 3 plane basis
    mp = basis @ m  # 2 x 12
    q, _ = np.linalg.qr(mp.T)  # 12 x 2
    g = mp @ q  # plane coordinates = basis rho + g z_par
    ginv = np.linalg.inv(g)
    center = -ginv @ (basis @ rho)
    s_plane = (spread_hbr * hbr_km) ** 2 * np.eye(2)
    s = ginv @ s_plane @ ginv.T
    lam, vec = np.linalg.eigh(0.5 * (s + s.T))
    lam = np.minimum(lam, 1.0)  # never wider than the prior
    chol = vec * np.sqrt(lam)[None, :]
    cov_y = g @ g.T
    y = basis @ rho
    dens = np.exp(-0.5 * y @ np.linalg.solve(cov_y, y)) / (
        2 * np.pi * np.sqrt(np.linalg.det(cov_y))
    )
    return _Proposal(q, center, chol, float(min(1.0, np.pi * hbr_km**2 * dens)),
                     float(np.linalg.norm(center)))  # fmt: skip


def _bound_orbit(x) -> np.ndarray:
    """True where the state (n, 6) [km, km/s] is on an elliptic orbit."""
    rn = np.linalg.norm(x[:, :3], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_a = 2.0 / rn - np.einsum("ij,ij->i", x[:, 3:], x[:, 3:]) / MU_EARTH_KM3_S2
    return np.isfinite(inv_a) & (inv_a > 0)


class _Sampler:
    """Maps whitened 12-D samples to the two objects' element vectors.

    ``space="equinoctial"``: the Gaussian is in equinoctial elements (as CARA's SDMC and
    the 3-D Nc assume; curvilinear uncertainty); ``"cartesian"``: in position/velocity.
    """

    def __init__(self, x1, c1, x2, c2, space, warnings):
        self.space = space
        self.fr1, self.fr2 = float(retrograde_factor(x1)), float(retrograde_factor(x2))
        if space == "equinoctial":
            self.m1, p1 = cart_cov_to_equinoctial(x1, c1, self.fr1)
            self.m2, p2 = cart_cov_to_equinoctial(x2, c2, self.fr2)
        else:
            self.m1, p1, self.m2, p2 = x1, c1, x2, c2
        self.l1 = _factor(p1, "cov1", warnings)
        self.l2 = _factor(p2, "cov2", warnings)
        self.e1 = cart_to_equinoctial(x1, self.fr1)
        self.e2 = cart_to_equinoctial(x2, self.fr2)

    def elements(self, z):
        """(ea, eb, ok): element vectors of the usable samples and the usable mask."""
        s1 = self.m1 + z[:, :6] @ self.l1.T
        s2 = self.m2 + z[:, 6:] @ self.l2.T
        if self.space == "equinoctial":
            ok = _valid_elements(s1) & _valid_elements(s2)
            return s1[ok], s2[ok], ok
        ok = _bound_orbit(s1) & _bound_orbit(s2)
        return cart_to_equinoctial(s1[ok], self.fr1), cart_to_equinoctial(s2[ok], self.fr2), ok

    def run(self, z, t0, t1, step_s, hbr):
        from .sdmc_kernel import first_penetration  # numba compiles on first use only

        ea, eb, ok = self.elements(z)
        k = len(ea)
        t_hit = first_penetration(ea, np.full(k, self.fr1), eb, np.full(k, self.fr2),
                                  t0, t1, step_s, hbr)  # fmt: skip
        hit = np.zeros(len(z), bool)
        hit[np.flatnonzero(ok)] = np.isfinite(t_hit)
        return hit, int(len(z) - ok.sum())


def _valid_elements(e) -> np.ndarray:
    """True where element vectors (n, 6) describe elliptic orbits (n > 0, e < 1)."""
    return (e[:, 0] > 0) & (e[:, 1] ** 2 + e[:, 2] ** 2 < 1.0) & np.all(np.isfinite(e), axis=1)


def first_penetration_count(sampler: _Sampler, t0, t1, step_s, hbr, rng, n) -> int:
    """Hits among ``n`` plain samples (used by the ``auto`` pilot)."""
    hit, _ = sampler.run(rng.standard_normal((n, 12)), t0, t1, step_s, hbr)
    return int(hit.sum())


def pc_sdmc(
    x1_km,
    cov1_km2,
    x2_km,
    cov2_km2,
    hbr_km: float,
    window_s: tuple[float, float],
    *,
    n_samples: int = 200_000,
    target_rel: float | None = None,
    max_samples: int = 20_000_000,
    seed: int | None = 0,
    variance_reduction: str = "auto",
    alpha: float = 0.1,
    step_s: float | None = None,
    chunk: int = 200_000,
    t_focus_s: float | None = None,
    sample_space: str = "equinoctial",
) -> SdmcResult:
    """SDMC Pc of two objects from states ``x1_km, x2_km`` (6,) [km, km/s] at one common
    epoch with 6x6 inertial covariances, combined hard-body radius ``hbr_km``, over the
    window ``window_s = (t0, t1)`` in s from that epoch.  See the module docstring.

    ``sample_space``: ``"equinoctial"`` (default; the Gaussian lives in equinoctial
    elements, as in CARA's SDMC and the 3-D Nc) or ``"cartesian"``.
    ``t_focus_s`` (s from the epoch) is where the importance proposal linearizes the
    motion (default: the nominal closest approach in the window; the 3-D Nc's peak-rate
    time is better for curved encounters).  ``step_s`` is the propagation grid step (default: 1/100 of the shorter orbital period;
    candidate steps are re-sampled on a 32-interval sub-grid, see :mod:`.sdmc_kernel`).
    """
    import time

    t_start = time.perf_counter()
    if variance_reduction not in ("auto", "none", "importance"):
        raise ValueError(f"variance_reduction {variance_reduction!r}: auto | none | importance")
    x1 = np.asarray(x1_km, float).reshape(6)
    x2 = np.asarray(x2_km, float).reshape(6)
    c1 = np.asarray(cov1_km2, float).reshape(6, 6)
    c2 = np.asarray(cov2_km2, float).reshape(6, 6)
    t0, t1 = (float(t) for t in window_s)
    if not (np.isfinite(t0) and np.isfinite(t1) and t1 > t0):
        raise ValueError(f"window_s must be finite and increasing, got {window_s!r}")
    hbr = float(hbr_km)
    if not hbr > 0:
        raise ValueError("hbr_km must be positive")
    warnings: list[str] = []
    if sample_space not in ("equinoctial", "cartesian"):
        raise ValueError(f"sample_space {sample_space!r}: equinoctial | cartesian")
    smp = _Sampler(x1, c1, x2, c2, sample_space, warnings)
    fr1, fr2, e1, e2 = smp.fr1, smp.fr2, smp.e1, smp.e2
    if step_s is None:
        period = 2 * np.pi / max(e1[0], e2[0])
        step_s = period / 100.0
    t_ca = nominal_closest_approach(x1, x2, (t0, t1)) if t_focus_s is None else float(t_focus_s)
    prop = _proposal(e1, fr1, e2, fr2, smp.l1, smp.l2, t_ca, hbr,
                     elements=sample_space == "equinoctial")  # fmt: skip
    vr = variance_reduction
    rng = np.random.default_rng(seed)
    if vr == "auto":
        vr = "importance" if prop.plane_pc < AUTO_IMPORTANCE_BELOW else "none"
        if vr == "importance":
            # the linear estimate can be far off for curved encounters: a plain pilot run
            # that already sees enough hits keeps plain sampling (unit weights, exact CI)
            pilot = first_penetration_count(smp, t0, t1, step_s, hbr, rng,
                                            min(n_samples, AUTO_PILOT_TRIALS))  # fmt: skip
            if pilot >= AUTO_PILOT_MIN_HITS:
                vr = "none"
    chol_inv = np.linalg.inv(prop.chol)
    log_det_ratio = -np.log(abs(np.linalg.det(prop.chol)))
    sum_w = 0.0
    sum_w2 = 0.0
    sum_wall = 0.0
    sum_wall2 = 0.0
    hits = 0
    done = 0
    unbound = 0
    limit = max_samples if target_rel is not None else n_samples
    while done < limit:
        m = min(chunk, limit - done)
        z = rng.standard_normal((m, 12))
        if vr == "importance":
            from_shift = rng.random(m) >= alpha
            zp = z @ prop.q  # (m, 2) plane-subspace coordinates
            zp_new = np.where(from_shift[:, None], prop.center + zp @ prop.chol.T, zp)
            z += (zp_new - zp) @ prop.q.T
            a = (zp_new - prop.center) @ chol_inv.T
            # log q_shift(z_par) - log p(z_par), both 2-D Gaussians
            log_ratio = log_det_ratio - 0.5 * np.sum(a * a, 1) + 0.5 * np.sum(zp_new**2, 1)
            w = 1.0 / (alpha + (1.0 - alpha) * np.exp(np.minimum(log_ratio, 700.0)))
        else:
            w = np.ones(m)
        hit, bad = smp.run(z, t0, t1, float(step_s), hbr)
        unbound += bad
        wh = np.where(hit, w, 0.0)
        hits += int(hit.sum())
        sum_w += float(wh.sum())
        sum_w2 += float((wh * wh).sum())
        sum_wall += float(w.sum())
        sum_wall2 += float((w * w).sum())
        done += m
        if target_rel is not None and hits >= 10:
            p = sum_w / done
            var = max(sum_w2 / done - p * p, 0.0)
            if Z95 * np.sqrt(var / done) <= target_rel * p:
                break
        if target_rel is not None and done >= n_samples and hits == 0 and vr == "none":
            pass  # keep sampling: zero hits says nothing yet
    pc = sum_w / done
    if vr == "none":
        ci = clopper_pearson(hits, done)
    else:
        var = max(sum_w2 / done - pc * pc, 0.0)
        half = Z95 * np.sqrt(var / done)
        if hits and half == 0.0 and hits < done:
            # weights so small that their squares underflow: binomial relative width
            half = Z95 * pc * np.sqrt((1.0 - hits / done) / hits)
        if hits == 0:
            ci = (0.0, min(1.0, 3.0 / (alpha * done)))  # rule of three on the bounded weight
        else:
            ci = (max(0.0, pc - half), min(1.0, pc + half))
        if hits < 30:
            warnings.append(
                f"only {hits} importance-sampling hits: normal-theory interval is rough"
            )
    if vr == "none" and hits < 10:
        warnings.append(f"only {hits} Monte Carlo hits in {done} trials: Pc is imprecise")
    if unbound:
        warnings.append(f"{unbound} sampled states were not bound orbits (covariance far too "
                        "large for its orbit); counted as misses")  # fmt: skip
    ess = sum_wall**2 / sum_wall2 if sum_wall2 > 0 else 0.0
    return SdmcResult(
        pc=float(pc),
        ci95=(float(ci[0]), float(ci[1])),
        trials=int(done),
        hits=hits,
        variance_reduction=vr,
        window_s=(t0, t1),
        tca_s=t_ca,
        shift_sigma=prop.shift_sigma,
        ess=float(ess),
        seconds=time.perf_counter() - t_start,
        warnings=warnings,
    )
