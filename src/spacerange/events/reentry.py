"""Re-entry prediction: numerical decay with Monte Carlo density / ballistic-coefficient
spread, re-entry window and ground-track footprint.

The object is propagated (Cowell, GCRS, the given :class:`ForceModel` with drag) until its
height falls below ``reentry_height_km`` (120 km by default, the conventional re-entry
interface).  Uncertainty: N samples share the initial state and draw a multiplicative
drag factor ``k = density x ballistic coefficient`` from two independent log-normals
(``density_sigma``, ``bc_sigma``, 1-sigma of ln).  The drag acceleration is linear in
both, so a single factor per sample is exact.  All samples are integrated together by the
vectorized DOP853 integrator (:func:`spacerange.propagation.numerical.integrator.integrate_many`)
with a per-object drag factor; the crossing time of each sample is interpolated on the
output grid.  The window is the [q, 1 - q] quantile interval of the sample re-entry times,
the most likely time their median.  The footprint is the geodetic ground track (WGS-84)
of the sample that stays up longest, over the window, and the sample re-entry points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spacerange.propagation.numerical import ForceModel
from spacerange.propagation.numerical.atmosphere import height_km
from spacerange.propagation.numerical.forces import Dynamics

__all__ = ["ReentryPrediction", "predict_reentry", "plot_reentry"]


class _ScaledDragDynamics(Dynamics):
    """Dynamics whose drag acceleration is multiplied per object by ``drag_factor`` (n,)."""

    def __init__(self, fm, epoch, span, drag_factor):
        super().__init__(fm, epoch, span)
        self.drag_factor = np.asarray(drag_factor, float)

    def _drag(self, r_km, v_km_s, m_ef, r_sun, t_s=0.0):
        return super()._drag(r_km, v_km_s, m_ef, r_sun, t_s) * self.drag_factor[:, None]


@dataclass
class ReentryPrediction:
    """Sample re-entry times (datetime64[us], NaT where no re-entry within the span),
    the window, altitude histories and the footprint.

    ``times_utc`` (n_t,), ``height_km`` (n_samples, n_t) (NaN after re-entry),
    ``footprint_lat_deg``/``footprint_lon_deg`` (m,) ground track over the window,
    ``impact_lat_deg``/``impact_lon_deg`` (n_samples,) at the re-entry height."""

    epoch_utc: np.datetime64
    reentry_utc: np.ndarray
    drag_factor: np.ndarray
    window_start: np.datetime64
    window_end: np.datetime64
    most_likely: np.datetime64
    fraction_reentered: float
    times_utc: np.ndarray
    height_km: np.ndarray
    footprint_lat_deg: np.ndarray
    footprint_lon_deg: np.ndarray
    impact_lat_deg: np.ndarray
    impact_lon_deg: np.ndarray
    reentry_height_km: float
    n_failed_samples: int = 0

    def as_dict(self) -> dict:
        from spacerange.timescales import iso_utc

        def iso(t):
            return None if np.isnat(t) else iso_utc(t)

        return {
            "epoch_utc": iso(self.epoch_utc),
            "window_start_utc": iso(self.window_start),
            "window_end_utc": iso(self.window_end),
            "most_likely_utc": iso(self.most_likely),
            "fraction_reentered": self.fraction_reentered,
            "n_samples": int(self.reentry_utc.size),
            "reentry_height_km": self.reentry_height_km,
            "n_failed_samples": self.n_failed_samples,
        }


def _run_samples(y0, epoch, t_s, fm, factors, stop_km):
    from spacerange.propagation.numerical.integrator import integrate_many

    dyn = _ScaledDragDynamics(fm, epoch, (0.0, float(t_s[-1])), factors)
    atol = np.array([fm.atol_km] * 3 + [fm.atol_km * 1e-3] * 3)

    def alive(t, y):
        return height_km(y[:, :3]) > stop_km

    out, _, info = integrate_many(dyn.derivatives, y0, t_s, fm.rtol, atol, alive=alive)
    return out, info["failed"], info["reasons"]


def predict_reentry(
    state0_gcrs,
    epoch_utc,
    force_model: ForceModel,
    n_samples: int = 64,
    density_sigma: float = 0.25,
    bc_sigma: float = 0.15,
    max_days: float = 30.0,
    step_s: float = 60.0,
    reentry_height_km: float = 120.0,
    quantile: float = 0.05,
    rng: np.random.Generator | None = None,
    extra_factors=None,
) -> ReentryPrediction:
    """Predict the re-entry window of one object.

    ``state0_gcrs`` (6,) km, km/s at ``epoch_utc``; ``force_model`` must have drag
    (``cd_area_mass_m2_kg`` > 0; its ``density_scale`` is the nominal).  ``n_samples``
    Monte Carlo samples with log-normal density / ballistic-coefficient spreads
    (``density_sigma``, ``bc_sigma``).  ``extra_factors``: additional drag factors
    propagated in the same batch (e.g. truths for validation) whose times are returned in
    ``reentry_utc`` after the samples, not used for the window.
    """
    from spacerange.errors import PropagationError
    from spacerange.frames import gcrs_to_itrs, itrs_to_geodetic
    from spacerange.timescales import parse_utc

    if not force_model.has_drag:
        raise ValueError("predict_reentry: the force model has no drag (cd_area_mass_m2_kg=0)")
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2, got {n_samples}")
    rng = np.random.default_rng() if rng is None else rng
    epoch = parse_utc(epoch_utc)
    y = np.asarray(state0_gcrs, float).reshape(6)
    h0 = float(height_km(y[None, :3])[0])
    if h0 <= reentry_height_km:
        raise ValueError(f"initial height {h0:.1f} km is already below {reentry_height_km} km")
    k = np.exp(rng.normal(0.0, density_sigma, n_samples) + rng.normal(0.0, bc_sigma, n_samples))
    k[0] = 1.0  # the nominal
    extra = np.atleast_1d(np.asarray([] if extra_factors is None else extra_factors, float))
    factors = np.concatenate([k, extra])
    t_s = np.arange(step_s, max_days * 86400.0 + step_s, step_s)
    stop = reentry_height_km - 20.0
    out, failed, _ = _run_samples(np.repeat(y[None], factors.size, 0), epoch, t_s,
                                  force_model, factors, stop)  # fmt: skip
    h = height_km(out[..., :3])
    # first grid index below the re-entry height, linear interpolation of the crossing;
    # a sample the integrator dropped is NaN too, but it did not re-enter: it is left out
    # (counted in n_failed_samples), never read as a re-entry
    below = ~(h > reentry_height_km) & ~failed[:, None]
    has = below.any(axis=1)
    j = np.argmax(below, axis=1)
    t_cross = np.full(factors.size, np.nan)
    for i in np.flatnonzero(has):
        jj = j[i]
        t1, h1 = t_s[jj - 1] if jj > 0 else 0.0, h[i, jj - 1] if jj > 0 else h0
        h2 = h[i, jj]
        if np.isfinite(h2) and h1 != h2:
            t_cross[i] = t1 + (h1 - reentry_height_km) / (h1 - h2) * (t_s[jj] - t1)
        else:  # dropped from > 120 km to < 100 km within one step
            t_cross[i] = t1 + 0.5 * step_s
    us = np.where(np.isfinite(t_cross), np.round(np.nan_to_num(t_cross) * 1e6), 0).astype(np.int64)
    reentry = np.where(
        np.isfinite(t_cross), epoch + us.astype("timedelta64[us]"), np.datetime64("NaT", "us")
    )
    samp = t_cross[:n_samples]
    used = ~failed[:n_samples]
    if not used.any():
        raise PropagationError("every re-entry sample failed to integrate")
    frac = float(np.mean(np.isfinite(samp[used])))
    if frac == 0:
        raise PropagationError(f"no sample re-enters within {max_days} days; raise max_days")
    # quantiles with non-reentered samples counted as +inf (failed samples left out)
    s_all = np.where(np.isfinite(samp), samp, np.inf)[used]
    q = np.quantile(s_all, [quantile, 0.5, 1.0 - quantile], method="inverted_cdf")

    def to_t(x):
        return epoch + np.timedelta64(int(round(x * 1e6)), "us") if np.isfinite(x) else (
            np.datetime64("NaT", "us"))  # fmt: skip

    # footprint: longest-lived sample's track over the window
    times = epoch + (t_s * 1e6).astype("timedelta64[us]")
    last = int(np.argmax(np.where(np.isfinite(samp), samp, -1)))
    sel = (t_s >= q[0]) & (t_s <= min(q[2], samp[last])) & np.isfinite(h[last])
    lat = lon = np.zeros(0)
    if sel.any():
        r_itrs, _ = gcrs_to_itrs(out[last, sel, :3], out[last, sel, 3:], times[sel])
        g = itrs_to_geodetic(r_itrs)
        lat, lon = g[:, 0], g[:, 1]
    # impact (re-entry interface) points of the samples
    ok = np.flatnonzero(np.isfinite(samp))
    imp_lat = np.full(n_samples, np.nan)
    imp_lon = np.full(n_samples, np.nan)
    if ok.size:
        jj = np.maximum(j[ok] - 1, 0)
        r = out[ok, jj, :3]
        v = out[ok, jj, 3:]
        good = np.all(np.isfinite(r), axis=1)
        if good.any():
            ri, _ = gcrs_to_itrs(r[good][:, None], v[good][:, None], times[jj[good]])
            gi = itrs_to_geodetic(ri[:, 0]) if ri.ndim == 3 else itrs_to_geodetic(ri)
            imp_lat[ok[good]], imp_lon[ok[good]] = gi[..., 0].ravel(), gi[..., 1].ravel()
    return ReentryPrediction(
        epoch_utc=epoch,
        reentry_utc=reentry,
        drag_factor=factors,
        window_start=to_t(q[0]),
        window_end=to_t(q[2]),
        most_likely=to_t(q[1]),
        fraction_reentered=frac,
        times_utc=times,
        height_km=h[:n_samples],
        footprint_lat_deg=lat,
        footprint_lon_deg=lon,
        impact_lat_deg=imp_lat,
        impact_lon_deg=imp_lon,
        reentry_height_km=reentry_height_km,
        n_failed_samples=int(failed[:n_samples].sum()),
    )


def plot_reentry(pred: ReentryPrediction, path) -> None:
    """Altitude decay of the samples and the footprint map (PNG via matplotlib Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    t_h = (pred.times_utc - pred.epoch_utc) / np.timedelta64(1, "h")
    for row in pred.height_km:
        ax1.plot(t_h, row, lw=0.5, color="tab:blue", alpha=0.4)
    for t, ls in ((pred.window_start, "--"), (pred.most_likely, "-"), (pred.window_end, "--")):
        if not np.isnat(t):
            ax1.axvline((t - pred.epoch_utc) / np.timedelta64(1, "h"), color="tab:red", ls=ls)
    ax1.axhline(pred.reentry_height_km, color="k", lw=0.8)
    ax1.set(xlabel="hours since epoch", ylabel="height (km)", title="Altitude decay")
    ax2.plot(pred.footprint_lon_deg, pred.footprint_lat_deg, ".", ms=1, color="tab:orange")
    ax2.plot(pred.impact_lon_deg, pred.impact_lat_deg, "x", color="tab:red", ms=4)
    ax2.set(xlim=(-180, 180), ylim=(-90, 90), xlabel="longitude (deg)", ylabel="latitude (deg)",
            title="Footprint over the window")  # fmt: skip
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
