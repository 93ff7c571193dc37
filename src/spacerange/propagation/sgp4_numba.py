"""Compiled SGP4/SDP4 propagation (numba), vectorized over objects and times.

A line-by-line port of the propagation half of Vallado's SGP4 (``sgp4``, ``dspace``,
``dpper``, as python-sgp4 carries it in ``sgp4/propagation.py`` and compiles it in its C++
extension): near-earth SGP4 and deep-space SDP4 with lunar-solar periodics and the 12 h and
24 h resonance integration. Initialization (``sgp4init``, WGS-72, opsmode of the source
``Satrec``) is the compiled port in :mod:`spacerange.propagation.sgp4_init`, bit-identical
to python-sgp4's; its fields fill one float64 structure-of-arrays table
``(n_obj, N_FIELDS)`` and the kernel propagates every (object, time) pair in parallel.

Results follow ``SatrecArray.sgp4``: TEME position (km), velocity (km/s) and the error code
(0 ok, 1 mean eccentricity, 2 mean motion, 3 perturbed eccentricity, 4 semi-latus rectum,
6 decayed); states with codes 1-4 are NaN, as in python-sgp4's C++ wrapper.

The resonance integrator keeps its state (``atime``, ``xli``, ``xni``) from one time to the
next of the same object, with Vallado's restart rule (back to epoch when time changes sign
or moves towards epoch), as python-sgp4's objects do: an element set decades old then costs
a few 720-minute steps per time instead of tens of thousands.  Every call starts from
epoch; the steps are the same 720-minute Euler-Maclaurin steps from epoch either way.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from numba import njit
from sgp4.api import WGS72, Satrec
from sgp4.model import Satrec as PySatrec

from spacerange.propagation.sgp4_deep_space import _dpper, _dspace
from spacerange.propagation.sgp4_fields import (
    ARGPDOT,
    ARGPO,
    AYCOF,
    BSTAR,
    CC1,
    CC4,
    CC5,
    CON41,
    D2,
    D3,
    D4,
    DEEP,
    DELMO,
    ECCO,
    ETA,
    INCLO,
    ISIMP,
    J2,
    J3OJ2,
    JDSATEPOCH,
    JDSATEPOCHF,
    MDOT,
    MO,
    N_FIELDS,
    NO_UNKOZAI,
    NODECF,
    NODEDOT,
    NODEO,
    OMGCOF,
    RADIUSEARTHKM,
    SINMAO,
    T2COF,
    T3COF,
    T4COF,
    T5COF,
    X1MTH2,
    X7THM1,
    XKE,
    XLCOF,
    XMCOF,
)
from spacerange.propagation.sgp4_fields import (  # noqa: F401 - the package imports them from here
    FIELD_INDEX as _IX,
)
from spacerange.propagation.sgp4_fields import (
    TWOPI as _TWOPI,
)

#: True in a process forked from one whose numba thread pool was running (any parallel
#: kernel of the package: SGP4, the OD's compiled dynamics, Monte Carlo Pc): that pool is
#: not fork-safe (with GNU OpenMP the child aborts, "fork() called from a process already
#: using GNU OpenMP"), and the parent's process pool already gives the parallelism, so
#: such a process runs the kernels on one thread.  Set by the fork hook below.
_FORKED_FROM_THREADED = False


def _after_fork_in_child() -> None:
    global _FORKED_FROM_THREADED
    try:
        from numba.np.ufunc import parallel as _numba_parallel
    except ImportError:  # pragma: no cover - numba absent: no thread pool either
        return
    # numba's own flag (private): unknown layouts count as started, the safe side
    started = getattr(_numba_parallel, "_is_initialized", True)
    _FORKED_FROM_THREADED = _FORKED_FROM_THREADED or bool(started)


os.register_at_fork(after_in_child=_after_fork_in_child)

#: Depth of :func:`one_thread` blocks in this process (a counter, not a flag, so that
#: overlapping blocks in two threads of one worker leave it set until both end).
_ONE_THREAD_DEPTH = 0


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the propagation kernels on the calling thread only while inside.

    For the workers of a process pool or a Dask cluster that already run one task per
    core (the screening's time blocks): a kernel spreading over numba's thread pool there
    puts two threads on each core, and GNU OpenMP's idle threads spin against the other
    worker's sieve.
    """
    global _ONE_THREAD_DEPTH
    _ONE_THREAD_DEPTH += 1
    try:
        yield
    finally:
        _ONE_THREAD_DEPTH -= 1


def _py_satrec(sat: Satrec) -> PySatrec:
    """python-sgp4's pure-Python initialization of the same elements as ``sat``."""
    py = PySatrec()
    # Same rounding as the C++ twoline2rv: the full JD first, then the 1950 offset.
    epoch = (sat.jdsatepoch + sat.jdsatepochF) - 2433281.5
    py.sgp4init(
        WGS72,
        sat.operationmode,
        sat.satnum,
        epoch,
        sat.bstar,
        sat.ndot,
        sat.nddot,
        sat.ecco,
        sat.argpo,
        sat.inclo,
        sat.mo,
        sat.no_kozai,
        sat.nodeo,
    )
    # Keep the split epoch exactly as the source object carries it: tsince depends on it.
    py.jdsatepoch = sat.jdsatepoch
    py.jdsatepochF = sat.jdsatepochF
    return py


def pack_params(satrecs: Sequence[Satrec]) -> tuple[np.ndarray, np.ndarray]:
    """Parameter table ``(n, N_FIELDS)`` and the init error code of each object, from the
    compiled initialization (:func:`spacerange.propagation.sgp4_init.init_table`).

    Objects whose initialization failed (python-sgp4 sets ``error`` in ``sgp4init``) keep
    their code; the kernel reports it for every time, as ``SatrecArray`` does.
    """
    # imported here: sgp4_init calls this module's kernel for its closing t = 0 step
    from spacerange.propagation.sgp4_init import init_table

    return init_table(satrecs)


def pack_params_reference(satrecs: Sequence[Satrec]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pack_params` through python-sgp4's pure-Python ``sgp4init`` (~23 us per
    object): the reference the compiled initialization is tested against."""
    n = len(satrecs)
    table = np.zeros((n, N_FIELDS))
    init_error = np.zeros(n, dtype=np.uint8)
    for i, sat in enumerate(satrecs):
        py = _py_satrec(sat)
        init_error[i] = py.error
        row = table[i]
        for name, k in _IX.items():
            if name == "deep":
                row[k] = 1.0 if py.method == "d" else 0.0
            elif name == "afspc":
                row[k] = 1.0 if py.operationmode == "a" else 0.0
            else:
                row[k] = float(getattr(py, name))
    return table, init_error


@njit(cache=True, fastmath=False)
def _sgp4_one(p, t, out, state):
    """One state at ``t`` minutes since epoch into ``out[0:6]``; returns the error code."""
    temp4 = 1.5e-12
    x2o3 = 2.0 / 3.0
    xke = p[XKE]
    j2 = p[J2]
    j3oj2 = p[J3OJ2]
    vkmpersec = p[RADIUSEARTHKM] * xke / 60.0

    xmdf = p[MO] + p[MDOT] * t
    argpdf = p[ARGPO] + p[ARGPDOT] * t
    nodedf = p[NODEO] + p[NODEDOT] * t
    argpm = argpdf
    mm = xmdf
    t2 = t * t
    nodem = nodedf + p[NODECF] * t2
    tempa = 1.0 - p[CC1] * t
    tempe = p[BSTAR] * p[CC4] * t
    templ = p[T2COF] * t2

    if p[ISIMP] != 1.0:
        delomg = p[OMGCOF] * t
        delmtemp = 1.0 + p[ETA] * math.cos(xmdf)
        delm = p[XMCOF] * (delmtemp * delmtemp * delmtemp - p[DELMO])
        temp = delomg + delm
        mm = xmdf + temp
        argpm = argpdf - temp
        t3 = t2 * t
        t4 = t3 * t
        tempa = tempa - p[D2] * t2 - p[D3] * t3 - p[D4] * t4
        tempe = tempe + p[BSTAR] * p[CC5] * (math.sin(mm) - p[SINMAO])
        templ = templ + p[T3COF] * t3 + t4 * (p[T4COF] + t * p[T5COF])

    nm = p[NO_UNKOZAI]
    em = p[ECCO]
    inclm = p[INCLO]
    deep = p[DEEP] != 0.0
    if deep:
        em, argpm, inclm, mm, nodem, nm = _dspace(p, t, em, argpm, inclm, mm, nodem, nm, state)

    if nm <= 0.0:
        return 2
    am = (xke / nm) ** x2o3 * tempa * tempa
    nm = xke / am**1.5
    em = em - tempe
    if em >= 1.0 or em < -0.001:
        return 1
    if em < 1.0e-6:
        em = 1.0e-6
    mm = mm + p[NO_UNKOZAI] * templ
    xlm = mm + argpm + nodem
    nodem = np.fmod(nodem, _TWOPI)
    argpm = np.fmod(argpm, _TWOPI)
    xlm = np.fmod(xlm, _TWOPI)
    mm = np.fmod(xlm - argpm - nodem, _TWOPI)

    sinim = math.sin(inclm)
    cosim = math.cos(inclm)
    ep = em
    xincp = inclm
    argpp = argpm
    nodep = nodem
    mp = mm
    sinip = sinim
    cosip = cosim
    aycof = p[AYCOF]
    xlcof = p[XLCOF]
    con41 = p[CON41]
    x1mth2 = p[X1MTH2]
    x7thm1 = p[X7THM1]
    if deep:
        ep, xincp, nodep, argpp, mp = _dpper(p, t, ep, xincp, nodep, argpp, mp)
        if xincp < 0.0:
            xincp = -xincp
            nodep = nodep + math.pi
            argpp = argpp - math.pi
        if ep < 0.0 or ep > 1.0:
            return 3
        sinip = math.sin(xincp)
        cosip = math.cos(xincp)
        aycof = -0.5 * j3oj2 * sinip
        if math.fabs(cosip + 1.0) > 1.5e-12:
            xlcof = -0.25 * j3oj2 * sinip * (3.0 + 5.0 * cosip) / (1.0 + cosip)
        else:
            xlcof = -0.25 * j3oj2 * sinip * (3.0 + 5.0 * cosip) / temp4

    axnl = ep * math.cos(argpp)
    temp = 1.0 / (am * (1.0 - ep * ep))
    aynl = ep * math.sin(argpp) + temp * aycof
    xl = mp + argpp + nodep + temp * xlcof * axnl

    # Kepler's equation
    u = np.fmod(xl - nodep, _TWOPI)
    eo1 = u
    tem5 = 9999.9
    ktr = 1
    sineo1 = 0.0
    coseo1 = 0.0
    while math.fabs(tem5) >= 1.0e-12 and ktr <= 10:
        sineo1 = math.sin(eo1)
        coseo1 = math.cos(eo1)
        tem5 = 1.0 - coseo1 * axnl - sineo1 * aynl
        tem5 = (u - aynl * coseo1 + axnl * sineo1 - eo1) / tem5
        if math.fabs(tem5) >= 0.95:
            tem5 = 0.95 if tem5 > 0.0 else -0.95
        eo1 = eo1 + tem5
        ktr = ktr + 1

    ecose = axnl * coseo1 + aynl * sineo1
    esine = axnl * sineo1 - aynl * coseo1
    el2 = axnl * axnl + aynl * aynl
    pl = am * (1.0 - el2)
    if pl < 0.0:
        return 4
    rl = am * (1.0 - ecose)
    rdotl = math.sqrt(am) * esine / rl
    rvdotl = math.sqrt(pl) / rl
    betal = math.sqrt(1.0 - el2)
    temp = esine / (1.0 + betal)
    sinu = am / rl * (sineo1 - aynl - axnl * temp)
    cosu = am / rl * (coseo1 - axnl + aynl * temp)
    su = math.atan2(sinu, cosu)
    sin2u = (cosu + cosu) * sinu
    cos2u = 1.0 - 2.0 * sinu * sinu
    temp = 1.0 / pl
    temp1 = 0.5 * j2 * temp
    temp2 = temp1 * temp

    if deep:
        cosisq = cosip * cosip
        con41 = 3.0 * cosisq - 1.0
        x1mth2 = 1.0 - cosisq
        x7thm1 = 7.0 * cosisq - 1.0

    mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u
    su = su - 0.25 * temp2 * x7thm1 * sin2u
    xnode = nodep + 1.5 * temp2 * cosip * sin2u
    xinc = xincp + 1.5 * temp2 * cosip * sinip * cos2u
    mvt = rdotl - nm * temp1 * x1mth2 * sin2u / xke
    rvdot = rvdotl + nm * temp1 * (x1mth2 * cos2u + 1.5 * con41) / xke

    sinsu = math.sin(su)
    cossu = math.cos(su)
    snod = math.sin(xnode)
    cnod = math.cos(xnode)
    sini = math.sin(xinc)
    cosi = math.cos(xinc)
    xmx = -snod * cosi
    xmy = cnod * cosi
    ux = xmx * sinsu + cnod * cossu
    uy = xmy * sinsu + snod * cossu
    uz = sini * sinsu
    vx = xmx * cossu - cnod * sinsu
    vy = xmy * cossu - snod * sinsu
    vz = sini * cossu

    mr = mrt * p[RADIUSEARTHKM]
    out[0] = mr * ux
    out[1] = mr * uy
    out[2] = mr * uz
    out[3] = (mvt * ux + rvdot * vx) * vkmpersec
    out[4] = (mvt * uy + rvdot * vy) * vkmpersec
    out[5] = (mvt * uz + rvdot * vz) * vkmpersec
    if mrt < 1.0:
        return 6
    return 0


@njit(cache=True, fastmath=False)
def _tsince_kernel(table, tsince, r_out, v_out, e_out):
    buf = np.empty(6)
    state = np.zeros(3)
    for i in range(table.shape[0]):
        state[0] = 0.0
        for j in range(tsince.shape[0]):
            code = _sgp4_one(table[i], tsince[j], buf, state)
            if code != 0 and code != 6:
                for k in range(6):
                    buf[k] = np.nan
            e_out[i, j] = code
            for k in range(3):
                r_out[i, j, k] = buf[k]
                v_out[i, j, k] = buf[3 + k]


@njit(cache=True, fastmath=False)
def _entries_kernel(table, init_error, rows, jd, fr, r_out, v_out, e_out):  # pragma: no cover
    """Object ``rows[k]`` at UTC ``jd[k] + fr[k]`` for every entry ``k`` (scalar kernel,
    from epoch each time; python-sgp4's codes, NaN states for codes 1-4)."""
    buf = np.empty(6)
    state = np.zeros(3)
    for k in range(rows.shape[0]):
        i = rows[k]
        p = table[i]
        if init_error[i] != 0:
            code = init_error[i]
            for a in range(6):
                buf[a] = np.nan
        else:
            t = (jd[k] - p[JDSATEPOCH]) * 1440.0 + (fr[k] - p[JDSATEPOCHF]) * 1440.0
            state[0] = 0.0
            state[1] = 0.0
            state[2] = 0.0
            code = _sgp4_one(p, t, buf, state)
            if code != 0 and code != 6:
                for a in range(6):
                    buf[a] = np.nan
        e_out[k] = code
        for a in range(3):
            r_out[k, a] = buf[a]
            v_out[k, a] = buf[3 + a]


def propagate_entries(
    table: np.ndarray, init_error: np.ndarray, rows: np.ndarray, jd: np.ndarray, fr: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One state per entry: object ``rows[k]`` at UTC ``jd[k] + fr[k]`` (arrays broadcast
    to the length of ``rows``).  Error codes ``(m,)`` uint8, TEME r (km), v (km/s)
    ``(m, 3)``, as python-sgp4's ``Satrec.sgp4`` gives them for each entry (one thread;
    for scattered (object, time) pairs such as a screening's TCA refinement)."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    m = rows.shape[0]
    jd = np.ascontiguousarray(np.broadcast_to(np.asarray(jd, np.float64), (m,)))
    fr = np.ascontiguousarray(np.broadcast_to(np.asarray(fr, np.float64), (m,)))
    r = np.empty((m, 3))
    v = np.empty((m, 3))
    e = np.empty(m, dtype=np.uint8)
    if m:
        if rows.min() < 0 or rows.max() >= table.shape[0]:
            raise IndexError("object row out of range")
        _entries_kernel(table, init_error, rows, jd, fr, r, v, e)
    return e, r, v


class NumbaSatrecArray:
    """Drop-in for ``sgp4.api.SatrecArray``: ``sgp4(jd, fr) -> (e, r, v)``, compiled."""

    def __init__(self, satrecs: Sequence[Satrec]):
        self.table, self.init_error = pack_params(list(satrecs))

    def __len__(self) -> int:
        return self.table.shape[0]

    def sgp4(self, jd: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Error codes ``(n, m)`` uint8, TEME r (km) and v (km/s) ``(n, m, 3)``."""
        return propagate_table(self.table, self.init_error, jd, fr)

    def sgp4_entries(
        self, rows: np.ndarray, jd: np.ndarray, fr: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Object ``rows[k]`` at ``jd[k] + fr[k]``: see :func:`propagate_entries`."""
        return propagate_entries(self.table, self.init_error, rows, jd, fr)

    def sgp4_tsince(self, tsince_min: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Same as :meth:`sgp4` at minutes since each object's own epoch (Vallado's tests)."""
        ts = np.ascontiguousarray(np.atleast_1d(tsince_min), dtype=np.float64)
        n, m = self.table.shape[0], ts.shape[0]
        r = np.empty((n, m, 3))
        v = np.empty((n, m, 3))
        e = np.empty((n, m), dtype=np.uint8)
        _tsince_kernel(self.table, ts, r, v, e)
        e[self.init_error != 0] = self.init_error[self.init_error != 0, None]
        return e, r, v


#: Initialized rows by (line1, line2): screening and the exercise propagate the same
#: element sets window after window; parsing each pair again (python-sgp4's C++
#: ``twoline2rv``) and initializing it would be repeated work.
_ROW_CACHE: dict[tuple[str, str], tuple[np.ndarray, int]] = {}
_ROW_CACHE_MAX = 200_000


def table_for_tles(tles: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Parameter table and init error codes for TLE pairs (WGS-72), cached per pair."""
    n = len(tles)
    table = np.empty((n, N_FIELDS))
    init_error = np.empty(n, dtype=np.uint8)
    missing = [i for i, key in enumerate(tles) if tuple(key) not in _ROW_CACHE]
    if missing:
        sats = [Satrec.twoline2rv(tles[i][0], tles[i][1], WGS72) for i in missing]
        new_table, new_err = pack_params(sats)
        if len(_ROW_CACHE) + len(missing) > _ROW_CACHE_MAX:
            _ROW_CACHE.clear()
        for k, i in enumerate(missing):
            _ROW_CACHE[tuple(tles[i])] = (new_table[k], int(new_err[k]))
    for i, key in enumerate(tles):
        row, err = _ROW_CACHE[tuple(key)]
        table[i] = row
        init_error[i] = err
    return table, init_error


#: object-times below which :func:`propagate_table` runs on one thread
SERIAL_BELOW = 30_000


def propagate_table(
    table: np.ndarray,
    init_error: np.ndarray,
    jd: np.ndarray,
    fr: np.ndarray,
    batch: bool = False,
    out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Error codes ``(n, m)`` uint8, TEME r (km), v (km/s) ``(n, m, 3)`` at UTC ``jd + fr``.

    ``batch=True`` also flags unphysical states (code 7) and sets every failed state to
    NaN, decayed ones included (``sgp4_batch``'s conventions); ``out`` are arrays
    ``(e, r, v)`` of those shapes to fill in place instead of new ones.
    """
    from spacerange.propagation import sgp4_driver, sgp4_simd

    jd = np.ascontiguousarray(np.atleast_1d(jd), dtype=np.float64)
    fr = np.ascontiguousarray(np.atleast_1d(fr), dtype=np.float64)
    n, m = table.shape[0], jd.shape[0]
    if out is None:
        e = np.empty((n, m), dtype=np.uint8)
        r = np.empty((n, m, 3))
        v = np.empty((n, m, 3))
    else:
        e, r, v = out
        assert e.shape == (n, m) and r.shape == v.shape == (n, m, 3) and e.dtype.itemsize == 1
    # Near-earth and deep-space element sets on the kernels vectorized across times,
    # failed inits (which only report their code) on the scalar one.
    kinds = sgp4_driver.row_kinds(table, init_error, sgp4_simd.enabled())
    rows = np.arange(n, dtype=np.int64)
    run = sgp4_driver.propagate_rows
    if _FORKED_FROM_THREADED or _ONE_THREAD_DEPTH:
        # a forked child of a process whose numba thread pool ran, or a worker that is
        # one of several processes sharing the cores: one thread here
        run = sgp4_driver.propagate_rows_serial
    elif n * m < SERIAL_BELOW:
        # little work (a screening block of a few changed tracks: ~0.1 ms on one thread)
        # costs more in waking the thread pool than it saves, ~8 ms CPU per call on a
        # loaded machine
        run = sgp4_driver.propagate_rows_serial
    if n and m:
        run(table, init_error, rows, kinds, jd, fr, batch, r, v, e.view(np.uint8))
    return e, r, v


def propagate_tles(
    tles: Sequence[tuple[str, str]],
    jd: np.ndarray,
    fr: np.ndarray,
    batch: bool = False,
    out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`propagate_table` for TLE pairs."""
    table, init_error = table_for_tles(tles)
    return propagate_table(table, init_error, jd, fr, batch, out)
