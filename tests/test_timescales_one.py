"""One UTC/time module: the exercise's time helpers are those of ``spacerange.timescales``
(the copies in clock, world and the event log disagreed on offsets and naive input)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from spacerange.exercise import clock, eventlog, world
from spacerange.timescales import iso_utc, iso_utc_many, parse_utc, timedelta_us

CASES = ["2026-03-04T00:00:00Z", "2026-03-04T00:00:00.25Z", "2026-03-04T01:00:00+01:00",
         "2026-03-04T00:00:00-02:00", " 2026-03-04T01:02:03z ", "2026-03-04",
         datetime(2026, 3, 4, 1, tzinfo=UTC), np.datetime64("2026-03-04T05:06:07.5")]  # fmt: skip


@pytest.mark.parametrize("t", CASES)
def test_every_parser_is_the_same(t):
    want = parse_utc(t)
    assert clock.to_dt64(t) == want
    assert world.to_utc64(t) == want
    assert clock.iso(want) == iso_utc(want) == eventlog.jsonable(want)
    assert world._iso(want) == iso_utc(want, "s")


def test_many_instants_format_as_one_at_a_time():
    ts = [parse_utc(t) for t in CASES] + [np.datetime64("2026-03-04T00:00:00.999999"),
                                          np.datetime64("NaT")]  # fmt: skip
    for precision in ("us", "s"):
        assert iso_utc_many(ts, precision) == [iso_utc(t, precision) for t in ts]


def test_negative_offset_parses_without_numpy_timezone_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clock.to_dt64("2026-03-04T00:00:00-02:00") == np.datetime64("2026-03-04T02:00")


def test_world_refuses_naive_datetimes_and_durations_agree():
    with pytest.raises(ValueError, match="naive"):
        world.to_utc64(datetime(2026, 3, 4))
    with pytest.raises(TypeError):
        clock.to_dt64(12345)
    assert clock.seconds(timedelta(minutes=2)) == world._td64(120.0) == timedelta_us(120)
