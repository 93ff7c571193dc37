"""Fit SGP4 mean elements (a TLE) to precise states: least squares on SGP4 positions.

Solve-for parameters: the equinoctial elements of :mod:`.sgp4_dc` (non-singular for
circular and equatorial orbits: Kozai mean motion n (rad/min), ``e cos(w + RAAN)``,
``e sin(w + RAAN)``, ``tan(i/2) sin RAAN``, ``tan(i/2) cos RAAN``, mean longitude
``lambda = M + w + RAAN``) and optionally B*.
Residuals are SGP4 (WGS-72, opsmode 'i', as python-sgp4 and the TLE catalogue use) TEME
positions minus the given positions rotated GCRS -> TEME (:mod:`spacerange.frames`).  The
Jacobian comes from central differences, all perturbed element sets propagated together by
one ``SatrecArray`` call; steps are Levenberg-Marquardt damped.  The result is formatted as
TLE lines (:func:`spacerange.catalog.tle.format_tle`), re-parsed, and the reported RMS is
that of the *formatted* TLE (its rounding included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray

from spacerange.catalog.model import ElementSet
from spacerange.catalog.tle import format_tle, parse_tle_lines
from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM
from spacerange.timescales import jd_fr_utc

from .sgp4_dc import classical_from_params, params_from_classical, satrec_from_params, satrec_params

_SGP4_EPOCH0 = np.datetime64("1949-12-31T00:00:00", "us")
_MU_WGS72 = MU_WGS72_KM3_S2
_XKE_MIN = 60.0 / np.sqrt(RE_WGS72_KM**3 / _MU_WGS72)


@dataclass
class TleFit:
    """Result: ``elset`` (valid TLE lines), ``rms_km`` (3-D position RMS of the formatted
    TLE against the input), ``max_km``, ``iterations``, ``converged``."""

    elset: ElementSet
    rms_km: float
    max_km: float
    iterations: int
    converged: bool


def _positions(params: list[np.ndarray], epoch_days, norad, jd, fr) -> np.ndarray:
    arr = SatrecArray([satrec_from_params(p, epoch_days, norad) for p in params])
    err, r, _ = arr.sgp4(jd, fr)
    r = np.where(err[..., None] == 0, r, np.nan)
    return r


def _initial_params(r_teme, v_teme) -> np.ndarray:
    mu = _MU_WGS72
    r, v = r_teme, v_teme
    rn = np.linalg.norm(r)
    h = np.cross(r, v)
    inc = np.arccos(h[2] / np.linalg.norm(h))
    node = np.array([-h[1], h[0], 0.0])
    raan = np.arctan2(node[1], node[0])
    ev = ((v @ v - mu / rn) * r - (r @ v) * v) / mu
    a = 1.0 / (2.0 / rn - (v @ v) / mu)
    e = np.linalg.norm(ev)
    if not (a > RE_WGS72_KM * 0.9 and e < 1.0):
        raise ValueError(f"TLE fit: state is not a bound Earth orbit (a = {a:.1f} km, e = {e:.3g})")
    nn = np.linalg.norm(node)
    argp = np.arctan2((np.cross(node, ev) @ h) / (nn * np.linalg.norm(h)), node @ ev / nn)
    nu = np.arctan2((np.cross(ev, r) @ h) / np.linalg.norm(h), ev @ r)
    ea = 2 * np.arctan(np.sqrt((1 - e) / (1 + e)) * np.tan(nu / 2))
    m = ea - e * np.sin(ea)
    n = _XKE_MIN * (a / RE_WGS72_KM) ** -1.5
    return params_from_classical(n, e, argp, inc, raan, m, 0.0)


def fit_tle(
    times_utc: np.ndarray,
    r_gcrs_km: np.ndarray,
    v_gcrs_km_s: np.ndarray,
    norad_id: int = 99999,
    epoch_utc: np.datetime64 | None = None,
    fit_bstar: bool = True,
    initial: ElementSet | None = None,
    max_iter: int = 30,
    name: str = "",
) -> TleFit:
    """SGP4 element set best fitting GCRS states at ``times_utc`` (n,) (km, km/s).

    ``epoch_utc`` (default: the first time, rounded to the TLE's 1e-8 day) is the TLE epoch;
    ``initial`` an optional starting element set (else the osculating elements of the state
    nearest the epoch).  Raises ValueError when fewer than 4 finite states are given.
    """
    from spacerange.frames import gcrs_to_teme

    times = np.asarray(times_utc, "datetime64[us]")
    r = np.asarray(r_gcrs_km, float)
    v = np.asarray(v_gcrs_km_s, float)
    ok = np.all(np.isfinite(r), axis=1) & np.all(np.isfinite(v), axis=1)
    if ok.sum() < 4:
        raise ValueError(f"TLE fit needs at least 4 finite states, got {int(ok.sum())}")
    times, r, v = times[ok], r[ok], v[ok]
    r_teme, v_teme = gcrs_to_teme(r, v, times)
    ep = times[0] if epoch_utc is None else np.datetime64(epoch_utc, "us")
    # TLE epochs carry 1e-8 day: round so the formatted TLE has the same epoch
    day_us = 86400e6
    ep_days = float((ep - _SGP4_EPOCH0).astype(np.int64)) / day_us
    ep_days = round(ep_days * 1e8) / 1e8
    ep = _SGP4_EPOCH0 + np.timedelta64(int(round(ep_days * day_us)), "us")
    jd, fr = jd_fr_utc(times)
    if initial is not None:
        s0 = Satrec.twoline2rv(initial.line1, initial.line2, WGS72)
        p = satrec_params(s0)
    else:
        k = int(np.argmin(np.abs((times - ep).astype(np.int64))))
        p = _initial_params(r_teme[k], v_teme[k])
        # move the osculating mean longitude to the epoch with the mean motion
        dt_min = float((ep - times[k]).astype(np.int64)) / 60e6
        p[5] += p[0] * dt_min
    free = np.arange(7) if fit_bstar else np.arange(6)
    steps = np.array([1e-9, 1e-7, 1e-7, 1e-7, 1e-7, 1e-7, 1e-6])
    lam = 1e-3
    y = r_teme.ravel()

    def cost_of(pp):
        rr = _positions([pp], ep_days, norad_id, jd, fr)[0]
        d = y - rr.ravel()
        return d, float(np.sum(d * d)) if np.all(np.isfinite(d)) else np.inf

    d, cost = cost_of(p)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        pert = []
        for j in free:
            for sgn in (1.0, -1.0):
                q = p.copy()
                q[j] += sgn * steps[j]
                pert.append(q)
        rr = _positions(pert, ep_days, norad_id, jd, fr).reshape(len(free), 2, -1)
        jac = ((rr[:, 0] - rr[:, 1]) / (2 * steps[free, None])).T
        if not np.all(np.isfinite(jac)):
            break
        jtj = jac.T @ jac
        jtd = jac.T @ d
        improved = False
        for _ in range(12):
            dp = np.linalg.solve(jtj + lam * np.diag(np.diag(jtj)), jtd)
            q = p.copy()
            q[free] += dp
            d_new, c_new = cost_of(q)
            if c_new < cost:
                rel = (cost - c_new) / cost
                p, d, cost = q, d_new, c_new
                lam = max(lam / 10, 1e-9)
                improved = True
                break
            lam *= 10
        if not improved or rel < 1e-10:
            converged = True
            break
    _, e, argp_rad, inc_rad, raan_rad, m_rad, _ = classical_from_params(p)
    argp, mean_anom = float(np.degrees(argp_rad)), float(np.degrees(m_rad))
    epoch_dt = datetime.fromisoformat(str(ep.astype("datetime64[us]"))).replace(tzinfo=UTC)
    rev_day = float(p[0]) * 1440.0 / (2 * np.pi)
    draft = ElementSet(norad_id, epoch_dt, float(np.degrees(inc_rad)), float(np.degrees(raan_rad)),
                       e, argp, mean_anom, rev_day, float(p[6]), "", "", name=name,
                       source="od.tle_fit")  # fmt: skip
    l1, l2 = format_tle(draft)
    elset = parse_tle_lines(l1, l2, name=name, source="od.tle_fit")
    s = Satrec.twoline2rv(l1, l2, WGS72)
    err, rr, _ = SatrecArray([s]).sgp4(jd, fr)
    dist = np.linalg.norm(rr[0] - r_teme, axis=1)
    dist = np.where(err[0] == 0, dist, np.nan)
    return TleFit(elset, float(np.sqrt(np.nanmean(dist**2))), float(np.nanmax(dist)), it,
                  converged)  # fmt: skip
