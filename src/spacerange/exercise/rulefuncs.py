"""Functions of the rule language (:mod:`spacerange.exercise.scenario.rules`) on the world.

Two scopes:

* **truth** (:func:`truth_functions`): EXCON's view, for trigger conditions and evaluation
  rules — ``range``, ``min_range``, ``miss_distance``, ``pc``, ``dv_used``, ``altitude``,
  ``elapsed`` computed on the truth world; ``tracked`` answers for the given team (from
  its picture) and is False without a team.
* **picture** (:func:`picture_functions`): a team's own view.  Every geometric function
  reads the team's *estimates* (its picture: own sensors plus allied shares); an object
  absent from the picture raises :class:`NotInPicture`, so a team-scoped rule can never
  reveal a state the team never obtained.

Units follow the rule language: km, seconds, m/s.  ``pc`` in truth scope uses truth states
at the closest approach and a default covariance (1-sigma 100 m radial, 300 m along-track,
100 m cross-track per object, the order of a good radar catalog) with Foster's method.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from spacerange.conjunction.interpolation import line_minimum
from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM
from spacerange.exercise.ports import WorldPort
from spacerange.exercise.world import WorldError, _altitude_km, _td64

__all__ = [
    "NotInPicture",
    "ValueUnavailable",
    "truth_functions",
    "picture_functions",
    "pc_or_reason",
    "DEFAULT_SIGMA_RTN_KM",
]

#: Default 1-sigma position uncertainty (R, T, N) [km] of truth-scope ``pc``.
DEFAULT_SIGMA_RTN_KM = (0.1, 0.3, 0.1)
_SEARCH_S = 2 * 86400.0


class NotInPicture(LookupError):
    """The team's picture holds no estimate of this object (never observed nor shared)."""

    def __init__(self, team: str, object_id: str):
        super().__init__(f"team {team} holds no track of {object_id!r}")
        self.team = team
        self.object_id = object_id


class ValueUnavailable(ValueError):
    """A rule function cannot produce its value (no close approach found, co-moving
    objects, a failed Pc computation).  Raised, never replaced by a number: a rule over a
    missing value is not satisfied, and the adjudication note carries this reason."""


#: below this relative speed [km/s] the short-encounter (2-D) Pc model does not apply
_MIN_VREL_KM_S = 1e-6


def pc_or_reason(r1, v1, c1, r2, v2, c2, hbr_km: float) -> tuple[float | None, str | None]:
    """Foster 2-D Pc of one encounter from TEME TCA states [km, km/s] and 3x3 position
    covariances [km^2]: ``(pc, None)``, or ``(None, reason)`` when it cannot be computed
    (non-finite input, co-moving objects, a degenerate geometry)."""
    from spacerange.conjunction.pc import pc_foster

    st = np.concatenate([np.ravel(x) for x in (r1, v1, r2, v2)])
    if not np.isfinite(st).all():
        return None, "state at closest approach is not finite"
    vrel = float(np.linalg.norm(np.asarray(v1) - np.asarray(v2)))
    if vrel < _MIN_VREL_KM_S:
        return None, (f"co-moving objects (relative speed {vrel * 1e6:.3g} mm/s): the "
                      "short-encounter Pc model does not apply")  # fmt: skip
    try:
        pc = float(pc_foster(r1, v1, c1, r2, v2, c2, hbr_km).pc)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return None, f"Pc computation failed: {exc}"
    if not math.isfinite(pc):
        return None, "Pc computation returned a non-finite value"
    return pc, None


StateFn = Callable[[str, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _grid(t0: np.datetime64, t1: np.datetime64, step_s: float, max_n: int = 40_000) -> np.ndarray:
    span = max(float((t1 - t0) / np.timedelta64(1, "s")), 0.0)
    step = max(step_s, span / max_n)
    n = int(span // step) + 1
    return t0 + (np.arange(n) * step * 1e6).astype("timedelta64[us]")


#: the closest-approach search first evaluates every ``_COARSE``-th point of its grid, then
#: the points between two of them only where the pair could come closer than the best
#: evaluated point: most of a long search is thousands of km apart
_COARSE = 4
#: bound on the relative speed of two orbiting objects [km/s]: in a bound orbit above the
#: Earth's surface (SGP4 stops at it) v^2 = mu (2/r - 1/a) < 2 mu / R, twice the escape
#: speed at the surface (11.2 km/s), with 10 % for SGP4's perturbations
_V_REL_MAX_KM_S = 2.0 * 1.1 * math.sqrt(2.0 * MU_WGS72_KM3_S2 / RE_WGS72_KM)


def _distances(fn: StateFn, a: str, b: str, ts: np.ndarray) -> np.ndarray:
    """Distance [km] of ``a`` and ``b`` at the points of grid ``ts`` that can hold the
    closest one (NaN elsewhere, and where either state fails): the same minimum, at the
    same first index, as every point's distance.  A skipped point ``t`` between evaluated
    points ``t0 < t < t1`` is at least ``(d0 + d1 - v_max (t1 - t0)) / 2`` apart (the
    distance changes at most at the relative speed), and is skipped only where that
    bound exceeds the smallest evaluated distance."""
    n = ts.size
    if n <= 2 * _COARSE:
        ra, _ = fn(a, ts)
        rb, _ = fn(b, ts)
        return np.linalg.norm(ra - rb, axis=-1)
    nodes = np.unique(np.append(np.arange(0, n, _COARSE), n - 1))
    ra, _ = fn(a, ts[nodes])
    rb, _ = fn(b, ts[nodes])
    d = np.full(n, np.nan)
    d[nodes] = dn = np.linalg.norm(ra - rb, axis=-1)
    span_s = (ts[nodes[1:]] - ts[nodes[:-1]]) / np.timedelta64(1, "s")
    lower = (dn[:-1] + dn[1:] - _V_REL_MAX_KM_S * span_s) / 2.0
    best = np.nanmin(dn) if np.isfinite(dn).any() else math.inf
    # each interval's points from its first node up to the next node, where its bound
    # does not exceed the best (a NaN bound, a failed state at either end: evaluated)
    wanted = np.zeros(n, bool)
    wanted[:-1] = np.repeat(~(lower > best), np.diff(nodes))
    wanted[nodes] = False
    between = np.flatnonzero(wanted)
    if between.size:
        ra, _ = fn(a, ts[between])
        rb, _ = fn(b, ts[between])
        d[between] = np.linalg.norm(ra - rb, axis=-1)
    return d


def _closest(fn: StateFn, a: str, b: str, ts: np.ndarray) -> tuple[np.datetime64, float, tuple]:
    """Closest approach on grid ``ts`` (:func:`_distances`), refined on a 1 s grid around
    the minimum, then within that second by straight-line relative motion (the engine's
    ``line_minimum``): at 7-15 km/s a 1 s grid alone misses the minimum by up to half a
    step's travel (a 300 m encounter read as 2.2 km)."""
    d = _distances(fn, a, b, ts)
    if not np.isfinite(d).any():
        return ts[0], math.inf, ()
    k = int(np.nanargmin(d))
    if ts.size == 1:
        ra, va = fn(a, ts)
        rb, vb = fn(b, ts)
        return ts[0], float(d[0]), (ra[0], va[0], rb[0], vb[0])
    step = float((ts[1] - ts[0]) / np.timedelta64(1, "s"))
    fine_s = min(1.0, step)
    fine = _grid(ts[max(k - 1, 0)], ts[min(k + 1, ts.size - 1)], fine_s)
    ra, va = fn(a, fine)
    rb, vb = fn(b, fine)
    d = np.linalg.norm(ra - rb, axis=-1)
    k = int(np.nanargmin(d))
    e, w = ra[k] - rb[k], va[k] - vb[k]
    if np.isfinite(e).all() and np.isfinite(w).all():
        tau, dist = line_minimum(*map(float, e), *map(float, w), fine_s)
        if dist < d[k]:
            t_k = fine[k] + np.timedelta64(int(round(tau * 1e6)), "us")
            return t_k, float(dist), (ra[k] + va[k] * tau, va[k], rb[k] + vb[k] * tau,
                                      vb[k])  # fmt: skip
    ts = fine
    return ts[k], float(d[k]), (ra[k], va[k], rb[k], vb[k])


def _cov(r, v, sig):
    from spacerange.frames import rtn_basis

    b = rtn_basis(r, v)
    return b.T @ np.diag(np.square(sig)) @ b


def _functions(world: WorldPort, fn: StateFn, since: np.datetime64, hbr_km: Callable,
               sigmas: Callable, now: Callable) -> dict[str, Callable]:  # fmt: skip
    def f_range(a: str, b: str) -> float:
        t = now()
        ra, _ = fn(a, np.asarray([t]))
        rb, _ = fn(b, np.asarray([t]))
        return float(np.linalg.norm(ra[0] - rb[0]))

    def f_min_range(a: str, b: str) -> float:
        t = now()
        ts = _grid(since, t, 60.0)
        d = _closest(fn, a, b, ts)[1]
        if not math.isfinite(d):
            raise ValueUnavailable(f"min_range({a}, {b}): no finite range since {since}")
        return d

    def _next_ca(a: str, b: str):
        t = now()
        for c in world.conjunctions:
            if {c.target, c.secondary} == {a, b}:
                half = 600.0
                return _closest(fn, a, b, _grid(c.tca_utc - _td64(half), c.tca_utc + _td64(half),
                                                2.0))  # fmt: skip
        return _closest(fn, a, b, _grid(t, t + _td64(_SEARCH_S), 20.0))

    def f_miss(a: str, b: str) -> float:
        miss = _next_ca(a, b)[1]
        if not math.isfinite(miss):
            raise ValueUnavailable(f"miss_distance({a}, {b}): no close approach could be computed")
        return miss

    def f_pc(a: str, b: str) -> float:
        _, miss, st = _next_ca(a, b)
        if not st or not math.isfinite(miss):
            raise ValueUnavailable(f"pc({a}, {b}): no close approach could be computed")
        r1, v1, r2, v2 = st
        pc, why = pc_or_reason(r1, v1, _cov(r1, v1, sigmas(a)), r2, v2,
                               _cov(r2, v2, sigmas(b)), hbr_km(a) + hbr_km(b))  # fmt: skip
        if pc is None:
            raise ValueUnavailable(f"pc({a}, {b}): {why}")
        return pc

    def f_dv_used(a: str) -> float:
        return float(world.obj(a).dv_used_mps)

    def f_altitude(a: str) -> float:
        t = now()
        r, _ = fn(a, np.asarray([t]))
        return float(_altitude_km(r, t)[0])

    def f_elapsed() -> float:
        return float((now() - since) / np.timedelta64(1, "s"))

    return {
        "range": f_range,
        "min_range": f_min_range,
        "miss_distance": f_miss,
        "pc": f_pc,
        "dv_used": f_dv_used,
        "altitude": f_altitude,
        "elapsed": f_elapsed,
    }


def truth_functions(
    world: WorldPort, team: str | None, since: np.datetime64
) -> dict[str, Callable]:
    """Truth-scope functions (see the module docstring)."""

    def fn(oid, ts):
        try:
            return world.state_of(oid, ts)
        except WorldError:
            raise KeyError(f"unknown object {oid!r}") from None

    out = _functions(world, fn, since, lambda o: world.obj(o).hbr_m * 1e-3,
                     lambda o: DEFAULT_SIGMA_RTN_KM, lambda: world.clock_utc)  # fmt: skip

    def tracked(oid: str) -> bool:
        if team is None or world.pictures is None:
            return False
        return world.pictures.tracked(team, oid, world.clock_utc)

    out["tracked"] = tracked

    def catalogued(oid: str) -> float:
        world.obj(oid)
        return float(world.catalogued_count(team, world.created_by(oid)))

    out["catalogued"] = catalogued
    out["hold_error"] = lambda oid: hold_error(world, oid)
    out.update(effect_functions(world, team))
    return out


def effect_functions(
    world: WorldPort, team: str | None, own_only: bool = False
) -> dict[str, Callable]:
    """The measured non-kinetic effects (:meth:`World.effect_summary`) as rule functions:
    per asset ``commands_lost``, ``commands_delayed``, ``telemetry_lost`` [s],
    ``observations_denied``; ``spoofed_tracks`` of the evaluated team.  ``own_only``: a
    team asks about its own assets only (others raise :class:`NotInPicture`)."""
    eff = getattr(world, "effects", None)

    def per_asset(key: str) -> Callable[[str], float]:
        def f(asset: str) -> float:
            o = world.obj(asset)
            if own_only and o.actor not in world.team_actors(team):
                raise NotInPicture(team, asset)
            return float(((eff or {}).get("by_asset", {}).get(asset) or {}).get(key, 0))

        return f

    def spoofed() -> float:
        if team is None:
            return float((eff or {}).get("spoofed_tracks_accepted", 0))
        return float(((eff or {}).get("by_team", {}).get(team) or {})
                     .get("spoofed_tracks_accepted", 0))  # fmt: skip

    return {"commands_lost": per_asset("commands_lost"),
            "commands_delayed": per_asset("commands_delayed"),
            "telemetry_lost": per_asset("telemetry_lost_s"),
            "observations_denied": per_asset("observations_denied"),
            "spoofed_tracks": spoofed}  # fmt: skip


def hold_error(world: WorldPort, oid: str) -> float:
    """Largest |range - commanded| [km] of guided asset ``oid`` over its holds so far
    (:class:`ValueUnavailable` when it holds nowhere yet)."""
    errs = [max(abs(r["range_min_km"] - r["commanded_km"]), abs(r["range_max_km"] - r["commanded_km"]))
            for r in world.rpo.values() if r["asset"] == oid and r["range_min_km"] is not None]  # fmt: skip
    if not errs:
        raise ValueUnavailable(f"{oid} has not held station yet")
    return float(max(errs))


def picture_functions(world: WorldPort, team: str, since: np.datetime64) -> dict[str, Callable]:
    """Team-scope functions: computed on the team's estimates only (see module docstring)."""
    pics = world.pictures
    if pics is None:
        raise RuntimeError("no Pictures attached to this world")

    def fn(oid, ts):
        return pics.predict(team, oid, ts)  # raises NotInPicture

    def sig(oid):
        return pics.sigma_rtn_km(team, oid, world.clock_utc)

    def hbr(oid):
        pics.predict(team, oid, np.asarray([world.clock_utc]))
        return (world.obj(oid).hbr_m if oid in world else 1.0) * 1e-3

    out = _functions(world, fn, since, hbr, sig, lambda: world.clock_utc)

    def dv_used(oid: str) -> float:
        if world.obj(oid).actor not in world.team_actors(team):
            raise NotInPicture(team, oid)  # other teams' budgets are not known
        return float(world.obj(oid).dv_used_mps)

    out["dv_used"] = dv_used
    out["tracked"] = lambda oid: pics.tracked(team, oid, world.clock_utc)
    out.update(effect_functions(world, team, own_only=True))
    out["hold_error"] = lambda oid: hold_error(world, oid) if world.obj(oid).actor in (
        world.team_actors(team)) else _not_in_picture(team, oid)  # fmt: skip
    out["catalogued"] = lambda oid: float(world.catalogued_count(team, world.created_by(oid)))
    return out


def _not_in_picture(team: str, oid: str) -> float:
    raise NotInPicture(team, oid)  # another team's guidance is not known
