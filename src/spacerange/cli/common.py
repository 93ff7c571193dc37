"""Helpers shared by the CLI commands: output, errors, catalog sources."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Sequence
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
    synth_n: int = DEFAULT_SYNTH_N,
    window: tuple[np.datetime64, np.datetime64] | None = None,
    max_age_days: float | None = None,
) -> CatalogSource:
    """Element sets from a store (``--db``), from files (``--catalog``), or the embedded
    synthetic default world when neither is given.

    Without ``window`` each object's latest set is used.  With ``window`` (UTC start, end)
    each object's set nearest the window is used, and sets farther from it than the age
    limit of their regime (:mod:`spacerange.catalog.selection`; ``max_age_days`` overrides
    every regime's limit) are left out and listed in ``selection["stale"]``."""
    if db is not None and catalog:
        raise ValueError("give either --db or --catalog, not both")
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

    pop = synthesize(synth_n, DEFAULT_SYNTH_SEED)
    log.info(
        "no catalog given: using the embedded synthetic world (%d objects, seed %d)",
        synth_n,
        DEFAULT_SYNTH_SEED,
    )
    return CatalogSource(
        list(pop.elsets), [e.name for e in pop.elsets], f"synthetic(n={synth_n}, seed=1)", []
    )


def _age_filtered(src: CatalogSource, bounds, max_age_days: float | None) -> CatalogSource:
    """Names filled in; with a window, stale sets moved out into ``src.selection``."""
    if bounds is not None:
        from spacerange.catalog.selection import select_for_window

        sel = select_for_window(src.elsets, *bounds, max_age_days=max_age_days)
        src.elsets = sel.kept
        src.selection = {
            "rule": "per object, the element set nearest the window",
            "max_age_days": sel.max_age_days,
            "stale": [s.as_dict() for s in sel.stale],
        }
        if sel.stale:
            log.warning(
                "%d element set(s) too far from the window left out (see 'stale')",
                len(sel.stale),
            )
    src.names = [e.name for e in src.elsets]
    return src
