"""State transition matrix and covariance propagation for the numerical propagator.

Two methods:

* ``"variational"``: the 6x6 variational equations dPhi/dt = A(t) Phi integrated with the
  state, A = [[0, I], [G, 0]] with G the analytic gravity gradient of point mass + J2
  (J2 about the IAU-76 mean pole of date).  Exact for two-body + J2 dynamics; for richer force
  models the state still uses the full model but Phi neglects the other forces' partials.
* ``"finite_difference"``: central differences of the *full* propagation (all forces and
  maneuvers), the 12 perturbed trajectories run together with the nominal one through the
  vectorized integrator.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from spacerange.errors import CovarianceError, PropagationError

from .forces import Dynamics, ForceModel
from .gravity import egm96, j2_gravity_gradient
from .propagator import _as_states, propagate_many


def propagate_with_stm(
    state0,
    epoch0,
    times,
    force_model: ForceModel | None = None,
    maneuvers=(),
    method: str = "finite_difference",
    fd_step_km: float = 1e-3,
    fd_step_km_s: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """Propagate one state and its STM; returns ``(states (n_t, 6), stm (n_t, 6, 6))``.

    ``stm[k]`` maps a GCRS deviation at ``epoch0`` [km, km/s] to one at ``times[k]``.
    ``fd_step_*`` are the central-difference half-steps (finite-difference method).
    """
    fm = force_model or ForceModel()
    y0 = _as_states(np.reshape(state0, (1, 6)), "state0")[0]
    if method == "finite_difference":
        steps = np.array([fd_step_km] * 3 + [fd_step_km_s] * 3)
        pert = np.concatenate([np.diag(steps), -np.diag(steps)])
        states = np.concatenate([y0[None], y0 + pert])
        out = propagate_many(states, epoch0, times, fm, maneuvers)
        plus, minus = out[1:7], out[7:13]
        stm = np.transpose((plus - minus) / (2.0 * steps[:, None, None]), (1, 2, 0))
        return out[0], stm
    if method != "variational":
        raise ValueError(f"method must be 'finite_difference' or 'variational', got {method!r}")
    if maneuvers:
        raise ValueError("variational STM does not model maneuvers; use 'finite_difference'")
    return _variational(y0, epoch0, times, fm)


def _variational(y0, epoch0, times, fm: ForceModel):
    from .earth import EpochTimes

    et = EpochTimes(epoch0)
    t_eval = np.atleast_1d(et.seconds_since_epoch(times)).astype(float)
    lo, hi = min(0.0, t_eval.min()), max(0.0, t_eval.max())
    dyn = Dynamics(fm, epoch0, (lo, hi))
    field = egm96()
    gm = dyn.mu_km3_s2 if fm.gravity_degree < 2 else field.gm_km3_s2
    j2 = field.j(2) if fm.gravity_degree >= 2 else 0.0

    def rhs(t, z):
        y = z[:6]
        phi = z[6:].reshape(6, 6)
        dy = dyn.derivatives_flat(t, y)
        m = dyn.earth_fixed_matrix(t)  # only its pole matters for J2
        g = m.T @ j2_gravity_gradient(m @ y[:3], gm, field.radius_km, j2) @ m
        a = np.zeros((6, 6))
        a[:3, 3:] = np.eye(3)
        a[3:, :3] = g
        return np.concatenate([dy, (a @ phi).ravel()])

    z0 = np.concatenate([y0, np.eye(6).ravel()])
    atol = np.concatenate([[fm.atol_km] * 3, [fm.atol_km * 1e-3] * 3, np.full(36, 1e-10)])
    states = np.full((t_eval.size, 6), np.nan)
    stm = np.full((t_eval.size, 6, 6), np.nan)
    for sel in (np.flatnonzero(t_eval < 0), np.flatnonzero(t_eval >= 0)):
        if sel.size == 0:
            continue
        order = sel[np.argsort(np.abs(t_eval[sel]))]
        tt = t_eval[order]
        if np.all(tt == 0):
            states[order], stm[order] = y0, np.eye(6)
            continue
        sol = solve_ivp(rhs, (0.0, tt[-1]), z0, "DOP853", t_eval=tt, rtol=fm.rtol, atol=atol)
        if not sol.success:
            raise PropagationError(f"variational integration failed: {sol.message}")
        states[order] = sol.y[:6].T
        stm[order] = sol.y[6:].T.reshape(-1, 6, 6)
    return states, stm


def propagate_covariance(p0: np.ndarray, stm: np.ndarray) -> np.ndarray:
    """P(t) = Phi P0 Phi^T for ``p0`` (6, 6) and ``stm`` (..., 6, 6); returns (..., 6, 6).

    Raises :class:`~spacerange.errors.CovarianceError` when ``p0`` is not a symmetric
    positive semi-definite 6x6 matrix.
    """
    p0 = np.asarray(p0, dtype=float)
    if p0.shape != (6, 6):
        raise CovarianceError(f"covariance must be 6x6, got {p0.shape}")
    if not np.allclose(p0, p0.T, rtol=1e-10, atol=1e-20):
        raise CovarianceError("covariance is not symmetric")
    if np.min(np.linalg.eigvalsh(p0)) < -1e-12 * max(1.0, np.max(np.abs(p0))):
        raise CovarianceError("covariance is not positive semi-definite")
    stm = np.asarray(stm, dtype=float)
    return stm @ p0 @ np.swapaxes(stm, -1, -2)
