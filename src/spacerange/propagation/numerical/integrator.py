"""Vectorized Dormand-Prince 8(5,3) integrator over stacked states with one shared step.

Same tableau and error estimate as SciPy's ``solve_ivp(method="DOP853")`` (Hairer, Norsett &
Wanner, *Solving ODEs I*, sec. II.10), but the state is a stack (n_objects, n_dim) and the step
is accepted only when *every* object's own error norm is <= 1 (max over objects, not an RMS
over the whole stack, so one hard object cannot hide among easy ones).  Steps are clipped to
land exactly on the requested output times (no dense output).

Objects flagged dead by ``alive(t, y)`` (e.g. re-entered) are frozen, excluded from step
control, and reported NaN from the first output time after that.

Per-object isolation: one object never fails the batch.  An object whose derivatives turn
non-finite, or whose own error would force the shared step below ``min_step_s`` (a trial orbit
diving into the Earth's centre, say), is *dropped*: frozen, NaN from then on, flagged in
``info["failed"]`` with its reason in ``info["reasons"]``; the others finish.  The step
budget ``max_steps`` likewise fails the objects still running instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate._ivp import dop853_coefficients as _dop

_A = _dop.A[: _dop.N_STAGES, : _dop.N_STAGES]
_B = _dop.B
_C = _dop.C[: _dop.N_STAGES]
_E3 = _dop.E3
_E5 = _dop.E5
_NS = _dop.N_STAGES


def integrate_many(
    fun: Callable[[float, np.ndarray], np.ndarray],
    y0: np.ndarray,
    t_eval_s: np.ndarray,
    rtol: float = 1e-10,
    atol: float | np.ndarray = 1e-9,
    t0_s: float = 0.0,
    h0_s: float | None = None,
    max_step_s: float = np.inf,
    alive: Callable[[float, np.ndarray], np.ndarray] | None = None,
    max_steps: int = 1_000_000,
    min_step_s: float | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Integrate dy/dt = fun(t, y) for y (n, d) from ``t0_s`` to each of ``t_eval_s``.

    ``t_eval_s`` must be monotonic (forward or backward from ``t0_s``).  Returns
    ``(y_out (n, n_t, d), alive_mask (n,), info)`` where ``info`` has ``nfev``/``nsteps``,
    ``failed`` (n,) bool (dropped by the integrator, not by ``alive``) and ``reasons``
    {object index: reason}.  ``min_step_s`` (default ``1e-9 * max(1, |span|)``) is the
    smallest step an object may demand before it is dropped.
    """
    y = np.array(y0, dtype=float, copy=True)
    n, d = y.shape
    t_eval = np.asarray(t_eval_s, dtype=float)
    out = np.full((n, t_eval.size, d), np.nan)
    failed = np.zeros(n, bool)
    reasons: dict[int, str] = {}
    if t_eval.size == 0:
        return out, np.ones(n, bool), {"nfev": 0, "nsteps": 0, "failed": failed, "reasons": reasons}
    direction = 1.0 if t_eval[-1] >= t0_s else -1.0
    if np.any(direction * np.diff(np.concatenate([[t0_s], t_eval])) < 0):
        raise ValueError("t_eval_s must be monotonic and on one side of t0_s")
    atol = np.broadcast_to(np.asarray(atol, dtype=float), (d,))
    live = np.ones(n, bool) if alive is None else np.asarray(alive(t0_s, y), bool).copy()
    if min_step_s is None:
        min_step_s = 1e-9 * max(1.0, abs(float(t_eval[-1]) - float(t0_s)))

    def drop(mask: np.ndarray, why: str) -> None:
        nonlocal f
        for i in np.flatnonzero(mask & live):
            reasons[int(i)] = why
        failed[mask & live] = True
        live[mask] = False
        # frozen objects must not feed non-finite values into the next stages
        f = np.where(live[:, None], f, 0.0)

    t = float(t0_s)
    with np.errstate(all="ignore"):
        f = fun(t, y)
    bad0 = live & ~np.all(np.isfinite(y) & np.isfinite(f), axis=1)
    if bad0.any():
        drop(bad0, f"non-finite state or derivatives at t={t:.3f} s")
    y = np.where(live[:, None], y, np.nan_to_num(y))
    nfev, nsteps = 1, 0
    if h0_s is None:
        scale = atol + np.abs(y) * rtol
        d0 = np.max(np.sqrt(np.mean((y / scale) ** 2, axis=1)), initial=0.0)
        d1 = np.max(np.sqrt(np.mean((f / scale) ** 2, axis=1)), initial=0.0)
        h = 0.01 * d0 / d1 if d0 > 1e-5 and d1 > 1e-5 else 1e-3
        h = min(h, max_step_s, 60.0)
    else:
        h = abs(h0_s)
    k = np.empty((_NS + 1, n, d))
    i_out = 0
    while i_out < t_eval.size and t_eval[i_out] == t:
        out[:, i_out] = np.where(live[:, None], y, np.nan)
        i_out += 1
    while i_out < t_eval.size:
        if nsteps >= max_steps:
            drop(live.copy(), f"more than {max_steps} integration steps (stopped at t={t:.3f} s)")
            break
        target = t_eval[i_out]
        h = min(h, max_step_s)
        h_step, hit = h, False
        if direction * (t + direction * h - target) >= 0:
            h_step, hit = abs(target - t), True
        hs = direction * h_step
        k[0] = f
        with np.errstate(all="ignore"):  # a diverging object is dropped below, not warned about
            for s in range(1, _NS):
                dy = np.tensordot(_A[s, :s], k[:s], axes=(0, 0)) * hs
                k[s] = fun(t + _C[s] * hs, y + dy)
            y_new = y + hs * np.tensordot(_B, k[:_NS], axes=(0, 0))
            f_new = fun(t + hs, y_new)
        k[_NS] = f_new
        nfev += _NS
        with np.errstate(all="ignore"):
            scale = atol + np.maximum(np.abs(y), np.abs(y_new)) * rtol
            err5 = np.tensordot(_E5, k, axes=(0, 0)) / scale
            err3 = np.tensordot(_E3, k, axes=(0, 0)) / scale
            e5 = np.sum(err5 * err5, axis=1)
            e3 = np.sum(err3 * err3, axis=1)
            denom = e5 + 0.01 * e3
            err = np.where(denom > 0, h_step * e5 / np.sqrt(denom * d), 0.0)
        err = np.where(live & np.isfinite(err), err, np.where(live, np.inf, 0.0))
        err_max = float(np.max(err)) if n else 0.0
        if not live.any():
            break
        if err_max <= 1.0:
            t = t + hs
            y = np.where(live[:, None], y_new, y)
            f = np.where(live[:, None], f_new, 0.0)
            nsteps += 1
            if alive is not None:
                live &= np.asarray(alive(t, y), bool)
            if hit:
                while i_out < t_eval.size and t_eval[i_out] == target:
                    out[:, i_out] = np.where(live[:, None], y, np.nan)
                    i_out += 1
            fac = 10.0 if err_max == 0 else min(10.0, 0.9 * err_max ** (-1.0 / 8.0))
            h = h_step * fac if (not hit or fac < 1.0) else h
        else:
            if not np.isfinite(err_max):
                # non-finite derivatives for a live object: drop it rather than stall the rest
                bad = live & ~np.isfinite(err)
                if h_step < 1e-6 * max(1.0, abs(target - t0_s)) or bad.sum() < live.sum():
                    drop(bad, f"non-finite derivatives at t={t:.3f} s")
                    continue
            h = h_step * (max(0.2, 0.9 * err_max ** (-1.0 / 8.0)) if np.isfinite(err_max) else 0.2)
            if h < min_step_s:
                # the objects that cannot meet the tolerance even at the smallest step are
                # dropped; the others passed at h_step and carry on from there
                drop(live & (err > 1.0), f"step size underflow at t={t:.3f} s")
                h = h_step
    return out, live, {"nfev": nfev, "nsteps": nsteps, "failed": failed, "reasons": reasons}
