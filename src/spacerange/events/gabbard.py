"""Gabbard diagram: apogee and perigee altitude of each fragment against orbital period.

A Gabbard diagram (after John Gabbard, NORAD) shows a debris cloud as two branches that
meet at the parent's period: for each fragment one point at (period, apogee altitude) and
one at (period, perigee altitude).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from spacerange.catalog.model import ElementSet
    from spacerange.events.breakup import FragmentElements

__all__ = ["gabbard_points", "gabbard_plot"]


def gabbard_points(
    fragments_elements: FragmentElements | Sequence[ElementSet],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(period_min, apogee_alt_km, perigee_alt_km), each (n,), of the fragments that have
    SGP4 mean elements (re-entering ones and SGP4 failures are left out).  Altitudes are
    above the WGS-72 equatorial radius, from the mean elements (as catalogue Gabbard
    diagrams are drawn from TLEs)."""
    if hasattr(fragments_elements, "period_min"):
        fe = fragments_elements
        period = np.asarray(fe.period_min, dtype=float)
        apo = np.asarray(fe.apogee_alt_km, dtype=float)
        peri = np.asarray(fe.perigee_alt_km, dtype=float)
    else:
        els = list(fragments_elements)
        period = np.array([1440.0 / e.mean_motion_rev_day for e in els], dtype=float)
        apo = np.array([e.apogee_alt_km for e in els], dtype=float)
        peri = np.array([e.perigee_alt_km for e in els], dtype=float)
    ok = np.isfinite(period) & np.isfinite(apo) & np.isfinite(peri)
    return period[ok], apo[ok], peri[ok]


def gabbard_plot(
    fragments_elements: FragmentElements | Sequence[ElementSet],
    out_path: str | Path,
    *,
    title: str = "Gabbard diagram",
    max_period_min: float | None = None,
) -> Path:
    """Render a Gabbard diagram to ``out_path`` (PNG, or any format matplotlib infers
    from the suffix) with the Agg backend; returns the path.

    ``max_period_min`` clips the x axis (long-period, highly eccentric fragments otherwise
    squash the cloud); by default the axis spans the 99th percentile of the periods.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    period, apo, peri = gabbard_points(fragments_elements)
    out = Path(out_path)
    fig = Figure(figsize=(8, 5.5), dpi=120)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(period, apo, s=3, c="tab:red", label="apogee", linewidths=0)
    ax.scatter(period, peri, s=3, c="tab:blue", label="perigee", linewidths=0)
    if period.size:
        hi = max_period_min or float(np.percentile(period, 99)) * 1.02
        lo = float(np.min(period)) * 0.98
        ax.set_xlim(lo, max(hi, lo + 1.0))
        sel = period <= hi
        if sel.any():
            ax.set_ylim(0.0, float(np.max(apo[sel])) * 1.05)
    ax.set_xlabel("orbital period [min]")
    ax.set_ylabel("altitude above 6378.135 km [km]")
    ax.set_title(f"{title} ({period.size} fragments)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", markerscale=4)
    fig.tight_layout()
    fig.savefig(out)
    return out
