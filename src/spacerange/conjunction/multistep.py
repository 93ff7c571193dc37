"""Pc method selection (``auto``, after Hall et al. 2023) and the 3-D / SDMC front ends.

Every function here takes the TCA states and covariances the way :mod:`.pc` does
(``r_km, v_km_s, cov_km2`` per object, one inertial frame; ``hbr_km`` the combined
hard-body radius) and returns a :class:`~.pc.PcResult` whose ``flags`` carry
``reason`` (why this method and value), ``ci95`` (``(lo, hi)`` for sampled methods, else
``None``) and method-specific extras.

:func:`pc_auto` follows the multistep logic of Hall, Baars & Casali (2023):

1. Remediate non-positive-definite covariances (eigenvalue clipping, Hall et al. 2017).
2. 2-D Pc (Foster) with the 2-D usage-violation checks (:func:`.validity.check_2d`).  No
   violation: report 2-D.  Only an *inaccuracy* violation and a rescaled
   ``Pc'' = F_c Pc' < 1e-15``: report ``max(Pc', Pc'')`` (negligible either way).
3. Otherwise the 3-D Nc (:func:`.nc3d.nc3d_hall`).  If it converged on an isolated
   encounter (no 3-D violation), report it.
4. Otherwise the simulation-domain Monte Carlo from TCA (:func:`.sdmc.pc_sdmc`) over the
   3-D Nc's encounter window, importance-sampled when Pc is small.

(CARA's 2-D Nc step is folded into the 3-D Nc here: both handle the cases 2-D cannot, and
3-D Nc is the more general.)  Covariances without velocity terms (3x3) stop at step 2
with a warning, since the 3-D methods need 6x6.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .nc3d import nc3d_hall
from .pc import PcResult, pc_foster
from .sdmc import pc_sdmc
from .validity import (
    NC3D_EXTENDED_MAX,
    NC3D_OFFSET_MAX,
    NEGLIGIBLE_PC,
    check_2d,
    remediate_covariance,
)

__all__ = ["pc_auto", "pc_auto_batch", "pc_nc3d", "pc_sdmc_tca", "validity_flags"]


def _states(r1_km, v1_km_s, r2_km, v2_km_s):
    x1 = np.concatenate(
        [np.asarray(r1_km, float).reshape(3), np.asarray(v1_km_s, float).reshape(3)]
    )
    x2 = np.concatenate(
        [np.asarray(r2_km, float).reshape(3), np.asarray(v2_km_s, float).reshape(3)]
    )
    return x1, x2


def _six(c, name):
    c = np.asarray(c, float)
    if c.shape != (6, 6):
        raise ValueError(f"{name}: the 3-D methods need 6x6 position/velocity covariances")
    return c


def _nc3d_violations(res, x1, x2) -> list[str]:
    from .encounter import orbital_period_s

    p_min = float(np.min(orbital_period_s(np.stack([x1[:3], x2[:3]]), np.stack([x1[3:], x2[3:]]))))
    out = []
    if not res.converged:
        out.append("convergence")
    t0, t1 = res.t_bounds_s
    clipped = any("clipped" in w for w in res.warnings)
    if (t1 - t0) / p_min > NC3D_EXTENDED_MAX or clipped or res.outside_fraction > 1e-3:
        out.append("extended")
    if abs(res.t_peak_s) / p_min > NC3D_OFFSET_MAX:
        out.append("offset")
    return out


def pc_nc3d(r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km, **kw: Any) -> PcResult:
    """3-D Nc (Hall 2021) as a :class:`PcResult` (``pc`` = Nc, capped at 1 only in
    ``flags['pc_capped']``).  ``kw`` go to :func:`.nc3d.nc3d_hall`."""
    x1, x2 = _states(r1_km, v1_km_s, r2_km, v2_km_s)
    warnings: list[str] = []
    c1, n1 = remediate_covariance(_six(cov1_km2, "cov1_km2"), float(hbr_km), "OBJECT1 covariance")
    c2, n2 = remediate_covariance(_six(cov2_km2, "cov2_km2"), float(hbr_km), "OBJECT2 covariance")
    warnings += n1 + n2
    res = nc3d_hall(x1, c1, x2, c2, float(hbr_km), **kw)
    viol = _nc3d_violations(res, x1, x2)
    warnings += res.warnings
    if viol:
        warnings.append(f"3-D Nc usage violations: {', '.join(viol)}")
    if res.nc > 1:
        warnings.append(f"Nc = {res.nc:.3g} > 1: expected collisions, not a probability")
    flags = {
        "reason": "3-D Nc requested",
        "ci95": None,
        "t_bounds_s": res.t_bounds_s,
        "t_peak_s": res.t_peak_s,
        "integration_rel_err": res.rel_err,
        "iterations_max": res.iterations_max,
        "nc3d_violations": viol,
        "covariance_remediated": bool(n1 or n2),
    }
    return PcResult(res.nc, "nc3d-hall-2021", warnings, flags)


def pc_sdmc_tca(
    r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km, *,
    window_s: tuple[float, float] | None = None, n_samples: int = 100_000,
    target_rel: float | None = 0.05, max_samples: int = 4_000_000, seed: int | None = 0,
    variance_reduction: str = "auto",
) -> PcResult:  # fmt: skip
    """SDMC from TCA (Hall et al. 2018's two-body "from TCA" mode) as a :class:`PcResult`.

    ``window_s`` (s from TCA) defaults to the 3-D Nc encounter interval.  Sampling stops
    at ``n_samples``, or with ``target_rel`` when the 95 % half-width is below
    ``target_rel * Pc`` (at most ``max_samples``).  ``flags``: ``ci95``, ``trials``,
    ``hits``, ``variance_reduction``, ``window_s``.
    """
    x1, x2 = _states(r1_km, v1_km_s, r2_km, v2_km_s)
    warnings: list[str] = []
    c1, n1 = remediate_covariance(_six(cov1_km2, "cov1_km2"), float(hbr_km), "OBJECT1 covariance")
    c2, n2 = remediate_covariance(_six(cov2_km2, "cov2_km2"), float(hbr_km), "OBJECT2 covariance")
    warnings += n1 + n2
    if window_s is None:
        window_s = nc3d_hall(x1, c1, x2, c2, float(hbr_km), rtol=1e-3).t_bounds_s
    res = pc_sdmc(x1, c1, x2, c2, float(hbr_km), window_s, n_samples=n_samples,
                  target_rel=target_rel, max_samples=max_samples, seed=seed,
                  variance_reduction=variance_reduction)  # fmt: skip
    warnings += res.warnings
    vr = {"none": "plain sampling", "importance": "importance sampling"}[res.variance_reduction]
    flags = {
        "reason": f"SDMC requested ({vr}, numba-compiled two-body kernel)",
        "ci95": res.ci95,
        "trials": res.trials,
        "hits": res.hits,
        "variance_reduction": res.variance_reduction,
        "window_s": res.window_s,
        "seconds": res.seconds,
        "covariance_remediated": bool(n1 or n2),
    }
    return PcResult(res.pc, "sdmc-two-body", warnings, flags)


def pc_auto(
    r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km, *, seed: int | None = 0
) -> PcResult:
    """Multistep Pc (module docstring): 2-D where valid, 3-D Nc where 2-D is not, SDMC
    where neither is; ``flags['reason']`` says why, ``flags['steps']`` what was computed."""
    x1, x2 = _states(r1_km, v1_km_s, r2_km, v2_km_s)
    hbr = float(hbr_km)
    warnings: list[str] = []
    c1 = np.asarray(cov1_km2, float)
    c2 = np.asarray(cov2_km2, float)
    c1, n1 = remediate_covariance(c1, hbr, "OBJECT1 covariance")
    c2, n2 = remediate_covariance(c2, hbr, "OBJECT2 covariance")
    warnings += n1 + n2
    steps: dict[str, Any] = {}
    p2 = pc_foster(x1[:3], x1[3:], c1, x2[:3], x2[3:], c2, hbr)
    v2d = check_2d(x1, np.asarray(cov1_km2, float), x2, np.asarray(cov2_km2, float))
    steps["pc_2d"] = float(p2.pc)
    steps["violations_2d"] = list(v2d.violations)
    flags: dict[str, Any] = {"ci95": None, "steps": steps, "usage_2d": v2d.summary(),
                             "covariance_remediated": bool(n1 or n2)}  # fmt: skip
    speed = float(np.linalg.norm(x2[3:] - x1[3:]))
    if not v2d.violations:
        flags["reason"] = f"2-D Pc valid: no usage violation ({v2d.summary()})"
        return PcResult(p2.pc, p2.method, warnings + p2.warnings, flags)
    # a rescaling factor beyond exp(709) overflows to inf: Pc'' is then not negligible
    # (inf, or NaN for a zero Pc'), which is the comparison's answer, not an error
    with np.errstate(over="ignore", invalid="ignore"):
        pc_scaled = float(np.exp(v2d.log_fc)) * float(p2.pc)
    if v2d.violations == ["inaccuracy"] and pc_scaled < NEGLIGIBLE_PC:
        flags["reason"] = (f"2-D Pc with only an inaccuracy violation and rescaled Pc'' = "
                           f"{pc_scaled:.3g} < {NEGLIGIBLE_PC:g}: negligible, max(Pc', Pc'')")  # fmt: skip
        return PcResult(max(float(p2.pc), pc_scaled), p2.method, warnings + p2.warnings, flags)
    why2d = f"2-D Pc invalid ({', '.join(v2d.violations)}: {v2d.summary()})"
    if c1.shape != (6, 6) or c2.shape != (6, 6):
        warnings.append(f"{why2d}, but the 3-D methods need velocity covariances: 2-D Pc reported")
        flags["reason"] = f"{why2d}; no velocity covariance, so 2-D Pc is the only estimate"
        return PcResult(
            p2.pc if speed > 0 else float("nan"), p2.method, warnings + p2.warnings, flags
        )
    nc = nc3d_hall(x1, c1, x2, c2, hbr)
    viol3 = _nc3d_violations(nc, x1, x2)
    steps["nc3d"] = nc.nc
    steps["violations_3d"] = viol3
    if not viol3:
        flags["reason"] = f"{why2d}; 3-D Nc valid (isolated encounter, converged)"
        flags["t_bounds_s"] = nc.t_bounds_s
        return PcResult(nc.nc, "nc3d-hall-2021", warnings + nc.warnings, flags)
    window = nc.t_bounds_s
    if nc.outside_fraction > 1e-3:
        half_p = 0.5 * v2d.p_min_s
        window = (-half_p, half_p)  # blended approaches: simulate the whole segment
    sd = pc_sdmc_tca(x1[:3], x1[3:], c1, x2[:3], x2[3:], c2, hbr, window_s=window, seed=seed)
    flags.update({k: v for k, v in sd.flags.items() if k != "reason"})
    flags["reason"] = (f"{why2d}; 3-D Nc invalid ({', '.join(viol3)}); SDMC "
                       f"({sd.flags['variance_reduction']} sampling, numba kernel)")  # fmt: skip
    return PcResult(sd.pc, sd.method, warnings + nc.warnings + sd.warnings, flags)


def validity_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """The method-validity flags of a :func:`pc_auto` result (its ``flags``), as every
    screening event and CDM carries them: ``pc_2d`` (the 2-D Pc), ``violations_2d`` (names
    of the 2-D usage violations, :func:`.validity.check_2d`; empty: 2-D valid),
    ``usage_2d`` (the indicators and their limits), ``nc3d`` (the 3-D Nc, None when not
    needed), ``violations_3d`` (None when 3-D Nc was not computed), ``ci95`` (sampled
    methods) and ``covariance_remediated``."""
    steps = flags.get("steps", {})
    ci = flags.get("ci95")
    return {
        "pc_2d": steps.get("pc_2d"),
        "violations_2d": list(steps.get("violations_2d", [])),
        "usage_2d": flags.get("usage_2d"),
        "nc3d": steps.get("nc3d"),
        "violations_3d": None if "violations_3d" not in steps else list(steps["violations_3d"]),
        "ci95": None if ci is None else [float(ci[0]), float(ci[1])],
        "covariance_remediated": bool(flags.get("covariance_remediated", False)),
    }


def pc_auto_batch(r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km, *, seed=0):
    """``auto`` over n events (arrays (n, 3), (n, 6, 6), (n,)) for screening tables.

    Runs :func:`pc_auto` per event, so a screening table and ``spacerange pc`` on its CDMs
    agree.  No 2-D Pc threshold is applied: a negligible 2-D Pc can hide a real risk (the
    Omitron 3DNc case: 2e-20 vs 1.9e-5).  Events that pass the 2-D checks cost a few ms; a
    per-event loop because only the flagged few need the 3-D work.  Returns
    ``(pc (n,), method (n,) str, reason (n,) str, flags)`` with ``flags`` a list of n
    :func:`validity_flags` dicts; an event whose refinement fails keeps its 2-D value and
    says why in ``reason`` (its flags then hold only ``pc_2d``).
    """
    n = np.shape(r1_km)[0]
    hbr = np.broadcast_to(np.asarray(hbr_km, float), (n,))
    pc = np.full(n, np.nan)
    method = np.full(n, "foster-2d", dtype=object)
    reason = np.full(n, "", dtype=object)
    flags: list[dict[str, Any]] = []
    for k in range(n):
        args = (r1_km[k], v1_km_s[k], cov1_km2[k], r2_km[k], v2_km_s[k], cov2_km2[k], hbr[k])
        try:
            res = pc_auto(*args, seed=seed)
        except (ValueError, np.linalg.LinAlgError) as exc:
            pc[k] = float(pc_foster(*args).pc)
            reason[k] = f"auto failed ({exc}); 2-D Pc kept"
            flags.append(validity_flags({"steps": {"pc_2d": pc[k]}}))
            continue
        pc[k], method[k], reason[k] = float(res.pc), res.method, res.flags["reason"]
        flags.append(validity_flags(res.flags))
    return pc, method.astype(str), reason.astype(str), flags
