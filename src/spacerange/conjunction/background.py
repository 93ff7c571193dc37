"""Protected-asset screening submitted now and collected later, in a background process.

A caller that screens after every catalog update (a team's picture in the exercise: its
assets against its own catalog) has other work to do before it needs the events (the next
team's orbit determination).  :class:`BackgroundScreening` runs
:func:`~spacerange.conjunction.protected.screen_protected` in one worker process and hands
back a pending result, so that the screening runs on a second core while the caller goes
on.  The worker calls the same function on the same arguments, so the events are the ones
an inline call gives, bit for bit (its SGP4 runs on the worker's one thread: the caller's
own kernels use the rest).  :class:`InlineScreening` is the same
interface computing at once, for small jobs and one-core machines.  Both return a
:class:`PendingScreening`: its ``result()`` gives the events or raises the job's error.

The same worker takes any other job of a module-level function on picklable arguments
(``call``): the exercise's team pictures send it their re-entry decays too.

A worker that dies (killed, out of memory) does not take the caller down: that job and every
later one are computed inline, and :attr:`BackgroundScreening.broken` says why.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Protocol

import numpy as np

from spacerange.conjunction.protected import screen_protected
from spacerange.conjunction.screening import ScreeningConfig, ScreeningResult
from spacerange.propagation.sgp4_batch import TlePair

__all__ = [
    "Pending",
    "PendingScreening",
    "ScreeningRunner",
    "InlineScreening",
    "BackgroundScreening",
    "shared_background",
]

log = logging.getLogger("spacerange.conjunction.background")


class PendingScreening(Protocol):
    """A submitted screening."""

    def result(self) -> ScreeningResult:
        """The screening's result, waiting for it if needed; raises the job's error."""
        ...


class Pending(Protocol):
    """A submitted job (:meth:`ScreeningRunner.call`)."""

    def result(self) -> Any:
        """The job's return value, waiting for it if needed; raises the job's error."""
        ...


class ScreeningRunner(Protocol):
    """Runs :func:`~spacerange.conjunction.protected.screen_protected` jobs, and other
    jobs beside them."""

    def submit(
        self,
        tles: Sequence[TlePair],
        primaries: Sequence[int],
        start_utc: np.datetime64,
        span_s: float,
        config: ScreeningConfig,
    ) -> PendingScreening:
        """Start one screening (arguments as :func:`screen_protected`'s)."""
        ...

    def call(self, fn: Callable[..., Any], *args: Any) -> Pending:
        """Start ``fn(*args)``: ``fn`` a module-level function (a worker imports it by
        name), ``args`` and its value picklable."""
        ...


class _Computed:
    """A job computed at submission: its result or its error, kept for ``result()``."""

    def __init__(self, fn: Callable[..., Any], args: tuple) -> None:
        self._value: Any = None
        self._error: Exception | None = None
        try:
            self._value = fn(*args)
        except Exception as exc:  # raised again by result(), as the inline call would
            self._error = exc

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value


class InlineScreening:
    """:class:`ScreeningRunner` that computes each job in the calling thread at submission."""

    def submit(self, tles, primaries, start_utc, span_s, config) -> PendingScreening:
        return self.call(screen_protected, list(tles), list(primaries), start_utc, span_s,
                         config)  # fmt: skip

    def call(self, fn: Callable[..., Any], *args: Any) -> Pending:
        return _Computed(fn, args)


def _screen_in_worker(tles, primaries, start_utc, span_s, config) -> ScreeningResult:
    """The worker's job: :func:`screen_protected` with the SGP4 kernels on one thread."""
    from spacerange.propagation.sgp4_numba import one_thread

    with one_thread():
        return screen_protected(tles, primaries, start_utc, span_s, config)


class BackgroundScreening:
    """:class:`ScreeningRunner` with one worker process (started at the first job, by
    ``spawn``: the caller may hold threads that a fork would copy mid-lock).  Jobs run in
    submission order."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        #: why the worker was given up (jobs then run inline), or None
        self.broken: str | None = None
        #: jobs sent to the worker so far
        self.n_in_worker = 0

    def _executor(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self.broken is None and self._pool is None:
                self._pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
            return self._pool

    def _give_up(self, why: str) -> None:
        with self._lock:
            if self.broken is None:
                self.broken = why
                log.warning("background screening worker lost (%s): screening inline", why)
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, tles, primaries, start_utc, span_s, config) -> PendingScreening:
        args = (list(tles), list(primaries), start_utc, span_s, config)
        return self._run(_screen_in_worker, screen_protected, args)

    def call(self, fn: Callable[..., Any], *args: Any) -> Pending:
        return self._run(fn, fn, args)

    def _run(self, in_worker: Callable, inline: Callable, args: tuple) -> Pending:
        """``in_worker(*args)`` in the worker, or ``inline(*args)`` here when there is
        none (the same function but for the worker's thread setting)."""
        pool = self._executor()
        if pool is None:
            return _Computed(inline, args)
        try:
            fut = pool.submit(in_worker, *args)
            self.n_in_worker += 1
        except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: shut down
            self._give_up(f"{type(exc).__name__}: {exc}")
            return _Computed(inline, args)
        return _InWorker(self, fut, inline, args)

    def shutdown(self) -> None:
        """Stop the worker (a later job starts a new one)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)


class _InWorker:
    """A job in the worker; ``result`` computes it inline if the worker died (the job's
    own errors are raised as they are)."""

    def __init__(self, owner: BackgroundScreening, fut: Future, inline: Callable,
                 args: tuple) -> None:  # fmt: skip
        self._owner, self._fut, self._inline, self._args = owner, fut, inline, args

    def result(self) -> Any:
        try:
            return self._fut.result()
        except BrokenProcessPool as exc:
            self._owner._give_up(f"BrokenProcessPool: {exc}")
            return _Computed(self._inline, self._args).result()


_SHARED: BackgroundScreening | None = None
_SHARED_LOCK = threading.Lock()


def shared_background() -> ScreeningRunner:
    """The process's one :class:`BackgroundScreening` (one worker for every caller, idle
    between jobs until the process exits), or an :class:`InlineScreening` on a one-core
    machine (a worker would only take turns)."""
    global _SHARED
    if (os.cpu_count() or 1) < 2:
        return InlineScreening()
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = BackgroundScreening()
        return _SHARED
