"""After-action report / improvement plan (HSEEP AAR/IP) of an exercise run.

:func:`write_report` reads a run directory (``scenario.yaml``, ``run.json``,
``events.sqlite``, ``summary.json``; see the engine contract) and writes one
self-contained HTML file: inline CSS, plots as inline base64 PNG rendered with matplotlib's
Agg backend, no script and no external URL, so it opens offline and prints as is.  When a
headless Chromium is installed (``chromium`` or ``chromium-browser`` on ``PATH``) the same
page is also printed to PDF; nothing is installed or downloaded at run time.

Sections follow the HSEEP AAR/IP template: overview (name, STARTEX/ENDEX, scope, objectives,
scenario, participants), executive summary, analysis of capabilities (objective ->
capability -> critical task -> P/S/M/U per team), inject outcomes (released, detected,
assessed, answered, latency, deadline), timeline, event analysis plots (Pc and miss
distance vs time per conjunction, RTN relative motion per proximity event, Gabbard diagram
per break-up, re-entry window and ground-track footprint per re-entry), strengths, areas for
improvement, evaluator notes and the improvement plan.  Every page carries the EXERCISE
marking.

The report is a white-cell (EXCON/evaluator) product: it shows ground truth.

Times in the event log are ISO-8601 UTC; scenario time in plots is hours since STARTEX.
The ground-track map is a plain equirectangular latitude/longitude grid: no coastline data
is bundled (the product works offline and ships no Natural Earth files).
"""

from __future__ import annotations

from spacerange.exercise.report.common import RATING_COLORS
from spacerange.exercise.report.page import render_html
from spacerange.exercise.report.pdf import find_chromium, html_to_pdf, screenshot, write_report
from spacerange.exercise.report.reading import Event, ReportPaths, RunData, load_run

__all__ = [
    "Event",
    "ReportPaths",
    "RunData",
    "load_run",
    "render_html",
    "html_to_pdf",
    "find_chromium",
    "screenshot",
    "write_report",
    "RATING_COLORS",
]
