"""Pc and miss distance against time to TCA for one conjunction event (its CDM series).

The plot an analyst reads before deciding on a manoeuvre: each CDM of the event is one
point at ``TCA - CREATION_DATE`` (hours before TCA, decreasing to the right), Pc on a log
axis with the decision threshold, miss distance on a second axis.  PNG through
matplotlib's Agg canvas (no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["hours_to_tca", "event_trend_plot"]


def hours_to_tca(creation_utc: Sequence, tca_utc) -> np.ndarray:
    """Hours from each message's creation to TCA (positive before TCA)."""
    c = np.asarray(creation_utc, "datetime64[us]")
    return (np.datetime64(tca_utc, "us") - c) / np.timedelta64(3600, "s")


def event_trend_plot(
    creation_utc: Sequence,
    tca_utc,
    pc: Sequence[float | None],
    miss_m: Sequence[float],
    out_path: str | Path,
    *,
    title: str = "",
    pc_threshold: float = 1e-4,
) -> Path:
    """Write the trend PNG; Pc values that are None/NaN/0 are left off the log axis (and
    the legend says how many), never drawn as a floor value."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    h = hours_to_tca(creation_utc, tca_utc)
    p = np.array([np.nan if v is None else float(v) for v in pc])
    m = np.asarray(miss_m, float)
    order = np.argsort(-h)
    h, p, m = h[order], p[order], m[order]
    ok = np.isfinite(p) & (p > 0)
    fig = Figure(figsize=(7.5, 4.6), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    label = "Pc" + (f" ({(~ok).sum()} CDM(s) with Pc 0 or undefined not drawn)" if (~ok).any()
                    else "")  # fmt: skip
    ax.semilogy(h[ok], p[ok], "o-", color="#c0392b", label=label)
    ax.axhline(pc_threshold, color="#c0392b", ls=":", lw=1, label=f"threshold {pc_threshold:g}")
    ax.set_xlabel("hours before TCA")
    ax.set_ylabel("collision probability")
    ax.invert_xaxis()
    ax2 = ax.twinx()
    ax2.plot(h, m, "s--", color="#2c3e50", label="miss distance")
    ax2.set_ylabel("miss distance (m)")
    if np.isfinite(m).any():  # from zero: how close, not only how much it moved
        ax2.set_ylim(0.0, float(np.nanmax(m)) * 1.1 or 1.0)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper center",
              bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False)  # fmt: skip
    ax.set_title(title or f"Event trend, TCA {str(np.datetime64(tca_utc, 's'))}Z", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path = Path(out_path)
    fig.savefig(path)
    return path
