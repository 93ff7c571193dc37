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
import math
import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

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


#: Nesting below this depth is replaced by a marker string: the log and the server must
#: be able to serialize (and a browser to parse) whatever they hold.
MAX_DEPTH = 64
#: Integers beyond +-2**63 leave JSON's portable range: they are served as decimal strings.
_INT_LIMIT = 2**63


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(s: str) -> str:
    """``s`` as valid Unicode: lone surrogates (which UTF-8 cannot encode) become U+FFFD."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", s)
    return s


def _int(i: int) -> int | str:
    if -_INT_LIMIT < i < _INT_LIMIT:
        return i
    try:
        return str(i)
    except ValueError:  # beyond Python's int->str digit limit
        return f"<integer of {i.bit_length()} bits>"


def jsonable(obj: Any, _depth: int = 0) -> Any:
    """A JSON-safe copy: numpy scalars/arrays, datetimes (ISO UTC, ``Z``), sets, tuples,
    dataclass-like objects; non-finite floats become ``None``; strings are valid Unicode
    (lone surrogates -> U+FFFD); integers beyond +-2**63 become decimal strings; nesting
    deeper than :data:`MAX_DEPTH` becomes a marker string.  The one serializer for what
    reaches the event log and what the server sends (see :func:`dumps`)."""
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return _int(int(obj))
    if isinstance(obj, str):
        return _text(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if _depth >= MAX_DEPTH and isinstance(obj, dict | list | tuple | set | frozenset):
        return f"<nested deeper than {MAX_DEPTH}>"
    d = _depth + 1
    if isinstance(obj, np.generic):
        return jsonable(obj.item(), d) if not isinstance(obj, np.datetime64) else _iso64(obj)
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "M":
            return [_iso64(t) for t in obj.ravel()]
        return jsonable(obj.tolist(), _depth)
    if isinstance(obj, datetime):
        if obj.tzinfo is not None:
            obj = obj.astimezone(UTC).replace(tzinfo=None)
        return obj.isoformat() + "Z"
    if isinstance(obj, dict):
        return {_text(str(k)): jsonable(v, d) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v, d) for v in obj]
    if hasattr(obj, "total_seconds"):
        return obj.total_seconds()
    if hasattr(obj, "model_dump"):
        return jsonable(obj.model_dump(mode="json", by_alias=True, exclude_none=True), d)
    if hasattr(obj, "__dataclass_fields__"):
        return {k: jsonable(getattr(obj, k), d) for k in obj.__dataclass_fields__}
    if hasattr(obj, "value"):  # enums
        return jsonable(obj.value, d)
    return _text(str(obj))


def dumps(obj: Any, **kw: Any) -> str:
    """JSON text of :func:`jsonable` ``(obj)``: strict (no NaN), always encodable as UTF-8."""
    return json.dumps(jsonable(obj), allow_nan=False, **kw)


def _iso64(t: np.datetime64) -> str:
    s = str(np.datetime64(t, "us"))
    return (s[:-7] if s.endswith(".000000") else s) + "Z"


def visible(visible_to: list[str], team: str | None) -> bool:
    """Whether ``team`` (``None`` = white/evaluators) may see an event."""
    if team is None:
        return True
    return "*" in visible_to or team in visible_to


class EventLog:
    """Append-only event store of one run (``RUN_DIR/events.sqlite``).

    Appends are buffered in one transaction until :meth:`commit` (the engine commits after
    each processed queue entry and after each player/EXCON input, so a crash loses at
    most the entry being processed).  Thread-safe."""

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
        """Events after ``after_seq`` visible to ``team`` (``None`` = white: all)."""
        q = "SELECT seq, sim_time_utc, wall_time_utc, kind, team, visible_to, payload FROM events"
        q += " WHERE seq > ?"
        args: list[Any] = [after_seq]
        if kinds:
            q += f" AND kind IN ({','.join('?' * len(kinds))})"
            args += list(kinds)
        q += " ORDER BY seq"
        with self._lock:
            rows = self._db.execute(q, args).fetchall()
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

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self.commit()
            self._db.close()
