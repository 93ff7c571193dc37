"""Encounters built from a break-up: the ejection velocity of one fragment that makes it
meet a target by propagation.

A scripted conjunction whose secondary is a fragment of a scripted break-up (``FRAG77-0042``
of the demo) cannot be set up at STARTEX, and giving the fragment a new orbit when the
conjunction is released would move it (11,456 km in the demo).  Instead the fragment is
*created* on the encounter course: at the break-up it leaves the parent's position with an
ejection velocity chosen so that SGP4, from that state, brings it ``miss_km`` from the
target at TCA.  Nothing is moved afterwards; the break-up event logs the ejection speed
next to the NASA SBM draw it replaced (collision fragments of 10 cm are ejected at
~10^2-10^3 m/s, Johnson et al. 2001, so the 50-250 m/s this needs is an ordinary draw).

Method (shooting on the truth model itself):

1. TCA is the target's crossing of the parent's (SGP4, regressing) orbit plane nearest the
   scripted TCA, so that the fragment needs no large plane change (the scripted TCA moves
   by at most a quarter of the target's period; the shift is reported).
2. A grid of radial / transverse ejection velocities (SGP4 of all of them at once) gives
   the starting points; Newton iteration on the three components (finite differences,
   each evaluation an SGP4 mean-element fit of the ejection state and SGP4 to TCA)
   converges to the aim point to < 1 m.  The smallest converged ejection wins.
3. The aim point is offset from the target by ``miss_km`` perpendicular to the relative
   velocity, so the closest approach is at TCA with the scripted miss.

Every trial is propagated with the drag truth will apply: ``through`` maps the arcs fitted
at the break-up to the arcs valid at TCA (a storm scheduled in between re-arcs the fragment
with a scaled B*, :meth:`spacerange.exercise.world.environment.EnvironmentThreats.
through_drag_changes`), and ``target_rv`` is the target's predicted truth.  Without it the
demo's storm (B* x5 from 03-08 19:30Z) turned the scripted 300 m into a 265-292 km miss.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sgp4.api import Satrec, SatrecArray

from spacerange.exercise.world.model import _sgp4_one, _td64, fit_satrecs
from spacerange.frames import rtn_basis
from spacerange.timescales import jd_fr_utc

#: ejection velocities tried as starting points: radial / transverse grid [km/s]
GRID_HALF_KM_S = 0.30
GRID_STEP_KM_S = 0.005
#: Newton convergence on the aim point [km]
AIM_TOL_KM = 1e-3
#: ejection speeds above this are refused (not a fragment's) [km/s]
MAX_EJECTION_KM_S = 1.0


def _positions_at(sats: list[Satrec | None], t: np.datetime64) -> np.ndarray:
    """TEME positions (n, 3) of ``sats`` at ``t`` (NaN where missing or SGP4 fails)."""
    out = np.full((len(sats), 3), np.nan)
    ok = [k for k, s in enumerate(sats) if s is not None]
    if not ok:
        return out
    jd, fr = jd_fr_utc(np.asarray([t]))
    e, r, _ = SatrecArray([sats[k] for k in ok]).sgp4(jd, fr)
    r = r[:, 0]
    r[e[:, 0] != 0] = np.nan
    out[ok] = r
    return out


def plane_crossings(parent: Satrec, target_rv: Callable, t_from: np.datetime64,
                    t_to: np.datetime64, step_s: float = 20.0) -> np.ndarray:  # fmt: skip
    """Instants in ``[t_from, t_to]`` where the target (``target_rv(times) -> (r, v)``)
    crosses the orbit plane of ``parent`` (its SGP4 plane at that instant)."""
    n = int(float((t_to - t_from) / np.timedelta64(1, "s")) // step_s) + 1
    ts = t_from + (np.arange(n) * step_s * 1e6).astype("timedelta64[us]")
    rp, vp, _ = _sgp4_one(parent, ts)
    h = np.cross(rp, vp)
    h /= np.linalg.norm(h, axis=-1, keepdims=True)
    rt, _ = target_rv(ts)
    s = np.einsum("ij,ij->i", rt, h)
    k = np.nonzero(np.sign(s[:-1]) * np.sign(s[1:]) < 0)[0]
    frac = s[k] / (s[k] - s[k + 1])
    return ts[k] + (frac * step_s * 1e6).astype("timedelta64[us]")


def _identity(sats: list, t: np.datetime64, newton: bool = True) -> list:
    return sats


def _newton(r0, v0, t0, tca, aim, bstar, norad, dv, through=_identity, iters: int = 25):
    """Newton iteration on the ejection ``dv`` (3,) [km/s] so that SGP4 from
    ``(r0, v0 + dv)`` at ``t0`` (and the re-arcs of ``through``) reaches ``aim`` at
    ``tca``; ``(dv, miss_km)``."""
    h = 1e-6

    def trial(dvs):
        st = np.concatenate([np.repeat(r0[None], len(dvs), 0), v0 + dvs], axis=1)
        sats, _ = fit_satrecs(st, t0, bstar, first_id=norad, newton=False)
        return _positions_at(through(sats, tca, newton=False), tca) - aim

    res = trial(dv[None])[0]
    for _ in range(iters):
        err = float(np.linalg.norm(res))
        if not np.isfinite(err) or err < AIM_TOL_KM:
            return dv, err
        f = trial(dv[None] + np.vstack([np.zeros(3), h * np.eye(3)]))
        jac = (f[1:] - f[0]).T / h
        try:
            step = np.linalg.solve(jac, -f[0])
        except np.linalg.LinAlgError:
            return dv, err
        for _ in range(8):  # damped: accept a step only if it reduces the miss
            cand = dv + step
            r_c = trial(cand[None])[0]
            if np.isfinite(r_c).all() and np.linalg.norm(r_c) < err:
                dv, res = cand, r_c
                break
            step = step / 2
        else:
            return dv, err
    return dv, float(np.linalg.norm(res))


def steer_ejection(r0: np.ndarray, v0: np.ndarray, t0: np.datetime64, target_rv: Callable,
                   tca_nominal: np.datetime64, miss_km: float, bstar: float, norad: int,
                   half_window_s: float, through: Callable = _identity) -> dict:  # fmt: skip
    """The ejection velocity from the break-up state ``(r0, v0)`` [TEME km, km/s] at ``t0``
    that brings a fragment ``miss_km`` from the target at the target's crossing of the
    parent's plane nearest ``tca_nominal`` (within +/- ``half_window_s``).
    ``through(sats, t, newton)`` gives the arcs valid at ``t`` of fragments whose arcs
    from ``t0`` are ``sats`` (the world's re-arcs in between; identity by default).

    Returns ``{"satrec", "tca_utc", "dv_km_s" (3,), "miss_km" (aim error), "rel_speed_km_s"}``;
    raises ``ValueError`` when no ejection below :data:`MAX_EJECTION_KM_S` reaches it."""
    parent = fit_satrecs(np.concatenate([r0, v0])[None], t0, bstar, first_id=norad)[0][0]
    if parent is None:
        raise ValueError("cannot fit the parent's state")
    cands = plane_crossings(parent, target_rv, tca_nominal - _td64(half_window_s),
                            tca_nominal + _td64(half_window_s))  # fmt: skip
    cands = cands[np.argsort(np.abs((cands - tca_nominal).astype(float)))][:2]
    basis = rtn_basis(r0, v0)
    g = np.arange(-GRID_HALF_KM_S, GRID_HALF_KM_S + 1e-12, GRID_STEP_KM_S)
    dr, dt = np.meshgrid(g, g, indexing="ij")
    grid_rtn = np.stack([dr.ravel(), dt.ravel(), np.zeros(dr.size)], axis=1)
    grid = grid_rtn @ basis  # RTN -> TEME (rows of basis are the unit vectors)
    st = np.concatenate([np.repeat(r0[None], len(grid), 0), v0 + grid], axis=1)
    sats, _ = fit_satrecs(st, t0, bstar, first_id=norad, newton=False)
    best = None
    for tca in cands:
        rt, vt = target_rv(np.asarray([tca]))
        rt, vt = rt[0], vt[0]
        aim = rt + miss_km * rt / np.linalg.norm(rt)
        d = np.linalg.norm(_positions_at(through(sats, tca, newton=False), tca) - aim, axis=1)
        d[~np.isfinite(d)] = np.inf
        # local minima of the grid (one per phasing basin), best first
        dd = d.reshape(dr.shape)
        pad = np.pad(dd, 1, constant_values=np.inf)
        nb = np.stack([pad[1 + i : 1 + i + dd.shape[0], 1 + j : 1 + j + dd.shape[1]]
                       for i in (-1, 0, 1) for j in (-1, 0, 1) if (i, j) != (0, 0)])  # fmt: skip
        minima = np.nonzero((dd <= nb.min(axis=0)).ravel() & np.isfinite(d))[0]
        minima = minima[np.argsort(np.linalg.norm(grid[minima], axis=1))][:6]
        for k in minima:
            dv, err = _newton(r0, v0, t0, tca, aim, bstar, norad, grid[k].copy(), through)
            if err > AIM_TOL_KM or np.linalg.norm(dv) > MAX_EJECTION_KM_S:
                continue
            # aim perpendicular to the relative velocity: the closest approach is at TCA
            sat = fit_satrecs(np.concatenate([r0, v0 + dv])[None], t0, bstar,
                              first_id=norad)[0][0]  # fmt: skip
            _, vs, _ = _sgp4_one(through([sat], tca)[0], np.asarray([tca]))
            w = (vs[0] - vt) / np.linalg.norm(vs[0] - vt)
            u = rt / np.linalg.norm(rt)
            u = u - (u @ w) * w
            aim2 = rt + miss_km * u / np.linalg.norm(u)
            dv, err = _newton(r0, v0, t0, tca, aim2, bstar, norad, dv, through)
            if err > AIM_TOL_KM:
                continue
            if best is None or np.linalg.norm(dv) < np.linalg.norm(best["dv_km_s"]):
                sat = fit_satrecs(np.concatenate([r0, v0 + dv])[None], t0, bstar,
                                  first_id=norad)[0][0]  # fmt: skip
                _, vs, _ = _sgp4_one(through([sat], tca)[0], np.asarray([tca]))
                best = {"satrec": sat, "tca_utc": tca, "dv_km_s": dv, "miss_km": err,
                        "rel_speed_km_s": float(np.linalg.norm(vs[0] - vt))}  # fmt: skip
        if best is not None:
            break
    if best is None:
        raise ValueError(f"no ejection below {MAX_EJECTION_KM_S * 1e3:.0f} m/s reaches the "
                         f"target within {half_window_s / 3600:.1f} h of the scripted TCA")  # fmt: skip
    return best
