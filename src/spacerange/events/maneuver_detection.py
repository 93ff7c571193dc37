"""Maneuver detection from element-set histories and from OD residual series.

Element-set histories (TLE/OMM series of one object, :func:`detect_maneuvers`)
------------------------------------------------------------------------------
For each pair of consecutive element sets k, k+1 two test statistics are formed:

* the jump of the SGP4 (Brouwer) mean semi-major axis, de-trended by the local drag decay
  rate (running median of da/dt over the neighbouring intervals);
* the position residual of set k propagated by SGP4 to the epoch of set k+1, minus set
  k+1 at its own epoch, in the RTN frame of set k+1.

A noise model is fitted on the history itself: robust scales (1.4826 x MAD) of the
de-trended jumps and of each residual component.  An interval is flagged when either
normalized statistic exceeds ``threshold_sigma`` (and the jump exceeds ``min_jump_km``).
For a flagged interval the burn epoch and the RTN delta-v are estimated by fitting the
Clohessy-Wiltshire impulse response (Vallado 2013, sec. 6.8)

    x = dR/n sin(n tau) + 2 dT/n (1 - cos(n tau))
    y = 2 dR/n (cos(n tau) - 1) + dT/n (4 sin(n tau) - 3 n tau)
    z = dN/n sin(n tau),        tau = t - t_burn

to the curvilinear relative motion "set k+1 minus set k" sampled across the interval (grid
search over t_burn, linear least squares for the delta-v).  The along-track component is
also given from the mean-motion jump, dT = n da / 2 (circular orbits).

OD residual series (:func:`detect_from_residuals`)
---------------------------------------------------
A sliding-window chi-square test on normalized residuals: the window mean of squared
residuals is compared with the chi-square quantile; the onset of the first exceeding run is
reported as the maneuver epoch estimate.

Synthetic histories (:func:`synthetic_histories`)
-------------------------------------------------
Truth from the numerical propagator (any :class:`ForceModel`, drag included, impulsive
burns), sampled at a per-object cadence with random epoch offsets, perturbed with Gaussian
OD-like state noise in RTN, rotated GCRS -> TEME and converted to SGP4 mean elements by the
fixed-point osculating-to-mean fit of :mod:`spacerange.events.breakup` (SGP4 at epoch
reproduces the noisy osculating state; no ``spacerange.od.tle_fit`` exists yet).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from spacerange.catalog.model import ElementSet
from spacerange.constants import MU_WGS72_KM3_S2

__all__ = [
    "ManeuverEvent",
    "ManeuverDetection",
    "ResidualDetection",
    "detect_maneuvers",
    "detect_from_residuals",
    "synthetic_histories",
]


@dataclass
class ManeuverEvent:
    """One detected maneuver between element sets ``index`` and ``index + 1``."""

    index: int
    epoch_utc: np.datetime64
    """Estimated burn epoch (UTC)."""
    interval_utc: tuple[np.datetime64, np.datetime64]
    dv_rtn_km_s: np.ndarray
    """(3,) RTN delta-v from the CW fit, km/s."""
    dv_t_from_sma_km_s: float
    """Along-track delta-v from the mean semi-major-axis jump, km/s."""
    delta_sma_km: float
    z_sma: float
    z_residual: float

    def as_dict(self) -> dict:
        from spacerange.timescales import iso_utc

        return {
            "index": self.index,
            "epoch_utc": iso_utc(self.epoch_utc),
            "interval_utc": [iso_utc(t) for t in self.interval_utc],
            "dv_rtn_m_s": [float(x) * 1e3 for x in self.dv_rtn_km_s],
            "dv_t_from_sma_m_s": self.dv_t_from_sma_km_s * 1e3,
            "delta_sma_km": self.delta_sma_km,
            "z_sma": self.z_sma,
            "z_residual": self.z_residual,
        }


@dataclass
class ManeuverDetection:
    """Per-interval statistics (arrays (n_sets - 1,)) and the detected events."""

    epochs_utc: np.ndarray
    sma_km: np.ndarray
    jump_km: np.ndarray
    """De-trended mean semi-major-axis jump per interval, km."""
    residual_rtn_km: np.ndarray
    """(n-1, 3) propagated-minus-next residual, RTN, km."""
    z_sma: np.ndarray
    z_residual: np.ndarray
    sigma_sma_km: float
    sigma_residual_km: np.ndarray
    threshold_sigma: float
    events: list[ManeuverEvent] = field(default_factory=list)


def _robust_sigma(x: np.ndarray, floor: float) -> float:
    x = x[np.isfinite(x)]
    if x.size < 3:
        return floor
    return max(1.4826 * float(np.median(np.abs(x - np.median(x)))), floor)


def _jd(t: np.datetime64) -> tuple[float, float]:
    us = int(np.datetime64(t, "us").astype(np.int64))
    days, rem = divmod(us, 86_400_000_000)
    return 2440587.5 + days, rem / 86_400e6


def _dt64(e: datetime) -> np.datetime64:
    return np.datetime64(e.astimezone(UTC).replace(tzinfo=None), "us")


def _sgp4_at(sat, times: np.ndarray) -> np.ndarray:
    """TEME states (n_t, 6) of one Satrec at datetime64 times."""
    jd = np.array([_jd(t) for t in np.atleast_1d(times)])
    err, r, v = sat.sgp4_array(np.ascontiguousarray(jd[:, 0]), np.ascontiguousarray(jd[:, 1]))
    st = np.concatenate([r, v], axis=-1)
    st[err != 0] = np.nan
    return st


def _curvilinear_rtn(ref: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Relative position of ``other`` wrt ``ref`` (n, 6): radial = |r2| - |r1|, along-track
    = |r1| * in-plane angle, normal = r2 . h_hat (km)."""
    r1, v1, r2 = ref[:, :3], ref[:, 3:], other[:, :3]
    h = np.cross(r1, v1)
    nh = h / np.linalg.norm(h, axis=-1, keepdims=True)
    n1 = np.linalg.norm(r1, axis=-1)
    ang = np.arctan2(np.einsum("ij,ij->i", np.cross(r1, r2), nh), np.einsum("ij,ij->i", r1, r2))
    return np.stack(
        [np.linalg.norm(r2, axis=-1) - n1, n1 * ang, np.einsum("ij,ij->i", r2, nh)], axis=-1
    )


def _cw_fit(
    t_s: np.ndarray, rel_rtn_km: np.ndarray, n_rad_s: float, step_s: float = 30.0
) -> tuple[float, np.ndarray, float]:
    """Grid search of the burn time over [t_s[0], t_s[-1]]; returns (t_b, dv_rtn, rms)."""
    tb = np.arange(t_s[0], t_s[-1] + step_s, step_s)
    tau = t_s[None, :] - tb[:, None]  # (n_b, n_s)
    s, c = np.sin(n_rad_s * tau), np.cos(n_rad_s * tau)
    zeros = np.zeros_like(tau)
    # design (n_b, n_s, 3 outputs, 3 unknowns)
    a = np.stack(
        [
            np.stack([s / n_rad_s, 2 * (1 - c) / n_rad_s, zeros], axis=-1),
            np.stack([2 * (c - 1) / n_rad_s, (4 * s - 3 * n_rad_s * tau) / n_rad_s, zeros], -1),
            np.stack([zeros, zeros, s / n_rad_s], axis=-1),
        ],
        axis=-2,
    ).reshape(tb.size, -1, 3)
    b = rel_rtn_km.reshape(-1)
    ata = np.einsum("kmi,kmj->kij", a, a) + 1e-12 * np.eye(3)
    atb = np.einsum("kmi,m->ki", a, b)
    x = np.linalg.solve(ata, atb[..., None])[..., 0]
    res = np.einsum("kmi,ki->km", a, x) - b
    rss = np.sum(res * res, axis=1)
    k = int(np.argmin(rss))
    return float(tb[k]), x[k], float(np.sqrt(rss[k] / b.size))


def detect_maneuvers(
    elsets: Sequence[ElementSet],
    threshold_sigma: float = 6.0,
    min_jump_km: float = 0.02,
    trend_window: int = 7,
    fit_samples: int = 240,
) -> ManeuverDetection:
    """Detect maneuvers in the element-set history of one object.

    ``elsets``: element sets of one NORAD id (sorted here by epoch, duplicates dropped);
    needs at least 4.  ``threshold_sigma``: detection threshold on the normalized
    statistics; ``min_jump_km``: smallest mean semi-major-axis jump (km) reported.
    Returns per-interval statistics and the events (epoch, RTN delta-v in km/s).
    """
    from sgp4.api import Satrec

    from spacerange.errors import SpacerangeError

    if len({e.norad_id for e in elsets}) > 1:
        raise SpacerangeError(
            "detect_maneuvers: the history mixes NORAD ids "
            f"{sorted({e.norad_id for e in elsets})}; give the sets of one object"
        )
    uniq = {_dt64(e.epoch): e for e in elsets}
    times = np.array(sorted(uniq), dtype="datetime64[us]")
    sets = [uniq[t] for t in times]
    if len(sets) < 4:
        raise SpacerangeError(
            f"detect_maneuvers: need at least 4 element sets with distinct epochs, got {len(sets)}"
        )
    sats = [Satrec.twoline2rv(e.line1, e.line2) for e in sets]
    sma = np.array([s.a * s.radiusearthkm for s in sats])
    t_day = (times - times[0]).astype(np.int64) / 86400e6
    dt_day = np.diff(t_day)
    rate = np.diff(sma) / dt_day
    half = trend_window // 2
    trend = np.array(
        [np.median(np.delete(rate[max(0, k - half) : k + half + 1], min(k, half))) for k in
         range(rate.size)]
    )  # fmt: skip
    jump = np.diff(sma) - trend * dt_day
    # residuals: set k propagated to epoch k+1 minus set k+1 at its epoch (RTN of k+1)
    res = np.empty((len(sets) - 1, 3))
    for k in range(len(sets) - 1):
        a = _sgp4_at(sats[k], times[k + 1 : k + 2])
        b = _sgp4_at(sats[k + 1], times[k + 1 : k + 2])
        res[k] = _curvilinear_rtn(b, a)[0]
    # Scale the residuals to per-day so irregular cadences compare
    res_day = res / np.maximum(dt_day, 1e-3)[:, None]
    sig_a = _robust_sigma(jump, 1e-4)
    med_r = np.median(res_day, axis=0)
    sig_r = np.array([_robust_sigma(res_day[:, i], 1e-3) for i in range(3)])
    z_a = np.abs(jump - np.median(jump)) / sig_a
    z_r = np.max(np.abs(res_day - med_r) / sig_r, axis=1)
    flag = ((z_a > threshold_sigma) & (np.abs(jump) > min_jump_km)) | (z_r > 2 * threshold_sigma)
    events = []
    for k in np.flatnonzero(flag):
        n_rad_s = math.sqrt(MU_WGS72_KM3_S2 / sma[k] ** 3)
        grid_s = np.linspace(0.0, dt_day[k] * 86400.0, fit_samples)
        tg = times[k] + (grid_s * 1e6).astype("timedelta64[us]")
        pre, post = _sgp4_at(sats[k], tg), _sgp4_at(sats[k + 1], tg)
        ok = np.all(np.isfinite(pre), axis=1) & np.all(np.isfinite(post), axis=1)
        rel = _curvilinear_rtn(pre[ok], post[ok])
        tb, dv, _ = _cw_fit(grid_s[ok], rel, n_rad_s)
        events.append(
            ManeuverEvent(
                index=int(k),
                epoch_utc=times[k] + np.timedelta64(int(round(tb * 1e6)), "us"),
                interval_utc=(times[k], times[k + 1]),
                dv_rtn_km_s=dv,
                dv_t_from_sma_km_s=float(0.5 * n_rad_s * (sma[k + 1] - sma[k])),
                delta_sma_km=float(sma[k + 1] - sma[k]),
                z_sma=float(z_a[k]),
                z_residual=float(z_r[k]),
            )
        )
    return ManeuverDetection(
        epochs_utc=times,
        sma_km=sma,
        jump_km=jump,
        residual_rtn_km=res,
        z_sma=z_a,
        z_residual=z_r,
        sigma_sma_km=sig_a,
        sigma_residual_km=sig_r,
        threshold_sigma=threshold_sigma,
        events=events,
    )


@dataclass
class ResidualDetection:
    """Result of :func:`detect_from_residuals`: ``statistic`` (n,) is the window mean of
    squared normalized residuals; ``detected`` and ``onset_index``/``onset_utc``."""

    statistic: np.ndarray
    threshold: float
    detected: bool
    onset_index: int | None
    onset_utc: np.datetime64 | None


def detect_from_residuals(
    times_utc,
    residuals,
    sigma=None,
    window: int = 10,
    alpha: float = 1e-6,
) -> ResidualDetection:
    """Detect a maneuver from OD post-fit residuals (sliding-window chi-square test).

    ``times_utc`` (n,) datetime64; ``residuals`` (n,) or (n, k) in any unit with ``sigma``
    (scalar, (k,) or (n, k)) the 1-sigma measurement noise in the same unit (robust scale
    of the first half of the series when None).  ``alpha``: false-alarm probability per
    window.  The onset is the first sample of the first exceeding window.
    """
    from scipy.stats import chi2

    t = np.asarray(times_utc, dtype="datetime64[us]")
    r = np.asarray(residuals, dtype=float)
    r = r[:, None] if r.ndim == 1 else r
    if r.shape[0] != t.size:
        raise ValueError(f"residuals: {r.shape[0]} rows for {t.size} times")
    if r.shape[0] < window:
        raise ValueError(f"residuals: need at least window={window} samples, got {r.shape[0]}")
    if sigma is None:
        head = r[: max(window, r.shape[0] // 2)]
        sigma = np.array([_robust_sigma(head[:, i], 1e-300) for i in range(r.shape[1])])
    z2 = np.sum((r / np.asarray(sigma, dtype=float)) ** 2, axis=1)
    dof = window * r.shape[1]
    stat = np.convolve(z2, np.ones(window), mode="valid") / dof
    thr = float(chi2.ppf(1.0 - alpha, dof) / dof)
    over = np.flatnonzero(stat > thr)
    if over.size == 0:
        return ResidualDetection(stat, thr, False, None, None)
    # first exceeding window: the onset is where the squared residuals start exceeding
    w0 = int(over[0])
    seg = z2[w0 : w0 + window]
    onset = w0 + int(np.argmax(seg > chi2.ppf(1.0 - 1e-3, r.shape[1])))
    return ResidualDetection(stat, thr, True, onset, t[onset])


# ------------------------------------------------------------------------ synthetic data


def _gcrs_to_teme(states: np.ndarray, times: np.ndarray) -> np.ndarray:
    """GCRS -> TEME states (n, 6) at per-row times (n,) (rotation only)."""
    from spacerange.frames import gcrs_to_teme

    r, v = gcrs_to_teme(states[:, :3], states[:, 3:], times)
    return np.concatenate([r, v], axis=-1)


def synthetic_histories(
    states0_gcrs,
    epoch0_utc,
    days: float,
    force_model=None,
    maneuvers=(),
    cadence_days: float = 1.0,
    noise_rtn_km=(0.03, 0.1, 0.03),
    noise_rtn_km_s=(5e-5, 3e-5, 3e-5),
    rng: np.random.Generator | None = None,
    first_norad_id: int = 90000,
    grid_per_day: int = 24,
) -> list[list[ElementSet]]:
    """Element-set histories of n objects, one list per object (sorted by epoch).

    ``states0_gcrs`` (n, 6) km, km/s at ``epoch0_utc``; ``maneuvers``: impulsive burns
    applied to every object (:class:`ImpulsiveManeuver`, RTN).  Each object gets one set per
    ``cadence_days`` with a random phase and +-10 % jitter (on a grid of ``grid_per_day``
    samples per day); the state is perturbed by Gaussian noise with RTN 1-sigma
    ``noise_rtn_km`` / ``noise_rtn_km_s``, then fitted to SGP4 mean elements.
    """
    from spacerange.events.breakup import _states_to_elements
    from spacerange.frames import from_rtn
    from spacerange.propagation.numerical import propagate_many
    from spacerange.timescales import parse_utc

    rng = np.random.default_rng() if rng is None else rng
    y0 = np.atleast_2d(np.asarray(states0_gcrs, dtype=float))
    n = y0.shape[0]
    epoch0 = parse_utc(epoch0_utc)
    n_grid = int(round(days * grid_per_day)) + 1
    t_s = np.arange(n_grid) * 86400.0 / grid_per_day
    times = epoch0 + (t_s * 1e6).astype("timedelta64[us]")
    out = propagate_many(y0, epoch0, times, force_model, maneuvers)
    step = cadence_days * grid_per_day
    picks: list[np.ndarray] = []
    for _ in range(n):
        phase = rng.uniform(0, step)
        idx = phase + np.arange(0, n_grid, step)
        idx = idx + rng.uniform(-0.1, 0.1, idx.size) * step
        picks.append(np.unique(np.clip(np.round(idx).astype(int), 0, n_grid - 1)))
    hist: list[list[ElementSet]] = [[] for _ in range(n)]
    picked = [set(p.tolist()) for p in picks]
    for g in range(n_grid):
        objs = np.array([i for i in range(n) if g in picked[i]], dtype=int)
        if objs.size == 0:
            continue
        st = out[objs, g]
        alive = np.all(np.isfinite(st), axis=1)
        objs, st = objs[alive], st[alive]
        if objs.size == 0:
            continue
        noise = np.concatenate(
            [
                from_rtn(rng.normal(0, 1, (objs.size, 3)) * noise_rtn_km, st[:, :3], st[:, 3:]),
                from_rtn(rng.normal(0, 1, (objs.size, 3)) * noise_rtn_km_s, st[:, :3], st[:, 3:]),
            ],
            axis=-1,
        )
        teme = _gcrs_to_teme(st + noise, np.repeat(times[g], objs.size))
        fe = _states_to_elements(
            teme,
            _jd(times[g]),
            np.full(objs.size, 1e-4),
            first_norad_id=first_norad_id,
            name_prefix="SYNTH",
            cospar_id="",
            fit_iterations=4,
            reentry_perigee_alt_km=100.0,
        )
        for j, e in zip(fe.elset_index, fe.elsets, strict=True):
            i = int(objs[j])
            hist[i].append(_renumber(e, first_norad_id + i))
    return hist


def _renumber(e: ElementSet, norad_id: int) -> ElementSet:
    from dataclasses import replace

    from spacerange.catalog.tle import alpha5_encode, tle_checksum

    f = alpha5_encode(norad_id)
    l1 = e.line1[:2] + f + e.line1[7:68]
    l2 = e.line2[:2] + f + e.line2[7:68]
    l1 += str(tle_checksum(l1))
    l2 += str(tle_checksum(l2))
    return replace(e, norad_id=norad_id, line1=l1, line2=l2, name=f"SYNTH {norad_id}")
