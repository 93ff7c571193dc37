"""The one serializer (``spacerange.exercise.eventlog.jsonable``/``dumps``): whatever
reaches the event log can always be served back.  Hypothesis over arbitrary JSON-like
values with lone surrogates, NaN/infinities, huge integers and deep nesting; plus the
strict parser used at the HTTP and WebSocket boundary."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacerange.exercise.eventlog import MAX_DEPTH, EventLog, dumps, jsonable

pytest.importorskip("fastapi")

from spacerange.server.limits import JSONLimitError, SafeJSONResponse, strict_loads  # noqa: E402

# every code point, surrogates included (hypothesis leaves them out unless asked)
CHARS = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
TEXT = st.text(CHARS, max_size=20) | st.sampled_from(["\ud800", "a\udfffb", "\ud83d", ""])
HUGE = st.sampled_from([2**63, -(2**63), 10**400]) | st.integers(4400, 6000).map(
    lambda n: -(10**n)  # beyond Python's int->str limit
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
)


def _nest(depth: int, leaf):
    for _ in range(depth):
        leaf = [leaf] if depth % 2 else {"k": leaf}
    return leaf


DEEP = st.tuples(st.integers(MAX_DEPTH - 2, 3000), SCALARS).map(lambda t: _nest(*t))
VALUES = st.recursive(
    SCALARS | DEEP,
    lambda kids: st.lists(kids, max_size=5) | st.dictionaries(TEXT, kids, max_size=5),
    max_leaves=30,
)


def _check_clean(v, depth=0) -> None:
    """Plain JSON types only, finite floats, encodable strings, ints within +-2**63."""
    assert depth <= MAX_DEPTH + 1
    if isinstance(v, dict):
        for k, x in v.items():
            k.encode("utf-8")
            _check_clean(x, depth + 1)
    elif isinstance(v, list):
        for x in v:
            _check_clean(x, depth + 1)
    elif isinstance(v, str):
        v.encode("utf-8")
    elif isinstance(v, float):
        assert math.isfinite(v)
    elif isinstance(v, int) and not isinstance(v, bool):
        assert -(2**63) < v < 2**63
    else:
        assert v is None or isinstance(v, bool)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VALUES)
def test_serializer_accepts_anything_and_round_trips(value):
    clean = jsonable(value)
    _check_clean(clean)
    assert jsonable(clean) == clean  # idempotent: serving it again changes nothing
    text = dumps(value)
    text.encode("utf-8")
    assert json.loads(text) == clean
    body = SafeJSONResponse({"v": value}).body
    assert json.loads(body.decode("utf-8")) == jsonable({"v": value})


def test_serializer_values():
    assert jsonable("a\ud800b") == "a\ufffdb"
    assert jsonable(float("nan")) is None and jsonable(float("-inf")) is None
    assert jsonable(2**64) == str(2**64) and jsonable(7) == 7
    assert jsonable(10**5000).startswith("<integer of ")  # past the int->str limit
    deep = jsonable(_nest(500, 1))
    d = 0
    while isinstance(deep, list | dict):
        deep = deep[0] if isinstance(deep, list) else deep["k"]
        d += 1
    assert d == MAX_DEPTH and deep == f"<nested deeper than {MAX_DEPTH}>"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])  # fmt: skip
@given(VALUES)
def test_whatever_is_logged_reads_back(tmp_path, value):
    log = EventLog(tmp_path / "events.sqlite")
    try:
        seq = log.append("2026-03-04T06:00:00Z", "probe", {"v": value}, "t", ["t"])
        log.commit()
        ev = next(e for e in log.events(seq - 1) if e["seq"] == seq)
        assert ev["payload"] == jsonable({"v": value})
        SafeJSONResponse([ev]).body.decode("utf-8")
    finally:
        log.close()
        (tmp_path / "events.sqlite").unlink()


def _raw(v) -> str:
    """JSON text as a hostile client may send it (NaN tokens, deep nesting...)."""
    try:
        return json.dumps(v)
    except (ValueError, RecursionError):  # huge int, or nesting past the encoder
        return dumps(v)


@settings(max_examples=300, deadline=None)
@given(st.text(CHARS, max_size=200) | VALUES.map(_raw))
def test_strict_loads_fails_only_cleanly(text):
    try:
        out = strict_loads(text)
    except JSONLimitError:
        return
    dumps(out)


@pytest.mark.parametrize(
    "text",
    ["NaN", '{"a": Infinity}', "[-Infinity]", "[" * 17 + "]" * 17, "[" * 100000, "1" * 41, "{"],
)
def test_strict_loads_refuses(text):
    with pytest.raises(JSONLimitError):
        strict_loads(text)
