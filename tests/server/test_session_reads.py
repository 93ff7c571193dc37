"""The live session keeps reads responsive while the engine works (the CA drill, the real
engine in-process): a log read never queues behind the engine thread and never shows an
entry the engine has not committed; a clock tick at top speed steps the engine in chunks,
so a command or view queued meanwhile waits for one chunk, not for the whole tick.

Found by the API fuzzer on a slow CI machine: ``GET /api/exercise/events`` timed out
after 10 s while the fuzzer's EXCON ``speed``/``start`` calls had the engine stepping."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from spacerange.server.auth import Principal
from spacerange.server.engine import ExerciseSession, event_visible
from spacerange.server.store import Store

WHITE = Principal(1, "white", "white", None, "s1")
BLUE = Principal(2, "ardenia", "blue", "ardenia-ops", "s2")


def _play(scenario_file, tmp_path, body, **kw) -> None:
    """``await body(session)`` on a started session of the drill, then stop it."""

    async def go():
        sess = ExerciseSession(scenario_file, tmp_path / "run",
                               Store(f"sqlite:///{tmp_path / 'server.sqlite'}"), **kw)  # fmt: skip
        await sess.start()
        try:
            await body(sess)
        finally:
            await sess.stop()
            sess.store.close()

    asyncio.run(go())


def test_a_log_read_neither_waits_for_the_engine_nor_sees_its_open_entry(scenario_file, tmp_path):
    async def body(sess: ExerciseSession) -> None:
        before = [e["seq"] for e in await sess.events_for(WHITE, 0, 5000)]
        assert before, "STARTEX logs events"
        held, release = threading.Event(), threading.Event()

        def busy() -> int:
            # What a long step does on the engine thread: append, not yet committed.
            seq = sess.ex.log.append("2026-03-04T06:00:00Z", "test_open_entry", {"n": 1})
            held.set()
            release.wait(60)
            return seq

        blocker = asyncio.ensure_future(sess.call(busy))
        while not held.is_set():
            await asyncio.sleep(0.01)
        # The engine thread is held: the old read (queued on it) would wait 60 s.
        during = await asyncio.wait_for(sess.events_for(WHITE, 0, 5000), 5.0)
        assert [e["seq"] for e in during] == before
        release.set()
        seq = await blocker
        await sess.call(sess.ex.log.commit)
        after = await asyncio.wait_for(sess.events_for(WHITE, 0, 5000), 5.0)
        assert [e["seq"] for e in after] == [*before, seq]
        assert after[-1]["kind"] == "test_open_entry"

    _play(scenario_file, tmp_path, body, tick_s=3600.0)  # the clock stays idle


def test_a_teams_log_pages_are_what_it_may_see_in_order(scenario_file, tmp_path):
    async def body(sess: ExerciseSession) -> None:
        await sess.jump_next()
        await sess.jump_next()
        every = await sess.call(sess.ex.events, 0, None)
        mine = [e["seq"] for e in every if event_visible(e, BLUE, sess.roles)]
        assert 3 < len(mine) < len(every), "the team sees some events, not all"
        paged, cursor = [], 0
        while page := await sess.events_for(BLUE, cursor, 3):
            assert len(page) <= 3
            paged += [e["seq"] for e in page]
            cursor = page[-1]["seq"]
        assert paged == mine

    _play(scenario_file, tmp_path, body, tick_s=3600.0)


def _record_steps(sess: ExerciseSession) -> tuple[list[float], threading.Event]:
    """The scenario seconds of each ``Exercise.step`` call from now on, and an event set
    at the first."""
    spans: list[float] = []
    first = threading.Event()
    step = sess.ex.step

    def recording_step(seconds_: float) -> None:
        spans.append(seconds_)
        first.set()
        step(seconds_)

    sess.ex.step = recording_step
    return spans, first


def test_a_top_speed_tick_steps_the_engine_in_chunks_and_publishes_each(scenario_file, tmp_path):
    async def body(sess: ExerciseSession) -> None:
        stepped_to, published_at = [], []
        step, publish = sess.ex.step, sess.publish_new

        def recording_step(seconds_: float) -> None:
            step(seconds_)
            stepped_to.append(sess.ex.clock_utc)

        async def recording_publish() -> None:
            published_at.append(sess.ex.clock_utc)
            await publish()

        sess.ex.step, sess.publish_new = recording_step, recording_publish
        spans, _ = _record_steps(sess)
        await sess.start_clock()
        for _ in range(600):  # the drill's 12 h at 100,000x: seconds of wall time
            if sess.finished:
                break
            await asyncio.sleep(0.1)
        assert sess.finished, "the clock ran the drill to ENDEX"
        # One tick of 0.2-1 s wall is 20,000-100,000 scenario seconds.
        assert spans and max(spans) <= sess.max_step_s
        # each chunk's events went out when it ended, not after the tick's last chunk
        assert set(stepped_to) <= set(published_at)

    _play(scenario_file, tmp_path, body, tick_s=0.2, speed=100_000.0)


def test_a_jump_steps_in_chunks_and_lets_a_queued_call_through(scenario_file, tmp_path):
    async def body(sess: ExerciseSession) -> None:
        spans, first_chunk = _record_steps(sess)
        target = await sess.call(sess.ex.next_event_utc)
        gap_s = (target - sess.ex.clock_utc) / np.timedelta64(1, "s")
        assert gap_s > 2 * sess.max_step_s, "the drill's first item is an hour away"
        order: list[str] = []

        async def jump() -> dict:
            out = await sess.jump_next()
            order.append("jump")
            return out

        task = asyncio.ensure_future(jump())
        while not first_chunk.is_set() and not task.done():
            await asyncio.sleep(0.001)
        await sess.call(lambda: order.append("queued call"))
        out = await task
        # the call queued during the jump ran between its chunks, not after it
        assert order == ["queued call", "jump"]
        assert spans and max(spans) <= sess.max_step_s
        assert out["sim_time_utc"] == sess.clock_iso
        assert sess.ex.clock_utc == target, "the jump still lands on the next item"

    _play(scenario_file, tmp_path, body, tick_s=3600.0)
