"""SGP4 mean elements from osculating states: the one fit of the project.

SGP4 propagates *mean* (Kozai/Brouwer) elements; a state vector (a manoeuvre's end, a
fragment, a scenario's initial condition) gives *osculating* ones.  The fit finds the mean
equinoctial elements whose SGP4 state at the epoch (tsince = 0) reproduces the given TEME
state: a fixed-point correction (each pass adds the difference between the target and
SGP4's osculating elements; Vallado & Crawford 2008, AIAA 2008-6770, for the principle),
then, where that leaves more than 1 m (SDP4 near zero inclination), a damped Newton
iteration on the six elements.  Elements on WGS-72 (SGP4's model).

Public: :func:`fit_sgp4_mean_elements` (states -> satrecs and residuals), and the pieces
breakup modelling also uses (:func:`kepler_equinoctial`, :func:`classical_from_equinoctial`,
:func:`satrecs_from_elements`, :func:`fit_mean_equinoctial`, :func:`sgp4_states_at`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from sgp4.api import Satrec

from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM
from spacerange.timescales import jd_fr_utc

__all__ = [
    "fit_sgp4_mean_elements",
    "kepler_equinoctial",
    "classical_from_equinoctial",
    "satrecs_from_elements",
    "fit_mean_equinoctial",
    "sgp4_states_at",
]


def fit_sgp4_mean_elements(
    state_teme: np.ndarray,
    epoch_utc: np.datetime64,
    bstar: np.ndarray | float = 0.0,
    iterations: int = 8,
    first_id: int = 1,
    newton: bool = True,
    ids: Sequence[int] | None = None,
) -> tuple[list[Satrec | None], np.ndarray]:
    """SGP4 satrecs whose TEME state at ``epoch_utc`` (tsince = 0) reproduces ``state_teme``
    (n, 6) [km, km/s]; returns ``(satrecs, residual_km)``.  Unbound or sub-surface states get
    ``None`` and a NaN residual.  Fixed-point correction of equinoctial mean elements (see
    :func:`fit_mean_equinoctial`); where that leaves more than 1 m (SDP4 near zero inclination)
    and ``newton``, a damped Newton iteration on the six elements follows (0.03-2 km
    residuals remain for some near-equatorial deep-space states).  The satrecs are numbered
    ``first_id + row``, or ``ids[row]`` when given (rows are fitted independently: a row
    fitted with others gets the same elements as alone)."""
    state = np.atleast_2d(np.asarray(state_teme, dtype=float))
    n = state.shape[0]
    bs = np.broadcast_to(np.asarray(bstar, dtype=float), (n,)).copy()
    jd, fr = jd_fr_utc(np.asarray([epoch_utc]))
    jdp = (float(jd[0]), float(fr[0]))
    epoch_days = jdp[0] - 2433281.5 + jdp[1]
    osc = kepler_equinoctial(state)
    with np.errstate(invalid="ignore"):
        ok = (osc["a"] > 0) & (osc["e"] < 0.99) & (osc["a"] * (1 - osc["e"]) > RE_WGS72_KM + 80.0)
    out: list[Satrec | None] = [None] * n
    res = np.full(n, np.nan)
    idx = np.flatnonzero(ok)
    if not idx.size:
        return out, res
    target = {k: v[idx] for k, v in osc.items()}
    ids = [first_id + int(j) for j in idx] if ids is None else [int(ids[j]) for j in idx]
    mean = fit_mean_equinoctial(target, bs[idx], epoch_days, ids, jdp, iterations)
    cl = classical_from_equinoctial(mean)
    cl["e"] = np.clip(cl["e"], 1e-9, 0.99)
    sats = satrecs_from_elements(cl, bs[idx], epoch_days, ids)
    err, st = sgp4_states_at(sats, jdp)
    r = np.linalg.norm(st[:, :3] - state[idx, :3], axis=-1)
    # deep-space (SDP4) orbits near zero inclination defeat the fixed point: Newton on
    # the six equinoctial mean elements with a finite-difference Jacobian
    todo = np.flatnonzero(~(r < 1e-3)) if newton else np.zeros(0, np.int64)
    for start in _NEWTON_STARTS:
        if not todo.size:
            break
        x0 = _restart(mean, osc, idx, start)
        x = _newton_equinoctial(x0, todo, state[idx], bs[idx], epoch_days, ids, jdp)
        sj, e_, s_ = _elements_states(x, todo, bs[idx], epoch_days, ids, jdp)
        rj = np.linalg.norm(s_[:, :3] - state[idx[todo], :3], axis=-1)
        for n, j in enumerate(todo):
            if e_[n] == 0 and rj[n] < r[j]:
                sats[j], err[j], r[j] = sj[n], 0, float(rj[n])
        # restarts only for rows left far off (a kilometre-class miss): a row the first
        # Newton brought within RESTART_KM keeps that solution, so the fit stays a smooth
        # function of the state there (the RPO guidance differentiates through it)
        todo = todo[~(r[todo] < RESTART_KM)]
    for j, i in enumerate(idx):
        if err[j] == 0 and np.isfinite(r[j]):
            out[i] = sats[j]
            res[i] = r[j]
    return out, res


_EQ_KEYS = ("a", "h", "k", "p", "q", "lam")
#: Newton's starting inclination vectors (p, q) for the rows still off by a metre: the
#: fixed point's, then scaled, reversed and the osculating ones.  Near zero inclination
#: SDP4's lunisolar periodics fold the mean-to-osculating map (a perturbed inclination
#: below zero flips the node), and a start on the wrong side of the fold stalls: on 400
#: near-equatorial GEO states after a 1.4 m/s burn, 26 were left 1-22 km off from the
#: fixed point's start alone, one (2.0 km) with these restarts
_NEWTON_STARTS = ("fixed", "x2", "x0.5", "reversed", "osculating", "osculating x3")
#: rows the first Newton left farther off than this [km] are restarted
RESTART_KM = 0.1
#: residual scaling of the Newton fit: km for positions, m/s for velocities
_RES_SCALE = np.array([1.0, 1.0, 1.0, 1e3, 1e3, 1e3])
_NEWTON_ITER = 25
_NEWTON_HALVINGS = 10


def _elements_states(x, rows, bstar, epoch_days, ids, jdp):
    """Satrecs and SGP4 states at epoch of equinoctial mean elements ``x`` (q, 6), row
    ``rows[q]`` of the fit (its B* and id)."""
    c = classical_from_equinoctial({k: x[:, i] for i, k in enumerate(_EQ_KEYS)})
    c["e"] = np.clip(c["e"], 1e-9, 0.99)
    sats = satrecs_from_elements(c, bstar[rows], epoch_days, [ids[j] for j in rows])
    e_, s_ = sgp4_states_at(sats, jdp)
    return sats, e_, s_


def _restart(mean: dict, osc: dict, idx: np.ndarray, start: str) -> dict:
    """Newton's starting mean elements for ``start`` (see ``_NEWTON_STARTS``)."""
    x0 = {k: np.array(v, float) for k, v in mean.items()}
    if start.startswith("osculating"):
        x0["p"], x0["q"] = osc["p"][idx].copy(), osc["q"][idx].copy()
    factor = {"x2": 2.0, "x0.5": 0.5, "reversed": -1.0, "osculating x3": 3.0}.get(start, 1.0)
    x0["p"] *= factor
    x0["q"] *= factor
    return x0


def _newton_equinoctial(mean, todo, state, bstar, epoch_days, ids, jdp) -> np.ndarray:
    """Damped Newton on the six equinoctial mean elements of the fit's rows ``todo``,
    all rows at once: per iteration one SGP4 batch for the finite-difference Jacobians
    (six perturbed element sets per row) and one for the damped steps (the step halved up
    to ``_NEWTON_HALVINGS - 1`` times, the first that lowers the residual kept).  A row
    stops when its position residual is below 0.1 mm, its SGP4 call fails, its Jacobian
    is singular or no halving lowers the residual.  Returns the elements (len(todo), 6)."""
    x = np.array([[mean[k][j] for k in _EQ_KEYS] for j in todo])
    target = state[todo]

    def resid(xs, rows):
        _, e_, s_ = _elements_states(xs, todo[rows], bstar, epoch_days, ids, jdp)
        return (s_ - target[rows]) * _RES_SCALE, e_

    f, e0 = resid(x, np.arange(len(todo)))
    active = np.ones(len(todo), bool)
    halves = 0.5 ** np.arange(_NEWTON_HALVINGS)
    for _ in range(_NEWTON_ITER):
        active &= (e0 == 0) & ~(np.linalg.norm(f[:, :3], axis=-1) < 1e-7)
        act = np.flatnonzero(active)
        if not act.size:
            break
        na = act.size
        h = np.column_stack([1e-6 * x[act, 0]] + [np.full(na, 1e-8)] * 5)
        xp = np.repeat(x[act], 6, axis=0) + (h[:, :, None] * np.eye(6)[None]).reshape(-1, 6)
        fp, _ = resid(xp, np.repeat(act, 6))
        jac = np.swapaxes((fp.reshape(na, 6, 6) - f[act][:, None, :]) / h[:, :, None], 1, 2)
        step = np.full((na, 6), np.nan)
        for n in range(na):  # 6 x 6 each; a singular one stops its row only
            try:
                step[n] = np.linalg.solve(jac[n], f[act[n]])
            except np.linalg.LinAlgError:
                pass
        solved = np.all(np.isfinite(step), axis=1)
        active[act[~solved]] = False
        act, step = act[solved], step[solved]
        if not act.size:
            continue
        cand = (x[act][:, None, :] - step[:, None, :] * halves[None, :, None]).reshape(-1, 6)
        fc, ec = resid(cand, np.repeat(act, _NEWTON_HALVINGS))
        fc = fc.reshape(act.size, _NEWTON_HALVINGS, 6)
        ec = ec.reshape(act.size, _NEWTON_HALVINGS)
        n0 = np.linalg.norm(f[act], axis=-1)
        good = (ec == 0) & (np.linalg.norm(fc, axis=-1) < n0[:, None])
        ok = good.any(axis=1)
        first = np.argmax(good, axis=1)
        active[act[~ok]] = False
        rows = act[ok]
        pick = first[ok]
        x[rows] = cand.reshape(act.size, _NEWTON_HALVINGS, 6)[ok, pick]
        f[rows] = fc[ok, pick]
        e0[rows] = ec[ok, pick]
    return x


def kepler_equinoctial(state: np.ndarray) -> dict[str, np.ndarray]:
    """Osculating elements (WGS-72 mu) from states (n, 6): a, e, i and equinoctial
    h, k, p, q, lam (mean longitude).

    Written component by component (no ``np.cross`` / ``np.linalg.norm`` / stacking):
    the mean-element fits call it with one to a few rows tens of thousands of times per
    exercise, where numpy's per-call overhead, not the arithmetic, is the cost."""
    mu = MU_WGS72_KM3_S2
    rx, ry, rz, vx, vy, vz = np.asarray(state, float).T
    rn = np.sqrt(rx * rx + ry * ry + rz * rz)
    v2 = vx * vx + vy * vy + vz * vz
    rv = rx * vx + ry * vy + rz * vz
    hx, hy, hz = ry * vz - rz * vy, rz * vx - rx * vz, rx * vy - ry * vx
    hn = np.sqrt(hx * hx + hy * hy + hz * hz)
    c = v2 - mu / rn
    ex, ey, ez = (c * rx - rv * vx) / mu, (c * ry - rv * vy) / mu, (c * rz - rv * vz) / mu
    e = np.sqrt(ex * ex + ey * ey + ez * ez)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.0 / (2.0 / rn - v2 / mu)
        wx, wy, wz = hx / hn, hy / hn, hz / hn
        inc = np.arccos(np.clip(wz, -1.0, 1.0))
        raan = np.arctan2(wx, -wy)
        # in-plane basis: the node direction n = (cos raan, sin raan, 0) and m = w x n
        cn, sn = np.cos(raan), np.sin(raan)
        mx, my, mz = -wz * sn, wz * cn, wx * sn - wy * cn
        u = np.arctan2(rx * mx + ry * my + rz * mz, rx * cn + ry * sn)  # argument of latitude
        argp = np.arctan2(ex * mx + ey * my + ez * mz, ex * cn + ey * sn)
        half = (u - argp) / 2.0  # half the true anomaly
        ecc_anom = 2.0 * np.arctan2(np.sqrt(np.clip(1.0 - e, 0, None)) * np.sin(half),
                                    np.sqrt(1.0 + e) * np.cos(half))  # fmt: skip
        mean_anom = ecc_anom - e * np.sin(ecc_anom)
        t = np.tan(inc / 2.0)
    pi_ = raan + argp
    return dict(
        a=a,
        e=e,
        inc=inc,
        h=e * np.sin(pi_),
        k=e * np.cos(pi_),
        p=t * sn,
        q=t * cn,
        lam=pi_ + mean_anom,
    )


def classical_from_equinoctial(eq: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    two_pi = 2.0 * np.pi
    e = np.hypot(eq["h"], eq["k"])
    inc = 2.0 * np.arctan(np.hypot(eq["p"], eq["q"]))
    raan = np.arctan2(eq["p"], eq["q"]) % two_pi
    pi_ = np.arctan2(eq["h"], eq["k"])
    # TLEs print angles to 1e-4 deg: fold values that would print as 360.0000 onto 0.
    top = two_pi - math.radians(0.5e-4)

    def fold(x: np.ndarray) -> np.ndarray:
        x = x % two_pi
        return np.where(x >= top, 0.0, x)

    return dict(
        a=eq["a"],
        e=e,
        inc=inc,
        raan=fold(raan),
        argp=fold(pi_ - raan),
        M=fold(eq["lam"] - pi_),
    )


def satrecs_from_elements(
    el: dict[str, np.ndarray], bstar: np.ndarray, epoch_days: float, ids: list[int]
):
    from sgp4.api import WGS72, Satrec

    with np.errstate(invalid="ignore"):  # a < 0 (a trial step of the Newton fit): NaN,
        no_kozai = np.sqrt(MU_WGS72_KM3_S2 / el["a"] ** 3) * 60.0  # rad/min; SGP4 rejects it
    sats = []
    for j, sid in enumerate(ids):  # sgp4init has no vectorized form
        s = Satrec()
        s.sgp4init(
            WGS72, "i", sid, epoch_days, float(bstar[j]), 0.0, 0.0, float(el["e"][j]),
            float(el["argp"][j]), float(el["inc"][j]), float(el["M"][j]),
            float(no_kozai[j]), float(el["raan"][j]),
        )  # fmt: skip
        sats.append(s)
    return sats


def fit_mean_equinoctial(
    target: dict[str, np.ndarray],
    bstar: np.ndarray,
    epoch_days: float,
    ids: list[int],
    jd: tuple[float, float],
    iterations: int,
) -> dict[str, np.ndarray]:
    """Mean equinoctial elements whose SGP4 state at ``jd`` has the osculating ``target``.

    Fixed-point correction: each pass adds (target - SGP4's osculating elements) to the mean
    elements; objects whose SGP4 call fails keep their previous estimate.
    """
    mean = dict(target)
    for _ in range(max(0, iterations)):
        err, st = sgp4_states_at(
            satrecs_from_elements(classical_from_equinoctial(mean), bstar, epoch_days, ids), jd
        )
        got = kepler_equinoctial(st)
        ok = err == 0
        for k in ("a", "h", "k", "p", "q"):
            mean[k] = np.where(ok, mean[k] + (target[k] - got[k]), mean[k])
        dlam = np.angle(np.exp(1j * (target["lam"] - got["lam"])))
        mean["lam"] = np.where(ok, mean["lam"] + dlam, mean["lam"])
    return mean


def sgp4_states_at(sats: list, jd: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    from sgp4.api import SatrecArray

    err, r, v = SatrecArray(sats).sgp4(np.array([jd[0]]), np.array([jd[1]]))
    return err[:, 0], np.concatenate([r[:, 0], v[:, 0]], axis=-1)
