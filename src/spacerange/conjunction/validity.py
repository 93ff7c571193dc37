"""Usage-violation checks for the Pc methods and covariance remediation (km, km/s, s).

2-D Pc (Hall et al. 2023, "A multistep probability of collision computational algorithm",
AAS 23-398, with the Mahalanobis-curve analysis of Hall 2019, AAS 19-632, and Coppola's
2012 conjunction duration):

* **NPD**: a position covariance (either object, or the joint one) at TCA has an
  eigenvalue <= 0.
* **Offset**: with rectilinear motion and constant covariance the squared Mahalanobis
  distance is ``M'(t) = a dt^2 + b dt + c`` (``a = v^T A^-1 v``, ``b = 2 r^T A^-1 v``,
  ``c = r^T A^-1 r``); its minimum lies ``dT' = -b / 2a`` from TCA.  Violation when
  ``V_o = |dT'| / p_min > 0.01`` (``p_min`` the shorter orbital period).
* **Extended**: the rectilinear duration ``dtau' = 2 sqrt(2) erfcinv(1e-6) w'`` with the
  1-sigma width ``w' = a^-1/2``.  Violation when ``V_e = dtau' / p_min > 0.02``.
* **Inaccuracy**: the curvilinear Mahalanobis curve ``M(t) = r_t^T A_t^-1 r_t +
  ln(|A_t| / |A_TCA|)`` (two-body means and covariances, :mod:`.equinoctial`) is compared
  with the rectilinear one through ``ln F_c = ln(|v_T| / |v_TCA|) + ln(w / w') -
  (M_min - M'_min) / 2``; violation when ``V_i = 1 - exp(-|ln F_c|) > 0.02``.  ``F_c`` is
  also the rough correction factor ``Pc'' = F_c Pc'``.

* **Velocity** (ours; the 2-D method takes the relative velocity as exact): the relative
  velocity's 1-sigma uncertainty ``sqrt(tr C_v)`` exceeds ``V_VELOCITY_MAX`` (0.1) of the
  relative speed.  Slow encounters with uncertain velocities (Alfano cases 1-2: 2-D Pc 0.15
  vs 0.22) pass the four published checks, because their Mahalanobis curves only differ
  far from TCA, where slow samples linger.

3-D Nc (same paper, thresholds not published; ours, stated here): non-convergence of the
expansion-center iteration; **extended** when the integration interval is longer than
``NC3D_EXTENDED_MAX`` (0.5) of ``p_min``, had to be clipped to +/- half a period, or a
coarse scan of the rest of the orbit finds more than 1e-3 of Nc outside it (successive
approaches blend); **offset** when the peak rate
lies more than ``NC3D_OFFSET_MAX`` (0.1) of ``p_min`` from TCA.

Covariance remediation (Hall et al. 2017, "Remediating non-positive-definite state
covariances for collision probability estimation"): eigenvalue clipping of each object's
6x6 covariance, with the position block clipped at a floor tied to the HBR and the
velocity block at a proportionally small floor, so that NPD (or slightly indefinite,
rounding-truncated) matrices become usable; what was clipped is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import erfcinv

from .encounter import orbital_period_s
from .equinoctial import cart_cov_to_equinoctial, retrograde_factor, two_body_jacobian

__all__ = [
    "Violations2d",
    "check_2d",
    "remediate_covariance",
    "V_OFFSET_MAX",
    "V_EXTENDED_MAX",
    "V_INACCURACY_MAX",
]

V_OFFSET_MAX = 0.01
V_EXTENDED_MAX = 0.02
V_INACCURACY_MAX = 0.02
V_VELOCITY_MAX = 0.1
NC3D_EXTENDED_MAX = 0.5
NC3D_OFFSET_MAX = 0.1
#: Pc'' below which an inaccuracy-only violation still reports max(Pc', Pc'') (Hall 2023)
NEGLIGIBLE_PC = 1e-15


@dataclass
class Violations2d:
    """2-D Pc usage-violation indicators of one conjunction (see the module docstring).

    ``v_offset``, ``v_extended``, ``v_inaccuracy`` the indicators; ``npd`` the NPD flag;
    ``log_fc`` the natural log of the correction factor ``F_c``; ``p_min_s`` the shorter
    period; ``violations`` the names of those that exceed their thresholds.
    """

    npd: bool
    v_offset: float
    v_extended: float
    v_inaccuracy: float
    log_fc: float
    p_min_s: float
    v_velocity: float = float("nan")
    violations: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"V_o={self.v_offset:.3g} (max {V_OFFSET_MAX}), "
                f"V_e={self.v_extended:.3g} (max {V_EXTENDED_MAX}), "
                f"V_i={self.v_inaccuracy:.3g} (max {V_INACCURACY_MAX}), "
                f"sigma_v/v={self.v_velocity:.3g} (max {V_VELOCITY_MAX})"
                + (", NPD covariance" if self.npd else ""))  # fmt: skip


def remediate_covariance(cov_km2, hbr_km: float, name: str) -> tuple[np.ndarray, list[str]]:
    """Eigenvalue-clip a 3x3 or 6x6 covariance (Hall et al. 2017, CARA ``CovRemEigValClip``).

    Position-block eigenvalues are floored at ``(1e-4 hbr)^2`` km^2 (CARA's 2-D clip
    level); for a 6x6 the whole matrix is clipped at the smallest nonnegative floor that
    keeps it positive definite relative to its largest eigenvalue (``1e-15`` relative).
    Returns the repaired matrix and a list of notes (empty when nothing changed).
    """
    c = 0.5 * (np.asarray(cov_km2, float) + np.asarray(cov_km2, float).T)
    notes: list[str] = []
    lam, vec = np.linalg.eigh(c)
    floor = max(1e-15 * float(lam[-1]), 0.0)
    if c.shape == (3, 3):
        floor = max(floor, (1e-4 * hbr_km) ** 2)
    if lam[0] <= floor:
        notes.append(f"{name}: not positive definite (min eigenvalue {lam[0]:.3g}); "
                     f"eigenvalues clipped to {floor:.3g} (Hall et al. 2017 eigenvalue clipping)")  # fmt: skip
        c = (vec * np.maximum(lam, floor)) @ vec.T
        c = 0.5 * (c + c.T)
    pos = np.linalg.eigvalsh(c[:3, :3])
    pfloor = (1e-4 * hbr_km) ** 2
    if pos[0] < pfloor and c.shape == (6, 6):
        lamp, vecp = np.linalg.eigh(c[:3, :3])
        c = c.copy()
        c[:3, :3] = (vecp * np.maximum(lamp, pfloor)) @ vecp.T
        notes.append(f"{name}: position block clipped to ({1e-4 * hbr_km * 1e3:.3g} m)^2")
    return c, notes


def _mahalanobis_curve(x1, c1, x2, c2, t):
    """Two-body M(t) (without the log-det term), mean relative PV and |A_t| at times t."""
    fr1, fr2 = retrograde_factor(x1), retrograde_factor(x2)
    e1, pe1 = cart_cov_to_equinoctial(x1, c1, fr1)
    e2, pe2 = cart_cov_to_equinoctial(x2, c2, fr2)
    xa, ja = two_body_jacobian(e1, t, fr1)
    xb, jb = two_body_jacobian(e2, t, fr2)
    a = (ja @ pe1 @ np.swapaxes(ja, -1, -2) + jb @ pe2 @ np.swapaxes(jb, -1, -2))[:, :3, :3]
    r = xb[:, :3] - xa[:, :3]
    m = np.einsum("ti,ti->t", r, np.linalg.solve(a, r[..., None])[..., 0])
    return m, xb[:, 3:] - xa[:, 3:], np.linalg.slogdet(a)[1]


def check_2d(x1_km, cov1_km2, x2_km, cov2_km2) -> Violations2d:
    """2-D Pc usage-violation indicators from TCA states (6,) and covariances (3x3 or 6x6).

    With 3x3 covariances the inaccuracy check (which needs velocity covariances) is skipped
    (``v_inaccuracy`` NaN).
    """
    x1 = np.asarray(x1_km, float).reshape(6)
    x2 = np.asarray(x2_km, float).reshape(6)
    c1 = np.asarray(cov1_km2, float)
    c2 = np.asarray(cov2_km2, float)
    eig = np.concatenate([np.linalg.eigvalsh(c1[:3, :3]), np.linalg.eigvalsh(c2[:3, :3]),
                          np.linalg.eigvalsh(c1[:3, :3] + c2[:3, :3])])  # fmt: skip
    npd = bool(np.any(eig <= 0))
    p_min = float(np.min(orbital_period_s(np.stack([x1[:3], x2[:3]]), np.stack([x1[3:], x2[3:]]))))
    a_mat = c1[:3, :3] + c2[:3, :3]
    r = x2[:3] - x1[:3]
    v = x2[3:] - x1[3:]
    ai = np.linalg.pinv(a_mat)
    a = float(v @ ai @ v)
    b = float(2 * r @ ai @ v)
    c = float(r @ ai @ r)
    if a > 0:
        dt_off = -b / (2 * a)
        w_lin = a**-0.5
    else:
        dt_off, w_lin = np.inf, np.inf
    v_o = abs(dt_off) / p_min
    dtau = 2 * np.sqrt(2) * erfcinv(1e-6) * w_lin
    v_e = dtau / p_min
    m_lin = c - b * b / (4 * a) if a > 0 else c
    v_i = np.nan
    log_fc = 0.0
    if c1.shape == (6, 6) and c2.shape == (6, 6) and np.isfinite(w_lin) and not npd:
        # curvilinear Mahalanobis curve over a window of a few rectilinear widths
        span = min(max(10 * w_lin, 10.0), 0.5 * p_min)
        t = np.linspace(dt_off - span, dt_off + span, 201) if abs(dt_off) < p_min else \
            np.linspace(-span, span, 201)  # fmt: skip
        _, _, logdet0 = _mahalanobis_curve(x1, c1, x2, c2, np.array([0.0]))
        m_t, vrel, logdet = _mahalanobis_curve(x1, c1, x2, c2, t)
        m_t = m_t + logdet - logdet0[0]
        k = int(np.argmin(m_t))
        k = min(max(k, 1), t.size - 2)
        h = t[1] - t[0]
        curv = (m_t[k + 1] - 2 * m_t[k] + m_t[k - 1]) / h**2
        # parabola through the three points around the minimum
        denom = m_t[k + 1] - 2 * m_t[k] + m_t[k - 1]
        frac = 0.5 * (m_t[k - 1] - m_t[k + 1]) / denom if denom > 0 else 0.0
        m_min = m_t[k] - 0.25 * (m_t[k - 1] - m_t[k + 1]) * frac
        w_cur = np.sqrt(2.0 / curv) if curv > 0 else np.inf
        log_fc = float(np.log(np.linalg.norm(vrel[k]) / np.linalg.norm(v))
                       + np.log(w_cur / w_lin) - 0.5 * (m_min - m_lin))  # fmt: skip
        v_i = float(1.0 - np.exp(-abs(log_fc)))
    v_v = np.nan
    if c1.shape == (6, 6) and c2.shape == (6, 6):
        sv = np.sqrt(max(np.trace(c1[3:, 3:] + c2[3:, 3:]), 0.0))
        v_v = sv / np.linalg.norm(v) if np.linalg.norm(v) > 0 else np.inf
    out = Violations2d(npd, float(v_o), float(v_e), float(v_i), log_fc, p_min, float(v_v))
    if npd:
        out.violations.append("npd")
    if v_o > V_OFFSET_MAX:
        out.violations.append("offset")
    if v_e > V_EXTENDED_MAX:
        out.violations.append("extended")
    if np.isfinite(v_i) and v_i > V_INACCURACY_MAX:
        out.violations.append("inaccuracy")
    if v_v > V_VELOCITY_MAX:
        out.violations.append("velocity")
    return out
