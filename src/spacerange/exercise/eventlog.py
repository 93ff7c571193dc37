"""The exercise event log: an append-only SQLite table (WAL journal), the single source of
truth of a run.  Everything that happened (inject releases, truth events, detections,
player actions, ratings, EXCON commands) is one row; the report and the server read it,
and :meth:`spacerange.exercise.engine.Exercise.open` replays it after a crash.

Schema (see the engine contract)::

    events(seq INTEGER PRIMARY KEY, sim_time_utc TEXT, wall_time_utc TEXT, kind TEXT,
           team TEXT NULL, visible_to TEXT /* JSON list; [] white only; ["*"] all */,
           payload TEXT /* JSON */)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spacerange.jsonio import MAX_DEPTH, dumps, jsonable

__all__ = ["EventLog", "jsonable", "dumps", "visible", "MAX_DEPTH"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    sim_time_utc TEXT NOT NULL,
    wall_time_utc TEXT NOT NULL,
    kind TEXT NOT NULL,
    team TEXT NULL,
    visible_to TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind);
"""


def visible(visible_to: list[str], team: str | None) -> bool:
    """Whether ``team`` (``None`` = white/evaluators) may see an event."""
    if team is None:
        return True
    return "*" in visible_to or team in visible_to


class EventLog:
    """Append-only event store of one run (``RUN_DIR/events.sqlite``).

    Appends are buffered in one transaction until :meth:`commit` (the engine commits after
    each processed queue entry and after each player/EXCON input, so a crash loses at
    most the entry being processed).  Thread-safe.

    :meth:`events` reads through the writing connection, so it also returns the open
    transaction's rows; :meth:`committed` reads through a second, read-only connection
    that sees only committed rows (WAL lets it read while the writer appends), so a
    reader on another thread never waits for, nor sees half of, the entry being
    processed."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._in_tx = False
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        self.last_seq = int(row[0])
        self._ro_lock = threading.Lock()
        self._ro: sqlite3.Connection | None = None

    def append(
        self,
        sim_time_utc: str,
        kind: str,
        payload: dict,
        team: str | None = None,
        visible_to: list[str] | None = None,
    ) -> int:
        """Append one event; returns its ``seq``."""
        with self._lock:
            if not self._in_tx:
                self._db.execute("BEGIN")
                self._in_tx = True
            self.last_seq += 1
            self._db.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    self.last_seq,
                    sim_time_utc,
                    datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z",
                    kind,
                    team,
                    dumps(list(visible_to or [])),
                    dumps(payload, sort_keys=True),
                ),
            )
            return self.last_seq

    def commit(self) -> None:
        with self._lock:
            if self._in_tx:
                self._db.execute("COMMIT")
                self._in_tx = False

    def events(
        self,
        after_seq: int = 0,
        team: str | None = None,
        kinds: tuple[str, ...] | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        """Events after ``after_seq`` visible to ``team`` (``None`` = white: all), the
        open transaction's included."""
        q, args = _query(after_seq, kinds)
        with self._lock:
            rows = self._db.execute(q, args).fetchall()
        return _decode(rows, team, limit)

    def committed(
        self, after_seq: int = 0, team: str | None = None, limit: int | None = None
    ) -> list[dict]:
        """Committed events after ``after_seq`` visible to ``team``, at most ``limit``
        of them (in ``seq`` order), read without the writer's lock: any thread may call
        it while another appends."""
        q, args = _query(after_seq, None)
        with self._ro_lock:
            if self._ro is None:
                uri = self.path.resolve().as_uri() + "?mode=ro"
                self._ro = sqlite3.connect(uri, uri=True, check_same_thread=False)
            cur = self._ro.execute(q, args)
            try:
                # Decoded while the cursor streams, so a reader stops after ``limit``
                # visible rows instead of loading the whole log.
                return _decode(cur, team, limit)
            finally:
                cur.close()  # ends the read snapshot (a live cursor would pin it)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self.commit()
            self._db.close()
        with self._ro_lock:
            if self._ro is not None:
                self._ro.close()
                self._ro = None


def _query(after_seq: int, kinds: tuple[str, ...] | None) -> tuple[str, list[Any]]:
    q = "SELECT seq, sim_time_utc, wall_time_utc, kind, team, visible_to, payload FROM events"
    q += " WHERE seq > ?"
    args: list[Any] = [after_seq]
    if kinds:
        q += f" AND kind IN ({','.join('?' * len(kinds))})"
        args += list(kinds)
    return q + " ORDER BY seq", args


def _decode(rows: Iterable[tuple], team: str | None, limit: int | None) -> list[dict]:
    out = []
    for seq, sim, wall, kind, tm, vis, payload in rows:
        vis_l = json.loads(vis)
        if not visible(vis_l, team):
            continue
        out.append(
            {
                "seq": seq,
                "sim_time_utc": sim,
                "wall_time_utc": wall,
                "kind": kind,
                "team": tm,
                "visible_to": vis_l,
                "payload": json.loads(payload),
            }
        )
        if limit is not None and len(out) >= limit:
            break
    return out
