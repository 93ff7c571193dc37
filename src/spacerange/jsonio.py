"""The one JSON serializer: engine output (numpy, datetimes, dataclasses, pydantic models,
enums) as plain JSON types, with a single time format and no NaN.

* instants (``datetime``, ``datetime64``) -> ISO 8601 UTC text with ``Z``
  (:func:`spacerange.timescales.iso_utc`: microseconds, trimmed when zero);
* durations -> seconds; ``date`` -> ``YYYY-MM-DD``; paths -> text;
* non-finite floats -> ``None`` (JSON has no NaN; a missing number is ``null``, never 0);
* numpy scalars and arrays, sets and tuples -> numbers and lists;
* dataclasses, pydantic models (JSON mode, aliases, no ``None`` fields) and enums (value).

Anything else raises ``TypeError``: an object the serializer does not know is a bug to
fix, not text to guess.  :func:`dumps` writes compact JSON that refuses NaN.  The event
log, the exercise engine and the CLI use it; the server can (``spacerange.server``).
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePath
from typing import Any

import numpy as np

from spacerange.timescales import iso_utc

__all__ = ["MAX_DEPTH", "jsonable", "json_default", "dumps"]


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
    """A JSON-safe copy of ``obj`` (see the module docstring).  Hostile input is made safe,
    never refused: strings become valid Unicode (lone surrogates -> U+FFFD), integers
    beyond +-2**63 decimal strings, nesting deeper than :data:`MAX_DEPTH` a marker."""
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
    if isinstance(obj, dict):
        return {_text(str(k)): jsonable(v, d) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v, d) for v in obj]
    if isinstance(obj, np.datetime64):
        return iso_utc(obj)
    if isinstance(obj, np.generic):
        return jsonable(obj.item(), d)
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "M":
            return [iso_utc(t) for t in obj.ravel()]
        return jsonable(obj.tolist(), _depth)
    if isinstance(obj, datetime):
        if obj.tzinfo is not None:
            obj = obj.astimezone(UTC).replace(tzinfo=None)
        return obj.isoformat() + "Z"
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, timedelta):
        return obj.total_seconds()
    if isinstance(obj, PurePath):
        return str(obj)
    if hasattr(obj, "model_dump"):
        return jsonable(obj.model_dump(mode="json", by_alias=True, exclude_none=True), d)
    if hasattr(obj, "__dataclass_fields__") and not isinstance(obj, type):
        return {k: jsonable(getattr(obj, k), d) for k in obj.__dataclass_fields__}
    if hasattr(obj, "value") and hasattr(type(obj), "__members__"):  # enums
        return jsonable(obj.value, d)
    if hasattr(obj, "total_seconds"):
        return float(obj.total_seconds())
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def json_default(obj: Any) -> Any:
    """``default=`` hook for :func:`json.dumps` (same conversions as :func:`jsonable`)."""
    return jsonable(obj)


def dumps(obj: Any, **kw: Any) -> str:
    """Compact JSON text of ``obj`` after :func:`jsonable` (NaN refused)."""
    return json.dumps(jsonable(obj), allow_nan=False, **kw)
