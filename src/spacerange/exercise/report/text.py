"""Text formatting of the report: escaping, times, durations, rating cells."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

from spacerange.exercise.report.common import _DASH, RATING_COLORS


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _fmt(t: datetime | None) -> str:
    return "\u2014" if t is None else t.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def _fmt_short(t: datetime | None) -> str:
    """``02 Mar 09:00Z`` (day, month, time; the year is in the report header)."""
    return _DASH if t is None else t.astimezone(UTC).strftime("%d %b %H:%MZ")


def _dur(td: timedelta | None) -> str:
    if td is None:
        return "\u2014"
    s = int(round(td.total_seconds()))
    sign = "-" if s < 0 else ""
    s = abs(s)
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if d:
        return f"{sign}{d}d{h:02d}h"
    if h:
        return f"{sign}{h}h{m:02d}m"
    return f"{sign}{m}m"


def _rating_cell(r: str | None, title: str = "", derived: bool = False, extra: str = "") -> str:
    if not r:
        return '<td class="r r-none" title="not rated">\u2014</td>'
    mark = "*" if derived else ""
    return (
        f'<td class="r r-{r}" data-rating="{r}" title="{_esc(title or RATING_COLORS[r][1])}">'
        f"{r}{mark}{extra}</td>"
    )
