"""Cowell propagation in GCRS: one object (SciPy DOP853) or many (vectorized DOP853).

States are GCRS (treated as J2000/EME2000 inertial) positions in km and velocities in km/s;
the epoch is numpy datetime64[us] UTC or a tz-aware datetime; output times are datetime64 /
tz-aware datetimes, or numbers meaning seconds since the epoch.

Maneuvers: impulsive burns stop the integration at the burn epoch, add the delta-v, and
continue (an output time equal to a burn epoch reports the *post*-burn state); finite burns
add a thrust acceleration, and the arc is split at their start and end.  Objects whose height
falls below 80 km are declared decayed: their states are NaN from then on.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from spacerange.errors import PropagationError

from .atmosphere import height_km
from .forces import Dynamics, ForceModel, reentry_height_km
from .integrator import integrate_many
from .maneuvers import FiniteBurn, ImpulsiveManeuver


def _as_states(states, shape_name: str) -> np.ndarray:
    y = np.asarray(states, dtype=float)
    if y.ndim != 2 or y.shape[1] != 6:
        raise ValueError(f"{shape_name} must have shape (n, 6) [km, km/s], got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{shape_name} contains non-finite values")
    if np.any(np.linalg.norm(y[:, :3], axis=1) < 6000.0):
        raise ValueError(f"{shape_name}: position inside the Earth (|r| < 6000 km); units km?")
    return y


def _plan(dyn: Dynamics, maneuvers, t_eval: np.ndarray):
    """Split the arc at burn epochs: list of (t_start, t_end, impulse_at_end | None)."""
    impulses, boundaries = [], set()
    burns = []
    for man in maneuvers:
        if isinstance(man, ImpulsiveManeuver):
            t = float(dyn.times.seconds_since_epoch(man.epoch_utc))
            impulses.append((t, man))
            boundaries.add(t)
        elif isinstance(man, FiniteBurn):
            t = float(dyn.times.seconds_since_epoch(man.start_utc))
            burns.append((t, man))
            boundaries.update((t, t + man.duration_s))
        else:
            raise TypeError(f"unknown maneuver type {type(man).__name__}")
    if (impulses or burns) and t_eval.size and t_eval.min() < 0:
        raise ValueError("maneuvers are supported for forward propagation only (times >= epoch)")
    t_end = float(t_eval.max()) if t_eval.size else 0.0
    cuts = sorted(b for b in boundaries if 0.0 <= b < t_end)
    return cuts, sorted(impulses, key=lambda x: x[0]), tuple(burns)


def _run(
    y0: np.ndarray,
    epoch0,
    times,
    force_model: ForceModel,
    maneuvers,
    backend: str,
) -> tuple[np.ndarray, Dynamics]:
    """Shared driver: returns states (n, n_t, 6)."""
    from .earth import EpochTimes

    et = EpochTimes(epoch0)
    t_eval = np.atleast_1d(et.seconds_since_epoch(times)).astype(float)
    if t_eval.ndim != 1:
        raise ValueError(f"times must be 1-D, got shape {t_eval.shape}")
    lo = min(0.0, float(t_eval.min())) if t_eval.size else 0.0
    hi = max(0.0, float(t_eval.max())) if t_eval.size else 0.0
    dyn = Dynamics(force_model, epoch0, (lo, hi))
    cuts, impulses, burns = _plan(dyn, maneuvers, t_eval)
    dyn.finite_burns = burns
    fm = force_model
    atol = np.array([fm.atol_km] * 3 + [fm.atol_km * 1e-3] * 3)
    n = y0.shape[0]
    out = np.full((n, t_eval.size, 6), np.nan)
    dyn.failures = {}  # object index -> reason, for objects the integrator dropped

    def integrate(y_start, t_start, targets):
        """Integrate from t_start to each of targets (monotonic); -> (n, len, 6), alive."""
        if backend == "scipy":
            return _integrate_scipy(dyn, y_start, t_start, targets, fm.rtol, atol)
        res, ok, info = integrate_many(
            dyn.derivatives, y_start, targets, fm.rtol, atol, t0_s=t_start, alive=_alive(dyn)
        )
        for i, why in info["reasons"].items():
            dyn.failures.setdefault(i, why)
        return res, ok

    # backward part (no maneuvers): times < 0, integrated from 0 in decreasing order
    back = np.flatnonzero(t_eval < 0)
    if back.size:
        order = back[np.argsort(-t_eval[back])]
        res, _ = integrate(y0, 0.0, t_eval[order])
        out[:, order] = res
    fwd = np.flatnonzero(t_eval >= 0)
    if fwd.size:
        order = fwd[np.argsort(t_eval[fwd], kind="stable")]
        tf = t_eval[order]
        y, t, live = y0.copy(), 0.0, np.ones(n, bool)
        segments = [*cuts, np.inf]
        k = 0
        for seg_end in segments:
            sel_end = np.searchsorted(tf, seg_end, side="left") if np.isfinite(seg_end) else tf.size
            targets = tf[k:sel_end]
            stop = [seg_end] if np.isfinite(seg_end) and seg_end > t else []
            all_t = np.concatenate([targets, stop])
            if all_t.size:
                res, ok = integrate(y, t, all_t)
                kept = np.where(live[:, None, None], res[:, : targets.size], np.nan)
                out[:, order[k:sel_end]] = kept
                live &= ok
                if stop:
                    y = np.where(live[:, None], res[:, -1], y)
                    t = seg_end
            k = sel_end
            if not np.isfinite(seg_end):
                break
            for ti, man in impulses:
                if ti == seg_end:
                    dv = man.dv_gcrs_km_s(y[:, :3], y[:, 3:])
                    y = y.copy()
                    y[:, 3:] += dv
            # outputs exactly at the burn epoch report the post-burn state
            while k < tf.size and tf[k] == seg_end:
                out[:, order[k]] = np.where(live[:, None], y, np.nan)
                k += 1
            if k >= tf.size:
                break
    return out, dyn


def _alive(dyn: Dynamics):
    limit = reentry_height_km()

    def check(t_s, y):
        return height_km(y[:, :3]) > limit

    return check


def _integrate_scipy(dyn, y_start, t_start, targets, rtol, atol):
    n = y_start.shape[0]
    res = np.full((n, targets.size, 6), np.nan)
    live = np.ones(n, bool)
    limit = reentry_height_km()

    def decay(t, y):
        return float(height_km(y[None, :3])[0]) - limit

    decay.terminal = True
    for i in range(n):
        if targets.size == 0:
            continue
        if targets[-1] == t_start:
            res[i] = y_start[i]
            continue
        sol = solve_ivp(
            dyn.derivatives_flat,
            (t_start, float(targets[-1])),
            y_start[i],
            method="DOP853",
            t_eval=targets,
            rtol=rtol,
            atol=atol,
            events=decay,
        )
        if sol.status == -1:
            raise PropagationError(f"integration failed: {sol.message}")
        m = sol.y.shape[1]
        res[i, :m] = sol.y.T
        if sol.status == 1:
            live[i] = False
    return res, live


def propagate(
    state0,
    epoch0,
    times,
    force_model: ForceModel | None = None,
    maneuvers=(),
    backend: str = "scipy",
) -> tuple[np.ndarray, np.ndarray]:
    """Propagate one object; returns ``(r_gcrs_km (n_t, 3), v_gcrs_km_s (n_t, 3))``.

    ``state0`` (6,) GCRS [km, km/s] at ``epoch0``; ``times`` datetime64/tz-aware datetimes or
    seconds since ``epoch0`` (either side of it; maneuvers only forward).  ``backend``:
    'scipy' (``solve_ivp`` DOP853) or 'vectorized' (:func:`.integrator.integrate_many`).
    """
    if backend not in ("scipy", "vectorized"):
        raise ValueError(f"backend must be 'scipy' or 'vectorized', got {backend!r}")
    y0 = _as_states(np.reshape(state0, (1, -1)) if np.size(state0) == 6 else state0, "state0")
    if y0.shape[0] != 1:
        raise ValueError("propagate takes one state (6,); use propagate_many for several")
    out, _ = _run(y0, epoch0, times, force_model or ForceModel(), maneuvers, backend)
    return out[0, :, :3], out[0, :, 3:]


def propagate_many(
    states0,
    epoch0,
    times,
    force_model: ForceModel | None = None,
    maneuvers=(),
    return_failures: bool = False,
):
    """Propagate many objects together with one shared adaptive step (vectorized DOP853).

    ``states0`` (n, 6) GCRS [km, km/s] at the common ``epoch0``; returns (n, n_t, 6).
    Maneuvers, if given, apply to every object (RTN delta-v in each object's own axes).
    Decayed objects (height < 80 km) are NaN from the first output after decay.  An object
    the integrator cannot carry (non-finite state, step size underflow) is NaN from then on
    and the others finish; with ``return_failures`` the result is ``(states, {index:
    reason})`` so that such objects are told apart from decayed ones.
    """
    y = np.asarray(states0, dtype=float)
    if y.ndim != 2 or y.shape[1] != 6:
        raise ValueError(f"states0 must have shape (n, 6) [km, km/s], got {y.shape}")
    # a bad row is that object's failure, not the batch's: NaN output with its reason
    with np.errstate(invalid="ignore"):
        finite = np.all(np.isfinite(y), axis=1)
        inside = finite & (np.linalg.norm(np.where(finite[:, None], y, 0)[:, :3], axis=1) < 6000.0)
    bad = ~finite | inside
    if bad.all() and y.shape[0]:
        _as_states(y, "states0")  # every row invalid: a usage error, raised as before
    fails = {int(i): "non-finite initial state" for i in np.flatnonzero(~finite)}
    fails |= {int(i): "initial position inside the Earth (|r| < 6000 km)"
              for i in np.flatnonzero(inside)}  # fmt: skip
    good = np.flatnonzero(~bad)
    out_good, dyn = _run(_as_states(y[good], "states0"), epoch0, times,
                         force_model or ForceModel(), maneuvers, "vectorized")  # fmt: skip
    out = np.full((y.shape[0], *out_good.shape[1:]), np.nan)
    out[good] = out_good
    fails |= {int(good[i]): why for i, why in dyn.failures.items()}
    return (out, dict(sorted(fails.items()))) if return_failures else out
