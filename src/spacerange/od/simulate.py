"""Simulated tracking of numerically propagated truth, for OD closure tests and benchmarks.

Truth: the committed Cowell propagator (by default ``ForceModel.zonal(4)``, the OD's own
force model :data:`~.dynamics.OD_DEGREE`, so a closure test is matched) on a uniform
grid; a site sees an object while its elevation exceeds ``min_el_deg`` (no illumination or
range limits).  Radar sites measure range, azimuth, elevation and range-rate; optical sites
topocentric RA/Dec, with Gaussian noise of the sites' ``sigma``.  Each contiguous visibility
interval of one site is a *track*, thinned to at most ``max_per_track`` epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spacerange.constants import MU_WGS84_KM3_S2, RE_WGS84_KM

from .measurements import (
    AZIMUTH,
    DECLINATION,
    ELEVATION,
    RANGE,
    RANGE_RATE,
    RIGHT_ASCENSION,
    Site,
    predict,
    site_geometry,
)
from .observations import Observations

RADAR_KINDS = (RANGE, AZIMUTH, ELEVATION, RANGE_RATE)
OPTICAL_KINDS = (RIGHT_ASCENSION, DECLINATION)


@dataclass
class Truth:
    """Truth states (n, n_t, 6) GCRS on ``times_utc`` (n_t,) for ``object_ids`` (n,)."""

    object_ids: np.ndarray
    times_utc: np.ndarray
    states: np.ndarray

    def at(self, object_id: str, t: np.datetime64) -> np.ndarray:
        i = int(np.flatnonzero(self.object_ids == object_id)[0])
        k = int(np.flatnonzero(self.times_utc == t)[0])
        return self.states[i, k]


def random_leo_states(n: int, rng: np.random.Generator, alt_km=(450.0, 1500.0), e_max=0.02):
    """Random LEO GCRS states (n, 6): uniform altitude, e, angles; inclination 20-110 deg."""
    mu = MU_WGS84_KM3_S2
    a = RE_WGS84_KM + rng.uniform(*alt_km, n)
    e = rng.uniform(0.0, e_max, n)
    inc = np.radians(rng.uniform(20.0, 110.0, n))
    raan, argp, nu = (rng.uniform(0, 2 * np.pi, n) for _ in range(3))
    p = a * (1 - e * e)
    rpf = (p / (1 + e * np.cos(nu)))[:, None] * np.stack([np.cos(nu), np.sin(nu), 0 * nu], 1)
    vpf = np.sqrt(mu / p)[:, None] * np.stack([-np.sin(nu), e + np.cos(nu), 0 * nu], 1)
    co, so, ci, si, cw, sw = (np.cos(raan), np.sin(raan), np.cos(inc), np.sin(inc),
                              np.cos(argp), np.sin(argp))  # fmt: skip
    rot = np.stack([
        np.stack([co * cw - so * sw * ci, -co * sw - so * cw * ci, so * si], -1),
        np.stack([so * cw + co * sw * ci, -so * sw + co * cw * ci, -co * si], -1),
        np.stack([sw * si, cw * si, ci], -1),
    ], 1)  # fmt: skip
    return np.concatenate([np.einsum("nij,nj->ni", rot, rpf), np.einsum("nij,nj->ni", rot, vpf)], 1)


def simulate_tracking(
    states0: np.ndarray,
    epoch_utc: np.datetime64,
    duration_s: float,
    radar_sites: list[Site],
    optical_sites: list[Site] = (),
    step_s: float = 20.0,
    min_el_deg: float = 10.0,
    max_per_track: int = 8,
    rng: np.random.Generator | None = None,
    force_model=None,
    object_ids=None,
    noise: bool = True,
) -> tuple[Observations, Truth]:
    """Observations (sorted by object, time) and the truth used to make them."""
    from spacerange.propagation.numerical import ForceModel, propagate_many

    from .dynamics import OD_DEGREE

    rng = rng or np.random.default_rng(0)
    states0 = np.asarray(states0, float)
    n = states0.shape[0]
    ids = np.asarray(object_ids if object_ids is not None else
                     [f"{90000 + i}" for i in range(n)]).astype(str)  # fmt: skip
    epoch = np.datetime64(epoch_utc, "us")
    n_t = int(duration_s // step_s) + 1
    times = epoch + (np.arange(n_t) * step_s * 1e6).astype("timedelta64[us]")
    truth = propagate_many(states0, epoch, times, force_model or ForceModel.zonal(OD_DEGREE))
    sites = tuple(radar_sites) + tuple(optical_sites)
    rows = []
    for si in range(len(sites)):
        r_s, v_s, enu = site_geometry(sites, np.full(n_t, si), times)
        rho = truth[..., :3] - r_s[None]
        up = np.einsum("tj,ntj->nt", enu[:, 2], rho) / np.linalg.norm(rho, axis=-1)
        vis = np.arcsin(np.clip(up, -1, 1)) > np.radians(min_el_deg)
        start = vis & ~np.concatenate([np.zeros((n, 1), bool), vis[:, :-1]], axis=1)
        pass_id = np.cumsum(start, axis=1)
        oi, ti = np.nonzero(vis)
        if oi.size == 0:
            continue
        pid = pass_id[oi, ti]
        key = oi * 100000 + pid
        # thin each track to at most max_per_track evenly spaced epochs
        uk, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
        rank = np.zeros(oi.size, int)
        order = np.argsort(inv, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank[order] = np.arange(oi.size) - np.repeat(starts, counts)
        cnt = counts[inv]
        stride = np.maximum(1, np.ceil(cnt / max_per_track).astype(int))
        keep = (rank % stride) == 0
        oi, ti, trk = oi[keep], ti[keep], (uk.searchsorted(key[keep]) + si * 10**7)
        kinds = RADAR_KINDS if si < len(radar_sites) else OPTICAL_KINDS
        for k in kinds:
            rows.append((oi, ti, np.full(oi.size, k), np.full(oi.size, si), trk))
    if not rows:
        raise ValueError("no object was visible from any site")
    oi, ti, kind, site_idx, trk = (np.concatenate([r[j] for r in rows]) for j in range(5))
    r_s, v_s, enu = site_geometry(sites, site_idx, times[ti])
    val, _ = predict(kind, truth[oi, ti], r_s, v_s, enu)
    sigma = np.array([sites[s].sigma[k] for s, k in zip(site_idx.tolist(), kind.tolist(),
                                                          strict=True)])  # fmt: skip
    if noise:
        val = val + sigma * rng.standard_normal(val.size)
        wrap = np.isin(kind, [AZIMUTH, RIGHT_ASCENSION])
        val[wrap] = np.mod(val[wrap], 2 * np.pi)
    obs = Observations(ids[oi], times[ti], kind, val, sigma, site_idx, sites, trk)
    return obs.sorted(), Truth(ids, times, truth)
