"""Pictures of the event board (``spacerange events --plot DIR``): one PNG per conjunction
event with its Pc and miss distance against hours to TCA
(:func:`spacerange.conjunction.trend_plot.event_trend_plot`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from spacerange.conjunction.thresholds import PC_ALERT


def plot_name(event_id: str) -> str:
    """A file name from an event id (``25544-49863-2023-10-09T04:16:00`` ->
    ``event_25544-49863-2023-10-09T041600.png``): letters, digits, ``-``, ``_`` and ``.``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "", str(event_id).replace(" ", "_")) or "event"
    return f"event_{stem[:120]}.png"


def write_event_plots(events: Sequence, out_dir: Path) -> list[Path]:
    """One trend PNG per :class:`~spacerange.conjunction.event_history.ConjunctionEvent`
    into ``out_dir`` (created); returns the paths in the order of ``events``."""
    from spacerange.conjunction.trend_plot import event_trend_plot

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--plot {out}: not a directory")
    out.mkdir(parents=True, exist_ok=True)
    paths, used = [], set()
    for ev in events:
        name = plot_name(ev.event_id)
        k = 2
        while name in used:  # two ids that clean to the same name
            name = plot_name(f"{ev.event_id}_{k}")
            k += 1
        used.add(name)
        recs = ev.records
        last = recs[-1]
        a, b = ev.pair
        title = (
            f"{a} vs {b}: TCA {str(np.datetime64(last.tca_utc, 's'))}Z, "
            f"{len(recs)} CDM{'s' if len(recs) != 1 else ''}"
        )
        paths.append(
            event_trend_plot(
                [r.creation_utc for r in recs],
                last.tca_utc,
                [r.pc for r in recs],
                [r.miss_m for r in recs],
                out / name,
                title=title,
                pc_threshold=PC_ALERT,
            )
        )
    return paths
