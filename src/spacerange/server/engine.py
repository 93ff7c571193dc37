"""The one adapter between the server and :class:`spacerange.exercise.engine.Exercise`.

:class:`ExerciseSession` owns an ``Exercise`` (created, or reopened after a crash), runs
its clock in a background asyncio task at the chosen speed (scenario seconds per wall
second), and fans out new log events to WebSocket subscribers, filtered per subscriber.
Every engine call runs on ONE dedicated worker thread (the engine is synchronous and its
SQLite connection belongs to the thread that opened it), so calls are serialized and the
event loop never blocks on simulation work.  Two things keep that queue short: a clock
tick steps the engine in chunks of at most :attr:`ExerciseSession.max_step_s`, and a log
read (``GET /api/exercise/events``) does not queue at all: it reads the log's committed
rows through their own read-only connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from spacerange.exercise.eventlog import dumps, jsonable
from spacerange.exercise.scenario import Scenario
from spacerange.server.auth import Principal
from spacerange.server.boards import action_log, conjunction_board, sensor_sites
from spacerange.server.schemas import TEXT_KINDS
from spacerange.server.store import Store

__all__ = ["ExerciseSession", "jsonable", "event_visible", "team_roles", "redact", "redact_view"]

log = logging.getLogger(__name__)

#: Action kinds each role may submit.  Observers, evaluators and white submit none.
ACTION_ROLES = {"blue", "red"}
#: Event kinds that carry a team's own actions (hidden from other teams unless shared).
_ACTION_KINDS = {"action_submitted", "action_rejected", "action_applied", "action_cancelled"}
#: White-cell fields of events that players may see otherwise: the scripted threat type of
#: an inject (the answer an assessment is scored against) and its ground truth.
_WHITE_FIELDS = {"inject_released": ("threat", "ground_truth", "parent", "reason")}
#: The only ``run_started`` fields players get (not the seed, objectives, standards...).
_RUN_STARTED_PUBLIC = ("scenario_name", "marking", "startex", "endex", "compression", "teams")


def redact(ev: dict, who: Principal) -> dict:
    """``ev`` as ``who`` may read it: white-cell fields removed for players."""
    if who.sees_all:
        return ev
    kind = ev.get("kind")
    p = ev.get("payload")
    if not isinstance(p, dict):
        return ev
    if kind == "run_started":
        return dict(ev, payload={k: p[k] for k in _RUN_STARTED_PUBLIC if k in p})
    drop = _WHITE_FIELDS.get(kind)
    if drop:
        return dict(ev, payload={k: v for k, v in p.items() if k not in drop})
    return ev


def redact_view(view: dict) -> dict:
    """A team view without white-cell fields in its inbox."""
    drop = _WHITE_FIELDS["inject_released"]
    inbox = view.get("inbox")
    if not isinstance(inbox, list):
        return view
    clean = [{k: v for k, v in i.items() if k not in drop} if isinstance(i, dict) else i
             for i in inbox]  # fmt: skip
    return dict(view, inbox=clean)


def with_boards(view: dict, scenario: Any, team: str, now_utc: str | None) -> dict:
    """A team view with its operator boards (``server/boards.py``), each derived from the
    view itself (and public site data): ``conjunction_board``, ``action_log``,
    ``sensor_sites``."""
    board = conjunction_board(view, now_utc)
    return dict(
        view,
        conjunction_board=board,
        action_log=action_log(view, board),
        sensor_sites=sensor_sites(scenario, team) if scenario is not None else [],
    )


def _visible_to(ev: dict) -> list[str]:
    vis = ev.get("visible_to", [])
    if isinstance(vis, str):
        try:
            vis = json.loads(vis)
        except json.JSONDecodeError:
            vis = [vis]
    return list(vis or [])


def _payload(ev: dict) -> dict:
    p = ev.get("payload", {})
    if isinstance(p, str):
        try:
            p = json.loads(p)
        except json.JSONDecodeError:
            p = {"text": p}
    return p if isinstance(p, dict) else {"value": p}


def event_visible(ev: dict, who: Principal, roles: dict[str, str]) -> bool:
    """May ``who`` see log event ``ev``?  White/evaluators/admin: everything.  Others: the
    events addressed to their team or to everyone (``visible_to``), and never another
    team's assessment when the caller is red (defence in depth over the engine's filter)."""
    if who.sees_all:
        return True
    vis = _visible_to(ev)
    if "*" not in vis and (who.team is None or who.team not in vis):
        return False
    kind = ev.get("kind")
    if kind in _ACTION_KINDS:
        p = _payload(ev)
        owner = p.get("team", ev.get("team"))
        action = p.get("action") or {}
        if owner != who.team:
            if who.role == "red" and roles.get(owner) == "blue":
                return False
            if isinstance(action, dict) and action.get("kind") == "assessment":
                return who.role != "red"
    return True


def team_roles(ex: Any) -> dict[str, str]:
    """``{team_id: role}`` from the engine's scenario (or its run_started event)."""
    sc = getattr(ex, "scenario", None)
    if sc is not None and getattr(sc, "teams", None):
        return {t.id: t.role for t in sc.teams}
    for ev in ex.events(after_seq=0, team=None)[:50]:
        if ev.get("kind") == "run_started":
            return {k: v["role"] for k, v in _payload(ev).get("teams", {}).items()}
    return {}


class _Subscriber:
    """One WebSocket's outbox of JSON texts (serialized once for all subscribers)."""

    def __init__(self, who: Principal, maxsize: int = 100_000) -> None:
        self.who = who
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0

    def offer(self, msg: str) -> None:
        try:
            self.queue.put_nowait(msg)
        except asyncio.QueueFull:
            self.dropped += 1


class ExerciseSession:
    """A live exercise: engine + clock task + subscribers.

    ``scenario``: scenario YAML (used only when ``run_dir`` holds no event log yet);
    ``run_dir``: the engine's run directory (reopened with ``Exercise.open`` if it exists);
    ``tick_s``: wall seconds between clock steps; ``speed``: scenario seconds per wall second
    (default: the scenario's compression).  A tick steps the engine in chunks of at most
    :attr:`max_step_s` scenario seconds, one engine-thread call each.
    """

    #: Scenario seconds per engine call of a clock tick (at 100,000x a 0.5 s tick is 14 h).
    max_step_s: float = 600.0

    def __init__(
        self,
        scenario: Path | None,
        run_dir: Path,
        store: Store,
        *,
        tick_s: float = 0.5,
        speed: float | None = None,
        seed: int | None = None,
        autopilots: dict[str, str] | None = None,
    ) -> None:
        self.scenario_path = Path(scenario) if scenario else None
        self.run_dir = Path(run_dir)
        self.store = store
        self.tick_s = tick_s
        self._seed = seed
        self._autopilots = autopilots or {}
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="engine")
        self.ex: Any = None
        self.roles: dict[str, str] = {}
        self.team_names: dict[str, str] = {}
        self.subscribers: set[_Subscriber] = set()
        self.last_seq = 0
        self.version = 0
        self._view_cache: dict[tuple[str, str | None], tuple[int, dict]] = {}
        self._task: asyncio.Task | None = None
        self._stopping = False
        digest = hashlib.sha1(str(self.run_dir.resolve()).encode()).hexdigest()
        self._state_key = "clock:" + digest
        st = store.get_state(self._state_key, {}) or {}
        self.running: bool = bool(st.get("running", False))
        self.speed: float | None = st.get("speed", speed)
        self._saved_clock: str | None = st.get("sim_time_utc")
        self.clock_iso: str | None = None
        self.finished = False

    # ------------------------------------------------------------ lifecycle
    def _open_sync(self) -> None:
        from spacerange.exercise.engine import Exercise

        if (self.run_dir / "events.sqlite").exists():
            self.ex = Exercise.open(self.run_dir)
        else:
            if self.scenario_path is None:
                raise FileNotFoundError(f"{self.run_dir}: no event log and no scenario")
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.ex = Exercise.create(
                self.scenario_path, self.run_dir, seed=self._seed, autopilots=self._autopilots
            )
        self.roles = team_roles(self.ex)
        sc = getattr(self.ex, "scenario", None)
        if sc is not None:
            self.team_names = {t.id: (t.name or t.id) for t in sc.teams}
            if self.speed is None:
                self.speed = float(sc.exercise.compression)
        if self.speed is None:
            self.speed = 60.0
        # Resume the clock where the crashed server had it (deterministic replay + step).
        if self._saved_clock:
            saved = datetime.fromisoformat(self._saved_clock.replace("Z", "+00:00"))
            now = _as_dt(self.ex.clock_utc)
            gap = (saved - now).total_seconds()
            if gap > 0 and not self.ex.finished:
                self.ex.step(gap)
        self.clock_iso = jsonable(_as_dt(self.ex.clock_utc))
        self.finished = bool(self.ex.finished)
        evs = self.ex.events(after_seq=0, team=None)
        self.last_seq = int(evs[-1]["seq"]) if evs else 0

    async def start(self) -> None:
        """Open the exercise (off the event loop) and start the clock task."""
        await self.call(self._open_sync)
        self._persist()
        self._task = asyncio.create_task(self._clock_loop(), name="exercise-clock")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        await self.call(self._close_sync)
        self._pool.shutdown(wait=True)

    def _close_sync(self) -> None:
        close = getattr(self.ex, "close", None)
        if callable(close):
            close()

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the engine thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    def _persist(self) -> None:
        self.store.set_state(
            self._state_key,
            {"running": self.running, "speed": self.speed, "sim_time_utc": self.clock_iso},
        )

    # ----------------------------------------------------------------- clock
    async def _clock_loop(self) -> None:
        last = time.monotonic()
        while not self._stopping:
            await asyncio.sleep(self.tick_s)
            now = time.monotonic()
            dt_wall = min(now - last, 5 * self.tick_s)
            last = now
            try:
                sim_s = dt_wall * float(self.speed or 0.0)
                while sim_s > 0 and self.running and not self.finished and not self._stopping:
                    # a pause stops the rest of the tick; a long tick's events go out
                    # chunk by chunk, not after all of them
                    chunk = min(sim_s, self.max_step_s)
                    sim_s -= chunk
                    await self._step_chunk(chunk, publish=sim_s > 0)
                await self.publish_new()
                self._broadcast_clock()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the clock alive; the error is logged
                log.exception("clock tick failed")

    async def _step_chunk(self, sim_s: float, publish: bool) -> None:
        """Step the engine ``sim_s`` (at most :attr:`max_step_s`) scenario seconds in one
        engine call and persist the clock: a command or view queued meanwhile runs between
        chunks instead of after a whole tick or jump.  ``publish``: send the new events and
        the clock now (every chunk but a tick's last, which its loop publishes)."""
        await self.call(self._step_sync, sim_s)
        self._persist()
        if publish:
            await self.publish_new()
            self._broadcast_clock()

    def _step_sync(self, sim_s: float) -> None:
        if sim_s > 0:
            self.ex.step(sim_s)
        self.clock_iso = jsonable(_as_dt(self.ex.clock_utc))
        self.finished = bool(self.ex.finished)
        if self.finished:
            self.running = False
        self.version += 1

    def clock_message(self) -> dict:
        return {
            "type": "clock",
            "sim_time_utc": self.clock_iso,
            "speed": self.speed,
            "running": self.running,
            "paused": not self.running,
            "finished": self.finished,
            "server_time": time.time(),
        }

    def _broadcast_clock(self) -> None:
        msg = dumps(self.clock_message())
        for sub in list(self.subscribers):
            sub.offer(msg)

    async def publish_new(self) -> None:
        """Push log events newer than ``last_seq`` to each subscriber that may see them."""
        evs = await self.call(self.ex.events, self.last_seq, None)
        if not evs:
            return
        self.last_seq = int(evs[-1]["seq"])
        self.version += 1
        sent = time.time()
        for ev in evs:
            ev = jsonable(ev)
            ev["payload"] = _payload(ev)
            ev["visible_to"] = _visible_to(ev)
            texts: dict[bool, str] = {}
            for sub in list(self.subscribers):
                if event_visible(ev, sub.who, self.roles):
                    white = sub.who.sees_all
                    if white not in texts:
                        texts[white] = dumps(
                            {"type": "event", "event": redact(ev, sub.who), "server_time": sent}
                        )
                    sub.offer(texts[white])

    def publish_message(self, msg: dict) -> None:
        """Push an inter-team message to its sender's and recipient's team and to white."""
        out = dumps({"type": "message", "message": msg, "server_time": time.time()})
        for sub in list(self.subscribers):
            if sub.who.sees_all or sub.who.team in (msg["from_team"], msg["to_team"]):
                sub.offer(out)

    def subscribe(self, who: Principal) -> _Subscriber:
        sub = _Subscriber(who)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: _Subscriber) -> None:
        self.subscribers.discard(sub)

    # --------------------------------------------------------------- queries
    async def team_view(self, team: str) -> dict:
        key = (team, None)
        hit = self._view_cache.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        view = redact_view(jsonable(await self.call(self.ex.team_view, team)))
        view = with_boards(view, self.scenario, team, self.clock_iso)
        self._view_cache[key] = (self.version, view)
        return view

    async def excon_view(self) -> dict:
        key = ("__excon__", None)
        hit = self._view_cache.get(key)
        if hit is not None and hit[0] == self.version:
            return self._with_clock(hit[1])
        view = jsonable(await self.call(self.ex.excon_view))
        self._view_cache[key] = (self.version, view)
        return self._with_clock(view)

    def _with_clock(self, view: dict) -> dict:
        """The server's clock is the one that runs (the engine's own clock only steps when
        told): its speed and pause state are the truth about the live exercise."""
        return dict(view, speed=self.speed, paused=not self.running, running=self.running,
                    finished=self.finished, clock_utc=self.clock_iso or view.get("clock_utc"))  # fmt: skip

    async def events_for(self, who: Principal, after_seq: int, limit: int) -> list[dict]:
        """The first ``limit`` log events after ``after_seq`` that ``who`` may read.

        Read from the log's committed rows on a thread of its own, never queued on the
        engine thread: a log read must not wait for a clock step or a jump (a 100,000x
        step of a whole drill held reads for seconds)."""
        team = None if who.sees_all else who.team
        if not who.sees_all and team is None:
            return []
        out: list[dict] = []
        cursor = after_seq
        while len(out) < limit:
            evs = await asyncio.to_thread(self.ex.committed_events, cursor, team, limit)
            for ev in evs:
                cursor = int(ev["seq"])
                ev = jsonable(ev)
                ev["payload"] = _payload(ev)
                ev["visible_to"] = _visible_to(ev)
                if event_visible(ev, who, self.roles):
                    out.append(redact(ev, who))
                    if len(out) >= limit:
                        break
            if len(evs) < limit:
                break
        return out

    async def whole_log(self) -> list[dict]:
        """Every committed log event (white's reading), read off the engine thread: the
        EXCON boards read the whole log, tens of thousands of rows in the demo."""
        return await asyncio.to_thread(self.ex.committed_events, 0, None)

    async def summary(self) -> dict:
        return jsonable(await self.call(self.ex.summary))

    # ---------------------------------------------------------- action rules
    @property
    def scenario(self) -> Scenario | None:
        return getattr(self.ex, "scenario", None)

    def allowed_recipients(self, who: Principal) -> list[str]:
        """Teams ``who`` may send text to: white/admin any team; a blue team the white cell
        and the blue teams it has a sharing agreement with (either direction); red the
        white cell and the other red teams; evaluators and observers nobody."""
        roles = self.roles
        if who.role in ("white", "admin"):
            return sorted(roles)
        whites = {t for t, r in roles.items() if r == "white"}
        if who.role == "red":
            return sorted((whites | {t for t, r in roles.items() if r == "red"}) - {who.team})
        if who.role == "blue":
            linked: set[str] = set()
            for ag in getattr(self.scenario, "sharing", None) or []:
                if ag.provider == who.team:
                    linked.update(ag.recipients)
                elif who.team in ag.recipients:
                    linked.add(ag.provider)
            linked = {t for t in linked if roles.get(t) == "blue"}
            return sorted((whites | linked) - {who.team})
        return []

    def window(self) -> tuple[datetime, datetime] | None:
        """(STARTEX, ENDEX) of the running scenario, aware UTC."""
        ex = getattr(self.scenario, "exercise", None)
        if ex is None:
            return None
        return _as_dt(ex.startex), _as_dt(ex.endex)

    def action_errors(self, who: Principal, action: dict) -> tuple[int, list[str]]:
        """Server-side rules an action must pass before the engine sees it: the messaging
        rules on every kind that delivers text (403), and instants inside STARTEX..ENDEX
        (422).  ``(status, errors)``; ``(200, [])`` when it may go on."""
        kind = action.get("kind")
        if kind in TEXT_KINDS and action.get("to") is not None:
            to = action["to"]
            targets = [to] if isinstance(to, str) else list(to)
            may = set(self.allowed_recipients(who))
            bad = [t for t in targets if t in self.roles and t not in may]
            if bad:
                return 403, [f"{kind}.to: no sharing arrangement lets you write to "
                             f"{', '.join(map(repr, bad))}"]  # fmt: skip
        win = self.window()
        if win is not None:
            errs = []
            for f in ("epoch_utc", "time_utc", "window_start", "window_end", "most_likely"):
                v = action.get(f)
                if v is None:
                    continue
                try:
                    t = _as_dt(v)
                except (TypeError, ValueError):
                    errs.append(f"{kind}.{f}: not an ISO 8601 UTC instant")
                    continue
                if not win[0] <= t <= win[1]:
                    errs.append(f"{kind}.{f}: {v} is outside the exercise window "
                                f"{jsonable(win[0])} .. {jsonable(win[1])}")  # fmt: skip
            if errs:
                return 422, errs
        return 200, []

    # -------------------------------------------------------------- commands
    async def cancel_action(self, team: str, user: str, seq: int) -> dict:
        """Cancel a pending (accepted, not yet executed) action of ``team``."""
        res = await self.call(self.ex.cancel_action, team, user, seq)
        self.version += 1
        await self.publish_new()
        return {
            "accepted": bool(res.accepted),
            "errors": [str(e) for e in (res.errors or [])],
            "seq": None if res.seq is None else int(res.seq),
        }

    async def submit_action(self, team: str, user: str, action: dict) -> dict:
        res = await self.call(self.ex.submit_action, team, user, action)
        self.version += 1
        await self.publish_new()
        return {
            "accepted": bool(res.accepted),
            "errors": [str(e) for e in (res.errors or [])],
            "seq": None if res.seq is None else int(res.seq),
        }

    async def _excon(self, fn: Callable[[], Any]) -> Any:
        out = await self.call(fn)
        self.version += 1
        self._persist()
        await self.publish_new()
        self._broadcast_clock()
        return jsonable(out)

    async def start_clock(self) -> None:
        def go() -> None:
            starter = getattr(self.ex, "start", None)
            (starter if callable(starter) else self.ex.resume)()
            self.running = not self.ex.finished

        await self._excon(go)

    async def pause_clock(self) -> None:
        def go() -> None:
            self.ex.pause()
            self.running = False

        await self._excon(go)

    async def set_speed(self, speed: float) -> None:
        def go() -> None:
            self.ex.set_speed(speed)
            self.speed = float(speed)

        await self._excon(go)

    async def release_inject(self, serial: str) -> Any:
        return await self._excon(lambda: self.ex.release_inject(serial))

    async def skip_inject(self, serial: str) -> Any:
        return await self._excon(lambda: self.ex.skip_inject(serial))

    async def fire_contingency(self, serial: str) -> Any:
        return await self._excon(lambda: self.ex.fire_contingency(serial))

    async def retime_inject(self, serial: str, at_utc: str) -> Any:
        return await self._excon(lambda: self.ex.retime_inject(serial, at_utc))

    async def check_adhoc(self, inject: dict) -> list[str]:
        """The scenario validator's errors for an ad-hoc inject (empty: it may go)."""
        return list(await self.call(lambda: self.ex.check_adhoc_inject(inject)[1]))

    async def add_inject(self, inject: dict) -> Any:
        return await self._excon(lambda: self.ex.add_inject(inject))

    async def jump_next(self) -> dict:
        """Advance, as fast as possible, to the next scheduled item (an inject release, a
        deadline, a burn, ENDEX; not picture updates) and process it.

        The way there is stepped in chunks of :attr:`max_step_s` (a jump across a day of
        the demo is minutes of simulation, and the teams' views and commands queue behind
        each engine call), then the item itself in one call."""

        def seconds_left() -> float | None:
            nxt = self.ex.next_event_utc()
            if nxt is None or self.ex.finished:
                return None
            return (_as_dt(nxt) - _as_dt(self.ex.clock_utc)).total_seconds()

        while (left := await self.call(seconds_left)) is not None and left > self.max_step_s:
            await self._step_chunk(self.max_step_s, publish=True)

        def go() -> dict:
            nxt = self.ex.next_event_utc()
            if nxt is None:
                raise ValueError("nothing is scheduled before ENDEX")
            kinds = [e.kind for e in self.ex.queue.pending(50) if e.time == nxt]
            self.ex.jump_to_next_event()
            self.clock_iso = jsonable(_as_dt(self.ex.clock_utc))
            self.finished = bool(self.ex.finished)
            if self.finished:
                self.running = False
            return {"sim_time_utc": self.clock_iso, "kinds": kinds}

        return await self._excon(go)

    async def msel(self) -> list[dict]:
        """The MSEL as a live board (``server/msel.py``)."""
        from spacerange.server.msel import msel_board

        view = await self.excon_view()
        evs = await self.whole_log()
        return msel_board(view.get("injects", []), [_with_payload(e) for e in evs], self.roles)

    async def rate(self, team: str, objective: str, rating: str, note: str, author: str,
                   **tie: Any) -> Any:  # fmt: skip
        """``tie``: ``critical_task``, ``serial``, ``observed_utc`` (``None``: not given)."""
        ct = tie.pop("critical_task", None)
        return await self._excon(
            lambda: self.ex.rate(team, objective, rating, note, author, ct, **tie)
        )

    async def add_note(self, text: str, author: str, team: str | None, **tie: Any) -> Any:
        return await self._excon(lambda: self.ex.add_note(text, author, team=team, **tie))

    async def criteria(self) -> dict:
        """The evaluators' board and queue (:mod:`spacerange.exercise.criteria`)."""
        from spacerange.exercise.criteria import criteria_board

        view = await self.excon_view()
        evs = await self.whole_log()
        return criteria_board(self.scenario, view.get("injects", []),
                              [_with_payload(e) for e in evs], self.roles)  # fmt: skip

    def tie_errors(self, critical_task: str | None, objective: str,
                   observed_utc: str | None) -> list[str]:  # fmt: skip
        """Why a rating's critical task or scenario time does not fit (empty: it does)."""
        errs = []
        sc = self.scenario
        if critical_task is not None and sc is not None:
            obj = next((o for o in sc.objectives if o.id == objective), None)
            if critical_task not in {c.id for c in sc.critical_tasks}:
                errs.append(f"critical_task: unknown critical task {critical_task!r}")
            elif obj is not None and critical_task not in obj.critical_tasks:
                errs.append(f"critical_task: {critical_task} is not a task of {objective}")
        win = self.window()
        if observed_utc is not None and win is not None:
            try:
                t = _as_dt(observed_utc)
            except ValueError:
                return [*errs, "observed_utc: not an ISO 8601 UTC instant"]
            now = _as_dt(self.clock_iso) if self.clock_iso else win[1]
            if not win[0] <= t <= now:
                errs.append(f"observed_utc: {observed_utc} is not between STARTEX and now")
        return errs


def _with_payload(ev: dict) -> dict:
    ev = jsonable(ev)
    ev["payload"] = _payload(ev)
    return ev


def _as_dt(t: Any) -> datetime:
    if isinstance(t, datetime):
        return t if t.tzinfo else t.replace(tzinfo=UTC)
    if isinstance(t, np.datetime64):
        s = str(np.datetime_as_string(t.astype("datetime64[us]")))
        return datetime.fromisoformat(s).replace(tzinfo=UTC)
    if isinstance(t, str):
        d = datetime.fromisoformat(t.replace("Z", "+00:00"))
        return d if d.tzinfo else d.replace(tzinfo=UTC)
    raise TypeError(f"unsupported clock type {type(t).__name__}")
