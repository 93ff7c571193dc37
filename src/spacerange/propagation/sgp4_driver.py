"""The compiled engine's catalog driver: one parallel loop over objects, three kernels.

Each object (a row of :mod:`spacerange.propagation.sgp4_numba`'s parameter table) is
propagated on its thread over blocks of :data:`BLOCK` times, by the kernel its kind
selects (:func:`row_kinds`):

* ``NEAR``: near-earth SGP4 vectorized across times (:mod:`.sgp4_simd`);
* ``DEEP``: deep-space SDP4 vectorized across times (:mod:`.sgp4_sdp4_simd`), its
  resonance integrator walked once per block by a scalar pre-pass;
* ``SCALAR``: the scalar kernel (failed initializations, which only report their code;
  everything when ``SPACERANGE_SGP4_SIMD=0``).

States are written in place into the caller's ``(n, m, 3)`` arrays; there is no Python
loop per object.  States that SGP4 returns without error but that no orbit can have
(:func:`spacerange.propagation.status.flag_unphysical`'s test: element sets corrupt or far
past decay), and near-earth states beyond 100,000 km, are taken from the scalar kernel, since the vectorized kernels' last-bit
differences grow there past a millimetre; with ``batch=True`` they get code 7 anyway.  ``batch=True`` applies :mod:`spacerange.propagation.status`'s
conventions inside the loop (code 7 for unphysical states, NaN for every non-zero code),
which ``sgp4_batch`` otherwise did in extra passes over the arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from spacerange.propagation.sgp4_fields import (
    DEEP,
    ISIMP,
    JDSATEPOCH,
    JDSATEPOCHF,
)
from spacerange.propagation.sgp4_numba import (
    _sgp4_one,
)
from spacerange.propagation.sgp4_sdp4_simd import (
    RES_WIDTH,
    STATE_WIDTH,
    deep_block,
    resonance_prepass,
)
from spacerange.propagation.sgp4_simd import BLOCK, _object_block
from spacerange.propagation.status import _MIN_RADIUS_KM, MU_EARTH_KM3_S2

NEAR, DEEP_SIMD, SCALAR = 0, 1, 2
_UNBOUND = 2.2 * MU_EARTH_KM3_S2  # v^2 r above this: unbound with 10 % slack (status.py)
_MIN_R_KM = float(_MIN_RADIUS_KM)
#: Near-earth element sets (periods under 225 min) have apogees under 28,000 km; beyond
#: this their states are the nonsense of a set far past its validity (1e7 km seen).
_NEAR_MAX_R_KM = 1.0e5


def row_kinds(table: np.ndarray, init_error: np.ndarray, simd: bool = True) -> np.ndarray:
    """Kernel of each row: :data:`NEAR`, :data:`DEEP_SIMD` or :data:`SCALAR`."""
    kinds = np.full(table.shape[0], SCALAR, dtype=np.int8)
    if simd:
        ok = init_error == 0
        kinds[ok & (table[:, DEEP] == 0.0)] = NEAR
        # sgp4init sets isimp for every deep-space set; the block kernel relies on it
        kinds[ok & (table[:, DEEP] != 0.0) & (table[:, ISIMP] == 1.0)] = DEEP_SIMD
    return kinds


@njit(cache=True, fastmath=False, error_model="numpy")
def _one_object(table, init_error, i, kind, jd, fr, batch, r_out, v_out, e_out):
    """Every time of object ``i`` into row ``i`` of the outputs."""
    p = table[i]
    m = jd.shape[0]
    t = np.empty(BLOCK)
    out = np.empty(BLOCK * 8)
    res = np.empty(BLOCK * RES_WIDTH)
    state = np.zeros(STATE_WIDTH)  # atime 0: the integrator starts from epoch
    buf = np.empty(6)
    ie = init_error[i]
    for j0 in range(0, m, BLOCK):
        nb = min(BLOCK, m - j0)
        for j in range(nb):
            t[j] = (jd[j0 + j] - p[JDSATEPOCH]) * 1440.0 + (fr[j0 + j] - p[JDSATEPOCHF]) * 1440.0
        if kind == NEAR:
            _object_block(p, t, nb, out)
        elif kind == DEEP_SIMD:
            resonance_prepass(p, t, nb, state, res)
            deep_block(p, t, nb, res, out)
        else:
            for j in range(nb):
                if ie != 0:
                    code = ie
                    for a in range(6):
                        buf[a] = np.nan
                else:
                    code = _sgp4_one(p, t[j], buf, state)
                    if code != 0 and code != 6:
                        for a in range(6):
                            buf[a] = np.nan
                for a in range(6):
                    out[8 * j + a] = buf[a]
                out[8 * j + 6] = code
        for j in range(nb):
            x, y, z = out[8 * j], out[8 * j + 1], out[8 * j + 2]
            vx, vy, vz = out[8 * j + 3], out[8 * j + 4], out[8 * j + 5]
            code = np.uint8(out[8 * j + 6])
            if code == 0:
                rn = math.sqrt(x * x + y * y + z * z)
                unphysical = (vx * vx + vy * vy + vz * vz) * rn > _UNBOUND or rn < _MIN_R_KM
                if unphysical and batch:
                    code = np.uint8(7)
                elif unphysical or (kind == NEAR and rn > _NEAR_MAX_R_KM):
                    if kind != SCALAR:
                        # SGP4 gone unphysical (corrupt or decayed element sets far from
                        # epoch, speeds of 1e6 km/s): there the equations amplify the
                        # last-bit differences of our sin/cos, so the state python-sgp4
                        # would give is taken from the scalar kernel (from epoch).
                        state3 = np.zeros(3)
                        code = np.uint8(_sgp4_one(p, t[j], buf, state3))
                        x, y, z, vx, vy, vz = buf[0], buf[1], buf[2], buf[3], buf[4], buf[5]
                        if code != 0 and code != 6:
                            x = y = z = vx = vy = vz = np.nan
            if batch and code != 0:
                x = y = z = vx = vy = vz = np.nan
            jj = j0 + j
            e_out[i, jj] = code
            r_out[i, jj, 0] = x
            r_out[i, jj, 1] = y
            r_out[i, jj, 2] = z
            v_out[i, jj, 0] = vx
            v_out[i, jj, 1] = vy
            v_out[i, jj, 2] = vz


@njit(cache=True, parallel=True, fastmath=False, error_model="numpy")
def propagate_rows(table, init_error, rows, kinds, jd, fr, batch, r_out, v_out, e_out):
    """Objects ``table[rows]`` (kernel ``kinds``) at UTC ``jd + fr`` into ``r_out``,
    ``v_out`` (km, km/s TEME) and ``e_out`` at the same row indices, threads over objects."""
    for k in prange(rows.shape[0]):
        _one_object(table, init_error, rows[k], kinds[k], jd, fr, batch, r_out, v_out, e_out)


# The one-thread variant is its own function on purpose: numba's on-disk cache keys a
# function by its code and signature, not by ``parallel=``.
@njit(cache=True, fastmath=False, error_model="numpy")
def propagate_rows_serial(table, init_error, rows, kinds, jd, fr, batch, r_out, v_out, e_out):
    """One-thread :func:`propagate_rows` (forked workers of a threaded parent)."""
    for k in range(rows.shape[0]):
        _one_object(table, init_error, rows[k], kinds[k], jd, fr, batch, r_out, v_out, e_out)
