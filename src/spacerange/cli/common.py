"""Helpers shared by the CLI commands: output, errors, catalog sources."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console

from spacerange.errors import SpacerangeError

#: Human output goes to stdout, logs and progress to stderr.
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

log = logging.getLogger("spacerange")

DEFAULT_SYNTH_N = 30_000
DEFAULT_SYNTH_SEED = 1
SYNTHETIC_HELP = (
    "Use the embedded synthetic world of N objects (seed 1) instead of --db or --catalog, "
    "e.g. --synthetic 30000."
)


def setup_logging(verbose: bool = False) -> None:
    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=False)],
        force=True,
    )


def _default(o: Any) -> Any:
    from spacerange.jsonio import json_default  # the one JSON serializer

    return json_default(o)


def emit(result: dict, as_json: bool, render: Callable[[dict], None] | None = None) -> None:
    """Print ``result`` as one JSON object (``--json``) or through ``render`` for people."""
    if as_json:
        sys.stdout.write(json.dumps(result, default=_default, allow_nan=False) + "\n")
        sys.stdout.flush()
    elif render is not None:
        render(result)
    else:
        out.print_json(json.dumps(result, default=_default))


def fail(message: str, as_json: bool, code: int = 1, **fields: Any) -> typer.Exit:
    """Report an error (one JSON object with ``error`` under ``--json``) and exit."""
    if as_json:
        emit({"error": message, **fields}, True)
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def guard(as_json: bool):
    """Context manager turning spacerange/OS errors into a clean message and exit code 1."""
    return _Guard(as_json)


class _Guard:
    def __init__(self, as_json: bool):
        self.as_json = as_json

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, typer.Exit | KeyboardInterrupt | SystemExit):
            return False
        if isinstance(exc, SpacerangeError | ValueError | OSError):
            extra = {}
            # Where it applies, the error says where: {"error", "file", "line"}.
            for attr in ("file", "line"):
                value = getattr(exc, attr, None)
                if isinstance(value, str | int | Path) and value not in ("", 0):
                    extra[attr] = str(value) if isinstance(value, Path) else value
            rejects = getattr(exc, "rejects", None)
            if rejects:
                extra["rejects"] = [r.as_dict() for r in rejects]
            raise fail(str(exc), self.as_json, **extra) from None
        return False


MAX_ELSET_AGE_OPT = typer.Option(
    None,
    "--max-elset-age",
    metavar="DAYS",
    help="With --start: leave out element sets farther than this from the window "
    "(default per regime: LEO/GTO 10 d, MEO/HEO 15 d, GEO/IGSO 30 d; 'inf' keeps all).",
)


@dataclass
class CatalogSource:
    """One element set per object and the label of where they came from; with a window,
    the sets nearest it, and the ones left out as too old (``selection``)."""

    elsets: list
    names: list[str]
    label: str
    rejects: list
    selection: dict | None = None

    @property
    def tles(self) -> list[tuple[str, str]]:
        return [(e.line1, e.line2) for e in self.elsets]

    @property
    def norad_ids(self) -> np.ndarray:
        return np.array([e.norad_id for e in self.elsets], dtype=np.int64)

    def median_epoch(self) -> np.datetime64:
        from spacerange.timescales import parse_utc

        us = np.array([parse_utc(e.epoch).astype(np.int64) for e in self.elsets])
        # Whole minutes make friendlier grids than the raw median.
        return (
            np.datetime64(int(np.median(us)), "us").astype("datetime64[m]").astype("datetime64[us]")
        )


def load_source(
    db: Path | None,
    catalog: Sequence[Path] | None,
    synthetic: int | None = None,
    window: tuple[np.datetime64, np.datetime64] | None = None,
    max_age_days: float | None = None,
) -> CatalogSource:
    """Element sets from a store (``--db``), from files (``--catalog``), or the embedded
    synthetic world of ``synthetic`` objects (``--synthetic N``); exactly one is required.

    Without ``window`` each object's latest set is used.  With ``window`` (UTC start, end)
    each object's set nearest the window is used, and sets farther from it than the age
    limit of their regime (:mod:`spacerange.catalog.selection`; ``max_age_days`` overrides
    every regime's limit) are left out and listed in ``selection["stale"]``."""
    given = [n for n, v in (("--db", db), ("--catalog", catalog), ("--synthetic", synthetic)) if v]
    if len(given) > 1:
        raise ValueError(f"give one of --db, --catalog or --synthetic N, not {' and '.join(given)}")
    if not given:
        raise ValueError(
            "no catalog given: use --db FILE, --catalog FILE or --synthetic N "
            f"(the embedded synthetic world, e.g. --synthetic {DEFAULT_SYNTH_N})"
        )
    if catalog:
        require_files(catalog, "--catalog")
    bounds = None
    if window is not None:
        from datetime import UTC, datetime

        bounds = tuple(
            datetime.fromisoformat(str(np.datetime64(t, "us"))).replace(tzinfo=UTC) for t in window
        )
    if db is not None:
        from spacerange.catalog.store import SqliteCatalogStore

        if not Path(db).exists():
            raise ValueError(f"{db}: no such catalog database (create it with 'catalog import')")
        with SqliteCatalogStore(db) as store:
            elsets = (
                store.latest_element_sets()
                if bounds is None
                else store.element_sets_for_window(*bounds)
            )
        return _age_filtered(CatalogSource(elsets, [], str(db), []), bounds, max_age_days)
    if catalog:
        from spacerange.catalog.importer import read_files
        from spacerange.catalog.selection import nearest_to_window

        elsets, _, rejects = read_files(catalog)
        for r in rejects[:20]:
            log.warning("rejected %s", r)
        if bounds is not None:
            chosen = nearest_to_window(elsets, *bounds)
        else:
            latest: dict[int, Any] = {}
            for e in elsets:
                if e.norad_id not in latest or e.epoch > latest[e.norad_id].epoch:
                    latest[e.norad_id] = e
            chosen = list(latest.values())
        src = CatalogSource(chosen, [], ", ".join(map(str, catalog)), rejects)
        return _age_filtered(src, bounds, max_age_days)
    from spacerange.catalog.synth import synthesize

    if synthetic is None or synthetic < 1:
        raise ValueError(f"--synthetic {synthetic}: expected a number of objects >= 1")
    pop = synthesize(synthetic, DEFAULT_SYNTH_SEED)
    return CatalogSource(
        list(pop.elsets), [e.name for e in pop.elsets], f"synthetic(n={synthetic}, seed=1)", []
    )


def _age_filtered(src: CatalogSource, bounds, max_age_days: float | None) -> CatalogSource:
    """Names filled in; with a window, stale sets moved out into ``src.selection``."""
    if bounds is not None:
        from spacerange.catalog.selection import select_for_window

        sel = select_for_window(src.elsets, *bounds, max_age_days=max_age_days)
        src.elsets = sel.kept
        src.selection = {
            "rule": "per object, the element set nearest the window",
            "max_age_days_by_regime": sel.max_age_days,
            "stale": [s.as_dict() for s in sel.stale],
        }
        if sel.stale:
            log.warning(
                "%d element set(s) too far from the window left out (see 'stale')",
                len(sel.stale),
            )
    src.names = [e.name for e in src.elsets]
    return src


def require_files(paths: Sequence[Path], option: str = "input") -> None:
    """Refuse missing, non-regular or unreadable input files before any work (or any output
    file) is started: ``ValueError`` naming the file."""
    import os

    for p in paths:
        path = Path(p)
        if not path.exists():
            raise ValueError(f"{option} {path}: no such file")
        if not path.is_file():
            raise ValueError(f"{option} {path}: not a regular file")
        if not os.access(path, os.R_OK):
            raise ValueError(f"{option} {path}: not readable")


def output_format(path: Path, formats: dict[str, str], option: str = "--out") -> str:
    """The format of output file ``path`` from its extension (``formats`` maps ``.suffix`` to a
    format name); any other extension is refused with the accepted list."""
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        accepted = ", ".join(sorted(formats))
        raise ValueError(
            f"{option} {path}: cannot tell the format from {suffix or 'no extension'!r}; use {accepted}"
        )
    return formats[suffix]


def parse_duration_option(text: str, option: str, positive: bool = True) -> float:
    """Seconds from a CLI duration (the scenario grammar: ``90s``, ``30m``, ``12h``, ``3d``,
    ``1d6h30m``, or plain seconds); ``ValueError`` names the option."""
    from spacerange.timescales import parse_duration_s

    try:
        seconds = parse_duration_s(text)
    except ValueError as exc:
        raise ValueError(f"{option}: {exc}") from None
    if not np.isfinite(seconds) or seconds < 0 or (positive and seconds == 0):
        raise ValueError(f"{option} {text!r}: expected a duration {'> 0' if positive else '>= 0'}")
    return seconds


class working:  # noqa: N801 - used like a function: ``with working("screening"):``
    """Progress on stderr for a step that runs longer than a few seconds and gives no
    finer-grained signal: a spinner with the elapsed time while it runs, and one line with
    its duration when it ends (nothing on stdout, so ``--json`` stays one object)."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        import time

        self.t0 = time.perf_counter()
        self._status = err.status(f"{self.what} ...", spinner="dots")
        self._status.__enter__()
        self._timer = _Ticker(self)
        self._timer.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        import time

        self._timer.stop()
        self._status.__exit__(exc_type, exc, tb)
        if exc is None:
            err.print(f"{self.what}: done in {time.perf_counter() - self.t0:.1f} s")
        return False


class _Ticker:
    """Updates a :class:`working` spinner's text with the elapsed seconds once a second."""

    def __init__(self, w: working):
        import threading

        self.w = w
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=2)

    def _run(self) -> None:
        import time

        while not self.stop_event.wait(1.0):
            self.w._status.update(f"{self.w.what} ... {time.perf_counter() - self.w.t0:.0f} s")


def store_url(db: str) -> str:
    """The SQLAlchemy URL of a server store given as ``--db``: a URL (``sqlite:///file``,
    ``postgresql://user@host/db``) as is, a plain path as the SQLite file at that path."""
    text = str(db).strip()
    if not text:
        raise ValueError("--db: empty store location")
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def deprecated_alias(old: str, new: str, old_value: Any, new_value: Any) -> Any:
    """Merge a deprecated option spelling into its new one, warning on stderr (aliases are kept
    for one release)."""
    if old_value in (None, [], ()):
        return new_value
    if new_value not in (None, [], ()):
        raise ValueError(f"give {new} only ({old} is its deprecated spelling)")
    err.print(f"[yellow]warning:[/] {old} is deprecated; use {new}")
    return old_value


@contextmanager
def exercise_progress(enabled: bool = True):
    """A progress bar on stderr for an exercise play: yields the ``progress`` callback of
    :func:`spacerange.exercise.runner.run_exercise` (``None`` when disabled)."""
    if not enabled:
        yield None
        return
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from spacerange.exercise.clock import iso

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>5.1f}%"), TextColumn("{task.fields[sim]}"),
                  TimeElapsedColumn(), console=err, transient=False) as bar:  # fmt: skip
        task = None
        last = [0.0]

        def progress(name: str, t, frac: float) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task(name[:40], total=1.0, sim="")
            now = time.perf_counter()
            if now - last[0] > 0.1 or frac >= 1.0:
                last[0] = now
                bar.update(task, completed=frac, sim=iso(t))

        yield progress
