"""Probability of collision (Pc) for conjunctions at TCA.

Methods (every one returns a :class:`PcResult`):

* :func:`pc_foster` -- 2-D Pc (Foster & Estes 1992; NASA CARA ``Pc2D_Foster``): integral of
  the combined 2-D Gaussian over the hard-body disc in the encounter plane.  Evaluated in
  the covariance principal axes as a 1-D Gauss-Legendre integral (angle substitution over
  the disc, Gaussian-limited interval) of an analytic erf chord integral; each event is
  checked against a doubled-node rule and re-integrated adaptively (``scipy.integrate.quad``
  with the chord discontinuities as break points) if the two disagree.  Accurate to
  ~1e-10 relative on well-conditioned events.
* :func:`pc_chan` -- Chan (1997, 2008) equivalent-area series (Rician / non-central
  chi-square series) truncated at ``n_terms``.
* :func:`pc_max_alfano` -- maximum Pc over an unknown covariance *size* (Alfano 2005,
  "Relating position uncertainty to maximum conjunction probability": the covariance
  shape/orientation are kept and scaled by ``k^2``; the maximizing ``k`` is searched with
  the exact Foster integral).  The small-HBR closed form
  ``R^2 / (e * sqrt(det C) * d_M^2)`` is reported in ``flags``.
* :func:`pc_monte_carlo_3d` -- Monte Carlo from both 6x6 state covariances at TCA with
  rectilinear relative motion over a time window, with Clopper-Pearson 95 % bounds.

Units: km, km/s, km^2 inertial (see :mod:`.encounter`); ``hbr_km`` is the *combined*
hard-body radius (see :mod:`.hbr`).  Pc is dimensionless.

Usage-violation flags (``PcResult.flags``; arrays of shape (n,) for n events):

* ``low_relative_speed``: relative speed below ``LOW_REL_SPEED_KM_S`` (0.1 km/s);
* ``stevi_ratio`` / ``duration_level`` / ``long_encounter``: Coppola (2012b) short-term
  encounter validity interval over the shorter orbital period, graded with CARA's levels
  (``Pc2DUsageBoundaries``: 1/36, 1/27, 1/18, 1/9, 1/3 -> levels 0..4); ``long_encounter``
  is level >= 1;
* ``input_covariance_npd``: an object's input position covariance has a negative
  eigenvalue;
* ``covariance_remediated``: the projected 2-D covariance was clipped (eigenvalues below
  ``(1e-4 HBR)^2``, as CARA);
* ``hbr_large_vs_covariance``: HBR > ``HBR_SIGMA_RATIO_MAX`` * smallest 2-D sigma, where
  series approximations (Chan) and the small-HBR closed forms lose accuracy;
* ``miss_inside_hbr``: miss distance smaller than the HBR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import integrate
from scipy.special import ndtr

from .covariance import check_covariance
from .encounter import (
    Encounter,
    encounter_plane,
    orbital_period_s,
    short_encounter_validity_s,
)

LOW_REL_SPEED_KM_S = 0.1
STEVI_RATIO_LEVELS = (1 / 36, 1 / 27, 1 / 18, 1 / 9, 1 / 3)
HBR_SIGMA_RATIO_MAX = 0.5
_GAUSS_SPAN = 12.0  # Gaussian truncated at 12 sigma (density < 1e-31 of its peak)


@dataclass
class PcResult:
    """Collision probability of one event (``pc`` a float) or of n events (``pc`` (n,)).

    ``method`` names the algorithm, ``warnings`` lists human-readable usage warnings
    (prefixed ``event i:`` for stacks), ``flags`` holds usage-violation indicators and
    method-specific extras (see module docstring).
    """

    pc: Any
    method: str
    warnings: list[str] = field(default_factory=list)
    flags: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        pc = f"{self.pc:.6g}" if np.ndim(self.pc) == 0 else f"array(n={np.size(self.pc)})"
        return f"PcResult(pc={pc}, method={self.method!r}, warnings={len(self.warnings)})"


# ------------------------------------------------------------------------ 2-D kernels


def _chord_prob(center, half, sigma):
    """P(|w - center| <= half) for w ~ N(0, sigma^2), cancellation-free. Arrays broadcast."""
    lo = (center - half) / sigma
    hi = (center + half) / sigma
    return np.where(lo > 0, ndtr(-lo) - ndtr(-hi), ndtr(hi) - ndtr(lo))


def _principal(cov_2d, miss_2d, hbr):
    """Eigen-decompose and clip (CARA Lclip = (1e-4 HBR)^2); return principal-frame data."""
    lam, vec = np.linalg.eigh(cov_2d)
    lclip = (1e-4 * hbr) ** 2
    clipped = lam[:, 0] < lclip
    lam = np.maximum(lam, lclip[:, None])
    m = np.einsum("nji,nj->ni", vec, miss_2d)  # components along eigenvectors
    # index 0: small-sigma axis (integrated numerically), 1: large-sigma axis (analytic)
    return np.sqrt(lam[:, 0]), m[:, 0], np.sqrt(lam[:, 1]), m[:, 1], clipped, lam


def _theta_limits(su, um, hbr):
    ta = np.clip((-um - _GAUSS_SPAN * su) / hbr, -1.0, 1.0)
    tb = np.clip((-um + _GAUSS_SPAN * su) / hbr, -1.0, 1.0)
    return np.arcsin(ta), np.arcsin(tb)


@lru_cache(maxsize=8)
def _leggauss(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n_nodes)


def _gl_integral(su, um, sw, wm, hbr, th_a, th_b, n_nodes):
    x, w = _leggauss(n_nodes)
    half = 0.5 * (th_b - th_a)
    th = 0.5 * (th_b + th_a)[:, None] + half[:, None] * x[None, :]
    t = hbr[:, None] * np.sin(th)
    h = hbr[:, None] * np.cos(th)
    g = np.exp(-0.5 * ((um[:, None] + t) / su[:, None]) ** 2) / (np.sqrt(2 * np.pi) * su[:, None])
    f = g * _chord_prob(wm[:, None], h, sw[:, None]) * h  # dt = R cos(th) dth = h dth
    return half * (f @ w)


def _quad_one(su, um, sw, wm, hbr, th_a, th_b, rtol):
    def f(th):
        t = hbr * np.sin(th)
        h = hbr * np.cos(th)
        g = np.exp(-0.5 * ((um + t) / su) ** 2) / (np.sqrt(2 * np.pi) * su)
        return g * _chord_prob(wm, h, sw) * h

    pts = []
    if abs(wm) < hbr:
        a = np.arccos(abs(wm) / hbr)
        pts = [p for p in (-a, a) if th_a < p < th_b]
    pts.append(np.arcsin(np.clip(-um / hbr, -1, 1)))
    pts = sorted(p for p in set(pts) if th_a < p < th_b)
    val, _ = integrate.quad(f, th_a, th_b, points=pts or None, epsabs=0.0, epsrel=rtol, limit=1000)
    return val


def _foster_2d(miss_2d, cov_2d, hbr, rtol):
    """Vectorized Foster integral; returns (pc, clipped mask, eigenvalues, n_fallback)."""
    su, um, sw, wm, clipped, lam = _principal(cov_2d, miss_2d, hbr)
    th_a, th_b = _theta_limits(su, um, hbr)
    empty = th_b <= th_a
    p1 = _gl_integral(su, um, sw, wm, hbr, th_a, th_b, 96)
    p2 = _gl_integral(su, um, sw, wm, hbr, th_a, th_b, 192)
    bad = ~empty & (np.abs(p2 - p1) > 0.1 * rtol * np.abs(p2) + 1e-300)
    pc = p2.copy()
    for i in np.flatnonzero(bad):
        pc[i] = _quad_one(su[i], um[i], sw[i], wm[i], hbr[i], th_a[i], th_b[i], rtol)
    pc = np.where(empty, 0.0, np.clip(pc, 0.0, 1.0))
    return pc, clipped, lam, int(bad.sum())


def _chan_2d(miss_2d, cov_2d, hbr, n_terms):
    su, um, sw, wm, clipped, lam = _principal(cov_2d, miss_2d, hbr)
    u = hbr**2 / (su * sw)
    v = (um / su) ** 2 + (wm / sw) ** 2
    m = np.arange(n_terms)
    # log of (x/2)^m / m!
    from scipy.special import gammaln

    lv = m[None, :] * np.log(np.maximum(v[:, None] / 2, 1e-300)) - gammaln(m + 1)[None, :]
    lu = m[None, :] * np.log(np.maximum(u[:, None] / 2, 1e-300)) - gammaln(m + 1)[None, :]
    lv = np.where(v[:, None] > 0, lv, np.where(m[None, :] == 0, 0.0, -np.inf))
    inner = 1.0 - np.exp(-u[:, None] / 2) * np.cumsum(np.exp(lu), axis=-1)
    terms = np.exp(-v[:, None] / 2 + lv) * np.maximum(inner, 0.0)
    pc = terms.sum(axis=-1)
    last = terms[:, -1] / np.maximum(pc, 1e-300)
    return np.clip(pc, 0.0, 1.0), clipped, lam, last, u, v


# ------------------------------------------------------------------- shared front end


def _as_hbr(hbr_km, n):
    h = np.broadcast_to(np.asarray(hbr_km, dtype=float), (n,)).copy()
    if np.any(~np.isfinite(h)) or np.any(h <= 0):
        raise ValueError(f"hbr_km must be positive and finite, got {hbr_km!r}")
    return h


def _prefix(n, i):
    return f"event {i}: " if n > 1 else ""


def _state_checks(enc: Encounter, cov1, cov2, r1, v1, r2, v2, hbr):
    """Usage flags and warnings that depend on the full states (not only the 2-D plane)."""
    n = enc.n
    warnings: list[str] = []
    flags: dict[str, Any] = {}
    npd = np.zeros(n, bool)
    for name, c in (("cov1", cov1), ("cov2", cov2)):
        cpos = np.broadcast_to(np.asarray(c, float)[..., :3, :3], (n, 3, 3))
        lmin = np.linalg.eigvalsh(cpos)[:, 0]
        scale = np.max(np.abs(np.diagonal(cpos, axis1=-2, axis2=-1)), axis=-1)
        bad = lmin < -1e-12 * scale
        npd |= bad
        for i in np.flatnonzero(bad):
            warnings.append(
                f"{_prefix(n, i)}{name} position covariance is not positive semidefinite "
                f"(min eigenvalue {lmin[i]:.3g} km^2); check the input covariance"
            )
    flags["input_covariance_npd"] = npd

    speed = enc.rel_speed_km_s
    undefined = speed <= 1e-12 * np.maximum(np.linalg.norm(np.atleast_2d(v1), axis=-1), 1.0)
    flags["encounter_plane_undefined"] = undefined
    for i in np.flatnonzero(undefined):
        warnings.append(
            f"{_prefix(n, i)}zero relative velocity: the encounter plane is undefined and a "
            "2-D Pc cannot be computed (Pc = NaN); use a 3-D method over a time window"
        )
    low = (speed < LOW_REL_SPEED_KM_S) & ~undefined
    flags["low_relative_speed"] = low
    for i in np.flatnonzero(low):
        warnings.append(
            f"{_prefix(n, i)}relative speed {speed[i] * 1e3:.3g} m/s < "
            f"{LOW_REL_SPEED_KM_S * 1e3:.0f} m/s: the 2-D (short-encounter, rectilinear) "
            "assumption is doubtful; use a 3-D / Monte Carlo Pc"
        )
    with np.errstate(all="ignore"):
        try:
            stevi = short_encounter_validity_s(
                -enc.r_rel_km, -enc.v_rel_km_s, _rel_cov_eci(enc), hbr
            )
        except np.linalg.LinAlgError:
            stevi = np.full(n, np.inf)
        period = np.minimum(orbital_period_s(r1, v1), orbital_period_s(r2, v2))
        ratio = stevi / period
    level = (
        np.searchsorted(
            np.asarray(STEVI_RATIO_LEVELS), np.nan_to_num(ratio, nan=np.inf), side="left"
        )
        - 1
    )
    level = np.clip(level, 0, 4)
    level = np.where(np.nan_to_num(ratio, nan=np.inf) <= STEVI_RATIO_LEVELS[0], 0, level)
    flags["stevi_s"] = stevi
    flags["stevi_ratio"] = ratio
    flags["duration_level"] = level
    flags["long_encounter"] = level >= 1
    names = ("VERY-LOW", "LOW", "MEDIUM", "HIGH", "VERY-HIGH")
    for i in np.flatnonzero(level >= 1):
        warnings.append(
            f"{_prefix(n, i)}encounter validity interval / orbital period = {ratio[i]:.3g}: "
            f"{names[level[i]]} level violation of the short-encounter assumption "
            "(Coppola 2012; CARA Pc2DUsageBoundaries)"
        )
    return flags, warnings


def _rel_cov_eci(enc: Encounter) -> np.ndarray:
    """Combined position covariance back in the inertial frame."""
    rot = enc.eci_to_enc
    return np.swapaxes(rot, -1, -2) @ enc.cov_pos_km2 @ rot


def _plane_checks(miss_2d, lam, clipped, hbr, n, warnings, flags):
    flags["covariance_remediated"] = clipped
    for i in np.flatnonzero(clipped):
        warnings.append(
            f"{_prefix(n, i)}combined covariance is not positive definite in the encounter "
            f"plane; eigenvalues clipped to (1e-4 HBR)^2 = {(1e-4 * hbr[i]) ** 2:.3g} km^2 "
            "(CARA remediation); Pc is approximate"
        )
    smin = np.sqrt(lam[:, 0])
    large = hbr > HBR_SIGMA_RATIO_MAX * smin
    flags["hbr_large_vs_covariance"] = large
    inside = np.linalg.norm(miss_2d, axis=-1) < hbr
    flags["miss_inside_hbr"] = inside


def _finish(pc, method, warnings, flags, scalar):
    if "encounter_plane_undefined" in flags:
        pc = np.where(flags["encounter_plane_undefined"], np.nan, pc)
    if scalar:
        pc = float(pc[0])
        flags = {
            k: (v[0] if isinstance(v, np.ndarray) and v.shape[:1] == (1,) else v)
            for k, v in flags.items()
        }
        flags = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in flags.items()}
    return PcResult(pc, method, warnings, flags)


def _prepare(r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km):
    scalar = np.ndim(r1_km) == 1 and np.ndim(r2_km) == 1
    c1 = check_covariance(cov1_km2, "cov1_km2")
    c2 = check_covariance(cov2_km2, "cov2_km2")
    enc = encounter_plane(r1_km, v1_km_s, c1, r2_km, v2_km_s, c2)
    hbr = _as_hbr(hbr_km, enc.n)
    flags, warnings = _state_checks(enc, c1, c2, r1_km, v1_km_s, r2_km, v2_km_s, hbr)
    return enc, hbr, flags, warnings, scalar


# ---------------------------------------------------------------------------- public


def pc_foster(
    r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km, *, rtol: float = 1e-9
) -> PcResult:
    """2-D Pc by Foster's method from inertial TCA states and covariances.

    Parameters
    ----------
    r1_km, v1_km_s, r2_km, v2_km_s : (3,) or (n, 3)
        Inertial positions (km) and velocities (km/s) at TCA.
    cov1_km2, cov2_km2 : (3,3), (6,6), (n,3,3) or (n,6,6)
        Inertial covariances, km^2 (position block used).
    hbr_km : float or (n,)
        Combined hard-body radius, km.
    rtol : float
        Relative tolerance of the integration.

    Non-symmetric/non-finite covariances raise :class:`~spacerange.errors.CovarianceError`;
    a non-positive-definite projected covariance is clipped with a warning.
    """
    enc, hbr, flags, warnings, scalar = _prepare(
        r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km
    )
    pc, clipped, lam, n_fb = _foster_2d(enc.miss_2d_km, enc.cov_2d_km2, hbr, rtol)
    _plane_checks(enc.miss_2d_km, lam, clipped, hbr, enc.n, warnings, flags)
    flags["n_adaptive_fallback"] = n_fb
    return _finish(pc, "foster-2d", warnings, flags, scalar)


def pc_foster_2d(miss_2d_km, cov_2d_km2, hbr_km, *, rtol: float = 1e-9) -> PcResult:
    """Foster 2-D Pc directly from the encounter-plane miss (…, 2) and covariance (…, 2, 2)."""
    scalar = np.ndim(miss_2d_km) == 1
    m = np.atleast_2d(np.asarray(miss_2d_km, float))
    c = check_covariance(np.asarray(cov_2d_km2, float), "cov_2d_km2")
    c = np.broadcast_to(c, (m.shape[0], 2, 2))
    hbr = _as_hbr(hbr_km, m.shape[0])
    pc, clipped, lam, n_fb = _foster_2d(m, c, hbr, rtol)
    warnings: list[str] = []
    flags: dict[str, Any] = {"n_adaptive_fallback": n_fb}
    _plane_checks(m, lam, clipped, hbr, m.shape[0], warnings, flags)
    return _finish(pc, "foster-2d", warnings, flags, scalar)


def pc_chan(
    r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km, *, n_terms: int = 20
) -> PcResult:
    """2-D Pc by Chan's equivalent-area series (Chan 1997; Chan 2008, ch. 4).

    In the covariance principal axes (sigma_x, sigma_y, miss x_m, y_m) the HBR disc is
    replaced by a disc of equal area in the sigma-normalized plane, giving

        Pc = exp(-v/2) sum_{m=0}^{N-1} (v/2)^m/m! [1 - exp(-u/2) sum_{k=0}^{m} (u/2)^k/k!]

    with u = R^2/(sigma_x sigma_y), v = (x_m/sigma_x)^2 + (y_m/sigma_y)^2 and
    N = ``n_terms``.  Valid when the HBR is small against the smaller sigma (see flag
    ``hbr_large_vs_covariance``).  ``flags['last_term_rel']`` is the last term over Pc.
    """
    if n_terms < 1:
        raise ValueError("n_terms must be >= 1")
    enc, hbr, flags, warnings, scalar = _prepare(
        r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km
    )
    pc, clipped, lam, last, u, v = _chan_2d(enc.miss_2d_km, enc.cov_2d_km2, hbr, n_terms)
    _plane_checks(enc.miss_2d_km, lam, clipped, hbr, enc.n, warnings, flags)
    flags["last_term_rel"] = last
    for i in np.flatnonzero(flags["hbr_large_vs_covariance"]):
        warnings.append(
            f"{_prefix(enc.n, i)}HBR > {HBR_SIGMA_RATIO_MAX} x smallest encounter-plane sigma: "
            "Chan's equivalent-area approximation may be inaccurate; prefer Foster"
        )
    for i in np.flatnonzero(last > 1e-8):
        warnings.append(f"{_prefix(enc.n, i)}Chan series not converged with {n_terms} terms")
    return _finish(pc, f"chan-{n_terms}", warnings, flags, scalar)


def pc_max_alfano(
    r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km, *, rtol: float = 1e-9
) -> PcResult:
    """Maximum 2-D Pc over the covariance size (Alfano 2005), shape and orientation kept.

    The combined encounter-plane covariance ``C`` is scaled to ``k^2 C`` and the Foster Pc
    maximized over ``k`` (golden-section search in ``log k``, vectorized).  ``flags``:
    ``scale_factor`` (maximizing k), ``pc_max_closed_form`` (Alfano's small-HBR
    approximation ``R^2 / (e sqrt(det C) d_M^2)``, with ``d_M`` the Mahalanobis miss).
    A miss inside the HBR gives Pc_max -> 1 (k -> 0); flagged ``miss_inside_hbr``.
    """
    enc, hbr, flags, warnings, scalar = _prepare(
        r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km
    )
    pc, k, cf, clipped, lam = _max_2d(enc.miss_2d_km, enc.cov_2d_km2, hbr, rtol)
    _plane_checks(enc.miss_2d_km, lam, clipped, hbr, enc.n, warnings, flags)
    flags["scale_factor"] = k
    flags["pc_max_closed_form"] = cf
    return _finish(pc, "max-alfano-2005", warnings, flags, scalar)


def pc_max_alfano_2d(miss_2d_km, cov_2d_km2, hbr_km, *, rtol: float = 1e-9) -> PcResult:
    """:func:`pc_max_alfano` from the encounter-plane miss (…, 2) and covariance (…, 2, 2)."""
    scalar = np.ndim(miss_2d_km) == 1
    m = np.atleast_2d(np.asarray(miss_2d_km, float))
    c = np.broadcast_to(check_covariance(cov_2d_km2, "cov_2d_km2"), (m.shape[0], 2, 2))
    hbr = _as_hbr(hbr_km, m.shape[0])
    pc, k, cf, clipped, lam = _max_2d(m, c, hbr, rtol)
    warnings: list[str] = []
    flags: dict[str, Any] = {"scale_factor": k, "pc_max_closed_form": cf}
    _plane_checks(m, lam, clipped, hbr, m.shape[0], warnings, flags)
    return _finish(pc, "max-alfano-2005", warnings, flags, scalar)


def _max_2d(miss, cov, hbr, rtol):
    lam, _ = np.linalg.eigh(cov)
    lclip = (1e-4 * hbr) ** 2
    clipped = lam[:, 0] < lclip
    covc = cov + np.where(clipped, lclip, 0.0)[:, None, None] * np.eye(2)
    dm2 = np.einsum("ni,ni->n", miss, np.linalg.solve(covc, miss[..., None])[..., 0])
    det = np.linalg.det(covc)
    with np.errstate(divide="ignore"):
        closed = hbr**2 / (np.e * np.sqrt(det) * dm2)
    inside = np.linalg.norm(miss, axis=-1) < hbr
    # golden-section search on s = log(k); optimum near k^2 = d_M^2 / 2 for small HBR
    s0 = 0.5 * np.log(np.maximum(dm2, 1e-300) / 2.0)
    a, b = s0 - 4.0, s0 + 4.0
    g = (np.sqrt(5.0) - 1.0) / 2.0

    def f(s):
        k2 = np.exp(2 * s)
        return _foster_2d(miss, covc * k2[:, None, None], hbr, rtol)[0]

    c_, d_ = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c_), f(d_)
    for _ in range(60):
        left = fc > fd
        b = np.where(left, d_, b)
        a = np.where(left, a, c_)
        c_new = b - g * (b - a)
        d_new = a + g * (b - a)
        c_, d_ = c_new, d_new
        fc, fd = f(c_), f(d_)
        if np.all(b - a < 1e-6):
            break
    s = 0.5 * (a + b)
    pc = f(s)
    # guard: never below the Pc of the covariance as given (k = 1)
    p1 = f(np.zeros_like(s))
    s = np.where(p1 > pc, 0.0, s)
    pc = np.maximum(pc, p1)
    pc = np.where(inside, 1.0, pc)
    k = np.where(inside, 0.0, np.exp(s))
    return pc, k, np.where(inside, 1.0, closed), clipped, lam


# ---------------------------------------------------------------------- Monte Carlo


def clopper_pearson(hits: int, trials: int, conf: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) binomial confidence interval for hits/trials."""
    from scipy.stats import beta

    alpha = 1.0 - conf
    lo = 0.0 if hits == 0 else float(beta.ppf(alpha / 2, hits, trials - hits + 1))
    hi = 1.0 if hits == trials else float(beta.ppf(1 - alpha / 2, hits + 1, trials - hits))
    return lo, hi


def _sampler(cov6, name, warnings):
    lam, vec = np.linalg.eigh(cov6)
    if lam[0] < -1e-12 * max(lam[-1], 1e-300):
        warnings.append(
            f"{name} is not positive semidefinite (min eigenvalue {lam[0]:.3g}); negative "
            "eigenvalues clipped to zero for sampling"
        )
    return vec * np.sqrt(np.maximum(lam, 0.0))[None, :]


def pc_monte_carlo_3d(
    r1_km,
    v1_km_s,
    cov1_km2,
    r2_km,
    v2_km_s,
    cov2_km2,
    hbr_km,
    *,
    n_samples: int = 100_000,
    seed: int | np.random.Generator | None = 0,
    window_s: float | None = None,
    chunk: int = 250_000,
) -> PcResult:
    """Monte Carlo Pc of one conjunction from full 6x6 inertial TCA covariances.

    Both objects' states are sampled from N(state, cov) (independently); each sample pair
    moves rectilinearly (constant relative velocity) and a hit is a minimum distance below
    ``hbr_km`` within ``TCA +/- window_s`` (unbounded when ``None``).  Rectilinear motion
    makes this the 3-D counterpart of the 2-D Pc including velocity uncertainty; it does not
    model orbital curvature (long encounters).  ``flags``: ``hits``, ``trials``, ``ci95``
    (Clopper-Pearson), ``seed``.
    """
    r1, v1, r2, v2 = (np.asarray(a, float).reshape(3) for a in (r1_km, v1_km_s, r2_km, v2_km_s))
    c1 = check_covariance(cov1_km2, "cov1_km2")
    c2 = check_covariance(cov2_km2, "cov2_km2")
    if c1.shape != (6, 6) or c2.shape != (6, 6):
        raise ValueError("pc_monte_carlo_3d needs 6x6 position/velocity covariances")
    hbr = float(hbr_km)
    if not hbr > 0:
        raise ValueError("hbr_km must be positive")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    warnings: list[str] = []
    l1 = _sampler(c1, "cov1_km2", warnings)
    l2 = _sampler(c2, "cov2_km2", warnings)
    x1 = np.concatenate([r1, v1])
    x2 = np.concatenate([r2, v2])
    hits = 0
    done = 0
    while done < n_samples:
        m = min(chunk, n_samples - done)
        s1 = x1 + rng.standard_normal((m, 6)) @ l1.T
        s2 = x2 + rng.standard_normal((m, 6)) @ l2.T
        dr = s1[:, :3] - s2[:, :3]
        dv = s1[:, 3:] - s2[:, 3:]
        vv = np.einsum("ij,ij->i", dv, dv)
        t = -np.einsum("ij,ij->i", dr, dv) / np.where(vv > 0, vv, 1.0)
        if window_s is not None:
            t = np.clip(t, -window_s, window_s)
        dmin = np.linalg.norm(dr + dv * t[:, None], axis=-1)
        hits += int(np.count_nonzero(dmin < hbr))
        done += m
    lo, hi = clopper_pearson(hits, n_samples)
    speed = np.linalg.norm(v1 - v2)
    flags: dict[str, Any] = {
        "hits": hits,
        "trials": n_samples,
        "ci95": (lo, hi),
        "seed": seed if not isinstance(seed, np.random.Generator) else None,
        "low_relative_speed": bool(speed < LOW_REL_SPEED_KM_S),
    }
    if hits < 10:
        warnings.append(f"only {hits} Monte Carlo hits in {n_samples} trials: Pc is imprecise")
    return PcResult(hits / n_samples, "monte-carlo-3d-rectilinear", warnings, flags)
