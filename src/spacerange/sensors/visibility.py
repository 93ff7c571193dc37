"""Topocentric look angles and pass prediction, vectorized over objects and times.

Geometry: the site->object vector ``d = r_obj - r_site`` is formed in ITRS (site from
:func:`spacerange.frames.geodetic_to_itrs`) and rotated into the local East/North/Up frame
of the geodetic normal.  Elevation ``asin(u.d/|d|)``, azimuth ``atan2(E, N)`` clockwise
from north, range rate ``d.v_itrs/|d|`` (the site is fixed in ITRS).  Geometric: no
refraction, no light time, no polar motion (the same model as skyfield's
``EarthSatellite - wgs84.latlon``).

Passes: elevation is sampled on the propagation grid; a pass is a run of samples at or
above the site's elevation mask.  Rise and set are refined inside the bracketing grid
interval by bisection on a cubic Hermite interpolation of the ITRS trajectory (position
and velocity at both ends: error ~ h^4 |r''''| / 384, about 0.3 m for LEO at h = 60 s);
culmination by golden-section search on the same interpolant around the highest sample.
A pass shorter than one grid step that falls entirely between two samples is missed:
choose the step below the shortest pass of interest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spacerange.sensors.base import LookGeometry, Site

_NAT = np.datetime64("NaT", "us")


def elevation_deg(site: Site, r_itrs_km: np.ndarray) -> np.ndarray:
    """Elevation (deg) of ITRS positions ``(..., 3)`` seen from ``site``; shape ``(...)``.

    NaN positions give NaN (never visible)."""
    up = site.enu_matrix[2]
    d = r_itrs_km - site.r_itrs_km
    rng = np.sqrt(np.einsum("...i,...i->...", d, d))
    return np.degrees(np.arcsin(np.clip((d @ up) / rng, -1.0, 1.0)))


def look_angles(site: Site, r_itrs_km: np.ndarray, v_itrs_km_s: np.ndarray | None = None):
    """Azimuth, elevation (deg), range (km) and range rate (km/s, None without ``v``) of
    ITRS states ``(..., 3)`` seen from ``site``; each shaped ``(...)``."""
    d = r_itrs_km - site.r_itrs_km
    enu = d @ site.enu_matrix.T
    rng = np.linalg.norm(d, axis=-1)
    az = np.degrees(np.arctan2(enu[..., 0], enu[..., 1])) % 360.0
    el = np.degrees(np.arcsin(np.clip(enu[..., 2] / rng, -1.0, 1.0)))
    rr = None if v_itrs_km_s is None else np.einsum("...i,...i->...", d, v_itrs_km_s) / rng
    return az, el, rng, rr


def look_angles_many(sites: list[Site], r_itrs_km: np.ndarray, v_itrs_km_s: np.ndarray):
    """:func:`look_angles` for many sites at once: arrays ``(n_sites, ...)``."""
    out = [look_angles(s, r_itrs_km, v_itrs_km_s) for s in sites]
    return tuple(np.stack([o[i] for o in out]) for i in range(4))


def look_geometry(
    site: Site,
    r_itrs_km: np.ndarray,
    v_itrs_km_s: np.ndarray,
    window: np.ndarray | None = None,
    el_deg: np.ndarray | None = None,
) -> LookGeometry:
    """Geometry of every (object, time) sample above the site's elevation mask.

    ``r``/``v`` are ``(n_objects, n_times, 3)``; ``window`` (n_objects, n_times) bool
    optionally restricts the samples; ``el_deg`` may pass a precomputed elevation grid."""
    el = elevation_deg(site, r_itrs_km) if el_deg is None else el_deg
    with np.errstate(invalid="ignore"):
        sel = el >= site.min_elevation_deg
    if window is not None:
        sel &= window
    obj, t = np.nonzero(sel)
    r = r_itrs_km[obj, t]
    v = v_itrs_km_s[obj, t]
    az, el_s, rng, rr = look_angles(site, r, v)
    return LookGeometry(obj, t, r - site.r_itrs_km, az, el_s, rng, rr)


@dataclass
class Passes:
    """Passes of objects over sites (flat arrays, one entry per pass).

    ``site``/``obj``: indices into the caller's site and object lists; ``rise_utc``,
    ``culmination_utc``, ``set_utc``: datetime64[us] UTC (rise NaT when the pass is already
    in progress at the first sample, set NaT when still in progress at the last);
    ``max_el_deg``: elevation at culmination; ``i_first``/``i_last``: first and last grid
    sample inside the pass."""

    site: np.ndarray
    obj: np.ndarray
    rise_utc: np.ndarray
    culmination_utc: np.ndarray
    set_utc: np.ndarray
    max_el_deg: np.ndarray
    i_first: np.ndarray
    i_last: np.ndarray

    def __len__(self) -> int:
        return len(self.obj)

    def take(self, idx) -> Passes:
        return Passes(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    @classmethod
    def concat(cls, parts: list[Passes]) -> Passes:
        if not parts:
            e = np.zeros(0, dtype=np.int64)
            t = np.zeros(0, dtype="datetime64[us]")
            return cls(e, e, t, t, t, np.zeros(0), e, e)
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in cls.__dataclass_fields__))  # fmt: skip


def _hermite(r0, v0, r1, v1, h, s):
    """Cubic Hermite position at ``s`` seconds into intervals of length ``h`` (arrays)."""
    x = (s / h)[:, None]
    x2, x3 = x * x, x * x * x
    h00 = 2 * x3 - 3 * x2 + 1
    h10 = x3 - 2 * x2 + x
    h01 = -2 * x3 + 3 * x2
    h11 = x3 - x2
    hh = h[:, None]
    return h00 * r0 + h10 * hh * v0 + h01 * r1 + h11 * hh * v1


def _el_of(site_r, up, r):
    d = r - site_r
    return np.degrees(np.arcsin(np.clip(np.sum(d * up, -1) / np.linalg.norm(d, axis=-1), -1, 1)))


def _bisect_crossing(site_r, up, mask_deg, r0, v0, r1, v1, h, rising, iters=40):
    """Offset (s) in [0, h] where the interpolated elevation crosses ``mask_deg``."""
    lo = np.zeros(len(h))
    hi = h.copy()
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        above = _el_of(site_r, up, _hermite(r0, v0, r1, v1, h, mid)) >= mask_deg
        # Rising: below at lo, above at hi.  Setting: above at lo, below at hi.
        move_hi = above if rising else ~above
        hi = np.where(move_hi, mid, hi)
        lo = np.where(move_hi, lo, mid)
    return 0.5 * (lo + hi)


def _golden_max(site_r, up, r0, v0, r1, v1, h, iters=48):
    """Offset (s) and value of the maximum elevation of the interpolant on [0, h]."""
    g = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = np.zeros(len(h)), h.copy()
    c, d = b - g * (b - a), a + g * (b - a)

    def f(s):
        return _el_of(site_r, up, _hermite(r0, v0, r1, v1, h, s))

    fc, fd = f(c), f(d)
    for _ in range(iters):
        left = fc > fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        c_new = b - g * (b - a)
        d_new = a + g * (b - a)
        # Reuse the surviving interior point: only one evaluation per iteration.
        c_keep, d_keep = np.where(left, c_new, d), np.where(left, c, d_new)
        fnew = f(np.where(left, c_new, d_new))
        fc, fd = np.where(left, fnew, fd), np.where(left, fc, fnew)
        c, d = c_keep, d_keep
    s = 0.5 * (a + b)
    return s, f(s)


def find_passes(
    sites: list[Site],
    times_utc: np.ndarray,
    r_itrs_km: np.ndarray,
    v_itrs_km_s: np.ndarray,
    el_deg: np.ndarray | None = None,
    obj_offset: int = 0,
) -> Passes:
    """Passes (rise/culmination/set) of every object over every site.

    ``r``/``v``: ITRS states ``(n_objects, n_times, 3)`` at ``times_utc`` (n_times,);
    ``el_deg``: optional precomputed elevations ``(n_sites, n_objects, n_times)``;
    ``obj_offset`` is added to the object indices (for streamed blocks)."""
    times_utc = np.asarray(times_utc, dtype="datetime64[us]")
    t_s = (times_utc - times_utc[0]).astype(np.int64) / 1e6
    n_o, n_t = r_itrs_km.shape[:2]
    parts = []
    for k, site in enumerate(sites):
        el = elevation_deg(site, r_itrs_km) if el_deg is None else el_deg[k]
        with np.errstate(invalid="ignore"):
            vis = el >= site.min_elevation_deg
        if not vis.any():
            continue
        pad = np.zeros((n_o, 1), dtype=bool)
        edge = np.diff(np.concatenate([pad, vis, pad], axis=1).astype(np.int8), axis=1)
        so, st = np.nonzero(edge == 1)  # first sample inside
        eo, et = np.nonzero(edge == -1)  # one past the last sample inside
        et = et - 1
        n = len(so)
        site_r = np.broadcast_to(site.r_itrs_km, (n, 3))
        up = np.broadcast_to(site.enu_matrix[2], (n, 3))
        mask = site.min_elevation_deg
        rise = np.full(n, _NAT)
        setv = np.full(n, _NAT)
        # Rise inside (st-1, st], set inside [et, et+1).
        ok = st > 0
        if ok.any():
            o, i = so[ok], st[ok]
            h = t_s[i] - t_s[i - 1]
            off = _bisect_crossing(site_r[ok], up[ok], mask, r_itrs_km[o, i - 1],
                                   v_itrs_km_s[o, i - 1], r_itrs_km[o, i], v_itrs_km_s[o, i],
                                   h, rising=True)  # fmt: skip
            rise[ok] = times_utc[i - 1] + np.round(off * 1e6).astype("timedelta64[us]")
        ok = et < n_t - 1
        if ok.any():
            o, i = eo[ok], et[ok]
            h = t_s[i + 1] - t_s[i]
            off = _bisect_crossing(site_r[ok], up[ok], mask, r_itrs_km[o, i], v_itrs_km_s[o, i],
                                   r_itrs_km[o, i + 1], v_itrs_km_s[o, i + 1], h,
                                   rising=False)  # fmt: skip
            setv[ok] = times_utc[i] + np.round(off * 1e6).astype("timedelta64[us]")
        # Highest sample of each pass: sort visible samples by (pass, -el).
        vo, vt = np.nonzero(vis)
        pass_id = np.cumsum(edge[vo, vt] == 1) - 1
        order = np.lexsort((-el[vo, vt], pass_id))
        first = np.r_[True, pass_id[order][1:] != pass_id[order][:-1]]
        best = order[first]
        bo, bt = vo[best], vt[best]
        culm_s = t_s[bt].astype(float)
        culm_el = el[bo, bt].copy()
        for side in (-1, 1):  # refine on [bt-1, bt] and [bt, bt+1]
            ok = (bt + side >= 0) & (bt + side <= n_t - 1)
            o, i = bo[ok], bt[ok]
            i0, i1 = (i - 1, i) if side < 0 else (i, i + 1)
            h = t_s[i1] - t_s[i0]
            s, val = _golden_max(site_r[ok], up[ok], r_itrs_km[o, i0], v_itrs_km_s[o, i0],
                                 r_itrs_km[o, i1], v_itrs_km_s[o, i1], h)  # fmt: skip
            better = val > culm_el[ok]
            idx = np.flatnonzero(ok)[better]
            culm_el[idx] = val[better]
            culm_s[idx] = t_s[i0][better] + s[better]
        culm = times_utc[0] + np.round(culm_s * 1e6).astype("timedelta64[us]")
        parts.append(Passes(np.full(n, k), so + obj_offset, rise, culm, setv, culm_el, st, et))
    return Passes.concat(parts)


# ------------------------------------------------------------------- field of regard, light
def field_of_regard(site: Site, r_itrs_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which ITRS positions ``(..., 3)`` lie in ``site``'s field of regard (elevation mask
    and limit, range limits, azimuth window: :meth:`Site.in_field_of_regard`), and their
    range [km]; both shaped ``(...)``.  NaN positions are never inside."""
    az, el, rng, _ = look_angles(site, np.asarray(r_itrs_km, float))
    with np.errstate(invalid="ignore"):
        ok = (
            (el >= site.min_elevation_deg)
            & (el <= site.max_elevation_deg)
            & (rng >= site.min_range_km)
            & (rng <= site.max_range_km)
            & site.in_azimuth_window(az)
        )
    return ok & np.isfinite(rng), rng


def site_dark(site: Site, scene, max_sun_elevation_deg: float = -12.0) -> np.ndarray:
    """True at the times of ``scene`` (:class:`~spacerange.sensors.base.Scene` or a
    datetime64 array) when the Sun's centre is below ``max_sun_elevation_deg`` at
    ``site`` (-12 deg: nautical twilight, the optical sensors' default); (n_times,)."""
    from spacerange.sensors.base import Scene

    return Scene.of(scene).sun_elevation_deg(site) < max_sun_elevation_deg


def sunlit(r_itrs_km: np.ndarray, sun_itrs_km: np.ndarray) -> np.ndarray:
    """True where an object at ``r_itrs_km`` (..., 3) sees part of the Sun's disc (not in
    the umbra; conical Earth shadow, :func:`spacerange.bodies.shadow_fraction`), the
    condition of :class:`~spacerange.sensors.optical.OpticalTelescope`; ``sun_itrs_km``
    broadcasts against it.  The shadow test is rotation invariant, so ITRS works."""
    from spacerange.bodies import shadow_fraction

    return shadow_fraction(r_itrs_km, sun_itrs_km) < 1.0


def observable(sensor, r_itrs_km: np.ndarray, scene) -> tuple[np.ndarray, np.ndarray]:
    """Geometric observability of objects by ``sensor`` (a
    :class:`~spacerange.sensors.base.Sensor`), without its detection threshold (SNR,
    limiting magnitude): in the site's field of regard and, for an optical sensor, a dark
    site (Sun below its ``max_sun_elevation_deg``) and a sunlit object.

    ``r_itrs_km``: (n_objects, n_times, 3) at the times of ``scene`` (a
    :class:`~spacerange.sensors.base.Scene` or datetime64 array of n_times); returns the
    mask and range [km], each (n_objects, n_times)."""
    from spacerange.sensors.base import Scene
    from spacerange.sensors.optical import OpticalTelescope

    scene = Scene.of(scene)
    ok, rng = field_of_regard(sensor.site, r_itrs_km)
    if isinstance(sensor, OpticalTelescope) and ok.any():
        dark = site_dark(sensor.site, scene, sensor.max_sun_elevation_deg)
        ok &= dark[None, :]
        if ok.any():
            o, t = np.nonzero(ok)
            ok[o, t] = sunlit(np.asarray(r_itrs_km)[o, t], scene.sun_itrs_km[t])
    return ok, rng
