"""The report's figures (matplotlib, Agg backend, inline PNG): timeline, Pc and miss vs time,
relative motion, Gabbard diagrams, re-entry windows and footprints."""

from __future__ import annotations

import base64
import io
import math
from collections import defaultdict
from datetime import timedelta
from typing import Any

import numpy as np

from spacerange.conjunction.thresholds import PC_ALERT
from spacerange.exercise.report.analysis import _Analysis
from spacerange.exercise.report.common import PC_FLOOR
from spacerange.exercise.report.reading import Event, _parse_utc
from spacerange.exercise.report.text import _esc, _fmt


def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", pad_inches=0.08)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(kind: str, key: str, title: str, fig, caption: str) -> str:
    data = _png(fig)
    return (
        f'<figure class="plot" data-plot="{_esc(kind)}" data-key="{_esc(key)}">'
        f'<img alt="{_esc(title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
    )


def _new_fig(w: float, h: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h))
    return fig


# ============================================================================ plots

_COLORS = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037"]


def _timeline_plot(an: _Analysis) -> str:
    rd = an.rd
    lanes = [t.id for t in an.players] + ["world (truth)"]
    y_of = {name: i for i, name in enumerate(reversed(lanes))}
    fig = _new_fig(10.0, 1.2 + 0.55 * len(lanes))
    ax = fig.add_subplot(1, 1, 1)
    style = {
        "inject": dict(marker="v", color="#1565c0", s=46, label="inject released"),
        "contingency": dict(marker="v", color="#ef6c00", s=56, label="contingency inject"),
        "detection": dict(marker="o", color="#2e7d32", s=30, label="detection"),
        "alert": dict(marker="|", color="#757575", s=60, label="alert"),
        "action": dict(marker="s", color="#6a1b9a", s=22, label="action applied"),
        "rejected": dict(marker="x", color="#c62828", s=40, label="action rejected"),
    }
    pts: dict[str, list[tuple[float, float]]] = defaultdict(list)
    cont = {str(e.payload.get("serial")) for e in rd.of("contingency_fired")}
    for e in rd.of("inject_released"):
        key = "contingency" if str(e.payload.get("serial")) in cont else "inject"
        for t in e.payload.get("to") or []:
            if t in y_of:
                pts[key].append((an.t_rel_h(e.t), y_of[t]))
    for kind, key in (
        ("detection", "detection"),
        ("alert", "alert"),
        ("action_applied", "action"),
        ("action_rejected", "rejected"),
    ):
        for e in rd.of(kind):
            t = e.payload.get("team") or e.team
            if t in y_of:
                pts[key].append((an.t_rel_h(e.t), y_of[t]))
    yw = y_of["world (truth)"]
    for key, st in style.items():
        if pts.get(key):
            a = np.array(pts[key])
            ax.scatter(a[:, 0], a[:, 1], zorder=3, linewidths=1.2, **st)
    # world events: one marker per type, named in the legend with its count (no text on
    # the axes, so no label can overlap another however close the events are)
    wtypes: dict[str, list[float]] = defaultdict(list)
    for e in rd.of("world_event"):
        wtypes[str(e.payload.get("type") or "event")].append(an.t_rel_h(e.t))
    wmarks = ["*", "P", "D", "h", "^", "<", ">", "8", "p", "d"]
    for i, (wt, xs) in enumerate(sorted(wtypes.items(), key=lambda kv: kv[1][0])):
        coll = wt == "collision"
        ax.scatter(xs, [yw] * len(xs), zorder=3, s=110 if coll else 60,
                   marker="X" if coll else wmarks[i % len(wmarks)],
                   color="#c62828" if coll else _COLORS[i % len(_COLORS)],
                   label=f"world: {wt} ({len(xs)})")  # fmt: skip
    span = max(an.t_rel_h(an.endex), 1.0)
    ax.set_yticks(list(y_of.values()), list(y_of.keys()))
    ax.set_ylim(-0.6, len(lanes) - 0.2)
    ax.set_xlim(-span * 0.01, span * 1.01)
    ax.set_xlabel(f"scenario time [h since STARTEX {_fmt(an.startex)}]")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title("Exercise timeline by team")
    days = int(span // 24)
    for d in range(1, days + 1):
        ax.axvline(24 * d, color="#bdbdbd", lw=0.6, zorder=1)
    h, lab = ax.get_legend_handles_labels()
    if h:
        ax.legend(
            h, lab, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7.5, frameon=False
        )
    fig.tight_layout()
    return _figure(
        "timeline",
        "all",
        "Exercise timeline",
        fig,
        "Figure: injects, detections, alerts and actions per team, and world (truth) "
        "events by type (legend, with counts), against scenario time. Vertical lines mark "
        "scenario days.",
    )


def _pc_or_nan(e: Event) -> float:
    pc = e.payload.get("pc")
    return float(pc) if pc is not None else math.nan


def _max_pc(evs: list[Event]) -> float:
    """Largest computed Pc of a series (updates without a Pc are skipped, not zero)."""
    pcs = [p for p in map(_pc_or_nan, evs) if not math.isnan(p)]
    return max(pcs) if pcs else math.nan


def _conjunction_plots(an: _Analysis, limit: int = 30) -> list[str]:
    series: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in an.rd.of("conjunction_update"):
        objs = [str(o) for o in (e.payload.get("objects") or [])][:2]
        if len(objs) < 2:
            continue
        series[(objs[0], objs[1])].append(e)
    # the graded conjunctions first (whatever their Pc), then the others by maximum Pc
    from spacerange.exercise.report.graded import graded_pairs

    graded = {p: i for i, p in enumerate(graded_pairs(an))}
    graded.update({(b, a): i for (a, b), i in list(graded.items())})
    keys = sorted(series, key=lambda k: (graded.get(k, len(graded)),
                                         -np.nan_to_num(_max_pc(series[k]), nan=-1.0)))  # fmt: skip
    out = []
    for pair in keys[:limit]:
        evs = series[pair]
        tca = _parse_utc(evs[-1].payload.get("tca_utc"))
        fig = _new_fig(9.0, 3.4)
        ax1 = fig.add_subplot(1, 2, 1)
        ax2 = fig.add_subplot(1, 2, 2)
        teams = sorted({str(e.payload.get("team") or e.team) for e in evs})
        for i, team in enumerate(teams):
            te = [e for e in evs if str(e.payload.get("team") or e.team) == team]
            x = np.array([an.t_rel_h(e.t) for e in te])
            # an update whose Pc could not be computed (pc None) is a gap, not a low Pc
            pc = np.maximum(np.array([_pc_or_nan(e) for e in te]), PC_FLOOR)
            miss = np.array([float(e.payload.get("miss_m") or np.nan) for e in te])
            c = _COLORS[i % len(_COLORS)]
            ax1.semilogy(x, pc, "o-", color=c, ms=3.5, lw=1.2, label=team)
            ax2.plot(x, miss, "o-", color=c, ms=3.5, lw=1.2, label=team)
        ax1.axhline(PC_ALERT, color="#c62828", ls="--", lw=0.9, label=f"Pc {PC_ALERT:g} alert")
        for ax in (ax1, ax2):
            if tca is not None:
                ax.axvline(an.t_rel_h(tca), color="#424242", ls=":", lw=1.0, label="TCA")
            ax.set_xlabel("scenario time [h since STARTEX]")
            ax.grid(True, which="both", alpha=0.3)
        for e in an.rd.of("world_event"):
            if e.payload.get("type") == "maneuver" and pair[0] in (e.payload.get("objects") or []):
                ax2.axvline(an.t_rel_h(e.t), color="#6a1b9a", lw=0.8, alpha=0.7)
        ax1.set_ylabel("probability of collision Pc")
        ax2.set_ylabel("miss distance [m]")
        ax1.set_title("Pc per CDM", fontsize=10)
        ax2.set_title("Miss distance per CDM", fontsize=10)
        ax1.legend(fontsize=7, loc="best")
        fig.suptitle(f"Conjunction {pair[0]} \u00d7 {pair[1]}", fontsize=11)
        fig.tight_layout()
        pcmax = _max_pc(evs)
        n_unknown = sum(e.payload.get("pc") is None for e in evs)
        unknown = f", Pc not computed on {n_unknown} updates" if n_unknown else ""
        missmin = min(float(e.payload.get("miss_m") or np.inf) for e in evs)
        out.append(
            _figure(
                "conjunction",
                f"{pair[0]}|{pair[1]}",
                f"Conjunction {pair[0]} x {pair[1]}",
                fig,
                f"Conjunction {pair[0]} \u00d7 {pair[1]}: {len(evs)} updates, TCA {_fmt(tca)},"
                f" max Pc {pcmax:.2e}{unknown}, min predicted miss {missmin:,.0f} m (Pc below"
                f" {PC_FLOOR:g} drawn"
                f" at {PC_FLOOR:g}). Purple lines: "
                f"manoeuvres of {pair[0]} (truth).",
            )
        )
    if len(keys) > limit:
        out.append(
            f'<p class="note">{len(keys) - limit} more conjunctions not plotted '
            f"(lowest maximum Pc).</p>"
        )
    return out


def _relative_motion_plots(an: _Analysis, limit: int = 20) -> list[str]:
    series: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
    for e in an.rd.of("relative_motion"):
        objs = [str(o) for o in (e.payload.get("objects") or [])][:2]
        if len(objs) < 2:
            continue
        series[(objs[0], objs[1])].extend(e.payload.get("samples") or [])
    out = []
    for pair in list(series)[:limit]:
        rows = []
        for s in series[pair]:
            if isinstance(s, list | tuple) and len(s) >= 4:
                t = _parse_utc(s[0])
                if t is not None:
                    rows.append((an.t_rel_h(t), float(s[1]), float(s[2]), float(s[3])))
        rows.sort()
        fig = _new_fig(9.0, 3.6)
        ax1 = fig.add_subplot(1, 2, 1)
        ax2 = fig.add_subplot(1, 2, 2)
        if rows:
            a = np.array(rows)
            rng_km = np.linalg.norm(a[:, 1:], axis=1)
            sc = ax1.scatter(a[:, 2], a[:, 1], c=a[:, 0], s=8, cmap="viridis", zorder=3)
            ax1.plot(a[:, 2], a[:, 1], color="#9e9e9e", lw=0.6, zorder=2)
            ax1.plot(
                [0], [0], marker="*", color="#c62828", ms=12, zorder=4, ls="none", label=pair[0]
            )
            cb = fig.colorbar(sc, ax=ax1, pad=0.02)
            cb.set_label("h since STARTEX", fontsize=8)
            ax2.plot(a[:, 0], rng_km, color="#1565c0", lw=1.3)
            ax2.set_yscale("log" if rng_km.max() / max(rng_km.min(), 1e-3) > 50 else "linear")
            i = int(np.argmin(rng_km))
            ax2.annotate(
                f"min {rng_km[i]:,.1f} km",
                (a[i, 0], rng_km[i]),
                fontsize=8,
                xytext=(5, 10),
                textcoords="offset points",
            )
            ax1.legend(fontsize=7, loc="best")
            caption_min = f"closest range {rng_km[i]:,.2f} km at {_fmt(an.startex + timedelta(hours=float(a[i, 0])))}"
        else:
            caption_min = "no samples"
        ax1.set_xlabel("in-track T [km]")
        ax1.set_ylabel("radial R [km]")
        ax1.set_title(f"{pair[1]} in the RTN frame of {pair[0]}", fontsize=10)
        ax1.grid(True, alpha=0.3)
        ax2.set_xlabel("scenario time [h since STARTEX]")
        ax2.set_ylabel("range [km]")
        ax2.set_title("Range", fontsize=10)
        ax2.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        out.append(
            _figure(
                "proximity",
                f"{pair[0]}|{pair[1]}",
                f"Relative motion of {pair[1]} about {pair[0]}",
                fig,
                f"Proximity {pair[1]} \u2192 {pair[0]} (truth): {caption_min}. R radial, T "
                "in-track (along the velocity), N cross-track.",
            )
        )
    return out


def _gabbard_plots(an: _Analysis, limit: int = 10) -> list[str]:
    from types import SimpleNamespace

    from spacerange.events.gabbard import gabbard_points

    out = []
    for e in an.rd.of("fragments")[:limit]:
        p = e.payload
        ns = SimpleNamespace(
            period_min=np.asarray(p.get("period_min") or [], float),
            apogee_alt_km=np.asarray(p.get("apogee_km") or [], float),
            perigee_alt_km=np.asarray(p.get("perigee_km") or [], float),
        )
        n = min(ns.period_min.size, ns.apogee_alt_km.size, ns.perigee_alt_km.size)
        ns.period_min, ns.apogee_alt_km, ns.perigee_alt_km = (
            ns.period_min[:n],
            ns.apogee_alt_km[:n],
            ns.perigee_alt_km[:n],
        )
        period, apo, peri = gabbard_points(ns)
        fig = _new_fig(7.0, 4.2)
        ax = fig.add_subplot(1, 1, 1)
        ax.scatter(period, apo, s=4, c="#c62828", label="apogee", linewidths=0)
        ax.scatter(period, peri, s=4, c="#1565c0", label="perigee", linewidths=0)
        if period.size:
            hi = float(np.percentile(period, 99)) * 1.02
            lo = float(np.min(period)) * 0.98
            ax.set_xlim(lo, max(hi, lo + 1.0))
            sel = period <= hi
            ax.set_ylim(0.0, float(np.max(apo[sel])) * 1.05 if sel.any() else None)
        ax.set_xlabel("orbital period [min]")
        ax.set_ylabel("altitude [km]")
        ax.set_title(
            f"Gabbard diagram: break-up of {p.get('parent')} ({period.size} fragments)", fontsize=10
        )
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", markerscale=3, fontsize=8)
        fig.tight_layout()
        out.append(
            _figure(
                "breakup",
                str(p.get("parent")),
                f"Gabbard diagram of {p.get('parent')}",
                fig,
                f"Break-up of {p.get('parent')} at {_fmt(e.t)}: {p.get('n', period.size)} "
                "fragments; apogee (red) and perigee (blue) altitude against period.",
            )
        )
    return out


def _naive(t):
    """An aware UTC datetime as naive UTC (matplotlib's date axis)."""
    return t.replace(tzinfo=None) if t is not None and t.tzinfo else t


def _utc_axis(axis) -> None:
    import matplotlib.dates as mdates

    axis.set_major_locator(mdates.AutoDateLocator(minticks=3))
    axis.set_major_formatter(mdates.DateFormatter("%d %H:%M"))


def _reentry_plots(an: _Analysis, limit: int = 10) -> list[str]:
    by_obj: dict[str, list[Event]] = defaultdict(list)
    for e in an.rd.of("reentry_prediction"):
        by_obj[str(e.payload.get("object"))].append(e)
    truth = {
        str(o): e.t
        for e in an.rd.of("world_event")
        if e.payload.get("type") == "reentry"
        for o in (e.payload.get("objects") or [])
    }
    out = []
    for obj in list(by_obj)[:limit]:
        evs = by_obj[obj]
        fig = _new_fig(9.5, 3.7)
        ax1 = fig.add_subplot(1, 2, 1)
        ax2 = fig.add_subplot(1, 2, 2)
        x, lo, hi, ml = [], [], [], []
        for e in evs:
            p = e.payload
            ws, we, m = (
                _parse_utc(p.get(k)) for k in ("window_start", "window_end", "most_likely")
            )
            if ws is None or we is None:
                continue
            # absolute UTC on both axes: a window before STARTEX (an object already
            # decaying when the exercise starts) is a date, not "negative hours"
            x.append(_naive(e.t))
            lo.append(_naive(ws))
            hi.append(_naive(we))
            ml.append(_naive(m) if m else lo[-1] + (hi[-1] - lo[-1]) / 2)
        if x:
            xa, loa, hia, mla = (np.array(v, dtype="datetime64[s]") for v in (x, lo, hi, ml))
            ax1.fill_between(
                xa, loa, hia, color="#90caf9", alpha=0.6, step="mid", label="re-entry window"
            )
            ax1.plot(xa, mla, "o-", color="#1565c0", ms=3.5, label="most likely")
        if obj in truth:
            ax1.axhline(
                _naive(truth[obj]),
                color="#c62828",
                ls="--",
                lw=1.0,
                label="actual re-entry (truth)",
            )
        _utc_axis(ax1.xaxis)
        _utc_axis(ax1.yaxis)
        ax1.set_xlabel("prediction issued [UTC, day hh:mm]")
        ax1.set_ylabel("predicted re-entry [UTC, day hh:mm]")
        ax1.set_title(f"Re-entry window of {obj}", fontsize=10)
        ax1.grid(True, alpha=0.3)
        ax1.legend(fontsize=7, loc="best")
        # ground-track footprint on a plain equirectangular grid (no coastlines offline)
        ax2.set_xlim(-180, 180)
        ax2.set_ylim(-90, 90)
        ax2.set_xticks(range(-180, 181, 60))
        ax2.set_yticks(range(-90, 91, 30))
        ax2.grid(True, color="#bdbdbd", lw=0.5)
        ax2.set_facecolor("#f5f9ff")
        n = len(evs)
        for i, e in enumerate(evs):
            fp = e.payload.get("footprint") or []
            pts = (
                np.array([[float(a), float(b)] for a, b in fp if a is not None], float)
                if fp
                else np.zeros((0, 2))
            )
            if not pts.size:
                continue
            lon = pts[:, 1].copy()
            jumps = np.where(np.abs(np.diff(lon)) > 180)[0]
            lon_plot = np.insert(lon, jumps + 1, np.nan)
            lat_plot = np.insert(pts[:, 0], jumps + 1, np.nan)
            last = i == n - 1
            ax2.plot(
                lon_plot,
                lat_plot,
                color="#c62828" if last else "#90a4ae",
                lw=2.0 if last else 0.8,
                alpha=1.0 if last else 0.6,
                label="latest footprint" if last else None,
            )
        ax2.set_xlabel("longitude [deg]")
        ax2.set_ylabel("latitude [deg]")
        ax2.set_title("Ground-track footprint (no coastlines)", fontsize=10)
        if ax2.get_legend_handles_labels()[0]:  # the latest forecast may have no footprint
            ax2.legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        last = evs[-1].payload
        out.append(
            _figure(
                "reentry",
                obj,
                f"Re-entry of {obj}",
                fig,
                f"Re-entry of {obj}: {n} predictions; latest window "
                f"{_fmt(_parse_utc(last.get('window_start')))} to "
                f"{_fmt(_parse_utc(last.get('window_end')))}, most likely "
                f"{_fmt(_parse_utc(last.get('most_likely')))}"
                + (f"; actual {_fmt(truth[obj])}" if obj in truth else "")
                + ". Map: equirectangular latitude/longitude grid without coastlines "
                "(no map data is bundled); grey: earlier footprints.",
            )
        )
    return out
