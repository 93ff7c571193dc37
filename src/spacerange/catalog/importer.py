"""Import element files and metadata files into a :class:`CatalogStore`.

An import is one transaction: if anything fails, nothing already stored changes.  With
``strict=True`` any rejected record fails the whole import (:class:`ImportRejected`) and
nothing is written; otherwise rejects are reported and every good record is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from spacerange.catalog.formats import METADATA_KINDS, load_any, sniff_format
from spacerange.catalog.metadata import ObjectMetadata, load_metadata
from spacerange.catalog.model import ElementSet
from spacerange.catalog.store import CatalogStore
from spacerange.errors import ImportRejected, ParseError, Reject

__all__ = ["ImportReport", "import_files", "read_files"]


@dataclass
class ImportReport:
    """Outcome of an import.

    ``imported``: element sets newly stored; ``duplicates``: parsed sets already stored;
    ``rejected``: records refused (details in ``rejects``); ``objects``: distinct objects
    in the accepted element sets; ``metadata``: metadata rows applied.
    """

    imported: int = 0
    rejected: int = 0
    objects: int = 0
    rejects: list[Reject] = field(default_factory=list)
    duplicates: int = 0
    metadata: int = 0
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "objects": self.objects,
            "metadata": self.metadata,
            "files": list(self.files),
            "rejects": [r.as_dict() for r in self.rejects],
        }


def _file_kind(path: Path) -> str:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        return sniff_format(fh.read(8192))


def read_files(
    paths: Iterable[str | Path], metadata: Iterable[str | Path] = ()
) -> tuple[list[ElementSet], list[ObjectMetadata], list[Reject]]:
    """Parse element and metadata files (kind sniffed from content) without storing.

    Returns ``(element_sets, metadata_records, rejects)``; an unreadable or unrecognised
    file becomes one reject at line 0/1.
    """
    elsets: list[ElementSet] = []
    meta: list[ObjectMetadata] = []
    rejects: list[Reject] = []
    for p in [Path(x) for x in paths] + [Path(x) for x in metadata]:
        try:
            kind = _file_kind(p)
            if kind in METADATA_KINDS:
                m, r = load_metadata(p)
                meta.extend(m)
            else:
                e, r = load_any(p)
                elsets.extend(e)
        except ParseError as exc:
            r = [exc.as_reject()]
        except OSError as exc:
            r = [Reject(str(p), 0, f"cannot read file: {exc.strerror or exc}")]
        rejects.extend(r)
    return elsets, meta, rejects


def import_files(
    paths: Iterable[str | Path],
    store: CatalogStore,
    strict: bool = False,
    metadata: Iterable[str | Path] = (),
) -> ImportReport:
    """Import element files (TLE/3LE, GP JSON/CSV, CCSDS OMM) and metadata files (GCAT TSV,
    SATCAT CSV, CARA HBR CSV) into ``store`` in one transaction.

    ``paths`` may mix element and metadata files (sniffed by content); ``metadata`` lists
    more metadata files.  Raises :class:`ImportRejected` when ``strict`` and any record was
    rejected; then, as on any error, the store is left unchanged.
    """
    paths = [Path(p) for p in paths]
    meta_paths = [Path(p) for p in metadata]
    elsets, meta, rejects = read_files(paths, meta_paths)
    if strict and rejects:
        raise ImportRejected(rejects)
    report = ImportReport(
        rejected=len(rejects),
        rejects=rejects,
        objects=len({e.norad_id for e in elsets}),
        files=[str(p) for p in paths + meta_paths],
    )
    with store.transaction():
        report.imported = store.add_element_sets(elsets)
        if meta:
            report.metadata = store.apply_metadata(meta)
    report.duplicates = len(elsets) - report.imported
    return report
