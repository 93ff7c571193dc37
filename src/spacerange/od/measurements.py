"""Measurement models with analytic partials for OD: range, range-rate, az/el, RA/Dec.

A ground site is fixed in ITRS (WGS-84 geodetic); at each measurement time its GCRS
position/velocity and the GCRS -> local ENU rotation come from :mod:`spacerange.frames`
(skyfield's IAU 2000A/2006 rotation, no polar motion).  Measurements are geometric and
instantaneous: no light time, aberration, refraction or ionosphere (the simulated truth uses
the same model).  Units: range km, range-rate km/s, angles rad.

* range ``rho = |r - r_s|``; range-rate ``d rho/dt`` (positive: receding);
* azimuth (from north through east) and elevation in the site's geodetic ENU frame;
* topocentric right ascension / declination in GCRS axes (optical sensors).

:func:`predict` returns the values and the Jacobian ``H`` (m, 6) with respect to the
satellite's GCRS state [km, km/s].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RANGE, RANGE_RATE, AZIMUTH, ELEVATION, RIGHT_ASCENSION, DECLINATION = range(6)
KIND_NAMES = ("range", "range_rate", "az", "el", "ra", "dec")
KIND_UNITS = ("km", "km/s", "rad", "rad", "rad", "rad")
ANGULAR = np.array([False, False, True, True, True, True])
#: kinds whose residual wraps at 2 pi
WRAPPED = np.array([False, False, True, False, True, False])


def kind_code(name: str) -> int:
    """Code of a measurement kind from its name (``'range'``, ``'az'``, ...)."""
    try:
        return KIND_NAMES.index(name)
    except ValueError:
        raise ValueError(
            f"unknown measurement kind {name!r}; expected one of {KIND_NAMES}"
        ) from None


@dataclass(frozen=True)
class Site:
    """A ground sensor: WGS-84 geodetic location and default 1-sigma noise per kind.

    ``sigma`` holds (range km, range-rate km/s, az rad, el rad, ra rad, dec rad); kinds
    the sensor does not measure may stay at their defaults.
    """

    name: str
    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0
    sigma: tuple[float, float, float, float, float, float] = (
        0.015, 1e-4, 3.5e-4, 3.5e-4, 1e-5, 1e-5,
    )  # fmt: skip

    @property
    def r_itrs_km(self) -> np.ndarray:
        """Site position, ITRS km (3,)."""
        from spacerange.frames import geodetic_to_itrs

        return geodetic_to_itrs(
            np.array(self.lat_deg), np.array(self.lon_deg), np.array(self.alt_m / 1000.0)
        )

    @property
    def enu_from_itrs(self) -> np.ndarray:
        """Rotation ITRS -> local East/North/Up (rows e, n, u) at the geodetic normal."""
        lat, lon = np.radians(self.lat_deg), np.radians(self.lon_deg)
        sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
        return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])

    @classmethod
    def from_dict(cls, d: dict) -> Site:
        """From ``{"name", "lat_deg", "lon_deg", "alt_m", "sigma": {kind: value}}``."""
        sig = list(cls.__dataclass_fields__["sigma"].default)
        for k, v in (d.get("sigma") or {}).items():
            sig[kind_code(k)] = float(v)
        return cls(str(d["name"]), float(d["lat_deg"]), float(d["lon_deg"]),
                   float(d.get("alt_m", 0.0)), tuple(sig))  # fmt: skip


#: A small default network: (name, lat, lon, alt m), radars and optical telescopes.
DEFAULT_SITES: dict[str, Site] = {
    s.name: s
    for s in (
        Site("EGLIN", 30.57, -86.21, 34.0),
        Site("KWAJALEIN", 9.40, 167.48, 62.0),
        Site("FYLINGDALES", 54.36, -0.67, 340.0),
        Site("CAVALIER", 48.72, -97.90, 325.0),
        Site("DIEGO_GARCIA", -7.41, 72.45, 0.0),
        Site("MAUI", 20.71, -156.26, 3058.0),
        Site("SOCORRO", 33.82, -106.66, 1510.0),
        Site("TENERIFE", 28.30, -16.51, 2390.0),
        Site("SIDING_SPRING", -31.27, 149.06, 1165.0),
    )
}


def site_geometry(
    sites: tuple[Site, ...] | list[Site], site_index: np.ndarray, times_utc: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Site GCRS position (m, 3) km, velocity (m, 3) km/s and GCRS->ENU rotation (m, 3, 3).

    Rotations are computed once per distinct time."""
    from spacerange.frames import gcrs_to_itrs_matrices

    times = np.asarray(times_utc, "datetime64[us]")
    site_index = np.asarray(site_index, int)
    m = times.size
    if m == 0:
        return np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3, 3))
    uniq, inv = np.unique(times, return_inverse=True)
    rot, rate = gcrs_to_itrs_matrices(uniq)
    rate = np.broadcast_to(rate, rot.shape)  # skyfield may give one (3, 3) for all times
    rot, rate = rot[inv], rate[inv]
    r_itrs = np.array([s.r_itrs_km for s in sites])[site_index]
    enu_itrs = np.array([s.enu_from_itrs for s in sites])[site_index]
    rt = np.swapaxes(rot, -1, -2)
    r_gcrs = np.einsum("mij,mj->mi", rt, r_itrs)
    v_gcrs = -np.einsum("mij,mj->mi", rt, np.einsum("mij,mj->mi", rate, r_itrs))
    return r_gcrs, v_gcrs, enu_itrs @ rot


def predict(
    kind: np.ndarray,
    x_gcrs: np.ndarray,
    site_r_gcrs_km: np.ndarray,
    site_v_gcrs_km_s: np.ndarray,
    enu_from_gcrs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted measurements (m,) and Jacobians d h / d x_gcrs (m, 6).

    ``kind`` (m,) int codes; ``x_gcrs`` (m, 6) satellite GCRS state [km, km/s]; site
    geometry as from :func:`site_geometry`.  Angles in rad (az, ra in [0, 2 pi)).
    """
    kind = np.asarray(kind, int)
    x = np.asarray(x_gcrs, float)
    m = x.shape[0]
    rho = x[:, :3] - site_r_gcrs_km
    drho = x[:, 3:] - site_v_gcrs_km_s
    rn = np.linalg.norm(rho, axis=1)
    u = rho / rn[:, None]
    h = np.full(m, np.nan)
    jac = np.zeros((m, 6))

    sel = kind == RANGE
    h[sel] = rn[sel]
    jac[sel, :3] = u[sel]

    sel = kind == RANGE_RATE
    if sel.any():
        rr = np.einsum("mi,mi->m", u[sel], drho[sel])
        h[sel] = rr
        jac[sel, :3] = (drho[sel] - rr[:, None] * u[sel]) / rn[sel, None]
        jac[sel, 3:] = u[sel]

    sel = (kind == AZIMUTH) | (kind == ELEVATION)
    if sel.any():
        mat = enu_from_gcrs[sel]
        l = np.einsum("mij,mj->mi", mat, rho[sel])  # noqa: E741
        e, n, up = l[:, 0], l[:, 1], l[:, 2]
        s2 = e * e + n * n
        s = np.sqrt(s2)
        r2 = rn[sel] ** 2
        az = np.mod(np.arctan2(e, n), 2 * np.pi)
        el = np.arcsin(np.clip(up / rn[sel], -1, 1))
        d_az = np.stack([n / s2, -e / s2, np.zeros_like(e)], axis=1)
        d_el = np.stack([-e * up / (r2 * s), -n * up / (r2 * s), s / r2], axis=1)
        is_az = kind[sel] == AZIMUTH
        h[sel] = np.where(is_az, az, el)
        d = np.where(is_az[:, None], d_az, d_el)
        jac[sel, :3] = np.einsum("mi,mij->mj", d, mat)

    sel = (kind == RIGHT_ASCENSION) | (kind == DECLINATION)
    if sel.any():
        px, py, pz = rho[sel, 0], rho[sel, 1], rho[sel, 2]
        s2 = px * px + py * py
        s = np.sqrt(s2)
        r2 = rn[sel] ** 2
        ra = np.mod(np.arctan2(py, px), 2 * np.pi)
        dec = np.arcsin(np.clip(pz / rn[sel], -1, 1))
        d_ra = np.stack([-py / s2, px / s2, np.zeros_like(px)], axis=1)
        d_dec = np.stack([-px * pz / (r2 * s), -py * pz / (r2 * s), s / r2], axis=1)
        is_ra = kind[sel] == RIGHT_ASCENSION
        h[sel] = np.where(is_ra, ra, dec)
        jac[sel, :3] = np.where(is_ra[:, None], d_ra, d_dec)
    return h, jac


def residual(kind: np.ndarray, observed: np.ndarray, computed: np.ndarray) -> np.ndarray:
    """observed - computed, wrapped to (-pi, pi] for azimuth and right ascension."""
    d = np.asarray(observed, float) - np.asarray(computed, float)
    wrap = WRAPPED[np.asarray(kind, int)]
    return np.where(wrap, np.mod(d + np.pi, 2 * np.pi) - np.pi, d)


def line_of_sight_position(
    range_km: np.ndarray,
    az_rad: np.ndarray,
    el_rad: np.ndarray,
    site_r_gcrs_km: np.ndarray,
    enu_from_gcrs: np.ndarray,
) -> np.ndarray:
    """GCRS position (m, 3) km of a target seen at range/az/el from a site (inverse model)."""
    ce = np.cos(el_rad)
    l_enu = np.stack([ce * np.sin(az_rad), ce * np.cos(az_rad), np.sin(el_rad)], axis=-1)
    l_gcrs = np.einsum("mji,mj->mi", enu_from_gcrs, l_enu)
    return site_r_gcrs_km + range_km[:, None] * l_gcrs


def radec_unit_vector(ra_rad: np.ndarray, dec_rad: np.ndarray) -> np.ndarray:
    """Unit line-of-sight vectors (m, 3) in GCRS axes from topocentric RA/Dec (rad)."""
    cd = np.cos(dec_rad)
    return np.stack([cd * np.cos(ra_rad), cd * np.sin(ra_rad), np.sin(dec_rad)], axis=-1)


def sites_from_sensors(sensors) -> dict[str, Site]:
    """OD sites for a :mod:`spacerange.sensors` network, keyed by sensor id (as written in
    TDM ``PARTICIPANT_1`` by ``spacerange observe``), with each sensor's noise as the
    measurement sigmas (kinds a sensor does not measure keep the defaults)."""
    default = Site("default", 0.0, 0.0)
    out: dict[str, Site] = {}
    for s in sensors:
        n = s.noise
        ang = np.radians(n.sigma_angle_deg) if n.sigma_angle_deg > 0 else None
        sig = list(default.sigma)
        if n.sigma_range_km > 0:
            sig[0] = n.sigma_range_km
        if n.sigma_range_rate_km_s > 0:
            sig[1] = n.sigma_range_rate_km_s
        if ang is not None:
            sig[2:6] = [ang] * 4
        site = s.site
        out[site.site_id] = Site(site.site_id, site.lat_deg, site.lon_deg, site.alt_m, tuple(sig))
    return out
