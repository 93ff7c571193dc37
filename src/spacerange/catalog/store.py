"""Catalog persistence: a small repository interface and its SQLite implementation.

:class:`CatalogStore` is the interface the rest of spacerange uses (a PostgreSQL
implementation can follow with the same methods); :class:`SqliteCatalogStore` keeps the
catalog in one SQLite file in WAL mode.  The schema is versioned: ``schema_version`` holds
the applied version and :data:`MIGRATIONS` is the ordered list applied on open.

Every element set ever imported is kept (``element_sets`` is the history, one row per
distinct ``(norad_id, epoch, line1, line2)``); importing the same set twice is a no-op.
Epochs are stored as fixed-width UTC ISO strings ``YYYY-MM-DDThh:mm:ss.ffffffZ`` (sortable).
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from spacerange.catalog.metadata import ObjectMetadata, infer_object_type
from spacerange.catalog.model import ElementSet, ObjectType, SpaceObject
from spacerange.catalog.owners import inherit_launch_owners, owner_query_codes
from spacerange.catalog.regime import REGIMES, regimes_from_mean_motion

__all__ = ["CatalogStore", "SqliteCatalogStore", "MIGRATIONS", "SCHEMA_VERSION"]


class CatalogStore(ABC):
    """Repository of catalogued objects and their element-set history."""

    @abstractmethod
    def transaction(self):
        """Context manager: everything inside commits together or not at all (nestable)."""

    @abstractmethod
    def add_element_sets(self, elsets: Sequence[ElementSet]) -> int:
        """Store element sets (creating their objects); returns how many were new."""

    @abstractmethod
    def apply_metadata(self, records: Sequence[ObjectMetadata]) -> int:
        """Update (or create) objects' owner/type/launch date/COSPAR/HBR/mass."""

    @abstractmethod
    def get_object(self, norad_id: int) -> SpaceObject | None:
        """One object with its latest element set attached (None when unknown)."""

    @abstractmethod
    def list_objects(
        self,
        types: Iterable[ObjectType | str] | None = None,
        owners: Iterable[str] | None = None,
        regime: str | Iterable[str] | None = None,
        with_elements: bool = True,
    ) -> list[SpaceObject]:
        """Objects matching every given filter, sorted by NORAD id, latest set attached."""

    @abstractmethod
    def latest_element_sets(self, norad_ids: Iterable[int] | None = None) -> list[ElementSet]:
        """Latest-epoch element set of each object (all objects or ``norad_ids``)."""

    @abstractmethod
    def element_sets_for_window(self, start: datetime, end: datetime) -> list[ElementSet]:
        """Per object, the element set whose epoch is nearest the window ``[start, end]``
        (zero distance inside it; ties to the later epoch)."""

    @abstractmethod
    def history(
        self, norad_id: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[ElementSet]:
        """Every stored element set of one object, by epoch (optionally in [start, end])."""

    @abstractmethod
    def count_objects(self, with_elements: bool = True) -> int:
        """Number of objects (by default only those with at least one element set)."""

    @abstractmethod
    def count_element_sets(self) -> int:
        """Number of stored element sets (all history)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- SQLite ------------------------------------------------------------------------------

MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """CREATE TABLE objects (
                norad_id INTEGER PRIMARY KEY,
                name TEXT NOT NULL DEFAULT '',
                cospar TEXT NOT NULL DEFAULT '',
                type TEXT NOT NULL DEFAULT 'UNKNOWN',
                type_source TEXT NOT NULL DEFAULT 'inferred',
                owner TEXT NOT NULL DEFAULT '',
                launch_date TEXT,
                hbr_m REAL,
                mass_kg REAL
            )""",
            """CREATE TABLE element_sets (
                id INTEGER PRIMARY KEY,
                norad_id INTEGER NOT NULL REFERENCES objects(norad_id),
                epoch TEXT NOT NULL,
                line1 TEXT NOT NULL,
                line2 TEXT NOT NULL,
                name TEXT NOT NULL DEFAULT '',
                cospar TEXT NOT NULL DEFAULT '',
                classification TEXT NOT NULL DEFAULT 'U',
                inclination_deg REAL NOT NULL,
                raan_deg REAL NOT NULL,
                eccentricity REAL NOT NULL,
                arg_perigee_deg REAL NOT NULL,
                mean_anomaly_deg REAL NOT NULL,
                mean_motion_rev_day REAL NOT NULL,
                bstar REAL NOT NULL,
                mean_motion_dot REAL NOT NULL,
                mean_motion_ddot REAL NOT NULL,
                element_set_no INTEGER NOT NULL,
                rev_at_epoch INTEGER NOT NULL,
                source TEXT NOT NULL DEFAULT '',
                imported_at TEXT NOT NULL,
                UNIQUE (norad_id, epoch, line1, line2)
            )""",
            "CREATE INDEX element_sets_by_object_epoch ON element_sets (norad_id, epoch)",
            "CREATE INDEX objects_by_type ON objects (type)",
            "CREATE INDEX objects_by_owner ON objects (owner)",
        ],
    ),
    (
        2,
        [
            # where an owner came from: 'metadata' (a metadata file) or 'launch' (inherited
            # from a payload of the same launch, catalog.owners.inherit_launch_owners)
            "ALTER TABLE objects ADD COLUMN owner_source TEXT NOT NULL DEFAULT ''",
            "UPDATE objects SET owner_source = 'metadata' WHERE owner != ''",
            # GCAT markup stored by version 1 ('[US]', 'CN*', 'I-ESA]*') is not part of a code
            """UPDATE objects SET owner = REPLACE(REPLACE(REPLACE(REPLACE(owner, '[', ''),
                ']', ''), '*', ''), '?', '')""",
        ],
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

_ELSET_COLS = (
    "norad_id, epoch, line1, line2, name, cospar, classification, inclination_deg, raan_deg, "
    "eccentricity, arg_perigee_deg, mean_anomaly_deg, mean_motion_rev_day, bstar, "
    "mean_motion_dot, mean_motion_ddot, element_set_no, rev_at_epoch, source"
)


def _epoch_text(ep: datetime) -> str:
    if ep.tzinfo is None:
        ep = ep.replace(tzinfo=UTC)
    return ep.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _epoch_from_text(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _row_to_elset(r: sqlite3.Row | tuple) -> ElementSet:
    return ElementSet(
        norad_id=r[0],
        epoch=_epoch_from_text(r[1]),
        line1=r[2],
        line2=r[3],
        name=r[4],
        cospar_id=r[5],
        classification=r[6],
        inclination_deg=r[7],
        raan_deg=r[8],
        eccentricity=r[9],
        arg_perigee_deg=r[10],
        mean_anomaly_deg=r[11],
        mean_motion_rev_day=r[12],
        bstar=r[13],
        mean_motion_dot=r[14],
        mean_motion_ddot=r[15],
        element_set_no=r[16],
        rev_at_epoch=r[17],
        source=r[18],
    )


class SqliteCatalogStore(CatalogStore):
    """The catalog in one SQLite file (WAL journal); ``":memory:"`` for a throw-away store."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._depth = 0
        c = self._conn
        if self.path != ":memory:":
            c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA synchronous=NORMAL")
        c.execute("PRAGMA foreign_keys=ON")
        c.execute("PRAGMA temp_store=MEMORY")
        c.execute("PRAGMA cache_size=-65536")
        self._migrate()

    # -- schema -----------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self.transaction():
            self._conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                for sql in statements:
                    self._conn.execute(sql)
                self._conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    @property
    def schema_version(self) -> int:
        return self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if outer:
                    self._conn.execute("COMMIT")

    # -- writes -----------------------------------------------------------------------------

    def add_element_sets(self, elsets: Sequence[ElementSet]) -> int:
        if not elsets:
            return 0
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        latest: dict[int, ElementSet] = {}
        for e in elsets:
            cur = latest.get(e.norad_id)
            if cur is None or e.epoch >= cur.epoch:
                latest[e.norad_id] = e
        objects = [
            (n, e.name, e.cospar_id, infer_object_type(e.name, e.cospar_id).value)
            for n, e in latest.items()
        ]
        rows = [
            (
                e.norad_id,
                _epoch_text(e.epoch),
                e.line1,
                e.line2,
                e.name,
                e.cospar_id,
                e.classification,
                e.inclination_deg,
                e.raan_deg,
                e.eccentricity,
                e.arg_perigee_deg,
                e.mean_anomaly_deg,
                e.mean_motion_rev_day,
                e.bstar,
                e.mean_motion_dot,
                e.mean_motion_ddot,
                e.element_set_no,
                e.rev_at_epoch,
                e.source,
                now,
            )
            for e in elsets
        ]
        with self.transaction():
            c = self._conn
            c.executemany(
                """INSERT INTO objects (norad_id, name, cospar, type, type_source)
                VALUES (?, ?, ?, ?, 'inferred')
                ON CONFLICT (norad_id) DO UPDATE SET
                  name = CASE WHEN excluded.name != '' THEN excluded.name ELSE objects.name END,
                  cospar = CASE WHEN objects.cospar = '' THEN excluded.cospar
                           ELSE objects.cospar END,
                  type = CASE WHEN objects.type_source = 'metadata' THEN objects.type
                         ELSE excluded.type END""",
                objects,
            )
            before = c.total_changes
            c.executemany(
                f"INSERT OR IGNORE INTO element_sets ({_ELSET_COLS}, imported_at) "
                f"VALUES ({', '.join('?' * 20)})",
                rows,
            )
            new = c.total_changes - before
            self._inherit_launch_owners()
            return new

    def apply_metadata(self, records: Sequence[ObjectMetadata]) -> int:
        rows = []
        for m in records:
            if m.object_type is not None:
                otype, tsrc = m.object_type.value, "metadata"
            else:
                otype, tsrc = infer_object_type(m.name, m.cospar_id).value, "inferred"
            rows.append(
                (
                    m.norad_id,
                    m.name,
                    m.cospar_id,
                    otype,
                    tsrc,
                    m.owner,
                    m.launch_date.isoformat() if m.launch_date else None,
                    m.hbr_m,
                    m.mass_kg,
                )
            )
        with self.transaction():
            c = self._conn
            before = c.total_changes
            c.executemany(
                """INSERT INTO objects (norad_id, name, cospar, type, type_source, owner,
                    launch_date, hbr_m, mass_kg)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (norad_id) DO UPDATE SET
                  name = CASE WHEN objects.name = '' THEN excluded.name ELSE objects.name END,
                  cospar = CASE WHEN excluded.cospar != '' THEN excluded.cospar
                           ELSE objects.cospar END,
                  type = CASE WHEN excluded.type_source = 'metadata' THEN excluded.type
                         ELSE objects.type END,
                  type_source = CASE WHEN excluded.type_source = 'metadata' THEN 'metadata'
                                ELSE objects.type_source END,
                  owner = CASE WHEN excluded.owner != '' THEN excluded.owner ELSE objects.owner END,
                  owner_source = CASE WHEN excluded.owner != '' THEN 'metadata'
                                 ELSE objects.owner_source END,
                  launch_date = COALESCE(excluded.launch_date, objects.launch_date),
                  hbr_m = COALESCE(excluded.hbr_m, objects.hbr_m),
                  mass_kg = COALESCE(excluded.mass_kg, objects.mass_kg)""",
                rows,
            )
            changed = c.total_changes - before
            self._inherit_launch_owners()
            return changed

    def _inherit_launch_owners(self) -> None:
        """Give objects without an owner their launch's owner (debris and rocket bodies have
        no payload metadata row); marked ``owner_source = 'launch'``."""
        c = self._conn
        rows = c.execute(
            "SELECT norad_id, cospar, owner, type, owner_source FROM objects WHERE cospar != ''"
        ).fetchall()
        owners = [r[2] if r[4] != "launch" else "" for r in rows]
        filled = inherit_launch_owners(
            [r[1] for r in rows], owners, [r[3] == ObjectType.PAYLOAD.value for r in rows]
        )
        updates = [
            (new, r[0])
            for r, old, new in zip(rows, owners, filled, strict=True)
            if not old and new != r[2]
        ]
        c.executemany(
            "UPDATE objects SET owner = ?, owner_source = 'launch' WHERE norad_id = ?", updates
        )

    # -- reads ------------------------------------------------------------------------------

    _LATEST_SQL = f"""SELECT {_ELSET_COLS} FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY norad_id ORDER BY epoch DESC, id DESC) AS rn
        FROM element_sets {{where}}) WHERE rn = 1 ORDER BY norad_id"""

    # julianday() reads the stored 'YYYY-MM-DDTHH:MM:SS.ffffffZ' text to the millisecond,
    # which is far finer than the age limits this ranking serves.
    _WINDOW_SQL = f"""SELECT {_ELSET_COLS} FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY norad_id ORDER BY
            MAX(julianday(?) - julianday(epoch), julianday(epoch) - julianday(?), 0.0),
            epoch DESC, id DESC) AS rn
        FROM element_sets) WHERE rn = 1 ORDER BY norad_id"""

    def element_sets_for_window(self, start: datetime, end: datetime) -> list[ElementSet]:
        if end < start:
            raise ValueError("window end before its start")
        with self._lock:
            cur = self._conn.execute(self._WINDOW_SQL, (_epoch_text(start), _epoch_text(end)))
            return [_row_to_elset(r) for r in cur]

    def latest_element_sets(self, norad_ids: Iterable[int] | None = None) -> list[ElementSet]:
        with self._lock:
            if norad_ids is None:
                cur = self._conn.execute(self._LATEST_SQL.format(where=""))
                return [_row_to_elset(r) for r in cur]
            ids = sorted({int(i) for i in norad_ids})
            out: list[ElementSet] = []
            for k in range(0, len(ids), 900):  # SQLite host-parameter limit
                chunk = ids[k : k + 900]
                sql = self._LATEST_SQL.format(
                    where=f"WHERE norad_id IN ({', '.join('?' * len(chunk))})"
                )
                out.extend(_row_to_elset(r) for r in self._conn.execute(sql, chunk))
            return out

    def history(
        self, norad_id: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[ElementSet]:
        sql = f"SELECT {_ELSET_COLS} FROM element_sets WHERE norad_id = ?"
        args: list = [int(norad_id)]
        if start is not None:
            sql += " AND epoch >= ?"
            args.append(_epoch_text(start))
        if end is not None:
            sql += " AND epoch <= ?"
            args.append(_epoch_text(end))
        sql += " ORDER BY epoch, id"
        with self._lock:
            return [_row_to_elset(r) for r in self._conn.execute(sql, args)]

    def _objects(self, where: str = "", args: Sequence = ()) -> list[SpaceObject]:
        sql = (
            "SELECT norad_id, name, cospar, type, owner, launch_date, hbr_m, mass_kg "
            f"FROM objects {where} ORDER BY norad_id"
        )
        with self._lock:
            rows = self._conn.execute(sql, list(args)).fetchall()
        return [
            SpaceObject(
                norad_id=r[0],
                name=r[1],
                cospar_id=r[2],
                object_type=ObjectType(r[3]),
                owner=r[4],
                launch_date=date.fromisoformat(r[5]) if r[5] else None,
                hbr_m=r[6],
                mass_kg=r[7],
            )
            for r in rows
        ]

    def get_object(self, norad_id: int) -> SpaceObject | None:
        objs = self._objects("WHERE norad_id = ?", [int(norad_id)])
        if not objs:
            return None
        obj = objs[0]
        obj.element_sets = self.latest_element_sets([obj.norad_id])
        return obj

    def list_objects(
        self,
        types: Iterable[ObjectType | str] | None = None,
        owners: Iterable[str] | None = None,
        regime: str | Iterable[str] | None = None,
        with_elements: bool = True,
    ) -> list[SpaceObject]:
        clauses: list[str] = []
        args: list = []
        if types is not None:
            tv = [ObjectType.parse(t).value if isinstance(t, str) else t.value for t in types]
            clauses.append(f"type IN ({', '.join('?' * len(tv))})")
            args.extend(tv)
        if owners is not None:
            ov = owner_query_codes(owners)
            clauses.append(f"owner IN ({', '.join('?' * len(ov))})")
            args.extend(ov)
        if with_elements or regime is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM element_sets e WHERE e.norad_id = objects.norad_id)"
            )
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        objs = self._objects(where, args)
        if not objs:
            return objs
        latest = {e.norad_id: e for e in self.latest_element_sets()}
        for o in objs:
            e = latest.get(o.norad_id)
            o.element_sets = [e] if e is not None else []
        if regime is None:
            return objs
        wanted = {regime.upper()} if isinstance(regime, str) else {r.upper() for r in regime}
        bad = wanted - set(REGIMES)
        if bad:
            raise ValueError(f"unknown regime(s) {sorted(bad)}; expected one of {REGIMES}")
        n = np.array([o.element_sets[0].mean_motion_rev_day for o in objs])
        ecc = np.array([o.element_sets[0].eccentricity for o in objs])
        inc = np.array([o.element_sets[0].inclination_deg for o in objs])
        labels = regimes_from_mean_motion(n, ecc, inc)
        keep = np.isin(labels, list(wanted))
        return [o for o, k in zip(objs, keep, strict=True) if k]

    def count_objects(self, with_elements: bool = True) -> int:
        sql = "SELECT COUNT(*) FROM objects"
        if with_elements:
            sql += (
                " WHERE EXISTS (SELECT 1 FROM element_sets e WHERE e.norad_id = objects.norad_id)"
            )
        with self._lock:
            return self._conn.execute(sql).fetchone()[0]

    def count_element_sets(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM element_sets").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
