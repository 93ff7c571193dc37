"""PDF and screenshots of the report with a headless Chromium, and :func:`write_report`."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from spacerange.exercise.report.page import render_html
from spacerange.exercise.report.reading import ReportPaths, load_run

log = logging.getLogger(__name__)


def find_chromium() -> str | None:
    """Path of a headless-capable Chromium (``chromium``, ``chromium-browser``,
    ``google-chrome``) on ``PATH``, or ``None``."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


def _chromium(args: list[str], timeout_s: float) -> subprocess.CompletedProcess | None:
    exe = find_chromium()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="spacerange-chromium-") as prof:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            f"--user-data-dir={prof}",
            *args,
        ]
        try:
            return subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("chromium failed: %s", exc)
            return None


def html_to_pdf(
    html_path: str | Path, pdf_path: str | Path, timeout_s: float = 120.0
) -> Path | None:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium; ``None`` (and a logged
    note) when Chromium is absent or fails."""
    src = Path(html_path).resolve()
    out = Path(pdf_path).resolve()
    if find_chromium() is None:
        log.info("no chromium on PATH: PDF not produced (HTML only)")
        return None
    if out.exists():
        out.unlink()
    res = _chromium(
        [
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ],
        timeout_s,
    )
    if res is None or not out.exists() or out.stat().st_size == 0:
        err = res.stderr.strip().splitlines()[-1:] if res is not None and res.stderr else []
        log.warning("chromium did not produce %s %s", out, err)
        return None
    return out


def screenshot(
    html_path: str | Path,
    png_path: str | Path,
    width: int = 1280,
    height: int = 4000,
    timeout_s: float = 120.0,
) -> Path | None:
    """Render the HTML page to a PNG with headless Chromium (for review); ``None`` when
    Chromium is absent."""
    out = Path(png_path).resolve()
    res = _chromium(
        [
            f"--screenshot={out}",
            f"--window-size={width},{height}",
            "--hide-scrollbars",
            Path(html_path).resolve().as_uri(),
        ],
        timeout_s,
    )
    return out if res is not None and out.exists() else None


# ============================================================================ entry point


def write_report(
    run_dir: str | Path,
    out: str | Path | None = None,
    *,
    pdf: bool = True,
    summary: dict | None = None,
) -> ReportPaths:
    """Write the AAR/IP of ``run_dir`` to ``out`` (default ``RUN_DIR/report.html``) and,
    when ``pdf`` and Chromium is available, the PDF next to it (same stem, ``.pdf``).
    ``summary``: the run's summary now (a live run has no ``summary.json`` yet; the
    exercise server passes the engine's), used instead of the file.

    Raises :class:`~spacerange.errors.ParseError` when the run directory or its event log
    cannot be read."""
    rd = load_run(run_dir)
    if summary is not None:
        rd.summary = summary
    html_path = Path(out) if out is not None else rd.run_dir / "report.html"
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(rd), encoding="utf-8")
    pdf_path = html_to_pdf(html_path, html_path.with_suffix(".pdf")) if pdf else None
    return ReportPaths(html=html_path, pdf=pdf_path)
