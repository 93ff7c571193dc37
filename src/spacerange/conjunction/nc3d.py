"""3-D expected collision number Nc (Hall 2021, as NASA CARA's ``Pc3D_Hall``).

Inputs are the two objects' mean inertial states at TCA and their full 6x6
position/velocity covariances (km, km/s, km^2 ...), plus the combined hard-body radius.
The method, written from Hall (2021), "Expected collision rates for tracked satellites",
J. Spacecraft Rockets 58(3), sec. VII:

1. Each object's Gaussian is carried as a Gaussian in *equinoctial elements* at TCA
   (:mod:`.equinoctial`), so its propagated position uncertainty follows the orbit
   (curvilinear motion) instead of a straight line.
2. At each time ``t`` of the encounter, the two-body motion of each object is linearized
   about an *expansion-center* state chosen at the peak overlap of the two position PDFs,
   found iteratively (Hall 2021 eqs. 39-56, steps 1-9); this gives each object's mean
   ``Xbar_j(t)`` and covariance ``P_j(t)`` and so the relative PV Gaussian.
3. The collision rate is the flux of relative trajectories entering the HBR sphere
   (eq. 51e): ``dNc/dt = R^2 * surface integral of N(R rhat; r, A) * nu(rhat)``, with
   ``nu`` the expected inward normal speed from the conditional velocity Gaussian (eq. 52).
   The unit-sphere integral is a product rule with its pole along the thinnest axis of
   the relative position PDF: Gauss-Legendre in ``cos(theta)``, split around the band
   where the sphere crosses that axis' density, times a periodic trapezoid in azimuth;
   the azimuth split where the mean inward flux switches on (a kink); the rule is
   refined until the peak rates change by < ``rtol/10``.
4. ``Nc = integral of dNc/dt dt`` over the encounter, starting from Coppola's linear
   conjunction bounds (precision factor ``gamma``, CARA default 1e-16) and widened until the
   rate at both ends is negligible (at most +/- half the shorter orbital period: one
   encounter segment); composite Gauss-Legendre in time, refined by doubling.

For a temporally isolated encounter Nc equals the collision probability; for long or
repeating encounters it is an upper bound of Pc (Hall 2021 sec. III.F).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import erfc, erfcx

from .encounter import coppola_conjunction_bounds, orbital_period_s
from .equinoctial import (
    cart_cov_to_equinoctial,
    cart_to_equinoctial,
    retrograde_factor,
    two_body_jacobian,
)

__all__ = ["Nc3dResult", "nc3d_hall"]

_SQRT2PI = np.sqrt(2.0 * np.pi)


@dataclass
class Nc3dResult:
    """Expected collision number of one encounter.

    ``nc`` (dimensionless), ``t_bounds_s`` integration interval relative to TCA (s),
    ``t_peak_s`` time of the peak collision rate, ``rel_err`` the estimated relative error
    of the time integral (difference between the last two refinements), ``iterations_max``
    the most expansion-center iterations any time needed, ``converged`` whether every time
    converged, ``n_times`` the number of rate evaluations in the final rule,
    ``outside_fraction`` a coarse estimate of the expected collisions *outside* the interval
    within +/- half the shorter period, relative to ``nc`` (only with automatic bounds; a
    large value means other approaches blend with this one, and Nc over one segment
    understates the risk).
    """

    nc: float
    t_bounds_s: tuple[float, float]
    t_peak_s: float
    rel_err: float
    iterations_max: int
    converged: bool
    n_times: int
    warnings: list[str]
    outside_fraction: float = 0.0


#: band half-width, in position sigmas, around the sphere's crossing of the thin axis
_BAND_SIGMAS = 10.0
#: sphere rule levels (Gauss-Legendre nodes per polar sub-interval, azimuth nodes)
_SPHERE_LEVELS = ((8, 32), (16, 64), (32, 128), (64, 256), (128, 512))


def _sphere_nodes(c, delta, w_dir, n_mu: int, n_phi: int):
    """Unit-sphere rule per time around the local +z pole.

    The polar coordinate ``mu = cos(theta)`` is split at ``c -/+ delta`` (m,) and each of
    the three pieces gets ``n_mu`` Gauss-Legendre nodes.  At each ``mu`` the azimuth is
    split where the great circle normal to ``w_dir`` (m, 3; the mean relative velocity,
    where the inward flux switches on with a kink) crosses that latitude, and each of the
    two arcs gets ``n_phi / 2`` Gauss-Legendre nodes.  Returns local unit vectors
    (m, K, 3) and weights (m, K) (each row sums to 4 pi).
    """
    x, w = np.polynomial.legendre.leggauss(n_mu)
    lo = np.clip(c - delta, -1.0, 1.0)
    hi = np.clip(c + delta, -1.0, 1.0)
    edges = np.stack([-np.ones_like(c), lo, hi, np.ones_like(c)], axis=-1)  # (m, 4)
    half = 0.5 * np.diff(edges, axis=-1)  # (m, 3)
    mid = 0.5 * (edges[:, 1:] + edges[:, :-1])
    mu = (mid[:, :, None] + half[:, :, None] * x).reshape(c.size, -1)  # (m, M)
    wmu = (half[:, :, None] * w).reshape(c.size, -1)
    st = np.sqrt(np.maximum(1.0 - mu * mu, 0.0))
    wn = w_dir / np.maximum(np.linalg.norm(w_dir, axis=-1, keepdims=True), 1e-300)
    a_c = st * wn[:, 0, None]
    b_c = st * wn[:, 1, None]
    c_c = -wn[:, 2, None] * mu
    amp = np.hypot(a_c, b_c)
    cross = amp > np.abs(c_c)
    phi0 = np.where(cross, np.arctan2(b_c, a_c), 0.0)
    dphi = np.where(cross, np.arccos(np.clip(c_c / np.where(cross, amp, 1.0), -1, 1)), 0.5 * np.pi)
    start = np.stack([phi0 - dphi, phi0 + dphi], axis=-1)  # (m, M, 2)
    length = np.stack([2.0 * dphi, 2.0 * np.pi - 2.0 * dphi], axis=-1)
    xp, wp = np.polynomial.legendre.leggauss(max(n_phi // 2, 1))
    phi = start[..., None] + 0.5 * length[..., None] * (xp + 1.0)  # (m, M, 2, P)
    wphi = 0.5 * length[..., None] * wp
    stb = st[:, :, None, None]
    u = np.stack(
        np.broadcast_arrays(stb * np.cos(phi), stb * np.sin(phi), mu[:, :, None, None]), axis=-1
    ).reshape(c.size, -1, 3)
    wt = (wmu[:, :, None, None] * wphi).reshape(c.size, -1)
    return u, wt


def _basis_from(z: np.ndarray) -> np.ndarray:
    """Rotation matrices (m, 3, 3) whose third column is the unit vector z (m, 3)."""
    z = z / np.linalg.norm(z, axis=-1, keepdims=True)
    a = np.where(np.abs(z[:, :1]) < 0.9, np.array([1.0, 0, 0]), np.array([0, 1.0, 0]))
    x = np.cross(a, z)
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=-1)


def _wrap(a):
    return (a + np.pi) % (2.0 * np.pi) - np.pi


def _sym(p):
    return 0.5 * (p + np.swapaxes(p, -1, -2))


class _Encounter3d:
    """The two objects' equinoctial Gaussians at TCA and the rate evaluator."""

    def __init__(self, x1, p1, x2, p2, hbr, max_iter, tol):
        self.fr1, self.fr2 = retrograde_factor(x1), retrograde_factor(x2)
        self.e1, self.pe1 = cart_cov_to_equinoctial(x1, p1, self.fr1)
        self.e2, self.pe2 = cart_cov_to_equinoctial(x2, p2, self.fr2)
        self.hbr = hbr
        self.max_iter = max_iter
        self.tol = tol
        self.level = _SPHERE_LEVELS[2]
        self.iter_max = 0
        self.all_converged = True

    def _linearize(self, e_mean, pe, ec, t, fr):
        xc, jac = two_body_jacobian(ec, t, fr)
        de = e_mean - ec
        de[..., 5] = _wrap(de[..., 5])
        xbar = xc + np.einsum("mij,mj->mi", jac, de)
        return xbar, _sym(jac @ pe @ np.swapaxes(jac, -1, -2))

    def _center(self, xbar, p, a_inv, mu_p, t, fr):
        v_c = xbar[:, 3:] + np.einsum("mij,mjk,mk->mi", p[:, 3:, :3], a_inv, mu_p - xbar[:, :3])
        ec = cart_to_equinoctial(np.concatenate([mu_p, v_c], axis=-1), fr)
        ec[:, 5] = ec[:, 5] - ec[:, 0] * t
        return ec

    def relative_gaussian(self, t):
        """Mean relative PV (m, 6) and covariance (m, 6, 6) at times ``t`` (m,) s from TCA."""
        m = t.size
        ec1 = np.broadcast_to(self.e1, (m, 6)).copy()
        ec2 = np.broadcast_to(self.e2, (m, 6)).copy()
        mu_prev = None
        for it in range(1, self.max_iter + 1):  # noqa: B007 (used after the loop)
            x1, p1 = self._linearize(self.e1, self.pe1, ec1, t, self.fr1)
            x2, p2 = self._linearize(self.e2, self.pe2, ec2, t, self.fr2)
            a1i = np.linalg.inv(p1[:, :3, :3])
            a2i = np.linalg.inv(p2[:, :3, :3])
            sp_inv = a1i + a2i
            rhs = np.einsum("mij,mj->mi", a1i, x1[:, :3]) + np.einsum("mij,mj->mi", a2i, x2[:, :3])
            mu_p = np.linalg.solve(sp_inv, rhs[..., None])[..., 0]
            if mu_prev is not None:
                d = mu_p - mu_prev
                crit = np.einsum("mi,mij,mj->m", d, sp_inv, d)
                if np.all(crit <= self.tol):
                    break
            mu_prev = mu_p
            ec1 = self._center(x1, p1, a1i, mu_p, t, self.fr1)
            ec2 = self._center(x2, p2, a2i, mu_p, t, self.fr2)
        else:
            self.all_converged = False
        self.iter_max = max(self.iter_max, it)
        return x2 - x1, p1 + p2

    def rates(self, t, chunk: int = 64):
        """Collision rate dNc/dt (1/s) at times ``t`` (m,) s from TCA."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        out = np.empty(t.size)
        for s in range(0, t.size, chunk):
            out[s : s + chunk] = self._rates(t[s : s + chunk])
        return out

    def _rates(self, t):
        x, p = self.relative_gaussian(t)
        r, v = x[:, :3], x[:, 3:]
        a = p[:, :3, :3]
        b = p[:, 3:, :3]
        c = p[:, 3:, 3:]
        a_inv = np.linalg.inv(a)
        bai = b @ a_inv
        c0 = _sym(c - bai @ np.swapaxes(b, -1, -2))
        sign, logdet = np.linalg.slogdet(a)
        # pole along the thinnest axis of the position PDF: the density on the sphere is
        # then confined to a latitude band (cos theta near c), which the rule resolves.
        # Everything is rotated into that local frame so the nodes are shared arrays.
        lam, vec = np.linalg.eigh(a)
        rot = _basis_from(vec[:, :, 0])  # columns: local x, y, z in the inertial frame
        rot_t = np.swapaxes(rot, -1, -2)
        a_inv = rot_t @ a_inv @ rot
        bai = _sym(rot_t @ bai @ rot)  # only its symmetric part enters u^T M u
        bai_full = rot_t @ (b @ np.linalg.inv(a)) @ rot
        c0 = rot_t @ c0 @ rot
        r = np.einsum("mji,mj->mi", rot, r)
        v = np.einsum("mji,mj->mi", rot, v)
        c = r[:, 2] / self.hbr
        delta = _BAND_SIGMAS * np.sqrt(np.maximum(lam[:, 0], 0.0)) / self.hbr
        bai_r = np.einsum("mij,mj->mi", bai_full, r)
        u_loc, wt = _sphere_nodes(c, delta, v - bai_r, *self.level)
        ux, uy, uz = u_loc[..., 0], u_loc[..., 1], u_loc[..., 2]
        R = self.hbr
        ai_r = np.einsum("mij,mj->mi", a_inv, r)
        q = (R * R * _quad(a_inv, ux, uy, uz) - 2.0 * R * _lin(ai_r, ux, uy, uz)
             + np.einsum("mi,mi->m", r, ai_r)[:, None])  # fmt: skip
        log_n = -0.5 * q - 0.5 * (3.0 * np.log(2.0 * np.pi) + logdet)[:, None]
        sig = np.sqrt(np.maximum(_quad(c0, ux, uy, uz), 1e-300))
        mean_out = _lin(v - bai_r, ux, uy, uz) + R * _quad(bai, ux, uy, uz)
        nu = mean_out / (np.sqrt(2.0) * sig)
        # H(nu) = exp(-nu^2) - sqrt(pi) nu erfc(nu), cancellation-free for nu > 0
        h = np.where(
            nu > 0,
            np.exp(-nu * nu) * (1.0 - np.sqrt(np.pi) * nu * erfcx(np.maximum(nu, 0.0))),
            np.exp(-nu * nu) - np.sqrt(np.pi) * nu * erfc(np.minimum(nu, 0.0)),
        )
        f = np.exp(log_n) * sig / _SQRT2PI * np.maximum(h, 0.0)
        return self.hbr**2 * np.einsum("mk,mk->m", f, wt)

    def choose_sphere_level(self, t_probe, rtol):
        """Refine the sphere rule until the rates at ``t_probe`` change by < ``rtol`` of
        their peak, then keep the coarser of the last two levels (its error is about that
        change).  Returns the relative change."""
        prev = None
        change = np.inf
        for k, level in enumerate(_SPHERE_LEVELS):
            self.level = level
            cur = self.rates(t_probe)
            if prev is not None:
                change = float(np.max(np.abs(cur - prev)) / max(np.max(np.abs(cur)), 1e-300))
                if change <= rtol:
                    self.level = _SPHERE_LEVELS[k - 1]
                    break
            prev = cur
        return change


def _quad(m, ux, uy, uz):
    """u^T M u for symmetric M (n, 3, 3) and unit-vector components (n, K) each."""
    return (m[:, 0, 0, None] * ux * ux + m[:, 1, 1, None] * uy * uy + m[:, 2, 2, None] * uz * uz
            + 2.0 * (m[:, 0, 1, None] * ux * uy + m[:, 0, 2, None] * ux * uz
                     + m[:, 1, 2, None] * uy * uz))  # fmt: skip


def _lin(w, ux, uy, uz):
    """u . w for vectors w (n, 3)."""
    return w[:, 0, None] * ux + w[:, 1, None] * uy + w[:, 2, None] * uz


def _gl_composite(lo, hi, n_seg, n_node=8):
    x, w = np.polynomial.legendre.leggauss(n_node)
    edges = np.linspace(lo, hi, n_seg + 1)
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[1:] + edges[:-1])
    t = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    wt = (half[:, None] * w[None, :]).ravel()
    return t, wt


def _auto_bounds(enc, x1, p1, x2, p2, hbr, gamma, rtol, warnings):
    """Coppola bounds, clipped to +/- half the shorter period and widened until the rate at
    either end, held for another interval length, would add less than ``rtol / 100`` of Nc."""
    r_rel = x2[:3] - x1[:3]
    v_rel = x2[3:] - x1[3:]
    t0, t1 = coppola_conjunction_bounds(
        r_rel[None], v_rel[None], (p1 + p2)[None, :3, :3], hbr, gamma
    )
    t0, t1 = float(t0[0]), float(t1[0])
    periods = orbital_period_s(np.stack([x1[:3], x2[:3]]), np.stack([x1[3:], x2[3:]]))
    half_period = 0.5 * float(np.min(periods))
    if not np.isfinite(t0) or t0 < -half_period:
        t0 = -half_period
        warnings.append("encounter bounds clipped to -half an orbital period")
    if not np.isfinite(t1) or t1 > half_period:
        t1 = half_period
        warnings.append("encounter bounds clipped to +half an orbital period")
    for _ in range(12):
        tt = np.linspace(t0, t1, 65)
        rt = enc.rates(tt)
        span = t1 - t0
        n_est = float(np.trapezoid(rt, tt))
        if n_est <= 0:
            break
        # a tail at the end rate lasting another span would add rate * span: keep widening
        # while that could exceed a small fraction of Nc (velocity uncertainty makes long,
        # low tails that a peak-relative test misses)
        grow_lo = rt[0] * span > 1e-2 * rtol * n_est and t0 > -half_period
        grow_hi = rt[-1] * span > 1e-2 * rtol * n_est and t1 < half_period
        if not (grow_lo or grow_hi):
            break
        if grow_lo:
            t0 = max(t0 - 0.5 * span, -half_period)
        if grow_hi:
            t1 = min(t1 + 0.5 * span, half_period)
    return t0, t1


def nc3d_hall(
    x1_km,
    cov1_km2,
    x2_km,
    cov2_km2,
    hbr_km: float,
    *,
    gamma: float = 1e-16,
    rtol: float = 1e-3,
    max_iter: int = 100,
    iter_tol: float = 1e-6,
    max_segments: int = 512,
    t_bounds_s: tuple[float, float] | None = None,
) -> Nc3dResult:
    """3-D Nc of one encounter from TCA states ``x1_km, x2_km`` (6,) [km, km/s] and 6x6
    inertial covariances ``cov1_km2, cov2_km2`` [km^2, km^2/s, km^2/s^2]; ``hbr_km`` the
    combined hard-body radius.  See the module docstring for the method.

    ``t_bounds_s`` (s from TCA) fixes the risk-assessment interval (CARA's
    ``Tmin``/``Tmax``); by default it is found from Coppola's bounds as described above.
    The covariances must be positive definite (remediate first: :mod:`.validity`).
    """
    x1 = np.asarray(x1_km, float).reshape(6)
    x2 = np.asarray(x2_km, float).reshape(6)
    p1 = np.asarray(cov1_km2, float).reshape(6, 6)
    p2 = np.asarray(cov2_km2, float).reshape(6, 6)
    warnings: list[str] = []
    enc = _Encounter3d(x1, p1, x2, p2, float(hbr_km), max_iter, iter_tol)
    if t_bounds_s is None:
        t0, t1 = _auto_bounds(enc, x1, p1, x2, p2, float(hbr_km), gamma, rtol, warnings)
    else:
        t0, t1 = (float(t) for t in t_bounds_s)
        if not (np.isfinite(t0) and np.isfinite(t1) and t1 > t0):
            raise ValueError(f"t_bounds_s must be finite and increasing, got {t_bounds_s!r}")
    probe = np.linspace(t0, t1, 33)
    probe_rates = enc.rates(probe)
    k = int(np.argmax(probe_rates))
    t_probe = np.unique(np.r_[probe[max(k - 1, 0) : k + 2], 0.0 if t0 < 0 < t1 else probe[k]])
    sphere_change = enc.choose_sphere_level(t_probe, 0.1 * rtol)
    if sphere_change > rtol:
        warnings.append(f"sphere quadrature converged only to {sphere_change:.2g} relative")
    n_seg = 8
    t, w = _gl_composite(t0, t1, n_seg)
    rate = enc.rates(t)
    nc = float(rate @ w)
    rel_err = np.inf
    while n_seg < max_segments:
        n_seg *= 2
        t, w = _gl_composite(t0, t1, n_seg)
        rate = enc.rates(t)
        nc_new = float(rate @ w)
        rel_err = abs(nc_new - nc) / max(abs(nc_new), 1e-300)
        nc = nc_new
        if rel_err <= rtol or nc == 0.0:
            break
    if rel_err > rtol and nc > 0:
        warnings.append(f"3-D Nc time integral converged only to {rel_err:.2g} relative")
    if not enc.all_converged:
        warnings.append(f"expansion-center iteration hit {max_iter} iterations without converging")
    t_peak = float(t[np.argmax(rate)]) if rate.size else 0.0
    outside = 0.0
    if t_bounds_s is None and nc > 0:
        # coarse scan of the rest of the orbit for other approaches that blend with this one
        half_p = 0.5 * float(np.min(orbital_period_s(np.stack([x1[:3], x2[:3]]),
                                                     np.stack([x1[3:], x2[3:]]))))  # fmt: skip
        ts = np.linspace(-half_p, half_p, 129)
        out = (ts < t0) | (ts > t1)
        if out.any():
            saved = (enc.max_iter, enc.level, enc.all_converged, enc.iter_max)
            enc.max_iter, enc.level = 10, _SPHERE_LEVELS[1]  # an order of magnitude will do
            try:
                outside = float(np.sum(enc.rates(ts[out])) * (ts[1] - ts[0]) / nc)
            except (ValueError, np.linalg.LinAlgError):
                # far from TCA the expansion-center iteration can leave bound orbits: the
                # linearization is meaningless there, so the scan says nothing
                warnings.append("could not scan the rest of the orbit for blended approaches")
            finally:
                enc.max_iter, enc.level, enc.all_converged, enc.iter_max = saved
        if outside > 1e-3:
            warnings.append(f"collision rate outside the encounter interval adds about "
                            f"{outside:.2g} of Nc: approaches blend (not an isolated encounter)")  # fmt: skip
    return Nc3dResult(
        nc=nc,
        t_bounds_s=(t0, t1),
        t_peak_s=t_peak,
        rel_err=float(rel_err),
        iterations_max=enc.iter_max,
        converged=enc.all_converged,
        n_times=int(t.size),
        warnings=warnings,
        outside_fraction=outside,
    )
