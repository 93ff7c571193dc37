"""Breakup trace-back that still works weeks after the event: the pinch of orbit planes and
ellipse radii.

Weeks after a breakup, a fragment's element set no longer says *where along its orbit* the
fragment was at the event (mean-motion and drag errors grow secularly along-track), but it
still says which plane and which ellipse it flies on.  Every fragment orbit passes through
the breakup point, so at the event epoch the parent's position lies in every fragment's
plane (cross-track distance ``d_n`` = 0) and on every fragment's ellipse (radial distance
``d_r`` between the parent's in-plane radius and the ellipse radius in that direction = 0).

Both quantities are taken from SGP4's *mean* elements (``Satrec.am/em/im/Om/om``, i.e. the
secular J2/J4 node and perigee drift and the drag decay SGP4 models), evaluated on a grid of
anchor epochs over the search window and interpolated linearly between them (anchors <= 1 day
apart: node and perigee drift are linear, drag decay is smooth over a day).  The parent's
position is its SGP4 mean position (mean elements at each epoch, Kepler's equation), so that
the comparison is mean-to-mean: SGP4's short-period terms (several km) cancel.

The spread at epoch ``t`` is the median over fragments of ``hypot(d_n, d_r)`` [km].  It dips
once per parent revolution (the parent passes the pinch every orbit); the dip of the event
revolution is the deepest because the fragments' planes and perigees precess differentially
(different a, i) away from the pinch on the other revolutions.  :func:`trace_pinch` scans
the window on a coarse grid with a subsample of fragments, keeps the per-revolution minima
as candidates, rejects outlier fragments (median + 5 scaled MAD at the best candidate),
refines each candidate on a 1 s grid with all fragments kept, and returns them ranked: the
next-best revolutions and their spreads show how sure the answer is.

Frames: TEME (each element set's own TEME of date; the weeks of precession between them,
< 1 arcsec/day, are neglected).  Units: km, s, rad inside, degrees and UTC at the edges.
Deep-space objects (period >= 225 min) get SGP4's near-Earth-style mean elements from the
library; lunisolar secular terms are included by SGP4 itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from spacerange.catalog.model import ElementSet

__all__ = ["MeanOrbits", "PinchTrace", "mean_orbits", "pinch_residuals_km", "trace_pinch",
           "select_fragments", "propose_parent"]  # fmt: skip

_US = np.timedelta64(1, "us")


def _jd(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    us = np.asarray(t, dtype="datetime64[us]").astype(np.int64)
    d, rem = np.divmod(us, 86_400_000_000)
    return 2440587.5 + d.astype(float), rem / 86400e6


def _sgp4_mean(sat, jd: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, int]:
    """SGP4 mean elements (a km, e, i, raan, argp, M rad, n rad/s) of one satellite at each
    time, and SGP4's error code (0: all ran)."""
    out = np.full((jd.size, 6), np.nan)
    rate = np.full(jd.size, np.nan)
    for j in range(jd.size):  # the mean elements are only exposed per call
        e, _, _ = sat.sgp4(jd[j], fr[j])
        if e:
            return np.column_stack([out, rate]), int(e)
        out[j] = (sat.am * sat.radiusearthkm, sat.em, sat.im, sat.Om, sat.om, sat.mm)
        rate[j] = sat.nm / 60.0
    return np.column_stack([out, rate]), 0


@dataclass
class MeanOrbits:
    """SGP4 mean orbits of ``n`` objects at ``anchors_utc`` (m,): ``el`` (n, m, 7) holds a
    [km], e, i, raan, argp, M [rad] (raan and argp unwrapped along the anchors) and the
    mean motion n [rad/s].  ``ok`` (n,) marks
    objects whose SGP4 ran at every anchor; ``reason`` says why the others failed."""

    anchors_utc: np.ndarray
    el: np.ndarray
    ok: np.ndarray
    reason: list[str | None]

    def at(self, times_utc: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        """Elements (n_t, n, 7) at ``times_utc``: linear interpolation between anchors; the
        mean anomaly runs from both neighbouring anchors at their mean motions and the two
        are blended (drag makes n vary over the gap)."""
        el = self.el if idx is None else self.el[idx]
        ta = (self.anchors_utc - self.anchors_utc[0]) / _US
        t = (np.asarray(times_utc) - self.anchors_utc[0]) / _US
        j = np.clip(np.searchsorted(ta, t) - 1, 0, max(ta.size - 2, 0))
        if ta.size == 1:
            return np.broadcast_to(el[None, :, 0], (t.size, *el[:, 0].shape)).copy()
        w = ((t - ta[j]) / (ta[j + 1] - ta[j]))[:, None, None]
        e0 = np.moveaxis(el[:, j], 1, 0)
        e1 = np.moveaxis(el[:, j + 1], 1, 0)
        out = e0 + w * (e1 - e0)
        dt0 = ((t - ta[j]) / 1e6)[:, None]
        dt1 = ((t - ta[j + 1]) / 1e6)[:, None]
        m0 = e0[..., 5] + e0[..., 6] * dt0
        m1 = e1[..., 5] + e1[..., 6] * dt1
        out[..., 5] = m0 + w[..., 0] * np.angle(np.exp(1j * (m1 - m0)))
        return out


def mean_orbits(elsets: Sequence[ElementSet], start_utc, end_utc) -> MeanOrbits:
    """Mean orbits of ``elsets`` on anchors at most 6 h apart spanning the window."""
    from sgp4.api import Satrec

    span_s = (end_utc - start_utc) / np.timedelta64(1, "s")
    m = max(2, int(np.ceil(span_s / 21600.0)) + 1)
    anchors = start_utc + (np.linspace(0.0, span_s, m) * 1e6).astype("timedelta64[us]")
    jd, fr = _jd(anchors)
    el = np.full((len(elsets), m, 7), np.nan)
    ok = np.zeros(len(elsets), dtype=bool)
    reason: list[str | None] = [None] * len(elsets)
    for k, e in enumerate(elsets):
        try:
            sat = Satrec.twoline2rv(e.line1, e.line2)
        except (ValueError, IndexError) as exc:
            reason[k] = f"unreadable element set ({exc})"
            continue
        x, code = _sgp4_mean(sat, jd, fr)
        if code:
            reason[k] = f"SGP4 error {code} in the search window"
            continue
        el[k] = x
        ok[k] = True
    el[..., 3:5] = np.unwrap(el[..., 3:5], axis=1)
    return MeanOrbits(anchors, el, ok, reason)


def _kepler_position(el6: np.ndarray) -> np.ndarray:
    """Positions (..., 3) km from mean elements (..., 6): a, e, i, raan, argp, M."""
    a, e, i, o, w, m = np.moveaxis(el6[..., :6], -1, 0)
    ea = m.copy()
    for _ in range(8):
        ea = ea - (ea - e * np.sin(ea) - m) / (1 - e * np.cos(ea))
    x = a * (np.cos(ea) - e)
    y = a * np.sqrt(1 - e * e) * np.sin(ea)
    p, q, _ = _perifocal(i, o, w)
    return x[..., None] * p + y[..., None] * q


def _perifocal(i, o, w):
    ci, si, co, so, cw, sw = np.cos(i), np.sin(i), np.cos(o), np.sin(o), np.cos(w), np.sin(w)
    p = np.stack([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si], -1)
    q = np.stack([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si], -1)
    n = np.stack([so * si, -co * si, ci], -1)
    return p, q, n


def pinch_residuals_km(el: np.ndarray, point_km: np.ndarray, along: bool = False) -> tuple:
    """Cross-track ``d_n`` and radial ``d_r`` (km) of ``point_km`` (n_t, 3) from the mean
    orbits ``el`` (n_t, n, >= 5): distance to each plane, and in-plane radius minus the
    ellipse radius in the point's direction.  With ``along=True`` also the along-track
    offset ``d_t`` (km, ellipse radius times the angle from the point's direction to the
    object's mean position, ``el`` then needs M in column 5)."""
    a, e, i, o, w = np.moveaxis(el[..., :5], -1, 0)
    p, q, n = _perifocal(i, o, w)
    r = point_km[:, None, :]
    x, y, z = np.sum(r * p, -1), np.sum(r * q, -1), np.sum(r * n, -1)
    rho = np.hypot(x, y)
    r_ell = a * (1 - e * e) * rho / (rho + e * x)
    if not along:
        return z, rho - r_ell
    m = el[..., 5]
    ea = m.copy()
    for _ in range(8):
        ea = ea - (ea - e * np.sin(ea) - m) / (1 - e * np.cos(ea))
    nu = 2 * np.arctan2(np.sqrt(1 + e) * np.sin(ea / 2), np.sqrt(1 - e) * np.cos(ea / 2))
    return z, rho - r_ell, r_ell * np.angle(np.exp(1j * (nu - np.arctan2(y, x))))


@dataclass
class PinchTrace:
    """Result of :func:`trace_pinch`: best epoch and place (parent's SGP4 position, TEME
    and WGS-84 geodetic), ranked per-revolution ``candidates`` (epoch, spread), and the
    fragments used/rejected."""

    epoch_utc: np.datetime64
    r_teme_km: np.ndarray
    lat_deg: float
    lon_deg: float
    alt_km: float
    spread_km: float
    n_fragments: int
    n_used: int
    candidates: list[tuple[np.datetime64, float]]
    period_s: float
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        from spacerange.timescales import iso_utc

        t0 = self.epoch_utc
        return {
            "epoch_utc": iso_utc(self.epoch_utc),
            "lat_deg": self.lat_deg,
            "lon_deg": self.lon_deg,
            "alt_km": self.alt_km,
            "n_fragments": self.n_fragments,
            "n_used": self.n_used,
            "spread_km": self.spread_km,
            "candidates": [
                {
                    "epoch_utc": iso_utc(t),
                    "spread_km": s,
                    "revolutions": round(float((t - t0) / _US) / 1e6 / self.period_s, 2),
                }
                for t, s in self.candidates
            ],  # fmt: skip
            "rejected": self.rejected,
        }


def _distances(orb, idx, sigma_km, sigma_at_km, pr, times):
    """Pinch distances (n_t, n_idx) km: cross-track and radial, plus the along-track offset
    scaled by ``sigma_km / sigma_at_km`` (counted in proportion to its reliability)."""
    dn, dr, dt = pinch_residuals_km(orb.at(times, idx), pr, along=True)
    dt = dt * (sigma_km[idx] / sigma_at_km[idx])
    return np.sqrt(dn * dn + dr * dr + dt * dt)


def _spread_curve(orb, idx, sigma_km, sigma_at_km, parent_sat, times, chunk=2048):
    """Weighted clipped RMS pinch distance (n_t,) km of fragments ``idx`` (weights
    ``1/sigma^2``, distances clipped at ``3 sigma``), and the parent's mean positions."""
    jd, fr = _jd(times)
    pel, code = _sgp4_mean(parent_sat, jd, fr)
    if code:
        raise ValueError(f"parent: SGP4 error {code} in the search window")
    pr = _kepler_position(pel)
    sig = sigma_km[idx]
    w = 1.0 / sig**2
    out = np.empty(times.size)
    step = max(1, chunk * 512 // max(idx.size, 1))
    for s in range(0, times.size, step):
        d = _distances(orb, idx, sigma_km, sigma_at_km, pr[s : s + step], times[s : s + step])
        d2 = np.minimum(d * d, 9.0 * sig * sig)
        out[s : s + step] = np.sqrt(d2 @ w / w.sum())
    return out, pr


def trace_pinch(
    fragments: Sequence[ElementSet],
    parent: ElementSet,
    before_utc,
    window_s: float = 7 * 86400.0,
    coarse_step_s: float = 30.0,
    coarse_fragments: int = 400,
    n_candidates: int = 5,
    reject_mad: float = 5.0,
    sigma0_km: float = 0.5,
    drag_km_per_lever: float = 0.3,
    at0_km: float = 2.0,
    at_km_per_day: float = 8.0,
    at_km_per_lever: float = 200.0,
) -> PinchTrace:
    """Event epoch and place of a breakup of ``parent`` from fragment element sets of any
    epochs (days to months after the event), searched in ``[before - window, before]``.

    The spread is a weighted, clipped RMS distance to the pinch (km): fragment ``k`` has
    the expected error ``sigma_k = hypot(sigma0_km, drag_km_per_lever * |B*| * lever^2)``
    (lever: days from the window start to its epoch), weight ``1/sigma_k^2``, and its
    distance is clipped at ``3 sigma_k``.  A 25 % B* error on a high area-to-mass fragment
    ten weeks out moves its back-propagated plane by ~10 km, which would swamp the few
    hundred metres per revolution that separate the event revolution from its
    neighbours; the well-propagating fragments carry the decision.  The along-track offset
    of each fragment's mean position is added, scaled by ``sigma_k / sigma_at_k`` with
    ``sigma_at_k = sqrt(at0_km^2 + (at_km_per_day * lever)^2 + (at_km_per_lever * |B*|
    lever^2)^2)``: worthless weeks out, it pins the revolution for fresh element sets
    (one revolution moves fragments apart along-track by ~3 pi da).  Rejected fragments
    (SGP4 failures, outliers) are listed with their reason.
    Raises ``ValueError`` with fewer than 3 usable fragments."""
    from sgp4.api import Satrec

    from spacerange.frames import itrs_to_geodetic, teme_to_itrs
    from spacerange.timescales import parse_utc

    end = parse_utc(before_utc)
    if not (np.isfinite(window_s) and 0 < window_s <= 60 * 86400.0):
        raise ValueError(f"window: {window_s} s; give 0 < window <= 60 days")
    start = end - np.timedelta64(int(window_s * 1e6), "us")
    orb = mean_orbits(fragments, start, end)
    rejected = [{"norad_id": fragments[k].norad_id, "reason": r}
                for k, r in enumerate(orb.reason) if r]  # fmt: skip
    good = np.flatnonzero(orb.ok)
    if good.size < 3:
        raise ValueError(f"need at least 3 usable fragments, got {good.size}")
    # Drag mis-modelling (B* errors) dominates the back-propagated plane/ellipse error and
    # grows like |B*| * lever^2; each fragment is weighted by its expected error.
    lever_d = np.array([(parse_utc(fragments[k].epoch) - start) / np.timedelta64(1, "D")
                        for k in range(len(fragments))])  # fmt: skip
    q = np.abs([f.bstar for f in fragments]) * lever_d**2
    sigma_km = np.hypot(sigma0_km, drag_km_per_lever * q)
    sigma_at_km = np.sqrt(at0_km**2 + (at_km_per_day * lever_d) ** 2 + (at_km_per_lever * q) ** 2)
    psat = Satrec.twoline2rv(parent.line1, parent.line2)
    period_s = 2 * np.pi / psat.no_kozai * 60.0
    # coarse scan with the best-propagating fragments
    sub = np.sort(good[np.argsort(q[good], kind="stable")[:coarse_fragments]])
    n_c = int(window_s // coarse_step_s) + 1
    tc = start + (np.arange(n_c) * coarse_step_s * 1e6).astype("timedelta64[us]")
    curve, _ = _spread_curve(orb, sub, sigma_km, sigma_at_km, psat, tc)
    from scipy.ndimage import minimum_filter1d

    half = max(1, int(0.5 * period_s / coarse_step_s))
    is_min = (minimum_filter1d(curve, 2 * half + 1, mode="nearest") == curve) & np.isfinite(curve)
    cand = np.flatnonzero(is_min)
    if cand.size == 0:
        raise ValueError("no finite pinch spread in the window (check the element sets)")
    cand = cand[np.argsort(curve[cand])][: max(1, n_candidates)]

    def refine(k, idx):
        tt = tc[k] + (np.arange(-2 * coarse_step_s, 2 * coarse_step_s + 1) * 1e6).astype(
            "timedelta64[us]"
        )
        s, _ = _spread_curve(orb, idx, sigma_km, sigma_at_km, psat, tt)
        j = int(np.clip(np.nanargmin(s), 1, s.size - 2))
        # parabola through the 1 s samples around the minimum: sub-second epoch
        den = s[j - 1] - 2 * s[j] + s[j + 1]
        off = 0.5 * (s[j - 1] - s[j + 1]) / den if den > 0 else 0.0
        t = tt[j] + np.timedelta64(int(round(np.clip(off, -1, 1) * 1e6)), "us")
        return t, float(_spread_curve(orb, idx, sigma_km, sigma_at_km, psat, np.array([t]))[0][0])

    t_best, _ = refine(cand[0], good)
    # outliers: fragments far from the pinch for their expected error at the best epoch
    _, pr = _spread_curve(orb, good, sigma_km, sigma_at_km, psat, np.array([t_best]))
    z = _distances(orb, good, sigma_km, sigma_at_km, pr, np.array([t_best]))[0] / sigma_km[good]
    med = np.median(z)
    mad = 1.4826 * np.median(np.abs(z - med))
    bad = z > med + reject_mad * max(mad, 1e-3)
    rejected += [{"norad_id": fragments[k].norad_id,
                  "reason": f"{z[j] * sigma_km[k]:.1f} km from the pinch "
                            f"({z[j]:.1f} expected errors)"}
                 for j, k in enumerate(good) if bad[j]]  # fmt: skip
    used = good[~bad]
    ranked = sorted((refine(k, used) for k in cand), key=lambda x: x[1])
    t_best, s_best = ranked[0]
    jd, fr = _jd(np.array([t_best]))
    e, r, v = psat.sgp4(jd[0], fr[0])
    r = np.array(r)
    ri, _ = teme_to_itrs(r[None], np.array(v)[None], np.array([t_best]))
    g = itrs_to_geodetic(ri)[0]
    return PinchTrace(
        epoch_utc=t_best, r_teme_km=r, lat_deg=float(g[0]), lon_deg=float(g[1]),
        alt_km=float(g[2]), spread_km=s_best, n_fragments=len(fragments),
        n_used=int(used.size), candidates=ranked, period_s=float(period_s), rejected=rejected,
    )  # fmt: skip


def _normal(inc_rad, raan_rad):
    return np.stack([np.sin(raan_rad) * np.sin(inc_rad), -np.cos(raan_rad) * np.sin(inc_rad),
                     np.cos(inc_rad)], -1)  # fmt: skip


def select_fragments(
    parent: ElementSet,
    elsets: Sequence[ElementSet],
    common_utc=None,
    max_plane_angle_deg: float = 3.0,
    altitude_margin_km: float = 50.0,
    reject_mad: float = 5.0,
) -> np.ndarray:
    """Indices of ``elsets`` whose orbits could come from ``parent``, for element sets of
    any (mixed) epochs.

    Planes and perigee/apogee are compared at one common epoch (default: the parent's),
    each set's SGP4 mean elements propagated there (secular J2 node drift and drag decay
    applied), so weeks of differential nodal precession do not hide the fragments.  Kept:
    plane angle to the parent's below ``max_plane_angle_deg`` (ejection speeds of a few
    hundred m/s tilt a LEO plane by < 3 deg), a perigee-apogee band that contains the
    parent's radius range (+- ``altitude_margin_km``), and, among those, plane angles within
    median + ``reject_mad`` scaled MAD (outliers: unrelated objects in nearby planes)."""
    from spacerange.timescales import parse_utc

    t = parse_utc(common_utc) if common_utc is not None else parse_utc(parent.epoch)
    orb = mean_orbits([parent, *elsets], t, t + np.timedelta64(1, "s"))
    el = orb.el[:, 0]
    nrm = _normal(el[:, 2], el[:, 3])
    ang = np.degrees(np.arccos(np.clip(nrm[1:] @ nrm[0], -1, 1)))
    a, e = el[:, 0], el[:, 1]
    rp, ra = a * (1 - e), a * (1 + e)
    band = (rp[1:] <= ra[0] + altitude_margin_km) & (ra[1:] >= rp[0] - altitude_margin_km)
    keep = orb.ok[1:] & band & (ang <= max_plane_angle_deg)
    if orb.ok[0] and np.count_nonzero(keep) >= 5:
        x = ang[keep]
        med, mad = np.median(x), 1.4826 * np.median(np.abs(x - np.median(x)))
        keep &= ang <= med + reject_mad * max(mad, 1e-3)
    return np.flatnonzero(keep) if orb.ok[0] else np.array([], dtype=int)


def _pinch_without_parent(orb: MeanOrbits, times: np.ndarray):
    """Parent-free pinch at each time: the line common to all fragment planes (smallest
    eigenvector of sum n n^T), on the side where the ellipse radii agree; returns the point
    (n_t, 3) km and the median pinch distance (n_t,)."""
    el = orb.at(times, np.flatnonzero(orb.ok))
    nrm = _normal(el[..., 2], el[..., 3])
    m = np.einsum("tki,tkj->tij", nrm, nrm)
    _, vec = np.linalg.eigh(m)
    x = vec[..., 0]
    best = None
    for sgn in (1.0, -1.0):
        u = sgn * x
        a, e, i, o, w = np.moveaxis(el[..., :5], -1, 0)
        p, q, _ = _perifocal(i, o, w)
        px, py = np.sum(u[:, None] * p, -1), np.sum(u[:, None] * q, -1)
        rho = np.hypot(px, py)
        r_ell = a * (1 - e * e) * rho / (rho + e * px) / np.maximum(rho, 1e-9)
        pt = np.median(r_ell, axis=1)[:, None] * u
        dn, dr = pinch_residuals_km(el, pt)
        s = np.median(np.hypot(dn, dr), axis=1)
        if best is None:
            best = (pt, s)
        else:
            better = s < best[1]
            best = (np.where(better[:, None], pt, best[0]), np.where(better, s, best[1]))
    return best


def propose_parent(
    fragments: Sequence[ElementSet],
    catalog: Sequence[ElementSet],
    before_utc,
    window_s: float = 7 * 86400.0,
    step_s: float = 1800.0,
    max_candidates: int = 5,
) -> list[dict]:
    """Catalog objects (fragments excluded) ranked as the likely parent: the fragments'
    planes are intersected (no parent needed) to find the pinch at a rough epoch; an
    object qualifies when its mean orbit passes within 50 km of that pinch, and the
    qualified ones are ranked by how central their orbit is in the cloud (plane angle to the
    fragments' median plane and semi-major axis offset from the fragments' median, each in
    units of the cloud's scaled MAD): an explosion's or collision's fragments scatter
    around the parent's orbit, while other fragments sit anywhere in the cloud.  Objects
    whose element set predates ``before_utc`` rank first (fragments are catalogued after
    the event; a parent whose latest set is older is the usual case).  Returns
    dicts ``index`` (into ``catalog``), ``norad_id``, ``pinch_miss_km``, ``score``."""
    from spacerange.timescales import parse_utc

    end = parse_utc(before_utc)
    start = end - np.timedelta64(int(window_s * 1e6), "us")
    orb = mean_orbits(fragments, start, end)
    if np.count_nonzero(orb.ok) < 3:
        raise ValueError("need at least 3 usable fragments")
    tt = start + (np.arange(0, window_s + 1, step_s) * 1e6).astype("timedelta64[us]")
    pt, s = _pinch_without_parent(orb, tt)
    j = int(np.nanargmin(s))
    t0, p0 = tt[j], pt[j]
    frag_ids = {f.norad_id for f in fragments}
    cidx = [k for k, e in enumerate(catalog) if e.norad_id not in frag_ids]
    if not cidx:
        return []
    corb = mean_orbits([catalog[k] for k in cidx], t0, t0 + np.timedelta64(1, "s"))
    cel = corb.el[:, 0]
    dn, dr = pinch_residuals_km(cel[None], p0[None])
    miss = np.hypot(dn, dr)[0]
    fel = orb.at(np.array([t0]), np.flatnonzero(orb.ok))[0]
    fn = _normal(fel[:, 2], fel[:, 3])
    n_med = np.median(fn, axis=0)
    n_med /= np.linalg.norm(n_med)
    f_ang = np.arccos(np.clip(fn @ n_med, -1, 1))
    a_med = np.median(fel[:, 0])
    s_ang = 1.4826 * np.median(np.abs(f_ang - np.median(f_ang))) + 1e-6
    s_a = 1.4826 * np.median(np.abs(fel[:, 0] - a_med)) + 1e-3
    c_ang = np.arccos(np.clip(_normal(cel[:, 2], cel[:, 3]) @ n_med, -1, 1))
    score = c_ang / s_ang + np.abs(cel[:, 0] - a_med) / s_a
    ok = corb.ok & (miss < 50.0)
    # an object catalogued before the window's end existed before the event; fragments
    # are catalogued after it, so those come first, then the most central orbit
    late = np.array([parse_utc(catalog[k].epoch) > end for k in cidx])
    cand = np.flatnonzero(ok)
    order = cand[np.lexsort((score[cand], late[cand]))][:max_candidates]
    return [{"index": cidx[k], "norad_id": catalog[cidx[k]].norad_id,
             "name": catalog[cidx[k]].name, "pinch_miss_km": float(miss[k]),
             "score": float(score[k]), "catalogued_before": not bool(late[k])}
            for k in order]  # fmt: skip
