"""Batch SGP4 over many objects and times.

Two engines, the same numbers (WGS-72, opsmode 'i', python-sgp4's error codes):

* ``numba`` (default when numba is importable): :mod:`spacerange.propagation.sgp4_numba`,
  a compiled port of Vallado's SGP4/SDP4 running objects in parallel threads;
* ``sgp4``: python-sgp4's ``SatrecArray`` (Vallado's C++ SGP4) in a process pool.

``SPACERANGE_SGP4_ENGINE=numba|sgp4`` forces one (``auto``, the default, picks numba when
it imports).  This module adds what a catalog run needs around the engine:

* **chunking** over objects, so memory stays bounded whatever the catalog size: each chunk
  holds about ``chunk_mb`` of output;
* **parallelism**: numba threads (one per core) or, for ``sgp4``, a process pool (default: one worker per core) working on chunks in parallel, with a
  bounded number of chunks in flight so a slow consumer never piles results up;
* **status codes** instead of silent NaNs (see :mod:`spacerange.propagation.status`);
* **frames**: TEME (native), GCRS, ITRS or geodetic; the per-time rotations are computed
  once in the parent and shipped to the workers.

Shapes follow python-sgp4: positions ``(n_objects, n_times, 3)`` in km, velocities in km/s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Protocol

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray

from spacerange.catalog.tle import alpha5_decode
from spacerange.propagation.status import flag_unphysical
from spacerange.timescales import jd_fr_utc

TlePair = tuple[str, str]

ENGINES = ("numba", "sgp4")


def sgp4_engine() -> str:
    """The engine in use: ``SPACERANGE_SGP4_ENGINE`` if set to one of :data:`ENGINES`,
    else ``numba`` when it imports, else ``sgp4``."""
    choice = os.environ.get("SPACERANGE_SGP4_ENGINE", "auto").strip().lower()
    if choice in ENGINES:
        return choice
    if choice != "auto":
        raise ValueError(f"SPACERANGE_SGP4_ENGINE={choice!r}: expected auto, numba or sgp4")
    try:
        import spacerange.propagation.sgp4_numba  # noqa: F401
    except ImportError:
        return "sgp4"
    return "numba"


#: Bytes per propagated state: r and v float64 (48) plus the int8 status.
_BYTES_PER_STATE = 49


@dataclass
class EphemerisBlock:
    """Propagated states of a contiguous block of objects.

    ``r`` is ``(n_objects, n_times, 3)``: km in TEME/GCRS/ITRS, or (lat_deg, lon_deg,
    alt_km) for the geodetic frame; ``v`` is km/s (None for geodetic); ``status`` is
    ``(n_objects, n_times)`` int8 SGP4 codes, positions NaN where it is non-zero.
    ``start`` is the index of the block's first object in the input sequence.
    """

    start: int
    r: np.ndarray
    v: np.ndarray | None
    status: np.ndarray

    @property
    def stop(self) -> int:
        return self.start + self.r.shape[0]


@dataclass
class Ephemeris:
    """States of many objects at common times (see :class:`EphemerisBlock` for the arrays)."""

    norad_ids: np.ndarray
    times_utc: np.ndarray
    frame: str
    r: np.ndarray
    v: np.ndarray | None
    status: np.ndarray


def satrecs_from_tles(tles: Sequence[TlePair]) -> list[Satrec]:
    """Initialise SGP4 (WGS-72, as the TLEs were fitted) for each (line1, line2) pair."""
    return [Satrec.twoline2rv(l1, l2, WGS72) for l1, l2 in tles]


class SatrecArrayLike(Protocol):
    """``SatrecArray`` or :class:`~spacerange.propagation.sgp4_numba.NumbaSatrecArray`."""

    def __len__(self) -> int: ...

    def sgp4(self, jd: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Error codes ``(n, m)``, TEME r (km) and v (km/s) ``(n, m, 3)``."""
        ...


def satrec_array(satrecs: Sequence[Satrec]) -> SatrecArrayLike:
    """The batch propagator of :func:`sgp4_engine` for these initialized objects."""
    if sgp4_engine() == "numba":
        from spacerange.propagation.sgp4_numba import NumbaSatrecArray

        return NumbaSatrecArray(list(satrecs))
    return SatrecArray(list(satrecs))


def sgp4_teme(
    satrecs: Sequence[Satrec] | SatrecArray, jd: np.ndarray, fr: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One ``SatrecArray`` call: TEME r (km), v (km/s) ``(n, m, 3)`` and status ``(n, m)``.

    ``jd``/``fr`` is the two-part UTC Julian date of the times (see
    :func:`spacerange.timescales.jd_fr_utc`).  Failed states are set to NaN explicitly.
    """
    arr = satrecs if isinstance(satrecs, SatrecArray) else satrec_array(satrecs)
    e, r, v = arr.sgp4(np.ascontiguousarray(jd), np.ascontiguousarray(fr))
    status = e.astype(np.int8)
    flag_unphysical(r, v, status)
    if status.any():
        bad = status != 0
        r[bad] = np.nan
        v[bad] = np.nan
    return r, v, status


def _rotate(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.einsum("tij,ntj->nti", m, x)


@dataclass(frozen=True)
class _FramePlan:
    """Precomputed per-time rotations that turn TEME output into the requested frame."""

    frame: str
    teme_to_gcrs: np.ndarray | None = None
    gcrs_to_itrs: np.ndarray | None = None
    itrs_rate: np.ndarray | None = None

    @classmethod
    def for_frame(cls, frame: str, times_utc: np.ndarray) -> _FramePlan:
        from spacerange import frames as fr

        if frame not in fr.FRAMES:
            raise ValueError(f"unknown frame {frame!r}: expected one of {', '.join(fr.FRAMES)}")
        if frame == "teme":
            return cls(frame)
        m = fr.teme_to_gcrs_matrices(times_utc)
        if frame == "gcrs":
            return cls(frame, m)
        rot, rate = fr.gcrs_to_itrs_matrices(times_utc)
        return cls(frame, m, rot, rate)

    def apply(self, r: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if self.frame == "teme":
            return r, v
        # Fuse TEME->GCRS->ITRS into one matrix per time: one pass over the states.
        if self.frame == "gcrs":
            return _rotate(self.teme_to_gcrs, r), _rotate(self.teme_to_gcrs, v)
        m = np.einsum("tij,tjk->tik", self.gcrs_to_itrs, self.teme_to_gcrs)
        r_itrs = _rotate(m, r)
        if self.frame == "itrs":
            return r_itrs, _rotate(m, v) + _rotate(self.itrs_rate, r_itrs)
        from spacerange.frames import itrs_to_geodetic

        return itrs_to_geodetic(r_itrs), None


def _work(
    tles: Sequence[TlePair],
    jd: np.ndarray,
    fr: np.ndarray,
    plan: _FramePlan,
    out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
):
    if sgp4_engine() == "numba":
        from spacerange.propagation.sgp4_numba import propagate_tles

        # batch=True: unphysical states flagged and failed ones NaN inside the kernel
        e, r, v = propagate_tles(tles, jd, fr, batch=True, out=out)
        status = e.view(np.int8)
    else:
        r, v, status = sgp4_teme(satrecs_from_tles(tles), jd, fr)
    r, v = plan.apply(r, v)
    return r, v, status


class _SlotRing:
    """Output buffers in anonymous shared memory, created before the workers fork.

    Workers write a chunk's states straight into a slot and return only its index, so
    the tens of megabytes per chunk are never pickled through a pipe (that transfer cost
    ~40 % of the throughput on two cores)."""

    def __init__(self, n_slots: int, chunk: int, n_times: int, with_v: bool):
        import mmap

        self.shape3 = (chunk, n_times, 3)
        self.n3 = chunk * n_times * 3
        self.n1 = chunk * n_times
        nbytes = self.n3 * 8 * (2 if with_v else 1) + self.n1
        self.with_v = with_v
        self.buffers = [mmap.mmap(-1, nbytes) for _ in range(n_slots)]

    def views(self, slot: int, n_obj: int):
        buf = self.buffers[slot]
        r = np.frombuffer(buf, np.float64, self.n3, 0).reshape(self.shape3)[:n_obj]
        off = self.n3 * 8
        v = None
        if self.with_v:
            v = np.frombuffer(buf, np.float64, self.n3, off).reshape(self.shape3)[:n_obj]
            off += self.n3 * 8
        st = np.frombuffer(buf, np.uint8, self.n1, off).reshape(self.shape3[:2])[:n_obj]
        return r, v, st


_RING: _SlotRing | None = None


def _work_into_slot(slot: int, tles, jd, fr, plan: _FramePlan) -> int:
    """Worker side: propagate ``tles`` and write the result into shared slot ``slot``."""
    assert _RING is not None
    r_out, v_out, st_out = _RING.views(slot, len(tles))
    arr = SatrecArray(satrecs_from_tles(tles))
    if plan.frame == "teme":
        r, v = r_out, v_out
    else:
        r = np.empty_like(r_out)
        v = np.empty_like(r_out)
    if hasattr(arr, "_sgp4"):
        arr._sgp4(jd, fr, st_out, r, v)  # the C++ kernel fills our buffers in place
    else:  # pure-Python sgp4 fallback
        e, r[...], v[...] = arr.sgp4(jd, fr)
        st_out[...] = e
    flag_unphysical(r, v, st_out)
    if st_out.any():
        bad = st_out != 0
        r[bad] = np.nan
        v[bad] = np.nan
    if plan.frame != "teme":
        r2, v2 = plan.apply(r, v)
        r_out[...] = r2
        if v_out is not None:
            v_out[...] = v2
    return slot


def default_workers() -> int:
    """One worker per usable core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def chunk_size_for(n_times: int, chunk_mb: float = 24.0) -> int:
    """Objects per chunk so that one chunk's output is about ``chunk_mb`` megabytes."""
    return max(1, int(chunk_mb * 1e6 / (max(n_times, 1) * _BYTES_PER_STATE)))


def iter_propagate(
    tles: Sequence[TlePair],
    times_utc: np.ndarray,
    frame: str = "teme",
    workers: int | None = None,
    chunk_objects: int | None = None,
) -> Iterator[EphemerisBlock]:
    """Propagate ``tles`` at ``times_utc`` (datetime64 UTC), yielding blocks in input order.

    ``workers=None`` uses one process per core; ``workers=1`` runs in this process.  The
    numba engine always runs in this process (its threads use every core; ``workers`` is
    ignored).
    Memory is bounded by ``2 x workers`` chunks of about 24 MB, whatever the number of
    objects.  With workers, and with the numba engine in TEME, a yielded block's arrays
    are views into a reused buffer: they stay valid until the next block is requested
    (copy what you keep).
    """
    global _RING
    times_utc = np.atleast_1d(np.asarray(times_utc, dtype="datetime64[us]"))
    jd, fr = jd_fr_utc(times_utc)
    plan = _FramePlan.for_frame(frame, times_utc)
    n = len(tles)
    workers = default_workers() if workers is None else max(1, int(workers))
    chunk = chunk_objects or chunk_size_for(len(times_utc))
    if workers > 1:
        # Smaller chunks keep both workers busy to the end on small inputs.
        chunk = max(1, min(chunk, -(-n // (2 * workers))))
    starts = list(range(0, n, chunk))
    serial = workers == 1 or len(starts) <= 1 or "fork" not in _start_methods()
    if serial or sgp4_engine() == "numba":
        bufs = None
        if sgp4_engine() == "numba" and frame == "teme" and len(starts) > 1:
            # TEME blocks are the kernel's own output: reuse one set of arrays (fresh
            # pages for every chunk cost as much as a fifth of the propagation).
            m = len(times_utc)
            bufs = (np.empty((chunk, m), np.int8), np.empty((chunk, m, 3)), np.empty((chunk, m, 3)))
        for s in starts:
            part = tles[s : s + chunk]
            out = None if bufs is None else tuple(b[: len(part)] for b in bufs)
            r, v, st = _work(part, jd, fr, plan, out)
            yield EphemerisBlock(s, r, v, st)
        return
    n_slots = 2 * workers
    ring = _SlotRing(n_slots, chunk, len(times_utc), with_v=frame != "geodetic")
    _RING = ring  # inherited by the forked workers
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
            pending: list[tuple[int, Future]] = []
            queue = iter(enumerate(starts))

            def submit(k: int, s: int) -> None:
                slot = k % n_slots
                pending.append(
                    (s, pool.submit(_work_into_slot, slot, tles[s : s + chunk], jd, fr, plan))
                )

            for k, s in queue:
                submit(k, s)
                if len(pending) >= n_slots - 1:
                    break
            while pending:
                s, fut = pending.pop(0)
                slot = fut.result()
                r, v, st = ring.views(slot, min(chunk, n - s))
                yield EphemerisBlock(s, r, v, st.view(np.int8))
                # The consumer is done with the previous block: its slot may be refilled.
                nxt = next(queue, None)
                if nxt is not None:
                    submit(*nxt)
    finally:
        _RING = None


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def propagate(
    tles: Sequence[TlePair],
    times_utc: np.ndarray,
    frame: str = "teme",
    workers: int | None = None,
    norad_ids: Sequence[int] | None = None,
) -> Ephemeris:
    """Propagate everything into memory (for moderate sizes; use :func:`iter_propagate` to
    stream a whole catalog)."""
    times_utc = np.atleast_1d(np.asarray(times_utc, dtype="datetime64[us]"))
    n, m = len(tles), len(times_utc)
    r = np.empty((n, m, 3))
    v = None if frame == "geodetic" else np.empty((n, m, 3))
    status = np.empty((n, m), dtype=np.int8)
    for blk in iter_propagate(tles, times_utc, frame, workers):
        r[blk.start : blk.stop] = blk.r
        if v is not None:
            v[blk.start : blk.stop] = blk.v
        status[blk.start : blk.stop] = blk.status
    ids = (
        np.asarray(norad_ids)
        if norad_ids is not None
        else np.array([alpha5_decode(l1[2:7]) for l1, _ in tles])
    )
    return Ephemeris(ids, times_utc, frame, r, v, status)
